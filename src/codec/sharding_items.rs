//! Shards of variable-length items (`sharding_indexed` over `vlen-utf8` /
//! `vlen-bytes`): a whole shard's items in C order, decoded from or
//! encoded into its inner chunks. Inner chunks that are missing read as
//! the fill value; inner chunks all fill value are left out of the shard,
//! as zarr-python leaves them out.

use super::sharding::ShardingCodec;
use super::vlen::Items;
use super::ChunkRepr;
use crate::error::Result;
use crate::region::{c_strides, flat_index, for_each_index, num_elements};

/// Call `f(inner, part)` with each inner chunk's flat number and the part
/// of the shard it covers.
fn for_each_inner(
    sh: &ShardingCodec,
    shard: &ChunkRepr,
    mut f: impl FnMut(usize, &crate::region::ChunkPart) -> Result<()>,
) -> Result<()> {
    let origin = vec![0; shard.shape.len()];
    for (i, part) in sh.inner_part_iter(&origin, &shard.shape)? {
        f(i, &part)?;
    }
    Ok(())
}

/// The items of a whole shard (`shard` its representation).
pub fn decode(sh: &ShardingCodec, bytes: &[u8], shard: &ChunkRepr) -> Result<Items> {
    let index = sh.index_of(bytes)?;
    let mut inner: Vec<Option<Items>> = crate::alloc::with_capacity(index.len())?;
    for i in 0..index.len() {
        inner.push(match index.entry(i) {
            None => None,
            // In bounds: `index_of` checked every entry against the shard.
            Some((offset, len)) => Some(
                sh.inner()
                    .decode_items(&bytes[offset as usize..(offset + len) as usize])?,
            ),
        });
    }
    let n = num_elements(&shard.shape)?;
    let mut slots: Vec<&[u8]> = crate::alloc::with_capacity(n)?;
    slots.resize(n, &shard.fill_value);
    let (shard_strides, inner_strides) = (c_strides(&shard.shape), c_strides(sh.chunk_shape()));
    for_each_inner(sh, shard, |i, part| {
        if let Some(items) = &inner[i] {
            for_each_index(&part.shape, |idx| {
                let at = flat_index(&part.in_region, idx, &shard_strides);
                slots[at] = items.get(flat_index(&part.in_chunk, idx, &inner_strides));
            });
        }
        Ok(())
    })?;
    Items::from_slices(&slots)
}

/// A shard's bytes for its items (C order).
pub fn encode(sh: &ShardingCodec, items: &Items, shard: &ChunkRepr) -> Result<Vec<u8>> {
    let fill = &shard.fill_value[..];
    let per_inner = num_elements(sh.chunk_shape())?;
    let (shard_strides, inner_strides) = (c_strides(&shard.shape), c_strides(sh.chunk_shape()));
    let mut chunks: Vec<Option<Vec<u8>>> = Vec::new();
    for_each_inner(sh, shard, |i, part| {
        debug_assert_eq!(i, chunks.len(), "inner chunks come in C order");
        let mut slots: Vec<&[u8]> = crate::alloc::with_capacity(per_inner)?;
        slots.resize(per_inner, fill);
        for_each_index(&part.shape, |idx| {
            let k = flat_index(&part.in_chunk, idx, &inner_strides);
            slots[k] = items.get(flat_index(&part.in_region, idx, &shard_strides));
        });
        chunks.push(if slots.iter().all(|s| *s == fill) {
            None
        } else {
            Some(sh.inner().encode_items(&Items::from_slices(&slots)?)?)
        });
        Ok(())
    })?;
    sh.assemble(&chunks)
}
