//! Reads keep up to the I/O concurrency setting of store requests in
//! flight, separately from the decode thread count.

use serde_json::json;
mod common;

use common::Recording;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use zarrio::{Array, StoreRef};

fn make(store: &Arc<Recording>, sharded: bool) -> Array {
    let codecs = if sharded {
        json!([{"name": "sharding_indexed", "configuration": {"chunk_shape": [4, 4],
            "codecs": [{"name": "bytes", "configuration": {"endian": "little"}}, {"name": "zstd", "configuration": {"level": 1}}]}}])
    } else {
        json!([{"name": "bytes", "configuration": {"endian": "little"}}, {"name": "zstd", "configuration": {"level": 1}}])
    };
    let meta = json!({
        "zarr_format": 3, "node_type": "array", "shape": [64, 64], "data_type": "uint16",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [8, 8]}},
        "chunk_key_encoding": {"name": "default"}, "fill_value": 0, "codecs": codecs
    });
    let dyn_store: StoreRef = store.clone();
    let a = Array::create(dyn_store, "a", &meta.to_string()).unwrap();
    let data: Vec<u8> = (0..64u16 * 64)
        .flat_map(|v| v.wrapping_mul(7).to_ne_bytes())
        .collect();
    a.write_region(&[0, 0], &[64, 64], &data, None).unwrap();
    a
}

#[test]
fn reads_overlap_requests_up_to_the_io_setting() {
    for sharded in [false, true] {
        let store = Arc::new(Recording::slow(Duration::from_millis(5)));
        let a = make(&store, sharded);
        let expected = {
            let mut v = vec![0u8; 64 * 64 * 2];
            a.set_threads(1);
            a.read_region(&[0, 0], &[64, 64], &mut v, None).unwrap();
            v
        };
        assert_eq!(
            store.max_in_flight.load(Ordering::SeqCst),
            1,
            "one thread: one request at a time"
        );

        // Two decode threads and the default I/O setting: at most two requests.
        store.max_in_flight.store(0, Ordering::SeqCst);
        a.set_threads(2);
        let mut out = vec![0u8; 64 * 64 * 2];
        a.read_region(&[0, 0], &[64, 64], &mut out, None).unwrap();
        assert_eq!(out, expected);
        assert!(store.max_in_flight.load(Ordering::SeqCst) <= 2);

        // Sixteen requests in flight, still two decode threads.
        store.max_in_flight.store(0, Ordering::SeqCst);
        a.set_io_concurrency(16);
        let mut out = vec![0u8; 64 * 64 * 2];
        // A partial region, so sharded reads go by byte range.
        a.read_region(&[0, 0], &[64, 60], &mut out[..64 * 60 * 2], None)
            .unwrap();
        let max = store.max_in_flight.load(Ordering::SeqCst);
        assert!(
            max > 2 && max <= 16,
            "sharded {sharded}: {max} requests in flight"
        );
        let mut full = vec![0u8; 64 * 64 * 2];
        a.read_region(&[0, 0], &[64, 64], &mut full, None).unwrap();
        assert_eq!(full, expected);
    }
}

#[test]
fn calls_from_a_hosts_rayon_pool_use_the_arrays_threads() {
    // A host that calls from its own one-thread rayon pool still gets the
    // array's threads and I/O concurrency, not its pool's single worker.
    let store = Arc::new(Recording::slow(Duration::from_millis(5)));
    let a = make(&store, false);
    let mut expected = vec![0u8; 64 * 64 * 2];
    a.read_region(&[0, 0], &[64, 64], &mut expected, None)
        .unwrap();
    a.set_threads(2);
    a.set_io_concurrency(8);
    store.max_in_flight.store(0, Ordering::SeqCst);
    let host = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let mut out = vec![0u8; 64 * 64 * 2];
    host.install(|| a.read_region(&[0, 0], &[64, 64], &mut out, None))
        .unwrap();
    assert_eq!(out, expected);
    let max = store.max_in_flight.load(Ordering::SeqCst);
    assert!(max > 2, "{max} requests in flight from a host's pool");
}
