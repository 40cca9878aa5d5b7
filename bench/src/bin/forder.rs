//! Reads and writes of a whole benchmark dataset through zarrio's Rust API,
//! into and from a buffer in C or Fortran order:
//!
//!     forder DIR DATASET C|F REPS [write]
//!
//! Prints the median seconds of REPS repetitions after one warm-up. A read
//! allocates its destination inside the clock (a fresh `vec!`, whose pages
//! the read faults in, as a caller's fresh buffer); `write` writes the
//! whole array from a buffer in that order to a new array with the same
//! metadata in a scratch directory, and checks it reads back equal. Reads
//! check a few elements against the datasets' formula.

use std::sync::Arc;
use std::time::Instant;

fn main() {
    let a: Vec<String> = std::env::args().collect();
    if a.len() < 5 {
        eprintln!("usage: forder DIR DATASET C|F REPS [write]");
        std::process::exit(2);
    }
    let (dir, ds, order) = (&a[1], &a[2], &a[3]);
    let reps: usize = a[4].parse().expect("REPS");
    let write = a.get(5).is_some_and(|w| w == "write");
    let store: zarrio::StoreRef = Arc::new(zarrio::FilesystemStore::open_existing(dir).unwrap());
    let arr = zarrio::Array::open(store, &format!("{ds}.zarr")).unwrap();
    let shape = arr.shape().to_vec();
    let n = shape[0] as usize;
    let total = n * n * n * 2;
    let strides: Vec<i64> = if order == "F" {
        vec![1, n as i64, (n * n) as i64]
    } else {
        vec![(n * n) as i64, n as i64, 1]
    };
    let at = |z: usize, y: usize, x: usize| {
        if order == "F" {
            z + y * n + x * n * n
        } else {
            (z * n + y) * n + x
        }
    };
    let mut times = vec![];
    let mut last = Vec::new();
    for _ in 0..reps + 1 {
        let t = Instant::now();
        let mut out = vec![0u8; total];
        arr.read_region(&[0, 0, 0], &shape, &mut out, Some(&strides))
            .unwrap();
        times.push(t.elapsed().as_secs_f64());
        for (z, y, x) in [(1, 2, 3), (n - 1, n - 2, n - 3), (7, 300 % n, 100 % n)] {
            let i = at(z, y, x) * 2;
            let want = (x as u64 + (y * y / 32) as u64 + (z as u64).pow(3)) % 65536;
            assert_eq!(u16::from_ne_bytes([out[i], out[i + 1]]) as u64, want);
        }
        last = out;
    }
    if write {
        let src = last;
        let meta = arr.metadata().to_string();
        let wdir = std::env::temp_dir().join(format!("forder-write-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&wdir);
        let wstore: zarrio::StoreRef = Arc::new(zarrio::FilesystemStore::new(&wdir).unwrap());
        let w = zarrio::Array::create(wstore, "w", &meta).unwrap();
        times.clear();
        for _ in 0..reps + 1 {
            let t = Instant::now();
            w.write_region(&[0, 0, 0], &shape, &src, Some(&strides))
                .unwrap();
            times.push(t.elapsed().as_secs_f64());
        }
        let mut back = vec![0u8; total];
        w.read_region(&[0, 0, 0], &shape, &mut back, Some(&strides))
            .unwrap();
        assert!(back == src, "the written array reads back different");
        let _ = std::fs::remove_dir_all(&wdir);
    }
    let mut t = times[1..].to_vec();
    t.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "{ds} {order} {} median {:.4}",
        if write { "write" } else { "read" },
        t[t.len() / 2]
    );
}
