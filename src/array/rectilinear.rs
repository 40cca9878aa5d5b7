//! Reads and writes of arrays with a rectilinear chunk grid, whose chunks
//! differ in shape.
//!
//! Each chunk a region touches is handled through a view of it: an array
//! of the chunk's in-bounds extent whose single chunk has the chunk's full
//! shape, the codec pipeline built for that shape, and keys offset to the
//! chunk's place in the grid. The regular grid's per-chunk paths then do
//! the work unchanged: reads straight into the caller's buffer, partial
//! reads of shards, in-place shard patches, erasing chunks that become
//! all fill value.

use super::read::read_shard_region;
use super::write::Content;
use super::Array;
use crate::codec::vlen::Items;
use crate::codec::{ChunkRepr, CodecChain};
use crate::error::{invalid_argument, unsupported, Result};
use crate::metadata::ArrayMetadata;
use crate::region::{c_strides, flat_index, for_each_index, num_elements, ChunkPart};
use crate::strided::DestBuffer;
use crate::threads;
use serde_json::Map;
use std::sync::Arc;

/// Codec pipelines kept per array; more distinct chunk shapes than this
/// start the cache afresh.
const MAX_CHAINS: usize = 256;

/// The chunks a region touches: the first one's indices and how many
/// along each dimension.
struct Touched {
    first: Vec<u64>,
    counts: Vec<u64>,
    len: usize,
}

impl Touched {
    /// The indices of the `i`-th touched chunk, C order.
    fn chunk(&self, mut i: usize) -> Vec<u64> {
        let mut g = self.first.clone();
        for d in (0..g.len()).rev() {
            let c = self.counts[d] as usize;
            g[d] += (i % c) as u64;
            i /= c;
        }
        g
    }
}

impl Array {
    /// An error for what a rectilinear array does not do yet.
    pub(crate) fn check_not_rectilinear(&self, what: &str) -> Result<()> {
        if self.is_rectilinear() {
            return Err(unsupported(format!(
                "array \"{}\" has a rectilinear chunk grid: {what} is not supported for it",
                self.path()
            )));
        }
        Ok(())
    }

    /// The codec pipeline of chunks of `shape`.
    fn chain_for(&self, shape: &[u64]) -> Result<Arc<CodecChain>> {
        if shape == self.meta.chunk_shape.as_slice() {
            return Ok(self.meta.codecs.clone());
        }
        let mut chains = self.chains.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = chains.get(shape) {
            return Ok(c.clone());
        }
        let repr = ChunkRepr::new(
            shape.to_vec(),
            self.meta.data_type.clone(),
            self.meta.fill_value.clone(),
        );
        let codecs = self.meta.codecs.to_json();
        let chain = Arc::new(
            CodecChain::from_json(codecs.as_array().map_or(&[][..], Vec::as_slice), repr)
                .map_err(|e| e.context(format!("chunks of shape {shape:?}")))?,
        );
        if chains.len() >= MAX_CHAINS {
            chains.clear();
        }
        chains.insert(shape.to_vec(), chain.clone());
        Ok(chain)
    }

    /// A view of chunk `g` (see the module's documentation).
    pub(super) fn chunk_view(&self, g: &[u64]) -> Result<Array> {
        let (origin, edges) = self.chunk_place(g);
        self.view_at(g, &origin, edges)
    }

    /// The view of chunk `g`, whose first element is at `origin` and
    /// whose full shape is `edges`.
    fn view_at(&self, g: &[u64], origin: &[u64], edges: Vec<u64>) -> Result<Array> {
        let extent = (0..g.len())
            .map(|d| edges[d].min(self.meta.shape[d] - origin[d]))
            .collect();
        let meta = ArrayMetadata {
            shape: extent,
            data_type: self.meta.data_type.clone(),
            codecs: self.chain_for(&edges)?,
            chunk_shape: edges,
            rectilinear: None,
            chunk_key_encoding: self.meta.chunk_key_encoding.clone(),
            fill_value: self.meta.fill_value.clone(),
            attributes: Default::default(),
            dimension_names: None,
            extra: Map::new(),
            v2: None,
        };
        let mut view = Array::from_parts(self.store().clone(), self.path().to_string(), meta);
        view.chunk_offset = g.to_vec();
        view.set_threads(self.threads());
        view.set_io_concurrency(self.io_concurrency());
        Ok(view)
    }

    /// The chunks the (checked) region touches.
    fn touched(&self, start: &[u64], shape: &[u64]) -> Result<Touched> {
        let grid = self.meta.rectilinear.as_ref().expect("a rectilinear array");
        let mut first = Vec::with_capacity(shape.len());
        let mut counts = Vec::with_capacity(shape.len());
        for d in 0..shape.len() {
            if shape[d] == 0 {
                return Ok(Touched {
                    first: vec![0; shape.len()],
                    counts: vec![0; shape.len()],
                    len: 0,
                });
            }
            let lo = grid.index_of(d, start[d]);
            let hi = grid.index_of(d, start[d] + shape[d] - 1);
            first.push(lo);
            counts.push(hi - lo + 1);
        }
        let len = counts
            .iter()
            .try_fold(1usize, |n, c| n.checked_mul(usize::try_from(*c).ok()?))
            .ok_or_else(|| {
                invalid_argument("the region touches more chunks than can be counted")
            })?;
        Ok(Touched { first, counts, len })
    }

    /// The part of chunk `g` the region covers, in the coordinates of its
    /// view (whose chunk is chunk 0), and the chunk's origin and edges.
    fn part_of(&self, g: &[u64], start: &[u64], shape: &[u64]) -> (ChunkPart, Vec<u64>, Vec<u64>) {
        let (origin, edges) = self.chunk_place(g);
        let n = g.len();
        let (mut in_chunk, mut in_region, mut part_shape) = (vec![0; n], vec![0; n], vec![0; n]);
        for d in 0..n {
            // Saturating: the last chunk of a grid near 2^64 elements may
            // end past what a u64 holds (the region, checked, does not).
            let end = origin[d].saturating_add(edges[d]).min(self.meta.shape[d]);
            let lo = start[d].max(origin[d]);
            let hi = (start[d] + shape[d]).min(end);
            in_chunk[d] = lo - origin[d];
            in_region[d] = lo - start[d];
            part_shape[d] = hi - lo;
        }
        let part = ChunkPart {
            chunk: vec![0; n],
            in_chunk,
            in_region,
            shape: part_shape,
        };
        (part, origin, edges)
    }

    /// The view of chunk `g` and the part of it the region covers.
    fn view_part(&self, g: &[u64], start: &[u64], shape: &[u64]) -> Result<(Array, ChunkPart)> {
        let (part, origin, edges) = self.part_of(g, start, shape);
        Ok((self.view_at(g, &origin, edges)?, part))
    }

    /// `read_region` of a rectilinear array, into its checked destination.
    pub(super) fn read_rectilinear(
        &self,
        start: &[u64],
        shape: &[u64],
        dest: &mut DestBuffer,
    ) -> Result<()> {
        let touched = self.touched(start, shape)?;
        let (workers, gate) = threads::plan(self.threads(), self.io_concurrency());
        if touched.len > 1 {
            let (first, ..) = self.part_of(&touched.chunk(0), start, shape);
            super::read::populate_for(dest, &first, workers);
        }
        let dest = &*dest;
        let spare = if touched.len == 1 { self.threads() } else { 1 };
        threads::for_each(workers, touched.len, |i| {
            let (view, part) = self.view_part(&touched.chunk(i), start, shape)?;
            match view.codecs().sharding() {
                Some(sharding) => {
                    let key = view.chunk_key(&part.chunk);
                    let ctx = view.shard_read(&key, sharding, &gate, touched.len == 1);
                    read_shard_region(&ctx, view.chunk_shape(), &part, dest, workers)
                }
                None => view.read_chunk_part(&part, dest, &gate, spare),
            }
        })
    }

    /// `write_region` (`Content::Source`) and `fill_region`
    /// (`Content::Scalar`) of a rectilinear array, the region checked.
    pub(super) fn write_rectilinear(
        &self,
        start: &[u64],
        shape: &[u64],
        content: Content,
    ) -> Result<()> {
        let touched = self.touched(start, shape)?;
        threads::for_each(self.threads(), touched.len, |i| {
            let (view, part) = self.view_part(&touched.chunk(i), start, shape)?;
            view.write_part(&part, content, None)
        })
    }

    /// `read_strings` of a rectilinear array (region checked): each
    /// touched chunk's block from its view, then every item in its place.
    pub(super) fn read_strings_rectilinear(&self, start: &[u64], shape: &[u64]) -> Result<Items> {
        let touched = self.touched(start, shape)?;
        let n = num_elements(shape)?;
        let mut blocks: Vec<Option<(ChunkPart, Items)>> = crate::alloc::with_capacity(touched.len)?;
        blocks.resize_with(touched.len, || None);
        let blocks = std::sync::Mutex::new(blocks);
        threads::for_each(self.threads(), touched.len, |i| {
            let (view, part) = self.view_part(&touched.chunk(i), start, shape)?;
            let items = view.read_strings(&part.in_chunk, &part.shape)?;
            blocks.lock().unwrap_or_else(|e| e.into_inner())[i] = Some((part, items));
            Ok(())
        })?;
        let blocks = blocks.into_inner().unwrap_or_else(|e| e.into_inner());
        let mut slots: Vec<&[u8]> = crate::alloc::with_capacity(n)?;
        slots.resize(n, &[]);
        let strides = c_strides(shape);
        for (part, items) in blocks.iter().flatten() {
            let mut k = 0;
            for_each_index(&part.shape, |idx| {
                slots[flat_index(&part.in_region, idx, &strides)] = items.get(k);
                k += 1;
            });
        }
        Items::from_slices(&slots)
    }

    /// `write_items` of a rectilinear array: item `r` of the region (C
    /// order) is `item_at(r)`; each touched chunk takes its block through
    /// its view. (`item_at` is dynamic: the view's `write_items` is
    /// generic over its own closure, which holds this one.)
    pub(super) fn write_items_rectilinear<'a>(
        &self,
        start: &[u64],
        shape: &[u64],
        item_at: &(dyn Fn(usize) -> &'a [u8] + Sync),
    ) -> Result<()> {
        let touched = self.touched(start, shape)?;
        let strides = c_strides(shape);
        threads::for_each(self.threads(), touched.len, |i| {
            let (view, part) = self.view_part(&touched.chunk(i), start, shape)?;
            // Item `r` of the chunk's block, C order, is at `idx` in it.
            view.write_items(&part.in_chunk, &part.shape, |mut r| {
                let mut at = 0u64;
                for d in (0..part.shape.len()).rev() {
                    let n = part.shape[d];
                    at += (part.in_region[d] + r as u64 % n) * strides[d];
                    r /= n as usize;
                }
                item_at(at as usize)
            })
        })
    }

    /// `read_chunk` of a rectilinear array: the chunk at `indices`, its
    /// full shape.
    pub(super) fn read_chunk_rectilinear(&self, indices: &[u64], out: &mut [u8]) -> Result<()> {
        self.check_fixed_size()?;
        self.check_chunk_indices(indices)?;
        self.chunk_view(indices)?
            .read_chunk(&vec![0; indices.len()], out)
    }

    /// `write_chunk` of a rectilinear array.
    pub(super) fn write_chunk_rectilinear(&self, indices: &[u64], data: &[u8]) -> Result<()> {
        self.check_fixed_size()?;
        self.check_chunk_indices(indices)?;
        self.chunk_view(indices)?
            .write_chunk(&vec![0; indices.len()], data)
    }

    /// The codec pipeline of the chunk at `indices`: the array's, or for a
    /// rectilinear grid the one for that chunk's shape.
    pub fn chunk_codecs(&self, indices: &[u64]) -> Result<Arc<CodecChain>> {
        self.check_chunk_indices(indices)?;
        if !self.is_rectilinear() {
            return Ok(self.codecs().clone());
        }
        let (_, shape) = self.chunk_place(indices);
        self.chain_for(&shape)
    }

    /// The first element and the full shape of the chunk at `indices` (a
    /// chunk at the array's edge reaches past it).
    pub fn chunk_span(&self, indices: &[u64]) -> Result<(Vec<u64>, Vec<u64>)> {
        self.check_chunk_indices(indices)?;
        Ok(self.chunk_place(indices))
    }
}
