//! `TaskGroup`: tasks that succeed together or fail together.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::{Future, poll_fn};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::pin;
use std::rc::Rc;
use std::task::{Poll, Waker};

use crate::spawn::spawn;
use crate::task::{JoinError, JoinHandle, TaskId};

/// Tasks that succeed together or fail together: structured concurrency.
///
/// asyncio: `async with asyncio.TaskGroup() as tg: tg.create_task(...)`.
///
/// Each child is a future giving `Result<T, E>`, spawned at once as a task
/// of the loop. The first child to fail (return `Err` or panic) cancels all
/// the others, as asyncio's group does. [`join`](TaskGroup::join) is the
/// end of the `async with` block: it waits until every child has finished
/// or been cancelled, then returns either every output, in spawn order, or
/// every failure, in the order they happened ([`GroupError`]). A panic is
/// caught in the child and returned like an error: nothing reaches the
/// exception handler, and nothing is lost.
///
/// Dropping the group without joining it (for instance because the task
/// awaiting `join` was cancelled) cancels every child still running, so a
/// group never outlives the code that made it.
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
///     group.spawn(async { sleep(Duration::from_millis(2)).await; Ok(1) });
///     group.spawn(async { Ok(2) });
///     assert_eq!(group.join().await.unwrap(), [1, 2]);
///
///     let group: TaskGroup<(), &str> = TaskGroup::new();
///     group.spawn(async { sleep(Duration::from_secs(60)).await; Ok(()) }); // cancelled
///     group.spawn(async { Err("no route to host") });
///     let error = group.join().await.unwrap_err();
///     assert_eq!(error.to_string(), "1 task of the group failed: task 4: no route to host");
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
    /// The failures, in the order they happened, with the child's index.
    failures: RefCell<Vec<(usize, Failure<E>)>>,
    /// The children, by spawn order, to cancel them and to name them.
    children: RefCell<Vec<JoinHandle<()>>>,
    /// Children not finished or cancelled yet.
    running: Cell<usize>,
    /// The task waiting in `join`.
    joiner: Cell<Option<Waker>>,
}

impl<T: 'static, E: 'static> TaskGroup<T, E> {
    /// An empty group.
    pub fn new() -> Self {
        Self {
            group: Rc::new(Group {
                outputs: RefCell::new(Vec::new()),
                failures: RefCell::new(Vec::new()),
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
        if !group.failures.borrow().is_empty() {
            handle.cancel();
        }
        let id = handle.id();
        group.children.borrow_mut().push(handle);
        id
    }

    /// How many children were spawned.
    pub fn len(&self) -> usize {
        self.group.children.borrow().len()
    }

    /// Whether no child was spawned.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Waits until every child has finished or been cancelled, then gives
    /// the outputs in spawn order, or every failure.
    ///
    /// # Errors
    ///
    /// [`GroupError`], listing each child that failed (returned `Err` or
    /// panicked), in the order they failed. The children that the first
    /// failure cancelled are not failures.
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
        let failures = std::mem::take(&mut *group.failures.borrow_mut());
        if failures.is_empty() {
            let outputs = std::mem::take(&mut *group.outputs.borrow_mut());
            return Ok(outputs
                .into_iter()
                .map(|output| output.expect("with no failure, every child gave its output"))
                .collect());
        }
        let children = group.children.borrow();
        Err(GroupError {
            failures: failures
                .into_iter()
                .map(|(index, failure)| (children[index].id(), failure))
                .collect(),
        })
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
            .field("failures", &self.group.failures.borrow().len())
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

    /// Records that child `index` failed; the first failure cancels the
    /// rest of the group.
    fn fail(&self, index: usize, failure: Failure<E>) {
        let first = {
            let mut failures = self.failures.borrow_mut();
            failures.push((index, failure));
            failures.len() == 1
        };
        if first {
            // The failing child is finishing: cancelling it changes nothing.
            self.cancel_all();
        }
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
    /// Runs the child's future, catching a panic, and reports how it ended.
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
            Ok(Err(error)) => self.group.fail(self.index, Failure::Error(error)),
            Err(payload) => self
                .group
                .fail(self.index, Failure::Panic(JoinError::Panicked(payload))),
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

/// The failures of a [`TaskGroup`]: asyncio's `ExceptionGroup`.
pub struct GroupError<E> {
    /// Each failed child's id and failure, in the order they failed.
    failures: Vec<(TaskId, Failure<E>)>,
}

impl<E> GroupError<E> {
    /// Each failed child's id and failure, in the order they failed; never
    /// empty.
    pub fn failures(&self) -> &[(TaskId, Failure<E>)] {
        &self.failures
    }

    /// The failures, owned.
    pub fn into_failures(self) -> Vec<(TaskId, Failure<E>)> {
        self.failures
    }
}

impl<E: fmt::Debug> fmt::Debug for GroupError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GroupError")
            .field("failures", &self.failures)
            .finish()
    }
}

impl<E: fmt::Display> fmt::Display for GroupError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.failures.len();
        write!(
            f,
            "{n} task{} of the group failed",
            if n == 1 { "" } else { "s" }
        )?;
        for (i, (id, failure)) in self.failures.iter().enumerate() {
            write!(f, "{} task {id}: {failure}", if i == 0 { ":" } else { ";" })?;
        }
        Ok(())
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for GroupError<E> {}
