//! The injection queue on real threads, for the one case its loom model
//! cannot reach: a take that finds a producer holding the buffer's lock
//! and spins until it gets it (`bridge/src/inject.rs`, rule 6), which loom
//! never schedules because it does not explore a `try_lock` that fails.
//!
//! Two producers push a few items at a time, in many short rounds, while
//! the loop runs the loop's own sequence (take; if nothing is left,
//! announce the sleep and sleep on a stand-in eventfd). A lost wakeup can
//! only strand the last items of a round, when no later push comes to wake
//! the loop, so the rounds are short, and there are many: the loop's takes
//! often meet a producer inside its push. If such a take could strand an
//! item, the loop would sleep with it queued and nobody to wake it; a
//! watchdog then wakes the loop and the test fails, instead of hanging.
//! It also checks what the models check: every item taken once, each
//! producer's in order, at most one wakeup write per sleep.
//!
//! A take that gives up on a held lock, in a queue whose producers announce
//! before they unlock, failed this test in one of two runs here. Giving up
//! alone breaks the order across threads instead, which
//! `tests/rt_remote_wake.rs` catches in every run.

use std::collections::VecDeque;
use std::sync::{Arc, Barrier, Mutex};
use std::thread;
use std::time::Duration;

use tether_bridge::test_double::Eventfd;
use tether_bridge::{Inject, Notify, TransitionToParked};

const PRODUCERS: usize = 2;
const PER_ROUND: usize = 3;
const ROUNDS: usize = 40_000;

#[test]
fn takes_racing_pushes_take_every_item_once_in_order_and_never_sleep_on_one() {
    let inject = Arc::new(Inject::new(Eventfd::new()));
    let start = Arc::new(Barrier::new(PRODUCERS + 1));
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|producer| {
            let (inject, start) = (inject.clone(), start.clone());
            thread::spawn(move || {
                for round in 0..ROUNDS {
                    start.wait();
                    for seq in 0..PER_ROUND {
                        inject
                            .push((producer, round, seq))
                            .expect("the queue is open");
                    }
                }
            })
        })
        .collect();

    // Wakes the loop and marks the run stuck if no round ends for 10 s.
    let (rounds_done, stuck, finished) = (
        Arc::new(Mutex::new(0)),
        Arc::new(Mutex::new(false)),
        Arc::new(Mutex::new(false)),
    );
    let watchdog = {
        let (inject, rounds_done, stuck, finished) = (
            inject.clone(),
            rounds_done.clone(),
            stuck.clone(),
            finished.clone(),
        );
        thread::spawn(move || {
            let mut last = (usize::MAX, 0);
            while !*finished.lock().unwrap() {
                thread::sleep(Duration::from_millis(100));
                let done = *rounds_done.lock().unwrap();
                last = if done == last.0 {
                    (done, last.1 + 1)
                } else {
                    (done, 0)
                };
                if last.1 == 100 {
                    *stuck.lock().unwrap() = true;
                    inject.notifier().notify();
                    return;
                }
            }
        })
    };

    let (mut sleeps, mut batch) = (0, VecDeque::new());
    for round in 0..ROUNDS {
        start.wait();
        let mut next = [0; PRODUCERS];
        let mut taken = 0;
        loop {
            taken += inject.take(&mut batch);
            for (producer, item_round, seq) in batch.drain(..) {
                assert_eq!(
                    (item_round, seq),
                    (round, next[producer]),
                    "producer {producer} out of order"
                );
                next[producer] += 1;
            }
            if taken == PRODUCERS * PER_ROUND {
                break;
            }
            if inject.transition_to_parked() == TransitionToParked::Sleep {
                sleeps += 1;
                inject.notifier().sleep();
                inject.transition_to_awake();
                assert!(
                    !*stuck.lock().unwrap(),
                    "round {round}: the loop slept with {} items queued",
                    inject.len()
                );
            }
        }
        *rounds_done.lock().unwrap() += 1;
    }
    *finished.lock().unwrap() = true;
    watchdog.join().unwrap();
    for producer in producers {
        producer.join().unwrap();
    }
    let writes = inject.wakeup_writes();
    assert!(
        writes <= sleeps as u64,
        "{writes} wakeup writes for {sleeps} sleeps"
    );
}
