//! Linearizability of the injection queue and of the completion cell: random
//! concurrent histories on real threads, held against a sequential
//! specification (`tether_loom_tests::history` explains the check).
//!
//! - **The injection queue** (`tether_bridge::Inject`), as the runtime uses
//!   it: producers push, and one thread, the loop, takes batches and at
//!   last closes it. The specification is a `VecDeque` and a flag: a push
//!   appends, or is handed back once the queue is closed; a take or a close
//!   drains everything. After the threads, the loop takes once more, so
//!   that an item pushed and never taken shows.
//! - **The completion cell** (`tether_bridge::Completion`): a worker starts
//!   and completes it, a second completer and a canceller race it, and a
//!   waiter asks whether it is resolved and takes the value once. The
//!   specification is a one-shot cell with a "started" flag.
//!
//! Each test runs a fixed number of seeds in CI, each scenario several
//! times (a seed fixes the operations and pauses, not the schedule);
//! `TETHER_HISTORY_SEEDS=<n>` runs more. `loom-tests/mutants.sh` shows the
//! seeded bugs each one catches. A plain `cargo test` runs them; a loom or
//! shuttle build leaves them out.

#![cfg(not(any(loom, shuttle)))]

use std::collections::VecDeque;
use std::time::Duration;

use tether_bridge::{Completion, Inject, Notify};
use tether_loom_tests::history::{Checker, Rng, Scenario, Spec, seeds};

/// Seeds per check in CI: each scenario runs `RUNS` times, so this many
/// times `RUNS` histories, about a second on a 2-core machine.
const SEEDS: u64 = 300;
/// Runs of each scenario: the schedule differs each time.
const RUNS: usize = 20;
/// Runs of each smaller scenario while a failure is shrunk.
const RERUNS: usize = 2_000;

/// A pause before an operation: none, or up to a few microseconds of
/// spinning, so that the threads' operations overlap in many ways.
fn pause(rng: &mut Rng) -> u32 {
    if rng.below(3) == 0 {
        0
    } else {
        rng.below(2_000) as u32
    }
}

// ===== the injection queue =====

/// A notifier that does nothing: the check is of the queue's contents.
struct Quiet;

impl Notify for Quiet {
    fn notify(&self) {}
    fn unpark(&self) {}
}

#[derive(Clone, Debug)]
enum QueueOp {
    Push(u32),
    Take,
    Close,
}

#[derive(Clone, Debug, PartialEq)]
enum QueueRet {
    /// What `push` returned: `Err` with the item if handed back.
    Pushed(Result<(), u32>),
    /// The items a take or a close took, in order.
    Took(Vec<u32>),
}

/// The queue as if one operation ran at a time.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
struct QueueSpec {
    items: VecDeque<u32>,
    closed: bool,
}

impl Spec for QueueSpec {
    type Op = QueueOp;
    type Ret = QueueRet;

    fn apply(&mut self, op: &QueueOp) -> QueueRet {
        match op {
            QueueOp::Push(item) if self.closed => QueueRet::Pushed(Err(*item)),
            QueueOp::Push(item) => {
                self.items.push_back(*item);
                QueueRet::Pushed(Ok(()))
            }
            QueueOp::Take => QueueRet::Took(self.items.drain(..).collect()),
            QueueOp::Close => {
                self.closed = true;
                QueueRet::Took(self.items.drain(..).collect())
            }
        }
    }
}

fn queue_call(queue: &Inject<u32, Quiet>, op: &QueueOp) -> QueueRet {
    let mut batch = VecDeque::new();
    match op {
        QueueOp::Push(item) => QueueRet::Pushed(queue.push(*item).map_err(|closed| closed.0)),
        QueueOp::Take => {
            queue.take(&mut batch);
            QueueRet::Took(batch.into())
        }
        QueueOp::Close => {
            queue.close(&mut batch);
            QueueRet::Took(batch.into())
        }
    }
}

/// Thread 0 is the loop: one to three takes, then most often a close.
/// Threads 1 and 2 push one to three items each, all distinct.
fn queue_scenario(rng: &mut Rng) -> Scenario<QueueOp> {
    let mut the_loop: Vec<(QueueOp, u32)> = (0..1 + rng.below(3))
        .map(|_| (QueueOp::Take, pause(rng)))
        .collect();
    if rng.below(4) != 0 {
        the_loop.push((QueueOp::Close, pause(rng)));
    }
    let mut threads = vec![the_loop];
    for producer in 1..=2u32 {
        let pushes = 1 + rng.below(3) as u32;
        threads.push(
            (0..pushes)
                .map(|k| (QueueOp::Push(producer * 10 + k), pause(rng)))
                .collect(),
        );
    }
    Scenario { threads }
}

#[test]
fn the_injection_queue_is_linearizable() {
    let checker = Checker {
        name: "the injection queue",
        spec: QueueSpec::default(),
        object: || Inject::new(Quiet),
        call: queue_call,
        scenario: queue_scenario,
        closing: vec![QueueOp::Take],
        runs: RUNS,
        reruns: RERUNS,
    };
    if let Err(failure) = checker.check(seeds(SEEDS)) {
        panic!("{failure:?}");
    }
}

// ===== the completion cell =====

#[derive(Clone, Debug)]
enum CellOp {
    Complete(u32),
    CancelUnstarted(u32),
    Start,
    IsResolved,
    /// `wait_timeout(0)`: the value if it is there.
    Take,
}

#[derive(Clone, Debug, PartialEq)]
enum CellRet {
    /// What `complete` or `cancel_unstarted` returned.
    Completed(Result<(), u32>),
    /// What `start` or `is_resolved` returned.
    Flag(bool),
    /// What the take found.
    Took(Option<u32>),
}

/// The cell's slot, as the specification keeps it.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
enum Slot {
    #[default]
    Empty,
    Ready(u32),
    Taken,
}

/// The cell as if one operation ran at a time.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
struct CellSpec {
    slot: Slot,
    started: bool,
}

impl CellSpec {
    fn resolve(&mut self, value: u32) -> CellRet {
        if self.slot != Slot::Empty {
            return CellRet::Completed(Err(value));
        }
        self.slot = Slot::Ready(value);
        CellRet::Completed(Ok(()))
    }
}

impl Spec for CellSpec {
    type Op = CellOp;
    type Ret = CellRet;

    fn apply(&mut self, op: &CellOp) -> CellRet {
        match *op {
            CellOp::Complete(value) => self.resolve(value),
            CellOp::CancelUnstarted(value) if self.started => CellRet::Completed(Err(value)),
            CellOp::CancelUnstarted(value) => self.resolve(value),
            CellOp::Start if self.slot != Slot::Empty => CellRet::Flag(false),
            CellOp::Start => {
                self.started = true;
                CellRet::Flag(true)
            }
            CellOp::IsResolved => CellRet::Flag(self.slot != Slot::Empty),
            CellOp::Take => match self.slot {
                Slot::Ready(value) => {
                    self.slot = Slot::Taken;
                    CellRet::Took(Some(value))
                }
                _ => CellRet::Took(None),
            },
        }
    }
}

fn cell_call(cell: &Completion<u32>, op: &CellOp) -> CellRet {
    match *op {
        CellOp::Complete(value) => CellRet::Completed(cell.complete(value)),
        CellOp::CancelUnstarted(value) => CellRet::Completed(cell.cancel_unstarted(value)),
        CellOp::Start => CellRet::Flag(cell.start()),
        CellOp::IsResolved => CellRet::Flag(cell.is_resolved()),
        CellOp::Take => CellRet::Took(cell.wait_timeout(Duration::ZERO)),
    }
}

/// Thread 0 is the worker: it starts (most often) and completes with 1.
/// Thread 1 races it: a cancel with 2, or a second completion with 3.
/// Thread 2 waits: it asks whether the cell is resolved, then takes once
/// (a second take would be the caller's bug: rule 5).
fn cell_scenario(rng: &mut Rng) -> Scenario<CellOp> {
    let mut worker = Vec::new();
    if rng.below(4) != 0 {
        worker.push((CellOp::Start, pause(rng)));
    }
    worker.push((CellOp::Complete(1), pause(rng)));
    let racer = match rng.below(3) {
        0 => vec![(CellOp::Complete(3), pause(rng))],
        _ => vec![(CellOp::CancelUnstarted(2), pause(rng))],
    };
    let mut waiter: Vec<(CellOp, u32)> = (0..rng.below(3))
        .map(|_| (CellOp::IsResolved, pause(rng)))
        .collect();
    waiter.push((CellOp::Take, pause(rng)));
    Scenario {
        threads: vec![worker, racer, waiter],
    }
}

#[test]
fn the_completion_cell_is_linearizable() {
    let checker = Checker {
        name: "the completion cell",
        spec: CellSpec::default(),
        object: Completion::new,
        call: cell_call,
        scenario: cell_scenario,
        closing: vec![CellOp::IsResolved],
        runs: RUNS,
        reruns: RERUNS,
    };
    if let Err(failure) = checker.check(seeds(SEEDS)) {
        panic!("{failure:?}");
    }
}
