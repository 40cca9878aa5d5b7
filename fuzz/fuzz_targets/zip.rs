//! A fuzzed file opened as a zip archive store: every entry listed and
//! read, and the hierarchy in it opened.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::io::Write;
use std::sync::Arc;
use zarrio::{StoreRef, ZipStore};
use zarrio_fuzz::{exercise_node, no_internal};

fuzz_target!(|data: &[u8]| {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(data).unwrap();
    file.flush().unwrap();
    let Some(zip) = no_internal("open", ZipStore::open(file.path())) else {
        return;
    };
    let store: StoreRef = Arc::new(zip);
    if let Some(keys) = no_internal("list", store.list("")) {
        for key in keys.iter().take(16) {
            no_internal("get", store.get(key));
            no_internal("size", store.size(key));
        }
    }
    exercise_node(&store);
});
