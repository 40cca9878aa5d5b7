//! A codec pipeline for one chunk representation.

use super::vlen::{self, ItemRule, Items, VlenCodec};
use super::{
    build_codec, ArrayToArrayCodec, ArrayToBytesCodec, BytesToBytesCodec, ChunkRepr, Codec,
    CodecSpec, DecodedSize, PieceDecoder,
};
use crate::dtype::DataType;
use crate::error::{corrupt, invalid_metadata, unsupported, Result};
use serde_json::Value;
use std::borrow::Cow;
use std::sync::Arc;

/// array->array codecs, one array->bytes codec and bytes->bytes codecs,
/// built for one chunk representation.
#[derive(Debug, Clone)]
pub struct CodecChain {
    repr: ChunkRepr,
    /// Each array->array codec with the representation of its input.
    array_to_array: Vec<(Arc<dyn ArrayToArrayCodec>, ChunkRepr)>,
    array_to_bytes: Arc<dyn ArrayToBytesCodec>,
    /// The representation the array->bytes codec sees.
    bytes_repr: ChunkRepr,
    bytes_to_bytes: Vec<Arc<dyn BytesToBytesCodec>>,
    /// `sizes[i]`: the size of the input of bytes->bytes codec `i` when
    /// known (`sizes[0]` is the array->bytes output), then the final size.
    sizes: Vec<Option<u64>>,
    /// `bounds[i]`: the most that input can be (u64::MAX: no bound), for
    /// decoding where `sizes[i]` is unknown.
    bounds: Vec<u64>,
    /// `transposed_strides`, derived once.
    transposed: Option<Vec<u64>>,
}

/// `CodecChain::transposed_strides` of a pipeline with these array->array
/// codecs: the encoded array is in C order, and each transpose's input
/// dimension `order[i]` is its output dimension `i`, so walking the chain
/// backwards carries each stride to the dimension it came from.
fn transposed_strides(
    array_to_array: &[(Arc<dyn ArrayToArrayCodec>, ChunkRepr)],
    bytes_repr: &ChunkRepr,
    repr: &ChunkRepr,
) -> Option<Vec<u64>> {
    if array_to_array.is_empty() || bytes_repr.nbytes() != repr.nbytes() {
        return None;
    }
    let mut strides = crate::region::c_strides(&bytes_repr.shape);
    for (c, _) in array_to_array.iter().rev() {
        let order = c.transpose_order()?;
        let mut from = vec![0u64; order.len()];
        for (i, &d) in order.iter().enumerate() {
            from[d] = strides[i];
        }
        strides = from;
    }
    Some(strides)
}

/// The items of a chunk of `shape` reordered as its `transpose` codecs
/// lay them out (`to_stored`; the item at index `i`, C order, goes to
/// `sum(i[d] * strides[d])`), or back from that order.
fn reorder_items(items: &Items, shape: &[u64], strides: &[u64], to_stored: bool) -> Result<Items> {
    let n = items.len();
    // Where each item, in C order of the chunk, lies in the stored order:
    // the item each place of the result takes when reading back.
    let mut source = crate::alloc::with_capacity::<usize>(n)?;
    crate::region::for_each_index(shape, |idx| {
        source.push(idx.iter().zip(strides).map(|(i, s)| i * s).sum::<u64>() as usize);
    });
    if source.len() != n || source.iter().any(|&p| p >= n) {
        return Err(crate::error::internal(
            "items reordered through a shape of another size",
        ));
    }
    if to_stored {
        // The inverse permutation: the item stored at each place.
        let mut inverse = crate::alloc::with_capacity::<usize>(n)?;
        inverse.resize(n, 0);
        for (i, &p) in source.iter().enumerate() {
            inverse[p] = i;
        }
        source = inverse;
    }
    let mut out = Items {
        data: crate::alloc::with_capacity(items.data.len())?,
        offsets: crate::alloc::with_capacity(n + 1)?,
    };
    out.offsets.push(0);
    for &s in &source {
        out.data.extend_from_slice(items.get(s));
        out.offsets.push(out.data.len() as u64);
    }
    Ok(out)
}

/// A variable-length data type takes a `vlen-utf8` (`string`) or
/// `vlen-bytes` (bytes) codec and nothing before it; those codecs take
/// nothing else.
fn check_variable_length(
    repr: &ChunkRepr,
    array_to_array: &[(Arc<dyn ArrayToArrayCodec>, ChunkRepr)],
    array_to_bytes: &Arc<dyn ArrayToBytesCodec>,
) -> Result<()> {
    let dtype = &repr.dtype;
    // Shards of variable-length items: the inner pipeline checked itself.
    if dtype.is_variable_length() && array_to_bytes.as_sharding().is_some() {
        if !array_to_array.is_empty() {
            return Err(unsupported(format!(
                "array->array codecs before a sharding codec over variable-length items are not \
                 supported ({}; inside the shard's codecs a transpose is)",
                dtype.name()
            )));
        }
        return Ok(());
    }
    match (dtype.is_variable_length(), array_to_bytes.as_vlen()) {
        (false, None) => Ok(()),
        (false, Some(v)) => Err(invalid_metadata(format!(
            "codec \"{}\" is for variable-length data types, not {}",
            v.to_json()["name"].as_str().unwrap_or_default(),
            dtype.name()
        ))),
        (true, None) => Err(unsupported(match dtype {
            DataType::NdArray(t) if !t.is_leading_variable() => format!(
                "data type {}: no codec here serves elements whose variable dimension is not \
                 the only one, leading (\"{}\" serves [null, d1, ...])",
                dtype.to_json(),
                vlen::NDARRAY
            ),
            _ => format!(
                "data type {} needs the \"{}\" codec (or sharding over it) as its array->bytes \
                 codec",
                dtype.name(),
                match dtype {
                    DataType::String => vlen::UTF8,
                    DataType::NdArray(_) => vlen::NDARRAY,
                    _ => vlen::BYTES,
                }
            ),
        })),
        (true, Some(v)) if !v.serves(dtype) => Err(invalid_metadata(format!(
            "codec \"{}\" does not encode data type {}",
            v.to_json()["name"].as_str().unwrap_or_default(),
            dtype.name()
        ))),
        // A transpose only reorders the items.
        (true, Some(_))
            if !array_to_array
                .iter()
                .all(|(c, _)| c.transpose_order().is_some()) =>
        {
            Err(unsupported(format!(
                "array->array codecs other than transpose before a variable-length codec are \
                 not supported ({})",
                dtype.name()
            )))
        }
        (true, Some(_)) => Ok(()),
    }
}

/// The `optional` data type takes the `optional` codec (or sharding over
/// it) and nothing before it; that codec takes nothing else.
fn check_optional(
    repr: &ChunkRepr,
    array_to_array: &[(Arc<dyn ArrayToArrayCodec>, ChunkRepr)],
    array_to_bytes: &Arc<dyn ArrayToBytesCodec>,
) -> Result<()> {
    let DataType::Optional(_) = &repr.dtype else {
        // The codec refuses other types itself when it is built.
        return Ok(());
    };
    if !array_to_array.is_empty() {
        return Err(unsupported(format!(
            "array->array codecs before the codecs of data type {} are not supported",
            repr.dtype.name()
        )));
    }
    if array_to_bytes.is_optional() || array_to_bytes.as_sharding().is_some() {
        return Ok(());
    }
    Err(invalid_metadata(format!(
        "data type {} needs the \"{}\" codec (or sharding over it) as its array->bytes codec",
        repr.dtype.name(),
        super::optional::NAME
    )))
}

impl CodecChain {
    /// Build from the `codecs` list of `zarr.json`.
    pub fn from_json(codecs: &[Value], repr: ChunkRepr) -> Result<Self> {
        let specs = codecs
            .iter()
            .map(CodecSpec::from_json)
            .collect::<Result<Vec<_>>>()?;
        Self::from_specs(&specs, repr)
    }

    pub fn from_specs(specs: &[CodecSpec], mut repr: ChunkRepr) -> Result<Self> {
        repr.check_addressable()?;
        // Codecs see a type stored as another (the normed fixed-point
        // types, as unsigned integers) as that one.
        repr.dtype = repr.dtype.storage_type();
        let mut array_to_array = Vec::new();
        let mut array_to_bytes: Option<(Arc<dyn ArrayToBytesCodec>, ChunkRepr)> = None;
        let mut bytes_to_bytes = Vec::new();
        let mut current = repr.clone();
        for spec in specs {
            let codec = build_codec(spec, &current).map_err(|e| {
                let what = format!("codec \"{}\"", spec.name);
                if e.message().starts_with(&what) {
                    e
                } else {
                    e.context(what)
                }
            })?;
            match codec {
                Codec::ArrayToArray(c) => {
                    if array_to_bytes.is_some() {
                        return Err(invalid_metadata(format!(
                            "codec \"{}\" (array->array) must come before the array->bytes codec",
                            spec.name
                        )));
                    }
                    let next = c.encoded_repr(&current)?;
                    // A filter that widens the element type (astype, delta)
                    // can make the encoded chunk larger than the decoded one.
                    next.check_addressable()?;
                    array_to_array.push((c, current));
                    current = next;
                }
                Codec::ArrayToBytes(c) => {
                    if array_to_bytes.is_some() {
                        return Err(invalid_metadata(format!(
                            "codec \"{}\": a pipeline has exactly one array->bytes codec",
                            spec.name
                        )));
                    }
                    array_to_bytes = Some((c, current.clone()));
                }
                Codec::BytesToBytes(c) => {
                    if array_to_bytes.is_none() {
                        return Err(invalid_metadata(format!(
                            "codec \"{}\" (bytes->bytes) must come after the array->bytes codec",
                            spec.name
                        )));
                    }
                    bytes_to_bytes.push(c);
                }
            }
        }
        let (array_to_bytes, bytes_repr) = array_to_bytes.ok_or_else(|| {
            invalid_metadata("the codec list has no array->bytes codec (e.g. \"bytes\")")
        })?;
        check_variable_length(&repr, &array_to_array, &array_to_bytes)?;
        check_optional(&repr, &array_to_array, &array_to_bytes)?;
        let mut sizes = vec![array_to_bytes.fixed_encoded_size(&bytes_repr)];
        let mut bounds = vec![array_to_bytes.max_encoded_size(&bytes_repr)];
        for c in &bytes_to_bytes {
            let last = *sizes.last().unwrap();
            sizes.push(last.and_then(|s| c.encoded_size(s)));
            // Saturating: an unbounded input gives an unbounded output.
            let bound = *bounds.last().unwrap();
            bounds.push(c.max_encoded_size(bound));
        }
        let transposed = transposed_strides(&array_to_array, &bytes_repr, &repr);
        Ok(CodecChain {
            repr,
            array_to_array,
            array_to_bytes,
            bytes_repr,
            bytes_to_bytes,
            sizes,
            bounds,
            transposed,
        })
    }

    /// The items of one encoded chunk of a variable-length data type.
    pub fn decode_items(&self, bytes: &[u8]) -> Result<Items> {
        let data = self.undo_bytes_codecs(bytes, 0)?;
        if let Some(sh) = self.array_to_bytes.as_sharding() {
            return super::sharding_items::decode(sh, &data, &self.bytes_repr);
        }
        let vlen = self.vlen_codec()?;
        let n = usize::try_from(self.repr.num_elements())
            .map_err(|_| corrupt("a chunk holds more items than can be addressed"))?;
        let items = vlen.decode_items(&data, n)?;
        match self.transposed_strides() {
            Some(strides) => reorder_items(&items, &self.repr.shape, strides, false),
            None => Ok(items),
        }
    }

    /// Encode one chunk of a variable-length data type from its items (C
    /// order, checked by the caller).
    pub fn encode_items(&self, items: &Items) -> Result<Vec<u8>> {
        let mut bytes = match (self.array_to_bytes.as_sharding(), self.transposed_strides()) {
            (Some(sh), _) => super::sharding_items::encode(sh, items, &self.bytes_repr)?,
            (None, Some(strides)) => self.vlen_codec()?.encode_items(&reorder_items(
                items,
                &self.repr.shape,
                strides,
                true,
            )?)?,
            (None, None) => self.vlen_codec()?.encode_items(items)?,
        };
        for c in &self.bytes_to_bytes {
            bytes = c.encode(bytes)?;
        }
        Ok(bytes)
    }

    /// What this pipeline's variable-length items must be.
    pub fn vlen_item_rule(&self) -> ItemRule {
        match self.array_to_bytes.as_sharding() {
            Some(sh) => sh.inner().vlen_item_rule(),
            None => self
                .array_to_bytes
                .as_vlen()
                .map_or(ItemRule::Bytes, VlenCodec::item_rule),
        }
    }

    fn vlen_codec(&self) -> Result<&VlenCodec> {
        self.array_to_bytes.as_vlen().ok_or_else(|| {
            crate::error::internal("items of a pipeline without a variable-length codec")
        })
    }

    /// The decoded chunk representation.
    pub fn repr(&self) -> &ChunkRepr {
        &self.repr
    }

    /// The `codecs` list for `zarr.json`.
    pub fn to_json(&self) -> Value {
        let mut v: Vec<Value> = self
            .array_to_array
            .iter()
            .map(|(c, _)| c.to_json())
            .collect();
        v.push(self.array_to_bytes.to_json());
        v.extend(self.bytes_to_bytes.iter().map(|c| c.to_json()));
        Value::Array(v)
    }

    /// True when the stored bytes of a chunk are its decoded bytes (a
    /// `bytes` codec in native byte order and nothing else), so a read can
    /// go from the store straight into the destination.
    pub fn is_passthrough(&self) -> bool {
        self.array_to_array.is_empty()
            && self.bytes_to_bytes.is_empty()
            && self.array_to_bytes.is_identity(&self.bytes_repr)
    }

    /// The encoded size of a chunk when it does not depend on the data.
    pub fn fixed_encoded_size(&self) -> Option<u64> {
        *self.sizes.last().unwrap()
    }

    /// The most bytes a chunk can encode to (u64::MAX: no bound known).
    pub fn max_encoded_size(&self) -> u64 {
        *self.bounds.last().unwrap()
    }

    /// What decoding bytes->bytes codec `i` must give: its input size in
    /// the encoding direction, exactly when known, else at most its bound.
    fn decoded_size(&self, i: usize) -> DecodedSize {
        match self.sizes[i] {
            Some(s) => DecodedSize::Exact(s as usize),
            None => DecodedSize::AtMost(usize::try_from(self.bounds[i]).unwrap_or(usize::MAX)),
        }
    }

    /// The sharding codec, when it is the whole pipeline (no codecs before
    /// or after it), so a shard can be read and written in parts.
    pub fn sharding(&self) -> Option<&super::sharding::ShardingCodec> {
        if self.array_to_array.is_empty() && self.bytes_to_bytes.is_empty() {
            self.array_to_bytes.as_sharding()
        } else {
            None
        }
    }

    /// Whether a pipeline built for one chunk shape may fail to build for
    /// another: the array->bytes codec is a sharding codec (its inner
    /// chunks must divide the chunk), or an array->array codec reshapes.
    pub fn depends_on_shape(&self) -> bool {
        self.array_to_bytes.as_sharding().is_some()
            || self.array_to_array.iter().any(|(c, _)| c.reshapes())
    }

    /// The sharding codec when it is the array->bytes codec and no
    /// array->array codec comes first (bytes->bytes codecs may follow), so
    /// its inner chunks are in the chunk's own coordinates.
    pub fn sharding_inner_grid(&self) -> Option<&super::sharding::ShardingCodec> {
        if self.array_to_array.is_empty() {
            self.array_to_bytes.as_sharding()
        } else {
            None
        }
    }

    /// Encode one chunk (`data` is `repr().nbytes()` long, C order).
    pub fn encode(&self, data: &[u8]) -> Result<Vec<u8>> {
        debug_assert_eq!(data.len(), self.repr.nbytes());
        let mut array: Cow<[u8]> = Cow::Borrowed(data);
        for (c, input) in &self.array_to_array {
            array = Cow::Owned(c.encode(&array, input)?);
        }
        self.encode_array(&array)
    }

    /// Encode one chunk already in the layout this pipeline's `transpose`
    /// codecs give it (the elements at `transposed_strides`): the rest of
    /// the pipeline only. An error for a pipeline with other array->array
    /// codecs.
    pub fn encode_transposed(&self, array: &[u8]) -> Result<Vec<u8>> {
        if !self.only_transposes() || array.len() != self.bytes_repr.nbytes() {
            return Err(crate::error::internal(
                "a chunk in its transposed layout handed to a pipeline without one",
            ));
        }
        self.encode_array(array)
    }

    /// The array->bytes and bytes->bytes codecs of `encode`, from the array
    /// the array->array codecs produce.
    fn encode_array(&self, array: &[u8]) -> Result<Vec<u8>> {
        let mut rest = self.bytes_to_bytes.iter();
        let mut bytes = match self.bytes_to_bytes.first() {
            // The encoded bytes are the array's bytes: compress them in place.
            Some(first) if self.array_to_bytes.is_identity(&self.bytes_repr) => {
                rest.next();
                first.encode_slice(array)?
            }
            _ => self.array_to_bytes.encode(array, &self.bytes_repr)?,
        };
        for c in rest {
            bytes = c.encode(bytes)?;
        }
        // Compressors write into room for their worst case (about the
        // chunk's size): give back what the encoded chunk does not use,
        // as writers hold encoded chunks (a shard's, a patch's) a while.
        if bytes.capacity() - bytes.len() > bytes.len() / 8 + 4096 {
            bytes.shrink_to_fit();
        }
        Ok(bytes)
    }

    /// Decode one encoded chunk into `out` (exactly `repr().nbytes()`).
    ///
    /// When nothing but a decompressor separates the stored bytes from the
    /// decoded layout, the decompressor writes straight into `out`.
    pub fn decode_into(&self, bytes: &[u8], out: &mut [u8]) -> Result<()> {
        if out.len() != self.repr.nbytes() {
            return Err(crate::error::buffer_too_small(format!(
                "decoded chunk needs {} bytes, the buffer has {}",
                self.repr.nbytes(),
                out.len()
            )));
        }
        self.check_encoded_size(bytes)?;
        if self.array_to_array.is_empty() {
            return self.decode_bytes_into(bytes, out);
        }
        // The array before the array->array codecs, then each of them
        // undone; the last (the first in the chain) writes `out`.
        let mut array = crate::alloc::zeroed(self.bytes_repr.nbytes())?;
        self.decode_bytes_into(bytes, &mut array)?;
        let (last, rest) = self.array_to_array.split_first().expect("not empty");
        for (c, input) in rest.iter().rev() {
            array = c.decode(&array, input)?;
        }
        last.0.decode_into(&array, &last.1, out)
    }

    /// `bytes` with the bytes->bytes codecs from the last down to the
    /// `first`-th undone, each checking the size it decodes to.
    fn undo_bytes_codecs<'a>(&self, bytes: &'a [u8], first: usize) -> Result<Cow<'a, [u8]>> {
        let mut data = Cow::Borrowed(bytes);
        for i in (first..self.bytes_to_bytes.len()).rev() {
            data = self.bytes_to_bytes[i].decode(data, self.decoded_size(i))?;
        }
        Ok(data)
    }

    /// An error when the pipeline's encoded chunks have a fixed size and
    /// `bytes` is not of it.
    fn check_encoded_size(&self, bytes: &[u8]) -> Result<()> {
        match self.fixed_encoded_size() {
            Some(expected) if bytes.len() as u64 != expected => Err(corrupt(format!(
                "encoded chunk is {} bytes, expected {expected}",
                bytes.len()
            ))),
            _ => Ok(()),
        }
    }

    /// When this pipeline's array->array codecs only reorder dimensions
    /// (`transpose`), the element strides at which a chunk's elements
    /// (indexed as decoded) lie in the array those codecs produce, C order
    /// of the encoded shape: readers and writers copy through them, and
    /// the permutation costs no pass of its own. None for any other
    /// pipeline.
    pub fn transposed_strides(&self) -> Option<&[u64]> {
        self.transposed.as_deref()
    }

    /// Whether the array->array codecs are one or more `transpose`s and
    /// nothing else (see `transposed_strides`).
    fn only_transposes(&self) -> bool {
        self.transposed.is_some()
    }

    /// Decode one encoded chunk into `out` (exactly `repr().nbytes()`)
    /// in the layout its `transpose` codecs leave it in, and give the
    /// strides to read it through (`transposed_strides`). None (and `out`
    /// untouched) for any other pipeline, which `decode_into` decodes.
    pub fn decode_view_into(&self, bytes: &[u8], out: &mut [u8]) -> Result<Option<&[u64]>> {
        let Some(strides) = self.transposed_strides() else {
            return Ok(None);
        };
        if out.len() != self.repr.nbytes() {
            return Ok(None);
        }
        self.decode_bytes_into(bytes, out)?;
        Ok(Some(strides))
    }

    /// Undo the bytes->bytes codecs and the array->bytes codec of `bytes`
    /// into `out`, which is exactly `bytes_repr.nbytes()` long.
    fn decode_bytes_into(&self, bytes: &[u8], out: &mut [u8]) -> Result<()> {
        // Undo every bytes->bytes codec but the first.
        let mut data = self.undo_bytes_codecs(bytes, 1)?;
        if let Some(first) = self.bytes_to_bytes.first() {
            // Decompress straight into `out`, then finish in place (a no-op
            // for native `bytes`, a byte swap for the other endianness).
            if self.array_to_bytes.can_decode_in_place()
                && self.sizes[0] == Some(out.len() as u64)
                && first.decode_into(&data, out)?
            {
                return self.array_to_bytes.decode_in_place(out, &self.bytes_repr);
            }
            data = first.decode(data, self.decoded_size(0))?;
        }
        self.array_to_bytes
            .decode_into(&data, &self.bytes_repr, out)
    }

    /// The one bytes->bytes codec, when the pipeline is only that over
    /// native-order bytes and it decodes in pieces.
    fn piece_codec(&self) -> Option<&Arc<dyn BytesToBytesCodec>> {
        let [only] = &self.bytes_to_bytes[..] else {
            return None;
        };
        (self.array_to_array.is_empty()
            && self.array_to_bytes.is_identity(&self.bytes_repr)
            && only.decodes_in_pieces())
        .then_some(only)
    }

    /// Whether `piece_decoder` gives a decoder.
    pub fn decodes_in_pieces(&self) -> bool {
        self.piece_codec().is_some()
    }

    /// A decoder of one encoded chunk that hands out its decoded bytes (C
    /// order) piece by piece. None when the pipeline cannot: only a
    /// decompressor that decodes in pieces, over `bytes` in native order,
    /// can (and it may decline an input, see
    /// `BytesToBytesCodec::piece_decoder`).
    pub fn piece_decoder<'a>(&self, bytes: &'a [u8]) -> Result<Option<ChunkPieces<'a>>> {
        let Some(codec) = self.piece_codec() else {
            return Ok(None);
        };
        let expected = self.repr.nbytes();
        Ok(codec
            .piece_decoder(bytes, expected)?
            .map(|inner| ChunkPieces {
                inner,
                expected,
                left: expected,
            }))
    }

    /// Decode one encoded chunk into a new buffer.
    ///
    /// The chunk's size can come from data (`zarrs.vlen` gives its item
    /// bytes' length in the chunk): what the encoded bytes say of their
    /// decoded size (their length; a compressor's frame header) is
    /// checked against it before a buffer of that size is made.
    pub fn decode(&self, bytes: &[u8]) -> Result<Vec<u8>> {
        self.check_encoded_size(bytes)?;
        if self.array_to_array.is_empty() && !self.bytes_to_bytes.is_empty() {
            let data = self.undo_bytes_codecs(bytes, 0)?;
            if self.array_to_bytes.is_identity(&self.bytes_repr) && data.len() == self.repr.nbytes()
            {
                return Ok(data.into_owned());
            }
            let mut out = crate::alloc::zeroed(self.repr.nbytes())?;
            self.array_to_bytes
                .decode_into(&data, &self.bytes_repr, &mut out)?;
            return Ok(out);
        }
        let mut out = crate::alloc::zeroed(self.repr.nbytes())?;
        self.decode_into(bytes, &mut out)?;
        Ok(out)
    }
}

/// A chunk's decoded bytes handed out piece by piece, checked to add up to
/// the chunk's size.
pub struct ChunkPieces<'a> {
    inner: Box<dyn PieceDecoder + 'a>,
    expected: usize,
    left: usize,
}

impl ChunkPieces<'_> {
    /// The chunk's next decoded bytes, at most `max` of them, valid until
    /// the next call; empty once it is all out.
    pub fn next(&mut self, max: usize) -> Result<&[u8]> {
        let piece = self.inner.next_piece(max)?;
        if piece.len() > self.left {
            return Err(corrupt(format!(
                "decoded chunk is more than the {} bytes expected",
                self.expected
            )));
        }
        self.left -= piece.len();
        if piece.is_empty() && self.left > 0 && max > 0 {
            return Err(corrupt(format!(
                "decoded chunk is {} bytes, expected {}",
                self.expected - self.left,
                self.expected
            )));
        }
        Ok(piece)
    }

    /// How many bytes, up to about `want`, `next` can hand out in one
    /// piece (see `PieceDecoder::ready`).
    pub fn ready(&mut self, want: usize) -> Result<usize> {
        Ok(self.inner.ready(want)?.min(self.left))
    }

    /// Fill all of `out`, which must be no longer than what is left.
    pub fn fill(&mut self, out: &mut [u8]) -> Result<()> {
        let mut at = 0;
        while at < out.len() {
            let piece = self.next(out.len() - at)?;
            if piece.is_empty() {
                return Err(crate::error::internal("asked for more than a chunk"));
            }
            out[at..at + piece.len()].copy_from_slice(piece);
            at += piece.len();
        }
        Ok(())
    }

    /// Check that the data ends with the chunk, once all of it was read.
    pub fn finish(&mut self) -> Result<()> {
        if self.left != 0 {
            return Err(crate::error::internal(format!(
                "{} bytes of the chunk were not read",
                self.left
            )));
        }
        self.next(1).map(|_| ())
    }
}
