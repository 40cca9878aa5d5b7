//! The zarrs crate, through its Rust API, decoding straight into the
//! caller's buffer (`retrieve_array_subset_into_opt`).

use crate::common::*;
use std::path::Path;
use std::sync::Arc;
use unsafe_cell_slice::UnsafeCellSlice;
use zarrs::array::{Array, ArrayBytes, ArrayBytesFixedDisjointView, ArraySubset, CodecOptions};
use zarrs::filesystem::FilesystemStore;
use zarrs::storage::ReadableStorageTraits;

fn e<E: std::fmt::Display>(x: E) -> String {
    format!("zarrs: {x}")
}

fn open(path: &Path) -> R<Array<FilesystemStore>> {
    let store = Arc::new(FilesystemStore::new(path).map_err(e)?);
    Array::open(store, "/").map_err(e)
}

fn subset(r: &Region) -> ArraySubset {
    ArraySubset::new_with_ranges(&[
        r.start[0]..r.start[0] + r.edge,
        r.start[1]..r.start[1] + r.edge,
        r.start[2]..r.start[2] + r.edge,
    ])
}

fn read_into<T: ReadableStorageTraits + ?Sized + 'static>(
    a: &Array<T>,
    r: &Region,
    b: &mut Buf,
    opts: &CodecOptions,
) -> R<()> {
    let shape = r.shape();
    let cells = UnsafeCellSlice::new(b.as_mut_slice());
    // SAFETY: the view covers the whole buffer, and it is the only one.
    let mut view = unsafe {
        ArrayBytesFixedDisjointView::new(
            cells,
            2,
            &shape,
            ArraySubset::new_with_shape(shape.to_vec()),
        )
    }
    .map_err(e)?;
    a.retrieve_array_subset_into_opt(&subset(r), (&mut view).into(), opts)
        .map_err(e)
}

fn read_all<T: ReadableStorageTraits + ?Sized + 'static>(a: &Array<T>, n: u64) -> R<Buf> {
    read_whole(n, |r, b| read_into(a, r, b, &CodecOptions::default()))
}

/// Read a round trip's copy back (with zarrs, whoever wrote it) and
/// return its checksum.
pub fn copy_checksum(path: &Path, n: u64) -> R<String> {
    let a = open(path)?;
    let b = read_all(&a, n)?;
    Ok(format!(
        "{:016x}",
        checksum_region(n, [0; 3], [n; 3], b.as_slice())
    ))
}

pub fn run(spec: &RunSpec) -> R<serde_json::Value> {
    let (n, d, c) = (spec.n, spec.dataset, spec.concurrency);
    let path = d.path(&spec.dir);
    let no_prep = |_| Ok(());
    match spec.workload {
        Workload::ReadAllF => {
            Err("read_all_f: zarrs has no read into a Fortran-order (strided) buffer".into())
        }
        Workload::ReadAll => measure(
            spec,
            "retrieve_array_subset_into of the whole array",
            no_prep,
            |_| {
                let a = open(&path)?;
                Ok(Output::Full(read_all(&a, n)?))
            },
        ),
        Workload::ByChunk | Workload::ByInner => {
            let edge = if spec.workload == Workload::ByChunk {
                d.chunk()
            } else {
                d.inner()
            };
            let units = regions(n, edge);
            // c1: one chunk at a time, zarrs' default codec concurrency inside it;
            // c2: two reader threads, codec concurrency 1 each.
            let opts = if c > 1 {
                CodecOptions::default().with_concurrent_target(1)
            } else {
                CodecOptions::default()
            };
            let note = format!(
                "retrieve_array_subset_into per {} region; {}",
                if spec.workload == Workload::ByChunk {
                    "chunk"
                } else {
                    "inner-chunk"
                },
                if c > 1 {
                    "codec concurrent_target 1, N reader threads"
                } else {
                    "default codec concurrency"
                }
            );
            measure(spec, &note, no_prep, |_| {
                let a = open(&path)?;
                read_units(&units, c, |_, r, b| read_into(&a, r, b, &opts))
            })
        }
        Workload::Roundtrip => {
            let scratch = scratch_copy(spec, "zarrs");
            let mut v = measure(
                spec,
                "retrieve_array_subset_into all, new_with_metadata + store_array_subset all",
                |_| fresh_copy_dir(&scratch),
                |_| {
                    let a = open(&path)?;
                    let buf = read_all(&a, n)?;
                    let store = Arc::new(FilesystemStore::new(&scratch).map_err(e)?);
                    let w =
                        Array::new_with_metadata(store, "/", a.metadata().clone()).map_err(e)?;
                    w.store_metadata().map_err(e)?;
                    w.store_array_subset(
                        &subset(&Region::whole(n)),
                        ArrayBytes::from(buf.as_slice()),
                    )
                    .map_err(e)?;
                    Ok(Output::Full(buf))
                },
            )?;
            v["copy_checksum"] = copy_checksum(&scratch, n)?.into();
            Ok(v)
        }
    }
}
