//! `ThreadFuture`: the result of work handed to a loop, or to the blocking
//! pool, from any thread.

use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use tether_bridge::Completion;
use tether_bridge::sync::{self, Arc, ThreadId};

use crate::core::{self, Injected, RemoteCall, Shared};
use crate::id::{TaskId, TaskKind};
use crate::observe::{Exception, default_handler};
use crate::task::{JoinError, SharedTaskRef, TaskRef};

/// The outcome a `ThreadFuture` waits for.
pub(crate) type Outcome<T> = Result<T, JoinError>;

/// Work done for another thread, and the way to get its result.
///
/// asyncio: `concurrent.futures.Future`, as `run_coroutine_threadsafe` and
/// `run_in_executor` return it.
///
/// Made by [`Handle::spawn`](crate::Handle::spawn),
/// [`Handle::spawn_with`](crate::Handle::spawn_with),
/// [`spawn_blocking`](crate::spawn_blocking) and
/// [`Completer::pair`](crate::Completer::pair). It can be waited on by
/// blocking ([`wait`](ThreadFuture::wait),
/// [`wait_timeout`](ThreadFuture::wait_timeout)), or awaited: it is a
/// `Future + Send + Sync`, so another tether loop, tokio, or
/// `futures::executor::block_on` can await it, and threads can share one
/// (to cancel it, or register done callbacks).
///
/// Dropping it detaches a task, which keeps running on its loop, as
/// asyncio's `run_coroutine_threadsafe` future does. A blocking job that
/// has not started yet is cancelled instead, as asyncio cancels a queued
/// `run_in_executor` job whose awaiting task is cancelled: it never runs
/// (the pool skips it when its turn comes, and drops it then). A job that
/// has started runs to completion. [`detach`](ThreadFuture::detach) lets a
/// queued job run all the same. Either way a panic nobody reads goes to
/// the exception handler of the job's loop.
///
/// # Panics
///
/// Waiting by blocking on the very thread whose loop runs the task panics,
/// instead of hanging forever: that loop could never run it. Await it there
/// instead.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// # fn main() -> std::io::Result<()> {
/// let lt = tether::LoopThread::new()?;
/// let slow = lt.spawn(std::future::pending::<()>()).unwrap();
/// // A task of the loop, which its dump lists by that id.
/// let dump = lt.handle().dump().unwrap();
/// assert!(dump.tasks.iter().any(|task| Some(task.id) == slow.task_id()));
/// // Not done in time: the task keeps running, and comes back.
/// let slow = slow.wait_timeout(Duration::from_millis(5)).unwrap_err();
/// assert!(!slow.is_done());
/// assert!(slow.cancel());
/// assert!(slow.wait().unwrap_err().is_cancelled());
///
/// // Once it is done, `wait` returns at once.
/// let quick = lt.spawn(async { 6 * 7 }).unwrap();
/// while !quick.is_done() {
///     std::thread::sleep(Duration::from_millis(1));
/// }
/// assert_eq!(quick.wait().unwrap(), 42);
///
/// // Awaited from another loop; a job of the blocking pool is no task.
/// let answer = lt.spawn(async { 42 }).unwrap();
/// tether::run(async {
///     assert_eq!(answer.await.unwrap(), 42);
///     let job = tether::spawn_blocking(|| 6 * 7);
///     assert_eq!(job.task_id(), None);
///     assert_eq!(job.await.unwrap(), 42);
/// });
/// # Ok(())
/// # }
/// ```
#[must_use = "dropping a ThreadFuture loses its result, and cancels a blocking job not yet started"]
pub struct ThreadFuture<T> {
    /// Where the result arrives.
    completion: Arc<Completion<Outcome<T>>>,
    /// The work, for `cancel` and the deadlock check.
    work: Work,
}

/// What a `ThreadFuture` waits for.
enum Work {
    /// A task on a loop.
    Task {
        /// The task, to cancel it.
        task: SharedTaskRef,
        /// The thread of its loop: blocking there would never end.
        loop_thread: ThreadId,
    },
    /// A value some thread sets through a [`Completer`](crate::Completer).
    Completer,
    /// A job of the blocking pool.
    Job {
        /// What to do if the `ThreadFuture` goes without taking the
        /// outcome; `None` once it took it.
        unread: Option<Unread>,
    },
}

/// What a job's `ThreadFuture` does if it goes unread: cancel the job if it
/// has not started (unless detached), and see that a panic reaches the
/// loop's exception handler. Made where the outcome's type is known to be
/// `Send`, which the `ThreadFuture`'s `Drop` cannot ask for.
type Unread = Box<dyn FnOnce(Gone) + Send + Sync>;

/// How a job's `ThreadFuture` went.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Gone {
    /// Dropped: a job not started yet is cancelled.
    Dropped,
    /// Detached: the job runs all the same.
    Detached,
}

impl<T> ThreadFuture<T> {
    pub(crate) fn for_task(
        completion: Arc<Completion<Outcome<T>>>,
        task: TaskRef,
        loop_thread: ThreadId,
    ) -> Self {
        Self {
            completion,
            work: Work::Task {
                task: SharedTaskRef::new(task),
                loop_thread,
            },
        }
    }

    /// The `ThreadFuture` a [`Completer`](crate::Completer) completes.
    pub(crate) fn for_completer(completion: Arc<Completion<Outcome<T>>>) -> Self {
        Self {
            completion,
            work: Work::Completer,
        }
    }

    /// The `ThreadFuture` of a blocking job; an unread panic of it goes to
    /// the exception handler of the loop `shared` belongs to.
    pub(crate) fn for_job(completion: Arc<Completion<Outcome<T>>>, shared: Arc<Shared>) -> Self
    where
        T: Send + 'static,
    {
        let cell = completion.clone();
        let unread: Unread = Box::new(move |gone| {
            // Not started: it never will be.
            if gone == Gone::Dropped && cell.cancel_unstarted(Err(JoinError::Cancelled)).is_ok() {
                return;
            }
            // Started, or done: nobody will read the outcome. A task of the
            // loop waits for it, to show a panic to the exception handler;
            // a closed loop hands the call back, and dropping it leaves the
            // report to the watcher's fallback.
            let watch = WatchPanic {
                cell: Some(cell),
                shared: shared.clone(),
            };
            let spawn_watch = move || {
                core::with_core(|core| {
                    drop(core.spawn(watch, TaskKind::Blocking, Location::caller()))
                });
            };
            let _ = shared.push(Injected::Call(RemoteCall::new(spawn_watch)));
        });
        Self {
            completion,
            work: Work::Job {
                unread: Some(unread),
            },
        }
    }

    /// The outcome was taken: nothing is left to do when this goes.
    fn mark_read(&mut self) {
        if let Work::Job { unread } = &mut self.work {
            *unread = None;
        }
    }

    /// The id of the loop task doing the work, as
    /// [`Handle::dump`](crate::Handle::dump) lists it; `None` for a job of
    /// the blocking pool, which is no task. Shown in
    /// [`ThreadFuture`'s example](ThreadFuture#examples).
    pub fn task_id(&self) -> Option<TaskId> {
        match &self.work {
            Work::Task { task, .. } => Some(task.id()),
            Work::Completer | Work::Job { .. } => None,
        }
    }

    /// Blocks this thread until the result is there.
    ///
    /// asyncio: `future.result()`.
    ///
    /// # Errors
    ///
    /// [`JoinError::Cancelled`] if the work was cancelled (by
    /// [`cancel`](ThreadFuture::cancel), or because its loop shut down
    /// first), [`JoinError::Panicked`] if it panicked.
    ///
    /// # Panics
    ///
    /// Panics on the thread of the loop that runs the task; see the type's
    /// docs.
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> std::io::Result<()> {
    /// let lt = tether::LoopThread::new()?;
    /// let answer = lt.spawn(async { 6 * 7 }).unwrap();
    /// assert_eq!(answer.wait().unwrap(), 42);
    ///
    /// let failed = lt.spawn(async { panic!("boom") }).unwrap();
    /// assert_eq!(failed.wait().unwrap_err().panic_message(), Some("boom"));
    /// # Ok(())
    /// # }
    /// ```
    #[track_caller]
    pub fn wait(mut self) -> Result<T, JoinError> {
        self.refuse_to_deadlock("wait");
        let outcome = self.completion.wait();
        self.mark_read();
        outcome
    }

    /// Blocks this thread until the result is there, or `timeout` has
    /// passed. On timeout, the `ThreadFuture` comes back in `Err`, the work
    /// still running: wait again, or [`cancel`](ThreadFuture::cancel) it.
    ///
    /// asyncio: `future.result(timeout)`, without losing the future.
    ///
    /// # Panics
    ///
    /// Panics on the thread of the loop that runs the task.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// # fn main() -> std::io::Result<()> {
    /// let lt = tether::LoopThread::new()?;
    /// let stuck = lt.spawn(std::future::pending::<()>()).unwrap();
    /// let stuck = stuck.wait_timeout(Duration::from_millis(1)).unwrap_err();
    /// assert!(!stuck.is_done()); // still running; here it is again
    ///
    /// let quick = lt.spawn(async { 6 * 7 }).unwrap();
    /// let outcome = quick.wait_timeout(Duration::from_secs(60)).unwrap();
    /// assert_eq!(outcome.unwrap(), 42);
    /// # Ok(())
    /// # }
    /// ```
    #[track_caller]
    pub fn wait_timeout(mut self, timeout: Duration) -> Result<Result<T, JoinError>, Self> {
        self.refuse_to_deadlock("wait_timeout");
        match self.completion.wait_timeout(timeout) {
            Some(outcome) => {
                self.mark_read();
                Ok(outcome)
            }
            None => Err(self),
        }
    }

    /// Asks for the work to be cancelled. Returns false if it is too late.
    ///
    /// asyncio: `future.cancel()`.
    ///
    /// A task is cancelled on its loop at its next suspension point (a
    /// task in the middle of a poll finishes that poll first, and keeps
    /// its output if it completes in it); waiters then see
    /// [`JoinError::Cancelled`], and only after the task's future was
    /// dropped on its loop: a thread that sees `Cancelled` knows the
    /// future's destructors have run. A blocking job can only be cancelled
    /// before it starts: once it runs, this returns false and the job goes
    /// on.
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> std::io::Result<()> {
    /// let lt = tether::LoopThread::new()?;
    /// let stuck = lt.spawn(std::future::pending::<()>()).unwrap();
    /// assert!(stuck.cancel());
    /// assert!(stuck.wait().unwrap_err().is_cancelled());
    ///
    /// let quick = lt.spawn(async { 6 * 7 }).unwrap();
    /// while !quick.is_done() {
    ///     std::thread::sleep(std::time::Duration::from_millis(1));
    /// }
    /// assert!(!quick.cancel()); // too late
    /// assert_eq!(quick.wait().unwrap(), 42);
    /// # Ok(())
    /// # }
    /// ```
    pub fn cancel(&self) -> bool {
        // The result can arrive a moment before the task's own state says it
        // is complete: ask the cell first.
        if self.completion.is_resolved() {
            return false;
        }
        match &self.work {
            Work::Task { task, .. } => task.cancel(),
            // The completer sees it, and gets its value back.
            Work::Completer => self.completion.complete(Err(JoinError::Cancelled)).is_ok(),
            Work::Job { .. } => self
                .completion
                .cancel_unstarted(Err(JoinError::Cancelled))
                .is_ok(),
        }
    }

    /// Lets the work go on without anyone waiting for it: a task keeps
    /// running, as it does when its `ThreadFuture` is dropped; a blocking
    /// job runs even if it has not started yet, where dropping would cancel
    /// it. A panic of the work goes to the exception handler of its loop.
    ///
    /// asyncio: a `run_in_executor` future nobody awaits (fire and forget).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::mpsc;
    /// # fn main() -> std::io::Result<()> {
    /// let rt = tether::Runtime::new()?;
    /// let (tx, rx) = mpsc::channel();
    /// rt.block_on(async move {
    ///     // Dropped unstarted, a job is cancelled; detached, it runs.
    ///     tether::spawn_blocking(move || tx.send("ran").unwrap()).detach();
    /// });
    /// // The pool runs it while the runtime lives, loop running or not.
    /// assert_eq!(rx.recv().unwrap(), "ran");
    /// # Ok(())
    /// # }
    /// ```
    pub fn detach(mut self) {
        self.let_go(Gone::Detached);
    }

    /// This `ThreadFuture` goes without having taken the outcome: a job's
    /// `Unread` decides what that means. Tasks and completers need nothing.
    fn let_go(&mut self, gone: Gone) {
        if let Work::Job { unread } = &mut self.work {
            if let Some(unread) = unread.take() {
                unread(gone);
            }
        }
    }

    /// Whether the result is there, and the done callbacks registered
    /// before it came have run. Shown in
    /// [`ThreadFuture`'s example](ThreadFuture#examples).
    ///
    /// asyncio: `future.done()`.
    pub fn is_done(&self) -> bool {
        self.completion.is_complete()
    }

    /// Calls `callback` with the outcome, once it is there.
    ///
    /// asyncio: `future.add_done_callback(fn)`.
    ///
    /// The callback runs on the thread that produces the outcome (the loop
    /// thread for a task, the pool thread for a blocking job) right after
    /// it is stored, or, if it is already there, at once on the calling
    /// thread. A panic in it is caught, and shown to the exception handler
    /// of the loop running on that thread, or printed to stderr where none
    /// runs (a blocking pool thread, say).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::mpsc;
    /// # fn main() -> std::io::Result<()> {
    /// let lt = tether::LoopThread::new()?;
    /// let (tx, rx) = mpsc::channel();
    /// let answer = lt.spawn(async { 6 * 7 }).unwrap();
    /// answer.on_done(move |outcome| tx.send(*outcome.as_ref().unwrap()).unwrap());
    /// assert_eq!(rx.recv().unwrap(), 42);
    /// # Ok(())
    /// # }
    /// ```
    pub fn on_done(&self, callback: impl FnOnce(&Result<T, JoinError>) + Send + 'static) {
        self.completion.on_complete(move |outcome| {
            let caught =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| callback(outcome)));
            if let Err(panic) = caught {
                // Neither the report (stderr may be a closed pipe) nor the
                // payload's own drop may unwind into the completion.
                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
                    core::report_panic(None, TaskKind::Callback, &*panic);
                    drop(panic);
                }));
            }
        });
    }

    /// Panics if blocking here would wait for this very thread's loop.
    #[track_caller]
    fn refuse_to_deadlock(&self, what: &str) {
        if let Work::Task { loop_thread, .. } = &self.work {
            // A result that is already there needs no loop to wait for.
            if sync::current().id() == *loop_thread && !self.completion.is_complete() {
                panic!(
                    "tether: ThreadFuture::{what} called on the thread of the loop that runs its \
                     task, which could then never run it; .await the ThreadFuture instead"
                );
            }
        }
    }
}

impl<T> Future for ThreadFuture<T> {
    type Output = Result<T, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let outcome = ready!(this.completion.poll_take(cx));
        this.mark_read();
        Poll::Ready(outcome)
    }
}

impl<T> Drop for ThreadFuture<T> {
    fn drop(&mut self) {
        self.let_go(Gone::Dropped);
    }
}

/// A task of the loop that waits for the outcome of a blocking job whose
/// `ThreadFuture` went unread, and shows a panic in it to the loop's
/// exception handler. Dropped before the outcome came (its loop shut down
/// first, or never took it), it leaves the report to whichever thread the
/// outcome arrives on: the loop's exception handler if that is the loop's
/// own thread with the loop still current (in its shutdown, say), the
/// default handler (stderr) anywhere else. A panic is never lost.
struct WatchPanic<T: Send + 'static> {
    /// The job's cell; `None` once its outcome was taken.
    cell: Option<Arc<Completion<Outcome<T>>>>,
    /// The loop whose exception handler should see a panic.
    shared: Arc<Shared>,
}

impl<T: Send + 'static> Future for WatchPanic<T> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let cell = this
            .cell
            .as_ref()
            .expect("a WatchPanic polled after it finished");
        let outcome = ready!(cell.poll_take(cx));
        this.cell = None;
        if let Err(JoinError::Panicked(panic)) = outcome {
            core::report_panic(None, TaskKind::Blocking, &*panic);
        }
        Poll::Ready(())
    }
}

impl<T: Send + 'static> Drop for WatchPanic<T> {
    fn drop(&mut self) {
        if let Some(cell) = self.cell.take() {
            let shared = self.shared.clone();
            cell.on_complete(move |outcome| {
                if let Err(JoinError::Panicked(panic)) = outcome {
                    let payload = &**panic;
                    let reported = core::with_core(|core| {
                        core.is_loop_of(&shared)
                            .then(|| core.report_panic(None, TaskKind::Blocking, payload))
                    });
                    if reported.flatten().is_none() {
                        default_handler(&Exception::new(None, TaskKind::Blocking, payload));
                    }
                }
            });
        }
    }
}

impl<T> fmt::Debug for ThreadFuture<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let work = match &self.work {
            Work::Task { task, .. } => format!("task {}", task.id()),
            Work::Completer => "completer".to_owned(),
            Work::Job { .. } => "blocking job".to_owned(),
        };
        f.debug_struct("ThreadFuture")
            .field("work", &work)
            .field("done", &self.is_done())
            .finish()
    }
}
