//! The error of a submission to a loop that has shut down.

use std::fmt;

/// The loop this was submitted to is closed; the submission is handed back.
///
/// Returned by every operation that hands work to a loop from outside it
/// (asyncio raises `RuntimeError: Event loop is closed` instead, and loses
/// the callback). Nothing is dropped on the way: the closure or future is
/// inside, so the caller can run it elsewhere, or drop it knowingly.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Closed<T>(pub T);

impl<T> Closed<T> {
    /// Takes the submission back.
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
