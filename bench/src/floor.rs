//! The floor: what the hardware allows on the same data.
//!
//! `memcpy`: copy the decoded bytes (preloaded) into a freshly allocated
//! buffer, split over `concurrency` threads.
//! `zstd` (datasets Z, S, small): decompress every zstd frame of the
//! dataset (for S, every inner chunk; compressed bytes preloaded) into one
//! fresh output buffer, chunk after chunk (no scatter into C order),
//! `concurrency` threads pulling chunks from a shared counter.
//! Destinations are 2 MiB aligned and advised for transparent huge pages
//! (MADV_HUGEPAGE, as numpy does for large arrays); `memcpy_malloc` is the
//! memcpy into plain malloc-like memory, for comparison.
//! `memcpy_place`: the same bytes preloaded chunk by chunk (each decoded
//! chunk, or inner chunk for S, contiguous) and copied row by row into a
//! fresh C-order destination: the memory copy a C-order read cannot avoid
//! when chunks are not contiguous in the output. Rows of whole 64-byte lines
//! (all of them here: the buffer is 2 MiB aligned, rows 64, 128 or 512
//! bytes) are written with streaming stores, as zarrio places rows into
//! large destinations, so the copy does not first fetch every line it
//! overwrites. Shown beside the floor, not used as it.
//! The `floor` implementation is `memcpy` for U and `zstd` otherwise; its
//! round trip adds the matching encode (a second copy, or zstd level 0
//! compression of every chunk with zarrio's settings, into a reused
//! buffer), with no file I/O.

use crate::common::*;
use std::path::Path;

/// (region, compressed bytes) of every zstd frame of the dataset.
fn load_frames(d: Dataset, dir: &Path, n: u64) -> R<Vec<(Region, Vec<u8>)>> {
    let mut out = Vec::new();
    for r in regions(n, d.chunk()) {
        let key = chunk_file(d, dir, &r);
        let bytes = std::fs::read(&key).map_err(|e| format!("{}: {e}", key.display()))?;
        if d != Dataset::S {
            out.push((r, bytes));
            continue;
        }
        for (reg, range) in shard_frames(d, &r, &bytes)? {
            out.push((reg, bytes[range].to_vec()));
        }
    }
    Ok(out)
}

/// The inner chunks of shard `r` (bytes `bytes`): region and byte range,
/// in the order of the shard index (C order of the inner grid).
fn shard_frames(d: Dataset, r: &Region, bytes: &[u8]) -> R<Vec<(Region, std::ops::Range<usize>)>> {
    // Index of (offset, nbytes) u64 pairs + crc32c at the end.
    let inner = d.inner();
    let g = d.chunk() / inner;
    let entries = (g * g * g) as usize;
    let index_len = entries * 16 + 4;
    let index = &bytes[bytes.len() - index_len..];
    let mut out = Vec::with_capacity(entries);
    let mut j = 0;
    for a in 0..g {
        for b in 0..g {
            for cc in 0..g {
                let off = u64::from_le_bytes(index[j * 16..j * 16 + 8].try_into().unwrap());
                let len = u64::from_le_bytes(index[j * 16 + 8..j * 16 + 16].try_into().unwrap());
                j += 1;
                if off == u64::MAX {
                    return Err("floor: empty inner chunk in S".into());
                }
                let reg = Region {
                    start: [
                        r.start[0] + a * inner,
                        r.start[1] + b * inner,
                        r.start[2] + cc * inner,
                    ],
                    edge: inner,
                };
                out.push((reg, off as usize..(off + len) as usize));
            }
        }
    }
    Ok(out)
}

fn chunk_file(d: Dataset, dir: &Path, r: &Region) -> std::path::PathBuf {
    let c = d.chunk();
    d.path(dir).join(format!(
        "c/{}/{}/{}",
        r.start[0] / c,
        r.start[1] / c,
        r.start[2] / c
    ))
}

/// `floor_io`: the least a Zarr reader must do from the page cache: read
/// every chunk file (U: straight into the output; otherwise into a reused
/// per-thread buffer, then zstd-decompress its frames into the output), `threads`
/// workers pulling files from a shared counter. Output in chunk layout.
pub fn run_io(spec: &RunSpec) -> R<serde_json::Value> {
    use std::io::Read;
    let (n, d, c) = (spec.n, spec.dataset, spec.concurrency.max(1));
    if spec.workload != Workload::ReadAll {
        return Err("floor_io: read_all only".into());
    }
    let files = regions(n, d.chunk());
    let each = files[0].bytes();
    // Output order: per file, its frames in index order.
    let mut out_regions = Vec::new();
    for r in &files {
        if d == Dataset::S {
            out_regions.extend(
                crate::common::regions(d.chunk(), d.inner())
                    .into_iter()
                    .map(|q| Region {
                        start: [
                            r.start[0] + q.start[0],
                            r.start[1] + q.start[1],
                            r.start[2] + q.start[2],
                        ],
                        edge: q.edge,
                    }),
            );
        } else {
            out_regions.push(*r);
        }
    }
    let dec = thread_local_decompressor();
    let note = format!(
        "read every chunk file ({}) into a fresh THP-advised buffer, {c} thread(s)",
        if d.compressed() {
            "into a reused per-thread buffer, then zstd decompress each frame"
        } else {
            "read() straight into the output"
        }
    );
    measure(
        spec,
        &note,
        |_| Ok(()),
        |_| {
            let mut out = alloc(n as usize * n as usize * n as usize * 2, true);
            let base = out.as_mut_ptr() as usize;
            parallel_for(c, files.len(), |k| {
                let r = &files[k];
                let path = chunk_file(d, &spec.dir, r);
                let dst = unsafe {
                    std::slice::from_raw_parts_mut((base as *mut u8).add(k * each), each)
                };
                if !d.compressed() {
                    let mut f = std::fs::File::open(&path)
                        .map_err(|e| format!("{}: {e}", path.display()))?;
                    return f.read_exact(dst).map_err(|e| e.to_string());
                }
                thread_local! {
                    static READ_BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
                }
                READ_BUF.with(|cell| {
                    let mut bytes = cell.borrow_mut();
                    bytes.clear();
                    std::fs::File::open(&path)
                        .and_then(|mut f| f.read_to_end(&mut bytes))
                        .map_err(|e| format!("{}: {e}", path.display()))?;
                    let bytes = &bytes[..];
                    if d == Dataset::S {
                        let inner_bytes = (d.inner().pow(3) * 2) as usize;
                        for (j, (_, range)) in shard_frames(d, r, &bytes)?.into_iter().enumerate() {
                            dec(
                                &bytes[range],
                                &mut dst[j * inner_bytes..(j + 1) * inner_bytes],
                            )?;
                        }
                        Ok(())
                    } else {
                        dec(bytes, dst).map(|_| ())
                    }
                })
            })?;
            Ok(Output::Chunked(out, out_regions.clone()))
        },
    )
}

/// `memcpy_place` (see the module doc), read_all only.
pub fn run_place(spec: &RunSpec) -> R<serde_json::Value> {
    let (n, d, c) = (spec.n, spec.dataset, spec.concurrency.max(1));
    if spec.workload != Workload::ReadAll {
        return Err("memcpy_place: read_all only".into());
    }
    let edge = if d == Dataset::S {
        d.inner()
    } else {
        d.chunk()
    };
    let units = regions(n, edge);
    let full = crate::datasets::reference_bytes(n);
    let (nn, e) = (n as usize, edge as usize);
    // Decoded chunks back to back, each in C order: the input a chunked
    // reader has once it has decoded everything.
    let mut chunked = Vec::with_capacity(full.len());
    for r in &units {
        let [z0, y0, x0] = r.start.map(|v| v as usize);
        for z in z0..z0 + e {
            for y in y0..y0 + e {
                let at = ((z * nn + y) * nn + x0) * 2;
                chunked.extend_from_slice(&full[at..at + e * 2]);
            }
        }
    }
    drop(full);
    let each = units[0].bytes();
    let note = format!(
        "copy of {} preloaded decoded chunks ({edge}^3) row by row with streaming stores into a fresh THP-advised C-order buffer, {c} thread(s)",
        units.len()
    );
    measure(
        spec,
        &note,
        |_| Ok(()),
        |_| {
            let mut out = alloc(chunked.len(), true);
            let base = out.as_mut_ptr() as usize;
            parallel_for(c, units.len(), |k| {
                let [z0, y0, x0] = units[k].start.map(|v| v as usize);
                let mut src = &chunked[k * each..(k + 1) * each];
                for z in z0..z0 + e {
                    for y in y0..y0 + e {
                        let at = ((z * nn + y) * nn + x0) * 2;
                        // SAFETY: each (z, y) row segment of each chunk is a
                        // distinct in-bounds range of `out`; threads write
                        // disjoint chunks.
                        unsafe {
                            copy_row_streaming(src.as_ptr(), (base as *mut u8).add(at), e * 2)
                        };
                        src = &src[e * 2..];
                    }
                }
                #[cfg(target_arch = "x86_64")]
                // SAFETY: no operands; orders this thread's streaming stores
                // before it reports the chunk done.
                unsafe {
                    std::arch::x86_64::_mm_sfence()
                };
                Ok(())
            })?;
            Ok(Output::Full(out))
        },
    )
}

/// Copy one row, with SSE2 streaming stores when it is whole 64-byte lines
/// starting on a line boundary (the caller fences before the bytes are
/// read by another thread).
///
/// # Safety
/// `src` readable and `dst` writable for `n` bytes, not overlapping.
unsafe fn copy_row_streaming(src: *const u8, dst: *mut u8, n: usize) {
    #[cfg(target_arch = "x86_64")]
    if dst as usize % 64 == 0 && n % 64 == 0 {
        use std::arch::x86_64::{__m128i, _mm_loadu_si128, _mm_stream_si128};
        for i in (0..n).step_by(64) {
            let (s, d) = (src.add(i) as *const __m128i, dst.add(i) as *mut __m128i);
            let v = [0, 1, 2, 3].map(|k| _mm_loadu_si128(s.add(k)));
            for (k, v) in v.into_iter().enumerate() {
                _mm_stream_si128(d.add(k), v);
            }
        }
        return;
    }
    std::ptr::copy_nonoverlapping(src, dst, n);
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
            s.spawn(move || unsafe {
                std::ptr::copy_nonoverlapping(src.as_ptr(), (dptr as *mut u8).add(lo), hi - lo)
            });
        }
    });
}

fn decompress_all(frames: &[(Region, Vec<u8>)], threads: usize) -> R<Buf> {
    let total: usize = frames.iter().map(|(r, _)| r.bytes()).sum();
    let each = frames[0].0.bytes();
    let mut out = alloc(total, true);
    let base = out.as_mut_ptr() as usize;
    let ctx = thread_local_decompressor();
    parallel_for(threads, frames.len(), |k| {
        let dst = unsafe { std::slice::from_raw_parts_mut((base as *mut u8).add(k * each), each) };
        let got = ctx(&frames[k].1, dst)?;
        if got != each {
            return Err(format!(
                "floor: frame {k} decoded to {got} bytes, not {each}"
            ));
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
    |src: &[u8], dst: &mut [u8]| {
        D.with(|d| {
            d.borrow_mut()
                .decompress_to_buffer(src, dst)
                .map_err(|e| e.to_string())
        })
    }
}

fn compress_all(buf: &Buf, regions: &[Region], threads: usize) -> R<usize> {
    use zarrio::codec::zstd_compressor::{compress_bound, Compressor};
    thread_local! {
        // zstd level 0 as zarrio configures it, into a reused worst-case
        // buffer (a fresh one per chunk would add its page faults).
        static C: std::cell::RefCell<(Compressor, Vec<u8>)> =
            std::cell::RefCell::new((Compressor::new(0, false).unwrap(), Vec::new()));
    }
    let each = regions[0].bytes();
    let total = std::sync::atomic::AtomicUsize::new(0);
    parallel_for(threads, regions.len(), |k| {
        let src = &buf.as_slice()[k * each..(k + 1) * each];
        let n = C
            .with(|c| {
                let (c, out) = &mut *c.borrow_mut();
                out.resize(compress_bound(src.len()), 0);
                c.compress(src, out)
            })
            .map_err(|e| e.to_string())?;
        total.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    })?;
    Ok(total.into_inner())
}

fn alloc(len: usize, thp: bool) -> Buf {
    if thp {
        Buf::new_thp(len)
    } else {
        Buf::new(len)
    }
}

/// `memcpy_only`: memcpy whatever the dataset; `thp`: huge-page-advised
/// destinations (the floor proper) or plain malloc-like ones.
pub fn run(spec: &RunSpec, memcpy_only: bool, thp: bool) -> R<serde_json::Value> {
    let (n, d, c) = (spec.n, spec.dataset, spec.concurrency.max(1));
    let no_prep = |_| Ok(());
    let roundtrip = match spec.workload {
        Workload::ReadAll => false,
        Workload::Roundtrip => true,
        w => {
            return Err(format!(
                "floor: workload {} not measured (use read_all / roundtrip)",
                w.name()
            ))
        }
    };
    if memcpy_only || !d.compressed() {
        let src = crate::datasets::reference_bytes(n);
        let note = format!(
            "memcpy of the decoded bytes into a fresh {} buffer, {c} thread(s){}",
            if thp {
                "THP-advised"
            } else {
                "malloc'd (no THP advice)"
            },
            if roundtrip {
                ", twice (read + write copy)"
            } else {
                ""
            }
        );
        return measure(spec, &note, no_prep, |_| {
            let mut b = alloc(src.len(), thp);
            par_memcpy(&mut b, &src, c);
            if roundtrip {
                let mut w = alloc(src.len(), thp);
                par_memcpy(&mut w, b.as_slice(), c);
                std::hint::black_box(&w);
            }
            Ok(Output::Full(b))
        });
    }
    let frames = load_frames(d, &spec.dir, n)?;
    let regions: Vec<Region> = frames.iter().map(|f| f.0).collect();
    let note = format!(
        "zstd decompress of {} preloaded frames into one fresh THP-advised buffer{}, {c} thread(s)",
        frames.len(),
        if roundtrip {
            " + zstd level 0 compress of each (zarrio's settings, reused output buffer)"
        } else {
            ""
        }
    );
    measure(spec, &note, no_prep, |_| {
        let out = decompress_all(&frames, c)?;
        if roundtrip {
            std::hint::black_box(compress_all(&out, &regions, c)?);
        }
        Ok(Output::Chunked(out, regions.clone()))
    })
}
