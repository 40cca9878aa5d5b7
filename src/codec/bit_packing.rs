//! The `packbits` array->bytes codec (zarr-extensions): each element
//! stored in as few bits as its type needs, or as a chosen range of its
//! bits (`first_bit` to `last_bit`), side by side with no gaps.
//!
//! `{"name": "packbits", "configuration": {"padding_encoding": "none" |
//! "first_byte" | "last_byte", "first_bit": k, "last_bit": k}}`, every
//! field optional. Elements follow each other in C order, the parts of a
//! complex number real first; element i takes bits `[i k, (i + 1) k)` of
//! the stream, and bit j of the stream is bit `j % 8` of byte `j / 8`
//! (least significant first). The last byte is padded with zero bits,
//! and their count may be stored in a byte before or after the data.
//!
//! Decoding shifts the stored bits back to `first_bit` and extends them
//! to the type's width, with the sign for the signed integers (`int2`
//! and `int4` too), with zeros for everything else (`uint2`, `uint4`). (`numcodecs.packbits`,
//! Zarr v2's filter for `bool`, orders bits the other way: see
//! `packbits`.)

use super::scalar::{load_bits, store_bits};
use super::{codec_json, ArrayToBytesCodec, ChunkRepr, CodecSpec};
use crate::dtype::DataType;
use crate::error::{corrupt, invalid_argument, invalid_metadata, Result};
use serde_json::{Map, Value};

pub const NAME: &str = "packbits";

/// Where the count of padding bits is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Padding {
    None,
    FirstByte,
    LastByte,
}

impl Padding {
    fn name(self) -> &'static str {
        match self {
            Padding::None => "none",
            Padding::FirstByte => "first_byte",
            Padding::LastByte => "last_byte",
        }
    }
}

/// How an element of a data type is packed: `parts` parts (two for a
/// complex number), each `bits` wide and held in `bytes` bytes of the
/// caller's memory (native byte order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Parts {
    parts: usize,
    bits: u32,
    bytes: usize,
    /// Decoded values are sign-extended (the signed integers).
    signed: bool,
    /// `bool`: any nonzero byte is stored as 1.
    boolean: bool,
}

impl Parts {
    fn of(t: &DataType) -> Option<Parts> {
        use DataType::*;
        let p = |parts, bytes: usize, signed| Parts {
            parts,
            bits: 8 * bytes as u32,
            bytes,
            signed,
            boolean: false,
        };
        Some(match t {
            Bool => Parts {
                bits: 1,
                boolean: true,
                ..p(1, 1, false)
            },
            SubByte(s) => Parts {
                bits: s.bits(),
                ..p(1, 1, s.is_signed())
            },
            Int8 | Int16 | Int32 | Int64 => p(1, t.size(), true),
            DateTime64(..) | TimeDelta64(..) => p(1, 8, true),
            UInt8 | UInt16 | UInt32 | UInt64 | Float16 | BFloat16 | Float32 | Float64
            | Float8(_) => p(1, t.size(), false),
            Complex64 | Complex128 | Complex(_) => {
                let part = Parts::of(&t.complex_part()?)?;
                Parts { parts: 2, ..part }
            }
            _ => return None,
        })
    }
}

/// The `packbits` codec, built for one data type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BitPacking {
    padding: Padding,
    /// The configuration as given, for `to_json`.
    configured_padding: bool,
    configured_first: Option<u32>,
    configured_last: Option<u32>,
    parts: Parts,
    first_bit: u32,
    /// Bits stored of each part: `last_bit - first_bit + 1`.
    width: u32,
}

/// A bit index of the configuration: absent or null is `None`.
fn bit_index(spec: &CodecSpec, key: &str) -> Result<Option<u32>> {
    match spec.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .and_then(|k| u32::try_from(k).ok())
            .map(Some)
            .ok_or_else(|| {
                invalid_metadata(format!(
                    "codec \"{NAME}\": \"{key}\" must be a bit index, not {v}"
                ))
            }),
    }
}

impl BitPacking {
    pub fn from_spec(spec: &CodecSpec, repr: &ChunkRepr) -> Result<Self> {
        spec.check_keys(&["padding_encoding", "first_bit", "last_bit"])?;
        let padding = match spec.get("padding_encoding") {
            None => Padding::None,
            Some(v) => match v.as_str() {
                Some("none") => Padding::None,
                Some("first_byte") => Padding::FirstByte,
                Some("last_byte") => Padding::LastByte,
                _ => {
                    return Err(invalid_metadata(format!(
                        "codec \"{NAME}\": \"padding_encoding\" must be \"none\", \
                         \"first_byte\" or \"last_byte\", not {v}"
                    )))
                }
            },
        };
        let parts = Parts::of(&repr.dtype).ok_or_else(|| {
            invalid_metadata(format!(
                "codec \"{NAME}\" does not encode data type {}",
                repr.dtype.name()
            ))
        })?;
        let configured_first = bit_index(spec, "first_bit")?;
        let configured_last = bit_index(spec, "last_bit")?;
        let first_bit = configured_first.unwrap_or(0);
        let last_bit = configured_last.unwrap_or(parts.bits - 1);
        if last_bit >= parts.bits || first_bit > last_bit {
            return Err(invalid_metadata(format!(
                "codec \"{NAME}\": bits {first_bit} to {last_bit} are not within the {} bits \
                 of {}",
                parts.bits,
                repr.dtype.name()
            )));
        }
        Ok(BitPacking {
            padding,
            configured_padding: spec.get("padding_encoding").is_some(),
            configured_first,
            configured_last,
            parts,
            first_bit,
            width: last_bit - first_bit + 1,
        })
    }

    /// The number of parts in a chunk of `repr`, checked to be
    /// addressable as bits.
    fn parts_in(&self, repr: &ChunkRepr) -> Result<u64> {
        repr.num_elements()
            .checked_mul(self.parts.parts as u64)
            .filter(|n| n.checked_mul(u64::from(self.width)).is_some())
            .ok_or_else(|| invalid_argument(format!("codec \"{NAME}\": the chunk is too large")))
    }

    /// The bytes of packed data (without the padding byte) and the count
    /// of padding bits in the last one.
    fn data_bytes(&self, parts: u64) -> (u64, u8) {
        let bits = parts * u64::from(self.width);
        (bits.div_ceil(8), ((8 - bits % 8) % 8) as u8)
    }

    fn encoded_len(&self, parts: u64) -> u64 {
        let (bytes, _) = self.data_bytes(parts);
        bytes + u64::from(self.padding != Padding::None)
    }

    /// True when packing changes nothing: whole parts of whole bytes, in
    /// little-endian order on a little-endian host, no padding byte.
    fn is_plain_copy(&self) -> bool {
        !self.parts.boolean
            && self.first_bit == 0
            && self.width == self.parts.bits
            && self.width % 8 == 0
            && self.padding == Padding::None
            && cfg!(target_endian = "little")
    }

    /// A part's bits as stored in the caller's memory.
    #[inline]
    fn load(&self, b: &[u8]) -> u64 {
        if self.parts.boolean {
            return u64::from(b[0] != 0);
        }
        load_bits(b)
    }

    /// A part as the caller's memory holds it, from its stored bits.
    #[inline]
    fn store(&self, stored: u64, out: &mut [u8]) {
        let at = stored << self.first_bit;
        let top = self.first_bit + self.width; // bits up to last_bit
        let v = if self.parts.signed && top < 64 {
            // Sign-extend from last_bit; a sub-byte integer's byte takes
            // the sign into its upper bits too (an int8 in memory).
            ((at << (64 - top)) as i64 >> (64 - top)) as u64
        } else {
            at
        };
        store_bits(v, out);
    }
}

/// A mask of the low `width` (1 to 64) bits.
fn low_bits(width: u32) -> u64 {
    u64::MAX >> (64 - width)
}

/// `width` bits (at most 64) at a time into bytes, least significant
/// first.
struct BitWriter<'a> {
    out: &'a mut [u8],
    at: usize,
    acc: u128,
    held: u32,
}

impl BitWriter<'_> {
    #[inline]
    fn push(&mut self, v: u64, width: u32) {
        self.acc |= u128::from(v) << self.held;
        self.held += width;
        while self.held >= 8 {
            self.out[self.at] = self.acc as u8;
            self.at += 1;
            self.acc >>= 8;
            self.held -= 8;
        }
    }

    fn finish(self) {
        if self.held > 0 {
            self.out[self.at] = self.acc as u8;
        }
    }
}

/// `width` bits at a time out of bytes, least significant first.
struct BitReader<'a> {
    data: &'a [u8],
    at: usize,
    acc: u128,
    held: u32,
}

impl BitReader<'_> {
    /// The next `width` bits; the caller has checked that the data holds
    /// them all.
    #[inline]
    fn pull(&mut self, width: u32) -> u64 {
        while self.held < width {
            self.acc |= u128::from(self.data[self.at]) << self.held;
            self.at += 1;
            self.held += 8;
        }
        let v = self.acc as u64 & low_bits(width);
        self.acc >>= width;
        self.held -= width;
        v
    }
}

impl ArrayToBytesCodec for BitPacking {
    fn to_json(&self) -> Value {
        let mut cfg = Map::new();
        if self.configured_padding {
            cfg.insert("padding_encoding".into(), self.padding.name().into());
        }
        if let Some(k) = self.configured_first {
            cfg.insert("first_bit".into(), k.into());
        }
        if let Some(k) = self.configured_last {
            cfg.insert("last_bit".into(), k.into());
        }
        codec_json(NAME, Value::Object(cfg))
    }

    fn encode(&self, data: &[u8], repr: &ChunkRepr) -> Result<Vec<u8>> {
        let parts = self.parts_in(repr)?;
        if data.len() as u64 != parts * self.parts.bytes as u64 {
            return Err(invalid_argument(format!(
                "codec \"{NAME}\": {} bytes for a chunk of {}",
                data.len(),
                repr.nbytes()
            )));
        }
        if self.is_plain_copy() {
            return crate::alloc::copied(data);
        }
        let (bytes, padding) = self.data_bytes(parts);
        let mut out = crate::alloc::zeroed(self.encoded_len(parts) as usize)?;
        let start = usize::from(self.padding == Padding::FirstByte);
        match self.padding {
            Padding::None => {}
            Padding::FirstByte => out[0] = padding,
            Padding::LastByte => out[bytes as usize] = padding,
        }
        let mask = low_bits(self.width);
        let mut w = BitWriter {
            out: &mut out[start..start + bytes as usize],
            at: 0,
            acc: 0,
            held: 0,
        };
        for part in data.chunks_exact(self.parts.bytes) {
            w.push((self.load(part) >> self.first_bit) & mask, self.width);
        }
        w.finish();
        Ok(out)
    }

    fn decode_into(&self, bytes: &[u8], repr: &ChunkRepr, out: &mut [u8]) -> Result<()> {
        let parts = self.parts_in(repr)?;
        if out.len() as u64 != parts * self.parts.bytes as u64 {
            return Err(crate::error::internal(format!(
                "codec \"{NAME}\": a buffer of {} bytes for a chunk of {}",
                out.len(),
                repr.nbytes()
            )));
        }
        let expected = self.encoded_len(parts);
        if bytes.len() as u64 != expected {
            return Err(corrupt(format!(
                "codec \"{NAME}\": an encoded chunk of {} bytes, expected {expected}",
                bytes.len()
            )));
        }
        if self.is_plain_copy() {
            out.copy_from_slice(bytes);
            return Ok(());
        }
        let (n, padding) = self.data_bytes(parts);
        let n = n as usize;
        let data = match self.padding {
            Padding::None => bytes,
            Padding::FirstByte => &bytes[1..],
            Padding::LastByte => &bytes[..n],
        };
        let stored_padding = match self.padding {
            Padding::None => padding,
            Padding::FirstByte => bytes[0],
            Padding::LastByte => bytes[n],
        };
        if stored_padding != padding {
            return Err(corrupt(format!(
                "codec \"{NAME}\": the chunk's padding byte says {stored_padding} bits, its \
                 size needs {padding}"
            )));
        }
        let mut r = BitReader {
            data,
            at: 0,
            acc: 0,
            held: 0,
        };
        for part in out.chunks_exact_mut(self.parts.bytes) {
            self.store(r.pull(self.width), part);
        }
        Ok(())
    }

    fn fixed_encoded_size(&self, repr: &ChunkRepr) -> Option<u64> {
        self.parts_in(repr).ok().map(|p| self.encoded_len(p))
    }

    fn is_identity(&self, _repr: &ChunkRepr) -> bool {
        self.is_plain_copy()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dtype::SubByte;
    use crate::error::ErrorKind;
    use serde_json::json;

    fn codec(cfg: Value, t: &DataType) -> Result<BitPacking> {
        let spec = CodecSpec::from_json(&json!({"name": NAME, "configuration": cfg})).unwrap();
        BitPacking::from_spec(&spec, &repr(t, 1))
    }

    fn repr(t: &DataType, n: u64) -> ChunkRepr {
        ChunkRepr::new(vec![n], t.clone(), vec![0; t.size()])
    }

    #[test]
    fn bools_least_significant_bit_first() {
        let c = codec(json!({"padding_encoding": "first_byte"}), &DataType::Bool).unwrap();
        let r = repr(&DataType::Bool, 10);
        let x = [0u8, 0, 0, 1, 0, 0, 0, 7, 1, 0];
        let enc = c.encode(&x, &r).unwrap();
        assert_eq!(enc, [6, 0x88, 0x01]);
        let mut back = [9u8; 10];
        c.decode_into(&enc, &r, &mut back).unwrap();
        assert_eq!(back, [0, 0, 0, 1, 0, 0, 0, 1, 1, 0]);
        let c = codec(json!({"padding_encoding": "last_byte"}), &DataType::Bool).unwrap();
        assert_eq!(c.encode(&x, &r).unwrap(), [0x88, 0x01, 6]);
        let c = codec(json!({}), &DataType::Bool).unwrap();
        assert_eq!(c.encode(&x, &r).unwrap(), [0x88, 0x01]);
        assert_eq!(c.fixed_encoded_size(&r), Some(2));
    }

    #[test]
    fn bit_ranges_extend_with_the_sign_of_signed_types() {
        // int16, bits 2..=5: -4 is ...1111_1100 -> stored 0b1111 -> -4;
        // 12 (0b1100) -> 0b0011 -> bits 2..=5 = 0b001100 with bit 5 clear.
        let t = DataType::Int16;
        let c = codec(json!({"first_bit": 2, "last_bit": 5}), &t).unwrap();
        let r = repr(&t, 3);
        let x: Vec<u8> = [-4i16, 12, 0x7ff3]
            .iter()
            .flat_map(|v| v.to_ne_bytes())
            .collect();
        let enc = c.encode(&x, &r).unwrap();
        assert_eq!(enc.len(), 2); // 12 bits
        let mut back = vec![0u8; 6];
        c.decode_into(&enc, &r, &mut back).unwrap();
        let back: Vec<i16> = back
            .chunks(2)
            .map(|b| i16::from_ne_bytes([b[0], b[1]]))
            .collect();
        // 0x7ff3 keeps bits 2..=5 = 0b1100, bit 5 set: -16 once extended.
        assert_eq!(back, [-4, 12, -16]);
        // The same range of a uint16 is zero-extended.
        let t = DataType::UInt16;
        let c = codec(json!({"first_bit": 2, "last_bit": 5}), &t).unwrap();
        let mut back = vec![0u8; 6];
        c.decode_into(&enc, &repr(&t, 3), &mut back).unwrap();
        let back: Vec<u16> = back
            .chunks(2)
            .map(|b| u16::from_ne_bytes([b[0], b[1]]))
            .collect();
        assert_eq!(back, [60, 12, 48]);
    }

    #[test]
    fn sub_byte_and_whole_types() {
        let t = DataType::SubByte(SubByte::Int4);
        let c = codec(json!({}), &t).unwrap();
        let x = [0xfcu8, 1, 0xf8, 7, 0];
        let enc = c.encode(&x, &repr(&t, 5)).unwrap();
        assert_eq!(enc, [0x1c, 0x78, 0x00]);
        let mut back = [0u8; 5];
        c.decode_into(&enc, &repr(&t, 5), &mut back).unwrap();
        assert_eq!(back, x);
        // Whole little-endian parts: the bytes as they are.
        let c = codec(json!({}), &DataType::Complex64).unwrap();
        assert!(c.is_plain_copy() == cfg!(target_endian = "little"));
        let x: Vec<u8> = (0u8..16).collect();
        assert_eq!(c.encode(&x, &repr(&DataType::Complex64, 2)).unwrap(), x);
        let c = codec(json!({"first_bit": 0, "last_bit": 63}), &DataType::UInt64).unwrap();
        let x: Vec<u8> = u64::MAX
            .to_ne_bytes()
            .into_iter()
            .chain(5u64.to_ne_bytes())
            .collect();
        let r = repr(&DataType::UInt64, 2);
        let mut back = vec![0u8; 16];
        c.decode_into(&c.encode(&x, &r).unwrap(), &r, &mut back)
            .unwrap();
        assert_eq!(back, x);
    }

    #[test]
    fn refusals() {
        for (cfg, t) in [
            (json!({"last_bit": 16}), DataType::Int16),
            (json!({"first_bit": 5, "last_bit": 4}), DataType::Int16),
            (json!({"first_bit": -1}), DataType::Int16),
            (json!({"padding_encoding": "middle"}), DataType::Bool),
            (json!({"bits": 3}), DataType::Bool),
            (json!({}), DataType::String),
            (json!({}), DataType::RawBits(16)),
        ] {
            let e = codec(cfg.clone(), &t).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidMetadata, "{cfg} {}", t.name());
        }
        let c = codec(json!({"padding_encoding": "last_byte"}), &DataType::Bool).unwrap();
        let r = repr(&DataType::Bool, 10);
        let mut out = [0u8; 10];
        for bad in [&[0x88u8, 0x01][..], &[0x88, 0x01, 5], &[0x88, 0x01, 6, 0]] {
            let e = c.decode_into(bad, &r, &mut out).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Corrupt, "{bad:?}");
        }
        assert_eq!(
            c.to_json(),
            json!({"name": NAME, "configuration": {"padding_encoding": "last_byte"}})
        );
    }
}
