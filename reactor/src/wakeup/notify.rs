//! The wakeup where tether's eventfd cannot serve: `polling`'s own
//! `Poller::notify`.
//!
//! On kqueue that is an `EVFILT_USER` event (no file descriptor at all);
//! elsewhere a pipe that `polling` reads and re-arms on every wait anyway.

use std::sync::Arc;

use polling::Poller;

/// The poller itself, shared with the threads that wake it.
#[derive(Debug)]
pub(super) struct Notify {
    /// The poller to notify.
    poller: Arc<Poller>,
}

impl Notify {
    pub(super) fn new(poller: &Arc<Poller>) -> Self {
        Self {
            poller: poller.clone(),
        }
    }

    pub(super) fn wake(&self) {
        // Fails only if the poller's own notifier is gone, which the `Arc`
        // rules out.
        let _ = self.poller.notify();
    }
}
