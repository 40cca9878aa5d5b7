//! A read-only store over a zip archive (zarr-python's `ZipStore`, a Zarr
//! hierarchy shipped as one file).
//!
//! The central directory is read once, at open. Stored (uncompressed)
//! entries, zarr-python's default, are read by positional reads straight
//! from the archive, by byte range too, so sharded arrays read only the
//! inner chunks they need; deflated entries are inflated whole. Whole
//! values are checked against the entry's CRC-32; ranges cannot be, so
//! what the zip crate takes on trust is checked at open: the central
//! directory's headers run one after another into its end record, and
//! each entry's local header names the entry (else reading it is an
//! error, as in Python's zipfile).
//! Every write returns an "unsupported" error.

use super::filesystem::read_exact_at;
use super::memory::SharedValue;
use super::{validate_key, ByteRange, Store, ValueReader};
use crate::error::{checksum, corrupt, io_error, unsupported, Result};
use std::collections::HashMap;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// How an entry's bytes are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    Stored,
    Deflated,
    /// Another zip compression method (bzip2, zstd, ...), or encryption:
    /// its entries are listed, and reading one is "unsupported".
    Other(&'static str),
}

/// Where one value lies in the archive.
#[derive(Debug, Clone)]
struct Entry {
    data_start: u64,
    compressed_size: u64,
    size: u64,
    crc32: u32,
    method: Method,
    /// Why the entry's local header disagrees with the central directory
    /// (another name: the directory points at another entry's bytes).
    /// Reading it is an error, as in Python's zipfile; the rest of the
    /// archive reads.
    damage: Option<String>,
}

const CENTRAL_HEADER: u32 = 0x0201_4b50;
const LOCAL_HEADER: u32 = 0x0403_4b50;
/// What may follow the last central directory header: the zip64 end
/// record, its locator, the end record, a digital signature.
const AFTER_DIRECTORY: [u32; 4] = [0x0606_4b50, 0x0706_4b50, 0x0605_4b50, 0x0505_4b50];

fn u16_at(b: &[u8], at: usize) -> usize {
    usize::from(u16::from_le_bytes([b[at], b[at + 1]]))
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

/// The offsets (from `dir_start`) of the central directory's headers with
/// the name bytes each holds, read one after another as their lengths
/// say, ending where an end record starts: what the zip crate parses,
/// checked to be the whole directory (a header whose name length was cut
/// leaves bytes no record owns). The names are as stored, which the zip
/// crate replaces by a Unicode Path extra field's name, where the local
/// header keeps the stored one.
fn directory_headers(
    file: &File,
    dir_start: u64,
    file_len: u64,
    shown: &str,
) -> Result<Vec<(u64, Vec<u8>)>> {
    let len = usize::try_from(file_len.saturating_sub(dir_start))
        .map_err(|_| corrupt(format!("{shown}: a central directory too large to read")))?;
    let mut dir = crate::alloc::zeroed(len)?;
    read_exact_at(file, &mut dir, dir_start, shown)?;
    let mut at = 0usize;
    let mut starts = Vec::new();
    loop {
        let sig = dir.get(at..at + 4).map(|b| u32_at(b, 0));
        match sig {
            Some(CENTRAL_HEADER) => {
                let truncated = || corrupt(format!("{shown}: the central directory is truncated"));
                let fixed = dir.get(at..at + 46).ok_or_else(truncated)?;
                let name_len = u16_at(fixed, 28);
                let name = dir.get(at + 46..at + 46 + name_len).ok_or_else(truncated)?;
                starts.push((at as u64, name.to_vec()));
                at += 46 + name_len + u16_at(fixed, 30) + u16_at(fixed, 32);
            }
            Some(s) if AFTER_DIRECTORY.contains(&s) => return Ok(starts),
            _ => {
                return Err(corrupt(format!(
                    "{shown}: the central directory is damaged: {} bytes into it is \
                     neither a header nor its end",
                    at
                )))
            }
        }
    }
}

/// Why the local header at `header_start` does not name `name` (the name
/// the central directory gives it), if it does not.
fn local_header_damage(file: &File, header_start: u64, name: &[u8], shown: &str) -> Option<String> {
    let mut head = vec![0u8; 30 + name.len()];
    if let Err(e) = read_exact_at(file, &mut head, header_start, shown) {
        return Some(format!("its local header cannot be read: {}", e.message()));
    }
    if u32_at(&head, 0) != LOCAL_HEADER {
        return Some("the central directory points at no local header".into());
    }
    let local = &head[30..];
    if u16_at(&head, 26) != name.len() || local != name {
        return Some(format!(
            "its local header names {:?}: the central directory points at another entry",
            String::from_utf8_lossy(&local[..u16_at(&head, 26).min(local.len())])
        ));
    }
    None
}

/// What finding an archive's central directory may read beyond four
/// times the file: a valid archive reads its end records and directory
/// once or twice.
const OPEN_READ_SLACK: u64 = 1 << 20;

/// The archive file, read through a byte budget while the central
/// directory is found: a file of many false end-of-directory records
/// makes the zip crate try each, reading on to each one's offset, which
/// for a few megabytes of them would take minutes.
struct Budgeted {
    file: File,
    left: Arc<AtomicU64>,
}

impl Read for Budgeted {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.file.read(buf)?;
        // The update never declines: Ok and Err both hold what was left.
        let before = self
            .left
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
                Some(left.saturating_sub(n as u64))
            })
            .unwrap_or_else(|left| left);
        if before < n as u64 {
            return Err(std::io::Error::other(
                "finding the central directory reads more than four times the file",
            ));
        }
        Ok(n)
    }
}

impl std::io::Seek for Budgeted {
    fn seek(&mut self, pos: std::io::SeekFrom) -> std::io::Result<u64> {
        self.file.seek(pos)
    }
}

#[derive(Debug)]
pub struct ZipStore {
    path: PathBuf,
    file: File,
    entries: HashMap<String, Entry>,
    /// Every key, sorted, for `list`.
    keys: Vec<String>,
}

impl ZipStore {
    /// Open the archive at `path` and read its central directory.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let shown = path.display().to_string();
        let file = File::open(&path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                crate::error::not_found(format!("{shown}: no such file"))
            } else {
                io_error(format!("{shown}: {e}"))
            }
        })?;
        let file_len = file
            .metadata()
            .map_err(|e| io_error(format!("{shown}: {e}")))?
            .len();
        let budget = Arc::new(AtomicU64::new(
            file_len.saturating_mul(4).saturating_add(OPEN_READ_SLACK),
        ));
        let mut archive = zip::ZipArchive::new(Budgeted {
            file: file
                .try_clone()
                .map_err(|e| io_error(format!("{shown}: {e}")))?,
            left: budget.clone(),
        })
        .map_err(|e| corrupt(format!("{shown} is not a readable zip archive: {e}")))?;
        // Reading the entries' local headers below is linear in the count.
        budget.store(u64::MAX, Ordering::Relaxed);
        let dir_start = archive.central_directory_start();
        let headers = directory_headers(&file, dir_start, file_len, &shown)?;
        let mut entries = HashMap::with_capacity(archive.len());
        for i in 0..archive.len() {
            let f = archive
                .by_index_raw(i)
                .map_err(|e| corrupt(format!("{shown}: entry {i}: {e}")))?;
            let name = f.name().to_string();
            let stored_name = f
                .central_header_start()
                .checked_sub(dir_start)
                .and_then(|at| headers.binary_search_by_key(&at, |(h, _)| *h).ok())
                .map(|i| headers[i].1.as_slice())
                .ok_or_else(|| {
                    corrupt(format!(
                        "{shown}: entry {name}'s central header lies outside the central directory"
                    ))
                })?;
            // Directories, and names no key can have (absolute, "..").
            if f.is_dir() || validate_key(&name).is_err() {
                continue;
            }
            let method = if f.encrypted() {
                Method::Other("encrypted")
            } else {
                // Built without the crate's codecs, deflate is its constant.
                match f.compression() {
                    zip::CompressionMethod::Stored => Method::Stored,
                    m if m == zip::CompressionMethod::DEFLATE => Method::Deflated,
                    _ => Method::Other("compressed with a method other than deflate"),
                }
            };
            // A stored entry's bytes are its value.
            if method == Method::Stored && f.compressed_size() != f.size() {
                return Err(corrupt(format!(
                    "{shown}: stored entry {name} has {} bytes for a value of {}",
                    f.compressed_size(),
                    f.size()
                )));
            }
            // Sizes are the archive's word: one that lies past the file's
            // end must not become an allocation of that size.
            if f.data_start()
                .checked_add(f.compressed_size())
                .is_none_or(|end| end > file_len)
            {
                return Err(corrupt(format!(
                    "{shown}: entry {name} claims {} bytes past the end of the archive",
                    f.compressed_size()
                )));
            }
            // Deflate expands at most about 1032 times: a larger claim is
            // a lie (or a bomb), refused before it sizes a buffer.
            if method == Method::Deflated
                && f.size()
                    > f.compressed_size()
                        .saturating_mul(1032)
                        .saturating_add(1024)
            {
                return Err(corrupt(format!(
                    "{shown}: deflated entry {name} claims {} bytes from {}",
                    f.size(),
                    f.compressed_size()
                )));
            }
            let entry = Entry {
                data_start: f.data_start(),
                compressed_size: f.compressed_size(),
                size: f.size(),
                crc32: f.crc32(),
                method,
                damage: local_header_damage(&file, f.header_start(), stored_name, &shown),
            };
            // An archive appended to holds a name more than once; the
            // last entry is the value, as Python's zipfile reads it.
            entries.insert(name, entry);
        }
        let mut keys: Vec<String> = entries.keys().cloned().collect();
        keys.sort_unstable();
        Ok(ZipStore {
            path,
            file,
            entries,
            keys,
        })
    }

    fn entry(&self, key: &str) -> Result<Option<&Entry>> {
        validate_key(key)?;
        let Some(e) = self.entries.get(key) else {
            return Ok(None);
        };
        if let Some(why) = &e.damage {
            return Err(corrupt(format!(
                "{}: entry {key}: {why}",
                self.path.display()
            )));
        }
        if let Method::Other(why) = e.method {
            return Err(unsupported(format!(
                "{}: entry {key} is {why}, which this store does not read",
                self.path.display()
            )));
        }
        Ok(Some(e))
    }

    fn what(&self, key: &str) -> String {
        format!("{}: {key}", self.path.display())
    }

    /// The whole value of `e`, inflated when deflated, checked against its
    /// CRC-32, in `buf` (whose capacity is reused).
    fn read_value(&self, key: &str, e: &Entry, buf: &mut Vec<u8>) -> Result<()> {
        let what = self.what(key);
        let size = usize::try_from(e.size)
            .map_err(|_| crate::error::out_of_memory(format!("{what}: {} bytes", e.size)))?;
        match e.method {
            Method::Stored => {
                crate::alloc::resize_zeroed(buf, size).map_err(|err| err.context(&what))?;
                read_exact_at(&self.file, buf, e.data_start, &what)?;
            }
            _ => {
                let mut packed = Vec::new();
                let packed_len = usize::try_from(e.compressed_size).map_err(|_| {
                    crate::error::out_of_memory(format!("{what}: {} bytes", e.compressed_size))
                })?;
                crate::alloc::resize_zeroed(&mut packed, packed_len)
                    .map_err(|err| err.context(&what))?;
                read_exact_at(&self.file, &mut packed, e.data_start, &what)?;
                buf.clear();
                buf.try_reserve_exact(size)
                    .map_err(|_| crate::error::out_of_memory(format!("{what}: {size} bytes")))?;
                // One byte past the stated size shows a value that is longer.
                flate2::read::DeflateDecoder::new(packed.as_slice())
                    .take(e.size + 1)
                    .read_to_end(buf)
                    .map_err(|err| corrupt(format!("{what}: cannot inflate: {err}")))?;
                if buf.len() != size {
                    return Err(corrupt(format!(
                        "{what}: inflates to {} bytes, the archive says {size}",
                        buf.len()
                    )));
                }
            }
        }
        if crc32fast::hash(buf) != e.crc32 {
            return Err(checksum(format!("{what}: CRC-32 mismatch")));
        }
        Ok(())
    }
}

/// A stored entry read by range.
struct StoredReader<'a> {
    store: &'a ZipStore,
    entry: &'a Entry,
    key: String,
}

impl ValueReader for StoredReader<'_> {
    fn size(&self) -> u64 {
        self.entry.size
    }

    fn read_at(&self, offset: u64, out: &mut [u8]) -> Result<()> {
        let what = self.store.what(&self.key);
        ByteRange::new(offset, out.len() as u64)
            .resolve(self.entry.size)
            .map_err(|e| e.context(&what))?;
        read_exact_at(&self.store.file, out, self.entry.data_start + offset, &what)
    }
}

fn read_only(key: &str) -> crate::error::Error {
    unsupported(format!("{key}: zip stores are read only"))
}

impl Store for ZipStore {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        let mut buf = Vec::new();
        Ok(self.get_reusing(key, &mut buf)?.then_some(buf))
    }

    fn get_reusing(&self, key: &str, buf: &mut Vec<u8>) -> Result<bool> {
        match self.entry(key)? {
            None => Ok(false),
            Some(e) => self.read_value(key, e, buf).map(|()| true),
        }
    }

    fn get_range(&self, key: &str, range: ByteRange) -> Result<Option<Vec<u8>>> {
        let Some(e) = self.entry(key)? else {
            return Ok(None);
        };
        if e.method != Method::Stored {
            let mut v = Vec::new();
            self.read_value(key, e, &mut v)?;
            return super::slice_range(&v, &range).map(Some);
        }
        let what = self.what(key);
        let r = range.resolve(e.size).map_err(|err| err.context(&what))?;
        let mut out = Vec::new();
        crate::alloc::resize_zeroed(&mut out, (r.end - r.start) as usize)
            .map_err(|err| err.context(&what))?;
        read_exact_at(&self.file, &mut out, e.data_start + r.start, &what)?;
        Ok(Some(out))
    }

    fn get_into(&self, key: &str, out: &mut [u8]) -> Result<Option<bool>> {
        let Some(e) = self.entry(key)? else {
            return Ok(None);
        };
        if e.size != out.len() as u64 {
            return Ok(Some(false));
        }
        if e.method != Method::Stored {
            let mut v = Vec::new();
            self.read_value(key, e, &mut v)?;
            out.copy_from_slice(&v);
            return Ok(Some(true));
        }
        let what = self.what(key);
        read_exact_at(&self.file, out, e.data_start, &what)?;
        if crc32fast::hash(out) != e.crc32 {
            return Err(checksum(format!("{what}: CRC-32 mismatch")));
        }
        Ok(Some(true))
    }

    fn value_reader(&self, key: &str) -> Result<Option<Box<dyn ValueReader + '_>>> {
        let Some(e) = self.entry(key)? else {
            return Ok(None);
        };
        if e.method == Method::Stored {
            return Ok(Some(Box::new(StoredReader {
                store: self,
                entry: e,
                key: key.to_string(),
            })));
        }
        // A deflated entry, inflated once, read by range from memory.
        let mut value = Vec::new();
        self.read_value(key, e, &mut value)?;
        Ok(Some(Box::new(SharedValue::new(
            std::sync::Arc::new(value),
            &self.what(key),
        ))))
    }

    fn supports_value_reader(&self) -> bool {
        true
    }

    fn size(&self, key: &str) -> Result<Option<u64>> {
        validate_key(key)?;
        Ok(self.entries.get(key).map(|e| e.size))
    }

    fn list(&self, prefix: &str) -> Result<Vec<String>> {
        // Sorted: the keys with the prefix are one run.
        let start = self.keys.partition_point(|k| k.as_str() < prefix);
        Ok(self.keys[start..]
            .iter()
            .take_while(|k| k.starts_with(prefix))
            .cloned()
            .collect())
    }

    fn set(&self, key: &str, _value: &[u8]) -> Result<()> {
        Err(read_only(key))
    }

    fn set_if_absent(&self, key: &str, _value: &[u8]) -> Result<bool> {
        Err(read_only(key))
    }

    fn erase(&self, key: &str) -> Result<()> {
        Err(read_only(key))
    }

    fn erase_prefix(&self, prefix: &str) -> Result<()> {
        Err(read_only(prefix))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use std::io::Write;

    /// An archive of stored entries, in order, after a directory entry.
    fn archive(dir: &Path, entries: &[(&str, &[u8])]) -> PathBuf {
        let path = dir.join("t.zip");
        let mut w = zip::ZipWriter::new(File::create(&path).unwrap());
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        w.add_directory("d/", opts).unwrap();
        for (name, value) in entries {
            w.start_file(*name, opts).unwrap();
            w.write_all(value).unwrap();
        }
        w.finish().unwrap();
        path
    }

    /// A file of nothing but false end-of-central-directory records (each
    /// names one entry at offset 0 that is not there) is refused once
    /// the search has read four times the file, not after trying each
    /// record in turn; a real archive still opens.
    #[test]
    fn false_end_records_are_refused_within_a_read_budget() {
        let dir = tempfile::tempdir().unwrap();
        let mut record = Vec::new();
        record.extend(0x0605_4b50u32.to_le_bytes());
        for field in [0u16, 0, 1, 1] {
            record.extend(field.to_le_bytes());
        }
        record.extend([0u8; 8]);
        record.extend(0u16.to_le_bytes());
        assert_eq!(record.len(), 22);
        let path = dir.path().join("false.zip");
        std::fs::write(&path, record.repeat(40_000)).unwrap();
        assert_eq!(
            ZipStore::open(&path).unwrap_err().kind(),
            ErrorKind::Corrupt
        );
        let good = archive(dir.path(), &[("a/zarr.json", b"{}"), ("a/c/0", &[7; 100])]);
        assert_eq!(
            ZipStore::open(&good)
                .unwrap()
                .get("a/c/0")
                .unwrap()
                .unwrap(),
            [7; 100]
        );
    }

    #[test]
    fn reads_lists_and_refuses_writes() {
        let dir = tempfile::tempdir().unwrap();
        let path = archive(
            dir.path(),
            &[("d/zarr.json", b"{}"), ("d/c/0", b"0123456789"), ("e", b"")],
        );
        let s = ZipStore::open(&path).unwrap();
        assert_eq!(s.list("").unwrap(), ["d/c/0", "d/zarr.json", "e"]);
        assert_eq!(s.list("d/").unwrap(), ["d/c/0", "d/zarr.json"]);
        assert!(s.list("x").unwrap().is_empty());
        assert_eq!(s.get("d/c/0").unwrap().unwrap(), b"0123456789");
        assert_eq!(s.get("e").unwrap().unwrap(), b"");
        assert!(s.get("d").unwrap().is_none());
        assert!(s.get("d/c/1").unwrap().is_none());
        assert_eq!(
            s.get_range("d/c/0", ByteRange::new(3, 4)).unwrap().unwrap(),
            b"3456"
        );
        assert_eq!(
            s.get_range("d/c/0", ByteRange::Suffix { length: 2 })
                .unwrap()
                .unwrap(),
            b"89"
        );
        assert!(s.get_range("d/c/0", ByteRange::new(8, 4)).is_err());
        let r = s.value_reader("d/c/0").unwrap().unwrap();
        let mut out = [0u8; 3];
        r.read_at(7, &mut out).unwrap();
        assert_eq!(&out, b"789");
        assert!(r.read_at(8, &mut out).is_err());
        let mut exact = [0u8; 10];
        assert_eq!(s.get_into("d/c/0", &mut exact).unwrap(), Some(true));
        assert_eq!(s.get_into("d/c/0", &mut out).unwrap(), Some(false));
        assert_eq!(s.size("d/c/0").unwrap(), Some(10));
        for e in [
            s.set("d/c/0", b"x").unwrap_err(),
            s.erase("d/c/0").unwrap_err(),
            s.erase_prefix("d").unwrap_err(),
            s.set_if_absent("n", b"x").unwrap_err(),
        ] {
            assert_eq!(e.kind(), ErrorKind::Unsupported, "{e}");
        }
        assert_eq!(s.get("d/c/0").unwrap().unwrap(), b"0123456789");
        assert!(s.get("../x").is_err());
    }

    /// (An archive holding a name twice, which this crate's writer cannot
    /// make, is tested from Python.)
    #[test]
    fn damage_is_a_checksum_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = archive(dir.path(), &[("j", b"old value"), ("k", b"new value")]);
        let s = ZipStore::open(&path).unwrap();
        assert_eq!(s.get("k").unwrap().unwrap(), b"new value");
        drop(s);
        // Damage the entry's bytes in place.
        let mut raw = std::fs::read(&path).unwrap();
        let at = raw.windows(9).rposition(|w| w == b"new value").unwrap();
        raw[at] = b'N';
        std::fs::write(&path, &raw).unwrap();
        let s = ZipStore::open(&path).unwrap();
        assert_eq!(s.get("k").unwrap_err().kind(), ErrorKind::Checksum);
        let mut out = [0u8; 9];
        assert_eq!(
            s.get_into("k", &mut out).unwrap_err().kind(),
            ErrorKind::Checksum
        );
        // Ranges cannot be checked.
        assert_eq!(
            s.get_range("k", ByteRange::new(0, 3)).unwrap().unwrap(),
            b"New"
        );
        // Sizes in the central directory past the archive's end.
        let mut lying = std::fs::read(&path).unwrap();
        let central = lying.windows(4).rposition(|w| w == b"PK\x01\x02").unwrap();
        for field in [20, 24] {
            lying[central + field..central + field + 4]
                .copy_from_slice(&0xF000_0000u32.to_le_bytes());
        }
        std::fs::write(&path, &lying).unwrap();
        let e = ZipStore::open(&path).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Corrupt, "{e}");
        assert!(e.to_string().contains("past the end"), "{e}");
        std::fs::write(&path, b"not an archive").unwrap();
        assert_eq!(
            ZipStore::open(&path).unwrap_err().kind(),
            ErrorKind::Corrupt
        );
        assert_eq!(
            ZipStore::open(dir.path().join("none.zip"))
                .unwrap_err()
                .kind(),
            ErrorKind::NotFound
        );
    }

    /// A central directory entry whose local header names another entry
    /// (the directory points at the wrong bytes) is an error to read, by
    /// range too, as Python's zipfile refuses it; the other entries read.
    /// A directory whose headers do not run into its end record (a name
    /// length cut) does not open.
    #[test]
    fn directory_and_local_headers_must_agree() {
        let dir = tempfile::tempdir().unwrap();
        let path = archive(
            dir.path(),
            &[("c/0", b"first value"), ("c/1", b"other value")],
        );
        let good = std::fs::read(&path).unwrap();
        // Point c/1's central header at c/0's local header.
        let mut moved = good.clone();
        let c0_local = moved.windows(3).position(|w| w == b"c/0").unwrap() - 30;
        let c1_central = moved
            .windows(4)
            .enumerate()
            .filter(|(_, w)| *w == b"PK\x01\x02")
            .map(|(i, _)| i)
            .find(|&i| &moved[i + 46..i + 49] == b"c/1")
            .unwrap();
        moved[c1_central + 42..c1_central + 46].copy_from_slice(&(c0_local as u32).to_le_bytes());
        std::fs::write(&path, &moved).unwrap();
        let s = ZipStore::open(&path).unwrap();
        assert_eq!(s.get("c/0").unwrap().unwrap(), b"first value");
        for e in [
            s.get("c/1").unwrap_err(),
            s.get_range("c/1", ByteRange::new(0, 3)).unwrap_err(),
        ] {
            assert_eq!(e.kind(), ErrorKind::Corrupt, "{e}");
            assert!(e.to_string().contains("names \"c/0\""), "{e}");
        }
        // The last central header's name length cut to 0.
        let mut cut = good.clone();
        let last = cut.windows(4).rposition(|w| w == b"PK\x01\x02").unwrap();
        cut[last + 28..last + 30].copy_from_slice(&0u16.to_le_bytes());
        std::fs::write(&path, &cut).unwrap();
        let e = ZipStore::open(&path).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Corrupt, "{e}");
        assert!(
            e.to_string().contains("central directory is damaged"),
            "{e}"
        );
        std::fs::write(&path, &good).unwrap();
        assert_eq!(
            ZipStore::open(&path).unwrap().get("c/1").unwrap().unwrap(),
            b"other value"
        );
    }
}
