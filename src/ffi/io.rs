//! `zarrio_io`: the per-call channel through which a host callback hands
//! data, keys and error messages back to the library.

use super::{c_str, zarrio_status};
use crate::error::invalid_argument;
use std::ffi::{c_char, c_void};

/// Returned by a host callback: the operation succeeded.
pub const ZARRIO_CALLBACK_OK: i32 = 0;
/// Returned by a host callback: the key does not exist.
pub const ZARRIO_CALLBACK_NOT_FOUND: i32 = 1;
/// Returned by a `set_if_absent` callback: the key exists, and nothing
/// was stored.
pub const ZARRIO_CALLBACK_EXISTS: i32 = 2;

/// Passed to each host callback for one operation; valid only during that
/// callback. The host gives data with `zarrio_io_set_data` or
/// `zarrio_io_resize`, keys with `zarrio_io_add_key`, and an error message
/// with `zarrio_io_set_error`.
#[derive(Default)]
pub struct zarrio_io {
    pub(crate) data: Vec<u8>,
    pub(crate) keys: Vec<String>,
    pub(crate) error: Option<String>,
    /// A bad call on this io (e.g. invalid UTF-8 key, a length that cannot
    /// be allocated) to report afterwards.
    pub(crate) misuse: Option<crate::error::Error>,
}

/// Set the result bytes of a get or get_range callback to a copy of
/// `len` bytes at `data`. `data` may point into the memory
/// `zarrio_io_resize` gave for this `io` (e.g. to drop a header the host
/// read into it).
///
/// # Safety
/// `io` is the handle passed to the running callback; `data` holds `len`
/// bytes (or is NULL with `len` 0).
#[no_mangle]
pub unsafe extern "C" fn zarrio_io_set_data(
    io: *mut zarrio_io,
    data: *const c_void,
    len: usize,
) -> zarrio_status {
    super::guard(|| {
        let io = io.as_mut().ok_or_else(|| invalid_argument("io is NULL"))?;
        set_data(io, data as *const u8, len).inspect_err(|e| {
            // Also fails the operation if the host ignores this status:
            // whatever the io held before is not the value.
            io.misuse = Some(e.clone().context("a callback's data"));
        })
    })
}

/// `zarrio_io_set_data` once `io` is known.
///
/// # Safety
/// As for `zarrio_io_set_data`.
unsafe fn set_data(io: &mut zarrio_io, data: *const u8, len: usize) -> crate::error::Result<()> {
    // Bytes inside io's own buffer are moved within it: a slice of them
    // next to the `&mut` the copy needs would alias it.
    let at = (data as usize).wrapping_sub(io.data.as_ptr() as usize);
    if !data.is_null() && at < io.data.capacity() {
        if at > io.data.len() || len > io.data.len() - at {
            return Err(invalid_argument(format!(
                "data: {len} bytes from offset {at} of the io's buffer run past its {} bytes",
                io.data.len()
            )));
        }
        io.data.copy_within(at..at + len, 0);
        io.data.truncate(len);
        return Ok(());
    }
    let src = super::slice(data, len, "data")?;
    io.data.clear();
    crate::alloc::append(&mut io.data, src)
}

/// Make the result of a get or get_range callback `len` bytes long and
/// return a pointer to them, for the host to fill in place (no extra
/// copy). Like `realloc`, a second call keeps the first bytes (as many as
/// both lengths have; bytes added are zero) and may move them: a pointer
/// from an earlier call is then invalid. The memory belongs to the library
/// and stays valid until the callback returns or the next call on this
/// `io`. NULL when `io` is NULL, or when `len` bytes cannot be allocated
/// (the operation then fails with `ZARRIO_ERR_OUT_OF_MEMORY` whatever the
/// callback returns).
///
/// # Safety
/// `io` is the handle passed to the running callback.
#[no_mangle]
pub unsafe extern "C" fn zarrio_io_resize(io: *mut zarrio_io, len: usize) -> *mut c_void {
    let Some(io) = io.as_mut() else {
        return std::ptr::null_mut();
    };
    // Fallible: the length comes from the host, and an allocation failure
    // would abort the process (no panic boundary can catch it).
    match crate::alloc::resize_zeroed(&mut io.data, len) {
        Ok(()) => io.data.as_mut_ptr() as *mut c_void,
        Err(e) => {
            io.misuse = Some(e);
            std::ptr::null_mut()
        }
    }
}

/// Add one key to the result of a list callback.
///
/// # Safety
/// `io` is the handle passed to the running callback; `key` is a
/// NUL-terminated UTF-8 string.
#[no_mangle]
pub unsafe extern "C" fn zarrio_io_add_key(
    io: *mut zarrio_io,
    key: *const c_char,
) -> zarrio_status {
    super::guard(|| {
        let io = io.as_mut().ok_or_else(|| invalid_argument("io is NULL"))?;
        match c_str(key, "key") {
            Ok(k) => {
                io.keys.push(k.to_string());
                Ok(())
            }
            Err(e) => {
                io.misuse = Some(e.clone());
                Err(e)
            }
        }
    })
}

/// Give the message of a failing callback; the library reports it with
/// the error status. Copied; NULL clears it.
///
/// # Safety
/// `io` is the handle passed to the running callback; `message` is NULL or
/// a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn zarrio_io_set_error(io: *mut zarrio_io, message: *const c_char) {
    if let Some(io) = io.as_mut() {
        io.error = if message.is_null() {
            None
        } else {
            // SAFETY: non-null and NUL-terminated per the contract.
            Some(
                std::ffi::CStr::from_ptr(message)
                    .to_string_lossy()
                    .into_owned(),
            )
        };
    }
}
