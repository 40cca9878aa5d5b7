//! Fallible allocation of buffers whose size comes from data. A chunk's
//! size comes from metadata, a compressed frame's from its header, a
//! shard's from its index: any of them can be more than the machine can
//! give, and `vec!`, `Vec::with_capacity` or a growing `Vec` would abort
//! the process where the caller should get `ZARRIO_ERR_OUT_OF_MEMORY`.

use crate::error::Result;

pub(crate) fn cannot_allocate(len: usize) -> crate::error::Error {
    crate::error::out_of_memory(format!("cannot allocate a buffer of {len} bytes"))
}

/// A buffer of `len` zero bytes, or an `OutOfMemory` error where `vec!`
/// would abort the process: a chunk's size comes from metadata (and a
/// compressed frame's from its header), so one chunk can be more than the
/// machine can give. Zeroed by the allocator, as `vec![0; len]` is, so
/// untouched pages of a large buffer cost nothing.
pub fn zeroed(len: usize) -> Result<Vec<u8>> {
    if len == 0 {
        return Ok(Vec::new());
    }
    let layout = std::alloc::Layout::array::<u8>(len).map_err(|_| cannot_allocate(len))?;
    // SAFETY: `layout` has a non-zero size (len > 0).
    let ptr = unsafe { std::alloc::alloc_zeroed(layout) };
    if ptr.is_null() {
        return Err(cannot_allocate(len));
    }
    // SAFETY: `ptr` was allocated by the global allocator with the layout
    // of `len` u8s (what a Vec<u8> of capacity `len` uses), and all `len`
    // bytes are initialised (zero).
    Ok(unsafe { Vec::from_raw_parts(ptr, len, len) })
}

/// Resize `buf` to `len` bytes (new bytes zero), reporting a failed
/// allocation as `OutOfMemory` (see `zeroed`).
pub fn resize_zeroed(buf: &mut Vec<u8>, len: usize) -> Result<()> {
    if len > buf.len() {
        buf.try_reserve_exact(len - buf.len())
            .map_err(|_| cannot_allocate(len))?;
    }
    buf.resize(len, 0);
    Ok(())
}

/// An empty vector with room for exactly `cap` items, or an `OutOfMemory`
/// error where `Vec::with_capacity` would abort (see `zeroed`).
pub fn with_capacity<T>(cap: usize) -> Result<Vec<T>> {
    let mut v = Vec::new();
    v.try_reserve_exact(cap)
        .map_err(|_| cannot_allocate(cap.saturating_mul(std::mem::size_of::<T>())))?;
    Ok(v)
}

/// A copy of `data`, or `OutOfMemory` (see `zeroed`): encoders that must
/// change a chunk's bytes work on a second chunk-sized buffer, which may
/// be one more than the machine can give.
pub fn copied(data: &[u8]) -> Result<Vec<u8>> {
    let mut v = with_capacity(data.len())?;
    v.extend_from_slice(data);
    Ok(v)
}

/// Append `data` to `out`, growing it by exactly what is needed, or
/// `OutOfMemory` (see `zeroed`).
pub fn append(out: &mut Vec<u8>, data: &[u8]) -> Result<()> {
    reserve(out, data.len())?;
    out.extend_from_slice(data);
    Ok(())
}

/// Room in `out` for `more` bytes past its length, exactly, or
/// `OutOfMemory` (see `zeroed`).
pub fn reserve(out: &mut Vec<u8>, more: usize) -> Result<()> {
    out.try_reserve_exact(more)
        .map_err(|_| cannot_allocate(out.len().saturating_add(more)))
}

/// A `Write` sink for streaming encoders whose output size is not known
/// ahead: it grows like a `Vec`, but a failed allocation is an
/// `io::ErrorKind::OutOfMemory` error instead of an abort.
pub struct GrowingSink(pub Vec<u8>);

impl std::io::Write for GrowingSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .try_reserve(buf.len())
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::OutOfMemory))?;
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
