//! Waiting for several tasks at once: `join_all`, `select`, `race` and
//! `as_completed`.
//!
//! asyncio's `gather`, `wait(..., return_when=FIRST_COMPLETED)` and
//! `as_completed`, over [`JoinHandle`]s. The tasks run on their own
//! whatever these functions do; the functions only decide in which order
//! their results are seen, and which tasks are cancelled when the waiting
//! stops.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::fmt;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use crate::{JoinError, JoinHandle, spawn};

/// Waits for every task, and gives their results in the order of the
/// handles, whatever order they finished in.
///
/// asyncio: `await asyncio.gather(*tasks, return_exceptions=True)`.
///
/// A task's panic or cancellation is its result, as an `Err`: nothing stops
/// early. If the `join_all` future is dropped after its first poll and
/// before it finishes, the tasks not finished yet are cancelled, as a
/// cancelled `gather` cancels its children, and a panic of one that had
/// finished goes to the exception handler, as that of a `JoinHandle`
/// dropped unread; dropped before it was ever polled, it drops the
/// handles, which detaches the tasks.
///
/// # Examples
///
/// ```
/// tether::run(async {
///     let tasks: Vec<_> = [30, 10, 20]
///         .into_iter()
///         .map(|ms| {
///             tether::spawn(async move {
///                 tether::time::sleep(std::time::Duration::from_millis(ms)).await;
///                 ms
///             })
///         })
///         .collect();
///     let results = tether::task::join_all(tasks).await;
///     let results: Vec<u64> = results.into_iter().map(Result::unwrap).collect();
///     assert_eq!(results, [30, 10, 20]);
/// });
/// ```
pub async fn join_all<T>(
    handles: impl IntoIterator<Item = JoinHandle<T>>,
) -> Vec<Result<T, JoinError>> {
    let mut handles = CancelOnDrop(handles.into_iter().collect());
    // The tasks run concurrently on their own: waiting for them one after
    // the other takes as long as waiting for the last to finish. Their
    // outputs stay in them until every one has finished.
    for handle in &mut handles.0 {
        handle.finished().await;
    }
    std::mem::take(&mut handles.0)
        .into_iter()
        .map(output_of_finished)
        .collect()
}

/// The output of a task that has finished, taken from its handle.
fn output_of_finished<T>(mut handle: JoinHandle<T>) -> Result<T, JoinError> {
    let mut cx = Context::from_waker(Waker::noop());
    match Pin::new(&mut handle).poll(&mut cx) {
        Poll::Ready(output) => output,
        Poll::Pending => unreachable!("the task has finished"),
    }
}

/// Waits for the first of `futures` to finish, and returns its output, its
/// index, and the others, not finished, to wait for further or to drop.
///
/// asyncio: `asyncio.wait(tasks, return_when=FIRST_COMPLETED)`.
///
/// Works on any futures that are `Unpin`: [`JoinHandle`]s (the tasks go on
/// running unless they are cancelled; [`race`] cancels them), `&mut` of a
/// pinned future, boxed futures. The futures are polled in index order, so
/// if several are ready at once the first of them wins.
///
/// # Panics
///
/// Panics if `futures` is empty: there would be nothing to wait for.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use tether::time::sleep;
///
/// tether::run(async {
///     let slow = tether::spawn(async { sleep(Duration::from_secs(60)).await; "slow" });
///     let fast = tether::spawn(async { sleep(Duration::from_millis(1)).await; "fast" });
///     let (first, index, rest) = tether::task::select([slow, fast]).await;
///     assert_eq!((first.unwrap(), index), ("fast", 1));
///     // `rest` holds the slow task, still running.
///     assert!(rest[0].cancel());
/// });
/// ```
pub async fn select<F: Future + Unpin>(
    futures: impl IntoIterator<Item = F>,
) -> (F::Output, usize, Vec<F>) {
    let mut futures: Vec<F> = futures.into_iter().collect();
    assert!(
        !futures.is_empty(),
        "tether::task::select needs at least one future"
    );
    let (output, index) = poll_fn(|cx| {
        for (index, future) in futures.iter_mut().enumerate() {
            if let Poll::Ready(output) = Pin::new(future).poll(cx) {
                return Poll::Ready((output, index));
            }
        }
        Poll::Pending
    })
    .await;
    futures.remove(index);
    (output, index, futures)
}

/// Waits for the first task to finish, cancels the others, and returns its
/// result and its index.
///
/// asyncio: `asyncio.wait(tasks, return_when=FIRST_COMPLETED)`, then
/// `cancel()` on the tasks still pending.
///
/// If the `race` future is dropped after its first poll and before a task
/// finishes, every task is cancelled; dropped before it was ever polled,
/// it drops the handles, which detaches the tasks.
///
/// # Panics
///
/// Panics if `handles` is empty.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use tether::time::sleep;
///
/// tether::run(async {
///     let slow = tether::spawn(async { sleep(Duration::from_secs(60)).await; "slow" });
///     let fast = tether::spawn(async { sleep(Duration::from_millis(1)).await; "fast" });
///     let (winner, index) = tether::task::race([slow, fast]).await;
///     assert_eq!((winner.unwrap(), index), ("fast", 1));
/// });
/// ```
pub async fn race<T>(
    handles: impl IntoIterator<Item = JoinHandle<T>>,
) -> (Result<T, JoinError>, usize) {
    let mut handles = CancelOnDrop(handles.into_iter().collect());
    let (output, index, _) = select(handles.0.iter_mut()).await;
    // Dropping `handles` cancels the losers (the winner has finished).
    (output, index)
}

/// The results of tasks, in the order the tasks finish.
///
/// asyncio: `for coro in asyncio.as_completed(tasks): result = await coro`.
///
/// Each handle is handed to a small task of its own that waits for it to
/// finish and passes it on, so that a result is found in O(1) however many
/// tasks there are (rather than by polling every handle at each wakeup).
/// Dropping the `AsCompleted` stops those helpers; the tasks themselves go
/// on running, as they do when asyncio's iterator is abandoned. A panic
/// among the results not handed out goes to the exception handler, as
/// that of a `JoinHandle` dropped unread.
///
/// With the `futures` feature it is also a `futures_core::Stream`.
///
/// # Panics
///
/// Panics outside a running loop, as [`spawn`] does.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use tether::time::sleep;
///
/// tether::run(async {
///     let tasks = [30, 10, 20].map(|ms| {
///         tether::spawn(async move {
///             sleep(Duration::from_millis(ms)).await;
///             ms
///         })
///     });
///     let mut done = tether::task::as_completed(tasks);
///     let mut order = Vec::new();
///     while let Some(result) = done.next().await {
///         order.push(result.unwrap());
///     }
///     assert_eq!(order, [10, 20, 30]);
/// });
/// ```
pub fn as_completed<T: 'static>(
    handles: impl IntoIterator<Item = JoinHandle<T>>,
) -> AsCompleted<T> {
    let done = Rc::new(Finished {
        results: RefCell::new(VecDeque::new()),
        waker: Cell::new(None),
    });
    let helpers: Vec<JoinHandle<()>> = handles
        .into_iter()
        .map(|handle| {
            let done = done.clone();
            spawn(async move {
                let mut handle = handle;
                handle.finished().await;
                done.results.borrow_mut().push_back(handle);
                if let Some(waker) = done.waker.take() {
                    waker.wake();
                }
            })
        })
        .collect();
    AsCompleted {
        remaining: helpers.len(),
        done,
        helpers,
    }
}

/// The results of [`as_completed`]'s tasks, in the order they finished.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use tether::task::AsCompleted;
///
/// tether::run(async {
///     let slow = tether::spawn(async {
///         tether::time::sleep(Duration::from_secs(60)).await;
///         "slow"
///     });
///     let fast = tether::spawn(async { "fast" });
///     let mut done: AsCompleted<&str> = tether::task::as_completed([slow, fast]);
///     assert_eq!(done.remaining(), 2);
///     assert_eq!(done.next().await.unwrap().unwrap(), "fast");
///     assert_eq!(done.remaining(), 1); // the slow one, still running
/// });
/// ```
#[must_use = "the results are only seen by calling `next`"]
pub struct AsCompleted<T> {
    /// Results not yet handed out, and who to wake for the next one.
    done: Rc<Finished<T>>,
    /// Results still to hand out, delivered or not.
    remaining: usize,
    /// The tasks that wait for each handle.
    helpers: Vec<JoinHandle<()>>,
}

/// What [`as_completed`]'s helpers deliver to.
struct Finished<T> {
    /// The tasks that finished, in that order, their results still in them.
    results: RefCell<VecDeque<JoinHandle<T>>>,
    /// The task waiting in `next`, if any.
    waker: Cell<Option<Waker>>,
}

impl<T> AsCompleted<T> {
    /// The next task's result, in finishing order; `None` once every
    /// result has been handed out.
    ///
    /// # Examples
    ///
    /// ```
    /// tether::run(async {
    ///     let cancelled = tether::spawn(std::future::pending::<u32>());
    ///     cancelled.cancel();
    ///     let mut done = tether::task::as_completed([cancelled]);
    ///     assert!(done.next().await.unwrap().unwrap_err().is_cancelled());
    ///     assert!(done.next().await.is_none()); // every result handed out
    /// });
    /// ```
    pub async fn next(&mut self) -> Option<Result<T, JoinError>> {
        poll_fn(|cx| self.poll_next_result(cx)).await
    }

    /// How many results are still to come. Shown in
    /// [`AsCompleted`'s example](AsCompleted#examples).
    pub fn remaining(&self) -> usize {
        self.remaining
    }

    /// `next`, as a poll function.
    fn poll_next_result(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<T, JoinError>>> {
        if self.remaining == 0 {
            return Poll::Ready(None);
        }
        let finished = self.done.results.borrow_mut().pop_front();
        match finished {
            Some(handle) => {
                self.remaining -= 1;
                Poll::Ready(Some(output_of_finished(handle)))
            }
            None => {
                self.done.waker.set(Some(cx.waker().clone()));
                Poll::Pending
            }
        }
    }
}

impl<T> Drop for AsCompleted<T> {
    fn drop(&mut self) {
        // Each helper drops its handle, which detaches the task it waited
        // for: that task goes on running.
        for helper in &self.helpers {
            helper.cancel();
        }
    }
}

impl<T> fmt::Debug for AsCompleted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsCompleted")
            .field("remaining", &self.remaining)
            .finish_non_exhaustive()
    }
}

/// The results in finishing order, as a stream (the `futures` feature).
#[cfg(feature = "futures")]
impl<T> futures_core::Stream for AsCompleted<T> {
    type Item = Result<T, JoinError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_next_result(cx)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

/// Handles whose tasks are cancelled if the handles are dropped first.
struct CancelOnDrop<T>(VecDeque<JoinHandle<T>>);

impl<T> Drop for CancelOnDrop<T> {
    fn drop(&mut self) {
        for handle in &self.0 {
            handle.cancel();
        }
    }
}
