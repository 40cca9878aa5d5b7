//! Bytes->bytes codecs that are one compressed stream through `std::io`
//! (gzip and zlib, bz2, lzma): a format says how to compress into a sink
//! and how to read its stream back; `StreamCodec` makes that a codec, with
//! the checks every such codec needs (decoded sizes, a stream that ends
//! early or runs on, memory that runs out while the output grows).

use super::{codec_json, BytesToBytesCodec, DecodedSize};
use crate::alloc::GrowingSink;
use crate::error::Result;
use serde_json::Value;
use std::borrow::Cow;
use std::fmt::Debug;
use std::io::Read;

/// One stream compression format with its settings.
pub trait StreamFormat: Send + Sync + Debug {
    /// The codec's name in `zarr.json`.
    fn name(&self) -> &'static str;
    /// The codec's `configuration` in `zarr.json`.
    fn configuration(&self) -> Value;
    /// Compress all of `input` into `sink` and finish the stream.
    fn compress(&self, input: &[u8], sink: GrowingSink) -> std::io::Result<GrowingSink>;
    /// A reader of the decompressed bytes of `input`.
    fn decompressor<'a>(&self, input: &'a [u8]) -> Result<Box<dyn Read + 'a>>;
}

/// A `StreamFormat` as a codec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamCodec<F>(pub(crate) F);

impl<F: StreamFormat> BytesToBytesCodec for StreamCodec<F> {
    fn to_json(&self) -> Value {
        codec_json(self.0.name(), self.0.configuration())
    }

    fn encode(&self, input: Vec<u8>) -> Result<Vec<u8>> {
        self.encode_slice(&input)
    }

    fn encode_slice(&self, input: &[u8]) -> Result<Vec<u8>> {
        let sink = GrowingSink(crate::alloc::with_capacity(input.len() / 2 + 64)?);
        let name = self.0.name();
        match self.0.compress(input, sink) {
            Ok(sink) => Ok(sink.0),
            Err(e) if e.kind() == std::io::ErrorKind::OutOfMemory => Err(
                crate::error::out_of_memory(format!("codec \"{name}\": compression: {e}")),
            ),
            Err(e) => Err(crate::error::internal(format!(
                "codec \"{name}\": compression failed: {e}"
            ))),
        }
    }

    fn decode<'a>(&self, input: Cow<'a, [u8]>, size: DecodedSize) -> Result<Cow<'a, [u8]>> {
        let out = size.read_all(self.0.name(), self.0.decompressor(&input)?)?;
        Ok(Cow::Owned(out))
    }

    fn decode_into(&self, input: &[u8], out: &mut [u8]) -> Result<bool> {
        super::read_exactly(self.0.name(), self.0.decompressor(input)?, out)?;
        Ok(true)
    }

    fn max_encoded_size(&self, decoded_size: u64) -> u64 {
        super::compressed_bound(decoded_size)
    }

    fn encoded_size(&self, _decoded_size: u64) -> Option<u64> {
        None
    }
}
