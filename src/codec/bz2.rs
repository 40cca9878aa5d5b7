//! numcodecs' `bz2` compressor (Zarr v2's `{"id": "bz2", "level": 1..9}`;
//! `{"name": "numcodecs.bz2", "configuration": {"level": 1..9}}` in v3):
//! a bzip2 stream (several concatenated streams decode as one), through
//! the `bzip2` crate.

use super::stream::{StreamCodec, StreamFormat};
use super::CodecSpec;
use crate::alloc::GrowingSink;
use crate::error::{invalid_metadata, Result};
use serde_json::{json, Value};
use std::io::{Read, Write};

/// The v3 name of numcodecs' bz2 codec.
pub const NAME: &str = "numcodecs.bz2";

pub type Bz2Codec = StreamCodec<Bz2>;

/// bzip2's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bz2 {
    level: u32,
}

impl Bz2Codec {
    /// A missing level is numcodecs' default, 1.
    pub fn from_spec(spec: &CodecSpec) -> Result<Self> {
        spec.check_keys(&["level"])?;
        let level = match spec.get("level") {
            None => 1,
            Some(v) => v.as_u64().filter(|l| (1..=9).contains(l)).ok_or_else(|| {
                invalid_metadata(format!(
                    "codec \"{NAME}\": \"level\" must be an integer 1..9, got {v}"
                ))
            })? as u32,
        };
        Ok(StreamCodec(Bz2 { level }))
    }
}

impl StreamFormat for Bz2 {
    fn name(&self) -> &'static str {
        NAME
    }

    fn configuration(&self) -> Value {
        json!({ "level": self.level })
    }

    fn compress(&self, input: &[u8], sink: GrowingSink) -> std::io::Result<GrowingSink> {
        let mut enc = bzip2::write::BzEncoder::new(sink, bzip2::Compression::new(self.level));
        enc.write_all(input).and_then(|_| enc.finish())
    }

    fn decompressor<'a>(&self, input: &'a [u8]) -> Result<Box<dyn Read + 'a>> {
        Ok(Box::new(bzip2::bufread::MultiBzDecoder::new(input)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{BytesToBytesCodec, DecodedSize};
    use crate::error::ErrorKind;
    use std::borrow::Cow;

    fn codec(cfg: Value) -> Result<Bz2Codec> {
        Bz2Codec::from_spec(
            &CodecSpec::from_json(&json!({"name": NAME, "configuration": cfg})).unwrap(),
        )
    }

    #[test]
    fn round_trip_and_stream_format() {
        let c = codec(json!({})).unwrap();
        assert_eq!(
            c.to_json(),
            json!({"name": NAME, "configuration": {"level": 1}})
        );
        let x: Vec<u8> = (0..50_000).map(|i| (i % 97) as u8).collect();
        let enc = c.encode(x.clone()).unwrap();
        assert_eq!(&enc[..4], b"BZh1");
        let dec = c
            .decode(Cow::Borrowed(&enc), DecodedSize::Exact(x.len()))
            .unwrap();
        assert_eq!(dec.as_ref(), &x[..]);
        // Two streams back to back decode as their concatenation.
        let mut two = c.encode(x[..100].to_vec()).unwrap();
        two.extend(c.encode(x[100..].to_vec()).unwrap());
        let mut out = vec![0u8; x.len()];
        assert!(c.decode_into(&two, &mut out).unwrap());
        assert_eq!(out, x);
    }

    #[test]
    fn bad_input_and_config_are_errors() {
        let c = codec(json!({"level": 9})).unwrap();
        let enc = c.encode(vec![1u8; 1000]).unwrap();
        for cut in [0, 5, enc.len() - 1] {
            let e = c.decode(Cow::Borrowed(&enc[..cut]), DecodedSize::Exact(1000));
            assert_eq!(e.unwrap_err().kind(), ErrorKind::Corrupt, "cut {cut}");
        }
        let mut out = vec![0u8; 999];
        assert_eq!(
            c.decode_into(&enc, &mut out).unwrap_err().kind(),
            ErrorKind::Corrupt
        );
        for cfg in [json!({"level": 0}), json!({"level": 10}), json!({"x": 1})] {
            assert_eq!(codec(cfg).unwrap_err().kind(), ErrorKind::InvalidMetadata);
        }
    }
}
