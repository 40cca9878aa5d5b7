//! Per-thread scratch buffers, so decoding a chunk that cannot go straight
//! into the destination does not allocate a chunk-sized buffer each time.

use crate::alloc::resize_zeroed;
use crate::error::Result;
use std::cell::RefCell;

/// Buffers are kept for the next call only up to this size: a thread that
/// once handled a huge chunk should not hold its memory for good.
pub(crate) const RETAIN_MAX: usize = 128 << 20;

/// Free `buf`'s memory if it is larger than a thread should keep.
pub(crate) fn release_if_large(buf: &mut Vec<u8>) {
    if buf.capacity() > RETAIN_MAX {
        *buf = Vec::new();
    }
}

thread_local! {
    static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    static BOXES: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    static FETCHED: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    static FETCHED_ROW: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) };
}

/// Scratch buffers start on a page boundary. Reads from the page cache
/// copy into them, and the kernel's copy slows down when its destination
/// lies a little past its source's offset within a 4 KiB page: each load
/// then matches a store just issued in the low 12 address bits and waits
/// for it. A 512 KiB buffer glibc maps for itself starts 16 bytes into a
/// page, the page cache's pages at 0: read_all U at N = 512 took 0.0364 s
/// that way against 0.0324 s from page-aligned scratch (BENCHMARKS.md,
/// "Scratch buffers on page boundaries").
const SCRATCH_ALIGN: usize = 4096;

/// The first `len` bytes of `buf` from its first page boundary on, `buf`
/// grown as needed.
fn page_aligned(buf: &mut Vec<u8>, len: usize) -> Result<&mut [u8]> {
    let need = len.saturating_add(SCRATCH_ALIGN - 1);
    if buf.len() < need {
        resize_zeroed(buf, need)?;
    }
    // From the address: `align_offset` may answer usize::MAX.
    let base = buf.as_ptr() as usize;
    let at = base.next_multiple_of(SCRATCH_ALIGN) - base;
    Ok(&mut buf[at..at + len])
}

/// Run `f` with a buffer of `len` bytes (contents unspecified) that starts
/// on a page boundary. The buffer is this thread's and is kept for the
/// next call (up to `RETAIN_MAX`); a nested call gets a fresh one. `len`
/// is a chunk's size, which comes from metadata: a buffer that cannot be
/// allocated is an `OutOfMemory` error.
pub fn with_scratch<T>(len: usize, f: impl FnOnce(&mut [u8]) -> Result<T>) -> Result<T> {
    page_aligned_from(&SCRATCH, len, f)
}

/// `with_scratch` with a buffer of its own, for a box of a selection: the
/// box is held while the read path that fills it uses `with_scratch`.
pub fn with_box_scratch<T>(len: usize, f: impl FnOnce(&mut [u8]) -> Result<T>) -> Result<T> {
    page_aligned_from(&BOXES, len, f)
}

fn page_aligned_from<T>(
    key: &'static std::thread::LocalKey<RefCell<Vec<u8>>>,
    len: usize,
    f: impl FnOnce(&mut [u8]) -> Result<T>,
) -> Result<T> {
    key.with(|cell| match cell.try_borrow_mut() {
        Ok(mut buf) => {
            let r = f(page_aligned(&mut buf, len)?);
            release_if_large(&mut buf);
            r
        }
        Err(_) => f(page_aligned(&mut Vec::new(), len)?),
    })
}

/// Run `f` with this thread's buffer for fetched (still encoded) bytes,
/// which a store fills with `get_reusing` (or a value reader, a run of a
/// shard); its capacity is kept for the next call (up to `RETAIN_MAX`). A
/// nested call gets a fresh one.
pub fn with_fetched<T>(f: impl FnOnce(&mut Vec<u8>) -> T) -> T {
    FETCHED.with(|cell| match cell.try_borrow_mut() {
        Ok(mut buf) => {
            let r = f(&mut buf);
            release_if_large(&mut buf);
            r
        }
        Err(_) => f(&mut Vec::new()),
    })
}

/// Run `f` with `n` of this thread's buffers for fetched bytes (as
/// `with_fetched`), for a task that holds several chunks' encoded bytes at
/// once. A nested call gets fresh ones.
pub fn with_fetched_row<T>(n: usize, f: impl FnOnce(&mut [Vec<u8>]) -> T) -> T {
    FETCHED_ROW.with(|cell| match cell.try_borrow_mut() {
        Ok(mut bufs) => {
            if bufs.len() < n {
                bufs.resize_with(n, Vec::new);
            }
            let r = f(&mut bufs[..n]);
            bufs.iter_mut().for_each(release_if_large);
            r
        }
        Err(_) => f(&mut (0..n).map(|_| Vec::new()).collect::<Vec<_>>()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_calls_get_distinct_buffers() {
        with_scratch(8, |a| {
            a.fill(1);
            with_scratch(8, |b| {
                b.fill(2);
                Ok(())
            })?;
            assert!(a.iter().all(|&x| x == 1));
            Ok(())
        })
        .unwrap();
        with_scratch(4, |a| {
            assert_eq!(a.len(), 4);
            Ok(())
        })
        .unwrap();
        // Page-aligned, the outer buffer and a nested one alike.
        with_scratch(100, |a| {
            assert_eq!(a.as_ptr() as usize % SCRATCH_ALIGN, 0);
            with_scratch(300 << 10, |b| {
                assert_eq!(b.as_ptr() as usize % SCRATCH_ALIGN, 0);
                assert_eq!(b.len(), 300 << 10);
                Ok(())
            })
        })
        .unwrap();
        with_fetched(|a| {
            a.clear();
            a.push(1);
            with_fetched(|b| assert!(b.is_empty()));
        });
        with_fetched(|a| assert_eq!(a[..], [1]));
    }

    #[test]
    fn buffers_above_the_retention_limit_are_freed_after_use() {
        with_scratch(RETAIN_MAX + 1, |a| {
            a[RETAIN_MAX] = 1;
            Ok(())
        })
        .unwrap();
        SCRATCH.with(|b| assert_eq!(b.borrow().capacity(), 0));
        with_scratch(4096, |a| {
            a[0] = 1;
            Ok(())
        })
        .unwrap();
        SCRATCH.with(|b| assert!(b.borrow().capacity() >= 4096));
        with_fetched(|a| a.resize(RETAIN_MAX + 1, 0));
        FETCHED.with(|b| assert_eq!(b.borrow().capacity(), 0));
    }

    #[test]
    fn a_buffer_that_cannot_be_allocated_is_an_error_not_an_abort() {
        // More than any allocator gives (isize::MAX bytes is the most a
        // Rust allocation may be); the outer and the nested buffer alike.
        let huge = isize::MAX as usize;
        let e = with_scratch(huge, |_| Ok(())).unwrap_err();
        assert_eq!(e.kind(), crate::error::ErrorKind::OutOfMemory);
        let e = with_scratch(8, |_| with_scratch(huge, |_| Ok(()))).unwrap_err();
        assert_eq!(e.kind(), crate::error::ErrorKind::OutOfMemory);
        // The thread's buffer still works afterwards.
        with_scratch(16, |a| {
            a.fill(3);
            Ok(())
        })
        .unwrap();
    }
}
