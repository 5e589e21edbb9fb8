//! `yield_now`: let the rest of the loop run.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Gives way to every other task that is ready, then continues.
///
/// asyncio: `await asyncio.sleep(0)`.
///
/// The task wakes itself and returns `Pending` once; the loop puts it at the
/// back of the ready queue, so it runs again in the next iteration, after
/// the timers and other threads have had their turn (I/O has its turn once
/// the loop has run `POLL_INTERVAL`, 31, tasks since its last poll).
///
/// # Examples
///
/// ```
/// use std::cell::Cell;
/// use std::rc::Rc;
///
/// tether::run(async {
///     let ran = Rc::new(Cell::new(false));
///     let flag = ran.clone();
///     let other = tether::spawn(async move { flag.set(true) });
///     assert!(!ran.get());
///     tether::yield_now().await; // the other task runs meanwhile
///     assert!(ran.get());
///     other.await.unwrap();
/// });
/// ```
pub fn yield_now() -> YieldNow {
    YieldNow { yielded: false }
}

/// The future of [`yield_now`].
///
/// # Examples
///
/// ```
/// tether::run(async {
///     let other = tether::spawn(async { "ran" });
///     let yielding: tether::YieldNow = tether::yield_now();
///     assert!(!other.is_finished()); // nothing ran before the await
///     yielding.await;
///     assert!(other.is_finished());
/// });
/// ```
#[derive(Debug)]
#[must_use = "futures do nothing unless polled"]
pub struct YieldNow {
    /// Whether it already returned `Pending` once.
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
