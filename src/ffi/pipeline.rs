//! `zarrio_pipeline`: a codec pipeline for hosts that move chunk bytes
//! themselves.

use super::io::{zarrio_io, ZARRIO_CALLBACK_NOT_FOUND, ZARRIO_CALLBACK_OK};
use super::memory::into_c_bytes;
use super::{c_str, check_out, guard, handle, slice, slice_mut, write_out, zarrio_status};
use crate::array::{read_shard_region, ShardRead};
use crate::codec::{ChunkRepr, CodecChain};
use crate::dtype::DataType;
use crate::error::{
    buffer_too_small, corrupt, invalid_argument, invalid_metadata, io_error, unsupported, Result,
};
use crate::region::{check_region, ChunkPart};
use crate::store::{ByteRange, Store};
use crate::strided::{DestBuffer, Layout};
use serde_json::Value;
use std::ffi::{c_char, c_void};
use std::sync::Arc;

/// A codec pipeline for one chunk shape. Immutable: every call may run
/// from many threads at once.
pub struct zarrio_pipeline {
    chain: Arc<CodecChain>,
}

impl zarrio_pipeline {
    /// A handle for `chain`. Pipelines move fixed-size elements: one for
    /// a variable-length data type is refused (its items are read with
    /// `zarrio_array_read_strings`).
    pub(crate) fn new_raw(chain: Arc<CodecChain>) -> Result<*mut zarrio_pipeline> {
        let dtype = &chain.repr().dtype;
        if dtype.is_variable_length() {
            return Err(unsupported(format!(
                "pipelines of variable-length data ({}) are not supported: read and write \
                 those arrays with zarrio_array_read_strings / zarrio_array_write_strings",
                dtype.name()
            )));
        }
        Ok(Box::into_raw(Box::new(zarrio_pipeline { chain })))
    }
}

/// Build a pipeline from a codec list (the JSON array of a zarr.json
/// "codecs" field), a data type (its name, or for a type with a
/// configuration its JSON object, e.g. `{"name": "numpy.datetime64",
/// "configuration": {"unit": "s", "scale_factor": 1}}`), a chunk shape of
/// `ndim` entries and a fill value in its JSON form (e.g. "0",
/// "\"NaN\""). Variable-length data types (`string`, ...) are
/// `ZARRIO_ERR_UNSUPPORTED`.
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
        let codecs = codecs
            .as_array()
            .ok_or_else(|| invalid_metadata("codecs_json must be a JSON array"))?;
        let data_type = c_str(data_type, "data_type")?;
        let dtype = if data_type.trim_start().starts_with('{') {
            let v: Value = serde_json::from_str(data_type)
                .map_err(|e| invalid_metadata(format!("data_type: malformed JSON: {e}")))?;
            DataType::from_json(&v)?
        } else {
            DataType::from_name(data_type)?
        };
        let shape = slice(chunk_shape, ndim, "chunk_shape")?.to_vec();
        if shape.contains(&0) {
            return Err(invalid_argument("chunk_shape entries must be positive"));
        }
        let fill: Value = serde_json::from_str(c_str(fill_value_json, "fill_value_json")?)
            .map_err(|e| invalid_metadata(format!("fill_value_json: malformed JSON: {e}")))?;
        let fill = dtype.parse_fill_value(&fill)?;
        let chain = CodecChain::from_json(codecs, ChunkRepr::new(shape, dtype, fill))?;
        write_out(out, zarrio_pipeline::new_raw(Arc::new(chain))?, "out")
    })
}

/// Release a pipeline handle. NULL is ignored.
///
/// # Safety
/// `pipeline` is NULL or a live handle, in use by no other thread; it must
/// not be used afterwards.
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
pub unsafe extern "C" fn zarrio_pipeline_decoded_size(
    pipeline: *const zarrio_pipeline,
    out: *mut usize,
) -> zarrio_status {
    guard(|| {
        write_out(
            out,
            handle(pipeline, "pipeline")?.chain.repr().nbytes(),
            "out",
        )
    })
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
            return Err(buffer_too_small(format!(
                "a decoded chunk is {n} bytes, capacity is {capacity}"
            )));
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
            return Err(invalid_argument(format!(
                "a decoded chunk is {n} bytes, {len} were given"
            )));
        }
        let encoded = p.chain.encode(slice(data as *const u8, len, "data")?)?;
        let (ptr, size) = into_c_bytes(encoded);
        write_out(out_bytes, ptr, "out_bytes")?;
        write_out(out_len, size, "out_len")
    })
}

/// A host function that reads a byte range of one shard: `length` bytes
/// from `offset`, or to the end when `length` is UINT64_MAX; with
/// `from_end` non-zero, the last `length` bytes. It gives the bytes with
/// `zarrio_io_set_data`/`zarrio_io_resize` and returns
/// `ZARRIO_CALLBACK_OK`, `ZARRIO_CALLBACK_NOT_FOUND` (no such shard: it
/// reads as the fill value) or a negative failure code. Called from
/// several library threads at once (up to the larger of `threads` and the
/// library's I/O concurrency, `zarrio_set_io_concurrency`) unless
/// `threads` is 1: then only from the calling thread.
pub type zarrio_read_range_fn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        offset: u64,
        length: u64,
        from_end: i32,
        io: *mut zarrio_io,
    ) -> i32,
>;

/// A one-value store over a host range reader.
struct HostShardReader {
    read: unsafe extern "C" fn(*mut c_void, u64, u64, i32, *mut zarrio_io) -> i32,
    user_data: *mut c_void,
}

// SAFETY: the host promises its reader may be called from any thread
// (see zarrio_read_range_fn); with threads = 1 only the calling thread is
// used (zarrio_pipeline_decode_shard_region).
unsafe impl Send for HostShardReader {}
unsafe impl Sync for HostShardReader {}

impl std::fmt::Debug for HostShardReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HostShardReader")
    }
}

impl HostShardReader {
    fn read(&self, offset: u64, length: u64, from_end: bool) -> Result<Option<Vec<u8>>> {
        let mut io = zarrio_io::default();
        // SAFETY: the host's function, called as zarrio_read_range_fn says.
        let rc = crate::threads::host_code(|| unsafe {
            (self.read)(self.user_data, offset, length, from_end as i32, &mut io)
        });
        // A bad call on the io (e.g. a length zarrio_io_resize could not
        // allocate) fails the read whatever the callback returned.
        if let Some(m) = io.misuse {
            return Err(m.context("read_range callback"));
        }
        match rc {
            ZARRIO_CALLBACK_OK => Ok(Some(io.data)),
            ZARRIO_CALLBACK_NOT_FOUND => Ok(None),
            _ => Err(io_error(match io.error {
                Some(m) => format!("read_range callback failed ({rc}): {m}"),
                None => format!("read_range callback failed ({rc})"),
            })),
        }
    }
}

impl Store for HostShardReader {
    fn get(&self, _key: &str) -> Result<Option<Vec<u8>>> {
        self.read(0, u64::MAX, false)
    }
    fn get_range(&self, key: &str, range: ByteRange) -> Result<Option<Vec<u8>>> {
        let (data, expected) = match range {
            ByteRange::FromStart {
                offset,
                length: Some(l),
            } => (self.read(offset, l, false)?, Some(l)),
            ByteRange::FromStart {
                offset,
                length: None,
            } => (self.read(offset, u64::MAX, false)?, None),
            ByteRange::Suffix { length } => (self.read(0, length, true)?, Some(length)),
        };
        if let (Some(d), Some(n)) = (&data, expected) {
            if d.len() as u64 != n {
                return Err(corrupt(format!(
                    "{key}: read_range callback gave {} bytes, {n} were asked for",
                    d.len()
                )));
            }
        }
        Ok(data)
    }
    fn set(&self, _key: &str, _value: &[u8]) -> Result<()> {
        Err(unsupported("a shard reader is read-only"))
    }
    fn erase(&self, _key: &str) -> Result<()> {
        Err(unsupported("a shard reader is read-only"))
    }
    fn list(&self, _prefix: &str) -> Result<Vec<String>> {
        Err(unsupported("a shard reader cannot list"))
    }
}

/// Decode the region `start[d] .. start[d] + shape[d]` of one shard into
/// `out`, fetching only the shard index and the inner chunks the region
/// touches through the host's `read_range` (the whole shard in one read
/// when the region is the whole shard). The pipeline must be a
/// `sharding_indexed` codec alone (e.g. from `zarrio_array_pipeline` of a
/// sharded array); its chunk shape is the shard shape. `out`, `capacity`
/// and `strides` are as for `zarrio_array_read`. Inner chunks are decoded
/// on `threads` threads (0 = library default, 1 = the calling thread only,
/// at most `ZARRIO_MAX_THREADS`).
///
/// # Safety
/// `pipeline` is a live handle; `read_range` follows its contract with
/// `user_data`; `start`, `shape` (and `strides` unless NULL) hold `ndim`
/// entries; `out` holds `capacity` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn zarrio_pipeline_decode_shard_region(
    pipeline: *const zarrio_pipeline,
    read_range: zarrio_read_range_fn,
    user_data: *mut c_void,
    ndim: usize,
    start: *const u64,
    shape: *const u64,
    out: *mut c_void,
    capacity: usize,
    strides: *const i64,
    threads: u32,
) -> zarrio_status {
    guard(|| {
        let p = handle(pipeline, "pipeline")?;
        let read = read_range.ok_or_else(|| invalid_argument("read_range is NULL"))?;
        let sharding = p
            .chain
            .sharding()
            .ok_or_else(|| unsupported("the pipeline is not a sharding_indexed codec alone"))?;
        let repr = p.chain.repr();
        if ndim != repr.shape.len() {
            return Err(invalid_argument(format!(
                "ndim is {ndim}, the shard has {} dimensions",
                repr.shape.len()
            )));
        }
        let (start, shape) = super::region(ndim, start, shape)?;
        check_region(&repr.shape, start, shape)?;
        let strides = super::opt_strides(strides, ndim)?;
        let out = slice_mut(out as *mut u8, capacity, "out")?;
        let layout = Layout::new(shape, strides, repr.dtype.size(), out.len())?;
        let dest = DestBuffer::new(out, layout);
        let part = ChunkPart {
            chunk: vec![],
            in_chunk: start.to_vec(),
            in_region: vec![0; ndim],
            shape: shape.to_vec(),
        };
        let reader = HostShardReader { read, user_data };
        // `threads` 1 keeps the host's reader on the calling thread, as the
        // reader's contract promises, whatever the I/O concurrency.
        let (workers, gate) = match super::version::thread_count(threads, "threads")? {
            1 => (1, crate::threads::Gate::new(None)),
            n => crate::threads::plan(n, 0),
        };
        let ctx = ShardRead {
            store: &reader,
            key: "shard",
            sharding,
            fill_value: &repr.fill_value,
            gate: &gate,
            alone: true,
            index: None,
            fetched: None,
        };
        read_shard_region(&ctx, &repr.shape, &part, &dest, workers)
    })
}
