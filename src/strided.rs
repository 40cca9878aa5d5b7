//! Caller buffers with arbitrary element strides, and the one copy kernel
//! that moves blocks of elements between strided layouts (with
//! `transposed` for planes whose contiguous dimension differs).
//!
//! Reads decode many chunks in parallel into one caller buffer; each chunk
//! fills its own block. [`DestBuffer`] hands out raw access to disjoint
//! blocks; [`Layout::new`] guarantees the layout never maps two indices to
//! one element, so disjoint blocks are disjoint memory.

use crate::error::{buffer_too_small, invalid_argument, Result};
use crate::nontemporal::RowCopier;
use crate::region::c_strides;
use std::marker::PhantomData;

/// Shape, element strides and element size of a caller buffer.
#[derive(Debug, Clone)]
pub struct Layout {
    shape: Vec<u64>,
    /// In elements, all positive.
    strides: Vec<u64>,
    elem: usize,
}

impl Layout {
    /// Validate a caller layout: `strides` (in elements, NULL = C order) must
    /// be positive and non-overlapping, and the buffer of `capacity` bytes
    /// must hold every addressed element.
    pub fn new(
        shape: &[u64],
        strides: Option<&[i64]>,
        elem: usize,
        capacity: usize,
    ) -> Result<Layout> {
        let strides: Vec<u64> = match strides {
            None => c_strides(shape),
            Some(s) => {
                if s.len() != shape.len() {
                    return Err(invalid_argument(format!(
                        "{} strides given for {} dimensions",
                        s.len(),
                        shape.len()
                    )));
                }
                if let Some(bad) = s.iter().find(|&&x| x <= 0) {
                    return Err(invalid_argument(format!(
                        "strides must be positive (got {bad})"
                    )));
                }
                s.iter().map(|&x| x as u64).collect()
            }
        };
        let too_large = || invalid_argument("buffer layout is too large to address");
        // Elements spanned: 1 + sum (shape-1)*stride, or 0 for an empty shape.
        let needed_elems: u64 = if shape.contains(&0) {
            0
        } else {
            let mut last = 0u64;
            for (n, s) in shape.iter().zip(&strides) {
                last = (n - 1)
                    .checked_mul(*s)
                    .and_then(|x| x.checked_add(last))
                    .ok_or_else(too_large)?;
            }
            last.checked_add(1).ok_or_else(too_large)?
        };
        let needed = needed_elems
            .checked_mul(elem as u64)
            .ok_or_else(too_large)?;
        if needed > capacity as u64 {
            return Err(buffer_too_small(format!(
                "the region needs a buffer of {needed} bytes, the capacity given is {capacity}"
            )));
        }
        // Non-overlap: taken in increasing stride order, each stride must
        // step past everything the smaller strides can reach. (Sufficient,
        // not necessary: interleaved layouts such as (2, 3) elements at
        // strides (3, 2) do not overlap but are refused; an exact test is
        // a subset-sum problem.)
        // An empty region addresses no element, so it cannot overlap.
        let empty = shape.contains(&0);
        let mut dims: Vec<usize> = (0..shape.len())
            .filter(|&d| shape[d] > 1 && !empty)
            .collect();
        dims.sort_by_key(|&d| strides[d]);
        let mut reach = 0u64;
        for &d in &dims {
            if strides[d] <= reach {
                return Err(invalid_argument(format!(
                    "strides {:?} do not nest: dimension {d}'s stride {} does not step past \
                     the {} elements the smaller strides reach",
                    strides,
                    strides[d],
                    reach + 1
                )));
            }
            reach += (shape[d] - 1) * strides[d];
        }
        Ok(Layout {
            shape: shape.to_vec(),
            strides,
            elem,
        })
    }

    /// A C-order layout (always valid).
    pub fn c_order(shape: &[u64], elem: usize) -> Layout {
        Layout {
            shape: shape.to_vec(),
            strides: c_strides(shape),
            elem,
        }
    }

    pub fn elem(&self) -> usize {
        self.elem
    }

    /// The bytes the layout spans when its elements fill them without a
    /// gap (C order, Fortran order, any permutation), else None.
    pub fn dense_bytes(&self) -> Option<usize> {
        // An empty layout addresses nothing (and its other extents were
        // never checked to multiply without overflow).
        if self.shape.contains(&0) {
            return None;
        }
        let count: u64 = self.shape.iter().product();
        let span: u64 = 1 + self
            .shape
            .iter()
            .zip(&self.strides)
            .map(|(n, s)| (n - 1) * s)
            .sum::<u64>();
        // Validated non-overlapping and addressable (so neither overflows):
        // as many elements as the span holds means every element of the
        // span is addressed.
        (count == span).then(|| count as usize * self.elem)
    }

    /// Element strides, all positive.
    pub fn strides(&self) -> &[u64] {
        &self.strides
    }

    /// Byte offset of an element.
    pub fn offset(&self, index: &[u64]) -> usize {
        index
            .iter()
            .zip(&self.strides)
            .map(|(i, s)| i * s)
            .sum::<u64>() as usize
            * self.elem
    }

    /// When the block at `start` with `shape` occupies one contiguous run of
    /// memory in C order, its byte range.
    pub fn contiguous_block(&self, start: &[u64], shape: &[u64]) -> Option<std::ops::Range<usize>> {
        let mut expected = 1u64;
        for d in (0..shape.len()).rev() {
            if shape[d] == 1 {
                continue;
            }
            if self.strides[d] != expected {
                return None;
            }
            expected *= shape[d];
        }
        let off = self.offset(start);
        Some(off..off + shape.iter().product::<u64>() as usize * self.elem)
    }
}

/// A caller's output buffer that parallel tasks fill block by block.
pub struct DestBuffer<'a> {
    ptr: *mut u8,
    len: usize,
    layout: Layout,
    /// Whether rows are placed with streaming stores (see `nontemporal`).
    streaming: bool,
    _buf: PhantomData<&'a mut [u8]>,
}

// SAFETY: a DestBuffer is only written through its `unsafe` block methods,
// whose contract is that concurrent callers touch disjoint blocks; the
// layout is validated non-overlapping, so disjoint blocks are disjoint bytes.
unsafe impl Send for DestBuffer<'_> {}
unsafe impl Sync for DestBuffer<'_> {}

impl<'a> DestBuffer<'a> {
    /// `layout` must have been validated against `buf.len()`.
    pub fn new(buf: &'a mut [u8], layout: Layout) -> Self {
        crate::pages::advise_huge_pages(buf);
        DestBuffer {
            ptr: buf.as_mut_ptr(),
            len: buf.len(),
            streaming: buf.len() >= crate::nontemporal::MIN_DEST_BYTES,
            layout,
            _buf: PhantomData,
        }
    }

    /// A buffer of the library's own that is read back right after it is
    /// filled (a box a selection copies elements out of): its rows are
    /// placed with ordinary stores, which leave them in the caches, and no
    /// huge pages are asked for.
    pub fn scratch(buf: &'a mut [u8], layout: Layout) -> Self {
        DestBuffer {
            ptr: buf.as_mut_ptr(),
            len: buf.len(),
            streaming: false,
            layout,
            _buf: PhantomData,
        }
    }

    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// Fault in the buffer's pages before a read that writes every byte the
    /// layout spans, with `workers` threads (`pages::populate_fresh`); a
    /// layout with gaps between its elements is left to the read, whose
    /// writes fault in only what they reach.
    pub fn populate(&mut self, workers: usize) {
        if let Some(span) = self.layout.dense_bytes() {
            // SAFETY: the first `len` bytes at `ptr` are the caller's buffer,
            // borrowed mutably for 'a; `&mut self` means no block of it is
            // handed out while this slice lives. The layout was validated
            // against `len`, so `span <= len`.
            let buf = unsafe { std::slice::from_raw_parts_mut(self.ptr, span.min(self.len)) };
            crate::pages::populate_fresh(buf, workers);
        }
    }

    /// The byte offset of the block at `start` with `shape`, checked to lie
    /// inside the buffer (a failed check is a bug, not bad input: regions
    /// are validated against the layout first).
    fn block_offset(&self, start: &[u64], shape: &[u64]) -> usize {
        let off = self.layout.offset(start);
        assert!(block_fits(
            self.len,
            off,
            &self.layout.strides,
            shape,
            self.layout.elem
        ));
        off
    }

    /// The block as one mutable slice, when it is contiguous in C order.
    ///
    /// # Safety
    /// No other reference to any element of this block may exist or be
    /// created while the slice lives (callers give each block to one task).
    // A `&mut` from `&self` is this type's purpose: parallel tasks share the
    // buffer and each writes its own block, which the borrow checker cannot
    // see; the exclusivity it would check is the caller's contract above.
    #[allow(clippy::mut_from_ref)]
    pub unsafe fn contiguous_block(&self, start: &[u64], shape: &[u64]) -> Option<&mut [u8]> {
        let r = self.layout.contiguous_block(start, shape)?;
        assert!(r.end <= self.len);
        // SAFETY: in bounds (checked above, and by the validated layout); the
        // caller guarantees exclusive access to these bytes.
        Some(std::slice::from_raw_parts_mut(
            self.ptr.add(r.start),
            r.end - r.start,
        ))
    }

    /// Copy a block out of a C-order chunk buffer into the block of this
    /// buffer starting at `dst_start`.
    ///
    /// # Safety
    /// Concurrent callers must write disjoint blocks.
    pub unsafe fn copy_from_chunk(
        &self,
        dst_start: &[u64],
        chunk: &[u8],
        chunk_shape: &[u64],
        chunk_start: &[u64],
        shape: &[u64],
    ) {
        self.copy_from_view(
            dst_start,
            chunk,
            &c_strides(chunk_shape),
            chunk_start,
            shape,
        )
    }

    /// `copy_from_chunk` from a chunk whose elements lie in `chunk` at the
    /// element strides `src_strides` (a chunk kept in the layout of its
    /// `transpose` codecs, `CodecChain::decode_view_into`).
    ///
    /// # Safety
    /// Concurrent callers must write disjoint blocks.
    pub unsafe fn copy_from_view(
        &self,
        dst_start: &[u64],
        chunk: &[u8],
        src_strides: &[u64],
        chunk_start: &[u64],
        shape: &[u64],
    ) {
        let elem = self.layout.elem;
        let src_off = chunk_start
            .iter()
            .zip(src_strides)
            .map(|(i, s)| i * s)
            .sum::<u64>() as usize
            * elem;
        assert!(block_fits(chunk.len(), src_off, src_strides, shape, elem));
        let dst_off = self.block_offset(dst_start, shape);
        // SAFETY: both blocks lie inside their buffers (asserted); the source
        // is a shared borrow; the destination block is exclusively ours per
        // the caller's contract.
        copy_block(
            chunk.as_ptr().add(src_off),
            src_strides,
            self.ptr.add(dst_off),
            &self.layout.strides,
            shape,
            elem,
            self.streaming,
        );
    }

    /// Whether consecutive rows of a row of `count` chunks of `chunk_shape`
    /// lie back to back in this destination (the row of chunks spans its
    /// last dimension) and are placed as one run per plane by
    /// `ChunkRowPlacer::place`: the line where one row ends and the next
    /// begins is then streamed whole too, instead of being fetched and
    /// written in two parts. Needs rows of at least a line from each chunk,
    /// two chunks or more, and streaming; and only pays where that line is
    /// a large share of a row: the holding costs a little on every row,
    /// and rows of 16 lines or more (small chunks placed 32 to a row) read
    /// 5% slower joined, where 8-line rows (a shard's inner chunks placed
    /// 4 to a row) read 7% faster (BENCHMARKS.md, "What each change did").
    fn joins_rows(&self, chunk_shape: &[u64], count: usize) -> bool {
        use crate::nontemporal::LINE;
        let n = chunk_shape.len();
        let run = chunk_shape[n - 1] as usize * self.layout.elem;
        n >= 2
            && count >= 2
            && run >= LINE
            && count * run < 16 * LINE
            && self.streaming
            && cfg!(target_arch = "x86_64")
            && self.layout.strides[n - 2] as usize * self.layout.elem == count * run
    }

    /// A placer for a row of `count` whole C-order chunks of `chunk_shape`
    /// that tile the block at `dst_start` side by side along the last
    /// dimension, placed one chunk at a time (`ChunkRowPlacer::place`). Its
    /// geometry is worked out here, once a row, so placing a chunk
    /// allocates nothing. The destination's last dimension must be
    /// contiguous (which `streams_more_as_row` asks for).
    pub fn chunk_row(
        &self,
        dst_start: &[u64],
        chunk_shape: &[u64],
        count: usize,
    ) -> ChunkRowPlacer<'_, 'a> {
        let (elem, n) = (self.layout.elem, chunk_shape.len());
        assert!(n >= 1 && dst_start.len() == n && count >= 1);
        assert_eq!(self.layout.strides[n - 1], 1);
        let mut dst_shape = chunk_shape.to_vec();
        dst_shape[n - 1] *= count as u64;
        let joined = self.joins_rows(chunk_shape, count);
        ChunkRowPlacer {
            dest: self,
            offset: self.block_offset(dst_start, &dst_shape),
            run: chunk_shape[n - 1] as usize * elem,
            rows: chunk_shape[..n - 1].iter().product::<u64>() as usize,
            count,
            plane_rows: if joined {
                Some(chunk_shape[n - 2] as usize)
            } else {
                None
            },
            outer: (0..n - 1)
                .map(|d| (chunk_shape[d], self.layout.strides[d] as usize * elem))
                .collect(),
            idx: vec![0; n - 1],
        }
    }

    /// Copy one plane (the last two dimensions; `plane_shape` is 1 in
    /// every other) of each chunk of a row of chunks side by side along the
    /// last dimension, the k-th read from the start of `planes[k]`, into
    /// the block at `dst_start`: a row of chunks placed a plane of each at
    /// a time, from wherever the planes lie, so that a decoder's output is
    /// placed from where the decoder left it. The destination's last dimension must be
    /// contiguous (which `streams_more_as_row` asks for).
    ///
    /// # Safety
    /// Concurrent callers must write disjoint blocks.
    pub unsafe fn copy_planes_as_row(
        &self,
        dst_start: &[u64],
        planes: &[&[u8]],
        plane_shape: &[u64],
    ) {
        let (elem, n, count) = (self.layout.elem, plane_shape.len(), planes.len());
        assert!(n >= 2 && dst_start.len() == n && count >= 1);
        assert!(plane_shape[..n - 2].iter().all(|&e| e == 1));
        assert_eq!(self.layout.strides[n - 1], 1);
        let (rows, run) = (
            plane_shape[n - 2] as usize,
            plane_shape[n - 1] as usize * elem,
        );
        assert!(planes.iter().all(|p| p.len() >= rows * run));
        let mut dst_shape = plane_shape.to_vec();
        dst_shape[n - 1] *= count as u64;
        let dst = self.ptr.add(self.block_offset(dst_start, &dst_shape));
        let row_t = self.layout.strides[n - 2] as usize * elem;
        debug_assert!(rows <= 1 || row_t >= count * run);
        debug_assert!((0..n).all(|d| dst_start[d] + dst_shape[d] <= self.layout.shape[d]));
        let mut copier = RowCopier::new(self.streaming);
        // SAFETY: every segment is a row of `run` bytes inside its plane
        // (each at least rows x run bytes, asserted); the destination
        // block (rows of count x run bytes, `row_t` apart) lies inside the
        // buffer (block_offset) and is exclusively ours per the caller's
        // contract, so no source overlaps it.
        if row_t == count * run {
            // The block's rows lie back to back: one run, gathered whole.
            let segments =
                (0..rows).flat_map(|r| planes.iter().map(move |p| p.as_ptr().add(r * run)));
            copier.gather_segments_raw(segments, run, rows * count, dst);
        } else {
            for r in 0..rows {
                let segments = planes.iter().map(|p| p.as_ptr().add(r * run));
                copier.gather_segments_raw(segments, run, count, dst.add(r * row_t));
            }
        }
    }

    /// Whether placing chunks of `chunk_shape` as rows of chunks
    /// (`ChunkRowPlacer`, `copy_planes_as_row`) streams destination lines that placing them
    /// one by one would not: the destination streams, its rows are
    /// contiguous and start 16-byte aligned, and one chunk's rows do not
    /// stream whole (they are not whole lines from a line boundary: short
    /// ones do not stream at all, long ones leave a partial line at each
    /// end, shared with the neighbouring chunk).
    pub fn streams_more_as_row(&self, chunk_shape: &[u64]) -> bool {
        use crate::nontemporal::LINE;
        let (elem, n) = (self.layout.elem, chunk_shape.len());
        if !self.streaming || n == 0 || self.layout.strides[n - 1] != 1 {
            return false;
        }
        let row = chunk_shape[n - 1] as usize * elem;
        let aligned = |to: usize| {
            self.ptr as usize % to == 0
                && self.layout.strides[..n - 1]
                    .iter()
                    .all(|&t| t as usize * elem % to == 0)
        };
        let streams_whole = aligned(LINE) && row % LINE == 0;
        cfg!(target_arch = "x86_64") && row % 16 == 0 && aligned(16) && !streams_whole
    }

    /// Whether the element at `dst_start` lies on a 16-byte boundary (where
    /// a row of chunks must start to stream, see `copy_planes_as_row`).
    pub fn row_start_aligned(&self, dst_start: &[u64]) -> bool {
        (self.ptr as usize + self.layout.offset(dst_start)) % 16 == 0
    }

    /// The block at `dst_start` with `shape` as the destination's
    /// contiguous byte runs, in the C order of the block (the order a C-order
    /// chunk stores it), when each run is at least `min_run_bytes` long;
    /// None otherwise, or for an empty block.
    ///
    /// # Safety
    /// No other reference to any element of this block may exist or be
    /// created while the runs live (callers give each block to one task).
    pub(crate) unsafe fn c_order_runs(
        &self,
        dst_start: &[u64],
        shape: &[u64],
        min_run_bytes: usize,
    ) -> Option<BlockRuns<'_>> {
        let elem = self.layout.elem;
        if shape.contains(&0) {
            return None;
        }
        let merged = merge_dims(shape, &c_strides(shape), &self.layout.strides);
        let (run, _, run_t) = *merged.last().unwrap();
        let run_bytes = run as usize * elem;
        if run_t != 1 || run_bytes < min_run_bytes {
            return None;
        }
        let dst_off = self.block_offset(dst_start, shape);
        let outer = merged[..merged.len() - 1]
            .iter()
            .map(|&(n, _, t)| (n, t as usize * elem))
            .collect::<Vec<_>>();
        Some(BlockRuns {
            // SAFETY: in bounds (checked by block_offset).
            base: self.ptr.add(dst_off),
            idx: vec![0; outer.len()],
            outer,
            offset: 0,
            run_bytes,
            streaming: self.streaming,
            done: false,
            _buf: PhantomData,
        })
    }

    /// Fill a block with one element value.
    ///
    /// # Safety
    /// Concurrent callers must write disjoint blocks.
    pub unsafe fn fill(&self, dst_start: &[u64], shape: &[u64], element: &[u8]) {
        let elem = self.layout.elem;
        assert_eq!(element.len(), elem);
        let dst_off = self.block_offset(dst_start, shape);
        if let Some(block) = self.contiguous_block(dst_start, shape) {
            fill_slice(block, element);
            return;
        }
        let zero_strides = vec![0u64; shape.len()];
        // SAFETY: the destination block is in bounds (asserted) and ours; a
        // zero source stride reads the one element again and again.
        copy_block(
            element.as_ptr(),
            &zero_strides,
            self.ptr.add(dst_off),
            &self.layout.strides,
            shape,
            elem,
            false,
        );
    }
}

/// Fill a slice with repetitions of one element.
pub fn fill_slice(out: &mut [u8], element: &[u8]) {
    if element.iter().all(|&b| b == element[0]) {
        out.fill(element[0]);
    } else {
        for c in out.chunks_exact_mut(element.len()) {
            c.copy_from_slice(element);
        }
    }
}

/// A caller's input buffer with a validated layout.
pub struct SourceBuffer<'a> {
    data: &'a [u8],
    layout: Layout,
}

impl<'a> SourceBuffer<'a> {
    pub fn new(data: &'a [u8], layout: Layout) -> Self {
        SourceBuffer { data, layout }
    }

    /// The block as a slice, when it is contiguous in C order.
    pub fn contiguous_block(&self, start: &[u64], shape: &[u64]) -> Option<&'a [u8]> {
        self.layout
            .contiguous_block(start, shape)
            .map(|r| &self.data[r])
    }

    /// The block's bytes in C order as slices of the buffer, when its last
    /// dimensions run contiguously in pieces of at least `min_run` bytes
    /// (else None): what a vectored write of the block takes.
    pub fn c_order_runs(
        &self,
        start: &[u64],
        shape: &[u64],
        min_run: usize,
    ) -> Option<Vec<&'a [u8]>> {
        if shape.contains(&0) {
            return None;
        }
        // The trailing dimensions that form one run in C order.
        let mut run_elems = 1u64;
        let mut outer = shape.len();
        for d in (0..shape.len()).rev() {
            if shape[d] != 1 && self.layout.strides[d] != run_elems {
                break;
            }
            run_elems *= shape[d];
            outer = d;
        }
        let run = run_elems as usize * self.layout.elem;
        if run < min_run {
            return None;
        }
        let count = shape[..outer].iter().product::<u64>() as usize;
        let mut runs = crate::alloc::with_capacity(count).ok()?;
        let mut index = start.to_vec();
        for _ in 0..count {
            let at = self.layout.offset(&index);
            runs.push(&self.data[at..at + run]);
            for d in (0..outer).rev() {
                index[d] += 1;
                if index[d] < start[d] + shape[d] {
                    break;
                }
                index[d] = start[d];
            }
        }
        Some(runs)
    }

    /// Copy the block at `src_start` into a C-order chunk buffer at `chunk_start`.
    pub fn copy_to_chunk(
        &self,
        src_start: &[u64],
        chunk: &mut [u8],
        chunk_shape: &[u64],
        chunk_start: &[u64],
        shape: &[u64],
    ) {
        self.copy_to_view(
            src_start,
            chunk,
            &c_strides(chunk_shape),
            chunk_start,
            shape,
        )
    }

    /// `copy_to_chunk` into a chunk whose elements lie in `chunk` at the
    /// element strides `dst_strides` (a chunk in the layout of its
    /// `transpose` codecs, `CodecChain::transposed_strides`).
    pub fn copy_to_view(
        &self,
        src_start: &[u64],
        chunk: &mut [u8],
        dst_strides: &[u64],
        chunk_start: &[u64],
        shape: &[u64],
    ) {
        let elem = self.layout.elem;
        let dst_off = chunk_start
            .iter()
            .zip(dst_strides)
            .map(|(i, s)| i * s)
            .sum::<u64>() as usize
            * elem;
        let src_off = self.layout.offset(src_start);
        assert!(block_fits(chunk.len(), dst_off, dst_strides, shape, elem));
        assert!(block_fits(
            self.data.len(),
            src_off,
            &self.layout.strides,
            shape,
            elem
        ));
        // SAFETY: both blocks are in bounds (asserted); `chunk` is borrowed
        // mutably and `data` shared, so they cannot alias.
        unsafe {
            copy_block(
                self.data.as_ptr().add(src_off),
                &self.layout.strides,
                chunk.as_mut_ptr().add(dst_off),
                dst_strides,
                shape,
                elem,
                false,
            )
        }
    }
}

/// A row of chunks placed into a `DestBuffer` one chunk at a time
/// (`DestBuffer::chunk_row`).
pub struct ChunkRowPlacer<'d, 'a> {
    dest: &'d DestBuffer<'a>,
    /// The row of chunks' block, as a byte offset into the destination
    /// (checked to lie inside it).
    offset: usize,
    /// Bytes of one chunk's row, and rows of one chunk.
    run: usize,
    rows: usize,
    count: usize,
    /// Rows of a plane, where consecutive rows are joined (`joins_rows`).
    plane_rows: Option<usize>,
    /// (extent, destination byte stride) of the leading dimensions, and
    /// the odometer over them, reset for every chunk.
    outer: Vec<(u64, usize)>,
    idx: Vec<u64>,
}

impl ChunkRowPlacer<'_, '_> {
    /// The bytes of held lines `place` needs: a line per row of a chunk,
    /// two where the rows are joined.
    pub fn holding_bytes(&self) -> usize {
        let lines = if self.plane_rows.is_some() { 2 } else { 1 };
        self.rows * lines * crate::nontemporal::LINE
    }

    /// Place chunk `k` of the row. Called for k = 0, 1, ... count - 1 in
    /// turn with the same `held` (`holding_bytes` long), it holds back the
    /// partial line each chunk's row ends in until the next chunk's row
    /// completes it (`RowCopier::copy_holding`): the destination rows the
    /// chunks make together, long, stream whole but for their two ends,
    /// where one chunk's short rows would not stream (see
    /// `DestBuffer::streams_more_as_row`), and only one decoded chunk need
    /// be kept. Where the rows lie back to back (`joins_rows`), the first
    /// chunk's part of the line a row begins in is held back too, until the
    /// last chunk's part of the row before completes it: each plane's rows
    /// are then one run with partial lines only at its ends.
    ///
    /// # Safety
    /// Concurrent callers must write disjoint blocks.
    pub unsafe fn place(&mut self, k: usize, chunk: &[u8], held: &mut [u8]) {
        use crate::nontemporal::LINE;
        let (run, rows, count) = (self.run, self.rows, self.count);
        assert!(k < count && chunk.len() >= rows * run);
        assert!(held.len() >= self.holding_bytes());
        // A row's held tail, then (joined) the held head of each row.
        let (tails, heads) = held.split_at_mut(rows * LINE);
        let base = self.dest.ptr.add(self.offset);
        self.idx.fill(0);
        let (mut off, last) = (0usize, k + 1 == count);
        let mut copier = RowCopier::new(self.dest.streaming);
        // Rows that are not joined go through a loop of their own: testing
        // for joined rows inside it measured 3% slower on small chunks.
        let Some(plane_rows) = self.plane_rows else {
            for (r, tail) in tails.chunks_exact_mut(LINE).take(rows).enumerate() {
                let row = base.add(off);
                let tail: &mut [u8; LINE] = tail.try_into().expect("a line");
                // SAFETY: the destination row (count x run bytes from
                // `row`) lies inside the block checked by block_offset and
                // is ours per the caller's contract; the source row lies
                // inside `chunk` (asserted); `held` is a separate buffer.
                let src = chunk.as_ptr().add(r * run);
                copier.copy_holding(tail, row, src, row.add(k * run), run, last);
                next_row(&mut self.idx, &mut off, &self.outer);
            }
            return;
        };
        for (r, tail) in tails.chunks_exact_mut(LINE).take(rows).enumerate() {
            let row = base.add(off);
            let src = &chunk[r * run..(r + 1) * run];
            let tail: &mut [u8; LINE] = tail.try_into().expect("a line");
            // A joined row begins on a line boundary, the bytes before it
            // held in the row's head until the row before ends.
            let (joined_before, joined_after) = (r % plane_rows != 0, (r + 1) % plane_rows != 0);
            let skip = if joined_before {
                (LINE - row as usize % LINE) % LINE
            } else {
                0
            };
            let from = if k == 0 { skip } else { 0 };
            heads[r * LINE..r * LINE + from].copy_from_slice(&src[..from]);
            // SAFETY: as above; the row's run starts `skip` bytes in (run >=
            // LINE > skip).
            copier.copy_holding(
                tail,
                row.add(skip),
                src[from..].as_ptr(),
                row.add(k * run + from),
                run - from,
                last && !joined_after,
            );
            let h = (row as usize + count * run) % LINE;
            if last && joined_after && h > 0 {
                // The line this row ends in: its held tail, then the next
                // row's held head (chunk 0 was placed before this one).
                let next = (r + 1) * LINE;
                tail[h..].copy_from_slice(&heads[next..next + LINE - h]);
                // SAFETY: the line [end - h, end - h + LINE) lies in this
                // row's and the next row's parts of the block.
                copier.stream_line(tail, row.add(count * run - h));
            }
            next_row(&mut self.idx, &mut off, &self.outer);
        }
    }
}

/// True when a block starting at byte `off` with these strides lies inside
/// a buffer of `len` bytes.
fn block_fits(len: usize, off: usize, strides: &[u64], shape: &[u64], elem: usize) -> bool {
    if shape.contains(&0) {
        return true;
    }
    let last: u64 = shape.iter().zip(strides).map(|(n, s)| (n - 1) * s).sum();
    off as u64 + (last + 1) * elem as u64 <= len as u64
}

/// Step `idx` (the index of a row over a block's leading dimensions, each
/// `(extent, byte stride)` in `outer`, innermost last) to the next row in C
/// order, keeping `off`, the row's byte offset, in step.
#[inline(always)]
fn next_row(idx: &mut [u64], off: &mut usize, outer: &[(u64, usize)]) {
    for d in (0..outer.len()).rev() {
        idx[d] += 1;
        *off += outer[d].1;
        if idx[d] < outer[d].0 {
            return;
        }
        *off -= outer[d].1 * outer[d].0 as usize;
        idx[d] = 0;
    }
}

/// Copy a block of `shape` elements from `src` to `dst`, each with its own
/// element strides. Dimensions that are contiguous in both are merged so the
/// innermost run is as long as possible. Where the two are contiguous along
/// different dimensions (a C-order chunk and a Fortran-order buffer), the
/// block is copied as planes of those two, transposed in tiles
/// (`transposed::copy_plane`). `streaming`: contiguous runs may be
/// written with streaming stores (a destination larger than the caches).
///
/// # Safety
/// Every addressed source element must be readable and every destination
/// element writable, and the two blocks must not overlap.
unsafe fn copy_block(
    src: *const u8,
    src_strides: &[u64],
    dst: *mut u8,
    dst_strides: &[u64],
    shape: &[u64],
    elem: usize,
    streaming: bool,
) {
    if shape.contains(&0) {
        return;
    }
    // Walked in the destination's memory order (the layouts may order
    // their dimensions differently: a chunk kept in its `transpose`
    // codecs' layout, a Fortran-order buffer), so that the innermost
    // dimension is the destination's contiguous one.
    let merged = if dst_strides.windows(2).all(|w| w[0] >= w[1]) {
        merge_dims(shape, src_strides, dst_strides)
    } else {
        let mut by_dst: Vec<usize> = (0..shape.len()).collect();
        by_dst.sort_by_key(|&d| std::cmp::Reverse(dst_strides[d]));
        let pick = |v: &[u64]| by_dst.iter().map(|&d| v[d]).collect::<Vec<_>>();
        merge_dims(&pick(shape), &pick(src_strides), &pick(dst_strides))
    };
    if let Some(pair) = transposed_pair(&merged) {
        copy_transposed(src, dst, &merged, pair, elem);
        return;
    }
    let mut copier = RowCopier::new(streaming);
    let (run, run_s, run_t) = *merged.last().unwrap();
    let (run, run_s, run_t) = (run as usize, run_s as usize, run_t as usize);
    // The dimension just outside the runs is walked in a tight loop with
    // the pointers in registers; the odometer only turns once per plane of
    // rows, so short rows (64-byte rows of small chunks) cost a copy each
    // and little else.
    let (rows, row_s, row_t) = match merged.len() {
        1 => (1, 0, 0),
        n => {
            let (r, s, t) = merged[n - 2];
            (r as usize, s as usize * elem, t as usize * elem)
        }
    };
    let mut outer = &merged[..merged.len().saturating_sub(2)];
    // Decided once per block: whether every row starts on a line.
    let line = crate::nontemporal::LINE;
    let stream_rows = copier.streams_rows(
        run * elem,
        dst as usize % line == 0
            && row_t % line == 0
            && outer.iter().all(|&(_, _, t)| t as usize * elem % line == 0),
    );
    // A plane whose rows lie back to back in the destination but apart in
    // the source (chunks side by side along the last dimension) is one
    // destination row, gathered: it streams as a whole, where rows too
    // short to stream on their own would not. Every plane must start
    // 16-byte aligned and the rows be 16-byte multiples (see gather_raw).
    let gather = rows > 1
        && run_s == 1
        && run_t == 1
        && row_t == run * elem
        && (run * elem) % 16 == 0
        && dst as usize % 16 == 0
        && outer.iter().all(|&(_, _, t)| t as usize * elem % 16 == 0)
        && copier.streams_rows(
            rows * run * elem,
            dst as usize % line == 0
                && outer.iter().all(|&(_, _, t)| t as usize * elem % line == 0),
        );
    // Gathered rows that lie back to back in the destination as well (a
    // row of chunks as wide as the destination) are gathered together, so
    // that the lines where one row ends and the next begins stream too.
    let (mut planes, mut plane_s) = (1, 0);
    if let Some(&(p, s, _)) = outer
        .last()
        .filter(|&&(_, _, t)| gather && t as usize == rows * run)
    {
        (planes, plane_s) = (p as usize, s as usize * elem);
        outer = &outer[..outer.len() - 1];
    }
    let mut idx = vec![0u64; outer.len()];
    let (mut so, mut to) = (0usize, 0usize);
    loop {
        let (sp, tp) = (src.add(so * elem), dst.add(to * elem));
        // Row r of the plane lies inside the block (r < rows); wrapping_add
        // only spares the in-bounds proof the compiler cannot see.
        if gather {
            copier.gather_raw(sp, row_s, run * elem, rows, planes, plane_s, tp);
        } else if run_s != 1 || run_t != 1 {
            for r in 0..rows {
                let (sp, tp) = (sp.wrapping_add(r * row_s), tp.wrapping_add(r * row_t));
                copy_run(sp, run_s, tp, run_t, run, elem);
            }
        } else if stream_rows {
            for r in 0..rows {
                copier.copy_raw(
                    sp.wrapping_add(r * row_s),
                    tp.wrapping_add(r * row_t),
                    run * elem,
                );
            }
        } else {
            for r in 0..rows {
                let (sp, tp) = (sp.wrapping_add(r * row_s), tp.wrapping_add(r * row_t));
                std::ptr::copy_nonoverlapping(sp, tp, run * elem);
            }
        }
        if !advance(&mut idx, outer, &mut so, &mut to) {
            return;
        }
    }
}

/// Turn the odometer `idx` over the dimensions `outer` (extent, source
/// stride, destination stride) one step, keeping the element offsets `so`
/// and `to` in step; false once it has gone all the way round.
fn advance(idx: &mut [u64], outer: &[(u64, u64, u64)], so: &mut usize, to: &mut usize) -> bool {
    let mut d = outer.len();
    loop {
        if d == 0 {
            return false;
        }
        d -= 1;
        idx[d] += 1;
        *so += outer[d].1 as usize;
        *to += outer[d].2 as usize;
        if idx[d] < outer[d].0 {
            return true;
        }
        *so -= (outer[d].1 * outer[d].0) as usize;
        *to -= (outer[d].2 * outer[d].0) as usize;
        idx[d] = 0;
    }
}

/// The dimensions of a block (as `merge_dims` gives them) to copy it
/// across in planes with `transposed::copy_plane`: one contiguous in the
/// destination (a) and another contiguous in the source (b). None when
/// the innermost dimension is contiguous in both (rows copy as runs), or
/// either side has no contiguous dimension.
fn transposed_pair(merged: &[(u64, u64, u64)]) -> Option<(usize, usize)> {
    if merged.last().is_some_and(|&(_, s, t)| s == 1 && t == 1) {
        return None;
    }
    let a = merged.iter().position(|&(_, _, t)| t == 1)?;
    let b = merged.iter().position(|&(_, s, _)| s == 1)?;
    (a != b).then_some((a, b))
}

/// `copy_block` in planes of the dimensions `a` and `b` of `merged` (see
/// `transposed_pair`), one plane per index of the others.
///
/// # Safety
/// As [`copy_block`].
unsafe fn copy_transposed(
    src: *const u8,
    dst: *mut u8,
    merged: &[(u64, u64, u64)],
    (a, b): (usize, usize),
    elem: usize,
) {
    let outer: Vec<_> = (0..merged.len())
        .filter(|&d| d != a && d != b)
        .map(|d| merged[d])
        .collect();
    let (na, sa) = (merged[a].0 as usize, merged[a].1 as usize * elem);
    let (nb, tb) = (merged[b].0 as usize, merged[b].2 as usize * elem);
    let mut idx = vec![0u64; outer.len()];
    let (mut so, mut to) = (0usize, 0usize);
    loop {
        crate::transposed::copy_plane(src.add(so * elem), sa, dst.add(to * elem), tb, na, nb, elem);
        if !advance(&mut idx, &outer, &mut so, &mut to) {
            return;
        }
    }
}

/// A block's dimensions as (extent, source stride, destination stride),
/// outermost first, with size-1 dimensions dropped and neighbours that are
/// contiguous in both layouts merged, so the innermost run is as long as
/// possible. Never empty: a single element is one run of 1.
fn merge_dims(shape: &[u64], src_strides: &[u64], dst_strides: &[u64]) -> Vec<(u64, u64, u64)> {
    let mut merged: Vec<(u64, u64, u64)> = Vec::with_capacity(shape.len() + 1);
    for d in (0..shape.len()).rev() {
        let (n, s, t) = (shape[d], src_strides[d], dst_strides[d]);
        if n == 1 {
            continue;
        }
        if let Some(inner) = merged.last_mut() {
            if s == inner.1 * inner.0 && t == inner.2 * inner.0 {
                inner.0 *= n;
                continue;
            }
        }
        merged.push((n, s, t));
    }
    merged.reverse();
    if merged.is_empty() {
        merged.push((1, 1, 1));
    }
    merged
}

/// The contiguous byte runs of one destination block, in C order of the
/// block (see [`DestBuffer::c_order_runs`]).
pub(crate) struct BlockRuns<'a> {
    base: *mut u8,
    /// Outer dimensions as (extent, destination stride in bytes).
    outer: Vec<(u64, usize)>,
    idx: Vec<u64>,
    offset: usize,
    run_bytes: usize,
    streaming: bool,
    done: bool,
    _buf: PhantomData<&'a mut [u8]>,
}

impl<'a> Iterator for BlockRuns<'a> {
    type Item = &'a mut [u8];

    fn next(&mut self) -> Option<&'a mut [u8]> {
        if self.done {
            return None;
        }
        // SAFETY: the run lies inside the destination (checked when the
        // iterator was made); runs of one block are disjoint, and the block
        // is exclusively the caller's per `c_order_runs`' contract.
        let run =
            unsafe { std::slice::from_raw_parts_mut(self.base.add(self.offset), self.run_bytes) };
        // Advance the odometer over the outer dimensions.
        let mut d = self.outer.len();
        loop {
            if d == 0 {
                self.done = true;
                break;
            }
            d -= 1;
            let (n, stride) = self.outer[d];
            self.idx[d] += 1;
            self.offset += stride;
            if self.idx[d] < n {
                break;
            }
            self.offset -= stride * n as usize;
            self.idx[d] = 0;
        }
        Some(run)
    }
}

/// Writes a stream of bytes (a chunk's C-order bytes, arriving in pieces)
/// into a block's runs, in order. Each `push` fences its streaming stores
/// before it returns.
pub(crate) struct RunFiller<'a> {
    runs: BlockRuns<'a>,
    current: &'a mut [u8],
    copier: RowCopier,
}

impl<'a> RunFiller<'a> {
    pub(crate) fn new(runs: BlockRuns<'a>) -> Self {
        RunFiller {
            copier: RowCopier::new(runs.streaming),
            runs,
            current: Default::default(),
        }
    }

    /// Whether every run of the block has been filled.
    pub(crate) fn is_complete(&self) -> bool {
        self.current.is_empty() && self.runs.done
    }

    /// Append `data`. Running past the block's last run is an internal
    /// error: callers hand over exactly a chunk, which the runs add up to.
    pub(crate) fn push(&mut self, mut data: &[u8]) -> crate::error::Result<()> {
        let mut fits = true;
        while !data.is_empty() {
            if self.current.is_empty() {
                match self.runs.next() {
                    Some(run) => self.current = run,
                    None => {
                        fits = false;
                        break;
                    }
                }
            }
            let n = data.len().min(self.current.len());
            let (head, tail) = std::mem::take(&mut self.current).split_at_mut(n);
            self.copier.copy(head, &data[..n]);
            self.current = tail;
            data = &data[n..];
        }
        // Pieces are large (a store's reads of up to 256 KiB, a decoder's
        // blocks up to 128 KiB at a time, smaller only where its ring
        // wraps), so a fence per piece costs little, and no filler can
        // leave stores unfenced.
        self.copier.fence();
        if fits {
            Ok(())
        } else {
            Err(crate::error::internal("block runs shorter than the chunk"))
        }
    }
}

/// Copy `n` elements with element strides `s` (source) and `t` (dest).
///
/// # Safety
/// As [`copy_block`].
#[inline]
pub(crate) unsafe fn copy_run(
    src: *const u8,
    s: usize,
    dst: *mut u8,
    t: usize,
    n: usize,
    elem: usize,
) {
    macro_rules! typed {
        ($ty:ty) => {{
            let (sp, tp) = (src as *const $ty, dst as *mut $ty);
            for i in 0..n {
                tp.add(i * t)
                    .write_unaligned(sp.add(i * s).read_unaligned());
            }
        }};
    }
    match elem {
        1 => typed!(u8),
        2 => typed!(u16),
        4 => typed!(u32),
        8 => typed!(u64),
        16 => typed!(u128),
        _ => {
            for i in 0..n {
                std::ptr::copy_nonoverlapping(src.add(i * s * elem), dst.add(i * t * elem), elem);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_validation() {
        assert!(Layout::new(&[2, 3], None, 4, 24).is_ok());
        assert!(Layout::new(&[2, 3], None, 4, 23).is_err());
        // Fortran order.
        assert!(Layout::new(&[2, 3], Some(&[1, 2]), 4, 24).is_ok());
        // A view into a wider array.
        assert!(Layout::new(&[2, 3], Some(&[10, 1]), 1, 13).is_ok());
        assert!(Layout::new(&[2, 3], Some(&[10, 1]), 1, 12).is_err());
        // Overlap, zero and negative strides.
        assert!(Layout::new(&[2, 3], Some(&[1, 1]), 1, 100).is_err());
        assert!(Layout::new(&[2, 3], Some(&[0, 1]), 1, 100).is_err());
        assert!(Layout::new(&[2, 3], Some(&[-3, 1]), 1, 100).is_err());
        assert!(Layout::new(&[2, 3], Some(&[1]), 1, 100).is_err());
        // Size-1 dimensions may have any positive stride.
        assert!(Layout::new(&[1, 3], Some(&[1, 1]), 1, 3).is_ok());
        assert!(Layout::new(&[0, 3], None, 1, 0).is_ok());
        assert!(Layout::new(&[5, 0, 3], None, 1, 0).is_ok());
    }

    /// Reference: element-by-element copy by index arithmetic.
    fn naive_place(
        dst: &mut [u8],
        dl: &Layout,
        dst_start: &[u64],
        chunk: &[u8],
        cs: &[u64],
        c0: &[u64],
        shape: &[u64],
    ) {
        let e = dl.elem();
        let n: u64 = shape.iter().product();
        let cst = c_strides(cs);
        for flat in 0..n {
            let mut rem = flat;
            let mut idx = vec![0u64; shape.len()];
            for d in (0..shape.len()).rev() {
                idx[d] = rem % shape[d];
                rem /= shape[d];
            }
            let so: u64 = idx
                .iter()
                .zip(c0)
                .zip(&cst)
                .map(|((i, o), s)| (i + o) * s)
                .sum();
            let di: Vec<u64> = idx.iter().zip(dst_start).map(|(i, o)| i + o).collect();
            let to = dl.offset(&di);
            dst[to..to + e].copy_from_slice(&chunk[so as usize * e..so as usize * e + e]);
        }
    }

    #[test]
    fn strided_placement_matches_naive() {
        let cs = [4u64, 5, 3];
        let elem = 2;
        let chunk: Vec<u8> = (0..cs.iter().product::<u64>() as usize * elem)
            .map(|i| (i * 7 % 251) as u8)
            .collect();
        let region = [6u64, 7, 5];
        let layouts = [
            (None, 6 * 7 * 5),
            (Some(vec![1i64, 6, 42]), 6 * 7 * 5), // Fortran
            (Some(vec![100i64, 10, 1]), 600),     // view
            (Some(vec![35i64, 1, 7]), 6 * 7 * 5), // permuted
        ];
        for (strides, cap) in layouts {
            let dl = Layout::new(&region, strides.as_deref(), elem, cap * elem).unwrap();
            let mut fast = vec![0u8; cap * elem];
            let mut slow = vec![0u8; cap * elem];
            let (dst_start, c0, shape) = ([1u64, 2, 1], [1u64, 0, 1], [3u64, 5, 2]);
            {
                let d = DestBuffer::new(&mut fast, dl.clone());
                unsafe { d.copy_from_chunk(&dst_start, &chunk, &cs, &c0, &shape) };
            }
            naive_place(&mut slow, &dl, &dst_start, &chunk, &cs, &c0, &shape);
            assert_eq!(fast, slow, "strides {strides:?}");
            // And back: gather the block into a fresh chunk and compare.
            let mut back = vec![0u8; chunk.len()];
            SourceBuffer::new(&fast, dl.clone())
                .copy_to_chunk(&dst_start, &mut back, &cs, &c0, &shape);
            let mut expect = vec![0u8; chunk.len()];
            SourceBuffer::new(&chunk, Layout::c_order(&cs, elem)).copy_to_chunk(
                &c0,
                &mut expect,
                &cs,
                &c0,
                &shape,
            );
            assert_eq!(back, expect);
        }
    }

    #[test]
    fn fill_blocks() {
        let dl = Layout::new(&[3, 4], Some(&[1, 3]), 4, 48).unwrap();
        let mut buf = vec![0u8; 48];
        let d = DestBuffer::new(&mut buf, dl);
        unsafe { d.fill(&[1, 1], &[2, 2], &7u32.to_ne_bytes()) };
        let vals: Vec<u32> = buf
            .chunks(4)
            .map(|c| u32::from_ne_bytes(c.try_into().unwrap()))
            .collect();
        // Column-major: element (i, j) at i + 3j.
        for i in 0..3 {
            for j in 0..4 {
                let want = if (1..3).contains(&i) && (1..3).contains(&j) {
                    7
                } else {
                    0
                };
                assert_eq!(vals[i + 3 * j], want);
            }
        }
    }

    #[test]
    fn block_runs_walk_rows_in_c_order() {
        // A 2 x 3 x 4 block at (1, 1, 2) of a 4 x 5 x 8 C-order buffer of u16.
        let dl = Layout::c_order(&[4, 5, 8], 2);
        let mut buf = vec![0u8; 4 * 5 * 8 * 2];
        let base = buf.as_ptr() as usize;
        let d = DestBuffer::new(&mut buf, dl);
        let runs: Vec<(usize, usize)> = unsafe { d.c_order_runs(&[1, 1, 2], &[2, 3, 4], 8) }
            .unwrap()
            .map(|r| ((r.as_ptr() as usize - base) / 2, r.len()))
            .collect();
        let want: Vec<(usize, usize)> = (0..2)
            .flat_map(|z| (0..3).map(move |y| (((1 + z) * 5 + 1 + y) * 8 + 2, 8)))
            .collect();
        assert_eq!(runs, want);
        // Whole rows merge into one run; runs below the minimum, strided
        // rows and empty blocks give none.
        let merged: Vec<usize> = unsafe { d.c_order_runs(&[1, 0, 0], &[2, 5, 8], 8) }
            .unwrap()
            .map(|r| r.len())
            .collect();
        assert_eq!(merged, vec![2 * 5 * 8 * 2]);
        assert!(unsafe { d.c_order_runs(&[1, 1, 2], &[2, 3, 4], 9) }.is_none());
        assert!(unsafe { d.c_order_runs(&[1, 1, 2], &[2, 3, 0], 1) }.is_none());
        let fl = Layout::new(&[4, 5, 8], Some(&[1, 4, 20]), 2, 320).unwrap();
        let mut fbuf = vec![0u8; 320];
        let f = DestBuffer::new(&mut fbuf, fl);
        assert!(unsafe { f.c_order_runs(&[0, 0, 0], &[4, 5, 8], 1) }.is_none());
    }

    /// Place `count` chunks of `cs`, `nb` bytes each back to back in
    /// `chunks`, as a row of chunks at `start`, one chunk at a time.
    fn place_row(dest: &DestBuffer, start: &[u64], chunks: &[u8], cs: &[u64], count: usize) {
        let nb = chunks.len() / count;
        let mut placer = dest.chunk_row(start, cs, count);
        let mut held = vec![0u8; placer.holding_bytes()];
        for (k, chunk) in chunks.chunks_exact(nb).enumerate() {
            // SAFETY: one task writes the row's block.
            unsafe { placer.place(k, chunk, &mut held) };
        }
    }

    #[test]
    fn rows_of_chunks_placed_together_stream_and_equal_the_chunks() {
        use crate::nontemporal::tests::streamed_bytes;
        // A 40 MiB `uint16` destination 16 bytes past a line (as malloc
        // gives): one 32x64x64 chunk's 128-byte rows are too short to
        // stream, a row of four such chunks makes 512-byte rows that do.
        let shape = [40u64, 512, 1024];
        let len = 40 << 20;
        let cs = [32u64, 64, 64];
        let nb = 32 * 64 * 64 * 2;
        let chunks: Vec<u8> = (0..4 * nb)
            .map(|i| (i % 251) as u8 ^ (i / nb) as u8)
            .collect();
        let mut space = vec![0u8; len + 128];
        let line = (space.as_ptr() as usize).next_multiple_of(64) - space.as_ptr() as usize;
        let at = line + 16;
        {
            let dest = DestBuffer::new(&mut space[at..at + len], Layout::c_order(&shape, 2));
            assert!(dest.streams_more_as_row(&cs));
            assert!(
                dest.streams_more_as_row(&[32, 64, 256]),
                "512-byte rows: partial lines at the ends"
            );
            assert!(
                !dest.streams_more_as_row(&[32, 64, 60]),
                "rows of 120 bytes"
            );
            let before = streamed_bytes();
            place_row(&dest, &[3, 64, 256], &chunks, &cs, 4);
            // 7 of each row's 9 lines are whole, and stream.
            assert_eq!(streamed_bytes() - before, 32 * 64 * 7 * 64);
        }
        let buf = &space[at..at + len];
        for k in 0..4 {
            for z in 0..32 {
                for y in 0..64 {
                    let d = (((3 + z) * 512 + 64 + y) * 1024 + 256 + 64 * k) * 2;
                    let c = k * nb + (z * 64 + y) * 128;
                    assert_eq!(buf[d..d + 128], chunks[c..c + 128], "chunk {k} row {z} {y}");
                }
            }
        }
        // Nothing outside the block was written.
        let written: usize = buf.iter().filter(|&&b| b != 0).count();
        let in_chunks: usize = chunks.iter().filter(|&&b| b != 0).count();
        assert_eq!(written, in_chunks);
        // A 64-byte aligned destination streams one chunk's rows whole
        // already; a small one does not stream at all.
        let dest = DestBuffer::new(&mut space[line..line + len], Layout::c_order(&shape, 2));
        assert!(!dest.streams_more_as_row(&cs));
        let small_shape = [4u64, 512, 1024];
        let small = DestBuffer::new(
            &mut space[at..at + (4 << 20)],
            Layout::c_order(&small_shape, 2),
        );
        assert!(!small.streams_more_as_row(&cs));

        // A row of chunks as wide as the destination, whose rows lie back
        // to back there.
        let wide = [512u64, 128, 256];
        let len = 512 * 128 * 256 * 2;
        let mut space = vec![0u8; len + 128];
        let at = (space.as_ptr() as usize).next_multiple_of(64) - space.as_ptr() as usize + 16;
        {
            let dest = DestBuffer::new(&mut space[at..at + len], Layout::c_order(&wide, 2));
            let before = streamed_bytes();
            place_row(&dest, &[32, 64, 0], &chunks, &cs, 4);
            // 32 planes of 64 rows of 512 bytes back to back, each plane 16
            // bytes past a line: all but its first 48 and last 16 bytes
            // stream (placed row by row, every row would lose as many).
            assert_eq!(streamed_bytes() - before, 4 * nb - 32 * 64);
        }
        let buf = &space[at..at + len];
        for k in 0..4 {
            for z in 0..32 {
                for y in 0..64 {
                    let d = (((32 + z) * 128 + 64 + y) * 256 + 64 * k) * 2;
                    let c = k * nb + (z * 64 + y) * 128;
                    assert_eq!(buf[d..d + 128], chunks[c..c + 128], "chunk {k} row {z} {y}");
                }
            }
        }
        let written: usize = buf.iter().filter(|&&b| b != 0).count();
        assert_eq!(written, in_chunks);
    }

    #[test]
    fn rows_of_chunks_placed_chunk_by_chunk_equal_the_chunks_placed_alone() {
        use crate::nontemporal::tests::streamed_bytes;
        // (element size, destination shape, its strides, chunk shape, chunks
        // in the row, where the row starts, destination bytes past a line):
        // streaming destinations (32 MiB), rows of chunks whose rows end
        // inside lines, permuted leading dimensions, one dimension.
        type Case<'a> = (
            usize,
            &'a [u64],
            Option<&'a [i64]>,
            &'a [u64],
            usize,
            &'a [u64],
            usize,
        );
        let cases: [Case; 11] = [
            (1, &[64, 64, 8192], None, &[4, 3, 16], 7, &[5, 9, 48], 16),
            (2, &[64, 64, 4096], None, &[2, 5, 24], 5, &[60, 1, 8], 48),
            (4, &[4096, 2048], None, &[3, 40], 3, &[7, 4], 0),
            (
                2,
                &[64, 64, 4096],
                Some(&[4096, 64 * 4096, 1]),
                &[3, 4, 32],
                4,
                &[2, 50, 128],
                16,
            ),
            (2, &[16 << 20], None, &[40], 6, &[1000], 32),
            (1, &[64, 64, 8192], None, &[2, 2, 64], 9, &[0, 0, 0], 1),
            // Rows of chunks as wide as the destination: rows back to back.
            (2, &[512, 128, 256], None, &[3, 5, 64], 4, &[1, 7, 0], 16),
            (2, &[512, 128, 256], None, &[3, 5, 64], 4, &[1, 7, 0], 48),
            (2, &[512, 128, 256], None, &[2, 3, 32], 8, &[5, 0, 0], 0),
            (1, &[64, 64, 8192], None, &[2, 3, 1024], 8, &[1, 2, 0], 17),
            (4, &[4096, 2048], None, &[5, 512], 4, &[9, 0], 32),
        ];
        for (elem, shape, strides, cs, count, start, offset) in cases {
            let len = shape.iter().product::<u64>() as usize * elem;
            let layout = Layout::new(shape, strides, elem, len).unwrap();
            let nb = cs.iter().product::<u64>() as usize * elem;
            let chunks: Vec<u8> = (0..count * nb).map(|i| (i % 253) as u8 + 1).collect();
            let mut space = vec![0u8; len + 128];
            let at =
                (space.as_ptr() as usize).next_multiple_of(64) - space.as_ptr() as usize + offset;
            let before = streamed_bytes();
            place_row(
                &DestBuffer::new(&mut space[at..at + len], layout.clone()),
                start,
                &chunks,
                cs,
                count,
            );
            let streamed = streamed_bytes() - before;
            let mut want = vec![0u8; len];
            let zero = vec![0u64; cs.len()];
            for (k, chunk) in chunks.chunks_exact(nb).enumerate() {
                let mut s = start.to_vec();
                *s.last_mut().unwrap() += k as u64 * cs[cs.len() - 1];
                naive_place(&mut want, &layout, &s, chunk, cs, &zero, cs);
            }
            let case = format!("{elem} {shape:?} {cs:?} x{count} at {start:?} +{offset}");
            assert!(space[at..at + len] == want[..], "{case}");
            // Every whole line of the destination rows streamed, rows that
            // lie back to back taken as one run where they are joined
            // (rows of chunks of under 16 lines, each chunk's row a line
            // or more).
            let n = cs.len();
            let row = count * cs[n - 1] as usize * elem;
            let base = space.as_ptr() as usize + at;
            let mut runs: Vec<(usize, usize)> = Vec::new();
            let rows: u64 = cs[..n - 1].iter().product();
            for r in 0..rows {
                let mut idx = start.to_vec();
                let mut rest = r;
                for d in (0..n - 1).rev() {
                    idx[d] += rest % cs[d];
                    rest /= cs[d];
                }
                let a = base + layout.offset(&idx);
                match runs.last_mut() {
                    Some(last)
                        if last.1 == a && cs[n - 1] as usize * elem >= 64 && row < 16 * 64 =>
                    {
                        last.1 += row
                    }
                    _ => runs.push((a, a + row)),
                }
            }
            let whole: usize = runs
                .iter()
                .map(|&(a, b)| (b / 64).saturating_sub(a.div_ceil(64)) * 64)
                .sum();
            if cfg!(target_arch = "x86_64") {
                assert_eq!(streamed, whole, "{case}");
            }
        }
    }

    #[test]
    fn dense_layouts_span_exactly_their_elements() {
        assert_eq!(Layout::c_order(&[3, 4, 5], 2).dense_bytes(), Some(120));
        let fortran = Layout::new(&[3, 4, 5], Some(&[1, 3, 12]), 2, 120).unwrap();
        assert_eq!(fortran.dense_bytes(), Some(120));
        let gaps = Layout::new(&[3, 4, 5], Some(&[40, 10, 2]), 2, 1000).unwrap();
        assert_eq!(gaps.dense_bytes(), None);
        assert_eq!(Layout::c_order(&[3, 0, 5], 2).dense_bytes(), None);
        assert_eq!(Layout::c_order(&[], 8).dense_bytes(), Some(8));
    }

    #[test]
    fn large_destinations_stream_placed_rows() {
        use crate::nontemporal::tests::streamed_bytes;
        // A 40 MiB `uint16` destination, 64-byte aligned: a 64^3 chunk's
        // 128-byte rows stream whole, from copy_block and from RunFiller.
        let shape = [40u64, 512, 1024];
        let len = 40 << 20;
        let mut space = vec![0u8; len + 64];
        let at = (space.as_ptr() as usize).next_multiple_of(64) - space.as_ptr() as usize;
        let buf = &mut space[at..at + len];
        let dest = DestBuffer::new(buf, Layout::c_order(&shape, 2));
        let chunk: Vec<u8> = (0..32 * 64 * 64 * 2).map(|i| (i % 251) as u8).collect();
        let (cs, block) = ([32u64, 64, 64], [32u64, 64, 64]);
        let before = streamed_bytes();
        unsafe { dest.copy_from_chunk(&[0, 0, 64], &chunk, &cs, &[0, 0, 0], &block) };
        let after_copy = streamed_bytes();
        assert!(after_copy - before >= chunk.len(), "copy_block streamed");
        let runs = unsafe { dest.c_order_runs(&[8, 64, 128], &block, 64) }.unwrap();
        let mut filler = RunFiller::new(runs);
        for piece in chunk.chunks(1000) {
            assert!(filler.push(piece).is_ok());
        }
        assert!(filler.is_complete());
        drop(filler);
        assert!(
            streamed_bytes() - after_copy >= chunk.len() / 2,
            "RunFiller streamed"
        );
        drop(dest);
        // Both blocks hold the chunk's rows.
        let buf = &space[at..at + len];
        for (z0, y0, x0) in [(0usize, 0usize, 64usize), (8, 64, 128)] {
            for z in 0..32 {
                for y in 0..64 {
                    let d = (((z0 + z) * 512 + y0 + y) * 1024 + x0) * 2;
                    let c = (z * 64 + y) * 128;
                    assert_eq!(
                        buf[d..d + 128],
                        chunk[c..c + 128],
                        "({z0} {y0} {x0}) row {z} {y}"
                    );
                }
            }
        }
    }
}
