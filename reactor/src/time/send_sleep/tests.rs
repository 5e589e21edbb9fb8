//! `SendSleep` on a bare reactor: armed by its first poll, fired by the
//! wheel, disarmed when dropped on its loop, left to fire when dropped
//! elsewhere, and refused on another loop.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use super::SendSleep;
use crate::Reactor;
use crate::timer::TICK;

/// Polls `sleep` once with a waker that does nothing.
fn poll_once(sleep: std::pin::Pin<&mut SendSleep>) -> Poll<()> {
    sleep.poll(&mut Context::from_waker(Waker::noop()))
}

#[test]
fn it_fires_at_its_deadline_and_not_before() {
    let reactor = Reactor::new().unwrap();
    let _current = reactor.enter();
    let deadline = Instant::now() + Duration::from_millis(2);
    let mut sleep = pin!(SendSleep::until(deadline));
    assert!(poll_once(sleep.as_mut()).is_pending());
    assert!(
        reactor.next_timer().is_some(),
        "the first poll arms a timer"
    );
    assert_eq!(reactor.fire_timers(deadline - Duration::from_millis(1)), 0);
    assert!(poll_once(sleep.as_mut()).is_pending());
    // One tick past it: the deadline is rounded up to its tick.
    while Instant::now() < deadline + TICK {
        std::thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(reactor.fire_timers(Instant::now()), 1);
    assert!(poll_once(sleep.as_mut()).is_ready());
    assert!(poll_once(sleep.as_mut()).is_ready(), "and stays ready");
}

#[test]
fn dropped_on_its_loop_it_disarms_its_timer() {
    let reactor = Reactor::new().unwrap();
    let _current = reactor.enter();
    {
        let mut sleep = pin!(SendSleep::after(Duration::from_secs(5)));
        assert!(poll_once(sleep.as_mut()).is_pending());
        assert!(reactor.has_timers());
    }
    assert!(!reactor.has_timers());
}

#[test]
fn dropped_on_another_thread_its_timer_fires_unheeded() {
    let reactor = Reactor::new().unwrap();
    let _current = reactor.enter();
    let deadline = Instant::now() + Duration::from_millis(1);
    let mut sleep = Box::pin(SendSleep::until(deadline));
    assert!(poll_once(sleep.as_mut()).is_pending());
    std::thread::spawn(move || drop(sleep)).join().unwrap();
    // The other thread could not reach the wheel: the timer is still
    // there, and fires at its deadline, waking nobody who cares.
    assert!(reactor.has_timers());
    // One tick past it: the deadline is rounded up to its tick.
    while Instant::now() < deadline + TICK {
        std::thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(reactor.fire_timers(Instant::now()), 1);
    assert!(!reactor.has_timers());
}

#[test]
fn a_later_reactor_on_the_same_thread_is_another_loop() {
    let first = Reactor::new().unwrap();
    let mut sleep = Box::pin(SendSleep::after(Duration::from_secs(5)));
    {
        let _current = first.enter();
        assert!(poll_once(sleep.as_mut()).is_pending());
    }
    drop(first);
    let second = Reactor::new().unwrap();
    let _current = second.enter();
    let polled = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = poll_once(sleep.as_mut());
    }));
    let panic = polled.expect_err("polled on another loop");
    let message = panic.downcast_ref::<&str>().copied().unwrap_or_default();
    assert!(message.contains("a loop other than its own"), "{message}");
    // Dropped here, it leaves the second reactor's wheel alone.
    drop(sleep);
    assert!(!second.has_timers());
}

#[test]
fn a_zero_sleep_is_over_at_once() {
    let mut sleep = pin!(SendSleep::after(Duration::ZERO));
    // No loop needed: there is nothing to arm.
    assert!(poll_once(sleep.as_mut()).is_ready());
}

#[test]
fn a_deadline_beyond_292_years_arms_nothing() {
    let reactor = Reactor::new().unwrap();
    let _current = reactor.enter();
    let centuries = Duration::from_secs(300 * 365 * 24 * 3600);
    let mut sleep = pin!(SendSleep::after(centuries));
    assert!(sleep.deadline().is_some(), "an `Instant` holds it");
    assert!(poll_once(sleep.as_mut()).is_pending());
    assert!(poll_once(sleep.as_mut()).is_pending());
    assert!(!reactor.has_timers());
}
