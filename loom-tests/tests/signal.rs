//! Model: the signal table (`bridge/src/signal.rs`), between a signal
//! handler and the loops that subscribe.
//!
//! A signal handler interrupts its own thread, which loom cannot model;
//! the handler is modelled as a thread of its own, which is what the
//! module essay argues is enough (it touches only atomics and never
//! waits). The subscriber's wakeup fd is a fake: in the first model, a
//! loom cell that the handler's write and the loop's close both write, so
//! that a write not ordered before the close is a data race loom reports,
//! and a write after it fails an assertion; in the second, a
//! [`FakeEventfd`] the subscriber sleeps on, as the loop sleeps in the
//! poller until the fd is readable.
//!
//! What it proves, over every interleaving:
//! - an unsubscribe racing two handlers in flight returns only after
//!   their writes to the fd, so the fd can be closed (rule 3); a handler
//!   that comes too late writes nothing;
//! - every delivery that follows the subscribe is counted once and wakes
//!   the subscriber, which takes exactly the handler's runs and never
//!   sleeps with a count left behind (rules 4 and 5): a lost wake leaves
//!   it asleep forever, which loom reports as a deadlock;
//! - the handler counts each of its runs, and the disposition saved by
//!   the install is restored exactly once;
//! - a slot given up and taken again by a new subscription starts from
//!   zero: the new one takes exactly the deliveries to its own token,
//!   never a count the old one left (rule 6), while handlers race the
//!   release and the claim.
//!
//! Seeded bugs it catches (`loom-tests/README.md` has the table):
//! `signal_unsubscribe_no_wait` and `signal_decide_on_load` (a write to a
//! closed fd), `signal_wake_before_count` (the subscriber consumes the
//! wake, takes zero and sleeps with the count still to come),
//! `signal_reuse_no_reset` (the new subscription takes the old one's
//! count).
//!
//! Bound: at most three preemptions, over three threads (the loop and two
//! handlers): enough for a handler to be preempted between its load and
//! its increment, or between its count and its wake, while the other
//! handler and the loop each get preempted once. The models cannot be
//! explored whole: the loop's wait (rule 3) and its sleep on the fake
//! eventfd, which may end for no reason, can repeat without end. Four
//! preemptions take about twenty seconds for the three. A table of one or two
//! slots is enough: the slots of a table never interact, and the protocol
//! is the word of one slot and its count.

use tether_bridge::Notify;
use tether_bridge::signal::SignalTable;
use tether_bridge::sync::Ordering::SeqCst;
use tether_bridge::sync::{AtomicUsize, UnsafeCell};
use tether_loom_tests::sync::Arc;
use tether_loom_tests::{Bound, FakeEventfd, model, thread};

/// The signal the models deliver (any number in the tables' range).
const SIG: i32 = 2;

/// A file descriptor as signal handlers and the loop see it: any number
/// of writes, which may race each other as `write(2)`s may, then one
/// close. Whether it is open is a loom cell that each write reads and the
/// close writes, so loom checks that every write is ordered before the
/// close (a race is a causality violation), and the assertion catches a
/// write ordered after it.
struct FakeFd {
    open: UnsafeCell<bool>,
    writes: AtomicUsize,
}

// SAFETY: the cell is shared by the protocol under test, which promises
// that every write happens before the close (rule 3); loom checks every
// access against that promise.
unsafe impl Sync for FakeFd {}

impl FakeFd {
    fn new() -> Self {
        Self {
            open: UnsafeCell::new(true),
            writes: AtomicUsize::new(0),
        }
    }

    /// A handler's `write`.
    fn write(&self) {
        // SAFETY: rule 3: a handler's write happens before the close, the
        // only write of the cell; loom checks the ordering.
        let open = self.open.with(|open| unsafe { *open });
        assert!(open, "a signal handler wrote to a closed fd");
        self.writes.fetch_add(1, SeqCst);
    }

    /// The loop's `close`, after `unsubscribe` returned; how many writes
    /// the fd took.
    fn close(&self) -> usize {
        // SAFETY: as in `write`: every write happens before this.
        self.open.with_mut(|open| unsafe { *open = false });
        self.writes.load(SeqCst)
    }
}

#[test]
fn an_unsubscribe_returns_only_after_the_handlers_in_flight_wrote() {
    model(Bound::Preemptions(3), || {
        let table: Arc<SignalTable<u8, 2, 4>> = Arc::new(SignalTable::new());
        let fd = Arc::new(FakeFd::new());
        let sub = table.subscribe(SIG, 0, || Ok::<u8, ()>(7)).unwrap();
        // Two runs of the handler, on two threads, racing the unsubscribe.
        let handlers: Vec<_> = (0..2)
            .map(|_| {
                let (table, fd) = (table.clone(), fd.clone());
                thread::spawn(move || table.deliver(SIG, |_| fd.write()))
            })
            .collect();
        let mut restored = Vec::new();
        let pending = table.take(&sub);
        table.unsubscribe(sub, |previous| restored.push(previous));
        let writes = fd.close();
        for handler in handlers {
            handler.join().unwrap();
        }
        assert_eq!(restored, [7], "the last subscriber restores once");
        assert_eq!(table.runs(SIG), 2);
        assert!(
            pending as usize <= writes,
            "{pending} deliveries counted, {writes} written"
        );
    });
}

#[test]
fn every_delivery_after_the_subscribe_is_counted_and_wakes_the_subscriber() {
    model(Bound::Preemptions(3), || {
        let table: Arc<SignalTable<(), 1, 4>> = Arc::new(SignalTable::new());
        let fd = Arc::new(FakeEventfd::new());
        let sub = table.subscribe(SIG, 0, || Ok::<(), ()>(())).unwrap();
        let handlers: Vec<_> = (0..2)
            .map(|_| {
                let (table, fd) = (table.clone(), fd.clone());
                thread::spawn(move || table.deliver(SIG, |_| fd.notify()))
            })
            .collect();
        // The subscriber's loop, as `Signal::recv` runs it: consume the
        // fd's readiness, take the count, and sleep on the fd only if the
        // count was zero. `FakeEventfd::sleep` consumes as it returns; a
        // readiness left over only makes the next sleep return at once.
        let mut taken = 0;
        while taken < 2 {
            let count = table.take(&sub);
            taken += count;
            if count == 0 {
                fd.sleep();
            }
        }
        for handler in handlers {
            handler.join().unwrap();
        }
        assert_eq!(taken, 2, "each run of the handler counted once");
        assert_eq!(table.runs(SIG), 2);
        assert_eq!(table.take(&sub), 0, "nothing counted twice");
        table.unsubscribe(sub, drop);
    });
}

#[test]
fn a_reused_slot_starts_from_zero_and_counts_only_its_own_deliveries() {
    model(Bound::Preemptions(3), || {
        // One slot: the second subscription must reuse the first's.
        let table: Arc<SignalTable<(), 1, 4>> = Arc::new(SignalTable::new());
        // How many wakes each token got: token 0 is the first
        // subscription's, token 1 the second's.
        let woken: Arc<[AtomicUsize; 2]> = Arc::new([AtomicUsize::new(0), AtomicUsize::new(0)]);
        let first = table.subscribe(SIG, 0, || Ok::<(), ()>(())).unwrap();
        // One delivery surely counted for the first, and left untaken.
        table.deliver(SIG, |token| {
            woken[token as usize].fetch_add(1, SeqCst);
        });
        // Two more runs of the handler, racing the release and the claim.
        let handlers: Vec<_> = (0..2)
            .map(|_| {
                let (table, woken) = (table.clone(), woken.clone());
                thread::spawn(move || {
                    table.deliver(SIG, |token| {
                        woken[token as usize].fetch_add(1, SeqCst);
                    })
                })
            })
            .collect();
        table.unsubscribe(first, drop);
        let second = table.subscribe(SIG, 1, || Ok::<(), ()>(())).unwrap();
        for handler in handlers {
            handler.join().unwrap();
        }
        let taken = table.take(&second);
        assert_eq!(
            taken as usize,
            woken[1].load(SeqCst),
            "the second subscription took {taken}, and was delivered {}",
            woken[1].load(SeqCst)
        );
        assert!(woken[0].load(SeqCst) >= 1);
        assert_eq!(table.runs(SIG), 3);
        table.unsubscribe(second, drop);
    });
}
