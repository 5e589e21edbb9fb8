//! What the exception handler sees: panics that no `JoinHandle` will report.

use std::any::Any;
use std::fmt;

use crate::id::{TaskId, TaskKind};

/// The handler installed with [`Builder::on_exception`](crate::Builder::on_exception).
pub(crate) type ExceptionHandler = Box<dyn Fn(&Exception<'_>)>;

/// A panic nobody else will hear of: in a detached task (its `JoinHandle`
/// was dropped), or in a callback.
///
/// asyncio: the `context` dict handed to the loop's exception handler.
///
/// # Examples
///
/// ```
/// use std::cell::RefCell;
/// use std::rc::Rc;
/// use tether::Exception;
/// # fn main() -> std::io::Result<()> {
/// let seen = Rc::new(RefCell::new(Vec::new()));
/// let exceptions = seen.clone();
/// let rt = tether::Runtime::builder()
///     .on_exception(move |exception: &Exception<'_>| {
///         exceptions.borrow_mut().push(exception.to_string());
///     })
///     .build()?;
/// rt.block_on(async {
///     drop(tether::spawn(async { panic!("boom") })); // detached
///     tether::yield_now().await;
/// });
/// assert_eq!(*seen.borrow(), ["task 1 panicked: boom"]);
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
    /// make one, so that the callback can be cancelled).
    ///
    /// `None` for a closure that never was a task: a callback sent from
    /// another thread with [`Handle::call_soon`](crate::Handle::call_soon),
    /// a stop callback, or a `ThreadFuture`'s done callback.
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::cell::RefCell;
    /// # use std::rc::Rc;
    /// # fn main() -> std::io::Result<()> {
    /// # let seen = Rc::new(RefCell::new(Vec::new()));
    /// # let exceptions = seen.clone();
    /// let rt = tether::Runtime::builder()
    ///     .on_exception(move |exception| exceptions.borrow_mut().push(exception.task_id()))
    ///     .build()?;
    /// let id = rt.block_on(async {
    ///     let task = tether::spawn(async { panic!("boom") });
    ///     let id = task.id();
    ///     drop(task); // detached: only the handler hears of the panic
    ///     tether::yield_now().await;
    ///     id
    /// });
    /// rt.handle().call_soon(|| panic!("from a Handle")).unwrap();
    /// rt.block_on(tether::yield_now());
    /// assert_eq!(*seen.borrow(), [Some(id), None]);
    /// # Ok(())
    /// # }
    /// ```
    pub fn task_id(&self) -> Option<TaskId> {
        self.task
    }

    /// Whether the panic happened in a callback (`call_soon` and friends)
    /// rather than in a spawned task.
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::cell::RefCell;
    /// # use std::rc::Rc;
    /// # fn main() -> std::io::Result<()> {
    /// # let seen = Rc::new(RefCell::new(Vec::new()));
    /// # let exceptions = seen.clone();
    /// let rt = tether::Runtime::builder()
    ///     .on_exception(move |exception| exceptions.borrow_mut().push(exception.is_callback()))
    ///     .build()?;
    /// rt.block_on(async {
    ///     drop(tether::spawn(async { panic!("in a task") }));
    ///     tether::yield_now().await;
    ///     tether::call_soon(|| panic!("in a callback"));
    ///     tether::yield_now().await;
    /// });
    /// assert_eq!(*seen.borrow(), [false, true]);
    /// # Ok(())
    /// # }
    /// ```
    pub fn is_callback(&self) -> bool {
        self.kind == TaskKind::Callback
    }

    /// The panic's message, if it was a string (as `panic!("...")` makes it).
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::cell::RefCell;
    /// # use std::rc::Rc;
    /// # fn main() -> std::io::Result<()> {
    /// # let seen = Rc::new(RefCell::new(Vec::new()));
    /// # let exceptions = seen.clone();
    /// let rt = tether::Runtime::builder()
    ///     .on_exception(move |exception| {
    ///         exceptions.borrow_mut().push(exception.message().map(str::to_owned));
    ///     })
    ///     .build()?;
    /// rt.block_on(async {
    ///     tether::call_soon(|| panic!("disk {} is full", "/dev/sda"));
    ///     tether::call_soon(|| std::panic::panic_any(42));
    ///     tether::yield_now().await;
    /// });
    /// assert_eq!(*seen.borrow(), [Some("disk /dev/sda is full".to_owned()), None]);
    /// # Ok(())
    /// # }
    /// ```
    pub fn message(&self) -> Option<&str> {
        panic_message(self.payload)
    }

    /// The panic's payload.
    ///
    /// # Examples
    ///
    /// ```
    /// #[derive(Debug, Clone, Copy, PartialEq)]
    /// struct Errno(i32);
    /// # use std::cell::RefCell;
    /// # use std::rc::Rc;
    /// # fn main() -> std::io::Result<()> {
    /// # let seen = Rc::new(RefCell::new(Vec::new()));
    /// # let exceptions = seen.clone();
    /// let rt = tether::Runtime::builder()
    ///     .on_exception(move |exception| {
    ///         let errno = exception.payload().downcast_ref::<Errno>();
    ///         exceptions.borrow_mut().push(errno.copied());
    ///     })
    ///     .build()?;
    /// rt.block_on(async {
    ///     tether::call_soon(|| std::panic::panic_any(Errno(28)));
    ///     tether::yield_now().await;
    /// });
    /// assert_eq!(*seen.borrow(), [Some(Errno(28))]);
    /// # Ok(())
    /// # }
    /// ```
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

/// The message of a panic payload, if it is a string.
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> Option<&str> {
    if let Some(message) = payload.downcast_ref::<&'static str>() {
        Some(message)
    } else {
        payload.downcast_ref::<String>().map(String::as_str)
    }
}
