//! Chunks laid out as another format lays out its blocks, read through
//! zarr-extensions' `offset` codec: an N5 dataset's blocks (a header of
//! a mode, a dimension count and the block's dimensions, all big-endian,
//! then the gzip-compressed big-endian elements) under a `zarr.json` with
//! `v2` chunk keys, as the codec's description shows.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use zarrio::{Array, FilesystemStore, StoreRef};

fn tempdir() -> PathBuf {
    let p = std::env::temp_dir().join(format!("zarrio-foreign-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&p);
    std::fs::create_dir_all(&p).unwrap();
    p
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(5));
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

const SHAPE: [u64; 2] = [4, 9];
const BLOCK: [u64; 2] = [2, 3];

fn value(y: u64, x: u64) -> u16 {
    (y * 1000 + x * 7) as u16
}

fn meta() -> String {
    serde_json::json!({
        "zarr_format": 3, "node_type": "array", "shape": SHAPE, "data_type": "uint16",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": BLOCK}},
        "chunk_key_encoding": {"name": "v2", "configuration": {"separator": "/"}},
        "fill_value": 0,
        "codecs": [{"name": "bytes", "configuration": {"endian": "big"}},
                   {"name": "gzip", "configuration": {"level": 5}},
                   {"name": "offset", "configuration": {"offset": 12}}],
    })
    .to_string()
}

/// Block (by, bx)'s elements, big-endian, in C order.
fn block_bytes(by: u64, bx: u64) -> Vec<u8> {
    let mut out = vec![];
    for y in by * BLOCK[0]..(by + 1) * BLOCK[0] {
        for x in bx * BLOCK[1]..(bx + 1) * BLOCK[1] {
            out.extend_from_slice(&value(y, x).to_be_bytes());
        }
    }
    out
}

#[test]
fn n5_blocks_read_through_offset() {
    let dir = tempdir();
    std::fs::write(dir.join("zarr.json"), meta()).unwrap();
    for by in 0..SHAPE[0] / BLOCK[0] {
        for bx in 0..SHAPE[1] / BLOCK[1] {
            // N5's header: mode 0, 2 dimensions, the block's dimensions
            // (fastest first); offset skips it whatever it holds.
            let mut chunk = vec![0, 0, 0, 2];
            chunk.extend_from_slice(&(BLOCK[1] as u32).to_be_bytes());
            chunk.extend_from_slice(&(BLOCK[0] as u32).to_be_bytes());
            chunk.extend(gzip(&block_bytes(by, bx)));
            std::fs::create_dir_all(dir.join(by.to_string())).unwrap();
            std::fs::write(dir.join(format!("{by}/{bx}")), chunk).unwrap();
        }
    }
    let store: StoreRef = Arc::new(FilesystemStore::new(&dir).unwrap());
    let a = Array::open(store.clone(), "").unwrap();
    let mut got = vec![0u8; 4 * 9 * 2];
    a.read_region(&[0, 0], &SHAPE, &mut got, None).unwrap();
    let want: Vec<u8> = (0..SHAPE[0])
        .flat_map(|y| (0..SHAPE[1]).flat_map(move |x| value(y, x).to_ne_bytes()))
        .collect();
    assert_eq!(got, want);
    // A box across four blocks.
    let mut part = vec![0u8; 2 * 4 * 2];
    a.read_region(&[1, 2], &[2, 4], &mut part, None).unwrap();
    let want: Vec<u8> = (1..3)
        .flat_map(|y| (2..6).flat_map(move |x| value(y, x).to_ne_bytes()))
        .collect();
    assert_eq!(part, want);

    // Writing stores 12 zero bytes, then the gzip stream.
    let data: Vec<u8> = (0..6u16).flat_map(|v| (v + 40).to_ne_bytes()).collect();
    a.write_region(&[2, 6], &BLOCK, &data, None).unwrap();
    let stored = std::fs::read(dir.join("1/2")).unwrap();
    assert_eq!(stored[..12], [0; 12]);
    let mut inflated = vec![];
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(&stored[12..]),
        &mut inflated,
    )
    .unwrap();
    let be: Vec<u8> = (0..6u16).flat_map(|v| (v + 40).to_be_bytes()).collect();
    assert_eq!(inflated, be);

    // A block shorter than its header is a corrupt chunk, not a crash.
    std::fs::write(dir.join("0/0"), [0u8; 7]).unwrap();
    let e = a
        .read_region(&[0, 0], &BLOCK, &mut [0u8; 12], None)
        .unwrap_err();
    assert_eq!(e.kind(), zarrio::ErrorKind::Corrupt, "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}
