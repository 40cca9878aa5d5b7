//! The data types narrower than a byte that tensorstore's zarr3 arrays
//! store one per byte (zarr-extensions `int2`, `int4`, `float4_e2m1fn`,
//! and `uint2`, `uint4`, which zarrs writes): the `bytes` codec keeps
//! the value in the low bits and ignores the rest when reading; the
//! `packbits` codec packs the bits alone.
//!
//! In the caller's memory each element is one byte: the signed integers
//! as an `int8` (sign-extended), the unsigned ones as a `uint8`,
//! `float4_e2m1fn` as its 4-bit code with the upper bits clear (as
//! ml_dtypes holds them; ml_dtypes' `int4` reads the sign-extended bytes
//! too). Writing keeps the low bits, so other upper
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
}

/// The positive values of `float4_e2m1fn`, by code.
const FLOAT4: [f64; 8] = [0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0];

impl SubByte {
    pub const ALL: [SubByte; 5] = [
        SubByte::Int2,
        SubByte::Int4,
        SubByte::UInt2,
        SubByte::UInt4,
        SubByte::Float4E2M1FN,
    ];

    pub fn name(self) -> &'static str {
        match self {
            SubByte::Int2 => "int2",
            SubByte::Int4 => "int4",
            SubByte::UInt2 => "uint2",
            SubByte::UInt4 => "uint4",
            SubByte::Float4E2M1FN => "float4_e2m1fn",
        }
    }

    pub fn from_name(name: &str) -> Option<SubByte> {
        SubByte::ALL.into_iter().find(|t| t.name() == name)
    }

    /// The bits an element has.
    pub fn bits(self) -> u32 {
        match self {
            SubByte::Int2 | SubByte::UInt2 => 2,
            _ => 4,
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
    /// float a number, "NaN", "Infinity", "-Infinity" or its code in hex.
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
            SubByte::Float4E2M1FN => match v {
                Value::Number(n) => Some(float4_from_f64(n.as_f64()?)),
                Value::String(s) => match s.as_str() {
                    "NaN" => Some(float4_from_f64(f64::NAN)),
                    "Infinity" => Some(float4_from_f64(f64::INFINITY)),
                    "-Infinity" => Some(float4_from_f64(f64::NEG_INFINITY)),
                    _ => {
                        let hex = s.strip_prefix("0x")?;
                        if hex.is_empty()
                            || hex.len() > 2
                            || !hex.bytes().all(|c| c.is_ascii_hexdigit())
                        {
                            return None;
                        }
                        let code = u8::from_str_radix(hex, 16).ok()?;
                        (code < 16).then_some(code)
                    }
                },
                _ => None,
            },
        }
    }

    /// The JSON form of an element (the inverse of `parse_fill`).
    pub fn fill_json(self, b: u8) -> Value {
        match self {
            SubByte::Float4E2M1FN => {
                let v = float4_to_f64(b);
                // -0.0 as a number would read back as 0.0.
                if v == 0.0 && b & 0x08 != 0 {
                    Value::String("0x08".into())
                } else {
                    serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number)
                }
            }
            _ if self.is_signed() => Value::from(self.decode(b) as i8),
            _ => Value::from(self.decode(b)),
        }
    }
}

/// The value of a `float4_e2m1fn` code (its low 4 bits).
pub fn float4_to_f64(b: u8) -> f64 {
    let v = FLOAT4[(b & 0x07) as usize];
    if b & 0x08 != 0 {
        -v
    } else {
        v
    }
}

/// The `float4_e2m1fn` code nearest `x`, as ml_dtypes converts: ties to
/// the even code, past 6 (infinities too) the largest value; NaN, which
/// the type cannot hold, gives a zero of the opposite sign.
pub fn float4_from_f64(x: f64) -> u8 {
    let sign = if x.is_sign_negative() { 0x08 } else { 0 };
    if x.is_nan() {
        return sign ^ 0x08;
    }
    let a = x.abs();
    let i = FLOAT4.partition_point(|v| *v < a);
    let code = if i == FLOAT4.len() {
        7
    } else if FLOAT4[i] == a || i == 0 {
        i
    } else {
        let (lo, hi) = (FLOAT4[i - 1], FLOAT4[i]);
        match (a - lo).partial_cmp(&(hi - a)) {
            Some(std::cmp::Ordering::Less) => i - 1,
            Some(std::cmp::Ordering::Greater) => i,
            _ if (i - 1) % 2 == 0 => i - 1,
            _ => i,
        }
    };
    sign | code as u8
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
}
