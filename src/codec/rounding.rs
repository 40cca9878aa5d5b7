//! Lossy array->array codecs that keep the element type and round
//! values so that they compress better:
//! - `numcodecs.bitround` (`{"keepbits"}`): keeps a float's top
//!   `keepbits` mantissa bits, rounding half to even on the bit pattern;
//! - `bitround` (zarr-extensions, `{"keepbits"}`): the same for floats
//!   (`bfloat16` and the complex types too, each part on its own), and
//!   for integers (the time types as `int64`) keeps `keepbits` bits from
//!   the highest set one of the magnitude, rounding the same way and
//!   keeping the sign (see `ext_bit_round`);
//! - `numcodecs.quantize` (`{"digits", "dtype", "astype"}`): rounds to a
//!   power of two fine enough for `digits` decimal digits, in `dtype`,
//!   and stores the values cast to `astype` (another float type, or the
//!   same).
//!
//! Decoding is the identity: the rounded values are the values. Encoding
//! is numcodecs' arithmetic, so zarrio writes the bytes numcodecs writes.

use super::scalar::{load_bits, store_bits};
use super::{codec_json, ArrayToArrayCodec, ChunkRepr, CodecSpec};
use crate::dtype::DataType;
use crate::error::{invalid_argument, invalid_metadata, Result};
use serde_json::{json, Value};

pub const BITROUND: &str = "numcodecs.bitround";
/// zarr-extensions' `bitround`, of which `numcodecs.bitround` is the
/// float-only ancestor.
pub const EXT_BITROUND: &str = "bitround";
pub const QUANTIZE: &str = "numcodecs.quantize";

#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    BitRound {
        keepbits: u32,
    },
    /// zarr-extensions' `bitround`.
    ExtBitRound {
        keepbits: u32,
    },
    /// Values are rounded to multiples of 1 / `scale`.
    Quantize {
        digits: i64,
        scale: f64,
    },
}

/// One of the filters; `dtype` is quantize's configured type, `astype`
/// the one it stores when that is another.
#[derive(Debug, Clone, PartialEq)]
pub struct RoundingFilter {
    op: Op,
    dtype: Option<DataType>,
    astype: Option<DataType>,
}

/// The mantissa bits of a float type.
fn mantissa_bits(t: &DataType) -> Option<u32> {
    match t {
        DataType::Float16 => Some(10),
        DataType::Float32 => Some(23),
        DataType::Float64 => Some(52),
        _ => None,
    }
}

impl RoundingFilter {
    pub fn from_spec(spec: &CodecSpec) -> Result<Self> {
        let name = spec.name.as_str();
        let int = |k: &str| {
            spec.get(k).and_then(Value::as_i64).ok_or_else(|| {
                invalid_metadata(format!("codec \"{name}\": \"{k}\" must be an integer"))
            })
        };
        match name {
            BITROUND | EXT_BITROUND => {
                spec.check_keys(&["keepbits"])?;
                let keepbits = int("keepbits")?;
                let least = if name == EXT_BITROUND { 1 } else { 0 };
                let keepbits = u32::try_from(keepbits)
                    .ok()
                    .filter(|&k| k >= least)
                    .ok_or_else(|| {
                        invalid_metadata(format!(
                            "codec \"{name}\": \"keepbits\" {keepbits} is out of range"
                        ))
                    })?;
                let op = if name == EXT_BITROUND {
                    Op::ExtBitRound { keepbits }
                } else {
                    Op::BitRound { keepbits }
                };
                Ok(RoundingFilter {
                    op,
                    dtype: None,
                    astype: None,
                })
            }
            QUANTIZE => {
                spec.check_keys(&["digits", "dtype", "astype"])?;
                let digits = int("digits")?;
                let dtype = super::numeric::parse_typestr(name, "dtype", spec.get("dtype"))?;
                if mantissa_bits(&dtype).is_none() {
                    return Err(invalid_metadata(format!(
                        "codec \"{name}\": \"dtype\" must be a float type"
                    )));
                }
                let astype = match spec.get("astype").filter(|v| !v.is_null()) {
                    Some(a) => Some(super::numeric::parse_typestr(name, "astype", Some(a))?),
                    None => None,
                };
                if astype.as_ref().is_some_and(|a| mantissa_bits(a).is_none()) {
                    return Err(invalid_metadata(format!(
                        "codec \"{name}\": \"astype\" must be a float type"
                    )));
                }
                Ok(RoundingFilter {
                    op: Op::Quantize {
                        digits,
                        scale: quantize_scale(digits)?,
                    },
                    astype: astype.filter(|a| *a != dtype),
                    dtype: Some(dtype),
                })
            }
            _ => Err(invalid_argument(format!(
                "\"{name}\" is not a rounding filter"
            ))),
        }
    }

    fn name(&self) -> &'static str {
        match self.op {
            Op::BitRound { .. } => BITROUND,
            Op::ExtBitRound { .. } => EXT_BITROUND,
            Op::Quantize { .. } => QUANTIZE,
        }
    }

    fn check_input(&self, decoded: &ChunkRepr) -> Result<()> {
        let t = &decoded.dtype;
        let ok = match self.op {
            Op::BitRound { keepbits } => match mantissa_bits(t) {
                Some(bits) if keepbits > bits => {
                    return Err(invalid_metadata(format!(
                        "codec \"{BITROUND}\": keepbits {keepbits} is more than the {bits} \
                         mantissa bits of {}",
                        t.name()
                    )))
                }
                Some(_) => true,
                None => false,
            },
            Op::ExtBitRound { .. } => ext_parts(t).is_some(),
            // numcodecs views the input as the configured type (after
            // bitround it arrives as integers of that size).
            Op::Quantize { .. } => self.dtype.as_ref().is_some_and(|d| {
                d == t || (d.size() == t.size() && crate::codec::scalar::is_int(t))
            }),
        };
        if !ok {
            return Err(invalid_metadata(format!(
                "codec \"{}\": its input is {}, {}",
                self.name(),
                t.name(),
                match &self.dtype {
                    Some(d) => format!("but it is configured for {}", d.name()),
                    None if self.name() == EXT_BITROUND => {
                        "not a type it rounds (floats, complex numbers, integers)".into()
                    }
                    None => "not a float type".into(),
                }
            )));
        }
        Ok(())
    }
}

/// numcodecs' scale for `digits`: 2^ceil(log2(10^-e)), where e is
/// log10(10^-digits) rounded away from zero, computed with the same
/// floating-point steps (and so the same C library functions) as Python.
fn quantize_scale(digits: i64) -> Result<f64> {
    let precision = 10f64.powf(-(digits as f64));
    let exp = precision.log10();
    let exp = if exp < 0.0 { exp.floor() } else { exp.ceil() };
    let bits = 10f64.powf(-exp).log2().ceil();
    let scale = 2f64.powf(bits);
    if !scale.is_finite() || scale == 0.0 {
        return Err(invalid_metadata(format!(
            "codec \"{QUANTIZE}\": digits {digits} is out of range"
        )));
    }
    Ok(scale)
}

impl ArrayToArrayCodec for RoundingFilter {
    fn to_json(&self) -> Value {
        let cfg = match self.op {
            Op::BitRound { keepbits } | Op::ExtBitRound { keepbits } => {
                json!({ "keepbits": keepbits })
            }
            Op::Quantize { digits, .. } => {
                let name = |t: Option<&DataType>| match t {
                    Some(DataType::Float16) => "<f2",
                    Some(DataType::Float32) => "<f4",
                    _ => "<f8",
                };
                match &self.astype {
                    Some(a) => json!({"digits": digits, "dtype": name(self.dtype.as_ref()),
                        "astype": name(Some(a))}),
                    None => json!({"digits": digits, "dtype": name(self.dtype.as_ref())}),
                }
            }
        };
        codec_json(self.name(), cfg)
    }

    /// numcodecs' bitround hands on its rounded floats as integers of
    /// the same width (unless it keeps every bit), which a following
    /// pcodec then stores as integers: the same here, bytes unchanged.
    fn encoded_repr(&self, decoded: &ChunkRepr) -> Result<ChunkRepr> {
        self.check_input(decoded)?;
        let mut repr = decoded.clone();
        if let Some(d) = &self.dtype {
            // quantize stores its configured float type, or its astype:
            // the fill value then as numpy casts it (as zarr-python
            // carries a fill value through numcodecs' filters).
            repr.dtype = d.clone();
            if let Some(a) = &self.astype {
                let mut fill = vec![0; a.size()];
                super::numeric::cast_elements(&decoded.fill_value, d, a, &mut fill);
                repr.dtype = a.clone();
                repr.fill_value = fill;
            }
        }
        if let Op::BitRound { keepbits } = self.op {
            if mantissa_bits(&decoded.dtype).is_some_and(|bits| keepbits < bits) {
                repr.dtype = match decoded.dtype.size() {
                    2 => DataType::Int16,
                    4 => DataType::Int32,
                    _ => DataType::Int64,
                };
            }
        }
        Ok(repr)
    }

    fn encode(&self, data: &[u8], decoded: &ChunkRepr) -> Result<Vec<u8>> {
        self.check_input(decoded)?;
        super::check_elements(self.name(), data, decoded, &decoded.dtype)?;
        let mut out = crate::alloc::copied(data)?;
        match (self.op, self.dtype.as_ref().unwrap_or(&decoded.dtype)) {
            (Op::ExtBitRound { keepbits }, t) => {
                let (size, part) = ext_parts(t).expect("checked: a number type");
                ext_bit_round(&mut out, size, keepbits, part);
            }
            (Op::BitRound { keepbits }, t) => {
                let bits = mantissa_bits(t).expect("checked: a float type");
                if keepbits < bits {
                    match t.size() {
                        2 => bit_round::<2>(&mut out, bits - keepbits),
                        4 => bit_round::<4>(&mut out, bits - keepbits),
                        _ => bit_round::<8>(&mut out, bits - keepbits),
                    }
                }
            }
            (Op::Quantize { scale, .. }, DataType::Float16) => {
                // numpy's float16 arithmetic: each operation in float32,
                // rounded to float16 (as `half` does it).
                let s = half::f16::from_f64(scale);
                for v in out.chunks_exact_mut(2) {
                    let x = half::f16::from_ne_bytes(v.try_into().expect("2 bytes"));
                    let r = half::f16::from_f32((x * s).to_f32().round_ties_even()) / s;
                    v.copy_from_slice(&r.to_ne_bytes());
                }
            }
            (Op::Quantize { scale, .. }, DataType::Float32) => {
                // numpy multiplies a float32 array by a Python float in
                // float32; the scale, a power of two, is exact either way.
                let s = scale as f32;
                for v in out.chunks_exact_mut(4) {
                    let x = f32::from_ne_bytes(v.try_into().expect("4 bytes"));
                    v.copy_from_slice(&((x * s).round_ties_even() / s).to_ne_bytes());
                }
            }
            (Op::Quantize { scale, .. }, _) => {
                for v in out.chunks_exact_mut(8) {
                    let x = f64::from_ne_bytes(v.try_into().expect("8 bytes"));
                    v.copy_from_slice(&((x * scale).round_ties_even() / scale).to_ne_bytes());
                }
            }
        }
        if let (Some(d), Some(a)) = (&self.dtype, &self.astype) {
            let mut cast = crate::alloc::zeroed(out.len() / d.size() * a.size())?;
            super::numeric::cast_elements(&out, d, a, &mut cast);
            return Ok(cast);
        }
        Ok(out)
    }

    fn decode(&self, data: &[u8], decoded: &ChunkRepr) -> Result<Vec<u8>> {
        if self.astype.is_some() {
            return super::decode_to_vec(self, data, decoded);
        }
        self.check_input(decoded)?;
        crate::alloc::copied(data)
    }

    fn decode_into(&self, data: &[u8], decoded: &ChunkRepr, out: &mut [u8]) -> Result<()> {
        self.check_input(decoded)?;
        if let (Some(d), Some(a)) = (&self.dtype, &self.astype) {
            // The stored values cast back, as numcodecs decodes them.
            let n = super::check_elements(self.name(), data, decoded, a)?;
            if out.len() != n * d.size() {
                return Err(crate::error::internal(format!(
                    "codec \"{QUANTIZE}\": {} bytes to decode {n} elements into",
                    out.len()
                )));
            }
            super::numeric::cast_elements(data, a, d, out);
            return Ok(());
        }
        super::copy_decoded(self.name(), data, out)
    }
}

/// What zarr-extensions' `bitround` rounds in a part of an element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    /// A float with this many mantissa bits.
    Float(u32),
    Unsigned,
    /// A two's complement integer: its magnitude is rounded.
    Signed,
}

/// What zarr-extensions' `bitround` rounds in an element of `t`: parts
/// of `size` bytes (a complex number has two), and what they are.
fn ext_parts(t: &DataType) -> Option<(usize, Part)> {
    use DataType::*;
    Some(match t {
        Float16 | Float32 | Float64 => (t.size(), Part::Float(mantissa_bits(t)?)),
        BFloat16 => (2, Part::Float(7)),
        Complex64 | Complex128 | Complex(_) => match ext_parts(&t.complex_part()?)? {
            (size, Part::Float(m)) => (size, Part::Float(m)),
            _ => return None,
        },
        DateTime64(..) | TimeDelta64(..) | Int8 | Int16 | Int32 | Int64 => (t.size(), Part::Signed),
        UInt8 | UInt16 | UInt32 | UInt64 => (t.size(), Part::Unsigned),
        _ => return None,
    })
}

/// `m` with its bits below `maskbits` (at least 1) rounded half to even
/// into the ones above (a carry may lengthen it by a bit), unless that
/// passes `max`: then they are dropped (the nearest value below with
/// the kept bits).
fn round_low_bits(m: u64, maskbits: u32, max: u64) -> u64 {
    let up = ((m >> maskbits) & 1) + (1u64 << (maskbits - 1)) - 1;
    let kept = !((1u128 << maskbits) - 1);
    let r = (u128::from(m) + u128::from(up)) & kept;
    if r > u128::from(max) {
        (u128::from(m) & kept) as u64
    } else {
        r as u64
    }
}

/// zarr-extensions' `bitround` of parts of `size` bytes (native order) in
/// place, each keeping `keepbits` significant bits and rounding the
/// others half to even into them:
/// - a float keeps `keepbits` of its mantissa bits (a carry into the
///   exponent is the next binade, as numcodecs rounds; one past the
///   largest bit pattern stays at it);
/// - an integer keeps `keepbits` bits from the highest set bit of its
///   magnitude, and its sign. A value whose rounding would pass the
///   type's range is rounded down instead.
///
/// zarrs 0.23 rounds a signed integer's bit pattern as if unsigned, so
/// that negative values lose all but their top bits and a carry into
/// the sign bit turns a large positive value negative: zarrio keeps the
/// sign (and writes other bytes than zarrs for those values; reading is
/// the identity either way).
fn ext_bit_round(data: &mut [u8], size: usize, keepbits: u32, part: Part) {
    let width = 8 * size as u32;
    let top = u64::MAX >> (64 - width);
    for v in data.chunks_exact_mut(size) {
        let b = load_bits(v);
        let bits_of = |m: u64| 64 - m.leading_zeros();
        let r = match part {
            Part::Float(mantissa) if keepbits < mantissa => {
                round_low_bits(b, mantissa - keepbits, top)
            }
            Part::Float(_) => continue,
            Part::Unsigned if keepbits < bits_of(b) => {
                round_low_bits(b, bits_of(b) - keepbits, top)
            }
            Part::Unsigned => continue,
            Part::Signed => {
                // Sign-extend to 64 bits, round the magnitude, put the
                // sign back: the least value's magnitude is one more
                // than the greatest's.
                let x = ((b << (64 - width)) as i64) >> (64 - width);
                let m = x.unsigned_abs();
                if keepbits >= bits_of(m) {
                    continue;
                }
                let max = (top >> 1) + u64::from(x < 0);
                let r = round_low_bits(m, bits_of(m) - keepbits, max);
                if x < 0 {
                    r.wrapping_neg() & top
                } else {
                    r
                }
            }
        };
        store_bits(r, v);
    }
}

/// numcodecs' bit rounding of `N`-byte floats (native order) in place,
/// dropping the low `maskbits` (at least 1) mantissa bits: add half a unit
/// of the kept last bit, less one unless that bit is set (ties to even),
/// then clear the dropped bits. Done on the bits as unsigned integers,
/// which wrap as numpy's signed ones do.
fn bit_round<const N: usize>(data: &mut [u8], maskbits: u32) {
    let mask = u64::MAX << maskbits;
    let half_minus_one = (1u64 << (maskbits - 1)) - 1;
    for v in data.chunks_exact_mut(N) {
        let b = load_bits(v);
        // A carry past the element's width is dropped by the store.
        let r = b.wrapping_add(((b >> maskbits) & 1) + half_minus_one) & mask;
        store_bits(r, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn filter(v: Value) -> Result<RoundingFilter> {
        RoundingFilter::from_spec(&CodecSpec::from_json(&v).unwrap())
    }

    fn repr(t: DataType, n: u64) -> ChunkRepr {
        ChunkRepr::new(vec![n], t.clone(), vec![0; t.size()])
    }

    fn f64s(v: &[f64]) -> Vec<u8> {
        v.iter().flat_map(|x| x.to_ne_bytes()).collect()
    }

    fn f32s(v: &[f32]) -> Vec<u8> {
        v.iter().flat_map(|x| x.to_ne_bytes()).collect()
    }

    /// Values numcodecs 0.17 gives (BitRound(keepbits=5).encode on
    /// float32 and float64; Quantize(digits=2) on float64 and float32).
    #[test]
    fn numcodecs_values() {
        let x = [0.1f64, 1.0 / 3.0, -2.7, 1e10, 0.0, -0.0];
        let f = filter(json!({"name": BITROUND, "configuration": {"keepbits": 5}})).unwrap();
        let enc = f.encode(&f64s(&x), &repr(DataType::Float64, 6)).unwrap();
        let got: Vec<u64> = enc
            .chunks(8)
            .map(|c| u64::from_ne_bytes(c.try_into().unwrap()))
            .collect();
        assert_eq!(
            got,
            [
                0x3fb9800000000000,
                0x3fd5800000000000,
                0xc005800000000000,
                0x4202800000000000,
                0,
                0x8000000000000000
            ]
        );
        let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
        let enc = f.encode(&f32s(&x32), &repr(DataType::Float32, 6)).unwrap();
        let got: Vec<u32> = enc
            .chunks(4)
            .map(|c| u32::from_ne_bytes(c.try_into().unwrap()))
            .collect();
        assert_eq!(
            got,
            [0x3dcc0000, 0x3eac0000, 0xc02c0000, 0x50140000, 0, 0x80000000]
        );
        let q = filter(json!({"name": QUANTIZE, "configuration": {"digits": 2, "dtype": "<f8"}}))
            .unwrap();
        let enc = q.encode(&f64s(&x), &repr(DataType::Float64, 6)).unwrap();
        assert_eq!(
            enc,
            f64s(&[0.1015625, 0.3359375, -2.703125, 1e10, 0.0, -0.0])
        );
        let q = filter(json!({"name": QUANTIZE, "configuration": {"digits": 1, "dtype": "<f4"}}))
            .unwrap();
        let enc = q.encode(&f32s(&x32), &repr(DataType::Float32, 6)).unwrap();
        assert_eq!(enc, f32s(&[0.125, 0.3125, -2.6875, 1e10, 0.0, -0.0]));
        // Negative digits round to powers of two above one.
        let q2 = filter(json!({"name": QUANTIZE, "configuration": {"digits": -2, "dtype": "<f8"}}))
            .unwrap();
        let enc2 = q2
            .encode(&f64s(&[1234.5, 99.0]), &repr(DataType::Float64, 2))
            .unwrap();
        assert_eq!(enc2, f64s(&[1216.0, 128.0]));
        // Decoding gives the rounded values back as they are.
        assert_eq!(q.decode(&enc, &repr(DataType::Float32, 6)).unwrap(), enc);
    }

    #[test]
    fn integers_keep_their_sign() {
        let f = filter(json!({"name": EXT_BITROUND, "configuration": {"keepbits": 2}})).unwrap();
        let x: Vec<u8> = [30000i16, -1, -300, 100, -32768, 0, 7, -7]
            .iter()
            .flat_map(|v| v.to_ne_bytes())
            .collect();
        let enc = f.encode(&x, &repr(DataType::Int16, 8)).unwrap();
        let got: Vec<i16> = enc
            .chunks(2)
            .map(|c| i16::from_ne_bytes([c[0], c[1]]))
            .collect();
        // 30000 would round up past 32767: down to 24576 instead.
        assert_eq!(got, [24576, -1, -256, 96, -32768, 0, 8, -8]);
        let f = filter(json!({"name": EXT_BITROUND, "configuration": {"keepbits": 1}})).unwrap();
        let x: Vec<u8> = [127i8, -128, -100, 100].iter().map(|v| *v as u8).collect();
        let enc = f.encode(&x, &repr(DataType::Int8, 4)).unwrap();
        let got: Vec<i8> = enc.iter().map(|b| *b as i8).collect();
        assert_eq!(got, [64, -128, -128, 64]);
        // Unsigned: a carry past the largest value rounds down.
        let enc = f.encode(&[255, 191, 3], &repr(DataType::UInt8, 3)).unwrap();
        assert_eq!(enc, [128, 128, 4]);
    }

    #[test]
    fn ties_round_to_even() {
        // keepbits 2: units of 0.25 between 1 and 2; halfway values go to
        // the neighbour whose last kept bit is 0.
        let f = filter(json!({"name": BITROUND, "configuration": {"keepbits": 2}})).unwrap();
        let x = [1.125f64, 1.375, -1.375, 1.625, 1.874, 1.126];
        let enc = f.encode(&f64s(&x), &repr(DataType::Float64, 6)).unwrap();
        assert_eq!(enc, f64s(&[1.0, 1.5, -1.5, 1.5, 1.75, 1.25]));
    }

    #[test]
    fn keepbits_at_the_limit_and_beyond() {
        let f = filter(json!({"name": BITROUND, "configuration": {"keepbits": 23}})).unwrap();
        let x = f32s(&[0.1, 3.7]);
        assert_eq!(f.encode(&x, &repr(DataType::Float32, 2)).unwrap(), x);
        let e = f.encode(&x, &repr(DataType::Float16, 2)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidMetadata);
        assert_eq!(
            f.encoded_repr(&repr(DataType::Int32, 2))
                .unwrap_err()
                .kind(),
            ErrorKind::InvalidMetadata
        );
    }

    /// numcodecs quantizes in `dtype` and stores the values cast to
    /// `astype`; decoding casts them back.
    #[test]
    fn quantize_stores_its_astype() {
        let q = filter(json!({"name": QUANTIZE, "configuration":
            {"digits": 2, "dtype": "<f8", "astype": "<f4"}}))
        .unwrap();
        let r = ChunkRepr::new(vec![2], DataType::Float64, 0.1f64.to_ne_bytes().to_vec());
        let enc_repr = q.encoded_repr(&r).unwrap();
        assert_eq!(enc_repr.dtype, DataType::Float32);
        assert_eq!(enc_repr.fill_value, 0.1f32.to_ne_bytes());
        // 1.2345 to multiples of 1/128 (1.234375), then to float32 (exact).
        let enc = q.encode(&f64s(&[1.2345, -2.0]), &r).unwrap();
        assert_eq!(enc, f32s(&[1.234375, -2.0]));
        assert_eq!(q.decode(&enc, &r).unwrap(), f64s(&[1.234375, -2.0]));
        assert_eq!(filter(q.to_json()).unwrap(), q);
    }

    #[test]
    fn configurations() {
        for (v, kind) in [
            (
                json!({"name": BITROUND, "configuration": {}}),
                ErrorKind::InvalidMetadata,
            ),
            (
                json!({"name": BITROUND, "configuration": {"keepbits": -1}}),
                ErrorKind::InvalidMetadata,
            ),
            (
                json!({"name": QUANTIZE, "configuration": {"digits": 2}}),
                ErrorKind::InvalidMetadata,
            ),
            (
                json!({"name": QUANTIZE, "configuration": {"digits": 2, "dtype": "<i4"}}),
                ErrorKind::InvalidMetadata,
            ),
            (
                json!({"name": QUANTIZE, "configuration": {"digits": 2, "dtype": "<f8", "astype": "<i4"}}),
                ErrorKind::InvalidMetadata,
            ),
            (
                json!({"name": QUANTIZE, "configuration": {"digits": 400, "dtype": "<f8"}}),
                ErrorKind::InvalidMetadata,
            ),
        ] {
            assert_eq!(filter(v.clone()).unwrap_err().kind(), kind, "{v}");
        }
        let q = filter(json!({"name": QUANTIZE, "configuration": {"digits": 3, "dtype": "f8", "astype": "<f8"}}))
            .unwrap();
        assert_eq!(
            q.to_json(),
            json!({"name": QUANTIZE, "configuration": {"digits": 3, "dtype": "<f8"}})
        );
        assert_eq!(
            q.encoded_repr(&repr(DataType::Float32, 2))
                .unwrap_err()
                .kind(),
            ErrorKind::InvalidMetadata
        );
    }
}
