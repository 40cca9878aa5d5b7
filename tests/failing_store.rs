//! A store that fails its k-th request, for every k a write or a read
//! makes: the call fails with the store's error, and what is stored stays
//! whole. After a failed write every chunk (every inner chunk of a shard)
//! holds its old contents or its new ones, never a mixture or bytes that
//! cannot be read; chunks the write does not touch keep theirs.

mod common;

use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use zarrio::error::ErrorKind;
use zarrio::store::ByteRange;
use zarrio::{Array, Error, MemoryStore, Result, Store, StoreRef};

const SHAPE: [u64; 2] = [20, 24];

/// A memory store whose `fail_at`-th request (counted from `arm`) fails.
#[derive(Debug, Default)]
struct Failing {
    inner: MemoryStore,
    ranged_writes: bool,
    calls: AtomicUsize,
    fail_at: AtomicUsize,
}

impl Failing {
    fn request(&self, key: &str) -> Result<()> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        if n == self.fail_at.load(Ordering::SeqCst) {
            return Err(Error::new(
                ErrorKind::Io,
                format!("{key}: injected failure of request {n}"),
            ));
        }
        Ok(())
    }

    fn arm(&self, k: usize) {
        self.calls.store(0, Ordering::SeqCst);
        self.fail_at.store(k, Ordering::SeqCst);
    }

    /// Stop failing; the requests made since `arm`.
    fn disarm(&self) -> usize {
        self.fail_at.store(0, Ordering::SeqCst);
        self.calls.load(Ordering::SeqCst)
    }
}

impl Store for Failing {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        self.request(key)?;
        self.inner.get(key)
    }
    fn get_range(&self, key: &str, range: ByteRange) -> Result<Option<Vec<u8>>> {
        self.request(key)?;
        self.inner.get_range(key, range)
    }
    fn set(&self, key: &str, value: &[u8]) -> Result<()> {
        self.request(key)?;
        self.inner.set(key, value)
    }
    fn set_range(&self, key: &str, offset: u64, bytes: &[u8]) -> Result<()> {
        self.request(key)?;
        self.inner.set_range(key, offset, bytes)
    }
    fn supports_set_range(&self) -> bool {
        self.ranged_writes
    }
    fn erase(&self, key: &str) -> Result<()> {
        self.request(key)?;
        self.inner.erase(key)
    }
    fn list(&self, prefix: &str) -> Result<Vec<String>> {
        self.request(prefix)?;
        self.inner.list(prefix)
    }
    fn size(&self, key: &str) -> Result<Option<u64>> {
        self.request(key)?;
        self.inner.size(key)
    }
}

fn le() -> Value {
    json!({"name": "bytes", "configuration": {"endian": "little"}})
}

/// uint16 arrays of SHAPE: (name, codecs, chunk shape, the shape of the
/// smallest unit a write replaces whole: the chunk, or the inner chunk).
fn arrays() -> Vec<(&'static str, Value, [u64; 2], [u64; 2])> {
    let zstd = json!({"name": "zstd", "configuration": {"level": 1}});
    let crc = json!({"name": "crc32c"});
    let sharded = |inner: Value| {
        json!([{"name": "sharding_indexed", "configuration": {
            "chunk_shape": [4, 6], "codecs": inner, "index_codecs": [le(), crc]}}])
    };
    vec![
        ("zstd, crc32c", json!([le(), zstd, crc]), [8, 12], [8, 12]),
        ("uncompressed", json!([le()]), [8, 12], [8, 12]),
        // Fixed-size inner chunks: patched in place where the store can.
        (
            "shards of crc32c chunks",
            sharded(json!([le(), crc])),
            [8, 12],
            [4, 6],
        ),
        (
            "shards of zstd chunks",
            sharded(json!([le(), zstd])),
            [8, 12],
            [4, 6],
        ),
    ]
}

fn values(seed: u16) -> Vec<u16> {
    (0..SHAPE[0] * SHAPE[1])
        .map(|i| (i as u16).wrapping_mul(40503).wrapping_add(seed) | 1)
        .collect()
}

fn bytes(v: &[u16]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// Each unit of `unit` shape holds all of `old` or all of `new` in `got`.
fn whole_units(
    got: &[u16],
    old: &[u16],
    new: &[u16],
    unit: [u64; 2],
) -> std::result::Result<(), String> {
    for uy in 0..SHAPE[0].div_ceil(unit[0]) {
        for ux in 0..SHAPE[1].div_ceil(unit[1]) {
            let cells = (uy * unit[0]..((uy + 1) * unit[0]).min(SHAPE[0])).flat_map(|y| {
                (ux * unit[1]..((ux + 1) * unit[1]).min(SHAPE[1]))
                    .map(move |x| (y * SHAPE[1] + x) as usize)
            });
            let cells: Vec<usize> = cells.collect();
            let is = |want: &[u16]| cells.iter().all(|&i| got[i] == want[i]);
            if !is(old) && !is(new) {
                return Err(format!(
                    "unit {uy},{ux} holds neither the old nor the new data"
                ));
            }
        }
    }
    Ok(())
}

/// A write that fails at each of its requests in turn.
fn fail_each_request(
    name: &str,
    ranged_writes: bool,
    meta: &Value,
    unit: [u64; 2],
    write: &dyn Fn(&Array) -> Result<()>,
    expect: &dyn Fn(&mut [u16]),
) -> usize {
    let store = Arc::new(Failing {
        ranged_writes,
        ..Default::default()
    });
    let dyn_store: StoreRef = store.clone();
    let a = Array::create(dyn_store, "a", &meta.to_string()).unwrap();
    let old = values(0);
    a.write_region(&[0, 0], &SHAPE, &bytes(&old), None).unwrap();
    let before = common::snapshot(&store.inner);
    let mut new = old.clone();
    expect(&mut new);
    let read = |a: &Array| -> std::result::Result<Vec<u16>, String> {
        let mut out = vec![0u8; old.len() * 2];
        a.read_region(&[0, 0], &SHAPE, &mut out, None)
            .map_err(|e| format!("{:?}: {}", e.kind(), e.message()))?;
        Ok(out
            .chunks_exact(2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
            .collect())
    };
    for k in 1.. {
        common::restore(&store.inner, &before);
        store.arm(k);
        let r = write(&a);
        let made = store.disarm();
        let what = format!("{name} (ranged writes {ranged_writes}), request {k} of {made} failing");
        let got = read(&a).unwrap_or_else(|e| panic!("{what}: the array no longer reads: {e}"));
        match r {
            Ok(()) => {
                assert!(k > made, "{what}: the write succeeded");
                assert!(got == new, "{what}: wrote wrong");
                return made;
            }
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::Io, "{what}: {}", e.message());
                assert!(e.message().contains("injected"), "{what}: {}", e.message());
                whole_units(&got, &old, &new, unit).unwrap_or_else(|e| panic!("{what}: {e}"));
            }
        }
        // Reads that fail part way give the store's error, and never
        // wrong data when they succeed.
        store.arm(k);
        let r = read(&a);
        store.disarm();
        match r {
            Ok(v) => assert!(v == got, "{what}: a read gave other data"),
            Err(e) => assert!(e.contains("injected"), "{what}: read: {e}"),
        }
    }
    unreachable!()
}

#[test]
fn writes_that_fail_part_way_leave_every_chunk_whole() {
    // A region across chunks, partly covering most of them.
    let region = |a: &Array| {
        let b: Vec<u16> = values(7)[..14 * 16].to_vec();
        a.write_region(&[3, 5], &[14, 16], &bytes(&b), None)
    };
    let region_expect = |v: &mut [u16]| {
        let b = values(7);
        for y in 0..14 {
            for x in 0..16 {
                v[((3 + y) * SHAPE[1] + 5 + x) as usize] = b[(y * 16 + x) as usize];
            }
        }
    };
    // The fill value over a whole chunk, and over part of the next row:
    // chunks and inner chunks erased, others rewritten.
    let fill = |a: &Array| a.fill_region(&[0, 12], &[10, 12], &0u16.to_le_bytes());
    let fill_expect = |v: &mut [u16]| {
        for y in 0..10 {
            for x in 12..24 {
                v[y * SHAPE[1] as usize + x] = 0;
            }
        }
    };
    let mut requests = 0;
    for (name, codecs, chunk, unit) in arrays() {
        let meta = json!({
            "zarr_format": 3, "node_type": "array", "shape": SHAPE, "data_type": "uint16",
            "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": chunk}},
            "chunk_key_encoding": {"name": "default"}, "fill_value": 0, "codecs": codecs
        });
        for ranged in [true, false] {
            requests += fail_each_request(name, ranged, &meta, unit, &region, &region_expect);
            requests += fail_each_request(name, ranged, &meta, unit, &fill, &fill_expect);
        }
    }
    // Every write made many requests, each of which was made to fail.
    assert!(requests > 16 * 4, "{requests} requests");
}
