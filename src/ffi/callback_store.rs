//! A store made of host callbacks: the host brings its own storage (an
//! object-store SDK, an HTTP client, a test double) as a table of C
//! function pointers with a `user_data` pointer.

use super::io::{zarrio_io, ZARRIO_CALLBACK_EXISTS, ZARRIO_CALLBACK_NOT_FOUND, ZARRIO_CALLBACK_OK};
use super::store::zarrio_store;
use super::{check_out, guard, write_out, zarrio_status};
use crate::error::{corrupt, invalid_argument, io_error, unsupported, Error, Result};
use crate::store::{ByteRange, Store};
use std::ffi::{c_char, c_void, CString};
use std::sync::Arc;

/// The table of callbacks of a host store.
///
/// Every callback receives `user_data`, the key as a NUL-terminated UTF-8
/// string, and a `zarrio_io` for results and error messages. It returns
/// `ZARRIO_CALLBACK_OK` (0), `ZARRIO_CALLBACK_NOT_FOUND` (1) when the key
/// does not exist (get, get_range, size), or a negative number on failure
/// (after `zarrio_io_set_error` with a message, ideally).
///
/// Callbacks are called from the library's worker threads, several at
/// once (up to the larger of the thread count and the I/O concurrency of
/// the call): they must be thread-safe, or the host keeps every call on
/// its own thread with threads 1 and an I/O concurrency of at most 1 (the
/// array's setting, or when that is 0 the library default,
/// `zarrio_set_io_concurrency`). A callback may call the library to
/// read (e.g. an array's attributes), but not to write to the node whose
/// operation called it; a call made from a callback that runs on one of
/// the library's worker threads runs on that thread alone (so no other
/// callback runs on that thread until the callback returns).
///
/// Only `get` is required. Missing entries (NULL) make the library fall
/// back: no `get_range` reads whole values and slices them; no `set_range`
/// rewrites whole shards; no `set`, `erase` make the store read-only; no
/// `list` makes group listings empty-handed (an error); no `size` uses
/// `get`; no `set_if_absent` checks with `size` and then calls `set`.
///
/// `struct_size` must be `sizeof(zarrio_store_callbacks)` as the host was
/// compiled with: later versions may add entries at the end, and entries
/// beyond `struct_size` count as NULL.
#[repr(C)]
pub struct zarrio_store_callbacks {
    pub struct_size: usize,
    pub user_data: *mut c_void,
    /// The whole value: give it with `zarrio_io_set_data`/`zarrio_io_resize`.
    pub get: Option<
        unsafe extern "C" fn(user_data: *mut c_void, key: *const c_char, io: *mut zarrio_io) -> i32,
    >,
    /// Part of a value: `length` bytes from `offset`, or to the end when
    /// `length` is UINT64_MAX; with `from_end` non-zero, the last `length`
    /// bytes (`offset` is then 0). Must give exactly the bytes asked for; a
    /// range past the end is a failure.
    pub get_range: Option<
        unsafe extern "C" fn(
            user_data: *mut c_void,
            key: *const c_char,
            offset: u64,
            length: u64,
            from_end: i32,
            io: *mut zarrio_io,
        ) -> i32,
    >,
    /// Store a whole value (replacing any old one, atomically if the
    /// storage can).
    pub set: Option<
        unsafe extern "C" fn(
            user_data: *mut c_void,
            key: *const c_char,
            data: *const u8,
            len: usize,
            io: *mut zarrio_io,
        ) -> i32,
    >,
    /// Overwrite `len` bytes of an existing value at `offset`, in place.
    /// The library writes only inside existing values.
    pub set_range: Option<
        unsafe extern "C" fn(
            user_data: *mut c_void,
            key: *const c_char,
            offset: u64,
            data: *const u8,
            len: usize,
            io: *mut zarrio_io,
        ) -> i32,
    >,
    /// Remove a value; a missing key is not a failure.
    pub erase: Option<
        unsafe extern "C" fn(user_data: *mut c_void, key: *const c_char, io: *mut zarrio_io) -> i32,
    >,
    /// Every key starting with `prefix`, each given with `zarrio_io_add_key`.
    pub list: Option<
        unsafe extern "C" fn(
            user_data: *mut c_void,
            prefix: *const c_char,
            io: *mut zarrio_io,
        ) -> i32,
    >,
    /// The size of a value in bytes.
    pub size: Option<
        unsafe extern "C" fn(
            user_data: *mut c_void,
            key: *const c_char,
            out_size: *mut u64,
            io: *mut zarrio_io,
        ) -> i32,
    >,
    /// Called once when the store is released (the last handle, group or
    /// array using it is freed), to free `user_data`. May be NULL.
    pub release: Option<unsafe extern "C" fn(user_data: *mut c_void)>,
    /// Store a whole value only when the key is absent, atomically (an
    /// object store's conditional put, "If-None-Match: *"): return
    /// `ZARRIO_CALLBACK_OK` when it stored the value,
    /// `ZARRIO_CALLBACK_EXISTS` when the key was there (nothing stored).
    /// The library uses it to create parent groups without overwriting a
    /// group another writer has just created; without it, it reads and
    /// then writes. It comes after `release`: a table whose `struct_size`
    /// ends before it has none.
    pub set_if_absent: Option<
        unsafe extern "C" fn(
            user_data: *mut c_void,
            key: *const c_char,
            data: *const u8,
            len: usize,
            io: *mut zarrio_io,
        ) -> i32,
    >,
}

// Every entry is pointer-sized, which the copy in
// `zarrio_store_create_callbacks` relies on to cut at whole entries.
const _: () =
    assert!(std::mem::size_of::<zarrio_store_callbacks>() == 11 * std::mem::size_of::<usize>());

/// The engine's view of a host callback table.
pub(crate) struct CallbackStore {
    cb: zarrio_store_callbacks,
}

// SAFETY: the host promises (see zarrio_store_callbacks) that its
// callbacks and user_data may be used from any thread, concurrently.
unsafe impl Send for CallbackStore {}
unsafe impl Sync for CallbackStore {}

impl std::fmt::Debug for CallbackStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CallbackStore")
    }
}

impl Drop for CallbackStore {
    fn drop(&mut self) {
        if let Some(release) = self.cb.release {
            // SAFETY: called once, as the table's contract says.
            unsafe { release(self.cb.user_data) };
        }
    }
}

fn key_cstring(key: &str) -> Result<CString> {
    CString::new(key).map_err(|_| invalid_argument(format!("key {key:?} contains a NUL byte")))
}

/// Turn a callback's return code into a result (Ok(false) = not found).
fn outcome(op: &str, key: &str, rc: i32, io: &zarrio_io) -> Result<bool> {
    if let Some(m) = &io.misuse {
        return Err(m.clone().context(format!("{op} callback for {key}")));
    }
    match rc {
        ZARRIO_CALLBACK_OK => Ok(true),
        ZARRIO_CALLBACK_NOT_FOUND => Ok(false),
        _ => Err(io_error(match &io.error {
            Some(m) => format!("{op} callback for {key} failed ({rc}): {m}"),
            None => format!("{op} callback for {key} failed ({rc})"),
        })),
    }
}

/// The signature of the callbacks that store a whole value.
type PutFn =
    unsafe extern "C" fn(*mut c_void, *const c_char, *const u8, usize, *mut zarrio_io) -> i32;

impl CallbackStore {
    fn missing(&self, op: &str) -> Error {
        unsupported(format!("this callback store has no {op} callback"))
    }

    /// Call `set` or `set_if_absent`: its return code and io.
    fn put(&self, f: PutFn, key: &str, value: &[u8]) -> Result<(i32, zarrio_io)> {
        let k = key_cstring(key)?;
        let mut io = zarrio_io::default();
        // SAFETY: a host callback called as its contract describes; `value`
        // outlives the call.
        let rc = crate::threads::host_code(|| unsafe {
            f(
                self.cb.user_data,
                k.as_ptr(),
                value.as_ptr(),
                value.len(),
                &mut io,
            )
        });
        Ok((rc, io))
    }
}

impl Store for CallbackStore {
    /// Handles made from one table share its storage: the writers through
    /// any of them take turns. Without `user_data` the callbacks reach
    /// storage of their own, named by their `set` (tables of other
    /// callbacks are other storage).
    fn storage_id(&self) -> usize {
        match (self.cb.user_data.is_null(), self.cb.set) {
            (true, Some(set)) => set as usize,
            _ => self.cb.user_data as usize,
        }
    }

    fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        let f = self.cb.get.ok_or_else(|| self.missing("get"))?;
        let k = key_cstring(key)?;
        let mut io = zarrio_io::default();
        // SAFETY: a host callback called as its contract describes.
        let rc = crate::threads::host_code(|| unsafe { f(self.cb.user_data, k.as_ptr(), &mut io) });
        Ok(outcome("get", key, rc, &io)?.then_some(io.data))
    }

    fn get_range(&self, key: &str, range: ByteRange) -> Result<Option<Vec<u8>>> {
        let Some(f) = self.cb.get_range else {
            return match self.get(key)? {
                Some(v) => crate::store::slice_range(&v, &range).map(Some),
                None => Ok(None),
            };
        };
        let (offset, length, from_end, expected) = match range {
            ByteRange::FromStart {
                offset,
                length: Some(l),
            } => (offset, l, 0, Some(l)),
            ByteRange::FromStart {
                offset,
                length: None,
            } => (offset, u64::MAX, 0, None),
            ByteRange::Suffix { length } => (0, length, 1, Some(length)),
        };
        let k = key_cstring(key)?;
        let mut io = zarrio_io::default();
        // SAFETY: a host callback called as its contract describes.
        let rc = crate::threads::host_code(|| unsafe {
            f(
                self.cb.user_data,
                k.as_ptr(),
                offset,
                length,
                from_end,
                &mut io,
            )
        });
        if !outcome("get_range", key, rc, &io)? {
            return Ok(None);
        }
        if let Some(n) = expected {
            if io.data.len() as u64 != n {
                return Err(corrupt(format!(
                    "get_range callback for {key} gave {} bytes, {n} were asked for",
                    io.data.len()
                )));
            }
        }
        Ok(Some(io.data))
    }

    /// A store without `set` cannot take node metadata: a node created
    /// over another is refused before the old one is erased.
    fn check_metadata(&self, _key: &str, _value: &[u8]) -> Result<()> {
        self.cb.set.map(|_| ()).ok_or_else(|| self.missing("set"))
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<()> {
        crate::store::validate_key(key)?;
        let f = self.cb.set.ok_or_else(|| self.missing("set"))?;
        let (rc, io) = self.put(f, key, value)?;
        if !outcome("set", key, rc, &io)? {
            // Nothing was stored: reporting success would lose the data.
            return Err(io_error(format!(
                "set callback for {key} returned ZARRIO_CALLBACK_NOT_FOUND; nothing was stored"
            )));
        }
        Ok(())
    }

    fn set_range(&self, key: &str, offset: u64, bytes: &[u8]) -> Result<()> {
        crate::store::validate_key(key)?;
        let f = self.cb.set_range.ok_or_else(|| self.missing("set_range"))?;
        let k = key_cstring(key)?;
        let mut io = zarrio_io::default();
        // SAFETY: as in `set`.
        let rc = crate::threads::host_code(|| unsafe {
            f(
                self.cb.user_data,
                k.as_ptr(),
                offset,
                bytes.as_ptr(),
                bytes.len(),
                &mut io,
            )
        });
        if !outcome("set_range", key, rc, &io)? {
            return Err(crate::error::not_found(format!(
                "{key}: no value to write a range into"
            )));
        }
        Ok(())
    }

    fn supports_set_range(&self) -> bool {
        self.cb.set_range.is_some()
    }

    /// Without either callback, each is a read of the whole value.
    fn serves_ranges(&self) -> bool {
        self.cb.get_range.is_some() && self.cb.size.is_some()
    }

    fn erase(&self, key: &str) -> Result<()> {
        // Keys a host listed, too: "a/../b" must not reach its erase.
        crate::store::validate_key(key)?;
        let f = self.cb.erase.ok_or_else(|| self.missing("erase"))?;
        let k = key_cstring(key)?;
        let mut io = zarrio_io::default();
        // SAFETY: a host callback called as its contract describes.
        let rc = crate::threads::host_code(|| unsafe { f(self.cb.user_data, k.as_ptr(), &mut io) });
        outcome("erase", key, rc, &io).map(|_| ())
    }

    fn list(&self, prefix: &str) -> Result<Vec<String>> {
        let f = self.cb.list.ok_or_else(|| self.missing("list"))?;
        let k = key_cstring(prefix)?;
        let mut io = zarrio_io::default();
        // SAFETY: a host callback called as its contract describes.
        let rc = crate::threads::host_code(|| unsafe { f(self.cb.user_data, k.as_ptr(), &mut io) });
        outcome("list", prefix, rc, &io)?;
        let mut keys: Vec<String> = io
            .keys
            .into_iter()
            .filter(|k| k.starts_with(prefix))
            .collect();
        keys.sort();
        keys.dedup();
        Ok(keys)
    }

    fn set_if_absent(&self, key: &str, value: &[u8]) -> Result<bool> {
        crate::store::validate_key(key)?;
        let Some(f) = self.cb.set_if_absent else {
            return crate::store::set_unless_present(self, key, value);
        };
        let (rc, io) = self.put(f, key, value)?;
        if rc == ZARRIO_CALLBACK_EXISTS && io.misuse.is_none() {
            return Ok(false);
        }
        if !outcome("set_if_absent", key, rc, &io)? {
            return Err(io_error(format!(
                "set_if_absent callback for {key} returned ZARRIO_CALLBACK_NOT_FOUND; \
                 it returns ZARRIO_CALLBACK_EXISTS when the key is there"
            )));
        }
        Ok(true)
    }

    fn supports_set_if_absent(&self) -> bool {
        self.cb.set_if_absent.is_some()
    }

    fn size(&self, key: &str) -> Result<Option<u64>> {
        let Some(f) = self.cb.size else {
            return Ok(self.get(key)?.map(|v| v.len() as u64));
        };
        let k = key_cstring(key)?;
        let mut io = zarrio_io::default();
        let mut size = 0u64;
        // SAFETY: a host callback called as its contract describes.
        let rc = crate::threads::host_code(|| unsafe {
            f(self.cb.user_data, k.as_ptr(), &mut size, &mut io)
        });
        Ok(outcome("size", key, rc, &io)?.then_some(size))
    }
}

/// Create a store from a table of host callbacks (copied; the table itself
/// need not outlive the call, `user_data` must). On success the store owns
/// `user_data` and calls `release` when it is freed; on failure `release`
/// is not called.
///
/// # Safety
/// `callbacks` points to a table whose first `struct_size` bytes are
/// valid; the callbacks follow the contract of `zarrio_store_callbacks`.
#[no_mangle]
pub unsafe extern "C" fn zarrio_store_create_callbacks(
    callbacks: *const zarrio_store_callbacks,
    out: *mut *mut zarrio_store,
) -> zarrio_status {
    guard(|| {
        check_out(out, "out")?;
        if callbacks.is_null() {
            return Err(invalid_argument("callbacks is NULL"));
        }
        // Only `struct_size` is read before the size is known: the host's
        // table may be shorter than this version's (an older header), so no
        // reference to a whole table is formed.
        // SAFETY: non-null, and every version's table starts with it.
        let size = std::ptr::addr_of!((*callbacks).struct_size).read_unaligned();
        let min = std::mem::offset_of!(zarrio_store_callbacks, get) + std::mem::size_of::<usize>();
        if size < min {
            return Err(invalid_argument(format!(
                "callbacks->struct_size is {size}, at least {min} expected"
            )));
        }
        // Copy only what the host's table has; later entries stay NULL.
        let mut cb = zarrio_store_callbacks {
            struct_size: 0,
            user_data: std::ptr::null_mut(),
            get: None,
            get_range: None,
            set: None,
            set_range: None,
            erase: None,
            list: None,
            size: None,
            release: None,
            set_if_absent: None,
        };
        // Whole entries only (all are pointer-sized): one cut short by
        // `struct_size` counts as NULL, not as half a pointer.
        let entry = std::mem::size_of::<usize>();
        let n = size.min(std::mem::size_of::<zarrio_store_callbacks>()) / entry * entry;
        // SAFETY: the host's table has `size >= n` readable bytes; every field
        // is a pointer or an Option of a function pointer, for which any bit
        // pattern the host wrote (including NULL) is a valid value.
        std::ptr::copy_nonoverlapping(callbacks as *const u8, &mut cb as *mut _ as *mut u8, n);
        cb.struct_size = std::mem::size_of::<zarrio_store_callbacks>();
        if cb.get.is_none() {
            return Err(invalid_argument("callbacks->get is required"));
        }
        let store = CallbackStore { cb };
        write_out(
            out,
            Box::into_raw(Box::new(zarrio_store {
                inner: Arc::new(store),
            })),
            "out",
        )
    })
}
