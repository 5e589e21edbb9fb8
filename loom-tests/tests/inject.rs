//! Model: the injection queue and its sleep/notify handshake
//! (`bridge/src/inject.rs`).
//!
//! Producer threads push while the loop thread runs the loop's own
//! sequence: drain; if nothing is left to wait for, stop; otherwise
//! announce the sleep (`transition_to_parked`), sleep on the fake eventfd
//! if told to, announce the wake (`transition_to_awake`), repeat. In the
//! first model two producers push one item each; in the second one
//! producer pushes two; in the third a producer pushes while the loop
//! closes the queue.
//!
//! What they prove, over every interleaving within the bound:
//! - no lost wakeup: the loop never sleeps while an item waits with nobody
//!   left to write the wakeup (loom reports such a run as a deadlock);
//! - every pushed item is drained exactly once;
//! - at most one wakeup write per sleep, counted over the run (writes <=
//!   sleeps);
//! - one producer's items are drained in the order it pushed them;
//! - a push racing `close` is either drained by the close or handed back
//!   to its producer, never both and never neither.
//!
//! Seeded bugs it catches (`loom-tests/README.md` has the table):
//! `inject_park_store` (announcing the sleep with a plain store of PARKED
//! overwrites a producer's NOTIFIED: deadlock), `inject_notify_always`
//! (writing the wakeup on every push breaks writes <= sleeps),
//! `inject_len_before_swap` (counting the queue before taking the
//! notification strands an item announced in between: deadlock),
//! `inject_close_after_drain` (draining before closing, and not after,
//! loses a push that lands in between).
//!
//! Bound: the first model explores every schedule with at most three
//! preemptions, enough for a producer to be preempted between its push and
//! its swap while the loop is preempted between its drain and its park and
//! again before its sleep; `concurrent-queue` runs on loom's atomics too,
//! so its own steps are interleaved as well. The other two models are
//! small enough to explore whole.

use tether_bridge::{Inject, TransitionToParked};
use tether_loom_tests::sync::Arc;
use tether_loom_tests::{Bound, FakeEventfd, model, thread};

/// The loop's side: runs iterations until `expected` items were drained.
/// Returns the items in drain order and how many times the loop slept.
fn run_loop(inject: &Inject<usize, FakeEventfd>, expected: usize) -> (Vec<usize>, usize) {
    let mut drained = Vec::new();
    let mut sleeps = 0;
    loop {
        inject.drain(|item| drained.push(item));
        if drained.len() == expected {
            return (drained, sleeps);
        }
        match inject.transition_to_parked() {
            TransitionToParked::Sleep => {
                sleeps += 1;
                inject.notifier().sleep();
                inject.transition_to_awake();
            }
            TransitionToParked::Drain => {}
        }
    }
}

#[test]
fn no_wakeup_is_lost_and_each_item_is_drained_once() {
    model(Bound::Preemptions(3), || {
        let inject = Arc::new(Inject::new(FakeEventfd::new()));
        let producers: Vec<_> = (1..=2)
            .map(|item| {
                let inject = inject.clone();
                thread::spawn(move || {
                    inject.push(item).expect("the queue is open");
                })
            })
            .collect();

        let (mut drained, sleeps) = run_loop(&inject, 2);
        for producer in producers {
            producer.join().unwrap();
        }

        drained.sort_unstable();
        assert_eq!(drained, [1, 2], "an item was lost or drained twice");
        let writes = inject.notifier().writes();
        assert!(
            writes <= sleeps,
            "{writes} wakeup writes for {sleeps} sleeps: more than one per sleep"
        );
    });
}

#[test]
fn items_from_one_producer_are_drained_in_order() {
    model(Bound::Exhaustive, || {
        let inject = Arc::new(Inject::new(FakeEventfd::new()));
        let producer = {
            let inject = inject.clone();
            thread::spawn(move || {
                inject.push(1).expect("the queue is open");
                inject.push(2).expect("the queue is open");
            })
        };
        let (drained, _) = run_loop(&inject, 2);
        producer.join().unwrap();
        assert_eq!(drained, [1, 2], "one producer's items out of order");
    });
}

#[test]
fn close_hands_back_every_push_it_does_not_drain() {
    model(Bound::Exhaustive, || {
        let inject = Arc::new(Inject::new(FakeEventfd::new()));
        let producer = {
            let inject = inject.clone();
            thread::spawn(move || inject.push(7).err().map(|closed| closed.into_inner()))
        };
        let mut drained = Vec::new();
        inject.close(|item| drained.push(item));
        let handed_back = producer.join().unwrap();
        // Exactly one of the two: the loop drained it, or the producer got
        // it back. Never both, never neither.
        match (drained.as_slice(), handed_back) {
            ([7], None) | ([], Some(7)) => {}
            other => panic!("item lost or duplicated at close: {other:?}"),
        }
    });
}
