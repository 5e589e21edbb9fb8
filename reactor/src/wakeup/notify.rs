//! The wakeup where there is no eventfd: `polling`'s own `Poller::notify`.
//!
//! On kqueue that is an `EVFILT_USER` event (no file descriptor at all);
//! elsewhere a pipe that `polling` reads and re-arms on every wait anyway.

use std::io;
use std::sync::Arc;

use polling::Poller;

/// The poller itself, shared with the threads that wake it.
#[derive(Debug)]
pub(super) struct Inner {
    /// The poller to notify.
    poller: Arc<Poller>,
}

impl Inner {
    pub(super) fn new(poller: &Arc<Poller>) -> io::Result<Self> {
        Ok(Self {
            poller: poller.clone(),
        })
    }

    pub(super) fn wake(&self) {
        // Fails only if the poller's own notifier is gone, which the `Arc`
        // rules out.
        let _ = self.poller.notify();
    }

    pub(super) fn deregister(&self, _: &Poller) {}
}
