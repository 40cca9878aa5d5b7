//! N5 containers through `N5Store`: datasets open as arrays and groups as
//! groups from their `attributes.json`, children are found, attributes
//! are read and written back into `attributes.json` with N5's own keys
//! kept, a directory without `attributes.json` is a group (but not the
//! directories of a dataset's blocks), and what N5 cannot hold is refused
//! without writing anything.

mod common;

use serde_json::{json, Map, Value};
use std::sync::Arc;
use zarrio::error::ErrorKind;
use zarrio::group::NodeType;
use zarrio::{Array, Group, MemoryStore, N5Store, Store, StoreRef};

fn attrs(v: Value) -> Map<String, Value> {
    v.as_object().unwrap().clone()
}

/// A dataset's block: N5's header, then the values in Fortran order, big
/// endian (raw compression).
fn block(shape: &[u32], values_f_order: &[u16]) -> Vec<u8> {
    let mut b = vec![0, 0];
    b.extend_from_slice(&(shape.len() as u16).to_be_bytes());
    for n in shape {
        b.extend_from_slice(&n.to_be_bytes());
    }
    for v in values_f_order {
        b.extend_from_slice(&v.to_be_bytes());
    }
    b
}

/// A container as N5's Java library leaves it: the root's version, a
/// group with attributes, a 3 x 2 uint16 dataset in blocks of 2 x 2 (the
/// edge block cut short), and a directory without attributes.json.
fn container() -> Arc<MemoryStore> {
    let s = Arc::new(MemoryStore::new());
    s.set("attributes.json", br#"{"n5": "2.5.1"}"#).unwrap();
    s.set("g/attributes.json", br#"{"title": "scan"}"#).unwrap();
    s.set(
        "g/d/attributes.json",
        br#"{"dimensions": [3, 2], "blockSize": [2, 2], "dataType": "uint16",
             "compression": {"type": "raw"}, "pixelResolution": [0.5, 0.5]}"#,
    )
    .unwrap();
    // x = dim 0 (fastest in a block), y = dim 1. Element (x, y) = 10x + y.
    s.set("g/d/0/0", &block(&[2, 2], &[0, 10, 1, 11])).unwrap();
    s.set("g/d/1/0", &block(&[1, 2], &[20, 21])).unwrap();
    s.set(
        "loose/d2/attributes.json",
        br#"{"dimensions": [2], "blockSize": [2], "dataType": "int8"}"#,
    )
    .unwrap();
    s
}

fn n5(s: &Arc<MemoryStore>) -> StoreRef {
    Arc::new(N5Store::new(s.clone()))
}

#[test]
fn datasets_read_as_arrays() {
    let s = container();
    let a = Array::open(n5(&s), "g/d").unwrap();
    assert_eq!(a.shape(), &[3, 2]);
    let mut out = vec![0u8; 12];
    a.read_region(&[0, 0], &[3, 2], &mut out, None).unwrap();
    let got: Vec<u16> = out
        .chunks(2)
        .map(|b| u16::from_ne_bytes([b[0], b[1]]))
        .collect();
    assert_eq!(got, vec![0, 1, 10, 11, 20, 21]);
    assert_eq!(
        a.attributes(),
        attrs(json!({"pixelResolution": [0.5, 0.5]}))
    );
    // The int8 dataset has no blocks: every element is N5's 0.
    let b = Array::open(n5(&s), "loose/d2").unwrap();
    let mut out = [7u8; 2];
    b.read_region(&[0], &[2], &mut out, None).unwrap();
    assert_eq!(out, [0, 0]);
}

#[test]
fn groups_children_and_attributes() {
    let s = container();
    let root = Group::open(n5(&s), "").unwrap();
    assert_eq!(root.attributes(), attrs(json!({"n5": "2.5.1"})));
    let g = Group::open(n5(&s), "g").unwrap();
    assert_eq!(g.attributes(), attrs(json!({"title": "scan"})));
    assert_eq!(
        g.children().unwrap(),
        vec![("d".to_string(), NodeType::Array)]
    );
    // A directory without attributes.json is a group; a directory of a
    // dataset's blocks is not.
    let loose = Group::open(n5(&s), "loose").unwrap();
    assert!(loose.attributes().is_empty());
    assert_eq!(
        loose.children().unwrap(),
        vec![("d2".to_string(), NodeType::Array)]
    );
    let e = Group::open(n5(&s), "g/d/0").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    let e = Group::open(n5(&s), "absent").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    // Attributes written back keep N5's keys of the dataset.
    let a = Array::open(n5(&s), "g/d").unwrap();
    a.set_attributes(attrs(json!({"unit": "nm"}))).unwrap();
    let written: Value =
        serde_json::from_slice(&s.get("g/d/attributes.json").unwrap().unwrap()).unwrap();
    assert_eq!(written["dimensions"], json!([3, 2]));
    assert_eq!(written["compression"], json!({"type": "raw"}));
    assert_eq!(written["unit"], "nm");
    assert!(written.get("pixelResolution").is_none());
    assert!(s.get("g/d/zarr.json").unwrap().is_none());
}

#[test]
fn new_containers_are_n5() {
    let s = Arc::new(MemoryStore::new());
    Group::create(n5(&s), "", Map::new()).unwrap();
    assert_eq!(
        s.get("attributes.json").unwrap().unwrap(),
        br#"{"n5": "4.0.0"}"#
    );
    let meta = json!({
        "zarr_format": 3, "node_type": "array", "shape": [5, 3], "data_type": "float32",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [4, 2]}},
        "chunk_key_encoding": {"name": "v2", "configuration": {"separator": "/"}},
        "fill_value": 0,
        "codecs": [{"name": "n5_default", "configuration": {"codecs": [
            {"name": "transpose", "configuration": {"order": [1, 0]}},
            {"name": "bytes", "configuration": {"endian": "big"}},
            {"name": "zstd", "configuration": {"level": 1, "checksum": false}}]}}]
    });
    let a = Array::create(n5(&s), "a/b", &meta.to_string()).unwrap();
    let values: Vec<u8> = (0..15).flat_map(|i| (i as f32).to_ne_bytes()).collect();
    a.write_region(&[0, 0], &[5, 3], &values, None).unwrap();
    let keys = s.list("").unwrap();
    assert!(
        keys.contains(&"a/b/attributes.json".to_string()),
        "{keys:?}"
    );
    assert!(keys.contains(&"a/b/1/1".to_string()), "{keys:?}");
    assert!(!keys.iter().any(|k| k.ends_with("zarr.json")), "{keys:?}");
    let written: Value =
        serde_json::from_slice(&s.get("a/b/attributes.json").unwrap().unwrap()).unwrap();
    assert_eq!(
        written,
        json!({"dimensions": [5, 3], "blockSize": [4, 2], "dataType": "float32",
               "compression": {"type": "zstd", "level": 1}})
    );
    let back = Array::open(n5(&s), "a/b").unwrap();
    let mut out = vec![0u8; values.len()];
    back.read_region(&[0, 0], &[5, 3], &mut out, None).unwrap();
    assert_eq!(out, values);
}

#[test]
fn what_n5_cannot_hold_is_refused_and_nothing_written() {
    let s = Arc::new(MemoryStore::new());
    let meta = |fill: Value, codecs: Value| {
        json!({
            "zarr_format": 3, "node_type": "array", "shape": [4], "data_type": "uint8",
            "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [2]}},
            "chunk_key_encoding": {"name": "v2", "configuration": {"separator": "/"}},
            "fill_value": fill, "codecs": codecs,
        })
        .to_string()
    };
    let n5_codecs = json!([{"name": "n5_default", "configuration": {"codecs": [
        {"name": "transpose", "configuration": {"order": [0]}}, {"name": "bytes"}]}}]);
    for doc in [
        meta(json!(3), n5_codecs.clone()),
        meta(json!(0), json!([{"name": "bytes"}])),
    ] {
        let e = Array::create(n5(&s), "x", &doc).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unsupported, "{doc}: {e}");
    }
    let e = Group::create(
        n5(&s),
        "g",
        attrs(json!({"dimensions": [3], "dataType": "uint8"})),
    )
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported, "{e}");
    assert!(s.list("").unwrap().is_empty(), "{:?}", s.list("").unwrap());
    // Data types and compressions N5 has but zarrio does not read.
    s.set(
        "o/attributes.json",
        br#"{"dimensions": [2], "blockSize": [2], "dataType": "object"}"#,
    )
    .unwrap();
    s.set(
        "l/attributes.json",
        br#"{"dimensions": [2], "blockSize": [2], "dataType": "uint8", "compression": {"type": "lz4"}}"#,
    )
    .unwrap();
    s.set("bad/attributes.json", b"{").unwrap();
    for (path, kind) in [
        ("o", ErrorKind::Unsupported),
        ("l", ErrorKind::Unsupported),
        ("bad", ErrorKind::InvalidMetadata),
    ] {
        let e = Array::open(n5(&s), path).unwrap_err();
        assert_eq!(e.kind(), kind, "{path}: {e}");
    }
}

#[test]
fn implicit_groups_are_children() {
    let s = container();
    let root = Group::open(n5(&s), "").unwrap();
    assert_eq!(
        root.children().unwrap(),
        vec![
            ("g".to_string(), NodeType::Group),
            ("loose".to_string(), NodeType::Group)
        ]
    );
    // A dataset's block directories are not groups, whatever is listed.
    let d = n5(&s).list("g/d/").unwrap();
    let meta: Vec<&String> = d.iter().filter(|k| k.ends_with("zarr.json")).collect();
    assert_eq!(meta, ["g/d/zarr.json"], "{d:?}");
}

#[test]
fn refused_nodes_leave_the_container_as_it_was() {
    let s = container();
    let before = common::snapshot(s.as_ref());
    let ds = |fill: i64| {
        json!({
            "zarr_format": 3, "node_type": "array", "shape": [3, 2], "data_type": "uint16",
            "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [2, 2]}},
            "chunk_key_encoding": {"name": "v2", "configuration": {"separator": "/"}},
            "fill_value": fill,
            "codecs": [{"name": "n5_default", "configuration": {"codecs": [
                {"name": "transpose", "configuration": {"order": [1, 0]}},
                {"name": "bytes", "configuration": {"endian": "big"}}]}}]
        })
        .to_string()
    };
    // Over a dataset and over a group, with metadata N5 cannot hold.
    for path in ["g/d", "g"] {
        let e = Array::create(n5(&s), path, &ds(1)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unsupported, "{path}: {e}");
    }
    // Zarr v2 metadata.
    let zarray = json!({"zarr_format": 2, "shape": [4], "chunks": [2], "dtype": "<u2",
        "compressor": null, "fill_value": 0, "order": "C", "filters": null});
    let e = Array::create(n5(&s), "g/d", &zarray.to_string()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported, "{e}");
    // Consolidated metadata, which attributes.json has no place for.
    let e = Group::open(n5(&s), "g")
        .unwrap()
        .consolidate_metadata()
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported, "{e}");
    assert_eq!(common::snapshot(s.as_ref()), before);
}

#[test]
fn a_dataset_zarrio_cannot_read_is_still_a_child_and_can_be_erased() {
    let s = container();
    s.set(
        "g/lz4/attributes.json",
        br#"{"dimensions": [2], "blockSize": [2], "dataType": "uint8", "compression": {"type": "lz4"}}"#,
    )
    .unwrap();
    s.set("g/lz4/0", b"block").unwrap();
    s.set(
        "g/text/attributes.json",
        br#"{"dimensions": [2], "blockSize": [2], "dataType": "string"}"#,
    )
    .unwrap();
    let g = Group::open(n5(&s), "g").unwrap();
    let names: Vec<String> = g.children().unwrap().into_iter().map(|c| c.0).collect();
    assert_eq!(names, vec!["d", "lz4", "text"]);
    for (path, what) in [("g/lz4", "n5.lz4"), ("g/text", "n5.string")] {
        let e = Array::open(n5(&s), path).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unsupported, "{path}: {e}");
        assert!(e.message().contains(what), "{path}: {e}");
    }
    g.erase_child("lz4").unwrap();
    assert!(s.list("g/lz4/").unwrap().is_empty());
}

#[test]
fn writing_attributes_keeps_the_roots_n5_version() {
    let s = container();
    let root = Group::open(n5(&s), "").unwrap();
    root.set_attributes(attrs(json!({"title": "x"}))).unwrap();
    let written: Value =
        serde_json::from_slice(&s.get("attributes.json").unwrap().unwrap()).unwrap();
    assert_eq!(written, json!({"n5": "2.5.1", "title": "x"}));
    // Python's bare NaN has no place in attributes.json (N5's readers are
    // strict JSON): refused as such, nothing written.
    // Nor have numbers past float64 and lone surrogates, which would be
    // written from what the engine reads them as (strings, U+FFFD).
    for (text, named) in [
        (r#"{"title": NaN}"#, "NaN"),
        (r#"{"n": 1e400}"#, "float64"),
        (r#"{"s": "\ud800"}"#, "surrogate"),
    ] {
        let e = root.set_attributes_json(text).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unsupported, "{}", e.message());
        assert!(e.message().contains(named), "{}", e.message());
    }
    let after: Value = serde_json::from_slice(&s.get("attributes.json").unwrap().unwrap()).unwrap();
    assert_eq!(after, json!({"n5": "2.5.1", "title": "x"}));
}

#[test]
fn a_node_with_zarr_json_beside_attributes_json_lists_once_and_erases_whole() {
    let s = container();
    let made = n5(&s).get("g/d/zarr.json").unwrap().unwrap();
    s.set("g/d/zarr.json", &made).unwrap();
    let g = Group::open(n5(&s), "g").unwrap();
    assert_eq!(
        g.children().unwrap(),
        vec![("d".to_string(), NodeType::Array)]
    );
    g.erase_child("d").unwrap();
    assert!(
        s.list("g/d/").unwrap().is_empty(),
        "{:?}",
        s.list("g/d/").unwrap()
    );
    assert!(g.children().unwrap().is_empty());
}

#[test]
fn attributes_are_kept_as_attributes_json_writes_them() {
    let s = container();
    let big = "1180591620717411303424"; // 2^70: a JSON library's float
    let huge = "1".to_string() + &"0".repeat(400);
    s.set(
        "g/d/attributes.json",
        format!(
            r#"{{"dimensions": [3, 2], "blockSize": [2, 2], "dataType": "uint16",
                "compression": {{"type": "raw"}}, "big": {big}, "huge": {huge}, "s": "\ud800",
                "\ud800": 1, "\udc00": 2}}"#
        )
        .as_bytes(),
    )
    .unwrap();
    // Opens as the dataset it is; its attributes as written, N5's keys
    // apart.
    let mut a = Array::open(n5(&s), "g/d").unwrap();
    assert_eq!(
        a.attributes_json(),
        format!(r#"{{"big": {big}, "huge": {huge}, "s": "\ud800", "\ud800": 1, "\udc00": 2}}"#)
    );
    assert_eq!(a.shape(), vec![3, 2]);
    // attributes.json cannot be written with what N5's readers refuse: a
    // resize is refused and nothing changes.
    let before = s.get("g/d/attributes.json").unwrap().unwrap();
    let e = a.resize(&[4, 2]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported, "{}", e.message());
    assert!(
        e.message().contains(r#"attribute "huge""#),
        "{}",
        e.message()
    );
    assert_eq!(s.get("g/d/attributes.json").unwrap().unwrap(), before);
    // Integers past 64 bits are written exactly, also across a resize.
    a.set_attributes_json(&format!(r#"{{"big": {big}, "n": [-{big}]}}"#))
        .unwrap();
    a.resize(&[4, 2]).unwrap();
    let text = String::from_utf8(s.get("g/d/attributes.json").unwrap().unwrap()).unwrap();
    assert!(
        text.contains(&format!(r#""big": {big}"#)) && text.contains(&format!("[-{big}]")),
        "{text}"
    );
    let written: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(written["dimensions"], json!([4, 2]));
    assert_eq!(written["dataType"], "uint16");
    let again = Array::open(n5(&s), "g/d").unwrap();
    assert_eq!(
        again.attributes_json(),
        format!(r#"{{"big": {big}, "n": [-{big}]}}"#)
    );
    // A group's attributes too, and the root's N5 version is added.
    let root = Group::open(n5(&s), "").unwrap();
    root.set_attributes_json(&format!(r#"{{"big": {big}}}"#))
        .unwrap();
    assert_eq!(
        s.get("attributes.json").unwrap().unwrap(),
        format!(r#"{{"big": {big}, "n5": "2.5.1"}}"#).as_bytes()
    );
    assert_eq!(
        Group::open(n5(&s), "").unwrap().attributes_json(),
        format!(r#"{{"big": {big}, "n5": "2.5.1"}}"#)
    );
}
