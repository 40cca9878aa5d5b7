//! zarrio, called only through its C API (the `extern "C"` functions of
//! `zarrio::ffi`, exactly what a C program links against).

use crate::common::*;
use std::ffi::{c_void, CStr, CString};
use std::ptr;
use zarrio::ffi::array::*;
use zarrio::ffi::error::zarrio_last_error;
use zarrio::ffi::memory::zarrio_string_free;
use zarrio::ffi::store::*;
use zarrio::ffi::version::{zarrio_set_huge_pages, zarrio_set_threads};

fn check(st: i32, what: &str) -> R<()> {
    if st == 0 {
        Ok(())
    } else {
        let msg = unsafe { CStr::from_ptr(zarrio_last_error()) }
            .to_string_lossy()
            .into_owned();
        Err(format!("zarrio: {what} failed with status {st}: {msg}"))
    }
}

struct Store(*mut zarrio_store);
impl Drop for Store {
    fn drop(&mut self) {
        unsafe { zarrio_store_free(self.0) }
    }
}
struct Arr(*mut zarrio_array);
unsafe impl Send for Arr {}
unsafe impl Sync for Arr {}
impl Drop for Arr {
    fn drop(&mut self) {
        unsafe { zarrio_array_free(self.0) }
    }
}

fn open_store(path: &std::path::Path) -> R<Store> {
    let p = CString::new(path.to_str().unwrap()).unwrap();
    let mut s = ptr::null_mut();
    check(
        unsafe { zarrio_store_open_filesystem(p.as_ptr(), &mut s) },
        "store_open_filesystem",
    )?;
    Ok(Store(s))
}

fn open(path: &std::path::Path) -> R<Arr> {
    let store = open_store(path)?;
    let mut a = ptr::null_mut();
    let root = CString::new("").unwrap();
    check(
        unsafe { zarrio_array_open(store.0, root.as_ptr(), &mut a) },
        "array_open",
    )?;
    Ok(Arr(a))
}

fn read_region(a: &Arr, r: &Region, b: &mut Buf) -> R<()> {
    read_region_into(a, r, b, None)
}

/// `zarrio_array_read` of `r` into `b`, laid out by element `strides`
/// (None: C order).
fn read_region_into(a: &Arr, r: &Region, b: &mut Buf, strides: Option<&[i64; 3]>) -> R<()> {
    let shape = r.shape();
    check(
        unsafe {
            zarrio_array_read(
                a.0,
                3,
                r.start.as_ptr(),
                shape.as_ptr(),
                b.as_mut_ptr() as *mut c_void,
                b.len(),
                strides.map_or(ptr::null(), |s| s.as_ptr()),
            )
        },
        "array_read",
    )
}

fn read_all(a: &Arr, n: u64) -> R<Buf> {
    read_whole(n, |r, b| read_region(a, r, b))
}

pub fn run(spec: &RunSpec) -> R<serde_json::Value> {
    let (n, d, c) = (spec.n, spec.dataset, spec.concurrency);
    let path = d.path(&spec.dir);
    // The library default (0: one decode thread per core), or the thread
    // count under test.
    check(zarrio_set_threads(spec.lib_threads), "set_threads")?;
    // Diagnostic: ZARRIO_BENCH_HUGE_PAGES=0 turns off the library's
    // huge-page advice on the caller's buffers.
    let advise = std::env::var("ZARRIO_BENCH_HUGE_PAGES").map_or(true, |v| v != "0");
    check(zarrio_set_huge_pages(advise as u32), "set_huge_pages")?;
    let no_prep = |_| Ok(());
    match spec.workload {
        Workload::ReadAll => measure(
            spec,
            "zarrio_array_read of the whole array",
            no_prep,
            |_| {
                let a = open(&path)?;
                Ok(Output::Full(read_all(&a, n)?))
            },
        ),
        Workload::ReadAllF => measure(
            spec,
            "zarrio_array_read of the whole array into a Fortran-order buffer (element strides 1, N, N*N)",
            no_prep,
            |_| {
                let a = open(&path)?;
                let strides = [1i64, n as i64, (n * n) as i64];
                let b = read_whole(n, |r, b| read_region_into(&a, r, b, Some(&strides)))?;
                Ok(Output::FullF(b))
            },
        ),
        Workload::ByChunk | Workload::ByInner => {
            let edge = if spec.workload == Workload::ByChunk {
                d.chunk()
            } else {
                d.inner()
            };
            let units = regions(n, edge);
            let by_chunk = spec.workload == Workload::ByChunk;
            let note = if by_chunk {
                "zarrio_array_read_chunk per chunk"
            } else {
                "zarrio_array_read per inner-chunk region"
            };
            let note = format!(
                "{note}; {}",
                if c > 1 {
                    "array threads 1, N reader threads"
                } else {
                    "array threads = library default"
                }
            );
            measure(spec, &note, no_prep, |_| {
                let a = open(&path)?;
                if c > 1 {
                    check(
                        unsafe { zarrio_array_set_threads(a.0, 1) },
                        "array_set_threads",
                    )?;
                }
                read_units(&units, c, |_, r, b| {
                    if by_chunk {
                        let idx = [r.start[0] / edge, r.start[1] / edge, r.start[2] / edge];
                        check(
                            unsafe {
                                zarrio_array_read_chunk(
                                    a.0,
                                    3,
                                    idx.as_ptr(),
                                    b.as_mut_ptr() as *mut c_void,
                                    b.len(),
                                )
                            },
                            "array_read_chunk",
                        )
                    } else {
                        read_region(&a, r, b)
                    }
                })
            })
        }
        Workload::Roundtrip => {
            let scratch = scratch_copy(spec, "zarrio");
            let r = measure(
                spec,
                "zarrio_array_read all, zarrio_array_create + zarrio_array_write all",
                |_| fresh_copy_dir(&scratch),
                |_| {
                    let a = open(&path)?;
                    let buf = read_all(&a, n)?;
                    let mut meta: *mut std::ffi::c_char = ptr::null_mut();
                    check(
                        unsafe { zarrio_array_metadata(a.0, &mut meta) },
                        "array_metadata",
                    )?;
                    let out_store = open_store(&scratch)?;
                    let mut w = ptr::null_mut();
                    let root = CString::new("").unwrap();
                    let st =
                        unsafe { zarrio_array_create(out_store.0, root.as_ptr(), meta, &mut w) };
                    unsafe { zarrio_string_free(meta) };
                    check(st, "array_create")?;
                    let w = Arr(w);
                    let start = [0u64; 3];
                    let shape = [n; 3];
                    check(
                        unsafe {
                            zarrio_array_write(
                                w.0,
                                3,
                                start.as_ptr(),
                                shape.as_ptr(),
                                buf.as_ptr() as *const c_void,
                                buf.len(),
                                ptr::null(),
                            )
                        },
                        "array_write",
                    )?;
                    Ok(Output::Full(buf))
                },
            );
            let mut v = r?;
            v["copy_checksum"] = crate::imp_zarrs::copy_checksum(&scratch, n)?.into();
            Ok(v)
        }
    }
}
