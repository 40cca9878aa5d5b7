//! The floor: what the hardware allows on the same data.
//!
//! `memcpy`: copy the decoded bytes (preloaded) into a freshly allocated
//! buffer, split over `concurrency` threads.
//! `zstd` (datasets Z, S, small): decompress every zstd frame of the
//! dataset (for S, every inner chunk; compressed bytes preloaded) into one
//! fresh output buffer, chunk after chunk (no scatter into C order),
//! `concurrency` threads pulling chunks from a shared counter.
//! The `floor` implementation is `memcpy` for U and `zstd` otherwise; its
//! round trip adds the matching encode (a second copy, or zstd level 0
//! compression of every chunk), with no file I/O.

use crate::common::*;
use std::path::Path;

/// (region, compressed bytes) of every zstd frame of the dataset.
fn load_frames(d: Dataset, dir: &Path, n: u64) -> R<Vec<(Region, Vec<u8>)>> {
    let root = d.path(dir);
    let c = d.chunk();
    let mut out = Vec::new();
    for r in regions(n, c) {
        let key = root.join(format!("c/{}/{}/{}", r.start[0] / c, r.start[1] / c, r.start[2] / c));
        let bytes = std::fs::read(&key).map_err(|e| format!("{}: {e}", key.display()))?;
        if d != Dataset::S {
            out.push((r, bytes));
            continue;
        }
        // Shard: index of (offset, nbytes) u64 pairs + crc32c at the end.
        let inner = d.inner();
        let g = c / inner;
        let entries = (g * g * g) as usize;
        let index_len = entries * 16 + 4;
        let index = &bytes[bytes.len() - index_len..];
        let mut j = 0;
        for a in 0..g {
            for b in 0..g {
                for cc in 0..g {
                    let off = u64::from_le_bytes(index[j * 16..j * 16 + 8].try_into().unwrap()) as usize;
                    let len = u64::from_le_bytes(index[j * 16 + 8..j * 16 + 16].try_into().unwrap()) as usize;
                    j += 1;
                    if off == usize::MAX {
                        return Err("floor: empty inner chunk in S".into());
                    }
                    let reg = Region { start: [r.start[0] + a * inner, r.start[1] + b * inner, r.start[2] + cc * inner], edge: inner };
                    out.push((reg, bytes[off..off + len].to_vec()));
                }
            }
        }
    }
    Ok(out)
}

fn par_memcpy(dst: &mut Buf, src: &[u8], threads: usize) {
    let len = src.len();
    let part = len.div_ceil(threads);
    let dptr = dst.as_mut_ptr() as usize;
    std::thread::scope(|s| {
        for t in 0..threads {
            let lo = (t * part).min(len);
            let hi = ((t + 1) * part).min(len);
            let src = &src[lo..hi];
            s.spawn(move || unsafe { std::ptr::copy_nonoverlapping(src.as_ptr(), (dptr as *mut u8).add(lo), hi - lo) });
        }
    });
}

fn decompress_all(frames: &[(Region, Vec<u8>)], threads: usize) -> R<Buf> {
    let total: usize = frames.iter().map(|(r, _)| r.bytes()).sum();
    let each = frames[0].0.bytes();
    let mut out = Buf::new(total);
    let base = out.as_mut_ptr() as usize;
    let ctx = thread_local_decompressor();
    parallel_for(threads, frames.len(), |k| {
        let dst = unsafe { std::slice::from_raw_parts_mut((base as *mut u8).add(k * each), each) };
        let got = ctx(&frames[k].1, dst)?;
        if got != each {
            return Err(format!("floor: frame {k} decoded to {got} bytes, not {each}"));
        }
        Ok(())
    })?;
    Ok(out)
}

fn thread_local_decompressor() -> impl Fn(&[u8], &mut [u8]) -> R<usize> + Sync {
    thread_local! {
        static D: std::cell::RefCell<zstd::bulk::Decompressor<'static>> =
            std::cell::RefCell::new(zstd::bulk::Decompressor::new().unwrap());
    }
    |src: &[u8], dst: &mut [u8]| D.with(|d| d.borrow_mut().decompress_to_buffer(src, dst).map_err(|e| e.to_string()))
}

fn compress_all(buf: &Buf, regions: &[Region], threads: usize) -> R<usize> {
    thread_local! {
        static C: std::cell::RefCell<zstd::bulk::Compressor<'static>> =
            std::cell::RefCell::new(zstd::bulk::Compressor::new(0).unwrap());
    }
    let each = regions[0].bytes();
    let total = std::sync::atomic::AtomicUsize::new(0);
    let outs = std::sync::Mutex::new(Vec::with_capacity(regions.len()));
    parallel_for(threads, regions.len(), |k| {
        let src = &buf.as_slice()[k * each..(k + 1) * each];
        let v = C.with(|c| c.borrow_mut().compress(src)).map_err(|e| e.to_string())?;
        total.fetch_add(v.len(), std::sync::atomic::Ordering::Relaxed);
        outs.lock().unwrap().push(v);
        Ok(())
    })?;
    Ok(total.into_inner())
}

pub fn run(spec: &RunSpec, memcpy_only: bool) -> R<serde_json::Value> {
    let (n, d, c) = (spec.n, spec.dataset, spec.concurrency.max(1));
    let no_prep = |_| Ok(());
    let roundtrip = match spec.workload {
        Workload::ReadAll => false,
        Workload::Roundtrip => true,
        w => return Err(format!("floor: workload {} not measured (use read_all / roundtrip)", w.name())),
    };
    if memcpy_only || !d.compressed() {
        let src = crate::datasets::reference_bytes(n);
        let note = format!("memcpy of the decoded bytes into a fresh buffer, {c} thread(s){}", if roundtrip { ", twice (read + write copy)" } else { "" });
        return measure(spec, &note, no_prep, |_| {
            let mut b = Buf::new(src.len());
            par_memcpy(&mut b, &src, c);
            if roundtrip {
                let mut w = Buf::new(src.len());
                par_memcpy(&mut w, b.as_slice(), c);
                std::hint::black_box(&w);
            }
            Ok(Output::Full(b))
        });
    }
    let frames = load_frames(d, &spec.dir, n)?;
    let regions: Vec<Region> = frames.iter().map(|f| f.0).collect();
    let note = format!(
        "zstd decompress of {} preloaded frames into one fresh buffer{}, {c} thread(s)",
        frames.len(),
        if roundtrip { " + zstd level 0 compress of each" } else { "" }
    );
    measure(spec, &note, no_prep, |_| {
        let out = decompress_all(&frames, c)?;
        if roundtrip {
            std::hint::black_box(compress_all(&out, &regions, c)?);
        }
        Ok(Output::Chunked(out, regions.clone()))
    })
}
