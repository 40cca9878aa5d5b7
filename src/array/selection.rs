//! Selections that are not one box: along each dimension every `step`-th
//! index, or a list of indices in any order (an orthogonal selection,
//! zarr-python's `oindex`, netCDF's strided `nc_get_vars`); or a list of
//! points (zarr-python's `vindex`, HDF5's point selections).
//!
//! Everything is cut at decode units: the inner chunks of a shard, else
//! the chunks. Along each dimension a selection's indices, sorted, fall
//! into runs, one per unit; a combination of runs, one per dimension, is
//! one unit's share of an orthogonal selection, as a group of points in
//! one unit is of a point selection. A read opens each touched chunk once
//! (a shard's index read once, through one version of the shard), fetches
//! the touched units' stored bytes in coalesced batches, decodes each unit
//! whole into a per-thread box and copies the selected elements out
//! (`selection_copy`). A write handles each touched chunk once, by one
//! task: an unsharded chunk is read unless the selection covers it, set
//! and written back; a shard goes through the shard write path
//! (`write::ShardEdit`), which decodes and encodes only the touched inner
//! chunks and patches a dense shard in place.

use super::read::{
    coalesce, fetch_run, fetch_shard_index, index_through, read_pieces, read_shard_region,
    ShardRead, COALESCE_GAP, COALESCE_MAX,
};
use super::selection_copy::{Offsets, Pairs};
use super::write::ShardEdit;
use super::Array;
use crate::codec::sharding::{ShardIndex, ShardingCodec};
use crate::error::{invalid_argument, out_of_bounds, out_of_memory, Error, Result};
use crate::region::{c_strides, ChunkPart};
use crate::scratch::{with_box_scratch, with_fetched};
use crate::store::ValueReader;
use crate::strided::{fill_slice, DestBuffer, Layout};
use crate::threads::{self, Gate};
use std::ops::Range;

/// The most stored bytes of a chunk's units a read fetches before it
/// decodes them (and holds while it does).
const BATCH_BYTES: u64 = 16 << 20;

/// What an orthogonal selection takes along one dimension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DimSelection<'a> {
    /// `count` indices: `start`, `start + step`, ... (`step` at least 1).
    Range { start: u64, step: u64, count: u64 },
    /// Indices in any order; an index may repeat.
    List(&'a [u64]),
}

impl DimSelection<'_> {
    /// Every index of a dimension of `extent` elements.
    pub fn all(extent: u64) -> DimSelection<'static> {
        DimSelection::Range {
            start: 0,
            step: 1,
            count: extent,
        }
    }

    /// How many indices it takes (the selection's extent along it).
    pub fn len(&self) -> u64 {
        match self {
            DimSelection::Range { count, .. } => *count,
            DimSelection::List(l) => l.len() as u64,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One dimension's indices in increasing order, each with its position in
/// the selection (positions increasing among equal indices, so that of
/// repeated indices the caller's last is written last).
enum Sorted {
    Range {
        start: u64,
        step: u64,
        count: u64,
    },
    /// (index, position), sorted by index.
    List(Vec<(u64, u64)>),
}

impl Sorted {
    fn new(sel: &DimSelection, extent: u64, d: usize) -> Result<Sorted> {
        match *sel {
            DimSelection::Range { start, step, count } => {
                if step == 0 {
                    return Err(invalid_argument(format!(
                        "dimension {d}: step 0; steps must be at least 1"
                    )));
                }
                if count > 0 {
                    let last = (count - 1)
                        .checked_mul(step)
                        .and_then(|x| x.checked_add(start));
                    if last.is_none_or(|l| l >= extent) {
                        return Err(out_of_bounds(format!(
                            "dimension {d}: {count} indices from {start} in steps of {step} \
                             go past the extent {extent}"
                        )));
                    }
                }
                Ok(Sorted::Range { start, step, count })
            }
            DimSelection::List(list) => {
                if let Some((k, i)) = list.iter().enumerate().find(|(_, &i)| i >= extent) {
                    return Err(out_of_bounds(format!(
                        "dimension {d}: index {i} (entry {k}) is outside the extent {extent}"
                    )));
                }
                let mut v: Vec<(u64, u64)> = crate::alloc::with_capacity(list.len())?;
                v.extend(list.iter().enumerate().map(|(k, &i)| (i, k as u64)));
                if !v.is_sorted_by_key(|e| e.0) {
                    // Stable: equal indices keep their positions' order.
                    v.sort_by_key(|e| e.0);
                }
                Ok(Sorted::List(v))
            }
        }
    }

    fn len(&self) -> u64 {
        match self {
            Sorted::Range { count, .. } => *count,
            Sorted::List(v) => v.len() as u64,
        }
    }

    /// The `k`-th smallest index.
    fn index(&self, k: u64) -> u64 {
        match self {
            Sorted::Range { start, step, .. } => start + k * step,
            Sorted::List(v) => v[k as usize].0,
        }
    }

    /// Where the `k`-th smallest index stands in the selection.
    fn position(&self, k: u64) -> u64 {
        match self {
            Sorted::Range { .. } => k,
            Sorted::List(v) => v[k as usize].1,
        }
    }

    /// The first `k'` from `k` on whose index is at least `bound` (the
    /// length when there is none).
    fn first_from(&self, k: u64, bound: u64) -> u64 {
        match self {
            Sorted::Range { start, step, count } => {
                let at = if bound <= *start {
                    0
                } else {
                    (bound - start).div_ceil(*step)
                };
                at.clamp(k, *count)
            }
            Sorted::List(v) => k + v[k as usize..].partition_point(|e| e.0 < bound) as u64,
        }
    }
}

/// Where chunks and decode units lie along each dimension.
struct Cuts<'a> {
    array: &'a Array,
    /// The inner chunk shape of a sharded array.
    inner: Option<Vec<u64>>,
}

impl<'a> Cuts<'a> {
    fn new(array: &'a Array) -> Self {
        Cuts {
            array,
            inner: array.codecs().sharding().map(|s| s.chunk_shape().to_vec()),
        }
    }

    /// The chunk that holds element `i` along dimension `d`: its grid
    /// index and its elements `[origin, end)` (inside the extent).
    fn chunk(&self, d: usize, i: u64) -> (u64, u64, u64) {
        let extent = self.array.shape()[d];
        let (c, origin, edge) = match &self.array.meta.rectilinear {
            Some(grid) => {
                let c = grid.index_of(d, i);
                let (origin, edge) = grid.span_along(d, c);
                (c, origin, edge)
            }
            None => {
                let edge = self.array.chunk_shape()[d];
                (i / edge, i / edge * edge, edge)
            }
        };
        (c, origin, origin.saturating_add(edge).min(extent))
    }

    /// The unit that holds element `i` of the chunk `[origin, end)` along
    /// dimension `d`: `[lo, hi)`.
    fn unit(&self, d: usize, i: u64, origin: u64, end: u64) -> (u64, u64) {
        match &self.inner {
            Some(inner) => {
                let lo = origin + (i - origin) / inner[d] * inner[d];
                (lo, lo.saturating_add(inner[d]).min(end))
            }
            None => (origin, end),
        }
    }
}

/// Indices of one dimension that lie in one unit.
#[derive(Debug, Clone)]
struct Run {
    /// The grid index, along the dimension, of the chunk holding the unit.
    chunk: u64,
    /// The run's entries in the dimension's sorted order.
    entries: Range<u64>,
    /// The unit's elements: `[unit_lo, unit_hi)`, inside the extent.
    unit_lo: u64,
    unit_hi: u64,
}

/// One dimension of an orthogonal selection, cut into runs.
struct Axis {
    sorted: Sorted,
    runs: Vec<Run>,
    /// The runs of each chunk the selection touches, in order.
    chunks: Vec<Range<usize>>,
}

impl Axis {
    fn new(sorted: Sorted, cuts: &Cuts, d: usize) -> Result<Axis> {
        let n = sorted.len();
        let (mut runs, mut chunks): (Vec<Run>, Vec<Range<usize>>) = (Vec::new(), Vec::new());
        let mut k = 0;
        while k < n {
            let first = sorted.index(k);
            let (chunk, origin, end) = cuts.chunk(d, first);
            let (unit_lo, unit_hi) = cuts.unit(d, first, origin, end);
            let next = sorted.first_from(k, unit_hi);
            runs.try_reserve(1).map_err(|_| too_many())?;
            runs.push(Run {
                chunk,
                entries: k..next,
                unit_lo,
                unit_hi,
            });
            match chunks.last_mut() {
                Some(c) if runs[c.start].chunk == chunk => c.end = runs.len(),
                _ => {
                    chunks.try_reserve(1).map_err(|_| too_many())?;
                    chunks.push(runs.len() - 1..runs.len());
                }
            }
            k = next;
        }
        Ok(Axis {
            sorted,
            runs,
            chunks,
        })
    }

    /// The entries of the `c`-th touched chunk, in sorted order.
    fn chunk_entries(&self, c: usize) -> Range<u64> {
        let r = &self.chunks[c];
        self.runs[r.start].entries.start..self.runs[r.end - 1].entries.end
    }

    /// How many distinct indices `entries` hold.
    fn distinct(&self, entries: Range<u64>) -> u64 {
        match &self.sorted {
            Sorted::Range { .. } => entries.end - entries.start,
            Sorted::List(v) => {
                let e = &v[entries.start as usize..entries.end as usize];
                e.len() as u64 - e.windows(2).filter(|w| w[0].0 == w[1].0).count() as u64
            }
        }
    }
}

fn too_many() -> Error {
    out_of_memory("the selection's runs of indices do not fit in memory")
}

/// The product of `counts`, or an error when it cannot be counted.
fn product(mut counts: impl Iterator<Item = usize>) -> Result<usize> {
    counts
        .try_fold(1usize, |n, c| n.checked_mul(c))
        .ok_or_else(|| invalid_argument("the selection touches more chunks than can be counted"))
}

/// The `i`-th tuple, in C order, of `counts[d]` choices per dimension.
fn unflatten(mut i: usize, counts: &[usize]) -> Vec<usize> {
    let mut at = vec![0; counts.len()];
    for d in (0..counts.len()).rev() {
        at[d] = i % counts[d];
        i /= counts[d];
    }
    at
}

/// Offsets of the entries `entries` of `axis`, for a box from `lo` whose
/// elements lie `box_stride` bytes apart along the dimension, and a
/// selection buffer whose lie `sel_stride` bytes apart.
fn offsets(
    axis: &Axis,
    entries: Range<u64>,
    lo: u64,
    box_stride: usize,
    sel_stride: usize,
) -> Offsets {
    let n = (entries.end - entries.start) as usize;
    let (mut in_box, mut in_sel) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for k in entries {
        in_box.push((axis.sorted.index(k) - lo) as usize * box_stride);
        in_sel.push(axis.sorted.position(k) as usize * sel_stride);
    }
    Offsets { in_box, in_sel }
}

/// A checked orthogonal selection, cut along each dimension.
struct Orthogonal {
    axes: Vec<Axis>,
    /// Byte strides of the selection's buffer.
    sel_strides: Vec<usize>,
    /// How many chunks the selection touches along each dimension.
    chunk_counts: Vec<usize>,
    elem: usize,
}

impl Orthogonal {
    /// How many chunks the selection touches.
    fn chunks(&self) -> Result<usize> {
        product(self.chunk_counts.iter().copied())
    }

    /// The runs of the `c`-th touched chunk (C order), per dimension.
    fn chunk_runs(&self, c: usize) -> Vec<&[Run]> {
        let at = unflatten(c, &self.chunk_counts);
        self.axes
            .iter()
            .zip(&at)
            .map(|(a, &g)| &a.runs[a.chunks[g].clone()])
            .collect()
    }

    /// The pairs of places of the entries `entries(d)` of each dimension,
    /// in the box `lo..lo+shape` (C order) and in the selection's buffer.
    fn pairs(&self, entries: impl Fn(usize) -> Range<u64>, lo: &[u64], shape: &[u64]) -> Pairs {
        let box_strides = c_strides(shape);
        let dims = (0..self.axes.len())
            .map(|d| {
                offsets(
                    &self.axes[d],
                    entries(d),
                    lo[d],
                    box_strides[d] as usize * self.elem,
                    self.sel_strides[d],
                )
            })
            .collect();
        Pairs::new(dims, self.elem)
    }
}

/// The caller's buffer a read copies selected elements into, from several
/// threads at once.
struct SharedOut {
    ptr: *mut u8,
    len: usize,
}

// SAFETY: the buffer is the caller's, borrowed mutably for the whole read;
// tasks write it only through `write`, whose contract is that no two tasks
// write the same bytes.
unsafe impl Send for SharedOut {}
unsafe impl Sync for SharedOut {}

impl SharedOut {
    fn new(out: &mut [u8]) -> Self {
        SharedOut {
            ptr: out.as_mut_ptr(),
            len: out.len(),
        }
    }

    /// Copy the selected elements of `from_box` to their places.
    ///
    /// # Safety
    /// As `write`, for every place `pairs` names.
    unsafe fn gather(&self, pairs: &Pairs, from_box: &[u8]) {
        // SAFETY: the buffer is valid for `len` bytes while the read runs;
        // exclusive by the contract.
        unsafe { pairs.gather(from_box, self.ptr, self.len) }
    }

    /// Copy `data` to byte `at`.
    ///
    /// # Safety
    /// No other task writes these bytes. (Each selected element belongs to
    /// one box, or one point to one group, and the validated layout maps
    /// distinct elements to distinct bytes.)
    #[inline]
    unsafe fn write(&self, at: usize, data: &[u8]) {
        assert!(at <= self.len && data.len() <= self.len - at);
        // SAFETY: in bounds (checked above), and no other task reads or
        // writes these bytes while the slice lives (the contract).
        let dst = unsafe { std::slice::from_raw_parts_mut(self.ptr.add(at), data.len()) };
        copy_elements(data, dst);
    }
}

/// `dst.copy_from_slice(src)`, with the sizes of one element of the common
/// types as constants: a gather copies elements one by one, and a copy of
/// a size known at compile time is a load and a store, not a call.
#[inline(always)]
fn copy_elements(src: &[u8], dst: &mut [u8]) {
    macro_rules! fixed {
        ($($n:literal)*) => {
            match src.len() {
                $($n => dst[..$n].copy_from_slice(&src[..$n]),)*
                _ => dst.copy_from_slice(src),
            }
        };
    }
    fixed!(1 2 4 8 16)
}

/// A chunk a read touches, opened for reading boxes of it.
struct OpenChunk<'a> {
    /// The chunk's array: the array itself, or for a rectilinear grid the
    /// view of this chunk (see `rectilinear`).
    view: Option<Array>,
    array: &'a Array,
    /// The chunk's indices in that array.
    indices: Vec<u64>,
    /// The chunk's first element in the array.
    origin: Vec<u64>,
    key: String,
    shard: Shard,
    /// One version of the shard, where the store reads values by range:
    /// its index and its inner chunks then agree even while another
    /// writer replaces the shard.
    reader: Option<Box<dyn ValueReader + 'a>>,
}

enum Shard {
    NotSharded,
    Absent,
    Index(ShardIndex),
}

impl<'a> OpenChunk<'a> {
    fn new(array: &'a Array, chunk: &[u64]) -> Result<Self> {
        let (origin, _) = array.chunk_place(chunk);
        let (view, indices) = if array.is_rectilinear() {
            (Some(array.chunk_view(chunk)?), vec![0; chunk.len()])
        } else {
            (None, chunk.to_vec())
        };
        let a = view.as_ref().unwrap_or(array);
        let key = a.chunk_key(&indices);
        // The view's store is the array's.
        let store = array.store().as_ref();
        let (mut shard, mut reader) = (Shard::NotSharded, None);
        if let Some(sharding) = a.codecs().sharding() {
            shard = Shard::Absent;
            if store.supports_value_reader() {
                if let Some(r) = store.value_reader(&key)? {
                    shard = Shard::Index(index_through(&*r, sharding, &key)?);
                    reader = Some(r);
                }
            } else if let Some(index) = fetch_shard_index(store, &key, sharding)? {
                shard = Shard::Index(index);
            }
        }
        Ok(OpenChunk {
            view,
            array,
            indices,
            origin,
            key,
            shard,
            reader,
        })
    }

    fn array(&self) -> &Array {
        self.view.as_ref().unwrap_or(self.array)
    }

    /// Read the units `0..n` of this chunk (`unit(u)`: its box, array
    /// coordinates, one unit each) on `workers` threads, each into a box
    /// buffer of its task's, and hand it to `take(u, lo, shape, box)`. Of a
    /// shard, the units' stored bytes are fetched first, a batch of units
    /// at a time (about `BATCH_BYTES`), nearby ones with one request.
    fn read_units(
        &self,
        n: usize,
        workers: usize,
        gate: &Gate,
        unit: impl Fn(usize) -> (Vec<u64>, Vec<u64>) + Sync,
        take: impl Fn(usize, &[u64], &[u64], &[u8]) -> Result<()> + Sync,
    ) -> Result<()> {
        let a = self.array();
        let read = |u: usize, fetched: Option<(u64, &[u8])>| {
            let (lo, shape) = unit(u);
            with_box_scratch(box_bytes(&shape, a.elem())?, |scratch| {
                self.read_box(&lo, &shape, scratch, gate, fetched)?;
                take(u, &lo, &shape, scratch)
            })
        };
        let (Shard::Index(index), Some(sharding)) = (&self.shard, a.codecs().sharding()) else {
            return threads::for_each(workers, n, |u| read(u, None));
        };
        let store = a.store().as_ref();
        let mut next = 0;
        while next < n {
            let first = next;
            // What a batch may fetch: its inner chunks and, where runs
            // join them, the gaps between (at most one per inner chunk).
            let (mut entries, mut total) = (Vec::new(), 0u64);
            while next < n && (next == first || total < BATCH_BYTES) {
                let flat = inner_flat(sharding, &unit(next).0, &self.origin);
                if let Some((offset, nbytes)) = index.entry(flat) {
                    entries.push((offset, nbytes, next - first));
                    total = total.saturating_add(nbytes).saturating_add(COALESCE_GAP);
                }
                next += 1;
            }
            let runs = coalesce(entries, COALESCE_MAX);
            let mut holder = vec![None; next - first];
            for (r, run) in runs.iter().enumerate() {
                for &m in &run.members {
                    holder[m] = Some(r);
                }
            }
            let read_batch = |bytes: &[&[u8]]| {
                threads::for_each(workers, next - first, |i| {
                    read(first + i, holder[i].map(|r| (runs[r].start, bytes[r])))
                })
            };
            match &self.reader {
                // The runs side by side in this thread's reused buffer.
                Some(reader) => with_fetched(|buf| {
                    let len = runs.iter().map(|r| (r.end - r.start) as usize).sum();
                    if buf.len() < len {
                        crate::alloc::resize_zeroed(buf, len)?;
                    }
                    let mut pieces = Vec::with_capacity(runs.len());
                    let mut rest = &mut buf[..len];
                    for run in &runs {
                        let (piece, tail) = rest.split_at_mut((run.end - run.start) as usize);
                        pieces.push((run.start, piece));
                        rest = tail;
                    }
                    read_pieces(&**reader, pieces, workers)?;
                    let mut bytes = Vec::with_capacity(runs.len());
                    let mut rest = &buf[..len];
                    for run in &runs {
                        let (piece, tail) = rest.split_at((run.end - run.start) as usize);
                        bytes.push(piece);
                        rest = tail;
                    }
                    read_batch(&bytes)
                })?,
                None => {
                    let fetched = threads::map(workers, runs.len(), |r| {
                        fetch_run(store, &self.key, &runs[r])
                    })?;
                    let bytes: Vec<&[u8]> = fetched.iter().map(|b| &b[..]).collect();
                    read_batch(&bytes)?
                }
            }
        }
        Ok(())
    }

    /// Read the box `lo..lo+shape` (array coordinates, inside one unit of
    /// this chunk) into `out`, C order; of a shard, from `fetched` (the
    /// shard's bytes from an offset on, holding the unit) when given.
    fn read_box(
        &self,
        lo: &[u64],
        shape: &[u64],
        out: &mut [u8],
        gate: &Gate,
        fetched: Option<(u64, &[u8])>,
    ) -> Result<()> {
        let a = self.array();
        if let Shard::Absent = self.shard {
            fill_slice(out, a.fill_value());
            return Ok(());
        }
        let part = ChunkPart {
            chunk: self.indices.clone(),
            in_chunk: lo.iter().zip(&self.origin).map(|(l, o)| l - o).collect(),
            in_region: vec![0; lo.len()],
            shape: shape.to_vec(),
        };
        let dest = DestBuffer::scratch(out, Layout::c_order(shape, a.elem()));
        match (&self.shard, a.codecs().sharding()) {
            (Shard::Index(index), Some(sharding)) => {
                let ctx = ShardRead {
                    store: a.store().as_ref(),
                    key: &self.key,
                    sharding,
                    fill_value: a.fill_value(),
                    gate,
                    alone: false,
                    index: Some(index),
                    fetched,
                };
                read_shard_region(&ctx, a.chunk_shape(), &part, &dest, 1)
            }
            _ => a.read_chunk_part(&part, &dest, gate, 1),
        }
    }
}

/// The flat index, in its shard's grid of inner chunks, of the inner chunk
/// whose first element is `lo` (array coordinates), of the shard whose
/// first element is `origin`.
fn inner_flat(sharding: &ShardingCodec, lo: &[u64], origin: &[u64]) -> usize {
    let (inner, grid) = (sharding.chunk_shape(), sharding.chunks_per_shard());
    (0..lo.len()).fold(0u64, |f, d| f * grid[d] + (lo[d] - origin[d]) / inner[d]) as usize
}

/// The runs of unit `u` of a chunk whose runs along each dimension are
/// `runs` (units in C order).
fn unit_runs<'r>(runs: &[&'r [Run]], u: usize) -> Vec<&'r Run> {
    let counts: Vec<usize> = runs.iter().map(|r| r.len()).collect();
    let at = unflatten(u, &counts);
    runs.iter().zip(&at).map(|(r, &k)| &r[k]).collect()
}

/// The byte offset of point `p` (of `points`, `n` coordinates each) in the
/// C-order box from `lo` whose element strides are `box_strides`.
fn point_offset(points: &[u64], n: usize, p: usize, lo: &[u64], box_strides: &[u64]) -> usize {
    (0..n)
        .map(|d| (points[p * n + d] - lo[d]) * box_strides[d])
        .sum::<u64>() as usize
}

/// Check that a buffer of `len` bytes holds `count` points of `elem` bytes.
fn check_points_buffer(count: usize, elem: usize, len: usize, what: &str) -> Result<()> {
    if count.checked_mul(elem).is_none_or(|b| b > len) {
        return Err(crate::error::buffer_too_small(format!(
            "{count} points of {elem} bytes do not fit the {what} of {len} bytes"
        )));
    }
    Ok(())
}

/// Bytes of a C-order box of `shape` elements of `elem` bytes.
fn box_bytes(shape: &[u64], elem: usize) -> Result<usize> {
    product(shape.iter().map(|&n| n as usize))?
        .checked_mul(elem)
        .ok_or_else(|| invalid_argument("a box of the selection is too large to address"))
}

impl Array {
    /// Check, sort and cut an orthogonal selection whose buffer (`len`
    /// bytes) is laid out by `strides`; None when it selects nothing.
    fn plan_orthogonal(
        &self,
        sel: &[DimSelection],
        strides: Option<&[i64]>,
        len: usize,
    ) -> Result<Option<Orthogonal>> {
        self.check_fixed_size()?;
        if sel.len() != self.ndim() {
            return Err(invalid_argument(format!(
                "the selection has {} dimensions, the array {}",
                sel.len(),
                self.ndim()
            )));
        }
        let mut sorted = Vec::with_capacity(sel.len());
        for (d, s) in sel.iter().enumerate() {
            sorted.push(Sorted::new(s, self.shape()[d], d)?);
        }
        // The buffer is checked before any work that grows with the
        // selection, and an empty selection does none.
        let shape: Vec<u64> = sel.iter().map(DimSelection::len).collect();
        let elem = self.elem();
        let layout = Layout::new(&shape, strides, elem, len)?;
        if shape.contains(&0) {
            return Ok(None);
        }
        let cuts = Cuts::new(self);
        let mut axes = Vec::with_capacity(sel.len());
        for (d, s) in sorted.into_iter().enumerate() {
            axes.push(Axis::new(s, &cuts, d)?);
        }
        let chunk_counts = axes.iter().map(|a| a.chunks.len()).collect();
        Ok(Some(Orthogonal {
            sel_strides: layout
                .strides()
                .iter()
                // A stride of a dimension of one index may be anything: it
                // is only ever multiplied by 0.
                .map(|&s| (s as usize).saturating_mul(elem))
                .collect(),
            axes,
            chunk_counts,
            elem,
        }))
    }

    /// Read an orthogonal selection into `out`: element `(k0, k1, ...)` of
    /// the result is the array's element at `(sel[0][k0], sel[1][k1],
    /// ...)`. `out`'s layout is given by element `strides` over the
    /// selection's shape (None = C order), as for `read_region`.
    pub fn read_orthogonal(
        &self,
        sel: &[DimSelection],
        out: &mut [u8],
        strides: Option<&[i64]>,
    ) -> Result<()> {
        let Some(plan) = self.plan_orthogonal(sel, strides, out.len())? else {
            return Ok(());
        };
        let out = SharedOut::new(out);
        let (workers, gate) = threads::plan(self.threads(), self.io_concurrency());
        threads::for_each(workers, plan.chunks()?, |c| {
            let runs = plan.chunk_runs(c);
            let chunk: Vec<u64> = runs.iter().map(|r| r[0].chunk).collect();
            let open = OpenChunk::new(self, &chunk)?;
            let units = product(runs.iter().map(|r| r.len()))?;
            // Whole units: each is decoded whole, straight into the box.
            let unit = |u: usize| {
                let runs = unit_runs(&runs, u);
                let lo: Vec<u64> = runs.iter().map(|r| r.unit_lo).collect();
                let shape = runs.iter().map(|r| r.unit_hi - r.unit_lo).collect();
                (lo, shape)
            };
            let take = |u: usize, lo: &[u64], shape: &[u64], scratch: &[u8]| {
                let runs = unit_runs(&runs, u);
                let pairs = plan.pairs(|d| runs[d].entries.clone(), lo, shape);
                // SAFETY: the elements of this box's entries are this
                // task's alone (see `SharedOut::write`).
                unsafe { out.gather(&pairs, scratch) };
                Ok(())
            };
            open.read_units(units, workers, &gate, unit, take)
        })
    }

    /// Write an orthogonal selection from `src` (laid out as `out` of
    /// `read_orthogonal`): the array's element at `(sel[0][k0], sel[1][k1],
    /// ...)` becomes element `(k0, k1, ...)` of `src`. Where an index
    /// repeats along a dimension, the last of its positions is written.
    pub fn write_orthogonal(
        &self,
        sel: &[DimSelection],
        src: &[u8],
        strides: Option<&[i64]>,
    ) -> Result<()> {
        let Some(plan) = self.plan_orthogonal(sel, strides, src.len())? else {
            return Ok(());
        };
        let shape: Vec<u64> = sel.iter().map(DimSelection::len).collect();
        let layout = Layout::new(&shape, strides, self.elem(), src.len())?;
        self.check_elements(src, &layout, &shape)?;
        threads::for_each(self.threads(), plan.chunks()?, |c| {
            let at = unflatten(c, &plan.chunk_counts);
            let runs = plan.chunk_runs(c);
            if self.codecs().sharding().is_some() {
                // Each touched inner chunk: its place and whether the
                // selection sets all of it.
                let mut units = Vec::new();
                for u in 0..product(runs.iter().map(|r| r.len()))? {
                    let runs = unit_runs(&runs, u);
                    let lo: Vec<u64> = runs.iter().map(|r| r.unit_lo).collect();
                    let covered = runs
                        .iter()
                        .zip(&plan.axes)
                        .all(|(r, a)| a.distinct(r.entries.clone()) == r.unit_hi - r.unit_lo);
                    units.push((lo, covered));
                }
                let chunk: Vec<u64> = runs.iter().map(|r| r[0].chunk).collect();
                return self.write_units(&chunk, units, |u, lo, inner_shape, buf| {
                    let runs = unit_runs(&runs, u);
                    plan.pairs(|d| runs[d].entries.clone(), lo, inner_shape)
                        .scatter(src, buf)
                });
            }
            // The chunk: the selection's elements set into it, read first
            // unless the selection covers it.
            let (mut lo, mut shape, mut covered) = (Vec::new(), Vec::new(), true);
            for (runs, (a, &g)) in runs.iter().zip(plan.axes.iter().zip(&at)) {
                let (l, h) = (runs[0].unit_lo, runs[runs.len() - 1].unit_hi);
                covered &= a.distinct(a.chunk_entries(g)) == h - l;
                lo.push(l);
                shape.push(h - l);
            }
            let pairs = plan.pairs(|d| plan.axes[d].chunk_entries(at[d]), &lo, &shape);
            self.write_box(&lo, &shape, covered, |b| pairs.scatter(src, b))
        })
    }

    /// Write the touched inner chunks of the shard `chunk`: `units` lists
    /// each one's first element (array coordinates) and whether the
    /// selection sets all of it, and `set(u, lo, inner_shape, buf)` sets
    /// the selected elements of unit `u` in `buf`, its inner chunk decoded
    /// (full inner shape, C order). The shard is written once: its touched
    /// inner chunks patched in place where it is dense, else rewritten
    /// with the others' stored bytes kept.
    fn write_units(
        &self,
        chunk: &[u64],
        units: Vec<(Vec<u64>, bool)>,
        set: impl Fn(usize, &[u64], &[u64], &mut [u8]) + Sync,
    ) -> Result<()> {
        let (origin, edges) = self.chunk_place(chunk);
        let view = match self.is_rectilinear() {
            true => Some(self.chunk_view(chunk)?),
            false => None,
        };
        let (a, indices) = match &view {
            Some(v) => (v, vec![0; chunk.len()]),
            None => (self, chunk.to_vec()),
        };
        let Some(sharding) = a.codecs().sharding() else {
            return Err(crate::error::internal(
                "write_units of an array without shards",
            ));
        };
        let inner = sharding.chunk_shape();
        let mut flats: Vec<(usize, usize, bool)> = units
            .iter()
            .enumerate()
            .map(|(u, (lo, covered))| (inner_flat(sharding, lo, &origin), u, *covered))
            .collect();
        flats.sort_unstable();
        // Whether the selection sets every inner chunk that holds an
        // element of the array (an edge shard's others lie past the
        // extent): the shard is then written whole, as a region write
        // covering it is (and erased if it is all fill value).
        let in_extent = (0..chunk.len()).try_fold(1u64, |n, d| {
            let extent = edges[d].min(self.shape()[d] - origin[d]);
            n.checked_mul(extent.div_ceil(inner[d]))
        });
        let all = Some(flats.len() as u64) == in_extent && flats.iter().all(|f| f.2);
        let edit = UnitsEdit {
            sharding,
            key: a.chunk_key(&indices),
            flats,
            set: |u: usize, buf: &mut [u8]| set(u, &units[u].0, inner, buf),
        };
        a.write_shard(sharding, &indices, &edit, all)
    }

    /// Check that `points` are whole points (`ndim` coordinates each)
    /// inside the array; their count.
    pub(super) fn check_points(&self, points: &[u64]) -> Result<usize> {
        let n = self.ndim();
        if n == 0 {
            return Err(invalid_argument(
                "a point selection needs an array of one dimension or more",
            ));
        }
        if points.len() % n != 0 {
            return Err(invalid_argument(format!(
                "{} coordinates do not make points of {n} dimensions",
                points.len()
            )));
        }
        for (p, point) in points.chunks_exact(n).enumerate() {
            for (d, (&i, &extent)) in point.iter().zip(self.shape()).enumerate() {
                if i >= extent {
                    return Err(out_of_bounds(format!(
                        "point {p}: coordinate {i} in dimension {d} is outside the extent \
                         {extent}"
                    )));
                }
            }
        }
        Ok(points.len() / n)
    }

    /// Check `points` (`ndim` coordinates each, C order) and group them:
    /// their order, sorted by chunk and then unit (stable), the ranges of
    /// that order each chunk holds, and within those the ranges each unit
    /// holds.
    fn group_points(&self, points: &[u64]) -> Result<PointGroups> {
        self.check_fixed_size()?;
        let n = self.ndim();
        let count = self.check_points(points)?;
        let cuts = Cuts::new(self);
        // A point's place: its chunk's indices, then its unit's within the
        // chunk, as the digits of one number where the grid allows
        // (sorting numbers is many times faster than sorting lists).
        let grid = self.grid_shape();
        // Units along a chunk: of a regular grid's chunk edge; a
        // rectilinear grid's chunks differ, the extent bounds them all.
        let units: Vec<u64> = (0..n)
            .map(|d| {
                let edge = match self.is_rectilinear() {
                    true => self.shape()[d],
                    false => self.chunk_shape()[d],
                };
                cuts.inner.as_ref().map_or(1, |i| edge.div_ceil(i[d]))
            })
            .collect();
        let span = units.iter().try_fold(1u64, |a, &u| a.checked_mul(u.max(1)));
        // The unit digits' span, when all the digits fit in a u64.
        let digits = span.filter(|&sp| {
            grid.iter()
                .try_fold(sp, |a, &g| a.checked_mul(g.max(1)))
                .is_some()
        });
        let mut order: Vec<usize> = crate::alloc::with_capacity(count)?;
        let (chunks, units) = if let Some(span) = digits {
            let mut keyed: Vec<(u64, usize)> = crate::alloc::with_capacity(count)?;
            for (p, point) in points.chunks_exact(n).enumerate() {
                let (mut chunk, mut unit) = (0u64, 0u64);
                for (d, &i) in point.iter().enumerate() {
                    let (c, origin, end) = cuts.chunk(d, i);
                    chunk = chunk * grid[d].max(1) + c;
                    let lo = cuts.unit(d, i, origin, end).0;
                    let within = cuts
                        .inner
                        .as_ref()
                        .map_or(0, |inner| (lo - origin) / inner[d]);
                    unit = unit * units[d].max(1) + within;
                }
                keyed.push((chunk * span + unit, p));
            }
            // Ties broken by the point's number: the caller's order.
            keyed.sort_unstable();
            order.extend(keyed.iter().map(|k| k.1));
            group_sorted(
                count,
                |a, b| keyed[a].0 / span == keyed[b].0 / span,
                |a, b| keyed[a].0 == keyed[b].0,
            )
        } else {
            // Per point: its chunk's index along each dimension, then its
            // unit's first element along each.
            let mut keys: Vec<u64> = crate::alloc::with_capacity(points.len().saturating_mul(2))?;
            for point in points.chunks_exact(n) {
                for (d, &i) in point.iter().enumerate() {
                    keys.push(cuts.chunk(d, i).0);
                }
                for (d, &i) in point.iter().enumerate() {
                    let (_, origin, end) = cuts.chunk(d, i);
                    keys.push(cuts.unit(d, i, origin, end).0);
                }
            }
            let key = |p: usize| &keys[p * 2 * n..(p + 1) * 2 * n];
            order.extend(0..count);
            order.sort_by(|&a, &b| key(a).cmp(key(b)));
            let order = &order;
            group_sorted(
                count,
                |a, b| key(order[a])[..n] == key(order[b])[..n],
                |a, b| key(order[a]) == key(order[b]),
            )
        };
        Ok(PointGroups {
            order,
            chunks,
            units,
        })
    }

    /// The box (first element, shape) of the units that hold the points
    /// `members` (all in one chunk), from the first unit to the last along
    /// each dimension.
    fn units_box(&self, cuts: &Cuts, points: &[u64], members: &[usize]) -> (Vec<u64>, Vec<u64>) {
        let n = self.ndim();
        let (mut lo, mut hi) = (vec![u64::MAX; n], vec![0; n]);
        for &p in members {
            for d in 0..n {
                lo[d] = lo[d].min(points[p * n + d]);
                hi[d] = hi[d].max(points[p * n + d]);
            }
        }
        for d in 0..n {
            let (_, origin, end) = cuts.chunk(d, lo[d]);
            lo[d] = cuts.unit(d, lo[d], origin, end).0;
            hi[d] = cuts.unit(d, hi[d], origin, end).1 - lo[d];
        }
        (lo, hi)
    }

    /// Read the elements at `points` (`ndim` coordinates each, C order)
    /// into `out`, one after another.
    pub fn read_points(&self, points: &[u64], out: &mut [u8]) -> Result<()> {
        let groups = self.group_points(points)?;
        let (n, elem) = (self.ndim(), self.elem());
        check_points_buffer(groups.order.len(), elem, out.len(), "buffer")?;
        let out = SharedOut::new(out);
        let cuts = Cuts::new(self);
        let (workers, gate) = threads::plan(self.threads(), self.io_concurrency());
        threads::for_each(workers, groups.chunks.len(), |c| {
            let units = groups.chunks[c].clone();
            let first = groups.order[groups.units[units.start].start];
            let chunk: Vec<u64> = (0..n)
                .map(|d| cuts.chunk(d, points[first * n + d]).0)
                .collect();
            let open = OpenChunk::new(self, &chunk)?;
            let members = |u: usize| &groups.order[groups.units[units.start + u].clone()];
            // Whole units: each is decoded whole, straight into the box.
            let unit = |u: usize| self.units_box(&cuts, points, &members(u)[..1]);
            let take = |u: usize, lo: &[u64], shape: &[u64], scratch: &[u8]| {
                let box_strides = c_strides(shape);
                for &p in members(u) {
                    let at = point_offset(points, n, p, lo, &box_strides) * elem;
                    // SAFETY: each point is in one unit's group, and point
                    // p's element is at p * elem.
                    unsafe { out.write(p * elem, &scratch[at..at + elem]) };
                }
                Ok(())
            };
            open.read_units(units.len(), workers, &gate, unit, take)
        })
    }

    /// Write the elements at `points` (`ndim` coordinates each, C order)
    /// from `src`, one after another. Of points that repeat, the last is
    /// written.
    pub fn write_points(&self, points: &[u64], src: &[u8]) -> Result<()> {
        let groups = self.group_points(points)?;
        let (n, elem) = (self.ndim(), self.elem());
        check_points_buffer(groups.order.len(), elem, src.len(), "data")?;
        let count = [groups.order.len() as u64];
        self.check_elements(src, &Layout::c_order(&count, elem), &count)?;
        let cuts = Cuts::new(self);
        let set = |members: &[usize], lo: &[u64], shape: &[u64], scratch: &mut [u8]| {
            let box_strides = c_strides(shape);
            // In the caller's order among equal points: the last wins.
            for &p in members {
                let at = point_offset(points, n, p, lo, &box_strides) * elem;
                copy_elements(&src[p * elem..(p + 1) * elem], &mut scratch[at..at + elem]);
            }
        };
        threads::for_each(self.threads(), groups.chunks.len(), |c| {
            let units = groups.chunks[c].clone();
            let members = |u: usize| &groups.order[groups.units[units.start + u].clone()];
            if self.codecs().sharding().is_some() {
                let first = members(0)[0];
                let chunk: Vec<u64> = (0..n)
                    .map(|d| cuts.chunk(d, points[first * n + d]).0)
                    .collect();
                let los = (0..units.len())
                    .map(|u| {
                        let (lo, shape) = self.units_box(&cuts, points, &members(u)[..1]);
                        let covered = covers(points, n, members(u), &lo, &shape);
                        (lo, covered)
                    })
                    .collect();
                return self.write_units(&chunk, los, |u, lo, inner_shape, buf| {
                    set(members(u), lo, inner_shape, buf)
                });
            }
            let members =
                &groups.order[groups.units[units.start].start..groups.units[units.end - 1].end];
            let (lo, shape) = self.units_box(&cuts, points, members);
            let covered = covers(points, n, members, &lo, &shape);
            self.write_box(&lo, &shape, covered, |b| set(members, &lo, &shape, b))
        })
    }

    /// Write the box `lo..lo+shape`: read it first unless `covered` (every
    /// element is set), `set` the selected elements, write it back.
    fn write_box(
        &self,
        lo: &[u64],
        shape: &[u64],
        covered: bool,
        set: impl FnOnce(&mut [u8]),
    ) -> Result<()> {
        with_box_scratch(box_bytes(shape, self.elem())?, |scratch| {
            if !covered {
                self.read_region(lo, shape, scratch, None)?;
            }
            set(scratch);
            self.write_region(lo, shape, scratch, None)
        })
    }
}

/// The groups of `count` sorted points: ranges of units per chunk, and of
/// points per unit, given whether the `a`-th and `b`-th (in sorted order)
/// share a chunk, and a unit.
fn group_sorted(
    count: usize,
    same_chunk: impl Fn(usize, usize) -> bool,
    same_unit: impl Fn(usize, usize) -> bool,
) -> (Vec<Range<usize>>, Vec<Range<usize>>) {
    let (mut chunks, mut units): (Vec<Range<usize>>, Vec<Range<usize>>) = (vec![], vec![]);
    for k in 0..count {
        match units.last_mut() {
            Some(u) if same_unit(k - 1, k) => u.end = k + 1,
            _ => units.push(k..k + 1),
        }
        match chunks.last_mut() {
            Some(c) if same_chunk(k - 1, k) => c.end = units.len(),
            _ => chunks.push(units.len() - 1..units.len()),
        }
    }
    (chunks, units)
}

/// Points grouped by the chunk and the unit that hold them.
struct PointGroups {
    /// Point numbers, sorted by chunk and unit, the caller's order kept
    /// among points of one unit.
    order: Vec<usize>,
    /// Per chunk, its range of `units`.
    chunks: Vec<Range<usize>>,
    /// Per unit, its range of `order`.
    units: Vec<Range<usize>>,
}

/// Whether the points `members` (`n` coordinates each in `points`) hold
/// every element of the box `lo..lo+shape`.
fn covers(points: &[u64], n: usize, members: &[usize], lo: &[u64], shape: &[u64]) -> bool {
    let volume = shape
        .iter()
        .try_fold(1usize, |v, &e| v.checked_mul(e as usize));
    if volume.is_none_or(|v| members.len() < v) {
        return false;
    }
    let strides = c_strides(shape);
    let mut at: Vec<usize> = members
        .iter()
        .map(|&p| point_offset(points, n, p, lo, &strides))
        .collect();
    at.sort_unstable();
    at.dedup();
    Some(at.len()) == volume
}

/// A selection's part of one shard: the inner chunks it touches, each
/// decoded (unless the selection sets all of it), its selected elements
/// set, and encoded again.
struct UnitsEdit<'a, F> {
    sharding: &'a ShardingCodec,
    key: String,
    /// (flat index, unit, whether the selection sets all of it), by flat
    /// index.
    flats: Vec<(usize, usize, bool)>,
    set: F,
}

impl<F: Fn(usize, &mut [u8]) + Sync> ShardEdit for UnitsEdit<'_, F> {
    fn touches(&self, flat: usize) -> bool {
        self.flats.binary_search_by_key(&flat, |f| f.0).is_ok()
    }

    fn touched(&self) -> Result<Vec<usize>> {
        Ok(self.flats.iter().map(|f| f.0).collect())
    }

    fn needs_stored(&self, flat: usize) -> bool {
        self.flats
            .binary_search_by_key(&flat, |f| f.0)
            .is_ok_and(|k| !self.flats[k].2)
    }

    fn encode(
        &self,
        flat: usize,
        stored: &dyn Fn() -> Result<Option<Vec<u8>>>,
    ) -> Result<(Option<Vec<u8>>, bool)> {
        let Ok(k) = self.flats.binary_search_by_key(&flat, |f| f.0) else {
            return Err(crate::error::internal(format!(
                "{}: inner chunk {flat} is not in the selection",
                self.key
            )));
        };
        let (_, unit, covered) = self.flats[k];
        let inner = self.sharding.inner();
        let previous = if covered { None } else { stored()? };
        let mut buf = match previous {
            Some(bytes) => inner
                .decode(&bytes)
                .map_err(|e| e.context(format!("{}: inner chunk {flat}", self.key)))?,
            None => inner.repr().filled()?,
        };
        (self.set)(unit, &mut buf);
        self.sharding.encode_inner(&buf)
    }
}
