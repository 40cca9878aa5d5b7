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

/// The largest window a frame may ask for: zstd's default limit for its
/// streaming decoder, which refuses larger ones too (a header could
/// otherwise ask for any amount of memory).
const MAX_WINDOW: u64 = 1 << sys::ZSTD_WINDOWLOG_LIMIT_DEFAULT;

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
fn check(code: usize) -> Result<usize> {
    // SAFETY: both take any value; the name is a static C string.
    unsafe {
        if sys::ZSTD_isError(code) == 0 {
            return Ok(code);
        }
        let name = CStr::from_ptr(sys::ZSTD_getErrorName(code));
        Err(corrupt(format!(
            "codec \"zstd\": {}",
            name.to_string_lossy()
        )))
    }
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
}

impl<'a> ZstdPieces<'a> {
    pub(super) fn new(input: &'a [u8]) -> Result<Self> {
        if input.is_empty() {
            return Err(corrupt(
                "codec \"zstd\": input of 0 bytes is not valid zstd data (empty)",
            ));
        }
        let dec = match DECODERS.with(|pool| pool.borrow_mut().pop()) {
            Some(d) => d,
            None => BlockDecoder::new()?,
        };
        Ok(ZstdPieces {
            dec: Some(dec),
            input,
            pos: 0,
            frame: None,
            at: 0,
            ready: 0..0,
        })
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
            let window = header.windowSize.max(1 << 10);
            if window > MAX_WINDOW {
                return Err(corrupt(format!(
                    "codec \"zstd\": a frame needs a window of {window} bytes, \
                     more than the {MAX_WINDOW} a decoder allows"
                )));
            }
            // SAFETY: takes any values.
            let size = check(unsafe {
                sys::ZSTD_decodingBufferSize_min(window, header.frameContentSize)
            })?;
            if dec.ring.len() < size {
                dec.ring = Vec::new();
                dec.ring = crate::alloc::zeroed(size)?;
            }
            Frame {
                wraps: (dec.ring.len() as u64) < header.frameContentSize,
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
            let room = &mut dec.ring[self.at..];
            // SAFETY: zstd reads exactly `need` bytes of the input (checked
            // to be there) and writes only inside `room`, the ring from
            // `at` on, past the ready bytes. The bytes it refers back to
            // (up to a window before) are still in the ring: it holds a
            // window and two blocks (ZSTD_decodingBufferSize_min), and
            // blocks go to its start only when one would not fit, as zstd's
            // own ring does.
            let got = check(unsafe {
                sys::ZSTD_decompressContinue(
                    dec.dctx.as_ptr(),
                    room.as_mut_ptr().cast(),
                    room.len(),
                    self.input[self.pos..].as_ptr().cast(),
                    need,
                )
            })?;
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
