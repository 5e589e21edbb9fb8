//! The wakeup: how another thread ends the loop's sleep in the poller.
//!
//! The loop sleeps in one system call (`epoll_wait`, `kevent`...). Another
//! thread ends it by making a file descriptor the poller watches ready. The
//! bridge's sleep/notify handshake (`tether_bridge::inject`) makes sure that
//! happens at most once per sleep; this module is the "make it ready".
//!
//! # Which wakeup, and why: measured
//!
//! DESIGN.md offers two: `polling`'s own [`Poller::notify`] (an eventfd on
//! Linux, already read and re-armed by every `Poller::wait`), or an eventfd
//! that tether creates and registers as an ordinary source. `benches/wakeup.rs`
//! measures three variants on one thread, each iteration one wakeup written
//! and consumed (`cargo bench --bench wakeup`; medians of two interleaved
//! rounds, 2-vCPU Linux VM):
//!
//! | wakeup | ns per wakeup | ratio |
//! |--------|---------------|-------|
//! | `Poller::notify` | 2,061 | 1.00 |
//! | own eventfd, oneshot (read + `epoll_ctl` re-arm per wakeup) | 2,552 | 1.24 |
//! | own eventfd, edge-triggered (never read, never re-armed) | 1,882 | 0.91 |
//!
//! All make the same five calls inside `Poller::wait` (it re-arms its
//! timerfd and its notifier whether they fired or not). The oneshot eventfd
//! adds a read and a re-arm per wakeup. The edge-triggered one adds nothing:
//! epoll reports every write to it as a new edge, so it needs neither. It
//! beats `notify` because `notify`'s eventfd is then *read successfully* by
//! `wait`, which wakes that fd's write side (another trip through epoll's
//! callbacks), and because `notify` adds a compare-exchange of its own;
//! with our eventfd, `wait`'s read of its idle notifier fails at once.
//!
//! So on Linux tether uses its own edge-triggered eventfd ([`eventfd`]).
//! Elsewhere it uses `Poller::notify` ([`notify`]): on kqueue (macOS, the
//! BSDs) that is an `EVFILT_USER` trigger, which needs no file descriptor at
//! all; event ports and `poll(2)` have no edge-triggered mode, where
//! `notify`'s pipe, re-armed by `polling` on every wait anyway, is what a
//! hand-written pipe would cost at best. Those platforms were not measured
//! here (this machine runs Linux).

#[cfg(any(target_os = "linux", target_os = "android"))]
mod eventfd;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
mod notify;

#[cfg(any(target_os = "linux", target_os = "android"))]
use eventfd as sys;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
use notify as sys;

use std::io;
use std::sync::Arc;

use polling::Poller;

/// The poller key of the wakeup's own events, outside every source key
/// (see `crate::source::SourceKey`). `usize::MAX` is `polling`'s own.
pub(crate) const WAKEUP_KEY: usize = usize::MAX - 1;

/// Wakes one reactor's [`react`](crate::Reactor::react) from any thread.
///
/// Cheap to clone, and harmless to use after the reactor is gone: the wake
/// then reaches a file descriptor nobody waits on.
#[derive(Clone)]
pub struct Wakeup {
    /// The platform's mechanism; shared by every clone.
    inner: Arc<sys::Inner>,
}

impl Wakeup {
    /// Creates the wakeup of `poller` and registers what it needs there.
    pub(crate) fn new(poller: &Arc<Poller>) -> io::Result<Self> {
        Ok(Self {
            inner: Arc::new(sys::Inner::new(poller)?),
        })
    }

    /// Ends the reactor's current wait, or makes its next one return at once.
    ///
    /// # Implementation notes
    ///
    /// On Linux this is one `write` to an eventfd; elsewhere, one
    /// `Poller::notify`. It never blocks.
    pub fn wake(&self) {
        self.inner.wake();
    }

    /// Removes the wakeup's registration from `poller`, which is being
    /// dropped. Called once, by the reactor.
    pub(crate) fn deregister(&self, poller: &Poller) {
        self.inner.deregister(poller);
    }
}

impl std::fmt::Debug for Wakeup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wakeup").finish_non_exhaustive()
    }
}
