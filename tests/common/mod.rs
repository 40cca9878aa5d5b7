//! What the integration tests share: a memory store that records what the
//! engine asks of it, snapshots of stores, and `zarr.json` text.
#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;
use zarrio::store::{ByteRange, ValueReader};
use zarrio::{MemoryStore, Result, Store};

#[derive(Debug)]
pub struct Recording {
    pub inner: MemoryStore,
    /// Whole-value reads of chunk keys (metadata reads are not counted).
    pub gets: Mutex<Vec<String>>,
    pub ranges: Mutex<Vec<(String, ByteRange)>>,
    pub sets: AtomicUsize,
    pub set_ranges: AtomicUsize,
    pub in_flight: AtomicUsize,
    pub max_in_flight: AtomicUsize,
    /// How long each read takes.
    pub delay: Option<Duration>,
    /// Whether the store offers set_range (else writes are whole rewrites).
    pub ranged_writes: bool,
    /// Whether the store offers value readers (its memory store's).
    pub value_readers: bool,
    /// Ranges read through value readers.
    pub reader_reads: AtomicUsize,
    /// Reads of exactly this many bytes (by range or through a value
    /// reader) come back with their first byte flipped, while `tears`
    /// lasts: what a reader finds in a slot a writer is patching.
    pub tear_len: AtomicUsize,
    pub tears: AtomicUsize,
}

impl Default for Recording {
    fn default() -> Self {
        Recording {
            inner: MemoryStore::new(),
            gets: Mutex::default(),
            ranges: Mutex::default(),
            sets: AtomicUsize::new(0),
            set_ranges: AtomicUsize::new(0),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
            delay: None,
            ranged_writes: true,
            value_readers: false,
            reader_reads: AtomicUsize::new(0),
            tear_len: AtomicUsize::new(0),
            tears: AtomicUsize::new(0),
        }
    }
}

impl Recording {
    pub fn without_range_writes() -> Self {
        Recording {
            ranged_writes: false,
            ..Default::default()
        }
    }

    pub fn with_value_readers() -> Self {
        Recording {
            value_readers: true,
            ..Default::default()
        }
    }

    pub fn slow(delay: Duration) -> Self {
        Recording {
            delay: Some(delay),
            ..Default::default()
        }
    }

    /// Reads of any kind so far.
    pub fn reads(&self) -> usize {
        self.gets.lock().unwrap().len() + self.ranges.lock().unwrap().len()
    }

    pub fn clear(&self) {
        self.gets.lock().unwrap().clear();
        self.ranges.lock().unwrap().clear();
        self.max_in_flight.store(0, Ordering::SeqCst);
    }

    /// Flip the first byte of `b` if a tear is due for reads of its length.
    fn tear(&self, b: &mut [u8]) {
        if !b.is_empty()
            && b.len() == self.tear_len.load(Ordering::SeqCst)
            && self
                .tears
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |t| t.checked_sub(1))
                .is_ok()
        {
            b[0] ^= 0xff;
        }
    }

    fn read<T>(&self, f: impl FnOnce() -> T) -> T {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        if let Some(d) = self.delay {
            std::thread::sleep(d);
        }
        let r = f();
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        r
    }
}

/// A value reader that counts the ranges read through it.
struct CountingReader<'a> {
    inner: Box<dyn ValueReader + 'a>,
    store: &'a Recording,
}

impl ValueReader for CountingReader<'_> {
    fn size(&self) -> u64 {
        self.inner.size()
    }
    fn read_at(&self, offset: u64, out: &mut [u8]) -> Result<()> {
        self.store.reader_reads.fetch_add(1, Ordering::SeqCst);
        self.inner.read_at(offset, out)?;
        self.store.tear(out);
        Ok(())
    }
}

impl Store for Recording {
    fn value_reader(&self, key: &str) -> Result<Option<Box<dyn ValueReader + '_>>> {
        assert!(self.value_readers, "value_reader on a store without it");
        Ok(self.inner.value_reader(key)?.map(|inner| {
            Box::new(CountingReader { inner, store: self }) as Box<dyn ValueReader + '_>
        }))
    }
    fn supports_value_reader(&self) -> bool {
        self.value_readers
    }
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        // Metadata reads (v3, or the v2 keys a create looks for) are not
        // the chunk reads the tests count.
        let metadata = ["zarr.json", ".zarray", ".zgroup", ".zattrs"];
        if !metadata.iter().any(|m| key.ends_with(m)) {
            self.gets.lock().unwrap().push(key.to_string());
        }
        self.read(|| self.inner.get(key))
    }
    fn get_range(&self, key: &str, range: ByteRange) -> Result<Option<Vec<u8>>> {
        self.ranges.lock().unwrap().push((key.to_string(), range));
        let mut got = self.read(|| self.inner.get_range(key, range))?;
        if let Some(b) = got.as_mut() {
            self.tear(b);
        }
        Ok(got)
    }
    fn set(&self, key: &str, value: &[u8]) -> Result<()> {
        self.sets.fetch_add(1, Ordering::SeqCst);
        self.inner.set(key, value)
    }
    fn set_if_absent(&self, key: &str, value: &[u8]) -> Result<bool> {
        self.inner.set_if_absent(key, value)
    }
    fn supports_set_if_absent(&self) -> bool {
        true
    }
    fn set_range(&self, key: &str, offset: u64, bytes: &[u8]) -> Result<()> {
        assert!(self.ranged_writes, "set_range on a store without it");
        self.set_ranges.fetch_add(1, Ordering::SeqCst);
        self.inner.set_range(key, offset, bytes)
    }
    fn supports_set_range(&self) -> bool {
        self.ranged_writes
    }
    fn erase(&self, key: &str) -> Result<()> {
        self.inner.erase(key)
    }
    fn list(&self, prefix: &str) -> Result<Vec<String>> {
        self.inner.list(prefix)
    }
    fn size(&self, key: &str) -> Result<Option<u64>> {
        self.inner.size(key)
    }
}

/// Every key of `store` with its value.
pub fn snapshot(store: &dyn Store) -> std::collections::BTreeMap<String, Vec<u8>> {
    store
        .list("")
        .unwrap()
        .into_iter()
        .map(|k| {
            let v = store.get(&k).unwrap().unwrap();
            (k, v)
        })
        .collect()
}

/// Put back what `store` held when `original` was taken, rewriting only
/// the values that differ.
pub fn restore(store: &dyn Store, original: &std::collections::BTreeMap<String, Vec<u8>>) {
    let now = snapshot(store);
    for key in now.keys().filter(|k| !original.contains_key(*k)) {
        store.erase(key).unwrap();
    }
    for (key, value) in original {
        if now.get(key) != Some(value) {
            store.set(key, value).unwrap();
        }
    }
}

/// Fail with the first of `failures` (one line each), if any.
pub fn assert_none_failed(failures: &[String]) {
    assert!(
        failures.is_empty(),
        "{} of the cases failed, the first:\n{}",
        failures.len(),
        failures[..failures.len().min(20)].join("\n")
    );
}

/// The `zarr.json` text of a regular-grid array with default chunk keys.
pub fn v3_meta(
    dtype: serde_json::Value,
    shape: &[u64],
    chunk: &[u64],
    fill: serde_json::Value,
    codecs: serde_json::Value,
) -> String {
    serde_json::json!({
        "zarr_format": 3, "node_type": "array", "shape": shape, "data_type": dtype,
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": chunk}},
        "chunk_key_encoding": {"name": "default"}, "fill_value": fill, "codecs": codecs,
    })
    .to_string()
}

/// The C-order element indices of the box `start .. start + shape` of an
/// array of shape `full`, in the box's C order.
pub fn box_indices(full: &[u64], start: &[u64], shape: &[u64]) -> Vec<usize> {
    let n: u64 = shape.iter().product();
    let mut out = Vec::with_capacity(n as usize);
    let mut idx = vec![0u64; shape.len()];
    for _ in 0..n {
        let mut off = 0u64;
        for d in 0..full.len() {
            off = off * full[d] + start[d] + idx[d];
        }
        out.push(off as usize);
        for d in (0..shape.len()).rev() {
            idx[d] += 1;
            if idx[d] < shape[d] {
                break;
            }
            idx[d] = 0;
        }
    }
    out
}

/// Every value below `dir` on disk but the files named `skip` (relative
/// key -> bytes).
pub fn files_below(
    dir: &std::path::Path,
    skip: &[&str],
) -> std::collections::BTreeMap<String, Vec<u8>> {
    let store = zarrio::FilesystemStore::open_existing(dir).unwrap();
    let mut all = snapshot(&store);
    all.retain(|k, _| !skip.iter().any(|s| k == s || k.ends_with(&format!("/{s}"))));
    all
}
