//! Signals: what a signal handler shares with the loops that subscribe.
//!
//! A Unix signal is delivered to the process: the kernel picks any thread
//! that does not block it, stops it wherever it is, and runs the handler
//! installed for that signal on it. tether lets any number of loops, on any
//! threads, subscribe to one signal, and every subscriber hears every
//! delivery. The handler cannot lock, allocate or wait for anything (the
//! thread it interrupted may hold the very lock it would take), so what it
//! reads must be lock-free and its work wait-free. This module is that
//! state, and the rules that keep it safe: a [`SignalTable`] of
//! subscriptions, each holding a *token* (the reactor's number for the
//! subscriber's wakeup file descriptor) and a count of deliveries not yet
//! taken, plus one counter of the handler's runs per signal.
//!
//! The handler calls [`SignalTable::deliver`]: for each subscription of
//! its signal it adds one to the count, then calls `wake(token)`, which in
//! the runtime is a `write` to the subscriber's eventfd, and which the loom
//! model replaces with a fake file descriptor loom can see. The subscriber's
//! loop sees the fd become readable through its ordinary poller wakeup,
//! parked or not, reads it, and [`take`](SignalTable::take)s the count.
//! Nothing here names a system call: installing the handler
//! (`sigaction`) and writing the fd belong to the reactor, which passes
//! them in as closures.
//!
//! # The hard part: letting go of a file descriptor
//!
//! A handler running on another thread may be about to write to the fd of
//! a subscription that its loop is dropping. If the loop closed the fd at
//! that moment, the OS could hand the same number to a new file (a socket,
//! a database file) and the late write would land there. So
//! [`unsubscribe`](SignalTable::unsubscribe) returns only when no handler
//! can still write the token, and the fd is closed after it returns. The
//! handler, for its part, never waits for the loop: a handler that
//! interrupts the very thread that is unsubscribing must finish, or that
//! thread would wait for it forever.
//!
//! # The slot word
//!
//! Each slot of the table has one atomic word, and the handler decides
//! everything on one read-modify-write of it:
//!
//! | bits | field | meaning |
//! |------|-------|---------|
//! | 0–21 | in flight | handlers between their increment and their decrement of this word |
//! | 22 | `CLOSING` | the subscription is being removed: no new delivery, and the slot cannot be taken yet |
//! | 23 | `SUBSCRIBED` | the slot holds a subscription: deliver to it |
//! | 24–31 | signal | its signal number (`SUBSCRIBED` only) |
//! | 32–63 | token | its token (`SUBSCRIBED` only) |
//!
//! Everything but the in-flight count is the slot's *owner* part. With it
//! zero the slot is free (in-flight may still be above zero for a moment:
//! see rule 2).
//!
//! ```text
//!              subscribe: CAS (free -> ours)
//!    +------+ -----------------------------> +------------------------+
//!    | free |                                | SUBSCRIBED(sig, token) |
//!    +------+ <---------+                    +------------------------+
//!                       |                                 |
//!   release: clear      |   +---------+  unsubscribe:     |
//!   CLOSING, after the  +-- | CLOSING | <-----------------+
//!   count is reset          +---------+  xor (ours -> CLOSING), then
//!                                        wait for in flight == 0
//!
//!   handler, at any time and in any state:
//!     in flight += 1 (fetch_add) -- was it SUBSCRIBED(sig)? -- count += 1,
//!     wake(token) -- in flight -= 1 (fetch_sub)
//! ```
//!
//! # Rules
//!
//! 1. Only [`subscribe`](SignalTable::subscribe) moves a slot from free to
//!    `SUBSCRIBED`, and only the holder of the returned [`Subscription`]
//!    (it is not `Clone`) moves it on, to `CLOSING` and back to free. So
//!    while a slot is `SUBSCRIBED`, its owner part is exactly the one its
//!    subscriber wrote.
//! 2. A handler first loads the word and skips the slot unless it shows
//!    `SUBSCRIBED` with its signal. Otherwise it adds one to the in-flight
//!    count, and the value that increment *returned* decides: it delivers
//!    only if that value is `SUBSCRIBED` with its signal, and only to the
//!    token in that value. Then it subtracts one, with Release, whether it
//!    delivered or not.
//! 3. To unsubscribe, the owner flips its owner part to `CLOSING` in one
//!    read-modify-write, then loads the word (Acquire) until the in-flight
//!    count reads zero. Only then does `unsubscribe` return, and only then
//!    may the caller close the fd.
//! 4. A delivery adds one to the slot's count before it wakes the token.
//! 5. The subscriber takes the count only after it has consumed the fd's
//!    readiness (the reactor reads the fd until it would block), and waits
//!    for the fd again only if the count it took was zero.
//! 6. A slot changes owner only under the table's mutex: `subscribe`
//!    claims it there, and `unsubscribe` flips it to `CLOSING`, waits,
//!    resets its count and frees it, all without letting go of the mutex.
//!    The claim is a Release compare-exchange, and the handler's increment
//!    an Acquire.
//! 7. The handler never waits: `deliver` is a bounded loop over the slots,
//!    with at most one load and two read-modify-writes on each, and one on
//!    the count. The unsubscriber's wait lasts only as long as handlers
//!    that already passed rule 2's load (new ones skip a `CLOSING` slot),
//!    each of which has one `write` left to make.
//! 8. Installing and restoring the signal's disposition happen under the
//!    same mutex, which the handler never touches: the first subscriber of
//!    a signal claims its slot, then installs; the last one restores, then
//!    releases its slot. Every word of the slot array is written with a
//!    read-modify-write, never a plain store.
//!
//! # Why it is correct
//!
//! *No write after the fd is closed.* Take a handler that wakes a token:
//! by rule 2, its increment I read `SUBSCRIBED` with that token, so I comes
//! before the unsubscriber's flip F to `CLOSING` in the word's modification
//! order (rule 1: after F, the owner part is never that subscription's
//! again; a later subscriber's is a new subscription, with its own open
//! fd). Every value between I and the handler's decrement D carries I's
//! one in the count, so the unsubscriber's load that reads a count of zero
//! (rule 3), which comes after F, reads D or a later value. Every write to
//! the word is a read-modify-write (rule 8), so D heads a release sequence
//! that runs through every later value: the Acquire load synchronizes with
//! D, the handler's write happens before the load, and the close comes
//! after the load. A handler whose increment came after F read `CLOSING`
//! or a free slot, and writes nothing. Had the handler decided on its
//! first load instead (check, then act), it could pass the check and be
//! preempted; the unsubscriber would flip the slot, find no handler in
//! flight and close the fd; then the handler would increment and write:
//! the seeded bug `signal_decide_on_load`.
//!
//! *No delivery after the subscribe is lost.* A handler run that begins
//! after `subscribe` returned loads a value no older than the claim
//! (coherence), so it finds the slot `SUBSCRIBED` unless it was
//! unsubscribed since: it counts, then wakes (rule 4). Counts are
//! read-modify-writes on one location, so none is lost, and `take` swaps
//! the total out. A wake that comes after the subscriber's last
//! consumption of the fd makes it readable again, and the subscriber's
//! loop, which waits on the fd whenever it took zero (rule 5), sees that
//! readiness, consumes it, and takes a count that includes this delivery,
//! because the delivery counted before it woke. A wake that comes before
//! a consumption whose take then found its count already counted by an
//! earlier take only costs one empty round: the count was not lost, it was
//! taken early. Had rule 4 been the other way round, a subscriber could
//! consume the wake, take zero, and wait with the count still to come:
//! the seeded bug `signal_wake_before_count`.
//!
//! *A reused slot starts from zero.* The reset of rule 6 happens before
//! the next claim of the slot, through the mutex both hold. The claim is a
//! Release read-modify-write that heads a release sequence every later
//! value continues, so a handler's Acquire increment that reads the new
//! subscription synchronizes with the claim, and its count comes after the
//! reset. The mutex also means that two loops never race for a slot: only
//! handlers race the loops, and only through the in-flight count, which
//! `claim` carries over (a handler may pass through a free slot, rule 2).
//!
//! *The disposition matches the subscribers.* Under the mutex (rule 8),
//! tether's handler is installed exactly while a signal has a subscriber.
//! A signal that arrives while the last subscriber leaves finds either its
//! slot (and goes to the leaving subscriber, who no longer reads it) or
//! the disposition that was there before tether's (restored first, so the
//! signal is never swallowed by a handler with nobody behind it). The
//! first subscriber's signal is never lost between install and claim,
//! because the claim comes first.
//!
//! # What a signal handler can and cannot rely on
//!
//! A handler interrupts its own thread, which loom cannot model: loom
//! models threads. The handler here is therefore written as if it ran on
//! another thread, and is checked as such, and two facts make that enough.
//! It touches only atomics, which are as atomic against an interruption of
//! the same thread as against another thread; and it never waits, so the
//! one thing an interruption adds, that the interrupted code cannot run
//! until the handler returns, cannot deadlock it. Rule 3's wait is in the
//! unsubscriber, never in the handler, and the unsubscriber is never a
//! handler.
//!
//! # The model
//!
//! `loom-tests/tests/signal.rs` races an unsubscribe against two handlers
//! in flight, with the fd a loom cell that the close writes (so that a write
//! not ordered before the close is a data race loom reports); races two
//! handlers against a subscriber that waits on a fake eventfd, and checks
//! that every delivery is counted and wakes it. The lines marked
//! `MUTANT:` are the bugs those models are shown to catch
//! (`loom-tests/mutants.sh`).
//!
//! # Examples
//!
//! Two loops subscribe to signal 10; the handler runs once; each loop
//! takes its delivery. Here the tokens index a vector of counters, where
//! the runtime would write an eventfd.
//!
//! ```
//! use std::sync::Mutex;
//! use tether_bridge::signal::SignalTable;
//!
//! // Up to 4 subscriptions, signal numbers below 32. The disposition
//! // saved at install is a string here; the runtime saves a `sigaction`.
//! let table: SignalTable<&str, 4, 32> = SignalTable::new();
//! let installs = Mutex::new(0);
//! let install = || -> Result<&str, ()> {
//!     *installs.lock().unwrap() += 1;
//!     Ok("the default")
//! };
//! let a = table.subscribe(10, 0, install).unwrap();
//! let b = table.subscribe(10, 1, install).unwrap();
//! assert_eq!(*installs.lock().unwrap(), 1); // the first subscriber installs
//!
//! // The signal handler.
//! let writes = Mutex::new(vec![0; 2]);
//! table.deliver(10, |token| writes.lock().unwrap()[token as usize] += 1);
//! assert_eq!(*writes.lock().unwrap(), [1, 1]);
//! assert_eq!(table.runs(10), 1);
//!
//! // Each loop, woken by its fd, takes its count.
//! assert_eq!(table.take(&a), 1);
//! assert_eq!(table.take(&b), 1);
//! assert_eq!(table.take(&a), 0);
//!
//! // The last subscriber to leave restores what was there before.
//! table.unsubscribe(a, |_| unreachable!("b is still subscribed"));
//! let mut restored = None;
//! table.unsubscribe(b, |previous| restored = Some(previous));
//! assert_eq!(restored, Some("the default"));
//! ```

#[cfg(test)]
mod tests;

use crate::sync::Ordering::{Acquire, Relaxed, Release};
use crate::sync::{AtomicU64, Mutex, lock, yield_thread};

/// One handler in flight, in the low bits of a slot word.
const IN_FLIGHT: u64 = 1;
/// The in-flight count: 22 bits, four million handlers at once.
const IN_FLIGHT_MASK: u64 = (1 << 22) - 1;
/// The subscription is being removed: no delivery, and not free yet.
const CLOSING: u64 = 1 << 22;
/// The slot holds a subscription: deliver to it.
const SUBSCRIBED: u64 = 1 << 23;
/// Where the signal number sits: bits 24 to 31.
const SIGNAL_SHIFT: u32 = 24;
/// Where the token sits: bits 32 to 63.
const TOKEN_SHIFT: u32 = 32;
/// What a handler compares: the state bits and the signal, not the token.
const MATCH_MASK: u64 = (1 << TOKEN_SHIFT) - 1 - IN_FLIGHT_MASK;

/// The largest number of signal numbers a table can cover: the signal
/// field of a slot word has 8 bits.
///
/// # Examples
///
/// ```
/// use tether_bridge::signal::{MAX_SIGNALS, SignalTable};
///
/// // Every number that fits in a slot word.
/// let table: SignalTable<(), 1, MAX_SIGNALS> = SignalTable::new();
/// let sub = table.subscribe(255, 0, || Ok::<(), ()>(())).unwrap();
/// table.unsubscribe(sub, drop);
/// ```
pub const MAX_SIGNALS: usize = 256;

/// The subscriptions to signals of one process, shared by the signal
/// handler and every loop; see the [module documentation](self).
///
/// `S` is what installing the handler of a signal saves (the runtime keeps
/// the previous `sigaction` in it), handed back to be restored when the
/// signal's last subscriber leaves. `SLOTS` bounds the number of
/// subscriptions at once, `SIGNALS` the signal numbers (`1..SIGNALS`).
///
/// # Examples
///
/// The table is full when every slot holds a subscription; freeing one
/// makes room.
///
/// ```
/// use tether_bridge::signal::{SignalTable, SubscribeError};
///
/// let table: SignalTable<(), 1, 32> = SignalTable::new();
/// let first = table.subscribe(2, 7, || Ok::<(), ()>(())).unwrap();
/// assert_eq!((first.signal(), first.token()), (2, 7));
/// match table.subscribe(15, 8, || Ok::<(), ()>(())) {
///     Err(SubscribeError::Full) => {}
///     other => panic!("a second subscription fit in one slot: {other:?}"),
/// }
/// table.unsubscribe(first, drop);
/// let second = table.subscribe(15, 8, || Ok::<(), ()>(())).unwrap();
/// table.unsubscribe(second, drop);
/// ```
pub struct SignalTable<S, const SLOTS: usize, const SIGNALS: usize> {
    /// The subscriptions: what the handler reads.
    slots: [Slot; SLOTS],
    /// How many times the handler ran, per signal number.
    runs: [AtomicU64; SIGNALS],
    /// Per signal number: how many subscribers it has, and what its
    /// handler's install saved. Never touched by the handler (rule 8).
    dispositions: Mutex<Vec<Option<Installed<S>>>>,
}

/// One subscription's place in the table.
struct Slot {
    /// The slot word: state, signal, token and the in-flight count (see
    /// the module documentation). Only ever written by read-modify-writes
    /// (rule 8).
    state: AtomicU64,
    /// Deliveries counted and not taken yet. Added to by handlers (rule 4),
    /// swapped out by [`SignalTable::take`], reset by the unsubscriber
    /// before the slot is freed (rule 6).
    pending: AtomicU64,
}

/// A signal whose handler is installed.
struct Installed<S> {
    /// Subscriptions to it; the handler stays installed while above zero.
    subscribers: usize,
    /// What the install saved, to be restored by the last to leave.
    previous: S,
}

/// A slot `subscribe` claimed and has not handed out yet: released when
/// dropped still holding it.
struct Claimed<'a, S, const SLOTS: usize, const SIGNALS: usize> {
    /// The table the slot is in.
    table: &'a SignalTable<S, SLOTS, SIGNALS>,
    /// The claim, until `subscribe` returns it.
    subscription: Option<Subscription>,
}

impl<S, const SLOTS: usize, const SIGNALS: usize> Drop for Claimed<'_, S, SLOTS, SIGNALS> {
    fn drop(&mut self) {
        if let Some(subscription) = self.subscription.take() {
            self.table.release(subscription);
        }
    }
}

/// A subscription to one signal: the right to [`take`](SignalTable::take)
/// its deliveries, and the duty to [`unsubscribe`](SignalTable::unsubscribe).
///
/// Not `Clone`: its holder alone may remove it (rule 1). Forgetting it
/// leaves the slot subscribed for good, so the handler keeps waking its
/// token; the runtime keeps the token's fd with it, so the fd is leaked
/// with it rather than closed under the handler.
///
/// # Examples
///
/// ```
/// use tether_bridge::signal::{SignalTable, Subscription};
///
/// let table: SignalTable<(), 2, 32> = SignalTable::new();
/// let sub: Subscription = table.subscribe(10, 3, || Ok::<(), ()>(())).unwrap();
/// assert_eq!((sub.signal(), sub.token()), (10, 3));
/// table.deliver(10, |token| assert_eq!(token, 3));
/// assert_eq!(table.take(&sub), 1);
/// table.unsubscribe(sub, drop); // gives the slot back
/// ```
#[must_use = "a subscription must be given back with `unsubscribe`, or its slot is lost"]
#[derive(Debug)]
pub struct Subscription {
    /// Index of its slot.
    slot: usize,
    /// The owner part it wrote into the slot word (rule 1).
    owner: u64,
}

/// Why [`SignalTable::subscribe`] failed; nothing was subscribed.
///
/// # Examples
///
/// An install that fails leaves the table as it was.
///
/// ```
/// use tether_bridge::signal::{SignalTable, SubscribeError};
///
/// let table: SignalTable<(), 2, 32> = SignalTable::new();
/// let err = table.subscribe(9, 3, || Err("cannot be caught")).unwrap_err();
/// assert!(matches!(err, SubscribeError::Install("cannot be caught")));
/// // Its slot was given back: two subscriptions still fit.
/// let a = table.subscribe(2, 3, || Ok::<(), ()>(())).unwrap();
/// let b = table.subscribe(2, 4, || Ok::<(), ()>(())).unwrap();
/// table.unsubscribe(a, drop);
/// table.unsubscribe(b, drop);
/// ```
#[derive(Debug, PartialEq, Eq)]
pub enum SubscribeError<E> {
    /// Every slot holds a subscription.
    Full,
    /// This was the signal's first subscriber, and installing its handler
    /// failed with this error.
    Install(E),
}

// ===== impl Slot =====

impl Slot {
    #[cfg(not(loom))]
    const fn new() -> Self {
        Self {
            state: AtomicU64::new(0),
            pending: AtomicU64::new(0),
        }
    }

    #[cfg(loom)]
    fn new() -> Self {
        Self {
            state: AtomicU64::new(0),
            pending: AtomicU64::new(0),
        }
    }
}

// ===== impl SignalTable =====

impl<S, const SLOTS: usize, const SIGNALS: usize> SignalTable<S, SLOTS, SIGNALS> {
    /// An empty table; `const`, so that it can be the `static` a signal
    /// handler reads. Shown in [`SignalTable`'s example](SignalTable#examples).
    ///
    /// # Panics
    ///
    /// If `SIGNALS` is above [`MAX_SIGNALS`] (at compile time in a
    /// `static`).
    #[cfg(not(loom))]
    pub const fn new() -> Self {
        assert!(
            SIGNALS <= MAX_SIGNALS,
            "a slot word holds 8-bit signal numbers"
        );
        Self {
            slots: [const { Slot::new() }; SLOTS],
            runs: [const { AtomicU64::new(0) }; SIGNALS],
            dispositions: Mutex::new(Vec::new()),
        }
    }

    /// An empty table (loom's atomics cannot be made in a `const fn`).
    #[cfg(loom)]
    pub fn new() -> Self {
        assert!(
            SIGNALS <= MAX_SIGNALS,
            "a slot word holds 8-bit signal numbers"
        );
        Self {
            slots: std::array::from_fn(|_| Slot::new()),
            runs: std::array::from_fn(|_| AtomicU64::new(0)),
            dispositions: Mutex::new(Vec::new()),
        }
    }

    /// Subscribes `token` to `signal`; the first subscriber of a signal
    /// calls `install`, which installs the handler and returns what it
    /// replaced. Any thread but a signal handler.
    ///
    /// From the moment this returns, every run of the handler for
    /// `signal` counts for this subscription and wakes `token`, until
    /// [`unsubscribe`](SignalTable::unsubscribe).
    ///
    /// # Errors
    ///
    /// [`SubscribeError::Full`] if every slot is taken;
    /// [`SubscribeError::Install`] with `install`'s error. Either way
    /// nothing is subscribed.
    ///
    /// # Panics
    ///
    /// If `signal` is not in `1..SIGNALS`; the caller checks it first.
    ///
    /// # Examples
    ///
    /// ```
    /// use tether_bridge::signal::SignalTable;
    ///
    /// let table: SignalTable<u8, 4, 32> = SignalTable::new();
    /// let mut installs = 0;
    /// let a = table.subscribe(15, 3, || { installs += 1; Ok::<u8, ()>(0) }).unwrap();
    /// let b = table.subscribe(15, 4, || { installs += 1; Ok::<u8, ()>(0) }).unwrap();
    /// assert_eq!(installs, 1);
    /// table.unsubscribe(a, drop);
    /// table.unsubscribe(b, drop);
    /// ```
    pub fn subscribe<E>(
        &self,
        signal: i32,
        token: u32,
        install: impl FnOnce() -> Result<S, E>,
    ) -> Result<Subscription, SubscribeError<E>> {
        let index = Self::index(signal)
            .unwrap_or_else(|| panic!("signal number {signal} is outside 1..{SIGNALS}"));
        let mut dispositions = lock(&self.dispositions);
        if dispositions.is_empty() {
            dispositions.resize_with(SIGNALS, || None);
        }
        // Rule 8: the slot first, so that the first delivery after the
        // install finds it.
        let subscription = self
            .claim(index as u64, token)
            .ok_or(SubscribeError::Full)?;
        // Released again if `install` fails or panics: a slot left
        // `SUBSCRIBED` with no `Subscription` would be woken for ever, on
        // a token whose fd its caller closes as it unwinds. Dropped before
        // the mutex guard, so the release runs under the mutex (rule 6).
        let mut claimed = Claimed {
            table: self,
            subscription: Some(subscription),
        };
        match &mut dispositions[index] {
            Some(installed) => installed.subscribers += 1,
            entry @ None => match install() {
                Ok(previous) => {
                    *entry = Some(Installed {
                        subscribers: 1,
                        previous,
                    });
                }
                Err(err) => return Err(SubscribeError::Install(err)),
            },
        }
        Ok(claimed.subscription.take().expect("taken only here"))
    }

    /// Takes a free slot for `signal` and `token` (rules 1 and 6).
    fn claim(&self, signal: u64, token: u32) -> Option<Subscription> {
        let owner = SUBSCRIBED | signal << SIGNAL_SHIFT | u64::from(token) << TOKEN_SHIFT;
        for (slot_index, slot) in self.slots.iter().enumerate() {
            let mut current = slot.state.load(Relaxed);
            // Free means no owner; handlers may still be passing through
            // (rule 2), so the in-flight count is carried over. No other
            // loop can take the slot meanwhile: the caller holds the mutex.
            while current & !IN_FLIGHT_MASK == 0 {
                // Release: pairs with the handler's Acquire increment, so
                // the reset of the slot's count comes before any delivery
                // to us (rule 6).
                match slot
                    .state
                    .compare_exchange_weak(current, current | owner, Release, Relaxed)
                {
                    Ok(_) => {
                        return Some(Subscription {
                            slot: slot_index,
                            owner,
                        });
                    }
                    // A handler moved the count (or, on real hardware, the
                    // weak compare-exchange failed spuriously): look again.
                    Err(now) => current = now,
                }
            }
        }
        None
    }

    /// Removes `subscription`; the last subscriber of a signal calls
    /// `restore` with what the install saved. Any thread but a signal
    /// handler.
    ///
    /// When this returns, no handler can still wake the subscription's
    /// token: its fd may be closed. It may wait, briefly, for handlers
    /// running on other threads to finish their delivery to it (rule 3).
    ///
    /// # Examples
    ///
    /// ```
    /// use tether_bridge::signal::SignalTable;
    ///
    /// let table: SignalTable<&str, 4, 32> = SignalTable::new();
    /// let sub = table.subscribe(1, 0, || Ok::<_, ()>("what was there")).unwrap();
    /// let mut restored = None;
    /// table.unsubscribe(sub, |previous| restored = Some(previous));
    /// assert_eq!(restored, Some("what was there"));
    /// // No subscriber left: the handler's runs wake nobody.
    /// table.deliver(1, |_| unreachable!());
    /// assert_eq!(table.runs(1), 1);
    /// ```
    pub fn unsubscribe(&self, subscription: Subscription, restore: impl FnOnce(S)) {
        let index = ((subscription.owner >> SIGNAL_SHIFT) & 0xff) as usize;
        let mut dispositions = lock(&self.dispositions);
        let entry = &mut dispositions[index];
        let installed = entry
            .as_mut()
            .expect("a live subscription counts among its signal's subscribers");
        installed.subscribers -= 1;
        if installed.subscribers == 0 {
            // Rule 8: restore first, so that a signal arriving now goes to
            // what was there before rather than to nobody.
            if let Some(Installed { previous, .. }) = entry.take() {
                restore(previous);
            }
        }
        self.release(subscription);
    }

    /// Empties the slot of `subscription`, once no handler can still wake
    /// its token (rules 3 and 6). The caller holds the mutex.
    fn release(&self, subscription: Subscription) {
        let slot = &self.slots[subscription.slot];
        // Rule 3. The owner part is exactly ours (rule 1), so xor turns it
        // into CLOSING and leaves the in-flight count alone. Relaxed: the
        // wait below does the synchronizing.
        let before = slot.state.fetch_xor(subscription.owner ^ CLOSING, Relaxed);
        debug_assert_eq!(before & !IN_FLIGHT_MASK, subscription.owner);
        // MUTANT: return at once, while a handler may still write the token.
        #[cfg(not(tether_mutant = "signal_unsubscribe_no_wait"))]
        // Acquire: pairs with the Release decrement of every handler that
        // delivered, so their writes come before the caller's close.
        while slot.state.load(Acquire) & IN_FLIGHT_MASK != 0 {
            yield_thread();
        }
        // Rule 6. A swap, not a store: every write to the table is a
        // read-modify-write. Relaxed, here and in the free: the mutex the
        // caller holds orders both before the next claim of the slot.
        // MUTANT: leave the count of the subscription that left, for the
        // next one to take.
        #[cfg(not(tether_mutant = "signal_reuse_no_reset"))]
        slot.pending.swap(0, Relaxed);
        slot.state.fetch_and(!CLOSING, Relaxed);
    }

    /// The signal handler's part: counts a run of the handler for
    /// `signal`, and for each subscription to it, counts the delivery and
    /// calls `wake` with its token. Wait-free, lock-free, and allocates
    /// nothing (rule 7); a signal outside `1..SIGNALS` is ignored.
    ///
    /// # Examples
    ///
    /// Deliveries add up until they are taken.
    ///
    /// ```
    /// use tether_bridge::signal::SignalTable;
    ///
    /// let table: SignalTable<(), 4, 32> = SignalTable::new();
    /// let sub = table.subscribe(2, 5, || Ok::<(), ()>(())).unwrap();
    /// let mut woken = Vec::new();
    /// for _ in 0..3 {
    ///     table.deliver(2, |token| woken.push(token));
    /// }
    /// table.deliver(3, |_| unreachable!("nobody subscribed to 3"));
    /// assert_eq!(woken, [5, 5, 5]);
    /// assert_eq!((table.runs(2), table.runs(3)), (3, 1));
    /// assert_eq!(table.take(&sub), 3);
    /// table.unsubscribe(sub, drop);
    /// ```
    pub fn deliver(&self, signal: i32, mut wake: impl FnMut(u32)) {
        let Some(index) = Self::index(signal) else {
            return;
        };
        self.runs[index].fetch_add(1, Relaxed);
        let wanted = SUBSCRIBED | (index as u64) << SIGNAL_SHIFT;
        for slot in &self.slots {
            // Rule 2. A plain load first: most slots are free or another
            // signal's, and a CLOSING slot must not gain new handlers.
            let loaded = slot.state.load(Relaxed);
            if loaded & MATCH_MASK != wanted {
                continue;
            }
            // Acquire: pairs with the claim's Release (rule 6).
            #[cfg_attr(tether_mutant = "signal_decide_on_load", allow(unused_variables))]
            let seen = slot.state.fetch_add(IN_FLIGHT, Acquire);
            // MUTANT: decide on the first load, not on what the increment
            // returned: check, then act.
            #[cfg(tether_mutant = "signal_decide_on_load")]
            let seen = loaded;
            if seen & MATCH_MASK == wanted {
                let token = (seen >> TOKEN_SHIFT) as u32;
                // MUTANT: wake, then count: the subscriber may consume the
                // wake and take zero before the count lands.
                #[cfg(tether_mutant = "signal_wake_before_count")]
                wake(token);
                // Rule 4. Relaxed: the wake that follows is what the
                // subscriber synchronizes with (rule 5).
                slot.pending.fetch_add(1, Relaxed);
                #[cfg(not(tether_mutant = "signal_wake_before_count"))]
                wake(token);
            }
            // Release: pairs with the unsubscriber's Acquire load (rule 3),
            // so the wake above comes before its fd is closed.
            slot.state.fetch_sub(IN_FLIGHT, Release);
        }
    }

    /// Takes the deliveries counted for `subscription` since the last
    /// take: zero if there were none. The subscriber's loop calls it after
    /// consuming its fd's readiness (rule 5). Shown in
    /// [`Subscription`'s example](Subscription#examples).
    pub fn take(&self, subscription: &Subscription) -> u64 {
        // Relaxed: a read-modify-write sees every count added before it in
        // the count's own modification order; the ordering with the
        // delivery comes from the fd (rule 5).
        self.slots[subscription.slot].pending.swap(0, Relaxed)
    }

    /// How many times the handler ran for `signal` since the process
    /// started: a delivery the kernel merged with another before the
    /// handler ran is not among them. Any thread.
    ///
    /// # Examples
    ///
    /// ```
    /// use tether_bridge::signal::SignalTable;
    ///
    /// let table: SignalTable<(), 2, 32> = SignalTable::new();
    /// table.deliver(4, |_| unreachable!("no subscriber")); // still a run
    /// assert_eq!((table.runs(4), table.runs(5)), (1, 0));
    /// assert_eq!(table.runs(32), 0); // outside the table
    /// ```
    pub fn runs(&self, signal: i32) -> u64 {
        Self::index(signal).map_or(0, |index| self.runs[index].load(Relaxed))
    }

    /// The index of `signal` in `runs` and `dispositions`, if it is in
    /// `1..SIGNALS`.
    fn index(signal: i32) -> Option<usize> {
        usize::try_from(signal)
            .ok()
            .filter(|&index| index > 0 && index < SIGNALS)
    }
}

impl<S, const SLOTS: usize, const SIGNALS: usize> Default for SignalTable<S, SLOTS, SIGNALS> {
    fn default() -> Self {
        Self::new()
    }
}

impl<S, const SLOTS: usize, const SIGNALS: usize> std::fmt::Debug
    for SignalTable<S, SLOTS, SIGNALS>
{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let subscribed = self
            .slots
            .iter()
            .filter(|slot| slot.state.load(Relaxed) & SUBSCRIBED != 0)
            .count();
        f.debug_struct("SignalTable")
            .field("slots", &SLOTS)
            .field("subscribed", &subscribed)
            .finish_non_exhaustive()
    }
}

impl Subscription {
    /// The signal subscribed to. Shown in
    /// [`SignalTable`'s example](SignalTable#examples).
    pub fn signal(&self) -> i32 {
        ((self.owner >> SIGNAL_SHIFT) & 0xff) as i32
    }

    /// The token the handler wakes. Shown in
    /// [`SignalTable`'s example](SignalTable#examples).
    pub fn token(&self) -> u32 {
        (self.owner >> TOKEN_SHIFT) as u32
    }
}
