//! Reads into, and writes from, caller buffers whose contiguous dimension
//! is not the last (Fortran order and other dimension orders), on arrays
//! large enough that whole tiles and register blocks of the transposing
//! copy are used for every element size, and small enough to leave edges
//! of every width: each element lands where the layout puts it, and no
//! byte outside the layout is touched. Arrays stored through `transpose`
//! codecs are read through the layout those leave each chunk in.

use serde_json::json;
use std::sync::Arc;
use zarrio::{Array, MemoryStore};

const SHAPE: [u64; 3] = [37, 70, 19];

/// Data types of every element size the copy distinguishes.
const DTYPES: [(&str, usize); 6] = [
    ("uint8", 1),
    ("uint16", 2),
    ("r24", 3),
    ("float32", 4),
    ("int64", 8),
    ("complex128", 16),
];

/// How the test arrays' chunks are encoded.
#[derive(Clone, Copy, Debug)]
enum Chain {
    Plain,
    Sharded,
    /// `transpose` codecs (their orders, applied in turn), then bytes and
    /// zstd: chunks are read through the layout the transposes leave.
    Transposed(&'static [[usize; 3]]),
    /// Sharded, with a `transpose` among the inner chunks' codecs.
    ShardedTransposed([usize; 3]),
}

const CHAINS: [Chain; 6] = [
    Chain::Plain,
    Chain::Sharded,
    Chain::Transposed(&[[2, 1, 0]]),
    Chain::Transposed(&[[1, 2, 0]]),
    Chain::Transposed(&[[2, 0, 1], [0, 2, 1]]),
    Chain::ShardedTransposed([1, 2, 0]),
];

fn array(dtype: &str, chunks: [u64; 3], chain: Chain) -> Array {
    let bytes = json!({"name": "bytes", "configuration": {"endian": "little"}});
    let zstd = json!({"name": "zstd", "configuration": {"level": 1}});
    let codecs = match chain {
        Chain::Sharded => json!([{"name": "sharding_indexed", "configuration": {
            "chunk_shape": [chunks[0] / 2, chunks[1] / 2, chunks[2]],
            "codecs": [bytes, zstd]}}]),
        Chain::ShardedTransposed(order) => json!([{"name": "sharding_indexed", "configuration": {
            "chunk_shape": [chunks[0] / 2, chunks[1] / 2, chunks[2]],
            "codecs": [{"name": "transpose", "configuration": {"order": order}}, bytes, zstd]}}]),
        Chain::Plain => json!([bytes, zstd]),
        Chain::Transposed(orders) => {
            let mut list: Vec<serde_json::Value> = orders
                .iter()
                .map(|o| json!({"name": "transpose", "configuration": {"order": o}}))
                .collect();
            list.extend([bytes, zstd]);
            serde_json::Value::Array(list)
        }
    };
    let fill = if dtype == "r24" {
        json!([0, 0, 0])
    } else if dtype == "complex128" {
        json!([0.0, 0.0])
    } else {
        json!(0)
    };
    let meta = json!({
        "zarr_format": 3, "node_type": "array", "shape": SHAPE, "data_type": dtype,
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": chunks}},
        "chunk_key_encoding": {"name": "default"}, "fill_value": fill, "codecs": codecs,
    });
    Array::create(Arc::new(MemoryStore::new()), "a", &meta.to_string()).unwrap()
}

/// Element strides of a dense buffer of `shape` whose dimensions run from
/// fastest to slowest in `order`, each with `gap` unused elements after it.
fn strides(shape: &[u64], order: &[usize], gap: u64) -> (Vec<i64>, usize) {
    let mut s = vec![0i64; shape.len()];
    let mut next = 1u64;
    for &d in order {
        s[d] = next as i64;
        next *= shape[d] + gap;
    }
    (s, next as usize)
}

fn offset(idx: &[u64], strides: &[i64]) -> usize {
    idx.iter()
        .zip(strides)
        .map(|(&i, &s)| i as usize * s as usize)
        .sum()
}

/// Every index of the box `shape`, in C order.
fn indices(shape: &[u64]) -> impl Iterator<Item = [u64; 3]> + '_ {
    (0..shape[0])
        .flat_map(move |z| (0..shape[1]).flat_map(move |y| (0..shape[2]).map(move |x| [z, y, x])))
}

/// Element bytes that differ from element to element and byte to byte.
fn pattern(count: usize, elem: usize, seed: u64) -> Vec<u8> {
    (0..(count * elem) as u64)
        .map(|k| (k.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 29 ^ seed) as u8)
        .collect()
}

/// The regions read and written: the whole array, and boxes starting off
/// chunk boundaries with extents that are no multiple of any block side.
const REGIONS: [([u64; 3], [u64; 3]); 3] = [
    ([0, 0, 0], SHAPE),
    ([3, 5, 1], [33, 61, 17]),
    ([9, 1, 0], [17, 35, 19]),
];

/// Dimension orders, fastest first: Fortran order, orders where the
/// contiguous dimension is the middle one, and C order.
const ORDERS: [[usize; 3]; 4] = [[0, 1, 2], [1, 0, 2], [1, 2, 0], [2, 1, 0]];

#[test]
fn reads_into_transposed_layouts_place_every_element() {
    for (dtype, elem) in DTYPES {
        for chain in CHAINS {
            let a = array(dtype, [16, 32, 19], chain);
            let count = SHAPE.iter().product::<u64>() as usize;
            let data = pattern(count, elem, 1);
            a.write_region(&[0; 3], &SHAPE, &data, None).unwrap();
            for (start, size) in REGIONS {
                for order in ORDERS {
                    for gap in [0, 3] {
                        let (s, len) = strides(&size, &order, gap);
                        let mut out = vec![0xEEu8; len * elem];
                        a.read_region(&start, &size, &mut out, Some(&s)).unwrap();
                        let mut addressed = vec![false; out.len()];
                        for idx in indices(&size) {
                            let at = [0, 1, 2].map(|d| start[d] + idx[d]);
                            let o = ((at[0] * SHAPE[1] + at[1]) * SHAPE[2] + at[2]) as usize * elem;
                            let p = offset(&idx, &s) * elem;
                            assert_eq!(
                                &out[p..p + elem],
                                &data[o..o + elem],
                                "{dtype} {chain:?}: element {at:?} read into order {order:?} gap {gap}"
                            );
                            addressed[p..p + elem].fill(true);
                        }
                        let stray = (0..out.len()).find(|&i| !addressed[i] && out[i] != 0xEE);
                        assert_eq!(stray, None, "{dtype}: a byte outside the layout written");
                    }
                }
            }
        }
    }
}

#[test]
fn writes_from_transposed_layouts_store_every_element() {
    for (dtype, elem) in DTYPES {
        for chain in CHAINS {
            for (start, size) in REGIONS {
                for order in ORDERS {
                    let a = array(dtype, [16, 32, 19], chain);
                    let (s, len) = strides(&size, &order, 2);
                    let src = pattern(len, elem, 2);
                    a.write_region(&start, &size, &src, Some(&s)).unwrap();
                    let count = SHAPE.iter().product::<u64>() as usize;
                    let mut back = vec![0u8; count * elem];
                    a.read_region(&[0; 3], &SHAPE, &mut back, None).unwrap();
                    for idx in indices(&SHAPE) {
                        let o = ((idx[0] * SHAPE[1] + idx[1]) * SHAPE[2] + idx[2]) as usize * elem;
                        let inside =
                            (0..3).all(|d| idx[d] >= start[d] && idx[d] < start[d] + size[d]);
                        let want = if inside {
                            let rel = [0, 1, 2].map(|d| idx[d] - start[d]);
                            let p = offset(&rel, &s) * elem;
                            src[p..p + elem].to_vec()
                        } else {
                            vec![0u8; elem]
                        };
                        assert_eq!(
                            &back[o..o + elem],
                            &want[..],
                            "{dtype} {chain:?}: element {idx:?} written from order {order:?}"
                        );
                    }
                    if matches!(chain, Chain::Transposed(_)) {
                        stored_chunks_decode_to(&a, &back, elem);
                    }
                }
            }
        }
    }
}

/// Every stored chunk of `a`, decoded by the pipeline's general path (which
/// permutes with the `transpose` codec itself, not through strides), holds
/// its part of `whole` (the array in C order, the fill value 0 beyond its
/// edges): chunks written through their transposed layout are encoded as
/// the codecs define, not merely read back consistently.
fn stored_chunks_decode_to(a: &Array, whole: &[u8], elem: usize) {
    let chunk = a.chunk_shape().to_vec();
    let grid: Vec<u64> = (0..3).map(|d| SHAPE[d].div_ceil(chunk[d])).collect();
    for c in indices(&grid) {
        let key = a.chunk_key(&c);
        let Some(stored) = a.store().get(&key).unwrap() else {
            continue;
        };
        let decoded = a.codecs().decode(&stored).unwrap();
        for i in indices(&chunk) {
            let at = [0, 1, 2].map(|d| c[d] * chunk[d] + i[d]);
            let o = ((i[0] * chunk[1] + i[1]) * chunk[2] + i[2]) as usize * elem;
            let want = if (0..3).all(|d| at[d] < SHAPE[d]) {
                let w = ((at[0] * SHAPE[1] + at[1]) * SHAPE[2] + at[2]) as usize * elem;
                whole[w..w + elem].to_vec()
            } else {
                vec![0u8; elem]
            };
            assert_eq!(&decoded[o..o + elem], &want[..], "{key}: element {i:?}");
        }
    }
}
