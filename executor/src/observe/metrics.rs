//! `Metrics`: what the loop has done so far, and how much it holds now,
//! readable from any thread.

/// A snapshot of a loop's counters and levels; see
/// [`Handle::metrics`](crate::Handle::metrics).
///
/// The counters (`iterations` to `slow_callbacks`) count since the runtime
/// was created and only grow. The levels (`ready`, `injected`, `tasks`)
/// say how much the loop holds now, as the loop last published it. The
/// values are read one by one, while the loop may be running, so they can
/// be a few events apart from each other.
///
/// A loop stuck in one run (a task that blocks its thread) shows from any
/// thread: `iterations` and `runs` stand still while `injected` grows with
/// every wake and submission other threads send it, and `ready` still
/// counts the run step it is stuck in. A [`LoopPool`](crate::LoopPool)
/// reads these to find its least loaded loop.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// # fn main() -> std::io::Result<()> {
/// let lt = tether::LoopThread::new()?;
/// let before: tether::Metrics = lt.handle().metrics();
/// lt.spawn(async {}).unwrap().wait().unwrap();
/// let after = lt.handle().metrics();
/// // The spawn came through the injection queue.
/// assert!(after.submissions > before.submissions);
///
/// // A task that blocks the loop's thread: what is sent meanwhile waits.
/// let (release, held) = std::sync::mpsc::channel::<()>();
/// let (started, blocking) = std::sync::mpsc::channel();
/// lt.spawn(async move {
///     started.send(()).unwrap();
///     held.recv().unwrap()
/// })
/// .unwrap()
/// .detach();
/// blocking.recv().unwrap();
/// let iterations = lt.handle().metrics().iterations;
/// let waiting: Vec<_> = (0..3).map(|_| lt.spawn(async {}).unwrap()).collect();
/// std::thread::sleep(Duration::from_millis(20));
/// let stuck = lt.handle().metrics();
/// assert_eq!(stuck.iterations, iterations); // no iteration goes by
/// assert_eq!(stuck.injected, 3); // the three spawns wait
/// assert_eq!(stuck.tasks, 1); // the blocker, listed when its turn came
/// release.send(()).unwrap();
/// for task in waiting {
///     task.wait().unwrap();
/// }
/// assert_eq!(lt.handle().metrics().injected, 0);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Metrics {
    /// Iterations of the loop (see the drawing at the top of
    /// `executor/src/core/run_loop.rs`).
    /// One is counted as it begins, before its park: the work that ends
    /// the park runs in the iteration already counted.
    pub iterations: u64,
    /// Calls to the OS poller, blocking or not. While the loop is busy it
    /// polls without blocking once 31 runs have gone by since the last
    /// poll, and only while some source is armed; not once per iteration.
    pub polls: u64,
    /// Times the loop had nothing to run and went to sleep: in the poller
    /// (those of `polls` that were allowed to block), or, with no source
    /// armed, on its own thread.
    pub parks: u64,
    /// Runs: polls of a task's future, drops of a cancelled one, and calls
    /// of callbacks from other threads.
    pub runs: u64,
    /// Items the loop took from its injection queue: wakes and cancels,
    /// spawns, callbacks, stops and stop callbacks from other threads, or
    /// from its own thread outside the loop.
    pub submissions: u64,
    /// Wakeups by other threads, a write of the wakeup or an unpark of the
    /// loop's thread, as the loop slept: at most one per park.
    pub wakeup_writes: u64,
    /// Runs that took at least the loop's slow-callback duration. Counted
    /// in debug mode only, which times every run
    /// ([`Builder::debug`](crate::Builder::debug)); 0 outside it.
    pub slow_callbacks: u64,
    /// A level: entries of the ready queue (tasks, and the wakes, spawns,
    /// callbacks, stops and stop callbacks the loop took from other threads,
    /// each to run or be taken in its turn), as the loop last published it: as
    /// each run step begins (what the step will run) and as it ends (what woke
    /// meanwhile, for the next step). asyncio: `len(loop._ready)`.
    pub ready: u64,
    /// A level: items other threads have sent the loop (wakes, spawns,
    /// callbacks) that it has not taken yet, counted now, at the read.
    pub injected: u64,
    /// A level: live tasks (spawned, not yet completed or dropped), as the
    /// loop last published it: when `ready` was, and when it listed a task
    /// another thread spawned, as that task's turn came; the stand-in of a
    /// running `block_on` among them; 0 once the loop has shut down.
    pub tasks: u64,
}
