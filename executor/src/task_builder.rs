//! `task::Builder`: a task with a name.

use std::future::Future;
use std::rc::Rc;

use crate::spawn::spawn_here;
use crate::task::{JoinHandle, TaskKind};

/// Spawns a task with settings; for now, a name.
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
///     assert_eq!(fetch.await.unwrap(), 200);
/// });
/// ```
#[derive(Debug, Default)]
#[must_use = "a task::Builder does nothing until `spawn` is called"]
pub struct TaskBuilder {
    /// The task's name, if it has one.
    name: Option<Rc<str>>,
}

impl TaskBuilder {
    /// A builder for a task without a name.
    ///
    /// # Examples
    ///
    /// ```
    /// tether::run(async {
    ///     let task = tether::task::Builder::new().spawn(std::future::pending::<()>());
    ///     let dump = tether::Handle::current().dump().unwrap();
    ///     let listed = dump.tasks.iter().find(|listed| listed.id == task.id()).unwrap();
    ///     assert_eq!(listed.name, None);
    /// });
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Names the task.
    ///
    /// # Examples
    ///
    /// ```
    /// tether::run(async {
    ///     let worker = 3;
    ///     let task = tether::task::Builder::new()
    ///         .name(format!("worker-{worker}"))
    ///         .spawn(std::future::pending::<()>());
    ///     let dump = tether::Handle::current().dump().unwrap();
    ///     let listed = dump.tasks.iter().find(|listed| listed.id == task.id()).unwrap();
    ///     assert_eq!(listed.name.as_deref(), Some("worker-3"));
    /// });
    /// ```
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(Rc::from(name.into()));
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
        let task = spawn_here(future, TaskKind::Task, self.name, "task::Builder::spawn");
        JoinHandle::new(task)
    }
}
