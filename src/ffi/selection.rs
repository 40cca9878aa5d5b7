//! `zarrio_array` reads and writes of selections that are not one box:
//! every `step`-th element along each dimension, lists of indices per
//! dimension, and lists of points; of fixed-size elements, and of
//! variable-length items (`_strings_` calls).
//!
//! Thread rules: as `zarrio_array_read` and `zarrio_array_write` (see
//! `array`): reads may run from many threads on one handle; writes of
//! disjoint chunks may run together.

use super::array::{check_ndim, hand_out_items, items_out, zarrio_array};
use super::{guard, handle, opt_strides, slice, slice_mut, zarrio_status};
use crate::array::{Array, DimSelection};
use crate::codec::vlen::ItemsRef;
use crate::error::{invalid_argument, Result};
use std::ffi::c_void;

/// The selection of `count[d]` indices from `start[d]` in steps of
/// `step[d]`.
///
/// # Safety
/// `start`, `step` and `count` are NULL or point to `ndim` elements.
unsafe fn stepped(
    ndim: usize,
    start: *const u64,
    step: *const u64,
    count: *const u64,
) -> Result<Vec<DimSelection<'static>>> {
    let (start, step, count) = (
        slice(start, ndim, "start")?,
        slice(step, ndim, "step")?,
        slice(count, ndim, "count")?,
    );
    Ok((0..ndim)
        .map(|d| DimSelection::Range {
            start: start[d],
            step: step[d],
            count: count[d],
        })
        .collect())
}

/// The selection of the lists `indices[d]` of `counts[d]` entries (NULL:
/// every index of the dimension, `counts[d]` its extent; or none, when
/// `counts[d]` is 0).
///
/// # Safety
/// `indices` and `counts` are NULL or point to `ndim` elements; each
/// `indices[d]` is NULL or points to `counts[d]` elements.
unsafe fn lists<'a>(
    a: &Array,
    ndim: usize,
    indices: *const *const u64,
    counts: *const usize,
) -> Result<Vec<DimSelection<'a>>> {
    let (lists, counts) = (
        slice(indices, ndim, "indices")?,
        slice(counts, ndim, "counts")?,
    );
    let mut sel = Vec::with_capacity(ndim);
    for d in 0..ndim {
        if lists[d].is_null() {
            let extent = a.shape()[d];
            // NULL with a count of 0 is an empty list (what malloc(0) may
            // give), else every index.
            if counts[d] != 0 && counts[d] as u64 != extent {
                return Err(invalid_argument(format!(
                    "indices[{d}] is NULL (every index) but counts[{d}] is {}, not the \
                     extent {extent}",
                    counts[d]
                )));
            }
            sel.push(DimSelection::all(counts[d] as u64));
        } else {
            sel.push(DimSelection::List(slice(
                lists[d],
                counts[d],
                "indices[d]",
            )?));
        }
    }
    Ok(sel)
}

/// The `npoints * ndim` coordinates of `npoints` points.
///
/// # Safety
/// `coords` is NULL or points to `npoints * ndim` elements.
unsafe fn points<'a>(ndim: usize, npoints: usize, coords: *const u64) -> Result<&'a [u64]> {
    let n = npoints
        .checked_mul(ndim)
        .ok_or_else(|| invalid_argument("npoints * ndim coordinates cannot be addressed"))?;
    slice(coords, n, "coords")
}

/// Read every `step[d]`-th element from `start[d]`, `count[d]` of them
/// along each dimension (netCDF's `nc_get_vars`, HDF5's hyperslab with a
/// stride, zarr-python's `a[start:stop:step]`), into `out`: element
/// `(k0, k1, ...)` of the result is the array's element at `(start[0] +
/// k0 * step[0], ...)`. Steps are at least 1, and every selected index
/// must lie inside the array. `out` is laid out as in
/// `zarrio_array_read` over the shape `count` (`strides` NULL for C
/// order), and `capacity` is its size in bytes. Each chunk the selection
/// touches is read once (of a shard, only the inner chunks holding
/// selected elements); missing chunks read as the fill value. On failure
/// the result's elements in `out` are unspecified.
///
/// # Safety
/// `array` is a live handle; `start`, `step`, `count` (and `strides`
/// unless NULL) hold `ndim` entries; `out` holds `capacity` writable
/// bytes.
#[no_mangle]
pub unsafe extern "C" fn zarrio_array_read_stepped(
    array: *const zarrio_array,
    ndim: usize,
    start: *const u64,
    step: *const u64,
    count: *const u64,
    out: *mut c_void,
    capacity: usize,
    strides: *const i64,
) -> zarrio_status {
    guard(|| {
        let a = &handle(array, "array")?.inner;
        check_ndim(a, ndim)?;
        let sel = stepped(ndim, start, step, count)?;
        let strides = opt_strides(strides, ndim)?;
        let out = slice_mut(out as *mut u8, capacity, "out")?;
        a.read_orthogonal(&sel, out, strides)
    })
}

/// Write every `step[d]`-th element from `start[d]`, `count[d]` of them
/// along each dimension, from `src` (`size` bytes, laid out as `out` of
/// `zarrio_array_read_stepped`). Each chunk the selection touches is
/// written once, by one task: it is read unless the selection covers it,
/// the selected elements are set, and it is written back. Of a shard,
/// only the inner chunks holding selected elements are decoded and
/// encoded again, the others' stored bytes kept; a densely laid out
/// shard has just those inner chunks patched in place, so writers of its
/// other inner chunks may write at the same time. The rules of
/// `zarrio_array_write` for fill chunks and failures apply.
///
/// # Safety
/// `array` is a live handle; `start`, `step`, `count` (and `strides`
/// unless NULL) hold `ndim` entries; `src` holds `size` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn zarrio_array_write_stepped(
    array: *mut zarrio_array,
    ndim: usize,
    start: *const u64,
    step: *const u64,
    count: *const u64,
    src: *const c_void,
    size: usize,
    strides: *const i64,
) -> zarrio_status {
    guard(|| {
        let a = &handle(array, "array")?.inner;
        check_ndim(a, ndim)?;
        let sel = stepped(ndim, start, step, count)?;
        let strides = opt_strides(strides, ndim)?;
        let src = slice(src as *const u8, size, "src")?;
        a.write_orthogonal(&sel, src, strides)
    })
}

/// Read an orthogonal selection (zarr-python's `oindex`, numpy's
/// `a[np.ix_(i0, i1, ...)]`): along dimension `d` the `counts[d]` indices
/// `indices[d][0..counts[d]]`, in any order, repeats allowed; or, where
/// `indices[d]` is NULL, every index (`counts[d]` must then be the
/// dimension's extent, or 0 for none: an empty list may be NULL). Element `(k0, k1, ...)` of the result is the
/// array's element at `(indices[0][k0], indices[1][k1], ...)`. `out` is
/// laid out as in `zarrio_array_read` over the shape `counts` (`strides`
/// NULL for C order), and `capacity` is its size in bytes. Each chunk
/// touched is read once (of a shard, only the inner chunks holding
/// selected elements). On failure the result's elements in `out` are
/// unspecified.
///
/// # Safety
/// `array` is a live handle; `indices` and `counts` (and `strides` unless
/// NULL) hold `ndim` entries; each non-NULL `indices[d]` holds `counts[d]`
/// entries; `out` holds `capacity` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn zarrio_array_read_orthogonal(
    array: *const zarrio_array,
    ndim: usize,
    indices: *const *const u64,
    counts: *const usize,
    out: *mut c_void,
    capacity: usize,
    strides: *const i64,
) -> zarrio_status {
    guard(|| {
        let a = &handle(array, "array")?.inner;
        check_ndim(a, ndim)?;
        let sel = lists(a, ndim, indices, counts)?;
        let strides = opt_strides(strides, ndim)?;
        let out = slice_mut(out as *mut u8, capacity, "out")?;
        a.read_orthogonal(&sel, out, strides)
    })
}

/// Write an orthogonal selection (indices as in
/// `zarrio_array_read_orthogonal`) from `src` (`size` bytes, laid out as
/// `out` there): the array's element at `(indices[0][k0], ...)` becomes
/// element `(k0, ...)` of `src`. Where an index repeats, its last position
/// along the dimension is written (numpy's assignment). Chunks are
/// written as by `zarrio_array_write_stepped`.
///
/// # Safety
/// `array` is a live handle; `indices` and `counts` (and `strides` unless
/// NULL) hold `ndim` entries; each non-NULL `indices[d]` holds `counts[d]`
/// entries; `src` holds `size` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn zarrio_array_write_orthogonal(
    array: *mut zarrio_array,
    ndim: usize,
    indices: *const *const u64,
    counts: *const usize,
    src: *const c_void,
    size: usize,
    strides: *const i64,
) -> zarrio_status {
    guard(|| {
        let a = &handle(array, "array")?.inner;
        check_ndim(a, ndim)?;
        let sel = lists(a, ndim, indices, counts)?;
        let strides = opt_strides(strides, ndim)?;
        let src = slice(src as *const u8, size, "src")?;
        a.write_orthogonal(&sel, src, strides)
    })
}

/// Read the elements at `npoints` points (zarr-python's `vindex`, HDF5's
/// point selection) into `out`, one after another: `coords` holds each
/// point's `ndim` coordinates in turn (point `p` at `coords[p * ndim ..
/// (p + 1) * ndim]`), in any order, repeats allowed. `capacity` is `out`'s
/// size in bytes, at least `npoints` elements. Points are grouped by the
/// chunk (of a shard, the inner chunk) that holds them, and each group's
/// chunk is read once. On failure `out`'s contents are unspecified.
///
/// # Safety
/// `array` is a live handle; `coords` holds `npoints * ndim` entries;
/// `out` holds `capacity` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn zarrio_array_read_points(
    array: *const zarrio_array,
    ndim: usize,
    npoints: usize,
    coords: *const u64,
    out: *mut c_void,
    capacity: usize,
) -> zarrio_status {
    guard(|| {
        let a = &handle(array, "array")?.inner;
        check_ndim(a, ndim)?;
        let coords = points(ndim, npoints, coords)?;
        let out = slice_mut(out as *mut u8, capacity, "out")?;
        a.read_points(coords, out)
    })
}

/// Write the elements at `npoints` points (`coords` as in
/// `zarrio_array_read_points`) from `src` (`size` bytes, at least
/// `npoints` elements, one after another). Of repeated points the last is
/// written. Chunks are written as by `zarrio_array_write_stepped`: each
/// once, and of a shard only the inner chunks holding points.
///
/// # Safety
/// `array` is a live handle; `coords` holds `npoints * ndim` entries;
/// `src` holds `size` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn zarrio_array_write_points(
    array: *mut zarrio_array,
    ndim: usize,
    npoints: usize,
    coords: *const u64,
    src: *const c_void,
    size: usize,
) -> zarrio_status {
    guard(|| {
        let a = &handle(array, "array")?.inner;
        check_ndim(a, ndim)?;
        let coords = points(ndim, npoints, coords)?;
        let src = slice(src as *const u8, size, "src")?;
        a.write_points(coords, src)
    })
}

/// The number of elements of an orthogonal selection.
fn selection_len(sel: &[DimSelection]) -> Result<usize> {
    sel.iter()
        .try_fold(1usize, |acc, s| {
            usize::try_from(s.len())
                .ok()
                .and_then(|n| acc.checked_mul(n))
        })
        .ok_or_else(|| invalid_argument("the selection has too many elements"))
}

/// `zarrio_array_read_stepped` for an array of variable-length data
/// (`string`, `variable_length_bytes`): the selected items, C order over
/// the shape `count`, side by side with offsets as
/// `zarrio_array_read_strings` gives them (`offsets_count` at least the
/// selection's element count + 1; the items' bytes released with
/// `zarrio_bytes_free`). Of each chunk the selection touches, the box
/// bounding its selected elements is read (of a shard, just the inner
/// chunks in that box). `ZARRIO_ERR_UNSUPPORTED` for an array of
/// fixed-size elements. Safe to call from many threads on one handle.
///
/// # Safety
/// `array` is a live handle; `start`, `step` and `count` hold `ndim`
/// entries; `offsets` holds `offsets_count` writable entries; `out_data`
/// and `out_len` are valid for a write.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn zarrio_array_read_strings_stepped(
    array: *const zarrio_array,
    ndim: usize,
    start: *const u64,
    step: *const u64,
    count: *const u64,
    offsets: *mut u64,
    offsets_count: usize,
    out_data: *mut *mut u8,
    out_len: *mut usize,
) -> zarrio_status {
    guard(|| {
        let a = &handle(array, "array")?.inner;
        check_ndim(a, ndim)?;
        let sel = stepped(ndim, start, step, count)?;
        let offsets = items_out(
            selection_len(&sel)?,
            offsets,
            offsets_count,
            out_data,
            out_len,
        )?;
        hand_out_items(a.read_strings_orthogonal(&sel)?, offsets, out_data, out_len)
    })
}

/// `zarrio_array_read_orthogonal` for an array of variable-length data:
/// the selected items, C order over the shape `counts`, side by side with
/// offsets (as `zarrio_array_read_strings_stepped`).
///
/// # Safety
/// `array` is a live handle; `indices` and `counts` hold `ndim` entries;
/// each non-NULL `indices[d]` holds `counts[d]` entries; `offsets` holds
/// `offsets_count` writable entries; `out_data` and `out_len` are valid
/// for a write.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn zarrio_array_read_strings_orthogonal(
    array: *const zarrio_array,
    ndim: usize,
    indices: *const *const u64,
    counts: *const usize,
    offsets: *mut u64,
    offsets_count: usize,
    out_data: *mut *mut u8,
    out_len: *mut usize,
) -> zarrio_status {
    guard(|| {
        let a = &handle(array, "array")?.inner;
        check_ndim(a, ndim)?;
        let sel = lists(a, ndim, indices, counts)?;
        let offsets = items_out(
            selection_len(&sel)?,
            offsets,
            offsets_count,
            out_data,
            out_len,
        )?;
        hand_out_items(a.read_strings_orthogonal(&sel)?, offsets, out_data, out_len)
    })
}

/// `zarrio_array_read_points` for an array of variable-length data: the
/// items at the `npoints` points, one after another, side by side with
/// offsets (as `zarrio_array_read_strings_stepped`).
///
/// # Safety
/// `array` is a live handle; `coords` holds `npoints * ndim` entries;
/// `offsets` holds `offsets_count` writable entries; `out_data` and
/// `out_len` are valid for a write.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn zarrio_array_read_strings_points(
    array: *const zarrio_array,
    ndim: usize,
    npoints: usize,
    coords: *const u64,
    offsets: *mut u64,
    offsets_count: usize,
    out_data: *mut *mut u8,
    out_len: *mut usize,
) -> zarrio_status {
    guard(|| {
        let a = &handle(array, "array")?.inner;
        check_ndim(a, ndim)?;
        let coords = points(ndim, npoints, coords)?;
        let offsets = items_out(npoints, offsets, offsets_count, out_data, out_len)?;
        hand_out_items(a.read_strings_points(coords)?, offsets, out_data, out_len)
    })
}

/// `zarrio_array_write_stepped` for an array of variable-length data:
/// the selected items from `data` and `offsets` as
/// `zarrio_array_write_strings` takes them (exactly the selection's
/// element count + 1 offsets, C order over the shape `count`). Each
/// chunk the selection touches is read, has the selected items set and
/// is written back (erased when all its items are the fill value).
/// Thread rules as for `zarrio_array_write`.
///
/// # Safety
/// `array` is a live handle; `start`, `step` and `count` hold `ndim`
/// entries; `data` holds `data_len` bytes and `offsets` `offsets_count`
/// entries.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn zarrio_array_write_strings_stepped(
    array: *mut zarrio_array,
    ndim: usize,
    start: *const u64,
    step: *const u64,
    count: *const u64,
    data: *const c_void,
    data_len: usize,
    offsets: *const u64,
    offsets_count: usize,
) -> zarrio_status {
    guard(|| {
        let a = &handle(array, "array")?.inner;
        check_ndim(a, ndim)?;
        let sel = stepped(ndim, start, step, count)?;
        let items = items_in(data, data_len, offsets, offsets_count)?;
        a.write_strings_orthogonal(&sel, items)
    })
}

/// `zarrio_array_write_orthogonal` for an array of variable-length data:
/// the selected items from `data` and `offsets` (as
/// `zarrio_array_write_strings_stepped`, C order over the shape
/// `counts`); where an index repeats, its last position is written.
///
/// # Safety
/// `array` is a live handle; `indices` and `counts` hold `ndim` entries;
/// each non-NULL `indices[d]` holds `counts[d]` entries; `data` holds
/// `data_len` bytes and `offsets` `offsets_count` entries.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn zarrio_array_write_strings_orthogonal(
    array: *mut zarrio_array,
    ndim: usize,
    indices: *const *const u64,
    counts: *const usize,
    data: *const c_void,
    data_len: usize,
    offsets: *const u64,
    offsets_count: usize,
) -> zarrio_status {
    guard(|| {
        let a = &handle(array, "array")?.inner;
        check_ndim(a, ndim)?;
        let sel = lists(a, ndim, indices, counts)?;
        let items = items_in(data, data_len, offsets, offsets_count)?;
        a.write_strings_orthogonal(&sel, items)
    })
}

/// `zarrio_array_write_points` for an array of variable-length data: the
/// items at the `npoints` points from `data` and `offsets` (as
/// `zarrio_array_write_strings_stepped`, one item per point); of repeated
/// points the last is written.
///
/// # Safety
/// `array` is a live handle; `coords` holds `npoints * ndim` entries;
/// `data` holds `data_len` bytes and `offsets` `offsets_count` entries.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn zarrio_array_write_strings_points(
    array: *mut zarrio_array,
    ndim: usize,
    npoints: usize,
    coords: *const u64,
    data: *const c_void,
    data_len: usize,
    offsets: *const u64,
    offsets_count: usize,
) -> zarrio_status {
    guard(|| {
        let a = &handle(array, "array")?.inner;
        check_ndim(a, ndim)?;
        let coords = points(ndim, npoints, coords)?;
        let items = items_in(data, data_len, offsets, offsets_count)?;
        a.write_strings_points(coords, items)
    })
}

/// Items the caller gives: `data_len` bytes of `data` cut by `offsets`.
///
/// # Safety
/// `data` holds `data_len` bytes and `offsets` `offsets_count` entries
/// (each NULL only when its count is 0).
unsafe fn items_in<'a>(
    data: *const c_void,
    data_len: usize,
    offsets: *const u64,
    offsets_count: usize,
) -> Result<ItemsRef<'a>> {
    Ok(ItemsRef {
        data: slice(data as *const u8, data_len, "data")?,
        offsets: slice(offsets, offsets_count, "offsets")?,
    })
}
