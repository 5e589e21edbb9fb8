//! Thread-crossing scenario 3 of docs/design.md: the event thread. Start a loop
//! on its own thread, get its handle, submit work, register a callback for when
//! the loop stops, stop it gracefully, join it.
//!
//! asyncio: the `EventThread` pattern, a `threading.Thread` that runs
//! `loop.run_forever()` and is stopped with `call_soon_threadsafe(loop.stop)`.
//!
//! ```text
//! cargo run --release --example event_thread
//! ```

use std::sync::{Arc, Mutex};
use std::thread;

use tether::LoopThread;

/// An ordered log of what happened, shared by the threads.
type Log = Arc<Mutex<Vec<String>>>;

fn say(log: &Log, line: impl Into<String>) {
    log.lock().unwrap().push(line.into());
}

/// Runs the scenario; returns its log.
pub fn run_scenario() -> Vec<String> {
    let log: Log = Log::default();
    let events = LoopThread::builder()
        .name("event-thread")
        .spawn()
        .expect("a loop thread");
    say(&log, "main: started the event thread");
    let handle = events.handle().clone();

    // Submit: a callback, and a task whose result comes back.
    let callback_log = log.clone();
    handle
        .call_soon(move || {
            let name = thread::current().name().map(str::to_owned);
            say(&callback_log, format!("loop: a callback runs on {name:?}"));
        })
        .expect("the loop is open");
    let sum = handle
        .spawn(async { (1..=10).sum::<u32>() })
        .expect("the loop is open");
    say(
        &log,
        format!("main: the task returned {}", sum.wait().expect("the task")),
    );

    // When the loop stops, before the runtime shuts down.
    let stop_log = log.clone();
    events.on_stop(move || {
        let name = thread::current().name().map(str::to_owned);
        say(
            &stop_log,
            format!("loop: the stop callback runs on {name:?}"),
        );
    });

    events.stop();
    say(
        &log,
        format!(
            "main: stopped and joined; the handle says closed: {}",
            handle.is_closed()
        ),
    );
    log.lock().unwrap().clone()
}

fn main() {
    for line in run_scenario() {
        println!("{line}");
    }
}
