//! `Interval`: ticks at a fixed period, without drift.

use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tether_bridge::sync;

use super::sleep::{Sleep, sleep_until};

/// The shortest period: a shorter one, zero included, is rounded up to it.
/// Ten ticks of the wheel, so that the loop runs between two ticks of an
/// interval whatever the period asked for.
const MIN_PERIOD: Duration = Duration::from_millis(1);

/// Ticks every `period`, the first tick at once.
///
/// asyncio has no interval; this is the `while True: work(); await
/// asyncio.sleep(period)` loop without its drift: ticks are scheduled from
/// the start time, not from when the previous tick was handled.
///
/// A period shorter than 1 ms, zero included, is rounded up to 1 ms, so an
/// interval always lets the loop run in between.
/// A period so long that the next tick lies beyond what an `Instant` holds
/// gives one tick, then none.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
/// # fn main() -> std::io::Result<()> {
/// let rt = tether::Runtime::new()?;
/// let start = Instant::now();
/// rt.block_on(async {
///     let mut every = tether::time::interval(Duration::from_millis(2));
///     for _ in 0..3 {
///         every.tick().await; // at 0, 2 and 4 ms
///     }
/// });
/// assert!(start.elapsed() >= Duration::from_millis(4));
/// # Ok(())
/// # }
/// ```
pub fn interval(period: Duration) -> Interval {
    interval_at(sync::now(), period)
}

/// Ticks every `period`, the first tick at `start`. See [`interval`].
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
///
/// use tether::time::interval_at;
///
/// let start = Instant::now() + Duration::from_millis(3);
/// let period = Duration::from_millis(2);
/// tether::run(async move {
///     let mut every = interval_at(start, period);
///     assert_eq!(every.tick().await, start);
///     assert_eq!(every.tick().await, start + period);
///     assert!(Instant::now() >= start + period);
/// });
/// ```
pub fn interval_at(start: Instant, period: Duration) -> Interval {
    // A start that has come is a tick on the first poll. A sleep until it
    // would arm a timer and wait for the loop's next timer step.
    let sleep = if start <= sync::now() {
        Sleep::elapsed_at(start)
    } else {
        sleep_until(start)
    };
    Interval {
        period: period.max(MIN_PERIOD),
        sleep,
        missed: MissedTickBehavior::default(),
    }
}

/// What an [`Interval`] does when ticks were missed because the loop, or the
/// code between ticks, took longer than a period.
///
/// The same three choices as tokio's `MissedTickBehavior`, and the same
/// default.
///
/// # Examples
///
/// The default, and `Skip` after the loop was stuck for three periods:
///
/// ```
/// use std::time::Duration;
///
/// use tether::time::{MissedTickBehavior, interval};
///
/// tether::run(async {
///     let period = Duration::from_millis(2);
///     let mut every = interval(period);
///     assert_eq!(every.missed_tick_behavior(), MissedTickBehavior::Burst);
///     every.set_missed_tick_behavior(MissedTickBehavior::Skip);
///     let first = every.tick().await;
///     std::thread::sleep(period * 3); // blocks the loop: ticks are missed
///     let late = every.tick().await; // at once
///     let next = every.tick().await;
///     // The missed ticks were dropped, and the grid kept.
///     assert!(next - late >= period * 3);
///     assert_eq!((next - first).as_nanos() % period.as_nanos(), 0);
/// });
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum MissedTickBehavior {
    /// Deliver the missed ticks at once, one per `tick()`, until caught up;
    /// over time, the average rate stays exactly one per period.
    #[default]
    Burst,
    /// Deliver one tick now, and the next a full period after it: the
    /// schedule shifts by the delay.
    Delay,
    /// Deliver one tick now, and the next at the next multiple of the period
    /// from the start: the missed ones are dropped, the grid is kept.
    Skip,
}

/// A stream of ticks every period; see [`interval`].
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// use tether::time::{Interval, interval};
///
/// tether::run(async {
///     let mut every: Interval = interval(Duration::from_millis(2));
///     let first = every.tick().await;
///     let second = every.tick().await;
///     // Scheduled from the start, not from when a tick was handled.
///     assert_eq!(second - first, Duration::from_millis(2));
/// });
/// ```
#[derive(Debug)]
pub struct Interval {
    /// Time between ticks; at least [`MIN_PERIOD`].
    period: Duration,
    /// Waits for the next tick; its deadline is the next tick's instant, or
    /// `None` once that is beyond what an `Instant` can hold or more than
    /// 292 years after the thread's origin of time (`Sleep`'s "Its
    /// deadline").
    sleep: Sleep,
    /// What to do about missed ticks.
    missed: MissedTickBehavior,
}

impl Interval {
    /// Waits for the next tick and returns the instant it was scheduled for.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// use tether::time::interval;
    ///
    /// tether::run(async {
    ///     let period = Duration::from_millis(2);
    ///     let mut every = interval(period);
    ///     let first = every.tick().await;
    ///     std::thread::sleep(period * 3); // blocks the loop: ticks are missed
    ///     // Burst, the default: the missed ticks come at once, as scheduled.
    ///     assert_eq!(every.tick().await, first + period);
    ///     assert_eq!(every.tick().await, first + period * 2);
    /// });
    /// ```
    pub async fn tick(&mut self) -> Instant {
        poll_fn(|cx| self.poll_tick(cx)).await
    }

    /// Polls for the next tick; the poll form of [`tick`](Interval::tick).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use std::task::Poll;
    /// use std::time::{Duration, Instant};
    ///
    /// use tether::time::interval;
    ///
    /// tether::run(async {
    ///     let mut every = interval(Duration::from_secs(60));
    ///     poll_fn(|cx| {
    ///         // The first tick is at once; the next is a minute away.
    ///         assert!(matches!(every.poll_tick(cx), Poll::Ready(t) if t <= Instant::now()));
    ///         assert!(every.poll_tick(cx).is_pending());
    ///         Poll::Ready(())
    ///     })
    ///     .await;
    /// });
    /// ```
    pub fn poll_tick(&mut self, cx: &mut Context<'_>) -> Poll<Instant> {
        let Some(scheduled) = self.sleep.deadline() else {
            return Poll::Pending;
        };
        if Pin::new(&mut self.sleep).poll(cx).is_pending() {
            return Poll::Pending;
        }
        let now = sync::now();
        let missed = scheduled
            .checked_add(self.period)
            .is_some_and(|next| now > next);
        let next = if missed {
            // At least one whole tick was missed.
            match self.missed {
                MissedTickBehavior::Burst => scheduled.checked_add(self.period),
                MissedTickBehavior::Delay => now.checked_add(self.period),
                MissedTickBehavior::Skip => {
                    let late = (now - scheduled).as_nanos() % self.period.as_nanos();
                    // `late` < period, which fits in a u64 of nanoseconds
                    // for every period up to 584 years; past that, `Skip`
                    // degrades to `Delay`.
                    let late = Duration::from_nanos(u64::try_from(late).unwrap_or(0));
                    now.checked_add(self.period - late)
                }
            }
        } else {
            scheduled.checked_add(self.period)
        };
        self.sleep = match next {
            // A missed tick that `Burst` catches up on has come already: it
            // is delivered at once, without waiting for a timer step.
            Some(next) if next <= now => Sleep::elapsed_at(next),
            Some(next) => sleep_until(next),
            None => super::sleep::sleep(Duration::MAX),
        };
        Poll::Ready(scheduled)
    }

    /// Makes the next tick one period from now.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// use tether::time::{interval, sleep};
    ///
    /// tether::run(async {
    ///     let period = Duration::from_millis(2);
    ///     let mut every = interval(period);
    ///     every.tick().await;
    ///     sleep(period).await; // the next tick is due now
    ///     let reset_at = Instant::now();
    ///     every.reset();
    ///     assert!(every.tick().await >= reset_at + period);
    /// });
    /// ```
    pub fn reset(&mut self) {
        match sync::now().checked_add(self.period) {
            Some(next) => self.sleep.reset(next),
            None => self.sleep = super::sleep::sleep(Duration::MAX),
        }
    }

    /// The period between ticks.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// use tether::time::interval;
    ///
    /// assert_eq!(interval(Duration::from_millis(5)).period(), Duration::from_millis(5));
    /// // Shorter than 1 ms: rounded up to 1 ms.
    /// assert_eq!(interval(Duration::ZERO).period(), Duration::from_millis(1));
    /// ```
    pub fn period(&self) -> Duration {
        self.period
    }

    /// What the interval does about missed ticks, shown in
    /// [`MissedTickBehavior`'s example](MissedTickBehavior#examples).
    pub fn missed_tick_behavior(&self) -> MissedTickBehavior {
        self.missed
    }

    /// Sets what the interval does about missed ticks.
    ///
    /// # Examples
    ///
    /// `Delay` after the loop was stuck for three periods:
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// use tether::time::{MissedTickBehavior, interval};
    ///
    /// tether::run(async {
    ///     let period = Duration::from_millis(2);
    ///     let mut every = interval(period);
    ///     every.set_missed_tick_behavior(MissedTickBehavior::Delay);
    ///     assert_eq!(every.missed_tick_behavior(), MissedTickBehavior::Delay);
    ///     every.tick().await;
    ///     std::thread::sleep(period * 3); // blocks the loop: ticks are missed
    ///     let now = Instant::now();
    ///     every.tick().await; // at once
    ///     // The next one comes a full period after the late one was delivered.
    ///     assert!(every.tick().await >= now + period);
    /// });
    /// ```
    pub fn set_missed_tick_behavior(&mut self, behavior: MissedTickBehavior) {
        self.missed = behavior;
    }
}

/// An interval is an endless stream of the instants its ticks were
/// scheduled for.
#[cfg(feature = "futures")]
impl futures_core::Stream for Interval {
    type Item = Instant;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Instant>> {
        self.get_mut().poll_tick(cx).map(Some)
    }
}
