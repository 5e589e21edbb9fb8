//! How another thread ends the loop's sleep.
//!
//! The loop sleeps inside the reactor, in one system call (`epoll_wait`,
//! `kevent`, `poll`). The only way another thread can end that call early is
//! to make a file descriptor the reactor watches ready: an eventfd on Linux, a
//! pipe or `EVFILT_USER` elsewhere. Loom cannot see a system call, so the
//! bridge never names one: it is generic over [`Notify`], the runtime supplies
//! the reactor's wakeup, and the loom models supply a fake built from loom's
//! own primitives that behaves like an eventfd (a write before the sleep makes
//! the sleep return at once; several writes before it are one wakeup).

/// Ends the loop's current sleep, or the next one if it is not asleep.
///
/// Implementations must behave like a level-triggered eventfd: a call made
/// while the loop is not yet sleeping is remembered, so the next sleep
/// returns at once. [`Inject`](crate::Inject) relies on that: it announces
/// the sleep *before* the loop enters the system call, so a producer may
/// call `notify` in between.
pub trait Notify: Send + Sync {
    /// Makes the loop's current or next sleep return.
    ///
    /// Called at most once per sleep of the loop by [`Inject`](crate::Inject).
    fn notify(&self);
}
