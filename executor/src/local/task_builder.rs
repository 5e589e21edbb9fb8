//! `task::Builder`: a task with a name.

use std::future::Future;
use std::rc::Rc;

use tether_bridge::Closed;

use super::{spawn_here, spawn_named_here};
use crate::id::TaskKind;
use crate::remote::{Handle, ThreadFuture};
use crate::task::JoinHandle;

/// Spawns a task with a name. On this thread's loop
/// with [`spawn`](TaskBuilder::spawn), on any loop from any thread with
/// [`spawn_on`](TaskBuilder::spawn_on).
///
/// asyncio: `asyncio.create_task(coro, name="fetch")`.
///
/// The name shows in [`Handle::dump`](crate::Handle::dump) and in debug
/// mode's slow-run reports, next to where the task was spawned. The loop
/// keeps names apart from its task list, so a task without one costs
/// nothing for it.
///
/// # Examples
///
/// ```
/// tether::run(async {
///     let fetch = tether::task::Builder::new()
///         .name("fetch")
///         .spawn(async { 200 });
///     let plain = tether::task::Builder::new().spawn(async { 204 });
///     // The dump names the task; one built without a name has none.
///     let dump = tether::Handle::current().dump().unwrap();
///     let name = |id| dump.tasks.iter().find(|task| task.id == id).unwrap().name.clone();
///     assert_eq!(name(fetch.id()).as_deref(), Some("fetch"));
///     assert_eq!(name(plain.id()), None);
///     assert_eq!(fetch.await.unwrap(), 200);
///     assert_eq!(plain.await.unwrap(), 204);
/// });
/// ```
#[derive(Debug, Default)]
#[must_use = "a task::Builder does nothing until `spawn` is called"]
pub struct TaskBuilder {
    /// The task's name, if it has one. A `Box<str>`, not the `Rc<str>` the
    /// loop keeps, so that a builder can be used on any thread.
    name: Option<Box<str>>,
}

impl TaskBuilder {
    /// A builder for a task without a name. Shown in
    /// [`task::Builder`'s example](TaskBuilder#examples).
    pub fn new() -> Self {
        Self::default()
    }

    /// Names the task. Shown in [`task::Builder`'s example](TaskBuilder#examples).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into().into_boxed_str());
        self
    }

    /// Runs `future` as a task on the loop of this thread, as
    /// [`spawn`](crate::spawn()) does.
    ///
    /// # Panics
    ///
    /// Panics if no tether loop runs on this thread.
    ///
    /// # Examples
    ///
    /// ```
    /// tether::run(async {
    ///     let task = tether::task::Builder::new().name("double").spawn(async { 21 * 2 });
    ///     assert!(!task.is_finished()); // it starts in the next run step
    ///     assert_eq!(task.await.unwrap(), 42);
    /// });
    /// ```
    #[track_caller]
    pub fn spawn<F: Future + 'static>(self, future: F) -> JoinHandle<F::Output> {
        let what = "task::Builder::spawn";
        JoinHandle::new(match self.name {
            Some(name) => spawn_named_here(future, TaskKind::Task, Rc::from(name), what),
            None => spawn_here(future, TaskKind::Task, what),
        })
    }

    /// Runs `future` as a task on the loop of `handle`, from any thread, as
    /// [`Handle::spawn`] does.
    ///
    /// asyncio: `asyncio.run_coroutine_threadsafe(coro, loop)`, for a task
    /// with a name.
    ///
    /// # Errors
    ///
    /// [`Closed`], holding the future, if the loop is closed.
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> std::io::Result<()> {
    /// let lt = tether::LoopThread::new()?;
    /// let stuck = tether::task::Builder::new()
    ///     .name("stuck")
    ///     .spawn_on(std::future::pending::<()>(), lt.handle())
    ///     .unwrap();
    /// let dump = lt.handle().dump().unwrap();
    /// let listed = dump.tasks.iter().find(|t| Some(t.id) == stuck.task_id()).unwrap();
    /// assert_eq!(listed.name.as_deref(), Some("stuck"));
    /// # Ok(())
    /// # }
    /// ```
    #[track_caller]
    pub fn spawn_on<F>(
        self,
        future: F,
        handle: &Handle,
    ) -> Result<ThreadFuture<F::Output>, Closed<F>>
    where
        F: Future + Send + 'static,
        F::Output: Send,
    {
        match self.name {
            Some(name) => handle.spawn_named(future, name),
            None => handle.spawn(future),
        }
    }
}
