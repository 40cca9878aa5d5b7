//! An N5 container as a Zarr store (zarr-extensions' "N5 Default Store"):
//! each node's `zarr.json` is made from its `attributes.json`
//! (`metadata::n5`) when read, and written back as one when written;
//! every other key (the blocks) passes through to the store below, where
//! a dataset's blocks already sit at the `v2` keys the made `zarr.json`
//! names. Any directory is an N5 group, so a node without
//! `attributes.json` that holds values, and is not inside a dataset,
//! reads as a group without attributes.

use super::{hand_over_whole, slice_range, ByteRange, Store, StoreRef, ValueReader};
use crate::error::{unsupported, Result};
use crate::metadata::n5;

const ZARR_JSON: &str = "zarr.json";
const ATTRIBUTES_JSON: &str = "attributes.json";

#[derive(Debug)]
pub struct N5Store {
    inner: StoreRef,
}

/// The node path of a `zarr.json` key ("" for the root), or None for any
/// other key.
fn node_of(key: &str) -> Option<&str> {
    if key == ZARR_JSON {
        Some("")
    } else {
        key.strip_suffix(ZARR_JSON)?.strip_suffix('/')
    }
}

fn key_in(node: &str, name: &str) -> String {
    super::join_key(node, name)
}

impl N5Store {
    pub fn new(inner: StoreRef) -> N5Store {
        N5Store { inner }
    }

    pub fn inner(&self) -> &StoreRef {
        &self.inner
    }

    /// Whether any value lies below `node`.
    fn holds_values(&self, node: &str) -> Result<bool> {
        let prefix = if node.is_empty() {
            String::new()
        } else {
            format!("{node}/")
        };
        Ok(!self.inner.list(&prefix)?.is_empty())
    }

    /// Whether an ancestor of `node` is a dataset: then `node` is a
    /// directory of its blocks, not a group.
    fn inside_dataset(&self, node: &str) -> Result<bool> {
        let mut path = node;
        while let Some((parent, _)) = path.rsplit_once('/') {
            if self.is_dataset(parent)? {
                return Ok(true);
            }
            path = parent;
        }
        Ok(!node.is_empty() && self.is_dataset("")?)
    }

    fn is_dataset(&self, node: &str) -> Result<bool> {
        Ok(match self.inner.get(&key_in(node, ATTRIBUTES_JSON))? {
            Some(text) => serde_json::from_slice::<serde_json::Value>(&text)
                .is_ok_and(|v| v.get("dimensions").is_some() && v.get("dataType").is_some()),
            None => false,
        })
    }

    /// The `zarr.json` of `node`, made from its `attributes.json`.
    fn metadata(&self, node: &str) -> Result<Option<Vec<u8>>> {
        if let Some(text) = self.inner.get(&key_in(node, ATTRIBUTES_JSON))? {
            return n5::zarr_json(&text).map(Some);
        }
        if self.holds_values(node)? && !self.inside_dataset(node)? {
            return Ok(Some(n5::implicit_group_json()));
        }
        Ok(None)
    }

    /// `attributes.json` for the `zarr.json` `value` of `node`.
    fn attributes(&self, node: &str, value: &[u8]) -> Result<(String, Vec<u8>)> {
        Ok((
            key_in(node, ATTRIBUTES_JSON),
            n5::attributes_json(value, node.is_empty())?,
        ))
    }

    /// Keys as the Zarr side sees them: each `attributes.json` as the
    /// node's `zarr.json`.
    fn as_zarr_keys(keys: Vec<String>) -> Vec<String> {
        let mut out: Vec<String> = keys
            .into_iter()
            .map(|k| match k.strip_suffix(ATTRIBUTES_JSON) {
                Some(node) if node.is_empty() || node.ends_with('/') => {
                    format!("{node}{ZARR_JSON}")
                }
                _ => k,
            })
            .collect();
        out.sort();
        out
    }
}

impl Store for N5Store {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        match node_of(key) {
            Some(node) => self.metadata(node),
            None => self.inner.get(key),
        }
    }

    fn get_range(&self, key: &str, range: ByteRange) -> Result<Option<Vec<u8>>> {
        match node_of(key) {
            Some(node) => self
                .metadata(node)?
                .map(|v| slice_range(&v, &range))
                .transpose(),
            None => self.inner.get_range(key, range),
        }
    }

    fn get_into(&self, key: &str, out: &mut [u8]) -> Result<Option<bool>> {
        match node_of(key) {
            Some(node) => Ok(self.metadata(node)?.map(|v| {
                let fits = v.len() == out.len();
                if fits {
                    out.copy_from_slice(&v);
                }
                fits
            })),
            None => self.inner.get_into(key, out),
        }
    }

    fn value_reader(&self, key: &str) -> Result<Option<Box<dyn ValueReader + '_>>> {
        match node_of(key) {
            Some(_) => Err(unsupported(format!(
                "{key}: N5 node metadata is read whole"
            ))),
            None => self.inner.value_reader(key),
        }
    }

    fn supports_value_reader(&self) -> bool {
        self.inner.supports_value_reader()
    }

    fn get_reusing(&self, key: &str, buf: &mut Vec<u8>) -> Result<bool> {
        match node_of(key) {
            Some(node) => match self.metadata(node)? {
                Some(v) => {
                    *buf = v;
                    Ok(true)
                }
                None => Ok(false),
            },
            None => self.inner.get_reusing(key, buf),
        }
    }

    fn get_in_pieces(
        &self,
        key: &str,
        total: usize,
        sink: &mut dyn FnMut(&[u8]) -> Result<()>,
    ) -> Result<Option<bool>> {
        match node_of(key) {
            Some(node) => hand_over_whole(self.metadata(node)?.as_deref(), total, sink),
            None => self.inner.get_in_pieces(key, total, sink),
        }
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<()> {
        match node_of(key) {
            Some(node) => {
                let (k, v) = self.attributes(node, value)?;
                self.inner.set(&k, &v)
            }
            None => self.inner.set(key, value),
        }
    }

    fn set_parts(&self, key: &str, parts: &[&[u8]]) -> Result<()> {
        match node_of(key) {
            Some(_) => self.set(key, &super::concatenated(parts)?),
            None => self.inner.set_parts(key, parts),
        }
    }

    fn min_part_len(&self) -> Option<usize> {
        self.inner.min_part_len()
    }

    fn set_if_absent(&self, key: &str, value: &[u8]) -> Result<bool> {
        match node_of(key) {
            Some(node) => {
                let (k, v) = self.attributes(node, value)?;
                self.inner.set_if_absent(&k, &v)
            }
            None => self.inner.set_if_absent(key, value),
        }
    }

    fn supports_set_if_absent(&self) -> bool {
        self.inner.supports_set_if_absent()
    }

    fn set_range(&self, key: &str, offset: u64, bytes: &[u8]) -> Result<()> {
        match node_of(key) {
            Some(_) => Err(unsupported(format!(
                "{key}: N5 node metadata is written whole"
            ))),
            None => self.inner.set_range(key, offset, bytes),
        }
    }

    fn supports_set_range(&self) -> bool {
        self.inner.supports_set_range()
    }

    fn erase(&self, key: &str) -> Result<()> {
        match node_of(key) {
            Some(node) => self.inner.erase(&key_in(node, ATTRIBUTES_JSON)),
            None => self.inner.erase(key),
        }
    }

    fn erase_prefix(&self, prefix: &str) -> Result<()> {
        self.inner.erase_prefix(prefix)
    }

    fn list(&self, prefix: &str) -> Result<Vec<String>> {
        Ok(Self::as_zarr_keys(self.inner.list(prefix)?))
    }

    /// The store below knows `attributes.json` as an ordinary value, not
    /// as node metadata: it is found by listing everything.
    fn list_metadata(&self, prefix: &str) -> Result<Vec<String>> {
        self.list(prefix)
    }

    fn size(&self, key: &str) -> Result<Option<u64>> {
        match node_of(key) {
            Some(node) => Ok(self.metadata(node)?.map(|v| v.len() as u64)),
            None => self.inner.size(key),
        }
    }

    fn close(&self) -> Result<()> {
        self.inner.close()
    }
}
