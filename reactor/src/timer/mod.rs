//! Timers: the wheel of wakers, and the clock it runs on.
//!
//! The [`Wheel`] counts time in [`Tick`]s of 100 µs ([`TICK`]) from an origin
//! (the thread's origin of time, [`origin`]: every loop on a thread and
//! every sleep it makes count from the same instant) and knows nothing of
//! clocks. [`Timers`] is where an `Instant` becomes a tick, and the
//! rounding is where "a timer never fires early" is won or lost:
//!
//! - a **deadline** becomes the first tick *at or after* it (rounded up);
//! - **now** becomes the last tick *at or before* it (rounded down);
//! - the wheel fires an entry when `now`'s tick reaches the deadline's tick,
//!   so `now >= origin + tick × TICK >= deadline`: never before the deadline,
//!   and at most one tick (plus the loop's own latency) after it.
//!
//! # Order
//!
//! Timers fire in order of their exact deadlines, and equal deadlines in
//! the order they were armed, as asyncio's heap of timers hands them out
//! (asyncio leaves ties undefined; tether keeps arming order). The wheel
//! alone cannot give that order: it sorts by tick, and within a tick by
//! insertion, so two timers 30 µs apart in one tick would fire in the
//! order they were armed. So each timer keeps its exact deadline next to
//! its waker, and [`Timers::expire`] refines the wheel's order:
//!
//! 1. it takes every timer due from the wheel: the batch comes in tick
//!    order (a late timer's tick, below, is the wheel's now when it was
//!    armed), and within a tick in arming order;
//! 2. it sorts the batch by exact deadline, and equal deadlines by their
//!    place in the batch, so that they keep the wheel's arming order;
//! 3. it hands the wakers on in that order.
//!
//! Rounding up keeps order (a later tick means a later deadline), so the
//! sort only moves timers within a tick (and late ones among themselves,
//! below). A large batch is sorted in O(k) for `k` timers by a radix sort,
//! a small one by insertion (`sort_by_deadline`), and one that comes out
//! of the wheel in order (timers of one duration, armed in turn) is not
//! sorted at all. What is sorted is a pair per timer, the deadline and the
//! place in the batch, not the timers. Large batches are the common case
//! where timers are many: while the loop arms 100,000 sleeps of 0 to 100
//! ms, thousands of them come due, and its first `expire` takes them all.
//! Sorting the timers themselves by comparisons made that one batch cost
//! milliseconds: `benches/compare`'s `timers` workload finished 22 to 45
//! ms beyond its 100 ms, and 17 to 20 ms with the radix sort (smol: 16
//! to 22 ms, in the same runs). Sorting here rather than in the wheel
//! keeps the wheel's insert O(1): keeping each slot sorted by exact
//! deadline would make every insert walk its slot.
//!
//! The exact deadline is kept as nanoseconds from the origin, an `i64`
//! (negative before the origin: a deadline may precede it), in 8 bytes
//! where an `Instant` takes 16, on every pending timer, and in every
//! `Sleep`, which hands it to [`Timers::insert_at`] as it is. A deadline
//! `i64::MAX` nanoseconds (some 292 years) or more after the origin
//! becomes [`NEVER`], which never comes (a `Sleep` or `SendSleep` with
//! such a deadline arms no timer at all); one that far before saturates,
//! and is due at once anyway.
//!
//! A timer armed with a deadline that has already passed is no exception.
//! If its tick is one the wheel has reached (the wheel started at or after
//! it, or an earlier `expire` was given a later time), the wheel takes it
//! as due at once, after what is due
//! already (the wheel's own "Order"), and the next `expire` hands it out;
//! if not, it waits for its tick like any other. Either way the sort puts
//! it in its deadline's place among the timers that expire with it: two
//! late timers armed in the order `a` (1 ms ago), `b` (2 ms ago) fire `b`,
//! `a`.
//!
//! A batch is everything due at one `expire`, which the loop calls in step
//! 5 of every iteration that has a timer pending. So among the timers
//! armed before a given `expire`, an earlier deadline never fires after a
//! later one: if the later one is due, so is the earlier, whose tick is no
//! later (a late one's tick, the wheel's now when it was armed, has been
//! reached too). This is asyncio's rule, where each iteration moves every
//! timer whose deadline has passed from its heap to the ready queue,
//! earliest first; a timer takes its place in that order when it is
//! armed, which for a `Sleep` is its first poll (after a `reset`, its next
//! poll; on another of the thread's loops, its first poll there).
//!
//! # Knowing a timer fired
//!
//! A `Sleep` woken by its timer must learn, when its task polls it, that
//! the timer fired rather than that something else woke the task. Asking
//! the wheel whether the timer's entry is still there would be a cache
//! miss on every fire: the entries lie scattered in the wheel's slab, and
//! by the time a woken task runs, `expire` has moved on through
//! thousands of others (with 100,000 sleeps firing, `perf record` put a
//! tenth of the process's samples on that one load). The rounding above
//! gives the answer without the entry:
//!
//! - a timer fires at the first `expire` whose `now` has reached its tick;
//! - its tick is reached exactly when its deadline is at or before the
//!   start of `now`'s tick (the deadline was rounded up);
//! - a late timer's tick, the wheel's now when it was armed, is reached by
//!   every later `expire`.
//!
//! So after an `expire`, the timers armed before it that have fired are
//! exactly those whose deadline is at or before the start of the latest
//! tick reached (of the timers not cancelled: a `Sleep` asks only about
//! its own armed timer). [`Timers`] keeps those two figures, the sequence
//! number the wheel would hand out next (the thread's count, which its
//! wheels share: `TimerKey`) and that instant, in nanoseconds from the
//! origin as the deadlines are, and `Timers::has_fired` compares a timer's
//! key and deadline with them. A timer armed since then has not fired:
//! only `expire` fires. Only a timer that has not fired is looked up, to
//! take a new waker ([`Timers::poll_timer`], what `Sleep` and `SendSleep`
//! ask); a key the wheel has no entry for comes from another of the
//! thread's loops, and is armed anew.

#[cfg(test)]
mod tests;
mod wheel;

use std::cell::Cell;
use std::task::{Poll, Waker};
use std::time::{Duration, Instant};

pub(crate) use wheel::{Tick, TimerKey, Wheel};

/// How long one tick of the wheel lasts: the resolution of tether's timers.
///
/// A timer fires up to one tick after its deadline (rounded up to a tick),
/// plus the loop's latency in waking, which on Linux is some 50 to 100 µs
/// (a sleeping thread's timer slack is 50 µs): a finer tick would buy
/// little, and every tick that has a timer due is a wake of the loop. At 1
/// ms, tokio's resolution and `epoll_wait`'s unit, a sleep came back 0.5
/// ms late on average and `benches/compare`'s `timers` workload finished
/// 1.6 to 2.0 ms after its last deadline; at 100 µs, a sleep comes back
/// 0.1 to 0.2 ms late, and the workload ends 0.1 to 0.35 ms after its last
/// deadline. The wait in the poller is as fine (`polling` times it with a
/// timerfd), and so is the one on the loop's thread (`park_timeout`). What
/// it costs: the
/// wheel's six levels reach 79.5 days instead of 2.2 years, past which a
/// timer waits in the wheel's overflow list (`timer/wheel.rs`, "Beyond
/// the top level").
pub(crate) const TICK: Duration = Duration::from_micros(100);
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
    /// The timers of one `expire`, in the wheel's order; kept for its
    /// allocation.
    batch: Vec<Timer>,
    /// The same batch's order by exact deadline, when the wheel's was not:
    /// each timer's deadline and its place in `batch`; kept for its
    /// allocation.
    order: Vec<(i64, usize)>,
    /// Room for `sort_by_deadline`'s passes; kept for its allocation.
    scratch: Vec<(i64, usize)>,
    /// What the `expire`s so far have fired: every timer armed before the
    /// latest one (a key whose sequence number is below `fired_seq`) whose
    /// deadline is at or before `fired_through` (the module's "Knowing a
    /// timer fired"). The wheel's start, at its loop's now, counts as one
    /// that fired nothing.
    fired_seq: u64,
    /// See `fired_seq`: the start of the latest tick `expire` reached, in
    /// nanoseconds from the origin.
    fired_through: i64,
}

/// One armed timer: what the wheel holds.
#[derive(Debug)]
struct Timer {
    /// The exact deadline, in nanoseconds from the origin, negative before
    /// it (the module's "Order"), which orders the timers of one batch.
    deadline: i64,
    /// Woken when the timer fires.
    waker: Waker,
}

impl Timers {
    /// An empty set of timers whose tick 0 is `origin`, and whose clock
    /// reads `now`. The wheel starts at `now`'s tick, which may lie long
    /// after the origin (a thread's second loop): from tick 0, its first
    /// timers would sit on coarse levels, and the loop's first wait would
    /// end at once to move the wheel on.
    pub(crate) fn new(origin: Instant, now: Instant) -> Self {
        let now = tick_at_or_before(now.saturating_duration_since(origin));
        let wheel = Wheel::starting_at(now);
        Self {
            // The wheel's start counts as an `expire` that fired nothing.
            fired_seq: wheel.next_seq(),
            fired_through: nanos(since_origin(now)).min(NEVER - 1),
            wheel,
            origin,
            batch: Vec::new(),
            order: Vec::new(),
            scratch: Vec::new(),
        }
    }

    /// Arms a timer that wakes `waker` at `deadline` nanoseconds from the
    /// origin (not before), an instant's [`nanos_at`](Self::nanos_at): what
    /// a `Sleep` keeps, these being the timers of one of its thread's
    /// loops, whose origin is the thread's ([`origin`]).
    pub(crate) fn insert_at(&mut self, deadline: i64, waker: Waker) -> TimerKey {
        let tick = if deadline == NEVER {
            // Beyond every tick the clock can reach: it never fires.
            Tick(u64::MAX)
        } else {
            // A deadline before the origin is due from tick 0.
            Tick(
                deadline
                    .max(0)
                    .unsigned_abs()
                    .div_ceil(NANOS_PER_TICK.into()),
            )
        };
        self.wheel.insert(tick, Timer { deadline, waker })
    }

    /// `deadline` in nanoseconds from the origin: [`NEVER`] if it lies
    /// `i64::MAX` nanoseconds (some 292 years) or more after it, and
    /// `i64::MIN` if it lies that far before. One subtraction of instants, which costs a few
    /// dozen instructions.
    pub(crate) fn nanos_at(&self, deadline: Instant) -> i64 {
        nanos_from(self.origin, deadline).unwrap_or(NEVER)
    }

    /// Disarms a timer. Returns false if it already fired (or was
    /// cancelled), or if the key is another of the thread's wheels'
    /// (`TimerKey`): nothing changes then.
    pub(crate) fn cancel(&mut self, key: TimerKey) -> bool {
        self.wheel.cancel(key).is_some()
    }

    /// What a sleep's poll asks of its armed timer: `Ready` once the timer
    /// `key`, armed for `deadline`, has fired; else `Pending`, and the
    /// timer will wake `waker`. Whether it fired is answered from the
    /// deadline ([`has_fired`](Self::has_fired)), so the timer's entry is
    /// reached only while it waits. A key this wheel holds no entry for
    /// (a `Sleep` armed on another of the thread's loops, `TimerKey`) is
    /// armed again here, and `key` becomes the new timer's; unless this
    /// wheel's timer steps have passed `deadline` already, and then it is
    /// `Ready` at once, ahead of this wheel's timers that are due but not
    /// yet fired (`has_fired` cannot tell another wheel's key).
    pub(crate) fn poll_timer(
        &mut self,
        key: &mut TimerKey,
        deadline: i64,
        waker: &Waker,
    ) -> Poll<()> {
        if self.has_fired(*key, deadline) {
            return Poll::Ready(());
        }
        if !self.set_waker(*key, waker) {
            *key = self.insert_at(deadline, waker.clone());
        }
        Poll::Pending
    }

    /// Whether the timer `key`, armed for `deadline` (in nanoseconds from
    /// the origin), has fired, answered without reaching the timer's entry
    /// (the module's "Knowing a timer fired"). `deadline` must be the one
    /// the timer was armed with, and the timer must not have been
    /// cancelled: of a cancelled one, this says what would have happened.
    /// Of a key from another of the thread's wheels, `true` still means
    /// that `deadline` has passed: it lies at or before a tick this
    /// wheel's clock reached.
    fn has_fired(&self, key: TimerKey, deadline: i64) -> bool {
        key.seq() < self.fired_seq && deadline <= self.fired_through
    }

    /// Makes a pending timer wake `waker` instead. Returns false if the
    /// timer already fired (or was cancelled), or if the key is another of
    /// the thread's wheels', which it learns from the timer's entry;
    /// `has_fired` answers without the entry.
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
        let now = tick_at_or_before(now.saturating_duration_since(self.origin));
        // Timers of one duration, armed in turn, come out of the wheel in
        // deadline order already: then there is nothing to sort.
        let mut in_order = true;
        let mut last = i64::MIN;
        while let Some((_, timer)) = self.wheel.poll(now) {
            in_order &= timer.deadline >= last;
            last = timer.deadline;
            self.batch.push(timer);
        }
        // Every timer armed so far whose tick is `now`'s or earlier has now
        // fired. (A `now` earlier than the last one reaches no later tick:
        // the `max` keeps the start of the latest.)
        self.fired_seq = self.wheel.next_seq();
        // Below `NEVER`, which has not come whatever the clock says.
        let through = nanos(since_origin(now)).min(NEVER - 1);
        self.fired_through = self.fired_through.max(through);
        if in_order {
            to_wake.extend(self.batch.drain(..).map(|timer| timer.waker));
            return;
        }
        let places = self.batch.iter().enumerate();
        self.order
            .extend(places.map(|(place, timer)| (timer.deadline, place)));
        sort_by_deadline(&mut self.order, &mut self.scratch);
        let batch = &mut self.batch;
        to_wake.extend(self.order.drain(..).map(|(_, place)| {
            // Each place comes once; what is left behind is dropped below.
            std::mem::replace(&mut batch[place].waker, Waker::noop().clone())
        }));
        batch.clear();
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
        self.origin.checked_add(since_origin(tick))
    }

    /// How many timers are pending.
    pub(crate) fn len(&self) -> usize {
        self.wheel.len()
    }

    /// Whether no timer is pending.
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.wheel.is_empty()
    }
}

// The bridge's `const_thread_local!`, so that a checker's threads each
// have their own.
tether_bridge::sync::const_thread_local! {
    /// The origin of this thread's time: the instant its timers count
    /// from, set by the first loop or sleep the thread makes.
    static ORIGIN: Cell<Option<Instant>> = Cell::new(None);
}

/// The origin of this thread's time, which `clock` gives if it has none
/// yet (a reading of the clock).
///
/// Every loop made on the thread counts its timers from it (a reactor
/// lives on the thread that made it), and so does every `Sleep`, which
/// stays on the thread that made it: a sleep keeps its deadline as eight
/// bytes of nanoseconds from the origin, where an `Instant` takes
/// sixteen, and hands it to its loop's timers as they keep it.
pub(crate) fn origin(clock: impl FnOnce() -> Instant) -> Instant {
    ORIGIN.with(|origin| match origin.get() {
        Some(instant) => instant,
        None => {
            let now = clock();
            origin.set(Some(now));
            now
        }
    })
}

/// `instant` in nanoseconds from `origin`, negative before it: `None` if
/// it lies `i64::MAX` nanoseconds (some 292 years) or more after it, the
/// deadline that never comes ([`NEVER`]), and `i64::MIN` if it lies that
/// far before.
pub(crate) fn nanos_from(origin: Instant, instant: Instant) -> Option<i64> {
    match instant.checked_duration_since(origin) {
        Some(after) => i64::try_from(nanos_u64(after))
            .ok()
            .filter(|&nanos| nanos != NEVER),
        None => {
            Some(i64::try_from(nanos_u64(origin.duration_since(instant))).map_or(i64::MIN, |n| -n))
        }
    }
}

/// The instant `nanos` nanoseconds from `origin` (`nanos_from` undone);
/// `None` beyond what an `Instant` holds.
pub(crate) fn instant_at(origin: Instant, nanos: i64) -> Option<Instant> {
    let span = Duration::from_nanos(nanos.unsigned_abs());
    if nanos >= 0 {
        origin.checked_add(span)
    } else {
        origin.checked_sub(span)
    }
}

/// `span` in nanoseconds, saturating at `u64::MAX`.
fn nanos_u64(span: Duration) -> u64 {
    span.as_secs()
        .saturating_mul(1_000_000_000)
        .saturating_add(u64::from(span.subsec_nanos()))
}

/// The deadline, in nanoseconds from the origin, that stands for every
/// deadline `i64::MAX` nanoseconds (some 292 years) or more after it: it
/// never comes. [`Timers::insert_at`] puts its timer on the wheel's last
/// tick, which the clock never reaches.
pub(crate) const NEVER: i64 = i64::MAX;

/// Below this many timers, a batch is sorted by insertion.
const RADIX_MIN: usize = 64;
/// Bits of a deadline that one pass of the radix sort orders.
const RADIX_BITS: u32 = 10;

/// Sorts `order`, pairs of a deadline and a place pushed in place order,
/// by deadline, keeping equal deadlines in place order: the order
/// `Timers::expire` hands wakers on.
///
/// A small batch is sorted by insertion: stable, and a single pass for one
/// in order already. A large one is sorted by stable counting passes, ten
/// bits of the deadlines' distance from the earliest at a time, as many as
/// that distance needs (LSD radix sort): two for deadlines within a
/// millisecond (ten ticks), three within a second, some
/// tens of instructions a timer, where comparisons cost hundreds. Neither
/// brings in std's sorts, whose code would weigh on every program with a
/// timer (a stripped hello world is 5 KB larger with `sort_unstable`).
fn sort_by_deadline(order: &mut Vec<(i64, usize)>, scratch: &mut Vec<(i64, usize)>) {
    const BUCKETS: usize = 1 << RADIX_BITS;
    if order.len() < RADIX_MIN {
        for sorted in 1..order.len() {
            let mut at = sorted;
            while at > 0 && order[at - 1].0 > order[at].0 {
                order.swap(at - 1, at);
                at -= 1;
            }
        }
        return;
    }
    let (Some(min), Some(max)) = (
        order.iter().map(|&(deadline, _)| deadline).min(),
        order.iter().map(|&(deadline, _)| deadline).max(),
    ) else {
        return;
    };
    let bits = u64::BITS - max.abs_diff(min).leading_zeros();
    // The key of a deadline for the pass that looks at bits from `shift`.
    let key = |deadline: i64, shift: u32| (deadline.abs_diff(min) >> shift) as usize % BUCKETS;
    for shift in (0..bits.div_ceil(RADIX_BITS)).map(|pass| pass * RADIX_BITS) {
        let mut starts = [0usize; BUCKETS];
        for &(deadline, _) in order.iter() {
            starts[key(deadline, shift)] += 1;
        }
        let mut next = 0;
        for start in &mut starts {
            let count = *start;
            *start = next;
            next += count;
        }
        scratch.clear();
        scratch.resize(order.len(), (0, 0));
        for &pair in order.iter() {
            let bucket = &mut starts[key(pair.0, shift)];
            scratch[*bucket] = pair;
            *bucket += 1;
        }
        std::mem::swap(order, scratch);
    }
}

/// The last tick at or before `since` from the origin.
fn tick_at_or_before(since: Duration) -> Tick {
    let part = u64::from(since.subsec_nanos() / NANOS_PER_TICK);
    Tick(
        since
            .as_secs()
            .saturating_mul(TICKS_PER_SEC)
            .saturating_add(part),
    )
}

/// The time from the origin to the start of `tick`.
fn since_origin(tick: Tick) -> Duration {
    let secs = tick.0 / TICKS_PER_SEC;
    // Below a second's worth of ticks: fits in a u32 of nanoseconds.
    let nanos = (tick.0 % TICKS_PER_SEC) as u32 * NANOS_PER_TICK;
    Duration::new(secs, nanos)
}

/// `span` in nanoseconds, saturating at `i64::MAX` (some 292 years).
fn nanos(span: Duration) -> i64 {
    i64::try_from(nanos_u64(span)).unwrap_or(i64::MAX)
}
