//! A region of a sharded array fetches the shard index and only the inner
//! chunks it touches, by byte range.

use serde_json::json;
mod common;

use common::Recording;
use std::sync::Arc;
use zarrio::store::ByteRange;
use zarrio::{Array, Store, StoreRef};

fn sharded_meta(index_location: &str) -> String {
    json!({
        "zarr_format": 3, "node_type": "array", "shape": [64, 64], "data_type": "uint16",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [32, 32]}},
        "chunk_key_encoding": {"name": "default"}, "fill_value": 0,
        "codecs": [{"name": "sharding_indexed", "configuration": {
            "chunk_shape": [8, 8],
            "codecs": [{"name": "bytes", "configuration": {"endian": "little"}}, {"name": "zstd", "configuration": {"level": 0}}],
            "index_codecs": [{"name": "bytes", "configuration": {"endian": "little"}}, {"name": "crc32c"}],
            "index_location": index_location}}]
    })
    .to_string()
}

#[test]
fn partial_shard_reads_fetch_index_and_touched_inner_chunks_only() {
    for location in ["end", "start"] {
        let store = Arc::new(Recording::default());
        let dyn_store: StoreRef = store.clone();
        let a = Array::create(dyn_store, "s", &sharded_meta(location)).unwrap();
        let data: Vec<u16> = (0..64 * 64).map(|i| (i * 3 + 1) as u16).collect();
        let bytes: Vec<u8> = data.iter().flat_map(|v| v.to_ne_bytes()).collect();
        a.write_region(&[0, 0], &[64, 64], &bytes, None).unwrap();
        store.gets.lock().unwrap().clear();
        store.ranges.lock().unwrap().clear();

        // Rows 4..12, cols 2..10 of shard (0, 0): inner chunks (0,0), (0,1), (1,0), (1,1).
        let mut out = vec![0u8; 8 * 8 * 2];
        a.read_region(&[4, 2], &[8, 8], &mut out, None).unwrap();
        let got: Vec<u16> = out
            .chunks(2)
            .map(|c| u16::from_ne_bytes([c[0], c[1]]))
            .collect();
        for i in 0..8 {
            for j in 0..8 {
                assert_eq!(got[i * 8 + j], data[(4 + i) * 64 + 2 + j]);
            }
        }
        assert!(
            store.gets.lock().unwrap().is_empty(),
            "no whole-value reads for a partial shard read"
        );
        let ranges = store.ranges.lock().unwrap().clone();
        assert!(ranges.iter().all(|(k, _)| k == "s/c/0/0"), "{ranges:?}");
        // The four inner chunks lie close together: fetched in one or two runs.
        assert!(
            ranges.len() >= 2 && ranges.len() <= 1 + 4,
            "one index read plus the inner chunks: {ranges:?}"
        );
        let index_size = 16 * 16 + 4;
        let expected_index = match location {
            "end" => ByteRange::Suffix { length: index_size },
            _ => ByteRange::new(0, index_size),
        };
        assert_eq!(ranges[0].1, expected_index);
        // What is fetched is far less than the shard (4 of 16 inner chunks,
        // compressed).
        let shard_size = store.inner.get("s/c/0/0").unwrap().unwrap().len() as u64;
        let fetched: u64 = ranges[1..]
            .iter()
            .map(|(_, r)| match r {
                ByteRange::FromStart {
                    length: Some(l), ..
                } => *l,
                other => panic!("unexpected range {other:?}"),
            })
            .sum();
        assert!(
            fetched < shard_size / 2,
            "fetched {fetched} of {shard_size} bytes"
        );
    }
}

#[test]
fn missing_shards_read_as_fill_and_corrupt_ones_fail() {
    let store = Arc::new(Recording::default());
    let dyn_store: StoreRef = store.clone();
    let a = Array::create(dyn_store, "s", &sharded_meta("end")).unwrap();
    let mut out = vec![1u8; 64 * 64 * 2];
    a.read_region(&[0, 0], &[64, 64], &mut out, None).unwrap();
    assert!(out.iter().all(|&b| b == 0));
    a.fill_region(&[0, 0], &[32, 32], &5u16.to_ne_bytes())
        .unwrap();
    // Break the index CRC: both the partial and the whole-shard paths fail cleanly.
    let mut shard = store.inner.get("s/c/0/0").unwrap().unwrap();
    let n = shard.len();
    shard[n - 1] ^= 0xff;
    store.inner.set("s/c/0/0", &shard).unwrap();
    let e = a
        .read_region(&[0, 0], &[4, 4], &mut out[..32], None)
        .unwrap_err();
    assert_eq!(e.kind(), zarrio::ErrorKind::Checksum, "{e}");
    let e = a
        .read_region(&[0, 0], &[32, 32], &mut out[..2048], None)
        .unwrap_err();
    assert_eq!(e.kind(), zarrio::ErrorKind::Checksum, "{e}");
    // A truncated shard.
    store.inner.set("s/c/0/0", &shard[..10]).unwrap();
    assert!(a
        .read_region(&[0, 0], &[4, 4], &mut out[..32], None)
        .is_err());
    assert!(a
        .read_region(&[0, 0], &[32, 32], &mut out[..2048], None)
        .is_err());
}

#[test]
fn a_huge_index_length_is_an_error_not_an_allocation() {
    let dir = tempfile::tempdir().unwrap();
    let store: StoreRef = Arc::new(zarrio::FilesystemStore::new(dir.path()).unwrap());
    let meta = sharded_meta("start").replace(
        r#"{"name":"crc32c"}"#,
        r#"{"name":"bytes","configuration":{"endian":"little"}}"#,
    );
    // Index codecs without a checksum, so the damage is not caught by it.
    let meta = meta.replace(
        r#""index_codecs":[{"name":"bytes","configuration":{"endian":"little"}},{"name":"bytes","configuration":{"endian":"little"}}]"#,
        r#""index_codecs":[{"name":"bytes","configuration":{"endian":"little"}}]"#,
    );
    let a = Array::create(store.clone(), "s", &meta).unwrap();
    a.fill_region(&[0, 0], &[32, 32], &9u16.to_ne_bytes())
        .unwrap();
    let mut shard = store.get("s/c/0/0").unwrap().unwrap();
    // Entry 0: keep the offset, claim 2^62 bytes.
    shard[8..16].copy_from_slice(&(1u64 << 62).to_le_bytes());
    store.set("s/c/0/0", &shard).unwrap();
    let mut out = vec![0u8; 4 * 4 * 2];
    let e = a.read_region(&[0, 0], &[4, 4], &mut out, None).unwrap_err();
    assert_eq!(e.kind(), zarrio::ErrorKind::Corrupt, "{e}");
}

/// One shard of 64 uncompressed inner chunks of 512 KiB, its index at the
/// end (with or without a checksum).
fn big_shard_meta(index_crc: bool) -> String {
    let mut index_codecs = vec![json!({"name": "bytes", "configuration": {"endian": "little"}})];
    if index_crc {
        index_codecs.push(json!({"name": "crc32c"}));
    }
    json!({
        "zarr_format": 3, "node_type": "array", "shape": [64, 512, 512], "data_type": "uint16",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [64, 512, 512]}},
        "chunk_key_encoding": {"name": "default"}, "fill_value": 3,
        "codecs": [{"name": "sharding_indexed", "configuration": {
            "chunk_shape": [16, 128, 128],
            "codecs": [{"name": "bytes", "configuration": {"endian": "little"}}],
            "index_codecs": index_codecs}}]
    })
    .to_string()
}

#[test]
fn whole_shards_read_on_several_threads_fetch_in_runs_through_one_reader() {
    for index_crc in [true, false] {
        let store = Arc::new(Recording::with_value_readers());
        let dyn_store: StoreRef = store.clone();
        let a = Array::create(dyn_store, "s", &big_shard_meta(index_crc)).unwrap();
        let data: Vec<u8> = (0..64 * 512 * 512u64)
            .flat_map(|i| ((i.wrapping_mul(2654435761) >> 11) as u16).to_ne_bytes())
            .collect();
        let shape = [64u64, 512, 512];
        a.write_region(&[0, 0, 0], &shape, &data, None).unwrap();
        let mut out = vec![0u8; data.len()];

        // One thread: the shard is fetched whole. Two: the index, then
        // runs of inner chunks through one value reader, no whole fetch.
        // Both give the stored values, by read_chunk and by region.
        for threads in [1, 2] {
            a.set_threads(threads);
            store.clear();
            store
                .reader_reads
                .store(0, std::sync::atomic::Ordering::SeqCst);
            a.read_chunk(&[0, 0, 0], &mut out).unwrap();
            assert!(out == data, "{threads} threads");
            let (gets, through_reader) = (
                store.gets.lock().unwrap().len(),
                store.reader_reads.load(std::sync::atomic::Ordering::SeqCst),
            );
            if threads == 1 {
                assert_eq!((gets, through_reader), (1, 0));
            } else {
                // 32 MiB in runs of about 1 MiB, and the index.
                assert_eq!(gets, 0);
                assert!(
                    (20..=40).contains(&through_reader),
                    "{through_reader} reads"
                );
            }
            out.fill(0);
            a.read_region(&[0, 0, 0], &shape, &mut out, None).unwrap();
            assert!(out == data, "{threads} threads, region");
        }

        // Damaged shards fail on two threads as on one.
        a.set_threads(2);
        let shard = store.inner.get("s/c/0/0/0").unwrap().unwrap();
        let n = shard.len();
        let index_len = 64 * 16 + if index_crc { 4 } else { 0 };
        let mut fails = |bad: &[u8]| {
            store.inner.set("s/c/0/0/0", bad).unwrap();
            a.read_chunk(&[0, 0, 0], &mut out).unwrap_err()
        };
        let e = fails(&shard[..10]);
        assert_eq!(e.kind(), zarrio::ErrorKind::Corrupt, "{e}");
        assert!(e.message().contains("too small for its"), "{e}");
        if index_crc {
            let mut bad = shard.clone();
            bad[n - 5] ^= 1;
            assert_eq!(fails(&bad).kind(), zarrio::ErrorKind::Checksum);
        } else {
            // The last inner chunk's entry claims a byte past the shard.
            let mut bad = shard.clone();
            let entry = n - index_len + 63 * 16;
            let offset = u64::from_le_bytes(bad[entry..entry + 8].try_into().unwrap());
            let past = (n as u64 - offset + 1).to_le_bytes();
            bad[entry + 8..entry + 16].copy_from_slice(&past);
            let e = fails(&bad);
            assert_eq!(e.kind(), zarrio::ErrorKind::Corrupt, "{e}");
            assert!(e.message().contains("lies outside the shard"), "{e}");
        }
        // A missing shard reads as the fill value.
        store.inner.erase("s/c/0/0/0").unwrap();
        a.read_chunk(&[0, 0, 0], &mut out).unwrap();
        assert!(out.chunks_exact(2).all(|v| v == 3u16.to_ne_bytes()));
    }
}

/// Four shards side by side along the last dimension of a 32 MiB array,
/// inner chunks with 128-byte rows, zstd inside, the index checksummed.
fn shard_row_meta() -> String {
    json!({
        "zarr_format": 3, "node_type": "array", "shape": [64, 256, 1024], "data_type": "uint16",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [64, 256, 256]}},
        "chunk_key_encoding": {"name": "default"}, "fill_value": 3,
        "codecs": [{"name": "sharding_indexed", "configuration": {
            "chunk_shape": [16, 64, 64],
            "codecs": [{"name": "bytes", "configuration": {"endian": "little"}}, {"name": "zstd", "configuration": {"level": 1}}],
            "index_codecs": [{"name": "bytes", "configuration": {"endian": "little"}}, {"name": "crc32c"}]}}]
    })
    .to_string()
}

#[test]
fn whole_shards_side_by_side_are_read_as_rows_of_inner_chunks_across_them() {
    let store = Arc::new(Recording::with_value_readers());
    let dyn_store: StoreRef = store.clone();
    let a = Array::create(dyn_store, "r", &shard_row_meta()).unwrap();
    let shape = [64u64, 256, 1024];
    let data: Vec<u8> = (0..64 * 256 * 1024u64)
        .flat_map(|i| ((i.wrapping_mul(2654435761) >> 13) as u16 % 1000).to_ne_bytes())
        .collect();
    a.write_region(&[0, 0, 0], &shape, &data, None).unwrap();
    // A destination 16 bytes past a cache line, as malloc gives: each
    // shard's rows of inner chunks would leave a partial line at both ends.
    let mut space = vec![0u8; data.len() + 128];
    let at = (space.as_ptr() as usize).next_multiple_of(64) - space.as_ptr() as usize + 16;
    let len = data.len();
    a.set_threads(2);
    store.clear();
    store
        .reader_reads
        .store(0, std::sync::atomic::Ordering::SeqCst);
    a.read_region(&[0, 0, 0], &shape, &mut space[at..at + len], None)
        .unwrap();
    assert!(space[at..at + len] == data[..]);
    // No shard fetched whole: 4 indexes and 256 inner chunks by range.
    assert_eq!(store.gets.lock().unwrap().len(), 0);
    assert_eq!(
        store.reader_reads.load(std::sync::atomic::Ordering::SeqCst),
        4 + 4 * 64
    );

    // A missing shard reads as the fill value, the others as stored.
    let third = store.inner.get("r/c/0/0/2").unwrap().unwrap();
    store.inner.erase("r/c/0/0/2").unwrap();
    space.fill(0);
    a.read_region(&[0, 0, 0], &shape, &mut space[at..at + len], None)
        .unwrap();
    let out = &space[at..at + len];
    for (i, (got, want)) in out.chunks_exact(2).zip(data.chunks_exact(2)).enumerate() {
        let x = i % 1024;
        let want = if (512..768).contains(&x) {
            &3u16.to_ne_bytes()[..]
        } else {
            want
        };
        assert_eq!(got, want, "element {i}");
    }

    // Damaged shards fail as they do read one by one.
    let mut bad = third.clone();
    let n = bad.len();
    bad[n - 5] ^= 1;
    store.inner.set("r/c/0/0/2", &bad).unwrap();
    let e = a
        .read_region(&[0, 0, 0], &shape, &mut space[at..at + len], None)
        .unwrap_err();
    assert_eq!(e.kind(), zarrio::ErrorKind::Checksum, "{e}");
    store.inner.set("r/c/0/0/2", &third[..10]).unwrap();
    let e = a
        .read_region(&[0, 0, 0], &shape, &mut space[at..at + len], None)
        .unwrap_err();
    assert_eq!(e.kind(), zarrio::ErrorKind::Corrupt, "{e}");
    assert!(e.message().contains("too small for its"), "{e}");
    // An inner chunk that does not decode (the first one's zstd magic
    // number broken) fails, naming the inner chunk.
    let mut bad = third.clone();
    bad[0] ^= 0xFF;
    store.inner.set("r/c/0/0/2", &bad).unwrap();
    let e = a
        .read_region(&[0, 0, 0], &shape, &mut space[at..at + len], None)
        .unwrap_err();
    assert!(
        e.message().contains("r/c/0/0/2: inner chunk [0, 0, 0]"),
        "{e}"
    );

    // One thread, and a line-aligned destination (read shard by shard),
    // read the same values.
    store.inner.set("r/c/0/0/2", &third).unwrap();
    for (threads, offset) in [(1, 16), (2, 0)] {
        a.set_threads(threads);
        let at = at - 16 + offset;
        space.fill(0);
        a.read_region(&[0, 0, 0], &shape, &mut space[at..at + len], None)
            .unwrap();
        assert!(
            space[at..at + len] == data[..],
            "{threads} threads, {offset}"
        );
    }
}

#[test]
fn rows_across_shards_whose_entries_share_bytes_are_read_entry_by_entry() {
    use zarrio::codec::BytesToBytesCodec;
    // Every inner chunk of every shard points at the same bytes, as a
    // writer that stores equal chunks once may do: a row's entries add up
    // to more than its shards hold, so they are fetched one by one.
    let store = Arc::new(Recording::with_value_readers());
    let dyn_store: StoreRef = store.clone();
    let a = Array::create(dyn_store, "d", &shard_row_meta()).unwrap();
    let inner: Vec<u8> = (0..16 * 64 * 64u32)
        .flat_map(|i| ((i % 977) as u16).to_ne_bytes())
        .collect();
    let encoded = zarrio::codec::zstd::ZstdCodec::new(1, false)
        .encode_slice(&inner)
        .unwrap();
    let mut index = Vec::new();
    for _ in 0..64 {
        index.extend(0u64.to_le_bytes());
        index.extend((encoded.len() as u64).to_le_bytes());
    }
    let index = zarrio::codec::checksum::ChecksumCodec::crc32c()
        .encode_slice(&index)
        .unwrap();
    let shard = [encoded, index].concat();
    for x in 0..4 {
        store.inner.set(&format!("d/c/0/0/{x}"), &shard).unwrap();
    }
    let shape = [64u64, 256, 1024];
    let len = 64 * 256 * 1024 * 2;
    let mut space = vec![0u8; len + 128];
    let at = (space.as_ptr() as usize).next_multiple_of(64) - space.as_ptr() as usize + 16;
    a.set_threads(2);
    store.clear();
    a.read_region(&[0, 0, 0], &shape, &mut space[at..at + len], None)
        .unwrap();
    assert_eq!(
        store.gets.lock().unwrap().len(),
        0,
        "read as rows across shards"
    );
    let out = &space[at..at + len];
    for (i, got) in out.chunks_exact(2).enumerate() {
        let (z, y, x) = (i / (256 * 1024), i / 1024 % 256, i % 1024);
        let k = ((z % 16 * 64 + y % 64) * 64 + x % 64) * 2;
        assert_eq!(got, &inner[k..k + 2], "element ({z}, {y}, {x})");
    }
}

/// A store without value readers whose shard is replaced by another
/// writer right after the first ranged read of it (the index).
#[derive(Debug)]
struct ReplacedMidRead {
    inner: zarrio::MemoryStore,
    replacement: std::sync::Mutex<Option<(String, Vec<u8>)>>,
}

impl Store for ReplacedMidRead {
    fn get(&self, key: &str) -> zarrio::Result<Option<Vec<u8>>> {
        self.inner.get(key)
    }
    fn get_range(&self, key: &str, range: ByteRange) -> zarrio::Result<Option<Vec<u8>>> {
        let got = self.inner.get_range(key, range);
        let mut pending = self.replacement.lock().unwrap();
        if pending.as_ref().is_some_and(|(k, _)| k == key) {
            let (k, v) = pending.take().unwrap();
            self.inner.set(&k, &v).unwrap();
        }
        got
    }
    fn set(&self, key: &str, value: &[u8]) -> zarrio::Result<()> {
        self.inner.set(key, value)
    }
    fn erase(&self, key: &str) -> zarrio::Result<()> {
        self.inner.erase(key)
    }
    fn list(&self, prefix: &str) -> zarrio::Result<Vec<String>> {
        self.inner.list(prefix)
    }
}

#[test]
fn a_shard_replaced_between_its_index_and_inner_chunks_reads_as_one_version() {
    let store = Arc::new(ReplacedMidRead {
        inner: zarrio::MemoryStore::new(),
        replacement: std::sync::Mutex::new(None),
    });
    assert!(!store.supports_value_reader());
    let dyn_store: StoreRef = store.clone();
    let a = Array::create(dyn_store, "s", &sharded_meta("end")).unwrap();
    let as_bytes = |v: &[u16]| -> Vec<u8> { v.iter().flat_map(|x| x.to_ne_bytes()).collect() };
    // Two versions whose inner chunks compress to other sizes: the old
    // index points into the new shard at the wrong places.
    let old: Vec<u16> = vec![7; 64 * 64];
    let new: Vec<u16> = (0..64 * 64u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 16) as u16)
        .collect();
    a.write_region(&[0, 0], &[64, 64], &as_bytes(&new), None)
        .unwrap();
    let new_shard = store.get("s/c/0/0").unwrap().unwrap();
    a.write_region(&[0, 0], &[64, 64], &as_bytes(&old), None)
        .unwrap();
    *store.replacement.lock().unwrap() = Some(("s/c/0/0".into(), new_shard));
    let mut out = vec![0u8; 8 * 8 * 2];
    a.read_region(&[4, 2], &[8, 8], &mut out, None).unwrap();
    assert!(
        store.replacement.lock().unwrap().is_none(),
        "replaced mid-read"
    );
    let want: Vec<u16> = (4..12)
        .flat_map(|r| (2..10).map(move |c| (r, c)))
        .map(|(r, c)| new[r * 64 + c])
        .collect();
    assert_eq!(out, as_bytes(&want));
}
