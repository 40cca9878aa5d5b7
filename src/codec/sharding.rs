//! `sharding_indexed`: a shard holds a grid of inner chunks, each encoded
//! with the inner codecs, plus an index of (offset, nbytes) per inner chunk.
//!
//! The index is an array of shape `chunks_per_shard + [2]` of uint64,
//! encoded with `index_codecs` (which must have a fixed size), at the start
//! or the end of the shard. (2^64-1, 2^64-1) marks an empty inner chunk.

use super::{
    all_equal_to, all_fill, codec_json, ArrayToBytesCodec, ChunkRepr, CodecChain, CodecSpec,
};
use crate::dtype::DataType;
use crate::error::{corrupt, invalid_metadata, Result};
use crate::region::{c_strides, ChunkPart, RegionPlan};
use crate::store::ByteRange;
use crate::strided::{fill_slice, Layout, SourceBuffer};
use serde_json::{json, Value};

/// Unused space a shard under a compressor may hold whatever its size
/// (see `max_encoded_size`).
const UNUSED_SPACE_MIN: u64 = 16 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexLocation {
    Start,
    End,
}

const EMPTY: u64 = u64::MAX;

#[derive(Debug)]
pub struct ShardingCodec {
    /// Inner chunk shape.
    chunk_shape: Vec<u64>,
    chunks_per_shard: Vec<u64>,
    inner: CodecChain,
    index: CodecChain,
    index_size: u64,
    location: IndexLocation,
    /// The encoded size of every inner chunk when the inner codecs have a
    /// fixed size: shards are then laid out densely (every inner chunk
    /// stored, in C order), so each inner chunk has a fixed slot that a
    /// partial write can patch in place; but see `fill_round_trips`.
    fixed_slot: Option<u64>,
    /// The encoding of an inner chunk full of the fill value (dense layout).
    encoded_fill: std::sync::OnceLock<Vec<u8>>,
    /// Whether `encoded_fill` decodes to exactly the fill value.
    fill_exact: std::sync::OnceLock<bool>,
}

/// The decoded index of one shard.
#[derive(Debug, Clone)]
pub struct ShardIndex {
    /// (offset, nbytes) per inner chunk, C order.
    entries: Vec<(u64, u64)>,
}

impl ShardIndex {
    /// The byte range of an inner chunk (flat C-order number), or None
    /// when it is empty.
    pub fn entry(&self, i: usize) -> Option<(u64, u64)> {
        let (o, n) = self.entries[i];
        if o == EMPTY && n == EMPTY {
            None
        } else {
            Some((o, n))
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// True when no inner chunk is stored.
    pub fn all_empty(&self) -> bool {
        (0..self.entries.len()).all(|i| self.entry(i).is_none())
    }
}

impl ShardingCodec {
    pub fn from_spec(spec: &CodecSpec, repr: &ChunkRepr) -> Result<Self> {
        spec.check_keys(&["chunk_shape", "codecs", "index_codecs", "index_location"])?;
        let chunk_shape: Vec<u64> = spec
            .get("chunk_shape")
            .and_then(Value::as_array)
            .ok_or_else(|| invalid_metadata("sharding_indexed needs a chunk_shape array"))?
            .iter()
            .map(|v| {
                v.as_u64().filter(|&x| x > 0).ok_or_else(|| {
                    invalid_metadata("sharding chunk_shape entries must be positive integers")
                })
            })
            .collect::<Result<_>>()?;
        if chunk_shape.len() != repr.shape.len() {
            return Err(invalid_metadata(format!(
                "sharding chunk_shape has {} dimensions, the shard has {}",
                chunk_shape.len(),
                repr.shape.len()
            )));
        }
        if repr.shape.iter().zip(&chunk_shape).any(|(s, c)| s % c != 0) {
            return Err(invalid_metadata(format!(
                "sharding chunk_shape {:?} does not divide the shard shape {:?}",
                chunk_shape, repr.shape
            )));
        }
        let chunks_per_shard: Vec<u64> = repr
            .shape
            .iter()
            .zip(&chunk_shape)
            .map(|(s, c)| s / c)
            .collect();
        let codecs = match spec.get("codecs") {
            Some(Value::Array(a)) if !a.is_empty() => a.clone(),
            None => vec![json!({"name": "bytes", "configuration": {"endian": "little"}})],
            _ => {
                return Err(invalid_metadata(
                    "sharding codecs must be a non-empty array",
                ))
            }
        };
        let inner = CodecChain::from_json(
            &codecs,
            ChunkRepr::new(
                chunk_shape.clone(),
                repr.dtype.clone(),
                repr.fill_value.clone(),
            ),
        )
        .map_err(|e| e.context("sharding inner codecs"))?;
        let index_codecs = match spec.get("index_codecs") {
            Some(Value::Array(a)) if !a.is_empty() => a.clone(),
            None => vec![
                json!({"name": "bytes", "configuration": {"endian": "little"}}),
                json!({"name": "crc32c"}),
            ],
            _ => {
                return Err(invalid_metadata(
                    "sharding index_codecs must be a non-empty array",
                ))
            }
        };
        let mut index_shape = chunks_per_shard.clone();
        index_shape.push(2);
        let index = CodecChain::from_json(
            &index_codecs,
            ChunkRepr::new(index_shape, DataType::UInt64, EMPTY.to_ne_bytes().to_vec()),
        )
        .map_err(|e| e.context("sharding index_codecs"))?;
        let index_size = index.fixed_encoded_size().ok_or_else(|| {
            invalid_metadata(
                "sharding index_codecs must have a fixed encoded size (no compression)",
            )
        })?;
        let location = match spec.get("index_location").map(|v| v.as_str()) {
            None | Some(Some("end")) => IndexLocation::End,
            Some(Some("start")) => IndexLocation::Start,
            Some(_) => {
                return Err(invalid_metadata(
                    "sharding index_location must be \"start\" or \"end\"",
                ))
            }
        };
        let fixed_slot = inner.fixed_encoded_size();
        Ok(ShardingCodec {
            chunk_shape,
            chunks_per_shard,
            inner,
            index,
            index_size,
            location,
            fixed_slot,
            encoded_fill: std::sync::OnceLock::new(),
            fill_exact: std::sync::OnceLock::new(),
        })
    }

    pub fn chunk_shape(&self) -> &[u64] {
        &self.chunk_shape
    }

    pub fn chunks_per_shard(&self) -> &[u64] {
        &self.chunks_per_shard
    }

    pub fn inner(&self) -> &CodecChain {
        &self.inner
    }

    pub fn index_size(&self) -> u64 {
        self.index_size
    }

    pub fn index_location(&self) -> IndexLocation {
        self.location
    }

    /// Where the index lies in a shard.
    pub fn index_range(&self) -> ByteRange {
        match self.location {
            IndexLocation::Start => ByteRange::new(0, self.index_size),
            IndexLocation::End => ByteRange::Suffix {
                length: self.index_size,
            },
        }
    }

    /// Where the index lies in a shard of `shard_size` bytes; Corrupt when
    /// the shard is too small to hold it.
    pub fn index_bytes(&self, shard_size: u64) -> Result<std::ops::Range<u64>> {
        self.index_range().resolve(shard_size).map_err(|_| {
            corrupt(format!(
                "shard of {shard_size} bytes is too small for its {}-byte index",
                self.index_size
            ))
        })
    }

    /// Decode an index read from `index_range()`, and check every entry lies
    /// inside a shard of `shard_size` bytes (when known).
    pub fn decode_index(&self, bytes: &[u8], shard_size: Option<u64>) -> Result<ShardIndex> {
        let raw = self
            .index
            .decode(bytes)
            .map_err(|e| e.context("shard index"))?;
        let word = |b: &[u8]| u64::from_ne_bytes(b.try_into().expect("8 bytes"));
        let mut entries = crate::alloc::with_capacity(raw.len() / 16)?;
        entries.extend(raw.chunks_exact(16).map(|e| (word(&e[..8]), word(&e[8..]))));
        let index = ShardIndex { entries };
        for i in 0..index.len() {
            let (o, n) = index.entries[i];
            if o == EMPTY && n == EMPTY {
                continue;
            }
            let end = o
                .checked_add(n)
                .ok_or_else(|| corrupt(format!("shard index entry {i} overflows")))?;
            if let Some(size) = shard_size {
                if end > size {
                    return Err(corrupt(format!(
                        "shard index entry {i} (offset {o}, {n} bytes) lies outside the shard of {size} bytes"
                    )));
                }
            }
        }
        Ok(index)
    }

    /// Decode the index of a whole shard held in memory.
    pub fn index_of(&self, shard: &[u8]) -> Result<ShardIndex> {
        let r = self.index_bytes(shard.len() as u64)?;
        self.decode_index(
            &shard[r.start as usize..r.end as usize],
            Some(shard.len() as u64),
        )
    }

    /// The inner chunks a region of the shard touches (region relative to
    /// the shard's origin), with their flat index numbers, one at a time in
    /// C order: a shard of tiny inner chunks has millions of them.
    pub fn inner_part_iter(
        &self,
        start: &[u64],
        shape: &[u64],
    ) -> Result<impl ExactSizeIterator<Item = (usize, ChunkPart)>> {
        let strides = c_strides(&self.chunks_per_shard);
        let plan = RegionPlan::new(&self.chunk_shape, start, shape);
        Ok((0..plan.checked_len()?).map(move |i| {
            let p = plan.part(i);
            let flat = p
                .chunk
                .iter()
                .zip(&strides)
                .map(|(i, s)| i * s)
                .sum::<u64>() as usize;
            (flat, p)
        }))
    }

    /// `inner_part_iter` as a list, for callers that take the parts out of
    /// order; allocated fallibly, like the buffers whose size data decides.
    pub fn inner_parts(&self, start: &[u64], shape: &[u64]) -> Result<Vec<(usize, ChunkPart)>> {
        let parts = self.inner_part_iter(start, shape)?;
        let mut list = crate::alloc::with_capacity(parts.len())?;
        list.extend(parts);
        Ok(list)
    }

    /// Encode a shard from its inner chunks' encoded bytes (None = empty),
    /// in C order.
    pub fn assemble<B: AsRef<[u8]>>(&self, chunks: &[Option<B>]) -> Result<Vec<u8>> {
        let body_start = match self.location {
            IndexLocation::Start => self.index_size,
            IndexLocation::End => 0,
        };
        // The index's raw entries (offset, length), native-endian for the
        // index codecs, written as the body's offsets are laid out.
        let mut index_raw = crate::alloc::with_capacity(chunks.len().saturating_mul(16))?;
        let mut offset = body_start;
        for c in chunks {
            let entry = match c.as_ref().map(AsRef::as_ref) {
                Some(b) => {
                    let at = offset;
                    offset += b.len() as u64;
                    [at, b.len() as u64]
                }
                None => [EMPTY, EMPTY],
            };
            index_raw.extend(entry.iter().flat_map(|w| w.to_ne_bytes()));
        }
        let index_bytes = self.index.encode(&index_raw)?;
        debug_assert_eq!(index_bytes.len() as u64, self.index_size);
        let mut out = crate::alloc::with_capacity(
            usize::try_from(offset + self.index_size).unwrap_or(usize::MAX),
        )?;
        if self.location == IndexLocation::Start {
            out.extend_from_slice(&index_bytes);
        }
        for b in chunks.iter().flatten() {
            out.extend_from_slice(b.as_ref());
        }
        if self.location == IndexLocation::End {
            out.extend_from_slice(&index_bytes);
        }
        Ok(out)
    }

    /// The fixed encoded size of each inner chunk, when shards are dense:
    /// when the inner codecs have a fixed size and store an inner chunk of
    /// the fill value exactly. A dense shard stores every inner chunk no
    /// one wrote as the fill value encoded; through a lossy codec (zfp at
    /// a fixed rate, `bitround`) that would read back as the codec's
    /// approximation, where an absent inner chunk reads as the fill value
    /// itself, as other readers expect.
    pub fn slot_size(&self) -> Option<u64> {
        let slot = self.fixed_slot?;
        self.fill_round_trips().then_some(slot)
    }

    fn fill_round_trips(&self) -> bool {
        *self.fill_exact.get_or_init(|| {
            let exact = || -> Result<bool> {
                let fill = self.inner.repr().filled()?;
                Ok(self.inner.decode(self.encoded_fill()?)? == fill)
            };
            // A fill value the codecs cannot encode (zfp's uint32 above
            // 2^31 - 1) is not stored either: its inner chunks stay absent.
            exact().unwrap_or(false)
        })
    }

    /// The slot of inner chunk `flat` in a dense shard: (offset, size).
    pub fn dense_slot(&self, flat: usize) -> Option<(u64, u64)> {
        let slot = self.slot_size()?;
        let body_start = match self.location {
            IndexLocation::Start => self.index_size,
            IndexLocation::End => 0,
        };
        Some((body_start + flat as u64 * slot, slot))
    }

    /// True when the index describes the dense layout, so inner chunks can
    /// be patched in place.
    pub fn is_dense(&self, index: &ShardIndex) -> bool {
        self.slot_size().is_some() && (0..index.len()).all(|i| index.entry(i) == self.dense_slot(i))
    }

    /// The encoded bytes of an inner chunk holding only the fill value.
    pub fn encoded_fill(&self) -> Result<&[u8]> {
        if let Some(b) = self.encoded_fill.get() {
            return Ok(b);
        }
        let b = self.inner.encode(&self.inner.repr().filled()?)?;
        Ok(self.encoded_fill.get_or_init(|| b))
    }

    /// Encode one inner chunk. Returns the bytes to store (None = leave the
    /// inner chunk empty) and whether it holds only the fill value. Dense
    /// shards store fill-valued inner chunks too, to keep every slot.
    pub fn encode_inner(&self, data: &[u8]) -> Result<(Option<Vec<u8>>, bool)> {
        let repr = self.inner.repr();
        let is_fill = all_fill(data, &repr.fill_value, &repr.dtype);
        if is_fill {
            if self.slot_size().is_some() {
                return Ok((Some(crate::alloc::copied(self.encoded_fill()?)?), true));
            }
            return Ok((None, true));
        }
        Ok((Some(self.inner.encode(data)?), false))
    }

    /// Whether stored inner-chunk bytes (None = empty) hold only the fill value.
    pub fn stored_is_fill(&self, bytes: Option<&[u8]>) -> Result<bool> {
        match bytes {
            None => Ok(true),
            Some(b) if self.slot_size().is_some() => Ok(b == self.encoded_fill()?),
            Some(b) => Ok(all_equal_to(
                &self.inner.decode(b)?,
                &self.inner.repr().fill_value,
            )),
        }
    }
}

impl ArrayToBytesCodec for ShardingCodec {
    fn to_json(&self) -> Value {
        codec_json(
            "sharding_indexed",
            json!({
                "chunk_shape": self.chunk_shape,
                "codecs": self.inner.to_json(),
                "index_codecs": self.index.to_json(),
                "index_location": match self.location { IndexLocation::Start => "start", IndexLocation::End => "end" },
            }),
        )
    }

    fn encode(&self, data: &[u8], repr: &ChunkRepr) -> Result<Vec<u8>> {
        let elem = repr.dtype.size();
        let mut scratch = crate::alloc::zeroed(self.inner.repr().nbytes())?;
        let zero = vec![0u64; repr.shape.len()];
        let mut chunks = crate::alloc::with_capacity(
            usize::try_from(self.chunks_per_shard.iter().product::<u64>()).unwrap_or(usize::MAX),
        )?;
        let source = SourceBuffer::new(data, Layout::c_order(&repr.shape, elem));
        for (_, p) in self.inner_part_iter(&zero, &repr.shape)? {
            source.copy_to_chunk(
                &p.in_region,
                &mut scratch,
                &self.chunk_shape,
                &zero,
                &self.chunk_shape,
            );
            chunks.push(self.encode_inner(&scratch)?.0);
        }
        self.assemble(&chunks)
    }

    fn decode_into(&self, bytes: &[u8], repr: &ChunkRepr, out: &mut [u8]) -> Result<()> {
        let index = self.index_of(bytes)?;
        let elem = repr.dtype.size();
        let zero = vec![0u64; repr.shape.len()];
        let mut scratch = crate::alloc::zeroed(self.inner.repr().nbytes())?;
        for (i, p) in self.inner_part_iter(&zero, &repr.shape)? {
            match index.entry(i) {
                Some((o, n)) => {
                    self.inner
                        .decode_into(&bytes[o as usize..(o + n) as usize], &mut scratch)
                        .map_err(|e| e.context(format!("inner chunk {:?}", p.chunk)))?;
                }
                None => fill_slice(&mut scratch, &repr.fill_value),
            }
            SourceBuffer::new(&scratch, Layout::c_order(&self.chunk_shape, elem)).copy_to_chunk(
                &zero,
                out,
                &repr.shape,
                &p.in_region,
                &self.chunk_shape,
            );
        }
        Ok(())
    }

    fn fixed_encoded_size(&self, _repr: &ChunkRepr) -> Option<u64> {
        None
    }

    fn max_encoded_size(&self, _repr: &ChunkRepr) -> u64 {
        // A shard may hold unused space (an append-only writer leaves the
        // inner chunks it replaced), so its contents do not bound its
        // size. This bound is for a compressor after this codec, the one
        // place it is used: it stops a few compressed bytes from decoding
        // into all of memory, and allows as much unused space as used
        // (every inner chunk at its largest, and the index) and 16 MiB
        // more, which a shard compressed whole, and so written whole, has
        // no cause to exceed.
        let inner: u64 = self.chunks_per_shard.iter().product();
        inner
            .saturating_mul(self.inner.max_encoded_size())
            .saturating_add(self.index_size)
            .saturating_mul(2)
            .saturating_add(UNUSED_SPACE_MIN)
    }

    fn as_sharding(&self) -> Option<&ShardingCodec> {
        Some(self)
    }
}
