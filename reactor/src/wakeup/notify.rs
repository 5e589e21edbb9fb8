//! The wakeup where tether's eventfd cannot serve: `polling`'s own
//! `Poller::notify`.
//!
//! What that does depends on the backend: an `EVFILT_USER` event on most
//! kqueue systems and a `port_send` user event on event ports, neither of
//! which needs a file descriptor; a pipe on the other kqueue systems and on
//! the `poll(2)` backend, which `polling` drains on every wait anyway. The
//! parent module lists which system gets which.

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
