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

use super::scalar::{self, int_range, is_int, is_numeric, Elem, Kernel, Scalar};
use super::{codec_json, ArrayToArrayCodec, ChunkRepr, CodecSpec};
use crate::dtype::DataType;
use crate::error::{corrupt, invalid_argument, invalid_metadata, unsupported, Result};
use half::f16;
use serde_json::{Map, Value};

pub const NAME: &str = "cast_value";

/// How a value between two of the target's values is rounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rounding {
    NearestEven,
    TowardsZero,
    TowardsPositive,
    TowardsNegative,
    NearestAway,
}

impl Rounding {
    fn parse(v: Option<&Value>) -> Result<Rounding> {
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

    /// A finite `v` below 2^63 in magnitude rounded to an integer,
    /// without branches on the value (a cast's data is often random
    /// fractions) and without libm's rounding calls.
    #[inline(always)]
    fn to_i64(self, v: f64) -> i64 {
        const TWO_52: f64 = 4503599627370496.0;
        if let Rounding::NearestEven = self {
            // Adding and taking back 2^52 rounds to an integer in the
            // default rounding mode (ties to even); past 2^52 every
            // value is an integer already.
            let c = TWO_52.copysign(v);
            let r = if v.abs() < TWO_52 { (v + c) - c } else { v };
            return r as i64;
        }
        let t = v as i64;
        // Exact: |v| < 2^63, and v is integral where t loses bits.
        let frac = v - t as f64;
        match self {
            Rounding::NearestAway => t + (frac >= 0.5) as i64 - (frac <= -0.5) as i64,
            Rounding::TowardsPositive => t + (frac > 0.0) as i64,
            Rounding::TowardsNegative => t - (frac < 0.0) as i64,
            _ => t,
        }
    }

    /// Whether a magnitude cut to `q` with remainder `rem` (of `2 * half`)
    /// rounds up, for a value of sign `neg`.
    fn rounds_up(self, q: u128, rem: u128, half: u128, neg: bool) -> bool {
        match self {
            Rounding::NearestEven => rem > half || (rem == half && q & 1 == 1),
            Rounding::NearestAway => rem >= half,
            Rounding::TowardsZero => false,
            Rounding::TowardsPositive => rem != 0 && !neg,
            Rounding::TowardsNegative => rem != 0 && neg,
        }
    }
}

/// What happens to a value past the target's range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OutOfRange {
    Error,
    Clamp,
    Wrap,
}

fn bad_config(what: String) -> crate::error::Error {
    invalid_metadata(format!("codec \"{NAME}\": {what}"))
}

/// Why a value has no counterpart in the target type.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum CastError {
    /// NaN or an infinity, cast to an integer type.
    NotFinite(f64),
    /// A value past the target's range, with `out_of_range` "error".
    OutOfRange(Scalar),
}

impl CastError {
    pub(crate) fn describe(self, to: &DataType) -> String {
        match self {
            CastError::NotFinite(f) => format!(
                "{f} has no value of {} (a scalar_map entry can give it one)",
                to.name()
            ),
            CastError::OutOfRange(Scalar::Int(x)) => {
                format!("{x} is out of the range of {}", to.name())
            }
            CastError::OutOfRange(Scalar::Float(f)) => {
                format!("{f:e} is out of the range of {}", to.name())
            }
        }
    }
}

/// The floating-point types narrower than f64, for rounding to them in a
/// chosen direction.
trait Narrow: Copy {
    /// The greatest finite value.
    const MAX: f64;
    /// Half the distance from `MAX` to the next power of two.
    const HALF_ULP_AT_MAX: f64;
    /// `v` rounded to nearest, ties to even (NaN keeps its sign and payload).
    fn nearest(v: f64) -> Self;
    fn widen(self) -> f64;
    /// The next value up (`up`) or down from a finite value.
    fn step(self, up: bool) -> Self;
}

/// The next value of a sign-and-magnitude float's `bits`, up or down;
/// `sign` is its sign bit.
fn step_bits(bits: u64, sign: u64, up: bool) -> u64 {
    if bits & !sign == 0 {
        // From either zero to the least subnormal of the direction.
        return if up { 1 } else { sign | 1 };
    }
    if (bits & sign == 0) == up {
        bits + 1
    } else {
        bits - 1
    }
}

impl Narrow for f32 {
    const MAX: f64 = f32::MAX as f64;
    const HALF_ULP_AT_MAX: f64 = 10141204801825835211973625643008.0; // 2^103
    fn nearest(v: f64) -> f32 {
        v as f32
    }
    fn widen(self) -> f64 {
        self as f64
    }
    fn step(self, up: bool) -> f32 {
        f32::from_bits(step_bits(self.to_bits() as u64, 1 << 31, up) as u32)
    }
}

impl Narrow for f16 {
    const MAX: f64 = 65504.0;
    const HALF_ULP_AT_MAX: f64 = 16.0;
    fn nearest(v: f64) -> f16 {
        f16::from_f64(v)
    }
    fn widen(self) -> f64 {
        self.to_f64()
    }
    fn step(self, up: bool) -> f16 {
        f16::from_bits(step_bits(self.to_bits() as u64, 1 << 15, up) as u16)
    }
}

/// A finite or infinite `v` rounded to type `T` by `mode`; `None` when
/// the rounded value is past `T`'s greatest finite value.
#[inline]
fn round_narrow<T: Narrow>(v: f64, mode: Rounding) -> Option<f64> {
    if !v.is_finite() {
        return Some(T::nearest(v).widen());
    }
    let a = v.abs();
    if a > T::MAX {
        // Between the greatest value and the next power of two, which
        // lies past the range: only rounding towards the greatest value
        // stays within it.
        let past = a >= T::MAX + 2.0 * T::HALF_ULP_AT_MAX
            || match mode {
                Rounding::NearestEven | Rounding::NearestAway => a >= T::MAX + T::HALF_ULP_AT_MAX,
                Rounding::TowardsZero => false,
                Rounding::TowardsPositive => v > 0.0,
                Rounding::TowardsNegative => v < 0.0,
            };
        return (!past).then_some(T::MAX.copysign(v));
    }
    let r = T::nearest(v);
    let rf = r.widen();
    if rf == v {
        return Some(rf);
    }
    // v lies between rf and its neighbour towards v.
    let pick = match mode {
        Rounding::NearestEven => r,
        Rounding::NearestAway => {
            let other = r.step(v > rf);
            // The midpoint of two neighbours is exact in f64.
            let tie = v == (rf + other.widen()) / 2.0;
            if tie && other.widen().abs() > rf.abs() {
                other
            } else {
                r
            }
        }
        Rounding::TowardsZero if rf.abs() > a => r.step(rf < 0.0),
        Rounding::TowardsPositive if rf < v => r.step(true),
        Rounding::TowardsNegative if rf > v => r.step(false),
        _ => r,
    };
    Some(pick.widen())
}

/// An integer rounded to a float of `p` significant bits by `mode`;
/// `None` past `max`.
#[inline(always)]
fn int_to_float(x: i128, p: u32, max: f64, mode: Rounding) -> Option<f64> {
    let neg = x < 0;
    let a = x.unsigned_abs();
    let bits = 128 - a.leading_zeros();
    let mag = if bits <= p {
        // Fewer than 54 bits: a plain (and fast) conversion is exact.
        a as u64 as f64
    } else {
        let shift = bits - p;
        let q = a >> shift;
        let rem = a & ((1u128 << shift) - 1);
        let q = q + mode.rounds_up(q, rem, 1u128 << (shift - 1), neg) as u128;
        // q has at most p + 1 <= 54 bits and the scale is a power of two:
        // exact.
        q as f64 * 2f64.powi(shift as i32)
    };
    (mag <= max).then_some(if neg { -mag } else { mag })
}

/// `x` in integer type `to`, by `oor` when past its range.
#[inline(always)]
fn int_to_int(x: i128, to: &DataType, oor: OutOfRange) -> std::result::Result<i128, CastError> {
    let (lo, hi) = int_range(to);
    if (lo..=hi).contains(&x) {
        return Ok(x);
    }
    match oor {
        OutOfRange::Error => Err(CastError::OutOfRange(Scalar::Int(x))),
        OutOfRange::Clamp => Ok(if x < lo { lo } else { hi }),
        OutOfRange::Wrap => Ok(wrap(x, to)),
    }
}

/// `x` modulo 2^bits of integer type `t`, in `t`'s range.
#[inline]
fn wrap(x: i128, t: &DataType) -> i128 {
    let bits = 8 * t.size() as u32;
    let m = x.rem_euclid(1i128 << bits);
    let (lo, _) = int_range(t);
    if lo < 0 && m >= 1i128 << (bits - 1) {
        m - (1i128 << bits)
    } else {
        m
    }
}

/// The value `v` cast to numeric type `to`.
#[inline(always)]
pub(crate) fn cast(
    v: Scalar,
    to: &DataType,
    rounding: Rounding,
    oor: OutOfRange,
) -> std::result::Result<Scalar, CastError> {
    let float_result = |r: Option<f64>, v: Scalar, negative: bool| match (r, oor) {
        (Some(f), _) => Ok(Scalar::Float(f)),
        (None, OutOfRange::Clamp) => Ok(Scalar::Float(if negative {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        })),
        (None, _) => Err(CastError::OutOfRange(v)),
    };
    match v {
        Scalar::Int(x) if is_int(to) => int_to_int(x, to, oor).map(Scalar::Int),
        Scalar::Int(x) => {
            let (p, max) = match to {
                DataType::Float16 => (11, <f16 as Narrow>::MAX),
                DataType::Float32 => (24, <f32 as Narrow>::MAX),
                _ => (53, f64::MAX),
            };
            float_result(int_to_float(x, p, max, rounding), v, x < 0)
        }
        Scalar::Float(f) if is_int(to) => {
            if !f.is_finite() {
                return Err(CastError::NotFinite(f));
            }
            if f.abs() < (1u64 << 63) as f64 {
                return int_to_int(rounding.to_i64(f) as i128, to, oor).map(Scalar::Int);
            }
            // Integral already (past 2^52). Those of 2^127 and more are
            // multiples of 2^75, so wrapping them to at most 64 bits
            // leaves 0.
            let r = f;
            if r.abs() < 2f64.powi(127) {
                int_to_int(r as i128, to, oor).map(Scalar::Int)
            } else {
                match oor {
                    OutOfRange::Error => Err(CastError::OutOfRange(v)),
                    OutOfRange::Clamp => {
                        let (lo, hi) = int_range(to);
                        Ok(Scalar::Int(if r < 0.0 { lo } else { hi }))
                    }
                    OutOfRange::Wrap => Ok(Scalar::Int(0)),
                }
            }
        }
        Scalar::Float(f) => match to {
            // cast-value-rs narrows to float16 through float32, so a value
            // that float32 rounds to 65520 overflows: as there.
            DataType::Float16
                if matches!(rounding, Rounding::NearestEven | Rounding::NearestAway)
                    && f.is_finite()
                    && (f as f32).abs() >= 65520.0 =>
            {
                float_result(None, v, f < 0.0)
            }
            DataType::Float16 => float_result(round_narrow::<f16>(f, rounding), v, f < 0.0),
            DataType::Float32 => float_result(round_narrow::<f32>(f, rounding), v, f < 0.0),
            _ => Ok(v),
        },
    }
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

/// The entry for `v`; of entries for one value the last, as zarr-python
/// makes a dict of the list.
/// A scalar map entry's value of type `t`. cast-value-rs takes a float16
/// from a number through float32 (where a fill value rounds once), so
/// here too.
fn map_value(t: &DataType, v: &Value, what: &str) -> Result<Scalar> {
    match (t, v.as_f64()) {
        (DataType::Float16, Some(x)) if v.is_number() => {
            Ok(Scalar::Float(f16::from_f64(x).to_f64()))
        }
        _ => scalar::parse(t, v, NAME, what),
    }
}

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
        let rounding = Rounding::parse(spec.get("rounding"))?;
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

    fn check_len(&self, data: &[u8], repr: &ChunkRepr, t: &DataType) -> Result<()> {
        let n = repr.num_elements() as usize;
        if data.len() != n * t.size() {
            return Err(invalid_argument(format!(
                "codec \"{NAME}\": {} bytes for {n} elements of {}",
                data.len(),
                t.name()
            )));
        }
        Ok(())
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
        self.check_len(data, decoded, &self.source)?;
        let mut out = crate::alloc::zeroed(decoded.num_elements() as usize * self.target.size())?;
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
        self.check_len(data, decoded, &self.target)?;
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

    fn cast_f(
        v: f64,
        to: DataType,
        r: Rounding,
        o: OutOfRange,
    ) -> std::result::Result<Scalar, CastError> {
        cast(Scalar::Float(v), &to, r, o)
    }

    #[test]
    fn floats_round_to_integers_in_every_direction() {
        use Rounding::*;
        let xs = [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, -0.7, 0.7];
        let want: [(Rounding, [i128; 8]); 5] = [
            (NearestEven, [-2, -2, 0, 0, 2, 2, -1, 1]),
            (TowardsZero, [-2, -1, 0, 0, 1, 2, 0, 0]),
            (TowardsPositive, [-2, -1, 0, 1, 2, 3, 0, 1]),
            (TowardsNegative, [-3, -2, -1, 0, 1, 2, -1, 0]),
            (NearestAway, [-3, -2, -1, 1, 2, 3, -1, 1]),
        ];
        for (mode, w) in want {
            for (x, w) in xs.iter().zip(w) {
                assert_eq!(
                    cast_f(*x, DataType::Int16, mode, OutOfRange::Error),
                    Ok(Scalar::Int(w)),
                    "{x} {mode:?}"
                );
            }
        }
    }

    #[test]
    fn out_of_range_integers_fail_clamp_or_wrap() {
        let c = |x: f64, o| cast_f(x, DataType::UInt8, Rounding::NearestEven, o);
        assert_eq!(
            c(255.5, OutOfRange::Error),
            Err(CastError::OutOfRange(Scalar::Int(256)))
        );
        assert_eq!(c(300.0, OutOfRange::Clamp), Ok(Scalar::Int(255)));
        assert_eq!(c(-3.5, OutOfRange::Wrap), Ok(Scalar::Int(252)));
        assert_eq!(c(1e30, OutOfRange::Wrap), Ok(Scalar::Int(0)));
        assert!(
            matches!(c(f64::NAN, OutOfRange::Clamp), Err(CastError::NotFinite(f)) if f.is_nan())
        );
        assert!(matches!(
            c(f64::INFINITY, OutOfRange::Wrap),
            Err(CastError::NotFinite(_))
        ));
        let w = cast(
            Scalar::Int(-1e30 as i128),
            &DataType::Int64,
            Rounding::NearestEven,
            OutOfRange::Wrap,
        );
        assert_eq!(w, Ok(Scalar::Int(-5076964154930102272)));
    }

    #[test]
    fn integers_round_to_floats_in_every_direction() {
        use Rounding::*;
        let x = (1i128 << 53) + 1;
        let f = |r| cast(Scalar::Int(x), &DataType::Float64, r, OutOfRange::Error);
        assert_eq!(f(NearestEven), Ok(Scalar::Float(9007199254740992.0)));
        assert_eq!(f(TowardsPositive), Ok(Scalar::Float(9007199254740994.0)));
        assert_eq!(f(NearestAway), Ok(Scalar::Float(9007199254740994.0)));
        let h = |x: i128, r, o| cast(Scalar::Int(x), &DataType::Float16, r, o);
        assert_eq!(
            h(65519, NearestEven, OutOfRange::Error),
            Ok(Scalar::Float(65504.0))
        );
        assert_eq!(
            h(65520, NearestEven, OutOfRange::Error),
            Err(CastError::OutOfRange(Scalar::Int(65520)))
        );
        assert_eq!(
            h(65535, TowardsZero, OutOfRange::Error),
            Ok(Scalar::Float(65504.0))
        );
        assert_eq!(
            h(-70000, TowardsZero, OutOfRange::Clamp),
            Ok(Scalar::Float(f64::NEG_INFINITY))
        );
    }

    #[test]
    fn narrower_floats_round_by_the_mode_up_to_the_greatest_value() {
        use Rounding::*;
        let past_max = 3.4028235677973366e38; // f32::MAX + half its ulp
        let f = |x, r| cast_f(x, DataType::Float32, r, OutOfRange::Error);
        assert!(f(past_max, NearestEven).is_err());
        assert_eq!(f(past_max, TowardsZero), Ok(Scalar::Float(f32::MAX as f64)));
        assert_eq!(
            f(-past_max, TowardsPositive),
            Ok(Scalar::Float(-f32::MAX as f64))
        );
        assert!(f(3.5e38, TowardsZero).is_err());
        assert_eq!(f(1.0000001, TowardsZero), Ok(Scalar::Float(1.0)));
        assert_eq!(
            f(1.0000001, TowardsPositive),
            Ok(Scalar::Float(1.0000001192092896))
        );
        // Subnormal float16s and signed zeros.
        let h = |x, r| cast_f(x, DataType::Float16, r, OutOfRange::Error);
        assert_eq!(
            h(1e-10, TowardsPositive),
            Ok(Scalar::Float(f16::from_bits(1).to_f64()))
        );
        let z = h(-1e-10, TowardsPositive).unwrap();
        assert!(matches!(z, Scalar::Float(v) if v == 0.0 && v.is_sign_negative()));
        assert_eq!(
            h(2f64.powi(-25), NearestAway),
            Ok(Scalar::Float(2f64.powi(-24)))
        );
        assert_eq!(h(2f64.powi(-25), NearestEven), Ok(Scalar::Float(0.0)));
        assert_eq!(
            cast_f(1e300, DataType::Float16, NearestEven, OutOfRange::Clamp),
            Ok(Scalar::Float(f64::INFINITY))
        );
    }

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
