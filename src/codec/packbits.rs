//! `numcodecs.packbits` (Zarr v2's `packbits` filter): an array->array
//! codec from a chunk of `bool` to a one-dimensional `uint8` array of
//! `1 + ceil(n / 8)` bytes, the first the number of padding bits in the
//! last byte, then the items eight to a byte, the first item in the
//! highest bit (numpy's `packbits`).

use super::{codec_json, ArrayToArrayCodec, ChunkRepr, CodecSpec};
use crate::dtype::DataType;
use crate::error::{corrupt, invalid_argument, invalid_metadata, Result};
use serde_json::{json, Value};

pub const NAME: &str = "numcodecs.packbits";

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PackBits;

impl PackBits {
    pub fn from_spec(spec: &CodecSpec) -> Result<Self> {
        spec.check_keys(&[])?;
        Ok(PackBits)
    }

    /// The item count of a chunk, which must be of `bool`.
    fn items(decoded: &ChunkRepr) -> Result<usize> {
        if decoded.dtype != DataType::Bool {
            return Err(invalid_metadata(format!(
                "codec \"{NAME}\": its input is {}, not bool",
                decoded.dtype.name()
            )));
        }
        usize::try_from(decoded.num_elements())
            .map_err(|_| invalid_argument(format!("codec \"{NAME}\": the chunk is too large")))
    }
}

impl ArrayToArrayCodec for PackBits {
    fn to_json(&self) -> Value {
        codec_json(NAME, json!({}))
    }

    fn encoded_repr(&self, decoded: &ChunkRepr) -> Result<ChunkRepr> {
        let n = Self::items(decoded)? as u64;
        // The fill value carries over as a byte, as zarr-python carries it.
        Ok(ChunkRepr::new(
            vec![1 + n.div_ceil(8)],
            DataType::UInt8,
            decoded.fill_value.clone(),
        ))
    }

    fn encode(&self, data: &[u8], decoded: &ChunkRepr) -> Result<Vec<u8>> {
        let n = Self::items(decoded)?;
        if data.len() != n {
            return Err(invalid_argument(format!(
                "codec \"{NAME}\": {} bytes for {n} items",
                data.len()
            )));
        }
        let mut out = crate::alloc::zeroed(1 + n.div_ceil(8))?;
        out[0] = ((8 - n % 8) % 8) as u8;
        for (byte, items) in out[1..].iter_mut().zip(data.chunks(8)) {
            for (k, &b) in items.iter().enumerate() {
                *byte |= u8::from(b != 0) << (7 - k);
            }
        }
        Ok(out)
    }

    fn decode(&self, data: &[u8], decoded: &ChunkRepr) -> Result<Vec<u8>> {
        let n = Self::items(decoded)?;
        let mut out = crate::alloc::zeroed(n)?;
        self.decode_into(data, decoded, &mut out)?;
        Ok(out)
    }

    fn decode_into(&self, data: &[u8], decoded: &ChunkRepr, out: &mut [u8]) -> Result<()> {
        let n = Self::items(decoded)?;
        let padding = (8 - n % 8) % 8;
        if data.len() != 1 + n.div_ceil(8) || usize::from(data[0]) != padding || out.len() != n {
            return Err(corrupt(format!(
                "codec \"{NAME}\": {} bytes (padding {}) do not pack {n} items",
                data.len(),
                data.first().copied().unwrap_or(0)
            )));
        }
        for (i, o) in out.iter_mut().enumerate() {
            *o = (data[1 + i / 8] >> (7 - i % 8)) & 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn repr(n: u64) -> ChunkRepr {
        ChunkRepr::new(vec![n], DataType::Bool, vec![0])
    }

    #[test]
    fn numpy_bit_order_and_padding() {
        // numcodecs.PackBits().encode([True, False, False, True]) == [4, 144].
        let enc = PackBits.encode(&[1, 0, 0, 1], &repr(4)).unwrap();
        assert_eq!(enc, [4, 144]);
        assert_eq!(PackBits.decode(&enc, &repr(4)).unwrap(), [1, 0, 0, 1]);
        for n in [0u64, 1, 7, 8, 9, 17] {
            let x: Vec<u8> = (0..n).map(|i| ((i * 5) % 3 == 0) as u8).collect();
            let enc = PackBits.encode(&x, &repr(n)).unwrap();
            assert_eq!(enc.len() as u64, 1 + n.div_ceil(8));
            assert_eq!(PackBits.encoded_repr(&repr(n)).unwrap().nbytes(), enc.len());
            assert_eq!(PackBits.decode(&enc, &repr(n)).unwrap(), x, "n={n}");
        }
        assert_eq!(PackBits.encode(&[1; 8], &repr(8)).unwrap(), [0, 255]);
    }

    #[test]
    fn refusals() {
        let e = PackBits
            .encoded_repr(&ChunkRepr::new(vec![2], DataType::UInt8, vec![0]))
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidMetadata);
        for bad in [&[4u8][..], &[3, 144], &[4, 144, 0], &[]] {
            let e = PackBits.decode(bad, &repr(4)).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Corrupt, "{bad:?}");
        }
        let spec = CodecSpec::from_json(&json!({"name": NAME, "configuration": {"x": 1}})).unwrap();
        assert!(PackBits::from_spec(&spec).is_err());
    }
}
