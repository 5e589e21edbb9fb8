//! Model: the task state word (`bridge/src/task_state.rs`).
//!
//! A task sits in the loop's ready queue, as `spawn` leaves it. The loop
//! thread runs it once (poll, then `transition_to_idle`) while two other
//! threads wake it, then runs whatever the wakes queued, until the queue is
//! empty. The "queue" is a counter of entries, enough for one task.
//!
//! What it proves, over every interleaving within the bound:
//! - exactly-once scheduling: the task is never in the queue twice (every
//!   `Submit` finds the queue without it);
//! - no lost wake: the last run starts after the last wake, so a wake that
//!   lands during a run makes the task run again (the poll records the
//!   number of wakes it has seen; at the end it must have seen them all);
//! - the reference count returns to what the loop's task list holds.
//!
//! Seeded bugs it catches (`loom-tests/README.md`): clearing `SCHEDULED`
//! after the poll instead of when the run starts loses a wake that lands
//! during the poll (the final count is short); letting a wake submit a task
//! that is running queues it while it runs, and then twice.
//!
//! Bound: `LOOM_MAX_PREEMPTIONS=2`, so each waker can be preempted inside
//! its compare-exchange loop while the loop thread is mid-run.

use tether_bridge::sync::AtomicUsize;
use tether_bridge::sync::Ordering::{AcqRel, Acquire, Release};
use tether_bridge::{
    Initial, TaskState, TransitionToIdle, TransitionToRunning, TransitionToScheduled,
};
use tether_loom_tests::sync::Arc;
use tether_loom_tests::{model, thread};

/// A task reduced to what the state word guards.
struct ModelTask {
    state: TaskState,
    /// Entries of this task in the ready queue: 0 or 1, or the model fails.
    queued: AtomicUsize,
    /// Wakes issued so far; each waker bumps it before it wakes.
    wakes: AtomicUsize,
}

impl ModelTask {
    /// A woken task queues itself, as a waker on the loop thread would.
    fn wake_by_ref(&self) {
        self.wakes.fetch_add(1, Release);
        match self.state.transition_to_scheduled_by_ref() {
            TransitionToScheduled::Submit => self.submit(),
            TransitionToScheduled::DoNothing => {}
        }
    }

    fn submit(&self) {
        let before = self.queued.fetch_add(1, AcqRel);
        assert_eq!(before, 0, "the task was queued twice");
    }

    /// One run by the loop: take the entry, poll (which reads how many
    /// wakes happened), and go idle. Returns the wakes the poll saw.
    fn run(&self) -> usize {
        let before = self.queued.fetch_sub(1, AcqRel);
        assert_eq!(before, 1, "ran a task that was not queued");
        assert_eq!(
            self.state.transition_to_running(),
            TransitionToRunning::Poll
        );
        let seen = self.wakes.load(Acquire);
        match self.state.transition_to_idle() {
            TransitionToIdle::Resubmit => self.submit(),
            TransitionToIdle::Idle => {}
            TransitionToIdle::Dealloc => panic!("the task list's reference was lost"),
        }
        seen
    }
}

#[test]
fn wakes_racing_a_run_schedule_the_task_exactly_once() {
    model(|| {
        let task = Arc::new(ModelTask {
            // Queued by spawn; references: the task list, the queue entry.
            state: TaskState::new(Initial {
                refs: 2,
                scheduled: true,
                join_interest: false,
            }),
            queued: AtomicUsize::new(1),
            wakes: AtomicUsize::new(0),
        });
        let wakers: Vec<_> = (0..2)
            .map(|_| {
                let task = task.clone();
                thread::spawn(move || task.wake_by_ref())
            })
            .collect();

        let mut seen = task.run();
        for waker in wakers {
            waker.join().unwrap();
        }
        while task.queued.load(Acquire) == 1 {
            seen = task.run();
        }

        assert_eq!(seen, 2, "a wake was lost: the last run saw {seen} of 2");
        let state = task.state.load();
        assert!(!state.is_scheduled() && !state.is_running(), "{state:?}");
        assert_eq!(state.ref_count(), 1, "references leaked: {state:?}");
    });
}
