//! The loop core: what only the loop thread touches, and the half of the
//! loop that other threads reach.
//!
//! [`Core`] is what a [`Runtime`](crate::Runtime) owns: the ready queue,
//! the list of live tasks, the reactor, the exception handler, and the
//! `Arc` to the [`Shared`] half other threads reach. It is made current on
//! the loop thread while the loop runs (`context`). Its files:
//!
//! | file | what it holds |
//! |------|---------------|
//! | `run_loop.rs` | one iteration (the drawing of the loop is there), `block_on`, `run_forever` |
//! | `ready_queue.rs` | the FIFO of what runs in the next run step |
//! | `task_list.rs` | every live task, for shutdown and for dumps |
//! | `shutdown.rs` | what dropping a runtime does |
//! | `context.rs` | the thread-local current loop, and the guard against running two |
//! | `shared.rs` | the half other threads reach: the injection queue, counters, ids |
//! | `blocking.rs` | the blocking pool, made by the first job that needs it |
//! | `remote_call.rs` | a closure from another thread, kept in place if it is at most two words, on its way to its run |
//! | `signal_handlers.rs` | the loop's signal handlers, by signal (the `signal` feature) |
//!
//! This file holds `Core` itself: spawning, taking what other threads
//! sent, running one entry of the ready queue, reporting panics.
//!
//! # The rule of this layer
//!
//! Only the loop thread touches a `Core` (it is reached through an `Rc`,
//! so it cannot leave the thread), and only code in this folder touches
//! its fields; other layers call its methods. What another thread may
//! touch is in [`Shared`], whose cross-thread protocols are
//! `tether_bridge`'s, which the loom models check.
//!
//! The core and `task/` import each other: the loop runs tasks, and a
//! task's wake must reach its loop (see `task/mod.rs`, which traces one).
//! Everything else this layer imports is below it: `observe` and `id`.

mod blocking;
mod context;
mod ready_queue;
mod remote_call;
mod run_loop;
mod shared;
mod shutdown;
mod signal_handlers;
mod task_list;

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::panic::{AssertUnwindSafe, Location, catch_unwind};
use std::rc::Rc;
use std::time::Duration;

use tether_bridge::sync::{self, Arc};
use tether_bridge::{BlockingPool, Initial};
use tether_reactor::Reactor;

pub(crate) use blocking::LazyPool;
pub(crate) use context::{is_current_loop, push_ready_if_local, report_panic, with_core};
pub(crate) use remote_call::RemoteCall;
pub(crate) use shared::{Injected, NamedSpawn, Shared};

use crate::id::{TaskId, TaskKind};
use crate::observe::{
    DebugMode, Dump, Exception, ExceptionHandler, RunInfo, SlowCallback, Stamp, panic_message,
    report_line,
};
use crate::task::{self, JoinRef, TaskRef};
use ready_queue::{ReadyQueue, Runnable};
use task_list::TaskList;

/// One loop's thread-local state.
pub(crate) struct Core {
    /// What other threads share with this loop; every task points to it.
    shared: Arc<Shared>,
    /// The reactor: I/O readiness and timers.
    reactor: Rc<Reactor>,
    /// Tasks to run in the next run step, oldest first.
    ready: ReadyQueue,
    /// Every task that has not completed.
    tasks: TaskList,
    /// Debug mode's settings and clock, if it is on.
    debug: Option<DebugMode>,
    /// Sees the panics nobody joins.
    on_exception: ExceptionHandler,
    /// Runs (tasks, and callbacks from other threads) since the reactor
    /// was last polled (see `run_loop`).
    runs_since_poll: Cell<usize>,
    /// `Handle::stop` arrived: `run_forever` returns after this iteration.
    stop_requested: Cell<bool>,
    /// The stand-in task of `block_on` ran: poll the `block_on` future.
    main_woken: Cell<bool>,
    /// The `block_on` future is being polled: its stand-in counts as
    /// running, in a dump, and is the current task.
    main_running: Cell<bool>,
    /// The task being run now (polled, or its future dropped), with its
    /// kind; `None` between runs.
    running: Cell<Option<(TaskId, TaskKind)>>,
    /// Called when `run_forever` returns because of a stop.
    on_stop: RefCell<Vec<Box<dyn FnOnce()>>>,
    /// The blocking pool, made by the first job; shared with the
    /// reactor's host name lookups (the `net` feature).
    blocking: Rc<LazyPool>,
    /// How long shutdown waits for running blocking jobs.
    shutdown_timeout: Duration,
    /// The handlers of `add_signal_handler`, by signal.
    #[cfg(feature = "signal")]
    signal_handlers: signal_handlers::SignalHandlers,
}

impl Core {
    pub(crate) fn new(
        reactor: Rc<Reactor>,
        on_exception: ExceptionHandler,
        blocking: Rc<LazyPool>,
        shutdown_timeout: Duration,
        debug: Option<DebugMode>,
        name: Option<Box<str>>,
    ) -> Self {
        let shared = Shared::new(reactor.wakeup(), debug.is_some(), name);
        Self {
            shared: Arc::new(shared),
            reactor,
            ready: ReadyQueue::default(),
            tasks: TaskList::default(),
            debug,
            on_exception,
            runs_since_poll: Cell::new(0),
            stop_requested: Cell::new(false),
            main_woken: Cell::new(false),
            main_running: Cell::new(false),
            running: Cell::new(None),
            on_stop: RefCell::new(Vec::new()),
            blocking,
            shutdown_timeout,
            #[cfg(feature = "signal")]
            signal_handlers: signal_handlers::SignalHandlers::default(),
        }
    }

    /// The half of this loop that other threads reach.
    pub(crate) fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// The loop's blocking pool, made now if no job needed it before.
    pub(crate) fn blocking_pool(&self) -> &BlockingPool {
        self.blocking.get()
    }

    /// Whether `shared` is this loop's shared half.
    pub(crate) fn is_loop_of(&self, shared: &Shared) -> bool {
        std::ptr::eq(&*self.shared, shared)
    }

    /// Creates a task for `future` and queues it. Its references: the one
    /// returned, the task list's, and the ready queue's. `spawned_at` is the
    /// caller of the public function that spawned it.
    pub(crate) fn spawn<F: Future + 'static>(
        &self,
        future: F,
        kind: TaskKind,
        spawned_at: &'static Location<'static>,
    ) -> JoinRef<F::Output> {
        let join = self.make_task(future, kind, spawned_at);
        self.take_injected();
        self.ready.push(join.task().clone());
        join
    }

    /// Creates a task for `future` and gives it its first poll at once, here,
    /// instead of queueing it; after that it runs when it is woken, like
    /// any task. For a timed callback, whose first poll arms its timer:
    /// armed at the call, its timer takes its deadline's place among the
    /// timers at once (`local/callback.rs`). The caller makes sure that
    /// poll cannot complete the future, which would run the rest of it
    /// inside the caller's own run.
    ///
    /// The poll is the task's, as in a run step: the task is the one
    /// running meanwhile, not its caller (for a callback, as in its run
    /// step, `task::current` is `None`), and a panic goes to the exception
    /// handler. It is not counted as a run.
    pub(crate) fn spawn_polled<F: Future + 'static>(
        &self,
        future: F,
        kind: TaskKind,
        spawned_at: &'static Location<'static>,
    ) -> JoinRef<F::Output> {
        // Made as if queued: the poll below takes the queue entry's place.
        let join = self.make_task(future, kind, spawned_at);
        // The caller may be a task, or the `block_on` future: it is not the
        // current task while the new one is polled.
        let outer = (
            self.running.replace(Some((join.task().id(), kind))),
            self.main_running.replace(false),
        );
        join.task().clone().run(self);
        self.running.set(outer.0);
        self.main_running.set(outer.1);
        join
    }

    /// Allocates a task for `future` and lists it. It is made scheduled: the
    /// caller queues it, or runs it at once.
    #[inline]
    fn make_task<F: Future + 'static>(
        &self,
        future: F,
        kind: TaskKind,
        spawned_at: &'static Location<'static>,
    ) -> JoinRef<F::Output> {
        // The `block_on` stand-in is not the user's task: it is task 0, and
        // user tasks are numbered 1, 2, 3... in spawn order.
        let id = if kind == TaskKind::BlockOn {
            TaskId(0)
        } else {
            self.shared.next_task_id()
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
        self.tasks.insert(join.task().clone(), spawned_at);
        join
    }

    /// Names a live task, for dumps and debug mode's warnings.
    pub(crate) fn set_name(&self, id: TaskId, name: Rc<str>) {
        self.tasks.set_name(id, name);
    }

    /// Queues a task that a state transition scheduled, on its own loop:
    /// `task` is the queue entry's reference (`tether_bridge::task_state`,
    /// rule 5).
    #[inline]
    pub(crate) fn schedule(&self, task: TaskRef) {
        self.take_injected();
        self.ready.push(task);
    }

    /// Takes what other threads sent into the ready queue: step 4 of the
    /// iteration, and the first thing every local submission does (a spawn,
    /// a callback, a wake on the loop), so that what another thread
    /// submitted before it, in happens-before order, runs before it, as in
    /// asyncio's one queue. When nothing was sent, one relaxed load: a
    /// submission that happened before this call is seen by it, since a
    /// load cannot read a value older than one that happened before it.
    #[inline]
    fn take_injected(&self) {
        if self.shared.inject.is_notified() {
            self.take_batch();
        }
    }

    /// The take itself, out of line: a local submission inlines only the
    /// load above. The batch is the buffer the producers wrote, taken whole
    /// in exchange for the ready queue's spare one; it keeps one place in
    /// the ready queue, and the run step runs its items there in turn.
    #[inline(never)]
    fn take_batch(&self) {
        let mut batch = self.ready.spare();
        let taken = self.shared.inject.take(&mut batch);
        self.ready.push_batch(batch);
        self.shared.counters.submissions.add(taken as u64);
    }

    /// Makes `run_forever` return at the end of this iteration.
    pub(crate) fn request_stop(&self) {
        self.stop_requested.set(true);
    }

    /// Takes the next item of the front batch from other threads, in its
    /// turn (step 6), and runs it: a task or a callback. A stop or a stop
    /// callback is taken and runs nothing. Returns whether something ran.
    /// Out of line, so that the run of a task, the common entry, stays
    /// small.
    #[inline(never)]
    fn run_next_injected(&self, main: &mut dyn FnMut()) -> bool {
        match self.take_next_injected() {
            Some(runnable) => self.run(runnable, main),
            None => false,
        }
    }

    /// The next item of the front batch from other threads, in its turn:
    /// a task or a callback to run, or `None` for a stop or a stop
    /// callback, which it takes here.
    #[inline]
    fn take_next_injected(&self) -> Option<Runnable> {
        self.accept(self.ready.pop_injected())
    }

    /// Lists a task another thread spawned, as its turn comes, and
    /// publishes the new count of live tasks: a loop stuck in that task's
    /// run shows it among its tasks.
    fn list_injected(&self, task: &TaskRef, spawned_at: &'static Location<'static>) {
        self.tasks.insert(task.clone(), spawned_at);
        self.shared.counters.tasks.set(self.tasks.len() as u64);
    }

    /// Takes one item another thread sent, in its turn (step 6): a task,
    /// listed first if it is new, or a callback comes back to run.
    #[inline]
    fn accept(&self, item: Injected) -> Option<Runnable> {
        match item {
            Injected::Task(task) => Some(Runnable::Task(task)),
            Injected::Spawn(task, spawned_at) => {
                self.list_injected(&task, spawned_at);
                Some(Runnable::Task(task))
            }
            Injected::SpawnNamed(spawn) => {
                let NamedSpawn {
                    task,
                    spawned_at,
                    name,
                    set_name,
                } = *spawn;
                set_name(self, task.id(), Rc::from(name));
                self.list_injected(&task, spawned_at);
                Some(Runnable::Task(task))
            }
            Injected::Call(call) => Some(Runnable::Call(call)),
            Injected::Stop => {
                self.request_stop();
                None
            }
            Injected::OnStop(callback) => {
                self.on_stop(callback);
                None
            }
        }
    }

    /// Runs one entry of the ready queue (step 6 of the iteration); `main`
    /// polls the `block_on` future, if this was the stand-in's run. Returns
    /// false if there was nothing to run: the entry of a task that completed
    /// after a wake from another thread queued it, which is dropped.
    #[inline]
    fn run(&self, entry: Runnable, main: &mut dyn FnMut()) -> bool {
        match &self.debug {
            None => self.run_untimed(entry, Stamp::NONE, main),
            Some(debug) => self.run_timed(debug, entry, main),
        }
    }

    /// `run` in debug mode: times the run, and reports it if it was slow.
    /// Out of line, to keep the plain `run` small enough to inline.
    #[cold]
    #[inline(never)]
    fn run_timed(&self, debug: &DebugMode, entry: Runnable, main: &mut dyn FnMut()) -> bool {
        let started = sync::now();
        // Taken now: a task that finishes in this run leaves the list.
        let info = self.run_info(&entry);
        let ran = self.run_untimed(entry, debug.stamp(started), main);
        let took = sync::now() - started;
        if took >= debug.slow_callback_duration {
            self.shared.counters.slow_callbacks.add(1);
            let slow = SlowCallback {
                loop_name: self.shared.name(),
                task: info.task,
                kind: info.kind,
                name: info.name.as_deref(),
                spawned_at: info.spawned_at,
                took,
                threshold: debug.slow_callback_duration,
            };
            // A handler that panics must not take the loop down with it.
            if let Err(handler_panic) =
                catch_unwind(AssertUnwindSafe(|| (debug.on_slow_callback)(&slow)))
            {
                report_line(format_args!(
                    "tether: the slow callback handler panicked while handling: {slow}"
                ));
                let _ = catch_unwind(AssertUnwindSafe(|| drop(handler_panic)));
            }
        }
        ran
    }

    // Always: step 6 calls it once per run, and an out-of-line call would
    // add its call and return to every run.
    #[inline(always)]
    fn run_untimed(&self, entry: Runnable, stamp: Stamp, main: &mut dyn FnMut()) -> bool {
        match entry {
            Runnable::Task(task) => {
                // Counted before the run, which may free the task. (A task
                // that turns out complete is gone from the list, and nothing
                // reads its count again.)
                self.tasks.count_run(&task, stamp);
                self.running.set(Some((task.id(), task.header().kind)));
                // Each poll gets a fresh budget of operations on sources,
                // and nothing outside a poll is counted
                // (`Reactor::start_budget`).
                self.reactor.start_budget();
                let ran = task.run(self);
                self.running.set(None);
                if self.main_woken.take() {
                    let _running = Raised::raise(&self.main_running);
                    self.reactor.start_budget();
                    main();
                }
                self.reactor.end_budget();
                ran
            }
            Runnable::Call(call) => {
                self.call(|| call.call());
                true
            }
        }
    }

    /// What debug mode will say of `entry` if its run is slow.
    fn run_info(&self, entry: &Runnable) -> RunInfo {
        match entry {
            Runnable::Task(task) => self.tasks.run_info(task),
            Runnable::Call(call) => RunInfo {
                task: None,
                kind: TaskKind::Callback,
                name: None,
                spawned_at: call.location(),
            },
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
    fn on_stop(&self, callback: Box<dyn FnOnce()>) {
        self.on_stop.borrow_mut().push(callback);
    }

    /// Runs the stop callbacks, oldest first; a panic goes to the exception
    /// handler, as a callback's does.
    fn run_stop_callbacks(&self) {
        let callbacks = std::mem::take(&mut *self.on_stop.borrow_mut());
        for callback in callbacks {
            self.call(callback);
        }
    }

    /// Removes a completed task from the list, releasing the list's
    /// reference.
    pub(crate) fn unlist(&self, task: &TaskRef) {
        self.tasks.remove(task);
    }

    /// The task whose future is being polled, and its name: a spawned task,
    /// or the `block_on` future (task 0); `None` in a callback, or between
    /// runs.
    pub(crate) fn current_task(&self) -> Option<(TaskId, Option<Rc<str>>)> {
        if self.main_running.get() {
            return Some((TaskId(0), None));
        }
        match self.running.get()? {
            (id, TaskKind::Task) => Some((id, self.tasks.name(id))),
            _ => None,
        }
    }

    /// The live tasks, as [`Handle::dump`](crate::Handle::dump) shows them.
    pub(crate) fn dump(&self) -> Dump {
        let clock = self.debug.as_ref().map(|debug| (debug, sync::now()));
        self.tasks.dump(self.main_running.get(), clock)
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
            let message = panic_message(handler_panic.as_ref()).unwrap_or("non-string payload");
            report_line(format_args!(
                "tether: the exception handler panicked ({message}) while handling: {exception}"
            ));
            let _ = catch_unwind(AssertUnwindSafe(|| drop(handler_panic)));
        }
    }
}

/// A flag that is up while this lives, even if what it covers panics.
struct Raised<'a>(&'a Cell<bool>);

impl<'a> Raised<'a> {
    fn raise(flag: &'a Cell<bool>) -> Self {
        flag.set(true);
        Self(flag)
    }
}

impl Drop for Raised<'_> {
    fn drop(&mut self) {
        self.0.set(false);
    }
}

impl std::fmt::Debug for Core {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Core")
            .field("tasks", &self.tasks.len())
            .field("ready", &self.ready.len())
            .field("reactor", &self.reactor)
            .finish_non_exhaustive()
    }
}
