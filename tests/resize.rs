//! `Array::resize` against a model: after any sequence of writes,
//! shrinks and growths, the array reads as the model does (the part a
//! growth adds holds the fill value, even where a shrink cut off data
//! before), no chunk outside the shape is left stored, and a reopened
//! array has the new shape.

mod common;

use serde_json::json;
use std::sync::Arc;
use zarrio::error::ErrorKind;
use zarrio::{Array, MemoryStore, Store, StoreRef};

const FILL: i32 = -7;

fn meta(codecs: serde_json::Value) -> String {
    meta_on(
        codecs,
        json!({"name": "regular", "configuration": {"chunk_shape": [4, 3]}}),
    )
}

/// A rectilinear grid for the model's array: listed edges along one
/// dimension (growing past them adds an edge), a step along the other.
fn rectilinear() -> serde_json::Value {
    json!({"name": "rectilinear", "configuration": {"kind": "inline", "chunk_shapes": [[1, [3, 2], 5], 3]}})
}

fn meta_on(codecs: serde_json::Value, grid: serde_json::Value) -> String {
    json!({
        "zarr_format": 3, "node_type": "array", "shape": [10, 9], "data_type": "int32",
        "chunk_grid": grid,
        "chunk_key_encoding": {"name": "default"},
        "fill_value": FILL, "codecs": codecs, "attributes": {"kept": true}
    })
    .to_string()
}

fn codec_lists() -> Vec<serde_json::Value> {
    let bytes = json!({"name": "bytes", "configuration": {"endian": "little"}});
    vec![
        json!([bytes]),
        json!([bytes, {"name": "zstd", "configuration": {"level": 1}}]),
        json!([{"name": "sharding_indexed", "configuration": {
            "chunk_shape": [2, 3], "codecs": [bytes],
            "index_codecs": [bytes, {"name": "crc32c"}]}}]),
        json!([{"name": "sharding_indexed", "configuration": {
            "chunk_shape": [2, 1], "codecs": [bytes, {"name": "zstd", "configuration": {"level": 1}}],
            "index_codecs": [bytes], "index_location": "start"}}]),
    ]
}

/// A dense model of the array, as wide as it ever gets.
struct Model {
    shape: [u64; 2],
    v: Vec<i32>,
}

const CAP: usize = 24;

impl Model {
    fn at(&mut self, y: u64, x: u64) -> &mut i32 {
        &mut self.v[y as usize * CAP + x as usize]
    }
    fn resize(&mut self, s: [u64; 2]) {
        // What is cut off is gone: it reads as the fill value if it grows back.
        for y in 0..CAP as u64 {
            for x in 0..CAP as u64 {
                if y >= s[0] || x >= s[1] {
                    *self.at(y, x) = FILL;
                }
            }
        }
        self.shape = s;
    }
}

fn read_all(a: &Array) -> Vec<i32> {
    let s = a.shape().to_vec();
    let mut out = vec![0u8; (s[0] * s[1] * 4) as usize];
    a.read_region(&[0, 0], &s, &mut out, None).unwrap();
    out.chunks(4)
        .map(|c| i32::from_le_bytes(c.try_into().unwrap()))
        .collect()
}

fn check(a: &Array, m: &mut Model, store: &MemoryStore, what: &str) {
    assert_eq!(a.shape(), &m.shape[..], "{what}");
    let got = read_all(a);
    let [h, w] = m.shape;
    let want: Vec<i32> = (0..h)
        .flat_map(|y| (0..w).map(move |x| (y, x)))
        .map(|(y, x)| *m.at(y, x))
        .collect();
    assert_eq!(got, want, "{what}");
    // No chunk is stored outside the grid of the shape.
    let grid = a.grid_shape();
    for key in store.list("a/c/").unwrap() {
        let idx: Vec<u64> = key["a/c/".len()..]
            .split('/')
            .map(|p| p.parse().unwrap())
            .collect();
        assert!(
            idx[0] < grid[0] && idx[1] < grid[1],
            "{what}: chunk {key} is outside the grid {grid:?}"
        );
    }
}

/// A memory store that cannot list (as over HTTP): shrinking then visits
/// every chunk position of the cut part instead of the stored chunks.
#[derive(Debug)]
struct NoList(Arc<MemoryStore>);

impl Store for NoList {
    fn get(&self, key: &str) -> zarrio::Result<Option<Vec<u8>>> {
        self.0.get(key)
    }
    fn set(&self, key: &str, value: &[u8]) -> zarrio::Result<()> {
        self.0.set(key, value)
    }
    fn erase(&self, key: &str) -> zarrio::Result<()> {
        self.0.erase(key)
    }
    fn list(&self, _prefix: &str) -> zarrio::Result<Vec<String>> {
        Err(zarrio::error::unsupported("no listing here"))
    }
}

#[test]
fn resizes_match_the_model() {
    // Rectilinear grids without sharding: an edge added by growing need
    // not be a multiple of the inner chunks.
    let grids = [
        json!({"name": "regular", "configuration": {"chunk_shape": [4, 3]}}),
        rectilinear(),
    ];
    for (codecs, listing, grid) in codec_lists()
        .into_iter()
        .flat_map(|c| [(c.clone(), true), (c, false)])
        .flat_map(|(c, l)| grids.clone().map(|g| (c.clone(), l, g)))
        .filter(|(c, _, g)| g["name"] == "regular" || !c.to_string().contains("sharding"))
    {
        let store = Arc::new(MemoryStore::new());
        let sref: StoreRef = if listing {
            store.clone()
        } else {
            Arc::new(NoList(store.clone()))
        };
        let mut a =
            Array::create(sref.clone(), "a", &meta_on(codecs.clone(), grid.clone())).unwrap();
        let mut m = Model {
            shape: [10, 9],
            v: vec![FILL; CAP * CAP],
        };
        let mut seed = 1u32;
        let mut next = |n: u64| {
            seed = seed.wrapping_mul(1664525).wrapping_add(1013904223);
            (seed >> 8) as u64 % n
        };
        for step in 0..40 {
            let what = format!("{codecs} {grid} listing {listing} step {step}");
            if step % 2 == 0 {
                // Write a random region with distinct values.
                let [h, w] = m.shape;
                if h == 0 || w == 0 {
                    continue;
                }
                let (y0, x0) = (next(h), next(w));
                let (rh, rw) = (1 + next(h - y0), 1 + next(w - x0));
                let mut src = Vec::new();
                for y in y0..y0 + rh {
                    for x in x0..x0 + rw {
                        let v = (step * 1000 + y * 31 + x) as i32;
                        *m.at(y, x) = v;
                        src.extend(v.to_le_bytes());
                    }
                }
                a.write_region(&[y0, x0], &[rh, rw], &src, None).unwrap();
            } else {
                let s = [next(CAP as u64 + 1), next(CAP as u64 + 1)];
                a.resize(&s).unwrap();
                m.resize(s);
            }
            check(&a, &mut m, &store, &what);
        }
        // A reopened array has the last shape and the attributes.
        let b = Array::open(sref, "a").unwrap();
        assert_eq!(b.shape(), &m.shape[..]);
        assert_eq!(b.attributes()["kept"], true);
        check(&b, &mut m, &store, "reopened");
    }
}

#[test]
fn string_arrays_resize_too() {
    let store: StoreRef = Arc::new(MemoryStore::new());
    let meta = json!({
        "zarr_format": 3, "node_type": "array", "shape": [5], "data_type": "string",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [2]}},
        "chunk_key_encoding": {"name": "default"}, "fill_value": "-",
        "codecs": [{"name": "vlen-utf8"}]
    });
    let mut a = Array::create(store.clone(), "s", &meta.to_string()).unwrap();
    let items = ["a", "bb", "ccc", "dddd", "eeeee"];
    let data = items.concat();
    let mut offsets = vec![0u64];
    for i in items {
        offsets.push(offsets.last().unwrap() + i.len() as u64);
    }
    a.write_strings(
        &[0],
        &[5],
        zarrio::codec::vlen::ItemsRef {
            data: data.as_bytes(),
            offsets: &offsets,
        },
    )
    .unwrap();
    a.resize(&[3]).unwrap();
    a.resize(&[6]).unwrap();
    let got = a.read_strings(&[0], &[6]).unwrap();
    let got: Vec<&[u8]> = (0..6).map(|i| got.get(i)).collect();
    assert_eq!(got, [&b"a"[..], b"bb", b"ccc", b"-", b"-", b"-"]);
}

#[test]
fn refusals_change_nothing() {
    let store = Arc::new(MemoryStore::new());
    let sref: StoreRef = store.clone();
    let mut a = Array::create(sref.clone(), "a", &meta(codec_lists().remove(0))).unwrap();
    a.write_region(&[0, 0], &[10, 9], &vec![1u8; 360], None)
        .unwrap();
    let before: Vec<_> = store
        .list("")
        .unwrap()
        .into_iter()
        .map(|k| (store.get(&k).unwrap(), k))
        .collect();
    assert_eq!(
        a.resize(&[3]).unwrap_err().kind(),
        ErrorKind::InvalidArgument
    );
    assert_eq!(
        a.resize(&[3, 3, 3]).unwrap_err().kind(),
        ErrorKind::InvalidArgument
    );
    let after: Vec<_> = store
        .list("")
        .unwrap()
        .into_iter()
        .map(|k| (store.get(&k).unwrap(), k))
        .collect();
    assert_eq!(before, after);
    assert_eq!(a.shape(), &[10, 9]);

    // Growing to the largest shape and shrinking back visits stored
    // chunks, not chunk positions.
    a.resize(&[u64::MAX, 9]).unwrap();
    a.resize(&[10, 9]).unwrap();
    let mut out = vec![0u8; 360];
    a.read_region(&[0, 0], &[10, 9], &mut out, None).unwrap();
    assert_eq!(out, vec![1u8; 360]);

    // On a store that cannot list, a shrink that would visit more than
    // 2^24 chunk positions is refused before anything changes.
    let mut n = Array::open(Arc::new(NoList(store.clone())), "a").unwrap();
    n.resize(&[1 << 40, 9]).unwrap();
    let before = common::snapshot(store.as_ref());
    let e = n.resize(&[10, 9]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported, "{}", e.message());
    assert_eq!(common::snapshot(store.as_ref()), before);
    assert_eq!(n.shape(), &[1 << 40, 9]);
    n.resize(&[1 << 40, 9]).unwrap();

    // Attributes another handle set are kept: the stored zarr.json is
    // rewritten, not this handle's copy.
    let other = Array::open(sref.clone(), "a").unwrap();
    let mut attrs = serde_json::Map::new();
    attrs.insert("late".into(), 1.into());
    other.set_attributes(attrs).unwrap();
    a.resize(&[10, 9]).unwrap();
    assert_eq!(a.attributes()["late"], 1);
    assert_eq!(
        Array::open(sref.clone(), "a").unwrap().attributes()["late"],
        1
    );

    // A v2 array: its .zarray, only the shape changed.
    let zarray = br#"{"zarr_format":2,"shape":[4],"chunks":[2],"dtype":"<i2","compressor":null,"fill_value":0,"order":"C","filters":null}"#;
    store.set("v/.zarray", zarray).unwrap();
    let mut v = Array::open(sref, "v").unwrap();
    v.resize(&[3]).unwrap();
    let text = String::from_utf8(store.get("v/.zarray").unwrap().unwrap()).unwrap();
    assert_eq!(text, String::from_utf8_lossy(zarray).replace("[4]", "[3]"));
    assert_eq!(v.shape(), [3]);
}

#[test]
fn values_past_the_old_edge_are_reset_on_the_new_edge() {
    // Another writer's shrink left values past the edge in chunk (1, 0)
    // (rows 4..8 of a 10-row array cut to 6): a shrink to 5 and a growth
    // back must not bring them back.
    let store = Arc::new(MemoryStore::new());
    let sref: StoreRef = store.clone();
    let mut a = Array::create(sref.clone(), "a", &meta(codec_lists().remove(1))).unwrap();
    let all: Vec<u8> = (0..90).flat_map(|i: i32| i.to_le_bytes()).collect();
    a.write_region(&[0, 0], &[10, 9], &all, None).unwrap();
    // What zarr-python's resize to 6 rows leaves: the shape in zarr.json,
    // and the chunks in place.
    let text = String::from_utf8(store.get("a/zarr.json").unwrap().unwrap()).unwrap();
    let mut doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    doc["shape"] = json!([6, 9]);
    store
        .set("a/zarr.json", doc.to_string().as_bytes())
        .unwrap();
    a = Array::open(sref, "a").unwrap();
    a.resize(&[5, 9]).unwrap();
    a.resize(&[10, 9]).unwrap();
    let got = read_all(&a);
    for (i, v) in got.iter().enumerate() {
        let want = if i < 45 { i as i32 } else { FILL };
        assert_eq!(*v, want, "element {i}");
    }
}

#[test]
fn the_stored_codecs_are_the_ones_resized_with() {
    // Handle `a` opened the array; another writer then recreated it with
    // a transpose and other values. Resizing through `a` keeps what the
    // stored array holds in the kept part.
    let store: StoreRef = Arc::new(MemoryStore::new());
    let mut a = Array::create(store.clone(), "a", &meta(codec_lists().remove(0))).unwrap();
    let mut doc: serde_json::Value = serde_json::from_str(&meta(codec_lists().remove(0))).unwrap();
    doc["codecs"] = json!([{"name": "transpose", "configuration": {"order": [1, 0]}},
                           {"name": "bytes", "configuration": {"endian": "little"}}]);
    doc["fill_value"] = json!(3);
    let b = Array::create(store.clone(), "a", &doc.to_string()).unwrap();
    let all: Vec<u8> = (0..90).flat_map(|i: i32| i.to_le_bytes()).collect();
    b.write_region(&[0, 0], &[10, 9], &all, None).unwrap();
    a.resize(&[10, 5]).unwrap();
    let got = read_all(&a);
    for y in 0..10 {
        for x in 0..5 {
            assert_eq!(got[y * 5 + x], (y * 9 + x) as i32, "({y}, {x})");
        }
    }
    a.resize(&[10, 9]).unwrap();
    assert_eq!(read_all(&a)[8], 3, "the stored fill value");
}

#[test]
fn string_items_past_the_old_edge_are_reset_too() {
    let store = Arc::new(MemoryStore::new());
    let sref: StoreRef = store.clone();
    let meta = json!({
        "zarr_format": 3, "node_type": "array", "shape": [10], "data_type": "string",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [4]}},
        "chunk_key_encoding": {"name": "default"}, "fill_value": "-",
        "codecs": [{"name": "vlen-utf8"}]
    });
    let a = Array::create(sref.clone(), "s", &meta.to_string()).unwrap();
    let data: String = (0..10).map(|i| i.to_string()).collect();
    let offsets: Vec<u64> = (0..=10).collect();
    a.write_strings(
        &[0],
        &[10],
        zarrio::codec::vlen::ItemsRef {
            data: data.as_bytes(),
            offsets: &offsets,
        },
    )
    .unwrap();
    // Another writer's shrink to 6, chunks left as they were.
    let mut doc: serde_json::Value =
        serde_json::from_slice(&store.get("s/zarr.json").unwrap().unwrap()).unwrap();
    doc["shape"] = json!([6]);
    store
        .set("s/zarr.json", doc.to_string().as_bytes())
        .unwrap();
    let mut a = Array::open(sref, "s").unwrap();
    a.resize(&[5]).unwrap();
    a.resize(&[10]).unwrap();
    let got = a.read_strings(&[0], &[10]).unwrap();
    let got: Vec<&[u8]> = (0..10).map(|i| got.get(i)).collect();
    assert_eq!(
        got,
        [
            &b"0"[..],
            b"1",
            b"2",
            b"3",
            b"4",
            b"-",
            b"-",
            b"-",
            b"-",
            b"-"
        ]
    );
}

#[test]
fn a_shape_the_grid_cannot_take_is_an_argument_error() {
    // Growing a sharded rectilinear array adds an edge of 2, which its
    // inner chunks of 4 do not divide: refused, nothing changed.
    let store = Arc::new(MemoryStore::new());
    let sref: StoreRef = store.clone();
    let bytes = json!({"name": "bytes", "configuration": {"endian": "little"}});
    let meta = json!({
        "zarr_format": 3, "node_type": "array", "shape": [8], "data_type": "int32",
        "chunk_grid": {"name": "rectilinear", "configuration": {"kind": "inline", "chunk_shapes": [[4, 4]]}},
        "chunk_key_encoding": {"name": "default"}, "fill_value": 0,
        "codecs": [{"name": "sharding_indexed", "configuration": {
            "chunk_shape": [4], "codecs": [bytes], "index_codecs": [bytes]}}],
    })
    .to_string();
    let mut a = Array::create(sref, "a", &meta).unwrap();
    let before = store.get("a/zarr.json").unwrap();
    let e = a.resize(&[10]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{}", e.message());
    assert_eq!(a.shape(), [8]);
    assert_eq!(store.get("a/zarr.json").unwrap(), before);
    a.resize(&[12]).unwrap();
    assert_eq!(a.grid_shape(), [3]);
}
