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
use std::task::Context;

use tether_bridge::TransitionToRunning;

pub use join::{JoinError, JoinHandle};
pub(crate) use maker::Maker;
pub(crate) use raw::{JoinRef, TaskRef, Unsubmitted, allocate, allocate_maker, allocate_send};

use crate::core::{self, Core, Injected};
use raw::CancelRequest;

// ===== wakes =====

/// A wake that keeps the waker (`Waker::wake_by_ref`). Any thread.
pub(crate) fn wake_by_ref(task: &TaskRef) {
    if let Some(entry) = task.transition_to_scheduled_by_ref() {
        schedule(entry);
    }
}

/// A wake that consumes the waker (`Waker::wake`). Any thread.
pub(crate) fn wake_by_val(task: TaskRef) {
    if let Some(entry) = task.transition_to_scheduled_by_val() {
        schedule(entry);
    }
}

/// Queues a task that a transition just scheduled; `task` is the queue
/// entry's reference.
fn schedule(task: TaskRef) {
    // On the task's own loop, inside the loop: the ready queue, no atomics
    // beyond the state word's.
    let Err(task) = core::push_ready_if_local(task) else {
        return;
    };
    // Anywhere else, including the loop's own thread outside `block_on`: the
    // injection queue. Hold the loop's shared state for the whole push: the
    // task itself may be the last thing keeping it alive, and once pushed
    // it can be run and dropped by the loop before `push` returns.
    let shared = task.header().shared.clone();
    // A closed queue means the loop shut down and the task is complete: the
    // entry is handed back and dropped, releasing its reference.
    let _ = shared.push(Injected::Task(task));
}

/// Requests cancellation: the loop drops the future at the task's next run.
/// Returns false if the task already finished or was cancelled. Any thread.
pub(crate) fn cancel(task: &TaskRef) -> bool {
    match task.transition_to_cancelled() {
        CancelRequest::Submit(entry) => {
            schedule(entry);
            true
        }
        CancelRequest::Requested => true,
        CancelRequest::TooLate => false,
    }
}

// ===== runs =====

impl TaskRef {
    /// Runs the task once: polls it, or drops its future if it was
    /// cancelled. Loop thread; `self` is the queue entry's reference.
    pub(crate) fn run(self, core: &Core) {
        let (id, kind) = (self.id(), self.header().kind);
        let report = |payload: &(dyn Any + Send)| core.report_panic(Some(id), kind, payload);
        match self.transition_to_running() {
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
        if let Some(entry) = self.transition_to_idle() {
            core.schedule(entry);
        }
    }

    /// The future is gone: mark the task complete, wake the `JoinHandle`'s
    /// owner.
    fn complete(&self) {
        self.transition_to_complete();
        if let Some(waker) = self.header().join_waker.take() {
            waker.wake();
        }
    }

    /// Drops the future of a task that will never run again, because its
    /// runtime is shutting down. Loop thread, outside any run; `self` is the
    /// task list's reference, already taken out of the list.
    pub(crate) fn shut_down(self, core: &Core) {
        if self.transition_to_running_for_shutdown() {
            let (id, kind) = (self.id(), self.header().kind);
            self.cancel(&|payload| core.report_panic(Some(id), kind, payload));
            self.complete();
        }
    }
}
