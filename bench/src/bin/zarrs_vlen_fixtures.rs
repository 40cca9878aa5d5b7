//! Writes, with the zarrs crate, the arrays of variable-length items that
//! `tests/zarrs_vlen.rs` checks zarrio against: zarrs' `zarrs.vlen`
//! codec (offsets and item bytes through codec chains of their own, the
//! offsets at the start or the end, as uint32 or uint64), its
//! `zarrs.vlen_v2` and `vlen-array` codecs (items framed as
//! `vlen-bytes` frames them), for strings and byte strings, inside shards
//! too.
//!
//!     cargo run --release --bin zarrs_vlen_fixtures -- ../tests/data/zarrs_vlen
//!
//! Each array goes to `DIR/NAME/` (`zarr.json` and the chunks as zarrs
//! stores them), with `items.json` beside them: the items the array was
//! written from, each as the hex of its bytes, in C order. The test reads
//! every array and compares with `items.json` (which zarrs also reads
//! back, checked here), and writes the items through the same metadata
//! and compares every stored chunk with zarrs' bytes.

#[path = "../zarrs_store.rs"]
mod zarrs_store;

use std::path::Path;

use serde_json::{json, Value};
use zarrs::array::{ArrayBytes, ArrayBytesOffsets};
use zarrs_store::{keep_codec_metadata, store};

/// Store `items` through the array of `meta` at `DIR/NAME`, read them
/// back, check they are the same and write `items.json`.
fn write(dir: &Path, name: &str, meta: Value, items: &[Vec<u8>]) {
    let mut data = vec![];
    let mut offsets = vec![0usize];
    for it in items {
        data.extend_from_slice(it);
        offsets.push(data.len());
    }
    let bytes = ArrayBytes::new_vlen(data, ArrayBytesOffsets::new(offsets).unwrap()).unwrap();
    let back = store(dir, name, meta, bytes);
    let (back_data, back_offsets) = back.into_variable().unwrap().into_parts();
    let back: Vec<&[u8]> = back_offsets
        .windows(2)
        .map(|w| &back_data[w[0]..w[1]])
        .collect();
    let want: Vec<&[u8]> = items.iter().map(Vec::as_slice).collect();
    assert_eq!(back, want, "{name}: zarrs reads back other items");
    keep_codec_metadata(dir, name);
    let hex: Vec<String> = items
        .iter()
        .map(|it| it.iter().map(|b| format!("{b:02x}")).collect())
        .collect();
    let path = dir.join(name).join("items.json");
    std::fs::write(path, serde_json::to_string(&hex).unwrap()).unwrap();
    println!("{name}: {} items", items.len());
}

fn meta(shape: &[u64], chunk: &[u64], dtype: &str, codecs: Value) -> Value {
    json!({
        "zarr_format": 3, "node_type": "array", "shape": shape, "data_type": dtype,
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": chunk}},
        "chunk_key_encoding": {"name": "default"}, "fill_value": "", "codecs": codecs,
    })
}

/// A fixed pseudo-random sequence (an LCG: the fixtures never change).
fn lcg(seed: u64) -> impl FnMut() -> u64 {
    let mut s = seed;
    move || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        s >> 33
    }
}

/// `n` strings of 0 to 40 characters, some of them outside ASCII, some
/// empty.
fn strings(n: usize, seed: u64) -> Vec<Vec<u8>> {
    let mut next = lcg(seed);
    (0..n)
        .map(|_| {
            let len = next() % 41;
            let mut t = String::new();
            for _ in 0..len {
                let c = match next() % 10 {
                    0 => 'é',
                    1 => '\u{1F600}',
                    2 => ' ',
                    _ => char::from(b'a' + (next() % 26) as u8),
                };
                t.push(c);
            }
            t.into_bytes()
        })
        .collect()
}

/// `n` byte strings of 0 to 30 bytes of any value.
fn byte_strings(n: usize, seed: u64) -> Vec<Vec<u8>> {
    let mut next = lcg(seed);
    (0..n)
        .map(|_| (0..next() % 31).map(|_| next() as u8).collect())
        .collect()
}

fn vlen(index_codecs: Value, data_codecs: Value, index_type: &str, location: &str) -> Value {
    json!({"name": "zarrs.vlen", "configuration": {
        "index_codecs": index_codecs, "data_codecs": data_codecs,
        "index_data_type": index_type, "index_location": location,
    }})
}

fn main() {
    let dir = std::env::args()
        .nth(1)
        .expect("usage: zarrs_vlen_fixtures DIR");
    let dir = Path::new(&dir);
    let bytes_le = json!({"name": "bytes", "configuration": {"endian": "little"}});
    let bytes_be = json!({"name": "bytes", "configuration": {"endian": "big"}});
    let bytes = json!({"name": "bytes"});
    let zstd = json!({"name": "zstd", "configuration": {"level": 3, "checksum": false}});
    let crc = json!({"name": "crc32c"});

    write(
        dir,
        "vlen_u64_start",
        meta(
            &[7, 9],
            &[4, 4],
            "string",
            json!([vlen(json!([bytes_le]), json!([bytes]), "uint64", "start")]),
        ),
        &strings(63, 1),
    );
    write(
        dir,
        "vlen_u32_end_zstd",
        meta(
            &[50],
            &[16],
            "string",
            json!([vlen(
                json!([bytes_le, zstd]),
                json!([bytes, zstd]),
                "uint32",
                "end"
            )]),
        ),
        &strings(50, 2),
    );
    write(
        dir,
        "vlen_u32_big_crc_bytes",
        meta(
            &[5, 6],
            &[5, 4],
            "bytes",
            json!([vlen(
                json!([bytes_be, crc]),
                json!([bytes, crc]),
                "uint32",
                "start"
            )]),
        ),
        &byte_strings(30, 3),
    );
    write(
        dir,
        "vlen_then_zstd",
        meta(
            &[20, 3],
            &[8, 3],
            "string",
            json!([
                vlen(json!([bytes_le]), json!([bytes]), "uint64", "end"),
                zstd
            ]),
        ),
        &strings(60, 4),
    );
    write(
        dir,
        "vlen_in_shard",
        meta(
            &[12, 10],
            &[6, 10],
            "string",
            json!([{"name": "sharding_indexed", "configuration": {
                "chunk_shape": [3, 5],
                "codecs": [vlen(json!([bytes_le]), json!([bytes, zstd]), "uint32", "start")],
                "index_codecs": [bytes_le, crc],
                "index_location": "end",
            }}]),
        ),
        &strings(120, 5),
    );
    // Every item empty: the data chain has nothing to encode.
    write(
        dir,
        "vlen_all_empty",
        meta(
            &[6],
            &[3],
            "string",
            json!([vlen(
                json!([bytes_le]),
                json!([bytes, zstd]),
                "uint64",
                "start"
            )]),
        ),
        &[vec![], vec![], vec![], vec![], b"x".to_vec(), vec![]],
    );
    write(
        dir,
        "vlen_v2_string",
        meta(
            &[9, 4],
            &[4, 3],
            "string",
            json!([{"name": "zarrs.vlen_v2"}, zstd]),
        ),
        &strings(36, 6),
    );
    write(
        dir,
        "vlen_v2_bytes",
        meta(&[25], &[10], "bytes", json!([{"name": "zarrs.vlen_v2"}])),
        &byte_strings(25, 7),
    );
    write(
        dir,
        "vlen_array_bytes",
        meta(&[25], &[10], "bytes", json!([{"name": "vlen-array"}])),
        &byte_strings(25, 8),
    );
}
