//! The one door to shared-memory primitives.
//!
//! Every atomic and every cross-thread cell in `tether-bridge` comes from this
//! module, never from `std` directly. In a normal build these are the `std`
//! types; built with `RUSTFLAGS="--cfg loom"` they are loom's, which record
//! every access so that loom can run a model under every interleaving the C++
//! memory model allows (see `loom-tests/`). Code written against this module
//! compiles unchanged in both builds, which is what lets the loom models check
//! the very code the runtime runs.
//!
//! Two shims make the `std` side speak loom's API:
//! - [`UnsafeCell`] offers `with` / `with_mut` (closures receiving a raw
//!   pointer) instead of `get`, because that is the only access loom's cell can
//!   track;
//! - [`spin_yield`] is `std::hint::spin_loop` in a normal build and
//!   `loom::thread::yield_now` under loom: a retry loop must yield to loom, or
//!   loom sees a thread that never lets the others run and aborts the model;
//! - [`lock`] and [`spawn_named`] paper over what the two disagree on
//!   (poisoning, thread names).
//!
//! One difference cannot be papered over: loom's `Condvar::wait_timeout`
//! never times out. A model therefore checks the paths where the wait ends
//! by a notification; the timeout paths are tested with real time.

#[cfg(not(loom))]
pub use std::sync::atomic::{AtomicU8, AtomicU64, AtomicUsize, Ordering, fence};
#[cfg(not(loom))]
pub use std::sync::{Arc, Condvar, Mutex, MutexGuard};

#[cfg(loom)]
pub use loom::sync::atomic::{AtomicU8, AtomicU64, AtomicUsize, Ordering, fence};
#[cfg(loom)]
pub use loom::sync::{Arc, Condvar, Mutex, MutexGuard};

/// Locks `mutex`, ignoring poisoning. The bridge never runs user code while
/// it holds one of its locks, so a poisoned lock only means that some other
/// thread panicked between two of our own statements, and the data is as
/// consistent as our code left it.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Starts a thread named `name` (a loom thread under loom, which has no
/// names).
pub fn spawn_named<F: FnOnce() + Send + 'static>(
    name: String,
    f: F,
) -> std::io::Result<ThreadHandle> {
    #[cfg(not(loom))]
    return std::thread::Builder::new()
        .name(name)
        .spawn(f)
        .map(|inner| ThreadHandle { inner });
    #[cfg(loom)]
    {
        let _ = name;
        let finished = Arc::new(AtomicUsize::new(0));
        let done = finished.clone();
        let inner = loom::thread::spawn(move || {
            f();
            done.store(1, Ordering::Release);
        });
        Ok(ThreadHandle { inner, finished })
    }
}

/// A thread started by [`spawn_named`]: it can be asked whether it has
/// finished (loom's handles cannot), and joined.
#[derive(Debug)]
pub struct ThreadHandle {
    #[cfg(not(loom))]
    inner: std::thread::JoinHandle<()>,
    #[cfg(loom)]
    inner: loom::thread::JoinHandle<()>,
    /// Set to 1 by the thread as its last act.
    #[cfg(loom)]
    finished: Arc<AtomicUsize>,
}

impl ThreadHandle {
    /// Whether the thread has returned from its function.
    pub fn is_finished(&self) -> bool {
        #[cfg(not(loom))]
        return self.inner.is_finished();
        #[cfg(loom)]
        return self.finished.load(Ordering::Acquire) == 1;
    }

    /// Waits for the thread to end.
    pub fn join(self) -> std::thread::Result<()> {
        self.inner.join()
    }
}

/// Tells the processor, or loom, that this thread is waiting for another one.
#[inline]
pub fn spin_yield() {
    #[cfg(not(loom))]
    std::hint::spin_loop();
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
#[cfg(not(loom))]
#[derive(Debug)]
pub struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

#[cfg(not(loom))]
impl<T> UnsafeCell<T> {
    /// Wraps `value`.
    pub const fn new(value: T) -> Self {
        Self(std::cell::UnsafeCell::new(value))
    }

    /// Reads through a shared pointer; loom records a read.
    #[inline]
    pub fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        f(self.0.get())
    }

    /// Writes through a unique pointer; loom records a write.
    #[inline]
    pub fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }
}
