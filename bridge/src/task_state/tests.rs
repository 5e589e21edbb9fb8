//! Unit tests of the task state word: single-threaded walks through the
//! transitions (the races are `loom-tests/tests/task_state.rs`'s).

use super::*;

fn spawned() -> TaskState {
    // As `spawn` makes it: queued, joined, three references (the
    // JoinHandle, the task list, the queue entry).
    TaskState::new(Initial {
        refs: 3,
        scheduled: true,
        join_interest: true,
    })
}

#[test]
fn wake_of_a_queued_task_does_nothing() {
    let state = spawned();
    for from in [WakeFrom::Loop, WakeFrom::Elsewhere] {
        assert_eq!(
            state.transition_to_scheduled_by_ref(|| from),
            TransitionToScheduled::DoNothing
        );
    }
    assert_eq!(state.load().ref_count(), 3);
}

#[test]
fn wake_during_a_run_resubmits_exactly_once() {
    let state = spawned();
    assert_eq!(state.transition_to_running(), TransitionToRunning::Poll);
    for _ in 0..3 {
        assert_eq!(
            state.transition_to_scheduled_by_ref(|| WakeFrom::Loop),
            TransitionToScheduled::DoNothing
        );
    }
    assert_eq!(state.transition_to_idle(), TransitionToIdle::Resubmit);
    assert!(state.load().is_scheduled());
    // The run's reference went back to the queue: still three.
    assert_eq!(state.load().ref_count(), 3);
}

#[test]
fn wake_of_an_idle_task_submits_with_a_new_reference() {
    let state = spawned();
    let _ = state.transition_to_running();
    assert_eq!(state.transition_to_idle(), TransitionToIdle::Idle);
    assert_eq!(state.load().ref_count(), 2);
    assert_eq!(
        state.transition_to_scheduled_by_ref(|| WakeFrom::Elsewhere),
        TransitionToScheduled::Submit
    );
    assert_eq!(state.load().ref_count(), 3);
    assert_eq!(
        state.transition_to_scheduled_by_ref(|| WakeFrom::Elsewhere),
        TransitionToScheduled::DoNothing
    );
}

#[test]
fn wake_by_val_of_a_complete_task_releases_and_may_free() {
    let state = TaskState::new(Initial {
        refs: 2,
        scheduled: true,
        join_interest: false,
    });
    let _ = state.transition_to_running();
    let _ = state.transition_to_complete();
    assert!(!state.ref_dec()); // the run's reference
    assert_eq!(
        state.transition_to_scheduled_by_val(|| WakeFrom::Elsewhere),
        TransitionToScheduledByVal::Dealloc
    );
}

#[test]
fn wakes_from_another_thread_queue_a_running_task_once() {
    let state = spawned();
    assert_eq!(state.transition_to_running(), TransitionToRunning::Poll);
    // The run wakes itself first: that alone would be queued at its end.
    assert_eq!(
        state.transition_to_scheduled_by_ref(|| WakeFrom::Loop),
        TransitionToScheduled::DoNothing
    );
    // Another thread's wake queues it now, with a reference of its own...
    assert_eq!(
        state.transition_to_scheduled_by_ref(|| WakeFrom::Elsewhere),
        TransitionToScheduled::Submit
    );
    assert_eq!(state.load().ref_count(), 4);
    // ...and every later wake, from anywhere, finds it queued.
    assert_eq!(
        state.transition_to_scheduled_by_ref(|| WakeFrom::Elsewhere),
        TransitionToScheduled::DoNothing
    );
    assert_eq!(
        state.transition_to_scheduled_by_val(|| WakeFrom::Elsewhere),
        TransitionToScheduledByVal::DoNothing
    );
    assert_eq!(state.load().ref_count(), 3);
    // The end of the run leaves it queued and releases the run's reference.
    assert_eq!(state.transition_to_idle(), TransitionToIdle::Idle);
    let s = state.load();
    assert!(s.is_scheduled() && !s.is_running());
    assert_eq!(s.ref_count(), 2);
    // Its entry runs it, and a wake during that run queues it again.
    assert_eq!(state.transition_to_running(), TransitionToRunning::Poll);
    assert_eq!(
        state.transition_to_scheduled_by_val(|| WakeFrom::Elsewhere),
        TransitionToScheduledByVal::Submit
    );
    assert_eq!(state.load().ref_count(), 2);
}

#[test]
fn an_entry_queued_during_the_completing_run_finds_the_task_complete() {
    let state = spawned();
    let _ = state.transition_to_running();
    assert_eq!(
        state.transition_to_scheduled_by_ref(|| WakeFrom::Elsewhere),
        TransitionToScheduled::Submit
    );
    let _ = state.transition_to_complete();
    assert!(!state.ref_dec()); // the run's reference
    // The loop takes the entry: nothing to run, and the word is unchanged.
    let before = state.load();
    assert_eq!(state.transition_to_running(), TransitionToRunning::Complete);
    assert_eq!(state.load(), before);
    assert_eq!(before.ref_count(), 3); // the entry's, which the loop drops
}

#[test]
fn cancel_of_a_running_task_requests_a_next_run() {
    let state = spawned();
    let _ = state.transition_to_running();
    assert_eq!(
        state.transition_to_cancelled(|| WakeFrom::Loop),
        TransitionToCancelled::Requested
    );
    assert_eq!(state.transition_to_idle(), TransitionToIdle::Resubmit);
    assert_eq!(state.transition_to_running(), TransitionToRunning::Cancel);
    let _ = state.transition_to_complete();
    assert_eq!(
        state.transition_to_cancelled(|| WakeFrom::Elsewhere),
        TransitionToCancelled::TooLate
    );
}

#[test]
fn a_cancel_from_another_thread_queues_a_running_task_in_its_place() {
    let state = spawned();
    let _ = state.transition_to_running();
    assert_eq!(
        state.transition_to_cancelled(|| WakeFrom::Elsewhere),
        TransitionToCancelled::Submit
    );
    assert_eq!(state.load().ref_count(), 4); // the entry's
    // A wake after it finds the task queued.
    assert_eq!(
        state.transition_to_scheduled_by_ref(|| WakeFrom::Elsewhere),
        TransitionToScheduled::DoNothing
    );
    assert_eq!(state.transition_to_idle(), TransitionToIdle::Idle);
    assert_eq!(state.transition_to_running(), TransitionToRunning::Cancel);
}

#[test]
fn a_task_claimed_at_shutdown_is_not_queued_again_by_a_wake() {
    // Queued: its entry is still in the ready queue when shutdown claims it.
    let state = spawned();
    assert!(state.transition_to_running_for_shutdown());
    for from in [WakeFrom::Loop, WakeFrom::Elsewhere] {
        assert_eq!(
            state.transition_to_scheduled_by_ref(|| from),
            TransitionToScheduled::DoNothing
        );
    }
    assert_eq!(state.load().ref_count(), 3);
}

#[test]
fn shutdown_claims_a_queued_task_but_not_a_complete_one() {
    let state = spawned();
    assert!(state.transition_to_running_for_shutdown());
    let _ = state.transition_to_complete();
    assert!(state.load().is_complete());
    assert!(!state.transition_to_running_for_shutdown());
}
