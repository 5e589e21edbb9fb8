//! The part of a loop that other threads can reach.
//!
//! A [`Handle`](crate::Handle) and every task's header hold an
//! `Arc<Shared>`: the loop's injection queue (how anything gets to the
//! loop from outside it), its counters and its task ids. Its cross-thread
//! protocol (the injection queue and its sleep/notify handshake) is
//! `tether-bridge`'s, which the loom models check; the blocking pool,
//! which its threads share, is the bridge's too, and the loop core holds
//! it (`blocking.rs`); the counters and the id sequence are single
//! atomics, and the wakeup is the reactor's. Code outside the loop core
//! reaches it through its methods; the loop core also uses its fields.

use std::panic::Location;
use std::rc::Rc;

use tether_bridge::sync::{self, Thread, ThreadId};
use tether_bridge::{Closed, Counter, Gauge, Inject, Notify, Sequence};
use tether_reactor::Wakeup;

use super::{Core, RemoteCall};
use crate::id::TaskId;
use crate::observe::Metrics;
use crate::task::TaskRef;

/// State of one loop that is shared with other threads.
#[derive(Debug)]
pub(crate) struct Shared {
    /// Items for the loop from other threads; wakes the loop when it sleeps.
    pub(super) inject: Inject<Injected, LoopWakeup>,
    /// Counts the loop keeps; written by the loop thread only.
    pub(super) counters: LoopCounters,
    /// Task ids, for tasks made on the loop thread and on other threads.
    pub(super) ids: Sequence,
    /// The thread that runs the loop (the runtime's, which cannot move):
    /// blocking there for the loop's own work would never end.
    pub(super) loop_thread: ThreadId,
    /// Debug mode is on: `Handle::call_soon` records where it was called.
    /// Set once, before any other thread sees this.
    pub(super) debug: bool,
    /// The loop's name (`Builder::name`), for debug mode's reports and for
    /// whoever holds a `Handle`. Set once, before any other thread sees
    /// this.
    pub(super) name: Option<Box<str>>,
}

/// What another thread can hand the loop.
pub(crate) enum Injected {
    /// Run this task: a wake from another thread (or from this one,
    /// outside the loop).
    Task(TaskRef),
    /// A new task, made on another thread, and where it was spawned: list
    /// it, then run it.
    Spawn(TaskRef, &'static Location<'static>),
    /// The same, for a task with a name (`task::Builder::spawn_on`). Boxed,
    /// so that unnamed spawns, the common case, do not carry the name's
    /// room through the queue.
    SpawnNamed(Box<NamedSpawn>),
    /// `Handle::call_soon`: call this in its FIFO place.
    Call(RemoteCall),
    /// `Handle::stop`: end `run_forever` after this iteration.
    Stop,
    /// `LoopThread::on_stop`: call this when `run_forever` stops.
    OnStop(Box<dyn FnOnce() + Send>),
}

/// A task made on another thread with a name.
pub(crate) struct NamedSpawn {
    /// The task.
    pub(crate) task: TaskRef,
    /// Where it was spawned.
    pub(crate) spawned_at: &'static Location<'static>,
    /// Its name, made an `Rc<str>` on the loop thread.
    pub(crate) name: Box<str>,
    /// Names the task on its loop: `Core::set_name`, reached through this
    /// pointer rather than called by the loop's step that takes the task,
    /// so that a program that names no task links no name table
    /// (`core/task_list.rs`).
    pub(crate) set_name: fn(&Core, TaskId, Rc<str>),
}

/// The reactor's wakeup and the loop's thread, as the bridge's [`Notify`]:
/// a write of the wakeup ends a sleep in the poller, an unpark a sleep on
/// the thread.
#[derive(Debug)]
pub(crate) struct LoopWakeup(Wakeup, Thread);

/// The loop's statistics, each written by the loop thread only.
#[derive(Debug, Default)]
pub(crate) struct LoopCounters {
    /// Iterations of the loop.
    pub(super) iterations: Counter,
    /// Calls to the poller, blocking or not.
    pub(super) polls: Counter,
    /// Sleeps: calls to the poller that were allowed to block, and parks
    /// of the loop's thread.
    pub(super) parks: Counter,
    /// Items taken from the injection queue.
    pub(super) submissions: Counter,
    /// Runs: polls of a task's future, drops of a cancelled one, and calls
    /// of callbacks from other threads.
    pub(super) runs: Counter,
    /// Runs that debug mode found slow.
    pub(super) slow_callbacks: Counter,
    /// Entries in the ready queue: set as a run step begins (what it will
    /// run) and as it ends (what waits for the next one).
    pub(super) ready: Gauge,
    /// Live tasks, set when `ready` is, and when a task another thread
    /// spawned is listed, as its turn comes in a run step.
    pub(super) tasks: Gauge,
}

impl Shared {
    /// The shared state of a loop that runs on this thread.
    pub(crate) fn new(wakeup: Wakeup, debug: bool, name: Option<Box<str>>) -> Self {
        Self {
            inject: Inject::new(LoopWakeup(wakeup, sync::current())),
            counters: LoopCounters::default(),
            // Id 0 is the `block_on` stand-in's.
            ids: Sequence::starting_at(1),
            loop_thread: sync::current().id(),
            debug,
            name,
        }
    }

    /// Hands `item` to the loop, waking it if it sleeps; hands it back if
    /// the loop is closed. Any thread.
    #[inline]
    pub(crate) fn push(&self, item: Injected) -> Result<(), Closed<Injected>> {
        self.inject.push(item)
    }

    /// Whether the loop has shut down: every push is handed back.
    pub(crate) fn is_closed(&self) -> bool {
        self.inject.is_closed()
    }

    /// A new task id, unique on this loop.
    pub(crate) fn next_task_id(&self) -> TaskId {
        TaskId(self.ids.next())
    }

    /// The thread that runs the loop.
    pub(crate) fn loop_thread(&self) -> ThreadId {
        self.loop_thread
    }

    /// Whether this thread is the loop's.
    pub(crate) fn is_loop_thread(&self) -> bool {
        sync::current().id() == self.loop_thread
    }

    /// The loop's name, if its builder gave it one.
    pub(crate) fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// Whether debug mode is on.
    pub(crate) fn is_debug(&self) -> bool {
        self.debug
    }

    /// Work queued on the loop now: the ready queue as the loop last
    /// published it, plus what other threads sent that it has not taken.
    /// What a pool of loops adds to a loop's connections to weigh it.
    pub(crate) fn queued(&self) -> u64 {
        self.counters.ready.get() + self.inject.len() as u64
    }

    /// The loop's counters so far.
    pub(crate) fn metrics(&self) -> Metrics {
        let counters = &self.counters;
        Metrics {
            iterations: counters.iterations.get(),
            polls: counters.polls.get(),
            parks: counters.parks.get(),
            runs: counters.runs.get(),
            submissions: counters.submissions.get(),
            wakeup_writes: self.inject.wakeup_writes(),
            slow_callbacks: counters.slow_callbacks.get(),
            ready: counters.ready.get(),
            injected: self.inject.len() as u64,
            tasks: counters.tasks.get(),
        }
    }
}

impl Notify for LoopWakeup {
    fn notify(&self) {
        self.0.wake();
    }

    fn unpark(&self) {
        self.1.unpark();
    }
}

impl std::fmt::Debug for Injected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Injected::Task(task) => f.debug_tuple("Task").field(&task.id()).finish(),
            Injected::Spawn(task, _) => f.debug_tuple("Spawn").field(&task.id()).finish(),
            Injected::SpawnNamed(spawn) => f
                .debug_tuple("SpawnNamed")
                .field(&spawn.task.id())
                .field(&spawn.name)
                .finish(),
            Injected::Call(_) => f.write_str("Call(..)"),
            Injected::Stop => f.write_str("Stop"),
            Injected::OnStop(_) => f.write_str("OnStop(..)"),
        }
    }
}

// Every item another thread hands the loop is this wide: the widest is a
// callback, whose closure of up to two words travels in place with its
// table (`remote_call.rs`); a named spawn must not make any wider.
#[cfg(target_pointer_width = "64")]
const _: () = assert!(size_of::<Injected>() == 32);
