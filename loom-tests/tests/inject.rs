//! Model: the injection queue and its sleep/notify handshake
//! (`bridge/src/inject.rs`).
//!
//! Producer threads push while the loop thread runs the loop's own sequence:
//! take what was announced (`take`); if nothing is left to wait for, stop;
//! otherwise announce the sleep (`transition_to_parked`), sleep on the fake
//! eventfd if told to, announce the wake (`transition_to_awake`), repeat. In
//! the first model two producers push one item each; in the second the same,
//! with the loop's first sleep on its own thread (as the executor's loop
//! sleeps when no source is armed: `transition_to_parked_thread`, the fake's
//! park token) and the next in the poller; in the third one producer pushes
//! two; in the fourth a producer pushes while the loop closes the queue.
//!
//! What they prove, over every interleaving within the bound:
//! - no lost wakeup: the loop never sleeps while an item waits with nobody
//!   left to write the wakeup (loom reports such a run as a deadlock);
//! - every pushed item is taken exactly once;
//! - at most one wakeup write per sleep, counted over the run (writes <=
//!   sleeps);
//! - one producer's items are taken in the order it pushed them;
//! - a push racing `close` is either taken by the close or handed back
//!   to its producer, never both and never neither.
//!
//! Seeded bugs it catches (`loom-tests/README.md` has the table):
//! `inject_park_store` (announcing the sleep with a plain store of PARKED
//! overwrites a producer's NOTIFIED: deadlock), `inject_notify_always`
//! (writing the wakeup on every push breaks writes <= sleeps),
//! `inject_len_before_swap` (taking the items before taking the
//! notification strands an item pushed in between: deadlock),
//! `inject_close_after_drain` (taking the items and setting the closed
//! flag under two locks loses a push that lands in between),
//! `inject_unpark_as_notify` (a loop parked on its thread woken through
//! the poller sleeps on: deadlock).
//!
//! Bound: the first model explores every schedule with at most three
//! preemptions, enough for a producer to be preempted between its push and
//! its swap while the loop is preempted between its take and its park and
//! again before its sleep; the second model has the same bound. The
//! buffer's lock is loom's, but loom does not
//! explore a `try_lock` that fails, so a take that spins on a lock a
//! producer holds (`inject.rs`, rule 6) is not among the schedules:
//! `bridge/tests/inject_stress.rs` drives that case on real threads. The
//! other two models are small enough to explore whole.

use std::collections::VecDeque;

use tether_bridge::{Inject, TransitionToParked};
use tether_loom_tests::sync::Arc;
use tether_loom_tests::{Bound, FakeEventfd, model, thread};

/// The loop's side: runs iterations until `expected` items were taken.
/// Returns the items in the order taken and how many times the loop slept.
///
/// As the executor does it: step 4 takes whatever was announced, a whole
/// buffer at a time (`Inject::take`), and the loop parks only when it has
/// nothing left to run.
fn run_loop(inject: &Inject<usize, FakeEventfd>, expected: usize) -> (Vec<usize>, usize) {
    run_loop_sleeping(inject, expected, |_| Sleep::InPoller)
}

/// Where the loop sleeps: in the poller, or on its own thread, as the
/// executor's does when no source is armed.
#[derive(Clone, Copy)]
enum Sleep {
    InPoller,
    OnThread,
}

/// [`run_loop`], sleeping where `how` says for each sleep (counted from 0).
fn run_loop_sleeping(
    inject: &Inject<usize, FakeEventfd>,
    expected: usize,
    how: impl Fn(usize) -> Sleep,
) -> (Vec<usize>, usize) {
    let mut taken = Vec::new();
    let mut sleeps = 0;
    loop {
        let mut batch = VecDeque::new();
        inject.take(&mut batch);
        taken.extend(batch);
        if taken.len() == expected {
            return (taken, sleeps);
        }
        let sleep = how(sleeps);
        let transition = match sleep {
            Sleep::InPoller => inject.transition_to_parked(),
            Sleep::OnThread => inject.transition_to_parked_thread(),
        };
        match transition {
            TransitionToParked::Sleep => {
                sleeps += 1;
                match sleep {
                    Sleep::InPoller => inject.notifier().sleep(),
                    Sleep::OnThread => inject.notifier().park(),
                }
                inject.transition_to_awake();
            }
            TransitionToParked::Drain => {}
        }
    }
}

/// Two producers push one item each while the loop runs, sleeping where
/// `how` says; checks that both items are taken once and that the loop
/// was woken at most once per sleep.
fn two_producers_against(how: impl Fn(usize) -> Sleep) {
    let inject = Arc::new(Inject::new(FakeEventfd::new()));
    let producers: Vec<_> = (1..=2)
        .map(|item| {
            let inject = inject.clone();
            thread::spawn(move || {
                inject.push(item).expect("the queue is open");
            })
        })
        .collect();

    let (mut taken, sleeps) = run_loop_sleeping(&inject, 2, how);
    for producer in producers {
        producer.join().unwrap();
    }

    taken.sort_unstable();
    assert_eq!(taken, [1, 2], "an item was lost or taken twice");
    let writes = inject.notifier().writes();
    assert!(
        writes <= sleeps,
        "{writes} wakeups for {sleeps} sleeps: more than one per sleep"
    );
}

#[test]
fn no_wakeup_is_lost_and_each_item_is_taken_once() {
    model(Bound::Preemptions(3), || {
        two_producers_against(|_| Sleep::InPoller);
    });
}

#[test]
fn a_loop_that_parks_on_its_thread_is_unparked_and_not_woken_through_the_poller() {
    // The first sleep on the thread, the next in the poller: a wakeup
    // meant for one must not be sent the other way.
    model(Bound::Preemptions(3), || {
        two_producers_against(|sleep| {
            if sleep == 0 {
                Sleep::OnThread
            } else {
                Sleep::InPoller
            }
        });
    });
}

#[test]
fn items_from_one_producer_are_taken_in_order() {
    model(Bound::Exhaustive, || {
        let inject = Arc::new(Inject::new(FakeEventfd::new()));
        let producer = {
            let inject = inject.clone();
            thread::spawn(move || {
                inject.push(1).expect("the queue is open");
                inject.push(2).expect("the queue is open");
            })
        };
        let (taken, _) = run_loop(&inject, 2);
        producer.join().unwrap();
        assert_eq!(taken, [1, 2], "one producer's items out of order");
    });
}

#[test]
fn close_hands_back_every_push_it_does_not_take() {
    model(Bound::Exhaustive, || {
        let inject = Arc::new(Inject::new(FakeEventfd::new()));
        let producer = {
            let inject = inject.clone();
            thread::spawn(move || inject.push(7).err().map(|closed| closed.into_inner()))
        };
        let mut taken = VecDeque::new();
        inject.close(&mut taken);
        let handed_back = producer.join().unwrap();
        // Exactly one of the two: the close took it, or the producer got it
        // back. Never both, never neither.
        match (taken.as_slices().0, handed_back) {
            ([7], None) | ([], Some(7)) => {}
            other => panic!("item lost or duplicated at close: {other:?}"),
        }
    });
}
