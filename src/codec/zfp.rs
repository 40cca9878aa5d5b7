//! zarrs' `zfp` codec (zarr-extensions' `zarrs.zfp`, named `zfp`,
//! `zarrs.zfp` or by zarrs' URL): an array->bytes codec that stores a
//! chunk as a bare zfp stream. Unlike numcodecs' `zfpy` it writes no
//! header: the array's metadata gives the type, the shape and the mode.
//!
//! Modes as strings: `reversible`, `fixed_rate` (`rate`),
//! `fixed_precision` (`precision`), `fixed_accuracy` (`tolerance`, for
//! floats only) and `expert` (`minbits`, `maxbits`, `maxprec`, `minexp`).
//! As zarrs 0.23 (the codec's only writer) sets it, a fixed `rate` is
//! per value of a block of 4^3 values, whatever the chunk's dimensions:
//! a 1-dimensional chunk at rate 8 takes 512 bits per block of 4 values.
//!
//! Types: float32, float64, int32, int64, and the numpy times as int64;
//! int8, uint8, int16 and uint16 promoted to int32 as zfp's
//! `zfp_promote_*` functions do; uint32 and uint64 stored as int32 and
//! int64, which hold only values below 2^31 and 2^63 (zarrs clamps larger
//! ones; zarrio refuses to write them rather than change them).
//!
//! Chunks of 1 to 4 dimensions keep them; of more, the dimensions of
//! size 1 are dropped and at most 4 may remain; a 0-dimensional chunk is
//! one value.
//!
//! Built with the cargo feature `zfp`; without it the codec reports
//! unsupported.

use super::zfp_stream::{Mode, ZFP_DOUBLE, ZFP_FLOAT, ZFP_INT32, ZFP_INT64};
use super::{ChunkRepr, CodecSpec};
use crate::dtype::DataType;
use crate::error::{invalid_metadata, unsupported, Result};
use serde_json::Value;
use std::os::raw::c_int;

pub const NAME: &str = "zfp";

/// `ZFP_MAX_BITS`: the most bits a block of 4^4 values can take.
const ZFP_MAX_BITS: u32 = 16658;

/// The names zarrs writes and reads the codec under.
pub const NAMES: &[&str] = &[
    NAME,
    "zarrs.zfp",
    "https://codec.zarrs.dev/array_to_bytes/zfp",
];

pub fn is_name(name: &str) -> bool {
    NAMES.contains(&name)
}

/// How the chunk's values reach zfp's scalars.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Promotion {
    /// Stored as they are.
    None,
    /// A signed integer of `bits` bits, shifted to the top of an int32.
    Signed(u32),
    /// An unsigned integer of `bits` bits, offset to signed and shifted
    /// to the top of an int32.
    Unsigned(u32),
    /// An unsigned integer held as the signed integer of its width: only
    /// values with the top bit clear fit.
    TopBitClear,
}

/// The zfp scalar type and promotion of a chunk of `t`.
fn zfp_type(t: &DataType) -> Option<(c_int, Promotion)> {
    Some(match t {
        DataType::Int8 => (ZFP_INT32, Promotion::Signed(8)),
        DataType::UInt8 => (ZFP_INT32, Promotion::Unsigned(8)),
        DataType::Int16 => (ZFP_INT32, Promotion::Signed(16)),
        DataType::UInt16 => (ZFP_INT32, Promotion::Unsigned(16)),
        DataType::Int32 => (ZFP_INT32, Promotion::None),
        DataType::UInt32 => (ZFP_INT32, Promotion::TopBitClear),
        DataType::Int64 | DataType::DateTime64(..) | DataType::TimeDelta64(..) => {
            (ZFP_INT64, Promotion::None)
        }
        DataType::UInt64 => (ZFP_INT64, Promotion::TopBitClear),
        DataType::Float32 => (ZFP_FLOAT, Promotion::None),
        DataType::Float64 => (ZFP_DOUBLE, Promotion::None),
        _ => return None,
    })
}

fn bad_config(name: &str, what: String) -> crate::error::Error {
    invalid_metadata(format!("codec \"{name}\": {what}"))
}

/// The mode and settings of the configuration, each checked for its type.
fn parse_mode(spec: &CodecSpec) -> Result<Mode> {
    let name = spec.name.as_str();
    let mode = match spec.get("mode") {
        Some(Value::String(m)) => m.as_str(),
        Some(v) => return Err(bad_config(name, format!("\"mode\" {v} is not a string"))),
        None => return Err(bad_config(name, "\"mode\" is missing".into())),
    };
    let keys: &[&str] = match mode {
        "reversible" => &[],
        "fixed_rate" => &["rate"],
        "fixed_precision" => &["precision"],
        "fixed_accuracy" => &["tolerance"],
        "expert" => &["minbits", "maxbits", "maxprec", "minexp"],
        m => {
            return Err(bad_config(
                name,
                format!(
                    "mode \"{m}\" is not one of reversible, fixed_rate, fixed_precision, \
                     fixed_accuracy and expert"
                ),
            ))
        }
    };
    for k in spec.configuration.keys() {
        // zarrs once wrote `write_header`; false is the stream read here.
        let old_header = k == "write_header" && spec.get(k) == Some(&Value::Bool(false));
        if k != "mode" && !keys.contains(&k.as_str()) && !old_header {
            if k == "write_header" {
                return Err(unsupported(format!(
                    "codec \"{name}\": streams with zfp's header (\"write_header\") are not \
                     supported"
                )));
            }
            return Err(bad_config(
                name,
                format!("unknown configuration field \"{k}\" in mode \"{mode}\""),
            ));
        }
    }
    let get = |k: &str| {
        spec.get(k)
            .ok_or_else(|| bad_config(name, format!("mode \"{mode}\" needs \"{k}\"")))
    };
    let number = |k: &str| -> Result<f64> {
        let v = get(k)?;
        v.as_f64()
            .filter(|x| x.is_finite() && *x >= 0.0)
            .ok_or_else(|| bad_config(name, format!("\"{k}\" {v} is not a number of 0 or more")))
    };
    let unsigned = |k: &str| -> Result<u32> {
        let v = get(k)?;
        v.as_u64()
            .and_then(|x| u32::try_from(x).ok())
            .ok_or_else(|| bad_config(name, format!("\"{k}\" {v} is not an unsigned integer")))
    };
    Ok(match mode {
        "reversible" => Mode::Reversible,
        // zfp takes the rate's bits per block of 4^3 values as an
        // unsigned int; a block takes at most ZFP_MAX_BITS.
        "fixed_rate" => match number("rate")? {
            r if r * 64.0 > f64::from(ZFP_MAX_BITS) => {
                return Err(bad_config(
                    name,
                    format!(
                        "rate {r} is more bits per block of 64 values ({}) than zfp's most, \
                         {ZFP_MAX_BITS}",
                        r * 64.0
                    ),
                ))
            }
            rate => Mode::Rate { rate, dims: 3 },
        },
        "fixed_precision" => Mode::Precision(unsigned("precision")?),
        "fixed_accuracy" => Mode::Accuracy(number("tolerance")?),
        _ => {
            let minexp = get("minexp")?;
            // zfp subtracts it from exponents in a C int: far beyond any
            // float's exponents it would overflow.
            let minexp = minexp
                .as_i64()
                .filter(|x| x.abs() <= 1 << 20)
                .ok_or_else(|| {
                    bad_config(
                        name,
                        format!("\"minexp\" {minexp} is not an integer within 2^20 of 0"),
                    )
                })? as i32;
            Mode::Expert {
                minbits: unsigned("minbits")?,
                maxbits: unsigned("maxbits")?,
                maxprec: unsigned("maxprec")?,
                minexp,
            }
        }
    })
}

/// zfp's dimensions of a chunk of `shape`, fastest-varying first.
fn zfp_dims(name: &str, shape: &[u64]) -> Result<Vec<usize>> {
    let kept: Vec<u64> = match shape.len() {
        0 => vec![1],
        1..=4 => shape.to_vec(),
        _ => {
            let big: Vec<u64> = shape.iter().copied().filter(|&n| n > 1).collect();
            if big.is_empty() {
                vec![1]
            } else {
                big
            }
        }
    };
    if kept.len() > 4 {
        return Err(unsupported(format!(
            "codec \"{name}\": zfp compresses chunks of at most 4 dimensions longer than 1, \
             not {shape:?}"
        )));
    }
    kept.iter()
        .rev()
        .map(|&n| {
            usize::try_from(n)
                .map_err(|_| unsupported(format!("codec \"{name}\": chunk shape {shape:?}")))
        })
        .collect()
}

/// The codec for chunks of `repr`; unsupported in builds without zfp
/// (after the configuration is checked, so bad metadata says so).
pub fn build(spec: &CodecSpec, repr: &ChunkRepr) -> Result<super::Codec> {
    let name = spec.name.as_str();
    let mode = parse_mode(spec)?;
    let (ztype, promotion) = zfp_type(&repr.dtype).ok_or_else(|| {
        unsupported(format!(
            "codec \"{name}\": data type {} is not supported (int8 to int64, uint8 to uint64, \
             float32, float64 and the numpy times are)",
            repr.dtype.name()
        ))
    })?;
    if matches!(mode, Mode::Accuracy(_)) && !matches!(ztype, ZFP_FLOAT | ZFP_DOUBLE) {
        return Err(unsupported(format!(
            "codec \"{name}\": mode \"fixed_accuracy\" compresses floats, not {}",
            repr.dtype.name()
        )));
    }
    if let Mode::Expert {
        minbits,
        maxbits,
        maxprec,
        ..
    } = mode
    {
        let overhead = super::zfp_stream::block_overhead_bits(ztype);
        // zfp pads every block to minbits: more than the most a block can
        // take (`ZFP_MAX_BITS`) would only make chunks larger.
        if minbits > maxbits
            || minbits > ZFP_MAX_BITS
            || !(1..=64).contains(&maxprec)
            || maxbits < overhead.max(1)
        {
            return Err(bad_config(
                name,
                format!(
                    "expert parameters minbits {minbits}, maxbits {maxbits}, maxprec {maxprec} \
                     are not zfp's (minbits at most maxbits and {ZFP_MAX_BITS}, maxprec 1 to \
                     64, maxbits at least {} for {})",
                    overhead.max(1),
                    repr.dtype.name()
                ),
            ));
        }
    }
    // zfp rounds 64 x rate to whole bits per block, and raises them to
    // what a block of floats starts with: an integer block can get none.
    if let Mode::Rate { rate, .. } = mode {
        if (64.0 * rate + 0.5).floor() < 1.0 && !matches!(ztype, ZFP_FLOAT | ZFP_DOUBLE) {
            return Err(bad_config(
                name,
                format!("rate {rate} gives a block of 64 values no bits"),
            ));
        }
    }
    let dims = zfp_dims(name, &repr.shape)?;
    #[cfg(not(feature = "zfp"))]
    {
        let _ = (mode, ztype, promotion, dims);
        Err(unsupported(format!(
            "codec \"{name}\": this build of zarrio has no zfp (cargo feature \"zfp\")"
        )))
    }
    #[cfg(feature = "zfp")]
    Ok(super::Codec::ArrayToBytes(std::sync::Arc::new(
        imp::Zfp::new(spec, mode, ztype, promotion, repr.dtype.size(), dims)?,
    )))
}

#[cfg(feature = "zfp")]
mod imp {
    use super::super::zfp_stream::{
        as_bytes, block_count, decode_checked, padded, round_up_8, words, Mode, Session,
    };
    use super::super::{codec_json, ArrayToBytesCodec, ChunkRepr, CodecSpec};
    use super::{Promotion, ZFP_INT64};
    use crate::error::{corrupt, internal, invalid_argument, Result};
    use serde_json::Value;
    use std::os::raw::c_int;

    #[derive(Debug, Clone)]
    pub struct Zfp {
        json: Value,
        name: String,
        mode: Mode,
        ztype: c_int,
        promotion: Promotion,
        /// Bytes of one of the chunk's elements, and of one zfp scalar.
        elem: usize,
        zelem: usize,
        /// The chunk's zfp dimensions, fastest-varying first.
        dims: Vec<usize>,
        /// The bytes of every stream of a fixed rate; None otherwise.
        fixed_size: Option<usize>,
        /// The most bytes the decoder may read: zfp's bound for the shape
        /// and mode, plus a word per block for the bit-plane ends it does
        /// not count.
        most: usize,
    }

    /// A session with a field of `dims` of zfp's type `ztype`, and `mode`.
    fn session(ztype: c_int, dims: &[usize], mode: Mode) -> Result<Session> {
        let s = Session::new()?;
        s.describe(ztype, dims);
        if !s.set_mode(mode, ztype) {
            return Err(internal("zfp refused checked expert parameters"));
        }
        Ok(s)
    }

    impl Zfp {
        pub fn new(
            spec: &CodecSpec,
            mode: Mode,
            ztype: c_int,
            promotion: Promotion,
            elem: usize,
            dims: Vec<usize>,
        ) -> Result<Zfp> {
            let s = session(ztype, &dims, mode)?;
            let (blocks, _) = block_count(&dims);
            let (minbits, maxbits, ..) = s.params();
            let too_large = || {
                crate::error::unsupported(format!(
                    "codec \"{}\": a chunk of {} zfp blocks is too large",
                    spec.name, blocks
                ))
            };
            // A fixed rate: every block takes the same bits, and zfp's
            // stream ends at the next 64-bit word.
            let fixed_size = match mode {
                Mode::Rate { .. } if minbits == maxbits => Some(
                    (maxbits as usize)
                        .checked_mul(blocks)
                        .map(|bits| bits.div_ceil(64) * 8)
                        .ok_or_else(too_large)?,
                ),
                _ => None,
            };
            let most = s
                .maximum_size()
                .checked_add(blocks.saturating_mul(8))
                .and_then(|n| n.checked_add(16))
                .and_then(round_up_8)
                .ok_or_else(too_large)?;
            Ok(Zfp {
                json: codec_json(&spec.name, Value::Object(spec.configuration.clone())),
                name: spec.name.clone(),
                mode,
                ztype,
                promotion,
                elem,
                zelem: if ztype == ZFP_INT64 || ztype == super::ZFP_DOUBLE {
                    8
                } else {
                    4
                },
                dims,
                fixed_size,
                most,
            })
        }

        fn values(&self) -> usize {
            self.dims.iter().product()
        }

        /// Whether `p` is aligned for zfp's scalars, which it reads and
        /// writes through typed pointers.
        fn aligned(&self, p: *const u8) -> bool {
            (p as usize) % self.zelem == 0
        }

        /// The chunk's values as zfp's scalars, into `to` (aligned).
        fn promote(&self, from: &[u8], to: &mut [u8]) -> Result<()> {
            match self.promotion {
                Promotion::None => to.copy_from_slice(from),
                Promotion::Signed(bits) => {
                    for (f, t) in from.chunks_exact(self.elem).zip(to.chunks_exact_mut(4)) {
                        let v = if bits == 8 {
                            i32::from(f[0] as i8)
                        } else {
                            i32::from(i16::from_ne_bytes([f[0], f[1]]))
                        };
                        t.copy_from_slice(&(v << (31 - bits)).to_ne_bytes());
                    }
                }
                Promotion::Unsigned(bits) => {
                    for (f, t) in from.chunks_exact(self.elem).zip(to.chunks_exact_mut(4)) {
                        let v = if bits == 8 {
                            i32::from(f[0])
                        } else {
                            i32::from(u16::from_ne_bytes([f[0], f[1]]))
                        };
                        let v = (v - (1 << (bits - 1))) << (31 - bits);
                        t.copy_from_slice(&v.to_ne_bytes());
                    }
                }
                Promotion::TopBitClear => {
                    // The top bit of each value, in native byte order.
                    let top = self.top_byte();
                    if let Some(e) = from.chunks_exact(self.elem).find(|e| e[top] & 0x80 != 0) {
                        let (width, value) = if self.elem == 4 {
                            (32, u64::from(u32::from_ne_bytes(e.try_into().unwrap())))
                        } else {
                            (64, u64::from_ne_bytes(e.try_into().unwrap()))
                        };
                        return Err(invalid_argument(format!(
                            "codec \"{}\": uint{width} value {value} does not fit zfp's \
                             int{width}, which holds at most {}",
                            self.name,
                            u64::MAX >> (65 - width)
                        )));
                    }
                    to.copy_from_slice(from);
                }
            }
            Ok(())
        }

        /// zfp's scalars `from` as the chunk's values, into `to`,
        /// clamped to the type's range as zfp's `zfp_demote_*` do.
        fn demote(&self, from: &[u8], to: &mut [u8]) {
            let i32s = || {
                from.chunks_exact(4)
                    .map(|b| i32::from_ne_bytes(b.try_into().unwrap()))
            };
            match self.promotion {
                Promotion::None => to.copy_from_slice(from),
                Promotion::Signed(bits) => {
                    let (lo, hi) = (-(1i32 << (bits - 1)), (1i32 << (bits - 1)) - 1);
                    for (v, t) in i32s().zip(to.chunks_exact_mut(self.elem)) {
                        let v = (v >> (31 - bits)).clamp(lo, hi);
                        if bits == 16 {
                            t.copy_from_slice(&(v as i16).to_ne_bytes());
                        } else {
                            t[0] = v as i8 as u8;
                        }
                    }
                }
                Promotion::Unsigned(bits) => {
                    for (v, t) in i32s().zip(to.chunks_exact_mut(self.elem)) {
                        let v = ((v >> (31 - bits)) + (1 << (bits - 1))).clamp(0, (1 << bits) - 1);
                        if bits == 16 {
                            t.copy_from_slice(&(v as u16).to_ne_bytes());
                        } else {
                            t[0] = v as u8;
                        }
                    }
                }
                Promotion::TopBitClear => {
                    // Negative values (which zfp's lossy modes can make of
                    // small ones) read as 0, as in zarrs.
                    let top = self.top_byte();
                    for (f, t) in from
                        .chunks_exact(self.elem)
                        .zip(to.chunks_exact_mut(self.elem))
                    {
                        if f[top] & 0x80 != 0 {
                            t.fill(0);
                        } else {
                            t.copy_from_slice(f);
                        }
                    }
                }
            }
        }

        /// A session with the chunk's field and the codec's mode.
        fn session(&self) -> Result<Session> {
            session(self.ztype, &self.dims, self.mode)
        }

        /// The byte of an element that holds its top bit (native order).
        fn top_byte(&self) -> usize {
            if cfg!(target_endian = "little") {
                self.elem - 1
            } else {
                0
            }
        }

        /// Decode `bytes` into `out` (zfp's scalars, aligned), the rest of
        /// the stream's last 64-bit word taken as `slack` bytes.
        fn decode_stream(&self, bytes: &[u8], slack: u8, out: &mut [u8]) -> Result<()> {
            let bad = |what: &str| corrupt(format!("codec \"{}\": {what}", self.name));
            // zfp reads whole words and does not check where the stream
            // ends: the bytes go into a buffer of the most a stream of
            // the chunk's shape and mode can take, so no read leaves it.
            // A stream cut short reads on into one bits until it has
            // used more than the bytes there are, and is refused.
            let len = round_up_8(bytes.len()).ok_or_else(|| bad("too large"))?;
            if self.fixed_size.is_some_and(|n| bytes.len() < n) {
                return Err(bad("the stream is cut short"));
            }
            let mut s = self.session()?;
            let mut buf = padded(bytes, slack, self.most.max(len))?;
            s.attach(&mut buf)?;
            // SAFETY: the field (the chunk's type and shape) points at
            // `out`, exactly its values as zfp's scalars and aligned for
            // them; zfp reads at most `self.most` bytes of `buf`, which
            // is at least that long.
            let used = unsafe { s.decompress(out) };
            // zfp counts what it read in 64-bit words.
            if used == 0 || used > len {
                return Err(bad("the stream is cut short or damaged"));
            }
            Ok(())
        }
    }

    impl ArrayToBytesCodec for Zfp {
        fn to_json(&self) -> Value {
            self.json.clone()
        }

        fn encode(&self, data: &[u8], repr: &ChunkRepr) -> Result<Vec<u8>> {
            if data.len() != repr.nbytes() || data.len() != self.values() * self.elem {
                return Err(invalid_argument(format!(
                    "codec \"{}\": {} bytes for a chunk of {}",
                    self.name,
                    data.len(),
                    repr.nbytes()
                )));
            }
            let zlen = self.values() * self.zelem;
            let mut copy;
            let values = if self.promotion == Promotion::None && self.aligned(data.as_ptr()) {
                data
            } else {
                copy = words(zlen)?;
                let c = as_bytes(&mut copy, zlen);
                self.promote(data, c)?;
                &*c
            };
            let out = self.session()?.compress(values, false)?;
            if self.fixed_size.is_some_and(|n| n != out.len()) {
                return Err(internal(format!(
                    "zfp compressed to {} bytes at a fixed rate of {:?} bytes",
                    out.len(),
                    self.fixed_size
                )));
            }
            Ok(out)
        }

        fn decode_into(&self, bytes: &[u8], repr: &ChunkRepr, out: &mut [u8]) -> Result<()> {
            if out.len() != repr.nbytes() || out.len() != self.values() * self.elem {
                return Err(internal(format!(
                    "codec \"{}\": a buffer of {} bytes for a chunk of {}",
                    self.name,
                    out.len(),
                    repr.nbytes()
                )));
            }
            let name = self.name.as_str();
            if self.promotion == Promotion::None && self.aligned(out.as_ptr()) {
                return decode_checked(name, bytes.len(), out, |slack, o| {
                    self.decode_stream(bytes, slack, o)
                });
            }
            let zlen = self.values() * self.zelem;
            let mut tmp = words(zlen)?;
            let tmp = as_bytes(&mut tmp, zlen);
            decode_checked(name, bytes.len(), tmp, |slack, o| {
                self.decode_stream(bytes, slack, o)
            })?;
            self.demote(tmp, out);
            Ok(())
        }

        fn fixed_encoded_size(&self, _repr: &ChunkRepr) -> Option<u64> {
            self.fixed_size.map(|n| n as u64)
        }

        fn max_encoded_size(&self, _repr: &ChunkRepr) -> u64 {
            self.most as u64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use serde_json::json;

    fn spec(cfg: Value) -> CodecSpec {
        CodecSpec::from_json(&json!({"name": "zfp", "configuration": cfg})).unwrap()
    }

    fn repr(t: DataType, shape: Vec<u64>) -> ChunkRepr {
        ChunkRepr::new(shape, t.clone(), vec![0; t.size()])
    }

    #[test]
    fn modes_as_zarrs_names_them() {
        for (cfg, mode) in [
            (json!({"mode": "reversible"}), Mode::Reversible),
            (
                json!({"mode": "fixed_rate", "rate": 10.5}),
                Mode::Rate {
                    rate: 10.5,
                    dims: 3,
                },
            ),
            (
                json!({"mode": "fixed_precision", "precision": 19}),
                Mode::Precision(19),
            ),
            (
                json!({"mode": "fixed_accuracy", "tolerance": 0.05}),
                Mode::Accuracy(0.05),
            ),
            (
                json!({"mode": "expert", "minbits": 1, "maxbits": 13, "maxprec": 19, "minexp": -2}),
                Mode::Expert {
                    minbits: 1,
                    maxbits: 13,
                    maxprec: 19,
                    minexp: -2,
                },
            ),
            (
                json!({"mode": "reversible", "write_header": false}),
                Mode::Reversible,
            ),
        ] {
            assert_eq!(parse_mode(&spec(cfg.clone())).unwrap(), mode, "{cfg}");
        }
        for (cfg, kind) in [
            (json!({}), ErrorKind::InvalidMetadata),
            (json!({"mode": 4}), ErrorKind::InvalidMetadata),
            (
                json!({"mode": "fixed-rate", "rate": 4}),
                ErrorKind::InvalidMetadata,
            ),
            (json!({"mode": "fixed_rate"}), ErrorKind::InvalidMetadata),
            (
                json!({"mode": "fixed_rate", "rate": -1}),
                ErrorKind::InvalidMetadata,
            ),
            (
                json!({"mode": "fixed_rate", "rate": 261}),
                ErrorKind::InvalidMetadata,
            ),
            (
                json!({"mode": "expert", "minbits": 1, "maxbits": 13, "maxprec": 19, "minexp": -2000000}),
                ErrorKind::InvalidMetadata,
            ),
            (
                json!({"mode": "fixed_rate", "rate": 4, "precision": 3}),
                ErrorKind::InvalidMetadata,
            ),
            (
                json!({"mode": "fixed_precision", "precision": 2.5}),
                ErrorKind::InvalidMetadata,
            ),
            (
                json!({"mode": "fixed_accuracy", "tolerance": "x"}),
                ErrorKind::InvalidMetadata,
            ),
            (
                json!({"mode": "expert", "minbits": 1, "maxbits": 13, "maxprec": 19}),
                ErrorKind::InvalidMetadata,
            ),
            (
                json!({"mode": "reversible", "write_header": true}),
                ErrorKind::Unsupported,
            ),
        ] {
            let e = parse_mode(&spec(cfg.clone())).unwrap_err();
            assert_eq!(e.kind(), kind, "{cfg}: {}", e.message());
        }
    }

    #[test]
    fn shapes_as_zfp_takes_them() {
        assert_eq!(zfp_dims("zfp", &[]).unwrap(), vec![1]);
        assert_eq!(zfp_dims("zfp", &[1, 3]).unwrap(), vec![3, 1]);
        assert_eq!(zfp_dims("zfp", &[2, 1, 3, 4]).unwrap(), vec![4, 3, 1, 2]);
        assert_eq!(zfp_dims("zfp", &[4, 1, 3, 1, 2, 1]).unwrap(), vec![2, 3, 4]);
        assert_eq!(zfp_dims("zfp", &[1, 1, 1, 1, 1]).unwrap(), vec![1]);
        let e = zfp_dims("zfp", &[2, 2, 2, 2, 2]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unsupported);
    }

    #[test]
    fn types_and_modes_zfp_takes() {
        let rev = spec(json!({"mode": "reversible"}));
        for t in [DataType::Float16, DataType::Bool, DataType::Complex64] {
            let e = build(&rev, &repr(t, vec![4])).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Unsupported);
        }
        let acc = spec(json!({"mode": "fixed_accuracy", "tolerance": 0.5}));
        let e = build(&acc, &repr(DataType::Int32, vec![4])).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unsupported);
        // Too few bits for a float block's exponent, minbits above
        // maxbits, no precision.
        for cfg in [
            json!({"mode": "expert", "minbits": 0, "maxbits": 11, "maxprec": 64, "minexp": -1074}),
            json!({"mode": "expert", "minbits": 20, "maxbits": 19, "maxprec": 64, "minexp": 0}),
            json!({"mode": "expert", "minbits": 0, "maxbits": 100, "maxprec": 0, "minexp": 0}),
            json!({"mode": "expert", "minbits": 16659, "maxbits": 16659, "maxprec": 64, "minexp": 0}),
        ] {
            let e = build(&spec(cfg.clone()), &repr(DataType::Float64, vec![4])).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidMetadata, "{cfg}");
        }
        // Integers given no bits per block.
        for cfg in [
            json!({"mode": "fixed_rate", "rate": 0.005}),
            json!({"mode": "expert", "minbits": 0, "maxbits": 0, "maxprec": 64, "minexp": 0}),
        ] {
            let e = build(&spec(cfg.clone()), &repr(DataType::Int64, vec![8])).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidMetadata, "{cfg}");
        }
        let built = build(&acc, &repr(DataType::Float64, vec![3, 5]));
        assert_eq!(built.is_ok(), cfg!(feature = "zfp"));
    }
}
