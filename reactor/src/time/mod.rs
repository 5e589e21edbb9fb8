//! Time: sleeping, deadlines and periodic ticks, on the loop's timer wheel.
//!
//! asyncio's `sleep`, `wait_for` / `timeout`, and the periodic loop people
//! write around `sleep`, for tether's loop thread:
//!
//! | tether | asyncio |
//! |--------|---------|
//! | [`sleep`](fn@sleep), [`sleep_until`] | `asyncio.sleep` |
//! | [`SendSleep`] | the same, for a library whose timers must be `Send + Sync` (hyper's `rt::Timer`) |
//! | [`timeout`](fn@timeout), [`timeout_at`] | `asyncio.wait_for`, `asyncio.timeout` |
//! | [`interval`](fn@interval), [`interval_at`] | a `while True: ...; await asyncio.sleep(p)` loop, without the drift |
//! | [`now`] | `loop.time()` |
//!
//! ```
//! use std::future::pending;
//! use std::time::{Duration, Instant};
//!
//! use tether::time::{sleep, timeout};
//!
//! tether::run(async {
//!     let start = Instant::now();
//!     sleep(Duration::from_millis(1)).await;
//!     assert!(start.elapsed() >= Duration::from_millis(1));
//!     // A future that never finishes, given up on after 1 ms.
//!     let never = timeout(Duration::from_millis(1), pending::<()>()).await;
//!     assert!(never.is_err());
//! });
//! ```
//!
//! # Guarantees
//!
//! - **Never early.** A timer completes only once `Instant::now()` has
//!   reached its deadline. It may be late by up to one tick of the wheel
//!   (100 µs) plus however long the loop takes to come around.
//! - **Deadline order.** Each iteration's timer step (step 5 of the loop)
//!   wakes every armed timer whose deadline, rounded up to its 100 µs tick,
//!   the loop's clock has reached, in order of their exact deadlines, and
//!   equal deadlines in the order they were armed. A timer armed after its
//!   deadline has passed keeps the rule: it wakes in the first timer step
//!   that comes after it was armed and has reached its tick (for a deadline
//!   one tick old or more, the very next one), in its deadline's place. So, as
//!   in asyncio, which moves every timer that is due from its heap to the
//!   ready queue, earliest first, timers that are due together wake
//!   earliest deadline first (asyncio leaves ties undefined). A timer takes
//!   its place when it is armed: at the first poll of its `Sleep` (after a
//!   `reset`, its next poll; on another of the thread's loops, its first
//!   poll there, unless that loop's timer steps have passed its deadline
//!   already: then it is done at that poll, ahead of that loop's timers
//!   due but not yet fired).
//! - **Registered on first poll.** Creating a [`Sleep`] touches no loop; its
//!   first poll arms a timer, even if the deadline has passed, and dropping
//!   the `Sleep` while its loop runs disarms it ([`Sleep`], "Its loop"). A
//!   [`timeout`](fn@timeout) around a future that is ready at once never
//!   arms one.
//! - **Any duration.** A zero `sleep` is over from the start: it completes
//!   on its first poll, arms no timer, and takes no place in the order
//!   above; so is an [`Interval`]'s tick whose time has come when it is
//!   scheduled (the first, if its start has come, or a missed one that
//!   `Burst` catches up on). A deadline too far for an `Instant`
//!   (`Duration::MAX`), or 292 years or more after the thread's origin of
//!   time (the first loop or sleep it made), never comes and arms no timer.
//!   Nothing overflows or panics.
//! - **One clock read.** `sleep` reads the clock once, to fix its deadline;
//!   `sleep_until` not at all, but on a thread that has made neither a loop
//!   nor a sleep, where it reads it once for the thread's origin of time.
//!   Polls never read it. The wheel decides
//!   against the loop's own reading, taken once per iteration while a
//!   timer is pending.
//! - **Loop thread.** Timers belong to the loop that polls them: a poll of
//!   a `Sleep` that has to consult the loop (see [`Sleep`]'s panics) panics
//!   outside a tether loop, with a message saying so.

mod clock;
mod interval;
mod send_sleep;
mod sleep;
mod timeout;

pub use clock::now;
pub use interval::{Interval, MissedTickBehavior, interval, interval_at};
pub use send_sleep::SendSleep;
pub use sleep::{Sleep, sleep, sleep_until};
pub use timeout::{Elapsed, Timeout, timeout, timeout_at};
