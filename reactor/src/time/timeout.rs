//! `timeout`: a future raced against a deadline.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use super::sleep::{Sleep, sleep, sleep_until};

/// Runs `future`, giving up after `duration`.
///
/// asyncio: `await asyncio.wait_for(aw, timeout)`, or `async with
/// asyncio.timeout(delay)`.
///
/// Resolves to `Ok` with the future's output if it finishes first, or to
/// `Err(Elapsed)` once `duration` has passed; the future is then dropped
/// (cancelled) at the point where it was waiting. The future is polled
/// before the deadline is checked, so one that is ready at once returns
/// `Ok` without arming a timer, even with a zero duration.
///
/// The clock starts at the first poll that finds the future pending, as
/// asyncio's `wait_for` starts its timer when it is awaited: a timeout
/// around a future that is ready at once never reads the clock.
///
/// The returned [`Timeout`] is the future and, once it was found pending,
/// its timer, side by side: nothing is allocated.
///
/// # Examples
///
/// ```
/// use std::future::pending;
/// use std::time::Duration;
///
/// use tether::time::timeout;
///
/// # fn main() -> std::io::Result<()> {
/// let rt = tether::Runtime::new()?;
/// // Ready at once: its output, and no timer armed.
/// let ready = rt.block_on(timeout(Duration::ZERO, async { 7 }));
/// assert_eq!(ready, Ok(7));
/// // Never ready: given up on once 5 ms have passed.
/// let never = rt.block_on(timeout(Duration::from_millis(5), pending::<()>()));
/// assert!(never.is_err());
/// # Ok(())
/// # }
/// ```
pub fn timeout<F: IntoFuture>(duration: Duration, future: F) -> Timeout<F::IntoFuture> {
    // Saturated: a duration of 584 years or more, which never ends anyway
    // (nor does a sleep of 292 years or more), is kept as `u64::MAX`.
    let nanos = u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX);
    Timeout::new(future.into_future(), Timer::After(nanos))
}

/// Runs `future`, giving up at `deadline`. See [`timeout`].
///
/// asyncio: `async with asyncio.timeout_at(when)`.
///
/// # Examples
///
/// ```
/// use std::future::pending;
/// use std::time::{Duration, Instant};
///
/// use tether::time::timeout_at;
///
/// tether::run(async {
///     let deadline = Instant::now() + Duration::from_millis(5);
///     let never = timeout_at(deadline, pending::<()>()).await;
///     assert!(never.is_err());
///     assert!(Instant::now() >= deadline);
/// });
/// ```
pub fn timeout_at<F: IntoFuture>(deadline: Instant, future: F) -> Timeout<F::IntoFuture> {
    Timeout::new(future.into_future(), Timer::At(deadline))
}

/// A future raced against a deadline: returned by [`timeout`] and
/// [`timeout_at`], which show it at work.
///
/// Each poll polls the future first, then the timer, made at the first
/// poll that found the future pending.
#[must_use = "futures do nothing unless polled"]
pub struct Timeout<F> {
    /// The future raced, pinned whenever the `Timeout` is (structural
    /// pinning): `poll` never moves it out nor hands it out unpinned, and
    /// `Timeout` has no `Drop` impl that could, nor an `Unpin` impl of its
    /// own (it is `Unpin` only when `F` is). The other fields are never
    /// pinned.
    future: F,
    /// When to give up: a deadline until the future was first found
    /// pending, then the timer. One field, so that a timeout that never
    /// waits writes only the deadline.
    timer: Timer,
}

/// When a timeout gives up.
enum Timer {
    /// This many nanoseconds after the future is first found pending.
    ///
    /// One word, not a `Duration`'s two: a timeout whose future is ready
    /// at once writes the tag and this word, and nothing else. With a
    /// duration the compiler cannot see (read from configuration, say),
    /// that took 4.10 ns where the `Duration` took 4.37
    /// (`tether-compare worker timer_cancel tether`, eight alternated runs
    /// of each build); with a constant one, 2.30 where it took 2.09. smol's
    /// idiom took 4.12 and 2.84 in the same runs.
    After(u64),
    /// At this instant.
    At(Instant),
    /// The timer, made at the first poll that found the future pending.
    Armed(Sleep),
}

impl<F> Timeout<F> {
    fn new(future: F, timer: Timer) -> Self {
        Self { future, timer }
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: pinning is structural for `future` alone (the field's doc).
        let (future, timer) = unsafe {
            let this = self.get_unchecked_mut();
            (Pin::new_unchecked(&mut this.future), &mut this.timer)
        };
        if let Poll::Ready(output) = future.poll(cx) {
            return Poll::Ready(Ok(output));
        }
        // Made at the first `Pending`: only then is there something to time.
        match *timer {
            Timer::Armed(_) => {}
            Timer::After(nanos) => *timer = Timer::Armed(sleep(Duration::from_nanos(nanos))),
            Timer::At(instant) => *timer = Timer::Armed(sleep_until(instant)),
        }
        let Timer::Armed(sleep) = timer else {
            unreachable!("armed above")
        };
        Pin::new(sleep).poll(cx).map(|()| Err(Elapsed(())))
    }
}

impl<F> fmt::Debug for Timeout<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timeout")
            .field("timer_armed", &matches!(self.timer, Timer::Armed(_)))
            .finish_non_exhaustive()
    }
}

/// The deadline of a [`timeout`] passed before its future finished.
///
/// asyncio: `TimeoutError`.
///
/// # Examples
///
/// ```
/// use std::io;
/// use std::time::Duration;
///
/// use tether::time::{Elapsed, timeout};
///
/// tether::run(async {
///     let never = std::future::pending::<()>();
///     let elapsed: Elapsed = timeout(Duration::from_millis(1), never).await.unwrap_err();
///     assert_eq!(elapsed.to_string(), "deadline has elapsed");
///     // In I/O code, `?` turns it into `TimedOut`.
///     assert_eq!(io::Error::from(elapsed).kind(), io::ErrorKind::TimedOut);
/// });
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Elapsed(());

impl fmt::Debug for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Elapsed")
    }
}

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("deadline has elapsed")
    }
}

impl std::error::Error for Elapsed {}

/// For I/O code: a timeout becomes `ErrorKind::TimedOut`.
impl From<Elapsed> for io::Error {
    fn from(elapsed: Elapsed) -> Self {
        io::Error::new(io::ErrorKind::TimedOut, elapsed)
    }
}

#[cfg(all(test, not(any(loom, shuttle))))]
mod tests {
    //! The duration a `timeout` keeps in nanoseconds until its timer is
    //! made: kept to the nanosecond, and a duration too long to fit never
    //! ends.

    use std::future::{Future, pending};
    use std::pin::pin;
    use std::task::{Context, Waker};
    use std::time::{Duration, Instant};

    use super::{Timer, timeout};
    use crate::Reactor;

    #[test]
    fn its_timer_ends_the_duration_after_its_first_pending_poll() {
        let reactor = Reactor::new().unwrap();
        let _current = reactor.enter();
        let duration = Duration::new(1, 500_000_007);
        let mut timed = pin!(timeout(duration, pending::<()>()));
        // Kept to the nanosecond until then.
        assert!(matches!(timed.timer, Timer::After(1_500_000_007)));
        let mut cx = Context::from_waker(Waker::noop());
        let before = Instant::now();
        assert!(timed.as_mut().poll(&mut cx).is_pending());
        let after = Instant::now();
        let Timer::Armed(sleep) = &timed.timer else {
            panic!("a pending poll makes the timer");
        };
        let deadline = sleep.deadline().unwrap();
        assert!(deadline >= before + duration && deadline <= after + duration);
    }

    #[test]
    fn a_duration_past_the_nanoseconds_a_word_holds_never_ends() {
        let reactor = Reactor::new().unwrap();
        let _current = reactor.enter();
        let centuries = Duration::from_secs(600 * 365 * 24 * 3600);
        for duration in [centuries, Duration::MAX] {
            let mut timed = pin!(timeout(duration, pending::<()>()));
            let mut cx = Context::from_waker(Waker::noop());
            assert!(timed.as_mut().poll(&mut cx).is_pending());
            assert!(timed.as_mut().poll(&mut cx).is_pending());
            let Timer::Armed(sleep) = &timed.timer else {
                panic!("a pending poll makes the timer");
            };
            assert_eq!(sleep.deadline(), None);
        }
        assert!(!reactor.has_timers());
    }
}
