//! The `crc32c` bytes->bytes codec (Zarr v3 core): appends the CRC-32C
//! (Castagnoli) of the data as a little-endian `u32`, and checks and strips
//! it when decoding. `{"name": "crc32c"}` or with an empty configuration.

use super::{codec_json, BytesToBytesCodec, CodecSpec, DecodedSize};
use crate::error::{checksum, corrupt, Result};
use serde_json::{json, Value};
use std::borrow::Cow;

/// The `crc32c` codec.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Crc32cCodec;

impl Crc32cCodec {
    pub fn new() -> Self {
        Crc32cCodec
    }

    pub fn from_spec(spec: &CodecSpec) -> Result<Self> {
        spec.check_keys(&[])?;
        Ok(Crc32cCodec)
    }
}

/// Split `data` into payload and stored checksum, verifying it.
fn verify(data: &[u8]) -> Result<usize> {
    if data.len() < 4 {
        return Err(corrupt(format!(
            "codec \"crc32c\": input of {} bytes is too short to hold a 4-byte checksum",
            data.len()
        )));
    }
    let n = data.len() - 4;
    let (payload, tail) = data.split_at(n);
    let stored = u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]);
    let actual = crc32c::crc32c(payload);
    if stored != actual {
        return Err(checksum(format!(
            "codec \"crc32c\": crc32c mismatch, expected {stored:#010x} (stored), got {actual:#010x} (computed)"
        )));
    }
    Ok(n)
}

impl BytesToBytesCodec for Crc32cCodec {
    fn to_json(&self) -> Value {
        codec_json("crc32c", json!({}))
    }

    fn encode(&self, mut input: Vec<u8>) -> Result<Vec<u8>> {
        let crc = crc32c::crc32c(&input);
        crate::alloc::append(&mut input, &crc.to_le_bytes())?;
        Ok(input)
    }

    fn decode<'a>(&self, input: Cow<'a, [u8]>, size: DecodedSize) -> Result<Cow<'a, [u8]>> {
        let n = verify(&input)?;
        if !size.allows(n as u64) {
            return Err(size.mismatch("crc32c", Some(n as u64)));
        }
        Ok(match input {
            Cow::Borrowed(b) => Cow::Borrowed(&b[..n]),
            Cow::Owned(mut v) => {
                v.truncate(n);
                Cow::Owned(v)
            }
        })
    }

    fn encoded_size(&self, decoded_size: u64) -> Option<u64> {
        // None past u64::MAX: an unbounded input stays unbounded.
        decoded_size.checked_add(4)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn spec(v: Value) -> CodecSpec {
        CodecSpec::from_json(&v).unwrap()
    }

    #[test]
    fn known_check_value() {
        let enc = Crc32cCodec.encode(b"123456789".to_vec()).unwrap();
        assert_eq!(&enc[..9], b"123456789");
        assert_eq!(u32::from_le_bytes(enc[9..].try_into().unwrap()), 0xE3069283);
        assert_eq!(&enc[9..], &[0x83, 0x92, 0x06, 0xE3]);
        // Of nothing: 0.
        assert_eq!(Crc32cCodec.encode(vec![]).unwrap(), vec![0, 0, 0, 0]);
    }

    #[test]
    fn round_trip_borrowed_and_owned() {
        let c = Crc32cCodec::new();
        for n in [0usize, 1, 3, 4, 1000] {
            let x: Vec<u8> = (0..n).map(|i| (i * 31) as u8).collect();
            let enc = c.encode(x.clone()).unwrap();
            assert_eq!(enc.len() as u64, c.encoded_size(n as u64).unwrap());
            let b = c
                .decode(Cow::Borrowed(&enc), DecodedSize::Exact(n))
                .unwrap();
            assert!(matches!(b, Cow::Borrowed(_)), "no copy for borrowed input");
            assert_eq!(b.as_ref(), &x[..]);
            assert_eq!(b.as_ptr(), enc.as_ptr());
            let ptr = enc.as_ptr();
            let o = c.decode(Cow::Owned(enc), DecodedSize::UNBOUNDED).unwrap();
            assert!(matches!(o, Cow::Owned(_)));
            assert_eq!(o.as_ptr(), ptr, "owned input truncated in place");
            assert_eq!(o.as_ref(), &x[..]);
            let mut out = vec![0u8; n];
            assert!(!c.decode_into(&x, &mut out).unwrap());
        }
    }

    #[test]
    fn mismatch_and_short_input() {
        let c = Crc32cCodec;
        let mut enc = c.encode(b"hello world".to_vec()).unwrap();
        enc[3] ^= 0x10;
        let e = c
            .decode(Cow::Borrowed(&enc), DecodedSize::UNBOUNDED)
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Checksum);
        assert!(e.message().contains("crc32c mismatch"), "{}", e.message());
        assert!(
            e.message().contains("expected") && e.message().contains("got"),
            "{}",
            e.message()
        );
        let last = enc.len() - 1;
        enc[3] ^= 0x10;
        enc[last] ^= 1;
        assert_eq!(
            c.decode(Cow::Owned(enc), DecodedSize::UNBOUNDED)
                .unwrap_err()
                .kind(),
            ErrorKind::Checksum
        );
        for n in 0..4 {
            let e = c
                .decode(Cow::Borrowed(&[0u8; 4][..n]), DecodedSize::UNBOUNDED)
                .unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Corrupt);
        }
        let enc = c.encode(vec![1, 2, 3]).unwrap();
        assert_eq!(
            c.decode(Cow::Borrowed(&enc), DecodedSize::Exact(4))
                .unwrap_err()
                .kind(),
            ErrorKind::Corrupt
        );
    }

    #[test]
    fn configs() {
        assert!(Crc32cCodec::from_spec(&spec(json!({"name": "crc32c"}))).is_ok());
        assert!(Crc32cCodec::from_spec(&spec(json!("crc32c"))).is_ok());
        assert!(
            Crc32cCodec::from_spec(&spec(json!({"name": "crc32c", "configuration": {}}))).is_ok()
        );
        let e = Crc32cCodec::from_spec(&spec(json!({"name": "crc32c", "configuration": {"x": 1}})))
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidMetadata);
        assert!(e.message().contains("crc32c"));
        assert_eq!(
            Crc32cCodec.to_json(),
            json!({"name": "crc32c", "configuration": {}})
        );
    }
}
