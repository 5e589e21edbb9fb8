//! `Sleep`: a future that completes at a deadline.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tether_bridge::sync;

use crate::reactor::Reactor;
use crate::timer::{self, TimerKey};

/// Waits until `duration` has passed.
///
/// asyncio: `await asyncio.sleep(seconds)`.
///
/// The deadline is fixed now, when `sleep` is called, not when the future is
/// first polled. `Duration::ZERO` is over from the start: it completes on
/// the first poll and arms no timer. `Duration::MAX` never completes (and
/// arms no timer either), nor does a deadline 292 years or more after the
/// thread's origin of time (the `Sleep`'s "Its deadline"). This reads the clock once; polling
/// never does.
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
    let now = sync::now();
    let origin = timer::origin(|| now);
    // The distance from the origin plus the duration, in nanoseconds: the
    // same deadline as `now + duration`, without building that `Instant`.
    let deadline = timer::nanos_from(origin, now).and_then(|now| {
        let duration = i64::try_from(duration.as_nanos()).ok()?;
        now.checked_add(duration)
    });
    // A zero sleep is over the moment it is made, and known to be.
    Sleep::new(deadline, duration.is_zero())
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
    Sleep::until(deadline, false)
}

/// A future that completes at its deadline; see [`sleep`].
///
/// # Panics
///
/// A poll panics if no tether loop runs on this thread, unless the sleep
/// is over or never will be: a zero [`sleep`] (over from the start), one
/// that returned `Ready` before, and one whose deadline never comes. A
/// deadline that has passed is no exception: its first poll arms a timer.
///
/// # Its deadline
///
/// A `Sleep` keeps its deadline as nanoseconds in an `i64`, counted from
/// its thread's origin of time (the first loop or sleep the thread made),
/// which is also how its loop's timers keep theirs: 24 bytes in all with
/// its timer's key, where an `Instant` alone takes 16. So a deadline 292
/// years or more after that origin never comes, and
/// [`deadline`](Sleep::deadline) says `None`; one more than 292 years
/// before it, which only arithmetic on instants can make, is kept as 292
/// years before.
///
/// # Its loop
///
/// A `Sleep` holds the key of its timer, not its loop: it stays on the
/// thread that made it (it is not `Send`), and each poll asks the loop
/// running there. Polled on another of the thread's loops than the one
/// its timer is on, it arms a timer on that loop, which wakes it at its
/// deadline. Dropped or [`reset`](Sleep::reset) where its loop is not
/// running (after the loop's `block_on` returned, or on another loop), it
/// cannot reach its timer: the timer stays there until its deadline, and
/// then wakes whoever polled the sleep last on that loop, which a future
/// must take in its stride, as it must any spurious wake (or goes with its
/// loop, if the loop is dropped first).
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
    /// When it completes, in nanoseconds from its thread's origin of time
    /// (`crate::timer::origin`), negative before it; the timers of the
    /// thread's loops keep their deadlines so.
    deadline: i64,
    /// Where it stands.
    state: State,
    /// Neither `Send` nor `Sync`: its deadline counts from its thread's
    /// origin.
    _thread: PhantomData<*const ()>,
}

/// The life of a `Sleep`.
enum State {
    /// Not polled yet (or reset): it holds no timer. (One it left where its
    /// loop was not running may still wait there: the type's "Its loop".)
    Unarmed,
    /// A timer is in the wheel of the loop that armed it, the first to
    /// poll it (or the latest, if another loop polled it since), until the
    /// timer fires or the `Sleep` is dropped or reset.
    Armed(TimerKey),
    /// The deadline has passed; every poll returns `Ready`.
    Done,
    /// The deadline lies beyond what an `Instant` holds, or `i64::MAX`
    /// nanoseconds (some 292 years) or more after the thread's origin:
    /// pending forever, with nothing to arm.
    Never,
}

// Twenty-four bytes: the deadline, the key and the state's tag (`TimerKey`
// says why the key is twelve). With an `Option<Instant>` (sixteen bytes,
// four of them padding) and the reactor besides, a `Sleep` took forty,
// and a task that sleeps 104 bytes, in glibc's 112-byte size class; it is
// 88 now, in the 96-byte class. On the 64-bit targets where it was
// measured:
#[cfg(target_pointer_width = "64")]
const _: () = assert!(size_of::<Sleep>() == 24);

impl Sleep {
    /// The deadline, or `None` if it lies beyond what an `Instant` can
    /// represent, or 292 years or more after the thread's origin of time
    /// (the type's "Its deadline"): the sleep never completes.
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
        if let State::Never = self.state {
            return None;
        }
        // The origin is set: this thread made the sleep.
        timer::instant_at(timer::origin(sync::now), self.deadline)
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
                .deadline()
                .is_some_and(|deadline| deadline <= sync::now())
    }

    /// Moves the deadline, disarming the current timer if there is one and
    /// its loop is running here (the type's "Its loop"); the next poll
    /// arms a new one if needed.
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
        (self.deadline, self.state) = Sleep::stand(from_origin(deadline), false);
    }

    /// A sleep until `deadline`, which has passed: over from the start,
    /// like a zero [`sleep`], so its first poll completes without asking
    /// the loop and it takes no place in the timers' order.
    pub(super) fn elapsed_at(deadline: Instant) -> Sleep {
        Sleep::until(deadline, true)
    }

    /// A sleep until `deadline`, over from the start if `over`.
    fn until(deadline: Instant, over: bool) -> Sleep {
        Sleep::new(from_origin(deadline), over)
    }

    /// A sleep until `deadline` nanoseconds from the thread's origin
    /// (`None`: never), over from the start if `over`.
    fn new(deadline: Option<i64>, over: bool) -> Sleep {
        let (deadline, state) = Sleep::stand(deadline, over);
        Sleep {
            deadline,
            state,
            _thread: PhantomData,
        }
    }

    /// The fields of a sleep until `deadline` (as for `new`) with no timer.
    /// A deadline of exactly [`timer::NEVER`], which `sleep`'s sum can
    /// land on, never comes either.
    fn stand(deadline: Option<i64>, over: bool) -> (i64, State) {
        match deadline {
            None | Some(timer::NEVER) => (timer::NEVER, State::Never),
            Some(deadline) if over => (deadline, State::Done),
            Some(deadline) => (deadline, State::Unarmed),
        }
    }

    /// Cancels its timer if it has one and its loop is running here (the
    /// type's "Its loop"); it stands unarmed after.
    fn disarm(&mut self) {
        if let State::Armed(key) = self.state {
            // Another loop's key names nothing in this loop's wheel.
            if let Some(reactor) = Reactor::current() {
                reactor.timers().borrow_mut().cancel(key);
            }
            self.state = State::Unarmed;
        }
    }
}

/// `deadline` in nanoseconds from this thread's origin of time, read from
/// the clock if the thread has none yet; `None` if it never comes.
fn from_origin(deadline: Instant) -> Option<i64> {
    timer::nanos_from(timer::origin(sync::now), deadline)
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        match this.state {
            State::Done => return Poll::Ready(()),
            // Beyond the end of time: pending forever, with nothing to arm.
            State::Never => return Poll::Pending,
            State::Unarmed | State::Armed(_) => {}
        }
        let reactor = Reactor::current().expect(
            "tether: a Sleep was polled outside a tether loop; \
             await it inside Runtime::block_on or a task",
        );
        let mut timers = reactor.timers().borrow_mut();
        let State::Armed(key) = &mut this.state else {
            // Armed even if the deadline has passed: the wheel takes it as
            // due at once, and the loop's next timer step wakes it in its
            // deadline's place among the timers due then (`crate::timer`,
            // "Order"). Completing here instead would let a late sleep
            // polled first end before an earlier deadline polled after it.
            let key = timers.insert_at(this.deadline, cx.waker().clone());
            this.state = State::Armed(key);
            return Poll::Pending;
        };
        // It fires only once the loop's clock reached the deadline's tick;
        // the timers tell whether that happened from the deadline alone
        // (`crate::timer`, "Knowing a timer fired"). If not, the wheel takes
        // the new waker, or arms a timer anew if the key is another loop's.
        let polled = timers.poll_timer(key, this.deadline, cx.waker());
        if polled.is_ready() {
            this.state = State::Done;
        }
        polled
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
            State::Armed(_) => "armed",
            State::Done => "done",
            State::Never => "never",
        };
        f.debug_struct("Sleep")
            .field("deadline", &self.deadline())
            .field("state", &state)
            .finish()
    }
}

#[cfg(all(test, not(any(loom, shuttle))))]
mod tests;
