//! Model: the completion cell behind `ThreadFuture`
//! (`bridge/src/completion.rs`).
//!
//! A completer races, in turn, a thread blocked in `wait`, an async waiter
//! polling with a waker, and a thread registering a done callback. As
//! through a `ThreadFuture`, whose owner registers callbacks with `&self`
//! and takes the value by consuming it, taking never races a registration.
//!
//! What it proves, over every interleaving within the bound:
//! - every waiter is released (a lost notification or wake leaves a
//!   thread blocked forever, which loom reports as a deadlock);
//! - each callback runs exactly once, and sees the value;
//! - the value is taken once, and it is the completer's;
//! - nothing leaks (loom fails a model that ends with a loom `Arc` alive).
//!
//! Seeded bug it catches (`loom-tests/README.md`): notifying blocked
//! threads before the value is stored, without the lock, loses the wakeup
//! of a thread that was between its check and its wait.
//!
//! Bound: `LOOM_MAX_PREEMPTIONS=2`; two or three threads a model.

use std::task::{Context, Poll};

use tether_bridge::Completion;
use tether_bridge::sync::AtomicUsize;
use tether_bridge::sync::Ordering::SeqCst;
use tether_loom_tests::sync::Arc;
use tether_loom_tests::{LoomWaker, model, thread};

#[test]
fn a_callback_registered_while_the_value_arrives_runs_once_and_a_blocked_waiter_wakes() {
    model(|| {
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
    model(|| {
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
    model(|| {
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
