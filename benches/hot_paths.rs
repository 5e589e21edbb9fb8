//! The loop's hot paths, one at a time, for counting instructions: the way
//! to compare two versions of tether that wall-clock time on a noisy
//! machine cannot settle. Unlike `micro`, it runs tether alone; it answers
//! "did this change make a hot path slower?", not "how does tether compare?".
//!
//! ```text
//! cargo bench --bench hot_paths                  # every path, wall-clock ns per op
//! cargo bench --bench hot_paths -- hop 1000000   # one path, n ops
//!
//! # Instructions per op: build, then run the binary cargo names under
//! # callgrind, counting only inside `measure` (deterministic for a given
//! # binary), and divide by n.
//! cargo bench --bench hot_paths --no-run
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!     --toggle-collect='*hot_paths::measure*' target/release/deps/hot_paths-<hash> hop 200000
//! ```
//!
//! The paths:
//!
//! - `hop`: two tasks hand a token back and forth (`micro`'s `ping_pong`):
//!   one wake and one run per op;
//! - `spawn`: a task spawned and awaited, in batches of 1000;
//! - `remote_call`: `Handle::call_soon` through the injection queue, then
//!   the loop's take and run of it; submitted from the loop's own thread
//!   while the loop is not running, so that no other thread's timing
//!   changes how many items each take gets;
//! - `timer`: a sleep polled once (its timer armed) and dropped (disarmed);
//! - `call_at`: a timed callback whose deadline has passed, scheduled (its
//!   task made, its timer armed), fired in the next timer step and run, in
//!   batches of 1000;
//! - `call_later_cancelled`: a timed callback scheduled and cancelled
//!   before it is due (its task run once, to drop its future and disarm
//!   the timer), in batches of 1000.

#[allow(dead_code, reason = "the harness's other helpers are not used here")]
#[path = "compare/src/common.rs"]
mod common;

use std::hint::black_box;
use std::pin::pin;
use std::rc::Rc;
use std::time::{Duration, Instant};

use common::{Baton, player, poll_once};

/// A hot path, run `n` times.
type Path = fn(u64);

/// Every path, by name.
const PATHS: [(&str, Path); 6] = [
    ("hop", hop),
    ("spawn", spawn),
    ("remote_call", remote_call),
    ("timer", timer),
    ("call_at", call_at),
    ("call_later_cancelled", call_later_cancelled),
];

fn hop(n: u64) {
    tether::run(async {
        let baton = Rc::new(Baton::default());
        let a = tether::spawn(player(baton.clone(), 0, n as usize));
        let b = tether::spawn(player(baton, 1, n as usize));
        a.await.unwrap();
        b.await.unwrap();
    });
}

fn spawn(n: u64) {
    tether::run(async {
        for _ in 0..n / 1000 {
            let batch: Vec<_> = (0..1000).map(|i| tether::spawn(async move { i })).collect();
            for task in batch {
                black_box(task.await.unwrap());
            }
        }
    });
}

fn remote_call(n: u64) {
    let rt = tether::Runtime::new().unwrap();
    let handle = rt.handle();
    for _ in 0..n {
        handle.call_soon(|| ()).unwrap();
    }
    handle.stop();
    rt.run_forever();
}

fn timer(n: u64) {
    tether::run(async {
        for _ in 0..n {
            let sleep = pin!(tether::time::sleep(Duration::from_secs(10)));
            poll_once(sleep).await;
        }
    });
}

fn call_at(n: u64) {
    tether::run(async {
        let due = Instant::now();
        for _ in 0..n / 1000 {
            let batch: Vec<_> = (0..1000).map(|_| tether::call_at(due, || ())).collect();
            // Fired in the next timer step, run in the run step after it.
            while !batch.iter().all(tether::CallbackHandle::is_finished) {
                tether::yield_now().await;
            }
        }
    });
}

fn call_later_cancelled(n: u64) {
    tether::run(async {
        for _ in 0..n / 1000 {
            let batch: Vec<_> = (0..1000)
                .map(|_| tether::call_later(Duration::from_secs(10), || ()))
                .collect();
            for callback in &batch {
                assert!(callback.cancel());
            }
            // The cancelled tasks run (and finish) before this one resumes.
            tether::yield_now().await;
        }
    });
}

/// Runs `path` `n` times; what callgrind's `--toggle-collect` counts.
#[inline(never)]
fn measure(path: Path, n: u64) {
    path(n);
}

fn main() {
    // `cargo bench` passes `--bench`; the rest is a path and a count.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let only = args.first().map(String::as_str);
    let n: u64 = match args.get(1) {
        Some(n) => n.parse().expect("the count is a whole number"),
        None => 1_000_000,
    };
    if let Some(name) = only {
        assert!(
            PATHS.iter().any(|(path, _)| *path == name),
            "unknown path {name}; the paths are hop, spawn, remote_call, timer, call_at and call_later_cancelled"
        );
    }
    for (name, path) in PATHS {
        if only.is_some_and(|only| only != name) {
            continue;
        }
        let start = Instant::now();
        measure(path, n);
        let per_op = start.elapsed().as_nanos() as f64 / n as f64;
        println!("{name:<12} {per_op:>8.1} ns per op ({n} ops)");
    }
}
