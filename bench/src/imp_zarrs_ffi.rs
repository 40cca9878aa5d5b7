//! The zarrs_ffi crate's C API, loaded from its shared library
//! (built by `cargo build --release -p zarrs_ffi` into the same target dir).
//! Its read calls decode into zarrs-owned memory and copy into the caller's
//! buffer; it has no concurrency knob (zarrs' defaults: rayon, all cores).

use crate::common::*;
use libloading::{Library, Symbol};
use std::ffi::{c_char, CStr, CString};
use std::ptr;

type H = *mut std::ffi::c_void;

struct Api {
    _lib: &'static Library,
    create_storage: Symbol<'static, unsafe extern "C" fn(*const c_char, *mut H) -> i32>,
    destroy_storage: Symbol<'static, unsafe extern "C" fn(H) -> i32>,
    open_array: Symbol<'static, unsafe extern "C" fn(H, *const c_char, *mut H) -> i32>,
    create_array:
        Symbol<'static, unsafe extern "C" fn(H, *const c_char, *const c_char, *mut H) -> i32>,
    destroy_array: Symbol<'static, unsafe extern "C" fn(H) -> i32>,
    retrieve_subset: Symbol<
        'static,
        unsafe extern "C" fn(H, usize, *const u64, *const u64, usize, *mut u8) -> i32,
    >,
    retrieve_chunk:
        Symbol<'static, unsafe extern "C" fn(H, usize, *const u64, usize, *mut u8) -> i32>,
    store_subset: Symbol<
        'static,
        unsafe extern "C" fn(H, usize, *const u64, *const u64, usize, *const u8) -> i32,
    >,
    store_metadata: Symbol<'static, unsafe extern "C" fn(H) -> i32>,
    metadata_string: Symbol<'static, unsafe extern "C" fn(H, bool, *mut *mut c_char) -> i32>,
    free_string: Symbol<'static, unsafe extern "C" fn(*mut c_char) -> i32>,
    last_error: Symbol<'static, unsafe extern "C" fn() -> *mut c_char>,
}

fn lib_path() -> std::path::PathBuf {
    if let Ok(p) = std::env::var("ZARRS_FFI_LIB") {
        return p.into();
    }
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().join("libzarrs_ffi.so")
}

fn load() -> R<Api> {
    let p = lib_path();
    let lib: &'static Library = Box::leak(Box::new(unsafe { Library::new(&p) }.map_err(|e| {
        format!(
            "zarrs_ffi: cannot load {}: {e} (build it with `cargo build --release -p zarrs_ffi`)",
            p.display()
        )
    })?));
    macro_rules! sym {
        ($name:literal) => {
            unsafe { lib.get($name) }
                .map_err(|e| format!("zarrs_ffi: {}: {e}", String::from_utf8_lossy($name)))?
        };
    }
    Ok(Api {
        _lib: lib,
        create_storage: sym!(b"zarrsCreateStorageFilesystem"),
        destroy_storage: sym!(b"zarrsDestroyStorage"),
        open_array: sym!(b"zarrsOpenArrayRW"),
        create_array: sym!(b"zarrsCreateArrayRW"),
        destroy_array: sym!(b"zarrsDestroyArray"),
        retrieve_subset: sym!(b"zarrsArrayRetrieveSubset"),
        retrieve_chunk: sym!(b"zarrsArrayRetrieveChunk"),
        store_subset: sym!(b"zarrsArrayStoreSubset"),
        store_metadata: sym!(b"zarrsArrayStoreMetadata"),
        metadata_string: sym!(b"zarrsArrayGetMetadataString"),
        free_string: sym!(b"zarrsFreeString"),
        last_error: sym!(b"zarrsLastError"),
    })
}

impl Api {
    fn check(&self, st: i32, what: &str) -> R<()> {
        if st == 0 {
            return Ok(());
        }
        let p = unsafe { (self.last_error)() };
        let msg = if p.is_null() {
            String::new()
        } else {
            unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
        };
        if !p.is_null() {
            unsafe { (self.free_string)(p) };
        }
        Err(format!("zarrs_ffi: {what} failed with {st}: {msg}"))
    }
}

struct Handles<'a> {
    api: &'a Api,
    storage: H,
    array: H,
}
unsafe impl Send for Handles<'_> {}
unsafe impl Sync for Handles<'_> {}
impl Drop for Handles<'_> {
    fn drop(&mut self) {
        unsafe {
            if !self.array.is_null() {
                (self.api.destroy_array)(self.array);
            }
            if !self.storage.is_null() {
                (self.api.destroy_storage)(self.storage);
            }
        }
    }
}

fn storage<'a>(api: &'a Api, path: &std::path::Path) -> R<Handles<'a>> {
    let p = CString::new(path.to_str().unwrap()).unwrap();
    let mut s = ptr::null_mut();
    api.check(
        unsafe { (api.create_storage)(p.as_ptr(), &mut s) },
        "CreateStorageFilesystem",
    )?;
    Ok(Handles {
        api,
        storage: s,
        array: ptr::null_mut(),
    })
}

fn open<'a>(api: &'a Api, path: &std::path::Path) -> R<Handles<'a>> {
    let mut h = storage(api, path)?;
    let root = CString::new("/").unwrap();
    api.check(
        unsafe { (api.open_array)(h.storage, root.as_ptr(), &mut h.array) },
        "OpenArrayRW",
    )?;
    Ok(h)
}

fn read_region(h: &Handles, r: &Region, b: &mut Buf) -> R<()> {
    let shape = r.shape();
    h.api.check(
        unsafe {
            (h.api.retrieve_subset)(
                h.array,
                3,
                r.start.as_ptr(),
                shape.as_ptr(),
                b.len(),
                b.as_mut_ptr(),
            )
        },
        "ArrayRetrieveSubset",
    )
}

fn read_all(h: &Handles, n: u64) -> R<Buf> {
    read_whole(n, |r, b| read_region(h, r, b))
}

pub fn run(spec: &RunSpec) -> R<serde_json::Value> {
    let api = load()?;
    let api = &api;
    let (n, d, c) = (spec.n, spec.dataset, spec.concurrency);
    let path = d.path(&spec.dir);
    let no_prep = |_| Ok(());
    match spec.workload {
        Workload::ReadAllF => {
            Err("read_all_f: zarrs_ffi has no read into a Fortran-order (strided) buffer".into())
        }
        Workload::ReadAll => measure(
            spec,
            "zarrsArrayRetrieveSubset of the whole array",
            no_prep,
            |_| {
                let h = open(api, &path)?;
                Ok(Output::Full(read_all(&h, n)?))
            },
        ),
        Workload::ByChunk | Workload::ByInner => {
            let by_chunk = spec.workload == Workload::ByChunk;
            let edge = if by_chunk { d.chunk() } else { d.inner() };
            let units = regions(n, edge);
            let note = format!(
                "{}; N reader threads, zarrs default codec concurrency inside (no knob in the C API)",
                if by_chunk { "zarrsArrayRetrieveChunk per chunk" } else { "zarrsArrayRetrieveSubset per inner-chunk region" }
            );
            measure(spec, &note, no_prep, |_| {
                let h = open(api, &path)?;
                read_units(&units, c, |_, r, b| {
                    if by_chunk {
                        let idx = [r.start[0] / edge, r.start[1] / edge, r.start[2] / edge];
                        h.api.check(
                            unsafe {
                                (h.api.retrieve_chunk)(
                                    h.array,
                                    3,
                                    idx.as_ptr(),
                                    b.len(),
                                    b.as_mut_ptr(),
                                )
                            },
                            "ArrayRetrieveChunk",
                        )
                    } else {
                        read_region(&h, r, b)
                    }
                })
            })
        }
        Workload::Roundtrip => {
            let scratch = scratch_copy(spec, "zarrs_ffi");
            let mut v = measure(
                spec,
                "zarrsArrayRetrieveSubset all, zarrsCreateArrayRW + zarrsArrayStoreSubset all",
                |_| fresh_copy_dir(&scratch),
                |_| {
                    let h = open(api, &path)?;
                    let buf = read_all(&h, n)?;
                    let mut meta = ptr::null_mut();
                    api.check(
                        unsafe { (api.metadata_string)(h.array, false, &mut meta) },
                        "ArrayGetMetadataString",
                    )?;
                    let mut w = storage(api, &scratch)?;
                    let root = CString::new("/").unwrap();
                    let st =
                        unsafe { (api.create_array)(w.storage, root.as_ptr(), meta, &mut w.array) };
                    unsafe { (api.free_string)(meta) };
                    api.check(st, "CreateArrayRW")?;
                    api.check(
                        unsafe { (api.store_metadata)(w.array) },
                        "ArrayStoreMetadata",
                    )?;
                    let start = [0u64; 3];
                    let shape = [n; 3];
                    api.check(
                        unsafe {
                            (api.store_subset)(
                                w.array,
                                3,
                                start.as_ptr(),
                                shape.as_ptr(),
                                buf.len(),
                                buf.as_ptr(),
                            )
                        },
                        "ArrayStoreSubset",
                    )?;
                    Ok(Output::Full(buf))
                },
            )?;
            v["copy_checksum"] = crate::imp_zarrs::copy_checksum(&scratch, n)?.into();
            Ok(v)
        }
    }
}
