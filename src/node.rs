//! Node paths inside a store.

use crate::error::{invalid_argument, not_found, Result};
use crate::store::{join_key, Store};
use serde_json::{Map, Value};

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

/// The kind of node at `path`, from its metadata: Some(true) for an
/// array, Some(false) for a group, None when there is no node.
fn node_kind(store: &dyn Store, path: &str) -> Result<Option<bool>> {
    if let Some(text) = store.get(&metadata_key(path))? {
        let doc = crate::metadata::parse_object(&text, "zarr.json")
            .map_err(|e| e.context(format!("node \"{path}\"")))?;
        return Ok(Some(
            doc.get("node_type").and_then(serde_json::Value::as_str) == Some("array"),
        ));
    }
    if store.size(&join_key(path, ".zarray"))?.is_some() {
        return Ok(Some(true));
    }
    if store.size(&join_key(path, ".zgroup"))?.is_some() {
        return Ok(Some(false));
    }
    Ok(None)
}

/// Make every ancestor of `path` that is not a node a group (no
/// attributes), from the root down, as zarr-python does when it creates a
/// node: a Zarr v3 hierarchy is found from its root through groups only.
/// An ancestor that is an array is an "invalid argument" error, raised
/// before anything is written. Groups are created only where absent
/// (atomically on stores that can), so writers creating nodes side by side
/// under a new group do not overwrite its attributes.
pub fn create_parent_groups(store: &dyn Store, path: &str) -> Result<()> {
    let mut ancestors = Vec::new();
    let mut p = path;
    while !p.is_empty() {
        p = p.rsplit_once('/').map_or("", |(parent, _)| parent);
        ancestors.push(p);
    }
    let mut missing = Vec::new();
    for a in ancestors.into_iter().rev() {
        match node_kind(store, a)? {
            Some(true) => {
                return Err(invalid_argument(format!(
                    "cannot create \"{path}\": \"{a}\" is an array, and arrays have no children"
                )))
            }
            Some(false) => {}
            None => missing.push(a),
        }
    }
    let group = crate::metadata::GroupMetadata::default().to_string_pretty();
    for a in missing {
        store.set_if_absent(&metadata_key(a), group.as_bytes())?;
    }
    Ok(())
}

/// Rewrite the stored `zarr.json` of the node at `path` with `change`
/// applied, everything else as it is stored (what other handles wrote
/// since this one read it included, rather than this handle's copy).
/// `check` validates the changed document before it is written, and its
/// result is returned.
pub fn update_metadata<T>(
    store: &dyn Store,
    path: &str,
    change: impl FnOnce(&mut Map<String, Value>),
    check: impl FnOnce(&[u8]) -> Result<T>,
) -> Result<T> {
    let key = metadata_key(path);
    let what = format!("node \"{path}\"");
    let stored = store
        .get(&key)?
        .ok_or_else(|| not_found(format!("{what}: its zarr.json is gone")))?;
    let mut doc =
        crate::metadata::parse_object(&stored, "zarr.json").map_err(|e| e.context(&what))?;
    change(&mut doc);
    let text =
        serde_json::to_string_pretty(&Value::Object(doc)).expect("JSON values always serialise");
    let checked = check(text.as_bytes()).map_err(|e| e.context(&what))?;
    store.set(&key, text.as_bytes())?;
    Ok(checked)
}
