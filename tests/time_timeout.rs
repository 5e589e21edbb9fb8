//! `timeout` and `timeout_at`.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use tether::time::{Elapsed, sleep, timeout, timeout_at};

#[test]
fn timeout_gives_elapsed_no_earlier_than_its_duration() {
    tether::run(async {
        let start = Instant::now();
        let result = timeout(Duration::from_millis(10), std::future::pending::<()>()).await;
        assert!(result.is_err(), "{result:?}");
        assert!(start.elapsed() >= Duration::from_millis(10));
    });
}

fn elapsed() -> Elapsed {
    tether::run(timeout(Duration::ZERO, std::future::pending::<()>())).unwrap_err()
}

#[test]
fn timeout_gives_the_output_when_the_future_wins() {
    tether::run(async {
        let result = timeout(Duration::from_millis(50), async {
            sleep(Duration::from_millis(1)).await;
            "in time"
        })
        .await;
        assert_eq!(result, Ok("in time"));
    });
}

#[test]
fn a_ready_future_wins_even_against_a_zero_timeout() {
    let rt = tether::Runtime::new().unwrap();
    rt.block_on(async {
        // Polled once: the future is ready, no timer is armed.
        let mut cx = Context::from_waker(Waker::noop());
        let outcome = pin!(timeout(Duration::ZERO, async { 3 })).poll(&mut cx);
        assert_eq!(outcome, Poll::Ready(Ok(3)));
    });
}

#[test]
fn timeout_at_a_past_deadline_gives_elapsed() {
    tether::run(async {
        let past = Instant::now();
        let result = timeout_at(past, std::future::pending::<()>()).await;
        assert!(result.is_err());
    });
}

#[test]
fn timeout_drops_the_future_it_gives_up_on() {
    struct Flag(std::rc::Rc<std::cell::Cell<bool>>);
    impl Drop for Flag {
        fn drop(&mut self) {
            self.0.set(true);
        }
    }
    let dropped = std::rc::Rc::new(std::cell::Cell::new(false));
    let flag = Flag(dropped.clone());
    let seen = dropped.clone();
    tether::run(async move {
        let outcome = timeout(Duration::from_millis(1), async move {
            let _flag = flag;
            std::future::pending::<()>().await;
        })
        .await;
        assert!(outcome.is_err(), "{outcome:?}");
        // Dropped as the timeout's await ended, not with the loop.
        assert!(seen.get());
    });
    assert!(dropped.get());
}

#[test]
fn timeout_duration_max_is_just_the_future() {
    tether::run(async {
        let result = timeout(Duration::MAX, sleep(Duration::from_millis(1))).await;
        assert!(result.is_ok());
    });
}

#[test]
fn elapsed_becomes_a_timed_out_io_error() {
    let err: std::io::Error = elapsed().into();
    assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
    assert_eq!(elapsed().to_string(), "deadline has elapsed");
}

#[test]
fn the_clock_starts_when_the_timeout_is_first_awaited() {
    tether::run(async {
        // Made, then left alone for longer than its duration: as with
        // asyncio's wait_for, the time before the first await does not count.
        // (The inner sleep is made at the first await too.)
        let made = timeout(Duration::from_millis(50), async {
            sleep(Duration::from_millis(20)).await
        });
        std::thread::sleep(Duration::from_millis(80));
        let start = Instant::now();
        assert_eq!(made.await, Ok(()));
        assert!(start.elapsed() >= Duration::from_millis(20));
    });
}
