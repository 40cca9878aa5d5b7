//! Partial writes of sharded arrays with fixed-size inner codecs patch the
//! touched inner-chunk slots in place (set_range). They must store exactly
//! the bytes a full rewrite stores, change only the touched slots, and let
//! writers of disjoint inner chunks run at the same time.

use serde_json::json;
mod common;

use common::Recording;
use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use zarrio::{Array, FilesystemStore, MemoryStore, Store, StoreRef};

fn bytes_le() -> serde_json::Value {
    json!({"name": "bytes", "configuration": {"endian": "little"}})
}

fn meta(inner_crc: bool, index_crc: bool, location: &str) -> String {
    let mut inner = vec![bytes_le()];
    if inner_crc {
        inner.push(json!({"name": "crc32c"}));
    }
    let mut index = vec![bytes_le()];
    if index_crc {
        index.push(json!({"name": "crc32c"}));
    }
    json!({
        "zarr_format": 3, "node_type": "array", "shape": [20, 18], "data_type": "int32",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [8, 8]}},
        "chunk_key_encoding": {"name": "default"}, "fill_value": 0,
        "codecs": [{"name": "sharding_indexed", "configuration": {
            "chunk_shape": [4, 4], "codecs": inner, "index_codecs": index, "index_location": location}}]
    })
    .to_string()
}

/// A seed that asks `values` for the fill value (0) everywhere.
const FILL: i32 = i32::MIN;

fn values(shape: [u64; 2], seed: i32) -> Vec<u8> {
    if seed == FILL {
        return vec![0; (shape[0] * shape[1] * 4) as usize];
    }
    (0..shape[0] * shape[1])
        .flat_map(|i| (i as i32 * 31 + seed).to_ne_bytes())
        .collect()
}

fn dump(s: &MemoryStore) -> BTreeMap<String, Vec<u8>> {
    s.list("")
        .unwrap()
        .into_iter()
        .map(|k| {
            let v = s.get(&k).unwrap().unwrap();
            (k, v)
        })
        .collect()
}

/// One write: region start, region shape, value written.
type Write = ([u64; 2], [u64; 2], i32);

#[test]
fn in_place_writes_store_the_bytes_a_full_rewrite_stores() {
    // Write sequences: partial, full, overlapping, edge shards, fill-valued.
    let sequences: Vec<Vec<Write>> = vec![
        vec![([1, 1], [2, 2], 5)],
        vec![([0, 0], [20, 18], 1), ([3, 5], [6, 7], 2)],
        vec![
            ([2, 2], [10, 10], 3),
            ([6, 6], [10, 10], 4),
            ([0, 15], [20, 3], 9),
        ],
        vec![([16, 16], [4, 2], 7), ([17, 0], [3, 18], 8)],
        vec![([0, 0], [8, 8], 1), ([4, 4], [4, 4], FILL)],
        vec![
            ([5, 5], [1, 1], 1),
            ([5, 6], [1, 1], 2),
            ([12, 9], [8, 9], 3),
            ([0, 0], [20, 18], 4),
            ([1, 1], [18, 16], 5),
        ],
    ];
    let mut patched = 0;
    for inner_crc in [false, true] {
        for index_crc in [false, true] {
            for location in ["end", "start"] {
                for (n, seq) in sequences.iter().enumerate() {
                    let a_store = Arc::new(Recording::default());
                    let b_store = Arc::new(Recording::without_range_writes());
                    let a_ref: StoreRef = a_store.clone();
                    let b_ref: StoreRef = b_store.clone();
                    let m = meta(inner_crc, index_crc, location);
                    let a = Array::create(a_ref, "x", &m).unwrap();
                    let b = Array::create(b_ref, "x", &m).unwrap();
                    for (start, shape, seed) in seq {
                        let v = values(*shape, *seed);
                        a.write_region(start, shape, &v, None).unwrap();
                        b.write_region(start, shape, &v, None).unwrap();
                    }
                    let ctx = format!("crc {inner_crc}/{index_crc} index {location} sequence {n}");
                    assert_eq!(dump(&a_store.inner), dump(&b_store.inner), "{ctx}");
                    let mut ra = vec![0u8; 20 * 18 * 4];
                    let mut rb = vec![0u8; 20 * 18 * 4];
                    a.read_region(&[0, 0], &[20, 18], &mut ra, None).unwrap();
                    b.read_region(&[0, 0], &[20, 18], &mut rb, None).unwrap();
                    assert_eq!(ra, rb, "{ctx}");
                    patched += a_store.set_ranges.load(Ordering::Relaxed);
                }
            }
        }
    }
    assert!(
        patched > 100,
        "the in-place path was taken ({patched} range writes)"
    );
}

#[test]
fn a_partial_write_changes_only_the_touched_slot_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let store: StoreRef = Arc::new(FilesystemStore::new(dir.path()).unwrap());
    let m = json!({
        "zarr_format": 3, "node_type": "array", "shape": [64, 64], "data_type": "uint32",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [64, 64]}},
        "chunk_key_encoding": {"name": "default"}, "fill_value": 0,
        "codecs": [{"name": "sharding_indexed", "configuration": {
            "chunk_shape": [8, 8], "codecs": [bytes_le(), {"name": "crc32c"}],
            "index_codecs": [bytes_le(), {"name": "crc32c"}]}}]
    })
    .to_string();
    let a = Array::create(store, "a", &m).unwrap();
    let all: Vec<u8> = (0..64u32 * 64)
        .flat_map(|i| (i + 1).to_ne_bytes())
        .collect();
    a.write_region(&[0, 0], &[64, 64], &all, None).unwrap();
    let path = dir.path().join("a/c/0/0");
    let before = std::fs::read(&path).unwrap();
    use std::os::unix::fs::MetadataExt;
    let inode = std::fs::metadata(&path).unwrap().ino();
    // Inner chunk (2, 3): rows 16..24, cols 24..32; flat index 2*8+3 = 19.
    let patch: Vec<u8> = (0..64u32).flat_map(|i| (9000 + i).to_ne_bytes()).collect();
    a.write_region(&[16, 24], &[8, 8], &patch, None).unwrap();
    let after = std::fs::read(&path).unwrap();
    assert_eq!(
        std::fs::metadata(&path).unwrap().ino(),
        inode,
        "the shard file was patched, not replaced"
    );
    assert_eq!(before.len(), after.len());
    let slot = 8 * 8 * 4 + 4;
    let (lo, hi) = (19 * slot, 20 * slot);
    let changed: Vec<usize> = (0..before.len())
        .filter(|&i| before[i] != after[i])
        .collect();
    assert!(!changed.is_empty());
    assert!(
        changed.iter().all(|&i| i >= lo && i < hi),
        "bytes outside slot 19 changed: {:?}",
        &changed[..changed.len().min(5)]
    );
    // A partial write inside one inner chunk also stays in its slot.
    a.write_region(&[0, 0], &[1, 1], &7u32.to_ne_bytes(), None)
        .unwrap();
    let again = std::fs::read(&path).unwrap();
    assert!((0..after.len())
        .filter(|&i| after[i] != again[i])
        .all(|i| i < slot));
    let mut out = vec![0u8; 8 * 8 * 4];
    a.read_region(&[16, 24], &[8, 8], &mut out, None).unwrap();
    assert_eq!(out, patch);
}

#[test]
fn concurrent_writers_of_disjoint_inner_chunks_lose_nothing() {
    let dirs: Vec<_> = (0..20).map(|_| tempfile::tempdir().unwrap()).collect();
    disjoint_writers_lose_nothing(20, |round| {
        Arc::new(FilesystemStore::new(dirs[round].path()).unwrap())
    });
}

/// A store that patches byte ranges but cannot create a value only where
/// none is, and is slow to read whole values (another writer's shard
/// creation lands in between).
#[derive(Debug, Default)]
struct NoCreateIfAbsent {
    inner: MemoryStore,
}

impl Store for NoCreateIfAbsent {
    fn get(&self, key: &str) -> zarrio::Result<Option<Vec<u8>>> {
        let v = self.inner.get(key);
        std::thread::sleep(std::time::Duration::from_micros(300));
        v
    }
    fn get_range(
        &self,
        key: &str,
        range: zarrio::store::ByteRange,
    ) -> zarrio::Result<Option<Vec<u8>>> {
        self.inner.get_range(key, range)
    }
    fn set(&self, key: &str, value: &[u8]) -> zarrio::Result<()> {
        self.inner.set(key, value)
    }
    fn set_range(&self, key: &str, offset: u64, bytes: &[u8]) -> zarrio::Result<()> {
        self.inner.set_range(key, offset, bytes)
    }
    fn supports_set_range(&self) -> bool {
        true
    }
    fn erase(&self, key: &str) -> zarrio::Result<()> {
        self.inner.erase(key)
    }
    fn list(&self, prefix: &str) -> zarrio::Result<Vec<String>> {
        self.inner.list(prefix)
    }
}

/// Writers in one process take turns creating a shard the store cannot
/// create atomically: none replaces a shard another created and patched.
#[test]
fn writers_without_create_if_absent_lose_nothing_in_one_process() {
    disjoint_writers_lose_nothing(10, |_| Arc::new(NoCreateIfAbsent::default()));
}

fn disjoint_writers_lose_nothing(rounds: usize, store_for: impl Fn(usize) -> StoreRef) {
    for round in 0..rounds {
        let store = store_for(round);
        let m = meta(
            round % 2 == 0,
            true,
            if round % 4 < 2 { "end" } else { "start" },
        );
        Array::create(store.clone(), "x", &m).unwrap();
        // Every writer opens its own handle, as separate programs would.
        let writers = 6;
        std::thread::scope(|s| {
            for t in 0..writers {
                let store = store.clone();
                s.spawn(move || {
                    let a = Array::open(store, "x").unwrap();
                    a.set_threads(1);
                    // Inner chunks on a 5 x 5 grid (4 x 4 each, clipped at the edges).
                    for ci in 0..5u64 {
                        for cj in 0..5u64 {
                            if ((ci * 5 + cj) as usize) % writers != t {
                                continue;
                            }
                            let start = [ci * 4, cj * 4];
                            let shape = [4.min(20 - start[0]), 4.min(18 - start[1])];
                            let mut v = Vec::new();
                            for i in 0..shape[0] {
                                for j in 0..shape[1] {
                                    v.extend(
                                        ((start[0] + i) as i32 * 100 + (start[1] + j) as i32 + 1)
                                            .to_ne_bytes(),
                                    );
                                }
                            }
                            a.write_region(&start, &shape, &v, None).unwrap();
                        }
                    }
                });
            }
        });
        let a = Array::open(store, "x").unwrap();
        let mut out = vec![0u8; 20 * 18 * 4];
        a.read_region(&[0, 0], &[20, 18], &mut out, None).unwrap();
        for i in 0..20 {
            for j in 0..18 {
                let k = (i * 18 + j) * 4;
                let got = i32::from_ne_bytes(out[k..k + 4].try_into().unwrap());
                assert_eq!(
                    got,
                    i as i32 * 100 + j as i32 + 1,
                    "round {round}: ({i}, {j})"
                );
            }
        }
    }
}

/// A lossy inner codec of fixed size (`bitround`) cannot store every fill
/// value exactly: shards are then not laid out densely, and inner chunks
/// no one wrote stay absent and read as the fill value itself.
#[test]
fn shards_whose_codecs_round_the_fill_value_leave_unwritten_inner_chunks_absent() {
    let meta = json!({
        "zarr_format": 3, "node_type": "array", "shape": [8, 8], "data_type": "float32",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [8, 8]}},
        "chunk_key_encoding": {"name": "default"}, "fill_value": 0.1,
        "codecs": [{"name": "sharding_indexed", "configuration": {
            "chunk_shape": [4, 4],
            "codecs": [{"name": "bitround", "configuration": {"keepbits": 2}}, bytes_le()],
            "index_codecs": [bytes_le()]}}]
    })
    .to_string();
    let s = Arc::new(MemoryStore::new());
    let a = Array::create(s.clone(), "a", &meta).unwrap();
    let ones: Vec<u8> = (0..16).flat_map(|_| 1.0f32.to_ne_bytes()).collect();
    a.write_region(&[0, 0], &[4, 4], &ones, None).unwrap();
    let mut got = vec![0u8; 64 * 4];
    a.read_region(&[0, 0], &[8, 8], &mut got, None).unwrap();
    let got: Vec<f32> = got
        .chunks(4)
        .map(|b| f32::from_ne_bytes(b.try_into().unwrap()))
        .collect();
    for (i, v) in got.iter().enumerate() {
        let expected = if i / 8 < 4 && i % 8 < 4 { 1.0 } else { 0.1 };
        assert_eq!(*v, expected, "element {i}");
    }
    // One inner chunk stored (16 x 4 bytes) and the index (4 x 16).
    assert_eq!(s.get("a/c/0/0").unwrap().unwrap().len(), 64 + 64);
}

/// Many absent dense shards written at once on many threads, on a store
/// without create-if-absent: the writers taking turns never wait on one
/// another for good (a worker waiting in the thread pool may be handed
/// another shard's write).
#[test]
fn many_new_shards_on_many_threads_without_create_if_absent() {
    let store: StoreRef = Arc::new(NoCreateIfAbsent::default());
    let doc = json!({
        "zarr_format": 3, "node_type": "array", "shape": [256 * 512, 64], "data_type": "uint8",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [256, 64]}},
        "chunk_key_encoding": {"name": "default"}, "fill_value": 0,
        "codecs": [{"name": "sharding_indexed", "configuration": {
            "chunk_shape": [1, 64], "codecs": [bytes_le(), {"name": "crc32c"}],
            "index_codecs": [bytes_le()]}}]
    })
    .to_string();
    let a = Array::create(store, "m", &doc).unwrap();
    a.set_threads(8);
    for round in 0..6u8 {
        for shard in 0..512u64 {
            a.erase_chunk(&[shard, 0]).unwrap();
        }
        let rows = 256 * 512;
        let data: Vec<u8> = (0..rows * 32)
            .map(|i| (i as u8).wrapping_add(round))
            .collect();
        a.write_region(&[0, 0], &[rows, 32], &data, None).unwrap();
        let mut back = vec![0u8; rows as usize * 32];
        a.read_region(&[0, 0], &[rows, 32], &mut back, None)
            .unwrap();
        assert!(back == data, "round {round}");
    }
}

/// A store whose every write of a value also writes an array on another
/// store of the same kind, as a host's callback may: the writer of a new
/// shard here takes a turn there too.
#[derive(Debug)]
struct Mirroring {
    inner: NoCreateIfAbsent,
    mirror: std::sync::OnceLock<Array>,
}

impl Store for Mirroring {
    fn get(&self, key: &str) -> zarrio::Result<Option<Vec<u8>>> {
        self.inner.get(key)
    }
    fn get_range(
        &self,
        key: &str,
        range: zarrio::store::ByteRange,
    ) -> zarrio::Result<Option<Vec<u8>>> {
        self.inner.get_range(key, range)
    }
    fn set(&self, key: &str, value: &[u8]) -> zarrio::Result<()> {
        if let Some(m) = self.mirror.get() {
            if let Some(rest) = key.strip_prefix("x/c/") {
                let i: u64 = rest.split('/').next().unwrap().parse().unwrap();
                m.write_region(&[i * 4, 0], &[4, 4], &values([4, 4], i as i32), None)?;
            }
        }
        self.inner.set(key, value)
    }
    fn set_range(&self, key: &str, offset: u64, bytes: &[u8]) -> zarrio::Result<()> {
        self.inner.set_range(key, offset, bytes)
    }
    fn supports_set_range(&self) -> bool {
        true
    }
    fn erase(&self, key: &str) -> zarrio::Result<()> {
        self.inner.erase(key)
    }
    fn list(&self, prefix: &str) -> zarrio::Result<Vec<String>> {
        self.inner.list(prefix)
    }
}

#[test]
fn a_store_that_writes_another_array_while_a_shard_is_made() {
    let other: StoreRef = Arc::new(NoCreateIfAbsent::default());
    let m = meta(true, true, "end");
    let b = Array::create(other.clone(), "x", &m).unwrap();
    b.set_threads(1);
    let store = Arc::new(Mirroring {
        inner: NoCreateIfAbsent::default(),
        mirror: std::sync::OnceLock::new(),
    });
    let dyn_store: StoreRef = store.clone();
    let a = Array::create(dyn_store, "x", &m).unwrap();
    store.mirror.set(b).unwrap();
    a.set_threads(1);
    // Every shard of `a` made by a partial write, each mirrored into `b`.
    for i in 0..3u64 {
        a.write_region(&[i * 8, 0], &[4, 4], &values([4, 4], 1), None)
            .unwrap();
    }
    let b = store.mirror.get().unwrap();
    let mut out = vec![0u8; 4 * 4 * 4];
    b.read_region(&[4, 0], &[4, 4], &mut out, None).unwrap();
    assert_eq!(out, values([4, 4], 1));
}

/// A dense shard of 2^40 bytes (a million inner chunks of 1 MiB) is
/// never built for a write of the fill value: untouched slots share the
/// one encoded fill chunk, so the write finds the shard all fill and
/// stores nothing (each slot's own copy took a terabyte). A write of
/// another value needs the shard whole: where the kernel refuses an
/// allocation larger than the machine (no overcommit, its default
/// heuristic or strict accounting), that is an out-of-memory error, not
/// the process killed.
#[test]
fn a_dense_shard_too_large_for_memory_is_refused_not_built() {
    let meta = json!({
        "zarr_format": 3, "node_type": "array", "shape": [1u64 << 20, 1u64 << 20],
        "data_type": "uint8",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [1u64 << 20, 1u64 << 20]}},
        "chunk_key_encoding": {"name": "default"}, "fill_value": 0,
        "codecs": [{"name": "sharding_indexed", "configuration": {
            "chunk_shape": [1024, 1024], "codecs": [{"name": "bytes"}],
            "index_codecs": [bytes_le()]}}]
    })
    .to_string();
    let store = Arc::new(MemoryStore::new());
    let a = Array::create(store.clone(), "a", &meta).unwrap();
    a.write_region(&[5, 5], &[1, 1], &[0], None).unwrap();
    assert_eq!(store.get("a/c/0/0").unwrap(), None);
    let overcommit = std::fs::read_to_string("/proc/sys/vm/overcommit_memory").unwrap_or_default();
    if overcommit.trim() == "1" {
        eprintln!("the kernel overcommits every allocation: the terabyte write is not tried");
        return;
    }
    let e = a.write_region(&[5, 5], &[1, 1], &[7], None).unwrap_err();
    assert_eq!(e.kind(), zarrio::ErrorKind::OutOfMemory, "{e}");
    assert_eq!(store.get("a/c/0/0").unwrap(), None);
    let mut got = [9u8];
    a.read_region(&[5, 5], &[1, 1], &mut got, None).unwrap();
    assert_eq!(got, [0]);
}

/// A reader that finds an inner chunk torn (part old, part new: a writer
/// patching its slot in place) reads it again, up to three more times,
/// on stores with and without value readers; a chunk still torn after
/// that is a checksum error.
#[test]
fn reads_retry_an_inner_chunk_that_fails_its_checksum() {
    let meta = common::v3_meta(
        json!("int32"),
        &[8, 8],
        &[8, 8],
        json!(0),
        json!([{"name": "sharding_indexed", "configuration": {
            "chunk_shape": [4, 2], "codecs": [bytes_le(), {"name": "crc32c"}],
            "index_codecs": [bytes_le(), {"name": "crc32c"}]}}]),
    );
    let data: Vec<i32> = (0..64).collect();
    let bytes: Vec<u8> = data.iter().flat_map(|v| v.to_ne_bytes()).collect();
    for value_readers in [false, true] {
        let rec = Arc::new(common::Recording {
            value_readers,
            ..Default::default()
        });
        let store: StoreRef = rec.clone();
        let a = Array::create(store, "a", &meta).unwrap();
        a.write_region(&[0, 0], &[8, 8], &bytes, None).unwrap();
        // An inner chunk's slot: 4 x 2 int32 and its checksum.
        rec.tear_len.store(36, Ordering::SeqCst);
        let mut out = vec![0u8; 32];
        for (tears, ok) in [(3, true), (4, false)] {
            rec.tears.store(tears, Ordering::SeqCst);
            let r = a.read_region(&[0, 0], &[4, 2], &mut out, None);
            assert_eq!(
                r.is_ok(),
                ok,
                "{tears} torn reads, value readers {value_readers}: {r:?}"
            );
            if let Err(e) = r {
                assert_eq!(e.kind(), zarrio::error::ErrorKind::Checksum);
            } else {
                let want: Vec<u8> = [0, 1, 8, 9, 16, 17, 24, 25]
                    .iter()
                    .flat_map(|v: &i32| v.to_ne_bytes())
                    .collect();
                assert_eq!(out, want);
            }
            assert_eq!(
                rec.tears.load(Ordering::SeqCst),
                0,
                "every torn read was made"
            );
        }
    }
}
