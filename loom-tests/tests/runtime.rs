//! Model: the real runtime, not a model of it, under loom and shuttle.
//!
//! The other files here check the bridge's protocols one by one, with the
//! executor's side written out in the test. These run `tether::Runtime`
//! and `LoopThread` themselves, built with `--cfg loom` or `--cfg
//! shuttle`: the loop, the ready queue, the task list, the timers,
//! `Handle::spawn` and `spawn_with`, `ThreadFuture`, `Completer`,
//! `call_soon`, `spawn_blocking`, stop, `on_stop` and shutdown are the
//! runtime's own code. Every piece of state they share with another thread
//! goes through the bridge's `sync` facade, which hands out the checker's
//! atomics, locks and threads, and what the loop needs of its thread: the
//! thread-locals that name the current loop, its thread's id, and its park
//! (`bridge/src/sync.rs`). Two seams, compiled only into a checker's
//! build, do the rest:
//!
//! - the clock: the runtime reads the time through `sync::now` and sleeps
//!   with a deadline through `sync::park_timeout`, which under a checker
//!   are a model clock that moves only when a timed sleep sleeps, by the
//!   whole timeout. A model's timers fire in order and as soon as the loop
//!   has nothing else to do; a timed sleep woken before its deadline is
//!   the one schedule the models do not make.
//! - the poller: the reactor asks epoll only what is ready now (a zero
//!   timeout, so no system call blocks the checker), and sleeps on the
//!   model wakeup, a flag under the checker's lock and condition variable
//!   (`reactor/src/wakeup/model.rs`), which another thread's wake sets: a
//!   wake never written is a deadlock the checker reports. A loop with no
//!   source armed parks on its thread instead, as it does outside a
//!   checker. Sockets are real, so a model can arm one to make the loop
//!   sleep in the poller. What arrives on one while the loop sleeps wakes
//!   nobody by itself: a model that waits for a socket rings the loop's
//!   wakeup right after the system call that makes it ready, where the
//!   kernel's event would end a real wait.
//!
//! The models:
//!
//! - `a_task_spawned_from_another_thread_runs_and_its_result_comes_back`:
//!   another thread spawns a task with `Handle::spawn`, blocks on its
//!   `ThreadFuture`, and stops the loop, which runs in `run_forever` and
//!   parks when it has nothing to do. A lost wakeup leaves the loop parked
//!   and the waiter blocked: a deadlock.
//! - `block_on_is_woken_by_another_thread`: `block_on` awaits a
//!   `Completer`'s future that another thread completes.
//! - `remote_spawns_racing_shutdown_run_once_or_come_back`: another thread
//!   spawns three tasks while the loop runs briefly and the runtime is
//!   dropped: each submission is either handed back (`Closed`) or accepted,
//!   and each accepted one either runs, once, and delivers its result, or
//!   is cancelled by the shutdown, and its `ThreadFuture` says so. Never
//!   both, never neither, never a waiter left blocked.
//! - `a_cancelled_task_is_dropped_before_its_waiter_hears_of_it`: another
//!   thread spawns a task that waits forever, cancels it, and waits for
//!   its `ThreadFuture`: when the waiter hears "cancelled", the task's
//!   future has been dropped (its destructor has run), as asyncio's
//!   `Future.cancel` promises nothing less.
//! - `a_cancel_racing_the_completion_decides_the_result_once`: another
//!   thread spawns a task that finishes at once and cancels it: the
//!   waiter hears "cancelled" only if the cancel said it won (a cancel
//!   that lands during the task's last poll also wins, and the task keeps
//!   its output, as the docs and asyncio say), and hears either only after
//!   the future was dropped.
//! - `a_loop_thread_stopped_while_work_arrives_runs_or_hands_back_each`,
//!   and the same `..._while_it_sleeps_in_the_poller_...` with a socket
//!   armed: another thread spawns a task on a `LoopThread`, hands it a
//!   callback and stops it, while this thread registers a stop callback
//!   and stops it too: the task is delivered, cancelled or handed back,
//!   once; the callback runs once if it was accepted and never if it came
//!   back; the stop callback runs exactly once, whether it lands before a
//!   stop, between the loop's end and its shutdown, or after the close.
//!   (These replace a model that copied the shutdown sequence.)
//! - `a_blocking_job_racing_the_shutdown_runs_at_most_once`: a task waits
//!   for a `spawn_blocking` job, and the runtime shuts down while the job
//!   is queued, running or done: the shutdown returns (it waits for a
//!   running job, and drops a queued one unrun), and the job ran at most
//!   once.
//! - `a_sleep_on_the_loop_ends_while_another_thread_waits_for_it`: only
//!   the timer can wake the loop.
//! - `a_sleep_racing_a_remote_completion_ends_one_way`: a `timeout`
//!   around a `Completer`'s future that another thread completes: the
//!   value is delivered, or the timeout wins; never delivered and handed
//!   back.
//! - `a_task_on_one_loop_awaits_work_done_on_another`: two `LoopThread`s;
//!   a task on the first awaits a `spawn_with` on the second.
//! - `a_signal_raised_on_another_thread_reaches_the_loop_that_waits_for_it`:
//!   a task on a `LoopThread` subscribes to `SIGUSR1` (`tether::signal`);
//!   another thread raises it, which runs tether's real handler on that
//!   thread (the process's table of subscriptions is one per execution
//!   under a checker, and four slots long), then rings the loop's wakeup,
//!   where the kernel would report the subscription's eventfd: the task
//!   receives exactly the one delivery.
//! - `connections_handed_between_two_loops_are_each_served_once`: a
//!   `LoopPool` of two loops serves with `Spreading::LeastLoaded`, and two
//!   clients connect: the acceptor on the first loop hands one connection,
//!   a std socket, to the other loop; each is served once, one on each
//!   loop, and the pool stops. Each connect rings the acceptor loop's
//!   wakeup, where the kernel's readiness event would end a real wait.
//!
//! Bound: under loom, `PREEMPTIONS` (2) per schedule (one for the pool's
//! model, whose real sockets make each schedule dear): every model there
//! has two or three threads of its own (the loop's, one or two others,
//! and a blocking pool thread in one), and two preemptions put a thread's
//! push between any two steps of the loop's sleep, its take and its
//! close (at two, the twelve that use that bound take about five seconds;
//! at three, about two minutes, and find nothing more).
//! Under shuttle, `RUNS` random and as many PCT schedules per model, from
//! fixed seeds (`TETHER_SHUTTLE_RUNS`, `TETHER_SHUTTLE_SEED` for more).
//!
//! Seeded bugs they catch (`mutants.sh`; the README's table says which
//! checker catches which): in the bridge, `inject_close_after_drain`,
//! `inject_park_store`, `inject_unpark_as_notify`, `task_late_clear`,
//! `task_cancel_load_store`, `completion_notify_before_store`,
//! `completion_wake_only_if_blocked`, `pool_shutdown_no_wake` and
//! `signal_wake_before_count`; in the
//! executor, `shutdown_loses_close_batch` (what the close took is dropped
//! unrun), `finish_publish_before_drop` (the result is handed to the
//! waiter before the future is dropped), `shutdown_skips_late_stop_callbacks`
//! (a stop callback that arrives after the loop's end never runs) and
//! `park_forgets_timers` (the loop sleeps as if no timer were pending).

#![cfg(any(loom, shuttle))]

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use tether::{Closed, Completer, JoinError, LoopPool, LoopThread, Runtime, Spreading};
use tether_bridge::sync::Ordering::SeqCst;
use tether_bridge::sync::{AtomicUsize, Condvar, Mutex, lock};
use tether_loom_tests::sync::Arc;
use tether_loom_tests::thread;
use tether_reactor::Reactor;

/// Schedules per model and scheduler under shuttle, in CI.
#[cfg(shuttle)]
const RUNS: usize = 200;

/// Preemptions per schedule under loom, in CI.
const PREEMPTIONS: usize = 2;

fn check(f: impl Fn() + Sync + Send + Clone + 'static) {
    check_within(PREEMPTIONS, f);
}

/// `check`, with another preemption bound under loom.
fn check_within(preemptions: usize, f: impl Fn() + Sync + Send + Clone + 'static) {
    #[cfg(loom)]
    tether_loom_tests::model(tether_loom_tests::Bound::Preemptions(preemptions), f);
    #[cfg(shuttle)]
    {
        let _ = preemptions;
        use tether_loom_tests::{Schedules, shuttle_check, shuttle_runs};
        shuttle_check(Schedules::Random, shuttle_runs(RUNS), f.clone());
        shuttle_check(Schedules::Pct { depth: 3 }, shuttle_runs(RUNS), f);
    }
}

#[test]
fn a_task_spawned_from_another_thread_runs_and_its_result_comes_back() {
    check(|| {
        let rt = Runtime::new().expect("a runtime");
        let handle = rt.handle();
        let submitter = thread::spawn(move || {
            // The task yields once: a wake by its own run, which the end of
            // the run must queue again.
            let task = handle
                .spawn(async {
                    tether::yield_now().await;
                    6 * 7
                })
                .ok()
                .expect("the loop is open");
            assert_eq!(task.wait().expect("the task ran"), 42);
            handle.stop();
        });
        rt.run_forever();
        submitter.join().unwrap();
    });
}

#[test]
fn remote_spawns_racing_shutdown_run_once_or_come_back() {
    const SPAWNS: usize = 3;
    check(|| {
        let rt = Runtime::new().expect("a runtime");
        let handle = rt.handle();
        let runs = Arc::new(AtomicUsize::new(0));
        let submitter = {
            let runs = runs.clone();
            thread::spawn(move || {
                let (mut delivered, mut cancelled, mut handed_back) = (0, 0, 0);
                let mut accepted = Vec::new();
                for _ in 0..SPAWNS {
                    let runs = runs.clone();
                    match handle.spawn(async move { runs.fetch_add(1, SeqCst) }) {
                        Ok(task) => accepted.push(task),
                        Err(Closed(_future)) => handed_back += 1,
                    }
                }
                for task in accepted {
                    match task.wait() {
                        Ok(_) => delivered += 1,
                        Err(error) => {
                            assert!(error.is_cancelled(), "{error:?}");
                            cancelled += 1;
                        }
                    }
                }
                (delivered, cancelled, handed_back)
            })
        };
        // The loop runs a little, then the runtime shuts down.
        rt.block_on(tether::yield_now());
        drop(rt);
        let (delivered, cancelled, handed_back) = submitter.join().unwrap();
        assert_eq!(
            delivered + cancelled + handed_back,
            SPAWNS,
            "a submission was lost or counted twice"
        );
        assert_eq!(
            runs.load(SeqCst),
            delivered,
            "a task ran without delivering, or twice"
        );
    });
}

/// Counts its drop: the future that holds it was dropped.
struct DropFlag(Arc<AtomicUsize>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

#[test]
fn a_cancelled_task_is_dropped_before_its_waiter_hears_of_it() {
    cancel_from_another_thread(std::future::pending::<()>, |_cancelled, result, drops| {
        let error = result.expect_err("a task that never ends");
        assert!(error.is_cancelled(), "{error:?}");
        assert_eq!(
            drops, 1,
            "the waiter heard of the cancel before the future was dropped"
        );
    });
}

#[test]
fn a_cancel_racing_the_completion_decides_the_result_once() {
    cancel_from_another_thread(
        || async { 7 },
        |cancelled, result, drops| {
            // The future is gone either way once the result is out:
            // finished (its output taken, then dropped) or cancelled.
            assert_eq!(drops, 1, "the result came before the drop");
            match result {
                // Too late, or accepted during the task's last poll,
                // which keeps its output (asyncio's rule too).
                Ok(value) => assert_eq!(value, 7),
                Err(error) => {
                    assert!(error.is_cancelled(), "{error:?}");
                    assert!(cancelled, "cancelled, yet the cancel said too late");
                }
            }
        },
    );
}

/// Runs a loop while another thread spawns the future `make` makes on it,
/// cancels it, and waits for it; then stops the loop. `judge` gets what
/// the cancel returned, the result, and how many times the future had been
/// dropped when the result came.
fn cancel_from_another_thread<F>(
    make: fn() -> F,
    judge: fn(bool, Result<F::Output, JoinError>, usize),
) where
    F: Future + Send + 'static,
    F::Output: Send,
{
    check(move || {
        let rt = Runtime::new().expect("a runtime");
        let handle = rt.handle();
        let dropped = Arc::new(AtomicUsize::new(0));
        let canceller = {
            let dropped = dropped.clone();
            thread::spawn(move || {
                let guard = DropFlag(dropped.clone());
                let future = make();
                let task = handle
                    .spawn(async move {
                        let _guard = guard;
                        future.await
                    })
                    .ok()
                    .expect("the loop is open");
                let cancelled = task.cancel();
                let result = task.wait();
                judge(cancelled, result, dropped.load(SeqCst));
                handle.stop();
            })
        };
        rt.run_forever();
        canceller.join().unwrap();
    });
}

#[test]
fn a_loop_thread_stopped_while_work_arrives_runs_or_hands_back_each() {
    check(|| stop_a_loop_thread_while_work_arrives(false));
}

#[test]
fn a_loop_thread_stopped_while_it_sleeps_in_the_poller_runs_or_hands_back_each() {
    check(|| stop_a_loop_thread_while_work_arrives(true));
}

/// A `LoopThread` is stopped by another thread that also spawns a task on
/// it and hands it a callback, while this thread registers a stop
/// callback and then stops it too. With `watch_a_socket`, a task on the
/// loop waits for a datagram that never comes, so that the loop, with a
/// source armed, sleeps in the poller (the model's, `wakeup/model.rs` in
/// the reactor) rather than on its thread: the two sleeps have two
/// handshakes with the injection queue.
fn stop_a_loop_thread_while_work_arrives(watch_a_socket: bool) {
    let lt = LoopThread::new().expect("a loop thread");
    let handle = lt.handle().clone();
    if watch_a_socket {
        let listening = handle
            .spawn_with(|| async {
                let any_port = SocketAddr::from(([127, 0, 0, 1], 0));
                let socket = tether::net::UdpSocket::bind(any_port).await?;
                socket.recv(&mut [0; 1]).await
            })
            .ok()
            .expect("the loop is open");
        // Dropped: the task goes on waiting, and is cancelled at shutdown.
        drop(listening);
    }
    let (ran, called, stopped) = (
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicUsize::new(0)),
    );
    let submitter = {
        let (ran, called) = (ran.clone(), called.clone());
        thread::spawn(move || {
            let task = match handle.spawn(async move { ran.fetch_add(1, SeqCst) }) {
                Ok(task) => match task.wait() {
                    Ok(_) => "delivered",
                    Err(error) if error.is_cancelled() => "cancelled",
                    Err(error) => panic!("{error:?}"),
                },
                Err(Closed(_future)) => "handed back",
            };
            let call = handle.call_soon(move || {
                called.fetch_add(1, SeqCst);
            });
            handle.stop();
            (task, call.is_ok())
        })
    };
    {
        // Lands before either stop, between a stop and the shutdown, or
        // after the close (then `on_stop` runs it here).
        let stopped = stopped.clone();
        lt.on_stop(move || {
            stopped.fetch_add(1, SeqCst);
        });
    }
    lt.stop();
    let (task, call_accepted) = submitter.join().unwrap();
    let runs = ran.load(SeqCst);
    match task {
        "delivered" => assert_eq!(runs, 1),
        _ => assert_eq!(runs, 0, "a task {task} yet ran"),
    }
    assert_eq!(
        called.load(SeqCst),
        usize::from(call_accepted),
        "an accepted callback must run once, a handed-back one never"
    );
    let stops = stopped.load(SeqCst);
    assert_eq!(stops, 1, "the stop callback ran {stops} times");
}

#[test]
fn a_sleep_on_the_loop_ends_while_another_thread_waits_for_it() {
    check(|| {
        let lt = LoopThread::new().expect("a loop thread");
        let slept = lt
            .handle()
            .spawn_with(|| async {
                tether::time::sleep(Duration::from_millis(10)).await;
                7
            })
            .ok()
            .expect("the loop is open");
        // Nothing but the timer can wake the loop: a loop that sleeps past
        // it is a deadlock.
        assert_eq!(slept.wait().expect("the task ran"), 7);
        lt.stop();
    });
}

#[test]
fn a_blocking_job_racing_the_shutdown_runs_at_most_once() {
    check(|| {
        let rt = Runtime::new().expect("a runtime");
        let runs = Arc::new(AtomicUsize::new(0));
        let job_runs = runs.clone();
        let waiting =
            rt.spawn(
                async move { tether::spawn_blocking(move || job_runs.fetch_add(1, SeqCst)).await },
            );
        // The task starts and submits the job; then the runtime shuts down
        // while the job is queued, running or done.
        rt.block_on(tether::yield_now());
        drop(rt);
        drop(waiting);
        let runs = runs.load(SeqCst);
        assert!(runs <= 1, "the job ran {runs} times");
    });
}

#[test]
fn block_on_is_woken_by_another_thread() {
    check(|| {
        let rt = Runtime::new().expect("a runtime");
        let (completer, answer) = Completer::pair();
        let completing = thread::spawn(move || completer.complete(42).expect("nobody cancelled"));
        // The loop parks on its thread until the completer's wake unparks
        // it; a lost wake is a deadlock.
        assert_eq!(rt.block_on(answer).expect("completed"), 42);
        completing.join().unwrap();
    });
}

#[test]
fn a_sleep_racing_a_remote_completion_ends_one_way() {
    check(|| {
        let rt = Runtime::new().expect("a runtime");
        let (completer, answer) = Completer::pair();
        let completing = thread::spawn(move || completer.complete(42));
        // The loop's timer and the other thread's wake race: the model
        // clock makes the sleep end as soon as the loop has nothing else
        // to do, and the checker tries the wake on each side of it.
        let got = rt.block_on(tether::time::timeout(Duration::from_millis(10), answer));
        let handed_back = completing.join().unwrap().err();
        match got {
            Ok(value) => {
                assert_eq!(value.expect("completed"), 42);
                assert_eq!(handed_back, None, "a value both delivered and handed back");
            }
            // Timed out: the value was refused, or accepted and dropped
            // with the future that no longer waited for it.
            Err(_elapsed) => {}
        }
    });
}

#[test]
fn a_task_on_one_loop_awaits_work_done_on_another() {
    check(|| {
        let (first, second) = (
            LoopThread::new().expect("a loop thread"),
            LoopThread::new().expect("a loop thread"),
        );
        let other = second.handle().clone();
        let answer = first
            .handle()
            .spawn_with(move || async move {
                let work = other.spawn_with(|| async { 6 * 7 }).ok().expect("open");
                work.await.expect("the other loop ran it")
            })
            .ok()
            .expect("open");
        assert_eq!(answer.wait().expect("the first loop ran it"), 42);
        first.stop();
        second.stop();
    });
}

#[test]
fn connections_handed_between_two_loops_are_each_served_once() {
    // Real sockets make each schedule cost a millisecond of system calls:
    // one preemption under loom (two did not end within ten minutes).
    check_within(1, || {
        const CONNECTIONS: usize = 2;
        let pool = LoopPool::builder().loops(2).build().expect("a pool");
        // Connections served so far, and a condition variable to wait for
        // them on: the checker's, so that a connection never served is a
        // deadlock it reports.
        let served = Arc::new((Mutex::new(Vec::new()), Condvar::new()));
        let server = {
            let served = served.clone();
            let any_port = SocketAddr::from(([127, 0, 0, 1], 0));
            pool.serve(any_port, Spreading::LeastLoaded, move |stream, _peer| {
                let served = served.clone();
                async move {
                    let serving = tether_bridge::sync::current().name().map(String::from);
                    lock(&served.0).push(serving);
                    served.1.notify_all();
                    drop(stream);
                }
            })
            .expect("serving")
        };
        // The acceptor's loop is the pool's first. Its wakeup stands in for
        // the kernel's readiness event, which a checker's poller does not
        // wait for (`wakeup/model.rs`): each connect rings it.
        let acceptor_wakeup = pool
            .handle(0)
            .expect("a first loop")
            .spawn_with(|| async { Reactor::current().expect("on its loop").wakeup() })
            .ok()
            .expect("the loop is open")
            .wait()
            .expect("the loop ran it");
        let clients: Vec<_> = (0..CONNECTIONS)
            .map(|_| {
                let client = std::net::TcpStream::connect(server.local_addr()).expect("connected");
                acceptor_wakeup.wake();
                client
            })
            .collect();
        let mut count = lock(&served.0);
        while count.len() < CONNECTIONS {
            count = served.1.wait(count).unwrap();
        }
        drop(count);
        server.stop_accepting();
        let report = pool.stop();
        assert!(report.panicked.is_empty(), "{:?}", report.panicked);
        let mut served = lock(&served.0).clone();
        served.sort();
        // Idle loops tie, and take turns: one was handed to the other loop.
        assert_eq!(
            served,
            [Some("tether-pool-0".into()), Some("tether-pool-1".into())],
            "each connection served once, one on each loop"
        );
        drop(clients);
    });
}

#[test]
fn a_signal_raised_on_another_thread_reaches_the_loop_that_waits_for_it() {
    check(|| {
        let lt = LoopThread::new().expect("a loop thread");
        let (subscribed, ready) = Completer::pair();
        let received = lt
            .handle()
            .spawn_with(move || async move {
                let signal = tether::signal::Signal::new(libc::SIGUSR1).expect("subscribed");
                let wakeup = Reactor::current().expect("on its loop").wakeup();
                subscribed.complete(wakeup).ok().expect("nobody cancelled");
                signal.recv().await.expect("a delivery")
            })
            .ok()
            .expect("the loop is open");
        let wakeup = ready.wait().expect("the task subscribed");
        // `raise` runs tether's handler on this thread before it returns:
        // the table counts the delivery (the checker sees each step) and
        // the handler writes the subscription's eventfd, whose readiness
        // the ring of the loop's wakeup stands for.
        // SAFETY: raising a signal whose handler tether installed, which
        // only counts and writes (reactor/src/signal/handler.rs).
        assert_eq!(unsafe { libc::raise(libc::SIGUSR1) }, 0);
        wakeup.wake();
        assert_eq!(received.wait().expect("the task ran"), 1);
        lt.stop();
    });
}
