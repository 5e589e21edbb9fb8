//! The wakeup under a model checker (`--cfg loom` or `--cfg shuttle`).
//!
//! A wait in the poller is a system call the checker cannot see: it would
//! block the checker's one thread, and a wake written to an eventfd would
//! reach it behind the checker's back. So in a checker's build the poller
//! is asked only for what is ready now (a zero timeout), and the sleep
//! that would follow happens here, on a flag under the checker's lock and
//! condition variable, which the checker schedules like any other wait: a
//! wake that is never written shows up as a deadlock. A sleep with a
//! deadline moves the model clock instead (`tether_bridge::sync::now`).

use std::time::Instant;

use tether_bridge::sync::{self, Condvar, Mutex, lock};

/// A written-but-unread flag, as an eventfd's counter is.
#[derive(Debug, Default)]
pub(super) struct Model {
    /// Whether a wake came since the last sleep ended.
    woken: Mutex<bool>,
    /// Signalled by a wake.
    ready: Condvar,
}

impl Model {
    /// Writes the wake: ends the current sleep if it has no deadline, or
    /// else the next one at once.
    pub(super) fn wake(&self) {
        *lock(&self.woken) = true;
        self.ready.notify_one();
    }

    /// With no deadline, sleeps until a wake. With one, returns at once if
    /// a wake has come already, and otherwise lets the whole timeout pass
    /// on the model clock, which a wake does not cut short. Either way it
    /// reads the wake if one came.
    pub(super) fn sleep(&self, deadline: Option<Instant>) {
        let mut woken = lock(&self.woken);
        match deadline {
            None => {
                while !*woken {
                    woken = self
                        .ready
                        .wait(woken)
                        .unwrap_or_else(|poisoned| poisoned.into_inner());
                }
            }
            Some(deadline) if !*woken => {
                drop(woken);
                // The whole timeout passes (the model clock's rule).
                sync::park_timeout(deadline.saturating_duration_since(sync::now()));
                woken = lock(&self.woken);
            }
            Some(_) => {}
        }
        *woken = false;
    }
}
