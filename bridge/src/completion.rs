//! The completion cell: one value, produced once on one thread, awaited
//! from any other.
//!
//! This is the shared half of a `ThreadFuture` (in Python, the
//! `concurrent.futures.Future` that asyncio's `run_coroutine_threadsafe`
//! returns): the loop, or a blocking-pool thread,
//! completes the cell with the outcome of the work; the thread that
//! submitted the work takes it, by blocking ([`Completion::wait`],
//! [`Completion::wait_timeout`]) or by polling ([`Completion::poll_take`]),
//! and anyone may ask to be called back when it is done
//! ([`Completion::on_complete`]).
//!
//! # Why a mutex
//!
//! The cell serves four kinds of party at once: a completer, blocked
//! threads, one async waiter and callbacks. A lock-free version needs a
//! state word with a bit per party and an argument per pair of them; a
//! `Mutex` plus a `Condvar` needs one rule, and costs an uncontended lock
//! per operation, which is noise next to the thread wakeups around it. The
//! loom model checks the rules, with loom's own mutex and condition
//! variable standing in for std's.
//!
//! # Rules
//!
//! 1. Every field is read and written under the lock only.
//! 2. `complete` succeeds once, the first time: the cell is then
//!    *resolved* (its slot leaves `Empty`). It decides under the lock whom
//!    to wake and call, and wakes the async waiter, notifies blocked threads
//!    and calls the callbacks only *after* releasing it. A callback or a
//!    waker can therefore do anything, including touching this cell,
//!    without deadlock.
//! 3. Blocked threads wait on the condition variable in a loop that
//!    re-checks the slot; `complete` notifies only if one is blocked (a
//!    notification without a waiter is a wasted system call). It decides
//!    under the lock, after storing the value, and notifies after releasing
//!    the lock: a thread notified while the lock is held wakes only to block
//!    again on the mutex, which costs two more system calls and a context
//!    switch on every round trip. A thread that blocks after the decision
//!    finds the value when it re-checks.
//! 4. A callback registered before completion runs on the completing
//!    thread, on the value lent to it out of the cell (the slot says
//!    `Lent`); a callback registered while those run joins them there. Once
//!    none is left, the value is stored, and only then are blocked threads
//!    notified and the async waiter woken. A callback registered after that
//!    runs at once, on the registering thread, on the value lent again;
//!    unless another late callback has the value lent out already, and
//!    then it runs on that thread, right after. Either way, exactly once.
//!    The cell *is complete* once the value is stored with no callback left
//!    to run. A callback that panics strands no waiter: the value is stored
//!    all the same, and the callbacks not yet run are dropped uncalled
//!    (`Lent`).
//! 5. The value is taken at most once; waiting after it was taken is a bug
//!    of the caller, and panics.
//! 6. A producer that may be cancelled before it begins (a blocking job)
//!    calls `start` first: after it, `cancel_unstarted` fails; before it,
//!    `cancel_unstarted` completes the cell and `start` returns false.
//!
//! # The model
//!
//! `loom-tests/tests/completion.rs` races completion against a blocked
//! waiter, an async waiter, a callback being registered, and the cell's
//! last holder being dropped, and `cancel_unstarted` against `start`: every
//! waiter is released, every callback runs exactly once, and a cancel wins
//! exactly when the work never starts. The lines marked `MUTANT:` are the
//! bugs the model is shown to catch (`loom-tests/mutants.sh`).
//!
//! # Examples
//!
//! ```
//! use std::sync::Arc;
//! use tether_bridge::completion::Completion;
//!
//! let cell = Arc::new(Completion::new());
//! let producer = {
//!     let cell = cell.clone();
//!     std::thread::spawn(move || cell.complete(42).unwrap())
//! };
//! assert_eq!(cell.wait(), 42);
//! producer.join().unwrap();
//! ```

use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use crate::sync::{Condvar, Mutex, MutexGuard, lock};

/// A callback waiting for the value.
type Callback<T> = Box<dyn FnOnce(&T) + Send>;

/// A one-time value, produced on one thread and taken on another.
///
/// # Examples
///
/// A callback and a blocked thread both get the value.
///
/// ```
/// use std::sync::{Arc, mpsc};
/// use tether_bridge::Completion;
///
/// let cell = Arc::new(Completion::new());
/// assert!(!cell.is_resolved());
/// let (tx, rx) = mpsc::channel();
/// cell.on_complete(move |value: &u32| tx.send(*value).unwrap());
/// let producer = {
///     let cell = cell.clone();
///     std::thread::spawn(move || cell.complete(7).unwrap())
/// };
/// assert_eq!(cell.wait(), 7);
/// assert_eq!(rx.recv(), Ok(7));
/// assert!(cell.is_resolved());
/// producer.join().unwrap();
/// ```
pub struct Completion<T> {
    /// Everything, under one lock (rule 1).
    state: Mutex<State<T>>,
    /// Signalled when the value becomes takeable, if a thread is blocked
    /// (rule 3).
    done: Condvar,
}

/// The value while `lend` has it out, so that a callback's panic does not
/// leave the slot `Lent` forever, with every waiter waiting: if one
/// unwinds, this stores the value when dropped, and wakes the waiters. The
/// callbacks after the one that panicked, and any registered meanwhile,
/// are dropped uncalled (after the lock is released), since running user
/// code during an unwind could only abort. The panic then goes on.
struct Lent<'a, T> {
    cell: &'a Completion<T>,
    /// `None` once `lend` stored it itself.
    value: Option<T>,
}

impl<T> Drop for Lent<'_, T> {
    fn drop(&mut self) {
        if let Some(value) = self.value.take() {
            self.unwound(value);
        }
    }
}

impl<T> Lent<'_, T> {
    /// A callback unwound: store `value` anyway. Out of line, so that the
    /// guard adds nothing but a check to `lend`.
    #[cold]
    #[inline(never)]
    fn unwound(&self, value: T) {
        let mut state = lock(&self.cell.state);
        let uncalled = std::mem::take(&mut state.callbacks);
        self.cell.make_ready(state, value);
        drop(uncalled);
    }
}

/// The cell's state; see the rules in the module docs.
struct State<T> {
    /// Where the value is.
    slot: Slot<T>,
    /// The waker of the async waiter, if it is waiting.
    waker: Option<Waker>,
    /// Callbacks waiting for the value.
    callbacks: Vec<Callback<T>>,
    /// How many threads are blocked in `wait` / `wait_timeout`.
    blocked: usize,
    /// Whether the producer said it began the work (`start`); from then on
    /// `cancel_unstarted` has no effect.
    started: bool,
}

/// Where the value is.
///
/// ```text
///   Empty --complete, no callbacks--> Ready --take--> Taken
///     |                                 ^  |
///     | complete, with callbacks        |  | on_complete
///     v                                 |  v
///   Lent ------ callbacks done --------+  Lent (then back to Ready)
/// ```
enum Slot<T> {
    /// Not resolved yet.
    Empty,
    /// Complete, and waiting to be taken.
    Ready(T),
    /// Resolved, and out of the cell while callbacks look at it (rule 4);
    /// waiters wait for it to come back.
    Lent,
    /// Taken by a waiter.
    Taken,
}

impl<T> Completion<T> {
    /// An empty cell; shown in [`Completion`'s example](Completion#examples).
    pub fn new() -> Self {
        Self {
            state: Mutex::new(State {
                slot: Slot::Empty,
                waker: None,
                callbacks: Vec::new(),
                blocked: 0,
                started: false,
            }),
            done: Condvar::new(),
        }
    }

    /// Stores `value` and releases every waiter, once the callbacks have run
    /// on it. Returns the value back if the cell was already resolved (rule
    /// 2: once).
    ///
    /// # Examples
    ///
    /// ```
    /// use tether_bridge::Completion;
    ///
    /// let cell = Completion::new();
    /// assert_eq!(cell.complete(1), Ok(()));
    /// assert_eq!(cell.complete(2), Err(2));
    /// assert_eq!(cell.wait(), 1);
    /// ```
    pub fn complete(&self, value: T) -> Result<(), T> {
        // MUTANT: decide under one lock, store under another: a second
        // completer slips in between, and both believe they completed it.
        #[cfg(tether_mutant = "completion_check_then_store")]
        return {
            if !matches!(lock(&self.state).slot, Slot::Empty) {
                return Err(value);
            }
            let mut state = lock(&self.state);
            state.slot = Slot::Empty;
            self.complete_locked(state, value)
        };
        self.complete_locked(lock(&self.state), value)
    }

    /// `complete`, with the lock already held.
    fn complete_locked(&self, mut state: MutexGuard<'_, State<T>>, value: T) -> Result<(), T> {
        if !matches!(state.slot, Slot::Empty) {
            return Err(value);
        }
        if state.callbacks.is_empty() {
            self.make_ready(state, value);
        } else {
            // The callbacks see the value outside the lock (rule 2): lend it.
            state.slot = Slot::Lent;
            drop(state);
            self.lend(value);
        }
        Ok(())
    }

    /// Runs the waiting callbacks on `value`, outside the lock, then puts it
    /// in the cell; callbacks registered meanwhile run too (rule 4). If a
    /// callback panics, the value is put in the cell all the same, and the
    /// panic goes on ([`Lent`]). Out of line: only a cell with callbacks
    /// comes here, and inlined, its guard made the functions around every
    /// `complete` larger, and the compiler's choices in them worse (a
    /// spawned task's path took 17 instructions more, and `benches/compare`'s
    /// timeout of a ready future 3.6 ns instead of 2.3).
    #[inline(never)]
    fn lend(&self, value: T) {
        let mut lent = Lent {
            cell: self,
            value: Some(value),
        };
        loop {
            let mut state = lock(&self.state);
            let callbacks = std::mem::take(&mut state.callbacks);
            if callbacks.is_empty() {
                let value = lent.value.take().expect("the lent value is back");
                return self.make_ready(state, value);
            }
            drop(state);
            for callback in callbacks {
                callback(lent.value.as_ref().expect("the lent value is back"));
            }
        }
    }

    /// Puts `value` in the cell and releases whoever waits for it: blocked
    /// threads and the async waiter, after the lock is released (rule 3).
    #[cfg_attr(
        tether_mutant = "completion_notify_before_store",
        allow(unreachable_code, unused_mut)
    )]
    fn make_ready(&self, mut state: MutexGuard<'_, State<T>>, value: T) {
        // MUTANT: decide whether to notify, and notify, before the value is
        // stored: a thread that blocks in between waits for a notification
        // that already happened.
        #[cfg(tether_mutant = "completion_notify_before_store")]
        {
            let blocked = state.blocked;
            drop(state);
            if blocked > 0 {
                self.done.notify_all();
            }
            let mut relocked = lock(&self.state);
            relocked.slot = Slot::Ready(value);
            let waker = relocked.waker.take();
            drop(relocked);
            if let Some(waker) = waker {
                waker.wake();
            }
            return;
        }
        state.slot = Slot::Ready(value);
        // Rule 3: decided here, under the lock, after the store.
        let notify = state.blocked > 0;
        // MUTANT: wake the async waiter only if a thread is blocked too, as
        // if the count of blocked threads covered every kind of waiter.
        let waker = if cfg!(tether_mutant = "completion_wake_only_if_blocked") && !notify {
            None
        } else {
            state.waker.take()
        };
        drop(state);
        if notify {
            self.done.notify_all();
        }
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// The producer says it is beginning the work. Returns false if the
    /// cell is already resolved (cancelled, say): the work need not be done.
    ///
    /// # Examples
    ///
    /// ```
    /// use tether_bridge::Completion;
    ///
    /// let cell = Completion::new();
    /// assert!(cell.start());
    /// // The work has begun: too late to cancel it.
    /// assert_eq!(cell.cancel_unstarted("cancelled"), Err("cancelled"));
    /// cell.complete("done").unwrap();
    /// assert_eq!(cell.wait(), "done");
    /// ```
    pub fn start(&self) -> bool {
        let mut state = lock(&self.state);
        if !matches!(state.slot, Slot::Empty) {
            return false;
        }
        state.started = true;
        true
    }

    /// Completes the cell with `value` (a cancellation) only if the work
    /// has not started (`start`); hands `value` back otherwise.
    ///
    /// # Examples
    ///
    /// ```
    /// use tether_bridge::Completion;
    ///
    /// let cell = Completion::new();
    /// assert_eq!(cell.cancel_unstarted("cancelled"), Ok(()));
    /// assert!(!cell.start(), "a cancelled job must not start");
    /// assert_eq!(cell.wait(), "cancelled");
    /// ```
    #[cfg_attr(tether_mutant = "completion_cancel_two_locks", allow(unreachable_code))]
    pub fn cancel_unstarted(&self, value: T) -> Result<(), T> {
        // One lock for the check and the completion: a `start` cannot slip
        // in between.
        let state = lock(&self.state);
        if state.started {
            return Err(value);
        }
        // MUTANT: check under one lock, complete under another.
        #[cfg(tether_mutant = "completion_cancel_two_locks")]
        return {
            drop(state);
            self.complete(value)
        };
        self.complete_locked(state, value)
    }

    /// Whether the value is stored and its callbacks have run (rule 4):
    /// from then on, `on_complete` runs callbacks at once (on this thread,
    /// unless another late callback has the value lent out).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::{Arc, mpsc};
    /// use tether_bridge::Completion;
    ///
    /// let cell = Arc::new(Completion::new());
    /// let (tx, rx) = mpsc::channel();
    /// let inside = cell.clone();
    /// cell.on_complete(move |_: &u32| {
    ///     tx.send((inside.is_resolved(), inside.is_complete())).unwrap();
    /// });
    /// assert!(!cell.is_resolved() && !cell.is_complete());
    /// cell.complete(1).unwrap();
    /// // While its callbacks ran, the cell was resolved but not complete yet.
    /// assert_eq!(rx.recv(), Ok((true, false)));
    /// assert!(cell.is_resolved() && cell.is_complete());
    /// ```
    pub fn is_complete(&self) -> bool {
        matches!(lock(&self.state).slot, Slot::Ready(_) | Slot::Taken)
    }

    /// Whether `complete` has happened, its callbacks perhaps still running
    /// (unlike [`is_complete`](Completion::is_complete)): too late to
    /// cancel. Shown in [`Completion`'s example](Completion#examples).
    pub fn is_resolved(&self) -> bool {
        !matches!(lock(&self.state).slot, Slot::Empty)
    }

    /// Blocks until the value is there, and takes it.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use tether_bridge::Completion;
    ///
    /// let cell = Arc::new(Completion::new());
    /// let producer = {
    ///     let cell = cell.clone();
    ///     std::thread::spawn(move || cell.complete(String::from("result")).unwrap())
    /// };
    /// assert_eq!(cell.wait(), "result");
    /// producer.join().unwrap();
    /// ```
    ///
    /// # Panics
    ///
    /// Panics if the value was already taken (rule 5).
    pub fn wait(&self) -> T {
        let mut state = lock(&self.state);
        loop {
            if let Some(value) = Self::try_take(&mut state) {
                return value;
            }
            state.blocked += 1;
            state = self
                .done
                .wait(state)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            state.blocked -= 1;
        }
    }

    /// Blocks until the value is there or `timeout` has passed; takes the
    /// value, or returns `None` and leaves the cell as it was.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use tether_bridge::Completion;
    ///
    /// let cell = Completion::new();
    /// assert_eq!(cell.wait_timeout(Duration::from_millis(1)), None);
    /// cell.complete("late").unwrap();
    /// assert_eq!(cell.wait_timeout(Duration::from_secs(10)), Some("late"));
    /// ```
    ///
    /// # Panics
    ///
    /// Panics if the value was already taken (rule 5).
    pub fn wait_timeout(&self, timeout: Duration) -> Option<T> {
        let deadline = Instant::now().checked_add(timeout);
        let mut state = lock(&self.state);
        loop {
            if let Some(value) = Self::try_take(&mut state) {
                return Some(value);
            }
            let left = match deadline {
                Some(deadline) => deadline.checked_duration_since(Instant::now())?,
                None => Duration::MAX,
            };
            state.blocked += 1;
            let (next, _) = self
                .done
                .wait_timeout(state, left)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            state = next;
            state.blocked -= 1;
        }
    }

    /// Takes the value if it is there; otherwise keeps `cx`'s waker (one
    /// async waiter at a time) and returns `Pending`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::task::{Context, Poll, Waker};
    /// use tether_bridge::Completion;
    /// # use std::sync::atomic::{AtomicBool, Ordering};
    /// # struct Flag(AtomicBool);
    /// # impl std::task::Wake for Flag {
    /// #     fn wake(self: Arc<Self>) {
    /// #         self.0.store(true, Ordering::Relaxed);
    /// #     }
    /// # }
    /// # impl Flag {
    /// #     fn is_set(&self) -> bool {
    /// #         self.0.load(Ordering::Relaxed)
    /// #     }
    /// # }
    ///
    /// let woken = Arc::new(Flag(AtomicBool::new(false)));
    /// let waker = Waker::from(woken.clone());
    /// let mut cx = Context::from_waker(&waker);
    /// let cell = Completion::new();
    /// assert_eq!(cell.poll_take(&mut cx), Poll::Pending);
    /// cell.complete("ready").unwrap();
    /// assert!(woken.is_set());
    /// assert_eq!(cell.poll_take(&mut cx), Poll::Ready("ready"));
    /// ```
    ///
    /// # Panics
    ///
    /// Panics if the value was already taken (rule 5).
    pub fn poll_take(&self, cx: &mut Context<'_>) -> Poll<T> {
        let mut state = lock(&self.state);
        if let Some(value) = Self::try_take(&mut state) {
            return Poll::Ready(value);
        }
        match &mut state.waker {
            Some(waker) if waker.will_wake(cx.waker()) => {}
            slot => *slot = Some(cx.waker().clone()),
        }
        Poll::Pending
    }

    /// Calls `callback` with the value once it is there: now, on this
    /// thread, if it already is (or right after, on the thread of another
    /// late callback that has it lent out); otherwise on the thread that
    /// completes the cell (rule 4).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::mpsc;
    /// use tether_bridge::Completion;
    ///
    /// let cell = Completion::new();
    /// let (tx, rx) = mpsc::channel();
    /// let early = tx.clone();
    /// cell.on_complete(move |value: &u32| early.send(("early", *value)).unwrap());
    /// cell.complete(3).unwrap(); // runs the early callback
    /// cell.on_complete(move |value: &u32| tx.send(("late", *value)).unwrap()); // runs at once
    /// assert_eq!(rx.try_iter().collect::<Vec<_>>(), [("early", 3), ("late", 3)]);
    /// assert_eq!(cell.wait(), 3); // the value is still there
    /// ```
    ///
    /// # Panics
    ///
    /// Panics if the value was already taken (rule 5).
    pub fn on_complete(&self, callback: impl FnOnce(&T) + Send + 'static) {
        let mut state = lock(&self.state);
        match std::mem::replace(&mut state.slot, Slot::Lent) {
            Slot::Ready(value) => {
                state.callbacks.push(Box::new(callback));
                drop(state);
                self.lend(value);
            }
            Slot::Taken => panic!("a done callback was added after the value was taken"),
            other => {
                // Not complete, or lent out: whoever holds the value runs it.
                state.slot = other;
                state.callbacks.push(Box::new(callback));
            }
        }
    }

    /// The value, if it is in the cell; `None` if it is not yet (or is lent).
    fn try_take(state: &mut MutexGuard<'_, State<T>>) -> Option<T> {
        match std::mem::replace(&mut state.slot, Slot::Taken) {
            Slot::Ready(value) => Some(value),
            Slot::Taken => panic!("the value of a completion was taken twice"),
            other => {
                state.slot = other;
                None
            }
        }
    }
}

impl<T> Default for Completion<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> std::fmt::Debug for Completion<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let slot = match lock(&self.state).slot {
            Slot::Empty => "empty",
            Slot::Ready(_) => "ready",
            Slot::Lent => "lent",
            Slot::Taken => "taken",
        };
        f.debug_struct("Completion")
            .field("slot", &slot)
            .finish_non_exhaustive()
    }
}

#[cfg(all(test, not(loom)))]
mod tests;
