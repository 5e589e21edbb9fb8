//! `Queue`: a FIFO of items between the loop's tasks, bounded or not.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::wait_list::{Turn, WaitList, WaiterKey};

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

/// The item a full queue did not take, handed back by [`Queue::try_put`].
///
/// # Examples
///
/// ```
/// use tether::sync::{Full, Queue};
///
/// let queue = Queue::bounded(1);
/// queue.try_put("first").unwrap();
/// let Full(item) = queue.try_put("second").unwrap_err();
/// assert_eq!(item, "second"); // handed back
/// assert_eq!(Full(item).to_string(), "the queue is full");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Full<T>(pub T);

impl<T> fmt::Display for Full<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the queue is full")
    }
}

impl<T: fmt::Debug> std::error::Error for Full<T> {}

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
        Put {
            queue: self,
            item: Some(item),
            key: None,
        }
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
        Get {
            queue: self,
            key: None,
        }
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
        Join {
            queue: self,
            key: None,
        }
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

/// The future of [`Queue::put`].
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use tether::sync::{Put, Queue};
/// use tether::time::timeout;
///
/// tether::run(async {
///     let queue = Queue::bounded(1);
///     queue.put(1).await;
///     let put: Put<'_, i32> = queue.put(2);
///     // Full: the put gives up with the timeout, and its item is dropped.
///     assert!(timeout(Duration::from_millis(1), put).await.is_err());
///     assert_eq!(queue.len(), 1);
/// });
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct Put<'a, T> {
    /// Where the item goes.
    queue: &'a Queue<T>,
    /// The item, until it is in the queue.
    item: Option<T>,
    /// Where this put stands in the line of putters, once it is in it.
    key: Option<WaiterKey>,
}

// The item is never pinned: it moves into the queue.
impl<T> Unpin for Put<'_, T> {}

impl<T> Future for Put<'_, T> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        let queue = this.queue;
        let mut state = queue.state.borrow_mut();
        let turn = state.putters.turn(&mut this.key, cx.waker());
        if turn == Turn::Waiting {
            return Poll::Pending;
        }
        let first_in_line = turn == Turn::Notified || state.putters.is_empty();
        if !first_in_line || queue.is_full_now(&state) {
            // Others were waiting first, or no room (even for one told
            // there was: another task took it).
            this.key = Some(state.putters.rejoin(turn, cx.waker()));
            return Poll::Pending;
        }
        let item = this
            .item
            .take()
            .expect("a Put is not polled after it finished");
        state.push(item);
        Poll::Ready(())
    }
}

impl<T> Drop for Put<'_, T> {
    fn drop(&mut self) {
        let Some(key) = self.key else { return };
        let mut state = self.queue.state.borrow_mut();
        if state.putters.remove(key) && !self.queue.is_full_now(&state) {
            // Told there was room, and leaving without using it: tell the
            // next putter.
            state.putters.notify_one();
        }
    }
}

impl<T> fmt::Debug for Put<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Put")
            .field("done", &self.item.is_none())
            .finish_non_exhaustive()
    }
}

/// The future of [`Queue::get`].
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use tether::sync::{Get, Queue};
/// use tether::time::timeout;
///
/// tether::run(async {
///     let queue = Queue::unbounded();
///     let get: Get<'_, i32> = queue.get();
///     // Empty: the get gives up with the timeout, and loses nothing.
///     assert!(timeout(Duration::from_millis(1), get).await.is_err());
///     queue.put(7).await;
///     assert_eq!(queue.get().await, 7);
/// });
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct Get<'a, T> {
    /// Where the item comes from.
    queue: &'a Queue<T>,
    /// Where this get stands in the line of getters, once it is in it.
    key: Option<WaiterKey>,
}

impl<T> Future for Get<'_, T> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let this = &mut *self;
        let mut state = this.queue.state.borrow_mut();
        let turn = state.getters.turn(&mut this.key, cx.waker());
        if turn == Turn::Waiting {
            return Poll::Pending;
        }
        let first_in_line = turn == Turn::Notified || state.getters.is_empty();
        if first_in_line {
            if let Some(item) = state.items.pop_front() {
                state.putters.notify_one();
                return Poll::Ready(item);
            }
        }
        // Others were waiting first, or no item (even for one told there
        // was: another task took it).
        this.key = Some(state.getters.rejoin(turn, cx.waker()));
        Poll::Pending
    }
}

impl<T> Drop for Get<'_, T> {
    fn drop(&mut self) {
        let Some(key) = self.key else { return };
        let mut state = self.queue.state.borrow_mut();
        if state.getters.remove(key) && !state.items.is_empty() {
            // Told there was an item, and leaving without taking it: tell
            // the next getter.
            state.getters.notify_one();
        }
    }
}

impl<T> fmt::Debug for Get<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Get").finish_non_exhaustive()
    }
}

/// The error of [`Queue::task_done`] called more times than items were
/// put.
///
/// # Examples
///
/// ```
/// use tether::sync::{Queue, TaskDoneError};
///
/// let queue: Queue<u8> = Queue::unbounded();
/// assert_eq!(queue.task_done(), Err(TaskDoneError));
/// assert_eq!(
///     TaskDoneError.to_string(),
///     "Queue::task_done called more times than items were put"
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaskDoneError;

impl fmt::Display for TaskDoneError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Queue::task_done called more times than items were put")
    }
}

impl std::error::Error for TaskDoneError {}

/// The future of [`Queue::join`].
///
/// # Examples
///
/// ```
/// use tether::sync::{Join, Queue};
///
/// tether::run(async {
///     let queue = Queue::unbounded();
///     queue.put(1).await;
///     queue.get().await;
///     let join: Join<'_, i32> = queue.join();
///     queue.task_done().unwrap();
///     join.await;
/// });
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct Join<'a, T> {
    /// The queue waited on.
    queue: &'a Queue<T>,
    /// Its place among the joiners, once it waits.
    key: Option<WaiterKey>,
}

impl<T> Future for Join<'_, T> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        let state = &mut *this.queue.state.borrow_mut();
        let done = state.unfinished == 0;
        state
            .joiners
            .poll_all_notified(&mut this.key, cx.waker(), done)
    }
}

impl<T> Drop for Join<'_, T> {
    fn drop(&mut self) {
        if let Some(key) = self.key {
            // Every joiner is notified at once: nothing to pass on.
            self.queue.state.borrow_mut().joiners.remove(key);
        }
    }
}

impl<T> fmt::Debug for Join<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Join")
            .field("waiting", &self.key.is_some())
            .finish_non_exhaustive()
    }
}
