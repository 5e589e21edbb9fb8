//! `Queue`: a FIFO of items between the loop's tasks, bounded or not.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::fmt;

use super::wait_list::WaitList;

mod error;
mod get;
mod join;
mod put;

pub use error::{Full, TaskDoneError};
pub use get::Get;
pub use join::Join;
pub use put::Put;

/// A first-in, first-out queue of items between the loop's tasks.
///
/// asyncio: `asyncio.Queue`. `Queue::bounded(n)` is `Queue(maxsize=n)`,
/// `Queue::unbounded()` is `Queue()`.
///
/// [`get`](Queue::get) waits while the queue is empty; on a bounded queue
/// [`put`](Queue::put) waits while it is full. Waiting getters, and waiting
/// putters, are served in the order they came.
///
/// The queue also counts the items put and not yet marked done with
/// [`task_done`](Queue::task_done), so that [`join`](Queue::join) can wait
/// until every item has been handled, not only taken.
///
/// Cancellation-safe on both sides: an item stays in the queue until a
/// `get` returns it, so a getter dropped at any point loses nothing, and a
/// waiter dropped after it was told to go on tells the next one instead.
/// A `put` dropped before it finished leaves the item out (it is dropped
/// with the future), as in asyncio.
///
/// Loop-local: share it between the loop's tasks with an `Rc`.
///
/// # Examples
///
/// ```
/// use std::rc::Rc;
/// use tether::sync::Queue;
///
/// tether::run(async {
///     let queue = Rc::new(Queue::bounded(2));
///     assert_eq!(queue.capacity(), Some(2));
///     let producer = tether::spawn({
///         let queue = queue.clone();
///         async move {
///             for i in 0..5 {
///                 queue.put(i).await; // waits while two are queued
///             }
///         }
///     });
///     tether::yield_now().await;
///     assert_eq!(queue.len(), 2); // the producer waits for room
///     assert!(queue.is_full());
///     let mut got = Vec::new();
///     for _ in 0..5 {
///         got.push(queue.get().await);
///     }
///     producer.await.unwrap();
///     assert_eq!(got, [0, 1, 2, 3, 4]);
///     assert!(queue.is_empty());
///
///     // An unbounded queue is never full: `put` never waits.
///     let backlog = Queue::unbounded();
///     assert_eq!(backlog.capacity(), None);
///     for i in 0..1000 {
///         backlog.try_put(i).unwrap();
///     }
///     assert!(!backlog.is_full());
/// });
/// ```
pub struct Queue<T> {
    /// The most items queued at once; `None` for no limit.
    capacity: Option<usize>,
    /// The items and the waiters.
    state: RefCell<State<T>>,
}

/// A [`Queue`]'s items and lines.
struct State<T> {
    /// Items put and not yet marked done with `task_done`: the queued
    /// items, and those taken and still being handled.
    unfinished: usize,
    /// The tasks waiting in `join`, all notified when `unfinished` reaches 0.
    joiners: WaitList,
    /// The items, oldest first.
    items: VecDeque<T>,
    /// Tasks waiting for an item; a notified one goes on to take one.
    getters: WaitList,
    /// Tasks waiting for room; a notified one goes on to put its item.
    putters: WaitList,
}

impl<T> Queue<T> {
    /// A queue with no limit: `put` never waits. Shown in
    /// [`Queue`'s example](Queue#examples).
    pub fn unbounded() -> Self {
        Self::with_capacity(None)
    }

    /// A queue of at most `capacity` items: `put` waits while it is full.
    ///
    /// # Panics
    ///
    /// Panics if `capacity` is zero. (asyncio reads a zero `maxsize` as no
    /// limit; here that is [`Queue::unbounded`].)
    ///
    /// # Examples
    ///
    /// ```
    /// let queue = tether::sync::Queue::bounded(2);
    /// assert_eq!(queue.capacity(), Some(2));
    /// queue.try_put(1).unwrap();
    /// queue.try_put(2).unwrap();
    /// assert!(queue.is_full());
    /// assert!(queue.try_put(3).is_err());
    /// ```
    pub fn bounded(capacity: usize) -> Self {
        assert!(capacity > 0, "a bounded queue holds at least one item");
        Self::with_capacity(Some(capacity))
    }

    fn with_capacity(capacity: Option<usize>) -> Self {
        Self {
            capacity,
            state: RefCell::new(State {
                unfinished: 0,
                joiners: WaitList::default(),
                items: VecDeque::new(),
                getters: WaitList::default(),
                putters: WaitList::default(),
            }),
        }
    }

    /// Puts `item` at the back, waiting while the queue is full.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    /// use tether::sync::Queue;
    ///
    /// tether::run(async {
    ///     let queue = Rc::new(Queue::bounded(1));
    ///     queue.put("a").await;
    ///     let putter = tether::spawn({
    ///         let queue = queue.clone();
    ///         async move { queue.put("b").await }
    ///     });
    ///     tether::yield_now().await;
    ///     assert!(!putter.is_finished()); // full: it waits
    ///     assert_eq!(queue.get().await, "a");
    ///     putter.await.unwrap();
    ///     assert_eq!(queue.get().await, "b");
    /// });
    /// ```
    pub fn put(&self, item: T) -> Put<'_, T> {
        Put::new(self, item)
    }

    /// Takes the item at the front, waiting while the queue is empty.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    /// use tether::sync::Queue;
    ///
    /// tether::run(async {
    ///     let jobs = Rc::new(Queue::unbounded());
    ///     let getter = tether::spawn({
    ///         let jobs = jobs.clone();
    ///         async move { jobs.get().await }
    ///     });
    ///     tether::yield_now().await;
    ///     assert!(!getter.is_finished()); // empty: it waits
    ///     jobs.put("job").await;
    ///     assert_eq!(getter.await.unwrap(), "job");
    /// });
    /// ```
    pub fn get(&self) -> Get<'_, T> {
        Get::new(self)
    }

    /// Puts `item` at the back if there is room and no task is waiting to
    /// put; otherwise hands it back.
    ///
    /// # Errors
    ///
    /// [`Full`], with the item, if the queue is full.
    ///
    /// # Examples
    ///
    /// ```
    /// use tether::sync::{Full, Queue};
    ///
    /// let queue = Queue::bounded(1);
    /// assert_eq!(queue.try_put(1), Ok(()));
    /// assert_eq!(queue.try_put(2), Err(Full(2)));
    /// assert_eq!(queue.try_get(), Some(1));
    /// ```
    pub fn try_put(&self, item: T) -> Result<(), Full<T>> {
        let mut state = self.state.borrow_mut();
        if self.is_full_now(&state) || !state.putters.is_empty() {
            return Err(Full(item));
        }
        state.push(item);
        Ok(())
    }

    /// Takes the item at the front, if there is one.
    ///
    /// # Examples
    ///
    /// ```
    /// let queue = tether::sync::Queue::unbounded();
    /// assert_eq!(queue.try_get(), None);
    /// queue.try_put("a").unwrap();
    /// queue.try_put("b").unwrap();
    /// assert_eq!(queue.try_get(), Some("a")); // first in, first out
    /// ```
    pub fn try_get(&self) -> Option<T> {
        let mut state = self.state.borrow_mut();
        let item = state.items.pop_front()?;
        state.putters.notify_one();
        Some(item)
    }

    /// The items in the queue now. Shown in [`Queue`'s example](Queue#examples).
    pub fn len(&self) -> usize {
        self.state.borrow().items.len()
    }

    /// Whether the queue holds no item. Shown in [`Queue`'s example](Queue#examples).
    pub fn is_empty(&self) -> bool {
        self.state.borrow().items.is_empty()
    }

    /// Whether a `put` would wait now. Shown in [`Queue`'s example](Queue#examples).
    pub fn is_full(&self) -> bool {
        self.is_full_now(&self.state.borrow())
    }

    /// The most items the queue holds; `None` if unbounded. Shown in
    /// [`Queue`'s example](Queue#examples).
    pub fn capacity(&self) -> Option<usize> {
        self.capacity
    }

    /// Marks one item taken from the queue as handled.
    ///
    /// asyncio: `Queue.task_done()`. Every [`put`](Queue::put) (or
    /// [`try_put`](Queue::try_put)) counts one unfinished item; each call
    /// here counts one off. When none is left, every task waiting in
    /// [`join`](Queue::join) goes on.
    ///
    /// # Errors
    ///
    /// [`TaskDoneError`] if no item is unfinished, that is, if it is called
    /// more times than items were put (asyncio raises `ValueError`). The
    /// count is left at zero.
    ///
    /// # Examples
    ///
    /// ```
    /// use tether::sync::Queue;
    ///
    /// tether::run(async {
    ///     let queue = Queue::unbounded();
    ///     queue.put("job").await;
    ///     let job = queue.get().await;
    ///     assert_eq!(job, "job");
    ///     assert!(queue.task_done().is_ok());
    ///     assert!(queue.task_done().is_err(), "one put, one task_done");
    /// });
    /// ```
    pub fn task_done(&self) -> Result<(), TaskDoneError> {
        let mut state = self.state.borrow_mut();
        state.unfinished = state.unfinished.checked_sub(1).ok_or(TaskDoneError)?;
        if state.unfinished == 0 {
            state.joiners.notify_all();
        }
        Ok(())
    }

    /// Waits until every item put has been marked done with
    /// [`task_done`](Queue::task_done).
    ///
    /// asyncio: `Queue.join()`. Returns at once if none is unfinished. A
    /// task woken because the count reached zero returns even if an item
    /// was put again before it ran, as in asyncio. Dropping the future
    /// while it waits is safe: it only leaves the line.
    ///
    /// # Examples
    ///
    /// Workers take jobs from a queue; the producer waits until all of them
    /// have been handled, then stops the workers:
    ///
    /// ```
    /// use std::cell::Cell;
    /// use std::rc::Rc;
    /// use tether::sync::Queue;
    ///
    /// tether::run(async {
    ///     let jobs = Rc::new(Queue::unbounded());
    ///     let handled = Rc::new(Cell::new(0));
    ///     let workers: Vec<_> = (0..3)
    ///         .map(|_| {
    ///             let (jobs, handled) = (jobs.clone(), handled.clone());
    ///             tether::spawn(async move {
    ///                 loop {
    ///                     let job: u32 = jobs.get().await;
    ///                     tether::yield_now().await; // the work
    ///                     handled.set(handled.get() + job);
    ///                     jobs.task_done().unwrap();
    ///                 }
    ///             })
    ///         })
    ///         .collect();
    ///     for job in 1..=10 {
    ///         jobs.put(job).await;
    ///     }
    ///     jobs.join().await;
    ///     assert_eq!(handled.get(), 55);
    ///     for worker in workers {
    ///         worker.cancel();
    ///     }
    /// });
    /// ```
    pub fn join(&self) -> Join<'_, T> {
        Join::new(self)
    }

    fn is_full_now(&self, state: &State<T>) -> bool {
        self.capacity
            .is_some_and(|capacity| state.items.len() >= capacity)
    }
}

impl<T> State<T> {
    /// Queues an item: one more unfinished, and the first getter in line
    /// told.
    fn push(&mut self, item: T) {
        self.items.push_back(item);
        self.unfinished += 1;
        self.getters.notify_one();
    }
}

impl<T> fmt::Debug for Queue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Queue")
            .field("len", &self.len())
            .field("unfinished", &self.state.borrow().unfinished)
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}
