//! Shuttle: the bridge's protocols at a scale loom cannot reach.
//!
//! loom explores every interleaving of two or three threads doing one or
//! two operations each (`inject.rs`, `runtime.rs`). These tests run the same
//! protocols with four producers and a loop over a thousand operations,
//! under shuttle's random scheduler and its PCT one (S. Burckhardt et al.,
//! "A Randomized Scheduler with Probabilistic Guarantees of Finding Bugs",
//! ASPLOS 2010): each picks the thread to run at every atomic, lock and
//! yield, from a seed, and replays a failing schedule exactly
//! (`shuttle::replay` with the string the failure prints). Two things loom never does happen here:
//!
//! - a `try_lock` fails: the loop's take spins on the buffer's lock while
//!   a producer holds it (`inject.rs`, rule 6), which loom models as never
//!   failing;
//! - the loop goes round many times, parking and waking in every phase of
//!   the producers' pushes, instead of once or twice.
//!
//! What each checks:
//! - `four_producers_and_a_parking_loop_lose_nothing`: 4 x 250 pushes
//!   against the loop's take / park / sleep / wake sequence; every item is
//!   taken exactly once, each producer's in order, with at most one wakeup
//!   write per sleep, and no schedule leaves the loop asleep with an item
//!   queued (shuttle reports that as a deadlock);
//! - `shutdown_under_load_hands_every_push_back_or_runs_it`: 4 x 100
//!   pushes race the loop, which takes for a while and then closes; every
//!   item is taken once or handed back to its producer once, never both and
//!   never neither;
//! - `many_tasks_woken_from_many_threads_run_until_done`: 8 tasks, each
//!   with its state word, woken 10 times each by 3 threads through the
//!   injection queue, as wakes from other threads reach a loop; each task's
//!   poll completes once it has seen all its wakes. No task is ever queued
//!   twice, no wake is lost (a lost one leaves the loop asleep: a
//!   deadlock), and each task completes once with its references balanced;
//! - `acceptors_spread_over_loops_never_pass_a_cap`: 3 acceptors claim 20
//!   connections each over 4 loops of 2 slots, pausing at the cap until a
//!   connection ends, as a pool's accept loop does; no loop ever holds more
//!   than its cap, every acceptor gets all its connections, and every count
//!   returns to zero.
//!
//! Bound: shuttle is sequentially consistent (it does not produce the
//! weak-memory outcomes loom does), and it samples schedules rather than
//! exhausting them: CI runs `RUNS` schedules of each test at PCT depth 3
//! and `RUNS` random ones, from a fixed seed; PCT finds a bug that needs
//! up to two priority changes
//! with a probability per schedule the paper bounds from below;
//! `TETHER_SHUTTLE_RUNS` and `TETHER_SHUTTLE_SEED` run more, or others.
//! Seeded bugs they catch (`mutants.sh`): `inject_park_store`,
//! `inject_len_before_swap`, `inject_close_after_drain`,
//! `inject_push_after_close`, `task_late_clear`,
//! `task_submit_while_running`, `spread_check_then_add`,
//! `spread_no_rescan`.

#![cfg(shuttle)]

use std::collections::VecDeque;
use std::task::{Context, Poll};

use tether_bridge::sync::AtomicUsize;
use tether_bridge::sync::Ordering::{AcqRel, Acquire, Release};
use tether_bridge::{
    Initial, Inject, Spread, TaskState, TransitionToIdle, TransitionToParked, TransitionToRunning,
    TransitionToScheduled, WakeFrom,
};
use tether_loom_tests::sync::Arc;
use tether_loom_tests::{FakeEventfd, LoomWaker, Schedules, shuttle_check, shuttle_runs, thread};

/// Schedules per test and scheduler in CI.
const RUNS: usize = 300;
/// PCT's depth.
const DEPTH: usize = 3;

/// Runs `f` under `runs` PCT schedules, then as many random ones.
fn check(runs: usize, f: impl Fn() + Sync + Send + Clone + 'static) {
    shuttle_check(Schedules::Pct { depth: DEPTH }, runs, f.clone());
    shuttle_check(Schedules::Random, runs, f);
}
/// Producers.
const PRODUCERS: usize = 4;

/// An item: which producer pushed it, and its place among that producer's.
fn item(producer: usize, k: usize) -> usize {
    producer * 10_000 + k
}

/// The loop: takes what was announced, and parks when it has nothing to
/// run, until `done` says to stop; returns what it took and how often it
/// slept.
fn run_loop(
    inject: &Inject<usize, FakeEventfd>,
    mut done: impl FnMut(&[usize]) -> bool,
) -> (Vec<usize>, usize) {
    let (mut taken, mut sleeps) = (Vec::new(), 0);
    loop {
        let mut batch = VecDeque::new();
        inject.take(&mut batch);
        taken.extend(batch);
        if done(&taken) {
            return (taken, sleeps);
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

/// Starts the producers, each pushing `pushes` items; each returns the
/// items the queue handed back.
fn spawn_producers(
    inject: &Arc<Inject<usize, FakeEventfd>>,
    pushes: usize,
) -> Vec<thread::JoinHandle<Vec<usize>>> {
    (0..PRODUCERS)
        .map(|producer| {
            let inject = inject.clone();
            thread::spawn(move || {
                (0..pushes)
                    .map(|k| item(producer, k))
                    .filter(|&item| inject.push(item).is_err())
                    .collect()
            })
        })
        .collect()
}

/// Each producer's items, in the order they were taken, must be in the
/// order it pushed them.
fn assert_fifo_per_producer(taken: &[usize]) {
    let mut next = [0; PRODUCERS];
    for &item in taken {
        let (producer, k) = (item / 10_000, item % 10_000);
        assert!(
            k >= next[producer],
            "producer {producer}'s item {k} taken after its item {}",
            next[producer] - 1
        );
        next[producer] = k + 1;
    }
}

#[test]
fn four_producers_and_a_parking_loop_lose_nothing() {
    const PUSHES: usize = 250;
    check(shuttle_runs(RUNS), || {
        let inject = Arc::new(Inject::new(FakeEventfd::new()));
        let producers = spawn_producers(&inject, PUSHES);
        let (mut taken, sleeps) = run_loop(&inject, |taken| taken.len() == PRODUCERS * PUSHES);
        for producer in producers {
            let handed_back = producer.join().unwrap();
            assert!(handed_back.is_empty(), "the queue is open: {handed_back:?}");
        }
        assert_fifo_per_producer(&taken);
        taken.sort_unstable();
        taken.dedup();
        assert_eq!(
            taken.len(),
            PRODUCERS * PUSHES,
            "an item was lost or taken twice"
        );
        let writes = inject.notifier().writes();
        assert!(writes <= sleeps, "{writes} wakeups for {sleeps} sleeps");
    });
}

#[test]
fn shutdown_under_load_hands_every_push_back_or_runs_it() {
    const PUSHES: usize = 100;
    check(shuttle_runs(RUNS), || {
        let inject = Arc::new(Inject::new(FakeEventfd::new()));
        let producers = spawn_producers(&inject, PUSHES);
        // The loop runs until it has taken a third of the items, then closes:
        // what the close takes runs too, as the executor's shutdown runs it.
        let (mut taken, _) = run_loop(&inject, |taken| taken.len() >= PRODUCERS * PUSHES / 3);
        let mut left = VecDeque::new();
        inject.close(&mut left);
        taken.extend(left);
        let mut handed_back: Vec<usize> = producers
            .into_iter()
            .flat_map(|producer| producer.join().unwrap())
            .collect();
        // Anything pushed after the close and still queued would be lost.
        let mut stranded = VecDeque::new();
        inject.take(&mut stranded);
        assert!(
            stranded.is_empty(),
            "items accepted after the close: {stranded:?}"
        );
        assert_fifo_per_producer(&taken);
        let mut all = taken.clone();
        all.append(&mut handed_back);
        all.sort_unstable();
        let expected: Vec<usize> = (0..PRODUCERS)
            .flat_map(|producer| (0..PUSHES).map(move |k| item(producer, k)))
            .collect();
        assert_eq!(
            all, expected,
            "an item was both taken and handed back, or neither"
        );
    });
}

/// One task of the wake test: its state word, the wakes sent to it, and
/// how many times it sits in the ready queue (never more than once).
struct Task {
    state: TaskState,
    wakes: AtomicUsize,
    queued: AtomicUsize,
}

impl Task {
    /// Counts an entry in the queue; two at once is the bug of queuing a
    /// task twice.
    fn queue(&self) {
        let before = self.queued.fetch_add(1, AcqRel);
        assert_eq!(before, 0, "a task was queued twice");
    }
}

#[test]
fn many_tasks_woken_from_many_threads_run_until_done() {
    const TASKS: usize = 8;
    const WAKERS: usize = 3;
    const WAKES: usize = 10;
    check(shuttle_runs(RUNS), || {
        // Spawned: queued once, with the task list's reference and the
        // queue entry's.
        let tasks: Arc<Vec<Task>> = Arc::new(
            (0..TASKS)
                .map(|_| Task {
                    state: TaskState::new(Initial {
                        refs: 2,
                        scheduled: true,
                        join_interest: false,
                    }),
                    wakes: AtomicUsize::new(0),
                    queued: AtomicUsize::new(1),
                })
                .collect(),
        );
        let inject = Arc::new(Inject::new(FakeEventfd::new()));
        // Each waker sends WAKES wakes, spread over the tasks, to each task
        // its share: every task gets WAKES from all the wakers together.
        let wakers: Vec<_> = (0..WAKERS)
            .map(|waker| {
                let (tasks, inject) = (tasks.clone(), inject.clone());
                thread::spawn(move || {
                    for n in 0..TASKS * WAKES {
                        if n % WAKERS != waker {
                            continue;
                        }
                        let task = &tasks[n % TASKS];
                        // What the poll must see (rule 6), then the wake.
                        task.wakes.fetch_add(1, Release);
                        if task
                            .state
                            .transition_to_scheduled_by_ref(|| WakeFrom::Elsewhere)
                            == TransitionToScheduled::Submit
                        {
                            task.queue();
                            inject.push(n % TASKS).expect("the queue is open");
                        }
                    }
                })
            })
            .collect();

        // The loop: runs what is queued (the spawned tasks first), parks
        // when nothing is, until every task completed.
        let mut ready: VecDeque<usize> = (0..TASKS).collect();
        let mut done = 0;
        while done < TASKS {
            while let Some(index) = ready.pop_front() {
                let task = &tasks[index];
                let before = task.queued.fetch_sub(1, AcqRel);
                assert_eq!(before, 1, "ran a task that was not queued");
                match task.state.transition_to_running() {
                    TransitionToRunning::Poll => {}
                    TransitionToRunning::Cancel => panic!("nobody cancels"),
                    // Queued by a wake during the run that completed it.
                    TransitionToRunning::Complete => {
                        assert!(!task.state.ref_dec(), "the task list's reference was lost");
                        continue;
                    }
                }
                // The poll: ready once it has seen all its wakes.
                if task.wakes.load(Acquire) == WAKES {
                    let before = task.state.transition_to_complete();
                    assert!(!before.is_complete(), "a task completed twice");
                    // The run's reference, the queue entry's.
                    assert!(!task.state.ref_dec(), "the task list's reference was lost");
                    done += 1;
                    continue;
                }
                match task.state.transition_to_idle() {
                    TransitionToIdle::Resubmit => {
                        task.queue();
                        ready.push_back(index);
                    }
                    TransitionToIdle::Idle => {}
                    TransitionToIdle::Dealloc => panic!("the task list's reference was lost"),
                }
            }
            if done == TASKS {
                break;
            }
            let mut batch = VecDeque::new();
            inject.take(&mut batch);
            if batch.is_empty() {
                match inject.transition_to_parked() {
                    TransitionToParked::Sleep => {
                        inject.notifier().sleep();
                        inject.transition_to_awake();
                    }
                    TransitionToParked::Drain => {}
                }
            }
            ready.extend(batch);
        }
        for waker in wakers {
            waker.join().unwrap();
        }
        // What is left in the queue was queued by wakes during the runs
        // that completed their tasks: each entry finds its task complete.
        let mut left = VecDeque::new();
        inject.take(&mut left);
        for index in left {
            let task = &tasks[index];
            assert_eq!(task.queued.fetch_sub(1, AcqRel), 1);
            assert_eq!(
                task.state.transition_to_running(),
                TransitionToRunning::Complete
            );
            assert!(!task.state.ref_dec(), "the task list's reference was lost");
        }
        for task in tasks.iter() {
            let state = task.state.load();
            assert!(state.is_complete(), "{state:?}");
            assert_eq!(state.ref_count(), 1, "references leaked: {state:?}");
            assert!(
                task.state.ref_dec(),
                "the task list's reference is the last"
            );
        }
    });
}

#[test]
fn acceptors_spread_over_loops_never_pass_a_cap() {
    const LOOPS: usize = 4;
    const CAP: usize = 2;
    const ACCEPTORS: usize = 3;
    const CONNECTIONS: usize = 20;
    check(shuttle_runs(RUNS), || {
        let spread = Arc::new(Spread::new(LOOPS, CAP));
        let acceptors: Vec<_> = (0..ACCEPTORS)
            .map(|_| {
                let spread = spread.clone();
                thread::spawn(move || {
                    let (waker, woken) = LoomWaker::new();
                    let mut cx = Context::from_waker(&waker);
                    let servers: Vec<_> = (0..CONNECTIONS)
                        .map(|_| {
                            // Claim, or pause until a connection ends.
                            let claim = loop {
                                match Spread::poll_claim(&spread, &mut cx, |_| Some(0)) {
                                    Poll::Ready(claim) => break claim,
                                    Poll::Pending => woken.sleep(),
                                }
                            };
                            let count = spread.count(claim.index());
                            assert!(count <= CAP, "loop {} holds {count}", claim.index());
                            // The loop serves the connection, which ends.
                            thread::spawn(move || drop(claim))
                        })
                        .collect();
                    for server in servers {
                        server.join().unwrap();
                    }
                })
            })
            .collect();
        for acceptor in acceptors {
            acceptor.join().unwrap();
        }
        assert_eq!(spread.total(), 0, "a count did not return to zero");
    });
}
