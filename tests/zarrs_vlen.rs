//! zarrs' codecs of variable-length items, checked against arrays the
//! zarrs crate wrote (`tests/data/zarrs_vlen`, made by
//! `bench/src/bin/zarrs_vlen_fixtures.rs`): `zarrs.vlen` (offsets and
//! item bytes through codec chains of their own), `zarrs.vlen_v2` and
//! `vlen-array` (items framed as `vlen-bytes` frames them). Each array
//! sits beside `items.json`, the items zarrs wrote (and read back), each
//! as the hex of its bytes.
//!
//! zarrio must read every array's items as zarrs does, whole and in
//! parts, and writing the items through the same metadata must store
//! exactly the chunks zarrs stored.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use zarrio::codec::vlen::Items;
use zarrio::error::ErrorKind;
use zarrio::{Array, FilesystemStore, MemoryStore, StoreRef};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/zarrs_vlen")
}

fn names() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    v.sort();
    assert!(v.len() >= 9, "the fixtures are missing: {v:?}");
    v
}

/// The items of fixture `name`, as zarrs wrote them.
fn expected(name: &str) -> Vec<Vec<u8>> {
    let text = std::fs::read_to_string(fixtures().join(name).join("items.json")).unwrap();
    let hex: Vec<String> = serde_json::from_str(&text).unwrap();
    hex.iter()
        .map(|h| {
            (0..h.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap())
                .collect()
        })
        .collect()
}

fn items_of(v: &[Vec<u8>]) -> Items {
    let mut items = Items {
        data: vec![],
        offsets: vec![0],
    };
    for it in v {
        items.data.extend_from_slice(it);
        items.offsets.push(items.data.len() as u64);
    }
    items
}

fn list(items: &Items) -> Vec<Vec<u8>> {
    (0..items.len()).map(|i| items.get(i).to_vec()).collect()
}

fn store() -> StoreRef {
    Arc::new(FilesystemStore::open_existing(fixtures()).unwrap())
}

/// The items of the box `start..start+shape` of `all` (C order over
/// `full`).
fn box_items(all: &[Vec<u8>], full: &[u64], start: &[u64], shape: &[u64]) -> Vec<Vec<u8>> {
    common::box_indices(full, start, shape)
        .into_iter()
        .map(|i| all[i].clone())
        .collect()
}

/// The chunks stored below `dir`.
fn chunks(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    common::files_below(dir, &["zarr.json", "items.json"])
}

#[test]
fn reads_what_zarrs_wrote() {
    for name in names() {
        let a = Array::open(store(), &name).unwrap_or_else(|e| panic!("{name}: {e}"));
        let want = expected(&name);
        let shape = a.shape().to_vec();
        let got = a
            .read_strings(&vec![0; shape.len()], &shape)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(list(&got), want, "{name}: the whole array differs");
        // A box that cuts chunks: one element in from every edge.
        let start: Vec<u64> = shape.iter().map(|&d| u64::from(d > 2)).collect();
        let part: Vec<u64> = shape
            .iter()
            .map(|&d| if d > 2 { d - 2 } else { d })
            .collect();
        let got = a.read_strings(&start, &part).unwrap();
        assert_eq!(
            list(&got),
            box_items(&want, &shape, &start, &part),
            "{name}: a box differs"
        );
    }
}

#[test]
fn writes_what_zarrs_wrote() {
    for name in names() {
        let dir = fixtures().join(&name);
        let meta = std::fs::read_to_string(dir.join("zarr.json")).unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let out: StoreRef = Arc::new(FilesystemStore::new(tmp.path()).unwrap());
        let a = Array::create(out, "", &meta).unwrap_or_else(|e| panic!("{name}: {e}"));
        let shape = a.shape().to_vec();
        let items = items_of(&expected(&name));
        a.write_strings(&vec![0; shape.len()], &shape, items.view())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let theirs = chunks(&dir);
        assert!(!theirs.is_empty(), "{name}: zarrs stored no chunks");
        assert_eq!(
            chunks(tmp.path()),
            theirs,
            "{name}: the stored chunks differ from zarrs'"
        );
    }
}

fn vlen_meta(shape: u64, chunk: u64, dtype: &str, codecs: &str) -> String {
    format!(
        r#"{{"zarr_format": 3, "node_type": "array", "shape": [{shape}],
        "data_type": {dtype}, "chunk_grid": {{"name": "regular",
        "configuration": {{"chunk_shape": [{chunk}]}}}},
        "chunk_key_encoding": {{"name": "default"}}, "fill_value": "",
        "codecs": {codecs}}}"#
    )
}

fn memory() -> StoreRef {
    Arc::new(MemoryStore::new())
}

/// Items whose offsets no uint32 holds are refused before anything is
/// stored, where the index is uint32; the configuration is checked when
/// the array is made.
#[test]
fn bad_configurations_and_chunks_are_errors() {
    let split = |cfg: &str| format!(r#"[{{"name": "zarrs.vlen", "configuration": {cfg}}}]"#);
    let good = r#"{"index_codecs": [{"name": "bytes", "configuration": {"endian": "little"}}],
        "data_codecs": [{"name": "bytes"}], "index_data_type": "uint32"}"#;
    // Without index_location (zarrs' first configuration): offsets first.
    let a = Array::create(memory(), "a", &vlen_meta(4, 2, r#""string""#, &split(good))).unwrap();
    a.write_strings(
        &[0],
        &[4],
        items_of(&[b"ab".to_vec(), vec![], b"c".to_vec(), b"d".to_vec()]).view(),
    )
    .unwrap();
    let first = a.store().get("a/c/0").unwrap().unwrap();
    assert_eq!(
        &first[..8],
        &12u64.to_le_bytes(),
        "three uint32 offsets first"
    );
    assert_eq!(&first[8..20], &[0, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0]);
    assert_eq!(&first[20..], b"ab");
    for bad in [
        r#"{"index_codecs": [{"name": "bytes"}], "data_codecs": [{"name": "bytes"}], "index_data_type": "uint16"}"#,
        r#"{"index_codecs": [{"name": "bytes"}], "data_codecs": [{"name": "bytes"}], "index_data_type": "uint32", "index_location": "middle"}"#,
        r#"{"data_codecs": [{"name": "bytes"}], "index_data_type": "uint32"}"#,
        r#"{"index_codecs": [{"name": "zstd"}], "data_codecs": [{"name": "bytes"}], "index_data_type": "uint32"}"#,
        r#"{"index_codecs": [{"name": "bytes"}], "data_codecs": [{"name": "bytes"}], "index_data_type": "uint32", "extra": 1}"#,
    ] {
        let e =
            Array::create(memory(), "a", &vlen_meta(4, 2, r#""string""#, &split(bad))).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidMetadata, "{bad}: {e}");
    }
    // The codecs that serve any variable-length type refuse fixed-size ones.
    for name in ["zarrs.vlen_v2", "vlen-array", "numcodecs.vlen-array"] {
        let codecs = format!(r#"[{{"name": "{name}"}}]"#);
        let e = Array::create(memory(), "a", &vlen_meta(4, 2, r#""int32""#, &codecs)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidMetadata, "{name}: {e}");
    }
    // Chunks cut short or with offsets out of order are corrupt.
    let s = memory();
    let a = Array::create(
        s.clone(),
        "a",
        &vlen_meta(4, 4, r#""string""#, &split(good)),
    )
    .unwrap();
    a.write_strings(
        &[0],
        &[4],
        items_of(&[b"ab".to_vec(), vec![], b"c".to_vec(), b"d".to_vec()]).view(),
    )
    .unwrap();
    let whole = s.get("a/c/0").unwrap().unwrap();
    for cut in 0..whole.len() {
        s.set("a/c/0", &whole[..cut]).unwrap();
        let e = a.read_strings(&[0], &[4]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Corrupt, "cut {cut}: {e}");
    }
    let mut swapped = whole.clone();
    swapped[12] = 3; // the second offset past the third
    s.set("a/c/0", &swapped).unwrap();
    let e = a.read_strings(&[0], &[4]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Corrupt, "{e}");
    let mut huge = whole.clone();
    huge[..8].copy_from_slice(&u64::MAX.to_le_bytes());
    s.set("a/c/0", &huge).unwrap();
    let e = a.read_strings(&[0], &[4]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Corrupt, "{e}");
    // A last offset far past the item bytes there are: corrupt, found
    // before a buffer of that size is asked for, with the bytes stored as
    // they are and through a compressor (whose frame says how much it
    // holds).
    let wide = good.replace("uint32", "uint64");
    let zstd = wide.replace(
        r#""data_codecs": [{"name": "bytes"}]"#,
        r#""data_codecs": [{"name": "bytes"}, {"name": "zstd", "configuration": {"level": 1, "checksum": false}}]"#,
    );
    assert_ne!(zstd, wide);
    for (name, cfg) in [("b", &wide), ("z", &zstd)] {
        let b = Array::create(
            s.clone(),
            name,
            &vlen_meta(4, 4, r#""string""#, &split(cfg)),
        )
        .unwrap();
        let items = items_of(&[b"ab".to_vec(), vec![], b"c".to_vec(), b"d".to_vec()]);
        b.write_strings(&[0], &[4], items.view()).unwrap();
        let key = format!("{name}/c/0");
        let mut far = s.get(&key).unwrap().unwrap();
        far[8 + 32..8 + 40].copy_from_slice(&(1u64 << 60).to_le_bytes());
        s.set(&key, &far).unwrap();
        let e = b.read_strings(&[0], &[4]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Corrupt, "{name}: {e}");
    }
    // Not UTF-8 in a string array.
    let mut latin = whole;
    let at = latin.len() - 1;
    latin[at] = 0xff;
    s.set("a/c/0", &latin).unwrap();
    let e = a.read_strings(&[0], &[4]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Corrupt, "{e}");
}
