//! `zarrio_store`: a handle to a key-value store.

use super::{c_str, guard, handle, write_out, zarrio_status};
use crate::consolidated::ConsolidatedStore;
use crate::store::{FilesystemStore, MemoryStore, N5Store, StoreRef, ZipStore, ZipWriteStore};
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

/// A store opened from a path: `*out` receives its handle.
///
/// # Safety
/// As the callers': `path` NUL-terminated, `out` valid for a write.
unsafe fn open_at_path<S: crate::store::Store + 'static>(
    path: *const c_char,
    out: *mut *mut zarrio_store,
    open: impl FnOnce(&str) -> crate::error::Result<S>,
) -> zarrio_status {
    guard(|| {
        super::check_out(out, "out")?;
        let store = open(c_str(path, "path")?)?;
        write_out(out, into_handle(Arc::new(store)), "out")
    })
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
    open_at_path(path, out, |p| FilesystemStore::new(p))
}

/// Open the zip archive at `path` as a read-only store (zarr-python's
/// `ZipStore`: a hierarchy in one file, keys as the entries' names). The
/// archive's directory is read now; stored entries (zarr-python's
/// default) are then read straight from the file, by byte range too, and
/// deflated ones are inflated whole; whole values are checked against
/// their CRC-32 (`ZARRIO_ERR_CHECKSUM`). An archive holding a name twice
/// reads the last entry, as Python's zipfile does. Entries compressed
/// another way, or encrypted, are `ZARRIO_ERR_UNSUPPORTED` when read;
/// every write is `ZARRIO_ERR_UNSUPPORTED`. `ZARRIO_ERR_NOT_FOUND` when
/// there is no file, `ZARRIO_ERR_CORRUPT` when it is not a zip archive.
/// The archive must not be rewritten while the store is open. On success
/// `*out` receives a handle to release with `zarrio_store_free`.
///
/// # Safety
/// `path` is a NUL-terminated string; `out` is valid for a write.
#[no_mangle]
pub unsafe extern "C" fn zarrio_store_open_zip(
    path: *const c_char,
    out: *mut *mut zarrio_store,
) -> zarrio_status {
    open_at_path(path, out, |p| ZipStore::open(p))
}

/// Create a store that writes the zip archive `path` (zarr-python's
/// `ZipStore` in mode "w"): what is stored through it is kept in a
/// staging directory beside `path` (`.<name>.zarrio-staging-...`), with
/// every operation of a directory store, and `zarrio_store_close` writes
/// the archive from it (each key once, stored uncompressed, as
/// zarr-python writes them; any file at `path` is replaced then) and
/// removes the staging directory. A store released without
/// `zarrio_store_close` writes its archive when the last handle on it
/// (stores, groups and arrays opened on it) goes, with no one to report
/// an error to (nor in a forked child, which leaves the parent's archive
/// to the parent). A relative `path` is taken against the working
/// directory now. `ZARRIO_ERR_NOT_FOUND` when the directory `path` is in
/// does not exist, `ZARRIO_ERR_INVALID_ARGUMENT` when `path` is a
/// directory or ends in `/`. On success `*out` receives a handle to
/// release with `zarrio_store_free`.
///
/// # Safety
/// `path` is a NUL-terminated string; `out` is valid for a write.
#[no_mangle]
pub unsafe extern "C" fn zarrio_store_create_zip(
    path: *const c_char,
    out: *mut *mut zarrio_store,
) -> zarrio_status {
    open_at_path(path, out, |p| ZipWriteStore::create(p))
}

/// Finish writing a store: a zip archive being written
/// (`zarrio_store_create_zip`) is written out, and every later request
/// through the store (groups and arrays opened on it included) is
/// `ZARRIO_ERR_INVALID_ARGUMENT` ("closed"). Nothing to do for other
/// stores (a consolidated store closes the store under it). Closing twice
/// does nothing the second time. An error before the archive is in place
/// (`ZARRIO_ERR_IO`; a staging directory someone removed is one, and
/// leaves any old archive as it was) keeps the staged values, and closing
/// again retries; once the archive is in place the store is closed, even
/// if removing the staging directory then fails. Store requests running
/// meanwhile finish first, but a call made of many requests (a write of
/// many chunks) is cut off at its next one: the chunks it wrote before
/// the close are in the archive, and it returns the error above. Close
/// a store once the calls using it have returned. The handle is still
/// released with `zarrio_store_free`.
///
/// # Safety
/// `store` is a live handle.
#[no_mangle]
pub unsafe extern "C" fn zarrio_store_close(store: *const zarrio_store) -> zarrio_status {
    guard(|| handle(store, "store")?.inner.close())
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

/// Open a store that answers every request for node metadata at or below
/// the group at `path` ("" = the root) from that group's consolidated
/// metadata, read once now, and passes every other request to `store`:
/// groups and arrays at or below the group open with no further metadata
/// requests, and `zarrio_group_children` of those groups works on stores
/// that cannot list. The group's consolidated metadata is zarr-python's
/// v3 form in its `zarr.json` (see `zarrio_group_consolidate_metadata`)
/// or, when it has no `zarr.json`, a Zarr v2 `.zmetadata`. Open it on the
/// plain store: through a consolidated store, a member group's metadata
/// holds none of its members (they are in its ancestor's).
///
/// Inside the group the consolidated metadata is the whole truth: nodes
/// it does not name are not found. Chunks are read and written through
/// the new store as through `store`, but node metadata is not written:
/// creating or replacing nodes at or below the group, creating an array
/// at an ancestor of the group (which would hold the group below an
/// array, and erase what is below it where a node is there) and
/// setting attributes at or below the group return
/// `ZARRIO_ERR_UNSUPPORTED` and change nothing.
///
/// `ZARRIO_ERR_NOT_FOUND` when the group has no consolidated metadata (or
/// there is no group), `ZARRIO_ERR_INVALID_METADATA` when it is malformed
/// (the bare `NaN` and `Infinity` tokens Python writes are read as the
/// strings "NaN" and "Infinity"), `ZARRIO_ERR_UNSUPPORTED` for a kind
/// other than "inline" or a `zarr_consolidated_format` other than 1. On success `*out` receives a
/// handle to release with `zarrio_store_free`; it keeps `store`'s storage
/// alive, so `store` may be freed first. Thread-safe.
///
/// # Safety
/// `store` is a live store handle; `path` is NUL-terminated; `out` is
/// valid for a write.
#[no_mangle]
pub unsafe extern "C" fn zarrio_store_open_consolidated(
    store: *const zarrio_store,
    path: *const c_char,
    out: *mut *mut zarrio_store,
) -> zarrio_status {
    guard(|| {
        super::check_out(out, "out")?;
        let store = handle(store, "store")?;
        let path = c_str(path, "path")?;
        let consolidated = ConsolidatedStore::open(store.inner.clone(), path)?;
        write_out(out, into_handle(Arc::new(consolidated)), "out")
    })
}

/// Open an N5 container as a Zarr store (zarr-extensions' "N5 Default
/// Store"): each node's metadata is made from its N5 `attributes.json`,
/// and the datasets' blocks are read and written where N5 keeps them,
/// through the `n5_default` codec. A dataset opens as an array of the
/// same shape and dimension order, chunked by its block size, with fill
/// value 0; its compression (raw, gzip, bzip2, xz, zstd or blosc) as the
/// Zarr codec that reads it. Any other node is a group whose attributes
/// are the other keys of its `attributes.json` (N5's version `n5`
/// included); a directory without one that holds values, and is not
/// inside a dataset, is a group without attributes (found by listing:
/// opening one, or listing the children of a group, lists what is below
/// it).
///
/// Attributes are kept as `attributes.json` writes them (integers past
/// 64 bits exact), and read as zarr-python's are (see
/// `zarrio_array_attributes`); but N5's readers take strict JSON, so
/// attributes holding Python's bare `NaN` or `Infinity`, numbers past
/// float64's range or lone surrogate escapes are not written (setting
/// them, or any change that rewrites an `attributes.json` already
/// holding them, is `ZARRIO_ERR_UNSUPPORTED`, naming the attribute).
///
/// Writing through the store writes `attributes.json`: groups (a new root
/// gets N5's version, an existing one keeps its own), attributes, and
/// arrays N5 can read: data types uint8..uint64, int8..int64, float32 and
/// float64, fill value 0, `v2` chunk keys joined by `/`, one
/// `n5_default` codec, no dimension names. Anything else (Zarr v2
/// metadata and consolidated metadata included) is
/// `ZARRIO_ERR_UNSUPPORTED` and changes nothing, also when it would
/// replace a node. Blocks are written whole, edge blocks too (as
/// tensorstore writes them); blocks cut short, as N5's Java library
/// writes them, are read padded with 0.
///
/// A dataset of an N5 data type or compression zarrio does not read
/// (`object`, `string`, lz4) is listed among its group's children and can
/// be erased; opening it is `ZARRIO_ERR_UNSUPPORTED`, naming the type or
/// compression (`n5.lz4`). A malformed `attributes.json` is
/// `ZARRIO_ERR_INVALID_METADATA` when the node is opened. On success
/// `*out` receives a handle to release with `zarrio_store_free`; it keeps
/// `store`'s storage alive, so `store` may be freed first. Thread-safe.
///
/// # Safety
/// `store` is a live store handle; `out` is valid for a write.
#[no_mangle]
pub unsafe extern "C" fn zarrio_store_open_n5(
    store: *const zarrio_store,
    out: *mut *mut zarrio_store,
) -> zarrio_status {
    guard(|| {
        super::check_out(out, "out")?;
        let store = handle(store, "store")?;
        write_out(
            out,
            into_handle(Arc::new(N5Store::new(store.inner.clone()))),
            "out",
        )
    })
}

/// Release a store handle. NULL is ignored.
///
/// # Safety
/// `store` is NULL or a live handle, in use by no other thread; it must
/// not be used afterwards.
#[no_mangle]
pub unsafe extern "C" fn zarrio_store_free(store: *mut zarrio_store) {
    if !store.is_null() {
        // SAFETY: made by `Box::into_raw` in `into_handle`.
        drop(Box::from_raw(store));
    }
}
