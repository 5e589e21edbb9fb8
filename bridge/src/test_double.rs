//! A stand-in for the reactor's wakeup, shared by the crate's examples.
//!
//! Hidden from the documentation: this is not part of the crate's API, and
//! may change at any time. It exists so that the examples of
//! [`inject`](crate::inject) and [`closed`](crate::closed) can build an
//! [`Inject`](crate::Inject) in one hidden `#` line, and show the protocol
//! rather than the same stub a dozen times. The examples of
//! [`notify`](crate::notify) write their notifiers out in full, because
//! showing how to write one is their point; [`Eventfd`] is the one in that
//! module's example, plus a count of its writes.
//!
//! It is compiled in every build but loom's (whose primitives only work
//! inside a model), because doctests link against the library as it is
//! built for everyone: `cfg(doctest)` is not set for the library itself.

use crate::Notify;
use crate::sync::Ordering::Relaxed;
use crate::sync::{AtomicUsize, Condvar, Mutex, lock};

/// Behaves like an eventfd the poller watches: a write made before a sleep
/// is remembered (that sleep returns at once), several writes before a
/// sleep end only that one, and every write is counted.
#[derive(Debug, Default)]
pub struct Eventfd {
    /// Whether a write waits for the next sleep to consume it.
    written: Mutex<bool>,
    /// Signalled by every write, for a sleeper.
    ready: Condvar,
    /// How many times [`Notify::notify`] was called.
    writes: AtomicUsize,
}

impl Eventfd {
    /// A fresh fd, never written.
    pub fn new() -> Self {
        Self::default()
    }

    /// The loop's sleep in the poller: returns once a write is there, and
    /// consumes it.
    pub fn sleep(&self) {
        let mut written = lock(&self.written);
        while !*written {
            written = self
                .ready
                .wait(written)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
        *written = false;
    }

    /// How many writes were made so far.
    pub fn writes(&self) -> usize {
        self.writes.load(Relaxed)
    }
}

impl Notify for Eventfd {
    fn notify(&self) {
        self.writes.fetch_add(1, Relaxed);
        *lock(&self.written) = true;
        self.ready.notify_one();
    }

    fn unpark(&self) {
        self.notify();
    }
}
