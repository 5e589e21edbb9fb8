//! `spawn`: start a task on the current loop.

use std::future::Future;
use std::panic::Location;
use std::rc::Rc;

use crate::core;
use crate::id::TaskKind;
use crate::task::{JoinHandle, JoinRef};

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
    JoinHandle::new(spawn_here(future, TaskKind::Task, "spawn"))
}

/// Spawns `future` on the loop running on this thread, recording the caller
/// of the public function as its spawn location. The way from the
/// loop-thread functions of `local/` (`spawn`, `task::Builder::spawn`, the
/// callbacks) to `Core::spawn` (`Runtime::spawn` calls it directly);
/// `what` names the public function if there is no loop.
#[track_caller]
pub(crate) fn spawn_here<F: Future + 'static>(
    future: F,
    kind: TaskKind,
    what: &str,
) -> JoinRef<F::Output> {
    let spawned_at = Location::caller();
    match core::with_core(|core| core.spawn(future, kind, spawned_at)) {
        Some(task) => task,
        None => no_loop(what),
    }
}

/// [`spawn_here`], and the task named `name`. Apart, so that only a program
/// that names a task links the name table (`core/task_list.rs`).
#[track_caller]
pub(crate) fn spawn_named_here<F: Future + 'static>(
    future: F,
    kind: TaskKind,
    name: Rc<str>,
    what: &str,
) -> JoinRef<F::Output> {
    let task = spawn_here(future, kind, what);
    core::with_core(|core| core.set_name(task.task().id(), name));
    task
}

/// Like [`spawn_here`], with the task's first poll at once
/// (`Core::spawn_polled`), for a timed callback.
#[track_caller]
pub(crate) fn spawn_polled_here<F: Future + 'static>(
    future: F,
    kind: TaskKind,
    what: &str,
) -> JoinRef<F::Output> {
    let spawned_at = Location::caller();
    let task = core::with_core(|core| core.spawn_polled(future, kind, spawned_at));
    match task {
        Some(task) => task,
        None => no_loop(what),
    }
}

/// The panic of a spawn with no loop on this thread.
#[track_caller]
fn no_loop(what: &str) -> ! {
    panic!(
        "tether::{what} called on a thread with no running tether loop; call it from inside \
         Runtime::block_on, tether::run or a task (or use Runtime::spawn on the runtime's own \
         thread)"
    )
}
