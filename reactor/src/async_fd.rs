//! `Async<T>`: any file descriptor, driven by the reactor.
//!
//! The building block of every I/O type in tether, and of the user's own:
//! wrap a socket, pipe, terminal or eventfd, and its operations no longer
//! block the loop. The recipe is the same everywhere:
//!
//! 1. the fd is put in non-blocking mode, so an operation that cannot
//!    proceed fails with `WouldBlock` instead of blocking the thread;
//! 2. the operation is tried first (readiness is a hint, the operation is
//!    the truth), except a stream socket's read that would fail: it waits
//!    without reading while no event has come since the last read
//!    returned `WouldBlock` or came up short, and the reactor checks the
//!    waits after a short read (`crate::source_table`, "Skipping the read
//!    that would fail");
//! 3. on `WouldBlock`, the task waits for the reactor's next event in that
//!    direction (`Registration::poll_wait`, or a readiness future), then
//!    tries again;
//! 4. each try that does not return `WouldBlock` counts against the task's
//!    budget for one poll, two operations (`Reactor::start_budget`; a
//!    listener's accepts do not count); once it is spent, the task yields
//!    before trying, so that a connection whose data is always there
//!    cannot keep the loop from the others.
//!
//! [`Async::read_with`] and [`Async::write_with`] are that loop as async
//! functions; [`Async::poll_io`] is the same loop for `poll_*` methods, and
//! the `futures_io` traits are built on it.
//!
//! # One read that would block, end to end
//!
//! The whole path of a read that returns `WouldBlock`, through this file,
//! `source.rs`, `source_table.rs`, `reactor.rs` and the executor's loop
//! to the retry that reads, is traced hop by hop, with the function of
//! each, in the executor's task module (`executor/src/task/mod.rs`, "The
//! life of an I/O read that would block").
//!
//! # Access only through `&T`
//!
//! `Async<T>` hands out `&T` and never `&mut T`: with `&mut T`, safe code
//! could swap in another fd (`mem::replace`) or close this one while the
//! reactor still watches it. So the I/O traits are implemented where `&T`
//! can read or write, which std's sockets, `File` and pipes all allow.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::task::{Context, Poll, ready};

use crate::source::{Direction, Readiness, Registration};

/// An I/O object registered with the current loop's reactor.
///
/// asyncio: a file object handed to `loop.add_reader` / `add_writer`, with
/// the retry loop written for you.
///
/// Created on the loop thread ([`Async::new`]); the fd is set non-blocking
/// and registered; dropping it deregisters the fd, then closes it (drops
/// `T`).
///
/// # Examples
///
/// ```
/// use std::io::{Read, Write};
/// use std::os::unix::net::UnixStream;
/// use tether::Async;
///
/// tether::run(async {
///     let (a, b) = UnixStream::pair()?;
///     let (a, b) = (Async::new(a)?, Async::new(b)?);
///     b.write_with(|mut b| b.write(b"ping")).await?;
///     let mut buf = [0; 4];
///     let n = a.read_with(|mut a| a.read(&mut buf)).await?;
///     assert_eq!(&buf[..n], b"ping");
///     std::io::Result::Ok(())
/// })
/// .unwrap();
/// ```
pub struct Async<T: AsFd> {
    /// The fd's place in the reactor. Declared first, so it drops first:
    /// the fd leaves the poller before `io` closes it.
    registration: Registration,
    /// The I/O object; `Some` until `into_inner`.
    ///
    /// # Invariant
    ///
    /// Its fd is the one `registration` watches, and stays open (this
    /// object never hands out `&mut T`) until `registration` is dropped.
    io: Option<T>,
}

impl<T: AsFd> Async<T> {
    /// Puts `io`'s fd in non-blocking mode and registers it with the current
    /// loop's reactor.
    ///
    /// # Errors
    ///
    /// Fails if the fd cannot be made non-blocking, or if the poller
    /// refuses it (for example, a regular file on epoll).
    ///
    /// # Panics
    ///
    /// Panics if no tether loop runs on this thread.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::{ErrorKind, Read};
    /// use std::os::unix::net::UnixStream;
    /// use tether::Async;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// tether::run(async {
    ///     let (a, _b) = UnixStream::pair()?;
    ///     let a = Async::new(a)?;
    ///     // Non-blocking now: with nothing to read, `read` fails at once.
    ///     let err = a.get_ref().read(&mut [0; 8]).unwrap_err();
    ///     assert_eq!(err.kind(), ErrorKind::WouldBlock);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn new(io: T) -> io::Result<Self> {
        rustix::io::ioctl_fionbio(&io, true)?;
        Self::new_nonblocking(io)
    }

    /// Registers `io`, whose fd the caller already made non-blocking.
    pub(crate) fn new_nonblocking(io: T) -> io::Result<Self> {
        // SAFETY: `io` moves into the returned object, which keeps its fd
        // open until `registration` is dropped (the invariant on `io`).
        let registration = unsafe { Registration::new(io.as_fd().as_raw_fd())? };
        Ok(Self {
            registration,
            io: Some(io),
        })
    }

    /// The reactor the fd is registered with: where a child's pidfd goes
    /// when its `Child` is dropped (`process/watch/pidfd.rs`).
    #[cfg(all(feature = "process", any(target_os = "linux", target_os = "android")))]
    pub(crate) fn reactor(&self) -> &std::rc::Rc<crate::reactor::Reactor> {
        self.registration.reactor()
    }

    /// The I/O object.
    ///
    /// # Examples
    ///
    /// ```
    /// use tether::Async;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// tether::run(async {
    ///     let std_listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    ///     let addr = std_listener.local_addr()?;
    ///     let listener = Async::new(std_listener)?;
    ///     assert_eq!(listener.get_ref().local_addr()?, addr);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn get_ref(&self) -> &T {
        self.io
            .as_ref()
            .expect("Async holds its I/O object until into_inner")
    }

    /// Deregisters the fd and hands the I/O object back, still in
    /// non-blocking mode.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::{ErrorKind, Read};
    /// use std::os::unix::net::UnixStream;
    /// use tether::Async;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// tether::run(async {
    ///     let (a, _b) = UnixStream::pair()?;
    ///     let a: UnixStream = Async::new(a)?.into_inner();
    ///     // A plain std socket again, still non-blocking.
    ///     let err = (&a).read(&mut [0; 8]).unwrap_err();
    ///     assert_eq!(err.kind(), ErrorKind::WouldBlock);
    ///     // It left the reactor, so it can be registered again.
    ///     Async::new(a)?;
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn into_inner(mut self) -> T {
        let io = self
            .io
            .take()
            .expect("Async holds its I/O object until into_inner");
        // Dropping `self` now drops only the registration.
        drop(self);
        io
    }

    /// Waits until the fd is readable. Any number of tasks may wait; one
    /// event wakes them all.
    ///
    /// Meant for after an operation returned `WouldBlock`; if the fd is
    /// readable already, this completes after the loop's next poll of the
    /// reactor (at once if the loop is idle; while it is busy, after fewer
    /// than `POLL_INTERVAL` task runs plus one iteration's snapshot of the
    /// ready queue).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::{ErrorKind, Read, Write};
    /// use std::os::unix::net::UnixStream;
    /// use tether::Async;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// tether::run(async {
    ///     let (a, mut b) = UnixStream::pair()?;
    ///     let a = Async::new(a)?;
    ///     let mut buf = [0; 4];
    ///     let err = a.get_ref().read(&mut buf).unwrap_err();
    ///     assert_eq!(err.kind(), ErrorKind::WouldBlock);
    ///     b.write_all(b"ping")?;
    ///     a.readable().await?;
    ///     assert_eq!(a.get_ref().read(&mut buf)?, 4);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn readable(&self) -> Readiness<'_> {
        self.registration.readable()
    }

    /// Waits for the next writability event; see [`readable`](Async::readable).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Write;
    /// use std::os::unix::net::UnixStream;
    /// use tether::Async;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// tether::run(async {
    ///     let (a, _b) = UnixStream::pair()?;
    ///     let a = Async::new(a)?;
    ///     // A new socket has room in its send buffer.
    ///     a.writable().await?;
    ///     assert_eq!(a.get_ref().write(b"ping")?, 4);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn writable(&self) -> Readiness<'_> {
        self.registration.writable()
    }

    /// Runs `op` until it does not return `WouldBlock`, waiting for
    /// readability in between.
    ///
    /// `op` sees `&T` and is retried as many times as needed, so it must be
    /// the non-blocking operation itself, with no side effect to undo.
    /// `Interrupted` is retried too.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// use std::os::unix::net::UnixStream;
    /// use std::time::Duration;
    /// use tether::Async;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// tether::run(async {
    ///     let (a, mut b) = UnixStream::pair()?;
    ///     let a = Async::new(a)?;
    ///     let writer = tether::spawn(async move {
    ///         tether::time::sleep(Duration::from_millis(1)).await;
    ///         b.write_all(b"late")
    ///     });
    ///     let mut buf = [0; 4];
    ///     // Tries, finds nothing, waits for readability, tries again.
    ///     let n = a.read_with(|mut a| a.read(&mut buf)).await?;
    ///     assert_eq!(&buf[..n], b"late");
    ///     writer.await.unwrap()
    /// })
    /// # }
    /// ```
    pub async fn read_with<R>(&self, op: impl FnMut(&T) -> io::Result<R>) -> io::Result<R> {
        self.retry(Direction::Read, true, op).await
    }

    /// Runs `op` until it does not return `WouldBlock`, waiting for
    /// writability in between; see [`read_with`](Async::read_with).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::net::UdpSocket;
    /// use tether::Async;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// tether::run(async {
    ///     let a = Async::new(UdpSocket::bind("127.0.0.1:0")?)?;
    ///     let b = UdpSocket::bind("127.0.0.1:0")?;
    ///     let to = b.local_addr()?;
    ///     let n = a.write_with(|a| a.send_to(b"ping", to)).await?;
    ///     assert_eq!(n, 4);
    ///     let mut buf = [0; 4];
    ///     assert_eq!(b.recv_from(&mut buf)?, (4, a.get_ref().local_addr()?));
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn write_with<R>(&self, op: impl FnMut(&T) -> io::Result<R>) -> io::Result<R> {
        self.retry(Direction::Write, true, op).await
    }

    /// [`read_with`](Async::read_with) for a listener's `accept`, which
    /// the task's budget does not count (`Reactor::start_budget`): under a
    /// storm of connections, a loop must take them off the kernel's queue
    /// as fast as they come, or the queue overflows and the kernel drops
    /// them; what limits how many a loop takes on is the server's cap,
    /// such as a pool's per-loop cap, not the order of polls.
    #[cfg(feature = "net")]
    pub(crate) async fn accept_with<R>(
        &self,
        op: impl FnMut(&T) -> io::Result<R>,
    ) -> io::Result<R> {
        self.retry(Direction::Read, false, op).await
    }

    /// The loop of `read_with` and `write_with`; `budgeted`: whether each
    /// try counts against the task's budget.
    async fn retry<R>(
        &self,
        direction: Direction,
        budgeted: bool,
        mut op: impl FnMut(&T) -> io::Result<R>,
    ) -> io::Result<R> {
        loop {
            if budgeted {
                self.budget().await;
            }
            match op(self.get_ref()) {
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                    self.registration.next_event(direction).await?;
                }
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                result => {
                    if budgeted {
                        self.registration.reactor().spend_budget();
                    }
                    return result;
                }
            }
        }
    }

    /// The poll form of [`read_with`](Async::read_with) /
    /// [`write_with`](Async::write_with): runs `op` until it does not
    /// return `WouldBlock`, and on `WouldBlock` registers `cx` for the next
    /// event in `direction` and returns `Pending`.
    ///
    /// One waker per direction is kept, as `poll_read` / `poll_write` need.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use std::io::{Read, Write};
    /// use std::os::unix::net::UnixStream;
    /// use tether::Async;
    /// use tether_reactor::Direction;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// tether::run(async {
    ///     let (a, b) = UnixStream::pair()?;
    ///     let a = Async::new(a)?;
    ///     let writer = tether::spawn(async move { (&b).write_all(b"ping") });
    ///     let mut buf = [0; 4];
    ///     // The shape of an `AsyncRead::poll_read`: try; on `WouldBlock`,
    ///     // register `cx` and return `Pending` until the reactor's event.
    ///     let n = poll_fn(|cx| a.poll_io(Direction::Read, cx, |mut a| a.read(&mut buf))).await?;
    ///     assert_eq!(&buf[..n], b"ping");
    ///     writer.await.unwrap()
    /// })
    /// # }
    /// ```
    pub fn poll_io<R>(
        &self,
        direction: Direction,
        cx: &mut Context<'_>,
        mut op: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        ready!(self.registration.reactor().poll_budget(cx));
        loop {
            match op(self.get_ref()) {
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                    // `poll_wait` answers `Pending`, or `Ready` with an error.
                    ready!(self.registration.poll_wait(direction, cx))?;
                }
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                result => {
                    self.registration.reactor().spend_budget();
                    return Poll::Ready(result);
                }
            }
        }
    }
}

// Without `net`, nothing reads a stream socket through these: the read
// skipping they drive (`crate::source_table`, "Skipping the read that
// would fail") stays in the reactor, unused.
#[cfg_attr(
    not(feature = "net"),
    expect(
        dead_code,
        reason = "only the stream sockets of `net` read through them"
    )
)]
impl<T: AsFd> Async<T> {
    /// [`poll_io`](Async::poll_io) for `op`, a read of `asked` bytes from a
    /// stream socket, which waits for the next event without reading when
    /// the read would find nothing (`Registration::skips_read`).
    pub(crate) fn poll_read_stream(
        &self,
        cx: &mut Context<'_>,
        asked: usize,
        mut op: impl FnMut(&T) -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        if asked > 0 && self.registration.skips_read() {
            // `poll_wait` answers `Pending`, or `Ready` with an error.
            ready!(self.registration.poll_wait(Direction::Read, cx))?;
        }
        self.poll_io(Direction::Read, cx, |io| {
            let result = op(io);
            self.registration.note_read(&result, asked);
            result
        })
    }

    /// [`read_with`](Async::read_with) for `op`, a read of `asked` bytes
    /// from a stream socket; see [`poll_read_stream`](Async::poll_read_stream).
    pub(crate) async fn read_stream(
        &self,
        asked: usize,
        mut op: impl FnMut(&T) -> io::Result<usize>,
    ) -> io::Result<usize> {
        loop {
            if asked == 0 || !self.registration.skips_read() {
                self.budget().await;
                let result = op(self.get_ref());
                self.registration.note_read(&result, asked);
                match result {
                    Err(err) if err.kind() == io::ErrorKind::WouldBlock => {}
                    Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                    result => {
                        self.registration.reactor().spend_budget();
                        return result;
                    }
                }
            }
            self.registration.next_event(Direction::Read).await?;
        }
    }
}

impl<T: AsFd> Async<T> {
    /// Yields first if the running task's budget is spent
    /// (`Reactor::start_budget`).
    async fn budget(&self) {
        std::future::poll_fn(|cx| self.registration.reactor().poll_budget(cx)).await;
    }
}

impl<T: AsFd> AsFd for Async<T> {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.get_ref().as_fd()
    }
}

impl<T: AsFd> std::fmt::Debug for Async<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Async")
            .field("fd", &self.as_fd().as_raw_fd())
            .finish_non_exhaustive()
    }
}

/// The `futures_io` traits (the `futures` feature), built on
/// [`Async::poll_io`].
#[cfg(feature = "futures")]
mod futures_io_impls {
    use std::io::{self, IoSlice, IoSliceMut, Read, Write};
    use std::os::fd::AsFd;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use super::Async;
    use crate::source::Direction;

    impl<T: AsFd> futures_io::AsyncRead for &Async<T>
    where
        for<'a> &'a T: Read,
    {
        fn poll_read(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &mut [u8],
        ) -> Poll<io::Result<usize>> {
            self.poll_io(Direction::Read, cx, |mut io| io.read(buf))
        }

        fn poll_read_vectored(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            bufs: &mut [IoSliceMut<'_>],
        ) -> Poll<io::Result<usize>> {
            self.poll_io(Direction::Read, cx, |mut io| io.read_vectored(bufs))
        }
    }

    impl<T: AsFd> futures_io::AsyncRead for Async<T>
    where
        for<'a> &'a T: Read,
    {
        fn poll_read(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &mut [u8],
        ) -> Poll<io::Result<usize>> {
            Pin::new(&mut &*self).poll_read(cx, buf)
        }

        fn poll_read_vectored(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            bufs: &mut [IoSliceMut<'_>],
        ) -> Poll<io::Result<usize>> {
            Pin::new(&mut &*self).poll_read_vectored(cx, bufs)
        }
    }

    /// Writes go through `&T`'s own `Write`. Over a pipe that is `write(2)`
    /// and `writev(2)`; over a std socket, `write` passes `MSG_NOSIGNAL`
    /// where it exists (on a Unix stream, with std since mid-2025), but
    /// `write_vectored` is `writev(2)`. `write(2)` and `writev(2)` raise
    /// `SIGPIPE` on a closed peer unless the process ignores it (Rust
    /// programs do, by default); tether's socket types (`net`) avoid them
    /// on Linux and Android, but for a Unix stream's `write` built with an
    /// older std (`net`, "Faults").
    impl<T: AsFd> futures_io::AsyncWrite for &Async<T>
    where
        for<'a> &'a T: Write,
    {
        fn poll_write(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            self.poll_io(Direction::Write, cx, |mut io| io.write(buf))
        }

        fn poll_write_vectored(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            bufs: &[IoSlice<'_>],
        ) -> Poll<io::Result<usize>> {
            self.poll_io(Direction::Write, cx, |mut io| io.write_vectored(bufs))
        }

        fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            self.poll_io(Direction::Write, cx, |mut io| io.flush())
        }

        fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            self.poll_flush(cx)
        }
    }

    impl<T: AsFd> futures_io::AsyncWrite for Async<T>
    where
        for<'a> &'a T: Write,
    {
        fn poll_write(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            Pin::new(&mut &*self).poll_write(cx, buf)
        }

        fn poll_write_vectored(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            bufs: &[IoSlice<'_>],
        ) -> Poll<io::Result<usize>> {
            Pin::new(&mut &*self).poll_write_vectored(cx, bufs)
        }

        fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            Pin::new(&mut &*self).poll_flush(cx)
        }

        fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            Pin::new(&mut &*self).poll_close(cx)
        }
    }
}
