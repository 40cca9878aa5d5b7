//! Changing an array's shape, as zarr-python's `resize` and netCDF's
//! unlimited dimensions do: the chunk grid stays, so only the edge changes.

use super::Array;
use crate::error::{invalid_argument, unsupported, ErrorKind, Result};
use crate::metadata::splice::set_member;
use crate::metadata::{v2, ArrayMetadata};
use crate::node::{metadata_key, node_prefix};
use crate::region::for_each_index;
use crate::store::join_key;
use serde_json::json;

/// A parser of an array's stored metadata document.
type ParseMetadata = fn(&[u8]) -> Result<ArrayMetadata>;

/// The most chunk positions a shrink visits on a store that cannot list
/// (each one an erase request, or a rewrite on the new edge).
const MAX_POSITIONS: u128 = 1 << 24;

impl Array {
    /// Give the array the shape `new_shape` (the same number of
    /// dimensions; any may grow or shrink, to zero included).
    ///
    /// Elements that shrinking cuts off are set to the fill value first:
    /// chunks wholly outside the new shape are erased, and the cut part of
    /// chunks on the new edge is rewritten, so that growing again later
    /// shows the fill value there rather than the old data (zarr-python
    /// leaves the old data in edge chunks). Then `zarr.json` is
    /// rewritten (a v2 array's `.zarray`). Growing only rewrites the
    /// metadata (its shape, and a rectilinear grid's edges where they fall
    /// short). Stopped halfway (a
    /// store failure), the array keeps its old shape and may have lost
    /// values of the part being cut, never of the part being kept.
    ///
    /// On a store that can list, shrinking visits the stored chunks only
    /// (and resets what lies past the new edge in chunks on it, values an
    /// earlier shrink by another writer left there included); on one that
    /// cannot, every chunk position the cut part covers, and an
    /// "unsupported" error, changing nothing, when there are more than
    /// 2^24 of them.
    ///
    /// Takes the handle exclusively; other handles on the same array (in
    /// this process or others) must not read or write it meanwhile, and
    /// must be reopened to see the new shape.
    pub fn resize(&mut self, new_shape: &[u64]) -> Result<()> {
        if new_shape.len() != self.ndim() {
            return Err(invalid_argument(format!(
                "the new shape has {} dimensions, the array {}",
                new_shape.len(),
                self.ndim()
            )));
        }
        // The stored document with the new shape, every other byte as it
        // is stored (attributes another handle set included), validated as
        // a whole before anything changes.
        let v2 = self.is_v2();
        let (key, parse): (String, ParseMetadata) = if v2 {
            (join_key(&self.path, ".zarray"), |t| {
                v2::array_from_zarray(t, None)
            })
        } else {
            (metadata_key(&self.path), ArrayMetadata::parse)
        };
        let what = format!("array \"{}\"", self.path);
        let stored = self
            .store
            .get(&key)?
            .ok_or_else(|| crate::error::not_found(format!("{what}: its metadata is gone")))?;
        let current = parse(&stored).map_err(|e| e.context(&what))?;
        let mut text = set_member(&stored, "shape", &json!(new_shape).to_string())
            .map_err(|e| e.context(&what))?;
        if let Some(grid) = current
            .rectilinear
            .as_ref()
            .and_then(|g| g.grown_to(new_shape))
        {
            text =
                set_member(&text, "chunk_grid", &grid.to_string()).map_err(|e| e.context(&what))?;
        }
        // The stored document was valid: what fails now is the new shape
        // (a grown rectilinear edge its inner chunks do not divide, say).
        let meta = parse(&text).map_err(|e| {
            invalid_argument(format!(
                "{what}: the shape {new_shape:?} is not possible: {}",
                e.message()
            ))
        })?;
        if meta.data_type != self.meta.data_type
            || meta.chunk_shape != self.meta.chunk_shape
            || meta.chunk_key_encoding != self.meta.chunk_key_encoding
        {
            return Err(invalid_argument(format!(
                "{what} was replaced by another writer since this handle opened it"
            )));
        }
        // The array as stored: another handle may have resized it, or
        // rewritten it with other codecs or another fill value, since this
        // one read it; the cut rewrites edge chunks with what is stored.
        let old = current.shape.clone();
        self.take_metadata(current);
        if new_shape.iter().zip(&old).any(|(n, o)| n < o) {
            // A store that refuses the metadata (a consolidated view)
            // refuses it before any chunk is cut.
            self.store.set(&key, &stored)?;
            self.cut(&old, new_shape)?;
        }
        self.store.set(&key, &text)?;
        // A v2 array's attributes are in `.zattrs`, which this leaves.
        if !v2 {
            *self.attributes.write().unwrap_or_else(|e| e.into_inner()) = meta.attributes.clone();
        }
        self.take_metadata(meta);
        Ok(())
    }

    /// Make `meta` this handle's metadata, dropping the pipelines built
    /// per chunk shape from the metadata it had (the stored metadata,
    /// another writer's, may differ).
    fn take_metadata(&mut self, meta: ArrayMetadata) {
        self.meta = meta;
        self.chains
            .get_mut()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// Set everything of `old` outside `new` to the fill value.
    fn cut(&self, old: &[u64], new: &[u64]) -> Result<()> {
        let prefix = node_prefix(&self.path);
        let keys = match self.store.list(&prefix) {
            Ok(keys) => keys,
            Err(e) if e.kind() == ErrorKind::Unsupported => {
                return self.cut_every_position(old, new);
            }
            Err(e) => return Err(e),
        };
        let encoding = self.meta.chunk_key_encoding.clone();
        for key in keys {
            let Some(idx) = encoding.indices(&key[prefix.len()..], old.len()) else {
                continue;
            };
            // Chunks wholly outside the new shape go, and so do those
            // wholly outside the old one (left by another writer's
            // shrink), which a growing dimension would otherwise bring
            // back.
            let (lo, chunk) = self.chunk_place(&idx);
            let outside = |shape: &[u64]| lo.iter().zip(shape).any(|(l, s)| l >= s);
            if outside(new) || outside(old) {
                self.store.erase(&key)?;
                continue;
            }
            let reaches_past = |shape: &[u64]| {
                lo.iter()
                    .zip(&chunk)
                    .zip(shape)
                    .any(|((l, c), s)| l.saturating_add(*c) > *s)
            };
            if !reaches_past(new) {
                continue;
            }
            // A rectilinear array's chunk through its view (chunk 0 of
            // it), whose shape and codecs are the chunk's.
            let view;
            let (target, at) = if self.is_rectilinear() {
                view = self.chunk_view(&idx)?;
                (&view, vec![0; idx.len()])
            } else {
                (self, idx)
            };
            if self.data_type().is_variable_length() {
                target.reset_items_outside(&at, &lo, new)?;
            } else {
                target.reset_outside(&at, &lo, new)?;
            }
        }
        Ok(())
    }

    /// The first element and the full shape of the chunk at `idx`, which
    /// may lie past the grid (a key another writer left; saturating).
    pub(super) fn chunk_place(&self, idx: &[u64]) -> (Vec<u64>, Vec<u64>) {
        match &self.meta.rectilinear {
            Some(grid) => grid.chunk_span(idx),
            None => (
                idx.iter()
                    .zip(self.chunk_shape())
                    .map(|(&i, &c)| i.saturating_mul(c))
                    .collect(),
                self.chunk_shape().to_vec(),
            ),
        }
    }

    /// Rewrite the chunk at `idx` (whose first element is at `lo`) with
    /// every element outside `new` set to the fill value: the cut part,
    /// and whatever lies past the old edge too (an edge chunk holds the
    /// full chunk shape; another writer's shrink may have left values
    /// there that a later growth would bring back).
    fn reset_outside(&self, idx: &[u64], lo: &[u64], new: &[u64]) -> Result<()> {
        if self.codecs().sharding().is_some() {
            return self.fill_outside(idx, lo, new);
        }
        let repr = self.chunk_repr();
        let elem = repr.dtype.size();
        let mut data = crate::alloc::zeroed(repr.nbytes())?;
        self.read_chunk(idx, &mut data)?;
        let fill = self.fill_value().to_vec();
        let mut k = 0;
        for_each_index(&repr.shape, |pos| {
            if outside(pos, lo, new) {
                data[k * elem..(k + 1) * elem].copy_from_slice(&fill);
            }
            k += 1;
        });
        self.write_chunk(idx, &data)
    }

    /// `reset_outside` of a shard, by the boxes of it outside `new`
    /// (those past `new` in a dimension and inside it in every earlier
    /// one), each written as the fill value: only the inner chunks those
    /// touch are decoded, never the whole shard at once.
    fn fill_outside(&self, idx: &[u64], lo: &[u64], new: &[u64]) -> Result<()> {
        let chunk = self.chunk_shape();
        let fill = self.fill_value().to_vec();
        // `new` in the chunk's coordinates (it starts inside: chunks wholly
        // outside are erased instead).
        let limit: Vec<u64> = new
            .iter()
            .zip(lo)
            .map(|(n, l)| n.saturating_sub(*l))
            .collect();
        for (start, end) in boxes_outside(&vec![0; chunk.len()], chunk, &limit) {
            let part = crate::region::ChunkPart {
                chunk: idx.to_vec(),
                in_region: vec![0; chunk.len()],
                shape: start.iter().zip(&end).map(|(s, e)| e - s).collect(),
                in_chunk: start,
            };
            self.write_part(&part, super::write::Content::Scalar(&fill), None)?;
        }
        Ok(())
    }

    /// `cut` on a store that cannot list: every chunk position of the cut
    /// part, refused up front when there are more than `MAX_POSITIONS`
    /// (after a growth to a huge shape, say), which would take hours.
    fn cut_every_position(&self, old: &[u64], new: &[u64]) -> Result<()> {
        let chunk = self.chunk_shape();
        let mut positions = 0u128;
        for d in 0..old.len() {
            if new[d] >= old[d] {
                continue;
            }
            let mut n = 1u128;
            for e in 0..old.len() {
                let (from, to) = match e.cmp(&d) {
                    std::cmp::Ordering::Less => (0, new[e].min(old[e])),
                    std::cmp::Ordering::Equal => (new[e], old[e]),
                    std::cmp::Ordering::Greater => (0, old[e]),
                };
                let count = match (&self.meta.rectilinear, to > from) {
                    (_, false) => 0,
                    (Some(grid), true) => grid.index_of(e, to - 1) - grid.index_of(e, from) + 1,
                    (None, true) => (to - 1) / chunk[e] - from / chunk[e] + 1,
                };
                n = n.saturating_mul(count as u128);
            }
            positions = positions.saturating_add(n);
        }
        if positions > MAX_POSITIONS {
            return Err(unsupported(format!(
                "array \"{}\": shrinking would visit {positions} chunk positions on a store \
                 that cannot list its chunks (at most {MAX_POSITIONS} are visited)",
                self.path
            )));
        }
        self.fill_cut(old, new)
    }

    /// Fill what lies in `old` and outside `new` with the fill value, a
    /// box at a time (`boxes_outside`).
    fn fill_cut(&self, old: &[u64], new: &[u64]) -> Result<()> {
        let fill = self.fill_value().to_vec();
        for (start, end) in boxes_outside(&vec![0; old.len()], old, new) {
            let shape: Vec<u64> = start.iter().zip(&end).map(|(s, e)| e - s).collect();
            self.fill_region(&start, &shape, &fill)?;
        }
        Ok(())
    }
}

/// The parts of the box `start..end` outside `limit`, as boxes that do
/// not overlap: one per dimension d, holding what lies inside `limit` in
/// the dimensions before d, past it in d, and everything after (empty
/// ones left out).
fn boxes_outside(start: &[u64], end: &[u64], limit: &[u64]) -> Vec<(Vec<u64>, Vec<u64>)> {
    let mut out = Vec::new();
    for d in 0..start.len() {
        let mut s = start.to_vec();
        let mut e = end.to_vec();
        for k in 0..d {
            e[k] = e[k].min(limit[k]);
        }
        s[d] = s[d].max(limit[d]);
        if s.iter().zip(&e).all(|(a, b)| a < b) {
            out.push((s, e));
        }
    }
    out
}

/// Whether the element at `pos` in a chunk whose first element is at `lo`
/// lies outside `shape`.
pub(super) fn outside(pos: &[u64], lo: &[u64], shape: &[u64]) -> bool {
    pos.iter()
        .zip(lo)
        .zip(shape)
        .any(|((p, l), n)| p.saturating_add(*l) >= *n)
}
