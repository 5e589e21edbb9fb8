//! `LoopThread`: a loop on a thread of its own.

use std::io;
use std::sync::Arc;
use std::thread;

use tether_bridge::{Closed, Completion};

use crate::handle::Handle;
use crate::runtime::Runtime;
use crate::shared::Injected;
use crate::thread_future::ThreadFuture;

/// A tether loop running on its own thread, until stopped.
///
/// The "event loop in a background thread" pattern of asyncio programs:
/// the loop thread runs `run_forever`; other threads submit work through
/// its [`Handle`]. Stopping it, with [`stop`](LoopThread::stop) or by
/// dropping it, stops the loop at the end of its current iteration, runs
/// the stop callbacks, shuts the runtime down (every remaining task is
/// dropped, on the loop thread) and joins the thread.
///
/// # Examples
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// let worker = tether::LoopThread::new()?;
/// let answer = worker.spawn(async { 6 * 7 }).unwrap().wait().unwrap();
/// assert_eq!(answer, 42);
/// worker.stop();
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct LoopThread {
    /// The loop's handle.
    handle: Handle,
    /// The thread; `None` once joined.
    thread: Option<thread::JoinHandle<()>>,
}

/// Configures a [`LoopThread`]: its thread's name and its runtime.
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
    pub fn new() -> io::Result<LoopThread> {
        LoopThread::builder().spawn()
    }

    /// A builder to name the thread and configure the runtime.
    pub fn builder() -> LoopThreadBuilder {
        LoopThreadBuilder {
            name: "tether-loop".to_owned(),
            runtime: Box::new(Runtime::new),
        }
    }

    /// The loop's handle.
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// Runs `future` on the loop; see [`Handle::spawn`].
    ///
    /// # Errors
    ///
    /// If the loop is closed, the future comes back in [`Closed`].
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
    pub fn on_stop(&self, callback: impl FnOnce() + Send + 'static) {
        if let Err(Closed(Injected::OnStop(callback))) = self
            .handle
            .shared()
            .inject
            .push(Injected::OnStop(Box::new(callback)))
        {
            callback();
        }
    }

    /// Stops the loop gracefully and waits for its thread to end: the loop
    /// finishes its current iteration, the stop callbacks run, the runtime
    /// shuts down.
    ///
    /// Called on the loop thread itself (from a task), it only asks the
    /// loop to stop: a thread cannot wait for itself.
    ///
    /// # Panics
    ///
    /// If the loop thread panicked, the panic is resumed here.
    pub fn stop(mut self) {
        if let Some(panic) = self.stop_and_join() {
            std::panic::resume_unwind(panic);
        }
    }

    /// Asks the loop to stop and joins the thread; returns its panic.
    fn stop_and_join(&mut self) -> Option<Box<dyn std::any::Any + Send>> {
        self.handle.stop();
        let thread = self.thread.take()?;
        if thread.thread().id() == thread::current().id() {
            // The loop stops after this iteration; nobody joins it.
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
    /// Names the thread (default: `tether-loop`).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Builds the runtime with `make`, on the loop thread (a
    /// [`Runtime`] cannot move between threads). Default: `Runtime::new`.
    pub fn runtime(mut self, make: impl FnOnce() -> io::Result<Runtime> + Send + 'static) -> Self {
        self.runtime = Box::new(make);
        self
    }

    /// Starts the thread and waits until its loop is ready.
    ///
    /// # Errors
    ///
    /// Fails if the thread cannot be started, or the runtime not built.
    pub fn spawn(self) -> io::Result<LoopThread> {
        // The loop thread hands its Handle back through a completion cell,
        // whose guard reports a thread that died before it could.
        let ready = Arc::new(Completion::new());
        let guard = ReadyGuard(ready.clone());
        let make = self.runtime;
        let thread = thread::Builder::new().name(self.name).spawn(move || {
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
