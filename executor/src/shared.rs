//! The part of a loop that other threads can reach.
//!
//! A [`Handle`](crate::Handle) and every task's waker hold an `Arc<Shared>`:
//! the loop's injection queue (how anything gets to the loop from outside
//! it) and its statistics. Everything here is built from `tether-bridge`
//! types, which are the ones checked by the loom models.

use tether_bridge::{Counter, Inject, Notify};
use tether_reactor::Wakeup;

use crate::task::TaskRef;

/// State of one loop that is shared with other threads.
#[derive(Debug)]
pub(crate) struct Shared {
    /// Items for the loop from other threads; wakes the loop when it sleeps.
    pub(crate) inject: Inject<Injected, LoopWakeup>,
    /// Counts the loop keeps; written by the loop thread only.
    pub(crate) counters: LoopCounters,
}

/// What another thread can hand the loop.
pub(crate) enum Injected {
    /// Run this task: a wake from another thread, or a task spawned there.
    Task(TaskRef),
    /// `Handle::stop`: end `run_forever` after this iteration.
    Stop,
}

/// The reactor's wakeup, as the bridge's [`Notify`].
#[derive(Debug)]
pub(crate) struct LoopWakeup(pub(crate) Wakeup);

/// The loop's statistics, each written by the loop thread only.
#[derive(Debug, Default)]
pub(crate) struct LoopCounters {
    /// Iterations of the loop.
    pub(crate) iterations: Counter,
    /// Calls to the poller, blocking or not.
    pub(crate) polls: Counter,
    /// Calls to the poller that were allowed to block.
    pub(crate) parks: Counter,
    /// Items taken from the injection queue.
    pub(crate) submissions: Counter,
    /// Task runs (polls of a future, or drops of a cancelled one).
    pub(crate) runs: Counter,
}

impl Shared {
    pub(crate) fn new(wakeup: Wakeup) -> Self {
        Self {
            inject: Inject::new(LoopWakeup(wakeup)),
            counters: LoopCounters::default(),
        }
    }
}

impl Notify for LoopWakeup {
    fn notify(&self) {
        self.0.wake();
    }
}

impl std::fmt::Debug for Injected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Injected::Task(task) => f.debug_tuple("Task").field(&task.id()).finish(),
            Injected::Stop => f.write_str("Stop"),
        }
    }
}
