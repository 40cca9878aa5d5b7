//! A store over a directory. Keys map to files below the root.
//!
//! Reads are positional (`pread`), so concurrent readers share no seek
//! position. A whole-value write goes to a temporary file in the same
//! directory and is renamed over the old one: a reader, or a crash of the
//! writing process, sees the old value or the new one, never a torn one.
//! Writes are not flushed to the disk (no `fsync`, as other Zarr stores
//! do not): after a crash of the machine itself the file system decides
//! what survives.

use super::{validate_key, ByteRange, Store, ValueReader};
use crate::error::{io_error, Error, Result};
use std::fs::{self, File};
use std::io::{ErrorKind, IoSlice, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Known byte ranges up to this size are read without a size lookup.
const DIRECT_RANGE_MAX: u64 = 16 << 20;

/// Temporary files start with this, so `list` can skip them.
const TEMP_PREFIX: &str = ".zarrio-tmp-";

#[derive(Debug)]
pub struct FilesystemStore {
    root: PathBuf,
}

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

impl FilesystemStore {
    /// A store rooted at `root`; the directory is created when missing.
    pub fn new(root: impl AsRef<Path>) -> Result<Self> {
        let root = root.as_ref().to_path_buf();
        fs::create_dir_all(&root)
            .map_err(|e| io_error(format!("cannot create directory {}: {e}", root.display())))?;
        if !root.is_dir() {
            return Err(io_error(format!("{} is not a directory", root.display())));
        }
        Ok(FilesystemStore { root })
    }

    /// An existing directory, without creating it.
    pub fn open_existing(root: impl AsRef<Path>) -> Result<Self> {
        let root = root.as_ref().to_path_buf();
        if !root.is_dir() {
            return Err(crate::error::not_found(format!(
                "{} is not a directory",
                root.display()
            )));
        }
        Ok(FilesystemStore { root })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn path(&self, key: &str) -> Result<PathBuf> {
        validate_key(key)?;
        // `list` skips temporary files, and so would skip such a value.
        if key.split('/').any(|seg| seg.starts_with(TEMP_PREFIX)) {
            return Err(crate::error::invalid_argument(format!(
                "invalid store key \"{key}\": names starting with {TEMP_PREFIX} are the store's own"
            )));
        }
        Ok(self.root.join(key))
    }

    /// Write `value` to a new temporary file beside `path` (creating the
    /// directory), to be renamed or linked into place.
    fn write_temp(&self, key: &str, path: &Path, value: &[&[u8]]) -> Result<PathBuf> {
        let dir = path.parent().unwrap_or(&self.root);
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("value");
        let mut attempts = 0;
        loop {
            attempts += 1;
            match fs::create_dir_all(dir) {
                // A parent removed by an erase of its last value meanwhile.
                Err(e) if attempts < 8 && e.kind() == ErrorKind::NotFound => continue,
                r => r.map_err(|e| io_err(key, e))?,
            }
            let tmp = dir.join(format!(
                "{TEMP_PREFIX}{}-{}",
                temp_stem(name),
                temp_suffix()
            ));
            // A new file, never one another writer is filling: the suffix
            // is unique within this process, but processes on other hosts
            // of a shared file system (or in other containers) can have
            // the same process id.
            let mut f = match fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&tmp)
            {
                Ok(f) => f,
                // Taken by another writer, or the directory was removed by
                // an erase of its last value meanwhile: try again.
                Err(e)
                    if attempts < 8
                        && matches!(e.kind(), ErrorKind::AlreadyExists | ErrorKind::NotFound) =>
                {
                    continue
                }
                Err(e) => return Err(io_err(key, e)),
            };
            if let Err(e) = write_all_parts(&mut f, value) {
                let _ = fs::remove_file(&tmp);
                return Err(io_err(key, e));
            }
            return Ok(tmp);
        }
    }

    fn open(&self, key: &str) -> Result<Option<File>> {
        match open_nonblocking(&self.path(key)?, false) {
            Ok(f) => Ok(Some(f)),
            Err(e) if e.kind() == ErrorKind::NotFound || e.kind() == ErrorKind::NotADirectory => {
                Ok(None)
            }
            Err(e) => Err(io_err(key, e)),
        }
    }

    /// The opened value and its size, or None when the key is absent or
    /// names a directory (not a value).
    fn open_value(&self, key: &str) -> Result<Option<(File, u64)>> {
        let Some(f) = self.open(key)? else {
            return Ok(None);
        };
        Ok(value_size(&f, key)?.map(|size| (f, size)))
    }
}

/// The size of an opened value, or None when the key names a directory
/// (not a value). Anything else that is not a regular file (a FIFO, a
/// device) is an error.
fn value_size(f: &File, key: &str) -> Result<Option<u64>> {
    let meta = f.metadata().map_err(|e| io_err(key, e))?;
    if meta.is_dir() {
        return Ok(None);
    }
    if !meta.is_file() {
        return Err(io_error(format!("{key}: not a regular file")));
    }
    Ok(Some(meta.len()))
}

/// Open `path` for reading, or writing in place, without blocking: a FIFO
/// at a key is then refused (`value_size`) instead of waiting for a
/// writer forever; on regular files the flag changes nothing.
fn open_nonblocking(path: &Path, write: bool) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    fs::OpenOptions::new()
        .read(!write)
        .write(write)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
}

/// Write `parts` one after another: one `write_all` for a single part,
/// else `writev` calls of up to 1024 pieces (the kernel's limit per call),
/// so pieces scattered in the caller's memory go to the file without a
/// copy of their own.
fn write_all_parts(f: &mut File, parts: &[&[u8]]) -> std::io::Result<()> {
    if let [one] = parts {
        return f.write_all(one);
    }
    let mut slices: Vec<IoSlice<'_>> = Vec::with_capacity(parts.len().min(1024));
    for group in parts.chunks(1024) {
        slices.clear();
        slices.extend(group.iter().map(|p| IoSlice::new(p)));
        let mut left = &mut slices[..];
        while !left.is_empty() {
            match f.write_vectored(left) {
                Ok(0) => return Err(ErrorKind::WriteZero.into()),
                Ok(n) => IoSlice::advance_slices(&mut left, n),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(())
}

/// Run `place` (a rename or link of a new value to `path`) again after
/// removing a directory that stands at `path` holding no value: an empty
/// one, left by values below it (e.g. by another tool), or one holding
/// only this store's temporary files (left by a writer that was killed
/// before it renamed them: erasing the node they were written for
/// cannot see them). One with a value in it does not give way. Where
/// no directory stands at `path` any more (another writer cleared it, or
/// renamed its value there, after `place` failed), `place` runs again
/// too; a failure for another reason fails again the same way.
fn over_empty_dir(path: &Path, place: impl Fn() -> std::io::Result<()>) -> std::io::Result<()> {
    let Err(e) = place() else { return Ok(()) };
    // A symbolic link at `path` is a value, whatever it points to.
    if is_real_dir(path) && !(holds_no_value(path) && remove_holding_no_value(path)) {
        return Err(e);
    }
    place()
}

/// Whether the directory `dir` holds nothing but directories and this
/// store's temporary files (a symbolic link counts as a value).
fn holds_no_value(dir: &Path) -> bool {
    walk_holding_no_value(dir, false)
}

/// Remove `dir`'s temporary files and then each directory, emptied, on
/// its own: a value another writer renames in after `holds_no_value`
/// looked makes its directory's removal fail (not empty) and is kept,
/// where a removal of the whole tree would have taken it along.
fn remove_holding_no_value(dir: &Path) -> bool {
    walk_holding_no_value(dir, true)
}

/// Whether `path` is a directory itself, not a symbolic link to one.
fn is_real_dir(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|m| m.is_dir())
}

/// One walk for both: removing, what another writer clearing the same
/// directory removed first counts as removed.
fn walk_holding_no_value(dir: &Path, remove: bool) -> bool {
    let gone =
        |r: std::io::Result<()>| r.is_ok() || r.is_err_and(|e| e.kind() == ErrorKind::NotFound);
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => return remove && e.kind() == ErrorKind::NotFound,
    };
    let mut no_value = true;
    for entry in entries {
        let Ok(entry) = entry else { return false };
        no_value &= match entry.file_type() {
            Ok(t) if t.is_dir() => walk_holding_no_value(&entry.path(), remove),
            Ok(t)
                if t.is_file() && entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX) =>
            {
                !remove || gone(fs::remove_file(entry.path()))
            }
            _ => false,
        };
        if !no_value && !remove {
            return false;
        }
    }
    no_value && (!remove || gone(fs::remove_dir(dir)))
}

/// The part of a value's name its temporary file carries, for whoever
/// finds one left behind: at most 64 bytes of it, so that a name near the
/// file system's limit (255 bytes) still leaves room for the prefix and
/// the suffix.
fn temp_stem(name: &str) -> &str {
    let mut end = name.len().min(64);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    &name[..end]
}

/// A name for a temporary file no other writer picks: this process's id
/// and counter, the time, and std's per-process random hash keys.
fn temp_suffix() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    h.write_u128(now);
    h.write_u32(std::process::id());
    format!(
        "{}-{}-{:016x}",
        std::process::id(),
        TEMP_COUNTER.fetch_add(1, Ordering::Relaxed),
        h.finish()
    )
}

fn io_err(key: &str, e: std::io::Error) -> Error {
    io_error(format!("{key}: {e}"))
}

/// Read exactly `buf.len()` bytes at `offset`, failing on a short file.
pub(crate) fn read_exact_at(f: &File, buf: &mut [u8], offset: u64, key: &str) -> Result<()> {
    f.read_exact_at(buf, offset).map_err(|e| {
        if e.kind() == ErrorKind::UnexpectedEof {
            crate::error::corrupt(format!("{key}: value is shorter than expected"))
        } else {
            io_err(key, e)
        }
    })
}

/// An opened value, read by range (see `Store::value_reader`).
struct FileReader {
    file: File,
    size: u64,
    key: String,
}

impl ValueReader for FileReader {
    fn size(&self) -> u64 {
        self.size
    }

    fn read_at(&self, offset: u64, out: &mut [u8]) -> Result<()> {
        // Checked against the size when opened, so a file grown in place
        // since then is not read past this version's end.
        ByteRange::new(offset, out.len() as u64)
            .resolve(self.size)
            .map_err(|e| e.context(&self.key))?;
        read_exact_at(&self.file, out, offset, &self.key)
    }
}

/// A value read in pieces goes through a buffer of this size (the first
/// bytes of the thread's scratch buffer): it stays in the core's cache
/// between the read and the sink's copy out of it, so the value crosses
/// memory once.
const PIECE_BYTES: usize = 256 << 10;

/// Read `total` bytes of `f` from offset 0 in pieces, handing each to `sink`.
fn read_in_pieces(
    f: &File,
    total: usize,
    key: &str,
    sink: &mut dyn FnMut(&[u8]) -> Result<()>,
) -> Result<()> {
    // A sink that reads another value in pieces gets a buffer of its own
    // (with_scratch nests).
    crate::scratch::with_scratch(PIECE_BYTES, |buf| {
        let mut at = 0;
        while at < total {
            let n = buf.len().min(total - at);
            read_exact_at(f, &mut buf[..n], at as u64, key)?;
            sink(&buf[..n])?;
            at += n;
        }
        Ok(())
    })
}

/// A stored value's length as a buffer length. The length is the file's
/// (or a range of it): a huge, e.g. sparse, file must give an error, not
/// abort the process.
fn to_len(n: u64, key: &str) -> Result<usize> {
    usize::try_from(n).map_err(|_| {
        crate::error::out_of_memory(format!(
            "{key}: a value of {n} bytes does not fit in memory"
        ))
    })
}

/// A zeroed buffer for `n` bytes of the value at `key` (see `to_len`).
fn value_buffer(n: u64, key: &str) -> Result<Vec<u8>> {
    crate::alloc::zeroed(to_len(n, key)?).map_err(|e| e.context(key))
}

impl Store for FilesystemStore {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        let Some((f, size)) = self.open_value(key)? else {
            return Ok(None);
        };
        let mut buf = value_buffer(size, key)?;
        read_exact_at(&f, &mut buf, 0, key)?;
        Ok(Some(buf))
    }

    fn get_reusing(&self, key: &str, buf: &mut Vec<u8>) -> Result<bool> {
        let Some((f, size)) = self.open_value(key)? else {
            return Ok(false);
        };
        // Only growth is zero-filled; the read overwrites the rest.
        crate::alloc::resize_zeroed(buf, to_len(size, key)?).map_err(|e| e.context(key))?;
        read_exact_at(&f, buf, 0, key)?;
        Ok(true)
    }

    fn get_into(&self, key: &str, out: &mut [u8]) -> Result<Option<bool>> {
        let Some((f, size)) = self.open_value(key)? else {
            return Ok(None);
        };
        if size != out.len() as u64 {
            return Ok(Some(false));
        }
        read_exact_at(&f, out, 0, key)?;
        Ok(Some(true))
    }

    fn get_in_pieces(
        &self,
        key: &str,
        total: usize,
        sink: &mut dyn FnMut(&[u8]) -> Result<()>,
    ) -> Result<Option<bool>> {
        let Some((f, size)) = self.open_value(key)? else {
            return Ok(None);
        };
        if size != total as u64 {
            return Ok(Some(false));
        }
        read_in_pieces(&f, total, key, sink)?;
        Ok(Some(true))
    }

    fn value_reader(&self, key: &str) -> Result<Option<Box<dyn ValueReader + '_>>> {
        // One open file: a value replaced meanwhile (by rename) leaves this
        // descriptor on the old one, and pread on a shared descriptor is
        // safe from several threads.
        Ok(self.open_value(key)?.map(|(file, size)| {
            Box::new(FileReader {
                file,
                size,
                key: key.to_string(),
            }) as Box<dyn ValueReader>
        }))
    }

    fn supports_value_reader(&self) -> bool {
        true
    }

    fn get_range(&self, key: &str, range: ByteRange) -> Result<Option<Vec<u8>>> {
        let Some(f) = self.open(key)? else {
            return Ok(None);
        };
        let direct = match range {
            ByteRange::FromStart {
                offset,
                length: Some(len),
            } if len > 0 && len <= DIRECT_RANGE_MAX => Some((offset, len)),
            _ => None,
        };
        if let Some((offset, len)) = direct {
            // A known, modest range needs no size lookup: a short read means
            // the range runs past the end. Larger ones are checked against
            // the size first, since a length may come from a corrupt index.
            let mut buf = value_buffer(len, key)?;
            return match f.read_exact_at(&mut buf, offset) {
                Ok(()) => Ok(Some(buf)),
                Err(e) if e.kind() == ErrorKind::UnexpectedEof => Err(crate::error::corrupt(
                    format!("{key}: byte range {range:?} lies outside the value"),
                )),
                // Reading a directory fails here; it is not a value.
                Err(e) if e.raw_os_error() == Some(libc::EISDIR) => Ok(None),
                Err(e) => Err(io_err(key, e)),
            };
        }
        let Some(size) = value_size(&f, key)? else {
            return Ok(None);
        };
        let r = range.resolve(size).map_err(|e| e.context(key))?;
        let mut buf = value_buffer(r.end - r.start, key)?;
        read_exact_at(&f, &mut buf, r.start, key)?;
        Ok(Some(buf))
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<()> {
        self.set_parts(key, &[value])
    }

    fn set_parts(&self, key: &str, parts: &[&[u8]]) -> Result<()> {
        let path = self.path(key)?;
        let tmp = self.write_temp(key, &path, parts)?;
        if let Err(e) = over_empty_dir(&path, || fs::rename(&tmp, &path)) {
            let _ = fs::remove_file(&tmp);
            return Err(io_err(key, e));
        }
        Ok(())
    }

    /// Each piece is an I/O vector entry the kernel walks: writing 256 MiB
    /// of `uint16` from a C-order buffer to tmpfs with two threads, runs of
    /// 512 bytes took 0.10 to 0.12 s against 0.094 to 0.097 s gathered,
    /// runs of 4 KiB the same as gathered, 16 KiB 3% less, 64 and 256 KiB
    /// 13 to 15% less (BENCHMARKS.md, "Writes from runs of the caller's
    /// buffer").
    fn min_part_len(&self) -> Option<usize> {
        Some(16 << 10)
    }

    fn set_if_absent(&self, key: &str, value: &[u8]) -> Result<bool> {
        let path = self.path(key)?;
        let tmp = self.write_temp(key, &path, &[value])?;
        // A hard link fails when the target exists: create-if-absent is
        // atomic, and readers never see a partly written value.
        let linked = over_empty_dir(&path, || fs::hard_link(&tmp, &path));
        let _ = fs::remove_file(&tmp);
        match linked {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == ErrorKind::AlreadyExists => Ok(false),
            Err(e) => Err(io_err(key, e)),
        }
    }

    fn supports_set_if_absent(&self) -> bool {
        true
    }

    fn set_range(&self, key: &str, offset: u64, bytes: &[u8]) -> Result<()> {
        let path = self.path(key)?;
        let f = match open_nonblocking(&path, true) {
            Ok(f) => f,
            Err(e) if e.kind() == ErrorKind::NotFound => {
                return Err(crate::error::not_found(format!(
                    "{key}: no value to write a range into"
                )))
            }
            Err(e) => return Err(io_err(key, e)),
        };
        let Some(size) = value_size(&f, key)? else {
            return Err(io_err(key, std::io::Error::from(ErrorKind::IsADirectory)));
        };
        if offset
            .checked_add(bytes.len() as u64)
            .is_none_or(|end| end > size)
        {
            return Err(crate::error::invalid_argument(format!(
                "{key}: range write of {} bytes at {offset} lies outside the value of {size} bytes",
                bytes.len()
            )));
        }
        f.write_all_at(bytes, offset).map_err(|e| io_err(key, e))
    }

    fn supports_set_range(&self) -> bool {
        true
    }

    fn erase(&self, key: &str) -> Result<()> {
        let path = self.path(key)?;
        match fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::NotFound || e.kind() == ErrorKind::NotADirectory => {
                return Ok(())
            }
            Err(e) => return Err(io_err(key, e)),
        }
        // Directories the value leaves empty go too, up to the root: one
        // left behind would stand where a later value of that name goes
        // (a 1-D array's chunk `c/0` where a 2-D one had `c/0/0`). Failing
        // to remove one (not empty, or another writer's meanwhile) is fine.
        let mut dir = path.parent();
        while let Some(d) = dir.filter(|d| *d != self.root && d.starts_with(&self.root)) {
            if fs::remove_dir(d).is_err() {
                break;
            }
            dir = d.parent();
        }
        Ok(())
    }

    fn list(&self, prefix: &str) -> Result<Vec<String>> {
        // Walk only the deepest directory the prefix names, which must be
        // a key's directory: never a path outside the root.
        let dir_part = match prefix.rfind('/') {
            Some(i) => &prefix[..i],
            None => "",
        };
        if !dir_part.is_empty() {
            validate_key(dir_part)?;
        }
        let mut out = Vec::new();
        let start = if dir_part.is_empty() {
            self.root.clone()
        } else {
            self.root.join(dir_part)
        };
        walk(&start, dir_part, &mut out)?;
        out.retain(|k| k.starts_with(prefix));
        out.sort();
        Ok(out)
    }

    fn unlink_node(&self, path: &str) -> Result<bool> {
        if path.is_empty() {
            return Ok(false);
        }
        let dir = self.path(path)?;
        match fs::symlink_metadata(&dir) {
            Ok(m) if m.file_type().is_symlink() => {
                fs::remove_file(&dir).map_err(|e| io_err(path, e))?;
                Ok(true)
            }
            Ok(_) => Ok(false),
            Err(e) if e.kind() == ErrorKind::NotFound || e.kind() == ErrorKind::NotADirectory => {
                Ok(false)
            }
            Err(e) => Err(io_err(path, e)),
        }
    }

    /// One directory read and a look for each child's metadata files:
    /// the chunks of arrays below are never walked. Children that are
    /// symbolic links to directories are followed, as reading them is.
    fn list_child_metadata(&self, prefix: &str) -> Result<Vec<String>> {
        let Some(dir_part) = prefix.strip_suffix('/').or(prefix.is_empty().then_some("")) else {
            return Err(crate::error::internal(format!(
                "child metadata listed below \"{prefix}\", which is no node's prefix"
            )));
        };
        let dir = if dir_part.is_empty() {
            self.root.clone()
        } else {
            validate_key(dir_part)?;
            self.root.join(dir_part)
        };
        let Some(entries) = read_dir_if_any(&dir)? else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| io_error(format!("{}: {e}", dir.display())))?;
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            // Names no key can hold (a backslash, ...) are not children.
            if !entry.path().is_dir()
                || name.starts_with(TEMP_PREFIX)
                || validate_key(&name).is_err()
            {
                continue;
            }
            // A link back to this directory or one above it would make the
            // hierarchy endless.
            let is_link = entry.file_type().is_ok_and(|t| t.is_symlink());
            if is_link && links_back(&entry.path(), &dir) {
                continue;
            }
            for file in crate::store::CHILD_METADATA {
                if entry.path().join(file).is_file() {
                    out.push(format!("{prefix}{name}/{file}"));
                }
            }
        }
        out.sort();
        Ok(out)
    }

    fn size(&self, key: &str) -> Result<Option<u64>> {
        match fs::metadata(self.path(key)?) {
            Ok(m) if m.is_file() => Ok(Some(m.len())),
            Ok(_) => Ok(None),
            Err(e) if e.kind() == ErrorKind::NotFound || e.kind() == ErrorKind::NotADirectory => {
                Ok(None)
            }
            Err(e) => Err(io_err(key, e)),
        }
    }
}

/// Whether the directory `link` leads to holds `dir` (is it or one of its
/// ancestors); a link that cannot be resolved counts as one that does.
fn links_back(link: &Path, dir: &Path) -> bool {
    match (fs::canonicalize(link), fs::canonicalize(dir)) {
        (Ok(target), Ok(here)) => here.starts_with(target),
        _ => true,
    }
}

/// The entries of the directory `dir`, or None when there is none there.
fn read_dir_if_any(dir: &Path) -> Result<Option<fs::ReadDir>> {
    match fs::read_dir(dir) {
        Ok(e) => Ok(Some(e)),
        Err(e) if e.kind() == ErrorKind::NotFound || e.kind() == ErrorKind::NotADirectory => {
            Ok(None)
        }
        Err(e) => Err(io_error(format!("{}: {e}", dir.display()))),
    }
}

fn walk(dir: &Path, key_prefix: &str, out: &mut Vec<String>) -> Result<()> {
    let Some(entries) = read_dir_if_any(dir)? else {
        return Ok(());
    };
    for entry in entries {
        let entry = entry.map_err(|e| io_error(format!("{}: {e}", dir.display())))?;
        let name = match entry.file_name().into_string() {
            Ok(n) => n,
            Err(_) => continue,
        };
        // Names no key can hold (a backslash, ...) are left out: nothing
        // could read, write or erase them.
        if name.starts_with(TEMP_PREFIX) || validate_key(&name).is_err() {
            continue;
        }
        let key = if key_prefix.is_empty() {
            name.clone()
        } else {
            format!("{key_prefix}/{name}")
        };
        let ft = entry
            .file_type()
            .map_err(|e| io_error(format!("{}: {e}", dir.display())))?;
        if ft.is_dir() {
            walk(&entry.path(), &key, out)?;
        } else {
            out.push(key);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The child metadata keys found from one directory read are those a
    /// walk of every key finds.
    #[test]
    fn child_metadata_from_one_level_as_from_a_walk() {
        let dir = tempfile::tempdir().unwrap();
        let s = FilesystemStore::new(dir.path()).unwrap();
        for key in [
            "zarr.json",
            "a/zarr.json",
            "a/c/0/0/0",
            "a/c/1/2/3",
            "g/zarr.json",
            "g/inner/zarr.json",
            "g/inner/c/0",
            "g/v2/.zarray",
            "g/v2/.zattrs",
            "g/v2/0.0",
            "v2g/.zgroup",
            "both/zarr.json",
            "both/.zarray",
            "deeper/only/zarr.json",
            "plain",
            "notes/readme.txt",
        ] {
            s.set(key, b"{}").unwrap();
        }
        std::fs::create_dir_all(dir.path().join("empty")).unwrap();
        std::fs::create_dir_all(dir.path().join(format!("{TEMP_PREFIX}x"))).unwrap();
        std::fs::write(dir.path().join(format!("{TEMP_PREFIX}x/zarr.json")), b"{}").unwrap();
        for prefix in ["", "g/", "a/", "missing/"] {
            let mut walked = s.list_metadata(prefix).unwrap();
            walked.retain(|k| {
                k.strip_prefix(prefix)
                    .and_then(|rest| rest.split_once('/'))
                    .is_some_and(|(_, file)| crate::store::CHILD_METADATA.contains(&file))
            });
            assert_eq!(s.list_child_metadata(prefix).unwrap(), walked, "{prefix:?}");
        }
        assert_eq!(
            s.list_child_metadata("").unwrap(),
            [
                "a/zarr.json",
                "both/.zarray",
                "both/zarr.json",
                "g/zarr.json",
                "v2g/.zgroup"
            ]
        );
        assert!(s.list_child_metadata("../").is_err());
    }

    #[test]
    fn reads_into_reused_buffers_and_runs() {
        let dir = tempfile::tempdir().unwrap();
        let s = FilesystemStore::new(dir.path()).unwrap();
        let long: Vec<u8> = (0..5000u32).map(|i| (i * 7) as u8).collect();
        s.set("a/long", &long).unwrap();
        s.set("a/short", b"xyz").unwrap();
        let mut buf = Vec::new();
        assert!(s.get_reusing("a/long", &mut buf).unwrap());
        assert_eq!(buf, long);
        let cap = buf.capacity();
        assert!(s.get_reusing("a/short", &mut buf).unwrap());
        assert_eq!(buf, b"xyz");
        assert!(s.get_reusing("a/long", &mut buf).unwrap());
        assert_eq!(
            (buf == long, buf.capacity()),
            (true, cap),
            "capacity reused"
        );
        assert!(!s.get_reusing("a/none", &mut buf).unwrap());
        assert!(
            !s.get_reusing("a", &mut buf).unwrap(),
            "a directory is no value"
        );
        // Whole reads into a caller's slice, and size mismatches.
        let mut out = vec![0u8; 5000];
        assert_eq!(s.get_into("a/long", &mut out).unwrap(), Some(true));
        assert_eq!(out, long);
        assert_eq!(s.get_into("a/long", &mut out[..4999]).unwrap(), Some(false));
        assert_eq!(s.get_into("a/none", &mut out).unwrap(), None);
    }

    #[test]
    fn reads_in_pieces() {
        let dir = tempfile::tempdir().unwrap();
        let s = FilesystemStore::new(dir.path()).unwrap();
        // Two and a half pieces, so the last one is short.
        let long: Vec<u8> = (0..PIECE_BYTES * 5 / 2)
            .map(|i| (i * 7 + i / 251) as u8)
            .collect();
        s.set("big", &long).unwrap();
        s.set("small", &long[..10]).unwrap();
        let mut got = Vec::new();
        let mut sizes = Vec::new();
        let mut sink = |p: &[u8]| {
            sizes.push(p.len());
            got.extend_from_slice(p);
            // A sink may read another value in pieces meanwhile.
            assert_eq!(
                s.get_in_pieces("small", 10, &mut |q| {
                    assert_eq!(q, &long[..10]);
                    Ok(())
                })
                .unwrap(),
                Some(true)
            );
            Ok(())
        };
        assert_eq!(
            s.get_in_pieces("big", long.len(), &mut sink).unwrap(),
            Some(true)
        );
        assert_eq!(got, long);
        assert_eq!(sizes, [PIECE_BYTES, PIECE_BYTES, PIECE_BYTES / 2]);
        let mut never = |_: &[u8]| -> Result<()> { panic!("sink called for a mismatch") };
        assert_eq!(s.get_in_pieces("big", 7, &mut never).unwrap(), Some(false));
        assert_eq!(s.get_in_pieces("none", 7, &mut never).unwrap(), None);
        s.set("dir/x", b"1").unwrap();
        assert_eq!(s.get_in_pieces("dir", 7, &mut never).unwrap(), None);
        // An error from the sink stops the read and comes back.
        let mut calls = 0;
        let err = s
            .get_in_pieces("big", long.len(), &mut |_| {
                calls += 1;
                Err(crate::error::corrupt("stop"))
            })
            .unwrap_err();
        assert!(err.to_string().contains("stop"), "{err}");
        assert_eq!(calls, 1);
    }

    #[test]
    fn set_get_range_list_erase() {
        let dir = tempfile::tempdir().unwrap();
        let s = FilesystemStore::new(dir.path().join("root")).unwrap();
        assert_eq!(s.get("a/c/0").unwrap(), None);
        s.set("a/c/0", b"0123456789").unwrap();
        s.set("a/zarr.json", b"{}").unwrap();
        s.set("a/c/0", b"abcdefghij").unwrap();
        assert_eq!(s.get("a/c/0").unwrap().unwrap(), b"abcdefghij");
        assert_eq!(
            s.get_range("a/c/0", ByteRange::Suffix { length: 2 })
                .unwrap()
                .unwrap(),
            b"ij"
        );
        assert_eq!(
            s.get_range("a/c/0", ByteRange::new(3, 4)).unwrap().unwrap(),
            b"defg"
        );
        assert!(s.get_range("a/c/0", ByteRange::new(8, 4)).is_err());
        // An empty range is checked against the size too, as in memory.
        assert_eq!(
            s.get_range("a/c/0", ByteRange::new(10, 0))
                .unwrap()
                .unwrap(),
            b""
        );
        assert!(s.get_range("a/c/0", ByteRange::new(11, 0)).is_err());
        assert_eq!(s.list("a/").unwrap(), vec!["a/c/0", "a/zarr.json"]);
        assert_eq!(s.list("").unwrap().len(), 2);
        assert_eq!(s.size("a/c/0").unwrap(), Some(10));
        assert_eq!(s.get("a/c").unwrap(), None);
        s.erase("a/c/0").unwrap();
        s.erase("a/c/0").unwrap();
        assert_eq!(s.get("a/c/0").unwrap(), None);
        assert!(s.get("../etc/passwd").is_err());
        s.set("r", b"0123456789").unwrap();
        s.set_range("r", 2, b"ab").unwrap();
        assert_eq!(s.get("r").unwrap().unwrap(), b"01ab456789");
        assert!(s.set_range("r", 9, b"xy").is_err());
        assert!(s.set_range("missing", 0, b"x").is_err());
        assert!(!s.set_if_absent("r", b"new").unwrap());
        assert!(s.set_if_absent("a/q", b"new").unwrap());
        assert_eq!(s.get("a/q").unwrap().unwrap(), b"new");
        s.erase("r").unwrap();
        // No temporary files are left behind.
        let names: Vec<_> = fs::read_dir(dir.path().join("root/a"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert!(names
            .iter()
            .all(|n| !n.to_string_lossy().starts_with(TEMP_PREFIX)));
    }

    #[test]
    fn erased_values_leave_no_directories_in_the_way() {
        let dir = tempfile::tempdir().unwrap();
        let s = FilesystemStore::new(dir.path()).unwrap();
        // A 2-D array's chunk, then the 1-D chunk of an array replacing it.
        s.set("x/c/0/0", b"2d").unwrap();
        s.set("x/zarr.json", b"{}").unwrap();
        s.erase("x/c/0/0").unwrap();
        assert!(!dir.path().join("x/c").exists(), "empty directories go");
        assert!(dir.path().join("x/zarr.json").exists(), "others stay");
        s.set("x/c/0", b"1d").unwrap();
        assert_eq!(s.get("x/c/0").unwrap().unwrap(), b"1d");
        // An empty directory another tool left where a value goes gives way;
        // one with something in it does not.
        fs::create_dir_all(dir.path().join("y/c/0")).unwrap();
        s.set("y/c/0", b"v").unwrap();
        assert_eq!(s.get("y/c/0").unwrap().unwrap(), b"v");
        fs::create_dir_all(dir.path().join("y/c/1")).unwrap();
        assert!(s.set_if_absent("y/c/1", b"u").unwrap());
        assert_eq!(s.get("y/c/1").unwrap().unwrap(), b"u");
        s.erase("y/c/1").unwrap();
        // So does one holding only the temporary file of a writer killed
        // before its rename (a 2-D chunk's, below a 1-D chunk's key).
        fs::create_dir_all(dir.path().join("y/c/2/5")).unwrap();
        fs::write(
            dir.path().join(format!("y/c/2/5/{TEMP_PREFIX}0-1-2")),
            b"part",
        )
        .unwrap();
        s.set("y/c/2", b"t").unwrap();
        assert_eq!(s.get("y/c/2").unwrap().unwrap(), b"t");
        s.erase("y/c/2").unwrap();
        s.set("z/c/0/0", b"v").unwrap();
        fs::write(
            dir.path().join(format!("z/c/0/{TEMP_PREFIX}0-1-2")),
            b"part",
        )
        .unwrap();
        assert!(s.set("z/c/0", b"w").is_err());
        assert_eq!(s.get("z/c/0/0").unwrap().unwrap(), b"v");
        fs::remove_file(dir.path().join(format!("z/c/0/{TEMP_PREFIX}0-1-2"))).unwrap();
        // The root itself stays, empty or not.
        s.erase("x/c/0").unwrap();
        s.erase("x/zarr.json").unwrap();
        for k in ["y/c/0", "z/c/0/0"] {
            s.erase(k).unwrap();
        }
        assert!(dir.path().is_dir());
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn clearing_a_directory_keeps_a_value_that_arrived_after_the_check() {
        // `holds_no_value` looked and found only a killed writer's
        // temporary file; another writer then renamed a value in below.
        let dir = tempfile::tempdir().unwrap();
        let stale = dir.path().join(format!("c/0/{TEMP_PREFIX}0-1-2"));
        fs::create_dir_all(dir.path().join("c/0/1")).unwrap();
        fs::write(&stale, b"part").unwrap();
        assert!(holds_no_value(&dir.path().join("c")));
        fs::write(dir.path().join("c/0/1/2"), b"value").unwrap();
        assert!(!remove_holding_no_value(&dir.path().join("c")));
        assert_eq!(fs::read(dir.path().join("c/0/1/2")).unwrap(), b"value");
        // What held no value went.
        assert!(!stale.exists());
        // Without the newcomer everything goes.
        fs::remove_file(dir.path().join("c/0/1/2")).unwrap();
        assert!(remove_holding_no_value(&dir.path().join("c")));
        assert!(!dir.path().join("c").exists());
        // Another writer clearing it too finds it gone: cleared, for both.
        assert!(remove_holding_no_value(&dir.path().join("c")));
        assert!(!holds_no_value(&dir.path().join("c")));
    }

    #[test]
    fn a_directory_another_writer_cleared_first_gives_way() {
        // The first rename fails on the directory; before this writer
        // looks at it, another clears it (and its rename fails on the
        // next writer's directory, so it is gone without a value).
        let dir = tempfile::tempdir().unwrap();
        let (at, tmp) = (dir.path().join("c"), dir.path().join("t"));
        fs::create_dir_all(at.join("0")).unwrap();
        fs::write(&tmp, b"v").unwrap();
        let tries = std::cell::Cell::new(0);
        over_empty_dir(&at, || {
            tries.set(tries.get() + 1);
            let r = fs::rename(&tmp, &at);
            if tries.get() == 1 {
                assert!(r.is_err());
                assert!(remove_holding_no_value(&at), "the other writer clears it");
            }
            r
        })
        .unwrap();
        assert_eq!((tries.get(), fs::read(&at).unwrap()), (2, b"v".to_vec()));
        // A failure for another reason fails again, the same way.
        let e = over_empty_dir(&dir.path().join("d"), || {
            fs::rename(dir.path().join("missing"), dir.path().join("d"))
        })
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound);
    }

    #[test]
    fn a_symbolic_link_to_a_directory_is_a_value_and_its_target_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        fs::create_dir(outside.path().join("sub")).unwrap();
        let stale = outside.path().join(format!("{TEMP_PREFIX}0-1-2"));
        fs::write(&stale, b"part").unwrap();
        let s = FilesystemStore::new(dir.path()).unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("a")).unwrap();
        assert!(!s.set_if_absent("a", b"v").unwrap());
        assert!(outside.path().join("sub").is_dir() && stale.exists());
        assert!(dir.path().join("a").is_symlink());
        // A set replaces the link, as it replaces any value.
        s.set("a", b"v").unwrap();
        assert_eq!(s.get("a").unwrap().unwrap(), b"v");
        assert!(outside.path().join("sub").is_dir() && stale.exists());
    }

    #[test]
    fn keys_and_prefixes_stay_inside_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let s = FilesystemStore::new(dir.path().join("root")).unwrap();
        fs::write(dir.path().join("outside"), b"secret").unwrap();
        s.set("a/b", b"1").unwrap();
        for bad in ["../", "/etc/", "a/../../", "./a/"] {
            assert!(s.list(bad).is_err(), "{bad}");
        }
        assert_eq!(s.list("a/").unwrap(), vec!["a/b"]);
        // Names the store keeps for its temporary files are not keys.
        let tmp_key = format!("g/{TEMP_PREFIX}x/zarr.json");
        assert!(s.set(&tmp_key, b"{}").is_err());
        assert!(s.get(&tmp_key).is_err());
    }

    #[test]
    fn a_fifo_at_a_key_is_an_error_not_a_wait() {
        let dir = tempfile::tempdir().unwrap();
        let s = FilesystemStore::new(dir.path()).unwrap();
        let fifo = std::ffi::CString::new(dir.path().join("p").to_str().unwrap()).unwrap();
        // SAFETY: a NUL-terminated path; mkfifo only creates the node.
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
        assert!(s.get("p").is_err());
        assert!(s.get_range("p", ByteRange::new(0, 4)).is_err());
        assert!(s.value_reader("p").is_err());
        assert!(s.set_range("p", 0, b"x").is_err());
    }

    /// A value whose name is near the file system's 255-byte limit can
    /// be written, whole, only once and by range (its temporary file
    /// carries a part of the name only).
    #[test]
    fn names_near_the_length_limit_are_written() {
        let dir = tempfile::tempdir().unwrap();
        let s = FilesystemStore::new(dir.path()).unwrap();
        let key = format!("c/0.{}", "\u{e9}".repeat(126));
        assert_eq!(key.rsplit('/').next().unwrap().len(), 254);
        s.set(&key, b"abc").unwrap();
        assert!(!s.set_if_absent(&key, b"x").unwrap());
        s.set_range(&key, 1, b"Z").unwrap();
        assert_eq!(s.get(&key).unwrap().unwrap(), b"aZc");
        assert_eq!(temp_stem(&"\u{e9}".repeat(40)).len(), 64);
        assert_eq!(temp_stem("\u{20ac}".repeat(30).as_str()).len(), 63);
    }

    #[test]
    fn temporary_names_differ() {
        let names: std::collections::HashSet<String> = (0..1000).map(|_| temp_suffix()).collect();
        assert_eq!(names.len(), 1000);
    }
}
