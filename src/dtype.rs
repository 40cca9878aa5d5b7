//! Zarr v3 data types and their fill values.
//!
//! Decoded chunks hold elements in the host's native byte order; a fill value
//! is kept as the bytes of one such element, so comparing a chunk with the
//! fill value is a bitwise comparison (NaN payloads and -0.0 included).

use crate::error::{invalid_metadata, unsupported, Result};
use crate::time_unit::TimeUnit;
use half::{bf16, f16};
use serde_json::Value;
use std::sync::Arc;

mod float8;
mod ndarray;
mod optional;
mod structure;
mod subbyte;
pub use float8::Float8;
pub use ndarray::NdArrayType;
pub(crate) use ndarray::NDARRAY;
pub use optional::OptionalType;
pub(crate) use structure::{swap_units, MAX_DEPTH as MAX_STRUCT_DEPTH, STRUCT};
pub use structure::{StructField, StructType, SwapRun};
pub use subbyte::SubByte;

/// A Zarr data type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DataType {
    Bool,
    Int8,
    Int16,
    Int32,
    Int64,
    UInt8,
    UInt16,
    UInt32,
    UInt64,
    Float16,
    BFloat16,
    Float32,
    Float64,
    Complex64,
    Complex128,
    /// `r<N>`: N bits of raw data, N a positive multiple of 8; stored as bytes.
    RawBits(usize),
    /// `string`: variable-length UTF-8 text (the `vlen-utf8` codec). Its
    /// elements have no fixed size: they are read and written through
    /// `Array::read_strings` / `write_strings`, not the fixed-size paths.
    String,
    /// `variable_length_bytes` (zarr-python 3.0: `bytes`): variable-length
    /// byte strings (the `vlen-bytes` codec).
    Bytes,
    /// `fixed_length_utf32` (numpy's `U<n>`, `{"name":
    /// "fixed_length_utf32", "configuration": {"length_bytes": 4n}}`): n
    /// UTF-32 code units, NUL-padded; each unit has the byte order.
    FixedUtf32(usize),
    /// `numpy.datetime64` (`{"unit", "scale_factor"}`): int64 counts of
    /// the unit times the scale since the epoch; the least int64 is NaT.
    DateTime64(TimeUnit, u32),
    /// `numpy.timedelta64`: int64 counts of the unit times the scale.
    TimeDelta64(TimeUnit, u32),
    /// `null_terminated_bytes` (numpy's `S<n>`, `{"length_bytes": n}`): n
    /// bytes, NUL-padded.
    NullTerminatedBytes(usize),
    /// `raw_bytes` (numpy's `V<n>`, `{"length_bytes": n}`): n opaque bytes.
    RawBytes(usize),
    /// `struct`: records of named fields, packed in declaration order.
    Struct(Arc<StructType>),
    /// `float8_e4m3fn`, `float8_e5m2`, ...: one-byte floats.
    Float8(Float8),
    /// `int2`, `int4`, `uint2`, `uint4`, `float4_e2m1fn`, `float6_e2m3fn`,
    /// `float6_e3m2fn`: fewer than 8 bits, one byte each.
    SubByte(SubByte),
    /// `complex_float16`, `complex_bfloat16`, `complex_float32`,
    /// `complex_float8_e4m3`, `complex_float4_e2m1fn`, ... (zarr-extensions;
    /// the zarrs crate writes them): a real and an imaginary part of the
    /// named float type, side by side, each as that type is stored (the
    /// narrower-than-a-byte ones one byte each). `complex64` and
    /// `complex128` are their own variants.
    Complex(Box<DataType>),
    /// `N<i>f<f>` (zarr-extensions' fixed-point proposal; Julia's
    /// `Normed{UInt<bits>, f}`): an unsigned integer of `bits` bits (i + f:
    /// 8, 16, 32 or 64) standing for itself over 2^f - 1. Stored, and held
    /// in the caller's memory, as that unsigned integer; fill values are
    /// the numbers they stand for.
    Normed {
        bits: u32,
        frac: u32,
    },
    /// `binary_fixed_point` (zarr-extensions' proposal; Julia's
    /// `Fixed{T, f}`): the integer `base` (int8..int64, uint8..uint64)
    /// standing for itself times 2^-frac, with `int_bits` integer bits
    /// (and a sign bit when signed) in use. Stored, and held in the
    /// caller's memory, as that integer.
    BinaryFixedPoint {
        base: Box<DataType>,
        frac: u32,
        int_bits: u32,
    },
    /// `ndarray` (zarr-extensions): each element an array of a core
    /// scalar type of a shape pattern, of fixed size or (with a variable
    /// dimension) variable-length items.
    NdArray(Arc<NdArrayType>),
    /// `optional` (zarr-extensions; zarrs' `zarrs.optional`): an element
    /// of the inner type or missing, held as the inner type's bytes and a
    /// validity byte (1 present, 0 missing); stored through the
    /// `optional` codec.
    Optional(Arc<OptionalType>),
}

const BINARY_FIXED_POINT: &str = "binary_fixed_point";

/// The prefix of the complex types named by their parts' type.
const COMPLEX_OF: &str = "complex_";

/// What kind of number a core data type's elements are, for bindings
/// that check a caller's element type (`zarrio_array_check_element`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumberKind {
    Bool,
    Signed,
    Unsigned,
    Float,
    Complex,
}

impl NumberKind {
    /// Whether a caller's elements of the kind named `given` ("bool",
    /// "signed", "unsigned", "integer" for either, "float", "complex")
    /// are of this kind.
    pub fn accepts(self, given: &str) -> bool {
        matches!(
            (self, given),
            (NumberKind::Bool, "bool")
                | (NumberKind::Signed, "signed" | "integer")
                | (NumberKind::Unsigned, "unsigned" | "integer")
                | (NumberKind::Float, "float")
                | (NumberKind::Complex, "complex")
        )
    }
}

/// How a change of byte order rearranges the bytes of a type's elements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByteOrderUnits<'a> {
    /// Nothing moves: no unit has more than one byte.
    None,
    /// Every `n`-byte group of the data is reversed (n > 1).
    Every(usize),
    /// The runs of units of each element of `elem` bytes (a struct whose
    /// fields differ).
    Runs { elem: usize, runs: &'a [SwapRun] },
}

/// The largest element of a string-like fixed-size type (`U<n>`, v2's
/// `|S` / `|V`) opened: its fill value is built from the metadata alone,
/// which must not be able to ask for gigabytes.
pub(crate) const MAX_ITEM_BYTES: usize = 1 << 20;

/// The name of numpy's fixed-length unicode type in Zarr v3.
pub(crate) const FIXED_UTF32: &str = "fixed_length_utf32";
const DATETIME64: &str = "numpy.datetime64";
const TIMEDELTA64: &str = "numpy.timedelta64";
pub(crate) const NULL_TERMINATED_BYTES: &str = "null_terminated_bytes";
pub(crate) const RAW_BYTES: &str = "raw_bytes";

impl DataType {
    /// The `data_type` field of `zarr.json`: the name, or for a type with a
    /// configuration the `{"name", "configuration"}` object.
    pub fn to_json(&self) -> Value {
        match self {
            DataType::FixedUtf32(n) => serde_json::json!({
                "name": FIXED_UTF32, "configuration": {"length_bytes": n * 4}
            }),
            DataType::DateTime64(unit, scale) | DataType::TimeDelta64(unit, scale) => {
                serde_json::json!({
                    "name": self.name(),
                    "configuration": {"unit": unit.name(), "scale_factor": scale}
                })
            }
            DataType::NullTerminatedBytes(n) | DataType::RawBytes(n) => serde_json::json!({
                "name": self.name(), "configuration": {"length_bytes": n}
            }),
            DataType::Struct(s) => s.to_json(),
            DataType::NdArray(t) => t.to_json(),
            DataType::Optional(t) => t.to_json(),
            DataType::BinaryFixedPoint {
                base,
                frac,
                int_bits,
            } => serde_json::json!({
                "name": BINARY_FIXED_POINT,
                "configuration": {"base_data_type": base.name(), "fractional_bits": frac,
                                  "integer_bits": int_bits}
            }),
            _ => Value::String(self.name()),
        }
    }

    /// Parse the `data_type` field of `zarr.json`.
    pub fn from_json(v: &Value) -> Result<DataType> {
        DataType::from_json_at(v, 0)
    }

    /// `from_json` for a type nested `depth` structs deep.
    fn from_json_at(v: &Value, depth: usize) -> Result<DataType> {
        match v {
            Value::String(s) => DataType::from_name(s),
            Value::Object(o) => {
                let name = o
                    .get("name")
                    .and_then(Value::as_str)
                    .ok_or_else(|| invalid_metadata("data_type object has no string \"name\""))?;
                if name == FIXED_UTF32 {
                    let n = o
                        .get("configuration")
                        .and_then(|c| c.get("length_bytes"))
                        .and_then(Value::as_u64)
                        .filter(|n| *n > 0 && n % 4 == 0 && *n <= MAX_ITEM_BYTES as u64)
                        .ok_or_else(|| {
                            invalid_metadata(format!(
                                "data type \"{FIXED_UTF32}\" needs a configuration with \
                                 \"length_bytes\", a positive multiple of 4 (at most \
                                 {MAX_ITEM_BYTES})"
                            ))
                        })?;
                    return Ok(DataType::FixedUtf32(n as usize / 4));
                }
                if name == NULL_TERMINATED_BYTES || name == RAW_BYTES {
                    let n = o
                        .get("configuration")
                        .and_then(|c| c.get("length_bytes"))
                        .and_then(Value::as_u64)
                        .filter(|n| *n > 0 && *n <= MAX_ITEM_BYTES as u64)
                        .ok_or_else(|| {
                            invalid_metadata(format!(
                                "data type \"{name}\" needs a configuration with \
                                 \"length_bytes\", 1 to {MAX_ITEM_BYTES}"
                            ))
                        })? as usize;
                    return Ok(if name == RAW_BYTES {
                        DataType::RawBytes(n)
                    } else {
                        DataType::NullTerminatedBytes(n)
                    });
                }
                if name == structure::STRUCT || name == structure::STRUCTURED {
                    return Ok(DataType::Struct(Arc::new(StructType::from_configuration(
                        name,
                        o.get("configuration"),
                        depth,
                    )?)));
                }
                if name == BINARY_FIXED_POINT {
                    return binary_fixed_point(o.get("configuration"));
                }
                if OptionalType::is_name(name) {
                    return Ok(DataType::Optional(Arc::new(
                        OptionalType::from_configuration(name, o.get("configuration"), depth)?,
                    )));
                }
                if name == ndarray::NDARRAY {
                    return Ok(DataType::NdArray(Arc::new(
                        NdArrayType::from_configuration(o.get("configuration"))?,
                    )));
                }
                if name == DATETIME64 || name == TIMEDELTA64 {
                    let cfg = o.get("configuration");
                    let unit = cfg
                        .and_then(|c| c.get("unit"))
                        .and_then(Value::as_str)
                        .ok_or_else(|| {
                            invalid_metadata(format!(
                                "data type \"{name}\" needs a configuration with a string \"unit\""
                            ))
                        })?;
                    let unit = TimeUnit::parse(unit)?;
                    let scale = match cfg.and_then(|c| c.get("scale_factor")) {
                        None => 1,
                        Some(v) => v
                            .as_u64()
                            .filter(|n| *n > 0 && *n < 1 << 31)
                            .ok_or_else(|| {
                                invalid_metadata(format!(
                                    "data type \"{name}\": scale_factor {v} is not an integer 1..2^31-1"
                                ))
                            })? as u32,
                    };
                    return Ok(if name == DATETIME64 {
                        DataType::DateTime64(unit, scale)
                    } else {
                        DataType::TimeDelta64(unit, scale)
                    });
                }
                if let Some(cfg) = o.get("configuration") {
                    if !cfg.as_object().map(|m| m.is_empty()).unwrap_or(false) {
                        return Err(unsupported(format!(
                            "data type \"{name}\" with a configuration is not supported"
                        )));
                    }
                }
                DataType::from_name(name)
            }
            _ => Err(invalid_metadata("data_type must be a string or an object")),
        }
    }

    /// Parse a data type name such as `"float32"` or `"r24"`.
    pub fn from_name(name: &str) -> Result<DataType> {
        use DataType::*;
        Ok(match name {
            "bool" => Bool,
            "int8" => Int8,
            "int16" => Int16,
            "int32" => Int32,
            "int64" => Int64,
            "uint8" => UInt8,
            "uint16" => UInt16,
            "uint32" => UInt32,
            "uint64" => UInt64,
            "float16" => Float16,
            "bfloat16" => BFloat16,
            "float32" => Float32,
            "float64" => Float64,
            "complex64" => Complex64,
            "complex128" => Complex128,
            "string" => String,
            "variable_length_bytes" | "bytes" => Bytes,
            ndarray::NDARRAY => {
                return Err(invalid_metadata(
                    "data type \"ndarray\" needs a configuration with \"dtype\" and \"shape\"",
                ))
            }
            _ if normed_from_name(name).is_some() => {
                let (bits, frac) = normed_from_name(name).expect("checked");
                Normed { bits, frac }
            }
            _ if name.starts_with(COMPLEX_OF) => {
                return complex_part_from_name(&name[COMPLEX_OF.len()..])
                    .map(|part| Complex(Box::new(part)))
                    .ok_or_else(|| {
                        unsupported(format!("unknown or unsupported data type \"{name}\""))
                    })
            }
            _ => {
                if let Some(f) = float8::Float8::from_name(name) {
                    return Ok(Float8(f));
                }
                if let Some(t) = subbyte::SubByte::from_name(name) {
                    return Ok(SubByte(t));
                }
                // r<bits>, plain decimal digits only ("r+8" and "r008" are
                // not names of the spec; Rust's parser would take them).
                if let Some(bits) = name.strip_prefix('r').filter(|b| {
                    b.bytes().all(|c| c.is_ascii_digit()) && !(b.len() > 1 && b.starts_with('0'))
                }) {
                    let n: usize = bits
                        .parse()
                        .map_err(|_| unsupported(format!("unknown data type \"{name}\"")))?;
                    if n == 0 || n % 8 != 0 {
                        return Err(invalid_metadata(format!(
                            "raw data type \"{name}\": the bit count must be a positive multiple of 8"
                        )));
                    }
                    RawBits(n / 8)
                } else {
                    return Err(unsupported(format!(
                        "unknown or unsupported data type \"{name}\""
                    )));
                }
            }
        })
    }

    /// The name written to `zarr.json`.
    pub fn name(&self) -> String {
        use DataType::*;
        match self {
            Bool => "bool".into(),
            Int8 => "int8".into(),
            Int16 => "int16".into(),
            Int32 => "int32".into(),
            Int64 => "int64".into(),
            UInt8 => "uint8".into(),
            UInt16 => "uint16".into(),
            UInt32 => "uint32".into(),
            UInt64 => "uint64".into(),
            Float16 => "float16".into(),
            BFloat16 => "bfloat16".into(),
            Float32 => "float32".into(),
            Float64 => "float64".into(),
            Complex64 => "complex64".into(),
            Complex128 => "complex128".into(),
            RawBits(n) => format!("r{}", n * 8),
            String => "string".into(),
            Bytes => "variable_length_bytes".into(),
            FixedUtf32(_) => FIXED_UTF32.into(),
            DateTime64(..) => DATETIME64.into(),
            TimeDelta64(..) => TIMEDELTA64.into(),
            Float8(f) => f.name().into(),
            SubByte(t) => t.name().into(),
            NullTerminatedBytes(_) => NULL_TERMINATED_BYTES.into(),
            RawBytes(_) => RAW_BYTES.into(),
            Struct(_) => structure::STRUCT.into(),
            Complex(part) => format!("{COMPLEX_OF}{}", part.name()),
            Normed { bits, frac } => format!("N{}f{frac}", bits - frac),
            BinaryFixedPoint { .. } => BINARY_FIXED_POINT.into(),
            NdArray(_) => ndarray::NDARRAY.into(),
            Optional(t) => t.name().into(),
        }
    }

    /// The type this one is stored as, which codecs see: the unsigned
    /// integer of a normed fixed-point type, else the type itself.
    pub fn storage_type(&self) -> DataType {
        match self {
            DataType::Normed { bits, .. } => match bits {
                8 => DataType::UInt8,
                16 => DataType::UInt16,
                32 => DataType::UInt32,
                _ => DataType::UInt64,
            },
            DataType::BinaryFixedPoint { base, .. } => (**base).clone(),
            t => t.clone(),
        }
    }

    /// The kind of number of the types every language has (bool, the
    /// integers, float32 and float64, complex64 and complex128) and of
    /// those held as integers (the narrow integers, times); None for the
    /// others (float16, the narrow floats, raw bits, structs, ...), which
    /// callers hold as integers or records of the same size.
    pub fn number_kind(&self) -> Option<NumberKind> {
        use DataType::*;
        Some(match self {
            Bool => NumberKind::Bool,
            // The narrow integers are an int8 or uint8 each in the
            // caller's memory, the times int64 counts.
            Int8 | Int16 | Int32 | Int64 | DateTime64(..) | TimeDelta64(..) => NumberKind::Signed,
            SubByte(t) if t.float().is_none() && t.is_signed() => NumberKind::Signed,
            SubByte(t) if t.float().is_none() => NumberKind::Unsigned,
            UInt8 | UInt16 | UInt32 | UInt64 | Normed { .. } => NumberKind::Unsigned,
            BinaryFixedPoint { base, .. } => return base.number_kind(),
            Float32 | Float64 => NumberKind::Float,
            Complex64 | Complex128 => NumberKind::Complex,
            _ => return None,
        })
    }

    /// For a complex type, the type of its real and imaginary parts.
    pub fn complex_part(&self) -> Option<DataType> {
        match self {
            DataType::Complex64 => Some(DataType::Float32),
            DataType::Complex128 => Some(DataType::Float64),
            DataType::Complex(part) => Some((**part).clone()),
            _ => None,
        }
    }

    /// The type narrower than a byte that every byte of an element holds
    /// (the type itself, or the parts of a complex type of it): its bytes
    /// change on the way in and out of the `bytes` codec.
    pub fn sub_byte_unit(&self) -> Option<SubByte> {
        match self {
            DataType::SubByte(t) => Some(*t),
            DataType::Complex(part) => part.sub_byte_unit(),
            _ => None,
        }
    }

    /// Whether elements have no fixed size (`string`, bytes).
    pub fn is_variable_length(&self) -> bool {
        match self {
            DataType::String | DataType::Bytes => true,
            DataType::NdArray(t) => t.is_variable(),
            _ => false,
        }
    }

    /// Bytes per element (0 for the variable-length types).
    pub fn size(&self) -> usize {
        use DataType::*;
        match self {
            String | Bytes => 0,
            FixedUtf32(n) => 4 * n,
            DateTime64(..) | TimeDelta64(..) => 8,
            Bool | Int8 | UInt8 | Float8(_) | SubByte(_) => 1,
            Int16 | UInt16 | Float16 | BFloat16 => 2,
            Int32 | UInt32 | Float32 => 4,
            Int64 | UInt64 | Float64 | Complex64 => 8,
            Complex128 => 16,
            RawBits(n) | NullTerminatedBytes(n) | RawBytes(n) => *n,
            Struct(s) => s.size(),
            Complex(part) => 2 * part.size(),
            Normed { bits, .. } => *bits as usize / 8,
            BinaryFixedPoint { base, .. } => base.size(),
            NdArray(t) if t.is_variable() => 0,
            NdArray(t) => t.record_size(),
            Optional(t) => t.size(),
        }
    }

    /// How a change of byte order rearranges this type's elements.
    pub fn byte_order_units(&self) -> ByteOrderUnits<'_> {
        use DataType::*;
        let unit = match self {
            Complex64 | Complex128 | Complex(_) => self.complex_part().map_or(1, |p| p.size()),
            // Only the `optional` codec takes these, and it hands the
            // values to the inner type's codecs.
            RawBits(_) | NullTerminatedBytes(_) | RawBytes(_) | String | Bytes | Optional(_) => 1,
            FixedUtf32(_) => 4,
            // Each scalar of an element, whatever the element's length.
            NdArray(t) => return t.scalar().byte_order_units(),
            Struct(s) => {
                return match s.swaps() {
                    [] => ByteOrderUnits::None,
                    [r] if r.offset == 0 && r.unit * r.count == s.size() => {
                        ByteOrderUnits::Every(r.unit)
                    }
                    runs => ByteOrderUnits::Runs {
                        elem: s.size(),
                        runs,
                    },
                }
            }
            t => t.size(),
        };
        if unit > 1 {
            ByteOrderUnits::Every(unit)
        } else {
            ByteOrderUnits::None
        }
    }

    /// Whether the type has a byte order (some unit of more than one byte).
    pub fn has_byte_order(&self) -> bool {
        self.byte_order_units() != ByteOrderUnits::None
    }

    /// Add this type's byte-order units, for an element placed at `offset`
    /// in a struct, to `runs`.
    fn push_swaps(&self, offset: usize, runs: &mut Vec<SwapRun>) {
        match self.byte_order_units() {
            ByteOrderUnits::None => {}
            ByteOrderUnits::Every(unit) => SwapRun::push(runs, offset, unit, self.size() / unit),
            ByteOrderUnits::Runs { runs: inner, .. } => {
                for r in inner {
                    SwapRun::push(runs, offset + r.offset, r.unit, r.count);
                }
            }
        }
    }

    /// Reverse the byte order of `data`, elements of this type.
    pub fn swap_byte_order(&self, data: &mut [u8]) {
        match self.byte_order_units() {
            ByteOrderUnits::None => {}
            ByteOrderUnits::Every(unit) => crate::codec::bytes::swap_in_place(data, unit),
            ByteOrderUnits::Runs { elem, runs } => swap_units(data, runs, elem),
        }
    }

    /// Parse a `fill_value` JSON value into the bytes of one element
    /// (native byte order; for the variable-length types, the value's
    /// bytes: UTF-8 for `string`, base64-decoded for bytes).
    pub fn parse_fill_value(&self, v: &Value) -> Result<Vec<u8>> {
        use DataType::*;
        let bad = || {
            invalid_metadata(format!(
                "invalid fill_value {v} for data type {}",
                self.name()
            ))
        };
        match self {
            Bool => match v {
                Value::Bool(b) => Ok(vec![*b as u8]),
                _ => Err(bad()),
            },
            Int8 | Int16 | Int32 | Int64 => {
                let x = intish(v)
                    .and_then(|x| i64::try_from(x).ok())
                    .ok_or_else(bad)?;
                let bits = self.size() * 8;
                if bits < 64 {
                    let (lo, hi) = (-(1i64 << (bits - 1)), (1i64 << (bits - 1)) - 1);
                    if x < lo || x > hi {
                        return Err(bad());
                    }
                }
                Ok(x.to_ne_bytes_trunc(self.size()))
            }
            UInt8 | UInt16 | UInt32 | UInt64 => {
                let x = intish(v)
                    .and_then(|x| u64::try_from(x).ok())
                    .ok_or_else(bad)?;
                let bits = self.size() * 8;
                if bits < 64 && x >= (1u64 << bits) {
                    return Err(bad());
                }
                Ok((x as i64).to_ne_bytes_trunc(self.size()))
            }
            Float16 | BFloat16 | Float32 | Float64 => {
                parse_float(v, self.size(), self).ok_or_else(bad)
            }
            RawBits(n) => fill_bytes(v).filter(|b| b.len() == *n).ok_or_else(bad),
            // zarr-python writes these as base64, numpy's scalar of the
            // type: trailing NULs dropped, so shorter values are padded.
            NullTerminatedBytes(n) | RawBytes(n) => {
                let mut b = fill_bytes(v).filter(|b| b.len() <= *n).ok_or_else(bad)?;
                b.resize(*n, 0);
                Ok(b)
            }
            Struct(s) => s.parse_fill_value(v),
            NdArray(t) => t.parse_fill_value(v),
            Optional(t) => t.parse_fill_value(v),
            BinaryFixedPoint {
                base,
                frac,
                int_bits,
            } => {
                let signed = base.number_kind() == Some(NumberKind::Signed);
                let used = frac + int_bits;
                let code: i128 = match v {
                    // The integer itself, as hex of the base type's size.
                    Value::String(h) => {
                        let hex = h
                            .strip_prefix("0x")
                            .filter(|x| {
                                x.len() == 2 * base.size()
                                    && x.bytes().all(|c| c.is_ascii_hexdigit())
                            })
                            .ok_or_else(bad)?;
                        let raw = u64::from_str_radix(hex, 16).map_err(|_| bad())?;
                        let bits = 8 * base.size() as u32;
                        if signed {
                            // Sign-extended from the base type's width.
                            i128::from(((raw << (64 - bits)) as i64) >> (64 - bits))
                        } else {
                            i128::from(raw)
                        }
                    }
                    _ => {
                        let x = v.as_f64().ok_or_else(bad)?;
                        let r = (x * 2f64.powi(*frac as i32)).round_ties_even();
                        // Far out of range (and not a number) before the
                        // cast, which saturates.
                        if !r.is_finite() || r.abs() > 2f64.powi(used as i32 + 1) {
                            return Err(bad());
                        }
                        r as i128
                    }
                };
                // Within the integers the used bits hold.
                let (lo, hi) = if signed {
                    (-(1i128 << used), (1i128 << used) - 1)
                } else {
                    (0, (1i128 << used) - 1)
                };
                if code < lo || code > hi {
                    return Err(bad());
                }
                Ok((code as i64).to_ne_bytes_trunc(self.size()))
            }
            Normed { bits, frac } => {
                let code = v
                    .as_f64()
                    .and_then(|x| normed_code(x, *bits, *frac))
                    .ok_or_else(bad)?;
                Ok((code as i64).to_ne_bytes_trunc(self.size()))
            }
            // A real and an imaginary part, each as its type takes it.
            Complex64 | Complex128 | Complex(_) => {
                let part = self.complex_part().expect("a complex type");
                match v {
                    Value::Array(a) if a.len() == 2 => {
                        let mut out = part.parse_fill_value(&a[0]).map_err(|_| bad())?;
                        out.extend(part.parse_fill_value(&a[1]).map_err(|_| bad())?);
                        Ok(out)
                    }
                    _ => Err(bad()),
                }
            }
            SubByte(t) => t.parse_fill(v).map(|b| vec![b]).ok_or_else(bad),
            Float8(f) => {
                let x = match v {
                    Value::Number(n) => n.as_f64().ok_or_else(bad)?,
                    Value::String(s) => match s.as_str() {
                        "NaN" => f64::NAN,
                        // The finite formats have no infinity to stand for.
                        "Infinity" | "-Infinity" if !f.has_infinity() => return Err(bad()),
                        "Infinity" => f64::INFINITY,
                        "-Infinity" => f64::NEG_INFINITY,
                        // The byte itself, as for the other floats.
                        _ => {
                            let hex = s
                                .strip_prefix("0x")
                                .filter(|h| {
                                    h.len() == 2 && h.bytes().all(|c| c.is_ascii_hexdigit())
                                })
                                .ok_or_else(bad)?;
                            return Ok(vec![u8::from_str_radix(hex, 16).map_err(|_| bad())?]);
                        }
                    },
                    _ => return Err(bad()),
                };
                Ok(vec![f.from_f64(x)])
            }
            String => match v {
                Value::String(s) => Ok(s.as_bytes().to_vec()),
                _ => Err(bad()),
            },
            Bytes => fill_bytes(v).ok_or_else(bad),
            DateTime64(..) | TimeDelta64(..) => match v {
                Value::String(s) if s == "NaT" => Ok(i64::MIN.to_ne_bytes().to_vec()),
                _ => Ok(v.as_i64().ok_or_else(bad)?.to_ne_bytes().to_vec()),
            },
            FixedUtf32(n) => {
                let s = v.as_str().ok_or_else(bad)?;
                // Longer fills are cut to the length, as numpy casts them.
                let units: Vec<u32> = s.chars().take(*n).map(u32::from).collect();
                let mut out = vec![0u8; 4 * n];
                for (o, u) in out.chunks_exact_mut(4).zip(units) {
                    o.copy_from_slice(&u.to_ne_bytes());
                }
                Ok(out)
            }
        }
    }

    /// The JSON form of a fill value (inverse of `parse_fill_value`).
    pub fn fill_value_to_json(&self, bytes: &[u8]) -> Value {
        use DataType::*;
        debug_assert!(self.is_variable_length() || bytes.len() == self.size());
        match self {
            Bool => Value::Bool(bytes[0] != 0),
            Int8 => (bytes[0] as i8).into(),
            Int16 => i16::from_ne_bytes(bytes.try_into().unwrap()).into(),
            Int32 => i32::from_ne_bytes(bytes.try_into().unwrap()).into(),
            Int64 => i64::from_ne_bytes(bytes.try_into().unwrap()).into(),
            UInt8 => bytes[0].into(),
            UInt16 => u16::from_ne_bytes(bytes.try_into().unwrap()).into(),
            UInt32 => u32::from_ne_bytes(bytes.try_into().unwrap()).into(),
            UInt64 => u64::from_ne_bytes(bytes.try_into().unwrap()).into(),
            Float16 | BFloat16 | Float32 | Float64 => float_to_json(bytes, self),
            RawBits(_) => Value::Array(bytes.iter().map(|b| Value::from(*b)).collect()),
            String => Value::String(std::string::String::from_utf8_lossy(bytes).into_owned()),
            Bytes | RawBytes(_) => base64_json(bytes),
            // As numpy's scalar of the type, without its trailing NULs.
            NullTerminatedBytes(_) => {
                let end = bytes.iter().rposition(|b| *b != 0).map_or(0, |i| i + 1);
                base64_json(&bytes[..end])
            }
            Struct(s) => s.fill_value_to_json(bytes),
            NdArray(t) => t.fill_value_to_json(bytes),
            Optional(t) => t.fill_value_to_json(bytes),
            BinaryFixedPoint { base, frac, .. } => {
                let raw = float_bits(bytes);
                let bits = 8 * bytes.len() as u32;
                let code = if base.number_kind() == Some(NumberKind::Signed) {
                    (((raw << (64 - bits)) as i64) >> (64 - bits)) as f64
                } else {
                    raw as f64
                };
                serde_json::Number::from_f64(code * 2f64.powi(-(*frac as i32)))
                    .map_or(Value::Null, Value::Number)
            }
            Normed { frac, .. } => {
                let code = float_bits(bytes);
                let v = code as f64 / (2f64.powi(*frac as i32) - 1.0);
                serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number)
            }
            Complex64 | Complex128 | Complex(_) => {
                let part = self.complex_part().expect("a complex type");
                let (re, im) = bytes.split_at(part.size());
                Value::Array(vec![
                    part.fill_value_to_json(re),
                    part.fill_value_to_json(im),
                ])
            }
            // tensorstore reads numbers as e8m0fnu fill values with another
            // bias than the specification's (0.5 as 2^-65): the byte
            // itself, in hex, means the same to every reader.
            Float8(float8::Float8::E8M0FNU) if bytes[0] != 0xFF => {
                format!("0x{:02x}", bytes[0]).into()
            }
            Float8(f) => float_json(f.to_f64(bytes[0]), bytes[0] == f.nan(), bytes[0] as u64, 1),
            SubByte(t) => t.fill_json(bytes[0]),
            // The least int64 is NaT, which numpy and zarr-python spell so.
            DateTime64(..) | TimeDelta64(..) => {
                match i64::from_ne_bytes(bytes.try_into().expect("8 bytes")) {
                    i64::MIN => "NaT".into(),
                    n => n.into(),
                }
            }
            // numpy drops trailing NULs; a unit that is no character
            // becomes U+FFFD.
            FixedUtf32(_) => {
                let units: Vec<u32> = bytes
                    .chunks_exact(4)
                    .map(|c| u32::from_ne_bytes(c.try_into().expect("4 bytes")))
                    .collect();
                let end = units.iter().rposition(|u| *u != 0).map_or(0, |i| i + 1);
                units[..end]
                    .iter()
                    .map(|u| char::from_u32(*u).unwrap_or('\u{fffd}'))
                    .collect::<std::string::String>()
                    .into()
            }
        }
    }
}

/// The `binary_fixed_point` data type of a configuration: an integer base
/// type wide enough for its integer and fractional bits (and a sign bit
/// when signed).
fn binary_fixed_point(cfg: Option<&Value>) -> Result<DataType> {
    let bad = |msg: String| invalid_metadata(format!("data type \"{BINARY_FIXED_POINT}\": {msg}"));
    let cfg = cfg
        .and_then(Value::as_object)
        .ok_or_else(|| bad("needs a configuration".into()))?;
    if let Some(k) = cfg
        .keys()
        .find(|k| !["base_data_type", "fractional_bits", "integer_bits"].contains(&k.as_str()))
    {
        return Err(bad(format!("unknown configuration key \"{k}\"")));
    }
    let base = cfg
        .get("base_data_type")
        .and_then(Value::as_str)
        .filter(|n| {
            let ints = ["int8", "int16", "int32", "int64"];
            ints.contains(n) || n.strip_prefix('u').is_some_and(|u| ints.contains(&u))
        })
        .and_then(|n| DataType::from_name(n).ok())
        .ok_or_else(|| {
            bad("\"base_data_type\" must be one of int8..int64, uint8..uint64".into())
        })?;
    let bits = |k: &str| {
        cfg.get(k)
            .and_then(Value::as_u64)
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| bad(format!("\"{k}\" must be a count of bits")))
    };
    let (frac, int_bits) = (bits("fractional_bits")?, bits("integer_bits")?);
    let signed = base.number_kind() == Some(NumberKind::Signed);
    let width = 8 * base.size() as u64;
    if u64::from(frac) + u64::from(int_bits) + u64::from(signed) > width {
        return Err(bad(format!(
            "{int_bits} integer and {frac} fractional bits{} do not fit {}",
            if signed { " and a sign bit" } else { "" },
            base.name()
        )));
    }
    Ok(DataType::BinaryFixedPoint {
        base: Box::new(base),
        frac,
        int_bits,
    })
}

/// The integer and fractional bits of a normed fixed-point type's name,
/// `N<i>f<f>` with i + f one of 8, 16, 32, 64 and f at least 1 (plain
/// decimal digits).
fn normed_from_name(name: &str) -> Option<(u32, u32)> {
    let (i, f) = name.strip_prefix('N')?.split_once('f')?;
    let number = |s: &str| {
        (!s.is_empty()
            && s.bytes().all(|b| b.is_ascii_digit())
            && (s == "0" || !s.starts_with('0')))
        .then(|| s.parse::<u32>().ok())
        .flatten()
    };
    let (i, f) = (number(i)?, number(f)?);
    let bits = i.checked_add(f)?;
    (f >= 1 && [8, 16, 32, 64].contains(&bits)).then_some((bits, f))
}

/// The stored integer of the value `x` of a normed type: `x * (2^f - 1)`
/// rounded to the nearest integer (ties to even, as Julia rounds), if it
/// fits in `bits` bits.
fn normed_code(x: f64, bits: u32, frac: u32) -> Option<u64> {
    let r = (x * (2f64.powi(frac as i32) - 1.0)).round_ties_even();
    // 2^64 - 1 is not a float: at 64 bits the largest value rounds to
    // 2^64, which the cast below saturates to it.
    let max = if bits == 64 {
        2f64.powi(64)
    } else {
        ((1u64 << bits) - 1) as f64
    };
    (r.is_finite() && r >= 0.0 && r <= max).then_some(r as u64)
}

/// The part type of a `complex_<part>` data type: the floats the
/// registered complex types are made of (zarr-extensions has no complex
/// `float8_e4m3fn`).
fn complex_part_from_name(part: &str) -> Option<DataType> {
    let t = DataType::from_name(part).ok()?;
    let float = match &t {
        DataType::Float16 | DataType::BFloat16 | DataType::Float32 | DataType::Float64 => true,
        DataType::Float8(f) => *f != Float8::E4M3FN,
        DataType::SubByte(s) => s.float().is_some(),
        _ => false,
    };
    float.then_some(t)
}

/// An integer fill value as zarr-python takes it: a JSON integer, a float
/// with an integral value (`5.0`), or a string of one (`"42"`).
pub(crate) fn intish(v: &Value) -> Option<i128> {
    match v {
        Value::Number(n) => n
            .as_i64()
            .map(i128::from)
            .or(n.as_u64().map(i128::from))
            .or_else(|| {
                let f = n.as_f64()?;
                // An integer literal past i64 and u64 also arrives as a
                // float here, rounded to -2^63 or beyond, or to 2^64 or
                // beyond, and must not pass as that: those bounds are
                // left out (a float's value is exact; `1e18` is taken,
                // as zarr-python and tensorstore take it).
                const TWO_63: f64 = 9_223_372_036_854_775_808.0;
                (f.fract() == 0.0 && f > -TWO_63 && f < 2.0 * TWO_63).then_some(f as i128)
            }),
        Value::String(s) => {
            let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
            if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            s.parse().ok()
        }
        _ => None,
    }
}

/// Bytes as base64 text.
pub(crate) fn base64_json(bytes: &[u8]) -> Value {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .encode(bytes)
        .into()
}

/// A fill value given as bytes: an array of byte values, or base64 text
/// (as tensorstore writes raw fill values).
fn fill_bytes(v: &Value) -> Option<Vec<u8>> {
    match v {
        Value::Array(a) => a
            .iter()
            .map(|x| x.as_u64().filter(|b| *b < 256).map(|b| b as u8))
            .collect(),
        Value::String(s) => base64_decode(s),
        _ => None,
    }
}

/// The bytes of base64 text, or None when it is not base64.
pub(crate) fn base64_decode(s: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(s).ok()
}

trait TruncBytes {
    fn to_ne_bytes_trunc(self, n: usize) -> Vec<u8>;
}

impl TruncBytes for i64 {
    /// The low `n` bytes of a two's-complement value, in native order.
    fn to_ne_bytes_trunc(self, n: usize) -> Vec<u8> {
        let le = self.to_le_bytes();
        let mut out = le[..n].to_vec();
        if cfg!(target_endian = "big") {
            out.reverse();
        }
        out
    }
}

/// Float bits as an unsigned integer of the type's width.
fn float_bits(bytes: &[u8]) -> u64 {
    let mut le = [0u8; 8];
    if cfg!(target_endian = "big") {
        for (i, b) in bytes.iter().rev().enumerate() {
            le[i] = *b;
        }
    } else {
        le[..bytes.len()].copy_from_slice(bytes);
    }
    u64::from_le_bytes(le)
}

fn bits_to_bytes(bits: u64, size: usize) -> Vec<u8> {
    (bits as i64).to_ne_bytes_trunc(size)
}

/// Bits of the canonical quiet NaN for each float width.
fn canonical_nan(t: &DataType) -> u64 {
    match t {
        DataType::Float16 => f16::NAN.to_bits() as u64,
        DataType::BFloat16 => bf16::NAN.to_bits() as u64,
        DataType::Float32 => f32::NAN.to_bits() as u64,
        _ => f64::NAN.to_bits(),
    }
}

/// float64 to float32 rounded "to odd": toward zero, with the last bit
/// set when the result is inexact. A second rounding of it to a float of
/// fewer than 23 bits then rounds as once from the float64.
fn f32_to_odd(x: f64) -> f32 {
    let r = x as f32;
    if x.is_nan() || r as f64 == x {
        return r;
    }
    // The float32 next to x towards zero, with its last bit set.
    let t = if (r as f64).abs() > x.abs() {
        r.to_bits() - 1
    } else {
        r.to_bits()
    };
    f32::from_bits(t | 1)
}

/// float64 to float16 rounded once, to nearest (ties to even), as numpy
/// converts fill values (`half`'s own conversion rounds once or twice
/// depending on the CPU).
pub(crate) fn f16_from_f64(x: f64) -> f16 {
    f16::from_f32(f32_to_odd(x))
}

/// float64 to bfloat16 rounded once, as ml_dtypes converts (`half`'s goes
/// through a float32 rounded to nearest, which can round twice).
fn bf16_from_f64(x: f64) -> bf16 {
    bf16::from_f32(f32_to_odd(x))
}

fn from_f64(x: f64, t: &DataType) -> u64 {
    match t {
        DataType::Float16 => f16_from_f64(x).to_bits() as u64,
        DataType::BFloat16 => bf16_from_f64(x).to_bits() as u64,
        DataType::Float32 => (x as f32).to_bits() as u64,
        _ => x.to_bits(),
    }
}

fn to_f64(bits: u64, t: &DataType) -> f64 {
    match t {
        DataType::Float16 => f16::from_bits(bits as u16).to_f64(),
        DataType::BFloat16 => bf16::from_bits(bits as u16).to_f64(),
        DataType::Float32 => f32::from_bits(bits as u32) as f64,
        _ => f64::from_bits(bits),
    }
}

fn parse_float(v: &Value, size: usize, t: &DataType) -> Option<Vec<u8>> {
    let bits = match v {
        Value::Number(n) => from_f64(n.as_f64()?, t),
        Value::String(s) => match s.as_str() {
            "NaN" => canonical_nan(t),
            "Infinity" => from_f64(f64::INFINITY, t),
            "-Infinity" => from_f64(f64::NEG_INFINITY, t),
            _ => {
                let hex = s.strip_prefix("0x")?;
                if hex.len() != size * 2 || !hex.bytes().all(|c| c.is_ascii_hexdigit()) {
                    return None;
                }
                u64::from_str_radix(hex, 16).ok()?
            }
        },
        _ => return None,
    };
    Some(bits_to_bytes(bits, size))
}

fn float_to_json(bytes: &[u8], t: &DataType) -> Value {
    let bits = float_bits(bytes);
    float_json(to_f64(bits, t), bits == canonical_nan(t), bits, bytes.len())
}

/// The JSON form of a float's value `x`, whose `size` bytes hold `bits`:
/// a number, "Infinity" / "-Infinity", "NaN" for the canonical NaN, or
/// the bits in hex for another NaN (its payload kept).
fn float_json(x: f64, canonical_nan: bool, bits: u64, size: usize) -> Value {
    if x.is_nan() {
        if canonical_nan {
            "NaN".into()
        } else {
            format!("0x{:0width$x}", bits, width = size * 2).into()
        }
    } else if x.is_infinite() {
        if x > 0.0 { "Infinity" } else { "-Infinity" }.into()
    } else {
        serde_json::Number::from_f64(x)
            .map(Value::Number)
            .unwrap_or(Value::Null)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_round_trip() {
        for n in [
            "bool",
            "int8",
            "int16",
            "int32",
            "int64",
            "uint8",
            "uint16",
            "uint32",
            "uint64",
            "float16",
            "bfloat16",
            "float32",
            "float64",
            "complex64",
            "complex128",
            "r8",
            "r24",
            "r128",
        ] {
            assert_eq!(DataType::from_name(n).unwrap().name(), n);
        }
        assert_eq!(DataType::from_name("r24").unwrap().size(), 3);
        assert!(DataType::from_name("r7").is_err());
        assert!(DataType::from_name("r0").is_err());
        // Only the spec's spelling: plain decimal digits.
        for bad in ["r+8", "r008", "r 8", "r", "r-8"] {
            assert!(DataType::from_name(bad).is_err(), "{bad}");
        }
        assert!(DataType::from_name("float128").is_err());
        assert!(DataType::from_json(&json!({"name": "int32"})).is_ok());
        assert!(DataType::from_json(&json!(5)).is_err());
    }

    #[test]
    fn integer_fill_values() {
        let t = DataType::Int16;
        assert_eq!(
            t.parse_fill_value(&json!(-2)).unwrap(),
            (-2i16).to_ne_bytes()
        );
        assert!(t.parse_fill_value(&json!(40000)).is_err());
        assert!(t.parse_fill_value(&json!(1.5)).is_err());
        // Integral floats and strings of integers, as zarr-python reads them.
        assert_eq!(t.parse_fill_value(&json!(5.0)).unwrap(), 5i16.to_ne_bytes());
        assert_eq!(
            t.parse_fill_value(&json!("-7")).unwrap(),
            (-7i16).to_ne_bytes()
        );
        for bad in [
            json!("0x10"),
            json!("1.5"),
            json!(""),
            json!("-"),
            json!(4e4),
            json!("40000"),
            json!(" 5"),
        ] {
            assert!(t.parse_fill_value(&bad).is_err(), "{bad}");
        }
        assert_eq!(
            t.parse_fill_value(&json!("+5")).unwrap(),
            5i16.to_ne_bytes()
        );
        assert_eq!(
            t.parse_fill_value(&json!("007")).unwrap(),
            7i16.to_ne_bytes()
        );
        let u = DataType::UInt64;
        assert_eq!(
            u.parse_fill_value(&json!(u64::MAX)).unwrap(),
            u64::MAX.to_ne_bytes()
        );
        assert!(DataType::UInt8.parse_fill_value(&json!(256)).is_err());
        assert!(DataType::UInt8.parse_fill_value(&json!(-1)).is_err());
        assert_eq!(
            DataType::Int64.parse_fill_value(&json!(i64::MIN)).unwrap(),
            i64::MIN.to_ne_bytes()
        );
        assert_eq!(DataType::Int8.fill_value_to_json(&[0xff]), json!(-1));
        // Integer literals past i64 / u64 arrive as floats; not as those.
        for text in [
            "-9223372036854775809",
            "18446744073709551616",
            "-9223372036854776000",
        ] {
            let v: Value = serde_json::from_str(text).unwrap();
            assert!(DataType::Int64.parse_fill_value(&v).is_err(), "{text}");
            assert!(DataType::UInt64.parse_fill_value(&v).is_err(), "{text}");
        }
        // Floats of whole numbers past 2^53 are their exact values, as
        // zarr-python and tensorstore take them.
        for (text, t, want) in [
            ("1e18", DataType::Int64, 1_000_000_000_000_000_000i128),
            ("9.2e18", DataType::Int64, 9_200_000_000_000_000_000),
            ("9007199254740992.0", DataType::Int64, 1 << 53),
            ("1.8e19", DataType::UInt64, 18_000_000_000_000_000_000),
            ("-9.2e18", DataType::Int64, -9_200_000_000_000_000_000),
        ] {
            let v: Value = serde_json::from_str(text).unwrap();
            let b = t.parse_fill_value(&v).unwrap();
            let got = match t {
                DataType::Int64 => i64::from_ne_bytes(b.try_into().unwrap()) as i128,
                _ => u64::from_ne_bytes(b.try_into().unwrap()) as i128,
            };
            assert_eq!(got, want, "{text}");
        }
        let v: Value = serde_json::from_str("9.3e18").unwrap();
        assert!(DataType::Int64.parse_fill_value(&v).is_err());
    }

    #[test]
    fn bool_fill_values() {
        assert_eq!(
            DataType::Bool.parse_fill_value(&json!(true)).unwrap(),
            vec![1]
        );
        assert!(DataType::Bool.parse_fill_value(&json!(1)).is_err());
        assert!(DataType::Bool.parse_fill_value(&json!("true")).is_err());
    }

    #[test]
    fn float_fill_values() {
        let t = DataType::Float32;
        assert_eq!(
            t.parse_fill_value(&json!(1.5)).unwrap(),
            1.5f32.to_ne_bytes()
        );
        assert_eq!(
            t.parse_fill_value(&json!("NaN")).unwrap(),
            f32::NAN.to_ne_bytes()
        );
        assert_eq!(
            t.parse_fill_value(&json!("Infinity")).unwrap(),
            f32::INFINITY.to_ne_bytes()
        );
        assert_eq!(
            t.parse_fill_value(&json!("-Infinity")).unwrap(),
            f32::NEG_INFINITY.to_ne_bytes()
        );
        // A NaN with a payload survives the round trip bit-exactly.
        let payload = t.parse_fill_value(&json!("0x7fc00001")).unwrap();
        assert_eq!(payload, 0x7fc00001u32.to_ne_bytes());
        assert_eq!(t.fill_value_to_json(&payload), json!("0x7fc00001"));
        assert_eq!(t.fill_value_to_json(&f32::NAN.to_ne_bytes()), json!("NaN"));
        assert!(t.parse_fill_value(&json!("0x7fc0")).is_err());
        // Hex digits only: Rust's parser would take a sign.
        assert!(t.parse_fill_value(&json!("0x+7fc001")).is_err());
        assert!(t.parse_fill_value(&json!("0x-7fc001")).is_err());
        assert!(t.parse_fill_value(&json!("nan")).is_err());
        assert!(t.parse_fill_value(&json!(true)).is_err());
        let h = DataType::Float16;
        assert_eq!(
            h.parse_fill_value(&json!(1.0)).unwrap(),
            f16::from_f32(1.0).to_bits().to_ne_bytes()
        );
        assert_eq!(
            h.parse_fill_value(&json!("0x7e01")).unwrap(),
            0x7e01u16.to_ne_bytes()
        );
        let d = DataType::Float64;
        let neg0 = d.parse_fill_value(&json!(-0.0)).unwrap();
        assert_eq!(neg0, (-0.0f64).to_ne_bytes());
        assert_eq!(
            d.parse_fill_value(&d.fill_value_to_json(&neg0)).unwrap(),
            neg0
        );
        assert_eq!(d.fill_value_to_json(&0.1f64.to_ne_bytes()), json!(0.1));
        // bfloat16 rounds once from the float64, as ml_dtypes: just past
        // halfway between two bfloat16s goes up (through a float32 rounded
        // to nearest, it fell back to halfway and then to even).
        let b = DataType::BFloat16;
        for (x, bits) in [
            (1.0039062500000002, 0x3f81u16),
            (-2.3536728122053324e-13, 0xaa85),
            (1.00390625, 0x3f80),
            (3.0e38, 0x7f62),
            (3.5e38, 0x7f80),
        ] {
            assert_eq!(
                b.parse_fill_value(&json!(x)).unwrap(),
                bits.to_ne_bytes(),
                "{x}"
            );
        }
    }

    #[test]
    fn complex_and_raw_fill_values() {
        let c = DataType::Complex64;
        let b = c.parse_fill_value(&json!([1.0, "NaN"])).unwrap();
        assert_eq!(&b[..4], &1.0f32.to_ne_bytes());
        assert_eq!(&b[4..], &f32::NAN.to_ne_bytes());
        assert_eq!(c.fill_value_to_json(&b), json!([1.0, "NaN"]));
        assert!(c.parse_fill_value(&json!([1.0])).is_err());
        assert!(c.parse_fill_value(&json!(1.0)).is_err());
        let r = DataType::RawBits(3);
        assert_eq!(
            r.parse_fill_value(&json!([1, 2, 255])).unwrap(),
            vec![1, 2, 255]
        );
        assert!(r.parse_fill_value(&json!([1, 2])).is_err());
        assert!(r.parse_fill_value(&json!([1, 2, 256])).is_err());
        assert_eq!(
            DataType::RawBits(2)
                .parse_fill_value(&json!("AQI="))
                .unwrap(),
            vec![1, 2]
        );
        assert!(DataType::RawBits(3)
            .parse_fill_value(&json!("AQI="))
            .is_err());
        assert_eq!(r.fill_value_to_json(&[1, 2, 3]), json!([1, 2, 3]));
    }

    #[test]
    fn complex_types_of_other_floats() {
        for (name, size, unit) in [
            ("complex_float16", 4, 2),
            ("complex_bfloat16", 4, 2),
            ("complex_float32", 8, 4),
            ("complex_float64", 16, 8),
            ("complex_float8_e4m3", 2, 1),
            ("complex_float8_e8m0fnu", 2, 1),
            ("complex_float4_e2m1fn", 2, 1),
            ("complex_float6_e2m3fn", 2, 1),
            ("complex_float6_e3m2fn", 2, 1),
        ] {
            let t = DataType::from_name(name).unwrap();
            assert_eq!((t.name().as_str(), t.size()), (name, size));
            let units = if unit > 1 {
                ByteOrderUnits::Every(unit)
            } else {
                ByteOrderUnits::None
            };
            assert_eq!(t.byte_order_units(), units, "{name}");
            assert!(t.complex_part().is_some());
        }
        // Only complex types of the floats zarr-extensions registers.
        for bad in [
            "complex_int8",
            "complex_",
            "complex_complex64",
            "complex_float8_e4m3fn",
            "complex_int4",
            "complex_r16",
        ] {
            assert!(DataType::from_name(bad).is_err(), "{bad}");
        }
        let h = DataType::from_name("complex_float16").unwrap();
        let b = h.parse_fill_value(&json!([1.5, "-Infinity"])).unwrap();
        assert_eq!(&b[..2], &f16::from_f32(1.5).to_ne_bytes());
        assert_eq!(&b[2..], &f16::NEG_INFINITY.to_ne_bytes());
        assert_eq!(h.fill_value_to_json(&b), json!([1.5, "-Infinity"]));
        assert!(h.parse_fill_value(&json!([1.5])).is_err());
        assert!(h.parse_fill_value(&json!("0x3e00")).is_err());
        // Parts narrower than a byte: each its code, in its own byte.
        let f4 = DataType::from_name("complex_float4_e2m1fn").unwrap();
        let b = f4.parse_fill_value(&json!([-6.0, "0x08"])).unwrap();
        assert_eq!(b, vec![0x0f, 0x08]);
        assert_eq!(f4.fill_value_to_json(&b), json!([-6.0, "0x08"]));
        assert_eq!(f4.sub_byte_unit(), Some(SubByte::Float4E2M1FN));
        assert!(f4.parse_fill_value(&json!(["0x10", 0])).is_err());
        let e4m3 = DataType::from_name("complex_float8_e4m3").unwrap();
        assert_eq!(
            e4m3.parse_fill_value(&json!([1.0, "NaN"])).unwrap(),
            vec![0x38, 0x7c]
        );
        // A struct field may be complex, but not of parts narrower than a
        // byte.
        let field = |t: &str| json!({"name": "struct", "configuration": {"fields": [{"name": "a", "data_type": t}]}});
        assert_eq!(
            DataType::from_json(&field("complex_float16"))
                .unwrap()
                .size(),
            4
        );
        assert!(DataType::from_json(&field("complex_float6_e3m2fn")).is_err());
    }

    #[test]
    fn normed_fixed_point_types() {
        for (name, bits, frac, storage) in [
            ("N0f8", 8, 8, DataType::UInt8),
            ("N10f6", 16, 6, DataType::UInt16),
            ("N0f16", 16, 16, DataType::UInt16),
            ("N24f8", 32, 8, DataType::UInt32),
            ("N0f64", 64, 64, DataType::UInt64),
        ] {
            let t = DataType::from_name(name).unwrap();
            assert_eq!(t, DataType::Normed { bits, frac });
            assert_eq!((t.name().as_str(), t.size()), (name, bits as usize / 8));
            assert_eq!(t.storage_type(), storage);
            assert_eq!(t.number_kind(), Some(NumberKind::Unsigned));
        }
        for bad in [
            "N8f0", "N1f8", "N0f7", "N00f8", "N0f08", "Nf8", "N0f", "n0f8", "N-0f8",
        ] {
            assert!(DataType::from_name(bad).is_err(), "{bad}");
        }
        // Values rounded to the nearest code, ties to even, as Julia's
        // N0f8(0.5) is 128/255.
        let n0f8 = DataType::from_name("N0f8").unwrap();
        for (v, code) in [
            (0.0, 0u8),
            (1.0, 255),
            (0.5, 128),
            (0.2, 51),
            (127.0 / 255.0, 127),
        ] {
            assert_eq!(n0f8.parse_fill_value(&json!(v)).unwrap(), vec![code], "{v}");
            let back = n0f8.fill_value_to_json(&[code]);
            assert_eq!(n0f8.parse_fill_value(&back).unwrap(), vec![code], "{back}");
        }
        for bad in [
            json!(1.01),
            json!(-0.01),
            json!("NaN"),
            json!("0x10"),
            json!(null),
        ] {
            assert!(n0f8.parse_fill_value(&bad).is_err(), "{bad}");
        }
        let n10f6 = DataType::from_name("N10f6").unwrap();
        assert_eq!(
            n10f6.parse_fill_value(&json!(2.0)).unwrap(),
            126u16.to_ne_bytes().to_vec()
        );
        assert!(n10f6.parse_fill_value(&json!(1041.0)).is_err());
        let n0f64 = DataType::from_name("N0f64").unwrap();
        assert_eq!(
            n0f64.parse_fill_value(&json!(1.0)).unwrap(),
            u64::MAX.to_ne_bytes().to_vec()
        );
    }

    #[test]
    fn binary_fixed_point_types() {
        let t = |base: &str, f: u32, i: u32| {
            DataType::from_json(&json!({"name": "binary_fixed_point", "configuration":
                {"base_data_type": base, "fractional_bits": f, "integer_bits": i}}))
        };
        // Q0.15: -1.0 to 0.99997.
        let q = t("int16", 15, 0).unwrap();
        assert_eq!((q.size(), q.storage_type()), (2, DataType::Int16));
        assert_eq!(q.number_kind(), Some(NumberKind::Signed));
        assert_eq!(DataType::from_json(&q.to_json()).unwrap(), q);
        for (v, code) in [(-1.0, i16::MIN), (0.5, 16384), (0.0, 0), (-0.25, -8192)] {
            let b = q.parse_fill_value(&json!(v)).unwrap();
            assert_eq!(b, code.to_ne_bytes().to_vec(), "{v}");
            assert_eq!(q.fill_value_to_json(&b), json!(v));
        }
        assert_eq!(
            q.parse_fill_value(&json!("0x8000")).unwrap(),
            i16::MIN.to_ne_bytes().to_vec()
        );
        for bad in [
            json!(1.0),
            json!(-1.01),
            json!("0x80"),
            json!("NaN"),
            json!(null),
        ] {
            assert!(q.parse_fill_value(&bad).is_err(), "{bad}");
        }
        // UQ8.8 in uint16; bits beyond the used ones are out of range.
        let u = t("uint16", 8, 8).unwrap();
        assert_eq!(
            u.parse_fill_value(&json!(255.5)).unwrap(),
            0xff80u16.to_ne_bytes().to_vec()
        );
        let narrow = t("uint32", 4, 4).unwrap();
        assert!(narrow.parse_fill_value(&json!(16.0)).is_err());
        assert_eq!(
            narrow.parse_fill_value(&json!(15.9375)).unwrap(),
            255u32.to_ne_bytes().to_vec()
        );
        for bad in [
            t("int16", 15, 1),
            t("uint8", 5, 4),
            t("float32", 4, 4),
            t("N0f8", 4, 4),
            t("int4", 1, 1),
            DataType::from_json(&json!({"name": "binary_fixed_point"})),
            DataType::from_json(&json!({"name": "binary_fixed_point", "configuration":
                {"base_data_type": "int8", "fractional_bits": 4, "integer_bits": 1, "x": 1}})),
        ] {
            assert!(bad.is_err());
        }
    }

    #[test]
    fn fixed_length_bytes_types() {
        let s = DataType::from_json(
            &json!({"name": "null_terminated_bytes", "configuration": {"length_bytes": 4}}),
        )
        .unwrap();
        assert_eq!(s, DataType::NullTerminatedBytes(4));
        assert_eq!((s.size(), s.has_byte_order()), (4, false));
        // base64, shorter values NUL-padded, written without trailing NULs.
        assert_eq!(s.parse_fill_value(&json!("")).unwrap(), [0; 4]);
        assert_eq!(s.parse_fill_value(&json!("YWI=")).unwrap(), *b"ab\0\0");
        assert!(s.parse_fill_value(&json!("YWJjZGU=")).is_err());
        assert_eq!(s.fill_value_to_json(b"ab\0\0"), json!("YWI="));
        assert_eq!(s.fill_value_to_json(&[0; 4]), json!(""));
        let v = DataType::from_json(
            &json!({"name": "raw_bytes", "configuration": {"length_bytes": 3}}),
        )
        .unwrap();
        assert_eq!(v, DataType::RawBytes(3));
        assert_eq!(v.parse_fill_value(&json!("AAAA")).unwrap(), [0; 3]);
        assert_eq!(v.fill_value_to_json(&[1, 0, 0]), json!("AQAA"));
        assert_eq!(
            v.to_json(),
            json!({"name": "raw_bytes", "configuration": {"length_bytes": 3}})
        );
        for bad in [
            json!({"name": "raw_bytes"}),
            json!({"name": "raw_bytes", "configuration": {"length_bytes": 0}}),
            json!({"name": "null_terminated_bytes", "configuration": {"length_bytes": "4"}}),
        ] {
            assert!(DataType::from_json(&bad).is_err(), "{bad}");
        }
    }
}
