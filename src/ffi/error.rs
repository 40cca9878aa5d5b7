//! Status codes and the thread-local last error message.

use crate::error::{Error, ErrorKind};
use std::cell::RefCell;
use std::ffi::{c_char, CString};

/// The result of every fallible call: 0 on success, a negative
/// `ZARRIO_ERR_*` code on failure. Codes are stable and never reused.
pub type zarrio_status = i32;

/// Success.
pub const ZARRIO_OK: zarrio_status = 0;
/// An argument is invalid: NULL pointer, wrong ndim, bad strides.
pub const ZARRIO_ERR_INVALID_ARGUMENT: zarrio_status = -1;
/// Metadata or JSON is malformed or invalid (zarr.json, codec list).
pub const ZARRIO_ERR_INVALID_METADATA: zarrio_status = -2;
/// Valid, but not supported by this build.
pub const ZARRIO_ERR_UNSUPPORTED: zarrio_status = -3;
/// The node or key does not exist.
pub const ZARRIO_ERR_NOT_FOUND: zarrio_status = -4;
/// The storage layer failed.
pub const ZARRIO_ERR_IO: zarrio_status = -5;
/// Stored bytes cannot be decoded (truncated, corrupt, bad shard index).
pub const ZARRIO_ERR_CORRUPT: zarrio_status = -6;
/// A checksum did not match.
pub const ZARRIO_ERR_CHECKSUM: zarrio_status = -7;
/// A region or chunk index lies outside the array.
pub const ZARRIO_ERR_OUT_OF_BOUNDS: zarrio_status = -8;
/// A caller buffer is too small.
pub const ZARRIO_ERR_BUFFER_TOO_SMALL: zarrio_status = -9;
/// A node already exists.
pub const ZARRIO_ERR_ALREADY_EXISTS: zarrio_status = -10;
/// A bug in the library (a caught panic); please report it.
pub const ZARRIO_ERR_INTERNAL: zarrio_status = -11;
/// A buffer the operation needs (e.g. one decoded chunk, whose size comes
/// from the metadata) could not be allocated.
pub const ZARRIO_ERR_OUT_OF_MEMORY: zarrio_status = -12;

pub(crate) fn status_of(kind: ErrorKind) -> zarrio_status {
    match kind {
        ErrorKind::InvalidArgument => ZARRIO_ERR_INVALID_ARGUMENT,
        ErrorKind::InvalidMetadata => ZARRIO_ERR_INVALID_METADATA,
        ErrorKind::Unsupported => ZARRIO_ERR_UNSUPPORTED,
        ErrorKind::NotFound => ZARRIO_ERR_NOT_FOUND,
        ErrorKind::Io => ZARRIO_ERR_IO,
        ErrorKind::Corrupt => ZARRIO_ERR_CORRUPT,
        ErrorKind::Checksum => ZARRIO_ERR_CHECKSUM,
        ErrorKind::OutOfBounds => ZARRIO_ERR_OUT_OF_BOUNDS,
        ErrorKind::BufferTooSmall => ZARRIO_ERR_BUFFER_TOO_SMALL,
        ErrorKind::AlreadyExists => ZARRIO_ERR_ALREADY_EXISTS,
        ErrorKind::Internal => ZARRIO_ERR_INTERNAL,
        ErrorKind::OutOfMemory => ZARRIO_ERR_OUT_OF_MEMORY,
    }
}

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

/// Remember `e` as this thread's last error and return its status.
pub(crate) fn set_last_error(e: &Error) -> zarrio_status {
    let msg = CString::new(e.message().replace('\0', " ")).unwrap_or_default();
    LAST_ERROR.with(|m| *m.borrow_mut() = msg);
    status_of(e.kind())
}

/// The message of the last failed call on this thread ("" if none).
///
/// The string is owned by the library and stays valid until the next
/// zarrio call on the same thread. Never NULL. Thread-safe: each thread
/// has its own message.
#[no_mangle]
pub extern "C" fn zarrio_last_error() -> *const c_char {
    LAST_ERROR.with(|m| m.borrow().as_ptr())
}

/// Copy the last error message of this thread into `buf` (for callers
/// such as Fortran that cannot keep a borrowed pointer).
///
/// Writes at most `capacity - 1` bytes plus a NUL terminator (nothing when
/// `capacity` is 0 or `buf` is NULL) and returns the full length of the
/// message, so a return value >= `capacity` means it was truncated.
///
/// # Safety
/// `buf` must be NULL or writable for `capacity` bytes.
#[no_mangle]
pub unsafe extern "C" fn zarrio_last_error_copy(buf: *mut c_char, capacity: usize) -> usize {
    LAST_ERROR.with(|m| {
        let m = m.borrow();
        let bytes = m.as_bytes();
        if !buf.is_null() && capacity > 0 {
            let n = bytes.len().min(capacity - 1);
            // SAFETY: the caller guarantees `buf` holds `capacity` bytes; we
            // write n + 1 <= capacity of them.
            std::ptr::copy_nonoverlapping(bytes.as_ptr() as *const c_char, buf, n);
            *buf.add(n) = 0;
        }
        bytes.len()
    })
}

/// Set this thread's last error message to `message` (NULL: the empty
/// message) and return `status` unchanged: for bindings that check their
/// own arguments before they call the library (the Fortran module's
/// `zarrio_get` does), so that `zarrio_last_error` explains their
/// failures as it explains the library's. Thread-safe: each thread has
/// its own message.
///
/// # Safety
/// `message` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn zarrio_set_last_error(
    status: zarrio_status,
    message: *const c_char,
) -> zarrio_status {
    let msg = if message.is_null() {
        CString::default()
    } else {
        // SAFETY: non-null and NUL-terminated per the caller's contract;
        // copied before this returns.
        CString::from(std::ffi::CStr::from_ptr(message))
    };
    LAST_ERROR.with(|m| *m.borrow_mut() = msg);
    status
}

/// The name of a status code, e.g. "ZARRIO_ERR_IO" (a static string,
/// never NULL; "ZARRIO_ERR_UNKNOWN" for codes this version does not know).
#[no_mangle]
pub extern "C" fn zarrio_status_name(status: zarrio_status) -> *const c_char {
    let s: &'static [u8] = match status {
        ZARRIO_OK => b"ZARRIO_OK\0",
        ZARRIO_ERR_INVALID_ARGUMENT => b"ZARRIO_ERR_INVALID_ARGUMENT\0",
        ZARRIO_ERR_INVALID_METADATA => b"ZARRIO_ERR_INVALID_METADATA\0",
        ZARRIO_ERR_UNSUPPORTED => b"ZARRIO_ERR_UNSUPPORTED\0",
        ZARRIO_ERR_NOT_FOUND => b"ZARRIO_ERR_NOT_FOUND\0",
        ZARRIO_ERR_IO => b"ZARRIO_ERR_IO\0",
        ZARRIO_ERR_CORRUPT => b"ZARRIO_ERR_CORRUPT\0",
        ZARRIO_ERR_CHECKSUM => b"ZARRIO_ERR_CHECKSUM\0",
        ZARRIO_ERR_OUT_OF_BOUNDS => b"ZARRIO_ERR_OUT_OF_BOUNDS\0",
        ZARRIO_ERR_BUFFER_TOO_SMALL => b"ZARRIO_ERR_BUFFER_TOO_SMALL\0",
        ZARRIO_ERR_ALREADY_EXISTS => b"ZARRIO_ERR_ALREADY_EXISTS\0",
        ZARRIO_ERR_INTERNAL => b"ZARRIO_ERR_INTERNAL\0",
        ZARRIO_ERR_OUT_OF_MEMORY => b"ZARRIO_ERR_OUT_OF_MEMORY\0",
        _ => b"ZARRIO_ERR_UNKNOWN\0",
    };
    s.as_ptr() as *const c_char
}
