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
    /// The task (or callback) that panicked.
    task: TaskId,
    /// Whether it was a task or a callback.
    kind: TaskKind,
    /// The panic's payload, as `catch_unwind` gave it.
    payload: &'a (dyn Any + Send),
}

impl<'a> Exception<'a> {
    pub(crate) fn new(task: TaskId, kind: TaskKind, payload: &'a (dyn Any + Send)) -> Self {
        Self {
            task,
            kind,
            payload,
        }
    }

    /// The id of the task, or of the task that ran the callback.
    pub fn task_id(&self) -> TaskId {
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
        match self.message() {
            Some(message) => write!(f, "{what} {} panicked: {message}", self.task),
            None => write!(f, "{what} {} panicked", self.task),
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
