//! Linearizability checks: random concurrent histories of a shared object,
//! held against a sequential specification.
//!
//! loom proves a protocol's invariants over every interleaving of a small
//! model, assertion by assertion. A history check asks a different
//! question, about the object as its users see it: does every run behave
//! as if each operation took effect at one instant between its call and
//! its return, one at a time, in an order that a plain sequential version
//! of the object (the *specification*: a `VecDeque`, a one-shot cell)
//! would accept with the same results? That property is
//! *linearizability* (M. Herlihy and J. Wing, "Linearizability: A
//! Correctness Condition for Concurrent Objects", TOPLAS 1990). It needs
//! no assertion written for the bug: a lost item, a value handed out twice
//! or a cancel that wins after the work started all show up as results
//! that no sequential order explains.
//!
//! # Recording a history
//!
//! A [`Scenario`] gives each thread a short list of operations, with a
//! random pause before each. The threads start together; each operation
//! takes a stamp from one shared counter just before its call and another
//! just after its return ([`Event`]). The counter is a `SeqCst` atomic, so
//! the stamps follow real time: an operation whose return stamp is below
//! another's call stamp finished before the other began, and must come
//! first in any explanation. When the threads are done, the main thread may
//! run closing operations (a final drain), which follow everything.
//!
//! # Checking it
//!
//! [`linearizable`] searches for an order, as Wing and Gong's algorithm
//! does (J. Wing and C. Gong, "Testing and Verifying Concurrent Objects",
//! JPDC 1993), with G. Lowe's memo ("Testing for Linearizability", CCPE
//! 2017): an operation may come next if it began before every remaining
//! operation ended; it is applied to a copy of the specification, and the
//! search goes on if the specification returns what the real call
//! returned. A set of operations done and a specification state already
//! found to lead nowhere are remembered, which keeps the search small: the
//! histories here have at most a dozen operations.
//!
//! # Shrinking a failure
//!
//! A failing scenario is made smaller as lincheck does it (N. Koval, D.
//! Alistarh and R. Elizarov, "Lincheck: A Practical Framework for Testing
//! Concurrent Data Structures on JVM", CAV 2023): try each operation in
//! turn, once: remove it, run the smaller scenario again, up to
//! [`Checker::reruns`] times, and keep the removal if one of those runs
//! fails too (the operation that moves into its place is tried next). The
//! report shows what is left and its failing history.
//!
//! # What a seed fixes, and what the check cannot see
//!
//! A seed fixes a scenario: the operations, their values and the pauses.
//! It does not fix the schedule, which is the operating system's: a
//! failure is found by running each scenario many times, and a seed that
//! failed once may pass the next time. So a passing run is evidence, not
//! proof, and it only covers what real threads on this machine happen to
//! interleave; loom is the exhaustive check of the same protocols, and
//! shuttle-style random schedulers reach further. A history check sees
//! only what the API returns: a missed wakeup that leaves no trace in a
//! result (a loop asleep with work queued) is loom's to find.

use std::collections::HashSet;
use std::fmt::{self, Debug};
use std::hash::Hash;
use std::sync::Barrier;
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::thread;

/// A sequential specification: the object as if one operation ran at a
/// time.
pub trait Spec: Clone + Eq + Hash {
    /// An operation, with its arguments.
    type Op: Clone + Debug + Send + Sync;
    /// What an operation returns.
    type Ret: Clone + Debug + PartialEq + Send;
    /// Applies `op`, and returns what the object would.
    fn apply(&mut self, op: &Self::Op) -> Self::Ret;
}

/// One operation as it happened.
#[derive(Clone, Debug)]
pub struct Event<O, R> {
    /// The thread that called it: 0, 1, ... for the scenario's threads,
    /// and the scenario's thread count for the closing operations.
    pub thread: usize,
    /// The operation.
    pub op: O,
    /// What it returned.
    pub ret: R,
    /// The shared clock just before the call.
    pub invoked: u64,
    /// The shared clock just after the return.
    pub returned: u64,
}

/// A recorded history of a check of `S`.
pub type History<S> = Vec<Event<<S as Spec>::Op, <S as Spec>::Ret>>;

/// Whether some order of `history`, one that keeps every operation that
/// ended before another began ahead of it, takes `spec` through the
/// operations with the same results.
pub fn linearizable<S: Spec>(spec: &S, history: &[Event<S::Op, S::Ret>]) -> bool {
    assert!(history.len() <= 64, "a history of at most 64 operations");
    let all = if history.len() == 64 {
        u64::MAX
    } else {
        (1 << history.len()) - 1
    };
    let mut dead_ends = HashSet::new();
    search(spec, history, 0, all, &mut dead_ends)
}

/// The search: `done` holds the operations already placed, `spec` the state
/// they left.
fn search<S: Spec>(
    spec: &S,
    history: &[Event<S::Op, S::Ret>],
    done: u64,
    all: u64,
    dead_ends: &mut HashSet<(u64, S)>,
) -> bool {
    if done == all {
        return true;
    }
    if dead_ends.contains(&(done, spec.clone())) {
        return false;
    }
    let left = || (0..history.len()).filter(move |i| done & (1 << i) == 0);
    // An operation may come next only if it began before every remaining
    // one ended.
    let first_end = left().map(|i| history[i].returned).min().unwrap_or(0);
    for i in left().filter(|&i| history[i].invoked < first_end) {
        let mut next = spec.clone();
        if next.apply(&history[i].op) == history[i].ret
            && search(&next, history, done | (1 << i), all, dead_ends)
        {
            return true;
        }
    }
    dead_ends.insert((done, spec.clone()));
    false
}

/// What each thread does: its operations in order, each with a pause (spin
/// iterations) before it.
#[derive(Clone)]
pub struct Scenario<O> {
    /// One list per thread.
    pub threads: Vec<Vec<(O, u32)>>,
}

impl<O: Debug> Debug for Scenario<O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (thread, ops) in self.threads.iter().enumerate() {
            let ops: Vec<&O> = ops.iter().map(|(op, _)| op).collect();
            writeln!(f, "  thread {thread}: {ops:?}")?;
        }
        Ok(())
    }
}

impl<O: Clone> Scenario<O> {
    /// How many operations it has.
    pub fn len(&self) -> usize {
        self.threads.iter().map(Vec::len).sum()
    }

    /// Whether it has none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The same scenario without its `n`-th operation (counted across the
    /// threads in order).
    fn without(&self, mut n: usize) -> Self {
        let mut smaller = self.clone();
        for ops in &mut smaller.threads {
            if n < ops.len() {
                ops.remove(n);
                break;
            }
            n -= ops.len();
        }
        smaller
    }
}

/// A small, fast, seeded random generator (xorshift64*): the scenarios
/// must come out the same for a seed on every machine, and the check
/// needs no dependency for it.
#[derive(Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Self {
        // Mixed, so that seeds 0, 1, 2... start far apart; never zero.
        Rng((seed ^ 0x9e37_79b9_7f4a_7c15).wrapping_mul(0xbf58_476d_1ce4_e5b9) | 1)
    }

    /// The next number below `n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
    }
}

/// A history check of one object against its specification.
pub struct Checker<S: Spec, Obj> {
    /// What the check is of, for its report.
    pub name: &'static str,
    /// The specification, in the state of a new object.
    pub spec: S,
    /// Makes a new object.
    pub object: fn() -> Obj,
    /// Runs an operation on the object.
    pub call: fn(&Obj, &S::Op) -> S::Ret,
    /// Makes the scenario of a seed.
    pub scenario: fn(&mut Rng) -> Scenario<S::Op>,
    /// What the main thread runs once the threads are done (a final drain,
    /// say, so that an item nobody took shows).
    pub closing: Vec<S::Op>,
    /// How many times each scenario runs.
    pub runs: usize,
    /// How many times a smaller scenario runs before shrinking gives it up.
    pub reruns: usize,
}

/// A scenario whose history no sequential order explains.
pub struct Failure<S: Spec> {
    /// The check's name.
    pub name: &'static str,
    /// The seed the scenario came from.
    pub seed: u64,
    /// The smallest scenario shrinking found that still fails.
    pub scenario: Scenario<S::Op>,
    /// A failing history of that scenario.
    pub history: History<S>,
}

impl<S: Spec> Debug for Failure<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{}: not linearizable (seed {}); the smallest failing scenario:",
            self.name, self.seed
        )?;
        write!(f, "{:?}", self.scenario)?;
        writeln!(f, "a history of it that no sequential order explains:")?;
        let mut events = self.history.clone();
        events.sort_by_key(|event| event.invoked);
        for event in &events {
            writeln!(
                f,
                "  [{:>3} .. {:>3}] thread {}: {:?} -> {:?}",
                event.invoked, event.returned, event.thread, event.op, event.ret
            )?;
        }
        Ok(())
    }
}

impl<S: Spec, Obj> Debug for Checker<S, Obj> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Checker")
            .field("name", &self.name)
            .field("runs", &self.runs)
            .field("reruns", &self.reruns)
            .finish_non_exhaustive()
    }
}

impl<S: Spec, Obj: Sync> Checker<S, Obj> {
    /// Runs the scenario of each seed `runs` times; the first history that
    /// is not linearizable is shrunk and returned.
    pub fn check(&self, seeds: std::ops::Range<u64>) -> Result<(), Box<Failure<S>>> {
        for seed in seeds {
            let scenario = (self.scenario)(&mut Rng::new(seed));
            if let Some(history) = self.fails(&scenario, self.runs) {
                let (scenario, history) = self.shrink(scenario, history);
                return Err(Box::new(Failure {
                    name: self.name,
                    seed,
                    scenario,
                    history,
                }));
            }
        }
        Ok(())
    }

    /// A failing history of `scenario` in at most `runs` runs.
    fn fails(&self, scenario: &Scenario<S::Op>, runs: usize) -> Option<History<S>> {
        (0..runs)
            .map(|_| self.record(scenario))
            .find(|history| !linearizable(&self.spec, history))
    }

    /// Takes operations out of a failing scenario while it still fails.
    fn shrink(
        &self,
        mut scenario: Scenario<S::Op>,
        mut history: History<S>,
    ) -> (Scenario<S::Op>, History<S>) {
        let mut n = 0;
        while n < scenario.len() {
            let smaller = scenario.without(n);
            match self.fails(&smaller, self.reruns) {
                Some(failing) => (scenario, history) = (smaller, failing),
                None => n += 1,
            }
        }
        (scenario, history)
    }

    /// Runs `scenario` once on a new object, on real threads.
    fn record(&self, scenario: &Scenario<S::Op>) -> History<S> {
        let object = (self.object)();
        let clock = AtomicU64::new(0);
        let start = Barrier::new(scenario.threads.len());
        let call = self.call;
        let mut history: History<S> = thread::scope(|scope| {
            let workers: Vec<_> = scenario
                .threads
                .iter()
                .enumerate()
                .map(|(thread, ops)| {
                    let (object, clock, start) = (&object, &clock, &start);
                    scope.spawn(move || {
                        start.wait();
                        ops.iter()
                            .map(|(op, pause)| {
                                for _ in 0..*pause {
                                    std::hint::spin_loop();
                                }
                                let invoked = clock.fetch_add(1, SeqCst);
                                let ret = call(object, op);
                                let returned = clock.fetch_add(1, SeqCst);
                                Event {
                                    thread,
                                    op: op.clone(),
                                    ret,
                                    invoked,
                                    returned,
                                }
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            workers
                .into_iter()
                .flat_map(|worker| worker.join().expect("a scenario thread panicked"))
                .collect()
        });
        for op in &self.closing {
            let invoked = clock.fetch_add(1, SeqCst);
            let ret = (self.call)(&object, op);
            let returned = clock.fetch_add(1, SeqCst);
            history.push(Event {
                thread: scenario.threads.len(),
                op: op.clone(),
                ret,
                invoked,
                returned,
            });
        }
        history
    }
}

/// How many seeds a check runs: `TETHER_HISTORY_SEEDS` if set, else
/// `default` (what CI runs).
pub fn seeds(default: u64) -> std::ops::Range<u64> {
    let count = std::env::var("TETHER_HISTORY_SEEDS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default);
    0..count
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A register: `Write(v)` returns nothing, `Read` what was last written.
    #[derive(Clone, PartialEq, Eq, Hash)]
    struct Register(u8);

    #[derive(Clone, Debug)]
    enum RegisterOp {
        Write(u8),
        Read,
    }

    impl Spec for Register {
        type Op = RegisterOp;
        type Ret = Option<u8>;
        fn apply(&mut self, op: &RegisterOp) -> Option<u8> {
            match op {
                RegisterOp::Write(value) => {
                    self.0 = *value;
                    None
                }
                RegisterOp::Read => Some(self.0),
            }
        }
    }

    fn event(
        op: RegisterOp,
        ret: Option<u8>,
        invoked: u64,
        returned: u64,
    ) -> Event<RegisterOp, Option<u8>> {
        Event {
            thread: 0,
            op,
            ret,
            invoked,
            returned,
        }
    }

    #[test]
    fn overlapping_operations_may_take_effect_in_either_order() {
        // A read that overlaps a write may see the old value or the new.
        let old = [
            event(RegisterOp::Write(1), None, 0, 3),
            event(RegisterOp::Read, Some(0), 1, 2),
        ];
        let new = [
            event(RegisterOp::Write(1), None, 0, 3),
            event(RegisterOp::Read, Some(1), 1, 2),
        ];
        assert!(linearizable(&Register(0), &old));
        assert!(linearizable(&Register(0), &new));
    }

    #[test]
    fn an_operation_that_ended_before_another_began_comes_first() {
        // The write ended before the read began: the read must see it.
        let stale = [
            event(RegisterOp::Write(1), None, 0, 1),
            event(RegisterOp::Read, Some(0), 2, 3),
        ];
        assert!(!linearizable(&Register(0), &stale));
    }

    #[test]
    fn a_result_no_order_explains_is_caught() {
        // Two overlapping writes of 1 and 2, then a read of 3.
        let impossible = [
            event(RegisterOp::Write(1), None, 0, 3),
            event(RegisterOp::Write(2), None, 1, 2),
            event(RegisterOp::Read, Some(3), 4, 5),
        ];
        assert!(!linearizable(&Register(0), &impossible));
    }

    #[test]
    fn a_scenario_loses_one_operation_at_a_time() {
        let scenario = Scenario {
            threads: vec![vec![(1, 0), (2, 0)], vec![(3, 0)]],
        };
        let ops = |s: &Scenario<i32>| -> Vec<Vec<i32>> {
            s.threads
                .iter()
                .map(|ops| ops.iter().map(|(op, _)| *op).collect())
                .collect()
        };
        assert_eq!(ops(&scenario.without(1)), [vec![1], vec![3]]);
        assert_eq!(ops(&scenario.without(2)), [vec![1, 2], vec![]]);
    }
}
