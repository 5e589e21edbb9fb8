//! `Completer`: a future that any thread completes.

use std::fmt;

use tether_bridge::Completion;
use tether_bridge::sync::Arc;

use super::thread_future::{Outcome, ThreadFuture};
use crate::task::JoinError;

/// The completing half of a [`ThreadFuture`] that no task or job produces:
/// code on any thread (a worker thread of the program's own, a callback of
/// another library) hands its result to whoever awaits or waits for it.
///
/// asyncio: `loop.create_future()` and `fut.set_result(v)` through
/// `call_soon_threadsafe`, or `asyncio.wrap_future` around a
/// `concurrent.futures.Future` a pool of the program's own completes.
///
/// [`Completer::pair`] makes the two halves. The `ThreadFuture` is awaited
/// on any loop, or waited for by a thread; the `Completer` is `Send`, and
/// [`complete`](Completer::complete) sets the value once. Dropping the
/// completer without completing resolves the future as
/// [`JoinError::Cancelled`]; cancelling the future
/// ([`ThreadFuture::cancel`]) makes `complete` hand the value back, and
/// the completer can ask whether that happened
/// ([`is_cancelled`](Completer::is_cancelled)) before doing the work.
///
/// # Examples
///
/// ```
/// use tether::Completer;
///
/// let (completer, answer) = Completer::pair();
/// // A thread of the program's own does the work.
/// let worker = std::thread::spawn(move || {
///     assert!(!completer.is_cancelled());
///     completer.complete(6 * 7).unwrap();
/// });
/// let answer = tether::run(async { answer.await.unwrap() });
/// assert_eq!(answer, 42);
/// worker.join().unwrap();
///
/// // Cancelled: the completer sees it, and gets its value back.
/// let (completer, unwanted) = Completer::<u32>::pair();
/// assert!(unwanted.cancel());
/// assert!(completer.is_cancelled());
/// assert_eq!(completer.complete(7), Err(7));
/// assert!(unwanted.wait().unwrap_err().is_cancelled());
///
/// // Dropped without a value: the future resolves as cancelled.
/// let (completer, orphan) = Completer::<u32>::pair();
/// drop(completer);
/// assert!(orphan.wait().unwrap_err().is_cancelled());
/// ```
pub struct Completer<T> {
    /// The cell the `ThreadFuture` waits on; `None` once completed.
    cell: Option<Arc<Completion<Outcome<T>>>>,
}

impl<T: Send + 'static> Completer<T> {
    /// A completer, and the `ThreadFuture` it completes. Shown in
    /// [`Completer`'s example](Completer#examples).
    pub fn pair() -> (Completer<T>, ThreadFuture<T>) {
        let cell = Arc::new(Completion::new());
        let future = ThreadFuture::for_completer(cell.clone());
        (Completer { cell: Some(cell) }, future)
    }
}

impl<T> Completer<T> {
    /// Sets the future's value, and wakes whoever waits for it.
    ///
    /// asyncio: `future.set_result(value)`.
    ///
    /// # Errors
    ///
    /// If the future was cancelled first, `value` comes back. Shown in
    /// [`Completer`'s example](Completer#examples).
    pub fn complete(mut self, value: T) -> Result<(), T> {
        let cell = self.cell.take().expect("a Completer completes once");
        cell.complete(Ok(value)).map_err(|refused| match refused {
            Ok(value) => value,
            Err(_) => unreachable!("the cell hands back what it was given"),
        })
    }

    /// Whether the future was cancelled, so that the value is no longer
    /// wanted. Shown in [`Completer`'s example](Completer#examples).
    ///
    /// asyncio: `future.cancelled()`.
    pub fn is_cancelled(&self) -> bool {
        // Only this completer or a cancel resolves the cell, and this one
        // has not: resolved means cancelled.
        self.cell.as_ref().is_some_and(|cell| cell.is_resolved())
    }
}

impl<T> Drop for Completer<T> {
    fn drop(&mut self) {
        if let Some(cell) = self.cell.take() {
            // A no-op if the future was cancelled first.
            let _ = cell.complete(Err(JoinError::Cancelled));
        }
    }
}

impl<T> fmt::Debug for Completer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Completer")
            .field("cancelled", &self.is_cancelled())
            .finish()
    }
}
