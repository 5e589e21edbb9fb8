//! `UnixDatagram`: a Unix datagram socket.

use std::io;
use std::net::Shutdown;
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::net::{self as std_unix, SocketAddr};
use std::path::Path;

use crate::async_fd::Async;
use crate::net;
use crate::source::Readiness;

/// A Unix datagram socket.
///
/// asyncio: the socket of `loop.create_datagram_endpoint(family=AF_UNIX)`.
///
/// Unconnected, it sends to and receives from any path
/// ([`send_to`](UnixDatagram::send_to),
/// [`recv_from`](UnixDatagram::recv_from)); connected, to and from one peer
/// ([`send`](UnixDatagram::send), [`recv`](UnixDatagram::recv)).
///
/// # Examples
///
/// ```
/// use std::io::ErrorKind;
///
/// use tether::net::UnixDatagram;
///
/// # fn main() -> std::io::Result<()> {
/// let dir = std::env::temp_dir().join(format!("tether-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let (path_a, path_b) = (dir.join("a"), dir.join("b"));
/// # let _ = (std::fs::remove_file(&path_a), std::fs::remove_file(&path_b));
/// tether::run(async {
///     let a = UnixDatagram::bind(&path_a)?;
///     let b = UnixDatagram::bind(&path_b)?;
///     assert_eq!(a.local_addr()?.as_pathname(), Some(path_a.as_path()));
///     // Unconnected: to and from any path.
///     a.writable().await?; // an idle socket has room to send
///     a.send_to(b"ping", &path_b).await?;
///     b.readable().await?; // the datagram is there
///     let mut buf = [0; 16];
///     let (n, from) = b.recv_from(&mut buf).await?;
///     assert_eq!((&buf[..n], from.as_pathname()), (&b"ping"[..], Some(path_a.as_path())));
///     // Connected: to one peer.
///     a.connect(&path_b)?;
///     assert_eq!(a.peer_addr()?.as_pathname(), Some(path_b.as_path()));
///     assert_eq!(a.send(b"pong").await?, 4);
///     assert_eq!(b.recv(&mut buf).await?, 4);
///     // Back to std, still non-blocking: nothing more to receive, and
///     // `recv` says so at once.
///     let b = b.into_std();
///     assert_eq!(b.recv(&mut buf).unwrap_err().kind(), ErrorKind::WouldBlock);
///     std::io::Result::Ok(())
/// })?;
/// std::fs::remove_dir_all(&dir)
/// # }
/// ```
#[derive(Debug)]
pub struct UnixDatagram {
    /// The std socket, registered.
    inner: Async<std_unix::UnixDatagram>,
}

impl UnixDatagram {
    /// Binds to `path`, which must not exist yet.
    ///
    /// # Errors
    ///
    /// `AddrInUse` if a file is at `path`, among them the socket file a
    /// bind left there: dropping the socket does not remove it.
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
    /// use tether::net::UnixDatagram;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// # let dir = std::env::temp_dir().join(format!("tether-doc-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// # let path = dir.join("socket");
    /// # let _ = std::fs::remove_file(&path);
    /// tether::run(async {
    ///     let socket = UnixDatagram::bind(&path)?;
    ///     drop(socket);
    ///     // The socket is gone, its file is not.
    ///     let err = UnixDatagram::bind(&path).unwrap_err();
    ///     assert_eq!(err.kind(), ErrorKind::AddrInUse);
    ///     std::fs::remove_file(&path)?;
    ///     UnixDatagram::bind(&path)?;
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
    /// use std::io::ErrorKind;
    ///
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
    ///     // Nothing is bound there: the connect fails at once.
    ///     let err = socket.connect(dir.join("nobody")).unwrap_err();
    ///     assert_eq!(err.kind(), ErrorKind::NotFound);
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
    /// While the receiver's queue is full, Linux refuses the datagram, and
    /// to a sender that is not connected to that receiver it gives no
    /// event when the queue drains: this send then waits for this socket's
    /// own next writable event, which may never come. A sender that can
    /// fill a receiver's queue should [`connect`](Self::connect) to it and
    /// [`send`](Self::send): Linux wakes a connected sender when its peer
    /// makes room.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::ErrorKind;
    ///
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
    ///     // Nothing is bound there.
    ///     let err = socket.send_to(b"ping", dir.join("nobody")).await.unwrap_err();
    ///     assert_eq!(err.kind(), ErrorKind::NotFound);
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

    /// Receives one datagram, and says where it came from: shown in
    /// [`UnixDatagram`'s example](UnixDatagram#examples). Bytes that do not
    /// fit are discarded, as for [`recv`](UnixDatagram::recv).
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.inner.read_with(|socket| socket.recv_from(buf)).await
    }

    /// Sends `buf` as one datagram to the peer set by
    /// [`connect`](UnixDatagram::connect), shown in
    /// [`UnixDatagram`'s example](UnixDatagram#examples).
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write_with(|socket| socket.send(buf)).await
    }

    /// Receives one datagram, from the peer set by
    /// [`connect`](UnixDatagram::connect) if there is one.
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

    /// Waits until the socket is readable; see [`Async::readable`]. Shown
    /// in [`UnixDatagram`'s example](UnixDatagram#examples).
    pub fn readable(&self) -> Readiness<'_> {
        self.inner.readable()
    }

    /// Waits until the socket is writable; see [`Async::writable`]. Shown
    /// in [`UnixDatagram`'s example](UnixDatagram#examples).
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

    /// The address it is bound to, shown in
    /// [`UnixDatagram`'s example](UnixDatagram#examples).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.get_ref().local_addr()
    }

    /// The peer set by [`connect`](UnixDatagram::connect), shown in
    /// [`UnixDatagram`'s example](UnixDatagram#examples).
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

    /// Unwraps the std socket, still in non-blocking mode, shown in
    /// [`UnixDatagram`'s example](UnixDatagram#examples).
    pub fn into_std(self) -> std_unix::UnixDatagram {
        self.inner.into_inner()
    }
}

impl AsFd for UnixDatagram {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.as_fd()
    }
}

net::std_conversions!(UnixDatagram, std_unix::UnixDatagram);
