//! A subscription the reactor holds itself, with no task behind it.
//!
//! A [`Signal`](super::Signal) is a subscription that a task awaits: its
//! wakeup fd is an `Async`, and the poller's event wakes the task in
//! `recv`. Some of the reactor's own work starts from a signal, whether or
//! not a task waits: the `SIGCHLD` backend of child processes re-checks
//! the loop's children on every `SIGCHLD` (`process/watch/sigchld.rs`). A
//! [`Listener`] is that subscription: the same slot in the same table,
//! with the same rules (`bridge/src/signal.rs`), whose wakeup fd the
//! reactor registers as a source of its own, as it registers its orphans'
//! pidfds. After each dispatch the reactor looks the listener's
//! [`key`](Listener::key) up among the events it just delivered, and
//! [`take`](Listener::take)s the count.
//!
//! It cannot be an `Async`: an `Async`'s registration holds the reactor
//! (an `Rc`), and the reactor holding it back would be a cycle that keeps
//! both alive forever. So the listener registers the raw fd, keeps its
//! key, and is handed back to the reactor to be closed
//! ([`Listener::close`]), which takes it out of the table first, then out
//! of the poller, and closes the fd last.
//!
//! Like every subscriber, the first listener of a signal in the process
//! installs tether's handler, and the last subscriber to leave puts back
//! the disposition from before (`handler.rs`).

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};

use polling::Poller;
use tether_bridge::signal::Subscription;

use super::wake_fd::{WakePair, drain};
use super::{TABLE, check, subscribe, unsubscribe};
use crate::source_table::{SourceKey, SourceTable};

/// The reactor's own subscription to one signal (the module docs).
pub(crate) struct Listener {
    /// The signal number.
    number: i32,
    /// The slot in the table; `Some` until `close` or the drop.
    subscription: Option<Subscription>,
    /// The fd the handler writes and the reactor reads.
    ///
    /// # Invariant
    ///
    /// Its read end is registered in the reactor's source table under
    /// `key` until `close` removed it, and its token is in
    /// `subscription`'s slot until `close` or the drop unsubscribed it. It
    /// is closed only after both (`close`), or never (a drop without
    /// `close` leaks it).
    pair: Option<WakePair>,
    /// The key of the read end's source in the reactor's table.
    key: SourceKey,
}

impl Listener {
    /// Subscribes the reactor whose table and poller these are to
    /// `signal`; its wakeup fd is registered and armed before the
    /// subscription exists, so that the first delivery is reported.
    ///
    /// # Errors
    ///
    /// As [`Signal::new`](super::Signal::new): a number tether does not
    /// handle, the OS refusing the handler or the fd, a full table; or the
    /// poller refusing the fd. Nothing is left subscribed or registered.
    pub(crate) fn new(
        signal: i32,
        sources: &mut SourceTable,
        poller: &Poller,
    ) -> io::Result<Listener> {
        check(signal)?;
        let pair = WakePair::new()?;
        // SAFETY: the listener owns the fd, and closes it only after
        // `close` removed this key (the invariant on `Listener::pair`); a
        // listener dropped without `close` leaks it instead.
        let key = unsafe { sources.insert(poller, pair.read_end().as_raw_fd())? };
        let token = pair.token();
        let mut listener = Listener {
            number: signal,
            subscription: None,
            pair: Some(pair),
            key,
        };
        let subscribed = sources
            .watch_readable(poller, key)
            .and_then(|()| subscribe(signal, token));
        match subscribed {
            Ok(subscription) => {
                listener.subscription = Some(subscription);
                Ok(listener)
            }
            Err(err) => {
                listener.close(sources, poller);
                Err(err)
            }
        }
    }

    /// The raw key of its source, as the poller reports it in an event.
    pub(crate) fn key(&self) -> usize {
        self.key.raw()
    }

    /// Consumes the fd's wakeups, takes the count of deliveries since the
    /// last `take` (the table's rule 5), and arms the poller for the next
    /// one. Zero means no delivery came since the last `take`.
    ///
    /// The fd is non-blocking and the reactor's own, so reading it cannot
    /// fail; a poller that refuses to re-arm a oneshot source (out of
    /// memory) leaves the listener deaf until the next `take`, which the
    /// caller must survive (the SIGCHLD backend re-checks its children on a
    /// timer too).
    pub(crate) fn take(&self, sources: &mut SourceTable, poller: &Poller) -> u64 {
        let _ = drain(self.pair().read_end());
        let count = TABLE.take(
            self.subscription
                .as_ref()
                .expect("a listener holds its subscription until it is closed"),
        );
        let _ = sources.watch_readable(poller, self.key);
        count
    }

    /// The fd that turns readable when a delivery comes, for a wait with
    /// `poll(2)` outside the reactor (the end of a loop).
    pub(crate) fn as_fd(&self) -> BorrowedFd<'_> {
        self.pair().read_end().as_fd()
    }

    /// Unsubscribes (putting back the signal's disposition if this was its
    /// last subscriber in the process), takes the fd out of the reactor's
    /// table and poller, and closes it.
    pub(crate) fn close(mut self, sources: &mut SourceTable, poller: &Poller) {
        if let Some(subscription) = self.subscription.take() {
            unsubscribe(self.number, subscription);
        }
        sources.remove(poller, self.key);
        // No handler writes the fd any more (the table's rule 3), and
        // neither the table nor the poller knows it: it may close.
        self.pair = None;
    }

    fn pair(&self) -> &WakePair {
        self.pair
            .as_ref()
            .expect("a listener holds its fd until it is closed")
    }
}

impl Drop for Listener {
    /// A listener the reactor did not `close`: unsubscribe, so that no
    /// handler writes the fd, and leak the fd, which the reactor's table
    /// still names (the invariant on `Listener::pair`).
    fn drop(&mut self) {
        if let Some(subscription) = self.subscription.take() {
            unsubscribe(self.number, subscription);
        }
        if let Some(pair) = self.pair.take() {
            std::mem::forget(pair);
        }
    }
}

impl std::fmt::Debug for Listener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Listener")
            .field("number", &self.number)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}
