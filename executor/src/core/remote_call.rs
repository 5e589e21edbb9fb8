//! `RemoteCall`: a closure from another thread, on its way to the ready
//! queue.
//!
//! [`Handle::call_soon`](crate::Handle::call_soon) sends one; the loop
//! takes it from the injection queue in step 4 and calls it in its FIFO
//! place in step 6. It is not a task (see `local/callback.rs` for why):
//! nothing can cancel it, it has no id, and a panic in it goes to the
//! exception handler as a callback's. Debug mode sends it with the place
//! it was submitted from, for a slow run's report.

use std::any::Any;
use std::panic::Location;

/// A closure sent from another thread with `Handle::call_soon`, on its way
/// to the loop's ready queue. It is not a task: it runs once, in its FIFO
/// place, and a panic goes to the exception handler with no task id.
pub(crate) struct RemoteCall(Box<dyn SendCall>);

impl RemoteCall {
    pub(crate) fn new<F: FnOnce() + Send + 'static>(f: F) -> Self {
        Self(Box::new(f))
    }

    /// A callback that knows where it was submitted, for debug mode's
    /// warnings. It costs the box a word, and a closure that captures
    /// nothing an allocation, so only debug mode makes these.
    pub(crate) fn located<F: FnOnce() + Send + 'static>(
        f: F,
        called_at: &'static Location<'static>,
    ) -> Self {
        Self(Box::new(Located { f, called_at }))
    }

    /// Where the callback was submitted, if it was made `located`.
    pub(crate) fn location(&self) -> Option<&'static Location<'static>> {
        self.0.location()
    }

    /// Calls the closure. Loop thread.
    pub(crate) fn call(self) {
        self.0.call();
    }

    /// The closure back, as the type it was sent as: for a submission the
    /// loop refused.
    pub(crate) fn into_inner<F: FnOnce() + Send + 'static>(self) -> F {
        let any = self.0.into_any();
        let any = match any.downcast::<Located<F>>() {
            Ok(located) => return located.f,
            Err(any) => any,
        };
        match any.downcast::<F>() {
            Ok(f) => *f,
            Err(_) => unreachable!("a RemoteCall handed back as another type"),
        }
    }
}

impl std::fmt::Debug for RemoteCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RemoteCall(..)")
    }
}

/// A `Send` closure that can be called through a box, or unboxed again.
trait SendCall: Send {
    fn call(self: Box<Self>);
    fn into_any(self: Box<Self>) -> Box<dyn Any>;
    fn location(&self) -> Option<&'static Location<'static>> {
        None
    }
}

/// A closure and where it was submitted (debug mode).
struct Located<F> {
    f: F,
    called_at: &'static Location<'static>,
}

impl<F: FnOnce() + Send + 'static> SendCall for Located<F> {
    fn call(self: Box<Self>) {
        (self.f)();
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }

    fn location(&self) -> Option<&'static Location<'static>> {
        Some(self.called_at)
    }
}

impl<F: FnOnce() + Send + 'static> SendCall for F {
    fn call(self: Box<Self>) {
        (*self)();
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}
