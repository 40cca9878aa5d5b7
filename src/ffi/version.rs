//! Version and library-wide thread settings.

use super::{guard, zarrio_status};
use std::ffi::c_char;

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
/// set their own (0 = one per core, the initial setting). Thread-safe;
/// reads already running keep the count they started with.
#[no_mangle]
pub extern "C" fn zarrio_set_threads(n: u32) -> zarrio_status {
    guard(|| {
        crate::threads::set_default_threads(n as usize);
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
/// decoding still runs on the decode threads only. Thread-safe.
#[no_mangle]
pub extern "C" fn zarrio_set_io_concurrency(n: u32) -> zarrio_status {
    guard(|| {
        crate::threads::set_default_io_concurrency(n as usize);
        Ok(())
    })
}

/// The default I/O concurrency (0 = as many as decode threads). Thread-safe.
#[no_mangle]
pub extern "C" fn zarrio_io_concurrency() -> u32 {
    crate::threads::default_io_concurrency() as u32
}
