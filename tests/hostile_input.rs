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
fn compressed_chunks_that_expand_past_what_the_pipeline_holds_are_corrupt() {
    // [bytes, zstd, gzip]: gzip's output is zstd's input, whose size
    // depends on the data but cannot be more than zstd's bound for a
    // 64-byte chunk; a gzip stream that expands to 64 MiB is corrupt,
    // found one byte past the bound rather than after 64 MiB.
    let store: StoreRef = Arc::new(MemoryStore::new());
    let m = array_json(
        &[64],
        &[64],
        json!([bytes_codec(), {"name": "zstd", "configuration": {"level": 1, "checksum": false}},
               {"name": "gzip", "configuration": {"level": 9}}]),
    );
    let a = Array::create(store.clone(), "a", &m).unwrap();
    let data: Vec<u8> = (0..64u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 24) as u8)
        .collect();
    a.write_region(&[0], &[64], &data, None).unwrap();
    let mut back = vec![0u8; 64];
    a.read_region(&[0], &[64], &mut back, None).unwrap();
    assert_eq!(back, data);

    store
        .set(
            "a/c/0",
            &bomb(json!({"name": "gzip", "configuration": {"level": 9}})),
        )
        .unwrap();
    let e = a.read_region(&[0], &[64], &mut back, None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Corrupt, "{}", e.message());
    assert!(e.message().contains("more than the"), "{}", e.message());
    let before = store.get("a/c/0").unwrap().unwrap();
    let e = a.write_region(&[0], &[1], &[5], None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Corrupt, "{}", e.message());
    assert_eq!(store.get("a/c/0").unwrap().unwrap(), before);
}

#[test]
fn shards_with_unused_space_under_a_compressor_still_read() {
    // A shard may hold bytes no index entry points at (an append-only
    // writer leaves the inner chunks it replaced), so a compressor after
    // the sharding codec gets no tight bound from the shard's contents
    // (only the generous one of the next test).
    for compressor in [
        json!({"name": "gzip", "configuration": {"level": 9}}),
        json!({"name": "zstd", "configuration": {"level": 1, "checksum": false}}),
        json!({"name": "crc32c"}),
    ] {
        let name = compressor["name"].as_str().unwrap().to_string();
        let sharding = json!({"name": "sharding_indexed", "configuration": {
            "chunk_shape": [8], "codecs": [bytes_codec()], "index_codecs": index_codecs()}});
        let store: StoreRef = Arc::new(MemoryStore::new());
        let m = array_json(&[64], &[64], json!([sharding.clone(), compressor.clone()]));
        let a = Array::create(store.clone(), "a", &m).unwrap();
        let data: Vec<u8> = (0..64u8).map(|i| i.wrapping_mul(37)).collect();
        a.write_region(&[0], &[64], &data, None).unwrap();

        // The same shard with 1000 unused bytes between the inner chunks
        // and the index (at the end: no offset changes).
        let plain = array_json(&[64], &[64], json!([sharding]));
        let p = Array::create(store.clone(), "p", &plain).unwrap();
        p.write_region(&[0], &[64], &data, None).unwrap();
        let shard = store.get("p/c/0").unwrap().unwrap();
        let index_at = shard.len() - 8 * 16;
        let mut padded = shard[..index_at].to_vec();
        padded.extend(std::iter::repeat_n(0xAB, 1000));
        padded.extend_from_slice(&shard[index_at..]);
        let repr = ChunkRepr::new(vec![padded.len() as u64], zarrio::DataType::UInt8, vec![0]);
        let outer = CodecChain::from_json(&[bytes_codec(), compressor], repr).unwrap();
        store.set("a/c/0", &outer.encode(&padded).unwrap()).unwrap();

        let mut back = vec![0u8; 64];
        a.read_region(&[0], &[64], &mut back, None).unwrap();
        assert_eq!(back, data, "{name}");
    }
}

#[test]
fn a_compressed_shard_cannot_decode_into_all_of_memory() {
    // A compressor after the sharding codec: what it may decode to is
    // bounded by twice what the shard's inner chunks and index can take
    // (here 2 x (8 x 8 + 8 x 16) = 384 bytes) and 16 MiB, not by nothing.
    // A valid shard padded with 32 MiB of unused zeros (a few KiB
    // compressed) is over that: it reads as corrupt instead of being
    // decoded whole. (The test above pads with 1000 bytes, which read.)
    for compressor in [
        json!({"name": "gzip", "configuration": {"level": 9}}),
        json!({"name": "zstd", "configuration": {"level": 1, "checksum": false}}),
    ] {
        let name = compressor["name"].as_str().unwrap().to_string();
        let sharding = json!({"name": "sharding_indexed", "configuration": {
            "chunk_shape": [8], "codecs": [bytes_codec()], "index_codecs": index_codecs()}});
        let store: StoreRef = Arc::new(MemoryStore::new());
        let plain = array_json(&[64], &[64], json!([sharding.clone()]));
        let p = Array::create(store.clone(), "p", &plain).unwrap();
        let data: Vec<u8> = (0..64u8).map(|i| i.wrapping_mul(37)).collect();
        p.write_region(&[0], &[64], &data, None).unwrap();
        let shard = store.get("p/c/0").unwrap().unwrap();
        let index_at = shard.len() - 8 * 16;
        let mut padded = shard[..index_at].to_vec();
        padded.resize(index_at + (32 << 20), 0);
        padded.extend_from_slice(&shard[index_at..]);
        let m = array_json(&[64], &[64], json!([sharding, compressor.clone()]));
        let a = Array::create(store.clone(), "a", &m).unwrap();
        let repr = ChunkRepr::new(vec![padded.len() as u64], zarrio::DataType::UInt8, vec![0]);
        let outer = CodecChain::from_json(&[bytes_codec(), compressor], repr).unwrap();
        store.set("a/c/0", &outer.encode(&padded).unwrap()).unwrap();
        let mut back = vec![0u8; 64];
        let e = a.read_region(&[0], &[64], &mut back, None).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Corrupt, "{name}: {}", e.message());
    }
}

/// A host `read_range` that asks `zarrio_io_resize` for more than can be
/// allocated, then reports the key as missing.
unsafe extern "C" fn greedy_read_range(
    _user_data: *mut std::ffi::c_void,
    _offset: u64,
    _length: u64,
    _from_end: i32,
    io: *mut zarrio::ffi::io::zarrio_io,
) -> i32 {
    let p = zarrio::ffi::io::zarrio_io_resize(io, usize::MAX);
    assert!(p.is_null());
    zarrio::ffi::io::ZARRIO_CALLBACK_NOT_FOUND
}

#[test]
fn a_shard_reader_refused_its_buffer_fails_whatever_it_returns() {
    use std::ffi::CString;
    use zarrio::ffi::pipeline::*;
    let codecs = CString::new(
        json!([{"name": "sharding_indexed", "configuration": {
            "chunk_shape": [8], "codecs": [bytes_codec()], "index_codecs": index_codecs()}}])
        .to_string(),
    )
    .unwrap();
    let (dtype, fill) = (CString::new("uint8").unwrap(), CString::new("0").unwrap());
    let shape = [64u64];
    let mut p = std::ptr::null_mut();
    // SAFETY: valid strings, one shape entry, a valid out pointer.
    let st = unsafe {
        zarrio_pipeline_create(
            codecs.as_ptr(),
            dtype.as_ptr(),
            1,
            shape.as_ptr(),
            fill.as_ptr(),
            &mut p,
        )
    };
    assert_eq!(st, 0);
    let mut out = [7u8; 64];
    let start = [0u64];
    // SAFETY: a live pipeline, a callback that follows the contract (it
    // only calls zarrio_io_resize), one-entry region, `out` of 64 bytes.
    let st = unsafe {
        zarrio_pipeline_decode_shard_region(
            p,
            Some(greedy_read_range),
            std::ptr::null_mut(),
            1,
            start.as_ptr(),
            shape.as_ptr(),
            out.as_mut_ptr() as *mut std::ffi::c_void,
            out.len(),
            std::ptr::null(),
            1,
        )
    };
    // Not "missing, so the fill value": the read could not be done.
    assert_eq!(st, zarrio::ffi::error::ZARRIO_ERR_OUT_OF_MEMORY);
    // SAFETY: the handle from zarrio_pipeline_create, freed once.
    unsafe { zarrio_pipeline_free(p) };
}

#[test]
fn a_shard_of_countless_inner_chunks_is_an_error_not_an_abort() {
    // 2^36 inner chunks of one byte: the index (1 TiB) is addressable, so
    // the metadata is valid, but a new shard cannot be assembled.
    let store: StoreRef = Arc::new(MemoryStore::new());
    let m = array_json(
        &[1 << 36],
        &[1 << 36],
        json!([{"name": "sharding_indexed", "configuration": {
            "chunk_shape": [1], "codecs": [bytes_codec()], "index_codecs": index_codecs()}}]),
    );
    let a = Array::create(store.clone(), "a", &m).unwrap();
    let mut one = [7u8; 1];
    a.read_region(&[12345], &[1], &mut one, None).unwrap();
    assert_eq!(one, [0]);
    let e = a.write_region(&[12345], &[1], &[9], None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::OutOfMemory, "{}", e.message());
    assert!(store.get("a/c/0").unwrap().is_none());
    // A fill of half the shard touches 2^35 inner chunks: found by
    // arithmetic, never listed (a list of them aborted the process).
    let e = a.fill_region(&[0], &[1 << 35], &[9]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::OutOfMemory, "{}", e.message());
    assert!(store.get("a/c/0").unwrap().is_none());
}

#[test]
fn a_region_of_more_elements_than_a_u64_counts_is_an_error() {
    // Its C-order strides overflow a u64 (2 x 2^32 x 2^32 elements).
    let store: StoreRef = Arc::new(MemoryStore::new());
    let m = array_json(&[2, 1 << 32, 1 << 32], &[1, 1, 1], json!([bytes_codec()]));
    let a = Array::create(store, "a", &m).unwrap();
    let e = a
        .read_region(&[0, 0, 0], &[2, 1 << 32, 1 << 32], &mut [], None)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{}", e.message());
    // Empty, and the same shape's strides: nothing to read, no overflow.
    a.read_region(&[0, 0, 0], &[0, 1 << 32, 1 << 32], &mut [], None)
        .unwrap();
}

#[test]
fn a_region_of_2_to_the_64_elements_is_refused_not_wrapped() {
    // [2^32, 2^32] spans exactly 2^64 elements: counted in u64 the buffer
    // it needs wrapped to 0 bytes and an empty buffer passed the check.
    let store: StoreRef = Arc::new(MemoryStore::new());
    let a = Array::create(
        store.clone(),
        "a",
        &array_json(&[1 << 32, 1 << 32], &[1, 1], json!([bytes_codec()])),
    )
    .unwrap();
    let e = a
        .write_region(&[0, 0], &[1 << 32, 1 << 32], &[], None)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{}", e.message());
    let e = a
        .read_region(&[0, 0], &[1 << 32, 1 << 32], &mut [], None)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{}", e.message());
    assert!(store.list("a/c").unwrap().is_empty());
}

/// The last chunk of a rectilinear grid near 2^64 elements ends past what
/// a u64 holds: reading there gives its fill value, not an overflow.
#[test]
fn a_rectilinear_grid_ending_near_two_to_the_64() {
    let store: StoreRef = Arc::new(MemoryStore::new());
    let doc = json!({
        "zarr_format": 3, "node_type": "array", "shape": [u64::MAX], "data_type": "uint8",
        "chunk_grid": {"name": "rectilinear", "configuration": {"kind": "inline",
            "chunk_shapes": [1u64 << 62]}},
        "chunk_key_encoding": {"name": "default"}, "fill_value": 3,
        "codecs": [{"name": "sharding_indexed", "configuration": {
            "chunk_shape": [1u64 << 60], "codecs": [bytes_codec()], "index_codecs": index_codecs()}}]
    })
    .to_string();
    let a = Array::create(store, "r", &doc).unwrap();
    let mut out = [0u8; 2];
    a.read_region(&[u64::MAX - 4], &[2], &mut out, None)
        .unwrap();
    assert_eq!(out, [3, 3]);
}
