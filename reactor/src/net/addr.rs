//! Addresses: which ones resolve on the spot, and which need the system
//! resolver, off the loop.
//!
//! A socket address given as an IP and a port is an address already; a
//! host name is not, and turning it into one means asking the system
//! resolver (`getaddrinfo`), which blocks: it reads the hosts file, and may
//! wait for a DNS server, up to its own timeout when none answers. On the
//! loop thread that would stall every task, timer and callback of the loop
//! for as long. asyncio's `getaddrinfo` runs in the loop's default
//! executor for this reason; so does tokio's, in its blocking pool.
//!
//! std's `ToSocketAddrs` cannot tell the two apart before it runs: its
//! `to_socket_addrs` is the blocking call. So the sockets take
//! [`ToSocketAddrs`] of their own, a sealed trait implemented for the same
//! types as std's, which answers at once with the addresses when they are
//! literal, and otherwise with a [`Lookup`]: a host name and a port, to be
//! resolved somewhere that may block.
//!
//! Where it blocks is the loop's blocking pool. The pool and the cell a
//! job's answer comes back through are the bridge's (`tether-bridge`),
//! below this crate; the executor, which owns the pool, hands the reactor
//! a function that gives it when it builds a loop
//! ([`Reactor::set_blocking_pool_with`]; the pool is made by the first
//! lookup or `spawn_blocking` that needs it), and the reactor runs each
//! lookup as a job there (`Lookup::on_pool`), as `spawn_blocking` runs a
//! job. The code that hands jobs to the pool is reached only from here, so
//! a program that never looks a name up does not link it; an earlier
//! design, where the executor installed a resolver function at every
//! loop's start, put the pool's thread-spawning code in every program,
//! some 60 KB of a stripped hello world.
//!
//! A program that resolves names its own way (a cache, an async DNS
//! client) sets a resolver instead ([`Reactor::set_resolver`]): a function
//! that takes the `Lookup` and returns a future of its answer. A reactor
//! driven without the executor, with neither, runs the lookup where it is
//! asked, on its own thread, as std would.
//!
//! A lookup costs a job on the pool: a thread hand-off there and a wakeup
//! back. While it waits in the pool's queue, dropping the future that asked
//! for it (a `connect` given up, or timed out) cancels it: it stays queued,
//! and the pool thread that reaches it skips the lookup; once it runs, the
//! system resolver cannot be interrupted, and it finishes
//! on its pool thread with no one to read its answer.

use std::fmt;
use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};

use tether_bridge::sync::Arc;
use tether_bridge::{BlockingPool, Completion};

use crate::Reactor;

/// Something that names one or more socket addresses: what `connect`,
/// `bind` and `send_to` accept.
///
/// Implemented for the types std's `ToSocketAddrs` is implemented for:
/// socket addresses (`SocketAddr`, `"127.0.0.1:80"`), an IP with a port
/// (`(IpAddr, u16)`), a host and a port (`"example.com:80"`,
/// `("example.com", 80)`), and a slice of addresses. Literal addresses
/// resolve on the spot; a host name is looked up on the loop's blocking
/// pool, so that the loop never waits for a DNS answer (see the [module
/// docs](crate::net#name-resolution)). The trait is sealed: its one method
/// is internal, so that the set of types stays the one above.
///
/// asyncio: the `host, port` arguments of `open_connection`, whose names
/// `loop.getaddrinfo` resolves in the default executor.
///
/// # Examples
///
/// A name, looked up off the loop, and a literal address, not looked up at
/// all:
///
/// ```
/// use tether::net::{TcpListener, TcpStream};
///
/// # fn main() -> std::io::Result<()> {
/// tether::run(async {
///     let listener = TcpListener::bind(("localhost", 0)).await?;
///     let port = listener.local_addr()?.port();
///     let by_name = TcpStream::connect(("localhost", port)).await?;
///     let by_addr = TcpStream::connect(listener.local_addr()?).await?;
///     assert_eq!(by_name.peer_addr()?, by_addr.peer_addr()?);
///     Ok(())
/// })
/// # }
/// ```
pub trait ToSocketAddrs: sealed::Resolve {}

pub(crate) mod sealed {
    /// The method behind [`ToSocketAddrs`](super::ToSocketAddrs), in a
    /// module no one outside the crate can name, so that no other type can
    /// implement it.
    pub trait Resolve {
        /// The addresses, when they are literal; otherwise the lookup to
        /// run. Never blocks.
        #[doc(hidden)]
        fn resolve(&self) -> super::Resolution;
    }
}

/// What an address resolves to without blocking.
#[doc(hidden)]
#[derive(Debug)]
pub enum Resolution {
    /// The addresses, or why the input is no address.
    Ready(io::Result<Vec<SocketAddr>>),
    /// A host name the system resolver must look up.
    Lookup(Lookup),
}

/// A host name and a port, for the system resolver to turn into addresses.
///
/// The reactor hands one to its resolver ([`Reactor::set_resolver`]),
/// which runs it where blocking is harmless.
///
/// # Examples
///
/// A resolver that records what it is asked, then looks the name up on the
/// loop's blocking pool, as the loop's own resolver does:
///
/// ```
/// use std::cell::RefCell;
/// use std::io;
/// use std::rc::Rc;
///
/// use tether::net::{TcpListener, TcpStream};
/// use tether_reactor::Reactor;
/// use tether_reactor::net::{Lookup, Resolving};
///
/// # fn main() -> io::Result<()> {
/// tether::run(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await?;
///     let port = listener.local_addr()?.port();
///     let asked = Rc::new(RefCell::new(Vec::new()));
///     let log = asked.clone();
///     Reactor::current().unwrap().set_resolver(move |lookup: Lookup| -> Resolving {
///         log.borrow_mut().push((lookup.host().to_owned(), lookup.port()));
///         let job = tether::spawn_blocking(move || lookup.run());
///         Box::pin(async move { job.await.map_err(|err| io::Error::other(err.to_string()))? })
///     });
///     TcpStream::connect(("localhost", port)).await?;
///     TcpStream::connect(("127.0.0.1", port)).await?; // literal: not asked
///     assert_eq!(*asked.borrow(), [("localhost".to_owned(), port)]);
///     Ok(())
/// })
/// # }
/// ```
pub struct Lookup {
    /// The name to look up.
    host: String,
    /// The port every address it resolves to gets.
    port: u16,
}

impl Lookup {
    /// The host name to look up. Shown in [`Lookup`'s example](Lookup#examples).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port of every address the name resolves to. Shown in
    /// [`Lookup`'s example](Lookup#examples).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Asks the system resolver, and blocks until it answers. Shown in
    /// [`Lookup`'s example](Lookup#examples).
    ///
    /// # Errors
    ///
    /// The resolver's error when the name is unknown or the resolver fails.
    pub fn run(self) -> io::Result<Vec<SocketAddr>> {
        std::net::ToSocketAddrs::to_socket_addrs(&(self.host.as_str(), self.port))
            .map(Iterator::collect)
    }
}

impl Lookup {
    /// Runs the lookup as a job on `pool`; the future of its answer.
    ///
    /// The answer crosses back through the bridge's completion cell, as a
    /// `spawn_blocking` result does. Dropping the future before the job
    /// starts cancels it (`Completion::cancel_unstarted`): a `connect`
    /// given up never looks its name up. A job the pool refuses (it is
    /// shut down) or drops unrun resolves as an error, as does a lookup
    /// that panics.
    pub(crate) fn on_pool(self, pool: &BlockingPool) -> OnPool {
        let host = self.host.clone();
        let answer = pool.spawn_answered(
            move || {
                catch_unwind(AssertUnwindSafe(|| self.run())).unwrap_or_else(|_| {
                    Err(io::Error::other(format!("the lookup of {host} panicked")))
                })
            },
            || {
                Err(io::Error::other(
                    "cannot look the host name up: the loop's blocking pool is shut down",
                ))
            },
        );
        OnPool { answer }
    }
}

/// The future of a lookup on the blocking pool.
pub(crate) struct OnPool {
    /// Where the job puts the answer.
    answer: Arc<Completion<io::Result<Vec<SocketAddr>>>>,
}

impl Future for OnPool {
    type Output = io::Result<Vec<SocketAddr>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.answer.poll_take(cx)
    }
}

impl Drop for OnPool {
    fn drop(&mut self) {
        // Keeps a job that has not started from starting; a no-op once it
        // has, or once it answered.
        let _ = self
            .answer
            .cancel_unstarted(Err(io::ErrorKind::Interrupted.into()));
    }
}

impl fmt::Debug for Lookup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Lookup({}:{})", self.host, self.port)
    }
}

/// The answer of a resolver to a [`Lookup`]: a future, run on the loop, of
/// the addresses. [`Lookup`'s example](Lookup#examples) makes one of a
/// blocking-pool job.
///
/// # Examples
///
/// An answer known at once, as a resolver with a cache might give:
///
/// ```
/// use std::net::SocketAddr;
///
/// use tether_reactor::net::Resolving;
///
/// let cached: SocketAddr = "127.0.0.1:80".parse().unwrap();
/// let answer: Resolving = Box::pin(std::future::ready(Ok(vec![cached])));
/// assert_eq!(tether::run(answer).unwrap(), [cached]);
/// ```
pub type Resolving = Pin<Box<dyn Future<Output = io::Result<Vec<SocketAddr>>>>>;

/// The addresses `addr` names: at once when they are literal, through the
/// current reactor's resolver when a name must be looked up.
pub(super) async fn resolve(addr: impl ToSocketAddrs) -> io::Result<Vec<SocketAddr>> {
    match addr.resolve() {
        Resolution::Ready(addrs) => addrs,
        Resolution::Lookup(lookup) => {
            let resolving = Reactor::current()
                .expect("tether's sockets are used inside a running tether loop")
                .resolve(lookup);
            resolving.await
        }
    }
}

fn ready(addr: impl Into<SocketAddr>) -> Resolution {
    Resolution::Ready(Ok(vec![addr.into()]))
}

/// A host and a port: resolved at once if the host is an IP, else looked up.
fn host_and_port(host: &str, port: u16) -> Resolution {
    match host.parse::<IpAddr>() {
        Ok(ip) => ready((ip, port)),
        Err(_) => Resolution::Lookup(Lookup {
            host: host.to_owned(),
            port,
        }),
    }
}

/// The types that are addresses already: each resolves to itself.
macro_rules! literal {
    ($($ty:ty),*) => {$(
        impl ToSocketAddrs for $ty {}
        impl sealed::Resolve for $ty {
            fn resolve(&self) -> Resolution {
                ready(*self)
            }
        }
    )*};
}

literal!(
    SocketAddr,
    SocketAddrV4,
    SocketAddrV6,
    (IpAddr, u16),
    (Ipv4Addr, u16),
    (Ipv6Addr, u16)
);

impl ToSocketAddrs for (&str, u16) {}
impl sealed::Resolve for (&str, u16) {
    fn resolve(&self) -> Resolution {
        host_and_port(self.0, self.1)
    }
}

impl ToSocketAddrs for (String, u16) {}
impl sealed::Resolve for (String, u16) {
    fn resolve(&self) -> Resolution {
        host_and_port(&self.0, self.1)
    }
}

/// `"ip:port"`, `"[ipv6]:port"` or `"host:port"`, split as std splits it:
/// at the last colon.
impl ToSocketAddrs for str {}
impl sealed::Resolve for str {
    fn resolve(&self) -> Resolution {
        if let Ok(addr) = self.parse::<SocketAddr>() {
            return ready(addr);
        }
        let invalid =
            |what| Resolution::Ready(Err(io::Error::new(io::ErrorKind::InvalidInput, what)));
        let Some((host, port)) = self.rsplit_once(':') else {
            return invalid("invalid socket address: no port");
        };
        match port.parse::<u16>() {
            Ok(port) => host_and_port(host, port),
            Err(_) => invalid("invalid port value"),
        }
    }
}

impl ToSocketAddrs for String {}
impl sealed::Resolve for String {
    fn resolve(&self) -> Resolution {
        self.as_str().resolve()
    }
}

impl ToSocketAddrs for [SocketAddr] {}
impl sealed::Resolve for [SocketAddr] {
    fn resolve(&self) -> Resolution {
        Resolution::Ready(Ok(self.to_vec()))
    }
}

impl<T: ToSocketAddrs + ?Sized> ToSocketAddrs for &T {}
impl<T: ToSocketAddrs + ?Sized> sealed::Resolve for &T {
    fn resolve(&self) -> Resolution {
        (**self).resolve()
    }
}

#[cfg(test)]
mod tests {
    use super::sealed::Resolve;
    use super::*;

    fn literal(addr: &(impl ToSocketAddrs + ?Sized)) -> Vec<SocketAddr> {
        match addr.resolve() {
            Resolution::Ready(addrs) => addrs.unwrap(),
            Resolution::Lookup(lookup) => panic!("{lookup:?} was not literal"),
        }
    }

    fn lookup(addr: &(impl ToSocketAddrs + ?Sized)) -> (String, u16) {
        match addr.resolve() {
            Resolution::Lookup(lookup) => (lookup.host, lookup.port),
            Resolution::Ready(addrs) => panic!("{addrs:?} needed no lookup"),
        }
    }

    #[test]
    fn literal_addresses_resolve_without_a_lookup() {
        let v4: SocketAddr = "127.0.0.1:80".parse().unwrap();
        let v6: SocketAddr = "[::1]:443".parse().unwrap();
        assert_eq!(literal("127.0.0.1:80"), [v4]);
        assert_eq!(literal("[::1]:443"), [v6]);
        assert_eq!(literal(&("127.0.0.1", 80)), [v4]);
        assert_eq!(literal(&("::1", 443)), [v6]);
        assert_eq!(literal(&(v4.ip(), 80)), [v4]);
        assert_eq!(literal(&v6), [v6]);
        assert_eq!(literal(&String::from("127.0.0.1:80")), [v4]);
        assert_eq!(literal(&[v4, v6][..]), [v4, v6]);
    }

    #[test]
    fn host_names_become_lookups() {
        assert_eq!(lookup("localhost:80"), ("localhost".to_owned(), 80));
        assert_eq!(
            lookup(&("example.com", 443)),
            ("example.com".to_owned(), 443)
        );
        assert_eq!(
            lookup(&(String::from("example.com"), 1)),
            ("example.com".to_owned(), 1)
        );
    }

    #[test]
    fn malformed_addresses_are_errors_at_once() {
        for bad in ["localhost", "localhost:http", "127.0.0.1:65536"] {
            match bad.resolve() {
                Resolution::Ready(Err(err)) => {
                    assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{bad}")
                }
                other => panic!("{bad}: {other:?}"),
            }
        }
    }
}
