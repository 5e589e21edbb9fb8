//! `UnixStream`: a connected Unix stream socket.

use std::io;
use std::net::Shutdown;
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::net::{self as std_unix, SocketAddr};
use std::path::Path;

use rustix::io::Errno;
use rustix::net::{AddressFamily, SocketAddrUnix, SocketFlags, SocketType};

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
///
/// use tether::net::UnixStream;
///
/// # fn main() -> std::io::Result<()> {
/// tether::run(async {
///     // Two connected ends, with no path: a socket pair.
///     let (a, b) = UnixStream::pair()?;
///     a.write_all(b"ping").await?;
///     b.write_all(b"pong").await?;
///     let mut buf = [0; 4];
///     b.read(&mut buf).await?;
///     assert_eq!(&buf, b"ping");
///     a.read(&mut buf).await?;
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
    /// means the peer closed its side.
    ///
    /// # Examples
    ///
    /// ```
    /// use tether::net::UnixStream;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// tether::run(async {
    ///     let (a, b) = UnixStream::pair()?;
    ///     a.write_all(b"hello").await?;
    ///     drop(a);
    ///     let mut buf = [0; 16];
    ///     let n = b.read(&mut buf).await?;
    ///     assert_eq!(&buf[..n], b"hello");
    ///     // The peer closed: end of file.
    ///     assert_eq!(b.read(&mut buf).await?, 0);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        net::read(&self.inner, buf).await
    }

    /// Writes some of `buf`, waiting until the socket takes at least one byte.
    ///
    /// # Examples
    ///
    /// ```
    /// use tether::net::UnixStream;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// tether::run(async {
    ///     let (a, b) = UnixStream::pair()?;
    ///     // An empty send buffer takes all of a short write.
    ///     assert_eq!(a.write(b"hello").await?, 5);
    ///     let mut buf = [0; 5];
    ///     b.read(&mut buf).await?;
    ///     assert_eq!(&buf, b"hello");
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn write(&self, buf: &[u8]) -> io::Result<usize> {
        net::write(&self.inner, buf).await
    }

    /// Writes all of `buf`.
    ///
    /// # Examples
    ///
    /// ```
    /// use tether::net::UnixStream;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// tether::run(async {
    ///     let (a, b) = UnixStream::pair()?;
    ///     let data = vec![7; 1 << 20]; // more than the socket buffers hold
    ///     let reader = tether::spawn(async move {
    ///         let (mut total, mut buf) = (0, [0; 65536]);
    ///         loop {
    ///             match b.read(&mut buf).await? {
    ///                 0 => return std::io::Result::Ok(total),
    ///                 n => total += n,
    ///             }
    ///         }
    ///     });
    ///     a.write_all(&data).await?;
    ///     drop(a);
    ///     assert_eq!(reader.await.unwrap()?, data.len());
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn write_all(&self, buf: &[u8]) -> io::Result<()> {
        net::write_all(&self.inner, buf).await
    }

    /// Reads into `buf` without taking the bytes out of the socket.
    ///
    /// # Examples
    ///
    /// ```
    /// use tether::net::UnixStream;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// tether::run(async {
    ///     let (a, b) = UnixStream::pair()?;
    ///     a.write_all(b"hello").await?;
    ///     let mut buf = [0; 5];
    ///     b.peek(&mut buf).await?;
    ///     assert_eq!(&buf, b"hello");
    ///     // Still there for `read`.
    ///     let mut again = [0; 5];
    ///     b.read(&mut again).await?;
    ///     assert_eq!(&again, b"hello");
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        net::peek(&self.inner, buf).await
    }

    /// Waits until the socket is readable; see [`Async::readable`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// use tether::net::UnixStream;
    /// use tether::time::timeout;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// tether::run(async {
    ///     let (a, b) = UnixStream::pair()?;
    ///     // Nothing sent yet: not readable.
    ///     assert!(timeout(Duration::from_millis(2), b.readable()).await.is_err());
    ///     a.write_all(b"hello").await?;
    ///     b.readable().await?;
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn readable(&self) -> Readiness<'_> {
        self.inner.readable()
    }

    /// Waits until the socket is writable; see [`Async::writable`].
    ///
    /// # Examples
    ///
    /// ```
    /// use tether::net::UnixStream;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// tether::run(async {
    ///     let (a, _b) = UnixStream::pair()?;
    ///     // A new socket has room in its send buffer.
    ///     a.writable().await?;
    ///     assert_eq!(a.write(b"hello").await?, 5);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn writable(&self) -> Readiness<'_> {
        self.inner.writable()
    }

    /// Shuts down the reading side, the writing side (a half-close), or both.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::net::Shutdown;
    ///
    /// use tether::net::UnixStream;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// tether::run(async {
    ///     let (a, b) = UnixStream::pair()?;
    ///     a.shutdown(Shutdown::Write)?;
    ///     let mut buf = [0; 3];
    ///     assert_eq!(b.read(&mut buf).await?, 0);
    ///     // The other direction still works.
    ///     b.write_all(b"bye").await?;
    ///     a.read(&mut buf).await?;
    ///     assert_eq!(&buf, b"bye");
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.inner.get_ref().shutdown(how)
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
