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
//!
//! # Order
//!
//! Timers fire in order of their exact deadlines, and equal deadlines in
//! the order they were armed, as asyncio's heap of timers hands them out
//! (asyncio leaves ties undefined; tether keeps arming order). The wheel
//! alone cannot give that order: it sorts by tick, and within a tick by
//! insertion, so two timers 0.3 ms apart in one tick would fire in the
//! order they were armed. So each timer keeps its exact deadline next to
//! its waker, and [`Timers::expire`] refines the wheel's order:
//!
//! 1. it takes every timer due from the wheel: the batch comes in tick
//!    order, and within a tick in arming order;
//! 2. it sorts the batch by exact deadline, with a stable sort, so that
//!    equal deadlines keep the wheel's arming order;
//! 3. it hands the wakers on in that order.
//!
//! Rounding up keeps order (a later tick means a later deadline), so the
//! sort only moves timers within a tick, and costs O(k log k) for a batch
//! of `k`, nothing for one timer, and a single pass for a batch already in
//! order (std's stable sort finds runs that are already sorted). Sorting here rather than in the wheel keeps the wheel's insert
//! O(1): keeping each slot sorted by exact deadline would make every
//! insert walk its slot.
//!
//! A batch is everything due at one `expire`, which the loop calls in step
//! 5 of every iteration that has a timer pending. So among the timers
//! armed before a given `expire`, an earlier deadline never fires after a
//! later one: if the later one is due, so is the earlier, whose tick is no
//! later.

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

/// The wheel, holding each pending timer, and its origin.
#[derive(Debug)]
pub(crate) struct Timers {
    /// Pending timers by deadline tick.
    wheel: Wheel<Timer>,
    /// The instant of tick 0.
    origin: Instant,
    /// The timers of one `expire`, sorted there; kept for its allocation.
    batch: Vec<Timer>,
}

/// One armed timer: what the wheel holds.
#[derive(Debug)]
struct Timer {
    /// The exact deadline, which orders the timers of one tick.
    deadline: Instant,
    /// Woken when the timer fires.
    waker: Waker,
}

impl Timers {
    /// An empty set of timers whose tick 0 is `origin`.
    pub(crate) fn new(origin: Instant) -> Self {
        Self {
            wheel: Wheel::new(),
            origin,
            batch: Vec::new(),
        }
    }

    /// Arms a timer that wakes `waker` at `deadline` (not before).
    pub(crate) fn insert(&mut self, deadline: Instant, waker: Waker) -> TimerKey {
        let tick = self.tick_at_or_after(deadline);
        self.wheel.insert(tick, Timer { deadline, waker })
    }

    /// Disarms a timer. Returns false if it already fired (or was cancelled).
    pub(crate) fn cancel(&mut self, key: TimerKey) -> bool {
        self.wheel.cancel(key).is_some()
    }

    /// Makes a pending timer wake `waker` instead. Returns false if the
    /// timer already fired, which is how a `Sleep` learns it is over.
    pub(crate) fn set_waker(&mut self, key: TimerKey, waker: &Waker) -> bool {
        match self.wheel.get_mut(key) {
            Some(Timer { waker: current, .. }) => {
                if !current.will_wake(waker) {
                    current.clone_from(waker);
                }
                true
            }
            None => false,
        }
    }

    /// Moves the waker of every timer due at `now` to `to_wake`, in order
    /// of their exact deadlines, then of arming (the module's "Order").
    pub(crate) fn expire(&mut self, now: Instant, to_wake: &mut Vec<Waker>) {
        let now = self.tick_at_or_before(now);
        while let Some((_, timer)) = self.wheel.poll(now) {
            self.batch.push(timer);
        }
        // Stable: equal deadlines keep the wheel's order, which is arming
        // order within a tick.
        self.batch.sort_by_key(|timer| timer.deadline);
        to_wake.extend(self.batch.drain(..).map(|timer| timer.waker));
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
    use std::sync::{Arc, Mutex};
    use std::task::{Wake, Waker};

    /// A waker that writes its name into a shared log when woken.
    struct Named(char, Arc<Mutex<Vec<char>>>);

    impl Wake for Named {
        fn wake(self: Arc<Self>) {
            self.1.lock().unwrap().push(self.0);
        }
    }

    /// Arms one timer per (name, microseconds after the origin), in the
    /// order given, expires them all at `now_us`, and returns the names in
    /// the order their wakers came out.
    fn fire_order(timers: &mut Timers, armed: &[(char, u64)], now_us: u64) -> Vec<char> {
        let origin = timers.origin;
        let log = Arc::new(Mutex::new(Vec::new()));
        for &(name, us) in armed {
            let waker = Waker::from(Arc::new(Named(name, log.clone())));
            timers.insert(origin + Duration::from_micros(us), waker);
        }
        let mut woken = Vec::new();
        timers.expire(origin + Duration::from_micros(now_us), &mut woken);
        woken.into_iter().for_each(Waker::wake);
        Arc::try_unwrap(log).unwrap().into_inner().unwrap()
    }

    #[test]
    fn timers_of_one_tick_fire_by_deadline_then_arming_order() {
        let mut timers = Timers::new(Instant::now());
        // Ticks 3 (2 ms < deadline <= 3 ms) and 4, armed out of order.
        let armed = [
            ('d', 2_900),
            ('e', 3_200),
            ('a', 2_100),
            ('c', 2_900),
            ('b', 2_500),
        ];
        let order = fire_order(&mut timers, &armed, 4_000);
        assert_eq!(order, ['a', 'b', 'd', 'c', 'e'], "armed {armed:?}");
    }

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
