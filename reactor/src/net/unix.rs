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
    /// The pause after running out of file descriptors (see the `net`
    /// module's docs, "Faults").
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
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::ErrorKind;
    ///
    /// use tether::net::UnixListener;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// # let dir = std::env::temp_dir().join(format!("tether-doc-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// # let path = dir.join("socket");
    /// # let _ = std::fs::remove_file(&path);
    /// tether::run(async {
    ///     let listener = UnixListener::bind(&path)?;
    ///     assert_eq!(listener.local_addr()?.as_pathname(), Some(path.as_path()));
    ///     // The path is taken now: a second bind fails.
    ///     let err = UnixListener::bind(&path).unwrap_err();
    ///     assert_eq!(err.kind(), ErrorKind::AddrInUse);
    /// #   std::fs::remove_dir_all(&dir)
    /// })
    /// # }
    /// ```
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixListener> {
        UnixListener::from_std(std_unix::UnixListener::bind(path)?)
    }

    /// Waits for a connection and accepts it.
    ///
    /// # Errors
    ///
    /// As [`TcpListener::accept`](crate::net::TcpListener::accept), with the
    /// same pause after running out of file descriptors.
    ///
    /// # Examples
    ///
    /// ```
    /// use tether::net::{UnixListener, UnixStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// # let dir = std::env::temp_dir().join(format!("tether-doc-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// # let path = dir.join("socket");
    /// # let _ = std::fs::remove_file(&path);
    /// tether::run(async {
    ///     let listener = UnixListener::bind(&path)?;
    ///     let client = UnixStream::connect(&path).await?;
    ///     let (server, addr) = listener.accept().await?;
    ///     // The client bound no path of its own.
    ///     assert!(addr.is_unnamed());
    ///     assert_eq!(server.local_addr()?.as_pathname(), client.peer_addr()?.as_pathname());
    /// #   std::fs::remove_dir_all(&dir)
    /// })
    /// # }
    /// ```
    pub async fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        self.backoff.wait().await;
        let result = self.inner.read_with(|listener| listener.accept()).await;
        self.backoff.record(&result);
        let (stream, addr) = result?;
        Ok((UnixStream::from_std(stream)?, addr))
    }

    /// The address it listens on.
    ///
    /// # Examples
    ///
    /// ```
    /// use tether::net::{UnixListener, UnixStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// # let dir = std::env::temp_dir().join(format!("tether-doc-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// # let path = dir.join("socket");
    /// # let _ = std::fs::remove_file(&path);
    /// tether::run(async {
    ///     let listener = UnixListener::bind(&path)?;
    ///     let client = UnixStream::connect(&path).await?;
    ///     assert_eq!(listener.local_addr()?.as_pathname(), client.peer_addr()?.as_pathname());
    /// #   std::fs::remove_dir_all(&dir)
    /// })
    /// # }
    /// ```
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
    /// use tether::net::{UnixListener, UnixStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// # let dir = std::env::temp_dir().join(format!("tether-doc-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// # let path = dir.join("socket");
    /// # let _ = std::fs::remove_file(&path);
    /// tether::run(async {
    ///     let std_listener = std::os::unix::net::UnixListener::bind(&path)?;
    ///     let listener = UnixListener::from_std(std_listener)?;
    ///     let client = UnixStream::connect(&path).await?;
    ///     let (server, _) = listener.accept().await?;
    ///     client.write_all(b"hi").await?;
    ///     let mut buf = [0; 2];
    ///     server.read(&mut buf).await?;
    ///     assert_eq!(&buf, b"hi");
    /// #   std::fs::remove_dir_all(&dir)
    /// })
    /// # }
    /// ```
    pub fn from_std(listener: std_unix::UnixListener) -> io::Result<UnixListener> {
        Ok(UnixListener {
            inner: Async::new(listener)?,
            backoff: AcceptBackoff::default(),
        })
    }

    /// Unwraps the std listener, still in non-blocking mode.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::ErrorKind;
    ///
    /// use tether::net::UnixListener;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// # let dir = std::env::temp_dir().join(format!("tether-doc-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// # let path = dir.join("socket");
    /// # let _ = std::fs::remove_file(&path);
    /// tether::run(async {
    ///     let std_listener = UnixListener::bind(&path)?.into_std();
    ///     // Still non-blocking: no connection waits, and it says so.
    ///     let err = std_listener.accept().unwrap_err();
    ///     assert_eq!(err.kind(), ErrorKind::WouldBlock);
    /// #   std::fs::remove_dir_all(&dir)
    /// })
    /// # }
    /// ```
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

    /// Two connected streams.
    ///
    /// # Panics
    ///
    /// Panics if no tether loop runs on this thread.
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
    ///     b.write_all(b"pong").await?;
    ///     let mut buf = [0; 4];
    ///     b.read(&mut buf).await?;
    ///     assert_eq!(&buf, b"ping");
    ///     a.read(&mut buf).await?;
    ///     assert_eq!(&buf, b"pong");
    ///     Ok(())
    /// })
    /// # }
    /// ```
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
        super::read(&self.inner, buf).await
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
        super::write(&self.inner, buf).await
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
        super::write_all(&self.inner, buf).await
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
        super::peek(&self.inner, buf).await
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

    /// The address of the peer.
    ///
    /// # Examples
    ///
    /// ```
    /// use tether::net::{UnixListener, UnixStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// # let dir = std::env::temp_dir().join(format!("tether-doc-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// # let path = dir.join("socket");
    /// # let _ = std::fs::remove_file(&path);
    /// tether::run(async {
    /// #   let _listener = UnixListener::bind(&path)?;
    ///     let client = UnixStream::connect(&path).await?;
    ///     assert_eq!(client.peer_addr()?.as_pathname(), Some(path.as_path()));
    /// #   std::fs::remove_dir_all(&dir)
    /// })
    /// # }
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.get_ref().peer_addr()
    }

    /// The address of this end.
    ///
    /// # Examples
    ///
    /// ```
    /// use tether::net::{UnixListener, UnixStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// # let dir = std::env::temp_dir().join(format!("tether-doc-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// # let path = dir.join("socket");
    /// # let _ = std::fs::remove_file(&path);
    /// tether::run(async {
    /// #   let listener = UnixListener::bind(&path)?;
    ///     let client = UnixStream::connect(&path).await?;
    ///     let (server, _) = listener.accept().await?;
    ///     assert_eq!(server.local_addr()?.as_pathname(), Some(path.as_path()));
    ///     // The client's end has no path.
    ///     assert!(client.local_addr()?.is_unnamed());
    /// #   std::fs::remove_dir_all(&dir)
    /// })
    /// # }
    /// ```
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

    /// Unwraps the std stream, still in non-blocking mode.
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
    ///     let (a, _b) = UnixStream::pair()?;
    ///     let a = a.into_std();
    ///     // Still non-blocking: nothing to read yet, and it says so.
    ///     let err = (&a).read(&mut [0; 4]).unwrap_err();
    ///     assert_eq!(err.kind(), ErrorKind::WouldBlock);
    ///     Ok(())
    /// })
    /// # }
    /// ```
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
    ///
    /// # Examples
    ///
    /// ```
    /// use tether::net::UnixDatagram;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// # let dir = std::env::temp_dir().join(format!("tether-doc-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// # let path = dir.join("socket");
    /// # let _ = std::fs::remove_file(&path);
    /// tether::run(async {
    ///     let socket = UnixDatagram::bind(&path)?;
    ///     assert_eq!(socket.local_addr()?.as_pathname(), Some(path.as_path()));
    ///     UnixDatagram::unbound()?.send_to(b"ping", &path).await?;
    ///     let mut buf = [0; 4];
    ///     assert_eq!(socket.recv(&mut buf).await?, 4);
    /// #   std::fs::remove_dir_all(&dir)
    /// })
    /// # }
    /// ```
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixDatagram> {
        UnixDatagram::from_std(std_unix::UnixDatagram::bind(path)?)
    }

    /// A socket bound to no address: it can send, but nothing can be sent
    /// to it, so a receiver sees an unnamed sender it cannot reply to.
    ///
    /// # Panics
    ///
    /// Panics if no tether loop runs on this thread.
    ///
    /// # Examples
    ///
    /// ```
    /// use tether::net::UnixDatagram;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// # let dir = std::env::temp_dir().join(format!("tether-doc-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// # let path = dir.join("socket");
    /// # let _ = std::fs::remove_file(&path);
    /// tether::run(async {
    /// #   let receiver = UnixDatagram::bind(&path)?;
    ///     let socket = UnixDatagram::unbound()?;
    ///     socket.send_to(b"ping", &path).await?;
    ///     let mut buf = [0; 4];
    ///     let (n, from) = receiver.recv_from(&mut buf).await?;
    ///     // Sent from no address: there is nowhere to reply to.
    ///     assert!(from.is_unnamed());
    ///     assert_eq!(&buf[..n], b"ping");
    /// #   std::fs::remove_dir_all(&dir)
    /// })
    /// # }
    /// ```
    pub fn unbound() -> io::Result<UnixDatagram> {
        UnixDatagram::from_std(std_unix::UnixDatagram::unbound()?)
    }

    /// Two connected sockets.
    ///
    /// # Panics
    ///
    /// Panics if no tether loop runs on this thread.
    ///
    /// # Examples
    ///
    /// ```
    /// use tether::net::UnixDatagram;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// tether::run(async {
    ///     let (a, b) = UnixDatagram::pair()?;
    ///     a.send(b"one").await?;
    ///     a.send(b"two").await?;
    ///     // One datagram per `recv`: the boundaries are kept.
    ///     let mut buf = [0; 16];
    ///     assert_eq!(b.recv(&mut buf).await?, 3);
    ///     assert_eq!(&buf[..3], b"one");
    ///     assert_eq!(b.recv(&mut buf).await?, 3);
    ///     assert_eq!(&buf[..3], b"two");
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn pair() -> io::Result<(UnixDatagram, UnixDatagram)> {
        let (a, b) = std_unix::UnixDatagram::pair()?;
        Ok((UnixDatagram::from_std(a)?, UnixDatagram::from_std(b)?))
    }

    /// Sets the socket's peer.
    ///
    /// # Examples
    ///
    /// ```
    /// use tether::net::UnixDatagram;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// # let dir = std::env::temp_dir().join(format!("tether-doc-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// # let path = dir.join("socket");
    /// # let _ = std::fs::remove_file(&path);
    /// tether::run(async {
    /// #   let receiver = UnixDatagram::bind(&path)?;
    ///     let socket = UnixDatagram::unbound()?;
    ///     socket.connect(&path)?;
    ///     socket.send(b"ping").await?;
    ///     let mut buf = [0; 4];
    ///     assert_eq!(receiver.recv(&mut buf).await?, 4);
    /// #   std::fs::remove_dir_all(&dir)
    /// })
    /// # }
    /// ```
    pub fn connect(&self, path: impl AsRef<Path>) -> io::Result<()> {
        self.inner.get_ref().connect(path)
    }

    /// Sends `buf` as one datagram to the socket at `path`.
    ///
    /// # Examples
    ///
    /// ```
    /// use tether::net::UnixDatagram;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// # let dir = std::env::temp_dir().join(format!("tether-doc-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// # let path = dir.join("socket");
    /// # let _ = std::fs::remove_file(&path);
    /// tether::run(async {
    /// #   let receiver = UnixDatagram::bind(&path)?;
    ///     let socket = UnixDatagram::unbound()?;
    ///     assert_eq!(socket.send_to(b"ping", &path).await?, 4);
    ///     let mut buf = [0; 4];
    ///     receiver.recv(&mut buf).await?;
    ///     assert_eq!(&buf, b"ping");
    /// #   std::fs::remove_dir_all(&dir)
    /// })
    /// # }
    /// ```
    pub async fn send_to(&self, buf: &[u8], path: impl AsRef<Path>) -> io::Result<usize> {
        let path = path.as_ref();
        self.inner
            .write_with(|socket| socket.send_to(buf, path))
            .await
    }

    /// Receives one datagram, and says where it came from.
    ///
    /// # Examples
    ///
    /// ```
    /// use tether::net::UnixDatagram;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// # let dir = std::env::temp_dir().join(format!("tether-doc-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// # let path = dir.join("socket");
    /// # let _ = std::fs::remove_file(&path);
    /// tether::run(async {
    ///     let receiver = UnixDatagram::bind(&path)?;
    ///     let sender_path = dir.join("sender");
    ///     let sender = UnixDatagram::bind(&sender_path)?;
    ///     sender.send_to(b"ping", &path).await?;
    ///     let mut buf = [0; 4];
    ///     let (n, from) = receiver.recv_from(&mut buf).await?;
    ///     assert_eq!((n, from.as_pathname()), (4, Some(sender_path.as_path())));
    /// #   std::fs::remove_dir_all(&dir)
    /// })
    /// # }
    /// ```
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.inner.read_with(|socket| socket.recv_from(buf)).await
    }

    /// Sends `buf` as one datagram to the peer.
    ///
    /// # Examples
    ///
    /// ```
    /// use tether::net::UnixDatagram;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// tether::run(async {
    ///     let (a, b) = UnixDatagram::pair()?;
    ///     assert_eq!(a.send(b"ping").await?, 4);
    ///     let mut buf = [0; 4];
    ///     b.recv(&mut buf).await?;
    ///     assert_eq!(&buf, b"ping");
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write_with(|socket| socket.send(buf)).await
    }

    /// Receives one datagram from the peer.
    ///
    /// # Examples
    ///
    /// ```
    /// use tether::net::UnixDatagram;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// tether::run(async {
    ///     let (a, b) = UnixDatagram::pair()?;
    ///     a.send(b"a long datagram").await?;
    ///     // Bytes that do not fit are discarded.
    ///     let mut buf = [0; 6];
    ///     let n = b.recv(&mut buf).await?;
    ///     assert_eq!(&buf[..n], b"a long");
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read_with(|socket| socket.recv(buf)).await
    }

    /// Waits until the socket is readable; see [`Async::readable`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// use tether::net::UnixDatagram;
    /// use tether::time::timeout;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// tether::run(async {
    ///     let (a, b) = UnixDatagram::pair()?;
    ///     // Nothing sent yet: not readable.
    ///     assert!(timeout(Duration::from_millis(2), b.readable()).await.is_err());
    ///     a.send(b"ping").await?;
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
    /// use tether::net::UnixDatagram;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// tether::run(async {
    ///     let (a, _b) = UnixDatagram::pair()?;
    ///     // An idle socket has room to send.
    ///     a.writable().await?;
    ///     assert_eq!(a.send(b"ping").await?, 4);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn writable(&self) -> Readiness<'_> {
        self.inner.writable()
    }

    /// Shuts down reading, writing, or both.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::ErrorKind;
    /// use std::net::Shutdown;
    ///
    /// use tether::net::UnixDatagram;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// tether::run(async {
    ///     let (a, _b) = UnixDatagram::pair()?;
    ///     a.shutdown(Shutdown::Write)?;
    ///     let err = a.send(b"ping").await.unwrap_err();
    ///     assert_eq!(err.kind(), ErrorKind::BrokenPipe);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.inner.get_ref().shutdown(how)
    }

    /// The address it is bound to.
    ///
    /// # Examples
    ///
    /// ```
    /// use tether::net::UnixDatagram;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// # let dir = std::env::temp_dir().join(format!("tether-doc-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// # let path = dir.join("socket");
    /// # let _ = std::fs::remove_file(&path);
    /// tether::run(async {
    ///     let socket = UnixDatagram::bind(&path)?;
    ///     assert_eq!(socket.local_addr()?.as_pathname(), Some(path.as_path()));
    ///     assert!(UnixDatagram::unbound()?.local_addr()?.is_unnamed());
    /// #   std::fs::remove_dir_all(&dir)
    /// })
    /// # }
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.get_ref().local_addr()
    }

    /// The peer set by `connect`.
    ///
    /// # Examples
    ///
    /// ```
    /// use tether::net::UnixDatagram;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// # let dir = std::env::temp_dir().join(format!("tether-doc-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// # let path = dir.join("socket");
    /// # let _ = std::fs::remove_file(&path);
    /// tether::run(async {
    /// #   let _receiver = UnixDatagram::bind(&path)?;
    ///     let socket = UnixDatagram::unbound()?;
    ///     socket.connect(&path)?;
    ///     assert_eq!(socket.peer_addr()?.as_pathname(), Some(path.as_path()));
    /// #   std::fs::remove_dir_all(&dir)
    /// })
    /// # }
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.get_ref().peer_addr()
    }

    /// Wraps a std socket; it is made non-blocking.
    ///
    /// # Panics
    ///
    /// Panics if no tether loop runs on this thread.
    ///
    /// # Examples
    ///
    /// ```
    /// use tether::net::UnixDatagram;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// tether::run(async {
    ///     let (a, b) = std::os::unix::net::UnixDatagram::pair()?;
    ///     let a = UnixDatagram::from_std(a)?;
    ///     b.send(b"ping")?;
    ///     let mut buf = [0; 4];
    ///     assert_eq!(a.recv(&mut buf).await?, 4);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn from_std(socket: std_unix::UnixDatagram) -> io::Result<UnixDatagram> {
        Ok(UnixDatagram {
            inner: Async::new(socket)?,
        })
    }

    /// Unwraps the std socket, still in non-blocking mode.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::ErrorKind;
    ///
    /// use tether::net::UnixDatagram;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// tether::run(async {
    ///     let (a, _b) = UnixDatagram::pair()?;
    ///     let a = a.into_std();
    ///     // Still non-blocking: nothing to receive, and it says so.
    ///     let err = a.recv(&mut [0; 4]).unwrap_err();
    ///     assert_eq!(err.kind(), ErrorKind::WouldBlock);
    ///     Ok(())
    /// })
    /// # }
    /// ```
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
