//! The reference datasets: metadata, and generation with the zarrs crate
//! (a peer, so the data under test is not written by the library under test).

use crate::common::*;
use serde_json::{json, Value};
use std::path::Path;
use std::sync::Arc;
use zarrs::array::{Array, ArrayMetadata, ArraySubset};
use zarrs::filesystem::FilesystemStore;

fn bytes_codec() -> Value {
    json!({"name": "bytes", "configuration": {"endian": "little"}})
}

fn zstd_codec() -> Value {
    json!({"name": "zstd", "configuration": {"level": 0, "checksum": false}})
}

/// The zarr.json of dataset `d` at edge size `n`.
pub fn metadata(d: Dataset, n: u64) -> Value {
    let codecs = match d {
        Dataset::U => json!([bytes_codec()]),
        Dataset::Z | Dataset::Small => json!([bytes_codec(), zstd_codec()]),
        Dataset::S => json!([{
            "name": "sharding_indexed",
            "configuration": {
                "chunk_shape": [64, 64, 64],
                "codecs": [bytes_codec(), zstd_codec()],
                "index_codecs": [bytes_codec(), {"name": "crc32c"}],
                "index_location": "end"
            }
        }]),
    };
    let c = d.chunk();
    json!({
        "zarr_format": 3,
        "node_type": "array",
        "shape": [n, n, n],
        "data_type": "uint16",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [c, c, c]}},
        "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
        "fill_value": 0,
        "codecs": codecs,
        "attributes": {}
    })
}

/// Fill a C-order region buffer with the reference values.
pub fn fill_region(r: &Region, out: &mut [u16]) {
    let e = r.edge as usize;
    let mut i = 0;
    for dz in 0..e as u64 {
        for dy in 0..e as u64 {
            let (z, y) = (r.start[0] + dz, r.start[1] + dy);
            for dx in 0..e as u64 {
                out[i] = value(z, y, r.start[2] + dx);
                i += 1;
            }
        }
    }
}

/// The whole array, C order, native-endian bytes.
pub fn reference_bytes(n: u64) -> Vec<u8> {
    let mut v = vec![0u8; (n * n * n * 2) as usize];
    let mut i = 0;
    for z in 0..n {
        for y in 0..n {
            for x in 0..n {
                v[i..i + 2].copy_from_slice(&value(z, y, x).to_ne_bytes());
                i += 2;
            }
        }
    }
    v
}

fn write_dataset(d: Dataset, n: u64, dir: &Path) -> R<()> {
    let path = d.path(dir);
    fresh_dir(&path)?;
    let store = Arc::new(FilesystemStore::new(&path).map_err(|e| e.to_string())?);
    let meta: ArrayMetadata =
        serde_json::from_value(metadata(d, n)).map_err(|e| format!("metadata: {e}"))?;
    let array = Array::new_with_metadata(store, "/", meta).map_err(|e| e.to_string())?;
    array.store_metadata().map_err(|e| e.to_string())?;
    let mut buf = vec![0u16; 256 * 256 * 256];
    for r in regions(n, 256) {
        fill_region(&r, &mut buf);
        let subset = ArraySubset::new_with_ranges(&[
            r.start[0]..r.start[0] + 256,
            r.start[1]..r.start[1] + 256,
            r.start[2]..r.start[2] + 256,
        ]);
        array
            .store_array_subset(&subset, &buf)
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

fn dir_size(p: &Path) -> u64 {
    let mut total = 0;
    if let Ok(rd) = std::fs::read_dir(p) {
        for e in rd.flatten() {
            let m = match e.metadata() {
                Ok(m) => m,
                Err(_) => continue,
            };
            total += if m.is_dir() {
                dir_size(&e.path())
            } else {
                m.len()
            };
        }
    }
    total
}

/// `generate`: write the four datasets and a manifest (n, expected checksum,
/// stored sizes). Reuses a complete data dir for the same n unless `force`.
pub fn generate(n: u64, dir: &Path, force: bool) -> R<()> {
    if n == 0 || n % 256 != 0 {
        return Err(format!("--n must be a positive multiple of 256, not {n}"));
    }
    if !force {
        if let Ok(m) = dataset_n(dir) {
            if m == n {
                eprintln!("{}: datasets for n={n} present, reusing", dir.display());
                return Ok(());
            }
        }
    }
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let _ = std::fs::remove_file(dir.join("manifest.json"));
    let mut sizes = serde_json::Map::new();
    for d in ALL_DATASETS {
        let t = std::time::Instant::now();
        write_dataset(d, n, dir)?;
        let size = dir_size(&d.path(dir));
        eprintln!(
            "generated {} ({} MiB stored) in {:.1}s",
            d.name(),
            size >> 20,
            t.elapsed().as_secs_f64()
        );
        sizes.insert(d.name().into(), json!(size));
    }
    let manifest = json!({
        "n": n,
        "expected_checksum": format!("{:016x}", expected_checksum(n)),
        "stored_bytes": sizes,
        "generated_by": format!("zarrs {}", "0.23"),
    });
    std::fs::write(
        dir.join("manifest.json"),
        serde_json::to_string_pretty(&manifest).unwrap(),
    )
    .map_err(|e| e.to_string())
}
