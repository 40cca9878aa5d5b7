//! numcodecs' `shuffle` filter (Zarr v2's `{"id": "shuffle",
//! "elementsize": N}`; `{"name": "numcodecs.shuffle", "configuration":
//! {"elementsize": N}}` in v3): the bytes of N-byte elements regrouped so
//! that all first bytes come first, then all second bytes, and so on. An
//! element size of 0 or 1 leaves the bytes as they are, as in numcodecs;
//! bytes that are not a whole number of elements are an error, as there.

use super::{codec_json, BytesToBytesCodec, CodecSpec, DecodedSize};
use crate::error::{corrupt, invalid_metadata, Result};
use serde_json::{json, Value};
use std::borrow::Cow;

/// The v3 name of numcodecs' shuffle filter.
pub const NAME: &str = "numcodecs.shuffle";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShuffleCodec {
    elementsize: usize,
}

impl ShuffleCodec {
    /// `default_size`: the element size of the data it shuffles, taken
    /// when the configuration gives none.
    pub fn from_spec(spec: &CodecSpec, default_size: usize) -> Result<Self> {
        spec.check_keys(&["elementsize"])?;
        let elementsize = match spec.get("elementsize") {
            None => default_size,
            Some(v) => v.as_u64().filter(|n| *n <= 1 << 20).ok_or_else(|| {
                invalid_metadata(format!(
                    "codec \"{NAME}\": \"elementsize\" must be an integer 0..2^20, got {v}"
                ))
            })? as usize,
        };
        Ok(ShuffleCodec { elementsize })
    }

    /// Byte `j` of element `i` moves from `i * size + j` to `j * count + i`
    /// (`unshuffle` false), or back.
    fn permute(&self, input: &[u8], unshuffle: bool) -> Result<Vec<u8>> {
        let size = self.elementsize;
        if size <= 1 {
            return crate::alloc::copied(input);
        }
        if input.len() % size != 0 {
            return Err(corrupt(format!(
                "codec \"{NAME}\": {} bytes are not a whole number of {size}-byte elements",
                input.len()
            )));
        }
        // Every byte is written below.
        let mut out = crate::alloc::zeroed(input.len())?;
        let count = input.len() / size;
        for i in 0..count {
            for j in 0..size {
                let (interleaved, grouped) = (i * size + j, j * count + i);
                if unshuffle {
                    out[interleaved] = input[grouped];
                } else {
                    out[grouped] = input[interleaved];
                }
            }
        }
        Ok(out)
    }
}

impl BytesToBytesCodec for ShuffleCodec {
    fn to_json(&self) -> Value {
        codec_json(NAME, json!({ "elementsize": self.elementsize }))
    }

    fn encode(&self, input: Vec<u8>) -> Result<Vec<u8>> {
        if self.elementsize <= 1 {
            return Ok(input); // nothing moves
        }
        self.permute(&input, false)
    }

    fn encode_slice(&self, input: &[u8]) -> Result<Vec<u8>> {
        self.permute(input, false)
    }

    fn decode<'a>(&self, input: Cow<'a, [u8]>, size: DecodedSize) -> Result<Cow<'a, [u8]>> {
        if !size.allows(input.len() as u64) {
            return Err(size.mismatch(NAME, Some(input.len() as u64)));
        }
        if self.elementsize <= 1 {
            return Ok(input); // nothing moves
        }
        Ok(Cow::Owned(self.permute(&input, true)?))
    }

    fn encoded_size(&self, decoded_size: u64) -> Option<u64> {
        Some(decoded_size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn codec(cfg: Value) -> Result<ShuffleCodec> {
        let spec = CodecSpec::from_json(&json!({"name": NAME, "configuration": cfg})).unwrap();
        ShuffleCodec::from_spec(&spec, 2)
    }

    #[test]
    fn known_bytes_and_round_trip() {
        let c = codec(json!({"elementsize": 4})).unwrap();
        let x = [1, 2, 3, 4, 5, 6, 7, 8];
        let enc = c.encode(x.to_vec()).unwrap();
        assert_eq!(enc, [1, 5, 2, 6, 3, 7, 4, 8]);
        let dec = c
            .decode(Cow::Borrowed(&enc), DecodedSize::Exact(8))
            .unwrap();
        assert_eq!(dec.as_ref(), &x);
        assert_eq!(codec(json!({})).unwrap().elementsize, 2);
        for size in [0, 1] {
            let c = codec(json!({ "elementsize": size })).unwrap();
            assert_eq!(c.encode(x.to_vec()).unwrap(), x);
        }
        // Bytes that are not whole elements.
        let e = c
            .decode(Cow::Borrowed(&[0u8; 9]), DecodedSize::Exact(9))
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Corrupt);
        assert!(c.encode(vec![0u8; 6]).is_err());
        assert_eq!(c.encoded_size(8), Some(8));
    }

    #[test]
    fn bad_config_and_size_are_errors() {
        for cfg in [
            json!({"elementsize": -1}),
            json!({"elementsize": "4"}),
            json!({"x": 1}),
        ] {
            assert_eq!(codec(cfg).unwrap_err().kind(), ErrorKind::InvalidMetadata);
        }
        let c = codec(json!({"elementsize": 4})).unwrap();
        let e = c
            .decode(Cow::Borrowed(&[0u8; 8]), DecodedSize::Exact(12))
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Corrupt);
    }
}
