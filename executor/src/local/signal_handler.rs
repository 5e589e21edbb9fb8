//! `add_signal_handler` and `remove_signal_handler`: asyncio's callback
//! form of a signal, on the loop of this thread.
//!
//! A handler is built on the future form: a [`Signal`] subscription, kept
//! in a shared cell, and a loop-local task that waits on it and, at each
//! wakeup, schedules the callback with [`call_soon`] once for each
//! delivery the wakeup stands for. So each call of the callback is a
//! callback of the loop like any other: it runs in the ready queue's
//! order, and a panic in it goes to the exception handler, while the
//! handler stays installed. asyncio behaves the same: its C handler writes
//! a byte per run to the loop's wakeup socket, and the loop schedules one
//! call per byte. (The kernel still merges deliveries of a standard signal
//! that arrive before the handler runs: those are one run, and one call,
//! in both.)
//!
//! The core keeps, for each signal with a handler on this loop, how to
//! remove it (`core/signal_handlers.rs`): drop the subscription and cancel
//! the task. Removing drops the subscription at once, not at the task's
//! next run, so that the signal's disposition is back (if this was its
//! last subscriber in the process) when `remove_signal_handler` returns,
//! as it is in asyncio. Replacing a handler subscribes the new one before
//! removing the old one, so that the disposition never flickers back to
//! the default in between, where a signal would kill the process.

use std::cell::RefCell;
use std::future::poll_fn;
use std::io;
use std::rc::Rc;
use std::task::Poll;

use tether_reactor::signal::Signal;

use super::{call_soon, spawn_named_here};
use crate::core;
use crate::id::TaskKind;
use crate::task;

/// Calls `callback` on this thread's loop whenever `signal` is delivered
/// to the process, replacing the handler `signal` had on this loop.
///
/// asyncio: `loop.add_signal_handler(sig, callback)`.
///
/// Each run of tether's signal handler, that is each delivery the kernel
/// did not merge with another, schedules one call, as [`call_soon`] does,
/// also when several arrive before the loop gets to them (as in asyncio).
/// A panic in `callback` goes to the exception
/// handler, and the handler stays installed. Other loops, on other
/// threads, may have handlers for the same signal, or [`Signal`]s: each
/// hears every delivery. The handler stays until
/// [`remove_signal_handler`], or until the loop shuts down; then, if no
/// other subscriber of the signal is left in the process, the disposition
/// it had before tether's handler is put back.
///
/// # Errors
///
/// As [`Signal::new`]: `InvalidInput` for a signal tether refuses (with a
/// message saying why), or the OS's error. The handler the signal had on
/// this loop, if any, stays.
///
/// # Panics
///
/// Panics if no tether loop runs on this thread.
///
/// # Examples
///
/// A loop counts `SIGUSR1`s; a panicking callback does not remove its
/// handler.
///
/// ```
/// use std::cell::Cell;
/// use std::process::Command;
/// use std::rc::Rc;
/// use std::time::Duration;
/// use tether_reactor::signal::SIGUSR1;
///
/// # fn main() -> std::io::Result<()> {
/// let panics = Rc::new(Cell::new(0));
/// let seen = panics.clone();
/// let rt = tether::Runtime::builder()
///     .on_exception(move |_| seen.set(seen.get() + 1))
///     .build()?;
/// rt.block_on(async {
///     let calls = Rc::new(Cell::new(0));
///     let counter = calls.clone();
///     tether_executor::add_signal_handler(SIGUSR1, move || {
///         counter.set(counter.get() + 1);
///         if counter.get() == 1 {
///             panic!("the first call fails");
///         }
///     })?;
///     let pid = std::process::id().to_string();
///     for expected in 1..=2 {
///         Command::new("kill").args(["-USR1", &pid]).status()?;
///         while calls.get() < expected {
///             tether::time::sleep(Duration::from_millis(1)).await;
///         }
///     }
///     assert!(tether_executor::remove_signal_handler(SIGUSR1));
///     Ok::<_, std::io::Error>(())
/// })?;
/// assert_eq!(panics.get(), 1);
/// # Ok(())
/// # }
/// ```
#[track_caller]
pub fn add_signal_handler<F: FnMut() + 'static>(signal: i32, callback: F) -> io::Result<()> {
    if core::with_core(|_| ()).is_none() {
        panic!(
            "tether::add_signal_handler called on a thread with no running tether loop; \
             call it from inside Runtime::block_on, tether::run or a task"
        );
    }
    let subscription = Rc::new(RefCell::new(Some(Signal::new(signal)?)));
    let callback = Rc::new(RefCell::new(callback));
    let watcher = watch(signal, subscription.clone(), callback);
    let name = Rc::from(format!("signal handler ({signal})"));
    let task = spawn_named_here(watcher, TaskKind::Callback, name, "add_signal_handler");
    let task = task.into_task();
    let remove = Box::new(move || {
        // The subscription first: the disposition is back when this
        // returns. The task, waiting on it, is dropped at its next run.
        subscription.borrow_mut().take();
        task::cancel(&task);
    });
    let replaced = core::with_core(|core| core.replace_signal_handler(signal, remove)).flatten();
    if let Some(remove_old) = replaced {
        remove_old();
    }
    Ok(())
}

/// Removes the handler `signal` has on this thread's loop; returns whether
/// there was one.
///
/// asyncio: `loop.remove_signal_handler(sig)`.
///
/// The subscription goes at once: if it was the signal's last one in the
/// process, the signal's disposition from before tether's handler is back
/// when this returns. A call of the callback already scheduled still
/// runs. Handlers on other loops stay.
///
/// # Panics
///
/// Panics if no tether loop runs on this thread.
///
/// # Examples
///
/// ```
/// use tether_reactor::signal::SIGUSR2;
///
/// tether::run(async {
///     assert!(!tether_executor::remove_signal_handler(SIGUSR2)); // none yet
///     tether_executor::add_signal_handler(SIGUSR2, || println!("one")).unwrap();
///     tether_executor::add_signal_handler(SIGUSR2, || println!("two")).unwrap(); // replaces
///     assert!(tether_executor::remove_signal_handler(SIGUSR2));
///     assert!(!tether_executor::remove_signal_handler(SIGUSR2));
/// });
/// ```
#[track_caller]
pub fn remove_signal_handler(signal: i32) -> bool {
    let Some(removed) = core::with_core(|core| core.take_signal_handler(signal)) else {
        panic!(
            "tether::remove_signal_handler called on a thread with no running tether loop; \
             call it from inside Runtime::block_on, tether::run or a task"
        );
    };
    match removed {
        Some(remove) => {
            remove();
            true
        }
        None => false,
    }
}

/// The handler's task: waits on the subscription until it is taken away,
/// and schedules a call of `callback` at each wakeup.
async fn watch<F: FnMut() + 'static>(
    signal: i32,
    subscription: Rc<RefCell<Option<Signal>>>,
    callback: Rc<RefCell<F>>,
) {
    loop {
        // The cell is borrowed only inside a poll: `remove` may take the
        // subscription between two polls.
        let received = poll_fn(|cx| match &*subscription.borrow() {
            Some(signal) => signal.poll_recv(cx).map(Some),
            None => Poll::Ready(None),
        })
        .await;
        match received {
            None => return,
            Some(Ok(deliveries)) => {
                for _ in 0..deliveries {
                    let callback = callback.clone();
                    call_soon(move || (callback.borrow_mut())());
                }
            }
            Some(Err(err)) => {
                // Only the poller refusing the wakeup fd gets here. The
                // handler cannot go on. It is removed, so that the signal
                // does not stay caught by a subscription nobody reads
                // (its disposition from before comes back, if this was its
                // last subscriber), and the error goes where panics are
                // reported. This task is the signal's handler on this loop
                // still: a replaced or removed one took the subscription
                // first, and ended above.
                if let Some(remove) =
                    core::with_core(|core| core.take_signal_handler(signal)).flatten()
                {
                    remove();
                }
                call_soon(move || {
                    panic!("tether: the handler of signal {signal} stopped, and was removed: {err}")
                });
                return;
            }
        }
    }
}
