//! The `zstd` bytes->bytes codec: `{"name": "zstd", "configuration":
//! {"level": int, "checksum": bool}}` (both optional: level 0, the zstd
//! default, and no checksum).
//!
//! Decoding accepts frames with and without a content size in their header
//! (the latter come from streaming compressors) and concatenated frames.

use super::zstd_compressor::{compress_bound, Compressor};
use super::zstd_pieces::{check, output_overflowed, ZstdPieces};
use super::{codec_json, BytesToBytesCodec, CodecSpec, DecodedSize, PieceDecoder};
use crate::error::{corrupt, internal, invalid_metadata, Result};
use serde_json::{json, Value};
use std::borrow::Cow;
use std::cell::RefCell;

/// The `zstd` codec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZstdCodec {
    level: i32,
    checksum: bool,
}

/// The most output one byte of a zstd frame can produce: every block (at
/// most 128 KiB of output) costs at least its 3-byte header plus one byte.
const MAX_RATIO_BLOCK: u64 = 128 * 1024;

impl ZstdCodec {
    pub fn new(level: i32, checksum: bool) -> Self {
        ZstdCodec { level, checksum }
    }

    pub fn level(&self) -> i32 {
        self.level
    }

    pub fn checksum(&self) -> bool {
        self.checksum
    }

    pub fn from_spec(spec: &CodecSpec) -> Result<Self> {
        spec.check_keys(&["level", "checksum"])?;
        let level = match spec.get("level") {
            None => 0,
            Some(v) => v
                .as_i64()
                .and_then(|l| i32::try_from(l).ok())
                .ok_or_else(|| {
                    invalid_metadata(format!(
                        "codec \"zstd\": \"level\" must be an integer, got {v}"
                    ))
                })?,
        };
        let checksum = match spec.get("checksum") {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(v) => {
                return Err(invalid_metadata(format!(
                    "codec \"zstd\": \"checksum\" must be a boolean, got {v}"
                )))
            }
        };
        Ok(ZstdCodec { level, checksum })
    }
}

fn zstd_error(e: impl std::fmt::Display) -> crate::error::Error {
    corrupt(format!("codec \"zstd\": invalid compressed data: {e}"))
}

fn size_mismatch(got: impl std::fmt::Display, expected: usize) -> crate::error::Error {
    corrupt(format!(
        "codec \"zstd\": decoded size is {got} bytes, expected {expected}"
    ))
}

/// The first frame of `rest` and the bytes after it; None when `rest` does
/// not start with a whole frame.
pub(super) fn split_frame(rest: &[u8]) -> Option<(&[u8], &[u8])> {
    match zstd::zstd_safe::find_frame_compressed_size(rest) {
        Ok(len) if len > 0 && len <= rest.len() => Some(rest.split_at(len)),
        _ => None,
    }
}

/// The total decoded size recorded in the frame headers of `input`:
/// `Ok(Some(n))` when every frame records it, `Ok(None)` when one does not
/// (the data is then decoded by streaming).
fn content_size(input: &[u8]) -> Result<Option<u64>> {
    let not_zstd = |what: &str| {
        corrupt(format!(
            "codec \"zstd\": input of {} bytes is not valid zstd data ({what})",
            input.len()
        ))
    };
    if input.is_empty() {
        return Err(not_zstd("empty"));
    }
    let mut total = 0u64;
    let mut rest = input;
    while !rest.is_empty() {
        // Skippable frames report a content size of 0.
        match zstd::zstd_safe::get_frame_content_size(rest) {
            Ok(Some(n)) => {
                total = total
                    .checked_add(n)
                    .ok_or_else(|| not_zstd("sizes overflow"))?
            }
            Ok(None) => return Ok(None),
            Err(_) => return Err(not_zstd("bad frame header")),
        }
        match split_frame(rest) {
            Some((_, after)) => rest = after,
            None => return Err(not_zstd("truncated or corrupt frame")),
        }
    }
    // A header claiming more than the data could possibly expand to is
    // corrupt; do not try to allocate it.
    let bound = (input.len() as u64 / 4 + 1).saturating_mul(MAX_RATIO_BLOCK);
    if total > bound {
        return Err(corrupt(format!(
            "codec \"zstd\": frame headers claim {total} decoded bytes from {} compressed bytes",
            input.len()
        )));
    }
    Ok(Some(total))
}

/// Decompress the frames into `out`, whose size is known (recorded in
/// the frames or given by the pipeline) and must come out exactly.
fn decompress_bulk(input: &[u8], out: &mut [u8]) -> Result<()> {
    thread_local! {
        // One decompression context per thread, reused for every chunk.
        static DCTX: RefCell<Option<zstd::zstd_safe::DCtx<'static>>> = const { RefCell::new(None) };
    }
    let n = DCTX.with(|cell| -> Result<usize> {
        let mut slot = cell.borrow_mut();
        let d = match &mut *slot {
            Some(d) => d,
            None => slot.insert(zstd::zstd_safe::DCtx::try_create().ok_or_else(|| {
                internal("codec \"zstd\": cannot create a decompression context")
            })?),
        };
        d.decompress(out, input).map_err(|code| {
            if output_overflowed(code) {
                corrupt(format!(
                    "codec \"zstd\": decoded size is more than the {} bytes expected",
                    out.len()
                ))
            } else {
                check(code).err().unwrap_or_else(|| zstd_error(code))
            }
        })
    })?;
    if n != out.len() {
        return Err(size_mismatch(n, out.len()));
    }
    Ok(())
}

/// A streaming decoder for frames that do not record their size, taking
/// any window zstd defines (streaming compressors declare windows past
/// the 2^27 bytes zstd's decoder takes by default, `zstd --long=31` up to
/// 2^31, which other readers decode). The window buffer is only touched
/// as far as the output reaches, which the caller bounds.
fn stream_decoder(input: &[u8]) -> Result<zstd::stream::read::Decoder<'_, &[u8]>> {
    let mut d = zstd::stream::read::Decoder::with_buffer(input)
        .map_err(|e| internal(format!("codec \"zstd\": {e}")))?;
    // zstd's ZSTD_WINDOWLOG_MAX: 31 on 64-bit machines, 30 on 32-bit.
    let most = if usize::BITS == 64 { 31 } else { 30 };
    d.window_log_max(most)
        .map_err(|e| internal(format!("codec \"zstd\": {e}")))?;
    Ok(d)
}

impl BytesToBytesCodec for ZstdCodec {
    fn to_json(&self) -> Value {
        codec_json(
            "zstd",
            json!({ "level": self.level, "checksum": self.checksum }),
        )
    }

    fn encode(&self, input: Vec<u8>) -> Result<Vec<u8>> {
        self.encode_slice(&input)
    }

    fn encode_slice(&self, input: &[u8]) -> Result<Vec<u8>> {
        thread_local! {
            // Compressed output goes to a reused buffer of the worst-case
            // size, then only the real size is copied out: a fresh
            // worst-case buffer per chunk costs more in page faults than
            // the compression. (Kept up to the scratch buffers' limit.)
            static OUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
            // One compression context per thread, kept for its settings.
            static CCTX: RefCell<Option<(i32, bool, Compressor)>> = const { RefCell::new(None) };
        }
        CCTX.with(|cell| {
            let mut slot = cell.borrow_mut();
            if !matches!(&*slot, Some((l, c, _)) if *l == self.level && *c == self.checksum) {
                *slot = Some((
                    self.level,
                    self.checksum,
                    Compressor::new(self.level, self.checksum)?,
                ));
            }
            let (_, _, c) = slot.as_mut().expect("set above");
            OUT.with(|out| {
                let mut out = out.borrow_mut();
                let bound = compress_bound(input.len());
                if out.len() < bound {
                    crate::alloc::resize_zeroed(&mut out, bound)?;
                }
                let n = c.compress(input, &mut out[..bound]);
                let encoded = n.and_then(|n| crate::alloc::copied(&out[..n]));
                crate::scratch::release_if_large(&mut out);
                encoded
            })
        })
    }

    fn decode<'a>(&self, input: Cow<'a, [u8]>, size: DecodedSize) -> Result<Cow<'a, [u8]>> {
        // The decoded size: the frames' own claim, checked before it is
        // believed, or the pipeline's when the frames do not record it.
        let known = match content_size(&input)? {
            Some(n) if !size.allows(n) => {
                return Err(corrupt(format!(
                    "codec \"zstd\": the frame header claims {n} decoded bytes, {}",
                    size.describe()
                )))
            }
            // `n` fits `size`, hence a usize.
            Some(n) => Some(n as usize),
            None => size.exact(),
        };
        match known {
            // One pass into a buffer of that size, which needs no window
            // buffer (the allocation can still be more than the machine has).
            Some(n) => {
                let mut out = crate::alloc::zeroed(n)?;
                decompress_bulk(&input, &mut out)?;
                Ok(Cow::Owned(out))
            }
            None => Ok(Cow::Owned(size.read_all("zstd", stream_decoder(&input)?)?)),
        }
    }

    /// In one pass straight into `out`, whether the frames record their
    /// size or not (a frame that runs past `out` is an error of zstd's).
    fn decode_into(&self, input: &[u8], out: &mut [u8]) -> Result<bool> {
        if let Some(n) = content_size(input)? {
            if n != out.len() as u64 {
                return Err(size_mismatch(n, out.len()));
            }
        }
        decompress_bulk(input, out)?;
        Ok(true)
    }

    fn decodes_in_pieces(&self) -> bool {
        true
    }

    fn piece_decoder<'a>(
        &self,
        input: &'a [u8],
        expected: usize,
    ) -> Result<Option<Box<dyn PieceDecoder + 'a>>> {
        Ok(ZstdPieces::new(input, expected)?.map(|p| Box::new(p) as Box<dyn PieceDecoder>))
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
    use crate::error::ErrorKind;
    use std::io::Write;

    fn spec(v: Value) -> CodecSpec {
        CodecSpec::from_json(&v).unwrap()
    }

    fn sample(n: usize) -> Vec<u8> {
        (0..n)
            .map(|i| ((i / 11) as u8).wrapping_mul(7) ^ (i % 3) as u8)
            .collect()
    }

    fn decode_into(c: &ZstdCodec, input: &[u8], n: usize) -> Result<Vec<u8>> {
        let mut out = vec![0u8; n];
        assert!(c.decode_into(input, &mut out)?);
        Ok(out)
    }

    /// A piece size for the tests (the read path's is the same).
    const PIECE: usize = 128 << 10;

    /// Decoded through a piece decoder, at most `PIECE` bytes at a time.
    fn stream(c: &ZstdCodec, input: &[u8]) -> Result<Vec<u8>> {
        stream_by(c, input, usize::MAX, PIECE)
    }

    /// Decoded through a piece decoder told to expect `expected` bytes, at
    /// most `max` bytes at a time.
    fn stream_by(c: &ZstdCodec, input: &[u8], expected: usize, max: usize) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        let mut dec = c.piece_decoder(input, expected)?.unwrap();
        loop {
            let piece = dec.next_piece(max)?;
            if piece.is_empty() {
                return Ok(out);
            }
            assert!(piece.len() <= max);
            out.extend_from_slice(piece);
        }
    }

    /// Copy the decoder's next bytes into `out` as a caller that copies
    /// would, filling as much of it as the data has left.
    fn read(dec: &mut Box<dyn PieceDecoder + '_>, out: &mut [u8]) -> Result<usize> {
        let mut filled = 0;
        while filled < out.len() {
            let piece = dec.next_piece(out.len() - filled)?;
            if piece.is_empty() {
                break;
            }
            out[filled..filled + piece.len()].copy_from_slice(piece);
            filled += piece.len();
        }
        Ok(filled)
    }

    fn check_all(c: &ZstdCodec, enc: &[u8], x: &[u8]) {
        assert_eq!(stream(c, enc).unwrap(), x);
        // Pieces as large as the decoder has them (how the read path
        // places a chunk into its destination's rows).
        assert_eq!(stream_by(c, enc, x.len(), usize::MAX).unwrap(), x);
        assert_eq!(
            c.decode(Cow::Borrowed(enc), DecodedSize::UNBOUNDED)
                .unwrap()
                .as_ref(),
            x
        );
        assert_eq!(
            c.decode(Cow::Owned(enc.to_vec()), DecodedSize::Exact(x.len()))
                .unwrap()
                .as_ref(),
            x
        );
        assert_eq!(decode_into(c, enc, x.len()).unwrap(), x);
    }

    /// A frame written by the streaming encoder, without a content size.
    fn streamed(x: &[u8], checksum: bool) -> Vec<u8> {
        let mut e = zstd::stream::write::Encoder::new(Vec::new(), 3).unwrap();
        e.include_contentsize(false).unwrap();
        e.include_checksum(checksum).unwrap();
        // Write in pieces so the frame has several blocks.
        for part in x.chunks(50_000) {
            e.write_all(part).unwrap();
        }
        e.finish().unwrap()
    }

    #[test]
    fn round_trips() {
        for (level, checksum) in [
            (0, false),
            (1, true),
            (3, false),
            (-5, true),
            (19, false),
            (22, true),
        ] {
            let c = ZstdCodec::from_spec(&spec(
                json!({"name": "zstd", "configuration": {"level": level, "checksum": checksum}}),
            ))
            .unwrap();
            for n in [0usize, 1, 1000, 300_000] {
                let x = sample(n);
                let enc = c.encode(x.clone()).unwrap();
                assert_eq!(&enc[..4], &[0x28, 0xb5, 0x2f, 0xfd], "zstd magic");
                assert_eq!(
                    zstd::zstd_safe::get_frame_content_size(&enc).unwrap(),
                    Some(n as u64)
                );
                check_all(&c, &enc, &x);
            }
        }
    }

    #[test]
    fn checksum_flag_is_written_and_checked() {
        let x = sample(10_000);
        let with = ZstdCodec::new(3, true).encode(x.clone()).unwrap();
        let without = ZstdCodec::new(3, false).encode(x.clone()).unwrap();
        assert_eq!(with.len(), without.len() + 4);
        // Frame header descriptor bit 2 is the checksum flag.
        assert_ne!(with[4] & 0x04, 0);
        assert_eq!(without[4] & 0x04, 0);
        let mut bad = with.clone();
        let k = bad.len() - 1;
        bad[k] ^= 1;
        let c = ZstdCodec::new(0, false);
        assert_eq!(
            c.decode(Cow::Borrowed(&bad), DecodedSize::UNBOUNDED)
                .unwrap_err()
                .kind(),
            ErrorKind::Corrupt
        );
        assert!(decode_into(&c, &bad, x.len()).is_err());
        assert!(stream(&c, &bad).is_err());
    }

    #[test]
    fn streaming_frames_without_content_size() {
        let c = ZstdCodec::new(0, false);
        for n in [0usize, 10, 200_000] {
            let x = sample(n);
            for checksum in [false, true] {
                let enc = streamed(&x, checksum);
                assert_eq!(zstd::zstd_safe::get_frame_content_size(&enc).unwrap(), None);
                check_all(&c, &enc, &x);
                if n > 0 {
                    assert!(c
                        .decode(Cow::Borrowed(&enc), DecodedSize::Exact(n - 1))
                        .is_err());
                    assert!(c
                        .decode(Cow::Borrowed(&enc), DecodedSize::Exact(n + 1))
                        .is_err());
                    assert!(decode_into(&c, &enc, n - 1).is_err());
                    assert!(decode_into(&c, &enc, n + 1).is_err());
                    assert!(c
                        .decode(Cow::Borrowed(&enc[..enc.len() - 3]), DecodedSize::UNBOUNDED)
                        .is_err());
                    assert!(decode_into(&c, &enc[..enc.len() - 3], n).is_err());
                    assert!(stream(&c, &enc[..enc.len() - 3]).is_err());
                }
            }
        }
    }

    #[test]
    fn streaming_ends_cleanly_on_a_piece_boundary() {
        // Output that fills the last piece exactly, in one frame and in two.
        let c = ZstdCodec::new(1, false);
        let x = sample(3 * PIECE);
        let enc = c.encode(x.clone()).unwrap();
        assert_eq!(stream(&c, &enc).unwrap(), x);
        let mut two = c.encode(x[..PIECE].to_vec()).unwrap();
        two.extend(c.encode(x[PIECE..].to_vec()).unwrap());
        assert_eq!(stream(&c, &two).unwrap(), x);
    }

    #[test]
    fn inputs_decode_in_step_in_any_piece_sizes() {
        // Six inputs (one of two frames) decoded alternately on one
        // thread, more than the pool keeps, in pieces of changing sizes.
        let c = ZstdCodec::new(1, false);
        let xs: Vec<Vec<u8>> = (0..6).map(|k| sample(300_000 + k * 1000)).collect();
        let mut encs: Vec<Vec<u8>> = xs.iter().map(|x| c.encode(x.clone()).unwrap()).collect();
        encs[1] = c.encode(xs[1][..1000].to_vec()).unwrap();
        encs[1].extend(c.encode(xs[1][1000..].to_vec()).unwrap());
        let mut decs: Vec<_> = encs
            .iter()
            .map(|e| c.piece_decoder(e, usize::MAX).unwrap().unwrap())
            .collect();
        let mut outs = vec![Vec::new(); xs.len()];
        let mut buf = vec![0u8; 70_000];
        for step in 0.. {
            let mut any = false;
            for (dec, out) in decs.iter_mut().zip(&mut outs) {
                let n = [1, 4096, 70_000, 999][step % 4];
                let got = read(dec, &mut buf[..n]).unwrap();
                out.extend_from_slice(&buf[..got]);
                any |= got > 0;
            }
            if !any {
                break;
            }
        }
        assert_eq!(outs, xs);
        // A finished decoder keeps answering 0.
        assert_eq!(read(&mut decs[0], &mut buf).unwrap(), 0);
        drop(decs);
        // Pooled contexts left mid-frame or after an error decode the next
        // input from its start.
        let mut half = c.piece_decoder(&encs[2], xs[2].len()).unwrap().unwrap();
        assert_eq!(read(&mut half, &mut buf[..5000]).unwrap(), 5000);
        drop(half);
        assert!(stream(&c, &encs[3][..encs[3].len() / 2]).is_err());
        for (enc, x) in encs.iter().zip(&xs) {
            assert_eq!(&stream(&c, enc).unwrap(), x);
        }
    }

    /// Data that refers back `reach` bytes: stretches of noise, two of
    /// every three repeating what came `reach` bytes before.
    fn far_repeats(n: usize, reach: usize) -> Vec<u8> {
        let mut x = Vec::with_capacity(n);
        let mut h = 0x9e37_79b9_u32;
        for i in 0..n {
            if i >= reach && (i / 40_000) % 3 != 0 {
                x.push(x[i - reach]);
            } else {
                h ^= h << 13;
                h ^= h >> 17;
                h ^= h << 5;
                x.push((h >> 24) as u8);
            }
        }
        x
    }

    /// `x` as one frame with its content size and a window of 2^`log`.
    fn with_window(x: &[u8], log: u32, checksum: bool) -> Vec<u8> {
        use zstd::zstd_safe::CParameter;
        let mut bulk = zstd::bulk::Compressor::new(3).unwrap();
        bulk.set_parameter(CParameter::WindowLog(log)).unwrap();
        bulk.set_parameter(CParameter::ChecksumFlag(checksum))
            .unwrap();
        bulk.compress(x).unwrap()
    }

    #[test]
    fn frames_longer_than_the_ring_refer_back_across_its_wrap() {
        // A 128 KiB window: the piece decoder's ring holds a window and two
        // blocks, so 3 MiB of output goes round it many times, with
        // matches reaching back across the point where it wraps.
        let x = far_repeats(3 << 20, 120_000);
        let sized = with_window(&x, 17, true);
        assert_eq!(
            zstd::zstd_safe::get_frame_content_size(&sized).unwrap(),
            Some(x.len() as u64)
        );
        let mut e = zstd::stream::write::Encoder::new(Vec::new(), 3).unwrap();
        e.window_log(17).unwrap();
        e.include_contentsize(false).unwrap();
        e.write_all(&x).unwrap();
        let unsized_ = e.finish().unwrap();
        assert_eq!(
            zstd::zstd_safe::get_frame_content_size(&unsized_).unwrap(),
            None
        );
        let c = ZstdCodec::new(0, false);
        // The repeats were found (a third of the data is noise).
        assert!(sized.len() < x.len() * 5 / 9);
        assert!(unsized_.len() < x.len() * 3 / 4);
        for enc in [&sized, &unsized_] {
            check_all(&c, enc, &x);
        }
        // Both frames one after the other, a skippable frame between them
        // (ignored by every decoder).
        let mut both = sized.clone();
        both.extend([0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 7, 7, 7]);
        both.extend(&unsized_);
        check_all(&c, &both, &[&x[..], &x[..]].concat());
        // A flipped bit in the middle is an error, not wrong data.
        let mut bad = sized.clone();
        let k = bad.len() / 2;
        bad[k] ^= 0x10;
        assert!(stream(&c, &bad).is_err());
    }

    #[test]
    fn pieces_span_blocks_until_the_ring_wraps() {
        // 200,000-byte pieces of a frame of 128 KiB blocks with a 1 MiB
        // window: a piece spans two blocks in the ring, except where the
        // ring wraps between them; there the caller copies instead.
        let x = far_repeats(3 << 20, 120_000);
        let enc = with_window(&x, 20, false);
        let mut dec = ZstdCodec::new(0, false)
            .piece_decoder(&enc, x.len())
            .unwrap()
            .unwrap();
        let (mut out, mut whole, mut split) = (Vec::new(), 0, 0);
        while out.len() < x.len() {
            let want = 200_000.min(x.len() - out.len());
            if dec.ready(want).unwrap() >= want {
                let piece = dec.next_piece(want).unwrap();
                assert_eq!(piece.len(), want);
                out.extend_from_slice(piece);
                whole += 1;
            } else {
                let mut buf = vec![0u8; want];
                assert_eq!(read(&mut dec, &mut buf).unwrap(), want);
                out.extend_from_slice(&buf);
                split += 1;
            }
        }
        assert_eq!(out, x);
        assert_eq!(dec.ready(1).unwrap(), 0);
        assert!(dec.next_piece(1).unwrap().is_empty());
        assert!(
            split > 0 && whole > 2 * split,
            "{whole} whole, {split} copied"
        );
    }

    #[test]
    fn concatenated_frames() {
        let c = ZstdCodec::new(5, true);
        let x = sample(100_000);
        // Both frames with content sizes.
        let mut two = c.encode(x[..30_000].to_vec()).unwrap();
        two.extend(c.encode(x[30_000..].to_vec()).unwrap());
        check_all(&c, &two, &x);
        // One with and one without.
        let mut mixed = c.encode(x[..30_000].to_vec()).unwrap();
        mixed.extend(streamed(&x[30_000..], false));
        check_all(&c, &mixed, &x);
        let mut mixed = streamed(&x[..30_000], true);
        mixed.extend(c.encode(x[30_000..].to_vec()).unwrap());
        check_all(&c, &mixed, &x);
    }

    #[test]
    fn frames_without_their_size_and_with_a_large_window() {
        use std::io::Write;
        let c = ZstdCodec::new(1, false);
        let x = sample(300_000);
        // As `zstd --long=28` writes from a pipe: no content size, a
        // window of 2^28 declared, past zstd's default streaming limit.
        let mut e = zstd::stream::write::Encoder::new(Vec::new(), 3).unwrap();
        e.include_contentsize(false).unwrap();
        e.set_parameter(zstd::zstd_safe::CParameter::WindowLog(28))
            .unwrap();
        e.write_all(&x).unwrap();
        let enc = e.finish().unwrap();
        assert_eq!(content_size(&enc).unwrap(), None);
        assert_eq!(decode_into(&c, &enc, x.len()).unwrap(), x);
        for size in [DecodedSize::Exact(x.len()), DecodedSize::UNBOUNDED] {
            assert_eq!(&*c.decode(Cow::Borrowed(&enc), size).unwrap(), &x[..]);
        }
        let e = decode_into(&c, &enc, x.len() - 1).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Corrupt);
        assert!(e.to_string().contains("more than the 299999 bytes"), "{e}");
    }

    #[test]
    fn size_mismatch_and_corruption_are_errors() {
        let c = ZstdCodec::new(1, false);
        let x = sample(5000);
        let enc = c.encode(x.clone()).unwrap();
        for n in [4999, 5001, 0] {
            assert_eq!(
                c.decode(Cow::Borrowed(&enc), DecodedSize::Exact(n))
                    .unwrap_err()
                    .kind(),
                ErrorKind::Corrupt
            );
            assert_eq!(
                decode_into(&c, &enc, n).unwrap_err().kind(),
                ErrorKind::Corrupt
            );
        }
        for cut in [0, 1, 3, 4, 5, 8, enc.len() / 2, enc.len() - 1] {
            let t = &enc[..cut];
            assert!(
                c.decode(Cow::Borrowed(t), DecodedSize::UNBOUNDED).is_err(),
                "cut {cut}"
            );
            assert!(
                c.decode(Cow::Borrowed(t), DecodedSize::Exact(5000))
                    .is_err(),
                "cut {cut}"
            );
            assert!(decode_into(&c, t, 5000).is_err(), "cut {cut}");
            assert!(stream(&c, t).is_err(), "cut {cut}");
        }
        assert!(stream(&c, b"definitely not zstd").is_err());
        // Bytes after the last frame that are not a frame.
        assert!(stream(&c, &[&enc[..], b"junk"].concat()).is_err());
        assert!(c
            .decode(
                Cow::Borrowed(b"definitely not zstd"),
                DecodedSize::UNBOUNDED
            )
            .is_err());
        for i in 0..enc.len() {
            for delta in [1u8, 0x80] {
                let mut b = enc.clone();
                b[i] = b[i].wrapping_add(delta);
                let _ = c.decode(Cow::Borrowed(&b), DecodedSize::UNBOUNDED);
                let _ = c.decode(Cow::Borrowed(&b), DecodedSize::Exact(5000));
                let mut out = vec![0u8; 5000];
                let _ = c.decode_into(&b, &mut out);
                let _ = stream(&c, &b);
            }
        }
        // A header claiming an absurd content size is rejected, not allocated.
        let mut huge = vec![0x28, 0xb5, 0x2f, 0xfd, 0xc0]; // single segment, 8-byte FCS
        huge.extend((1u64 << 50).to_le_bytes());
        huge.extend([1, 0, 0]); // a last raw block of size 0
        assert!(c
            .decode(Cow::Borrowed(&huge), DecodedSize::UNBOUNDED)
            .is_err());
    }

    #[test]
    fn configs() {
        let c = ZstdCodec::from_spec(&spec(json!({"name": "zstd", "configuration": {}}))).unwrap();
        assert_eq!(c, ZstdCodec::new(0, false));
        let c = ZstdCodec::from_spec(&spec(json!({"name": "zstd"}))).unwrap();
        assert_eq!(
            c.to_json(),
            json!({"name": "zstd", "configuration": {"level": 0, "checksum": false}})
        );
        let c = ZstdCodec::from_spec(&spec(
            json!({"name": "zstd", "configuration": {"level": -3, "checksum": true}}),
        ))
        .unwrap();
        assert_eq!((c.level(), c.checksum()), (-3, true));
        assert_eq!(ZstdCodec::from_spec(&spec(c.to_json())).unwrap(), c);
        // Levels outside the specification are read, and refused for new
        // arrays, at any depth.
        for level in [-131073, -131072, 22, 23, 100] {
            let c = ZstdCodec::from_spec(&spec(
                json!({"name": "zstd", "configuration": {"level": level}}),
            ))
            .unwrap();
            assert_eq!(c.level(), level);
            let nested = json!([{"name": "sharding_indexed", "configuration": {"codecs": [
                {"name": "bytes"}, {"name": "numcodecs.zstd", "configuration": {"level": level}}]}}]);
            assert_eq!(
                crate::codec::check_settings_for_writing(&nested).is_ok(),
                (-131072..=22).contains(&level),
                "{level}"
            );
        }
        // So are blosc blocksizes other readers refuse.
        for (blocksize, ok) in [
            (0u64, true),
            (715_827_542, true),
            (715_827_543, false),
            (1 << 31, false),
        ] {
            let nested = json!([{"name": "sharding_indexed", "configuration": {"codecs": [
                {"name": "bytes"}, {"name": "blosc", "configuration": {"blocksize": blocksize}}]}}]);
            assert_eq!(
                crate::codec::check_settings_for_writing(&nested).is_ok(),
                ok,
                "{blocksize}"
            );
        }
        for cfg in [
            json!({"level": 1.5}),
            json!({"level": "3"}),
            json!({"level": 1u64 << 40}),
            json!({"checksum": 1}),
            json!({"level": 1, "extra": 0}),
        ] {
            let e = ZstdCodec::from_spec(&spec(json!({"name": "zstd", "configuration": cfg})))
                .unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidMetadata, "{cfg}");
            assert!(e.message().contains("zstd"), "{}", e.message());
        }
        assert_eq!(c.encoded_size(10), None);
    }
}
