//! Checksum bytes->bytes codecs: a 4-byte little-endian checksum of the
//! data stored beside it, checked and stripped when decoding.
//!
//! - `crc32c` (Zarr v3 core): CRC-32C (Castagnoli) after the data.
//! - numcodecs' checksums (`numcodecs.<id>` in v3, `<id>` in v2), as
//!   numcodecs computes and places them: `crc32` (zlib's CRC-32) and
//!   `adler32` before the data unless `"location": "end"`; `crc32c` after
//!   the data unless `"location": "start"`; `fletcher32` (HDF5's
//!   Fletcher-32) and `jenkins_lookup3` (HDF5's lookup3 hash, seeded with
//!   `initval`) after the data.

use super::{codec_json, BytesToBytesCodec, CodecSpec, DecodedSize};
use crate::error::{checksum, corrupt, invalid_metadata, unsupported, Result};
use serde_json::{json, Map, Value};
use std::borrow::Cow;

/// The checksum function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    Crc32,
    Crc32c,
    Adler32,
    Fletcher32,
    /// Bob Jenkins' lookup3 with its seed.
    Lookup3(u32),
}

impl Algorithm {
    pub fn checksum(&self, data: &[u8]) -> u32 {
        match *self {
            Algorithm::Crc32 => crc32fast::hash(data),
            Algorithm::Crc32c => crc32c::crc32c(data),
            Algorithm::Adler32 => adler2::adler32_slice(data),
            Algorithm::Fletcher32 => fletcher32(data),
            Algorithm::Lookup3(seed) => lookup3(data, seed),
        }
    }
}

/// Where the checksum is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    Start,
    End,
}

/// A checksum codec: its name in metadata, function and placement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChecksumCodec {
    name: &'static str,
    algorithm: Algorithm,
    location: Location,
}

/// The names this module builds, v3 and the v2 ids' v3 names.
pub const CRC32C: &str = "crc32c";
pub const NUMCODECS_CRC32: &str = "numcodecs.crc32";
pub const NUMCODECS_CRC32C: &str = "numcodecs.crc32c";
pub const NUMCODECS_ADLER32: &str = "numcodecs.adler32";
pub const NUMCODECS_FLETCHER32: &str = "numcodecs.fletcher32";
pub const NUMCODECS_LOOKUP3: &str = "numcodecs.jenkins_lookup3";

impl ChecksumCodec {
    /// The v3 core `crc32c` codec.
    pub fn crc32c() -> Self {
        ChecksumCodec {
            name: CRC32C,
            algorithm: Algorithm::Crc32c,
            location: Location::End,
        }
    }

    /// Whether `name` is one of this module's codecs.
    pub fn is_name(name: &str) -> bool {
        [
            CRC32C,
            NUMCODECS_CRC32,
            NUMCODECS_CRC32C,
            NUMCODECS_ADLER32,
            NUMCODECS_FLETCHER32,
            NUMCODECS_LOOKUP3,
        ]
        .contains(&name)
    }

    pub fn from_spec(spec: &CodecSpec) -> Result<Self> {
        let (name, algorithm, location) = match spec.name.as_str() {
            CRC32C => {
                spec.check_keys(&[])?;
                (CRC32C, Algorithm::Crc32c, Location::End)
            }
            NUMCODECS_CRC32 => (
                NUMCODECS_CRC32,
                Algorithm::Crc32,
                location(spec, Location::Start)?,
            ),
            NUMCODECS_ADLER32 => (
                NUMCODECS_ADLER32,
                Algorithm::Adler32,
                location(spec, Location::Start)?,
            ),
            NUMCODECS_CRC32C => (
                NUMCODECS_CRC32C,
                Algorithm::Crc32c,
                location(spec, Location::End)?,
            ),
            NUMCODECS_FLETCHER32 => {
                spec.check_keys(&[])?;
                (NUMCODECS_FLETCHER32, Algorithm::Fletcher32, Location::End)
            }
            NUMCODECS_LOOKUP3 => {
                spec.check_keys(&["initval", "prefix"])?;
                if !matches!(spec.get("prefix"), None | Some(Value::Null)) {
                    return Err(unsupported(format!(
                        "codec \"{NUMCODECS_LOOKUP3}\": a \"prefix\" is not supported"
                    )));
                }
                let seed = match spec.get("initval") {
                    None | Some(Value::Null) => 0,
                    Some(v) => v
                        .as_u64()
                        .and_then(|n| u32::try_from(n).ok())
                        .ok_or_else(|| {
                            invalid_metadata(format!(
                                "codec \"{NUMCODECS_LOOKUP3}\": \"initval\" must be an integer \
                                 from 0 to 2^32-1, got {v}"
                            ))
                        })?,
                };
                (NUMCODECS_LOOKUP3, Algorithm::Lookup3(seed), Location::End)
            }
            other => {
                return Err(crate::error::internal(format!(
                    "\"{other}\" is not a checksum codec"
                )))
            }
        };
        Ok(ChecksumCodec {
            name,
            algorithm,
            location,
        })
    }

    /// Split `data` into payload and stored checksum, verifying it; the
    /// payload's range.
    fn verify(&self, data: &[u8]) -> Result<std::ops::Range<usize>> {
        let name = self.name;
        if data.len() < 4 {
            return Err(corrupt(format!(
                "codec \"{name}\": input of {} bytes is too short to hold a 4-byte checksum",
                data.len()
            )));
        }
        let (payload, stored) = match self.location {
            Location::Start => (4..data.len(), &data[..4]),
            Location::End => (0..data.len() - 4, &data[data.len() - 4..]),
        };
        let stored = u32::from_le_bytes(stored.try_into().expect("4 bytes"));
        let actual = self.algorithm.checksum(&data[payload.clone()]);
        if stored != actual {
            let what = name.trim_start_matches("numcodecs.");
            return Err(checksum(format!(
                "codec \"{name}\": {what} mismatch, expected {stored:#010x} (stored), got {actual:#010x} (computed)"
            )));
        }
        Ok(payload)
    }
}

/// numcodecs' `location`: "start" or "end", `default` when absent.
fn location(spec: &CodecSpec, default: Location) -> Result<Location> {
    spec.check_keys(&["location"])?;
    match spec.get("location") {
        None | Some(Value::Null) => Ok(default),
        Some(v) if v == "start" => Ok(Location::Start),
        Some(v) if v == "end" => Ok(Location::End),
        Some(v) => Err(invalid_metadata(format!(
            "codec \"{}\": \"location\" must be \"start\" or \"end\", got {v}",
            spec.name
        ))),
    }
}

impl BytesToBytesCodec for ChecksumCodec {
    fn to_json(&self) -> Value {
        let mut cfg = Map::new();
        match (self.name, self.location, self.algorithm) {
            // Written only where it differs from numcodecs' default, so
            // releases of numcodecs without the setting read it.
            (NUMCODECS_CRC32 | NUMCODECS_ADLER32, Location::End, _) => {
                cfg.insert("location".into(), "end".into());
            }
            (NUMCODECS_CRC32C, Location::Start, _) => {
                cfg.insert("location".into(), "start".into());
            }
            (_, _, Algorithm::Lookup3(seed)) if seed != 0 => {
                cfg.insert("initval".into(), json!(seed));
            }
            _ => {}
        }
        codec_json(self.name, Value::Object(cfg))
    }

    fn encode(&self, mut input: Vec<u8>) -> Result<Vec<u8>> {
        let sum = self.algorithm.checksum(&input).to_le_bytes();
        match self.location {
            Location::End => crate::alloc::append(&mut input, &sum)?,
            Location::Start => {
                let mut out = crate::alloc::with_capacity(input.len() + 4)?;
                out.extend_from_slice(&sum);
                out.extend_from_slice(&input);
                input = out;
            }
        }
        Ok(input)
    }

    fn decode<'a>(&self, input: Cow<'a, [u8]>, size: DecodedSize) -> Result<Cow<'a, [u8]>> {
        let payload = self.verify(&input)?;
        let n = payload.len();
        if !size.allows(n as u64) {
            return Err(size.mismatch(self.name, Some(n as u64)));
        }
        Ok(super::keep_range(input, payload))
    }

    fn encoded_size(&self, decoded_size: u64) -> Option<u64> {
        // None past u64::MAX: an unbounded input stays unbounded.
        decoded_size.checked_add(4)
    }
}

/// HDF5's Fletcher-32 (as numcodecs computes it): sums of big-endian
/// 16-bit words, the last odd byte as a word's high byte, folded to 16
/// bits every 360 words so that the 32-bit sums never overflow.
fn fletcher32(data: &[u8]) -> u32 {
    let (mut sum1, mut sum2) = (0u32, 0u32);
    let fold = |s: u32| (s & 0xffff) + (s >> 16);
    let odd = data.chunks_exact(2).remainder().first().copied();
    for block in data[..data.len() & !1].chunks(720) {
        for w in block.chunks_exact(2) {
            sum1 += u32::from(u16::from_be_bytes([w[0], w[1]]));
            sum2 += sum1;
        }
        sum1 = fold(sum1);
        sum2 = fold(sum2);
    }
    if let Some(b) = odd {
        sum1 += u32::from(b) << 8;
        sum2 += sum1;
        sum1 = fold(sum1);
        sum2 = fold(sum2);
    }
    sum1 = fold(sum1);
    sum2 = fold(sum2);
    (sum2 << 16) | sum1
}

/// Bob Jenkins' lookup3 `hashlittle` as HDF5 computes it (byte by byte,
/// so the result does not depend on the machine's alignment or order).
fn lookup3(data: &[u8], seed: u32) -> u32 {
    fn mix(a: &mut u32, b: &mut u32, c: &mut u32) {
        *a = a.wrapping_sub(*c) ^ c.rotate_left(4);
        *c = c.wrapping_add(*b);
        *b = b.wrapping_sub(*a) ^ a.rotate_left(6);
        *a = a.wrapping_add(*c);
        *c = c.wrapping_sub(*b) ^ b.rotate_left(8);
        *b = b.wrapping_add(*a);
        *a = a.wrapping_sub(*c) ^ c.rotate_left(16);
        *c = c.wrapping_add(*b);
        *b = b.wrapping_sub(*a) ^ a.rotate_left(19);
        *a = a.wrapping_add(*c);
        *c = c.wrapping_sub(*b) ^ b.rotate_left(4);
        *b = b.wrapping_add(*a);
    }
    fn finish(a: &mut u32, b: &mut u32, c: &mut u32) {
        *c = (*c ^ *b).wrapping_sub(b.rotate_left(14));
        *a = (*a ^ *c).wrapping_sub(c.rotate_left(11));
        *b = (*b ^ *a).wrapping_sub(a.rotate_left(25));
        *c = (*c ^ *b).wrapping_sub(b.rotate_left(16));
        *a = (*a ^ *c).wrapping_sub(c.rotate_left(4));
        *b = (*b ^ *a).wrapping_sub(a.rotate_left(14));
        *c = (*c ^ *b).wrapping_sub(b.rotate_left(24));
    }
    let word = |b: &[u8]| -> u32 {
        let mut w = [0u8; 4];
        w[..b.len()].copy_from_slice(b);
        u32::from_le_bytes(w)
    };
    // The length is taken modulo 2^32, as HDF5's C code does.
    let init = 0xdeadbeefu32
        .wrapping_add(data.len() as u32)
        .wrapping_add(seed);
    let (mut a, mut b, mut c) = (init, init, init);
    let mut rest = data;
    while rest.len() > 12 {
        a = a.wrapping_add(word(&rest[0..4]));
        b = b.wrapping_add(word(&rest[4..8]));
        c = c.wrapping_add(word(&rest[8..12]));
        mix(&mut a, &mut b, &mut c);
        rest = &rest[12..];
    }
    if rest.is_empty() {
        return c;
    }
    a = a.wrapping_add(word(&rest[..rest.len().min(4)]));
    if rest.len() > 4 {
        b = b.wrapping_add(word(&rest[4..rest.len().min(8)]));
    }
    if rest.len() > 8 {
        c = c.wrapping_add(word(&rest[8..]));
    }
    finish(&mut a, &mut b, &mut c);
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn spec(v: Value) -> CodecSpec {
        CodecSpec::from_json(&v).unwrap()
    }

    fn codec(v: Value) -> ChecksumCodec {
        ChecksumCodec::from_spec(&spec(v)).unwrap()
    }

    #[test]
    fn known_check_values() {
        let enc = ChecksumCodec::crc32c()
            .encode(b"123456789".to_vec())
            .unwrap();
        assert_eq!(&enc[..9], b"123456789");
        assert_eq!(&enc[9..], &[0x83, 0x92, 0x06, 0xE3]);
        assert_eq!(ChecksumCodec::crc32c().encode(vec![]).unwrap(), vec![0; 4]);
        // The standard check values of "123456789".
        assert_eq!(Algorithm::Crc32.checksum(b"123456789"), 0xCBF43926);
        assert_eq!(Algorithm::Adler32.checksum(b"123456789"), 0x091E01DE);
        // lookup3.c's own test vectors.
        assert_eq!(Algorithm::Lookup3(0).checksum(b""), 0xdeadbeef);
        let four = b"Four score and seven years ago";
        assert_eq!(Algorithm::Lookup3(0).checksum(four), 0x17770551);
        assert_eq!(Algorithm::Lookup3(1).checksum(four), 0xcd628161);
    }

    /// Encoded bytes numcodecs 0.17 gives for b"zarrio checksums!" (17
    /// bytes: an odd length, one full lookup3 block and a tail).
    #[test]
    fn numcodecs_vectors() {
        let data = b"zarrio checksums!";
        for (cfg, sum, start) in [
            (json!({"name": "numcodecs.crc32"}), 0x8f537f14u32, true),
            (json!({"name": "numcodecs.adler32"}), 0x3d54069f, true),
            (json!({"name": "numcodecs.crc32c"}), 0x3198a817, false),
            (json!({"name": "numcodecs.fletcher32"}), 0x734f4460, false),
            (
                json!({"name": "numcodecs.jenkins_lookup3"}),
                0x3acc144c,
                false,
            ),
            (
                json!({"name": "numcodecs.jenkins_lookup3", "configuration": {"initval": 7}}),
                0xb208edd7,
                false,
            ),
        ] {
            let c = codec(cfg.clone());
            let enc = c.encode(data.to_vec()).unwrap();
            let (payload, stored) = if start {
                (&enc[4..], &enc[..4])
            } else {
                (&enc[..17], &enc[17..])
            };
            assert_eq!(payload, data, "{cfg}");
            assert_eq!(
                u32::from_le_bytes(stored.try_into().unwrap()),
                sum,
                "{cfg}: {:#010x}",
                u32::from_le_bytes(stored.try_into().unwrap())
            );
        }
    }

    #[test]
    fn round_trips_at_either_end() {
        for cfg in [
            json!({"name": "crc32c"}),
            json!({"name": "numcodecs.crc32"}),
            json!({"name": "numcodecs.crc32", "configuration": {"location": "end"}}),
            json!({"name": "numcodecs.adler32", "configuration": {"location": "start"}}),
            json!({"name": "numcodecs.crc32c", "configuration": {"location": "start"}}),
            json!({"name": "numcodecs.fletcher32"}),
            json!({"name": "numcodecs.jenkins_lookup3", "configuration": {"initval": 3}}),
        ] {
            let c = codec(cfg.clone());
            assert_eq!(codec(c.to_json()), c, "{cfg}: to_json round trip");
            for n in [0usize, 1, 3, 4, 12, 13, 1000, 1441] {
                let x: Vec<u8> = (0..n).map(|i| (i * 31 + 7) as u8).collect();
                let enc = c.encode(x.clone()).unwrap();
                assert_eq!(enc.len() as u64, c.encoded_size(n as u64).unwrap());
                let b = c
                    .decode(Cow::Borrowed(&enc), DecodedSize::Exact(n))
                    .unwrap();
                assert!(matches!(b, Cow::Borrowed(_)), "no copy for borrowed input");
                assert_eq!(b.as_ref(), &x[..], "{cfg} n={n}");
                let o = c
                    .decode(Cow::Owned(enc.clone()), DecodedSize::UNBOUNDED)
                    .unwrap();
                assert_eq!(o.as_ref(), &x[..], "{cfg} n={n}");
                // Any flipped bit is caught.
                for i in [0, enc.len() / 2, enc.len() - 1] {
                    let mut bad = enc.clone();
                    bad[i] ^= 0x04;
                    let e = c
                        .decode(Cow::Owned(bad), DecodedSize::UNBOUNDED)
                        .unwrap_err();
                    assert_eq!(e.kind(), ErrorKind::Checksum, "{cfg} n={n} i={i}");
                }
            }
        }
    }

    #[test]
    fn mismatch_and_short_input() {
        let c = ChecksumCodec::crc32c();
        let mut enc = c.encode(b"hello world".to_vec()).unwrap();
        enc[3] ^= 0x10;
        let e = c
            .decode(Cow::Borrowed(&enc), DecodedSize::UNBOUNDED)
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Checksum);
        assert!(e.message().contains("crc32c mismatch"), "{}", e.message());
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
        assert_eq!(codec(json!("crc32c")), ChecksumCodec::crc32c());
        assert_eq!(
            ChecksumCodec::crc32c().to_json(),
            json!({"name": "crc32c", "configuration": {}})
        );
        assert_eq!(
            codec(json!({"name": "numcodecs.crc32"})).to_json(),
            json!({"name": "numcodecs.crc32", "configuration": {}})
        );
        for (cfg, kind) in [
            (
                json!({"name": "crc32c", "configuration": {"x": 1}}),
                ErrorKind::InvalidMetadata,
            ),
            (
                json!({"name": "crc32c", "configuration": {"location": "start"}}),
                ErrorKind::InvalidMetadata,
            ),
            (
                json!({"name": "numcodecs.crc32", "configuration": {"location": "middle"}}),
                ErrorKind::InvalidMetadata,
            ),
            (
                json!({"name": "numcodecs.fletcher32", "configuration": {"location": "start"}}),
                ErrorKind::InvalidMetadata,
            ),
            (
                json!({"name": "numcodecs.jenkins_lookup3", "configuration": {"initval": -1}}),
                ErrorKind::InvalidMetadata,
            ),
            (
                json!({"name": "numcodecs.jenkins_lookup3", "configuration": {"initval": 4294967296u64}}),
                ErrorKind::InvalidMetadata,
            ),
            (
                json!({"name": "numcodecs.jenkins_lookup3", "configuration": {"prefix": "AAE="}}),
                ErrorKind::Unsupported,
            ),
        ] {
            let e = ChecksumCodec::from_spec(&spec(cfg.clone())).unwrap_err();
            assert_eq!(e.kind(), kind, "{cfg}");
        }
    }
}
