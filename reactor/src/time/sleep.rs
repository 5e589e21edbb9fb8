//! `Sleep`: a future that completes at a deadline.

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tether_bridge::sync;

use crate::reactor::Reactor;
use crate::timer::TimerKey;

/// Waits until `duration` has passed.
///
/// asyncio: `await asyncio.sleep(seconds)`.
///
/// The deadline is fixed now, when `sleep` is called, not when the future is
/// first polled. `Duration::ZERO` is over from the start: it completes on
/// the first poll and arms no timer. `Duration::MAX` never completes (and
/// arms no timer either). This reads the clock once; polling never does.
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
        deadline: sync::now().checked_add(duration),
        // A zero sleep is over the moment it is made, and known to be.
        state: if duration.is_zero() {
            State::Done
        } else {
            State::Unarmed
        },
    }
}

/// Waits until `deadline`.
///
/// asyncio: `await asyncio.sleep(deadline - loop.time())`.
///
/// The first poll arms a timer even if the deadline has passed: the sleep
/// then completes in a later timer step of the loop (the next one, for a
/// deadline one tick, 100 µs, old or more), in its deadline's place among the timers
/// due then, so that sleeps complete in deadline order
/// ([`time`](crate::time), "Guarantees").
///
/// # Examples
///
/// ```
/// use std::cell::RefCell;
/// use std::rc::Rc;
/// use std::time::{Duration, Instant};
///
/// use tether::time::sleep_until;
///
/// tether::run(async {
///     let deadline = Instant::now() + Duration::from_millis(5);
///     sleep_until(deadline).await;
///     assert!(Instant::now() >= deadline);
///
///     // Two deadlines that have passed: the earlier one ends first,
///     // although its task was spawned second.
///     let order = Rc::new(RefCell::new(Vec::new()));
///     let now = Instant::now();
///     let ends = |name, deadline| {
///         let order = order.clone();
///         tether::spawn(async move {
///             sleep_until(deadline).await;
///             order.borrow_mut().push(name);
///         })
///     };
///     let a = ends("a", now - Duration::from_millis(1));
///     let b = ends("b", now - Duration::from_millis(2));
///     a.await.unwrap();
///     b.await.unwrap();
///     assert_eq!(*order.borrow(), ["b", "a"]);
/// });
/// ```
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep {
        deadline: Some(deadline),
        state: State::Unarmed,
    }
}

/// A future that completes at its deadline; see [`sleep`].
///
/// # Panics
///
/// A poll that has to consult the loop panics if no tether loop runs on
/// this thread: the first poll, and the first after a
/// [`reset`](Sleep::reset), of any sleep but a zero [`sleep`] (over from the
/// start) and one whose deadline lies beyond what an `Instant` holds (never
/// over). A deadline that has passed is no exception: it arms a timer.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
///
/// use tether::time::{Sleep, sleep};
///
/// tether::run(async {
///     let timer: Sleep = sleep(Duration::from_millis(2));
///     let deadline = timer.deadline().unwrap();
///     timer.await;
///     assert!(Instant::now() >= deadline);
/// });
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct Sleep {
    /// When it completes; `None` for a deadline beyond what `Instant` holds.
    deadline: Option<Instant>,
    /// Where it stands.
    state: State,
}

/// The life of a `Sleep`.
enum State {
    /// Not polled yet (or reset): no timer.
    Unarmed,
    /// A timer is in the wheel, from the first poll until it fires or the
    /// `Sleep` is dropped or reset. The fields sit in the variant, not in
    /// a struct of their own, so that the tag fits beside the key
    /// (`TimerKey` says why that matters).
    Armed {
        /// The reactor whose wheel holds the timer.
        reactor: Rc<Reactor>,
        /// The timer's entry in that wheel.
        key: TimerKey,
    },
    /// The deadline has passed; every poll returns `Ready`.
    Done,
}

impl Sleep {
    /// The deadline, or `None` if it lies beyond what an `Instant` can
    /// represent (the sleep never completes).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// use tether::time::sleep;
    ///
    /// let before = Instant::now();
    /// let timer = sleep(Duration::from_millis(5));
    /// assert!(timer.deadline().unwrap() >= before + Duration::from_millis(5));
    /// // Beyond what an `Instant` holds: no deadline, never over.
    /// assert_eq!(sleep(Duration::MAX).deadline(), None);
    /// ```
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// Whether the deadline has passed.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// use tether::time::sleep;
    ///
    /// assert!(!sleep(Duration::from_secs(60)).is_elapsed());
    /// assert!(sleep(Duration::ZERO).is_elapsed());
    /// tether::run(async {
    ///     let mut timer = sleep(Duration::from_millis(1));
    ///     (&mut timer).await;
    ///     assert!(timer.is_elapsed());
    /// });
    /// ```
    pub fn is_elapsed(&self) -> bool {
        matches!(self.state, State::Done)
            || self
                .deadline
                .is_some_and(|deadline| deadline <= sync::now())
    }

    /// Moves the deadline, disarming the current timer if there is one; the
    /// next poll arms a new one if needed.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::{Future, poll_fn};
    /// use std::pin::Pin;
    /// use std::task::Poll;
    /// use std::time::{Duration, Instant};
    ///
    /// use tether::time::sleep;
    ///
    /// tether::run(async {
    ///     let mut timer = sleep(Duration::from_secs(3600));
    ///     // Its first poll arms an hour-long timer...
    ///     let first = poll_fn(|cx| Poll::Ready(Pin::new(&mut timer).poll(cx))).await;
    ///     assert!(first.is_pending());
    ///     // ...which the reset replaces with a short one.
    ///     let deadline = Instant::now() + Duration::from_millis(2);
    ///     timer.reset(deadline);
    ///     timer.await;
    ///     assert!(Instant::now() >= deadline);
    /// });
    /// ```
    pub fn reset(&mut self, deadline: Instant) {
        self.disarm();
        self.deadline = Some(deadline);
        self.state = State::Unarmed;
    }

    /// A sleep until `deadline`, which has passed: over from the start,
    /// like a zero [`sleep`], so its first poll completes without asking
    /// the loop and it takes no place in the timers' order.
    pub(super) fn elapsed_at(deadline: Instant) -> Sleep {
        Sleep {
            deadline: Some(deadline),
            state: State::Done,
        }
    }

    fn disarm(&mut self) {
        if let State::Armed { reactor, key } = &self.state {
            reactor.timers().borrow_mut().cancel(*key);
            self.state = State::Unarmed;
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
        match &this.state {
            State::Done => Poll::Ready(()),
            State::Armed { reactor, key } => {
                // It fires only once the loop's clock reached the
                // deadline's tick; the timers tell whether that happened
                // from the deadline alone (`crate::timer`, "Knowing a timer
                // fired"). If not, the wheel takes the new waker.
                let polled = reactor
                    .timers()
                    .borrow_mut()
                    .poll_timer(*key, deadline, cx.waker());
                if polled.is_ready() {
                    this.state = State::Done;
                }
                polled
            }
            State::Unarmed => {
                let reactor = Reactor::current().expect(
                    "tether: a Sleep was polled outside a tether loop; \
                     await it inside Runtime::block_on or a task",
                );
                // Armed even if the deadline has passed: the wheel takes it
                // as due at once, and the loop's next timer step wakes it in
                // its deadline's place among the timers due then
                // (`crate::timer`, "Order"). Completing here instead would
                // let a late sleep polled first end before an earlier
                // deadline polled after it.
                let key = reactor
                    .timers()
                    .borrow_mut()
                    .insert(deadline, cx.waker().clone());
                this.state = State::Armed { reactor, key };
                Poll::Pending
            }
        }
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        self.disarm();
    }
}

impl std::fmt::Debug for Sleep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = match self.state {
            State::Unarmed => "unarmed",
            State::Armed { .. } => "armed",
            State::Done => "done",
        };
        f.debug_struct("Sleep")
            .field("deadline", &self.deadline)
            .field("state", &state)
            .finish()
    }
}

// The size the state's layout is for (`TimerKey` says why), on the 64-bit
// targets where it was measured.
#[cfg(target_pointer_width = "64")]
const _: () = assert!(size_of::<Sleep>() == 40);
