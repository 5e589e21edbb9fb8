//! The errors of [`Queue`](super::Queue)'s operations, one type per
//! operation.
//!
//! Where asyncio raises `QueueShutDown`, tether returns [`PutError`],
//! [`GetError`] or a `ShutDown` variant; where it raises `QueueFull` or
//! `QueueEmpty`, the `Full` or `Empty` variant. The error of a put holds
//! the item it did not take, so that nothing handed to the queue is lost
//! without the caller seeing it; its `Debug` prints `..` in place of the
//! item, so that no error needs `T: Debug`.

use std::fmt;

/// The item a shut-down queue did not take, handed back by
/// [`Queue::put`](super::Queue::put).
///
/// asyncio: `QueueShutDown`, raised by `put`.
///
/// # Examples
///
/// ```
/// use tether::sync::{PutError, Queue};
///
/// tether::run(async {
///     let queue = Queue::unbounded();
///     queue.shutdown();
///     let PutError(item) = queue.put(String::from("late")).await.unwrap_err();
///     assert_eq!(item, "late"); // handed back
///     let error = PutError(item);
///     assert_eq!(error.to_string(), "the queue is shut down");
///     assert_eq!(format!("{error:?}"), "PutError(..)");
/// });
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PutError<T>(pub T);

impl<T> fmt::Debug for PutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PutError(..)")
    }
}

impl<T> fmt::Display for PutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the queue is shut down")
    }
}

impl<T> std::error::Error for PutError<T> {}

/// Why [`Queue::try_put`](super::Queue::try_put) did not take an item, and
/// the item, handed back.
///
/// asyncio: `QueueFull` and `QueueShutDown`, raised by `put_nowait`.
///
/// # Examples
///
/// ```
/// use tether::sync::{Queue, TryPutError};
///
/// let queue = Queue::bounded(1);
/// queue.try_put("first").unwrap();
/// let full: TryPutError<&str> = queue.try_put("second").unwrap_err();
/// assert!(full.is_full());
/// assert_eq!(full.to_string(), "the queue is full");
/// assert_eq!(full.into_inner(), "second"); // handed back
///
/// queue.shutdown();
/// let shut = queue.try_put("third").unwrap_err();
/// assert!(shut.is_shut_down());
/// assert_eq!(format!("{shut:?}"), "ShutDown(..)");
/// assert_eq!(shut.to_string(), "the queue is shut down");
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum TryPutError<T> {
    /// The queue is full, or other tasks wait to put first.
    Full(T),
    /// The queue is shut down: it takes no more items.
    ShutDown(T),
}

impl<T> TryPutError<T> {
    /// The item that was not put. Shown in
    /// [`TryPutError`'s example](TryPutError#examples).
    pub fn into_inner(self) -> T {
        match self {
            Self::Full(item) | Self::ShutDown(item) => item,
        }
    }

    /// Whether the queue was full. Shown in
    /// [`TryPutError`'s example](TryPutError#examples).
    pub fn is_full(&self) -> bool {
        matches!(self, Self::Full(_))
    }

    /// Whether the queue was shut down. Shown in
    /// [`TryPutError`'s example](TryPutError#examples).
    pub fn is_shut_down(&self) -> bool {
        matches!(self, Self::ShutDown(_))
    }
}

impl<T> fmt::Debug for TryPutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Full(_) => f.write_str("Full(..)"),
            Self::ShutDown(_) => f.write_str("ShutDown(..)"),
        }
    }
}

impl<T> fmt::Display for TryPutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Full(_) => f.write_str("the queue is full"),
            Self::ShutDown(_) => f.write_str("the queue is shut down"),
        }
    }
}

impl<T> std::error::Error for TryPutError<T> {}

/// The error of [`Queue::get`](super::Queue::get) on a queue that is shut
/// down and holds no item: none will come.
///
/// asyncio: `QueueShutDown`, raised by `get`.
///
/// # Examples
///
/// ```
/// use tether::sync::{GetError, Queue};
///
/// tether::run(async {
///     let queue: Queue<u8> = Queue::unbounded();
///     queue.shutdown();
///     assert_eq!(queue.get().await, Err(GetError));
///     assert_eq!(GetError.to_string(), "the queue is shut down and empty");
/// });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GetError;

impl fmt::Display for GetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the queue is shut down and empty")
    }
}

impl std::error::Error for GetError {}

/// Why [`Queue::try_get`](super::Queue::try_get) returned no item.
///
/// asyncio: `QueueEmpty` and `QueueShutDown`, raised by `get_nowait`.
///
/// # Examples
///
/// ```
/// use tether::sync::{Queue, TryGetError};
///
/// let queue: Queue<u8> = Queue::unbounded();
/// assert_eq!(queue.try_get(), Err(TryGetError::Empty)); // wait, or try later
/// assert_eq!(TryGetError::Empty.to_string(), "the queue is empty");
/// queue.shutdown();
/// assert_eq!(queue.try_get(), Err(TryGetError::ShutDown)); // none will come
/// assert_eq!(
///     TryGetError::ShutDown.to_string(),
///     "the queue is shut down and empty"
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TryGetError {
    /// The queue holds no item now.
    Empty,
    /// The queue holds no item and is shut down: none will come.
    ShutDown,
}

impl fmt::Display for TryGetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("the queue is empty"),
            Self::ShutDown => f.write_str("the queue is shut down and empty"),
        }
    }
}

impl std::error::Error for TryGetError {}

/// The error of [`Queue::task_done`](super::Queue::task_done) called more
/// times than items were put.
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
