//! `spawn_blocking`: work that would block the loop, on the blocking pool.

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};

use super::thread_future::ThreadFuture;
use crate::core::{self, Shared};
use crate::task::JoinError;

tether_bridge::sync::const_thread_local! {
    /// The loop whose blocking job this thread is running: the address of
    /// its `Shared`, compared and never followed; 0 if none.
    static JOB_OF: Cell<usize> = Cell::new(0);
}

/// Whether this thread is running a blocking job of the loop `shared`.
/// That loop's shutdown waits for the job, so the thread must not wait for
/// the loop's end (`LoopThread::stop` asks, and does not join).
pub(crate) fn runs_a_job_of(shared: &Shared) -> bool {
    JOB_OF.with(Cell::get) == std::ptr::from_ref(shared) as usize
}

/// Marks this thread as running a blocking job of a loop until dropped.
struct JobOf {
    /// What the mark was before.
    previous: usize,
}

impl JobOf {
    fn enter(shared: usize) -> Self {
        Self {
            previous: JOB_OF.with(|job_of| job_of.replace(shared)),
        }
    }
}

impl Drop for JobOf {
    fn drop(&mut self) {
        JOB_OF.with(|job_of| job_of.set(self.previous));
    }
}

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
    let submitted = core::with_core(|core| {
        let loop_id = std::ptr::from_ref::<Shared>(core.shared()) as usize;
        let job = move || {
            let _job_of = JobOf::enter(loop_id);
            catch_unwind(AssertUnwindSafe(f)).map_err(JoinError::Panicked)
        };
        // Refused by a pool that is shut down: cancelled.
        let completion = core
            .blocking_pool()
            .spawn_answered(job, || Err(JoinError::Cancelled));
        (completion, core.shared().clone())
    });
    let Some((completion, shared)) = submitted else {
        panic!(
            "tether::spawn_blocking called on a thread with no running tether loop; call it \
             from inside Runtime::block_on, tether::run or a task"
        );
    };
    ThreadFuture::for_job(completion, shared)
}
