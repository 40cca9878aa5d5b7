//! The 8-bit floating-point data types (`float8_e4m3fn`, `float8_e5m2`,
//! ...), as tensorstore's and zarrs' zarr3 arrays and ml_dtypes name
//! them. Elements are one byte; these conversions serve fill values.
//!
//! Three families: IEEE-like formats with infinities and NaNs (`e5m2`,
//! `e3m4`, `e4m3`); `fn` formats with no infinity and one NaN pattern per sign
//! (`e4m3fn`); `fnuz` formats with no infinity, no negative zero and the
//! negative-zero pattern as their only NaN (`e4m3fnuz`, `e5m2fnuz`,
//! `e4m3b11fnuz`). Conversions round to nearest, ties to even, and values
//! past the largest finite one become infinity, or NaN where there is
//! none, as ml_dtypes converts them.
//!
//! And `e8m0fnu`, an exponent alone (the scales of the MX formats): byte b
//! is 2^(b - 127), 0xFF is NaN; there is no zero and no sign. Values round
//! to the nearest power of two, ties upwards (the significand 1.1b rounds
//! to even, 10b); zero, negative values and those past 2^127 are NaN,
//! values below 2^-127 the least, as ml_dtypes converts them.

/// An 8-bit floating-point format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Float8 {
    E3M4,
    E4M3,
    E4M3FN,
    E4M3FNUZ,
    E4M3B11FNUZ,
    E5M2,
    E5M2FNUZ,
    E8M0FNU,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Family {
    Ieee,
    Fn,
    Fnuz,
}

impl Float8 {
    pub const ALL: [Float8; 8] = [
        Float8::E3M4,
        Float8::E4M3,
        Float8::E4M3FN,
        Float8::E4M3FNUZ,
        Float8::E4M3B11FNUZ,
        Float8::E5M2,
        Float8::E5M2FNUZ,
        Float8::E8M0FNU,
    ];

    /// The data type's name in `zarr.json`.
    pub fn name(self) -> &'static str {
        match self {
            Float8::E3M4 => "float8_e3m4",
            Float8::E4M3 => "float8_e4m3",
            Float8::E4M3FN => "float8_e4m3fn",
            Float8::E4M3FNUZ => "float8_e4m3fnuz",
            Float8::E4M3B11FNUZ => "float8_e4m3b11fnuz",
            Float8::E5M2 => "float8_e5m2",
            Float8::E5M2FNUZ => "float8_e5m2fnuz",
            Float8::E8M0FNU => "float8_e8m0fnu",
        }
    }

    pub fn from_name(name: &str) -> Option<Float8> {
        Float8::ALL.into_iter().find(|f| f.name() == name)
    }

    /// Whether the format has infinities (the IEEE-like ones): the others'
    /// specifications give them no "Infinity" fill value.
    pub fn has_infinity(self) -> bool {
        self != Float8::E8M0FNU && self.params().3 == Family::Ieee
    }

    /// Exponent bits, mantissa bits, exponent bias, family.
    fn params(self) -> (u32, u32, i32, Family) {
        match self {
            Float8::E3M4 => (3, 4, 3, Family::Ieee),
            Float8::E4M3 => (4, 3, 7, Family::Ieee),
            Float8::E4M3FN => (4, 3, 7, Family::Fn),
            Float8::E4M3FNUZ => (4, 3, 8, Family::Fnuz),
            Float8::E4M3B11FNUZ => (4, 3, 11, Family::Fnuz),
            Float8::E5M2 => (5, 2, 15, Family::Ieee),
            Float8::E5M2FNUZ => (5, 2, 16, Family::Fnuz),
            Float8::E8M0FNU => unreachable!("e8m0fnu is converted on its own"),
        }
    }

    /// The value of the byte `b`.
    pub fn to_f64(self, b: u8) -> f64 {
        if self == Float8::E8M0FNU {
            return if b == 0xFF {
                f64::NAN
            } else {
                2f64.powi(b as i32 - 127)
            };
        }
        let (e, m, bias, family) = self.params();
        let sign = if b & 0x80 != 0 { -1.0 } else { 1.0 };
        let exp = ((b >> m) & ((1 << e) - 1) as u8) as i32;
        let mant = (b & ((1 << m) - 1) as u8) as f64;
        let (max_exp, max_mant) = ((1i32 << e) - 1, ((1u32 << m) - 1) as f64);
        match family {
            Family::Fnuz if b == 0x80 => return f64::NAN,
            Family::Ieee if exp == max_exp => {
                return if mant == 0.0 {
                    sign * f64::INFINITY
                } else {
                    f64::NAN
                }
            }
            Family::Fn if exp == max_exp && mant == max_mant => return f64::NAN,
            _ => {}
        }
        let scale = |p: i32| 2f64.powi(p);
        if exp == 0 {
            sign * mant * scale(1 - bias - m as i32)
        } else {
            sign * (1.0 + mant / scale(m as i32)) * scale(exp - bias)
        }
    }

    /// The byte of NaN.
    pub fn nan(self) -> u8 {
        if self == Float8::E8M0FNU {
            return 0xFF;
        }
        match self.params().3 {
            Family::Fnuz => 0x80,
            Family::Fn => 0x7F,
            // Exponent all ones, the mantissa's top bit set.
            Family::Ieee => {
                let (e, m, ..) = self.params();
                (((1u8 << e) - 1) << m) | (1 << (m - 1))
            }
        }
    }

    /// The byte nearest `x`: ties to even, past the largest finite value
    /// infinity (NaN where the format has none).
    pub fn from_f64(self, x: f64) -> u8 {
        if self == Float8::E8M0FNU {
            return e8m0_from_f64(x);
        }
        let family = self.params().3;
        if x.is_nan() {
            return self.nan();
        }
        let sign_bit = if x.is_sign_negative() { 0x80 } else { 0 };
        let a = x.abs();
        if a == 0.0 {
            // fnuz formats have no negative zero: its byte is their NaN.
            return if family == Family::Fnuz { 0 } else { sign_bit };
        }
        // The positive finite values are the bytes 0x00.. in order.
        let finite: Vec<(u8, f64)> = (0u8..0x80)
            .map(|b| (b, self.to_f64(b)))
            .take_while(|(_, v)| v.is_finite())
            .collect();
        let (max_b, max) = *finite.last().expect("every format has finite values");
        let below = finite[finite.len() - 2].1;
        let overflow = || match family {
            Family::Ieee => sign_bit | (max_b + 1),
            _ => sign_bit | self.nan(),
        };
        if a > max {
            let half = (max - below) / 2.0;
            return match (a - max).partial_cmp(&half) {
                Some(std::cmp::Ordering::Less) => sign_bit | max_b,
                // A tie goes to the even neighbour: the largest finite
                // byte when even, else what lies past it.
                Some(std::cmp::Ordering::Equal) if max_b % 2 == 0 => sign_bit | max_b,
                _ => overflow(),
            };
        }
        let i = finite.partition_point(|(_, v)| *v < a);
        let (hi_b, hi) = finite[i];
        let b = if hi == a || i == 0 {
            hi_b
        } else {
            let (lo_b, lo) = finite[i - 1];
            match (a - lo).partial_cmp(&(hi - a)) {
                Some(std::cmp::Ordering::Less) => lo_b,
                Some(std::cmp::Ordering::Greater) => hi_b,
                _ if lo_b % 2 == 0 => lo_b,
                _ => hi_b,
            }
        };
        // A negative value that rounds to zero: fnuz formats have no -0.
        if b == 0 && family == Family::Fnuz {
            return 0;
        }
        sign_bit | b
    }
}

/// The `float8_e8m0fnu` byte nearest `x` (see the module's notes).
fn e8m0_from_f64(x: f64) -> u8 {
    if x.is_nan() || x <= 0.0 || x.is_infinite() {
        return 0xFF;
    }
    // x = m * 2^k with 1 <= m < 2; f64's subnormals lie far below 2^-127.
    let bits = x.to_bits();
    let k = ((bits >> 52) & 0x7FF) as i32 - 1023;
    let half_or_more = bits & (1 << 51) != 0;
    let k = k + half_or_more as i32;
    if k > 127 {
        0xFF
    } else {
        (k.max(-127) + 127) as u8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_bytes() {
        // (format, 1.0, the largest finite value and its byte, NaN, +inf)
        // as ml_dtypes gives them.
        for (f, one, max, max_b, nan, inf) in [
            (Float8::E3M4, 0x30, 15.5, 0x6F, 0x78, 0x70),
            (Float8::E4M3, 0x38, 240.0, 0x77, 0x7C, 0x78),
            (Float8::E4M3FN, 0x38, 448.0, 0x7E, 0x7F, 0x7F),
            (Float8::E4M3FNUZ, 0x40, 240.0, 0x7F, 0x80, 0x80),
            (Float8::E4M3B11FNUZ, 0x58, 30.0, 0x7F, 0x80, 0x80),
            (Float8::E5M2, 0x3C, 57344.0, 0x7B, 0x7E, 0x7C),
            (Float8::E5M2FNUZ, 0x40, 57344.0, 0x7F, 0x80, 0x80),
        ] {
            assert_eq!(f.from_f64(1.0), one, "{f:?}");
            assert_eq!(f.to_f64(one), 1.0, "{f:?}");
            assert_eq!((f.from_f64(max), f.to_f64(max_b)), (max_b, max), "{f:?}");
            assert_eq!(f.from_f64(f64::NAN), nan, "{f:?}");
            assert_eq!(f.from_f64(f64::INFINITY), inf, "{f:?}");
            assert_eq!(f.from_f64(1e6), inf, "{f:?}");
            assert!(f.to_f64(nan).is_nan(), "{f:?}");
            assert_eq!(Float8::from_name(f.name()), Some(f));
            // Every finite byte converts back to itself.
            for b in 0..=255u8 {
                let v = f.to_f64(b);
                if v.is_finite() && !(v == 0.0 && b == 0x80) {
                    assert_eq!(f.from_f64(v), b, "{f:?} {b:#x} = {v}");
                }
            }
        }
        // Ties to even: 1 + 1/16 lies halfway between 1.0 (0x38) and
        // 1.125 (0x39) in e4m3fn.
        assert_eq!(Float8::E4M3FN.from_f64(1.0625), 0x38);
        assert_eq!(Float8::E4M3FN.from_f64(1.1875), 0x3A);
        assert_eq!(Float8::E4M3FNUZ.from_f64(-0.0), 0x00);
        assert_eq!(Float8::E4M3FNUZ.from_f64(-1e-10), 0x00);
        assert_eq!(Float8::E4M3FN.from_f64(-1e-10), 0x80);
        assert_eq!(Float8::E5M2.from_f64(-0.0), 0x80);
    }

    #[test]
    fn e8m0fnu_bytes_as_ml_dtypes() {
        let f = Float8::E8M0FNU;
        // (value, byte) pairs checked with ml_dtypes.
        for (x, b) in [
            (0.0, 0xFF),
            (-0.0, 0xFF),
            (1.0, 0x7F),
            (1.5, 0x80),
            (1.4, 0x7F),
            (3.0, 0x81),
            (2.9, 0x80),
            (6.0, 0x82),
            (-1.0, 0xFF),
            (f64::INFINITY, 0xFF),
            (f64::NAN, 0xFF),
            (1e-40, 0x00),
            (2f64.powi(-128), 0x00),
            (2f64.powi(127), 0xFE),
            (2f64.powi(128), 0xFF),
            (3e38, 0xFF),
        ] {
            assert_eq!(f.from_f64(x), b, "{x}");
        }
        for b in 0..=0xFEu8 {
            assert_eq!(f.from_f64(f.to_f64(b)), b);
        }
        assert!(f.to_f64(0xFF).is_nan());
    }
}
