//! The `optional` codec (zarr-extensions `codecs/optional`; zarrs'
//! `zarrs.optional`), the array->bytes codec of the `optional` data type.
//!
//! A chunk is stored as two little-endian u64 lengths, then the validity
//! mask (a `bool` array of the chunk's shape) through `mask_codecs`, then
//! the values that are present, in C order as a one-dimensional array of
//! the inner type, through `data_codecs`. Missing values are not stored.
//! A chunk with no value present stores no data bytes.

use super::{codec_json, ArrayToBytesCodec, ChunkRepr, CodecChain, CodecSpec};
use crate::dtype::DataType;
use crate::error::{corrupt, invalid_argument, invalid_metadata, Result};
use serde_json::Value;

pub const NAME: &str = "optional";
/// The name the zarrs crate (0.23) reads and writes.
pub const ZARRS_NAME: &str = "zarrs.optional";

/// Bytes before the encoded mask: its length and the data's.
const HEADER: usize = 16;

#[derive(Debug)]
pub struct OptionalCodec {
    /// The name the metadata gave, written back as it was.
    name: &'static str,
    /// The mask's codecs, for the chunk's shape.
    mask: CodecChain,
    /// The values' codecs, built for each chunk's count of present values.
    data_specs: Vec<CodecSpec>,
    /// `data_specs` built for every element present: their bound.
    data_max: CodecChain,
    inner: DataType,
}

impl OptionalCodec {
    pub fn is_name(name: &str) -> bool {
        name == NAME || name == ZARRS_NAME
    }

    pub fn from_spec(spec: &CodecSpec, repr: &ChunkRepr) -> Result<Self> {
        spec.check_keys(&["mask_codecs", "data_codecs"])?;
        let name = if spec.name == NAME { NAME } else { ZARRS_NAME };
        let DataType::Optional(t) = &repr.dtype else {
            return Err(invalid_metadata(format!(
                "codec \"{name}\" encodes the optional data type, not {}",
                repr.dtype.name()
            )));
        };
        let list = |key: &str| -> Result<Vec<CodecSpec>> {
            match spec.get(key) {
                Some(Value::Array(a)) if !a.is_empty() => {
                    a.iter().map(CodecSpec::from_json).collect()
                }
                _ => Err(invalid_metadata(format!(
                    "codec \"{name}\" needs \"{key}\", a non-empty list of codecs"
                ))),
            }
        };
        let mask_specs = list("mask_codecs")?;
        let data_specs = list("data_codecs")?;
        let mask = CodecChain::from_specs(
            &mask_specs,
            ChunkRepr::new(repr.shape.clone(), DataType::Bool, vec![0]),
        )
        .map_err(|e| e.context(format!("codec \"{name}\", mask_codecs")))?;
        let inner = t.inner().clone();
        let data_max = data_chain(name, &data_specs, &inner, repr.num_elements())?;
        // The values' count differs from chunk to chunk: codecs that need a
        // shape of their own cannot divide it.
        if data_max.depends_on_shape() {
            return Err(crate::error::unsupported(format!(
                "codec \"{name}\": sharding or reshaping codecs among \"data_codecs\" are not \
                 supported (the values are a list as long as the chunk has values present)"
            )));
        }
        Ok(OptionalCodec {
            name,
            mask,
            data_specs,
            data_max,
            inner,
        })
    }

    /// Run `f` with the values' codecs for `present` values: those built
    /// up front when every element is present, else built for the count.
    fn with_data_chain<R>(
        &self,
        present: u64,
        f: impl FnOnce(&CodecChain) -> Result<R>,
    ) -> Result<R> {
        if present == self.data_max.repr().num_elements() {
            return f(&self.data_max);
        }
        f(&data_chain(
            self.name,
            &self.data_specs,
            &self.inner,
            present,
        )?)
    }
}

/// The values' codecs for `present` values of `inner`, as a
/// one-dimensional array whose fill value is zero.
fn data_chain(
    name: &str,
    specs: &[CodecSpec],
    inner: &DataType,
    present: u64,
) -> Result<CodecChain> {
    CodecChain::from_specs(
        specs,
        ChunkRepr::new(vec![present], inner.clone(), vec![0; inner.size()]),
    )
    .map_err(|e| e.context(format!("codec \"{name}\", data_codecs")))
}

impl ArrayToBytesCodec for OptionalCodec {
    fn to_json(&self) -> Value {
        let mut cfg = serde_json::Map::new();
        cfg.insert("mask_codecs".into(), self.mask.to_json());
        cfg.insert("data_codecs".into(), self.data_max.to_json());
        codec_json(self.name, Value::Object(cfg))
    }

    fn encode(&self, data: &[u8], repr: &ChunkRepr) -> Result<Vec<u8>> {
        let elem = repr.dtype.size();
        let value = self.inner.size();
        let n = repr.num_elements() as usize;
        let mut mask = crate::alloc::with_capacity(n)?;
        let mut present = Vec::new();
        for e in data.chunks_exact(elem) {
            let valid = e[value];
            if valid > 1 {
                return Err(invalid_argument(format!(
                    "codec \"{}\": an element's validity byte is {valid}, not 0 (missing) or 1 \
                     (present)",
                    self.name
                )));
            }
            mask.push(valid);
            if valid == 1 {
                present.extend_from_slice(&e[..value]);
            }
        }
        let count = mask.iter().filter(|v| **v == 1).count();
        let encoded_mask = self.mask.encode(&mask)?;
        let encoded_data = if count == 0 {
            Vec::new()
        } else {
            self.with_data_chain(count as u64, |c| c.encode(&present))?
        };
        let mut out =
            crate::alloc::with_capacity(HEADER + encoded_mask.len() + encoded_data.len())?;
        out.extend_from_slice(&(encoded_mask.len() as u64).to_le_bytes());
        out.extend_from_slice(&(encoded_data.len() as u64).to_le_bytes());
        out.extend_from_slice(&encoded_mask);
        out.extend_from_slice(&encoded_data);
        Ok(out)
    }

    fn decode_into(&self, bytes: &[u8], repr: &ChunkRepr, out: &mut [u8]) -> Result<()> {
        let bad = |what: String| corrupt(format!("codec \"{}\": {what}", self.name));
        if bytes.len() < HEADER {
            return Err(bad(format!(
                "a chunk of {} bytes is shorter than its {HEADER}-byte header",
                bytes.len()
            )));
        }
        let mask_len = u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes"));
        let data_len = u64::from_le_bytes(bytes[8..16].try_into().expect("8 bytes"));
        let body = (bytes.len() - HEADER) as u64;
        if mask_len.checked_add(data_len) != Some(body) {
            return Err(bad(format!(
                "the header gives {mask_len} bytes of mask and {data_len} of data, the chunk \
                 holds {body} after it"
            )));
        }
        let (encoded_mask, encoded_data) = bytes[HEADER..].split_at(mask_len as usize);
        let mask = self.mask.decode(encoded_mask)?;
        let count = mask.iter().filter(|v| **v != 0).count();
        let elem = repr.dtype.size();
        let value = self.inner.size();
        if count == 0 {
            // No values: whatever data bytes there are (a compressor's
            // frame of nothing) hold none.
            out.fill(0);
            return Ok(());
        }
        let present = self.with_data_chain(count as u64, |c| c.decode(encoded_data))?;
        let mut values = present.chunks_exact(value);
        for (e, valid) in out.chunks_exact_mut(elem).zip(&mask) {
            if *valid != 0 {
                e[..value].copy_from_slice(values.next().expect("one value per present element"));
                e[value] = 1;
            } else {
                e.fill(0);
            }
        }
        Ok(())
    }

    fn fixed_encoded_size(&self, _repr: &ChunkRepr) -> Option<u64> {
        None
    }

    fn max_encoded_size(&self, _repr: &ChunkRepr) -> u64 {
        (HEADER as u64)
            .saturating_add(self.mask.max_encoded_size())
            .saturating_add(self.data_max.max_encoded_size())
    }

    fn is_optional(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn optional_of(inner: &str) -> DataType {
        DataType::from_json(&json!({"name": "optional", "configuration": {"name": inner}})).unwrap()
    }

    fn codec(cfg: Value, repr: &ChunkRepr) -> Result<OptionalCodec> {
        OptionalCodec::from_spec(
            &CodecSpec::from_json(&json!({"name": "zarrs.optional", "configuration": cfg}))
                .unwrap(),
            repr,
        )
    }

    fn plain() -> Value {
        json!({"mask_codecs": [{"name": "packbits"}],
               "data_codecs": [{"name": "bytes", "configuration": {"endian": "little"}}]})
    }

    #[test]
    fn stores_the_mask_then_the_present_values() {
        let t = optional_of("uint16");
        let repr = ChunkRepr::new(vec![2, 2], t, vec![0; 3]);
        let c = codec(plain(), &repr).unwrap();
        // 7, missing, missing, 9
        let data = [7, 0, 1, 0xAA, 0xBB, 0, 0, 0, 0, 9, 0, 1];
        let enc = c.encode(&data, &repr).unwrap();
        let (mask_len, data_len) = (enc[0] as usize, enc[8] as usize);
        assert_eq!(data_len, 4);
        assert_eq!(enc.len(), HEADER + mask_len + data_len);
        assert_eq!(&enc[HEADER + mask_len..], &[7, 0, 9, 0]);
        let mut out = vec![0xFF; 12];
        c.decode_into(&enc, &repr, &mut out).unwrap();
        // A missing element's value bytes read back as zero.
        assert_eq!(out, [7, 0, 1, 0, 0, 0, 0, 0, 0, 9, 0, 1]);
    }

    #[test]
    fn an_all_missing_chunk_stores_no_data() {
        let repr = ChunkRepr::new(vec![3], optional_of("int32"), vec![0; 5]);
        let c = codec(plain(), &repr).unwrap();
        let enc = c.encode(&[0; 15], &repr).unwrap();
        assert_eq!(u64::from_le_bytes(enc[8..16].try_into().unwrap()), 0);
        let mut out = vec![1; 15];
        c.decode_into(&enc, &repr, &mut out).unwrap();
        assert_eq!(out, vec![0; 15]);
    }

    #[test]
    fn refuses_bad_validity_bytes_and_damaged_chunks() {
        let repr = ChunkRepr::new(vec![2], optional_of("uint8"), vec![0; 2]);
        let c = codec(plain(), &repr).unwrap();
        let e = c.encode(&[1, 2, 3, 1], &repr).unwrap_err();
        assert_eq!(e.kind(), crate::error::ErrorKind::InvalidArgument);
        let enc = c.encode(&[1, 1, 3, 1], &repr).unwrap();
        let mut out = vec![0; 4];
        for cut in 0..enc.len() {
            assert!(
                c.decode_into(&enc[..cut], &repr, &mut out).is_err(),
                "{cut}"
            );
        }
        let mut longer = enc.clone();
        longer.push(0);
        assert!(c.decode_into(&longer, &repr, &mut out).is_err());
        let mut huge = enc.clone();
        huge[..8].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(c.decode_into(&huge, &repr, &mut out).is_err());
    }

    #[test]
    fn refuses_other_types_and_configurations() {
        let u8_repr = ChunkRepr::new(vec![2], DataType::UInt8, vec![0]);
        assert!(codec(plain(), &u8_repr).is_err());
        let repr = ChunkRepr::new(vec![2], optional_of("uint8"), vec![0; 2]);
        for bad in [
            json!({"mask_codecs": [{"name": "packbits"}]}),
            json!({"data_codecs": [{"name": "bytes"}]}),
            json!({"mask_codecs": [], "data_codecs": [{"name": "bytes"}]}),
            json!({"mask_codecs": [{"name": "packbits"}], "data_codecs": [{"name": "bytes"}], "x": 1}),
            json!({"mask_codecs": [{"name": "zstd"}], "data_codecs": [{"name": "bytes"}]}),
        ] {
            assert!(codec(bad.clone(), &repr).is_err(), "{bad}");
        }
    }
}
