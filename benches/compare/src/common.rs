//! What every contender's workloads share: the same futures, the same
//! random delays, the same memory readings, so that only the runtime
//! differs between two rows.

use std::cell::{Cell, RefCell};
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::{Arc, Mutex, mpsc};
use std::task::{Poll, Waker};
use std::thread;
use std::time::{Duration, Instant};

/// A one-slot channel between two local tasks: whoever holds the token
/// passes it on and waits for it to come back. The same code runs on every
/// runtime, so `ping_pong` measures the runtime's wake and switch only.
#[derive(Default)]
pub(crate) struct Baton {
    /// Whose turn it is (0 or 1).
    turn: Cell<u8>,
    /// The waker of the task waiting for its turn.
    waiter: RefCell<Option<Waker>>,
}

impl Baton {
    /// Waits for `me`'s turn, then passes the token to the other task.
    pub(crate) async fn pass(&self, me: u8) {
        poll_fn(|cx| {
            if self.turn.get() == me {
                Poll::Ready(())
            } else {
                *self.waiter.borrow_mut() = Some(cx.waker().clone());
                Poll::Pending
            }
        })
        .await;
        self.turn.set(1 - me);
        if let Some(waker) = self.waiter.borrow_mut().take() {
            waker.wake();
        }
    }
}

/// One player of `ping_pong`: takes `hops / 2` turns.
pub(crate) async fn player(baton: std::rc::Rc<Baton>, me: u8, hops: usize) {
    for _ in 0..hops / 2 {
        baton.pass(me).await;
    }
}

/// Polls `future` once, with the caller's context, and gives up on it: a
/// timer polled once is registered, and dropping it cancels it.
pub(crate) async fn poll_once<F: Future>(future: Pin<&mut F>) {
    let mut future = Some(future);
    poll_fn(|cx| {
        let _ = future.take().unwrap().poll(cx);
        Poll::Ready(())
    })
    .await
}

/// Counts the idle tasks that have been polled once, so that the main
/// future can wait until every one of them is parked. `Send`, so that
/// tokio can take the tasks with `tokio::spawn`.
#[derive(Clone, Default)]
pub(crate) struct Parked(Arc<Mutex<usize>>);

impl Parked {
    /// An idle task: counts itself on its first poll and never finishes.
    pub(crate) fn task(&self) -> impl Future<Output = ()> + Send + 'static {
        let parked = self.clone();
        let mut counted = false;
        poll_fn(move |_| {
            if !counted {
                counted = true;
                *parked.0.lock().unwrap() += 1;
            }
            Poll::Pending
        })
    }

    pub(crate) fn count(&self) -> usize {
        *self.0.lock().unwrap()
    }
}

/// `n` delays uniform in [0, 100) ms, the same on every run: a 64-bit
/// linear congruential generator (Knuth's MMIX constants) from a fixed seed.
pub(crate) fn timer_delays(n: usize) -> Vec<Duration> {
    let mut state: u64 = 0x7e7e_7e7e;
    (0..n)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            Duration::from_micros((state >> 33) % 100_000)
        })
        .collect()
}

/// The same round trip between two plain threads over std channels: the
/// machine's own cost of waking a thread, measured next to each runtime.
pub(crate) fn threads_roundtrip(trips: usize) -> Vec<Duration> {
    let (request_tx, request_rx) = mpsc::channel::<mpsc::Sender<u32>>();
    let server = thread::spawn(move || {
        for reply in request_rx {
            reply.send(1).unwrap();
        }
    });
    let samples = (0..trips)
        .map(|_| {
            let start = Instant::now();
            let (reply_tx, reply_rx) = mpsc::channel();
            request_tx.send(reply_tx).unwrap();
            reply_rx.recv().unwrap();
            start.elapsed()
        })
        .collect();
    drop(request_tx);
    server.join().unwrap();
    samples
}

/// A field of `/proc/self/status`, in KiB (`VmRSS`, `VmHWM`).
fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/self/status"))
}

/// Resident memory now, in bytes.
pub(crate) fn rss_bytes() -> u64 {
    status_kib("VmRSS") * 1024
}

/// The most resident memory this process has had, in MiB.
pub(crate) fn peak_rss_mib() -> f64 {
    status_kib("VmHWM") as f64 / 1024.0
}

/// Mean, median and 99th percentile of `samples`, in µs.
pub(crate) fn summarize_us(samples: &mut [Duration]) -> (f64, f64, f64) {
    samples.sort();
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    let mean = samples.iter().map(|&d| us(d)).sum::<f64>() / samples.len() as f64;
    let at = |q: f64| us(samples[((samples.len() - 1) as f64 * q).round() as usize]);
    (mean, at(0.5), at(0.99))
}
