//! Unix sockets: `UnixListener`, `UnixStream`, `UnixDatagram`.

use std::io;
use std::net::Shutdown;
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::net::{self as std_unix, SocketAddr};
use std::path::Path;

use rustix::io::Errno;
use rustix::net::{AddressFamily, SocketAddrUnix, SocketFlags, SocketType};

use super::AcceptBackoff;
use crate::async_fd::Async;
use crate::source::Readiness;

/// A Unix socket listening for connections at a path.
///
/// asyncio: the listening socket of `loop.create_unix_server`.
///
/// # Examples
///
/// ```
/// use tether::net::{UnixListener, UnixStream};
///
/// tether::run(async {
///     let dir = std::env::temp_dir().join(format!("tether-doc-{}", std::process::id()));
///     std::fs::create_dir_all(&dir)?;
///     let path = dir.join("socket");
///     let _ = std::fs::remove_file(&path);
///     let listener = UnixListener::bind(&path)?;
///     let client = tether::spawn(async move { UnixStream::connect(&path).await });
///     let (server_side, _) = listener.accept().await?;
///     let client_side = client.await.unwrap()?;
///     client_side.write_all(b"hi").await?;
///     let mut buf = [0; 2];
///     server_side.read(&mut buf).await?;
///     assert_eq!(&buf, b"hi");
///     std::fs::remove_dir_all(&dir)
/// })
/// .unwrap();
/// ```
#[derive(Debug)]
pub struct UnixListener {
    /// The std listener, registered.
    inner: Async<std_unix::UnixListener>,
    /// The pause after running out of file descriptors (see the module docs).
    backoff: AcceptBackoff,
}

/// A Unix stream connection.
///
/// asyncio: the socket behind `asyncio.open_unix_connection`.
///
/// Like [`TcpStream`](crate::net::TcpStream), it reads and writes through
/// `&UnixStream` too, so one task can read while another writes.
///
/// # Examples
///
/// ```
/// use tether::net::UnixStream;
///
/// # fn main() -> std::io::Result<()> {
/// tether::run(async {
///     let (a, b) = UnixStream::pair()?;
///     a.write_all(b"ping").await?;
///     let mut buf = [0; 4];
///     let n = b.read(&mut buf).await?;
///     assert_eq!(&buf[..n], b"ping");
///     Ok(())
/// })
/// # }
/// ```
#[derive(Debug)]
pub struct UnixStream {
    /// The std stream, registered.
    inner: Async<std_unix::UnixStream>,
}

/// A Unix datagram socket.
///
/// asyncio: the socket of `loop.create_datagram_endpoint(family=AF_UNIX)`.
///
/// # Examples
///
/// ```
/// use tether::net::UnixDatagram;
///
/// # fn main() -> std::io::Result<()> {
/// tether::run(async {
///     let (a, b) = UnixDatagram::pair()?;
///     a.send(b"one datagram").await?;
///     let mut buf = [0; 32];
///     let n = b.recv(&mut buf).await?;
///     assert_eq!(&buf[..n], b"one datagram");
///     Ok(())
/// })
/// # }
/// ```
#[derive(Debug)]
pub struct UnixDatagram {
    /// The std socket, registered.
    inner: Async<std_unix::UnixDatagram>,
}

// ===== impl UnixListener =====

impl UnixListener {
    /// Binds to `path` and listens. The path must not exist yet.
    ///
    /// # Panics
    ///
    /// Panics if no tether loop runs on this thread.
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixListener> {
        UnixListener::from_std(std_unix::UnixListener::bind(path)?)
    }

    /// Waits for a connection and accepts it.
    ///
    /// # Errors
    ///
    /// As [`TcpListener::accept`](crate::net::TcpListener::accept), with the
    /// same pause after running out of file descriptors.
    pub async fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        self.backoff.wait().await;
        let result = self.inner.read_with(|listener| listener.accept()).await;
        self.backoff.record(&result);
        let (stream, addr) = result?;
        Ok((UnixStream::from_std(stream)?, addr))
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.get_ref().local_addr()
    }

    /// Wraps a std listener; it is made non-blocking.
    ///
    /// # Panics
    ///
    /// Panics if no tether loop runs on this thread.
    pub fn from_std(listener: std_unix::UnixListener) -> io::Result<UnixListener> {
        Ok(UnixListener {
            inner: Async::new(listener)?,
            backoff: AcceptBackoff::default(),
        })
    }

    /// Unwraps the std listener, still in non-blocking mode.
    pub fn into_std(self) -> std_unix::UnixListener {
        self.inner.into_inner()
    }
}

impl AsFd for UnixListener {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.as_fd()
    }
}

// ===== impl UnixStream =====

impl UnixStream {
    /// Connects to the socket at `path`, without blocking.
    ///
    /// # Errors
    ///
    /// `ConnectionRefused` if nothing listens there, `NotFound` if the path
    /// does not exist, and `WouldBlock` if the listener's backlog is full
    /// (a Unix socket cannot wait for room the way TCP waits for a
    /// handshake: try again later).
    ///
    /// # Panics
    ///
    /// Panics if no tether loop runs on this thread.
    pub async fn connect(path: impl AsRef<Path>) -> io::Result<UnixStream> {
        let addr = SocketAddrUnix::new(path.as_ref())?;
        let flags = SocketFlags::NONBLOCK | SocketFlags::CLOEXEC;
        let fd = rustix::net::socket_with(AddressFamily::UNIX, SocketType::STREAM, flags, None)?;
        let stream = Async::new_nonblocking(std_unix::UnixStream::from(fd))?;
        match rustix::net::connect(&stream, &addr) {
            Ok(()) => {}
            Err(Errno::INPROGRESS) => {
                stream.writable().await?;
                rustix::net::sockopt::socket_error(&stream)??;
            }
            Err(Errno::AGAIN) => {
                return Err(io::Error::new(
                    io::ErrorKind::WouldBlock,
                    "the Unix listener's backlog is full; try again later",
                ));
            }
            Err(errno) => return Err(errno.into()),
        }
        Ok(UnixStream { inner: stream })
    }

    /// Two connected streams.
    ///
    /// # Panics
    ///
    /// Panics if no tether loop runs on this thread.
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = std_unix::UnixStream::pair()?;
        Ok((UnixStream::from_std(a)?, UnixStream::from_std(b)?))
    }

    /// Reads into `buf`, waiting until at least one byte is there; `Ok(0)`
    /// means the peer closed its side.
    pub async fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        super::read(&self.inner, buf).await
    }

    /// Writes some of `buf`, waiting until the socket takes at least one byte.
    pub async fn write(&self, buf: &[u8]) -> io::Result<usize> {
        super::write(&self.inner, buf).await
    }

    /// Writes all of `buf`.
    pub async fn write_all(&self, buf: &[u8]) -> io::Result<()> {
        super::write_all(&self.inner, buf).await
    }

    /// Reads into `buf` without taking the bytes out of the socket.
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        super::peek(&self.inner, buf).await
    }

    /// Waits for the next readability event; see [`Async::readable`].
    pub fn readable(&self) -> Readiness<'_> {
        self.inner.readable()
    }

    /// Waits for the next writability event; see [`Async::readable`].
    pub fn writable(&self) -> Readiness<'_> {
        self.inner.writable()
    }

    /// Shuts down the reading side, the writing side (a half-close), or both.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.inner.get_ref().shutdown(how)
    }

    /// The address of the peer.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.get_ref().peer_addr()
    }

    /// The address of this end.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.get_ref().local_addr()
    }

    /// Wraps a std stream; it is made non-blocking.
    ///
    /// # Panics
    ///
    /// Panics if no tether loop runs on this thread.
    pub fn from_std(stream: std_unix::UnixStream) -> io::Result<UnixStream> {
        Ok(UnixStream {
            inner: Async::new(stream)?,
        })
    }

    /// Unwraps the std stream, still in non-blocking mode.
    pub fn into_std(self) -> std_unix::UnixStream {
        self.inner.into_inner()
    }
}

impl AsFd for UnixStream {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.as_fd()
    }
}

#[cfg(feature = "futures")]
super::stream_io!(UnixStream);

// ===== impl UnixDatagram =====

impl UnixDatagram {
    /// Binds to `path`, which must not exist yet.
    ///
    /// # Panics
    ///
    /// Panics if no tether loop runs on this thread.
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixDatagram> {
        UnixDatagram::from_std(std_unix::UnixDatagram::bind(path)?)
    }

    /// A socket bound to no address: it can send, and receive replies only
    /// if it connects.
    pub fn unbound() -> io::Result<UnixDatagram> {
        UnixDatagram::from_std(std_unix::UnixDatagram::unbound()?)
    }

    /// Two connected sockets.
    pub fn pair() -> io::Result<(UnixDatagram, UnixDatagram)> {
        let (a, b) = std_unix::UnixDatagram::pair()?;
        Ok((UnixDatagram::from_std(a)?, UnixDatagram::from_std(b)?))
    }

    /// Sets the socket's peer.
    pub fn connect(&self, path: impl AsRef<Path>) -> io::Result<()> {
        self.inner.get_ref().connect(path)
    }

    /// Sends `buf` as one datagram to the socket at `path`.
    pub async fn send_to(&self, buf: &[u8], path: impl AsRef<Path>) -> io::Result<usize> {
        let path = path.as_ref();
        self.inner
            .write_with(|socket| socket.send_to(buf, path))
            .await
    }

    /// Receives one datagram, and says where it came from.
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.inner.read_with(|socket| socket.recv_from(buf)).await
    }

    /// Sends `buf` as one datagram to the peer.
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write_with(|socket| socket.send(buf)).await
    }

    /// Receives one datagram from the peer.
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read_with(|socket| socket.recv(buf)).await
    }

    /// Waits for the next readability event; see [`Async::readable`].
    pub fn readable(&self) -> Readiness<'_> {
        self.inner.readable()
    }

    /// Waits for the next writability event; see [`Async::readable`].
    pub fn writable(&self) -> Readiness<'_> {
        self.inner.writable()
    }

    /// Shuts down reading, writing, or both.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.inner.get_ref().shutdown(how)
    }

    /// The address it is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.get_ref().local_addr()
    }

    /// The peer set by `connect`.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.get_ref().peer_addr()
    }

    /// Wraps a std socket; it is made non-blocking.
    ///
    /// # Panics
    ///
    /// Panics if no tether loop runs on this thread.
    pub fn from_std(socket: std_unix::UnixDatagram) -> io::Result<UnixDatagram> {
        Ok(UnixDatagram {
            inner: Async::new(socket)?,
        })
    }

    /// Unwraps the std socket, still in non-blocking mode.
    pub fn into_std(self) -> std_unix::UnixDatagram {
        self.inner.into_inner()
    }
}

impl AsFd for UnixDatagram {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.as_fd()
    }
}

super::std_conversions!(UnixListener, std_unix::UnixListener);
super::std_conversions!(UnixStream, std_unix::UnixStream);
super::std_conversions!(UnixDatagram, std_unix::UnixDatagram);
