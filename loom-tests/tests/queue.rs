//! Model: the injection queue's buffer (`bridge/src/inject.rs`) under
//! concurrent pushes and takes, and at its close.
//!
//! The handshake is `inject.rs`'s model; this one looks at the items:
//! producers push while the loop thread takes whole buffers, and while it
//! closes the queue.
//!
//! What it proves, over every interleaving within the bound:
//! - while the queue is open, a push never fails (the buffer is
//!   unbounded: a submission is refused only because the loop is gone);
//! - every item pushed is taken exactly once, by a take or by the close;
//! - items from one producer come out in the order it pushed them, across
//!   the buffers the loop swaps in;
//! - closing is final and loses nothing: each push either lands before the
//!   close, and is taken, or fails and hands its item back; once one push
//!   of a producer fails, its later ones do.
//!
//! Seeded bug it catches (`loom-tests/README.md` has the table):
//! `inject_push_after_close`, a push that does not look at the closed
//! flag.
//!
//! Bound: the close model is explored whole. The other runs with at most
//! three preemptions: two producers pushing two items each against a loop
//! that takes in between and after, so a producer can be preempted between
//! its push and its announcement. (Loom does not explore a take that finds
//! the lock held; see `inject.rs`'s model.)

use std::collections::VecDeque;

use tether_bridge::Inject;
use tether_loom_tests::sync::Arc;
use tether_loom_tests::{Bound, FakeEventfd, model, thread};

#[test]
fn concurrent_pushes_all_land_once_and_in_order_per_producer() {
    model(Bound::Preemptions(3), || {
        let inject = Arc::new(Inject::new(FakeEventfd::new()));
        let producers: Vec<_> = (0..2)
            .map(|producer| {
                let inject = inject.clone();
                thread::spawn(move || {
                    for seq in 0..2 {
                        inject
                            .push((producer, seq))
                            .expect("a push to an open queue failed");
                    }
                })
            })
            .collect();
        // The loop takes while the producers push, then after them.
        let mut taken = VecDeque::new();
        inject.take(&mut taken);
        for producer in producers {
            producer.join().unwrap();
        }
        let mut rest = VecDeque::new();
        inject.take(&mut rest);
        taken.extend(rest);

        assert_eq!(taken.len(), 4, "items lost or taken twice: {taken:?}");
        for producer in 0..2 {
            let seqs: Vec<_> = taken
                .iter()
                .filter(|(p, _)| *p == producer)
                .map(|(_, seq)| *seq)
                .collect();
            assert_eq!(seqs, [0, 1], "producer {producer} out of order: {taken:?}");
        }
    });
}

#[test]
fn close_keeps_every_item_it_accepted_and_hands_back_the_rest() {
    model(Bound::Exhaustive, || {
        let inject = Arc::new(Inject::new(FakeEventfd::new()));
        let producer = {
            let inject = inject.clone();
            thread::spawn(move || {
                (0..2)
                    .filter_map(|item| inject.push(item).err().map(|e| e.into_inner()))
                    .collect::<Vec<_>>()
            })
        };
        // The loop takes what is there, then shuts down: the close takes
        // the rest.
        let mut taken = VecDeque::new();
        inject.take(&mut taken);
        let mut rest = VecDeque::new();
        inject.close(&mut rest);
        taken.extend(rest);
        let handed_back = producer.join().unwrap();

        // Accepted items come out in order; refused ones are the tail.
        let mut all: Vec<_> = taken.iter().copied().collect();
        all.extend(&handed_back);
        assert_eq!(all, [0, 1], "taken {taken:?}, handed back {handed_back:?}");
        assert!(inject.push(9).is_err(), "a push after close succeeded");
    });
}
