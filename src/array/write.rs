//! The write path: region -> chunks -> one task per chunk: assemble the new
//! chunk (straight from the source when the region covers it, else merged
//! with the stored chunk), then store it, or erase it when it equals the
//! fill value.

use super::Array;
use crate::codec::sharding::ShardingCodec;
use crate::codec::{all_equal_to, all_fill, ChunkRepr};
use crate::dtype::DataType;
use crate::error::{invalid_argument, Result};
use crate::region::{check_region, ChunkPart, RegionPlan};
use crate::scratch::with_scratch;
use crate::store::ByteRange;
use crate::strided::{Layout, SourceBuffer};
use crate::threads;
use std::borrow::Cow;
use std::sync::OnceLock;

/// The most bytes of side-by-side slots of a dense shard one request
/// patches.
const PATCH_RUN_MAX: u64 = 1 << 20;
/// The most bytes of encoded slots a patch holds before it writes them.
const PATCH_HOLD_MAX: u64 = 64 << 20;

/// The outcome of an attempt to patch a shard in place.
enum Patch {
    Done,
    /// No shard is stored yet.
    Absent,
    /// The stored shard is not laid out densely.
    NotDense,
}

/// What a write puts into one chunk part.
#[derive(Clone, Copy)]
pub(super) enum Content<'a> {
    /// A block of the caller's buffer.
    Source(&'a SourceBuffer<'a>),
    /// One element value everywhere.
    Scalar(&'a [u8]),
}

impl Array {
    /// Write the region `start..start+shape` from `src`, whose layout is
    /// given by element `strides` (None = C order).
    pub fn write_region(
        &self,
        start: &[u64],
        shape: &[u64],
        src: &[u8],
        strides: Option<&[i64]>,
    ) -> Result<()> {
        self.check_fixed_size()?;
        check_region(self.shape(), start, shape)?;
        let layout = Layout::new(shape, strides, self.elem(), src.len())?;
        self.check_elements(src, &layout, shape)?;
        let source = SourceBuffer::new(src, layout);
        if self.is_rectilinear() {
            return self.write_rectilinear(start, shape, Content::Source(&source));
        }
        // Chunk by chunk from the plan, as a fill does: tiny chunks would
        // make a list of parts many times the caller's buffer.
        let plan = RegionPlan::new(self.chunk_shape(), start, shape);
        threads::for_each(self.threads(), plan.checked_len()?, |i| {
            self.write_part(&plan.part(i), Content::Source(&source), None)
        })
    }

    /// Set every element of the region to `value` (one element, native
    /// byte order; for `string` and `variable_length_bytes` arrays, one
    /// item). Fully covered chunks share one encoding of the value.
    pub fn fill_region(&self, start: &[u64], shape: &[u64], value: &[u8]) -> Result<()> {
        if self.data_type().is_variable_length() {
            return self.fill_strings(start, shape, value);
        }
        self.check_fixed_size()?;
        check_region(self.shape(), start, shape)?;
        if value.len() != self.elem() {
            return Err(invalid_argument(format!(
                "fill value is {} bytes, an element of {} is {}",
                value.len(),
                self.data_type().name(),
                self.elem()
            )));
        }
        self.check_elements(value, &Layout::c_order(&[1], self.elem()), &[1])?;
        if self.is_rectilinear() {
            return self.write_rectilinear(start, shape, Content::Scalar(value));
        }
        // Chunk by chunk from the plan: a fill has no buffer bounding how
        // many chunks its region touches.
        let plan = RegionPlan::new(self.chunk_shape(), start, shape);
        let shared: OnceLock<Result<Option<Vec<u8>>>> = OnceLock::new();
        threads::for_each(self.threads(), plan.checked_len()?, |i| {
            self.write_part(&plan.part(i), Content::Scalar(value), Some(&shared))
        })
    }

    /// Write one whole chunk (full chunk shape, C order).
    pub fn write_chunk(&self, indices: &[u64], data: &[u8]) -> Result<()> {
        if self.is_rectilinear() {
            return self.write_chunk_rectilinear(indices, data);
        }
        self.check_fixed_size()?;
        self.check_chunk_indices(indices)?;
        let n = self.chunk_repr().nbytes();
        if data.len() != n {
            return Err(invalid_argument(format!(
                "a chunk is {n} bytes, {} were given",
                data.len()
            )));
        }
        let shape = &self.chunk_repr().shape;
        self.check_elements(data, &Layout::c_order(shape, self.elem()), shape)?;
        self.store_chunk(indices, data)
    }

    /// Refuse, before any chunk changes, a write of elements the data
    /// type does not allow: the `shape` elements at `layout` in `src`
    /// (an `optional` element's validity bytes must be 0 or 1). Other
    /// types take any bytes.
    pub(super) fn check_elements(&self, src: &[u8], layout: &Layout, shape: &[u64]) -> Result<()> {
        let DataType::Optional(t) = self.data_type() else {
            return Ok(());
        };
        let mut first_error = None;
        crate::region::for_each_index(shape, |index| {
            if first_error.is_none() {
                let at = layout.offset(index);
                first_error = t.check_element(&src[at..at + layout.elem()]).err();
            }
        });
        first_error.map_or(Ok(()), Err)
    }

    /// Remove one chunk; it then reads as the fill value.
    pub fn erase_chunk(&self, indices: &[u64]) -> Result<()> {
        self.check_chunk_indices(indices)?;
        self.store().erase(&self.chunk_key(indices))
    }

    /// Encode and store a whole decoded chunk, or erase it when every
    /// element equals the fill value.
    fn store_chunk(&self, indices: &[u64], data: &[u8]) -> Result<()> {
        self.store_chunk_as(indices, data, false)
    }

    /// `store_chunk`, of `data` already in the layout the codecs'
    /// `transpose`s give it when `transposed` (`CodecChain::
    /// encode_transposed`). Whether every element equals the fill value
    /// does not depend on the layout.
    fn store_chunk_as(&self, indices: &[u64], data: &[u8], transposed: bool) -> Result<()> {
        let chain = self.codecs();
        if chain.is_passthrough() {
            // The stored bytes are the decoded bytes: no copy.
            return self.store_chunk_parts(indices, &[data]);
        }
        let key = self.chunk_key(indices);
        if all_fill(data, self.fill_value(), self.data_type()) {
            return self.store().erase(&key);
        }
        let encoded = if transposed {
            chain.encode_transposed(data)
        } else {
            chain.encode(data)
        };
        self.store()
            .set(&key, &encoded.map_err(|e| e.context(&key))?)
    }

    /// `store_chunk` of a chunk stored as its decoded bytes (a pass-through
    /// chain), given as its C-order runs (one run when it is contiguous, or
    /// runs where they lie in the caller's buffer, which the store takes
    /// without a gathered copy).
    fn store_chunk_parts(&self, indices: &[u64], parts: &[&[u8]]) -> Result<()> {
        let key = self.chunk_key(indices);
        if parts.iter().all(|p| all_equal_to(p, self.fill_value())) {
            return self.store().erase(&key);
        }
        self.store().set_parts(&key, parts)
    }

    /// True when the part covers every in-bounds element of its chunk.
    fn covers_chunk(&self, part: &ChunkPart) -> bool {
        part.in_chunk.iter().all(|&o| o == 0) && part.shape == self.chunk_extent(&part.chunk)
    }

    pub(super) fn write_part(
        &self,
        part: &ChunkPart,
        content: Content,
        shared: Option<&OnceLock<Result<Option<Vec<u8>>>>>,
    ) -> Result<()> {
        let repr = self.chunk_repr();
        let covered = self.covers_chunk(part);
        let sharded = self.codecs().sharding().is_some();
        if covered {
            match content {
                Content::Source(src) => {
                    if part.is_whole(&repr.shape) && !sharded {
                        if let Some(block) = src.contiguous_block(&part.in_region, &part.shape) {
                            return self.store_chunk(&part.chunk, block);
                        }
                    }
                }
                Content::Scalar(value) => {
                    // An edge chunk holds the fill value past the extent,
                    // so it cannot share a whole chunk of the value.
                    if let (Some(shared), true) = (shared, part.is_whole(&repr.shape)) {
                        return self.store_shared_fill(part, value, &repr, shared);
                    }
                }
            }
        }
        if let Some(sharding) = self.codecs().sharding() {
            let key = self.chunk_key(&part.chunk);
            let edit = RegionEdit {
                array: self,
                sharding,
                part,
                content,
                plan: RegionPlan::new(sharding.chunk_shape(), &part.in_chunk, &part.shape),
                key: &key,
            };
            return self.write_shard(sharding, &part.chunk, &edit, covered);
        }
        if covered && part.is_whole(&repr.shape) {
            if let (Content::Source(src), Some(strides)) =
                (content, self.codecs().transposed_strides())
            {
                // Gathered straight into the layout the `transpose` codecs
                // give the chunk: the permutation costs no pass of its own.
                return with_scratch(repr.nbytes(), |chunk| {
                    src.copy_to_view(&part.in_region, chunk, strides, &part.in_chunk, &part.shape);
                    self.store_chunk_as(&part.chunk, chunk, true)
                });
            }
            if let Content::Source(src) = content {
                let min_run = self.store().min_part_len();
                if let (true, Some(min_run)) = (self.codecs().is_passthrough(), min_run) {
                    if let Some(runs) = src.c_order_runs(&part.in_region, &part.shape, min_run) {
                        return self.store_chunk_parts(&part.chunk, &runs);
                    }
                }
            }
            // Every element comes from the content: gather it into this
            // thread's reused buffer rather than a fresh, fill-initialised
            // chunk (whose first touch costs as much as the copy).
            return with_scratch(repr.nbytes(), |chunk| {
                place(
                    chunk,
                    &repr.shape,
                    &part.in_region,
                    &part.in_chunk,
                    &part.shape,
                    content,
                )?;
                self.store_chunk(&part.chunk, chunk)
            });
        }
        let mut chunk = if covered {
            repr.filled()?
        } else {
            self.load_chunk(&part.chunk, &repr)?
        };
        place(
            &mut chunk,
            &repr.shape,
            &part.in_region,
            &part.in_chunk,
            &part.shape,
            content,
        )?;
        self.store_chunk(&part.chunk, &chunk)
    }

    /// Write the inner chunks `edit` touches of the shard at `chunk`
    /// (`covered`: all of them, wholly). With a dense shard layout and a
    /// store that writes byte ranges, only the touched inner chunks' slots
    /// are patched in place; otherwise the shard is rewritten whole.
    pub(super) fn write_shard(
        &self,
        sharding: &ShardingCodec,
        chunk: &[u64],
        edit: &dyn ShardEdit,
        covered: bool,
    ) -> Result<()> {
        let store = self.store();
        if covered || sharding.slot_size().is_none() || !store.supports_set_range() {
            return self
                .rewrite_shard(sharding, chunk, edit, covered, false)
                .map(|_| ());
        }
        match self.patch_shard(sharding, chunk, edit)? {
            Patch::Done => return Ok(()),
            Patch::NotDense => {}
            Patch::Absent if store.supports_set_if_absent() => {
                // Allocate the dense shard; when another writer got there
                // first, patch the shard it made.
                if self.rewrite_shard(sharding, chunk, edit, false, true)? {
                    return Ok(());
                }
                if let Patch::Done = self.patch_shard(sharding, chunk, edit)? {
                    return Ok(());
                }
            }
            Patch::Absent => {
                // No create-if-absent: writers in this process take turns
                // allocating the shard, each looking again once it is its
                // turn, so none replaces a shard another made and patched.
                // (Writers in other processes still race.)
                // The turn is held across store requests only, on this
                // thread alone: nothing in it waits for the pool's other
                // workers, which may be waiting for the turn.
                let _turn = CreationTurn::take(store.as_ref(), &self.chunk_key(chunk));
                return threads::sequentially(|| {
                    if let Patch::Done = self.patch_shard(sharding, chunk, edit)? {
                        return Ok(());
                    }
                    self.rewrite_shard(sharding, chunk, edit, false, false)
                        .map(|_| ())
                });
            }
        }
        self.rewrite_shard(sharding, chunk, edit, false, false)
            .map(|_| ())
    }

    /// Patch the touched inner chunks of a dense shard in place.
    fn patch_shard(
        &self,
        sharding: &ShardingCodec,
        chunk: &[u64],
        edit: &dyn ShardEdit,
    ) -> Result<Patch> {
        let key = self.chunk_key(chunk);
        let store = self.store();
        let Some(index) = super::read::fetch_shard_index(store.as_ref(), &key, sharding)? else {
            return Ok(Patch::Absent);
        };
        if !sharding.is_dense(&index) {
            return Ok(Patch::NotDense);
        }
        // A dense shard has exactly its slots and its index; anything else is
        // a damaged shard, which a patch must not paper over.
        let expected =
            sharding.index_size() + sharding.slot_size().unwrap_or(0) * index.len() as u64;
        match store.size(&key)? {
            Some(size) if size == expected => {}
            Some(size) => {
                return Err(crate::error::corrupt(format!(
                    "{key}: shard is {size} bytes, its index describes {expected}"
                )))
            }
            None => return Ok(Patch::Absent),
        }
        let touched = edit.touched()?;
        debug_assert!(touched.windows(2).all(|w| w[0] < w[1]));
        let slot = sharding.slot_size().unwrap_or(0);
        // Touched inner chunks side by side in the shard are patched
        // together, written back with one request.
        let runs = side_by_side(&touched, (PATCH_RUN_MAX / slot.max(1)).max(1) as usize);
        // Runs are encoded a group at a time (at most `PATCH_HOLD_MAX`
        // bytes held), every run of a group before any is written: an
        // inner chunk that cannot be encoded (a value out of a codec's
        // range) fails the write with the shard as it was.
        let groups = side_by_side_groups(&runs, (PATCH_HOLD_MAX / PATCH_RUN_MAX) as usize);
        let encode_group = |group: &std::ops::Range<usize>| {
            threads::map(self.threads(), group.len(), |g| {
                let flats = &touched[runs[group.start + g].clone()];
                // is_dense checked that every slot is present.
                let Some((start, _)) = index.entry(flats[0]) else {
                    return Err(crate::error::internal(format!(
                        "{key}: dense shard without slot {}",
                        flats[0]
                    )));
                };
                // The stored slots of the inner chunks the edit merges
                // into, side by side ones with one request.
                let merged: Vec<usize> = (0..flats.len())
                    .filter(|&k| edit.needs_stored(flats[k]))
                    .collect();
                // (fetched run, slot's offset in it) of each merged slot.
                let mut fetched: Vec<Vec<u8>> = Vec::new();
                let mut stored: Vec<Option<(usize, usize)>> = vec![None; flats.len()];
                for r in side_by_side(&merged, usize::MAX) {
                    let (first, count) = (merged[r.start] as u64, r.len() as u64);
                    let range = ByteRange::new(start + first * slot, count * slot);
                    let Some(bytes) = store.get_range(&key, range)? else {
                        continue;
                    };
                    if bytes.len() as u64 != count * slot {
                        return Err(crate::error::corrupt(format!(
                            "{key}: got {} bytes of the shard, {} were asked for",
                            bytes.len(),
                            count * slot
                        )));
                    }
                    for (j, &k) in merged[r].iter().enumerate() {
                        stored[k] = Some((fetched.len(), j * slot as usize));
                    }
                    fetched.push(bytes);
                }
                let mut patched =
                    crate::alloc::with_capacity((slot * flats.len() as u64) as usize)?;
                for (k, flat) in flats.iter().enumerate() {
                    // A slot not fetched above is fetched on its own, should
                    // the edit ask for it after all.
                    let prior = || match merged.binary_search(&k) {
                        Ok(_) => Ok(
                            stored[k].map(|(r, at)| fetched[r][at..at + slot as usize].to_vec())
                        ),
                        Err(_) => {
                            let at = start + k as u64 * slot;
                            store.get_range(&key, ByteRange::new(at, slot))
                        }
                    };
                    let (bytes, _) = edit.encode(*flat, &prior)?;
                    // Never write past the slot: that would damage the
                    // neighbour.
                    match bytes {
                        Some(b) if b.len() as u64 == slot => patched.extend_from_slice(&b),
                        other => {
                            return Err(crate::error::internal(format!(
                            "{key}: inner chunk {flat} encoded to {} bytes, its slot holds {slot}",
                            other.map_or(0, |b| b.len())
                        )))
                        }
                    }
                }
                Ok((start, patched))
            })
        };
        if groups.len() > 1 {
            // More than can be held: every inner chunk is encoded once
            // first, so that none is written unless all can be.
            for group in &groups {
                encode_group(group)?;
            }
        }
        for group in &groups {
            let patched = encode_group(group)?;
            threads::for_each(self.threads(), patched.len(), |r| {
                let (start, bytes) = &patched[r];
                store.set_range(&key, *start, bytes)
            })?;
        }
        Ok(Patch::Done)
    }

    /// Rewrite one shard whole: inner chunks the region does not touch keep
    /// their stored bytes; touched ones are encoded from the content
    /// (merged with the stored inner chunk when partly covered), in
    /// parallel. With `create_only` the shard is known to be absent and is
    /// created only if still absent; returns false when it appeared first.
    fn rewrite_shard(
        &self,
        sharding: &ShardingCodec,
        chunk: &[u64],
        edit: &dyn ShardEdit,
        covered: bool,
        create_only: bool,
    ) -> Result<bool> {
        let key = self.chunk_key(chunk);
        let existing = if covered || create_only {
            None
        } else {
            match self.store().get(&key)? {
                Some(b) => {
                    let index = sharding.index_of(&b).map_err(|e| e.context(&key))?;
                    Some((b, index))
                }
                None => None,
            }
        };
        let n_inner = sharding.chunks_per_shard().iter().product::<u64>() as usize;
        let stored = |flat: usize| -> Option<&[u8]> {
            let (b, index) = existing.as_ref()?;
            index
                .entry(flat)
                .map(|(o, n)| &b[o as usize..(o + n) as usize])
        };
        // Per inner chunk: its bytes, and whether it holds only the fill
        // value (None: an untouched one, not yet looked at). Untouched ones
        // are borrowed, from the stored shard or the one encoded fill
        // chunk: only the shard assembled from them is allocated whole.
        let encoded = threads::map(self.threads(), n_inner, |flat| {
            match edit.touches(flat) {
                false => match stored(flat) {
                    Some(b) => Ok((Some(Cow::Borrowed(b)), None)),
                    // Dense shards keep a slot for every inner chunk.
                    None if sharding.slot_size().is_some() => {
                        Ok((Some(Cow::Borrowed(sharding.encoded_fill()?)), Some(true)))
                    }
                    None => Ok((None, Some(true))),
                },
                true => edit
                    .encode(flat, &|| stored(flat).map(crate::alloc::copied).transpose())
                    .map(|(b, fill)| (b.map(Cow::Owned), Some(fill))),
            }
        })?;
        // Whether the shard now holds only the fill value: untouched inner
        // chunks are decoded to tell only when every touched one does.
        let mut all_fill = encoded.iter().all(|(_, fill)| *fill != Some(false));
        for (bytes, _) in encoded.iter().filter(|(_, fill)| fill.is_none()) {
            if !all_fill {
                break;
            }
            all_fill = sharding.stored_is_fill(bytes.as_deref())?;
        }
        if all_fill {
            // Every inner chunk holds the fill value: the shard is not stored.
            if !create_only {
                self.store().erase(&key)?;
            }
            return Ok(true);
        }
        let chunks: Vec<Option<Cow<[u8]>>> = encoded.into_iter().map(|(b, _)| b).collect();
        let shard = sharding.assemble(&chunks).map_err(|e| e.context(&key))?;
        if create_only {
            self.store().set_if_absent(&key, &shard)
        } else {
            self.store().set(&key, &shard).map(|_| true)
        }
    }

    /// Encode one touched inner chunk: straight from the source when the
    /// part covers it, else merged into the stored inner chunk (fetched by
    /// `stored`) or into the fill value.
    #[allow(clippy::too_many_arguments)]
    fn encode_inner_part(
        &self,
        sharding: &ShardingCodec,
        part: &ChunkPart,
        flat: usize,
        ip: &ChunkPart,
        content: Content,
        stored: &dyn Fn() -> Result<Option<Vec<u8>>>,
        key: &str,
    ) -> Result<(Option<Vec<u8>>, bool)> {
        let inner_shape = sharding.chunk_shape();
        let inner_idx = unflatten(flat, sharding.chunks_per_shard());
        let src_start: Vec<u64> = part
            .in_region
            .iter()
            .zip(&ip.in_region)
            .map(|(a, b)| a + b)
            .collect();
        let covers_inner = self.covers_inner(sharding, part, flat, ip);
        if covers_inner && ip.shape == inner_shape {
            if let Content::Source(src) = content {
                if let Some(block) = src.contiguous_block(&src_start, &ip.shape) {
                    return sharding.encode_inner(block);
                }
            }
        }
        if covers_inner && ip.shape == inner_shape {
            // Every element comes from the content: gather it into this
            // thread's reused buffer.
            return with_scratch(sharding.inner().repr().nbytes(), |buf| {
                place(
                    buf,
                    inner_shape,
                    &src_start,
                    &ip.in_chunk,
                    &ip.shape,
                    content,
                )?;
                sharding.encode_inner(buf)
            });
        }
        let previous = if covers_inner { None } else { stored()? };
        let mut buf = match previous {
            Some(bytes) => sharding
                .inner()
                .decode(&bytes)
                .map_err(|e| e.context(format!("{key}: inner chunk {inner_idx:?}")))?,
            None => sharding.inner().repr().filled()?,
        };
        place(
            &mut buf,
            inner_shape,
            &src_start,
            &ip.in_chunk,
            &ip.shape,
            content,
        )?;
        sharding.encode_inner(&buf)
    }

    /// Whether `ip`, the part of inner chunk `flat` a region's `part` of a
    /// shard covers, is every in-bounds element of it (edge shards clip
    /// inner chunks).
    fn covers_inner(
        &self,
        sharding: &ShardingCodec,
        part: &ChunkPart,
        flat: usize,
        ip: &ChunkPart,
    ) -> bool {
        let inner_shape = sharding.chunk_shape();
        let inner_idx = unflatten(flat, sharding.chunks_per_shard());
        ip.in_chunk.iter().all(|&o| o == 0)
            && (0..inner_shape.len()).all(|d| {
                let origin = part.chunk[d] * self.chunk_shape()[d] + inner_idx[d] * inner_shape[d];
                ip.shape[d] == inner_shape[d].min(self.shape()[d].saturating_sub(origin))
            })
    }

    /// The stored chunk decoded, or the fill value when absent.
    fn load_chunk(&self, indices: &[u64], repr: &ChunkRepr) -> Result<Vec<u8>> {
        let key = self.chunk_key(indices);
        match self.store().get(&key)? {
            Some(b) => self.codecs().decode(&b).map_err(|e| e.context(&key)),
            None => repr.filled(),
        }
    }

    fn store_shared_fill(
        &self,
        part: &ChunkPart,
        value: &[u8],
        repr: &ChunkRepr,
        shared: &OnceLock<Result<Option<Vec<u8>>>>,
    ) -> Result<()> {
        let key = self.chunk_key(&part.chunk);
        let encoded = shared.get_or_init(|| {
            if all_fill(value, self.fill_value(), self.data_type()) {
                Ok(None)
            } else {
                let chunk = crate::codec::fill_bytes(value, repr.num_elements() as usize)?;
                self.codecs().encode(&chunk).map(Some)
            }
        });
        match encoded {
            Ok(Some(bytes)) => self.store().set(&key, bytes),
            Ok(None) => self.store().erase(&key),
            Err(e) => Err(e.clone().context(&key)),
        }
    }
}

/// A writer's turn to allocate the shard at one key on a store that
/// cannot create a value only where none is: while one writer in this
/// process holds it, others for that key wait. Keys are the store's
/// storage (`Store::storage_id`) and the key, so unrelated shards never
/// wait on each other.
struct CreationTurn {
    id: String,
}

/// The keys whose turn is taken, and the waiters for them.
struct Turns {
    /// The process the turns were taken in: a forked child has none of
    /// the threads that hold them.
    pid: u32,
    taken: std::collections::HashSet<String>,
}

fn creation_turns() -> &'static (std::sync::Mutex<Turns>, std::sync::Condvar) {
    static TURNS: OnceLock<(std::sync::Mutex<Turns>, std::sync::Condvar)> = OnceLock::new();
    TURNS.get_or_init(|| {
        // A child must not find the lock held by a thread it does not have.
        crate::fork_held::hold_across_fork::<Turns>();
        let turns = Turns {
            pid: std::process::id(),
            taken: Default::default(),
        };
        (std::sync::Mutex::new(turns), std::sync::Condvar::new())
    })
}

impl crate::fork_held::HeldAcrossFork for Turns {
    fn fork_lock() -> &'static std::sync::Mutex<Turns> {
        &creation_turns().0
    }
}

fn lock_turns() -> std::sync::MutexGuard<'static, Turns> {
    let mut turns = creation_turns().0.lock().unwrap_or_else(|e| e.into_inner());
    if turns.pid != std::process::id() {
        // A forked child: the turns were held by the parent's threads.
        turns.taken.clear();
        turns.pid = std::process::id();
    }
    turns
}

impl CreationTurn {
    fn take(store: &dyn crate::store::Store, key: &str) -> CreationTurn {
        let id = format!("{:x}/{key}", store.storage_id());
        let freed = &creation_turns().1;
        let mut turns = lock_turns();
        while turns.taken.contains(&id) {
            turns = freed.wait(turns).unwrap_or_else(|e| e.into_inner());
        }
        turns.taken.insert(id.clone());
        CreationTurn { id }
    }
}

impl Drop for CreationTurn {
    fn drop(&mut self) {
        lock_turns().taken.remove(&self.id);
        creation_turns().1.notify_all();
    }
}

/// What a write puts into the inner chunks of one shard it touches.
pub(super) trait ShardEdit: Sync {
    /// Whether inner chunk `flat` is touched.
    fn touches(&self, flat: usize) -> bool;
    /// The touched inner chunks, in increasing order.
    fn touched(&self) -> Result<Vec<usize>>;
    /// Whether encoding touched inner chunk `flat` reads what it holds now
    /// (it is not wholly overwritten).
    fn needs_stored(&self, flat: usize) -> bool;
    /// The new encoded bytes of touched inner chunk `flat` (None: not
    /// stored), and whether it holds only the fill value; `stored` fetches
    /// what it holds now, where the edit needs that.
    fn encode(
        &self,
        flat: usize,
        stored: &dyn Fn() -> Result<Option<Vec<u8>>>,
    ) -> Result<(Option<Vec<u8>>, bool)>;
}

/// A region's part of a shard: the inner chunks it touches take its
/// content.
struct RegionEdit<'a> {
    array: &'a Array,
    sharding: &'a ShardingCodec,
    part: &'a ChunkPart,
    content: Content<'a>,
    /// The touched inner chunks, found by arithmetic, not listed: a list
    /// holds a part per inner chunk the region touches, which tiny inner
    /// chunks make as many as the region has elements.
    plan: RegionPlan,
    key: &'a str,
}

impl ShardEdit for RegionEdit<'_> {
    fn touches(&self, flat: usize) -> bool {
        self.plan
            .part_at_flat(self.sharding.chunks_per_shard(), flat as u64)
            .is_some()
    }

    fn touched(&self) -> Result<Vec<usize>> {
        self.plan.flat_indices(self.sharding.chunks_per_shard())
    }

    fn needs_stored(&self, flat: usize) -> bool {
        self.plan
            .part_at_flat(self.sharding.chunks_per_shard(), flat as u64)
            .is_some_and(|ip| !self.array.covers_inner(self.sharding, self.part, flat, &ip))
    }

    fn encode(
        &self,
        flat: usize,
        stored: &dyn Fn() -> Result<Option<Vec<u8>>>,
    ) -> Result<(Option<Vec<u8>>, bool)> {
        let Some(ip) = self
            .plan
            .part_at_flat(self.sharding.chunks_per_shard(), flat as u64)
        else {
            return Err(crate::error::internal(format!(
                "{}: inner chunk {flat} is not in the region",
                self.key
            )));
        };
        self.array.encode_inner_part(
            self.sharding,
            self.part,
            flat,
            &ip,
            self.content,
            stored,
            self.key,
        )
    }
}

/// The runs of consecutive numbers in `sorted` (ranges of its positions),
/// each of at most `max` numbers.
fn side_by_side(sorted: &[usize], max: usize) -> Vec<std::ops::Range<usize>> {
    let mut runs: Vec<std::ops::Range<usize>> = Vec::new();
    for (i, &n) in sorted.iter().enumerate() {
        match runs.last_mut() {
            Some(r) if sorted[r.end - 1] + 1 == n && r.len() < max => r.end = i + 1,
            _ => runs.push(i..i + 1),
        }
    }
    runs
}

/// `runs` taken `max` at a time (ranges of their positions).
fn side_by_side_groups(runs: &[std::ops::Range<usize>], max: usize) -> Vec<std::ops::Range<usize>> {
    (0..runs.len())
        .step_by(max.max(1))
        .map(|g| g..(g + max.max(1)).min(runs.len()))
        .collect()
}

/// C-order grid indices of a flat index.
fn unflatten(mut flat: usize, shape: &[u64]) -> Vec<u64> {
    let mut idx = vec![0u64; shape.len()];
    for d in (0..shape.len()).rev() {
        idx[d] = flat as u64 % shape[d];
        flat /= shape[d] as usize;
    }
    idx
}

/// Copy a block of the content (at `src_start` in the region) into a
/// decoded chunk of `chunk_shape` at `in_chunk`.
fn place(
    chunk: &mut [u8],
    chunk_shape: &[u64],
    src_start: &[u64],
    in_chunk: &[u64],
    shape: &[u64],
    content: Content,
) -> Result<()> {
    match content {
        Content::Source(src) => src.copy_to_chunk(src_start, chunk, chunk_shape, in_chunk, shape),
        Content::Scalar(value) => {
            let elem = value.len();
            let block = crate::codec::fill_bytes(value, shape.iter().product::<u64>() as usize)?;
            let zero = vec![0u64; shape.len()];
            SourceBuffer::new(&block, Layout::c_order(shape, elem)).copy_to_chunk(
                &zero,
                chunk,
                chunk_shape,
                in_chunk,
                shape,
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_of_side_by_side_inner_chunks_and_their_groups() {
        let flats = [0, 1, 2, 5, 6, 9, 10, 11, 12];
        assert_eq!(side_by_side(&flats, usize::MAX), [0..3, 3..5, 5..9]);
        // At most two a run: long runs are cut.
        assert_eq!(side_by_side(&flats, 2), [0..2, 2..3, 3..5, 5..7, 7..9]);
        assert_eq!(side_by_side(&[], 4), Vec::<std::ops::Range<usize>>::new());
        let runs = side_by_side(&flats, 2);
        assert_eq!(side_by_side_groups(&runs, 2), [0..2, 2..4, 4..5]);
        assert_eq!(side_by_side_groups(&runs, 9), vec![0..runs.len()]);
    }
}
