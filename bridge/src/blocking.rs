//! The blocking pool: threads for work that would block the loop.
//!
//! asyncio's `run_in_executor(None, f)` hands `f` to a
//! `ThreadPoolExecutor`; this is tether's. Jobs go into one FIFO queue;
//! threads are started on demand, at most `max_threads` of them, and an
//! idle thread exits after `keep_alive`. A job is a boxed closure: it carries
//! its own way of reporting back, and a job that is dropped without running
//! reports that too, through its destructor.
//! [`BlockingPool::spawn_answered`] is that way for the pool's two users
//! (the executor's `spawn_blocking` and the reactor's name lookups): the
//! answer goes into a [`Completion`], and a job dropped unrun answers all
//! the same.
//!
//! # State and rules
//!
//! Everything is in one `PoolState` under one mutex, with one condition
//! variable idle threads sleep on.
//!
//! 1. A job is queued under the lock, and taken under the lock by exactly
//!    one thread; after `shutdown` no job is queued, and none is taken.
//! 2. `idle` counts threads asleep on the condition variable that nobody
//!    has chosen yet. A submitter that finds one chooses it: it decrements
//!    `idle`, increments `notified`, and signals. A sleeper leaves its sleep
//!    to look for work only against a `notified` count, so a spurious or
//!    timed-out wake-up never makes two threads think they were chosen, and
//!    a job never waits while a thread could take it: it either has a chosen
//!    sleeper, a new thread, or `max_threads` busy ones ahead of it (or, if
//!    the OS refused a new thread, at least one busy one; with none, `spawn`
//!    hands the job back).
//! 3. A thread whose keep-alive ran out exits only if nobody chose it
//!    meanwhile (it checks `notified` first).
//! 4. `shutdown` marks the pool closed, takes the queued jobs out (they are
//!    handed to the caller, to drop: they never start), wakes every
//!    sleeper, then waits, at most `timeout`, for running jobs to end and
//!    every thread to leave. The threads that have finished by then are
//!    joined; the others are left detached.
//!
//! # The model
//!
//! `loom-tests/tests/blocking.rs` races a submission against a pool thread
//! that is finishing its job or whose keep-alive runs out, and submissions
//! against shutdown:
//! every job runs exactly once or is handed back / dropped unstarted, and
//! shutdown returns. Loom's `wait_timeout` never times out, so under loom
//! the keep-alive clock belongs to the model: a wait counts as timed out
//! once the model has called `expire_keep_alive`. The lines marked
//! `MUTANT:` are the bugs the model is shown to catch
//! (`loom-tests/mutants.sh`).
//!
//! # Examples
//!
//! ```
//! use std::sync::mpsc;
//! use std::time::Duration;
//! use tether_bridge::blocking::{BlockingPool, PoolConfig};
//!
//! let pool = BlockingPool::new(PoolConfig {
//!     max_threads: None,
//!     cpu_count: PoolConfig::std_cpu_count,
//!     keep_alive: Duration::from_secs(60),
//!     thread_name: "tether-blocking".into(),
//! });
//! let (tx, rx) = mpsc::channel();
//! for i in 0..4 {
//!     let tx = tx.clone();
//!     pool.spawn(Box::new(move || tx.send(i * i).unwrap())).unwrap();
//! }
//! let mut squares: Vec<u32> = rx.iter().take(4).collect();
//! squares.sort();
//! assert_eq!(squares, [0, 1, 4, 9]);
//! # pool.shutdown(Duration::from_secs(10));
//! ```

use std::collections::VecDeque;
use std::num::NonZeroUsize;
use std::time::{Duration, Instant};

use crate::Closed;
use crate::completion::Completion;
use crate::sync::{Arc, Condvar, Mutex, MutexGuard, ThreadHandle, lock, spawn_named};

/// A unit of work for the pool.
///
/// # Examples
///
/// A job reports back on its own, here through a channel.
///
/// ```
/// use std::sync::mpsc;
/// use tether_bridge::Job;
///
/// let (tx, rx) = mpsc::channel();
/// let job: Job = Box::new(move || tx.send("ran").unwrap());
/// job();
/// assert_eq!(rx.recv(), Ok("ran"));
/// ```
pub type Job = Box<dyn FnOnce() + Send + 'static>;

/// How a pool is set up.
///
/// # Examples
///
/// One thread at most, whatever the number of jobs, named as configured.
///
/// ```
/// use std::num::NonZeroUsize;
/// use std::sync::mpsc;
/// use std::time::Duration;
/// use tether_bridge::{BlockingPool, PoolConfig};
///
/// let pool = BlockingPool::new(PoolConfig {
///     max_threads: NonZeroUsize::new(1),
///     cpu_count: PoolConfig::std_cpu_count,
///     keep_alive: Duration::from_secs(60),
///     thread_name: "tether-blocking".into(),
/// });
/// let (tx, rx) = mpsc::channel();
/// for _ in 0..3 {
///     let tx = tx.clone();
///     let job = move || tx.send(std::thread::current().name().map(String::from)).unwrap();
///     pool.spawn(Box::new(job)).unwrap();
/// }
/// for _ in 0..3 {
///     assert_eq!(rx.recv().unwrap().as_deref(), Some("tether-blocking"));
/// }
/// assert_eq!(pool.threads(), 1);
/// # pool.shutdown(Duration::from_secs(10));
/// ```
#[derive(Debug, Clone)]
pub struct PoolConfig {
    /// The most threads that run at once; `None` for asyncio's default,
    /// `min(32, cpus + 4)`, with `cpus` from `cpu_count`. The default is
    /// worked out when the pool first needs a thread, so that a program
    /// that never runs a blocking job never counts the CPUs.
    pub max_threads: Option<NonZeroUsize>,
    /// How many CPUs the pool's threads may run on, for the default limit:
    /// asked on the thread that starts the first one, whose affinity mask
    /// its threads inherit.
    ///
    /// A function, not a figure: it runs only if `max_threads` is `None`,
    /// when the pool first needs a thread; and the code that counts is in
    /// the binary only where it is named. The runtime passes
    /// `tether_reactor::process_cpu_count` (the affinity mask, one system
    /// call, as asyncio's `os.process_cpu_count`); [`std_cpu_count`](PoolConfig::std_cpu_count)
    /// is std's count.
    pub cpu_count: fn() -> usize,
    /// How long an idle thread waits for work before it exits.
    pub keep_alive: Duration,
    /// The name of the pool's threads.
    pub thread_name: String,
}

/// A bounded pool of threads for blocking work. Cheap to clone.
///
/// # Examples
///
/// A clone submits to the same pool, from any thread; the pool starts a
/// thread for the job, which stays until its keep-alive runs out or the
/// pool shuts down.
///
/// ```
/// use std::sync::mpsc;
/// use std::time::Duration;
/// use tether_bridge::{BlockingPool, PoolConfig};
///
/// let pool = BlockingPool::new(PoolConfig {
///     max_threads: None,
///     cpu_count: PoolConfig::std_cpu_count,
///     keep_alive: Duration::from_secs(60),
///     thread_name: "tether-blocking".into(),
/// });
/// assert_eq!(pool.threads(), 0); // none until a job needs one
/// let (tx, rx) = mpsc::channel();
/// let clone = pool.clone();
/// let submitter = std::thread::spawn(move || {
///     clone.spawn(Box::new(move || tx.send("from a clone").unwrap())).unwrap();
/// });
/// submitter.join().unwrap();
/// assert_eq!(rx.recv(), Ok("from a clone"));
/// // Give the thread a moment to go idle: it sleeps until its keep-alive
/// // runs out...
/// std::thread::sleep(Duration::from_millis(50));
/// assert_eq!(pool.threads(), 1);
/// // ...or until shutdown wakes it, and then it leaves at once.
/// let (_, report) = pool.shutdown(Duration::from_secs(10));
/// assert_eq!(report.still_running, 0);
/// assert_eq!(pool.threads(), 0);
/// ```
#[derive(Clone)]
pub struct BlockingPool {
    /// The state every thread of the pool shares.
    inner: Arc<Inner>,
}

/// What the pool's threads and its handles share.
struct Inner {
    /// Everything mutable (rule 1).
    state: Mutex<PoolState>,
    /// Idle threads sleep here; also signalled when a thread leaves.
    wakeup: Condvar,
    /// The configuration.
    config: PoolConfig,
}

/// The pool's mutable state.
struct PoolState {
    /// Jobs not yet taken, oldest first.
    queue: VecDeque<Job>,
    /// Threads alive (running a job, or idle).
    threads: usize,
    /// The most threads allowed; `None` until the first thread is wanted.
    max_threads: Option<usize>,
    /// Threads asleep and not chosen (rule 2).
    idle: usize,
    /// Sleepers chosen by a submitter, not yet awake (rule 2).
    notified: usize,
    /// Set by `shutdown`: no more jobs are queued or taken.
    shutdown: bool,
    /// Handles of the threads started, to join at shutdown; pruned of the
    /// finished ones as new threads start.
    handles: Vec<ThreadHandle>,
    /// The half of `shutdown` that drains the queue and waits for threads
    /// ([`Inner::stop_threads`]), set when a thread is first started. A
    /// pool that never started one has nothing queued and nobody to wait
    /// for, and a program that never starts one does not link the waiting:
    /// about 9 KB, most of it std's timed wait on a condition variable and
    /// its thread joins (measured on hello world when every runtime made a
    /// pool; since the first job makes it, a program that can make one, by
    /// having sockets, and never starts a thread is the one spared).
    stop_threads: Option<StopThreads>,
    /// Under loom, the model's clock: set once every keep-alive has run out.
    #[cfg(loom)]
    keep_alive_over: bool,
}

/// The type of [`Inner::stop_threads`].
type StopThreads = fn(&Inner, MutexGuard<'_, PoolState>, Duration) -> (Vec<Job>, ShutdownReport);

impl PoolState {
    /// The thread limit, the default worked out on first use from
    /// `cpu_count` (`PoolConfig::cpu_count`).
    fn max_threads(&mut self, cpu_count: fn() -> usize) -> usize {
        *self
            .max_threads
            .get_or_insert_with(|| (cpu_count().max(1) + 4).min(32))
    }
}

impl PoolConfig {
    /// std's count of the CPUs this process may use
    /// (`std::thread::available_parallelism`), or 1 if it cannot tell: a
    /// [`cpu_count`](PoolConfig::cpu_count) for a program that does not
    /// mind what it costs. On Linux it also reads the cgroup's CPU quota,
    /// from files, with some 11 KB of code in the binary.
    pub fn std_cpu_count() -> usize {
        std::thread::available_parallelism().map_or(1, NonZeroUsize::get)
    }
}

/// What `shutdown` achieved.
///
/// # Examples
///
/// A shutdown that does not wait, while the pool's only thread is busy.
///
/// ```
/// use std::num::NonZeroUsize;
/// use std::sync::mpsc;
/// use std::time::Duration;
/// use tether_bridge::{BlockingPool, PoolConfig, ShutdownReport};
///
/// let pool = BlockingPool::new(PoolConfig {
///     max_threads: NonZeroUsize::new(1),
///     cpu_count: PoolConfig::std_cpu_count,
///     keep_alive: Duration::from_secs(60),
///     thread_name: "tether-blocking".into(),
/// });
/// let (started_tx, started) = mpsc::channel();
/// let (release, release_rx) = mpsc::channel::<()>();
/// pool.spawn(Box::new(move || {
///     started_tx.send(()).unwrap();
///     release_rx.recv().unwrap();
/// }))
/// .unwrap();
/// started.recv().unwrap();
/// pool.spawn(Box::new(|| {})).unwrap(); // waits behind the first job
/// let (_, report) = pool.shutdown(Duration::ZERO);
/// assert_eq!(report, ShutdownReport { dropped: 1, still_running: 1 });
/// # release.send(()).unwrap();
/// # pool.shutdown(Duration::from_secs(10));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShutdownReport {
    /// Queued jobs taken out unstarted: `shutdown` hands them back, and
    /// they never run.
    pub dropped: usize,
    /// Threads that had not left the pool when the wait ended: still
    /// running a job, or not yet out of their sleep (left detached).
    pub still_running: usize,
}

impl BlockingPool {
    /// A pool with no thread yet; shown in
    /// [`BlockingPool`'s example](BlockingPool#examples).
    pub fn new(config: PoolConfig) -> Self {
        Self {
            inner: Arc::new(Inner {
                state: Mutex::new(PoolState {
                    queue: VecDeque::new(),
                    threads: 0,
                    max_threads: config.max_threads.map(NonZeroUsize::get),
                    idle: 0,
                    notified: 0,
                    shutdown: false,
                    handles: Vec::new(),
                    stop_threads: None,
                    #[cfg(loom)]
                    keep_alive_over: false,
                }),
                wakeup: Condvar::new(),
                config,
            }),
        }
    }

    /// Queues `job`, and wakes or starts a thread for it.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::mpsc;
    /// # use std::time::Duration;
    /// # use tether_bridge::{BlockingPool, PoolConfig};
    /// # let pool = BlockingPool::new(PoolConfig {
    /// #     max_threads: None,
    /// #     cpu_count: PoolConfig::std_cpu_count,
    /// #     keep_alive: Duration::from_secs(60),
    /// #     thread_name: "tether-blocking".into(),
    /// # });
    ///
    /// let (tx, rx) = mpsc::channel();
    /// pool.spawn(Box::new(move || tx.send(2 + 2).unwrap())).unwrap();
    /// assert_eq!(rx.recv(), Ok(4));
    ///
    /// pool.shutdown(Duration::from_secs(10));
    /// assert!(pool.spawn(Box::new(|| {})).is_err());
    /// ```
    ///
    /// # Errors
    ///
    /// After `shutdown`, the job is handed back in [`Closed`]. If the OS
    /// refuses a new thread while none is running, the job is handed back
    /// too, so that it cannot wait forever.
    pub fn spawn(&self, job: Job) -> Result<(), Closed<Job>> {
        let mut state = lock(&self.inner.state);
        if state.shutdown {
            return Err(Closed(job));
        }
        state.queue.push_back(job);
        if state.idle > 0 {
            // Rule 2: choose a sleeper.
            state.idle -= 1;
            // MUTANT: signal a sleeper without counting it as chosen.
            if !cfg!(tether_mutant = "pool_uncounted_sleeper") {
                state.notified += 1;
            }
            self.inner.wakeup.notify_one();
        } else if state.threads < state.max_threads(self.inner.config.cpu_count) {
            state.handles.retain(|handle| !handle.is_finished());
            let inner = self.inner.clone();
            match spawn_named(self.inner.config.thread_name.clone(), move || inner.work()) {
                Ok(handle) => {
                    state.threads += 1;
                    state.handles.push(handle);
                    state.stop_threads = Some(Inner::stop_threads);
                }
                Err(_) if state.threads == 0 => {
                    // Nobody would ever take it.
                    let job = state.queue.pop_back().expect("the job just queued");
                    return Err(Closed(job));
                }
                // Busy threads will get to it.
                Err(_) => {}
            }
        }
        Ok(())
    }

    /// Stops the pool (rule 4): queued jobs are returned unstarted, running
    /// ones get until `timeout` to finish, and the threads that have
    /// finished by then are joined. Idempotent.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::num::NonZeroUsize;
    /// use std::sync::mpsc;
    /// use std::time::Duration;
    /// use tether_bridge::{BlockingPool, PoolConfig};
    ///
    /// let pool = BlockingPool::new(PoolConfig {
    ///     max_threads: NonZeroUsize::new(1),
    ///     cpu_count: PoolConfig::std_cpu_count,
    ///     keep_alive: Duration::from_secs(60),
    ///     thread_name: "tether-blocking".into(),
    /// });
    /// let (started_tx, started) = mpsc::channel();
    /// let (release, release_rx) = mpsc::channel::<()>();
    /// pool.spawn(Box::new(move || {
    ///     started_tx.send(()).unwrap();
    ///     release_rx.recv().unwrap();
    /// }))
    /// .unwrap();
    /// started.recv().unwrap();
    /// let (ran_tx, ran) = mpsc::channel();
    /// pool.spawn(Box::new(move || ran_tx.send(()).unwrap())).unwrap();
    ///
    /// // The second job is handed back unstarted; the first one still runs.
    /// let (queued, report) = pool.shutdown(Duration::ZERO);
    /// assert_eq!((queued.len(), report.still_running), (1, 1));
    /// drop(queued);
    ///
    /// // Once it ends, a second shutdown sees every thread gone.
    /// release.send(()).unwrap();
    /// let (queued, report) = pool.shutdown(Duration::from_secs(10));
    /// assert_eq!((queued.len(), report.still_running), (0, 0));
    /// assert!(ran.try_recv().is_err());
    /// ```
    pub fn shutdown(&self, timeout: Duration) -> (Vec<Job>, ShutdownReport) {
        let mut state = lock(&self.inner.state);
        state.shutdown = true;
        match state.stop_threads {
            Some(stop_threads) => stop_threads(&self.inner, state, timeout),
            // No thread was ever started, so no job was ever queued: a job
            // is queued only behind a thread, or handed back.
            None => (
                Vec::new(),
                ShutdownReport {
                    dropped: 0,
                    still_running: 0,
                },
            ),
        }
    }

    /// Threads in the pool now, running a job or idle (for tests and
    /// metrics); shown in [`BlockingPool`'s example](BlockingPool#examples).
    pub fn threads(&self) -> usize {
        lock(&self.inner.state).threads
    }

    /// Runs `job` on the pool with its answer in a [`Completion`] cell,
    /// which the caller waits on: the job half of the executor's
    /// `spawn_blocking` and of the reactor's host-name lookups.
    ///
    /// The job runs only if the cell was not cancelled before it started
    /// ([`Completion::start`]); once started, it runs to its end. A job
    /// that never runs, because the pool refused it (shut down) or dropped
    /// it unrun, answers with `unrun()` instead, so the cell always
    /// resolves.
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tether_bridge::{BlockingPool, PoolConfig};
    /// # let pool = BlockingPool::new(PoolConfig {
    /// #     max_threads: None,
    /// #     cpu_count: PoolConfig::std_cpu_count,
    /// #     keep_alive: Duration::from_secs(10),
    /// #     thread_name: "tether-blocking".into(),
    /// # });
    /// let answer = pool.spawn_answered(|| 2 + 2, || -1);
    /// assert_eq!(answer.wait(), 4);
    ///
    /// pool.shutdown(Duration::from_secs(10));
    /// let refused = pool.spawn_answered(|| 2 + 2, || -1);
    /// assert_eq!(refused.wait(), -1);
    /// ```
    pub fn spawn_answered<T, J, U>(&self, job: J, unrun: U) -> Arc<Completion<T>>
    where
        T: Send + 'static,
        J: FnOnce() -> T + Send + 'static,
        U: FnOnce() -> T + Send + 'static,
    {
        let cell = Arc::new(Completion::new());
        let mut guard = Unrun {
            cell: cell.clone(),
            unrun: Some(unrun),
        };
        // Refused only by a pool that is shut down, or when the OS refused
        // a new thread while none was running: the job is dropped, and its
        // guard answers.
        let _ = self.spawn(Box::new(move || {
            // Cancelled before it began: the canceller answered.
            if !guard.cell.start() {
                guard.disarm();
                return;
            }
            let value = job();
            guard.disarm();
            let _ = guard.cell.complete(value);
        }));
        cell
    }

    /// The model's clock (loom only): from now on every keep-alive has run
    /// out, so idle threads that nobody chose leave.
    #[cfg(loom)]
    pub fn expire_keep_alive(&self) {
        lock(&self.inner.state).keep_alive_over = true;
        self.inner.wakeup.notify_all();
    }
}

/// Answers a job's cell with `unrun()` if the job is dropped without
/// running; disarmed (`unrun` taken) once the job has run or was
/// cancelled.
struct Unrun<T, U: FnOnce() -> T> {
    /// The job's cell.
    cell: Arc<Completion<T>>,
    /// The answer of a job that never ran, until the job runs.
    unrun: Option<U>,
}

impl<T, U: FnOnce() -> T> Unrun<T, U> {
    /// The job ran, or was cancelled: nothing for the drop to answer.
    fn disarm(&mut self) {
        self.unrun = None;
    }
}

impl<T, U: FnOnce() -> T> Drop for Unrun<T, U> {
    fn drop(&mut self) {
        if let Some(unrun) = self.unrun.take() {
            let _ = self.cell.complete(unrun());
        }
    }
}

impl Inner {
    /// The rest of `shutdown` (rule 4), for a pool that has started a
    /// thread (`PoolState::stop_threads`): the queued jobs are taken out,
    /// the sleepers woken, and the threads waited for, at most `timeout`;
    /// those that have left are joined.
    fn stop_threads(
        &self,
        mut state: MutexGuard<'_, PoolState>,
        timeout: Duration,
    ) -> (Vec<Job>, ShutdownReport) {
        let queued: Vec<Job> = state.queue.drain(..).collect();
        // MUTANT: forget to wake the sleepers, which then never leave.
        if !cfg!(tether_mutant = "pool_shutdown_no_wake") {
            self.wakeup.notify_all();
        }
        let deadline = Instant::now().checked_add(timeout);
        while state.threads > 0 {
            let left = match deadline {
                Some(deadline) => match deadline.checked_duration_since(Instant::now()) {
                    Some(left) => left,
                    None => break,
                },
                None => Duration::MAX,
            };
            let (next, _) = self
                .wakeup
                .wait_timeout(state, left)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            state = next;
        }
        let still_running = state.threads;
        // Join the threads that have left; the others are detached. With
        // none still running, every thread has passed `leave`, and only its
        // return is left: all are joined, so that none outlives the
        // shutdown (`is_finished` alone, asked a moment before that return,
        // would leave it detached).
        let handles: Vec<_> = state.handles.drain(..).collect();
        drop(state);
        for handle in handles {
            if still_running == 0 || handle.is_finished() {
                let _ = handle.join();
            }
        }
        let report = ShutdownReport {
            dropped: queued.len(),
            still_running,
        };
        (queued, report)
    }

    /// A pool thread: takes jobs until the keep-alive runs out or the pool
    /// shuts down.
    fn work(&self) {
        let mut state = lock(&self.state);
        loop {
            if let Some(job) = (!state.shutdown).then(|| state.queue.pop_front()).flatten() {
                drop(state);
                // A job reports its own panic; the thread must survive it.
                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                state = lock(&self.state);
                continue;
            }
            if state.shutdown {
                break;
            }
            match self.sleep(state) {
                Some(next) => state = next,
                None => return,
            }
        }
        self.leave(state);
    }

    /// Sleeps until chosen (rule 2), shut down, or the keep-alive runs out
    /// (rule 3, returns `None` after leaving).
    fn sleep<'a>(
        &'a self,
        mut state: MutexGuard<'a, PoolState>,
    ) -> Option<MutexGuard<'a, PoolState>> {
        state.idle += 1;
        let deadline = Instant::now().checked_add(self.config.keep_alive);
        loop {
            state = self.wait_until(state, deadline);
            // MUTANT: look at the clock before looking for a choice, so that
            // a thread chosen just as its keep-alive ran out leaves anyway.
            #[cfg(tether_mutant = "pool_exit_ignores_notified")]
            if Self::keep_alive_over(&state, deadline) && !state.shutdown {
                self.leave(state);
                return None;
            }
            if state.notified > 0 {
                // Chosen (the submitter already took us out of `idle`).
                state.notified -= 1;
                return Some(state);
            }
            if state.shutdown {
                state.idle -= 1;
                return Some(state);
            }
            if Self::keep_alive_over(&state, deadline) {
                // Rule 3: nobody chose us, and the keep-alive is over.
                state.idle -= 1;
                self.leave(state);
                return None;
            }
        }
    }

    /// Waits on the condition variable until notified or until `deadline`.
    fn wait_until<'a>(
        &'a self,
        state: MutexGuard<'a, PoolState>,
        deadline: Option<Instant>,
    ) -> MutexGuard<'a, PoolState> {
        #[cfg(loom)]
        if state.keep_alive_over {
            // A wait whose deadline has passed returns at once.
            return state;
        }
        let left = deadline.map_or(Duration::MAX, |d| {
            d.saturating_duration_since(Instant::now())
        });
        let (state, _) = self
            .wakeup
            .wait_timeout(state, left)
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        state
    }

    /// Whether the keep-alive that ends at `deadline` is over: by the
    /// clock, or under loom by the model's say-so.
    fn keep_alive_over(state: &PoolState, deadline: Option<Instant>) -> bool {
        #[cfg(loom)]
        {
            let _ = deadline;
            state.keep_alive_over
        }
        #[cfg(not(loom))]
        {
            let _ = state;
            deadline.is_some_and(|deadline| Instant::now() >= deadline)
        }
    }

    /// The thread leaves the pool.
    fn leave(&self, mut state: MutexGuard<'_, PoolState>) {
        state.threads -= 1;
        // `shutdown` may be waiting for the last thread.
        self.wakeup.notify_all();
    }
}

impl std::fmt::Debug for BlockingPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = lock(&self.inner.state);
        f.debug_struct("BlockingPool")
            .field("threads", &state.threads)
            .field("idle", &state.idle)
            .field("queued", &state.queue.len())
            .field("shutdown", &state.shutdown)
            .finish_non_exhaustive()
    }
}

#[cfg(all(test, not(loom)))]
mod tests;
