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
use std::collections::BTreeMap;
use std::future::Future;
use std::panic::{AssertUnwindSafe, Location, catch_unwind};
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use slab::Slab;
use tether_bridge::{BlockingPool, Initial};
use tether_reactor::Reactor;

use crate::debug::{DebugMode, RunInfo, SlowCallback, Stamp};
use crate::dump::{Dump, TaskInfo, TaskStatus};
use crate::exception::{Exception, ExceptionHandler};
use crate::ready_queue::{ReadyQueue, Runnable};
use crate::shared::{Injected, NamedSpawn, Shared};
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
    /// shutdown can find and drop them all, and a dump list them. A task's
    /// index is in its header.
    tasks: RefCell<Slab<Listed>>,
    /// The names given with `task::Builder`, by task. Apart from the list:
    /// most tasks have none, and a name in every entry would cost each task
    /// two words.
    names: RefCell<BTreeMap<TaskId, Rc<str>>>,
    /// Debug mode's settings and clock, if it is on.
    debug: Option<DebugMode>,
    /// Sees the panics nobody joins.
    on_exception: ExceptionHandler,
    /// Tasks run since the reactor was last polled (see `run_loop`).
    pub(crate) runs_since_poll: Cell<usize>,
    /// `Handle::stop` arrived: `run_forever` returns after this iteration.
    pub(crate) stop_requested: Cell<bool>,
    /// The stand-in task of `block_on` ran: poll the `block_on` future.
    pub(crate) main_woken: Cell<bool>,
    /// The `block_on` future is being polled: its stand-in counts as
    /// running, in a dump.
    main_running: Cell<bool>,
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
        debug: Option<DebugMode>,
    ) -> Self {
        Self {
            shared: Arc::new(Shared::new(reactor.wakeup(), pool, debug.is_some())),
            reactor,
            ready: ReadyQueue::default(),
            tasks: RefCell::new(Slab::new()),
            names: RefCell::new(BTreeMap::new()),
            debug,
            on_exception,
            runs_since_poll: Cell::new(0),
            stop_requested: Cell::new(false),
            main_woken: Cell::new(false),
            main_running: Cell::new(false),
            on_stop: RefCell::new(Vec::new()),
            shutdown_timeout,
        }
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
        self.list(join.task().clone(), spawned_at);
        self.ready.push(join.task().clone());
        join
    }

    /// Names a live task, for dumps and debug mode's warnings.
    pub(crate) fn set_name(&self, id: TaskId, name: Rc<str>) {
        self.names.borrow_mut().insert(id, name);
    }

    /// Takes one item another thread sent (step 4 of the iteration).
    pub(crate) fn accept(&self, item: Injected) {
        match item {
            Injected::Task(task) => self.ready.push(task),
            Injected::Spawn(task, spawned_at) => {
                self.list(task.clone(), spawned_at);
                self.ready.push(task);
            }
            Injected::SpawnNamed(spawn) => {
                let NamedSpawn {
                    task,
                    spawned_at,
                    name,
                } = *spawn;
                self.set_name(task.id(), Rc::from(name));
                self.list(task.clone(), spawned_at);
                self.ready.push(task);
            }
            Injected::Call(call) => self.ready.push_call(call),
            Injected::Stop => self.stop_requested.set(true),
            Injected::OnStop(callback) => self.on_stop(callback),
        }
    }

    /// Runs one entry of the ready queue (step 6 of the iteration); `main`
    /// polls the `block_on` future, if this was the stand-in's run.
    #[inline]
    pub(crate) fn run(&self, entry: Runnable, main: &mut dyn FnMut()) {
        match &self.debug {
            None => self.run_untimed(entry, Stamp::NONE, main),
            Some(debug) => self.run_timed(debug, entry, main),
        }
    }

    /// `run` in debug mode: times the run, and reports it if it was slow.
    /// Out of line, to keep the plain `run` small enough to inline.
    #[cold]
    #[inline(never)]
    fn run_timed(&self, debug: &DebugMode, entry: Runnable, main: &mut dyn FnMut()) {
        let started = Instant::now();
        // Taken now: a task that finishes in this run leaves the list.
        let info = self.run_info(&entry);
        self.run_untimed(entry, debug.stamp(started), main);
        let took = started.elapsed();
        if took >= debug.slow_callback_duration {
            let slow = SlowCallback {
                task: info.task,
                kind: info.kind,
                name: info.name.as_deref(),
                spawned_at: info.spawned_at,
                took,
                threshold: debug.slow_callback_duration,
            };
            // A handler that panics must not take the loop down with it.
            if catch_unwind(AssertUnwindSafe(|| (debug.on_slow_callback)(&slow))).is_err() {
                eprintln!("tether: the slow callback handler panicked while handling: {slow}");
            }
        }
    }

    // Always: step 6 calls it once per run, and as a call of its own it
    // measured 12 instructions more per run (callgrind, `ping_pong`).
    #[inline(always)]
    fn run_untimed(&self, entry: Runnable, stamp: Stamp, main: &mut dyn FnMut()) {
        match entry {
            Runnable::Task(task) => {
                self.count_run(&task, stamp);
                task.run(self);
                if self.main_woken.take() {
                    let _running = Raised::raise(&self.main_running);
                    main();
                }
            }
            Runnable::Call(call) => self.call(|| call.call()),
        }
    }

    /// Counts a run in the task's list entry, and stamps its start.
    fn count_run(&self, task: &TaskRef, stamp: Stamp) {
        let key = task.header().list_key.get() as usize;
        if let Some(listed) = self.tasks.borrow_mut().get_mut(key) {
            debug_assert_eq!(listed.task.id(), task.id());
            listed.runs = listed.runs.saturating_add(1);
            listed.last_run = stamp;
        }
    }

    /// What debug mode will say of `entry` if its run is slow.
    fn run_info(&self, entry: &Runnable) -> RunInfo {
        match entry {
            Runnable::Task(task) => {
                let key = task.header().list_key.get() as usize;
                RunInfo {
                    task: Some(task.id()),
                    kind: task.header().kind,
                    name: self.names.borrow().get(&task.id()).cloned(),
                    spawned_at: self.tasks.borrow().get(key).map(|listed| listed.spawned_at),
                }
            }
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
    fn list(&self, task: TaskRef, spawned_at: &'static Location<'static>) {
        let mut tasks = self.tasks.borrow_mut();
        let entry = tasks.vacant_entry();
        let key =
            u32::try_from(entry.key()).expect("tether: more than 2^32 live tasks on one loop");
        task.header().list_key.set(key);
        entry.insert(Listed {
            task,
            spawned_at,
            runs: 0,
            last_run: Stamp::NONE,
        });
    }

    /// Removes a completed task from the list, releasing the list's reference.
    pub(crate) fn unlist(&self, task: &TaskRef) {
        let key = task.header().list_key.get() as usize;
        let listed = self.tasks.borrow_mut().remove(key);
        debug_assert_eq!(listed.task.id(), task.id());
        let name = self.forget_name(task.id());
        // Released after the borrows: the caller's reference keeps the task
        // alive, but a destructor must never find the list borrowed.
        drop((listed, name));
    }

    /// Takes a finished task's name out of the map (most have none).
    fn forget_name(&self, id: TaskId) -> Option<Rc<str>> {
        let mut names = self.names.borrow_mut();
        if names.is_empty() {
            return None;
        }
        names.remove(&id)
    }

    /// The live tasks, as [`Handle::dump`](crate::Handle::dump) shows them.
    pub(crate) fn dump(&self) -> Dump {
        let now = self.debug.as_ref().map(|_| Instant::now());
        let names = self.names.borrow();
        let mut tasks: Vec<TaskInfo> = self
            .tasks
            .borrow()
            .iter()
            .filter_map(|(_, listed)| {
                let (id, kind) = (listed.task.id(), listed.task.header().kind);
                let state = listed.task.state().load();
                let status = match kind {
                    // The stand-in of a `block_on` that returned waits to be
                    // dropped at its next run; it stands in for nothing any
                    // more.
                    TaskKind::BlockOn if state.is_cancelled() => return None,
                    TaskKind::BlockOn if self.main_running.get() => TaskStatus::Running,
                    _ => TaskStatus::of(state),
                };
                Some(TaskInfo {
                    id,
                    kind,
                    name: names.get(&id).map(|name| name.to_string()),
                    spawned_at: listed.spawned_at,
                    status,
                    runs: listed.runs,
                    since_last_run: self
                        .debug
                        .as_ref()
                        .zip(now)
                        .and_then(|(debug, now)| debug.since(listed.last_run, now)),
                })
            })
            .collect();
        tasks.sort_by_key(|task| task.id);
        Dump { tasks }
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
                callback => self.run(callback, &mut || {}),
            }
        }
        // Dropping a future may spawn a task (which lands in the list, to be
        // dropped in the next round) or wake one (which lands in the ready
        // queue, to be released below): repeat until the list stays empty.
        loop {
            let tasks: Vec<TaskRef> = self
                .tasks
                .borrow_mut()
                .drain()
                .map(|listed| listed.task)
                .collect();
            if tasks.is_empty() {
                break;
            }
            for task in tasks {
                task.shut_down(self);
            }
        }
        // Names are plain strings: clearing them in the borrow runs no
        // destructor that could reach the loop.
        self.names.borrow_mut().clear();
        self.ready.clear();
        // Blocking jobs: queued ones never start (their `ThreadFuture`s
        // resolve as cancelled when they are dropped here); running ones
        // get until the timeout.
        let (unstarted, _) = self.shared.pool.shutdown(self.shutdown_timeout);
        drop(unstarted);
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

/// A live task, as the loop's list keeps it.
///
/// Three words: `slab`'s entry for it stays three words too, its vacancy
/// tag hiding in the pointers' niches. That is 8 bytes per task more than
/// the bare `TaskRef` the list held before it kept these counts.
struct Listed {
    /// The list's reference to the task.
    task: TaskRef,
    /// Where the task was spawned.
    spawned_at: &'static Location<'static>,
    /// Runs so far, saturating.
    runs: u32,
    /// When the last run began; debug mode only.
    last_run: Stamp,
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
