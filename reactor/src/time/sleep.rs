//! `Sleep`: a future that completes at a deadline.

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::reactor::Reactor;
use crate::timer::TimerKey;

/// Waits until `duration` has passed.
///
/// asyncio: `await asyncio.sleep(seconds)`.
///
/// The deadline is fixed now, when `sleep` is called, not when the future is
/// first polled. `Duration::ZERO` completes on the first poll;
/// `Duration::MAX` never completes (and arms no timer).
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
/// # fn main() -> std::io::Result<()> {
/// let rt = tether::Runtime::new()?;
/// let start = Instant::now();
/// rt.block_on(tether::time::sleep(Duration::from_millis(10)));
/// assert!(start.elapsed() >= Duration::from_millis(10));
/// # Ok(())
/// # }
/// ```
pub fn sleep(duration: Duration) -> Sleep {
    Sleep {
        deadline: super::deadline_after(duration),
        timer: None,
    }
}

/// Waits until `deadline`.
///
/// asyncio: `await asyncio.sleep(deadline - loop.time())`.
///
/// A deadline in the past completes on the first poll.
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep {
        deadline: Some(deadline),
        timer: None,
    }
}

/// A future that completes at its deadline; see [`sleep`].
///
/// # Panics
///
/// Polling it while its deadline is still ahead panics if no tether loop
/// runs on this thread.
#[must_use = "futures do nothing unless polled"]
pub struct Sleep {
    /// When it completes; `None` for a deadline beyond what `Instant` holds.
    deadline: Option<Instant>,
    /// The armed timer, from the first `Pending` until it fires or is dropped.
    timer: Option<ArmedTimer>,
}

/// A timer in a reactor's wheel, owned by a `Sleep`.
struct ArmedTimer {
    /// The reactor whose wheel holds the timer.
    reactor: Rc<Reactor>,
    /// The timer's entry in that wheel.
    key: TimerKey,
}

impl Sleep {
    /// The deadline, or `None` if it lies beyond what an `Instant` can
    /// represent (the sleep never completes).
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// Whether the deadline has passed.
    pub fn is_elapsed(&self) -> bool {
        self.deadline
            .is_some_and(|deadline| deadline <= Instant::now())
    }

    /// Moves the deadline, disarming the current timer if there is one; the
    /// next poll arms a new one if needed.
    pub fn reset(&mut self, deadline: Instant) {
        self.disarm();
        self.deadline = Some(deadline);
    }

    fn disarm(&mut self) {
        if let Some(timer) = self.timer.take() {
            timer.reactor.timers().borrow_mut().cancel(timer.key);
        }
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let Some(deadline) = this.deadline else {
            // Beyond the end of time: pending forever, with nothing to arm.
            return Poll::Pending;
        };
        if let Some(timer) = &this.timer {
            // Armed: the wheel tells whether it fired. It fires only once the
            // loop's clock reached the deadline's tick (see `crate::timer`).
            if timer
                .reactor
                .timers()
                .borrow_mut()
                .set_waker(timer.key, cx.waker())
            {
                return Poll::Pending;
            }
            this.timer = None;
            return Poll::Ready(());
        }
        if deadline <= Instant::now() {
            return Poll::Ready(());
        }
        let reactor = Reactor::current().expect(
            "tether: a Sleep was polled outside a tether loop; \
             await it inside Runtime::block_on or a task",
        );
        let key = reactor
            .timers()
            .borrow_mut()
            .insert(deadline, cx.waker().clone());
        this.timer = Some(ArmedTimer { reactor, key });
        Poll::Pending
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        self.disarm();
    }
}

impl std::fmt::Debug for Sleep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sleep")
            .field("deadline", &self.deadline)
            .field("armed", &self.timer.is_some())
            .finish()
    }
}
