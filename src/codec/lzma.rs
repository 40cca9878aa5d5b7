//! numcodecs' `lzma` compressor (Zarr v2's `{"id": "lzma", "format": 1,
//! "check": -1, "preset": null, "filters": null}`; `numcodecs.lzma` in
//! v3), through liblzma (the `liblzma` crate). Decoding takes the .xz
//! format (concatenated streams too) and the legacy .lzma format whatever
//! the configuration says; encoding writes the configured one. Raw streams
//! with a custom filter chain (`format` 3, `filters`) are not supported.

use super::stream::{StreamCodec, StreamFormat};
use super::CodecSpec;
use crate::alloc::GrowingSink;
use crate::error::{internal, invalid_metadata, unsupported, Result};
use liblzma::stream::{Check, LzmaOptions, Stream};
use serde_json::{json, Value};
use std::io::{Read, Write};

/// The v3 name of numcodecs' lzma codec.
pub const NAME: &str = "numcodecs.lzma";

/// The most memory a decoder may take: every preset's dictionary (64 MiB
/// at preset 9) fits, and a header asking for more is refused instead of
/// allocated.
const DECODER_MEMLIMIT: u64 = 256 << 20;

pub type LzmaCodec = StreamCodec<Lzma>;

/// liblzma's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lzma {
    /// 1 = .xz, 2 = legacy .lzma ("alone").
    format: u8,
    /// numcodecs' check number: -1 (the format's default), 0, 1, 4, 10.
    check: i64,
    /// 0..9, possibly with the "extreme" flag; None = 6.
    preset: Option<u32>,
}

impl LzmaCodec {
    pub fn from_spec(spec: &CodecSpec) -> Result<Self> {
        spec.check_keys(&["format", "check", "preset", "filters"])?;
        let bad = |what: &str, v: &Value| {
            invalid_metadata(format!("codec \"{NAME}\": \"{what}\" {v} is not valid"))
        };
        let format = match spec.get("format") {
            None => 1,
            Some(v) => match v.as_u64() {
                Some(f @ (1 | 2)) => f as u8,
                Some(0 | 3) => {
                    return Err(unsupported(format!(
                        "codec \"{NAME}\": format {v} (auto or raw) is not supported"
                    )))
                }
                _ => return Err(bad("format", v)),
            },
        };
        let check = match spec.get("check") {
            None => -1,
            Some(v) => match v.as_i64() {
                Some(c @ (-1 | 0 | 1 | 4 | 10)) => c,
                _ => return Err(bad("check", v)),
            },
        };
        let preset = match spec.get("preset") {
            None | Some(Value::Null) => None,
            Some(v) => match v.as_u64() {
                Some(p) if p & !u64::from(liblzma::stream::PRESET_EXTREME) <= 9 => Some(p as u32),
                _ => return Err(bad("preset", v)),
            },
        };
        match spec.get("filters") {
            None | Some(Value::Null) => {}
            Some(_) => {
                return Err(unsupported(format!(
                    "codec \"{NAME}\": a custom filter chain is not supported"
                )))
            }
        }
        Ok(StreamCodec(Lzma {
            format,
            check,
            preset,
        }))
    }
}

impl Lzma {
    fn encoder(&self) -> std::result::Result<Stream, liblzma::stream::Error> {
        let preset = self.preset.unwrap_or(6);
        if self.format == 2 {
            return Stream::new_lzma_encoder(&LzmaOptions::new_preset(preset)?);
        }
        let check = match self.check {
            0 => Check::None,
            1 => Check::Crc32,
            10 => Check::Sha256,
            _ => Check::Crc64,
        };
        Stream::new_easy_encoder(preset, check)
    }
}

impl StreamFormat for Lzma {
    fn name(&self) -> &'static str {
        NAME
    }

    fn configuration(&self) -> Value {
        json!({"format": self.format, "check": self.check, "preset": self.preset, "filters": null})
    }

    fn compress(&self, input: &[u8], sink: GrowingSink) -> std::io::Result<GrowingSink> {
        let stream = self.encoder().map_err(std::io::Error::other)?;
        let mut enc = liblzma::write::XzEncoder::new_stream(sink, stream);
        enc.write_all(input).and_then(|_| enc.finish())
    }

    fn decompressor<'a>(&self, input: &'a [u8]) -> Result<Box<dyn Read + 'a>> {
        let stream = Stream::new_auto_decoder(DECODER_MEMLIMIT, liblzma::stream::CONCATENATED)
            .map_err(|e| internal(format!("codec \"{NAME}\": cannot start a decoder: {e}")))?;
        Ok(Box::new(liblzma::bufread::XzDecoder::new_stream(
            input, stream,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{BytesToBytesCodec, DecodedSize};
    use crate::error::ErrorKind;
    use std::borrow::Cow;

    fn codec(cfg: Value) -> Result<LzmaCodec> {
        LzmaCodec::from_spec(
            &CodecSpec::from_json(&json!({"name": NAME, "configuration": cfg})).unwrap(),
        )
    }

    #[test]
    fn round_trips_in_both_formats() {
        let x: Vec<u8> = (0..40_000).map(|i| (i * 7 % 253) as u8).collect();
        for (cfg, magic) in [
            (json!({}), &[0xfd, b'7', b'z', b'X', b'Z', 0][..]),
            (
                json!({"format": 1, "check": 10, "preset": 1}),
                &[0xfd, b'7', b'z', b'X', b'Z', 0][..],
            ),
            (json!({"format": 2, "check": -1, "preset": 9}), &[0x5d][..]),
        ] {
            let c = codec(cfg.clone()).unwrap();
            assert_eq!(codec(c.to_json()["configuration"].clone()).unwrap(), c);
            let enc = c.encode(x.clone()).unwrap();
            assert!(enc.starts_with(magic), "{cfg}");
            let dec = c
                .decode(Cow::Borrowed(&enc), DecodedSize::Exact(x.len()))
                .unwrap();
            assert_eq!(dec.as_ref(), &x[..], "{cfg}");
            let mut out = vec![0u8; x.len()];
            assert!(c.decode_into(&enc, &mut out).unwrap());
            assert_eq!(out, x);
        }
    }

    #[test]
    fn bad_input_and_config_are_errors() {
        let c = codec(json!({})).unwrap();
        let enc = c.encode(vec![3u8; 1000]).unwrap();
        for cut in [0, 6, enc.len() - 1] {
            let e = c.decode(Cow::Borrowed(&enc[..cut]), DecodedSize::Exact(1000));
            assert_eq!(e.unwrap_err().kind(), ErrorKind::Corrupt, "cut {cut}");
        }
        let mut bad = enc.clone();
        let k = bad.len() / 2;
        bad[k] ^= 0xff;
        assert!(c
            .decode(Cow::Borrowed(&bad), DecodedSize::Exact(1000))
            .is_err());
        for (cfg, kind) in [
            (json!({"format": 3}), ErrorKind::Unsupported),
            (json!({"filters": [{"id": 33}]}), ErrorKind::Unsupported),
            (json!({"format": 7}), ErrorKind::InvalidMetadata),
            (json!({"check": 2}), ErrorKind::InvalidMetadata),
            (json!({"preset": 12}), ErrorKind::InvalidMetadata),
        ] {
            assert_eq!(codec(cfg.clone()).unwrap_err().kind(), kind, "{cfg}");
        }
    }
}
