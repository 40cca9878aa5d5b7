//! Zip archives damaged at many places (bytes flipped, the file cut
//! short): opening one and reading every array in it gives data or a
//! clear error, never a panic, an internal error or an allocation the
//! archive's size does not bound.

use serde_json::json;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use zarrio::error::ErrorKind;
use zarrio::{Array, Store, StoreRef, ZipStore, ZipWriteStore};

/// An archive holding a sharded array, a compressed one and an
/// uncompressed one, written by zarrio.
fn archive(path: &std::path::Path) {
    let bytes = json!({"name": "bytes", "configuration": {"endian": "little"}});
    let meta = |codecs: serde_json::Value| {
        json!({
            "zarr_format": 3, "node_type": "array", "shape": [12, 10], "data_type": "uint16",
            "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [6, 10]}},
            "chunk_key_encoding": {"name": "default"}, "fill_value": 3, "codecs": codecs,
        })
        .to_string()
    };
    let data: Vec<u8> = (0..120u16).flat_map(|v| (v * 7).to_le_bytes()).collect();
    let store = Arc::new(ZipWriteStore::create(path).unwrap());
    let sref: StoreRef = store.clone();
    for (name, codecs) in [
        (
            "sharded",
            json!([{"name": "sharding_indexed", "configuration": {
            "chunk_shape": [3, 5], "codecs": [bytes],
            "index_codecs": [bytes, {"name": "crc32c"}]}}]),
        ),
        (
            "zstd",
            json!([bytes, {"name": "zstd", "configuration": {"level": 1}}]),
        ),
        ("raw", json!([bytes])),
    ] {
        let a = Array::create(sref.clone(), name, &meta(codecs)).unwrap();
        a.write_region(&[0, 0], &[12, 10], &data, None).unwrap();
    }
    store.close().unwrap();
}

/// Open the archive and read every array; Err with the kind of the first
/// error.
fn read_everything(path: &std::path::Path) -> Result<(), ErrorKind> {
    let store: StoreRef = Arc::new(ZipStore::open(path).map_err(|e| e.kind())?);
    for name in ["sharded", "zstd", "raw"] {
        let a = Array::open(store.clone(), name).map_err(|e| e.kind())?;
        let mut out = vec![0u8; 240];
        a.read_region(&[0, 0], &[12, 10], &mut out, None)
            .map_err(|e| e.kind())?;
        a.read_region(&[4, 3], &[5, 5], &mut out[..50], None)
            .map_err(|e| e.kind())?;
    }
    Ok(())
}

#[test]
fn damaged_archives_read_or_fail_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.zip");
    archive(&good);
    assert_eq!(read_everything(&good), Ok(()));
    let original = std::fs::read(&good).unwrap();
    let bad = dir.path().join("bad.zip");
    let mut outcomes = std::collections::BTreeMap::<String, usize>::new();
    let mut mutants: Vec<(String, Vec<u8>)> = Vec::new();
    for at in (0..original.len()).step_by(3) {
        let mut m = original.clone();
        m[at] ^= 0xA5;
        mutants.push((format!("byte {at} flipped"), m));
    }
    for len in (0..original.len()).step_by(17) {
        mutants.push((format!("cut to {len}"), original[..len].to_vec()));
    }
    for (what, bytes) in mutants {
        std::fs::write(&bad, &bytes).unwrap();
        let got = catch_unwind(AssertUnwindSafe(|| read_everything(&bad)))
            .unwrap_or_else(|_| panic!("{what}: panicked"));
        match got {
            Ok(()) => *outcomes.entry("read".into()).or_default() += 1,
            Err(ErrorKind::Internal) => panic!("{what}: an internal error"),
            Err(kind) => *outcomes.entry(format!("{kind:?}")).or_default() += 1,
        }
    }
    // Damage is found: most mutants fail, as corrupt data or a checksum.
    assert!(
        outcomes.get("Corrupt").copied().unwrap_or(0) > 100,
        "{outcomes:?}"
    );
    assert!(outcomes.contains_key("Checksum"), "{outcomes:?}");
}
