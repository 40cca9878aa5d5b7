//! A memory store that records what the engine asks of it, shared by the
//! integration tests.
#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;
use zarrio::store::ByteRange;
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

impl Store for Recording {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        if !key.ends_with("zarr.json") {
            self.gets.lock().unwrap().push(key.to_string());
        }
        self.read(|| self.inner.get(key))
    }
    fn get_range(&self, key: &str, range: ByteRange) -> Result<Option<Vec<u8>>> {
        self.ranges.lock().unwrap().push((key.to_string(), range));
        self.read(|| self.inner.get_range(key, range))
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
}
