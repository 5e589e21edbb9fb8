//! `UnixStream`: a connected Unix stream socket.

use std::io;
use std::net::Shutdown;
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::net::{self as std_unix, SocketAddr};
use std::path::Path;

use rustix::io::Errno;
use rustix::net::{AddressFamily, SocketAddrUnix};

use crate::async_fd::Async;
use crate::net;
use crate::source::Readiness;

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
/// use std::io::{ErrorKind, Read};
/// use std::net::Shutdown;
///
/// use tether::net::UnixStream;
///
/// # fn main() -> std::io::Result<()> {
/// tether::run(async {
///     // Two connected ends, with no path: a socket pair.
///     let (a, b) = UnixStream::pair()?;
///     a.writable().await?; // a new socket has room in its send buffer
///     assert_eq!(a.write(b"ping").await?, 4);
///     b.readable().await?;
///     let mut buf = [0; 4];
///     // `peek` looks, and leaves the bytes for `read`.
///     assert_eq!(b.peek(&mut buf).await?, 4);
///     assert_eq!(b.read(&mut buf).await?, 4);
///     assert_eq!(&buf, b"ping");
///     // A half-close: `b` reads end of file, and can still write.
///     a.shutdown(Shutdown::Write)?;
///     assert_eq!(b.read(&mut buf).await?, 0);
///     b.write_all(b"pong").await?;
///     assert_eq!(a.read(&mut buf).await?, 4);
///     assert_eq!(&buf, b"pong");
///     // Back to std, still non-blocking: nothing more to read, and `read`
///     // says so at once.
///     let a = a.into_std();
///     assert_eq!((&a).read(&mut buf).unwrap_err().kind(), ErrorKind::WouldBlock);
///     Ok(())
/// })
/// # }
/// ```
#[derive(Debug)]
pub struct UnixStream {
    /// The std stream, registered.
    inner: Async<std_unix::UnixStream>,
}

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
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::ErrorKind;
    ///
    /// use tether::net::{UnixListener, UnixStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// # let dir = std::env::temp_dir().join(format!("tether-doc-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// # let path = dir.join("socket");
    /// # let _ = std::fs::remove_file(&path);
    /// tether::run(async {
    ///     let listener = UnixListener::bind(&path)?;
    ///     let stream = UnixStream::connect(&path).await?;
    ///     assert_eq!(stream.peer_addr()?.as_pathname(), Some(path.as_path()));
    ///     // The path stays, but nobody listens there any more.
    ///     drop(listener);
    ///     let err = UnixStream::connect(&path).await.unwrap_err();
    ///     assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
    ///     let err = UnixStream::connect(dir.join("nothing")).await.unwrap_err();
    ///     assert_eq!(err.kind(), ErrorKind::NotFound);
    /// #   std::fs::remove_dir_all(&dir)
    /// })
    /// # }
    /// ```
    pub async fn connect(path: impl AsRef<Path>) -> io::Result<UnixStream> {
        let addr = SocketAddrUnix::new(path.as_ref())?;
        let fd = crate::net::stream_socket_of(AddressFamily::UNIX)?;
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

    /// Two connected streams, shown in
    /// [`UnixStream`'s example](UnixStream#examples).
    ///
    /// # Panics
    ///
    /// Panics if no tether loop runs on this thread.
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = std_unix::UnixStream::pair()?;
        Ok((UnixStream::from_std(a)?, UnixStream::from_std(b)?))
    }

    /// Reads into `buf`, waiting until at least one byte is there; `Ok(0)`
    /// means the peer closed its side. Shown in
    /// [`UnixStream`'s example](UnixStream#examples).
    pub async fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        net::read(&self.inner, buf).await
    }

    /// The poll form of [`read`](UnixStream::read), into a buffer that need
    /// not be initialized; see
    /// [`TcpStream::poll_read_uninit`](crate::net::TcpStream::poll_read_uninit).
    pub fn poll_read_uninit(
        &self,
        cx: &mut std::task::Context<'_>,
        buf: &mut [std::mem::MaybeUninit<u8>],
    ) -> std::task::Poll<io::Result<usize>> {
        net::poll_read_uninit(&self.inner, cx, buf)
    }

    /// Writes some of `buf`, waiting until the socket takes at least one
    /// byte. Shown in [`UnixStream`'s example](UnixStream#examples).
    pub async fn write(&self, buf: &[u8]) -> io::Result<usize> {
        net::write(&self.inner, buf).await
    }

    /// Writes all of `buf`, waiting for room as the peer reads (as
    /// [`TcpStream::write_all`](crate::net::TcpStream::write_all) shows
    /// with more than the socket buffers hold). Shown in
    /// [`UnixStream`'s example](UnixStream#examples).
    pub async fn write_all(&self, buf: &[u8]) -> io::Result<()> {
        net::write_all(&self.inner, buf).await
    }

    /// Reads into `buf` without taking the bytes out of the socket. Shown
    /// in [`UnixStream`'s example](UnixStream#examples).
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        net::peek(&self.inner, buf).await
    }

    /// Waits until the socket is readable; see [`Async::readable`]. Shown
    /// in [`UnixStream`'s example](UnixStream#examples).
    pub fn readable(&self) -> Readiness<'_> {
        self.inner.readable()
    }

    /// Waits until the socket is writable; see [`Async::writable`]. Shown
    /// in [`UnixStream`'s example](UnixStream#examples).
    pub fn writable(&self) -> Readiness<'_> {
        self.inner.writable()
    }

    /// Shuts down the reading side, the writing side (a half-close), or
    /// both. Shown in [`UnixStream`'s example](UnixStream#examples).
    ///
    /// # Errors
    ///
    /// Returns what `shutdown(2)` reports, except `NotConnected`, which
    /// says the connection is gone already and becomes `Ok`
    /// ([`net`], "Faults"). Linux never reports it for a Unix
    /// stream; macOS and the BSDs may, once the peer has closed.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        net::shutdown(&self.inner, how)
    }

    /// The address of the peer, shown in
    /// [`UnixListener`'s example](crate::net::UnixListener#examples).
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.get_ref().peer_addr()
    }

    /// The address of this end, shown in
    /// [`UnixListener`'s example](crate::net::UnixListener#examples).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.get_ref().local_addr()
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
    /// use std::io::Write;
    ///
    /// use tether::net::UnixStream;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// tether::run(async {
    ///     let (a, mut b) = std::os::unix::net::UnixStream::pair()?;
    ///     let a = UnixStream::from_std(a)?;
    ///     b.write_all(b"ping")?;
    ///     let mut buf = [0; 4];
    ///     a.read(&mut buf).await?;
    ///     assert_eq!(&buf, b"ping");
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn from_std(stream: std_unix::UnixStream) -> io::Result<UnixStream> {
        Ok(UnixStream {
            inner: Async::new(stream)?,
        })
    }

    /// Unwraps the std stream, still in non-blocking mode, shown in
    /// [`UnixStream`'s example](UnixStream#examples).
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
net::stream_io!(UnixStream);
net::std_conversions!(UnixStream, std_unix::UnixStream);
