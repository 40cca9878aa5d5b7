//! numcodecs' `pcodec` (`numcodecs.pcodec` in zarr-python 3's arrays):
//! an array->bytes codec that stores a chunk's numbers in pco's
//! standalone format (the `pco` crate, the library numcodecs' pcodec
//! package wraps). Configuration as numcodecs takes it: `level` (0 to 12,
//! default 8), `mode_spec` ("auto", "classic"), `delta_spec` ("auto",
//! "no_op" or the legacy "none", "try_consecutive", "try_lookback"),
//! `delta_encoding_order` (0 to 7, with "auto" or "try_consecutive"),
//! `paging_spec` ("equal_pages_up_to") and `equal_pages_up_to`.
//!
//! Element types are numcodecs': the 16-, 32- and 64-bit integers and
//! floats, and numpy's time types as their int64 counts. Built with the
//! cargo feature `pcodec` (on by default; the `pco` crate needs Rust
//! 1.87); without it the codec is unsupported.

#[cfg(feature = "pcodec")]
use super::{codec_json, ArrayToBytesCodec};
use super::{ChunkRepr, CodecSpec};
use crate::dtype::DataType;
#[cfg(feature = "pcodec")]
use crate::error::{corrupt, invalid_argument};
use crate::error::{invalid_metadata, unsupported, Result};
#[cfg(feature = "pcodec")]
use serde_json::Map;
use serde_json::Value;

pub const NAME: &str = "numcodecs.pcodec";

/// The settings numcodecs' PCodec takes (as `.zarray` keys beside "id").
pub const CONFIG_KEYS: &[&str] = &[
    "level",
    "mode_spec",
    "delta_spec",
    "paging_spec",
    "delta_encoding_order",
    "equal_pages_up_to",
];

fn bad_config(what: String) -> crate::error::Error {
    invalid_metadata(format!("codec \"{NAME}\": {what}"))
}

/// Whether pcodec takes elements of `t` (the numpy time types as the
/// int64 counts numcodecs hands pcodec).
fn supported(t: &DataType) -> bool {
    use DataType::*;
    matches!(
        t,
        Int16
            | Int32
            | Int64
            | UInt16
            | UInt32
            | UInt64
            | Float16
            | Float32
            | Float64
            | DateTime64(..)
            | TimeDelta64(..)
    )
}

/// The codec: its configuration as written, and pco's form of it.
#[cfg(feature = "pcodec")]
#[derive(Debug, Clone)]
pub struct PcodecCodec {
    json: Map<String, Value>,
    config: pco::ChunkConfig,
}

/// The codec for chunks of `repr`; unsupported in builds without pco
/// (after the configuration is checked, so bad metadata says so).
pub fn build(spec: &CodecSpec, repr: &ChunkRepr) -> Result<super::Codec> {
    spec.check_keys(CONFIG_KEYS)?;
    if !supported(&repr.dtype) {
        return Err(unsupported(format!(
            "codec \"{NAME}\": data type {} is not supported (16-, 32- and 64-bit \
             integers and floats, and numpy's time types, are)",
            repr.dtype.name()
        )));
    }
    #[cfg(not(feature = "pcodec"))]
    {
        parse_config(spec)?;
        Err(unsupported(format!(
            "codec \"{NAME}\": this build of zarrio has no pcodec (cargo feature \"pcodec\", \
             which needs Rust 1.87)"
        )))
    }
    #[cfg(feature = "pcodec")]
    Ok(super::Codec::ArrayToBytes(std::sync::Arc::new(
        PcodecCodec {
            json: spec.configuration.clone(),
            config: parse_config(spec)?,
        },
    )))
}

/// An optional non-negative integer setting (null, as numcodecs writes
/// an unset `delta_encoding_order`, only where `nullable`).
fn uint(spec: &CodecSpec, key: &str, nullable: bool) -> Result<Option<usize>> {
    match spec.get(key) {
        None => Ok(None),
        Some(Value::Null) if nullable => Ok(None),
        Some(v) => v
            .as_u64()
            .and_then(|n| usize::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| bad_config(format!("\"{key}\" {v} is not a non-negative integer"))),
    }
}

fn string<'a>(spec: &'a CodecSpec, key: &str, default: &'a str) -> Result<&'a str> {
    match spec.get(key) {
        None => Ok(default),
        Some(Value::String(s)) => Ok(s),
        Some(v) => Err(bad_config(format!("\"{key}\" {v} is not a string"))),
    }
}

#[cfg(feature = "pcodec")]
type Config = pco::ChunkConfig;
#[cfg(not(feature = "pcodec"))]
type Config = ();

/// numcodecs' settings as pco's chunk configuration, refusing what
/// numcodecs refuses.
fn parse_config(spec: &CodecSpec) -> Result<Config> {
    let level = uint(spec, "level", false)?.unwrap_or(8);
    if level > 12 {
        return Err(bad_config(format!("\"level\" {level} is past 12")));
    }
    let mode = string(spec, "mode_spec", "auto")?;
    if !matches!(mode, "auto" | "classic") {
        return Err(bad_config(format!("unknown mode_spec \"{mode}\"")));
    }
    let delta = string(spec, "delta_spec", "auto")?;
    let order = uint(spec, "delta_encoding_order", true)?;
    if order.is_some_and(|o| o > 7) {
        return Err(bad_config(format!(
            "\"delta_encoding_order\" {} is past 7",
            order.unwrap_or_default()
        )));
    }
    // (delta kind, order): an order with "auto" means "try_consecutive",
    // as numcodecs reads its older configurations.
    let delta = match (delta, order) {
        ("auto", None) => "auto",
        ("auto" | "try_consecutive", Some(_)) => "try_consecutive",
        ("try_consecutive", None) => {
            return Err(bad_config(
                "delta_spec \"try_consecutive\" needs a delta_encoding_order".into(),
            ))
        }
        (_, Some(_)) => {
            return Err(bad_config(
                "delta_encoding_order needs delta_spec \"try_consecutive\" or \"auto\"".into(),
            ))
        }
        ("no_op" | "none", None) => "no_op",
        ("try_lookback", None) => "try_lookback",
        (other, None) => return Err(bad_config(format!("unknown delta_spec \"{other}\""))),
    };
    let paging = string(spec, "paging_spec", "equal_pages_up_to")?;
    if paging != "equal_pages_up_to" {
        return Err(bad_config(format!("unknown paging_spec \"{paging}\"")));
    }
    let pages = uint(spec, "equal_pages_up_to", false)?.unwrap_or(262144);
    if pages == 0 {
        return Err(bad_config("\"equal_pages_up_to\" must be positive".into()));
    }
    #[cfg(not(feature = "pcodec"))]
    {
        let _ = (level, mode, delta, order, pages);
        Ok(())
    }
    #[cfg(feature = "pcodec")]
    {
        use pco::{DeltaSpec, ModeSpec, PagingSpec};
        Ok(pco::ChunkConfig::default()
            .with_compression_level(level)
            .with_mode_spec(if mode == "classic" {
                ModeSpec::Classic
            } else {
                ModeSpec::Auto
            })
            .with_delta_spec(match delta {
                "try_consecutive" => DeltaSpec::TryConsecutive(order.unwrap_or_default()),
                "no_op" => DeltaSpec::NoOp,
                "try_lookback" => DeltaSpec::TryLookback,
                _ => DeltaSpec::Auto,
            })
            .with_paging_spec(PagingSpec::EqualPagesUpTo(pages)))
    }
}

#[cfg(feature = "pcodec")]
mod imp {
    use super::*;
    use pco::data_types::Number;
    use pco::standalone::{simple_compress, simple_decompress_into};

    /// A pco error while encoding: the data or settings are at fault.
    fn encode_error(e: pco::errors::PcoError) -> crate::error::Error {
        invalid_argument(format!("codec \"{NAME}\": encoding: {e}"))
    }

    /// A pco error while decoding: the stored chunk is at fault.
    fn decode_error(e: pco::errors::PcoError) -> crate::error::Error {
        corrupt(format!("codec \"{NAME}\": decoding: {e}"))
    }

    /// The numbers of a chunk's bytes (native byte order), borrowed when
    /// they are aligned for `T`, else copied.
    fn numbers<T: Number>(data: &[u8]) -> std::borrow::Cow<'_, [T]> {
        // SAFETY: T is one of pcodec's number types (integers, f16, f32,
        // f64), for which every bit pattern is a value; align_to only
        // puts whole, aligned elements in the middle slice.
        let (head, mid, tail) = unsafe { data.align_to::<T>() };
        if head.is_empty() && tail.is_empty() {
            return std::borrow::Cow::Borrowed(mid);
        }
        let n = std::mem::size_of::<T>();
        let mut v = Vec::with_capacity(data.len() / n);
        for c in data.chunks_exact(n) {
            // SAFETY: `c` holds exactly size_of::<T>() bytes, any of which
            // make a value of T; read_unaligned needs no alignment.
            v.push(unsafe { std::ptr::read_unaligned(c.as_ptr() as *const T) });
        }
        std::borrow::Cow::Owned(v)
    }

    pub(super) fn encode<T: Number>(config: &pco::ChunkConfig, data: &[u8]) -> Result<Vec<u8>> {
        simple_compress(&numbers::<T>(data), config).map_err(encode_error)
    }

    pub(super) fn decode_into<T: Number>(bytes: &[u8], out: &mut [u8]) -> Result<()> {
        let n = out.len() / std::mem::size_of::<T>();
        // SAFETY: T is one of pcodec's number types, without padding and
        // with a value for every bit pattern: the bytes already in `out`
        // are values of T, and whatever pco writes leaves them bytes.
        let (head, mid, tail) = unsafe { out.align_to_mut::<T>() };
        let progress = if head.is_empty() && tail.is_empty() {
            simple_decompress_into(bytes, mid)
        } else {
            let mut v = vec![T::default(); n];
            let p = simple_decompress_into(bytes, &mut v);
            if p.is_ok() {
                for (o, x) in out.chunks_exact_mut(std::mem::size_of::<T>()).zip(&v) {
                    // SAFETY: `o` holds size_of::<T>() bytes; no alignment needed.
                    unsafe { std::ptr::write_unaligned(o.as_mut_ptr() as *mut T, *x) };
                }
            }
            p
        }
        .map_err(decode_error)?;
        if progress.n_processed != n || !progress.finished {
            return Err(corrupt(format!(
                "codec \"{NAME}\": the stored chunk holds {} numbers, not {n}",
                if progress.finished {
                    progress.n_processed.to_string()
                } else {
                    "more".to_string()
                }
            )));
        }
        Ok(())
    }
}

/// Calls `imp::$f::<T>($args)` with `T` the Rust type of `$t`.
#[cfg(feature = "pcodec")]
macro_rules! by_type {
    ($t:expr, $f:ident, $($arg:expr),*) => {
        match $t {
            DataType::Int16 => imp::$f::<i16>($($arg),*),
            DataType::Int32 => imp::$f::<i32>($($arg),*),
            DataType::Int64 | DataType::DateTime64(..) | DataType::TimeDelta64(..) => {
                imp::$f::<i64>($($arg),*)
            }
            DataType::UInt16 => imp::$f::<u16>($($arg),*),
            DataType::UInt32 => imp::$f::<u32>($($arg),*),
            DataType::UInt64 => imp::$f::<u64>($($arg),*),
            DataType::Float16 => imp::$f::<half::f16>($($arg),*),
            DataType::Float32 => imp::$f::<f32>($($arg),*),
            DataType::Float64 => imp::$f::<f64>($($arg),*),
            other => Err(unsupported(format!(
                "codec \"{NAME}\": data type {} is not supported",
                other.name()
            ))),
        }
    };
}

#[cfg(feature = "pcodec")]
impl ArrayToBytesCodec for PcodecCodec {
    fn to_json(&self) -> Value {
        codec_json(NAME, Value::Object(self.json.clone()))
    }

    fn encode(&self, data: &[u8], repr: &ChunkRepr) -> Result<Vec<u8>> {
        if data.len() != repr.nbytes() {
            return Err(invalid_argument(format!(
                "codec \"{NAME}\": {} bytes for a chunk of {}",
                data.len(),
                repr.nbytes()
            )));
        }
        by_type!(&repr.dtype, encode, &self.config, data)
    }

    fn decode_into(&self, bytes: &[u8], repr: &ChunkRepr, out: &mut [u8]) -> Result<()> {
        if out.len() != repr.nbytes() {
            return Err(crate::error::internal(format!(
                "codec \"{NAME}\": {} bytes to decode a chunk of {} into",
                out.len(),
                repr.nbytes()
            )));
        }
        by_type!(&repr.dtype, decode_into, bytes, out)
    }

    fn fixed_encoded_size(&self, _repr: &ChunkRepr) -> Option<u64> {
        None
    }

    /// pco's own bound for the configured paging, so that a compressor
    /// after pcodec cannot be made to expand a chunk without limit. As
    /// pco's `file_size` adds it up, but for the two page sizes equal
    /// paging makes rather than page by page (pco lists every page: a
    /// hostile chunk shape with pages of one number would not fit in
    /// memory).
    fn max_encoded_size(&self, repr: &ChunkRepr) -> u64 {
        use pco::standalone::guarantee::{chunk_size, header_size};
        let n = repr.num_elements();
        let pco::PagingSpec::EqualPagesUpTo(per_page) = self.config.paging_spec else {
            return u64::MAX;
        };
        if n == 0 {
            return (header_size() + 1) as u64;
        }
        let pages = n.div_ceil(per_page as u64);
        let (low, high_pages) = (n / pages, n % pages);
        let page = |k: u64| -> u64 {
            let k = k as usize;
            (match repr.dtype.size() {
                2 => chunk_size::<u16>(k),
                4 => chunk_size::<u32>(k),
                _ => chunk_size::<u64>(k),
            }) as u64
        };
        (header_size() as u64 + 1)
            .saturating_add(high_pages.saturating_mul(page(low + 1)))
            .saturating_add((pages - high_pages).saturating_mul(page(low)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use serde_json::json;

    fn build_for(cfg: Value, t: DataType) -> Result<super::super::Codec> {
        let spec = CodecSpec::from_json(&json!({"name": NAME, "configuration": cfg}))?;
        let fill = vec![0u8; t.size()];
        build(&spec, &ChunkRepr::new(vec![7, 3], t, fill))
    }

    #[test]
    fn bad_settings_are_invalid_metadata_and_other_types_unsupported() {
        for cfg in [
            json!({"level": 13}),
            json!({"mode_spec": "dict"}),
            json!({"delta_spec": "try_consecutive"}),
            json!({"delta_spec": "no_op", "delta_encoding_order": 2}),
            json!({"delta_encoding_order": 8}),
            json!({"paging_spec": "exact"}),
            json!({"equal_pages_up_to": 0}),
            json!({"speed": 1}),
            json!({"level": null}),
            json!({"mode_spec": null}),
        ] {
            let e = build_for(cfg.clone(), DataType::Float32).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidMetadata, "{cfg}: {e}");
        }
        let e = build_for(json!({}), DataType::UInt8).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unsupported);
    }

    #[cfg(not(feature = "pcodec"))]
    #[test]
    fn without_the_feature_the_codec_is_unsupported() {
        let e = build_for(json!({"level": 3}), DataType::Float32).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unsupported);
    }

    #[cfg(feature = "pcodec")]
    #[test]
    fn the_encoded_size_bound_is_pcos_and_takes_no_memory() {
        use pco::standalone::guarantee::file_size;
        for (pages, n) in [
            (262144, 1u64),
            (262144, 300000),
            (3, 10),
            (1, 7),
            (100, 1000),
            (7, 50),
        ] {
            let super::super::Codec::ArrayToBytes(c) =
                build_for(json!({"equal_pages_up_to": pages}), DataType::Float32).unwrap()
            else {
                panic!("pcodec is an array->bytes codec")
            };
            let repr = ChunkRepr::new(vec![n], DataType::Float32, vec![0; 4]);
            let want =
                file_size::<u32>(n as usize, &pco::PagingSpec::EqualPagesUpTo(pages)).unwrap();
            assert_eq!(c.max_encoded_size(&repr), want as u64, "{pages} {n}");
        }
        // A chunk of 2^40 numbers in pages of one: a bound, not 8 TB of list.
        let super::super::Codec::ArrayToBytes(c) =
            build_for(json!({"equal_pages_up_to": 1}), DataType::Float32).unwrap()
        else {
            panic!("pcodec is an array->bytes codec")
        };
        let repr = ChunkRepr::new(vec![1 << 40], DataType::Float32, vec![0; 4]);
        assert!(c.max_encoded_size(&repr) > 1 << 40);
    }

    #[cfg(feature = "pcodec")]
    #[test]
    fn chunks_round_trip_into_unaligned_buffers_and_wrong_lengths_fail() {
        let super::super::Codec::ArrayToBytes(c) = build_for(
            json!({"level": 4, "delta_spec": "try_lookback"}),
            DataType::Int32,
        )
        .unwrap() else {
            panic!("pcodec is an array->bytes codec")
        };
        let repr = ChunkRepr::new(vec![7, 3], DataType::Int32, vec![0; 4]);
        let data: Vec<u8> = (0..21i32)
            .flat_map(|x| (x * x - 50).to_ne_bytes())
            .collect();
        // One byte in, so neither buffer is aligned for i32.
        let mut input = vec![0u8; 1 + data.len()];
        input[1..].copy_from_slice(&data);
        let enc = c.encode(&input[1..], &repr).unwrap();
        let mut out = vec![0u8; 1 + data.len()];
        c.decode_into(&enc, &repr, &mut out[1..]).unwrap();
        assert_eq!(&out[1..], &data[..]);
        // A chunk of another shape holds too many or too few numbers.
        let small = ChunkRepr::new(vec![5], DataType::Int32, vec![0; 4]);
        let e = c.decode_into(&enc, &small, &mut [0u8; 20]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Corrupt);
        let big = ChunkRepr::new(vec![30], DataType::Int32, vec![0; 4]);
        let e = c.decode_into(&enc, &big, &mut [0u8; 120]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Corrupt);
    }
}
