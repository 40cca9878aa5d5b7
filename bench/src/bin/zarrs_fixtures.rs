//! Writes, with the zarrs crate, the arrays that `tests/zarrs_codecs.rs`
//! checks zarrio against: codecs from zarr-extensions that neither
//! zarr-python nor tensorstore write (`bitround`, `packbits`, `reshape`,
//! zarrs' `zarrs.squeeze`), and data types only zarrs writes (the 6-bit
//! floats, `float8_e4m3`, the complex types of other floats than
//! float32 and float64), zarrs' `zfp` codec (the `zfp_*` arrays) and its
//! `optional` data type and codec (the `optional_*` arrays).
//!
//!     cargo run --release --bin zarrs_fixtures -- ../tests/data/zarrs
//!
//! Each array goes to `DIR/NAME/` (`zarr.json` and the chunks as zarrs
//! stores them), with two files beside them: `input.bin`, the C-order
//! bytes the array was written from, and `read.bin`, what zarrs reads
//! back from the whole array. The test reads every array and compares
//! with `read.bin`, and writes `input.bin` through the same metadata and
//! compares every stored chunk with zarrs' bytes.

#[path = "../zarrs_store.rs"]
mod zarrs_store;

use std::path::Path;

use serde_json::{json, Value};
use zarrs::array::ArrayBytes;
use zarrs_store::{keep_codec_metadata, store};

fn write(dir: &Path, name: &str, meta: Value, input: Vec<u8>) {
    let back = store(dir, name, meta, ArrayBytes::new_flen(input.clone()));
    let back = back.into_fixed().unwrap();
    save(dir, name, &input, &back);
}

/// Keep the metadata the codecs need and write `input.bin` and `read.bin`.
fn save(dir: &Path, name: &str, input: &[u8], back: &[u8]) {
    keep_codec_metadata(dir, name);
    let path = dir.join(name);
    std::fs::write(path.join("input.bin"), input).unwrap();
    std::fs::write(path.join("read.bin"), back).unwrap();
    println!("{name}: {} bytes in, {} read", input.len(), back.len());
}

/// An array of the `optional` data type (nested as deep as `masks` has
/// masks, the innermost first) written from the values `values` (`size`
/// bytes each, zero where missing). `input.bin` and `read.bin` hold each
/// element as zarrio holds it: the value's bytes, then one validity byte
/// per level, the innermost first.
fn write_optional(
    dir: &Path,
    name: &str,
    meta: Value,
    values: Vec<u8>,
    size: usize,
    masks: Vec<Vec<u8>>,
) {
    let mut bytes = ArrayBytes::new_flen(values.clone());
    for m in &masks {
        bytes = bytes.with_optional_mask(m.clone());
    }
    let back = store(dir, name, meta, bytes);
    let input = interleave(&values, size, &masks);
    let back = flatten(back);
    save(dir, name, &input, &back);
}

/// Values of `size` bytes each followed by their validity bytes.
fn interleave(values: &[u8], size: usize, masks: &[Vec<u8>]) -> Vec<u8> {
    let mut out = vec![];
    for (i, v) in values.chunks(size).enumerate() {
        out.extend_from_slice(v);
        out.extend(masks.iter().map(|m| m[i]));
    }
    out
}

/// zarrs' bytes of an optional type as zarrio holds its elements.
fn flatten(bytes: ArrayBytes<'_>) -> Vec<u8> {
    match bytes {
        ArrayBytes::Optional(o) => {
            let (data, mask) = o.into_parts();
            let data = flatten(*data);
            let size = data.len() / mask.len();
            let mut out = vec![];
            for (v, m) in data.chunks(size).zip(mask.iter()) {
                out.extend_from_slice(v);
                out.push(*m);
            }
            out
        }
        other => other.into_fixed().unwrap().to_vec(),
    }
}

fn meta(shape: &[u64], chunk: &[u64], dtype: &str, fill: Value, codecs: Value) -> Value {
    json!({
        "zarr_format": 3, "node_type": "array", "shape": shape, "data_type": dtype,
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": chunk}},
        "chunk_key_encoding": {"name": "default"}, "fill_value": fill, "codecs": codecs,
    })
}

fn bytes_le() -> Value {
    json!({"name": "bytes", "configuration": {"endian": "little"}})
}

/// `n` pseudo-random u64s (a fixed LCG: the fixtures never change).
fn noise(n: usize, seed: u64) -> Vec<u64> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            s ^ (s >> 29)
        })
        .collect()
}

fn floats32(n: usize) -> Vec<u8> {
    let mut v: Vec<f32> = noise(n, 1)
        .iter()
        .map(|&r| ((r % 2_000_001) as f32 - 1e6) * 1.37e-3 * (1 + r % 7) as f32)
        .collect();
    let special = [
        0.0,
        -0.0,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::NAN,
        f32::MAX,
        f32::MIN_POSITIVE,
        1.0e-40,
    ];
    v[..special.len()].copy_from_slice(&special);
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn floats64(n: usize) -> Vec<u8> {
    let mut v: Vec<f64> = noise(n, 2)
        .iter()
        .map(|&r| ((r % 2_000_001) as f64 - 1e6) * 3.1e-5 * (1 + r % 13) as f64)
        .collect();
    let special = [0.0, -0.0, f64::INFINITY, f64::NAN, f64::MAX, 5e-324];
    v[..special.len()].copy_from_slice(&special);
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// Little-endian integers of `size` bytes: noise of every magnitude.
fn ints(n: usize, size: usize, seed: u64) -> Vec<u8> {
    let mut out = vec![];
    for (i, r) in noise(n, seed).into_iter().enumerate() {
        let width = 1 + (r % (8 * size as u64)) as u32;
        let mut v = (r >> 7) & (u64::MAX >> (64 - width));
        if i % 5 == 0 {
            v = !v; // negative, for the signed types
        }
        if i < 4 {
            v = [0, u64::MAX, 1, 3][i];
        }
        out.extend_from_slice(&v.to_le_bytes()[..size]);
    }
    out
}

fn main() {
    let dir = std::env::args().nth(1).expect("usage: zarrs_fixtures DIR");
    let dir = Path::new(&dir);
    let br = |k: u32| json!({"name": "bitround", "configuration": {"keepbits": k}});

    // bitround: floats keep mantissa bits; integers keep bits from the
    // highest set one.
    write(
        dir,
        "bitround_float32",
        meta(
            &[7, 9],
            &[4, 4],
            "float32",
            json!(0.0),
            json!([br(5), bytes_le()]),
        ),
        floats32(63),
    );
    write(
        dir,
        "bitround_float64",
        meta(
            &[50],
            &[16],
            "float64",
            json!(0.0),
            json!([br(11), bytes_le()]),
        ),
        floats64(50),
    );
    write(
        dir,
        "bitround_float16",
        meta(
            &[40],
            &[40],
            "float16",
            json!(0.0),
            json!([br(3), bytes_le()]),
        ),
        ints(40, 2, 3),
    );
    write(
        dir,
        "bitround_bfloat16",
        meta(
            &[40],
            &[40],
            "bfloat16",
            json!(0.0),
            json!([br(2), bytes_le()]),
        ),
        ints(40, 2, 4),
    );
    write(
        dir,
        "bitround_complex64",
        meta(
            &[30],
            &[8],
            "complex64",
            json!([0.0, 0.0]),
            json!([br(4), bytes_le()]),
        ),
        floats32(60),
    );
    write(
        dir,
        "bitround_int16",
        meta(&[64], &[64], "int16", json!(0), json!([br(3), bytes_le()])),
        ints(64, 2, 5),
    );
    write(
        dir,
        "bitround_uint8",
        meta(&[64], &[32], "uint8", json!(0), json!([br(2), bytes_le()])),
        ints(64, 1, 6),
    );
    write(
        dir,
        "bitround_int32",
        meta(&[64], &[64], "int32", json!(0), json!([br(7), bytes_le()])),
        ints(64, 4, 7),
    );
    write(
        dir,
        "bitround_uint64",
        meta(&[64], &[64], "uint64", json!(0), json!([br(9), bytes_le()])),
        ints(64, 8, 8),
    );
    write(
        dir,
        "bitround_int64_keep1",
        meta(&[64], &[64], "int64", json!(0), json!([br(1), bytes_le()])),
        ints(64, 8, 9),
    );

    // packbits, with each padding encoding and bit range.
    let pb = |cfg: Value| json!({"name": "packbits", "configuration": cfg});
    let bools: Vec<u8> = noise(77, 10).iter().map(|r| (r % 3 == 0) as u8).collect();
    write(
        dir,
        "packbits_bool",
        meta(
            &[7, 11],
            &[3, 5],
            "bool",
            json!(false),
            json!([pb(json!({}))]),
        ),
        bools.clone(),
    );
    write(
        dir,
        "packbits_bool_first_byte",
        meta(
            &[77],
            &[13],
            "bool",
            json!(false),
            json!([pb(json!({"padding_encoding": "first_byte"}))]),
        ),
        bools.clone(),
    );
    write(
        dir,
        "packbits_bool_last_byte",
        meta(
            &[77],
            &[13],
            "bool",
            json!(false),
            json!([pb(json!({"padding_encoding": "last_byte"}))]),
        ),
        bools,
    );
    let int4: Vec<u8> = noise(45, 11)
        .iter()
        .map(|r| ((r % 16) as i8 - 8) as u8)
        .collect();
    write(
        dir,
        "packbits_int4",
        meta(&[5, 9], &[5, 9], "int4", json!(0), json!([pb(json!({}))])),
        int4,
    );
    let int2: Vec<u8> = noise(30, 12)
        .iter()
        .map(|r| ((r % 4) as i8 - 2) as u8)
        .collect();
    write(
        dir,
        "packbits_int2",
        meta(&[30], &[7], "int2", json!(0), json!([pb(json!({}))])),
        int2,
    );
    let u4: Vec<u8> = noise(23, 19).iter().map(|r| (r % 16) as u8).collect();
    write(
        dir,
        "packbits_uint4",
        meta(
            &[23],
            &[10],
            "uint4",
            json!(3),
            json!([pb(json!({"padding_encoding": "first_byte"}))]),
        ),
        u4.clone(),
    );
    write(
        dir,
        "bytes_uint4",
        meta(&[23], &[10], "uint4", json!(15), json!([bytes_le()])),
        u4,
    );
    let u2: Vec<u8> = noise(19, 20).iter().map(|r| (r % 4) as u8).collect();
    write(
        dir,
        "packbits_uint2",
        meta(&[19], &[19], "uint2", json!(1), json!([pb(json!({}))])),
        u2.clone(),
    );
    write(
        dir,
        "bytes_uint2",
        meta(&[19], &[8], "uint2", json!(0), json!([bytes_le()])),
        u2,
    );
    let f4: Vec<u8> = noise(21, 13).iter().map(|r| (r % 16) as u8).collect();
    write(
        dir,
        "packbits_float4_e2m1fn",
        meta(
            &[21],
            &[21],
            "float4_e2m1fn",
            json!("0x0"),
            json!([pb(json!({"padding_encoding": "last_byte"}))]),
        ),
        f4,
    );
    write(
        dir,
        "packbits_uint8_bits_2_5",
        meta(
            &[40],
            &[40],
            "uint8",
            json!(0),
            json!([pb(json!({"first_bit": 2, "last_bit": 5}))]),
        ),
        ints(40, 1, 14),
    );
    write(
        dir,
        "packbits_int16_bits_0_9",
        meta(
            &[6, 7],
            &[4, 4],
            "int16",
            json!(0),
            json!([pb(json!({"last_bit": 9, "padding_encoding": "first_byte"}))]),
        ),
        ints(42, 2, 15),
    );
    write(
        dir,
        "packbits_int32_bits_3_20",
        meta(
            &[33],
            &[33],
            "int32",
            json!(0),
            json!([pb(json!({"first_bit": 3, "last_bit": 20}))]),
        ),
        ints(33, 4, 16),
    );
    write(
        dir,
        "packbits_uint64",
        meta(
            &[9],
            &[9],
            "uint64",
            json!(0),
            json!([pb(json!({"first_bit": 7}))]),
        ),
        ints(9, 8, 17),
    );
    write(
        dir,
        "packbits_float32",
        meta(&[20], &[20], "float32", json!(0.0), json!([pb(json!({}))])),
        floats32(20),
    );
    write(
        dir,
        "packbits_complex64_bits_16_31",
        meta(
            &[10],
            &[10],
            "complex64",
            json!([0.0, 0.0]),
            json!([pb(json!({"first_bit": 16, "last_bit": 31}))]),
        ),
        floats32(20),
    );
    write(
        dir,
        "packbits_int8_then_zstd",
        meta(
            &[64],
            &[32],
            "int8",
            json!(0),
            json!([pb(json!({"last_bit": 2})), {"name": "zstd", "configuration": {"level": 3, "checksum": false}}]),
        ),
        ints(64, 1, 18),
    );

    // The 6-bit floats, float8_e4m3 and the complex types of every float
    // part: through `bytes` (either byte order), `packbits` and
    // `bitround`. Codes of the narrow floats fill their low bits only.
    let codes = |n: usize, bits: u32, seed: u64| -> Vec<u8> {
        noise(n, seed)
            .iter()
            .map(|r| (r % (1 << bits)) as u8)
            .collect()
    };
    let bytes_be = json!({"name": "bytes", "configuration": {"endian": "big"}});
    write(
        dir,
        "bytes_float6_e2m3fn",
        meta(
            &[13],
            &[5],
            "float6_e2m3fn",
            json!("0x21"),
            json!([bytes_le()]),
        ),
        codes(13, 6, 19),
    );
    write(
        dir,
        "packbits_float6_e3m2fn",
        meta(
            &[29],
            &[10],
            "float6_e3m2fn",
            json!("0x05"),
            json!([pb(json!({}))]),
        ),
        codes(29, 6, 20),
    );
    write(
        dir,
        "packbits_float6_e2m3fn_bits_1_4",
        meta(
            &[17],
            &[17],
            "float6_e2m3fn",
            json!("0x00"),
            json!([pb(json!({"first_bit": 1, "last_bit": 4}))]),
        ),
        codes(17, 6, 21),
    );
    write(
        dir,
        "bytes_float8_e4m3",
        meta(
            &[20],
            &[8],
            "float8_e4m3",
            json!("0x7c"),
            json!([bytes_le()]),
        ),
        codes(20, 8, 22),
    );
    write(
        dir,
        "bytes_complex_float16_big",
        meta(
            &[5, 3],
            &[2, 2],
            "complex_float16",
            json!([1.5, -2.0]),
            json!([bytes_be.clone()]),
        ),
        ints(30, 2, 23),
    );
    write(
        dir,
        "bytes_complex_bfloat16",
        meta(
            &[11],
            &[4],
            "complex_bfloat16",
            json!([0.0, 1.0]),
            json!([bytes_le()]),
        ),
        ints(22, 2, 24),
    );
    write(
        dir,
        "bytes_complex_float32_big",
        meta(
            &[9],
            &[4],
            "complex_float32",
            json!([0.25, 0.0]),
            json!([bytes_be]),
        ),
        floats32(18),
    );
    write(
        dir,
        "bytes_complex_float64",
        meta(
            &[7],
            &[3],
            "complex_float64",
            json!([0.0, -0.5]),
            json!([bytes_le()]),
        ),
        floats64(14),
    );
    write(
        dir,
        "bytes_complex_float8_e4m3",
        meta(
            &[9],
            &[4],
            "complex_float8_e4m3",
            json!(["0x38", "0x00"]),
            json!([bytes_le()]),
        ),
        codes(18, 8, 25),
    );
    write(
        dir,
        "bytes_complex_float8_e8m0fnu",
        meta(
            &[6],
            &[4],
            "complex_float8_e8m0fnu",
            json!(["0x7f", "0x80"]),
            json!([bytes_le()]),
        ),
        codes(12, 8, 26),
    );
    write(
        dir,
        "bytes_complex_float4_e2m1fn",
        meta(
            &[10],
            &[4],
            "complex_float4_e2m1fn",
            json!(["0x02", "0x0a"]),
            json!([bytes_le()]),
        ),
        codes(20, 4, 27),
    );
    write(
        dir,
        "packbits_complex_float4_e2m1fn",
        meta(
            &[15],
            &[8],
            "complex_float4_e2m1fn",
            json!(["0x01", "0x00"]),
            json!([pb(json!({}))]),
        ),
        codes(30, 4, 28),
    );
    write(
        dir,
        "packbits_complex_float6_e3m2fn",
        meta(
            &[11],
            &[11],
            "complex_float6_e3m2fn",
            json!(["0x00", "0x00"]),
            json!([pb(json!({"padding_encoding": "first_byte"}))]),
        ),
        codes(22, 6, 29),
    );
    write(
        dir,
        "packbits_complex_float16_bits_5_14",
        meta(
            &[12],
            &[12],
            "complex_float16",
            json!([0.0, 0.0]),
            json!([pb(json!({"first_bit": 5, "last_bit": 14}))]),
        ),
        ints(24, 2, 30),
    );
    write(
        dir,
        "bitround_complex_float16",
        meta(
            &[20],
            &[8],
            "complex_float16",
            json!([0.0, 0.0]),
            json!([br(4), bytes_le()]),
        ),
        ints(40, 2, 31),
    );
    write(
        dir,
        "bitround_complex_bfloat16",
        meta(
            &[20],
            &[20],
            "complex_bfloat16",
            json!([0.0, 0.0]),
            json!([br(3), bytes_le()]),
        ),
        ints(40, 2, 32),
    );
    write(
        dir,
        "bitround_complex_float32",
        meta(
            &[16],
            &[16],
            "complex_float32",
            json!([0.0, 0.0]),
            json!([br(10), bytes_le()]),
        ),
        floats32(32),
    );

    // zarrs' chunk key encoding with a suffix.
    let mut m = meta(&[5, 4], &[2, 3], "uint16", json!(7), json!([bytes_le()]));
    m["chunk_key_encoding"] = json!({"name": "zarrs.default_suffix", "configuration": {"separator": ".", "suffix": ".bin"}});
    write(dir, "key_default_suffix", m, ints(20, 2, 33));

    // reshape and squeeze only change the shape that the codecs after
    // them see: a transpose after them shows it.
    let u16s = |n: usize| -> Vec<u8> { (0..n as u16).flat_map(|v| v.to_le_bytes()).collect() };
    let tr = |order: Value| json!({"name": "transpose", "configuration": {"order": order}});
    let rs = |shape: Value| json!({"name": "reshape", "configuration": {"shape": shape}});
    write(
        dir,
        "reshape_merge_transpose",
        meta(
            &[4, 6, 5],
            &[4, 6, 5],
            "uint16",
            json!(0),
            json!([rs(json!([[0, 1], 5])), tr(json!([1, 0])), bytes_le()]),
        ),
        u16s(120),
    );
    write(
        dir,
        "reshape_split_transpose",
        meta(
            &[8, 6],
            &[4, 6],
            "uint16",
            json!(0),
            json!([rs(json!([[0], 2, -1])), tr(json!([2, 0, 1])), bytes_le()]),
        ),
        u16s(48),
    );
    write(
        dir,
        "reshape_sizes",
        meta(
            &[6, 10],
            &[6, 10],
            "uint16",
            json!(0),
            json!([rs(json!([3, 4, 5])), tr(json!([2, 1, 0])), bytes_le()]),
        ),
        u16s(60),
    );
    write(
        dir,
        "reshape_then_sharding",
        meta(
            &[8, 8],
            &[8, 8],
            "uint16",
            json!(0),
            json!([rs(json!([[0, 1]])), {"name": "sharding_indexed", "configuration": {"chunk_shape": [16], "codecs": [bytes_le()], "index_codecs": [bytes_le(), {"name": "crc32c"}]}}]),
        ),
        u16s(64),
    );
    write(
        dir,
        "squeeze_transpose",
        meta(
            &[1, 6, 1, 4],
            &[1, 3, 1, 4],
            "uint16",
            json!(0),
            json!([{"name": "zarrs.squeeze", "configuration": {}}, tr(json!([1, 0])), bytes_le()]),
        ),
        u16s(24),
    );
    zfp_fixtures(dir);
}

/// Integers of `size` bytes with the top bit clear: zarrs stores
/// uint32 and uint64 as zfp's int32 and int64, clamping larger values.
fn unsigned_in_signed_range(n: usize, size: usize, seed: u64) -> Vec<u8> {
    let mut v = ints(n, size, seed);
    for e in v.chunks_mut(size) {
        e[size - 1] &= 0x7f;
    }
    v
}

/// zarrs' `zfp` codec (zarr-extensions' `zarrs.zfp`: zfp streams without
/// a header): every mode, each type zarrs takes (the 8- and 16-bit
/// integers promoted to int32), 1 to 4 dimensions with edge chunks, and
/// inside a shard and after `zarrs.squeeze`.
fn zfp_fixtures(dir: &Path) {
    let zfp = |cfg: Value| json!([{"name": "zfp", "configuration": cfg}]);
    let rev = || zfp(json!({"mode": "reversible"}));
    for (name, shape, chunk, dtype, input) in [
        (
            "zfp_reversible_int8",
            vec![10, 9],
            vec![4, 4],
            "int8",
            ints(90, 1, 31),
        ),
        (
            "zfp_reversible_uint8",
            vec![37],
            vec![16],
            "uint8",
            ints(37, 1, 32),
        ),
        (
            "zfp_reversible_int16",
            vec![5, 6, 7],
            vec![4, 4, 4],
            "int16",
            ints(210, 2, 33),
        ),
        (
            "zfp_reversible_uint16",
            vec![3, 4, 5, 6],
            vec![2, 3, 4, 5],
            "uint16",
            ints(360, 2, 34),
        ),
        (
            "zfp_reversible_int32",
            vec![40],
            vec![40],
            "int32",
            ints(40, 4, 35),
        ),
        (
            "zfp_reversible_uint32",
            vec![6, 7],
            vec![4, 4],
            "uint32",
            unsigned_in_signed_range(42, 4, 36),
        ),
        (
            "zfp_reversible_int64",
            vec![33],
            vec![8],
            "int64",
            ints(33, 8, 37),
        ),
        (
            "zfp_reversible_uint64",
            vec![5, 5],
            vec![5, 5],
            "uint64",
            unsigned_in_signed_range(25, 8, 38),
        ),
        (
            "zfp_reversible_float32",
            vec![9, 9],
            vec![4, 8],
            "float32",
            floats32(81),
        ),
        (
            "zfp_reversible_float64",
            vec![4, 5, 6],
            vec![4, 5, 6],
            "float64",
            floats64(120),
        ),
    ] {
        write(
            dir,
            name,
            meta(&shape, &chunk, dtype, json!(0), rev()),
            input,
        );
    }
    let smooth32 = |n: usize| -> Vec<u8> {
        (0..n)
            .flat_map(|i| (((i as f32) * 0.37).sin() * 100.0 + i as f32 * 0.25).to_le_bytes())
            .collect()
    };
    let smooth64 = |n: usize| -> Vec<u8> {
        (0..n)
            .flat_map(|i| (((i as f64) * 0.21).cos() * 1e3 - i as f64).to_le_bytes())
            .collect()
    };
    for (name, shape, chunk, dtype, cfg, input) in [
        (
            "zfp_fixed_rate_float32",
            vec![7, 9],
            vec![4, 4],
            "float32",
            json!({"mode": "fixed_rate", "rate": 10.5}),
            smooth32(63),
        ),
        (
            "zfp_fixed_rate_float64",
            vec![50],
            vec![16],
            "float64",
            json!({"mode": "fixed_rate", "rate": 8}),
            smooth64(50),
        ),
        (
            "zfp_fixed_rate_int32",
            vec![6, 6, 6],
            vec![4, 4, 4],
            "int32",
            json!({"mode": "fixed_rate", "rate": 6}),
            ints(216, 4, 39),
        ),
        (
            "zfp_fixed_rate_uint8",
            vec![30],
            vec![30],
            "uint8",
            json!({"mode": "fixed_rate", "rate": 3}),
            ints(30, 1, 40),
        ),
        (
            "zfp_fixed_precision_float64",
            vec![5, 6, 7],
            vec![4, 4, 4],
            "float64",
            json!({"mode": "fixed_precision", "precision": 19}),
            smooth64(210),
        ),
        (
            "zfp_fixed_precision_int16",
            vec![70],
            vec![32],
            "int16",
            json!({"mode": "fixed_precision", "precision": 12}),
            ints(70, 2, 41),
        ),
        (
            "zfp_fixed_precision_int64",
            vec![8, 8],
            vec![8, 8],
            "int64",
            json!({"mode": "fixed_precision", "precision": 40}),
            ints(64, 8, 42),
        ),
        (
            "zfp_fixed_accuracy_float32",
            vec![3, 4, 5, 6],
            vec![2, 4, 4, 4],
            "float32",
            json!({"mode": "fixed_accuracy", "tolerance": 0.05}),
            smooth32(360),
        ),
        (
            "zfp_fixed_accuracy_float64",
            vec![100],
            vec![64],
            "float64",
            json!({"mode": "fixed_accuracy", "tolerance": 1e-9}),
            smooth64(100),
        ),
        (
            "zfp_expert_float64",
            vec![9, 9],
            vec![8, 8],
            "float64",
            json!({"mode": "expert", "minbits": 1, "maxbits": 13, "maxprec": 19, "minexp": -2}),
            smooth64(81),
        ),
        (
            "zfp_expert_float32",
            vec![40],
            vec![40],
            "float32",
            json!({"mode": "expert", "minbits": 32, "maxbits": 300, "maxprec": 24, "minexp": -30}),
            smooth32(40),
        ),
        (
            "zfp_expert_int32",
            vec![6, 7],
            vec![6, 7],
            "int32",
            json!({"mode": "expert", "minbits": 0, "maxbits": 400, "maxprec": 20, "minexp": -1074}),
            ints(42, 4, 43),
        ),
    ] {
        write(
            dir,
            name,
            meta(&shape, &chunk, dtype, json!(0), zfp(cfg)),
            input,
        );
    }
    let mut td = meta(&[20], &[8], "", json!(0), rev());
    td["data_type"] =
        json!({"name": "numpy.timedelta64", "configuration": {"unit": "s", "scale_factor": 1}});
    write(dir, "zfp_reversible_timedelta64", td, ints(20, 8, 44));
    write(
        dir,
        "zfp_in_shard",
        meta(
            &[12, 10],
            &[8, 8],
            "float32",
            json!(0),
            json!([{"name": "sharding_indexed", "configuration": {"chunk_shape": [4, 4], "codecs": [{"name": "zfp", "configuration": {"mode": "fixed_precision", "precision": 16}}], "index_codecs": [bytes_le(), {"name": "crc32c"}]}}]),
        ),
        smooth32(120),
    );
    write(
        dir,
        "zfp_after_squeeze",
        meta(
            &[1, 6, 1, 4, 5],
            &[1, 3, 1, 4, 5],
            "float64",
            json!(0),
            json!([{"name": "zarrs.squeeze", "configuration": {}}, {"name": "zfp", "configuration": {"mode": "reversible"}}]),
        ),
        smooth64(120),
    );

    optional_fixtures(dir);
}

/// Arrays of zarrs' `optional` data type and codec.
fn optional_fixtures(dir: &Path) {
    let opt = |inner: Value| json!({"name": "zarrs.optional", "configuration": inner});
    let codec = |mask: Value, data: Value| json!({"name": "zarrs.optional", "configuration": {"mask_codecs": mask, "data_codecs": data}});
    let packbits = json!([{"name": "packbits", "configuration": {}}]);
    let with_type = |mut m: Value, t: Value| {
        m["data_type"] = t;
        m
    };
    // Values zero where missing, as zarrio reads them back.
    let masked = |values: Vec<u8>, size: usize, mask: &[u8]| -> Vec<u8> {
        values
            .chunks(size)
            .zip(mask)
            .flat_map(|(v, m)| if *m == 1 { v.to_vec() } else { vec![0; size] })
            .collect()
    };

    // uint8, missing by default: the first chunk wholly missing (not
    // stored), the last wholly present, the others mixed.
    let mask: Vec<u8> = (0..100u32)
        .map(|i| {
            let (r, c) = (i / 10, i % 10);
            match (r < 4 && c < 4, r >= 8 && c >= 8) {
                (true, _) => 0,
                (_, true) => 1,
                _ => u8::from(i % 3 != 0),
            }
        })
        .collect();
    write_optional(
        dir,
        "optional_uint8",
        with_type(
            meta(
                &[10, 10],
                &[4, 4],
                "",
                Value::Null,
                json!([codec(packbits.clone(), json!([bytes_le()]))]),
            ),
            opt(json!({"name": "uint8", "configuration": {}})),
        ),
        masked(ints(100, 1, 50), 1, &mask),
        1,
        vec![mask],
    );

    // float32 with a present fill value: a chunk wholly missing (stored),
    // one wholly the fill value (not stored), zstd after the values.
    let mask: Vec<u8> = (0..30)
        .map(|i| u8::from(i >= 8 && (i < 16 || i % 4 != 1)))
        .collect();
    let mut values = floats32(30);
    for i in 8..16 {
        values[4 * i..4 * i + 4].copy_from_slice(&1.5f32.to_le_bytes());
    }
    write_optional(
        dir,
        "optional_float32_fill",
        with_type(
            meta(
                &[30],
                &[8],
                "",
                json!([1.5]),
                json!([codec(
                    json!([{"name": "bytes", "configuration": {}}]),
                    json!([bytes_le(), {"name": "zstd", "configuration": {"level": 1, "checksum": false}}])
                )]),
            ),
            opt(json!({"name": "float32", "configuration": {}})),
        ),
        masked(values, 4, &mask),
        4,
        vec![mask],
    );

    // An optional of an optional uint16, present-but-missing by default.
    let outer: Vec<u8> = (0..30).map(|i| u8::from(i % 4 != 1)).collect();
    let inner: Vec<u8> = (0..30)
        .map(|i| u8::from(outer[i] == 1 && i % 3 != 2))
        .collect();
    write_optional(
        dir,
        "optional_nested_uint16",
        with_type(
            meta(
                &[6, 5],
                &[3, 5],
                "",
                json!([null]),
                json!([codec(
                    packbits.clone(),
                    json!([codec(packbits.clone(), json!([bytes_le()]))])
                )]),
            ),
            opt(
                json!({"name": "zarrs.optional", "configuration": {"name": "uint16", "configuration": {}}}),
            ),
        ),
        masked(ints(30, 2, 51), 2, &inner),
        2,
        vec![inner, outer],
    );

    // int64, big endian, compressed mask and values, a chunk wholly
    // missing. (zarrs 0.23 does not shard optional types.)
    let mask: Vec<u8> = (0..20)
        .map(|i| u8::from(!(4..8).contains(&i) && i % 5 != 0))
        .collect();
    let zstd3 = json!({"name": "zstd", "configuration": {"level": 3, "checksum": false}});
    write_optional(
        dir,
        "optional_int64_big_zstd",
        with_type(
            meta(
                &[20],
                &[4],
                "",
                Value::Null,
                json!([codec(
                    json!([{"name": "packbits", "configuration": {}}, zstd3]),
                    json!([{"name": "bytes", "configuration": {"endian": "big"}}, zstd3])
                )]),
            ),
            opt(json!({"name": "int64", "configuration": {}})),
        ),
        masked(ints(20, 8, 52), 8, &mask),
        8,
        vec![mask],
    );
}
