//! The Linux wakeup: an eventfd of our own, registered edge-triggered.
//!
//! Edge-triggered, epoll reports each write as a new event, whatever the
//! counter holds, so the loop never reads the eventfd and never re-arms it:
//! a wakeup costs the writer one `write` and the loop nothing beyond the
//! `epoll_wait` it was making anyway. The counter only grows; a `write`
//! fails with `EAGAIN` only at 2^64 - 2, after which one read resets it
//! (mio does the same). The parent module, `wakeup`, gives the
//! measurements that chose this mechanism.

use std::io;
use std::os::fd::{AsFd, OwnedFd};

use polling::{Event, PollMode, Poller};
use rustix::event::{EventfdFlags, eventfd};

use super::WAKEUP_KEY;

/// An eventfd, registered with one poller in edge-triggered mode.
#[derive(Debug)]
pub(super) struct Eventfd {
    /// The eventfd.
    ///
    /// # Invariant
    ///
    /// Registered with the poller from `new` until `deregister`, and closed
    /// only when the last `Wakeup` goes, which is after the reactor called
    /// `deregister` (the reactor holds a `Wakeup` until its own drop).
    fd: OwnedFd,
}

impl Eventfd {
    pub(super) fn new(poller: &Poller) -> io::Result<Self> {
        let fd = eventfd(0, EventfdFlags::CLOEXEC | EventfdFlags::NONBLOCK)?;
        // SAFETY: `fd` stays open until after `deregister` deletes it from
        // the poller (the invariant on the field), which is what `add`
        // requires.
        unsafe { poller.add_with_mode(&fd, Event::readable(WAKEUP_KEY), PollMode::Edge)? };
        Ok(Self { fd })
    }

    pub(super) fn wake(&self) {
        let one = 1u64.to_ne_bytes();
        match rustix::io::write(&self.fd, &one) {
            Ok(_) => {}
            Err(rustix::io::Errno::AGAIN) => {
                // The counter is full: reset it, then write again.
                let mut buf = [0u8; 8];
                let _ = rustix::io::read(&self.fd, &mut buf);
                let _ = rustix::io::write(&self.fd, &one);
            }
            // No other error is possible on a valid, non-blocking eventfd
            // with an 8-byte buffer.
            Err(_) => {}
        }
    }

    pub(super) fn deregister(&self, poller: &Poller) {
        let _ = poller.delete(self.fd.as_fd());
    }
}
