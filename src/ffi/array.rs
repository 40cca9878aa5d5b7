//! `zarrio_array`: a handle to an array node.
//!
//! Thread rules: reads (`zarrio_array_read`, `_read_chunk`, the getters)
//! may run from many threads at once on one handle. Writes may run
//! concurrently with each other when they touch disjoint chunks; two
//! writes to the same chunk, or a read of a chunk being written, race
//! (the reader sees the old or the new chunk; concurrent writers: last
//! one wins). `_set_attributes` must not race with other calls.

use super::memory::{into_c_bytes, into_c_string};
use super::pipeline::zarrio_pipeline;
use super::store::zarrio_store;
use super::{
    c_str, check_out, guard, handle, handle_mut, opt_c_str, opt_strides, region, slice, slice_mut,
    write_out, zarrio_status,
};
use crate::array::Array;
use crate::codec::vlen::ItemsRef;
use crate::error::{buffer_too_small, invalid_argument, unsupported, Result};
use std::ffi::{c_char, c_void};

/// An array handle.
///
/// Thread rules: reads (`zarrio_array_read` and its kin, the getters) may
/// run from many threads at once on one handle. Writes may run
/// concurrently with each other when they touch disjoint chunks (or
/// disjoint inner chunks of a dense shard, see `zarrio_array_write`); two
/// writes to the same chunk, or a read of a chunk being written, race
/// (the reader sees the old or the new chunk; concurrent writers: the
/// last one wins). `zarrio_array_set_attributes` and
/// `zarrio_array_resize` must not run at the same time as other calls on
/// the array; `zarrio_array_free` only once no other thread uses it.
pub struct zarrio_array {
    pub(crate) inner: Array,
}

pub(super) fn check_ndim(a: &Array, ndim: usize) -> Result<()> {
    if ndim != a.ndim() {
        return Err(invalid_argument(format!(
            "ndim is {ndim}, the array has {} dimensions",
            a.ndim()
        )));
    }
    Ok(())
}

/// Create an array at `path` from the text of its zarr.json and return a
/// handle; or a Zarr v2 array from the text of its `.zarray`
/// (`"zarr_format": 2`, with every member the v2 specification requires:
/// `shape`, `chunks`, `dtype`, `compressor`, `fill_value`, `order`,
/// `filters`; the data types, filters and compressors
/// `zarrio_array_open` reads), stored as given with an empty `.zattrs`.
/// What the v2 reader forgives of old writers but zarr-python cannot
/// open is refused here (`ZARRIO_ERR_INVALID_METADATA`): codec keys
/// numcodecs does not take, a null `dimension_separator`, native byte
/// order (`=`), Zarr v3 spellings of fill values, numbers as the fill
/// value of bytes items or of structured dtypes (base64 text is theirs), a
/// shuffle of variable-length items. Numbers past float64's range and
/// lone surrogate escapes, which zarrio keeps only as attributes' text,
/// are refused elsewhere in the document (`ZARRIO_ERR_INVALID_METADATA`).
/// Any node already at `path` (and everything below it) is
/// removed first. Ancestors of `path` that are not nodes become groups
/// without attributes, as zarr-python makes them, so that the array is
/// found from the root (Zarr v2 groups for a v2 array; an ancestor that
/// is a group of the other format stays as it is); an ancestor that is an
/// array is `ZARRIO_ERR_INVALID_ARGUMENT`.
/// Such groups are created only where absent: atomically on the
/// filesystem and memory stores and on a host's callback store with a
/// `set_if_absent` callback; by a read and a write on one without (a
/// group another writer creates in between may lose its attributes). The metadata is validated completely
/// (data type, fill value, chunk grid, codec list) before anything is
/// written.
///
/// # Safety
/// `store` is a live handle; strings are NUL-terminated; `out` is valid
/// for a write.
#[no_mangle]
pub unsafe extern "C" fn zarrio_array_create(
    store: *mut zarrio_store,
    path: *const c_char,
    zarr_json: *const c_char,
    out: *mut *mut zarrio_array,
) -> zarrio_status {
    guard(|| {
        check_out(out, "out")?;
        let store = handle(store, "store")?;
        let a = Array::create(
            store.inner.clone(),
            c_str(path, "path")?,
            c_str(zarr_json, "zarr_json")?,
        )?;
        write_out(
            out,
            Box::into_raw(Box::new(zarrio_array { inner: a })),
            "out",
        )
    })
}

/// Open the array at `path` ("" = the store root): its `zarr.json`, or,
/// when there is none, a Zarr v2 array's `.zarray` and `.zattrs`, which
/// is written as a v3 array is (its attributes to `.zattrs`, a resize to
/// `.zarray`). `|O` arrays with a `vlen-utf8` or `vlen-bytes` filter open as
/// `string` or `variable_length_bytes` arrays (`zarrio_array_read_strings`),
/// with a `vlen-array` filter of little-endian numbers as `ndarray` arrays
/// of one variable dimension (each item its numbers);
/// `|S<n>` and `|V<n>` as `null_terminated_bytes` and `raw_bytes`,
/// `U<n>` as `fixed_length_utf32`, `M8[unit]` / `m8[unit]` as
/// `numpy.datetime64` / `numpy.timedelta64`, structured dtypes as
/// `struct`. v2 data types with no v3 counterpart here (other objects,
/// structured dtypes whose fields differ in byte order or hold subarrays)
/// and
/// filters or compressors other than `shuffle`, `delta`,
/// `fixedscaleoffset`, `astype`, `quantize`, `bitround`,
/// `packbits`, the checksums (`crc32`, `crc32c`, `adler32`,
/// `fletcher32`, `jenkins_lookup3`), `blosc`, `zstd`, `gzip`, `zlib`,
/// `lz4`, `bz2`, `lzma` (.xz and legacy .lzma), `pcodec` and `zfpy` (in
/// builds with them, see README; not after a byte-level filter or of
/// big-endian numbers) are `ZARRIO_ERR_UNSUPPORTED`. Creating an array or group where a v2 node is
/// replaces it, as it replaces a v3 node.
///
/// # Safety
/// As `zarrio_array_create`.
#[no_mangle]
pub unsafe extern "C" fn zarrio_array_open(
    store: *mut zarrio_store,
    path: *const c_char,
    out: *mut *mut zarrio_array,
) -> zarrio_status {
    guard(|| {
        check_out(out, "out")?;
        let store = handle(store, "store")?;
        let a = Array::open(store.inner.clone(), c_str(path, "path")?)?;
        write_out(
            out,
            Box::into_raw(Box::new(zarrio_array { inner: a })),
            "out",
        )
    })
}

/// Release an array handle. NULL is ignored.
///
/// # Safety
/// `array` is NULL or a live handle not in use by another thread; it must
/// not be used afterwards.
#[no_mangle]
pub unsafe extern "C" fn zarrio_array_free(array: *mut zarrio_array) {
    if !array.is_null() {
        // SAFETY: made by `Box::into_raw` in create/open.
        drop(Box::from_raw(array));
    }
}

/// The number of dimensions.
///
/// # Safety
/// `array` is a live handle; `out` is valid for a write.
#[no_mangle]
pub unsafe extern "C" fn zarrio_array_ndim(
    array: *const zarrio_array,
    out: *mut usize,
) -> zarrio_status {
    guard(|| write_out(out, handle(array, "array")?.inner.ndim(), "out"))
}

unsafe fn copy_shape(src: &[u64], out: *mut u64, capacity: usize) -> Result<()> {
    check_out(out, "out")?;
    if capacity < src.len() {
        return Err(buffer_too_small(format!(
            "{} entries needed, capacity is {capacity}",
            src.len()
        )));
    }
    // SAFETY: `out` holds `capacity >= src.len()` elements per the contract.
    std::ptr::copy_nonoverlapping(src.as_ptr(), out, src.len());
    Ok(())
}

/// The array's shape: `ndim` entries written to `out`, which holds
/// `capacity` entries.
///
/// # Safety
/// `array` is a live handle; `out` holds `capacity` entries.
#[no_mangle]
pub unsafe extern "C" fn zarrio_array_shape(
    array: *const zarrio_array,
    out: *mut u64,
    capacity: usize,
) -> zarrio_status {
    guard(|| copy_shape(handle(array, "array")?.inner.shape(), out, capacity))
}

/// The chunk shape of the grid (the shard shape of a sharded array). An
/// array with a rectilinear chunk grid, whose chunks differ in shape, is
/// `ZARRIO_ERR_UNSUPPORTED`: see `zarrio_array_chunk_span`.
///
/// # Safety
/// As `zarrio_array_shape`.
#[no_mangle]
pub unsafe extern "C" fn zarrio_array_chunk_shape(
    array: *const zarrio_array,
    out: *mut u64,
    capacity: usize,
) -> zarrio_status {
    guard(|| {
        let a = &handle(array, "array")?.inner;
        a.check_not_rectilinear("a single chunk shape")?;
        copy_shape(a.chunk_shape(), out, capacity)
    })
}

/// The inner chunk shape of a sharded array; the chunk shape otherwise
/// (an unsharded array with a rectilinear chunk grid is
/// `ZARRIO_ERR_UNSUPPORTED`, as at `zarrio_array_chunk_shape`).
///
/// # Safety
/// As `zarrio_array_shape`.
#[no_mangle]
pub unsafe extern "C" fn zarrio_array_inner_chunk_shape(
    array: *const zarrio_array,
    out: *mut u64,
    capacity: usize,
) -> zarrio_status {
    guard(|| {
        let a = &handle(array, "array")?.inner;
        if a.codecs().sharding().is_none() {
            a.check_not_rectilinear("a single chunk shape")?;
        }
        copy_shape(a.inner_chunk_shape(), out, capacity)
    })
}

/// The number of chunks (shards) along each dimension: `ndim` entries
/// written to `out`, which holds `capacity` entries. Chunk indices run
/// from 0 to these, exclusive.
///
/// # Safety
/// As `zarrio_array_shape`.
#[no_mangle]
pub unsafe extern "C" fn zarrio_array_grid_shape(
    array: *const zarrio_array,
    out: *mut u64,
    capacity: usize,
) -> zarrio_status {
    guard(|| copy_shape(&handle(array, "array")?.inner.grid_shape(), out, capacity))
}

/// Where the chunk (shard) at `chunk_indices` lies: its first element in
/// `out_origin` and its full shape in `out_shape` (`ndim` entries each),
/// the shape `zarrio_array_read_chunk` reads, which for a chunk at the
/// array's edge reaches past it. For a regular grid the origin is the
/// indices times the chunk shape; for a rectilinear one, the sum of the
/// edges before it. `ZARRIO_ERR_OUT_OF_BOUNDS` for indices outside the
/// grid (`zarrio_array_grid_shape`).
///
/// # Safety
/// `array` is a live handle; `chunk_indices`, `out_origin` and `out_shape`
/// hold `ndim` entries each.
#[no_mangle]
pub unsafe extern "C" fn zarrio_array_chunk_span(
    array: *const zarrio_array,
    ndim: usize,
    chunk_indices: *const u64,
    out_origin: *mut u64,
    out_shape: *mut u64,
) -> zarrio_status {
    guard(|| {
        let a = &handle(array, "array")?.inner;
        check_ndim(a, ndim)?;
        // Both outputs checked first: a failed call writes neither.
        check_out(out_origin, "out_origin")?;
        check_out(out_shape, "out_shape")?;
        let idx = slice(chunk_indices, ndim, "chunk_indices")?;
        let (origin, shape) = a.chunk_span(idx)?;
        copy_shape(&origin, out_origin, ndim)?;
        copy_shape(&shape, out_shape, ndim)
    })
}

/// The data type name ("uint16", "float32", "float8_e4m3fn", "r24", "string",
/// "fixed_length_utf32" (its length is the element size / 4),
/// "null_terminated_bytes" and "raw_bytes" (the element size is the
/// length), "numpy.datetime64" (unit and scale in
/// `zarrio_array_metadata`), "struct" (fields in `zarrio_array_metadata`:
/// an element holds them packed in declaration order, each in native byte
/// order), "optional" or "zarrs.optional" (the inner type in
/// `zarrio_array_metadata`: an element holds the inner type's bytes, then
/// one validity byte, 1 when the value is present and 0 when it is
/// missing, its value bytes then 0; packed, so a C struct of them needs
/// `#pragma pack(1)`; writes refuse other validity bytes), ...) in
/// `*out_name`, to release with `zarrio_string_free`.
///
/// # Safety
/// `array` is a live handle; `out_name` is valid for a write.
#[no_mangle]
pub unsafe extern "C" fn zarrio_array_data_type(
    array: *const zarrio_array,
    out_name: *mut *mut c_char,
) -> zarrio_status {
    guard(|| {
        check_out(out_name, "out_name")?;
        let a = handle(array, "array")?;
        write_out(
            out_name,
            into_c_string(a.inner.data_type().name()),
            "out_name",
        )
    })
}

/// The size of one element in bytes (0 for the variable-length types
/// `string`, `variable_length_bytes` and `ndarray` with a variable
/// dimension, whose items are read with `zarrio_array_read_strings`).
///
/// # Safety
/// `array` is a live handle; `out` is valid for a write.
#[no_mangle]
pub unsafe extern "C" fn zarrio_array_element_size(
    array: *const zarrio_array,
    out: *mut usize,
) -> zarrio_status {
    guard(|| write_out(out, handle(array, "array")?.inner.data_type().size(), "out"))
}

/// Check that a caller's elements of `size` bytes, of the kind `kind`,
/// are this array's elements, for bindings whose element types the
/// header cannot check (Fortran, Julia, Python): the size must be the
/// element size; and for the types every language has (`bool`, the
/// integers, `float32`, `float64`, `complex64`, `complex128`) and those
/// held as integers (`int4` and the other narrow integers, one byte each;
/// the numpy times, int64 counts) `kind` must name theirs: "bool",
/// "signed", "unsigned", "integer" (either), "float" or "complex". NULL
/// checks the size alone, as does every kind but "bool" for the other
/// data types (float16, the narrow floats, raw bits, structs, ..., held
/// as integers or records of their size). `ZARRIO_ERR_INVALID_ARGUMENT`
/// with a message saying what differs; `ZARRIO_ERR_UNSUPPORTED` for an
/// array of variable-length items. Thread-safe.
///
/// # Safety
/// `array` is a live handle; `kind` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn zarrio_array_check_element(
    array: *const zarrio_array,
    size: usize,
    kind: *const c_char,
) -> zarrio_status {
    guard(|| {
        let a = &handle(array, "array")?.inner;
        let kind = opt_c_str(kind, "kind")?;
        let dtype = a.data_type();
        if dtype.is_variable_length() {
            return Err(unsupported(format!(
                "array \"{}\" holds variable-length {} items, not elements of a fixed size",
                a.path(),
                dtype.name()
            )));
        }
        if size != dtype.size() {
            return Err(invalid_argument(format!(
                "elements of {size} bytes for array \"{}\" of {} ({} bytes each)",
                a.path(),
                dtype.name(),
                dtype.size()
            )));
        }
        let Some(kind) = kind else {
            return Ok(());
        };
        let given = match kind {
            "bool" | "signed" | "unsigned" | "integer" | "float" | "complex" => kind,
            other => {
                return Err(invalid_argument(format!(
                    "element kind {other:?} is not \"bool\", \"signed\", \"unsigned\", \
                     \"integer\", \"float\" or \"complex\""
                )))
            }
        };
        let fits = match dtype.number_kind() {
            Some(k) => k.accepts(given),
            // A caller's bool holds 0 or 1 only: only a bool array's
            // elements are that.
            None => given != "bool",
        };
        if fits {
            Ok(())
        } else {
            Err(invalid_argument(format!(
                "{given} elements for array \"{}\" of {}",
                a.path(),
                dtype.name()
            )))
        }
    })
}

/// The fill value: one element in native byte order, written to `out`
/// (which holds `capacity` bytes, at least the element size). For the
/// variable-length types, the fill item's bytes (UTF-8 for `string`),
/// which may be none; `zarrio_array_fill_value_size` says how many, and
/// `zarrio_array_metadata` states it too.
///
/// # Safety
/// `array` is a live handle; `out` holds `capacity` bytes.
#[no_mangle]
pub unsafe extern "C" fn zarrio_array_fill_value(
    array: *const zarrio_array,
    out: *mut c_void,
    capacity: usize,
) -> zarrio_status {
    guard(|| {
        let a = handle(array, "array")?;
        let fill = a.inner.fill_value();
        if capacity < fill.len() {
            return Err(buffer_too_small(format!(
                "the fill value is {} bytes, capacity is {capacity}",
                fill.len()
            )));
        }
        slice_mut(out as *mut u8, fill.len(), "out")?.copy_from_slice(fill);
        Ok(())
    })
}

/// The size in bytes of the fill value `zarrio_array_fill_value` writes:
/// the element size, or for the variable-length types the fill item's
/// length (0 for an empty item).
///
/// # Safety
/// `array` is a live handle; `out` is valid for a write.
#[no_mangle]
pub unsafe extern "C" fn zarrio_array_fill_value_size(
    array: *const zarrio_array,
    out: *mut usize,
) -> zarrio_status {
    guard(|| write_out(out, handle(array, "array")?.inner.fill_value().len(), "out"))
}

/// The array's zarr.json as text in `*out_json` (for a Zarr v2 array, its
/// `.zarray`; release with `zarrio_string_free`), its attributes as
/// `zarrio_array_attributes` gives them, its other members as zarrio
/// reads them (where a stored document holds, outside its attributes,
/// numbers past float64's range or lone surrogate escapes, as strings of
/// the numbers' text and U+FFFD).
///
/// # Safety
/// `array` is a live handle; `out_json` is valid for a write.
#[no_mangle]
pub unsafe extern "C" fn zarrio_array_metadata(
    array: *const zarrio_array,
    out_json: *mut *mut c_char,
) -> zarrio_status {
    guard(|| {
        check_out(out_json, "out_json")?;
        let a = handle(array, "array")?;
        write_out(out_json, into_c_string(a.inner.metadata_json()), "out_json")
    })
}

/// The array's attributes as JSON object text (release with
/// `zarrio_string_free`), numbers and strings as they are stored:
/// integers of any size, numbers past float64's range and lone UTF-16
/// surrogate escapes such as `"\ud800"`, all of which Python writes and
/// JSON's grammar allows, are handed out as written (readers that keep
/// to I-JSON, RFC 7493, refuse the last two). Non-finite numbers stored
/// as Python writes them (bare `NaN`, `Infinity`, `-Infinity`) come back
/// as the strings "NaN", "Infinity" and "-Infinity".
///
/// # Safety
/// As `zarrio_array_metadata`.
#[no_mangle]
pub unsafe extern "C" fn zarrio_array_attributes(
    array: *const zarrio_array,
    out_json: *mut *mut c_char,
) -> zarrio_status {
    guard(|| {
        check_out(out_json, "out_json")?;
        let a = handle(array, "array")?;
        write_out(
            out_json,
            into_c_string(a.inner.attributes_json()),
            "out_json",
        )
    })
}

/// Replace the attributes with `json` (a JSON object) in the stored
/// zarr.json, the rest of which is kept as stored (a shape another handle
/// set included); for a Zarr v2 array, its `.zattrs`. `json` is stored as
/// it is given: integers of any size, lone surrogate escapes, and
/// Python's bare `NaN`, `Infinity` and `-Infinity` (as zarr-python writes
/// non-finite floats), are kept.
///
/// # Safety
/// `array` is a live handle; `json` is NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn zarrio_array_set_attributes(
    array: *mut zarrio_array,
    json: *const c_char,
) -> zarrio_status {
    guard(|| {
        let a = handle(array, "array")?;
        a.inner.set_attributes_json(c_str(json, "json")?)
    })
}

/// Read the region `start[d] .. start[d] + shape[d]` into `out`.
///
/// Elements are written in native byte order. `strides` gives, per
/// dimension, the distance in elements between neighbours in `out`; NULL
/// means C order. Pass Fortran-order strides (1, shape[0], ...) to fill a
/// column-major array, or the strides of a larger array to fill a view.
/// Strides must be positive and nest: taken from the smallest, each must
/// step past every element the smaller ones reach (as the strides of an
/// array, or of a view of one, in any dimension order do). That rules out
/// overlap; layouts that interleave dimensions without overlapping (2 x 3
/// elements at strides 3 and 2) are refused too. Where the
/// layout's contiguous dimension is not the chunks' last (Fortran order),
/// each chunk is copied into place transposed in cache-sized tiles: a
/// whole-array read into Fortran order took 1.3 to 2 times as long as
/// into C order in BENCHMARKS.md ("Fortran-order reads and writes").
/// `capacity` is the size of `out` in bytes; every addressed element must
/// lie inside it. Missing chunks read as the fill value. Decoding runs on
/// the array's threads (see `zarrio_array_set_threads`). Parts of a shard
/// are read by range (its index, then the inner chunks touched); on a
/// store without value readers (callback stores) a writer can replace the
/// shard between those requests, so a part that fails to decode or check
/// is read once more through the index as it is then (the fill value if
/// the shard is gone by then), and its error is returned only if that
/// fails too. On any store a part that fails its checksum is read that
/// way up to three more times, 1 and 10 ms apart (a writer may be
/// patching a dense shard in place, see `zarrio_array_write`). On failure
/// the
/// region's elements in `out` are unspecified (chunks read before the
/// error may be in place, others not); nothing outside them is written.
///
/// Large reads: a buffer of 8 MiB or more is advised for huge pages. On
/// x86_64, chunks placed row by row into a buffer of 32 MiB or more are
/// written with streaming (cache-bypassing) stores, whole 64-byte lines
/// only: rows that start on a line boundary and are whole lines stream
/// whole, rows of 256 bytes or more stream the lines between their ends,
/// shorter rows off a boundary are copied normally. So when the chunk's
/// rows (last chunk extent x element size) and the destination's row
/// stride are multiples of 64 bytes, a buffer aligned to 64 bytes
/// (`posix_memalign`, `aligned_alloc`) reads faster than the same read
/// into a block from `malloc` (16 bytes past a line). Uncompressed chunks
/// that are contiguous in `out` are read from a filesystem store straight
/// into it, and the kernel's copy out of the page cache is slower into a
/// buffer that starts a few bytes past a 4 KiB page boundary (as large
/// `malloc` blocks do) than into a page-aligned one: a third slower in
/// BENCHMARKS.md ("Scratch buffers on page boundaries").
///
/// # Safety
/// `array` is a live handle; `start`, `shape` (and `strides` unless NULL)
/// hold `ndim` entries; `out` holds `capacity` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn zarrio_array_read(
    array: *const zarrio_array,
    ndim: usize,
    start: *const u64,
    shape: *const u64,
    out: *mut c_void,
    capacity: usize,
    strides: *const i64,
) -> zarrio_status {
    guard(|| {
        let a = &handle(array, "array")?.inner;
        check_ndim(a, ndim)?;
        let (start, shape) = region(ndim, start, shape)?;
        let strides = opt_strides(strides, ndim)?;
        let out = slice_mut(out as *mut u8, capacity, "out")?;
        a.read_region(start, shape, out, strides)
    })
}

/// Read the items of an array of variable-length data (`string`,
/// `variable_length_bytes`, `ndarray` with a variable dimension) in the
/// region `start[d] .. start[d] + shape[d]`, C order: item `i` is
/// `(*out_data)[offsets[i] .. offsets[i + 1]]` (UTF-8 without a
/// terminating NUL for `string`; for `ndarray` the element's scalars in C
/// order, in the host's byte order: an element of n x d1 x ... x dk
/// scalars).
/// `offsets` holds `offsets_count` entries, at least the region's element
/// count + 1 (else `ZARRIO_ERR_BUFFER_TOO_SMALL`); the first count + 1 are
/// written. The items' bytes are allocated by the library: `*out_data`
/// (NULL when there are none) holds `*out_len` bytes and is released with
/// `zarrio_bytes_free(*out_data, *out_len)`. Missing chunks read as the
/// fill value. `ZARRIO_ERR_UNSUPPORTED` for an array of fixed-size
/// elements (use `zarrio_array_read`). Safe to call from many threads on
/// one handle.
///
/// # Safety
/// `array` is a live handle; `start` and `shape` hold `ndim` entries;
/// `offsets` holds `offsets_count` writable entries; `out_data` and
/// `out_len` are valid for a write.
#[no_mangle]
pub unsafe extern "C" fn zarrio_array_read_strings(
    array: *const zarrio_array,
    ndim: usize,
    start: *const u64,
    shape: *const u64,
    offsets: *mut u64,
    offsets_count: usize,
    out_data: *mut *mut u8,
    out_len: *mut usize,
) -> zarrio_status {
    guard(|| {
        let a = &handle(array, "array")?.inner;
        check_ndim(a, ndim)?;
        let (start, shape) = region(ndim, start, shape)?;
        let n = crate::region::num_elements(shape)?;
        let offsets = items_out(n, offsets, offsets_count, out_data, out_len)?;
        hand_out_items(a.read_strings(start, shape)?, offsets, out_data, out_len)
    })
}

/// The `n + 1` entries of `offsets` that a read of `n` items fills, with
/// `out_data` and `out_len` checked; `ZARRIO_ERR_BUFFER_TOO_SMALL` when
/// `offsets_count` is short.
///
/// # Safety
/// `offsets` is NULL or holds `offsets_count` writable entries.
pub(super) unsafe fn items_out<'a>(
    n: usize,
    offsets: *mut u64,
    offsets_count: usize,
    out_data: *mut *mut u8,
    out_len: *mut usize,
) -> Result<&'a mut [u64]> {
    check_out(out_data, "out_data")?;
    check_out(out_len, "out_len")?;
    if offsets_count <= n {
        return Err(buffer_too_small(format!(
            "the selection has {n} items, which need {} offsets; offsets_count is {offsets_count}",
            n.saturating_add(1)
        )));
    }
    slice_mut(offsets, n + 1, "offsets")
}

/// Give the caller `items`: their offsets into `offsets` (as long as
/// `items_out` gave), their bytes as a library allocation.
///
/// # Safety
/// `out_data` and `out_len` are valid for a write.
pub(super) unsafe fn hand_out_items(
    items: crate::codec::vlen::Items,
    offsets: &mut [u64],
    out_data: *mut *mut u8,
    out_len: *mut usize,
) -> Result<()> {
    if offsets.len() != items.offsets.len() {
        return Err(crate::error::internal(format!(
            "{} items read where the selection has {}",
            items.offsets.len() - 1,
            offsets.len() - 1
        )));
    }
    offsets.copy_from_slice(&items.offsets);
    let (ptr, len) = into_c_bytes(items.data);
    write_out(out_data, ptr, "out_data")?;
    write_out(out_len, len, "out_len")
}

/// Write the items of an array of variable-length data (`string`,
/// `variable_length_bytes`, `ndarray` with a variable dimension) in the
/// region `start[d] .. start[d] + shape[d]`, C order: item `i` is
/// `data[offsets[i] .. offsets[i + 1]]`. `offsets` holds exactly the
/// region's element count + 1 entries, starting at 0, never decreasing,
/// ending at `data_len`; for `string` every item must be UTF-8 (without a
/// terminating NUL), for `ndarray` a whole number of records (d1 x ... x
/// dk scalars, in the host's byte order). Chunks the region
/// covers only in part are read and merged; chunks whose items all equal
/// the fill value are erased. `ZARRIO_ERR_UNSUPPORTED` for an array of
/// fixed-size elements (use `zarrio_array_write`).
/// Thread rules as for `zarrio_array_write`.
///
/// # Safety
/// `array` is a live handle; `start` and `shape` hold `ndim` entries;
/// `data` holds `data_len` bytes and `offsets` `offsets_count` entries.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn zarrio_array_write_strings(
    array: *mut zarrio_array,
    ndim: usize,
    start: *const u64,
    shape: *const u64,
    data: *const c_void,
    data_len: usize,
    offsets: *const u64,
    offsets_count: usize,
) -> zarrio_status {
    guard(|| {
        let a = &handle(array, "array")?.inner;
        check_ndim(a, ndim)?;
        let (start, shape) = region(ndim, start, shape)?;
        let items = ItemsRef {
            data: slice(data as *const u8, data_len, "data")?,
            offsets: slice(offsets, offsets_count, "offsets")?,
        };
        a.write_strings(start, shape, items)
    })
}

/// Write the region `start[d] .. start[d] + shape[d]` from `src`
/// (`size` bytes; layout as for `zarrio_array_read`). Chunks the region
/// covers are encoded straight from `src`; partly covered chunks are read,
/// merged and rewritten; chunks equal to the fill value are erased. Every
/// whole-value write is atomic where the store can make it so (the
/// filesystem store writes a temporary file and renames it): a reader, or
/// a crash, sees the old chunk or the new one.
///
/// Sharded arrays: when the inner codecs have a fixed encoded size (array
/// to array codecs, `bytes`, optionally `crc32c`; no compression) shards
/// are laid out densely: every inner chunk has a slot, fill-valued ones
/// included, and the index never changes once the shard exists. A write
/// that covers part of such a shard patches only the touched slots with
/// the store's `set_range` (filesystem, memory, and callback stores with
/// `set_range`); the first write to a missing shard allocates it whole,
/// atomically where the store can create-if-absent (filesystem, memory,
/// callback stores with `set_if_absent`; on one without, the writers of
/// this process through stores made with the same `user_data` take
/// turns, and others race).
/// So writers of disjoint inner chunks — threads, or processes on one
/// file system — may write the same shard at the same time, once it is
/// laid out densely: a shard stored another way (by another library, such
/// as zarr-python, which stores only the inner chunks that are not the
/// fill value) is rewritten whole, densely, by the first partial write,
/// and writers of it race until then. The bytes
/// stored are those a full rewrite of the same data stores, except that a
/// patched shard whose slots all come to hold the fill value stays
/// allocated (a write covering the whole shard, or
/// `zarrio_array_erase_chunk`, removes it). With compressed inner codecs,
/// or a store without `set_range`, a partial write rewrites the shard
/// whole (read, merge, write), and concurrent writers of one shard race.
/// A damaged shard (bad index, wrong size) is an error and is not written.
///
/// A write that fails (a store error, a value a codec cannot encode, such
/// as one out of `cast_value`'s range) leaves the chunk it failed on as it
/// was; other chunks of the region may already hold the new data, as
/// with every Zarr implementation (chunks are written independently).
/// A dense shard patched in place is written a run of side-by-side inner
/// chunks at a time: a store error may leave some of its touched inner
/// chunks new and others old; a value a codec cannot encode leaves the
/// shard as it was (a patch of more than 64 MiB of inner chunks encodes
/// them twice to make sure of that, holding 64 MiB at a time). A patch
/// is not atomic: a reader of an inner chunk while it is patched, or
/// after a crash during the patch, can find it part old and part new
/// (the memory store excepted). With `crc32c` among the inner codecs such
/// a chunk is a checksum error, not wrong values: a read tries a shard
/// part that fails its checksum three more times over about 11 ms before
/// it returns the error, so a read racing a writer sees the old or the
/// new chunk unless that chunk is patched again all through the retries,
/// and a chunk a crash left torn is reported until it is written again.
///
/// # Safety
/// `array` is a live handle; `start`, `shape` (and `strides` unless NULL)
/// hold `ndim` entries; `src` holds `size` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn zarrio_array_write(
    array: *mut zarrio_array,
    ndim: usize,
    start: *const u64,
    shape: *const u64,
    src: *const c_void,
    size: usize,
    strides: *const i64,
) -> zarrio_status {
    guard(|| {
        let a = &handle(array, "array")?.inner;
        check_ndim(a, ndim)?;
        let (start, shape) = region(ndim, start, shape)?;
        let strides = opt_strides(strides, ndim)?;
        let src = slice(src as *const u8, size, "src")?;
        a.write_region(start, shape, src, strides)
    })
}

/// Set every element of the region to `value` (one element of
/// `value_size` bytes, native byte order). Fully covered chunks are
/// encoded once and the bytes reused; filling with the fill value erases
/// them. For the variable-length types, `value` is the item (UTF-8 for
/// `string`; `value_size` may be 0 for an empty item, `value` then NULL).
///
/// # Safety
/// `array` is a live handle; `start` and `shape` hold `ndim` entries;
/// `value` holds `value_size` bytes.
#[no_mangle]
pub unsafe extern "C" fn zarrio_array_fill(
    array: *mut zarrio_array,
    ndim: usize,
    start: *const u64,
    shape: *const u64,
    value: *const c_void,
    value_size: usize,
) -> zarrio_status {
    guard(|| {
        let a = &handle(array, "array")?.inner;
        check_ndim(a, ndim)?;
        let (start, shape) = region(ndim, start, shape)?;
        a.fill_region(
            start,
            shape,
            slice(value as *const u8, value_size, "value")?,
        )
    })
}

/// Read one whole chunk (the full chunk shape in C order, for a
/// rectilinear grid this chunk's shape from `zarrio_array_chunk_span`;
/// the parts of an edge chunk outside the array hold whatever was stored
/// there, the fill value for chunks written by zarrio) into `out` of
/// `capacity` bytes.
/// An uncompressed chunk is read straight into `out`, fastest when `out`
/// is page-aligned (see `zarrio_array_read`).
///
/// # Safety
/// `array` is a live handle; `chunk_indices` holds `ndim` entries; `out`
/// holds `capacity` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn zarrio_array_read_chunk(
    array: *const zarrio_array,
    ndim: usize,
    chunk_indices: *const u64,
    out: *mut c_void,
    capacity: usize,
) -> zarrio_status {
    guard(|| {
        let a = &handle(array, "array")?.inner;
        check_ndim(a, ndim)?;
        let idx = slice(chunk_indices, ndim, "chunk_indices")?;
        a.read_chunk(idx, slice_mut(out as *mut u8, capacity, "out")?)
    })
}

/// Write one whole chunk from `src` (exactly one chunk's bytes, C order;
/// a rectilinear grid's chunks differ in shape, see
/// `zarrio_array_chunk_span`).
///
/// # Safety
/// `array` is a live handle; `chunk_indices` holds `ndim` entries; `src`
/// holds `size` bytes.
#[no_mangle]
pub unsafe extern "C" fn zarrio_array_write_chunk(
    array: *mut zarrio_array,
    ndim: usize,
    chunk_indices: *const u64,
    src: *const c_void,
    size: usize,
) -> zarrio_status {
    guard(|| {
        let a = &handle(array, "array")?.inner;
        check_ndim(a, ndim)?;
        let idx = slice(chunk_indices, ndim, "chunk_indices")?;
        a.write_chunk(idx, slice(src as *const u8, size, "src")?)
    })
}

/// Remove one chunk; it then reads as the fill value.
///
/// # Safety
/// `array` is a live handle; `chunk_indices` holds `ndim` entries.
#[no_mangle]
pub unsafe extern "C" fn zarrio_array_erase_chunk(
    array: *mut zarrio_array,
    ndim: usize,
    chunk_indices: *const u64,
) -> zarrio_status {
    guard(|| {
        let a = &handle(array, "array")?.inner;
        check_ndim(a, ndim)?;
        a.erase_chunk(slice(chunk_indices, ndim, "chunk_indices")?)
    })
}

/// Set the number of threads this array's reads and writes use: 0 = the
/// library default (`zarrio_set_threads`), 1 = the calling thread only
/// (while the I/O concurrency in effect, the array's or the library's, is
/// at most 1: more requests in flight run on more threads), at most
/// `ZARRIO_MAX_THREADS`. Thread-safe; calls
/// already running keep their count.
///
/// # Safety
/// `array` is a live handle.
#[no_mangle]
pub unsafe extern "C" fn zarrio_array_set_threads(
    array: *mut zarrio_array,
    n: u32,
) -> zarrio_status {
    guard(|| {
        let n = super::version::thread_count(n, "the thread count")?;
        handle(array, "array")?.inner.set_threads(n);
        Ok(())
    })
}

/// Set how many store requests this array's reads keep in flight (0 = the
/// library default, `zarrio_set_io_concurrency`; at most
/// `ZARRIO_MAX_THREADS`). Thread-safe; calls already running keep their
/// setting.
///
/// # Safety
/// `array` is a live handle.
#[no_mangle]
pub unsafe extern "C" fn zarrio_array_set_io_concurrency(
    array: *mut zarrio_array,
    n: u32,
) -> zarrio_status {
    guard(|| {
        let n = super::version::thread_count(n, "the I/O concurrency")?;
        handle(array, "array")?.inner.set_io_concurrency(n);
        Ok(())
    })
}

/// The array's codec pipeline as a pipeline handle (release with
/// `zarrio_pipeline_free`), for hosts that fetch chunk bytes themselves.
/// `ZARRIO_ERR_UNSUPPORTED` for an array of variable-length data, and for
/// one with a rectilinear chunk grid (a pipeline decodes chunks of one
/// shape: `zarrio_array_chunk_pipeline` gives each chunk's).
///
/// # Safety
/// `array` is a live handle; `out` is valid for a write.
#[no_mangle]
pub unsafe extern "C" fn zarrio_array_pipeline(
    array: *const zarrio_array,
    out: *mut *mut zarrio_pipeline,
) -> zarrio_status {
    guard(|| {
        check_out(out, "out")?;
        let a = handle(array, "array")?;
        a.inner.check_not_rectilinear("a single chunk pipeline")?;
        write_out(
            out,
            zarrio_pipeline::new_raw(a.inner.codecs().clone())?,
            "out",
        )
    })
}

/// The codec pipeline of the chunk (shard) at `chunk_indices` as a
/// pipeline handle (release with `zarrio_pipeline_free`): the array's
/// own, or for a rectilinear chunk grid the one for that chunk's shape
/// (`zarrio_array_chunk_span`), for hosts that fetch chunk bytes
/// themselves. `ZARRIO_ERR_OUT_OF_BOUNDS` for indices outside the grid,
/// `ZARRIO_ERR_UNSUPPORTED` for an array of variable-length data.
///
/// # Safety
/// `array` is a live handle; `chunk_indices` holds `ndim` entries; `out`
/// is valid for a write.
#[no_mangle]
pub unsafe extern "C" fn zarrio_array_chunk_pipeline(
    array: *const zarrio_array,
    ndim: usize,
    chunk_indices: *const u64,
    out: *mut *mut zarrio_pipeline,
) -> zarrio_status {
    guard(|| {
        check_out(out, "out")?;
        let a = &handle(array, "array")?.inner;
        check_ndim(a, ndim)?;
        let idx = slice(chunk_indices, ndim, "chunk_indices")?;
        write_out(out, zarrio_pipeline::new_raw(a.chunk_codecs(idx)?)?, "out")
    })
}

/// Give the array the shape `shape` (`ndim` entries, the array's number
/// of dimensions; any may grow or shrink, to zero included), as
/// zarr-python's `resize`: the chunk grid stays. Elements cut off by
/// shrinking are set to the fill value first (chunks wholly outside the
/// new shape are erased, the cut part of chunks on the new edge is
/// rewritten), so growing again later shows the fill value there; then
/// zarr.json is rewritten (the stored one, with only its shape changed).
/// Growing only rewrites zarr.json. On failure the array keeps its old
/// shape; values of the part being cut may be lost, never those of the
/// part kept. On a store that cannot list, shrinking visits every chunk
/// position of the cut part, and returns `ZARRIO_ERR_UNSUPPORTED`,
/// changing nothing, when there are more than 2^24 of them (after growing
/// to a huge shape, say).
///
/// Must not run concurrently with any other call on this handle, store
/// callbacks it makes included (they must not call the library on this
/// handle); other handles on the array must not use it meanwhile and must
/// be reopened to see the new shape. A Zarr v2 array's `.zarray` is
/// rewritten with only its shape changed. A rectilinear chunk grid whose
/// listed edges fall short of a grown extent gains one edge reaching it,
/// as zarr-python's resize adds it.
///
/// # Safety
/// `array` is a live handle that no other thread is using; `shape` holds
/// `ndim` entries.
#[no_mangle]
pub unsafe extern "C" fn zarrio_array_resize(
    array: *mut zarrio_array,
    ndim: usize,
    shape: *const u64,
) -> zarrio_status {
    guard(|| {
        let a = handle_mut(array, "array")?;
        check_ndim(&a.inner, ndim)?;
        let shape = slice(shape, ndim, "shape")?;
        a.inner.resize(shape)
    })
}
