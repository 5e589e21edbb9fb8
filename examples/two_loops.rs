//! Thread-crossing scenario 2 of docs/design.md: two loops. A task on loop A
//! hands work to loop B and awaits the result, while another task of A keeps
//! running.
//!
//! asyncio: the "worker loop" pattern, `await asyncio.wrap_future(
//! run_coroutine_threadsafe(coro, other_loop))`.
//!
//! ```text
//! cargo run --release --example two_loops
//! ```

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tether::LoopThread;

/// An ordered log of what happened, shared by the threads.
type Log = Arc<Mutex<Vec<String>>>;

fn say(log: &Log, line: impl Into<String>) {
    log.lock().unwrap().push(line.into());
}

/// What the scenario found.
#[derive(Debug)]
pub struct Outcome {
    /// The log, in order.
    pub log: Vec<String>,
    /// B's answer, as A received it.
    pub answer: String,
    /// How many times A's ticker ran while A waited for B.
    pub ticks_while_waiting: u32,
}

/// Runs the scenario.
pub fn run_scenario() -> Outcome {
    let log: Log = Log::default();
    let loop_a = LoopThread::builder()
        .name("loop-a")
        .spawn()
        .expect("loop A");
    let loop_b = LoopThread::builder()
        .name("loop-b")
        .spawn()
        .expect("loop B");
    let b = loop_b.handle().clone();
    let a_log = log.clone();
    let (answer, ticks_while_waiting) = loop_a
        .handle()
        .spawn_with(move || async move {
            let ticks = std::rc::Rc::new(std::cell::Cell::new(0u32));
            // A's own work, which must not stop while A waits for B.
            let ticker = {
                let ticks = ticks.clone();
                tether::spawn(async move {
                    loop {
                        tether::time::sleep(Duration::from_millis(2)).await;
                        ticks.set(ticks.get() + 1);
                    }
                })
            };
            say(&a_log, "A: asks B for work");
            let b_log = a_log.clone();
            let work = b
                .spawn_with(move || async move {
                    say(&b_log, "B: working");
                    tether::time::sleep(Duration::from_millis(30)).await;
                    say(&b_log, "B: done");
                    "B's answer".to_owned()
                })
                .expect("loop B is open");
            let before = ticks.get();
            let answer = work.await.expect("B's work");
            let ticked = ticks.get() - before;
            say(
                &a_log,
                format!("A: got {answer:?}, having ticked {ticked} times meanwhile"),
            );
            ticker.cancel();
            (answer, ticked)
        })
        .expect("loop A is open")
        .wait()
        .expect("A's task");
    loop_a.stop();
    loop_b.stop();
    let log = log.lock().unwrap().clone();
    Outcome {
        log,
        answer,
        ticks_while_waiting,
    }
}

fn main() {
    let outcome = run_scenario();
    for line in &outcome.log {
        println!("{line}");
    }
}
