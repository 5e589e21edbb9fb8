//! `JoinHandle`: the result of a spawned task, and how to cancel it.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use super::raw::JoinRef;
use crate::core;
use crate::id::TaskId;
use crate::observe::panic_message;

/// An owned permission to await a task's output, and to cancel it.
///
/// asyncio: the `Task` that `create_task` returns.
///
/// Awaiting it gives the task's output, or a [`JoinError`] if the task was
/// cancelled or panicked. Dropping it *detaches* the task, which runs on;
/// a panic of a detached task goes to the runtime's exception handler
/// ([`Builder::on_exception`](crate::Builder::on_exception)), and so does
/// a panic the handle held but was dropped without reading (asyncio's
/// "Task exception was never retrieved").
///
/// # Examples
///
/// ```
/// tether::run(async {
///     let first = tether::spawn(async { 1 });
///     let second = tether::spawn(async { 2 });
///     assert!(first.id() < second.id()); // ids follow spawn order
///     assert!(!first.is_finished()); // it starts in the next run step
///     tether::yield_now().await;
///     assert!(first.is_finished());
///     assert_eq!(first.await.unwrap() + second.await.unwrap(), 3);
/// });
/// ```
///
/// A `JoinHandle` belongs to the loop thread of its task: it is neither
/// `Send` nor `Sync`.
///
/// ```compile_fail
/// fn assert_send<T: Send>(_: T) {}
/// tether::run(async {
///     assert_send(tether::spawn(async {}));
/// });
/// ```
pub struct JoinHandle<T> {
    /// The task, typed with its output.
    join: JoinRef<T>,
    /// Loop thread only: the output and the join waker are not thread-safe.
    _not_send: PhantomData<*const ()>,
}

/// Why a task gave no output.
///
/// asyncio: `CancelledError`, or the exception the task raised.
///
/// # Examples
///
/// ```
/// tether::run(async {
///     let cancelled = tether::spawn(std::future::pending::<()>());
///     cancelled.cancel();
///     let error = cancelled.await.unwrap_err();
///     assert!(error.is_cancelled() && !error.is_panicked());
///
///     let panicked = tether::spawn(async { panic!("boom") });
///     let error = panicked.await.unwrap_err();
///     assert!(error.is_panicked() && !error.is_cancelled());
///     assert_eq!(error.panic_message(), Some("boom"));
/// });
/// ```
pub enum JoinError {
    /// The task was cancelled (by [`JoinHandle::cancel`], or because its
    /// runtime shut down) before it finished.
    Cancelled,
    /// The task panicked; here is the panic's payload, as
    /// `std::panic::catch_unwind` gives it.
    Panicked(Box<dyn Any + Send + 'static>),
}

// ===== impl JoinHandle =====

impl<T> JoinHandle<T> {
    pub(crate) fn new(join: JoinRef<T>) -> Self {
        Self {
            join,
            _not_send: PhantomData,
        }
    }

    /// Asks the task to stop: its future is dropped at its next suspension
    /// point (if it is waiting now, at the loop's next run of it), and
    /// awaiting this handle then gives [`JoinError::Cancelled`].
    ///
    /// Returns false if the task had already finished or been cancelled.
    /// A task that finishes during the poll that is running when `cancel` is
    /// called keeps its output.
    ///
    /// The `Cancelled` comes after the cleanup: the future is dropped, with
    /// every destructor it holds, before the task is marked complete, so
    /// whoever sees `Cancelled` knows the future's destructors have run.
    /// (asyncio cannot promise this: its cancelled task runs its cleanup
    /// after `CancelledError` is raised in it.)
    ///
    /// asyncio: `Task.cancel()`.
    ///
    /// # Examples
    ///
    /// ```
    /// tether::run(async {
    ///     let task = tether::spawn(std::future::pending::<()>());
    ///     assert!(task.cancel());
    ///     assert!(!task.cancel()); // already cancelled
    ///     assert!(task.await.unwrap_err().is_cancelled());
    ///
    ///     let done = tether::spawn(async { 1 });
    ///     tether::yield_now().await;
    ///     assert!(!done.cancel()); // too late: it keeps its output
    ///     assert_eq!(done.await.unwrap(), 1);
    /// });
    /// ```
    pub fn cancel(&self) -> bool {
        super::cancel(self.join.task())
    }

    /// Whether the task has finished: returned, panicked or was cancelled.
    /// Shown in [`JoinHandle`'s example](JoinHandle#examples).
    ///
    /// asyncio: `Task.done()`.
    pub fn is_finished(&self) -> bool {
        self.join.task().snapshot().is_complete()
    }

    /// The task's id. Shown in [`JoinHandle`'s example](JoinHandle#examples).
    pub fn id(&self) -> TaskId {
        self.join.task().id()
    }

    /// Waits until the task has finished (returned, panicked or was
    /// cancelled), and leaves its output in place, for this handle's
    /// `await` to take. Dropped unread, a panic in it goes to the
    /// exception handler, as ever.
    ///
    /// asyncio: `await asyncio.wait([task])`, which gives the task back
    /// done, its result not retrieved.
    ///
    /// # Examples
    ///
    /// ```
    /// tether::run(async {
    ///     let mut task = tether::spawn(async { 7 });
    ///     task.finished().await;
    ///     assert!(task.is_finished());
    ///     assert_eq!(task.await.unwrap(), 7); // still there
    /// });
    /// ```
    pub async fn finished(&mut self) {
        std::future::poll_fn(|cx| self.poll_finished(cx)).await;
    }

    /// `finished`, as a poll function: `Ready` once the task is complete,
    /// else `Pending`, and the task's end wakes `cx`'s waker.
    fn poll_finished(&self, cx: &mut Context<'_>) -> Poll<()> {
        let task = self.join.task();
        if task.snapshot().is_complete() {
            return Poll::Ready(());
        }
        let header = task.header();
        let waker = match header.join_waker.take() {
            Some(waker) if waker.will_wake(cx.waker()) => waker,
            _ => cx.waker().clone(),
        };
        header.join_waker.set(Some(waker));
        Poll::Pending
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        ready!(self.poll_finished(cx));
        let output = self
            .join
            .take_output()
            .expect("a JoinHandle was polled after it returned the output");
        Poll::Ready(output)
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        let task = self.join.task();
        // Nobody will poll for the output any more.
        drop(task.header().join_waker.take());
        let before = task.unset_join_interest();
        if before.is_complete() {
            // An output nobody took: drop it here, on the loop thread.
            let (id, kind) = (task.id(), task.header().kind);
            self.join
                .drop_output(&|payload| core::report_panic(Some(id), kind, payload));
        }
        // The `JoinRef` releases the handle's reference.
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("id", &self.id())
            .field("finished", &self.is_finished())
            .finish()
    }
}

// ===== impl JoinError =====

impl JoinError {
    /// Whether the task was cancelled. Shown in
    /// [`JoinError`'s example](JoinError#examples).
    pub fn is_cancelled(&self) -> bool {
        matches!(self, JoinError::Cancelled)
    }

    /// Whether the task panicked. Shown in
    /// [`JoinError`'s example](JoinError#examples).
    pub fn is_panicked(&self) -> bool {
        matches!(self, JoinError::Panicked(_))
    }

    /// The panic's message, if the task panicked with a string (as
    /// `panic!("...")` does).
    ///
    /// # Examples
    ///
    /// ```
    /// tether::run(async {
    ///     let formatted = tether::spawn(async { panic!("error {}", 42) });
    ///     assert_eq!(formatted.await.unwrap_err().panic_message(), Some("error 42"));
    ///
    ///     let not_a_string = tether::spawn(async { std::panic::panic_any(42) });
    ///     assert_eq!(not_a_string.await.unwrap_err().panic_message(), None);
    /// });
    /// ```
    pub fn panic_message(&self) -> Option<&str> {
        match self {
            JoinError::Panicked(payload) => panic_message(payload.as_ref()),
            JoinError::Cancelled => None,
        }
    }

    /// The panic's payload, to re-raise it with
    /// `std::panic::resume_unwind`.
    ///
    /// # Panics
    ///
    /// Panics if the task was cancelled rather than panicked.
    ///
    /// # Examples
    ///
    /// ```
    /// #[derive(Debug, PartialEq)]
    /// struct Errno(i32);
    ///
    /// tether::run(async {
    ///     let task = tether::spawn(async { std::panic::panic_any(Errno(28)) });
    ///     let payload = task.await.unwrap_err().into_panic();
    ///     // To panic on with it: `std::panic::resume_unwind(payload)`.
    ///     assert_eq!(payload.downcast_ref::<Errno>(), Some(&Errno(28)));
    /// });
    /// ```
    pub fn into_panic(self) -> Box<dyn Any + Send + 'static> {
        match self {
            JoinError::Panicked(payload) => payload,
            JoinError::Cancelled => panic!("JoinError::into_panic on a cancelled task"),
        }
    }
}

impl fmt::Debug for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JoinError::Cancelled => f.write_str("Cancelled"),
            JoinError::Panicked(_) => f
                .debug_tuple("Panicked")
                .field(&self.panic_message().unwrap_or(".."))
                .finish(),
        }
    }
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JoinError::Cancelled => f.write_str("task was cancelled"),
            JoinError::Panicked(_) => match self.panic_message() {
                Some(message) => write!(f, "task panicked: {message}"),
                None => f.write_str("task panicked"),
            },
        }
    }
}

impl std::error::Error for JoinError {}
