//! Metadata and stored bytes that ask for more than can be held: chunk
//! shapes whose size overflows, chunks larger than the machine can
//! allocate, and compressed chunks that expand without limit. Each gets an
//! error status; none may crash the process, touch memory outside a
//! buffer, or change what is stored.

use serde_json::json;
use std::sync::Arc;
use zarrio::error::ErrorKind;
use zarrio::{Array, ChunkRepr, CodecChain, MemoryStore, StoreRef};

fn array_json(shape: &[u64], chunk: &[u64], codecs: serde_json::Value) -> String {
    json!({
        "zarr_format": 3, "node_type": "array", "shape": shape, "data_type": "uint8",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": chunk}},
        "chunk_key_encoding": {"name": "default"}, "fill_value": 0,
        "codecs": codecs
    })
    .to_string()
}

fn bytes_codec() -> serde_json::Value {
    json!({"name": "bytes"})
}

/// A shard index's codecs (its uint64 entries need an endianness).
fn index_codecs() -> serde_json::Value {
    json!([{"name": "bytes", "configuration": {"endian": "little"}}])
}

/// The inverse of 3 modulo 2^64: a chunk of shape [4, 3, K] has
/// 4 * 3 * K = 4 (mod 2^64) elements, so an unchecked size wraps to 4.
const K: u64 = 12297829382473034411;

#[test]
fn chunk_shapes_whose_size_overflows_are_invalid_metadata() {
    let store: StoreRef = Arc::new(MemoryStore::new());
    let codecs = json!([bytes_codec()]);
    let wraps = array_json(&[4, 3, K], &[4, 3, K], codecs.clone());
    let e = Array::create(store.clone(), "a", &wraps).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidMetadata, "{}", e.message());
    assert!(
        e.message().contains("more bytes than can be addressed"),
        "{}",
        e.message()
    );
    // Nothing was created.
    assert!(store.get("a/zarr.json").unwrap().is_none());

    // The same metadata written by someone else is refused on open.
    store.set("b/zarr.json", wraps.as_bytes()).unwrap();
    let e = Array::open(store.clone(), "b").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidMetadata);

    // A size that fits u64 but not isize, for a wider type.
    let wide = json!({
        "zarr_format": 3, "node_type": "array", "shape": [1u64 << 62], "data_type": "uint64",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [1u64 << 62]}},
        "chunk_key_encoding": {"name": "default"}, "fill_value": 0, "codecs": codecs
    })
    .to_string();
    let e = Array::create(store.clone(), "c", &wide).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidMetadata);

    // A shard of 2^62 one-byte inner chunks is addressable, its index
    // (16 bytes per inner chunk) is not.
    let sharded = array_json(
        &[1 << 62],
        &[1 << 62],
        json!([{"name": "sharding_indexed", "configuration": {
            "chunk_shape": [1], "codecs": [bytes_codec()], "index_codecs": index_codecs()}}]),
    );
    let e = Array::create(store.clone(), "d", &sharded).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidMetadata, "{}", e.message());
    assert!(
        e.message().contains("more bytes than can be addressed"),
        "{}",
        e.message()
    );

    // A pipeline built on its own is checked too.
    let repr = ChunkRepr::new(vec![4, 3, K], zarrio::DataType::UInt8, vec![0]);
    let e = CodecChain::from_json(&[bytes_codec()], repr).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidMetadata);

    // The largest addressable chunk is accepted (nothing is allocated
    // until data moves).
    let largest = array_json(&[1], &[isize::MAX as u64], json!([bytes_codec()]));
    Array::create(store, "e", &largest).unwrap();
}

#[test]
fn a_chunk_larger_than_memory_is_an_error_not_an_abort() {
    // 2^50 bytes (1 PiB): valid metadata, but no machine gives the buffer
    // a partial write or a read through scratch needs.
    let store: StoreRef = Arc::new(MemoryStore::new());
    let m = array_json(
        &[1 << 50],
        &[1 << 50],
        json!([bytes_codec(), {"name": "zstd"}]),
    );
    let a = Array::create(store.clone(), "a", &m).unwrap();

    // Nothing stored: reading an element gives the fill value.
    let mut one = [7u8; 1];
    a.read_region(&[5], &[1], &mut one, None).unwrap();
    assert_eq!(one, [0]);

    // A partial write needs the whole chunk: out of memory, nothing stored.
    let e = a.write_region(&[0], &[1], &[1], None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::OutOfMemory, "{}", e.message());
    let e = a.fill_region(&[0], &[2], &[9]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::OutOfMemory, "{}", e.message());
    assert!(store.get("a/c/0").unwrap().is_none());

    // Stored bytes that claim to be that chunk cannot be decoded into
    // memory either; the read fails and the stored value is kept.
    let claimed = b"not really a petabyte";
    store.set("a/c/0", claimed).unwrap();
    let e = a.read_region(&[0], &[1], &mut one, None).unwrap_err();
    assert!(
        matches!(e.kind(), ErrorKind::OutOfMemory | ErrorKind::Corrupt),
        "{:?}: {}",
        e.kind(),
        e.message()
    );
    assert_eq!(store.get("a/c/0").unwrap().unwrap(), claimed);
}

/// 64 MiB of zeros, compressed by the pipeline `[bytes, codec]`: a few
/// hundred KiB at most, that expand 200-fold or more.
fn bomb(codec: serde_json::Value) -> Vec<u8> {
    let n = 64 << 20;
    let repr = ChunkRepr::new(vec![n], zarrio::DataType::UInt8, vec![0]);
    let chain = CodecChain::from_json(&[bytes_codec(), codec], repr).unwrap();
    let b = chain.encode(&vec![0u8; n as usize]).unwrap();
    assert!(b.len() < (n as usize) / 200, "{} bytes", b.len());
    b
}

#[test]
fn compressed_shards_that_expand_without_limit_are_corrupt() {
    // A compressor after the sharding codec: the shard's size depends on
    // its inner chunks, so the decompressor gets a bound, not a size.
    for compressor in [
        json!({"name": "gzip", "configuration": {"level": 9}}),
        json!({"name": "zstd", "configuration": {"level": 1, "checksum": false}}),
    ] {
        let name = compressor["name"].as_str().unwrap().to_string();
        let store: StoreRef = Arc::new(MemoryStore::new());
        let m = array_json(
            &[64],
            &[64],
            json!([
                {"name": "sharding_indexed", "configuration": {
                    "chunk_shape": [8], "codecs": [bytes_codec()], "index_codecs": index_codecs()}},
                compressor.clone()
            ]),
        );
        let a = Array::create(store.clone(), "a", &m).unwrap();

        // A genuine shard round-trips, incompressible bytes included.
        let data: Vec<u8> = (0..64u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 24) as u8)
            .collect();
        a.write_region(&[0], &[64], &data, None).unwrap();
        let mut back = vec![0u8; 64];
        a.read_region(&[0], &[64], &mut back, None).unwrap();
        assert_eq!(back, data, "{name}");

        // A stored "shard" that decompresses to 64 MiB: at most
        // 8 x 8 + 8 x 16 bytes (every inner chunk and the index) can be a
        // shard of this array.
        store.set("a/c/0", &bomb(compressor)).unwrap();
        for (start, len) in [(0u64, 64u64), (8, 4)] {
            let mut out = vec![0u8; len as usize];
            let e = a.read_region(&[start], &[len], &mut out, None).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Corrupt, "{name}: {}", e.message());
            assert!(e.message().contains("more than"), "{name}: {}", e.message());
        }
        // A partial write reads the shard first: it fails and stores
        // nothing.
        let before = store.get("a/c/0").unwrap().unwrap();
        let e = a.write_region(&[0], &[1], &[5], None).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Corrupt, "{name}: {}", e.message());
        assert_eq!(store.get("a/c/0").unwrap().unwrap(), before);
    }
}
