//! The `blosc` bytes->bytes codec, on c-blosc 1.x (the `blosc-src` crate).
//!
//! `{"name": "blosc", "configuration": {"cname": "lz4", "clevel": 5,
//! "shuffle": "shuffle", "typesize": 4, "blocksize": 0}}`.
//!
//! Compressors: `blosclz`, `lz4`, `lz4hc`, `zlib`, `zstd` (`snappy` is not
//! built in). Missing fields are taken leniently: `cname` "lz4", `clevel` 5,
//! `shuffle` "shuffle" ("bitshuffle" for 1-byte types), `typesize` the
//! element size of the chunk, `blocksize` 0 (automatic); `to_json` always
//! writes every field.
//!
//! Decoding reads everything it needs (sizes, type size, shuffle flags,
//! compressor) from the blosc header, never from the configuration. Only
//! the `_ctx` entry points are used, with one internal thread, so no
//! global blosc state is touched and no `blosc_init` is needed.

use super::{codec_json, BytesToBytesCodec, ChunkRepr, CodecSpec, DecodedSize};
use crate::error::{corrupt, internal, invalid_argument, invalid_metadata, unsupported, Result};
use blosc_src::{
    blosc_cbuffer_validate, blosc_compress_ctx, blosc_decompress_ctx, BLOSC_BITSHUFFLE,
    BLOSC_MAX_BLOCKSIZE, BLOSC_MAX_BUFFERSIZE, BLOSC_MAX_OVERHEAD, BLOSC_MAX_TYPESIZE,
    BLOSC_MIN_HEADER_LENGTH, BLOSC_NOSHUFFLE, BLOSC_SHUFFLE,
};
use serde_json::{json, Value};
use std::borrow::Cow;
use std::ffi::{c_int, CStr};

/// A compressor inside blosc.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BloscCompressor {
    BloscLz,
    Lz4,
    Lz4Hc,
    Zlib,
    Zstd,
}

impl BloscCompressor {
    /// Parse a `cname`.
    pub fn from_name(name: &str) -> Result<Self> {
        Ok(match name {
            "blosclz" => BloscCompressor::BloscLz,
            "lz4" => BloscCompressor::Lz4,
            "lz4hc" => BloscCompressor::Lz4Hc,
            "zlib" => BloscCompressor::Zlib,
            "zstd" => BloscCompressor::Zstd,
            "snappy" => return Err(unsupported("codec \"blosc\": cname \"snappy\" is not supported by this build")),
            other => {
                return Err(invalid_metadata(format!(
                    "codec \"blosc\": unknown cname \"{other}\" (expected blosclz, lz4, lz4hc, zlib or zstd)"
                )))
            }
        })
    }

    pub fn name(&self) -> &'static str {
        self.c_name().to_str().unwrap_or("?")
    }

    fn c_name(&self) -> &'static CStr {
        match self {
            BloscCompressor::BloscLz => c"blosclz",
            BloscCompressor::Lz4 => c"lz4",
            BloscCompressor::Lz4Hc => c"lz4hc",
            BloscCompressor::Zlib => c"zlib",
            BloscCompressor::Zstd => c"zstd",
        }
    }
}

/// The shuffle filter blosc applies before compressing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BloscShuffle {
    NoShuffle,
    Shuffle,
    BitShuffle,
}

impl BloscShuffle {
    pub fn from_name(name: &str) -> Result<Self> {
        Ok(match name {
            "noshuffle" => BloscShuffle::NoShuffle,
            "shuffle" => BloscShuffle::Shuffle,
            "bitshuffle" => BloscShuffle::BitShuffle,
            other => {
                return Err(invalid_metadata(format!(
                    "codec \"blosc\": unknown shuffle \"{other}\" (expected noshuffle, shuffle or bitshuffle)"
                )))
            }
        })
    }

    pub fn name(&self) -> &'static str {
        match self {
            BloscShuffle::NoShuffle => "noshuffle",
            BloscShuffle::Shuffle => "shuffle",
            BloscShuffle::BitShuffle => "bitshuffle",
        }
    }

    fn code(&self) -> c_int {
        (match self {
            BloscShuffle::NoShuffle => BLOSC_NOSHUFFLE,
            BloscShuffle::Shuffle => BLOSC_SHUFFLE,
            BloscShuffle::BitShuffle => BLOSC_BITSHUFFLE,
        }) as c_int
    }
}

/// The `blosc` codec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BloscCodec {
    cname: BloscCompressor,
    clevel: u8,
    shuffle: BloscShuffle,
    typesize: usize,
    blocksize: usize,
}

impl BloscCodec {
    /// A codec with the given settings: `clevel` in `0..=9`, `typesize` at
    /// least 1, `blocksize` 0 for automatic.
    pub fn new(
        cname: BloscCompressor,
        clevel: u8,
        shuffle: BloscShuffle,
        typesize: usize,
        blocksize: usize,
    ) -> Result<Self> {
        if clevel > 9 {
            return Err(invalid_metadata(format!(
                "codec \"blosc\": \"clevel\" must be 0..9, got {clevel}"
            )));
        }
        if typesize == 0 {
            return Err(invalid_metadata(
                "codec \"blosc\": \"typesize\" must be at least 1",
            ));
        }
        Ok(BloscCodec {
            cname,
            clevel,
            shuffle,
            typesize,
            blocksize,
        })
    }

    pub fn cname(&self) -> BloscCompressor {
        self.cname
    }
    pub fn clevel(&self) -> u8 {
        self.clevel
    }
    pub fn shuffle(&self) -> BloscShuffle {
        self.shuffle
    }
    pub fn typesize(&self) -> usize {
        self.typesize
    }
    pub fn blocksize(&self) -> usize {
        self.blocksize
    }

    pub fn from_spec(spec: &CodecSpec, repr: &ChunkRepr) -> Result<Self> {
        spec.check_keys(&["cname", "clevel", "shuffle", "typesize", "blocksize"])?;
        let string = |key: &str| -> Result<Option<&str>> {
            match spec.get(key) {
                None => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.as_str())),
                Some(v) => Err(invalid_metadata(format!(
                    "codec \"blosc\": \"{key}\" must be a string, got {v}"
                ))),
            }
        };
        let integer = |key: &str, min: u64, max: u64| -> Result<Option<u64>> {
            match spec.get(key) {
                None => Ok(None),
                Some(v) => v.as_u64().filter(|x| (min..=max).contains(x)).map(Some).ok_or_else(|| {
                    invalid_metadata(format!("codec \"blosc\": \"{key}\" must be an integer in {min}..={max}, got {v}"))
                }),
            }
        };
        let cname = BloscCompressor::from_name(string("cname")?.unwrap_or("lz4"))?;
        let clevel = integer("clevel", 0, 9)?.unwrap_or(5) as u8;
        let typesize = match integer("typesize", 1, u32::MAX as u64)? {
            Some(t) => t as usize,
            None => repr.dtype.size().max(1),
        };
        let shuffle = match string("shuffle")? {
            Some(s) => BloscShuffle::from_name(s)?,
            None if typesize == 1 => BloscShuffle::BitShuffle,
            None => BloscShuffle::Shuffle,
        };
        let blocksize = integer("blocksize", 0, u32::MAX as u64)?.unwrap_or(0) as usize;
        BloscCodec::new(cname, clevel, shuffle, typesize, blocksize)
    }
}

/// Name of the compressor format recorded in a header's flags byte.
/// numcodecs' Blosc configuration (`cname`, `clevel`, `shuffle` as a
/// number, `blocksize`; numcodecs' defaults where absent) as this codec's
/// spec, for items of `typesize` bytes: what a v2 `blosc` compressor
/// means, and a v3 `numcodecs.blosc`, which numcodecs always meets as
/// bytes (typesize 1).
pub fn spec_from_numcodecs(cfg: &serde_json::Map<String, Value>, typesize: usize) -> Result<Value> {
    // -1 lets blosc choose: bit shuffle for one-byte items. Decoding reads
    // the shuffle from each chunk's header either way.
    let shuffle = match cfg.get("shuffle") {
        None => 1,
        Some(v) => v
            .as_i64()
            .ok_or_else(|| invalid_metadata(format!("blosc shuffle {v} is not -1, 0, 1 or 2")))?,
    };
    let shuffle = match shuffle {
        0 => "noshuffle",
        1 => "shuffle",
        2 => "bitshuffle",
        -1 if typesize == 1 => "bitshuffle",
        -1 => "shuffle",
        n => {
            return Err(invalid_metadata(format!(
                "blosc shuffle {n} is not -1, 0, 1 or 2"
            )))
        }
    };
    Ok(json!({"name": "blosc", "configuration": {
        "cname": cfg.get("cname").cloned().unwrap_or("lz4".into()),
        "clevel": cfg.get("clevel").cloned().unwrap_or(5.into()),
        "shuffle": shuffle,
        "typesize": typesize,
        "blocksize": cfg.get("blocksize").cloned().unwrap_or(0.into()),
    }}))
}

fn header_compressor(flags: u8) -> &'static str {
    match flags >> 5 {
        0 => "blosclz",
        1 => "lz4/lz4hc",
        2 => "snappy",
        3 => "zlib",
        4 => "zstd",
        _ => "unknown",
    }
}

/// Check that `input` is a complete blosc buffer and return its decoded
/// size, from the header.
fn validate(input: &[u8]) -> Result<usize> {
    let min = BLOSC_MIN_HEADER_LENGTH as usize;
    if input.len() < min {
        return Err(corrupt(format!(
            "codec \"blosc\": buffer of {} bytes is shorter than the {min}-byte header",
            input.len()
        )));
    }
    let mut nbytes = 0usize;
    // SAFETY: `input` is at least BLOSC_MIN_HEADER_LENGTH bytes long (checked
    // above), and blosc_cbuffer_validate reads only that header (through
    // blosc_cbuffer_sizes) plus the `cbytes` length we pass, which is the
    // slice's true length. `nbytes` is a valid, exclusive out pointer. The
    // function touches no global state.
    let rc = unsafe { blosc_cbuffer_validate(input.as_ptr().cast(), input.len(), &mut nbytes) };
    if rc != 0 {
        let field =
            |i: usize| u32::from_le_bytes([input[i], input[i + 1], input[i + 2], input[i + 3]]);
        return Err(corrupt(format!(
            "codec \"blosc\": invalid header (format version {}, decoded size {}, compressed size {}) \
             for a buffer of {} bytes",
            input[0],
            field(4),
            field(12),
            input.len()
        )));
    }
    if input[2] >> 5 == 2 {
        return Err(unsupported(
            "codec \"blosc\": data compressed with snappy, which this build does not support",
        ));
    }
    Ok(nbytes)
}

/// Decompress a validated `input` whose header says `out.len()` decoded
/// bytes into `out`.
fn decompress(input: &[u8], out: &mut [u8]) -> Result<()> {
    if out.is_empty() {
        return Ok(());
    }
    // SAFETY: `input` passed blosc_cbuffer_validate, which per the c-blosc
    // API guarantees it is safe to call blosc_decompress_ctx on it (its
    // header's compressed size equals the real buffer length, so every read
    // is bounds-checked against it). `out` is a distinct, writable buffer of
    // exactly `out.len()` bytes, passed as `destsize`; c-blosc never writes
    // beyond `destsize`. The _ctx variant with one internal thread uses a
    // stack-local context and no global state.
    let rc = unsafe {
        blosc_decompress_ctx(input.as_ptr().cast(), out.as_mut_ptr().cast(), out.len(), 1)
    };
    if rc < 0 || rc as usize != out.len() {
        return Err(corrupt(format!(
            "codec \"blosc\": decompression failed (code {rc}, compressor {}, {} of {} bytes): corrupt data",
            header_compressor(input[2]),
            rc.max(0),
            out.len()
        )));
    }
    Ok(())
}

impl BytesToBytesCodec for BloscCodec {
    fn to_json(&self) -> Value {
        codec_json(
            "blosc",
            json!({
                "cname": self.cname.name(),
                "clevel": self.clevel,
                "shuffle": self.shuffle.name(),
                "typesize": self.typesize,
                "blocksize": self.blocksize,
            }),
        )
    }

    fn encode(&self, input: Vec<u8>) -> Result<Vec<u8>> {
        self.encode_slice(&input)
    }

    fn encode_slice(&self, input: &[u8]) -> Result<Vec<u8>> {
        if input.len() > BLOSC_MAX_BUFFERSIZE as usize {
            return Err(invalid_argument(format!(
                "codec \"blosc\": cannot compress {} bytes, more than blosc's limit of {BLOSC_MAX_BUFFERSIZE}",
                input.len()
            )));
        }
        let cap = input.len() + BLOSC_MAX_OVERHEAD as usize;
        let mut out = crate::alloc::zeroed(cap)?;
        let blocksize = self.blocksize.min(BLOSC_MAX_BLOCKSIZE as usize);
        // c-blosc keeps the type size in an `int32_t` and takes any size
        // above BLOSC_MAX_TYPESIZE as 1 (no shuffle): one past it says so
        // without the truncation 2^31 and more would suffer.
        let typesize = self.typesize.min(BLOSC_MAX_TYPESIZE as usize + 1);
        // SAFETY: `input` is readable for `input.len()` bytes (the `nbytes`
        // passed) and `out` writable for `cap` bytes (the `destsize`
        // passed); they are distinct allocations, so they do not overlap.
        // c-blosc never writes more than `destsize` bytes. The compressor
        // name is a NUL-terminated 'static C string. clevel is 0..=9,
        // typesize 1..=256, the shuffle code one of blosc's three, and nbytes
        // within BLOSC_MAX_BUFFERSIZE, as blosc requires. blosc_compress_ctx
        // with one internal thread uses only a stack-local context.
        let n = unsafe {
            blosc_compress_ctx(
                self.clevel as c_int,
                self.shuffle.code(),
                typesize,
                input.len(),
                input.as_ptr().cast(),
                out.as_mut_ptr().cast(),
                cap,
                self.cname.c_name().as_ptr(),
                blocksize,
                1,
            )
        };
        if n <= 0 || n as usize > cap {
            return Err(internal(format!(
                "codec \"blosc\": compression with {} failed (code {n})",
                self.cname.name()
            )));
        }
        out.truncate(n as usize);
        Ok(out)
    }

    fn decode<'a>(&self, input: Cow<'a, [u8]>, size: DecodedSize) -> Result<Cow<'a, [u8]>> {
        let nbytes = validate(&input)?;
        if !size.allows(nbytes as u64) {
            return Err(corrupt(format!(
                "codec \"blosc\": header says {nbytes} decoded bytes, {}",
                size.describe()
            )));
        }
        // Zeroed allocation (calloc): pages a corrupt header's size
        // claims, at most BLOSC_MAX_BUFFERSIZE, are not touched before
        // decompression fails.
        let mut out = crate::alloc::zeroed(nbytes)?;
        decompress(&input, &mut out)?;
        Ok(Cow::Owned(out))
    }

    fn decode_into(&self, input: &[u8], out: &mut [u8]) -> Result<bool> {
        let nbytes = validate(input)?;
        if nbytes != out.len() {
            return Err(corrupt(format!(
                "codec \"blosc\": header says {nbytes} decoded bytes, expected {}",
                out.len()
            )));
        }
        decompress(input, out)?;
        Ok(true)
    }

    fn max_encoded_size(&self, decoded_size: u64) -> u64 {
        super::compressed_bound(decoded_size)
    }

    fn encoded_size(&self, _decoded_size: u64) -> Option<u64> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dtype::DataType;
    use crate::error::ErrorKind;

    const CNAMES: [&str; 5] = ["blosclz", "lz4", "lz4hc", "zlib", "zstd"];
    const SHUFFLES: [&str; 3] = ["noshuffle", "shuffle", "bitshuffle"];

    fn spec(v: Value) -> CodecSpec {
        CodecSpec::from_json(&v).unwrap()
    }

    fn repr(dtype: DataType) -> ChunkRepr {
        ChunkRepr::new(vec![10], dtype.clone(), vec![0; dtype.size()])
    }

    fn codec(cfg: Value, dtype: DataType) -> Result<BloscCodec> {
        BloscCodec::from_spec(
            &spec(json!({"name": "blosc", "configuration": cfg})),
            &repr(dtype),
        )
    }

    /// Smooth data (compressible, more so after shuffling).
    fn sample(n: usize) -> Vec<u8> {
        (0..n / 4)
            .flat_map(|i| ((i as f32 * 0.01).sin() * 1000.0).to_le_bytes())
            .chain((0..n % 4).map(|i| i as u8))
            .collect()
    }

    fn decode_into(c: &BloscCodec, input: &[u8], n: usize) -> Result<Vec<u8>> {
        let mut out = vec![0u8; n];
        assert!(c.decode_into(input, &mut out)?);
        Ok(out)
    }

    #[test]
    fn every_cname_and_shuffle_round_trips() {
        for cname in CNAMES {
            for shuffle in SHUFFLES {
                for typesize in [1usize, 2, 4, 8] {
                    let c = codec(
                        json!({"cname": cname, "clevel": 5, "shuffle": shuffle, "typesize": typesize, "blocksize": 0}),
                        DataType::Float32,
                    )
                    .unwrap();
                    for n in [0usize, 1, 7, 1000, 100_003] {
                        let x = sample(n);
                        let enc = c.encode(x.clone()).unwrap();
                        assert!(enc.len() >= 16 && enc.len() <= n + 16);
                        assert_eq!(enc[0], 2, "blosc format version");
                        if n >= 1000 {
                            assert_eq!(enc[3] as usize, typesize);
                        }
                        let dec = c
                            .decode(Cow::Borrowed(&enc), DecodedSize::UNBOUNDED)
                            .unwrap();
                        assert_eq!(dec.as_ref(), &x[..], "{cname} {shuffle} {typesize} {n}");
                        assert_eq!(
                            c.decode(Cow::Owned(enc.clone()), DecodedSize::Exact(n))
                                .unwrap()
                                .as_ref(),
                            &x[..]
                        );
                        assert_eq!(decode_into(&c, &enc, n).unwrap(), x);
                    }
                }
            }
        }
    }

    #[test]
    fn compresses_and_records_settings_in_header() {
        let x: Vec<u8> = (0..50_000u32).flat_map(|i| (i / 3).to_le_bytes()).collect();
        for cname in CNAMES {
            let c = codec(
                json!({"cname": cname, "clevel": 9, "shuffle": "shuffle", "typesize": 4}),
                DataType::Float32,
            )
            .unwrap();
            let enc = c.encode(x.clone()).unwrap();
            assert!(
                enc.len() < x.len() / 2,
                "{cname}: {} of {}",
                enc.len(),
                x.len()
            );
            assert_eq!(enc[2] & BLOSC_SHUFFLE as u8, BLOSC_SHUFFLE as u8);
            assert_eq!(
                u32::from_le_bytes(enc[4..8].try_into().unwrap()) as usize,
                x.len()
            );
            assert_eq!(
                u32::from_le_bytes(enc[12..16].try_into().unwrap()) as usize,
                enc.len()
            );
        }
        // clevel 0 stores the data uncompressed.
        let c = codec(
            json!({"cname": "lz4", "clevel": 0, "shuffle": "noshuffle"}),
            DataType::UInt8,
        )
        .unwrap();
        let enc = c.encode(x.clone()).unwrap();
        assert_eq!(enc.len(), x.len() + 16);
        assert_eq!(
            c.decode(Cow::Borrowed(&enc), DecodedSize::UNBOUNDED)
                .unwrap()
                .as_ref(),
            &x[..]
        );
    }

    #[test]
    fn decoding_uses_the_header_not_the_configuration() {
        let x = sample(50_000);
        let writer = codec(
            json!({"cname": "zstd", "clevel": 3, "shuffle": "bitshuffle", "typesize": 8, "blocksize": 4096}),
            DataType::Float64,
        )
        .unwrap();
        let enc = writer.encode(x.clone()).unwrap();
        let reader = codec(
            json!({"cname": "blosclz", "clevel": 1, "shuffle": "noshuffle", "typesize": 1}),
            DataType::UInt8,
        )
        .unwrap();
        assert_eq!(
            reader
                .decode(Cow::Borrowed(&enc), DecodedSize::UNBOUNDED)
                .unwrap()
                .as_ref(),
            &x[..]
        );
        assert_eq!(decode_into(&reader, &enc, x.len()).unwrap(), x);
    }

    #[test]
    fn explicit_blocksizes() {
        let x = sample(100_000);
        for blocksize in [0usize, 1, 256, 4096, 65536, 1 << 20, u32::MAX as usize] {
            let c = codec(
                json!({"cname": "lz4", "clevel": 5, "shuffle": "shuffle", "typesize": 4, "blocksize": blocksize}),
                DataType::Float32,
            )
            .unwrap();
            let enc = c.encode(x.clone()).unwrap();
            assert_eq!(
                c.decode(Cow::Borrowed(&enc), DecodedSize::Exact(x.len()))
                    .unwrap()
                    .as_ref(),
                &x[..],
                "{blocksize}"
            );
        }
    }

    #[test]
    fn odd_typesizes() {
        let x = sample(30_001);
        // Sizes past c-blosc's int32_t among them (they hung or scrambled
        // the bytes when passed on as they are).
        for typesize in [3usize, 16, 255, 256, 1000, 1 << 31, u32::MAX as usize] {
            for shuffle in SHUFFLES {
                let c = codec(
                    json!({"cname": "lz4", "clevel": 5, "shuffle": shuffle, "typesize": typesize}),
                    DataType::UInt8,
                )
                .unwrap();
                let enc = c.encode(x.clone()).unwrap();
                assert_eq!(
                    decode_into(&c, &enc, x.len()).unwrap(),
                    x,
                    "{typesize} {shuffle}"
                );
            }
        }
    }

    #[test]
    fn truncated_and_corrupt_input_is_an_error() {
        let x = sample(3_000);
        for cname in CNAMES {
            for shuffle in SHUFFLES {
                let c = codec(
                    json!({"cname": cname, "clevel": 5, "shuffle": shuffle, "typesize": 4}),
                    DataType::Float32,
                )
                .unwrap();
                let enc = c.encode(x.clone()).unwrap();
                // Every truncation is rejected.
                for cut in (0..enc.len()).filter(|c| *c < 40 || c % 13 == 0 || *c + 8 > enc.len()) {
                    let t = &enc[..cut];
                    assert_eq!(
                        c.decode(Cow::Borrowed(t), DecodedSize::UNBOUNDED)
                            .unwrap_err()
                            .kind(),
                        ErrorKind::Corrupt
                    );
                    assert!(decode_into(&c, t, x.len()).is_err());
                }
                // Trailing bytes too (the header's size no longer matches).
                let mut long = enc.clone();
                long.push(0);
                assert!(c
                    .decode(Cow::Borrowed(&long), DecodedSize::UNBOUNDED)
                    .is_err());
                // Flipped bytes never crash; those in the header and block
                // offsets are detected.
                for i in (0..enc.len()).filter(|i| *i < 64 || i % 11 == 0) {
                    for delta in [1u8, 0xff] {
                        let mut b = enc.clone();
                        b[i] = b[i].wrapping_add(delta);
                        let r = c.decode(Cow::Borrowed(&b), DecodedSize::UNBOUNDED);
                        let mut out = vec![0u8; x.len()];
                        let r2 = c.decode_into(&b, &mut out);
                        if i == 0 || (4..8).contains(&i) || (12..16).contains(&i) {
                            assert!(r.is_err() || r2.is_err(), "{cname} {shuffle} byte {i}");
                        }
                    }
                }
            }
        }
        let c = codec(json!({}), DataType::Float32).unwrap();
        assert!(c
            .decode(Cow::Borrowed(&[]), DecodedSize::UNBOUNDED)
            .is_err());
        assert!(c
            .decode(
                Cow::Borrowed(b"garbage garbage garbage"),
                DecodedSize::UNBOUNDED
            )
            .is_err());
        assert!(c
            .decode(Cow::Borrowed(&[0u8; 64]), DecodedSize::UNBOUNDED)
            .is_err());
        // A header claiming the maximum size is bounded by the hint.
        let mut fake = vec![2u8, 1, 0x20, 4];
        fake.extend(0x7fff_0000u32.to_le_bytes());
        fake.extend(0x1000u32.to_le_bytes());
        fake.extend(32u32.to_le_bytes());
        fake.extend([0u8; 16]);
        assert!(c
            .decode(Cow::Borrowed(&fake), DecodedSize::Exact(100))
            .is_err());
        assert!(decode_into(&c, &fake, 100).is_err());
    }

    #[test]
    fn wrong_size_hint_is_an_error() {
        let c = codec(
            json!({"cname": "zstd", "clevel": 1, "shuffle": "shuffle"}),
            DataType::Int32,
        )
        .unwrap();
        let x = sample(4000);
        let enc = c.encode(x.clone()).unwrap();
        for n in [0, 3999, 4001] {
            assert_eq!(
                c.decode(Cow::Borrowed(&enc), DecodedSize::Exact(n))
                    .unwrap_err()
                    .kind(),
                ErrorKind::Corrupt
            );
            assert!(decode_into(&c, &enc, n).is_err());
        }
    }

    #[test]
    fn configs() {
        // typesize defaults to the element size.
        let c = codec(
            json!({"cname": "lz4", "clevel": 5, "shuffle": "shuffle"}),
            DataType::Float64,
        )
        .unwrap();
        assert_eq!(c.typesize(), 8);
        assert_eq!(
            c.to_json(),
            json!({"name": "blosc", "configuration":
                {"cname": "lz4", "clevel": 5, "shuffle": "shuffle", "typesize": 8, "blocksize": 0}})
        );
        assert_eq!(
            BloscCodec::from_spec(&spec(c.to_json()), &repr(DataType::UInt8)).unwrap(),
            c
        );
        // Lenient defaults for everything.
        let c = codec(json!({}), DataType::UInt8).unwrap();
        assert_eq!(
            (
                c.cname(),
                c.clevel(),
                c.shuffle(),
                c.typesize(),
                c.blocksize()
            ),
            (BloscCompressor::Lz4, 5, BloscShuffle::BitShuffle, 1, 0)
        );
        assert_eq!(
            codec(json!({}), DataType::Int16).unwrap().shuffle(),
            BloscShuffle::Shuffle
        );
        // zarr-python's form.
        let c = codec(
            json!({"typesize": 4, "cname": "zstd", "clevel": 5, "shuffle": "shuffle", "blocksize": 0}),
            DataType::Float32,
        )
        .unwrap();
        assert_eq!(c.cname(), BloscCompressor::Zstd);

        assert_eq!(
            codec(json!({"cname": "snappy"}), DataType::UInt8)
                .unwrap_err()
                .kind(),
            ErrorKind::Unsupported
        );
        for cfg in [
            json!({"cname": "lzma"}),
            json!({"cname": 1}),
            json!({"clevel": 10}),
            json!({"clevel": -1}),
            json!({"clevel": "5"}),
            json!({"shuffle": "byteshuffle"}),
            json!({"shuffle": 1}),
            json!({"typesize": 0}),
            json!({"typesize": 2.5}),
            json!({"blocksize": -1}),
            json!({"blocksize": "auto"}),
            json!({"cname": "lz4", "level": 5}),
        ] {
            let e = codec(cfg.clone(), DataType::UInt8).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidMetadata, "{cfg}");
            assert!(e.message().contains("blosc"), "{}", e.message());
        }
        assert!(BloscCodec::new(BloscCompressor::Lz4, 10, BloscShuffle::Shuffle, 4, 0).is_err());
        assert!(BloscCodec::new(BloscCompressor::Lz4, 1, BloscShuffle::Shuffle, 0, 0).is_err());
        assert_eq!(c.encoded_size(5), None);
    }

    #[test]
    fn concurrent_use() {
        let c = std::sync::Arc::new(
            codec(
                json!({"cname": "zstd", "clevel": 5, "shuffle": "bitshuffle", "typesize": 4}),
                DataType::Float32,
            )
            .unwrap(),
        );
        let handles: Vec<_> = (0..4)
            .map(|t| {
                let c = c.clone();
                std::thread::spawn(move || {
                    for i in 0..20 {
                        let x = sample(10_000 + t * 100 + i);
                        let enc = c.encode(x.clone()).unwrap();
                        assert_eq!(
                            c.decode(Cow::Owned(enc), DecodedSize::UNBOUNDED)
                                .unwrap()
                                .as_ref(),
                            &x[..]
                        );
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
    }
}
