//! zstd frames decoded block by block into a ring buffer, each block handed
//! out where it was decoded.
//!
//! zstd's streaming decoder decodes every block into a ring of its own and
//! then copies it into the caller's buffer. A large chunk placed into the
//! destination's rows piece by piece needs no buffer of its own: the rows
//! are placed straight from the ring, which saves that copy (read_all of
//! the benchmark's 32 MiB zstd chunks 3% faster at N = 512, 9% at N =
//! 1024; BENCHMARKS.md, "What each change did", twelfth pass).
//! zstd calls this its buffer-less API; the ring is used the way zstd's
//! own streaming decoder uses its ring (`ZSTD_decompressStream`, buffered
//! output): sized by `ZSTD_decodingBufferSize_min`, each block decoded
//! right after the previous one with the rest of the ring as its room, and
//! back to the start once a whole block no longer fits.

use super::PieceDecoder;
use crate::error::{corrupt, out_of_memory, Result};
use std::cell::RefCell;
use std::ffi::CStr;
use std::mem::MaybeUninit;
use std::ptr::NonNull;
use zstd::zstd_safe::zstd_sys as sys;

/// A ring larger than this is freed, not kept for the thread's next input.
const KEPT_RING_MAX: usize = 16 << 20;

thread_local! {
    static DECODERS: RefCell<Vec<BlockDecoder>> = const { RefCell::new(Vec::new()) };
}

/// A zstd decompression context and the ring its blocks are decoded into.
struct BlockDecoder {
    dctx: NonNull<sys::ZSTD_DCtx>,
    ring: Vec<u8>,
}

impl BlockDecoder {
    fn new() -> Result<Self> {
        // SAFETY: no preconditions; null means it could not allocate.
        let dctx = NonNull::new(unsafe { sys::ZSTD_createDCtx() }).ok_or_else(|| {
            out_of_memory("codec \"zstd\": cannot allocate a decompression context")
        })?;
        Ok(BlockDecoder {
            dctx,
            ring: Vec::new(),
        })
    }
}

impl Drop for BlockDecoder {
    fn drop(&mut self) {
        // SAFETY: the context came from ZSTD_createDCtx and is freed once.
        unsafe { sys::ZSTD_freeDCtx(self.dctx.as_ptr()) };
    }
}

/// zstd's result code as an error, or the value it carries.
pub(super) fn check(code: usize) -> Result<usize> {
    // SAFETY: both take any value; the name is a static C string.
    unsafe {
        if sys::ZSTD_isError(code) == 0 {
            return Ok(code);
        }
        let name = CStr::from_ptr(sys::ZSTD_getErrorName(code));
        Err(corrupt(format!(
            "codec \"zstd\": invalid compressed data: {}",
            name.to_string_lossy()
        )))
    }
}

/// Whether zstd's result code says the output did not fit.
pub(super) fn output_overflowed(code: usize) -> bool {
    // SAFETY: both take any value.
    unsafe {
        sys::ZSTD_isError(code) != 0
            && sys::ZSTD_getErrorCode(code) == sys::ZSTD_ErrorCode::ZSTD_error_dstSize_tooSmall
    }
}

/// The magic numbers of zstd's legacy formats (v0.1, and v0.2 to v0.7),
/// whose frames the buffer-less API does not read; the whole-input
/// decoders do.
fn is_legacy_magic(magic: u32) -> bool {
    magic == 0x1EB5_2FFD || (0xFD2F_B522..=0xFD2F_B527).contains(&magic)
}

/// Whether any frame of `input` is in a legacy format. The walk stops at
/// bytes that are no frame at all: decoding reports those.
fn has_legacy_frame(input: &[u8]) -> bool {
    let mut rest = input;
    while let Some(magic) = rest.first_chunk::<4>().map(|m| u32::from_le_bytes(*m)) {
        if is_legacy_magic(magic) {
            return true;
        }
        match super::zstd::split_frame(rest) {
            Some((_, after)) => rest = after,
            None => return false,
        }
    }
    false
}

/// How the frame being decoded uses the ring.
#[derive(Clone, Copy)]
struct Frame {
    /// The frame's output may be more than the ring holds: a block that
    /// does not fit after the previous one goes to the ring's start.
    wraps: bool,
    /// The most one block of the frame decodes to.
    block_max: usize,
}

/// Every frame of one input, decoded block by block and handed out from
/// the ring. Its context comes from the thread's pool and goes back there
/// when dropped, so several inputs decode in step on one thread without
/// allocating a context or a ring each.
pub(super) struct ZstdPieces<'a> {
    dec: Option<BlockDecoder>,
    input: &'a [u8],
    /// The next compressed byte.
    pos: usize,
    /// The frame being decoded; None between frames.
    frame: Option<Frame>,
    /// Where in the ring the next block goes.
    at: usize,
    /// The decoded bytes not handed out yet: a range of the ring.
    ready: std::ops::Range<usize>,
    /// The most bytes the frames may still decode to: the chunk's size,
    /// less what was decoded.
    left: usize,
    /// An error ended decoding: zstd's context is not used again until
    /// the next input starts it afresh.
    failed: bool,
}

impl<'a> ZstdPieces<'a> {
    /// A decoder of `input`, which decodes to at most `expected` bytes
    /// (more is corrupt). None for a frame in zstd's legacy format, which
    /// only the whole-input decoders read.
    pub(super) fn new(input: &'a [u8], expected: usize) -> Result<Option<Self>> {
        if input.is_empty() {
            return Err(corrupt(
                "codec \"zstd\": input of 0 bytes is not valid zstd data (empty)",
            ));
        }
        if has_legacy_frame(input) {
            return Ok(None);
        }
        let dec = match DECODERS.with(|pool| pool.borrow_mut().pop()) {
            Some(d) => d,
            None => BlockDecoder::new()?,
        };
        Ok(Some(ZstdPieces {
            dec: Some(dec),
            input,
            pos: 0,
            frame: None,
            at: 0,
            ready: 0..0,
            left: expected,
            failed: false,
        }))
    }

    /// Read the next frame's header, make the ring large enough for it,
    /// and start decoding it.
    fn start_frame(&mut self) -> Result<()> {
        let dec = self.dec.as_mut().expect("held until dropped");
        let rest = &self.input[self.pos..];
        let mut header = MaybeUninit::<sys::ZSTD_FrameHeader>::uninit();
        // SAFETY: `rest` is readable for its length; zstd writes the header
        // struct only.
        let need = check(unsafe {
            sys::ZSTD_getFrameHeader(header.as_mut_ptr(), rest.as_ptr().cast(), rest.len())
        })?;
        if need > 0 {
            return Err(corrupt(
                "codec \"zstd\": compressed data ends inside a frame header",
            ));
        }
        // SAFETY: a result of 0 means zstd filled the header in.
        let header = unsafe { header.assume_init() };
        let frame = if header.frameType == sys::ZSTD_FrameType_e::ZSTD_skippableFrame {
            Frame {
                wraps: false,
                block_max: 0,
            }
        } else {
            let (content, left) = (header.frameContentSize, self.left as u64);
            if content != sys::ZSTD_CONTENTSIZE_UNKNOWN as u64 && content > left {
                return Err(corrupt(format!(
                    "codec \"zstd\": a frame header claims {content} decoded bytes, \
                     more than the {left} left of the chunk"
                )));
            }
            // The frame decodes to at most `most` bytes: a ring that holds
            // them all never wraps. Otherwise it holds a window and two
            // blocks, which is less than the chunk: a header cannot make
            // it allocate more than decoding the chunk whole would.
            let most = content.min(left);
            let window = header.windowSize.max(1 << 10);
            // SAFETY: takes any values.
            let size = check(unsafe { sys::ZSTD_decodingBufferSize_min(window, most) })?;
            if dec.ring.len() < size {
                dec.ring = Vec::new();
                dec.ring = crate::alloc::zeroed(size)?;
            }
            Frame {
                wraps: (dec.ring.len() as u64) < most,
                block_max: header.blockSizeMax as usize,
            }
        };
        // SAFETY: the context is valid; this starts a frame from scratch,
        // whatever state an earlier input left it in.
        check(unsafe { sys::ZSTD_decompressBegin(dec.dctx.as_ptr()) })?;
        (self.frame, self.at) = (Some(frame), 0);
        Ok(())
    }

    /// Decode until `want` bytes are ready in one piece, the input has
    /// ended, or the next block would not follow the ready bytes in the
    /// ring (it goes to the ring's start, or starts a frame).
    fn decode_more(&mut self, want: usize) -> Result<()> {
        if self.failed {
            return Err(crate::error::internal(
                "codec \"zstd\": decoding went on after an error",
            ));
        }
        let decoded = self.decode_blocks(want);
        self.failed = decoded.is_err();
        decoded
    }

    /// `decode_more`, up to the first error.
    fn decode_blocks(&mut self, want: usize) -> Result<()> {
        while self.ready.len() < want {
            let Some(frame) = self.frame else {
                if !self.ready.is_empty() || self.pos == self.input.len() {
                    return Ok(());
                }
                self.start_frame()?;
                continue;
            };
            let dec = self.dec.as_mut().expect("held until dropped");
            // SAFETY: the context is valid.
            let need = unsafe { sys::ZSTD_nextSrcSizeToDecompress(dec.dctx.as_ptr()) };
            if need == 0 {
                self.frame = None;
                continue;
            }
            if need > self.input.len() - self.pos {
                return Err(corrupt(
                    "codec \"zstd\": compressed data ends inside a frame",
                ));
            }
            if frame.wraps && self.at + frame.block_max > dec.ring.len() {
                if !self.ready.is_empty() {
                    return Ok(());
                }
                self.at = 0;
            }
            // The ready bytes, if any, end where the next block goes.
            debug_assert!(self.ready.is_empty() || self.ready.end == self.at);
            // SAFETY: zstd reads exactly `need` bytes of the input (checked
            // to be there) and writes only inside the ring from `at` on
            // (`at` is at most its length), past the ready bytes. The
            // bytes it refers back to (up to a window before) are still in
            // the ring: it holds a window and two blocks
            // (ZSTD_decodingBufferSize_min) or all the frame decodes to,
            // and blocks go to its start only when one would not fit, as
            // zstd's own ring does. `as_mut_ptr` creates no reference to
            // the ring, so the pointers into it that zstd keeps from call
            // to call stay valid.
            let code = unsafe {
                sys::ZSTD_decompressContinue(
                    dec.dctx.as_ptr(),
                    dec.ring.as_mut_ptr().add(self.at).cast(),
                    dec.ring.len() - self.at,
                    self.input[self.pos..].as_ptr().cast(),
                    need,
                )
            };
            if output_overflowed(code) && !frame.wraps {
                return Err(too_much(self.left));
            }
            let got = check(code)?;
            if got > self.left {
                return Err(too_much(self.left));
            }
            self.left -= got;
            self.pos += need;
            if self.ready.is_empty() {
                self.ready = self.at..self.at;
            }
            self.ready.end += got;
            self.at += got;
        }
        Ok(())
    }
}

/// The data decodes to more than the `left` bytes the chunk has left.
fn too_much(left: usize) -> crate::error::Error {
    corrupt(format!(
        "codec \"zstd\": the data decodes to more than the {left} bytes left of the chunk"
    ))
}

impl Drop for ZstdPieces<'_> {
    fn drop(&mut self) {
        if let Some(mut d) = self.dec.take() {
            if d.ring.len() > KEPT_RING_MAX {
                d.ring = Vec::new();
            }
            // try_with: the pool may already be gone while the thread exits.
            let _ = DECODERS.try_with(|pool| {
                let mut pool = pool.borrow_mut();
                // As many as one task decodes in step.
                if pool.len() < super::DECODERS_IN_STEP {
                    pool.push(d);
                }
            });
        }
    }
}

impl PieceDecoder for ZstdPieces<'_> {
    fn ready(&mut self, want: usize) -> Result<usize> {
        self.decode_more(want)?;
        Ok(self.ready.len())
    }

    fn next_piece(&mut self, max: usize) -> Result<&[u8]> {
        if max == 0 {
            return Ok(&[]);
        }
        self.decode_more(1)?;
        let end = self.ready.start + max.min(self.ready.len());
        let piece = self.ready.start..end;
        self.ready.start = end;
        let dec = self.dec.as_ref().expect("held until dropped");
        Ok(&dec.ring[piece])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// Everything `input` decodes to, expecting at most `expected` bytes.
    fn decode(input: &[u8], expected: usize) -> Result<Vec<u8>> {
        let mut dec = ZstdPieces::new(input, expected)?.expect("a current frame");
        let mut out = Vec::new();
        loop {
            let piece = dec.next_piece(usize::MAX)?;
            if piece.is_empty() {
                return Ok(out);
            }
            out.extend_from_slice(piece);
        }
    }

    fn unsized_frame(x: &[u8], window_log: u32) -> Vec<u8> {
        let mut e = zstd::stream::write::Encoder::new(Vec::new(), 3).unwrap();
        e.window_log(window_log).unwrap();
        e.include_contentsize(false).unwrap();
        // A checksum: corruption anywhere is found by the frame's end.
        e.include_checksum(true).unwrap();
        e.write_all(x).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn a_header_cannot_make_the_ring_larger_than_the_chunk() {
        // No content size, a window of 2^31 bytes, one empty raw last
        // block: the ring is sized by the chunk, not by the window.
        let enc = [0x28, 0xb5, 0x2f, 0xfd, 0x00, 21 << 3, 1, 0, 0];
        let mut dec = ZstdPieces::new(&enc, 1000).unwrap().unwrap();
        assert_eq!(dec.ready(1).unwrap(), 0);
        assert!(dec.dec.as_ref().unwrap().ring.len() <= 1000);
        // A header claiming more than the chunk is refused before any
        // block is decoded.
        let mut huge = vec![0x28, 0xb5, 0x2f, 0xfd, 0xc0]; // single segment, 8-byte size
        huge.extend((1u64 << 50).to_le_bytes());
        huge.extend([1, 0, 0]);
        let e = decode(&huge, 5000).unwrap_err();
        assert!(e.message().contains("claims"), "{}", e.message());
    }

    #[test]
    fn data_decoding_to_more_than_the_chunk_is_an_error() {
        let x: Vec<u8> = (0..1_000_000u32).map(|i| (i * 7 / 13) as u8).collect();
        let sized = zstd::bulk::compress(&x, 3).unwrap();
        for (enc, window_log) in [
            (sized, 0),
            (unsized_frame(&x, 17), 17),
            (unsized_frame(&x, 24), 24),
        ] {
            assert_eq!(decode(&enc, x.len()).unwrap(), x, "window 2^{window_log}");
            let e = decode(&enc, x.len() - 1).unwrap_err();
            assert!(e.message().contains("more than"), "{}", e.message());
            // Fewer bytes than expected are the caller's to find.
            assert_eq!(decode(&enc, x.len() + 1).unwrap(), x);
        }
    }

    #[test]
    fn decoding_stops_at_the_first_error() {
        let x: Vec<u8> = (0..300_000u32).map(|i| (i / 3) as u8).collect();
        let mut enc = unsized_frame(&x, 17);
        let k = enc.len() / 2;
        enc[k] ^= 0xff;
        let mut dec = ZstdPieces::new(&enc, x.len()).unwrap().unwrap();
        let first = loop {
            match dec.next_piece(usize::MAX) {
                Ok([]) => panic!("corruption not seen"),
                Ok(_) => {}
                Err(e) => break e,
            }
        };
        assert_eq!(first.kind(), crate::error::ErrorKind::Corrupt);
        assert!(dec.next_piece(1).is_err());
        assert!(dec.ready(1).is_err());
    }

    #[test]
    fn legacy_frames_are_left_to_the_whole_input_decoders() {
        let current = zstd::bulk::compress(b"abc", 1).unwrap();
        let skippable = [0x50, 0x2a, 0x4d, 0x18, 0, 0, 0, 0];
        // zstd v0.7's magic number, a header and an end block.
        let v07 = [0x27, 0xb5, 0x2f, 0xfd, 0x20, 0, 0xc0, 0, 0];
        assert!(!has_legacy_frame(&[&skippable[..], &current].concat()));
        assert!(has_legacy_frame(&v07));
        // A legacy frame after current ones.
        let mixed = [&current[..], &skippable, &v07].concat();
        assert!(has_legacy_frame(&mixed));
        assert!(ZstdPieces::new(&mixed, 3).unwrap().is_none());
        // Junk is not declined: the piece decoder reports it as corrupt.
        assert!(!has_legacy_frame(b"definitely not zstd"));
        assert!(decode(b"definitely not zstd", 100).is_err());
        assert!(decode(&[&current[..], b"junk"].concat(), 100).is_err());
    }
}
