//! The `cast_value` codec (zarr-extensions; zarr-python 3.4's
//! `CastValue`): an array->array codec that stores each element as the
//! value of another numeric type (`{"data_type", "rounding",
//! "out_of_range", "scalar_map"}`), and casts back when reading.
//!
//! A cast is a value conversion, the same each way:
//! - a `scalar_map` entry for the value (NaN matches any NaN) gives the
//!   result outright;
//! - otherwise the value is rounded to the target's precision by
//!   `rounding` (floats to integers, integers to floats that cannot hold
//!   them, wider floats to narrower ones, subnormals included);
//! - a rounded value past the target's range is an error, or
//!   (`out_of_range`) clamped, to the least or greatest integer or to an
//!   infinity of a float type, or wrapped modulo 2^bits of an integer
//!   type; NaN and infinities have no integer value at all.
//!
//! This is what `cast-value-rs`, the implementation zarr-python calls,
//! does (checked against it in the interop suite); where the
//! specification says a float clamps to its greatest finite value,
//! that implementation, and so zarr-python, clamps to infinity.
//!
//! The types are the integers and float16/32/64 (those zarr-python can
//! cast); the specification's other types are unsupported here.

use super::scalar::{self, is_int, is_numeric, Elem, Kernel, Scalar};
use super::value_cast::{cast, CastError, OutOfRange, Rounding};
use super::{codec_json, ArrayToArrayCodec, ChunkRepr, CodecSpec};
use crate::dtype::DataType;
use crate::error::{corrupt, invalid_argument, invalid_metadata, unsupported, Result};
use half::f16;
use serde_json::{Map, Value};

pub const NAME: &str = "cast_value";

fn bad_config(what: String) -> crate::error::Error {
    invalid_metadata(format!("codec \"{NAME}\": {what}"))
}

/// The `rounding` setting (absent: nearest, ties to even).
fn parse_rounding(v: Option<&Value>) -> Result<Rounding> {
    Ok(match v.map(|v| v.as_str().ok_or(v)) {
        None => Rounding::NearestEven,
        Some(Ok("nearest-even")) => Rounding::NearestEven,
        Some(Ok("towards-zero")) => Rounding::TowardsZero,
        Some(Ok("towards-positive")) => Rounding::TowardsPositive,
        Some(Ok("towards-negative")) => Rounding::TowardsNegative,
        Some(Ok("nearest-away")) => Rounding::NearestAway,
        Some(Ok(s)) => return Err(bad_config(format!("unknown rounding \"{s}\""))),
        Some(Err(v)) => return Err(bad_config(format!("rounding {v} is not a string"))),
    })
}

/// Scalar map entries: a value of one type to one of the other.
type ScalarMap = Vec<(Scalar, Scalar)>;

/// One direction's cast, element by element.
struct CastKernel<'a> {
    rounding: Rounding,
    oor: OutOfRange,
    map: &'a ScalarMap,
}

impl Kernel for CastKernel<'_> {
    type Error = CastError;
    #[inline(always)]
    fn apply<S: Elem, T: Elem>(&self, v: Scalar) -> std::result::Result<Scalar, CastError> {
        if !self.map.is_empty() {
            if let Some(c) = lookup(self.map, v) {
                return Ok(c);
            }
        }
        cast(v, &T::DTYPE, self.rounding, self.oor)
    }
}

/// The codec, built for its input type.
#[derive(Debug, Clone, PartialEq)]
pub struct CastValue {
    source: DataType,
    target: DataType,
    rounding: Rounding,
    out_of_range: OutOfRange,
    encode_map: ScalarMap,
    decode_map: ScalarMap,
    /// The configuration as written, for `to_json`.
    config: Map<String, Value>,
}

/// A `scalar_map` direction: `[[key, value], ...]`, keys of type `from`,
/// values of type `to`.
fn parse_map(v: Option<&Value>, from: &DataType, to: &DataType, dir: &str) -> Result<ScalarMap> {
    let entries = match v {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(a)) => a,
        Some(v) => {
            return Err(bad_config(format!(
                "scalar_map \"{dir}\" {v} is not a list"
            )))
        }
    };
    entries
        .iter()
        .map(|e| match e.as_array().map(Vec::as_slice) {
            Some([k, v]) => Ok((
                map_value(from, k, &format!("scalar_map \"{dir}\" key"))?,
                map_value(to, v, &format!("scalar_map \"{dir}\" value"))?,
            )),
            _ => Err(bad_config(format!(
                "scalar_map \"{dir}\" entry {e} is not a [key, value] pair"
            ))),
        })
        .collect()
}

/// A scalar map entry's value of type `t`. cast-value-rs takes a float16
/// from a number through float32 (where a fill value rounds once), so
/// here too.
fn map_value(t: &DataType, v: &Value, what: &str) -> Result<Scalar> {
    match (t, v.as_f64()) {
        (DataType::Float16, Some(x)) if v.is_number() => {
            Ok(Scalar::Float(f16::from_f32(x as f32).to_f64()))
        }
        _ => scalar::parse(t, v, NAME, what),
    }
}

/// The entry for `v`; of entries for one value the last, as zarr-python
/// makes a dict of the list.
fn lookup(map: &ScalarMap, v: Scalar) -> Option<Scalar> {
    map.iter()
        .rev()
        .find(|(k, _)| k.same_value(v))
        .map(|(_, to)| *to)
}

impl CastValue {
    /// `repr` is the codec's input: the type it casts from.
    pub fn from_spec(spec: &CodecSpec, repr: &ChunkRepr) -> Result<Self> {
        spec.check_keys(&["data_type", "rounding", "out_of_range", "scalar_map"])?;
        let target = DataType::from_json(
            spec.get("data_type")
                .ok_or_else(|| bad_config("no \"data_type\"".into()))?,
        )?;
        let source = repr.dtype.clone();
        for (role, t) in [("source", &source), ("target", &target)] {
            if !is_numeric(t) {
                return Err(unsupported(format!(
                    "codec \"{NAME}\": {role} type {} is not supported (integers and \
                     float16/32/64 are)",
                    t.name()
                )));
            }
        }
        let rounding = parse_rounding(spec.get("rounding"))?;
        let out_of_range = match spec.get("out_of_range").map(|v| v.as_str().ok_or(v)) {
            None | Some(Ok("error")) => OutOfRange::Error,
            Some(Ok("clamp")) => OutOfRange::Clamp,
            Some(Ok("wrap")) if is_int(&target) => OutOfRange::Wrap,
            Some(Ok("wrap")) => {
                return Err(bad_config(format!(
                    "out_of_range \"wrap\" needs an integer target, not {}",
                    target.name()
                )))
            }
            Some(Ok(s)) => return Err(bad_config(format!("unknown out_of_range \"{s}\""))),
            Some(Err(v)) => return Err(bad_config(format!("out_of_range {v} is not a string"))),
        };
        let (encode_map, decode_map) = match spec.get("scalar_map") {
            None | Some(Value::Null) => (Vec::new(), Vec::new()),
            Some(Value::Object(m)) => {
                if let Some(k) = m.keys().find(|k| *k != "encode" && *k != "decode") {
                    return Err(bad_config(format!("unknown scalar_map field \"{k}\"")));
                }
                (
                    parse_map(m.get("encode"), &source, &target, "encode")?,
                    parse_map(m.get("decode"), &target, &source, "decode")?,
                )
            }
            Some(v) => return Err(bad_config(format!("scalar_map {v} is not an object"))),
        };
        Ok(CastValue {
            source,
            target,
            rounding,
            out_of_range,
            encode_map,
            decode_map,
            config: spec.configuration.clone(),
        })
    }

    fn check_input(&self, decoded: &ChunkRepr) -> Result<()> {
        if decoded.dtype != self.source {
            return Err(invalid_metadata(format!(
                "codec \"{NAME}\": built for {}, but its input is {}",
                self.source.name(),
                decoded.dtype.name()
            )));
        }
        Ok(())
    }

    /// Cast every element of `data` (type `from`) into `out` (type `to`).
    fn cast_all(
        &self,
        data: &[u8],
        from: &DataType,
        to: &DataType,
        map: &ScalarMap,
        out: &mut [u8],
    ) -> std::result::Result<(), CastError> {
        let kernel = CastKernel {
            rounding: self.rounding,
            oor: self.out_of_range,
            map,
        };
        if from == to {
            // A cast to the same type keeps every bit (signalling NaNs
            // too), apart from scalar map entries.
            out.copy_from_slice(data);
            if map.is_empty() {
                return Ok(());
            }
            let n = from.size();
            for (i, o) in out.chunks_exact_mut(n).enumerate() {
                if let Some(c) = lookup(map, scalar::load(from, &data[i * n..(i + 1) * n])) {
                    scalar::store(from, c, o);
                }
            }
            return Ok(());
        }
        scalar::map_elements(from, to, data, out, &kernel)
    }
}

impl ArrayToArrayCodec for CastValue {
    fn to_json(&self) -> Value {
        codec_json(NAME, Value::Object(self.config.clone()))
    }

    /// The encoded fill value is the fill value cast, as zarr-python
    /// carries it through (an error when it has no value in the target).
    fn encoded_repr(&self, decoded: &ChunkRepr) -> Result<ChunkRepr> {
        self.check_input(decoded)?;
        let mut fill = vec![0u8; self.target.size()];
        self.cast_all(
            &decoded.fill_value,
            &self.source,
            &self.target,
            &self.encode_map,
            &mut fill,
        )
        .map_err(|e| {
            invalid_metadata(format!(
                "codec \"{NAME}\": the fill value cannot be cast: {}",
                e.describe(&self.target)
            ))
        })?;
        Ok(ChunkRepr::new(
            decoded.shape.clone(),
            self.target.clone(),
            fill,
        ))
    }

    fn encode(&self, data: &[u8], decoded: &ChunkRepr) -> Result<Vec<u8>> {
        self.check_input(decoded)?;
        super::check_elements(NAME, data, decoded, &self.source)?;
        // As many elements as `data` holds (checked above), of the target's size.
        let n = data.len() / self.source.size();
        let size = n.checked_mul(self.target.size()).ok_or_else(|| {
            crate::error::out_of_memory(format!("codec \"{NAME}\": {n} elements cast"))
        })?;
        let mut out = crate::alloc::zeroed(size)?;
        self.cast_all(data, &self.source, &self.target, &self.encode_map, &mut out)
            .map_err(|e| {
                invalid_argument(format!("codec \"{NAME}\": {}", e.describe(&self.target)))
            })?;
        Ok(out)
    }

    fn decode(&self, data: &[u8], decoded: &ChunkRepr) -> Result<Vec<u8>> {
        super::decode_to_vec(self, data, decoded)
    }

    fn decode_into(&self, data: &[u8], decoded: &ChunkRepr, out: &mut [u8]) -> Result<()> {
        self.check_input(decoded)?;
        super::check_elements(NAME, data, decoded, &self.target)?;
        if out.len() != decoded.nbytes() {
            return Err(crate::error::internal(format!(
                "codec \"{NAME}\": {} bytes to decode {} elements into",
                out.len(),
                decoded.num_elements()
            )));
        }
        self.cast_all(data, &self.target, &self.source, &self.decode_map, out)
            .map_err(|e| {
                corrupt(format!(
                    "codec \"{NAME}\": a stored value cannot be cast back: {}",
                    e.describe(&self.source)
                ))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn codec(cfg: Value, source: DataType, fill: Vec<u8>) -> Result<CastValue> {
        let spec = CodecSpec::from_json(&json!({"name": NAME, "configuration": cfg}))?;
        CastValue::from_spec(&spec, &ChunkRepr::new(vec![3], source, fill))
    }

    #[test]
    fn scalar_maps_come_first_both_ways() {
        let c = codec(
            json!({"data_type": "uint8", "scalar_map": {"encode": [["NaN", 0]], "decode": [[0, "NaN"]]}}),
            DataType::Float32,
            f32::NAN.to_ne_bytes().to_vec(),
        )
        .unwrap();
        let repr = ChunkRepr::new(vec![3], DataType::Float32, f32::NAN.to_ne_bytes().to_vec());
        assert_eq!(c.encoded_repr(&repr).unwrap().fill_value, vec![0]);
        let data: Vec<u8> = [-f32::NAN, 2.4, 7.0]
            .iter()
            .flat_map(|f| f.to_ne_bytes())
            .collect();
        let enc = c.encode(&data, &repr).unwrap();
        assert_eq!(enc, vec![0, 2, 7]);
        let dec = c.decode(&enc, &repr).unwrap();
        let back: Vec<f32> = dec
            .chunks(4)
            .map(|b| f32::from_ne_bytes(b.try_into().unwrap()))
            .collect();
        assert!(back[0].is_nan());
        assert_eq!(&back[1..], &[2.0, 7.0]);
    }

    #[test]
    fn bad_configurations_are_refused() {
        let f = || 0f32.to_ne_bytes().to_vec();
        for cfg in [
            json!({}),
            json!({"data_type": "uint8", "rounding": "up"}),
            json!({"data_type": "float32", "out_of_range": "wrap"}),
            json!({"data_type": "uint8", "other": 1}),
            json!({"data_type": "uint8", "scalar_map": {"encode": [[1]]}}),
            json!({"data_type": "uint8", "scalar_map": {"encode": [[1, 256]]}}),
            json!({"data_type": "uint8", "scalar_map": {"both": []}}),
        ] {
            let e = codec(cfg.clone(), DataType::Float32, f()).unwrap_err();
            assert_eq!(
                e.kind(),
                crate::error::ErrorKind::InvalidMetadata,
                "{cfg}: {e}"
            );
        }
        let e = codec(json!({"data_type": "bfloat16"}), DataType::Float32, f()).unwrap_err();
        assert_eq!(e.kind(), crate::error::ErrorKind::Unsupported);
        let e = codec(json!({"data_type": "int8"}), DataType::Bool, vec![0]).unwrap_err();
        assert_eq!(e.kind(), crate::error::ErrorKind::Unsupported);
    }

    #[test]
    fn values_without_a_counterpart_fail_encode_and_decode() {
        let c = codec(json!({"data_type": "int8"}), DataType::Int16, vec![0, 0]).unwrap();
        let repr = ChunkRepr::new(vec![1], DataType::Int16, vec![0, 0]);
        let e = c.encode(&300i16.to_ne_bytes(), &repr).unwrap_err();
        assert_eq!(e.kind(), crate::error::ErrorKind::InvalidArgument);
        assert!(
            e.message().contains("300 is out of the range of int8"),
            "{e}"
        );
        let c = codec(json!({"data_type": "float64"}), DataType::Int8, vec![0]).unwrap();
        let repr = ChunkRepr::new(vec![1], DataType::Int8, vec![0]);
        let e = c.decode(&f64::NAN.to_ne_bytes(), &repr).unwrap_err();
        assert_eq!(e.kind(), crate::error::ErrorKind::Corrupt);
    }
}
