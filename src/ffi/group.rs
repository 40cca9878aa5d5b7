//! `zarrio_group`: a handle to a group node.

use super::memory::into_c_string;
use super::store::zarrio_store;
use super::{c_str, check_out, guard, handle, opt_c_str, write_out, zarrio_status};
use crate::group::Group;
use crate::metadata::Attributes;
use serde_json::{json, Value};
use std::ffi::c_char;

/// A group handle. Attribute reads and `children` may run from many
/// threads at once; `set_attributes` must not race with other calls on
/// the same group.
pub struct zarrio_group {
    inner: Group,
}

/// Create a group at `path` ("" = the store root) with the attributes in
/// `attributes_json` (a JSON object, stored as given, as
/// `zarrio_group_set_attributes` says; NULL = {}), and return its handle.
/// Ancestors of `path` that are not nodes become groups without
/// attributes, as zarr-python makes them (only where absent, as
/// `zarrio_array_create` says); an ancestor that is an array is
/// `ZARRIO_ERR_INVALID_ARGUMENT`, and nothing is written.
///
/// # Safety
/// `store` is a live store handle; strings are NUL-terminated or NULL
/// where allowed; `out` is valid for a write.
#[no_mangle]
pub unsafe extern "C" fn zarrio_group_create(
    store: *mut zarrio_store,
    path: *const c_char,
    attributes_json: *const c_char,
    out: *mut *mut zarrio_group,
) -> zarrio_status {
    guard(|| {
        check_out(out, "out")?;
        let store = handle(store, "store")?;
        let path = c_str(path, "path")?;
        let attributes = match opt_c_str(attributes_json, "attributes_json")? {
            Some(t) => Attributes::parse(t.as_bytes(), "attributes_json")?,
            None => Attributes::default(),
        };
        let g = Group::create_with(store.inner.clone(), path, attributes)?;
        write_out(
            out,
            Box::into_raw(Box::new(zarrio_group { inner: g })),
            "out",
        )
    })
}

/// Open the group at `path`: its `zarr.json`, or, when there is none, a
/// Zarr v2 group's `.zgroup` and `.zattrs` (`zarrio_group_set_attributes`
/// then writes `.zattrs`).
/// `ZARRIO_ERR_NOT_FOUND` when there is no node,
/// `ZARRIO_ERR_INVALID_METADATA` when the node is not a valid group (an
/// array, v3 or v2, included).
///
/// # Safety
/// As `zarrio_group_create`.
#[no_mangle]
pub unsafe extern "C" fn zarrio_group_open(
    store: *mut zarrio_store,
    path: *const c_char,
    out: *mut *mut zarrio_group,
) -> zarrio_status {
    guard(|| {
        check_out(out, "out")?;
        let store = handle(store, "store")?;
        let g = Group::open(store.inner.clone(), c_str(path, "path")?)?;
        write_out(
            out,
            Box::into_raw(Box::new(zarrio_group { inner: g })),
            "out",
        )
    })
}

/// Release a group handle. NULL is ignored.
///
/// # Safety
/// `group` is NULL or a live handle, in use by no other thread; it must
/// not be used afterwards.
#[no_mangle]
pub unsafe extern "C" fn zarrio_group_free(group: *mut zarrio_group) {
    if !group.is_null() {
        // SAFETY: made by `Box::into_raw` in create/open.
        drop(Box::from_raw(group));
    }
}

/// The group's attributes as JSON object text in `*out_json`, to release
/// with `zarrio_string_free` (non-finite numbers as in
/// `zarrio_array_attributes`).
///
/// # Safety
/// `group` is a live handle; `out_json` is valid for a write.
#[no_mangle]
pub unsafe extern "C" fn zarrio_group_attributes(
    group: *const zarrio_group,
    out_json: *mut *mut c_char,
) -> zarrio_status {
    guard(|| {
        check_out(out_json, "out_json")?;
        let g = handle(group, "group")?;
        write_out(
            out_json,
            into_c_string(g.inner.attributes_json()),
            "out_json",
        )
    })
}

/// Replace the group's attributes with `json` (a JSON object) in its
/// stored zarr.json, the rest of which is kept as stored; for a Zarr v2
/// group, its `.zattrs`. `json` is stored as it is given, as
/// `zarrio_array_set_attributes` says.
///
/// # Safety
/// `group` is a live handle; `json` is NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn zarrio_group_set_attributes(
    group: *mut zarrio_group,
    json: *const c_char,
) -> zarrio_status {
    guard(|| {
        let g = handle(group, "group")?;
        g.inner.set_attributes_json(c_str(json, "json")?)
    })
}

/// The group's direct children as JSON text:
/// `[{"name": "...", "node_type": "array"|"group"}, ...]`, sorted by name
/// (Zarr v2 children, with a `.zarray` or `.zgroup`, included).
/// On the filesystem store this reads the group's directory and looks
/// for each child's metadata files, without walking the chunks below;
/// other stores list every key below the group (a callback store through
/// its `list`), consolidated metadata none.
/// Release with `zarrio_string_free`.
///
/// # Safety
/// `group` is a live handle; `out_json` is valid for a write.
#[no_mangle]
pub unsafe extern "C" fn zarrio_group_children(
    group: *const zarrio_group,
    out_json: *mut *mut c_char,
) -> zarrio_status {
    guard(|| {
        check_out(out_json, "out_json")?;
        let g = handle(group, "group")?;
        let list: Vec<Value> = g
            .inner
            .children()?
            .into_iter()
            .map(|(name, t)| json!({"name": name, "node_type": t.as_str()}))
            .collect();
        write_out(
            out_json,
            into_c_string(Value::Array(list).to_string()),
            "out_json",
        )
    })
}

/// Gather the metadata of every Zarr v3 node below the group into the
/// group's stored `zarr.json` (the rest of it kept as stored) as
/// consolidated metadata (zarr-python's inline
/// form, which `zarr.open_consolidated` reads; any earlier consolidated
/// metadata is replaced), for readers that open it with
/// `zarrio_store_open_consolidated`. Zarr v2 nodes below are left out.
/// For a Zarr v2 group, the metadata files (`.zgroup`, `.zattrs`,
/// `.zarray`) of the group and of every v2 node found from it through v2
/// groups (not those under an array, a v3 group or a directory that is no
/// node) go into its `.zmetadata`, as zarr-python's
/// `consolidate_metadata` gathers them; a v2 array whose codecs zarrio
/// lacks is copied all the same. Nodes created or changed afterwards are
/// not seen through consolidated metadata until this runs again.
///
/// Needs a store that can list. `ZARRIO_ERR_INVALID_METADATA` when the
/// metadata of a node taken is not valid, `ZARRIO_ERR_UNSUPPORTED` when a
/// v3 array below has a data type, chunk grid, chunk key encoding or
/// codec zarrio lacks (its metadata cannot be checked whole); nothing is
/// written then. Must not race with other calls
/// on the same group, or with writers of metadata below it.
///
/// # Safety
/// `group` is a live handle.
#[no_mangle]
pub unsafe extern "C" fn zarrio_group_consolidate_metadata(
    group: *mut zarrio_group,
) -> zarrio_status {
    guard(|| handle(group, "group")?.inner.consolidate_metadata())
}

/// Erase the child node `name` of the group (a path relative to it; an
/// array or a group, v3 or v2) with everything below it, as zarr-python's
/// `del group[name]`: its chunks and the nodes below it first, its own
/// metadata last, so an erase a store error stops leaves the node there
/// to be erased again (and no node created at its path later finds its
/// old chunks). The node is then dropped from the group's consolidated
/// metadata, if it has any. A child that is a symbolic link (filesystem
/// store) loses the link, not what it points to.
/// Needs a store that can list (else `ZARRIO_ERR_UNSUPPORTED`, erasing
/// nothing). `ZARRIO_ERR_NOT_FOUND` when there is no such node,
/// `ZARRIO_ERR_UNSUPPORTED` through a consolidated
/// store for a node at or below its consolidated group. Handles open on the erased nodes must not be used afterwards.
///
/// # Safety
/// `group` is a live handle; `name` is NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn zarrio_group_erase_child(
    group: *mut zarrio_group,
    name: *const c_char,
) -> zarrio_status {
    guard(|| {
        let g = handle(group, "group")?;
        g.inner.erase_child(c_str(name, "name")?)
    })
}
