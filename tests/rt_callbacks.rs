//! `call_soon`, `call_later`, `call_at` and their handles.

mod support;

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::{Duration, Instant};

use support::Log;

#[test]
fn call_at_runs_in_deadline_order_then_scheduling_order() {
    let log = Log::default();
    let inner = log.clone();
    tether::run(async move {
        let base = Instant::now() + Duration::from_millis(5);
        for (name, offset_ms) in [("c", 3), ("a", 1), ("b1", 2), ("b2", 2), ("b3", 2)] {
            let log = inner.clone();
            let _ = tether::call_at(base + Duration::from_millis(offset_ms), move || {
                log.push(name)
            });
        }
        tether::time::sleep(Duration::from_millis(20)).await;
    });
    assert_eq!(log.take(), ["a", "b1", "b2", "b3", "c"]);
}

#[test]
fn call_later_never_runs_early() {
    tether::run(async {
        let mut handles = Vec::new();
        for delay_us in [0, 300, 1_000, 1_700, 4_000, 9_500] {
            let delay = Duration::from_micros(delay_us);
            let start = Instant::now();
            let ran_at = std::rc::Rc::new(std::cell::Cell::new(None));
            let set = ran_at.clone();
            let _ = tether::call_later(delay, move || set.set(Some(Instant::now())));
            handles.push((start, delay, ran_at));
        }
        tether::time::sleep(Duration::from_millis(15)).await;
        for (start, delay, ran_at) in handles {
            let ran_at = ran_at.get().expect("callback did not run");
            assert!(
                ran_at - start >= delay,
                "ran after {:?}, asked {delay:?}",
                ran_at - start
            );
        }
    });
}

#[test]
fn a_cancelled_callback_never_runs() {
    let log = Log::default();
    let inner = log.clone();
    tether::run(async move {
        let (a, b) = (inner.clone(), inner.clone());
        let soon = tether::call_soon(move || a.push("soon"));
        let later = tether::call_later(Duration::from_millis(2), move || b.push("later"));
        assert!(soon.cancel());
        assert!(later.cancel());
        assert!(soon.is_cancelled() && later.is_cancelled());
        tether::time::sleep(Duration::from_millis(10)).await;
        assert!(
            soon.is_finished() && later.is_finished(),
            "cancelled callbacks are dropped"
        );
    });
    assert!(log.take().is_empty());
}

#[test]
fn cancel_after_the_callback_ran_returns_false() {
    tether::run(async {
        let handle = tether::call_soon(|| {});
        tether::yield_now().await;
        assert!(handle.is_finished());
        assert!(!handle.cancel());
        assert!(!handle.is_cancelled());
    });
}

#[test]
fn a_callback_can_schedule_another() {
    let log = Log::default();
    let inner = log.clone();
    tether::run(async move {
        let _ = tether::call_soon(move || {
            inner.push("first");
            let _ = tether::call_soon(move || inner.push("second"));
        });
        tether::yield_now().await;
        tether::yield_now().await;
    });
    assert_eq!(log.take(), ["first", "second"]);
}

#[test]
fn a_callback_that_cancels_itself_runs_to_its_end_and_counts_as_cancelled() {
    tether::run(async {
        let slot: Rc<RefCell<Option<tether::CallbackHandle>>> = Rc::default();
        let answer = Rc::new(Cell::new(None));
        let handle = tether::call_soon({
            let (slot, answer) = (slot.clone(), answer.clone());
            move || {
                let cancelled = slot.borrow().as_ref().unwrap().cancel();
                answer.set(Some(cancelled));
            }
        });
        *slot.borrow_mut() = Some(handle);
        tether::yield_now().await;
        // It ran on after its cancel, which answered as asyncio's does.
        assert_eq!(answer.get(), Some(true));
        let handle = slot.borrow_mut().take().unwrap();
        assert!(handle.is_finished() && handle.is_cancelled());
    });
}
