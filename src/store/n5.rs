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
use std::collections::{BTreeSet, HashSet};

const ZARR_JSON: &str = "zarr.json";
const ATTRIBUTES_JSON: &str = "attributes.json";

#[derive(Debug)]
pub struct N5Store {
    inner: StoreRef,
}

/// The node path of a key named `name` ("" for the root), or None for
/// any other key.
fn node_of_named<'k>(key: &'k str, name: &str) -> Option<&'k str> {
    if key == name {
        Some("")
    } else {
        key.strip_suffix(name)?.strip_suffix('/')
    }
}

/// The node path of a `zarr.json` key, or None for any other key.
fn node_of(key: &str) -> Option<&str> {
    node_of_named(key, ZARR_JSON)
}

/// Zarr v2's node metadata, which an N5 container does not hold.
fn is_v2_metadata(key: &str) -> bool {
    crate::node::METADATA_NAMES[1..]
        .iter()
        .any(|name| node_of_named(key, name).is_some())
}

fn refuse_v2(key: &str) -> crate::error::Error {
    unsupported(format!("{key}: an N5 container holds no Zarr v2 metadata"))
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
            Some(text) => crate::metadata::parse_json(&text)
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

    /// `attributes.json` for the `zarr.json` `value` of `node`. The root
    /// keeps the N5 version it has.
    fn attributes(&self, node: &str, value: &[u8]) -> Result<(String, Vec<u8>)> {
        let key = key_in(node, ATTRIBUTES_JSON);
        let text = if node.is_empty() {
            let old = self.inner.get(&key)?;
            let version = old
                .and_then(|t| crate::metadata::parse_json(&t).ok())
                .and_then(|v| v.get("n5").cloned());
            n5::attributes_json(value, n5::Node::Root(version.as_ref()))?
        } else {
            n5::attributes_json(value, n5::Node::Other)?
        };
        Ok((key, text))
    }

    /// Keys under `prefix` as the Zarr side sees them: each
    /// `attributes.json` as its node's `zarr.json`, and a `zarr.json` for
    /// each directory below `prefix` that holds values but no
    /// `attributes.json` and is not inside a dataset (an implicit group).
    fn as_zarr_keys(&self, prefix: &str, keys: Vec<String>) -> Result<Vec<String>> {
        let with_attributes: Vec<&str> = keys
            .iter()
            .filter_map(|k| node_of_named(k, ATTRIBUTES_JSON))
            .collect();
        let mut datasets = HashSet::new();
        for &node in &with_attributes {
            if self.is_dataset(node)? {
                datasets.insert(node);
            }
        }
        let below = prefix.strip_suffix('/').unwrap_or(prefix);
        // Nothing below a dataset (or a directory of one) is a group.
        let prefix_in_dataset =
            !below.is_empty() && (self.is_dataset(below)? || self.inside_dataset(below)?);
        let mut implicit = BTreeSet::new();
        if !prefix_in_dataset {
            for key in &keys {
                // The key's directories below `prefix`, innermost first,
                // then taken outermost first up to a dataset (whose
                // directories hold its blocks).
                let mut dirs = Vec::new();
                let mut path = key.as_str();
                while let Some((dir, _)) = path.rsplit_once('/') {
                    if dir.len() < prefix.len() {
                        break;
                    }
                    dirs.push(dir);
                    path = dir;
                }
                for dir in dirs.into_iter().rev() {
                    if datasets.contains(dir) {
                        break;
                    }
                    implicit.insert(dir);
                }
            }
        }
        for node in &with_attributes {
            implicit.remove(node);
        }
        let mut out: Vec<String> = keys
            .iter()
            .map(|k| match node_of_named(k, ATTRIBUTES_JSON) {
                Some(node) => key_in(node, ZARR_JSON),
                None => k.clone(),
            })
            .chain(implicit.into_iter().map(|d| key_in(d, ZARR_JSON)))
            .collect();
        // A node with both an attributes.json and a zarr.json of its own
        // is listed once.
        out.sort();
        out.dedup();
        Ok(out)
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
            None if is_v2_metadata(key) => Err(refuse_v2(key)),
            None => self.inner.set(key, value),
        }
    }

    fn check_metadata(&self, key: &str, value: &[u8]) -> Result<()> {
        match node_of(key) {
            Some(node) => self.attributes(node, value).map(|_| ()),
            None if is_v2_metadata(key) => Err(refuse_v2(key)),
            None => self.inner.check_metadata(key, value),
        }
    }

    fn set_parts(&self, key: &str, parts: &[&[u8]]) -> Result<()> {
        match node_of(key) {
            Some(_) => self.set(key, &super::concatenated(parts)?),
            None if is_v2_metadata(key) => Err(refuse_v2(key)),
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
            None if is_v2_metadata(key) => Err(refuse_v2(key)),
            None => self.inner.set_if_absent(key, value),
        }
    }

    fn supports_set_if_absent(&self) -> bool {
        self.inner.supports_set_if_absent()
    }

    fn storage_id(&self) -> usize {
        self.inner.storage_id()
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
            // A zarr.json of the node's own goes too.
            Some(node) => {
                self.inner.erase(&key_in(node, ATTRIBUTES_JSON))?;
                self.inner.erase(key)
            }
            None => self.inner.erase(key),
        }
    }

    fn serves_ranges(&self) -> bool {
        self.inner.serves_ranges()
    }

    fn unlink_node(&self, path: &str) -> Result<bool> {
        self.inner.unlink_node(path)
    }

    fn erase_prefix(&self, prefix: &str) -> Result<()> {
        self.inner.erase_prefix(prefix)
    }

    fn list(&self, prefix: &str) -> Result<Vec<String>> {
        self.as_zarr_keys(prefix, self.inner.list(prefix)?)
    }

    /// The store below knows `attributes.json` as an ordinary value, not
    /// as node metadata: it is found by listing everything.
    fn list_metadata(&self, prefix: &str) -> Result<Vec<String>> {
        self.list(prefix)
    }

    /// A node's metadata is there when its `attributes.json` is, even one
    /// that cannot be read as Zarr metadata: that node can still be erased
    /// or replaced.
    fn size(&self, key: &str) -> Result<Option<u64>> {
        match node_of(key) {
            Some(node) => match self.metadata(node) {
                Ok(v) => Ok(v.map(|v| v.len() as u64)),
                Err(_) => self.inner.size(&key_in(node, ATTRIBUTES_JSON)),
            },
            None => self.inner.size(key),
        }
    }

    fn close(&self) -> Result<()> {
        self.inner.close()
    }
}
