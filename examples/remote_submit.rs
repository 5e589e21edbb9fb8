//! Thread-crossing scenario 1 of docs/design.md: a loop on a background thread;
//! the main thread submits futures and waits for their results with a timeout;
//! the one that times out is cancelled, and the cancellation reaches the loop.
//!
//! asyncio: the `run_coroutine_threadsafe` example of its documentation,
//! with `future.result(timeout)` and `future.cancel()`.
//!
//! ```text
//! cargo run --release --example remote_submit
//! ```

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tether::{JoinError, LoopThread};

/// An ordered log of what happened, shared by both threads.
type Log = Arc<Mutex<Vec<String>>>;

fn say(log: &Log, line: impl Into<String>) {
    log.lock().unwrap().push(line.into());
}

/// Records where its future was dropped: it belongs to the slow job.
struct Cleanup(Log);

impl Drop for Cleanup {
    fn drop(&mut self) {
        let thread = std::thread::current();
        say(
            &self.0,
            format!(
                "loop: the slow job is cancelled, on thread {}",
                thread.name().unwrap_or("?")
            ),
        );
    }
}

/// Runs the scenario; returns its log, in the order things happened.
pub fn run_scenario() -> Vec<String> {
    let log: Log = Log::default();
    let worker = LoopThread::builder()
        .name("background-loop")
        .spawn()
        .expect("a loop thread");

    // A quick job answers within its timeout.
    let quick = worker
        .handle()
        .spawn_with(|| async {
            tether::time::sleep(Duration::from_millis(10)).await;
            42
        })
        .expect("the loop is open");
    match quick.wait_timeout(Duration::from_secs(5)) {
        Ok(Ok(answer)) => say(
            &log,
            format!("main: the quick job answered {answer} in time"),
        ),
        other => say(&log, format!("main: the quick job failed: {other:?}")),
    }

    // A slow job does not; the main thread gives up, and cancels it.
    let job_log = log.clone();
    let slow = worker
        .handle()
        .spawn_with(move || async move {
            let _cleanup = Cleanup(job_log.clone());
            say(&job_log, "loop: the slow job starts");
            tether::time::sleep(Duration::from_secs(3600)).await;
            say(&job_log, "loop: the slow job finished (it should not have)");
        })
        .expect("the loop is open");
    let start = Instant::now();
    match slow.wait_timeout(Duration::from_millis(50)) {
        Ok(outcome) => say(&log, format!("main: the slow job ended early: {outcome:?}")),
        Err(slow) => {
            debug_assert!(start.elapsed() >= Duration::from_millis(50));
            say(&log, "main: no answer within 50 ms; cancelling");
            slow.cancel();
            match slow.wait() {
                Err(JoinError::Cancelled) => say(&log, "main: the job reports it was cancelled"),
                other => say(&log, format!("main: the job reports {other:?}")),
            }
        }
    }

    worker.stop();
    say(&log, "main: the loop thread stopped and was joined");
    log.lock().unwrap().clone()
}

fn main() {
    for line in run_scenario() {
        println!("{line}");
    }
}
