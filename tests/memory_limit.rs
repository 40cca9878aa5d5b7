//! Work that needs more memory than the process may have fails with an
//! error and leaves stored data as it was:
//! - a write whose encoding needs a second chunk-sized buffer (a byte swap,
//!   a transpose, a compressor's output, a shard being assembled, the
//!   memory store's copy), with room for the caller's data but not for
//!   another chunk: OutOfMemory, nothing stored, and the same write
//!   succeeds once memory is there;
//! - a compressed chunk that decodes one byte past its size, with room for
//!   the chunk but not for twice it: Corrupt.
//!
//! Each case runs in a child process whose address space is limited
//! (`RLIMIT_AS`), since an allocation that aborts takes the whole process
//! with it.

use serde_json::json;
use std::process::Command;
use std::sync::Arc;
use zarrio::error::ErrorKind;
use zarrio::{Array, MemoryStore, StoreRef};

/// 8192 x 8192 uint16: a 128 MiB chunk.
const EDGE: u64 = 8192;
const CHUNK_BYTES: usize = (EDGE * EDGE * 2) as usize;
/// Address space allowed beyond what the child has mapped when it starts
/// the write: less than one more chunk.
const HEADROOM: u64 = (CHUNK_BYTES / 2) as u64;

const CASES: &[&str] = &[
    "memory_store_copy",
    "bytes_big_endian",
    "transpose",
    "zstd",
    "gzip",
    "blosc",
    "sharding",
    "read_overlong_gzip",
];

fn codecs(case: &str) -> serde_json::Value {
    let le = json!({"name": "bytes", "configuration": {"endian": "little"}});
    match case {
        "memory_store_copy" => json!([le]),
        "bytes_big_endian" => json!([{"name": "bytes", "configuration": {"endian": "big"}}]),
        "transpose" => json!([{"name": "transpose", "configuration": {"order": [1, 0]}}, le]),
        "zstd" => json!([le, {"name": "zstd", "configuration": {"level": 0, "checksum": false}}]),
        "gzip" => json!([le, {"name": "gzip", "configuration": {"level": 1}}]),
        "blosc" => json!([le, {"name": "blosc", "configuration":
            {"cname": "lz4", "clevel": 1, "shuffle": "noshuffle", "typesize": 2, "blocksize": 0}}]),
        "read_overlong_gzip" => {
            json!([le, {"name": "crc32c"}, {"name": "gzip", "configuration": {"level": 1}}])
        }
        "sharding" => json!([{"name": "sharding_indexed", "configuration": {
            "chunk_shape": [EDGE / 2, EDGE / 2], "codecs": [le],
            "index_codecs": [le, {"name": "crc32c"}]}}]),
        other => panic!("unknown case {other}"),
    }
}

fn array_json(case: &str) -> String {
    json!({
        "zarr_format": 3, "node_type": "array", "shape": [EDGE, EDGE], "data_type": "uint16",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [EDGE, EDGE]}},
        "chunk_key_encoding": {"name": "default"}, "fill_value": 0,
        "codecs": codecs(case)
    })
    .to_string()
}

/// Bytes that no compressor shrinks much (xorshift), so every encoder's
/// output is about a chunk.
fn noise(len: usize) -> Vec<u8> {
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

fn mapped_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmSize:")).unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

fn set_address_space_limit(bytes: u64) {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit only read or write the struct passed.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_AS, &mut lim), 0);
        lim.rlim_cur = bytes.min(lim.rlim_max);
        assert_eq!(libc::setrlimit(libc::RLIMIT_AS, &lim), 0);
    }
}

/// Store, as the array's one chunk, a gzip stream that decodes to one byte
/// more than the chunk's encoded size, then read it with room for one
/// decoded chunk but not two.
fn child_read_overlong(case: &str) {
    let store: StoreRef = Arc::new(MemoryStore::new());
    let a = Array::create(store.clone(), "a", &array_json(case)).unwrap();
    a.set_threads(1);
    // The chunk's bytes after `bytes` and `crc32c` are CHUNK_BYTES + 4.
    let long = CHUNK_BYTES as u64 + 5;
    let src = Array::create(
        store.clone(),
        "src",
        &json!({
            "zarr_format": 3, "node_type": "array", "shape": [long], "data_type": "uint8",
            "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [long]}},
            "chunk_key_encoding": {"name": "default"}, "fill_value": 0,
            "codecs": [{"name": "bytes"}, {"name": "gzip", "configuration": {"level": 1}}]
        })
        .to_string(),
    )
    .unwrap();
    src.write_region(&[0], &[long], &vec![3u8; long as usize], None)
        .unwrap();
    let stream = store.get("src/c/0").unwrap().unwrap();
    store.set("a/c/0/0", &stream).unwrap();
    drop(src);
    let mut out = vec![0u8; CHUNK_BYTES];
    let mut small = [0u8; 2];
    // Without a limit the read fails the same way (and starts the read
    // path's threads and buffers before the limit).
    let e = a
        .read_region(&[0, 0], &[1, 1], &mut small, None)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Corrupt, "{}", e.message());

    set_address_space_limit(mapped_bytes() + (CHUNK_BYTES + CHUNK_BYTES / 4) as u64);
    let e = a
        .read_region(&[0, 0], &[EDGE, EDGE], &mut out, None)
        .expect_err("an overlong chunk was read");
    assert_eq!(e.kind(), ErrorKind::Corrupt, "{}", e.message());
    assert_eq!(store.get("a/c/0/0").unwrap().unwrap(), stream);
}

fn child(case: &str) {
    if case == "read_overlong_gzip" {
        return child_read_overlong(case);
    }
    let store: StoreRef = Arc::new(MemoryStore::new());
    let a = Array::create(store.clone(), "a", &array_json(case)).unwrap();
    a.set_threads(1);
    let data = noise(CHUNK_BYTES);
    // Start the library's threads and buffers before the limit: the write
    // under test must fail on its chunk-sized buffer, not on set-up.
    let warm = Array::create(store.clone(), "warm", &array_json(case)).unwrap();
    warm.set_threads(1);
    warm.write_region(&[0, 0], &[1, 1], &[1, 0], None).unwrap();

    set_address_space_limit(mapped_bytes() + HEADROOM);
    let e = a
        .write_region(&[0, 0], &[EDGE, EDGE], &data, None)
        .expect_err("a write needing a second chunk buffer succeeded under the limit");
    assert_eq!(e.kind(), ErrorKind::OutOfMemory, "{case}: {}", e.message());
    assert!(
        store.get("a/c/0/0").unwrap().is_none(),
        "{case}: a chunk was stored"
    );

    set_address_space_limit(u64::MAX);
    a.write_region(&[0, 0], &[EDGE, EDGE], &data, None).unwrap();
    let mut back = vec![0u8; CHUNK_BYTES];
    a.read_region(&[0, 0], &[EDGE, EDGE], &mut back, None)
        .unwrap();
    assert!(back == data, "{case}: read back differs");
}

#[test]
fn work_beyond_the_memory_limit_is_an_error_not_an_abort() {
    if let Ok(case) = std::env::var("ZARRIO_TEST_MEMORY_LIMIT_CASE") {
        child(&case);
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let mut failed = Vec::new();
    for case in CASES {
        let out = Command::new(&exe)
            .args([
                "--exact",
                "work_beyond_the_memory_limit_is_an_error_not_an_abort",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("ZARRIO_TEST_MEMORY_LIMIT_CASE", case)
            .output()
            .unwrap();
        if !out.status.success() {
            failed.push(format!(
                "{case}: {:?}\n{}{}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}
