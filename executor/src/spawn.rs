//! `spawn`: start a task on the current loop.

use std::future::Future;
use std::panic::Location;

use crate::context;
use crate::task::{JoinHandle, TaskKind};

/// Runs `future` as a task on the loop of this thread.
///
/// asyncio: `asyncio.create_task(coro)`.
///
/// The task starts in the loop's next run step (not inside `spawn`) and
/// runs on this thread only, so `future` need not be `Send`. Await the
/// returned [`JoinHandle`] for its output, or drop it to let the task run
/// on detached.
///
/// # Panics
///
/// Panics if no tether loop runs on this thread. Inside the loop (in
/// `Runtime::block_on`, `tether::run` or a task) it works; from another
/// thread, hand the future to the loop through its `Handle` instead.
///
/// # Examples
///
/// ```
/// tether::run(async {
///     let task = tether::spawn(async { "done" });
///     assert_eq!(task.await.unwrap(), "done");
/// });
/// ```
#[track_caller]
pub fn spawn<F: Future + 'static>(future: F) -> JoinHandle<F::Output> {
    let spawned_at = Location::caller();
    match context::with_core(|core| core.spawn(future, TaskKind::Task, spawned_at)) {
        Some(task) => JoinHandle::new(task),
        None => panic!(
            "tether::spawn called on a thread with no running tether loop; call it from \
             inside Runtime::block_on, tether::run or a task (or use Runtime::spawn on the \
             runtime's own thread)"
        ),
    }
}
