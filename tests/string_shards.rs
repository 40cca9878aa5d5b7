//! Reads of a region of a sharded string array fetch the shard index and
//! only the inner chunks the region touches, by byte range (those that lie
//! close together in one request), and give what a read of whole shards
//! gives.

mod common;

use common::Recording;
use serde_json::json;
use std::sync::Arc;
use zarrio::codec::vlen::ItemsRef;
use zarrio::{Array, StoreRef};

fn meta(location: &str) -> String {
    json!({
        "zarr_format": 3, "node_type": "array", "shape": [10, 40], "data_type": "string",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [10, 20]}},
        "chunk_key_encoding": {"name": "default"}, "fill_value": "~",
        "codecs": [{"name": "sharding_indexed", "configuration": {
            "chunk_shape": [5, 4],
            "codecs": [{"name": "vlen-utf8"}, {"name": "zstd", "configuration": {"level": 1}}],
            "index_codecs": [{"name": "bytes", "configuration": {"endian": "little"}}, {"name": "crc32c"}],
            "index_location": location}}]
    })
    .to_string()
}

fn items(a: &Array, start: [u64; 2], shape: [u64; 2]) -> Vec<String> {
    let got = a.read_strings(&start, &shape).unwrap();
    (0..(shape[0] * shape[1]) as usize)
        .map(|i| String::from_utf8(got.get(i).to_vec()).unwrap())
        .collect()
}

#[test]
fn partial_reads_fetch_only_the_inner_chunks_they_need() {
    for location in ["end", "start"] {
        let rec = Arc::new(Recording::default());
        let store: StoreRef = rec.clone();
        let a = Array::create(store.clone(), "s", &meta(location)).unwrap();
        // Every element but rows 5..10 of columns 0..4 (one inner chunk
        // left out, all fill), and none of the second shard.
        let mut data = String::new();
        let mut offsets = vec![0u64];
        for y in 0..10 {
            for x in 0..20 {
                if !(y >= 5 && x < 4) {
                    data.push_str(&format!("r{y}c{x}{}", "é".repeat(x % 3)));
                } else {
                    data.push('~');
                }
                offsets.push(data.len() as u64);
            }
        }
        a.write_strings(
            &[0, 0],
            &[10, 20],
            ItemsRef {
                data: data.as_bytes(),
                offsets: &offsets,
            },
        )
        .unwrap();
        let whole = items(&a, [0, 0], [10, 40]);
        rec.clear();

        // Rows 1..3, columns 5..7: one inner chunk of the first shard.
        let got = items(&a, [1, 5], [2, 2]);
        assert_eq!(got, ["r1c5éé", "r1c6", "r2c5éé", "r2c6"]);
        let from_whole: Vec<&str> = [(1, 5), (1, 6), (2, 5), (2, 6)]
            .iter()
            .map(|(y, x)| whole[y * 40 + x].as_str())
            .collect();
        assert_eq!(got, from_whole);
        assert!(rec.gets.lock().unwrap().is_empty(), "no whole shard read");
        assert_eq!(
            rec.ranges.lock().unwrap().len(),
            2,
            "the index and one inner chunk"
        );
        rec.clear();

        // Across both shards, the left-out inner chunk and the missing
        // shard included: as the whole read.
        let got = items(&a, [3, 2], [7, 30]);
        for y in 0..7 {
            for x in 0..30 {
                assert_eq!(
                    got[y * 30 + x],
                    whole[(y + 3) * 40 + x + 2],
                    "{location} ({y}, {x})"
                );
            }
        }
        assert!(rec.gets.lock().unwrap().is_empty(), "no whole shard read");
        // The first shard's index, then its touched inner chunks in one
        // run (they lie side by side); the second shard is missing.
        let ranges = rec.ranges.lock().unwrap().len();
        assert!(ranges <= 3, "{location}: {ranges} range requests");
        assert_eq!(whole[7 * 40 + 1], "~");
        assert_eq!(whole[2 * 40 + 30], "~");
    }
}

/// A point selection fetches, of a shard, the index and the inner chunks
/// that hold its points, not the inner chunks between them.
#[test]
fn point_reads_fetch_only_the_inner_chunks_holding_points() {
    let rec = Arc::new(Recording::default());
    let store: StoreRef = rec.clone();
    let meta = json!({
        "zarr_format": 3, "node_type": "array", "shape": [40, 40], "data_type": "string",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [40, 40]}},
        "chunk_key_encoding": {"name": "default"}, "fill_value": "",
        "codecs": [{"name": "sharding_indexed", "configuration": {
            "chunk_shape": [4, 4], "codecs": [{"name": "vlen-utf8"}],
            "index_codecs": [{"name": "bytes", "configuration": {"endian": "little"}}]}}]
    });
    let a = Array::create(store.clone(), "s", &meta.to_string()).unwrap();
    // Items long enough that the inner chunks between the corners are
    // more bytes than reads bridge.
    let long = [b'x'; 40];
    a.fill_strings(&[0, 0], &[40, 40], &long).unwrap();
    a.write_strings(
        &[39, 39],
        &[1, 1],
        ItemsRef {
            data: b"corner",
            offsets: &[0, 6],
        },
    )
    .unwrap();
    rec.clear();
    let got = a.read_strings_points(&[0, 0, 39, 39, 1, 2]).unwrap();
    assert_eq!(got.get(0), long);
    assert_eq!(got.get(1), b"corner");
    assert_eq!(got.get(2), long);
    assert!(rec.gets.lock().unwrap().is_empty(), "no whole shard read");
    // The index, then the two inner chunks at opposite corners (far
    // apart: two requests), not the 98 between them (70 KB).
    assert_eq!(rec.ranges.lock().unwrap().len(), 3);
}
