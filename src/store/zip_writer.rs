//! A store that writes a zip archive (zarr-python's `ZipStore` in mode
//! "w"): a hierarchy shipped as one file.
//!
//! A zip archive cannot replace or remove an entry, while writing an array
//! rewrites metadata and chunks. So values are kept in a staging directory
//! beside the archive, with every operation of a directory store (ranges,
//! in-place shard patches, erasing), and `close` writes the archive from
//! it: each key once, stored uncompressed (zarr-python's default), to a
//! temporary file renamed over the archive, and removes the staging
//! directory. Until then the archive does not exist (or is the old one);
//! after it, the store refuses every request.

use super::{ByteRange, FilesystemStore, Store};
use crate::error::{io_error, Result};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::RwLock;

static STAGING_COUNTER: AtomicU64 = AtomicU64::new(0);

/// The most bytes of the archive's name a staging directory's name keeps.
const STAGING_HINT: usize = 64;

#[derive(Debug)]
pub struct ZipWriteStore {
    /// The archive, absolute (a later change of directory moves nothing).
    path: PathBuf,
    /// The temporary file the archive is written to, then renamed.
    tmp: PathBuf,
    /// None once the archive is written.
    staging: RwLock<Option<FilesystemStore>>,
    /// The process that created the store: a forked child's copy must not
    /// write the parent's archive when it goes.
    pid: u32,
}

impl ZipWriteStore {
    /// A store that writes the archive `path` when closed (replacing any
    /// file there then). Its values are staged in a new directory beside
    /// it; the directory `path` is in must exist.
    pub fn create(path: impl AsRef<Path>) -> Result<Self> {
        let given = path.as_ref();
        let shown = given.display().to_string();
        let path = std::path::absolute(given)
            .map_err(|e| crate::error::invalid_argument(format!("{shown}: {e}")))?;
        let name = match path.file_name().and_then(|n| n.to_str()) {
            Some(n) if !shown.ends_with('/') => n.to_string(),
            _ => {
                return Err(crate::error::invalid_argument(format!(
                    "{shown} does not name a file (in UTF-8)"
                )))
            }
        };
        if path.is_dir() {
            return Err(crate::error::invalid_argument(format!(
                "{shown} is a directory"
            )));
        }
        let parent = path.parent().unwrap_or(Path::new("/"));
        if !parent.is_dir() {
            return Err(crate::error::not_found(format!(
                "{shown}: no directory {}",
                parent.display()
            )));
        }
        // A directory of its own: create_dir fails on one that exists (a
        // crashed run's with the same process id, say), and the next name
        // is tried.
        let pid = std::process::id();
        // The archive's name, cut short: with the rest of the staging
        // name it must fit in a file name (255 bytes) whatever its length.
        let mut hint = String::new();
        for c in name.chars() {
            if hint.len() + c.len_utf8() > STAGING_HINT {
                break;
            }
            hint.push(c);
        }
        let staging = loop {
            let n = STAGING_COUNTER.fetch_add(1, Ordering::Relaxed);
            let dir = parent.join(format!(".{hint}.zarrio-staging-{pid}-{n}"));
            match std::fs::create_dir(&dir) {
                Ok(()) => break dir,
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && n < 1 << 20 => continue,
                Err(e) => return Err(io_error(format!("{}: {e}", dir.display()))),
            }
        };
        let mut tmp = staging.clone().into_os_string();
        tmp.push(".zarrio-tmp");
        let tmp = PathBuf::from(tmp);
        let store = FilesystemStore::open_existing(&staging)?;
        Ok(ZipWriteStore {
            path,
            tmp,
            staging: RwLock::new(Some(store)),
            pid,
        })
    }

    /// Run `f` on the staging store, or refuse once the archive is written.
    fn with<T>(&self, f: impl FnOnce(&FilesystemStore) -> Result<T>) -> Result<T> {
        let guard = self.staging.read().unwrap_or_else(|e| e.into_inner());
        match guard.as_ref() {
            Some(s) => f(s),
            None => Err(closed(&self.path)),
        }
    }

    /// Write the archive from the staged values and remove them; later
    /// calls do nothing. On an error before the archive is in place, the
    /// staged values stay and closing again retries.
    pub fn finish(&self) -> Result<()> {
        let mut guard = self.staging.write().unwrap_or_else(|e| e.into_inner());
        let Some(staging) = guard.as_ref() else {
            return Ok(());
        };
        let shown = self.path.display().to_string();
        let root = staging.root().to_path_buf();
        // A staging directory someone removed must not become an empty
        // archive over the old one.
        if !root.is_dir() {
            return Err(io_error(format!(
                "{shown}: the staging directory {} is gone",
                root.display()
            )));
        }
        let io = |e: &dyn std::fmt::Display| io_error(format!("{shown}: {e}"));
        let write = || -> Result<()> {
            let file = std::fs::File::create(&self.tmp).map_err(|e| io(&e))?;
            let mut zip = zip::ZipWriter::new(std::io::BufWriter::new(file));
            for key in staging.list("")? {
                // Streamed from the staged file: a shard need not fit in
                // memory.
                let mut value = match std::fs::File::open(root.join(&key)) {
                    Ok(f) => f,
                    // Erased since it was listed.
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                    // Any other failure keeps the staged values: nothing is lost.
                    Err(e) => return Err(io(&format!("{key}: {e}"))),
                };
                let len = value.metadata().map_err(|e| io(&e))?.len();
                let options = zip::write::SimpleFileOptions::default()
                    .compression_method(zip::CompressionMethod::Stored)
                    .large_file(len >= u32::MAX as u64);
                zip.start_file(key.as_str(), options).map_err(|e| io(&e))?;
                std::io::copy(&mut value, &mut zip).map_err(|e| io(&e))?;
            }
            let mut out = zip.finish().map_err(|e| io(&e))?;
            out.flush().map_err(|e| io(&e))?;
            out.get_ref().sync_all().map_err(|e| io(&e))?;
            std::fs::rename(&self.tmp, &self.path).map_err(|e| io(&e))
        };
        if let Err(e) = write() {
            let _ = std::fs::remove_file(&self.tmp);
            return Err(e);
        }
        // The archive is in place: the store is closed whatever the
        // cleanup does.
        *guard = None;
        std::fs::remove_dir_all(&root).map_err(|e| io_error(format!("{}: {e}", root.display())))
    }
}

impl Drop for ZipWriteStore {
    /// A store dropped without `close` writes its archive now; an error
    /// here has no one to go to (call `close` to learn of it), and leaves
    /// the staged values for a later look. A forked child's copy writes
    /// nothing.
    fn drop(&mut self) {
        if std::process::id() == self.pid {
            let _ = self.finish();
        }
    }
}

fn closed(path: &Path) -> crate::error::Error {
    crate::error::invalid_argument(format!(
        "{}: the zip archive is written; its store is closed",
        path.display()
    ))
}

/// Every request goes to the staging store under the read lock `close`
/// takes to write, except `value_reader`: a reader outlives the call and
/// so would outlive the lock, so this store reads values whole instead.
impl Store for ZipWriteStore {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        self.with(|s| s.get(key))
    }
    fn get_range(&self, key: &str, range: ByteRange) -> Result<Option<Vec<u8>>> {
        self.with(|s| s.get_range(key, range))
    }
    fn get_into(&self, key: &str, out: &mut [u8]) -> Result<Option<bool>> {
        self.with(|s| s.get_into(key, out))
    }
    fn get_reusing(&self, key: &str, buf: &mut Vec<u8>) -> Result<bool> {
        self.with(|s| s.get_reusing(key, buf))
    }
    fn get_in_pieces(
        &self,
        key: &str,
        total: usize,
        sink: &mut dyn FnMut(&[u8]) -> Result<()>,
    ) -> Result<Option<bool>> {
        self.with(|s| s.get_in_pieces(key, total, sink))
    }
    fn set(&self, key: &str, value: &[u8]) -> Result<()> {
        self.with(|s| s.set(key, value))
    }
    fn set_parts(&self, key: &str, parts: &[&[u8]]) -> Result<()> {
        self.with(|s| s.set_parts(key, parts))
    }
    fn min_part_len(&self) -> Option<usize> {
        self.with(|s| Ok(s.min_part_len())).ok().flatten()
    }
    fn set_if_absent(&self, key: &str, value: &[u8]) -> Result<bool> {
        self.with(|s| s.set_if_absent(key, value))
    }
    fn supports_set_if_absent(&self) -> bool {
        true
    }
    fn set_range(&self, key: &str, offset: u64, bytes: &[u8]) -> Result<()> {
        self.with(|s| s.set_range(key, offset, bytes))
    }
    fn supports_set_range(&self) -> bool {
        true
    }
    fn erase(&self, key: &str) -> Result<()> {
        self.with(|s| s.erase(key))
    }
    fn list(&self, prefix: &str) -> Result<Vec<String>> {
        self.with(|s| s.list(prefix))
    }
    fn size(&self, key: &str) -> Result<Option<u64>> {
        self.with(|s| s.size(key))
    }
    fn close(&self) -> Result<()> {
        self.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use crate::store::ZipStore;

    #[test]
    fn close_writes_each_key_once_as_last_stored() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("h.zip");
        let s = ZipWriteStore::create(&path).unwrap();
        s.set("zarr.json", b"{}").unwrap();
        s.set("a/c/0", b"0123456789").unwrap();
        s.set("a/c/1", b"gone").unwrap();
        s.set("zarr.json", b"{\"x\": 1}").unwrap();
        s.set_range("a/c/0", 2, b"AB").unwrap();
        s.erase("a/c/1").unwrap();
        assert!(s.set_if_absent("a/c/2", b"two").unwrap());
        assert!(!s.set_if_absent("a/c/2", b"other").unwrap());
        assert_eq!(s.get("a/c/0").unwrap().unwrap(), b"01AB456789");
        assert!(!path.exists(), "no archive before close");
        s.close().unwrap();
        s.close().unwrap();
        assert_eq!(
            s.get("zarr.json").unwrap_err().kind(),
            ErrorKind::InvalidArgument
        );
        assert_eq!(
            s.set("k", b"v").unwrap_err().kind(),
            ErrorKind::InvalidArgument
        );
        let z = ZipStore::open(&path).unwrap();
        assert_eq!(z.list("").unwrap(), ["a/c/0", "a/c/2", "zarr.json"]);
        assert_eq!(z.get("zarr.json").unwrap().unwrap(), b"{\"x\": 1}");
        assert_eq!(z.get("a/c/0").unwrap().unwrap(), b"01AB456789");
        // Only the archive is left beside it.
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["h.zip"]);
    }

    #[test]
    fn the_directory_must_exist_and_the_path_name_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let e = ZipWriteStore::create(dir.path().join("no/such/dir/x.zip")).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
        std::fs::create_dir(dir.path().join("d.zip")).unwrap();
        for bad in [dir.path().join("d.zip"), dir.path().join("x.zip/")] {
            let e = ZipWriteStore::create(&bad).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
        }
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    /// Any name a file may have, up to the 255 bytes of one: the staging
    /// directory and temporary file keep only the start of it.
    #[test]
    fn archives_with_long_names() {
        let dir = tempfile::tempdir().unwrap();
        for len in [200, 225, 251] {
            let name = format!(
                "{}.zip",
                "\u{e9}".repeat((len - 4) / 2) + &"n".repeat((len - 4) % 2)
            );
            assert_eq!(name.len(), len);
            let path = dir.path().join(&name);
            let s = ZipWriteStore::create(&path).unwrap();
            s.set("k", b"v").unwrap();
            s.close().unwrap();
            assert_eq!(
                ZipStore::open(&path).unwrap().get("k").unwrap().unwrap(),
                b"v"
            );
        }
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 3);
    }

    #[test]
    fn a_staging_directory_that_is_gone_writes_no_empty_archive() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("g.zip");
        std::fs::write(&path, b"the old archive").unwrap();
        let s = ZipWriteStore::create(&path).unwrap();
        s.set("k", b"v").unwrap();
        let staging = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.is_dir())
            .unwrap();
        std::fs::remove_dir_all(&staging).unwrap();
        assert_eq!(s.close().unwrap_err().kind(), ErrorKind::Io);
        assert_eq!(s.close().unwrap_err().kind(), ErrorKind::Io);
        assert_eq!(std::fs::read(&path).unwrap(), b"the old archive");
    }

    #[test]
    fn a_relative_path_stays_where_it_was_given() {
        // The store's paths are absolute: resolved against the directory
        // at creation (the test's working directory is the crate's).
        let s = ZipWriteStore::create("zarrio-relative-test.zip").unwrap();
        assert!(s.path.is_absolute() && s.tmp.is_absolute());
        s.set("k", b"v").unwrap();
        s.close().unwrap();
        let z = ZipStore::open(&s.path).unwrap();
        assert_eq!(z.get("k").unwrap().unwrap(), b"v");
        std::fs::remove_file(&s.path).unwrap();
    }

    #[test]
    fn dropping_without_close_writes_the_archive() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.zip");
        {
            let s = ZipWriteStore::create(&path).unwrap();
            s.set("k", b"value").unwrap();
        }
        let z = ZipStore::open(&path).unwrap();
        assert_eq!(z.get("k").unwrap().unwrap(), b"value");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
