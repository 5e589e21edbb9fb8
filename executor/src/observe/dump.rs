//! `Dump`: the live tasks of a loop, for finding the one that is stuck.
//!
//! asyncio: `asyncio.all_tasks(loop)`, each task printed with its name and
//! the coroutine it was created from. tether lists the same from the
//! loop's task list (`core/task_list.rs`): what each task is, where it was
//! spawned, what it is doing, and how often it ran.
//! [`Handle::dump`](crate::Handle::dump) asks for one from any thread, and
//! [`Runtime::dump`](crate::Runtime::dump) on the loop's own.

use std::fmt;
use std::panic::Location;
use std::time::Duration;

use crate::id::{TaskId, TaskKind};

/// The live tasks of a loop at one moment, by id (that is, spawn order).
///
/// Its `Display` is a table, one task per line:
///
/// ```text
/// 2 tasks
///     id  kind      status       runs    last run  name              spawned at
///      0  block_on  running         1    0 ms ago  -                 src/main.rs:4:8
///      7  task      idle            1   2.1 s ago  "fetch"           src/main.rs:9:9
/// ```
///
/// # Examples
///
/// ```
/// tether::run(async {
///     let stuck = tether::task::Builder::new()
///         .name("stuck")
///         .spawn(std::future::pending::<()>());
///     tether::yield_now().await;
///     let dump = tether::Handle::current().dump().unwrap();
///     let task = dump.tasks.iter().find(|task| task.id == stuck.id()).unwrap();
///     assert_eq!(task.name.as_deref(), Some("stuck"));
///     assert_eq!(task.status, tether::task::TaskStatus::Idle);
///     assert_eq!(task.runs, 1);
/// });
/// ```
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Dump {
    /// Every task that has not completed: spawned tasks, pending callbacks
    /// (`call_soon`, `call_later`, `call_at`), and the stand-in task of a
    /// running `block_on`. Sorted by id.
    pub tasks: Vec<TaskInfo>,
}

/// One live task in a [`Dump`].
///
/// # Examples
///
/// ```
/// use tether::task::{TaskInfo, TaskKind, TaskStatus};
/// # fn main() -> std::io::Result<()> {
/// let rt = tether::Runtime::builder().debug(true).build()?;
/// let idle = rt.spawn(std::future::pending::<()>());
/// rt.block_on(tether::yield_now());
/// let dump = rt.dump();
/// let info: &TaskInfo = &dump.tasks[0];
/// assert_eq!(info.id, idle.id());
/// assert_eq!(info.kind, TaskKind::Task);
/// assert_eq!(info.name, None);
/// assert_eq!(info.spawned_at.file(), file!());
/// assert_eq!(info.status, TaskStatus::Idle);
/// assert_eq!(info.runs, 1);
/// assert!(info.since_last_run.is_some()); // kept in debug mode
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TaskInfo {
    /// The task's id: its place in spawn order.
    pub id: TaskId,
    /// A task, a callback, or the stand-in of a `block_on`.
    pub kind: TaskKind,
    /// The name given with [`task::Builder`](crate::TaskBuilder::name);
    /// `None` for a task spawned without one.
    pub name: Option<String>,
    /// Where `spawn` (or `call_soon`, `block_on`...) was called: `spawn` and
    /// its siblings are `#[track_caller]`, as `panic!` is.
    pub spawned_at: &'static Location<'static>,
    /// What the task is doing.
    pub status: TaskStatus,
    /// How many times the loop ran it: polls of its future (for a
    /// `block_on` stand-in, polls of `block_on`'s future). Saturates at
    /// `u32::MAX`.
    pub runs: u32,
    /// How long ago its last run began, to the millisecond; for a task that
    /// is running, how long it has been running. Only in debug mode
    /// ([`Builder::debug`](crate::Builder::debug)), which reads the clock at
    /// every run; `None` otherwise, and for a task that never ran.
    pub since_last_run: Option<Duration>,
}

/// What a live task is doing, as its state word says.
///
/// # Examples
///
/// ```
/// use tether::task::{TaskKind, TaskStatus};
///
/// tether::run(async {
///     let idle = tether::spawn(std::future::pending::<()>());
///     let cancelled = tether::spawn(std::future::pending::<()>());
///     tether::yield_now().await; // both ran once, and wait
///     cancelled.cancel();
///     let queued = tether::spawn(async {});
///     let dump = tether::Handle::current().dump().unwrap();
///     let status = |id| dump.tasks.iter().find(|task| task.id == id).unwrap().status;
///     assert_eq!(status(idle.id()), TaskStatus::Idle);
///     assert_eq!(status(cancelled.id()), TaskStatus::Cancelling);
///     assert_eq!(status(queued.id()), TaskStatus::Scheduled);
///     // The `block_on` that asked for the dump is running.
///     let main = dump.tasks.iter().find(|task| task.kind == TaskKind::BlockOn).unwrap();
///     assert_eq!(main.status, TaskStatus::Running);
/// });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TaskStatus {
    /// Waiting to be woken. A task that stays idle for long, with few runs,
    /// is waiting for something that does not happen.
    Idle,
    /// Woken: in the ready queue, or on its way there from another thread.
    Scheduled,
    /// The loop is running it now. In a dump taken on the loop, that is the
    /// task that asked for the dump (or the `block_on` it runs in).
    Running,
    /// Cancelled: the loop drops its future at its next run.
    Cancelling,
}

impl TaskStatus {
    /// The status a state word shows, for a task that is not complete.
    pub(crate) fn of(state: tether_bridge::Snapshot) -> TaskStatus {
        if state.is_running() {
            TaskStatus::Running
        } else if state.is_cancelled() {
            TaskStatus::Cancelling
        } else if state.is_scheduled() {
            TaskStatus::Scheduled
        } else {
            TaskStatus::Idle
        }
    }
}

impl fmt::Display for TaskStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            TaskStatus::Idle => "idle",
            TaskStatus::Scheduled => "scheduled",
            TaskStatus::Running => "running",
            TaskStatus::Cancelling => "cancelling",
        })
    }
}

impl fmt::Display for Dump {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.tasks.len();
        writeln!(f, "{count} task{}", if count == 1 { "" } else { "s" })?;
        writeln!(
            f,
            "  {:>4}  {:<8}  {:<10}  {:>5}  {:>10}  {:<16}  spawned at",
            "id", "kind", "status", "runs", "last run", "name"
        )?;
        for task in &self.tasks {
            let last_run = match task.since_last_run {
                Some(since) => format!("{} ago", Millis(since)),
                None => "-".to_owned(),
            };
            let name = match &task.name {
                Some(name) => format!("{name:?}"),
                None => "-".to_owned(),
            };
            writeln!(
                f,
                "  {:>4}  {:<8}  {:<10}  {:>5}  {:>10}  {:<16}  {}",
                task.id,
                task.kind.to_string(),
                task.status,
                task.runs,
                last_run,
                name,
                task.spawned_at
            )?;
        }
        Ok(())
    }
}

/// A duration as a person reads it: `850 ms`, `2.1 s`.
struct Millis(Duration);

impl fmt::Display for Millis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Below a second, as a `u32`: formatting `as_millis`'s `u128` would
        // add its own code to the binary.
        let millis = self.0.subsec_millis();
        if self.0.as_secs() == 0 {
            write!(f, "{millis} ms")
        } else {
            write!(f, "{:.1} s", self.0.as_secs_f64())
        }
    }
}

/// Why [`Handle::dump`](crate::Handle::dump) has no dump to give.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use tether::DumpError;
/// # fn main() -> std::io::Result<()> {
/// let rt = tether::Runtime::new()?;
/// let handle = rt.handle();
/// // On the loop's thread, outside the loop: `rt.dump()` answers there.
/// assert_eq!(handle.dump().unwrap_err(), DumpError::NotRunning);
///
/// // From another thread, while the loop is not running.
/// let asking = handle.clone();
/// let waited = Duration::from_millis(1);
/// let answer = std::thread::spawn(move || asking.dump_timeout(waited)).join().unwrap();
/// assert_eq!(answer.unwrap_err(), DumpError::Unresponsive(waited));
///
/// drop(rt);
/// assert_eq!(handle.dump().unwrap_err(), DumpError::Closed);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DumpError {
    /// The loop did not answer in time: it is blocked inside a run (a task
    /// or callback that does not return; debug mode names the slow ones
    /// once they do), or it is not running at all (no `block_on` or
    /// `run_forever` is in progress).
    Unresponsive(Duration),
    /// Asked on the loop's own thread while the loop is not running, where
    /// waiting for it would never end: use
    /// [`Runtime::dump`](crate::Runtime::dump) there.
    NotRunning,
    /// The loop has shut down.
    Closed,
}

impl fmt::Display for DumpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DumpError::Unresponsive(waited) => write!(
                f,
                "the loop did not answer within {waited:?}: a task or callback is blocking it, \
                 or it is not running"
            ),
            DumpError::NotRunning => f.write_str(
                "the loop is not running, and this is its own thread: use Runtime::dump",
            ),
            DumpError::Closed => f.write_str("the loop is closed"),
        }
    }
}

impl std::error::Error for DumpError {}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::Millis;

    #[test]
    fn a_duration_reads_in_milliseconds_below_a_second_and_in_seconds_above() {
        let shown = |duration| Millis(duration).to_string();
        assert_eq!(shown(Duration::ZERO), "0 ms");
        assert_eq!(shown(Duration::from_micros(850_900)), "850 ms");
        assert_eq!(shown(Duration::from_millis(2_140)), "2.1 s");
    }
}
