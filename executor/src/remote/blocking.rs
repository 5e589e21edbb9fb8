//! `spawn_blocking`: work that would block the loop, on the blocking pool.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use tether_bridge::Completion;

use super::thread_future::{Outcome, ThreadFuture};
use crate::core::{self, Shared};
use crate::task::JoinError;

/// Runs `f` on a thread of the runtime's blocking pool, and returns a
/// [`ThreadFuture`] for its result.
///
/// asyncio: `await loop.run_in_executor(None, f)`, or
/// `await asyncio.to_thread(f)`.
///
/// The pool runs at most [`Builder::max_blocking_threads`] jobs at once;
/// more wait in FIFO order. A panic in `f` becomes
/// [`JoinError::Panicked`]; if nobody reads it (the `ThreadFuture` was
/// dropped or detached), it goes to the loop's exception handler.
///
/// Dropping the `ThreadFuture` of a job that has not started cancels it,
/// as asyncio cancels a queued `run_in_executor` job whose awaiting task
/// is cancelled: it never runs. A job that has started runs to completion.
/// [`ThreadFuture::detach`] lets a job run without anyone waiting for it,
/// and [`ThreadFuture::cancel`] cancels it only if it has not started. (A
/// `ThreadFuture` of [`Handle::spawn`](crate::Handle::spawn) differs:
/// dropping it detaches the task, as with asyncio's
/// `run_coroutine_threadsafe`.)
///
/// When the runtime shuts down, queued jobs never start (they resolve as
/// [`JoinError::Cancelled`]), and running ones get
/// [`Builder::shutdown_timeout`] to finish.
///
/// [`Builder::max_blocking_threads`]: crate::Builder::max_blocking_threads
/// [`Builder::shutdown_timeout`]: crate::Builder::shutdown_timeout
///
/// # Panics
///
/// Panics if no tether loop runs on this thread.
///
/// # Examples
///
/// ```
/// let sum = tether::run(async {
///     let job = tether::spawn_blocking(|| (1..=1000u64).sum::<u64>());
///     job.await.unwrap()
/// });
/// assert_eq!(sum, 500_500);
/// ```
#[track_caller]
pub fn spawn_blocking<F, T>(f: F) -> ThreadFuture<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let Some(shared) = core::with_core(|core| core.shared().clone()) else {
        panic!(
            "tether::spawn_blocking called on a thread with no running tether loop; call it \
             from inside Runtime::block_on, tether::run or a task"
        );
    };
    spawn_blocking_on(&shared, f)
}

/// [`spawn_blocking`] on the pool of the loop whose shared half is `shared`.
pub(crate) fn spawn_blocking_on<F, T>(shared: &Arc<Shared>, f: F) -> ThreadFuture<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let completion = Arc::new(Completion::new());
    let guard = JobGuard(completion.clone());
    let job = Box::new(move || {
        // Cancelled before it began: nothing to do.
        if !guard.0.start() {
            return;
        }
        let outcome = catch_unwind(AssertUnwindSafe(f)).map_err(JoinError::Panicked);
        let _ = guard.0.complete(outcome);
    });
    // Refused only if the pool is shut down, or the OS refused its first
    // thread: the job is dropped, and its guard resolves it as cancelled.
    let _ = shared.blocking_pool().spawn(job);
    ThreadFuture::for_job(completion, shared.clone())
}

/// Resolves a job's `ThreadFuture` as cancelled if the job is dropped
/// without running (the pool shut down first).
struct JobGuard<T>(Arc<Completion<Outcome<T>>>);

impl<T> Drop for JobGuard<T> {
    fn drop(&mut self) {
        // A no-op if the job ran: the cell is complete already.
        let _ = self.0.complete(Err(JoinError::Cancelled));
    }
}
