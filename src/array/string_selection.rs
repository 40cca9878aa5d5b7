//! Selections that are not one box over arrays of variable-length items
//! (`string`, `variable_length_bytes`): points (zarr-python's `vindex`),
//! and lists or steps of indices per dimension (`oindex`, `a[::2]`), read
//! as items side by side with offsets, and written from them.
//!
//! The selected elements are grouped by chunk. A read decodes each
//! touched chunk (of a shard, only the inner chunks holding selected
//! elements, after the shard's index) and keeps just the selected items
//! before the next, so it holds the selection and the chunks in flight; a
//! write rebuilds each touched chunk from its items with the selected ones
//! set, in the caller's order (of repeated elements, the last one written
//! wins), and erases a chunk that ends up all fill value.

use super::{Array, DimSelection};
use crate::codec::vlen::{Items, ItemsRef};
use crate::error::{invalid_argument, out_of_bounds, Result};
use crate::region::c_strides;
use std::collections::HashMap;
use std::sync::Mutex;

/// Selected elements grouped by chunk.
struct Groups {
    ndim: usize,
    /// Each element's chunk (grid indices) and place in it, `ndim` each,
    /// in the caller's order.
    chunk_of: Vec<u64>,
    inside: Vec<u64>,
    /// Element numbers, ordered by chunk (the caller's order within one).
    order: Vec<usize>,
    /// Each touched chunk's run of `order`.
    runs: Vec<std::ops::Range<usize>>,
}

impl Groups {
    fn chunk(&self, p: usize) -> &[u64] {
        &self.chunk_of[p * self.ndim..(p + 1) * self.ndim]
    }
    fn inside(&self, p: usize) -> &[u64] {
        &self.inside[p * self.ndim..(p + 1) * self.ndim]
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
        let points = self.orthogonal_points(sel)?;
        if self.ndim() == 0 {
            // The one element of a 0-d array, which no point names.
            return self.read_strings(&[], &[]);
        }
        self.read_items_at(points)
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
        let points = self.orthogonal_points(sel)?;
        if self.ndim() == 0 {
            return self.write_strings(&[], &[], items);
        }
        self.write_items_at(points, items)
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

    /// Push the grid indices of the chunk that holds `point` to `chunk`,
    /// and the point's place in that chunk to `inside`.
    fn push_chunk_of(&self, point: &[u64], chunk: &mut Vec<u64>, inside: &mut Vec<u64>) {
        for (d, &i) in point.iter().enumerate() {
            let (c, origin) = match &self.meta.rectilinear {
                Some(grid) => {
                    let c = grid.index_of(d, i);
                    (c, grid.span_along(d, c).0)
                }
                None => {
                    let edge = self.chunk_shape()[d];
                    (i / edge, i / edge * edge)
                }
            };
            chunk.push(c);
            inside.push(i - origin);
        }
    }

    /// Group the elements at `coords` (`ndim` each, at least one
    /// dimension) by chunk.
    fn group_by_chunk(&self, coords: &[u64]) -> Result<Groups> {
        let ndim = self.ndim();
        let count = coords.len() / ndim;
        let mut chunk_of = crate::alloc::with_capacity(coords.len())?;
        let mut inside = crate::alloc::with_capacity(coords.len())?;
        for point in coords.chunks_exact(ndim) {
            self.push_chunk_of(point, &mut chunk_of, &mut inside);
        }
        let mut order: Vec<usize> = crate::alloc::with_capacity(count)?;
        order.extend(0..count);
        // Stable: the caller's order stays within each chunk.
        let key = |p: usize| &chunk_of[p * ndim..(p + 1) * ndim];
        order.sort_by(|&a, &b| key(a).cmp(key(b)));
        let mut runs: Vec<std::ops::Range<usize>> = Vec::new();
        for (k, &p) in order.iter().enumerate() {
            match runs.last_mut() {
                Some(run) if key(order[run.start]) == key(p) => run.end = k + 1,
                _ => runs.push(k..k + 1),
            }
        }
        Ok(Groups {
            ndim,
            chunk_of,
            inside,
            order,
            runs,
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
        let groups = self.group_by_chunk(&coords)?;
        drop(coords);
        // Each touched chunk's selected items, in its run's order: picked
        // as soon as the chunk is decoded, so that a read holds the
        // selection and the chunks in flight, not every chunk it touched.
        let mut picked: Vec<Option<Items>> = crate::alloc::with_capacity(groups.runs.len())?;
        picked.resize_with(groups.runs.len(), || None);
        let picked = Mutex::new(picked);
        crate::threads::for_each(self.threads(), groups.runs.len(), |g| {
            let run = &groups.order[groups.runs[g].clone()];
            let items = self.pick_items(&groups, run)?;
            picked.lock().unwrap_or_else(|e| e.into_inner())[g] = items;
            Ok(())
        })?;
        let picked = picked.into_inner().unwrap_or_else(|e| e.into_inner());
        let mut slots: Vec<&[u8]> = crate::alloc::with_capacity(groups.order.len())?;
        slots.resize(groups.order.len(), self.fill_value());
        for (range, items) in groups.runs.iter().zip(&picked) {
            if let Some(items) = items {
                for (k, &p) in groups.order[range.clone()].iter().enumerate() {
                    slots[p] = items.get(k);
                }
            }
        }
        Items::from_slices(&slots)
    }

    /// The items of the elements `run` (all in one chunk), in order; None
    /// when the chunk is not stored (all the fill value). Of a shard only
    /// the inner chunks holding the elements are fetched and decoded.
    fn pick_items(&self, groups: &Groups, run: &[usize]) -> Result<Option<Items>> {
        let (view, at) = self.chunk_array(groups.chunk(run[0]))?;
        let target = view.as_ref().unwrap_or(self);
        let fill = self.fill_value();
        let mut slots: Vec<&[u8]> = crate::alloc::with_capacity(run.len())?;
        let Some(sh) = target.codecs().sharding() else {
            let Some(items) = target.chunk_items(&at)? else {
                return Ok(None);
            };
            let strides = c_strides(target.chunk_shape());
            slots.extend(
                run.iter()
                    .map(|&p| items.get(offset(groups.inside(p), &strides))),
            );
            return Items::from_slices(&slots).map(Some);
        };
        // Each element's inner chunk (its index in the shard's grid of
        // inner chunks) and place in it.
        let (inner, grid) = (sh.chunk_shape(), c_strides(sh.chunks_per_shard()));
        let inner_strides = c_strides(inner);
        let place = |p: usize| {
            let (mut flat, mut within) = (0u64, 0u64);
            for (d, &i) in groups.inside(p).iter().enumerate() {
                flat += i / inner[d] * grid[d];
                within += i % inner[d] * inner_strides[d];
            }
            (flat as usize, within as usize)
        };
        let mut wanted: Vec<usize> = run.iter().map(|&p| place(p).0).collect();
        wanted.sort_unstable();
        wanted.dedup();
        let Some(found) = target.inner_chunk_items(sh, &at, &wanted)? else {
            return Ok(None);
        };
        let found: HashMap<usize, Items> = found.into_iter().collect();
        slots.extend(run.iter().map(|&p| {
            let (flat, within) = place(p);
            found.get(&flat).map_or(fill, |items| items.get(within))
        }));
        Items::from_slices(&slots).map(Some)
    }

    fn write_items_at(&self, coords: Vec<u64>, items: ItemsRef) -> Result<()> {
        items.check(coords.len() / self.ndim(), self.codecs().vlen_item_rule())?;
        let groups = self.group_by_chunk(&coords)?;
        drop(coords);
        crate::threads::for_each(self.threads(), groups.runs.len(), |g| {
            let run = &groups.order[groups.runs[g].clone()];
            let (view, at) = self.chunk_array(groups.chunk(run[0]))?;
            let target = view.as_ref().unwrap_or(self);
            let strides = c_strides(target.chunk_shape());
            target.rewrite_chunk_items(&at, false, |set| {
                // In the caller's order: of repeated elements the last wins.
                for &p in run {
                    set(offset(groups.inside(p), &strides), items.get(p));
                }
            })
        })
    }
}

/// The C-order offset of `at` by `strides`.
fn offset(at: &[u64], strides: &[u64]) -> usize {
    at.iter().zip(strides).map(|(a, s)| a * s).sum::<u64>() as usize
}
