//! How a runtime is made: [`Runtime::new`], [`Runtime::builder`], and the
//! [`Builder`] that holds the settings.

use std::io;
use std::num::NonZeroUsize;
use std::rc::Rc;
use std::time::Duration;

use tether_reactor::Reactor;

use super::Runtime;
use crate::core::{Core, LazyPool};
use crate::observe::{
    DEFAULT_SLOW_CALLBACK, DebugMode, Exception, ExceptionHandler, SlowCallback,
    SlowCallbackHandler, debug_from_env, default_handler, default_slow_callback_handler,
};

// ===== impl Runtime =====

impl Runtime {
    /// Creates a runtime with the default settings.
    ///
    /// # Errors
    ///
    /// Fails if the OS refuses the poller (for example, out of file
    /// descriptors).
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> std::io::Result<()> {
    /// let rt = tether::Runtime::new()?;
    /// assert_eq!(rt.block_on(async { 6 * 7 }), 42);
    /// # Ok(())
    /// # }
    /// ```
    pub fn new() -> io::Result<Runtime> {
        Builder::new().build()
    }

    /// A [`Builder`] to configure a runtime. Shown in
    /// [`Builder`'s example](Builder#examples).
    pub fn builder() -> Builder {
        Builder::new()
    }
}

// ===== impl Builder =====

/// Configures and builds a [`Runtime`].
///
/// asyncio: `new_event_loop()` followed by `loop.set_exception_handler(..)`.
///
/// # Examples
///
/// ```
/// use std::cell::Cell;
/// use std::rc::Rc;
/// # fn main() -> std::io::Result<()> {
/// // The default settings, which `Runtime::new` uses.
/// let rt = tether::Builder::new().build()?;
/// assert_eq!(rt.block_on(async { 6 * 7 }), 42);
///
/// // `Runtime::builder` is the same builder; change what you need.
/// let panics = Rc::new(Cell::new(0));
/// let seen = panics.clone();
/// let rt = tether::Runtime::builder()
///     .on_exception(move |_exception| seen.set(seen.get() + 1))
///     .build()?;
/// rt.block_on(async {
///     // Detached (the JoinHandle is dropped), so the handler hears of it.
///     drop(tether::spawn(async { panic!("boom") }));
///     tether::yield_now().await;
/// });
/// assert_eq!(panics.get(), 1);
/// # Ok(())
/// # }
/// ```
#[must_use = "a Builder does nothing until `build` is called"]
pub struct Builder {
    /// The exception handler; `None` for the default.
    on_exception: Option<ExceptionHandler>,
    /// The blocking pool's thread limit; `None` for the pool's default.
    max_blocking_threads: Option<NonZeroUsize>,
    /// How long an idle blocking thread waits for work.
    blocking_keep_alive: Duration,
    /// How long shutdown waits for running blocking jobs.
    shutdown_timeout: Duration,
    /// Debug mode; `None` to ask `TETHER_DEBUG` at `build`.
    debug: Option<bool>,
    /// Debug mode reports runs at least this long.
    slow_callback_duration: Duration,
    /// Debug mode's report; `None` for the default.
    on_slow_callback: Option<SlowCallbackHandler>,
    /// The loop's name, if it has one.
    name: Option<Box<str>>,
}

impl Builder {
    /// A builder with the default settings. Shown in
    /// [`Builder`'s example](Builder#examples).
    ///
    /// [`Runtime::builder`] returns the same.
    pub fn new() -> Self {
        Self {
            on_exception: None,
            max_blocking_threads: None,
            blocking_keep_alive: Duration::from_secs(10),
            shutdown_timeout: Duration::from_secs(10),
            debug: None,
            slow_callback_duration: DEFAULT_SLOW_CALLBACK,
            on_slow_callback: None,
            name: None,
        }
    }

    /// Names the loop. Debug mode's reports say which loop ran a slow
    /// callback by this name, and [`Handle::name`](crate::Handle::name)
    /// gives it to any thread; a program that runs several loops tells
    /// them apart by it. A [`LoopPool`](crate::LoopPool) names each of its
    /// loops. Default: no name.
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> std::io::Result<()> {
    /// let rt = tether::Runtime::builder().name("io-3").build()?;
    /// assert_eq!(rt.handle().name(), Some("io-3"));
    /// # Ok(())
    /// # }
    /// ```
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into().into_boxed_str());
        self
    }

    /// Turns debug mode on or off (default: on if the environment variable
    /// `TETHER_DEBUG` is set to anything but `""` or `"0"`).
    ///
    /// asyncio: `loop.set_debug(True)`, or `PYTHONASYNCIODEBUG=1`.
    ///
    /// In debug mode the loop reads the clock around every run of a task or
    /// callback, and:
    ///
    /// - reports each run that takes [`slow_callback_duration`] or longer
    ///   (100 ms unless set), naming the task and where it was spawned;
    ///   such a run held up every other task of the loop;
    /// - keeps the time each task's last run began, which
    ///   [`Handle::dump`](crate::Handle::dump) shows as `since_last_run`;
    /// - records where each [`Handle::call_soon`](crate::Handle::call_soon)
    ///   was called, so that its report can say.
    ///
    /// The clock readings make a hop between two tasks, the loop's fastest
    /// work, about three times slower (`cargo bench --bench micro`:
    /// `tether_debug` in `wake/ping_pong`), which is why this is a mode.
    ///
    /// [`slow_callback_duration`]: Builder::slow_callback_duration
    ///
    /// # Examples
    ///
    /// ```
    /// use std::cell::RefCell;
    /// use std::rc::Rc;
    /// use std::time::Duration;
    /// # fn main() -> std::io::Result<()> {
    /// let slow = Rc::new(RefCell::new(Vec::new()));
    /// let seen = slow.clone();
    /// let rt = tether::Runtime::builder()
    ///     .debug(true)
    ///     .slow_callback_duration(Duration::from_millis(20))
    ///     .on_slow_callback(move |report| seen.borrow_mut().push(report.to_string()))
    ///     .build()?;
    /// rt.block_on(async {
    ///     let blocker = tether::task::Builder::new().name("blocker").spawn(async {
    ///         std::thread::sleep(Duration::from_millis(30)); // blocks the loop
    ///     });
    ///     blocker.await.unwrap();
    /// });
    /// assert_eq!(slow.borrow().len(), 1);
    /// assert!(slow.borrow()[0].contains("\"blocker\""));
    /// # Ok(())
    /// # }
    /// ```
    pub fn debug(mut self, on: bool) -> Self {
        self.debug = Some(on);
        self
    }

    /// Sets how long one run of a task or callback may take before debug
    /// mode reports it (default: 100 ms, asyncio's).
    ///
    /// asyncio: `loop.slow_callback_duration`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// # use std::cell::RefCell;
    /// # use std::rc::Rc;
    /// # fn main() -> std::io::Result<()> {
    /// # let reports = Rc::new(RefCell::new(Vec::new()));
    /// # let seen = reports.clone();
    /// let rt = tether::Runtime::builder()
    ///     .debug(true)
    ///     .slow_callback_duration(Duration::from_millis(1))
    ///     .on_slow_callback(move |slow| seen.borrow_mut().push((slow.took(), slow.threshold())))
    ///     .build()?;
    /// rt.block_on(async {
    ///     tether::spawn(async { std::thread::sleep(Duration::from_millis(5)) }).await.unwrap();
    /// });
    /// // The 5 ms run was reported against the 1 ms threshold.
    /// let reports = reports.borrow();
    /// assert!(reports.iter().any(|&(took, _)| took >= Duration::from_millis(5)));
    /// assert!(reports.iter().all(|&(_, threshold)| threshold == Duration::from_millis(1)));
    /// # Ok(())
    /// # }
    /// ```
    pub fn slow_callback_duration(mut self, threshold: Duration) -> Self {
        self.slow_callback_duration = threshold;
        self
    }

    /// Sets what debug mode does with a slow run. The default prints one
    /// line to stderr: `tether: warning: task 7 "fetch" (spawned at
    /// src/main.rs:12:5) took 152ms in one run, more than the 100ms
    /// slow_callback_duration`.
    ///
    /// The handler runs on the loop thread, right after the slow run.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::cell::RefCell;
    /// use std::rc::Rc;
    /// use std::time::Duration;
    /// # fn main() -> std::io::Result<()> {
    /// let kinds = Rc::new(RefCell::new(Vec::new()));
    /// let seen = kinds.clone();
    /// let rt = tether::Runtime::builder()
    ///     .debug(true)
    ///     .slow_callback_duration(Duration::from_millis(1))
    ///     .on_slow_callback(move |slow| seen.borrow_mut().push(slow.kind()))
    ///     .build()?;
    /// rt.block_on(async {
    ///     tether::call_soon(|| std::thread::sleep(Duration::from_millis(5)));
    ///     tether::yield_now().await;
    /// });
    /// assert!(kinds.borrow().contains(&tether::task::TaskKind::Callback));
    /// # Ok(())
    /// # }
    /// ```
    pub fn on_slow_callback(mut self, handler: impl Fn(&SlowCallback<'_>) + 'static) -> Self {
        self.on_slow_callback = Some(Box::new(handler));
        self
    }

    /// Sets the most threads [`spawn_blocking`](crate::spawn_blocking) runs
    /// at once (default: `min(32, cpus + 4)`, asyncio's, worked out when
    /// the first job starts, with `cpus` the CPUs of the loop thread's
    /// affinity mask, as asyncio's `os.process_cpu_count` counts the
    /// process's: [`tether_reactor::process_cpu_count`]; the same, unless
    /// the loop's thread is pinned, as `LoopPool::builder().pin_to_cores`
    /// does). Jobs beyond it wait in FIFO order.
    ///
    /// # Panics
    ///
    /// Panics if `threads` is zero.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::thread;
    /// use std::time::Duration;
    /// # fn main() -> std::io::Result<()> {
    /// let rt = tether::Runtime::builder().max_blocking_threads(1).build()?;
    /// rt.block_on(async {
    ///     let first = tether::spawn_blocking(|| {
    ///         thread::sleep(Duration::from_millis(1));
    ///         thread::current().id()
    ///     });
    ///     let second = tether::spawn_blocking(|| thread::current().id());
    ///     // The second job waited for the only thread, and ran there.
    ///     assert_eq!(first.await.unwrap(), second.await.unwrap());
    /// });
    /// # Ok(())
    /// # }
    /// ```
    pub fn max_blocking_threads(mut self, threads: usize) -> Self {
        let threads =
            NonZeroUsize::new(threads).expect("the blocking pool needs at least one thread");
        self.max_blocking_threads = Some(threads);
        self
    }

    /// Sets how long an idle blocking thread waits for a job before it
    /// exits (default: 10 s).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::thread;
    /// use std::time::Duration;
    /// # fn main() -> std::io::Result<()> {
    /// let rt = tether::Runtime::builder()
    ///     .max_blocking_threads(1)
    ///     .blocking_keep_alive(Duration::from_secs(60))
    ///     .build()?;
    /// rt.block_on(async {
    ///     let first = tether::spawn_blocking(|| thread::current().id()).await.unwrap();
    ///     tether::time::sleep(Duration::from_millis(2)).await;
    ///     // The idle thread was still there for the next job.
    ///     let second = tether::spawn_blocking(|| thread::current().id()).await.unwrap();
    ///     assert_eq!(first, second);
    /// });
    /// # Ok(())
    /// # }
    /// ```
    pub fn blocking_keep_alive(mut self, keep_alive: Duration) -> Self {
        self.blocking_keep_alive = keep_alive;
        self
    }

    /// Sets how long dropping the runtime waits for blocking jobs that are
    /// running (default: 10 s). Jobs still running then are left to finish
    /// on their own; queued jobs never start.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::sync::atomic::{AtomicBool, Ordering};
    /// use std::sync::mpsc;
    /// use std::time::Duration;
    /// # fn main() -> std::io::Result<()> {
    /// let rt = tether::Runtime::builder()
    ///     .shutdown_timeout(Duration::from_secs(60))
    ///     .build()?;
    /// let finished = Arc::new(AtomicBool::new(false));
    /// let (started, has_started) = mpsc::channel();
    /// let flag = finished.clone();
    /// let job = rt.block_on(async move {
    ///     tether::spawn_blocking(move || {
    ///         started.send(()).unwrap();
    ///         std::thread::sleep(Duration::from_millis(5));
    ///         flag.store(true, Ordering::SeqCst);
    ///     })
    /// });
    /// has_started.recv().unwrap();
    /// drop(rt); // waits for the running job, up to a minute
    /// assert!(finished.load(Ordering::SeqCst));
    /// assert!(job.wait().is_ok());
    /// # Ok(())
    /// # }
    /// ```
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.shutdown_timeout = timeout;
        self
    }

    /// Sets what happens to a panic that no `JoinHandle` will report: one in
    /// a task whose `JoinHandle` was dropped before it panicked, in a task
    /// submitted from another thread (its `ThreadFuture` gets it too), in a
    /// callback, or in a destructor the loop ran.
    ///
    /// asyncio: `loop.set_exception_handler(handler)`.
    ///
    /// The handler runs on the loop thread, right after the panic was
    /// caught; the loop goes on afterwards. A panic in the handler itself is
    /// caught and printed. The default prints one line to stderr, naming the
    /// task: `tether: task 7 panicked: boom`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::cell::RefCell;
    /// use std::rc::Rc;
    /// # fn main() -> std::io::Result<()> {
    /// let panics = Rc::new(RefCell::new(Vec::new()));
    /// let seen = panics.clone();
    /// let rt = tether::Runtime::builder()
    ///     .on_exception(move |exception| seen.borrow_mut().push(exception.to_string()))
    ///     .build()?;
    /// rt.block_on(async {
    ///     let callback = tether::call_soon(|| panic!("boom"));
    ///     tether::yield_now().await; // the callback panics; the loop goes on
    ///     assert!(callback.is_finished());
    /// });
    /// assert_eq!(panics.borrow().len(), 1);
    /// assert!(panics.borrow()[0].ends_with("panicked: boom"));
    /// # Ok(())
    /// # }
    /// ```
    pub fn on_exception(mut self, handler: impl Fn(&Exception<'_>) + 'static) -> Self {
        self.on_exception = Some(Box::new(handler));
        self
    }

    /// Builds the runtime.
    ///
    /// # Errors
    ///
    /// Fails if the OS refuses the poller (for example, out of file
    /// descriptors).
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> std::io::Result<()> {
    /// let rt = tether::Runtime::builder().debug(false).build()?;
    /// let task = rt.spawn(async { "ran" });
    /// assert_eq!(rt.block_on(task).unwrap(), "ran");
    /// # Ok(())
    /// # }
    /// ```
    pub fn build(self) -> io::Result<Runtime> {
        let reactor = Reactor::new()?;
        let on_exception = self
            .on_exception
            .unwrap_or_else(|| Box::new(default_handler));
        // Made by the first job that needs it (`core/blocking.rs`).
        let pool = Rc::new(LazyPool::new(
            self.max_blocking_threads,
            self.blocking_keep_alive,
        ));
        let debug = self.debug.unwrap_or_else(debug_from_env).then(|| {
            let on_slow_callback = self
                .on_slow_callback
                .unwrap_or_else(|| Box::new(default_slow_callback_handler));
            DebugMode::new(self.slow_callback_duration, on_slow_callback)
        });
        // Host names are looked up on the blocking pool, not on the loop.
        #[cfg(feature = "net")]
        {
            let pool = Rc::clone(&pool);
            reactor.set_blocking_pool_with(move || pool.get().clone());
        }
        let core = Core::new(
            reactor,
            on_exception,
            pool,
            self.shutdown_timeout,
            debug,
            self.name,
        );
        Ok(Runtime::from_core(Rc::new(core)))
    }
}

impl Default for Builder {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Builder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Builder")
            .field("on_exception", &self.on_exception.is_some())
            .field("max_blocking_threads", &self.max_blocking_threads)
            .field("blocking_keep_alive", &self.blocking_keep_alive)
            .field("shutdown_timeout", &self.shutdown_timeout)
            .field("debug", &self.debug)
            .field("slow_callback_duration", &self.slow_callback_duration)
            .field("on_slow_callback", &self.on_slow_callback.is_some())
            .field("name", &self.name)
            .finish()
    }
}
