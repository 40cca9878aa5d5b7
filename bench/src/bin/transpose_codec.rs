//! Writes and reads of a whole array stored with a `transpose` codec:
//!
//!     transpose_codec REPS ORDER [raw]      e.g. transpose_codec 3 2,1,0
//!
//! The array is the benchmark's N = 512 dataset (read from
//! /tmp/zarrio-bench-512/Z.zarr, written by `bench/run.sh 512`), stored
//! again in a scratch directory with 256^3 chunks and codecs
//! `transpose` (ORDER), `bytes`, and `zstd` level 0 (or nothing with
//! `raw`). Prints the median seconds of writing the whole array and of
//! reading it whole into a fresh C-order buffer and into a Fortran-order
//! one, REPS repetitions after a warm-up each; every read is checked
//! against the data written.

use std::sync::Arc;
use std::time::Instant;
fn main() {
    let a: Vec<String> = std::env::args().collect();
    if a.len() < 3 {
        eprintln!("usage: transpose_codec REPS ORDER [raw]");
        std::process::exit(2);
    }
    let reps: usize = a[1].parse().unwrap();
    let order: Vec<u64> = a[2].split(',').map(|v| v.parse().unwrap()).collect();
    let comp = a.get(3).map(|s| s.as_str()).unwrap_or("zstd");
    let store: zarrio::StoreRef =
        Arc::new(zarrio::FilesystemStore::open_existing("/tmp/zarrio-bench-512").unwrap());
    let src = zarrio::Array::open(store, "Z.zarr").unwrap();
    let n = 512usize;
    let total = n * n * n * 2;
    let mut data = vec![0u8; total];
    src.read_region(&[0, 0, 0], &[512, 512, 512], &mut data, None)
        .unwrap();
    let codecs = if comp == "zstd" {
        serde_json::json!([{"name": "transpose", "configuration": {"order": order}}, {"name": "bytes", "configuration": {"endian": "little"}}, {"name": "zstd", "configuration": {"level": 0}}])
    } else {
        serde_json::json!([{"name": "transpose", "configuration": {"order": order}}, {"name": "bytes", "configuration": {"endian": "little"}}])
    };
    let meta = serde_json::json!({"zarr_format": 3, "node_type": "array", "shape": [512, 512, 512], "data_type": "uint16",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [256, 256, 256]}},
        "chunk_key_encoding": {"name": "default"}, "fill_value": 0, "codecs": codecs});
    let dir = std::env::temp_dir().join(format!("zarrio-transpose-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let ws: zarrio::StoreRef = Arc::new(zarrio::FilesystemStore::new(&dir).unwrap());
    let w = zarrio::Array::create(ws, "t", &meta.to_string()).unwrap();
    let mut wt = vec![];
    for _ in 0..reps + 1 {
        let t = Instant::now();
        w.write_region(&[0, 0, 0], &[512, 512, 512], &data, None)
            .unwrap();
        wt.push(t.elapsed().as_secs_f64());
    }
    let mut rt = vec![];
    for _ in 0..reps + 1 {
        let t = Instant::now();
        let mut out = vec![0u8; total];
        w.read_region(&[0, 0, 0], &[512, 512, 512], &mut out, None)
            .unwrap();
        rt.push(t.elapsed().as_secs_f64());
        assert!(out == data);
    }
    // The same read into a Fortran-order buffer, spot-checked.
    let mut ft = vec![];
    let fs = [1i64, 512, 512 * 512];
    for _ in 0..reps + 1 {
        let t = Instant::now();
        let mut out = vec![0u8; total];
        w.read_region(&[0, 0, 0], &[512, 512, 512], &mut out, Some(&fs))
            .unwrap();
        ft.push(t.elapsed().as_secs_f64());
        for (z, y, x) in [(1usize, 2usize, 3usize), (511, 510, 509), (7, 300, 100)] {
            let (f, c) = (
                (z + y * 512 + x * 512 * 512) * 2,
                ((z * 512 + y) * 512 + x) * 2,
            );
            assert_eq!(out[f..f + 2], data[c..c + 2]);
        }
    }
    let med = |v: &mut Vec<f64>| {
        let mut t = v[1..].to_vec();
        t.sort_by(|a, b| a.partial_cmp(b).unwrap());
        t[t.len() / 2]
    };
    println!(
        "transpose {order:?} {comp}: write {:.4} read {:.4} read into Fortran order {:.4}",
        med(&mut wt),
        med(&mut rt),
        med(&mut ft)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
