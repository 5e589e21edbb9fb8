//! What the exception handler sees: panics that no `JoinHandle` will report.

use std::any::Any;
use std::fmt;

use crate::task::{TaskId, TaskKind, panic_message};

/// The handler installed with [`Builder::on_exception`](crate::Builder::on_exception).
pub(crate) type ExceptionHandler = Box<dyn Fn(&Exception<'_>)>;

/// A panic nobody else will hear of: in a detached task (its `JoinHandle`
/// was dropped), or in a callback.
///
/// asyncio: the `context` dict handed to the loop's exception handler.
pub struct Exception<'a> {
    /// The task (or callback task) that panicked; `None` for a closure that
    /// is not a task.
    task: Option<TaskId>,
    /// Whether it was a task or a callback.
    kind: TaskKind,
    /// The panic's payload, as `catch_unwind` gave it.
    payload: &'a (dyn Any + Send),
}

impl<'a> Exception<'a> {
    pub(crate) fn new(task: Option<TaskId>, kind: TaskKind, payload: &'a (dyn Any + Send)) -> Self {
        Self {
            task,
            kind,
            payload,
        }
    }

    /// The id of the task that panicked, or of the task that ran the
    /// callback (`call_soon`, `call_later` and `call_at` on the loop thread
    /// make one, so that the callback can be cancelled).
    ///
    /// `None` for a closure that never was a task: a callback sent from
    /// another thread with [`Handle::call_soon`](crate::Handle::call_soon),
    /// a stop callback, or a `ThreadFuture`'s done callback.
    pub fn task_id(&self) -> Option<TaskId> {
        self.task
    }

    /// Whether the panic happened in a callback (`call_soon` and friends)
    /// rather than in a spawned task.
    pub fn is_callback(&self) -> bool {
        self.kind == TaskKind::Callback
    }

    /// The panic's message, if it was a string (as `panic!("...")` makes it).
    pub fn message(&self) -> Option<&str> {
        panic_message(self.payload)
    }

    /// The panic's payload.
    pub fn payload(&self) -> &(dyn Any + Send) {
        self.payload
    }
}

impl fmt::Display for Exception<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            TaskKind::Callback => "callback",
            TaskKind::Task | TaskKind::BlockOn => "task",
        };
        f.write_str(what)?;
        if let Some(id) = self.task {
            write!(f, " {id}")?;
        }
        match self.message() {
            Some(message) => write!(f, " panicked: {message}"),
            None => f.write_str(" panicked"),
        }
    }
}

impl fmt::Debug for Exception<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Exception")
            .field("task", &self.task)
            .field("callback", &self.is_callback())
            .field("message", &self.message())
            .finish()
    }
}

/// The default handler: one line on stderr, naming the task.
pub(crate) fn default_handler(exception: &Exception<'_>) {
    eprintln!("tether: {exception}");
}
