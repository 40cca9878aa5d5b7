//! The `optional` data type and codec (zarr-extensions; zarrs'
//! `zarrs.optional`): elements held as the inner type's bytes and a
//! validity byte, stored as a mask and the present values. Arrays zarrs
//! wrote are checked in `zarrs_codecs.rs`; this file checks what zarrs
//! does not do (sharding), partial writes, and refusals.

mod common;

use common::v3_meta as meta;
use serde_json::{json, Value};
use std::sync::Arc;
use zarrio::array::DimSelection;
use zarrio::error::ErrorKind;
use zarrio::{Array, MemoryStore, Store, StoreRef};

fn optional(inner: Value) -> Value {
    json!({"name": "optional", "configuration": inner})
}

fn codec(data: Value) -> Value {
    json!({"name": "optional", "configuration": {
        "mask_codecs": [{"name": "packbits"}], "data_codecs": data}})
}

fn le() -> Value {
    json!({"name": "bytes", "configuration": {"endian": "little"}})
}

/// Optional int32 elements: present (value, 1) or missing (0, 0).
fn elems(values: &[Option<i32>]) -> Vec<u8> {
    values
        .iter()
        .flat_map(|v| match v {
            Some(x) => [x.to_ne_bytes().as_slice(), &[1]].concat(),
            None => vec![0; 5],
        })
        .collect()
}

fn pattern(n: usize) -> Vec<Option<i32>> {
    (0..n as i32)
        .map(|i| (i % 3 != 0).then_some(i * 1000 - 7))
        .collect()
}

fn new_array(store: &StoreRef, fill: Value, codecs: Value) -> Array {
    let doc = meta(
        optional(json!({"name": "int32"})),
        &[12],
        &[4],
        fill,
        codecs,
    );
    Array::create(store.clone(), "a", &doc).unwrap()
}

#[test]
fn round_trips_and_keeps_the_names_it_was_given() {
    let s = Arc::new(MemoryStore::new());
    let store: StoreRef = s.clone();
    let a = new_array(
        &store,
        Value::Null,
        json!([codec(json!([le(), {"name": "zstd"}]))]),
    );
    let values = pattern(12);
    a.write_region(&[0], &[12], &elems(&values), None).unwrap();
    let mut back = vec![0xEE; 60];
    a.read_region(&[0], &[12], &mut back, None).unwrap();
    assert_eq!(back, elems(&values));
    let stored: Value = serde_json::from_slice(&s.get("a/zarr.json").unwrap().unwrap()).unwrap();
    assert_eq!(stored["data_type"]["name"], "optional");
    assert_eq!(stored["codecs"][0]["name"], "optional");
    assert_eq!(stored["fill_value"], Value::Null);
    // The stored chunk: the header, the packed mask, the present values.
    let chunk = s.get("a/c/1").unwrap().unwrap();
    let mask_len = u64::from_le_bytes(chunk[..8].try_into().unwrap());
    assert_eq!(mask_len, 1, "four mask bits in one byte");
    // elements 4..8: 4 and 5 present, 6 missing, 7 present
    assert_eq!(chunk[16], 0b1011);
    let reopened = Array::open(store, "a").unwrap();
    assert_eq!(reopened.metadata(), a.metadata());
}

#[test]
fn partial_writes_keep_the_rest_of_a_chunk() {
    let store: StoreRef = Arc::new(MemoryStore::new());
    let a = new_array(&store, json!([5]), json!([codec(json!([le()]))]));
    // Nothing written: the fill value, present 5.
    let mut back = vec![0; 60];
    a.read_region(&[0], &[12], &mut back, None).unwrap();
    assert_eq!(back, elems(&[Some(5); 12]));
    a.write_region(&[2], &[3], &elems(&[None, Some(-1), None]), None)
        .unwrap();
    a.read_region(&[0], &[12], &mut back, None).unwrap();
    let mut want = vec![Some(5); 12];
    want[2] = None;
    want[3] = Some(-1);
    want[4] = None;
    assert_eq!(back, elems(&want));
    // One element, through a selection of its own.
    let mut one = vec![0; 5];
    a.read_region(&[3], &[1], &mut one, None).unwrap();
    assert_eq!(one, elems(&[Some(-1)]));
}

#[test]
fn chunks_of_the_fill_value_are_not_stored() {
    let s = Arc::new(MemoryStore::new());
    let store: StoreRef = s.clone();
    let a = new_array(&store, Value::Null, json!([codec(json!([le()]))]));
    a.write_region(&[0], &[8], &elems(&[None; 8]), None)
        .unwrap();
    assert!(s.get("a/c/0").unwrap().is_none());
    assert!(s.get("a/c/1").unwrap().is_none());
    // Missing with a present fill value is not the fill value: stored,
    // with no data bytes.
    let b = new_array(&store, json!([0]), json!([codec(json!([le()]))]));
    b.write_region(&[0], &[4], &elems(&[None; 4]), None)
        .unwrap();
    let chunk = s.get("a/c/0").unwrap().unwrap();
    assert_eq!(u64::from_le_bytes(chunk[8..16].try_into().unwrap()), 0);
    let mut back = vec![1; 20];
    b.read_region(&[0], &[4], &mut back, None).unwrap();
    assert_eq!(back, elems(&[None; 4]));
}

#[test]
fn shards_of_optional_chunks_read_and_write_in_parts() {
    let store: StoreRef = Arc::new(MemoryStore::new());
    let shard = json!({"name": "sharding_indexed", "configuration": {
        "chunk_shape": [2], "codecs": [codec(json!([le(), {"name": "gzip", "configuration": {"level": 5}}]))],
        "index_codecs": [le(), {"name": "crc32c"}]}});
    let a = new_array(&store, Value::Null, json!([shard]));
    let values = pattern(12);
    a.write_region(&[0], &[12], &elems(&values), None).unwrap();
    a.write_region(&[5], &[1], &elems(&[Some(42)]), None)
        .unwrap();
    let mut want = values.clone();
    want[5] = Some(42);
    let mut back = vec![0; 60];
    a.read_region(&[0], &[12], &mut back, None).unwrap();
    assert_eq!(back, elems(&want));
    let mut inner = vec![0; 10];
    a.read_region(&[6], &[2], &mut inner, None).unwrap();
    assert_eq!(inner, elems(&want[6..8]));
}

#[test]
fn nested_optionals_keep_both_levels() {
    let store: StoreRef = Arc::new(MemoryStore::new());
    let t = optional(json!({"name": "optional", "configuration": {"name": "uint8"}}));
    let doc = meta(
        t,
        &[4],
        &[4],
        json!([[7]]),
        json!([codec(json!([codec(json!([le()]))]))]),
    );
    let a = Array::create(store, "n", &doc).unwrap();
    assert_eq!(a.data_type().size(), 3);
    let mut back = vec![0; 12];
    a.read_region(&[0], &[4], &mut back, None).unwrap();
    assert_eq!(back, [7, 1, 1].repeat(4));
    // Some(Some(9)), Some(None), None, Some(Some(0))
    let data = [9, 1, 1, 0, 0, 1, 0, 0, 0, 0, 1, 1];
    a.write_region(&[0], &[4], &data, None).unwrap();
    a.read_region(&[0], &[4], &mut back, None).unwrap();
    assert_eq!(back, data);
    assert_eq!(a.metadata()["fill_value"], json!([[7]]));
}

#[test]
fn a_validity_byte_other_than_0_or_1_is_refused_before_any_chunk_changes() {
    let s = Arc::new(MemoryStore::new());
    let store: StoreRef = s.clone();
    let a = new_array(&store, Value::Null, json!([codec(json!([le()]))]));
    let values = pattern(12);
    a.write_region(&[0], &[12], &elems(&values), None).unwrap();
    let before = common::snapshot(s.as_ref());
    // Good elements in every chunk but the last, whose one bad validity
    // byte must stop the whole write, however it is made.
    let mut bad = elems(&[Some(1); 12]);
    bad[11 * 5 + 4] = 2;
    let every = [DimSelection::all(12)];
    let points: Vec<u64> = (0..12).collect();
    let attempts: Vec<(&str, zarrio::Result<()>)> = vec![
        ("region", a.write_region(&[0], &[12], &bad, None)),
        ("orthogonal", a.write_orthogonal(&every, &bad, None)),
        ("points", a.write_points(&points, &bad)),
        ("chunk", a.write_chunk(&[2], &bad[40..])),
        ("fill", a.fill_region(&[0], &[12], &[0, 0, 0, 0, 7])),
    ];
    for (how, r) in attempts {
        let e = r.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{how}: {e}");
        assert!(e.message().contains("validity byte"), "{how}: {e}");
        assert!(
            common::snapshot(s.as_ref()) == before,
            "{how} changed the store"
        );
    }
    let mut back = vec![0; 60];
    a.read_region(&[0], &[12], &mut back, None).unwrap();
    assert_eq!(back, elems(&values));
    // Every level is checked, a missing element's inner one too.
    let nested = optional(json!({"name": "optional", "configuration": {"name": "uint8"}}));
    let doc = meta(
        nested,
        &[2],
        &[2],
        Value::Null,
        json!([codec(json!([codec(json!([le()]))]))]),
    );
    let n = Array::create(store, "n", &doc).unwrap();
    let e = n
        .write_region(&[0], &[2], &[0, 0, 0, 9, 200, 0], None)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
}

#[test]
fn missing_values_match_a_missing_fill_value_whatever_their_bytes() {
    let s = Arc::new(MemoryStore::new());
    let store: StoreRef = s.clone();
    let a = new_array(&store, Value::Null, json!([codec(json!([le()]))]));
    a.write_region(&[0], &[12], &elems(&pattern(12)), None)
        .unwrap();
    // Missing elements with stray value bytes: the chunks hold only the
    // fill value, and are erased.
    let stray: Vec<u8> = [0xEE, 0xEE, 0xEE, 0xEE, 0].repeat(8);
    a.write_region(&[0], &[8], &stray, None).unwrap();
    assert!(s.get("a/c/0").unwrap().is_none());
    assert!(s.get("a/c/1").unwrap().is_none());
    a.fill_region(&[8], &[4], &[1, 2, 3, 4, 0]).unwrap();
    assert!(s.get("a/c/2").unwrap().is_none());
    let mut back = vec![1; 60];
    a.read_region(&[0], &[12], &mut back, None).unwrap();
    assert_eq!(back, vec![0; 60]);
    // Inside a shard too: no inner chunk is stored, nor the shard.
    let shard = json!({"name": "sharding_indexed", "configuration": {
        "chunk_shape": [2], "codecs": [codec(json!([le()]))]}});
    let b = new_array(&store, Value::Null, json!([shard]));
    b.write_region(&[0], &[4], &stray[..20], None).unwrap();
    assert!(s.get("a/c/0").unwrap().is_none());
}

#[test]
fn damaged_chunks_are_corrupt() {
    let s = Arc::new(MemoryStore::new());
    let store: StoreRef = s.clone();
    let a = new_array(&store, Value::Null, json!([codec(json!([le()]))]));
    a.write_region(&[0], &[4], &elems(&pattern(4)), None)
        .unwrap();
    let chunk = s.get("a/c/0").unwrap().unwrap();
    let mut back = vec![0; 20];
    for damaged in [
        chunk[..chunk.len() - 1].to_vec(),
        chunk[..10].to_vec(),
        [chunk.as_slice(), &[0]].concat(),
        {
            // One more mask byte claimed than there is.
            let mut c = chunk.clone();
            c[0] += 1;
            c
        },
        {
            // The data one value short.
            let mut c = chunk.clone();
            c[8] -= 4;
            c.truncate(c.len() - 4);
            c
        },
    ] {
        s.set("a/c/0", &damaged).unwrap();
        let e = a.read_region(&[0], &[4], &mut back, None).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Corrupt, "{e}");
    }
}

#[test]
fn other_pairings_are_refused() {
    let store: StoreRef = Arc::new(MemoryStore::new());
    let opt = optional(json!({"name": "int32"}));
    let refused = [
        // bytes cannot hold the validity.
        (opt.clone(), json!([le()]), ErrorKind::InvalidMetadata),
        // the optional codec holds nothing else.
        (
            json!("int32"),
            json!([codec(json!([le()]))]),
            ErrorKind::InvalidMetadata,
        ),
        // no array->array codec before it.
        (
            opt.clone(),
            json!([{"name": "transpose", "configuration": {"order": [0]}}, codec(json!([le()]))]),
            ErrorKind::Unsupported,
        ),
        // each list is a whole pipeline of its own.
        (
            opt.clone(),
            json!([codec(json!([{"name": "zstd"}]))]),
            ErrorKind::InvalidMetadata,
        ),
        (
            opt.clone(),
            json!([{"name": "optional", "configuration": {"mask_codecs": [{"name": "zstd"}], "data_codecs": [le()]}}]),
            ErrorKind::InvalidMetadata,
        ),
        // the values are a list whose length changes from chunk to chunk.
        (
            opt.clone(),
            json!([codec(
                json!([{"name": "sharding_indexed", "configuration": {"chunk_shape": [2]}}])
            )]),
            ErrorKind::Unsupported,
        ),
        // a type that needs a configuration says so.
        (
            optional(json!({"name": "numpy.datetime64", "configuration": {}})),
            json!([codec(json!([le()]))]),
            ErrorKind::InvalidMetadata,
        ),
        // strings have no fixed size to hold beside a validity byte.
        (
            optional(json!({"name": "string"})),
            json!([codec(json!([{"name": "vlen-utf8"}]))]),
            ErrorKind::Unsupported,
        ),
    ];
    for (t, codecs, kind) in refused {
        let doc = meta(t.clone(), &[4], &[4], Value::Null, codecs.clone());
        let e = Array::create(store.clone(), "r", &doc).unwrap_err();
        assert_eq!(e.kind(), kind, "{t} {codecs}: {e}");
    }
    // Inside a struct, as a field.
    let st = json!({"name": "struct", "configuration": {"fields": [
        {"name": "a", "data_type": optional(json!({"name": "int32"}))}]}});
    let doc = meta(st, &[4], &[4], json!({"a": null}), json!([le()]));
    assert!(Array::create(store, "s", &doc).is_err());
}
