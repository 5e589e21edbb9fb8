//! The errors of [`Queue`](super::Queue)'s operations.

use std::fmt;

/// The item a full queue did not take, handed back by
/// [`Queue::try_put`](super::Queue::try_put).
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
