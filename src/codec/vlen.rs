//! The codecs of variable-length items. `vlen-utf8` and `vlen-bytes`
//! (zarr-extensions; numcodecs' `VLenUTF8` / `VLenBytes`, Zarr v2's
//! filters of the same names), `vlen-ndarray` (zarr-extensions, for the
//! `ndarray` data type with a leading variable dimension: each item a
//! whole number of records of little-endian scalars), and the same
//! framing under the names that serve any variable-length type (zarrs'
//! `zarrs.vlen_v2`, numcodecs' `VLenArray` as `vlen-array` or
//! `numcodecs.vlen-array`):
//! a chunk is stored as a little-endian u32 item count, then for each
//! item in C order its length as a little-endian u32 and its bytes.
//!
//! zarrs' `zarrs.vlen` stores the items apart from their offsets instead:
//! the `n + 1` offsets (uint32 or uint64, the first 0, each item's end
//! the next one's start) encoded through `index_codecs` as a
//! one-dimensional array, the items' bytes side by side through
//! `data_codecs` as a one-dimensional uint8 array, and the encoded
//! offsets' length as a little-endian u64; `index_location` "start"
//! stores that length, the offsets, then the bytes, "end" the bytes, the
//! offsets, then the length.
//!
//! Items have no fixed size, so these codecs never go through the
//! fixed-size paths (`encode`, `decode_into` refuse): `Array::read_strings`
//! and `write_strings` call `CodecChain::decode_items` / `encode_items`,
//! which end here.

use super::pipeline::CodecChain;
use super::{codec_json, ArrayToBytesCodec, ChunkRepr, CodecSpec};
use crate::dtype::{ByteOrderUnits, DataType};
use crate::error::{corrupt, invalid_argument, invalid_metadata, unsupported, Result};
use serde_json::{json, Value};
use std::borrow::Cow;

pub const UTF8: &str = "vlen-utf8";
pub const BYTES: &str = "vlen-bytes";
pub const NDARRAY: &str = "vlen-ndarray";
/// `vlen-bytes`' framing for any variable-length type (zarrs).
pub const V2: &str = "zarrs.vlen_v2";
/// numcodecs' `VLenArray`: `vlen-bytes`' framing, here for any
/// variable-length type (zarrs reads and writes it so, under this name).
pub const ARRAY: &str = "vlen-array";
/// The same under numcodecs' prefix, as zarr-python names numcodecs' codecs.
pub const NUMCODECS_ARRAY: &str = "numcodecs.vlen-array";
/// Offsets and item bytes through codec chains of their own (zarrs).
pub const SPLIT: &str = "zarrs.vlen";

/// Every name of these codecs.
pub(crate) const NAMES: [&str; 7] = [UTF8, BYTES, NDARRAY, V2, ARRAY, NUMCODECS_ARRAY, SPLIT];

/// What each item of a chunk must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemRule {
    /// Any bytes (`vlen-bytes`).
    Bytes,
    /// UTF-8 text (`vlen-utf8`).
    Utf8,
    /// A whole number of records of `record` bytes (`vlen-ndarray`): the
    /// scalars of an ndarray element with a leading variable dimension,
    /// stored little endian, in units of `unit` bytes; bytes 0 or 1 when
    /// the scalars are `bool`.
    Records {
        record: usize,
        unit: usize,
        bools: bool,
    },
}

impl ItemRule {
    /// Why item `i` breaks the rule, if it does.
    fn broken_by(self, i: usize, item: &[u8]) -> Option<String> {
        match self {
            ItemRule::Bytes => None,
            ItemRule::Utf8 => std::str::from_utf8(item)
                .err()
                .map(|e| format!("item {i} is not UTF-8: {e}")),
            ItemRule::Records { record, bools, .. } => {
                if item.len() % record != 0 {
                    Some(format!(
                        "item {i} of {} bytes is not a whole number of {record}-byte records",
                        item.len()
                    ))
                } else if bools && item.iter().any(|&b| b > 1) {
                    Some(format!("item {i} holds a bool that is not 0 or 1"))
                } else {
                    None
                }
            }
        }
    }

    /// Whether this codec's items are the elements of `dtype`.
    fn serves(self, dtype: &DataType) -> bool {
        match self {
            ItemRule::Bytes => *dtype == DataType::Bytes,
            ItemRule::Utf8 => *dtype == DataType::String,
            ItemRule::Records { .. } => matches!(dtype, DataType::NdArray(_)),
        }
    }

    /// Swap the scalars of stored (little-endian) items to the host's
    /// byte order, or back: nothing to do on little-endian hosts.
    fn swap_for_host(self, data: &mut [u8]) {
        if let ItemRule::Records { unit, .. } = self {
            if cfg!(target_endian = "big") && unit > 1 {
                super::bytes::swap_in_place(data, unit);
            }
        }
    }
}

/// Items side by side: item `i` is `data[offsets[i]..offsets[i + 1]]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Items {
    pub data: Vec<u8>,
    /// One more than there are items; starts at 0, never decreases.
    pub offsets: Vec<u64>,
}

/// Items side by side, borrowed (a caller's buffers): item `i` is
/// `data[offsets[i]..offsets[i + 1]]` once `check` has passed.
#[derive(Debug, Clone, Copy)]
pub struct ItemsRef<'a> {
    pub data: &'a [u8],
    pub offsets: &'a [u64],
}

impl<'a> ItemsRef<'a> {
    pub fn get(&self, i: usize) -> &'a [u8] {
        &self.data[self.offsets[i] as usize..self.offsets[i + 1] as usize]
    }

    /// Check offsets a caller gave: `n` items, in order, inside `data`,
    /// each as `rule` wants it.
    pub fn check(&self, n: usize, rule: ItemRule) -> Result<()> {
        if self.offsets.len() != n + 1 {
            return Err(invalid_argument(format!(
                "{} offsets given for {n} items (n + 1 are needed)",
                self.offsets.len()
            )));
        }
        if self.offsets[0] != 0 || self.offsets[n] != self.data.len() as u64 {
            return Err(invalid_argument(format!(
                "offsets must start at 0 and end at the data's length {}, they run {} to {}",
                self.data.len(),
                self.offsets[0],
                self.offsets[n]
            )));
        }
        if let Some(i) = self.offsets.windows(2).position(|w| w[1] < w[0]) {
            return Err(invalid_argument(format!(
                "offsets decrease at item {i} ({} then {})",
                self.offsets[i],
                self.offsets[i + 1]
            )));
        }
        for i in 0..n {
            let item = self.get(i);
            // vlen framing counts an item's bytes in a u32: a longer item
            // is refused before any chunk is written.
            if u32::try_from(item.len()).is_err() {
                return Err(invalid_argument(format!(
                    "item {i} of {} bytes: items of 4 GiB or more cannot be stored",
                    item.len()
                )));
            }
            if let Some(why) = rule.broken_by(i, item) {
                return Err(invalid_argument(why));
            }
        }
        Ok(())
    }
}

impl Items {
    /// The items `slots`, side by side. Sized before it is filled: slots
    /// of missing chunks repeat the fill value, so the result can be far
    /// larger than what was read.
    pub fn from_slices(slots: &[&[u8]]) -> Result<Items> {
        let total = slots
            .iter()
            .try_fold(0usize, |acc, s| acc.checked_add(s.len()))
            .ok_or_else(|| crate::alloc::cannot_allocate(usize::MAX))?;
        let mut items = Items {
            data: crate::alloc::with_capacity(total)?,
            offsets: crate::alloc::with_capacity(slots.len() + 1)?,
        };
        items.offsets.push(0);
        for s in slots {
            items.data.extend_from_slice(s);
            items.offsets.push(items.data.len() as u64);
        }
        Ok(items)
    }

    /// The same items, borrowed.
    pub fn view(&self) -> ItemsRef<'_> {
        ItemsRef {
            data: &self.data,
            offsets: &self.offsets,
        }
    }

    pub fn len(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn get(&self, i: usize) -> &[u8] {
        self.view().get(i)
    }

    /// `ItemsRef::check` of these items.
    pub fn check(&self, n: usize, rule: ItemRule) -> Result<()> {
        self.view().check(n, rule)
    }
}

impl ItemRule {
    /// The items of `dtype`, for the codecs that serve any
    /// variable-length type.
    fn of_type(dtype: &DataType, name: &str) -> Result<ItemRule> {
        match dtype {
            DataType::String => Ok(ItemRule::Utf8),
            DataType::Bytes => Ok(ItemRule::Bytes),
            DataType::NdArray(t) if t.is_leading_variable() => Ok(ItemRule::Records {
                record: t.record_size(),
                unit: match t.scalar().byte_order_units() {
                    ByteOrderUnits::Every(n) => n,
                    _ => 1,
                },
                bools: *t.scalar() == DataType::Bool,
            }),
            t => Err(invalid_metadata(format!(
                "codec \"{name}\" serves strings, byte strings and ndarray data types whose \
                 one variable dimension leads ([null, d1, ...]), not {}",
                t.to_json()
            ))),
        }
    }
}

/// How a chunk's items are laid out.
#[derive(Debug, Clone)]
enum Framing {
    /// An item count, then each item's length and bytes (u32 LE).
    Counted,
    /// `zarrs.vlen`: offsets and bytes apart.
    Split(Box<Split>),
}

/// The configuration of `zarrs.vlen`.
#[derive(Debug, Clone)]
struct Split {
    index_codecs: Vec<CodecSpec>,
    data_codecs: Vec<CodecSpec>,
    /// The offsets' chain for the chunk's item count (the chain for
    /// another count is built when a chunk of it comes).
    index: CodecChain,
    /// uint64 offsets (else uint32).
    wide: bool,
    /// The offsets after the item bytes (else before).
    at_end: bool,
}

impl Split {
    fn from_spec(spec: &CodecSpec, items: u64) -> Result<Split> {
        spec.check_keys(&[
            "index_codecs",
            "data_codecs",
            "index_data_type",
            "index_location",
        ])?;
        let list = |key: &str| match spec.get(key) {
            Some(Value::Array(a)) => a
                .iter()
                .map(CodecSpec::from_json)
                .collect::<Result<Vec<_>>>()
                .map_err(|e| e.context(format!("codec \"{SPLIT}\": {key}"))),
            _ => Err(invalid_metadata(format!(
                "codec \"{SPLIT}\": \"{key}\" must be a list of codecs"
            ))),
        };
        let wide = match spec.get("index_data_type").and_then(Value::as_str) {
            Some("uint32") => false,
            Some("uint64") => true,
            _ => {
                return Err(invalid_metadata(format!(
                    "codec \"{SPLIT}\": \"index_data_type\" must be \"uint32\" or \"uint64\""
                )))
            }
        };
        // zarrs' first configuration had no index_location: the offsets
        // came first.
        let at_end = match spec.get("index_location") {
            None => false,
            Some(v) => match v.as_str() {
                Some("start") => false,
                Some("end") => true,
                _ => {
                    return Err(invalid_metadata(format!(
                        "codec \"{SPLIT}\": \"index_location\" must be \"start\" or \"end\""
                    )))
                }
            },
        };
        let index_codecs = list("index_codecs")?;
        let data_codecs = list("data_codecs")?;
        let index = index_chain_of(&index_codecs, wide, items)
            .map_err(|e| e.context(format!("codec \"{SPLIT}\": index_codecs")))?;
        // The item bytes' chain is built for each chunk's length; checked
        // here once.
        data_chain_of(&data_codecs, 1)
            .map_err(|e| e.context(format!("codec \"{SPLIT}\": data_codecs")))?;
        Ok(Split {
            index_codecs,
            data_codecs,
            index,
            wide,
            at_end,
        })
    }

    /// The offsets' chain for chunks of `n` items.
    fn index_chain(&self, n: usize) -> Result<Cow<'_, CodecChain>> {
        if self.index.repr().num_elements() == n as u64 + 1 {
            return Ok(Cow::Borrowed(&self.index));
        }
        index_chain_of(&self.index_codecs, self.wide, n as u64).map(Cow::Owned)
    }

    fn to_json(&self) -> Value {
        let list = |specs: &[CodecSpec]| specs.iter().map(CodecSpec::to_json).collect::<Vec<_>>();
        json!({
            "index_codecs": list(&self.index_codecs),
            "data_codecs": list(&self.data_codecs),
            "index_data_type": if self.wide { "uint64" } else { "uint32" },
            "index_location": if self.at_end { "end" } else { "start" },
        })
    }

    /// The offsets and the item bytes of a chunk of `n` items.
    fn decode(&self, bytes: &[u8], n: usize) -> Result<(Vec<u64>, Vec<u8>)> {
        let bad = |what: String| corrupt(format!("codec \"{SPLIT}\": {what}"));
        if bytes.len() < 8 {
            return Err(bad(format!(
                "{} bytes hold no 8-byte length of the offsets",
                bytes.len()
            )));
        }
        let (length, rest) = if self.at_end {
            let (rest, length) = bytes.split_at(bytes.len() - 8);
            (length, rest)
        } else {
            bytes.split_at(8)
        };
        let length = u64::from_le_bytes(length.try_into().expect("8 bytes"));
        let length = usize::try_from(length)
            .ok()
            .filter(|&l| l <= rest.len())
            .ok_or_else(|| {
                bad(format!(
                    "offsets of {length} bytes do not fit in the chunk's {}",
                    rest.len()
                ))
            })?;
        let (index, data) = if self.at_end {
            let (data, index) = rest.split_at(rest.len() - length);
            (index, data)
        } else {
            rest.split_at(length)
        };
        let index = self.index_chain(n)?.decode(index)?;
        let offsets: Vec<u64> = if self.wide {
            index
                .chunks_exact(8)
                .map(|b| u64::from_ne_bytes(b.try_into().expect("8 bytes")))
                .collect()
        } else {
            index
                .chunks_exact(4)
                .map(|b| u64::from(u32::from_ne_bytes(b.try_into().expect("4 bytes"))))
                .collect()
        };
        if let Some(i) = offsets.windows(2).position(|w| w[1] < w[0]) {
            return Err(bad(format!(
                "the offsets decrease at item {i} ({} then {})",
                offsets[i],
                offsets[i + 1]
            )));
        }
        let total = usize::try_from(offsets[n])
            .map_err(|_| bad(format!("items of {} bytes", offsets[n])))?;
        let data = if total == 0 {
            Vec::new()
        } else {
            data_chain_of(&self.data_codecs, total as u64)?.decode(data)?
        };
        Ok((offsets, data))
    }

    /// A chunk's bytes from its items' offsets (starting at 0) and bytes.
    fn encode(&self, items: &Items) -> Result<Vec<u8>> {
        let index: Vec<u8> = if self.wide {
            items.offsets.iter().flat_map(|o| o.to_ne_bytes()).collect()
        } else {
            let mut v = Vec::with_capacity(4 * items.offsets.len());
            for &o in &items.offsets {
                let o = u32::try_from(o).map_err(|_| {
                    invalid_argument(format!(
                        "codec \"{SPLIT}\": a chunk's items of {} bytes or more need \
                         \"index_data_type\": \"uint64\"",
                        u64::from(u32::MAX) + 1
                    ))
                })?;
                v.extend_from_slice(&o.to_ne_bytes());
            }
            v
        };
        let index = self.index_chain(items.len())?.encode(&index)?;
        let data = if items.data.is_empty() {
            Vec::new()
        } else {
            data_chain_of(&self.data_codecs, items.data.len() as u64)?.encode(&items.data)?
        };
        let length = (index.len() as u64).to_le_bytes();
        let mut out = crate::alloc::with_capacity(8 + index.len() + data.len())?;
        if self.at_end {
            out.extend_from_slice(&data);
            out.extend_from_slice(&index);
            out.extend_from_slice(&length);
        } else {
            out.extend_from_slice(&length);
            out.extend_from_slice(&index);
            out.extend_from_slice(&data);
        }
        Ok(out)
    }
}

/// The chain `codecs` make of a chunk's `items + 1` offsets.
fn index_chain_of(codecs: &[CodecSpec], wide: bool, items: u64) -> Result<CodecChain> {
    let (dtype, size) = if wide {
        (DataType::UInt64, 8)
    } else {
        (DataType::UInt32, 4)
    };
    let n = items
        .checked_add(1)
        .ok_or_else(|| invalid_metadata("a chunk holds too many items"))?;
    CodecChain::from_specs(codecs, ChunkRepr::new(vec![n], dtype, vec![0; size]))
}

/// The chain `codecs` make of `len` item bytes.
fn data_chain_of(codecs: &[CodecSpec], len: u64) -> Result<CodecChain> {
    CodecChain::from_specs(codecs, ChunkRepr::new(vec![len], DataType::UInt8, vec![0]))
}

#[derive(Debug, Clone)]
pub struct VlenCodec {
    name: &'static str,
    rule: ItemRule,
    framing: Framing,
}

impl VlenCodec {
    /// The codec `spec` names, for chunks of `repr` (whose data type
    /// the codecs that serve any variable-length type need).
    pub fn from_spec(spec: &CodecSpec, repr: &ChunkRepr) -> Result<Self> {
        let name = NAMES
            .into_iter()
            .find(|&n| n == spec.name)
            .ok_or_else(|| crate::error::internal("not a variable-length codec"))?;
        let rule = match name {
            UTF8 => ItemRule::Utf8,
            BYTES => ItemRule::Bytes,
            NDARRAY if !matches!(repr.dtype, DataType::NdArray(_)) => {
                return Err(invalid_metadata(format!(
                    "codec \"{NDARRAY}\" serves ndarray data types whose one variable \
                     dimension leads ([null, d1, ...]), not {}",
                    repr.dtype.to_json()
                )))
            }
            _ => ItemRule::of_type(&repr.dtype, name)?,
        };
        let framing = if name == SPLIT {
            Framing::Split(Box::new(Split::from_spec(spec, repr.num_elements())?))
        } else {
            spec.check_keys(&[])?;
            Framing::Counted
        };
        Ok(VlenCodec {
            name,
            rule,
            framing,
        })
    }

    fn name(&self) -> &'static str {
        self.name
    }

    /// What each item must be.
    pub fn item_rule(&self) -> ItemRule {
        self.rule
    }

    /// Whether this codec's items are the elements of `dtype`.
    pub fn serves(&self, dtype: &DataType) -> bool {
        self.rule.serves(dtype)
    }

    /// The `n` items a chunk's bytes hold.
    pub fn decode_items(&self, bytes: &[u8], n: usize) -> Result<Items> {
        let mut items = match &self.framing {
            Framing::Counted => self.decode_counted(bytes, n)?,
            Framing::Split(split) => {
                let (offsets, data) = split.decode(bytes, n)?;
                // Items start where the first offset says (zarrs writes 0).
                let first = offsets[0];
                let items = Items {
                    offsets: offsets.iter().map(|o| o - first).collect(),
                    data: if first == 0 {
                        data
                    } else {
                        data[first as usize..].to_vec()
                    },
                };
                for i in 0..n {
                    if let Some(why) = self.rule.broken_by(i, items.get(i)) {
                        return Err(corrupt(format!("codec \"{}\": {why}", self.name)));
                    }
                }
                items
            }
        };
        self.rule.swap_for_host(&mut items.data);
        Ok(items)
    }

    /// `decode_items` of the counted framing, the items as stored.
    fn decode_counted(&self, bytes: &[u8], n: usize) -> Result<Items> {
        let name = self.name();
        let bad = |what: String| corrupt(format!("codec \"{name}\": {what}"));
        // The little-endian u32 at `*at`, which moves past it.
        let u32_at = |at: &mut usize, what: &str| -> Result<usize> {
            let b = bytes
                .get(*at..*at + 4)
                .ok_or_else(|| bad(format!("the data ends inside {what}")))?;
            *at += 4;
            Ok(u32::from_le_bytes(b.try_into().expect("4 bytes")) as usize)
        };
        let mut at = 0usize;
        let count = u32_at(&mut at, "the item count")?;
        if count != n {
            return Err(bad(format!("the chunk holds {count} items, expected {n}")));
        }
        // Each item takes at least its 4-byte length: a count the data
        // cannot hold is found out before anything of its size is made.
        if n > bytes.len() / 4 {
            return Err(bad(format!("{} bytes cannot hold {n} items", bytes.len())));
        }
        // The items take at most what the lengths leave of the data.
        let mut items = Items {
            data: Vec::with_capacity(bytes.len().saturating_sub(4 * (n + 1))),
            offsets: Vec::with_capacity(n + 1),
        };
        items.offsets.push(0);
        for i in 0..n {
            let len = u32_at(&mut at, "an item's length")?;
            let item = at
                .checked_add(len)
                .and_then(|end| bytes.get(at..end))
                .ok_or_else(|| bad(format!("item {i} of {len} bytes runs past the data")))?;
            if let Some(why) = self.rule.broken_by(i, item) {
                return Err(bad(why));
            }
            items.data.extend_from_slice(item);
            items.offsets.push(items.data.len() as u64);
            at += len;
        }
        // Bytes after the last item are ignored, as numcodecs ignores them.
        Ok(items)
    }

    /// A chunk's bytes for `items` (checked by the caller).
    pub fn encode_items(&self, items: &Items) -> Result<Vec<u8>> {
        if let Framing::Split(split) = &self.framing {
            if cfg!(target_endian = "big") && matches!(self.rule, ItemRule::Records { .. }) {
                let mut stored = items.clone();
                self.rule.swap_for_host(&mut stored.data);
                return split.encode(&stored);
            }
            return split.encode(items);
        }
        let too_big = || {
            invalid_argument(format!(
                "codec \"{}\": a chunk's items or an item of 4 GiB or more cannot be stored",
                self.name()
            ))
        };
        let n = u32::try_from(items.len()).map_err(|_| too_big())?;
        let mut out = crate::alloc::with_capacity(4 * (items.len() + 1) + items.data.len())?;
        out.extend_from_slice(&n.to_le_bytes());
        for i in 0..items.len() {
            let item = items.get(i);
            let len = u32::try_from(item.len()).map_err(|_| too_big())?;
            out.extend_from_slice(&len.to_le_bytes());
            let at = out.len();
            out.extend_from_slice(item);
            self.rule.swap_for_host(&mut out[at..]);
        }
        Ok(out)
    }

    fn fixed_size_refused(&self) -> crate::error::Error {
        unsupported(format!(
            "codec \"{}\": variable-length items are read and written with \
             zarrio_array_read_strings / zarrio_array_write_strings",
            self.name()
        ))
    }
}

impl ArrayToBytesCodec for VlenCodec {
    fn to_json(&self) -> Value {
        match &self.framing {
            Framing::Counted => codec_json(self.name(), json!({})),
            Framing::Split(split) => codec_json(self.name(), split.to_json()),
        }
    }

    fn encode(&self, _data: &[u8], _repr: &ChunkRepr) -> Result<Vec<u8>> {
        Err(self.fixed_size_refused())
    }

    fn decode_into(&self, _bytes: &[u8], _repr: &ChunkRepr, _out: &mut [u8]) -> Result<()> {
        Err(self.fixed_size_refused())
    }

    fn fixed_encoded_size(&self, _repr: &ChunkRepr) -> Option<u64> {
        None
    }

    fn max_encoded_size(&self, _repr: &ChunkRepr) -> u64 {
        u64::MAX
    }

    fn as_vlen(&self) -> Option<&VlenCodec> {
        Some(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn codec(name: &str) -> VlenCodec {
        let repr = ChunkRepr::new(vec![1], DataType::Bytes, vec![]);
        VlenCodec::from_spec(
            &CodecSpec::from_json(&json!({"name": name, "configuration": {}})).unwrap(),
            &repr,
        )
        .unwrap()
    }

    fn items(v: &[&[u8]]) -> Items {
        let mut it = Items {
            data: Vec::new(),
            offsets: vec![0],
        };
        for x in v {
            it.data.extend_from_slice(x);
            it.offsets.push(it.data.len() as u64);
        }
        it
    }

    #[test]
    fn known_bytes_and_round_trip() {
        let c = codec(UTF8);
        let it = items(&[b"a", "b\u{e9}".as_bytes(), b""]);
        let enc = c.encode_items(&it).unwrap();
        assert_eq!(
            enc,
            [3, 0, 0, 0, 1, 0, 0, 0, b'a', 3, 0, 0, 0, b'b', 0xc3, 0xa9, 0, 0, 0, 0]
        );
        assert_eq!(c.decode_items(&enc, 3).unwrap(), it);
        assert_eq!(c.to_json(), json!({"name": UTF8, "configuration": {}}));
    }

    #[test]
    fn bad_chunks_and_items_are_errors() {
        let c = codec(UTF8);
        let enc = c.encode_items(&items(&[b"ab", b"c"])).unwrap();
        assert_eq!(
            c.decode_items(&enc, 3).unwrap_err().kind(),
            ErrorKind::Corrupt
        );
        for cut in 0..enc.len() {
            assert!(c.decode_items(&enc[..cut], 2).is_err(), "cut {cut}");
        }
        let mut extra = enc.clone();
        extra.push(0);
        assert_eq!(c.decode_items(&extra, 2).unwrap().get(0), b"ab");
        // A count no chunk of this size can hold, refused before allocating.
        let huge = [0xff, 0xff, 0xff, 0x0f, 1, 0, 0, 0];
        assert!(c.decode_items(&huge, 0x0fff_ffff).is_err());
        // Not UTF-8: an error for vlen-utf8, fine for vlen-bytes.
        let raw = codec(BYTES).encode_items(&items(&[&[0xff, 0xfe]])).unwrap();
        assert_eq!(
            c.decode_items(&raw, 1).unwrap_err().kind(),
            ErrorKind::Corrupt
        );
        assert_eq!(
            codec(BYTES).decode_items(&raw, 1).unwrap().get(0),
            [0xff, 0xfe]
        );
        // Offsets a caller gives are checked.
        let mut it = items(&[b"ab", b"c"]);
        assert!(it.check(2, ItemRule::Utf8).is_ok());
        assert!(it.check(3, ItemRule::Utf8).is_err());
        it.offsets[1] = 4;
        assert!(it.check(2, ItemRule::Bytes).is_err());
        assert!(items(&[&[0xc3]]).check(1, ItemRule::Utf8).is_err());
        let repr = ChunkRepr::new(vec![1], crate::dtype::DataType::String, vec![]);
        assert_eq!(
            c.encode(&[], &repr).unwrap_err().kind(),
            ErrorKind::Unsupported
        );
    }
}
