//! The ready queue: what will run in the loop's next run step.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;

use super::{Injected, RemoteCall};
use crate::task::TaskRef;

/// The largest emptied batch kept for a later take, in entries (512 KiB
/// of them): a loop keeps the allocation its usual backlog needs, and
/// gives back what a burst made it grow to.
const MAX_SPARE: usize = 16 * 1024;

/// How many emptied batches are kept: a take made while a batch is still
/// running (a local submission's) needs a buffer of its own.
const SPARES: usize = 4;

/// The most places the queue keeps room for once the loop goes idle
/// (128 KiB of them): past that, `ReadyQueue::trim_idle` gives the room
/// back, as `MAX_SPARE` does for the batches.
const MAX_KEPT_PLACES: usize = 16 * 1024;

/// Tasks, and batches of what other threads sent, waiting to run, oldest
/// first. Loop thread only.
///
/// Plain `VecDeque`s behind `RefCell`s: they never leave the loop thread,
/// so they need no atomics, and after they have grown to the loop's working
/// set a push or pop allocates nothing. What a burst grew them to beyond
/// that is given back: an emptied batch past `MAX_SPARE` is not kept, and
/// the order's room past `MAX_KEPT_PLACES` goes as the loop next sleeps
/// ([`trim_idle`](ReadyQueue::trim_idle)). Each task entry owns a
/// reference to its task (`tether_bridge::task_state`, rule 5), and the
/// state word guarantees a task is in here at most once.
///
/// What other threads sent comes in whole batches: step 4 takes the
/// injection queue's buffer as it stands (`tether_bridge::Inject::take`),
/// without copying an item, and the batch takes one place, a `None`, in
/// the FIFO order among the tasks. When the run step reaches that place,
/// the batch's items run one after another, each in its turn. The emptied
/// batch is kept (`spares`) and handed to a later take, which gives it to
/// the producers to fill: the buffers go round, and a loop that keeps up
/// with its producers allocates nothing for them.
///
/// The loop runs a *snapshot*: it reads the length once, then pops that many
/// entries, so a task that wakes itself again goes to the back and waits for
/// the next iteration (see `run_loop`).
#[derive(Debug, Default)]
pub(super) struct ReadyQueue {
    /// Every place, oldest at the front: a task, or `None` for the batch at
    /// the front of `batches`.
    order: RefCell<VecDeque<Option<TaskRef>>>,
    /// The batches taken from the injection queue, oldest at the front, one
    /// for each `None` in `order`; never empty.
    batches: RefCell<VecDeque<VecDeque<Injected>>>,
    /// The items of every batch beyond the one its place in `order`
    /// counts, so that the entries are `order.len() + extra`.
    extra: Cell<usize>,
    /// Emptied batches, for later takes; at most `SPARES`. (A `VecDeque`,
    /// as `batches` is, so that both share one copy of its code.)
    spares: RefCell<VecDeque<VecDeque<Injected>>>,
}

/// One entry of the ready queue, as it is popped.
pub(super) enum Entry {
    /// A task to run once: poll its future, or drop it if cancelled.
    Task(TaskRef),
    /// The next item of the front batch: take it with `pop_injected`.
    Injected,
}

/// One entry, as the run step runs it.
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

    /// An empty buffer for the next take, with the allocation of a batch
    /// emptied before, if one was kept.
    pub(super) fn spare(&self) -> VecDeque<Injected> {
        self.spares.borrow_mut().pop_back().unwrap_or_default()
    }

    /// Queues `batch`, what a take put in the buffer [`spare`] gave, after
    /// everything queued so far; an empty one goes back to be the spare.
    ///
    /// [`spare`]: ReadyQueue::spare
    pub(super) fn push_batch(&self, batch: VecDeque<Injected>) {
        let taken = batch.len();
        if taken == 0 {
            self.keep_spare(batch);
            return;
        }
        self.batches.borrow_mut().push_back(batch);
        self.order.borrow_mut().push_back(None);
        self.extra.set(self.extra.get() + taken - 1);
    }

    // Inlined, so that the entry reaches the run in registers.
    #[inline(always)]
    pub(super) fn pop(&self) -> Option<Entry> {
        let mut order = self.order.borrow_mut();
        match order.pop_front()? {
            Some(task) => Some(Entry::Task(task)),
            None => {
                // The batch keeps its place until its last item is taken.
                let left = self.batches.borrow().front().map_or(0, VecDeque::len);
                if left > 1 {
                    order.push_front(None);
                    self.extra.set(self.extra.get() - 1);
                }
                Some(Entry::Injected)
            }
        }
    }

    /// The next item of the front batch, after `pop` returned
    /// `Entry::Injected`; an emptied batch is kept for the next take.
    pub(super) fn pop_injected(&self) -> Injected {
        let mut batches = self.batches.borrow_mut();
        let batch = batches.front_mut().expect("a batch for each place");
        let item = batch.pop_front().expect("a batch is never empty");
        if batch.is_empty() {
            let emptied = batches.pop_front().expect("the front batch");
            drop(batches);
            self.keep_spare(emptied);
        }
        item
    }

    /// Keeps an empty buffer for a later take, unless enough are kept or
    /// it grew past `MAX_SPARE`.
    fn keep_spare(&self, buffer: VecDeque<Injected>) {
        let mut spares = self.spares.borrow_mut();
        if spares.len() < SPARES && buffer.capacity() <= MAX_SPARE && buffer.capacity() > 0 {
            spares.push_back(buffer);
        }
    }

    pub(super) fn len(&self) -> usize {
        self.order.borrow().len() + self.extra.get()
    }

    /// Gives back the room a burst made the queue grow to, as the loop
    /// goes to sleep with the queue empty: a loop that once had 100,000
    /// tasks ready would otherwise hold their 800 KB for the rest of its
    /// life. A queue that never grew past `MAX_KEPT_PLACES` keeps its
    /// room, so a loop whose usual backlog fits there never reallocates;
    /// one that grew past it starts again from nothing, and grows to its
    /// next burst as it first did. A loop that stays busy keeps the room
    /// of its backlog, which it is using.
    ///
    /// Only as the loop sleeps, not as each run step ends: there it costs
    /// nothing on the hot path, and its code is a comparison and a drop.
    pub(super) fn trim_idle(&self) {
        let mut order = self.order.borrow_mut();
        if order.capacity() > MAX_KEPT_PLACES {
            debug_assert!(order.is_empty(), "trimmed with entries queued");
            *order = VecDeque::new();
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        // A batch is never empty, and has its place in `order`.
        self.order.borrow().is_empty()
    }

    /// Empties the queue, releasing each task entry's reference and
    /// dropping the items of every batch; returns how many items that was.
    /// The entries are dropped after the borrows end: freeing a task runs
    /// destructors, and none of them may find the queue borrowed.
    pub(super) fn clear(&self) -> usize {
        let order = std::mem::take(&mut *self.order.borrow_mut());
        let batches = std::mem::take(&mut *self.batches.borrow_mut());
        self.extra.set(0);
        let items = batches.iter().map(VecDeque::len).sum();
        drop((order, batches));
        items
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
    use crate::core::context::with_core;

    #[test]
    fn a_task_entry_is_one_pointer() {
        assert_eq!(size_of::<Option<TaskRef>>(), size_of::<usize>());
    }

    /// The room of the current loop's queue, in places.
    fn room() -> usize {
        with_core(|core| core.ready.order.borrow().capacity()).expect("on a loop")
    }

    /// A burst of ready tasks grows the queue; once the loop has gone to
    /// sleep, the room is given back.
    #[test]
    fn a_burst_gives_its_room_back_when_the_loop_sleeps() {
        crate::Runtime::new().unwrap().block_on(async {
            let burst = 4 * MAX_KEPT_PLACES;
            let tasks: Vec<_> = (0..burst).map(|_| crate::spawn(async {})).collect();
            assert!(room() >= burst);
            for task in tasks {
                task.await.unwrap();
            }
            crate::yield_now().await;
            assert!(room() >= burst, "kept while the loop is busy");
            tether_reactor::time::sleep(std::time::Duration::from_millis(1)).await;
            // Room for what woke since: this task.
            assert!(room() < MAX_KEPT_PLACES, "kept {}", room());
        });
    }

    /// A backlog that fits in `MAX_KEPT_PLACES` keeps its room: the queue
    /// does not reallocate for a loop's usual bursts.
    #[test]
    fn a_burst_that_fits_keeps_its_room() {
        crate::Runtime::new().unwrap().block_on(async {
            let tasks: Vec<_> = (0..MAX_KEPT_PLACES - 1)
                .map(|_| crate::spawn(async {}))
                .collect();
            let grown = room();
            for task in tasks {
                task.await.unwrap();
            }
            tether_reactor::time::sleep(std::time::Duration::from_millis(1)).await;
            assert_eq!(room(), grown);
        });
    }
}
