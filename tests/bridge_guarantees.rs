//! What the bridge promises across threads: nothing lost or duplicated,
//! nobody left waiting at shutdown, wakeups coalesced.

use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use tether::{Closed, JoinError, LoopThread};

/// `threads` threads each submit `per_thread` callbacks while the loop is
/// stopped under them; every submission must have run exactly once or come
/// back in `Closed`, never both, never neither. A submitter pauses for a
/// microsecond every `pace` submissions, to make room for the race. Returns
/// whether the shutdown did land mid-stream (some ran, some came back).
fn submissions_racing_shutdown(threads: usize, per_thread: usize, pace: usize) -> bool {
    let worker = LoopThread::new().unwrap();
    // ran[t][i]: how many times callback i of thread t ran.
    let ran = Arc::new(Mutex::new(vec![vec![0u8; per_thread]; threads]));
    let submitters: Vec<_> = (0..threads)
        .map(|t| {
            let (handle, ran) = (worker.handle().clone(), ran.clone());
            thread::spawn(move || {
                (0..per_thread)
                    .map(|i| {
                        if i % pace == 0 {
                            thread::sleep(Duration::from_micros(1));
                        }
                        let ran = ran.clone();
                        let submitted = handle.call_soon(move || ran.lock().unwrap()[t][i] += 1);
                        matches!(submitted, Err(Closed(_)))
                    })
                    .collect::<Vec<bool>>()
            })
        })
        .collect();
    // Let some get through, then shut the loop down under the rest.
    while worker.handle().metrics().runs < 1_000 {
        thread::yield_now();
    }
    worker.stop();
    let closed: Vec<Vec<bool>> = submitters.into_iter().map(|s| s.join().unwrap()).collect();
    let ran = ran.lock().unwrap();
    let (mut ran_count, mut closed_count) = (0, 0);
    for t in 0..threads {
        for i in 0..per_thread {
            let (r, c) = (ran[t][i], closed[t][i]);
            assert!(
                (r == 1 && !c) || (r == 0 && c),
                "submission {i} of thread {t}: ran {r} times, handed back: {c}"
            );
            ran_count += r as usize;
            closed_count += c as usize;
        }
    }
    assert_eq!(ran_count + closed_count, threads * per_thread);
    println!("pace {pace}: {ran_count} ran, {closed_count} handed back");
    ran_count > 0 && closed_count > 0
}

/// Runs the race until the shutdown lands mid-stream, slowing the
/// submitters down each time; every attempt checks the guarantee.
fn race_until_it_overlaps(threads: usize, per_thread: usize) {
    for pace in [1000, 100, 10, 1, 1] {
        if submissions_racing_shutdown(threads, per_thread, pace) {
            return;
        }
    }
    panic!("the shutdown never landed in the middle of the submissions");
}

#[test]
fn four_threads_of_100_000_submissions_racing_shutdown_lose_nothing() {
    race_until_it_overlaps(4, 100_000);
}

#[test]
#[ignore = "larger: cargo test --release --test bridge_guarantees -- --ignored"]
fn eight_threads_of_1_000_000_submissions_racing_shutdown_lose_nothing() {
    race_until_it_overlaps(8, 1_000_000);
}

#[test]
fn waiting_threads_are_released_as_cancelled_at_shutdown() {
    let worker = LoopThread::new().unwrap();
    let waiters: Vec<_> = (0..3)
        .map(|_| {
            let task = worker.spawn(std::future::pending::<()>()).unwrap();
            thread::spawn(move || task.wait())
        })
        .collect();
    thread::sleep(Duration::from_millis(10));
    worker.stop();
    for waiter in waiters {
        assert!(matches!(waiter.join().unwrap(), Err(JoinError::Cancelled)));
    }
}

#[test]
fn wakeups_coalesce_under_a_stream_of_submissions() {
    const SUBMISSIONS: usize = 1_000_000;
    let worker = LoopThread::new().unwrap();
    let handle = worker.handle().clone();
    let before = handle.metrics();
    let submitter = thread::spawn(move || {
        for _ in 0..SUBMISSIONS {
            handle.call_soon(|| {}).unwrap();
        }
        handle
    });
    let handle = submitter.join().unwrap();
    // Let the loop drain them all.
    while handle.metrics().runs - before.runs < SUBMISSIONS as u64 {
        thread::sleep(Duration::from_millis(1));
    }
    let after = handle.metrics();
    let writes = after.wakeup_writes - before.wakeup_writes;
    let parks = after.parks - before.parks;
    println!(
        "{SUBMISSIONS} submissions, {writes} wakeup writes ({:.5} per submission), {parks} parks",
        writes as f64 / SUBMISSIONS as f64
    );
    // The loop may already be asleep when `before` is read, in a park
    // counted before it: the first submission's write ends that sleep.
    assert!(
        writes <= parks + 1,
        "{writes} writes for {parks} sleeps (and one perhaps under way at the start): \
         more than one per sleep"
    );
    assert!(
        writes * 10 < SUBMISSIONS as u64,
        "{writes} writes for {SUBMISSIONS} submissions"
    );
    worker.stop();
}

#[test]
fn the_callbacks_a_shutdown_runs_are_counted_as_runs() {
    let rt = tether::Runtime::new().unwrap();
    let handle = rt.handle().clone();
    // Submitted before the shutdown, run by it: the loop never ran.
    handle.call_soon(|| ()).unwrap();
    drop(rt);
    let metrics = handle.metrics();
    assert_eq!((metrics.submissions, metrics.runs), (1, 1));
}
