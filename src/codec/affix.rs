//! bytes->bytes codecs that put fixed bytes before or after a chunk's
//! encoded bytes (zarr-extensions' proposals, for chunks that are files of
//! another format: a TIFF header, an N5 block header):
//! - `offset` (`{"offset": n, "prefix"?: base64}`): `n` bytes before the
//!   data, the prefix's or zeros;
//! - `pad` (`{"location": "start" | "end", "nbytes": n, "padding"?:
//!   base64}`): `n` bytes before or after the data, the padding's or zeros.
//!
//! Decoding drops those bytes without looking at them: a header that
//! differs from chunk to chunk (N5 writes each block's size in it) reads
//! the same.

use super::{codec_json, BytesToBytesCodec, CodecSpec, DecodedSize};
use crate::error::{corrupt, invalid_metadata, Result};
use serde_json::{json, Map, Value};
use std::borrow::Cow;

pub const OFFSET: &str = "offset";
pub const PAD: &str = "pad";

/// `offset` or `pad`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AffixCodec {
    name: &'static str,
    /// At the end (`pad` with `"location": "end"`), else at the start.
    at_end: bool,
    /// How many bytes are added.
    nbytes: usize,
    /// The bytes written, when given (zeros otherwise, made only when
    /// encoding: a reader of a large header never holds one).
    given: Option<Vec<u8>>,
}

impl AffixCodec {
    pub fn from_spec(spec: &CodecSpec) -> Result<Self> {
        let name = if spec.name == OFFSET { OFFSET } else { PAD };
        let bad = |msg: String| invalid_metadata(format!("codec \"{name}\": {msg}"));
        let (count_key, bytes_key) = if name == OFFSET {
            spec.check_keys(&["offset", "prefix"])?;
            ("offset", "prefix")
        } else {
            spec.check_keys(&["location", "nbytes", "padding"])?;
            ("nbytes", "padding")
        };
        let at_end = match (name, spec.get("location")) {
            (OFFSET, _) => false,
            (_, Some(v)) if v == "start" => false,
            (_, Some(v)) if v == "end" => true,
            (_, v) => {
                return Err(bad(format!(
                    "\"location\" must be \"start\" or \"end\", got {}",
                    v.map_or("nothing".into(), Value::to_string)
                )))
            }
        };
        let nbytes = spec
            .get(count_key)
            .and_then(Value::as_u64)
            .and_then(|n| usize::try_from(n).ok())
            .ok_or_else(|| {
                bad(format!(
                    "\"{count_key}\" must be a byte count, got {}",
                    spec.get(count_key)
                        .map_or("nothing".into(), Value::to_string)
                ))
            })?;
        let given = match spec.get(bytes_key) {
            None => None,
            Some(v) => {
                let b = v
                    .as_str()
                    .and_then(crate::dtype::base64_decode)
                    .ok_or_else(|| bad(format!("\"{bytes_key}\" is not base64 text: {v}")))?;
                if b.len() != nbytes {
                    return Err(bad(format!(
                        "\"{bytes_key}\" holds {} bytes, \"{count_key}\" says {nbytes}",
                        b.len()
                    )));
                }
                Some(b)
            }
        };
        Ok(AffixCodec {
            name,
            at_end,
            nbytes,
            given,
        })
    }

    /// Append the bytes this codec adds to `out`, whose capacity holds
    /// them (reserved by the caller, which may fail, rather than here,
    /// which must not).
    fn push_added(&self, out: &mut Vec<u8>) {
        debug_assert!(out.capacity() - out.len() >= self.nbytes);
        match &self.given {
            Some(b) => out.extend_from_slice(b),
            None => out.resize(out.len() + self.nbytes, 0),
        }
    }
}

impl BytesToBytesCodec for AffixCodec {
    fn to_json(&self) -> Value {
        let mut cfg = Map::new();
        let n = json!(self.nbytes);
        let bytes_key = if self.name == OFFSET {
            cfg.insert("offset".into(), n);
            "prefix"
        } else {
            let location = if self.at_end { "end" } else { "start" };
            cfg.insert("location".into(), location.into());
            cfg.insert("nbytes".into(), n);
            "padding"
        };
        if let Some(b) = &self.given {
            cfg.insert(bytes_key.into(), crate::dtype::base64_json(b));
        }
        codec_json(self.name, Value::Object(cfg))
    }

    fn encode(&self, mut input: Vec<u8>) -> Result<Vec<u8>> {
        if self.at_end {
            crate::alloc::reserve(&mut input, self.nbytes)?;
            self.push_added(&mut input);
            return Ok(input);
        }
        self.encode_slice(&input)
    }

    fn encode_slice(&self, input: &[u8]) -> Result<Vec<u8>> {
        let mut out = crate::alloc::with_capacity(input.len().saturating_add(self.nbytes))?;
        if !self.at_end {
            self.push_added(&mut out);
        }
        out.extend_from_slice(input);
        if self.at_end {
            self.push_added(&mut out);
        }
        Ok(out)
    }

    fn decode<'a>(&self, input: Cow<'a, [u8]>, size: DecodedSize) -> Result<Cow<'a, [u8]>> {
        let n = self.nbytes;
        let Some(len) = input.len().checked_sub(n) else {
            return Err(corrupt(format!(
                "codec \"{}\": a chunk of {} bytes is shorter than the {n} bytes it adds",
                self.name,
                input.len()
            )));
        };
        if !size.allows(len as u64) {
            return Err(size.mismatch(self.name, Some(len as u64)));
        }
        let data = if self.at_end { 0..len } else { n..n + len };
        Ok(super::keep_range(input, data))
    }

    fn decode_into(&self, input: &[u8], out: &mut [u8]) -> Result<bool> {
        let data = self.decode(Cow::Borrowed(input), DecodedSize::Exact(out.len()))?;
        out.copy_from_slice(&data);
        Ok(true)
    }

    fn encoded_size(&self, decoded_size: u64) -> Option<u64> {
        decoded_size.checked_add(self.nbytes as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn codec(name: &str, cfg: Value) -> Result<AffixCodec> {
        AffixCodec::from_spec(&CodecSpec::from_json(
            &json!({"name": name, "configuration": cfg}),
        )?)
    }

    #[test]
    fn bytes_go_before_or_after_and_are_dropped() {
        let data = vec![1u8, 2, 3];
        for (name, cfg, stored) in [
            (OFFSET, json!({"offset": 2}), vec![0, 0, 1, 2, 3]),
            (
                OFFSET,
                json!({"offset": 2, "prefix": "q7s="}),
                vec![0xab, 0xbb, 1, 2, 3],
            ),
            (OFFSET, json!({"offset": 0}), vec![1, 2, 3]),
            (
                PAD,
                json!({"location": "start", "nbytes": 1, "padding": "/w=="}),
                vec![0xff, 1, 2, 3],
            ),
            (
                PAD,
                json!({"location": "end", "nbytes": 2}),
                vec![1, 2, 3, 0, 0],
            ),
        ] {
            let c = codec(name, cfg.clone()).unwrap();
            assert_eq!(c.to_json()["configuration"], cfg);
            assert_eq!(c.encode(data.clone()).unwrap(), stored, "{cfg}");
            assert_eq!(c.encode_slice(&data).unwrap(), stored, "{cfg}");
            assert_eq!(c.encoded_size(3), Some(stored.len() as u64));
            // Whatever the added bytes hold, they are dropped.
            let mut other = stored.clone();
            let n = stored.len() - 3;
            let added = if c.at_end { 3..3 + n } else { 0..n };
            other[added].iter_mut().for_each(|b| *b ^= 0x5a);
            for input in [stored, other] {
                let got = c
                    .decode(Cow::Owned(input.clone()), DecodedSize::Exact(3))
                    .unwrap();
                assert_eq!(&got[..], &data[..], "{cfg}");
                let mut out = [0u8; 3];
                assert!(c.decode_into(&input, &mut out).unwrap());
                assert_eq!(out[..], data[..]);
            }
        }
    }

    #[test]
    fn bad_configurations_and_short_chunks_are_errors() {
        for (name, cfg) in [
            (OFFSET, json!({})),
            (OFFSET, json!({"offset": -1})),
            (OFFSET, json!({"offset": 2, "prefix": "q7s"})),
            (OFFSET, json!({"offset": 3, "prefix": "q7s="})),
            (OFFSET, json!({"offset": 2, "prefix": null})),
            (
                PAD,
                json!({"location": "end", "nbytes": 1, "padding": null}),
            ),
            (OFFSET, json!({"offset": 1, "location": "end"})),
            (PAD, json!({"nbytes": 1})),
            (PAD, json!({"location": "middle", "nbytes": 1})),
            (PAD, json!({"location": "end"})),
            (PAD, json!({"location": "end", "nbytes": 1, "padding": 5})),
        ] {
            let e = codec(name, cfg.clone()).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidMetadata, "{name} {cfg}");
        }
        let c = codec(PAD, json!({"location": "end", "nbytes": 4})).unwrap();
        let e = c
            .decode(Cow::Borrowed(&[1, 2, 3]), DecodedSize::UNBOUNDED)
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Corrupt);
        let e = c
            .decode(Cow::Borrowed(&[0; 9]), DecodedSize::Exact(4))
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Corrupt);
    }
}
