//! Unit tests of the completion cell, on real threads and real time (the
//! races are `loom-tests/tests/completion.rs`'s; the timed wait's timeout,
//! which loom cannot reach, is checked here).

use super::*;
use std::sync::Arc;
use std::task::Waker;

#[test]
fn a_blocked_waiter_gets_the_value() {
    let cell = Arc::new(Completion::new());
    let waiter = {
        let cell = cell.clone();
        std::thread::spawn(move || cell.wait())
    };
    std::thread::sleep(Duration::from_millis(10));
    cell.complete(7).unwrap();
    assert_eq!(waiter.join().unwrap(), 7);
}

#[test]
fn a_timed_wait_times_out_and_leaves_the_cell_usable() {
    let cell = Completion::new();
    assert_eq!(cell.wait_timeout(Duration::from_millis(5)), None);
    cell.complete("late").unwrap();
    assert_eq!(cell.wait_timeout(Duration::from_secs(1)), Some("late"));
}

#[test]
fn complete_happens_once() {
    let cell = Completion::new();
    assert_eq!(cell.complete(1), Ok(()));
    assert_eq!(cell.complete(2), Err(2));
    assert_eq!(cell.wait(), 1);
}

#[test]
fn callbacks_run_once_before_or_after_completion_and_the_value_stays() {
    let cell = Completion::new();
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let early = seen.clone();
    cell.on_complete(move |v: &u32| early.lock().unwrap().push(("early", *v)));
    cell.complete(3).unwrap();
    let late = seen.clone();
    cell.on_complete(move |v: &u32| late.lock().unwrap().push(("late", *v)));
    assert_eq!(*seen.lock().unwrap(), [("early", 3), ("late", 3)]);
    assert_eq!(cell.wait(), 3);
}

#[test]
fn poll_take_is_pending_then_ready() {
    let cell = Completion::new();
    let mut cx = Context::from_waker(Waker::noop());
    assert!(cell.poll_take(&mut cx).is_pending());
    cell.complete(9).unwrap();
    assert_eq!(cell.poll_take(&mut cx), Poll::Ready(9));
}

#[test]
fn cancel_unstarted_wins_before_start_and_loses_after() {
    let before = Completion::new();
    assert_eq!(before.cancel_unstarted("cancelled"), Ok(()));
    assert!(!before.start(), "a cancelled job must not start");
    assert_eq!(before.wait(), "cancelled");

    let after = Completion::new();
    assert!(after.start());
    assert_eq!(after.cancel_unstarted("cancelled"), Err("cancelled"));
    after.complete("done").unwrap();
    assert_eq!(after.wait(), "done");
}

#[test]
#[should_panic(expected = "taken twice")]
fn taking_twice_panics() {
    let cell = Completion::new();
    cell.complete(()).unwrap();
    cell.wait();
    cell.wait();
}

#[test]
fn a_callback_that_panics_still_leaves_the_value_for_the_waiters() {
    let cell = Arc::new(Completion::new());
    let waiter = {
        let cell = cell.clone();
        std::thread::spawn(move || cell.wait_timeout(Duration::from_secs(10)))
    };
    let later = Arc::new(std::sync::atomic::AtomicBool::new(false));
    cell.on_complete(|_: &u32| panic!("a done callback panicked"));
    cell.on_complete({
        let later = later.clone();
        move |_| later.store(true, std::sync::atomic::Ordering::Relaxed)
    });
    let completing = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| cell.complete(7)));
    assert!(completing.is_err(), "the callback's panic goes on");
    // The value is stored, and the blocked waiter released.
    assert!(cell.is_complete());
    assert_eq!(waiter.join().unwrap(), Some(7));
    // The callback after the one that panicked was dropped uncalled.
    assert!(!later.load(std::sync::atomic::Ordering::Relaxed));
}
