//! `Interval`: ticks at a fixed period, without drift.

use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use super::sleep::{Sleep, sleep_until};
use crate::timer::TICK;

/// Ticks every `period`, the first tick at once.
///
/// asyncio has no interval; this is the `while True: work(); await
/// asyncio.sleep(period)` loop without its drift: ticks are scheduled from
/// the start time, not from when the previous tick was handled.
///
/// A period shorter than the timer's resolution (1 ms), zero included, is
/// rounded up to 1 ms, so an interval always lets the loop run in between.
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
    interval_at(Instant::now(), period)
}

/// Ticks every `period`, the first tick at `start`. See [`interval`].
pub fn interval_at(start: Instant, period: Duration) -> Interval {
    Interval {
        period: period.max(TICK),
        sleep: sleep_until(start),
        missed: MissedTickBehavior::default(),
    }
}

/// What an [`Interval`] does when ticks were missed because the loop, or the
/// code between ticks, took longer than a period.
///
/// The same three choices as tokio's `MissedTickBehavior`, and the same
/// default.
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
#[derive(Debug)]
pub struct Interval {
    /// Time between ticks; at least one tick of the wheel.
    period: Duration,
    /// Waits for the next tick; its deadline is the next tick's instant, or
    /// `None` once that is beyond what an `Instant` can hold.
    sleep: Sleep,
    /// What to do about missed ticks.
    missed: MissedTickBehavior,
}

impl Interval {
    /// Waits for the next tick and returns the instant it was scheduled for.
    pub async fn tick(&mut self) -> Instant {
        poll_fn(|cx| self.poll_tick(cx)).await
    }

    /// Polls for the next tick; the poll form of [`tick`](Interval::tick).
    pub fn poll_tick(&mut self, cx: &mut Context<'_>) -> Poll<Instant> {
        let Some(scheduled) = self.sleep.deadline() else {
            return Poll::Pending;
        };
        if Pin::new(&mut self.sleep).poll(cx).is_pending() {
            return Poll::Pending;
        }
        let now = Instant::now();
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
            Some(next) => sleep_until(next),
            None => super::sleep::sleep(Duration::MAX),
        };
        Poll::Ready(scheduled)
    }

    /// Makes the next tick one period from now.
    pub fn reset(&mut self) {
        match Instant::now().checked_add(self.period) {
            Some(next) => self.sleep.reset(next),
            None => self.sleep = super::sleep::sleep(Duration::MAX),
        }
    }

    /// The period between ticks.
    pub fn period(&self) -> Duration {
        self.period
    }

    /// What the interval does about missed ticks.
    pub fn missed_tick_behavior(&self) -> MissedTickBehavior {
        self.missed
    }

    /// Sets what the interval does about missed ticks.
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
