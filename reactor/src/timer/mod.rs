//! Timers: the wheel of wakers, and the clock it runs on.
//!
//! The [`Wheel`] counts time in [`Tick`]s of one millisecond from an origin
//! (the reactor's creation) and knows nothing of clocks. [`Timers`] is where
//! an `Instant` becomes a tick, and the rounding is where "a timer never
//! fires early" is won or lost:
//!
//! - a **deadline** becomes the first tick *at or after* it (rounded up);
//! - **now** becomes the last tick *at or before* it (rounded down);
//! - the wheel fires an entry when `now`'s tick reaches the deadline's tick,
//!   so `now >= origin + tick ms >= deadline`: never before the deadline,
//!   and at most one tick (plus the loop's own latency) after it.

mod wheel;

use std::task::Waker;
use std::time::{Duration, Instant};

pub(crate) use wheel::{Tick, TimerKey, Wheel};

/// How long one tick of the wheel lasts: the resolution of tether's timers.
pub(crate) const TICK: Duration = Duration::from_millis(1);
/// Nanoseconds in a tick; the conversions below need a tick to divide a second.
const NANOS_PER_TICK: u32 = TICK.subsec_nanos();
/// Ticks in a second.
const TICKS_PER_SEC: u64 = 1_000_000_000 / NANOS_PER_TICK as u64;
const _: () = assert!(
    TICK.as_secs() == 0 && 1_000_000_000 % NANOS_PER_TICK == 0,
    "a tick must divide a second"
);

/// The wheel, holding the waker of each pending timer, and its origin.
#[derive(Debug)]
pub(crate) struct Timers {
    /// Pending timers by deadline tick.
    wheel: Wheel<Waker>,
    /// The instant of tick 0.
    origin: Instant,
}

impl Timers {
    /// An empty set of timers whose tick 0 is `origin`.
    pub(crate) fn new(origin: Instant) -> Self {
        Self {
            wheel: Wheel::new(),
            origin,
        }
    }

    /// Arms a timer that wakes `waker` at `deadline` (not before).
    pub(crate) fn insert(&mut self, deadline: Instant, waker: Waker) -> TimerKey {
        let tick = self.tick_at_or_after(deadline);
        self.wheel.insert(tick, waker)
    }

    /// Disarms a timer. Returns false if it already fired (or was cancelled).
    pub(crate) fn cancel(&mut self, key: TimerKey) -> bool {
        self.wheel.cancel(key).is_some()
    }

    /// Makes a pending timer wake `waker` instead. Returns false if the
    /// timer already fired, which is how a `Sleep` learns it is over.
    pub(crate) fn set_waker(&mut self, key: TimerKey, waker: &Waker) -> bool {
        match self.wheel.get_mut(key) {
            Some(current) => {
                if !current.will_wake(waker) {
                    current.clone_from(waker);
                }
                true
            }
            None => false,
        }
    }

    /// Moves the waker of every timer due at `now` to `to_wake`, in order
    /// of their deadline ticks, then insertion order.
    pub(crate) fn expire(&mut self, now: Instant, to_wake: &mut Vec<Waker>) {
        let now = self.tick_at_or_before(now);
        while let Some((_, waker)) = self.wheel.poll(now) {
            to_wake.push(waker);
        }
    }

    /// No later than the earliest deadline rounded up to its tick; `None` if
    /// no timer is pending or the next one lies beyond what an `Instant`
    /// can represent.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        // The loop asks every iteration; with no timer, one comparison.
        if self.wheel.is_empty() {
            return None;
        }
        let tick = self.wheel.next_deadline()?;
        self.origin.checked_add(Duration::from_millis(tick.0))
    }

    /// How many timers are pending.
    pub(crate) fn len(&self) -> usize {
        self.wheel.len()
    }

    /// The first tick at or after `deadline`.
    fn tick_at_or_after(&self, deadline: Instant) -> Tick {
        let since = deadline.saturating_duration_since(self.origin);
        // Milliseconds in u64 arithmetic: a u128 division of the nanosecond
        // count would cost a library call on every timer armed.
        let part = u64::from(since.subsec_nanos().div_ceil(NANOS_PER_TICK));
        Tick(
            since
                .as_secs()
                .saturating_mul(TICKS_PER_SEC)
                .saturating_add(part),
        )
    }

    /// The last tick at or before `now`.
    fn tick_at_or_before(&self, now: Instant) -> Tick {
        let since = now.saturating_duration_since(self.origin);
        let part = u64::from(since.subsec_nanos() / NANOS_PER_TICK);
        Tick(
            since
                .as_secs()
                .saturating_mul(TICKS_PER_SEC)
                .saturating_add(part),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::task::Waker;

    #[test]
    fn a_deadline_between_ticks_fires_at_the_next_tick() {
        let origin = Instant::now();
        let mut timers = Timers::new(origin);
        let deadline = origin + Duration::from_micros(2_500);
        timers.insert(deadline, Waker::noop().clone());
        let mut woken = Vec::new();
        // 2.9 ms is before the deadline's tick (3): nothing.
        timers.expire(origin + Duration::from_micros(2_900), &mut woken);
        assert!(woken.is_empty(), "fired before its deadline");
        timers.expire(origin + Duration::from_millis(3), &mut woken);
        assert_eq!(woken.len(), 1);
    }

    #[test]
    fn next_deadline_is_the_deadline_rounded_up_to_a_tick() {
        let origin = Instant::now();
        let mut timers = Timers::new(origin);
        let deadline = origin + Duration::from_micros(10_300);
        timers.insert(deadline, Waker::noop().clone());
        let next = timers.next_deadline().unwrap();
        // The loop sleeps until this instant: not before the deadline, and
        // less than a tick after it.
        assert!(
            next >= deadline && next < deadline + TICK,
            "{next:?} vs {deadline:?}"
        );
    }

    #[test]
    fn deadlines_past_the_representable_range_do_not_overflow() {
        let origin = Instant::now();
        let mut timers = Timers::new(origin);
        let far = origin + Duration::from_secs(u32::MAX as u64 * 1000);
        let key = timers.insert(far, Waker::noop().clone());
        assert!(timers.next_deadline().is_some_and(|next| next <= far));
        let mut woken = Vec::new();
        timers.expire(origin + Duration::from_secs(3600), &mut woken);
        assert!(woken.is_empty());
        assert!(timers.cancel(key));
    }
}
