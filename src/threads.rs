//! Thread pools owned by the library. No environment variable is read: the
//! default pool has one thread per core until `set_default_threads` changes
//! it, and each array may ask for its own count (1 = the calling thread).

use crate::error::{internal, Result};
use rayon::prelude::*;
use rayon::{ThreadPool, ThreadPoolBuilder};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};

/// The most threads (or requests in flight) one setting may ask for: each
/// count has its own pool. Larger settings from Rust are taken as this;
/// the C API refuses them.
pub(crate) const MAX_THREADS: usize = 1024;

/// How many threads the pools kept between calls may hold together (the
/// pool of the count used last is kept whatever its size): a host that
/// keeps changing its thread count does not pile up idle threads, and one
/// whose arrays use a few counts does not start them again and again. A
/// pool dropped from the list ends its threads once the calls using it
/// return.
const THREADS_KEPT: usize = 512;

/// The library-wide default thread count (0 until set: one per core).
static DEFAULT_THREADS: AtomicUsize = AtomicUsize::new(0);
/// Requests in flight at once (0 = as many as decode threads).
static DEFAULT_IO: AtomicUsize = AtomicUsize::new(0);

/// The pools, under one lock that is held only to look up, insert and
/// remove them (pools are started and ended outside it), and across
/// fork() (`fork_held`): a child never finds it held by a thread it does
/// not have.
struct Pools {
    /// The process the pools were started in: after fork() the child has
    /// none of their threads, so it starts its own.
    pid: u32,
    /// Pools by size, with when each was last handed out.
    by_size: HashMap<usize, (Arc<ThreadPool>, u64)>,
    /// Counts hand-outs, for the least recently used pool.
    uses: u64,
}

fn pools() -> &'static Mutex<Pools> {
    static POOLS: OnceLock<Mutex<Pools>> = OnceLock::new();
    POOLS.get_or_init(|| {
        crate::fork_held::hold_across_fork::<Pools>();
        Mutex::new(Pools {
            pid: std::process::id(),
            by_size: HashMap::new(),
            uses: 0,
        })
    })
}

impl crate::fork_held::HeldAcrossFork for Pools {
    fn fork_lock() -> &'static Mutex<Pools> {
        pools()
    }
}

fn lock() -> MutexGuard<'static, Pools> {
    // Every change leaves the map whole; a poisoned lock holds valid data.
    pools().lock().unwrap_or_else(|e| e.into_inner())
}

/// The number of cores available to this process, found once (std's
/// answer reads the affinity mask and cgroup files, and every call that
/// takes the default thread count asks).
pub fn cores() -> usize {
    static CORES: AtomicUsize = AtomicUsize::new(0);
    match CORES.load(Ordering::Relaxed) {
        0 => {
            let n = std::thread::available_parallelism().map_or(1, |n| n.get());
            CORES.store(n, Ordering::Relaxed);
            n
        }
        n => n,
    }
}

/// Set the library-wide default thread count (0 = one per core).
pub fn set_default_threads(n: usize) {
    DEFAULT_THREADS.store(n.min(MAX_THREADS), Ordering::Relaxed);
}

/// The library-wide default thread count.
pub fn default_threads() -> usize {
    match DEFAULT_THREADS.load(Ordering::Relaxed) {
        0 => cores(),
        n => n,
    }
}

/// Set the library-wide default I/O concurrency: how many store requests
/// a read keeps in flight (0 = as many as decode threads). Separate from
/// decode threads so that slow stores can have many requests waiting while
/// decoding still uses only the cores.
pub fn set_default_io_concurrency(n: usize) {
    DEFAULT_IO.store(n.min(MAX_THREADS), Ordering::Relaxed);
}

/// The library-wide default I/O concurrency (0 = as many as decode threads).
pub fn default_io_concurrency() -> usize {
    DEFAULT_IO.load(Ordering::Relaxed)
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

thread_local! {
    /// Set while a call runs on the calling thread alone (a count of 1):
    /// the stages nested in it stay there, whatever the count says by
    /// then (another thread may change an array's setting mid-call).
    static SEQUENTIAL: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Run `f` on the calling thread with nested calls held to it too.
pub(crate) fn sequentially<T>(f: impl FnOnce() -> T) -> T {
    with_sequential(true, f)
}

/// Run `f` with the calling thread's hold on nested calls set to `hold`,
/// restored after (a panic included).
fn with_sequential<T>(hold: bool, f: impl FnOnce() -> T) -> T {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            SEQUENTIAL.with(|c| c.set(self.0));
        }
    }
    let _restore = Restore(SEQUENTIAL.with(|c| c.replace(hold)));
    f()
}

/// Run a host's code (a store callback): a call it makes into the library
/// is a call of its own, on the counts its arrays have, however the call
/// that reached the host runs; but on a worker of the library's pools it
/// runs on that worker alone. A worker waiting for work it handed to its
/// pool takes other queued work meanwhile: other tasks of the call that
/// reached the host, whose callbacks would run nested in the host's own
/// (on a thread holding the host's locks), and tasks that wait for
/// something this one holds (a shard's creation turn).
pub(crate) fn host_code<T>(f: impl FnOnce() -> T) -> T {
    with_sequential(in_our_pool(), f)
}

/// The threads a stage runs on: `threads` resolved, or 1 inside a call
/// running on the calling thread alone.
fn stage_threads(threads: usize) -> usize {
    if SEQUENTIAL.with(|c| c.get()) {
        1
    } else {
        resolve(threads)
    }
}

/// Whether the calling thread is a worker of one of the library's pools
/// (not merely some rayon pool: a host's own rayon workers call in like
/// any other thread, and the array's thread count applies).
fn in_our_pool() -> bool {
    IN_OUR_POOL.with(|c| c.get())
}

fn pool(n: usize) -> Result<Arc<ThreadPool>> {
    // The pools a new one displaces are dropped after the lock is released
    // (their threads end once the last call using them returns).
    let displaced;
    {
        let mut p = lock();
        if p.pid != std::process::id() {
            // A forked child: the parent's worker threads do not exist here,
            // and dropping their pools would wait for them forever, so leak
            // them.
            std::mem::forget(std::mem::take(&mut p.by_size));
            p.pid = std::process::id();
        }
        p.uses += 1;
        let now = p.uses;
        if let Some((pool, used)) = p.by_size.get_mut(&n) {
            *used = now;
            return Ok(pool.clone());
        }
        displaced = make_room(&mut p, n);
    }
    drop(displaced);
    // Started outside the lock: starting threads takes long enough for a
    // fork() on another thread to wait on it.
    let pool = Arc::new(
        ThreadPoolBuilder::new()
            .num_threads(n)
            .thread_name(|i| format!("zarrio-{i}"))
            .start_handler(|_| IN_OUR_POOL.with(|c| c.set(true)))
            .build()
            .map_err(|e| internal(format!("cannot start a thread pool: {e}")))?,
    );
    let mut p = lock();
    // Other threads may have started pools meanwhile.
    let displaced = if p.by_size.contains_key(&n) {
        Vec::new()
    } else {
        make_room(&mut p, n)
    };
    let now = p.uses;
    let kept = p.by_size.entry(n).or_insert((pool, now)).0.clone();
    drop(p);
    drop(displaced);
    Ok(kept)
}

/// Take out the least recently used pools until one of `n` threads fits
/// within `THREADS_KEPT`, for the caller to drop outside the lock.
fn make_room(p: &mut Pools, n: usize) -> Vec<(Arc<ThreadPool>, u64)> {
    let mut displaced = Vec::new();
    while !p.by_size.is_empty() && p.by_size.keys().sum::<usize>() + n > THREADS_KEPT {
        let oldest = p
            .by_size
            .iter()
            .min_by_key(|(_, (_, used))| *used)
            .map(|(size, _)| *size)
            .expect("not empty");
        displaced.extend(p.by_size.remove(&oldest));
    }
    displaced
}

/// Run `f(i)` for every `i` in `0..n` with `threads` threads (0 = default),
/// returning the first error. With one thread, or one task, everything
/// runs on the calling thread.
pub fn for_each<F>(threads: usize, n: usize, f: F) -> Result<()>
where
    F: Fn(usize) -> Result<()> + Send + Sync,
{
    let threads = stage_threads(threads);
    if threads <= 1 {
        return sequentially(|| (0..n).try_for_each(f));
    }
    if n <= 1 {
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
    let threads = stage_threads(threads);
    if threads <= 1 || n <= 1 {
        let run = || {
            let mut out = crate::alloc::with_capacity(n)?;
            for i in 0..n {
                out.push(f(i)?);
            }
            Ok(out)
        };
        return if threads <= 1 {
            sequentially(run)
        } else {
            run()
        };
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    /// Stages nested in a call running on the calling thread stay there,
    /// even when they ask for more threads (a setting changed mid-call).
    #[test]
    fn nested_stages_of_a_one_thread_call_stay_on_the_calling_thread() {
        let caller = std::thread::current().id();
        let seen = Mutex::new(HashSet::new());
        for_each(1, 3, |_| {
            for_each(4, 8, |_| {
                seen.lock().unwrap().insert(std::thread::current().id());
                Ok(())
            })?;
            let ids = map(4, 8, |_| Ok(std::thread::current().id()))?;
            seen.lock().unwrap().extend(ids);
            Ok(())
        })
        .unwrap();
        assert_eq!(*seen.lock().unwrap(), HashSet::from([caller]));
        // The hold ends with the call.
        let after = map(2, 64, |_| {
            std::thread::sleep(std::time::Duration::from_millis(1));
            Ok(std::thread::current().id())
        })
        .unwrap();
        assert!(after.iter().any(|id| *id != caller));
    }

    /// Counts used one after another keep a bounded number of threads.
    #[test]
    fn pools_of_many_sizes_are_not_all_kept() {
        for n in (2..=200).step_by(9) {
            for_each(n, n, |_| Ok(())).unwrap();
        }
        let kept = lock().by_size.keys().sum::<usize>();
        assert!(kept <= THREADS_KEPT, "{kept}");
    }
}
