//! Tasks: what a spawned future becomes, and how the loop runs one.
//!
//! A task is a future plus the state that lets any thread wake it while only
//! the loop thread runs it. [`raw`] holds the allocation (the only `unsafe`
//! code of the executor), [`join`] the [`JoinHandle`], and this module the
//! three things that happen to a task:
//!
//! - **a wake** ([`wake_by_ref`], [`wake_by_val`]): the state word says
//!   whether this wake must queue the task; if so it goes straight into the
//!   ready queue when the wake happens on its loop thread inside the loop,
//!   and through the loop's injection queue otherwise;
//! - **a run** ([`TaskRef::run`]): the loop polls the future once (or drops
//!   it, if the task was cancelled), then the task goes idle, goes back into
//!   the ready queue because it was woken meanwhile, or completes;
//! - **a shutdown** ([`TaskRef::shut_down`]): the runtime is dropped, and
//!   the loop drops the future of a task that will never run again.
//!
//! The state word and its rules are `tether_bridge::task_state`'s.

mod join;
mod maker;
mod raw;

use std::any::Any;
use std::fmt;
use std::task::Context;

use tether_bridge::{
    TransitionToCancelled, TransitionToIdle, TransitionToRunning, TransitionToScheduled,
    TransitionToScheduledByVal,
};

pub(crate) use join::panic_message;
pub use join::{JoinError, JoinHandle};
pub(crate) use maker::Maker;
pub(crate) use raw::{JoinRef, TaskRef, Unsubmitted, allocate, allocate_maker, allocate_send};

use crate::context;
use crate::core::Core;
use crate::shared::Injected;

/// Identifies a task among the tasks of its loop.
///
/// Ids are handed out in spawn order, starting at 1, and never reused by
/// the same runtime; tasks of different runtimes may share an id. (Id 0 is
/// the loop's own stand-in for the future of `block_on`.)
///
/// [`JoinHandle::id`], [`CallbackHandle::id`](crate::CallbackHandle::id)
/// and [`ThreadFuture::task_id`](crate::ThreadFuture::task_id) give it;
/// dumps, reports and panic messages name tasks by it.
///
/// # Examples
///
/// ```
/// use tether::task::TaskId;
///
/// tether::run(async {
///     let first: TaskId = tether::spawn(async {}).id();
///     let second = tether::call_soon(|| ()).id();
///     assert!(first < second);
///     assert_eq!(first.to_string(), "1");
/// });
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskId(pub(crate) u64);

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// What a task was created for, so that reports can name it.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use tether::task::TaskKind;
///
/// tether::run(async {
///     let task = tether::spawn(std::future::pending::<()>());
///     let callback = tether::call_later(Duration::from_secs(60), || ());
///     let dump = tether::Handle::current().dump().unwrap();
///     let kind = |id| dump.tasks.iter().find(|task| task.id == id).unwrap().kind;
///     assert_eq!(kind(task.id()), TaskKind::Task);
///     assert_eq!(kind(callback.id()), TaskKind::Callback);
///     assert!(dump.tasks.iter().any(|task| task.kind == TaskKind::BlockOn));
///     assert_eq!(TaskKind::BlockOn.to_string(), "block_on");
/// });
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TaskKind {
    /// A future from `spawn`.
    Task,
    /// A closure from `call_soon`, `call_later` or `call_at`.
    Callback,
    /// The stand-in task of a `block_on`: each of its runs polls the future
    /// `block_on` was given, which is not a task of its own.
    BlockOn,
}

impl fmt::Display for TaskKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TaskKind::Task => "task",
            TaskKind::Callback => "callback",
            TaskKind::BlockOn => "block_on",
        })
    }
}

// ===== wakes =====

/// A wake that keeps the waker (`Waker::wake_by_ref`). Any thread.
pub(crate) fn wake_by_ref(task: &TaskRef) {
    match task.state().transition_to_scheduled_by_ref() {
        TransitionToScheduled::Submit => schedule(task.claim_added_ref()),
        TransitionToScheduled::DoNothing => {}
    }
}

/// A wake that consumes the waker (`Waker::wake`). Any thread.
pub(crate) fn wake_by_val(task: TaskRef) {
    match task.state().transition_to_scheduled_by_val() {
        TransitionToScheduledByVal::Submit => schedule(task),
        TransitionToScheduledByVal::DoNothing => task.forget_released(),
        TransitionToScheduledByVal::Dealloc => task.dealloc_released(),
    }
}

/// Queues a task that a transition just scheduled; `task` is the queue
/// entry's reference.
pub(crate) fn schedule(task: TaskRef) {
    // On the task's own loop, inside the loop: the ready queue, no atomics
    // beyond the state word's.
    let Err(task) = context::push_ready_if_local(task) else {
        return;
    };
    // Anywhere else, including the loop's own thread outside `block_on`: the
    // injection queue. Hold the loop's shared state for the whole push: the
    // task itself may be the last thing keeping it alive, and once pushed
    // it can be run and dropped by the loop before `push` returns.
    let shared = task.header().shared.clone();
    // A closed queue means the loop shut down and the task is complete: the
    // entry is handed back and dropped, releasing its reference.
    let _ = shared.inject.push(Injected::Task(task));
}

/// Requests cancellation: the loop drops the future at the task's next run.
/// Returns false if the task already finished or was cancelled. Any thread.
pub(crate) fn cancel(task: &TaskRef) -> bool {
    match task.state().transition_to_cancelled() {
        TransitionToCancelled::Submit => {
            schedule(task.claim_added_ref());
            true
        }
        TransitionToCancelled::Requested => true,
        TransitionToCancelled::TooLate => false,
    }
}

// ===== runs =====

impl TaskRef {
    /// Runs the task once: polls it, or drops its future if it was
    /// cancelled. Loop thread; `self` is the queue entry's reference.
    pub(crate) fn run(self, core: &Core) {
        let (id, kind) = (self.id(), self.header().kind);
        let report = |payload: &(dyn Any + Send)| core.report_panic(Some(id), kind, payload);
        match self.state().transition_to_running() {
            TransitionToRunning::Poll => {
                // The run owns a reference, so a borrowed waker is enough;
                // a future that keeps the waker clones it, taking its own.
                let waker = self.borrowed_waker();
                if self
                    .poll(&mut Context::from_waker(&waker), &report)
                    .is_pending()
                {
                    return self.go_idle(core);
                }
            }
            TransitionToRunning::Cancel => self.cancel(&report),
        }
        self.complete();
        core.unlist(&self);
    }

    /// After a `Pending` poll: back into the ready queue if woken meanwhile.
    fn go_idle(self, core: &Core) {
        match self.state().transition_to_idle() {
            TransitionToIdle::Resubmit => core.ready.push(self),
            TransitionToIdle::Idle => self.forget_released(),
            TransitionToIdle::Dealloc => self.dealloc_released(),
        }
    }

    /// The future is gone: mark the task complete, wake the `JoinHandle`'s
    /// owner.
    fn complete(&self) {
        let _ = self.state().transition_to_complete();
        if let Some(waker) = self.header().join_waker.take() {
            waker.wake();
        }
    }

    /// Drops the future of a task that will never run again, because its
    /// runtime is shutting down. Loop thread, outside any run; `self` is the
    /// task list's reference, already taken out of the list.
    pub(crate) fn shut_down(self, core: &Core) {
        if self.state().transition_to_running_for_shutdown() {
            let (id, kind) = (self.id(), self.header().kind);
            self.cancel(&|payload| core.report_panic(Some(id), kind, payload));
            self.complete();
        }
    }
}
