//! numcodecs' zfpy codec and zarrs' zfp codec (streams without a header) with zfp built in (cargo feature `zfp`): every type and mode round trips within what the mode
//! promises, buffers at any alignment, and damaged streams (cut short,
//! bits flipped) read as an error or as some values, never a crash.
//! run-tests.sh runs this under valgrind, which checks that no stream
//! makes zfp read or write outside the buffers zarrio hands it.
#![cfg(feature = "zfp")]

use serde_json::{json, Value};
use std::sync::Arc;
use zarrio::error::ErrorKind;
use zarrio::{Array, MemoryStore, StoreRef};

fn meta(dtype: &str, shape: &[u64], chunk: &[u64], cfg: Value) -> String {
    json!({
        "zarr_format": 3, "node_type": "array", "shape": shape, "data_type": dtype,
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": chunk}},
        "chunk_key_encoding": {"name": "default"}, "fill_value": 0,
        "codecs": [{"name": "numcodecs.zfpy", "configuration": cfg}],
    })
    .to_string()
}

/// A smooth field of `n` values.
fn smooth(n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| {
            let x = i as f64;
            (x * 0.37).sin() * 100.0 + x * 0.25
        })
        .collect()
}

fn bytes_of(dtype: &str, v: &[f64]) -> Vec<u8> {
    match dtype {
        "float32" => v.iter().flat_map(|x| (*x as f32).to_ne_bytes()).collect(),
        "float64" => v.iter().flat_map(|x| x.to_ne_bytes()).collect(),
        "int32" => v.iter().flat_map(|x| (*x as i32).to_ne_bytes()).collect(),
        _ => v.iter().flat_map(|x| (*x as i64).to_ne_bytes()).collect(),
    }
}

fn values_of(dtype: &str, b: &[u8]) -> Vec<f64> {
    match dtype {
        "float32" => b
            .chunks(4)
            .map(|c| f32::from_ne_bytes(c.try_into().unwrap()) as f64)
            .collect(),
        "float64" => b
            .chunks(8)
            .map(|c| f64::from_ne_bytes(c.try_into().unwrap()))
            .collect(),
        "int32" => b
            .chunks(4)
            .map(|c| i32::from_ne_bytes(c.try_into().unwrap()) as f64)
            .collect(),
        _ => b
            .chunks(8)
            .map(|c| i64::from_ne_bytes(c.try_into().unwrap()) as f64)
            .collect(),
    }
}

fn store() -> StoreRef {
    Arc::new(MemoryStore::new())
}

#[test]
fn modes_keep_their_promises() {
    let shape = [13u64, 10, 7];
    let n = 13 * 10 * 7;
    let data = smooth(n);
    for dtype in ["float32", "float64", "int32", "int64"] {
        let src = bytes_of(dtype, &data);
        let exact = values_of(dtype, &src);
        for (cfg, bound) in [
            (json!({"mode": 4, "tolerance": -1}), Some(0.0)),
            (json!({"mode": 5}), Some(0.0)),
            (json!({"mode": 4, "tolerance": 0.01}), Some(0.01)),
            (json!({"mode": 3, "precision": 64}), None),
            (json!({"mode": 3, "precision": 6}), None),
            (json!({"mode": 2, "rate": 16}), None),
            (json!({"mode": 2, "rate": 0.5}), None),
        ] {
            if dtype.starts_with("int") && cfg["tolerance"].as_f64().is_some_and(|t| t >= 0.0) {
                continue; // accuracy is for floats
            }
            let case = format!("{dtype} {cfg}");
            let a = Array::create(store(), "a", &meta(dtype, &shape, &[8, 8, 4], cfg.clone()))
                .unwrap_or_else(|e| panic!("{case}: {e}"));
            a.write_region(&[0, 0, 0], &shape, &src, None)
                .unwrap_or_else(|e| panic!("{case}: {e}"));
            let mut out = vec![0u8; src.len()];
            a.read_region(&[0, 0, 0], &shape, &mut out, None).unwrap();
            let got = values_of(dtype, &out);
            if let Some(b) = bound {
                for (i, (g, w)) in got.iter().zip(&exact).enumerate() {
                    assert!((g - w).abs() <= b, "{case}: element {i}: {g} for {w}");
                }
            }
            // Reading twice reads the same.
            let mut again = vec![0u8; src.len()];
            a.read_region(&[0, 0, 0], &shape, &mut again, None).unwrap();
            assert_eq!(out, again, "{case}");
        }
    }
}

#[test]
fn buffers_at_any_alignment() {
    // One chunk for the whole array: reads decode straight into the
    // caller's buffer, and writes compress straight from it.
    let shape = [6u64, 5];
    let src = bytes_of("float64", &smooth(30));
    let a = Array::create(
        store(),
        "a",
        &meta("float64", &shape, &[6, 5], json!({"mode": 5})),
    )
    .unwrap();
    for shift in 0..8 {
        let mut from = vec![0u8; src.len() + 8];
        from[shift..shift + src.len()].copy_from_slice(&src);
        a.write_region(&[0, 0], &shape, &from[shift..shift + src.len()], None)
            .unwrap();
        let mut into = vec![0u8; src.len() + 8];
        a.read_region(&[0, 0], &shape, &mut into[shift..shift + src.len()], None)
            .unwrap();
        assert_eq!(&into[shift..shift + src.len()], &src[..], "shift {shift}");
    }
}

#[test]
fn damaged_streams_never_crash() {
    let shape = [12u64, 9];
    for (dtype, cfg) in [
        ("float64", json!({"mode": 4, "tolerance": 1e-4})),
        ("float32", json!({"mode": 2, "rate": 5})),
        ("int64", json!({"mode": 5})),
    ] {
        let s = store();
        let a = Array::create(s.clone(), "a", &meta(dtype, &shape, &shape, cfg.clone())).unwrap();
        let src = bytes_of(dtype, &smooth(108));
        a.write_region(&[0, 0], &shape, &src, None).unwrap();
        let good = s.get("a/c/0/0").unwrap().unwrap();
        let mut mutants: Vec<Vec<u8>> = (0..good.len()).map(|n| good[..n].to_vec()).collect();
        for i in 0..good.len() {
            for bit in [0, 3, 7] {
                let mut m = good.clone();
                m[i] ^= 1 << bit;
                mutants.push(m);
            }
        }
        // The header's 12-bit mode (bits 84 to 95) set to 0: a fixed
        // rate of one bit per block, less than a float block's exponent,
        // which zfp's decoder would take past any buffer's end.
        let mut header = good[..12].to_vec();
        header[10] &= 0x0f;
        header[11] = 0;
        mutants.push(header.clone());
        header.extend_from_slice(&good[12..]);
        mutants.push(header);
        let mut longer = good.clone();
        longer.extend_from_slice(&[0xff; 64]);
        mutants.push(longer);
        let mut out = vec![0u8; src.len()];
        let mut refused = 0;
        for m in &mutants {
            s.set("a/c/0/0", m).unwrap();
            match a.read_region(&[0, 0], &shape, &mut out, None) {
                Ok(()) => {}
                Err(e) => {
                    assert_eq!(e.kind(), ErrorKind::Corrupt, "{dtype} {cfg}: {e}");
                    refused += 1;
                }
            }
        }
        // Every cut at least a word short of the stream is refused.
        assert!(
            refused >= good.len().saturating_sub(8),
            "{dtype} {cfg}: {refused} refused"
        );
    }
}

// zarrs' `zfp` codec: the same streams without zfp's header.

fn zfp_meta(dtype: &str, shape: &[u64], chunk: &[u64], codecs: Value) -> String {
    json!({
        "zarr_format": 3, "node_type": "array", "shape": shape, "data_type": dtype,
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": chunk}},
        "chunk_key_encoding": {"name": "default"}, "fill_value": 0, "codecs": codecs,
    })
    .to_string()
}

fn zfp(cfg: Value) -> Value {
    json!([{"name": "zfp", "configuration": cfg}])
}

/// `n` values of every type zarrs' codec takes, as little-endian bytes of
/// `size`: a smooth field scaled to the type's range (unsigned values
/// below 2^(bits - 1), which zfp's signed integers hold).
fn typed(dtype: &str, n: usize) -> Vec<u8> {
    let v = smooth(n);
    let (lo, hi) = v
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), &x| (a.min(x), b.max(x)));
    let unit = |x: f64| (x - lo) / (hi - lo); // 0 to 1
    v.iter()
        .flat_map(|&x| -> Vec<u8> {
            let u = unit(x);
            match dtype {
                "int8" => vec![(u * 255.0 - 128.0) as i8 as u8],
                "uint8" => vec![(u * 255.0) as u8],
                "int16" => ((u * 65535.0 - 32768.0) as i16).to_ne_bytes().to_vec(),
                "uint16" => ((u * 65535.0) as u16).to_ne_bytes().to_vec(),
                "uint32" => ((u * 2147483647.0) as u32).to_ne_bytes().to_vec(),
                "uint64" => ((u * 9.2e18) as u64).to_ne_bytes().to_vec(),
                "int32" | "float32" | "float64" | "int64" => bytes_of(dtype, &[x]),
                _ => ((x * 1e6) as i64).to_ne_bytes().to_vec(),
            }
        })
        .collect()
}

const ZFP_TYPES: [&str; 11] = [
    "int8",
    "uint8",
    "int16",
    "uint16",
    "int32",
    "uint32",
    "int64",
    "uint64",
    "float32",
    "float64",
    "timedelta",
];

fn dtype_json(dtype: &str) -> Value {
    if dtype == "timedelta" {
        json!({"name": "numpy.timedelta64", "configuration": {"unit": "ms", "scale_factor": 1}})
    } else {
        json!(dtype)
    }
}

fn zfp_array(s: StoreRef, dtype: &str, shape: &[u64], chunk: &[u64], codecs: Value) -> Array {
    let mut m: Value = serde_json::from_str(&zfp_meta("int8", shape, chunk, codecs)).unwrap();
    m["data_type"] = dtype_json(dtype);
    Array::create(s, "a", &m.to_string()).unwrap_or_else(|e| panic!("{dtype}: {e}"))
}

#[test]
fn headerless_streams_keep_their_modes_promises() {
    let shape = [9u64, 10, 7];
    let n = 9 * 10 * 7;
    for dtype in ZFP_TYPES {
        let src = typed(dtype, n);
        let float = dtype.starts_with("float");
        for cfg in [
            json!({"mode": "reversible"}),
            json!({"mode": "fixed_rate", "rate": 4}),
            json!({"mode": "fixed_rate", "rate": 0.25}),
            json!({"mode": "fixed_precision", "precision": 10}),
            json!({"mode": "fixed_precision", "precision": 64}),
            json!({"mode": "fixed_accuracy", "tolerance": 0.01}),
            json!({"mode": "expert", "minbits": 12, "maxbits": 200, "maxprec": 30, "minexp": -20}),
        ] {
            if !float && cfg["mode"] == "fixed_accuracy" {
                continue; // accuracy is for floats
            }
            let case = format!("{dtype} {cfg}");
            let a = zfp_array(store(), dtype, &shape, &[8, 8, 4], zfp(cfg.clone()));
            a.write_region(&[0, 0, 0], &shape, &src, None)
                .unwrap_or_else(|e| panic!("{case}: {e}"));
            let mut out = vec![0u8; src.len()];
            a.read_region(&[0, 0, 0], &shape, &mut out, None).unwrap();
            if cfg["mode"] == "reversible" {
                assert!(out == src, "{case}: not exact");
            }
            if cfg["mode"] == "fixed_accuracy" {
                for (i, (g, w)) in values_of(dtype, &out)
                    .iter()
                    .zip(values_of(dtype, &src))
                    .enumerate()
                {
                    assert!((g - w).abs() <= 0.01, "{case}: element {i}: {g} for {w}");
                }
            }
            let mut again = vec![0u8; src.len()];
            a.read_region(&[0, 0, 0], &shape, &mut again, None).unwrap();
            assert_eq!(out, again, "{case}");
        }
    }
}

#[test]
fn headerless_buffers_at_any_alignment() {
    let shape = [6u64, 5];
    for dtype in ["float64", "int16", "uint64"] {
        let src = typed(dtype, 30);
        let a = zfp_array(
            store(),
            dtype,
            &shape,
            &shape,
            zfp(json!({"mode": "reversible"})),
        );
        for shift in 0..8 {
            let mut from = vec![0u8; src.len() + 8];
            from[shift..shift + src.len()].copy_from_slice(&src);
            a.write_region(&[0, 0], &shape, &from[shift..shift + src.len()], None)
                .unwrap();
            let mut into = vec![0u8; src.len() + 8];
            a.read_region(&[0, 0], &shape, &mut into[shift..shift + src.len()], None)
                .unwrap();
            assert_eq!(
                &into[shift..shift + src.len()],
                &src[..],
                "{dtype} shift {shift}"
            );
        }
    }
}

#[test]
fn headerless_damaged_streams_never_crash() {
    let shape = [12u64, 9];
    for (dtype, cfg) in [
        (
            "float64",
            json!({"mode": "fixed_accuracy", "tolerance": 1e-4}),
        ),
        ("float32", json!({"mode": "fixed_rate", "rate": 0.2})),
        ("int64", json!({"mode": "reversible"})),
        ("uint16", json!({"mode": "fixed_precision", "precision": 5})),
        (
            "float64",
            json!({"mode": "expert", "minbits": 12, "maxbits": 40, "maxprec": 64, "minexp": -1074}),
        ),
        (
            "int32",
            json!({"mode": "expert", "minbits": 0, "maxbits": 16658, "maxprec": 64, "minexp": -1074}),
        ),
    ] {
        let s = store();
        let a = zfp_array(s.clone(), dtype, &shape, &shape, zfp(cfg.clone()));
        let src = typed(dtype, 108);
        a.write_region(&[0, 0], &shape, &src, None).unwrap();
        let good = s.get("a/c/0/0").unwrap().unwrap();
        let mut mutants: Vec<Vec<u8>> = (0..good.len()).map(|n| good[..n].to_vec()).collect();
        for i in 0..good.len() {
            for bit in [0, 3, 7] {
                let mut m = good.clone();
                m[i] ^= 1 << bit;
                mutants.push(m);
            }
        }
        let mut longer = good.clone();
        longer.extend_from_slice(&[0xff; 64]);
        mutants.push(longer);
        mutants.push(vec![0xff; 4096]);
        let mut out = vec![0u8; src.len()];
        let mut refused = 0;
        for m in &mutants {
            s.set("a/c/0/0", m).unwrap();
            match a.read_region(&[0, 0], &shape, &mut out, None) {
                Ok(()) => {}
                Err(e) => {
                    assert_eq!(e.kind(), ErrorKind::Corrupt, "{dtype} {cfg}: {e}");
                    refused += 1;
                }
            }
        }
        // Every cut at least a word short of the stream is refused.
        assert!(
            refused >= good.len().saturating_sub(8),
            "{dtype} {cfg}: {refused} refused"
        );
    }
}

#[test]
fn unsigned_values_zfp_cannot_hold_are_refused_not_clamped() {
    for (dtype, big) in [
        ("uint32", u64::from(u32::MAX >> 1) + 1),
        ("uint64", u64::MAX),
    ] {
        let s = store();
        let a = zfp_array(
            s.clone(),
            dtype,
            &[4],
            &[4],
            zfp(json!({"mode": "reversible"})),
        );
        let size = if dtype == "uint32" { 4 } else { 8 };
        let good: Vec<u8> = [1u64, 2, 3, 4]
            .iter()
            .flat_map(|v| v.to_ne_bytes()[..size].to_vec())
            .collect();
        a.write_region(&[0], &[4], &good, None).unwrap();
        let before = s.get("a/c/0").unwrap();
        let mut bad = good.clone();
        bad[size..2 * size].copy_from_slice(&big.to_ne_bytes()[..size]);
        let e = a.write_region(&[0], &[4], &bad, None).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{dtype}: {e}");
        assert!(e.message().contains(&big.to_string()), "{dtype}: {e}");
        assert_eq!(
            s.get("a/c/0").unwrap(),
            before,
            "{dtype}: the chunk changed"
        );
    }
}

#[test]
fn more_than_four_dimensions_store_what_squeeze_then_zfp_stores() {
    let shape = [2u64, 6, 1, 4, 5];
    let chunk = [1u64, 3, 1, 4, 5];
    let src = typed("float32", 240);
    let stored = |codecs: Value| {
        let s = store();
        let a = zfp_array(s.clone(), "float32", &shape, &chunk, codecs);
        a.write_region(&[0; 5], &shape, &src, None).unwrap();
        let mut out = vec![0u8; src.len()];
        a.read_region(&[0; 5], &shape, &mut out, None).unwrap();
        let mut keys = s.list("a/c/").unwrap();
        keys.sort();
        assert_eq!(keys.len(), 4);
        let chunks: Vec<_> = keys.iter().map(|k| s.get(k).unwrap().unwrap()).collect();
        (chunks, out)
    };
    let cfg = json!({"mode": "fixed_precision", "precision": 20});
    let direct = stored(zfp(cfg.clone()));
    let squeezed =
        stored(json!([{"name": "zarrs.squeeze"}, {"name": "zfp", "configuration": cfg}]));
    assert_eq!(direct, squeezed);
}

#[test]
fn fixed_rate_shards_are_patched_in_place_as_a_rewrite_would_store_them() {
    let shape = [16u64, 16];
    let src = typed("float64", 256);
    let codecs = json!([{"name": "sharding_indexed", "configuration": {
        "chunk_shape": [4, 4],
        "codecs": [{"name": "zfp", "configuration": {"mode": "fixed_rate", "rate": 3}}],
        "index_codecs": [{"name": "bytes", "configuration": {"endian": "little"}}, {"name": "crc32c"}],
    }}]);
    let whole = store();
    let a = zfp_array(whole.clone(), "float64", &shape, &shape, codecs.clone());
    a.write_region(&[0, 0], &shape, &src, None).unwrap();
    let pieces = store();
    let b = zfp_array(pieces.clone(), "float64", &shape, &shape, codecs);
    for i in (0..16).step_by(4) {
        for j in (0..16).step_by(4) {
            let part: Vec<u8> = (i..i + 4)
                .flat_map(|r| src[(r * 16 + j) * 8..(r * 16 + j + 4) * 8].to_vec())
                .collect();
            b.write_region(&[i as u64, j as u64], &[4, 4], &part, None)
                .unwrap();
        }
    }
    assert_eq!(
        whole.get("a/c/0/0").unwrap(),
        pieces.get("a/c/0/0").unwrap()
    );
    let mut out = vec![0u8; src.len()];
    b.read_region(&[0, 0], &shape, &mut out, None).unwrap();
    let mut expected = vec![0u8; src.len()];
    a.read_region(&[0, 0], &shape, &mut expected, None).unwrap();
    assert_eq!(out, expected);
}

/// A shard of inner chunks at a fixed rate would have a fixed slot for
/// each, but zfp cannot store every fill value exactly: inner chunks no
/// one wrote must read as the fill value itself (they are left absent, as
/// zarrs leaves them), and a fill value zfp cannot take at all must not
/// stop writes of values it can.
#[test]
fn unwritten_inner_chunks_of_lossy_shards_read_as_the_fill_value() {
    for (dtype, fill, rate) in [
        ("float32", json!(0.1), 0.5),
        ("float64", json!("Infinity"), 4.0),
        ("float32", json!("NaN"), 8.0),
        ("int32", json!(-7), 0.25),
        ("uint32", json!(4294967295u32), 8.0),
    ] {
        let case = format!("{dtype} fill {fill} rate {rate}");
        let mut m: Value = serde_json::from_str(&zfp_meta(
            dtype,
            &[8, 8],
            &[8, 8],
            json!([{"name": "sharding_indexed", "configuration": {
                "chunk_shape": [4, 4],
                "codecs": [{"name": "zfp", "configuration": {"mode": "fixed_rate", "rate": rate}}],
                "index_codecs": [{"name": "bytes", "configuration": {"endian": "little"}}],
            }}]),
        ))
        .unwrap();
        m["fill_value"] = fill;
        let s = store();
        let a = Array::create(s.clone(), "a", &m.to_string()).unwrap();
        let elem = a.data_type().size();
        let mut before = vec![0u8; 64 * elem];
        a.read_region(&[0, 0], &[8, 8], &mut before, None).unwrap();
        let ones = typed(dtype, 16);
        a.write_region(&[0, 0], &[4, 4], &ones, None)
            .unwrap_or_else(|e| panic!("{case}: {e}"));
        let mut after = vec![0u8; 64 * elem];
        a.read_region(&[0, 0], &[8, 8], &mut after, None).unwrap();
        // Rows 4 to 7 and columns 4 to 7 of rows 0 to 3: never written.
        assert_eq!(after[32 * elem..], before[32 * elem..], "{case}");
        for r in 0..4 {
            let row = (r * 8 + 4) * elem..(r * 8 + 8) * elem;
            assert_eq!(after[row.clone()], before[row], "{case}");
        }
    }
}
