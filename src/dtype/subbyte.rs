//! The data types narrower than a byte that tensorstore's zarr3 arrays
//! store one per byte (zarr-extensions `int2`, `int4`, `float4_e2m1fn`,
//! and `uint2`, `uint4`, `float6_e2m3fn`, `float6_e3m2fn`, which zarrs
//! writes): the `bytes` codec keeps the value in the low bits and ignores
//! the rest when reading; the `packbits` codec packs the bits alone.
//!
//! In the caller's memory each element is one byte: the signed integers
//! as an `int8` (sign-extended), the unsigned ones as a `uint8`, the
//! floats as their code with the upper bits clear (as ml_dtypes holds
//! them; ml_dtypes' `int4` reads the sign-extended bytes too). Writing keeps the low bits, so other upper
//! bits are ignored as readers ignore them, and stores them clear, as
//! tensorstore does.

use serde_json::Value;

/// A data type of fewer than 8 bits, one element per byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SubByte {
    Int2,
    Int4,
    UInt2,
    UInt4,
    /// 1 sign, 2 exponent and 1 mantissa bits: 0, 0.5, 1, 1.5, 2, 3, 4,
    /// 6 and their negatives; no infinity, no NaN.
    Float4E2M1FN,
    /// 1 sign, 2 exponent and 3 mantissa bits (exponent bias 1): up to
    /// 7.5; no infinity, no NaN.
    Float6E2M3FN,
    /// 1 sign, 3 exponent and 2 mantissa bits (exponent bias 3): up to
    /// 28; no infinity, no NaN.
    Float6E3M2FN,
}

impl SubByte {
    pub const ALL: [SubByte; 7] = [
        SubByte::Int2,
        SubByte::Int4,
        SubByte::UInt2,
        SubByte::UInt4,
        SubByte::Float4E2M1FN,
        SubByte::Float6E2M3FN,
        SubByte::Float6E3M2FN,
    ];

    pub fn name(self) -> &'static str {
        match self {
            SubByte::Int2 => "int2",
            SubByte::Int4 => "int4",
            SubByte::UInt2 => "uint2",
            SubByte::UInt4 => "uint4",
            SubByte::Float4E2M1FN => "float4_e2m1fn",
            SubByte::Float6E2M3FN => "float6_e2m3fn",
            SubByte::Float6E3M2FN => "float6_e3m2fn",
        }
    }

    pub fn from_name(name: &str) -> Option<SubByte> {
        SubByte::ALL.into_iter().find(|t| t.name() == name)
    }

    /// The bits an element has.
    pub fn bits(self) -> u32 {
        match self {
            SubByte::Int2 | SubByte::UInt2 => 2,
            SubByte::Float6E2M3FN | SubByte::Float6E3M2FN => 6,
            _ => 4,
        }
    }

    /// For the floats, their format.
    pub fn float(self) -> Option<MiniFloat> {
        match self {
            SubByte::Float4E2M1FN => Some(MiniFloat { exp: 2, mant: 1 }),
            SubByte::Float6E2M3FN => Some(MiniFloat { exp: 2, mant: 3 }),
            SubByte::Float6E3M2FN => Some(MiniFloat { exp: 3, mant: 2 }),
            _ => None,
        }
    }

    /// Whether the type is a signed integer (its elements sign-extend).
    pub fn is_signed(self) -> bool {
        matches!(self, SubByte::Int2 | SubByte::Int4)
    }

    /// A stored byte as the caller's element: the low bits, sign-extended
    /// for the integers.
    #[inline]
    pub fn decode(self, b: u8) -> u8 {
        let shift = 8 - self.bits();
        if self.is_signed() {
            (((b << shift) as i8) >> shift) as u8
        } else {
            self.encode(b)
        }
    }

    /// The caller's element as a stored byte: its low bits.
    #[inline]
    pub fn encode(self, b: u8) -> u8 {
        b & ((1u8 << self.bits()) - 1)
    }

    /// The element of a `fill_value`: an integer in range, or for the
    /// floats a number or their code in hex (not "NaN" or the
    /// infinities, which they cannot hold).
    pub fn parse_fill(self, v: &Value) -> Option<u8> {
        match self {
            SubByte::Int2 | SubByte::Int4 => {
                let x = super::intish(v)?;
                let half = 1i128 << (self.bits() - 1);
                (-half..half).contains(&x).then_some(x as i8 as u8)
            }
            SubByte::UInt2 | SubByte::UInt4 => {
                let x = super::intish(v)?;
                (0..1i128 << self.bits()).contains(&x).then_some(x as u8)
            }
            SubByte::Float4E2M1FN | SubByte::Float6E2M3FN | SubByte::Float6E3M2FN => {
                let f = self.float()?;
                match v {
                    Value::Number(n) => Some(f.nearest(n.as_f64()?)),
                    // The code in hex; not "NaN" or the infinities, which
                    // the format cannot hold and its specification refuses.
                    Value::String(s) => {
                        let hex = s.strip_prefix("0x")?;
                        if hex.is_empty()
                            || hex.len() > 2
                            || !hex.bytes().all(|c| c.is_ascii_hexdigit())
                        {
                            return None;
                        }
                        let code = u8::from_str_radix(hex, 16).ok()?;
                        (code < 1 << self.bits()).then_some(code)
                    }
                    _ => None,
                }
            }
        }
    }

    /// The JSON form of an element (the inverse of `parse_fill`).
    pub fn fill_json(self, b: u8) -> Value {
        match self.float() {
            Some(f) => {
                let v = f.value(b);
                // -0.0 as a number would read back as 0.0.
                if v == 0.0 && b & f.sign_bit() != 0 {
                    Value::String(format!("0x{:02x}", f.sign_bit()))
                } else {
                    serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number)
                }
            }
            None if self.is_signed() => Value::from(self.decode(b) as i8),
            None => Value::from(self.decode(b)),
        }
    }
}

/// A float format of fewer than 8 bits with no infinity and no NaN (the
/// `fn` formats of the MX specification): a sign bit, `exp` exponent
/// bits with the bias `2^(exp-1) - 1`, `mant` mantissa bits, subnormals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MiniFloat {
    exp: u32,
    mant: u32,
}

impl MiniFloat {
    fn sign_bit(self) -> u8 {
        1 << (self.exp + self.mant)
    }

    /// The value of a code (its low bits).
    pub fn value(self, b: u8) -> f64 {
        let magnitude = b & (self.sign_bit() - 1);
        let (e, m) = (
            (magnitude >> self.mant) as i32,
            magnitude & ((1 << self.mant) - 1),
        );
        let bias = (1i32 << (self.exp - 1)) - 1;
        let scale = |p: i32| 2f64.powi(p);
        let v = if e == 0 {
            f64::from(m) * scale(1 - bias - self.mant as i32)
        } else {
            (1.0 + f64::from(m) / scale(self.mant as i32)) * scale(e - bias)
        };
        if b & self.sign_bit() != 0 {
            -v
        } else {
            v
        }
    }

    /// The code nearest `x`, as ml_dtypes converts: ties to the even
    /// code, past the largest value (infinities too) the largest value;
    /// NaN, which the format cannot hold, gives a zero of the opposite
    /// sign.
    pub fn nearest(self, x: f64) -> u8 {
        let sign = if x.is_sign_negative() {
            self.sign_bit()
        } else {
            0
        };
        if x.is_nan() {
            return sign ^ self.sign_bit();
        }
        let a = x.abs();
        // The positive values are the codes below the sign bit, in order.
        let top = self.sign_bit() - 1;
        let value = |c: u8| self.value(c);
        let i = (0..=top).find(|c| value(*c) >= a);
        let code = match i {
            None => top,
            Some(i) if i == 0 || value(i) == a => i,
            Some(i) => {
                let (lo, hi) = (value(i - 1), value(i));
                match (a - lo).partial_cmp(&(hi - a)) {
                    Some(std::cmp::Ordering::Less) => i - 1,
                    Some(std::cmp::Ordering::Greater) => i,
                    _ if (i - 1) % 2 == 0 => i - 1,
                    _ => i,
                }
            }
        };
        sign | code
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn integers_sign_extend_their_low_bits() {
        assert_eq!(SubByte::Int4.decode(0x0e), (-2i8) as u8);
        assert_eq!(SubByte::Int4.decode(0xfe), (-2i8) as u8);
        assert_eq!(SubByte::Int4.decode(0x17), 7);
        assert_eq!(SubByte::Int2.decode(0x02), (-2i8) as u8);
        assert_eq!(SubByte::Int2.decode(0x01), 1);
        assert_eq!(SubByte::Int4.encode((-2i8) as u8), 0x0e);
        assert_eq!(SubByte::Float4E2M1FN.decode(0xf3), 0x03);
        assert_eq!(SubByte::Int4.parse_fill(&json!(-8)), Some(0xf8));
        assert_eq!(SubByte::Int4.parse_fill(&json!(8)), None);
        assert_eq!(SubByte::Int4.parse_fill(&json!(-1.0)), Some(0xff));
        assert_eq!(SubByte::Float4E2M1FN.parse_fill(&json!("0x+f")), None);
        assert_eq!(SubByte::Int2.parse_fill(&json!(-3)), None);
        assert_eq!(SubByte::Int4.fill_json(0xf8), json!(-8));
        // The unsigned ones keep their low bits and extend with zeros.
        assert_eq!(SubByte::UInt4.decode(0xfe), 0x0e);
        assert_eq!(SubByte::UInt2.decode(0x07), 3);
        assert_eq!(SubByte::UInt4.encode(0xfe), 0x0e);
        assert_eq!(SubByte::UInt4.parse_fill(&json!(15)), Some(15));
        assert_eq!(SubByte::UInt4.parse_fill(&json!(16)), None);
        assert_eq!(SubByte::UInt2.parse_fill(&json!(-1)), None);
        assert_eq!(SubByte::UInt4.fill_json(0x0f), json!(15));
    }

    #[test]
    fn float4_rounds_as_ml_dtypes() {
        let float4_from_f64 = |x| SubByte::Float4E2M1FN.float().unwrap().nearest(x);
        // (value, code) pairs checked with ml_dtypes.
        for (x, code) in [
            (0.25, 0x0),
            (0.26, 0x1),
            (0.75, 0x2),
            (1.25, 0x2),
            (1.75, 0x4),
            (2.5, 0x4),
            (3.5, 0x6),
            (5.0, 0x6),
            (5.1, 0x7),
            (100.0, 0x7),
            (-100.0, 0xf),
            (f64::INFINITY, 0x7),
            (-0.0, 0x8),
            (f64::NAN, 0x8),
            (-f64::NAN, 0x0),
        ] {
            assert_eq!(float4_from_f64(x), code, "{x}");
        }
        for b in 0..16u8 {
            assert_eq!(
                SubByte::Float4E2M1FN.parse_fill(&SubByte::Float4E2M1FN.fill_json(b)),
                Some(b)
            );
        }
    }

    #[test]
    fn float6_rounds_as_ml_dtypes() {
        // (value, float6_e2m3fn code, float6_e3m2fn code) as ml_dtypes
        // 0.7 converts them.
        for (x, e2m3, e3m2) in [
            (7.6, 31, 24),
            (100.0, 31, 31),
            (f64::INFINITY, 31, 31),
            (f64::NEG_INFINITY, 63, 63),
            (f64::NAN, 32, 32),
            (-f64::NAN, 0, 0),
            (0.3, 2, 5),
            (-0.0, 32, 32),
            (1e-9, 0, 0),
            (1.0, 8, 12),
            (0.125, 1, 2),
            (28.0, 31, 31),
            (0.0625, 0, 1),
            (0.1875, 2, 3),
            (0.09375, 1, 2),
            (0.15625, 1, 2),
            (26.0, 31, 30),
            (30.0, 31, 31),
        ] {
            let (a, b) = (SubByte::Float6E2M3FN, SubByte::Float6E3M2FN);
            assert_eq!(a.float().unwrap().nearest(x), e2m3, "e2m3 {x}");
            assert_eq!(b.float().unwrap().nearest(x), e3m2, "e3m2 {x}");
        }
        for t in [SubByte::Float6E2M3FN, SubByte::Float6E3M2FN] {
            for b in 0..64u8 {
                assert_eq!(t.parse_fill(&t.fill_json(b)), Some(b), "{t:?} {b}");
            }
            assert_eq!(t.decode(0xff), 0x3f);
            assert_eq!(t.parse_fill(&json!("0x40")), None);
            for constant in ["NaN", "Infinity", "-Infinity"] {
                assert_eq!(t.parse_fill(&json!(constant)), None, "{t:?} {constant}");
            }
        }
        assert_eq!(SubByte::Float6E2M3FN.float().unwrap().value(31), 7.5);
        assert_eq!(SubByte::Float6E3M2FN.float().unwrap().value(31), 28.0);
    }
}
