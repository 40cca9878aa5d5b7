//! numcodecs' `zfpy` (`numcodecs.zfpy` in zarr-python 3's arrays, `zfpy`
//! as a v2 compressor): an array->bytes codec that stores a chunk as a
//! zfp stream with its full header (the array's type and shape and the
//! compression mode), as zfpy's `compress_numpy` writes it. zfp
//! compresses blocks of 4^d values of 1- to 4-dimensional arrays of
//! float32, float64, int32 or int64, lossily but for its reversible
//! mode.
//!
//! Configuration as numcodecs takes it: `mode` (2 fixed rate, 3 fixed
//! precision, 4 fixed accuracy, the default; 5, zfp's reversible mode,
//! is read too) and the setting of that mode: `rate` (bits per value),
//! `precision` (bits kept) or `tolerance` (the absolute error allowed).
//! numcodecs compresses reversibly when that setting is -1 (unset).
//!
//! Built with the cargo feature `zfp`, which builds zfp into the library
//! from the zfp-sys crate's source (that needs libclang); without it the
//! codec reports unsupported.

use super::zfp_stream::{Mode, ZFP_DOUBLE, ZFP_FLOAT, ZFP_INT32, ZFP_INT64};
use super::{ChunkRepr, CodecSpec};
use crate::dtype::DataType;
use crate::error::{invalid_metadata, unsupported, Result};
use std::os::raw::c_int;

pub const NAME: &str = "numcodecs.zfpy";

/// The settings numcodecs' ZFPY takes (as `.zarray` keys beside "id"),
/// and `compression_kwargs`, which its configuration also lists (the one
/// setting of the mode, again).
pub const CONFIG_KEYS: &[&str] = &[
    "mode",
    "tolerance",
    "rate",
    "precision",
    "compression_kwargs",
];

fn bad_config(what: String) -> crate::error::Error {
    invalid_metadata(format!("codec \"{NAME}\": {what}"))
}

/// numcodecs' mode and setting as zfp's: a negative setting (numcodecs'
/// default -1) compresses reversibly. A rate is per value of the `rank`
/// dimensional blocks of the chunk.
fn parse_mode(spec: &CodecSpec, rank: usize) -> Result<Mode> {
    let number = |key: &str| -> Result<f64> {
        match spec.get(key) {
            None => Ok(-1.0),
            Some(v) => v
                .as_f64()
                .filter(|x| x.is_finite())
                .ok_or_else(|| bad_config(format!("\"{key}\" {v} is not a number"))),
        }
    };
    let mode = match spec.get("mode") {
        None => 4,
        Some(v) => v
            .as_i64()
            .or_else(|| v.as_f64().filter(|m| m.fract() == 0.0).map(|m| m as i64))
            .ok_or_else(|| bad_config(format!("\"mode\" {v} is not an integer")))?,
    };
    Ok(match mode {
        2 => match number("rate")? {
            // More bits per value than any type has: zfp's header could
            // not hold the bits per block of some such rates.
            r if r > 64.0 => {
                return Err(unsupported(format!(
                    "codec \"{NAME}\": rate {r} is more bits per value than any type has"
                )))
            }
            r if r >= 0.0 => Mode::Rate {
                rate: r,
                dims: rank as u32,
            },
            _ => Mode::Reversible,
        },
        // zfp keeps at most 64 bit planes (and takes 0 as all of them).
        3 => match number("precision")? {
            p if p >= 0.0 && p.fract() == 0.0 => Mode::Precision(p.min(64.0) as u32),
            p if p < 0.0 => Mode::Reversible,
            p => return Err(bad_config(format!("\"precision\" {p} is not a bit count"))),
        },
        4 => match number("tolerance")? {
            t if t >= 0.0 => Mode::Accuracy(t),
            _ => Mode::Reversible,
        },
        5 => Mode::Reversible,
        m => {
            return Err(bad_config(format!(
                "mode {m} is not one numcodecs takes (2 fixed rate, 3 fixed precision, \
                 4 fixed accuracy)"
            )))
        }
    })
}

/// The zfp scalar type of `t`, if zfp takes it.
fn zfp_type(t: &DataType) -> Option<c_int> {
    match t {
        DataType::Int32 => Some(ZFP_INT32),
        DataType::Int64 => Some(ZFP_INT64),
        DataType::Float32 => Some(ZFP_FLOAT),
        DataType::Float64 => Some(ZFP_DOUBLE),
        _ => None,
    }
}

/// The codec for chunks of `repr`; unsupported in builds without zfp
/// (after the configuration is checked, so bad metadata says so).
pub fn build(spec: &CodecSpec, repr: &ChunkRepr) -> Result<super::Codec> {
    spec.check_keys(CONFIG_KEYS)?;
    let mode = parse_mode(spec, repr.shape.len())?;
    let ztype = zfp_type(&repr.dtype).ok_or_else(|| {
        unsupported(format!(
            "codec \"{NAME}\": data type {} is not supported (int32, int64, float32 and \
             float64 are)",
            repr.dtype.name()
        ))
    })?;
    if !(1..=4).contains(&repr.shape.len()) {
        return Err(unsupported(format!(
            "codec \"{NAME}\": zfp compresses arrays of 1 to 4 dimensions, not {}",
            repr.shape.len()
        )));
    }
    // zfp's header holds each size in 48, 24, 16 or 12 bits.
    let most = 1u64 << [48, 24, 16, 12][repr.shape.len() - 1];
    if repr.shape.iter().any(|&n| n > most) {
        return Err(unsupported(format!(
            "codec \"{NAME}\": zfp's header cannot hold a chunk of shape {:?} (at most {most} \
             along each of {} dimensions)",
            repr.shape,
            repr.shape.len()
        )));
    }
    #[cfg(not(feature = "zfp"))]
    {
        let _ = (mode, ztype);
        Err(unsupported(format!(
            "codec \"{NAME}\": this build of zarrio has no zfp (cargo feature \"zfp\")"
        )))
    }
    #[cfg(feature = "zfp")]
    Ok(super::Codec::ArrayToBytes(std::sync::Arc::new(imp::Zfpy {
        json: spec.configuration.clone(),
        mode,
        ztype,
        elem: repr.dtype.size(),
        // zfp's x is the fastest-varying dimension: the last.
        dims: repr.shape.iter().rev().map(|&d| d as usize).collect(),
    })))
}

#[cfg(feature = "zfp")]
mod imp {
    use super::super::zfp_ffi as z;
    use super::super::zfp_stream::{
        as_bytes, block_bits_cap, block_count, block_overhead_bits, decode_checked, padded,
        round_up_8, words, Mode, Session,
    };
    use super::super::{codec_json, ArrayToBytesCodec, ChunkRepr};
    use super::NAME;
    use crate::error::{corrupt, internal, invalid_argument, Result};
    use serde_json::{Map, Value};

    #[derive(Debug, Clone)]
    pub struct Zfpy {
        pub json: Map<String, Value>,
        pub mode: Mode,
        pub ztype: std::os::raw::c_int,
        pub elem: usize,
        /// The chunk's shape, fastest-varying dimension first.
        pub dims: Vec<usize>,
    }

    /// The type and shape a stream's header gives.
    struct StreamShape {
        kind: std::os::raw::c_int,
        values: usize,
        /// zfp's blocks of 4^d values.
        blocks: usize,
        /// Values in a block: 4^d.
        block_values: u64,
    }

    fn stream_shape(s: &Session) -> StreamShape {
        let mut sizes = [0usize; 4];
        // SAFETY: `sizes` has room for the four dimensions zfp has.
        let (kind, ndim) = unsafe {
            z::zfp_field_size(s.field, sizes.as_mut_ptr());
            (
                z::zfp_field_type(s.field),
                (z::zfp_field_dimensionality(s.field) as usize).min(4),
            )
        };
        let sizes = &sizes[..ndim];
        let (blocks, block_values) = block_count(sizes);
        StreamShape {
            kind,
            values: sizes
                .iter()
                .try_fold(1usize, |a, &n| a.checked_mul(n))
                .unwrap_or(usize::MAX),
            blocks,
            block_values,
        }
    }

    /// Check the compression parameters a stream's header gave: those of
    /// zfp's fixed-rate, fixed-precision, fixed-accuracy or reversible
    /// mode, as zfp sets them (expert parameters can make zfp's decoder
    /// read past the bound its size function gives). For a fixed rate,
    /// the bits its blocks take, which the stream must hold.
    fn check_params(
        s: &Session,
        kind: std::os::raw::c_int,
        shape: &StreamShape,
    ) -> std::result::Result<Option<u64>, String> {
        let (minbits, maxbits, maxprec, minexp) = s.params();
        // SAFETY: a live stream.
        let mode = unsafe { z::zfp_stream_compression_mode(s.stream) };
        let overhead = block_overhead_bits(kind);
        match mode {
            z::MODE_FIXED_RATE
                if maxbits >= overhead.max(1)
                    && u64::from(maxbits) <= block_bits_cap(shape.block_values) =>
            {
                Ok(Some(u64::from(maxbits) * shape.blocks as u64))
            }
            z::MODE_FIXED_PRECISION | z::MODE_FIXED_ACCURACY if maxprec <= z::MAX_PREC => Ok(None),
            // zfp's defaults, which it counts as expert parameters: what
            // an accuracy of 0 sets.
            z::MODE_EXPERT
                if minbits == z::MIN_BITS
                    && maxbits == z::MAX_BITS
                    && maxprec == z::MAX_PREC
                    && minexp == z::MIN_EXP =>
            {
                Ok(None)
            }
            z::MODE_REVERSIBLE
                if minbits == z::MIN_BITS && maxbits == z::MAX_BITS && maxprec == z::MAX_PREC =>
            {
                Ok(None)
            }
            _ => Err(format!(
                "the stream's parameters (minbits {minbits}, maxbits {maxbits}, maxprec \
                 {maxprec}, minexp {minexp}) are not those of a mode zfpy writes"
            )),
        }
    }

    impl Zfpy {
        fn values(&self) -> usize {
            self.dims.iter().product()
        }

        /// Whether `p` is aligned for the chunk's scalars, as zfp reads
        /// and writes them through typed pointers.
        fn aligned(&self, p: *const u8) -> bool {
            (p as usize) % self.elem == 0
        }
    }

    impl ArrayToBytesCodec for Zfpy {
        fn to_json(&self) -> Value {
            codec_json(NAME, Value::Object(self.json.clone()))
        }

        fn encode(&self, data: &[u8], repr: &ChunkRepr) -> Result<Vec<u8>> {
            if data.len() != repr.nbytes() || data.len() != self.values() * self.elem {
                return Err(invalid_argument(format!(
                    "codec \"{NAME}\": {} bytes for a chunk of {}",
                    data.len(),
                    repr.nbytes()
                )));
            }
            // zfp reads the values through typed pointers.
            let mut copy;
            let data = if self.aligned(data.as_ptr()) {
                data
            } else {
                copy = words(data.len())?;
                let c = as_bytes(&mut copy, data.len());
                c.copy_from_slice(data);
                &*c
            };
            let s = Session::new()?;
            s.describe(self.ztype, &self.dims);
            s.set_mode(self.mode, self.ztype);
            s.compress(data, true)
        }

        fn decode_into(&self, bytes: &[u8], repr: &ChunkRepr, out: &mut [u8]) -> Result<()> {
            if out.len() != repr.nbytes() || out.len() != self.values() * self.elem {
                return Err(internal(format!(
                    "codec \"{NAME}\": a buffer of {} bytes for a chunk of {}",
                    out.len(),
                    repr.nbytes()
                )));
            }
            if !self.aligned(out.as_ptr()) {
                let mut tmp = words(out.len())?;
                let tmp = as_bytes(&mut tmp, out.len());
                self.decode_into(bytes, repr, tmp)?;
                out.copy_from_slice(tmp);
                return Ok(());
            }
            decode_checked(NAME, bytes.len(), out, |slack, o| {
                self.decode_stream(bytes, slack, o)
            })
        }

        fn fixed_encoded_size(&self, _repr: &ChunkRepr) -> Option<u64> {
            None
        }

        fn max_encoded_size(&self, _repr: &ChunkRepr) -> u64 {
            // The most a stream the decoder accepts can take: blocks of
            // at most `block_bits_cap` bits, for 1-dimensional streams
            // (the most blocks) of the chunk's values, and the header.
            let blocks = (self.values() as u64).div_ceil(4);
            (blocks * block_bits_cap(4)).div_ceil(8) + 64
        }
    }

    impl Zfpy {
        /// Decode `bytes` into `out` (the chunk's bytes, aligned), the
        /// rest of the stream's last 64-bit word taken as `slack` bytes.
        fn decode_stream(&self, bytes: &[u8], slack: u8, out: &mut [u8]) -> Result<()> {
            let bad = |what: &str| corrupt(format!("codec \"{NAME}\": {what}"));
            // zfp reads whole words and does not check where the stream
            // ends, nor whether the header's parameters make sense: the
            // bytes go into a buffer of at least a header's length; the
            // header must hold the parameters of one of zfp's four modes
            // (what zfpy writes) and the chunk's count of values of its
            // type; then the buffer grows to the most a stream of that
            // shape and mode can take, so no read leaves it. A stream cut
            // short reads on into one bits (a zero bit would end a
            // block's bit planes early) until it has used more than the
            // bytes there are, and is refused (see `padded`).
            let len = round_up_8(bytes.len()).ok_or_else(|| bad("too large"))?;
            // The header alone first, from a copy of the stream's start
            // just long enough to hold the longest one.
            let mut head = [0u8; z::HEADER_MAX_BITS.div_ceil(64) * 8];
            let n = bytes.len().min(head.len());
            head[..n].copy_from_slice(&bytes[..n]);
            let mut s = Session::new()?;
            s.attach(&mut head)?;
            // SAFETY: the header is read from `head`, longer than the
            // longest header.
            let header_bits = unsafe { z::zfp_read_header(s.stream, s.field, z::HEADER_FULL) };
            if header_bits == 0 || header_bits > bytes.len() * 8 {
                return Err(bad("not a zfp stream with a full header"));
            }
            let shape = stream_shape(&s);
            // numcodecs' filters that flatten a chunk (delta,
            // fixedscaleoffset) hand zfpy one dimension: any shape of the
            // chunk's count of values reads as the same values in order.
            if shape.kind != self.ztype || shape.values != self.values() {
                return Err(bad(&format!(
                    "the stream holds {} values of zfp type {}, not the chunk's {} of type {}",
                    shape.values,
                    shape.kind,
                    self.values(),
                    self.ztype
                )));
            }
            let bits_read = check_params(&s, self.ztype, &shape).map_err(|w| bad(&w))?;
            if let Some(bits) = bits_read {
                // A fixed rate: every block takes the same bits.
                if (bytes.len() as u64) * 8 < header_bits as u64 + bits {
                    return Err(bad("the stream is cut short"));
                }
            }
            // SAFETY: stream and field are live, the field's shape and
            // the (checked) mode from the header. zfp's own bound, plus
            // a word per block for the bit-plane ends it does not count.
            let most = unsafe { z::zfp_stream_maximum_size(s.stream, s.field) };
            let most = most
                .checked_add(shape.blocks.saturating_mul(8) + 16)
                .and_then(round_up_8)
                .ok_or_else(|| bad("too large"))?;
            // The whole stream, in the one buffer it is read from.
            let mut buf = padded(bytes, slack, most.max(len))?;
            s.attach(&mut buf)?;
            // SAFETY: as above, from the same bytes (now all of them).
            if unsafe { z::zfp_read_header(s.stream, s.field, z::HEADER_FULL) } == 0 {
                return Err(bad("not a zfp stream with a full header"));
            }
            // SAFETY: the field (its type and count of values checked
            // against the chunk's) now points at `out`, exactly the
            // chunk's bytes and aligned for its scalars; zfp reads at
            // most `most` bytes of `buf`, which is at least that long.
            let used = unsafe { s.decompress(out) };
            // zfp counts what it read in 64-bit words.
            if used == 0 || used > len {
                return Err(bad("the stream is cut short or damaged"));
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use serde_json::{json, Value};

    fn spec(cfg: Value) -> CodecSpec {
        CodecSpec::from_json(&json!({"name": NAME, "configuration": cfg})).unwrap()
    }

    #[test]
    fn modes_as_numcodecs_sets_them() {
        for (cfg, mode) in [
            (json!({}), Mode::Reversible),
            (json!({"mode": 4, "tolerance": 0.01}), Mode::Accuracy(0.01)),
            (json!({"mode": 4, "tolerance": -1}), Mode::Reversible),
            (
                json!({"mode": 2, "rate": 8}),
                Mode::Rate { rate: 8.0, dims: 1 },
            ),
            (json!({"mode": 3, "precision": 12}), Mode::Precision(12)),
            (
                json!({"mode": 3, "precision": -1, "tolerance": 1}),
                Mode::Reversible,
            ),
            (json!({"mode": 5}), Mode::Reversible),
        ] {
            assert_eq!(parse_mode(&spec(cfg.clone()), 1).unwrap(), mode, "{cfg}");
        }
        for cfg in [
            json!({"mode": 1}),
            json!({"mode": "4"}),
            json!({"mode": 3, "precision": 2.5}),
            json!({"mode": 4, "tolerance": "x"}),
        ] {
            let e = parse_mode(&spec(cfg.clone()), 1).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidMetadata, "{cfg}");
        }
    }

    #[test]
    fn types_and_dimensions_zfp_takes() {
        let repr =
            |t: DataType, shape: Vec<u64>| ChunkRepr::new(shape, t.clone(), vec![0; t.size()]);
        let s = spec(json!({"mode": 4, "tolerance": 0.5}));
        for (t, shape) in [
            (DataType::UInt16, vec![4]),
            (DataType::Float32, vec![]),
            (DataType::Float32, vec![2, 2, 2, 2, 2]),
        ] {
            let e = build(&s, &repr(t, shape)).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Unsupported);
        }
        let built = build(&s, &repr(DataType::Float64, vec![3, 5]));
        assert_eq!(built.is_ok(), cfg!(feature = "zfp"));
    }
}
