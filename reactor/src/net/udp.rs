//! UDP: `UdpSocket`.

use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsFd, BorrowedFd};

use super::{ToSocketAddrs, try_each_addr};
use crate::async_fd::Async;
use crate::source::Readiness;

/// A UDP socket.
///
/// asyncio: the socket of `loop.create_datagram_endpoint`.
///
/// Unconnected, it sends to and receives from any address
/// ([`send_to`](UdpSocket::send_to), [`recv_from`](UdpSocket::recv_from));
/// connected, to and from one peer ([`send`](UdpSocket::send),
/// [`recv`](UdpSocket::recv)).
///
/// # Examples
///
/// ```
/// use std::io::ErrorKind;
///
/// use tether::net::UdpSocket;
///
/// # fn main() -> std::io::Result<()> {
/// tether::run(async {
///     let a = UdpSocket::bind("127.0.0.1:0").await?;
///     let b = UdpSocket::bind("127.0.0.1:0").await?;
///     // Unconnected: to and from any address.
///     a.writable().await?; // an idle socket has room to send
///     a.send_to(b"ping", b.local_addr()?).await?;
///     b.readable().await?; // the datagram is there
///     let mut buf = [0; 16];
///     let (n, from) = b.recv_from(&mut buf).await?;
///     assert_eq!((&buf[..n], from), (&b"ping"[..], a.local_addr()?));
///     // Connected: to one peer.
///     assert_eq!(a.peer_addr().unwrap_err().kind(), ErrorKind::NotConnected);
///     a.connect(b.local_addr()?).await?;
///     assert_eq!(a.peer_addr()?, b.local_addr()?);
///     assert_eq!(a.send(b"pong").await?, 4);
///     assert_eq!(b.recv(&mut buf).await?, 4);
///     // Back to std, still non-blocking: nothing more to receive, and
///     // `recv` says so at once.
///     let b = b.into_std();
///     assert_eq!(b.recv(&mut buf).unwrap_err().kind(), ErrorKind::WouldBlock);
///     Ok(())
/// })
/// # }
/// ```
#[derive(Debug)]
pub struct UdpSocket {
    /// The std socket, registered.
    inner: Async<std::net::UdpSocket>,
}

impl UdpSocket {
    /// Binds to `addr`.
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
    /// use tether::net::UdpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// tether::run(async {
    ///     let socket = UdpSocket::bind("127.0.0.1:0").await?;
    ///     // Port 0: the OS picked a free one.
    ///     assert_ne!(socket.local_addr()?.port(), 0);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn bind(addr: impl ToSocketAddrs) -> io::Result<UdpSocket> {
        try_each_addr(addr, |addr| async move {
            UdpSocket::from_std(std::net::UdpSocket::bind(addr)?)
        })
        .await
    }

    /// Sets the socket's peer: `send` goes there, and `recv` takes datagrams
    /// from there only.
    ///
    /// # Examples
    ///
    /// ```
    /// use tether::net::UdpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// tether::run(async {
    /// #   let a = UdpSocket::bind("127.0.0.1:0").await?;
    /// #   let b = UdpSocket::bind("127.0.0.1:0").await?;
    ///     let other = UdpSocket::bind("127.0.0.1:0").await?;
    ///     b.connect(a.local_addr()?).await?;
    ///     other.send_to(b"noise", b.local_addr()?).await?;
    ///     a.send_to(b"signal", b.local_addr()?).await?;
    ///     // Only `a`'s datagram got through.
    ///     let mut buf = [0; 16];
    ///     let n = b.recv(&mut buf).await?;
    ///     assert_eq!(&buf[..n], b"signal");
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn connect(&self, addr: impl ToSocketAddrs) -> io::Result<()> {
        let socket = self.inner.get_ref();
        try_each_addr(addr, |addr| async move { socket.connect(addr) }).await
    }

    /// Sends `buf` as one datagram to `target` (the first address it
    /// resolves to).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::ErrorKind;
    /// use std::net::SocketAddr;
    ///
    /// use tether::net::UdpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// tether::run(async {
    /// #   let a = UdpSocket::bind("127.0.0.1:0").await?;
    /// #   let b = UdpSocket::bind("127.0.0.1:0").await?;
    ///     assert_eq!(a.send_to(b"ping", b.local_addr()?).await?, 4);
    ///     let mut buf = [0; 16];
    ///     let (n, _) = b.recv_from(&mut buf).await?;
    ///     assert_eq!(&buf[..n], b"ping");
    ///     // An address list with nothing in it: nowhere to send.
    ///     let nowhere: &[SocketAddr] = &[];
    ///     let err = a.send_to(b"ping", nowhere).await.unwrap_err();
    ///     assert_eq!(err.kind(), ErrorKind::InvalidInput);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn send_to(&self, buf: &[u8], target: impl ToSocketAddrs) -> io::Result<usize> {
        let target = super::addr::resolve(target)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no address to send to"))?;
        self.inner
            .write_with(|socket| socket.send_to(buf, target))
            .await
    }

    /// Receives one datagram into `buf`, and says where it came from. Bytes
    /// that do not fit are discarded.
    ///
    /// # Examples
    ///
    /// ```
    /// use tether::net::UdpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// tether::run(async {
    /// #   let a = UdpSocket::bind("127.0.0.1:0").await?;
    /// #   let b = UdpSocket::bind("127.0.0.1:0").await?;
    ///     a.send_to(b"a long datagram", b.local_addr()?).await?;
    ///     let mut buf = [0; 6];
    ///     let (n, from) = b.recv_from(&mut buf).await?;
    ///     assert_eq!((&buf[..n], from), (&b"a long"[..], a.local_addr()?));
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.inner.read_with(|socket| socket.recv_from(buf)).await
    }

    /// Like `recv_from`, but leaves the datagram in the socket.
    ///
    /// # Examples
    ///
    /// ```
    /// use tether::net::UdpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// tether::run(async {
    /// #   let a = UdpSocket::bind("127.0.0.1:0").await?;
    /// #   let b = UdpSocket::bind("127.0.0.1:0").await?;
    ///     a.send_to(b"ping", b.local_addr()?).await?;
    ///     let mut buf = [0; 16];
    ///     let peeked = b.peek_from(&mut buf).await?;
    ///     assert_eq!(peeked, (4, a.local_addr()?));
    ///     // Still there.
    ///     assert_eq!(b.recv_from(&mut buf).await?, peeked);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.inner.read_with(|socket| socket.peek_from(buf)).await
    }

    /// Sends `buf` as one datagram to the peer set by
    /// [`connect`](UdpSocket::connect), shown in
    /// [`UdpSocket`'s example](UdpSocket#examples).
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write_with(|socket| socket.send(buf)).await
    }

    /// Receives one datagram, from the peer set by
    /// [`connect`](UdpSocket::connect) if there is one. Bytes that do not
    /// fit are discarded, as for [`recv_from`](UdpSocket::recv_from). Shown
    /// in [`UdpSocket`'s example](UdpSocket#examples).
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read_with(|socket| socket.recv(buf)).await
    }

    /// Like `recv`, but leaves the datagram in the socket.
    ///
    /// # Examples
    ///
    /// ```
    /// use tether::net::UdpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// tether::run(async {
    /// #   let a = UdpSocket::bind("127.0.0.1:0").await?;
    /// #   let b = UdpSocket::bind("127.0.0.1:0").await?;
    ///     b.connect(a.local_addr()?).await?;
    ///     a.send_to(b"ping", b.local_addr()?).await?;
    ///     let mut buf = [0; 16];
    ///     assert_eq!(b.peek(&mut buf).await?, 4);
    ///     // Still there.
    ///     assert_eq!(b.recv(&mut buf).await?, 4);
    ///     assert_eq!(&buf[..4], b"ping");
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read_with(|socket| socket.peek(buf)).await
    }

    /// Waits until the socket is readable; see [`Async::readable`]. Shown
    /// in [`UdpSocket`'s example](UdpSocket#examples).
    pub fn readable(&self) -> Readiness<'_> {
        self.inner.readable()
    }

    /// Waits until the socket is writable; see [`Async::writable`]. Shown
    /// in [`UdpSocket`'s example](UdpSocket#examples).
    pub fn writable(&self) -> Readiness<'_> {
        self.inner.writable()
    }

    /// The address it is bound to, shown in
    /// [`UdpSocket`'s example](UdpSocket#examples).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.get_ref().local_addr()
    }

    /// The peer set by [`connect`](UdpSocket::connect), or a
    /// `NotConnected` error before, shown in
    /// [`UdpSocket`'s example](UdpSocket#examples).
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.get_ref().peer_addr()
    }

    /// Allows or forbids sending to broadcast addresses.
    ///
    /// # Examples
    ///
    /// ```
    /// use tether::net::UdpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// tether::run(async {
    ///     let socket = UdpSocket::bind("127.0.0.1:0").await?;
    ///     socket.set_broadcast(true)?;
    ///     assert!(socket.into_std().broadcast()?);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        self.inner.get_ref().set_broadcast(on)
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
    /// use tether::net::UdpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// tether::run(async {
    /// #   let b = UdpSocket::bind("127.0.0.1:0").await?;
    ///     let a = UdpSocket::from_std(std::net::UdpSocket::bind("127.0.0.1:0")?)?;
    ///     a.send_to(b"ping", b.local_addr()?).await?;
    ///     let mut buf = [0; 16];
    ///     assert_eq!(b.recv_from(&mut buf).await?, (4, a.local_addr()?));
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn from_std(socket: std::net::UdpSocket) -> io::Result<UdpSocket> {
        Ok(UdpSocket {
            inner: Async::new(socket)?,
        })
    }

    /// Unwraps the std socket, still in non-blocking mode, shown in
    /// [`UdpSocket`'s example](UdpSocket#examples).
    pub fn into_std(self) -> std::net::UdpSocket {
        self.inner.into_inner()
    }
}

impl AsFd for UdpSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.as_fd()
    }
}

super::std_conversions!(UdpSocket, std::net::UdpSocket);
