//! Node paths inside a store.

use crate::error::{invalid_argument, Result};
use crate::store::join_key;

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
