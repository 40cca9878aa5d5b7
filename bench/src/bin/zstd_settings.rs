//! zstd level 0 as zarrio compresses (no block pre-splitting) against
//! zstd's own defaults for the level (1.5.7 pre-splits blocks at the
//! double-fast levels), on array chunks: compression ratio and
//! single-thread speed, each the median of `reps` runs over every chunk.
//!
//! usage: zstd_settings [reps]

use std::time::Instant;
use zarrio::codec::zstd_compressor::{compress_bound, Compressor};

// The harness's reference values, regions and median.
#[allow(dead_code)]
#[path = "../common.rs"]
mod common;

/// The benchmark array at N = 512 cut into chunks of `edge`, each C order,
/// little-endian `uint16`.
fn bench_chunks(edge: u64) -> Vec<Vec<u8>> {
    common::regions(512, edge)
        .iter()
        .map(|r| {
            let mut v = Vec::with_capacity(r.bytes());
            for z in r.start[0]..r.start[0] + edge {
                for y in r.start[1]..r.start[1] + edge {
                    for x in r.start[2]..r.start[2] + edge {
                        v.extend_from_slice(&common::value(z, y, x).to_le_bytes());
                    }
                }
            }
            v
        })
        .collect()
}

/// A 256^3 `float32` chunk of a smooth field (a simulation's output).
fn smooth_f32() -> Vec<u8> {
    let n = 256usize;
    let mut v = Vec::with_capacity(n * n * n * 4);
    for z in 0..n {
        for y in 0..n {
            for x in 0..n {
                let f = (x as f32 * 0.05).sin() * (y as f32 * 0.03).cos() + z as f32 * 0.001;
                v.extend_from_slice(&f.to_le_bytes());
            }
        }
    }
    v
}

/// A 256^3 `int32` chunk: a product field with low-bit noise (a cheap
/// xorshift, fixed seed).
fn noisy_i32() -> Vec<u8> {
    let n = 256i64;
    let mut s = 0x2545_f491_4f6c_dd1du64;
    let mut v = Vec::with_capacity((n * n * n * 4) as usize);
    for z in 0..n {
        for y in 0..n {
            for x in 0..n {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                let val = (x * y - z * 7 + (s % 3) as i64) as i32;
                v.extend_from_slice(&val.to_le_bytes());
            }
        }
    }
    v
}

/// (compressed bytes, median seconds) for compressing every chunk once.
fn measure(
    chunks: &[Vec<u8>],
    reps: usize,
    mut compress: impl FnMut(&[u8], &mut [u8]) -> usize,
) -> (usize, f64) {
    let mut out = vec![0u8; compress_bound(chunks[0].len())];
    let mut bytes = 0;
    let times: Vec<f64> = (0..reps)
        .map(|_| {
            bytes = 0;
            let t = Instant::now();
            for c in chunks {
                bytes += compress(c, &mut out);
            }
            t.elapsed().as_secs_f64()
        })
        .collect();
    (bytes, common::median(&times))
}

fn main() {
    let reps: usize = std::env::args()
        .nth(1)
        .map(|s| s.parse().expect("reps"))
        .unwrap_or(3);
    let samples: Vec<(&str, Vec<Vec<u8>>)> = vec![
        ("benchmark uint16, 256^3 chunks (N=512)", bench_chunks(256)),
        ("benchmark uint16, 64^3 chunks (N=512)", bench_chunks(64)),
        ("benchmark uint16, 32^3 chunks (N=512)", bench_chunks(32)),
        ("smooth float32 field, one 256^3 chunk", vec![smooth_f32()]),
        ("int32 product + noise, one 256^3 chunk", vec![noisy_i32()]),
    ];
    println!("| data | MB | zstd default: ratio | MB/s | zarrio: ratio | MB/s | speed-up | size change |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for (name, chunks) in &samples {
        let raw: usize = chunks.iter().map(|c| c.len()).sum();
        // zstd's own level 3 (= level 0): the pre-splitter on.
        let mut zc = zstd::bulk::Compressor::new(3).unwrap();
        let (zb, zt) = measure(chunks, reps, |src, dst| {
            zc.compress_to_buffer(src, dst).unwrap()
        });
        let mut oc = Compressor::new(0, false).unwrap();
        let (ob, ot) = measure(chunks, reps, |src, dst| oc.compress(src, dst).unwrap());
        let mb = raw as f64 / 1e6;
        println!(
            "| {name} | {mb:.0} | {:.3} | {:.0} | {:.3} | {:.0} | {:.2}x | {:+.1}% |",
            raw as f64 / zb as f64,
            mb / zt,
            raw as f64 / ob as f64,
            mb / ot,
            zt / ot,
            (ob as f64 / zb as f64 - 1.0) * 100.0
        );
    }
}
