//! The snapshot rule: a task that keeps waking itself cannot starve timers
//! or other threads, and a busy loop does not poll the reactor on every
//! iteration. (The I/O cases, which need the reactor's registration API,
//! are in `executor/tests/io_fairness.rs`.)

mod support;

use std::cell::Cell;
use std::rc::Rc;
use std::thread;
use std::time::Duration;

use support::WakerSlot;

/// Yields until `done` is set; gives up after `limit` turns. Returns the
/// number of turns it took.
async fn spin_until(done: Rc<Cell<bool>>, limit: u64) -> u64 {
    let mut turns = 0;
    while !done.get() && turns < limit {
        tether::yield_now().await;
        turns += 1;
    }
    turns
}

#[test]
fn a_self_waking_task_does_not_starve_a_timer() {
    tether::run(async {
        let done = Rc::new(Cell::new(false));
        let set = done.clone();
        let _ = tether::call_later(Duration::from_millis(5), move || set.set(true));
        let turns = tether::spawn(spin_until(done.clone(), 5_000_000))
            .await
            .unwrap();
        assert!(
            done.get(),
            "the timer never fired while a task spun for {turns} turns"
        );
    });
}

#[test]
fn a_self_waking_task_does_not_starve_a_wake_from_another_thread() {
    tether::run(async {
        let slot = WakerSlot::default();
        let done = Rc::new(Cell::new(false));
        let waiter = {
            let (slot, done) = (slot.clone(), done.clone());
            tether::spawn(async move {
                slot.wait().await;
                done.set(true);
            })
        };
        let spinner = tether::spawn(spin_until(done.clone(), 5_000_000));
        let remote = {
            let slot = slot.clone();
            thread::spawn(move || {
                while !slot.has_waiter() {
                    thread::yield_now();
                }
                slot.fire();
            })
        };
        let turns = spinner.await.unwrap();
        assert!(done.get(), "the remote wake was starved for {turns} turns");
        waiter.await.unwrap();
        remote.join().unwrap();
    });
}

#[test]
fn a_busy_loop_with_no_armed_source_makes_no_poll() {
    const YIELDS: u64 = 31 * 200;
    let rt = tether::Runtime::new().unwrap();
    let handle = rt.handle();
    let before = handle.metrics();
    rt.block_on(async {
        for _ in 0..YIELDS {
            tether::yield_now().await;
        }
    });
    let after = handle.metrics();
    assert!(after.runs - before.runs >= YIELDS, "{after:?}");
    // Always something to run, so never a sleep; and no source to report
    // readiness, so no poll at all: not one system call per 31 runs.
    assert_eq!(after.parks, before.parks, "{after:?}");
    assert_eq!(after.polls, before.polls, "{after:?}");
}
