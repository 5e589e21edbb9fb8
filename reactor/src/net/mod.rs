//! Networking: TCP, UDP and Unix sockets on the reactor.
//!
//! Behind the `net` feature, which `tether` turns on by default: it builds
//! rustix's socket calls, the largest part of rustix, which a program with
//! no socket need not compile. [`Async`] needs no feature.
//!
//! asyncio's selector-loop sockets (`loop.create_server`, `open_connection`,
//! `sock_recv`...), as the types std and tokio users know:
//!
//! | type | over | what it adds to std's type |
//! |------|------|-----------------------------|
//! | [`TcpListener`], [`TcpStream`] | `std::net` | async accept / connect / read / write, `futures_io` traits (`futures` feature) |
//! | [`TcpSocket`] | a socket not yet listening or connected | options set before `listen` or `connect`: `SO_REUSEPORT`, the backlog, buffer sizes |
//! | [`UdpSocket`] | `std::net` | async send / receive |
//! | [`UnixListener`], [`UnixStream`], [`UnixDatagram`] | `std::os::unix::net` | the same, for Unix sockets |
//!
//! Each but `TcpSocket` (an `OwnedFd`, which converts into one) is an
//! [`Async`] around the std socket: operations are tried first, and wait
//! for the reactor only on `WouldBlock`, except a stream socket's read
//! that would fail, which waits without trying (see
//! `crate::source_table`, "Skipping the read that would fail"). Each
//! converts from and into its std type.
//!
//! ```
//! use tether::net::{TcpListener, TcpStream};
//!
//! # fn main() -> std::io::Result<()> {
//! tether::run(async {
//!     let listener = TcpListener::bind("127.0.0.1:0").await?;
//!     let addr = listener.local_addr()?;
//!     let echo = tether::spawn(async move {
//!         let (stream, _) = listener.accept().await?;
//!         let mut buf = [0; 64];
//!         let n = stream.read(&mut buf).await?;
//!         stream.write_all(&buf[..n]).await
//!     });
//!     let client = TcpStream::connect(addr).await?;
//!     client.write_all(b"echo").await?;
//!     let mut buf = [0; 4];
//!     client.read(&mut buf).await?;
//!     assert_eq!(&buf, b"echo");
//!     echo.await.unwrap()
//! })
//! # }
//! ```
//!
//! # Faults
//!
//! - **No `SIGPIPE`.** A write to a peer that went away fails with
//!   `BrokenPipe` (or `ConnectionReset`). std writes with `MSG_NOSIGNAL`,
//!   except in `write_vectored`, which uses `writev(2)` and would raise
//!   `SIGPIPE`; on Linux and Android, tether's vectored writes use `sendmsg`
//!   with `MSG_NOSIGNAL` instead, so no write on a tether socket can kill
//!   the process there, whatever the program does with the signal. (A Unix
//!   stream's `write` is a `send` with `MSG_NOSIGNAL` in std since mid-2025,
//!   rust-lang/rust#140005; built with an older std, down to the crate's
//!   `rust-version`, it is `write(2)`, and can raise `SIGPIPE` if the
//!   program has set the signal back to its default.)
//! - **Out of file descriptors.** `accept` returns the error (`EMFILE`,
//!   `ENFILE`, `ENOBUFS`, `ENOMEM`) to its caller. The pending connection
//!   stays in the backlog, so an immediate retry would fail at once, and a
//!   loop of retries would spin at full speed: after such an error the next
//!   `accept` first sleeps, 5 ms the first time, doubling up to 1 s, reset by
//!   a success. (Go's `net/http` server does the same.)
//! - **Connect.** A refused connection is `ConnectionRefused`. The connect
//!   itself never blocks (std has no non-blocking connect; tether makes the
//!   socket itself), nor does resolving a host name, as the next section
//!   says.
//! - **Shutting down a connection that is gone.** Once the peer has reset
//!   a TCP connection, the socket is no longer connected, and `shutdown(2)`
//!   says `NotConnected` whichever side it is asked to shut (macOS and the
//!   BSDs say it in more cases, some after a plain close by the peer, and
//!   for Unix streams too). The streams' `shutdown`, for every side, and
//!   their `poll_close` take that as done and return `Ok`: what a shutdown
//!   is for, no more traffic in that direction, holds already. As an error
//!   it would only reach code that closes every connection the same way
//!   (hyper's server logs "error shutting down connection" for each client
//!   that went away abruptly); tokio's streams return `Ok` there too. The
//!   OS reports a stream made `from_std` of a socket that never connected
//!   the same way, so its shutdown is `Ok` too. Every other error still
//!   comes back. ([`Async`]'s `poll_close` only flushes, and never shuts a
//!   socket down.)
//!
//! # Name resolution
//!
//! `connect` and `bind`, and `UdpSocket::send_to` for its target, accept
//! a [`ToSocketAddrs`], tether's own: an address such as `"127.0.0.1:80"`
//! or `(ip, port)` resolves on the spot, with no thread and no system
//! call; a host name (`"example.com:80"`, `("localhost", 8080)`) goes to
//! the system resolver, which blocks, so it is looked up on the loop's
//! blocking pool (as asyncio's `getaddrinfo` runs in the default executor)
//! while the loop runs on. `connect` and `bind` use the first address
//! that works, in the order the resolver gives them; `send_to` sends to
//! the first one. Why the trait is tether's own, and how
//! the reactor is given the loop's pool, is in `net/addr.rs`.
//!
//! A lookup waiting in the pool's queue is cancelled when the operation
//! that asked for it is dropped (a `connect` under a `timeout` that
//! expired): it stays queued, but the pool thread that reaches it skips
//! the lookup; one that has begun runs to its end on its pool thread,
//! since the system resolver cannot be interrupted. `send_to` resolves its
//! target on every call, as std's does: a program sending many datagrams
//! to a named host resolves it once and sends to the address.

// The socket modules reach the macros below by path (`super::stream_io!`),
// so these lines need not come after them.
mod addr;
mod socket;
mod tcp;
mod udp;
mod unix;

pub use addr::{Lookup, Resolving, ToSocketAddrs};

pub use socket::TcpSocket;
pub use tcp::{TcpListener, TcpStream};
pub use udp::UdpSocket;
pub use unix::{UnixDatagram, UnixListener, UnixStream};

use std::cell::Cell;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::os::fd::AsFd;
use std::time::{Duration, Instant};

use tether_bridge::sync;

use crate::async_fd::Async;
use crate::time::sleep_until;

// ===== stream sockets =====
//
// `TcpStream` and `UnixStream` read, write and close the same way; their
// methods and trait impls call these.

/// Reads into `buf`, waiting until at least one byte is there.
async fn read<T: AsFd>(io: &Async<T>, buf: &mut [u8]) -> io::Result<usize>
where
    for<'a> &'a T: Read,
{
    io.read_stream(buf.len(), |mut stream| stream.read(buf))
        .await
}

/// The poll form of [`read`] into memory that need not be initialized:
/// `recv(2)` writes the bytes, and the count it returns is how many of
/// `buf`'s first bytes now hold them.
fn poll_read_uninit<T: AsFd>(
    io: &Async<T>,
    cx: &mut std::task::Context<'_>,
    buf: &mut [std::mem::MaybeUninit<u8>],
) -> std::task::Poll<io::Result<usize>> {
    use rustix::net::{RecvFlags, recv};
    io.poll_read_stream(cx, buf.len(), |socket| {
        let ((filled, _), _) = recv(socket, &mut *buf, RecvFlags::empty())?;
        Ok(filled.len())
    })
}

/// Writes some of `buf`, waiting until the socket takes at least one byte.
async fn write<T: AsFd>(io: &Async<T>, buf: &[u8]) -> io::Result<usize>
where
    for<'a> &'a T: Write,
{
    io.write_with(|stream| send(stream, buf)).await
}

/// Writes all of `buf`.
async fn write_all<T: AsFd>(io: &Async<T>, mut buf: &[u8]) -> io::Result<()>
where
    for<'a> &'a T: Write,
{
    while !buf.is_empty() {
        match write(io, buf).await? {
            0 => return Err(io::ErrorKind::WriteZero.into()),
            n => buf = &buf[n..],
        }
    }
    Ok(())
}

/// Shuts down one side of a stream socket, or both. A connection that is
/// gone already counts as shut down ("Faults" above).
fn shutdown<T: AsFd>(io: &Async<T>, how: Shutdown) -> io::Result<()> {
    use rustix::io::Errno;
    use rustix::net::Shutdown as How;
    let how = match how {
        Shutdown::Read => How::Read,
        Shutdown::Write => How::Write,
        Shutdown::Both => How::Both,
    };
    match rustix::net::shutdown(io.get_ref(), how) {
        Err(Errno::NOTCONN) => Ok(()),
        result => Ok(result?),
    }
}

/// Reads into `buf` without taking the bytes out of the socket.
async fn peek<T: AsFd>(io: &Async<T>, buf: &mut [u8]) -> io::Result<usize> {
    use rustix::net::{RecvFlags, recv};
    io.read_with(|socket| Ok(recv(socket, &mut *buf, RecvFlags::PEEK)?.0))
        .await
}

/// `futures_io::{AsyncRead, AsyncWrite}` for a stream socket type `$ty`
/// with an `inner: Async<_>` field and a `shutdown` method, for `&$ty` and
/// for `$ty`. Writes go through `send` and `send_vectored` below (no
/// `SIGPIPE`, see the module docs); close is a half-close, and done on a
/// connection that is gone already (the module docs' "Faults").
#[cfg(feature = "futures")]
macro_rules! stream_io {
    ($ty:ty) => {
        impl futures_io::AsyncRead for &$ty {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut [u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                use std::io::Read;
                self.inner
                    .poll_read_stream(cx, buf.len(), |mut socket| socket.read(buf))
            }

            fn poll_read_vectored(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                bufs: &mut [std::io::IoSliceMut<'_>],
            ) -> std::task::Poll<std::io::Result<usize>> {
                use std::io::Read;
                // A read fills at most the first `MAX_IOV` buffers.
                let asked = bufs
                    .iter()
                    .take($crate::net::MAX_IOV)
                    .map(|buf| buf.len())
                    .sum();
                self.inner
                    .poll_read_stream(cx, asked, |mut socket| socket.read_vectored(bufs))
            }
        }

        impl futures_io::AsyncWrite for &$ty {
            fn poll_write(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                let direction = $crate::source::Direction::Write;
                self.inner
                    .poll_io(direction, cx, |socket| $crate::net::send(socket, buf))
            }

            fn poll_write_vectored(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                bufs: &[std::io::IoSlice<'_>],
            ) -> std::task::Poll<std::io::Result<usize>> {
                let direction = $crate::source::Direction::Write;
                self.inner.poll_io(direction, cx, |socket| {
                    $crate::net::send_vectored(socket, bufs)
                })
            }

            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                _: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                // Nothing is buffered here: a write is in the kernel when
                // it returns.
                std::task::Poll::Ready(Ok(()))
            }

            /// Shuts the writing side down: the peer reads end of file. A
            /// connection that is gone already counts as closed.
            fn poll_close(
                self: std::pin::Pin<&mut Self>,
                _: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(self.shutdown(std::net::Shutdown::Write))
            }
        }

        impl futures_io::AsyncRead for $ty {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut [u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                futures_io::AsyncRead::poll_read(std::pin::Pin::new(&mut &*self), cx, buf)
            }

            fn poll_read_vectored(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                bufs: &mut [std::io::IoSliceMut<'_>],
            ) -> std::task::Poll<std::io::Result<usize>> {
                futures_io::AsyncRead::poll_read_vectored(std::pin::Pin::new(&mut &*self), cx, bufs)
            }
        }

        impl futures_io::AsyncWrite for $ty {
            fn poll_write(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                futures_io::AsyncWrite::poll_write(std::pin::Pin::new(&mut &*self), cx, buf)
            }

            fn poll_write_vectored(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                bufs: &[std::io::IoSlice<'_>],
            ) -> std::task::Poll<std::io::Result<usize>> {
                futures_io::AsyncWrite::poll_write_vectored(
                    std::pin::Pin::new(&mut &*self),
                    cx,
                    bufs,
                )
            }

            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                futures_io::AsyncWrite::poll_flush(std::pin::Pin::new(&mut &*self), cx)
            }

            fn poll_close(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                futures_io::AsyncWrite::poll_close(std::pin::Pin::new(&mut &*self), cx)
            }
        }
    };
}

#[cfg(feature = "futures")]
use stream_io;

/// `TryFrom<$std>` for `$ty` (via its `from_std`) and `From<$ty>` for
/// `$std` (via its `into_std`).
macro_rules! std_conversions {
    ($ty:ty, $std:ty) => {
        impl TryFrom<$std> for $ty {
            type Error = std::io::Error;

            /// Wraps the std socket; see `from_std`.
            fn try_from(socket: $std) -> std::io::Result<Self> {
                Self::from_std(socket)
            }
        }

        impl From<$ty> for $std {
            /// Unwraps the std socket; see `into_std`.
            fn from(socket: $ty) -> Self {
                socket.into_std()
            }
        }
    };
}

use std_conversions;

// ===== writes without SIGPIPE =====

/// The most buffers one `readv`, `writev` or `sendmsg` takes: `IOV_MAX`,
/// 1024 on Linux, macOS and FreeBSD; the kernel refuses more (`EMSGSIZE`,
/// `EINVAL`) where std's vectored calls pass the first 1024 and return
/// what those held.
#[cfg(feature = "futures")]
pub(crate) const MAX_IOV: usize = 1024;

/// Writes `buf` to a stream socket; a closed peer is an error, never a
/// signal.
fn send<T: AsFd>(socket: &T, buf: &[u8]) -> io::Result<usize>
where
    for<'a> &'a T: Write,
{
    // std's `write` on a socket is `send` with MSG_NOSIGNAL where that flag
    // exists (on a Unix stream since mid-2025: "Faults" above). Where it
    // does not, std sets SO_NOSIGPIPE on the sockets it makes instead.
    (&mut &*socket).write(buf)
}

/// Writes `bufs` to a stream socket in one system call; a closed peer is an
/// error, never a signal.
#[cfg(all(feature = "futures", any(target_os = "linux", target_os = "android")))]
fn send_vectored<T: AsFd>(socket: &T, bufs: &[io::IoSlice<'_>]) -> io::Result<usize>
where
    for<'a> &'a T: Write,
{
    use rustix::net::{SendAncillaryBuffer, SendFlags, sendmsg};
    let mut no_control = SendAncillaryBuffer::default();
    let bufs = &bufs[..bufs.len().min(MAX_IOV)];
    Ok(sendmsg(socket, bufs, &mut no_control, SendFlags::NOSIGNAL)?)
}

/// Writes `bufs` to a stream socket in one system call: std's
/// `write_vectored`, which is `writev(2)`. It raises no `SIGPIPE` on a
/// socket with `SO_NOSIGPIPE` set, which std sets on the sockets it makes
/// where there is no `MSG_NOSIGNAL`.
#[cfg(all(
    feature = "futures",
    not(any(target_os = "linux", target_os = "android"))
))]
fn send_vectored<T: AsFd>(socket: &T, bufs: &[io::IoSlice<'_>]) -> io::Result<usize>
where
    for<'a> &'a T: Write,
{
    (&mut &*socket).write_vectored(bufs)
}

// ===== accept backoff =====

/// The pause before the next `accept` after it ran out of resources.
#[derive(Debug, Default)]
struct AcceptBackoff {
    /// When the next `accept` may try, and the pause that led there.
    until: Cell<Option<(Instant, Duration)>>,
}

/// The first pause after a resource error.
const FIRST_BACKOFF: Duration = Duration::from_millis(5);
/// The longest pause.
const MAX_BACKOFF: Duration = Duration::from_secs(1);

impl AcceptBackoff {
    /// Sleeps until the pause, if any, is over.
    async fn wait(&self) {
        if let Some((until, _)) = self.until.get() {
            sleep_until(until).await;
        }
    }

    /// Records the outcome of an accept.
    fn record<T>(&self, result: &io::Result<T>) {
        match result {
            Ok(_) => self.until.set(None),
            Err(err) if is_out_of_resources(err) => {
                let pause = self
                    .until
                    .get()
                    .map_or(FIRST_BACKOFF, |(_, last)| (last * 2).min(MAX_BACKOFF));
                self.until.set(Some((sync::now() + pause, pause)));
            }
            // Anything else (a connection aborted before it was accepted,
            // say) is about one connection, not the process: no pause.
            Err(_) => {}
        }
    }
}

/// Whether `err` says the process or the system ran out of something that
/// a later `accept` may find again.
fn is_out_of_resources(err: &io::Error) -> bool {
    use rustix::io::Errno;
    let Some(code) = err.raw_os_error() else {
        return false;
    };
    let errno = Errno::from_raw_os_error(code);
    [Errno::MFILE, Errno::NFILE, Errno::NOBUFS, Errno::NOMEM].contains(&errno)
}

// ===== sockets =====

/// A new stream socket of `family`, non-blocking and close-on-exec.
///
/// Where the OS takes both flags in `socket(2)` itself (Linux, Android,
/// the BSDs, illumos), they are there from the start, so no other thread's
/// fork and exec can pass the socket on to a new program. macOS and the
/// other Apple systems have no such flags: there the socket is made plain,
/// then set close-on-exec and non-blocking, and a fork and exec by another
/// thread in between would leak it, as std's sockets would there too.
fn stream_socket_of(family: rustix::net::AddressFamily) -> io::Result<std::os::fd::OwnedFd> {
    use rustix::net::{SocketFlags, SocketType};
    #[cfg(not(target_vendor = "apple"))]
    {
        let flags = SocketFlags::NONBLOCK | SocketFlags::CLOEXEC;
        Ok(rustix::net::socket_with(
            family,
            SocketType::STREAM,
            flags,
            None,
        )?)
    }
    #[cfg(target_vendor = "apple")]
    {
        let fd = rustix::net::socket_with(family, SocketType::STREAM, SocketFlags::empty(), None)?;
        rustix::io::fcntl_setfd(&fd, rustix::io::FdFlags::CLOEXEC)?;
        rustix::io::ioctl_fionbio(&fd, true)?;
        Ok(fd)
    }
}

// ===== addresses =====

/// Resolves `addrs` (a host name off the loop; see the module docs) and
/// runs `each` on every address until one succeeds.
async fn try_each_addr<A, T, F>(addrs: A, mut each: impl FnMut(SocketAddr) -> F) -> io::Result<T>
where
    A: ToSocketAddrs,
    F: std::future::Future<Output = io::Result<T>>,
{
    let mut last_err = None;
    for addr in addr::resolve(addrs).await? {
        match each(addr).await {
            Ok(value) => return Ok(value),
            Err(err) => last_err = Some(err),
        }
    }
    Err(last_err.unwrap_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "the address resolved to nothing",
        )
    }))
}
