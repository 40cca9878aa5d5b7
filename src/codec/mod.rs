//! Codecs and the codec pipeline.
//!
//! A pipeline is zero or more array->array codecs, exactly one array->bytes
//! codec, then zero or more bytes->bytes codecs (Zarr v3 core, "codecs").
//! Decoded chunk data is always a C-order buffer of elements in the host's
//! native byte order, described by a [`ChunkRepr`].

use crate::dtype::DataType;
use crate::error::{invalid_metadata, Result};
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::fmt::Debug;
use std::sync::Arc;

pub mod affix;
pub mod bit_packing;
pub mod blosc;
pub mod bytes;
pub mod bz2;
pub mod cast_value;
pub mod checksum;
pub mod gzip;
pub mod lz4;
pub mod lzma;
pub mod n5;
pub mod numcodecs_alias;
pub mod numeric;
pub mod optional;
pub mod packbits;
pub mod pcodec;
pub mod pipeline;
pub mod reshape;
pub mod rounding;
pub(crate) mod scalar;
pub mod scale_offset;
pub mod sharding;
mod sharding_items;
pub mod shuffle;
pub mod stream;
pub mod transpose;
pub(crate) mod value_cast;
pub mod vlen;
pub mod zfp;
/// libzfp's functions, for the zfp codecs: not part of zarrio's C API.
///
/// cbindgen:ignore
#[cfg(feature = "zfp")]
mod zfp_ffi;
mod zfp_stream;
pub mod zfpy;
pub mod zstd;
pub mod zstd_compressor;
mod zstd_pieces;

pub use pipeline::CodecChain;

/// Shape, element type and fill value of a chunk as a codec sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct ChunkRepr {
    pub shape: Vec<u64>,
    pub dtype: DataType,
    /// One element, native byte order.
    pub fill_value: Vec<u8>,
}

impl ChunkRepr {
    pub fn new(shape: Vec<u64>, dtype: DataType, fill_value: Vec<u8>) -> Self {
        debug_assert!(dtype.is_variable_length() || fill_value.len() == dtype.size());
        ChunkRepr {
            shape,
            dtype,
            fill_value,
        }
    }
    pub fn num_elements(&self) -> u64 {
        self.shape.iter().product()
    }
    /// Check that a chunk of this shape and type can be addressed in
    /// memory: its size in bytes must fit in `isize`. Every pipeline checks
    /// its chunk when it is built, so `num_elements`, `nbytes` and the
    /// strides and offsets computed from a chunk's shape never wrap.
    pub fn check_addressable(&self) -> Result<()> {
        if self.dtype.is_variable_length() {
            // Items, not bytes: a chunk's item count is a u32 in its
            // encoding (`vlen-*`).
            let items = self
                .shape
                .iter()
                .try_fold(1u64, |acc, &d| acc.checked_mul(d));
            return match items {
                Some(n) if n <= u64::from(u32::MAX) => Ok(()),
                _ => Err(invalid_metadata(format!(
                    "a chunk of shape {:?} holds more than 2^32 - 1 items of data type {}",
                    self.shape,
                    self.dtype.name()
                ))),
            };
        }
        let bytes = self
            .shape
            .iter()
            .try_fold(self.dtype.size() as u64, |acc, &d| acc.checked_mul(d));
        match bytes {
            Some(n) if n <= isize::MAX as u64 => Ok(()),
            _ => Err(invalid_metadata(format!(
                "a chunk of shape {:?} and data type {} holds more bytes than can be addressed",
                self.shape,
                self.dtype.name()
            ))),
        }
    }
    /// Size of the decoded chunk in bytes.
    pub fn nbytes(&self) -> usize {
        self.num_elements() as usize * self.dtype.size()
    }
    /// A buffer of `nbytes()` holding the fill value everywhere.
    pub fn filled(&self) -> Result<Vec<u8>> {
        fill_bytes(&self.fill_value, self.num_elements() as usize)
    }
}

/// `n` repetitions of one element's bytes.
pub fn fill_bytes(element: &[u8], n: usize) -> Result<Vec<u8>> {
    let len = n.checked_mul(element.len()).ok_or_else(|| {
        crate::error::out_of_memory(format!(
            "cannot allocate {n} elements of {} bytes",
            element.len()
        ))
    })?;
    if element.iter().all(|b| *b == 0) {
        return crate::alloc::zeroed(len);
    }
    let mut out = crate::alloc::with_capacity(len)?;
    for _ in 0..n {
        out.extend_from_slice(element);
    }
    Ok(out)
}

/// The bytes `range` of `input`, borrowed from it or cut from its own
/// buffer (for codecs that decode by dropping bytes around the data).
pub(crate) fn keep_range(input: Cow<'_, [u8]>, range: std::ops::Range<usize>) -> Cow<'_, [u8]> {
    match input {
        Cow::Borrowed(b) => Cow::Borrowed(&b[range]),
        Cow::Owned(mut v) => {
            v.truncate(range.end);
            v.drain(..range.start);
            Cow::Owned(v)
        }
    }
}

/// True when every element of `data`, of type `dtype`, is the fill value
/// `fill`: its bytes, or for a type narrower than a byte (or a complex
/// type of one) its value (the caller's bytes may carry upper bits that
/// the type ignores), or for an optional type missing where the fill
/// value is missing.
pub fn all_fill(data: &[u8], fill: &[u8], dtype: &DataType) -> bool {
    // A missing optional value is missing whatever its value bytes.
    if let DataType::Optional(t) = dtype {
        return data
            .chunks_exact(fill.len())
            .all(|e| t.same_element(e, fill));
    }
    match dtype.sub_byte_unit() {
        Some(t) => data
            .chunks_exact(fill.len())
            .all(|e| e.iter().zip(fill).all(|(b, f)| t.decode(*b) == *f)),
        None => all_equal_to(data, fill),
    }
}

/// True when every element of `data` has exactly the bytes of `element`.
pub fn all_equal_to(data: &[u8], element: &[u8]) -> bool {
    if element.iter().all(|b| *b == 0) {
        return all_zero(data);
    }
    data.chunks_exact(element.len()).all(|c| c == element)
}

/// True when every byte is zero; compares wide words, stopping early.
fn all_zero(data: &[u8]) -> bool {
    // SAFETY: u64 has no invalid bit patterns; align_to splits off the
    // unaligned ends as bytes.
    let (head, words, tail) = unsafe { data.align_to::<u64>() };
    head.iter().all(|&b| b == 0)
        && tail.iter().all(|&b| b == 0)
        && words
            .chunks(64)
            .all(|block| block.iter().fold(0u64, |acc, &w| acc | w) == 0)
}

/// A codec that maps an array to another array (e.g. `transpose`).
pub trait ArrayToArrayCodec: Send + Sync + Debug {
    /// The `{"name", "configuration"}` object for `zarr.json`.
    fn to_json(&self) -> Value;
    /// The representation this codec's output has, given its input.
    fn encoded_repr(&self, decoded: &ChunkRepr) -> Result<ChunkRepr>;
    /// `data` is laid out as `decoded`; the result as `encoded_repr(decoded)`.
    fn encode(&self, data: &[u8], decoded: &ChunkRepr) -> Result<Vec<u8>>;
    /// `data` is laid out as `encoded_repr(decoded)`; the result as `decoded`.
    fn decode(&self, data: &[u8], decoded: &ChunkRepr) -> Result<Vec<u8>>;
    /// The permutation, for a codec that only reorders the array's
    /// dimensions (`transpose`): a reader may then keep its output in the
    /// encoded layout and read it through permuted strides.
    fn transpose_order(&self) -> Option<&[usize]> {
        None
    }
    /// Whether the codec gives its output another shape than its input's
    /// beyond a permutation (`reshape`): whether it builds for one chunk
    /// shape tells nothing of another.
    fn reshapes(&self) -> bool {
        false
    }
    /// `decode` into `out`, exactly `decoded.nbytes()` long: the last
    /// codec of a chain writes the caller's buffer without a copy.
    fn decode_into(&self, data: &[u8], decoded: &ChunkRepr, out: &mut [u8]) -> Result<()> {
        let array = self.decode(data, decoded)?;
        if array.len() != out.len() {
            return Err(crate::error::internal(format!(
                "an array->array codec decoded {} bytes for a buffer of {}",
                array.len(),
                out.len()
            )));
        }
        out.copy_from_slice(&array);
        Ok(())
    }
}

/// The number of elements of `repr`, when `data` holds exactly that many
/// of type `t` (the type on one side of an array->array codec); else an
/// invalid-argument error naming `codec`.
pub(crate) fn check_elements(
    codec: &str,
    data: &[u8],
    repr: &ChunkRepr,
    t: &DataType,
) -> Result<usize> {
    let n = repr.num_elements();
    if n.checked_mul(t.size() as u64) != Some(data.len() as u64) {
        return Err(crate::error::invalid_argument(format!(
            "codec \"{codec}\": {} bytes for {n} elements of {}",
            data.len(),
            t.name()
        )));
    }
    Ok(n as usize)
}

/// `decode_into` for a codec whose decoding is the identity: `data`
/// copied into `out`, which must be as long.
pub(crate) fn copy_decoded(codec: &str, data: &[u8], out: &mut [u8]) -> Result<()> {
    if data.len() != out.len() {
        return Err(crate::error::internal(format!(
            "codec \"{codec}\": {} bytes to decode into {}",
            data.len(),
            out.len()
        )));
    }
    out.copy_from_slice(data);
    Ok(())
}

/// Codec settings that are read but refused in new arrays, because other
/// readers cannot open them: a zstd level outside its specification's
/// -131072 to 22 (zstd's own range; tensorstore refuses the array, and
/// zarr-python levels above 22), a blosc blocksize past 715827542
/// (tensorstore's limit; numcodecs takes C ints). Existing arrays with
/// them are read (decoding ignores both; encoding clamps), as
/// zarr-python reads them. `codecs` is a codec list as JSON, searched to
/// any depth (shards, N5, optional).
pub fn check_settings_for_writing(codecs: &Value) -> Result<()> {
    const ZSTD_LEVELS: std::ops::RangeInclusive<i64> = -131072..=22;
    const BLOSC_BLOCKSIZES: std::ops::RangeInclusive<u64> =
        0..=blosc_src::BLOSC_MAX_BLOCKSIZE as u64;
    match codecs {
        Value::Array(items) => items.iter().try_for_each(check_settings_for_writing),
        Value::Object(o) => {
            let setting = |key: &str| o.get("configuration").and_then(|c| c.get(key));
            match o.get("name").and_then(Value::as_str) {
                Some("zstd" | numcodecs_alias::ZSTD) => {
                    if let Some(l) = setting("level").and_then(Value::as_i64) {
                        if !ZSTD_LEVELS.contains(&l) {
                            return Err(crate::error::invalid_metadata(format!(
                                "codec \"zstd\": \"level\" {l} is outside {}..{}, which other \
                                 readers refuse",
                                ZSTD_LEVELS.start(),
                                ZSTD_LEVELS.end()
                            )));
                        }
                    }
                }
                Some("blosc" | numcodecs_alias::BLOSC) => {
                    if let Some(b) = setting("blocksize").and_then(Value::as_u64) {
                        if !BLOSC_BLOCKSIZES.contains(&b) {
                            return Err(crate::error::invalid_metadata(format!(
                                "codec \"blosc\": \"blocksize\" {b} is past {}, which other \
                                 readers refuse",
                                BLOSC_BLOCKSIZES.end()
                            )));
                        }
                    }
                }
                _ => {}
            }
            o.values().try_for_each(check_settings_for_writing)
        }
        _ => Ok(()),
    }
}

/// `decode` for a codec whose work is in `decode_into`: into a new chunk
/// of the decoded size.
pub(crate) fn decode_to_vec(
    codec: &impl ArrayToArrayCodec,
    data: &[u8],
    decoded: &ChunkRepr,
) -> Result<Vec<u8>> {
    let mut out = crate::alloc::zeroed(decoded.nbytes())?;
    codec.decode_into(data, decoded, &mut out)?;
    Ok(out)
}

/// A codec that serialises an array to bytes (`bytes`, `sharding_indexed`).
pub trait ArrayToBytesCodec: Send + Sync + Debug {
    fn to_json(&self) -> Value;
    /// Serialise `data` (laid out as `repr`).
    fn encode(&self, data: &[u8], repr: &ChunkRepr) -> Result<Vec<u8>>;
    /// Deserialise `bytes` into `out`, which is exactly `repr.nbytes()` long.
    fn decode_into(&self, bytes: &[u8], repr: &ChunkRepr, out: &mut [u8]) -> Result<()>;
    /// The encoded size when it does not depend on the data.
    fn fixed_encoded_size(&self, repr: &ChunkRepr) -> Option<u64>;
    /// The most bytes a chunk can encode to (u64::MAX: no bound known).
    /// Decoding a stored chunk through codecs whose exact sizes are not
    /// known stops at this, so a corrupt or hostile chunk cannot expand
    /// without limit.
    fn max_encoded_size(&self, repr: &ChunkRepr) -> u64 {
        self.fixed_encoded_size(repr).unwrap_or(u64::MAX)
    }
    /// True when the encoded bytes are the decoded bytes unchanged, so a
    /// decompressor may write straight into the destination.
    fn is_identity(&self, _repr: &ChunkRepr) -> bool {
        false
    }
    /// True when `decode_in_place` works: the encoding is a permutation of
    /// the decoded bytes (`bytes` with either endianness).
    fn can_decode_in_place(&self) -> bool {
        false
    }
    /// Turn `data`, which holds this codec's encoded bytes and is exactly
    /// `repr.nbytes()` long, into the decoded array in place. Only called
    /// when `can_decode_in_place` is true.
    fn decode_in_place(&self, _data: &mut [u8], _repr: &ChunkRepr) -> Result<()> {
        Err(crate::error::internal("this codec cannot decode in place"))
    }
    /// The sharding codec, for the partial read and write paths.
    fn as_sharding(&self) -> Option<&sharding::ShardingCodec> {
        None
    }
    /// The variable-length items codec (`vlen-utf8`, `vlen-bytes`).
    fn as_vlen(&self) -> Option<&vlen::VlenCodec> {
        None
    }
    /// Whether this is the `optional` codec, the one codec of the
    /// `optional` data type.
    fn is_optional(&self) -> bool {
        false
    }
}

/// How many piece decoders one thread runs in step at most (a row of
/// chunks); codecs keep that many contexts per thread for reuse.
pub(crate) const DECODERS_IN_STEP: usize = 4;

/// Decoded bytes handed out piece by piece (see
/// `BytesToBytesCodec::piece_decoder`).
pub trait PieceDecoder {
    /// The next decoded bytes, at most `max` of them (fewer when that is
    /// what the decoder has at hand); empty once all are out. They stay
    /// valid until the next call, so a caller places them without copying
    /// them first.
    fn next_piece(&mut self, max: usize) -> Result<&[u8]>;

    /// Decode until `want` bytes can be handed out in one piece by the
    /// next `next_piece`, or no more can be without copying them; say how
    /// many can (0 once all are out).
    fn ready(&mut self, want: usize) -> Result<usize>;
}

/// What a bytes->bytes decoder knows of the size of its output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecodedSize {
    /// The pipeline knows the size: anything else is corrupt.
    Exact(usize),
    /// Only a bound is known (the input of a later codec whose size
    /// depends on the data, e.g. a shard): more is corrupt.
    AtMost(usize),
}

impl DecodedSize {
    /// No bound at all (a pipeline whose codecs give none).
    pub const UNBOUNDED: DecodedSize = DecodedSize::AtMost(usize::MAX);

    /// The exact size, when known.
    pub fn exact(self) -> Option<usize> {
        match self {
            DecodedSize::Exact(n) => Some(n),
            DecodedSize::AtMost(_) => None,
        }
    }

    /// The most bytes the output may have.
    pub fn max(self) -> usize {
        match self {
            DecodedSize::Exact(n) | DecodedSize::AtMost(n) => n,
        }
    }

    /// The error for an output of `got` bytes (`None`: more than `max`)
    /// that this size does not allow.
    pub fn mismatch(self, codec: &str, got: Option<u64>) -> crate::error::Error {
        crate::error::corrupt(match (self, got) {
            (_, Some(g)) => format!("codec \"{codec}\": decoded {g} bytes, {}", self.describe()),
            (DecodedSize::Exact(n), None) => {
                format!("codec \"{codec}\": decoded more than the expected {n} bytes")
            }
            (DecodedSize::AtMost(_), None) => {
                format!("codec \"{codec}\": decodes to {}", self.describe())
            }
        })
    }

    /// What this size allows, for messages: "expected N", or "more than
    /// the N bytes ..." for a bound.
    pub fn describe(self) -> String {
        match self {
            DecodedSize::Exact(n) => format!("expected {n}"),
            DecodedSize::AtMost(n) => {
                format!("more than the {n} bytes the pipeline can hold at that stage")
            }
        }
    }

    /// Read a decompressor's whole output, stopping one byte past what
    /// this size allows (so a stream that expands without limit is found
    /// out early), and check its length. A read error is corrupt data,
    /// unless memory ran out.
    pub fn read_all(self, codec: &str, reader: impl std::io::Read) -> Result<Vec<u8>> {
        use std::io::Read;
        let mut out = Vec::new();
        if let Some(n) = self.exact() {
            // One byte past the size: a stream that runs on then fills the
            // last byte instead of making `read_to_end` double the buffer
            // (infallibly) to see whether more follows.
            let room = n.saturating_add(1);
            out.try_reserve_exact(room)
                .map_err(|_| crate::alloc::cannot_allocate(room))?;
        }
        reader
            .take((self.max() as u64).saturating_add(1))
            .read_to_end(&mut out)
            .map_err(|e| {
                if e.kind() == std::io::ErrorKind::OutOfMemory {
                    crate::error::out_of_memory(format!("codec \"{codec}\": {e}"))
                } else {
                    crate::error::corrupt(format!(
                        "codec \"{codec}\": invalid compressed data: {e}"
                    ))
                }
            })?;
        if !self.allows(out.len() as u64) {
            let got = (out.len() <= self.max()).then_some(out.len() as u64);
            return Err(self.mismatch(codec, got));
        }
        Ok(out)
    }

    /// Whether an output of `n` bytes fits this size.
    pub fn allows(self, n: u64) -> bool {
        match self {
            DecodedSize::Exact(e) => n == e as u64,
            DecodedSize::AtMost(m) => n <= m as u64,
        }
    }
}

/// Fill `out` from a decompressor's stream, which must end exactly there:
/// a stream that ends early or runs on is corrupt.
pub(crate) fn read_exactly(codec: &str, mut r: impl std::io::Read, out: &mut [u8]) -> Result<()> {
    use std::io::ErrorKind::Interrupted;
    let stream_error = |e: std::io::Error| {
        crate::error::corrupt(format!("codec \"{codec}\": invalid compressed data: {e}"))
    };
    let mut filled = 0;
    while filled < out.len() {
        match r.read(&mut out[filled..]) {
            Ok(0) => return Err(DecodedSize::Exact(out.len()).mismatch(codec, Some(filled as u64))),
            Ok(k) => filled += k,
            Err(e) if e.kind() == Interrupted => {}
            Err(e) => return Err(stream_error(e)),
        }
    }
    let mut extra = [0u8; 1];
    loop {
        match r.read(&mut extra) {
            Ok(0) => return Ok(()),
            Ok(_) => return Err(DecodedSize::Exact(out.len()).mismatch(codec, None)),
            Err(e) if e.kind() == Interrupted => {}
            Err(e) => return Err(stream_error(e)),
        }
    }
}

/// A generous bound on what a compressor's frame of `n` input bytes can
/// take, whatever wrote it: incompressible data plus per-block framing
/// (zstd and deflate both add well under 1/64), plus room for headers.
pub(crate) fn compressed_bound(n: u64) -> u64 {
    n.saturating_add(n / 64).saturating_add(64 << 10)
}

/// A codec that maps bytes to bytes (compressors, checksums).
pub trait BytesToBytesCodec: Send + Sync + Debug {
    fn to_json(&self) -> Value;
    fn encode(&self, input: Vec<u8>) -> Result<Vec<u8>>;
    /// Encode borrowed bytes; compressors override this to read the
    /// caller's data without copying it first.
    fn encode_slice(&self, input: &[u8]) -> Result<Vec<u8>> {
        self.encode(crate::alloc::copied(input)?)
    }
    /// Decode `input` into at most, or exactly, `size` bytes (an output
    /// of any other size is an error).
    fn decode<'a>(&self, input: Cow<'a, [u8]>, size: DecodedSize) -> Result<Cow<'a, [u8]>>;
    /// Decode straight into `out`, which must be filled exactly. Returns
    /// `Ok(false)` when this codec cannot, and the caller decodes to a
    /// temporary instead.
    fn decode_into(&self, _input: &[u8], _out: &mut [u8]) -> Result<bool> {
        Ok(false)
    }
    /// Whether `piece_decoder` gives a decoder.
    fn decodes_in_pieces(&self) -> bool {
        false
    }
    /// A decoder of `input`, which decodes to `expected` bytes, that hands
    /// out the decoded bytes in order, a piece at a time, so that a large
    /// chunk is placed without a chunk-sized buffer and chunks side by
    /// side can be decoded in step. None when this codec cannot (or not
    /// this input; the caller decodes it whole).
    fn piece_decoder<'a>(
        &self,
        _input: &'a [u8],
        _expected: usize,
    ) -> Result<Option<Box<dyn PieceDecoder + 'a>>> {
        Ok(None)
    }
    /// The encoded size for a given input size, when it does not depend on
    /// the data (checksums); `None` for compressors.
    fn encoded_size(&self, decoded_size: u64) -> Option<u64>;
    /// The most bytes `decoded_size` bytes can encode to (u64::MAX: no
    /// bound known, and always the answer for an input of u64::MAX); see
    /// `ArrayToBytesCodec::max_encoded_size`.
    fn max_encoded_size(&self, decoded_size: u64) -> u64 {
        self.encoded_size(decoded_size).unwrap_or(u64::MAX)
    }
}

/// A built codec of one of the three kinds.
#[derive(Debug, Clone)]
pub enum Codec {
    ArrayToArray(Arc<dyn ArrayToArrayCodec>),
    ArrayToBytes(Arc<dyn ArrayToBytesCodec>),
    BytesToBytes(Arc<dyn BytesToBytesCodec>),
}

/// A codec entry of `zarr.json`: a name and a configuration object (an
/// absent configuration is taken as empty, as tensorstore writes it).
#[derive(Debug, Clone)]
pub struct CodecSpec {
    pub name: String,
    pub configuration: Map<String, Value>,
}

impl CodecSpec {
    pub fn from_json(v: &Value) -> Result<CodecSpec> {
        match v {
            Value::Object(o) => {
                let name = o
                    .get("name")
                    .and_then(Value::as_str)
                    .ok_or_else(|| invalid_metadata(format!("codec {v} has no string \"name\"")))?;
                let configuration = match o.get("configuration") {
                    None => Map::new(),
                    Some(Value::Object(c)) => c.clone(),
                    Some(_) => {
                        return Err(invalid_metadata(format!(
                            "codec \"{name}\": configuration must be an object"
                        )))
                    }
                };
                for k in o.keys() {
                    if k != "name" && k != "configuration" && k != "must_understand" {
                        return Err(invalid_metadata(format!(
                            "codec \"{name}\": unexpected field \"{k}\""
                        )));
                    }
                }
                Ok(CodecSpec {
                    name: name.to_string(),
                    configuration,
                })
            }
            // zarr-python accepts a bare string name for codecs without configuration.
            Value::String(s) => Ok(CodecSpec {
                name: s.clone(),
                configuration: Map::new(),
            }),
            _ => Err(invalid_metadata(format!(
                "codec entry {v} must be an object"
            ))),
        }
    }

    /// Rejects configuration keys outside `allowed`.
    pub fn check_keys(&self, allowed: &[&str]) -> Result<()> {
        for k in self.configuration.keys() {
            if !allowed.contains(&k.as_str()) {
                return Err(invalid_metadata(format!(
                    "codec \"{}\": unknown configuration field \"{k}\"",
                    self.name
                )));
            }
        }
        Ok(())
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.configuration.get(key)
    }

    /// The codec's JSON object, as `from_json` read it.
    pub fn to_json(&self) -> Value {
        codec_json(&self.name, Value::Object(self.configuration.clone()))
    }
}

/// `{"name": name, "configuration": cfg}`.
pub fn codec_json(name: &str, cfg: Value) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), Value::String(name.into()));
    m.insert("configuration".into(), cfg);
    Value::Object(m)
}

/// Build one codec from its spec. `repr` is the representation the codec's
/// input has (needed for validation and defaults such as blosc's typesize).
pub fn build_codec(spec: &CodecSpec, repr: &ChunkRepr) -> Result<Codec> {
    let c = match spec.name.as_str() {
        bit_packing::NAME => {
            Codec::ArrayToBytes(Arc::new(bit_packing::BitPacking::from_spec(spec, repr)?))
        }
        "bytes" | "endian" => {
            Codec::ArrayToBytes(Arc::new(bytes::BytesCodec::from_spec(spec, repr)?))
        }
        numeric::DELTA | numeric::FIXED_SCALE_OFFSET | numeric::ASTYPE => {
            Codec::ArrayToArray(Arc::new(numeric::NumericFilter::from_spec(spec)?))
        }
        cast_value::NAME => {
            Codec::ArrayToArray(Arc::new(cast_value::CastValue::from_spec(spec, repr)?))
        }
        scale_offset::NAME => {
            Codec::ArrayToArray(Arc::new(scale_offset::ScaleOffset::from_spec(spec, repr)?))
        }
        pcodec::NAME => pcodec::build(spec, repr)?,
        zfpy::NAME => zfpy::build(spec, repr)?,
        name if zfp::is_name(name) => zfp::build(spec, repr)?,
        packbits::NAME => Codec::ArrayToArray(Arc::new(packbits::PackBits::from_spec(spec)?)),
        rounding::BITROUND | rounding::EXT_BITROUND | rounding::QUANTIZE => {
            Codec::ArrayToArray(Arc::new(rounding::RoundingFilter::from_spec(spec)?))
        }
        reshape::RESHAPE | reshape::SQUEEZE | reshape::SINGLETON_DIM => {
            Codec::ArrayToArray(Arc::new(reshape::Reshape::from_spec(spec)?))
        }
        "transpose" => {
            Codec::ArrayToArray(Arc::new(transpose::TransposeCodec::from_spec(spec, repr)?))
        }
        "gzip" => Codec::BytesToBytes(Arc::new(gzip::GzipCodec::from_spec(spec)?)),
        gzip::ZLIB_NAME => Codec::BytesToBytes(Arc::new(gzip::GzipCodec::zlib_from_spec(spec)?)),
        lz4::NAME => Codec::BytesToBytes(Arc::new(lz4::Lz4Codec::from_spec(spec)?)),
        bz2::NAME => Codec::BytesToBytes(Arc::new(bz2::Bz2Codec::from_spec(spec)?)),
        lzma::NAME => Codec::BytesToBytes(Arc::new(lzma::LzmaCodec::from_spec(spec)?)),
        shuffle::NAME => Codec::BytesToBytes(Arc::new(shuffle::ShuffleCodec::from_spec(
            spec,
            repr.dtype.size(),
        )?)),
        "zstd" => Codec::BytesToBytes(Arc::new(zstd::ZstdCodec::from_spec(spec)?)),
        affix::OFFSET | affix::PAD => {
            Codec::BytesToBytes(Arc::new(affix::AffixCodec::from_spec(spec)?))
        }
        name if numcodecs_alias::NumcodecsAlias::is_name(name) => Codec::BytesToBytes(Arc::new(
            numcodecs_alias::NumcodecsAlias::from_spec(spec, repr)?,
        )),
        "blosc" => Codec::BytesToBytes(Arc::new(blosc::BloscCodec::from_spec(spec, repr)?)),
        name if checksum::ChecksumCodec::is_name(name) => {
            Codec::BytesToBytes(Arc::new(checksum::ChecksumCodec::from_spec(spec)?))
        }
        name if vlen::NAMES.contains(&name) => {
            Codec::ArrayToBytes(Arc::new(vlen::VlenCodec::from_spec(spec, repr)?))
        }
        name if optional::OptionalCodec::is_name(name) => {
            Codec::ArrayToBytes(Arc::new(optional::OptionalCodec::from_spec(spec, repr)?))
        }
        n5::NAME => Codec::ArrayToBytes(Arc::new(n5::N5DefaultCodec::from_spec(spec, repr)?)),
        "sharding_indexed" => {
            Codec::ArrayToBytes(Arc::new(sharding::ShardingCodec::from_spec(spec, repr)?))
        }
        other => {
            return Err(crate::error::unsupported(format!(
                "unknown or unsupported codec \"{other}\""
            )))
        }
    };
    Ok(c)
}
