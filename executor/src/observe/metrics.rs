//! `Metrics`: what the loop has done so far, readable from any thread.

/// A snapshot of a loop's counters; see [`Handle::metrics`](crate::Handle::metrics).
///
/// Every field counts since the runtime was created and only grows. The
/// values are read one by one, while the loop may be running, so they can
/// be a few events apart from each other.
///
/// # Examples
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// let lt = tether::LoopThread::new()?;
/// let before: tether::Metrics = lt.handle().metrics();
/// lt.spawn(async {}).unwrap().wait().unwrap();
/// let after = lt.handle().metrics();
/// // The spawn came through the injection queue.
/// assert!(after.submissions > before.submissions);
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
    /// polls without blocking once 61 task runs have gone by since the last
    /// poll, and only while some source is armed; not once per iteration.
    pub polls: u64,
    /// Those of `polls` that were allowed to block (the loop had nothing
    /// to run and went to sleep).
    pub parks: u64,
    /// Task runs: polls of a future, or drops of a cancelled one.
    pub runs: u64,
    /// Items the loop took from its injection queue: wakes and cancels,
    /// spawns, callbacks, stops and stop callbacks from other threads, or
    /// from its own thread outside the loop.
    pub submissions: u64,
    /// Writes of the wakeup by other threads: at most one per park.
    pub wakeup_writes: u64,
}
