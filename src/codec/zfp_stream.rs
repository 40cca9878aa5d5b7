//! What both zfp codecs (numcodecs' `zfpy`, with zfp's header, and zarrs'
//! `zfp`, without) need around the zfp library: a stream, a field and a
//! bit stream opened and closed together; the compression modes; and
//! buffers that zfp, which reads and writes whole 64-bit words and never
//! checks where a stream ends, cannot leave.

#[cfg(feature = "zfp")]
use super::zfp_ffi as z;
#[cfg(feature = "zfp")]
use crate::error::Result;
use std::os::raw::c_int;
#[cfg(feature = "zfp")]
use std::os::raw::c_void;

/// zfp's scalar types (`zfp_type`).
pub(super) const ZFP_INT32: c_int = 1;
pub(super) const ZFP_INT64: c_int = 2;
pub(super) const ZFP_FLOAT: c_int = 3;
pub(super) const ZFP_DOUBLE: c_int = 4;

/// How a chunk is compressed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Mode {
    /// Bits per value of blocks of `4^dims` values (`zfp_stream_set_rate`).
    Rate {
        rate: f64,
        dims: u32,
    },
    Precision(u32),
    Accuracy(f64),
    Reversible,
    /// zfp's own parameters, as `zfp_stream_set_params` takes them.
    Expert {
        minbits: u32,
        maxbits: u32,
        maxprec: u32,
        minexp: i32,
    },
}

/// The sign, and the exponent bits a block of floats starts with: zfp's
/// decoder takes them before it counts any against `maxbits`, so a
/// smaller `maxbits` would make it read on without end.
pub(super) fn block_overhead_bits(ztype: c_int) -> u32 {
    match ztype {
        ZFP_FLOAT => 9,
        ZFP_DOUBLE => 12,
        _ => 0,
    }
}

#[cfg(feature = "zfp")]
/// The most bits a block may take in a stream zarrio reads: every bit
/// plane of 64-bit values and a group test per value, plus the exponent.
/// zfp's own largest (`ZFP_MAX_BITS`) is 4^4 x 65 + 18.
pub(super) fn block_bits_cap(block_values: u64) -> u64 {
    block_values * 66 + 64
}

#[cfg(feature = "zfp")]
/// A zfp stream, a field and the bit stream under them, closed together.
pub(super) struct Session {
    pub(super) stream: *mut z::ZfpStream,
    pub(super) field: *mut z::ZfpField,
    bits: *mut z::Bitstream,
}

#[cfg(feature = "zfp")]
impl Session {
    pub(super) fn new() -> Result<Session> {
        // SAFETY: both allocate and return NULL on failure; a NULL bit
        // stream is allowed (one is attached later).
        let s = unsafe {
            Session {
                stream: z::zfp_stream_open(std::ptr::null_mut()),
                field: z::zfp_field_alloc(),
                bits: std::ptr::null_mut(),
            }
        };
        if s.stream.is_null() || s.field.is_null() {
            return Err(crate::error::out_of_memory("zfp: cannot allocate a stream"));
        }
        Ok(s)
    }

    /// Attach `buf` as the bit stream, at its start. zfp reads and writes
    /// whole 64-bit words, so `buf` must be a multiple of 8 bytes long,
    /// and it must outlive every use of the stream.
    pub(super) fn attach(&mut self, buf: &mut [u8]) -> Result<()> {
        debug_assert_eq!(buf.len() % 8, 0);
        // SAFETY: the old bit stream (if any) is ours to close; the new
        // one spans exactly `buf`, which the caller keeps alive while the
        // stream is used.
        unsafe {
            if !self.bits.is_null() {
                z::stream_close(self.bits);
            }
            self.bits = z::stream_open(buf.as_mut_ptr().cast::<c_void>(), buf.len());
            if self.bits.is_null() {
                return Err(crate::error::out_of_memory("zfp: cannot open a bit stream"));
            }
            z::zfp_stream_set_bit_stream(self.stream, self.bits);
            z::zfp_stream_rewind(self.stream);
        }
        Ok(())
    }

    /// Set the field's type and shape (`dims` fastest-varying first, 1 to
    /// 4 of them), and no data.
    pub(super) fn describe(&self, ztype: c_int, dims: &[usize]) {
        // SAFETY: `self.field` is a live field; sizes are plain numbers.
        unsafe {
            z::zfp_field_set_type(self.field, ztype);
            match dims {
                [x] => z::zfp_field_set_size_1d(self.field, *x),
                [x, y] => z::zfp_field_set_size_2d(self.field, *x, *y),
                [x, y, zz] => z::zfp_field_set_size_3d(self.field, *x, *y, *zz),
                [x, y, zz, w] => z::zfp_field_set_size_4d(self.field, *x, *y, *zz, *w),
                _ => unreachable!("zfp fields have 1 to 4 dimensions"),
            }
        }
    }

    /// Set the compression mode; false for expert parameters zfp refuses.
    pub(super) fn set_mode(&self, mode: Mode, ztype: c_int) -> bool {
        // SAFETY: `self.stream` is a live stream; the settings are numbers.
        unsafe {
            match mode {
                Mode::Rate { rate, dims } => {
                    z::zfp_stream_set_rate(self.stream, rate, ztype, dims, 0);
                }
                Mode::Precision(p) => {
                    z::zfp_stream_set_precision(self.stream, p);
                }
                Mode::Accuracy(t) => {
                    z::zfp_stream_set_accuracy(self.stream, t);
                }
                Mode::Reversible => z::zfp_stream_set_reversible(self.stream),
                Mode::Expert {
                    minbits,
                    maxbits,
                    maxprec,
                    minexp,
                } => {
                    return z::zfp_stream_set_params(self.stream, minbits, maxbits, maxprec, minexp)
                        != 0
                }
            }
        }
        true
    }

    /// The stream's parameters: minbits, maxbits, maxprec, minexp.
    pub(super) fn params(&self) -> (u32, u32, u32, i32) {
        let (mut minbits, mut maxbits, mut maxprec, mut minexp) = (0u32, 0u32, 0u32, 0i32);
        // SAFETY: a live stream; four out-parameters of the declared types.
        unsafe {
            z::zfp_stream_params(
                self.stream,
                &mut minbits,
                &mut maxbits,
                &mut maxprec,
                &mut minexp,
            );
        }
        (minbits, maxbits, maxprec, minexp)
    }

    /// Compress `values` (exactly the field's scalars, aligned for
    /// them), with zfp's full header first if `header`. zfp counts the
    /// stream in its words (64 bits here, in zfpy and in zarrs; some
    /// builds use 8), whose unused bytes are zero: the stream is kept to
    /// a whole 64-bit word, as both writers store it.
    pub(super) fn compress(mut self, values: &[u8], header: bool) -> Result<Vec<u8>> {
        use crate::error::internal;
        // SAFETY: the field describes exactly `values`, which zfp only
        // reads while compressing.
        unsafe { z::zfp_field_set_pointer(self.field, values.as_ptr() as *mut c_void) };
        let max = self.maximum_size();
        let mut out =
            crate::alloc::zeroed(round_up_8(max).ok_or_else(|| {
                crate::error::out_of_memory("zfp: the compressed size overflows")
            })?)?;
        self.attach(&mut out)?;
        // SAFETY: the stream writes into `out`, which holds the most zfp
        // can write for this field and mode, header included.
        let size = unsafe {
            if header && z::zfp_write_header(self.stream, self.field, z::HEADER_FULL) == 0 {
                return Err(internal("zfp could not write its header"));
            }
            z::zfp_compress(self.stream, self.field)
        };
        // The stream (which points into `out`) goes first.
        drop(self);
        let size = round_up_8(size).unwrap_or(usize::MAX);
        if size == 0 || size > out.len() {
            return Err(internal(format!("zfp compressed to {size} bytes")));
        }
        out.truncate(size);
        Ok(out)
    }

    /// Decompress the attached stream into `out`; the bytes zfp read (in
    /// whole 64-bit words), 0 if it failed.
    ///
    /// # Safety
    /// The field's type and shape must be exactly `out`'s scalars, `out`
    /// aligned for them, and the attached buffer at least as long as the
    /// most a stream of that shape and the stream's mode can take.
    pub(super) unsafe fn decompress(&mut self, out: &mut [u8]) -> usize {
        // SAFETY: the caller's contract.
        unsafe {
            z::zfp_field_set_pointer(self.field, out.as_mut_ptr().cast::<c_void>());
            z::zfp_decompress(self.stream, self.field)
        }
    }

    /// zfp's bound on the bytes a stream of the field's shape and the
    /// stream's mode takes, header included.
    pub(super) fn maximum_size(&self) -> usize {
        // SAFETY: stream and field are live and fully set.
        unsafe { z::zfp_stream_maximum_size(self.stream, self.field) }
    }
}

#[cfg(feature = "zfp")]
impl Drop for Session {
    fn drop(&mut self) {
        // SAFETY: each pointer was returned by its allocator and is freed
        // once, here.
        unsafe {
            z::zfp_stream_close(self.stream);
            if !self.bits.is_null() {
                z::stream_close(self.bits);
            }
            z::zfp_field_free(self.field);
        }
    }
}

#[cfg(feature = "zfp")]
/// Zeroed 64-bit words for `len` bytes: a buffer aligned for any of zfp's
/// scalars.
pub(super) fn words(len: usize) -> Result<Vec<u64>> {
    let n = len.div_ceil(8);
    let mut w = crate::alloc::with_capacity::<u64>(n)?;
    w.resize(n, 0);
    Ok(w)
}

#[cfg(feature = "zfp")]
/// The first `len` bytes of `w` (at most its size in bytes).
pub(super) fn as_bytes(w: &mut [u64], len: usize) -> &mut [u8] {
    assert!(len <= w.len() * 8);
    // SAFETY: the bytes lie within `w`, which the result borrows mutably;
    // any byte pattern is a valid u8, and u8 needs no alignment.
    unsafe { std::slice::from_raw_parts_mut(w.as_mut_ptr().cast::<u8>(), len) }
}

#[cfg(feature = "zfp")]
/// `bytes`, `slack` bytes to the next 64-bit word (zeros are what a
/// writer with 64-bit stream words stores there), one bits for a few KiB
/// (which a stream cut short reads on into, taking every bit a block may,
/// until it has used more than the bytes there are), then zeros up to
/// `len` bytes (pages the allocator zeroes as they are first touched, so
/// the room a stream's mode allows but does not use costs nothing). `len`
/// is at least the bytes rounded up to a word.
pub(super) fn padded(bytes: &[u8], slack: u8, len: usize) -> Result<Vec<u8>> {
    let mut buf = crate::alloc::zeroed(len)?;
    buf[..bytes.len()].copy_from_slice(bytes);
    let word_end = bytes.len().div_ceil(8) * 8;
    buf[bytes.len()..word_end].fill(slack);
    let ones = len.min(word_end + (4 << 10));
    buf[word_end..ones].fill(0xff);
    Ok(buf)
}

#[cfg(feature = "zfp")]
pub(super) fn round_up_8(n: usize) -> Option<usize> {
    n.checked_add(7).map(|m| m & !7)
}

#[cfg(feature = "zfp")]
/// zfp's blocks of a field of `dims` and the values in one (4^d).
pub(super) fn block_count(dims: &[usize]) -> (usize, u64) {
    let blocks = dims
        .iter()
        .try_fold(1usize, |a, &n| a.checked_mul(n.div_ceil(4)))
        .unwrap_or(usize::MAX);
    (blocks, 1 << (2 * dims.len()))
}

/// Decode with `decode(slack, out)`. A stream that ends inside a 64-bit
/// word (written with 8-bit stream words, as Debian's libzfp does, or
/// cut short) is decoded a second time with the rest of that word taken
/// as one bits: its values must not depend on what follows its last byte.
#[cfg(feature = "zfp")]
pub(super) fn decode_checked(
    name: &str,
    stream_len: usize,
    out: &mut [u8],
    decode: impl Fn(u8, &mut [u8]) -> Result<()>,
) -> Result<()> {
    decode(0x00, out)?;
    if stream_len % 8 != 0 {
        let mut other = words(out.len())?;
        let other = as_bytes(&mut other, out.len());
        decode(0xff, other)?;
        if other != out {
            return Err(crate::error::corrupt(format!(
                "codec \"{name}\": the stream is cut short"
            )));
        }
    }
    Ok(())
}
