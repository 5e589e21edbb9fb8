//! `Runtime`: a loop, owned by the thread that runs it.

use std::future::Future;
use std::panic::Location;
use std::rc::Rc;

use crate::core::Core;
use crate::id::TaskKind;
use crate::observe::Dump;
use crate::remote::Handle;
use crate::task::JoinHandle;

/// A tether loop: a reactor, a ready queue, and the tasks on it.
///
/// asyncio: an event loop (`new_event_loop`), driven the way
/// `asyncio.Runner` drives one: [`block_on`](Runtime::block_on) may be
/// called any number of times, and tasks, timers and callbacks survive
/// from one call to the next.
///
/// A `Runtime` belongs to the thread that created it (it is not `Send`),
/// and runs there: its tasks' futures need not be `Send`. Other threads
/// reach it through a [`Handle`].
///
/// Dropping it shuts the loop down: every remaining task's future is
/// dropped, on this thread, and the loop's `Handle`s report it closed.
///
/// # Examples
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// let rt = tether::Runtime::new()?;
/// let task = rt.block_on(async { tether::spawn(async { 6 * 7 }) });
/// // The task survived the first `block_on`; await it in a second one.
/// assert_eq!(rt.block_on(task).unwrap(), 42);
/// # Ok(())
/// # }
/// ```
pub struct Runtime {
    /// The loop's state; `Rc`, so the runtime stays on its thread.
    core: Rc<Core>,
}

impl Runtime {
    pub(crate) fn from_core(core: Rc<Core>) -> Self {
        Self { core }
    }

    /// Runs the loop until `future` completes, and returns its output.
    ///
    /// asyncio: `loop.run_until_complete(future)`.
    ///
    /// The future runs on this thread and need not be `Send` or `'static`.
    /// The loop finishes the iteration in which the future completed, then
    /// returns; tasks that are still pending stay on the runtime, for the
    /// next `block_on` or `run_forever`.
    ///
    /// # Panics
    ///
    /// Panics if a tether loop is already running on this thread: blocking
    /// inside a loop would freeze it. Inside the loop, use
    /// [`spawn`](crate::spawn) and await the `JoinHandle` instead.
    ///
    /// A panic of `future` itself propagates out of `block_on`; the runtime
    /// stays usable.
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> std::io::Result<()> {
    /// let rt = tether::Runtime::new()?;
    /// let mut total = 0;
    /// // Borrows `total`: the future need not be `'static`.
    /// rt.block_on(async {
    ///     for i in 1..=3 {
    ///         tether::yield_now().await;
    ///         total += i;
    ///     }
    /// });
    /// assert_eq!(total, 6);
    /// # Ok(())
    /// # }
    /// ```
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.core.block_on(future, Location::caller())
    }

    /// Runs the loop until [`Handle::stop`] is called. It runs at least one
    /// iteration: a stop requested before it ends the loop after the first,
    /// as in asyncio.
    ///
    /// asyncio: `loop.run_forever()`.
    ///
    /// # Panics
    ///
    /// Panics if a tether loop is already running on this thread.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// # fn main() -> std::io::Result<()> {
    /// let rt = tether::Runtime::new()?;
    /// let server = rt.spawn(async {
    ///     tether::time::sleep(Duration::from_millis(1)).await;
    ///     tether::Handle::current().stop(); // the loop ends this iteration
    /// });
    /// rt.run_forever();
    /// assert!(server.is_finished());
    /// # Ok(())
    /// # }
    /// ```
    #[track_caller]
    pub fn run_forever(&self) {
        self.core.run_forever();
    }

    /// A handle to this loop, for other threads.
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> std::io::Result<()> {
    /// let rt = tether::Runtime::new()?;
    /// let handle = rt.handle();
    /// let submitter = std::thread::spawn(move || handle.spawn(async { 6 * 7 }).unwrap());
    /// let answer = submitter.join().unwrap();
    /// // The task runs once this thread runs the loop.
    /// assert_eq!(rt.block_on(answer).unwrap(), 42);
    /// # Ok(())
    /// # }
    /// ```
    pub fn handle(&self) -> Handle {
        Handle::new(self.core.shared().clone())
    }

    /// Spawns a task on this runtime from its thread, inside or outside the
    /// loop. It runs at the loop's next run step.
    ///
    /// asyncio: `loop.create_task(coro)`.
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> std::io::Result<()> {
    /// let rt = tether::Runtime::new()?;
    /// let task = rt.spawn(async { 6 * 7 });
    /// assert!(!task.is_finished()); // it runs once the loop does
    /// assert_eq!(rt.block_on(task).unwrap(), 42);
    /// # Ok(())
    /// # }
    /// ```
    #[track_caller]
    pub fn spawn<F: Future + 'static>(&self, future: F) -> JoinHandle<F::Output> {
        JoinHandle::new(self.core.spawn(future, TaskKind::Task, Location::caller()))
    }

    /// The live tasks of this loop, from its own thread while the loop is
    /// not running (between two `block_on`s, say). Inside the loop, and on
    /// other threads, use [`Handle::dump`].
    ///
    /// asyncio: `asyncio.all_tasks(loop)`.
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> std::io::Result<()> {
    /// let rt = tether::Runtime::new()?;
    /// let task = rt.spawn(std::future::pending::<()>());
    /// rt.block_on(tether::yield_now());
    /// let dump = rt.dump();
    /// assert_eq!(dump.tasks.len(), 1);
    /// assert_eq!(dump.tasks[0].id, task.id());
    /// assert_eq!(dump.tasks[0].runs, 1);
    /// # Ok(())
    /// # }
    /// ```
    pub fn dump(&self) -> Dump {
        self.core.dump()
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.core.shutdown();
    }
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime").field("core", &self.core).finish()
    }
}

/// Runs `future` on a new runtime, then shuts the runtime down.
///
/// asyncio: `asyncio.run(main())`.
///
/// # Panics
///
/// Panics if the runtime cannot be created (the OS refused a poller), or
/// if a tether loop is already running on this thread.
///
/// # Examples
///
/// ```
/// let answer = tether::run(async {
///     let task = tether::spawn(async { 21 });
///     task.await.unwrap() * 2
/// });
/// assert_eq!(answer, 42);
/// ```
#[track_caller]
pub fn run<F: Future>(future: F) -> F::Output {
    let runtime = match Runtime::new() {
        Ok(runtime) => runtime,
        Err(err) => panic!("tether::run: cannot create a runtime: {err}"),
    };
    runtime.block_on(future)
}
