//! numcodecs' compressors under their v3 names (`numcodecs.zstd`,
//! `numcodecs.gzip`, `numcodecs.blosc`), as zarr-python writes them for
//! numcodecs objects in a v3 array. Each works as the Zarr codec of the
//! same format, with numcodecs' defaults, and keeps its own name and
//! configuration in metadata so that what zarrio writes back is what was
//! read.

use super::{blosc, BytesToBytesCodec, ChunkRepr, CodecSpec, DecodedSize, PieceDecoder};
use crate::error::Result;
use serde_json::{json, Value};
use std::borrow::Cow;
use std::sync::Arc;

pub const ZSTD: &str = "numcodecs.zstd";
pub const GZIP: &str = "numcodecs.gzip";
pub const BLOSC: &str = "numcodecs.blosc";

/// A numcodecs compressor working as a Zarr codec.
#[derive(Debug)]
pub struct NumcodecsAlias {
    spec: Value,
    inner: Arc<dyn BytesToBytesCodec>,
}

/// The Zarr codec spec of numcodecs' `zstd`, `gzip` or `blosc` with
/// configuration `cfg` (numcodecs' defaults where absent): what a v2
/// compressor of that id and a v3 `numcodecs.<id>` mean. Blosc shuffles
/// items of `typesize` bytes (the configuration's own, when it has one; a
/// typesize above 255 blosc takes as 1).
pub fn zarr_spec(id: &str, cfg: &serde_json::Map<String, Value>, typesize: usize) -> Result<Value> {
    let level = |default: i64| cfg.get("level").cloned().unwrap_or(default.into());
    Ok(match id {
        "zstd" => json!({"name": "zstd", "configuration": {
            "level": level(0),
            "checksum": cfg.get("checksum").cloned().unwrap_or(false.into()),
        }}),
        // Python's gzip takes zlib's -1 for its default level, 6.
        "gzip" => match level(1) {
            l if l.as_i64() == Some(-1) => json!({"name": "gzip", "configuration": {"level": 6}}),
            l => json!({"name": "gzip", "configuration": {"level": l}}),
        },
        "blosc" => {
            let typesize = match cfg.get("typesize") {
                None | Some(Value::Null) => typesize,
                Some(v) => match v.as_u64() {
                    Some(n @ 1..=255) => n as usize,
                    Some(256..) => 1,
                    _ => {
                        return Err(crate::error::invalid_metadata(format!(
                            "blosc typesize {v} is not a positive integer"
                        )))
                    }
                },
            };
            blosc::spec_from_numcodecs(cfg, typesize)?
        }
        other => {
            return Err(crate::error::internal(format!(
                "\"{other}\" is not a numcodecs compressor with a Zarr codec"
            )))
        }
    })
}

impl NumcodecsAlias {
    pub fn is_name(name: &str) -> bool {
        [ZSTD, GZIP, BLOSC].contains(&name)
    }

    pub fn from_spec(spec: &CodecSpec, repr: &ChunkRepr) -> Result<Self> {
        let allowed: &[&str] = match spec.name.as_str() {
            ZSTD => &["level", "checksum"],
            GZIP => &["level"],
            _ => &["cname", "clevel", "shuffle", "blocksize", "typesize"],
        };
        spec.check_keys(allowed)?;
        let cfg = &spec.configuration;
        let id = spec.name.trim_start_matches("numcodecs.");
        // numcodecs meets the bytes it compresses as items of one byte.
        let zarr = zarr_spec(id, cfg, 1).map_err(|e| e.context(&spec.name))?;
        let inner = match super::build_codec(&CodecSpec::from_json(&zarr)?, repr)? {
            super::Codec::BytesToBytes(c) => c,
            _ => return Err(crate::error::internal("a compressor built as another kind")),
        };
        let mut own = serde_json::Map::new();
        own.insert("name".into(), spec.name.clone().into());
        own.insert("configuration".into(), Value::Object(cfg.clone()));
        Ok(NumcodecsAlias {
            spec: Value::Object(own),
            inner,
        })
    }
}

impl BytesToBytesCodec for NumcodecsAlias {
    fn to_json(&self) -> Value {
        self.spec.clone()
    }
    fn encode(&self, input: Vec<u8>) -> Result<Vec<u8>> {
        self.inner.encode(input)
    }
    fn encode_slice(&self, input: &[u8]) -> Result<Vec<u8>> {
        self.inner.encode_slice(input)
    }
    fn decode<'a>(&self, input: Cow<'a, [u8]>, size: DecodedSize) -> Result<Cow<'a, [u8]>> {
        self.inner.decode(input, size)
    }
    fn decode_into(&self, input: &[u8], out: &mut [u8]) -> Result<bool> {
        self.inner.decode_into(input, out)
    }
    fn decodes_in_pieces(&self) -> bool {
        self.inner.decodes_in_pieces()
    }
    fn piece_decoder<'a>(
        &self,
        input: &'a [u8],
        expected: usize,
    ) -> Result<Option<Box<dyn PieceDecoder + 'a>>> {
        self.inner.piece_decoder(input, expected)
    }
    fn encoded_size(&self, decoded_size: u64) -> Option<u64> {
        self.inner.encoded_size(decoded_size)
    }
    fn max_encoded_size(&self, decoded_size: u64) -> u64 {
        self.inner.max_encoded_size(decoded_size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use crate::DataType;

    fn build(v: Value) -> Result<NumcodecsAlias> {
        let repr = ChunkRepr::new(vec![64], DataType::UInt16, vec![0, 0]);
        NumcodecsAlias::from_spec(&CodecSpec::from_json(&v)?, &repr)
    }

    #[test]
    fn works_as_the_zarr_codec_and_keeps_its_name() {
        let data: Vec<u8> = (0..128u32).map(|i| (i / 3) as u8).collect();
        for spec in [
            json!({"name": ZSTD, "configuration": {"level": 3}}),
            json!({"name": ZSTD}),
            json!({"name": GZIP, "configuration": {}}),
            // Python's gzip module takes zlib's default level, -1.
            json!({"name": GZIP, "configuration": {"level": -1}}),
            json!({"name": BLOSC, "configuration": {"cname": "zstd", "clevel": 3, "shuffle": 2}}),
            json!({"name": BLOSC, "configuration": {}}),
        ] {
            let c = build(spec.clone()).unwrap();
            let mut want = spec.clone();
            if want.get("configuration").is_none() {
                want["configuration"] = json!({});
            }
            assert_eq!(c.to_json(), want);
            let enc = c.encode_slice(&data).unwrap();
            let dec = c.decode(Cow::Owned(enc), DecodedSize::Exact(128)).unwrap();
            assert_eq!(dec.as_ref(), &data[..], "{spec}");
        }
        // zstd frames and gzip members as the Zarr codecs write them.
        let zstd = build(json!({"name": ZSTD}))
            .unwrap()
            .encode_slice(&data)
            .unwrap();
        assert_eq!(&zstd[..4], &[0x28, 0xb5, 0x2f, 0xfd]);
        let gz = build(json!({"name": GZIP}))
            .unwrap()
            .encode_slice(&data)
            .unwrap();
        assert_eq!(&gz[..2], &[0x1f, 0x8b]);
        // numcodecs meets blosc's input as bytes: typesize 1, unless told.
        let bl = build(json!({"name": BLOSC}))
            .unwrap()
            .encode_slice(&data)
            .unwrap();
        assert_eq!(bl[3], 1);
        let spec = json!({"name": BLOSC, "configuration": {"typesize": 2}});
        let bl = build(spec).unwrap().encode_slice(&data).unwrap();
        assert_eq!(bl[3], 2);
        let spec = json!({"name": BLOSC, "configuration": {"typesize": 300}});
        let bl = build(spec).unwrap().encode_slice(&data).unwrap();
        assert_eq!(bl[3], 1);
    }

    #[test]
    fn bad_configurations() {
        for (spec, kind) in [
            (
                json!({"name": ZSTD, "configuration": {"x": 1}}),
                ErrorKind::InvalidMetadata,
            ),
            (
                json!({"name": GZIP, "configuration": {"level": 11}}),
                ErrorKind::InvalidMetadata,
            ),
            (
                json!({"name": BLOSC, "configuration": {"shuffle": 7}}),
                ErrorKind::InvalidMetadata,
            ),
            (
                json!({"name": BLOSC, "configuration": {"cname": "nope"}}),
                ErrorKind::InvalidMetadata,
            ),
            (
                json!({"name": BLOSC, "configuration": {"typesize": 0}}),
                ErrorKind::InvalidMetadata,
            ),
        ] {
            let e = build(spec.clone()).unwrap_err();
            assert_eq!(e.kind(), kind, "{spec}: {}", e.message());
        }
    }
}
