//! Stored chunks, shards and metadata changed at many fixed places (bytes
//! flipped, values cut short or lengthened, JSON values swapped for others
//! of every kind): each mutant is read or refused with a clear error, never
//! a panic or an internal error. Reads never change what is stored, a
//! refused write changes nothing, a damaged chunk leaves the others
//! readable, and a chunk under a checksum is never read wrong.

mod common;

use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use zarrio::error::ErrorKind;
use zarrio::{Array, Error, FilesystemStore, Group, MemoryStore, StoreRef};

type Snapshot = BTreeMap<String, Vec<u8>>;

const SHAPE: [u64; 2] = [20, 24];

fn snapshot(store: &StoreRef) -> Snapshot {
    common::snapshot(store.as_ref())
}

fn restore(store: &StoreRef, original: &Snapshot) {
    common::restore(store.as_ref(), original)
}

/// An error a read or write of damaged stored bytes may give.
fn refused_data(what: &str, e: &Error) -> Result<(), String> {
    match e.kind() {
        ErrorKind::Corrupt | ErrorKind::Checksum | ErrorKind::OutOfMemory
            if !e.message().is_empty() =>
        {
            Ok(())
        }
        k => Err(format!("{what}: {k:?}: {}", e.message())),
    }
}

/// An error opening damaged metadata may give.
fn refused_metadata(what: &str, e: &Error) -> Result<(), String> {
    match e.kind() {
        ErrorKind::InvalidMetadata | ErrorKind::Unsupported if !e.message().is_empty() => Ok(()),
        k => Err(format!("{what}: {k:?}: {}", e.message())),
    }
}

/// Run `check` on one mutant, turning a panic into a failure.
fn guarded<T>(what: &str, check: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    match catch_unwind(AssertUnwindSafe(check)) {
        Ok(r) => r.map_err(|e| format!("{what}: {e}")),
        Err(p) => Err(format!(
            "{what}: panicked: {}",
            p.downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| p.downcast_ref::<&str>().copied())
                .unwrap_or("?")
        )),
    }
}

fn array_meta(dtype: &str, fill: Value, chunk: [u64; 2], codecs: Value) -> Value {
    json!({
        "zarr_format": 3, "node_type": "array", "shape": SHAPE, "data_type": dtype,
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": chunk}},
        "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
        "fill_value": fill, "codecs": codecs,
        "attributes": {"title": "mutants", "scale": [1.5, 2]}, "dimension_names": ["y", null],
        "storage_transformers": []
    })
}

fn le() -> Value {
    json!({"name": "bytes", "configuration": {"endian": "little"}})
}

fn crc() -> Value {
    json!({"name": "crc32c"})
}

/// Which damage a pipeline must notice when the whole array is read.
#[derive(Clone, Copy, PartialEq)]
enum Detects {
    /// Whatever decodes is accepted (no checksum over these bytes).
    Nothing,
    /// A value of the wrong length (uncompressed chunks).
    Length,
    /// Any flipped byte in the first n bytes (a shard index at the start).
    Prefix(usize),
    /// Any flipped byte, and any value cut short.
    Everything,
}

struct Pipeline {
    name: &'static str,
    meta: Value,
    detects: Detects,
    /// Whether a write of one element must decode the whole stored chunk
    /// (unsharded), so that a damaged one is refused.
    write_decodes_chunk: bool,
}

fn pipelines() -> Vec<Pipeline> {
    let zstd = json!({"name": "zstd", "configuration": {"level": 1, "checksum": false}});
    vec![
        Pipeline {
            name: "zstd, crc32c",
            meta: array_meta("uint16", json!(7), [8, 12], json!([le(), zstd, crc()])),
            detects: Detects::Everything,
            write_decodes_chunk: true,
        },
        Pipeline {
            name: "big-endian, gzip",
            meta: array_meta(
                "int32",
                json!(-1),
                [8, 12],
                json!([{"name": "bytes", "configuration": {"endian": "big"}},
                       {"name": "gzip", "configuration": {"level": 5}}]),
            ),
            detects: Detects::Nothing,
            write_decodes_chunk: true,
        },
        Pipeline {
            name: "blosc",
            meta: array_meta(
                "float32",
                json!("NaN"),
                [8, 12],
                json!([le(), {"name": "blosc", "configuration": {
                    "cname": "lz4", "clevel": 5, "shuffle": "shuffle", "typesize": 4, "blocksize": 0}}]),
            ),
            detects: Detects::Nothing,
            write_decodes_chunk: true,
        },
        Pipeline {
            name: "uncompressed",
            meta: array_meta("uint8", json!(0), [8, 12], json!([{"name": "bytes"}])),
            detects: Detects::Length,
            write_decodes_chunk: false,
        },
        Pipeline {
            // Lossless settings: the checks compare reads with what was
            // written.
            name: "reshape, transpose, packbits with a padding byte",
            meta: array_meta(
                "int16",
                json!(-4),
                [8, 12],
                json!([{"name": "reshape", "configuration": {"shape": [4, -1]}},
                       {"name": "transpose", "configuration": {"order": [1, 0]}},
                       {"name": "packbits", "configuration": {
                           "first_bit": 0, "last_bit": 15, "padding_encoding": "first_byte"}}]),
            ),
            detects: Detects::Length,
            write_decodes_chunk: true,
        },
        Pipeline {
            name: "bitround, squeeze, zstd, crc32c",
            meta: array_meta(
                "int32",
                json!(0),
                [1, 12],
                json!([{"name": "bitround", "configuration": {"keepbits": 32}},
                       {"name": "zarrs.squeeze"}, le(), zstd, crc()]),
            ),
            detects: Detects::Everything,
            write_decodes_chunk: true,
        },
        Pipeline {
            // The headers `offset` and `pad` add are dropped unread, so
            // only what zstd and crc32c check is detected.
            name: "singleton_dim, zstd, crc32c, pad, offset",
            meta: array_meta(
                "uint16",
                json!(3),
                [4, 6],
                json!([{"name": "singleton_dim", "configuration": {"operations": [{"insert": 2}]}},
                       le(), zstd, crc(),
                       {"name": "pad", "configuration": {"location": "end", "nbytes": 2}},
                       {"name": "offset", "configuration": {"offset": 3, "prefix": "AAEC"}}]),
            ),
            detects: Detects::Nothing,
            write_decodes_chunk: true,
        },
        Pipeline {
            // A damaged header can describe a shorter block, which reads
            // padded with the fill value.
            name: "n5_default, gzip",
            meta: array_meta(
                "int16",
                json!(-2),
                [8, 12],
                json!([{"name": "n5_default", "configuration": {"codecs": [
                    {"name": "transpose", "configuration": {"order": [1, 0]}},
                    {"name": "bytes", "configuration": {"endian": "big"}},
                    {"name": "gzip", "configuration": {"level": 1}}]}}]),
            ),
            detects: Detects::Nothing,
            write_decodes_chunk: true,
        },
        Pipeline {
            name: "shards, index at the end",
            meta: array_meta(
                "uint16",
                json!(0),
                [8, 12],
                json!([{"name": "sharding_indexed", "configuration": {
                    "chunk_shape": [4, 6], "codecs": [le(), zstd, crc()],
                    "index_codecs": [le(), crc()], "index_location": "end"}}]),
            ),
            detects: Detects::Everything,
            write_decodes_chunk: false,
        },
        Pipeline {
            name: "shards, index at the start, transposed inner chunks",
            meta: array_meta(
                "float64",
                json!(0.5),
                [10, 24],
                json!([{"name": "sharding_indexed", "configuration": {
                    "chunk_shape": [5, 8],
                    "codecs": [{"name": "transpose", "configuration": {"order": [1, 0]}}, le(),
                               {"name": "gzip", "configuration": {"level": 1}}],
                    "index_codecs": [le(), crc()], "index_location": "start"}}]),
            ),
            // 2 x 3 inner chunks of 16 bytes each in the index, and its crc.
            detects: Detects::Prefix(6 * 16 + 4),
            write_decodes_chunk: false,
        },
        Pipeline {
            name: "shards of shards",
            meta: array_meta(
                "uint16",
                json!(0),
                [8, 12],
                json!([{"name": "sharding_indexed", "configuration": {
                    "chunk_shape": [4, 12],
                    "codecs": [{"name": "sharding_indexed", "configuration": {
                        "chunk_shape": [2, 6], "codecs": [le(), crc()],
                        "index_codecs": [le(), crc()]}}],
                    "index_codecs": [le(), crc()]}}]),
            ),
            detects: Detects::Everything,
            write_decodes_chunk: false,
        },
    ]
}

/// Bytes that look random, so that every chunk is stored and compresses
/// little.
fn pattern(len: usize) -> Vec<u8> {
    (0..len as u64)
        .map(|i| (i.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(i >> 3) >> 56) as u8)
        .collect()
}

#[derive(Clone, Copy, Debug)]
enum Damage {
    Flip { at: usize, delta: u8 },
    Cut { to: usize },
    Extend { by: usize },
}

fn damages(len: usize) -> Vec<Damage> {
    let mut at: Vec<usize> = (0..len.min(48)).collect();
    at.extend((48..len.saturating_sub(48)).step_by((len / 60).max(1)));
    at.extend(len.saturating_sub(48).max(48)..len);
    let mut out: Vec<Damage> = at
        .iter()
        .flat_map(|&at| [1u8, 0xff].map(|delta| Damage::Flip { at, delta }))
        .collect();
    let mut cut: Vec<usize> = (0..len.min(24)).collect();
    cut.extend((24..len.saturating_sub(24)).step_by((len / 30).max(1)));
    cut.extend(len.saturating_sub(24).max(24)..len);
    out.extend(cut.into_iter().map(|to| Damage::Cut { to }));
    out.extend([1, 9].map(|by| Damage::Extend { by }));
    out
}

fn apply(bytes: &[u8], d: Damage) -> Vec<u8> {
    let mut b = bytes.to_vec();
    match d {
        Damage::Flip { at, delta } => b[at] = b[at].wrapping_add(delta),
        Damage::Cut { to } => b.truncate(to),
        Damage::Extend { by } => b.extend((0..by).map(|i| 0xa5 ^ i as u8)),
    }
    b
}

/// The elements of `data` (the whole array, C order) in the block of
/// chunk `c` of shape `chunk`, clipped to the array: (start, shape, bytes).
fn chunk_block(
    data: &[u8],
    elem: usize,
    c: [u64; 2],
    chunk: [u64; 2],
) -> ([u64; 2], [u64; 2], Vec<u8>) {
    let start = [c[0] * chunk[0], c[1] * chunk[1]];
    let shape = [
        chunk[0].min(SHAPE[0] - start[0]),
        chunk[1].min(SHAPE[1] - start[1]),
    ];
    let mut out = Vec::new();
    for y in start[0]..start[0] + shape[0] {
        let row = ((y * SHAPE[1] + start[1]) as usize) * elem;
        out.extend_from_slice(&data[row..row + shape[1] as usize * elem]);
    }
    (start, shape, out)
}

/// Everything a user might do with an array one of whose stored values
/// (`key`, chunk `damaged`) has been damaged; whether reading the whole
/// array noticed the damage.
fn check_damaged(
    p: &Pipeline,
    store: &StoreRef,
    a: &Array,
    data: &[u8],
    damaged: [u64; 2],
    damage: Damage,
    must_refuse: bool,
) -> Result<bool, String> {
    let elem = a.data_type().size();
    let chunk: [u64; 2] = a.chunk_shape().try_into().unwrap();
    let before = snapshot(store);
    let n = data.len();

    let mut whole = vec![0u8; n];
    let c_order = a.read_region(&[0, 0], &SHAPE, &mut whole, None);
    let mut fortran = vec![0u8; n];
    let f_order = a.read_region(&[0, 0], &SHAPE, &mut fortran, Some(&[1, SHAPE[0] as i64]));
    let mut one = vec![0u8; a.chunk_repr().nbytes()];
    let by_chunk = a.read_chunk(&damaged, &mut one);
    // On the calling thread alone, chunk after chunk.
    a.set_threads(1);
    let mut serial = vec![0u8; n];
    let one_thread = a.read_region(&[0, 0], &SHAPE, &mut serial, None);
    a.set_threads(0);
    let noticed = c_order.is_err();
    for (what, r) in [
        ("C-order read", c_order),
        ("F-order read", f_order),
        ("chunk read", by_chunk),
        ("one-thread read", one_thread),
    ] {
        match r {
            Err(e) => refused_data(what, &e)?,
            Ok(()) if must_refuse => return Err(format!("{what} did not notice the damage")),
            Ok(()) => {}
        }
    }

    // The other chunks read as they were written.
    for cy in 0..SHAPE[0].div_ceil(chunk[0]) {
        for cx in 0..SHAPE[1].div_ceil(chunk[1]) {
            if [cy, cx] == damaged {
                continue;
            }
            let (start, shape, want) = chunk_block(data, elem, [cy, cx], chunk);
            let mut got = vec![0u8; want.len()];
            a.read_region(&start, &shape, &mut got, None)
                .map_err(|e| format!("undamaged chunk {cy},{cx}: {}", e.message()))?;
            if got != want {
                return Err(format!("undamaged chunk {cy},{cx} read wrong"));
            }
        }
    }
    if snapshot(store) != before {
        return Err("reading changed the store".into());
    }

    // One element written at the damaged chunk's origin.
    let at = [damaged[0] * chunk[0], damaged[1] * chunk[1]];
    let value = vec![1u8; elem];
    match a.write_region(&at, &[1, 1], &value, None) {
        Err(e) => {
            refused_data("write", &e)?;
            if snapshot(store) != before {
                return Err("a refused write changed the store".into());
            }
        }
        Ok(()) if must_refuse && p.write_decodes_chunk => {
            return Err(format!(
                "a write into a damaged chunk ({damage:?}) was not refused"
            ))
        }
        Ok(()) => {
            let mut back = vec![0u8; elem];
            a.read_region(&at, &[1, 1], &mut back, None)
                .map_err(|e| format!("reading back a write: {}", e.message()))?;
            if back != value {
                return Err("a write read back wrong".into());
            }
        }
    }
    Ok(noticed)
}

/// Damage chunks of every pipeline, each array in its own fresh store
/// from `new_store`.
fn damage_every_pipeline(store_name: &str, new_store: impl Fn() -> StoreRef) {
    let mut failures = Vec::new();
    for p in pipelines() {
        let store = new_store();
        let a = Array::create(store.clone(), "a", &p.meta.to_string())
            .unwrap_or_else(|e| panic!("{}: {}", p.name, e.message()));
        let elem = a.data_type().size();
        let data = pattern(SHAPE.iter().product::<u64>() as usize * elem);
        a.write_region(&[0, 0], &SHAPE, &data, None).unwrap();
        let original = snapshot(&store);
        let grid = a.grid_shape();
        let cells: Vec<[u64; 2]> = (0..grid[0])
            .flat_map(|y| (0..grid[1]).map(move |x| [y, x]))
            .collect();
        for c in &cells {
            assert!(
                original.contains_key(&a.chunk_key(c)),
                "{}: chunk {c:?} not stored",
                p.name
            );
        }
        // The first chunk, one in the middle, and the last (an edge chunk).
        let picked = [cells[0], cells[cells.len() / 2], cells[cells.len() - 1]];
        let (mut refused, mut cases) = (0usize, 0usize);
        for c in picked {
            let key = a.chunk_key(&c);
            let stored = original[&key].clone();
            for d in damages(stored.len()) {
                let must_refuse = match (p.detects, d) {
                    (Detects::Everything, Damage::Flip { .. } | Damage::Cut { .. }) => true,
                    (Detects::Prefix(n), Damage::Flip { at, .. }) => at < n,
                    (Detects::Length, Damage::Cut { .. } | Damage::Extend { .. }) => true,
                    _ => false,
                };
                store.set(&key, &apply(&stored, d)).unwrap();
                let what = format!("{store_name}, {}, chunk {c:?}, {d:?}", p.name);
                match guarded(&what, || {
                    check_damaged(&p, &store, &a, &data, c, d, must_refuse)
                }) {
                    Ok(noticed) => refused += noticed as usize,
                    Err(e) => failures.push(e),
                }
                cases += 1;
                restore(&store, &original);
            }
        }
        common::assert_none_failed(&failures);
        // The damage was both noticed and, where nothing checks it, let
        // through: the test exercised both outcomes it can have.
        assert!(refused > 0, "{}: no damage was noticed", p.name);
        if p.detects == Detects::Everything {
            assert_eq!(refused, cases, "{}", p.name);
        }
        let mut out = vec![0u8; data.len()];
        a.read_region(&[0, 0], &SHAPE, &mut out, None).unwrap();
        assert_eq!(out, data, "{}: restored", p.name);
    }
}

#[test]
fn damaged_chunks_in_a_memory_store() {
    damage_every_pipeline("memory", || Arc::new(MemoryStore::new()));
}

#[test]
fn damaged_chunks_in_a_store_without_ranged_reads_or_writes() {
    damage_every_pipeline("whole values only", || {
        Arc::new(common::Recording::without_range_writes())
    });
}

#[test]
fn damaged_chunks_in_a_filesystem_store() {
    let dir = tempfile::tempdir().unwrap();
    let next = std::sync::atomic::AtomicUsize::new(0);
    damage_every_pipeline("filesystem", || {
        let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Arc::new(FilesystemStore::new(dir.path().join(n.to_string())).unwrap())
    });
}

/// JSON pointers to every value inside `v`, `v` itself included.
fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => m
            .iter()
            .for_each(|(k, c)| pointers(c, format!("{at}/{k}"), out)),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .for_each(|(i, c)| pointers(c, format!("{at}/{i}"), out)),
        _ => {}
    }
    out.push(at);
}

/// Documents like `doc` with one value replaced by a value of another
/// kind, removed, or given a neighbour.
fn json_mutants(doc: &Value) -> Vec<(String, Value)> {
    let kinds = [
        Value::Null,
        json!(true),
        json!(0),
        json!(1),
        json!(-1),
        json!(3),
        json!(1.5),
        json!(1e300),
        json!(u64::MAX),
        json!(i64::MIN),
        json!(1u64 << 53),
        json!(""),
        json!("x"),
        json!("NaN"),
        json!("0x7fc00000"),
        json!([]),
        json!([0]),
        json!([-1]),
        json!([1, 2, 3, 4]),
        json!([[]]),
        json!({}),
        json!({"name": "bytes"}),
        json!({"name": "x", "configuration": {}}),
    ];
    let mut ptrs = Vec::new();
    pointers(doc, String::new(), &mut ptrs);
    let mut out = Vec::new();
    for ptr in &ptrs {
        for k in &kinds {
            let mut m = doc.clone();
            *m.pointer_mut(ptr).unwrap() = k.clone();
            out.push((format!("{ptr} = {k}"), m));
        }
        if let Some((parent, last)) = ptr.rsplit_once('/') {
            let mut m = doc.clone();
            match m.pointer_mut(parent).unwrap() {
                Value::Object(o) => {
                    o.remove(last);
                }
                Value::Array(a) => {
                    a.remove(last.parse::<usize>().unwrap());
                }
                _ => unreachable!(),
            }
            out.push((format!("{ptr} removed"), m));
        }
        match doc.pointer(ptr).unwrap() {
            Value::Array(a) if !a.is_empty() => {
                let mut m = doc.clone();
                m.pointer_mut(ptr)
                    .unwrap()
                    .as_array_mut()
                    .unwrap()
                    .push(a[0].clone());
                out.push((format!("{ptr} one longer"), m));
            }
            Value::Object(_) => {
                for extra in [
                    json!(1),
                    json!({"must_understand": false}),
                    json!({"must_understand": true}),
                ] {
                    let mut m = doc.clone();
                    let o = m.pointer_mut(ptr).unwrap().as_object_mut().unwrap();
                    o.insert("zz_extra".into(), extra.clone());
                    out.push((format!("{ptr} + zz_extra = {extra}"), m));
                }
            }
            _ => {}
        }
    }
    out
}

/// The text of `doc` cut short and with bytes changed (not UTF-8, quotes
/// and brackets where values were).
fn text_mutants(doc: &Value) -> Vec<(String, Vec<u8>)> {
    let text = doc.to_string().into_bytes();
    let mut out = Vec::new();
    for to in (0..text.len()).step_by(7) {
        out.push((format!("cut to {to} bytes"), text[..to].to_vec()));
    }
    for at in (0..text.len()).step_by(5) {
        for b in [0x80u8, b'"', b'}', b'9'] {
            let mut t = text.clone();
            t[at] = b;
            out.push((format!("byte {at} = {b:#x}"), t));
        }
    }
    out
}

/// Open the array at "a" under mutated metadata, over chunks written
/// under the original, and use it as a user would; whether it opened.
fn probe_array(store: &StoreRef) -> Result<bool, String> {
    let a = match Array::open(store.clone(), "a") {
        Ok(a) => a,
        Err(e) => return refused_metadata("open", &e).map(|()| false),
    };
    let before = snapshot(store);
    let elem = a.data_type().size();
    let region: Vec<u64> = a.shape().iter().map(|&s| s.min(24)).collect();
    let n = region.iter().product::<u64>() as usize * elem;
    if a.chunk_repr().nbytes() > 64 << 20 || n > 64 << 20 {
        return Ok(true);
    }
    let start = vec![0; region.len()];
    let mut out = vec![0u8; n];
    if let Err(e) = a.read_region(&start, &region, &mut out, None) {
        refused_data("read", &e)?;
    }
    if snapshot(store) != before {
        return Err("reading changed the store".into());
    }
    if n == 0 {
        return Ok(true);
    }
    let one = vec![1; region.len()];
    let value = vec![1u8; elem];
    match a.write_region(&start, &one, &value, None) {
        Err(e) => {
            refused_data("write", &e)?;
            if snapshot(store) != before {
                return Err("a refused write changed the store".into());
            }
        }
        Ok(()) => {
            let mut back = vec![0u8; elem];
            a.read_region(&start, &one, &mut back, None)
                .map_err(|e| format!("reading back a write: {}", e.message()))?;
            // A mutant may make `bitround` keep fewer bits than the value
            // has: it then reads back rounded, as it should.
            let rounds = a.metadata()["codecs"][0]["name"] == "bitround";
            if back != value && !rounds {
                return Err("a write read back wrong".into());
            }
        }
    }
    Ok(true)
}

/// Open the group at "a" under mutated metadata and list its children;
/// whether it opened.
fn probe_group(store: &StoreRef) -> Result<bool, String> {
    let g = match Group::open(store.clone(), "a") {
        Ok(g) => g,
        Err(e) => return refused_metadata("open", &e).map(|()| false),
    };
    let _ = g.attributes();
    g.children()
        .map_err(|e| format!("children: {:?}: {}", e.kind(), e.message()))?;
    Ok(true)
}

#[test]
fn mutated_metadata_is_refused_or_read_never_a_crash() {
    let group = json!({"zarr_format": 3, "node_type": "group",
                       "attributes": {"title": "t", "nested": {"k": [1, 2]}}});
    let mut failures = Vec::new();
    let (mut opened, mut refused) = (0usize, 0usize);
    let mut docs: Vec<(String, Value)> = pipelines()
        .into_iter()
        .map(|p| (p.name.to_string(), p.meta))
        .collect();
    docs.push(("group".into(), group));
    for (name, doc) in docs {
        let store: StoreRef = Arc::new(MemoryStore::new());
        let is_array = doc["node_type"] == "array";
        if is_array {
            let a = Array::create(store.clone(), "a", &doc.to_string()).unwrap();
            let elem = a.data_type().size();
            let data = pattern(SHAPE.iter().product::<u64>() as usize * elem);
            a.write_region(&[0, 0], &SHAPE, &data, None).unwrap();
        } else {
            Group::create(
                store.clone(),
                "a",
                doc["attributes"].as_object().unwrap().clone(),
            )
            .unwrap();
            Array::create(store.clone(), "a/child", &pipelines()[0].meta.to_string()).unwrap();
        }
        let original = snapshot(&store);
        let mutants = json_mutants(&doc)
            .into_iter()
            .map(|(what, m)| (what, m.to_string().into_bytes()))
            .chain(text_mutants(&doc));
        for (what, bytes) in mutants {
            store.set("a/zarr.json", &bytes).unwrap();
            // Both kinds of node are opened whatever the document says.
            let whats = |kind: &str| format!("{name}: {what}, opened as {kind}");
            match guarded(&whats("array"), || probe_array(&store)) {
                Ok(true) => opened += 1,
                Ok(false) => refused += 1,
                Err(e) => failures.push(e),
            }
            if let Err(e) = guarded(&whats("group"), || probe_group(&store)) {
                failures.push(e);
            }
            restore(&store, &original);
        }
    }
    assert!(
        opened > 0 && refused > 0,
        "opened {opened}, refused {refused}"
    );
    common::assert_none_failed(&failures);
}

/// Large zstd chunks side by side are decoded in step and placed plane by
/// plane from the decoder's own buffer as rows of the destination (chunks
/// of 4 MiB or more whose rows are not whole cache lines, into a
/// destination of 32 MiB or more). A damaged chunk in such a row fails the
/// read or, under zstd's checksum, reads exactly what was written; the
/// other chunks still read right.
#[test]
fn damaged_large_chunks_placed_in_rows() {
    const BIG: [u64; 3] = [96, 128, 1600];
    const CHUNK: [u64; 3] = [96, 128, 200];
    let store: StoreRef = Arc::new(MemoryStore::new());
    let meta = json!({
        "zarr_format": 3, "node_type": "array", "shape": BIG, "data_type": "uint16",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": CHUNK}},
        "chunk_key_encoding": {"name": "default"}, "fill_value": 0,
        "codecs": [le(), {"name": "zstd", "configuration": {"level": 1, "checksum": true}}]
    });
    let a = Array::create(store.clone(), "big", &meta.to_string()).unwrap();
    let mut data = Vec::with_capacity(BIG.iter().product::<u64>() as usize * 2);
    for z in 0..BIG[0] {
        for y in 0..BIG[1] {
            for x in 0..BIG[2] {
                data.extend_from_slice(&((x + y * y / 32 + z * z * z) as u16).to_le_bytes());
            }
        }
    }
    a.write_region(&[0, 0, 0], &BIG, &data, None).unwrap();
    let original = snapshot(&store);
    let chunk_bytes = CHUNK.iter().product::<u64>() as usize * 2;
    let read_chunk_block = |c: u64| -> Result<(), String> {
        let start = [0, 0, c * CHUNK[2]];
        let mut got = vec![0u8; chunk_bytes];
        a.read_region(&start, &CHUNK, &mut got, None)
            .map_err(|e| format!("undamaged chunk {c}: {}", e.message()))?;
        let row = CHUNK[2] as usize * 2;
        let intact = got.chunks_exact(row).enumerate().all(|(i, r)| {
            let at = (i as u64 * BIG[2] + start[2]) as usize * 2;
            r == &data[at..at + row]
        });
        intact
            .then_some(())
            .ok_or(format!("undamaged chunk {c} read wrong"))
    };
    let (mut failures, mut refused, mut cases) = (Vec::new(), 0usize, 0usize);
    // A chunk inside the first row of chunks, and one of the second row.
    for c in [1u64, 6] {
        let key = a.chunk_key(&[0, 0, c]);
        let stored = &original[&key];
        let len = stored.len();
        let mut ds: Vec<Damage> = (0..12).map(|at| Damage::Flip { at, delta: 0x80 }).collect();
        ds.extend(
            (12..len)
                .step_by(len / 16)
                .map(|at| Damage::Flip { at, delta: 1 }),
        );
        ds.extend([len / 2, len - 4, len - 1].map(|to| Damage::Cut { to }));
        ds.push(Damage::Extend { by: 3 });
        for d in ds {
            store.set(&key, &apply(stored, d)).unwrap();
            cases += 1;
            let r = guarded(&format!("large chunk {c}, {d:?}"), || {
                let mut out = vec![0u8; data.len()];
                match a.read_region(&[0, 0, 0], &BIG, &mut out, None) {
                    Err(e) => {
                        refused += 1;
                        refused_data("read", &e)?;
                    }
                    Ok(()) if out != data => return Err("read wrong without an error".into()),
                    Ok(()) => {}
                }
                (0..BIG[2] / CHUNK[2])
                    .filter(|&o| o != c)
                    .try_for_each(read_chunk_block)
            });
            if let Err(e) = r {
                failures.push(e);
            }
            restore(&store, &original);
        }
    }
    common::assert_none_failed(&failures);
    // Flipped bytes in the compressed blocks are all noticed.
    assert!(refused * 2 > cases, "{refused} of {cases} refused");
}
