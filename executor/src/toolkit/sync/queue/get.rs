//! `Get`: the future of [`Queue::get`], which waits in the line of
//! getters while the queue is empty, and fails once it is empty and shut
//! down.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::{GetError, Queue};
use crate::toolkit::sync::wait_list::{Turn, WaiterKey};

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
///     queue.put(7).await.unwrap();
///     assert_eq!(queue.get().await, Ok(7));
/// });
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct Get<'a, T> {
    /// Where the item comes from.
    queue: &'a Queue<T>,
    /// Where this get stands in the line of getters, once it is in it.
    key: Option<WaiterKey>,
}

impl<'a, T> Get<'a, T> {
    /// A get from `queue`, not in the line yet.
    pub(super) fn new(queue: &'a Queue<T>) -> Self {
        Self { queue, key: None }
    }
}

impl<T> Future for Get<'_, T> {
    type Output = Result<T, GetError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let mut state = this.queue.state.borrow_mut();
        let turn = state.getters.turn(&mut this.key, cx.waker());
        if turn == Turn::Waiting {
            return Poll::Pending;
        }
        // Once the queue is shut down, nothing notifies the line again:
        // whoever runs takes what is left.
        let may_take = if state.shut_down {
            !state.items.is_empty()
        } else {
            state.getters.may_take(turn, state.items.len())
        };
        if may_take {
            let item = state.items.pop_front().expect("may_take saw an item");
            state.putters.notify_one();
            return Poll::Ready(Ok(item));
        }
        if state.shut_down && state.items.is_empty() {
            // Shut down and drained: no item will come.
            return Poll::Ready(Err(GetError));
        }
        // Others were waiting first, or no item for this getter (even for
        // one told there was: another task took it).
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
