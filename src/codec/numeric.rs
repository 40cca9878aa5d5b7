//! numcodecs' element-wise numeric filters, array->array codecs that may
//! change the element type: `numcodecs.delta` (`{"dtype", "astype"}`),
//! `numcodecs.fixedscaleoffset` (`{"scale", "offset", "dtype", "astype"}`)
//! and `numcodecs.astype` (`{"encode_dtype", "decode_dtype"}`), Zarr v2's
//! `delta`, `fixedscaleoffset` and `astype` filters.
//!
//! Types are numpy type strings (`"<i4"`, `"|u1"`, `"<f8"`); their byte
//! order is the `bytes` codec's business, so only kind and size count
//! here. The arithmetic is numpy's, element by element, so values decode
//! bit for bit as numcodecs decodes them:
//! - delta: decoding is a running sum in the type numpy promotes `astype`
//!   and `dtype` to (integers wrap; uint64 with a signed type sums in
//!   float64), each sum cast to `dtype`; encoding the differences in
//!   `dtype`, cast to `astype`;
//! - fixedscaleoffset: decoding computes `e / scale + offset` in float64
//!   (in float32 when `astype` is float32) and casts to `dtype`, encoding
//!   `round_half_even((x - offset) * scale)` cast to `astype`;
//! - astype: a numpy cast each way.
//!
//! The encoded fill value is the decoded one cast to `astype`, as
//! zarr-python carries it through these codecs.
//!
//! Casts follow numpy: integers wrap, floats to integers truncate toward
//! zero (out of range saturates here, where numpy leaves it undefined),
//! integers to floats round to nearest.

use super::CodecSpec;
use super::{codec_json, ArrayToArrayCodec, ChunkRepr};
use crate::dtype::DataType;
use crate::error::{invalid_argument, invalid_metadata, unsupported, Result};
use serde_json::{json, Value};

pub const DELTA: &str = "numcodecs.delta";
pub const FIXED_SCALE_OFFSET: &str = "numcodecs.fixedscaleoffset";
pub const ASTYPE: &str = "numcodecs.astype";

/// A number of one of the supported element types, widened losslessly.
#[derive(Debug, Clone, Copy)]
enum Num {
    Int(i128),
    F32(f32),
    F64(f64),
}

/// Whether `t` is a type these filters handle.
fn supported(t: &DataType) -> bool {
    use DataType::*;
    matches!(
        t,
        Int8 | Int16 | Int32 | Int64 | UInt8 | UInt16 | UInt32 | UInt64 | Float32 | Float64
    )
}

/// Parse a numpy type string into one of the supported types.
pub fn parse_typestr(codec: &str, what: &str, v: Option<&Value>) -> Result<DataType> {
    let s = v.and_then(Value::as_str).ok_or_else(|| {
        invalid_metadata(format!(
            "codec \"{codec}\": \"{what}\" must be a numpy type string"
        ))
    })?;
    // A type string ("<f8") or numpy's name for the type ("float64"),
    // which zarr-python writes when it fills in a filter's type itself.
    let body = s.trim_start_matches(['<', '>', '|', '=']);
    let t = match body {
        "i1" | "int8" => DataType::Int8,
        "i2" | "int16" => DataType::Int16,
        "i4" | "int32" => DataType::Int32,
        "i8" | "int64" => DataType::Int64,
        "u1" | "uint8" => DataType::UInt8,
        "u2" | "uint16" => DataType::UInt16,
        "u4" | "uint32" => DataType::UInt32,
        "u8" | "uint64" => DataType::UInt64,
        "f2" | "float16" => DataType::Float16,
        "f4" | "float32" => DataType::Float32,
        "f8" | "float64" => DataType::Float64,
        _ => {
            return Err(unsupported(format!(
                "codec \"{codec}\": \"{what}\" \"{s}\" is not supported (integers and floats are)"
            )))
        }
    };
    Ok(t)
}

/// numpy's type string for `t` (little-endian; byte order is the `bytes`
/// codec's).
fn typestr(t: &DataType) -> String {
    use DataType::*;
    let (k, n) = match t {
        Int8 | Int16 | Int32 | Int64 => ('i', t.size()),
        UInt8 | UInt16 | UInt32 | UInt64 => ('u', t.size()),
        _ => ('f', t.size()),
    };
    if n == 1 {
        format!("|{k}1")
    } else {
        format!("<{k}{n}")
    }
}

/// numpy's type promotion (`np.result_type`) of two supported types.
fn promote(a: &DataType, b: &DataType) -> DataType {
    use DataType::*;
    let int_of = |signed: bool, size: usize| match (signed, size) {
        (true, 1) => Int8,
        (true, 2) => Int16,
        (true, 4) => Int32,
        (true, _) => Int64,
        (false, 1) => UInt8,
        (false, 2) => UInt16,
        (false, 4) => UInt32,
        (false, _) => UInt64,
    };
    match (is_int(a), is_int(b)) {
        (true, true) if signed(a) == signed(b) => int_of(signed(a), a.size().max(b.size())),
        (true, true) => {
            let (s, u) = if signed(a) { (a, b) } else { (b, a) };
            if s.size() > u.size() {
                s.clone()
            } else if u.size() < 8 {
                int_of(true, 2 * u.size())
            } else {
                Float64
            }
        }
        (false, false) => {
            if *a == Float64 || *b == Float64 {
                Float64
            } else {
                Float32
            }
        }
        _ => {
            let (f, i) = if is_int(a) { (b, a) } else { (a, b) };
            if *f == Float32 && i.size() <= 2 {
                Float32
            } else {
                Float64
            }
        }
    }
}

fn is_int(t: &DataType) -> bool {
    !matches!(t, DataType::Float32 | DataType::Float64)
}

fn signed(t: &DataType) -> bool {
    use DataType::*;
    matches!(t, Int8 | Int16 | Int32 | Int64)
}

/// Wrap an integer to `t`'s width, as numpy's integer casts do.
fn wrap(v: i128, t: &DataType) -> i128 {
    let bits = t.size() as u32 * 8;
    let m = v & ((1i128 << bits) - 1);
    if signed(t) && m >= 1i128 << (bits - 1) {
        m - (1i128 << bits)
    } else {
        m
    }
}

/// numpy's cast of `v` to type `t`.
fn cast(v: Num, t: &DataType) -> Num {
    match (v, t) {
        (Num::Int(i), DataType::Float32) => Num::F32(i as f32),
        (Num::Int(i), DataType::Float64) => Num::F64(i as f64),
        (Num::Int(i), _) => Num::Int(wrap(i, t)),
        (Num::F32(f), DataType::Float32) => Num::F32(f),
        (Num::F32(f), DataType::Float64) => Num::F64(f as f64),
        (Num::F64(f), DataType::Float32) => Num::F32(f as f32),
        (Num::F64(f), DataType::Float64) => Num::F64(f),
        (Num::F32(f), _) => Num::Int(wrap(f as i128, t)),
        (Num::F64(f), _) => Num::Int(wrap(f as i128, t)),
    }
}

/// Element `i` of `data` (native byte order) as a number.
fn load(data: &[u8], i: usize, t: &DataType) -> Num {
    let n = t.size();
    let b = &data[i * n..(i + 1) * n];
    let mut w = [0u8; 8];
    w[..n].copy_from_slice(b);
    let u = u64::from_ne_bytes(w);
    match t {
        DataType::Float32 => Num::F32(f32::from_ne_bytes([b[0], b[1], b[2], b[3]])),
        DataType::Float64 => Num::F64(f64::from_bits(u64::from_ne_bytes(w))),
        _ if signed(t) => {
            let shift = 64 - 8 * n as u32;
            Num::Int((((u << shift) as i64) >> shift) as i128)
        }
        _ => Num::Int(u as i128),
    }
}

/// Store `v`, already of type `t`, as element `i` of `out`.
fn store(out: &mut [u8], i: usize, t: &DataType, v: Num) {
    let n = t.size();
    let bytes: [u8; 8] = match v {
        Num::Int(x) => (x as i64).to_ne_bytes(),
        Num::F32(f) => {
            let mut b = [0u8; 8];
            b[..4].copy_from_slice(&f.to_ne_bytes());
            b
        }
        Num::F64(f) => f.to_ne_bytes(),
    };
    out[i * n..(i + 1) * n].copy_from_slice(&bytes[..n]);
}

fn add(a: Num, b: Num) -> Num {
    match (a, b) {
        (Num::Int(x), Num::Int(y)) => Num::Int(x + y),
        (Num::F32(x), Num::F32(y)) => Num::F32(x + y),
        (Num::F64(x), Num::F64(y)) => Num::F64(x + y),
        _ => unreachable!("both operands are cast to one type first"),
    }
}

fn sub(a: Num, b: Num) -> Num {
    match (a, b) {
        (Num::Int(x), Num::Int(y)) => Num::Int(x - y),
        (Num::F32(x), Num::F32(y)) => Num::F32(x - y),
        (Num::F64(x), Num::F64(y)) => Num::F64(x - y),
        _ => unreachable!("both operands are cast to one type first"),
    }
}

fn as_f64(v: Num) -> f64 {
    match v {
        Num::Int(i) => i as f64,
        Num::F32(f) => f as f64,
        Num::F64(f) => f,
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Op {
    Delta,
    FixedScaleOffset { scale: f64, offset: f64 },
    AsType,
}

/// One of the three filters: `decoded` is the array's element type on
/// the way in (numcodecs' `dtype` / `decode_dtype`), `encoded` the type it
/// is stored as (`astype` / `encode_dtype`).
#[derive(Debug, Clone, PartialEq)]
pub struct NumericFilter {
    op: Op,
    decoded: DataType,
    encoded: DataType,
}

impl NumericFilter {
    pub fn from_spec(spec: &CodecSpec) -> Result<Self> {
        let name = spec.name.as_str();
        let (op, decoded, encoded) = match name {
            DELTA => {
                spec.check_keys(&["dtype", "astype"])?;
                let d = parse_typestr(name, "dtype", spec.get("dtype"))?;
                let e = match spec.get("astype") {
                    None | Some(Value::Null) => d.clone(),
                    v => parse_typestr(name, "astype", v)?,
                };
                (Op::Delta, d, e)
            }
            FIXED_SCALE_OFFSET => {
                spec.check_keys(&["scale", "offset", "dtype", "astype"])?;
                let num = |k: &str| {
                    spec.get(k).and_then(Value::as_f64).ok_or_else(|| {
                        invalid_metadata(format!("codec \"{name}\": \"{k}\" must be a number"))
                    })
                };
                let (scale, offset) = (num("scale")?, num("offset")?);
                let d = parse_typestr(name, "dtype", spec.get("dtype"))?;
                let e = match spec.get("astype") {
                    None | Some(Value::Null) => d.clone(),
                    v => parse_typestr(name, "astype", v)?,
                };
                (Op::FixedScaleOffset { scale, offset }, d, e)
            }
            ASTYPE => {
                spec.check_keys(&["encode_dtype", "decode_dtype"])?;
                let e = parse_typestr(name, "encode_dtype", spec.get("encode_dtype"))?;
                let d = parse_typestr(name, "decode_dtype", spec.get("decode_dtype"))?;
                (Op::AsType, d, e)
            }
            _ => {
                return Err(invalid_argument(format!(
                    "\"{name}\" is not a numeric filter"
                )))
            }
        };
        for t in [&decoded, &encoded] {
            if !supported(t) {
                return Err(unsupported(format!(
                    "codec \"{name}\": {} is not supported (integers and float32/64 are)",
                    t.name()
                )));
            }
        }
        Ok(NumericFilter {
            op,
            decoded,
            encoded,
        })
    }

    fn name(&self) -> &'static str {
        match self.op {
            Op::Delta => DELTA,
            Op::FixedScaleOffset { .. } => FIXED_SCALE_OFFSET,
            Op::AsType => ASTYPE,
        }
    }

    /// The element type this filter stores.
    pub fn encoded_type(&self) -> DataType {
        self.encoded.clone()
    }

    /// The input must have the configured type's element size: numcodecs
    /// views its input as that type (after `numcodecs.bitround`, which
    /// hands on floats as integers, for one).
    fn check_input(&self, decoded: &ChunkRepr) -> Result<()> {
        if decoded.dtype.size() != self.decoded.size() || !supported(&decoded.dtype) {
            return Err(invalid_metadata(format!(
                "codec \"{}\": configured for {}, but its input is {}",
                self.name(),
                self.decoded.name(),
                decoded.dtype.name()
            )));
        }
        Ok(())
    }

    fn check_len(&self, data: &[u8], repr: &ChunkRepr, t: &DataType) -> Result<usize> {
        super::check_elements(self.name(), data, repr, t)
    }
}

impl ArrayToArrayCodec for NumericFilter {
    fn to_json(&self) -> Value {
        let cfg = match &self.op {
            Op::Delta => json!({"dtype": typestr(&self.decoded), "astype": typestr(&self.encoded)}),
            Op::FixedScaleOffset { scale, offset } => json!({
                "scale": scale, "offset": offset,
                "dtype": typestr(&self.decoded), "astype": typestr(&self.encoded),
            }),
            Op::AsType => json!({
                "encode_dtype": typestr(&self.encoded), "decode_dtype": typestr(&self.decoded),
            }),
        };
        codec_json(self.name(), cfg)
    }

    fn encoded_repr(&self, decoded: &ChunkRepr) -> Result<ChunkRepr> {
        self.check_input(decoded)?;
        // The encoded fill value: the decoded one cast, not encoded (what
        // zarr-python's sharding compares inner chunks with, and fills
        // missing ones with).
        let mut fill = vec![0u8; self.encoded.size()];
        let v = cast(load(&decoded.fill_value, 0, &self.decoded), &self.encoded);
        store(&mut fill, 0, &self.encoded, v);
        Ok(ChunkRepr::new(
            decoded.shape.clone(),
            self.encoded.clone(),
            fill,
        ))
    }

    fn encode(&self, data: &[u8], decoded: &ChunkRepr) -> Result<Vec<u8>> {
        self.check_input(decoded)?;
        let n = self.check_len(data, decoded, &self.decoded)?;
        let (d, e) = (&self.decoded, &self.encoded);
        let mut out = crate::alloc::zeroed(n * e.size())?;
        let mut prev = None;
        for i in 0..n {
            let x = load(data, i, d);
            let y = match &self.op {
                Op::Delta => {
                    let diff = match prev {
                        None => x,
                        Some(p) => cast(sub(x, p), d),
                    };
                    prev = Some(x);
                    cast(diff, e)
                }
                Op::FixedScaleOffset { scale, offset } => {
                    let v = match x {
                        // numpy computes in the array's float type.
                        Num::F32(f) => {
                            ((f - *offset as f32) * *scale as f32).round_ties_even() as f64
                        }
                        _ => ((as_f64(x) - offset) * scale).round_ties_even(),
                    };
                    cast(Num::F64(v), e)
                }
                Op::AsType => cast(x, e),
            };
            store(&mut out, i, e, y);
        }
        Ok(out)
    }

    fn decode(&self, data: &[u8], decoded: &ChunkRepr) -> Result<Vec<u8>> {
        super::decode_to_vec(self, data, decoded)
    }

    /// Straight into `out`, the last codec's destination, without a chunk
    /// of its own first.
    fn decode_into(&self, data: &[u8], decoded: &ChunkRepr, out: &mut [u8]) -> Result<()> {
        self.check_input(decoded)?;
        let n = self.check_len(data, decoded, &self.encoded)?;
        let (d, e) = (&self.decoded, &self.encoded);
        if out.len() != n * d.size() {
            return Err(crate::error::internal(format!(
                "codec \"{}\": {} bytes to decode {n} elements into",
                self.name(),
                out.len()
            )));
        }
        let sum_type = promote(d, e);
        let mut acc = None;
        for i in 0..n {
            let x = load(data, i, e);
            let y = match &self.op {
                Op::Delta => {
                    let v = cast(x, &sum_type);
                    let s = match acc {
                        None => v,
                        Some(a) => cast(add(a, v), &sum_type),
                    };
                    acc = Some(s);
                    cast(s, d)
                }
                // numpy computes in the stored type when that is float32
                // (a Python float takes the array's type), else in float64.
                Op::FixedScaleOffset { scale, offset } => match x {
                    Num::F32(f) => cast(Num::F32(f / *scale as f32 + *offset as f32), d),
                    _ => cast(Num::F64(as_f64(x) / scale + offset), d),
                },
                Op::AsType => cast(x, d),
            };
            store(out, i, d, y);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn filter(v: Value) -> Result<NumericFilter> {
        NumericFilter::from_spec(&CodecSpec::from_json(&v).unwrap())
    }

    fn repr(t: DataType, n: u64) -> ChunkRepr {
        ChunkRepr::new(vec![n], t.clone(), vec![0; t.size()])
    }

    fn i32s(v: &[i32]) -> Vec<u8> {
        v.iter().flat_map(|x| x.to_ne_bytes()).collect()
    }

    #[test]
    fn delta_wraps_in_its_types() {
        let f = filter(json!({"name": DELTA, "configuration": {"dtype": "<i4", "astype": "<i2"}}))
            .unwrap();
        let x = i32s(&[10, 12, 9, 70_000, i32::MIN]);
        let enc = f.encode(&x, &repr(DataType::Int32, 5)).unwrap();
        // 10, +2, -3, +69991 (wraps to 4455 in int16), i32::MIN - 70000 wrapped to int16.
        let want: Vec<u8> = [
            10i16,
            2,
            -3,
            69_991u32 as i16,
            (i32::MIN.wrapping_sub(70_000)) as i16,
        ]
        .iter()
        .flat_map(|v| v.to_ne_bytes())
        .collect();
        assert_eq!(enc, want);
        // Decoding sums in int32: the wrapped differences do not give the
        // values back, as in numcodecs.
        let dec = f.decode(&enc, &repr(DataType::Int32, 5)).unwrap();
        assert_eq!(&dec[..12], &i32s(&[10, 12, 9])[..]);
        let g = filter(json!({"name": DELTA, "configuration": {"dtype": "<i4"}})).unwrap();
        let enc = g.encode(&x, &repr(DataType::Int32, 5)).unwrap();
        assert_eq!(g.decode(&enc, &repr(DataType::Int32, 5)).unwrap(), x);
    }

    #[test]
    fn delta_sums_in_the_promoted_type() {
        use DataType::*;
        assert_eq!(promote(&Int32, &Float32), Float64);
        assert_eq!(promote(&Int16, &Float32), Float32);
        assert_eq!(promote(&UInt64, &Int8), Float64);
        assert_eq!(promote(&UInt16, &Int16), Int32);
        assert_eq!(promote(&UInt8, &Int64), Int64);
        assert_eq!(promote(&UInt32, &UInt8), UInt32);
        // float32 stored as int32: numpy sums in float64, then rounds each
        // sum to float32.
        let f = filter(json!({"name": DELTA, "configuration": {"dtype": "<f4", "astype": "<i4"}}))
            .unwrap();
        let enc = i32s(&[1 << 24, 1, 1, 1, 1]);
        let dec = f.decode(&enc, &repr(Float32, 5)).unwrap();
        let got: Vec<f32> = dec
            .chunks(4)
            .map(|c| f32::from_ne_bytes(c.try_into().unwrap()))
            .collect();
        assert_eq!(
            got,
            [16777216.0, 16777216.0, 16777218.0, 16777220.0, 16777220.0]
        );
        // The encoded fill is the fill cast, not encoded.
        let g = filter(json!({"name": FIXED_SCALE_OFFSET, "configuration":
            {"scale": 10, "offset": 1000, "dtype": "<f8", "astype": "<i4"}}))
        .unwrap();
        let r = ChunkRepr::new(vec![2], Float64, 7.0f64.to_ne_bytes().to_vec());
        assert_eq!(g.encoded_repr(&r).unwrap().fill_value, 7i32.to_ne_bytes());
    }

    #[test]
    fn fixedscaleoffset_and_astype_match_numpy() {
        let f = filter(json!({"name": FIXED_SCALE_OFFSET, "configuration":
            {"scale": 10, "offset": 1000, "dtype": "<f8", "astype": "<i4"}}))
        .unwrap();
        let x: Vec<u8> = [1000.0f64, 1000.25, 1001.25, 999.95]
            .iter()
            .flat_map(|v| v.to_ne_bytes())
            .collect();
        let enc = f.encode(&x, &repr(DataType::Float64, 4)).unwrap();
        // round half to even: 2.5 -> 2, 12.5 -> 12.
        assert_eq!(enc, i32s(&[0, 2, 12, 0]));
        let dec = f.decode(&enc, &repr(DataType::Float64, 4)).unwrap();
        let got: Vec<f64> = dec
            .chunks(8)
            .map(|c| f64::from_ne_bytes(c.try_into().unwrap()))
            .collect();
        assert_eq!(got, [1000.0, 1000.2, 1001.2, 1000.0]);
        let a = filter(json!({"name": ASTYPE, "configuration":
            {"encode_dtype": "<f4", "decode_dtype": "|u1"}}))
        .unwrap();
        let enc = a.encode(&[0, 7, 255], &repr(DataType::UInt8, 3)).unwrap();
        assert_eq!(enc.len(), 12);
        assert_eq!(
            a.decode(&enc, &repr(DataType::UInt8, 3)).unwrap(),
            [0, 7, 255]
        );
        assert_eq!(
            a.encoded_repr(&repr(DataType::UInt8, 3)).unwrap().dtype,
            DataType::Float32
        );
        assert_eq!(filter(a.to_json()).unwrap(), a);
        assert_eq!(filter(f.to_json()).unwrap(), f);
    }

    #[test]
    fn bad_configs_and_inputs_are_errors() {
        for (cfg, kind) in [
            (
                json!({"name": DELTA, "configuration": {"dtype": "<U4"}}),
                ErrorKind::Unsupported,
            ),
            (
                json!({"name": DELTA, "configuration": {}}),
                ErrorKind::InvalidMetadata,
            ),
            (
                json!({"name": FIXED_SCALE_OFFSET, "configuration": {"scale": 1, "offset": 0, "dtype": "<f8", "astype": "<f2"}}),
                ErrorKind::Unsupported,
            ),
            (
                json!({"name": FIXED_SCALE_OFFSET, "configuration": {"scale": "x", "offset": 0, "dtype": "<f8"}}),
                ErrorKind::InvalidMetadata,
            ),
            (
                json!({"name": ASTYPE, "configuration": {"encode_dtype": "<i4"}}),
                ErrorKind::InvalidMetadata,
            ),
        ] {
            assert_eq!(filter(cfg.clone()).unwrap_err().kind(), kind, "{cfg}");
        }
        let f = filter(json!({"name": DELTA, "configuration": {"dtype": "<i4"}})).unwrap();
        assert!(f.encoded_repr(&repr(DataType::Int16, 2)).is_err());
        assert!(f.decode(&[0u8; 7], &repr(DataType::Int32, 2)).is_err());
    }
}
