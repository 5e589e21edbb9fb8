//! Model: the completion cell behind `ThreadFuture`
//! (`bridge/src/completion.rs`).
//!
//! A completer races, in turn, a thread blocked in `wait`, an async waiter
//! polling with a waker, a thread registering a done callback, the
//! waiting side dropping its share, a `cancel` of work that may or may
//! not have started, awaited with a timed wait, and a canceller that
//! resolves the cell while another thread waits (a `ThreadFuture` is
//! `Sync`, so two threads may cancel and wait on one at once; a
//! `Completer` and a `cancel` race to resolve one). As through a
//! `ThreadFuture`, whose owner registers callbacks with `&self` and takes
//! the value by consuming it, taking never races a registration.
//!
//! What it proves, over every interleaving within the bound:
//! - every waiter is released (a lost notification or wake leaves a
//!   thread blocked forever, which loom reports as a deadlock);
//! - each callback runs exactly once, and sees the value;
//! - the value is taken once, and it is the completer's;
//! - a cancel succeeds exactly when the work never starts: work that ran
//!   delivers its value, and a cancel that succeeded delivers the
//!   cancellation;
//! - of two threads that resolve the cell, exactly one succeeds, the other
//!   gets its value back, and the waiter sees the winner's;
//! - nothing leaks (loom fails a model that ends with a loom `Arc` alive).
//!
//! Loom's `Condvar::wait_timeout` never times out, so the timed wait is
//! checked on its notified path; its timeout path is a unit test.
//!
//! Seeded bugs it catches (`loom-tests/README.md` has the table):
//! `completion_notify_before_store`, `completion_cancel_two_locks`,
//! `completion_wake_only_if_blocked`, `completion_check_then_store`.
//!
//! Bound: every model is explored whole. The cell does everything under
//! one lock, and its critical sections contain no other operation loom
//! sees, so each is one step, and even three threads leave at most about
//! a thousand interleavings.

use std::task::{Context, Poll};
use std::time::Duration;

use tether_bridge::Completion;
use tether_bridge::sync::AtomicUsize;
use tether_bridge::sync::Ordering::SeqCst;
use tether_loom_tests::sync::Arc;
use tether_loom_tests::{Bound, LoomWaker, model, thread};

#[test]
fn a_callback_registered_while_the_value_arrives_runs_once_and_a_blocked_waiter_wakes() {
    model(Bound::Exhaustive, || {
        let cell = Arc::new(Completion::new());
        let calls = Arc::new(AtomicUsize::new(0));
        let completer = {
            let cell = cell.clone();
            thread::spawn(move || cell.complete(7u32).unwrap())
        };
        let registrar = {
            let (cell, calls) = (cell.clone(), calls.clone());
            thread::spawn(move || {
                cell.on_complete(move |value| {
                    assert_eq!(*value, 7);
                    calls.fetch_add(1, SeqCst);
                })
            })
        };
        // As through a `ThreadFuture`: the owner takes the value after its
        // own registrations (taking consumes it), here after the
        // registrar's; and it may block before the value is there.
        registrar.join().unwrap();
        assert_eq!(cell.wait(), 7);
        completer.join().unwrap();
        assert_eq!(
            calls.load(SeqCst),
            1,
            "the callback ran {} times",
            calls.load(SeqCst)
        );
    });
}

#[test]
fn an_async_waiter_is_woken_and_takes_the_value() {
    model(Bound::Exhaustive, || {
        let cell = Arc::new(Completion::new());
        let completer = {
            let cell = cell.clone();
            thread::spawn(move || cell.complete("done").unwrap())
        };
        let (waker, sleeper) = LoomWaker::new();
        let mut cx = Context::from_waker(&waker);
        let value = loop {
            match cell.poll_take(&mut cx) {
                Poll::Ready(value) => break value,
                // A lost wake leaves this sleep forever: loom says deadlock.
                Poll::Pending => sleeper.sleep(),
            }
        };
        assert_eq!(value, "done");
        completer.join().unwrap();
    });
}

#[test]
fn a_cell_dropped_by_its_waiter_side_still_completes_and_runs_callbacks_once() {
    model(Bound::Exhaustive, || {
        let cell = Arc::new(Completion::new());
        let calls = Arc::new(AtomicUsize::new(0));
        {
            let calls = calls.clone();
            cell.on_complete(move |_: &u8| {
                calls.fetch_add(1, SeqCst);
            });
        }
        let completer = {
            let cell = cell.clone();
            thread::spawn(move || cell.complete(1).unwrap())
        };
        // The waiting side gives up and drops its share.
        drop(cell);
        completer.join().unwrap();
        assert_eq!(calls.load(SeqCst), 1);
    });
}

#[test]
fn a_cancel_racing_the_start_of_the_work_wins_exactly_when_the_work_never_runs() {
    model(Bound::Exhaustive, || {
        let cell = Arc::new(Completion::<Result<u32, &str>>::new());
        let (ran, calls) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        {
            let calls = calls.clone();
            cell.on_complete(move |_| {
                calls.fetch_add(1, SeqCst);
            });
        }
        // A blocking-pool thread: it starts the job unless it was cancelled.
        let worker = {
            let (cell, ran) = (cell.clone(), ran.clone());
            thread::spawn(move || {
                if cell.start() {
                    ran.fetch_add(1, SeqCst);
                    cell.complete(Ok(5))
                        .expect("the work started, so nobody else completes the cell");
                }
            })
        };
        let cancelled = cell.cancel_unstarted(Err("cancelled")).is_ok();
        let outcome = cell
            .wait_timeout(Duration::from_secs(60))
            .expect("loom's timed wait ends only by a notification");
        worker.join().unwrap();

        let ran = ran.load(SeqCst) == 1;
        match (cancelled, ran, outcome) {
            (true, false, Err("cancelled")) | (false, true, Ok(5)) => {}
            other => panic!("cancelled, ran and outcome disagree: {other:?}"),
        }
        assert_eq!(calls.load(SeqCst), 1, "the done callback did not run once");
    });
}

#[test]
fn a_completer_and_a_canceller_race_and_the_waiter_sees_the_one_that_won() {
    model(Bound::Exhaustive, || {
        let cell = Arc::new(Completion::<Result<u32, &str>>::new());
        // `Completer::complete` from one thread, `ThreadFuture::cancel`
        // from another, while a third waits.
        let completer = {
            let cell = cell.clone();
            thread::spawn(move || cell.complete(Ok(5)).is_ok())
        };
        let canceller = {
            let cell = cell.clone();
            thread::spawn(move || cell.complete(Err("cancelled")).is_ok())
        };
        let outcome = cell.wait();
        let (completed, cancelled) = (completer.join().unwrap(), canceller.join().unwrap());
        match (completed, cancelled, outcome) {
            (true, false, Ok(5)) | (false, true, Err("cancelled")) => {}
            other => panic!("completed, cancelled and outcome disagree: {other:?}"),
        }
    });
}
