//! Writing an array with the zarrs crate, for the fixture generators
//! (`bin/zarrs_fixtures.rs`, `bin/zarrs_vlen_fixtures.rs`), which include
//! this file as a module of their own.

use std::path::Path;
use std::sync::Arc;

use serde_json::Value;
use zarrs::array::{Array, ArrayBytes, ArrayMetadata, ArraySubset};
use zarrs::filesystem::FilesystemStore;

/// Store `bytes` through the array of `meta` at `DIR/NAME` (made afresh)
/// and read the whole array back.
pub fn store(
    dir: &Path,
    name: &str,
    meta: Value,
    bytes: ArrayBytes<'static>,
) -> ArrayBytes<'static> {
    let path = dir.join(name);
    let _ = std::fs::remove_dir_all(&path);
    std::fs::create_dir_all(&path).unwrap();
    let store = Arc::new(FilesystemStore::new(&path).unwrap());
    let shape: Vec<u64> = serde_json::from_value(meta["shape"].clone()).unwrap();
    let meta: ArrayMetadata = serde_json::from_value(meta).unwrap();
    let array = Array::new_with_metadata(store, "/", meta).unwrap();
    array.store_metadata().unwrap();
    let all = ArraySubset::new_with_shape(shape);
    array.store_array_subset(&all, bytes).unwrap();
    array.retrieve_array_subset(&all).unwrap()
}

/// Drop the attributes from the `zarr.json` at `DIR/NAME`: zarrs signs
/// its arrays there, and the fixtures keep the metadata the codecs need
/// and nothing else.
pub fn keep_codec_metadata(dir: &Path, name: &str) {
    let json_path = dir.join(name).join("zarr.json");
    let mut stored: Value = serde_json::from_slice(&std::fs::read(&json_path).unwrap()).unwrap();
    stored.as_object_mut().unwrap().remove("attributes");
    std::fs::write(&json_path, serde_json::to_string_pretty(&stored).unwrap()).unwrap();
}
