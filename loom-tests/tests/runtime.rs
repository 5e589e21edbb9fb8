//! Shuttle: the real runtime, not a model of it.
//!
//! The other files here check the bridge's protocols one by one, with the
//! executor's side written out in the test. These run `tether::Runtime`
//! and `LoopThread` themselves, built with `--cfg shuttle`: the loop, the
//! ready queue, the task list, `Handle::spawn`, `ThreadFuture`, stop and
//! shutdown are the runtime's own code, and every piece of state they
//! share with another thread goes through the bridge's `sync` facade,
//! which hands out shuttle's atomics, locks and threads. So does what the
//! loop needs of its thread: the thread-locals that name the current loop,
//! its thread's id, and the park a loop with nothing to watch sleeps in
//! (`bridge/src/sync.rs`).
//!
//! The reactor is the real one too, with its epoll instance and eventfd:
//! a loop that watches no socket never waits in the poller (it polls it
//! with a zero timeout and parks on its thread instead), so no system call
//! blocks shuttle's scheduler. These models watch no socket and set no
//! timer (shuttle has no clock).
//!
//! - `a_task_spawned_from_another_thread_runs_and_its_result_comes_back`:
//!   another thread spawns a task with `Handle::spawn`, blocks on its
//!   `ThreadFuture`, and stops the loop, which runs in `run_forever` and
//!   parks when it has nothing to do. A lost wakeup leaves the loop parked
//!   and the waiter blocked: shuttle reports the deadlock.
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
//! - `a_loop_thread_stopped_while_work_arrives_runs_or_hands_back_each`:
//!   a `LoopThread` is stopped while another thread spawns a task on it
//!   and hands it a callback, and its `on_stop` callback is registered:
//!   the task is delivered, cancelled or handed back, once; the callback
//!   runs once if it was accepted and never if it came back; the stop
//!   callback runs exactly once.
//! - `a_blocking_job_racing_the_shutdown_runs_at_most_once`: a task waits
//!   for a `spawn_blocking` job, and the runtime shuts down while the job
//!   is queued, running or done: the shutdown returns (it waits for a
//!   running job, and drops a queued one unrun), and the job ran at most
//!   once.
//!
//! Bound: `RUNS` random and as many PCT schedules per model, from fixed
//! seeds (`TETHER_SHUTTLE_RUNS`, `TETHER_SHUTTLE_SEED` for more). Seeded
//! bugs they catch (`mutants.sh`): in the bridge, `inject_unpark_as_notify`
//! (the parked loop is never unparked), `inject_close_after_drain` (a
//! submission accepted during the close is neither run nor handed back)
//! and `pool_shutdown_no_wake` (the shutdown waits for a pool thread that
//! sleeps on);
//! in the executor, `shutdown_loses_close_batch` (what the close took is
//! dropped unrun: its waiter blocks forever) and
//! `finish_publish_before_drop` (the result is handed to the waiter before
//! the future is dropped).

#![cfg(shuttle)]

use tether::{Closed, LoopThread, Runtime};
use tether_bridge::sync::AtomicUsize;
use tether_bridge::sync::Ordering::SeqCst;
use tether_loom_tests::sync::Arc;
use tether_loom_tests::{Schedules, shuttle_check, shuttle_runs, thread};

/// Schedules per model and scheduler in CI.
const RUNS: usize = 200;

fn check(f: impl Fn() + Sync + Send + Clone + 'static) {
    shuttle_check(Schedules::Random, shuttle_runs(RUNS), f.clone());
    shuttle_check(Schedules::Pct { depth: 3 }, shuttle_runs(RUNS), f);
}

#[test]
fn a_task_spawned_from_another_thread_runs_and_its_result_comes_back() {
    check(|| {
        let rt = Runtime::new().expect("a runtime");
        let handle = rt.handle();
        let submitter = thread::spawn(move || {
            let task = handle
                .spawn(async { 6 * 7 })
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
    check(|| {
        let rt = Runtime::new().expect("a runtime");
        let handle = rt.handle();
        let dropped = Arc::new(AtomicUsize::new(0));
        let waiter = {
            let dropped = dropped.clone();
            thread::spawn(move || {
                let guard = DropFlag(dropped.clone());
                let task = handle
                    .spawn(async move {
                        let _guard = guard;
                        std::future::pending::<()>().await;
                    })
                    .ok()
                    .expect("the loop is open");
                task.cancel();
                let error = task.wait().expect_err("a task that never ends");
                assert!(error.is_cancelled(), "{error:?}");
                assert_eq!(
                    dropped.load(SeqCst),
                    1,
                    "the waiter heard of the cancel before the future was dropped"
                );
                handle.stop();
            })
        };
        rt.run_forever();
        waiter.join().unwrap();
    });
}

#[test]
fn a_loop_thread_stopped_while_work_arrives_runs_or_hands_back_each() {
    check(|| {
        let lt = LoopThread::new().expect("a loop thread");
        let handle = lt.handle().clone();
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
                (task, call.is_ok())
            })
        };
        {
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
