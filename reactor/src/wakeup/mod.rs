//! The wakeup: how another thread ends the loop's sleep in the poller.
//!
//! The loop sleeps in one system call (`epoll_wait`, `kevent`...). Another
//! thread ends it by giving the poller an event: on Linux, a write to an
//! eventfd the poller watches. The bridge's sleep/notify handshake
//! (`tether_bridge::inject`) makes sure that happens at most once per sleep;
//! this module is the event.
//!
//! # Which wakeup, and why: measured
//!
//! On Linux, two mechanisms can deliver it: `polling`'s own
//! [`Poller::notify`] (an eventfd on Linux, which every `Poller::wait`
//! reads and re-arms whether it fired or not), or an eventfd of tether's
//! own, registered with the poller like any source. tether keeps the one
//! that costs less per wakeup. `benches/wakeup.rs` measures three
//! variants on one thread, each iteration one wakeup written and consumed
//! (`cargo bench --bench wakeup`; medians of two interleaved rounds, on a
//! 2-vCPU Linux VM):
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
//! with tether's eventfd, `wait`'s read of its idle notifier fails at once.
//!
//! So on Linux and Android tether uses its own edge-triggered eventfd
//! (`eventfd.rs`). Elsewhere it uses `Poller::notify` (`notify.rs`). Where
//! the poller has no edge-triggered mode (event ports, `poll(2)`), an fd of
//! tether's own would need a read and a re-arm per wakeup, the variant that
//! was slowest on Linux; `notify` there is a `port_send` user event, or a
//! pipe that `polling` reads when it fires. On kqueue, `notify` is an
//! `EVFILT_USER` event, with no fd at all (Apple's systems, FreeBSD,
//! DragonFly), or a socket pair that `polling` drains on every wait
//! (NetBSD, OpenBSD). None of these platforms was
//! measured: the figures above are Linux's. The same fallback serves a
//! Linux build whose poller lacks edge-triggered mode (`polling` builds its
//! `poll(2)` backend on Linux only under a cfg of its own, for testing).
//!
//! # Examples
//!
//! ```
//! use tether_reactor::{Deadline, Reactor};
//!
//! # fn main() -> std::io::Result<()> {
//! let reactor = Reactor::new()?;
//! let wakeup = reactor.wakeup();
//! let thread = std::thread::spawn(move || wakeup.wake());
//! // Sleeps in the poller until the other thread's wake.
//! reactor.react(Deadline::Never)?;
//! assert_eq!(reactor.tick(), 1);
//! thread.join().unwrap();
//! # Ok(())
//! # }
//! ```

#[cfg(any(target_os = "linux", target_os = "android"))]
#[cfg_attr(
    any(loom, shuttle),
    expect(dead_code, reason = "a checker's build makes the model wakeup")
)]
mod eventfd;
#[cfg(any(loom, shuttle))]
mod model;
#[cfg_attr(
    any(loom, shuttle),
    expect(dead_code, reason = "a checker's build makes the model wakeup")
)]
mod notify;

use std::io;
use std::sync::Arc;

use polling::Poller;

/// The poller key of the wakeup's own events, outside every source key
/// (see `crate::source_table::SourceKey`). `usize::MAX` is `polling`'s own.
pub(crate) const WAKEUP_KEY: usize = usize::MAX - 1;

/// Wakes one reactor's [`react`](crate::Reactor::react) from any thread.
///
/// Cheap to clone, and harmless to use after the reactor is gone: the wake
/// then reaches nobody.
///
/// # Examples
///
/// Every wake ends one wait, not only the first:
///
/// ```
/// use tether_reactor::{Deadline, Reactor};
///
/// # fn main() -> std::io::Result<()> {
/// let reactor = Reactor::new()?;
/// for _ in 0..3 {
///     let wakeup = reactor.wakeup();
///     std::thread::spawn(move || wakeup.wake()).join().unwrap();
///     reactor.react(Deadline::Never)?;
/// }
/// assert_eq!(reactor.tick(), 3);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Wakeup {
    /// The mechanism; shared by every clone.
    inner: Arc<Inner>,
}

/// The two mechanisms. The eventfd needs the poller's edge-triggered mode,
/// which `polling` offers on epoll but not on its `poll(2)` backend, so the
/// choice is made when the poller is known, not only by the target.
#[cfg_attr(
    any(loom, shuttle),
    expect(dead_code, reason = "a checker's build makes the model wakeup")
)]
#[derive(Debug)]
enum Inner {
    /// Linux, with an epoll poller: the measured cheapest.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    Eventfd(eventfd::Eventfd),
    /// Everywhere else.
    Notify(notify::Notify),
    /// Under a model checker, which must see the sleep and the wake
    /// (`model.rs`).
    #[cfg(any(loom, shuttle))]
    Model(Box<model::Model>),
}

impl Wakeup {
    /// Creates the wakeup of `poller` and registers what it needs there.
    #[cfg(not(any(loom, shuttle)))]
    pub(crate) fn new(poller: &Arc<Poller>) -> io::Result<Self> {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        if poller.supports_edge() {
            let inner = Inner::Eventfd(eventfd::Eventfd::new(poller)?);
            return Ok(Self {
                inner: Arc::new(inner),
            });
        }
        let inner = Inner::Notify(notify::Notify::new(poller));
        Ok(Self {
            inner: Arc::new(inner),
        })
    }

    /// Creates the wakeup a model checker can see (`model.rs`); the poller
    /// has no part in it.
    #[cfg(any(loom, shuttle))]
    pub(crate) fn new(_poller: &Arc<Poller>) -> io::Result<Self> {
        Ok(Self {
            inner: Arc::new(Inner::Model(Box::default())),
        })
    }

    /// Ends the reactor's current wait, or makes its next one return at once.
    ///
    /// # Implementation notes
    ///
    /// On Linux and Android this is one `write` to an eventfd; elsewhere,
    /// one `Poller::notify`. It never blocks.
    ///
    /// # Examples
    ///
    /// ```
    /// use tether_reactor::{Deadline, Reactor};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let reactor = Reactor::new()?;
    /// // Woken before it waits: the next wait returns at once.
    /// reactor.wakeup().wake();
    /// reactor.react(Deadline::Never)?;
    /// assert_eq!(reactor.tick(), 1);
    /// # Ok(())
    /// # }
    /// ```
    pub fn wake(&self) {
        match &*self.inner {
            #[cfg(any(target_os = "linux", target_os = "android"))]
            Inner::Eventfd(eventfd) => eventfd.wake(),
            Inner::Notify(notify) => notify.wake(),
            #[cfg(any(loom, shuttle))]
            Inner::Model(model) => model.wake(),
        }
    }

    /// Removes the wakeup's registration from `poller`, which is being
    /// dropped. Called once, by the reactor.
    #[cfg_attr(
        not(any(target_os = "linux", target_os = "android")),
        expect(unused_variables, reason = "only an eventfd is registered")
    )]
    pub(crate) fn deregister(&self, poller: &Poller) {
        match &*self.inner {
            #[cfg(any(target_os = "linux", target_os = "android"))]
            Inner::Eventfd(eventfd) => eventfd.deregister(poller),
            Inner::Notify(_) => {}
            #[cfg(any(loom, shuttle))]
            Inner::Model(_) => {}
        }
    }

    /// Under a model checker: the sleep that a wait in the poller would
    /// be, after the reactor found nothing ready (`model.rs`).
    #[cfg(any(loom, shuttle))]
    pub(crate) fn sleep_in_model(&self, deadline: Option<std::time::Instant>) {
        match &*self.inner {
            Inner::Model(model) => model.sleep(deadline),
            _ => unreachable!("a checker's build makes the model wakeup"),
        }
    }
}

impl std::fmt::Debug for Wakeup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wakeup").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use polling::Events;
    use std::thread;
    use std::time::{Duration, Instant};

    /// `wakeup`, woken from another thread after a pause, ends a wait on
    /// `poller` that has no timeout.
    fn ends_a_blocking_wait(poller: &Arc<Poller>, wakeup: Wakeup) {
        let waker = thread::spawn(move || {
            thread::sleep(Duration::from_millis(20));
            wakeup.wake();
        });
        let start = Instant::now();
        let mut events = Events::new();
        poller.wait(&mut events, None).unwrap();
        assert!(start.elapsed() >= Duration::from_millis(20));
        waker.join().unwrap();
    }

    #[test]
    fn the_notify_wakeup_ends_a_blocking_wait() {
        let poller = Arc::new(Poller::new().unwrap());
        let inner = Inner::Notify(notify::Notify::new(&poller));
        ends_a_blocking_wait(
            &poller,
            Wakeup {
                inner: Arc::new(inner),
            },
        );
    }

    #[cfg(any(target_os = "linux", target_os = "android"))]
    #[test]
    fn the_eventfd_wakeup_ends_a_blocking_wait_every_time() {
        let poller = Arc::new(Poller::new().unwrap());
        let wakeup = Wakeup::new(&poller).unwrap();
        assert!(
            matches!(*wakeup.inner, Inner::Eventfd(_)),
            "epoll has edge mode"
        );
        // Edge-triggered and never read: every write must still be an event.
        for _ in 0..3 {
            ends_a_blocking_wait(&poller, wakeup.clone());
        }
        wakeup.deregister(&poller);
    }
}
