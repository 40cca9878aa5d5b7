//! Reading whole shards that sit side by side as rows of inner chunks that
//! run across them.
//!
//! Read shard by shard, a destination row of a shard's inner chunks ends
//! where the next shard's begins, and when the destination is not aligned
//! to cache lines, the line the two share is written partly by each, with
//! ordinary stores that first fetch it from memory. Inner chunks of all the
//! shards of a grid row, decoded together and placed as one row of chunks,
//! write those lines whole (as wide as the destination, a plane of rows is
//! one run with partial lines only at its ends).

use super::read::{index_through, inner_chunk_name, place_decoded_row};
use super::Array;
use crate::codec::sharding::{ShardIndex, ShardingCodec};
use crate::error::Result;
use crate::region::RegionPlan;
use crate::scratch::with_fetched;
use crate::store::ValueReader;
use crate::strided::DestBuffer;
use crate::threads::{self, Gate};

/// The most decoded bytes one task places as a row of inner chunks across
/// shards. The row's encoded bytes are fetched together into this thread's
/// buffer; its decoded bytes pass through one inner chunk's scratch
/// (`place_decoded_row`).
const ROW_MAX_BYTES: usize = 16 << 20;

impl Array {
    /// Whether a read of `start`/`shape` (planned as `plan`) into `dest`
    /// reads its shards as rows (`read_shard_rows`): whole shards only,
    /// two or more side by side, from a store with value readers, into a
    /// destination where rows of inner chunks stream more than each inner
    /// chunk's rows, with rows small enough to stay in the cache and
    /// enough of them for the workers.
    pub(super) fn reads_shard_rows(
        &self,
        sharding: &ShardingCodec,
        start: &[u64],
        shape: &[u64],
        plan: &RegionPlan,
        dest: &DestBuffer,
        workers: usize,
    ) -> bool {
        let (shard, inner) = (self.chunk_shape(), sharding.chunk_shape());
        let n = shard.len();
        let whole_shards = (0..n).all(|d| start[d] % shard[d] == 0 && shape[d] % shard[d] == 0);
        if n == 0 || !whole_shards || plan.per_row() < 2 || !self.store().supports_value_reader() {
            return false;
        }
        if !dest.streams_more_as_row(inner) {
            return false;
        }
        let across = (shard[n - 1] / inner[n - 1]) as usize;
        let row_chunks = plan.per_row().saturating_mul(across);
        let row_bytes = row_chunks.saturating_mul(sharding.inner().repr().nbytes());
        let inner_rows: u64 = shard[..n - 1]
            .iter()
            .zip(inner)
            .map(|(s, i)| s / i)
            .product();
        let tasks = (plan.len() / plan.per_row()) as u64 * inner_rows;
        row_bytes <= ROW_MAX_BYTES && tasks >= 2 * workers as u64
    }

    /// Read whole shards, grid row by grid row (the shards that share all
    /// indices but the last): each shard's index through one value reader
    /// (one version of the shard), then each row of inner chunks across
    /// all of them as one task, fetched into this thread's buffer, then
    /// decoded and placed one inner chunk after another (`place_decoded_row`). An absent
    /// shard or inner chunk reads as the fill value.
    pub(super) fn read_shard_rows(
        &self,
        sharding: &ShardingCodec,
        plan: &RegionPlan,
        dest: &DestBuffer,
        gate: &Gate,
        workers: usize,
    ) -> Result<()> {
        let (shard_shape, inner_shape) = (self.chunk_shape(), sharding.chunk_shape());
        let n = shard_shape.len();
        let across = (shard_shape[n - 1] / inner_shape[n - 1]) as usize;
        let zero = vec![0u64; n];
        // A whole shard's inner chunks in C order: rows of `across`.
        let inner = sharding.inner_parts(&zero, shard_shape)?;
        let inner_rows = inner.len() / across;
        let per_row = plan.per_row();
        let codecs = sharding.inner();
        let nbytes = codecs.repr().nbytes();
        let store = self.store().as_ref();
        threads::for_each(workers, plan.len() / per_row, |r| {
            let parts: Vec<_> = (r * per_row..(r + 1) * per_row)
                .map(|i| plan.part(i))
                .collect();
            let keys: Vec<String> = parts.iter().map(|p| self.chunk_key(&p.chunk)).collect();
            let shards = keys
                .iter()
                .map(|key| open_shard(store, sharding, key))
                .collect::<Result<Vec<_>>>()?;
            // The bytes the grid row's shards hold.
            let held: u64 = shards
                .iter()
                .flatten()
                .fold(0u64, |sum, (reader, _)| sum.saturating_add(reader.size()));
            threads::for_each(workers, inner_rows, |ir| {
                let members = &inner[ir * across..(ir + 1) * across];
                // Where each inner chunk of the row lies: (shard, entry).
                let entries: Vec<Option<(usize, u64, u64)>> = shards
                    .iter()
                    .enumerate()
                    .flat_map(|(s, shard)| {
                        members.iter().map(move |(flat, _)| {
                            let (_, index) = shard.as_ref()?;
                            index.entry(*flat).map(|(at, len)| (s, at, len))
                        })
                    })
                    .collect();
                // Each entry lies inside its shard (checked with the index),
                // but entries may claim overlapping bytes: a row whose
                // entries add up to more than its shards hold is fetched
                // entry by entry (at most one shard's size at a time), not
                // all at once.
                let total: u64 = entries
                    .iter()
                    .flatten()
                    .fold(0u64, |sum, e| sum.saturating_add(e.2));
                let together = usize::try_from(total).ok().filter(|_| total <= held);
                with_fetched(|buf| {
                    if let Some(total) = together {
                        // At most the shards' sizes, which are in memory or
                        // on disk already.
                        if buf.len() < total {
                            crate::alloc::resize_zeroed(buf, total)?;
                        }
                        // Fetched one after another, outside the decode gate.
                        let mut at = 0;
                        for &(s, offset, len) in entries.iter().flatten() {
                            let (reader, _) =
                                shards[s].as_ref().expect("entries only of stored shards");
                            reader.read_at(offset, &mut buf[at..at + len as usize])?;
                            at += len as usize;
                        }
                    }
                    let dst_start: Vec<u64> = parts[0]
                        .in_region
                        .iter()
                        .zip(&members[0].1.in_region)
                        .map(|(a, b)| a + b)
                        .collect();
                    let mut at = 0;
                    let decode = |j: usize, slot: &mut [u8]| {
                        let Some((s, offset, len)) = entries[j] else {
                            crate::strided::fill_slice(slot, self.fill_value());
                            return Ok(());
                        };
                        let len = len as usize;
                        let bytes = if together.is_some() {
                            at += len;
                            &buf[at - len..at]
                        } else {
                            if buf.len() < len {
                                crate::alloc::resize_zeroed(buf, len)?;
                            }
                            let (reader, _) =
                                shards[s].as_ref().expect("entries only of stored shards");
                            reader.read_at(offset, &mut buf[..len])?;
                            &buf[..len]
                        };
                        codecs.decode_into(bytes, slot).map_err(|e| {
                            e.context(inner_chunk_name(&keys[s], &members[j % across].1))
                        })
                    };
                    let count = entries.len();
                    // SAFETY: this task alone writes this row of inner
                    // chunks, which lies inside the region's block of the
                    // grid row's whole shards.
                    gate.run(|| unsafe {
                        place_decoded_row(dest, &dst_start, inner_shape, count, nbytes, decode)
                    })
                })
            })
        })
    }
}

/// One version of the shard at `key` with its decoded index, or None when
/// the shard is absent.
fn open_shard<'s>(
    store: &'s dyn crate::store::Store,
    sharding: &ShardingCodec,
    key: &str,
) -> Result<Option<(Box<dyn ValueReader + 's>, ShardIndex)>> {
    let Some(reader) = store.value_reader(key)? else {
        return Ok(None);
    };
    let index = index_through(&*reader, sharding, key)?;
    Ok(Some((reader, index)))
}
