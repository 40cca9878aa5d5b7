//! Thread pools owned by the library. No environment variable is read: the
//! default pool has one thread per core until `set_default_threads` changes
//! it, and each array may ask for its own count (1 = the calling thread).

use crate::error::{internal, Result};
use rayon::prelude::*;
use rayon::{ThreadPool, ThreadPoolBuilder};
use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex, OnceLock};

/// The most threads (or requests in flight) one setting may ask for: each
/// count has its own pool, kept for the life of the process. Larger
/// settings from Rust are taken as this; the C API refuses them.
pub(crate) const MAX_THREADS: usize = 1024;

struct Pools {
    /// The process the pools were started in: after fork() the child has
    /// none of their threads, so it starts its own.
    pid: u32,
    default_threads: usize,
    /// Requests in flight at once (0 = as many as decode threads).
    default_io: usize,
    by_size: HashMap<usize, Arc<ThreadPool>>,
}

fn pools() -> &'static Mutex<Pools> {
    static POOLS: OnceLock<Mutex<Pools>> = OnceLock::new();
    POOLS.get_or_init(|| {
        Mutex::new(Pools {
            pid: std::process::id(),
            default_threads: cores(),
            default_io: 0,
            by_size: HashMap::new(),
        })
    })
}

fn lock() -> std::sync::MutexGuard<'static, Pools> {
    // The map is only ever inserted into; a poisoned lock holds valid data.
    pools().lock().unwrap_or_else(|e| e.into_inner())
}

/// The number of cores available to this process.
pub fn cores() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

/// Set the library-wide default thread count (0 = one per core).
pub fn set_default_threads(n: usize) {
    lock().default_threads = if n == 0 { cores() } else { n.min(MAX_THREADS) };
}

/// The library-wide default thread count.
pub fn default_threads() -> usize {
    lock().default_threads
}

/// Set the library-wide default I/O concurrency: how many store requests
/// a read keeps in flight (0 = as many as decode threads). Separate from
/// decode threads so that slow stores can have many requests waiting while
/// decoding still uses only the cores.
pub fn set_default_io_concurrency(n: usize) {
    lock().default_io = n.min(MAX_THREADS);
}

/// The library-wide default I/O concurrency (0 = as many as decode threads).
pub fn default_io_concurrency() -> usize {
    lock().default_io
}

/// The workers for one call and the gate that holds decoding to `threads`
/// of them: `threads` and `io` are per-object settings (0 = default).
pub fn plan(threads: usize, io: usize) -> (usize, Gate) {
    let decode = resolve(threads);
    let io = if io == 0 {
        default_io_concurrency()
    } else {
        io.min(MAX_THREADS)
    };
    if io > decode {
        (io, Gate::new(Some(decode)))
    } else {
        (decode, Gate::new(None))
    }
}

/// Limits how many workers run CPU-heavy work (decoding) at once while more
/// workers wait on I/O.
pub struct Gate {
    permits: Option<(Mutex<usize>, Condvar)>,
}

impl Gate {
    pub fn new(limit: Option<usize>) -> Gate {
        Gate {
            permits: limit.map(|n| (Mutex::new(n.max(1)), Condvar::new())),
        }
    }

    /// Run `f` holding one permit.
    pub fn run<T>(&self, f: impl FnOnce() -> T) -> T {
        let Some((count, cv)) = &self.permits else {
            return f();
        };
        {
            let mut c = count.lock().unwrap_or_else(|e| e.into_inner());
            while *c == 0 {
                c = cv.wait(c).unwrap_or_else(|e| e.into_inner());
            }
            *c -= 1;
        }
        // Give the permit back even if `f` panics.
        struct Release<'a>(&'a Mutex<usize>, &'a Condvar);
        impl Drop for Release<'_> {
            fn drop(&mut self) {
                *self.0.lock().unwrap_or_else(|e| e.into_inner()) += 1;
                self.1.notify_one();
            }
        }
        let _release = Release(count, cv);
        f()
    }
}

/// Resolve a per-object setting (0 = library default).
pub fn resolve(threads: usize) -> usize {
    if threads == 0 {
        default_threads()
    } else {
        threads.min(MAX_THREADS)
    }
}

thread_local! {
    /// Set on the worker threads of the library's own pools.
    static IN_OUR_POOL: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether the calling thread is a worker of one of the library's pools
/// (not merely some rayon pool: a host's own rayon workers call in like
/// any other thread, and the array's thread count applies).
fn in_our_pool() -> bool {
    IN_OUR_POOL.with(|c| c.get())
}

fn pool(n: usize) -> Result<Arc<ThreadPool>> {
    let mut p = lock();
    if p.pid != std::process::id() {
        // A forked child: the parent's worker threads do not exist here, and
        // dropping their pools would wait for them forever, so leak them.
        std::mem::forget(std::mem::take(&mut p.by_size));
        p.pid = std::process::id();
    }
    if let Some(pool) = p.by_size.get(&n) {
        return Ok(pool.clone());
    }
    let pool = Arc::new(
        ThreadPoolBuilder::new()
            .num_threads(n)
            .thread_name(|i| format!("zarrio-{i}"))
            .start_handler(|_| IN_OUR_POOL.with(|c| c.set(true)))
            .build()
            .map_err(|e| internal(format!("cannot start a thread pool: {e}")))?,
    );
    p.by_size.insert(n, pool.clone());
    Ok(pool)
}

/// Run `f(i)` for every `i` in `0..n` with `threads` threads (0 = default),
/// returning the first error. With one thread, or one task, everything
/// runs on the calling thread.
pub fn for_each<F>(threads: usize, n: usize, f: F) -> Result<()>
where
    F: Fn(usize) -> Result<()> + Send + Sync,
{
    let threads = resolve(threads);
    if threads <= 1 || n <= 1 {
        return (0..n).try_for_each(f);
    }
    if in_our_pool() {
        // Already inside one of our pools: nest, rayon schedules the work.
        return (0..n).into_par_iter().try_for_each(f);
    }
    pool(threads)?.install(|| (0..n).into_par_iter().try_for_each(f))
}

/// Compute `f(i)` for every `i` in `0..n` with `threads` threads (0 =
/// default), in order, or the first error. The results' vector is
/// allocated fallibly up front (`n` can come from data, e.g. a shard's
/// inner chunk count), and filled in place.
pub fn map<T, F>(threads: usize, n: usize, f: F) -> Result<Vec<T>>
where
    T: Send,
    F: Fn(usize) -> Result<T> + Send + Sync,
{
    let threads = resolve(threads);
    if threads <= 1 || n <= 1 {
        let mut out = crate::alloc::with_capacity(n)?;
        for i in 0..n {
            out.push(f(i)?);
        }
        return Ok(out);
    }
    let mut slots: Vec<Option<T>> = crate::alloc::with_capacity(n)?;
    slots.resize_with(n, || None);
    let fill = |slots: &mut [Option<T>]| {
        slots
            .par_iter_mut()
            .enumerate()
            .try_for_each(|(i, slot)| f(i).map(|v| *slot = Some(v)))
    };
    if in_our_pool() {
        fill(&mut slots)?;
    } else {
        pool(threads)?.install(|| fill(&mut slots))?;
    }
    // Collected in place: the results reuse the slots' allocation.
    Ok(slots
        .into_iter()
        .map(|v| v.expect("every slot is filled when no call failed"))
        .collect())
}
