//! The injection queue: how other threads hand work to the loop.
//!
//! Any thread may push an item (a task to schedule, a message for the loop)
//! into an [`Inject`]; only the loop thread takes items out. The queue itself
//! is `concurrent_queue::ConcurrentQueue`: unbounded, and without a lock (a
//! pop may spin for a moment while a producer finishes writing the slot it
//! claimed). What this module adds is the part no queue can do alone: making
//! sure a loop that is asleep in the reactor wakes up for the item, while
//! writing the wakeup as rarely as possible, because each write is a system
//! call and each needless one also costs the loop a needless trip through
//! the kernel.
//!
//! # The state word
//!
//! One atomic byte says where the loop stands with respect to the queue:
//!
//! | state      | meaning |
//! |------------|---------|
//! | `EMPTY`    | the loop is awake, and no producer has announced an item since the loop last drained |
//! | `NOTIFIED` | a producer announced an item the loop has not drained yet |
//! | `PARKED`   | the loop is asleep in the reactor (or about to be), and nobody has announced anything since it decided to sleep |
//!
//! ```text
//!                  transition_to_parked: CAS
//!         +-------+ -----------------------> +--------+
//!         | EMPTY |                          | PARKED |
//!         +-------+ <----------------------- +--------+
//!           |   ^    transition_to_awake: CAS     |
//!     push: |   | drain:                          | push: swap(NOTIFIED) finds
//!     swap  |   | swap(EMPTY)                     | PARKED: this producer, and
//!           v   |                                 | only it, writes the wakeup
//!         +----------+ <--------------------------+
//!         | NOTIFIED | <-- push again: swap(NOTIFIED), no write
//!         +----------+
//! ```
//!
//! # Rules
//!
//! 1. Producers only ever store `NOTIFIED`; only the loop stores `PARKED` or
//!    `EMPTY`.
//! 2. A producer pushes its item first, then swaps `NOTIFIED` into the word.
//!    If the value it replaced was `PARKED`, that producer, and only that
//!    one, calls [`Notify::notify`].
//! 3. The loop goes to sleep only through a compare-exchange `EMPTY ->
//!    PARKED`; if the word holds `NOTIFIED` instead, it does not sleep.
//! 4. When the reactor returns, the loop compare-exchanges `PARKED -> EMPTY`.
//!    If that fails, the word is `NOTIFIED`, and it stays so for the drain.
//! 5. The drain first loads the word, and stops there unless it reads
//!    `NOTIFIED`. Otherwise it swaps `EMPTY` into the word, then pops the
//!    items the queue holds at that moment, and no more.
//!
//! # Why it is correct
//!
//! *No wakeup is lost.* Take a producer P whose swap S (rule 2) follows its
//! push of item X. The loop's read-modify-writes on the word and S are all
//! ordered in the word's modification order, so one of three things holds:
//!
//! 1. S comes before some drain's swap; let D be the first. D is an Acquire
//!    read-modify-write and S a Release one, and every write between them is
//!    a producer's swap (a read-modify-write, so it continues S's release
//!    sequence): D synchronizes with S, the push of X happens before D, and
//!    the pops that follow D find X, unless an earlier drain already took it.
//! 2. S comes after the last drain's swap, and before the loop's next
//!    attempt to park. That compare-exchange then finds `NOTIFIED`, the loop
//!    does not sleep (rule 3), and its next drain is case 1.
//! 3. S comes after the loop's successful `EMPTY -> PARKED` and before its
//!    `PARKED -> EMPTY` (rule 4). S finds either `PARKED`, and P writes the
//!    wakeup, or `NOTIFIED`, which only a producer that found `PARKED` (and
//!    so wrote the wakeup) can have stored since the park. Either way the
//!    sleep ends, and the loop's next drain is case 1. An S after rule 4's
//!    store finds `EMPTY` while the loop is awake, and falls under case 1
//!    or 2.
//!
//! The drain's first load (rule 5) is a plain one, and may read a stale
//! value; then that drain does nothing, and a later one finds `NOTIFIED`,
//! as does the loop's next compare-exchange, which cannot succeed over a
//! `NOTIFIED` (a compare-exchange that succeeds reads the latest value).
//!
//! A rule-5 drain stops at the length it read after its swap. An item that
//! length did not count, and no earlier drain took, belongs to a producer
//! whose swap came after the drain's swap (had it come before, case 1 says
//! the length counted it): the word is `NOTIFIED` again, and the next
//! iteration drains the item. So the bound never strands an item, and a
//! producer faster than the loop cannot keep the drain, and with it the
//! rest of the iteration, from finishing.
//!
//! *At most one wakeup write per sleep.* A write needs a swap that finds
//! `PARKED`, and leaves `NOTIFIED` behind. The word only returns to `PARKED`
//! through the loop's next `EMPTY -> PARKED`, which needs a drain's swap
//! first: between two sleeps, at most one swap can find `PARKED`.
//!
//! The word is announced *before* the loop enters the system call, so a
//! producer may write the wakeup between the announcement and the call. That
//! is why [`Notify`] must remember a write made before the sleep, as an
//! eventfd or a pipe does. A write can also land just after a sleep ended by
//! a timer: the next sleep then returns at once, one spurious iteration, and
//! the rules above still hold.
//!
//! # Why one word
//!
//! The textbook alternative is a "sleeping" flag written by the loop, plus a
//! re-check of the queue after writing it (Dekker's pattern: each side writes
//! its location, then reads the other's). It is correct only with sequential
//! consistency on both sides, and loom treats `SeqCst` loads, stores and
//! read-modify-writes as `AcqRel` (it models only `fence(SeqCst)`), so
//! written the usual way it makes loom report lost wakeups that cannot
//! happen. Putting the whole handshake in one read-modify-write word, as
//! tokio's `park` does, makes every decision depend on a single
//! modification order, which is exactly what Acquire/Release can reason
//! about, and loom can check. The shape is Vyukov's eventcount (D. Vyukov,
//! "Eventcount", 1024cores.net), reduced to one sleeper.
//!
//! # The model
//!
//! `loom-tests/tests/inject.rs` runs producers against a loop that parks,
//! with [`Notify`] replaced by a loom-visible fake eventfd, and checks that
//! every item is drained exactly once, that the loop never sleeps forever
//! with an item queued, that the producers wrote the wakeup no more often
//! than the loop slept, that one producer's items come out in the order it
//! pushed them, and that a push racing `close` is either drained or handed
//! back. `loom-tests/tests/queue.rs` checks the queue underneath, as
//! [`new_queue`] builds it, and `loom-tests/tests/stop.rs` the executor's
//! stop and shutdown over this queue. The lines marked `MUTANT:` are the
//! bugs those models are shown to catch (`loom-tests/mutants.sh`).
//!
//! # Examples
//!
//! The examples of this module stand `Eventfd`, a test double, in for the
//! reactor's wakeup: like an eventfd, it remembers a write made before the
//! loop sleeps on it, and it counts the writes. (It is built in a hidden
//! line; `notify`'s example shows how such a notifier is written.)
//!
//! The loop parks and sleeps; a producer thread pushes and writes the
//! wakeup; the loop wakes and drains.
//!
//! ```
//! use std::sync::Arc;
//! use tether_bridge::inject::{Inject, TransitionToParked};
//! # use tether_bridge::test_double::Eventfd;
//!
//! let inject = Arc::new(Inject::new(Eventfd::new()));
//! assert_eq!(inject.transition_to_parked(), TransitionToParked::Sleep);
//! let producer = {
//!     let inject = inject.clone();
//!     std::thread::spawn(move || inject.push("job").unwrap())
//! };
//! // The reactor's sleep: it ends when the producer writes the wakeup.
//! inject.notifier().sleep();
//! inject.transition_to_awake();
//! let mut items = Vec::new();
//! assert_eq!(inject.drain(|item| items.push(item)), 1);
//! assert_eq!(items, ["job"]);
//! producer.join().unwrap();
//! assert_eq!(inject.wakeup_writes(), 1);
//! ```

use concurrent_queue::ConcurrentQueue;

use crate::sync::AtomicU8;
use crate::sync::AtomicU64;
use crate::sync::Ordering::{Acquire, Relaxed, Release};
use crate::{Closed, Notify};

/// The loop is awake and has drained everything announced so far.
const EMPTY: u8 = 0;
/// A producer has announced an item the loop has not drained yet.
const NOTIFIED: u8 = 1;
/// The loop is asleep in the reactor, or about to be.
const PARKED: u8 = 2;

/// A multi-producer, single-consumer queue that wakes a sleeping loop.
///
/// Producers on any thread call [`push`](Inject::push). The loop thread
/// calls [`transition_to_parked`](Inject::transition_to_parked) and
/// [`transition_to_awake`](Inject::transition_to_awake) around its sleep,
/// [`drain`](Inject::drain) once per iteration, and
/// [`close`](Inject::close) at shutdown. See the module documentation for
/// the protocol.
///
/// # Examples
///
/// Producers on three threads; the loop, awake, needs no wakeup.
///
/// ```
/// use std::sync::Arc;
/// use tether_bridge::{Inject, Notify};
/// # use tether_bridge::test_double::Eventfd;
///
/// let inject = Arc::new(Inject::new(Eventfd::new()));
/// assert!(!inject.is_notified() && !inject.is_closed());
/// let producers: Vec<_> = (0..3)
///     .map(|i| {
///         let inject = inject.clone();
///         std::thread::spawn(move || inject.push(i).unwrap())
///     })
///     .collect();
/// for producer in producers {
///     producer.join().unwrap();
/// }
/// // Announced, but the loop was awake: nobody wrote the wakeup.
/// assert!(inject.is_notified());
/// assert_eq!(inject.wakeup_writes(), 0);
/// let mut items = Vec::new();
/// assert_eq!(inject.drain(|item| items.push(item)), 3);
/// items.sort();
/// assert_eq!(items, [0, 1, 2]);
/// assert!(!inject.is_notified());
///
/// // The loop may write the wakeup itself; only producers' writes count.
/// inject.notifier().notify();
/// assert_eq!(inject.notifier().writes(), 1);
/// assert_eq!(inject.wakeup_writes(), 0);
///
/// // At shutdown.
/// assert_eq!(inject.close(drop), 0);
/// assert!(inject.is_closed());
/// ```
pub struct Inject<T, N> {
    /// The items, in the order their pushes took effect.
    queue: ConcurrentQueue<T>,
    /// `EMPTY`, `NOTIFIED` or `PARKED`: the handshake of the module docs.
    state: AtomicU8,
    /// Ends the loop's sleep; called only by the producer that finds `PARKED`.
    notifier: N,
    /// How many wakeup writes producers made (the calls of
    /// [`Notify::notify`] in `push`), for the runtime's metrics.
    wakeup_writes: AtomicU64,
}

/// What the loop does after announcing that it wants to sleep.
///
/// # Examples
///
/// ```
/// use tether_bridge::{Inject, TransitionToParked};
/// # use tether_bridge::test_double::Eventfd;
///
/// let inject = Inject::new(Eventfd::new());
/// // Nothing announced: the loop may block.
/// assert_eq!(inject.transition_to_parked(), TransitionToParked::Sleep);
/// inject.transition_to_awake();
/// // A producer announced an item: the loop drains instead.
/// inject.push(1).unwrap();
/// assert_eq!(inject.transition_to_parked(), TransitionToParked::Drain);
/// ```
#[must_use = "the loop may only block in the reactor on `Sleep`"]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransitionToParked {
    /// Nothing was announced: block in the reactor; a producer will write the
    /// wakeup if it pushes meanwhile.
    Sleep,
    /// A producer announced an item: do not block, drain instead.
    Drain,
}

// ===== impl Inject =====

/// The queue as tether configures it: unbounded, so that a push fails only
/// when the queue is closed (`loom-tests/tests/queue.rs` checks it there).
///
/// # Examples
///
/// ```
/// use tether_bridge::new_queue;
///
/// let queue = new_queue();
/// for i in 0..1000 {
///     queue.push(i).unwrap();
/// }
/// assert_eq!(queue.pop(), Ok(0));
/// queue.close();
/// assert!(queue.push(1000).is_err());
/// ```
pub fn new_queue<T>() -> ConcurrentQueue<T> {
    #[cfg(not(tether_mutant = "inject_queue_bounded"))]
    return ConcurrentQueue::unbounded();
    // MUTANT: a bounded queue, whose pushes fail when it is full.
    #[cfg(tether_mutant = "inject_queue_bounded")]
    return ConcurrentQueue::bounded(1);
}

impl<T, N: Notify> Inject<T, N> {
    /// Creates an empty, open queue that wakes the loop through `notifier`;
    /// shown in [`Inject`'s example](Inject#examples).
    pub fn new(notifier: N) -> Self {
        Self {
            queue: new_queue(),
            state: AtomicU8::new(EMPTY),
            notifier,
            wakeup_writes: AtomicU64::new(0),
        }
    }

    /// Hands `item` to the loop, waking it if it sleeps. Any thread.
    ///
    /// # Examples
    ///
    /// ```
    /// use tether_bridge::{Inject, TransitionToParked};
    /// # use tether_bridge::test_double::Eventfd;
    ///
    /// let inject = Inject::new(Eventfd::new());
    /// assert_eq!(inject.transition_to_parked(), TransitionToParked::Sleep);
    /// inject.push("a").unwrap(); // finds the loop parked: writes the wakeup
    /// inject.push("b").unwrap(); // already announced: no second write
    /// assert_eq!(inject.wakeup_writes(), 1);
    /// ```
    ///
    /// # Errors
    ///
    /// After [`close`](Inject::close) the item is handed back in [`Closed`].
    pub fn push(&self, item: T) -> Result<(), Closed<T>> {
        // The queue is unbounded, so the only way a push fails is a closed
        // queue; `close` then takes the items that made it in, and this one
        // goes back to the caller.
        if let Err(err) = self.queue.push(item) {
            return Err(Closed(err.into_inner()));
        }
        // Rule 2. Release: pairs with the Acquire swap in `drain`, so the push
        // above is visible to the pops that follow that swap.
        let found = self.state.swap(NOTIFIED, Release);
        // MUTANT: write the wakeup on every push, not once per sleep.
        let write = found == PARKED || cfg!(tether_mutant = "inject_notify_always");
        if write {
            self.wakeup_writes.fetch_add(1, Relaxed);
            self.notifier.notify();
        }
        Ok(())
    }

    /// Whether a producer announced an item the loop has not drained yet;
    /// shown in [`Inject`'s example](Inject#examples).
    ///
    /// A hint for deciding whether to sleep at all: it may miss an
    /// announcement made a moment ago, which `transition_to_parked` then
    /// catches.
    pub fn is_notified(&self) -> bool {
        self.state.load(Relaxed) == NOTIFIED
    }

    /// Announces that the loop is about to block in the reactor. Loop only.
    ///
    /// # Examples
    ///
    /// ```
    /// use tether_bridge::{Inject, TransitionToParked};
    /// # use tether_bridge::test_double::Eventfd;
    ///
    /// let inject = Inject::new(Eventfd::new());
    /// assert_eq!(inject.transition_to_parked(), TransitionToParked::Sleep);
    /// // While the loop sleeps, a producer pushes, and writes the wakeup.
    /// inject.push(1).unwrap();
    /// assert_eq!(inject.wakeup_writes(), 1);
    /// inject.transition_to_awake();
    /// // The item is not drained yet: the loop must not sleep again.
    /// assert_eq!(inject.transition_to_parked(), TransitionToParked::Drain);
    /// ```
    #[cfg_attr(tether_mutant = "inject_park_store", allow(unreachable_code))]
    pub fn transition_to_parked(&self) -> TransitionToParked {
        // Rule 3. Relaxed is enough: the loop publishes nothing to producers,
        // and on `Drain` the Acquire swap in `drain` does the synchronizing.
        // MUTANT: announce the sleep with a plain store, over a NOTIFIED.
        #[cfg(tether_mutant = "inject_park_store")]
        {
            self.state.store(PARKED, Relaxed);
            return TransitionToParked::Sleep;
        }
        match self.state.compare_exchange(EMPTY, PARKED, Relaxed, Relaxed) {
            Ok(_) => TransitionToParked::Sleep,
            Err(found) => {
                debug_assert_eq!(found, NOTIFIED, "only the loop parks");
                TransitionToParked::Drain
            }
        }
    }

    /// Announces that the loop is awake again. Loop only, after a `Sleep`.
    ///
    /// # Examples
    ///
    /// ```
    /// use tether_bridge::{Inject, TransitionToParked};
    /// # use tether_bridge::test_double::Eventfd;
    ///
    /// let inject = Inject::new(Eventfd::new());
    /// assert_eq!(inject.transition_to_parked(), TransitionToParked::Sleep);
    /// // The sleep ends on its own (a timer), and the loop says so.
    /// inject.transition_to_awake();
    /// // A push now finds the loop awake: no wakeup write.
    /// inject.push(1).unwrap();
    /// assert_eq!(inject.wakeup_writes(), 0);
    /// assert!(inject.is_notified());
    /// ```
    pub fn transition_to_awake(&self) {
        // Rule 4. Failure means a producer stored NOTIFIED (and, if it found
        // PARKED, wrote the wakeup): leave it for `drain`.
        let _ = self.state.compare_exchange(PARKED, EMPTY, Relaxed, Relaxed);
    }

    /// Moves the announced items to `sink`, oldest first. Loop only.
    ///
    /// Takes at most the items the queue holds once it has taken the
    /// announcement (rule 5), so it always finishes. Returns how many items
    /// it moved.
    ///
    /// # Examples
    ///
    /// ```
    /// use tether_bridge::Inject;
    /// # use tether_bridge::test_double::Eventfd;
    ///
    /// let inject = Inject::new(Eventfd::new());
    /// for item in ["a", "b", "c"] {
    ///     inject.push(item).unwrap();
    /// }
    /// let mut items = Vec::new();
    /// assert_eq!(inject.drain(|item| items.push(item)), 3);
    /// assert_eq!(items, ["a", "b", "c"]);
    /// assert_eq!(inject.drain(|item| items.push(item)), 0);
    /// ```
    pub fn drain(&self, mut sink: impl FnMut(T)) -> usize {
        // A plain load first: on most iterations nothing was announced, and
        // a load costs far less than a read-modify-write on a shared line.
        if self.state.load(Relaxed) != NOTIFIED {
            return 0;
        }
        // MUTANT: count the items before taking the notification, so that an
        // item announced in between is neither counted nor announced again.
        #[cfg(tether_mutant = "inject_len_before_swap")]
        let len = self.queue.len();
        // Rule 5. Acquire: pairs with the Release swap in `push`, so every
        // item whose producer swapped before this point is visible below.
        self.state.swap(EMPTY, Acquire);
        #[cfg(not(tether_mutant = "inject_len_before_swap"))]
        let len = self.queue.len();
        for _ in 0..len {
            match self.queue.pop() {
                Ok(item) => sink(item),
                // Only this thread pops, so `len` items are there to take.
                Err(_) => unreachable!("the injection queue lost an item"),
            }
        }
        len
    }

    /// Closes the queue: every later push hands its item back in
    /// [`Closed`], and every item pushed before goes to `sink`, oldest
    /// first. Loop only, at shutdown. Returns how many items it moved.
    ///
    /// # Examples
    ///
    /// ```
    /// use tether_bridge::Inject;
    /// # use tether_bridge::test_double::Eventfd;
    ///
    /// let inject = Inject::new(Eventfd::new());
    /// inject.push(1).unwrap();
    /// inject.push(2).unwrap();
    /// let mut left = Vec::new();
    /// assert_eq!(inject.close(|item| left.push(item)), 2);
    /// assert_eq!(left, [1, 2]);
    /// assert_eq!(inject.push(3).unwrap_err().into_inner(), 3);
    /// ```
    #[cfg_attr(tether_mutant = "inject_close_after_drain", allow(unreachable_code))]
    pub fn close(&self, mut sink: impl FnMut(T)) -> usize {
        // MUTANT: drain, then close, and stop there: a push in between is
        // accepted, and never drained.
        #[cfg(tether_mutant = "inject_close_after_drain")]
        {
            let mut moved = 0;
            while let Ok(item) = self.queue.pop() {
                sink(item);
                moved += 1;
            }
            self.queue.close();
            return moved;
        }
        self.queue.close();
        // After `close` no push can succeed, so "empty" is final: every item
        // is either in this drain or was handed back to its producer.
        let mut moved = 0;
        while let Ok(item) = self.queue.pop() {
            sink(item);
            moved += 1;
        }
        moved
    }

    /// Whether [`close`](Inject::close) has been called; shown in
    /// [`Inject`'s example](Inject#examples).
    pub fn is_closed(&self) -> bool {
        self.queue.is_closed()
    }

    /// How many items wait in the queue now: pushed, not yet drained.
    /// Any thread. A statistic (the pool of loops reads it as part of a
    /// loop's load), exact only while nobody pushes or drains.
    ///
    /// # Examples
    ///
    /// ```
    /// use tether_bridge::Inject;
    /// # use tether_bridge::test_double::Eventfd;
    ///
    /// let inject = Inject::new(Eventfd::new());
    /// inject.push("a").unwrap();
    /// inject.push("b").unwrap();
    /// assert_eq!(inject.len(), 2);
    /// inject.drain(|_| ());
    /// assert_eq!(inject.len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.queue.len()
    }

    /// Whether no item waits; see [`len`](Inject::len).
    ///
    /// # Examples
    ///
    /// ```
    /// use tether_bridge::Inject;
    /// # use tether_bridge::test_double::Eventfd;
    ///
    /// let inject = Inject::new(Eventfd::new());
    /// assert!(inject.is_empty());
    /// inject.push(1).unwrap();
    /// assert!(!inject.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// The notifier: the loop may write the wakeup itself, or, where the
    /// notifier is a fake (the loom models, these examples), sleep on it.
    /// Shown in [`Inject`'s example](Inject#examples).
    pub fn notifier(&self) -> &N {
        &self.notifier
    }

    /// How many wakeup writes producers have made so far, at most one per
    /// sleep; a write the loop makes itself through
    /// [`notifier`](Inject::notifier) is not counted. Shown in
    /// [`Inject`'s example](Inject#examples).
    pub fn wakeup_writes(&self) -> u64 {
        self.wakeup_writes.load(Relaxed)
    }
}

impl<T, N> std::fmt::Debug for Inject<T, N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = match self.state.load(Relaxed) {
            EMPTY => "EMPTY",
            NOTIFIED => "NOTIFIED",
            _ => "PARKED",
        };
        f.debug_struct("Inject")
            .field("len", &self.queue.len())
            .field("state", &state)
            .field("closed", &self.queue.is_closed())
            .finish_non_exhaustive()
    }
}
