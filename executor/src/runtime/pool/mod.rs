//! `LoopPool`: one loop per core, each exactly the single-threaded loop it
//! is alone.
//!
//! One tether loop uses one core. A server that needs more runs several
//! loops, one per core, and spreads its connections over them: the shape
//! of actix-rt and ntex (a current-thread runtime per thread), monoio and
//! glommio (a listener per core), Seastar (a shard per core). Nothing is
//! stolen: a task stays on the loop it was spawned on, so it need not be
//! `Send`, and a loop's state is never touched by another thread. What a
//! pool adds is the choosing: which loop gets a task, which gets a
//! connection, and the view of all of them from any thread.
//!
//! # What is per loop, what is shared
//!
//! Each loop is a [`LoopThread`]: its own thread, reactor, timers, ready
//! queue, task list, injection queue, exception handler, debug mode, and
//! blocking pool. The pool shares three things among them, all in
//! `tether-bridge`, as every piece of state between threads is:
//!
//! | shared | what | protocol |
//! |---|---|---|
//! | `Spread` | each loop's live connections, the cap, paused acceptors | `bridge/src/spread.rs`, with its loom model |
//! | `Sequence` | the round-robin cursor of [`spawn_next`](LoopPool::spawn_next) | one relaxed `fetch_add` |
//! | `Completion<()>` | "the pool is stopping": its callbacks cancel the acceptors | `bridge/src/completion.rs`, with its loom model |
//!
//! **Each loop has its own blocking pool.** A shared one would put one
//! mutex (the pool's queue, `bridge/src/blocking.rs`) under every loop's
//! `spawn_blocking` and every job's end: at 16 or 64 loops, that lock is
//! the one place all cores meet. Separate pools keep each loop what it is
//! alone (its shutdown waits for its own jobs, and a loop that floods its
//! pool with slow jobs delays only its own), and cost nothing while idle:
//! a pool starts threads on demand and lets them go after the keep-alive
//! (10 s). The price is a larger ceiling: each pool may grow to its
//! limit (by default the number of cores plus four, at most 32), so a
//! pool of N loops may run N times that many blocking threads at once;
//! [`LoopPoolBuilder::runtime`] lowers each loop's limit
//! (`Builder::max_blocking_threads`).
//!
//! # Choosing a loop
//!
//! From any thread, a future built on the target loop (so it need not be
//! `Send`, as with [`Handle::spawn_with`]) goes to:
//!
//! - a loop by index: [`spawn_on`](LoopPool::spawn_on);
//! - the next loop in turn: [`spawn_next`](LoopPool::spawn_next);
//! - the least loaded loop: [`spawn_least_loaded`](LoopPool::spawn_least_loaded);
//! - every loop: [`on_every_loop`](LoopPool::on_every_loop), to set up
//!   per-loop state or start a server per loop.
//!
//! Loops that take no work (stopped, or whose thread ended) are skipped by
//! `spawn_next` and `spawn_least_loaded`, whose work comes back in
//! [`Closed`] only when no loop is left; `on_every_loop` says, loop by
//! loop, which ones were closed.
//!
//! # Load
//!
//! A loop's **load** is its live connections (those the pool's servers
//! handed it) plus its queued work: the ready queue as the loop last
//! published it, and the submissions other threads sent that it has not
//! taken ([`Metrics`](crate::Metrics)'s `ready` and `injected`). Seastar balances by
//! connections alone; the queued work is tether's addition, for two
//! reasons. A loop that is busy with work other than connections
//! (timers, tasks other loops sent) shows it. And a loop that is stuck,
//! in a task that blocks its thread, shows it more with every submission
//! sent to it: its queue only grows, so the least-loaded choice routes
//! around it after at most a few more. Every figure is read from any
//! thread without stopping the loop, and may be a few events old.
//!
//! # Spreading connections
//!
//! [`serve`](LoopPool::serve) starts a TCP server on the pool, in one of
//! two ways chosen per server ([`Spreading`], which says when to pick
//! which): a listener per loop on one port with `SO_REUSEPORT`, where the
//! kernel spreads connections blind to load, or one acceptor that hands
//! each connection, as a std socket, to the loop with the lowest load,
//! which registers it. Both count each connection on its loop until its
//! handler's future ends, under a per-loop cap
//! ([`LoopPoolBuilder::max_connections_per_loop`]) past which accepting
//! pauses.
//!
//! # Talking between loops
//!
//! Sockets, timers and the `sync` primitives belong to the loop that made
//! them. A task that needs work done on another loop asks that loop, with
//! [`Handle::spawn_with`], and awaits the [`ThreadFuture`] (a round trip:
//! one submission there, one wake back). A stream of messages between
//! loops goes through a channel whose ends are `Send` and whose receiver
//! can be awaited on a loop: `async-channel` works on tether, and the
//! crate docs show both (`tether`'s "Many loops").
//!
//! # Health
//!
//! [`metrics`](LoopPool::metrics) reports, for every loop, its state, its
//! connections, its load and its [`Metrics`](crate::Metrics). A loop stuck in one run
//! shows there: its `iterations` stand still while `injected` grows. Its
//! connections stay stuck with it (nothing moves a connection off the
//! loop that owns it, since its socket and task belong to that loop);
//! under [`Spreading::LeastLoaded`] new connections go to the other
//! loops. A loop that stops, or whose thread ends, is reported as
//! [`LoopState::Exited`], skipped from then on, and [`stop`](LoopPool::stop)
//! still stops and joins every other loop, reporting a panicked one in its
//! [`StopReport`]. (Nothing a program runs on a loop panics its thread:
//! tasks, callbacks and handlers are caught. A loop's thread panics when
//! the loop itself cannot go on, a poller that fails, say;
//! `tests/rt_pool_panic.rs` breaks one to show the report.)
//!
//! # Stopping
//!
//! [`shutdown`](LoopPool::shutdown) stops the pool gracefully: it stops
//! every server accepting, waits (up to a timeout) until no connection is
//! open, then stops every loop and joins every thread.
//! [`stop`](LoopPool::stop) does the same without the wait, and dropping
//! the pool stops it too.
//!
//! # What contends at 16 or 64 cores
//!
//! A loop takes no lock on its own path per task or per wake; work sent to
//! it from another thread (a hand-off, a cross-loop wake or submission)
//! takes its injection queue's lock for a few instructions, which the loop
//! never sleeps on, and the `Spread`'s lock is taken only when a loop is at
//! its cap. What the
//! cores share: the `Spread` counts, one word per loop packed side by
//! side, so that eight loops' counts share a cache line, written when a
//! connection starts and when it ends; the `Spread`'s scan cursor, which
//! every claim stores to, in both modes, so one line that every loop
//! writes on every connection; the least-loaded acceptor, one loop, which
//! caps the accept rate at one core's and reads every loop's count and
//! queue levels per connection (at 64 loops, lines that the other 63
//! loops write); each loop's injection queue, which every hand-off and
//! cross-loop submission to it writes; and the round-robin cursor, one
//! `fetch_add` per `spawn_next`. `ReusePort` avoids the acceptor, its
//! reads and its hand-offs, not the counts' lines nor the cursor. Past
//! the accept, a connection's requests touch nothing another core
//! writes, unless the program sends work between loops.
//!
//! # What the figures show
//!
//! `benches/RESULTS.md` ("Many loops") serves 50 connections of echo and
//! of hyper's HTTP/1.1 with a pool of two loops, one loop, and tokio's
//! runtimes, on a 2-core machine whose cores the load client shares.
//! There, the pool served HTTP at about the rate of tokio's multi-threaded
//! runtime with two workers (0.93 to 1.15 times in fourteen runs), with a
//! p99 from about its own to 1.6 times it; and echo at 0.75 to 0.90 times
//! its rate, with about a third of its p99 (tokio's median round trip was
//! some 18 µs against a mean near 500: it serves a few connections back
//! and forth while the others wait). Two loops did only 0.89 to 1.15
//! times what one loop did: the client's threads take the same two
//! cores. Per echo round trip, the pool's own work in user space was
//! what tokio's was; the difference is kernel time spent waking the
//! client's threads and being preempted by them, which a server whose
//! clients run on other machines does not pay (`docs/design.md`, "Many
//! loops: the pool", has the figures and how they were taken). What the
//! pool itself adds per connection did not show: both ways of spreading
//! came out within the runs' noise of each other.

mod affinity;
mod builder;
mod report;
#[cfg(feature = "net")]
mod serve;

pub use builder::LoopPoolBuilder;
pub use report::{LoopReport, LoopState, StopReport};
#[cfg(feature = "net")]
pub use serve::{Server, Spreading};

use std::future::Future;
use std::io;
#[cfg(feature = "net")]
use std::net::SocketAddr;
use std::thread;
use std::time::{Duration, Instant};

use tether_bridge::sync::Arc;
use tether_bridge::{Closed, Completion, Sequence, Spread};

use super::LoopThread;
use crate::observe::{Dump, DumpError, panic_message};
use crate::remote::{Handle, ThreadFuture};
#[cfg(feature = "net")]
use serve::Bound;

/// A pool of loops, one per core by default, each on its own thread.
///
/// asyncio has no pool of loops: a program starts loops in threads and
/// spreads work itself (`loop.create_server(..., reuse_port=True)` in each
/// thread); this is that, run and balanced. `executor/src/runtime/pool/mod.rs`
/// says what is per loop and what is shared, how a loop is chosen, and
/// what contends at many cores; [`Spreading`] says how connections are
/// spread.
///
/// # Load
///
/// A loop's load is its live connections (those the pool's servers
/// handed it) plus its queued work: its ready queue as the loop last
/// published it, and the submissions other threads sent that it has not
/// taken ([`Metrics`](crate::Metrics)'s `ready` and `injected`). A loop
/// that is busy shows; a loop stuck in one run shows more with every
/// submission sent to it. Each figure is read from any thread without
/// stopping the loop, and may be a few events old.
///
/// # Examples
///
/// ```
/// use std::cell::Cell;
/// use std::rc::Rc;
/// # fn main() -> std::io::Result<()> {
/// let pool = tether::LoopPool::builder().loops(2).build()?;
/// assert_eq!(pool.loops(), 2);
///
/// // A future built on the chosen loop: an `Rc` need not be `Send`.
/// let on_1 = pool.spawn_on(1, || {
///     let count = Rc::new(Cell::new(1));
///     async move { (std::thread::current().name().map(str::to_owned), count.get()) }
/// });
/// assert_eq!(on_1.unwrap().wait().unwrap(), (Some("tether-pool-1".to_owned()), 1));
///
/// // Least loaded: both are idle here, so either; both work.
/// assert!(pool.least_loaded().is_some());
/// let answer = pool.spawn_least_loaded(|| async { 6 * 7 }).unwrap();
/// assert_eq!(answer.wait().unwrap(), 42);
///
/// let report = pool.stop(); // stops and joins both threads
/// assert!(report.panicked.is_empty());
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct LoopPool {
    /// The loops, by index; emptied by a stop.
    loops: Vec<LoopThread>,
    /// Each loop's live connections, the cap, and the paused acceptors.
    spread: Arc<Spread>,
    /// Where `spawn_next` and the tie-breaks of `least_loaded` start.
    next: Sequence,
    /// Completed when the pool begins to stop; its callbacks cancel the
    /// acceptors of every server.
    closing: Arc<Completion<()>>,
}

impl LoopPool {
    /// Starts a pool with one loop per available core, with the default
    /// settings ([`LoopPoolBuilder`]).
    ///
    /// # Errors
    ///
    /// Fails if a loop cannot start (out of file descriptors, say).
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> std::io::Result<()> {
    /// let pool = tether::LoopPool::new()?;
    /// let cores = std::thread::available_parallelism()?.get();
    /// assert_eq!(pool.loops(), cores);
    /// # Ok(())
    /// # }
    /// ```
    pub fn new() -> io::Result<LoopPool> {
        LoopPool::builder().build()
    }

    /// How many loops the pool has, running or not. Shown in
    /// [`LoopPool`'s example](LoopPool#examples).
    pub fn loops(&self) -> usize {
        self.loops.len()
    }

    /// The handle of loop `index`, if there is one. Shown in
    /// [`LoopPoolBuilder`'s example](LoopPoolBuilder#examples).
    pub fn handle(&self, index: usize) -> Option<&Handle> {
        self.loops.get(index).map(LoopThread::handle)
    }

    /// Every loop's handle, by index.
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> std::io::Result<()> {
    /// let pool = tether::LoopPool::builder().loops(2).build()?;
    /// let names: Vec<_> = pool.handles().map(|handle| handle.name().unwrap()).collect();
    /// assert_eq!(names, ["tether-pool-0", "tether-pool-1"]);
    /// # Ok(())
    /// # }
    /// ```
    pub fn handles(&self) -> impl ExactSizeIterator<Item = &Handle> {
        self.loops.iter().map(LoopThread::handle)
    }

    /// Runs the future `make` builds on loop `index`; see
    /// [`Handle::spawn_with`]. Shown in [`LoopPool`'s example](LoopPool#examples).
    ///
    /// # Errors
    ///
    /// If that loop is closed, `make` comes back in [`Closed`].
    ///
    /// # Panics
    ///
    /// If `index` is not below [`loops`](LoopPool::loops).
    #[track_caller]
    pub fn spawn_on<M, F>(
        &self,
        index: usize,
        make: M,
    ) -> Result<ThreadFuture<F::Output>, Closed<M>>
    where
        M: FnOnce() -> F + Send + 'static,
        F: Future + 'static,
        F::Output: Send,
    {
        let Some(target) = self.loops.get(index) else {
            panic!(
                "tether: LoopPool::spawn_on({index}) on a pool of {} loops",
                self.loops.len()
            );
        };
        target.handle().spawn_with(make)
    }

    /// Runs the future `make` builds on the next loop in turn, skipping
    /// loops that are closed.
    ///
    /// # Errors
    ///
    /// If every loop is closed, `make` comes back in [`Closed`].
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> std::io::Result<()> {
    /// let pool = tether::LoopPool::builder().loops(3).build()?;
    /// let mut names: Vec<_> = (0..6)
    ///     .map(|_| pool.spawn_next(|| async { std::thread::current().name().unwrap().to_owned() }))
    ///     .map(|task| task.unwrap().wait().unwrap())
    ///     .collect();
    /// names.sort();
    /// // Each loop took two.
    /// assert_eq!(names, ["tether-pool-0", "tether-pool-0", "tether-pool-1",
    ///                    "tether-pool-1", "tether-pool-2", "tether-pool-2"]);
    /// # Ok(())
    /// # }
    /// ```
    #[track_caller]
    pub fn spawn_next<M, F>(&self, make: M) -> Result<ThreadFuture<F::Output>, Closed<M>>
    where
        M: FnOnce() -> F + Send + 'static,
        F: Future + 'static,
        F::Output: Send,
    {
        let count = self.loops.len();
        let start = self.turn();
        let mut make = make;
        for step in 0..count {
            let target = &self.loops[(start + step) % count];
            match target.handle().spawn_with(make) {
                Ok(task) => return Ok(task),
                Err(Closed(back)) => make = back,
            }
        }
        Err(Closed(make))
    }

    /// Runs the future `make` builds on the loop with the lowest
    /// [load](LoopPool#load); loops that tie take turns.
    ///
    /// # Errors
    ///
    /// If every loop is closed, `make` comes back in [`Closed`].
    ///
    /// # Examples
    ///
    /// A loop blocked by a task gets no more work. (The first choice after
    /// it blocks may still land there: at that instant the other loop may
    /// be running a task of its own, and look just as loaded; from then on
    /// the work waiting on the stuck loop counts against it.)
    ///
    /// ```
    /// use std::sync::mpsc;
    /// use std::time::Duration;
    /// # fn main() -> std::io::Result<()> {
    /// let pool = tether::LoopPool::builder().loops(2).build()?;
    /// let (release, held) = mpsc::channel::<()>();
    /// let (started, blocking) = mpsc::channel();
    /// let blocker = pool.spawn_on(0, move || async move {
    ///     started.send(()).unwrap();
    ///     held.recv().unwrap(); // blocks loop 0's thread
    /// });
    /// blocking.recv().unwrap();
    /// let mut stuck = Vec::new();
    /// for _ in 0..5 {
    ///     let on = pool.spawn_least_loaded(|| async { std::thread::current().name().unwrap().to_owned() });
    ///     match on.unwrap().wait_timeout(Duration::from_millis(100)) {
    ///         Ok(name) => assert_eq!(name.unwrap(), "tether-pool-1"),
    ///         Err(waiting) => stuck.push(waiting), // it went to loop 0
    ///     }
    /// }
    /// assert!(stuck.len() <= 1);
    /// release.send(()).unwrap();
    /// blocker.unwrap().wait().unwrap();
    /// for late in stuck {
    ///     assert_eq!(late.wait().unwrap(), "tether-pool-0"); // served once unblocked
    /// }
    /// # Ok(())
    /// # }
    /// ```
    #[track_caller]
    pub fn spawn_least_loaded<M, F>(&self, make: M) -> Result<ThreadFuture<F::Output>, Closed<M>>
    where
        M: FnOnce() -> F + Send + 'static,
        F: Future + 'static,
        F::Output: Send,
    {
        let mut make = make;
        // Each refusal means that loop closed since its load was read; it
        // is skipped from then on, so this ends.
        for _ in 0..self.loops.len() {
            let Some(index) = self.least_loaded() else {
                break;
            };
            match self.loops[index].handle().spawn_with(make) {
                Ok(task) => return Ok(task),
                Err(Closed(back)) => make = back,
            }
        }
        Err(Closed(make))
    }

    /// Runs `setup(index)` on every loop, each building its future there:
    /// per-loop state, or a server per loop. The futures run as tasks of
    /// their loops; each result is the loop's [`ThreadFuture`], or
    /// `Closed(index)` for a loop that is closed.
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> std::io::Result<()> {
    /// let pool = tether::LoopPool::builder().loops(2).build()?;
    /// let setups = pool.on_every_loop(|index| async move {
    ///     (index, std::thread::current().name().unwrap().to_owned())
    /// });
    /// let done: Vec<_> = setups.into_iter().map(|setup| setup.unwrap().wait().unwrap()).collect();
    /// assert_eq!(done, [(0, "tether-pool-0".to_owned()), (1, "tether-pool-1".to_owned())]);
    /// # Ok(())
    /// # }
    /// ```
    #[track_caller]
    pub fn on_every_loop<S, F>(
        &self,
        setup: S,
    ) -> Vec<Result<ThreadFuture<F::Output>, Closed<usize>>>
    where
        S: Fn(usize) -> F + Send + Sync + 'static,
        F: Future + 'static,
        F::Output: Send,
    {
        let setup = Arc::new(setup);
        self.loops
            .iter()
            .enumerate()
            .map(|(index, target)| {
                let setup = setup.clone();
                target
                    .handle()
                    .spawn_with(move || setup(index))
                    .map_err(|_| Closed(index))
            })
            .collect()
    }

    /// Serves TCP on `addr` with the pool's loops: each connection is
    /// handed to `handler` on the loop [`Spreading`] chooses, with the
    /// peer's address, and counted there until the handler's future ends.
    /// `handler` is shared by every loop; the futures it returns are built
    /// on their loop, so they need not be `Send`.
    ///
    /// Waits until every listener is bound; the acceptors then run as
    /// tasks of their loops.
    ///
    /// # Errors
    ///
    /// The bind's error (`AddrInUse`, say), or an error if no loop is
    /// open. Listeners already bound are closed again.
    ///
    /// # Panics
    ///
    /// If called on one of the pool's own loops, which would wait for
    /// itself: call it from another thread.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Read;
    /// use tether::Spreading;
    /// # fn main() -> std::io::Result<()> {
    /// let pool = tether::LoopPool::builder().loops(2).build()?;
    /// let server = pool.serve("127.0.0.1:0".parse().unwrap(), Spreading::LeastLoaded, |stream, _peer| async move {
    ///     // On the chosen loop: answer with its name.
    ///     let name = std::thread::current().name().unwrap().to_owned();
    ///     let _ = stream.write_all(name.as_bytes()).await;
    /// })?;
    /// assert_eq!(server.spreading(), Spreading::LeastLoaded);
    ///
    /// let mut names = Vec::new();
    /// for _ in 0..4 {
    ///     let mut client = std::net::TcpStream::connect(server.local_addr())?;
    ///     let mut name = String::new();
    ///     client.read_to_string(&mut name)?;
    ///     names.push(name);
    /// }
    /// // Idle loops tie, and take turns.
    /// assert!(names.contains(&"tether-pool-0".to_owned()));
    /// assert!(names.contains(&"tether-pool-1".to_owned()));
    ///
    /// server.stop_accepting();
    /// assert!(pool.shutdown(std::time::Duration::from_secs(5)).panicked.is_empty());
    /// # Ok(())
    /// # }
    /// ```
    #[cfg(feature = "net")]
    pub fn serve<H, F>(
        &self,
        addr: SocketAddr,
        spreading: Spreading,
        handler: H,
    ) -> io::Result<Server>
    where
        H: Fn(tether_reactor::net::TcpStream, SocketAddr) -> F + Send + Sync + 'static,
        F: Future<Output = ()> + 'static,
    {
        assert!(
            !self
                .handles()
                .any(|handle| handle.shared().is_loop_thread()),
            "tether: LoopPool::serve called on one of the pool's own loops, which would wait \
             for itself; call it from another thread"
        );
        let handler = Arc::new(handler);
        let open = self.open_loops().map(|(index, _)| index);
        let targets: Vec<usize> = match spreading {
            Spreading::ReusePort => open.collect(),
            // One acceptor, on the first open loop.
            Spreading::LeastLoaded => open.take(1).collect(),
        };
        if targets.is_empty() {
            return Err(io::Error::other("no loop of the pool is open"));
        }
        let mut addr = addr;
        let mut acceptors: Vec<Arc<ThreadFuture<()>>> = Vec::new();
        for index in targets {
            let bound = Arc::new(Completion::new());
            let (sent, handler, spread) =
                (Bound(bound.clone()), handler.clone(), self.spread.clone());
            let (listen_on, target) = (addr, &self.loops[index]);
            let spawned = match spreading {
                Spreading::ReusePort => target
                    .handle()
                    .spawn_with(move || {
                        serve::accept_on_own_loop(index, listen_on, sent, handler, spread)
                    })
                    .map_err(|_| closed_loop(index)),
                Spreading::LeastLoaded => {
                    let handles: Vec<Handle> = self.handles().cloned().collect();
                    target
                        .handle()
                        .spawn_with(move || {
                            serve::accept_for_every_loop(
                                index, listen_on, sent, handler, spread, handles,
                            )
                        })
                        .map_err(|_| closed_loop(index))
                }
            };
            let started = spawned.and_then(|acceptor| match bound.wait() {
                Ok(local) => {
                    // Port 0 was a wish for any port: the rest bind this one.
                    addr = local;
                    acceptors.push(Arc::new(acceptor));
                    Ok(())
                }
                Err(err) => {
                    acceptor.cancel();
                    Err(io::Error::new(err.kind(), format!("loop {index}: {err}")))
                }
            });
            if let Err(err) = started {
                for acceptor in &acceptors {
                    acceptor.cancel();
                }
                return Err(err);
            }
        }
        // A stopping pool cancels them (at once, if it is stopping already).
        for acceptor in &acceptors {
            let acceptor = acceptor.clone();
            self.closing.on_complete(move |_| {
                acceptor.cancel();
            });
        }
        Ok(Server::new(addr, spreading, acceptors))
    }

    /// Loop `index`'s [load](LoopPool#load): live connections plus queued
    /// work; `None` if it takes no work (or there is no such loop).
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> std::io::Result<()> {
    /// let pool = tether::LoopPool::builder().loops(2).build()?;
    /// assert_eq!(pool.load(0), Some(0)); // idle
    /// pool.handle(0).unwrap().stop();
    /// while !pool.handle(0).unwrap().is_closed() {
    ///     std::thread::yield_now();
    /// }
    /// assert_eq!(pool.load(0), None);
    /// assert_eq!(pool.load(7), None);
    /// assert_eq!(pool.least_loaded(), Some(1)); // the one loop left
    /// # Ok(())
    /// # }
    /// ```
    pub fn load(&self, index: usize) -> Option<u64> {
        let handle = self.handle(index)?;
        if handle.is_closed() {
            return None;
        }
        Some(self.spread.count(index) as u64 + handle.shared().queued())
    }

    /// The index of the loop with the lowest [load](LoopPool#load), taking
    /// turns among ties; `None` if every loop is closed. What
    /// [`spawn_least_loaded`](LoopPool::spawn_least_loaded) uses. Shown in
    /// [`LoopPool`'s example](LoopPool#examples).
    pub fn least_loaded(&self) -> Option<usize> {
        let count = self.loops.len();
        let start = self.turn();
        let mut best: Option<(u64, usize)> = None;
        for step in 0..count {
            let index = (start + step) % count;
            if let Some(load) = self.load(index) {
                if best.is_none_or(|(lowest, _)| load < lowest) {
                    best = Some((load, index));
                }
            }
        }
        best.map(|(_, index)| index)
    }

    /// Every loop's state, connections, load and [`Metrics`](crate::Metrics), by index;
    /// from any thread, while the loops run.
    ///
    /// # Examples
    ///
    /// A loop blocked on purpose shows: its iterations stand still while
    /// the work sent to it piles up.
    ///
    /// ```
    /// use std::sync::mpsc;
    /// use std::time::Duration;
    /// use tether::LoopState;
    /// # fn main() -> std::io::Result<()> {
    /// let pool = tether::LoopPool::builder().loops(2).build()?;
    /// let (release, held) = mpsc::channel::<()>();
    /// let (started, blocking) = mpsc::channel();
    /// let blocker = pool.spawn_on(1, move || async move {
    ///     started.send(()).unwrap();
    ///     held.recv().unwrap();
    /// });
    /// blocking.recv().unwrap();
    /// let before = pool.metrics();
    /// let sent: Vec<_> = (0..3).map(|_| pool.spawn_on(1, || async {}).unwrap()).collect();
    /// std::thread::sleep(Duration::from_millis(20));
    /// let after = pool.metrics();
    /// let stuck = &after[1];
    /// assert_eq!((stuck.name.as_str(), stuck.state), ("tether-pool-1", LoopState::Running));
    /// assert_eq!(stuck.metrics.iterations, before[1].metrics.iterations);
    /// assert_eq!(stuck.metrics.injected, 3);
    /// assert!(stuck.load > after[0].load);
    /// release.send(()).unwrap();
    /// # blocker.unwrap().wait().unwrap();
    /// # for task in sent { task.wait().unwrap() }
    /// # Ok(())
    /// # }
    /// ```
    pub fn metrics(&self) -> Vec<LoopReport> {
        self.loops
            .iter()
            .enumerate()
            .map(|(index, target)| {
                let handle = target.handle();
                let state = if target.is_finished() {
                    LoopState::Exited
                } else if handle.is_closed() {
                    LoopState::Stopping
                } else {
                    LoopState::Running
                };
                LoopReport {
                    index,
                    name: handle.name().unwrap_or_default().to_owned(),
                    state,
                    connections: self.spread.count(index),
                    load: self.load(index),
                    metrics: handle.metrics(),
                }
            })
            .collect()
    }

    /// A [`Dump`] of every loop's tasks, by index, each asked for with
    /// [`Handle::dump_timeout`]: a loop that does not answer within
    /// `timeout` (it is stuck) gives [`DumpError::Unresponsive`], a closed
    /// one [`DumpError::Closed`]. The loops are asked one after the other.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// # fn main() -> std::io::Result<()> {
    /// let pool = tether::LoopPool::builder().loops(2).build()?;
    /// let idle = pool.spawn_on(1, || std::future::pending::<()>()).unwrap();
    /// # std::thread::sleep(Duration::from_millis(10));
    /// let dumps = pool.dump(Duration::from_secs(5));
    /// assert_eq!(dumps[0].as_ref().unwrap().tasks.len(), 0);
    /// assert_eq!(dumps[1].as_ref().unwrap().tasks.len(), 1);
    /// idle.cancel();
    /// # Ok(())
    /// # }
    /// ```
    pub fn dump(&self, timeout: Duration) -> Vec<Result<Dump, DumpError>> {
        self.handles()
            .map(|handle| handle.dump_timeout(timeout))
            .collect()
    }

    /// Stops the pool gracefully: every server stops accepting, the
    /// connections already open get until `timeout` to end, then every
    /// loop stops (dropping what tasks it has left, which closes the
    /// connections still open) and every thread is joined.
    ///
    /// asyncio: `server.close()`, `await server.wait_closed()`, then
    /// `loop.stop()` in each thread, and joining the threads.
    ///
    /// The wait looks at the pool's connection counts every millisecond.
    /// Tasks other than connections are not waited for: a program that
    /// has some to finish awaits them before calling this. Called on one
    /// of the pool's own loops, it does not wait (that loop could not
    /// serve its connections meanwhile) and cannot join that loop's
    /// thread, which ends after the current iteration.
    ///
    /// A program that stops on a signal waits for it on a thread that is
    /// not one of the pool's loops (its main thread, say, in a
    /// `tether::run` of its own awaiting `signal::ctrl_c`), then calls
    /// this there: a signal handler added on one of the pool's loops runs
    /// on that loop, where this call can neither wait nor join it.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// use std::time::Duration;
    /// use tether::Spreading;
    /// # fn main() -> std::io::Result<()> {
    /// let pool = tether::LoopPool::builder().loops(2).build()?;
    /// let server = pool.serve("127.0.0.1:0".parse().unwrap(), Spreading::ReusePort, |stream, _| async move {
    ///     let mut byte = [0];
    ///     let _ = stream.read(&mut byte).await;
    ///     tether::time::sleep(Duration::from_millis(50)).await; // in flight at the stop
    ///     let _ = stream.write_all(b"done").await;
    /// })?;
    /// let mut client = std::net::TcpStream::connect(server.local_addr())?;
    /// client.write_all(b"?")?;
    /// std::thread::sleep(Duration::from_millis(10));
    /// let report = pool.shutdown(Duration::from_secs(5));
    /// assert_eq!(report.unfinished_connections, 0);
    /// let mut answer = String::new();
    /// client.read_to_string(&mut answer)?;
    /// assert_eq!(answer, "done"); // the request in flight finished
    /// // Nobody listens any more.
    /// assert!(std::net::TcpStream::connect(server.local_addr()).is_err());
    /// # Ok(())
    /// # }
    /// ```
    pub fn shutdown(mut self, timeout: Duration) -> StopReport {
        self.stop_accepting();
        let on_own_loop = self
            .handles()
            .any(|handle| handle.shared().is_loop_thread());
        if !on_own_loop {
            // A timeout past what an `Instant` can hold waits for good.
            let deadline = Instant::now().checked_add(timeout);
            while self.spread.total() > 0 && deadline.is_none_or(|d| Instant::now() < d) {
                thread::sleep(Duration::from_millis(1));
            }
        }
        self.stop_loops()
    }

    /// Stops the pool now: [`shutdown`](LoopPool::shutdown) without the
    /// wait. The servers stop accepting, every loop stops, dropping its
    /// tasks and closing its connections, and every thread is joined.
    /// Shown in [`LoopPool`'s example](LoopPool#examples).
    pub fn stop(mut self) -> StopReport {
        self.stop_accepting();
        self.stop_loops()
    }

    /// Cancels every server's acceptors.
    fn stop_accepting(&self) {
        let _ = self.closing.complete(());
    }

    /// Asks every loop to stop, then joins each; reports what was left.
    fn stop_loops(&mut self) -> StopReport {
        // Counted before the stop: stopping drops the connections' tasks.
        let mut report = StopReport {
            unfinished_connections: self.spread.total(),
            panicked: Vec::new(),
        };
        // Each loop stops in its FIFO place, after the acceptors' cancels.
        for target in &self.loops {
            target.handle().stop();
        }
        for (index, target) in std::mem::take(&mut self.loops).into_iter().enumerate() {
            if let Err(panic) = target.try_stop() {
                let message = panic_message(panic.as_ref()).unwrap_or("non-string payload");
                report.panicked.push((index, message.to_owned()));
            }
        }
        report
    }

    /// The open loops, with their index.
    #[cfg(feature = "net")]
    fn open_loops(&self) -> impl Iterator<Item = (usize, &Handle)> {
        self.handles()
            .enumerate()
            .filter(|(_, handle)| !handle.is_closed())
    }

    /// The next turn of the round robin, as a loop index.
    fn turn(&self) -> usize {
        (self.next.next() % self.loops.len().max(1) as u64) as usize
    }
}

impl Drop for LoopPool {
    fn drop(&mut self) {
        if !self.loops.is_empty() {
            self.stop_accepting();
            // Panics are dropped here: `stop` is the place to see them.
            let _ = self.stop_loops();
        }
    }
}

/// The error for a loop that closed before it took its acceptor.
#[cfg(feature = "net")]
fn closed_loop(index: usize) -> io::Error {
    io::Error::other(format!("loop {index} is closed"))
}

// The pool and its servers are shared across threads.
const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<LoopPool>();
    #[cfg(feature = "net")]
    assert_send_sync::<Server>();
};
