//! `Sleep` on bare reactors: its deadline kept exactly in its thread's
//! time, and its timer found through the loop running on its thread: armed
//! again on another loop, disarmed when dropped on its own, and left to
//! fire when dropped where its loop is not running.

use std::future::Future;
use std::pin::{Pin, pin};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use super::{Sleep, sleep, sleep_until};
use crate::Reactor;
use crate::timer::TICK;

/// Polls `sleep` once with a waker that does nothing.
fn poll_once(sleep: Pin<&mut Sleep>) -> Poll<()> {
    sleep.poll(&mut Context::from_waker(Waker::noop()))
}

/// Waits until the loop's clock can reach the tick of a timer due at
/// `deadline`: one tick (`TICK`) past it, the deadline being rounded up
/// to its tick.
fn wait_for_tick(deadline: Instant) {
    while Instant::now() < deadline + TICK {
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn its_deadline_is_the_instant_it_was_given() {
    // The thread's origin, from its first sleep: the instants below lie
    // after it, but for the one a day before it.
    drop(sleep(Duration::ZERO));
    let now = Instant::now();
    let day = Duration::from_secs(24 * 3600);
    let deadlines = [
        now,
        now + Duration::from_nanos(1),
        now - Duration::from_nanos(1),
        now + Duration::from_millis(1500),
        now.checked_sub(day).unwrap_or(now),
        now + 100 * 365 * day,
    ];
    for deadline in deadlines {
        assert_eq!(sleep_until(deadline).deadline(), Some(deadline));
        let mut reset = sleep(Duration::from_secs(1));
        reset.reset(deadline);
        assert_eq!(reset.deadline(), Some(deadline));
    }
    let before = Instant::now();
    let nap = sleep(Duration::from_millis(5)).deadline().unwrap();
    assert!(nap >= before + Duration::from_millis(5));
    assert!(nap <= Instant::now() + Duration::from_millis(5));
}

#[test]
fn beyond_292_years_it_is_never_over() {
    // Its deadline is kept in an `i64` of nanoseconds from its thread's
    // origin: one that does not fit is never reached, and arms nothing.
    let reactor = Reactor::new().unwrap();
    let _current = reactor.enter();
    let centuries = Duration::from_secs(300 * 365 * 24 * 3600);
    let mut reset = sleep(Duration::from_secs(1));
    reset.reset(Instant::now() + centuries);
    let nevers = [
        sleep(centuries),
        sleep(Duration::MAX),
        sleep_until(Instant::now() + centuries),
        reset,
        // A `sleep` whose sum lands exactly on the bound.
        Sleep::new(Some(crate::timer::NEVER), false),
    ];
    for never in nevers {
        let mut never = Box::pin(never);
        assert_eq!(never.deadline(), None);
        assert!(!never.is_elapsed());
        assert!(poll_once(never.as_mut()).is_pending());
        assert!(poll_once(never.as_mut()).is_pending());
    }
    assert!(!reactor.has_timers());
}

#[test]
fn dropped_on_its_loop_it_disarms_its_timer() {
    let reactor = Reactor::new().unwrap();
    let _current = reactor.enter();
    {
        let mut nap = pin!(sleep(Duration::from_secs(5)));
        assert!(poll_once(nap.as_mut()).is_pending());
        assert!(reactor.has_timers());
    }
    assert!(!reactor.has_timers());
}

#[test]
fn dropped_where_its_loop_is_not_running_its_timer_fires_unheeded() {
    let reactor = Reactor::new().unwrap();
    let deadline = Instant::now() + Duration::from_millis(1);
    let mut nap = Box::pin(sleep_until(deadline));
    {
        let _current = reactor.enter();
        assert!(poll_once(nap.as_mut()).is_pending());
    }
    // No loop runs here now: the sleep cannot reach the wheel, and its
    // timer stays there, to fire at its deadline, waking nobody who cares.
    drop(nap);
    assert!(reactor.has_timers());
    wait_for_tick(deadline);
    assert_eq!(reactor.fire_timers(Instant::now()), 1);
    assert!(!reactor.has_timers());
}

#[test]
fn polled_on_another_loop_it_arms_a_timer_there() {
    let first = Reactor::new().unwrap();
    let second = Reactor::new().unwrap();
    let deadline = Instant::now() + Duration::from_millis(3);
    let mut moved = Box::pin(sleep_until(deadline));
    {
        let _current = first.enter();
        assert!(poll_once(moved.as_mut()).is_pending());
    }
    let _current = second.enter();
    // The second loop's first timer: in its slab where the first loop's
    // timer is in the first's.
    let mut own = Box::pin(sleep_until(deadline));
    assert!(poll_once(own.as_mut()).is_pending());
    // The second loop's timers have run since the moved sleep was armed,
    // so its key is older than their latest step: still, its deadline has
    // not come, and it is not taken for fired.
    assert_eq!(second.fire_timers(deadline - Duration::from_millis(1)), 0);
    // The moved sleep's key names nothing here: it arms a second timer,
    // rather than taking over the other sleep's.
    assert!(poll_once(moved.as_mut()).is_pending());
    assert_eq!(second.fire_timers(deadline - Duration::from_millis(1)), 0);
    assert!(
        poll_once(moved.as_mut()).is_pending(),
        "not before its deadline"
    );
    wait_for_tick(deadline);
    assert_eq!(second.fire_timers(Instant::now()), 2);
    assert!(poll_once(moved.as_mut()).is_ready());
    assert!(poll_once(own.as_mut()).is_ready());
    // The first loop's timer is still its own, and fires there unheeded.
    drop(moved);
    assert_eq!(first.fire_timers(Instant::now()), 1);
}
