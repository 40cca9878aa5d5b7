//! The `gzip` bytes->bytes codec: `{"name": "gzip", "configuration":
//! {"level": 0..9}}`. Encodes an RFC 1952 gzip stream; decoding also accepts
//! several concatenated gzip members, zero bytes after a member (padding,
//! as Python's gzip and `gzip -d` take it) and, leniently, a zlib (RFC
//! 1950) stream.
//!
//! The same codec with a zlib stream is numcodecs' `zlib` (Zarr v2's
//! compressor, `{"name": "numcodecs.zlib", "configuration": {"level":
//! 0..9}}` in v3, where a missing level is numcodecs' default, 1).

use super::stream::{StreamCodec, StreamFormat};
use super::CodecSpec;
use crate::alloc::GrowingSink;
use crate::error::{invalid_metadata, Result};
use flate2::bufread::GzDecoder;
use flate2::write::{GzEncoder, ZlibEncoder};
use flate2::Compression;
use serde_json::{json, Value};
use std::io::{Read, Write};

/// The `gzip` codec, or `numcodecs.zlib`.
pub type GzipCodec = StreamCodec<Gzip>;

/// gzip's (or zlib's) settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gzip {
    level: u32,
    /// Encode a zlib stream (`numcodecs.zlib`) rather than gzip.
    zlib: bool,
}

/// The v3 name of numcodecs' zlib codec.
pub const ZLIB_NAME: &str = "numcodecs.zlib";

impl GzipCodec {
    /// A codec with compression `level` in `0..=9`.
    pub fn new(level: u32) -> Result<Self> {
        if level > 9 {
            return Err(invalid_metadata(format!(
                "codec \"gzip\": \"level\" must be 0..9, got {level}"
            )));
        }
        Ok(StreamCodec(Gzip { level, zlib: false }))
    }

    /// `numcodecs.zlib` from its spec.
    pub fn zlib_from_spec(spec: &CodecSpec) -> Result<Self> {
        spec.check_keys(&["level"])?;
        // -1 is zlib's default level, 6.
        let level = match spec.get("level") {
            None => 1,
            Some(v) => match v.as_i64() {
                Some(-1) => 6,
                Some(l @ 0..=9) => l as u32,
                _ => {
                    return Err(invalid_metadata(format!(
                        "codec \"{ZLIB_NAME}\": \"level\" must be an integer -1..9, got {v}"
                    )))
                }
            },
        };
        Ok(StreamCodec(Gzip { level, zlib: true }))
    }

    pub fn level(&self) -> u32 {
        self.0.level
    }

    pub fn from_spec(spec: &CodecSpec) -> Result<Self> {
        spec.check_keys(&["level"])?;
        let level = match spec.get("level") {
            None => return Err(invalid_metadata("codec \"gzip\": \"level\" is required")),
            Some(v) => v.as_u64().filter(|l| *l <= 9).ok_or_else(|| {
                invalid_metadata(format!(
                    "codec \"gzip\": \"level\" must be an integer 0..9, got {v}"
                ))
            })?,
        };
        GzipCodec::new(level as u32)
    }
}

/// A decoder for `input`: gzip when it starts with the gzip magic, zlib
/// otherwise.
fn decoder(input: &[u8]) -> Box<dyn Read + '_> {
    if input.starts_with(&[0x1f, 0x8b]) {
        Box::new(GzMembers(Some(GzDecoder::new(input))))
    } else {
        Box::new(WholeZlib(flate2::bufread::ZlibDecoder::new(input)))
    }
}

/// gzip members one after another; zero bytes after a member are padding
/// (Python's gzip skips them, between members too).
struct GzMembers<'a>(Option<GzDecoder<&'a [u8]>>);

impl Read for GzMembers<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            let Some(member) = self.0.as_mut() else {
                return Ok(0);
            };
            let n = member.read(buf)?;
            if n > 0 || buf.is_empty() {
                return Ok(n);
            }
            // The member has ended (its trailer checked); the decoder took
            // from the slice only what the member used.
            let rest = *member.get_ref();
            let next = rest.iter().position(|&b| b != 0).unwrap_or(rest.len());
            self.0 = (next < rest.len()).then(|| GzDecoder::new(&rest[next..]));
        }
    }
}

/// A zlib stream that must be all of its input: bytes after the stream's
/// end are an error, as they are after a gzip member (the stream decoder
/// alone stops at the end and leaves them unread).
struct WholeZlib<'a>(flate2::bufread::ZlibDecoder<&'a [u8]>);

impl Read for WholeZlib<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.0.read(buf)?;
        // The decoder takes from the slice only what the stream used.
        if n == 0 && !buf.is_empty() && !self.0.get_ref().is_empty() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "{} bytes after the end of the zlib stream",
                    self.0.get_ref().len()
                ),
            ));
        }
        Ok(n)
    }
}

impl StreamFormat for Gzip {
    fn name(&self) -> &'static str {
        if self.zlib {
            ZLIB_NAME
        } else {
            "gzip"
        }
    }

    fn configuration(&self) -> Value {
        json!({ "level": self.level })
    }

    fn compress(&self, input: &[u8], sink: GrowingSink) -> std::io::Result<GrowingSink> {
        let level = Compression::new(self.level);
        if self.zlib {
            let mut enc = ZlibEncoder::new(sink, level);
            enc.write_all(input).and_then(|_| enc.finish())
        } else {
            let mut enc = GzEncoder::new(sink, level);
            enc.write_all(input).and_then(|_| enc.finish())
        }
    }

    fn decompressor<'a>(&self, input: &'a [u8]) -> Result<Box<dyn Read + 'a>> {
        Ok(decoder(input))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{BytesToBytesCodec, DecodedSize};
    use crate::error::ErrorKind;
    use std::borrow::Cow;

    fn spec(v: Value) -> CodecSpec {
        CodecSpec::from_json(&v).unwrap()
    }

    fn sample(n: usize) -> Vec<u8> {
        (0..n)
            .map(|i| ((i / 7) as u8).wrapping_mul(3) ^ (i % 5) as u8)
            .collect()
    }

    fn decode_into(c: &GzipCodec, input: &[u8], n: usize) -> Result<Vec<u8>> {
        let mut out = vec![0u8; n];
        assert!(c.decode_into(input, &mut out)?);
        Ok(out)
    }

    #[test]
    fn round_trip_all_levels() {
        for level in 0..=9 {
            let c = GzipCodec::from_spec(&spec(
                json!({"name": "gzip", "configuration": {"level": level}}),
            ))
            .unwrap();
            for n in [0usize, 1, 100, 70_000] {
                let x = sample(n);
                let enc = c.encode(x.clone()).unwrap();
                assert_eq!(&enc[..2], &[0x1f, 0x8b], "gzip magic");
                assert_eq!(enc[2], 8, "deflate method");
                assert_eq!(
                    c.decode(Cow::Borrowed(&enc), DecodedSize::UNBOUNDED)
                        .unwrap()
                        .as_ref(),
                    &x[..]
                );
                assert_eq!(
                    c.decode(Cow::Owned(enc.clone()), DecodedSize::Exact(n))
                        .unwrap()
                        .as_ref(),
                    &x[..]
                );
                assert_eq!(decode_into(&c, &enc, n).unwrap(), x);
            }
        }
    }

    #[test]
    fn interoperates_with_plain_gzip_and_zlib() {
        let c = GzipCodec::new(5).unwrap();
        let x = sample(5000);
        // Two gzip members back to back decode as their concatenation.
        let mut two = c.encode(x[..2000].to_vec()).unwrap();
        two.extend(c.encode(x[2000..].to_vec()).unwrap());
        assert_eq!(
            c.decode(Cow::Borrowed(&two), DecodedSize::Exact(5000))
                .unwrap()
                .as_ref(),
            &x[..]
        );
        assert_eq!(decode_into(&c, &two, 5000).unwrap(), x);
        // Zero padding after a member, between members too, is skipped as
        // Python's gzip skips it; other bytes after one are an error.
        let first = c.encode(x[..2000].to_vec()).unwrap();
        let mut padded = first.clone();
        padded.extend([0u8; 7]);
        padded.extend(c.encode(x[2000..].to_vec()).unwrap());
        padded.extend([0u8; 512]);
        for size in [DecodedSize::UNBOUNDED, DecodedSize::Exact(5000)] {
            assert_eq!(
                c.decode(Cow::Borrowed(&padded), size).unwrap().as_ref(),
                &x[..]
            );
        }
        assert_eq!(decode_into(&c, &padded, 5000).unwrap(), x);
        let mut junk = first;
        junk.extend([0, 0, 7]);
        assert_eq!(
            c.decode(Cow::Borrowed(&junk), DecodedSize::UNBOUNDED)
                .unwrap_err()
                .kind(),
            ErrorKind::Corrupt
        );
        // A zlib stream is tolerated.
        let mut z = ZlibEncoder::new(Vec::new(), Compression::new(6));
        z.write_all(&x).unwrap();
        let z = z.finish().unwrap();
        assert_eq!(
            c.decode(Cow::Borrowed(&z), DecodedSize::UNBOUNDED)
                .unwrap()
                .as_ref(),
            &x[..]
        );
        assert_eq!(decode_into(&c, &z, 5000).unwrap(), x);
        // But not with bytes after its end.
        let mut trailing = z.clone();
        trailing.extend_from_slice(b"junk");
        for size in [DecodedSize::UNBOUNDED, DecodedSize::Exact(5000)] {
            let e = c.decode(Cow::Borrowed(&trailing), size).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Corrupt, "{}", e.message());
        }
        assert_eq!(
            decode_into(&c, &trailing, 5000).unwrap_err().kind(),
            ErrorKind::Corrupt
        );
    }

    #[test]
    fn size_mismatch_and_corruption_are_errors() {
        let c = GzipCodec::new(1).unwrap();
        let x = sample(1000);
        let enc = c.encode(x.clone()).unwrap();
        for n in [999, 1001, 0] {
            assert_eq!(
                c.decode(Cow::Borrowed(&enc), DecodedSize::Exact(n))
                    .unwrap_err()
                    .kind(),
                ErrorKind::Corrupt
            );
            assert_eq!(
                decode_into(&c, &enc, n).unwrap_err().kind(),
                ErrorKind::Corrupt
            );
        }
        // Truncated streams.
        for cut in [0, 1, 2, 10, enc.len() / 2, enc.len() - 1] {
            let t = &enc[..cut];
            assert!(
                c.decode(Cow::Borrowed(t), DecodedSize::UNBOUNDED).is_err(),
                "cut {cut}"
            );
            assert!(
                c.decode(Cow::Borrowed(t), DecodedSize::Exact(1000))
                    .is_err(),
                "cut {cut}"
            );
            assert!(decode_into(&c, t, 1000).is_err(), "cut {cut}");
        }
        // Garbage and flipped bytes never panic; a bad CRC is detected.
        assert!(c
            .decode(
                Cow::Borrowed(b"not compressed at all"),
                DecodedSize::UNBOUNDED
            )
            .is_err());
        let mut bad = enc.clone();
        let k = bad.len() - 6;
        bad[k] ^= 0xff; // inside the CRC32 trailer
        assert!(c
            .decode(Cow::Borrowed(&bad), DecodedSize::UNBOUNDED)
            .is_err());
        for i in 0..enc.len() {
            let mut b = enc.clone();
            b[i] = b[i].wrapping_add(0x55);
            let _ = c.decode(Cow::Borrowed(&b), DecodedSize::UNBOUNDED);
            let _ = c.decode(Cow::Borrowed(&b), DecodedSize::Exact(1000));
            let mut out = vec![0u8; 1000];
            let _ = c.decode_into(&b, &mut out);
        }
    }

    #[test]
    fn configs() {
        let c = GzipCodec::from_spec(&spec(
            json!({"name": "gzip", "configuration": {"level": 9}}),
        ))
        .unwrap();
        assert_eq!(
            c.to_json(),
            json!({"name": "gzip", "configuration": {"level": 9}})
        );
        assert_eq!(GzipCodec::from_spec(&spec(c.to_json())).unwrap(), c);
        for cfg in [
            json!({"level": 10}),
            json!({"level": -1}),
            json!({"level": 1.5}),
            json!({"level": "1"}),
            json!({}),
            json!({"level": 1, "other": 2}),
        ] {
            let e = GzipCodec::from_spec(&spec(json!({"name": "gzip", "configuration": cfg})))
                .unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidMetadata, "{cfg}");
            assert!(e.message().contains("gzip"), "{}", e.message());
        }
        assert!(GzipCodec::new(10).is_err());
        assert_eq!(c.encoded_size(100), None);
    }

    #[test]
    fn numcodecs_zlib_writes_and_reads_zlib_streams() {
        let c = GzipCodec::zlib_from_spec(&spec(json!({"name": ZLIB_NAME}))).unwrap();
        assert_eq!(
            c.to_json(),
            json!({"name": ZLIB_NAME, "configuration": {"level": 1}})
        );
        let x = sample(70_000);
        let enc = c.encode(x.clone()).unwrap();
        // A zlib header: deflate, a 32 KiB window, and its check bits.
        assert_eq!(enc[0], 0x78);
        assert_eq!(u16::from_be_bytes([enc[0], enc[1]]) % 31, 0);
        let mut plain = Vec::new();
        flate2::read::ZlibDecoder::new(&enc[..])
            .read_to_end(&mut plain)
            .unwrap();
        assert_eq!(plain, x);
        assert_eq!(decode_into(&c, &enc, x.len()).unwrap(), x);
        let c9 = GzipCodec::zlib_from_spec(&spec(
            json!({"name": ZLIB_NAME, "configuration": {"level": 9}}),
        ))
        .unwrap();
        assert_eq!(GzipCodec::zlib_from_spec(&spec(c9.to_json())).unwrap(), c9);
        let default = GzipCodec::zlib_from_spec(&spec(
            json!({"name": ZLIB_NAME, "configuration": {"level": -1}}),
        ))
        .unwrap();
        assert_eq!(default.level(), 6);
        for cfg in [
            json!({"level": 10}),
            json!({"level": -2}),
            json!({"level": "1"}),
            json!({"x": 1}),
        ] {
            let e =
                GzipCodec::zlib_from_spec(&spec(json!({"name": ZLIB_NAME, "configuration": cfg})))
                    .unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidMetadata, "{cfg}");
        }
        let e = c.decode(Cow::Borrowed(&enc[..enc.len() / 2]), DecodedSize::UNBOUNDED);
        assert!(e.unwrap_err().message().contains(ZLIB_NAME));
    }
}
