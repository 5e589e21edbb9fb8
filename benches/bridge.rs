//! The thread bridge, measured: how fast other threads reach the loop.
//!
//! ```text
//! cargo bench --bench bridge            # 5 interleaved rounds
//! cargo bench --bench bridge -- 3       # rounds
//! ```
//!
//! - `remote_callback`: one thread submits 1,000,000 trivial callbacks back
//!   to back; ns per callback, from the first submission to the last run.
//!   tether: `Handle::call_soon`. tokio has no `call_soon`: its closest is
//!   `Handle::spawn` of a task that calls the closure (each spawn writes
//!   its driver's wakeup). smol: `Executor::spawn(..).detach()` on an
//!   executor that one thread runs.
//! - `roundtrip`: another thread submits a tiny future and blocks for its
//!   result, 2,000 times in a row; mean, p50 and p99. tether:
//!   `Handle::spawn` + `ThreadFuture::wait`; tokio and smol: spawn a task
//!   that answers on a std channel. `threads` is the same round trip
//!   between two plain std threads over std channels: the machine's own
//!   cost of waking a thread, measured in the same round, because it
//!   drifts within seconds here (BENCHMARKING.md).
//! - `spawn_blocking`: from a task, 5,000 sequential `spawn_blocking` jobs
//!   awaited one by one; µs per job. tokio: `spawn_blocking`.

use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

const CALLBACKS: usize = 1_000_000;
const ROUNDTRIPS: usize = 2_000;
const BLOCKING_JOBS: usize = 5_000;

// ===== remote_callback =====

fn tether_remote_callback() -> f64 {
    let worker = tether::LoopThread::new().unwrap();
    let handle = worker.handle().clone();
    let (done_tx, done_rx) = mpsc::channel();
    let start = Instant::now();
    let submitter = thread::spawn(move || {
        for i in 0..CALLBACKS {
            let done = (i == CALLBACKS - 1).then(|| done_tx.clone());
            handle
                .call_soon(move || {
                    if let Some(done) = done {
                        done.send(()).unwrap();
                    }
                })
                .unwrap();
        }
    });
    done_rx.recv().unwrap();
    let elapsed = start.elapsed();
    submitter.join().unwrap();
    worker.stop();
    elapsed.as_nanos() as f64 / CALLBACKS as f64
}

fn tokio_remote_callback() -> f64 {
    let (handle_tx, handle_rx) = mpsc::channel();
    let (stop_tx, stop_rx) = tokio_stop();
    let runtime = thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        handle_tx.send(rt.handle().clone()).unwrap();
        rt.block_on(stop_rx);
    });
    let handle = handle_rx.recv().unwrap();
    let (done_tx, done_rx) = mpsc::channel();
    let start = Instant::now();
    let submitter = thread::spawn(move || {
        for i in 0..CALLBACKS {
            let done = (i == CALLBACKS - 1).then(|| done_tx.clone());
            drop(handle.spawn(async move {
                if let Some(done) = done {
                    done.send(()).unwrap();
                }
            }));
        }
    });
    done_rx.recv().unwrap();
    let elapsed = start.elapsed();
    submitter.join().unwrap();
    stop_tx();
    runtime.join().unwrap();
    elapsed.as_nanos() as f64 / CALLBACKS as f64
}

fn smol_remote_callback() -> f64 {
    let ex = std::sync::Arc::new(async_executor::Executor::new());
    let (stop, stopped) = async_channel_lite();
    let runner = {
        let ex = ex.clone();
        thread::spawn(move || async_io::block_on(ex.run(stopped)))
    };
    let (done_tx, done_rx) = mpsc::channel();
    let start = Instant::now();
    let submitter = {
        let ex = ex.clone();
        thread::spawn(move || {
            for i in 0..CALLBACKS {
                let done = (i == CALLBACKS - 1).then(|| done_tx.clone());
                ex.spawn(async move {
                    if let Some(done) = done {
                        done.send(()).unwrap();
                    }
                })
                .detach();
            }
        })
    };
    done_rx.recv().unwrap();
    let elapsed = start.elapsed();
    submitter.join().unwrap();
    stop();
    runner.join().unwrap();
    elapsed.as_nanos() as f64 / CALLBACKS as f64
}

// ===== roundtrip =====

/// Per-trip times in µs: (mean, p50, p99).
fn stats(mut micros: Vec<f64>) -> (f64, f64, f64) {
    micros.sort_by(f64::total_cmp);
    let mean = micros.iter().sum::<f64>() / micros.len() as f64;
    let at = |q: f64| micros[((micros.len() - 1) as f64 * q) as usize];
    (mean, at(0.5), at(0.99))
}

fn time_trips(mut trip: impl FnMut(usize)) -> (f64, f64, f64) {
    let times = (0..ROUNDTRIPS)
        .map(|i| {
            let start = Instant::now();
            trip(i);
            start.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    stats(times)
}

fn tether_roundtrip() -> (f64, f64, f64) {
    let worker = tether::LoopThread::new().unwrap();
    let handle = worker.handle().clone();
    let stats = thread::spawn(move || {
        time_trips(|i| assert_eq!(handle.spawn(async move { i }).unwrap().wait().unwrap(), i))
    })
    .join()
    .unwrap();
    worker.stop();
    stats
}

fn tokio_roundtrip() -> (f64, f64, f64) {
    let (handle_tx, handle_rx) = mpsc::channel();
    let (stop_tx, stop_rx) = tokio_stop();
    let runtime = thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        handle_tx.send(rt.handle().clone()).unwrap();
        rt.block_on(stop_rx);
    });
    let handle = handle_rx.recv().unwrap();
    let stats = thread::spawn(move || {
        time_trips(|i| {
            let (tx, rx) = mpsc::channel();
            drop(handle.spawn(async move { tx.send(i).unwrap() }));
            assert_eq!(rx.recv().unwrap(), i);
        })
    })
    .join()
    .unwrap();
    stop_tx();
    runtime.join().unwrap();
    stats
}

fn smol_roundtrip() -> (f64, f64, f64) {
    let ex = std::sync::Arc::new(async_executor::Executor::new());
    let (stop, stopped) = async_channel_lite();
    let runner = {
        let ex = ex.clone();
        thread::spawn(move || async_io::block_on(ex.run(stopped)))
    };
    let stats = {
        let ex = ex.clone();
        thread::spawn(move || {
            time_trips(|i| {
                let (tx, rx) = mpsc::channel();
                ex.spawn(async move { tx.send(i).unwrap() }).detach();
                assert_eq!(rx.recv().unwrap(), i);
            })
        })
        .join()
        .unwrap()
    };
    stop();
    runner.join().unwrap();
    stats
}

fn threads_roundtrip() -> (f64, f64, f64) {
    let (job_tx, job_rx) = mpsc::channel::<(usize, mpsc::Sender<usize>)>();
    let server = thread::spawn(move || {
        for (i, reply) in job_rx {
            reply.send(i).unwrap();
        }
    });
    let stats = time_trips(|i| {
        let (tx, rx) = mpsc::channel();
        job_tx.send((i, tx)).unwrap();
        assert_eq!(rx.recv().unwrap(), i);
    });
    drop(job_tx);
    server.join().unwrap();
    stats
}

// ===== spawn_blocking =====

fn tether_spawn_blocking() -> f64 {
    tether::run(async {
        let start = Instant::now();
        for i in 0..BLOCKING_JOBS {
            assert_eq!(tether::spawn_blocking(move || i).await.unwrap(), i);
        }
        start.elapsed().as_secs_f64() * 1e6 / BLOCKING_JOBS as f64
    })
}

fn tokio_spawn_blocking() -> f64 {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async {
        let start = Instant::now();
        for i in 0..BLOCKING_JOBS {
            assert_eq!(tokio::task::spawn_blocking(move || i).await.unwrap(), i);
        }
        start.elapsed().as_secs_f64() * 1e6 / BLOCKING_JOBS as f64
    })
}

// ===== helpers =====

/// A stop signal for a tokio runtime thread: the runtime blocks on the
/// future, the closure ends it.
fn tokio_stop() -> (impl FnOnce(), impl std::future::Future<Output = ()>) {
    let (tx, rx) = mpsc::channel::<()>();
    let rx = std::sync::Mutex::new(rx);
    let stopped = std::future::poll_fn(move |cx| {
        if rx.lock().unwrap().try_recv().is_ok() {
            return std::task::Poll::Ready(());
        }
        // Checked again every millisecond: only the end of a run waits on it.
        let waker = cx.waker().clone();
        thread::spawn(move || {
            thread::sleep(Duration::from_millis(1));
            waker.wake();
        });
        std::task::Poll::Pending
    });
    (move || tx.send(()).unwrap(), stopped)
}

/// The same, for smol's executor.
fn async_channel_lite() -> (impl FnOnce(), impl std::future::Future<Output = ()>) {
    tokio_stop()
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let rounds: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(5)
        .max(1);
    println!("bridge: {rounds} interleaved rounds\n");

    let mut callback = [vec![], vec![], vec![]];
    let mut trips: [Vec<(f64, f64, f64)>; 4] = Default::default();
    let mut blocking = [vec![], vec![]];
    for _ in 0..rounds {
        callback[0].push(tether_remote_callback());
        callback[1].push(tokio_remote_callback());
        callback[2].push(smol_remote_callback());
        trips[0].push(tether_roundtrip());
        trips[1].push(tokio_roundtrip());
        trips[2].push(smol_roundtrip());
        trips[3].push(threads_roundtrip());
        blocking[0].push(tether_spawn_blocking());
        blocking[1].push(tokio_spawn_blocking());
    }

    println!("remote_callback ({CALLBACKS} from one other thread), ns per callback:");
    let names = ["tether", "tokio", "smol"];
    let tether = median(&mut callback[0].clone());
    for (name, values) in names.iter().zip(&mut callback) {
        let m = median(values);
        println!("  {name:<8} {m:>8.0}   (tether {:.2}x as fast)", m / tether);
    }

    println!(
        "\nroundtrip ({ROUNDTRIPS} sequential submit-and-wait), µs: median over rounds of mean / p50 / p99"
    );
    let names = ["tether", "tokio", "smol", "threads"];
    for (name, values) in names.iter().zip(&trips) {
        let mut mean: Vec<f64> = values.iter().map(|v| v.0).collect();
        let mut p50: Vec<f64> = values.iter().map(|v| v.1).collect();
        let mut p99: Vec<f64> = values.iter().map(|v| v.2).collect();
        println!(
            "  {name:<8} {:>8.1} / {:>8.1} / {:>8.1}",
            median(&mut mean),
            median(&mut p50),
            median(&mut p99)
        );
    }

    println!("\nspawn_blocking ({BLOCKING_JOBS} sequential jobs), µs per job:");
    let tether = median(&mut blocking[0].clone());
    for (name, values) in ["tether", "tokio"].iter().zip(&mut blocking) {
        let m = median(values);
        println!("  {name:<8} {m:>8.1}   (tether {:.2}x as fast)", m / tether);
    }
}
