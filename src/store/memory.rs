//! An in-memory store, for tests and for hosts that stage data in RAM.

use super::{ByteRange, Store};
use crate::error::Result;
use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

#[derive(Debug, Default)]
pub struct MemoryStore {
    map: RwLock<BTreeMap<String, Arc<Vec<u8>>>>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<String, Arc<Vec<u8>>>> {
        // A panic while holding the lock cannot leave the map half-updated
        // (each operation is a single insert/remove), so poisoning is ignored.
        self.map.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, BTreeMap<String, Arc<Vec<u8>>>> {
        self.map.write().unwrap_or_else(|e| e.into_inner())
    }
}

impl Store for MemoryStore {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        Ok(self.read().get(key).map(|v| v.as_ref().clone()))
    }

    fn get_range(&self, key: &str, range: ByteRange) -> Result<Option<Vec<u8>>> {
        let v = match self.read().get(key) {
            Some(v) => v.clone(),
            None => return Ok(None),
        };
        super::slice_range(&v, &range).map(Some)
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<()> {
        super::validate_key(key)?;
        self.write().insert(key.to_string(), Arc::new(value.to_vec()));
        Ok(())
    }

    fn erase(&self, key: &str) -> Result<()> {
        self.write().remove(key);
        Ok(())
    }

    fn list(&self, prefix: &str) -> Result<Vec<String>> {
        Ok(self.read().range(prefix.to_string()..).take_while(|(k, _)| k.starts_with(prefix)).map(|(k, _)| k.clone()).collect())
    }

    fn size(&self, key: &str) -> Result<Option<u64>> {
        Ok(self.read().get(key).map(|v| v.len() as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_get_list_erase() {
        let s = MemoryStore::new();
        s.set("a/zarr.json", b"{}").unwrap();
        s.set("a/c/0", b"0123456789").unwrap();
        s.set("b", b"x").unwrap();
        assert_eq!(s.get("a/c/0").unwrap().unwrap(), b"0123456789");
        assert_eq!(s.get_range("a/c/0", ByteRange::Suffix { length: 3 }).unwrap().unwrap(), b"789");
        assert_eq!(s.get_range("a/c/0", ByteRange::new(1, 2)).unwrap().unwrap(), b"12");
        assert!(s.get_range("a/c/0", ByteRange::new(9, 2)).is_err());
        assert_eq!(s.list("a/").unwrap(), vec!["a/c/0", "a/zarr.json"]);
        assert_eq!(s.size("b").unwrap(), Some(1));
        s.erase("a/c/0").unwrap();
        assert_eq!(s.get("a/c/0").unwrap(), None);
        assert!(s.set("../x", b"").is_err());
    }
}
