//! Groups: nodes that hold attributes and children.

use crate::error::{not_found, Result};
use crate::metadata::GroupMetadata;
use crate::node::{metadata_key, node_prefix, normalize_path};
use crate::store::StoreRef;
use serde_json::{Map, Value};
use std::sync::{Mutex, RwLock};

/// What kind of node a child is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum NodeType {
    Array,
    Group,
}

impl NodeType {
    pub fn as_str(&self) -> &'static str {
        match self {
            NodeType::Array => "array",
            NodeType::Group => "group",
        }
    }
}

#[derive(Debug)]
pub struct Group {
    store: StoreRef,
    path: String,
    meta: RwLock<GroupMetadata>,
    /// Held by `set_attributes` while it writes `zarr.json` (see
    /// `Array::set_attributes`).
    writer: Mutex<()>,
}

impl Group {
    /// Create a group (replacing the metadata of any node at `path`; the
    /// node's children are kept).
    pub fn create(store: StoreRef, path: &str, attributes: Map<String, Value>) -> Result<Group> {
        let path = normalize_path(path)?;
        let meta = GroupMetadata {
            attributes,
            extra: Map::new(),
        };
        store.set(&metadata_key(&path), meta.to_string_pretty().as_bytes())?;
        Ok(Group {
            store,
            path,
            meta: RwLock::new(meta),
            writer: Mutex::new(()),
        })
    }

    pub fn open(store: StoreRef, path: &str) -> Result<Group> {
        let path = normalize_path(path)?;
        let text = store
            .get(&metadata_key(&path))?
            .ok_or_else(|| not_found(format!("no zarr.json at \"{path}\"")))?;
        let meta =
            GroupMetadata::parse(&text).map_err(|e| e.context(format!("group \"{path}\"")))?;
        Ok(Group {
            store,
            path,
            meta: RwLock::new(meta),
            writer: Mutex::new(()),
        })
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    pub fn attributes(&self) -> Map<String, Value> {
        self.meta
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .attributes
            .clone()
    }

    /// Replace the attributes and rewrite `zarr.json`.
    pub fn set_attributes(&self, attributes: Map<String, Value>) -> Result<()> {
        let _writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let mut m = self.meta.read().unwrap_or_else(|e| e.into_inner()).clone();
        m.attributes = attributes;
        self.store
            .set(&metadata_key(&self.path), m.to_string_pretty().as_bytes())?;
        *self.meta.write().unwrap_or_else(|e| e.into_inner()) = m;
        Ok(())
    }

    /// The direct children that are nodes (have a `zarr.json`), sorted by name.
    pub fn children(&self) -> Result<Vec<(String, NodeType)>> {
        let prefix = node_prefix(&self.path);
        let mut out = Vec::new();
        for key in self.store.list(&prefix)? {
            let rest = &key[prefix.len()..];
            let Some((name, "zarr.json")) = rest.split_once('/') else {
                continue;
            };
            let Some(text) = self.store.get(&key)? else {
                continue;
            };
            let node_type = serde_json::from_slice::<Value>(&text).ok().and_then(|v| {
                v.get("node_type")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            });
            match node_type.as_deref() {
                Some("array") => out.push((name.to_string(), NodeType::Array)),
                Some("group") => out.push((name.to_string(), NodeType::Group)),
                _ => {}
            }
        }
        out.sort();
        Ok(out)
    }
}
