//! Model: the task state word (`bridge/src/task_state.rs`).
//!
//! A task is reduced to what the word guards: its place in the ready queue
//! (a counter of entries, enough for one task), its output (a cell only
//! the loop may touch, rule 4), and its allocation (freed by whoever drops
//! the last reference, rule 5). The loop thread runs it as the executor
//! does; other threads wake it, cancel it, and drop their references.
//!
//! What the four models prove, over every interleaving within the bound:
//! - exactly-once scheduling: the task is never in the queue twice (every
//!   `Submit` finds the queue without it);
//! - no lost wake: a wake from another thread is followed by a poll that
//!   sees what the waker wrote before waking (rule 6), so a wake during a
//!   run makes the task run again and a future that waits for a wake
//!   completes;
//! - order: a task woken from another thread runs before what that thread
//!   submits after the wake, even when the wake finds the task running (a
//!   wake by the run itself is queued when the run ends instead; rule 3);
//! - the output is delivered exactly once: stored by the run that
//!   completes, taken by the `JoinHandle`; a cancel that reports "too late"
//!   leaves the output intact, and a cancelled output comes only from a
//!   cancel that reported success;
//! - the allocation is freed exactly once, by whichever thread drops the
//!   last reference, and that free happens after every use of the task on
//!   every other thread (loom reports a data race on the output cell
//!   otherwise);
//! - the reference count balances: the free happens, so no reference
//!   leaks (the first model also checks the count itself before the last
//!   release).
//!
//! Seeded bugs it catches (`loom-tests/README.md` has the table):
//! `task_late_clear`, `task_submit_while_running`, `task_wake_no_publish`,
//! `task_ref_dec_no_fence`, `task_cancel_load_store`,
//! `task_remote_wake_marks_running`.
//!
//! Bound: the models of a remote wake racing completion and of a cancel,
//! each with one remote thread, are explored whole: every interleaving of
//! its steps with the loop's runs, completion and releases. The first
//! model, with two wakers and a run that wakes its own task, runs with at
//! most four preemptions, enough for each waker to be preempted inside its
//! compare-exchange loop at two different points of the loop thread's run. The order model, whose loop
//! takes the injection queue's batches as the real loop does (the real
//! `Inject`, with its lock and wakeup), runs with at most four preemptions
//! too (explored whole, it takes minutes): enough for the remote thread to
//! be preempted between its wake and its next submission, and inside its
//! compare-exchange, at any point of the loop's first run.

use std::collections::VecDeque;
use std::task::Poll;

use tether_bridge::Notify;
use tether_bridge::sync::Ordering::{AcqRel, Acquire, Relaxed};
use tether_bridge::sync::{AtomicBool, AtomicUsize, UnsafeCell};
use tether_bridge::{
    Initial, Inject, TaskState, TransitionToCancelled, TransitionToIdle, TransitionToParked,
    TransitionToRunning, TransitionToScheduled, WakeFrom,
};
use tether_loom_tests::sync::Arc;
use tether_loom_tests::{Bound, FakeEventfd, model, thread};

/// What a task's run leaves in its output cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Finished(u32),
    Cancelled,
}

/// A task reduced to what the state word guards.
struct ModelTask {
    state: TaskState,
    /// Entries of this task in the ready queue: 0 or 1, or the model fails.
    /// AcqRel and Acquire, because the real queues' push and pop
    /// synchronize: the loop that takes the entry sees what the submitter
    /// did before it pushed.
    queued: AtomicUsize,
    /// Written by the loop when a submit from another thread queues the
    /// task, as the injection queue's wakeup would be.
    queue_wakeup: FakeEventfd,
    /// Whether the entry in the queue is the one a cancel put there: the
    /// run that takes it must not poll the future.
    cancel_entry: AtomicBool,
    /// Wakes issued so far. Relaxed on purpose: what a waker did before it
    /// woke the task must reach the poll through the state word (rule 6),
    /// not through this counter.
    wakes: AtomicUsize,
    /// The output: written by the run that completes, taken by the
    /// `JoinHandle`, both on the loop thread (rule 4); the free touches it
    /// too, on whichever thread frees.
    output: UnsafeCell<Option<Outcome>>,
    /// How many times the allocation was freed.
    frees: AtomicUsize,
}

// SAFETY: the output cell is shared by the rules this model checks: the
// loop thread alone touches it while the task lives (rule 4), and the
// thread that drops the last reference frees it (rule 5). Under loom,
// every access is checked against those rules.
unsafe impl Sync for ModelTask {}

impl ModelTask {
    fn new(initial: Initial) -> Arc<Self> {
        Arc::new(Self {
            queued: AtomicUsize::new(initial.scheduled as usize),
            state: TaskState::new(initial),
            queue_wakeup: FakeEventfd::new(),
            cancel_entry: AtomicBool::new(false),
            wakes: AtomicUsize::new(0),
            output: UnsafeCell::new(None),
            frees: AtomicUsize::new(0),
        })
    }

    /// `Waker::wake_by_ref`, from the loop or from another thread: record
    /// the wake, then queue the task if the word says so.
    fn wake_by_ref(&self, from: WakeFrom) {
        self.wakes.fetch_add(1, Relaxed);
        match self.state.transition_to_scheduled_by_ref(|| from) {
            TransitionToScheduled::Submit => self.submit(),
            TransitionToScheduled::DoNothing => {}
        }
    }

    /// `cancel` as `ThreadFuture::cancel` does it, from another thread.
    fn cancel(&self) -> TransitionToCancelled {
        let action = self.state.transition_to_cancelled(|| WakeFrom::Elsewhere);
        if action == TransitionToCancelled::Submit {
            // Marked before it is queued: the loop cannot take the entry
            // sooner, and no other entry can be in the queue (rule 2).
            self.cancel_entry.store(true, Relaxed);
            self.submit();
        }
        action
    }

    /// Puts the task in the ready queue, with the reference the transition
    /// took for the entry, and wakes the loop.
    fn submit(&self) {
        self.enqueue();
        self.queue_wakeup.notify();
    }

    /// Adds the task's entry to the ready queue, which must not hold one.
    fn enqueue(&self) {
        let before = self.queued.fetch_add(1, AcqRel);
        assert_eq!(before, 0, "the task was queued twice");
    }

    /// The loop waits until the task is queued.
    fn wait_until_queued(&self) {
        while self.queued.load(Acquire) == 0 {
            self.queue_wakeup.sleep();
        }
    }

    /// One run by the loop, as `TaskRef::run` does it: take the entry,
    /// then poll (or drop a cancelled future), then go idle or complete.
    /// Returns true if the end of the run queued the task again.
    fn run(&self, poll: impl FnOnce(&Self) -> Poll<u32>) -> bool {
        let before = self.queued.fetch_sub(1, AcqRel);
        assert_eq!(before, 1, "ran a task that was not queued");
        let cancel_entry = self.cancel_entry.swap(false, Relaxed);
        match self.state.transition_to_running() {
            TransitionToRunning::Poll if cancel_entry => {
                panic!("the run a cancel queued polled the future")
            }
            TransitionToRunning::Poll => match poll(self) {
                Poll::Ready(value) => self.complete(Outcome::Finished(value)),
                Poll::Pending => match self.state.transition_to_idle() {
                    // The loop requeues it itself: no wakeup needed.
                    TransitionToIdle::Resubmit => {
                        self.enqueue();
                        return true;
                    }
                    TransitionToIdle::Idle => {}
                    TransitionToIdle::Dealloc => panic!("the task list's reference was lost"),
                },
            },
            TransitionToRunning::Cancel => self.complete(Outcome::Cancelled),
            // Queued by a remote wake during the run that completed it.
            TransitionToRunning::Complete => self.release(),
        }
        false
    }

    /// The run ended for good: store the output, then release the run's
    /// reference.
    fn complete(&self, outcome: Outcome) {
        self.output.with_mut(|output| {
            // SAFETY: rule 4: only the loop thread, inside a run, writes the
            // output; loom checks that no other thread touches it meanwhile.
            let output = unsafe { &mut *output };
            assert_eq!(*output, None, "a second output");
            *output = Some(outcome);
        });
        let before = self.state.transition_to_complete();
        assert!(!before.is_complete(), "completed twice");
        self.release();
    }

    /// The `JoinHandle` takes the output and is dropped, on the loop thread.
    fn join(&self) -> Outcome {
        let outcome = self.output.with_mut(|output| {
            // SAFETY: rule 4: the task is complete and the loop thread is the
            // only one that touches the output between runs.
            unsafe { &mut *output }.take()
        });
        let before = self.state.unset_join_interest();
        assert!(before.is_complete(), "joined an unfinished task");
        self.release();
        outcome.expect("the output was not there, or taken twice")
    }

    /// Drops one reference; the last one frees the task.
    fn release(&self) {
        if self.state.ref_dec() {
            self.free();
        }
    }

    /// Frees the allocation: here, marks it freed and writes the output
    /// cell, as deallocation writes the memory. A free that is not ordered
    /// after the loop's last use of the output is a data race loom reports.
    fn free(&self) {
        self.output.with_mut(|output| {
            // SAFETY: rule 5: the last reference is gone, so no other thread
            // can reach the task; loom checks the ordering.
            unsafe { *output = None };
        });
        let before = self.frees.fetch_add(1, Relaxed);
        assert_eq!(before, 0, "the task was freed twice");
    }
}

#[test]
fn wakes_racing_a_run_schedule_the_task_exactly_once() {
    model(Bound::Preemptions(4), || {
        // Queued by spawn; references: the task list, the queue entry.
        let task = ModelTask::new(Initial {
            refs: 2,
            scheduled: true,
            join_interest: false,
        });
        let wakers: Vec<_> = (0..2)
            .map(|_| {
                let task = task.clone();
                thread::spawn(move || task.wake_by_ref(WakeFrom::Elsewhere))
            })
            .collect();

        // Each poll records how many wakes it saw, and stays pending; the
        // first also wakes its own task, as a future that yields does.
        let mut seen = 0;
        let mut runs = 0;
        let mut poll = |task: &ModelTask| {
            runs += 1;
            if runs == 1 {
                task.wake_by_ref(WakeFrom::Loop);
            }
            seen = task.wakes.load(Relaxed);
            Poll::Pending
        };
        task.run(&mut poll);
        for waker in wakers {
            waker.join().unwrap();
        }
        while task.queued.load(Acquire) == 1 {
            task.run(&mut poll);
        }

        assert_eq!(seen, 3, "a wake was lost: the last run saw {seen} of 3");
        let state = task.state.load();
        assert!(!state.is_scheduled() && !state.is_running(), "{state:?}");
        assert_eq!(state.ref_count(), 1, "references leaked: {state:?}");
        // The task list lets go of it.
        task.release();
        assert_eq!(task.frees.load(Relaxed), 1, "the task leaked");
    });
}

#[test]
fn a_remote_wake_racing_completion_and_the_join_frees_the_task_once() {
    model(Bound::Exhaustive, || {
        // Queued by spawn; references: the task list, the queue entry, the
        // `JoinHandle`, and a waker another thread holds.
        let task = ModelTask::new(Initial {
            refs: 4,
            scheduled: true,
            join_interest: true,
        });
        let waker = {
            let task = task.clone();
            thread::spawn(move || {
                task.wake_by_ref(WakeFrom::Elsewhere);
                // The waker is dropped: perhaps the last reference.
                task.release();
            })
        };

        // The future completes once it sees the wake, like one waiting for
        // a message the waking thread sent.
        let poll = |task: &ModelTask| match task.wakes.load(Relaxed) {
            0 => Poll::Pending,
            _ => Poll::Ready(42),
        };
        while !task.state.load().is_complete() {
            // A lost wake leaves the loop asleep here: loom says deadlock.
            task.wait_until_queued();
            task.run(poll);
        }
        assert_eq!(task.join(), Outcome::Finished(42));
        // The task list lets go of the completed task.
        task.release();
        waker.join().unwrap();
        // An entry that the wake queued during the run that completed the
        // task: the loop takes it, finds the task complete, and drops it.
        while task.queued.load(Acquire) == 1 {
            task.run(poll);
        }

        assert_eq!(task.queued.load(Acquire), 0, "an entry outlived the task");
        assert_eq!(task.frees.load(Relaxed), 1, "the task leaked");
    });
}

/// What the loop's queues hold in the order model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Item {
    /// The task's queue entry.
    Task,
    /// A callback another thread submitted.
    Callback,
}

#[test]
fn a_task_woken_from_another_thread_runs_before_what_that_thread_submits_next() {
    model(Bound::Preemptions(4), || {
        // Queued by spawn; references: the task list, the queue entry, and
        // the waker another thread holds.
        let task = ModelTask::new(Initial {
            refs: 3,
            scheduled: true,
            join_interest: false,
        });
        // The loop's injection queue: the real one.
        let inject = Arc::new(Inject::new(FakeEventfd::new()));
        let remote = {
            let (task, inject) = (task.clone(), inject.clone());
            thread::spawn(move || {
                task.wakes.fetch_add(1, Relaxed);
                let woken = task
                    .state
                    .transition_to_scheduled_by_ref(|| WakeFrom::Elsewhere);
                if woken == TransitionToScheduled::Submit {
                    task.enqueue();
                    inject.push(Item::Task).expect("the queue is open");
                }
                // Submitted after the wake: the design's order promise puts
                // it after the task's next run.
                inject.push(Item::Callback).expect("the queue is open");
                task.release();
            })
        };

        // The loop, as `Core::run_once` does it: its ready queue first;
        // when that is empty, what waits in the injection queue, or sleep.
        // A task the end of its run queues goes through `Core::schedule`,
        // which first takes what waits in the injection queue.
        let take = |ready: &mut VecDeque<Item>| {
            let mut batch = VecDeque::new();
            inject.take(&mut batch);
            let took = !batch.is_empty();
            ready.extend(batch);
            took
        };
        let mut ready = VecDeque::from([Item::Task]);
        // The wakes the latest poll saw; the future completes once it sees
        // the wake, like one waiting for a message the waker sent.
        let mut seen = 0;
        let mut called = false;
        while !called {
            match ready.pop_front() {
                Some(Item::Task) => {
                    let requeued = task.run(|task| {
                        seen = task.wakes.load(Relaxed);
                        if seen == 1 {
                            Poll::Ready(1)
                        } else {
                            Poll::Pending
                        }
                    });
                    if requeued {
                        take(&mut ready);
                        ready.push_back(Item::Task);
                    }
                }
                Some(Item::Callback) => {
                    assert_eq!(seen, 1, "the callback ran before the woken task");
                    called = true;
                }
                None => {
                    if !take(&mut ready) {
                        match inject.transition_to_parked() {
                            TransitionToParked::Sleep => {
                                inject.notifier().sleep();
                                inject.transition_to_awake();
                            }
                            TransitionToParked::Drain => {}
                        }
                    }
                }
            }
        }
        remote.join().unwrap();

        assert!(
            ready.is_empty() && !take(&mut ready),
            "an entry outlived the task"
        );
        assert!(task.state.load().is_complete());
        assert_eq!(task.queued.load(Acquire), 0, "an entry outlived the task");
        // The task list lets go of the completed task.
        task.release();
        assert_eq!(task.frees.load(Relaxed), 1, "the task leaked");
    });
}

#[test]
fn a_cancel_racing_the_runs_decides_the_output_once() {
    model(Bound::Exhaustive, || {
        // Queued by spawn; references: the task list, the queue entry, the
        // `JoinHandle`, and the `ThreadFuture` of the cancelling thread.
        let task = ModelTask::new(Initial {
            refs: 4,
            scheduled: true,
            join_interest: true,
        });
        let canceller = {
            let task = task.clone();
            thread::spawn(move || {
                let action = task.cancel();
                task.release();
                action
            })
        };

        // The first poll waits for an event, which the loop itself then
        // delivers (a wake on the loop thread); the second poll finishes.
        // The cancel may land before, between or during either run, or
        // after the end.
        task.run(|_| Poll::Pending);
        if !task.state.load().is_complete() {
            task.wake_by_ref(WakeFrom::Loop);
        }
        while !task.state.load().is_complete() {
            task.wait_until_queued();
            task.run(|_| Poll::Ready(7));
        }
        let outcome = task.join();
        task.release();
        let action = canceller.join().unwrap();
        // An entry the cancel queued during the run that completed the
        // task: the loop takes it, finds the task complete, and drops it.
        while task.queued.load(Acquire) == 1 {
            task.run(|_| Poll::Ready(7));
        }

        match (action, outcome) {
            // Too late: the output stands.
            (TransitionToCancelled::TooLate, Outcome::Finished(7)) => {}
            // Cancelled while idle between the runs: the cancel queued it,
            // and its run dropped the future.
            (TransitionToCancelled::Submit, Outcome::Cancelled) => {}
            // Cancelled while a run went on (rule 3: queued at once), and
            // that run completed: it keeps its output (the run the cancel
            // queued is checked never to poll).
            (TransitionToCancelled::Submit, Outcome::Finished(7)) => {}
            // Requested while queued or running; a run that completes
            // keeps its output.
            (TransitionToCancelled::Requested, Outcome::Cancelled | Outcome::Finished(7)) => {}
            other => panic!("cancel and output disagree: {other:?}"),
        }
        assert_eq!(task.queued.load(Acquire), 0, "an entry outlived the task");
        assert_eq!(task.frees.load(Relaxed), 1, "the task leaked");
    });
}
