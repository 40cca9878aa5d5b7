//! The C ABI. Thin by design: every export unpacks its arguments with the
//! helpers below, calls the Rust API, and turns the result into a
//! `zarrio_status` inside [`guard`], which also stops panics at the
//! boundary. One module per C type.
//!
//! Names follow C conventions, not Rust's.
#![allow(non_camel_case_types)]

pub mod array;
pub mod callback_store;
pub mod error;
pub mod group;
pub mod io;
pub mod memory;
pub mod pipeline;
pub mod selection;
pub mod store;
pub mod version;

pub use error::zarrio_status;

use crate::error::{internal, invalid_argument, Result};
use std::ffi::{c_char, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Run an export's body: map its error to a status and remember the
/// message; a panic becomes `ZARRIO_ERR_INTERNAL`.
pub(crate) fn guard<F: FnOnce() -> Result<()>>(f: F) -> zarrio_status {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => error::ZARRIO_OK,
        Ok(Err(e)) => error::set_last_error(&e),
        Err(panic) => {
            let msg = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            error::set_last_error(&internal(format!("internal error (panic): {msg}")))
        }
    }
}

/// A NUL-terminated UTF-8 string argument.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string that outlives `'a`.
pub(crate) unsafe fn c_str<'a>(p: *const c_char, what: &str) -> Result<&'a str> {
    if p.is_null() {
        return Err(invalid_argument(format!("{what} is NULL")));
    }
    // SAFETY: non-null, and NUL-terminated per the caller's contract.
    CStr::from_ptr(p)
        .to_str()
        .map_err(|_| invalid_argument(format!("{what} is not valid UTF-8")))
}

/// An optional string argument (NULL = None).
///
/// # Safety
/// As [`c_str`].
pub(crate) unsafe fn opt_c_str<'a>(p: *const c_char, what: &str) -> Result<Option<&'a str>> {
    if p.is_null() {
        Ok(None)
    } else {
        c_str(p, what).map(Some)
    }
}

/// An array argument of `n` elements; NULL is allowed only when `n` is 0.
///
/// # Safety
/// `p` is NULL or points to `n` readable elements that outlive `'a`.
pub(crate) unsafe fn slice<'a, T>(p: *const T, n: usize, what: &str) -> Result<&'a [T]> {
    if n == 0 {
        return Ok(&[]);
    }
    check_slice(p, n, what)?;
    // SAFETY: non-null, aligned and of a possible size (checked), with `n`
    // readable elements per the caller's contract.
    Ok(std::slice::from_raw_parts(p, n))
}

/// A mutable array argument of `n` elements; NULL only when `n` is 0.
///
/// # Safety
/// `p` is NULL or points to `n` writable elements not aliased elsewhere.
pub(crate) unsafe fn slice_mut<'a, T>(p: *mut T, n: usize, what: &str) -> Result<&'a mut [T]> {
    if n == 0 {
        return Ok(&mut []);
    }
    check_slice(p, n, what)?;
    // SAFETY: non-null, aligned and of a possible size (checked), with `n`
    // writable, unaliased elements per the contract.
    Ok(std::slice::from_raw_parts_mut(p, n))
}

/// A NULL or misaligned array pointer, or a length no object can have,
/// is an error, not undefined behaviour when a slice is made of it.
fn check_slice<T>(p: *const T, n: usize, what: &str) -> Result<()> {
    check_pointer(p, what)?;
    // No object is larger than isize::MAX bytes (slice::from_raw_parts).
    if n.checked_mul(std::mem::size_of::<T>())
        .is_none_or(|b| b > isize::MAX as usize)
    {
        return Err(invalid_argument(format!(
            "{what}: {n} elements are more than memory can hold"
        )));
    }
    Ok(())
}

/// A NULL or misaligned array pointer is an error, not undefined
/// behaviour when a slice is made of it.
fn check_pointer<T>(p: *const T, what: &str) -> Result<()> {
    if p.is_null() {
        return Err(invalid_argument(format!("{what} is NULL")));
    }
    if (p as usize) % std::mem::align_of::<T>() != 0 {
        return Err(invalid_argument(format!(
            "{what} is not aligned for its element type"
        )));
    }
    Ok(())
}

/// A handle argument.
///
/// # Safety
/// `p` is NULL or a live handle of type `T` made by this library.
pub(crate) unsafe fn handle<'a, T>(p: *const T, what: &str) -> Result<&'a T> {
    p.as_ref()
        .ok_or_else(|| invalid_argument(format!("{what} is NULL")))
}

/// A live handle for exclusive use, or an error when the pointer is NULL.
///
/// # Safety
/// `p` is NULL or points to a live `T` that no other thread uses while
/// the returned reference lives (the calls that take one say so).
pub(crate) unsafe fn handle_mut<'a, T>(p: *mut T, what: &str) -> Result<&'a mut T> {
    p.as_mut()
        .ok_or_else(|| invalid_argument(format!("{what} is NULL")))
}

/// Write a result through an out-pointer.
///
/// # Safety
/// `p` is NULL or valid for a write of `T`.
pub(crate) unsafe fn write_out<T>(p: *mut T, value: T, what: &str) -> Result<()> {
    check_out(p, what)?;
    // SAFETY: non-null and aligned (checked), writable per the caller's
    // contract.
    p.write(value);
    Ok(())
}

/// Check an out-pointer before doing work whose result it will receive: a
/// NULL or misaligned one is an error, not undefined behaviour when it is
/// written.
pub(crate) fn check_out<T>(p: *mut T, what: &str) -> Result<()> {
    check_pointer(p.cast_const(), what)
}

/// Optional element strides of `ndim` entries (NULL = C order).
///
/// # Safety
/// `p` is NULL or points to `ndim` elements.
pub(crate) unsafe fn opt_strides<'a>(p: *const i64, ndim: usize) -> Result<Option<&'a [i64]>> {
    if p.is_null() {
        Ok(None)
    } else {
        slice(p, ndim, "strides").map(Some)
    }
}

/// A region given as `ndim`, `start` and `shape` pointers.
///
/// # Safety
/// `start` and `shape` are NULL or point to `ndim` elements.
pub(crate) unsafe fn region<'a>(
    ndim: usize,
    start: *const u64,
    shape: *const u64,
) -> Result<(&'a [u64], &'a [u64])> {
    Ok((slice(start, ndim, "start")?, slice(shape, ndim, "shape")?))
}
