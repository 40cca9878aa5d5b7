//! numcodecs' zfpy codec with zfp built in (cargo feature `zfp`): every type and mode round trips within what the mode
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
