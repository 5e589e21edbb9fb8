//! `Completer`: a `ThreadFuture` that code on any thread completes.

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use tether::{Completer, JoinError, LoopThread};

#[test]
fn a_value_set_on_a_thread_is_awaited_on_a_loop() {
    let (completer, future) = Completer::pair();
    let worker = thread::spawn(move || {
        thread::sleep(Duration::from_millis(5));
        completer.complete("from the worker").unwrap();
    });
    let got = tether::run(async { future.await.unwrap() });
    assert_eq!(got, "from the worker");
    worker.join().unwrap();
}

#[test]
fn a_value_set_on_a_loop_is_waited_for_by_a_thread() {
    let lt = LoopThread::new().unwrap();
    let (completer, future) = Completer::pair();
    lt.handle()
        .call_soon(move || completer.complete(42).unwrap())
        .unwrap();
    assert_eq!(future.wait().unwrap(), 42);
}

#[test]
fn dropping_the_completer_unset_resolves_the_future_as_cancelled() {
    let (completer, future) = Completer::<u8>::pair();
    thread::spawn(move || drop(completer)).join().unwrap();
    assert!(matches!(future.wait(), Err(JoinError::Cancelled)));
}

#[test]
fn a_cancelled_future_is_visible_to_the_completer_which_gets_its_value_back() {
    let (completer, future) = Completer::pair();
    let (cancelled, is_cancelled) = mpsc::channel();
    let worker = thread::spawn(move || {
        is_cancelled.recv().unwrap();
        assert!(completer.is_cancelled());
        completer.complete(String::from("too late"))
    });
    assert!(future.cancel());
    assert!(!future.cancel(), "a second cancel is too late");
    cancelled.send(()).unwrap();
    assert_eq!(worker.join().unwrap(), Err(String::from("too late")));
    assert!(matches!(future.wait(), Err(JoinError::Cancelled)));
}

#[test]
fn a_completed_future_cannot_be_cancelled() {
    let (completer, future) = Completer::pair();
    completer.complete(1).unwrap();
    assert!(future.is_done());
    assert!(!future.cancel());
    assert_eq!(future.task_id(), None);
    assert_eq!(future.wait().unwrap(), 1);
}
