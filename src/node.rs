//! Node paths inside a store.

use crate::error::{invalid_argument, Result};
use crate::store::{join_key, Store};

/// Normalise a node path: no leading or trailing `/`; `""` is the root.
pub fn normalize_path(path: &str) -> Result<String> {
    let p = path.trim_matches('/');
    if !p.is_empty() {
        crate::store::validate_key(p)
            .map_err(|_| invalid_argument(format!("invalid node path \"{path}\"")))?;
    }
    Ok(p.to_string())
}

/// The key of a node's `zarr.json`.
pub fn metadata_key(path: &str) -> String {
    join_key(path, "zarr.json")
}

/// The keys that make `path` a node: `zarr.json`, and a v2 node's
/// `.zarray`, `.zgroup` and `.zattrs`.
pub fn node_metadata_keys(path: &str) -> [String; 4] {
    [
        metadata_key(path),
        join_key(path, ".zarray"),
        join_key(path, ".zgroup"),
        join_key(path, ".zattrs"),
    ]
}

/// The prefix under which all of a node's keys live (`""` for the root).
pub fn node_prefix(path: &str) -> String {
    if path.is_empty() {
        String::new()
    } else {
        format!("{path}/")
    }
}

/// Erase the node at `path` (normalised; v3 or v2) with everything below
/// it, its chunks or its children: false, erasing nothing, when there is
/// no node (keys under a path that holds no node are left alone). The
/// keys are listed before anything is erased, so a store that cannot list
/// fails with the node whole; the metadata goes first, so that stopped
/// halfway no node is left pointing at stale chunks.
pub fn erase_node(store: &dyn Store, path: &str) -> Result<bool> {
    let meta_keys = node_metadata_keys(path);
    let mut present = Vec::new();
    for key in &meta_keys {
        if store.size(key)?.is_some() {
            present.push(key);
        }
    }
    if present.is_empty() {
        return Ok(false);
    }
    let old = store.list(&node_prefix(path))?;
    for key in &present {
        store.erase(key)?;
    }
    for key in old.iter().filter(|k| !meta_keys.contains(k)) {
        store.erase(key)?;
    }
    Ok(true)
}
