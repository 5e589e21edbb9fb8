//! `sleep` and `sleep_until`: never early, any duration, ordered.

mod support;

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Waker};
use std::time::{Duration, Instant};

use support::Log;
use tether::time::{sleep, sleep_until};

#[test]
fn sleeps_never_complete_before_their_deadline() {
    tether::run(async {
        // Around the 100 µs tick's boundaries, and level 0's end (6.4 ms:
        // 64 ticks).
        for micros in [1, 50, 99, 100, 101, 250, 1_000, 6_300, 6_400, 6_500] {
            let duration = Duration::from_micros(micros);
            let start = Instant::now();
            sleep(duration).await;
            let slept = start.elapsed();
            assert!(slept >= duration, "slept {slept:?}, asked for {duration:?}");
        }
    });
}

#[test]
fn many_concurrent_sleeps_are_never_early() {
    // A fixed pseudo-random set of deadlines, all in flight together.
    let mut seed = 0x9E37_79B9_7F4A_7C15_u64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let durations: Vec<Duration> = (0..500)
        .map(|_| Duration::from_micros(next() % 30_000))
        .collect();
    tether::run(async move {
        let start = Instant::now();
        let tasks: Vec<_> = durations
            .iter()
            .map(|&duration| {
                tether::spawn(async move {
                    sleep(duration).await;
                    (duration, start.elapsed())
                })
            })
            .collect();
        for task in tasks {
            let (duration, slept) = task.await.unwrap();
            assert!(slept >= duration, "slept {slept:?}, asked for {duration:?}");
        }
    });
}

#[test]
fn a_zero_sleep_completes_on_its_first_poll() {
    let rt = tether::Runtime::new().unwrap();
    rt.block_on(async {
        let mut cx = Context::from_waker(Waker::noop());
        assert!(pin!(sleep(Duration::ZERO)).poll(&mut cx).is_ready());
    });
}

#[test]
fn a_past_sleep_completes_in_the_next_timer_step() {
    let rt = tether::Runtime::new().unwrap();
    rt.block_on(async {
        let past = Instant::now()
            .checked_sub(Duration::from_secs(1))
            .unwrap_or_else(Instant::now);
        let mut late = pin!(sleep_until(past));
        // The first poll arms a timer that is due at once...
        assert!(support::poll_once(late.as_mut()).await.is_pending());
        // ...and the next iteration's timer step fires it, before this
        // task runs again.
        tether::yield_now().await;
        assert!(support::poll_once(late.as_mut()).await.is_ready());
    });
}

#[test]
fn sleep_duration_max_never_completes_and_does_not_overflow() {
    tether::run(async {
        let forever = sleep(Duration::MAX);
        assert_eq!(forever.deadline(), None);
        assert!(!forever.is_elapsed());
        let outcome = tether::time::timeout(Duration::from_millis(5), forever).await;
        assert!(outcome.is_err());
        // A deadline far away, but representable, works the same.
        let far = Instant::now() + Duration::from_secs(100 * 365 * 24 * 3600);
        let outcome = tether::time::timeout(Duration::from_millis(2), sleep_until(far)).await;
        assert!(outcome.is_err());
    });
}

#[test]
fn equal_deadlines_complete_in_the_order_they_were_armed() {
    let log = Log::default();
    let inner = log.clone();
    tether::run(async move {
        let deadline = Instant::now() + Duration::from_millis(3);
        let tasks: Vec<_> = (0..5)
            .map(|i| {
                let log = inner.clone();
                tether::spawn(async move {
                    sleep_until(deadline).await;
                    log.push(i.to_string());
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
    });
    assert_eq!(log.take(), ["0", "1", "2", "3", "4"]);
}

#[test]
fn a_reset_sleep_waits_for_its_new_deadline() {
    tether::run(async {
        let start = Instant::now();
        let mut nap = sleep(Duration::from_millis(1));
        // Arm it, then move the deadline.
        let _ = tether::time::timeout(Duration::ZERO, &mut nap).await;
        nap.reset(start + Duration::from_millis(8));
        nap.await;
        assert!(start.elapsed() >= Duration::from_millis(8));
    });
}

#[test]
fn a_dropped_sleep_disarms_its_timer() {
    let rt = tether::Runtime::new().unwrap();
    let handle = rt.handle();
    rt.block_on(async {
        // Armed, then dropped: the loop has no timer left to wake up for.
        let _ =
            tether::time::timeout(Duration::from_millis(1), sleep(Duration::from_millis(30))).await;
    });
    let before = handle.metrics();
    let start = Instant::now();
    rt.block_on(async {
        // The only timer now is this 60 ms one: the loop sleeps through to
        // it without waking at 30 ms for the dropped one.
        sleep(Duration::from_millis(60)).await;
    });
    assert!(start.elapsed() >= Duration::from_millis(60));
    let parks = handle.metrics().parks - before.parks;
    // Two parks normally: the 60 ms timer sits on level 1 of the wheel, so
    // the loop wakes at the start of its slot, then at its deadline; one
    // more is allowed. The 30 ms timer, had it stayed armed, would add its
    // own.
    assert!(parks <= 3, "{parks} parks");
}

/// `time::now` is the loop's clock (asyncio's `loop.time()`): `Instant`'s
/// clock, read through the loop, never going back.
#[test]
fn now_reads_the_loop_clock_and_never_goes_back() {
    tether::run(async {
        let before = std::time::Instant::now();
        let now = tether::time::now();
        assert!(now >= before);
        tether::time::sleep(std::time::Duration::from_millis(2)).await;
        assert!(tether::time::now() >= now + std::time::Duration::from_millis(2));
    });
}

/// A sleep keeps its deadline, not its loop: armed on one runtime, then
/// awaited on another of the thread's, it arms a timer there and completes
/// at its deadline (`Sleep`, "Its loop").
#[test]
fn a_sleep_armed_on_one_runtime_completes_on_another() {
    let first = tether::Runtime::new().unwrap();
    let second = tether::Runtime::new().unwrap();
    let deadline = Instant::now() + Duration::from_millis(20);
    let mut nap = Box::pin(sleep_until(deadline));
    first.block_on(async {
        assert!(support::poll_once(nap.as_mut()).await.is_pending());
    });
    let outcome = second.block_on(tether::time::timeout(Duration::from_secs(5), nap));
    assert!(
        outcome.is_ok(),
        "the sleep never completed on the second loop"
    );
    assert!(Instant::now() >= deadline);
}

/// Dropped after its loop's `block_on` returned, an armed sleep cannot
/// reach its timer: the timer fires unheeded later, and the loop goes on.
#[test]
fn a_sleep_dropped_outside_its_loop_leaves_the_loop_working() {
    let rt = tether::Runtime::new().unwrap();
    let mut nap = Box::pin(sleep(Duration::from_millis(5)));
    rt.block_on(async {
        assert!(support::poll_once(nap.as_mut()).await.is_pending());
    });
    drop(nap);
    let start = Instant::now();
    rt.block_on(async {
        sleep(Duration::from_millis(10)).await;
        tether::yield_now().await;
    });
    assert!(start.elapsed() >= Duration::from_millis(10));
}
