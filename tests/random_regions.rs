//! Writes, fills and reads of random regions of random arrays (1 to 4
//! dimensions, edge chunks, chunks larger than the array, regular and
//! rectilinear chunk grids, sharding,
//! transposes, compressors, either endianness, any caller strides),
//! checked element by element against a plain model of the array, on a
//! memory store and on a directory. A read must also leave every byte of
//! the caller's buffer that its layout does not address untouched.

use serde_json::{json, Value};
use std::sync::Arc;
use zarrio::array::DimSelection;
use zarrio::{Array, FilesystemStore, MemoryStore, StoreRef};

/// xorshift64*: deterministic, so a failure names the case that made it.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.next() as usize % items.len()]
    }
    fn permutation(&mut self, n: usize) -> Vec<usize> {
        let mut p: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            p.swap(i, self.next() as usize % (i + 1));
        }
        p
    }
}

/// The array in C order, each element `elem` bytes in native order.
struct Model {
    shape: Vec<u64>,
    elem: usize,
    data: Vec<u8>,
}

impl Model {
    fn offset(&self, idx: &[u64]) -> usize {
        idx.iter()
            .zip(&self.shape)
            .fold(0u64, |acc, (i, n)| acc * n + i) as usize
            * self.elem
    }
}

/// Every index of `shape`, in C order.
fn indices(shape: &[u64]) -> Vec<Vec<u64>> {
    let mut out = Vec::new();
    if shape.contains(&0) {
        return out;
    }
    let mut idx = vec![0u64; shape.len()];
    loop {
        out.push(idx.clone());
        let mut d = shape.len();
        loop {
            if d == 0 {
                return out;
            }
            d -= 1;
            idx[d] += 1;
            if idx[d] < shape[d] {
                break;
            }
            idx[d] = 0;
        }
    }
}

/// A caller layout for `shape`: element strides in a random dimension
/// order (C, Fortran or any other), sometimes with gaps, or None (C
/// order); and the buffer length in elements it needs.
fn layout(rng: &mut Rng, shape: &[u64]) -> (Option<Vec<i64>>, usize) {
    let n = shape.len();
    let span = |strides: &[i64]| -> usize {
        1 + shape
            .iter()
            .zip(strides)
            .map(|(e, s)| (e - 1) as usize * *s as usize)
            .sum::<usize>()
    };
    if rng.range(0, 3) == 0 {
        let c: Vec<i64> = (0..n)
            .map(|d| shape[d + 1..].iter().product::<u64>() as i64)
            .collect();
        return (None, span(&c));
    }
    let mut strides = vec![0i64; n];
    let mut next = 1i64;
    for &d in rng.permutation(n).iter().rev() {
        strides[d] = next * rng.range(1, 2) as i64;
        next = strides[d] * (shape[d] as i64 + *rng.pick(&[0, 0, 1, 3]));
    }
    let len = span(&strides);
    (Some(strides), len)
}

fn position(idx: &[u64], strides: &Option<Vec<i64>>, shape: &[u64]) -> usize {
    match strides {
        Some(s) => idx
            .iter()
            .zip(s)
            .map(|(i, s)| *i as usize * *s as usize)
            .sum(),
        None => idx.iter().zip(shape).fold(0u64, |acc, (i, n)| acc * n + i) as usize,
    }
}

fn random_region(rng: &mut Rng, shape: &[u64]) -> (Vec<u64>, Vec<u64>) {
    let start: Vec<u64> = shape.iter().map(|&n| rng.range(0, n - 1)).collect();
    let size = shape
        .iter()
        .zip(&start)
        .map(|(&n, &s)| rng.range(1, n - s))
        .collect();
    (start, size)
}

fn bytes_codec(rng: &mut Rng, elem: usize) -> Value {
    if elem == 1 {
        json!({"name": "bytes"})
    } else {
        json!({"name": "bytes", "configuration": {"endian": rng.pick(&["little", "big"])}})
    }
}

/// The array->bytes codec: `bytes`, or now and then pcodec (which takes
/// 16- to 64-bit elements, into buffers at any alignment) or `packbits`
/// of every bit (lossless; with a padding byte it packs bit by bit).
fn array_to_bytes(rng: &mut Rng, elem: usize) -> Value {
    match rng.range(0, 5) {
        0 if cfg!(feature = "pcodec") && elem >= 2 => {
            json!({"name": "numcodecs.pcodec", "configuration": {"level": rng.range(0, 8)}})
        }
        1 => json!({"name": "packbits", "configuration": {
            "padding_encoding": rng.pick(&["none", "first_byte", "last_byte"])}}),
        _ => bytes_codec(rng, elem),
    }
}

/// A random codec list for chunks of `chunk` elements of `elem` bytes.
fn codecs(rng: &mut Rng, chunk: &[u64], elem: usize) -> Value {
    let n = chunk.len();
    let compressor = |rng: &mut Rng| -> Vec<Value> {
        match rng.range(0, 3) {
            0 => vec![],
            1 => vec![json!({"name": "zstd", "configuration": {"level": 1, "checksum": false}})],
            2 => vec![
                json!({"name": "gzip", "configuration": {"level": 1}}),
                json!({"name": "crc32c"}),
            ],
            _ => vec![json!({"name": "crc32c"})],
        }
    };
    let mut list = Vec::new();
    // The shape the codecs after a transpose see.
    let mut seen = chunk.to_vec();
    if rng.range(0, 3) == 0 {
        let order = rng.permutation(n);
        seen = order.iter().map(|&d| chunk[d]).collect();
        list.push(json!({"name": "transpose", "configuration": {"order": order}}));
    }
    if rng.range(0, 2) == 0 {
        // Inner chunks that divide the shard.
        let inner: Vec<u64> = seen
            .iter()
            .map(|&c| {
                let divisors: Vec<u64> = (1..=c).filter(|d| c % d == 0).collect();
                *rng.pick(&divisors)
            })
            .collect();
        let mut inner_codecs = vec![array_to_bytes(rng, elem)];
        inner_codecs.extend(compressor(rng));
        list.push(json!({"name": "sharding_indexed", "configuration": {
            "chunk_shape": inner,
            "codecs": inner_codecs,
            "index_codecs": [{"name": "bytes", "configuration": {"endian": "little"}}, {"name": "crc32c"}],
            "index_location": rng.pick(&["start", "end"]),
        }}));
    } else {
        // Now and then a codec that only reshapes (which a transpose or
        // sharding after it would have to fit, so only here).
        match rng.range(0, 5) {
            0 => list.push(json!({"name": "reshape", "configuration": {"shape": [-1]}})),
            1 => list.push(json!({"name": "zarrs.squeeze"})),
            2 => list.push(json!({"name": "singleton_dim", "configuration": {
                "operations": [{"insert": rng.range(0, seen.len() as u64)}]}})),
            // Two dimensions in, one out again.
            3 => list.push(json!({"name": "singleton_dim", "configuration": {
                "operations": [{"insert": 0}, {"insert": rng.range(0, seen.len() as u64 + 1)},
                               {"remove": 0}]}})),
            _ => {}
        }
        list.push(array_to_bytes(rng, elem));
        list.extend(compressor(rng));
    }
    Value::Array(list)
}

/// A rectilinear grid for `shape` whose edges are multiples of `unit`
/// (so that inner chunks chosen for `unit` divide every shard): a step
/// along some dimensions, listed edges (runs among them, some past the
/// extent) along the others.
fn rectilinear_grid(rng: &mut Rng, shape: &[u64], unit: &[u64]) -> Value {
    let dims: Vec<Value> = shape
        .iter()
        .zip(unit)
        .map(|(&n, &u)| {
            if rng.range(0, 3) == 0 {
                return json!(u * rng.range(1, 2));
            }
            let mut edges = Vec::new();
            let mut sum = 0;
            while sum < n || rng.range(0, 4) == 0 {
                let e = u * rng.range(1, 3);
                if rng.range(0, 2) == 0 {
                    let count = rng.range(1, 3);
                    edges.push(json!([e, count]));
                    sum += e * count;
                } else {
                    edges.push(json!(e));
                    sum += e;
                }
            }
            Value::Array(edges)
        })
        .collect();
    json!({"name": "rectilinear", "configuration": {"kind": "inline", "chunk_shapes": dims}})
}

fn run_case(seed: u64, store: StoreRef) {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let ndim = rng.range(1, 4) as usize;
    let edge = if ndim == 4 { 6 } else { 12 };
    let shape: Vec<u64> = (0..ndim).map(|_| rng.range(1, edge)).collect();
    let chunk: Vec<u64> = shape.iter().map(|&n| rng.range(1, n + 2)).collect();
    let (dtype, elem) = *rng.pick(&[
        ("uint8", 1usize),
        ("uint16", 2),
        ("int32", 4),
        ("uint64", 8),
    ]);
    let codec_list = codecs(&mut rng, &chunk, elem);
    let grid = if rng.range(0, 2) == 0 {
        rectilinear_grid(&mut rng, &shape, &chunk)
    } else {
        json!({"name": "regular", "configuration": {"chunk_shape": chunk}})
    };
    let meta = json!({
        "zarr_format": 3, "node_type": "array", "shape": shape, "data_type": dtype,
        "chunk_grid": grid,
        "chunk_key_encoding": {"name": "default"}, "fill_value": 7,
        "codecs": codec_list,
    })
    .to_string();
    let case = format!("seed {seed}: {meta}");
    let a = Array::create(store.clone(), "a", &meta).unwrap_or_else(|e| panic!("{case}: {e}"));
    a.set_threads(rng.range(1, 2) as usize);
    let fill = 7u64.to_ne_bytes();
    let fill = if cfg!(target_endian = "little") {
        &fill[..elem]
    } else {
        &fill[8 - elem..]
    };
    let count = shape.iter().product::<u64>() as usize;
    let mut model = Model {
        shape: shape.clone(),
        elem,
        data: fill.repeat(count),
    };
    for step in 0..8 {
        let (start, size) = random_region(&mut rng, &shape);
        match rng.range(0, 5) {
            // A write from a buffer of any layout.
            0..=2 => {
                let (strides, len) = layout(&mut rng, &size);
                let src: Vec<u8> = (0..len * elem).map(|_| rng.next() as u8).collect();
                a.write_region(&start, &size, &src, strides.as_deref())
                    .unwrap_or_else(|e| panic!("{case}: step {step}: write: {e}"));
                for idx in indices(&size) {
                    let at: Vec<u64> = idx.iter().zip(&start).map(|(i, s)| i + s).collect();
                    let o = model.offset(&at);
                    let p = position(&idx, &strides, &size) * elem;
                    model.data[o..o + elem].copy_from_slice(&src[p..p + elem]);
                }
            }
            // A fill: with a value, or with the fill value.
            3 => {
                let value: Vec<u8> = if rng.range(0, 1) == 0 {
                    fill.to_vec()
                } else {
                    (0..elem).map(|_| rng.next() as u8).collect()
                };
                a.fill_region(&start, &size, &value)
                    .unwrap_or_else(|e| panic!("{case}: step {step}: fill: {e}"));
                for idx in indices(&size) {
                    let at: Vec<u64> = idx.iter().zip(&start).map(|(i, s)| i + s).collect();
                    let o = model.offset(&at);
                    model.data[o..o + elem].copy_from_slice(&value);
                }
            }
            _ => {}
        }
        // A read into a buffer of any layout, whose other bytes must stay.
        let (start, size) = random_region(&mut rng, &shape);
        let (strides, len) = layout(&mut rng, &size);
        let mut out = vec![0xEEu8; len * elem + 16];
        a.read_region(&start, &size, &mut out, strides.as_deref())
            .unwrap_or_else(|e| panic!("{case}: step {step}: read: {e}"));
        let mut addressed = vec![false; out.len()];
        for idx in indices(&size) {
            let at: Vec<u64> = idx.iter().zip(&start).map(|(i, s)| i + s).collect();
            let o = model.offset(&at);
            let p = position(&idx, &strides, &size) * elem;
            assert_eq!(
                &out[p..p + elem],
                &model.data[o..o + elem],
                "{case}: step {step}: element {at:?} read into {strides:?}"
            );
            addressed[p..p + elem].fill(true);
        }
        let stray = (0..out.len()).find(|&i| !addressed[i] && out[i] != 0xEE);
        assert_eq!(
            stray, None,
            "{case}: step {step}: a byte outside the region written"
        );
        selection_step(&mut rng, &a, &mut model, &format!("{case}: step {step}"));
    }
    // Opened afresh, the whole array reads as the model.
    let b = Array::open(store, "a").unwrap();
    let mut whole = vec![0u8; count * elem];
    b.read_region(&vec![0; ndim], &shape, &mut whole, None)
        .unwrap();
    assert!(whole == model.data, "{case}: reopened array differs");
}

/// Random indices along a dimension of `n` elements, as a step range or
/// as a list (any order, repeats); now and then none.
fn random_dim(rng: &mut Rng, n: u64) -> Vec<u64> {
    match rng.range(0, 9) {
        0 => vec![],
        1..=4 => {
            let start = rng.range(0, n - 1);
            let step = rng.range(1, 4);
            let count = rng.range(1, (n - 1 - start) / step + 1);
            (0..count).map(|k| start + k * step).collect()
        }
        _ => (0..rng.range(1, n + 2))
            .map(|_| rng.range(0, n - 1))
            .collect(),
    }
}

/// Whether `list` is what a step range gives.
fn as_range(list: &[u64]) -> Option<DimSelection<'static>> {
    let step = if list.len() > 1 {
        list[1].checked_sub(list[0])?
    } else {
        1
    };
    let stepped = step > 0
        && list
            .windows(2)
            .all(|w| w[1].checked_sub(w[0]) == Some(step));
    (stepped && !list.is_empty()).then(|| DimSelection::Range {
        start: list[0],
        step,
        count: list.len() as u64,
    })
}

/// One random selection read or written (orthogonal, by steps or lists,
/// into or from a buffer of any layout; or points), checked against and
/// applied to the model.
fn selection_step(rng: &mut Rng, a: &Array, model: &mut Model, case: &str) {
    let (shape, elem) = (model.shape.clone(), model.elem);
    let ndim = shape.len();
    if rng.range(0, 1) == 0 {
        let lists: Vec<Vec<u64>> = shape.iter().map(|&n| random_dim(rng, n)).collect();
        let sel: Vec<DimSelection> = lists
            .iter()
            .map(|l| match as_range(l) {
                Some(r) if rng.range(0, 1) == 0 => r,
                _ => DimSelection::List(l),
            })
            .collect();
        let counts: Vec<u64> = lists.iter().map(|l| l.len() as u64).collect();
        let (strides, len) = if counts.contains(&0) {
            (None, 0)
        } else {
            layout(rng, &counts)
        };
        let at =
            |idx: &[u64]| -> Vec<u64> { (0..ndim).map(|d| lists[d][idx[d] as usize]).collect() };
        if rng.range(0, 1) == 0 {
            let src: Vec<u8> = (0..len * elem).map(|_| rng.next() as u8).collect();
            a.write_orthogonal(&sel, &src, strides.as_deref())
                .unwrap_or_else(|e| panic!("{case}: write {sel:?}: {e}"));
            for idx in indices(&counts) {
                let o = model.offset(&at(&idx));
                let p = position(&idx, &strides, &counts) * elem;
                model.data[o..o + elem].copy_from_slice(&src[p..p + elem]);
            }
        } else {
            let mut out = vec![0xEEu8; len * elem + 16];
            a.read_orthogonal(&sel, &mut out, strides.as_deref())
                .unwrap_or_else(|e| panic!("{case}: read {sel:?}: {e}"));
            let mut addressed = vec![false; out.len()];
            for idx in indices(&counts) {
                let o = model.offset(&at(&idx));
                let p = position(&idx, &strides, &counts) * elem;
                assert_eq!(
                    &out[p..p + elem],
                    &model.data[o..o + elem],
                    "{case}: element {idx:?} of {sel:?} into {strides:?}"
                );
                addressed[p..p + elem].fill(true);
            }
            let stray = (0..out.len()).find(|&i| !addressed[i] && out[i] != 0xEE);
            assert_eq!(stray, None, "{case}: a byte outside {sel:?} written");
        }
    } else {
        let mut points: Vec<u64> = Vec::new();
        for p in 0..rng.range(0, 12) as usize {
            if p > 0 && rng.range(0, 4) == 0 {
                // The point before, again.
                points.extend_from_within((p - 1) * ndim..p * ndim);
            } else {
                points.extend(shape.iter().map(|&n| rng.range(0, n - 1)));
            }
        }
        let count = points.len() / ndim;
        if rng.range(0, 1) == 0 {
            let src: Vec<u8> = (0..count * elem).map(|_| rng.next() as u8).collect();
            a.write_points(&points, &src)
                .unwrap_or_else(|e| panic!("{case}: write points {points:?}: {e}"));
            for (p, point) in points.chunks(ndim).enumerate() {
                let o = model.offset(point);
                model.data[o..o + elem].copy_from_slice(&src[p * elem..(p + 1) * elem]);
            }
        } else {
            let mut out = vec![0xEEu8; count * elem + 16];
            a.read_points(&points, &mut out)
                .unwrap_or_else(|e| panic!("{case}: read points {points:?}: {e}"));
            for (p, point) in points.chunks(ndim).enumerate() {
                let o = model.offset(point);
                assert_eq!(
                    &out[p * elem..(p + 1) * elem],
                    &model.data[o..o + elem],
                    "{case}: point {point:?} of {points:?}"
                );
            }
            assert!(
                out[count * elem..].iter().all(|&b| b == 0xEE),
                "{case}: past the points"
            );
        }
    }
}

#[test]
fn random_regions_match_a_model_in_memory() {
    for seed in 0..1500 {
        run_case(seed, Arc::new(MemoryStore::new()));
    }
}

#[test]
fn random_regions_match_a_model_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    for seed in 1000..1150 {
        let store = FilesystemStore::new(dir.path().join(seed.to_string())).unwrap();
        run_case(seed, Arc::new(store));
    }
}

/// The value of element (z, y, x) of the large arrays below.
fn large_value(z: u64, y: u64, x: u64) -> u16 {
    (x.wrapping_mul(3) ^ y.wrapping_mul(7) ^ z.wrapping_mul(11 * 251)) as u16
}

#[test]
fn large_regions_read_back_into_any_buffer() {
    // Destinations of tens of MiB take the paths small ones do not:
    // pages faulted in first, huge-page advice, streaming stores, rows of
    // chunks placed together. Regions start anywhere, buffers sit 0, 16
    // or 48 bytes past a cache line, and rows may have gaps between them,
    // which must stay as they were.
    let shape = [64u64, 320, 1024];
    let whole: Vec<u8> = (0..shape[0])
        .flat_map(|z| (0..shape[1]).flat_map(move |y| (0..shape[2]).map(move |x| (z, y, x))))
        .flat_map(|(z, y, x)| large_value(z, y, x).to_ne_bytes())
        .collect();
    let zstd = json!({"name": "zstd", "configuration": {"level": 1, "checksum": false}});
    let bytes = json!({"name": "bytes", "configuration": {"endian": "little"}});
    let cases = [
        (json!([16, 64, 256]), json!([bytes, zstd])),
        (json!([8, 40, 128]), json!([bytes])),
        (json!([5, 33, 100]), json!([bytes, zstd])),
        (json!([64, 320, 1024]), json!([bytes])),
        (
            json!([32, 160, 512]),
            json!([{"name": "sharding_indexed", "configuration": {
                "chunk_shape": [8, 40, 128], "codecs": [bytes, zstd],
                "index_codecs": [bytes, {"name": "crc32c"}]}}]),
        ),
    ];
    let mut rng = Rng(0x5EED);
    for (chunk, codecs) in cases {
        let meta = json!({
            "zarr_format": 3, "node_type": "array", "shape": shape, "data_type": "uint16",
            "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": chunk}},
            "chunk_key_encoding": {"name": "default"}, "fill_value": 0, "codecs": codecs,
        })
        .to_string();
        let store: StoreRef = Arc::new(MemoryStore::new());
        let a = Array::create(store, "a", &meta).unwrap();
        a.write_region(&[0, 0, 0], &shape, &whole, None).unwrap();
        for k in 0..3 {
            // The whole array first: a destination of 40 MiB or more,
            // where rows are streamed.
            let start: Vec<u64> = shape
                .iter()
                .map(|&n| rng.range(0, n / 8) * (k > 0) as u64)
                .collect();
            let size: Vec<u64> = shape
                .iter()
                .zip(&start)
                .map(|(&n, &s)| {
                    if k == 0 {
                        n
                    } else {
                        rng.range((n - s) * 3 / 4, n - s)
                    }
                })
                .collect();
            // Rows of the region `pitch` elements apart, planes `plane`.
            let pitch = size[2] + *rng.pick(&[0, 0, 8, 13]);
            let plane = pitch * size[1];
            let strides = [plane as i64, pitch as i64, 1];
            let skew = *rng.pick(&[0usize, 16, 48]);
            let len = ((size[0] - 1) * plane + (size[1] - 1) * pitch + size[2]) as usize * 2;
            let mut buf = vec![0xEEu8; skew + len + 64];
            // Past a 64-byte line by `skew`, as malloc's blocks are by 16.
            let line = (64 - buf.as_ptr() as usize % 64) % 64;
            let out = &mut buf[line..][skew..skew + len];
            a.read_region(&start, &size, out, Some(&strides)).unwrap();
            let case =
                format!("chunks {chunk}, region {start:?} + {size:?}, pitch {pitch}, skew {skew}");
            for z in 0..size[0] {
                for y in 0..size[1] {
                    let row = ((z * plane + y * pitch) * 2) as usize;
                    for x in 0..size[2] {
                        let got = u16::from_ne_bytes([
                            out[row + 2 * x as usize],
                            out[row + 2 * x as usize + 1],
                        ]);
                        let want = large_value(start[0] + z, start[1] + y, start[2] + x);
                        assert_eq!(got, want, "{case}: element ({z}, {y}, {x})");
                    }
                    if y + 1 < size[1] || z + 1 < size[0] {
                        let gap = &out[row + size[2] as usize * 2..row + pitch as usize * 2];
                        assert!(
                            gap.iter().all(|&b| b == 0xEE),
                            "{case}: gap after row ({z}, {y}) written"
                        );
                    }
                }
            }
            let before = &buf[..line + skew];
            assert!(
                before.iter().all(|&b| b == 0xEE),
                "{case}: bytes before the buffer written"
            );
            let after = &buf[line + skew + len..];
            assert!(
                after.iter().all(|&b| b == 0xEE),
                "{case}: bytes after the buffer written"
            );
        }
    }
}
