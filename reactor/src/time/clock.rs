//! `now`: the loop's clock.

use std::time::Instant;

use crate::reactor::Reactor;

/// The loop's clock: the time now, on the clock the loop's timers run on,
/// which the loop also keeps as its latest reading.
///
/// asyncio: `loop.time()`.
///
/// tether's timers take `Instant`s, so `Instant::now()` is the same clock;
/// this reads it through the loop, so that the reading the loop keeps
/// ([`Reactor::now`](crate::Reactor::now)) is this one from then on. It
/// never goes back, and a deadline computed from it never fires early.
/// (In a model checker's build the loop's clock is a model clock,
/// `tether_bridge::sync::now`, and a model computes its deadlines from
/// this function, not from `Instant::now()`.)
///
/// # Panics
///
/// Panics outside a tether loop.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// tether::run(async {
///     let start = tether::time::now();
///     tether::time::sleep(Duration::from_millis(2)).await;
///     let later = tether::time::now();
///     assert!(later >= start + Duration::from_millis(2));
/// });
/// ```
pub fn now() -> Instant {
    let reactor = Reactor::current().expect(
        "tether: time::now() called outside a tether loop; use std::time::Instant::now() \
         there, which is the same clock",
    );
    reactor.read_clock()
}
