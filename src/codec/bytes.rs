//! The `bytes` array->bytes codec (Zarr v3 core): elements serialised in C
//! order with a fixed byte order.
//!
//! `{"name": "bytes", "configuration": {"endian": "little" | "big"}}`; the
//! `endian` field is required for data types with a byte order and optional
//! for those without (one-byte types such as `bool`, `int8`, `uint8`, the
//! 8-bit floats, `int4`; `r<N>`); a `struct` without one is little-endian,
//! as zarr-python before 3.3 wrote them (and metadata zarrio writes for
//! it says so).
//!
//! Types narrower than a byte (`int4`, ...) keep their value in each
//! byte's low bits: writing stores those alone, reading ignores the
//! others (see `dtype::SubByte`).

use super::{codec_json, ArrayToBytesCodec, ChunkRepr, CodecSpec};
use crate::dtype::SubByte;
use crate::error::{corrupt, invalid_argument, invalid_metadata, Result};
use serde_json::{Map, Value};

/// A byte order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endian {
    Little,
    Big,
}

impl Endian {
    /// The byte order of the host.
    pub fn native() -> Endian {
        if cfg!(target_endian = "big") {
            Endian::Big
        } else {
            Endian::Little
        }
    }

    /// The name used in `zarr.json`.
    pub fn name(&self) -> &'static str {
        match self {
            Endian::Little => "little",
            Endian::Big => "big",
        }
    }
}

/// The `bytes` codec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BytesCodec {
    endian: Option<Endian>,
}

impl BytesCodec {
    /// A codec writing `endian` byte order; `None` (only meaningful for types
    /// without a byte order) is taken as the native order.
    pub fn new(endian: Option<Endian>) -> Self {
        BytesCodec { endian }
    }

    /// The configured byte order, if any.
    pub fn endian(&self) -> Option<Endian> {
        self.endian
    }

    pub fn from_spec(spec: &CodecSpec, repr: &ChunkRepr) -> Result<Self> {
        spec.check_keys(&["endian"])?;
        let endian = match spec.get("endian") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s == "little" => Some(Endian::Little),
            Some(Value::String(s)) if s == "big" => Some(Endian::Big),
            Some(v) => {
                return Err(invalid_metadata(format!(
                    "codec \"bytes\": \"endian\" must be \"little\" or \"big\", got {v}"
                )))
            }
        };
        // ndarray elements are little-endian throughout: their fill value
        // is, and zarr-extensions forbids big-endian chunks of them.
        if endian == Some(Endian::Big) && matches!(repr.dtype, crate::dtype::DataType::NdArray(_)) {
            return Err(invalid_metadata(format!(
                "codec \"bytes\": ndarray elements are stored little-endian, not big ({})",
                repr.dtype.to_json()
            )));
        }
        // zarr-python before 3.3 wrote struct arrays without an `endian`,
        // little-endian (what zarr-python still assumes for them).
        let endian = match (&repr.dtype, endian) {
            (crate::dtype::DataType::Struct(_), None) if repr.dtype.has_byte_order() => {
                Some(Endian::Little)
            }
            (_, e) => e,
        };
        if endian.is_none() && repr.dtype.has_byte_order() {
            return Err(invalid_metadata(format!(
                "codec \"bytes\": \"endian\" is required for data type {}",
                repr.dtype.name()
            )));
        }
        Ok(BytesCodec { endian })
    }

    /// Whether the encoded bytes of `repr` differ from the native ones.
    fn swaps(&self, repr: &ChunkRepr) -> bool {
        matches!(self.endian, Some(e) if e != Endian::native()) && repr.dtype.has_byte_order()
    }
}

/// The type narrower than a byte that each byte of `repr`'s elements
/// holds in its low bits, so bytes change on the way in and out.
fn sub_byte(repr: &ChunkRepr) -> Option<SubByte> {
    repr.dtype.sub_byte_unit()
}

/// Stored bytes of a sub-byte type as the caller's elements.
fn decode_sub_byte(data: &mut [u8], repr: &ChunkRepr) {
    if let Some(t) = sub_byte(repr) {
        for b in data {
            *b = t.decode(*b);
        }
    }
}

/// Reverse the bytes of every `unit`-byte group of `data` in place. A tail
/// shorter than `unit` is left alone; units of 0 or 1 do nothing.
pub fn swap_in_place(data: &mut [u8], unit: usize) {
    match unit {
        0 | 1 => {}
        2 => {
            for c in data.chunks_exact_mut(2) {
                let v = u16::from_ne_bytes([c[0], c[1]]);
                c.copy_from_slice(&v.swap_bytes().to_ne_bytes());
            }
        }
        4 => {
            for c in data.chunks_exact_mut(4) {
                let v = u32::from_ne_bytes([c[0], c[1], c[2], c[3]]);
                c.copy_from_slice(&v.swap_bytes().to_ne_bytes());
            }
        }
        8 => {
            for c in data.chunks_exact_mut(8) {
                let v = u64::from_ne_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
                c.copy_from_slice(&v.swap_bytes().to_ne_bytes());
            }
        }
        n => {
            for c in data.chunks_exact_mut(n) {
                c.reverse();
            }
        }
    }
}

impl ArrayToBytesCodec for BytesCodec {
    fn to_json(&self) -> Value {
        let mut cfg = Map::new();
        if let Some(e) = self.endian {
            cfg.insert("endian".into(), Value::String(e.name().into()));
        }
        codec_json("bytes", Value::Object(cfg))
    }

    fn encode(&self, data: &[u8], repr: &ChunkRepr) -> Result<Vec<u8>> {
        let expected = repr.nbytes();
        if data.len() != expected {
            return Err(invalid_argument(format!(
                "codec \"bytes\": chunk data is {} bytes, expected {expected}",
                data.len()
            )));
        }
        let mut out = crate::alloc::copied(data)?;
        if self.swaps(repr) {
            repr.dtype.swap_byte_order(&mut out);
        }
        if let Some(t) = sub_byte(repr) {
            for b in &mut out {
                *b = t.encode(*b);
            }
        }
        Ok(out)
    }

    fn decode_into(&self, bytes: &[u8], repr: &ChunkRepr, out: &mut [u8]) -> Result<()> {
        let expected = repr.nbytes();
        if bytes.len() != expected {
            return Err(corrupt(format!(
                "codec \"bytes\": chunk is {} bytes, expected {expected}",
                bytes.len()
            )));
        }
        if out.len() != expected {
            return Err(invalid_argument(format!(
                "codec \"bytes\": output buffer is {} bytes, expected {expected}",
                out.len()
            )));
        }
        out.copy_from_slice(bytes);
        if self.swaps(repr) {
            repr.dtype.swap_byte_order(out);
        }
        decode_sub_byte(out, repr);
        Ok(())
    }

    fn fixed_encoded_size(&self, repr: &ChunkRepr) -> Option<u64> {
        Some(repr.nbytes() as u64)
    }

    fn is_identity(&self, repr: &ChunkRepr) -> bool {
        !self.swaps(repr) && sub_byte(repr).is_none()
    }

    fn can_decode_in_place(&self) -> bool {
        true
    }

    fn decode_in_place(&self, data: &mut [u8], repr: &ChunkRepr) -> Result<()> {
        if data.len() != repr.nbytes() {
            return Err(corrupt(format!(
                "codec \"bytes\": chunk is {} bytes, expected {}",
                data.len(),
                repr.nbytes()
            )));
        }
        if self.swaps(repr) {
            repr.dtype.swap_byte_order(data);
        }
        decode_sub_byte(data, repr);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dtype::DataType;
    use crate::error::ErrorKind;
    use serde_json::json;

    fn repr(shape: &[u64], dtype: DataType) -> ChunkRepr {
        ChunkRepr::new(shape.to_vec(), dtype.clone(), vec![0; dtype.size()])
    }

    fn spec(v: Value) -> CodecSpec {
        CodecSpec::from_json(&v).unwrap()
    }

    fn decode(c: &BytesCodec, bytes: &[u8], r: &ChunkRepr) -> Result<Vec<u8>> {
        let mut out = vec![0u8; r.nbytes()];
        c.decode_into(bytes, r, &mut out)?;
        Ok(out)
    }

    #[test]
    fn big_endian_u16_known_bytes() {
        let r = repr(&[3], DataType::UInt16);
        let c = BytesCodec::from_spec(
            &spec(json!({"name": "bytes", "configuration": {"endian": "big"}})),
            &r,
        )
        .unwrap();
        let data: Vec<u8> = [0x0102u16, 0x0304, 0xA0B0]
            .iter()
            .flat_map(|v| v.to_ne_bytes())
            .collect();
        let enc = c.encode(&data, &r).unwrap();
        assert_eq!(enc, vec![0x01, 0x02, 0x03, 0x04, 0xA0, 0xB0]);
        assert_eq!(decode(&c, &enc, &r).unwrap(), data);
        let le = BytesCodec::new(Some(Endian::Little));
        assert_eq!(
            le.encode(&data, &r).unwrap(),
            vec![0x02, 0x01, 0x04, 0x03, 0xB0, 0xA0]
        );
    }

    #[test]
    fn known_bytes_wider_types() {
        let r = repr(&[1], DataType::Int32);
        let data = 0x01020304i32.to_ne_bytes();
        assert_eq!(
            BytesCodec::new(Some(Endian::Big))
                .encode(&data, &r)
                .unwrap(),
            [1, 2, 3, 4]
        );
        assert_eq!(
            BytesCodec::new(Some(Endian::Little))
                .encode(&data, &r)
                .unwrap(),
            [4, 3, 2, 1]
        );
        let r = repr(&[1], DataType::Float64);
        let data = 1.0f64.to_ne_bytes();
        assert_eq!(
            BytesCodec::new(Some(Endian::Big))
                .encode(&data, &r)
                .unwrap(),
            1.0f64.to_be_bytes()
        );
        // Complex: each half swapped separately.
        let r = repr(&[1], DataType::Complex64);
        let mut data = 1.0f32.to_ne_bytes().to_vec();
        data.extend(2.0f32.to_ne_bytes());
        let mut want = 1.0f32.to_be_bytes().to_vec();
        want.extend(2.0f32.to_be_bytes());
        assert_eq!(
            BytesCodec::new(Some(Endian::Big))
                .encode(&data, &r)
                .unwrap(),
            want
        );
        let r = repr(&[1], DataType::Complex128);
        let mut data = 1.5f64.to_ne_bytes().to_vec();
        data.extend((-2.0f64).to_ne_bytes());
        let mut want = 1.5f64.to_be_bytes().to_vec();
        want.extend((-2.0f64).to_be_bytes());
        let c = BytesCodec::new(Some(Endian::Big));
        assert_eq!(c.encode(&data, &r).unwrap(), want);
        assert_eq!(decode(&c, &want, &r).unwrap(), data);
    }

    #[test]
    fn round_trip_all_types_both_orders() {
        let types = [
            DataType::Bool,
            DataType::Int8,
            DataType::UInt8,
            DataType::Int16,
            DataType::UInt16,
            DataType::Float16,
            DataType::BFloat16,
            DataType::Int32,
            DataType::UInt32,
            DataType::Float32,
            DataType::Int64,
            DataType::UInt64,
            DataType::Float64,
            DataType::Complex64,
            DataType::Complex128,
            DataType::RawBits(1),
            DataType::RawBits(3),
            DataType::RawBits(16),
        ];
        for t in types {
            let r = repr(&[4, 5], t.clone());
            let data: Vec<u8> = (0..r.nbytes()).map(|i| (i * 7 + 3) as u8).collect();
            for e in [Endian::Little, Endian::Big] {
                let c = BytesCodec::new(Some(e));
                let enc = c.encode(&data, &r).unwrap();
                assert_eq!(enc.len(), r.nbytes());
                assert_eq!(c.fixed_encoded_size(&r), Some(r.nbytes() as u64));
                assert_eq!(decode(&c, &enc, &r).unwrap(), data, "{t:?} {e:?}");
                let identity = e == Endian::native() || !t.has_byte_order();
                assert_eq!(c.is_identity(&r), identity, "{t:?} {e:?}");
                assert_eq!(enc == data, identity, "{t:?} {e:?}");
            }
        }
    }

    #[test]
    fn endian_optional_only_without_byte_order() {
        let none = spec(json!({"name": "bytes"}));
        for t in [
            DataType::Bool,
            DataType::Int8,
            DataType::UInt8,
            DataType::RawBits(1),
            DataType::RawBits(4),
        ] {
            let c = BytesCodec::from_spec(&none, &repr(&[2], t.clone())).unwrap();
            assert!(c.is_identity(&repr(&[2], t)));
        }
        for t in [DataType::Int16, DataType::Float32, DataType::Complex64] {
            let e = BytesCodec::from_spec(&none, &repr(&[2], t)).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidMetadata);
            assert!(e.message().contains("endian"), "{}", e.message());
        }
        let empty = spec(json!({"name": "bytes", "configuration": {}}));
        assert!(BytesCodec::from_spec(&empty, &repr(&[2], DataType::Int16)).is_err());
        assert!(BytesCodec::from_spec(&empty, &repr(&[2], DataType::UInt8)).is_ok());
    }

    #[test]
    fn invalid_configs() {
        let r = repr(&[2], DataType::Int16);
        for cfg in [
            json!({"endian": "middle"}),
            json!({"endian": 1}),
            json!({"endian": "little", "extra": true}),
            json!({"endian": "LITTLE"}),
        ] {
            let e =
                BytesCodec::from_spec(&spec(json!({"name": "bytes", "configuration": cfg})), &r)
                    .unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidMetadata);
        }
    }

    #[test]
    fn to_json_forms() {
        assert_eq!(
            BytesCodec::new(None).to_json(),
            json!({"name": "bytes", "configuration": {}})
        );
        assert_eq!(
            BytesCodec::new(Some(Endian::Big)).to_json(),
            json!({"name": "bytes", "configuration": {"endian": "big"}})
        );
        let r = repr(&[2], DataType::Int16);
        let c = BytesCodec::from_spec(
            &spec(json!({"name": "bytes", "configuration": {"endian": "little"}})),
            &r,
        )
        .unwrap();
        let again = BytesCodec::from_spec(&spec(c.to_json()), &r).unwrap();
        assert_eq!(c, again);
        // The legacy name "endian" builds the same codec.
        assert!(super::super::build_codec(
            &spec(json!({"name": "endian", "configuration": {"endian": "big"}})),
            &r
        )
        .is_ok());
    }

    #[test]
    fn wrong_size_is_an_error() {
        let r = repr(&[3], DataType::UInt16);
        let c = BytesCodec::new(Some(Endian::Big));
        let e = decode(&c, &[1, 2, 3, 4, 5], &r).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Corrupt);
        assert!(
            e.message().contains("5 bytes, expected 6"),
            "{}",
            e.message()
        );
        assert!(decode(&c, &[], &r).is_err());
        assert!(c.encode(&[1, 2, 3], &r).is_err());
        let mut out = vec![0u8; 4];
        assert!(c.decode_into(&[0; 6], &r, &mut out).is_err());
    }

    #[test]
    fn swap_helper() {
        let mut d = vec![1, 2, 3, 4, 5, 6, 7, 8, 9];
        swap_in_place(&mut d, 2);
        assert_eq!(d, [2, 1, 4, 3, 6, 5, 8, 7, 9]);
        let mut d = vec![1, 2, 3, 4, 5, 6, 7, 8];
        swap_in_place(&mut d, 4);
        assert_eq!(d, [4, 3, 2, 1, 8, 7, 6, 5]);
        let mut d = vec![1, 2, 3, 4, 5, 6, 7, 8];
        swap_in_place(&mut d, 8);
        assert_eq!(d, [8, 7, 6, 5, 4, 3, 2, 1]);
        let mut d = vec![1, 2, 3, 4, 5, 6];
        swap_in_place(&mut d, 3);
        assert_eq!(d, [3, 2, 1, 6, 5, 4]);
        let mut d = vec![1, 2, 3];
        swap_in_place(&mut d, 0);
        swap_in_place(&mut d, 1);
        assert_eq!(d, [1, 2, 3]);
    }

    #[test]
    fn empty_chunk() {
        let r = repr(&[0, 4], DataType::Float32);
        let c = BytesCodec::new(Some(Endian::Big));
        assert!(c.encode(&[], &r).unwrap().is_empty());
        assert!(decode(&c, &[], &r).unwrap().is_empty());
    }
}
