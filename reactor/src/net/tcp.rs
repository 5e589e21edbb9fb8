//! TCP: `TcpListener` and `TcpStream`.

use std::io;
use std::net::{Shutdown, SocketAddr};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use super::{AcceptBackoff, TcpSocket, ToSocketAddrs, try_each_addr};
use crate::async_fd::Async;
use crate::source::Readiness;

/// A TCP socket listening for connections.
///
/// asyncio: the listening socket of `loop.create_server`.
///
/// # Examples
///
/// ```
/// use std::io::ErrorKind;
///
/// use tether::net::{TcpListener, TcpStream};
///
/// # fn main() -> std::io::Result<()> {
/// tether::run(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await?;
///     let addr = listener.local_addr()?;
///     let client = tether::spawn(async move { TcpStream::connect(addr).await });
///     let (server_side, peer) = listener.accept().await?;
///     let client_side = client.await.unwrap()?;
///     assert_eq!(peer, client_side.local_addr()?);
///     assert_eq!(server_side.peer_addr()?, peer);
///     // Back to std, still non-blocking: nobody else is connecting, and
///     // `accept` says so at once.
///     let std_listener = listener.into_std();
///     assert_eq!(std_listener.accept().unwrap_err().kind(), ErrorKind::WouldBlock);
///     Ok(())
/// })
/// # }
/// ```
#[derive(Debug)]
pub struct TcpListener {
    /// The std listener, registered.
    inner: Async<std::net::TcpListener>,
    /// The pause after running out of file descriptors (see the `net`
    /// module's docs, "Faults").
    backoff: AcceptBackoff,
}

/// A TCP connection.
///
/// asyncio: the socket behind a `StreamReader` / `StreamWriter` pair.
///
/// Reading and writing go through `&TcpStream` as well (`futures_io`
/// traits, and the inherent methods), so one task can read while another
/// writes: share it with an `Rc`.
///
/// # Examples
///
/// ```
/// use std::io::{ErrorKind, Read};
///
/// use tether::net::{TcpListener, TcpStream};
///
/// # fn main() -> std::io::Result<()> {
/// tether::run(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await?;
///     let client = TcpStream::connect(listener.local_addr()?).await?;
///     let (server, _) = listener.accept().await?;
///     // Each end's address is the other end's peer.
///     assert_eq!(client.local_addr()?, server.peer_addr()?);
///     assert_eq!(client.peer_addr()?, server.local_addr()?);
///     // Nagle's algorithm is on, as on any new TCP socket; turned off,
///     // small writes go out at once instead of waiting to be merged.
///     assert!(!client.nodelay()?);
///     client.set_nodelay(true)?;
///     assert!(client.nodelay()?);
///     client.writable().await?; // a new connection has room to send
///     client.write_all(b"hello").await?;
///     server.readable().await?; // waiting takes nothing out of the socket
///     let mut buf = [0; 5];
///     let n = server.read(&mut buf).await?;
///     assert_eq!(&buf[..n], b"hello");
///     // Back to std, still non-blocking: nothing more to read, and `read`
///     // says so at once.
///     let server = server.into_std();
///     assert_eq!((&server).read(&mut buf).unwrap_err().kind(), ErrorKind::WouldBlock);
///     Ok(())
/// })
/// # }
/// ```
#[derive(Debug)]
pub struct TcpStream {
    /// The std stream, registered.
    inner: Async<std::net::TcpStream>,
}

// ===== impl TcpListener =====

impl TcpListener {
    /// Binds to `addr` and listens.
    ///
    /// The socket is made non-blocking from the start, with `SO_REUSEADDR`
    /// (as std does), and a backlog of [`BACKLOG`](TcpListener::BACKLOG)
    /// connections (std's `bind` asks for 128).
    ///
    /// # Errors
    ///
    /// Fails if no address `addr` resolves to can be bound.
    ///
    /// # Panics
    ///
    /// Panics if no tether loop runs on this thread.
    ///
    /// # Examples
    ///
    /// ```
    /// use tether::net::TcpListener;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// tether::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     // Port 0: the OS picked a free one.
    ///     assert_ne!(listener.local_addr()?.port(), 0);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn bind(addr: impl ToSocketAddrs) -> io::Result<TcpListener> {
        try_each_addr(addr, |addr| async move { TcpListener::bind_addr(addr) }).await
    }

    /// How many connections may wait to be accepted, as asked of `listen`;
    /// the kernel caps it (at `net.core.somaxconn` on Linux). A burst of
    /// connects beyond the backlog is dropped and retried by the clients a
    /// second later, so a server wants it deep (tokio's `bind`, through mio,
    /// asks for std's 128).
    pub const BACKLOG: i32 = 1024;

    fn bind_addr(addr: SocketAddr) -> io::Result<TcpListener> {
        let socket = TcpSocket::for_addr(addr)?;
        socket.set_reuseaddr(true)?;
        socket.bind(addr)?;
        socket.listen(TcpListener::BACKLOG.unsigned_abs())
    }

    /// Registers a socket that `TcpSocket::listen` made listen.
    pub(super) fn from_listening_fd(fd: OwnedFd) -> io::Result<TcpListener> {
        Ok(TcpListener {
            inner: Async::new_nonblocking(std::net::TcpListener::from(fd))?,
            backoff: AcceptBackoff::default(),
        })
    }

    /// Waits for a connection and accepts it.
    ///
    /// # Errors
    ///
    /// Returns the OS's error. After running out of file descriptors or
    /// memory (`EMFILE`, `ENFILE`, `ENOBUFS`, `ENOMEM`), the next call first
    /// waits (5 ms, doubling up to 1 s), so that a loop that retries does not
    /// spin; see the [module docs](crate::net).
    ///
    /// # Examples
    ///
    /// Connections wait in the backlog until accepted, in the order they
    /// were made:
    ///
    /// ```
    /// use tether::net::{TcpListener, TcpStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// tether::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let first = TcpStream::connect(listener.local_addr()?).await?;
    ///     let second = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (_, peer) = listener.accept().await?;
    ///     assert_eq!(peer, first.local_addr()?);
    ///     let (_, peer) = listener.accept().await?;
    ///     assert_eq!(peer, second.local_addr()?);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        self.backoff.wait().await;
        let result = self.inner.accept_with(|listener| listener.accept()).await;
        self.backoff.record(&result);
        let (stream, addr) = result?;
        Ok((TcpStream::from_std(stream)?, addr))
    }

    /// Waits for a connection and accepts it as a std stream, registered
    /// on no loop: for a connection that another loop will serve, which
    /// registers it there with [`TcpStream::from_std`]. Accepting it as a
    /// [`TcpStream`] and calling `into_std` would register it here and
    /// take it off again, and the other loop's `from_std` would make it
    /// non-blocking again: three system calls for nothing.
    ///
    /// On Linux the stream is in blocking mode, as `accept4(2)` makes it
    /// (on macOS it inherits the listener's non-blocking mode); either way
    /// `TcpStream::from_std` makes it non-blocking.
    ///
    /// # Errors
    ///
    /// As [`accept`](TcpListener::accept), with the same back-off after
    /// running out of file descriptors.
    ///
    /// # Examples
    ///
    /// ```
    /// use tether::net::{TcpListener, TcpStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// tether::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (accepted, peer) = listener.accept_std().await?;
    ///     assert_eq!(peer, client.local_addr()?);
    ///     // Another loop would do this; here it is the same one.
    ///     let server = std::thread::spawn(move || {
    ///         tether::run(async move {
    ///             let server = TcpStream::from_std(accepted)?;
    ///             server.write_all(b"hi").await
    ///         })
    ///     });
    ///     let mut buf = [0; 2];
    ///     client.read(&mut buf).await?;
    ///     assert_eq!(&buf, b"hi");
    ///     server.join().unwrap()
    /// })
    /// # }
    /// ```
    pub async fn accept_std(&self) -> io::Result<(std::net::TcpStream, SocketAddr)> {
        self.backoff.wait().await;
        let result = self.inner.accept_with(|listener| listener.accept()).await;
        self.backoff.record(&result);
        result
    }

    /// The address it listens on, shown in
    /// [`TcpListener`'s example](TcpListener#examples).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.get_ref().local_addr()
    }

    /// Wraps a std listener; it is made non-blocking.
    ///
    /// # Panics
    ///
    /// Panics if no tether loop runs on this thread.
    ///
    /// # Examples
    ///
    /// ```
    /// use tether::net::{TcpListener, TcpStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// tether::run(async {
    ///     let std_listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    ///     let listener = TcpListener::from_std(std_listener)?;
    ///     let client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (_, peer) = listener.accept().await?;
    ///     assert_eq!(peer, client.local_addr()?);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn from_std(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        Ok(TcpListener {
            inner: Async::new(listener)?,
            backoff: AcceptBackoff::default(),
        })
    }

    /// Unwraps the std listener, still in non-blocking mode, shown in
    /// [`TcpListener`'s example](TcpListener#examples).
    pub fn into_std(self) -> std::net::TcpListener {
        self.inner.into_inner()
    }
}

impl AsFd for TcpListener {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.as_fd()
    }
}

// ===== impl TcpStream =====

impl TcpStream {
    /// Connects to `addr`, trying each address it resolves to in turn.
    ///
    /// asyncio: `asyncio.open_connection(host, port)`.
    ///
    /// # Errors
    ///
    /// The error of the last address tried: `ConnectionRefused` if nothing
    /// listens there, for instance.
    ///
    /// # Panics
    ///
    /// Panics if no tether loop runs on this thread.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::ErrorKind;
    ///
    /// use tether::net::{TcpListener, TcpStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// tether::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let addr = listener.local_addr()?;
    ///     let stream = TcpStream::connect(addr).await?;
    ///     assert_eq!(stream.peer_addr()?, addr);
    ///     // Nobody listens there any more.
    ///     drop((listener, stream));
    ///     let err = TcpStream::connect(addr).await.unwrap_err();
    ///     assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn connect(addr: impl ToSocketAddrs) -> io::Result<TcpStream> {
        try_each_addr(addr, TcpStream::connect_addr).await
    }

    /// Connects to one address, without blocking (see
    /// [`TcpSocket::connect`]).
    async fn connect_addr(addr: SocketAddr) -> io::Result<TcpStream> {
        TcpSocket::for_addr(addr)?.connect(addr).await
    }

    /// A stream that `TcpSocket::connect` connected.
    pub(super) fn from_connected(inner: Async<std::net::TcpStream>) -> TcpStream {
        TcpStream { inner }
    }

    /// Reads into `buf`, waiting until at least one byte is there; `Ok(0)`
    /// means the peer closed its side.
    ///
    /// # Examples
    ///
    /// ```
    /// use tether::net::{TcpListener, TcpStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// tether::run(async {
    /// #   let listener = TcpListener::bind("127.0.0.1:0").await?;
    /// #   let client = TcpStream::connect(listener.local_addr()?).await?;
    /// #   let (server, _) = listener.accept().await?;
    ///     client.write_all(b"hello").await?;
    ///     drop(client);
    ///     let mut buf = [0; 16];
    ///     let n = server.read(&mut buf).await?;
    ///     assert_eq!(&buf[..n], b"hello");
    ///     // The peer closed: end of file.
    ///     assert_eq!(server.read(&mut buf).await?, 0);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        super::read(&self.inner, buf).await
    }

    /// The poll form of [`read`](TcpStream::read), into a buffer that need
    /// not be initialized: for the glue to I/O traits that hand out
    /// uninitialized memory, such as hyper's `ReadBufCursor` (see the
    /// `hyper_server` example), which would otherwise have to zero it or
    /// read through a copy. On `Ready(Ok(n))`, the first `n` bytes of `buf`
    /// hold what was read, and are initialized; on `Pending`, the task of
    /// `cx` is woken when there may be something to read.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use std::mem::MaybeUninit;
    ///
    /// use tether::net::{TcpListener, TcpStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// tether::run(async {
    /// #   let listener = TcpListener::bind("127.0.0.1:0").await?;
    /// #   let client = TcpStream::connect(listener.local_addr()?).await?;
    /// #   let (server, _) = listener.accept().await?;
    ///     client.write_all(b"hello").await?;
    ///     let mut buf = [MaybeUninit::<u8>::uninit(); 16];
    ///     let n = poll_fn(|cx| server.poll_read_uninit(cx, &mut buf)).await?;
    ///     assert_eq!(n, 5);
    ///     // SAFETY: `poll_read_uninit` initialized the first `n` bytes.
    ///     let read: Vec<u8> = buf[..n].iter().map(|b| unsafe { b.assume_init() }).collect();
    ///     assert_eq!(read, b"hello");
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn poll_read_uninit(
        &self,
        cx: &mut std::task::Context<'_>,
        buf: &mut [std::mem::MaybeUninit<u8>],
    ) -> std::task::Poll<io::Result<usize>> {
        super::poll_read_uninit(&self.inner, cx, buf)
    }

    /// Writes some of `buf`, waiting until the socket takes at least one byte.
    ///
    /// # Examples
    ///
    /// ```
    /// use tether::net::{TcpListener, TcpStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// tether::run(async {
    /// #   let listener = TcpListener::bind("127.0.0.1:0").await?;
    /// #   let client = TcpStream::connect(listener.local_addr()?).await?;
    /// #   let (server, _) = listener.accept().await?;
    ///     // An empty send buffer takes all of a short write.
    ///     assert_eq!(client.write(b"hello").await?, 5);
    ///     let mut buf = [0; 5];
    ///     server.read(&mut buf).await?;
    ///     assert_eq!(&buf, b"hello");
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn write(&self, buf: &[u8]) -> io::Result<usize> {
        super::write(&self.inner, buf).await
    }

    /// Writes all of `buf`.
    ///
    /// # Examples
    ///
    /// ```
    /// use tether::net::{TcpListener, TcpStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// tether::run(async {
    /// #   let listener = TcpListener::bind("127.0.0.1:0").await?;
    /// #   let client = TcpStream::connect(listener.local_addr()?).await?;
    /// #   let (server, _) = listener.accept().await?;
    ///     let data = vec![7; 1 << 20]; // more than the socket buffers hold
    ///     let reader = tether::spawn(async move {
    ///         let (mut total, mut buf) = (0, [0; 65536]);
    ///         loop {
    ///             match server.read(&mut buf).await? {
    ///                 0 => return std::io::Result::Ok(total),
    ///                 n => total += n,
    ///             }
    ///         }
    ///     });
    ///     client.write_all(&data).await?;
    ///     drop(client);
    ///     assert_eq!(reader.await.unwrap()?, data.len());
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn write_all(&self, buf: &[u8]) -> io::Result<()> {
        super::write_all(&self.inner, buf).await
    }

    /// Reads into `buf` without taking the bytes out of the socket.
    ///
    /// # Examples
    ///
    /// ```
    /// use tether::net::{TcpListener, TcpStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// tether::run(async {
    /// #   let listener = TcpListener::bind("127.0.0.1:0").await?;
    /// #   let client = TcpStream::connect(listener.local_addr()?).await?;
    /// #   let (server, _) = listener.accept().await?;
    ///     client.write_all(b"hello").await?;
    ///     let mut buf = [0; 5];
    ///     server.peek(&mut buf).await?;
    ///     assert_eq!(&buf, b"hello");
    ///     // Still there for `read`.
    ///     let mut again = [0; 5];
    ///     server.read(&mut again).await?;
    ///     assert_eq!(&again, b"hello");
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        super::peek(&self.inner, buf).await
    }

    /// Waits until the socket is readable; see [`Async::readable`]. Shown
    /// in [`TcpStream`'s example](TcpStream#examples).
    pub fn readable(&self) -> Readiness<'_> {
        self.inner.readable()
    }

    /// Waits until the socket is writable; see [`Async::writable`]. Shown
    /// in [`TcpStream`'s example](TcpStream#examples).
    pub fn writable(&self) -> Readiness<'_> {
        self.inner.writable()
    }

    /// Shuts down the reading side, the writing side (a half-close: the
    /// peer reads end of file), or both.
    ///
    /// # Errors
    ///
    /// Returns what `shutdown(2)` reports, except that a connection the
    /// peer has reset already counts as shut down: `NotConnected` becomes
    /// `Ok` ([`net`](crate::net), "Faults").
    ///
    /// # Examples
    ///
    /// ```
    /// use std::net::Shutdown;
    ///
    /// use tether::net::{TcpListener, TcpStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// tether::run(async {
    /// #   let listener = TcpListener::bind("127.0.0.1:0").await?;
    /// #   let client = TcpStream::connect(listener.local_addr()?).await?;
    /// #   let (server, _) = listener.accept().await?;
    ///     client.shutdown(Shutdown::Write)?;
    ///     let mut buf = [0; 3];
    ///     assert_eq!(server.read(&mut buf).await?, 0);
    ///     // The other direction still works.
    ///     server.write_all(b"bye").await?;
    ///     client.read(&mut buf).await?;
    ///     assert_eq!(&buf, b"bye");
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        super::shutdown(&self.inner, how)
    }

    /// The address of the peer, shown in
    /// [`TcpStream`'s example](TcpStream#examples).
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.get_ref().peer_addr()
    }

    /// The address of this end, shown in
    /// [`TcpStream`'s example](TcpStream#examples).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.get_ref().local_addr()
    }

    /// Turns Nagle's algorithm off (`true`) or on: small writes go out at
    /// once instead of waiting to be merged. Shown in
    /// [`TcpStream`'s example](TcpStream#examples).
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.inner.get_ref().set_nodelay(nodelay)
    }

    /// Whether Nagle's algorithm is off, shown in
    /// [`TcpStream`'s example](TcpStream#examples).
    pub fn nodelay(&self) -> io::Result<bool> {
        self.inner.get_ref().nodelay()
    }

    /// Wraps a std stream; it is made non-blocking.
    ///
    /// # Panics
    ///
    /// Panics if no tether loop runs on this thread.
    ///
    /// # Examples
    ///
    /// ```
    /// use tether::net::{TcpListener, TcpStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// tether::run(async {
    /// #   let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let std_stream = std::net::TcpStream::connect(listener.local_addr()?)?;
    ///     let client = TcpStream::from_std(std_stream)?;
    ///     let (server, _) = listener.accept().await?;
    ///     client.write_all(b"hello").await?;
    ///     let mut buf = [0; 5];
    ///     server.read(&mut buf).await?;
    ///     assert_eq!(&buf, b"hello");
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn from_std(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        Ok(TcpStream {
            inner: Async::new(stream)?,
        })
    }

    /// Unwraps the std stream, still in non-blocking mode, shown in
    /// [`TcpStream`'s example](TcpStream#examples).
    pub fn into_std(self) -> std::net::TcpStream {
        self.inner.into_inner()
    }
}

impl AsFd for TcpStream {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.as_fd()
    }
}

#[cfg(feature = "futures")]
super::stream_io!(TcpStream);
super::std_conversions!(TcpListener, std::net::TcpListener);
super::std_conversions!(TcpStream, std::net::TcpStream);
