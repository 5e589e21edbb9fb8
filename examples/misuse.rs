//! Thread-crossing scenario 6 of docs/design.md: misuse is refused loudly.
//! Each mistake below could hang or misbehave in silence if nothing checked
//! for it; tether refuses it, with a message that says what to do instead,
//! or hands the work back.
//!
//! ```text
//! cargo run --release --example misuse
//! ```

use std::panic::{self, AssertUnwindSafe};

use tether::{Closed, Runtime};

/// Runs `attempt`, which must panic, and returns its message. The default
/// panic hook is silenced meanwhile, so that the scenario prints only its
/// own report.
fn refusal(attempt: impl FnOnce()) -> String {
    let hook = panic::take_hook();
    panic::set_hook(Box::new(|_| {}));
    let outcome = panic::catch_unwind(AssertUnwindSafe(attempt));
    panic::set_hook(hook);
    match outcome {
        Ok(()) => "NOT REFUSED".to_owned(),
        Err(payload) => payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_default(),
    }
}

/// Runs the scenario; returns each misuse and what tether said.
pub fn run_scenario() -> Vec<(&'static str, String)> {
    let mut report = Vec::new();

    report.push((
        "block_on inside a running loop",
        refusal(|| {
            tether::run(async {
                Runtime::new().unwrap().block_on(async {});
            })
        }),
    ));

    report.push((
        "spawn on a thread with no loop",
        refusal(|| drop(tether::spawn(async {}))),
    ));

    report.push((
        "waiting on a ThreadFuture from its own loop thread",
        refusal(|| {
            let rt = Runtime::new().unwrap();
            let task = rt.handle().spawn(async {}).unwrap();
            let _ = task.wait();
        }),
    ));

    let rt = Runtime::new().unwrap();
    let handle = rt.handle();
    drop(rt);
    let answer = match handle.call_soon(|| println!("late")) {
        Ok(()) => "NOT REFUSED".to_owned(),
        Err(closed @ Closed(_)) => format!("{closed}; the closure came back unrun"),
    };
    report.push(("submitting to a closed loop", answer));
    report
}

fn main() {
    for (misuse, answer) in run_scenario() {
        println!("{misuse}:\n    {answer}");
    }
}
