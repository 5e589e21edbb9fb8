//! Model: how a pool's connections spread over its loops
//! (`bridge/src/spread.rs`).
//!
//! Acceptors claim a slot on a loop below its cap; the loop that serves a
//! connection drops its claim when the connection ends; an acceptor that
//! finds every loop at its cap pauses until a drop from the cap wakes it.
//!
//! What it proves, over every interleaving:
//! - two acceptors racing for the last slot cannot both take it: the cap
//!   holds, and exactly as many claims succeed as there are slots;
//! - an acceptor paused at the cap is woken by the drop that frees a slot,
//!   whatever the order of its registration and the drop (a lost wake
//!   leaves it asleep forever, which loom reports as a deadlock), and then
//!   claims that slot;
//! - every count is back at zero once every claim is dropped, and nothing
//!   leaks (loom fails a model that ends with a loom `Arc` alive).
//!
//! Seeded bugs it catches (`loom-tests/README.md` has the table):
//! `spread_check_then_add` (the cap is passed), `spread_no_rescan` (the
//! paused acceptor sleeps through the free slot: a deadlock).
//!
//! Bound: every model is explored whole. The counts are single atomics and
//! the waiter list one mutex; two or three threads leave few interleavings.

use std::task::{Context, Poll};

use tether_bridge::Spread;
use tether_loom_tests::sync::Arc;
use tether_loom_tests::{Bound, LoomWaker, model, thread};

/// Every loop open, no weight but the count.
fn even(_: usize) -> Option<u64> {
    Some(0)
}

#[test]
fn two_acceptors_racing_for_the_last_slot_cannot_both_take_it() {
    model(Bound::Exhaustive, || {
        // One loop, one slot, two acceptors.
        let spread = Arc::new(Spread::new(1, 1));
        let acceptors: Vec<_> = (0..2)
            .map(|_| {
                let spread = spread.clone();
                thread::spawn(move || Spread::try_claim(&spread, even))
            })
            .collect();
        let claims: Vec<_> = acceptors
            .into_iter()
            .filter_map(|acceptor| acceptor.join().unwrap())
            .collect();
        assert_eq!(
            claims.len(),
            1,
            "{} acceptors took the one slot",
            claims.len()
        );
        assert_eq!(spread.count(0), 1);
        drop(claims);
        assert_eq!(spread.total(), 0);
    });
}

#[test]
fn an_acceptor_paused_at_the_cap_is_woken_when_a_connection_ends() {
    model(Bound::Exhaustive, || {
        let spread = Arc::new(Spread::new(1, 1));
        let held = Spread::try_claim(&spread, even).unwrap();
        // The loop that serves the held connection ends it.
        let server = thread::spawn(move || drop(held));
        // The acceptor: claim, or pause until woken and try again, as a
        // task polled by its loop would.
        let (waker, woken) = LoomWaker::new();
        let mut cx = Context::from_waker(&waker);
        let claim = loop {
            match Spread::poll_claim(&spread, &mut cx, even) {
                Poll::Ready(claim) => break claim,
                Poll::Pending => woken.sleep(),
            }
        };
        assert_eq!(claim.index(), 0);
        server.join().unwrap();
        assert_eq!(spread.count(0), 1);
        drop(claim);
        assert_eq!(spread.total(), 0);
    });
}

#[test]
fn two_loops_two_acceptors_and_a_drop_never_pass_the_cap() {
    model(Bound::Exhaustive, || {
        // Two loops of one slot; loop 0 or 1 is full, and two acceptors
        // race with the end of that connection for what is left.
        let spread = Arc::new(Spread::new(2, 1));
        let held = Spread::try_claim(&spread, even).unwrap();
        let server = thread::spawn(move || drop(held));
        let acceptor = {
            let spread = spread.clone();
            thread::spawn(move || Spread::try_claim(&spread, even))
        };
        let mine = Spread::try_claim(&spread, even);
        let theirs = acceptor.join().unwrap();
        server.join().unwrap();
        // However the three interleaved, no loop holds two.
        assert!(spread.count(0) <= 1 && spread.count(1) <= 1);
        // Two slots, and at least one was free all along: someone got it.
        assert!(mine.is_some() || theirs.is_some());
        if let (Some(a), Some(b)) = (&mine, &theirs) {
            assert_ne!(a.index(), b.index());
        }
        drop((mine, theirs));
        assert_eq!(spread.total(), 0);
    });
}
