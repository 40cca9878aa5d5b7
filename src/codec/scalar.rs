//! Element values of the integer and floating-point types taken by value,
//! for the codecs that compute with values rather than bytes
//! (`cast_value`, `scale_offset`): integers widen to `i128` and floats
//! to `f64`, both losslessly, so one conversion serves every pair of
//! types.

use crate::dtype::DataType;
use crate::error::{invalid_metadata, Result};
use half::f16;
use serde_json::Value;

/// One element's value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Scalar {
    Int(i128),
    Float(f64),
}

impl Scalar {
    /// Equal as values: NaN matches NaN, and -0.0 matches 0.0 (how a
    /// `cast_value` scalar map finds its entries).
    pub(crate) fn same_value(self, other: Scalar) -> bool {
        match (self, other) {
            (Scalar::Int(a), Scalar::Int(b)) => a == b,
            (Scalar::Float(a), Scalar::Float(b)) => a == b || (a.is_nan() && b.is_nan()),
            // Both sides are parsed in one type, so kinds never mix.
            _ => false,
        }
    }
}

/// Values as error messages show them: large and tiny floats in
/// scientific notation rather than in hundreds of digits.
impl std::fmt::Display for Scalar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Scalar::Int(x) => write!(f, "{x}"),
            Scalar::Float(v) if v != 0.0 && v.is_finite() && !(1e-4..1e16).contains(&v.abs()) => {
                write!(f, "{v:e}")
            }
            Scalar::Float(v) => write!(f, "{v}"),
        }
    }
}

/// Whether `t` is one of the types these codecs compute with: the
/// integers and numpy's floats (what zarr-python's `scale_offset` and
/// the `cast_value` implementation it calls accept).
pub(crate) fn is_numeric(t: &DataType) -> bool {
    is_int(t) || matches!(t, DataType::Float16 | DataType::Float32 | DataType::Float64)
}

#[inline(always)]
pub(crate) fn is_int(t: &DataType) -> bool {
    use DataType::*;
    matches!(
        t,
        Int8 | Int16 | Int32 | Int64 | UInt8 | UInt16 | UInt32 | UInt64
    )
}

/// The least and greatest value of an integer type.
#[inline(always)]
pub(crate) fn int_range(t: &DataType) -> (i128, i128) {
    use DataType::*;
    let bits = 8 * t.size() as u32;
    match t {
        Int8 | Int16 | Int32 | Int64 => (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1),
        _ => (0, (1i128 << bits) - 1),
    }
}

/// An element type, read and written by value.
pub(crate) trait Elem {
    const SIZE: usize;
    /// The data type, for kernels to branch on at compile time.
    const DTYPE: DataType;
    fn read(b: &[u8]) -> Scalar;
    /// `v` is a value the type holds exactly.
    fn write(v: Scalar, o: &mut [u8]);
}

macro_rules! int_elem {
    ($($t:ty: $d:ident),*) => {$(
        impl Elem for $t {
            const SIZE: usize = std::mem::size_of::<$t>();
            const DTYPE: DataType = DataType::$d;
            #[inline(always)]
            fn read(b: &[u8]) -> Scalar {
                Scalar::Int(<$t>::from_ne_bytes(b.try_into().expect("one element")) as i128)
            }
            #[inline(always)]
            fn write(v: Scalar, o: &mut [u8]) {
                let x = match v {
                    Scalar::Int(x) => x as $t,
                    Scalar::Float(f) => f as $t,
                };
                o.copy_from_slice(&x.to_ne_bytes());
            }
        }
    )*};
}
int_elem!(i8: Int8, i16: Int16, i32: Int32, i64: Int64, u8: UInt8, u16: UInt16, u32: UInt32, u64: UInt64);

macro_rules! float_elem {
    ($($t:ty: $d:ident, $from:expr, $to:expr);*) => {$(
        impl Elem for $t {
            const SIZE: usize = std::mem::size_of::<$t>();
            const DTYPE: DataType = DataType::$d;
            #[inline(always)]
            fn read(b: &[u8]) -> Scalar {
                Scalar::Float($to(<$t>::from_ne_bytes(b.try_into().expect("one element"))))
            }
            #[inline(always)]
            fn write(v: Scalar, o: &mut [u8]) {
                let f = match v {
                    Scalar::Float(f) => f,
                    Scalar::Int(x) => x as f64,
                };
                o.copy_from_slice(&$from(f).to_ne_bytes());
            }
        }
    )*};
}
float_elem!(
    f16: Float16, f16::from_f64, f16::to_f64;
    f32: Float32, |f: f64| f as f32, |f: f32| f as f64;
    f64: Float64, |f: f64| f, |f: f64| f
);

/// A function of one element's value that knows the element types it
/// maps between at compile time (`S::DTYPE`, `T::DTYPE`), so that its
/// branches on them fold away in each pair's loop.
pub(crate) trait Kernel {
    type Error;
    fn apply<S: Elem, T: Elem>(&self, v: Scalar) -> std::result::Result<Scalar, Self::Error>;
}

fn map_typed<S: Elem, T: Elem, K: Kernel>(
    src: &[u8],
    dst: &mut [u8],
    k: &K,
) -> std::result::Result<(), K::Error> {
    for (s, d) in src.chunks_exact(S::SIZE).zip(dst.chunks_exact_mut(T::SIZE)) {
        T::write(k.apply::<S, T>(S::read(s))?, d);
    }
    Ok(())
}

/// Calls `$k!(T, $($arg)*)` with `T` the Rust type of numeric type `$t`.
macro_rules! with_elem {
    ($t:expr, $k:ident, $($arg:tt)*) => {
        match $t {
            DataType::Int8 => $k!(i8, $($arg)*),
            DataType::Int16 => $k!(i16, $($arg)*),
            DataType::Int32 => $k!(i32, $($arg)*),
            DataType::Int64 => $k!(i64, $($arg)*),
            DataType::UInt8 => $k!(u8, $($arg)*),
            DataType::UInt16 => $k!(u16, $($arg)*),
            DataType::UInt32 => $k!(u32, $($arg)*),
            DataType::UInt64 => $k!(u64, $($arg)*),
            DataType::Float16 => $k!(f16, $($arg)*),
            DataType::Float32 => $k!(f32, $($arg)*),
            DataType::Float64 => $k!(f64, $($arg)*),
            other => unreachable!("{} is not a numeric type", other.name()),
        }
    };
}

/// Each element of `src` (numeric type `from`, native byte order) mapped
/// by `k` to an element of `dst` (numeric type `to`), in one loop per
/// pair of types; stops at the first error. `dst` holds as many
/// elements as `src`.
pub(crate) fn map_elements<K: Kernel>(
    from: &DataType,
    to: &DataType,
    src: &[u8],
    dst: &mut [u8],
    k: &K,
) -> std::result::Result<(), K::Error> {
    macro_rules! inner {
        ($s:ty,) => {
            with_elem!(to, outer, $s)
        };
    }
    macro_rules! outer {
        ($t:ty, $s:ty) => {
            map_typed::<$s, $t, K>(src, dst, k)
        };
    }
    with_elem!(from, inner,)
}

/// `map_elements` from a type to itself.
pub(crate) fn map_same<K: Kernel>(
    t: &DataType,
    src: &[u8],
    dst: &mut [u8],
    k: &K,
) -> std::result::Result<(), K::Error> {
    macro_rules! same {
        ($s:ty,) => {
            map_typed::<$s, $s, K>(src, dst, k)
        };
    }
    with_elem!(t, same,)
}

/// The bits of an element (or part) of 1 to 8 bytes in native byte
/// order, as an unsigned integer: a bit pattern to shift and mask.
#[inline]
pub(crate) fn load_bits(b: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    if cfg!(target_endian = "little") {
        w[..b.len()].copy_from_slice(b);
        u64::from_le_bytes(w)
    } else {
        w[8 - b.len()..].copy_from_slice(b);
        u64::from_be_bytes(w)
    }
}

/// The low `o.len()` (1 to 8) bytes of `v` into `o` in native byte
/// order: the inverse of `load_bits`.
#[inline]
pub(crate) fn store_bits(v: u64, o: &mut [u8]) {
    if cfg!(target_endian = "little") {
        o.copy_from_slice(&v.to_le_bytes()[..o.len()]);
    } else {
        o.copy_from_slice(&v.to_be_bytes()[8 - o.len()..]);
    }
}

/// Store `v`, a value type `t` holds exactly, as the one element in `o`.
pub(crate) fn store(t: &DataType, v: Scalar, o: &mut [u8]) {
    macro_rules! write {
        ($s:ty,) => {
            <$s as Elem>::write(v, o)
        };
    }
    with_elem!(t, write,)
}

/// The value of the one element in `b`, of numeric type `t`.
pub(crate) fn load(t: &DataType, b: &[u8]) -> Scalar {
    macro_rules! read {
        ($s:ty,) => {
            <$s as Elem>::read(b)
        };
    }
    with_elem!(t, read,)
}

/// A configuration value in the fill value encoding of type `t` (numbers,
/// "NaN", "Infinity", hex bit patterns), as a value of `t`.
pub(crate) fn parse(t: &DataType, v: &Value, codec: &str, what: &str) -> Result<Scalar> {
    let bytes = t.parse_fill_value(v).map_err(|_| {
        invalid_metadata(format!(
            "codec \"{codec}\": {what} {v} is not a value of {}",
            t.name()
        ))
    })?;
    Ok(load(t, &bytes))
}
