//! The thread-local "current loop", and the guard against running two.
//!
//! While a loop runs (`block_on`, `run_forever`) its [`Core`] is current on
//! its thread. That is how `tether::spawn` finds the loop to spawn on, and
//! how a waker tells a wake on its own loop (straight into the ready queue)
//! from any other (through the injection queue).
//!
//! A loop must never start inside another one on the same thread: the inner
//! one would block the outer loop, and with it every task that the inner
//! one may be waiting for. [`enter_loop`] refuses with a panic that says
//! what to do instead; `futures::executor::enter` guards the same way,
//! though it returns an error for its caller to panic with.

use std::any::Any;
use std::cell::Cell;
use std::ptr;
use std::rc::Rc;

use super::{Core, Shared};
use crate::id::{TaskId, TaskKind};
use crate::observe::{Exception, default_handler};
use crate::task::TaskRef;

// The bridge's `const_thread_local!`: std's, or a checker's (loom's or
// shuttle's), since a checker runs every thread of a model on one of the
// OS's.
tether_bridge::sync::const_thread_local! {
    /// The loop running on this thread, or shutting down on it; or null.
    ///
    /// A pointer made by `Rc::into_raw`, and so one strong reference: the
    /// slot owns it, and so does every guard's `previous` that a pointer
    /// moves into, whichever order the guards drop in. A raw pointer, so
    /// that the slot has no destructor, as the reactor's (`tether_reactor`'s
    /// `reactor.rs` says why: the code a destructor brings along).
    static CURRENT: Cell<*const Core> = Cell::new(ptr::null());
    /// Whether a loop is running on this thread (not merely shutting down).
    static RUNNING: Cell<bool> = Cell::new(false);
}

/// Keeps a loop current on this thread until dropped.
#[must_use = "the loop stops being current when the guard is dropped"]
pub(super) struct Entered {
    /// What was current before: null, or a pointer that owns a strong
    /// reference (`CURRENT`'s doc).
    previous: *const Core,
    /// Whether a loop was running before.
    was_running: bool,
}

/// Makes `core` the running loop of this thread.
///
/// # Panics
///
/// Panics if a loop is already running on this thread.
#[track_caller]
pub(super) fn enter_loop(core: &Rc<Core>) -> Entered {
    if RUNNING.with(Cell::get) {
        panic!(
            "tether: cannot block_on or run_forever while a tether loop is already \
             running on this thread; inside the loop, use tether::spawn(future) and \
             .await its JoinHandle instead"
        );
    }
    RUNNING.with(|running| running.set(true));
    Entered {
        previous: CURRENT.with(|current| current.replace(Rc::into_raw(core.clone()))),
        was_running: false,
    }
}

/// Makes `core` current without running it: for its shutdown, so that
/// futures dropped there can still find their loop. Allowed inside another
/// loop (a runtime dropped inside a task of another one), which goes on
/// running meanwhile: a destructor that shutdown runs there still cannot
/// start a loop.
pub(super) fn enter_for_shutdown(core: &Rc<Core>) -> Entered {
    Entered {
        previous: CURRENT.with(|current| current.replace(Rc::into_raw(core.clone()))),
        was_running: RUNNING.with(Cell::get),
    }
}

impl Drop for Entered {
    fn drop(&mut self) {
        // The guard's reference moves back into the slot, and the slot's is
        // released. Neither slot has a destructor, so both are there even
        // while the thread exits.
        let current = CURRENT.with(|current| current.replace(self.previous));
        RUNNING.with(|running| running.set(self.was_running));
        if !current.is_null() {
            // SAFETY: a non-null `CURRENT` came from `Rc::into_raw` and owns
            // a strong reference (its doc), which the slot no longer holds.
            drop(unsafe { Rc::from_raw(current) });
        }
    }
}

/// Runs `f` with the current loop, if there is one.
pub(crate) fn with_core<R>(f: impl FnOnce(&Rc<Core>) -> R) -> Option<R> {
    let current = CURRENT.with(Cell::get);
    if current.is_null() {
        return None;
    }
    // SAFETY: a non-null `CURRENT` came from `Rc::into_raw` and owns a
    // strong reference (its doc), so the loop is alive; the reference lent
    // to `f` is counted before `from_raw` makes an `Rc` of it, so that `f`
    // holds one of its own, whatever becomes of the slot's meanwhile.
    let core = unsafe {
        Rc::increment_strong_count(current);
        Rc::from_raw(current)
    };
    Some(f(&core))
}

/// Whether the loop `shared` belongs to is current on this thread: a wake
/// of one of its tasks from here is the loop's own.
pub(crate) fn is_current_loop(shared: &Shared) -> bool {
    let current = CURRENT.with(Cell::get);
    // SAFETY: a non-null `CURRENT` came from `Rc::into_raw` and owns a
    // strong reference (its doc), so the loop is alive while it is read
    // here; nothing is kept.
    !current.is_null() && unsafe { &*current }.is_loop_of(shared)
}

/// Pushes `task` into the ready queue if its loop is current on this
/// thread; hands it back otherwise.
pub(crate) fn push_ready_if_local(task: TaskRef) -> Result<(), TaskRef> {
    let mut task = Some(task);
    with_core(|core| {
        let local = task
            .as_ref()
            .is_some_and(|t| core.is_loop_of(&t.header().shared));
        if local {
            core.schedule(task.take().unwrap());
        }
    });
    // Taken: pushed. Still here: not this loop's task, or no loop at all.
    task.map_or(Ok(()), Err)
}

/// Shows a panic nobody joins to the current loop's exception handler, or
/// prints it to stderr if no loop is current.
pub(crate) fn report_panic(id: Option<TaskId>, kind: TaskKind, payload: &(dyn Any + Send)) {
    let reported = with_core(|core| core.report_panic(id, kind, payload));
    if reported.is_none() {
        default_handler(&Exception::new(id, kind, payload));
    }
}
