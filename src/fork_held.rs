//! Locks held across fork(): a process-wide lock another thread holds at
//! the moment of a fork() would stay locked forever in the child, which
//! has only the forking thread. A lock registered here is taken by the
//! forking thread just before fork() and let go just after, in the parent
//! and in the child alike, so the child always finds it free (what the
//! lock guards is whole: no other thread was inside it).

use std::any::Any;
use std::cell::RefCell;
use std::sync::Mutex;

/// A process-wide lock to hold across fork().
pub(crate) trait HeldAcrossFork: Send + 'static {
    /// The lock (one per type, for the process's life).
    fn fork_lock() -> &'static Mutex<Self>;
}

/// Hold `T`'s lock across every later fork(). Call once, where the lock
/// is made.
pub(crate) fn hold_across_fork<T: HeldAcrossFork>() {
    // SAFETY: the handlers only take and let go of `T`'s lock on the
    // forking thread, keeping the guard in that thread's own storage;
    // registering them has no other effect.
    unsafe { libc::pthread_atfork(Some(before_fork::<T>), Some(after_fork), Some(after_fork)) };
}

thread_local! {
    /// The guards the forking thread holds from just before fork() to just
    /// after it (boxed: the locks guard different types).
    static HELD: RefCell<Vec<Box<dyn Any>>> = const { RefCell::new(Vec::new()) };
}

extern "C" fn before_fork<T: HeldAcrossFork>() {
    // A poisoned lock still guards whole data (its users keep it whole).
    let guard = T::fork_lock().lock().unwrap_or_else(|e| e.into_inner());
    HELD.with(|h| h.borrow_mut().push(Box::new(guard)));
}

/// Let go of every lock held across the fork (handlers of later locks
/// then find none left: letting go together is as good as one by one).
extern "C" fn after_fork() {
    let held = HELD.with(|h| std::mem::take(&mut *h.borrow_mut()));
    drop(held);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::OnceLock;
    use std::time::Duration;

    struct Guarded;

    impl HeldAcrossFork for Guarded {
        fn fork_lock() -> &'static Mutex<Guarded> {
            static LOCK: OnceLock<Mutex<Guarded>> = OnceLock::new();
            LOCK.get_or_init(|| {
                hold_across_fork::<Guarded>();
                Mutex::new(Guarded)
            })
        }
    }

    #[test]
    fn a_child_finds_the_lock_free_though_another_thread_held_it_at_the_fork() {
        let lock = Guarded::fork_lock();
        let (locked, wait_locked) = std::sync::mpsc::channel();
        let holder = std::thread::spawn(move || {
            let _held = lock.lock().unwrap();
            locked.send(()).unwrap();
            std::thread::sleep(Duration::from_millis(200));
        });
        wait_locked.recv().unwrap();
        // SAFETY: the child only tries the lock and exits, without
        // unwinding or running the parent's destructors.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0);
        if pid == 0 {
            let free = lock.try_lock().is_ok();
            // SAFETY: ends the child at once, as a forked child of a
            // threaded process should.
            unsafe { libc::_exit(if free { 0 } else { 1 }) };
        }
        let mut status = 0;
        // SAFETY: waits for the child just started.
        assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
        holder.join().unwrap();
        assert!(libc::WIFEXITED(status), "child status {status}");
        assert_eq!(
            libc::WEXITSTATUS(status),
            0,
            "the child found the lock held"
        );
    }
}
