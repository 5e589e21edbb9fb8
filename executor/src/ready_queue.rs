//! The ready queue: the tasks that will run in the loop's next run step.

use std::cell::RefCell;
use std::collections::VecDeque;

use crate::task::TaskRef;

/// Tasks waiting to run, oldest first. Loop thread only.
///
/// A plain `VecDeque` behind a `RefCell`: it never leaves the loop thread,
/// so it needs no atomics, and after it has grown to the loop's working set
/// a push or pop allocates nothing. Each entry owns a reference to its task
/// (`tether_bridge::task_state`, rule 5), and the state word guarantees a
/// task is in here at most once.
///
/// The loop runs a *snapshot*: it reads the length once, then pops that many
/// tasks, so a task that wakes itself again goes to the back and waits for
/// the next iteration (see `run_loop`).
#[derive(Debug, Default)]
pub(crate) struct ReadyQueue {
    /// The tasks, oldest at the front.
    tasks: RefCell<VecDeque<TaskRef>>,
}

impl ReadyQueue {
    pub(crate) fn push(&self, task: TaskRef) {
        self.tasks.borrow_mut().push_back(task);
    }

    pub(crate) fn pop(&self) -> Option<TaskRef> {
        self.tasks.borrow_mut().pop_front()
    }

    pub(crate) fn len(&self) -> usize {
        self.tasks.borrow().len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.tasks.borrow().is_empty()
    }

    /// Empties the queue, releasing each entry's reference. The entries are
    /// dropped after the borrow ends: freeing a task runs destructors, and
    /// none of them may find the queue borrowed.
    pub(crate) fn clear(&self) {
        let tasks = std::mem::take(&mut *self.tasks.borrow_mut());
        drop(tasks);
    }
}
