//! A zstd compression context configured the way zarrio compresses chunks.
//!
//! The `zstd` crate's safe context cannot set zstd 1.5.7's block
//! pre-splitter (`ZSTD_c_blockSplitterLevel`, an experimental parameter),
//! so this module owns the context through `zstd-sys` directly.
//!
//! Why the pre-splitter is turned off at levels up to 4 (zstd's fast and
//! double-fast strategies, the default level 0 = 3 included): on array
//! chunks it costs a quarter of the compression time and rarely pays back.
//! Measured with zstd 1.5.7, one thread (BENCHMARKS.md, "zstd compression
//! settings"): the benchmark's 256^3 `uint16` chunks compress 1.36x faster
//! and 15% smaller without it, its 64^3 chunks 1.27x faster and 4% larger,
//! a smooth `float32` field 1.67x faster and 1% larger; chunks of
//! one 128 KiB block or less are not split at all. zstd 1.5.6 and earlier
//! (numcodecs, zarr-python's zstd, ships 1.5.6) have no pre-splitter: this
//! is how they compress at every level. Levels 5 and up keep zstd's own
//! choice: their users ask for ratio over speed.

use crate::error::{internal, Result};
use std::ptr::NonNull;
use zstd::zstd_safe::zstd_sys;

/// Highest level at which the pre-splitter is turned off.
const NO_PRESPLIT_MAX_LEVEL: i32 = 4;

/// `ZSTD_c_blockSplitterLevel` value meaning "never split".
const PRESPLIT_NEVER: i32 = 1;

/// zstd 1.5.7, the first release with the block pre-splitter (and the one
/// whose experimental parameter number is used here).
const PRESPLITTER_VERSION: u32 = 10507;

/// Whether the linked zstd has the pre-splitter under the parameter number
/// this module sets: 1.5.7 exactly (a later release may renumber it; an
/// earlier one, a system library, has no pre-splitter to turn off).
fn has_presplitter() -> bool {
    // SAFETY: no preconditions.
    unsafe { zstd_sys::ZSTD_versionNumber() == PRESPLITTER_VERSION }
}

/// An owned `ZSTD_CCtx` with a level and checksum flag set once.
pub struct Compressor {
    ctx: NonNull<zstd_sys::ZSTD_CCtx>,
}

// SAFETY: a ZSTD_CCtx has no thread affinity; it may move between threads
// as long as one thread at a time uses it, which `&mut self` guarantees.
unsafe impl Send for Compressor {}

fn zstd_failure(what: &str, code: usize) -> crate::error::Error {
    // SAFETY: ZSTD_getErrorName returns a pointer to a static NUL-terminated
    // string for any code.
    let name = unsafe { std::ffi::CStr::from_ptr(zstd_sys::ZSTD_getErrorName(code)) };
    internal(format!(
        "codec \"zstd\": {what} failed: {}",
        name.to_string_lossy()
    ))
}

fn is_error(code: usize) -> bool {
    // SAFETY: a pure function of its argument.
    unsafe { zstd_sys::ZSTD_isError(code) != 0 }
}

impl Compressor {
    pub fn new(level: i32, checksum: bool) -> Result<Self> {
        // SAFETY: no preconditions; a null return means out of memory.
        let raw = unsafe { zstd_sys::ZSTD_createCCtx() };
        let ctx = NonNull::new(raw)
            .ok_or_else(|| internal("codec \"zstd\": cannot allocate a compression context"))?;
        let mut c = Compressor { ctx };
        c.set(zstd_sys::ZSTD_cParameter::ZSTD_c_compressionLevel, level)?;
        c.set(
            zstd_sys::ZSTD_cParameter::ZSTD_c_checksumFlag,
            i32::from(checksum),
        )?;
        if level <= NO_PRESPLIT_MAX_LEVEL && has_presplitter() {
            // Experimental parameters keep their numbers only within a
            // zstd release: the version check above makes this 1.5.7's
            // ZSTD_c_blockSplitterLevel (the bundled zstd-sys is 1.5.7).
            c.set(
                zstd_sys::ZSTD_cParameter::ZSTD_c_experimentalParam20,
                PRESPLIT_NEVER,
            )?;
        }
        Ok(c)
    }

    fn set(&mut self, param: zstd_sys::ZSTD_cParameter, value: i32) -> Result<()> {
        // SAFETY: `ctx` is a live context owned by `self`; zstd validates
        // the parameter and its value and reports an error code.
        let code = unsafe { zstd_sys::ZSTD_CCtx_setParameter(self.ctx.as_ptr(), param, value) };
        if is_error(code) {
            return Err(zstd_failure("setting a compression parameter", code));
        }
        Ok(())
    }

    /// Compress `src` as one frame (its size recorded in the header) into
    /// `dst`, returning the compressed length. `dst` should hold
    /// `compress_bound(src.len())` bytes; a smaller one that turns out too
    /// small is an error, never an overrun.
    pub fn compress(&mut self, src: &[u8], dst: &mut [u8]) -> Result<usize> {
        // SAFETY: `ctx` is live and used by this thread alone (`&mut self`);
        // zstd reads at most `src.len()` bytes from `src` and writes at most
        // `dst.len()` bytes to `dst`, both valid for those lengths.
        let n = unsafe {
            zstd_sys::ZSTD_compress2(
                self.ctx.as_ptr(),
                dst.as_mut_ptr().cast(),
                dst.len(),
                src.as_ptr().cast(),
                src.len(),
            )
        };
        if is_error(n) {
            return Err(zstd_failure("compression", n));
        }
        Ok(n)
    }
}

impl Drop for Compressor {
    fn drop(&mut self) {
        // SAFETY: `ctx` came from ZSTD_createCCtx and is freed once, here.
        unsafe {
            zstd_sys::ZSTD_freeCCtx(self.ctx.as_ptr());
        }
    }
}

/// The most bytes compressing `len` bytes can produce.
pub fn compress_bound(len: usize) -> usize {
    zstd::zstd_safe::compress_bound(len)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(n: usize) -> Vec<u8> {
        // A 256^3-style uint16 ramp like the benchmark's, n elements.
        (0..n as u64)
            .flat_map(|i| {
                let (x, y, z) = (i % 256, (i / 256) % 256, i / 65536);
                (((x + y * y / 32 + z * z * z) % 65536) as u16).to_le_bytes()
            })
            .collect()
    }

    #[test]
    fn compressed_frames_decode_to_the_input_at_every_level() {
        let src = sample(1 << 20); // 2 MiB: 16 blocks, so splitting applies
        let mut dst = vec![0u8; compress_bound(src.len())];
        for level in [-5, 0, 1, 3, 4, 5, 9, 19] {
            for checksum in [false, true] {
                let mut c = Compressor::new(level, checksum).unwrap();
                let n = c.compress(&src, &mut dst).unwrap();
                let back = zstd::bulk::decompress(&dst[..n], src.len()).unwrap();
                assert_eq!(back, src, "level {level} checksum {checksum}");
                // The frame records its content size (readers that allocate
                // from the header rely on it) and the checksum flag.
                assert_eq!(
                    zstd::zstd_safe::get_frame_content_size(&dst[..n]).unwrap(),
                    Some(src.len() as u64)
                );
                let descriptor = dst[4];
                assert_eq!(descriptor & 0x04 != 0, checksum, "level {level}");
            }
        }
    }

    #[test]
    fn presplitting_is_off_at_low_levels_only() {
        assert!(
            has_presplitter(),
            "the bundled zstd is 1.5.7: update PRESPLITTER_VERSION with zstd-sys"
        );
        // Level 3 without the pre-splitter must differ from zstd's own
        // level 3 on data where the splitter splits; level 9 must equal it.
        let src = sample(1 << 22);
        let mut ours = vec![0u8; compress_bound(src.len())];
        for (level, same) in [(3, false), (9, true)] {
            let n = Compressor::new(level, false)
                .unwrap()
                .compress(&src, &mut ours)
                .unwrap();
            let reference = zstd::bulk::compress(&src, level).unwrap();
            assert_eq!(&ours[..n] == reference.as_slice(), same, "level {level}");
        }
    }

    #[test]
    fn a_too_small_destination_is_an_error() {
        let src = sample(1 << 16);
        let mut dst = vec![0u8; 16];
        let err = Compressor::new(0, false)
            .unwrap()
            .compress(&src, &mut dst)
            .unwrap_err();
        assert!(err.to_string().contains("compression failed"), "{err}");
    }

    #[test]
    fn an_out_of_range_level_is_clamped_like_zstd_does() {
        // zstd clamps levels above its maximum rather than refusing them.
        let src = sample(1 << 12);
        let mut dst = vec![0u8; compress_bound(src.len())];
        let n = Compressor::new(100, false)
            .unwrap()
            .compress(&src, &mut dst)
            .unwrap();
        assert_eq!(zstd::bulk::decompress(&dst[..n], src.len()).unwrap(), src);
    }
}
