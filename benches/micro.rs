//! Micro-benchmarks of the loop's hot paths, each run on tether, tokio's
//! current-thread runtime and smol's `LocalExecutor` (async-executor +
//! async-io) in the same process, one after the other, ending with a table
//! of each runtime's median and its ratio to tether.
//!
//! ```text
//! cargo bench --bench micro
//! ```
//!
//! Which API each runtime uses where they differ is printed under the table.
//! These are single-thread measurements; the cross-thread workloads and the
//! interleaved multi-process comparison live in the comparison harness.

mod support;

// The futures the comparison harness also runs, from one source: the
// one-slot baton of `ping_pong` and `poll_once` for timers.
#[allow(dead_code, reason = "the harness's other helpers are not used here")]
#[path = "compare/src/common.rs"]
mod common;

use std::cell::Cell;
use std::hint::black_box;
use std::pin::pin;
use std::rc::Rc;
use std::time::{Duration, Instant};

use common::{Baton, player, poll_once};
use criterion::{Criterion, Throughput};

const BATCH: u64 = 1_000;

fn tokio_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap()
}

/// Runs `f` on smol's local executor, driven by async-io's `block_on`.
fn smol_run<T>(f: impl AsyncFnOnce(&'static async_executor::LocalExecutor<'static>) -> T) -> T {
    thread_local! {
        // One executor for the whole run, as a program would have; leaked
        // so that tasks may borrow it for 'static.
        static EXECUTOR: &'static async_executor::LocalExecutor<'static> =
            Box::leak(Box::new(async_executor::LocalExecutor::new()));
    }
    let ex = EXECUTOR.with(|ex| *ex);
    async_io::block_on(ex.run(f(ex)))
}

// ===== spawn + join =====

fn spawn_join(c: &mut Criterion) {
    let group_name = "spawn_join/batch_1000";
    let mut group = c.benchmark_group(group_name);
    group.throughput(Throughput::Elements(BATCH));

    let rt = tether::Runtime::new().unwrap();
    group.bench_function("tether", |b| {
        b.iter_custom(|iters| {
            let elapsed = rt.block_on(async {
                let mut tasks = Vec::with_capacity(BATCH as usize);
                let start = Instant::now();
                for _ in 0..iters {
                    tasks.extend((0..BATCH).map(|i| tether::spawn(async move { black_box(i) })));
                    for task in tasks.drain(..) {
                        task.await.unwrap();
                    }
                }
                start.elapsed()
            });
            support::record(group_name, "tether", iters, elapsed)
        })
    });

    let rt = tokio_runtime();
    group.bench_function("tokio", |b| {
        b.iter_custom(|iters| {
            let elapsed = rt.block_on(async {
                let mut tasks = Vec::with_capacity(BATCH as usize);
                let start = Instant::now();
                for _ in 0..iters {
                    tasks.extend((0..BATCH).map(|i| tokio::spawn(async move { black_box(i) })));
                    for task in tasks.drain(..) {
                        task.await.unwrap();
                    }
                }
                start.elapsed()
            });
            support::record(group_name, "tokio", iters, elapsed)
        })
    });

    group.bench_function("smol", |b| {
        b.iter_custom(|iters| {
            let elapsed = smol_run(async |ex| {
                let mut tasks = Vec::with_capacity(BATCH as usize);
                let start = Instant::now();
                for _ in 0..iters {
                    tasks.extend((0..BATCH).map(|i| ex.spawn(async move { black_box(i) })));
                    for task in tasks.drain(..) {
                        task.await;
                    }
                }
                start.elapsed()
            });
            support::record(group_name, "smol", iters, elapsed)
        })
    });
    group.finish();
}

// ===== wakes =====

fn wake(c: &mut Criterion) {
    let group_name = "wake/yield_now";
    let mut group = c.benchmark_group(group_name);
    let rt = tether::Runtime::new().unwrap();
    group.bench_function("tether", |b| {
        b.iter_custom(|iters| {
            let elapsed = rt.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    tether::yield_now().await;
                }
                start.elapsed()
            });
            support::record(group_name, "tether", iters, elapsed)
        })
    });
    let rt = tokio_runtime();
    group.bench_function("tokio", |b| {
        b.iter_custom(|iters| {
            let elapsed = rt.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    tokio::task::yield_now().await;
                }
                start.elapsed()
            });
            support::record(group_name, "tokio", iters, elapsed)
        })
    });
    group.bench_function("smol", |b| {
        b.iter_custom(|iters| {
            let elapsed = smol_run(async |ex| {
                // Inside a spawned task, as the others run their yields in
                // the task that `block_on` drives.
                ex.spawn(async move {
                    let start = Instant::now();
                    for _ in 0..iters {
                        futures_lite::future::yield_now().await;
                    }
                    start.elapsed()
                })
                .await
            });
            support::record(group_name, "smol", iters, elapsed)
        })
    });
    group.finish();

    let group_name = "wake/ping_pong";
    let mut group = c.benchmark_group(group_name);
    // Debug mode too, for what timing every run costs (`Builder::debug`).
    for (entry, debug) in [("tether", false), ("tether_debug", true)] {
        let rt = tether::Runtime::builder().debug(debug).build().unwrap();
        group.bench_function(entry, |b| {
            b.iter_custom(|iters| {
                let elapsed = rt.block_on(async {
                    let baton = Rc::new(Baton::default());
                    let start = Instant::now();
                    let a = tether::spawn(player(baton.clone(), 0, iters as usize));
                    let b = tether::spawn(player(baton, 1, iters as usize));
                    a.await.unwrap();
                    b.await.unwrap();
                    start.elapsed()
                });
                support::record(group_name, entry, iters, elapsed)
            })
        });
    }
    let rt = tokio_runtime();
    group.bench_function("tokio", |b| {
        b.iter_custom(|iters| {
            let local = tokio::task::LocalSet::new();
            let elapsed = local.block_on(&rt, async {
                let baton = Rc::new(Baton::default());
                let start = Instant::now();
                let a = tokio::task::spawn_local(player(baton.clone(), 0, iters as usize));
                let b = tokio::task::spawn_local(player(baton, 1, iters as usize));
                a.await.unwrap();
                b.await.unwrap();
                start.elapsed()
            });
            support::record(group_name, "tokio", iters, elapsed)
        })
    });
    group.bench_function("smol", |b| {
        b.iter_custom(|iters| {
            let elapsed = smol_run(async |ex| {
                let baton = Rc::new(Baton::default());
                let start = Instant::now();
                let a = ex.spawn(player(baton.clone(), 0, iters as usize));
                let b = ex.spawn(player(baton, 1, iters as usize));
                a.await;
                b.await;
                start.elapsed()
            });
            support::record(group_name, "smol", iters, elapsed)
        })
    });
    group.finish();
}

// ===== call_soon =====

fn call_soon(c: &mut Criterion) {
    let group_name = "call_soon/batch_1000";
    let mut group = c.benchmark_group(group_name);
    group.throughput(Throughput::Elements(BATCH));
    thread_local!(static COUNT: Cell<u64> = const { Cell::new(0) });
    let bump = || COUNT.with(|n| n.set(n.get() + 1));

    let rt = tether::Runtime::new().unwrap();
    group.bench_function("tether", |b| {
        b.iter_custom(|iters| {
            let elapsed = rt.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    for _ in 0..BATCH {
                        let _ = tether::call_soon(bump);
                    }
                    tether::yield_now().await;
                }
                start.elapsed()
            });
            support::record(group_name, "tether", iters, elapsed)
        })
    });
    let rt = tokio_runtime();
    group.bench_function("tokio", |b| {
        b.iter_custom(|iters| {
            let elapsed = rt.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    for _ in 0..BATCH {
                        drop(tokio::spawn(async move { bump() }));
                    }
                    tokio::task::yield_now().await;
                }
                start.elapsed()
            });
            support::record(group_name, "tokio", iters, elapsed)
        })
    });
    group.bench_function("smol", |b| {
        b.iter_custom(|iters| {
            let elapsed = smol_run(async |ex| {
                let start = Instant::now();
                for _ in 0..iters {
                    for _ in 0..BATCH {
                        ex.spawn(async move { bump() }).detach();
                    }
                    futures_lite::future::yield_now().await;
                }
                start.elapsed()
            });
            support::record(group_name, "smol", iters, elapsed)
        })
    });
    group.finish();
}

// ===== timers =====

fn timer_insert_cancel(c: &mut Criterion) {
    let group_name = "timer/insert_cancel";
    let mut group = c.benchmark_group(group_name);
    let far = Duration::from_secs(10);

    let rt = tether::Runtime::new().unwrap();
    group.bench_function("tether", |b| {
        b.iter_custom(|iters| {
            let elapsed = rt.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    // Polled once, so it is armed; dropped, so it is disarmed.
                    poll_once(pin!(tether::time::sleep(far))).await;
                }
                start.elapsed()
            });
            support::record(group_name, "tether", iters, elapsed)
        })
    });
    let rt = tokio_runtime();
    group.bench_function("tokio", |b| {
        b.iter_custom(|iters| {
            let elapsed = rt.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    poll_once(pin!(tokio::time::sleep(far))).await;
                }
                start.elapsed()
            });
            support::record(group_name, "tokio", iters, elapsed)
        })
    });
    group.bench_function("smol", |b| {
        b.iter_custom(|iters| {
            let elapsed = smol_run(async |_| {
                let start = Instant::now();
                for _ in 0..iters {
                    poll_once(pin!(async_io::Timer::after(far))).await;
                }
                start.elapsed()
            });
            support::record(group_name, "smol", iters, elapsed)
        })
    });
    group.finish();
}

fn main() {
    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    spawn_join(&mut criterion);
    wake(&mut criterion);
    call_soon(&mut criterion);
    timer_insert_cancel(&mut criterion);
    criterion.final_summary();
    support::print_ratios(
        "tether",
        &[
            (
                "call_soon",
                "tokio has none: tokio::spawn of a closure-calling task; smol: LocalExecutor::spawn(..).detach()",
            ),
            (
                "wake/ping_pong",
                "tokio needs a LocalSet for !Send tasks (spawn_local); smol: LocalExecutor; tether_debug: tether in debug mode, which reads the clock around every run",
            ),
            (
                "timer/insert_cancel",
                "a 10 s sleep polled once (armed) then dropped (disarmed), on every runtime",
            ),
        ],
    );
}
