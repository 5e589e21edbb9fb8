//! `Maker`: the future of a `spawn_with`, which builds the real one on the
//! loop thread.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Builds its future with `make` on its first poll, then polls that.
///
/// The task of `Handle::spawn_with` runs one: the closure crosses threads
/// (it is `Send`), the future it makes need not (it is made on the loop
/// thread). The made future is boxed, so that polling it needs no pin
/// projection: the task of `spawn_with` costs two allocations where that of
/// `spawn` costs one.
pub(crate) struct Maker<M, F> {
    /// Where the maker stands.
    state: MakerState<M, F>,
}

/// The two states of a `Maker`.
enum MakerState<M, F> {
    /// Not polled yet: the closure that makes the future. `None` only while
    /// the closure runs (if it panics, the task completes as panicked and
    /// this is never polled again).
    Unmade(Option<M>),
    /// Made, on the loop thread.
    Made(Pin<Box<F>>),
}

impl<M, F> Maker<M, F> {
    /// A maker in its first state: the only way to build one, which is what
    /// `allocate_maker`'s safety argument relies on.
    pub(crate) fn new(make: M) -> Self {
        Self {
            state: MakerState::Unmade(Some(make)),
        }
    }

    /// The closure back, from a maker that was never polled.
    pub(crate) fn into_make(self) -> M {
        match self.state {
            MakerState::Unmade(Some(make)) => make,
            _ => unreachable!("a Maker handed back after its first poll"),
        }
    }
}

// Neither state is pinned structurally: the closure is moved out by value,
// and the made future lives in its own box.
impl<M, F> Unpin for Maker<M, F> {}

impl<M: FnOnce() -> F, F: Future> Future for Maker<M, F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.get_mut();
        if let MakerState::Unmade(make) = &mut this.state {
            let make = make
                .take()
                .expect("a Maker polled after its maker panicked");
            this.state = MakerState::Made(Box::pin(make()));
        }
        let MakerState::Made(future) = &mut this.state else {
            unreachable!("made just above");
        };
        future.as_mut().poll(cx)
    }
}
