//! Version and library-wide settings (threads, I/O concurrency, huge pages).

use super::{guard, zarrio_status};
use crate::error::{invalid_argument, Result};
use std::ffi::c_char;

/// The most threads, or store requests in flight, one setting may ask for
/// (`zarrio_set_threads`, `zarrio_set_io_concurrency`, their per-array
/// forms and the pipeline's `threads`); more is `ZARRIO_ERR_INVALID_ARGUMENT`.
pub const ZARRIO_MAX_THREADS: u32 = 1024;
const _: () = assert!(ZARRIO_MAX_THREADS as usize == crate::threads::MAX_THREADS);

/// A thread or request count from the host, checked against
/// `ZARRIO_MAX_THREADS`: every count starts its own pool of that many
/// threads (pools used lately are kept, up to 512 threads in all).
pub(crate) fn thread_count(n: u32, what: &str) -> Result<usize> {
    if n > ZARRIO_MAX_THREADS {
        return Err(invalid_argument(format!(
            "{what} is {n}, at most {ZARRIO_MAX_THREADS} (ZARRIO_MAX_THREADS)"
        )));
    }
    Ok(n as usize)
}

/// The library version as a static string, e.g. "0.1.0". Never NULL.
#[no_mangle]
pub extern "C" fn zarrio_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr() as *const c_char
}

/// The library version as major * 10000 + minor * 100 + patch, to compare
/// with `ZARRIO_VERSION_NUMBER` from the header the program was built with.
#[no_mangle]
pub extern "C" fn zarrio_version_number() -> u32 {
    let p = |s: &str| s.parse::<u32>().unwrap_or(0);
    p(env!("CARGO_PKG_VERSION_MAJOR")) * 10000
        + p(env!("CARGO_PKG_VERSION_MINOR")) * 100
        + p(env!("CARGO_PKG_VERSION_PATCH"))
}

/// Set the default number of decode threads for all arrays that do not
/// set their own (0 = one per core, the initial setting; at most
/// `ZARRIO_MAX_THREADS`). Thread-safe; reads already running keep the
/// count they started with. Each count in use has a pool of its own
/// threads; pools are kept between calls up to 512 threads in all (the
/// least recently used go first), so a host that keeps changing counts
/// starts threads again rather than piling them up. A pool serves every
/// call in the process that uses its count, from whatever thread: calls
/// on two threads share its workers, so one whose store callbacks block
/// (a slow store) delays the other, and a callback that waits for a call
/// on another thread to finish can wait forever when that call needs the
/// same pool (give such calls another count, or 1, with
/// `zarrio_array_set_threads`). fork() while other threads are in the
/// library leaves the library's own state usable in the child (it starts
/// pools of its own and holds none of the parent threads' shard creation
/// turns); a store another thread was using at the fork can be left
/// locked in the child (a memory store being written), so a child uses
/// stores it opens itself.
#[no_mangle]
pub extern "C" fn zarrio_set_threads(n: u32) -> zarrio_status {
    guard(|| {
        crate::threads::set_default_threads(thread_count(n, "the thread count")?);
        Ok(())
    })
}

/// The default number of decode threads. Thread-safe.
#[no_mangle]
pub extern "C" fn zarrio_threads() -> u32 {
    crate::threads::default_threads() as u32
}

/// Set the default I/O concurrency: how many store requests a read keeps
/// in flight at once (0 = as many as decode threads, the initial
/// setting). For slow stores (object stores, host callbacks with latency)
/// set it above the thread count: the extra workers wait on requests while
/// decoding still runs on the decode threads only. At most
/// `ZARRIO_MAX_THREADS`. Store callbacks are then called from that many
/// threads at once. Thread-safe.
#[no_mangle]
pub extern "C" fn zarrio_set_io_concurrency(n: u32) -> zarrio_status {
    guard(|| {
        crate::threads::set_default_io_concurrency(thread_count(n, "the I/O concurrency")?);
        Ok(())
    })
}

/// The default I/O concurrency (0 = as many as decode threads). Thread-safe.
#[no_mangle]
pub extern "C" fn zarrio_io_concurrency() -> u32 {
    crate::threads::default_io_concurrency() as u32
}

/// Set whether reads ask the kernel for transparent huge pages
/// (`madvise(MADV_HUGEPAGE)`) on caller buffers of 8 MiB or more: nonzero
/// = yes (the initial setting), 0 = no. Huge pages cut the page faults of a
/// fresh buffer 512-fold; turn the advice off where getting them costs
/// more, e.g. under a hypervisor that reclaims the guest's free memory in
/// large blocks. Only how the kernel backs the pages changes, never what a
/// read returns. Process-wide and thread-safe; reads already running may
/// still advise.
#[no_mangle]
pub extern "C" fn zarrio_set_huge_pages(enabled: u32) -> zarrio_status {
    guard(|| {
        crate::pages::set_huge_page_advice(enabled != 0);
        Ok(())
    })
}

/// 1 if reads ask for huge pages on large caller buffers, else 0.
/// Thread-safe.
#[no_mangle]
pub extern "C" fn zarrio_huge_pages() -> u32 {
    crate::pages::huge_page_advice() as u32
}
