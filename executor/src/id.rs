//! How a task is named: its [`TaskId`] and [`TaskKind`].
//!
//! The leaf of the crate: every layer names tasks (the task itself, the
//! loop core, the reports of `observe`, the public API), so these two
//! types import nothing of the crate, and every other module may import
//! them.

use std::fmt;

/// Identifies a task among the tasks of its loop.
///
/// Ids are handed out in spawn order, starting at 1, and never reused by
/// the same runtime; tasks of different runtimes may share an id. (Id 0 is
/// the loop's own stand-in for the future of `block_on`.)
///
/// [`JoinHandle::id`](crate::JoinHandle::id), [`CallbackHandle::id`](crate::CallbackHandle::id)
/// and [`ThreadFuture::task_id`](crate::ThreadFuture::task_id) give it;
/// dumps, reports and panic messages name tasks by it.
///
/// # Examples
///
/// ```
/// use tether::task::TaskId;
///
/// tether::run(async {
///     let first: TaskId = tether::spawn(async {}).id();
///     let second = tether::call_soon(|| ()).id();
///     assert!(first < second);
///     assert_eq!(first.to_string(), "1");
/// });
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskId(pub(crate) u64);

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// What a task was created for, so that reports can name it.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use tether::task::TaskKind;
///
/// tether::run(async {
///     let task = tether::spawn(std::future::pending::<()>());
///     let callback = tether::call_later(Duration::from_secs(60), || ());
///     let dump = tether::Handle::current().dump().unwrap();
///     let kind = |id| dump.tasks.iter().find(|task| task.id == id).unwrap().kind;
///     assert_eq!(kind(task.id()), TaskKind::Task);
///     assert_eq!(kind(callback.id()), TaskKind::Callback);
///     assert!(dump.tasks.iter().any(|task| task.kind == TaskKind::BlockOn));
///     assert_eq!(TaskKind::BlockOn.to_string(), "block_on");
/// });
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TaskKind {
    /// A future from `spawn`.
    Task,
    /// A closure from `call_soon`, `call_later` or `call_at`, or the task
    /// of a signal handler, which schedules its callback at each delivery.
    Callback,
    /// The stand-in task of a `block_on`: each of its runs polls the future
    /// `block_on` was given, which is not a task of its own.
    BlockOn,
    /// A job of [`spawn_blocking`](crate::spawn_blocking), which runs on a
    /// thread of the blocking pool and is no task of the loop; and the loop
    /// task that waits for a started job whose `ThreadFuture` was dropped
    /// unread, to report its panic. The exception handler names the kind
    /// for such a panic, and a dump lists that waiting task.
    Blocking,
}

impl fmt::Display for TaskKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TaskKind::Task => "task",
            TaskKind::Callback => "callback",
            TaskKind::BlockOn => "block_on",
            TaskKind::Blocking => "blocking job",
        })
    }
}
