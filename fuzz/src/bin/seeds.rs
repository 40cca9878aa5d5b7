//! Writes the fuzz corpora's seeds: for the chunk target, each template's
//! first chunk as zarrio writes it (and each zarrs fixture's own chunk);
//! for the metadata target, each template's `zarr.json` and a few v2 and
//! N5 documents; for the zip target, a small archive.
//!
//! `cargo run --release --bin seeds` (from `fuzz/`); corpora go to
//! `corpus/<target>/`.

use std::path::Path;
use zarrio::codec::vlen::Items;
use zarrio::Array;
use zarrio_fuzz::{store_with, templates};

fn put(dir: &Path, name: &str, kind: u8, body: &[u8]) {
    std::fs::create_dir_all(dir).unwrap();
    let mut v = vec![kind];
    v.extend_from_slice(body);
    std::fs::write(dir.join(name), v).unwrap();
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let chunks = root.join("chunk");
    let metadata = root.join("metadata");
    for (i, t) in templates().iter().enumerate() {
        let pick = u8::try_from(i).expect("at most 256 templates");
        put(&metadata, &t.name, 0, t.zarr_json.as_bytes());
        let store = store_with(&t.zarr_json);
        let array = match Array::open(store.clone(), "a") {
            Ok(a) => a,
            Err(e) => panic!("template {} does not open: {}", t.name, e.message()),
        };
        let zero = vec![0u64; array.ndim()];
        let key = array.chunk_key(&zero);
        if let Some(dir) = &t.fixture {
            let rel = key.strip_prefix("a/").unwrap();
            if let Ok(b) = std::fs::read(dir.join(rel)) {
                put(&chunks, &t.name, pick, &b);
            }
            continue;
        }
        let region: Vec<u64> = array
            .chunk_shape()
            .iter()
            .zip(array.shape())
            .map(|(&c, &s)| c.min(s))
            .collect();
        let n: u64 = region.iter().product();
        let written = if array.data_type().is_variable_length() {
            let words: Vec<Vec<u8>> = (0..n)
                .map(|k| format!("item{k:03}\0").into_bytes())
                .collect();
            let slices: Vec<&[u8]> = words.iter().map(|w| w.as_slice()).collect();
            let items = Items::from_slices(&slices).unwrap();
            array.write_strings(&zero, &region, items.view())
        } else {
            let size = array.data_type().size();
            let data: Vec<u8> = (0..n as usize * size)
                .map(|k| (k * 7 % 251) as u8)
                .collect();
            array
                .write_region(&zero, &region, &data, None)
                .or_else(|_| array.write_region(&zero, &region, &vec![1u8; data.len()], None))
        };
        if let Err(e) = written {
            panic!("template {} does not write: {}", t.name, e.message());
        }
        match store.get(&key).unwrap() {
            Some(b) => put(&chunks, &t.name, pick, &b),
            None => panic!("template {} stored no chunk", t.name),
        }
    }
    let v2 = r#"{"zarr_format": 2, "shape": [8, 8], "chunks": [4, 4], "dtype": "<f8",
        "compressor": {"id": "blosc", "cname": "lz4", "clevel": 5, "shuffle": 1, "blocksize": 0},
        "fill_value": "NaN", "order": "F", "filters": [{"id": "delta", "dtype": "<f8"}],
        "dimension_separator": "/"}"#;
    put(&metadata, "v2_array", 1, v2.as_bytes());
    let ragged = r#"{"zarr_format": 2, "shape": [6], "chunks": [4], "dtype": "|O",
        "compressor": {"id": "zstd", "level": 1}, "fill_value": 0, "order": "C",
        "filters": [{"id": "vlen-array", "dtype": "<i4"}], "dimension_separator": "."}"#;
    put(&metadata, "v2_ragged", 1, ragged.as_bytes());
    let zmeta = r#"{"zarr_consolidated_format": 1, "metadata": {".zgroup": {"zarr_format": 2},
        "a/.zarray": {"zarr_format": 2, "shape": [4], "chunks": [2], "dtype": "|S3",
        "compressor": null, "fill_value": "", "order": "C", "filters": null},
        "a/.zattrs": {"x": 1}}}"#;
    put(&metadata, "v2_consolidated", 2, zmeta.as_bytes());
    let n5 = r#"{"dimensions": [8, 6], "blockSize": [4, 3], "dataType": "uint16",
        "compression": {"type": "gzip", "level": 1}, "units": ["m"]}"#;
    put(&metadata, "n5_dataset", 3, n5.as_bytes());
    let v3_consolidated = r#"{"zarr_format": 3, "node_type": "group", "attributes": {"n": NaN},
        "consolidated_metadata": {"kind": "inline", "must_understand": false, "metadata": {
        "x": {"zarr_format": 3, "node_type": "array", "shape": [4], "data_type": "uint8",
              "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [2]}},
              "chunk_key_encoding": {"name": "default"}, "fill_value": 0,
              "codecs": [{"name": "bytes"}], "attributes": {"big": 1180591620717411303424}},
        "g": {"zarr_format": 3, "node_type": "group", "consolidated_metadata": {"kind": "inline",
              "must_understand": false, "metadata": {"y": {"zarr_format": 3, "node_type": "group"}}}}}}}"#;
    put(&metadata, "v3_consolidated", 0, v3_consolidated.as_bytes());
    // Attributes as Python writes them past a JSON library: a number past
    // float64, lone and paired surrogate escapes, a bare token.
    let python = r#"{"huge": 1e400, "int": -100000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000,
        "lone": "a\ud800b", "pair": "\ud83d\ude00", "\udc00": [NaN, {"x": -1E+999}]}"#;
    put(&metadata, "python_attributes", 4, python.as_bytes());

    // A small zip archive holding one array, written by zarrio.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.zip");
    {
        let zip = std::sync::Arc::new(zarrio::ZipWriteStore::create(&path).unwrap());
        let store: zarrio::StoreRef = zip.clone();
        let t = &templates()[0];
        let array = Array::create(store.clone(), "a", &t.zarr_json).unwrap();
        array
            .write_region(&[0, 0], &[8, 8], &[5u8; 128], None)
            .unwrap();
        store.close().unwrap();
    }
    std::fs::create_dir_all(root.join("zip")).unwrap();
    std::fs::copy(&path, root.join("zip").join("one_array")).unwrap();
    println!("seeds written to {}", root.display());
}
