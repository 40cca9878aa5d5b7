//! Selections that are not one box over arrays of variable-length items
//! (`string`, `variable_length_bytes`): points (zarr-python's `vindex`),
//! and lists or steps of indices per dimension (`oindex`, `a[::2]`), read
//! as items side by side with offsets, and written from them.
//!
//! The selected elements are grouped by chunk. A read takes, of each
//! touched chunk, the box that bounds its selected elements (of a shard,
//! only the inner chunks that box touches, as a region read does), and
//! picks the items out; a write rebuilds each touched chunk from its items
//! with the selected ones set, in the caller's order (of repeated
//! elements, the last one written wins), and erases a chunk that ends up
//! all fill value.

use super::strings::PartItems;
use super::{Array, DimSelection};
use crate::codec::vlen::{Items, ItemsRef};
use crate::error::{invalid_argument, out_of_bounds, Result};
use crate::region::{c_strides, flat_index as flat, ChunkPart};
use std::collections::HashMap;
use std::sync::Mutex;

/// Selected elements grouped by chunk.
struct Groups {
    /// Every element's coordinates, `ndim` each, in the caller's order.
    coords: Vec<u64>,
    ndim: usize,
    /// Element numbers, ordered by chunk (the caller's order within one).
    order: Vec<usize>,
    /// Each touched chunk: its grid indices and its run of `order`.
    chunks: Vec<(Vec<u64>, std::ops::Range<usize>)>,
}

impl Groups {
    fn point(&self, p: usize) -> &[u64] {
        &self.coords[p * self.ndim..(p + 1) * self.ndim]
    }
}

impl Array {
    /// The items at `points` (`ndim` coordinates each), one after another.
    pub fn read_strings_points(&self, points: &[u64]) -> Result<Items> {
        self.check_variable_length()?;
        self.check_points(points)?;
        self.read_items_at(points.to_vec())
    }

    /// The items of an orthogonal selection, C order over its shape:
    /// item `(k0, k1, ...)` is the array's at `(sel[0][k0], sel[1][k1],
    /// ...)`.
    pub fn read_strings_orthogonal(&self, sel: &[DimSelection]) -> Result<Items> {
        self.check_variable_length()?;
        self.read_items_at(self.orthogonal_points(sel)?)
    }

    /// Write the items at `points` (`ndim` coordinates each) from `items`,
    /// one after another; of points that repeat, the last is written.
    pub fn write_strings_points(&self, points: &[u64], items: ItemsRef) -> Result<()> {
        self.check_variable_length()?;
        self.check_points(points)?;
        self.write_items_at(points.to_vec(), items)
    }

    /// Write an orthogonal selection from `items` (C order over its
    /// shape); where an index repeats along a dimension, the last of its
    /// positions is written.
    pub fn write_strings_orthogonal(&self, sel: &[DimSelection], items: ItemsRef) -> Result<()> {
        self.check_variable_length()?;
        self.write_items_at(self.orthogonal_points(sel)?, items)
    }

    /// The coordinates of every element of an orthogonal selection, C
    /// order over its shape, checked to lie inside the array.
    fn orthogonal_points(&self, sel: &[DimSelection]) -> Result<Vec<u64>> {
        let n = self.ndim();
        if sel.len() != n {
            return Err(invalid_argument(format!(
                "the selection has {} dimensions, the array {n}",
                sel.len()
            )));
        }
        let mut lists: Vec<Vec<u64>> = Vec::with_capacity(n);
        for (d, s) in sel.iter().enumerate() {
            let extent = self.shape()[d];
            let list = match *s {
                DimSelection::Range { start, step, count } => {
                    if step == 0 {
                        return Err(invalid_argument(format!("dimension {d}: a step of 0")));
                    }
                    let last = count
                        .checked_sub(1)
                        .map(|k| k.checked_mul(step).and_then(|o| o.checked_add(start)));
                    match last {
                        Some(Some(last)) if last < extent => {}
                        None => {}
                        _ => {
                            return Err(out_of_bounds(format!(
                                "dimension {d}: {count} indices from {start} in steps of \
                                 {step} pass the extent {extent}"
                            )))
                        }
                    }
                    let mut v = crate::alloc::with_capacity(count as usize)?;
                    v.extend((0..count).map(|k| start + k * step));
                    v
                }
                DimSelection::List(list) => {
                    if let Some(&i) = list.iter().find(|&&i| i >= extent) {
                        return Err(out_of_bounds(format!(
                            "dimension {d}: index {i} is outside the extent {extent}"
                        )));
                    }
                    list.to_vec()
                }
            };
            lists.push(list);
        }
        let count = lists
            .iter()
            .try_fold(1usize, |acc, l| acc.checked_mul(l.len()))
            .and_then(|c| c.checked_mul(n.max(1)))
            .ok_or_else(|| invalid_argument("the selection has too many elements"))?;
        let mut coords = crate::alloc::with_capacity(count)?;
        if n == 0 || lists.iter().any(Vec::is_empty) {
            return Ok(coords);
        }
        let shape: Vec<u64> = lists.iter().map(|l| l.len() as u64).collect();
        crate::region::for_each_index(&shape, |k| {
            coords.extend(k.iter().zip(&lists).map(|(&k, l)| l[k as usize]));
        });
        Ok(coords)
    }

    /// The chunk that holds `point`: its grid indices, and the point's
    /// place in it.
    fn chunk_of_point(&self, point: &[u64]) -> (Vec<u64>, Vec<u64>) {
        match &self.meta.rectilinear {
            Some(grid) => point
                .iter()
                .enumerate()
                .map(|(d, &i)| {
                    let c = grid.index_of(d, i);
                    (c, i - grid.span_along(d, c).0)
                })
                .unzip(),
            None => point
                .iter()
                .zip(self.chunk_shape())
                .map(|(&i, &edge)| (i / edge, i % edge))
                .unzip(),
        }
    }

    /// Group the elements at `coords` by chunk.
    fn group_by_chunk(&self, coords: Vec<u64>) -> Result<Groups> {
        let ndim = self.ndim();
        let count = coords.len().checked_div(ndim).unwrap_or(0);
        let mut keyed: Vec<(Vec<u64>, usize)> = crate::alloc::with_capacity(count)?;
        for p in 0..count {
            keyed.push((self.chunk_of_point(&coords[p * ndim..(p + 1) * ndim]).0, p));
        }
        // Stable: the caller's order stays within each chunk.
        keyed.sort_by(|a, b| a.0.cmp(&b.0));
        let mut order = crate::alloc::with_capacity(count)?;
        let mut chunks: Vec<(Vec<u64>, std::ops::Range<usize>)> = Vec::new();
        for (chunk, p) in keyed {
            match chunks.last_mut() {
                Some((c, run)) if *c == chunk => run.end += 1,
                _ => chunks.push((chunk, order.len()..order.len() + 1)),
            }
            order.push(p);
        }
        Ok(Groups {
            coords,
            ndim,
            order,
            chunks,
        })
    }

    /// The array one chunk is read and written through: the array itself,
    /// or for a rectilinear grid a view whose chunk 0 is that chunk.
    fn chunk_array(&self, chunk: &[u64]) -> Result<(Option<Array>, Vec<u64>)> {
        if self.is_rectilinear() {
            Ok((Some(self.chunk_view(chunk)?), vec![0; chunk.len()]))
        } else {
            Ok((None, chunk.to_vec()))
        }
    }

    fn read_items_at(&self, coords: Vec<u64>) -> Result<Items> {
        let groups = self.group_by_chunk(coords)?;
        let count = groups.order.len();
        // Each touched chunk's part (the box bounding its elements) and
        // what reading that part gave.
        let mut got: Vec<Option<(ChunkPart, PartItems, Vec<u64>)>> =
            crate::alloc::with_capacity(groups.chunks.len())?;
        got.resize_with(groups.chunks.len(), || None);
        let got = Mutex::new(got);
        crate::threads::for_each(self.threads(), groups.chunks.len(), |c| {
            let (chunk, run) = &groups.chunks[c];
            let (view, at) = self.chunk_array(chunk)?;
            let target = view.as_ref().unwrap_or(self);
            let (mut lo, mut hi) = (vec![u64::MAX; groups.ndim], vec![0; groups.ndim]);
            for &p in &groups.order[run.clone()] {
                let (_, inside) = self.chunk_of_point(groups.point(p));
                for d in 0..groups.ndim {
                    lo[d] = lo[d].min(inside[d]);
                    hi[d] = hi[d].max(inside[d]);
                }
            }
            let part = ChunkPart {
                chunk: at,
                in_region: vec![0; groups.ndim],
                shape: lo.iter().zip(&hi).map(|(l, h)| h - l + 1).collect(),
                in_chunk: lo,
            };
            let items = target.part_items(&part)?;
            let shape = target.chunk_shape().to_vec();
            got.lock().unwrap_or_else(|e| e.into_inner())[c] = Some((part, items, shape));
            Ok(())
        })?;
        let got = got.into_inner().unwrap_or_else(|e| e.into_inner());
        let fill = self.fill_value();
        let inner = self.codecs().sharding().map(|sh| sh.chunk_shape().to_vec());
        let mut slots: Vec<&[u8]> = crate::alloc::with_capacity(count)?;
        slots.resize(count, fill);
        for ((_, run), g) in groups.chunks.iter().zip(&got) {
            let Some((part, items, chunk_shape)) = g else {
                continue;
            };
            let pick = Picker::new(part, items, chunk_shape, inner.as_deref());
            for &p in &groups.order[run.clone()] {
                let (_, inside) = self.chunk_of_point(groups.point(p));
                if let Some(item) = pick.item(&inside) {
                    slots[p] = item;
                }
            }
        }
        Items::from_slices(&slots)
    }

    fn write_items_at(&self, coords: Vec<u64>, items: ItemsRef) -> Result<()> {
        let count = coords.len().checked_div(self.ndim()).unwrap_or(0);
        items.check(count, self.codecs().vlen_is_utf8())?;
        let groups = self.group_by_chunk(coords)?;
        crate::threads::for_each(self.threads(), groups.chunks.len(), |c| {
            let (chunk, run) = &groups.chunks[c];
            let (view, at) = self.chunk_array(chunk)?;
            let target = view.as_ref().unwrap_or(self);
            let shape = target.chunk_shape();
            let chunk_len = crate::region::num_elements(shape)?;
            let old = target.chunk_items(&at)?;
            let mut slots: Vec<&[u8]> = crate::alloc::with_capacity(chunk_len)?;
            match &old {
                Some(items) => slots.extend((0..chunk_len).map(|k| items.get(k))),
                None => slots.resize(chunk_len, self.fill_value()),
            }
            let strides = c_strides(shape);
            for &p in &groups.order[run.clone()] {
                let (_, inside) = self.chunk_of_point(groups.point(p));
                slots[flat(&inside, &vec![0; inside.len()], &strides)] = items.get(p);
            }
            target.store_items(&at, &slots)
        })
    }
}

/// Finds an element's item in what a part read gave.
struct Picker<'a> {
    items: &'a PartItems,
    chunk_strides: Vec<u64>,
    /// For a shard read in part, where its inner chunks' items are.
    inner: Option<InnerItems<'a>>,
}

/// The inner chunks a shard read in part gave: their shape and its
/// strides, and each stored one's items by its grid indices in the shard.
struct InnerItems<'a> {
    shape: Vec<u64>,
    strides: Vec<u64>,
    by_index: HashMap<Vec<u64>, &'a Items>,
}

impl<'a> Picker<'a> {
    fn new(
        part: &ChunkPart,
        items: &'a PartItems,
        chunk_shape: &[u64],
        inner_shape: Option<&[u64]>,
    ) -> Self {
        let inner = match (items, inner_shape) {
            (PartItems::Inner(list), Some(shape)) => {
                let by_index = list
                    .iter()
                    .map(|(ip, items)| {
                        // `ip.in_region` is relative to the part.
                        let idx = part
                            .in_chunk
                            .iter()
                            .zip(&ip.in_region)
                            .zip(shape)
                            .map(|((lo, r), s)| (lo + r) / s)
                            .collect();
                        (idx, items)
                    })
                    .collect();
                Some(InnerItems {
                    shape: shape.to_vec(),
                    strides: c_strides(shape),
                    by_index,
                })
            }
            _ => None,
        };
        Picker {
            items,
            chunk_strides: c_strides(chunk_shape),
            inner,
        }
    }

    /// The item at `inside` (a place in the chunk); None for the fill
    /// value.
    fn item(&self, inside: &[u64]) -> Option<&'a [u8]> {
        let zero = vec![0; inside.len()];
        match (self.items, &self.inner) {
            (PartItems::Fill, _) => None,
            (PartItems::Whole(items), _) => {
                Some(items.get(flat(inside, &zero, &self.chunk_strides)))
            }
            (PartItems::Inner(_), Some(inner)) => {
                let shape = &inner.shape;
                let idx: Vec<u64> = inside.iter().zip(shape).map(|(i, s)| i / s).collect();
                let within: Vec<u64> = inside.iter().zip(shape).map(|(i, s)| i % s).collect();
                inner
                    .by_index
                    .get(&idx)
                    .map(|items| items.get(flat(&within, &zero, &inner.strides)))
            }
            (PartItems::Inner(_), None) => None,
        }
    }
}
