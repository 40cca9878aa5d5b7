//! Conversions of a numeric value to another numeric type, as the
//! `cast_value` codec makes them (and cast-value-rs, the implementation
//! zarr-python calls): round by a chosen mode to the target's precision
//! (floats to integers, integers to floats that cannot hold them, wider
//! floats to narrower ones, subnormals included), then handle a value
//! past the target's range by a chosen rule (error, clamp, wrap).

use super::scalar::{int_range, is_int, Scalar};
use crate::dtype::DataType;
use half::f16;

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
            CastError::OutOfRange(v) => format!("{v} is out of the range of {}", to.name()),
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
    /// `v` rounded to nearest, ties to even, as cast-value-rs rounds it
    /// (float16 through float32, so twice); NaN keeps its sign and payload.
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
        // Explicitly through float32: `half`'s own from_f64 rounds once or
        // twice depending on the CPU.
        f16::from_f32(v as f32)
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
        // At most p bits: the target holds it, and a plain (fast)
        // conversion is exact.
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
