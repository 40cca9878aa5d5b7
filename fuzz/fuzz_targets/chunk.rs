//! Fuzzed bytes stored as the first chunk (or shard) of one of the
//! templates (the first input byte picks it), then read and written.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use zarrio::Array;
use zarrio_fuzz::{exercise, store_with, templates, Template};

fn all() -> &'static [Template] {
    static ALL: OnceLock<Vec<Template>> = OnceLock::new();
    ALL.get_or_init(templates)
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, chunk)) = data.split_first() else {
        return;
    };
    let template = &all()[pick as usize % all().len()];
    let store = store_with(&template.zarr_json);
    let array = Array::open(store.clone(), "a").expect("a template opens");
    let key = array.chunk_key(&vec![0; array.ndim()]);
    store.set(&key, chunk).expect("memory store set");
    exercise(&array);
});
