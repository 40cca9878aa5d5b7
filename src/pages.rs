//! How a large caller buffer gets its memory before a read writes it:
//! huge pages where the kernel has them, and, for a buffer the read fills
//! whole, every page faulted in up front by the workers in parallel.

use std::sync::atomic::{AtomicBool, Ordering};

const HUGE: usize = 2 << 20;

/// Whether reads ask for huge pages on large caller buffers (initially yes).
static HUGE_PAGE_ADVICE: AtomicBool = AtomicBool::new(true);

/// Turn the huge-page advice of [`advise_huge_pages`] on or off for the
/// whole process, as numpy's `_set_madvise_hugepage` does for its arrays.
/// Off suits machines where a huge page costs more to get than it saves:
/// under a hypervisor that takes back the guest's free memory in large
/// blocks, the first touch of fresh huge pages waits for the host to supply
/// them (BENCHMARKS.md, "This machine's memory"). Reads already
/// running may still advise.
pub fn set_huge_page_advice(on: bool) {
    HUGE_PAGE_ADVICE.store(on, Ordering::Relaxed);
}

/// Whether reads ask for huge pages on large caller buffers.
pub fn huge_page_advice() -> bool {
    HUGE_PAGE_ADVICE.load(Ordering::Relaxed)
}

/// Ask the kernel to back a large destination with huge pages before the
/// first write: faulting in a fresh buffer page by page costs about as
/// much as decoding into it, and 2 MiB pages cut the faults 512-fold.
/// Every read into a caller's buffer of 8 MiB or more asks, as numpy does
/// for its large arrays, unless [`set_huge_page_advice`] turned it off.
pub fn advise_huge_pages(buf: &mut [u8]) {
    if buf.len() < 4 * HUGE || !huge_page_advice() {
        return;
    }
    if let Some((start, end)) = huge_interior(buf) {
        // SAFETY: [start, end) lies inside `buf`, which we borrow mutably;
        // MADV_HUGEPAGE changes only how the kernel backs those pages, never
        // their contents, and fails harmlessly (ignored) where unsupported.
        unsafe {
            libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
        }
    }
}

/// The addresses [start, end) of the whole huge pages inside `buf`, if any.
fn huge_interior(buf: &[u8]) -> Option<(usize, usize)> {
    let base = buf.as_ptr() as usize;
    let start = base.next_multiple_of(HUGE);
    let end = (base + buf.len()) / HUGE * HUGE;
    (end > start).then_some((start, end))
}

/// Buffers from this size on are populated ahead of a read that fills
/// them (the size from which rows are streamed, `nontemporal`).
pub(crate) const MIN_POPULATE_BYTES: usize = crate::nontemporal::MIN_DEST_BYTES;

/// The slices `populate_fresh` hands the workers: whole huge pages, small
/// enough for the workers to share a buffer of a few tens of MiB evenly.
const POPULATE_SLICE: usize = 2 * HUGE;

/// Fault in every page of a large caller buffer that has none yet, before
/// a read that writes all of it with streaming stores, with `workers`
/// threads each taking whole slices. Faulting while the read places its
/// rows costs more than faulting first: two workers writing into one fresh
/// huge page each fault it (the kernel clears a page for each, and keeps
/// one), and the kernel's clearing of a page leaves its lines in the cache,
/// dirty, just before streaming stores replace them. Populating also faults
/// small pages in batches rather than one exception per 4 KiB. (Ordinary
/// stores are the other way round: they find those cleared lines in the
/// cache, so reads that write that way let each page fault as they reach
/// it.) Contents do not change (`MADV_POPULATE_WRITE` writes nothing); a
/// buffer whose first page is already in memory (one the caller reuses) is
/// left as it is, and any failure is ignored: the read's own writes fault
/// in what is left.
pub fn populate_fresh(buf: &mut [u8], workers: usize) {
    #[cfg(target_os = "linux")]
    {
        if buf.len() < MIN_POPULATE_BYTES {
            return;
        }
        let base = buf.as_mut_ptr() as usize;
        let first_page = base.next_multiple_of(page_size());
        if !matches!(resident(first_page), Some(false)) {
            return;
        }
        // Slices on huge-page boundaries, so no two workers fault one
        // huge page; the ends outside them are left to the read.
        let Some((start, end)) = huge_interior(buf) else {
            return;
        };
        let slices = (end - start).div_ceil(POPULATE_SLICE);
        let populate = |i: usize| {
            let at = start + i * POPULATE_SLICE;
            let len = POPULATE_SLICE.min(end - at);
            // SAFETY: [at, at + len) lies inside `buf`, which we borrow
            // mutably for the call; MADV_POPULATE_WRITE only faults the
            // pages in writable and never changes their contents. A kernel
            // before 5.14, or memory it cannot populate (device memory, a
            // mapping not writable), refuses: one failed call a slice.
            unsafe {
                libc::madvise(at as *mut libc::c_void, len, libc::MADV_POPULATE_WRITE);
            }
            Ok(())
        };
        // The closure never fails, and a pool that cannot start leaves the
        // pages to the read.
        let _ = crate::threads::for_each(workers, slices, populate);
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (buf, workers);
}

#[cfg(target_os = "linux")]
fn page_size() -> usize {
    // SAFETY: sysconf has no memory effects.
    match unsafe { libc::sysconf(libc::_SC_PAGESIZE) } {
        n if n > 0 => n as usize,
        _ => 4096,
    }
}

/// Whether the page at `addr` (page aligned, inside a mapping the caller
/// owns) is in memory; None when the kernel cannot say.
#[cfg(target_os = "linux")]
fn resident(addr: usize) -> Option<bool> {
    let mut v = 0u8;
    // SAFETY: mincore reads the page tables for one page and writes one
    // byte into `v`; it touches neither the page nor its contents.
    let rc = unsafe { libc::mincore(addr as *mut libc::c_void, 1, &mut v) };
    (rc == 0).then_some(v & 1 == 1)
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// A fresh anonymous mapping of `len` bytes, unmapped on drop.
    struct Fresh(*mut u8, usize);

    impl Fresh {
        fn new(len: usize) -> Fresh {
            // SAFETY: a new private anonymous mapping; no other memory is
            // affected.
            let p = unsafe {
                libc::mmap(
                    std::ptr::null_mut(),
                    len,
                    libc::PROT_READ | libc::PROT_WRITE,
                    libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                    -1,
                    0,
                )
            };
            assert_ne!(p, libc::MAP_FAILED);
            Fresh(p as *mut u8, len)
        }

        fn bytes(&mut self) -> &mut [u8] {
            // SAFETY: the mapping is readable and writable for its length
            // and only reached through this borrow.
            unsafe { std::slice::from_raw_parts_mut(self.0, self.1) }
        }

        fn resident_at(&self, offset: usize) -> bool {
            let page = (self.0 as usize + offset) / page_size() * page_size();
            resident(page).expect("mincore answers for a mapped page")
        }
    }

    impl Drop for Fresh {
        fn drop(&mut self) {
            // SAFETY: unmaps exactly the mapping made in `new`.
            unsafe { libc::munmap(self.0 as *mut libc::c_void, self.1) };
        }
    }

    /// Whether this kernel has MADV_POPULATE_WRITE (Linux 5.14 and on).
    fn kernel_populates() -> bool {
        let mut probe = Fresh::new(page_size());
        let p = probe.bytes().as_mut_ptr() as *mut libc::c_void;
        // SAFETY: populates the probe's one page, which this test owns.
        unsafe { libc::madvise(p, page_size(), libc::MADV_POPULATE_WRITE) == 0 }
    }

    #[test]
    fn a_fresh_buffer_is_faulted_in_and_keeps_its_zeros() {
        let len = MIN_POPULATE_BYTES + 3 * HUGE;
        let mut buf = Fresh::new(len);
        let middle = len / 2;
        assert!(!buf.resident_at(middle));
        populate_fresh(buf.bytes(), 2);
        if kernel_populates() {
            assert!(buf.resident_at(middle));
            assert!(buf.resident_at(len - 2 * HUGE - 1));
        }
        assert!(buf.bytes().iter().all(|&b| b == 0));
    }

    #[test]
    fn a_buffer_in_use_or_too_small_is_left_as_it_is() {
        let len = MIN_POPULATE_BYTES + 3 * HUGE;
        let mut used = Fresh::new(len);
        // The caller has written its first page (and only that): a buffer
        // being reused, whose other pages are not ours to fault in.
        used.bytes()[..page_size()].fill(7);
        populate_fresh(used.bytes(), 2);
        assert!(!used.resident_at(len / 2));
        assert_eq!(used.bytes()[page_size() - 1], 7);

        let mut small = Fresh::new(MIN_POPULATE_BYTES - page_size());
        populate_fresh(small.bytes(), 2);
        assert!(!small.resident_at(MIN_POPULATE_BYTES / 2));
    }
}
