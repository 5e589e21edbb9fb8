//! `TcpSocket`: a TCP socket set up before it listens or connects.
//!
//! [`TcpListener::bind`] and [`TcpStream::connect`] make their socket,
//! set what every program wants, and go. Some servers need a say in
//! between: a listener per loop on one port needs `SO_REUSEPORT` set
//! before `bind`, a server that takes bursts wants its own backlog, a
//! client may want bigger buffers before the handshake fixes the window
//! scale. [`TcpSocket`] is that in-between: a socket made, set up, then
//! turned into a listener ([`listen`](TcpSocket::listen)) or a connection
//! ([`connect`](TcpSocket::connect)). tokio's `TcpSocket` has the same
//! shape; asyncio's `create_server` takes the same choices as arguments
//! (`reuse_address=`, `reuse_port=`, `backlog=`).
//!
//! Both `TcpListener::bind` and `TcpStream::connect` are built on it, so
//! the socket is the same either way: non-blocking and close-on-exec from
//! the start.
//!
//! What `SO_REUSEPORT` does on each OS, and what becomes of the
//! connections waiting on a listener of a shared port that closes, is in
//! [`TcpSocket`]'s docs, "Sharing a port".

use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use rustix::io::Errno;
use rustix::net::{AddressFamily, sockopt};

use super::{TcpListener, TcpStream};
use crate::async_fd::Async;

/// A TCP socket, not yet listening or connected, to set up first.
///
/// asyncio: the socket `loop.create_server(..., reuse_port=True,
/// backlog=n)` makes before it listens.
///
/// # Sharing a port: `SO_REUSEPORT`
///
/// With `SO_REUSEPORT` set on every one of them before `bind`, several
/// sockets of one user may listen on the same address and port. What the
/// kernel then does with incoming connections depends on the OS:
///
/// - **Linux** (3.9 and later) puts the listeners in one group and sends
///   each new connection to one of them, chosen by a hash of the
///   connection's addresses and ports: over many clients they get about
///   the same number, whatever each listener's load. Each listener has its
///   own queue of connections waiting to be accepted. When one of them is
///   closed, the connections waiting in its queue are **reset**, not
///   handed to the others (the client reads `ConnectionReset`), unless
///   the `net.ipv4.tcp_migrate_req` sysctl (Linux 5.14 and later, off by
///   default) is on, in which case the kernel moves them to another
///   listener of the group. `tests/net_socket.rs` checks whichever of the
///   two the machine is set for. A server that closes one listener of a
///   group, at shutdown say, should stop taking connections on it only
///   after it has accepted what its queue holds, or accept that those
///   clients see a reset.
/// - **FreeBSD** accepts the bind but, for balancing, wants its own
///   `SO_REUSEPORT_LB`, which this type does not set; **macOS** and the
///   other BSDs accept the bind and do not spread connections evenly. The
///   option is there on every Unix, and a listener per loop still works,
///   but only Linux balances them.
///
/// `SO_REUSEPORT` spreads by hash, not by load: a listener whose loop is
/// busy or stuck gets its share all the same. The pool's other mode, one
/// acceptor handing connections to the loop with the fewest, sees load
/// (`tether::LoopPool`, "Spreading connections").
///
/// # Examples
///
/// Two listeners on one port, as a pool of loops runs one per loop:
///
/// ```
/// use std::net::SocketAddr;
///
/// use tether::net::{TcpSocket, TcpStream};
///
/// # fn main() -> std::io::Result<()> {
/// tether::run(async {
///     let first = TcpSocket::new_v4()?;
///     first.set_reuseport(true)?;
///     first.bind("127.0.0.1:0".parse().unwrap())?;
///     let addr: SocketAddr = first.local_addr()?;
///     let first = first.listen(128)?;
///
///     let second = TcpSocket::new_v4()?;
///     second.set_reuseport(true)?;
///     assert!(second.reuseport()?);
///     assert!(!second.reuseaddr()?); // off unless asked for
///     second.bind(addr)?; // the same port: allowed by SO_REUSEPORT
///     let second = second.listen(128)?;
///     assert_eq!(second.local_addr()?, first.local_addr()?);
///
///     // A client set up the same way, with Nagle's algorithm off and
///     // bigger buffers before the connection exists.
///     let client = TcpSocket::new_v4()?;
///     client.set_nodelay(true)?;
///     client.set_recv_buffer_size(256 * 1024)?;
///     assert!(client.recv_buffer_size()? >= 256 * 1024);
///     assert!(client.send_buffer_size()? > 0);
///     let client: TcpStream = client.connect(addr).await?;
///     assert!(client.nodelay()?);
///     Ok(())
/// })
/// # }
/// ```
#[derive(Debug)]
pub struct TcpSocket {
    /// The socket: non-blocking and close-on-exec since it was made.
    fd: OwnedFd,
}

impl TcpSocket {
    /// A new IPv4 TCP socket, non-blocking and close-on-exec. Shown in
    /// [`TcpSocket`'s example](TcpSocket#examples).
    ///
    /// # Errors
    ///
    /// Fails if the OS refuses a new socket (out of file descriptors, say).
    pub fn new_v4() -> io::Result<TcpSocket> {
        TcpSocket::new(AddressFamily::INET)
    }

    /// A new IPv6 TCP socket, non-blocking and close-on-exec.
    ///
    /// # Errors
    ///
    /// Fails if the OS refuses a new socket, or has no IPv6.
    ///
    /// # Examples
    ///
    /// ```
    /// use tether::net::TcpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// # tether::run(async {
    /// let socket = TcpSocket::new_v6()?;
    /// # if socket.bind("[::1]:0".parse().unwrap()).is_err() { return Ok(()) } // no IPv6 here
    /// let listener = socket.listen(16)?;
    /// assert!(listener.local_addr()?.is_ipv6());
    /// # Ok(())
    /// # })
    /// # }
    /// ```
    pub fn new_v6() -> io::Result<TcpSocket> {
        TcpSocket::new(AddressFamily::INET6)
    }

    /// A new TCP socket of `addr`'s family (IPv4 or IPv6), for binding or
    /// connecting to `addr`.
    ///
    /// # Errors
    ///
    /// Fails if the OS refuses a new socket.
    ///
    /// # Examples
    ///
    /// ```
    /// use tether::net::{TcpListener, TcpSocket};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// tether::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let addr = listener.local_addr()?;
    ///     let stream = TcpSocket::for_addr(addr)?.connect(addr).await?;
    ///     assert_eq!(stream.peer_addr()?, addr);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn for_addr(addr: SocketAddr) -> io::Result<TcpSocket> {
        if addr.is_ipv4() {
            TcpSocket::new_v4()
        } else {
            TcpSocket::new_v6()
        }
    }

    fn new(family: AddressFamily) -> io::Result<TcpSocket> {
        // Non-blocking and close-on-exec (from the start, where the OS can).
        let fd = super::stream_socket_of(family)?;
        Ok(TcpSocket { fd })
    }

    /// Sets `SO_REUSEADDR`: a listener may bind a port that connections of
    /// an earlier listener still hold (in `TIME_WAIT`), so that a server
    /// restarts at once. [`TcpListener::bind`] sets it, as std's does.
    ///
    /// # Errors
    ///
    /// Returns the OS's error.
    ///
    /// # Examples
    ///
    /// ```
    /// use tether::net::TcpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let socket = TcpSocket::new_v4()?;
    /// assert!(!socket.reuseaddr()?); // off on a new socket
    /// socket.set_reuseaddr(true)?;
    /// assert!(socket.reuseaddr()?);
    /// # Ok(())
    /// # }
    /// ```
    pub fn set_reuseaddr(&self, reuse: bool) -> io::Result<()> {
        Ok(sockopt::set_socket_reuseaddr(&self.fd, reuse)?)
    }

    /// Whether `SO_REUSEADDR` is set; shown in
    /// [`TcpSocket`'s example](TcpSocket#examples).
    ///
    /// # Errors
    ///
    /// Returns the OS's error.
    pub fn reuseaddr(&self) -> io::Result<bool> {
        Ok(sockopt::socket_reuseaddr(&self.fd)?)
    }

    /// Sets `SO_REUSEPORT`: several sockets, each with it set before
    /// `bind`, may listen on one address and port. Only Linux spreads
    /// connections among them (by a hash of each connection's addresses,
    /// blind to load); ["Sharing a port"](TcpSocket#sharing-a-port-so_reuseport)
    /// say what other systems do, and what becomes of the connections
    /// waiting on a listener that closes. Shown in
    /// [`TcpSocket`'s example](TcpSocket#examples).
    ///
    /// # Errors
    ///
    /// Returns the OS's error.
    pub fn set_reuseport(&self, reuse: bool) -> io::Result<()> {
        Ok(sockopt::set_socket_reuseport(&self.fd, reuse)?)
    }

    /// Whether `SO_REUSEPORT` is set; shown in
    /// [`TcpSocket`'s example](TcpSocket#examples).
    ///
    /// # Errors
    ///
    /// Returns the OS's error.
    pub fn reuseport(&self) -> io::Result<bool> {
        Ok(sockopt::socket_reuseport(&self.fd)?)
    }

    /// Turns Nagle's algorithm off (`true`) or on, for the connection this
    /// socket will make; a listener's accepted connections do not inherit
    /// it on every OS, so set it on them too
    /// ([`TcpStream::set_nodelay`]). Shown in
    /// [`TcpSocket`'s example](TcpSocket#examples).
    ///
    /// # Errors
    ///
    /// Returns the OS's error.
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        Ok(sockopt::set_tcp_nodelay(&self.fd, nodelay)?)
    }

    /// Whether Nagle's algorithm is off; shown in
    /// [`TcpSocket`'s example](TcpSocket#examples).
    ///
    /// # Errors
    ///
    /// Returns the OS's error.
    pub fn nodelay(&self) -> io::Result<bool> {
        Ok(sockopt::tcp_nodelay(&self.fd)?)
    }

    /// Asks for a send buffer of `size` bytes (`SO_SNDBUF`). The kernel
    /// adjusts it: Linux caps the request at `net.core.wmem_max`, then
    /// doubles it (for its own bookkeeping), with a floor, and
    /// [`send_buffer_size`](TcpSocket::send_buffer_size) reads what it
    /// chose.
    ///
    /// # Errors
    ///
    /// Returns the OS's error.
    ///
    /// # Examples
    ///
    /// ```
    /// use tether::net::TcpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let socket = TcpSocket::new_v4()?;
    /// socket.set_send_buffer_size(64 * 1024)?;
    /// socket.set_recv_buffer_size(64 * 1024)?;
    /// // At least what was asked (Linux gives twice as much).
    /// assert!(socket.send_buffer_size()? >= 64 * 1024);
    /// assert!(socket.recv_buffer_size()? >= 64 * 1024);
    /// # Ok(())
    /// # }
    /// ```
    pub fn set_send_buffer_size(&self, size: usize) -> io::Result<()> {
        Ok(sockopt::set_socket_send_buffer_size(&self.fd, size)?)
    }

    /// The send buffer's size as the kernel set it; shown in
    /// [`TcpSocket`'s example](TcpSocket#examples).
    ///
    /// # Errors
    ///
    /// Returns the OS's error.
    pub fn send_buffer_size(&self) -> io::Result<usize> {
        Ok(sockopt::socket_send_buffer_size(&self.fd)?)
    }

    /// Asks for a receive buffer of `size` bytes (`SO_RCVBUF`), adjusted by
    /// the kernel as the send buffer is. Set before `connect` or `listen`,
    /// it also decides the TCP window scale of the connections. Shown in
    /// [`TcpSocket`'s example](TcpSocket#examples).
    ///
    /// # Errors
    ///
    /// Returns the OS's error.
    pub fn set_recv_buffer_size(&self, size: usize) -> io::Result<()> {
        Ok(sockopt::set_socket_recv_buffer_size(&self.fd, size)?)
    }

    /// The receive buffer's size as the kernel set it; shown in
    /// [`TcpSocket`'s example](TcpSocket#examples).
    ///
    /// # Errors
    ///
    /// Returns the OS's error.
    pub fn recv_buffer_size(&self) -> io::Result<usize> {
        Ok(sockopt::socket_recv_buffer_size(&self.fd)?)
    }

    /// Binds the socket to `addr`. It takes an address, not a host name:
    /// a name is looked up by `TcpListener::bind`, or by the caller.
    ///
    /// # Errors
    ///
    /// `AddrInUse` if another socket holds the address and they do not
    /// both have `SO_REUSEPORT` set; `AddrNotAvailable` for an address
    /// that is none of this machine's; the OS's error otherwise.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::ErrorKind;
    ///
    /// use tether::net::TcpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// tether::run(async {
    ///     let first = TcpSocket::new_v4()?;
    ///     first.bind("127.0.0.1:0".parse().unwrap())?;
    ///     let addr = first.local_addr()?;
    ///     let _listener = first.listen(128)?;
    ///     // The port is taken, and neither socket asked to share it.
    ///     let second = TcpSocket::new_v4()?;
    ///     assert_eq!(second.bind(addr).unwrap_err().kind(), ErrorKind::AddrInUse);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn bind(&self, addr: SocketAddr) -> io::Result<()> {
        Ok(rustix::net::bind(&self.fd, &addr)?)
    }

    /// The address the socket is bound to; shown in
    /// [`TcpSocket`'s example](TcpSocket#examples).
    ///
    /// # Errors
    ///
    /// Returns the OS's error; an unbound socket reports the unspecified
    /// address, port 0.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        let addr = rustix::net::getsockname(&self.fd)?;
        SocketAddr::try_from(addr).map_err(|_| io::Error::other("not an IP socket address"))
    }

    /// Listens, with room for `backlog` connections waiting to be
    /// accepted, and registers the listener on this thread's loop. The
    /// kernel caps the backlog (at `net.core.somaxconn` on Linux); Linux
    /// completes the handshake of `backlog + 1` connections before it
    /// leaves the next client's in the wait for its retry.
    /// [`TcpListener::bind`] asks for [`TcpListener::BACKLOG`].
    ///
    /// # Errors
    ///
    /// Returns the OS's error (an unbound socket is bound to a port the
    /// OS picks).
    ///
    /// # Panics
    ///
    /// Panics if no tether loop runs on this thread.
    ///
    /// # Examples
    ///
    /// ```
    /// use tether::net::{TcpSocket, TcpStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// tether::run(async {
    ///     let socket = TcpSocket::new_v4()?;
    ///     socket.bind("127.0.0.1:0".parse().unwrap())?;
    ///     let listener = socket.listen(16)?;
    ///     let client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (_, peer) = listener.accept().await?;
    ///     assert_eq!(peer, client.local_addr()?);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn listen(self, backlog: u32) -> io::Result<TcpListener> {
        let backlog = i32::try_from(backlog).unwrap_or(i32::MAX);
        rustix::net::listen(&self.fd, backlog)?;
        TcpListener::from_listening_fd(self.fd)
    }

    /// Connects to `addr`, without blocking: the socket's `connect`
    /// answers `EINPROGRESS`, the socket becomes writable when the
    /// handshake ends, and `SO_ERROR` then tells how it ended.
    ///
    /// # Errors
    ///
    /// `ConnectionRefused` if nothing listens there; the OS's error
    /// otherwise.
    ///
    /// # Panics
    ///
    /// Panics if no tether loop runs on this thread.
    ///
    /// # Examples
    ///
    /// See [`TcpSocket`'s example](TcpSocket#examples), and a refusal:
    ///
    /// ```
    /// use std::io::ErrorKind;
    ///
    /// use tether::net::{TcpListener, TcpSocket};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// tether::run(async {
    ///     let addr = TcpListener::bind("127.0.0.1:0").await?.local_addr()?;
    ///     // The listener is gone: nobody listens there.
    ///     let refused = TcpSocket::new_v4()?.connect(addr).await.unwrap_err();
    ///     assert_eq!(refused.kind(), ErrorKind::ConnectionRefused);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn connect(self, addr: SocketAddr) -> io::Result<TcpStream> {
        let stream = Async::new_nonblocking(std::net::TcpStream::from(self.fd))?;
        match rustix::net::connect(&stream, &addr) {
            Ok(()) => {}
            Err(Errno::INPROGRESS) => {
                stream.writable().await?;
                sockopt::socket_error(&stream)??;
            }
            Err(errno) => return Err(errno.into()),
        }
        Ok(TcpStream::from_connected(stream))
    }
}

impl AsFd for TcpSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl From<TcpSocket> for OwnedFd {
    /// The socket's file descriptor, still non-blocking.
    fn from(socket: TcpSocket) -> OwnedFd {
        socket.fd
    }
}
