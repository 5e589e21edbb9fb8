//! The loop's own state: what only the loop thread touches.
//!
//! [`Core`] is what a [`Runtime`](crate::Runtime) owns: the ready queue, the
//! list of live tasks, the reactor, the exception handler, and the `Arc` to
//! the [`Shared`] state other threads reach. It is made current on the loop
//! thread while the loop runs (`crate::context`). Its iteration lives in
//! `run_loop`; this file holds the rest of its life: spawning, reporting
//! panics, and shutting down.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;
use std::sync::Arc;

use std::time::Duration;

use slab::Slab;
use tether_bridge::{BlockingPool, Initial};
use tether_reactor::Reactor;

use crate::exception::{Exception, ExceptionHandler};
use crate::ready_queue::{ReadyQueue, Runnable};
use crate::shared::{Injected, Shared};
use crate::task::{self, JoinRef, TaskId, TaskKind, TaskRef};

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
    /// Sees the panics nobody joins.
    on_exception: ExceptionHandler,
    /// Tasks run since the reactor was last polled (see `run_loop`).
    pub(crate) runs_since_poll: Cell<usize>,
    /// `Handle::stop` arrived: `run_forever` returns after this iteration.
    pub(crate) stop_requested: Cell<bool>,
    /// The stand-in task of `block_on` ran: poll the `block_on` future.
    pub(crate) main_woken: Cell<bool>,
    /// Called when `run_forever` returns because of a stop.
    on_stop: RefCell<Vec<Box<dyn FnOnce()>>>,
    /// How long shutdown waits for running blocking jobs.
    shutdown_timeout: Duration,
}

impl Core {
    pub(crate) fn new(
        reactor: Rc<Reactor>,
        on_exception: ExceptionHandler,
        pool: BlockingPool,
        shutdown_timeout: Duration,
    ) -> Self {
        Self {
            shared: Arc::new(Shared::new(reactor.wakeup(), pool)),
            reactor,
            ready: ReadyQueue::default(),
            tasks: RefCell::new(Slab::new()),
            on_exception,
            runs_since_poll: Cell::new(0),
            stop_requested: Cell::new(false),
            main_woken: Cell::new(false),
            on_stop: RefCell::new(Vec::new()),
            shutdown_timeout,
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
            TaskId(self.shared.ids.next())
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

    /// Takes one item another thread sent (step 4 of the iteration).
    pub(crate) fn accept(&self, item: Injected) {
        match item {
            Injected::Task(task) => self.ready.push(task),
            Injected::Spawn(task) => {
                self.list(task.clone());
                self.ready.push(task);
            }
            Injected::Call(call) => self.ready.push_call(call),
            Injected::Stop => self.stop_requested.set(true),
            Injected::OnStop(callback) => self.on_stop(callback),
        }
    }

    /// Runs one entry of the ready queue (step 6 of the iteration).
    pub(crate) fn run(&self, entry: Runnable) {
        match entry {
            Runnable::Task(task) => task.run(self),
            Runnable::Call(call) => self.call(|| call.call()),
        }
    }

    /// Calls a callback that is not a task (from another thread, or a stop
    /// callback); a panic goes to the exception handler, with no task to
    /// name.
    fn call(&self, callback: impl FnOnce()) {
        if let Err(panic) = catch_unwind(AssertUnwindSafe(callback)) {
            self.report_panic(None, TaskKind::Callback, &*panic);
        }
    }

    /// Registers `callback` to run when `run_forever` stops.
    pub(crate) fn on_stop(&self, callback: Box<dyn FnOnce()>) {
        self.on_stop.borrow_mut().push(callback);
    }

    /// Runs the stop callbacks, oldest first; a panic goes to the exception
    /// handler, as a callback's does.
    pub(crate) fn run_stop_callbacks(&self) {
        let callbacks = std::mem::take(&mut *self.on_stop.borrow_mut());
        for callback in callbacks {
            self.call(callback);
        }
    }

    /// Adds a task to the list of live tasks.
    fn list(&self, task: TaskRef) {
        let mut tasks = self.tasks.borrow_mut();
        let entry = tasks.vacant_entry();
        let key =
            u32::try_from(entry.key()).expect("tether: more than 2^32 live tasks on one loop");
        task.header().list_key.set(key);
        entry.insert(task);
    }

    /// Removes a completed task from the list, releasing the list's reference.
    pub(crate) fn unlist(&self, task: &TaskRef) {
        let key = task.header().list_key.get() as usize;
        let listed = self.tasks.borrow_mut().remove(key);
        debug_assert_eq!(listed.id(), task.id());
        // Released after the borrow: the caller's reference keeps the task
        // alive, but a destructor must never find the list borrowed.
        drop(listed);
    }

    /// Shows a panic nobody joins to the exception handler.
    pub(crate) fn report_panic(
        &self,
        id: Option<TaskId>,
        kind: TaskKind,
        payload: &(dyn Any + Send),
    ) {
        let exception = Exception::new(id, kind, payload);
        // A handler that panics must not take the loop down with it.
        if let Err(handler_panic) =
            catch_unwind(AssertUnwindSafe(|| (self.on_exception)(&exception)))
        {
            let message =
                task::panic_message(handler_panic.as_ref()).unwrap_or("non-string payload");
            eprintln!(
                "tether: the exception handler panicked ({message}) while handling: {exception}"
            );
            let _ = catch_unwind(AssertUnwindSafe(|| drop(handler_panic)));
        }
    }

    /// The runtime is being dropped. Closes the injection queue, runs the
    /// callbacks already queued, drops every other live task's future on
    /// this thread (each completes as cancelled, and a `ThreadFuture`
    /// waiting on one resolves so), releases the ready queue, and shuts the
    /// blocking pool down.
    pub(crate) fn shutdown(&self) {
        // From now on other threads get their submissions back; what got in
        // before is taken as in any iteration (DESIGN.md: every submission
        // runs exactly once or is handed back).
        self.shared.inject.close(|item| self.accept(item));
        // Stop callbacks that arrived after `run_forever` returned: the loop
        // stops for good now.
        self.run_stop_callbacks();
        // Callbacks that were due run now; a timed one arms its timer and
        // is cancelled below with the rest.
        let queued = self.ready.len();
        for _ in 0..queued {
            let Some(entry) = self.ready.pop() else { break };
            match entry {
                Runnable::Task(task) if task.header().kind != TaskKind::Callback => {
                    self.ready.push(task);
                }
                callback => self.run(callback),
            }
        }
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
        // Blocking jobs: queued ones never start (their `ThreadFuture`s
        // resolve as cancelled when they are dropped here); running ones
        // get until the timeout.
        let (unstarted, _) = self.shared.pool.shutdown(self.shutdown_timeout);
        drop(unstarted);
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
