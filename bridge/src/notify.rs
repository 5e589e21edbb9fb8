//! How another thread ends the loop's sleep.
//!
//! The loop sleeps inside the reactor, in one system call (`epoll_wait`,
//! `kevent`, `poll`). Another thread ends that call early by making the
//! poller report an event: a write to an eventfd on Linux; elsewhere the
//! poller's own notifier: an `EVFILT_USER` event on kqueue, a `port_send`
//! event on event ports, or a pipe or socket pair. A loop that watches no
//! source sleeps on its own thread instead (`std::thread::park`), and is
//! woken by an unpark (see `executor/src/core/run_loop.rs`, "Where the loop
//! sleeps"). Loom cannot see a system call, so the bridge never names one: it is generic
//! over [`Notify`], the runtime supplies the reactor's wakeup, and the loom
//! models supply a fake built from loom's own primitives that behaves like
//! an eventfd (a write before the sleep makes the sleep return at once;
//! several writes before it are one wakeup).
//!
//! # Examples
//!
//! A wakeup built from a mutex and a condition variable, that remembers a
//! write made before the sleep, as an eventfd does. The loop sleeps on it
//! until a producer's push ends the sleep, however the two threads
//! interleave.
//!
//! ```
//! use std::sync::{Arc, Condvar, Mutex};
//! use tether_bridge::notify::Notify;
//! use tether_bridge::{Inject, TransitionToParked};
//!
//! #[derive(Default)]
//! struct Eventfd {
//!     written: Mutex<bool>,
//!     ready: Condvar,
//! }
//!
//! impl Eventfd {
//!     /// The loop's sleep: returns once a write is there, and consumes it.
//!     fn sleep(&self) {
//!         let written = self.written.lock().unwrap();
//!         let mut written = self.ready.wait_while(written, |w| !*w).unwrap();
//!         *written = false;
//!     }
//! }
//!
//! impl Notify for Eventfd {
//!     fn notify(&self) {
//!         *self.written.lock().unwrap() = true;
//!         self.ready.notify_one();
//!     }
//!     // This loop only ever sleeps on the fd.
//!     fn unpark(&self) {
//!         self.notify();
//!     }
//! }
//!
//! let inject = Arc::new(Inject::new(Eventfd::default()));
//! assert_eq!(inject.transition_to_parked(), TransitionToParked::Sleep);
//! let producer = {
//!     let inject = inject.clone();
//!     std::thread::spawn(move || inject.push("wake up").unwrap())
//! };
//! inject.notifier().sleep();
//! inject.transition_to_awake();
//! let mut items = Vec::new();
//! assert_eq!(inject.drain(|item| items.push(item)), 1);
//! assert_eq!(items, ["wake up"]);
//! producer.join().unwrap();
//! ```

/// Ends the loop's current sleep, or the next one if it is not asleep: a
/// sleep in the poller through [`notify`](Notify::notify), a sleep on the
/// loop's own thread through [`unpark`](Notify::unpark).
///
/// Implementations must remember a call made while the loop is not yet
/// sleeping, so that the next sleep returns at once, as a write to an
/// eventfd the poller watches does. [`Inject`](crate::Inject) relies on
/// that: it announces the sleep *before* the loop enters the system call, so
/// a producer may call `notify` in between.
///
/// # Examples
///
/// A notifier that counts its calls: [`Inject`](crate::Inject) makes one
/// per sleep, however many items are pushed.
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use tether_bridge::{Inject, Notify, TransitionToParked};
///
/// struct Counting(AtomicUsize);
/// impl Notify for Counting {
///     fn notify(&self) {
///         self.0.fetch_add(1, Ordering::Relaxed);
///     }
///     fn unpark(&self) {
///         self.notify();
///     }
/// }
///
/// let inject = Inject::new(Counting(AtomicUsize::new(0)));
/// assert_eq!(inject.transition_to_parked(), TransitionToParked::Sleep);
/// for item in 0..5 {
///     inject.push(item).unwrap();
/// }
/// assert_eq!(inject.notifier().0.load(Ordering::Relaxed), 1);
/// // The loop may also call `notify` itself, to end its own next sleep.
/// inject.notifier().notify();
/// assert_eq!(inject.notifier().0.load(Ordering::Relaxed), 2);
/// ```
pub trait Notify: Send + Sync {
    /// Makes the loop's current or next sleep return; shown in
    /// [`Notify`'s example](Notify#examples).
    ///
    /// Called at most once per sleep of the loop by [`Inject`](crate::Inject).
    fn notify(&self);

    /// Ends the loop's current or next sleep on its own thread, outside the
    /// poller ([`Inject::transition_to_parked_thread`]); like `notify`, it
    /// must be remembered if the loop is not yet asleep, as
    /// `std::thread::Thread::unpark` is.
    ///
    /// [`Inject::transition_to_parked_thread`]: crate::Inject::transition_to_parked_thread
    fn unpark(&self);
}
