//! Changing an array's shape, as zarr-python's `resize` and netCDF's
//! unlimited dimensions do: the chunk grid stays, so only the edge changes.

use super::Array;
use crate::error::{invalid_argument, ErrorKind, Result};
use crate::metadata::ArrayMetadata;
use crate::node::{metadata_key, node_prefix};

impl Array {
    /// Give the array the shape `new_shape` (the same number of
    /// dimensions; any may grow or shrink, to zero included).
    ///
    /// Elements that shrinking cuts off are set to the fill value first:
    /// chunks wholly outside the new shape are erased, and the cut part of
    /// chunks on the new edge is rewritten, so that growing again later
    /// shows the fill value there rather than the old data (zarr-python
    /// leaves the old data in edge chunks). Then `zarr.json` is
    /// rewritten. Growing only rewrites `zarr.json`. Stopped halfway (a
    /// store failure), the array keeps its old shape and may have lost
    /// values of the part being cut, never of the part being kept.
    ///
    /// On a store that can list, shrinking visits the stored chunks only;
    /// on one that cannot, every chunk position the cut part covers.
    ///
    /// Takes the handle exclusively; other handles on the same array (in
    /// this process or others) must not read or write it meanwhile, and
    /// must be reopened to see the new shape.
    pub fn resize(&mut self, new_shape: &[u64]) -> Result<()> {
        self.check_writable()?;
        let old = self.shape().to_vec();
        if new_shape.len() != old.len() {
            return Err(invalid_argument(format!(
                "the new shape has {} dimensions, the array {}",
                new_shape.len(),
                old.len()
            )));
        }
        // The new document, validated as a whole before anything changes.
        let mut meta = self.meta.clone();
        meta.attributes = self.attributes();
        let current = meta.to_string_pretty();
        meta.shape = new_shape.to_vec();
        let text = meta.to_string_pretty();
        ArrayMetadata::parse(text.as_bytes())
            .map_err(|e| e.context(format!("array \"{}\": new shape", self.path)))?;
        if new_shape.iter().zip(&old).any(|(n, o)| n < o) {
            // A store that refuses the metadata (a consolidated view)
            // refuses it before any chunk is cut.
            self.store
                .set(&metadata_key(&self.path), current.as_bytes())?;
            self.cut(&old, new_shape)?;
        }
        self.store.set(&metadata_key(&self.path), text.as_bytes())?;
        self.meta.shape = new_shape.to_vec();
        Ok(())
    }

    /// Set everything of `old` outside `new` to the fill value.
    fn cut(&self, old: &[u64], new: &[u64]) -> Result<()> {
        let prefix = node_prefix(&self.path);
        let keys = match self.store.list(&prefix) {
            Ok(keys) => keys,
            Err(e) if e.kind() == ErrorKind::Unsupported => {
                let everything: Vec<u64> = vec![0; old.len()];
                return self.fill_cut(old, new, &everything, old);
            }
            Err(e) => return Err(e),
        };
        let chunk = self.chunk_shape().to_vec();
        let encoding = self.meta.chunk_key_encoding;
        for key in keys {
            let Some(idx) = encoding.indices(&key[prefix.len()..], old.len()) else {
                continue;
            };
            // The chunk's box, as far as the array reaches. Chunks wholly
            // outside the new shape go, and so do those wholly outside the
            // old one (left by another writer's shrink), which a growing
            // dimension would otherwise bring back.
            let lo: Vec<u64> = idx
                .iter()
                .zip(&chunk)
                .map(|(&i, &c)| i.saturating_mul(c))
                .collect();
            let outside = |shape: &[u64]| lo.iter().zip(shape).any(|(l, s)| l >= s);
            if outside(new) || outside(old) {
                self.store.erase(&key)?;
                continue;
            }
            let hi: Vec<u64> = lo
                .iter()
                .zip(&chunk)
                .zip(old)
                .map(|((&l, &c), &o)| l.saturating_add(c).min(o))
                .collect();
            if hi.iter().zip(new).any(|(h, n)| h > n) {
                self.fill_cut(old, new, &lo, &hi)?;
            }
        }
        Ok(())
    }

    /// Fill what lies in the box `lo..hi` and outside `new` (within `old`)
    /// with the fill value: one box per shrinking dimension d, holding the
    /// kept range in the dimensions before d, the cut range in d and
    /// everything after, so the boxes do not overlap.
    fn fill_cut(&self, old: &[u64], new: &[u64], lo: &[u64], hi: &[u64]) -> Result<()> {
        let fill = self.fill_value().to_vec();
        for d in 0..old.len() {
            if new[d] >= old[d] {
                continue;
            }
            let mut start = lo.to_vec();
            let mut end = hi.to_vec();
            for e in 0..d {
                end[e] = end[e].min(new[e]);
            }
            start[d] = start[d].max(new[d]);
            if start.iter().zip(&end).any(|(s, e)| s >= e) {
                continue;
            }
            let shape: Vec<u64> = start.iter().zip(&end).map(|(s, e)| e - s).collect();
            if self.data_type().is_variable_length() {
                self.fill_strings(&start, &shape, &fill)?;
            } else {
                self.fill_region(&start, &shape, &fill)?;
            }
        }
        Ok(())
    }
}
