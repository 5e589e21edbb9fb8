//! Talking between loops, timed: what a round trip from one loop of a
//! `LoopPool` to another costs, the two ways a program does it.
//!
//! - **A request**: a task on loop 0 asks loop 1 to run a future
//!   (`Handle::spawn_with`) and awaits its `ThreadFuture`. One submission
//!   to loop 1's injection queue, a task made there, and a wake back.
//! - **A stream of messages**: two `async-channel` channels, one each way,
//!   a task on each loop; loop 0 sends, loop 1 answers, loop 0 receives.
//!   The channels are `Send` and their receivers are awaited on a loop.
//!
//! Each is timed over many round trips, one at a time, after a warm-up;
//! the figure is the mean. Run it in release, on a quiet machine:
//!
//! ```text
//! cargo run --release --example cross_loop              # 100000 round trips
//! cargo run --release --example cross_loop -- 20000
//! ```
//!
//! A round trip costs what two cross-thread wakeups cost when the other
//! loop sleeps between messages (its loops watch no source, so each sleeps
//! on its thread: an unpark, and the sleeping thread's return from its
//! park), and much less when both loops stay busy. The figures go with the machine they were measured on.
//!
//! The comparison harness runs these two functions too (workload
//! `cross_loop` of `benches/compare`), next to the same round trips
//! between two tokio current-thread runtimes and between two plain
//! threads; `benches/RESULTS.md` has its figures.

use std::time::{Duration, Instant};

use tether::LoopPool;

fn main() -> std::io::Result<()> {
    let rounds: u32 = match std::env::args().nth(1) {
        None => 100_000,
        Some(arg) => arg.parse().map_err(|_| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("not a count: {arg}"),
            )
        })?,
    };
    let pool = LoopPool::builder().loops(2).build()?;
    let request = request_round_trips(&pool, rounds);
    let stream = message_round_trips(&pool, rounds);

    let per = |total: Duration| total.as_nanos() as f64 / f64::from(rounds);
    println!("cross_loop: {rounds} round trips between two loops of a LoopPool");
    println!(
        "cross_loop: spawn_with + await ThreadFuture: {:.0} ns per round trip",
        per(request)
    );
    println!(
        "cross_loop: async-channel, one message each way: {:.0} ns per round trip",
        per(stream)
    );
    pool.stop();
    Ok(())
}

/// A request: a task on loop 0 runs a future on loop 1 with `spawn_with`
/// and awaits its `ThreadFuture`, `rounds` times one after another (after
/// a tenth as many to warm up); the time they took.
pub(crate) fn request_round_trips(pool: &LoopPool, rounds: u32) -> Duration {
    let other = pool.handle(1).unwrap().clone();
    let request = pool.spawn_on(0, move || async move {
        let round = || async {
            let answer = other.spawn_with(|| async { 1u32 }).unwrap();
            answer.await.unwrap()
        };
        for _ in 0..rounds / 10 {
            round().await;
        }
        let started = Instant::now();
        let mut sum = 0;
        for _ in 0..rounds {
            sum += round().await;
        }
        assert_eq!(sum, rounds);
        started.elapsed()
    });
    request.unwrap().wait().unwrap()
}

/// A stream of messages: a channel each way and a task on each loop; loop
/// 0 sends, loop 1 answers, loop 0 receives, `rounds` times (after a tenth
/// as many to warm up); the time they took.
pub(crate) fn message_round_trips(pool: &LoopPool, rounds: u32) -> Duration {
    let (to_1, from_0) = async_channel::bounded::<u32>(1);
    let (to_0, from_1) = async_channel::bounded::<u32>(1);
    let echo = pool.spawn_on(1, move || async move {
        while let Ok(n) = from_0.recv().await {
            if to_0.send(n + 1).await.is_err() {
                break;
            }
        }
    });
    let stream = pool.spawn_on(0, move || async move {
        for n in 0..rounds / 10 {
            to_1.send(n).await.unwrap();
            from_1.recv().await.unwrap();
        }
        let started = Instant::now();
        for n in 0..rounds {
            to_1.send(n).await.unwrap();
            assert_eq!(from_1.recv().await.unwrap(), n + 1);
        }
        started.elapsed()
    });
    let stream = stream.unwrap().wait().unwrap();
    echo.unwrap().wait().unwrap();
    stream
}
