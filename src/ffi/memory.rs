//! Memory the library hands to the caller, and its release.

use std::ffi::{c_char, CString};

/// Move a Rust string to the caller (release with `zarrio_string_free`).
pub(crate) fn into_c_string(s: String) -> *mut c_char {
    CString::new(s.replace('\0', " "))
        .unwrap_or_default()
        .into_raw()
}

/// Move bytes to the caller (release with `zarrio_bytes_free`).
pub(crate) fn into_c_bytes(v: Vec<u8>) -> (*mut u8, usize) {
    if v.is_empty() {
        // NULL for nothing: `zarrio_bytes_free` takes it, and no host sees
        // a dangling pointer.
        return (std::ptr::null_mut(), 0);
    }
    let b = v.into_boxed_slice();
    let len = b.len();
    (Box::into_raw(b) as *mut u8, len)
}

/// Release a string returned by the library. NULL is ignored.
///
/// # Safety
/// `s` is NULL or a string from a zarrio call not yet released.
#[no_mangle]
pub unsafe extern "C" fn zarrio_string_free(s: *mut c_char) {
    if !s.is_null() {
        // SAFETY: made by `CString::into_raw` in `into_c_string`.
        drop(CString::from_raw(s));
    }
}

/// Release bytes returned by the library (with the length returned with
/// them). NULL is ignored.
///
/// # Safety
/// `bytes`/`len` come from one zarrio call and are not yet released.
#[no_mangle]
pub unsafe extern "C" fn zarrio_bytes_free(bytes: *mut u8, len: usize) {
    if !bytes.is_null() {
        // SAFETY: made by `Box::<[u8]>::into_raw` with this length in `into_c_bytes`.
        drop(Box::from_raw(std::ptr::slice_from_raw_parts_mut(
            bytes, len,
        )));
    }
}
