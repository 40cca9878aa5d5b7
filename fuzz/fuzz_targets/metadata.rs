//! Fuzzed metadata: the first input byte says which document the rest is
//! (a v3 `zarr.json`, a v2 `.zarray`, a v2 `.zgroup` with `.zmetadata`,
//! or an N5 `attributes.json`); the node is opened, and a small array is
//! read and written.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::Arc;
use zarrio::{MemoryStore, N5Store, StoreRef};
use zarrio_fuzz::exercise_node;

fuzz_target!(|data: &[u8]| {
    let Some((&kind, doc)) = data.split_first() else {
        return;
    };
    let inner: StoreRef = Arc::new(MemoryStore::new());
    let store: StoreRef = match kind % 4 {
        0 => {
            inner.set("a/zarr.json", doc).unwrap();
            inner
        }
        1 => {
            inner.set("a/.zarray", doc).unwrap();
            inner
        }
        2 => {
            inner.set(".zgroup", b"{\"zarr_format\": 2}").unwrap();
            inner.set(".zmetadata", doc).unwrap();
            inner.set("a/.zarray", doc).unwrap();
            match zarrio::ConsolidatedStore::open(inner.clone(), "") {
                Ok(c) => Arc::new(c),
                Err(_) => inner,
            }
        }
        _ => {
            inner.set("a/attributes.json", doc).unwrap();
            Arc::new(N5Store::new(inner))
        }
    };
    exercise_node(&store);
});
