//! Dropping the runtime: every remaining future is dropped on the loop
//! thread, and nothing that holds a piece of the loop is left hanging.

mod support;

use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use support::{RecordsDrop, WakerSlot};
use tether::{JoinError, Runtime};

#[test]
fn dropping_the_runtime_drops_every_future_on_the_loop_thread() {
    let dropped_on = Arc::new(Mutex::new(Vec::new()));
    let rt = Runtime::new().unwrap();
    let slot = WakerSlot::default();
    rt.block_on(async {
        // Pending forever, with no waker kept anywhere.
        tether::spawn(RecordsDrop {
            dropped_on: dropped_on.clone(),
        });
        // Waiting on a timer far away.
        let record = RecordsDrop {
            dropped_on: dropped_on.clone(),
        };
        tether::spawn(async move {
            let _record = record;
            tether::time::sleep(Duration::from_secs(3600)).await;
        });
        // Waiting for a wake that another thread holds.
        let record = RecordsDrop {
            dropped_on: dropped_on.clone(),
        };
        let slot = slot.clone();
        tether::spawn(async move {
            let _record = record;
            slot.wait().await;
        });
        // Pending forever too: polled once, in the iteration that ends
        // `block_on` (it was queued ahead of the yield below).
        tether::spawn(RecordsDrop {
            dropped_on: dropped_on.clone(),
        });
        tether::yield_now().await;
    });
    let waker_holder = {
        let slot = slot.clone();
        thread::spawn(move || {
            // Woken after shutdown: must be harmless.
            thread::sleep(Duration::from_millis(20));
            slot.fire();
        })
    };
    assert!(dropped_on.lock().unwrap().is_empty());
    drop(rt);
    let dropped_on = dropped_on.lock().unwrap().clone();
    assert_eq!(dropped_on.len(), 4, "every future is dropped at shutdown");
    let here = thread::current().id();
    assert!(
        dropped_on.iter().all(|&id| id == here),
        "a future was dropped on another thread"
    );
    waker_holder.join().unwrap();
}

#[test]
fn a_join_handle_outliving_its_runtime_reports_cancelled() {
    let rt = Runtime::new().unwrap();
    let task = rt.spawn(std::future::pending::<()>());
    drop(rt);
    assert!(task.is_finished());
    let result = Runtime::new().unwrap().block_on(task);
    assert!(matches!(result, Err(JoinError::Cancelled)));
}

#[test]
fn a_future_that_spawns_while_being_dropped_does_not_escape_shutdown() {
    struct SpawnsOnDrop(Arc<Mutex<Vec<thread::ThreadId>>>);
    impl Drop for SpawnsOnDrop {
        fn drop(&mut self) {
            tether::spawn(RecordsDrop {
                dropped_on: self.0.clone(),
            });
        }
    }
    let dropped_on = Arc::new(Mutex::new(Vec::new()));
    let rt = Runtime::new().unwrap();
    let guard = SpawnsOnDrop(dropped_on.clone());
    rt.spawn(async move {
        let _guard = guard;
        std::future::pending::<()>().await;
    });
    rt.block_on(tether::yield_now());
    drop(rt);
    assert_eq!(dropped_on.lock().unwrap().len(), 1);
}
