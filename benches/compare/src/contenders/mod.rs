//! The contenders: one module per runtime, each doing every workload the
//! way a user of that runtime would write it.

use std::net::SocketAddr;
use std::time::Duration;

pub(crate) mod smol;
pub(crate) mod tether;
pub(crate) mod tokio;

/// The workloads, as one runtime runs them. Each function builds its own
/// runtime, so that nothing carries over from one measurement to the next
/// (and each workload runs in a fresh process).
pub(crate) trait Contender {
    /// From another thread, `n` trivial closures submitted back to back;
    /// the time from the first submission to the last run.
    fn remote_callback(n: usize) -> Duration;
    /// From another thread, `n` tiny futures submitted one at a time, each
    /// waited for before the next; each round trip's time.
    fn remote_roundtrip(n: usize) -> Vec<Duration>;
    /// `total` tiny tasks spawned on the loop in batches of `batch`, each
    /// batch awaited before the next.
    fn local_spawn(total: usize, batch: usize) -> Duration;
    /// Two tasks passing a token through a one-slot channel `hops` times.
    fn ping_pong(hops: usize) -> Duration;
    /// One task per delay sleeps for it: the time taken to make the tasks
    /// (each sleep's deadline counts from its making), and the time until
    /// all are done.
    fn timers(delays: &[Duration]) -> (Duration, Duration);
    /// A 10 s sleep polled once (registered) and dropped, `n` times.
    fn timer_cancel(n: usize) -> Duration;
    /// A 10 s timeout around an immediately ready future, `n` times; with
    /// `OPAQUE`, the 10 s is a value the compiler cannot see through (as a
    /// duration read from configuration is), instead of a constant.
    fn timeout_ready<const OPAQUE: bool>(n: usize) -> Duration;
    /// The same loop with the ready future awaited bare, no timeout around
    /// it: what the loop itself costs on the runtime, for reference.
    fn await_ready(n: usize) -> Duration;
    /// From a task, `n` closures run one after another on the runtime's
    /// blocking-thread pool, each awaited before the next.
    fn spawn_blocking(n: usize) -> Duration;
    /// `n` tasks parked forever; the resident memory they added, in bytes.
    fn idle_tasks(n: usize) -> u64;
    /// An echo server for `conns` connections of 64-byte messages; calls
    /// `ready` with its address, and returns once every connection closed.
    fn echo_server(conns: usize, ready: &dyn Fn(SocketAddr));
    /// hyper's HTTP/1.1 server answering [`hello`](crate::http::hello) on
    /// `conns` connections; calls `ready` with its address, and returns
    /// once every connection closed.
    fn http_server(conns: usize, ready: &dyn Fn(SocketAddr));
}

/// How many bytes an echo message has.
pub(crate) const MESSAGE: usize = 64;

/// The timeouts' 10 s: a constant, or with `OPAQUE` a value the compiler
/// cannot fold (see [`Contender::timeout_ready`]).
pub(crate) fn ten_seconds<const OPAQUE: bool>() -> Duration {
    let ten = Duration::from_secs(10);
    if OPAQUE {
        std::hint::black_box(ten)
    } else {
        ten
    }
}
