//! `current`: which task is running, from inside it.

use std::fmt;
use std::rc::Rc;

use crate::core;
use crate::id::TaskId;

/// The task being polled on this thread's loop: a spawned task, or the
/// future of `block_on` (task 0, with no name). `None` outside a task: in
/// a callback (`call_soon` and friends), outside a loop, or between runs.
///
/// asyncio: `asyncio.current_task()`.
///
/// # Examples
///
/// ```
/// tether::run(async {
///     // The `block_on` future is task 0.
///     assert_eq!(tether::task::current().unwrap().id().to_string(), "0");
///     let task = tether::task::Builder::new().name("fetch").spawn(async {
///         let me = tether::task::current().unwrap();
///         (me.id(), me.name().map(str::to_owned))
///     });
///     let id = task.id();
///     assert_eq!(task.await.unwrap(), (id, Some("fetch".to_owned())));
///     // A callback is no task of its own, as in asyncio.
///     let seen = std::rc::Rc::new(std::cell::Cell::new(true));
///     let flag = seen.clone();
///     tether::call_soon(move || flag.set(tether::task::current().is_some()));
///     tether::yield_now().await;
///     assert!(!seen.get());
/// });
/// assert!(tether::task::current().is_none());
/// ```
pub fn current() -> Option<CurrentTask> {
    let (id, name) = core::with_core(|core| core.current_task())??;
    Some(CurrentTask { id, name })
}

/// The task [`current`] found. Shown in [`current`]'s example, with its
/// accessors.
///
/// # Examples
///
/// ```
/// tether::run(async {
///     let me: tether::task::CurrentTask = tether::task::current().unwrap();
///     assert_eq!(me.name(), None);
/// });
/// ```
#[derive(Clone)]
pub struct CurrentTask {
    /// Its id.
    id: TaskId,
    /// Its name, if `task::Builder` gave it one.
    name: Option<Rc<str>>,
}

impl CurrentTask {
    /// The task's id. Shown in [`current`'s example](current#examples).
    pub fn id(&self) -> TaskId {
        self.id
    }

    /// The task's name, if `task::Builder` gave it one. Shown in
    /// [`current`'s example](current#examples).
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }
}

impl fmt::Debug for CurrentTask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CurrentTask")
            .field("id", &self.id)
            .field("name", &self.name)
            .finish()
    }
}
