//! The one door to shared-memory primitives.
//!
//! Every atomic and every cross-thread cell in `tether-bridge` comes from this
//! module, never from `std` directly. In a normal build these are the `std`
//! types; built with `RUSTFLAGS="--cfg loom"` they are loom's, which record
//! every access so that loom can run a model under every interleaving of its
//! threads, and the weak-memory outcomes of the C++ memory model that loom
//! implements (`loom-tests/README.md` says which it does not); built with
//! `RUSTFLAGS="--cfg shuttle"` they are shuttle's, whose scheduler picks
//! which thread runs at every one of them, at random or by its PCT
//! algorithm, for programs too large for loom (sequentially consistent
//! only). Code written against this module compiles unchanged in all three
//! builds, which is what lets the checkers check the very code the runtime
//! runs.
//!
//! Shims make the `std` side speak loom's API:
//! - [`UnsafeCell`] offers `with` / `with_mut` (closures receiving a raw
//!   pointer) instead of `get`: loom's cell must know where an access begins
//!   and ends, which a closure marks, and its `get` returns a guard, not a
//!   raw pointer;
//! - [`spin_yield`] is `std::hint::spin_loop` in a normal build and the
//!   checker's `yield_now` under loom or shuttle: a loop that waits for
//!   another thread must yield to the checker, or it sees a thread that
//!   never lets the others run (loom aborts the model; shuttle, which does
//!   make a `try_lock` fail, would spin forever). Most of the bridge has no such loop:
//!   its compare-exchange loops retry because the word changed under them
//!   (or, on real hardware, a weak compare-exchange failed spuriously),
//!   never to wait for another thread, and its waits block on a condition
//!   variable;
//! - [`yield_thread`] is `std::thread::yield_now` in a normal build and
//!   the checker's `yield_now` under loom or shuttle: the one wait that can neither
//!   block nor be told when to stop, because the thread it waits for is a
//!   signal handler, which may not take a lock or signal a condition
//!   variable (`signal.rs`, rule 3), gives the processor away on each turn;
//! - [`lock`] and [`spawn_named`] paper over what the two disagree on
//!   (std's mutex can be poisoned, loom's cannot; loom's threads have no
//!   names), and [`ThreadHandle`] offers `is_finished`, which loom's handles
//!   lack.
//!
//! - [`Thread`], [`ThreadId`], [`current`], [`park`], [`park_timeout`] and
//!   [`thread_local!`](crate::sync::thread_local) are std's, or shuttle's
//!   under shuttle: what a loop needs of its own thread, for the executor
//!   and the reactor (the thread-locals that name the current loop, the
//!   loop thread's id, the park a loop with nothing to watch sleeps in).
//!   Shuttle runs every thread of a model on one thread of the OS, so
//!   std's would be shared by all of them; with these, shuttle runs the
//!   real runtime (`loom-tests/tests/runtime.rs`). Loom does not build the
//!   executor, so they are not offered under loom.
//!
//! One difference cannot be papered over: loom's and shuttle's
//! `Condvar::wait_timeout` never time out. A model therefore checks the paths where the wait ends
//! by a notification; the timeout paths are tested with real time.
//!
//! # Examples
//!
//! Code written against this module, which loom could check unchanged.
//!
//! ```
//! use tether_bridge::sync::{Arc, AtomicUsize, Mutex, Ordering, lock, spawn_named};
//!
//! let hits = Arc::new(AtomicUsize::new(0));
//! let log = Arc::new(Mutex::new(Vec::new()));
//! let worker = {
//!     let (hits, log) = (hits.clone(), log.clone());
//!     spawn_named("worker".into(), move || {
//!         hits.fetch_add(1, Ordering::Relaxed);
//!         lock(&log).push("worker ran");
//!     })
//!     .unwrap()
//! };
//! worker.join().unwrap();
//! assert_eq!(hits.load(Ordering::Relaxed), 1);
//! assert_eq!(*lock(&log), ["worker ran"]);
//! ```

#[cfg(not(any(loom, shuttle)))]
pub use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, AtomicUsize, Ordering, fence};
#[cfg(not(any(loom, shuttle)))]
pub use std::sync::{Arc, Condvar, Mutex, MutexGuard};

#[cfg(shuttle)]
pub use shuttle::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, AtomicUsize, Ordering, fence};
#[cfg(shuttle)]
pub use shuttle::sync::{Arc, Condvar, Mutex, MutexGuard};

// What a loop needs of its own thread, for the executor and the reactor:
// the thread-locals that name the current loop, the thread's identity, and
// the park a loop with nothing to watch sleeps in, unparked by another
// thread's push (`inject.rs`, `Notify::unpark`). Under shuttle these are
// shuttle's: it runs every thread of a model on one thread of the OS, so
// std's thread-locals and ids would be shared by all of them, and std's
// park would block the scheduler itself. (Not under loom, which does not
// build the executor.)
#[cfg(not(any(loom, shuttle)))]
pub use std::thread::{Thread, ThreadId, current, park, park_timeout};
#[cfg(not(any(loom, shuttle)))]
pub use std::thread_local;

#[cfg(shuttle)]
pub use shuttle::thread::{Thread, ThreadId, current, park, park_timeout};
#[cfg(shuttle)]
pub use shuttle::thread_local;

#[cfg(loom)]
pub use loom::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, AtomicUsize, Ordering, fence};
#[cfg(loom)]
pub use loom::sync::{Arc, Condvar, Mutex, MutexGuard};

/// Locks `mutex`, ignoring poisoning. The bridge runs no user code while it
/// holds one of its locks (callbacks, jobs and wakes come after the unlock;
/// the exceptions are the clone of the new waker and the drop of the old
/// one in [`Completion::poll_take`](crate::Completion::poll_take)), so a
/// poisoned lock means that some other thread panicked between two of the
/// bridge's own statements, or in that drop, and the data is as consistent
/// as the bridge's code left it.
///
/// # Examples
///
/// ```
/// use tether_bridge::sync::{Arc, Mutex, lock};
///
/// let data = Arc::new(Mutex::new(vec![1]));
/// let poisoner = {
///     let data = data.clone();
///     std::thread::spawn(move || {
///         lock(&data).push(2);
///         let _guard = lock(&data);
///         panic!("a panic while the lock is held");
///     })
/// };
/// assert!(poisoner.join().is_err());
/// assert!(data.lock().is_err()); // poisoned
/// assert_eq!(*lock(&data), [1, 2]);
/// ```
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Locks `mutex` if no other thread holds it, ignoring poisoning (see
/// [`lock`]); `None` if another thread holds it. Never waits: for the loop
/// thread, which must not sleep on a lock that a producer holds (nor mark
/// the lock contended, which makes the unlocks that follow system calls).
///
/// # Examples
///
/// ```
/// use tether_bridge::sync::{Mutex, lock, try_lock};
///
/// let data = Mutex::new(1);
/// let held = lock(&data);
/// assert!(try_lock(&data).is_none());
/// drop(held);
/// assert_eq!(try_lock(&data).as_deref(), Some(&1));
/// ```
pub fn try_lock<T>(mutex: &Mutex<T>) -> Option<MutexGuard<'_, T>> {
    match mutex.try_lock() {
        Ok(guard) => Some(guard),
        Err(std::sync::TryLockError::Poisoned(poisoned)) => Some(poisoned.into_inner()),
        Err(std::sync::TryLockError::WouldBlock) => None,
    }
}

/// Starts a thread named `name` (a loom thread under loom, which has no
/// names); shown in [`ThreadHandle`'s example](ThreadHandle#examples).
///
/// # Errors
///
/// Fails if the OS refuses a new thread (never under loom).
pub fn spawn_named<F: FnOnce() + Send + 'static>(
    name: String,
    f: F,
) -> std::io::Result<ThreadHandle> {
    #[cfg(not(any(loom, shuttle)))]
    return std::thread::Builder::new()
        .name(name)
        .spawn(f)
        .map(|inner| ThreadHandle { inner });
    #[cfg(shuttle)]
    {
        let finished = Arc::new(AtomicUsize::new(0));
        let done = finished.clone();
        shuttle::thread::Builder::new()
            .name(name)
            .spawn(move || {
                f();
                // Release: pairs with the Acquire in `is_finished`.
                done.store(1, Ordering::Release);
            })
            .map(|inner| ThreadHandle { inner, finished })
    }
    #[cfg(loom)]
    {
        let _ = name;
        let finished = Arc::new(AtomicUsize::new(0));
        let done = finished.clone();
        let inner = loom::thread::spawn(move || {
            f();
            // Release: pairs with the Acquire in `is_finished`, so that
            // whoever sees the flag also sees everything `f` did.
            done.store(1, Ordering::Release);
        });
        Ok(ThreadHandle { inner, finished })
    }
}

/// A thread started by [`spawn_named`]: it can be asked whether it has
/// finished (loom's handles cannot), and joined.
///
/// # Examples
///
/// ```
/// use std::sync::mpsc;
/// use tether_bridge::sync::spawn_named;
///
/// let (release, wait) = mpsc::channel::<()>();
/// let (name_tx, name) = mpsc::channel();
/// let waiter = spawn_named("waiter".into(), move || {
///     name_tx.send(std::thread::current().name().map(String::from)).unwrap();
///     wait.recv().unwrap();
/// })
/// .unwrap();
/// assert_eq!(name.recv().unwrap().as_deref(), Some("waiter"));
/// assert!(!waiter.is_finished()); // still waiting for `release`
/// release.send(()).unwrap();
/// while !waiter.is_finished() {
///     std::thread::yield_now();
/// }
/// assert!(waiter.join().is_ok());
///
/// // A thread that panicked: `join` hands back the panic's payload.
/// let failed = spawn_named("failed".into(), || panic!("boom")).unwrap();
/// let payload = failed.join().unwrap_err();
/// assert_eq!(payload.downcast_ref::<&str>(), Some(&"boom"));
/// ```
#[derive(Debug)]
pub struct ThreadHandle {
    #[cfg(not(any(loom, shuttle)))]
    inner: std::thread::JoinHandle<()>,
    #[cfg(shuttle)]
    inner: shuttle::thread::JoinHandle<()>,
    #[cfg(loom)]
    inner: loom::thread::JoinHandle<()>,
    /// Set to 1 by the thread as its last act (loom's and shuttle's
    /// handles have no `is_finished`).
    #[cfg(any(loom, shuttle))]
    finished: Arc<AtomicUsize>,
}

impl ThreadHandle {
    /// Whether the thread has returned from its function; shown in
    /// [`ThreadHandle`'s example](ThreadHandle#examples).
    pub fn is_finished(&self) -> bool {
        #[cfg(not(any(loom, shuttle)))]
        return self.inner.is_finished();
        #[cfg(any(loom, shuttle))]
        // Acquire: pairs with the thread's Release store of the flag.
        return self.finished.load(Ordering::Acquire) == 1;
    }

    /// The thread's id, to tell it from the current one
    /// ([`current`]`().id()`). Not under loom, which does not build the
    /// executor that asks.
    #[cfg(not(loom))]
    pub fn thread_id(&self) -> ThreadId {
        self.inner.thread().id()
    }

    /// Waits for the thread to end; shown in
    /// [`ThreadHandle`'s example](ThreadHandle#examples).
    ///
    /// # Errors
    ///
    /// If the thread panicked, the `Err` holds the payload of its panic.
    pub fn join(self) -> std::thread::Result<()> {
        self.inner.join()
    }
}

/// Tells the processor, or loom, that this thread is waiting for another one.
///
/// # Examples
///
/// A retry loop waiting for another thread's flag, and the data it
/// publishes.
///
/// ```
/// use tether_bridge::sync::{Arc, AtomicUsize, Ordering, spin_yield};
///
/// let data = Arc::new(AtomicUsize::new(0));
/// let ready = Arc::new(AtomicUsize::new(0));
/// let setter = {
///     let (data, ready) = (data.clone(), ready.clone());
///     std::thread::spawn(move || {
///         data.store(42, Ordering::Relaxed);
///         ready.store(1, Ordering::Release);
///     })
/// };
/// while ready.load(Ordering::Acquire) == 0 {
///     spin_yield();
/// }
/// assert_eq!(data.load(Ordering::Relaxed), 42);
/// setter.join().unwrap();
/// ```
#[inline]
pub fn spin_yield() {
    #[cfg(not(any(loom, shuttle)))]
    std::hint::spin_loop();
    #[cfg(shuttle)]
    shuttle::thread::yield_now();
    #[cfg(loom)]
    loom::thread::yield_now();
}

/// Gives the processor to another thread, or to loom, while this one waits
/// for a thread that cannot notify it.
///
/// # Examples
///
/// A flag set by a thread that may not block (as a signal handler may
/// not), waited for.
///
/// ```
/// use tether_bridge::sync::{Arc, AtomicUsize, Ordering, yield_thread};
///
/// let done = Arc::new(AtomicUsize::new(0));
/// let handler = {
///     let done = done.clone();
///     std::thread::spawn(move || done.store(1, Ordering::Release))
/// };
/// while done.load(Ordering::Acquire) == 0 {
///     yield_thread();
/// }
/// handler.join().unwrap();
/// ```
#[inline]
pub fn yield_thread() {
    #[cfg(not(any(loom, shuttle)))]
    std::thread::yield_now();
    #[cfg(shuttle)]
    shuttle::thread::yield_now();
    #[cfg(loom)]
    loom::thread::yield_now();
}

/// A cell whose contents are guarded by a protocol rather than the borrow
/// checker; with loom, every access is checked for data races.
#[cfg(loom)]
#[derive(Debug)]
pub struct UnsafeCell<T>(loom::cell::UnsafeCell<T>);

#[cfg(loom)]
impl<T> UnsafeCell<T> {
    /// Wraps `value`.
    pub fn new(value: T) -> Self {
        Self(loom::cell::UnsafeCell::new(value))
    }

    /// Reads through a shared pointer; loom records a read.
    pub fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        self.0.with(f)
    }

    /// Writes through a unique pointer; loom records a write.
    pub fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        self.0.with_mut(f)
    }
}

/// A cell whose contents are guarded by a protocol rather than the borrow
/// checker; with loom, every access is checked for data races.
///
/// # Examples
///
/// ```
/// use tether_bridge::sync::UnsafeCell;
///
/// let cell = UnsafeCell::new(1);
/// // SAFETY: this thread is the only one that touches `cell`.
/// cell.with_mut(|p| unsafe { *p += 1 });
/// // SAFETY: as above.
/// assert_eq!(cell.with(|p| unsafe { *p }), 2);
/// ```
#[cfg(not(loom))]
#[derive(Debug)]
pub struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

#[cfg(not(loom))]
impl<T> UnsafeCell<T> {
    /// Wraps `value`; shown in [`UnsafeCell`'s example](UnsafeCell#examples).
    pub const fn new(value: T) -> Self {
        Self(std::cell::UnsafeCell::new(value))
    }

    /// Reads through a shared pointer; under loom, the access is recorded as
    /// a read. Shown in [`UnsafeCell`'s example](UnsafeCell#examples).
    #[inline]
    pub fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        f(self.0.get())
    }

    /// Writes through a unique pointer; under loom, the access is recorded
    /// as a write. Shown in [`UnsafeCell`'s example](UnsafeCell#examples).
    #[inline]
    pub fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }
}
