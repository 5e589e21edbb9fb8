//! Tests of `Timers`: the rounding of instants to ticks, and the order in
//! which timers fire.

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

/// Timers whose wakers log their names, with times in microseconds
/// after the origin.
struct Fixture {
    timers: Timers,
    log: Arc<Mutex<Vec<char>>>,
}

impl Fixture {
    fn new() -> Self {
        Fixture {
            timers: Timers::new(Instant::now(), Instant::now()),
            log: Arc::default(),
        }
    }

    /// Arms one timer per (name, deadline), in the order given; a
    /// negative deadline lies before the origin.
    fn arm(&mut self, armed: &[(char, i64)]) {
        for &(name, us) in armed {
            let waker = Waker::from(Arc::new(Named(name, self.log.clone())));
            let span = Duration::from_micros(us.unsigned_abs());
            let origin = self.timers.origin;
            let deadline = if us < 0 { origin - span } else { origin + span };
            insert(&mut self.timers, deadline, waker);
        }
    }

    /// Expires the timers due at `now` and returns the names of those
    /// that fired, in the order their wakers came out.
    fn expire(&mut self, now: u64) -> Vec<char> {
        let mut woken = Vec::new();
        let now = self.timers.origin + Duration::from_micros(now);
        self.timers.expire(now, &mut woken);
        woken.into_iter().for_each(Waker::wake);
        std::mem::take(&mut *self.log.lock().unwrap())
    }
}

/// Arms a timer at `deadline`, as the runtime's callers of `insert_at` do.
fn insert(timers: &mut Timers, deadline: Instant, waker: Waker) -> TimerKey {
    let at = timers.nanos_at(deadline);
    timers.insert_at(at, waker)
}

/// Pseudo-random numbers below a bound, the same on every run: a linear
/// congruential generator seeded with `seed`.
fn numbers(seed: u64) -> impl FnMut(u64) -> u64 {
    let mut state = seed;
    move |bound| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) % bound
    }
}

#[test]
fn timers_of_one_tick_fire_by_deadline_then_arming_order() {
    let mut fixture = Fixture::new();
    // Ticks 21 (2.0 ms < deadline <= 2.1 ms) and 22, armed out of order.
    let armed = [
        ('d', 2_090),
        ('e', 2_150),
        ('a', 2_010),
        ('c', 2_090),
        ('b', 2_050),
    ];
    fixture.arm(&armed);
    let order = fixture.expire(4_000);
    assert_eq!(order, ['a', 'b', 'd', 'c', 'e'], "armed {armed:?}");
}

#[test]
fn late_timers_fire_at_the_next_expire_in_deadline_order() {
    let mut fixture = Fixture::new();
    fixture.arm(&[('z', 10_500)]);
    assert_eq!(fixture.expire(10_000), []);
    // Armed after the wheel reached 10 ms: all but `y` have passed.
    let armed = [('c', 5_000), ('a', 1_000), ('y', 10_200), ('b', 3_000)];
    fixture.arm(&armed);
    // Nothing has moved the clock: the late ones are due all the same.
    assert_eq!(fixture.expire(10_000), ['a', 'b', 'c'], "armed {armed:?}");
    fixture.arm(&[('x', 9_000)]);
    assert_eq!(fixture.expire(11_000), ['x', 'y', 'z']);
}

#[test]
fn deadlines_before_the_origin_keep_their_order() {
    // A deadline may precede the origin itself; all of these are in
    // tick 0, and the exact deadlines still order them.
    let mut fixture = Fixture::new();
    let armed = [('c', -1_000), ('a', -3_000), ('d', 0), ('b', -2_000)];
    fixture.arm(&armed);
    assert_eq!(fixture.expire(0), ['a', 'b', 'c', 'd'], "armed {armed:?}");
}

#[test]
fn a_deadline_between_ticks_fires_at_the_next_tick() {
    let origin = Instant::now();
    let mut timers = Timers::new(origin, origin);
    // Halfway through tick 2: due at tick 3.
    let deadline = origin + TICK * 5 / 2;
    insert(&mut timers, deadline, Waker::noop().clone());
    let mut woken = Vec::new();
    // Past the deadline, but before its tick: nothing yet.
    timers.expire(origin + TICK * 29 / 10, &mut woken);
    assert!(woken.is_empty(), "fired before its tick");
    timers.expire(origin + TICK * 3, &mut woken);
    assert_eq!(woken.len(), 1);
}

#[test]
fn next_deadline_is_the_deadline_rounded_up_to_a_tick() {
    let origin = Instant::now();
    let mut timers = Timers::new(origin, origin);
    // Within the wheel's first level (64 ticks), where the next deadline
    // is the tick itself rather than the start of a coarser slot.
    let deadline = origin + TICK * 103 / 10;
    insert(&mut timers, deadline, Waker::noop().clone());
    let next = timers.next_deadline().unwrap();
    // The loop sleeps until this instant: not before the deadline, and
    // less than a tick after it.
    assert!(
        next >= deadline && next < deadline + TICK,
        "{next:?} vs {deadline:?}"
    );
}

#[test]
fn deadlines_past_292_years_never_come_and_do_not_overflow() {
    let origin = Instant::now();
    let mut timers = Timers::new(origin, origin);
    let year = Duration::from_secs(365 * 24 * 3600);
    // Within an `i64` of nanoseconds: on its tick, rounded up as ever.
    let near = origin + 200 * year;
    let kept = insert(&mut timers, near, Waker::noop().clone());
    assert!(timers.next_deadline().is_some_and(|next| next <= near));
    // Beyond it (300 years, and some 136,000): never, whatever the clock.
    let keys = [300 * year, Duration::from_secs(u64::from(u32::MAX) * 1000)]
        .map(|far| insert(&mut timers, origin + far, Waker::noop().clone()));
    let mut woken = Vec::new();
    timers.expire(origin + 250 * year, &mut woken);
    assert_eq!(woken.len(), 1, "the 200-year timer");
    assert!(!timers.cancel(kept));
    for key in keys {
        assert!(!timers.has_fired(key, NEVER));
    }
    timers.expire(origin + 10_000 * year, &mut woken);
    assert_eq!(woken.len(), 1);
    for key in keys {
        assert!(!timers.has_fired(key, NEVER));
        assert!(timers.cancel(key));
    }
}

/// `sort_by_deadline` orders as a stable sort by deadline would, for
/// batches small and large, narrow and wide, with and without ties: the
/// radix passes and the comparison sort agree with the reference.
#[test]
fn batches_are_sorted_by_deadline_then_arming() {
    let mut next = numbers(0x5eed);
    let mut scratch = Vec::new();
    for (len, span) in [
        (0, 1),
        (1, 1),
        (100, 1_000_000),
        (RADIX_MIN - 1, 1_000_000),
        (RADIX_MIN, 1_000_000),
        (1_000, 1_000_000),
        (1_000, 5),
        (1_000, (1 << 20) - 1),
        (1_000, 1 << 20),
        (1_000, 20_000_000),
        (1_000, (1 << 30) - 1),
        (1_000, 1 << 30),
        (1_000, 1 << 31),
        (1_000, 3_000_000_000),
        (1_000, 1 << 50),
    ] {
        let base = next(1 << 40) as i64 - (1 << 39);
        let mut order: Vec<(i64, usize)> = (0..len)
            .map(|place| (base + next(span) as i64, place))
            .collect();
        let mut expected = order.clone();
        expected.sort_by_key(|&(deadline, _)| deadline);
        sort_by_deadline(&mut order, &mut scratch);
        assert_eq!(order, expected, "{len} timers over {span} ns");
    }
    // The widest span there is: seven passes.
    let mut order: Vec<(i64, usize)> = (0..RADIX_MIN)
        .map(|place| match place % 3 {
            0 => (i64::MAX, place),
            1 => (i64::MIN, place),
            _ => (place as i64 - 32, place),
        })
        .collect();
    let mut expected = order.clone();
    expected.sort_by_key(|&(deadline, _)| deadline);
    sort_by_deadline(&mut order, &mut scratch);
    assert_eq!(order, expected, "deadlines from i64::MIN to i64::MAX");
}

/// `has_fired`, which answers from the deadline and what `expire` reached,
/// agrees with the wheel, which knows: for timers armed before an `expire`
/// and after it, late ones and ones before the origin, on tick boundaries
/// and between them, with a clock that often stays within a tick,
/// sometimes stops on a tick's boundary, and is sometimes read stale, with
/// late timers armed just before.
#[test]
fn has_fired_agrees_with_the_wheel() {
    let mut next = numbers(0xf17e);
    let tick = u64::from(NANOS_PER_TICK);
    let origin = Instant::now() + Duration::from_secs(1);
    let mut timers = Timers::new(origin, origin);
    let mut armed: Vec<(TimerKey, Instant)> = Vec::new();
    let mut now = origin;
    let mut woken = Vec::new();
    let check = |timers: &mut Timers, armed: &[(TimerKey, Instant)], when: &str| {
        for &(key, deadline) in armed {
            let pending = timers.wheel.get_mut(key).is_some();
            assert_eq!(
                timers.has_fired(key, timers.nanos_at(deadline)),
                !pending,
                "{when}: a timer for {:?} after the origin",
                deadline.checked_duration_since(origin),
            );
        }
    };
    for step in 0..2_000 {
        // A few timers: some already late, some on a tick's boundary, a
        // few before the origin.
        for _ in 0..next(4) {
            let since = now - origin;
            let deadline = match next(6) {
                0 => origin - Duration::from_nanos(next(2_000_000)),
                1 => origin + since.saturating_sub(Duration::from_nanos(next(2_000_000))),
                2 => {
                    origin
                        + Duration::from_nanos((since.as_nanos() as u64 / tick + next(20)) * tick)
                }
                _ => now + Duration::from_nanos(next(2_000_000)),
            };
            armed.push((
                insert(&mut timers, deadline, Waker::noop().clone()),
                deadline,
            ));
        }
        check(&mut timers, &armed, &format!("step {step}, armed"));
        // The clock moves by up to three ticks, or not at all, or to the
        // start of a tick.
        now += Duration::from_nanos(next(3 * tick));
        if next(4) == 0 {
            now = origin + Duration::from_nanos((now - origin).as_nanos() as u64 / tick * tick);
        }
        timers.expire(now, &mut woken);
        woken.clear();
        check(&mut timers, &armed, &format!("step {step}, expired"));
        // A stale reading of the clock, after a late timer was armed: the
        // late one is due at the wheel's now, and fires; what fired before
        // stays fired.
        if next(8) == 0 {
            let late = now - Duration::from_nanos(next(2_000_000)).min(now - origin);
            armed.push((insert(&mut timers, late, Waker::noop().clone()), late));
            check(&mut timers, &armed, &format!("step {step}, late"));
            timers.expire(now - Duration::from_nanos(next(3 * tick)), &mut woken);
            woken.clear();
            check(&mut timers, &armed, &format!("step {step}, stale"));
        }
        armed.retain(|&(key, _)| timers.wheel.get_mut(key).is_some());
    }
}

#[test]
fn timers_made_long_after_the_origin_start_at_their_now() {
    // A thread's second loop: its timers count from the thread's origin,
    // 100 ms back. A timer 1 ms ahead of its now must not make the loop's
    // first wait end at once, as a wheel starting at tick 0 would, whose
    // earliest slot for it began 4 ms before now.
    let origin = Instant::now();
    let now = origin + Duration::from_millis(100);
    let mut timers = Timers::new(origin, now);
    insert(
        &mut timers,
        now + Duration::from_millis(1),
        Waker::noop().clone(),
    );
    let next = timers.next_deadline().unwrap();
    assert!(next > now, "{:?} before now", now - next);
    assert!(next <= now + Duration::from_millis(1));
}

#[test]
fn nanoseconds_from_the_origin_round_trip_and_stop_short_of_never() {
    let origin = Instant::now();
    for nanos in [0, 1, -1, 999_999_999, -1_000_000_001, 3 << 40, -(3 << 40)] {
        let instant = instant_at(origin, nanos).unwrap();
        assert_eq!(nanos_from(origin, instant), Some(nanos));
    }
    // `NEVER` itself, and anything past it, is no deadline.
    let never = origin + Duration::from_nanos(NEVER.unsigned_abs());
    assert_eq!(nanos_from(origin, never), None);
    assert_eq!(nanos_from(origin, never + Duration::from_secs(1)), None);
    let last = never - Duration::from_nanos(1);
    assert_eq!(nanos_from(origin, last), Some(NEVER - 1));
}

#[test]
fn a_timer_fired_by_an_expire_earlier_than_the_wheels_start_is_known_fired() {
    // The wheel starts at its loop's now, 10 ms after the origin; a timer
    // due 5 ms after it is late at once, and any `expire` hands it out,
    // even one given an earlier time. Its sleep must then learn it fired.
    let origin = Instant::now();
    let mut timers = Timers::new(origin, origin + Duration::from_millis(10));
    let late = origin + Duration::from_millis(5);
    let key = insert(&mut timers, late, Waker::noop().clone());
    assert!(!timers.has_fired(key, timers.nanos_at(late)));
    let mut woken = Vec::new();
    timers.expire(origin + Duration::from_millis(1), &mut woken);
    assert_eq!(woken.len(), 1);
    assert!(timers.has_fired(key, timers.nanos_at(late)));
}
