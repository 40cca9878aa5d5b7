//! Reads and writes of arrays of variable-length items (`string`,
//! `variable_length_bytes`): a region's items side by side in C order,
//! with their offsets, rather than fixed-size elements at strides.
//!
//! Each chunk is decoded whole into its items (or stands for the fill
//! value when missing); a write rebuilds the chunks it touches from their
//! items and erases those that end up all fill value. Chunks are decoded
//! and encoded on the array's threads.

use super::Array;
use crate::codec::vlen::Items;
use crate::error::{unsupported, Result};
use crate::region::{c_strides, check_region, num_elements, ChunkPart, RegionPlan};
use std::sync::Mutex;

/// A part of a region and its chunk's items (None: the chunk is missing).
type PartItems = (ChunkPart, Option<Items>);

/// The C-order index, in a box of shape `outer` (strides `strides`), of
/// element `idx` of a part that starts at `at`.
fn flat(at: &[u64], idx: &[u64], strides: &[u64]) -> usize {
    at.iter()
        .zip(idx)
        .zip(strides)
        .map(|((a, i), s)| (a + i) * s)
        .sum::<u64>() as usize
}

/// Call `f` with each index of `shape`, C order.
fn for_each_index(shape: &[u64], mut f: impl FnMut(&[u64])) {
    if shape.contains(&0) {
        return;
    }
    let mut idx = vec![0u64; shape.len()];
    loop {
        f(&idx);
        let mut d = shape.len();
        loop {
            if d == 0 {
                return;
            }
            d -= 1;
            idx[d] += 1;
            if idx[d] < shape[d] {
                break;
            }
            idx[d] = 0;
        }
    }
}

impl Array {
    fn check_variable_length(&self) -> Result<()> {
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
    fn chunk_items(&self, chunk: &[u64]) -> Result<Option<Items>> {
        match self.store().get(&self.chunk_key(chunk))? {
            Some(bytes) => Ok(Some(self.codecs().decode_items(&bytes).map_err(|e| {
                e.context(format!("chunk {chunk:?} of array \"{}\"", self.path()))
            })?)),
            None => Ok(None),
        }
    }

    /// The items of the region `start..start+shape`, C order.
    pub fn read_strings(&self, start: &[u64], shape: &[u64]) -> Result<Items> {
        self.check_variable_length()?;
        check_region(self.shape(), start, shape)?;
        let n = num_elements(shape)?;
        let plan = RegionPlan::new(self.chunk_shape(), start, shape);
        let parts = plan.checked_len()?;
        // Each region element's item, found chunk by chunk.
        let chunks: Mutex<Vec<Option<PartItems>>> = Mutex::new(vec![None; parts]);
        crate::threads::for_each(self.threads(), parts, |i| {
            let part = plan.part(i);
            let items = self.chunk_items(&part.chunk)?;
            chunks.lock().unwrap_or_else(|e| e.into_inner())[i] = Some((part, items));
            Ok(())
        })?;
        let chunks = chunks.into_inner().unwrap_or_else(|e| e.into_inner());
        let mut refs = crate::alloc::with_capacity(n)?;
        refs.resize(n, (0usize, 0usize));
        let (chunk_strides, region_strides) = (c_strides(self.chunk_shape()), c_strides(shape));
        for (p, entry) in chunks.iter().enumerate() {
            let (part, _) = entry.as_ref().expect("every part was read");
            for_each_index(&part.shape, |idx| {
                let r = flat(&part.in_region, idx, &region_strides);
                refs[r] = (p, flat(&part.in_chunk, idx, &chunk_strides));
            });
        }
        let fill = self.fill_value();
        let item = |(p, k): (usize, usize)| match &chunks[p].as_ref().expect("read").1 {
            Some(items) => items.get(k),
            None => fill,
        };
        // Sized first: missing chunks repeat the fill value, so the items
        // can be far larger than what was read.
        let total = refs
            .iter()
            .try_fold(0usize, |acc, r| acc.checked_add(item(*r).len()))
            .ok_or_else(|| crate::alloc::cannot_allocate(usize::MAX))?;
        let mut out = Items {
            data: crate::alloc::with_capacity(total)?,
            offsets: crate::alloc::with_capacity(n + 1)?,
        };
        out.offsets.push(0);
        for r in refs {
            out.data.extend_from_slice(item(r));
            out.offsets.push(out.data.len() as u64);
        }
        Ok(out)
    }

    /// Write the region `start..start+shape` from `items` (C order).
    pub fn write_strings(&self, start: &[u64], shape: &[u64], items: &Items) -> Result<()> {
        self.check_writable()?;
        self.check_variable_length()?;
        check_region(self.shape(), start, shape)?;
        items.check(num_elements(shape)?, self.codecs().vlen_is_utf8())?;
        self.write_items(start, shape, |r| items.get(r))
    }

    /// Set every item of the region `start..start+shape` to `item`.
    pub fn fill_strings(&self, start: &[u64], shape: &[u64], item: &[u8]) -> Result<()> {
        self.check_writable()?;
        self.check_variable_length()?;
        check_region(self.shape(), start, shape)?;
        Items::repeated(item, 1).check(1, self.codecs().vlen_is_utf8())?;
        self.write_items(start, shape, |_| item)
    }

    /// Write the region's items, item `r` (C order in the region) being
    /// `item_at(r)`: chunk by chunk, merged with the items of chunks the
    /// region covers in part.
    fn write_items<'a>(
        &self,
        start: &[u64],
        shape: &[u64],
        item_at: impl Fn(usize) -> &'a [u8] + Sync,
    ) -> Result<()> {
        let plan = RegionPlan::new(self.chunk_shape(), start, shape);
        let chunk_len = num_elements(self.chunk_shape())?;
        let fill = self.fill_value();
        let (chunk_strides, region_strides) = (c_strides(self.chunk_shape()), c_strides(shape));
        crate::threads::for_each(self.threads(), plan.checked_len()?, |i| {
            let part = plan.part(i);
            // The chunk's items as they are, unless the region covers it.
            let old = if part.is_whole(self.chunk_shape()) {
                None
            } else {
                self.chunk_items(&part.chunk)?
            };
            let mut slots: Vec<&[u8]> = crate::alloc::with_capacity(chunk_len)?;
            match &old {
                Some(items) => slots.extend((0..chunk_len).map(|k| items.get(k))),
                None => slots.resize(chunk_len, fill),
            }
            for_each_index(&part.shape, |idx| {
                let k = flat(&part.in_chunk, idx, &chunk_strides);
                slots[k] = item_at(flat(&part.in_region, idx, &region_strides));
            });
            let key = self.chunk_key(&part.chunk);
            if slots.iter().all(|s| *s == fill) {
                return self.store().erase(&key);
            }
            let mut chunk = Items {
                data: Vec::new(),
                offsets: crate::alloc::with_capacity(chunk_len + 1)?,
            };
            chunk.offsets.push(0);
            for s in slots {
                chunk.data.extend_from_slice(s);
                chunk.offsets.push(chunk.data.len() as u64);
            }
            self.store().set(&key, &self.codecs().encode_items(&chunk)?)
        })
    }
}
