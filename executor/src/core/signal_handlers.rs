//! The loop's signal handlers (`add_signal_handler`), by signal.
//!
//! A handler is a `Signal` subscription and a task that calls the callback
//! back, both made in `local/signal_handler.rs`. The core keeps only, for
//! each signal, how to remove its handler: so that adding a handler for a
//! signal replaces the one it had (asyncio does the same), removing one
//! finds it, and shutdown removes them all while the loop is still
//! current, each putting back its signal's disposition if it was the
//! signal's last subscriber in the process. Without the `signal` feature,
//! only the shutdown's call is left, and it does nothing.

use super::Core;

/// Removes one signal handler: drops its subscription and cancels its task.
#[cfg(feature = "signal")]
pub(crate) type RemoveHandler = Box<dyn FnOnce()>;

/// For each signal with a handler on this loop, how to remove it.
#[cfg(feature = "signal")]
#[derive(Default)]
pub(super) struct SignalHandlers {
    /// A handful at most: a vector, searched by signal number.
    by_signal: std::cell::RefCell<Vec<(i32, RemoveHandler)>>,
}

#[cfg(feature = "signal")]
impl Core {
    /// Records the handler of `signal`; returns the one it replaces, for
    /// the caller to remove (outside any borrow of the core: removing
    /// drops a subscription and cancels a task).
    pub(crate) fn replace_signal_handler(
        &self,
        signal: i32,
        remove: RemoveHandler,
    ) -> Option<RemoveHandler> {
        let mut handlers = self.signal_handlers.by_signal.borrow_mut();
        match handlers.iter_mut().find(|(number, _)| *number == signal) {
            Some((_, old)) => Some(std::mem::replace(old, remove)),
            None => {
                handlers.push((signal, remove));
                None
            }
        }
    }

    /// Forgets the handler of `signal`, and returns how to remove it.
    pub(crate) fn take_signal_handler(&self, signal: i32) -> Option<RemoveHandler> {
        let mut handlers = self.signal_handlers.by_signal.borrow_mut();
        let index = handlers.iter().position(|(number, _)| *number == signal)?;
        Some(handlers.swap_remove(index).1)
    }

    /// Removes every signal handler of the loop: the first step of its
    /// shutdown.
    pub(super) fn remove_signal_handlers(&self) {
        let handlers = std::mem::take(&mut *self.signal_handlers.by_signal.borrow_mut());
        for (_, remove) in handlers {
            remove();
        }
    }
}

#[cfg(not(feature = "signal"))]
impl Core {
    /// No signal handlers without the `signal` feature.
    #[inline]
    pub(super) fn remove_signal_handlers(&self) {}
}
