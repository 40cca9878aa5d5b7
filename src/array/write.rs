//! The write path: region -> chunks -> one task per chunk: assemble the new
//! chunk (straight from the source when the region covers it, else merged
//! with the stored chunk), then store it, or erase it when it equals the
//! fill value.

use super::Array;
use crate::codec::{all_equal_to, ChunkRepr};
use crate::error::{invalid_argument, Result};
use crate::region::{check_region, chunk_parts, ChunkPart};
use crate::strided::{copy_chunk_block, Layout, SourceBuffer};
use crate::threads;
use std::sync::OnceLock;

/// What a write puts into one chunk part.
#[derive(Clone, Copy)]
enum Content<'a> {
    /// A block of the caller's buffer.
    Source(&'a SourceBuffer<'a>),
    /// One element value everywhere.
    Scalar(&'a [u8]),
}

impl Array {
    /// Write the region `start..start+shape` from `src`, whose layout is
    /// given by element `strides` (None = C order).
    pub fn write_region(&self, start: &[u64], shape: &[u64], src: &[u8], strides: Option<&[i64]>) -> Result<()> {
        check_region(self.shape(), start, shape)?;
        let layout = Layout::new(shape, strides, self.elem(), src.len())?;
        let source = SourceBuffer::new(src, layout);
        let parts = chunk_parts(self.chunk_shape(), start, shape);
        threads::for_each(self.threads(), parts.len(), |i| self.write_part(&parts[i], Content::Source(&source), None))
    }

    /// Set every element of the region to `value` (one element, native
    /// byte order). Fully covered chunks share one encoding of the value.
    pub fn fill_region(&self, start: &[u64], shape: &[u64], value: &[u8]) -> Result<()> {
        check_region(self.shape(), start, shape)?;
        if value.len() != self.elem() {
            return Err(invalid_argument(format!(
                "fill value is {} bytes, an element of {} is {}",
                value.len(),
                self.data_type().name(),
                self.elem()
            )));
        }
        let parts = chunk_parts(self.chunk_shape(), start, shape);
        let shared: OnceLock<Result<Option<Vec<u8>>>> = OnceLock::new();
        threads::for_each(self.threads(), parts.len(), |i| self.write_part(&parts[i], Content::Scalar(value), Some(&shared)))
    }

    /// Write one whole chunk (full chunk shape, C order).
    pub fn write_chunk(&self, indices: &[u64], data: &[u8]) -> Result<()> {
        self.check_chunk_indices(indices)?;
        let n = self.chunk_repr().nbytes();
        if data.len() != n {
            return Err(invalid_argument(format!("a chunk is {n} bytes, {} were given", data.len())));
        }
        self.store_chunk(indices, data)
    }

    /// Remove one chunk; it then reads as the fill value.
    pub fn erase_chunk(&self, indices: &[u64]) -> Result<()> {
        self.check_chunk_indices(indices)?;
        self.store().erase(&self.chunk_key(indices))
    }

    /// Encode and store a whole decoded chunk, or erase it when every
    /// element equals the fill value.
    fn store_chunk(&self, indices: &[u64], data: &[u8]) -> Result<()> {
        let key = self.chunk_key(indices);
        if all_equal_to(data, self.fill_value()) {
            return self.store().erase(&key);
        }
        let encoded = self.codecs().encode(data).map_err(|e| e.context(&key))?;
        self.store().set(&key, &encoded)
    }

    /// True when the part covers every in-bounds element of its chunk.
    fn covers_chunk(&self, part: &ChunkPart) -> bool {
        part.in_chunk.iter().all(|&o| o == 0) && part.shape == self.chunk_extent(&part.chunk)
    }

    fn write_part(&self, part: &ChunkPart, content: Content, shared: Option<&OnceLock<Result<Option<Vec<u8>>>>>) -> Result<()> {
        let repr = self.chunk_repr();
        let covered = self.covers_chunk(part);
        if covered {
            match content {
                Content::Source(src) => {
                    if part.is_whole(&repr.shape) {
                        if let Some(block) = src.contiguous_block(&part.in_region, &part.shape) {
                            return self.store_chunk(&part.chunk, block);
                        }
                    }
                }
                Content::Scalar(value) => {
                    if let Some(shared) = shared {
                        return self.store_shared_fill(part, value, &repr, shared);
                    }
                }
            }
        }
        let mut chunk = if covered { repr.filled() } else { self.load_chunk(&part.chunk, &repr)? };
        place(&mut chunk, &repr, part, content);
        self.store_chunk(&part.chunk, &chunk)
    }

    /// The stored chunk decoded, or the fill value when absent.
    fn load_chunk(&self, indices: &[u64], repr: &ChunkRepr) -> Result<Vec<u8>> {
        let key = self.chunk_key(indices);
        match self.store().get(&key)? {
            Some(b) => self.codecs().decode(&b).map_err(|e| e.context(&key)),
            None => Ok(repr.filled()),
        }
    }

    fn store_shared_fill(&self, part: &ChunkPart, value: &[u8], repr: &ChunkRepr, shared: &OnceLock<Result<Option<Vec<u8>>>>) -> Result<()> {
        let key = self.chunk_key(&part.chunk);
        let encoded = shared.get_or_init(|| {
            if value == self.fill_value() {
                Ok(None)
            } else {
                let chunk = crate::codec::fill_bytes(value, repr.num_elements() as usize);
                self.codecs().encode(&chunk).map(Some)
            }
        });
        match encoded {
            Ok(Some(bytes)) => self.store().set(&key, bytes),
            Ok(None) => self.store().erase(&key),
            Err(e) => Err(e.clone().context(&key)),
        }
    }
}

/// Copy the part's content into a decoded chunk.
fn place(chunk: &mut [u8], repr: &ChunkRepr, part: &ChunkPart, content: Content) {
    match content {
        Content::Source(src) => src.copy_to_chunk(&part.in_region, chunk, &repr.shape, &part.in_chunk, &part.shape),
        Content::Scalar(value) => {
            let elem = value.len();
            let block = crate::codec::fill_bytes(value, part.shape.iter().product::<u64>() as usize);
            let zero = vec![0u64; part.shape.len()];
            copy_chunk_block(&block, &part.shape, &zero, chunk, &repr.shape, &part.in_chunk, &part.shape, elem);
        }
    }
}

