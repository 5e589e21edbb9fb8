//! `Put`: the future of [`Queue::put`], which waits in the line of
//! putters while the queue is full, and fails once it is shut down.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::{PutError, Queue};
use crate::toolkit::sync::wait_list::{Turn, WaiterKey};

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
///     queue.put(1).await.unwrap();
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

impl<'a, T> Put<'a, T> {
    /// A put of `item` into `queue`, not in the line yet.
    pub(super) fn new(queue: &'a Queue<T>, item: T) -> Self {
        Self {
            queue,
            item: Some(item),
            key: None,
        }
    }

    /// The item, for the queue or for the error.
    fn take_item(&mut self) -> T {
        self.item
            .take()
            .expect("a Put is not polled after it finished")
    }
}

// The item is never pinned: it moves into the queue.
impl<T> Unpin for Put<'_, T> {}

impl<T> Future for Put<'_, T> {
    type Output = Result<(), PutError<T>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let queue = this.queue;
        let mut state = queue.state.borrow_mut();
        let turn = state.putters.turn(&mut this.key, cx.waker());
        if turn == Turn::Waiting {
            return Poll::Pending;
        }
        if state.shut_down {
            // Before the shutdown, or woken by it (it notifies every
            // putter): either way the item comes back.
            return Poll::Ready(Err(PutError(this.take_item())));
        }
        if !state.putters.may_take(turn, queue.room(&state)) {
            // Others were waiting first, or no room for this putter (even
            // for one told there was: another task took it).
            this.key = Some(state.putters.rejoin(turn, cx.waker()));
            return Poll::Pending;
        }
        state.push(this.take_item());
        Poll::Ready(Ok(()))
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
