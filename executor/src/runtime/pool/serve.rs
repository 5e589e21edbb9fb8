//! Serving TCP on every loop of a pool: the two ways to spread
//! connections ([`Spreading`]), the acceptor tasks behind each, and the
//! [`Server`] that stops them.
//!
//! Whichever the way, each connection is counted on the loop that serves
//! it (a `tether_bridge::Claim` moves into the connection's task, and is
//! dropped when the handler's future ends or is dropped), so that the
//! pool's reports, its cap and its graceful stop see every connection.

use std::future::{Future, poll_fn};
use std::io;
use std::net::SocketAddr;
use std::panic::Location;

use tether_bridge::sync::Arc;
use tether_bridge::{Claim, Completion, Spread};
use tether_reactor::net::{TcpListener, TcpSocket, TcpStream};

use crate::core;
use crate::id::TaskKind;
use crate::remote::{Handle, ThreadFuture};
use crate::task::JoinHandle;

/// How a pool's server spreads its connections over the loops; chosen
/// per server, in [`LoopPool::serve`](crate::LoopPool::serve).
///
/// | | `ReusePort` | `LeastLoaded` |
/// |---|---|---|
/// | who accepts | every loop, on a listener of its own | one loop (the pool's first open one) |
/// | who chooses the loop | the kernel, by a hash of the client's address and port | the acceptor: the loop with the lowest load |
/// | sees load | no: a busy or stuck loop gets its share all the same | yes: connections plus queued work |
/// | cost per connection | none beyond an accept | a hand-off to another thread: one submission to that loop's injection queue, and a wakeup if it sleeps |
/// | a loop that stops | its listener closes: connections waiting in its queue are reset (Linux; see [`TcpSocket`]), new ones go to the others | the acceptor skips it; if it is the acceptor's own loop, accepting stops |
/// | portability | balanced on Linux only | everywhere |
///
/// **Pick `ReusePort`** for many short connections of even cost, where
/// the accept rate is high and a hash spreads them well enough: nothing
/// crosses threads, and no loop is a bottleneck. **Pick `LeastLoaded`**
/// for long-lived or uneven connections (keep-alive HTTP, WebSockets,
/// streams), where a hash leaves one loop with the heavy ones, or where a
/// loop can stall: the hand-off costs a cross-thread submission per
/// connection, and the one acceptor caps the accept rate at what one loop
/// does, but new connections go around a loop that is busy or stuck.
///
/// # Examples
///
/// The same handler, served both ways; [`LoopPool::serve`](crate::LoopPool::serve)
/// has more.
///
/// ```
/// use std::io::Read;
/// use tether::{LoopPool, Spreading};
/// # fn main() -> std::io::Result<()> {
/// let pool = LoopPool::builder().loops(2).build()?;
/// for spreading in [Spreading::ReusePort, Spreading::LeastLoaded] {
///     let server = pool.serve("127.0.0.1:0".parse().unwrap(), spreading, |stream, _| async move {
///         let _ = stream.write_all(b"hi").await;
///     })?;
///     let mut answer = String::new();
///     std::net::TcpStream::connect(server.local_addr())?.read_to_string(&mut answer)?;
///     assert_eq!(answer, "hi");
///     server.stop_accepting();
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spreading {
    /// A listener on every loop, on one port, with `SO_REUSEPORT`: the
    /// kernel spreads the connections (monoio's and glommio's way).
    ReusePort,
    /// One acceptor hands each connection to the loop with the lowest load
    /// (Seastar's rule, tether's load figure), as a std socket that the
    /// chosen loop registers (actix-server's and ntex's shape).
    LeastLoaded,
}

/// A TCP server running on a pool's loops, started by
/// [`LoopPool::serve`](crate::LoopPool::serve).
///
/// Dropping it leaves the server running; [`stop_accepting`](Server::stop_accepting)
/// or the pool's [`shutdown`](crate::LoopPool::shutdown) stops it.
///
/// # Examples
///
/// ```
/// use std::io::Read;
/// use std::time::Duration;
/// use tether::{LoopPool, Spreading};
/// # fn main() -> std::io::Result<()> {
/// let pool = LoopPool::builder().loops(2).build()?;
/// let server = pool.serve("127.0.0.1:0".parse().unwrap(), Spreading::ReusePort, |stream, _| async move {
///     let _ = stream.write_all(b"hi").await;
/// })?;
/// assert_eq!(server.spreading(), Spreading::ReusePort);
/// assert_ne!(server.local_addr().port(), 0); // the port the OS picked
/// let mut answer = String::new();
/// std::net::TcpStream::connect(server.local_addr())?.read_to_string(&mut answer)?;
/// assert_eq!(answer, "hi");
///
/// server.stop_accepting();
/// // Each loop closes its listener at its next iteration.
/// # let deadline = std::time::Instant::now() + Duration::from_secs(5);
/// while std::net::TcpStream::connect(server.local_addr()).is_ok() {
/// #   assert!(std::time::Instant::now() < deadline);
///     std::thread::sleep(Duration::from_millis(1));
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct Server {
    /// The address its listeners are bound to.
    addr: SocketAddr,
    /// How it spreads connections.
    spreading: Spreading,
    /// Its acceptor tasks, shared with the pool's closing callbacks.
    acceptors: Vec<Arc<ThreadFuture<()>>>,
}

impl Server {
    pub(super) fn new(
        addr: SocketAddr,
        spreading: Spreading,
        acceptors: Vec<Arc<ThreadFuture<()>>>,
    ) -> Self {
        Self {
            addr,
            spreading,
            acceptors,
        }
    }

    /// The address the server listens on: the port the OS picked, if it
    /// was asked for port 0. Shown in
    /// [`Server`'s example](Server#examples).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// How it spreads connections. Shown in
    /// [`Server`'s example](Server#examples).
    pub fn spreading(&self) -> Spreading {
        self.spreading
    }

    /// Stops accepting: each acceptor task is cancelled, and its listener
    /// closed, at its loop's next iteration. Connections already accepted
    /// run on. Under [`Spreading::ReusePort`], connections waiting in a
    /// closing listener's queue are reset (see
    /// [`TcpSocket`]). Shown in
    /// [`Server`'s example](Server#examples).
    pub fn stop_accepting(&self) {
        for acceptor in &self.acceptors {
            acceptor.cancel();
        }
    }
}

/// A connection handler shared by every loop of a server.
pub(super) trait Handler<F>: Fn(TcpStream, SocketAddr) -> F + Send + Sync + 'static {}

impl<H, F> Handler<F> for H where H: Fn(TcpStream, SocketAddr) -> F + Send + Sync + 'static {}

/// Reports a listener's bound address to `serve`, which waits for it; if
/// the acceptor is dropped before it binds (its loop shut down first),
/// the drop reports that.
pub(super) struct Bound(pub(super) Arc<Completion<io::Result<SocketAddr>>>);

impl Bound {
    fn report(self, result: io::Result<SocketAddr>) {
        let _ = self.0.complete(result);
    }
}

impl Drop for Bound {
    fn drop(&mut self) {
        let _ = self.0.complete(Err(io::Error::other(
            "the loop stopped before its listener was bound",
        )));
    }
}

/// The acceptor of [`Spreading::ReusePort`] on loop `index`: binds its own
/// listener to `addr`, then accepts and serves on this loop, while the
/// loop is below the cap.
pub(super) async fn accept_on_own_loop<H, F>(
    index: usize,
    addr: SocketAddr,
    bound: Bound,
    handler: Arc<H>,
    spread: Arc<Spread>,
) where
    H: Handler<F>,
    F: Future<Output = ()> + 'static,
{
    let listener = match reuse_port_listener(addr) {
        Ok(listener) => listener,
        Err(err) => return bound.report(Err(err)),
    };
    bound.report(listener.local_addr());
    let own_loop = |loop_index: usize| (loop_index == index).then_some(0);
    loop {
        // At the cap, accepting pauses: the next clients wait in the
        // listener's backlog.
        wait_for_room(&spread, own_loop).await;
        // Out of file descriptors, say: `accept` backs off by itself, and
        // a connection that failed before it was accepted is the client's
        // to retry.
        let Ok((stream, peer)) = listener.accept().await else {
            continue;
        };
        let claim = poll_fn(|cx| Spread::poll_claim(&spread, cx, own_loop)).await;
        spawn_here(serve_one(handler.clone(), stream, peer, claim));
    }
}

/// The acceptor of [`Spreading::LeastLoaded`], on loop `index`: binds the
/// one listener, then hands each connection to the loop with the lowest
/// load.
pub(super) async fn accept_for_every_loop<H, F>(
    index: usize,
    addr: SocketAddr,
    bound: Bound,
    handler: Arc<H>,
    spread: Arc<Spread>,
    handles: Vec<Handle>,
) where
    H: Handler<F>,
    F: Future<Output = ()> + 'static,
{
    let listener = match TcpListener::bind(addr).await {
        Ok(listener) => listener,
        Err(err) => return bound.report(Err(err)),
    };
    bound.report(listener.local_addr());
    // The acceptor runs in its own loop's run step, which its own loop's
    // `ready` level counts: that one entry is not load.
    let weigh = |loop_index: usize| {
        let weight = weigh(&handles[loop_index])?;
        Some(if loop_index == index {
            weight.saturating_sub(1)
        } else {
            weight
        })
    };
    loop {
        // When every loop is at the cap, accepting pauses here until a
        // connection ends; the next clients wait in the listener's backlog.
        wait_for_room(&spread, weigh).await;
        // Accepted as a std socket, registered on no loop yet.
        let Ok((stream, peer)) = listener.accept_std().await else {
            continue;
        };
        // The loop with the lowest load below the cap, weighed now.
        let claim = poll_fn(|cx| Spread::poll_claim(&spread, cx, weigh)).await;
        let target = claim.index();
        if target == index {
            if let Ok(stream) = TcpStream::from_std(stream) {
                spawn_here(serve_one(handler.clone(), stream, peer, claim));
            }
            continue;
        }
        // The hand-off: the std socket crosses to the target loop in a
        // submission to its injection queue, and is registered there. If
        // that loop closed since the claim, the submission comes back and
        // is dropped, which closes the connection and counts it out.
        let handler = handler.clone();
        let handed = handles[target].spawn_with(move || async move {
            if let Ok(stream) = TcpStream::from_std(stream) {
                handler(stream, peer).await;
            }
            drop(claim);
        });
        drop(handed); // detached: the connection's task runs on its own
    }
}

/// A loop's weight for [`Spreading::LeastLoaded`]: its queued work, or
/// `None` (skip it) once it takes no work.
fn weigh(handle: &Handle) -> Option<u64> {
    if handle.is_closed() {
        None
    } else {
        Some(handle.shared().queued())
    }
}

/// Waits until some loop `weigh` allows is below the cap, without taking
/// the room (`Spread::poll_room`): an acceptor waits here before its `accept`, so that at the cap
/// new connections stay in the listener's backlog rather than in the
/// acceptor's hands, uncounted. The claim made after the `accept` then
/// finds the room, unless another server of the same pool took it in
/// between (the pool's servers share the cap); that connection waits in
/// the acceptor for the next room.
async fn wait_for_room(spread: &Arc<Spread>, weigh: impl Fn(usize) -> Option<u64>) {
    poll_fn(|cx| Spread::poll_room(spread, cx, &weigh)).await;
}

/// Serves one connection, counted by `claim` until the handler is done or
/// dropped.
async fn serve_one<H, F>(handler: Arc<H>, stream: TcpStream, peer: SocketAddr, claim: Claim)
where
    H: Handler<F>,
    F: Future<Output = ()> + 'static,
{
    handler(stream, peer).await;
    drop(claim);
}

/// A listener on `addr` with `SO_REUSEADDR` and `SO_REUSEPORT`, and the
/// backlog `TcpListener::bind` asks for.
fn reuse_port_listener(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = TcpSocket::for_addr(addr)?;
    socket.set_reuseaddr(true)?;
    socket.set_reuseport(true)?;
    socket.bind(addr)?;
    socket.listen(TcpListener::BACKLOG.unsigned_abs())
}

/// Spawns `future` as a task of the loop running on this thread, detached.
#[track_caller]
fn spawn_here<F: Future<Output = ()> + 'static>(future: F) {
    let spawned_at = Location::caller();
    let task = core::with_core(|core| core.spawn(future, TaskKind::Task, spawned_at));
    // Acceptors run as tasks of their loop, so the loop is there.
    if let Some(task) = task {
        drop(JoinHandle::new(task));
    }
}
