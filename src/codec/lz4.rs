//! numcodecs' `lz4` compressor (Zarr v2's `{"id": "lz4"}`;
//! `{"name": "numcodecs.lz4", "configuration": {"acceleration": 1}}` in
//! v3): the decoded size as a little-endian u32, then one LZ4 block. The
//! block format is the `lz4_flex` crate's, decoded with bounds checks on
//! every copy. `acceleration` is kept for the metadata; the encoder has one
//! speed.

use super::{codec_json, BytesToBytesCodec, CodecSpec, DecodedSize};
use crate::error::{corrupt, invalid_argument, invalid_metadata, Result};
use serde_json::{json, Value};
use std::borrow::Cow;

/// The v3 name of numcodecs' lz4 codec.
pub const NAME: &str = "numcodecs.lz4";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lz4Codec {
    acceleration: i64,
}

impl Lz4Codec {
    pub fn from_spec(spec: &CodecSpec) -> Result<Self> {
        spec.check_keys(&["acceleration"])?;
        let acceleration = match spec.get("acceleration") {
            None => 1,
            Some(v) => v.as_i64().ok_or_else(|| {
                invalid_metadata(format!(
                    "codec \"{NAME}\": \"acceleration\" must be an integer, got {v}"
                ))
            })?,
        };
        Ok(Lz4Codec { acceleration })
    }

    /// The decoded size the header states, and the block after it.
    fn split(input: &[u8]) -> Result<(usize, &[u8])> {
        let (head, block) = input.split_first_chunk::<4>().ok_or_else(|| {
            corrupt(format!(
                "codec \"{NAME}\": {} bytes cannot hold the 4-byte size header",
                input.len()
            ))
        })?;
        let n = u32::from_le_bytes(*head) as usize;
        // An LZ4 block expands at most about 255 times (each match length
        // byte adds 255): a header claiming more is corrupt, and is caught
        // before a buffer of that size is allocated.
        if n > block.len().saturating_mul(255).saturating_add(16) {
            return Err(corrupt(format!(
                "codec \"{NAME}\": the header says {n} bytes, more than {} compressed bytes can hold",
                block.len()
            )));
        }
        Ok((n, block))
    }

    fn decode_block(block: &[u8], out: &mut [u8]) -> Result<()> {
        match lz4_flex::block::decompress_into(block, out) {
            Ok(n) if n == out.len() => Ok(()),
            Ok(n) => Err(corrupt(format!(
                "codec \"{NAME}\": decoded {n} bytes, the header says {}",
                out.len()
            ))),
            Err(e) => Err(corrupt(format!(
                "codec \"{NAME}\": invalid compressed data: {e}"
            ))),
        }
    }
}

impl BytesToBytesCodec for Lz4Codec {
    fn to_json(&self) -> Value {
        codec_json(NAME, json!({ "acceleration": self.acceleration }))
    }

    fn encode(&self, input: Vec<u8>) -> Result<Vec<u8>> {
        self.encode_slice(&input)
    }

    fn encode_slice(&self, input: &[u8]) -> Result<Vec<u8>> {
        let n = u32::try_from(input.len()).map_err(|_| {
            invalid_argument(format!(
                "codec \"{NAME}\": {} bytes are more than its 4-byte size header can state",
                input.len()
            ))
        })?;
        let bound = lz4_flex::block::get_maximum_output_size(input.len());
        let mut out = crate::alloc::zeroed(4 + bound)?;
        out[..4].copy_from_slice(&n.to_le_bytes());
        let k = lz4_flex::block::compress_into(input, &mut out[4..]).map_err(|e| {
            crate::error::internal(format!("codec \"{NAME}\": compression failed: {e}"))
        })?;
        out.truncate(4 + k);
        Ok(out)
    }

    fn decode<'a>(&self, input: Cow<'a, [u8]>, size: DecodedSize) -> Result<Cow<'a, [u8]>> {
        let (n, block) = Self::split(&input)?;
        if !size.allows(n as u64) {
            return Err(size.mismatch(NAME, Some(n as u64)));
        }
        let mut out = crate::alloc::zeroed(n)?;
        Self::decode_block(block, &mut out)?;
        Ok(Cow::Owned(out))
    }

    fn decode_into(&self, input: &[u8], out: &mut [u8]) -> Result<bool> {
        let (n, block) = Self::split(input)?;
        if n != out.len() {
            return Err(DecodedSize::Exact(out.len()).mismatch(NAME, Some(n as u64)));
        }
        Self::decode_block(block, out)?;
        Ok(true)
    }

    fn max_encoded_size(&self, decoded_size: u64) -> u64 {
        usize::try_from(decoded_size).map_or(u64::MAX, |n| {
            4 + lz4_flex::block::get_maximum_output_size(n) as u64
        })
    }

    fn encoded_size(&self, _decoded_size: u64) -> Option<u64> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn codec() -> Lz4Codec {
        Lz4Codec::from_spec(&CodecSpec::from_json(&json!({"name": NAME})).unwrap()).unwrap()
    }

    #[test]
    fn round_trip_and_known_bytes() {
        let c = codec();
        assert_eq!(
            c.to_json(),
            json!({"name": NAME, "configuration": {"acceleration": 1}})
        );
        for n in [0usize, 1, 15, 1000, 100_000] {
            let x: Vec<u8> = (0..n).map(|i| (i / 3 % 251) as u8).collect();
            let enc = c.encode(x.clone()).unwrap();
            assert_eq!(&enc[..4], &(n as u32).to_le_bytes());
            let dec = c
                .decode(Cow::Borrowed(&enc), DecodedSize::Exact(n))
                .unwrap();
            assert_eq!(dec.as_ref(), &x[..]);
            let mut out = vec![0u8; n];
            assert!(c.decode_into(&enc, &mut out).unwrap());
            assert_eq!(out, x);
        }
        // The size header, then a block of literals only: a token of 5
        // literals (0x50) and the five bytes.
        let known = [5, 0, 0, 0, 0x50, b'h', b'e', b'l', b'l', b'o'];
        let dec = c
            .decode(Cow::Borrowed(&known), DecodedSize::UNBOUNDED)
            .unwrap();
        assert_eq!(dec.as_ref(), b"hello");
    }

    #[test]
    fn bad_input_is_an_error() {
        let c = codec();
        let x = vec![7u8; 5000];
        let enc = c.encode(x).unwrap();
        for cut in [0, 3, 4, 5, enc.len() - 1] {
            let e = c.decode(Cow::Borrowed(&enc[..cut]), DecodedSize::Exact(5000));
            assert_eq!(e.unwrap_err().kind(), ErrorKind::Corrupt, "cut {cut}");
        }
        let e = c
            .decode(Cow::Borrowed(&enc), DecodedSize::Exact(4999))
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Corrupt);
        let mut out = vec![0u8; 5001];
        assert!(c.decode_into(&enc, &mut out).is_err());
        // A header claiming far more than the block can hold.
        let huge = [0xff, 0xff, 0xff, 0xff, 0x50, 1, 2, 3, 4, 5];
        let e = c
            .decode(Cow::Borrowed(&huge), DecodedSize::UNBOUNDED)
            .unwrap_err();
        assert!(
            e.message().contains("more than 6 compressed bytes"),
            "{}",
            e.message()
        );
        // A header claiming more than the block holds.
        let mut big = enc.clone();
        big[..4].copy_from_slice(&6000u32.to_le_bytes());
        assert!(c
            .decode(Cow::Borrowed(&big), DecodedSize::UNBOUNDED)
            .is_err());
        for i in 0..enc.len() {
            let mut b = enc.clone();
            b[i] ^= 0x5a;
            let _ = c.decode(Cow::Borrowed(&b), DecodedSize::AtMost(1 << 20));
        }
        let spec =
            CodecSpec::from_json(&json!({"name": NAME, "configuration": {"acceleration": "x"}}));
        assert_eq!(
            Lz4Codec::from_spec(&spec.unwrap()).unwrap_err().kind(),
            ErrorKind::InvalidMetadata
        );
    }
}
