//! tether: a single-threaded async runtime, built the way Python's asyncio
//! event loop is built, with a bridge to other threads that is
//! model-checked with loom.
//!
//! One thread runs the loop: a poll-based reactor, a FIFO ready queue and a
//! timer wheel. Tasks run on that thread only, so their futures need not be
//! `Send`. Any other thread can reach the loop through a [`Handle`] or a
//! task's [`Waker`](std::task::Waker), through an injection queue that the
//! loop takes whole, without ever sleeping on its lock, and a wakeup (an
//! eventfd, on Linux, or an unpark of the loop's thread when it watches no
//! source) that is sent at most once per sleep of the loop.
//!
//! ```
//! use std::time::Duration;
//!
//! let answer = tether::run(async {
//!     let task = tether::spawn(async {
//!         tether::time::sleep(Duration::from_millis(1)).await;
//!         21
//!     });
//!     task.await.unwrap() * 2
//! });
//! assert_eq!(answer, 42);
//! ```
//!
//! # The loop
//!
//! One iteration runs six steps, in the order asyncio's `_run_once` runs
//! them: decide how long to wait, wait in the poller, wake the tasks whose
//! I/O is ready, take what other threads sent, fire the timers that are
//! due, then run the tasks and callbacks that were ready when the run step
//! began. A loop with nothing to run sleeps in the poller (or, if it
//! watches no source, on its own thread); a busy one
//! polls without blocking only once every so many task runs, since a poll
//! costs far more than a task hop. What the run step wakes runs in the
//! next iteration, so a task that wakes itself forever cannot starve I/O,
//! timers or other threads. The drawing of the iteration, with the code of
//! each step and the reasons for it, is at the top of
//! `executor/src/core/run_loop.rs`.
//!
//! # The crates, and the rule of each
//!
//! | crate | rule: what lives there |
//! |-------|------------------------|
//! | `tether-reactor` | "when can something proceed": the poller (`polling`), the registered sources, the wakeup, the hierarchical timer wheel, and the I/O and time types ([`Async`], [`net`], [`time`], and `process` with its feature); with the `signal` feature, the signal handler and `sigaction` (`signal`). Knows nothing of tasks, only wakers. |
//! | `tether-bridge` | "what threads share": the injection queue with its sleep/notify handshake, the task state word, the completion cell behind [`ThreadFuture`], the blocking pool, each pool loop's connection count under its cap, and the table a signal handler shares with the loops. Every protocol there has a loom model in `loom-tests/`. |
//! | `tether-executor` | "who runs next": tasks, the ready queue, the loop iteration, [`Runtime`], [`spawn`], [`JoinHandle`], callbacks, [`Handle`], [`ThreadFuture`], [`spawn_blocking`], [`LoopThread`], [`LoopPool`]. Runs on the loop thread; touches shared state only through the bridge. |
//! | `tether` (this crate) | the facade: re-exports, and this map. |
//!
//! # What crosses threads
//!
//! | type | `Send`/`Sync` | why |
//! |------|---------------|-----|
//! | [`Runtime`], [`JoinHandle`], [`CallbackHandle`] | neither | they own or reach `!Send` futures and outputs |
//! | [`Async`], the [`net`] sockets but `TcpSocket` (a plain fd until `connect` or `listen`), `signal::Signal` | neither | registered with one loop's reactor |
//! | `process::Child` and its pipes (`process` feature) | neither | its pidfd (or its slot in the loop's `SIGCHLD` list) and its pipes are registered with one loop's reactor |
//! | [`Handle`] | both | submits callbacks and futures, stops the loop, reads its [`Metrics`], from anywhere |
//! | [`ThreadFuture`] | both (if its output is `Send`) | the result of submitted work, waited for or awaited on any thread |
//! | [`LoopThread`] | both | a loop on its own thread |
//! | [`LoopPool`], [`Server`] | both | many loops, each on its own thread; a server running on them |
//! | task [`Waker`](std::task::Waker)s | both | a wake from another thread goes through the injection queue |
//!
//! # Many loops
//!
//! One loop uses one core. A [`LoopPool`] runs one loop per core (by
//! default), each exactly the single-threaded loop it is alone: its own
//! reactor, timers and blocking pool, no work stealing, so a task never
//! leaves the loop it was spawned on. From any thread, work goes to a
//! chosen loop, the next in turn, the least loaded, or every loop; a TCP
//! server runs on all of them ([`LoopPool::serve`]), its connections
//! spread by the kernel over a listener per loop, or handed one by one to
//! the loop with the lowest load ([`Spreading`] says when to pick which).
//! Every loop's state, connections, load and [`Metrics`] can be read from
//! any thread, so a loop that is stuck shows; [`LoopPool::shutdown`]
//! stops accepting, lets open connections end, and joins every thread.
//! `examples/multi_loop_server.rs` serves hyper that way, and stops so
//! on `SIGTERM` (with the `signal` feature).
//!
//! Sockets, timers and the [`sync`] primitives belong to one loop. Loops
//! talk in two ways. A task that needs work done on another loop asks it
//! with [`Handle::spawn_with`] and awaits the [`ThreadFuture`]; a stream
//! of messages goes through a channel whose ends are `Send`, awaited on
//! each loop (`async-channel` here). `examples/cross_loop.rs` times both.
//!
//! ```
//! # fn main() -> std::io::Result<()> {
//! let pool = tether::LoopPool::builder().loops(2).build()?;
//! let loop_1 = pool.handle(1).unwrap().clone();
//!
//! // A request: loop 0 asks loop 1, and awaits the answer.
//! let asked = pool.spawn_on(0, move || async move {
//!     let answer = loop_1.spawn_with(|| async { std::thread::current().name().unwrap().to_owned() });
//!     answer.unwrap().await.unwrap()
//! });
//! assert_eq!(asked.unwrap().wait().unwrap(), "tether-pool-1");
//!
//! // A stream: loop 0 sends, loop 1 sums what arrives.
//! let (tx, rx) = async_channel::unbounded::<u32>();
//! let sum = pool.spawn_on(1, move || async move {
//!     let mut sum = 0;
//!     while let Ok(n) = rx.recv().await {
//!         sum += n;
//!     }
//!     sum
//! });
//! let sent = pool.spawn_on(0, move || async move {
//!     for n in 1..=10 {
//!         tx.send(n).await.unwrap();
//!     }
//!     // Dropping `tx` closes the channel, which ends loop 1's `while`.
//! });
//! sent.unwrap().wait().unwrap();
//! assert_eq!(sum.unwrap().wait().unwrap(), 55);
//! assert!(pool.stop().panicked.is_empty());
//! # Ok(())
//! # }
//! ```
//!
//! # Where to start reading
//!
//! 1. `docs/design.md`: the parts, the rule of each folder, the promises
//!    every test relies on, and the measurements behind the design.
//! 2. `executor/src/core/run_loop.rs`: the iteration, drawn and coded.
//! 3. `executor/src/task/mod.rs`: a task's life, and the life of a wake:
//!    a `Waker::wake` on another thread followed to the task's next poll,
//!    and an I/O read that would block followed to its retry, hop by hop,
//!    with the file and function of each.
//! 4. `bridge/src/inject.rs`: how another thread wakes a sleeping loop
//!    without ever losing a wakeup, and why the proof needs one atomic
//!    word.
//! 5. `bridge/src/task_state.rs`: how any number of wakes from any thread
//!    queue a task exactly once; `completion.rs` and `blocking.rs` for the
//!    results and the threads of work done elsewhere.
//! 6. `executor/src/task/raw.rs`: a task in one allocation, and its waker.
//! 7. `reactor/src/timer/wheel.rs`: the hierarchical timing wheel.
//! 8. `reactor/src/source_table.rs`, `source.rs` and `async_fd.rs`:
//!    readiness, why none is lost, and the try-then-wait loop every I/O
//!    operation runs.
//! 9. `loom-tests/`: the models that check 4 and 5, and the bugs they
//!    catch.
//! 10. With the `signal` feature: `reactor/src/signal/mod.rs`, one signal
//!     followed from the kernel to the task, and `bridge/src/signal.rs`,
//!     what a signal handler may share with the loops, and how a
//!     subscriber lets go of an fd a handler may be about to write.
//!
//! # The API, next to asyncio
//!
//! `docs/asyncio.md` is the long form of this table: a guide that goes
//! through asyncio's API and shows the tether code for each piece.
//!
//! | tether | asyncio |
//! |--------|---------|
//! | [`run`] | `asyncio.run` |
//! | [`Runtime::new`], [`Runtime::builder`] | `new_event_loop`, `Runner` |
//! | [`Runtime::block_on`] | `loop.run_until_complete` |
//! | [`Runtime::run_forever`], [`Handle::stop`] | `loop.run_forever`, `loop.stop` |
//! | [`spawn`] → [`JoinHandle`] | `asyncio.create_task` → `Task` |
//! | [`JoinHandle::cancel`], [`JoinError`] | `Task.cancel`, `CancelledError` |
//! | [`call_soon`], [`call_later`], [`call_at`] → [`CallbackHandle`] | the same, → `Handle` / `TimerHandle` |
//! | [`yield_now`] | `asyncio.sleep(0)` |
//! | [`time::sleep`], [`time::timeout`], [`time::interval`] | `asyncio.sleep`, `wait_for` / `timeout` |
//! | [`net::TcpListener`], [`net::TcpStream`], [`net::UdpSocket`], [`net::UnixListener`], [`net::UnixStream`], [`net::UnixDatagram`] | sockets on the selector loop: `create_server`, `open_connection`, `create_datagram_endpoint`... |
//! | [`Async`] | `loop.add_reader` / `add_writer` on any fd |
//! | `process::Command`, `process::Child` (the `process` feature) | `create_subprocess_exec` / `_shell`, `Process` |
//! | [`Builder::on_exception`] | `loop.set_exception_handler` |
//! | [`Builder::debug`], [`Builder::slow_callback_duration`] | `loop.set_debug`, `slow_callback_duration` |
//! | [`Handle::dump`], [`task::Builder::name`] | `asyncio.all_tasks`, `create_task(name=...)` |
//! | [`task::TaskGroup`], [`task::join_all`], [`task::select`], [`task::as_completed`] | `TaskGroup`, `gather`, `wait`, `as_completed` |
//! | [`sync::Event`], [`sync::Queue`], [`sync::Semaphore`], [`sync::Mutex`] | `asyncio.Event`, `Queue`, `Semaphore`, `Lock` |
//! | [`Handle`] | the loop object, seen from another thread |
//! | [`Handle::call_soon`] | `loop.call_soon_threadsafe` |
//! | [`Handle::spawn`], [`Handle::spawn_with`] → [`ThreadFuture`] | `run_coroutine_threadsafe` → `concurrent.futures.Future` |
//! | [`Handle::block_on`] | `run_coroutine_threadsafe(...).result()` |
//! | [`Completer::pair`] → [`ThreadFuture`] | `loop.create_future()` + `set_result` from a thread, `wrap_future` |
//! | [`spawn_blocking`] | `loop.run_in_executor(None, f)`, `asyncio.to_thread` |
//! | [`LoopThread`] | a loop in a background thread (the "EventThread" pattern) |
//! | [`LoopPool`] | loops in threads, one per core, run and balanced (asyncio has none: a program starts them itself) |
//! | [`LoopPool::serve`], [`Spreading::ReusePort`], [`net::TcpSocket`] | `loop.create_server(..., reuse_port=True, backlog=n)` in each thread |
//! | `add_signal_handler`, `remove_signal_handler`, `signal::Signal`, `signal::ctrl_c` (the `signal` feature) | `loop.add_signal_handler`, `remove_signal_handler` |
//!
//! # Dependencies
//!
//! At run time: `polling`, `slab` and `rustix`
//! (already in the tree through `polling`: the eventfd, the CPU count,
//! and, on Linux and Android, pinning a pool's loops to cores with
//! `sched_setaffinity`; with `net`, a non-blocking connect, writes that
//! cannot raise `SIGPIPE`, socket options set before `listen`), and what
//! they bring
//! (`cfg-if`, `bitflags`...). With the `futures`
//! feature, on by default, also `futures-core` and `futures-io`, whose
//! `Stream`, `AsyncRead` and `AsyncWrite` tether's types implement.
//! With the `process` feature, off by default, also `libc`, for the
//! signal mask a child starts with, for sending signals (real-time ones
//! included) and, where a loop watches its children through `SIGCHLD`,
//! `sigaction`; with the `signal` feature, off by
//! default, `libc` (`sigaction`, `errno`). Nothing else.
//!
//! # Features
//!
//! - `net` (on by default): [`net`], the sockets, and
//!   [`LoopPool::serve`]. Without it rustix is built without its socket
//!   calls, its largest part, and a program with no socket builds faster;
//!   [`Async`] still works on any fd.
//! - `futures` (on by default): the traits above.
//! - `process` (off by default): `tether::process`, child processes on the
//!   loop, watched through pidfds (Linux 5.3 or later), or elsewhere
//!   through `SIGCHLD` (`TETHER_PROCESS_WATCH=sigchld` picks that even
//!   where pidfds work); the essay of `reactor/src/process/mod.rs` is its
//!   map. It carries the reactor's signal module, for that fallback, but
//!   not `tether::signal`, which is the `signal` feature's.
//! - `signal` (off by default): `tether::signal` (`Signal`, `ctrl_c`) and
//!   `add_signal_handler` / `remove_signal_handler`, on any loop on any
//!   thread; the essay of `reactor/src/signal/mod.rs` is its map.

#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![doc(test(attr(deny(warnings))))]

pub use tether_executor::{
    BlockOnError, Builder, CallbackHandle, Closed, Completer, Dump, DumpError, Exception, Handle,
    JoinError, JoinHandle, LoopPool, LoopPoolBuilder, LoopReport, LoopState, LoopThread,
    LoopThreadBuilder, Metrics, Runtime, SlowCallback, StopReport, TaskId, ThreadFuture, YieldNow,
    call_at, call_later, call_soon, run, spawn, spawn_blocking, yield_now,
};
#[cfg(feature = "net")]
pub use tether_executor::{Server, Spreading};

pub use tether_reactor::{Async, Readiness};

#[doc(inline)]
pub use tether_executor::sync;
#[cfg(feature = "net")]
#[doc(inline)]
pub use tether_reactor::net;
#[cfg(feature = "process")]
#[doc(inline)]
pub use tether_reactor::process;

pub mod task {
    //! Tasks, and waiting for several at once.
    //!
    //! | tether | asyncio |
    //! |--------|---------|
    //! | [`TaskGroup`] | `asyncio.TaskGroup` |
    //! | [`join_all`] | `asyncio.gather(*tasks, return_exceptions=True)` |
    //! | [`select`] | `asyncio.wait(tasks, return_when=FIRST_COMPLETED)` |
    //! | [`race`] | the same, then cancelling the tasks still pending |
    //! | [`as_completed`] | `asyncio.as_completed` |
    //! | [`JoinHandle`], [`JoinError`], [`TaskId`] | `asyncio.Task`, `CancelledError` |
    //! | [`Builder::name`] | `create_task(coro, name=...)` |
    //! | [`current`] → [`CurrentTask`] | `asyncio.current_task()` |
    //! | [`TaskInfo`], [`TaskStatus`], from [`Handle::dump`](crate::Handle::dump) | `asyncio.all_tasks()` |
    //!
    //! # Examples
    //!
    //! Three downloads at once, gathered in the order they were started,
    //! whatever order they finish in:
    //!
    //! ```
    //! use std::time::Duration;
    //! use tether::task::{self, JoinHandle};
    //!
    //! tether::run(async {
    //!     let fetches: Vec<JoinHandle<u64>> = [3, 1, 2]
    //!         .into_iter()
    //!         .map(|ms| {
    //!             task::Builder::new().name("fetch").spawn(async move {
    //!                 tether::time::sleep(Duration::from_millis(ms)).await;
    //!                 ms
    //!             })
    //!         })
    //!         .collect();
    //!     let sizes: Vec<u64> = task::join_all(fetches)
    //!         .await
    //!         .into_iter()
    //!         .map(Result::unwrap)
    //!         .collect();
    //!     assert_eq!(sizes, [3, 1, 2]);
    //! });
    //! ```

    pub use tether_executor::TaskBuilder as Builder;
    pub use tether_executor::{
        AsCompleted, CurrentTask, Failure, GroupError, JoinError, JoinHandle, TaskGroup, TaskId,
        TaskInfo, TaskKind, TaskStatus, as_completed, current, join_all, race, select,
    };
}
#[doc(inline)]
pub use tether_reactor::time;

#[cfg(feature = "signal")]
pub use tether_executor::{add_signal_handler, remove_signal_handler};

#[cfg(feature = "signal")]
pub mod signal {
    //! Unix signals, for any loop on any thread (the `signal` feature).
    //!
    //! | tether | asyncio |
    //! |--------|---------|
    //! | [`add_signal_handler`](crate::add_signal_handler), [`remove_signal_handler`](crate::remove_signal_handler) | `loop.add_signal_handler`, `loop.remove_signal_handler` |
    //! | [`Signal::new`], [`Signal::recv`] | the same, as a subscription to await |
    //! | [`ctrl_c`] | `KeyboardInterrupt`, caught |
    //!
    //! Any number of loops, on any threads, may subscribe to one signal,
    //! and each hears every delivery. The handler does only
    //! async-signal-safe work: it counts the delivery and writes each
    //! subscriber's eventfd, which its loop watches like any source. When a
    //! signal's last subscriber in the process goes, its disposition from
    //! before is put back, so a second Ctrl-C after a graceful shutdown
    //! began kills the process as usual. `SIGKILL`, `SIGSTOP` and the fault
    //! signals are refused with `InvalidInput`. The design, and the
    //! decisions behind it, are in the docs of [`Signal`]'s module
    //! (`reactor/src/signal/mod.rs`) and of the table the handler shares
    //! with the loops (`bridge/src/signal.rs`).
    //!
    //! # Examples
    //!
    //! A server that stops on `SIGTERM` or Ctrl-C, whichever comes first.
    //!
    //! ```
    //! use std::process::Command;
    //! use tether::signal::{SIGINT, SIGTERM, Signal};
    //!
    //! # fn main() -> std::io::Result<()> {
    //! tether::run(async {
    //!     let stops = [Signal::new(SIGTERM)?, Signal::new(SIGINT)?];
    //!     let server = tether::spawn(std::future::pending::<()>()); // serves
    //!     let pid = std::process::id().to_string();
    //!     Command::new("kill").args(["-TERM", &pid]).status()?;
    //!     let waits = stops.iter().map(|stop| Box::pin(stop.recv()));
    //!     let (received, index, _) = tether::task::select(waits).await;
    //!     assert_eq!((received?, stops[index].number()), (1, SIGTERM));
    //!     server.cancel(); // stop accepting, finish what is in flight...
    //!     Ok(())
    //! })
    //! # }
    //! ```

    pub use tether_reactor::signal::{
        SIGALRM, SIGCHLD, SIGCONT, SIGHUP, SIGINT, SIGPIPE, SIGQUIT, SIGTERM, SIGTSTP, SIGUSR1,
        SIGUSR2, SIGWINCH, Signal, ctrl_c, handler_runs,
    };
}

/// The README's example, compiled and run as a doctest so that it stays
/// true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

/// The guide for asyncio users (`docs/asyncio.md`): every snippet is
/// compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../docs/asyncio.md")]
struct AsyncioGuideDoctests;

/// Which tether types may cross threads (`tests/thread_affinity.md`):
/// every snippet is compiled as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../tests/thread_affinity.md")]
struct ThreadAffinityDoctests;
