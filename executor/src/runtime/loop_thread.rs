//! `LoopThread`: a loop on a thread of its own.

use std::io;

use tether_bridge::sync::{self, Arc, ThreadHandle};
use tether_bridge::{Closed, Completion};

use super::Runtime;
use crate::core::Injected;
use crate::remote::{self, Handle, ThreadFuture};

/// A tether loop running on its own thread, until stopped.
///
/// The "event loop in a background thread" pattern of asyncio programs:
/// the loop thread runs `run_forever`; other threads submit work through
/// its [`Handle`]. Stopping it, with [`stop`](LoopThread::stop) or by
/// dropping it, stops the loop at the end of the iteration that takes the
/// stop request (after what was submitted before it), runs the stop
/// callbacks, shuts the runtime down (every remaining task is
/// dropped, on the loop thread) and joins the thread.
///
/// # Examples
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// let worker = tether::LoopThread::new()?;
/// let answer = worker.spawn(async { 6 * 7 }).unwrap().wait().unwrap();
/// assert_eq!(answer, 42);
///
/// // Its handle, cloned, reaches the loop from any thread.
/// let handle = worker.handle().clone();
/// let asker = std::thread::spawn(move || handle.block_on(async { 6 * 7 }).unwrap());
/// assert_eq!(asker.join().unwrap(), 42);
/// assert!(!worker.handle().is_closed());
/// assert!(!worker.is_finished());
/// worker.stop();
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct LoopThread {
    /// The loop's handle.
    handle: Handle,
    /// The thread; `None` once joined.
    thread: Option<ThreadHandle>,
}

/// Configures a [`LoopThread`]: its thread's name and its runtime.
///
/// Made by [`LoopThread::builder`].
///
/// # Examples
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// let lt = tether::LoopThread::builder()
///     .name("io-loop")
///     .runtime(|| tether::Runtime::builder().max_blocking_threads(2).build())
///     .spawn()?;
/// let name = lt.spawn(async { std::thread::current().name().map(str::to_owned) });
/// assert_eq!(name.unwrap().wait().unwrap().as_deref(), Some("io-loop"));
/// # Ok(())
/// # }
/// ```
#[must_use = "a LoopThreadBuilder does nothing until `spawn` is called"]
pub struct LoopThreadBuilder {
    /// The thread's name.
    name: String,
    /// Builds the runtime, on the loop thread.
    runtime: Box<dyn FnOnce() -> io::Result<Runtime> + Send>,
}

impl LoopThread {
    /// Starts a loop thread named `tether-loop`, with a default runtime.
    ///
    /// # Errors
    ///
    /// Fails if the thread or the runtime cannot be created.
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> std::io::Result<()> {
    /// let lt = tether::LoopThread::new()?;
    /// let name = lt.spawn(async { std::thread::current().name().map(str::to_owned) });
    /// assert_eq!(name.unwrap().wait().unwrap().as_deref(), Some("tether-loop"));
    /// # Ok(())
    /// # }
    /// ```
    pub fn new() -> io::Result<LoopThread> {
        LoopThread::builder().spawn()
    }

    /// A builder to name the thread and configure the runtime. Shown in
    /// [`LoopThreadBuilder`'s example](LoopThreadBuilder#examples).
    pub fn builder() -> LoopThreadBuilder {
        LoopThreadBuilder {
            name: "tether-loop".to_owned(),
            runtime: Box::new(Runtime::new),
        }
    }

    /// The loop's handle. Shown in [`LoopThread`'s example](LoopThread#examples).
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// Runs `future` on the loop; see [`Handle::spawn`].
    ///
    /// # Errors
    ///
    /// If the loop is closed, the future comes back in [`Closed`].
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> std::io::Result<()> {
    /// let lt = tether::LoopThread::new()?;
    /// let task = lt.spawn(async { 6 * 7 }).unwrap();
    /// assert!(task.task_id().is_some()); // a task of the loop
    /// assert_eq!(task.wait().unwrap(), 42);
    /// # Ok(())
    /// # }
    /// ```
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> Result<ThreadFuture<F::Output>, Closed<F>>
    where
        F: std::future::Future + Send + 'static,
        F::Output: Send,
    {
        self.handle.spawn(future)
    }

    /// Calls `callback` on the loop thread when the loop stops, before the
    /// runtime shuts down; callbacks run in registration order. If the loop
    /// has already shut down, `callback` runs now, on this thread.
    ///
    /// asyncio: the cleanup that follows `loop.run_forever()` in the thread.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::mpsc;
    /// # fn main() -> std::io::Result<()> {
    /// let lt = tether::LoopThread::new()?;
    /// let (tx, rx) = mpsc::channel();
    /// lt.on_stop(move || tx.send(std::thread::current().name().map(str::to_owned)).unwrap());
    /// assert!(rx.try_recv().is_err()); // not yet
    /// lt.stop();
    /// assert_eq!(rx.try_recv().unwrap().as_deref(), Some("tether-loop"));
    /// # Ok(())
    /// # }
    /// ```
    pub fn on_stop(&self, callback: impl FnOnce() + Send + 'static) {
        if let Err(Closed(Injected::OnStop(callback))) = self
            .handle
            .shared()
            .push(Injected::OnStop(Box::new(callback)))
        {
            callback();
        }
    }

    /// Stops the loop gracefully and waits for its thread to end: the loop
    /// finishes the iteration that takes the stop request, the stop
    /// callbacks run, the runtime shuts down.
    ///
    /// Called on the loop thread itself (from a task), or from one of the
    /// loop's blocking jobs, which the loop's shutdown waits for, it only
    /// asks the loop to stop: a thread cannot wait for itself.
    ///
    /// # Panics
    ///
    /// If the loop thread panicked, the panic is resumed here.
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> std::io::Result<()> {
    /// let lt = tether::LoopThread::new()?;
    /// let handle = lt.handle().clone();
    /// let stuck = lt.spawn(std::future::pending::<()>()).unwrap();
    /// lt.stop();
    /// assert!(handle.is_closed());
    /// // The runtime shut down, dropping the task that was left.
    /// assert!(stuck.wait().unwrap_err().is_cancelled());
    /// # Ok(())
    /// # }
    /// ```
    pub fn stop(mut self) {
        if let Some(panic) = self.stop_and_join() {
            std::panic::resume_unwind(panic);
        }
    }

    /// [`stop`](LoopThread::stop), handing back the loop thread's panic
    /// instead of resuming it: for a supervisor (a
    /// [`LoopPool`](crate::LoopPool)) that stops many loops and reports
    /// each one's end.
    ///
    /// # Errors
    ///
    /// The loop thread's panic payload, if it panicked.
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> std::io::Result<()> {
    /// let lt = tether::LoopThread::new()?;
    /// assert!(!lt.is_finished());
    /// lt.handle().stop(); // the loop ends; its thread follows
    /// while !lt.is_finished() {
    ///     std::thread::yield_now();
    /// }
    /// assert!(lt.try_stop().is_ok());
    /// # Ok(())
    /// # }
    /// ```
    pub fn try_stop(mut self) -> std::thread::Result<()> {
        match self.stop_and_join() {
            Some(panic) => Err(panic),
            None => Ok(()),
        }
    }

    /// Whether the loop's thread has ended: its loop was stopped (through
    /// any [`Handle`]) and shut down, or its thread panicked. Shown in
    /// [`LoopThread`'s example](LoopThread#examples).
    pub fn is_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(ThreadHandle::is_finished)
    }

    /// Asks the loop to stop and joins the thread; returns its panic.
    fn stop_and_join(&mut self) -> Option<Box<dyn std::any::Any + Send>> {
        self.handle.stop();
        let thread = self.thread.take()?;
        if thread.thread_id() == sync::current().id() || remote::runs_a_job_of(self.handle.shared())
        {
            // The loop stops after this iteration; nobody joins it. (On a
            // thread of its blocking pool, whose shutdown waits for this
            // job, a join would wait for itself too.)
            return None;
        }
        thread.join().err()
    }
}

impl Drop for LoopThread {
    fn drop(&mut self) {
        // A panic of the loop thread is dropped here: `stop` is the place
        // to see it, and a drop must not panic during another panic.
        let _ = self.stop_and_join();
    }
}

impl LoopThreadBuilder {
    /// Names the thread (default: `tether-loop`). Shown in
    /// [`LoopThreadBuilder`'s example](LoopThreadBuilder#examples).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Builds the runtime with `make`, on the loop thread (a
    /// [`Runtime`] cannot move between threads). Default: `Runtime::new`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// # fn main() -> std::io::Result<()> {
    /// let panics = Arc::new(AtomicUsize::new(0));
    /// let seen = panics.clone();
    /// let lt = tether::LoopThread::builder()
    ///     .runtime(move || {
    ///         tether::Runtime::builder()
    ///             .on_exception(move |_| {
    ///                 seen.fetch_add(1, Ordering::SeqCst);
    ///             })
    ///             .build()
    ///     })
    ///     .spawn()?;
    /// lt.handle().call_soon(|| panic!("boom")).unwrap();
    /// lt.stop(); // after the callback, which was sent first
    /// assert_eq!(panics.load(Ordering::SeqCst), 1);
    /// # Ok(())
    /// # }
    /// ```
    pub fn runtime(mut self, make: impl FnOnce() -> io::Result<Runtime> + Send + 'static) -> Self {
        self.runtime = Box::new(make);
        self
    }

    /// Starts the thread and waits until its loop is ready.
    ///
    /// # Errors
    ///
    /// Fails if the thread cannot be started, or the runtime not built.
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> std::io::Result<()> {
    /// let lt = tether::LoopThread::builder().spawn()?;
    /// assert_eq!(lt.handle().block_on(async { 6 * 7 }).unwrap(), 42);
    ///
    /// let failed = tether::LoopThread::builder()
    ///     .runtime(|| Err(std::io::Error::other("no poller today")))
    ///     .spawn();
    /// assert_eq!(failed.unwrap_err().to_string(), "no poller today");
    /// # Ok(())
    /// # }
    /// ```
    pub fn spawn(self) -> io::Result<LoopThread> {
        // The loop thread hands its Handle back through a completion cell,
        // whose guard reports a thread that died before it could.
        let ready = Arc::new(Completion::new());
        let guard = ReadyGuard(ready.clone());
        let make = self.runtime;
        let thread = sync::spawn_named(self.name, move || {
            let runtime = match make() {
                Ok(runtime) => runtime,
                Err(err) => {
                    let _ = guard.0.complete(Err(err));
                    return;
                }
            };
            let _ = guard.0.complete(Ok(runtime.handle()));
            drop(guard);
            runtime.run_forever();
            // Dropping the runtime shuts it down, here on its thread.
        })?;
        let handle = match ready.wait() {
            Ok(handle) => handle,
            Err(err) => {
                let _ = thread.join();
                return Err(err);
            }
        };
        Ok(LoopThread {
            handle,
            thread: Some(thread),
        })
    }
}

impl std::fmt::Debug for LoopThreadBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoopThreadBuilder")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// Reports a loop thread that ended before handing its `Handle` back.
struct ReadyGuard(Arc<Completion<io::Result<Handle>>>);

impl Drop for ReadyGuard {
    fn drop(&mut self) {
        let _ = self.0.complete(Err(io::Error::other(
            "the loop thread ended before its loop started",
        )));
    }
}
