//! The raw task: a future and its header in one allocation, reference
//! counted, with a hand-made waker.
//!
//! This module holds the executor's `unsafe` code, but for the slot that
//! keeps a callback's closure in place (`core/remote_call.rs`) and the
//! thread-local pointer to the current loop (`core/context.rs`). What it
//! buys is one heap allocation per spawned task. The obvious safe design, an
//! `Arc<Task>` implementing `std::task::Wake` that holds a
//! `Box<dyn Future>`, costs two: the `Arc` and the box. Here the future is
//! stored inline in the same allocation as the header, after it:
//!
//! ```text
//!   TaskRef / Waker data ---> +--------------------------------+  TaskCell<F, S>
//!   (a pointer to Header,     | Header (repr(C), first field)  |
//!    whatever F is)           |   state: TaskState  <- any thread
//!                             |   vtable ----------------------+--> Vtable for F:
//!                             |   shared: Arc<Shared> <- read    |    poll, cancel,
//!                             |   id, kind            <- read    |    take/drop output,
//!                             |   join_waker, list_key, runs     |    dealloc
//!                             |                   <- loop only   |
//!                             +--------------------------------+
//!                             | stage: Running(F, sink?)       |  loop thread only
//!                             |      | Finished(..) | Consumed  |
//!                             +--------------------------------+
//! ```
//!
//! Code that does not know `F` holds a pointer to the `Header` and reaches
//! the future through the [`Vtable`], whose functions were instantiated for
//! `F` (and `S`, below) when the task was allocated.
//!
//! A task's output goes to one of three places: its own stage, for the
//! `JoinHandle` of a local task; a *sink*, the [`Completion`] behind a
//! `ThreadFuture`, for a task submitted from another thread; or nowhere
//! (a detached task or a callback). The cell's type says whether a sink
//! can be there: `S` is [`Sink`] for a task allocated by another thread,
//! and [`NoSink`], which has no values, for a local one, whose functions
//! then have no hand-off to another thread in them. A program that never
//! hands a task's output to another thread does not link the hand-off
//! (the completion cell's code: 4.2 KB of hello world).
//!
//! A panic that no `JoinHandle` will see is shown to the loop's exception
//! handler, by reference, through the `Report` the run passes in; a sink
//! then receives it too. A panic stored for a `JoinHandle` that is then
//! dropped unread is shown to it when the handle drops the output.
//!
//! # Safety
//!
//! The obligations below are what every `SAFETY` comment in this file cites.
//!
//! 1. **Layout.** `TaskCell<F, S>` is `repr(C)` with the `Header` first, so a
//!    pointer to the cell is a pointer to its header and back. Only
//!    `allocate_cell` (behind `allocate`, `allocate_send` and
//!    `allocate_maker`) creates cells; only `Vtable::dealloc` frees them,
//!    and it is called exactly once, by whoever releases the last
//!    reference (`tether_bridge::task_state`, rule 5).
//! 2. **Lifetime.** Every `TaskRef` and every `Waker` made here owns one
//!    reference, so the cell outlives them. A pointer is dereferenced only
//!    while the caller owns a reference (or borrows something that does).
//! 3. **Threads.** Other threads touch only the header's `state` (atomic),
//!    and read `vtable`, `shared`, `id` and `kind`, which never change after
//!    `allocate`. The `stage`, `join_waker`, `list_key` and `runs` are
//!    touched on the loop thread only: the stage while the task is
//!    `RUNNING` (the state word gives one run at a time) or by the loop
//!    between runs, the others by the loop and its `JoinHandle`, which is
//!    `!Send`. That is why `TaskRef` may be `Send` although `F` need not
//!    be.
//! 4. **Pinning.** The future is never moved out of the cell while it is
//!    `Running`: it is polled in place, then dropped in place.
//! 5. **Freeing on another thread.** When the last reference goes away on
//!    another thread, the stage holds no `F` and no output: the loop dropped
//!    the future when the task completed (the loop's task list holds a
//!    reference until then), and the output is taken or dropped by the
//!    `JoinHandle` on the loop thread before it releases its reference. So
//!    freeing touches no `!Send` value. The one exception is a task whose
//!    submission failed: its submitter frees it, with the future that it
//!    sent itself (rule 6).
//! 6. **Allocation on another thread.** `allocate` runs on the loop thread.
//!    A task submitted from another thread is allocated there, with a
//!    future that may cross threads: `allocate_send` asks the type system
//!    (`F: Send`); `allocate_maker` takes a `Maker`, whose future is not
//!    `Send` as a type but is sent only in its first state, holding a
//!    `Send` closure that builds the real future on the loop thread. Until
//!    the loop takes it from the injection queue, only the submitter
//!    touches it, and if the queue refuses it, `Unsubmitted::submit` gives
//!    the submitter its future back.

use std::any::Any;
use std::cell::{Cell, UnsafeCell};
use std::future::Future;
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::ptr::NonNull;
use std::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};

use tether_bridge::sync::Arc;
use tether_bridge::{
    Completion, Initial, Snapshot, TaskState, TransitionToCancelled, TransitionToIdle,
    TransitionToRunning, TransitionToScheduled, TransitionToScheduledByVal, WakeFrom,
};

use super::{JoinError, Maker};
use crate::core::Shared;
use crate::id::{TaskId, TaskKind};

/// Shows a panic nobody joins to the loop's exception handler.
pub(crate) type Report<'a> = &'a dyn Fn(&(dyn Any + Send));

/// Where the output of a task submitted from another thread goes.
pub(crate) type Sink<T> = Arc<Completion<Result<T, JoinError>>>;

/// What a task's stage may hold for a waiter on another thread: a
/// [`Sink`], or for a local task [`NoSink`].
trait HandOff<T> {
    /// Hands `result` to the waiter; a panic of its waker goes to `report`.
    fn hand_off(self, result: Result<T, JoinError>, report: Report<'_>);
}

impl<T> HandOff<T> for Sink<T> {
    fn hand_off(self, result: Result<T, JoinError>, report: Report<'_>) {
        // The other thread's waiter takes it; if the cell is somehow
        // complete already, the value comes back, and is dropped here. A
        // waiter's waker that panics goes to `report` (the value is in
        // the cell by then), not through the loop.
        if let Some(Err(result)) = reporting(report, || self.complete(result)) {
            drop_quietly(result);
        }
    }
}

/// The sink of a local task, which no other thread waits for: it has no
/// values, so its stage's `Option<NoSink>` is always `None` and takes no
/// room, and the hand-off is compiled out of the task's functions.
enum NoSink {}

impl<T> HandOff<T> for NoSink {
    fn hand_off(self, _: Result<T, JoinError>, _: Report<'_>) {
        match self {}
    }
}

/// The part of a task that does not depend on its future's type.
#[repr(C)]
pub(crate) struct Header {
    /// Flags and reference count; the only field another thread writes.
    /// Private to this file: see `TaskRef::state`.
    state: TaskState,
    /// The functions that know the future's type.
    vtable: &'static Vtable,
    /// The loop the task belongs to: where a wake from another thread goes.
    pub(crate) shared: Arc<Shared>,
    /// Unique among the tasks of its loop.
    pub(crate) id: TaskId,
    /// Loop thread only: the waker of the task awaiting the `JoinHandle`.
    pub(crate) join_waker: Cell<Option<Waker>>,
    /// Loop thread only: the task's index in the loop's task list. Four
    /// bytes, next to `kind`'s one and `runs`'s two, make the header 56
    /// bytes instead of 64: with a small future, that takes the allocation
    /// from glibc's 112-byte size class down to 96. (Four billion live
    /// tasks would be 350 GB.)
    pub(crate) list_key: Cell<u32>,
    /// What the task is for, so that reports can name it properly.
    pub(crate) kind: TaskKind,
    /// Loop thread only: runs not yet added to the task list's count. The
    /// loop counts each run here, in two bytes the header had spare, and
    /// adds them to the list's count once they fill up (`TaskList`'s
    /// `count_run` says why).
    pub(crate) runs: Cell<u16>,
}

/// A task's whole allocation: the header, then the future or its output.
#[repr(C)]
struct TaskCell<F: Future, S> {
    /// First, so that a pointer to the cell is a pointer to it (rule 1).
    header: Header,
    /// The future, then its output; loop thread only (rule 3).
    stage: UnsafeCell<Stage<F, S>>,
}

/// What a task holds in the course of its life.
enum Stage<F: Future, S> {
    /// Not finished: the future, pinned in place (rule 4), and where its
    /// output goes if another thread waits for it.
    Running(F, Option<S>),
    /// Finished, with the output waiting for the `JoinHandle`.
    Finished(Result<F::Output, JoinError>),
    /// Nothing: the output was taken or dropped, or nobody wanted it.
    Consumed,
}

/// The functions of a task that know its future's type `F`.
///
/// Each takes a pointer to the header of a live `TaskCell<F, S>` (rules 1, 2)
/// and may only be called on the loop thread (rule 3), except `dealloc`.
struct Vtable {
    /// Polls the future; on completion hands the output on.
    poll: unsafe fn(NonNull<Header>, &mut Context<'_>, Report<'_>) -> Poll<()>,
    /// Drops the future of a cancelled task and hands `Cancelled` on.
    cancel: unsafe fn(NonNull<Header>, Report<'_>),
    /// Moves the output to `*out`, an `Option<Result<F::Output, JoinError>>`.
    take_output: unsafe fn(NonNull<Header>, out: *mut ()),
    /// Drops an output nobody will take; a panic in it goes to the report.
    drop_output: unsafe fn(NonNull<Header>, Report<'_>),
    /// Frees the allocation. Any thread (rule 5).
    dealloc: unsafe fn(NonNull<Header>),
}

/// An owned reference to a task; dropping the last one frees it.
///
/// The task's `Arc`, in effect: clone takes a reference, drop releases one.
pub(crate) struct TaskRef {
    /// The header of a live task cell (rule 2).
    ptr: NonNull<Header>,
}

/// A [`TaskRef`] that knows the task's output type; what `JoinHandle`s hold.
pub(crate) struct JoinRef<T> {
    task: TaskRef,
    /// The task's future has `Output = T`: `allocate` made it so.
    _output: PhantomData<fn() -> T>,
}

// SAFETY: rule 3. Through a `TaskRef`, another thread can only change the
// state word, read fields that never change, and free a cell that by rule 5
// holds nothing `!Send`. The `!Send` parts are reached only on the loop.
unsafe impl Send for TaskRef {}

/// A reference to a task that threads may share: through `&` it offers
/// only the id and a cancellation request, what rule 3 lets any thread do.
/// What a `ThreadFuture` holds, so that it can be `Sync`.
pub(crate) struct SharedTaskRef(TaskRef);

// SAFETY: rule 3. `&SharedTaskRef` reaches the task only through `id`,
// which reads a field that never changes, and `cancel`, which changes the
// state word (atomic) and queues the task as a wake from another thread
// does; neither touches the loop-only fields (`stage`, `join_waker`,
// `list_key`, `runs`), so sharing it between threads is as safe as sending
// it.
unsafe impl Sync for SharedTaskRef {}

impl SharedTaskRef {
    pub(crate) fn new(task: TaskRef) -> Self {
        Self(task)
    }

    pub(crate) fn id(&self) -> TaskId {
        self.0.id()
    }

    /// Requests cancellation; see [`super::cancel`].
    pub(crate) fn cancel(&self) -> bool {
        super::cancel(&self.0)
    }
}

// ===== allocation =====

/// Allocates a task running `future`, on the loop thread, returning the
/// one reference `initial` must count (`initial.refs == 1`).
pub(crate) fn allocate<F: Future + 'static>(
    future: F,
    shared: Arc<Shared>,
    id: TaskId,
    kind: TaskKind,
    initial: Initial,
) -> JoinRef<F::Output> {
    allocate_cell::<F, NoSink>(future, None, shared, id, kind, initial)
}

/// Allocates, on any thread, a task whose output goes to `sink`; the future
/// crosses to the loop thread (rule 6).
pub(crate) fn allocate_send<F>(
    future: F,
    sink: Option<Sink<F::Output>>,
    shared: Arc<Shared>,
    id: TaskId,
    kind: TaskKind,
) -> Unsubmitted<F>
where
    F: Future + Send + 'static,
    F::Output: Send,
{
    Unsubmitted::new(allocate_cell(future, sink, shared, id, kind, SUBMITTED))
}

/// Allocates, on any thread, the task of a `spawn_with`: its future builds
/// the real, non-`Send`, future on its first poll (rule 6).
pub(crate) fn allocate_maker<M, F>(
    maker: Maker<M, F>,
    sink: Sink<F::Output>,
    shared: Arc<Shared>,
    id: TaskId,
) -> Unsubmitted<Maker<M, F>>
where
    M: FnOnce() -> F + Send + 'static,
    F: Future + 'static,
    F::Output: Send,
{
    // Rule 6's promise for a `Maker`: it is built only unpolled, holding
    // `make` (`Send`) and nothing else, and builds `F` on its first poll,
    // which is on the loop thread. The output is `Send` (bound above).
    let sink = Some(sink);
    Unsubmitted::new(allocate_cell(
        maker,
        sink,
        shared,
        id,
        TaskKind::Task,
        SUBMITTED,
    ))
}

/// The state of a task submitted from another thread: queued (by its
/// submitter), no `JoinHandle`, and the one reference `Unsubmitted` holds.
const SUBMITTED: Initial = Initial {
    refs: 1,
    scheduled: true,
    join_interest: false,
};

/// A task allocated on another thread and not yet handed to its loop: the
/// only reference to it, and the type of its future.
pub(crate) struct Unsubmitted<F: Future> {
    /// The only reference.
    task: TaskRef,
    /// The future's type, for `reclaim`.
    _future: PhantomData<fn() -> F>,
}

impl<F: Future> Unsubmitted<F> {
    fn new(join: JoinRef<F::Output>) -> Self {
        Self {
            task: join.into_task(),
            _future: PhantomData,
        }
    }

    /// Hands the task to `push`, which queues it or hands it back. On
    /// success returns a reference for the submitter (taken before the push:
    /// once queued, the task may run and finish at once); on refusal,
    /// returns the future itself.
    pub(crate) fn submit(
        self,
        push: impl FnOnce(TaskRef) -> Result<(), TaskRef>,
    ) -> Result<TaskRef, F> {
        let kept = self.task.clone();
        match push(self.task) {
            Ok(()) => Ok(kept),
            Err(task) => {
                assert!(task.ptr == kept.ptr, "push handed back another task");
                drop(kept);
                // SAFETY: rule 6: made by `allocate_*` with a future of type
                // `F`; refused by the queue, so never queued nor polled; and
                // with `kept` gone, `task` is the only reference.
                Err(unsafe { reclaim::<F>(task) })
            }
        }
    }
}

fn allocate_cell<F: Future + 'static, S: HandOff<F::Output>>(
    future: F,
    sink: Option<S>,
    shared: Arc<Shared>,
    id: TaskId,
    kind: TaskKind,
    initial: Initial,
) -> JoinRef<F::Output> {
    debug_assert_eq!(initial.refs, 1, "allocate returns exactly one reference");
    let cell = Box::new(TaskCell {
        header: Header {
            state: TaskState::new(initial),
            vtable: &Vtable {
                poll: TaskCell::<F, S>::poll,
                cancel: TaskCell::<F, S>::cancel,
                take_output: TaskCell::<F, S>::take_output,
                drop_output: TaskCell::<F, S>::drop_output,
                dealloc: TaskCell::<F, S>::dealloc,
            },
            shared,
            id,
            join_waker: Cell::new(None),
            list_key: Cell::new(u32::MAX),
            kind,
            runs: Cell::new(0),
        },
        stage: UnsafeCell::new(Stage::Running(future, sink)),
    });
    let ptr = NonNull::from(Box::leak(cell)).cast::<Header>();
    JoinRef {
        task: TaskRef { ptr },
        _output: PhantomData,
    }
}

/// Takes the future back out of a task whose submission failed, and frees
/// the task.
///
/// # Safety
///
/// `task` was allocated on another thread (so with a [`Sink`]) with a
/// future of type `F`, was never queued nor polled, and is its only
/// reference (rule 6).
unsafe fn reclaim<F: Future>(task: TaskRef) -> F {
    // SAFETY: the caller's promise: the cell is a `TaskCell<F, Sink<_>>`,
    // and this thread is the only one that ever had access to it.
    let cell = unsafe { TaskCell::<F, Sink<F::Output>>::from_header(task.ptr) };
    // SAFETY: as above; nobody else can borrow the stage.
    let stage = unsafe { cell.stage() };
    let Stage::Running(future, _sink) = std::mem::replace(stage, Stage::Consumed) else {
        unreachable!("reclaimed a task that ran");
    };
    // The only reference: dropping it frees the cell, now empty.
    drop(task);
    future
}

// ===== impl TaskCell =====

impl<F: Future, S: HandOff<F::Output>> TaskCell<F, S> {
    /// The cell behind `ptr`.
    ///
    /// # Safety
    ///
    /// `ptr` is the header of a live `TaskCell<F, S>` (rules 1 and 2).
    unsafe fn from_header<'a>(ptr: NonNull<Header>) -> &'a Self {
        // SAFETY: the caller's promise; rule 1 makes the cast exact.
        unsafe { ptr.cast::<Self>().as_ref() }
    }

    /// The stage, for the loop thread.
    ///
    /// # Safety
    ///
    /// Loop thread, and no other borrow of the stage is alive (rule 3).
    #[expect(
        clippy::mut_from_ref,
        reason = "the UnsafeCell is the point; rule 3 is the guard"
    )]
    unsafe fn stage(&self) -> &mut Stage<F, S> {
        // SAFETY: the caller's promise (rule 3).
        unsafe { &mut *self.stage.get() }
    }

    /// # Safety
    ///
    /// As for every `Vtable` function: `ptr` is a live `TaskCell<F, S>`, on
    /// the loop thread, and the task is `RUNNING`.
    unsafe fn poll(ptr: NonNull<Header>, cx: &mut Context<'_>, report: Report<'_>) -> Poll<()> {
        // SAFETY: the caller's promise.
        let cell = unsafe { Self::from_header(ptr) };
        // SAFETY: loop thread and RUNNING: this run is the only borrower.
        let stage = unsafe { cell.stage() };
        let Stage::Running(future, _) = stage else {
            unreachable!("polled a task whose future is gone");
        };
        // SAFETY: rule 4; the future stays in the cell until dropped there.
        let future = unsafe { Pin::new_unchecked(future) };
        let result = match catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(output)) => Ok(output),
            Err(panic) => Err(JoinError::Panicked(panic)),
        };
        cell.finish(stage, result, report);
        Poll::Ready(())
    }

    /// # Safety
    ///
    /// As for `poll`.
    unsafe fn cancel(ptr: NonNull<Header>, report: Report<'_>) {
        // SAFETY: the caller's promise.
        let cell = unsafe { Self::from_header(ptr) };
        // SAFETY: loop thread and RUNNING: this run is the only borrower.
        let stage = unsafe { cell.stage() };
        cell.finish(stage, Err(JoinError::Cancelled), report);
    }

    /// Drops the future, then hands `result` on: to the sink, to the stage
    /// for the `JoinHandle`, or to nobody. A panic nobody joins, and one
    /// from a destructor, go to `report`.
    fn finish(
        &self,
        stage: &mut Stage<F, S>,
        result: Result<F::Output, JoinError>,
        report: Report<'_>,
    ) {
        let Stage::Running(_, sink) = stage else {
            unreachable!("finished a task twice");
        };
        let sink = sink.take();
        // MUTANT: hand the result to another thread's waiter before the
        // future is dropped: the waiter hears that the task finished, or was
        // cancelled, while its destructor still runs.
        #[cfg(tether_mutant = "finish_publish_before_drop")]
        if let Some(sink) = sink {
            sink.hand_off(result, report);
            *stage = Stage::Consumed;
            return;
        }
        // The future's destructor runs before anyone can see the output, as
        // it would in a plain `async fn` that returns.
        reporting(report, || *stage = Stage::Consumed);
        if let (Err(JoinError::Panicked(panic)), false) = (&result, self.joined()) {
            report(&**panic);
        }
        if let Some(sink) = sink {
            sink.hand_off(result, report);
        } else if self.joined() {
            *stage = Stage::Finished(result);
        } else {
            drop_quietly(result);
        }
    }

    /// Whether a `JoinHandle` wants the output. Only the loop thread changes
    /// join interest (rule 3), so this holds until the output is stored.
    fn joined(&self) -> bool {
        self.header.state.load().has_join_interest()
    }

    /// # Safety
    ///
    /// As for `poll`, except that the task is complete rather than
    /// running; and `out` points to an `Option<Result<F::Output, JoinError>>`.
    unsafe fn take_output(ptr: NonNull<Header>, out: *mut ()) {
        // SAFETY: the caller's promise.
        let cell = unsafe { Self::from_header(ptr) };
        // SAFETY: loop thread, between runs: no other borrow of the stage.
        let stage = unsafe { cell.stage() };
        if let Stage::Finished(result) = std::mem::replace(stage, Stage::Consumed) {
            let out = out.cast::<Option<Result<F::Output, JoinError>>>();
            // SAFETY: the caller's promise on `out`'s type; it is a valid,
            // initialized place, so assigning drops the old `None`.
            unsafe { *out = Some(result) };
        }
    }

    /// # Safety
    ///
    /// As for `take_output`.
    unsafe fn drop_output(ptr: NonNull<Header>, report: Report<'_>) {
        // SAFETY: the caller's promise.
        let cell = unsafe { Self::from_header(ptr) };
        // SAFETY: loop thread, between runs: no other borrow of the stage.
        let stage = unsafe { cell.stage() };
        // A panic the `JoinHandle` never read: nobody else will see it.
        if let Stage::Finished(Err(JoinError::Panicked(panic))) = stage {
            report(&**panic);
        }
        reporting(report, || *stage = Stage::Consumed);
    }

    /// # Safety
    ///
    /// `ptr` is a `TaskCell<F, S>` whose last reference was just released.
    unsafe fn dealloc(ptr: NonNull<Header>) {
        // SAFETY: rule 1: it came from `Box::leak` in `allocate_cell`, and the
        // last reference is gone, so nobody else can reach it. By rule 5
        // the stage holds nothing `!Send`, whichever thread this is.
        drop(unsafe { Box::from_raw(ptr.cast::<Self>().as_ptr()) });
    }
}

// ===== impl TaskRef =====

impl TaskRef {
    pub(crate) fn header(&self) -> &Header {
        // SAFETY: rule 2: this reference keeps the cell alive.
        unsafe { self.ptr.as_ref() }
    }

    pub(crate) fn id(&self) -> TaskId {
        self.header().id
    }

    /// The state word, for reading: what the task is doing, and whether a
    /// `JoinHandle` wants its output.
    #[inline]
    pub(crate) fn snapshot(&self) -> Snapshot {
        self.state().load()
    }

    /// The state word itself. Private: its transitions that add or release
    /// a reference are wrapped below, so that the count and the `TaskRef`s
    /// in existence never disagree (rule 2).
    fn state(&self) -> &TaskState {
        &self.header().state
    }
    /// Polls the future. Loop thread, task `RUNNING`; see `Vtable::poll`.
    pub(crate) fn poll(&self, cx: &mut Context<'_>, report: Report<'_>) -> Poll<()> {
        debug_assert!(self.snapshot().is_running());
        // SAFETY: rule 2 (we hold a reference), and the caller runs the task
        // on its loop thread (rule 3) while it is `RUNNING`, which the debug
        // assertion checks.
        unsafe { (self.header().vtable.poll)(self.ptr, cx, report) }
    }

    /// Drops the future of a cancelled task. Loop thread, task `RUNNING`.
    pub(crate) fn cancel(&self, report: Report<'_>) {
        debug_assert!(self.snapshot().is_running());
        // SAFETY: as in `poll`.
        unsafe { (self.header().vtable.cancel)(self.ptr, report) }
    }

    /// A waker for this task that does not own a reference: valid while
    /// `self` is, and for `poll` only (cloning it takes a real reference).
    pub(crate) fn borrowed_waker(&self) -> ManuallyDrop<Waker> {
        // SAFETY: the vtable's contract is upheld by its functions below;
        // this waker owns no reference, and `ManuallyDrop` keeps it from
        // releasing one, so it is sound for as long as `self` lives.
        ManuallyDrop::new(unsafe { Waker::from_raw(raw_waker(self.ptr)) })
    }

    /// Turns this reference into a waker that owns it.
    pub(crate) fn into_waker(self) -> Waker {
        let ptr = ManuallyDrop::new(self).ptr;
        // SAFETY: the waker takes over this reference (rule 2); its `drop`
        // releases it.
        unsafe { Waker::from_raw(raw_waker(ptr)) }
    }

    // ----- transitions that add or release a reference -----
    //
    // Each returns the queue entry, a `TaskRef` that owns the reference the
    // state word counted for the queue, or `None` when there is nothing to
    // queue. These are the only places outside `clone` and `drop` where the
    // count and the `TaskRef`s change together.

    /// A wake that keeps the waker: queues the task if it is idle, or if
    /// it is running and the wake comes from another thread; a running
    /// task the run itself woke is marked woken, and the loop queues it
    /// again when the run ends (`WakeFrom`). On `Some`, the caller queues
    /// the entry; the transition counted its reference.
    #[inline]
    pub(crate) fn transition_to_scheduled_by_ref(
        &self,
        from: impl Fn(&TaskRef) -> WakeFrom,
    ) -> Option<TaskRef> {
        match self.state().transition_to_scheduled_by_ref(|| from(self)) {
            TransitionToScheduled::Submit => Some(TaskRef { ptr: self.ptr }),
            TransitionToScheduled::DoNothing => None,
        }
    }

    /// A wake that consumes the waker's reference: it becomes the queue
    /// entry, or is released.
    #[inline]
    pub(crate) fn transition_to_scheduled_by_val(
        self,
        from: impl Fn(&TaskRef) -> WakeFrom,
    ) -> Option<TaskRef> {
        match self.state().transition_to_scheduled_by_val(|| from(&self)) {
            TransitionToScheduledByVal::Submit => Some(self),
            TransitionToScheduledByVal::DoNothing => {
                self.forget_released();
                None
            }
            TransitionToScheduledByVal::Dealloc => {
                self.dealloc_released();
                None
            }
        }
    }

    /// After a `Pending` poll: the run's reference becomes the queue entry
    /// again if the run woke the task (or a cancel on the loop asked for a
    /// run), and is released otherwise: the task is idle, or queued already
    /// by another thread's wake or cancel (`QUEUED`).
    #[inline]
    pub(crate) fn transition_to_idle(self) -> Option<TaskRef> {
        match self.state().transition_to_idle() {
            TransitionToIdle::Resubmit => Some(self),
            TransitionToIdle::Idle => {
                self.forget_released();
                None
            }
            TransitionToIdle::Dealloc => {
                self.dealloc_released();
                None
            }
        }
    }

    /// Requests cancellation; see [`CancelRequest`]. `from` as for
    /// [`transition_to_scheduled_by_ref`](Self::transition_to_scheduled_by_ref).
    #[inline]
    pub(crate) fn transition_to_cancelled(
        &self,
        from: impl Fn(&TaskRef) -> WakeFrom,
    ) -> CancelRequest {
        match self.state().transition_to_cancelled(|| from(self)) {
            TransitionToCancelled::Submit => CancelRequest::Submit(TaskRef { ptr: self.ptr }),
            TransitionToCancelled::Requested => CancelRequest::Requested,
            TransitionToCancelled::TooLate => CancelRequest::TooLate,
        }
    }

    /// Forgets a reference that a transition already subtracted from the
    /// count.
    fn forget_released(self) {
        std::mem::forget(self);
    }

    /// Frees the task, whose count a transition already brought to zero.
    fn dealloc_released(self) {
        let this = ManuallyDrop::new(self);
        // SAFETY: the count is zero, so this is the last reference (rule 1).
        unsafe { (this.header().vtable.dealloc)(this.ptr) }
    }

    // ----- transitions that leave the count alone -----

    /// Claims the run: poll the future, or drop it if cancelled. Loop
    /// thread, and the caller owns the queue entry's reference.
    #[inline]
    pub(crate) fn transition_to_running(&self) -> TransitionToRunning {
        self.state().transition_to_running()
    }

    /// Claims a run for shutdown; false if the task already completed.
    pub(crate) fn transition_to_running_for_shutdown(&self) -> bool {
        self.state().transition_to_running_for_shutdown()
    }

    /// Marks the task complete, after its future was dropped.
    #[inline]
    pub(crate) fn transition_to_complete(&self) {
        let _ = self.state().transition_to_complete();
    }

    /// The `JoinHandle` is gone: nobody will take the output. Returns the
    /// state before.
    #[inline]
    pub(crate) fn unset_join_interest(&self) -> Snapshot {
        self.state().unset_join_interest()
    }
}

/// What a cancellation request asks of its caller.
#[must_use]
pub(crate) enum CancelRequest {
    /// The task was idle, or running and cancelled from another thread:
    /// queue this entry, so that the loop runs it and drops its future
    /// (unless the run under way completes it first).
    Submit(TaskRef),
    /// Requested; the task is queued or running, and its next run drops the
    /// future.
    Requested,
    /// The task already completed, or was cancelled before.
    TooLate,
}

impl Clone for TaskRef {
    fn clone(&self) -> Self {
        self.state().ref_inc();
        Self { ptr: self.ptr }
    }
}

impl Drop for TaskRef {
    fn drop(&mut self) {
        if self.state().ref_dec() {
            // SAFETY: that was the last reference (rule 1).
            unsafe { (self.header().vtable.dealloc)(self.ptr) }
        }
    }
}

impl std::fmt::Debug for TaskRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TaskRef")
            .field("id", &self.id())
            .field("state", &self.snapshot())
            .finish()
    }
}

// ===== impl JoinRef =====

impl<T> JoinRef<T> {
    pub(crate) fn task(&self) -> &TaskRef {
        &self.task
    }

    /// Forgets the output type.
    pub(crate) fn into_task(self) -> TaskRef {
        self.task
    }

    /// Takes the output of a complete task, once. Loop thread.
    pub(crate) fn take_output(&self) -> Option<Result<T, JoinError>> {
        debug_assert!(self.task.snapshot().is_complete());
        let mut out: Option<Result<T, JoinError>> = None;
        // SAFETY: `allocate` made this `JoinRef<F::Output>` for a future `F`
        // with `Output = T`, so `out` has the type `take_output` expects;
        // loop thread (a `JoinHandle` is `!Send`), task complete (rule 3).
        unsafe {
            (self.task.header().vtable.take_output)(self.task.ptr, (&raw mut out).cast());
        }
        out
    }

    /// Drops an output nobody will take. Loop thread, task complete.
    pub(crate) fn drop_output(&self, report: Report<'_>) {
        // SAFETY: as in `take_output`.
        unsafe { (self.task.header().vtable.drop_output)(self.task.ptr, report) }
    }
}

/// Drops `value`, whose destructor may panic, without unwinding: a
/// destructor's panic is the dropped value's own business.
fn drop_quietly<T>(value: T) {
    let _ = catch_unwind(AssertUnwindSafe(|| drop(value)));
}

/// Runs `f`, code the loop does not own (a destructor, another thread's
/// waker): a panic in it goes to `report`, its payload is dropped quietly,
/// and the answer is `None`.
pub(crate) fn reporting<R>(report: Report<'_>, f: impl FnOnce() -> R) -> Option<R> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(value) => Some(value),
        Err(panic) => {
            report(&*panic);
            drop_quietly(panic);
            None
        }
    }
}

// ===== the waker =====

/// Whether `waker` is a task's (tether's own), whose wake runs no code but
/// tether's.
pub(super) fn is_task_waker(waker: &Waker) -> bool {
    std::ptr::eq(waker.vtable(), &WAKER_VTABLE)
}

/// One vtable for every task's waker: none of it depends on the future.
static WAKER_VTABLE: RawWakerVTable =
    RawWakerVTable::new(waker_clone, waker_wake, waker_wake_by_ref, waker_drop);

fn raw_waker(ptr: NonNull<Header>) -> RawWaker {
    RawWaker::new(ptr.as_ptr().cast_const().cast(), &WAKER_VTABLE)
}

/// Rebuilds the `TaskRef` a waker owns.
///
/// # Safety
///
/// `data` comes from `raw_waker` of a waker that owns a reference, which
/// the returned `TaskRef` now owns instead.
unsafe fn task_from_waker(data: *const ()) -> TaskRef {
    // SAFETY: the caller's promise: `data` is a non-null header pointer.
    let ptr = unsafe { NonNull::new_unchecked(data.cast_mut().cast::<Header>()) };
    TaskRef { ptr }
}

/// Borrows the `TaskRef` behind a waker without taking its reference.
///
/// # Safety
///
/// As for `task_from_waker`, but the waker keeps its reference.
unsafe fn borrow_from_waker(data: *const ()) -> ManuallyDrop<TaskRef> {
    // SAFETY: the caller's promise; `ManuallyDrop` leaves the count alone.
    ManuallyDrop::new(unsafe { task_from_waker(data) })
}

unsafe fn waker_clone(data: *const ()) -> RawWaker {
    // SAFETY: `data` is the pointer of a live waker (std's contract).
    let task = unsafe { borrow_from_waker(data) };
    std::mem::forget(TaskRef::clone(&task));
    raw_waker(task.ptr)
}

unsafe fn waker_wake(data: *const ()) {
    // SAFETY: `wake` consumes the waker, and with it its reference.
    let task = unsafe { task_from_waker(data) };
    super::wake_by_val(task);
}

unsafe fn waker_wake_by_ref(data: *const ()) {
    // SAFETY: the waker stays alive for the whole call.
    let task = unsafe { borrow_from_waker(data) };
    super::wake_by_ref(&task);
}

unsafe fn waker_drop(data: *const ()) {
    // SAFETY: `drop` consumes the waker and its reference.
    drop(unsafe { task_from_waker(data) });
}

#[cfg(test)]
mod tests {
    /// The header's size decides the size class of every task's allocation
    /// (see `Header::list_key`).
    #[test]
    #[cfg(target_pointer_width = "64")]
    fn the_header_is_seven_words() {
        assert_eq!(size_of::<super::Header>(), 56);
    }
}
