//! Model: `concurrent-queue` itself, as tether configures it
//! (`tether_bridge::new_queue`, the queue inside `Inject`).
//!
//! The injection protocol (`inject.rs`) is only as good as the queue under
//! it, so the queue runs under loom too: `concurrent-queue` has a `loom`
//! feature that swaps its atomics for loom's, and `tether-bridge` turns it
//! on in a loom build. Producers push while the loop thread pops, and
//! while it closes the queue.
//!
//! What it proves, over every interleaving within the bound:
//! - while the queue is open, a push never fails (tether's queue is
//!   unbounded: a submission is refused only because the loop is gone);
//! - every item pushed is popped exactly once;
//! - items from one producer come out in the order it pushed them;
//! - closing is final and loses nothing: each push either lands before the
//!   close, and is popped by the drain that follows it, or fails and hands
//!   its item back; once one push of a producer fails, its later ones do.
//!
//! Seeded bug it catches (`loom-tests/README.md` has the table):
//! `inject_queue_bounded`, the queue built with a capacity.
//!
//! Bound: the close model is explored whole. The other runs with at most
//! three preemptions: two producers pushing two items each against a
//! consumer, so a producer can be preempted inside a push (between
//! claiming a slot and writing it) while the other pushes and the consumer
//! pops.

use tether_bridge::new_queue;
use tether_loom_tests::sync::Arc;
use tether_loom_tests::{Bound, model, thread};

#[test]
fn concurrent_pushes_all_land_once_and_in_order_per_producer() {
    model(Bound::Preemptions(3), || {
        let queue = Arc::new(new_queue::<(usize, usize)>());
        let producers: Vec<_> = (0..2)
            .map(|producer| {
                let queue = queue.clone();
                thread::spawn(move || {
                    for seq in 0..2 {
                        queue
                            .push((producer, seq))
                            .expect("a push to an open queue failed");
                    }
                })
            })
            .collect();
        // The loop pops while the producers push, then after them.
        let mut popped = Vec::new();
        popped.extend(queue.pop().ok());
        for producer in producers {
            producer.join().unwrap();
        }
        while let Ok(item) = queue.pop() {
            popped.push(item);
        }

        assert_eq!(popped.len(), 4, "items lost or popped twice: {popped:?}");
        for producer in 0..2 {
            let seqs: Vec<_> = popped
                .iter()
                .filter(|(p, _)| *p == producer)
                .map(|(_, seq)| *seq)
                .collect();
            assert_eq!(seqs, [0, 1], "producer {producer} out of order: {popped:?}");
        }
    });
}

#[test]
fn close_keeps_every_item_it_accepted_and_hands_back_the_rest() {
    model(Bound::Exhaustive, || {
        let queue = Arc::new(new_queue::<usize>());
        let producer = {
            let queue = queue.clone();
            thread::spawn(move || {
                (0..2)
                    .filter_map(|item| queue.push(item).err().map(|e| e.into_inner()))
                    .collect::<Vec<_>>()
            })
        };
        // The loop pops what is there, then shuts down: close, then drain.
        let mut popped: Vec<_> = queue.pop().ok().into_iter().collect();
        queue.close();
        while let Ok(item) = queue.pop() {
            popped.push(item);
        }
        let handed_back = producer.join().unwrap();

        // Accepted items come out in order; refused ones are the tail.
        let mut all = popped.clone();
        all.extend(&handed_back);
        assert_eq!(
            all,
            [0, 1],
            "popped {popped:?}, handed back {handed_back:?}"
        );
        assert!(queue.push(9).is_err(), "a push after close succeeded");
    });
}
