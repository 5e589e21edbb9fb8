//! `TaskGroup`: tasks that succeed together or fail together.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::{Future, poll_fn};
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::pin::pin;
use std::rc::Rc;
use std::task::{Poll, Waker};

use crate::{JoinError, JoinHandle, TaskId, spawn};

/// Tasks that succeed together or fail together: structured concurrency.
///
/// asyncio: `async with asyncio.TaskGroup() as tg: tg.create_task(...)`.
///
/// Each child is a future giving `Result<T, E>`, spawned at once as a task
/// of the loop. The first child to fail (return `Err` or panic) cancels all
/// the others, as asyncio's group does. [`join`](TaskGroup::join) is the
/// end of the `async with` block: it waits until every child has finished
/// or been cancelled, then returns either every output, in spawn order, or
/// the failure ([`GroupError`]). A panic is returned like an error,
/// and reaches the exception handler only if the group is dropped without
/// being joined: nothing is lost.
///
/// There is one failure, where asyncio's `ExceptionGroup` can hold several.
/// asyncio's group hears of a failure through a done callback, which runs
/// in a later iteration, so children that fail in the same iteration are
/// all collected before any is cancelled; and cancelling an asyncio task
/// raises `CancelledError` inside it, whose cleanup can raise something
/// else. Here the first failure cancels the others inside its own poll,
/// and cancelling a tether task drops its future, so a child that the
/// first failure cancelled can never fail in turn.
///
/// Dropping the group without joining it (for instance because the task
/// awaiting `join` was cancelled, or returned early) cancels every child
/// still running, so a group never outlives the code that made it; a
/// child's panic that `join` would have returned goes to the exception
/// handler, as that of a task whose `JoinHandle` is dropped unread.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use tether::task::TaskGroup;
/// use tether::time::sleep;
///
/// tether::run(async {
///     let group: TaskGroup<u32, &str> = TaskGroup::new();
///     assert!(group.is_empty());
///     group.spawn(async { sleep(Duration::from_millis(2)).await; Ok(1) });
///     group.spawn(async { Ok(2) });
///     assert_eq!(group.len(), 2);
///     assert_eq!(group.join().await.unwrap(), [1, 2]);
///
///     let group: TaskGroup<(), &str> = TaskGroup::new();
///     group.spawn(async { sleep(Duration::from_secs(60)).await; Ok(()) }); // cancelled
///     group.spawn(async { Err("no route to host") });
///     let error = group.join().await.unwrap_err();
///     assert_eq!(error.to_string(), "task 4 of the group failed: no route to host");
///
///     // A group with no child has nothing to wait for.
///     let empty: TaskGroup<u32, &str> = TaskGroup::new();
///     assert_eq!(empty.join().await.unwrap(), []);
/// });
/// ```
#[must_use = "dropping a TaskGroup cancels its tasks; `join` it to wait for them"]
pub struct TaskGroup<T, E> {
    /// What the children report to.
    group: Rc<Group<T, E>>,
}

/// The state a [`TaskGroup`] shares with its children.
struct Group<T, E> {
    /// The children's outputs, by spawn order; `None` until one finishes.
    outputs: RefCell<Vec<Option<T>>>,
    /// The first failure, with the child's index: its error, or `None` for
    /// a panic, whose payload is in the child's task, for `join` to take
    /// from its handle (or, if the group is dropped unjoined, for the
    /// handle's drop to report). There is never a second: the first
    /// cancels every other child, before it can run again.
    failure: RefCell<Option<(usize, Option<E>)>>,
    /// The children, by spawn order, to cancel them and to name them.
    children: RefCell<Vec<JoinHandle<()>>>,
    /// Children not finished or cancelled yet.
    running: Cell<usize>,
    /// The task waiting in `join`.
    joiner: Cell<Option<Waker>>,
}

impl<T: 'static, E: 'static> TaskGroup<T, E> {
    /// An empty group. Shown in [`TaskGroup`'s example](TaskGroup#examples).
    pub fn new() -> Self {
        Self {
            group: Rc::new(Group {
                outputs: RefCell::new(Vec::new()),
                failure: RefCell::new(None),
                children: RefCell::new(Vec::new()),
                running: Cell::new(0),
                joiner: Cell::new(None),
            }),
        }
    }

    /// Spawns `future` as a child of the group, and returns its task's id
    /// (which [`GroupError`] names it by).
    ///
    /// asyncio: `tg.create_task(coro)`. If a child has failed already, the
    /// new one is cancelled at once.
    ///
    /// # Panics
    ///
    /// Panics outside a running loop, as [`spawn`](crate::spawn()) does.
    ///
    /// # Examples
    ///
    /// ```
    /// use tether::task::TaskGroup;
    ///
    /// tether::run(async {
    ///     let group: TaskGroup<(), &str> = TaskGroup::new();
    ///     let failing = group.spawn(async { Err("refused") });
    ///     let error = group.join().await.unwrap_err();
    ///     assert_eq!(error.task_id(), failing);
    /// });
    /// ```
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> TaskId
    where
        F: Future<Output = Result<T, E>> + 'static,
    {
        let group = &self.group;
        let index = {
            let mut outputs = group.outputs.borrow_mut();
            outputs.push(None);
            outputs.len() - 1
        };
        group.running.set(group.running.get() + 1);
        let child = Child {
            group: group.clone(),
            index,
        };
        let handle = spawn(child.run(future));
        if group.failure.borrow().is_some() {
            handle.cancel();
        }
        let id = handle.id();
        group.children.borrow_mut().push(handle);
        id
    }

    /// How many children were spawned. Shown in
    /// [`TaskGroup`'s example](TaskGroup#examples).
    pub fn len(&self) -> usize {
        self.group.children.borrow().len()
    }

    /// Whether no child was spawned. Shown in
    /// [`TaskGroup`'s example](TaskGroup#examples).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Waits until every child has finished or been cancelled, then gives
    /// the outputs in spawn order, or the failure.
    ///
    /// # Errors
    ///
    /// [`GroupError`], naming the child that failed (returned `Err` or
    /// panicked) first. The children it cancelled are not failures.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use tether::task::TaskGroup;
    ///
    /// tether::run(async {
    ///     let group: TaskGroup<&str, ()> = TaskGroup::new();
    ///     group.spawn(async {
    ///         tether::time::sleep(Duration::from_millis(2)).await;
    ///         Ok("spawned first, done last")
    ///     });
    ///     group.spawn(async { Ok("spawned second") });
    ///     let outputs = group.join().await.unwrap();
    ///     assert_eq!(outputs, ["spawned first, done last", "spawned second"]);
    /// });
    /// ```
    pub async fn join(self) -> Result<Vec<T>, GroupError<E>> {
        let group = &self.group;
        poll_fn(|cx| {
            if group.running.get() == 0 {
                Poll::Ready(())
            } else {
                group.joiner.set(Some(cx.waker().clone()));
                Poll::Pending
            }
        })
        .await;
        match group.failure.take() {
            None => {
                let outputs = std::mem::take(&mut *group.outputs.borrow_mut());
                Ok(outputs
                    .into_iter()
                    .map(|output| output.expect("with no failure, every child gave its output"))
                    .collect())
            }
            Some((index, Some(error))) => Err(GroupError {
                id: group.children.borrow()[index].id(),
                failure: Failure::Error(error),
            }),
            Some((index, None)) => {
                // The child's task holds the panic; it finished before the
                // last child's end woke this task.
                let child = group.children.borrow_mut().swap_remove(index);
                let id = child.id();
                let panic = child.await.expect_err("the child that failed panicked");
                Err(GroupError {
                    id,
                    failure: Failure::Panic(panic),
                })
            }
        }
    }
}

impl<T: 'static, E: 'static> Default for TaskGroup<T, E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T, E> Drop for TaskGroup<T, E> {
    fn drop(&mut self) {
        self.group.cancel_all();
    }
}

impl<T, E> fmt::Debug for TaskGroup<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskGroup")
            .field("children", &self.group.children.borrow().len())
            .field("running", &self.group.running.get())
            .field("failed", &self.group.failure.borrow().is_some())
            .finish()
    }
}

impl<T, E> Group<T, E> {
    /// Cancels every child not finished yet.
    fn cancel_all(&self) {
        for child in self.children.borrow().iter() {
            child.cancel();
        }
    }

    /// Records that child `index` failed, and cancels the rest of the
    /// group.
    ///
    /// Only the running child can fail, and it cancels every other before
    /// it returns to the loop: a cancelled child is dropped at its next
    /// run, without being polled. So this runs once per group.
    fn fail(&self, index: usize, failure: Option<E>) {
        {
            let mut slot = self.failure.borrow_mut();
            debug_assert!(slot.is_none(), "a cancelled child failed");
            slot.get_or_insert((index, failure));
        }
        // The failing child is finishing: cancelling it changes nothing.
        self.cancel_all();
    }
}

/// One child of a group, as its task sees it; dropping it (finished or
/// cancelled) tells the group one fewer child is running.
struct Child<T, E> {
    /// The group it reports to.
    group: Rc<Group<T, E>>,
    /// Its place in the group's outputs and children.
    index: usize,
}

impl<T, E> Child<T, E> {
    /// Runs the child's future and reports how it ended. A panic is caught
    /// to report it first, so that the others are cancelled before this
    /// task ends; then it goes on, and ends the task with the panic, which
    /// the group's handle to it holds.
    async fn run<F: Future<Output = Result<T, E>>>(self, future: F) {
        let mut future = pin!(future);
        let outcome = poll_fn(|cx| {
            // A future that panicked is never polled again: the outcome is
            // returned at once.
            match catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(cx))) {
                Ok(Poll::Pending) => Poll::Pending,
                Ok(Poll::Ready(result)) => Poll::Ready(Ok(result)),
                Err(payload) => Poll::Ready(Err(payload)),
            }
        })
        .await;
        match outcome {
            Ok(Ok(output)) => self.group.outputs.borrow_mut()[self.index] = Some(output),
            Ok(Err(error)) => self.group.fail(self.index, Some(error)),
            Err(payload) => {
                self.group.fail(self.index, None);
                resume_unwind(payload)
            }
        }
    }
}

impl<T, E> Drop for Child<T, E> {
    fn drop(&mut self) {
        let group = &self.group;
        group.running.set(group.running.get() - 1);
        if group.running.get() == 0 {
            if let Some(joiner) = group.joiner.take() {
                joiner.wake();
            }
        }
    }
}

/// How a child of a [`TaskGroup`] failed.
///
/// # Examples
///
/// ```
/// use tether::task::{Failure, TaskGroup};
///
/// tether::run(async {
///     let group: TaskGroup<(), &str> = TaskGroup::new();
///     group.spawn(async { Err("refused") });
///     let failure = group.join().await.unwrap_err().into_failure();
///     assert!(matches!(failure, Failure::Error("refused")));
///
///     let group: TaskGroup<(), &str> = TaskGroup::new();
///     group.spawn(async { panic!("bug") });
///     let failure = group.join().await.unwrap_err().into_failure();
///     assert!(matches!(&failure, Failure::Panic(panic) if panic.panic_message() == Some("bug")));
/// });
/// ```
pub enum Failure<E> {
    /// It returned this error.
    Error(E),
    /// It panicked ([`JoinError::Panicked`], with the payload).
    Panic(JoinError),
}

impl<E: fmt::Debug> fmt::Debug for Failure<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Error(error) => f.debug_tuple("Error").field(error).finish(),
            Failure::Panic(error) => f.debug_tuple("Panic").field(error).finish(),
        }
    }
}

impl<E: fmt::Display> fmt::Display for Failure<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Error(error) => error.fmt(f),
            Failure::Panic(error) => error.fmt(f),
        }
    }
}

/// The failure of a [`TaskGroup`]: the child that failed first, and how.
///
/// asyncio: the `ExceptionGroup` that `async with TaskGroup()` raises. It
/// holds one failure here: the children the first failure cancelled are
/// dropped, so none of them can fail in turn (see [`TaskGroup`]).
///
/// Returned by [`TaskGroup::join`].
///
/// # Examples
///
/// ```
/// use tether::task::{Failure, GroupError, TaskGroup};
///
/// tether::run(async {
///     let group: TaskGroup<(), String> = TaskGroup::new();
///     group.spawn(async { Ok(()) });
///     let failing = group.spawn(async { Err("no route to host".to_owned()) });
///     let error: GroupError<String> = group.join().await.unwrap_err();
///     assert_eq!(error.task_id(), failing); // as `spawn` returned it
///     assert!(matches!(error.failure(), Failure::Error(e) if e == "no route to host"));
///     assert_eq!(
///         error.to_string(),
///         format!("task {failing} of the group failed: no route to host")
///     );
///     // Owned, to handle the error itself.
///     let Failure::Error(message) = error.into_failure() else {
///         panic!("an error expected");
///     };
///     assert_eq!(message, "no route to host");
/// });
/// ```
pub struct GroupError<E> {
    /// The failed child's id.
    id: TaskId,
    /// How it failed.
    failure: Failure<E>,
}

impl<E> GroupError<E> {
    /// The id of the child that failed, as [`TaskGroup::spawn`] returned
    /// it. Shown in [`GroupError`'s example](GroupError#examples).
    pub fn task_id(&self) -> TaskId {
        self.id
    }

    /// How the child failed. Shown in [`GroupError`'s example](GroupError#examples).
    pub fn failure(&self) -> &Failure<E> {
        &self.failure
    }

    /// How the child failed, owned: the error itself, or the panic. Shown
    /// in [`GroupError`'s example](GroupError#examples).
    pub fn into_failure(self) -> Failure<E> {
        self.failure
    }
}

impl<E: fmt::Debug> fmt::Debug for GroupError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GroupError")
            .field("id", &self.id)
            .field("failure", &self.failure)
            .finish()
    }
}

impl<E: fmt::Display> fmt::Display for GroupError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "task {} of the group failed: {}", self.id, self.failure)
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for GroupError<E> {}
