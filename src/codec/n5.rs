//! zarr-extensions' `n5_default`: an array->bytes codec that reads and
//! writes N5 blocks in N5's default mode, so an N5 dataset is a Zarr
//! array whose `zarr.json` sits beside its `attributes.json`.
//!
//! A block is a header (mode 0 as a big-endian uint16, the number of
//! dimensions as a uint16, each dimension's length as a uint32, in the
//! array's dimension order) and then the block's values through the
//! codecs of the configuration: a `transpose` that reverses the
//! dimensions (N5 stores blocks in Fortran order), `bytes` in big
//! endian, and at most one bytes->bytes codec (N5's compression).
//!
//! N5 writers disagree on the blocks at the array's far edges: the Java
//! library cuts them short to the array, tensorstore and zarr-python 2
//! store them whole. Each block's header says which, so both read: a
//! short block is padded with the fill value. Blocks are written whole,
//! as tensorstore writes them.

use super::{codec_json, ArrayToBytesCodec, ChunkRepr, CodecChain, CodecSpec};
use crate::error::{corrupt, invalid_metadata, unsupported, Result};
use crate::strided::{fill_slice, Layout, SourceBuffer};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub const NAME: &str = "n5_default";

/// Block modes of N5's header; only the default is this codec's.
const MODE_DEFAULT: u16 = 0;

/// Chains for short blocks kept at most: an array has one shape of short
/// block per combination of far edges (2^rank), a damaged one any number.
const SHORT_CHAINS_KEPT: usize = 64;

#[derive(Debug)]
pub struct N5DefaultCodec {
    json: Value,
    codecs: Vec<Value>,
    /// The chain for a whole block (the chunk's shape).
    whole: CodecChain,
    /// Chains for the short blocks read so far, by shape.
    short: Mutex<HashMap<Vec<u64>, Arc<CodecChain>>>,
    /// The header of a whole block.
    header: Vec<u8>,
}

fn bad_config(what: String) -> crate::error::Error {
    invalid_metadata(format!("codec \"{NAME}\": {what}"))
}

/// The header of a default-mode block of `shape`.
fn header(shape: &[u64]) -> Vec<u8> {
    let mut h = Vec::with_capacity(4 + 4 * shape.len());
    h.extend_from_slice(&MODE_DEFAULT.to_be_bytes());
    h.extend_from_slice(&(shape.len() as u16).to_be_bytes());
    for &n in shape {
        h.extend_from_slice(&(n as u32).to_be_bytes());
    }
    h
}

/// Check the configuration's codecs against what the extension allows:
/// a transpose reversing the dimensions, `bytes` (big endian for types
/// wider than a byte), then at most one more codec, which must turn
/// bytes into bytes (the chain built from them checks that).
fn check_codecs(codecs: &[Value], rank: usize, elem: usize) -> Result<()> {
    let name = |i: usize| {
        codecs
            .get(i)
            .and_then(|c| c.get("name"))
            .and_then(Value::as_str)
    };
    let config = |i: usize| codecs.get(i).and_then(|c| c.get("configuration"));
    let reversed: Vec<u64> = (0..rank as u64).rev().collect();
    let order = config(0)
        .and_then(|c| c.get("order"))
        .and_then(|o| serde_json::from_value::<Vec<u64>>(o.clone()).ok());
    if name(0) != Some("transpose") || order.as_deref() != Some(&reversed[..]) {
        return Err(bad_config(format!(
            "the first codec must be a transpose with order {reversed:?} (N5 blocks are in \
             Fortran order)"
        )));
    }
    let endian = config(1)
        .and_then(|c| c.get("endian"))
        .and_then(Value::as_str);
    if name(1) != Some("bytes") || !(endian == Some("big") || (endian.is_none() && elem == 1)) {
        return Err(bad_config(
            "the second codec must be bytes with endian \"big\" (N5 blocks are big-endian)".into(),
        ));
    }
    if codecs.len() > 3 {
        return Err(bad_config(format!(
            "{} codecs: N5 blocks take at most one compressor after transpose and bytes",
            codecs.len()
        )));
    }
    Ok(())
}

impl N5DefaultCodec {
    pub fn from_spec(spec: &CodecSpec, repr: &ChunkRepr) -> Result<N5DefaultCodec> {
        spec.check_keys(&["codecs"])?;
        let codecs = match spec.get("codecs") {
            Some(Value::Array(a)) => a.clone(),
            _ => return Err(bad_config("\"codecs\" must be an array of codecs".into())),
        };
        let rank = repr.shape.len();
        if rank == 0 || rank > usize::from(u16::MAX) {
            return Err(unsupported(format!(
                "codec \"{NAME}\": N5 blocks have 1 to 65535 dimensions, not {rank}"
            )));
        }
        if let Some(n) = repr.shape.iter().find(|&&n| n > u64::from(u32::MAX)) {
            return Err(unsupported(format!(
                "codec \"{NAME}\": N5 block lengths are at most 2^32 - 1, not {n}"
            )));
        }
        check_codecs(&codecs, rank, repr.dtype.size())?;
        let whole = CodecChain::from_json(&codecs, repr.clone())
            .map_err(|e| e.context(format!("codec \"{NAME}\"")))?;
        Ok(N5DefaultCodec {
            json: codec_json(NAME, Value::Object(spec.configuration.clone())),
            header: header(&repr.shape),
            codecs,
            whole,
            short: Mutex::new(HashMap::new()),
        })
    }

    /// The chain for a block of `shape`, built the first time one is read.
    fn short_chain(&self, shape: &[u64], repr: &ChunkRepr) -> Result<Arc<CodecChain>> {
        let mut kept = self.short.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = kept.get(shape) {
            return Ok(c.clone());
        }
        let block = ChunkRepr::new(shape.to_vec(), repr.dtype.clone(), repr.fill_value.clone());
        let chain = Arc::new(
            CodecChain::from_json(&self.codecs, block)
                .map_err(|e| e.context(format!("codec \"{NAME}\"")))?,
        );
        if kept.len() < SHORT_CHAINS_KEPT {
            kept.insert(shape.to_vec(), chain.clone());
        }
        Ok(chain)
    }

    /// The block's shape from its header, and where its values start.
    fn parse_header(&self, bytes: &[u8], repr: &ChunkRepr) -> Result<(Vec<u64>, usize)> {
        let bad = |what: String| corrupt(format!("codec \"{NAME}\": {what}"));
        let u16_at = |i: usize| {
            bytes
                .get(i..i + 2)
                .map(|b| u16::from_be_bytes([b[0], b[1]]))
        };
        let (mode, rank) = match (u16_at(0), u16_at(2)) {
            (Some(m), Some(r)) => (m, usize::from(r)),
            _ => return Err(bad(format!("{} bytes are not an N5 block", bytes.len()))),
        };
        // N5's other modes (1 varlength, 2 object) are other codecs':
        // a block in one is not this array's.
        if mode != MODE_DEFAULT {
            let what = match mode {
                1 => "varlength mode",
                2 => "object mode",
                _ => "no mode of N5's",
            };
            return Err(bad(format!(
                "a block in {what} ({mode}), not the default mode this codec reads"
            )));
        }
        if rank != repr.shape.len() {
            return Err(bad(format!(
                "a block of {rank} dimensions in an array of {}",
                repr.shape.len()
            )));
        }
        let end = 4 + 4 * rank;
        let dims = bytes
            .get(4..end)
            .ok_or_else(|| bad("the block's header is cut short".into()))?;
        let shape: Vec<u64> = dims
            .chunks_exact(4)
            .map(|b| u64::from(u32::from_be_bytes([b[0], b[1], b[2], b[3]])))
            .collect();
        // A block longer than its chunk along some dimension has values
        // no chunk holds; none of N5's writers makes one.
        if shape
            .iter()
            .zip(&repr.shape)
            .any(|(&b, &c)| b > c || b == 0)
        {
            return Err(bad(format!(
                "a block of shape {shape:?} in a chunk of shape {:?}",
                repr.shape
            )));
        }
        Ok((shape, end))
    }
}

impl ArrayToBytesCodec for N5DefaultCodec {
    fn to_json(&self) -> Value {
        self.json.clone()
    }

    fn encode(&self, data: &[u8], _repr: &ChunkRepr) -> Result<Vec<u8>> {
        let values = self.whole.encode(data)?;
        let mut out = crate::alloc::with_capacity(self.header.len() + values.len())?;
        out.extend_from_slice(&self.header);
        out.extend_from_slice(&values);
        Ok(out)
    }

    fn decode_into(&self, bytes: &[u8], repr: &ChunkRepr, out: &mut [u8]) -> Result<()> {
        let (shape, start) = self.parse_header(bytes, repr)?;
        let values = &bytes[start..];
        if shape == repr.shape {
            return self.whole.decode_into(values, out);
        }
        // A short block: decoded on its own, then placed at the chunk's
        // start with the fill value around it.
        let chain = self.short_chain(&shape, repr)?;
        let block = chain.decode(values)?;
        fill_slice(out, &repr.fill_value);
        let zero = vec![0u64; shape.len()];
        let elem = repr.dtype.size();
        SourceBuffer::new(&block, Layout::c_order(&shape, elem)).copy_to_chunk(
            &zero,
            out,
            &repr.shape,
            &zero,
            &shape,
        );
        Ok(())
    }

    fn fixed_encoded_size(&self, _repr: &ChunkRepr) -> Option<u64> {
        // Whole blocks through fixed-size codecs have one size, but a
        // short block another: stored blocks are not all one size.
        None
    }

    fn max_encoded_size(&self, _repr: &ChunkRepr) -> u64 {
        self.whole
            .max_encoded_size()
            .saturating_add(self.header.len() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dtype::DataType;
    use crate::error::ErrorKind;
    use serde_json::json;

    fn spec(codecs: Value) -> CodecSpec {
        CodecSpec::from_json(&json!({"name": NAME, "configuration": {"codecs": codecs}})).unwrap()
    }

    fn n5_codecs(order: Value, endian: Value) -> Value {
        json!([{"name": "transpose", "configuration": {"order": order}},
               {"name": "bytes", "configuration": {"endian": endian}}])
    }

    fn repr(shape: Vec<u64>) -> ChunkRepr {
        ChunkRepr::new(shape, DataType::UInt16, 7u16.to_ne_bytes().to_vec())
    }

    #[test]
    fn the_codecs_must_be_n5s() {
        let ok = N5DefaultCodec::from_spec(
            &spec(n5_codecs(json!([2, 1, 0]), json!("big"))),
            &repr(vec![2, 3, 4]),
        );
        assert!(ok.is_ok());
        for (codecs, shape) in [
            (n5_codecs(json!([0, 1, 2]), json!("big")), vec![2, 3, 4]),
            (n5_codecs(json!([2, 1, 0]), json!("little")), vec![2, 3, 4]),
            (n5_codecs(json!([1, 0]), json!("big")), vec![2, 3, 4]),
            (
                json!([{"name": "bytes", "configuration": {"endian": "big"}}]),
                vec![4],
            ),
            (json!({"name": "bytes"}), vec![4]),
        ] {
            let e = N5DefaultCodec::from_spec(&spec(codecs.clone()), &repr(shape)).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidMetadata, "{codecs}: {e}");
        }
        let mut three = n5_codecs(json!([0]), json!("big"));
        for _ in 0..2 {
            three
                .as_array_mut()
                .unwrap()
                .push(json!({"name": "gzip", "configuration": {"level": 1}}));
        }
        let e = N5DefaultCodec::from_spec(&spec(three), &repr(vec![4])).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidMetadata);
        let e = N5DefaultCodec::from_spec(&spec(n5_codecs(json!([]), json!("big"))), &repr(vec![]))
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unsupported);
    }

    #[test]
    fn whole_and_short_blocks() {
        let r = repr(vec![2, 3]);
        let c =
            N5DefaultCodec::from_spec(&spec(n5_codecs(json!([1, 0]), json!("big"))), &r).unwrap();
        let values: Vec<u8> = (1u16..=6).flat_map(|v| v.to_ne_bytes()).collect();
        let stored = c.encode(&values, &r).unwrap();
        // Header: mode 0, 2 dimensions, 2 and 3; then Fortran order, big
        // endian: 1 4 2 5 3 6.
        let mut expected = vec![0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3];
        for v in [1u16, 4, 2, 5, 3, 6] {
            expected.extend_from_slice(&v.to_be_bytes());
        }
        assert_eq!(stored, expected);
        let mut out = vec![0u8; 12];
        c.decode_into(&stored, &r, &mut out).unwrap();
        assert_eq!(out, values);
        // A block cut short to 1 x 2: [[1, 2]], the rest the fill value.
        let mut short = vec![0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2];
        for v in [1u16, 2] {
            short.extend_from_slice(&v.to_be_bytes());
        }
        c.decode_into(&short, &r, &mut out).unwrap();
        let want: Vec<u8> = [1u16, 2, 7, 7, 7, 7]
            .iter()
            .flat_map(|v| v.to_ne_bytes())
            .collect();
        assert_eq!(out, want);
    }

    #[test]
    fn damaged_headers_are_errors() {
        let r = repr(vec![2, 3]);
        let c =
            N5DefaultCodec::from_spec(&spec(n5_codecs(json!([1, 0]), json!("big"))), &r).unwrap();
        let mut out = vec![0u8; 12];
        let body = [0u8; 12];
        for (head, kind) in [
            (vec![0, 0, 0], ErrorKind::Corrupt),
            (vec![0, 0, 0, 2, 0, 0, 0, 2], ErrorKind::Corrupt),
            (vec![0, 1, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3], ErrorKind::Corrupt),
            (vec![0, 2, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3], ErrorKind::Corrupt),
            (vec![0, 9, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3], ErrorKind::Corrupt),
            (
                vec![0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 1],
                ErrorKind::Corrupt,
            ),
            (vec![0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 3], ErrorKind::Corrupt),
            (vec![0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 3], ErrorKind::Corrupt),
            (
                vec![0, 0, 0, 2, 255, 255, 255, 255, 0, 0, 0, 3],
                ErrorKind::Corrupt,
            ),
        ] {
            let mut b = head.clone();
            b.extend_from_slice(&body);
            let e = c.decode_into(&b, &r, &mut out).unwrap_err();
            assert_eq!(e.kind(), kind, "{head:?}: {e}");
        }
        // The values cut short.
        let e = c
            .decode_into(&[0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2], &r, &mut out)
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Corrupt, "{e}");
    }
}
