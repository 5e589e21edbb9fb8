//! The ready queue: what will run in the loop's next run step.

use std::cell::RefCell;
use std::collections::VecDeque;

use crate::callback::RemoteCall;
use crate::task::TaskRef;

/// Tasks and callbacks waiting to run, oldest first. Loop thread only.
///
/// A plain `VecDeque` behind a `RefCell`: it never leaves the loop thread,
/// so it needs no atomics, and after it has grown to the loop's working set
/// a push or pop allocates nothing. Each task entry owns a reference to its
/// task (`tether_bridge::task_state`, rule 5), and the state word
/// guarantees a task is in here at most once.
///
/// The loop runs a *snapshot*: it reads the length once, then pops that many
/// entries, so a task that wakes itself again goes to the back and waits for
/// the next iteration (see `run_loop`).
#[derive(Debug, Default)]
pub(crate) struct ReadyQueue {
    /// The entries, oldest at the front.
    entries: RefCell<VecDeque<Runnable>>,
}

/// One entry of the ready queue.
pub(crate) enum Runnable {
    /// A task to run once: poll its future, or drop it if cancelled.
    Task(TaskRef),
    /// A callback from another thread (`Handle::call_soon`), to call once.
    Call(RemoteCall),
}

impl ReadyQueue {
    pub(crate) fn push(&self, task: TaskRef) {
        self.entries.borrow_mut().push_back(Runnable::Task(task));
    }

    pub(crate) fn push_call(&self, call: RemoteCall) {
        self.entries.borrow_mut().push_back(Runnable::Call(call));
    }

    pub(crate) fn pop(&self) -> Option<Runnable> {
        self.entries.borrow_mut().pop_front()
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.borrow().len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.entries.borrow().is_empty()
    }

    /// Empties the queue, releasing each task entry's reference and dropping
    /// each callback uncalled. The entries are dropped after the borrow
    /// ends: freeing a task runs destructors, and none of them may find the
    /// queue borrowed.
    pub(crate) fn clear(&self) {
        let entries = std::mem::take(&mut *self.entries.borrow_mut());
        drop(entries);
    }
}

impl std::fmt::Debug for Runnable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Runnable::Task(task) => f.debug_tuple("Task").field(&task.id()).finish(),
            Runnable::Call(_) => f.write_str("Call(..)"),
        }
    }
}
