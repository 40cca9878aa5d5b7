//! Shared pieces: datasets' geometry, destination buffers, the checksum,
//! timing, peak memory and the JSON line every run prints.

use std::alloc::{alloc, dealloc, Layout};
use std::path::{Path, PathBuf};
use std::time::Instant;

pub type R<T> = Result<T, String>;

/// The four reference datasets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dataset {
    /// Uncompressed, 256^3 chunks.
    U,
    /// zstd level 0, 256^3 chunks.
    Z,
    /// 256^3 shards of 64^3 inner chunks, zstd level 0 inside, bytes+crc32c index at the end.
    S,
    /// zstd level 0, 32^3 chunks.
    Small,
}

pub const ALL_DATASETS: [Dataset; 4] = [Dataset::U, Dataset::Z, Dataset::S, Dataset::Small];

impl Dataset {
    pub fn parse(s: &str) -> R<Self> {
        match s {
            "U" | "u" => Ok(Self::U),
            "Z" | "z" => Ok(Self::Z),
            "S" | "s" => Ok(Self::S),
            "small" | "SMALL" | "Small" => Ok(Self::Small),
            _ => Err(format!("unknown dataset {s:?} (U, Z, S, small)")),
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Self::U => "U",
            Self::Z => "Z",
            Self::S => "S",
            Self::Small => "small",
        }
    }
    /// Edge of the chunk-grid cell (the shard for S).
    pub fn chunk(self) -> u64 {
        match self {
            Self::Small => 32,
            _ => 256,
        }
    }
    /// Edge of the smallest independently encoded unit (inner chunk for S).
    pub fn inner(self) -> u64 {
        match self {
            Self::S => 64,
            d => d.chunk(),
        }
    }
    pub fn compressed(self) -> bool {
        self != Self::U
    }
    /// The array's directory inside the data dir.
    pub fn path(self, dir: &Path) -> PathBuf {
        dir.join(format!("{}.zarr", self.name()))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Workload {
    ReadAll,
    /// Read everything into one Fortran-order (column-major) buffer, as
    /// Julia and Fortran callers hold arrays.
    ReadAllF,
    ByChunk,
    ByInner,
    Roundtrip,
}

impl Workload {
    pub fn parse(s: &str) -> R<Self> {
        match s {
            "read_all" => Ok(Self::ReadAll),
            "read_all_f" => Ok(Self::ReadAllF),
            "by_chunk" => Ok(Self::ByChunk),
            "by_inner" => Ok(Self::ByInner),
            "roundtrip" => Ok(Self::Roundtrip),
            _ => Err(format!(
                "unknown workload {s:?} (read_all, read_all_f, by_chunk, by_inner, roundtrip)"
            )),
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Self::ReadAll => "read_all",
            Self::ReadAllF => "read_all_f",
            Self::ByChunk => "by_chunk",
            Self::ByInner => "by_inner",
            Self::Roundtrip => "roundtrip",
        }
    }
}

/// The value of element (z, y, x): the zarr_benchmarks formula.
#[inline]
pub fn value(z: u64, y: u64, x: u64) -> u16 {
    ((x + y * y / 32 + z * z * z) % 65536) as u16
}

/// A cubic region of the array.
#[derive(Clone, Copy, Debug)]
pub struct Region {
    pub start: [u64; 3],
    pub edge: u64,
}

impl Region {
    /// All of an `n`^3 array.
    pub fn whole(n: u64) -> Region {
        Region {
            start: [0; 3],
            edge: n,
        }
    }
    pub fn shape(&self) -> [u64; 3] {
        [self.edge; 3]
    }
    pub fn bytes(&self) -> usize {
        (self.edge * self.edge * self.edge * 2) as usize
    }
}

/// The regions of edge `edge` tiling an n^3 array, in C order of the grid.
pub fn regions(n: u64, edge: u64) -> Vec<Region> {
    let g = n / edge;
    let mut v = Vec::with_capacity((g * g * g) as usize);
    for a in 0..g {
        for b in 0..g {
            for c in 0..g {
                v.push(Region {
                    start: [a * edge, b * edge, c * edge],
                    edge,
                });
            }
        }
    }
    v
}

/// A destination buffer allocated like C's malloc (Rust's global allocator,
/// which is glibc malloc here): uninitialised, so the first touch happens
/// inside the library call, as it would for a user.
///
/// Note: with glibc, whether a large malloc returns a fresh mapping or
/// recycled, already-faulted heap pages depends on the process's earlier
/// frees (the dynamic mmap threshold); a library's own allocation pattern
/// thus changes how much first-touch cost its caller's buffers carry. That
/// is what a user gets, so the harness does not hide it (see BENCHMARKS.md).
pub struct Buf {
    ptr: *mut u8,
    len: usize,
    align: usize,
}

unsafe impl Send for Buf {}
unsafe impl Sync for Buf {}

const HUGE: usize = 2 << 20;

/// The alignment Rust-side destinations are allocated with: 16 (plain
/// `malloc`) unless ZARRIO_BENCH_ALIGN says otherwise (a power of two).
pub fn dest_align() -> usize {
    static ALIGN: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *ALIGN.get_or_init(|| match std::env::var("ZARRIO_BENCH_ALIGN") {
        Err(_) => 16,
        Ok(v) => match v.parse::<usize>() {
            Ok(a) if a.is_power_of_two() => a,
            _ => panic!("ZARRIO_BENCH_ALIGN={v}: not a power of two"),
        },
    })
}

/// How the measured implementation's destinations were allocated: the
/// alignment `Buf::new` used for the Rust implementations (and the plain
/// memcpy floor), or "thp" (2 MiB aligned and huge-page advised: the other
/// floors, and everything under ZARRIO_BENCH_THP=1).
fn dest_kind(imp: &str) -> serde_json::Value {
    let thp = std::env::var("ZARRIO_BENCH_THP").is_ok_and(|v| v == "1");
    let harness_buf = matches!(imp, "zarrio" | "zarrs" | "zarrs_ffi" | "memcpy_malloc");
    if harness_buf && !thp {
        dest_align().into()
    } else {
        "thp".into()
    }
}

impl Buf {
    pub fn new(len: usize) -> Self {
        assert!(len > 0);
        // Diagnostic: ZARRIO_BENCH_THP=1 hands every implementation huge-page
        // advised destinations, as numpy gives the Python peers.
        static THP: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        if *THP.get_or_init(|| std::env::var("ZARRIO_BENCH_THP").is_ok_and(|v| v == "1"))
            && len >= HUGE
        {
            return Self::new_thp(len);
        }
        // Alignment 16 is plain `malloc` (Rust's system allocator calls it
        // for alignments up to 16): large blocks start 16 bytes past a page.
        // Diagnostic: ZARRIO_BENCH_ALIGN=64 allocates like
        // `posix_memalign(64, ...)`, as Julia's arrays are aligned.
        Self::alloc(len, dest_align())
    }
    fn alloc(len: usize, align: usize) -> Self {
        let layout = Layout::from_size_align(len, align).unwrap();
        // SAFETY: non-zero size.
        let ptr = unsafe { alloc(layout) };
        assert!(!ptr.is_null(), "allocation of {len} bytes failed");
        Self { ptr, len, align }
    }
    /// As `new`, but 2 MiB aligned and advised for transparent huge pages
    /// (MADV_HUGEPAGE, what numpy does for large arrays): the floor's buffers.
    pub fn new_thp(len: usize) -> Self {
        let b = Self::alloc(len, HUGE);
        if len >= HUGE {
            unsafe {
                libc::madvise(
                    b.ptr as *mut libc::c_void,
                    len / HUGE * HUGE,
                    libc::MADV_HUGEPAGE,
                )
            };
        }
        b
    }
    pub fn len(&self) -> usize {
        self.len
    }
    pub fn as_mut_ptr(&mut self) -> *mut u8 {
        self.ptr
    }
    pub fn as_ptr(&self) -> *const u8 {
        self.ptr
    }
    /// Only after something wrote every byte.
    pub fn as_slice(&self) -> &[u8] {
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }
    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        unsafe { std::slice::from_raw_parts_mut(self.ptr, self.len) }
    }
}

impl Drop for Buf {
    fn drop(&mut self) {
        unsafe {
            dealloc(
                self.ptr,
                Layout::from_size_align(self.len, self.align).unwrap(),
            )
        }
    }
}

/// What one repetition read: the whole array, or one buffer per region.
/// Checksummed after the clock stops.
pub enum Output {
    Full(Buf),
    /// The whole array in Fortran order (z fastest).
    FullF(Buf),
    Parts(Vec<(Region, Buf)>),
    /// One buffer holding the regions back to back (chunk layout).
    Chunked(Buf, Vec<Region>),
}

/// Checksum of a C-order region of the n^3 array:
/// sum of value * (1 + z*n + y) over its elements, mod 2^64. Linear in the
/// elements, so it does not depend on how the array was cut into reads.
pub fn checksum_region(n: u64, start: [u64; 3], shape: [u64; 3], data: &[u8]) -> u64 {
    assert_eq!(data.len() as u64, shape[0] * shape[1] * shape[2] * 2);
    let row = shape[2] as usize * 2;
    let mut acc = 0u64;
    for (i, chunk) in data.chunks_exact(row).enumerate() {
        let z = start[0] + i as u64 / shape[1];
        let y = start[1] + i as u64 % shape[1];
        let mut s = 0u64;
        for p in chunk.chunks_exact(2) {
            s += u16::from_ne_bytes([p[0], p[1]]) as u64;
        }
        acc = acc.wrapping_add(s.wrapping_mul(1 + z * n + y));
    }
    acc
}

/// `checksum_region` of the whole array held in Fortran order: element
/// (z, y, x) at z + y*n + x*n*n.
fn checksum_fortran(n: u64, data: &[u8]) -> u64 {
    assert_eq!(data.len() as u64, n * n * n * 2);
    let mut acc = 0u64;
    for (i, column) in data.chunks_exact(n as usize * 2).enumerate() {
        let y = i as u64 % n;
        for (z, p) in column.chunks_exact(2).enumerate() {
            let v = u16::from_ne_bytes([p[0], p[1]]) as u64;
            acc = acc.wrapping_add(v.wrapping_mul(1 + z as u64 * n + y));
        }
    }
    acc
}

pub fn checksum_output(n: u64, out: &Output) -> u64 {
    match out {
        Output::Full(b) => checksum_region(n, [0; 3], [n; 3], b.as_slice()),
        Output::FullF(b) => checksum_fortran(n, b.as_slice()),
        Output::Parts(parts) => parts.iter().fold(0u64, |a, (r, b)| {
            a.wrapping_add(checksum_region(n, r.start, r.shape(), b.as_slice()))
        }),
        Output::Chunked(b, regions) => {
            let mut off = 0;
            let mut acc = 0u64;
            for r in regions {
                acc = acc.wrapping_add(checksum_region(
                    n,
                    r.start,
                    r.shape(),
                    &b.as_slice()[off..off + r.bytes()],
                ));
                off += r.bytes();
            }
            acc
        }
    }
}

/// The checksum every implementation must report: computed from the formula.
pub fn expected_checksum(n: u64) -> u64 {
    let mut acc = 0u64;
    for z in 0..n {
        for y in 0..n {
            let mut s = 0u64;
            for x in 0..n {
                s += value(z, y, x) as u64;
            }
            acc = acc.wrapping_add(s.wrapping_mul(1 + z * n + y));
        }
    }
    acc
}

/// Peak resident set of this process so far, in MiB.
pub fn peak_rss_mib() -> f64 {
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    ru.ru_maxrss as f64 / 1024.0
}

/// Field `k` of /proc/self/statm (pages), in MiB.
fn statm_mib(k: usize) -> f64 {
    let s = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: f64 = s
        .split_whitespace()
        .nth(k)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    pages * 4096.0 / 1024.0 / 1024.0
}

/// Current resident set, in MiB.
pub fn rss_mib() -> f64 {
    statm_mib(1)
}

/// The file-backed part of the resident set (mostly program and library
/// code as it is first run), in MiB.
pub fn file_rss_mib() -> f64 {
    statm_mib(2)
}

pub fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let m = s.len() / 2;
    if s.len() % 2 == 1 {
        s[m]
    } else {
        (s[m - 1] + s[m]) / 2.0
    }
}

/// The settings of one measurement.
pub struct RunSpec {
    pub imp: String,
    pub workload: Workload,
    pub dataset: Dataset,
    pub concurrency: usize,
    pub dir: PathBuf,
    /// Where round trips write their copies (`--scratch`, default
    /// `DIR/scratch`).
    pub scratch: PathBuf,
    pub n: u64,
    pub reps: usize,
    pub warmup: usize,
    /// Stop after this many timed seconds (at least 3 repetitions).
    pub budget_s: f64,
    /// zarrio only: the library's thread count (0 = its default, one per
    /// core) for the calls that use the library default.
    pub lib_threads: u32,
}

/// Run `rep` `warmup` + `reps` times, checksum each output after its clock
/// stops, and return the JSON line to print.
/// `prepare` runs before each repetition, outside the clock (e.g. to empty
/// the round trip's scratch directory).
pub fn measure(
    spec: &RunSpec,
    note: &str,
    mut prepare: impl FnMut(usize) -> R<()>,
    mut rep: impl FnMut(usize) -> R<Output>,
) -> R<serde_json::Value> {
    let base = rss_mib();
    let base_file = file_rss_mib();
    let mut times = Vec::new();
    let mut checksums = Vec::new();
    let done = |times: &Vec<f64>| {
        let timed: f64 = times.iter().sum();
        // At least 3 timed repetitions, 2 when one takes longer than the budget.
        let min_reps = if times.first().is_some_and(|&t| t > spec.budget_s) {
            2
        } else {
            3
        };
        times.len() >= spec.reps
            || (times.len() >= min_reps.min(spec.reps) && timed >= spec.budget_s)
    };
    let mut i = 0;
    loop {
        prepare(i)?;
        let t = Instant::now();
        let out = rep(i)?;
        let dt = t.elapsed().as_secs_f64();
        if i >= spec.warmup {
            times.push(dt);
        }
        let last = done(&times);
        // Checksum the first and the last repetition (keeps the run short).
        if i == 0 || last {
            checksums.push(checksum_output(spec.n, &out));
        }
        drop(out);
        i += 1;
        if last {
            break;
        }
    }
    let consistent = checksums.windows(2).all(|w| w[0] == w[1]);
    let line = serde_json::json!({
        "impl": spec.imp,
        "workload": spec.workload.name(),
        "dataset": spec.dataset.name(),
        "concurrency": spec.concurrency,
        "lib_threads": spec.lib_threads,
        "n": spec.n,
        "decoded_bytes": spec.n * spec.n * spec.n * 2,
        "times": times,
        "median_s": median(&times),
        "checksum": format!("{:016x}", checksums[0]),
        "checksum_stable": consistent,
        "peak_rss_mib": peak_rss_mib(),
        "base_rss_mib": base,
        // Code paged in during the repetitions: resident, but not memory
        // the measured calls allocated.
        "file_rss_growth_mib": file_rss_mib() - base_file,
        "note": note,
        // How this implementation's destinations were allocated.
        "dest_align": dest_kind(&spec.imp),
    });
    Ok(line)
}

/// Split `0..len` items over `threads` workers pulling from a shared counter.
pub fn parallel_for(threads: usize, len: usize, f: impl Fn(usize) -> R<()> + Sync) -> R<()> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let next = AtomicUsize::new(0);
    let worker = || -> R<()> {
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= len {
                return Ok(());
            }
            f(i)?;
        }
    };
    if threads <= 1 {
        return worker();
    }
    std::thread::scope(|s| {
        let hs: Vec<_> = (0..threads).map(|_| s.spawn(worker)).collect();
        let mut r = Ok(());
        for h in hs {
            let x = h.join().map_err(|_| "worker panicked".to_string())?;
            if r.is_ok() {
                r = x;
            }
        }
        r
    })
}

/// The edge size of a generated data dir (from its manifest).
pub fn dataset_n(dir: &Path) -> R<u64> {
    let text = std::fs::read_to_string(dir.join("manifest.json")).map_err(|e| {
        format!(
            "{}: {e} (run `generate` first)",
            dir.join("manifest.json").display()
        )
    })?;
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    v["n"]
        .as_u64()
        .ok_or_else(|| "manifest.json: no n".to_string())
}

/// Where implementation `imp` writes its round-trip copy of the spec's
/// dataset.
pub fn scratch_copy(spec: &RunSpec, imp: &str) -> PathBuf {
    spec.scratch.join(format!("{imp}-{}", spec.dataset.name()))
}

/// Where earlier round-trip copies are moved to (see `fresh_copy_dir`).
const RETIRED: &str = ".retired";

/// Give a round trip an empty directory at `p` for its copy. An earlier
/// copy there is not deleted but moved to `.retired` beside it and its
/// files truncated to nothing: their space is freed, their inodes stay in
/// use until the run ends. On ext4 without a journal, creating a file
/// skips, one by one, every inode deleted in the last minute or more, and
/// a round trip of the small set deleting and creating thousands of
/// files per repetition measured that scan more than the libraries
/// (BENCHMARKS.md, "Round-trip copies and the filesystem").
pub fn fresh_copy_dir(p: &Path) -> R<()> {
    let err = |q: &Path, e: std::io::Error| format!("{}: {e}", q.display());
    if p.exists() {
        let parent = p
            .parent()
            .ok_or_else(|| format!("{}: no parent", p.display()))?;
        let retired = parent.join(RETIRED);
        std::fs::create_dir_all(&retired).map_err(|e| err(&retired, e))?;
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        let to = retired.join(format!("{name}-{}-{stamp}", std::process::id()));
        std::fs::rename(p, &to).map_err(|e| err(p, e))?;
        truncate_files(&to)?;
    }
    std::fs::create_dir_all(p).map_err(|e| err(p, e))
}

/// Truncate every regular file under `dir` to length 0.
fn truncate_files(dir: &Path) -> R<()> {
    for entry in std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))? {
        let entry = entry.map_err(|e| format!("{}: {e}", dir.display()))?;
        let path = entry.path();
        let kind = entry
            .file_type()
            .map_err(|e| format!("{}: {e}", path.display()))?;
        if kind.is_dir() {
            truncate_files(&path)?;
        } else if kind.is_file() {
            std::fs::OpenOptions::new()
                .write(true)
                .open(&path)
                .and_then(|f| f.set_len(0))
                .map_err(|e| format!("{}: {e}", path.display()))?;
        }
    }
    Ok(())
}

/// Empty (recreate) a scratch directory.
pub fn fresh_dir(p: &Path) -> R<()> {
    if p.exists() {
        std::fs::remove_dir_all(p).map_err(|e| format!("{}: {e}", p.display()))?;
    }
    std::fs::create_dir_all(p).map_err(|e| format!("{}: {e}", p.display()))
}

/// Read all of an `n`^3 array into one freshly allocated buffer with `read`.
pub fn read_whole(n: u64, read: impl FnOnce(&Region, &mut Buf) -> R<()>) -> R<Buf> {
    let mut b = Buf::new((n * n * n * 2) as usize);
    read(&Region::whole(n), &mut b)?;
    Ok(b)
}

/// Read every region into its own freshly allocated buffer, `threads`
/// workers pulling regions from a shared counter.
pub fn read_units(
    units: &[Region],
    threads: usize,
    read: impl Fn(usize, &Region, &mut Buf) -> R<()> + Sync,
) -> R<Output> {
    let parts = std::sync::Mutex::new(Vec::with_capacity(units.len()));
    parallel_for(threads, units.len(), |i| {
        let r = &units[i];
        let mut b = Buf::new(r.bytes());
        read(i, r, &mut b)?;
        parts.lock().unwrap().push((*r, b));
        Ok(())
    })?;
    Ok(Output::Parts(parts.into_inner().unwrap()))
}
