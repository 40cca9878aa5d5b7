//! numcodecs' `bz2` compressor (Zarr v2's `{"id": "bz2", "level": 1..9}`;
//! `{"name": "numcodecs.bz2", "configuration": {"level": 1..9}}` in v3):
//! a bzip2 stream (several concatenated streams decode as one), through
//! the `bzip2` crate.

use super::{codec_json, BytesToBytesCodec, CodecSpec, DecodedSize};
use crate::error::{internal, invalid_metadata, Result};
use serde_json::{json, Value};
use std::borrow::Cow;
use std::io::Write;

/// The v3 name of numcodecs' bz2 codec.
pub const NAME: &str = "numcodecs.bz2";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bz2Codec {
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
        Ok(Bz2Codec { level })
    }
}

impl BytesToBytesCodec for Bz2Codec {
    fn to_json(&self) -> Value {
        codec_json(NAME, json!({ "level": self.level }))
    }

    fn encode(&self, input: Vec<u8>) -> Result<Vec<u8>> {
        self.encode_slice(&input)
    }

    fn encode_slice(&self, input: &[u8]) -> Result<Vec<u8>> {
        let out = crate::alloc::with_capacity(input.len() / 2 + 64)?;
        let mut enc = bzip2::write::BzEncoder::new(out, bzip2::Compression::new(self.level));
        enc.write_all(input)
            .and_then(|_| enc.finish())
            .map_err(|e| internal(format!("codec \"{NAME}\": compression failed: {e}")))
    }

    fn decode<'a>(&self, input: Cow<'a, [u8]>, size: DecodedSize) -> Result<Cow<'a, [u8]>> {
        let r = bzip2::read::MultiBzDecoder::new(&input[..]);
        Ok(Cow::Owned(size.read_all(NAME, r)?))
    }

    fn decode_into(&self, input: &[u8], out: &mut [u8]) -> Result<bool> {
        super::read_exactly(NAME, bzip2::read::MultiBzDecoder::new(input), out)?;
        Ok(true)
    }

    fn max_encoded_size(&self, decoded_size: u64) -> u64 {
        super::compressed_bound(decoded_size)
    }

    fn encoded_size(&self, _decoded_size: u64) -> Option<u64> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

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
