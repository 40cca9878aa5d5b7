//! Key-value stores: the storage layer under groups and arrays.
//!
//! Keys are `/`-separated paths without a leading slash (`a/b/zarr.json`).
//! A store says which optional operations it supports; the engine falls
//! back where one is missing (e.g. reads a whole value and slices it).

use crate::error::{invalid_argument, Result};
use std::sync::Arc;

pub mod filesystem;
pub mod memory;
pub mod n5;
pub mod zip;
pub mod zip_writer;

pub use filesystem::FilesystemStore;
pub use memory::MemoryStore;
pub use n5::N5Store;
pub use zip::ZipStore;
pub use zip_writer::ZipWriteStore;

/// A byte range of a stored value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByteRange {
    /// `length` bytes from `offset` (to the end when `length` is None).
    FromStart { offset: u64, length: Option<u64> },
    /// The last `length` bytes.
    Suffix { length: u64 },
}

impl ByteRange {
    pub fn new(offset: u64, length: u64) -> Self {
        ByteRange::FromStart {
            offset,
            length: Some(length),
        }
    }
    /// Resolve to `start..end` within a value of `size` bytes; an error when
    /// the range does not lie inside the value.
    pub fn resolve(&self, size: u64) -> Result<std::ops::Range<u64>> {
        let r = match *self {
            ByteRange::FromStart { offset, length } => {
                let end = match length {
                    Some(l) => offset.checked_add(l),
                    None => Some(size),
                };
                match end {
                    Some(end) if offset <= end && end <= size => offset..end,
                    _ => return Err(range_error(self, size)),
                }
            }
            ByteRange::Suffix { length } => {
                if length > size {
                    return Err(range_error(self, size));
                }
                size - length..size
            }
        };
        Ok(r)
    }
}

fn range_error(r: &ByteRange, size: u64) -> crate::error::Error {
    crate::error::corrupt(format!(
        "byte range {r:?} lies outside a value of {size} bytes"
    ))
}

/// Slice a whole value by a range (the fallback for stores without ranges).
pub fn slice_range(value: &[u8], range: &ByteRange) -> Result<Vec<u8>> {
    let r = range.resolve(value.len() as u64)?;
    crate::alloc::copied(&value[r.start as usize..r.end as usize])
}

/// `get_in_pieces` for a store that holds the whole value (None: absent).
pub fn hand_over_whole(
    value: Option<&[u8]>,
    total: usize,
    sink: &mut dyn FnMut(&[u8]) -> Result<()>,
) -> Result<Option<bool>> {
    match value {
        None => Ok(None),
        Some(v) if v.len() != total => Ok(Some(false)),
        Some(v) => sink(v).map(|()| Some(true)),
    }
}

/// `store.get_in_pieces`, checked: the sink never sees more than `total`
/// bytes, and pieces that add up to more or fewer are an error, whatever
/// the store does (it may be a host's).
pub fn get_exactly<S: Store + ?Sized>(
    store: &S,
    key: &str,
    total: usize,
    sink: &mut dyn FnMut(&[u8]) -> Result<()>,
) -> Result<Option<bool>> {
    let mut handed = 0usize;
    let got = store.get_in_pieces(key, total, &mut |piece| {
        // Counted before the check, so a store that goes on after an
        // overflow error can never come back to exactly `total`.
        handed = handed.saturating_add(piece.len());
        if handed > total {
            return Err(crate::error::internal(format!(
                "{key}: the store handed over more than {total} bytes"
            )));
        }
        sink(piece)
    })?;
    if got == Some(true) && handed != total {
        return Err(crate::error::internal(format!(
            "{key}: the store handed over {handed} bytes, fewer than the {total} of the value"
        )));
    }
    Ok(got)
}

/// A snapshot of one stored value (see `Store::value_reader`).
pub trait ValueReader: Send + Sync {
    /// The value's size in bytes.
    fn size(&self) -> u64;
    /// Read `out.len()` bytes starting at `offset` into `out`; a range
    /// that runs past the end of the value is an error.
    fn read_at(&self, offset: u64, out: &mut [u8]) -> Result<()>;
}

/// The storage interface. All methods may be called from many threads.
pub trait Store: Send + Sync + std::fmt::Debug {
    /// The whole value, or None when the key is absent.
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>>;
    /// Part of a value, or None when the key is absent. A range that does
    /// not fit the value is an error.
    fn get_range(&self, key: &str, range: ByteRange) -> Result<Option<Vec<u8>>> {
        match self.get(key)? {
            Some(v) => slice_range(&v, &range).map(Some),
            None => Ok(None),
        }
    }
    /// Read a whole value straight into `out` when it is exactly
    /// `out.len()` bytes: Some(true) when read, Some(false) when the value
    /// has another size (`out` is then unspecified), None when absent.
    fn get_into(&self, key: &str, out: &mut [u8]) -> Result<Option<bool>> {
        let mut filled = 0;
        get_exactly(self, key, out.len(), &mut |piece| {
            // In bounds: get_exactly stops a store before it overruns.
            out[filled..filled + piece.len()].copy_from_slice(piece);
            filled += piece.len();
            Ok(())
        })
    }
    /// One version of a value, read by byte range straight into callers'
    /// buffers from any number of threads: every read sees the value as it
    /// was when it was opened, even if it is replaced meanwhile. None when
    /// the key is absent. Only stores whose `supports_value_reader` is true
    /// implement it; the others return an "unsupported" error.
    fn value_reader(&self, key: &str) -> Result<Option<Box<dyn ValueReader + '_>>> {
        Err(crate::error::unsupported(format!(
            "{key}: this store cannot read a value in ranges from several threads"
        )))
    }
    /// What names the storage behind this store within the process, for
    /// writers that take turns on it (see `set_if_absent`): the store's
    /// address unless two stores can share storage.
    fn storage_id(&self) -> usize {
        self as *const Self as *const () as usize
    }
    /// Whether `value_reader` is implemented: reading a large value in
    /// pieces from several threads then costs no more than reading it whole.
    fn supports_value_reader(&self) -> bool {
        false
    }
    /// Read a whole value into `buf`, replacing its contents and reusing
    /// its capacity, so a caller that reads many values keeps one buffer:
    /// true when read, false (and `buf` unspecified) when absent.
    fn get_reusing(&self, key: &str, buf: &mut Vec<u8>) -> Result<bool> {
        Ok(match self.get(key)? {
            Some(v) => {
                *buf = v;
                true
            }
            None => false,
        })
    }
    /// Hand a whole value of exactly `total` bytes to `sink` in order, in
    /// pieces of the store's choosing (a file is read through a buffer that
    /// stays in cache, so the sink places bytes that are still there):
    /// Some(true) when read, Some(false) when the value has another size
    /// (`sink` is then not called), None when absent. The pieces add up to
    /// `total`; an error from `sink` stops the read and is returned.
    fn get_in_pieces(
        &self,
        key: &str,
        total: usize,
        sink: &mut dyn FnMut(&[u8]) -> Result<()>,
    ) -> Result<Option<bool>> {
        hand_over_whole(self.get(key)?.as_deref(), total, sink)
    }
    /// Store a whole value, replacing any old one atomically where the
    /// store can (readers see the old value or the new one).
    fn set(&self, key: &str, value: &[u8]) -> Result<()>;
    /// `set` of the concatenation of `parts`. Stores that take the pieces
    /// straight from where they lie (a vectored write, or the one copy into
    /// a value of their own) say from what length on with `min_part_len`;
    /// for the others this gathers them into a buffer first.
    fn set_parts(&self, key: &str, parts: &[&[u8]]) -> Result<()> {
        self.set(key, &concatenated(parts)?)
    }
    /// The shortest pieces for which `set_parts` costs no more than `set`
    /// of the gathered value (so a caller need not gather them itself), or
    /// None when it always gathers.
    fn min_part_len(&self) -> Option<usize> {
        None
    }
    /// Store a whole value only when the key is absent, atomically (two
    /// racing callers: exactly one creates it). Returns true when this call
    /// created the value. Stores that cannot do this atomically say so
    /// with `supports_set_if_absent`.
    fn set_if_absent(&self, key: &str, value: &[u8]) -> Result<bool> {
        set_unless_present(self, key, value)
    }
    /// Whether `set_if_absent` is atomic.
    fn supports_set_if_absent(&self) -> bool {
        false
    }
    /// Check, before anything changes, that `set(key, value)` of node
    /// metadata would be taken. A store that keeps node metadata in a form
    /// of its own (an N5 container) refuses here what it cannot hold, so
    /// that a node created over another is refused before the old one is
    /// erased.
    fn check_metadata(&self, _key: &str, _value: &[u8]) -> Result<()> {
        Ok(())
    }
    /// Overwrite `bytes.len()` bytes of an existing value at `offset`, in
    /// place. The range must lie inside the value. Writers of disjoint
    /// ranges do not disturb each other.
    fn set_range(&self, key: &str, _offset: u64, _bytes: &[u8]) -> Result<()> {
        Err(crate::error::unsupported(format!(
            "{key}: this store cannot write byte ranges"
        )))
    }
    /// Whether `set_range` is available.
    fn supports_set_range(&self) -> bool {
        false
    }
    /// Remove a value; absent keys are not an error.
    fn erase(&self, key: &str) -> Result<()>;
    /// All keys that start with `prefix`, sorted.
    fn list(&self, prefix: &str) -> Result<Vec<String>>;
    /// The node metadata keys (`zarr.json`, `.zarray`, `.zgroup`,
    /// `.zattrs`) that start with `prefix`, sorted; other keys may be
    /// among them. What finds a group's children: a store that knows its
    /// nodes without listing every value (consolidated metadata) answers
    /// it alone.
    fn list_metadata(&self, prefix: &str) -> Result<Vec<String>> {
        self.list(prefix)
    }
    /// The metadata keys that make the direct children of the node whose
    /// keys start with `prefix` (empty, or a path ending in `/`) nodes:
    /// `{prefix}{name}/{file}` for each `file` of [`CHILD_METADATA`]
    /// present, sorted. What lists a group's children. The default takes
    /// them from `list_metadata`; a store that can list one level (a
    /// directory) answers without walking the chunks of the arrays below.
    fn list_child_metadata(&self, prefix: &str) -> Result<Vec<String>> {
        let mut keys = self.list_metadata(prefix)?;
        keys.retain(|k| {
            k.strip_prefix(prefix)
                .and_then(|rest| rest.split_once('/'))
                .is_some_and(|(_, file)| CHILD_METADATA.contains(&file))
        });
        Ok(keys)
    }
    /// Remove the node at `path` (a node path, not the root) when the
    /// store keeps it as a link to another place (a symbolic link on the
    /// filesystem): the link goes, what it points to stays. True when it
    /// did; false (the default) when the node is no link.
    fn unlink_node(&self, _path: &str) -> Result<bool> {
        Ok(false)
    }
    /// Whether `get_range` and `size` are answered without reading the
    /// whole value (the default): reads then fetch small parts of large
    /// values by range.
    fn serves_ranges(&self) -> bool {
        true
    }
    /// Size of a value in bytes, or None when absent.
    fn size(&self, key: &str) -> Result<Option<u64>> {
        Ok(self.get(key)?.map(|v| v.len() as u64))
    }
    /// Finish writing: what a store keeps until the end (a zip archive) is
    /// written out, and the store then refuses further requests. Nothing
    /// to do for most stores.
    fn close(&self) -> Result<()> {
        Ok(())
    }
    /// Remove every key under `prefix`.
    fn erase_prefix(&self, prefix: &str) -> Result<()> {
        for k in self.list(prefix)? {
            self.erase(&k)?;
        }
        Ok(())
    }
}

pub type StoreRef = Arc<dyn Store>;

/// The files whose presence makes a directory a node: Zarr v3's
/// `zarr.json`, Zarr v2's `.zarray` and `.zgroup`.
pub const CHILD_METADATA: [&str; 3] = ["zarr.json", ".zarray", ".zgroup"];

/// `set_if_absent` for a store that cannot do it atomically: a `size`
/// request (not a read of the whole value) and then a `set`; another
/// writer may store the key in between.
pub(crate) fn set_unless_present<S: Store + ?Sized>(
    store: &S,
    key: &str,
    value: &[u8],
) -> Result<bool> {
    if store.size(key)?.is_some() {
        return Ok(false);
    }
    store.set(key, value)?;
    Ok(true)
}

/// The pieces one after another in a new buffer, or `OutOfMemory`.
pub(crate) fn concatenated(parts: &[&[u8]]) -> Result<Vec<u8>> {
    let mut value = crate::alloc::with_capacity(parts.iter().map(|p| p.len()).sum())?;
    for p in parts {
        value.extend_from_slice(p);
    }
    Ok(value)
}

/// Check that a key is a relative `/`-separated path with no `.`/`..`
/// segments and no empty segments, so a key never escapes a store's root.
pub fn validate_key(key: &str) -> Result<()> {
    if key.is_empty() {
        return Err(invalid_argument("empty store key"));
    }
    for seg in key.split('/') {
        if seg.is_empty() || seg == "." || seg == ".." || seg.contains('\\') || seg.contains('\0') {
            return Err(invalid_argument(format!("invalid store key \"{key}\"")));
        }
    }
    Ok(())
}

/// Join a node path and a name into a key (`"" + "zarr.json"`, `"a/b" + "c/0"`).
pub fn join_key(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_string()
    } else {
        format!("{path}/{name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_readers_read_one_version_by_range() {
        let dir = tempfile::tempdir().unwrap();
        let stores: [Box<dyn Store>; 2] = [
            Box::new(super::filesystem::FilesystemStore::new(dir.path()).unwrap()),
            Box::new(super::memory::MemoryStore::new()),
        ];
        for s in stores {
            assert!(s.supports_value_reader());
            s.set("a/v", b"0123456789").unwrap();
            let r = s.value_reader("a/v").unwrap().unwrap();
            assert_eq!(r.size(), 10);
            // Replacing the value does not change what the reader sees.
            s.set("a/v", b"abcdefghijklmnop").unwrap();
            let mut out = [0u8; 4];
            r.read_at(3, &mut out).unwrap();
            assert_eq!(&out, b"3456");
            r.read_at(6, &mut out).unwrap();
            assert_eq!(&out, b"6789");
            let err = r.read_at(7, &mut out).unwrap_err();
            assert!(err.to_string().contains("a/v"), "{s:?}: {err}");
            assert!(s.value_reader("a/none").unwrap().is_none());
            // A key that names a group of values, not a value.
            assert!(s.value_reader("a").unwrap().is_none());
        }
    }

    #[test]
    fn ranges_resolve() {
        assert_eq!(ByteRange::new(2, 3).resolve(10).unwrap(), 2..5);
        assert_eq!(ByteRange::Suffix { length: 4 }.resolve(10).unwrap(), 6..10);
        assert_eq!(
            ByteRange::FromStart {
                offset: 3,
                length: None
            }
            .resolve(10)
            .unwrap(),
            3..10
        );
        assert!(ByteRange::new(8, 3).resolve(10).is_err());
        assert!(ByteRange::Suffix { length: 11 }.resolve(10).is_err());
        assert!(ByteRange::new(u64::MAX, 2).resolve(10).is_err());
    }

    #[test]
    fn keys_validate() {
        assert!(validate_key("a/b/zarr.json").is_ok());
        for bad in ["", "/a", "a//b", "a/../b", "..", "a/./b", "a/"] {
            assert!(validate_key(bad).is_err(), "{bad}");
        }
    }
}
