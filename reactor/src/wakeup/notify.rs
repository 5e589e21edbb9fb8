//! The wakeup where tether's eventfd cannot serve: `polling`'s own
//! `Poller::notify`.
//!
//! What that does depends on the backend: an `EVFILT_USER` event on most
//! kqueue systems and a `port_send` user event on event ports, neither of
//! which needs a file descriptor; a socket pair on the other kqueue
//! systems, which `polling` drains on every wait, and a pipe on the
//! `poll(2)` backend, which it reads when it fires. The parent module lists
//! which system gets which.

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
        // An error (the OS refusing the notification) cannot be reported to
        // anyone: the caller is a producer that has already queued its
        // item, so it is dropped.
        let _ = self.poller.notify();
    }
}
