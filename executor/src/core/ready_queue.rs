//! The ready queue: what will run in the loop's next run step.

use std::cell::RefCell;
use std::collections::VecDeque;

use super::RemoteCall;
use crate::task::TaskRef;

/// Tasks and callbacks waiting to run, oldest first. Loop thread only.
///
/// Plain `VecDeque`s behind `RefCell`s: they never leave the loop thread,
/// so they need no atomics, and after they have grown to the loop's working
/// set a push or pop allocates nothing. Each task entry owns a reference to
/// its task (`tether_bridge::task_state`, rule 5), and the state word
/// guarantees a task is in here at most once.
///
/// Callbacks from other threads wait in a queue of their own, and leave a
/// `None` in their FIFO place among the tasks: a boxed closure is two
/// pointers, and mixing the two kinds in one queue would double the size of
/// every task's entry. Popping a `None` pops the oldest callback.
///
/// The loop runs a *snapshot*: it reads the length once, then pops that many
/// entries, so a task that wakes itself again goes to the back and waits for
/// the next iteration (see `run_loop`).
#[derive(Debug, Default)]
pub(super) struct ReadyQueue {
    /// Every entry, oldest at the front: a task, or `None` for the next
    /// callback in `calls`.
    order: RefCell<VecDeque<Option<TaskRef>>>,
    /// The callbacks from other threads, oldest at the front.
    calls: RefCell<VecDeque<RemoteCall>>,
}

/// One entry of the ready queue, as it is popped.
pub(super) enum Runnable {
    /// A task to run once: poll its future, or drop it if cancelled.
    Task(TaskRef),
    /// A callback from another thread (`Handle::call_soon`), to call once.
    Call(RemoteCall),
}

impl ReadyQueue {
    pub(super) fn push(&self, task: TaskRef) {
        self.order.borrow_mut().push_back(Some(task));
    }

    pub(super) fn push_call(&self, call: RemoteCall) {
        self.calls.borrow_mut().push_back(call);
        self.order.borrow_mut().push_back(None);
    }

    // Inlined, so that the entry reaches the run in registers: a two-word
    // entry returned through memory is written as two words and read back
    // as one 16-byte load, which cannot be store-forwarded and stalls
    // every run.
    #[inline(always)]
    pub(super) fn pop(&self) -> Option<Runnable> {
        match self.order.borrow_mut().pop_front()? {
            Some(task) => Some(Runnable::Task(task)),
            None => {
                let call = self.calls.borrow_mut().pop_front();
                Some(Runnable::Call(call.expect("a callback for each None")))
            }
        }
    }

    pub(super) fn len(&self) -> usize {
        self.order.borrow().len()
    }

    pub(super) fn is_empty(&self) -> bool {
        self.order.borrow().is_empty()
    }

    /// Empties the queue, releasing each task entry's reference and dropping
    /// each callback uncalled. The entries are dropped after the borrows
    /// end: freeing a task runs destructors, and none of them may find the
    /// queue borrowed.
    pub(super) fn clear(&self) {
        let order = std::mem::take(&mut *self.order.borrow_mut());
        let calls = std::mem::take(&mut *self.calls.borrow_mut());
        drop((order, calls));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_task_entry_is_one_pointer() {
        assert_eq!(size_of::<Option<TaskRef>>(), size_of::<usize>());
    }
}
