//! Selections that are not one box (steps, index lists, points): what
//! they ask of the store, and how bad selections are refused. Their
//! values are checked against a model in `random_regions`.

mod common;

use common::Recording;
use serde_json::json;
use std::sync::Arc;
use zarrio::array::DimSelection;
use zarrio::store::ByteRange;
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
    // Per shard: the index once, then the touched inner chunks in one
    // request (nearby ones together; of shard 1 only its inner chunk 2).
    assert!(
        store.gets.lock().unwrap().is_empty(),
        "no whole shard is read"
    );
    let of = |k: &str| -> Vec<ByteRange> {
        ranges
            .iter()
            .filter(|(key, _)| key == k)
            .map(|(_, r)| *r)
            .collect()
    };
    let inner = |n: u64| match of("a/c/0")[1] {
        ByteRange::FromStart {
            length: Some(l), ..
        } => l / n,
        other => panic!("{other:?}"),
    };
    assert_eq!(of("a/c/0").len(), 2, "{ranges:?}");
    assert!(
        matches!(of("a/c/0")[0], ByteRange::Suffix { .. }),
        "{ranges:?}"
    );
    let size = inner(3);
    assert_eq!(
        of("a/c/1"),
        [of("a/c/1")[0], ByteRange::new(2 * size, size)],
        "{ranges:?}"
    );
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
    // Each shard: its index once, then its inner chunks in one request.
    for key in ["a/c/0", "a/c/1"] {
        let of_key: Vec<_> = ranges.iter().filter(|(k, _)| k == key).collect();
        assert_eq!(of_key.len(), 2, "{ranges:?}");
        assert!(
            matches!(of_key[0].1, ByteRange::Suffix { .. }),
            "{ranges:?}"
        );
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
        ErrorKind::BufferTooSmall
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

/// A 1 x 4096 int32 array in one shard of inner chunks of 1 x 1, either
/// uncompressed (laid out densely, patched in place) or zstd inside.
fn one_shard(store: StoreRef, compressed: bool) -> Array {
    let mut inner = vec![json!({"name": "bytes", "configuration": {"endian": "little"}})];
    if compressed {
        inner.push(json!({"name": "zstd", "configuration": {"level": 1}}));
    }
    let meta = json!({
        "zarr_format": 3, "node_type": "array", "shape": [1, 4096], "data_type": "int32",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [1, 4096]}},
        "chunk_key_encoding": {"name": "default"}, "fill_value": 0,
        "codecs": [{"name": "sharding_indexed", "configuration": {
            "chunk_shape": [1, 1], "codecs": inner,
            "index_codecs": [{"name": "bytes", "configuration": {"endian": "little"}}]}}],
    });
    let a = Array::create(store, "a", &meta.to_string()).unwrap();
    a.fill_region(&[0, 0], &[1, 4096], &5i32.to_ne_bytes())
        .unwrap();
    a
}

#[test]
fn writes_patch_only_the_selected_inner_chunks_of_a_dense_shard() {
    // Writers of other inner chunks of the shard may write at the same
    // time: a selection must not write back what it did not select.
    let store = Arc::new(Recording::default());
    let a = one_shard(store.clone(), false);
    let sets = store.sets.load(std::sync::atomic::Ordering::SeqCst);
    let src: Vec<u8> = [1i32, 2].iter().flat_map(|v| v.to_ne_bytes()).collect();
    a.write_points(&[0, 0, 0, 4095], &src).unwrap();
    let cols = [4095u64, 7];
    a.write_orthogonal(
        &[DimSelection::all(1), DimSelection::List(&cols)],
        &src,
        None,
    )
    .unwrap();
    assert_eq!(store.sets.load(std::sync::atomic::Ordering::SeqCst), sets);
    assert_eq!(
        store.set_ranges.load(std::sync::atomic::Ordering::SeqCst),
        4
    );
    // Inner chunks side by side in the shard are patched with one request,
    // by a selection and by a region write alike.
    let side_by_side = [9u64, 10, 11];
    let src3: Vec<u8> = [2i32, 2, 2].iter().flat_map(|v| v.to_ne_bytes()).collect();
    store.clear();
    a.write_orthogonal(
        &[DimSelection::all(1), DimSelection::List(&side_by_side)],
        &src3,
        None,
    )
    .unwrap();
    a.write_region(&[0, 9], &[1, 3], &src3, None).unwrap();
    assert_eq!(
        store.set_ranges.load(std::sync::atomic::Ordering::SeqCst),
        6
    );
    let mut out = vec![0u8; 4096 * 4];
    a.read_region(&[0, 0], &[1, 4096], &mut out, None).unwrap();
    let values: Vec<i32> = out
        .chunks_exact(4)
        .map(|b| i32::from_ne_bytes(b.try_into().unwrap()))
        .collect();
    let expect: Vec<i32> = (0..4096)
        .map(|i| match i {
            0 => 1,
            4095 => 1,
            7 => 2,
            9..=11 => 2,
            _ => 5,
        })
        .collect();
    assert_eq!(values, expect);
}

#[test]
fn writes_rewrite_a_compressed_shard_once() {
    let store = Arc::new(Recording::default());
    let a = one_shard(store.clone(), true);
    let sets = store.sets.load(std::sync::atomic::Ordering::SeqCst);
    let src: Vec<u8> = [1i32, 2, 3].iter().flat_map(|v| v.to_ne_bytes()).collect();
    a.write_points(&[0, 0, 0, 4095, 0, 2000], &src).unwrap();
    assert_eq!(
        store.sets.load(std::sync::atomic::Ordering::SeqCst),
        sets + 1
    );
    let mut out = vec![0u8; 12];
    a.read_points(&[0, 4095, 0, 2000, 0, 1], &mut out).unwrap();
    let got: Vec<i32> = out
        .chunks_exact(4)
        .map(|b| i32::from_ne_bytes(b.try_into().unwrap()))
        .collect();
    assert_eq!(got, [2, 3, 5]);
}

#[test]
fn the_buffer_is_checked_before_work_that_grows_with_the_selection() {
    // 10^12 chunks along one dimension: an empty selection, or one whose
    // buffer is too small, must not walk them.
    let meta = json!({
        "zarr_format": 3, "node_type": "array", "shape": [2, 1_000_000_000_000u64],
        "data_type": "int32",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [1, 1]}},
        "chunk_key_encoding": {"name": "default"}, "fill_value": 0,
        "codecs": [{"name": "bytes", "configuration": {"endian": "little"}}],
    });
    let a = Array::create(Arc::new(MemoryStore::new()), "a", &meta.to_string()).unwrap();
    let sel = |rows: u64| {
        [
            DimSelection::Range {
                start: 0,
                step: 1,
                count: rows,
            },
            DimSelection::all(1_000_000_000_000),
        ]
    };
    let started = std::time::Instant::now();
    a.read_orthogonal(&sel(0), &mut [], None).unwrap();
    let err = a
        .read_orthogonal(&sel(1), &mut [0u8; 16], None)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BufferTooSmall);
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

#[test]
fn reads_see_each_shard_whole_while_a_writer_replaces_it() {
    // The writer rewrites both shards with one value, then another; a
    // selection read, and a region read of part of a shard, take each
    // shard's index and inner chunks from one version of it, so every
    // shard they read holds one value throughout.
    let dir = tempfile::tempdir().unwrap();
    let store: StoreRef = Arc::new(zarrio::FilesystemStore::new(dir.path()).unwrap());
    let a = Arc::new(sharded(store));
    a.fill_region(&[0], &[64], &1u16.to_ne_bytes()).unwrap();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (a, stop) = (a.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut k = 0u16;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                k = k.wrapping_add(1);
                // Values of different sizes, so the inner chunks move.
                let v = if k % 2 == 0 { k } else { k.wrapping_mul(40503) };
                a.fill_region(&[0], &[64], &v.to_ne_bytes()).unwrap();
            }
        })
    };
    let every_other = [DimSelection::Range {
        start: 0,
        step: 2,
        count: 32,
    }];
    let started = std::time::Instant::now();
    while started.elapsed() < std::time::Duration::from_millis(400) {
        let mut out = vec![0u8; 64];
        a.read_orthogonal(&every_other, &mut out, None).unwrap();
        let v = u16s(&out);
        for shard in v.chunks(16) {
            assert!(
                shard.iter().all(|x| *x == shard[0]),
                "a torn shard: {shard:?}"
            );
        }
        // A region read of part of a shard too.
        let mut part = vec![0u8; 48];
        a.read_region(&[8], &[24], &mut part, None).unwrap();
        let v = u16s(&part);
        assert!(
            v.iter().all(|x| *x == v[0]),
            "a torn part of a shard: {v:?}"
        );
    }
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    writer.join().unwrap();
}

#[test]
fn points_of_a_grid_past_64_bits_of_chunks_are_grouped_too() {
    // 2^40 x 2^40 chunks: a point's place is no longer one 64-bit number.
    let meta = json!({
        "zarr_format": 3, "node_type": "array", "shape": [1u64 << 40, 1u64 << 40],
        "data_type": "uint16",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [1, 1]}},
        "chunk_key_encoding": {"name": "default"}, "fill_value": 3,
        "codecs": [{"name": "bytes", "configuration": {"endian": "little"}}],
    });
    let a = Array::create(Arc::new(MemoryStore::new()), "a", &meta.to_string()).unwrap();
    let far = (1u64 << 40) - 1;
    let points = [far, 0, 5, far, far, 0, 0, 0];
    let src: Vec<u8> = [10u16, 20, 30, 40]
        .iter()
        .flat_map(|v| v.to_ne_bytes())
        .collect();
    a.write_points(&points, &src).unwrap();
    let mut out = vec![0u8; 10];
    a.read_points(&[0, 0, far, 0, 5, far, 1, 1, far, 0], &mut out)
        .unwrap();
    assert_eq!(u16s(&out), [40, 30, 20, 3, 30]);
}

/// A 6 x 6 int32 array in shards of 4 x 4 of inner chunks 2 x 2, stored
/// as plain bytes (dense shards), fill value -1, holding 0..36.
fn small_dense(store: StoreRef) -> Array {
    let meta = json!({
        "zarr_format": 3, "node_type": "array", "shape": [6, 6], "data_type": "int32",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [4, 4]}},
        "chunk_key_encoding": {"name": "default"}, "fill_value": -1,
        "codecs": [{"name": "sharding_indexed", "configuration": {
            "chunk_shape": [2, 2],
            "codecs": [{"name": "bytes", "configuration": {"endian": "little"}}],
            "index_codecs": [{"name": "bytes", "configuration": {"endian": "little"}}]}}],
    });
    let a = Array::create(store, "a", &meta.to_string()).unwrap();
    let data: Vec<u8> = (0..36i32).flat_map(i32::to_ne_bytes).collect();
    a.write_region(&[0, 0], &[6, 6], &data, None).unwrap();
    a
}

#[test]
fn selections_setting_whole_shards_to_the_fill_value_erase_them() {
    // Edge shards included, whose inner chunks past the extent no
    // selection can touch; as a region write of the fill value does.
    let fill: Vec<u8> = [-1i32; 36].iter().flat_map(|v| v.to_ne_bytes()).collect();
    let every: Vec<u64> = (0..6).collect();
    let points: Vec<u64> = (0..6u64)
        .flat_map(|y| (0..6u64).flat_map(move |x| [y, x]))
        .collect();
    for how in 0..3 {
        let store: StoreRef = Arc::new(MemoryStore::new());
        let a = small_dense(store.clone());
        match how {
            0 => a.write_orthogonal(
                &[DimSelection::List(&every), DimSelection::all(6)],
                &fill,
                None,
            ),
            1 => a.write_orthogonal(
                &[
                    DimSelection::Range {
                        start: 0,
                        step: 1,
                        count: 6,
                    },
                    DimSelection::List(&every),
                ],
                &fill,
                None,
            ),
            _ => a.write_points(&points, &fill),
        }
        .unwrap();
        let left: Vec<String> = store
            .list("")
            .unwrap()
            .into_iter()
            .filter(|k| k.starts_with("a/c"))
            .collect();
        assert!(left.is_empty(), "way {how}: {left:?} still stored");
    }
}

#[test]
fn a_fill_leaves_the_fill_value_past_the_extent_of_edge_chunks() {
    // zarrio_array_read_chunk's promise: an edge chunk written by zarrio
    // holds the fill value where it lies past the array.
    let meta = json!({
        "zarr_format": 3, "node_type": "array", "shape": [5, 5], "data_type": "uint8",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [4, 5]}},
        "chunk_key_encoding": {"name": "default"}, "fill_value": 0,
        "codecs": [{"name": "bytes"}],
    });
    let a = Array::create(Arc::new(MemoryStore::new()), "a", &meta.to_string()).unwrap();
    a.fill_region(&[0, 0], &[5, 5], &[9]).unwrap();
    let mut chunk = vec![0xEEu8; 20];
    a.read_chunk(&[1, 0], &mut chunk).unwrap();
    assert_eq!(&chunk[..5], &[9; 5]);
    assert_eq!(&chunk[5..], &[0; 15]);
}

#[test]
fn a_value_a_codec_cannot_encode_leaves_a_dense_shard_as_it_was() {
    // cast_value to int8 refuses 1000: the write fails, and none of the
    // shard's touched inner chunks (four runs of two side by side) was
    // patched before.
    let meta = json!({
        "zarr_format": 3, "node_type": "array", "shape": [8, 8], "data_type": "int32",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [8, 8]}},
        "chunk_key_encoding": {"name": "default"}, "fill_value": 0,
        "codecs": [{"name": "sharding_indexed", "configuration": {
            "chunk_shape": [2, 2],
            "codecs": [
                {"name": "cast_value", "configuration": {"data_type": "int8", "out_of_range": "error"}},
                {"name": "bytes"}],
            "index_codecs": [{"name": "bytes", "configuration": {"endian": "little"}}]}}],
    });
    let a = Array::create(Arc::new(MemoryStore::new()), "a", &meta.to_string()).unwrap();
    let ones: Vec<u8> = [1i32; 64].iter().flat_map(|v| v.to_ne_bytes()).collect();
    a.write_region(&[0, 0], &[8, 8], &ones, None).unwrap();
    let mut bad: Vec<i32> = vec![5; 32];
    bad[29] = 1000;
    let bad: Vec<u8> = bad.iter().flat_map(|v| v.to_ne_bytes()).collect();
    for _ in 0..20 {
        assert!(a.write_region(&[0, 0], &[8, 4], &bad, None).is_err());
        let rows: Vec<u64> = (0..8).collect();
        let sel = [
            DimSelection::List(&rows),
            DimSelection::Range {
                start: 0,
                step: 1,
                count: 4,
            },
        ];
        assert!(a.write_orthogonal(&sel, &bad, None).is_err());
        let mut out = vec![0u8; 256];
        a.read_region(&[0, 0], &[8, 8], &mut out, None).unwrap();
        let changed = out
            .chunks_exact(4)
            .filter(|b| i32::from_ne_bytes((*b).try_into().unwrap()) != 1)
            .count();
        assert_eq!(changed, 0, "a failed write changed the shard");
    }
}

#[test]
fn a_dense_patch_reads_only_the_slots_it_merges_into() {
    // 256 inner chunks of 1 x 16 in one dense shard; a region write of all
    // but the last element covers 255 of them: only the last one's slot
    // is read, not the run of slots written back.
    let store = Arc::new(Recording::default());
    let meta = json!({
        "zarr_format": 3, "node_type": "array", "shape": [1, 4096], "data_type": "int32",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [1, 4096]}},
        "chunk_key_encoding": {"name": "default"}, "fill_value": 0,
        "codecs": [{"name": "sharding_indexed", "configuration": {
            "chunk_shape": [1, 16],
            "codecs": [{"name": "bytes", "configuration": {"endian": "little"}}],
            "index_codecs": [{"name": "bytes", "configuration": {"endian": "little"}}]}}],
    });
    let a = Array::create(store.clone(), "a", &meta.to_string()).unwrap();
    a.fill_region(&[0, 0], &[1, 4096], &7i32.to_ne_bytes())
        .unwrap();
    store.clear();
    let src: Vec<u8> = (0..4095i32).flat_map(i32::to_ne_bytes).collect();
    a.write_region(&[0, 0], &[1, 4095], &src, None).unwrap();
    let ranges = store.ranges.lock().unwrap().clone();
    let slot_reads: Vec<_> = ranges
        .iter()
        .filter(|(_, r)| !matches!(r, ByteRange::Suffix { .. }))
        .collect();
    assert_eq!(slot_reads.len(), 1, "{ranges:?}");
    assert!(
        matches!(
            slot_reads[0].1,
            ByteRange::FromStart {
                length: Some(64),
                ..
            }
        ),
        "{ranges:?}"
    );
    let mut out = vec![0u8; 8];
    a.read_points(&[0, 4094, 0, 4095], &mut out).unwrap();
    assert_eq!(out[..4], 4094i32.to_ne_bytes());
    assert_eq!(out[4..], 7i32.to_ne_bytes());
}
