//! Point, step and index-list selections of arrays of variable-length
//! items, read and written, checked against a plain model of the array:
//! unsharded, sharded (reads of a shard in part), and on a rectilinear
//! grid; repeated elements (the last write wins), fill values for chunks
//! never written, and bad selections.

use serde_json::{json, Value};
use std::sync::Arc;
use zarrio::array::DimSelection;
use zarrio::codec::vlen::{Items, ItemsRef};
use zarrio::{Array, ErrorKind, MemoryStore, StoreRef};

const SHAPE: [u64; 2] = [9, 14];
const FILL: &str = "-";

fn layouts() -> Vec<(&'static str, Value, Value)> {
    let regular = |c: [u64; 2]| json!({"name": "regular", "configuration": {"chunk_shape": c}});
    let plain = json!([{"name": "vlen-utf8"}, {"name": "zstd", "configuration": {"level": 1}}]);
    vec![
        ("chunks", regular([4, 5]), plain.clone()),
        (
            "shards",
            regular([6, 10]),
            json!([{"name": "sharding_indexed", "configuration": {
                "chunk_shape": [3, 5], "codecs": plain,
                "index_codecs": [{"name": "bytes", "configuration": {"endian": "little"}}, {"name": "crc32c"}]}}]),
        ),
        (
            "rectilinear",
            json!({"name": "rectilinear", "configuration": {"kind": "inline",
                "chunk_shapes": [[2, 3, 4], [5, 1, 8]]}}),
            json!([{"name": "vlen-utf8"}]),
        ),
    ]
}

fn array(grid: &Value, codecs: &Value) -> Array {
    let store: StoreRef = Arc::new(MemoryStore::new());
    let meta = json!({
        "zarr_format": 3, "node_type": "array", "shape": SHAPE, "data_type": "string",
        "chunk_grid": grid, "chunk_key_encoding": {"name": "default"}, "fill_value": FILL,
        "codecs": codecs,
    });
    Array::create(store, "a", &meta.to_string()).unwrap_or_else(|e| panic!("{meta}: {e}"))
}

/// Items as strings.
fn strings(items: &Items, n: usize) -> Vec<String> {
    assert_eq!(items.offsets.len(), n + 1);
    (0..n)
        .map(|i| String::from_utf8(items.get(i).to_vec()).unwrap())
        .collect()
}

/// `texts` as items: their bytes side by side and the offsets.
fn packed(texts: &[String]) -> (Vec<u8>, Vec<u64>) {
    let mut data = Vec::new();
    let mut offsets = vec![0u64];
    for t in texts {
        data.extend_from_slice(t.as_bytes());
        offsets.push(data.len() as u64);
    }
    (data, offsets)
}

struct Model(Vec<String>);

impl Model {
    fn at(&self, y: u64, x: u64) -> &str {
        &self.0[(y * SHAPE[1] + x) as usize]
    }
    fn set(&mut self, y: u64, x: u64, v: &str) {
        self.0[(y * SHAPE[1] + x) as usize] = v.to_string();
    }
}

#[test]
fn selections_read_and_write_as_the_model() {
    for (name, grid, codecs) in layouts() {
        let a = array(&grid, &codecs);
        let mut model = Model(vec![FILL.to_string(); (SHAPE[0] * SHAPE[1]) as usize]);
        // Rows 0..6 written (the rest never): items of several lengths.
        let texts: Vec<String> = (0..6 * SHAPE[1])
            .map(|i| format!("v{i}{}", "ü".repeat((i % 4) as usize)))
            .collect();
        let (data, offsets) = packed(&texts);
        a.write_strings(
            &[0, 0],
            &[6, SHAPE[1]],
            ItemsRef {
                data: &data,
                offsets: &offsets,
            },
        )
        .unwrap();
        for (i, t) in texts.iter().enumerate() {
            model.set(i as u64 / SHAPE[1], i as u64 % SHAPE[1], t);
        }

        // Points in any order, repeated, some in unwritten chunks.
        let pts: Vec<[u64; 2]> = vec![[8, 13], [0, 0], [5, 9], [0, 0], [3, 7], [7, 2], [2, 12]];
        let flat: Vec<u64> = pts.iter().flatten().copied().collect();
        let got = strings(&a.read_strings_points(&flat).unwrap(), pts.len());
        let want: Vec<&str> = pts.iter().map(|p| model.at(p[0], p[1])).collect();
        assert_eq!(got, want, "{name}: points");

        // Index lists and steps.
        let rows = [5u64, 1, 8, 1];
        let cols = [13u64, 0, 6];
        let sel = [DimSelection::List(&rows), DimSelection::List(&cols)];
        let got = strings(&a.read_strings_orthogonal(&sel).unwrap(), 12);
        let want: Vec<&str> = rows
            .iter()
            .flat_map(|&y| cols.iter().map(move |&x| (y, x)))
            .map(|(y, x)| model.at(y, x))
            .collect();
        assert_eq!(got, want, "{name}: lists");
        let sel = [
            DimSelection::Range {
                start: 1,
                step: 3,
                count: 3,
            },
            DimSelection::Range {
                start: 0,
                step: 4,
                count: 4,
            },
        ];
        let got = strings(&a.read_strings_orthogonal(&sel).unwrap(), 12);
        let want: Vec<&str> = (0..3)
            .flat_map(|i| (0..4).map(move |j| (1 + 3 * i, 4 * j)))
            .map(|(y, x)| model.at(y, x))
            .collect();
        assert_eq!(got, want, "{name}: steps");

        // Writing points: a repeated point takes its last item.
        let pts: Vec<[u64; 2]> = vec![[7, 3], [1, 1], [7, 3], [4, 12]];
        let texts: Vec<String> = ["p0", "p1", "p2 last", ""].map(String::from).to_vec();
        let (data, offsets) = packed(&texts);
        let flat: Vec<u64> = pts.iter().flatten().copied().collect();
        a.write_strings_points(
            &flat,
            ItemsRef {
                data: &data,
                offsets: &offsets,
            },
        )
        .unwrap();
        for (p, t) in pts.iter().zip(&texts) {
            model.set(p[0], p[1], t);
        }
        // Writing a stepped selection.
        let sel = [
            DimSelection::Range {
                start: 0,
                step: 4,
                count: 3,
            },
            DimSelection::List(&[9, 2]),
        ];
        let texts: Vec<String> = (0..6).map(|i| format!("s{i}")).collect();
        let (data, offsets) = packed(&texts);
        a.write_strings_orthogonal(
            &sel,
            ItemsRef {
                data: &data,
                offsets: &offsets,
            },
        )
        .unwrap();
        for (k, t) in texts.iter().enumerate() {
            model.set(4 * (k as u64 / 2), [9, 2][k % 2], t);
        }
        let whole = a.read_strings(&[0, 0], &SHAPE).unwrap();
        let n = (SHAPE[0] * SHAPE[1]) as usize;
        assert_eq!(strings(&whole, n), model.0, "{name}: after the writes");
    }
}

#[test]
fn empty_and_bad_selections() {
    let (_, grid, codecs) = layouts().remove(0);
    let a = array(&grid, &codecs);
    let none = a.read_strings_points(&[]).unwrap();
    assert_eq!(none.offsets, [0]);
    let empty: [u64; 0] = [];
    let sel = [DimSelection::List(&empty), DimSelection::all(SHAPE[1])];
    assert_eq!(a.read_strings_orthogonal(&sel).unwrap().offsets, [0]);
    for (points, kind) in [
        (vec![9u64, 0], ErrorKind::OutOfBounds),
        (vec![0, 14], ErrorKind::OutOfBounds),
        (vec![0, 1, 2], ErrorKind::InvalidArgument),
    ] {
        assert_eq!(
            a.read_strings_points(&points).unwrap_err().kind(),
            kind,
            "{points:?}"
        );
    }
    let bad = [
        DimSelection::Range {
            start: 0,
            step: 5,
            count: 3,
        },
        DimSelection::all(SHAPE[1]),
    ];
    assert_eq!(
        a.read_strings_orthogonal(&bad).unwrap_err().kind(),
        ErrorKind::OutOfBounds
    );
    let zero_step = [
        DimSelection::Range {
            start: 0,
            step: 0,
            count: 2,
        },
        DimSelection::all(SHAPE[1]),
    ];
    assert_eq!(
        a.read_strings_orthogonal(&zero_step).unwrap_err().kind(),
        ErrorKind::InvalidArgument
    );
    assert_eq!(
        a.read_strings_orthogonal(&bad[..1]).unwrap_err().kind(),
        ErrorKind::InvalidArgument
    );
    // Items that do not match the selection, or are not UTF-8.
    let one = ItemsRef {
        data: b"x",
        offsets: &[0, 1],
    };
    let e = a.write_strings_points(&[0, 0, 1, 1], one).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    let bad_utf8 = ItemsRef {
        data: &[0xff],
        offsets: &[0, 1],
    };
    assert!(a.write_strings_points(&[0, 0], bad_utf8).is_err());
    // Nothing was written by the failed calls.
    assert_eq!(
        a.read_strings(&[0, 0], &[1, 1]).unwrap().get(0),
        FILL.as_bytes()
    );
}

#[test]
fn zero_dimensional_arrays_have_one_item() {
    let store: StoreRef = Arc::new(MemoryStore::new());
    let meta = json!({
        "zarr_format": 3, "node_type": "array", "shape": [], "data_type": "string",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": []}},
        "chunk_key_encoding": {"name": "default"}, "fill_value": "f",
        "codecs": [{"name": "vlen-utf8"}],
    });
    let a = Array::create(store, "a", &meta.to_string()).unwrap();
    assert_eq!(strings(&a.read_strings_orthogonal(&[]).unwrap(), 1), ["f"]);
    a.write_strings_orthogonal(
        &[],
        ItemsRef {
            data: b"one",
            offsets: &[0, 3],
        },
    )
    .unwrap();
    assert_eq!(
        strings(&a.read_strings_orthogonal(&[]).unwrap(), 1),
        ["one"]
    );
    let none = ItemsRef {
        data: b"",
        offsets: &[0],
    };
    assert!(a.write_strings_orthogonal(&[], none).is_err());
    assert_eq!(
        a.read_strings_points(&[]).unwrap_err().kind(),
        ErrorKind::InvalidArgument
    );
}

#[test]
fn fixed_size_arrays_refuse_item_selections() {
    let store: StoreRef = Arc::new(MemoryStore::new());
    let meta = json!({
        "zarr_format": 3, "node_type": "array", "shape": [4], "data_type": "int32",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [2]}},
        "chunk_key_encoding": {"name": "default"}, "fill_value": 0,
        "codecs": [{"name": "bytes", "configuration": {"endian": "little"}}],
    });
    let a = Array::create(store, "a", &meta.to_string()).unwrap();
    assert_eq!(
        a.read_strings_points(&[1]).unwrap_err().kind(),
        ErrorKind::Unsupported
    );
}
