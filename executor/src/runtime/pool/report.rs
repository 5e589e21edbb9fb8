//! What a pool says of its loops: each loop's state and load
//! ([`LoopReport`]), and how a stop went ([`StopReport`]).

use crate::observe::Metrics;

/// Where a pool's loop is in its life.
///
/// # Examples
///
/// A loop stopped through its own handle leaves the pool running on the
/// others:
///
/// ```
/// use tether::{LoopPool, LoopState};
/// # fn main() -> std::io::Result<()> {
/// let pool = LoopPool::builder().loops(2).build()?;
/// assert_eq!(pool.metrics()[1].state, LoopState::Running);
/// pool.handle(1).unwrap().stop();
/// while pool.metrics()[1].state != LoopState::Exited {
///     std::thread::yield_now();
/// }
/// // New work goes to the loop that is left.
/// let on = pool.spawn_next(|| async { std::thread::current().name().map(str::to_owned) });
/// assert_eq!(on.unwrap().wait().unwrap().as_deref(), Some("tether-pool-0"));
/// assert!(pool.stop().panicked.is_empty());
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoopState {
    /// The loop takes work.
    Running,
    /// The loop refuses work (it was stopped, through the pool or through
    /// its [`Handle`](crate::Handle)), and its thread is shutting it down.
    Stopping,
    /// The loop's thread has ended: it was stopped, or it panicked (the
    /// pool's [`StopReport`] says which). The pool sends it no more work.
    Exited,
}

/// One loop of a pool, as [`LoopPool::metrics`](crate::LoopPool::metrics)
/// sees it: its state, its live connections, its load and its
/// [`Metrics`]. Read from any thread, while the loop runs.
///
/// # Examples
///
/// ```
/// use tether::{LoopPool, LoopReport, LoopState};
/// # fn main() -> std::io::Result<()> {
/// let pool = LoopPool::builder().loops(2).name("io").build()?;
/// let reports: Vec<LoopReport> = pool.metrics();
/// let second = &reports[1];
/// assert_eq!((second.index, second.name.as_str()), (1, "io-1"));
/// assert_eq!(second.state, LoopState::Running);
/// assert_eq!(second.connections, 0); // no server yet
/// assert_eq!(second.load, Some(second.metrics.ready + second.metrics.injected));
/// # Ok(())
/// # }
/// ```
///
/// [`LoopPool::metrics`](crate::LoopPool::metrics) shows a stuck loop.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LoopReport {
    /// The loop's index in the pool.
    pub index: usize,
    /// The loop's name, which is its thread's too.
    pub name: String,
    /// Where the loop is in its life.
    pub state: LoopState,
    /// Connections the pool's servers handed this loop that are still
    /// open.
    pub connections: usize,
    /// The figure the pool balances by: `connections`, plus the loop's
    /// queued work (`metrics.ready + metrics.injected`); `None` once the
    /// loop takes no work. [`LoopPool`'s "Load"](crate::LoopPool#load)
    /// says why.
    pub load: Option<u64>,
    /// The loop's own counters and levels.
    pub metrics: Metrics,
}

/// How a pool's stop went; returned by
/// [`LoopPool::shutdown`](crate::LoopPool::shutdown) and
/// [`LoopPool::stop`](crate::LoopPool::stop).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use tether::{LoopPool, Spreading, StopReport};
/// # fn main() -> std::io::Result<()> {
/// let pool = LoopPool::builder().loops(2).build()?;
/// let server = pool.serve("127.0.0.1:0".parse().unwrap(), Spreading::LeastLoaded, |stream, _| async move {
///     let mut byte = [0];
///     let _ = stream.read(&mut byte).await; // until the client closes
/// })?;
/// let _client = std::net::TcpStream::connect(server.local_addr())?;
/// # while pool.metrics().iter().map(|r| r.connections).sum::<usize>() == 0 { std::thread::yield_now() }
/// // The client never closes: the stop cuts its connection short.
/// let report: StopReport = pool.shutdown(Duration::from_millis(20));
/// assert_eq!(report.unfinished_connections, 1);
/// assert!(report.panicked.is_empty());
/// # Ok(())
/// # }
/// ```
///
/// [`LoopPool::shutdown`](crate::LoopPool::shutdown) shows a stop in which
/// everything finished.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct StopReport {
    /// Connections still open when the loops were asked to stop; their tasks
    /// were dropped with their loops, which closed them. 0 when every
    /// connection ended within the timeout.
    pub unfinished_connections: usize,
    /// The loops whose thread panicked, each with its index and the
    /// panic's message (or `"non-string payload"`).
    pub panicked: Vec<(usize, String)>,
}
