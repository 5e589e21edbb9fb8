//! The thread-crossing scenarios of docs/design.md, each run from its
//! example and checked.

#![allow(
    dead_code,
    unreachable_pub,
    reason = "the examples are included as modules: their main is not called, their pub items are for it"
)]

#[path = "../examples/remote_submit.rs"]
mod remote_submit;

#[path = "../examples/two_loops.rs"]
mod two_loops;

#[path = "../examples/event_thread.rs"]
mod event_thread;

#[path = "../examples/image_worker.rs"]
mod image_worker;

#[path = "../examples/blocking_jobs.rs"]
mod blocking_jobs;

#[path = "../examples/misuse.rs"]
mod misuse;

#[test]
fn scenario_1_a_timed_out_future_is_cancelled_on_the_loop() {
    assert_eq!(
        remote_submit::run_scenario(),
        [
            "main: the quick job answered 42 in time",
            "loop: the slow job starts",
            "main: no answer within 50 ms; cancelling",
            "loop: the slow job is cancelled, on thread background-loop",
            "main: the job reports it was cancelled",
            "main: the loop thread stopped and was joined",
        ]
    );
}

#[test]
fn scenario_2_loop_a_awaits_loop_b_while_its_own_task_runs() {
    let outcome = two_loops::run_scenario();
    assert_eq!(outcome.answer, "B's answer");
    // B works for 30 ms; A's ticker (every 2 ms) must have run meanwhile:
    // had A's loop blocked on B, it would not have ticked at all.
    assert!(outcome.ticks_while_waiting >= 1, "{outcome:?}");
    assert_eq!(
        &outcome.log[..3],
        ["A: asks B for work", "B: working", "B: done"]
    );
}

#[test]
fn scenario_3_the_event_thread_starts_serves_stops_and_joins() {
    assert_eq!(
        event_thread::run_scenario(),
        [
            "main: started the event thread",
            "loop: a callback runs on Some(\"event-thread\")",
            "main: the task returned 55",
            "loop: the stop callback runs on Some(\"event-thread\")",
            "main: stopped and joined; the handle says closed: true",
        ]
    );
}

#[test]
fn scenario_4_the_image_worker_serves_the_loop_without_blocking_it() {
    let outcome = image_worker::run_scenario();
    assert_eq!(outcome.results.len(), 4);
    for (id, result) in outcome.results.iter().enumerate() {
        let expected: u64 = (0..=255u8)
            .cycle()
            .take(1000 * (id + 1))
            .map(u64::from)
            .sum();
        assert_eq!(result.id as usize, id);
        assert_eq!(result.checksum, expected);
        assert_eq!(result.worker, "image-worker");
    }
    // Each job blocks the worker for 100 ms; had the loop waited for one
    // (to submit, to get a result or to join), the ticker would have
    // stalled that long. Half of it leaves room for a busy machine.
    assert!(
        outcome.longest_stall < image_worker::WORK / 2,
        "the loop stalled for {:?}",
        outcome.longest_stall
    );
}

#[test]
fn scenario_5_each_blocking_job_gives_its_result_and_the_panicking_one_is_reported() {
    let outcomes = blocking_jobs::run_scenario();
    assert_eq!(outcomes.len(), blocking_jobs::JOBS as usize);
    for (n, outcome) in outcomes.into_iter().enumerate() {
        let n = n as u64;
        match outcome {
            Ok(primes) => assert_eq!(primes, blocking_jobs::primes_below(10_000 * (n + 1))),
            Err(err) => {
                assert_eq!(n, blocking_jobs::FAILING);
                assert_eq!(err.panic_message(), Some("job 7 hit a corrupt input"));
            }
        }
    }
}

#[test]
fn scenario_6_each_misuse_is_refused_with_its_message() {
    let report = misuse::run_scenario();
    let expect = [
        (
            "block_on inside a running loop",
            "already running on this thread",
        ),
        (
            "spawn on a thread with no loop",
            "called on a thread with no running tether loop",
        ),
        (
            "waiting on a ThreadFuture from its own loop thread",
            ".await the ThreadFuture instead",
        ),
        (
            "submitting to a closed loop",
            "the loop is closed; the closure came back unrun",
        ),
    ];
    assert_eq!(report.len(), expect.len());
    for ((misuse, answer), (expected_misuse, expected_words)) in report.iter().zip(expect) {
        assert_eq!(*misuse, expected_misuse);
        assert!(answer.contains(expected_words), "{misuse}: {answer}");
    }
}
