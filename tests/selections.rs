//! Selections that are not one box (steps, index lists, points): what
//! they ask of the store, and how bad selections are refused. Their
//! values are checked against a model in `random_regions`.

mod common;

use common::Recording;
use serde_json::json;
use std::sync::Arc;
use zarrio::array::DimSelection;
use zarrio::{Array, ErrorKind, MemoryStore, StoreRef};

/// A 1-D uint16 array of 64 elements in shards of 32, inner chunks of 8,
/// zstd inside; element i holds i.
fn sharded(store: StoreRef) -> Array {
    let meta = json!({
        "zarr_format": 3, "node_type": "array", "shape": [64], "data_type": "uint16",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [32]}},
        "chunk_key_encoding": {"name": "default"}, "fill_value": 9,
        "codecs": [{"name": "sharding_indexed", "configuration": {
            "chunk_shape": [8],
            "codecs": [{"name": "bytes", "configuration": {"endian": "little"}},
                       {"name": "zstd", "configuration": {"level": 1}}],
            "index_codecs": [{"name": "bytes", "configuration": {"endian": "little"}},
                             {"name": "crc32c"}]}}],
    });
    let a = Array::create(store, "a", &meta.to_string()).unwrap();
    let data: Vec<u8> = (0..64u16).flat_map(u16::to_ne_bytes).collect();
    a.write_region(&[0], &[64], &data, None).unwrap();
    a
}

fn u16s(bytes: &[u8]) -> Vec<u16> {
    bytes
        .chunks_exact(2)
        .map(|b| u16::from_ne_bytes([b[0], b[1]]))
        .collect()
}

#[test]
fn points_read_each_shard_index_once_and_only_the_inner_chunks_they_touch() {
    let store = Arc::new(Recording::default());
    let a = sharded(store.clone());
    a.set_threads(1);
    store.clear();
    // Inner chunks 0 and 2 of shard 0, inner chunk 2 of shard 1 (twice).
    let points = [1u64, 17, 3, 50, 50, 0];
    let mut out = vec![0u8; 12];
    a.read_points(&points, &mut out).unwrap();
    assert_eq!(u16s(&out), [1, 17, 3, 50, 50, 0]);
    let ranges = store.ranges.lock().unwrap().clone();
    let per_key = |k: &str| ranges.iter().filter(|(key, _)| key == k).count();
    // Per shard: the index once, then each touched inner chunk.
    assert!(
        store.gets.lock().unwrap().is_empty(),
        "no whole shard is read"
    );
    assert_eq!(per_key("a/c/0"), 3, "{ranges:?}");
    assert_eq!(per_key("a/c/1"), 2, "{ranges:?}");
}

#[test]
fn a_step_read_of_a_shard_fetches_its_index_once() {
    let store = Arc::new(Recording::default());
    let a = sharded(store.clone());
    a.set_threads(1);
    store.clear();
    // Every 9th element: inner chunks 0, 1, 2, 3, 4, 5, 6, 7 of both shards.
    let sel = [DimSelection::Range {
        start: 0,
        step: 9,
        count: 8,
    }];
    let mut out = vec![0u8; 16];
    a.read_orthogonal(&sel, &mut out, None).unwrap();
    assert_eq!(u16s(&out), [0, 9, 18, 27, 36, 45, 54, 63]);
    let ranges = store.ranges.lock().unwrap().clone();
    // Each shard: its index once, then each inner chunk (each decoded
    // straight into the box it is read through).
    for key in ["a/c/0", "a/c/1"] {
        let of_key: Vec<_> = ranges.iter().filter(|(k, _)| k == key).collect();
        assert_eq!(of_key.len(), 5, "{ranges:?}");
        let suffixes = of_key
            .iter()
            .filter(|(_, r)| matches!(r, zarrio::store::ByteRange::Suffix { .. }))
            .count();
        assert_eq!(suffixes, 1, "{ranges:?}");
    }
}

#[test]
fn missing_chunks_read_as_the_fill_value() {
    let store: StoreRef = Arc::new(MemoryStore::new());
    let a = sharded(store.clone());
    a.erase_chunk(&[1]).unwrap();
    let mut out = vec![0u8; 8];
    a.read_points(&[5, 40, 63, 31], &mut out).unwrap();
    assert_eq!(u16s(&out), [5, 9, 9, 31]);
    let list = [63u64, 2, 33];
    let mut out = vec![0u8; 6];
    a.read_orthogonal(&[DimSelection::List(&list)], &mut out, None)
        .unwrap();
    assert_eq!(u16s(&out), [9, 2, 9]);
}

#[test]
fn writes_keep_the_last_of_repeated_indices_and_points() {
    let store: StoreRef = Arc::new(MemoryStore::new());
    let a = sharded(store);
    let list = [4u64, 40, 4];
    let src: Vec<u8> = [100u16, 200, 300]
        .iter()
        .flat_map(|v| v.to_ne_bytes())
        .collect();
    a.write_orthogonal(&[DimSelection::List(&list)], &src, None)
        .unwrap();
    let src: Vec<u8> = [7u16, 8].iter().flat_map(|v| v.to_ne_bytes()).collect();
    a.write_points(&[41, 41], &src).unwrap();
    let mut out = vec![0u8; 128];
    a.read_region(&[0], &[64], &mut out, None).unwrap();
    let expect: Vec<u16> = (0..64u16)
        .map(|i| match i {
            4 => 300,
            40 => 200,
            41 => 8,
            _ => i,
        })
        .collect();
    assert_eq!(u16s(&out), expect);
}

#[test]
fn a_write_covering_whole_inner_chunks_does_not_read_them() {
    let store = Arc::new(Recording::without_range_writes());
    let meta = json!({
        "zarr_format": 3, "node_type": "array", "shape": [8, 8], "data_type": "uint8",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [4, 4]}},
        "chunk_key_encoding": {"name": "default"}, "fill_value": 0,
        "codecs": [{"name": "bytes"}],
    });
    let a = Array::create(store.clone(), "a", &meta.to_string()).unwrap();
    a.set_threads(1);
    // Rows 4..8 in reverse and columns 0..4: chunk (1, 0) whole.
    let rows = [7u64, 6, 5, 4];
    let sel = [DimSelection::List(&rows), DimSelection::all(4)];
    let src: Vec<u8> = (1..=16).collect();
    store.clear();
    a.write_orthogonal(&sel, &src, None).unwrap();
    assert_eq!(store.reads(), 0, "a covered chunk is not read first");
    let mut out = vec![0u8; 16];
    a.read_region(&[4, 0], &[4, 4], &mut out, None).unwrap();
    let expect: Vec<u8> = [13, 14, 15, 16, 9, 10, 11, 12, 5, 6, 7, 8, 1, 2, 3, 4].to_vec();
    assert_eq!(out, expect);
}

#[test]
fn bad_selections_are_refused_and_write_nothing() {
    let store: StoreRef = Arc::new(MemoryStore::new());
    let a = sharded(store.clone());
    let before = common::snapshot(store.as_ref());
    let mut out = vec![0u8; 64];
    let kind = |r: zarrio::Result<()>| r.unwrap_err().kind();
    let step0 = [DimSelection::Range {
        start: 0,
        step: 0,
        count: 2,
    }];
    assert_eq!(
        kind(a.read_orthogonal(&step0, &mut out, None)),
        ErrorKind::InvalidArgument
    );
    let past = [DimSelection::Range {
        start: 60,
        step: 2,
        count: 3,
    }];
    assert_eq!(
        kind(a.read_orthogonal(&past, &mut out, None)),
        ErrorKind::OutOfBounds
    );
    let huge = [DimSelection::Range {
        start: 1,
        step: u64::MAX,
        count: 2,
    }];
    assert_eq!(
        kind(a.write_orthogonal(&huge, &out, None)),
        ErrorKind::OutOfBounds
    );
    let outside = [3u64, 64];
    assert_eq!(
        kind(a.write_orthogonal(&[DimSelection::List(&outside)], &out, None)),
        ErrorKind::OutOfBounds
    );
    assert_eq!(kind(a.write_points(&[64], &out)), ErrorKind::OutOfBounds);
    assert_eq!(
        kind(a.read_orthogonal(
            &[DimSelection::all(64), DimSelection::all(1)],
            &mut out,
            None
        )),
        ErrorKind::InvalidArgument
    );
    // 33 elements do not fit 64 bytes; 40 points' data is not there.
    let many = [DimSelection::Range {
        start: 0,
        step: 1,
        count: 33,
    }];
    assert_eq!(
        kind(a.read_orthogonal(&many, &mut out, None)),
        ErrorKind::BufferTooSmall
    );
    assert_eq!(
        kind(a.read_points(&[0; 33], &mut out)),
        ErrorKind::BufferTooSmall
    );
    assert_eq!(
        kind(a.write_points(&[0; 40], &out)),
        ErrorKind::InvalidArgument
    );
    assert_eq!(
        kind(a.write_orthogonal(&many, &out, None)),
        ErrorKind::BufferTooSmall
    );
    assert_eq!(common::snapshot(store.as_ref()), before);
    // Strings have no fixed-size elements to select.
    let meta = json!({
        "zarr_format": 3, "node_type": "array", "shape": [4], "data_type": "string",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [2]}},
        "chunk_key_encoding": {"name": "default"}, "fill_value": "",
        "codecs": [{"name": "vlen-utf8"}],
    });
    let s = Array::create(store, "s", &meta.to_string()).unwrap();
    assert_eq!(kind(s.read_points(&[1], &mut out)), ErrorKind::Unsupported);
}

#[test]
fn empty_selections_touch_nothing() {
    let store = Arc::new(Recording::default());
    let a = sharded(store.clone());
    store.clear();
    let sets = store.sets.load(std::sync::atomic::Ordering::SeqCst);
    let none: [u64; 0] = [];
    a.read_orthogonal(&[DimSelection::List(&none)], &mut [], None)
        .unwrap();
    a.write_orthogonal(&[DimSelection::List(&none)], &[], None)
        .unwrap();
    a.read_points(&[], &mut []).unwrap();
    a.write_points(&[], &[]).unwrap();
    assert_eq!(store.reads(), 0);
    assert_eq!(store.sets.load(std::sync::atomic::Ordering::SeqCst), sets);
}
