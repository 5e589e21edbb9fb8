//! `Join`: the future of [`Queue::join`], which waits until every item
//! put has been marked done.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::Queue;
use crate::toolkit::sync::wait_list::WaiterKey;

/// The future of [`Queue::join`].
///
/// # Examples
///
/// ```
/// use tether::sync::{Join, Queue};
///
/// tether::run(async {
///     let queue = Queue::unbounded();
///     queue.put(1).await.unwrap();
///     queue.get().await.unwrap();
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

impl<'a, T> Join<'a, T> {
    /// A join of `queue`, not in the line yet.
    pub(super) fn new(queue: &'a Queue<T>) -> Self {
        Self { queue, key: None }
    }
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
