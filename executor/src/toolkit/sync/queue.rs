//! `Queue`: a FIFO of items between the loop's tasks, bounded or not.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::fmt;

use super::wait_list::WaitList;

mod error;
mod get;
mod join;
mod put;

pub use error::{GetError, PutError, TaskDoneError, TryGetError, TryPutError};
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
/// putters, are served in the order they came; one woken for an item (or
/// room) that another task took before it ran waits again in its place.
///
/// The queue also counts the items put and not yet marked done with
/// [`task_done`](Queue::task_done), so that [`join`](Queue::join) can wait
/// until every item has been handled, not only taken.
///
/// [`shutdown`](Queue::shutdown) says that no more items will come: `put`
/// fails from then on, and `get` fails once the items left are taken, so
/// that consumers written as `while let Ok(item) = queue.get().await` end.
/// [`shutdown_immediate`](Queue::shutdown_immediate) also takes out the
/// items left, so that `get` fails at once.
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
///                 queue.put(i).await.unwrap(); // waits while two are queued
///             }
///             queue.shutdown(); // no more items
///         }
///     });
///     tether::yield_now().await;
///     assert_eq!(queue.len(), 2); // the producer waits for room
///     assert!(queue.is_full());
///     let mut got = Vec::new();
///     while let Ok(item) = queue.get().await {
///         got.push(item);
///     }
///     // Ends once the producer shut the queue down and the items are taken.
///     producer.await.unwrap();
///     assert_eq!(got, [0, 1, 2, 3, 4]);
///     assert!(queue.is_empty() && queue.is_shut_down());
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
///
/// # Invariant
///
/// Once `shut_down` is set, `putters` and `getters` stay empty: `shutdown`
/// notifies everyone in them, and no `put` or `get` joins them after it
/// (a `put` fails at once, a `get` takes an item or fails).
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
    /// Set by `shutdown`, never cleared: no item is put from then on.
    shut_down: bool,
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
                shut_down: false,
            }),
        }
    }

    /// Puts `item` at the back, waiting while the queue is full.
    ///
    /// # Errors
    ///
    /// [`PutError`], with the item, if the queue is shut down: at once if
    /// it already was, or when [`shutdown`](Queue::shutdown) is called
    /// while this put waits for room.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    /// use tether::sync::{PutError, Queue};
    ///
    /// tether::run(async {
    ///     let queue = Rc::new(Queue::bounded(1));
    ///     queue.put("a").await.unwrap();
    ///     let putter = tether::spawn({
    ///         let queue = queue.clone();
    ///         async move { queue.put("b").await }
    ///     });
    ///     tether::yield_now().await;
    ///     assert!(!putter.is_finished()); // full: it waits
    ///     assert_eq!(queue.get().await, Ok("a"));
    ///     putter.await.unwrap().unwrap();
    ///     assert_eq!(queue.get().await, Ok("b"));
    ///
    ///     queue.shutdown();
    ///     assert_eq!(queue.put("c").await, Err(PutError("c"))); // handed back
    /// });
    /// ```
    pub fn put(&self, item: T) -> Put<'_, T> {
        Put::new(self, item)
    }

    /// Takes the item at the front, waiting while the queue is empty.
    ///
    /// # Errors
    ///
    /// [`GetError`] if the queue is shut down and holds no item: at once if
    /// it already was, or when [`shutdown`](Queue::shutdown) is called
    /// while this get waits. Until the queue is empty, a shut-down queue
    /// still hands out its items (unless
    /// [`shutdown_immediate`](Queue::shutdown_immediate) took them out).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    /// use tether::sync::{GetError, Queue};
    ///
    /// tether::run(async {
    ///     let jobs = Rc::new(Queue::unbounded());
    ///     let getter = tether::spawn({
    ///         let jobs = jobs.clone();
    ///         async move { jobs.get().await }
    ///     });
    ///     tether::yield_now().await;
    ///     assert!(!getter.is_finished()); // empty: it waits
    ///     jobs.put("job").await.unwrap();
    ///     assert_eq!(getter.await.unwrap(), Ok("job"));
    ///
    ///     jobs.put("last").await.unwrap();
    ///     jobs.shutdown();
    ///     assert_eq!(jobs.get().await, Ok("last")); // what was queued first
    ///     assert_eq!(jobs.get().await, Err(GetError)); // then the error
    /// });
    /// ```
    pub fn get(&self) -> Get<'_, T> {
        Get::new(self)
    }

    /// Puts `item` at the back if there is room, no task is in line to put,
    /// and the queue is not shut down; otherwise hands it back. A putter
    /// already woken for the room but not yet run is out of the line: this
    /// call takes the room, and that putter, finding none, goes back to its
    /// place in the line, as asyncio's `put_nowait` takes it.
    ///
    /// asyncio: `Queue.put_nowait(item)`.
    ///
    /// # Errors
    ///
    /// [`TryPutError::ShutDown`] if the queue is shut down, else
    /// [`TryPutError::Full`] if it is full or other tasks are in line to
    /// put; either holds the item.
    ///
    /// # Examples
    ///
    /// ```
    /// use tether::sync::{Queue, TryPutError};
    ///
    /// let queue = Queue::bounded(1);
    /// assert_eq!(queue.try_put(1), Ok(()));
    /// assert_eq!(queue.try_put(2), Err(TryPutError::Full(2)));
    /// assert_eq!(queue.try_get(), Ok(1));
    /// queue.shutdown();
    /// assert_eq!(queue.try_put(3), Err(TryPutError::ShutDown(3)));
    /// ```
    pub fn try_put(&self, item: T) -> Result<(), TryPutError<T>> {
        let mut state = self.state.borrow_mut();
        if state.shut_down {
            return Err(TryPutError::ShutDown(item));
        }
        if self.is_full_now(&state) || !state.putters.is_empty() {
            return Err(TryPutError::Full(item));
        }
        state.push(item);
        Ok(())
    }

    /// Takes the item at the front, if there is one.
    ///
    /// asyncio: `Queue.get_nowait()`.
    ///
    /// # Errors
    ///
    /// [`TryGetError::Empty`] if the queue holds no item,
    /// [`TryGetError::ShutDown`] if it holds none and is shut down: no item
    /// will come.
    ///
    /// # Examples
    ///
    /// ```
    /// use tether::sync::{Queue, TryGetError};
    ///
    /// let queue = Queue::unbounded();
    /// assert_eq!(queue.try_get(), Err(TryGetError::Empty));
    /// queue.try_put("a").unwrap();
    /// queue.try_put("b").unwrap();
    /// assert_eq!(queue.try_get(), Ok("a")); // first in, first out
    /// queue.shutdown();
    /// assert_eq!(queue.try_get(), Ok("b"));
    /// assert_eq!(queue.try_get(), Err(TryGetError::ShutDown));
    /// ```
    pub fn try_get(&self) -> Result<T, TryGetError> {
        let mut state = self.state.borrow_mut();
        match state.items.pop_front() {
            Some(item) => {
                state.putters.notify_one();
                Ok(item)
            }
            None if state.shut_down => Err(TryGetError::ShutDown),
            None => Err(TryGetError::Empty),
        }
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

    /// Whether [`shutdown`](Queue::shutdown) or
    /// [`shutdown_immediate`](Queue::shutdown_immediate) was called. Shown
    /// in [`Queue`'s example](Queue#examples).
    pub fn is_shut_down(&self) -> bool {
        self.state.borrow().shut_down
    }

    /// Shuts the queue down: it takes no more items, and hands out those it
    /// holds.
    ///
    /// asyncio: `Queue.shutdown()` (Python 3.13).
    ///
    /// From then on, [`put`](Queue::put) and [`try_put`](Queue::try_put)
    /// fail at once and hand their item back, and the tasks waiting in
    /// `put` for room are woken and fail the same way. [`get`](Queue::get)
    /// and [`try_get`](Queue::try_get) go on returning the items still
    /// queued, then fail: a consumer's `while let Ok(item) =
    /// queue.get().await` loop ends once the queue is drained. The tasks
    /// waiting in `get` are woken: each takes an item if one is left, and
    /// fails if not.
    ///
    /// [`task_done`](Queue::task_done) and [`join`](Queue::join) work as
    /// before: `join` waits until every item put has been marked done,
    /// those taken after the shutdown included. Calling `shutdown` again
    /// does nothing.
    ///
    /// # Examples
    ///
    /// A producer ends the consumers' loops by shutting the queue down, and
    /// waits until they have handled what they took:
    ///
    /// ```
    /// use std::cell::RefCell;
    /// use std::rc::Rc;
    /// use tether::sync::Queue;
    ///
    /// tether::run(async {
    ///     let jobs = Rc::new(Queue::bounded(2));
    ///     let done = Rc::new(RefCell::new(Vec::new()));
    ///     let consumers: Vec<_> = (0..2)
    ///         .map(|_| {
    ///             let (jobs, done) = (jobs.clone(), done.clone());
    ///             tether::spawn(async move {
    ///                 // Ends when the queue is shut down and drained.
    ///                 while let Ok(job) = jobs.get().await {
    ///                     tether::yield_now().await; // the work
    ///                     done.borrow_mut().push(job);
    ///                     jobs.task_done().unwrap();
    ///                 }
    ///             })
    ///         })
    ///         .collect();
    ///     for job in 1..=5 {
    ///         jobs.put(job).await.unwrap();
    ///     }
    ///     jobs.shutdown();
    ///     assert!(jobs.try_put(6).is_err()); // no more items
    ///     jobs.join().await; // every job put was handled
    ///     tether::task::join_all(consumers).await;
    ///     done.borrow_mut().sort();
    ///     assert_eq!(*done.borrow(), [1, 2, 3, 4, 5]);
    /// });
    /// ```
    pub fn shutdown(&self) {
        let mut state = self.state.borrow_mut();
        state.shut_down = true;
        // Every waiter goes on and sees the shutdown: putters fail, getters
        // take what is left or fail. This empties both lines for good (the
        // invariant on `State`).
        state.putters.notify_all();
        state.getters.notify_all();
    }

    /// Shuts the queue down and takes out the items it holds: `get` fails
    /// at once too.
    ///
    /// asyncio: `Queue.shutdown(immediate=True)` (Python 3.13).
    ///
    /// Does what [`shutdown`](Queue::shutdown) does, and takes every item
    /// still queued out, returning them oldest first (asyncio drops them;
    /// dropping the `Vec` does the same). Each counts as done, as if
    /// [`task_done`](Queue::task_done) had been called for it, so that
    /// tasks waiting in [`join`](Queue::join) go on once the items taken
    /// before are marked done too: at once if none is still being handled.
    /// The tasks waiting in `get` fail. Calling it again, or after
    /// `shutdown`, takes out what is left.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    /// use tether::sync::{GetError, Queue};
    ///
    /// tether::run(async {
    ///     let jobs = Rc::new(Queue::unbounded());
    ///     for job in ["a", "b", "c"] {
    ///         jobs.put(job).await.unwrap();
    ///     }
    ///     let waiting = tether::spawn({
    ///         let jobs = jobs.clone();
    ///         async move { jobs.join().await }
    ///     });
    ///     tether::yield_now().await;
    ///     assert!(!waiting.is_finished()); // three jobs unfinished
    ///
    ///     // Stop now: the jobs not started come back, and count as done.
    ///     let dropped = jobs.shutdown_immediate();
    ///     assert_eq!(dropped, ["a", "b", "c"]);
    ///     waiting.await.unwrap(); // join returned
    ///     assert_eq!(jobs.get().await, Err(GetError));
    /// });
    /// ```
    pub fn shutdown_immediate(&self) -> Vec<T> {
        let items = {
            let mut state = self.state.borrow_mut();
            let items = std::mem::take(&mut state.items);
            // `task_done` may have been called for an item still queued
            // (it counts items put, not items taken): never go below zero.
            state.unfinished = state.unfinished.saturating_sub(items.len());
            if state.unfinished == 0 {
                state.joiners.notify_all();
            }
            items
        };
        // With the queue empty, the waiting getters fail.
        self.shutdown();
        // Returned rather than dropped here, where the state is borrowed:
        // an item's destructor may use the queue.
        items.into()
    }

    /// Marks one item taken from the queue as handled.
    ///
    /// asyncio: `Queue.task_done()`. Every [`put`](Queue::put) (or
    /// [`try_put`](Queue::try_put)) counts one unfinished item; each call
    /// here counts one off. When none is left, every task waiting in
    /// [`join`](Queue::join) goes on. It works the same on a shut-down
    /// queue.
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
    ///     queue.put("job").await.unwrap();
    ///     let job = queue.get().await.unwrap();
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
    /// [`shutdown_immediate`](Queue::shutdown_immediate) counts the items
    /// it takes out as done.
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
    ///                 while let Ok(job) = jobs.get().await {
    ///                     tether::yield_now().await; // the work
    ///                     handled.set(handled.get() + job);
    ///                     jobs.task_done().unwrap();
    ///                 }
    ///             })
    ///         })
    ///         .collect();
    ///     for job in 1..=10 {
    ///         jobs.put(job).await.unwrap();
    ///     }
    ///     jobs.join().await;
    ///     assert_eq!(handled.get(), 55);
    ///     jobs.shutdown(); // the workers' loops end
    ///     tether::task::join_all(workers).await;
    /// });
    /// ```
    pub fn join(&self) -> Join<'_, T> {
        Join::new(self)
    }

    /// How many more items fit now (`usize::MAX` if unbounded).
    fn room(&self, state: &State<T>) -> usize {
        self.capacity.map_or(usize::MAX, |capacity| {
            capacity.saturating_sub(state.items.len())
        })
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
            .field("shut_down", &self.is_shut_down())
            .finish_non_exhaustive()
    }
}
