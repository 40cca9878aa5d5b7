//! The `transpose` array->array codec (Zarr v3 core).
//!
//! `{"name": "transpose", "configuration": {"order": [..]}}` where `order`
//! is a permutation of `0..rank`. The encoded array has shape
//! `B[i] = A[order[i]]`, and its element at index `j` is the decoded
//! element at index `k` with `k[order[i]] = j[i]` (numpy's
//! `a.transpose(order)`). The legacy strings `"C"` (identity) and `"F"`
//! (reversed axes) are accepted as well.

use super::{codec_json, ArrayToArrayCodec, ChunkRepr, CodecSpec};
use crate::error::{corrupt, invalid_argument, invalid_metadata, Result};
use crate::strided::{Layout, SourceBuffer};
use serde_json::{json, Value};

/// The `transpose` codec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransposeCodec {
    order: Vec<usize>,
}

impl TransposeCodec {
    /// A codec for `order`, which must be a permutation of `0..order.len()`.
    pub fn new(order: Vec<usize>) -> Result<Self> {
        check_permutation(&order)?;
        Ok(TransposeCodec { order })
    }

    /// The permutation.
    pub fn order(&self) -> &[usize] {
        &self.order
    }

    pub fn from_spec(spec: &CodecSpec, repr: &ChunkRepr) -> Result<Self> {
        spec.check_keys(&["order"])?;
        let rank = repr.shape.len();
        let order: Vec<usize> = match spec.get("order") {
            None => return Err(invalid_metadata("codec \"transpose\": \"order\" is required")),
            Some(Value::String(s)) if s == "C" => (0..rank).collect(),
            Some(Value::String(s)) if s == "F" => (0..rank).rev().collect(),
            Some(Value::Array(a)) => a
                .iter()
                .map(|x| {
                    x.as_u64().map(|i| i as usize).ok_or_else(|| {
                        invalid_metadata(format!(
                            "codec \"transpose\": \"order\" entries must be non-negative integers, got {x}"
                        ))
                    })
                })
                .collect::<Result<_>>()?,
            Some(v) => {
                return Err(invalid_metadata(format!(
                    "codec \"transpose\": \"order\" must be an array of axis indices, \"C\" or \"F\", got {v}"
                )))
            }
        };
        if order.len() != rank {
            return Err(invalid_metadata(format!(
                "codec \"transpose\": \"order\" {order:?} has {} entries but the array has {rank} dimensions",
                order.len()
            )));
        }
        TransposeCodec::new(order)
    }

    fn check_rank(&self, repr: &ChunkRepr) -> Result<()> {
        if repr.shape.len() != self.order.len() {
            return Err(invalid_argument(format!(
                "codec \"transpose\": order {:?} does not fit a chunk of {} dimensions",
                self.order,
                repr.shape.len()
            )));
        }
        Ok(())
    }

    /// `inverse[order[i]] = i`.
    fn inverse(&self) -> Vec<usize> {
        let mut inv = vec![0; self.order.len()];
        for (i, &o) in self.order.iter().enumerate() {
            inv[o] = i;
        }
        inv
    }
}

fn check_permutation(order: &[usize]) -> Result<()> {
    let mut seen = vec![false; order.len()];
    for &i in order {
        if i >= order.len() || std::mem::replace(&mut seen[i], true) {
            return Err(invalid_metadata(format!(
                "codec \"transpose\": \"order\" {order:?} is not a permutation of 0..{}",
                order.len()
            )));
        }
    }
    Ok(())
}

impl ArrayToArrayCodec for TransposeCodec {
    fn to_json(&self) -> Value {
        codec_json("transpose", json!({ "order": self.order }))
    }

    fn encoded_repr(&self, decoded: &ChunkRepr) -> Result<ChunkRepr> {
        self.check_rank(decoded)?;
        Ok(ChunkRepr {
            shape: self.order.iter().map(|&o| decoded.shape[o]).collect(),
            dtype: decoded.dtype.clone(),
            fill_value: decoded.fill_value.clone(),
        })
    }

    fn encode(&self, data: &[u8], decoded: &ChunkRepr) -> Result<Vec<u8>> {
        self.check_rank(decoded)?;
        if data.len() != decoded.nbytes() {
            return Err(invalid_argument(format!(
                "codec \"transpose\": chunk data is {} bytes, expected {}",
                data.len(),
                decoded.nbytes()
            )));
        }
        permute(data, &decoded.shape, &self.order, decoded.dtype.size())
    }

    fn transpose_order(&self) -> Option<&[usize]> {
        Some(&self.order)
    }

    fn decode(&self, data: &[u8], decoded: &ChunkRepr) -> Result<Vec<u8>> {
        super::decode_to_vec(self, data, decoded)
    }

    fn decode_into(&self, data: &[u8], decoded: &ChunkRepr, out: &mut [u8]) -> Result<()> {
        let encoded = self.encoded_repr(decoded)?;
        if data.len() != encoded.nbytes() {
            return Err(corrupt(format!(
                "codec \"transpose\": chunk is {} bytes, expected {}",
                data.len(),
                encoded.nbytes()
            )));
        }
        if out.len() != data.len() {
            return Err(crate::error::internal(format!(
                "codec \"transpose\": {} bytes to decode into a buffer of {}",
                data.len(),
                out.len()
            )));
        }
        // B[inv[d]] = A[d], so permuting B by the inverse gives A.
        permute_into(
            data,
            &encoded.shape,
            &self.inverse(),
            decoded.dtype.size(),
            out,
        )
    }
}

/// Permute the axes of a C-order array: `src` has shape `src_shape` and
/// elements of `elem` bytes; the result has shape `D[i] = src_shape[perm[i]]`
/// and element `j` equal to source element `k` with `k[perm[i]] = j[i]`.
/// `perm` must be a permutation of `0..src_shape.len()` and `src` exactly
/// `product(src_shape) * elem` bytes long.
fn permute(src: &[u8], src_shape: &[u64], perm: &[usize], elem: usize) -> Result<Vec<u8>> {
    let mut dst = crate::alloc::zeroed(src.len())?;
    permute_into(src, src_shape, perm, elem, &mut dst)?;
    Ok(dst)
}

fn permute_into(
    src: &[u8],
    src_shape: &[u64],
    perm: &[usize],
    elem: usize,
    dst: &mut [u8],
) -> Result<()> {
    debug_assert_eq!(src.len(), dst.len());
    if src.is_empty() || elem == 0 {
        return Ok(());
    }
    // The output is the source read with its strides permuted: one strided
    // copy, which moves planes whose contiguous dimension differs in
    // transposed tiles (`strided::copy_block`).
    let c = crate::region::c_strides(src_shape);
    let shape: Vec<u64> = perm.iter().map(|&p| src_shape[p]).collect();
    let strides: Vec<i64> = perm.iter().map(|&p| c[p] as i64).collect();
    // A permutation of a C-order layout is a valid layout of the same bytes.
    let layout = Layout::new(&shape, Some(&strides), elem, src.len())
        .map_err(|e| crate::error::internal(format!("codec \"transpose\": {e}")))?;
    let zero = vec![0u64; shape.len()];
    SourceBuffer::new(src, layout).copy_to_chunk(&zero, dst, &shape, &zero, &shape);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dtype::DataType;
    use crate::error::ErrorKind;

    fn spec(v: Value) -> CodecSpec {
        CodecSpec::from_json(&v).unwrap()
    }

    fn repr(shape: &[u64], dtype: DataType) -> ChunkRepr {
        ChunkRepr::new(shape.to_vec(), dtype.clone(), vec![0; dtype.size()])
    }

    fn unravel(mut flat: usize, shape: &[u64]) -> Vec<usize> {
        let mut idx = vec![0; shape.len()];
        for d in (0..shape.len()).rev() {
            idx[d] = flat % shape[d] as usize;
            flat /= shape[d] as usize;
        }
        idx
    }

    fn ravel(idx: &[usize], shape: &[u64]) -> usize {
        idx.iter()
            .zip(shape)
            .fold(0, |acc, (&i, &n)| acc * n as usize + i)
    }

    /// Naive encode: encoded[j] = decoded[k], k[order[i]] = j[i].
    fn naive_encode(data: &[u8], a: &[u64], order: &[usize], elem: usize) -> Vec<u8> {
        let b: Vec<u64> = order.iter().map(|&o| a[o]).collect();
        let mut out = vec![0u8; data.len()];
        for jf in 0..data.len() / elem {
            let j = unravel(jf, &b);
            let mut k = vec![0; a.len()];
            for i in 0..order.len() {
                k[order[i]] = j[i];
            }
            let kf = ravel(&k, a);
            out[jf * elem..(jf + 1) * elem].copy_from_slice(&data[kf * elem..(kf + 1) * elem]);
        }
        out
    }

    /// Naive decode: decoded[k] = encoded[j], j[i] = k[order[i]].
    fn naive_decode(enc: &[u8], a: &[u64], order: &[usize], elem: usize) -> Vec<u8> {
        let b: Vec<u64> = order.iter().map(|&o| a[o]).collect();
        let mut out = vec![0u8; enc.len()];
        for kf in 0..enc.len() / elem {
            let k = unravel(kf, a);
            let j: Vec<usize> = order.iter().map(|&o| k[o]).collect();
            let jf = ravel(&j, &b);
            out[kf * elem..(kf + 1) * elem].copy_from_slice(&enc[jf * elem..(jf + 1) * elem]);
        }
        out
    }

    fn data(n: usize) -> Vec<u8> {
        (0..n)
            .map(|i| (i.wrapping_mul(131) ^ (i >> 8)) as u8)
            .collect()
    }

    fn check(shape: &[u64], order: &[usize], dtype: DataType) {
        let r = repr(shape, dtype.clone());
        let c = TransposeCodec::from_spec(
            &spec(json!({"name": "transpose", "configuration": {"order": order}})),
            &r,
        )
        .unwrap();
        let x = data(r.nbytes());
        let elem = dtype.size();
        let enc = c.encode(&x, &r).unwrap();
        assert_eq!(
            enc,
            naive_encode(&x, shape, order, elem),
            "encode {shape:?} {order:?} {dtype:?}"
        );
        let er = c.encoded_repr(&r).unwrap();
        assert_eq!(
            er.shape,
            order.iter().map(|&o| shape[o]).collect::<Vec<_>>()
        );
        // Decode arbitrary encoded bytes, checked against the naive inverse.
        let y = data(r.nbytes())
            .into_iter()
            .map(|b| b.wrapping_add(17))
            .collect::<Vec<_>>();
        assert_eq!(
            c.decode(&y, &r).unwrap(),
            naive_decode(&y, shape, order, elem),
            "decode {shape:?} {order:?}"
        );
        assert_eq!(
            c.decode(&enc, &r).unwrap(),
            x,
            "round trip {shape:?} {order:?}"
        );
    }

    #[test]
    fn non_involutive_permutations() {
        for order in [[2, 0, 1], [1, 2, 0]] {
            for dtype in [
                DataType::UInt8,
                DataType::Int16,
                DataType::Float32,
                DataType::Float64,
                DataType::Complex128,
            ] {
                check(&[2, 3, 4], &order, dtype.clone());
                check(&[5, 1, 7], &order, dtype);
            }
            check(&[3, 4, 5], &order, DataType::RawBits(3));
        }
        // [2,0,1] and [1,2,0] are each other's inverse, not their own.
        let r = repr(&[2, 3, 4], DataType::UInt8);
        let a = TransposeCodec::new(vec![2, 0, 1]).unwrap();
        let b = TransposeCodec::new(vec![1, 2, 0]).unwrap();
        assert_eq!(a.encoded_repr(&r).unwrap().shape, vec![4, 2, 3]);
        assert_eq!(b.encoded_repr(&r).unwrap().shape, vec![3, 4, 2]);
        let x = data(24);
        assert_ne!(a.encode(&x, &r).unwrap(), b.encode(&x, &r).unwrap());
    }

    #[test]
    fn all_permutations_of_rank_4() {
        let shape = [2u64, 3, 1, 4];
        let mut perms = vec![];
        for a in 0..4 {
            for b in 0..4 {
                for c in 0..4 {
                    for d in 0..4 {
                        let p = [a, b, c, d];
                        if check_permutation(&p).is_ok() {
                            perms.push(p);
                        }
                    }
                }
            }
        }
        assert_eq!(perms.len(), 24);
        for p in perms {
            for dtype in [
                DataType::Bool,
                DataType::UInt16,
                DataType::Int32,
                DataType::UInt64,
                DataType::RawBits(5),
            ] {
                check(&shape, &p, dtype);
            }
        }
    }

    #[test]
    fn small_ranks_and_edge_shapes() {
        check(&[7], &[0], DataType::Int32);
        check(&[3, 5], &[1, 0], DataType::Int32);
        check(&[3, 5], &[0, 1], DataType::Int32);
        check(&[1, 1, 6], &[2, 1, 0], DataType::Float32);
        check(&[6, 1, 1], &[2, 0, 1], DataType::Float32);
        check(&[2, 3, 4, 5, 2], &[4, 2, 0, 3, 1], DataType::Float16);
        // Empty chunk.
        let r = repr(&[0, 3], DataType::Int32);
        let c = TransposeCodec::new(vec![1, 0]).unwrap();
        assert!(c.encode(&[], &r).unwrap().is_empty());
        assert!(c.decode(&[], &r).unwrap().is_empty());
        // Rank 0.
        let r = repr(&[], DataType::Int64);
        let c = TransposeCodec::from_spec(
            &spec(json!({"name": "transpose", "configuration": {"order": []}})),
            &r,
        )
        .unwrap();
        let x = data(8);
        assert_eq!(c.decode(&c.encode(&x, &r).unwrap(), &r).unwrap(), x);
    }

    #[test]
    fn legacy_orders() {
        let r = repr(&[2, 3, 4], DataType::UInt8);
        let c = TransposeCodec::from_spec(
            &spec(json!({"name": "transpose", "configuration": {"order": "C"}})),
            &r,
        )
        .unwrap();
        assert_eq!(c.order(), &[0, 1, 2]);
        let f = TransposeCodec::from_spec(
            &spec(json!({"name": "transpose", "configuration": {"order": "F"}})),
            &r,
        )
        .unwrap();
        assert_eq!(f.order(), &[2, 1, 0]);
        assert_eq!(
            f.to_json(),
            json!({"name": "transpose", "configuration": {"order": [2, 1, 0]}})
        );
        check(&[2, 3, 4], &[2, 1, 0], DataType::UInt8);
    }

    #[test]
    fn bad_permutations_rejected() {
        let r = repr(&[2, 3, 4], DataType::UInt8);
        for order in [
            json!([0, 1]),
            json!([0, 1, 2, 3]),
            json!([0, 0, 1]),
            json!([0, 1, 3]),
            json!([0, -1, 2]),
            json!([0, 1.5, 2]),
            json!("X"),
            json!(3),
        ] {
            let e = TransposeCodec::from_spec(
                &spec(json!({"name": "transpose", "configuration": {"order": order}})),
                &r,
            )
            .unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidMetadata, "{order}");
            assert!(e.message().contains("transpose"), "{}", e.message());
        }
        assert!(TransposeCodec::from_spec(&spec(json!({"name": "transpose"})), &r).is_err());
        assert!(TransposeCodec::from_spec(
            &spec(json!({"name": "transpose", "configuration": {"order": [0, 1, 2], "x": 1}})),
            &r
        )
        .is_err());
        assert!(TransposeCodec::new(vec![1, 1]).is_err());
    }

    #[test]
    fn wrong_sizes_are_errors() {
        let r = repr(&[2, 3], DataType::Int16);
        let c = TransposeCodec::new(vec![1, 0]).unwrap();
        assert_eq!(
            c.decode(&[0; 11], &r).unwrap_err().kind(),
            ErrorKind::Corrupt
        );
        assert!(c.encode(&[0; 13], &r).is_err());
        let r3 = repr(&[2, 3, 4], DataType::Int16);
        assert!(c.encoded_repr(&r3).is_err());
        assert!(c.encode(&[0; 48], &r3).is_err());
        assert!(c.decode(&[0; 48], &r3).is_err());
    }

    #[test]
    fn larger_transpose_matches_naive() {
        let shape = [17u64, 33, 9];
        for order in [[2, 0, 1], [1, 2, 0], [2, 1, 0]] {
            check(&shape, &order, DataType::Float32);
        }
    }
}
