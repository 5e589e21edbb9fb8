//! The error of a submission to a loop that has shut down.
//!
//! # Examples
//!
//! ```
//! use std::collections::VecDeque;
//! use tether_bridge::{Closed, Inject};
//! # use tether_bridge::test_double::Eventfd;
//!
//! let inject = Inject::<String, _>::new(Eventfd::new());
//! inject.close(&mut VecDeque::new());
//! match inject.push(String::from("late")) {
//!     Err(Closed(item)) => assert_eq!(item, "late"),
//!     Ok(()) => panic!("a closed queue took an item"),
//! }
//! ```

use std::fmt;

/// The loop this was submitted to is closed; the submission is handed back.
///
/// Returned when work handed over from outside a loop finds it gone (or,
/// from `BlockingPool::spawn`, when the OS refused the thread that would
/// run it): by
/// [`Inject::push`](crate::Inject::push) and
/// [`BlockingPool::spawn`](crate::BlockingPool::spawn) here, and by the
/// runtime's `Handle::call_soon` and `Handle::spawn` built on them (asyncio
/// raises `RuntimeError: Event loop is closed` instead). Nothing is dropped
/// on the way: the closure or future is inside, so the caller can run it
/// elsewhere, or drop it knowingly.
///
/// # Examples
///
/// A job refused by a pool that has shut down, run by the caller instead.
///
/// ```
/// use std::sync::mpsc;
/// use std::time::Duration;
/// # use tether_bridge::{BlockingPool, PoolConfig};
/// # let pool = BlockingPool::new(PoolConfig {
/// #     max_threads: None,
/// #     cpu_count: PoolConfig::std_cpu_count,
/// #     keep_alive: Duration::from_secs(60),
/// #     thread_name: "tether-blocking".into(),
/// # });
///
/// pool.shutdown(Duration::ZERO);
/// let (tx, rx) = mpsc::channel();
/// let err = pool.spawn(Box::new(move || tx.send("ran anyway").unwrap())).unwrap_err();
/// assert_eq!(err.to_string(), "the loop is closed");
/// assert_eq!(format!("{err:?}"), "Closed(..)"); // no `Debug` needed from a closure
/// let job = err.into_inner(); // the same as `let Closed(job) = err;`
/// job();
/// assert_eq!(rx.recv(), Ok("ran anyway"));
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Closed<T>(pub T);

impl<T> Closed<T> {
    /// Takes the submission back; shown in [`Closed`'s example](Closed#examples).
    pub fn into_inner(self) -> T {
        self.0
    }
}

// Not derived: `Debug` must not require `T: Debug`, since `T` is usually a
// closure or a future.
impl<T> fmt::Debug for Closed<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Closed(..)")
    }
}

impl<T> fmt::Display for Closed<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the loop is closed")
    }
}

impl<T> std::error::Error for Closed<T> {}
