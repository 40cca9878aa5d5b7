//! The read path: region -> chunks -> one task per chunk (per inner chunk
//! for sharded arrays; per row of chunks or inner chunks side by side when
//! placing them together lets a large destination's rows stream; a lone
//! large uncompressed chunk is read in one piece per thread) -> fetch,
//! decode, place into the caller's buffer.

use super::Array;
use crate::codec::pipeline::ChunkPieces;
use crate::codec::sharding::{ShardIndex, ShardingCodec};
use crate::error::{buffer_too_small, ErrorKind, Result};
use crate::region::{check_region, ChunkPart, RegionPlan};
use crate::scratch::{with_fetched, with_fetched_row, with_scratch};
use crate::store::ByteRange;
use crate::store::{Store, ValueReader};
use crate::strided::{DestBuffer, Layout, RunFiller};
use crate::threads::{self, Gate};

/// The bytes of each chunk a row-of-chunks read (`read_chunk_row_in_pieces`)
/// holds at a time: the pieces of a row stay in cache until placed.
const ROW_PIECE_BYTES: usize = 256 << 10;
/// The most uncompressed chunks one such read handles together.
const ROW_CHUNKS_MAX: usize = 8;

/// The most compressed chunks one row-of-chunks read decodes in step (each
/// holds a streaming decompression context, which codecs pool per thread).
const ROW_DECODERS_MAX: usize = crate::codec::DECODERS_IN_STEP;
const _: () = assert!(ROW_DECODERS_MAX <= ROW_CHUNKS_MAX);

/// Decoded chunks at least this large are decompressed in cache-sized
/// pieces straight into the destination's rows (when the codecs can
/// stream) instead of into a chunk-sized buffer that would go out to
/// memory and be read back.
const STREAM_MIN_CHUNK: usize = 4 << 20;
/// Planes of a row of decoded chunks are taken this many bytes at a time
/// (at least one plane): few enough that the decoder holds them in one
/// piece (zstd's ring holds a window and two 128 KiB blocks), so they are
/// placed from there (`RowSource::take`).
const DECODED_PIECE: usize = 128 << 10;
/// The shortest destination rows worth placing pieces into one by one;
/// shorter rows go through a chunk buffer and the strided copy.
const MIN_STREAM_RUN: usize = 64;

/// Where a shard's bytes come from during one read.
enum ShardSource<'b> {
    /// The whole shard was fetched (the read touches all of it).
    Whole(Vec<u8>),
    /// Only the index was fetched; inner chunks are fetched by range.
    Ranged,
    /// One fetched run of the shard, starting at byte `start`.
    Run { start: u64, bytes: &'b [u8] },
}

/// A whole shard that several workers read, when it is all the read has to
/// do, from a store with positional reads, is fetched in runs of about this
/// size, each by the worker that decodes it: fetching then overlaps
/// decoding instead of preceding it on one thread. (Other runs grow to
/// `COALESCE_MAX`; with other shards to read, the workers have other work
/// while one fetches a whole shard.)
const WHOLE_SHARD_RUN: u64 = 1 << 20;

/// A value is read in pieces on several threads only when each piece is at
/// least this large: below it, the threads' start-up costs more than they
/// save.
const READ_PIECE_MIN: usize = 4 << 20;

/// Huge page size: pieces start on its multiples.
const READ_PIECE_ALIGN: usize = 2 << 20;

/// `store.get_into`, with a large value read in one piece per thread when
/// the store reads ranges straight into the buffer: the page faults of a
/// fresh destination and the copy out of the store then run on every core
/// instead of one. All pieces come from one version of the value.
fn get_into_on_threads(
    store: &dyn Store,
    key: &str,
    out: &mut [u8],
    threads: usize,
) -> Result<Option<bool>> {
    let workers = threads::resolve(threads).min(out.len() / READ_PIECE_MIN);
    if workers < 2 || !store.supports_value_reader() {
        return store.get_into(key, out);
    }
    let Some(reader) = store.value_reader(key)? else {
        return Ok(None);
    };
    if reader.size() != out.len() as u64 {
        return Ok(Some(false));
    }
    // Cut at 2 MiB-aligned addresses, so that no huge page of a
    // huge-page-advised destination is faulted in by two threads.
    let (len, base) = (out.len(), out.as_ptr() as usize);
    let mut pieces = Vec::with_capacity(workers);
    let (mut rest, mut offset) = (out, 0usize);
    for k in 1..=workers {
        let end = if k == workers {
            len
        } else {
            let even = (len as u128 * k as u128 / workers as u128) as usize;
            ((base + even).next_multiple_of(READ_PIECE_ALIGN) - base).min(len)
        };
        let (head, tail) = std::mem::take(&mut rest).split_at_mut(end - offset);
        pieces.push((offset as u64, head));
        (rest, offset) = (tail, end);
    }
    read_pieces(&*reader, pieces, threads)?;
    Ok(Some(true))
}

/// Read each piece `(offset, buffer)` of one version of a value through
/// `reader`, the pieces on `threads` threads.
pub(super) fn read_pieces(
    reader: &dyn ValueReader,
    pieces: Vec<(u64, &mut [u8])>,
    threads: usize,
) -> Result<()> {
    // Each task locks its own piece once: the mutexes only hand the
    // disjoint pieces to the threads.
    let pieces: Vec<(u64, std::sync::Mutex<&mut [u8]>)> = pieces
        .into_iter()
        .map(|(at, p)| (at, std::sync::Mutex::new(p)))
        .collect();
    threads::for_each(threads, pieces.len(), |i| {
        let (at, piece) = &pieces[i];
        let mut p = piece.lock().unwrap_or_else(|e| e.into_inner());
        reader.read_at(*at, &mut p)
    })
}

/// Fault in a destination that takes many chunks, when its first chunk's
/// block is not contiguous in it. Such blocks are placed row by row, with
/// streaming stores into a large destination: those gain from the pages
/// being faulted in first. Blocks read or decoded straight into place are
/// written with ordinary stores, which find the lines the kernel has just
/// cleared still in the cache when each page is faulted in as they reach
/// it.
pub(super) fn populate_for(dest: &mut DestBuffer, first: &ChunkPart, workers: usize) {
    if dest
        .layout()
        .contiguous_block(&first.in_region, &first.shape)
        .is_none()
    {
        dest.populate(workers);
    }
}

impl Array {
    /// Read the region `start..start+shape` into `out`, whose layout is
    /// given by element `strides` (None = C order). Elements are in native
    /// byte order.
    pub fn read_region(
        &self,
        start: &[u64],
        shape: &[u64],
        out: &mut [u8],
        strides: Option<&[i64]>,
    ) -> Result<()> {
        self.check_fixed_size()?;
        check_region(self.shape(), start, shape)?;
        let layout = Layout::new(shape, strides, self.elem(), out.len())?;
        let mut dest = DestBuffer::new(out, layout);
        if self.is_rectilinear() {
            return self.read_rectilinear(start, shape, &mut dest);
        }
        let plan = RegionPlan::new(self.chunk_shape(), start, shape);
        let (workers, gate) = threads::plan(self.threads(), self.io_concurrency());
        if plan.len() > 1 {
            populate_for(&mut dest, &plan.part(0), workers);
        }
        match self.codecs().sharding() {
            Some(sharding) => {
                if self.reads_shard_rows(sharding, start, shape, &plan, &dest, workers) {
                    return self.read_shard_rows(sharding, &plan, &dest, &gate, workers);
                }
                threads::for_each(workers, plan.len(), |i| {
                    let part = plan.part(i);
                    let key = self.chunk_key(&part.chunk);
                    let ctx = self.shard_read(&key, sharding, &gate, plan.len() == 1);
                    read_shard_region(&ctx, self.chunk_shape(), &part, &dest, workers)
                })
            }
            None => {
                // Rows of chunks only while they leave at least two tasks
                // per worker.
                let row_len = self
                    .chunk_row_len(&dest)
                    .min((plan.len() / (2 * workers)).max(1));
                if row_len > 1 {
                    // Grid row by grid row (the chunks the region touches
                    // along its last dimension), each split into tasks.
                    return threads::for_each(workers, plan.len() / plan.per_row(), |r| {
                        let (parts, tasks) = grid_row_tasks(&plan, r, row_len, &dest);
                        threads::for_each(workers, tasks.len(), |t| {
                            match &parts[tasks[t].clone()] {
                                [(_, part)] => self.read_chunk_part(part, &dest, &gate, 1),
                                row => self.read_chunk_row_in_pieces(row, &dest, &gate),
                            }
                        })
                    });
                }
                // A region inside one chunk leaves the threads idle but for
                // that chunk: a large uncompressed one is read in pieces.
                let spare = if plan.len() == 1 { self.threads() } else { 1 };
                threads::for_each(workers, plan.len(), |i| {
                    self.read_chunk_part(&plan.part(i), &dest, &gate, spare)
                })
            }
        }
    }

    /// Read one whole chunk (full chunk shape, C order, edge chunks include
    /// their out-of-bounds fill) into `out`.
    pub fn read_chunk(&self, indices: &[u64], out: &mut [u8]) -> Result<()> {
        if self.is_rectilinear() {
            return self.read_chunk_rectilinear(indices, out);
        }
        self.check_fixed_size()?;
        self.check_chunk_indices(indices)?;
        let repr = self.chunk_repr();
        if out.len() < repr.nbytes() {
            return Err(buffer_too_small(format!(
                "a chunk needs {} bytes, the buffer has {}",
                repr.nbytes(),
                out.len()
            )));
        }
        let out = &mut out[..repr.nbytes()];
        let key = self.chunk_key(indices);
        if let Some(sharding) = self.codecs().sharding() {
            // Decode the shard's inner chunks in parallel, into place.
            let dest = DestBuffer::new(out, Layout::c_order(&repr.shape, repr.dtype.size()));
            let zero = vec![0u64; repr.shape.len()];
            let part = ChunkPart {
                chunk: indices.to_vec(),
                in_chunk: zero.clone(),
                in_region: zero,
                shape: repr.shape.clone(),
            };
            let (workers, gate) = threads::plan(self.threads(), self.io_concurrency());
            let ctx = self.shard_read(&key, sharding, &gate, true);
            return read_shard_region(&ctx, self.chunk_shape(), &part, &dest, workers);
        }
        // The sharded path's DestBuffer asks for huge pages itself.
        crate::pages::advise_huge_pages(out);
        if self.codecs().is_passthrough() {
            return match get_into_on_threads(self.store().as_ref(), &key, out, self.threads())? {
                Some(true) => Ok(()),
                Some(false) => Err(uncompressed_size_differs(&key, repr.nbytes())),
                None => {
                    crate::strided::fill_slice(out, self.fill_value());
                    Ok(())
                }
            };
        }
        with_fetched(|bytes| {
            if !self.store().get_reusing(&key, bytes)? {
                crate::strided::fill_slice(out, self.fill_value());
                return Ok(());
            }
            self.codecs()
                .decode_into(bytes, out)
                .map_err(|e| e.context(format!("chunk {indices:?}")))
        })
    }

    /// How many whole chunks side by side one task reads and places as
    /// rows of chunks (`read_chunk_row_in_pieces`; 1: each on its own):
    /// chunks of two or more dimensions whose planes fit a piece, into a
    /// destination where rows of chunks stream more than each chunk's rows,
    /// when they are uncompressed and the store has value readers, large
    /// and decompressed in pieces, or small enough to be decoded whole side
    /// by side (`read_chunk_row_whole`, up to `ROW_MAX_BYTES` a row).
    fn chunk_row_len(&self, dest: &DestBuffer) -> usize {
        let (shape, chain) = (self.chunk_shape(), self.codecs());
        let n = shape.len();
        if n < 2
            || !dest.streams_more_as_row(shape)
            || (shape[n - 2] * shape[n - 1]) as usize * self.elem() > ROW_PIECE_BYTES
        {
            1
        } else if chain.is_passthrough() && self.store().supports_value_reader() {
            ROW_CHUNKS_MAX
        } else if chain.decodes_in_pieces() && chain.repr().nbytes() >= STREAM_MIN_CHUNK {
            ROW_DECODERS_MAX
        } else if chain.repr().nbytes() < STREAM_MIN_CHUNK {
            (ROW_MAX_BYTES / chain.repr().nbytes().max(1)).max(1)
        } else {
            1
        }
    }

    /// Read whole chunks that sit side by side along the last dimension
    /// (`parts`, in order) in step, a few planes (the last two dimensions)
    /// of each at a time into this thread's scratch, and place each plane
    /// as a row of chunks, so that the destination's rows are written whole
    /// (`copy_planes_as_row`). Uncompressed chunks are read by range
    /// through value readers; compressed ones are fetched, then decoded
    /// piece by piece.
    fn read_chunk_row_in_pieces(
        &self,
        parts: &[(usize, ChunkPart)],
        dest: &DestBuffer,
        gate: &Gate,
    ) -> Result<()> {
        let (chain, store) = (self.codecs(), self.store().as_ref());
        let nbytes = chain.repr().nbytes();
        let ranged = chain.is_passthrough() && store.supports_value_reader();
        if !ranged && nbytes < STREAM_MIN_CHUNK {
            return self.read_chunk_row_whole(parts, dest, gate);
        }
        if ranged {
            let mut sources = parts
                .iter()
                .map(|(_, part)| {
                    let key = self.chunk_key(&part.chunk);
                    Ok(match store.value_reader(&key)? {
                        None => RowSource::Absent,
                        Some(r) if r.size() != nbytes as u64 => {
                            return Err(uncompressed_size_differs(&key, nbytes))
                        }
                        Some(reader) => RowSource::Stored { reader, at: 0 },
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            return self.place_chunk_row(parts, &mut sources, dest);
        }
        let placed = with_fetched_row(parts.len(), |fetched| {
            let stored = self.fetch_row(parts, fetched)?;
            gate.run(|| -> Result<bool> {
                let mut sources = Vec::with_capacity(parts.len());
                for (bytes, stored) in fetched.iter().zip(stored) {
                    let Some(key) = stored else {
                        sources.push(RowSource::Absent);
                        continue;
                    };
                    match chain.piece_decoder(bytes).map_err(|e| e.context(&key))? {
                        Some(pieces) => sources.push(RowSource::Decoding { pieces, key }),
                        None => return Ok(false),
                    }
                }
                self.place_chunk_row(parts, &mut sources, dest)?;
                Ok(true)
            })
        })?;
        if !placed {
            // The codec declined a chunk (zstd's legacy format): each chunk
            // of the row is read on its own, decoded whole.
            for (_, part) in parts {
                self.read_chunk_part(part, dest, gate, 1)?;
            }
        }
        Ok(())
    }

    /// Read small encoded chunks that sit side by side along the last
    /// dimension (`parts`, in order) one after another: fetch each, decode
    /// it whole into this thread's scratch and place it as its part of the
    /// row of chunks (`place_decoded_row`), whose rows stream where each
    /// chunk's short rows would not. Only the decoding holds the gate.
    fn read_chunk_row_whole(
        &self,
        parts: &[(usize, ChunkPart)],
        dest: &DestBuffer,
        gate: &Gate,
    ) -> Result<()> {
        let (chain, store) = (self.codecs(), self.store().as_ref());
        let nbytes = chain.repr().nbytes();
        with_fetched(|bytes| {
            let decode = |j: usize, slot: &mut [u8]| {
                let key = self.chunk_key(&parts[j].1.chunk);
                if !store.get_reusing(&key, bytes)? {
                    crate::strided::fill_slice(slot, self.fill_value());
                    return Ok(());
                }
                gate.run(|| chain.decode_into(bytes, slot))
                    .map_err(|e| e.context(key.as_str()))
            };
            let (start, shape) = (&parts[0].1.in_region, self.chunk_shape());
            // SAFETY: this task alone writes these chunks' blocks, which
            // together are the row's block.
            unsafe { place_decoded_row(dest, start, shape, parts.len(), nbytes, decode) }
        })
    }

    /// Fetch the encoded bytes of `parts` into `fetched` (one buffer each,
    /// reused): each part's chunk key, or None where the chunk is absent.
    fn fetch_row(
        &self,
        parts: &[(usize, ChunkPart)],
        fetched: &mut [Vec<u8>],
    ) -> Result<Vec<Option<String>>> {
        let store = self.store().as_ref();
        let mut stored = Vec::with_capacity(parts.len());
        for ((_, part), buf) in parts.iter().zip(fetched.iter_mut()) {
            let key = self.chunk_key(&part.chunk);
            stored.push(store.get_reusing(&key, buf)?.then_some(key));
        }
        Ok(stored)
    }

    /// The placing half of `read_chunk_row_in_pieces`: take a few planes
    /// of every chunk of the row from its source, place them, repeat.
    /// Decoded planes are placed from where the decoder has them whenever
    /// it has them in one piece (`RowSource::take`).
    fn place_chunk_row(
        &self,
        parts: &[(usize, ChunkPart)],
        sources: &mut [RowSource],
        dest: &DestBuffer,
    ) -> Result<()> {
        let shape = self.chunk_shape();
        let n = shape.len();
        let nbytes = self.codecs().repr().nbytes();
        let plane_shape: Vec<u64> = (0..n)
            .map(|d| if d + 2 < n { 1 } else { shape[d] })
            .collect();
        let plane_bytes = (shape[n - 2] * shape[n - 1]) as usize * self.elem();
        let planes = nbytes / plane_bytes;
        let decoding = sources
            .iter()
            .any(|s| matches!(s, RowSource::Decoding { .. }));
        let piece = if decoding {
            DECODED_PIECE
        } else {
            ROW_PIECE_BYTES
        };
        let per_piece = (piece / plane_bytes).clamp(1, planes);
        let slot = per_piece * plane_bytes;
        with_scratch(parts.len() * slot, |buf| {
            // An absent chunk's slot holds the fill value throughout.
            for (src, s) in sources.iter().zip(buf.chunks_exact_mut(slot)) {
                if let RowSource::Absent = src {
                    crate::strided::fill_slice(s, self.fill_value());
                }
            }
            let origin = &parts[0].1.in_region;
            let mut at = origin.clone();
            let k = parts.len();
            // chunk_row_len gives at most ROW_DECODERS_MAX decoded or
            // ROW_CHUNKS_MAX uncompressed chunks a row.
            assert!(k <= ROW_CHUNKS_MAX);
            for first in (0..planes).step_by(per_piece) {
                let count = per_piece.min(planes - first);
                let mut row: [&[u8]; ROW_CHUNKS_MAX] = [&[]; ROW_CHUNKS_MAX];
                for ((src, s), r) in sources
                    .iter_mut()
                    .zip(buf.chunks_exact_mut(slot))
                    .zip(&mut row)
                {
                    *r = src.take(count * plane_bytes, s)?;
                }
                let mut plane: [&[u8]; ROW_CHUNKS_MAX] = [&[]; ROW_CHUNKS_MAX];
                for j in 0..count {
                    // The plane's place: its index over the leading dimensions.
                    let mut rest = (first + j) as u64;
                    for d in (0..n - 2).rev() {
                        at[d] = origin[d] + rest % shape[d];
                        rest /= shape[d];
                    }
                    for (p, r) in plane.iter_mut().zip(&row[..k]) {
                        *p = &r[j * plane_bytes..];
                    }
                    // SAFETY: this task alone writes these chunks' blocks;
                    // the plane is part of them.
                    unsafe { dest.copy_planes_as_row(&at, &plane[..k], &plane_shape) };
                }
            }
            sources.iter_mut().try_for_each(RowSource::finish)
        })
    }

    /// What reading the shard at `key` needs from this array.
    pub(super) fn shard_read<'a>(
        &'a self,
        key: &'a str,
        sharding: &'a ShardingCodec,
        gate: &'a Gate,
        alone: bool,
    ) -> ShardRead<'a> {
        ShardRead {
            store: self.store().as_ref(),
            key,
            sharding,
            fill_value: self.fill_value(),
            gate,
            alone,
            index: None,
            fetched: None,
        }
    }

    /// Read one chunk's part of a region into `dest`. `threads`: how many
    /// threads may read this one chunk (1 when other chunks keep them busy).
    pub(super) fn read_chunk_part(
        &self,
        part: &ChunkPart,
        dest: &DestBuffer,
        gate: &Gate,
        threads: usize,
    ) -> Result<()> {
        let key = self.chunk_key(&part.chunk);
        let chain = self.codecs();
        if chain.is_passthrough() && part.is_whole(self.chunk_shape()) {
            // SAFETY: this task alone writes this chunk's block.
            if let Some(block) = unsafe { dest.contiguous_block(&part.in_region, &part.shape) } {
                // Stored bytes are the decoded bytes: read them into place.
                let store = self.store().as_ref();
                return match get_into_on_threads(store, &key, block, threads)? {
                    Some(true) => Ok(()),
                    Some(false) => Err(uncompressed_size_differs(&key, chain.repr().nbytes())),
                    None => {
                        crate::strided::fill_slice(block, self.fill_value());
                        Ok(())
                    }
                };
            }
        }
        if chain.is_passthrough() && part.is_whole(self.chunk_shape()) {
            // SAFETY: this task alone writes this chunk's block.
            if let Some(runs) =
                unsafe { dest.c_order_runs(&part.in_region, &part.shape, MIN_STREAM_RUN) }
            {
                // Stored bytes are the decoded bytes, in the block's C order:
                // place them into the destination's rows as the store hands
                // them over, piece by piece.
                let nbytes = chain.repr().nbytes();
                let mut filler = RunFiller::new(runs);
                let store = self.store().as_ref();
                // get_exactly hands over no more than nbytes, which the
                // block's runs add up to.
                let got = crate::store::get_exactly(store, &key, nbytes, &mut |p| filler.push(p))?;
                debug_assert!(got != Some(true) || filler.is_complete());
                drop(filler);
                return match got {
                    Some(true) => Ok(()),
                    Some(false) => Err(uncompressed_size_differs(&key, nbytes)),
                    None => {
                        // SAFETY: each chunk part is a distinct block of the region.
                        unsafe { dest.fill(&part.in_region, &part.shape, self.fill_value()) };
                        Ok(())
                    }
                };
            }
        }
        if chain.is_passthrough() {
            let nbytes = chain.repr().nbytes();
            let slab = (nbytes >= SLAB_MIN_CHUNK && self.store().serves_ranges())
                .then(|| Slab::of(part, self.chunk_shape(), self.elem()))
                .flatten()
                .filter(|slab| slab.len < nbytes / 2);
            if let Some(slab) = slab {
                // A small part of a large chunk: fetch only the run of
                // stored bytes that holds it (nothing for a missing one),
                // once the stored size says the chunk is whole.
                let bytes = match self.store().size(&key)? {
                    Some(n) if n != nbytes as u64 => None,
                    Some(_) => self.store().get_range(&key, slab.range())?.map(Some),
                    None => Some(None),
                };
                return match bytes {
                    Some(Some(bytes)) if bytes.len() == slab.len => {
                        // SAFETY: this task alone writes this chunk's block.
                        unsafe {
                            dest.copy_from_chunk(
                                &part.in_region,
                                &bytes,
                                &slab.shape,
                                &slab.in_slab,
                                &part.shape,
                            )
                        };
                        Ok(())
                    }
                    // Absent (or erased between the two requests).
                    Some(None) => {
                        // SAFETY: each chunk part is a distinct block of the region.
                        unsafe { dest.fill(&part.in_region, &part.shape, self.fill_value()) };
                        Ok(())
                    }
                    _ => Err(uncompressed_size_differs(&key, nbytes)),
                };
            }
            // Stored bytes are the decoded chunk: read them into this
            // thread's scratch buffer and place the part from there.
            return with_scratch(chain.repr().nbytes(), |decoded| {
                match self.store().get_into(&key, decoded)? {
                    Some(true) => {
                        // SAFETY: this task alone writes this chunk's block.
                        unsafe { place_part(dest, part, self.chunk_shape(), decoded) };
                        Ok(())
                    }
                    Some(false) => Err(uncompressed_size_differs(&key, chain.repr().nbytes())),
                    None => {
                        // SAFETY: each chunk part is a distinct block of the region.
                        unsafe { dest.fill(&part.in_region, &part.shape, self.fill_value()) };
                        Ok(())
                    }
                }
            });
        }
        // The encoded chunk goes into this thread's reused buffer: no
        // allocation per chunk.
        with_fetched(|fetched| {
            if !self.store().get_reusing(&key, fetched)? {
                // SAFETY: each chunk part is a distinct block of the region.
                unsafe { dest.fill(&part.in_region, &part.shape, self.fill_value()) };
                return Ok(());
            }
            let bytes: &[u8] = fetched;
            gate.run(|| {
                if part.is_whole(self.chunk_shape()) {
                    // SAFETY: this task alone writes this chunk's block.
                    if let Some(block) =
                        unsafe { dest.contiguous_block(&part.in_region, &part.shape) }
                    {
                        return chain.decode_into(bytes, block).map_err(|e| e.context(&key));
                    }
                    if chain.repr().nbytes() >= STREAM_MIN_CHUNK && chain.decodes_in_pieces() {
                        // SAFETY: this task alone writes this chunk's block.
                        if let Some(runs) = unsafe {
                            dest.c_order_runs(&part.in_region, &part.shape, MIN_STREAM_RUN)
                        } {
                            if let Some(mut pieces) =
                                chain.piece_decoder(bytes).map_err(|e| e.context(&key))?
                            {
                                let mut filler = RunFiller::new(runs);
                                // Pieces add up to the chunk (checked), as
                                // do the block's runs. Each is placed from
                                // where the decoder has it, as many blocks
                                // at a time as it holds in one piece.
                                loop {
                                    pieces.ready(DECODED_PIECE).map_err(|e| e.context(&key))?;
                                    let piece =
                                        pieces.next(DECODED_PIECE).map_err(|e| e.context(&key))?;
                                    if piece.is_empty() {
                                        return Ok(());
                                    }
                                    filler.push(piece)?;
                                }
                            }
                        }
                    }
                }
                with_scratch(chain.repr().nbytes(), |decoded| {
                    // SAFETY: this task alone writes this chunk's block.
                    unsafe { decode_and_place(chain, bytes, decoded, dest, &part.in_region, part) }
                        .map_err(|e| e.context(&key))
                })
            })
        })
    }
}

/// Where one chunk of a row of chunks read in step comes from.
enum RowSource<'a> {
    /// Not stored: its slot holds the fill value.
    Absent,
    /// Stored uncompressed, read by range from byte `at` on.
    Stored {
        reader: Box<dyn ValueReader + 'a>,
        at: u64,
    },
    /// Decoded piece by piece from its fetched bytes.
    Decoding {
        pieces: ChunkPieces<'a>,
        key: String,
    },
}

impl RowSource<'_> {
    /// Fill `out` with the chunk's next bytes (an absent chunk's slot is
    /// filled once, beforehand).
    fn fill(&mut self, out: &mut [u8]) -> Result<()> {
        match self {
            RowSource::Absent => Ok(()),
            RowSource::Stored { reader, at } => {
                reader.read_at(*at, out)?;
                *at += out.len() as u64;
                Ok(())
            }
            RowSource::Decoding { pieces, key } => {
                pieces.fill(out).map_err(|e| e.context(key.as_str()))
            }
        }
    }

    /// The chunk's next `len` bytes: where its decoder has them when they
    /// are at hand in one piece, else copied into `slot` (which holds an
    /// absent chunk's fill value throughout).
    fn take<'s>(&'s mut self, len: usize, slot: &'s mut [u8]) -> Result<&'s [u8]> {
        let whole = match self {
            RowSource::Decoding { pieces, key } => {
                pieces.ready(len).map_err(|e| e.context(key.as_str()))? >= len
            }
            _ => false,
        };
        if whole {
            if let RowSource::Decoding { pieces, key } = self {
                let piece = pieces.next(len).map_err(|e| e.context(key.as_str()))?;
                if piece.len() != len {
                    return Err(crate::error::internal(format!(
                        "{key}: the decoder lent {} bytes where it had {len} ready",
                        piece.len()
                    )));
                }
                return Ok(piece);
            }
        }
        self.fill(&mut slot[..len])?;
        Ok(&slot[..len])
    }

    /// Check that a decoded chunk's data ends with the chunk.
    fn finish(&mut self) -> Result<()> {
        match self {
            RowSource::Decoding { pieces, key } => {
                pieces.finish().map_err(|e| e.context(key.as_str()))
            }
            _ => Ok(()),
        }
    }
}

/// Copy a decoded chunk's part into its block of the destination.
///
/// # Safety
/// Only the calling task may write the part's block.
unsafe fn place_part(dest: &DestBuffer, part: &ChunkPart, chunk_shape: &[u64], decoded: &[u8]) {
    dest.copy_from_chunk(
        &part.in_region,
        decoded,
        chunk_shape,
        &part.in_chunk,
        &part.shape,
    )
}

/// The least size of an uncompressed chunk that a small part of is
/// fetched by range (`Slab`): below it, the whole chunk in one request
/// costs about as much as the size request and the range.
const SLAB_MIN_CHUNK: usize = 1 << 20;

/// The run of a C-order chunk's bytes that holds a part of it: the part's
/// indices in the dimensions before the first where it spans more than
/// one, its span there, and all of every later dimension.
struct Slab {
    offset: u64,
    len: usize,
    /// The run as a block of its own.
    shape: Vec<u64>,
    /// Where the part lies in that block.
    in_slab: Vec<u64>,
}

impl Slab {
    fn of(part: &ChunkPart, chunk_shape: &[u64], elem: usize) -> Option<Slab> {
        let n = chunk_shape.len();
        if n == 0 || part.shape.contains(&0) {
            return None;
        }
        let k = (0..n).find(|&d| part.shape[d] > 1).unwrap_or(n - 1);
        let strides = crate::region::c_strides(chunk_shape);
        let offset: u64 = (0..=k).map(|d| part.in_chunk[d] * strides[d]).sum();
        let mut shape = vec![1; n];
        shape[k] = part.shape[k];
        shape[k + 1..].copy_from_slice(&chunk_shape[k + 1..]);
        let mut in_slab = vec![0; n];
        in_slab[k + 1..].copy_from_slice(&part.in_chunk[k + 1..]);
        let len = shape.iter().product::<u64>() as usize * elem;
        Some(Slab {
            offset: offset * elem as u64,
            len,
            shape,
            in_slab,
        })
    }

    fn range(&self) -> ByteRange {
        ByteRange::new(self.offset, self.len as u64)
    }
}

/// Decode one encoded chunk of `chain` into `decoded` (this thread's
/// scratch, the chunk's size) and copy the part `part.in_chunk` /
/// `part.shape` of it into `dest` at `dst_start`: from the layout the
/// chain's `transpose` codecs leave it in when those are its only
/// array->array codecs (`CodecChain::decode_view_into`), which spares the
/// permutation, else from C order.
///
/// # Safety
/// Only the calling task may write that block of `dest`.
unsafe fn decode_and_place(
    chain: &crate::codec::CodecChain,
    bytes: &[u8],
    decoded: &mut [u8],
    dest: &DestBuffer,
    dst_start: &[u64],
    part: &ChunkPart,
) -> Result<()> {
    match chain.decode_view_into(bytes, decoded)? {
        Some(strides) => {
            dest.copy_from_view(dst_start, decoded, strides, &part.in_chunk, &part.shape)
        }
        None => {
            chain.decode_into(bytes, decoded)?;
            let shape = &chain.repr().shape;
            dest.copy_from_chunk(dst_start, decoded, shape, &part.in_chunk, &part.shape)
        }
    }
    Ok(())
}

/// An uncompressed chunk whose stored size is not its decoded size.
fn uncompressed_size_differs(key: &str, nbytes: usize) -> crate::error::Error {
    crate::error::corrupt(format!(
        "{key}: chunk size differs from the {nbytes} bytes of an uncompressed chunk"
    ))
}

/// Read the part of one shard a region touches into `dest`: fetch the
/// index, then each touched inner chunk by byte range (or the whole shard
/// at once when the region covers it), decoding inner chunks in parallel.
/// `part.in_chunk`/`part.shape` give the region inside the shard,
/// `part.in_region` where it starts in `dest`. An absent shard reads as
/// the fill value.
/// What reading one shard needs besides the region and the destination.
pub(crate) struct ShardRead<'a> {
    pub store: &'a dyn Store,
    pub key: &'a str,
    pub sharding: &'a ShardingCodec,
    pub fill_value: &'a [u8],
    /// Holds decoding to the decode threads when more workers do I/O.
    pub gate: &'a Gate,
    /// Whether this shard is all the read has to do: its workers then wait
    /// while a whole shard is fetched, unless they fetch it in runs.
    pub alone: bool,
    /// The shard's index, when the caller has fetched it already (it reads
    /// several parts of the shard): inner chunks are then fetched by range.
    pub index: Option<&'a ShardIndex>,
    /// With `index`: the shard's bytes from an offset on, fetched by the
    /// caller, holding every stored inner chunk the part touches.
    pub fetched: Option<(u64, &'a [u8])>,
}

/// The index of the shard at `key`, fetched by range, or None when no
/// shard is stored there.
pub(crate) fn fetch_shard_index(
    store: &dyn Store,
    key: &str,
    sharding: &ShardingCodec,
) -> Result<Option<ShardIndex>> {
    match store.get_range(key, sharding.index_range())? {
        Some(b) => Ok(Some(
            sharding
                .decode_index(&b, None)
                .map_err(|e| e.context(key))?,
        )),
        None => Ok(None),
    }
}

pub(crate) fn read_shard_region(
    ctx: &ShardRead,
    shard_shape: &[u64],
    part: &ChunkPart,
    dest: &DestBuffer,
    workers: usize,
) -> Result<()> {
    let mut result = read_shard_region_from(ctx, shard_shape, part, dest, workers);
    let ranged = ctx.index.is_some() || !part.is_whole(shard_shape);
    // Reads again by range through the index as it is by then (the index
    // and the touched inner chunks again, never the whole shard), when
    // the shard may have changed under the read:
    // - on a store without value readers, each range comes from whatever
    //   version of the shard it holds by then: an index and inner chunks
    //   of two versions, while another writer replaces the shard, do not
    //   decode (once);
    // - on any store, a dense shard is patched in place: an inner chunk
    //   read while a writer patches it can be part old and part new,
    //   which a `crc32c` among the inner codecs reports as a checksum
    //   failure (three times, the later ones after a pause: a writer can
    //   patch it again meanwhile). A slot a crashed writer left half
    //   written fails every time.
    for (attempt, pause_ms) in [0u64, 1, 10].into_iter().enumerate() {
        let retry = match &result {
            Err(e) if e.kind() == ErrorKind::Checksum => true,
            Err(e) => {
                attempt == 0
                    && ranged
                    && !ctx.store.supports_value_reader()
                    && matches!(e.kind(), ErrorKind::Corrupt | ErrorKind::Io)
            }
            Ok(()) => false,
        };
        if !retry {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(pause_ms));
        result = match fetch_shard_index(ctx.store, ctx.key, ctx.sharding) {
            Ok(Some(index)) => {
                let again = ShardRead {
                    index: Some(&index),
                    fetched: None,
                    ..*ctx
                };
                read_shard_region_from(&again, shard_shape, part, dest, workers)
            }
            Ok(None) => {
                // Erased meanwhile: the fill value.
                // SAFETY: each shard part is a distinct block of the destination.
                unsafe { dest.fill(&part.in_region, &part.shape, ctx.fill_value) };
                Ok(())
            }
            Err(_) => result,
        };
    }
    result
}

/// `read_shard_region`, one attempt.
fn read_shard_region_from(
    ctx: &ShardRead,
    shard_shape: &[u64],
    part: &ChunkPart,
    dest: &DestBuffer,
    workers: usize,
) -> Result<()> {
    let (store, key, sharding) = (ctx.store, ctx.key, ctx.sharding);
    let fill = || {
        // SAFETY: each shard part is a distinct block of the destination.
        unsafe { dest.fill(&part.in_region, &part.shape, ctx.fill_value) };
        Ok(())
    };
    let whole = part.is_whole(shard_shape);
    // One version of the shard, read by range: for a part of it, so that
    // its index and its inner chunks agree while another writer replaces
    // the shard (a store's ranged reads may each see another version); for
    // all of it, from several threads.
    let by_reader = ctx.index.is_none() && (!whole || (ctx.alone && workers >= 2));
    let reader = if by_reader && store.supports_value_reader() {
        let Some(r) = store.value_reader(key)? else {
            return fill();
        };
        Some(r)
    } else {
        None
    };
    let fetched;
    let (source, index) = match ctx.index {
        Some(index) => match ctx.fetched {
            Some((start, bytes)) => (ShardSource::Run { start, bytes }, index),
            None => (ShardSource::Ranged, index),
        },
        None => {
            let (source, index) = if let Some(reader) = &reader {
                (
                    ShardSource::Ranged,
                    index_through(&**reader, sharding, key)?,
                )
            } else if whole {
                match store.get(key)? {
                    Some(b) => {
                        let index = sharding.index_of(&b).map_err(|e| e.context(key))?;
                        (ShardSource::Whole(b), index)
                    }
                    None => return fill(),
                }
            } else {
                match fetch_shard_index(store, key, sharding)? {
                    Some(index) => (ShardSource::Ranged, index),
                    None => return fill(),
                }
            };
            fetched = index;
            (source, &fetched)
        }
    };
    let inner = sharding.inner_parts(&part.in_chunk, &part.shape)?;
    let dst_start = |ip: &ChunkPart| -> Vec<u64> {
        part.in_region
            .iter()
            .zip(&ip.in_region)
            .map(|(a, b)| a + b)
            .collect()
    };
    let inner_shape = sharding.chunk_shape();
    // How many inner chunks one task reads as a row (1: each on its own).
    let row_len = inner_row_len(dest, sharding, inner.len(), workers);
    let may_lead = |ip: &ChunkPart| dest.row_start_aligned(&dst_start(ip));
    // Read one task: a lone inner chunk, or a row of them placed together.
    let read_task = |source: &ShardSource, members: &[usize]| match members {
        [i] => {
            let (flat, ip) = &inner[*i];
            read_inner_chunk(ctx, source, index, *flat, ip, &dst_start(ip), dest)
        }
        _ => {
            let first = &inner[members[0]].1;
            read_inner_row(ctx, source, index, &inner, members, &dst_start(first), dest)
        }
    };
    if let ShardSource::Whole(_) | ShardSource::Run { .. } = source {
        let all: Vec<usize> = (0..inner.len()).collect();
        let tasks = side_by_side_tasks(&inner, &all, inner_shape, row_len, may_lead);
        return threads::for_each(workers, tasks.len(), |t| {
            read_task(&source, &all[tasks[t].clone()])
        });
    }
    // Fetch by range, one request per run of inner chunks that lie close
    // together in the shard (or through the reader, in smaller runs).
    let mut empty = Vec::new();
    let mut stored = Vec::new();
    for (i, (flat, _)) in inner.iter().enumerate() {
        match index.entry(*flat) {
            Some((offset, nbytes)) => stored.push((offset, nbytes, i)),
            None => empty.push(i),
        }
    }
    let runs = coalesce(
        stored,
        reader.as_ref().map_or(COALESCE_MAX, |_| WHOLE_SHARD_RUN),
    );
    // Place the inner chunks of one fetched run.
    let place_run = |run: &Run, bytes: &[u8]| {
        let fetched = ShardSource::Run {
            start: run.start,
            bytes,
        };
        let tasks = side_by_side_tasks(&inner, &run.members, inner_shape, row_len, may_lead);
        threads::for_each(workers, tasks.len(), |t| {
            read_task(&fetched, &run.members[tasks[t].clone()])
        })
    };
    threads::for_each(workers, empty.len() + runs.len(), |t| {
        if t < empty.len() {
            let (flat, ip) = &inner[empty[t]];
            return read_inner_chunk(ctx, &source, index, *flat, ip, &dst_start(ip), dest);
        }
        let run = &runs[t - empty.len()];
        if let Some(reader) = &reader {
            let len = (run.end - run.start) as usize;
            return with_fetched(|buf| {
                if buf.len() < len {
                    crate::alloc::resize_zeroed(buf, len)?;
                }
                reader.read_at(run.start, &mut buf[..len])?;
                place_run(run, &buf[..len])
            });
        }
        place_run(run, &fetch_run(store, key, run)?)
    })
}

/// Decode `count` chunks of `chunk_shape` (`nbytes` each once decoded)
/// that sit side by side along the last dimension, one at a time into
/// this thread's scratch (`decode(j, slot)` fills it with chunk j), and
/// place each as its part of the row of chunks at `dst_start`
/// (`ChunkRowPlacer::place`): the destination rows the chunks make together
/// stream where each chunk's would not, while the scratch holds one
/// decoded chunk and a line or two for each of its rows, however long the
/// row.
///
/// # Safety
/// Only the calling task may write the row's block of `dest`.
pub(super) unsafe fn place_decoded_row(
    dest: &DestBuffer,
    dst_start: &[u64],
    chunk_shape: &[u64],
    count: usize,
    nbytes: usize,
    mut decode: impl FnMut(usize, &mut [u8]) -> Result<()>,
) -> Result<()> {
    let mut placer = dest.chunk_row(dst_start, chunk_shape, count);
    with_scratch(nbytes + placer.holding_bytes(), |scratch| {
        let (slot, held) = scratch.split_at_mut(nbytes);
        for j in 0..count {
            decode(j, slot)?;
            // SAFETY: the caller's task alone writes the row's block, of
            // which this chunk's is part; chunks are placed in order.
            unsafe { placer.place(j, slot, held) };
        }
        Ok(())
    })
}

/// The index of the shard at `key`, read through `reader` (one version of
/// the shard) and checked against its size.
pub(super) fn index_through(
    reader: &dyn ValueReader,
    sharding: &ShardingCodec,
    key: &str,
) -> Result<ShardIndex> {
    let size = reader.size();
    let range = sharding.index_bytes(size).map_err(|e| e.context(key))?;
    let mut raw = crate::alloc::zeroed((range.end - range.start) as usize)?;
    reader.read_at(range.start, &mut raw)?;
    sharding
        .decode_index(&raw, Some(size))
        .map_err(|e| e.context(key))
}

/// The most decoded bytes one task places as a row of small chunks
/// decoded whole (`read_chunk_row_whole`), or of inner chunks of a shard.
/// The row passes through one chunk's scratch (`place_decoded_row`), so
/// this bounds the task, not memory: a longer row saves only the partial
/// lines at its two ends.
const ROW_MAX_BYTES: usize = 2 << 20;

/// How many inner chunks side by side one task reads as a row (1: each on
/// its own), when `count` inner chunks of a shard are read by `workers`:
/// only where rows stream more (`streams_more_as_row`), up to
/// `ROW_MAX_BYTES`, and while they leave two tasks per worker.
fn inner_row_len(
    dest: &DestBuffer,
    sharding: &ShardingCodec,
    count: usize,
    workers: usize,
) -> usize {
    if !dest.streams_more_as_row(sharding.chunk_shape()) {
        return 1;
    }
    (ROW_MAX_BYTES / sharding.inner().repr().nbytes().max(1))
        .min(count / (2 * workers))
        .max(1)
}

/// The parts of grid row `r` of `plan` (the chunks the region touches
/// along its last dimension, that share all other indices) and the tasks
/// that read them (ranges of the parts, see `side_by_side_tasks`).
fn grid_row_tasks(
    plan: &RegionPlan,
    r: usize,
    row_len: usize,
    dest: &DestBuffer,
) -> (Vec<(usize, ChunkPart)>, Vec<std::ops::Range<usize>>) {
    let per_row = plan.per_row();
    let parts: Vec<(usize, ChunkPart)> = (r * per_row..(r + 1) * per_row)
        .map(|i| (i, plan.part(i)))
        .collect();
    let order: Vec<usize> = (0..per_row).collect();
    let tasks = side_by_side_tasks(&parts, &order, plan.chunk_shape(), row_len, |p| {
        dest.row_start_aligned(&p.in_region)
    });
    (parts, tasks)
}

/// Split `order` (indices into `parts`: chunk parts with their flat
/// indices) into the tasks that read them, as ranges of `order`: one part
/// each, or, when `row_len` is above 1 (placing rows streams more, see
/// `streams_more_as_row`), runs of up to `row_len` whole chunks of
/// `chunk_shape` that sit side by side along the last dimension, each
/// starting at a part `may_lead` accepts (one whose destination rows start
/// 16-byte aligned, as streaming a row of chunks needs).
fn side_by_side_tasks(
    parts: &[(usize, ChunkPart)],
    order: &[usize],
    chunk_shape: &[u64],
    row_len: usize,
    may_lead: impl Fn(&ChunkPart) -> bool,
) -> Vec<std::ops::Range<usize>> {
    let side_by_side = |a: &ChunkPart, b: &ChunkPart| {
        let n = chunk_shape.len();
        a.is_whole(chunk_shape)
            && b.is_whole(chunk_shape)
            && a.chunk[..n - 1] == b.chunk[..n - 1]
            && a.chunk[n - 1] + 1 == b.chunk[n - 1]
    };
    let mut tasks: Vec<std::ops::Range<usize>> = Vec::with_capacity(order.len());
    for k in 0..order.len() {
        if let Some(t) = tasks.last_mut() {
            if t.len() < row_len
                && side_by_side(&parts[order[k - 1]].1, &parts[order[k]].1)
                && (t.len() > 1 || may_lead(&parts[order[t.start]].1))
            {
                t.end = k + 1;
                continue;
            }
        }
        tasks.push(k..k + 1);
    }
    tasks
}

/// Inner chunks closer than this in a shard are fetched with one request.
pub(super) const COALESCE_GAP: u64 = 16 << 10;
/// Runs stop growing at this size, to keep requests parallel (unless
/// `WHOLE_SHARD_RUN` applies).
pub(super) const COALESCE_MAX: u64 = 16 << 20;

/// A byte range of a shard and the inner chunks (indices into the part
/// list) it holds.
pub(super) struct Run {
    pub(super) start: u64,
    pub(super) end: u64,
    pub(super) members: Vec<usize>,
}

/// The bytes of one run of a shard, exactly (a host's store may hand back
/// another length: never sliced past).
pub(super) fn fetch_run(store: &dyn Store, key: &str, run: &Run) -> Result<Vec<u8>> {
    let bytes = store
        .get_range(key, ByteRange::new(run.start, run.end - run.start))
        .map_err(|e| e.context(key))?
        .ok_or_else(|| crate::error::corrupt(format!("{key}: shard vanished during the read")))?;
    if bytes.len() as u64 != run.end - run.start {
        return Err(crate::error::corrupt(format!(
            "{key}: got {} bytes of the shard, {} were asked for",
            bytes.len(),
            run.end - run.start
        )));
    }
    Ok(bytes)
}

/// Group (offset, nbytes, part) entries into runs of nearby bytes.
pub(super) fn coalesce(mut entries: Vec<(u64, u64, usize)>, max: u64) -> Vec<Run> {
    entries.sort_unstable();
    let mut runs: Vec<Run> = Vec::new();
    for (offset, nbytes, i) in entries {
        let end = offset + nbytes;
        if let Some(r) = runs.last_mut() {
            if offset <= r.end.saturating_add(COALESCE_GAP) && end.max(r.end) - r.start <= max {
                r.end = r.end.max(end);
                r.members.push(i);
                continue;
            }
        }
        runs.push(Run {
            start: offset,
            end,
            members: vec![i],
        });
    }
    runs
}

/// An inner chunk's encoded bytes: borrowed from the fetched shard or run,
/// or fetched by range. None when the index lists the chunk as empty.
fn inner_chunk_bytes<'s>(
    ctx: &ShardRead,
    source: &'s ShardSource,
    index: &ShardIndex,
    flat: usize,
    ip: &ChunkPart,
) -> Result<Option<std::borrow::Cow<'s, [u8]>>> {
    let key = ctx.key;
    let Some((offset, nbytes)) = index.entry(flat) else {
        return Ok(None);
    };
    Ok(Some(match source {
        ShardSource::Whole(b) => b[offset as usize..(offset + nbytes) as usize].into(),
        ShardSource::Run { start, bytes } => {
            // A run holds the inner chunks it was fetched for; one it does
            // not hold is a caller's mistake, not a reason to panic.
            let at = offset.checked_sub(*start).map(|o| o as usize);
            match at.and_then(|o| bytes.get(o..o.checked_add(nbytes as usize)?)) {
                Some(b) => b.into(),
                None => {
                    return Err(crate::error::internal(format!(
                        "{}: not in the fetched bytes",
                        inner_chunk_name(key, ip)
                    )))
                }
            }
        }
        ShardSource::Ranged => {
            let fetched = ctx
                .store
                .get_range(key, ByteRange::new(offset, nbytes))
                .map_err(|e| e.context(inner_chunk_name(key, ip)))?
                .ok_or_else(|| {
                    crate::error::corrupt(format!("{key}: shard vanished during the read"))
                })?;
            if fetched.len() as u64 != nbytes {
                return Err(crate::error::corrupt(format!(
                    "{key}: inner chunk {:?}: got {} bytes, the index says {nbytes}",
                    ip.chunk,
                    fetched.len()
                )));
            }
            fetched.into()
        }
    }))
}

/// How errors name an inner chunk of the shard at `key`.
pub(super) fn inner_chunk_name(key: &str, ip: &ChunkPart) -> String {
    format!("{key}: inner chunk {:?}", ip.chunk)
}

/// Read whole inner chunks that sit side by side along the last dimension
/// (`members`, indices into `inner`, in order) one after another, each
/// decoded into this thread's scratch and placed as its part of the row of
/// chunks, so that the destination's rows are written whole
/// (`place_decoded_row`). The source holds the bytes (a whole shard or a fetched run): nothing is
/// fetched while the decode gate is held.
fn read_inner_row(
    ctx: &ShardRead,
    source: &ShardSource,
    index: &ShardIndex,
    inner: &[(usize, ChunkPart)],
    members: &[usize],
    dst_start: &[u64],
    dest: &DestBuffer,
) -> Result<()> {
    debug_assert!(!matches!(source, ShardSource::Ranged));
    let codecs = ctx.sharding.inner();
    let nbytes = codecs.repr().nbytes();
    let decode = |j: usize, slot: &mut [u8]| {
        let (flat, ip) = &inner[members[j]];
        match inner_chunk_bytes(ctx, source, index, *flat, ip)? {
            Some(bytes) => codecs
                .decode_into(&bytes, slot)
                .map_err(|e| e.context(inner_chunk_name(ctx.key, ip))),
            None => {
                crate::strided::fill_slice(slot, ctx.fill_value);
                Ok(())
            }
        }
    };
    let shape = ctx.sharding.chunk_shape();
    // SAFETY: this task alone writes these inner chunks' blocks, which
    // together are the row's block.
    ctx.gate
        .run(|| unsafe { place_decoded_row(dest, dst_start, shape, members.len(), nbytes, decode) })
}

fn read_inner_chunk(
    ctx: &ShardRead,
    source: &ShardSource,
    index: &ShardIndex,
    flat: usize,
    ip: &ChunkPart,
    dst_start: &[u64],
    dest: &DestBuffer,
) -> Result<()> {
    let (key, sharding) = (ctx.key, ctx.sharding);
    let Some(bytes) = inner_chunk_bytes(ctx, source, index, flat, ip)? else {
        // SAFETY: each inner chunk part is a distinct block of the region.
        unsafe { dest.fill(dst_start, &ip.shape, ctx.fill_value) };
        return Ok(());
    };
    let bytes: &[u8] = &bytes;
    let inner = sharding.inner();
    let err_ctx = |e: crate::error::Error| e.context(inner_chunk_name(key, ip));
    ctx.gate.run(|| {
        if ip.is_whole(sharding.chunk_shape()) {
            // SAFETY: this task alone writes this inner chunk's block.
            if let Some(block) = unsafe { dest.contiguous_block(dst_start, &ip.shape) } {
                return inner.decode_into(bytes, block).map_err(err_ctx);
            }
        }
        with_scratch(inner.repr().nbytes(), |decoded| {
            // SAFETY: this task alone writes this inner chunk's block.
            unsafe { decode_and_place(inner, bytes, decoded, dest, dst_start, ip) }.map_err(err_ctx)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::region::RegionPlan;
    use crate::store::MemoryStore;
    use std::sync::Arc;

    fn array(shape: [u64; 3], chunks: [u64; 3], codecs: serde_json::Value) -> Array {
        let meta = serde_json::json!({
            "zarr_format": 3, "node_type": "array", "shape": shape, "data_type": "uint16",
            "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": chunks}},
            "chunk_key_encoding": {"name": "default"}, "fill_value": 0, "codecs": codecs
        });
        Array::create(Arc::new(MemoryStore::new()), "a", &meta.to_string()).unwrap()
    }

    /// The tasks the parts of grid row 0 of a read of `start`/`shape` into
    /// `dest` split into.
    fn row_tasks(
        a: &Array,
        dest: &DestBuffer,
        start: &[u64],
        shape: &[u64],
    ) -> Vec<std::ops::Range<usize>> {
        let plan = RegionPlan::new(a.chunk_shape(), start, shape);
        grid_row_tasks(&plan, 0, a.chunk_row_len(dest), dest).1
    }

    #[test]
    fn rows_of_chunks_are_read_where_they_stream_more() {
        // The geometry of fast_paths' compressed rows test: 4 MiB zstd
        // chunks, three side by side.
        let le = serde_json::json!({"name": "bytes", "configuration": {"endian": "little"}});
        let zstd = serde_json::json!({"name": "zstd", "configuration": {"level": 1}});
        let shape = [32u64, 256, 3072];
        let z = array(shape, [16, 128, 1024], serde_json::json!([le, zstd]));
        let u = array(shape, [16, 128, 1024], serde_json::json!([le]));
        let small_z = array(shape, [8, 128, 1024], serde_json::json!([le, zstd]));
        let len = 32 * 256 * 3072 * 2;
        let mut space = vec![0u8; len + 128];
        let line = (space.as_ptr() as usize).next_multiple_of(64) - space.as_ptr() as usize;
        {
            let off = DestBuffer::new(
                &mut space[line + 16..line + 16 + len],
                Layout::c_order(&shape, 2),
            );
            assert_eq!(z.chunk_row_len(&off), ROW_DECODERS_MAX);
            assert_eq!(u.chunk_row_len(&off), ROW_CHUNKS_MAX);
            assert_eq!(small_z.chunk_row_len(&off), 1, "2 MiB chunks decode whole");
            let tasks = row_tasks(&z, &off, &[0, 0, 0], &shape);
            assert_eq!(
                (tasks.len(), tasks[0].clone()),
                (1, 0..3),
                "one row of three"
            );
        }
        {
            let on = DestBuffer::new(&mut space[line..line + len], Layout::c_order(&shape, 2));
            assert_eq!(z.chunk_row_len(&on), 1, "aligned rows stream whole");
            assert_eq!(u.chunk_row_len(&on), 1);
        }
        // Shards as in fast_paths' inner-chunk rows test: 64-wide inner
        // chunks of 80 KiB, a row of eight per shard.
        let sharded = array(
            [40, 512, 1000],
            [20, 256, 512],
            serde_json::json!([{"name": "sharding_indexed", "configuration": {
                "chunk_shape": [10, 64, 64], "codecs": [le, zstd]}}]),
        );
        let sharding = sharded.codecs().sharding().unwrap();
        // (Destinations of 1024-wide rows: at a line, every row starts on one.)
        let s_len = 40 * 512 * 1024 * 2;
        let s_shape = [40u64, 512, 1024];
        for (at, whole_rows) in [(line + 16, true), (line, false)] {
            let dest = DestBuffer::new(&mut space[at..at + s_len], Layout::c_order(&s_shape, 2));
            let len = inner_row_len(&dest, sharding, 64, 3);
            assert_eq!(len >= 8, whole_rows, "offset {at}: {len}");
            assert!(whole_rows || len == 1);
        }
        // A region from x = 3: the whole chunks' rows start 6 bytes past 16.
        let cut = [32u64, 256, 3069];
        let off = DestBuffer::new(
            &mut space[line + 16..line + 16 + len - 6],
            Layout::c_order(&cut, 2),
        );
        assert_eq!(row_tasks(&z, &off, &[0, 0, 3], &cut), [0..1, 1..2, 2..3]);
    }
}
