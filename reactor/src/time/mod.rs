//! Time: sleeping, deadlines and periodic ticks, on the loop's timer wheel.
//!
//! asyncio's `sleep`, `wait_for` / `timeout`, and the periodic loop people
//! write around `sleep`, for tether's loop thread:
//!
//! | tether | asyncio |
//! |--------|---------|
//! | [`sleep`](fn@sleep), [`sleep_until`] | `asyncio.sleep` |
//! | [`timeout`](fn@timeout), [`timeout_at`] | `asyncio.wait_for`, `asyncio.timeout` |
//! | [`interval`](fn@interval), [`interval_at`] | a `while True: ...; await asyncio.sleep(p)` loop, without the drift |
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
//!   (1 ms) plus however long the loop takes to come around.
//! - **Registered on first poll.** Creating a [`Sleep`] touches nothing; the
//!   first poll that finds the deadline in the future arms a timer, and
//!   dropping the `Sleep` disarms it. A [`timeout`](fn@timeout) around a future that is
//!   ready at once never arms one.
//! - **Any duration.** A zero `sleep` completes on its first poll, and so
//!   does a deadline at or before the loop's latest clock reading; one that
//!   passed only since then arms a timer, which fires once the clock
//!   reaches the deadline's 1 ms tick (at most one tick later). A duration too
//!   large for an `Instant` (`Duration::MAX`) never elapses and arms no
//!   timer. Nothing overflows or panics.
//! - **One clock read.** `sleep` reads the clock once, to fix its deadline;
//!   polls compare with the loop's own reading, taken once per iteration
//!   while a timer is pending.
//! - **Loop thread.** Timers belong to the loop that polls them: a poll of
//!   a `Sleep` that has to consult the loop (see [`Sleep`]'s panics) panics
//!   outside a tether loop, with a message saying so.

mod interval;
mod sleep;
mod timeout;

pub use interval::{Interval, MissedTickBehavior, interval, interval_at};
pub use sleep::{Sleep, sleep, sleep_until};
pub use timeout::{Elapsed, timeout, timeout_at};
