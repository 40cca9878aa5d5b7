//! What the fuzz targets share: the arrays whose stored chunks are fuzzed
//! (one per codec chain and kind of data type a reader meets), and the
//! reads and writes each input is put through.
//!
//! A target fails only on a panic, an abort, a hang, a memory error, or
//! an `Internal` error (a broken invariant); every other error is the
//! clear refusal bad input must get.

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use zarrio::error::ErrorKind;
use zarrio::{Array, Group, MemoryStore, Result, StoreRef};

/// Chunks and regions larger than this are not written or read whole by
/// the targets: metadata may ask for chunks of any size, and a write
/// allocating a legitimately huge chunk is no bug.
pub const MAX_BYTES: u64 = 1 << 22;

/// One array the chunk target stores fuzzed bytes under.
pub struct Template {
    pub name: String,
    pub zarr_json: String,
    /// Where the template's own chunks are (a fixture directory), if any.
    pub fixture: Option<PathBuf>,
}

fn array(dtype: Value, fill: Value, shape: &[u64], chunk: &[u64], codecs: Value) -> String {
    json!({
        "zarr_format": 3, "node_type": "array", "shape": shape, "data_type": dtype,
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": chunk}},
        "chunk_key_encoding": {"name": "default"}, "fill_value": fill,
        "codecs": codecs
    })
    .to_string()
}

/// An 8 x 8 array in one chunk.
fn plain(dtype: Value, fill: Value, codecs: Value) -> String {
    array(dtype, fill, &[8, 8], &[8, 8], codecs)
}

fn blosc(cname: &str, clevel: u32, shuffle: &str, typesize: u32) -> Value {
    json!({"name": "blosc", "configuration": {
        "cname": cname, "clevel": clevel, "shuffle": shuffle, "typesize": typesize, "blocksize": 0}})
}

fn bytes() -> Value {
    json!({"name": "bytes", "configuration": {"endian": "little"}})
}

fn zstd() -> Value {
    json!({"name": "zstd", "configuration": {"level": 0, "checksum": false}})
}

fn shard(inner: &[u64], codecs: Value, index: Value, location: &str) -> Value {
    json!({"name": "sharding_indexed", "configuration": {
        "chunk_shape": inner, "codecs": codecs, "index_codecs": index,
        "index_location": location}})
}

/// The hand-written templates: every codec zarrio decodes, each in a chain
/// a writer would use.
fn written() -> Vec<(&'static str, String)> {
    let nc = |name: &str, cfg: Value| json!({"name": name, "configuration": cfg});
    vec![
        (
            "zstd_u16",
            plain(json!("uint16"), json!(0), json!([bytes(), zstd()])),
        ),
        (
            "zstd_checksum_u16",
            plain(
                json!("uint16"),
                json!(7),
                json!([bytes(), {"name": "zstd", "configuration": {"level": 3, "checksum": true}}]),
            ),
        ),
        (
            "gzip_big_u16",
            plain(
                json!("uint16"),
                json!(0),
                json!([{"name": "bytes", "configuration": {"endian": "big"}},
                       {"name": "gzip", "configuration": {"level": 1}}]),
            ),
        ),
        (
            "blosc_lz4_f32",
            plain(
                json!("float32"),
                json!("NaN"),
                json!([bytes(), blosc("lz4", 5, "shuffle", 4)]),
            ),
        ),
        (
            "blosc_zstd_bitshuffle_f64",
            plain(
                json!("float64"),
                json!(0.5),
                json!([bytes(), blosc("zstd", 1, "bitshuffle", 8)]),
            ),
        ),
        (
            "blosc_zlib_noshuffle_u8",
            plain(
                json!("uint8"),
                json!(0),
                json!([bytes(), blosc("zlib", 1, "noshuffle", 1)]),
            ),
        ),
        (
            "transpose_crc32c_i32",
            plain(
                json!("int32"),
                json!(-1),
                json!([{"name": "transpose", "configuration": {"order": [1, 0]}},
                       bytes(), {"name": "crc32c"}]),
            ),
        ),
        (
            "shard_end_zstd_u8",
            plain(
                json!("uint8"),
                json!(0),
                json!([shard(
                    &[4, 4],
                    json!([bytes(), zstd()]),
                    json!([bytes(), {"name": "crc32c"}]),
                    "end"
                )]),
            ),
        ),
        (
            "shard_start_gzip_u16",
            plain(
                json!("uint16"),
                json!(3),
                json!([shard(
                    &[2, 4],
                    json!([bytes(), {"name": "gzip", "configuration": {"level": 1}}]),
                    json!([bytes()]),
                    "start"
                )]),
            ),
        ),
        (
            "shard_uncompressed_u32",
            plain(
                json!("uint32"),
                json!(0),
                json!([shard(&[4, 2], json!([bytes()]), json!([bytes()]), "end")]),
            ),
        ),
        (
            "shard_nested_u16",
            plain(
                json!("uint16"),
                json!(0),
                json!([shard(
                    &[4, 4],
                    json!([shard(
                        &[2, 2],
                        json!([bytes(), zstd()]),
                        json!([bytes()]),
                        "end"
                    )]),
                    json!([bytes(), {"name": "crc32c"}]),
                    "end"
                )]),
            ),
        ),
        (
            "shard_edge_u8",
            array(
                json!("uint8"),
                json!(1),
                &[7, 5],
                &[8, 8],
                json!([shard(&[4, 4], json!([bytes()]), json!([bytes()]), "end")]),
            ),
        ),
        (
            "string_zstd",
            plain(
                json!("string"),
                json!(""),
                json!([{"name": "vlen-utf8"}, zstd()]),
            ),
        ),
        (
            "bytes_vlen",
            plain(json!("bytes"), json!(""), json!([{"name": "vlen-bytes"}])),
        ),
        (
            "string_shard",
            plain(
                json!("string"),
                json!("x"),
                json!([shard(
                    &[4, 4],
                    json!([{"name": "vlen-utf8"}]),
                    json!([bytes()]),
                    "end"
                )]),
            ),
        ),
        (
            "ndarray_vlen",
            array(
                json!({"name": "ndarray", "configuration": {"dtype": "float32", "shape": [null, 2]}}),
                json!(""),
                &[6],
                &[6],
                json!([{"name": "vlen-ndarray"}]),
            ),
        ),
        (
            "lz4_u8",
            plain(
                json!("uint8"),
                json!(0),
                json!([bytes(), {"name": "numcodecs.lz4"}]),
            ),
        ),
        (
            "bz2_u8",
            plain(
                json!("uint8"),
                json!(0),
                json!([bytes(), nc("numcodecs.bz2", json!({"level": 1}))]),
            ),
        ),
        (
            "lzma_xz_u8",
            plain(
                json!("uint8"),
                json!(0),
                json!([
                    bytes(),
                    nc("numcodecs.lzma", json!({"format": 1, "preset": 1}))
                ]),
            ),
        ),
        (
            "lzma_alone_u8",
            plain(
                json!("uint8"),
                json!(0),
                json!([
                    bytes(),
                    nc("numcodecs.lzma", json!({"format": 2, "preset": 1}))
                ]),
            ),
        ),
        (
            "zlib_shuffle_u32",
            plain(
                json!("uint32"),
                json!(0),
                json!([
                    bytes(),
                    nc("numcodecs.shuffle", json!({"elementsize": 4})),
                    nc("numcodecs.zlib", json!({"level": 1}))
                ]),
            ),
        ),
        (
            "delta_f64",
            plain(
                json!("float64"),
                json!(0.0),
                json!([nc("numcodecs.delta", json!({"dtype": "<f8"})), bytes()]),
            ),
        ),
        (
            "fixedscaleoffset_f64",
            plain(
                json!("float64"),
                json!(0.0),
                json!([
                    nc(
                        "numcodecs.fixedscaleoffset",
                        json!({"offset": 1.5, "scale": 10, "dtype": "<f8", "astype": "<i4"})
                    ),
                    bytes()
                ]),
            ),
        ),
        (
            "quantize_f32",
            plain(
                json!("float32"),
                json!(0.0),
                json!([
                    nc("numcodecs.quantize", json!({"digits": 3, "dtype": "<f4"})),
                    bytes()
                ]),
            ),
        ),
        (
            "bitround_f32",
            plain(
                json!("float32"),
                json!(0.0),
                json!([
                    nc("numcodecs.bitround", json!({"keepbits": 5})),
                    bytes(),
                    zstd()
                ]),
            ),
        ),
        (
            "astype_f64",
            plain(
                json!("float64"),
                json!(0.0),
                json!([
                    nc(
                        "numcodecs.astype",
                        json!({"encode_dtype": "<f4", "decode_dtype": "<f8"})
                    ),
                    bytes()
                ]),
            ),
        ),
        (
            "pcodec_f64",
            plain(
                json!("float64"),
                json!(0.0),
                json!([nc("numcodecs.pcodec", json!({"level": 4}))]),
            ),
        ),
        (
            "pcodec_i16",
            plain(
                json!("int16"),
                json!(0),
                json!([nc("numcodecs.pcodec", json!({"level": 8}))]),
            ),
        ),
        (
            "zfpy_f32",
            plain(
                json!("float32"),
                json!(0.0),
                json!([nc("numcodecs.zfpy", json!({"mode": 4, "tolerance": -1}))]),
            ),
        ),
        (
            "zfpy_f64_precision",
            plain(
                json!("float64"),
                json!(0.0),
                json!([nc("numcodecs.zfpy", json!({"mode": 3, "precision": 20}))]),
            ),
        ),
        (
            "numcodecs_packbits_bool",
            plain(
                json!("bool"),
                json!(false),
                json!([{"name": "numcodecs.packbits"}, bytes()]),
            ),
        ),
        (
            "fletcher32_u16",
            plain(
                json!("uint16"),
                json!(0),
                json!([bytes(), {"name": "numcodecs.fletcher32"}]),
            ),
        ),
        (
            "crc32_u16",
            plain(
                json!("uint16"),
                json!(0),
                json!([bytes(), {"name": "numcodecs.crc32"}]),
            ),
        ),
        (
            "adler32_u16",
            plain(
                json!("uint16"),
                json!(0),
                json!([bytes(), {"name": "numcodecs.adler32"}]),
            ),
        ),
        (
            "jenkins_u16",
            plain(
                json!("uint16"),
                json!(0),
                json!([bytes(), {"name": "numcodecs.jenkins_lookup3"}]),
            ),
        ),
        (
            "pad_offset_u8",
            plain(
                json!("uint8"),
                json!(0),
                json!([
                    bytes(),
                    nc(
                        "pad",
                        json!({"location": "end", "nbytes": 3, "padding": "AQID"})
                    ),
                    nc("offset", json!({"offset": 5})),
                    zstd()
                ]),
            ),
        ),
        (
            "cast_value_f32",
            plain(
                json!("float32"),
                json!(0.0),
                json!([
                    nc(
                        "cast_value",
                        json!({"data_type": "int8", "out_of_range": "clamp"})
                    ),
                    bytes()
                ]),
            ),
        ),
        (
            "n5_default_u16",
            plain(
                json!("uint16"),
                json!(0),
                json!([nc(
                    "n5_default",
                    json!({"codecs": [
                    {"name": "transpose", "configuration": {"order": [1, 0]}},
                    {"name": "bytes", "configuration": {"endian": "big"}},
                    {"name": "gzip", "configuration": {"level": 1}}]})
                )]),
            ),
        ),
        (
            "struct_zstd",
            array(
                json!({"name": "struct", "configuration": {"fields": [
                    {"name": "a", "data_type": "uint8"}, {"name": "b", "data_type": "float64"}]}}),
                json!({"a": 0, "b": 0.0}),
                &[6],
                &[6],
                json!([bytes(), zstd()]),
            ),
        ),
        (
            "complex64_big",
            plain(
                json!("complex64"),
                json!([0.0, 0.0]),
                json!([{"name": "bytes", "configuration": {"endian": "big"}}]),
            ),
        ),
        (
            "rectilinear_zstd_u16",
            json!({
                "zarr_format": 3, "node_type": "array", "shape": [8, 6], "data_type": "uint16",
                "chunk_grid": {"name": "rectilinear", "configuration": {"kind": "inline",
                    "chunk_shapes": [[5, 3], 6]}},
                "chunk_key_encoding": {"name": "default"}, "fill_value": 0,
                "codecs": [bytes(), zstd()]
            })
            .to_string(),
        ),
    ]
}

/// Every template: the hand-written ones, then the arrays zarrs wrote in
/// `tests/data/zarrs` (their chunks are the seeds of the corpus).
pub fn templates() -> Vec<Template> {
    let mut all: Vec<Template> = written()
        .into_iter()
        .map(|(name, zarr_json)| Template {
            name: name.to_string(),
            zarr_json,
            fixture: None,
        })
        .collect();
    // The arrays zarrs wrote, fixed-size ones first, then variable-length
    // ones (added later: the earlier templates keep their numbers).
    for set in ["zarrs", "zarrs_vlen"] {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../tests/data")
            .join(set);
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(&fixtures)
            .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        dirs.sort();
        for dir in dirs {
            if let Ok(text) = std::fs::read_to_string(dir.join("zarr.json")) {
                let name = dir.file_name().unwrap().to_string_lossy().into_owned();
                all.push(Template {
                    name: if set == "zarrs" {
                        format!("zarrs_{name}")
                    } else {
                        format!("zarrs_{set}_{name}")
                    },
                    zarr_json: text,
                    fixture: Some(dir),
                });
            }
        }
    }
    all
}

/// Panics on an error that must never come from bad input.
pub fn no_internal<T>(what: &str, r: Result<T>) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(e) => {
            assert!(
                e.kind() != ErrorKind::Internal && !e.message().is_empty(),
                "{what}: {:?}: {}",
                e.kind(),
                e.message()
            );
            None
        }
    }
}

fn elements(shape: &[u64]) -> Option<u64> {
    shape.iter().try_fold(1u64, |n, &d| n.checked_mul(d))
}

/// The bytes one region of `shape` takes, if small enough to read whole.
fn region_bytes(array: &Array, shape: &[u64]) -> Option<usize> {
    let n = elements(shape)?.checked_mul(array.data_type().size() as u64)?;
    (n <= MAX_BYTES).then_some(n as usize)
}

/// The first chunk's region (clipped to the array).
fn first_chunk(array: &Array) -> Vec<u64> {
    array
        .chunk_shape()
        .iter()
        .zip(array.shape())
        .map(|(&c, &s)| c.min(s))
        .collect()
}

/// Reads what the store holds for `array` in several ways, then writes one
/// element into its first chunk and reads it back.
pub fn exercise(array: &Array) {
    let ndim = array.ndim();
    let zero = vec![0u64; ndim];
    let region = first_chunk(array);
    if array.data_type().is_variable_length() {
        if elements(&region).is_some_and(|n| n <= 1 << 16) {
            no_internal("read_strings", array.read_strings(&zero, &region));
        }
        let one = vec![1u64; ndim];
        if array.shape().iter().all(|&d| d > 0) {
            let item: &[u8] = b"fuzz";
            no_internal("fill_strings", array.fill_strings(&zero, &one, item));
            no_internal(
                "read_strings after write",
                array.read_strings(&zero, &region),
            );
        }
        return;
    }
    let Some(len) = region_bytes(array, &region) else {
        return;
    };
    let mut whole = vec![0u8; len];
    no_internal(
        "read first chunk",
        array.read_region(&zero, &region, &mut whole, None),
    );
    // A Fortran-order read of the same region takes other paths.
    let mut strides = vec![0i64; ndim];
    let mut step = 1i64;
    for (s, &d) in strides.iter_mut().zip(&region) {
        *s = step;
        step = step.saturating_mul(d.max(1) as i64);
    }
    let mut fortran = vec![0u8; len];
    no_internal(
        "read first chunk, F order",
        array.read_region(&zero, &region, &mut fortran, Some(&strides)),
    );
    // The last element alone (an inner chunk of a shard on its own).
    if region.iter().all(|&d| d > 0) {
        let last: Vec<u64> = region.iter().map(|&d| d - 1).collect();
        let one = vec![1u64; ndim];
        let mut elem = vec![0u8; array.data_type().size()];
        no_internal(
            "read last element",
            array.read_region(&last, &one, &mut elem, None),
        );
        // Read-modify-write of one element of the stored chunk, with a value
        // read from it (valid for types whose bytes have rules).
        if no_internal(
            "write one element",
            array.write_region(&zero, &one, &elem, None),
        )
        .is_some()
        {
            let mut back = vec![0u8; len];
            no_internal(
                "read after write",
                array.read_region(&zero, &region, &mut back, None),
            );
        }
    }
}

/// A memory store holding `zarr_json` as the array at "a".
pub fn store_with(zarr_json: &str) -> StoreRef {
    let store: StoreRef = Arc::new(MemoryStore::new());
    store
        .set("a/zarr.json", zarr_json.as_bytes())
        .expect("memory store set");
    store
}

/// Opens whatever node the store holds at "a" (or its root) and exercises it.
pub fn exercise_node(store: &StoreRef) {
    for path in ["a", ""] {
        match Array::open(store.clone(), path) {
            Ok(array) => {
                exercise_any(&array);
                return;
            }
            Err(e) => {
                no_internal::<()>("open array", Err(e));
            }
        }
        if let Some(group) = no_internal("open group", Group::open(store.clone(), path)) {
            if let Some(children) = no_internal("children", group.children()) {
                for (name, _) in children.into_iter().take(8) {
                    let child = if path.is_empty() {
                        name
                    } else {
                        format!("{path}/{name}")
                    };
                    if let Some(a) = no_internal("open child", Array::open(store.clone(), &child)) {
                        exercise_any(&a);
                    }
                }
            }
        }
    }
}

/// Exercises an array whose chunks may be huge: reads and writes only when
/// its first chunk is small.
pub fn exercise_any(array: &Array) {
    if array.data_type().is_variable_length() || region_bytes(array, array.chunk_shape()).is_some()
    {
        exercise(array);
    } else if let Some(len) = region_bytes(array, &vec![1; array.ndim()]) {
        // Only one element, if the array has any.
        if array.shape().iter().all(|&d| d > 0) {
            let mut elem = vec![0u8; len];
            let zero = vec![0u64; array.ndim()];
            no_internal(
                "read one element",
                array.read_region(&zero, &vec![1; array.ndim()], &mut elem, None),
            );
        }
    }
}
