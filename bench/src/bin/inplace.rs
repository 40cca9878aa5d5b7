//! Writing one inner chunk into an existing large uncompressed shard: in
//! place (set_range patches one slot) versus a full-shard rewrite (the same
//! store with range writes hidden). Reports the median time per write and
//! the bytes handed to write(2) (/proc/self/io wchar) per write.
//!
//! usage: inplace [dir] [reps]

use std::sync::Arc;
use std::time::Instant;
use zarrio::store::ByteRange;
use zarrio::{Array, FilesystemStore, Result, Store, StoreRef};

/// The filesystem store without range writes: partial shard writes fall
/// back to rewriting the shard whole.
#[derive(Debug)]
struct WholeWrites(FilesystemStore);

impl Store for WholeWrites {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        self.0.get(key)
    }
    fn get_range(&self, key: &str, range: ByteRange) -> Result<Option<Vec<u8>>> {
        self.0.get_range(key, range)
    }
    fn set(&self, key: &str, value: &[u8]) -> Result<()> {
        self.0.set(key, value)
    }
    fn erase(&self, key: &str) -> Result<()> {
        self.0.erase(key)
    }
    fn list(&self, prefix: &str) -> Result<Vec<String>> {
        self.0.list(prefix)
    }
}

fn wchar() -> u64 {
    let io = std::fs::read_to_string("/proc/self/io").unwrap_or_default();
    io.lines()
        .find_map(|l| l.strip_prefix("wchar: "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = std::path::PathBuf::from(
        args.get(1)
            .cloned()
            .unwrap_or_else(|| "/tmp/zarrio-bench-inplace".into()),
    );
    let reps: usize = args.get(2).and_then(|r| r.parse().ok()).unwrap_or(20);
    let _ = std::fs::remove_dir_all(&dir);
    // One 256^3 uint16 shard (32 MiB) of 64^3 inner chunks, bytes + crc32c.
    let meta = serde_json::json!({
        "zarr_format": 3, "node_type": "array", "shape": [256, 256, 256], "data_type": "uint16",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [256, 256, 256]}},
        "chunk_key_encoding": {"name": "default"}, "fill_value": 0,
        "codecs": [{"name": "sharding_indexed", "configuration": {"chunk_shape": [64, 64, 64],
            "codecs": [{"name": "bytes", "configuration": {"endian": "little"}}, {"name": "crc32c"}],
            "index_codecs": [{"name": "bytes", "configuration": {"endian": "little"}}, {"name": "crc32c"}]}}]
    })
    .to_string();
    let full: Vec<u8> = (0..256u32 * 256 * 256)
        .flat_map(|i| (i as u16).to_ne_bytes())
        .collect();
    let inner: Vec<u8> = (0..64u32 * 64 * 64)
        .flat_map(|i| (i as u16 ^ 0x5a5a).to_ne_bytes())
        .collect();
    println!("| mode | median ms per write | bytes written per write | reps |");
    println!("|---|---:|---:|---:|");
    for (mode, ranged) in [
        ("in place (set_range)", true),
        ("full-shard rewrite", false),
    ] {
        let path = dir.join(if ranged { "ranged" } else { "whole" });
        let fs = FilesystemStore::new(&path).unwrap();
        let store: StoreRef = if ranged {
            Arc::new(fs)
        } else {
            Arc::new(WholeWrites(fs))
        };
        let a = Array::create(store, "a", &meta).unwrap();
        a.write_region(&[0, 0, 0], &[256, 256, 256], &full, None)
            .unwrap();
        let mut times = Vec::new();
        let before = wchar();
        for r in 0..reps {
            // A different inner chunk each time, not on the edges of the shard.
            let k = (r % 2) as u64 + 1;
            let start = [k * 64, 64, (r as u64 % 3) * 64];
            let t = Instant::now();
            a.write_region(&start, &[64, 64, 64], &inner, None).unwrap();
            times.push(t.elapsed().as_secs_f64());
        }
        let written = (wchar() - before) / reps as u64;
        println!(
            "| {mode} | {:.3} | {written} | {reps} |",
            median(times) * 1e3
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
