//! The `scale_offset` codec (zarr-extensions; zarr-python 3.4's
//! `ScaleOffset`): an array->array codec that keeps the element type and
//! stores `(x - offset) * scale`, decoding `x / scale + offset`
//! (`{"offset", "scale"}`, each in the fill value encoding of the type;
//! absent ones are 0 and 1, as zarr-python leaves them out).
//!
//! The arithmetic is the type's own, as zarr-python's:
//! - integers compute exactly; a result past the type's range is an
//!   error (never a wrap), and so is a stored value that `scale` does not
//!   divide; but int64 values decode wrapping, as zarr-python 3.4
//!   computes them (it writes values that wrapped past the range with an
//!   offset far from zero, and reads them back so);
//! - floats compute in their type, each operation rounded to it (float16
//!   as numpy computes it: in float32, rounded to float16 after each
//!   operation).
//!
//! The encoded fill value is the fill value encoded. Usually followed by
//! `cast_value`, which stores the results in a narrower type.

use super::scalar::{self, int_range, is_numeric, Elem, Kernel, Scalar};
use super::{codec_json, ArrayToArrayCodec, ChunkRepr, CodecSpec};
use crate::dtype::DataType;
use crate::error::{corrupt, invalid_argument, invalid_metadata, unsupported, Result};
use half::f16;
use serde_json::{Map, Value};

pub const NAME: &str = "scale_offset";

/// The codec, built for its element type.
#[derive(Debug, Clone, PartialEq)]
pub struct ScaleOffset {
    dtype: DataType,
    offset: Scalar,
    scale: Scalar,
    /// The configuration as written, for `to_json`.
    config: Map<String, Value>,
}

/// One direction of the codec, element by element.
struct Step<'a> {
    codec: &'a ScaleOffset,
    encode: bool,
}

impl Kernel for Step<'_> {
    type Error = Scalar;
    #[inline(always)]
    fn apply<S: Elem, T: Elem>(&self, x: Scalar) -> std::result::Result<Scalar, Scalar> {
        let y = if self.encode {
            self.codec.encode_one(&S::DTYPE, x)
        } else {
            self.codec.decode_one(&S::DTYPE, x)
        };
        y.ok_or(x)
    }
}

/// float16 arithmetic as numpy does it: in float32, rounded to float16.
fn f16_op(a: f64, b: f64, op: fn(f32, f32) -> f32) -> f64 {
    f16::from_f32(op(a as f32, b as f32)).to_f64()
}

impl ScaleOffset {
    /// `repr` is the codec's input.
    pub fn from_spec(spec: &CodecSpec, repr: &ChunkRepr) -> Result<Self> {
        spec.check_keys(&["offset", "scale"])?;
        let dtype = repr.dtype.clone();
        if !is_numeric(&dtype) {
            return Err(unsupported(format!(
                "codec \"{NAME}\": data type {} is not supported (integers and float16/32/64 are)",
                dtype.name()
            )));
        }
        let param = |key: &str, default: i64| match spec.get(key) {
            None => scalar::parse(&dtype, &Value::from(default), NAME, key),
            Some(v) => scalar::parse(&dtype, v, NAME, key),
        };
        let offset = param("offset", 0)?;
        let scale = param("scale", 1)?;
        if matches!(scale, Scalar::Int(0)) || scale == Scalar::Float(0.0) {
            return Err(invalid_metadata(format!(
                "codec \"{NAME}\": scale must not be zero"
            )));
        }
        Ok(ScaleOffset {
            dtype,
            offset,
            scale,
            config: spec.configuration.clone(),
        })
    }

    /// `(x - offset) * scale` in type `t`; `None` for an integer past the
    /// type's range.
    #[inline(always)]
    fn encode_one(&self, t: &DataType, x: Scalar) -> Option<Scalar> {
        match (x, self.offset, self.scale) {
            (Scalar::Int(x), Scalar::Int(o), Scalar::Int(s)) => {
                let y = (x - o).checked_mul(s)?;
                let (lo, hi) = int_range(t);
                (lo..=hi).contains(&y).then_some(Scalar::Int(y))
            }
            (Scalar::Float(x), Scalar::Float(o), Scalar::Float(s)) => {
                Some(Scalar::Float(match t {
                    DataType::Float16 => f16_op(f16_op(x, o, |a, b| a - b), s, |a, b| a * b),
                    DataType::Float32 => ((x as f32 - o as f32) * s as f32) as f64,
                    _ => (x - o) * s,
                }))
            }
            _ => unreachable!("values and parameters are parsed in one type"),
        }
    }

    /// `x / scale + offset` in type `t`; `None` for an integer `scale`
    /// does not divide, or a result past the type's range.
    #[inline(always)]
    fn decode_one(&self, t: &DataType, x: Scalar) -> Option<Scalar> {
        match (x, self.offset, self.scale) {
            (Scalar::Int(x), Scalar::Int(o), Scalar::Int(s)) => {
                if x % s != 0 {
                    return None;
                }
                let y = x / s + o;
                if *t == DataType::Int64 {
                    // zarr-python 3.4 computes int64 in int64, wrapping
                    // (against the specification) where it range-checks
                    // the other types: its chunks whose offset took a
                    // value past the range decode as it decodes them.
                    return Some(Scalar::Int(y as i64 as i128));
                }
                let (lo, hi) = int_range(t);
                (lo..=hi).contains(&y).then_some(Scalar::Int(y))
            }
            (Scalar::Float(x), Scalar::Float(o), Scalar::Float(s)) => {
                Some(Scalar::Float(match t {
                    DataType::Float16 => f16_op(f16_op(x, s, |a, b| a / b), o, |a, b| a + b),
                    DataType::Float32 => (x as f32 / s as f32 + o as f32) as f64,
                    _ => x / s + o,
                }))
            }
            _ => unreachable!("values and parameters are parsed in one type"),
        }
    }

    /// Encode (or decode) every element of `data` into `out`; the error
    /// is the first element that fails.
    fn map_all(
        &self,
        data: &[u8],
        out: &mut [u8],
        encode: bool,
    ) -> std::result::Result<(), Scalar> {
        scalar::map_same(
            &self.dtype,
            data,
            out,
            &Step {
                codec: self,
                encode,
            },
        )
    }

    fn check_type(&self, t: &DataType) -> Result<()> {
        if *t != self.dtype {
            return Err(invalid_metadata(format!(
                "codec \"{NAME}\": built for {}, but its input is {}",
                self.dtype.name(),
                t.name()
            )));
        }
        Ok(())
    }

    fn check(&self, data: &[u8], repr: &ChunkRepr) -> Result<()> {
        self.check_type(&repr.dtype)?;
        super::check_elements(NAME, data, repr, &self.dtype).map(drop)
    }
}

impl ArrayToArrayCodec for ScaleOffset {
    fn to_json(&self) -> Value {
        codec_json(NAME, Value::Object(self.config.clone()))
    }

    fn encoded_repr(&self, decoded: &ChunkRepr) -> Result<ChunkRepr> {
        let mut fill = decoded.fill_value.clone();
        self.check_type(&decoded.dtype)?;
        self.map_all(&decoded.fill_value, &mut fill, true)
            .map_err(|x| {
                invalid_metadata(format!(
                    "codec \"{NAME}\": the fill value {} encodes past the range of {}",
                    x,
                    self.dtype.name()
                ))
            })?;
        Ok(ChunkRepr::new(
            decoded.shape.clone(),
            self.dtype.clone(),
            fill,
        ))
    }

    fn encode(&self, data: &[u8], decoded: &ChunkRepr) -> Result<Vec<u8>> {
        self.check(data, decoded)?;
        let mut out = crate::alloc::zeroed(data.len())?;
        self.map_all(data, &mut out, true).map_err(|x| {
            invalid_argument(format!(
                "codec \"{NAME}\": {} encodes past the range of {}",
                x,
                self.dtype.name()
            ))
        })?;
        Ok(out)
    }

    fn decode(&self, data: &[u8], decoded: &ChunkRepr) -> Result<Vec<u8>> {
        super::decode_to_vec(self, data, decoded)
    }

    fn decode_into(&self, data: &[u8], decoded: &ChunkRepr, out: &mut [u8]) -> Result<()> {
        self.check(data, decoded)?;
        if out.len() != data.len() {
            return Err(crate::error::internal(format!(
                "codec \"{NAME}\": {} bytes to decode {} into",
                out.len(),
                data.len()
            )));
        }
        self.map_all(data, out, false).map_err(|x| {
            corrupt(format!(
                "codec \"{NAME}\": stored value {} does not decode to a value of {} \
                 (scale does not divide it, or the result is out of range)",
                x,
                self.dtype.name()
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use serde_json::json;

    fn codec(cfg: Option<Value>, t: DataType) -> Result<ScaleOffset> {
        let mut v = json!({"name": NAME});
        if let Some(c) = cfg {
            v["configuration"] = c;
        }
        let fill = vec![0u8; t.size()];
        ScaleOffset::from_spec(
            &CodecSpec::from_json(&v)?,
            &ChunkRepr::new(vec![2], t, fill),
        )
    }

    fn repr(t: DataType) -> ChunkRepr {
        let fill = vec![0u8; t.size()];
        ChunkRepr::new(vec![2], t, fill)
    }

    #[test]
    fn integers_compute_exactly_and_refuse_what_does_not_fit() {
        let c = codec(Some(json!({"offset": 10, "scale": 3})), DataType::Int16).unwrap();
        let data: Vec<u8> = [13i16, -20].iter().flat_map(|x| x.to_ne_bytes()).collect();
        let enc = c.encode(&data, &repr(DataType::Int16)).unwrap();
        let want: Vec<u8> = [9i16, -90].iter().flat_map(|x| x.to_ne_bytes()).collect();
        assert_eq!(enc, want);
        assert_eq!(c.decode(&enc, &repr(DataType::Int16)).unwrap(), data);
        let past: Vec<u8> = [20000i16, 0].iter().flat_map(|x| x.to_ne_bytes()).collect();
        assert_eq!(
            c.encode(&past, &repr(DataType::Int16)).unwrap_err().kind(),
            ErrorKind::InvalidArgument
        );
        // 10 is no multiple of 3.
        let stored: Vec<u8> = [10i16, 0].iter().flat_map(|x| x.to_ne_bytes()).collect();
        assert_eq!(
            c.decode(&stored, &repr(DataType::Int16))
                .unwrap_err()
                .kind(),
            ErrorKind::Corrupt
        );
        // uint64 past i64 and a product past i128.
        let c = codec(
            Some(json!({"offset": 0, "scale": u64::MAX})),
            DataType::UInt64,
        )
        .unwrap();
        let data: Vec<u8> = [1u64, u64::MAX]
            .iter()
            .flat_map(|x| x.to_ne_bytes())
            .collect();
        assert!(c.encode(&data, &repr(DataType::UInt64)).is_err());
    }

    /// zarr-python 3.4 writes int64 values that wrap past the range
    /// (offset 2^62: -2^63 - 2^62 stored as 2^62) and reads them back:
    /// zarrio reads them so too, and still refuses to write them.
    #[test]
    fn int64_decodes_wrapping_as_zarr_python() {
        let c = codec(Some(json!({"offset": 1i64 << 62})), DataType::Int64).unwrap();
        let i64s = |v: &[i64]| -> Vec<u8> { v.iter().flat_map(|x| x.to_ne_bytes()).collect() };
        let stored = i64s(&[1 << 62, -(1 << 62) - 1]);
        assert_eq!(
            c.decode(&stored, &repr(DataType::Int64)).unwrap(),
            i64s(&[i64::MIN, -1])
        );
        assert_eq!(
            c.encode(&i64s(&[i64::MIN, -1]), &repr(DataType::Int64))
                .unwrap_err()
                .kind(),
            ErrorKind::InvalidArgument
        );
        // Other types still refuse a stored value that decodes past them.
        let c = codec(Some(json!({"offset": 1 << 30})), DataType::Int32).unwrap();
        let stored: Vec<u8> = [1i32 << 30, 0]
            .iter()
            .flat_map(|x| x.to_ne_bytes())
            .collect();
        assert_eq!(
            c.decode(&stored, &repr(DataType::Int32))
                .unwrap_err()
                .kind(),
            ErrorKind::Corrupt
        );
    }

    #[test]
    fn floats_compute_in_their_type() {
        let c = codec(Some(json!({"offset": 5, "scale": 0.1})), DataType::Float32).unwrap();
        let enc = c
            .encode(
                &[8f32.to_ne_bytes(), 1f32.to_ne_bytes()].concat(),
                &repr(DataType::Float32),
            )
            .unwrap();
        let want = [
            ((8f32 - 5.0) * 0.1f32).to_ne_bytes(),
            ((1f32 - 5.0) * 0.1f32).to_ne_bytes(),
        ]
        .concat();
        assert_eq!(enc, want);
        // float16 rounds after each operation, as numpy.
        let c = codec(Some(json!({"offset": 0.1, "scale": 3})), DataType::Float16).unwrap();
        let x = f16::from_f64(1000.3);
        let enc = c
            .encode(
                &[x.to_ne_bytes(), x.to_ne_bytes()].concat(),
                &repr(DataType::Float16),
            )
            .unwrap();
        let step = f16::from_f32(x.to_f32() - f16::from_f64(0.1).to_f32());
        let y = f16::from_f32(step.to_f32() * 3.0);
        assert_eq!(&enc[..2], &y.to_ne_bytes());
    }

    #[test]
    fn absent_parameters_are_identity_and_bad_ones_refused() {
        let c = codec(None, DataType::UInt8).unwrap();
        assert_eq!(
            c.encode(&[1, 2], &repr(DataType::UInt8)).unwrap(),
            vec![1, 2]
        );
        for cfg in [
            json!({"scale": 0}),
            json!({"factor": 2}),
            json!({"offset": "x"}),
            json!({"offset": 1.5}),
        ] {
            let e = codec(Some(cfg.clone()), DataType::Int32).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidMetadata, "{cfg}: {e}");
        }
        assert_eq!(
            codec(None, DataType::Bool).unwrap_err().kind(),
            ErrorKind::Unsupported
        );
    }
}
