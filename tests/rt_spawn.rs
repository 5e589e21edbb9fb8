//! `spawn`, `JoinHandle` (output, cancel, detach), FIFO order, panics.

mod support;

use std::cell::Cell;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use support::Log;
use tether::{JoinError, Runtime};

#[test]
fn a_spawned_task_delivers_its_output() {
    let out = tether::run(async {
        let task = tether::spawn(async { vec![1, 2, 3] });
        task.await.unwrap()
    });
    assert_eq!(out, [1, 2, 3]);
}

#[test]
fn futures_need_not_be_send() {
    tether::run(async {
        let shared = Rc::new(Cell::new(0));
        let in_task = shared.clone();
        tether::spawn(async move { in_task.set(7) }).await.unwrap();
        assert_eq!(shared.get(), 7);
    });
}

#[test]
fn tasks_run_in_spawn_order_and_wakes_in_wake_order() {
    let log = Log::default();
    let inner = log.clone();
    tether::run(async move {
        // Three tasks that each wait for a wake.
        let slots: Vec<_> = (0..3).map(|_| support::WakerSlot::default()).collect();
        let mut tasks = Vec::new();
        for (i, slot) in slots.iter().cloned().enumerate() {
            let log = inner.clone();
            tasks.push(tether::spawn(async move {
                log.push(format!("start {i}"));
                slot.wait().await;
                log.push(format!("woken {i}"));
            }));
        }
        tether::yield_now().await;
        // Wake them in the order 2, 0, 1.
        for i in [2, 0, 1] {
            slots[i].fire();
        }
        for task in tasks {
            task.await.unwrap();
        }
    });
    assert_eq!(
        log.take(),
        [
            "start 0", "start 1", "start 2", "woken 2", "woken 0", "woken 1"
        ]
    );
}

#[test]
fn callbacks_and_spawns_run_in_submission_order() {
    let log = Log::default();
    let inner = log.clone();
    tether::run(async move {
        let (a, b, c, d) = (inner.clone(), inner.clone(), inner.clone(), inner.clone());
        tether::spawn(async move { a.push("spawn 1") });
        let _ = tether::call_soon(move || b.push("call_soon 2"));
        tether::spawn(async move { c.push("spawn 3") });
        let _ = tether::call_soon(move || d.push("call_soon 4"));
        tether::yield_now().await;
    });
    assert_eq!(
        log.take(),
        ["spawn 1", "call_soon 2", "spawn 3", "call_soon 4"]
    );
}

#[test]
fn ids_follow_spawn_order() {
    tether::run(async {
        let a = tether::spawn(async {});
        let b = tether::spawn(async {});
        assert!(a.id() < b.id());
        assert_eq!(a.id().to_string(), "1");
    });
}

#[test]
fn cancel_drops_the_future_at_its_suspension_point() {
    let log = Log::default();
    let inner = log.clone();
    tether::run(async move {
        struct Guard(Log);
        impl Drop for Guard {
            fn drop(&mut self) {
                self.0.push("future dropped");
            }
        }
        let log = inner.clone();
        let task = tether::spawn(async move {
            let _guard = Guard(log.clone());
            log.push("waiting");
            tether::time::sleep(Duration::from_secs(3600)).await;
            log.push("never");
        });
        tether::yield_now().await;
        assert!(!task.is_finished());
        assert!(task.cancel());
        assert!(!task.cancel(), "a second cancel is too late");
        let err = task.await.unwrap_err();
        assert!(err.is_cancelled(), "{err:?}");
    });
    assert_eq!(log.take(), ["waiting", "future dropped"]);
}

#[test]
fn cancel_before_the_first_poll_means_it_never_runs() {
    let ran = Rc::new(Cell::new(false));
    let set = ran.clone();
    tether::run(async move {
        let task = tether::spawn(async move { set.set(true) });
        assert!(task.cancel());
        assert!(matches!(task.await, Err(JoinError::Cancelled)));
    });
    assert!(!ran.get());
}

#[test]
fn cancel_after_completion_returns_false_and_keeps_the_output() {
    tether::run(async {
        let task = tether::spawn(async { 5 });
        tether::yield_now().await;
        assert!(task.is_finished());
        assert!(!task.cancel());
        assert_eq!(task.await.unwrap(), 5);
    });
}

#[test]
fn a_task_cancelling_itself_stops_at_its_next_suspension() {
    let log = Log::default();
    let inner = log.clone();
    tether::run(async move {
        let me: Rc<Cell<Option<tether::JoinHandle<()>>>> = Rc::default();
        let slot = me.clone();
        let log = inner.clone();
        let task = tether::spawn(async move {
            tether::yield_now().await;
            let handle = slot.take().unwrap();
            assert!(handle.cancel());
            log.push("still running until it yields");
            tether::yield_now().await;
            log.push("never");
        });
        // The task gets its own handle through the slot, and cancels itself.
        me.set(Some(task));
        for _ in 0..3 {
            tether::yield_now().await;
        }
    });
    assert_eq!(log.take(), ["still running until it yields"]);
}

#[test]
fn dropping_the_handle_detaches_the_task() {
    let done = Rc::new(Cell::new(false));
    let set = done.clone();
    let rt = Runtime::new().unwrap();
    rt.block_on(async move {
        drop(tether::spawn(async move {
            tether::time::sleep(Duration::from_millis(2)).await;
            set.set(true);
        }));
        tether::time::sleep(Duration::from_millis(10)).await;
    });
    assert!(done.get());
}

#[test]
fn a_panicking_task_gives_panicked_and_the_loop_goes_on() {
    tether::run(async {
        let bad = tether::spawn(async {
            tether::yield_now().await;
            panic!("task exploded");
        });
        let good = tether::spawn(async {
            tether::yield_now().await;
            tether::yield_now().await;
            "still here"
        });
        let err = bad.await.unwrap_err();
        assert!(err.is_panicked());
        assert_eq!(err.panic_message(), Some("task exploded"));
        assert_eq!(err.to_string(), "task panicked: task exploded");
        assert_eq!(good.await.unwrap(), "still here");
    });
}

#[test]
fn the_panic_payload_can_be_taken_back() {
    let err = tether::run(async { tether::spawn(async { std::panic::panic_any(42u32) }).await })
        .unwrap_err();
    let payload = err.into_panic();
    assert_eq!(payload.downcast_ref::<u32>(), Some(&42));
}

/// A task's `Cancelled` is published after its future was dropped: whoever
/// sees it knows the future's destructors ran, whether the cancel came
/// before the first poll or at a suspension point.
#[test]
fn cancelled_is_seen_only_after_the_future_was_dropped() {
    tether::run(async {
        for polled_first in [false, true] {
            let dropped = support::Dropped::default();
            let guard = dropped.guard();
            let task = tether::spawn(async move {
                let _guard = guard;
                std::future::pending::<()>().await
            });
            if polled_first {
                tether::yield_now().await;
            }
            assert!(task.cancel());
            assert!(task.await.unwrap_err().is_cancelled());
            assert!(dropped.get(), "polled first: {polled_first}");
        }
    });
}

/// `task::current` names the task being polled: a spawned one, with its
/// name; the `block_on` future, as task 0; nothing in a callback, in a
/// callback sent through a `Handle`, or outside the loop.
#[test]
fn current_names_the_task_being_polled() {
    let rt = Runtime::new().unwrap();
    assert!(tether::task::current().is_none());
    rt.block_on(async {
        let main = tether::task::current().unwrap();
        assert_eq!((main.id().to_string(), main.name()), ("0".to_owned(), None));

        let named = tether::task::Builder::new().name("worker").spawn(async {
            let me = tether::task::current().unwrap();
            (me.id(), me.name().map(str::to_owned))
        });
        let id = named.id();
        assert_eq!(named.await.unwrap(), (id, Some("worker".to_owned())));
        let unnamed = tether::spawn(async { tether::task::current().unwrap().name().is_none() });
        assert!(unnamed.await.unwrap());

        let in_callbacks = Arc::new(Mutex::new(Vec::new()));
        let (local, remote) = (in_callbacks.clone(), in_callbacks.clone());
        tether::call_soon(move || {
            local
                .lock()
                .unwrap()
                .push(tether::task::current().is_some())
        });
        tether::Handle::current()
            .call_soon(move || {
                remote
                    .lock()
                    .unwrap()
                    .push(tether::task::current().is_some())
            })
            .unwrap();
        tether::time::sleep(Duration::from_millis(1)).await;
        assert_eq!(*in_callbacks.lock().unwrap(), [false, false]);
    });
    assert!(tether::task::current().is_none());
}
