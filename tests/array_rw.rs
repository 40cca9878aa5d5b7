//! Array reads and writes through the Rust API, checked against a plain
//! in-memory model of the array.

use serde_json::json;
use std::sync::Arc;
use zarrio::{Array, MemoryStore, StoreRef};

fn meta(
    shape: &[u64],
    chunks: &[u64],
    dtype: &str,
    fill: serde_json::Value,
    codecs: serde_json::Value,
) -> String {
    json!({
        "zarr_format": 3, "node_type": "array", "shape": shape, "data_type": dtype,
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": chunks}},
        "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
        "fill_value": fill, "codecs": codecs, "attributes": {}
    })
    .to_string()
}

fn bytes_le() -> serde_json::Value {
    json!({"name": "bytes", "configuration": {"endian": "little"}})
}

fn codec_lists() -> Vec<(&'static str, serde_json::Value)> {
    vec![
        ("bytes", json!([bytes_le()])),
        (
            "big endian",
            json!([{"name": "bytes", "configuration": {"endian": "big"}}]),
        ),
        (
            "zstd",
            json!([bytes_le(), {"name": "zstd", "configuration": {"level": 0}}]),
        ),
        (
            "gzip+crc",
            json!([bytes_le(), {"name": "gzip", "configuration": {"level": 5}}, {"name": "crc32c"}]),
        ),
        (
            "blosc",
            json!([bytes_le(), {"name": "blosc", "configuration": {"cname": "lz4", "clevel": 5, "shuffle": "shuffle", "typesize": 4, "blocksize": 0}}]),
        ),
        (
            "transpose",
            json!([{"name": "transpose", "configuration": {"order": [1, 0]}}, bytes_le(), {"name": "zstd", "configuration": {"level": 1}}]),
        ),
        (
            "sharded end",
            json!([{"name": "sharding_indexed", "configuration": {
            "chunk_shape": [4, 3], "codecs": [bytes_le(), {"name": "zstd", "configuration": {"level": 0}}],
            "index_codecs": [bytes_le(), {"name": "crc32c"}], "index_location": "end"}}]),
        ),
        (
            "sharded start",
            json!([{"name": "sharding_indexed", "configuration": {
            "chunk_shape": [2, 6], "codecs": [bytes_le()],
            "index_codecs": [bytes_le()], "index_location": "start"}}]),
        ),
        (
            "nested sharding",
            json!([{"name": "sharding_indexed", "configuration": {
            "chunk_shape": [4, 6], "codecs": [{"name": "sharding_indexed", "configuration": {
                "chunk_shape": [2, 3], "codecs": [bytes_le(), {"name": "gzip", "configuration": {"level": 1}}]}}],
            "index_codecs": [bytes_le(), {"name": "crc32c"}]}}]),
        ),
        (
            "transpose before sharding",
            json!([{"name": "transpose", "configuration": {"order": [1, 0]}},
            {"name": "sharding_indexed", "configuration": {"chunk_shape": [3, 4], "codecs": [bytes_le()]}}]),
        ),
        (
            "singleton_dim, transpose, offset, pad",
            json!([{"name": "singleton_dim", "configuration": {"operations": [{"insert": 1}, {"insert": 0}]}},
            {"name": "transpose", "configuration": {"order": [3, 1, 2, 0]}}, bytes_le(),
            {"name": "zstd", "configuration": {"level": 1}},
            {"name": "pad", "configuration": {"location": "end", "nbytes": 3, "padding": "AQID"}},
            {"name": "offset", "configuration": {"offset": 5}}]),
        ),
        (
            "sharded, padded inner chunks and index",
            json!([{"name": "sharding_indexed", "configuration": {
            "chunk_shape": [4, 3], "codecs": [bytes_le(), {"name": "pad", "configuration": {"location": "start", "nbytes": 2}}],
            "index_codecs": [bytes_le(), {"name": "pad", "configuration": {"location": "end", "nbytes": 7}}, {"name": "crc32c"}],
            "index_location": "start"}}]),
        ),
    ]
}

/// A 2-d int32 model of the array, with the fill value -1.
struct Model {
    shape: [u64; 2],
    data: Vec<i32>,
}

impl Model {
    fn region(&self, start: [u64; 2], shape: [u64; 2]) -> Vec<i32> {
        let mut out = Vec::new();
        for i in 0..shape[0] {
            for j in 0..shape[1] {
                out.push(self.data[((start[0] + i) * self.shape[1] + start[1] + j) as usize]);
            }
        }
        out
    }
    fn write(&mut self, start: [u64; 2], shape: [u64; 2], vals: &[i32]) {
        let mut k = 0;
        for i in 0..shape[0] {
            for j in 0..shape[1] {
                self.data[((start[0] + i) * self.shape[1] + start[1] + j) as usize] = vals[k];
                k += 1;
            }
        }
    }
}

fn to_bytes(v: &[i32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_ne_bytes()).collect()
}

fn from_bytes(b: &[u8]) -> Vec<i32> {
    b.chunks_exact(4)
        .map(|c| i32::from_ne_bytes(c.try_into().unwrap()))
        .collect()
}

fn read(a: &Array, start: [u64; 2], shape: [u64; 2]) -> Vec<i32> {
    let mut out = vec![0u8; (shape[0] * shape[1]) as usize * 4];
    a.read_region(&start, &shape, &mut out, None).unwrap();
    from_bytes(&out)
}

#[test]
fn writes_and_reads_match_a_model_for_every_codec_list() {
    // 22 x 17 with 8 x 6 chunks: partial edge chunks in both dimensions.
    let shape = [22u64, 17];
    for (name, codecs) in codec_lists() {
        for threads in [1usize, 2] {
            let store: StoreRef = Arc::new(MemoryStore::new());
            let a = Array::create(
                store.clone(),
                "a",
                &meta(&shape, &[8, 6], "int32", json!(-1), codecs.clone()),
            )
            .unwrap_or_else(|e| panic!("{name}: {e}"));
            a.set_threads(threads);
            let mut model = Model {
                shape,
                data: vec![-1; 22 * 17],
            };
            assert_eq!(
                read(&a, [0, 0], shape),
                model.data,
                "{name}: empty array reads the fill value"
            );
            let writes: [([u64; 2], [u64; 2]); 5] = [
                ([0, 0], [22, 17]),
                ([3, 2], [9, 11]),
                ([16, 0], [6, 17]),
                ([0, 12], [5, 5]),
                ([7, 7], [1, 1]),
            ];
            for (k, (start, wshape)) in writes.iter().enumerate() {
                let vals: Vec<i32> = (0..wshape[0] * wshape[1])
                    .map(|i| (i as i32) * 7 + k as i32 * 1000)
                    .collect();
                a.write_region(start, wshape, &to_bytes(&vals), None)
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
                model.write(*start, *wshape, &vals);
                assert_eq!(
                    read(&a, [0, 0], shape),
                    model.data,
                    "{name}: after write {k}"
                );
            }
            for (start, rshape) in [
                ([0u64, 0u64], [1u64, 1u64]),
                ([5, 3], [13, 9]),
                ([21, 16], [1, 1]),
                ([0, 5], [22, 1]),
            ] {
                assert_eq!(
                    read(&a, start, rshape),
                    model.region(start, rshape),
                    "{name}: region {start:?}"
                );
            }
            // Fortran-order read: element (i, j) at i + 22 j.
            let mut f = vec![0u8; 22 * 17 * 4];
            a.read_region(&[0, 0], &shape, &mut f, Some(&[1, 22]))
                .unwrap();
            let f = from_bytes(&f);
            for i in 0..22 {
                for j in 0..17 {
                    assert_eq!(
                        f[i + 22 * j],
                        model.data[i * 17 + j],
                        "{name}: fortran ({i}, {j})"
                    );
                }
            }
            // Reopen from the store: the same values.
            let b = Array::open(store.clone(), "a").unwrap();
            assert_eq!(read(&b, [0, 0], shape), model.data, "{name}: reopened");
            // Fill a region with a value, then with the fill value.
            a.fill_region(&[2, 1], &[18, 14], &42i32.to_ne_bytes())
                .unwrap();
            model.write([2, 1], [18, 14], &vec![42; 18 * 14]);
            assert_eq!(read(&a, [0, 0], shape), model.data, "{name}: after fill");
            a.fill_region(&[0, 0], &shape, &(-1i32).to_ne_bytes())
                .unwrap();
            assert!(
                store.list("a/c").unwrap().is_empty(),
                "{name}: filling with the fill value erases every chunk"
            );
            assert_eq!(read(&a, [0, 0], shape), vec![-1; 22 * 17]);
        }
    }
}

#[test]
fn writes_from_strided_sources() {
    let store: StoreRef = Arc::new(MemoryStore::new());
    let a = Array::create(
        store,
        "",
        &meta(&[6, 5], &[4, 4], "int32", json!(0), json!([bytes_le()])),
    )
    .unwrap();
    // Source in Fortran order: element (i, j) at i + 6 j.
    let mut src = vec![0i32; 30];
    for i in 0..6 {
        for j in 0..5 {
            src[i + 6 * j] = (i * 10 + j) as i32;
        }
    }
    a.write_region(&[0, 0], &[6, 5], &to_bytes(&src), Some(&[1, 6]))
        .unwrap();
    let c = read(&a, [0, 0], [6, 5]);
    for i in 0..6 {
        for j in 0..5 {
            assert_eq!(c[i * 5 + j], (i * 10 + j) as i32);
        }
    }
}

#[test]
fn chunk_calls_and_errors() {
    let store: StoreRef = Arc::new(MemoryStore::new());
    let a = Array::create(
        store.clone(),
        "x",
        &meta(&[5, 5], &[4, 4], "int32", json!(3), json!([bytes_le()])),
    )
    .unwrap();
    let mut buf = vec![0u8; 64];
    a.read_chunk(&[1, 1], &mut buf).unwrap();
    assert_eq!(from_bytes(&buf), vec![3; 16]);
    let vals: Vec<i32> = (0..16).collect();
    a.write_chunk(&[1, 0], &to_bytes(&vals)).unwrap();
    a.read_chunk(&[1, 0], &mut buf).unwrap();
    assert_eq!(from_bytes(&buf), vals);
    assert_eq!(read(&a, [4, 0], [1, 4]), vec![0, 1, 2, 3]);
    a.erase_chunk(&[1, 0]).unwrap();
    assert_eq!(read(&a, [4, 0], [1, 4]), vec![3; 4]);
    assert!(a.read_chunk(&[2, 0], &mut buf).is_err());
    assert!(a.write_chunk(&[0, 0], &[0u8; 8]).is_err());
    let mut small = vec![0u8; 10];
    assert!(a.read_region(&[0, 0], &[2, 2], &mut small, None).is_err());
    assert!(a.read_region(&[4, 0], &[2, 2], &mut buf, None).is_err());
    assert!(a.read_region(&[0], &[2], &mut buf, None).is_err());
    assert!(a
        .read_region(&[0, 0], &[2, 2], &mut buf, Some(&[1, 1]))
        .is_err());
}

#[test]
fn zero_d_and_empty_arrays() {
    let store: StoreRef = Arc::new(MemoryStore::new());
    let a = Array::create(
        store.clone(),
        "s",
        &meta(&[], &[], "float64", json!("NaN"), json!([bytes_le()])),
    )
    .unwrap();
    let mut out = [0u8; 8];
    a.read_region(&[], &[], &mut out, None).unwrap();
    assert!(f64::from_ne_bytes(out).is_nan());
    a.write_region(&[], &[], &2.5f64.to_ne_bytes(), None)
        .unwrap();
    a.read_region(&[], &[], &mut out, None).unwrap();
    assert_eq!(f64::from_ne_bytes(out), 2.5);
    assert!(store.get("s/c").unwrap().is_some());
    let e = Array::create(
        store,
        "e",
        &meta(
            &[0, 4],
            &[2, 2],
            "uint8",
            json!(0),
            json!([{"name": "bytes"}]),
        ),
    )
    .unwrap();
    e.read_region(&[0, 0], &[0, 4], &mut [], None).unwrap();
    e.write_region(&[0, 0], &[0, 4], &[], None).unwrap();
}

#[test]
fn nan_fill_chunks_are_erased_bitwise() {
    let store: StoreRef = Arc::new(MemoryStore::new());
    let a = Array::create(
        store.clone(),
        "f",
        &meta(&[4], &[2], "float32", json!("NaN"), json!([bytes_le()])),
    )
    .unwrap();
    let nan = f32::NAN.to_ne_bytes();
    let data: Vec<u8> = [nan, nan, (-0.0f32).to_ne_bytes(), nan].concat();
    a.write_region(&[0], &[4], &data, None).unwrap();
    assert!(
        store.get("f/c/0").unwrap().is_none(),
        "an all-NaN chunk equals a NaN fill and is not stored"
    );
    assert!(store.get("f/c/1").unwrap().is_some());
    let z = Array::create(
        store.clone(),
        "z",
        &meta(&[2], &[2], "float32", json!(0.0), json!([bytes_le()])),
    )
    .unwrap();
    z.write_region(
        &[0],
        &[2],
        &[(-0.0f32).to_ne_bytes(), 0.0f32.to_ne_bytes()].concat(),
        None,
    )
    .unwrap();
    assert!(
        store.get("z/c/0").unwrap().is_some(),
        "-0.0 is not the fill value 0.0"
    );
}

/// The normed fixed-point types (`N0f8`, `N10f6`, ...) are stored and
/// held as their unsigned integers, through any codec of those; their
/// fill values are the numbers they stand for.
#[test]
fn normed_fixed_point_arrays() {
    for (dtype, fill, fill_code, codecs) in [
        (
            "N0f8",
            json!(0.5),
            128u64,
            json!([bytes_le(), {"name": "zstd", "configuration": {"level": 1}}]),
        ),
        (
            "N10f6",
            json!(2.0),
            126,
            json!([{"name": "sharding_indexed", "configuration": {"chunk_shape": [2, 3],
                "codecs": [{"name": "packbits", "configuration": {}}],
                "index_codecs": [bytes_le()]}}]),
        ),
    ] {
        let store: StoreRef = Arc::new(MemoryStore::new());
        let a = Array::create(
            store.clone(),
            "n",
            &meta(&[5, 6], &[4, 6], dtype, fill, codecs),
        )
        .unwrap_or_else(|e| panic!("{dtype}: {e}"));
        let size = a.data_type().size();
        let code_bytes = |c: u64| c.to_ne_bytes()[..size].to_vec();
        // Unwritten elements read as the fill value's code.
        let mut got = vec![0u8; 30 * size];
        a.read_region(&[0, 0], &[5, 6], &mut got, None).unwrap();
        assert_eq!(got, code_bytes(fill_code).repeat(30), "{dtype}");
        let data: Vec<u8> = (0..12u64).flat_map(|i| code_bytes(i * 9 + 1)).collect();
        a.write_region(&[1, 0], &[2, 6], &data, None).unwrap();
        let b = Array::open(store, "n").unwrap();
        assert_eq!(b.data_type().name(), dtype);
        assert_eq!(b.fill_value(), code_bytes(fill_code).as_slice());
        let mut back = vec![0u8; 12 * size];
        b.read_region(&[1, 0], &[2, 6], &mut back, None).unwrap();
        assert_eq!(back, data, "{dtype}");
    }
}

/// `binary_fixed_point` arrays are stored and held as their base
/// integers; the metadata written back names the type as read.
#[test]
fn binary_fixed_point_arrays() {
    let store: StoreRef = Arc::new(MemoryStore::new());
    let dtype = json!({"name": "binary_fixed_point", "configuration":
        {"base_data_type": "int16", "fractional_bits": 8, "integer_bits": 7}});
    let meta = json!({
        "zarr_format": 3, "node_type": "array", "shape": [7], "data_type": dtype,
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [4]}},
        "chunk_key_encoding": {"name": "default"}, "fill_value": -1.5,
        "codecs": [{"name": "bytes", "configuration": {"endian": "big"}}, {"name": "crc32c"}],
    });
    let a = Array::create(store.clone(), "q", &meta.to_string()).unwrap();
    let data: Vec<u8> = [256i16, -128, 32767]
        .iter()
        .flat_map(|v| v.to_ne_bytes())
        .collect();
    a.write_region(&[4], &[3], &data, None).unwrap();
    let b = Array::open(store, "q").unwrap();
    assert_eq!(b.data_type().to_json(), dtype);
    let mut got = vec![0u8; 14];
    b.read_region(&[0], &[7], &mut got, None).unwrap();
    let want: Vec<u8> = [-384i16, -384, -384, -384, 256, -128, 32767]
        .iter()
        .flat_map(|v| v.to_ne_bytes())
        .collect();
    assert_eq!(got, want);
}
