//! The task state word: one atomic that decides who runs a task, and when.
//!
//! A tether task lives on one loop thread: only that thread polls its future,
//! stores its output and drops it. But its [`Waker`](std::task::Waker) is
//! `Send + Sync`, so any thread may wake it, any number of times, at any
//! moment: while it waits, while it sits in a queue, while the loop polls
//! it, after it finished. This word is what turns that storm of wakes into
//! "the task is queued exactly once, and runs again exactly once if it was
//! woken during a run", and what decides, among all the holders of a
//! reference, which one frees the allocation.
//!
//! # The bits
//!
//! | bit             | set when | cleared when |
//! |-----------------|----------|--------------|
//! | `SCHEDULED`     | a wake or a cancel finds the task not yet scheduled | the loop takes the task out of a queue to run it (a task that completes, or is claimed at shutdown, may keep it: `COMPLETE` makes it moot) |
//! | `RUNNING`       | the loop starts a run (poll, or drop of a cancelled future), or claims the task at shutdown | the run ends |
//! | `COMPLETE`      | the future is gone: it returned, panicked or was dropped by a cancel or at shutdown | never |
//! | `CANCELLED`     | cancel was requested and the task was not complete, or the loop claimed it at shutdown | never |
//! | `JOIN_INTEREST` | from spawn, while a `JoinHandle` wants the output | the `JoinHandle` is dropped |
//! | `QUEUED`        | a wake or a cancel from another thread finds the task running, and queues it; or the loop claims the task at shutdown, when it may still have an entry | the run ends (a run that completes leaves it: `COMPLETE` makes it moot) |
//!
//! The upper bits, from `REF_ONE` up, count references to the allocation.
//! `SCHEDULED` may be set together with `RUNNING`: it then means "woken
//! during this run". Without `QUEUED`, the run itself woke the task, and
//! the loop puts it back into the ready queue when the run ends; with
//! `QUEUED`, another thread's wake has queued it already, and the end of
//! the run leaves it where it is. `COMPLETE` excludes `RUNNING`.
//!
//! ```text
//!            wake or cancel: Submit (the queue entry's reference)
//!    +------+ --------------------------------------> +-----------+
//!    | idle |                                         | SCHEDULED | in the ready queue
//!    +------+ <-----------+                           +-----------+ or the injection queue
//!        transition_to_idle: Idle                           |
//!        (nobody woke it during the run)                    | transition_to_running:
//!                         |                                 v Poll, or Cancel if CANCELLED
//!                         |   transition_to_idle:      +---------+
//!                         +--------------------------- | RUNNING | <---+ wake: sets SCHEDULED
//!   (woken during the run: Resubmit, back to           +---------+ ----+ (and, from another
//!    SCHEDULED, reusing the run's reference;                |            thread, QUEUED: Submit)
//!    queued by another thread: Idle, and SCHEDULED)         |
//!                                                           | transition_to_complete:
//!                                                           v returned, panicked or cancelled
//!                                                     +----------+
//!                                                     | COMPLETE | wakes and cancels do nothing
//!                                                     +----------+
//! ```
//!
//! One arrow is left out: at shutdown, `transition_to_running_for_shutdown`
//! takes a task that is not complete from idle or `SCHEDULED` straight to
//! `RUNNING | CANCELLED`, so that the loop can drop its future, and
//! `transition_to_complete` ends that run as any other.
//!
//! # Rules
//!
//! 1. Only the loop thread sets or clears `RUNNING`, writes `COMPLETE`,
//!    clears `QUEUED` or touches `JOIN_INTEREST`; any thread may set
//!    `SCHEDULED` or `CANCELLED` (and a wake or cancel from elsewhere than
//!    the loop, `QUEUED`: rule 3), and take or drop a reference.
//! 2. Whoever moves the task from idle to `SCHEDULED`, or a running task
//!    to `QUEUED`, gives the queue entry a reference (a new one, or a
//!    by-value waker's own) and must push the task into a queue
//!    (`Submit`). Every other wake only sets a bit, or does nothing; so a
//!    task is in at most one queue, at most once.
//! 3. The loop clears `SCHEDULED` in the same step that sets `RUNNING`, so
//!    a wake during the run sets it again, and the end of the run sees it:
//!    the task runs once more, not twice and not zero times. Where it
//!    queues depends on where the wake (or a cancel, which asks for a run
//!    as a wake does) came from ([`WakeFrom`]). A wake by
//!    the run itself (the only one its loop's thread can make during the
//!    run) leaves the queuing to the end of the run, as asyncio queues a
//!    task's next step when its step ends. A wake from another thread
//!    queues the task at once, with `QUEUED`, so that the task's next run
//!    comes before whatever that thread submits after the wake (the
//!    design's order promise); the end of the run then leaves it queued, or,
//!    if the run completed the task, the loop finds it complete when it
//!    takes the entry, and drops the entry.
//! 4. The future, the output and the join waker are touched only by the loop
//!    thread: while `RUNNING`, by the run; otherwise, by the loop between
//!    runs. Once the loop has the task, its future is dropped on the loop
//!    thread, always. (A task the loop never received, because its queue
//!    was closed, goes back to its submitter, future and all.)
//! 5. References: the `JoinHandle`, the loop's list of live tasks, each queue
//!    entry, each `Waker`, and the current run hold one each; a run holds the
//!    reference its queue entry held. The holder whose release brings the
//!    count to zero frees the allocation; by then rule 4 has left only data
//!    that may be freed on any thread.
//! 6. Every wake of a task that is not complete writes the word, even when
//!    it changes nothing (a task already queued gets its own value written
//!    back). The write is a Release, and the loop's `transition_to_running`
//!    an Acquire, so whatever a thread did before `wake` is visible to the
//!    poll that follows. A wake that only loaded the word would promise a
//!    poll without promising that the poll sees why it was woken: loom finds
//!    that bug (the seeded `task_wake_no_publish`).
//!
//! # The model
//!
//! `loom-tests/tests/task_state.rs` wakes a task from two threads while
//! the loop runs it and the run wakes it too, and checks that it is queued at most once at any time
//! and runs once more after every wake that happened during a run; checks
//! that a task woken from another thread runs before what that thread
//! submits next, even when the wake finds it running; races a
//! remote wake and the dropping of its waker against completion and the
//! `JoinHandle`; and races a cancel against the runs. The output is
//! delivered once, and the task freed once, after every use of it. The
//! lines marked `MUTANT:` are the bugs those models are shown to catch
//! (`loom-tests/mutants.sh`).
//!
//! # Examples
//!
//! A spawned task, woken during its first run, runs again and completes.
//!
//! ```
//! use tether_bridge::task_state::{
//!     Initial, TaskState, TransitionToIdle, TransitionToRunning, TransitionToScheduled,
//!     WakeFrom,
//! };
//!
//! // Queued, with a JoinHandle; references: the JoinHandle, the task list,
//! // the queue entry.
//! let state = TaskState::new(Initial { refs: 3, scheduled: true, join_interest: true });
//! assert_eq!(state.transition_to_running(), TransitionToRunning::Poll);
//! // A wake during the poll: the loop, not the waker, queues it again.
//! assert_eq!(state.transition_to_scheduled_by_ref(|| WakeFrom::Loop), TransitionToScheduled::DoNothing);
//! assert_eq!(state.transition_to_idle(), TransitionToIdle::Resubmit);
//! // The second poll returns `Ready`.
//! assert_eq!(state.transition_to_running(), TransitionToRunning::Poll);
//! let before = state.transition_to_complete();
//! assert!(before.has_join_interest()); // the JoinHandle wants the output
//! assert!(!state.ref_dec()); // the run's reference; two are left
//! assert_eq!(state.load().ref_count(), 2);
//! ```

use crate::sync::AtomicUsize;
use crate::sync::Ordering::{AcqRel, Acquire, Relaxed, Release};
use crate::sync::fence;

/// In a queue, or woken during a run (then with `RUNNING`).
const SCHEDULED: usize = 1 << 0;
/// The loop is running the task: polling it, or dropping a cancelled future.
const RUNNING: usize = 1 << 1;
/// The future is gone (returned, panicked, or dropped by a cancel or at
/// shutdown). Final.
const COMPLETE: usize = 1 << 2;
/// Cancellation was requested, or the loop claimed the task at shutdown;
/// the next run drops the future. Final.
const CANCELLED: usize = 1 << 3;
/// A `JoinHandle` exists and wants the output.
const JOIN_INTEREST: usize = 1 << 4;
/// With `RUNNING`: a wake from another thread during the run queued the
/// task already (with `SCHEDULED`), so the end of the run must not.
const QUEUED: usize = 1 << 5;
/// The reference count occupies the bits from here up.
const REF_SHIFT: u32 = 6;
/// One reference.
const REF_ONE: usize = 1 << REF_SHIFT;
/// Past this many references, something leaks wakers in a loop: abort
/// rather than let the count wrap around into a use-after-free.
const MAX_REFS: usize = (isize::MAX as usize) >> REF_SHIFT;

/// The atomic state of one task. See the module documentation.
///
/// # Examples
///
/// Four threads wake an idle task at once: exactly one of them queues it.
///
/// ```
/// use std::sync::Arc;
/// use tether_bridge::{Initial, TaskState, TransitionToScheduled, WakeFrom};
///
/// // Idle, held by the task list; then by a waker for each thread too.
/// let initial = Initial { refs: 1, scheduled: false, join_interest: false };
/// let state = Arc::new(TaskState::new(initial));
/// for _ in 0..4 {
///     state.ref_inc();
/// }
/// assert_eq!(state.load().ref_count(), 5);
/// let wakers: Vec<_> = (0..4)
///     .map(|_| {
///         let state = state.clone();
///         std::thread::spawn(move || state.transition_to_scheduled_by_ref(|| WakeFrom::Elsewhere))
///     })
///     .collect();
/// let outcomes: Vec<_> = wakers.into_iter().map(|waker| waker.join().unwrap()).collect();
/// let submits = outcomes.iter().filter(|&&o| o == TransitionToScheduled::Submit).count();
/// assert_eq!(submits, 1);
/// assert_eq!(state.load().ref_count(), 6); // one more: the queue entry's
/// ```
pub struct TaskState {
    /// Flag bits in the low bits, the reference count above `REF_SHIFT`.
    val: AtomicUsize,
}

/// The state a task starts in.
///
/// # Examples
///
/// ```
/// use tether_bridge::{Initial, TaskState};
///
/// // As `spawn` makes it: queued, joined, referenced by the JoinHandle, the
/// // task list and the queue entry.
/// let state = TaskState::new(Initial { refs: 3, scheduled: true, join_interest: true });
/// let s = state.load();
/// assert!(s.is_scheduled() && s.has_join_interest() && !s.is_running());
/// assert_eq!(s.ref_count(), 3);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Initial {
    /// References handed out at creation (rule 5).
    pub refs: usize,
    /// Whether the creator will push the task into a queue right away.
    pub scheduled: bool,
    /// Whether a `JoinHandle` wants the output.
    pub join_interest: bool,
}

/// One loaded value of a [`TaskState`].
///
/// # Examples
///
/// A spawned task through one run, which a wake interrupts and which
/// completes.
///
/// ```
/// use tether_bridge::{
///     Initial, TaskState, TransitionToRunning, TransitionToScheduled, WakeFrom,
/// };
///
/// let state = TaskState::new(Initial { refs: 2, scheduled: true, join_interest: true });
/// let queued = state.load();
/// assert!(queued.is_scheduled() && !queued.is_running() && queued.has_join_interest());
/// assert_eq!(queued.ref_count(), 2);
/// assert_eq!(state.transition_to_running(), TransitionToRunning::Poll);
/// let running = state.load();
/// assert!(running.is_running() && !running.is_scheduled());
/// // Woken during the run: scheduled again while it still runs.
/// assert_eq!(state.transition_to_scheduled_by_ref(|| WakeFrom::Loop), TransitionToScheduled::DoNothing);
/// assert!(state.load().is_scheduled() && state.load().is_running());
/// let _ = state.transition_to_complete();
/// let complete = state.load();
/// assert!(complete.is_complete() && !complete.is_running() && !complete.is_cancelled());
/// // A snapshot is a copy: it does not follow the word.
/// assert!(queued.is_scheduled() && !queued.is_complete());
/// assert_ne!(queued, running);
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Snapshot(usize);

/// What a waker does after `transition_to_scheduled_by_ref`.
///
/// # Examples
///
/// ```
/// use tether_bridge::{Initial, TaskState, TransitionToScheduled, WakeFrom};
///
/// // Idle, held by the task list and a waker.
/// let state = TaskState::new(Initial { refs: 2, scheduled: false, join_interest: false });
/// assert_eq!(state.transition_to_scheduled_by_ref(|| WakeFrom::Elsewhere), TransitionToScheduled::Submit);
/// assert_eq!(state.load().ref_count(), 3); // the queue entry's
/// // Queued already: a second wake changes nothing.
/// assert_eq!(state.transition_to_scheduled_by_ref(|| WakeFrom::Elsewhere), TransitionToScheduled::DoNothing);
/// assert_eq!(state.load().ref_count(), 3);
/// ```
#[must_use = "on `Submit` the caller owns a new reference and must queue the task"]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransitionToScheduled {
    /// The task was idle, or running and woken from another thread (rule
    /// 3): push it into a queue, with the reference just taken.
    Submit,
    /// Already queued, running and woken by the run itself (it will run
    /// again), or complete: nothing to do.
    DoNothing,
}

/// What a waker does after `transition_to_scheduled_by_val`.
///
/// # Examples
///
/// ```
/// use tether_bridge::{Initial, TaskState, TransitionToScheduledByVal, WakeFrom};
///
/// // Idle, held by the task list and two wakers.
/// let state = TaskState::new(Initial { refs: 3, scheduled: false, join_interest: false });
/// assert_eq!(state.transition_to_scheduled_by_val(|| WakeFrom::Elsewhere), TransitionToScheduledByVal::Submit);
/// assert_eq!(state.load().ref_count(), 3); // the waker's reference is the queue's now
/// assert_eq!(state.transition_to_scheduled_by_val(|| WakeFrom::Elsewhere), TransitionToScheduledByVal::DoNothing);
/// assert_eq!(state.load().ref_count(), 2); // queued already: released
/// ```
#[must_use = "the caller's reference was either moved to the queue or released"]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransitionToScheduledByVal {
    /// The task was idle, or running and woken from another thread (rule
    /// 3): push it, the waker's reference becomes the queue's.
    Submit,
    /// Nothing to queue; the waker's reference was released.
    DoNothing,
    /// Nothing to queue, and that reference was the last: free the task.
    Dealloc,
}

/// What the loop does with a task it took out of a queue.
///
/// # Examples
///
/// ```
/// use tether_bridge::{Initial, TaskState, TransitionToCancelled, TransitionToRunning, WakeFrom};
///
/// let state = TaskState::new(Initial { refs: 2, scheduled: true, join_interest: false });
/// let cancel = state.transition_to_cancelled(|| WakeFrom::Elsewhere);
/// assert_eq!(cancel, TransitionToCancelled::Requested);
/// // Cancelled while queued: the run drops the future instead of polling it.
/// assert_eq!(state.transition_to_running(), TransitionToRunning::Cancel);
/// ```
#[must_use = "the loop must poll, or drop the future on `Cancel`"]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransitionToRunning {
    /// Poll the future.
    Poll,
    /// Cancellation was requested: drop the future instead of polling it.
    Cancel,
    /// The task completed after a wake from another thread queued it
    /// during its last run: nothing to run; drop the queue entry, and with
    /// it the entry's reference.
    Complete,
}

/// Where a wake comes from, which decides what the wake of a running task
/// does (rule 3).
///
/// # Examples
///
/// ```
/// use tether_bridge::{
///     Initial, TaskState, TransitionToIdle, TransitionToRunning, TransitionToScheduled, WakeFrom,
/// };
///
/// let state = TaskState::new(Initial { refs: 2, scheduled: true, join_interest: false });
/// assert_eq!(state.transition_to_running(), TransitionToRunning::Poll);
/// // Woken by the run itself: the end of the run queues it.
/// let by_the_run = state.transition_to_scheduled_by_ref(|| WakeFrom::Loop);
/// assert_eq!(by_the_run, TransitionToScheduled::DoNothing);
/// // Woken by another thread: queued now, where that thread's later
/// // submissions will queue behind it...
/// let by_another = state.transition_to_scheduled_by_ref(|| WakeFrom::Elsewhere);
/// assert_eq!(by_another, TransitionToScheduled::Submit);
/// // ...so the end of the run leaves it where it is.
/// assert_eq!(state.transition_to_idle(), TransitionToIdle::Idle);
/// assert!(state.load().is_scheduled());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WakeFrom {
    /// The task's loop thread, inside its loop: during a run, only the
    /// run itself can wake the task, and the task is queued when the run
    /// ends, as asyncio queues a task's next step when its step ends.
    Loop,
    /// Any other thread, or the loop's thread outside its loop: a wake
    /// that finds the task running queues it at once, in its place among
    /// what that thread submits.
    Elsewhere,
}

/// What the loop does after a poll returned `Pending`.
///
/// # Examples
///
/// ```
/// use tether_bridge::{
///     Initial, TaskState, TransitionToIdle, TransitionToRunning, TransitionToScheduled,
///     WakeFrom,
/// };
///
/// let state = TaskState::new(Initial { refs: 2, scheduled: true, join_interest: false });
/// assert_eq!(state.transition_to_running(), TransitionToRunning::Poll);
/// // Woken during the poll: queued again when it returns.
/// assert_eq!(state.transition_to_scheduled_by_ref(|| WakeFrom::Loop), TransitionToScheduled::DoNothing);
/// assert_eq!(state.transition_to_idle(), TransitionToIdle::Resubmit);
/// // Not woken during the next poll: left idle.
/// assert_eq!(state.transition_to_running(), TransitionToRunning::Poll);
/// assert_eq!(state.transition_to_idle(), TransitionToIdle::Idle);
/// assert!(!state.load().is_scheduled());
/// ```
#[must_use = "on `Resubmit` the run's reference must go back into the ready queue"]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransitionToIdle {
    /// Woken (or cancelled) during the run by the loop's own thread: queue
    /// it again, reusing the run's reference.
    Resubmit,
    /// Left idle, or queued already by a wake or cancel from another
    /// thread during the run (`QUEUED`); the run's reference was released.
    Idle,
    /// Left idle, and the run held the last reference: free the task.
    Dealloc,
}

/// What a canceller does after `transition_to_cancelled`.
///
/// # Examples
///
/// ```
/// use tether_bridge::{Initial, TaskState, TransitionToCancelled, WakeFrom};
///
/// // Idle, held by the task list and the JoinHandle.
/// let state = TaskState::new(Initial { refs: 2, scheduled: false, join_interest: true });
/// let cancel = state.transition_to_cancelled(|| WakeFrom::Loop);
/// assert_eq!(cancel, TransitionToCancelled::Submit);
/// assert!(state.load().is_scheduled() && state.load().is_cancelled());
/// assert_eq!(state.load().ref_count(), 3); // the queue entry's
/// // Cancelled already: a second cancel changes nothing.
/// let again = state.transition_to_cancelled(|| WakeFrom::Loop);
/// assert_eq!(again, TransitionToCancelled::TooLate);
/// ```
#[must_use = "on `Submit` the caller owns a new reference and must queue the task"]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransitionToCancelled {
    /// The task was idle, or running and cancelled from another thread
    /// (rule 3): queue it, with the reference just taken, so that the loop
    /// drops its future (unless the run completes it first).
    Submit,
    /// Requested: the task is queued or running, and its next run drops it.
    Requested,
    /// Complete or already cancelled: this cancel changes nothing.
    TooLate,
}

// ===== impl TaskState =====

impl TaskState {
    /// A new state word, as `initial` describes it; shown in
    /// [`TaskState`'s example](TaskState#examples).
    ///
    /// # Panics
    ///
    /// Panics if `initial.refs` is more than the reference count can hold
    /// (`isize::MAX >> 6`).
    pub fn new(initial: Initial) -> Self {
        assert!(initial.refs <= MAX_REFS, "too many initial references");
        let mut val = initial.refs << REF_SHIFT;
        if initial.scheduled {
            val |= SCHEDULED;
        }
        if initial.join_interest {
            val |= JOIN_INTEREST;
        }
        Self {
            val: AtomicUsize::new(val),
        }
    }

    /// The current value; shown in [`TaskState`'s example](TaskState#examples).
    ///
    /// Acquire: pairs with the Release in every transition, so the loop sees
    /// what was written before a completion.
    pub fn load(&self) -> Snapshot {
        Snapshot(self.val.load(Acquire))
    }

    /// A wake that keeps its reference (`Waker::wake_by_ref`). Any thread.
    ///
    /// `from` tells where the wake comes from ([`WakeFrom`]). It is asked
    /// only when the wake finds the task running and not yet queued, the
    /// one case where the answer changes anything, so that the wake of an
    /// idle or queued task, nearly every wake, pays nothing to find out.
    ///
    /// # Examples
    ///
    /// A wake during a run.
    ///
    /// ```
    /// use tether_bridge::{
    ///     Initial, TaskState, TransitionToIdle, TransitionToRunning, TransitionToScheduled,
    ///     WakeFrom,
    /// };
    ///
    /// let state = TaskState::new(Initial { refs: 2, scheduled: true, join_interest: false });
    /// assert_eq!(state.transition_to_running(), TransitionToRunning::Poll);
    /// // Woken while it runs: nothing to queue now, but the word remembers it...
    /// assert_eq!(state.transition_to_scheduled_by_ref(|| WakeFrom::Loop), TransitionToScheduled::DoNothing);
    /// assert!(state.load().is_scheduled() && state.load().is_running());
    /// // ...and the loop queues it again when the run ends.
    /// assert_eq!(state.transition_to_idle(), TransitionToIdle::Resubmit);
    /// ```
    pub fn transition_to_scheduled_by_ref(
        &self,
        from: impl Fn() -> WakeFrom,
    ) -> TransitionToScheduled {
        let mut action = TransitionToScheduled::DoNothing;
        self.update(|s| {
            if s & COMPLETE != 0 {
                // Nothing left to run.
                action = TransitionToScheduled::DoNothing;
                None
            } else if Self::submits_while_running(s, &from) {
                // Rule 3: queued now, in its place among this thread's
                // submissions; the end of the run leaves it there.
                // MUTANT: a wake submits a running task without marking it
                // queued, so the end of the run queues it a second time.
                let queued = if cfg!(tether_mutant = "task_submit_while_running") {
                    0
                } else {
                    QUEUED
                };
                action = TransitionToScheduled::Submit;
                Some(Self::add_ref(s) | SCHEDULED | queued)
            } else if s & SCHEDULED != 0 {
                // Rule 2: queued already, or to be queued when the run
                // ends. Rule 6: write the same value back, to publish what
                // this thread wrote before the wake.
                action = TransitionToScheduled::DoNothing;
                // MUTANT: a wake of a queued task only reads the word.
                if cfg!(tether_mutant = "task_wake_no_publish") {
                    return None;
                }
                Some(s)
            } else if s & RUNNING != 0 {
                // Rule 3: woken on the loop, by the run itself: the loop
                // queues it when the run ends.
                action = TransitionToScheduled::DoNothing;
                Some(s | SCHEDULED)
            } else {
                action = TransitionToScheduled::Submit;
                Some(Self::add_ref(s) | SCHEDULED)
            }
        });
        action
    }

    /// A wake that consumes its reference (`Waker::wake`). Any thread.
    /// `from` as for [`transition_to_scheduled_by_ref`](Self::transition_to_scheduled_by_ref).
    ///
    /// # Examples
    ///
    /// The wake of a task that completed, by its last holder.
    ///
    /// ```
    /// use tether_bridge::{
    ///     Initial, TaskState, TransitionToRunning, TransitionToScheduledByVal, WakeFrom,
    /// };
    ///
    /// // Queued, held by its queue entry and by one waker.
    /// let state = TaskState::new(Initial { refs: 2, scheduled: true, join_interest: false });
    /// assert_eq!(state.transition_to_running(), TransitionToRunning::Poll);
    /// let _ = state.transition_to_complete();
    /// assert!(!state.ref_dec()); // the run's reference
    /// // The waker's reference is the last one: its wake must free the task.
    /// assert_eq!(state.transition_to_scheduled_by_val(|| WakeFrom::Elsewhere), TransitionToScheduledByVal::Dealloc);
    /// ```
    pub fn transition_to_scheduled_by_val(
        &self,
        from: impl Fn() -> WakeFrom,
    ) -> TransitionToScheduledByVal {
        let mut action = TransitionToScheduledByVal::DoNothing;
        self.update(|s| {
            if s & COMPLETE == 0 && Self::submits_while_running(s, &from) {
                // Rule 3, as for a wake by reference; the waker's reference
                // becomes the queue entry's.
                action = TransitionToScheduledByVal::Submit;
                Some(s | SCHEDULED | QUEUED)
            } else if s & (SCHEDULED | COMPLETE) != 0 {
                let s = s - REF_ONE;
                action = if s >> REF_SHIFT == 0 {
                    TransitionToScheduledByVal::Dealloc
                } else {
                    TransitionToScheduledByVal::DoNothing
                };
                Some(s)
            } else if s & RUNNING != 0 {
                // Woken by the run itself. The run holds a reference too,
                // so this one is not the last.
                action = TransitionToScheduledByVal::DoNothing;
                Some((s - REF_ONE) | SCHEDULED)
            } else {
                // The waker's reference becomes the queue entry's.
                action = TransitionToScheduledByVal::Submit;
                Some(s | SCHEDULED)
            }
        });
        action
    }

    /// Whether a wake that finds the state `s` (not complete) must queue a
    /// running task now: one from another thread (`from`, asked only here)
    /// that finds it running and not yet queued by such a wake (rule 3).
    fn submits_while_running(s: usize, from: &impl Fn() -> WakeFrom) -> bool {
        // MUTANT: a wake from another thread only marks a running task, as
        // a wake by the run does, so the task is queued when the run ends:
        // behind what that thread submitted after the wake.
        if cfg!(tether_mutant = "task_remote_wake_marks_running") {
            return false;
        }
        s & (RUNNING | QUEUED) == RUNNING && from() == WakeFrom::Elsewhere
    }

    /// The loop takes the task out of a queue to run it. Loop only.
    ///
    /// The queue entry's reference becomes the run's.
    ///
    /// # Examples
    ///
    /// ```
    /// use tether_bridge::{Initial, TaskState, TransitionToRunning};
    ///
    /// let state = TaskState::new(Initial { refs: 2, scheduled: true, join_interest: false });
    /// assert_eq!(state.transition_to_running(), TransitionToRunning::Poll);
    /// let s = state.load();
    /// assert!(s.is_running() && !s.is_scheduled());
    /// assert_eq!(s.ref_count(), 2);
    /// ```
    pub fn transition_to_running(&self) -> TransitionToRunning {
        let mut action = TransitionToRunning::Poll;
        self.update(|s| {
            debug_assert!(s & SCHEDULED != 0, "ran a task that was not scheduled");
            debug_assert!(s & RUNNING == 0, "ran a running task");
            if s & COMPLETE != 0 {
                // Queued by a wake from another thread during the run
                // that completed it (rule 3): nothing to run.
                action = TransitionToRunning::Complete;
                return None;
            }
            action = if s & CANCELLED != 0 {
                TransitionToRunning::Cancel
            } else {
                TransitionToRunning::Poll
            };
            // Rule 3: from here on, a wake sets SCHEDULED again.
            // MUTANT: keep SCHEDULED through the run; `transition_to_idle`
            // clears it, and with it any wake that came during the poll.
            if cfg!(tether_mutant = "task_late_clear") {
                return Some(s | RUNNING);
            }
            Some((s & !SCHEDULED) | RUNNING)
        });
        action
    }

    /// At shutdown, the loop claims a task that is not running, wherever it
    /// is, so that it can drop the future. Loop only.
    ///
    /// Returns false if the task is already complete. A queue entry the task
    /// may have keeps its reference; dropping the entry releases it.
    ///
    /// # Examples
    ///
    /// ```
    /// use tether_bridge::{Initial, TaskState};
    ///
    /// let state = TaskState::new(Initial { refs: 3, scheduled: true, join_interest: true });
    /// assert!(state.transition_to_running_for_shutdown());
    /// let s = state.load();
    /// assert!(s.is_running() && s.is_cancelled());
    /// assert_eq!(s.ref_count(), 3); // the queue entry keeps its reference
    /// // The loop drops the future; a complete task cannot be claimed again.
    /// let _ = state.transition_to_complete();
    /// assert!(!state.transition_to_running_for_shutdown());
    /// ```
    pub fn transition_to_running_for_shutdown(&self) -> bool {
        let mut claimed = false;
        self.update(|s| {
            debug_assert!(s & RUNNING == 0, "shutdown while a task runs");
            claimed = s & COMPLETE == 0;
            // QUEUED too: the task may have an entry in a queue still, and
            // a wake from another thread during this last run must not
            // queue it a second time (rule 2).
            claimed.then_some(s | RUNNING | CANCELLED | QUEUED)
        });
        claimed
    }

    /// A poll returned `Pending`. Loop only.
    ///
    /// # Examples
    ///
    /// ```
    /// use tether_bridge::{Initial, TaskState, TransitionToIdle, TransitionToRunning};
    ///
    /// // Held by the task list and the queue entry.
    /// let state = TaskState::new(Initial { refs: 2, scheduled: true, join_interest: false });
    /// assert_eq!(state.transition_to_running(), TransitionToRunning::Poll);
    /// assert_eq!(state.transition_to_idle(), TransitionToIdle::Idle);
    /// let s = state.load();
    /// assert!(!s.is_running() && !s.is_scheduled());
    /// assert_eq!(s.ref_count(), 1); // the run's reference was released
    ///
    /// // Held by its queue entry alone: when the run ends, nobody holds it.
    /// let lone = TaskState::new(Initial { refs: 1, scheduled: true, join_interest: false });
    /// assert_eq!(lone.transition_to_running(), TransitionToRunning::Poll);
    /// assert_eq!(lone.transition_to_idle(), TransitionToIdle::Dealloc);
    /// ```
    pub fn transition_to_idle(&self) -> TransitionToIdle {
        let mut action = TransitionToIdle::Idle;
        self.update(|s| {
            debug_assert!(s & RUNNING != 0, "idle without a run");
            let s = s & !RUNNING;
            #[cfg(tether_mutant = "task_late_clear")]
            let s = s & !SCHEDULED;
            if s & QUEUED != 0 {
                // Queued during the run by a wake from another thread: it
                // stays queued, and the run's reference is released (the
                // queue entry holds its own, so it is not the last).
                action = TransitionToIdle::Idle;
                Some((s & !QUEUED) - REF_ONE)
            } else if s & SCHEDULED != 0 {
                action = TransitionToIdle::Resubmit;
                Some(s)
            } else {
                let s = s - REF_ONE;
                action = if s >> REF_SHIFT == 0 {
                    TransitionToIdle::Dealloc
                } else {
                    TransitionToIdle::Idle
                };
                Some(s)
            }
        });
        action
    }

    /// The run ended for good: the future returned, panicked or was dropped.
    /// Loop only. Returns the state before; the run's reference is kept
    /// (release it with [`ref_dec`](TaskState::ref_dec)).
    ///
    /// # Examples
    ///
    /// ```
    /// use tether_bridge::{
    ///     Initial, TaskState, TransitionToRunning, TransitionToScheduled, WakeFrom,
    /// };
    ///
    /// let state = TaskState::new(Initial { refs: 2, scheduled: true, join_interest: true });
    /// assert_eq!(state.transition_to_running(), TransitionToRunning::Poll);
    /// let before = state.transition_to_complete();
    /// assert!(before.is_running() && !before.is_complete());
    /// let after = state.load();
    /// assert!(after.is_complete() && !after.is_running());
    /// assert_eq!(after.ref_count(), 2); // the run's reference is still held
    /// assert_eq!(state.transition_to_scheduled_by_ref(|| WakeFrom::Loop), TransitionToScheduled::DoNothing);
    /// ```
    pub fn transition_to_complete(&self) -> Snapshot {
        // AcqRel, like every transition (see `update`); its Release half
        // pairs with the Acquire of anyone who later loads COMPLETE, so that
        // they see what the run wrote.
        let prev = self.val.fetch_xor(RUNNING | COMPLETE, AcqRel);
        debug_assert!(prev & RUNNING != 0 && prev & COMPLETE == 0);
        Snapshot(prev)
    }

    /// Requests cancellation. Any thread. `from` as for
    /// [`transition_to_scheduled_by_ref`](Self::transition_to_scheduled_by_ref):
    /// the run a cancel asks for is queued as a wake's would be (rule 3).
    ///
    /// # Examples
    ///
    /// A cancel while the task runs.
    ///
    /// ```
    /// use tether_bridge::{
    ///     Initial, TaskState, TransitionToCancelled, TransitionToIdle, TransitionToRunning,
    ///     WakeFrom,
    /// };
    ///
    /// let state = TaskState::new(Initial { refs: 2, scheduled: true, join_interest: true });
    /// assert_eq!(state.transition_to_running(), TransitionToRunning::Poll);
    /// // Cancelled by the run itself: it gets a next run...
    /// let cancel = state.transition_to_cancelled(|| WakeFrom::Loop);
    /// assert_eq!(cancel, TransitionToCancelled::Requested);
    /// assert_eq!(state.transition_to_idle(), TransitionToIdle::Resubmit);
    /// // ...which drops the future.
    /// assert_eq!(state.transition_to_running(), TransitionToRunning::Cancel);
    /// let _ = state.transition_to_complete();
    /// let cancel = state.transition_to_cancelled(|| WakeFrom::Elsewhere);
    /// assert_eq!(cancel, TransitionToCancelled::TooLate);
    /// ```
    pub fn transition_to_cancelled(&self, from: impl Fn() -> WakeFrom) -> TransitionToCancelled {
        let mut action = TransitionToCancelled::TooLate;
        let decide = |s| {
            if s & (COMPLETE | CANCELLED) != 0 {
                action = TransitionToCancelled::TooLate;
                None
            } else if Self::submits_while_running(s, &from) {
                // Running, and cancelled from another thread: queued now,
                // in its place (rule 3), for the run that drops the future.
                action = TransitionToCancelled::Submit;
                Some(Self::add_ref(s) | CANCELLED | SCHEDULED | QUEUED)
            } else if s & (SCHEDULED | RUNNING) != 0 {
                // Queued or running: the next run sees CANCELLED. A running
                // task also gets SCHEDULED, so that there is a next run.
                action = TransitionToCancelled::Requested;
                Some(s | CANCELLED | SCHEDULED)
            } else {
                action = TransitionToCancelled::Submit;
                Some(Self::add_ref(s) | CANCELLED | SCHEDULED)
            }
        };
        #[cfg(not(tether_mutant = "task_cancel_load_store"))]
        self.update(decide);
        // MUTANT: decide on a load, then store the decision: a check-then-set
        // that overwrites whatever the loop wrote in between.
        #[cfg(tether_mutant = "task_cancel_load_store")]
        self.load_then_store(decide);
        action
    }

    /// The `JoinHandle` is dropped. Loop only. Returns the state before, so
    /// the caller knows whether a finished output waits to be dropped; the
    /// handle's reference is kept (release it with `ref_dec`).
    ///
    /// # Examples
    ///
    /// ```
    /// use tether_bridge::{Initial, TaskState, TransitionToRunning};
    ///
    /// let state = TaskState::new(Initial { refs: 2, scheduled: true, join_interest: true });
    /// assert_eq!(state.transition_to_running(), TransitionToRunning::Poll);
    /// let _ = state.transition_to_complete();
    /// let before = state.unset_join_interest();
    /// // Complete and joined: an output waits, and the caller drops it.
    /// assert!(before.is_complete() && before.has_join_interest());
    /// assert!(!state.load().has_join_interest());
    /// assert_eq!(state.load().ref_count(), 2);
    /// ```
    pub fn unset_join_interest(&self) -> Snapshot {
        // AcqRel, like every transition (see `update`). The output and this
        // bit are the loop thread's alone (rules 1 and 4), so no other
        // thread's writes need to be seen here; the references, not this
        // bit, order the free (`ref_dec`).
        Snapshot(self.val.fetch_and(!JOIN_INTEREST, AcqRel))
    }

    /// Takes one more reference (`Waker::clone`). Any thread. Shown in
    /// [`TaskState`'s example](TaskState#examples).
    pub fn ref_inc(&self) {
        // Relaxed, as in `Arc::clone`: the new reference is made from an
        // existing one, which already keeps the task alive.
        let prev = self.val.fetch_add(REF_ONE, Relaxed);
        if prev >> REF_SHIFT >= MAX_REFS {
            std::process::abort();
        }
    }

    /// Releases one reference. Any thread. Returns true if it was the last:
    /// the caller must then free the task.
    ///
    /// # Examples
    ///
    /// ```
    /// use tether_bridge::{Initial, TaskState};
    ///
    /// let state = TaskState::new(Initial { refs: 2, scheduled: false, join_interest: false });
    /// assert!(!state.ref_dec());
    /// assert!(state.ref_dec()); // the last one: free the task
    /// ```
    #[must_use = "on true the caller must free the task"]
    pub fn ref_dec(&self) -> bool {
        // Release: every use of the task through this reference happens
        // before the free; the Acquire fence makes the freeing thread see
        // all of them, as in `Arc::drop`.
        let prev = self.val.fetch_sub(REF_ONE, Release);
        debug_assert!(prev >> REF_SHIFT >= 1, "reference count underflow");
        if prev >> REF_SHIFT != 1 {
            return false;
        }
        // MUTANT: free without the Acquire fence, as a hand-rolled `Arc`
        // that forgets it does.
        if !cfg!(tether_mutant = "task_ref_dec_no_fence") {
            fence(Acquire);
        }
        true
    }

    /// Applies `f` atomically: `f` sees the current value and returns the new
    /// one, or `None` to leave it unchanged. `f` may run several times.
    fn update(&self, mut f: impl FnMut(usize) -> Option<usize>) {
        // Acquire, here and on a failed compare-exchange: `f` may decide on
        // this value without writing (a wake of a complete task, a cancel
        // that is too late), and must then see what the transition that
        // wrote it published.
        let mut current = self.val.load(Acquire);
        while let Some(next) = f(current) {
            // AcqRel: every transition both publishes what its thread did
            // before (Release) and sees what the previous one published.
            match self
                .val
                .compare_exchange_weak(current, next, AcqRel, Acquire)
            {
                Ok(_) => return,
                Err(actual) => current = actual,
            }
        }
    }

    /// `update` done wrong, for the seeded bug `task_cancel_load_store`.
    #[cfg(tether_mutant = "task_cancel_load_store")]
    fn load_then_store(&self, mut f: impl FnMut(usize) -> Option<usize>) {
        if let Some(next) = f(self.val.load(Acquire)) {
            self.val.store(next, Release);
        }
    }

    /// `s` with one more reference, aborting before the count overflows.
    fn add_ref(s: usize) -> usize {
        if s >> REF_SHIFT >= MAX_REFS {
            std::process::abort();
        }
        s + REF_ONE
    }
}

impl std::fmt::Debug for TaskState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.load().fmt(f)
    }
}

// ===== impl Snapshot =====

impl Snapshot {
    /// In a queue, or woken during the current run; shown in
    /// [`Snapshot`'s example](Snapshot#examples).
    pub fn is_scheduled(self) -> bool {
        self.0 & SCHEDULED != 0
    }

    /// The loop is running the task; shown in
    /// [`Snapshot`'s example](Snapshot#examples).
    pub fn is_running(self) -> bool {
        self.0 & RUNNING != 0
    }

    /// The future is gone; shown in
    /// [`Snapshot`'s example](Snapshot#examples).
    pub fn is_complete(self) -> bool {
        self.0 & COMPLETE != 0
    }

    /// Cancellation was requested; shown in
    /// [`Snapshot`'s example](Snapshot#examples).
    pub fn is_cancelled(self) -> bool {
        self.0 & CANCELLED != 0
    }

    /// A `JoinHandle` wants the output; shown in
    /// [`Snapshot`'s example](Snapshot#examples).
    pub fn has_join_interest(self) -> bool {
        self.0 & JOIN_INTEREST != 0
    }

    /// How many references exist; shown in
    /// [`Snapshot`'s example](Snapshot#examples).
    pub fn ref_count(self) -> usize {
        self.0 >> REF_SHIFT
    }
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot")
            .field("scheduled", &self.is_scheduled())
            .field("running", &self.is_running())
            .field("complete", &self.is_complete())
            .field("cancelled", &self.is_cancelled())
            .field("join_interest", &self.has_join_interest())
            .field("refs", &self.ref_count())
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests;
