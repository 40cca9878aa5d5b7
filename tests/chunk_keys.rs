//! Chunk key encodings beyond `default` and `v2`, on disk: every chunk is
//! stored under the key its encoding gives, reads find them, and a resize
//! that shrinks the array erases the chunks it cuts off (found by listing
//! the array's keys and reading their coordinates back).

use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use zarrio::{Array, FilesystemStore, StoreRef};

fn tempdir(what: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!("zarrio-keys-{what}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&p);
    std::fs::create_dir_all(&p).unwrap();
    p
}

/// Every file below `dir` but metadata, as a relative path.
fn files(dir: &Path) -> BTreeSet<String> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeSet<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                if rel != "zarr.json" {
                    out.insert(rel);
                }
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(dir, dir, &mut out);
    out
}

/// Encodings with the keys of chunks (0, 0), (1, 2) and (2, 1) of a 3 x 3
/// grid.
fn encodings() -> Vec<(Value, [&'static str; 3])> {
    vec![
        (
            json!({"name": "suffix", "configuration": {"suffix": ".tiff", "base_encoding": {"name": "default"}}}),
            ["c/0/0.tiff", "c/1/2.tiff", "c/2/1.tiff"],
        ),
        (
            json!({"name": "prefix", "configuration": {"prefix": "x/", "base_encoding": "v2"}}),
            ["x/0.0", "x/1.2", "x/2.1"],
        ),
        (
            json!({"name": "fanout", "configuration": {"max_children": 4}}),
            ["d0/0/d1/0/c", "d0/1/d1/2/c", "d0/2/d1/1/c"],
        ),
        (
            json!({"name": "template", "configuration": {"format": "rows/{0:02}/{*}.chunk", "separator": "_"}}),
            ["rows/00/0.chunk", "rows/01/2.chunk", "rows/02/1.chunk"],
        ),
        (
            json!({"name": "zarrs.default_suffix", "configuration": {"separator": "/", "suffix": ".bin"}}),
            ["c/0/0.bin", "c/1/2.bin", "c/2/1.bin"],
        ),
    ]
}

fn meta(shape: [u64; 2], keys: &Value) -> String {
    json!({
        "zarr_format": 3, "node_type": "array", "shape": shape, "data_type": "int16",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [2, 3]}},
        "chunk_key_encoding": keys, "fill_value": -1,
        "codecs": [{"name": "bytes", "configuration": {"endian": "little"}}],
    })
    .to_string()
}

fn values(n: usize) -> Vec<u8> {
    (0..n as i16).flat_map(|v| (v * 3).to_ne_bytes()).collect()
}

#[test]
fn chunks_live_at_their_keys_and_resizes_cut_them() {
    for (keys, expected) in encodings() {
        let dir = tempdir("enc");
        let store: StoreRef = Arc::new(FilesystemStore::new(&dir).unwrap());
        let mut a = Array::create(store.clone(), "", &meta([6, 9], &keys))
            .unwrap_or_else(|e| panic!("{keys}: {e}"));
        let data = values(54);
        a.write_region(&[0, 0], &[6, 9], &data, None).unwrap();
        let stored = files(&dir);
        assert_eq!(stored.len(), 9, "{keys}: {stored:?}");
        for k in expected {
            assert!(stored.contains(k), "{keys}: {k} not in {stored:?}");
        }
        // The metadata as written opens again, to the same data.
        let b = Array::open(store.clone(), "").unwrap();
        let mut got = vec![0u8; data.len()];
        b.read_region(&[0, 0], &[6, 9], &mut got, None).unwrap();
        assert_eq!(got, data, "{keys}");
        let written: Value =
            serde_json::from_slice(&std::fs::read(dir.join("zarr.json")).unwrap()).unwrap();
        assert_eq!(
            written["chunk_key_encoding"]["name"], keys["name"],
            "{keys}"
        );

        // Shrinking to the first chunk keeps one file.
        a.resize(&[2, 3]).unwrap();
        assert_eq!(
            files(&dir).into_iter().collect::<Vec<_>>(),
            [expected[0]],
            "{keys}"
        );
        a.resize(&[6, 9]).unwrap();
        let mut got = vec![0u8; data.len()];
        a.read_region(&[0, 0], &[6, 9], &mut got, None).unwrap();
        for (i, v) in got.chunks_exact(2).enumerate() {
            let (y, x) = (i / 9, i % 9);
            let want = if y < 2 && x < 3 { (i as i16) * 3 } else { -1 };
            assert_eq!(i16::from_ne_bytes([v[0], v[1]]), want, "{keys} at {y},{x}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn a_template_that_does_not_fit_the_rank_is_refused() {
    let dir = tempdir("rank");
    let store: StoreRef = Arc::new(FilesystemStore::new(&dir).unwrap());
    let keys = json!({"name": "template", "configuration": {"format": "{0}/{1}/{2}"}});
    let e = Array::create(store, "", &meta([6, 9], &keys)).unwrap_err();
    assert_eq!(e.kind(), zarrio::ErrorKind::InvalidMetadata, "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}
