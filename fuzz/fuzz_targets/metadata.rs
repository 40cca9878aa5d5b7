//! Fuzzed metadata: the first input byte says which document the rest is
//! (a v3 `zarr.json`, a v2 `.zarray`, a v2 `.zgroup` with `.zmetadata`,
//! an N5 `attributes.json`, or attributes given to `set_attributes_json`);
//! the node is opened, and a small array is read and written. Attributes
//! taken must read back as JSON holding what the engine holds (strict
//! JSON when they were given as strict JSON), and the same again after
//! reopening.
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
    if kind % 5 == 4 {
        attributes(doc);
        return;
    }
    let store: StoreRef = match kind % 5 {
        0 => {
            inner.set("a/zarr.json", doc).unwrap();
            // A group's inline consolidated metadata, read through the
            // store that serves it.
            if let Ok(c) = zarrio::ConsolidatedStore::open(inner.clone(), "a") {
                exercise_node(&(Arc::new(c) as StoreRef));
            }
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

fn attributes(text: &[u8]) {
    let Ok(text) = std::str::from_utf8(text) else {
        return;
    };
    let store = zarrio_fuzz::store_with(&zarrio_fuzz::templates()[0].zarr_json);
    let array = zarrio::Array::open(store.clone(), "a").expect("a template opens");
    if zarrio_fuzz::no_internal("set_attributes_json", array.set_attributes_json(text)).is_none() {
        return;
    }
    // Handed out as stored: JSON's grammar, but numbers past float64 and
    // lone surrogate escapes as they are written, which read as the
    // engine holds them (strings of digits, U+FFFD) only as zarrio reads
    // stored JSON; without them, strict JSON.
    let shown_text = array.attributes_json();
    let shown = zarrio::metadata::parse_json(shown_text.as_bytes())
        .expect("attributes are handed out as JSON");
    assert_eq!(shown, serde_json::Value::Object(array.attributes()));
    if serde_json::from_str::<serde_json::Value>(text).is_ok() {
        serde_json::from_str::<serde_json::Value>(&shown_text).expect("strict JSON stays strict");
    }
    let again = zarrio::Array::open(store, "a").expect("the array opens again");
    assert_eq!(again.attributes(), array.attributes());
    assert_eq!(again.attributes_json(), array.attributes_json());
}
