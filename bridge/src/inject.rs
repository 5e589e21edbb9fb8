//! The injection queue: how other threads hand work to the loop.
//!
//! Any thread may push an item (a task to schedule, a message for the loop)
//! into an [`Inject`]; only the loop thread takes items out, all of them at
//! once. The items wait in a `VecDeque` behind a mutex: a push appends under
//! the lock, and the loop's take swaps the whole buffer for an empty one of
//! its own, so that it never takes the lock once per item, and never
//! sleeps on it (see "Why a lock" below). What this module adds is the part
//! no queue can do alone: making sure a loop that is asleep, in the reactor
//! or on its own thread, wakes up for the item, while sending the wakeup as
//! rarely as possible, because each one is a system call and each needless
//! one also costs the loop a needless trip through the kernel.
//!
//! # The state word
//!
//! One atomic byte says where the loop stands with respect to the queue:
//!
//! | state      | meaning |
//! |------------|---------|
//! | `EMPTY`    | the loop is awake, and no producer has announced an item since the loop last took the announcements |
//! | `NOTIFIED` | a producer announced an item the loop has not taken yet |
//! | `PARKED`   | the loop is asleep in the reactor (or about to be), and nobody has announced anything since it decided to sleep |
//! | `PARKED_THREAD` | the same, asleep on its own thread instead, outside the reactor (a loop with no source to watch) |
//!
//! ```text
//!                  transition_to_parked: CAS
//!         +-------+ -----------------------> +--------+
//!         | EMPTY |                          | PARKED |
//!         +-------+ <----------------------- +--------+
//!           |   ^    transition_to_awake: CAS     |
//!     push: |   | take:                           | push: swap(NOTIFIED) finds
//!     swap  |   | swap(EMPTY)                     | PARKED: this producer, and
//!           v   |                                 | only it, writes the wakeup
//!         +----------+ <--------------------------+
//!         | NOTIFIED | <-- push again: swap(NOTIFIED), no write
//!         +----------+
//! ```
//!
//! `PARKED_THREAD` takes the place of `PARKED` in the drawing, through
//! `transition_to_parked_thread`, for a loop that sleeps on its own thread;
//! the producer whose swap finds it calls [`Notify::unpark`] instead of
//! [`Notify::notify`]. Below, "parked" means either.
//!
//! # Rules
//!
//! 1. Producers only ever store `NOTIFIED`; only the loop stores a parked
//!    value or `EMPTY`.
//! 2. A producer pushes its item first (under the lock, released before
//!    what follows), then swaps `NOTIFIED` into the word. If the value it
//!    replaced was parked, that producer, and only that one, ends the
//!    sleep: [`Notify::notify`] for `PARKED`, [`Notify::unpark`] for
//!    `PARKED_THREAD`.
//! 3. The loop goes to sleep only through a compare-exchange `EMPTY ->
//!    PARKED` (or `PARKED_THREAD`); if the word holds `NOTIFIED` instead,
//!    it does not sleep.
//! 4. When its sleep ends, the loop compare-exchanges the parked value it
//!    stored back to `EMPTY`. If that fails, the word is `NOTIFIED`, and it
//!    stays so for `take`.
//! 5. `take` first loads the word, and stops there unless it reads
//!    `NOTIFIED`. Otherwise it swaps `EMPTY` into the word, then takes every
//!    item the buffer holds when it gets the lock, by swapping buffers. The
//!    loop runs every item it took before it tries to park again (a loop
//!    with items to run has work: its ready queue holds them).
//! 6. `take` never sleeps on the lock: it tries it (`try_lock`) until it
//!    gets it. A producer holds it for a few instructions; a loop that
//!    slept on it would also mark it contended, which turns every unlock
//!    after that into a system call.
//!
//! # Why it is correct
//!
//! *No wakeup is lost.* Take a producer P whose swap S (rule 2) follows its
//! push of item X. The loop's read-modify-writes on the word and S are all
//! ordered in the word's modification order, so one of three things holds:
//!
//! 1. S comes before some `take`'s swap; let D be the first. D is an
//!    Acquire read-modify-write and S a Release one, and every write between
//!    them is a producer's swap (a read-modify-write, so it continues S's
//!    release sequence): D synchronizes with S, and the push of X, with the
//!    unlock that ends it, happens before D. The lock that `take` gets
//!    after D (rule 6) comes after that unlock, so the buffer it swaps
//!    holds X, unless an earlier `take` already took it.
//! 2. S comes after the last `take`'s swap, and before the loop's next
//!    attempt to park. That compare-exchange then finds `NOTIFIED`, the loop
//!    does not sleep (rule 3), and its next `take` is case 1.
//! 3. S comes after the loop's successful `EMPTY -> PARKED` and before its
//!    `PARKED -> EMPTY` (rule 4). S finds either `PARKED`, and P writes the
//!    wakeup, or `NOTIFIED`, which only a producer that found `PARKED` (and
//!    so wrote the wakeup) can have stored since the park. Either way the
//!    sleep ends, and the loop's next `take` is case 1. (The same with
//!    `PARKED_THREAD` and an unpark.) An S after rule 4's
//!    store finds `EMPTY` while the loop is awake, and falls under case 1
//!    or 2.
//!
//! The first load of `take` (rule 5) is a plain one, and may read a stale
//! value; then that `take` does nothing, and a later one finds `NOTIFIED`,
//! as does the loop's next compare-exchange, which cannot succeed over a
//! `NOTIFIED` (a compare-exchange that succeeds reads the latest value).
//!
//! `take` takes what the buffer holds when it gets the lock, and no more.
//! An item pushed after that lock belongs to a producer whose swap comes
//! after the `take`'s: the word is `NOTIFIED` again, and the next iteration
//! takes the item. So a producer faster than the loop cannot keep the loop
//! from finishing its iteration, and, since a take swaps buffers instead of
//! moving items, a take costs the same whatever the backlog.
//!
//! *At most one wakeup write per sleep.* A write (or an unpark) needs a swap
//! that finds a parked value, and leaves `NOTIFIED` behind. The word only
//! becomes parked again through the loop's next compare-exchange from
//! `EMPTY`, which needs a `take`'s swap first: between two sleeps, at most
//! one swap can find the loop parked. And the one that does wakes the loop
//! the way it sleeps, since the value it found says which.
//!
//! The word is announced *before* the loop enters the system call, so a
//! producer may write the wakeup between the announcement and the call. That
//! is why [`Notify`] must remember a write made before the sleep, as an
//! eventfd or a pipe does, and a thread's park token does for an unpark. A
//! wakeup can also land just after a sleep ended by a timer: the next sleep
//! of the same kind (in the poller for a write, on the thread for an
//! unpark) then returns at once, one spurious iteration, and the rules
//! above still hold.
//!
//! # Why a lock
//!
//! The queue was `concurrent-queue`'s lock-free list of 31-slot blocks
//! before. Measured with one thread submitting 1,000,000 callbacks
//! (`benches/compare`, `remote_callback`), the list cost the loop two atomic
//! read-modify-writes per item (a compare-exchange on the head and a
//! `fetch_or` on the slot), and every block was allocated by a producer
//! and freed by the loop: the allocator's lock for that producer's arena
//! was taken by both threads, and when they met, the loop slept on it. A
//! loop that fell behind stayed behind, with a backlog of tens of MiB.
//!
//! Behind a lock, a push is one lock, one `push_back` and one unlock, about
//! what a push onto the list cost; the loop takes the lock once per take, not
//! once per item, and then runs its batch with no atomic operation at all. The
//! buffers go round between the producers and the loop (a take hands the
//! queue an emptied batch for the one it takes), so once they have grown to
//! the backlog nothing is allocated. The lock is held for a few
//! instructions (a `push_back` that must grow the buffer is the exception), and
//! the loop never sleeps on it (rule 6): a loop that slept on it would make it
//! "contended", which turns every unlock that follows into a system call (a
//! first version that took it with `lock` fell, in some runs, into tens of
//! thousands of `futex` calls). So the loop spins on `try_lock` for the few
//! instructions a producer holds it; as with any queue where a consumer must
//! see a producer's write, a producer preempted in the middle of its push holds
//! the loop up until it runs again (the lock-free list made a pop spin on the
//! slot such a producer had claimed). On the same workload the loop now keeps
//! up with its producer, and the whole submission costs a third to a half of
//! what it did (the figures are in `docs/design.md`, "Measured costs").
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
//! every item is taken exactly once, that the loop never sleeps forever
//! with an item queued, that the producers wrote the wakeup no more often
//! than the loop slept, that one producer's items come out in the order it
//! pushed them, and that a push racing `close` is either taken or handed
//! back. One path it cannot reach: loom does not explore a `try_lock` that
//! fails (its scheduler treats the attempt as opaque), so the spin of rule
//! 6 never turns in a model. shuttle does fail it:
//! `loom-tests/tests/shuttle.rs` runs four producers against the parking
//! loop under shuttle's schedulers, with takes that find the lock held;
//! `bridge/tests/inject_stress.rs` drives the spin on real threads, and
//! `tests/rt_remote_wake.rs` checks there that the order across threads
//! holds while producers hold the lock. `loom-tests/tests/histories.rs`
//! checks that pushes, takes and the close are linearizable against a
//! `VecDeque`.
//! `loom-tests/tests/queue.rs` checks the buffer under concurrent pushes
//! and takes (every item taken once, each producer's in order, nothing
//! accepted after the close), and `loom-tests/tests/runtime.rs` the
//! executor's own stop and shutdown over this queue, with the loop
//! sleeping on its thread or in the poller. The lines marked
//! `MUTANT:` are the bugs those models are shown to catch
//! (`loom-tests/mutants.sh`).
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

use std::collections::VecDeque;

use crate::sync::Ordering::{Acquire, Relaxed, Release};
use crate::sync::{
    AtomicBool, AtomicU8, AtomicU64, AtomicUsize, Mutex, lock, spin_yield, try_lock,
};
use crate::{Closed, Notify};

/// The loop is awake and has taken everything announced so far.
const EMPTY: u8 = 0;
/// A producer has announced an item the loop has not taken yet.
const NOTIFIED: u8 = 1;
/// The loop is asleep in the reactor, or about to be.
const PARKED: u8 = 2;
/// The loop is asleep on its own thread, outside the reactor, or about to
/// be.
const PARKED_THREAD: u8 = 3;

/// A multi-producer, single-consumer queue that wakes a sleeping loop.
///
/// Producers on any thread call [`push`](Inject::push). The loop thread
/// calls [`transition_to_parked`](Inject::transition_to_parked) and
/// [`transition_to_awake`](Inject::transition_to_awake) around its sleep,
/// [`take`](Inject::take) in each iteration and before each of its own
/// submissions, and [`close`](Inject::close) at shutdown. See the module documentation for the protocol.
///
/// # Examples
///
/// Producers on three threads; the loop, awake, needs no wakeup.
///
/// ```
/// use std::collections::VecDeque;
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
/// let mut batch = VecDeque::new();
/// assert_eq!(inject.take(&mut batch), 3);
/// batch.make_contiguous().sort();
/// assert_eq!(batch, [0, 1, 2]);
/// assert!(!inject.is_notified());
///
/// // The loop may write the wakeup itself; only producers' writes count.
/// inject.notifier().notify();
/// assert_eq!(inject.notifier().writes(), 1);
/// assert_eq!(inject.wakeup_writes(), 0);
///
/// // At shutdown.
/// batch.clear();
/// assert_eq!(inject.close(&mut batch), 0);
/// assert!(inject.is_closed());
/// ```
pub struct Inject<T, N> {
    /// What producers pushed and the loop has not taken, in push order.
    /// Every push and every take locks it for a few instructions; see the
    /// module documentation for why a lock.
    waiting: Padded<Mutex<VecDeque<T>>>,
    /// `EMPTY`, `NOTIFIED`, `PARKED` or `PARKED_THREAD`: the handshake of
    /// the module docs.
    state: Padded<AtomicU8>,
    /// How many items wait, as the last push or take left it (stored under
    /// the lock), for [`len`](Inject::len) on any thread.
    len: AtomicUsize,
    /// Set by [`close`](Inject::close); from then on every push is handed
    /// back. Written and read under the lock where it decides (the close,
    /// each push), so that a push either lands before the close or sees
    /// it; [`is_closed`](Inject::is_closed) reads it without the lock,
    /// which only producers and the loop ever take.
    closed: AtomicBool,
    /// Ends the loop's sleep; called only by the producer whose swap finds
    /// the loop parked: `notify` for `PARKED`, `unpark` for `PARKED_THREAD`.
    notifier: N,
    /// How many wakeups producers made (the calls of [`Notify::notify`] and
    /// [`Notify::unpark`] in `push`), for the runtime's metrics.
    wakeup_writes: AtomicU64,
}

/// A value on cache lines of its own: aligned, and so sized, to 128 bytes,
/// two 64-byte lines, since x86-64's prefetcher fetches lines in pairs
/// (as crossbeam's `CachePadded` does on x86-64 and aarch64). The lock and
/// the state word each get their own: the loop reads the word at every
/// local submission and every iteration, and a word on the lock's line
/// would pull the line a producer is writing to the loop's core at each of
/// those reads (measured: `remote_callback` took up to twice as long with
/// the two on one line).
#[repr(align(128))]
struct Padded<T>(T);

impl<T> std::ops::Deref for Padded<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
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
/// // A producer announced an item: the loop takes it instead.
/// inject.push(1).unwrap();
/// assert_eq!(inject.transition_to_parked(), TransitionToParked::Drain);
/// ```
#[must_use = "the loop may only block in the reactor on `Sleep`"]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransitionToParked {
    /// Nothing was announced: block in the reactor; a producer will write the
    /// wakeup if it pushes meanwhile.
    Sleep,
    /// A producer announced an item: do not block, take it instead.
    Drain,
}

// ===== impl Inject =====

impl<T, N: Notify> Inject<T, N> {
    /// Creates an empty, open queue that wakes the loop through `notifier`;
    /// shown in [`Inject`'s example](Inject#examples).
    pub fn new(notifier: N) -> Self {
        Self {
            waiting: Padded(Mutex::new(VecDeque::new())),
            state: Padded(AtomicU8::new(EMPTY)),
            len: AtomicUsize::new(0),
            closed: AtomicBool::new(false),
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
        let mut waiting = lock(&self.waiting);
        // MUTANT: push without looking at `closed`: an item pushed after the
        // close is accepted, and nobody will ever take it.
        if self.closed.load(Relaxed) && !cfg!(tether_mutant = "inject_push_after_close") {
            return Err(Closed(item));
        }
        waiting.push_back(item);
        self.len.store(waiting.len(), Relaxed);
        // Announced after the unlock (rule 2), which keeps the hold short:
        // a take spins on the lock meanwhile (rule 6).
        drop(waiting);
        // Rule 2. Release: pairs with the Acquire swap in `take`, so the push
        // above, and the unlock that ends it, happen before that take's lock.
        let found = self.state.swap(NOTIFIED, Release);
        // MUTANT: write the wakeup on every push, not once per sleep.
        let write = found == PARKED || cfg!(tether_mutant = "inject_notify_always");
        if write {
            self.wakeup_writes.fetch_add(1, Relaxed);
            self.notifier.notify();
        }
        if found == PARKED_THREAD {
            self.wakeup_writes.fetch_add(1, Relaxed);
            // MUTANT: wake a loop parked on its thread through the poller.
            #[cfg(tether_mutant = "inject_unpark_as_notify")]
            self.notifier.notify();
            #[cfg(not(tether_mutant = "inject_unpark_as_notify"))]
            self.notifier.unpark();
        }
        Ok(())
    }

    /// Whether a producer announced an item the loop has not taken yet;
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
    /// // The item is not taken yet: the loop must not sleep again.
    /// assert_eq!(inject.transition_to_parked(), TransitionToParked::Drain);
    /// ```
    #[cfg_attr(tether_mutant = "inject_park_store", allow(unreachable_code))]
    pub fn transition_to_parked(&self) -> TransitionToParked {
        // Rule 3. Relaxed is enough: the loop publishes nothing to producers,
        // and on `Drain` the Acquire swap in `take` does the synchronizing.
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

    /// Announces that the loop is about to sleep on its own thread, outside
    /// the reactor, as a loop with no source to watch does: as
    /// [`transition_to_parked`](Inject::transition_to_parked), but the
    /// producer that ends this sleep calls [`Notify::unpark`]. Loop only.
    ///
    /// # Examples
    ///
    /// ```
    /// use tether_bridge::{Inject, TransitionToParked};
    /// # use tether_bridge::test_double::Eventfd;
    ///
    /// let inject = Inject::new(Eventfd::new());
    /// assert_eq!(inject.transition_to_parked_thread(), TransitionToParked::Sleep);
    /// inject.push(1).unwrap(); // finds the loop parked on its thread: unparks it
    /// assert_eq!(inject.wakeup_writes(), 1);
    /// inject.transition_to_awake();
    /// assert_eq!(inject.transition_to_parked_thread(), TransitionToParked::Drain);
    /// ```
    pub fn transition_to_parked_thread(&self) -> TransitionToParked {
        // Rule 3, as in `transition_to_parked`.
        match self
            .state
            .compare_exchange(EMPTY, PARKED_THREAD, Relaxed, Relaxed)
        {
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
        // PARKED, wrote the wakeup): leave it for `take`.
        let parked = match self.state.load(Relaxed) {
            NOTIFIED => return,
            parked => parked,
        };
        let _ = self.state.compare_exchange(parked, EMPTY, Relaxed, Relaxed);
    }

    /// Takes the announcement and every item pushed before it got the
    /// buffer's lock, in push order: step 4 of the loop's iteration, and
    /// the first thing each of the loop's own submissions does. Loop only.
    /// Returns how many items it took.
    ///
    /// `batch` must be empty. The items come out by swapping buffers:
    /// `batch` becomes what producers wrote, and its own allocation becomes
    /// the queue's, for the pushes that follow, so that a loop that hands
    /// back its emptied batches allocates nothing once the buffers have
    /// grown to its backlog (rule 5).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::collections::VecDeque;
    /// use tether_bridge::Inject;
    /// # use tether_bridge::test_double::Eventfd;
    ///
    /// let inject = Inject::new(Eventfd::new());
    /// inject.push("a").unwrap();
    /// inject.push("b").unwrap();
    /// let mut batch = VecDeque::new();
    /// assert_eq!(inject.take(&mut batch), 2);
    /// assert_eq!(batch, ["a", "b"]);
    /// // Nothing announced since: nothing taken, and no lock taken either.
    /// let mut next = VecDeque::new();
    /// assert_eq!(inject.take(&mut next), 0);
    /// ```
    pub fn take(&self, batch: &mut VecDeque<T>) -> usize {
        debug_assert!(batch.is_empty(), "a take into a batch not yet emptied");
        // A plain load first: on most iterations nothing was announced, and
        // a load costs far less than a read-modify-write on a shared line.
        if self.state.load(Relaxed) != NOTIFIED {
            return 0;
        }
        // MUTANT: take the items before taking the notification, so that an
        // item pushed in between is neither taken nor announced again.
        #[cfg(tether_mutant = "inject_len_before_swap")]
        self.swap_items(batch);
        // Rule 5. Acquire: pairs with the Release swap in `push`, so every
        // item whose producer swapped before this point was pushed (and its
        // lock released) before the lock below is taken.
        self.state.swap(EMPTY, Acquire);
        #[cfg(not(tether_mutant = "inject_len_before_swap"))]
        self.swap_items(batch);
        batch.len()
    }

    /// Swaps the waiting items with the (empty) `batch`. The loop never
    /// sleeps on the lock (rule 6): a producer holds it for a few
    /// instructions, so the loop tries it again until it gets it.
    fn swap_items(&self, batch: &mut VecDeque<T>) {
        let mut waiting = loop {
            if let Some(waiting) = try_lock(&self.waiting) {
                break waiting;
            }
            spin_yield();
        };
        std::mem::swap(&mut *waiting, batch);
        self.len.store(0, Relaxed);
    }

    /// [`take`](Inject::take), then each item taken into `sink`, oldest
    /// first: all of what was announced, at once. Loop only. Returns how
    /// many items it moved.
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
    pub fn drain(&self, sink: impl FnMut(T)) -> usize {
        let mut batch = VecDeque::new();
        let taken = self.take(&mut batch);
        batch.into_iter().for_each(sink);
        taken
    }

    /// Closes the queue: every later push hands its item back in
    /// [`Closed`], and every item pushed before goes into `batch`, which
    /// must be empty, oldest first. Loop only, at shutdown. Returns how
    /// many items it took.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::collections::VecDeque;
    /// use tether_bridge::Inject;
    /// # use tether_bridge::test_double::Eventfd;
    ///
    /// let inject = Inject::new(Eventfd::new());
    /// inject.push(1).unwrap();
    /// inject.push(2).unwrap();
    /// let mut left = VecDeque::new();
    /// assert_eq!(inject.close(&mut left), 2);
    /// assert_eq!(left, [1, 2]);
    /// assert_eq!(inject.push(3).unwrap_err().into_inner(), 3);
    /// ```
    #[cfg_attr(tether_mutant = "inject_close_after_drain", allow(unreachable_code))]
    pub fn close(&self, batch: &mut VecDeque<T>) -> usize {
        debug_assert!(batch.is_empty(), "a close into a batch not yet emptied");
        // MUTANT: take the items under one lock and set the flag under
        // another: a push in between lands in a closed queue, and nobody
        // takes it.
        #[cfg(tether_mutant = "inject_close_after_drain")]
        {
            std::mem::swap(&mut *lock(&self.waiting), batch);
            let _waiting = lock(&self.waiting);
            self.closed.store(true, Relaxed);
            return batch.len();
        }
        let mut waiting = lock(&self.waiting);
        self.closed.store(true, Relaxed);
        // Under the same lock as the flag: a push either got in before
        // (and is taken here) or sees the flag (and is handed back).
        std::mem::swap(&mut *waiting, batch);
        self.len.store(0, Relaxed);
        batch.len()
    }

    /// Whether [`close`](Inject::close) has been called; shown in
    /// [`Inject`'s example](Inject#examples). Any thread, without the
    /// lock: a push made after it read `false` may still be handed back.
    pub fn is_closed(&self) -> bool {
        self.closed.load(Relaxed)
    }

    /// How many items wait in the queue now: pushed, not yet taken. Any
    /// thread, without the lock. A statistic (the pool of loops reads it
    /// as part of a loop's load), exact only while nobody pushes or takes.
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
        self.len.load(Relaxed)
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
        self.len() == 0
    }

    /// The notifier: the loop may write the wakeup itself, or, where the
    /// notifier is a fake (the loom models, these examples), sleep on it.
    /// Shown in [`Inject`'s example](Inject#examples).
    pub fn notifier(&self) -> &N {
        &self.notifier
    }

    /// How many wakeups producers have made so far (wakeup writes and
    /// unparks), at most one per sleep; a write the loop makes itself through
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
            PARKED => "PARKED",
            _ => "PARKED_THREAD",
        };
        f.debug_struct("Inject")
            .field("len", &self.len.load(Relaxed))
            .field("state", &state)
            .finish_non_exhaustive()
    }
}
