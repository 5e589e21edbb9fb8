//! Child processes on the loop (`tether::process`, the `process`
//! feature): reaping, exit codes, signals, pipes, orphans, and what a child
//! inherits, on the backend the loop's probe picks (pidfds, on the Linux
//! tether is tested on).
//!
//! The cases live in `support/process_cases.rs`, which
//! `tests/process_sigchld.rs` runs again on the `SIGCHLD` fallback.

#[path = "support/process_cases.rs"]
mod cases;
mod support;

/// Runs each case here, in this process.
fn here(_name: &str, case: fn()) {
    case();
}

cases::every_case!(here);
