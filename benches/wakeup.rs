//! The wakeup, measured the ways tether chose between: `polling`'s own
//! `Poller::notify` against a hand-written eventfd registered with the
//! poller as an ordinary source, once in oneshot mode (read and re-arm
//! after each wakeup) and once edge-triggered (no re-arm; mio's way).
//!
//! ```text
//! cargo bench --bench wakeup
//! ```
//!
//! Each iteration is one wakeup as the loop sees it: the wakeup is written,
//! then the loop's `Poller::wait` returns with it and the wakeup is made
//! ready for the next one. Both run on one thread, on purpose: the kernel
//! path that wakes a sleeping thread is the same for every variant (a write
//! to an fd on the epoll instance's wait queue), so what differs, and what
//! this measures, is the system calls each variant makes per wakeup. A
//! cross-thread version would add the same scheduler latency to all three,
//! and on a machine whose thread wake-up latency varies within seconds, as
//! the 2-core machine of `benches/RESULTS.md` does, its noise would bury
//! the difference. The figures, and the choice they led to, are in
//! `reactor/src/wakeup/mod.rs`.

mod support;

use std::time::{Duration, Instant};

use criterion::Criterion;
use polling::{Event, Events, PollMode, Poller};

fn notify(c: &mut Criterion) {
    let group_name = "wakeup";
    let poller = Poller::new().unwrap();
    let mut events = Events::new();
    c.bench_function("wakeup/poller_notify", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                poller.notify().unwrap();
                events.clear();
                poller.wait(&mut events, None).unwrap();
            }
            support::record(group_name, "poller_notify", iters, start.elapsed())
        })
    });
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn own_eventfd(c: &mut Criterion, mode: PollMode, name: &str) {
    use rustix::event::{EventfdFlags, eventfd};
    use std::os::fd::AsFd;

    const KEY: usize = 7;
    let group_name = "wakeup";
    let poller = Poller::new().unwrap();
    let fd = eventfd(0, EventfdFlags::CLOEXEC | EventfdFlags::NONBLOCK).unwrap();
    // SAFETY: `fd` lives until the end of this function, and is deleted
    // from the poller before it is closed.
    unsafe { poller.add_with_mode(&fd, Event::readable(KEY), mode) }.unwrap();
    let mut events = Events::new();
    c.bench_function(&format!("wakeup/{name}"), |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                rustix::io::write(&fd, &1u64.to_ne_bytes()).unwrap();
                events.clear();
                poller.wait(&mut events, None).unwrap();
                assert_eq!(events.iter().next().map(|e| e.key), Some(KEY));
                if mode == PollMode::Oneshot {
                    // Reset the counter and re-arm: the cost of oneshot.
                    let mut buf = [0u8; 8];
                    rustix::io::read(&fd, &mut buf).unwrap();
                    poller.modify(fd.as_fd(), Event::readable(KEY)).unwrap();
                }
            }
            support::record(group_name, name, iters, start.elapsed())
        })
    });
    poller.delete(fd.as_fd()).unwrap();
}

/// What the loop's non-blocking poll costs while it is busy: a wait with a
/// zero timeout on a poller that watches one idle socket and has nothing
/// to report (`executor/src/core/run_loop.rs`, `POLL_INTERVAL`).
fn poll_nothing_ready(c: &mut Criterion) {
    let poller = Poller::new().unwrap();
    let (idle, _peer) = std::os::unix::net::UnixStream::pair().unwrap();
    // SAFETY: `idle` lives until the end of this function, and is deleted
    // from the poller before it is closed.
    unsafe { poller.add_with_mode(&idle, Event::readable(1), PollMode::Edge) }.unwrap();
    let mut events = Events::new();
    c.bench_function("poll/nothing_ready", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                events.clear();
                poller.wait(&mut events, Some(Duration::ZERO)).unwrap();
                assert!(events.is_empty());
            }
            support::record("poll", "nothing_ready", iters, start.elapsed())
        })
    });
    poller.delete(&idle).unwrap();
}

fn main() {
    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    // Interleaved twice, so that a drift of the machine shows as a spread.
    for _ in 0..2 {
        notify(&mut criterion);
        #[cfg(any(target_os = "linux", target_os = "android"))]
        {
            own_eventfd(&mut criterion, PollMode::Oneshot, "eventfd_oneshot");
            own_eventfd(&mut criterion, PollMode::Edge, "eventfd_edge");
        }
    }
    poll_nothing_ready(&mut criterion);
    criterion.final_summary();
    support::print_ratios(
        "poller_notify",
        &[
            (
                "wakeup",
                "one wakeup written and consumed, per iteration, on one thread",
            ),
            (
                "poll",
                "one poll with a zero timeout that finds nothing ready, as the busy loop makes every POLL_INTERVAL runs",
            ),
        ],
    );
}
