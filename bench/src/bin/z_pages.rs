//! Experiment: decoding the Z dataset (256^3 zstd chunks of a uint16 cube)
//! into a fresh C-order destination, three ways, interleaved:
//!
//!     z_pages DIR REPS
//!
//! - `floor`: each chunk decoded whole into its own contiguous 32 MiB of
//!   the destination (the benchmark's zstd floor);
//! - `populate+stream`: the destination faulted in first (both threads),
//!   then each thread decodes whole chunks plane by plane and places each
//!   plane's rows (zarrio's way, with ordinary copies);
//! - `page-at-once`: no fault-in first; each thread owns slabs of chunks
//!   that share their z range and decodes all of a slab's chunks side by
//!   side, one destination huge page (its planes across the whole slab) at
//!   a time, so that each page is written while the kernel's zeroing of it
//!   is still in the cache.
//!
//! The compressed chunks are preloaded; no file I/O is timed.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;
use zstd::zstd_safe::{DCtx, InBuffer, OutBuffer};

const HUGE: usize = 2 << 20;

struct Dest {
    ptr: *mut u8,
    len: usize,
}
unsafe impl Send for Dest {}
unsafe impl Sync for Dest {}

impl Dest {
    fn new(len: usize) -> Dest {
        let map = len + HUGE;
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                map,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        } as *mut u8;
        assert!(p as isize != -1);
        let a = ((p as usize + HUGE - 1) & !(HUGE - 1)) as *mut u8;
        unsafe { libc::madvise(a as *mut _, len, libc::MADV_HUGEPAGE) };
        // Keep the whole mapping so drop can unmap it: record the base.
        BASES.with(|b| b.borrow_mut().push((p as usize, map)));
        Dest { ptr: a, len }
    }
    /// `len` bytes at `at`. Threads take disjoint ranges only, so no two
    /// of these slices overlap while both are alive.
    #[allow(clippy::mut_from_ref)]
    fn range(&self, at: usize, len: usize) -> &mut [u8] {
        assert!(at + len <= self.len);
        unsafe { std::slice::from_raw_parts_mut(self.ptr.add(at), len) }
    }
}

thread_local! {
    static BASES: std::cell::RefCell<Vec<(usize, usize)>> = const { std::cell::RefCell::new(Vec::new()) };
}

fn free_all() {
    BASES.with(|b| {
        for (p, n) in b.borrow_mut().drain(..) {
            unsafe { libc::munmap(p as *mut _, n) };
        }
    });
}

fn two<F: Fn(usize) + Sync>(f: F) {
    std::thread::scope(|s| {
        let f = &f;
        let h = s.spawn(move || f(1));
        f(0);
        h.join().unwrap();
    });
}

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let dir = &a[1];
    let reps: usize = a[2].parse().unwrap();
    let meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(format!("{dir}/Z.zarr/zarr.json")).unwrap()).unwrap();
    let n = meta["shape"][0].as_u64().unwrap() as usize;
    let c = 256usize;
    let g = n / c;
    let mut chunks = vec![];
    for z in 0..g {
        for y in 0..g {
            for x in 0..g {
                chunks.push(std::fs::read(format!("{dir}/Z.zarr/c/{z}/{y}/{x}")).unwrap());
            }
        }
    }
    let total = n * n * n * 2;
    let row = c * 2; // bytes of one chunk row
    let plane_c = c * c * 2; // bytes of one chunk plane
    let dplane = n * n * 2; // bytes of one destination plane
    let planes_per_page = (HUGE / dplane).max(1);

    let floor = |d: &Dest| {
        let next = AtomicUsize::new(0);
        two(|_| {
            let mut dctx = DCtx::create();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= chunks.len() {
                    break;
                }
                let out = d.range(i * c * c * c * 2, c * c * c * 2);
                dctx.decompress(out, &chunks[i]).unwrap();
            }
        });
    };

    // Decode `planes` chunk planes of chunk (z, y, x) with `dctx` into
    // `buf`, then place them at destination plane `p0`.
    let place = |dst: &Dest, buf: &[u8], p0: usize, y: usize, x: usize, planes: usize| {
        for p in 0..planes {
            for r in 0..c {
                let s = p * plane_c + r * row;
                let o = (p0 + p) * dplane + (y * c + r) * n * 2 + x * row;
                dst.range(o, row).copy_from_slice(&buf[s..s + row]);
            }
        }
    };
    let decode = |dctx: &mut DCtx, input: &mut InBuffer, buf: &mut [u8]| {
        let mut out = OutBuffer::around(buf);
        while out.pos() < out.capacity() {
            dctx.decompress_stream(&mut out, input).unwrap();
        }
    };

    let populate_stream = |d: &Dest| {
        two(|t| {
            let half = d.len / 2;
            d.range(t * half, half)
                .iter_mut()
                .step_by(4096)
                .for_each(|b| *b = 0);
        });
        let next = AtomicUsize::new(0);
        two(|_| {
            let mut dctx = DCtx::create();
            let mut buf = vec![0u8; plane_c];
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= chunks.len() {
                    break;
                }
                let (z, y, x) = (i / (g * g), i / g % g, i % g);
                dctx.init().unwrap();
                let mut input = InBuffer::around(&chunks[i]);
                for p in 0..c {
                    decode(&mut dctx, &mut input, &mut buf);
                    place(d, &buf, z * c + p, y, x, 1);
                }
            }
        });
    };

    let page_at_once = |d: &Dest| {
        let next = AtomicUsize::new(0);
        two(|_| {
            let mut dctxs: Vec<DCtx> = (0..g * g).map(|_| DCtx::create()).collect();
            let mut buf = vec![0u8; plane_c * planes_per_page];
            loop {
                let z = next.fetch_add(1, Ordering::Relaxed);
                if z >= g {
                    break;
                }
                let mut inputs: Vec<InBuffer> = (0..g * g)
                    .map(|k| InBuffer::around(&chunks[z * g * g + k]))
                    .collect();
                for dc in dctxs.iter_mut() {
                    dc.init().unwrap();
                }
                let mut p = 0;
                while p < c {
                    let planes = planes_per_page.min(c - p);
                    for k in 0..g * g {
                        let b = &mut buf[..planes * plane_c];
                        decode(&mut dctxs[k], &mut inputs[k], b);
                        place(d, b, z * c + p, k / g, k % g, planes);
                    }
                    p += planes;
                }
            }
        });
    };

    type Way<'a> = (&'a str, &'a dyn Fn(&Dest));
    let ways: [Way; 3] = [
        ("floor", &floor),
        ("populate+stream", &populate_stream),
        ("page-at-once", &page_at_once),
    ];
    let mut times = vec![vec![]; ways.len()];
    for rep in 0..reps + 1 {
        for (w, (_, f)) in ways.iter().enumerate() {
            let d = Dest::new(total);
            let t = Instant::now();
            f(&d);
            let e = t.elapsed().as_secs_f64();
            if rep > 0 {
                times[w].push(e);
            }
            // Spot check C order (the floor is chunk order: skip it).
            if w > 0 {
                let s = d.range(0, total);
                let (z, y, x) = (n - 1, n - 2, n - 3);
                let i = ((z * n + y) * n + x) * 2;
                let want = (x + y * y / 32 + z * z * z) % 65536;
                assert_eq!(u16::from_le_bytes([s[i], s[i + 1]]) as usize, want);
            }
            free_all();
        }
    }
    for (w, (name, _)) in ways.iter().enumerate() {
        let mut t = times[w].clone();
        t.sort_by(|a, b| a.partial_cmp(b).unwrap());
        println!(
            "{name:16} median {:.4} s  min {:.4}  max {:.4}",
            t[t.len() / 2],
            t[0],
            t[t.len() - 1]
        );
    }
}
