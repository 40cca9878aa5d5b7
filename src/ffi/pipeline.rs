//! `zarrio_pipeline`: a codec pipeline for hosts that move chunk bytes
//! themselves.

use super::memory::into_c_bytes;
use super::{c_str, check_out, guard, handle, slice, slice_mut, write_out, zarrio_status};
use crate::codec::{ChunkRepr, CodecChain};
use crate::dtype::DataType;
use crate::error::{buffer_too_small, invalid_argument, invalid_metadata};
use serde_json::Value;
use std::ffi::{c_char, c_void};
use std::sync::Arc;

/// A codec pipeline for one chunk shape. Immutable: every call may run
/// from many threads at once.
pub struct zarrio_pipeline {
    chain: Arc<CodecChain>,
}

impl zarrio_pipeline {
    pub(crate) fn new_raw(chain: Arc<CodecChain>) -> *mut zarrio_pipeline {
        Box::into_raw(Box::new(zarrio_pipeline { chain }))
    }
}

/// Build a pipeline from a codec list (the JSON array of a zarr.json
/// "codecs" field), a data type name, a chunk shape of `ndim` entries and
/// a fill value in its JSON form (e.g. "0", "\"NaN\"").
///
/// # Safety
/// Strings are NUL-terminated; `chunk_shape` holds `ndim` entries; `out`
/// is valid for a write.
#[no_mangle]
pub unsafe extern "C" fn zarrio_pipeline_create(
    codecs_json: *const c_char,
    data_type: *const c_char,
    ndim: usize,
    chunk_shape: *const u64,
    fill_value_json: *const c_char,
    out: *mut *mut zarrio_pipeline,
) -> zarrio_status {
    guard(|| {
        check_out(out, "out")?;
        let codecs: Value = serde_json::from_str(c_str(codecs_json, "codecs_json")?)
            .map_err(|e| invalid_metadata(format!("codecs_json: malformed JSON: {e}")))?;
        let codecs = codecs.as_array().ok_or_else(|| invalid_metadata("codecs_json must be a JSON array"))?;
        let dtype = DataType::from_name(c_str(data_type, "data_type")?)?;
        let shape = slice(chunk_shape, ndim, "chunk_shape")?.to_vec();
        if shape.iter().any(|&s| s == 0) {
            return Err(invalid_argument("chunk_shape entries must be positive"));
        }
        let fill: Value = serde_json::from_str(c_str(fill_value_json, "fill_value_json")?)
            .map_err(|e| invalid_metadata(format!("fill_value_json: malformed JSON: {e}")))?;
        let fill = dtype.parse_fill_value(&fill)?;
        let chain = CodecChain::from_json(codecs, ChunkRepr::new(shape, dtype, fill))?;
        write_out(out, zarrio_pipeline::new_raw(Arc::new(chain)), "out")
    })
}

/// Release a pipeline handle. NULL is ignored.
///
/// # Safety
/// `pipeline` is NULL or a live handle; it must not be used afterwards.
#[no_mangle]
pub unsafe extern "C" fn zarrio_pipeline_free(pipeline: *mut zarrio_pipeline) {
    if !pipeline.is_null() {
        // SAFETY: made by `Box::into_raw` in `new_raw`.
        drop(Box::from_raw(pipeline));
    }
}

/// The size in bytes of one decoded chunk.
///
/// # Safety
/// `pipeline` is a live handle; `out` is valid for a write.
#[no_mangle]
pub unsafe extern "C" fn zarrio_pipeline_decoded_size(pipeline: *const zarrio_pipeline, out: *mut usize) -> zarrio_status {
    guard(|| write_out(out, handle(pipeline, "pipeline")?.chain.repr().nbytes(), "out"))
}

/// Decode one encoded chunk (`len` bytes) into `out` (C order, native
/// byte order; `capacity` must be at least the decoded size).
///
/// # Safety
/// `pipeline` is a live handle; `bytes` holds `len` bytes; `out` holds
/// `capacity` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn zarrio_pipeline_decode(
    pipeline: *const zarrio_pipeline,
    bytes: *const c_void,
    len: usize,
    out: *mut c_void,
    capacity: usize,
) -> zarrio_status {
    guard(|| {
        let p = handle(pipeline, "pipeline")?;
        let n = p.chain.repr().nbytes();
        if capacity < n {
            return Err(buffer_too_small(format!("a decoded chunk is {n} bytes, capacity is {capacity}")));
        }
        let input = slice(bytes as *const u8, len, "bytes")?;
        let out = slice_mut(out as *mut u8, n, "out")?;
        p.chain.decode_into(input, out)
    })
}

/// Encode one chunk (`len` bytes, exactly the decoded size, C order). On
/// success `*out_bytes` / `*out_len` receive library-owned bytes to
/// release with `zarrio_bytes_free(*out_bytes, *out_len)`.
///
/// # Safety
/// `pipeline` is a live handle; `data` holds `len` bytes; the out pointers
/// are valid for writes.
#[no_mangle]
pub unsafe extern "C" fn zarrio_pipeline_encode(
    pipeline: *const zarrio_pipeline,
    data: *const c_void,
    len: usize,
    out_bytes: *mut *mut u8,
    out_len: *mut usize,
) -> zarrio_status {
    guard(|| {
        check_out(out_bytes, "out_bytes")?;
        check_out(out_len, "out_len")?;
        let p = handle(pipeline, "pipeline")?;
        let n = p.chain.repr().nbytes();
        if len != n {
            return Err(invalid_argument(format!("a decoded chunk is {n} bytes, {len} were given")));
        }
        let encoded = p.chain.encode(slice(data as *const u8, len, "data")?)?;
        let (ptr, size) = into_c_bytes(encoded);
        write_out(out_bytes, ptr, "out_bytes")?;
        write_out(out_len, size, "out_len")
    })
}
