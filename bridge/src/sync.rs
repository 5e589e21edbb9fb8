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
//! only; shuttle has atomics and locks but no cell, so `UnsafeCell` stays
//! std's there, and its accesses are not checked). Code written against this module compiles unchanged in all three
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
//!   make a `try_lock` fail, would spin forever). Most of the bridge has
//!   no such loop: its compare-exchange loops retry because the word
//!   changed under them (or, on real hardware, a weak compare-exchange
//!   failed spuriously), never to wait for another thread, and its waits
//!   block on a condition variable;
//! - [`yield_thread`] is `std::thread::yield_now` in a normal build and
//!   the checker's `yield_now` under loom or shuttle: the one wait that
//!   can neither block nor be told when to stop, because the thread it
//!   waits for is a signal handler, which may not take a lock or signal a
//!   condition variable (`signal.rs`, rule 3), gives the processor away on
//!   each turn;
//! - [`lock`] and [`spawn_named`] paper over what the two disagree on
//!   (std's mutex can be poisoned, loom's cannot), and [`ThreadHandle`]
//!   offers `is_finished`, which loom's and shuttle's handles lack;
//! - [`Thread`], [`ThreadId`], [`current`], [`park`] and
//!   [`const_thread_local!`](crate::sync::const_thread_local) are std's,
//!   or the checker's: what a loop needs of its own thread, for the
//!   executor and the reactor (the thread-locals that name the current
//!   loop, the loop thread's id, the park a loop with nothing to watch
//!   sleeps in). A checker runs every thread of a model on one thread of
//!   the OS, so std's would be shared by all of them; with these, loom and
//!   shuttle run the real runtime (`loom-tests/tests/runtime.rs`);
//! - [`now`] and [`park_timeout`] are std's clock and timed park, or a
//!   model clock that moves only when a timed park sleeps, so that a
//!   checker runs the runtime's timers too.
//!
//! One difference cannot be papered over: loom's and shuttle's
//! `Condvar::wait_timeout` never time out. A model therefore checks the
//! paths where the wait ends by a notification; the timeout paths are
//! tested with real time.
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

// Loom's and shuttle's modules have std's paths (`crate::__checker` is
// whichever the build has).
#[cfg(any(loom, shuttle))]
pub use crate::__checker::sync::atomic::{
    AtomicBool, AtomicU8, AtomicU64, AtomicUsize, Ordering, fence,
};
#[cfg(any(loom, shuttle))]
pub use crate::__checker::sync::{Arc, Condvar, Mutex, MutexGuard};

// What a loop needs of its own thread, for the executor and the reactor:
// the thread-locals that name the current loop, the thread's identity, and
// the park a loop with nothing to watch sleeps in, unparked by another
// thread's push (`inject.rs`, `Notify::unpark`). Under a checker these are
// the checker's: shuttle runs every thread of a model on one thread of the
// OS, and loom every thread of an execution, so std's thread-locals and
// ids would be shared by all of them, and std's park would block the
// checker itself. The timed park is the model clock's (below).
#[cfg(not(any(loom, shuttle)))]
pub use std::thread::{Thread, ThreadId, current, park, park_timeout};

#[cfg(any(loom, shuttle))]
pub use crate::__checker::thread::{Thread, ThreadId, current, park};

/// The time now, on the clock the loop's timers run on: std's
/// `Instant::now()`, or under a checker the model clock's.
///
/// The runtime reads the time through this function and sleeps through
/// [`park_timeout`], so that a checker can run its timers: loom and
/// shuttle have no clock (their timed waits never time out), and a real
/// one would make an execution depend on how fast it ran, which a checker
/// must replay exactly. The model clock starts, in every execution, at the
/// same instant (the first reading in the process) and moves only when a
/// thread's timed park "sleeps": [`park_timeout`] moves it forward by the
/// whole timeout and returns. So a model's timers fire in deadline order
/// and as soon as the loop has nothing else to do, as tokio's paused clock
/// auto-advances; what the model clock cannot show is a timed park woken
/// before its deadline (the wake is seen after the time has passed). The
/// clock is not a checker's object, so a checker does not order its reads
/// against its moves: a model reads it on the loop thread that moves it.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// use tether_bridge::sync::{now, park_timeout};
///
/// let start = now();
/// park_timeout(Duration::from_millis(1)); // may return early
/// assert!(now() >= start);
/// ```
#[cfg(not(any(loom, shuttle)))]
#[inline]
pub fn now() -> std::time::Instant {
    std::time::Instant::now()
}

#[cfg(any(loom, shuttle))]
pub use model_clock::{now, park_timeout};

/// The clock of a checker's model ([`now`] says how it moves).
#[cfg(any(loom, shuttle))]
mod model_clock {
    use std::sync::OnceLock;
    use std::sync::atomic::AtomicU64;
    use std::sync::atomic::Ordering::Relaxed;
    use std::time::{Duration, Instant};

    /// Where every execution's clock starts.
    static START: OnceLock<Instant> = OnceLock::new();

    // How far this execution's clock has moved, in nanoseconds: a std
    // atomic, not a checker's, since reading the time is not a
    // synchronization (the checker's lazy static makes one per execution).
    crate::__checker::lazy_static! {
        static ref MOVED: AtomicU64 = AtomicU64::new(0);
    }

    /// The model's time now.
    pub fn now() -> Instant {
        *START.get_or_init(Instant::now) + Duration::from_nanos(MOVED.load(Relaxed))
    }

    /// Sleeps for `timeout` of the model's time: the clock moves past it,
    /// and the other threads get their turn (a park may end early, so a
    /// caller already looks again at what it waited for).
    pub fn park_timeout(timeout: Duration) {
        let nanos = u64::try_from(timeout.as_nanos()).unwrap_or(u64::MAX);
        MOVED.fetch_add(nanos, Relaxed);
        crate::__checker::thread::yield_now();
    }
}

/// Declares thread-locals whose initializers are constant expressions:
/// std's `thread_local!` with `const { }` around each initializer (no lazy
/// initialization, no check on each access), shuttle's the same way, and
/// loom's as it is, since loom's macro does not accept `const { }` (its
/// thread-locals are created per thread of each execution anyway).
///
/// # Examples
///
/// ```
/// use std::cell::Cell;
///
/// tether_bridge::sync::const_thread_local! {
///     /// How many times this thread counted.
///     static COUNT: Cell<u32> = Cell::new(0);
/// }
///
/// COUNT.with(|count| count.set(count.get() + 1));
/// assert_eq!(COUNT.with(Cell::get), 1);
/// std::thread::spawn(|| assert_eq!(COUNT.with(Cell::get), 0))
///     .join()
///     .unwrap();
/// ```
#[doc(inline)]
pub use crate::__const_thread_local as const_thread_local;

// The `thread_local!` that `const_thread_local!` expands to outside loom.
#[cfg(shuttle)]
#[doc(hidden)]
pub use crate::__checker::thread_local as __thread_local;
#[cfg(not(any(loom, shuttle)))]
#[doc(hidden)]
pub use std::thread_local as __thread_local;

#[cfg(not(loom))]
#[doc(hidden)]
#[macro_export]
macro_rules! __const_thread_local {
    ($($(#[$attr:meta])* $vis:vis static $name:ident: $t:ty = $init:expr;)*) => {
        $crate::sync::__thread_local! {
            $($(#[$attr])* $vis static $name: $t = const { $init };)*
        }
    };
}

#[cfg(loom)]
#[doc(hidden)]
#[macro_export]
macro_rules! __const_thread_local {
    ($($(#[$attr:meta])* $vis:vis static $name:ident: $t:ty = $init:expr;)*) => {
        $crate::__checker::thread_local! {
            $($(#[$attr])* $vis static $name: $t = $init;)*
        }
    };
}

/// Declares a `static` that every thread of the process shares: a plain
/// `static` (its initializer a constant expression) in a normal build, and
/// under a checker one per execution, through the checker's
/// `lazy_static!`: a checker's atomics are made at run time, and belong to
/// the execution that made them, so a plain `static` would carry one
/// execution's state into the next. For state that must be a `static`,
/// such as the table a signal handler reads.
///
/// # Examples
///
/// ```
/// use tether_bridge::sync::{AtomicUsize, Ordering};
///
/// tether_bridge::sync::process_static! {
///     /// Runs so far, in this process.
///     static RUNS: AtomicUsize = AtomicUsize::new(0);
/// }
///
/// RUNS.fetch_add(1, Ordering::Relaxed);
/// assert_eq!(RUNS.load(Ordering::Relaxed), 1);
/// ```
#[doc(inline)]
pub use crate::__process_static as process_static;

#[cfg(not(any(loom, shuttle)))]
#[doc(hidden)]
#[macro_export]
macro_rules! __process_static {
    ($(#[$attr:meta])* $vis:vis static $name:ident: $t:ty = $init:expr;) => {
        $(#[$attr])* $vis static $name: $t = $init;
    };
}

// The checker's `lazy_static!` (loom's and shuttle's take the same input)
// takes no `$vis` fragment: each kind of visibility gets its arm.
#[cfg(any(loom, shuttle))]
#[doc(hidden)]
#[macro_export]
macro_rules! __process_static {
    ($(#[$attr:meta])* static $name:ident: $t:ty = $init:expr;) => {
        $crate::__checker::lazy_static! { $(#[$attr])* static ref $name: $t = $init; }
    };
    ($(#[$attr:meta])* pub static $name:ident: $t:ty = $init:expr;) => {
        $crate::__checker::lazy_static! { $(#[$attr])* pub static ref $name: $t = $init; }
    };
    ($(#[$attr:meta])* pub($($vis:tt)+) static $name:ident: $t:ty = $init:expr;) => {
        $crate::__checker::lazy_static! {
            $(#[$attr])* pub($($vis)+) static ref $name: $t = $init;
        }
    };
}

/// Locks `mutex`, ignoring poisoning. The bridge runs little user code
/// while it holds one of its locks (callbacks, jobs and wakes come after
/// the unlock); the exceptions are the clones and drops of wakers in
/// [`Completion::poll_take`](crate::Completion::poll_take) and
/// `Spread::poll_scan`, the caller's `weigh` in `poll_scan`'s second scan,
/// and the caller's `install` and `restore` in `SignalTable::subscribe` and
/// `unsubscribe`. So a poisoned lock means that some other thread panicked
/// between two of the bridge's own statements, or in one of those calls,
/// and the data is as consistent as the bridge's code left it.
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

/// Starts a thread named `name` (the checker's thread under loom or
/// shuttle); shown in [`ThreadHandle`'s example](ThreadHandle#examples).
///
/// # Errors
///
/// Fails if the OS refuses a new thread (never under a checker).
pub fn spawn_named<F: FnOnce() + Send + 'static>(
    name: String,
    f: F,
) -> std::io::Result<ThreadHandle> {
    #[cfg(not(any(loom, shuttle)))]
    return std::thread::Builder::new()
        .name(name)
        .spawn(f)
        .map(|inner| ThreadHandle { inner });
    #[cfg(any(loom, shuttle))]
    {
        let finished = Arc::new(AtomicUsize::new(0));
        let done = finished.clone();
        crate::__checker::thread::Builder::new()
            .name(name)
            .spawn(move || {
                f();
                // Release: pairs with the Acquire in `is_finished`, so that
                // whoever sees the flag also sees everything `f` did.
                done.store(1, Ordering::Release);
            })
            .map(|inner| ThreadHandle { inner, finished })
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
    #[cfg(any(loom, shuttle))]
    inner: crate::__checker::thread::JoinHandle<()>,
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
    /// ([`current`]`().id()`).
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
    #[cfg(any(loom, shuttle))]
    crate::__checker::thread::yield_now();
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
    #[cfg(any(loom, shuttle))]
    crate::__checker::thread::yield_now();
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
