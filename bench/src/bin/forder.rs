//! Temporary experiment (not committed): read_all in C order vs F order.
use std::sync::Arc;
use std::time::Instant;
fn main() {
    let a: Vec<String> = std::env::args().collect();
    let dir = &a[1];
    let ds = &a[2];
    let order = &a[3];
    let reps: usize = a[4].parse().unwrap();
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
    let mut times = vec![];
    for _ in 0..reps + 1 {
        let t = Instant::now();
        let mut out: Vec<u8> = Vec::with_capacity(total);
        unsafe { out.set_len(total) };
        arr.read_region(&[0, 0, 0], &shape, &mut out, Some(&strides))
            .unwrap();
        times.push(t.elapsed().as_secs_f64());
        // spot check
        let v = unsafe { std::slice::from_raw_parts(out.as_ptr() as *const u16, n * n * n) };
        for &(z, y, x) in &[
            (1usize, 2usize, 3usize),
            (n - 1, n - 2, n - 3),
            (7, 300 % n, 100),
        ] {
            let i = if order == "F" {
                z + y * n + x * n * n
            } else {
                (z * n + y) * n + x
            };
            let e = (x as u64 + (y * y / 32) as u64 + (z as u64).pow(3)) % 65536;
            assert_eq!(v[i] as u64, e);
        }
    }
    if a.get(5).is_some_and(|w| w == "write") {
        // Write everything from a buffer in this order into a new array
        // with the same metadata.
        let mut src: Vec<u8> = Vec::with_capacity(total);
        unsafe { src.set_len(total) };
        arr.read_region(&[0, 0, 0], &shape, &mut src, Some(&strides))
            .unwrap();
        let meta = arr.metadata().to_string();
        let wdir = format!("/tmp/forder-write-{}", std::process::id());
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
        let mut back: Vec<u8> = vec![0; total];
        w.read_region(&[0, 0, 0], &shape, &mut back, Some(&strides))
            .unwrap();
        assert!(back == src);
        let _ = std::fs::remove_dir_all(&wdir);
    }
    let mut t = times[1..].to_vec();
    t.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "{ds} {order} {} median {:.4}",
        a.get(5).map(|s| s.as_str()).unwrap_or("read"),
        t[t.len() / 2]
    );
}
