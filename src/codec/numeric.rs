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
//! - fixedscaleoffset: encoding computes `round_half_even((x - offset) *
//!   scale)` as numpy does with `scale` and `offset` as Python numbers
//!   (JSON integers are Python ints, the others floats): in the array's
//!   float type for a float array; for an integer array, in its own type
//!   while the operand is an integer (wrapping; one that does not fit the
//!   type is an error, as numpy's OverflowError), in float64 from the
//!   first float operand on; then casts to `astype`. Decoding computes
//!   `e / scale + offset` in the stored type when that is a float, else in
//!   float64, and casts to `dtype`;
//! - astype: a numpy cast each way.
//!
//! The encoded fill value is the decoded one cast to `astype`, as
//! zarr-python carries it through these codecs.
//!
//! Casts follow numpy: integers wrap, integers to floats and floats to
//! narrower floats round to nearest, and floats to integers truncate
//! toward zero, with NaN and values out of range as numpy gives them on
//! x86-64 (where C leaves them undefined; see `float_to_int`), so the
//! same bytes are stored on every machine.

use super::CodecSpec;
use super::{codec_json, ArrayToArrayCodec, ChunkRepr};
use crate::dtype::DataType;
use crate::error::{invalid_argument, invalid_metadata, unsupported, Result};
use half::f16;
use serde_json::{json, Value};

pub const DELTA: &str = "numcodecs.delta";
pub const FIXED_SCALE_OFFSET: &str = "numcodecs.fixedscaleoffset";
pub const ASTYPE: &str = "numcodecs.astype";

/// A number of one of the supported element types, widened losslessly.
#[derive(Debug, Clone, Copy)]
enum Num {
    Int(i128),
    F16(f16),
    F32(f32),
    F64(f64),
}

/// Whether `t` is a type these filters handle: the integers and numpy's
/// floats.
fn supported(t: &DataType) -> bool {
    super::scalar::is_numeric(t)
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
            if a.size() >= b.size() {
                a.clone()
            } else {
                b.clone()
            }
        }
        _ => {
            let (f, i) = if is_int(a) { (b, a) } else { (a, b) };
            match (f, i.size()) {
                (Float16, 1) => Float16,
                (Float16 | Float32, 2) | (Float32, 1) => Float32,
                _ => Float64,
            }
        }
    }
}

fn is_int(t: &DataType) -> bool {
    !matches!(t, DataType::Float16 | DataType::Float32 | DataType::Float64)
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

/// numpy's cast of a float to the integer type `t` as numpy does it on
/// x86-64, with SSE's truncating conversions: to a 32-bit integer for
/// types up to 32 bits (64-bit for uint32), a NaN or a value out of that
/// range giving its least value, wrapped to `t`'s width; uint64 converts
/// values from 2^63 on less 2^63 and sets the top bit back. (numpy's
/// vectorised loop for uint32 gives other values out of range; this is
/// its element-by-element cast.)
fn float_to_int(f: f64, t: &DataType) -> i128 {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    let to_i32 = |f: f64| -> i128 {
        if f > -2_147_483_649.0 && f < 2_147_483_648.0 {
            f as i128
        } else {
            i32::MIN as i128
        }
    };
    let to_i64 = |f: f64| -> i64 {
        if (-TWO_63..TWO_63).contains(&f) {
            f as i64
        } else {
            i64::MIN
        }
    };
    match t {
        DataType::Int64 | DataType::UInt32 => wrap(to_i64(f) as i128, t),
        DataType::UInt64 if f >= TWO_63 => ((to_i64(f - TWO_63) as u64) ^ (1 << 63)) as i128,
        DataType::UInt64 => to_i64(f) as u64 as i128,
        _ => wrap(to_i32(f), t),
    }
}

/// A float as a number of `t` (a float type), rounded to nearest.
fn float_of(f: f64, t: &DataType) -> Num {
    match t {
        DataType::Float16 => Num::F16(f16::from_f64(f)),
        DataType::Float32 => Num::F32(f as f32),
        _ => Num::F64(f),
    }
}

/// numpy's cast of `v` to type `t`.
fn cast(v: Num, t: &DataType) -> Num {
    match v {
        // int to float32 rounds once, from the integer.
        Num::Int(i) if *t == DataType::Float32 => Num::F32(i as f32),
        Num::Int(i) if is_int(t) => Num::Int(wrap(i, t)),
        Num::Int(i) => float_of(i as f64, t),
        // float16 from float32 rounds once, from the float32.
        Num::F32(f) if *t == DataType::Float16 => Num::F16(f16::from_f32(f)),
        _ if is_int(t) => Num::Int(float_to_int(as_f64(v), t)),
        _ => float_of(as_f64(v), t),
    }
}

/// numpy's cast of the elements of `data` (of `from`, native byte order)
/// to `to`, into `out` (one element of `to` for each).
pub(crate) fn cast_elements(data: &[u8], from: &DataType, to: &DataType, out: &mut [u8]) {
    for i in 0..data.len() / from.size() {
        store(out, i, to, cast(load(data, i, from), to));
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
        DataType::Float16 => Num::F16(f16::from_ne_bytes([b[0], b[1]])),
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
        Num::F16(f) => {
            let mut b = [0u8; 8];
            b[..2].copy_from_slice(&f.to_ne_bytes());
            b
        }
        Num::F32(f) => {
            let mut b = [0u8; 8];
            b[..4].copy_from_slice(&f.to_ne_bytes());
            b
        }
        Num::F64(f) => f.to_ne_bytes(),
    };
    out[i * n..(i + 1) * n].copy_from_slice(&bytes[..n]);
}

/// An arithmetic operation of numpy's, on two numbers of one type:
/// integers modulo 2^128 (the caller wraps to their type's width), float16 in float32 rounded to
/// float16 (as numpy computes it), the other floats in their type.
fn arith(a: Num, b: Num, op: fn(f64, f64) -> f64, int_op: fn(i128, i128) -> i128) -> Num {
    match (a, b) {
        (Num::Int(x), Num::Int(y)) => Num::Int(int_op(x, y)),
        // f32 operations are exact in f64 and rounded once to f32.
        (Num::F16(x), Num::F16(y)) => Num::F16(f16::from_f32(op(x.to_f64(), y.to_f64()) as f32)),
        (Num::F32(x), Num::F32(y)) => Num::F32(op(x as f64, y as f64) as f32),
        (Num::F64(x), Num::F64(y)) => Num::F64(op(x, y)),
        _ => unreachable!("both operands are cast to one type first"),
    }
}

fn add(a: Num, b: Num) -> Num {
    arith(a, b, |x, y| x + y, i128::wrapping_add)
}

fn sub(a: Num, b: Num) -> Num {
    arith(a, b, |x, y| x - y, i128::wrapping_sub)
}

fn mul(a: Num, b: Num) -> Num {
    arith(a, b, |x, y| x * y, i128::wrapping_mul)
}

fn div(a: Num, b: Num) -> Num {
    arith(
        a,
        b,
        |x, y| x / y,
        |_, _| unreachable!("numpy divides integers as float64"),
    )
}

/// numpy's `around` of a number (integers are left as they are).
fn round(v: Num) -> Num {
    match v {
        Num::Int(_) => v,
        Num::F16(f) => Num::F16(f16::from_f32(f.to_f32().round_ties_even())),
        Num::F32(f) => Num::F32(f.round_ties_even()),
        Num::F64(f) => Num::F64(f.round_ties_even()),
    }
}

fn as_f64(v: Num) -> f64 {
    match v {
        Num::Int(i) => i as f64,
        Num::F16(f) => f.to_f64(),
        Num::F32(f) => f as f64,
        Num::F64(f) => f,
    }
}

/// A Python number in a codec's configuration (a JSON integer is an int,
/// any other number a float), as it takes part in numpy's arithmetic.
#[derive(Debug, Clone, PartialEq)]
struct PyNumber {
    int: Option<i128>,
    float: f64,
}

impl PyNumber {
    fn parse(codec: &str, key: &str, v: Option<&Value>) -> Result<Self> {
        let bad = || invalid_metadata(format!("codec \"{codec}\": \"{key}\" must be a number"));
        let v = v.ok_or_else(bad)?;
        let int = v
            .as_i64()
            .map(i128::from)
            .or_else(|| v.as_u64().map(i128::from));
        let float = v.as_f64().ok_or_else(bad)?;
        Ok(PyNumber { int, float })
    }

    /// As JSON: an int as an integer, a float as a number with a point or
    /// an exponent, so that it reads back as the same kind.
    fn to_json(&self) -> Value {
        match self.int {
            Some(i) if i < 0 => json!(i as i64),
            Some(i) => json!(i as u64),
            None => json!(self.float),
        }
    }

    /// The number as numpy takes it into an operation with an array of
    /// `t` (NEP 50: a Python number takes the array's type when of the
    /// same kind; an int into a float type through float64, as Python
    /// converts it). None for a float with an integer array: the
    /// operation is in float64 then.
    fn as_operand(&self, t: &DataType) -> Option<Result<Num>> {
        match self.int {
            Some(i) if is_int(t) => Some(if wrap(i, t) == i {
                Ok(Num::Int(i))
            } else {
                Err(invalid_argument(format!(
                    "codec \"{FIXED_SCALE_OFFSET}\": {i} does not fit {} (numcodecs refuses \
                     to encode it too: numpy's OverflowError)",
                    t.name()
                )))
            }),
            _ if is_int(t) => None,
            _ => Some(Ok(float_of(self.float, t))),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Op {
    Delta,
    FixedScaleOffset { scale: PyNumber, offset: PyNumber },
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
                let scale = PyNumber::parse(name, "scale", spec.get("scale"))?;
                let offset = PyNumber::parse(name, "offset", spec.get("offset"))?;
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
                    "codec \"{name}\": {} is not supported (integers and float16/32/64 are)",
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
                "scale": scale.to_json(), "offset": offset.to_json(),
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
                    // `(x - offset) * scale`, in float64 from the first
                    // float operand of an integer array on.
                    let diff = match offset.as_operand(d) {
                        Some(o) => cast(sub(x, o?), d),
                        None => Num::F64(as_f64(x) - offset.float),
                    };
                    let v = match (diff, scale.as_operand(d)) {
                        (Num::F64(f), _) if is_int(d) => Num::F64(f * scale.float),
                        (_, Some(s)) => cast(mul(diff, s?), d),
                        (_, None) => Num::F64(as_f64(diff) * scale.float),
                    };
                    cast(round(v), e)
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
                // numpy computes in the stored type when that is a float
                // (a Python number takes the array's type), else in
                // float64 (true division of integers).
                Op::FixedScaleOffset { scale, offset } => {
                    let t = if is_int(e) { &DataType::Float64 } else { e };
                    let q = div(cast(x, t), float_of(scale.float, t));
                    cast(add(q, float_of(offset.float, t)), d)
                }
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
                json!({"name": FIXED_SCALE_OFFSET, "configuration": {"scale": 1, "offset": 0, "dtype": "<f8", "astype": "<c8"}}),
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

    fn f64s(v: &[f64]) -> Vec<u8> {
        v.iter().flat_map(|x| x.to_ne_bytes()).collect()
    }

    /// numpy 2.5's casts of these float64 values on x86-64, element by
    /// element (`np.float64(v).astype(t)`).
    #[test]
    fn floats_to_integers_as_numpy_on_x86_64() {
        use DataType::*;
        let vals = [
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            1e10,
            -1e10,
            70000.7,
            -40000.5,
            -1.9,
            1.8e19,
            2e19,
            -1e19,
            4.3e9,
        ];
        let want: [(DataType, [i128; 12]); 8] = [
            (Int8, [0, 0, 0, 0, 0, 112, -64, -1, 0, 0, 0, 0]),
            (Int16, [0, 0, 0, 0, 0, 4464, 25536, -1, 0, 0, 0, 0]),
            (UInt16, [0, 0, 0, 0, 0, 4464, 25536, 65535, 0, 0, 0, 0]),
            (
                Int32,
                [
                    i32::MIN as i128,
                    i32::MIN as i128,
                    i32::MIN as i128,
                    i32::MIN as i128,
                    i32::MIN as i128,
                    70000,
                    -40000,
                    -1,
                    i32::MIN as i128,
                    i32::MIN as i128,
                    i32::MIN as i128,
                    i32::MIN as i128,
                ],
            ),
            (
                Int64,
                [
                    i64::MIN as i128,
                    i64::MIN as i128,
                    i64::MIN as i128,
                    10_000_000_000,
                    -10_000_000_000,
                    70000,
                    -40000,
                    -1,
                    i64::MIN as i128,
                    i64::MIN as i128,
                    i64::MIN as i128,
                    4_300_000_000,
                ],
            ),
            (UInt8, [0, 0, 0, 0, 0, 112, 192, 255, 0, 0, 0, 0]),
            (
                UInt32,
                [
                    0,
                    0,
                    0,
                    1_410_065_408,
                    2_884_901_888,
                    70000,
                    4_294_927_296,
                    4_294_967_295,
                    0,
                    0,
                    0,
                    5_032_704,
                ],
            ),
            (
                UInt64,
                [
                    1 << 63,
                    0,
                    1 << 63,
                    10_000_000_000,
                    18_446_744_063_709_551_616,
                    70000,
                    18_446_744_073_709_511_616,
                    18_446_744_073_709_551_615,
                    18_000_000_000_000_000_000,
                    0,
                    1 << 63,
                    4_300_000_000,
                ],
            ),
        ];
        for (t, w) in want {
            for (v, w) in vals.iter().zip(w) {
                assert_eq!(float_to_int(*v, &t), w, "{v} to {}", t.name());
            }
        }
    }

    /// With integer `scale` and `offset`, numpy computes an integer
    /// array's values in its own type: exact past 2^53, wrapping.
    #[test]
    fn fixedscaleoffset_of_integers_in_their_type() {
        let f =
            |cfg: Value| filter(json!({"name": FIXED_SCALE_OFFSET, "configuration": cfg})).unwrap();
        let i64s = |v: &[i64]| -> Vec<u8> { v.iter().flat_map(|x| x.to_ne_bytes()).collect() };
        let g = f(json!({"scale": 1, "offset": 0, "dtype": "<i8", "astype": "<i8"}));
        let x = i64s(&[(1 << 53) + 1, -(1 << 53) - 1, i64::MAX]);
        assert_eq!(g.encode(&x, &repr(DataType::Int64, 3)).unwrap(), x);
        // (x - 1000) * 10 in int16, wrapping, then widened.
        let g = f(json!({"scale": 10, "offset": 1000, "dtype": "<i2", "astype": "<i4"}));
        let x: Vec<u8> = [i16::MIN, i16::MAX, 0]
            .iter()
            .flat_map(|v| v.to_ne_bytes())
            .collect();
        assert_eq!(
            g.encode(&x, &repr(DataType::Int16, 3)).unwrap(),
            i32s(&[-10000, -10010, -10000])
        );
        // A float scale: the difference in int16, the product in float64.
        let g = f(json!({"scale": 1.5, "offset": 0, "dtype": "<i2", "astype": "<i4"}));
        assert_eq!(
            g.encode(&x, &repr(DataType::Int16, 3)).unwrap(),
            i32s(&[-49152, 49150, 0])
        );
        // A float offset: float64 throughout (2^53 + 1 - 1.0 is 2^53 - 1).
        let g = f(json!({"scale": 1, "offset": 1.0, "dtype": "<i8", "astype": "<i8"}));
        assert_eq!(
            g.encode(&i64s(&[(1 << 53) + 1]), &repr(DataType::Int64, 1))
                .unwrap(),
            i64s(&[(1 << 53) - 1])
        );
        // What numpy refuses (an int that does not fit the array's type).
        let g = f(json!({"scale": 1, "offset": 100000, "dtype": "<i2", "astype": "<i4"}));
        let e = g.encode(&x, &repr(DataType::Int16, 3)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        assert!(g
            .decode(&i32s(&[1, 2, 3]), &repr(DataType::Int16, 3))
            .is_ok());
        // Integers are written back as integers.
        assert_eq!(g.to_json()["configuration"]["offset"], json!(100000));
        let g = f(json!({"scale": 1, "offset": 1.0, "dtype": "<i8", "astype": "<i8"}));
        assert_eq!(
            serde_json::to_string(&g.to_json()["configuration"]).unwrap(),
            r#"{"scale":1,"offset":1.0,"dtype":"<i8","astype":"<i8"}"#
        );
        // NaN into int32: numpy's least int32.
        let g = f(json!({"scale": 10, "offset": 0, "dtype": "<f8", "astype": "<i4"}));
        assert_eq!(
            g.encode(&f64s(&[f64::NAN, 1.25]), &repr(DataType::Float64, 2))
                .unwrap(),
            i32s(&[i32::MIN, 12])
        );
    }

    /// float16 arrays compute in float16 (each operation in float32,
    /// rounded), as numpy does.
    #[test]
    fn float16_through_the_filters() {
        let h = |v: &[f32]| -> Vec<u8> {
            v.iter()
                .flat_map(|x| f16::from_f32(*x).to_ne_bytes())
                .collect()
        };
        let g = filter(json!({"name": FIXED_SCALE_OFFSET, "configuration":
            {"scale": 2, "offset": 5, "dtype": "<f2", "astype": "<i2"}}))
        .unwrap();
        let enc = g
            .encode(&h(&[1.5, 7.25]), &repr(DataType::Float16, 2))
            .unwrap();
        let want: Vec<u8> = [-7i16, 4].iter().flat_map(|v| v.to_ne_bytes()).collect();
        assert_eq!(enc, want);
        assert_eq!(
            g.decode(&enc, &repr(DataType::Float16, 2)).unwrap(),
            h(&[1.5, 7.0])
        );
        // int16 2049 has no float16: 2048.
        let a = filter(json!({"name": ASTYPE, "configuration":
            {"encode_dtype": "<f2", "decode_dtype": "<i2"}}))
        .unwrap();
        let x: Vec<u8> = [2049i16, 3].iter().flat_map(|v| v.to_ne_bytes()).collect();
        assert_eq!(
            a.encode(&x, &repr(DataType::Int16, 2)).unwrap(),
            h(&[2048.0, 3.0])
        );
        use DataType::*;
        assert_eq!(promote(&Float16, &UInt8), Float16);
        assert_eq!(promote(&Float16, &Int16), Float32);
        assert_eq!(promote(&Int32, &Float16), Float64);
        assert_eq!(promote(&Float16, &Float32), Float32);
    }
}
