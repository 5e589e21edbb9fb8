//! The loop's own state: what only the loop thread touches.
//!
//! [`Core`] is what a [`Runtime`](crate::Runtime) owns: the ready queue, the
//! list of live tasks, the reactor, the exception handler, and the `Arc` to
//! the [`Shared`] state other threads reach. It is made current on the loop
//! thread while the loop runs (`crate::context`). Its iteration lives in
//! `run_loop`; this file holds the rest of its life: spawning, reporting
//! panics, and shutting down.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;
use std::sync::Arc;

use slab::Slab;
use tether_bridge::Initial;
use tether_reactor::Reactor;

use crate::exception::{Exception, ExceptionHandler};
use crate::ready_queue::ReadyQueue;
use crate::shared::Shared;
use crate::task::{self, JoinRef, Panic, TaskId, TaskKind, TaskRef};

/// One loop's thread-local state.
pub(crate) struct Core {
    /// What other threads share with this loop; every task points to it.
    pub(crate) shared: Arc<Shared>,
    /// The reactor: I/O readiness and timers.
    pub(crate) reactor: Rc<Reactor>,
    /// Tasks to run in the next run step, oldest first.
    pub(crate) ready: ReadyQueue,
    /// Every task that has not completed, each with a reference, so that
    /// shutdown can find and drop them all. A task's index is in its header.
    tasks: RefCell<Slab<TaskRef>>,
    /// The id of the next spawned task.
    next_id: Cell<u64>,
    /// Sees the panics nobody joins.
    on_exception: ExceptionHandler,
    /// Tasks run since the reactor was last polled (see `run_loop`).
    pub(crate) runs_since_poll: Cell<usize>,
    /// `Handle::stop` arrived: `run_forever` returns after this iteration.
    pub(crate) stop_requested: Cell<bool>,
    /// The stand-in task of `block_on` ran: poll the `block_on` future.
    pub(crate) main_woken: Cell<bool>,
}

impl Core {
    pub(crate) fn new(reactor: Rc<Reactor>, on_exception: ExceptionHandler) -> Self {
        Self {
            shared: Arc::new(Shared::new(reactor.wakeup())),
            reactor,
            ready: ReadyQueue::default(),
            tasks: RefCell::new(Slab::new()),
            next_id: Cell::new(1),
            on_exception,
            runs_since_poll: Cell::new(0),
            stop_requested: Cell::new(false),
            main_woken: Cell::new(false),
        }
    }

    /// Creates a task for `future` and queues it. Its references: the one
    /// returned, the task list's, and the ready queue's.
    pub(crate) fn spawn<F: Future + 'static>(
        &self,
        future: F,
        kind: TaskKind,
    ) -> JoinRef<F::Output> {
        // The `block_on` stand-in is not the user's task: it is task 0, and
        // user tasks are numbered 1, 2, 3... in spawn order.
        let id = if kind == TaskKind::BlockOn {
            TaskId(0)
        } else {
            let id = TaskId(self.next_id.get());
            self.next_id.set(id.0 + 1);
            id
        };
        let join = task::allocate(
            future,
            self.shared.clone(),
            id,
            kind,
            Initial {
                refs: 1,
                scheduled: true,
                join_interest: kind == TaskKind::Task,
            },
        );
        self.list(join.task().clone());
        self.ready.push(join.task().clone());
        join
    }

    /// Adds a task to the list of live tasks.
    fn list(&self, task: TaskRef) {
        let mut tasks = self.tasks.borrow_mut();
        let entry = tasks.vacant_entry();
        task.header().list_key.set(entry.key());
        entry.insert(task);
    }

    /// Removes a completed task from the list, releasing the list's reference.
    pub(crate) fn unlist(&self, task: &TaskRef) {
        let listed = self.tasks.borrow_mut().remove(task.header().list_key.get());
        debug_assert_eq!(listed.id(), task.id());
        // Released after the borrow: the caller's reference keeps the task
        // alive, but a destructor must never find the list borrowed.
        drop(listed);
    }

    /// Hands a panic nobody joins to the exception handler.
    pub(crate) fn report_panic(&self, id: TaskId, kind: TaskKind, panic: Panic) {
        let exception = Exception::new(id, kind, panic.as_ref());
        // A handler that panics must not take the loop down with it.
        if let Err(handler_panic) =
            catch_unwind(AssertUnwindSafe(|| (self.on_exception)(&exception)))
        {
            let message =
                task::panic_message(handler_panic.as_ref()).unwrap_or("non-string payload");
            eprintln!(
                "tether: the exception handler panicked ({message}) while handling: {exception}"
            );
        }
        // Dropping a payload runs arbitrary code too.
        let _ = catch_unwind(AssertUnwindSafe(|| drop(panic)));
    }

    /// The runtime is being dropped: nothing more will run. Closes the
    /// injection queue, drops every live task's future on this thread (each
    /// task completes as cancelled), then releases the ready queue.
    pub(crate) fn shutdown(&self) {
        // From now on other threads get their submissions back; what they
        // queued before is dropped here, releasing the references.
        self.shared.inject.close(drop);
        // Dropping a future may spawn a task (which lands in the list, to be
        // dropped in the next round) or wake one (which lands in the ready
        // queue, to be released below): repeat until the list stays empty.
        loop {
            let tasks: Vec<TaskRef> = self.tasks.borrow_mut().drain().collect();
            if tasks.is_empty() {
                break;
            }
            for task in tasks {
                task.shut_down(self);
            }
        }
        self.ready.clear();
    }
}

impl std::fmt::Debug for Core {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Core")
            .field("tasks", &self.tasks.borrow().len())
            .field("ready", &self.ready.len())
            .field("reactor", &self.reactor)
            .finish_non_exhaustive()
    }
}
