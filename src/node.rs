//! Node paths inside a store.

use crate::error::{invalid_argument, not_found, Result};
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

/// The file names that hold node metadata: `zarr.json`, then a v2 node's
/// `.zarray`, `.zgroup` and `.zattrs`.
pub const METADATA_NAMES: [&str; 4] = ["zarr.json", ".zarray", ".zgroup", ".zattrs"];

/// The keys that make `path` a node, in the order of `METADATA_NAMES`.
pub fn node_metadata_keys(path: &str) -> [String; 4] {
    METADATA_NAMES.map(|name| join_key(path, name))
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
/// fails with the node whole. The metadata goes last (`zarr.json`, which
/// hides v2 metadata beside it, very last): stopped halfway, the node is
/// still there, and erasing it again (or creating a node over it, which
/// erases it first) takes the rest, so no later node at `path` finds its
/// stale chunks. A node that the store keeps as a link to elsewhere (a
/// symbolic link on the filesystem) loses the link, not what it points to.
pub fn erase_node(store: &dyn Store, path: &str) -> Result<bool> {
    let meta_keys = node_metadata_keys(path);
    let mut present = Vec::new();
    for key in meta_keys.iter().rev() {
        if store.size(key)?.is_some() {
            present.push(key);
        }
    }
    if present.is_empty() {
        return Ok(false);
    }
    if store.unlink_node(path)? {
        return Ok(true);
    }
    let old = store.list(&node_prefix(path))?;
    // Chunks and other values first, then the metadata of the nodes below,
    // the deepest first and each `zarr.json` after the v2 files beside
    // it: however far it got, every chunk left has its node's metadata.
    let is_metadata = |k: &str| METADATA_NAMES.contains(&k.rsplit('/').next().unwrap_or(k));
    let (mut below, data): (Vec<&String>, Vec<&String>) = old
        .iter()
        .filter(|k| !meta_keys.contains(k))
        .partition(|k| is_metadata(k));
    below.sort_by_key(|k| {
        (
            std::cmp::Reverse(k.matches('/').count()),
            k.ends_with("/zarr.json"),
        )
    });
    for key in data.into_iter().chain(below) {
        store.erase(key)?;
    }
    for key in &present {
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

/// The ancestors of `path` that are not nodes, from the root down: the
/// groups `create_parent_groups` makes once the node itself is written.
/// An ancestor that is an array is an "invalid argument" error.
pub fn missing_parent_groups(store: &dyn Store, path: &str) -> Result<Vec<String>> {
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
            None => missing.push(a.to_string()),
        }
    }
    Ok(missing)
}

/// Make the ancestors `missing_parent_groups` found groups (no
/// attributes), as zarr-python does when it creates a node: a Zarr v3
/// hierarchy is found from its root through groups only. Called after the
/// node itself is written, so that a node the store refuses leaves no new
/// groups behind. Groups are created only where absent (atomically on
/// stores that can), so writers creating nodes side by side under a new
/// group do not overwrite its attributes.
/// With `v2`, Zarr v2 groups (`.zgroup`) for a v2 node, as zarr-python
/// makes them in a v2 hierarchy.
pub fn create_parent_groups(store: &dyn Store, missing: &[String], v2: bool) -> Result<()> {
    let (name, group) = if v2 {
        (".zgroup", "{\n  \"zarr_format\": 2\n}".to_string())
    } else {
        (
            "zarr.json",
            crate::metadata::GroupMetadata::default().to_string_pretty(),
        )
    };
    for a in missing {
        store.set_if_absent(&join_key(a, name), group.as_bytes())?;
    }
    Ok(())
}

/// The stored `zarr.json` of the node at `path` ("not found" when it is
/// gone).
pub fn read_metadata(store: &dyn Store, path: &str) -> Result<Vec<u8>> {
    store
        .get(&metadata_key(path))?
        .ok_or_else(|| not_found(format!("node \"{path}\": its zarr.json is gone")))
}

/// Rewrite the stored `zarr.json` of the node at `path` with its member
/// `member` set to `value` (JSON text), every other byte as it is stored:
/// what other handles wrote since this one read it, and what a JSON
/// library would not keep (Python's `NaN` tokens, integers past 64 bits).
/// `check` validates the changed document before it is written, and its
/// result is returned.
pub fn update_metadata<T>(
    store: &dyn Store,
    path: &str,
    member: &str,
    value: &str,
    check: impl FnOnce(&[u8]) -> Result<T>,
) -> Result<T> {
    let what = format!("node \"{path}\"");
    let stored = read_metadata(store, path)?;
    let text = crate::metadata::splice::set_member(&stored, member, value)
        .map_err(|e| e.context(&what))?;
    let checked = check(&text).map_err(|e| e.context(&what))?;
    store.set(&metadata_key(path), &text)?;
    Ok(checked)
}
