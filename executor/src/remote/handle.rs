//! `Handle`: a loop seen from any thread.

use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::time::Duration;

use tether_bridge::sync::Arc;
use tether_bridge::{Closed, Completion};

use super::ThreadFuture;
use crate::core::{self, Core, Injected, NamedSpawn, RemoteCall, Shared};
use crate::id::{TaskId, TaskKind};
use crate::observe::{Dump, DumpError, Metrics};
use crate::task::{self, JoinError, Maker, TaskRef, Unsubmitted};

/// A reference to a loop that any thread may hold.
///
/// asyncio: the loop object, as another thread uses it.
///
/// `Send + Sync + Clone`; cheap to clone. It keeps working after the loop
/// has shut down: its operations then report that the loop is closed.
///
/// # Examples
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// let rt = tether::Runtime::new()?;
/// let handle = rt.handle();
/// let submitter = std::thread::spawn(move || {
///     handle.call_soon(|| println!("on the loop")).unwrap();
///     handle.stop();
/// });
/// rt.run_forever(); // runs the callback, then stops
/// submitter.join().unwrap();
///
/// // Only code running on the loop finds it as the current loop.
/// assert!(tether::Handle::try_current().is_none());
/// rt.block_on(async { assert!(tether::Handle::try_current().is_some()) });
///
/// let handle = rt.handle();
/// assert!(!handle.is_closed());
/// drop(rt);
/// assert!(handle.is_closed());
/// assert!(handle.call_soon(|| ()).is_err()); // handed back, unrun
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Handle {
    /// The loop's shared state.
    shared: Arc<Shared>,
}

impl Handle {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        Self { shared }
    }

    /// The handle of the loop running on this thread.
    ///
    /// # Panics
    ///
    /// Panics if no tether loop runs on this thread; use
    /// [`Runtime::handle`](crate::Runtime::handle) to get one beforehand.
    ///
    /// # Examples
    ///
    /// ```
    /// tether::run(async {
    ///     let handle = tether::Handle::current();
    ///     // Another thread hands work back to this loop.
    ///     let work = tether::spawn_blocking(move || handle.spawn(async { 6 * 7 }).unwrap());
    ///     assert_eq!(work.await.unwrap().await.unwrap(), 42);
    /// });
    /// ```
    #[track_caller]
    pub fn current() -> Handle {
        Self::try_current().expect(
            "tether: Handle::current() called outside a tether loop; \
             take a Handle from Runtime::handle() and pass it to this thread",
        )
    }

    /// The handle of the loop running on this thread, if one is. Shown in
    /// [`Handle`'s example](Handle#examples).
    pub fn try_current() -> Option<Handle> {
        core::with_core(|core| Handle::new(core.shared().clone()))
    }

    /// Runs `f` on the loop thread, soon: in the loop's next iteration, after
    /// what this thread submitted before.
    ///
    /// asyncio: `loop.call_soon_threadsafe(callback)`.
    ///
    /// Callbacks from one thread run in the order they were submitted, and
    /// before any work the loop thread submits after this call (in
    /// happens-before order: once this thread was joined, say). A panic in
    /// `f` goes to the loop's exception handler. Once `Ok`, `f`
    /// runs exactly once: if the loop shuts down first, it runs during the
    /// shutdown.
    ///
    /// # Errors
    ///
    /// If the loop is closed, `f` comes back in [`Closed`], unrun.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::mpsc;
    /// # fn main() -> std::io::Result<()> {
    /// let lt = tether::LoopThread::new()?;
    /// let (tx, rx) = mpsc::channel();
    /// lt.handle()
    ///     .call_soon(move || tx.send(std::thread::current().name().map(str::to_owned)).unwrap())
    ///     .unwrap();
    /// assert_eq!(rx.recv().unwrap().as_deref(), Some("tether-loop"));
    /// # Ok(())
    /// # }
    /// ```
    #[track_caller]
    pub fn call_soon<F: FnOnce() + Send + 'static>(&self, f: F) -> Result<(), Closed<F>> {
        // Not a task: nothing can cancel it, so it needs no task's state
        // (see `local/callback.rs`).
        let call = if self.shared.is_debug() {
            RemoteCall::located(f, Location::caller())
        } else {
            RemoteCall::new(f)
        };
        match self.shared.push(Injected::Call(call)) {
            Ok(()) => Ok(()),
            Err(Closed(Injected::Call(call))) => Err(Closed(call.into_inner())),
            Err(Closed(_)) => unreachable!("the queue hands back what it was given"),
        }
    }

    /// Runs `future` as a task on the loop, and returns a [`ThreadFuture`]
    /// for its output.
    ///
    /// asyncio: `asyncio.run_coroutine_threadsafe(coro, loop)`.
    ///
    /// A panic in the future resolves the `ThreadFuture` as
    /// [`JoinError::Panicked`] and is shown to the exception handler too;
    /// the loop goes on. At shutdown, the `ThreadFuture` of a task that did
    /// not finish resolves as [`JoinError::Cancelled`].
    ///
    /// Dropping the `ThreadFuture` detaches the task, which runs on, as
    /// with asyncio's `run_coroutine_threadsafe`; to stop it, call
    /// [`ThreadFuture::cancel`]. (A job of [`spawn_blocking`](crate::spawn_blocking)
    /// differs: dropping its `ThreadFuture` before it starts cancels it.)
    ///
    /// tether's timers and I/O types belong to the loop that runs them and
    /// are not `Send`: a future that uses them is built on the loop, with
    /// [`spawn_with`](Handle::spawn_with).
    ///
    /// # Errors
    ///
    /// If the loop is closed, `future` comes back in [`Closed`].
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> std::io::Result<()> {
    /// let rt = tether::Runtime::new()?;
    /// let handle = rt.handle();
    /// let work = std::thread::spawn(move || {
    ///     handle.spawn(async { 6 * 7 }).unwrap().wait()
    /// });
    /// // Run the loop until the other thread has its answer.
    /// rt.block_on(async {
    ///     while !work.is_finished() {
    ///         tether::time::sleep(std::time::Duration::from_millis(1)).await;
    ///     }
    /// });
    /// assert_eq!(work.join().unwrap().unwrap(), 42);
    /// # Ok(())
    /// # }
    /// ```
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> Result<ThreadFuture<F::Output>, Closed<F>>
    where
        F: Future + Send + 'static,
        F::Output: Send,
    {
        let spawned_at = Location::caller();
        self.spawn_as(future, |task| Injected::Spawn(task, spawned_at))
    }

    /// [`spawn`](Handle::spawn), with the name `task::Builder` gave. Apart,
    /// so that only a program that names a task links the name table
    /// (`core/task_list.rs`).
    #[track_caller]
    pub(crate) fn spawn_named<F>(
        &self,
        future: F,
        name: Box<str>,
    ) -> Result<ThreadFuture<F::Output>, Closed<F>>
    where
        F: Future + Send + 'static,
        F::Output: Send,
    {
        let spawned_at = Location::caller();
        self.spawn_as(future, |task| {
            Injected::SpawnNamed(Box::new(NamedSpawn {
                task,
                spawned_at,
                name,
                set_name: Core::set_name,
            }))
        })
    }

    /// Makes a task of `future` and queues it as `item` wraps it.
    fn spawn_as<F>(
        &self,
        future: F,
        item: impl FnOnce(TaskRef) -> Injected,
    ) -> Result<ThreadFuture<F::Output>, Closed<F>>
    where
        F: Future + Send + 'static,
        F::Output: Send,
    {
        let completion = Arc::new(Completion::new());
        let sink = Some(completion.clone());
        let task = task::allocate_send(
            future,
            sink,
            self.shared.clone(),
            self.next_id(),
            TaskKind::Task,
        );
        let task = self.submit(task, item).map_err(Closed)?;
        Ok(ThreadFuture::for_task(
            completion,
            task,
            self.shared.loop_thread(),
        ))
    }

    /// Like [`spawn`](Handle::spawn), for a future that is not `Send`:
    /// `make` crosses to the loop thread, and builds the future there.
    ///
    /// The task costs two allocations (the built future is boxed), where
    /// `spawn` costs one. A panic in `make` counts as a panic of the task.
    ///
    /// # Errors
    ///
    /// If the loop is closed, `make` comes back in [`Closed`], uncalled.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::cell::Cell;
    /// use std::rc::Rc;
    /// use std::time::Duration;
    /// # fn main() -> std::io::Result<()> {
    /// let lt = tether::LoopThread::new()?;
    /// let ticks = lt.handle().spawn_with(|| {
    ///     // Built on the loop thread: an `Rc` and a timer, neither `Send`.
    ///     let count = Rc::new(Cell::new(0));
    ///     async move {
    ///         for _ in 0..3 {
    ///             tether::time::sleep(Duration::from_millis(1)).await;
    ///             count.set(count.get() + 1);
    ///         }
    ///         count.get()
    ///     }
    /// });
    /// assert_eq!(ticks.unwrap().wait().unwrap(), 3);
    /// # Ok(())
    /// # }
    /// ```
    #[track_caller]
    pub fn spawn_with<M, F>(&self, make: M) -> Result<ThreadFuture<F::Output>, Closed<M>>
    where
        M: FnOnce() -> F + Send + 'static,
        F: Future + 'static,
        F::Output: Send,
    {
        let completion = Arc::new(Completion::new());
        let maker = Maker::new(make);
        let task = task::allocate_maker(
            maker,
            completion.clone(),
            self.shared.clone(),
            self.next_id(),
        );
        let spawned_at = Location::caller();
        match self.submit(task, |task| Injected::Spawn(task, spawned_at)) {
            Ok(task) => Ok(ThreadFuture::for_task(
                completion,
                task,
                self.shared.loop_thread(),
            )),
            Err(maker) => Err(Closed(maker.into_make())),
        }
    }

    /// Runs `future` on the loop and blocks this thread until it is done.
    ///
    /// asyncio: `run_coroutine_threadsafe(coro, loop).result()`.
    ///
    /// # Errors
    ///
    /// [`BlockOnError::Closed`] with the future, if the loop is closed;
    /// [`BlockOnError::Join`] if the task was cancelled (the loop shut down)
    /// or panicked.
    ///
    /// # Panics
    ///
    /// Panics on the loop's own thread (unless the loop is closed), where
    /// waiting would never end: use [`spawn`](crate::spawn) and `.await`
    /// there.
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> std::io::Result<()> {
    /// let lt = tether::LoopThread::new()?;
    /// let handle = lt.handle().clone();
    /// assert_eq!(handle.block_on(async { 6 * 7 }).unwrap(), 42);
    ///
    /// lt.stop();
    /// let refused = handle.block_on(async { 6 * 7 });
    /// assert!(matches!(refused, Err(tether::BlockOnError::Closed(_))));
    /// # Ok(())
    /// # }
    /// ```
    #[track_caller]
    pub fn block_on<F>(&self, future: F) -> Result<F::Output, BlockOnError<F>>
    where
        F: Future + Send + 'static,
        F::Output: Send,
    {
        // On a closed loop nothing waits for the loop: it answers `Closed`.
        if self.shared.is_loop_thread() && !self.is_closed() {
            panic!(
                "tether: Handle::block_on called on the loop's own thread, which would wait \
                 forever for itself; use tether::spawn(future) and .await its JoinHandle instead"
            );
        }
        let task = self
            .spawn(future)
            .map_err(|Closed(future)| BlockOnError::Closed(future))?;
        task.wait().map_err(BlockOnError::Join)
    }

    /// Queues a task made on this thread, as `item` wraps it; hands its
    /// future back if the loop is closed.
    fn submit<F: Future>(
        &self,
        task: Unsubmitted<F>,
        item: impl FnOnce(TaskRef) -> Injected,
    ) -> Result<TaskRef, F> {
        task.submit(|task| {
            self.shared
                .push(item(task))
                .map_err(|Closed(item)| match item {
                    Injected::Spawn(task, _) => task,
                    Injected::SpawnNamed(spawn) => spawn.task,
                    _ => unreachable!("the queue hands back what it was given"),
                })
        })
    }

    /// The loop's shared state, for `LoopThread`.
    pub(crate) fn shared(&self) -> &Shared {
        &self.shared
    }

    fn next_id(&self) -> TaskId {
        self.shared.next_task_id()
    }

    /// Makes `run_forever` return once the current iteration is finished.
    ///
    /// asyncio: `loop.stop()`, or `loop.call_soon_threadsafe(loop.stop)`
    /// from another thread.
    ///
    /// Works from any thread. Called inside the loop (from a task or a
    /// callback), the loop stops at the end of the current iteration, as
    /// asyncio's does. From any other thread, the request travels the
    /// injection queue, so whatever that thread submitted before `stop`
    /// runs before the loop stops. It has no effect on `block_on`, which
    /// runs until its future completes, nor on a closed loop.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::mpsc;
    /// # fn main() -> std::io::Result<()> {
    /// let rt = tether::Runtime::new()?;
    /// let handle = rt.handle();
    /// let (tx, rx) = mpsc::channel();
    /// let other = std::thread::spawn(move || {
    ///     handle.call_soon(move || tx.send("ran").unwrap()).unwrap();
    ///     handle.stop(); // after the callback, submitted first
    /// });
    /// rt.run_forever();
    /// assert_eq!(rx.try_recv(), Ok("ran"));
    /// other.join().unwrap();
    /// # Ok(())
    /// # }
    /// ```
    pub fn stop(&self) {
        let stopped_here = core::with_core(|core| {
            let local = core.is_loop_of(&self.shared);
            if local {
                core.request_stop();
            }
            local
        });
        if stopped_here != Some(true) {
            // Closed: the loop is gone, and with it anything to stop.
            let _ = self.shared.push(Injected::Stop);
        }
    }

    /// Whether the loop has shut down (its runtime was dropped). Shown in
    /// [`Handle`'s example](Handle#examples).
    ///
    /// asyncio: `loop.is_closed()`.
    pub fn is_closed(&self) -> bool {
        self.shared.is_closed()
    }

    /// The live tasks of the loop: what each is, where it was spawned,
    /// what it is doing and how often it ran. Callable from any thread.
    ///
    /// asyncio: `asyncio.all_tasks(loop)`.
    ///
    /// Inside the loop (from a task or callback), the loop's task list is
    /// read at once. From another thread, the request travels the
    /// injection queue and the loop answers it in its next iteration; this
    /// waits up to one second for the answer (see
    /// [`dump_timeout`](Handle::dump_timeout)).
    ///
    /// # Errors
    ///
    /// [`DumpError::Unresponsive`] if the loop does not answer in time,
    /// because a task or callback is blocking it or it is not running;
    /// [`DumpError::NotRunning`] on the loop's own thread outside the loop,
    /// where [`Runtime::dump`](crate::Runtime::dump) answers instead;
    /// [`DumpError::Closed`] if the loop has shut down.
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> std::io::Result<()> {
    /// let lt = tether::LoopThread::new()?;
    /// let _stuck = lt.spawn(std::future::pending::<()>()).unwrap();
    /// let dump = lt.handle().dump().unwrap();
    /// // The stuck task: a `LoopThread` runs `run_forever`, which has no
    /// // `block_on` stand-in.
    /// assert_eq!(dump.tasks.len(), 1);
    /// println!("{dump}");
    /// # Ok(())
    /// # }
    /// ```
    pub fn dump(&self) -> Result<Dump, DumpError> {
        self.dump_timeout(Duration::from_secs(1))
    }

    /// [`dump`](Handle::dump), waiting up to `timeout` for the loop's
    /// answer when called from another thread.
    ///
    /// # Errors
    ///
    /// As for [`dump`](Handle::dump).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// # fn main() -> std::io::Result<()> {
    /// let rt = tether::Runtime::new()?;
    /// let handle = rt.handle();
    /// // The loop is not running, so nobody answers another thread.
    /// let asker = std::thread::spawn(move || handle.dump_timeout(Duration::from_millis(5)));
    /// let error = asker.join().unwrap().unwrap_err();
    /// assert_eq!(error, tether::DumpError::Unresponsive(Duration::from_millis(5)));
    /// # Ok(())
    /// # }
    /// ```
    pub fn dump_timeout(&self, timeout: Duration) -> Result<Dump, DumpError> {
        let here = core::with_core(|core| core.is_loop_of(&self.shared).then(|| core.dump()));
        if let Some(dump) = here.flatten() {
            return Ok(dump);
        }
        if self.is_closed() {
            return Err(DumpError::Closed);
        }
        if self.shared.is_loop_thread() {
            return Err(DumpError::NotRunning);
        }
        let answer = Arc::new(Completion::new());
        let reply = answer.clone();
        let asked = self.call_soon(move || {
            // The loop runs this inside an iteration, or during shutdown,
            // when the runtime is still its thread's current loop.
            let dump = core::with_core(|core| core.dump()).ok_or(DumpError::Closed);
            let _ = reply.complete(dump);
        });
        if asked.is_err() {
            return Err(DumpError::Closed);
        }
        answer
            .wait_timeout(timeout)
            .unwrap_or(Err(DumpError::Unresponsive(timeout)))
    }

    /// The loop's counters so far.
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> std::io::Result<()> {
    /// let rt = tether::Runtime::new()?;
    /// rt.block_on(async {
    ///     tether::spawn(async {}).await.unwrap();
    /// });
    /// let metrics = rt.handle().metrics();
    /// // The `block_on` future's stand-in ran twice, the task once.
    /// assert!(metrics.runs >= 3);
    /// assert!(metrics.iterations >= 2);
    /// # Ok(())
    /// # }
    /// ```
    pub fn metrics(&self) -> Metrics {
        self.shared.metrics()
    }

    /// The loop's name, if its [`Builder::name`](crate::Builder::name) gave
    /// it one.
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> std::io::Result<()> {
    /// let rt = tether::Runtime::builder().name("io-1").build()?;
    /// assert_eq!(rt.handle().name(), Some("io-1"));
    /// assert_eq!(tether::Runtime::new()?.handle().name(), None);
    /// # Ok(())
    /// # }
    /// ```
    pub fn name(&self) -> Option<&str> {
        self.shared.name()
    }
}

impl std::fmt::Debug for Handle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handle")
            .field("name", &self.name())
            .field("closed", &self.is_closed())
            .finish_non_exhaustive()
    }
}

/// Why [`Handle::block_on`] returned no output.
///
/// # Examples
///
/// ```
/// use tether::BlockOnError;
/// # fn main() -> std::io::Result<()> {
/// let lt = tether::LoopThread::new()?;
/// let handle = lt.handle().clone();
/// match handle.block_on(async { panic!("boom") }) {
///     Err(BlockOnError::Join(error)) => assert_eq!(error.panic_message(), Some("boom")),
///     other => panic!("expected a panic, got {other:?}"),
/// }
///
/// lt.stop();
/// match handle.block_on(async { 6 * 7 }) {
///     Err(BlockOnError::Closed(future)) => assert_eq!(tether::run(future), 42),
///     other => panic!("expected a closed loop, got {other:?}"),
/// }
/// # Ok(())
/// # }
/// ```
pub enum BlockOnError<F> {
    /// The loop is closed; here is the future, never polled.
    Closed(F),
    /// The task was cancelled (its loop shut down first) or panicked.
    Join(JoinError),
}

impl<F> fmt::Debug for BlockOnError<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BlockOnError::Closed(_) => f.write_str("Closed(..)"),
            BlockOnError::Join(err) => f.debug_tuple("Join").field(err).finish(),
        }
    }
}

impl<F> fmt::Display for BlockOnError<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BlockOnError::Closed(_) => f.write_str("the loop is closed"),
            BlockOnError::Join(err) => err.fmt(f),
        }
    }
}

impl<F> std::error::Error for BlockOnError<F> {}
