//! Copies into large destinations with non-temporal (streaming) stores.
//!
//! Placing decoded chunks row by row into a caller's buffer that is larger
//! than the caches writes every destination line once and never reads it
//! back during the read. An ordinary store first fetches the line it
//! writes (a read for ownership), so each byte placed costs a read and a
//! write of memory on top of the copy; a streaming store writes whole
//! lines without fetching them. On the benchmark's 512^3 reads into a
//! 64-byte aligned buffer this took reading the sharded dataset (64^3 inner
//! chunks placed row by row) from 0.119 s to 0.092 s (BENCHMARKS.md,
//! "Streaming stores").
//!
//! Only whole, aligned 64-byte lines are streamed: a partial line would be
//! written to memory in pieces, and a line shared with a neighbouring
//! chunk's row (written by another thread) would be fetched anyway. So the
//! gain depends on the caller's buffer: rows that start on a line boundary
//! (a 64-byte aligned buffer, as `posix_memalign` or Julia give) stream
//! whole, while in a buffer 16 bytes past a boundary (what glibc's malloc
//! returns for large blocks) rows of 256 bytes or more stream only the
//! lines between their partial ends and shorter rows do not stream. Chunks
//! that sit side by side are therefore placed as rows of chunks: the
//! destination row they make together is long, streams, and leaves partial
//! lines only at its two ends. Uncompressed chunks read by range and large
//! zstd chunks decompressed in step are placed a plane of each at a time
//! (`RowCopier::gather_segments_raw`); small chunks and inner chunks of a
//! shard, decoded whole, one chunk at a time, each chunk's row ending in a
//! partial line held back until the next chunk's row completes it
//! (`RowCopier::copy_holding`).

/// A read writes its destination with streaming stores when the
/// destination is at least this large: smaller ones may still be in cache
/// when the caller reads them, which streaming stores would forfeit. glibc's
/// memcpy switches to streaming stores at a size of the same order (a
/// fraction of the last-level cache).
pub(crate) const MIN_DEST_BYTES: usize = 32 << 20;

/// The cache line size streaming stores are issued in.
pub(crate) const LINE: usize = 64;

/// Rows that do not start on a line boundary stream (their whole lines)
/// only from this length: a 128-byte row 16 bytes off a boundary has one
/// whole line between two partial ones, and placing 64^3 inner chunks
/// with such rows measured slower streamed than copied.
const LONG_ROW: usize = 4 * LINE;

/// Copies runs of bytes into a destination, with streaming stores for the
/// whole aligned lines of each run where that is enabled.
///
/// Streaming stores are weakly ordered: before another thread may look at
/// the bytes, the storing thread must fence. The fence runs when the copier
/// is dropped, so a copier lives on the stack of the task that places one
/// chunk and is dropped (on return or unwind) before the task reports
/// completion; it is deliberately neither `Clone` nor `Send`.
pub(crate) struct RowCopier {
    streaming: bool,
    streamed: bool,
    _not_send: std::marker::PhantomData<*const ()>,
}

impl RowCopier {
    /// A copier that streams when `streaming` is true (and the target
    /// supports it).
    pub(crate) fn new(streaming: bool) -> Self {
        RowCopier {
            streaming: streaming && cfg!(target_arch = "x86_64"),
            streamed: false,
            _not_send: std::marker::PhantomData,
        }
    }

    /// Whether rows of `row_bytes` are streamed: rows of whole lines that
    /// start on a line boundary (`starts_on_line`), and long rows wherever
    /// they start. Callers copying many rows of one shape decide once.
    pub(crate) fn streams_rows(&self, row_bytes: usize, starts_on_line: bool) -> bool {
        self.streaming
            && (row_bytes >= LONG_ROW
                || (starts_on_line && row_bytes >= LINE && row_bytes % LINE == 0))
    }

    /// Fence now if anything was streamed since the last fence, so the
    /// bytes are ordered before whatever this thread does next.
    pub(crate) fn fence(&mut self) {
        #[cfg(target_arch = "x86_64")]
        if std::mem::take(&mut self.streamed) {
            // SAFETY: sfence has no operands and no preconditions (SSE,
            // part of every x86_64 CPU).
            unsafe { std::arch::x86_64::_mm_sfence() };
        }
    }

    /// Copy `src` into `dst` (same length).
    pub(crate) fn copy(&mut self, dst: &mut [u8], src: &[u8]) {
        assert_eq!(dst.len(), src.len());
        // SAFETY: two valid slices of equal length; `dst` is borrowed
        // mutably, so they cannot overlap.
        unsafe { self.copy_raw(src.as_ptr(), dst.as_mut_ptr(), dst.len()) }
    }

    /// Copy `n` bytes from `src` to `dst`, streamed as `streams_rows` says.
    ///
    /// # Safety
    /// `src` must be readable and `dst` writable for `n` bytes, and the two
    /// ranges must not overlap.
    #[inline]
    pub(crate) unsafe fn copy_raw(&mut self, src: *const u8, dst: *mut u8, n: usize) {
        #[cfg(target_arch = "x86_64")]
        if self.streams_rows(n, dst as usize % LINE == 0) {
            // Partial lines at either end, whole lines between them (at
            // least one: the row is long, or whole lines from a boundary).
            let head = (dst as usize).next_multiple_of(LINE) - dst as usize;
            let tail = head + (n - head) / LINE * LINE;
            // SAFETY: the three pieces split the caller's ranges; the
            // middle one starts on a line boundary and is whole lines.
            std::ptr::copy_nonoverlapping(src, dst, head);
            stream_lines(src.add(head), dst.add(head), tail - head);
            std::ptr::copy_nonoverlapping(src.add(tail), dst.add(tail), n - tail);
            self.streamed = true;
            #[cfg(test)]
            tests::STREAMED_BYTES.with(|c| c.set(c.get() + (tail - head)));
            return;
        }
        std::ptr::copy_nonoverlapping(src, dst, n);
    }

    /// Copy `planes x count` segments of `seg` bytes one after another into
    /// `dst`, segment k of plane p read from `src + p * plane_stride + k *
    /// src_stride`: one destination row gathered from rows that lie apart
    /// in the source (the rows of inner chunks that sit side by side), or
    /// several such rows when they lie back to back in the destination too
    /// (a row of chunks as wide as the destination). The run's whole lines
    /// stream as `streams_rows` says for its full length, so short
    /// segments that would not stream one by one do, and only the run's
    /// two ends are partial lines (each row gathered on its own would have
    /// two when the destination is not line aligned), when each segment is
    /// a multiple of 16 bytes and `dst` is 16-byte aligned (every streamed
    /// 16-byte store then reads from one segment).
    ///
    /// # Safety
    /// Every segment must be readable and `dst` writable for `planes *
    /// count * seg` bytes, and no segment may overlap the destination.
    #[allow(clippy::too_many_arguments)]
    pub(crate) unsafe fn gather_raw(
        &mut self,
        src: *const u8,
        src_stride: usize,
        seg: usize,
        count: usize,
        planes: usize,
        plane_stride: usize,
        dst: *mut u8,
    ) {
        // Segment j of the run (j = p * count + k).
        let segments = (0..planes).flat_map(|p| {
            (0..count).map(move |k| src.wrapping_add(p * plane_stride + k * src_stride))
        });
        self.gather_segments_raw(segments, seg, planes * count, dst)
    }

    /// Copy `count` segments of `seg` bytes, the j-th read from the j-th
    /// pointer `segments` yields, one after another into `dst`, streamed as
    /// `gather_raw` streams them: the general form, for segments that lie
    /// anywhere (planes of chunks each decoded into a buffer of its own).
    ///
    /// # Safety
    /// `segments` must yield `count` pointers, each readable for `seg`
    /// bytes; `dst` must be writable for `count * seg` bytes, and no
    /// segment may overlap the destination.
    pub(crate) unsafe fn gather_segments_raw(
        &mut self,
        segments: impl Iterator<Item = *const u8>,
        seg: usize,
        count: usize,
        dst: *mut u8,
    ) {
        let n = seg * count;
        let segments = segments.take(count).zip(0..count);
        #[cfg(target_arch = "x86_64")]
        if seg % 16 == 0 && dst as usize % 16 == 0 && self.streams_rows(n, dst as usize % LINE == 0)
        {
            // Lines [head, tail) of the run are whole; both ends are
            // multiples of 16, as are the segments' bounds.
            let head = (dst as usize).next_multiple_of(LINE) - dst as usize;
            let tail = head + (n - head) / LINE * LINE;
            for (s, j) in segments {
                let (lo, hi) = (j * seg, (j + 1) * seg);
                // This segment's share of the whole lines, [a, b).
                let a = head.clamp(lo, hi);
                let b = tail.clamp(a, hi);
                // SAFETY: [lo, hi) of the run is this segment's `seg`
                // bytes, split in three; [a, b) starts 16-byte aligned in
                // `dst` and is a multiple of 16 long.
                std::ptr::copy_nonoverlapping(s, dst.add(lo), a - lo);
                stream_16(s.add(a - lo), dst.add(a), b - a);
                std::ptr::copy_nonoverlapping(s.add(b - lo), dst.add(b), hi - b);
            }
            self.streamed = true;
            #[cfg(test)]
            tests::STREAMED_BYTES.with(|c| c.set(c.get() + (tail - head)));
            return;
        }
        for (s, j) in segments {
            std::ptr::copy_nonoverlapping(s, dst.add(j * seg), seg);
        }
    }

    /// Copy `n` bytes from `src` to `dst`, one piece of a destination run
    /// (starting at `run_start`) written piece by piece in order, with the
    /// partial line each piece ends in held back in `held` until the next
    /// piece completes it: every whole line of the run streams, wherever
    /// the pieces end, and only the lines the run shares with what lies
    /// before and after it are written with ordinary stores. A row of
    /// chunks is placed this way one chunk at a time (each chunk's row a
    /// piece), so that only one decoded chunk need be held, not the row.
    ///
    /// `held` must hold what the previous call for this run left there;
    /// the call with `last` writes out what is held. Without streaming
    /// each piece is copied straight away and `held` is not used.
    ///
    /// # Safety
    /// `src` must be readable for `n` bytes; `run_start..dst + n` must be
    /// writable and not overlap `src` or `held`, and `dst` must be where
    /// the previous piece of the run ended (or `run_start`).
    // Inlined into its callers' per-row loops, where rows of one chunk are
    // as short as a line and a call per row measured 3% of a small-chunk
    // read.
    #[inline(always)]
    pub(crate) unsafe fn copy_holding(
        &mut self,
        held: &mut [u8; LINE],
        run_start: *mut u8,
        mut src: *const u8,
        mut dst: *mut u8,
        mut n: usize,
        last: bool,
    ) {
        if !self.streaming {
            std::ptr::copy_nonoverlapping(src, dst, n);
            return;
        }
        // The held bytes go back to dst's line start, or to the run's
        // start when the run began inside that line.
        let mut h = (dst as usize % LINE).min(dst as usize - run_start as usize);
        let line_start = dst.sub(h);
        let misaligned = line_start as usize % LINE;
        if misaligned != 0 {
            // The run's first line, shared with what lies before the run:
            // ordinary stores, once the piece reaches the line's end.
            let room = LINE - misaligned;
            if h + n < room && !last {
                std::ptr::copy_nonoverlapping(src, held.as_mut_ptr().add(h), n);
                return;
            }
            let k = n.min(room - h);
            std::ptr::copy_nonoverlapping(held.as_ptr(), line_start, h);
            std::ptr::copy_nonoverlapping(src, dst, k);
            (src, dst, n, h) = (src.add(k), dst.add(k), n - k, 0);
        }
        // dst - h now starts a line.
        if h > 0 {
            let need = LINE - h;
            if n < need {
                if last {
                    std::ptr::copy_nonoverlapping(held.as_ptr(), dst.sub(h), h);
                    std::ptr::copy_nonoverlapping(src, dst, n);
                } else {
                    std::ptr::copy_nonoverlapping(src, held.as_mut_ptr().add(h), n);
                }
                return;
            }
            std::ptr::copy_nonoverlapping(src, held.as_mut_ptr().add(h), need);
            self.stream_whole_lines(held.as_ptr(), dst.sub(h), LINE);
            (src, dst, n) = (src.add(need), dst.add(need), n - need);
        }
        let whole = n / LINE * LINE;
        self.stream_whole_lines(src, dst, whole);
        if last {
            std::ptr::copy_nonoverlapping(src.add(whole), dst.add(whole), n - whole);
        } else {
            std::ptr::copy_nonoverlapping(src.add(whole), held.as_mut_ptr(), n - whole);
        }
    }

    /// Stream one whole line to `dst`, which must start a line and be
    /// writable for `LINE` bytes; only for a streaming copier.
    ///
    /// # Safety
    /// `dst` writable for `LINE` bytes, on a line boundary, not overlapping
    /// `line`.
    pub(crate) unsafe fn stream_line(&mut self, line: &[u8; LINE], dst: *mut u8) {
        debug_assert!(self.streaming && dst as usize % LINE == 0);
        self.stream_whole_lines(line.as_ptr(), dst, LINE);
    }

    /// Stream `n` bytes (whole lines) to a line boundary `dst`.
    ///
    /// # Safety
    /// As `stream_lines`; the copier was made streaming.
    #[inline]
    unsafe fn stream_whole_lines(&mut self, src: *const u8, dst: *mut u8, n: usize) {
        if n == 0 {
            return;
        }
        #[cfg(target_arch = "x86_64")]
        {
            stream_lines(src, dst, n);
            self.streamed = true;
            #[cfg(test)]
            tests::STREAMED_BYTES.with(|c| c.set(c.get() + n));
        }
        #[cfg(not(target_arch = "x86_64"))]
        std::ptr::copy_nonoverlapping(src, dst, n);
    }
}

impl Drop for RowCopier {
    fn drop(&mut self) {
        // Orders this thread's streaming stores before everything it does
        // next, including the synchronisation that hands the buffer to
        // other threads.
        self.fence();
    }
}

/// Copy whole lines with SSE2 streaming stores (SSE2 is part of every
/// x86_64 CPU, so no runtime detection is needed).
///
/// # Safety
/// `src` readable and `dst` writable for `n` bytes, not overlapping; `dst`
/// aligned to 64 and `n` a multiple of 64. The caller must fence
/// (`RowCopier`'s drop) before the bytes are read by another thread.
#[cfg(target_arch = "x86_64")]
#[inline]
unsafe fn stream_lines(src: *const u8, dst: *mut u8, n: usize) {
    use std::arch::x86_64::{__m128i, _mm_loadu_si128, _mm_stream_si128};
    let mut i = 0;
    while i < n {
        let s = src.add(i) as *const __m128i;
        let d = dst.add(i) as *mut __m128i;
        // Four loads then four stores: one full line per write-combining
        // buffer, with the loads free to run ahead.
        let (a, b, c, e) = (
            _mm_loadu_si128(s),
            _mm_loadu_si128(s.add(1)),
            _mm_loadu_si128(s.add(2)),
            _mm_loadu_si128(s.add(3)),
        );
        _mm_stream_si128(d, a);
        _mm_stream_si128(d.add(1), b);
        _mm_stream_si128(d.add(2), c);
        _mm_stream_si128(d.add(3), e);
        i += LINE;
    }
}

/// Copy 16-byte pieces with SSE2 streaming stores. Consecutive calls that
/// together cover a line fill one write-combining buffer, so a line
/// gathered from several sources is still written whole.
///
/// # Safety
/// `src` readable and `dst` writable for `n` bytes, not overlapping; `dst`
/// aligned to 16 and `n` a multiple of 16. The caller must fence
/// (`RowCopier`'s drop) before the bytes are read by another thread.
#[cfg(target_arch = "x86_64")]
#[inline]
unsafe fn stream_16(src: *const u8, dst: *mut u8, n: usize) {
    use std::arch::x86_64::{__m128i, _mm_loadu_si128, _mm_stream_si128};
    let mut i = 0;
    while i < n {
        _mm_stream_si128(
            dst.add(i) as *mut __m128i,
            _mm_loadu_si128(src.add(i) as *const __m128i),
        );
        i += 16;
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    thread_local! {
        /// Bytes written with streaming stores by this thread (a unit test
        /// copies on its own thread), so a test can tell that a path
        /// streamed, whatever other tests do meanwhile.
        pub(crate) static STREAMED_BYTES: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    }

    /// This thread's streamed bytes so far.
    pub(crate) fn streamed_bytes() -> usize {
        STREAMED_BYTES.with(std::cell::Cell::get)
    }

    /// A 64-aligned buffer with room for `len` bytes after `offset`.
    fn aligned(len: usize, offset: usize) -> (Vec<u8>, usize) {
        let v = vec![0xEEu8; len + offset + LINE];
        let start = (v.as_ptr() as usize).next_multiple_of(LINE) - v.as_ptr() as usize + offset;
        (v, start)
    }

    #[test]
    fn copies_exactly_every_size_and_alignment() {
        let src: Vec<u8> = (0..1000u32).map(|i| (i * 7 + 3) as u8).collect();
        for streaming in [false, true] {
            for offset in [0, 1, 16, 48] {
                for n in [0, 1, 63, 64, 65, 128, 192, 640, 999] {
                    let (mut buf, start) = aligned(n + 2, offset);
                    {
                        let mut c = RowCopier::new(streaming);
                        // Guard bytes on both sides stay untouched.
                        c.copy(&mut buf[start + 1..start + 1 + n], &src[..n]);
                        c.copy(&mut buf[start..start], &[]);
                    }
                    assert_eq!(&buf[start + 1..start + 1 + n], &src[..n]);
                    assert_eq!(buf[start], 0xEE);
                    assert_eq!(buf[start + 1 + n], 0xEE);
                    let (mut buf, start) = aligned(n, offset);
                    {
                        let mut c = RowCopier::new(streaming);
                        c.copy(&mut buf[start..start + n], &src[..n]);
                    }
                    assert_eq!(
                        &buf[start..start + n],
                        &src[..n],
                        "{streaming} {offset} {n}"
                    );
                }
            }
        }
    }

    #[test]
    fn gathers_exactly_every_segment_size_and_alignment() {
        let src: Vec<u8> = (0..6000u32).map(|i| (i * 13 + 5) as u8).collect();
        // Gather `planes` x `count` segments of `seg` bytes (source stride
        // seg + 24, plane stride PLANE) to `offset` bytes past a line, with
        // 64 guard bytes on each side (so the alignment is kept); returns
        // the destination bytes and whether the copier streamed.
        const PLANE: usize = 1900;
        let gather = |streaming, offset, seg, count, planes| {
            let n = seg * count * planes;
            let (mut buf, start) = aligned(n + 2 * LINE, offset);
            let start = start + LINE;
            let mut c = RowCopier::new(streaming);
            // SAFETY: the segments lie inside `src` (at most 2 x 1900 +
            // 9 x 168 bytes), the destination inside `buf`.
            unsafe {
                c.gather_raw(
                    src.as_ptr(),
                    seg + 24,
                    seg,
                    count,
                    planes,
                    PLANE,
                    buf.as_mut_ptr().add(start),
                )
            };
            let streamed = c.streamed;
            drop(c);
            assert!(buf[start - LINE..start].iter().all(|&b| b == 0xEE));
            assert!(buf[start + n..start + n + LINE].iter().all(|&b| b == 0xEE));
            (buf[start..start + n].to_vec(), streamed)
        };
        for streaming in [false, true] {
            for offset in [0, 1, 16, 17, 32, 48] {
                for seg in [8, 16, 40, 48, 64, 128, 144] {
                    for (count, planes) in [
                        (1, 1),
                        (2, 1),
                        (3, 1),
                        (5, 1),
                        (9, 1),
                        (1, 3),
                        (3, 2),
                        (9, 3),
                    ] {
                        let want: Vec<u8> = (0..planes)
                            .flat_map(|p| (0..count).map(move |k| p * PLANE + k * (seg + 24)))
                            .flat_map(|at| src[at..][..seg].to_vec())
                            .collect();
                        let case = format!("{streaming} {offset} {seg} {count} {planes}");
                        let (got, streamed) = gather(streaming, offset, seg, count, planes);
                        assert_eq!(got, want, "{case}");
                        let n = seg * count * planes;
                        let long = n >= LONG_ROW || (offset == 0 && n % LINE == 0);
                        assert_eq!(
                            streamed,
                            cfg!(target_arch = "x86_64")
                                && streaming
                                && long
                                && seg % 16 == 0
                                && offset % 16 == 0,
                            "{case}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn pieces_held_over_write_the_run_and_stream_its_whole_lines() {
        let src: Vec<u8> = (0..4000u32).map(|i| (i * 11 + 1) as u8).collect();
        for streaming in [false, true] {
            for offset in [0, 1, 16, 17, 32, 48, 63] {
                for sizes in [
                    &[64usize, 64, 64, 64][..],
                    &[16, 16, 16, 16, 16, 16, 16],
                    &[48, 16, 48, 16, 48],
                    &[128, 128, 128],
                    &[1, 62, 1, 64, 3, 0, 200],
                    &[0],
                    &[5],
                    &[64],
                    &[700, 3, 90],
                    &[32, 32],
                ] {
                    let n: usize = sizes.iter().sum();
                    // The run with a line of guard bytes on each side.
                    let (mut buf, start) = aligned(n + 2 * LINE, offset);
                    let start = start + LINE;
                    let mut held = [0u8; LINE];
                    let mut c = RowCopier::new(streaming);
                    let before = streamed_bytes();
                    let run = unsafe { buf.as_mut_ptr().add(start) };
                    let mut at = 0;
                    for (i, &len) in sizes.iter().enumerate() {
                        // SAFETY: the pieces lie inside `src` and, in order,
                        // inside the run in `buf`.
                        unsafe {
                            c.copy_holding(
                                &mut held,
                                run,
                                src.as_ptr().add(at),
                                run.add(at),
                                len,
                                i + 1 == sizes.len(),
                            )
                        };
                        at += len;
                    }
                    drop(c);
                    let case = format!("{streaming} {offset} {sizes:?}");
                    assert_eq!(&buf[start..start + n], &src[..n], "{case}");
                    assert!(
                        buf[start - LINE..start].iter().all(|&b| b == 0xEE),
                        "{case}"
                    );
                    assert!(
                        buf[start + n..start + n + LINE].iter().all(|&b| b == 0xEE),
                        "{case}"
                    );
                    // Every whole line of the run streamed, nothing else.
                    let first = offset.next_multiple_of(LINE);
                    let lines = (offset + n) / LINE * LINE;
                    let whole = lines.saturating_sub(first);
                    let want = if streaming && cfg!(target_arch = "x86_64") {
                        whole
                    } else {
                        0
                    };
                    assert_eq!(streamed_bytes() - before, want, "{case}");
                }
            }
        }
    }

    #[test]
    fn streams_only_whole_aligned_lines() {
        let src = vec![5u8; 256];
        let (mut buf, start) = aligned(256, 0);
        let mut c = RowCopier::new(true);
        c.copy(&mut buf[start + 16..start + 80], &src[..64]);
        assert!(
            !c.streamed,
            "a run holding no whole line is copied normally"
        );
        c.copy(&mut buf[start..start + 63], &src[..63]);
        assert!(!c.streamed, "a partial line is copied normally");
        c.copy(&mut buf[start + 16..start + 144], &src[..128]);
        assert!(!c.streamed, "a short row off a boundary is copied normally");
        c.copy(&mut buf[start + 16..start + 16 + 200], &src[..200]);
        assert!(!c.streamed, "a short row off a boundary is copied normally");
        c.copy(&mut buf[start..start + 128], &src[..128]);
        assert_eq!(
            c.streamed,
            cfg!(target_arch = "x86_64"),
            "whole lines from a boundary stream"
        );
        let mut c = RowCopier::new(true);
        c.copy(&mut buf[start + 16..start + 16 + 240], &src[..240]);
        assert!(!c.streamed);
        c.copy(&mut buf[start + 1..start + 1 + 256], &src[..256]);
        assert_eq!(
            c.streamed,
            cfg!(target_arch = "x86_64"),
            "a long row streams"
        );
        c.copy(&mut buf[start..start + 256], &src);
        drop(c);
        assert!(buf[start..start + 256].iter().all(|&b| b == 5));
        let mut off = RowCopier::new(false);
        off.copy(&mut buf[start..start + 256], &src);
        assert!(!off.streamed);
    }
}
