//! The `ndarray` data type (zarr-extensions): elements of a variable
//! leading dimension through `vlen-ndarray` (items: whole numbers of
//! records of little-endian scalars, framed as vlen-bytes frames them),
//! and elements of a fixed shape through `bytes` (little endian only).

mod common;

use common::v3_meta as meta;
use serde_json::{json, Value};
use std::sync::Arc;
use zarrio::codec::vlen::{Items, ItemsRef};
use zarrio::error::ErrorKind;
use zarrio::{Array, MemoryStore, Store, StoreRef};

fn ndarray(dtype: &str, shape: Value) -> Value {
    json!({"name": "ndarray", "configuration": {"dtype": dtype, "shape": shape}})
}

/// Element `i` of a ragged float32 array of (i % 4) x 2 values.
fn ragged(n: usize) -> Items {
    let mut items = Items {
        data: vec![],
        offsets: vec![0],
    };
    for i in 0..n {
        for j in 0..(i % 4) * 2 {
            items
                .data
                .extend_from_slice(&((i * 10 + j) as f32).to_ne_bytes());
        }
        items.offsets.push(items.data.len() as u64);
    }
    items
}

#[test]
fn ragged_elements_round_trip_as_vlen_bytes_frames_them() {
    let s = Arc::new(MemoryStore::new());
    let store: StoreRef = s.clone();
    let doc = meta(
        ndarray("float32", json!([null, 2])),
        &[7],
        &[3],
        json!(""),
        json!([{"name": "vlen-ndarray"}]),
    );
    let a = Array::create(store.clone(), "a", &doc).unwrap();
    let items = ragged(6);
    a.write_strings(&[0], &[6], items.view()).unwrap();
    let back = a.read_strings(&[0], &[7]).unwrap();
    for i in 0..6 {
        assert_eq!(back.get(i), items.get(i), "element {i}");
    }
    // Element 6 was never written: the fill value, the empty element.
    assert!(back.get(6).is_empty());
    // The chunk is vlen-bytes' framing of the items' little-endian bytes.
    let chunk = s.get("a/c/0").unwrap().unwrap();
    let mut expected = 3u32.to_le_bytes().to_vec();
    for i in 0..3 {
        let item = items.get(i);
        expected.extend_from_slice(&(item.len() as u32).to_le_bytes());
        for f in item.chunks(4) {
            let v = f32::from_ne_bytes(f.try_into().unwrap());
            expected.extend_from_slice(&v.to_le_bytes());
        }
    }
    assert_eq!(chunk, expected);
    assert_eq!(
        Array::open(store, "a").unwrap().metadata()["data_type"],
        ndarray("float32", json!([null, 2]))
    );
}

#[test]
fn items_that_are_not_whole_records_are_refused() {
    let s = Arc::new(MemoryStore::new());
    let store: StoreRef = s.clone();
    let doc = meta(
        ndarray("int16", json!([null, 3])),
        &[2],
        &[2],
        json!(""),
        json!([{"name": "vlen-ndarray"}, {"name": "zstd", "configuration": {"level": 1}}]),
    );
    let a = Array::create(store.clone(), "a", &doc).unwrap();
    // 6 bytes is one record of 3 int16; 8 bytes is not a whole number.
    let data = [0u8; 14];
    let offsets = [0u64, 6, 14];
    let e = a
        .write_strings(
            &[0],
            &[2],
            ItemsRef {
                data: &data,
                offsets: &offsets,
            },
        )
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
    assert!(s.get("a/c/0").unwrap().is_none());
    // A stored item that is not whole records is corrupt.
    let plain = meta(
        json!("variable_length_bytes"),
        &[2],
        &[2],
        json!(""),
        json!([{"name": "vlen-bytes"}, {"name": "zstd", "configuration": {"level": 1}}]),
    );
    let b = Array::create(store.clone(), "b", &plain).unwrap();
    b.write_strings(
        &[0],
        &[2],
        ItemsRef {
            data: &data,
            offsets: &offsets,
        },
    )
    .unwrap();
    s.set("a/c/0", &s.get("b/c/0").unwrap().unwrap()).unwrap();
    let e = a.read_strings(&[0], &[2]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Corrupt, "{e}");
}

#[test]
fn fixed_shape_elements_are_fixed_size_records() {
    let store: StoreRef = Arc::new(MemoryStore::new());
    let t = ndarray("int16", json!([3, 2]));
    // 6 int16 per element; the fill element 1..6 little-endian.
    let fill: Vec<u8> = (1i16..=6).flat_map(|v| v.to_le_bytes()).collect();
    let fill_b64 = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(&fill)
    };
    let doc = meta(
        t.clone(),
        &[5, 4],
        &[2, 3],
        json!(fill_b64),
        json!([{"name": "transpose", "configuration": {"order": [1, 0]}},
               {"name": "bytes", "configuration": {"endian": "little"}}]),
    );
    let a = Array::create(store.clone(), "a", &doc).unwrap();
    assert_eq!(a.data_type().size(), 12);
    let values: Vec<u8> = (0..20 * 6).flat_map(|v| (v as i16).to_ne_bytes()).collect();
    a.write_region(&[0, 0], &[4, 4], &values[..16 * 12], None)
        .unwrap();
    let mut out = vec![0u8; 20 * 12];
    a.read_region(&[0, 0], &[5, 4], &mut out, None).unwrap();
    assert_eq!(out[..16 * 12], values[..16 * 12]);
    let fill_native: Vec<u8> = (1i16..=6).flat_map(|v| v.to_ne_bytes()).collect();
    for e in 16..20 {
        assert_eq!(out[e * 12..(e + 1) * 12], fill_native[..], "element {e}");
    }
    assert_eq!(
        Array::open(store.clone(), "a").unwrap().metadata()["fill_value"],
        json!(fill_b64)
    );
    // Big-endian chunks of ndarray elements are refused.
    let big = meta(
        t,
        &[2],
        &[2],
        json!(fill_b64),
        json!([{"name": "bytes", "configuration": {"endian": "big"}}]),
    );
    let e = Array::create(store, "b", &big).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidMetadata, "{e}");
}

#[test]
fn patterns_and_pairings_no_codec_serves_are_refused() {
    let store: StoreRef = Arc::new(MemoryStore::new());
    for (dtype, fill, codecs, kind) in [
        // A variable dimension that does not lead.
        (
            ndarray("uint8", json!([2, null])),
            json!(""),
            json!([{"name": "vlen-ndarray"}]),
            ErrorKind::InvalidMetadata,
        ),
        (
            ndarray("uint8", json!([2, null])),
            json!(""),
            json!([{"name": "vlen-bytes"}]),
            ErrorKind::InvalidMetadata,
        ),
        (
            ndarray("uint8", json!([null, null])),
            json!(""),
            json!([{"name": "bytes"}]),
            ErrorKind::Unsupported,
        ),
        // vlen-bytes does not encode ndarray elements, nor vlen-ndarray
        // fixed ones or other types.
        (
            ndarray("uint8", json!([null])),
            json!(""),
            json!([{"name": "vlen-bytes"}]),
            ErrorKind::InvalidMetadata,
        ),
        (
            ndarray("uint8", json!([2])),
            json!("AAA="),
            json!([{"name": "vlen-ndarray"}]),
            ErrorKind::InvalidMetadata,
        ),
        (
            json!("variable_length_bytes"),
            json!(""),
            json!([{"name": "vlen-ndarray"}]),
            ErrorKind::InvalidMetadata,
        ),
        // A transpose before sharding over variable-length items.
        (
            json!("string"),
            json!(""),
            json!([{"name": "transpose", "configuration": {"order": [0]}},
            {"name": "sharding_indexed", "configuration": {"chunk_shape": [2], "codecs": [{"name": "vlen-utf8"}],
             "index_codecs": [{"name": "bytes", "configuration": {"endian": "little"}}]}}]),
            ErrorKind::Unsupported,
        ),
        // The bare name, and fill values that are no element.
        (
            json!("ndarray"),
            json!(""),
            json!([{"name": "vlen-ndarray"}]),
            ErrorKind::InvalidMetadata,
        ),
        (
            ndarray("int16", json!([null, 2])),
            json!("AAA="),
            json!([{"name": "vlen-ndarray"}]),
            ErrorKind::InvalidMetadata,
        ),
    ] {
        let doc = meta(dtype.clone(), &[4], &[2], fill, codecs.clone());
        let e = Array::create(store.clone(), "x", &doc).unwrap_err();
        assert_eq!(e.kind(), kind, "{dtype} {codecs}: {e}");
    }
}

#[test]
fn bool_scalars_are_0_or_1() {
    let store: StoreRef = Arc::new(MemoryStore::new());
    let doc = meta(
        ndarray("bool", json!([null])),
        &[2],
        &[2],
        json!(""),
        json!([{"name": "vlen-ndarray"}]),
    );
    let a = Array::create(store, "a", &doc).unwrap();
    let data = [1u8, 0, 2];
    let offsets = [0u64, 2, 3];
    let e = a
        .write_strings(
            &[0],
            &[2],
            ItemsRef {
                data: &data,
                offsets: &offsets,
            },
        )
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
}

#[test]
fn structs_of_ndarray_fields_are_unsupported() {
    let store: StoreRef = Arc::new(MemoryStore::new());
    let t = json!({"name": "struct", "configuration": {"fields": [
        {"name": "x", "data_type": ndarray("int16", json!([2]))}]}});
    let doc = meta(
        t,
        &[2],
        &[2],
        json!("AAAAAA=="),
        json!([{"name": "bytes", "configuration": {"endian": "little"}}]),
    );
    let e = Array::create(store, "a", &doc).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported, "{e}");
}

/// A `transpose` before a variable-length codec stores the items in the
/// transposed order: item (i, j) of a 2 x 3 chunk transposed by [1, 0]
/// is stored at j * 2 + i.
#[test]
fn transposed_items_are_stored_in_the_transposed_order() {
    for (dtype, codec) in [
        (ndarray("uint8", json!([null])), "vlen-ndarray"),
        (json!("string"), "vlen-utf8"),
    ] {
        let s = Arc::new(MemoryStore::new());
        let store: StoreRef = s.clone();
        let doc = meta(
            dtype.clone(),
            &[2, 3],
            &[2, 3],
            json!(""),
            json!([{"name": "transpose", "configuration": {"order": [1, 0]}}, {"name": codec}]),
        );
        let a = Array::create(store, "a", &doc).unwrap();
        let names: Vec<&[u8]> = vec![b"a", b"bb", b"c", b"dd", b"e", b"ff"];
        let mut items = Items {
            data: vec![],
            offsets: vec![0],
        };
        for n in &names {
            items.data.extend_from_slice(n);
            items.offsets.push(items.data.len() as u64);
        }
        a.write_strings(&[0, 0], &[2, 3], items.view()).unwrap();
        let back = a.read_strings(&[0, 0], &[2, 3]).unwrap();
        for (i, n) in names.iter().enumerate() {
            assert_eq!(back.get(i), *n, "{dtype}: item {i}");
        }
        // Stored: (0,0) (1,0) (0,1) (1,1) (0,2) (1,2).
        let chunk = s.get("a/c/0/0").unwrap().unwrap();
        let mut expected = 6u32.to_le_bytes().to_vec();
        for i in [0, 3, 1, 4, 2, 5] {
            expected.extend_from_slice(&(names[i].len() as u32).to_le_bytes());
            expected.extend_from_slice(names[i]);
        }
        assert_eq!(chunk, expected, "{dtype}");
        // A region that cuts the chunk reads the same items.
        let part = a.read_strings(&[1, 1], &[1, 2]).unwrap();
        assert_eq!((part.get(0), part.get(1)), (names[4], names[5]), "{dtype}");
    }
}
