//! `SendSleep`: a sleep that other threads may hold, for libraries whose
//! timers must be `Send + Sync`.

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tether_bridge::sync;

use crate::reactor::{Reactor, ReactorId};
use crate::timer::{NEVER, TimerKey};

/// A [`Sleep`](super::Sleep) that is `Send + Sync`: what a library's timer
/// trait asks for, such as hyper's `rt::Timer`, whose sleeps must be.
///
/// A `Sleep` keeps its deadline in its thread's time, and finds its timer
/// through the loop running on its thread, so it must stay there; a
/// `SendSleep` keeps its deadline as an `Instant`, and holds the name of
/// the reactor that armed its timer and the timer's key in that reactor's
/// wheel, so moving one to another thread is harmless. It
/// still works only on its loop: its first poll arms a timer on the loop
/// it is polled on, and every later poll must come from that loop's
/// thread, as a hyper connection's do (it runs as a task of the loop).
///
/// Dropped on its loop's thread, with its loop running there, it disarms
/// its timer, as a `Sleep` does. Dropped anywhere else (another thread, or
/// its loop's thread while that loop is not running or another loop is),
/// it cannot reach the wheel: its timer stays there until its deadline,
/// and then wakes whoever polled it last, which a future must take in its
/// stride, as it must any spurious wake (or goes with its loop, if the
/// loop is dropped first).
///
/// Its deadline is set when it is made (as for `sleep`). A `None`
/// deadline, beyond what an `Instant` can hold, never comes, nor does one
/// 292 years or more after its loop's thread's origin of time (as for a
/// [`Sleep`](super::Sleep)): neither arms a timer.
///
/// # Panics
///
/// A poll panics outside a tether loop, or on a loop other than the one its
/// first poll armed it on, unless the sleep is over (a zero
/// [`after`](SendSleep::after), or one that returned `Ready`) or never
/// will be: elsewhere it cannot arm a timer or ask for its timer.
///
/// # Examples
///
/// A sleep handed to code that wants `Send + Sync` futures:
///
/// ```
/// use std::future::Future;
/// use std::pin::Pin;
/// use std::time::{Duration, Instant};
///
/// use tether::time::SendSleep;
///
/// fn timer(deadline: Instant) -> Pin<Box<dyn Future<Output = ()> + Send + Sync>> {
///     Box::pin(SendSleep::until(deadline))
/// }
///
/// tether::run(async {
///     let start = Instant::now();
///     timer(start + Duration::from_millis(5)).await;
///     assert!(start.elapsed() >= Duration::from_millis(5));
/// });
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct SendSleep {
    /// When it is over; `None` beyond what an `Instant` can hold.
    deadline: Option<Instant>,
    /// Where it stands.
    state: State,
}

/// The life of a `SendSleep`.
enum State {
    /// Not polled yet: no timer.
    Unarmed,
    /// A timer is in the wheel of the reactor named, from the first poll
    /// until it fires, or the `SendSleep` is dropped.
    Armed {
        /// The reactor whose wheel holds the timer.
        reactor: ReactorId,
        /// The timer's entry in that wheel.
        key: TimerKey,
        /// The deadline as that reactor's timers keep it: nanoseconds from
        /// their origin.
        at: i64,
    },
    /// The deadline has passed; every poll returns `Ready`.
    Done,
    /// The deadline lies 292 years or more after the origin of time of the
    /// loop that polled it (`crate::timer::NEVER`): pending forever, with
    /// nothing armed.
    Never,
}

impl SendSleep {
    /// A sleep until `deadline`.
    ///
    /// asyncio: `await asyncio.sleep(deadline - loop.time())`. Shown in
    /// [`SendSleep`'s example](SendSleep#examples).
    pub fn until(deadline: Instant) -> SendSleep {
        SendSleep {
            deadline: Some(deadline),
            state: State::Unarmed,
        }
    }

    /// A sleep of `duration`, counted from now.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// tether::run(async {
    ///     let start = Instant::now();
    ///     tether::time::SendSleep::after(Duration::from_millis(2)).await;
    ///     assert!(start.elapsed() >= Duration::from_millis(2));
    /// });
    /// ```
    pub fn after(duration: Duration) -> SendSleep {
        SendSleep {
            deadline: sync::now().checked_add(duration),
            // As for `sleep`: a zero sleep is over the moment it is made.
            state: if duration.is_zero() {
                State::Done
            } else {
                State::Unarmed
            },
        }
    }

    /// The deadline, or `None` if it lies beyond what an `Instant` can
    /// represent (the sleep never completes).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// let deadline = Instant::now() + Duration::from_secs(1);
    /// assert_eq!(tether::time::SendSleep::until(deadline).deadline(), Some(deadline));
    /// ```
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }
}

impl Future for SendSleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let Some(deadline) = this.deadline else {
            // Beyond the end of time: pending forever, with nothing to arm.
            return Poll::Pending;
        };
        match &mut this.state {
            State::Done => Poll::Ready(()),
            State::Never => Poll::Pending,
            State::Armed {
                reactor: armed_on,
                key,
                at,
            } => {
                let reactor = current_reactor();
                assert!(
                    armed_on == reactor.id(),
                    "tether: a SendSleep was polled on a loop other than its own"
                );
                // As in `Sleep::poll`: the timers tell whether it fired.
                let polled = reactor
                    .timers()
                    .borrow_mut()
                    .poll_timer(key, *at, cx.waker());
                if polled.is_ready() {
                    this.state = State::Done;
                }
                polled
            }
            State::Unarmed => {
                // Armed even if the deadline has passed, as a `Sleep` is, so
                // that sleeps complete in deadline order.
                let reactor = current_reactor();
                let mut timers = reactor.timers().borrow_mut();
                let at = timers.nanos_at(deadline);
                if at == NEVER {
                    this.state = State::Never;
                    return Poll::Pending;
                }
                let key = timers.insert_at(at, cx.waker().clone());
                drop(timers);
                this.state = State::Armed {
                    reactor: reactor.id().clone(),
                    key,
                    at,
                };
                Poll::Pending
            }
        }
    }
}

/// The reactor of the loop polling a `SendSleep`.
///
/// # Panics
///
/// Outside a tether loop.
fn current_reactor() -> Rc<Reactor> {
    Reactor::current().expect(
        "tether: a SendSleep was polled outside a tether loop; \
         await it inside Runtime::block_on or a task",
    )
}

impl Drop for SendSleep {
    fn drop(&mut self) {
        let State::Armed { reactor, key, .. } = &self.state else {
            return;
        };
        // Only on its loop's thread, with its loop running there, can it
        // reach its wheel; elsewhere the timer fires unheeded (the type's
        // docs).
        if let Some(current) = Reactor::current().filter(|current| current.id() == reactor) {
            current.timers().borrow_mut().cancel(*key);
        }
    }
}

impl std::fmt::Debug for SendSleep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = match self.state {
            State::Unarmed => "unarmed",
            State::Armed { .. } => "armed",
            State::Done => "done",
            State::Never => "never",
        };
        f.debug_struct("SendSleep")
            .field("deadline", &self.deadline)
            .field("state", &state)
            .finish()
    }
}

// What the type is for.
const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<SendSleep>();
};

#[cfg(all(test, not(any(loom, shuttle))))]
mod tests;
