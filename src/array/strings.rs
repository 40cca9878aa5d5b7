//! Reads and writes of arrays of variable-length items (`string`,
//! `variable_length_bytes`): a region's items side by side in C order,
//! with their offsets, rather than fixed-size elements at strides.
//!
//! A read decodes each chunk whole into its items (or takes the fill
//! value for a missing one), but of a shard it covers only in part just
//! the inner chunks it touches, fetched by byte range after the index; a
//! write rebuilds the chunks it touches from their items and erases those
//! that end up all fill value. Chunks are decoded
//! and encoded on the array's threads.

use super::Array;
use crate::codec::sharding::ShardingCodec;
use crate::codec::vlen::{Items, ItemsRef};
use crate::dtype::DataType;
use crate::error::{unsupported, Result};
use crate::region::{
    c_strides, check_region, flat_index as flat, for_each_index, num_elements, ChunkPart,
    RegionPlan,
};
use std::sync::Mutex;

/// What one chunk gives a region read of items.
enum PartItems {
    /// Nothing stored: the fill value.
    Fill,
    /// The chunk's items, all of them.
    Whole(Items),
    /// For a shard read in part, the items of each inner chunk the part
    /// touches, with where they lie relative to the part.
    Inner(Vec<(ChunkPart, Items)>),
}

impl Array {
    pub(super) fn check_variable_length(&self) -> Result<()> {
        if !self.data_type().is_variable_length() {
            return Err(unsupported(format!(
                "array \"{}\" holds {} elements of a fixed size: read and write them with \
                 zarrio_array_read / zarrio_array_write",
                self.path(),
                self.data_type().name()
            )));
        }
        Ok(())
    }

    /// The items of one chunk: decoded, or the fill value when missing.
    pub(super) fn chunk_items(&self, chunk: &[u64]) -> Result<Option<Items>> {
        match self.store().get(&self.chunk_key(chunk))? {
            Some(bytes) => Ok(Some(self.codecs().decode_items(&bytes).map_err(|e| {
                e.context(format!("chunk {chunk:?} of array \"{}\"", self.path()))
            })?)),
            None => Ok(None),
        }
    }

    /// What a region read needs of the chunk `part` lies in: its items,
    /// or for a shard the part covers only in part, the items of the inner
    /// chunks it touches, fetched by byte range after the index.
    fn part_items(&self, part: &ChunkPart) -> Result<PartItems> {
        let sh = match self.codecs().sharding() {
            Some(sh) if !part.is_whole(self.chunk_shape()) => sh,
            _ => {
                return Ok(self
                    .chunk_items(&part.chunk)?
                    .map_or(PartItems::Fill, PartItems::Whole))
            }
        };
        let parts: Vec<(usize, ChunkPart)> =
            sh.inner_part_iter(&part.in_chunk, &part.shape)?.collect();
        let wanted: Vec<usize> = parts.iter().map(|(flat, _)| *flat).collect();
        let Some(found) = self.inner_chunk_items(sh, &part.chunk, &wanted)? else {
            return Ok(PartItems::Fill);
        };
        let mut parts: std::collections::HashMap<usize, ChunkPart> = parts.into_iter().collect();
        Ok(PartItems::Inner(
            found
                .into_iter()
                .filter_map(|(flat, items)| parts.remove(&flat).map(|ip| (ip, items)))
                .collect(),
        ))
    }

    /// The items of the inner chunks `wanted` (their indices in the
    /// shard's C-order grid of inner chunks) of the shard at `chunk`, each
    /// with its index, those not stored left out; None when the shard is
    /// missing. The index is fetched first, then the inner chunks, nearby
    /// ones in one request.
    pub(super) fn inner_chunk_items(
        &self,
        sh: &ShardingCodec,
        chunk: &[u64],
        wanted: &[usize],
    ) -> Result<Option<Vec<(usize, Items)>>> {
        let key = self.chunk_key(chunk);
        let what = || format!("shard {chunk:?} of array \"{}\"", self.path());
        let Some(index) = self.store().get_range(&key, sh.index_range())? else {
            return Ok(None);
        };
        let index = sh
            .decode_index(&index, None)
            .map_err(|e| e.context(what()))?;
        // The stored ones (empty ones are the fill value).
        let touched: Vec<(usize, u64, u64)> = wanted
            .iter()
            .filter_map(|&flat| index.entry(flat).map(|(offset, len)| (flat, offset, len)))
            .collect();
        let entries = touched
            .iter()
            .enumerate()
            .map(|(i, (_, offset, len))| (*offset, *len, i))
            .collect();
        let mut found = Vec::with_capacity(touched.len());
        for run in super::read::coalesce(entries, super::read::COALESCE_MAX) {
            let bytes = super::read::fetch_run(self.store().as_ref(), &key, &run)?;
            for i in run.members {
                let (flat, offset, len) = touched[i];
                let at = (offset - run.start) as usize;
                let items = sh
                    .inner()
                    .decode_items(&bytes[at..at + len as usize])
                    .map_err(|e| e.context(what()))?;
                found.push((flat, items));
            }
        }
        Ok(Some(found))
    }

    /// The items of the region `start..start+shape`, C order.
    pub fn read_strings(&self, start: &[u64], shape: &[u64]) -> Result<Items> {
        self.check_variable_length()?;
        check_region(self.shape(), start, shape)?;
        if self.is_rectilinear() {
            return self.read_strings_rectilinear(start, shape);
        }
        let n = num_elements(shape)?;
        let plan = RegionPlan::new(self.chunk_shape(), start, shape);
        let parts = plan.checked_len()?;
        // The chunks' items, then each region element's item from them.
        let mut chunks: Vec<PartItems> = crate::alloc::with_capacity(parts)?;
        chunks.resize_with(parts, || PartItems::Fill);
        let chunks = Mutex::new(chunks);
        crate::threads::for_each(self.threads(), parts, |i| {
            let items = self.part_items(&plan.part(i))?;
            chunks.lock().unwrap_or_else(|e| e.into_inner())[i] = items;
            Ok(())
        })?;
        let chunks = chunks.into_inner().unwrap_or_else(|e| e.into_inner());
        let fill = self.fill_value();
        let mut slots: Vec<&[u8]> = crate::alloc::with_capacity(n)?;
        slots.resize(n, fill);
        let region_strides = c_strides(shape);
        let chunk_strides = c_strides(self.chunk_shape());
        let inner_strides = self
            .codecs()
            .sharding()
            .map(|sh| c_strides(sh.chunk_shape()))
            .unwrap_or_default();
        for (p, items) in chunks.iter().enumerate() {
            let part = plan.part(p);
            match items {
                PartItems::Fill => {}
                PartItems::Whole(items) => for_each_index(&part.shape, |idx| {
                    let r = flat(&part.in_region, idx, &region_strides);
                    slots[r] = items.get(flat(&part.in_chunk, idx, &chunk_strides));
                }),
                PartItems::Inner(inner) => {
                    for (ip, items) in inner {
                        // `ip.in_region` is relative to the part's region.
                        let at: Vec<u64> = part
                            .in_region
                            .iter()
                            .zip(&ip.in_region)
                            .map(|(a, b)| a + b)
                            .collect();
                        for_each_index(&ip.shape, |idx| {
                            let r = flat(&at, idx, &region_strides);
                            slots[r] = items.get(flat(&ip.in_chunk, idx, &inner_strides));
                        });
                    }
                }
            }
        }
        Items::from_slices(&slots)
    }

    /// Write the region `start..start+shape` from `items` (C order).
    pub fn write_strings(&self, start: &[u64], shape: &[u64], items: ItemsRef) -> Result<()> {
        self.check_variable_length()?;
        check_region(self.shape(), start, shape)?;
        items.check(num_elements(shape)?, self.codecs().vlen_item_rule())?;
        self.write_items(start, shape, |r| items.get(r))
    }

    /// Set every item of the region `start..start+shape` to `item`.
    pub fn fill_strings(&self, start: &[u64], shape: &[u64], item: &[u8]) -> Result<()> {
        self.check_variable_length()?;
        check_region(self.shape(), start, shape)?;
        let one = [0, item.len() as u64];
        ItemsRef {
            data: item,
            offsets: &one,
        }
        .check(1, self.codecs().vlen_item_rule())?;
        self.write_items(start, shape, |_| item)
    }

    /// Write the region's items, item `r` (C order in the region) being
    /// `item_at(r)`: chunk by chunk, merged with the items of chunks the
    /// region covers in part.
    pub(super) fn write_items<'a>(
        &self,
        start: &[u64],
        shape: &[u64],
        item_at: impl Fn(usize) -> &'a [u8] + Sync,
    ) -> Result<()> {
        if self.is_rectilinear() {
            return self.write_items_rectilinear(start, shape, &item_at);
        }
        let plan = RegionPlan::new(self.chunk_shape(), start, shape);
        let (chunk_strides, region_strides) = (c_strides(self.chunk_shape()), c_strides(shape));
        crate::threads::for_each(self.threads(), plan.checked_len()?, |i| {
            let part = plan.part(i);
            let covered = part.is_whole(self.chunk_shape());
            self.rewrite_chunk_items(&part.chunk, covered, |set| {
                for_each_index(&part.shape, |idx| {
                    let k = flat(&part.in_chunk, idx, &chunk_strides);
                    set(k, item_at(flat(&part.in_region, idx, &region_strides)));
                })
            })
        })
    }

    /// Rewrite the chunk at `chunk` with the items `set` gives it (`set`
    /// calls its argument with an item's C-order place in the chunk and
    /// the item; later calls for a place win), the others as stored (or
    /// the fill value); unless `covered`: then `set` gives every item and
    /// the stored chunk is not read.
    pub(super) fn rewrite_chunk_items<'a>(
        &self,
        chunk: &[u64],
        covered: bool,
        set: impl FnOnce(&mut dyn FnMut(usize, &'a [u8])),
    ) -> Result<()> {
        let chunk_len = num_elements(self.chunk_shape())?;
        let old = if covered {
            None
        } else {
            self.chunk_items(chunk)?
        };
        let mut slots: Vec<&[u8]> = crate::alloc::with_capacity(chunk_len)?;
        match &old {
            Some(items) => slots.extend((0..chunk_len).map(|k| items.get(k))),
            None => slots.resize(chunk_len, self.fill_value()),
        }
        set(&mut |k, item| slots[k] = item);
        self.store_items(chunk, &slots)
    }

    /// Store a chunk's items (C order), erasing it when all are the fill
    /// value. A Zarr v2 ragged array's (`vlen-array`) chunks are stored
    /// whatever they hold: its `.zarray` fill (0 or null) is no item, and
    /// zarr-python 2 reads a missing chunk as that, not as empty arrays.
    fn store_items(&self, chunk: &[u64], slots: &[&[u8]]) -> Result<()> {
        let key = self.chunk_key(chunk);
        let keep = self.is_v2() && matches!(self.data_type(), DataType::NdArray(_));
        if !keep && slots.iter().all(|s| *s == self.fill_value()) {
            return self.store().erase(&key);
        }
        let items = Items::from_slices(slots)?;
        self.store().set(&key, &self.codecs().encode_items(&items)?)
    }

    /// Rewrite the stored chunk at `idx` (its first item at `lo`) with
    /// every item outside `shape` set to the fill value, what lies past
    /// the array's edge included (see `Array::resize`).
    pub(super) fn reset_items_outside(&self, idx: &[u64], lo: &[u64], shape: &[u64]) -> Result<()> {
        let Some(items) = self.chunk_items(idx)? else {
            return Ok(());
        };
        let chunk = self.chunk_shape();
        let fill = self.fill_value();
        let mut slots: Vec<&[u8]> = crate::alloc::with_capacity(items.len())?;
        for_each_index(chunk, |pos| {
            let k = slots.len();
            let outside = super::resize::outside(pos, lo, shape);
            slots.push(if outside { fill } else { items.get(k) });
        });
        self.store_items(idx, &slots)
    }
}
