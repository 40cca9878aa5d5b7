//! Reads from a store with injected latency: read-all of an array of many
//! chunks takes about (requests / I/O concurrency) x latency when requests
//! overlap, not requests x latency. Decode threads stay at 2; only the I/O
//! concurrency setting changes.
//!
//! usage: latency [reps]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use zarrio::store::ByteRange;
use zarrio::{Array, MemoryStore, Result, Store, StoreRef};

/// A memory store whose every read sleeps first, like a remote object store.
#[derive(Debug)]
struct Latent {
    inner: MemoryStore,
    latency: Duration,
    reads: AtomicUsize,
}

impl Latent {
    fn wait(&self) {
        self.reads.fetch_add(1, Ordering::Relaxed);
        std::thread::sleep(self.latency);
    }
}

impl Store for Latent {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        if !key.ends_with("zarr.json") {
            self.wait();
        }
        self.inner.get(key)
    }
    fn get_range(&self, key: &str, range: ByteRange) -> Result<Option<Vec<u8>>> {
        self.wait();
        self.inner.get_range(key, range)
    }
    fn set(&self, key: &str, value: &[u8]) -> Result<()> {
        self.inner.set(key, value)
    }
    fn erase(&self, key: &str) -> Result<()> {
        self.inner.erase(key)
    }
    fn list(&self, prefix: &str) -> Result<Vec<String>> {
        self.inner.list(prefix)
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn main() {
    let reps: usize = std::env::args()
        .nth(1)
        .and_then(|r| r.parse().ok())
        .unwrap_or(3);
    // 128^3 uint16 in 32^3 zstd chunks: 64 chunks, one request each.
    let meta = serde_json::json!({
        "zarr_format": 3, "node_type": "array", "shape": [128, 128, 128], "data_type": "uint16",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [32, 32, 32]}},
        "chunk_key_encoding": {"name": "default"}, "fill_value": 0,
        "codecs": [{"name": "bytes", "configuration": {"endian": "little"}}, {"name": "zstd", "configuration": {"level": 0}}]
    })
    .to_string();
    let data: Vec<u8> = (0..128u32 * 128 * 128)
        .flat_map(|i| (i as u16).wrapping_mul(31).to_ne_bytes())
        .collect();
    println!("| latency per request | decode threads | I/O concurrency | requests | median s | requests x latency / I/O concurrency s |");
    println!("|---:|---:|---:|---:|---:|---:|");
    for latency_ms in [1u64, 50] {
        for io in [0usize, 8, 32] {
            let store = Arc::new(Latent {
                inner: MemoryStore::new(),
                latency: Duration::from_millis(latency_ms),
                reads: AtomicUsize::new(0),
            });
            let dyn_store: StoreRef = store.clone();
            let a = Array::create(dyn_store, "a", &meta).unwrap();
            a.write_region(&[0, 0, 0], &[128, 128, 128], &data, None)
                .unwrap();
            a.set_threads(2);
            a.set_io_concurrency(io);
            let mut times = Vec::new();
            let mut out = vec![0u8; data.len()];
            for _ in 0..reps {
                store.reads.store(0, Ordering::Relaxed);
                let t = Instant::now();
                a.read_region(&[0, 0, 0], &[128, 128, 128], &mut out, None)
                    .unwrap();
                times.push(t.elapsed().as_secs_f64());
            }
            assert_eq!(out, data);
            let requests = store.reads.load(Ordering::Relaxed);
            let effective = if io == 0 { 2 } else { io };
            let ideal = requests as f64 * latency_ms as f64 / 1e3 / effective as f64;
            let io_label = if io == 0 {
                "default (= threads)".to_string()
            } else {
                io.to_string()
            };
            println!(
                "| {latency_ms} ms | 2 | {io_label} | {requests} | {:.3} | {ideal:.3} |",
                median(times)
            );
        }
    }
}
