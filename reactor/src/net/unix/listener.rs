//! `UnixListener`: a Unix stream socket listening at a path.

use std::io;
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::net::{self as std_unix, SocketAddr};
use std::path::Path;

use super::UnixStream;
use crate::async_fd::Async;
use crate::net::{self, AcceptBackoff};

/// A Unix socket listening for connections at a path.
///
/// asyncio: the listening socket of `loop.create_unix_server`.
///
/// # Examples
///
/// ```
/// use std::io::ErrorKind;
///
/// use tether::net::{UnixListener, UnixStream};
///
/// # fn main() -> std::io::Result<()> {
/// let dir = std::env::temp_dir().join(format!("tether-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let path = dir.join("socket");
/// # let _ = std::fs::remove_file(&path);
/// tether::run(async {
///     let listener = UnixListener::bind(&path)?;
///     assert_eq!(listener.local_addr()?.as_pathname(), Some(path.as_path()));
///     let client = UnixStream::connect(&path).await?;
///     let (server, from) = listener.accept().await?;
///     // The server's end has the listener's path; the client bound none,
///     // so its end is unnamed.
///     assert_eq!(client.peer_addr()?.as_pathname(), Some(path.as_path()));
///     assert_eq!(server.local_addr()?.as_pathname(), Some(path.as_path()));
///     assert!(from.is_unnamed() && client.local_addr()?.is_unnamed());
///     // Back to std, still non-blocking: nobody else is connecting, and
///     // `accept` says so at once.
///     let std_listener = listener.into_std();
///     assert_eq!(std_listener.accept().unwrap_err().kind(), ErrorKind::WouldBlock);
///     std::io::Result::Ok(())
/// })?;
/// std::fs::remove_dir_all(&dir)
/// # }
/// ```
#[derive(Debug)]
pub struct UnixListener {
    /// The std listener, registered.
    inner: Async<std_unix::UnixListener>,
    /// The pause after running out of file descriptors (see the `net`
    /// module's docs, "Faults").
    backoff: AcceptBackoff,
}

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
    /// It waits until a client connects:
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
    ///     let client = tether::spawn(async move {
    ///         let client = UnixStream::connect(&path).await?;
    ///         client.write_all(b"hi").await
    ///     });
    ///     let (server, _) = listener.accept().await?;
    ///     let mut buf = [0; 2];
    ///     server.read(&mut buf).await?;
    ///     assert_eq!(&buf, b"hi");
    ///     client.await.unwrap()
    /// })?;
    /// # std::fs::remove_dir_all(&dir)
    /// # }
    /// ```
    pub async fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        self.backoff.wait().await;
        let result = self.inner.accept_with(|listener| listener.accept()).await;
        self.backoff.record(&result);
        let (stream, addr) = result?;
        Ok((UnixStream::from_std(stream)?, addr))
    }

    /// The address it listens on, shown in
    /// [`UnixListener`'s example](UnixListener#examples).
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

    /// Unwraps the std listener, still in non-blocking mode, shown in
    /// [`UnixListener`'s example](UnixListener#examples).
    pub fn into_std(self) -> std_unix::UnixListener {
        self.inner.into_inner()
    }
}

impl AsFd for UnixListener {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.as_fd()
    }
}

net::std_conversions!(UnixListener, std_unix::UnixListener);
