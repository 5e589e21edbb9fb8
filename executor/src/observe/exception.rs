//! What the exception handler sees: panics that no `JoinHandle` will report.

use std::any::Any;
use std::fmt;

use crate::id::{TaskId, TaskKind};

/// The handler installed with [`Builder::on_exception`](crate::Builder::on_exception).
pub(crate) type ExceptionHandler = Box<dyn Fn(&Exception<'_>)>;

/// A panic that no `JoinHandle` will report: in a detached task (its
/// `JoinHandle` was dropped before it panicked), in a task whose
/// `JoinHandle` held the panic but was dropped unread, in a task submitted
/// from another thread (its `ThreadFuture` gets the panic too), in a
/// blocking job whose `ThreadFuture` was dropped or detached unread, in a
/// callback, or in a destructor the loop ran. Every panic reaches the
/// code that waits for the work, an exception handler (this loop's, or
/// that of the loop whose thread ran the code), or, where no loop runs,
/// stderr; none is lost.
///
/// asyncio: the `context` dict handed to the loop's exception handler.
///
/// # Examples
///
/// ```
/// use std::cell::RefCell;
/// use std::rc::Rc;
/// use tether::Exception;
/// use tether::task::TaskKind;
///
/// #[derive(Debug, Clone, Copy, PartialEq)]
/// struct Errno(i32);
/// # fn main() -> std::io::Result<()> {
/// let seen = Rc::new(RefCell::new(Vec::new()));
/// let exceptions = seen.clone();
/// let rt = tether::Runtime::builder()
///     .on_exception(move |exception: &Exception<'_>| {
///         let (id, callback) = (exception.task_id(), exception.is_callback());
///         assert_eq!(callback, exception.kind() == TaskKind::Callback);
///         let message = exception.message().map(str::to_owned);
///         let errno = exception.payload().downcast_ref::<Errno>().copied();
///         exceptions.borrow_mut().push((exception.to_string(), id, callback, message, errno));
///     })
///     .build()?;
/// let (task, callback) = rt.block_on(async {
///     let task = tether::spawn(async { panic!("disk {} is full", "/dev/sda") });
///     let task_id = task.id();
///     drop(task); // detached: only the handler hears of the panic
///     let callback = tether::call_soon(|| std::panic::panic_any(Errno(28)));
///     tether::yield_now().await;
///     (task_id, callback.id())
/// });
/// rt.handle().call_soon(|| panic!("sent")).unwrap();
/// rt.block_on(tether::yield_now());
///
/// let full = Some("disk /dev/sda is full".to_owned());
/// let sent = Some("sent".to_owned());
/// assert_eq!(
///     *seen.borrow(),
///     [
///         // A detached task: its id, and the message `panic!` formatted.
///         ("task 1 panicked: disk /dev/sda is full".to_owned(), Some(task), false, full, None),
///         // Not a string: no message, but the payload is there.
///         ("callback 2 panicked".to_owned(), Some(callback), true, None, Some(Errno(28))),
///         // Sent through a `Handle`, a callback is no task: it has no id.
///         ("callback panicked: sent".to_owned(), None, true, sent, None),
///     ]
/// );
/// # Ok(())
/// # }
/// ```
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
    /// make one, so that the callback can be cancelled). Shown in
    /// [`Exception`'s example](Exception#examples).
    ///
    /// `None` for a closure that never was a task: a callback sent from
    /// another thread with [`Handle::call_soon`](crate::Handle::call_soon),
    /// a stop callback, a `ThreadFuture`'s done callback, or a blocking
    /// job.
    pub fn task_id(&self) -> Option<TaskId> {
        self.task
    }

    /// What panicked: a task, a callback, or a blocking job
    /// ([`TaskKind`]); never the `block_on` future, whose panic comes out
    /// of `block_on` itself. Shown in
    /// [`Exception`'s example](Exception#examples).
    pub fn kind(&self) -> TaskKind {
        self.kind
    }

    /// Whether the panic happened in a callback (`call_soon` and friends)
    /// rather than in a spawned task. Shown in
    /// [`Exception`'s example](Exception#examples).
    pub fn is_callback(&self) -> bool {
        self.kind == TaskKind::Callback
    }

    /// The panic's message, if it was a string (as `panic!("...")` makes it).
    /// Shown in [`Exception`'s example](Exception#examples).
    pub fn message(&self) -> Option<&str> {
        panic_message(self.payload)
    }

    /// The panic's payload. Shown in [`Exception`'s example](Exception#examples).
    pub fn payload(&self) -> &(dyn Any + Send) {
        self.payload
    }
}

impl fmt::Display for Exception<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            TaskKind::Callback => "callback",
            TaskKind::Task | TaskKind::BlockOn => "task",
            TaskKind::Blocking => "blocking job",
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
    super::report_line(format_args!("tether: {exception}"));
}

/// The message of a panic payload, if it is a string.
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> Option<&str> {
    if let Some(message) = payload.downcast_ref::<&'static str>() {
        Some(message)
    } else {
        payload.downcast_ref::<String>().map(String::as_str)
    }
}
