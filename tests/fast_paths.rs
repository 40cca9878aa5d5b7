//! Each fast path gives exactly the result of the general path:
//! decoding straight into the caller's buffer (incl. the `bytes` no-op and
//! the in-place byte swap), whole-chunk writes without a read, uncompressed
//! chunks written from the caller's buffer in runs (a vectored write)
//! rather than gathered first, one encoding
//! reused for a scalar fill, coalesced range reads of shards, uncompressed
//! chunks placed row by row as the store hands them over in pieces,
//! streamed decompression of large ones straight into the destination's
//! rows, streaming (non-temporal) stores into large destinations, and rows
//! of inner chunks, uncompressed chunks or small chunks decoded whole, read
//! and placed together, and small parts of large uncompressed chunks
//! fetched as the one run of stored bytes that holds them.

use serde_json::{json, Value};
use std::collections::BTreeMap;
mod common;

use common::Recording;
use std::sync::Arc;
use zarrio::codec::BytesToBytesCodec;
use zarrio::{Array, MemoryStore, Store, StoreRef};

fn le() -> Value {
    json!({"name": "bytes", "configuration": {"endian": "little"}})
}
fn be() -> Value {
    json!({"name": "bytes", "configuration": {"endian": "big"}})
}

fn meta(dtype: &str, codecs: Value) -> String {
    json!({
        "zarr_format": 3, "node_type": "array", "shape": [24, 20], "data_type": dtype,
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [8, 10]}},
        "chunk_key_encoding": {"name": "default"}, "fill_value": 0, "codecs": codecs
    })
    .to_string()
}

/// Plane `z` of a 3-D array of planes `n1` x `n2` of `uint16`, read as a
/// region (the general path).
fn read_plane(a: &Array, z: u64, n1: usize, n2: usize) -> Vec<u8> {
    let mut out = vec![0u8; n1 * n2 * 2];
    a.read_region(&[z, 0, 0], &[1, n1 as u64, n2 as u64], &mut out, None)
        .unwrap();
    out
}

fn codec_lists() -> Vec<Value> {
    vec![
        json!([le()]),
        json!([be()]),
        json!([le(), {"name": "zstd", "configuration": {"level": 1}}]),
        json!([be(), {"name": "zstd", "configuration": {"level": 1}}]),
        json!([be(), {"name": "gzip", "configuration": {"level": 1}}, {"name": "crc32c"}]),
        json!([le(), {"name": "blosc", "configuration": {"cname": "zstd", "clevel": 3, "shuffle": "bitshuffle", "typesize": 8, "blocksize": 0}}]),
        json!([{"name": "sharding_indexed", "configuration": {"chunk_shape": [4, 5], "codecs": [be(), {"name": "zstd", "configuration": {"level": 1}}]}}]),
    ]
}

fn data(n: usize) -> Vec<u8> {
    (0..n as u64)
        .flat_map(|i| (i.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ i).to_ne_bytes())
        .collect()
}

fn dump(s: &MemoryStore) -> BTreeMap<String, Vec<u8>> {
    s.list("")
        .unwrap()
        .into_iter()
        .filter(|k| !k.ends_with("zarr.json"))
        .map(|k| {
            let v = s.get(&k).unwrap().unwrap();
            (k, v)
        })
        .collect()
}

#[test]
fn direct_decode_equals_decode_and_copy() {
    let dir = tempfile::tempdir().unwrap();
    let stores: Vec<StoreRef> = vec![
        Arc::new(MemoryStore::new()),
        Arc::new(zarrio::FilesystemStore::new(dir.path()).unwrap()),
    ];
    for (codecs, store) in codec_lists()
        .into_iter()
        .flat_map(|c| stores.iter().map(move |s| (c.clone(), s.clone())))
    {
        let a = Array::create(store, "a", &meta("uint64", codecs.clone())).unwrap();
        let v = data(24 * 20);
        a.write_region(&[0, 0], &[24, 20], &v, None).unwrap();
        // Whole chunks into a C-order buffer: decoded straight into it.
        let mut direct = vec![0u8; v.len()];
        a.read_region(&[0, 0], &[24, 20], &mut direct, None)
            .unwrap();
        // The same into a padded view (rows of 23): decode, then copy.
        let mut padded = vec![0xAAu8; 24 * 23 * 8];
        a.read_region(&[0, 0], &[24, 20], &mut padded, Some(&[23, 1]))
            .unwrap();
        let mut general = Vec::new();
        for r in 0..24 {
            general.extend_from_slice(&padded[r * 23 * 8..(r * 23 + 20) * 8]);
        }
        assert_eq!(direct, v, "{codecs}");
        assert_eq!(general, v, "{codecs}");
        // read_chunk decodes straight into its buffer too.
        let mut chunk = vec![0u8; 8 * 10 * 8];
        a.read_chunk(&[1, 1], &mut chunk).unwrap();
        let mut via_region = vec![0u8; 8 * 10 * 8];
        a.read_region(&[8, 10], &[8, 10], &mut via_region, Some(&[10, 1]))
            .unwrap();
        assert_eq!(chunk, via_region, "{codecs}");
    }
}

#[test]
fn whole_chunk_writes_read_nothing_and_match_merged_writes() {
    for codecs in codec_lists() {
        let fast = Arc::new(Recording::default());
        let slow = Arc::new(Recording::default());
        let (f, s): (StoreRef, StoreRef) = (fast.clone(), slow.clone());
        let a = Array::create(f, "a", &meta("uint64", codecs.clone())).unwrap();
        let b = Array::create(s, "a", &meta("uint64", codecs.clone())).unwrap();
        let v = data(24 * 20);
        a.write_region(&[0, 0], &[24, 20], &v, None).unwrap();
        assert_eq!(fast.reads(), 0, "{codecs}: no reads");
        // The general path: every chunk built up from partial writes.
        for r in 0..24u64 {
            let row = &v[(r * 20 * 8) as usize..((r + 1) * 20 * 8) as usize];
            b.write_region(&[r, 0], &[1, 20], row, None).unwrap();
        }
        assert!(slow.reads() > 0);
        assert_eq!(dump(&fast.inner), dump(&slow.inner), "{codecs}");
    }
}

/// Uncompressed chunks covering the array's last dimensions lie in a
/// C-order caller buffer as runs of 20 KiB, which the filesystem store
/// writes straight from the buffer (`Store::set_parts`) and the memory
/// store copies into its value once; a store without `set_parts` of its
/// own (the recording wrapper) gets each chunk gathered first. All store
/// the same values, a chunk of fill values is erased by all, and a
/// Fortran-order buffer (no runs) takes the gathering path on all.
#[test]
fn chunks_written_from_runs_of_the_buffer_equal_gathered_chunks() {
    let (nz, ny, nx) = (6u64, 20u64, 1024u64);
    let meta = json!({
        "zarr_format": 3, "node_type": "array", "shape": [nz, ny, nx], "data_type": "uint16",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [2, 10, nx]}},
        "chunk_key_encoding": {"name": "default"}, "fill_value": 0,
        "codecs": [{"name": "bytes", "configuration": {"endian": "little"}}]
    })
    .to_string();
    let count = (nz * ny * nx) as usize;
    // Planes 16 elements apart: runs, but not one contiguous block.
    let gap = 16u64;
    let strides = [(ny * nx + gap) as i64, nx as i64, 1];
    let mut padded = vec![0xEEu8; (nz * (ny * nx + gap) * 2) as usize];
    let mut plain = vec![0u8; count * 2];
    for z in 0..nz {
        for y in 0..ny {
            for x in 0..nx {
                // The chunk at z 2..4, y 0..10 holds the fill value only.
                let v: u16 = if (2..4).contains(&z) && y < 10 {
                    0
                } else {
                    (x * 7 + y * 131 + z * 3001) as u16 | 1
                };
                let at = ((z * (ny * nx + gap) + y * nx + x) * 2) as usize;
                padded[at..at + 2].copy_from_slice(&v.to_le_bytes());
                let at = (((z * ny + y) * nx + x) * 2) as usize;
                plain[at..at + 2].copy_from_slice(&v.to_le_bytes());
            }
        }
    }
    let fortran: Vec<u8> = {
        let mut f = vec![0u8; count * 2];
        for z in 0..nz {
            for y in 0..ny {
                for x in 0..nx {
                    let from = (((z * ny + y) * nx + x) * 2) as usize;
                    let to = ((z + y * nz + x * nz * ny) * 2) as usize;
                    f[to..to + 2].copy_from_slice(&plain[from..from + 2]);
                }
            }
        }
        f
    };
    let f_strides = [1, nz as i64, (nz * ny) as i64];
    let shape = [nz, ny, nx];
    let cases: [(&[u8], Option<&[i64]>); 3] = [
        (&plain, None),
        (&padded, Some(&strides)),
        (&fortran, Some(&f_strides)),
    ];
    for (buf, layout) in cases {
        let dir = tempfile::tempdir().unwrap();
        let fs: StoreRef = Arc::new(zarrio::FilesystemStore::new(dir.path()).unwrap());
        assert_eq!(fs.min_part_len(), Some(16 << 10));
        let mem = Arc::new(MemoryStore::new());
        assert!(mem.min_part_len().is_some());
        let gathered = Arc::new(Recording::default());
        assert_eq!(gathered.min_part_len(), None);
        let (m, g): (StoreRef, StoreRef) = (mem.clone(), gathered.clone());
        let a = Array::create(fs.clone(), "a", &meta).unwrap();
        // Written twice: the second write replaces every chunk file.
        for _ in 0..2 {
            a.write_region(&[0, 0, 0], &shape, buf, layout).unwrap();
        }
        for store in [m, g] {
            Array::create(store, "a", &meta)
                .unwrap()
                .write_region(&[0, 0, 0], &shape, buf, layout)
                .unwrap();
        }
        let stored = dump(&gathered.inner);
        assert_eq!(stored.len(), 5, "the fill-valued chunk is not stored");
        assert!(!stored.contains_key("a/c/1/0/0"));
        let mut on_disk = common::snapshot(&*fs);
        on_disk.retain(|k, _| !k.ends_with("zarr.json"));
        assert_eq!(on_disk, stored);
        assert_eq!(dump(&mem), stored);
        let mut back = vec![0u8; count * 2];
        a.read_region(&[0, 0, 0], &shape, &mut back, None).unwrap();
        assert!(back == plain, "the array reads back what was written");
    }
}

#[test]
fn scalar_fill_reuses_one_encoding_and_matches_a_written_block() {
    for codecs in codec_lists() {
        let (s1, s2) = (Arc::new(MemoryStore::new()), Arc::new(MemoryStore::new()));
        let (r1, r2): (StoreRef, StoreRef) = (s1.clone(), s2.clone());
        let a = Array::create(r1, "a", &meta("uint64", codecs.clone())).unwrap();
        let b = Array::create(r2, "a", &meta("uint64", codecs.clone())).unwrap();
        let value = 0x0102_0304_0506_0708u64.to_ne_bytes();
        // Rows 0..16 are whole chunks; row 16..20 is a partial band.
        a.fill_region(&[0, 0], &[20, 20], &value).unwrap();
        let block: Vec<u8> = (0..20 * 20).flat_map(|_| value).collect();
        b.write_region(&[0, 0], &[20, 20], &block, None).unwrap();
        let (d1, d2) = (dump(&s1), dump(&s2));
        assert_eq!(d1, d2, "{codecs}");
        let whole: Vec<&Vec<u8>> = ["a/c/0/0", "a/c/0/1", "a/c/1/0", "a/c/1/1"]
            .iter()
            .map(|k| &d1[*k])
            .collect();
        assert!(
            whole.windows(2).all(|w| w[0] == w[1]),
            "{codecs}: fully covered chunks share one encoding"
        );
    }
}

#[test]
fn coalesced_range_reads_equal_whole_shard_reads() {
    let codecs = json!([{"name": "sharding_indexed", "configuration": {"chunk_shape": [2, 2],
        "codecs": [le(), {"name": "zstd", "configuration": {"level": 1}}], "index_location": "start"}}]);
    let store = Arc::new(Recording::default());
    let r: StoreRef = store.clone();
    let a = Array::create(r, "a", &meta("uint64", codecs)).unwrap();
    let v = data(24 * 20);
    a.write_region(&[0, 0], &[24, 20], &v, None).unwrap();
    a.fill_region(&[2, 2], &[2, 4], &0u64.to_ne_bytes())
        .unwrap(); // empty inner chunks inside the runs
    let mut whole = vec![0u8; 8 * 10 * 8];
    a.read_region(&[0, 0], &[8, 10], &mut whole, None).unwrap();
    store.clear();
    for (start, shape) in [
        ([0u64, 0u64], [7u64, 10u64]),
        ([1, 1], [6, 8]),
        ([0, 0], [8, 9]),
    ] {
        let mut part = vec![0u8; (shape[0] * shape[1] * 8) as usize];
        a.read_region(&start, &shape, &mut part, None).unwrap();
        for i in 0..shape[0] as usize {
            for j in 0..shape[1] as usize {
                let w = ((start[0] as usize + i) * 10 + start[1] as usize + j) * 8;
                let p = (i * shape[1] as usize + j) * 8;
                assert_eq!(part[p..p + 8], whole[w..w + 8], "{start:?} ({i}, {j})");
            }
        }
    }
    // 20 inner chunks per shard touched, fetched in far fewer requests.
    let requests = store.ranges.lock().unwrap().len();
    assert!(
        requests <= 3 * 4,
        "{requests} range requests for three partial shard reads"
    );
}

#[test]
fn piecewise_reads_equal_buffered_reads() {
    // Chunks of 40 x 30 rows of 128 `uint16` (256-byte rows, 1200 rows per
    // chunk: more than one 256 KiB piece each from the filesystem store). The middle chunk along dim 1
    // is never written (fill value 7), and one chunk has the wrong size.
    let meta = json!({
        "zarr_format": 3, "node_type": "array", "shape": [80, 90, 256], "data_type": "uint16",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [40, 30, 128]}},
        "chunk_key_encoding": {"name": "default"}, "fill_value": 7, "codecs": [le()]
    })
    .to_string();
    let dir = tempfile::tempdir().unwrap();
    let stores: Vec<StoreRef> = vec![
        Arc::new(MemoryStore::new()),
        Arc::new(zarrio::FilesystemStore::new(dir.path()).unwrap()),
    ];
    let (n0, n1, n2) = (80usize, 90usize, 256usize);
    let value = |z: usize, y: usize, x: usize| -> u16 {
        if (30..60).contains(&y) {
            7
        } else {
            (x + 3 * y + 1000 * z) as u16
        }
    };
    for store in stores {
        let a = Array::create(store.clone(), "a", &meta).unwrap();
        let v: Vec<u8> = (0..n0 * n1 * n2)
            .flat_map(|i| value(i / (n1 * n2), i / n2 % n1, i % n2).to_ne_bytes())
            .collect();
        for y0 in [0u64, 60] {
            let mut band = Vec::new();
            for z in 0..n0 {
                let row = (z * n1 + y0 as usize) * n2 * 2;
                band.extend_from_slice(&v[row..row + 30 * n2 * 2]);
            }
            a.write_region(&[0, y0, 0], &[80, 30, 256], &band, None)
                .unwrap();
        }
        assert_eq!(store.get("a/c/0/1/0").unwrap(), None, "never written");
        // Whole array into a C-order buffer: every chunk placed by rows.
        let mut c_order = vec![0u8; v.len()];
        a.read_region(&[0, 0, 0], &[80, 90, 256], &mut c_order, None)
            .unwrap();
        assert_eq!(c_order, v);
        // Padded rows (300 elements) are still placed by rows; Fortran order cannot
        // (rows of one element) and goes through a buffer and a copy.
        let mut padded = vec![0u8; n0 * n1 * 300 * 2];
        a.read_region(
            &[0, 0, 0],
            &[80, 90, 256],
            &mut padded,
            Some(&[90 * 300, 300, 1]),
        )
        .unwrap();
        let mut fortran = vec![0u8; v.len()];
        let f_strides = [1i64, n0 as i64, (n0 * n1) as i64];
        a.read_region(&[0, 0, 0], &[80, 90, 256], &mut fortran, Some(&f_strides))
            .unwrap();
        for z in 0..n0 {
            for y in 0..n1 {
                for x in 0..n2 {
                    let want = value(z, y, x).to_ne_bytes();
                    let p = ((z * n1 + y) * 300 + x) * 2;
                    let f = (x * n0 * n1 + y * n0 + z) * 2;
                    assert_eq!(padded[p..p + 2], want, "padded ({z}, {y}, {x})");
                    assert_eq!(fortran[f..f + 2], want, "fortran ({z}, {y}, {x})");
                }
            }
        }
        // A stored chunk of the wrong size is reported, not half-read.
        store.set("a/c/1/2/1", &[0u8; 100]).unwrap();
        let err = a
            .read_region(&[0, 0, 0], &[80, 90, 256], &mut c_order, None)
            .unwrap_err();
        assert!(err.to_string().contains("chunk size differs"), "{err}");
    }
}

#[test]
fn streamed_decode_equals_buffered_decode() {
    // 4 MiB chunks (2 x 512 x 2048 `uint16`) of a 2 x 1024 x 4096 array:
    // large enough to be decompressed in pieces into the destination's rows.
    let (n0, n1, n2) = (2usize, 1024usize, 4096usize);
    let meta = |codecs: Value| {
        json!({
            "zarr_format": 3, "node_type": "array", "shape": [n0, n1, n2], "data_type": "uint16",
            "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [2, 512, 2048]}},
            "chunk_key_encoding": {"name": "default"}, "fill_value": 0, "codecs": codecs
        })
        .to_string()
    };
    let value = |z: usize, y: usize, x: usize| (x ^ (y * 7) ^ (z * 1000)) as u16;
    let v: Vec<u8> = (0..n0 * n1 * n2)
        .flat_map(|i| value(i / (n1 * n2), i / n2 % n1, i % n2).to_ne_bytes())
        .collect();
    let zstd = json!([le(), {"name": "zstd", "configuration": {"level": 1}}]);
    // Streams: zstd alone over native bytes. Buffered: the same data with
    // a checksum after zstd (a second bytes->bytes codec).
    let plain = json!([le(), {"name": "zstd", "configuration": {"level": 1}}, {"name": "crc32c"}]);
    let store = Arc::new(MemoryStore::new());
    let r: StoreRef = store.clone();
    let a = Array::create(r.clone(), "a", &meta(zstd)).unwrap();
    let b = Array::create(r, "b", &meta(plain)).unwrap();
    a.write_region(&[0, 0, 0], &[2, 1024, 4096], &v, None)
        .unwrap();
    b.write_region(&[0, 0, 0], &[2, 1024, 4096], &v, None)
        .unwrap();
    for arr in [&a, &b] {
        let mut out = vec![0u8; v.len()];
        arr.read_region(&[0, 0, 0], &[2, 1024, 4096], &mut out, None)
            .unwrap();
        assert!(out == v, "{}", arr.path());
        // Fortran order: rows of one element, placed from a buffer.
        let mut f = vec![0u8; v.len()];
        let fs = [1i64, n0 as i64, (n0 * n1) as i64];
        arr.read_region(&[0, 0, 0], &[2, 1024, 4096], &mut f, Some(&fs))
            .unwrap();
        for (z, y, x) in [(0, 0, 0), (1, 1023, 4095), (1, 300, 2047), (0, 700, 2048)] {
            let at = (x * n0 * n1 + y * n0 + z) * 2;
            assert_eq!(f[at..at + 2], value(z, y, x).to_ne_bytes());
        }
    }
    // A truncated chunk is an error, not a partly filled result.
    let key = "a/c/0/1/1";
    let good = store.get(key).unwrap().unwrap();
    store.set(key, &good[..good.len() / 2]).unwrap();
    let mut out = vec![0u8; v.len()];
    let err = a
        .read_region(&[0, 0, 0], &[2, 1024, 4096], &mut out, None)
        .unwrap_err();
    assert!(err.to_string().contains(key), "{err}");
}

#[test]
fn large_read_chunk_with_huge_page_advice_equals_region_read() {
    // 8 MiB chunks (1 x 2048 x 2048 `uint16`), large enough for read_chunk
    // to advise huge pages on its buffer: uncompressed (read into place
    // from a file) and zstd (decompressed into place), into a buffer that
    // starts and ends off any 2 MiB boundary, whose guard bytes must stay.
    let (n0, n1, n2) = (2usize, 2048usize, 2048usize);
    let meta = |codecs: Value| {
        json!({
            "zarr_format": 3, "node_type": "array", "shape": [n0, n1, n2], "data_type": "uint16",
            "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [1, n1, n2]}},
            "chunk_key_encoding": {"name": "default"}, "fill_value": 0, "codecs": codecs
        })
        .to_string()
    };
    let v: Vec<u8> = (0..n0 * n1 * n2)
        .flat_map(|i| ((i * 31 + i / 4099) as u16).to_ne_bytes())
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let store: StoreRef = Arc::new(zarrio::FilesystemStore::new(dir.path()).unwrap());
    let chunk_len = n1 * n2 * 2;
    for (name, codecs) in [
        ("u", json!([le()])),
        (
            "z",
            json!([le(), {"name": "zstd", "configuration": {"level": 1}}]),
        ),
    ] {
        let a = Array::create(store.clone(), name, &meta(codecs)).unwrap();
        a.write_region(&[0, 0, 0], &[n0 as u64, n1 as u64, n2 as u64], &v, None)
            .unwrap();
        let guard = 4096 + 24;
        let mut buf = vec![0x5Au8; guard + chunk_len + guard];
        a.read_chunk(&[1, 0, 0], &mut buf[guard..guard + chunk_len])
            .unwrap();
        let via_region = read_plane(&a, 1, n1, n2);
        assert!(buf[guard..guard + chunk_len] == via_region[..], "{name}");
        assert!(via_region[..] == v[chunk_len..], "{name}");
        assert!(buf[..guard].iter().all(|&b| b == 0x5A), "{name}");
        assert!(
            buf[guard + chunk_len..].iter().all(|&b| b == 0x5A),
            "{name}"
        );
    }
}

#[test]
fn piecewise_threaded_chunk_reads_equal_one_read() {
    // A 12 MiB uncompressed chunk (1 x 2048 x 3072 `uint16`) read with
    // read_chunk on 3 threads is read in three pieces straight from the
    // store (filesystem and memory stores read one version of a value by
    // range into the buffer);
    // the result equals the one-thread read and the region read, in a
    // buffer off any 2 MiB boundary whose guard bytes must stay.
    let (n0, n1, n2) = (2usize, 2048usize, 3072usize);
    let meta = json!({
        "zarr_format": 3, "node_type": "array", "shape": [n0, n1, n2], "data_type": "uint16",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [1, n1, n2]}},
        "chunk_key_encoding": {"name": "default"}, "fill_value": 7, "codecs": [le()]
    })
    .to_string();
    let v: Vec<u8> = (0..n0 * n1 * n2)
        .flat_map(|i| ((i * 13 + i / 65521) as u16).to_ne_bytes())
        .collect();
    let chunk_len = n1 * n2 * 2;
    let dir = tempfile::tempdir().unwrap();
    let stores: [(&str, StoreRef); 2] = [
        (
            "filesystem",
            Arc::new(zarrio::FilesystemStore::new(dir.path()).unwrap()),
        ),
        ("memory", Arc::new(MemoryStore::new())),
    ];
    for (name, store) in stores {
        assert!(store.supports_value_reader(), "{name}");
        let a = Array::create(store.clone(), "a", &meta).unwrap();
        a.write_region(&[0, 0, 0], &[n0 as u64, n1 as u64, n2 as u64], &v, None)
            .unwrap();
        let guard = (1 << 20) + 40;
        for threads in [1, 2, 3] {
            a.set_threads(threads);
            let mut buf = vec![0x5Au8; guard + chunk_len + guard];
            a.read_chunk(&[1, 0, 0], &mut buf[guard..guard + chunk_len])
                .unwrap();
            assert!(
                buf[guard..guard + chunk_len] == v[chunk_len..],
                "{name} {threads}"
            );
            assert!(buf[..guard].iter().all(|&b| b == 0x5A), "{name} {threads}");
            assert!(
                buf[guard + chunk_len..].iter().all(|&b| b == 0x5A),
                "{name} {threads}"
            );
        }
        let via_region = read_plane(&a, 1, n1, n2);
        assert!(via_region[..] == v[chunk_len..], "{name}");
        // A region that is one whole chunk is read in pieces as well.
        a.set_threads(3);
        let mut buf = vec![0x5Au8; guard + chunk_len + guard];
        a.read_region(
            &[1, 0, 0],
            &[1, n1 as u64, n2 as u64],
            &mut buf[guard..guard + chunk_len],
            None,
        )
        .unwrap();
        assert!(buf[guard..guard + chunk_len] == v[chunk_len..], "{name}");
        assert!(buf[..guard].iter().all(|&b| b == 0x5A), "{name}");
        assert!(
            buf[guard + chunk_len..].iter().all(|&b| b == 0x5A),
            "{name}"
        );

        // A missing chunk reads as the fill value, on 3 threads as on 1.
        store.erase("a/c/0/0/0").unwrap();
        let mut buf = vec![0u8; chunk_len];
        a.read_chunk(&[0, 0, 0], &mut buf).unwrap();
        assert!(
            buf.chunks(2).all(|e| u16::from_ne_bytes([e[0], e[1]]) == 7),
            "{name}"
        );

        // So does a one-chunk region read in pieces.
        a.set_threads(3);
        buf.fill(0);
        a.read_region(&[0, 0, 0], &[1, n1 as u64, n2 as u64], &mut buf, None)
            .unwrap();
        assert!(
            buf.chunks(2).all(|e| u16::from_ne_bytes([e[0], e[1]]) == 7),
            "{name}"
        );

        // A stored value of the wrong size is the same error either way,
        // for a chunk read and a one-chunk region read.
        store.set("a/c/0/0/0", &v[..chunk_len - 2]).unwrap();
        let errors: Vec<String> = [1, 3]
            .into_iter()
            .flat_map(|t| {
                a.set_threads(t);
                let chunk = a.read_chunk(&[0, 0, 0], &mut buf).unwrap_err();
                let region = a
                    .read_region(&[0, 0, 0], &[1, n1 as u64, n2 as u64], &mut buf, None)
                    .unwrap_err();
                [chunk.to_string(), region.to_string()]
            })
            .collect();
        assert!(errors.iter().all(|e| *e == errors[0]), "{name}: {errors:?}");
        assert!(errors[0].contains("a/c/0/0/0"), "{name}: {}", errors[0]);
    }
}

#[test]
fn one_chunk_regions_are_read_in_pieces_and_many_chunk_regions_whole() {
    // Two 8 MiB uncompressed chunks: a region that is one of them is read
    // in one piece per thread through a value reader; a region of both
    // reads each chunk whole on its own thread.
    let rec = Arc::new(Recording::with_value_readers());
    let meta = json!({
        "zarr_format": 3, "node_type": "array", "shape": [2, 2048, 2048], "data_type": "uint16",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [1, 2048, 2048]}},
        "chunk_key_encoding": {"name": "default"}, "fill_value": 0, "codecs": [le()]
    })
    .to_string();
    let v = data(2 * 2048 * 2048 * 2 / 8);
    let a = Array::create(rec.clone(), "a", &meta).unwrap();
    a.write_region(&[0, 0, 0], &[2, 2048, 2048], &v, None)
        .unwrap();
    a.set_threads(2);
    let half = v.len() / 2;
    let mut one = vec![0u8; half];
    a.read_region(&[1, 0, 0], &[1, 2048, 2048], &mut one, None)
        .unwrap();
    assert!(one[..] == v[half..]);
    assert_eq!(
        rec.reader_reads.load(std::sync::atomic::Ordering::SeqCst),
        2
    );
    assert_eq!(rec.gets.lock().unwrap().len(), 0);
    let mut both = vec![0u8; v.len()];
    a.read_region(&[0, 0, 0], &[2, 2048, 2048], &mut both, None)
        .unwrap();
    assert!(both == v);
    assert_eq!(
        rec.reader_reads.load(std::sync::atomic::Ordering::SeqCst),
        2
    );
    assert_eq!(rec.gets.lock().unwrap().len(), 2);
}

#[test]
fn stores_without_value_readers_read_a_large_chunk_whole() {
    // The recording store has no value reader: a threaded read_chunk must
    // ask it for the value once.
    let rec = Arc::new(Recording::default());
    assert!(!rec.supports_value_reader());
    let meta = json!({
        "zarr_format": 3, "node_type": "array", "shape": [4096, 2048], "data_type": "uint16",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [4096, 2048]}},
        "chunk_key_encoding": {"name": "default"}, "fill_value": 0, "codecs": [le()]
    })
    .to_string();
    let v = data(4096 * 2048 * 2 / 8);
    let a = Array::create(rec.clone(), "a", &meta).unwrap();
    a.write_region(&[0, 0], &[4096, 2048], &v, None).unwrap();
    rec.clear();
    a.set_threads(4);
    let mut buf = vec![0u8; v.len()];
    a.read_chunk(&[0, 0], &mut buf).unwrap();
    assert!(buf == v);
    assert_eq!(rec.reads(), 1);
}

#[test]
fn streaming_stores_into_large_destinations_equal_small_reads() {
    // A 40 MiB `uint16` array (reads place rows with streaming stores from
    // 32 MiB), read whole into a 64-byte aligned buffer (rows streamed) and
    // one 16 bytes off (long rows stream their inner lines, short ones are
    // copied normally), against reads of 8 MiB slabs (never streamed) and
    // the values.
    let (n0, n1, n2) = (40usize, 512usize, 1024usize);
    let value = |z: usize, y: usize, x: usize| (x * 3 + y * 1031 + z * 7919) as u16;
    let v: Vec<u8> = (0..n0 * n1 * n2)
        .flat_map(|i| value(i / (n1 * n2), i / n2 % n1, i % n2).to_ne_bytes())
        .collect();
    let zstd = || json!({"name": "zstd", "configuration": {"level": 1}});
    let layouts = [
        // Uncompressed, 512-byte rows, handed over in 256 KiB pieces
        // (filesystem store) or whole (memory store).
        (json!([20, 256, 256]), json!([le()])),
        (json!([20, 256, 256]), json!([le()])),
        // Uncompressed, 384-byte rows: pieces end mid-row; the last chunk
        // along x is cut by the array's edge.
        (json!([20, 128, 192]), json!([le()])),
        // Uncompressed, 64-byte rows: one line per row.
        (json!([8, 64, 32]), json!([le()])),
        // 5 MiB zstd chunks: decompressed in pieces straight into rows.
        (json!([40, 128, 512]), json!([le(), zstd()])),
        // Shards of 64^3-style inner chunks with 128-byte rows, placed from
        // a decoded inner chunk.
        (
            json!([20, 256, 512]),
            json!([{"name": "sharding_indexed", "configuration": {
                "chunk_shape": [10, 64, 64], "codecs": [le(), zstd()]}}]),
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (i, (chunks, codecs)) in layouts.into_iter().enumerate() {
        let store: StoreRef = if i != 1 {
            Arc::new(zarrio::FilesystemStore::new(dir.path().join(i.to_string())).unwrap())
        } else {
            Arc::new(MemoryStore::new())
        };
        let meta = json!({
            "zarr_format": 3, "node_type": "array", "shape": [n0, n1, n2], "data_type": "uint16",
            "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": chunks}},
            "chunk_key_encoding": {"name": "default"}, "fill_value": 0, "codecs": codecs
        })
        .to_string();
        let a = Array::create(store, "a", &meta).unwrap();
        a.write_region(&[0, 0, 0], &[n0 as u64, n1 as u64, n2 as u64], &v, None)
            .unwrap();
        let mut slabs = Vec::with_capacity(v.len());
        for z in (0..n0 as u64).step_by(8) {
            let mut slab = vec![0u8; v.len() / 5];
            a.read_region(&[z, 0, 0], &[8, n1 as u64, n2 as u64], &mut slab, None)
                .unwrap();
            slabs.extend_from_slice(&slab);
        }
        assert!(slabs == v, "layout {i}: slab reads");
        let mut space = vec![0xEEu8; v.len() + 128];
        let aligned = (space.as_ptr() as usize).next_multiple_of(64) - space.as_ptr() as usize;
        for at in [aligned, aligned + 16] {
            let shape = [n0 as u64, n1 as u64, n2 as u64];
            read_whole_into(&a, &shape, &v, &mut space, at, &format!("layout {i}"));
        }
    }
}

/// Read all of `a` (of `shape`) into `space` from byte `at` on and check
/// it against `v` and the 0xEE guard bytes around it.
fn read_whole_into(a: &Array, shape: &[u64], v: &[u8], space: &mut [u8], at: usize, what: &str) {
    space.fill(0xEE);
    let out = &mut space[at..at + v.len()];
    a.read_region(&vec![0; shape.len()], shape, out, None)
        .unwrap();
    assert!(*out == v[..], "{what}, offset {at}: whole read");
    assert!(
        space[..at].iter().all(|&b| b == 0xEE),
        "{what}: guard before"
    );
    assert!(
        space[at + v.len()..].iter().all(|&b| b == 0xEE),
        "{what}: guard after"
    );
}

#[test]
fn rows_of_inner_chunks_equal_inner_chunks_placed_one_by_one() {
    // Inner chunks with 128-byte rows read into a destination of 32 MiB or
    // more whose rows do not all start on a line (here at either offset:
    // the array's rows are 2000 bytes) are decoded a row at a time and
    // placed together, so the destination's rows stream; into a small
    // one (a shard's 5 MiB), one by one. Every way must give the values:
    // whole shards, shards and inner chunks cut by the array's edge, an
    // empty inner chunk (fill value) inside a row, and regions whose inner
    // chunks are fetched by range.
    let (n0, n1, n2) = (40usize, 512usize, 1000usize);
    let fill = 7u16;
    let empty = |z: usize, y: usize, x: usize| {
        (10..20).contains(&z) && (64..128).contains(&y) && (128..192).contains(&x)
    };
    let value = |z: usize, y: usize, x: usize| {
        if empty(z, y, x) {
            fill
        } else {
            (x * 5 + y * 1013 + z * 7907) as u16 | 1
        }
    };
    let v: Vec<u8> = (0..n0 * n1 * n2)
        .flat_map(|i| value(i / (n1 * n2), i / n2 % n1, i % n2).to_ne_bytes())
        .collect();
    let meta = json!({
        "zarr_format": 3, "node_type": "array", "shape": [n0, n1, n2], "data_type": "uint16",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [20, 256, 512]}},
        "chunk_key_encoding": {"name": "default"}, "fill_value": fill,
        "codecs": [{"name": "sharding_indexed", "configuration": {
            "chunk_shape": [10, 64, 64],
            "codecs": [le(), {"name": "zstd", "configuration": {"level": 1}}]}}]
    })
    .to_string();
    let store = Arc::new(MemoryStore::new());
    let a = Array::create(store.clone(), "a", &meta).unwrap();
    a.write_region(&[0, 0, 0], &[n0 as u64, n1 as u64, n2 as u64], &v, None)
        .unwrap();
    // The all-fill inner chunk is not stored: its shard holds one fewer
    // than the others of its size.
    let stored = |key: &str| store.get(key).unwrap().unwrap().len();
    assert!(stored("a/c/0/0/0") < stored("a/c/1/0/0"));
    let mut space = vec![0xEEu8; v.len() + 128];
    let line = (space.as_ptr() as usize).next_multiple_of(64) - space.as_ptr() as usize;
    for threads in [1, 3] {
        a.set_threads(threads);
        for at in [line + 16, line] {
            let shape = [n0 as u64, n1 as u64, n2 as u64];
            read_whole_into(
                &a,
                &shape,
                &v,
                &mut space,
                at,
                &format!("{threads} threads"),
            );
        }
        // A region cutting every shard (inner chunks by range) with rows
        // of 1792 bytes, 34 MB, against the values.
        let (start, shape) = ([1usize, 3, 64], [38usize, 506, 896]);
        let want: Vec<u8> = (0..shape.iter().product::<usize>())
            .flat_map(|i| {
                let (z, y, x) = (
                    i / (shape[1] * shape[2]),
                    i / shape[2] % shape[1],
                    i % shape[2],
                );
                value(start[0] + z, start[1] + y, start[2] + x).to_ne_bytes()
            })
            .collect();
        let out = &mut space[line + 16..line + 16 + want.len()];
        let (s64, sh64) = (start.map(|x| x as u64), shape.map(|x| x as u64));
        a.read_region(&s64, &sh64, out, None).unwrap();
        assert!(*out == want[..], "{threads} threads: region");
        // Shard by shard into 5 MiB buffers (no streaming, one by one);
        // the edge shard's columns past the array hold the fill value.
        for k in [[0u64, 0, 0], [1, 1, 1]] {
            let mut chunk = vec![0u8; 20 * 256 * 512 * 2];
            a.read_chunk(&k, &mut chunk).unwrap();
            for (i, row) in chunk.chunks_exact(512 * 2).enumerate() {
                let (z, y) = (k[0] as usize * 20 + i / 256, k[1] as usize * 256 + i % 256);
                let x0 = k[2] as usize * 512;
                let want: Vec<u8> = (x0..x0 + 512)
                    .flat_map(|x| if x < n2 { value(z, y, x) } else { fill }.to_ne_bytes())
                    .collect();
                assert_eq!(row, &want[..], "chunk {k:?} row {i}");
            }
        }
    }
}

#[test]
fn rows_of_uncompressed_chunks_equal_chunks_read_one_by_one() {
    // Uncompressed chunks side by side, read into a destination of 32 MiB
    // or more that is 16 bytes off a line, are read through value readers
    // a few planes of each at a time and placed as rows of chunks; into a
    // 64-byte aligned one, or from a store without value readers, one by
    // one. 4-D chunks (planes indexed over two leading dimensions), an
    // absent chunk inside a row, a region that starts inside the array and
    // a chunk of the wrong size.
    let (shape, chunks) = ([4usize, 10, 512, 1536], [2u64, 5, 64, 256]);
    let fill = 3u16;
    let erased = [1u64, 0, 2, 3];
    let value = |i: [usize; 4]| {
        let c: Vec<u64> = (0..4).map(|d| i[d] as u64 / chunks[d]).collect();
        if c == erased {
            fill
        } else {
            (i[3] * 7 + i[2] * 1021 + i[1] * 5 + i[0] * 7919) as u16 | 0x8000
        }
    };
    let values = |start: [usize; 4], n: [usize; 4]| -> Vec<u8> {
        let mut out = Vec::with_capacity(n.iter().product::<usize>() * 2);
        for a in 0..n[0] {
            for b in 0..n[1] {
                for c in 0..n[2] {
                    for d in 0..n[3] {
                        let i = [start[0] + a, start[1] + b, start[2] + c, start[3] + d];
                        out.extend_from_slice(&value(i).to_ne_bytes());
                    }
                }
            }
        }
        out
    };
    let v = values([0; 4], shape);
    let meta = json!({
        "zarr_format": 3, "node_type": "array", "shape": shape, "data_type": "uint16",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": chunks}},
        "chunk_key_encoding": {"name": "default"}, "fill_value": fill, "codecs": [le()]
    })
    .to_string();
    let whole = shape.map(|n| n as u64);
    let mut space = vec![0xEEu8; v.len() + 128];
    let line = (space.as_ptr() as usize).next_multiple_of(64) - space.as_ptr() as usize;
    for readers in [true, false] {
        let rec = Arc::new(if readers {
            Recording::with_value_readers()
        } else {
            Recording::default()
        });
        let a = Array::create(rec.clone(), "a", &meta).unwrap();
        a.write_region(&[0; 4], &whole, &v, None).unwrap();
        a.erase_chunk(&erased).unwrap();
        for threads in [1, 3] {
            a.set_threads(threads);
            for at in [line + 16, line] {
                rec.clear();
                let before = rec.reader_reads.load(std::sync::atomic::Ordering::SeqCst);
                let what = format!("readers {readers}, {threads} threads");
                read_whole_into(&a, &whole, &v, &mut space, at, &what);
                let through_readers =
                    rec.reader_reads.load(std::sync::atomic::Ordering::SeqCst) - before;
                if readers && at == line + 16 {
                    // Every stored chunk came through value readers.
                    assert_eq!(rec.reads(), 0);
                    assert!(through_readers >= 191, "{through_readers} ranges read");
                }
            }
            // A region inside the array; one from x = 3, whose whole
            // chunks' rows start 6 bytes off 16 and are placed one by one.
            for (start, n) in [
                ([0usize, 0, 64, 256], [4usize, 10, 448, 1280]),
                ([0, 0, 0, 3], [4, 10, 512, 1533]),
            ] {
                let want = values(start, n);
                let out = &mut space[line + 16..line + 16 + want.len()];
                a.read_region(&start.map(|x| x as u64), &n.map(|x| x as u64), out, None)
                    .unwrap();
                assert!(
                    *out == want[..],
                    "readers {readers}, {threads} threads: {start:?}"
                );
            }
        }
        // A stored chunk of the wrong size is an error, not a panic.
        rec.inner.set("a/c/0/0/0/1", &[0u8; 10]).unwrap();
        let err = a
            .read_region(
                &[0; 4],
                &whole,
                &mut space[line + 16..line + 16 + v.len()],
                None,
            )
            .unwrap_err();
        assert_eq!(err.kind(), zarrio::ErrorKind::Corrupt, "{err}");
        assert!(err.to_string().contains("a/c/0/0/0/1"), "{err}");
    }
}

#[test]
fn rows_of_compressed_chunks_decoded_in_step_equal_the_values() {
    // 4 MiB zstd chunks (256 KiB planes), three side by side, read into a
    // destination of
    // 32 MiB or more 16 bytes off a line, are decompressed in step a few
    // planes at a time and placed as rows of chunks; into a 64-byte aligned
    // one, each is decompressed into its rows on its own. An absent chunk
    // inside a row reads as the fill value; chunks that decode to too few
    // or too many bytes, or are not zstd data, are errors.
    let (n0, n1, n2) = (32usize, 256usize, 3072usize);
    let fill = 9u16;
    let erased = [1u64, 0, 1];
    let value = |z: usize, y: usize, x: usize| {
        if [z / 16, y / 128, x / 1024] == [1, 0, 1] {
            fill
        } else {
            (x / 3 + y * 17 + z * 4099) as u16
        }
    };
    let v: Vec<u8> = (0..n0 * n1 * n2)
        .flat_map(|i| value(i / (n1 * n2), i / n2 % n1, i % n2).to_ne_bytes())
        .collect();
    let zstd = json!({"name": "zstd", "configuration": {"level": 1}});
    let meta = json!({
        "zarr_format": 3, "node_type": "array", "shape": [n0, n1, n2], "data_type": "uint16",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [16, 128, 1024]}},
        "chunk_key_encoding": {"name": "default"}, "fill_value": fill, "codecs": [le(), zstd]
    })
    .to_string();
    let store = Arc::new(MemoryStore::new());
    let a = Array::create(store.clone(), "a", &meta).unwrap();
    let whole = [n0 as u64, n1 as u64, n2 as u64];
    a.write_region(&[0, 0, 0], &whole, &v, None).unwrap();
    a.erase_chunk(&erased).unwrap();
    let mut space = vec![0xEEu8; v.len() + 128];
    let line = (space.as_ptr() as usize).next_multiple_of(64) - space.as_ptr() as usize;
    for threads in [1, 3] {
        a.set_threads(threads);
        for at in [line + 16, line] {
            read_whole_into(
                &a,
                &whole,
                &v,
                &mut space,
                at,
                &format!("{threads} threads"),
            );
        }
    }
    // Stored chunks that decode wrongly, in the middle of a row.
    let chunk_bytes = 16 * 128 * 1024 * 2;
    let encode = |n: usize| {
        zarrio::codec::zstd::ZstdCodec::new(1, false)
            .encode_slice(&vec![5u8; n])
            .unwrap()
    };
    for (bad, says) in [
        (encode(chunk_bytes - 2), "expected"),
        (encode(chunk_bytes + 4096), "more than"),
        (b"not zstd at all".to_vec(), "zstd"),
    ] {
        store.set("a/c/0/0/1", &bad).unwrap();
        for at in [line + 16, line] {
            let err = a
                .read_region(&[0, 0, 0], &whole, &mut space[at..at + v.len()], None)
                .unwrap_err();
            assert!(err.to_string().contains(says), "{says}: {err}");
            assert!(err.to_string().contains("a/c/0/0/1"), "{err}");
        }
    }
    // A chunk in zstd's legacy format (v0.7), which is decoded whole where
    // the others are decoded in pieces.
    let chunk: Vec<u8> = (0..16 * 128)
        .flat_map(|r| {
            let at = (r / 128 * n1 + r % 128) * n2 + 1024;
            v[at * 2..(at + 1024) * 2].to_vec()
        })
        .collect();
    store.set("a/c/0/0/1", &zstd_v07_frame(&chunk)).unwrap();
    for at in [line + 16, line] {
        read_whole_into(&a, &whole, &v, &mut space, at, "legacy frame");
    }
}

/// `data` as one frame of zstd v0.7, a legacy format, made of raw blocks.
fn zstd_v07_frame(data: &[u8]) -> Vec<u8> {
    // Single segment, a 4-byte content size, no checksum.
    let mut f = vec![0x27, 0xb5, 0x2f, 0xfd, 0xa0];
    f.extend((data.len() as u32).to_le_bytes());
    for block in data.chunks(128 << 10) {
        let n = block.len();
        f.extend([0x40 | (n >> 16) as u8, (n >> 8) as u8, n as u8]);
        f.extend(block);
    }
    // The end block.
    f.extend([0xc0, 0, 0]);
    f
}

#[test]
fn rows_of_small_chunks_decoded_whole_equal_the_values() {
    // 16x32x32 chunks (64-byte rows), zstd or uncompressed in a store
    // without value readers, read into a destination of 32 MiB 16 bytes off
    // a line: decoded whole one after another and placed as rows of
    // chunks as wide as the destination, each chunk's rows ending in a
    // partial line held back for the next chunk's; into a
    // 64-byte aligned one, rows of chunks stream no more than each chunk's
    // own, and each chunk is read on its own. An absent chunk in a row
    // reads as the fill value; a chunk that does not decode is an error
    // that names it.
    let (n0, n1, n2) = (32usize, 256usize, 2048usize);
    let fill = 7u16;
    let value = |z: usize, y: usize, x: usize| {
        if [z / 16, y / 32, x / 32] == [1, 2, 5] {
            fill
        } else {
            (x * 5 + y * 31 + z * 1021) as u16
        }
    };
    let v: Vec<u8> = (0..n0 * n1 * n2)
        .flat_map(|i| value(i / (n1 * n2), i / n2 % n1, i % n2).to_ne_bytes())
        .collect();
    let whole = [n0 as u64, n1 as u64, n2 as u64];
    let zstd = json!({"name": "zstd", "configuration": {"level": 1}});
    for codecs in [json!([le(), zstd]), json!([le()])] {
        let meta = json!({
            "zarr_format": 3, "node_type": "array", "shape": whole, "data_type": "uint16",
            "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [16, 32, 32]}},
            "chunk_key_encoding": {"name": "default"}, "fill_value": fill, "codecs": codecs
        })
        .to_string();
        let store = Arc::new(Recording::default());
        let a = Array::create(store.clone(), "a", &meta).unwrap();
        a.write_region(&[0, 0, 0], &whole, &v, None).unwrap();
        a.erase_chunk(&[1, 2, 5]).unwrap();
        let mut space = vec![0xEEu8; v.len() + 128];
        let line = (space.as_ptr() as usize).next_multiple_of(64) - space.as_ptr() as usize;
        for threads in [1, 2] {
            a.set_threads(threads);
            for at in [line + 16, line] {
                let what = format!("{codecs} {threads} threads");
                read_whole_into(&a, &whole, &v, &mut space, at, &what);
            }
        }
        store.inner.set("a/c/1/0/3", b"not a chunk").unwrap();
        let at = line + 16;
        let err = a
            .read_region(&[0, 0, 0], &whole, &mut space[at..at + v.len()], None)
            .unwrap_err();
        assert!(err.to_string().contains("a/c/1/0/3"), "{err}");
    }
}

/// A store that hands over a value in pieces adding up to `delta` bytes
/// more (or fewer) than the value holds, while reporting it read.
#[derive(Debug)]
struct Miscounting {
    inner: MemoryStore,
    delta: isize,
}

impl Store for Miscounting {
    fn get(&self, key: &str) -> zarrio::Result<Option<Vec<u8>>> {
        self.inner.get(key)
    }
    fn get_in_pieces(
        &self,
        key: &str,
        total: usize,
        sink: &mut dyn FnMut(&[u8]) -> zarrio::Result<()>,
    ) -> zarrio::Result<Option<bool>> {
        let Some(mut v) = self.inner.get(key)? else {
            return Ok(None);
        };
        if v.len() != total {
            return Ok(Some(false));
        }
        v.resize((total as isize + self.delta) as usize, 0);
        for piece in v.chunks(1000) {
            sink(piece)?;
        }
        Ok(Some(true))
    }
    fn set(&self, key: &str, value: &[u8]) -> zarrio::Result<()> {
        self.inner.set(key, value)
    }
    fn erase(&self, key: &str) -> zarrio::Result<()> {
        self.inner.erase(key)
    }
    fn list(&self, prefix: &str) -> zarrio::Result<Vec<String>> {
        self.inner.list(prefix)
    }
}

#[test]
fn a_store_handing_over_the_wrong_amount_is_an_error() {
    // Uncompressed chunks placed row by row (a C-order region of two
    // chunks along x) and read whole into a contiguous buffer (get_into).
    let meta = json!({
        "zarr_format": 3, "node_type": "array", "shape": [4, 64, 128], "data_type": "uint16",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [4, 64, 64]}},
        "chunk_key_encoding": {"name": "default"}, "fill_value": 0, "codecs": [le()]
    })
    .to_string();
    for delta in [-10isize, 10] {
        let store = Arc::new(Miscounting {
            inner: MemoryStore::new(),
            delta,
        });
        let r: StoreRef = store.clone();
        let a = Array::create(r, "a", &meta).unwrap();
        a.write_region(
            &[0, 0, 0],
            &[4, 64, 128],
            &vec![1u8; 4 * 64 * 128 * 2],
            None,
        )
        .unwrap();
        let mut out = vec![0u8; 4 * 64 * 128 * 2];
        let err = a
            .read_region(&[0, 0, 0], &[4, 64, 128], &mut out, None)
            .unwrap_err();
        let want = if delta < 0 { "fewer than" } else { "more than" };
        assert!(err.to_string().contains(want), "{delta}: {err}");
        let mut chunk = vec![0u8; 4 * 64 * 64 * 2];
        let err = a.read_chunk(&[0, 0, 0], &mut chunk).unwrap_err();
        let want = if delta < 0 {
            "handed over"
        } else {
            "more than"
        };
        assert!(err.to_string().contains(want), "{delta}: {err}");
    }
}

/// A small part of a large uncompressed chunk (1 MiB or more) is fetched
/// as the run of bytes that holds it, and reads what the whole chunk read
/// holds.
#[test]
fn small_parts_of_uncompressed_chunks_are_fetched_by_range() {
    let store = Arc::new(Recording::default());
    let dyn_store: StoreRef = store.clone();
    let (n0, n1, n2) = (64u64, 64u64, 256u64);
    let doc = json!({
        "zarr_format": 3, "node_type": "array", "shape": [n0, n1, n2], "data_type": "uint16",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [64, 64, 128]}},
        "chunk_key_encoding": {"name": "default"}, "fill_value": 7, "codecs": [le()]
    })
    .to_string();
    let a = Array::create(dyn_store, "u", &doc).unwrap();
    let value = |z: u64, y: u64, x: u64| -> u16 {
        if x >= 128 {
            7 // the second chunk is never written
        } else {
            ((z * n1 + y) * n2 + x).wrapping_mul(7).wrapping_add(3) as u16
        }
    };
    let mut first = Vec::new();
    for z in 0..n0 {
        for y in 0..n1 {
            for x in 0..128 {
                first.extend(value(z, y, x).to_ne_bytes());
            }
        }
    }
    a.write_region(&[0, 0, 0], &[n0, n1, 128], &first, None)
        .unwrap();
    let boxes = [
        ([3, 5, 2], [1, 1, 9]),
        ([3, 5, 2], [1, 4, 3]),
        ([2, 0, 0], [2, 64, 128]),
        ([60, 61, 120], [4, 3, 16]),
        ([10, 20, 200], [2, 2, 3]),
        ([4, 1, 1], [50, 60, 125]),
    ];
    for (lo, sh) in boxes {
        store.gets.lock().unwrap().clear();
        store.ranges.lock().unwrap().clear();
        let mut out = vec![0u8; (sh[0] * sh[1] * sh[2] * 2) as usize];
        a.read_region(&lo, &sh, &mut out, None).unwrap();
        let mut want = Vec::new();
        for z in lo[0]..lo[0] + sh[0] {
            for y in lo[1]..lo[1] + sh[1] {
                for x in lo[2]..lo[2] + sh[2] {
                    want.extend(value(z, y, x).to_ne_bytes());
                }
            }
        }
        assert!(out == want, "{lo:?} {sh:?}");
        if sh == [1, 1, 9] {
            // One run of 9 elements, no whole chunk.
            assert!(store.gets.lock().unwrap().is_empty());
            let ranges = store.ranges.lock().unwrap();
            assert_eq!(ranges.len(), 1);
            let at = ((3 * 64 + 5) * 128 + 2) * 2;
            assert_eq!(ranges[0].1, zarrio::store::ByteRange::new(at, 18));
        }
        if lo[2] >= 128 {
            // A missing chunk: nothing fetched at all.
            assert!(store.gets.lock().unwrap().is_empty());
            assert!(store.ranges.lock().unwrap().is_empty());
        }
    }
}
