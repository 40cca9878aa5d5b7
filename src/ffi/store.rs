//! `zarrio_store`: a handle to a key-value store.

use super::{c_str, guard, write_out, zarrio_status};
use crate::store::{FilesystemStore, MemoryStore, StoreRef};
use std::ffi::c_char;
use std::sync::Arc;

/// A store handle. Groups and arrays opened on it keep the store alive, so
/// the handle may be freed before them. Thread-safe.
pub struct zarrio_store {
    pub(crate) inner: StoreRef,
}

fn into_handle(inner: StoreRef) -> *mut zarrio_store {
    Box::into_raw(Box::new(zarrio_store { inner }))
}

/// Open a store over the directory `path`, creating the directory when it
/// does not exist. On success `*out` receives a handle to release with
/// `zarrio_store_free`.
///
/// # Safety
/// `path` is a NUL-terminated string; `out` is valid for a write.
#[no_mangle]
pub unsafe extern "C" fn zarrio_store_open_filesystem(
    path: *const c_char,
    out: *mut *mut zarrio_store,
) -> zarrio_status {
    guard(|| {
        super::check_out(out, "out")?;
        let path = c_str(path, "path")?;
        let store = FilesystemStore::new(path)?;
        write_out(out, into_handle(Arc::new(store)), "out")
    })
}

/// Create an empty in-memory store. Its contents live as long as the
/// store handle or any group or array opened on it.
///
/// # Safety
/// `out` is valid for a write.
#[no_mangle]
pub unsafe extern "C" fn zarrio_store_create_memory(out: *mut *mut zarrio_store) -> zarrio_status {
    guard(|| {
        super::check_out(out, "out")?;
        write_out(out, into_handle(Arc::new(MemoryStore::new())), "out")
    })
}

/// Release a store handle. NULL is ignored.
///
/// # Safety
/// `store` is NULL or a live handle; it must not be used afterwards.
#[no_mangle]
pub unsafe extern "C" fn zarrio_store_free(store: *mut zarrio_store) {
    if !store.is_null() {
        // SAFETY: made by `Box::into_raw` in `into_handle`.
        drop(Box::from_raw(store));
    }
}
