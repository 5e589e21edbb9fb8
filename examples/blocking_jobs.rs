//! Thread-crossing scenario 5 of docs/design.md: blocking work from the loop.
//! Many CPU-bound jobs go to the blocking pool through `spawn_blocking` and are
//! awaited together; one of them panics, and that is reported, not lost.
//!
//! asyncio: `await asyncio.gather(*(loop.run_in_executor(None, f, n) for n
//! in ...), return_exceptions=True)`.
//!
//! ```text
//! cargo run --release --example blocking_jobs
//! ```
//!
//! The failing job's panic message, and a backtrace if `RUST_BACKTRACE` is
//! set, appear on stderr: Rust's panic hook prints them when the job
//! panics, before `spawn_blocking` catches the panic. The program says so
//! first, so that the message does not read as a crash.

use tether::JoinError;

/// How many jobs run.
pub const JOBS: u64 = 16;
/// The job that panics.
pub const FAILING: u64 = 7;

/// The CPU-bound work: how many primes are below `limit`.
pub fn primes_below(limit: u64) -> u64 {
    let mut sieve = vec![true; limit as usize];
    let mut count = 0;
    for n in 2..limit as usize {
        if sieve[n] {
            count += 1;
            for multiple in (n * n..limit as usize).step_by(n) {
                sieve[multiple] = false;
            }
        }
    }
    count
}

/// Runs the scenario; returns each job's outcome, in submission order.
pub fn run_scenario() -> Vec<Result<u64, JoinError>> {
    tether::run(async {
        let jobs: Vec<_> = (0..JOBS)
            .map(|n| {
                tether::spawn_blocking(move || {
                    if n == FAILING {
                        panic!("job {n} hit a corrupt input");
                    }
                    primes_below(10_000 * (n + 1))
                })
            })
            .collect();
        // Awaited together: each in turn, while the pool runs them, up to
        // its thread limit at once.
        let mut outcomes = Vec::new();
        for job in jobs {
            outcomes.push(job.await);
        }
        outcomes
    })
}

fn main() {
    println!("{JOBS} jobs; job {FAILING} panics on purpose.");
    println!(
        "Its panic message below (and a backtrace, if RUST_BACKTRACE is set) is expected: \
         the panic is caught and becomes job {FAILING}'s result."
    );
    let outcomes = run_scenario();
    for (n, outcome) in outcomes.iter().enumerate() {
        match outcome {
            Ok(primes) => println!("job {n:2}: {primes} primes below {}", 10_000 * (n + 1)),
            Err(err) => println!("job {n:2}: {err} (on purpose)"),
        }
    }
    let panicked = outcomes.iter().filter(|outcome| outcome.is_err()).count();
    println!(
        "{} jobs gave a result and {panicked} panicked, as planned; the loop went on",
        outcomes.len() - panicked
    );
}
