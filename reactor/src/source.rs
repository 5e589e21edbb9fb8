//! Sources: file descriptors registered with the reactor, and the tasks
//! waiting for them.
//!
//! A [`Registration`] is one fd in the reactor's source table
//! (`crate::source_table`), seen from the code that owns the fd. For each
//! [`Direction`] (read, write) the table keeps who is waiting and when the
//! last event for that direction arrived. Waiting comes in two forms:
//!
//! - [`Registration::poll_wait`]: one waker slot per direction, the shape an
//!   `AsyncRead::poll_read` needs (it has nowhere to keep a waiter's state);
//!   a later poll from another task replaces the earlier waker;
//! - [`Registration::readable`] / [`writable`](Registration::writable): a
//!   future per waiter, any number of them, all woken by one event.
//!
//! ```
//! use std::io::{ErrorKind, Read, Write};
//! use std::os::fd::AsRawFd;
//! use std::os::unix::net::UnixStream;
//!
//! use tether_reactor::Registration;
//!
//! # fn main() -> std::io::Result<()> {
//! tether::run(async {
//!     let (a, mut b) = UnixStream::pair()?;
//!     a.set_nonblocking(true)?;
//!     // SAFETY: `a` is declared first, so it is closed after this is dropped.
//!     let registration = unsafe { Registration::new(a.as_raw_fd())? };
//!     let mut buf = [0; 4];
//!     assert_eq!((&a).read(&mut buf).unwrap_err().kind(), ErrorKind::WouldBlock);
//!     b.write_all(b"ping")?;
//!     registration.readable().await?;
//!     assert_eq!((&a).read(&mut buf)?, 4);
//!     Ok(())
//! })
//! # }
//! ```
//!
//! # Waiting after `WouldBlock`
//!
//! Readiness is only ever a hint; the operation is the truth (the stream
//! sockets skip the reads that would fail, and the reactor checks the
//! skips it cannot be sure of:
//! `crate::source_table`, "Skipping the read that would fail"). `poll_wait`,
//! and the retry loops of [`Async`](crate::Async) that wait the same way,
//! follow an operation that returned `WouldBlock` and wait for the *next*
//! event; `crate::source_table` argues why none is lost, in either of the
//! poller's modes. [`Registration::readable`] and
//! [`writable`](Registration::writable) may be awaited at any time: on an
//! fd that is ready already they complete after the loop's next poll of
//! the reactor (at once if the loop is idle; while it is busy, after
//! fewer than `POLL_INTERVAL` task runs plus one iteration's snapshot of
//! the ready queue).
//!
//! `poll_wait` answers `Ready` only with an error: its caller retries the
//! operation when woken, and if that blocks again, waits again. The futures need a way to
//! tell a new event from an old one, because they are polled again after
//! the wake: the reactor counts its returns from the poller
//! ([`Reactor::tick`]), an event stamps its direction with that count, and
//! a future that noted the count when it began is ready once the stamp is
//! newer. An event delivered earlier in the same iteration carries the same
//! count, so it does not count: a caller that saw `WouldBlock` saw it after
//! that event, and for one that did not, the report of the fd's current
//! state brings a new event.

#[cfg(test)]
mod skip_tests;
#[cfg(test)]
mod tests;

use std::future::Future;
use std::io;
use std::os::fd::RawFd;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use crate::reactor::Reactor;
use crate::source_table::{ReceiveQueue, SourceKey};

pub use crate::source_table::Direction;

/// A file descriptor registered with the current loop's reactor.
///
/// Dropping it removes the fd from the poller; the fd itself is not closed
/// (it belongs to the caller, who closes it after this is dropped).
///
/// # Examples
///
/// An I/O type of one's own, with the try-then-wait loop:
///
/// ```
/// use std::io::ErrorKind;
/// use std::os::fd::AsRawFd;
/// use std::os::unix::net::UnixDatagram;
///
/// use tether_reactor::Registration;
///
/// /// The registration comes first, so it is dropped, and the fd leaves
/// /// the poller, before the socket closes.
/// struct Socket {
///     registration: Registration,
///     socket: UnixDatagram,
/// }
///
/// impl Socket {
///     fn new(socket: UnixDatagram) -> std::io::Result<Socket> {
///         socket.set_nonblocking(true)?;
///         // SAFETY: the socket outlives the registration (field order).
///         let registration = unsafe { Registration::new(socket.as_raw_fd())? };
///         Ok(Socket { registration, socket })
///     }
///
///     async fn recv(&self, buf: &mut [u8]) -> std::io::Result<usize> {
///         loop {
///             match self.socket.recv(buf) {
///                 Err(e) if e.kind() == ErrorKind::WouldBlock => {
///                     self.registration.readable().await?;
///                 }
///                 result => return result,
///             }
///         }
///     }
/// }
///
/// # fn main() -> std::io::Result<()> {
/// tether::run(async {
///     let (a, b) = UnixDatagram::pair()?;
///     let a = Socket::new(a)?;
///     let writer = tether::spawn(async move { b.send(b"ping") });
///     let mut buf = [0; 8];
///     assert_eq!(a.recv(&mut buf).await?, 4);
///     writer.await.unwrap()?;
///     Ok(())
/// })
/// # }
/// ```
pub struct Registration {
    /// The reactor the fd is registered with.
    reactor: Rc<Reactor>,
    /// Where the fd is in the reactor's source table.
    key: SourceKey,
}

/// A future that resolves when a source becomes ready in one direction.
///
/// Returned by [`Registration::readable`] and [`Registration::writable`].
///
/// # Examples
///
/// ```
/// use std::io::Write;
/// use std::os::unix::net::UnixStream;
/// use std::time::Duration;
///
/// use tether::Readiness;
/// use tether::time::timeout;
///
/// # fn main() -> std::io::Result<()> {
/// tether::run(async {
///     let (a, mut b) = UnixStream::pair()?;
///     let a = tether::Async::new(a)?;
///     // Nothing to read: the future stays pending.
///     let readable: Readiness<'_> = a.readable();
///     assert!(timeout(Duration::from_millis(2), readable).await.is_err());
///     b.write_all(b"ping")?;
///     a.readable().await?;
///     Ok(())
/// })
/// # }
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct Readiness<'a> {
    /// The source waited on.
    registration: &'a Registration,
    /// Which direction.
    direction: Direction,
    /// Whether the caller just saw `WouldBlock` (the retry loops of
    /// `Async`): then no report of the fd's current state is needed.
    after_would_block: bool,
    /// Once polled: the waiter's slot and the tick it started waiting at.
    waiting: Option<(usize, u64)>,
}

// ===== impl Registration =====

impl Registration {
    /// Registers `fd` with the current loop's reactor; nothing waits on it
    /// yet.
    ///
    /// # Safety
    ///
    /// `fd` must stay open until the returned `Registration` is dropped.
    /// The poller has to be told before an fd it watches is closed (on
    /// epoll, a watched fd that was duplicated keeps producing events after
    /// `close`), and the reactor re-arms the fd by number, which after a
    /// `close` could name an unrelated file.
    ///
    /// # Errors
    ///
    /// Fails if the poller refuses the fd (for example a regular file on
    /// epoll), or with `OutOfMemory` past the source table's capacity
    /// (2^48 - 2 sources on 64-bit targets).
    ///
    /// # Panics
    ///
    /// Panics if no tether loop runs on this thread.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Write;
    /// use std::os::fd::AsRawFd;
    /// use std::os::unix::net::UnixStream;
    ///
    /// use tether_reactor::Registration;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// tether::run(async {
    ///     let (a, _b) = UnixStream::pair()?;
    ///     a.set_nonblocking(true)?;
    ///     // SAFETY: `a` stays open until the registration is dropped.
    ///     let registration = unsafe { Registration::new(a.as_raw_fd())? };
    ///     // A new socket has room to write.
    ///     registration.writable().await?;
    ///     assert_eq!((&a).write(b"ping")?, 4);
    ///     drop(registration); // out of the poller first,
    ///     drop(a); // then closed
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub unsafe fn new(fd: RawFd) -> io::Result<Self> {
        let reactor = Reactor::current().expect(
            "tether: an I/O source was created outside a tether loop; \
             create it inside Runtime::block_on or a task",
        );
        // SAFETY: the caller keeps `fd` open until this registration is
        // dropped, and our `Drop` calls `remove` of this key, which is what
        // `insert` requires.
        let key = unsafe {
            reactor
                .sources()
                .borrow_mut()
                .insert(reactor.poller(), fd)?
        };
        Ok(Self { reactor, key })
    }

    /// The reactor this fd is registered with.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::fd::AsRawFd;
    /// use std::os::unix::net::UnixStream;
    /// use std::rc::Rc;
    ///
    /// use tether_reactor::{Reactor, Registration};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// tether::run(async {
    ///     let (a, _b) = UnixStream::pair()?;
    ///     // SAFETY: `a` is declared first, so it is closed after this is dropped.
    ///     let registration = unsafe { Registration::new(a.as_raw_fd())? };
    ///     // The current loop's, as it was when the fd was registered.
    ///     let current = Reactor::current().unwrap();
    ///     assert!(Rc::ptr_eq(registration.reactor(), &current));
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn reactor(&self) -> &Rc<Reactor> {
        &self.reactor
    }

    /// After an operation on the fd returned `WouldBlock`: arranges for the
    /// task of `cx` to be woken by the next event in `direction`, and
    /// returns `Pending`. The caller retries its operation when woken.
    ///
    /// One waker is kept per direction: a call from another task replaces
    /// it. For several waiters, use [`readable`](Registration::readable) /
    /// [`writable`](Registration::writable).
    ///
    /// # Errors
    ///
    /// `Ready(Err(..))` if the poller refuses to arm the fd.
    ///
    /// # Examples
    ///
    /// The loop of a `poll_read`:
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use std::io::{ErrorKind, Read, Write};
    /// use std::os::fd::AsRawFd;
    /// use std::os::unix::net::UnixStream;
    /// use std::task::{Poll, ready};
    ///
    /// use tether_reactor::{Direction, Registration};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// tether::run(async {
    ///     let (a, b) = UnixStream::pair()?;
    ///     a.set_nonblocking(true)?;
    ///     // SAFETY: `a` is declared first, so it is closed after this is dropped.
    ///     let registration = unsafe { Registration::new(a.as_raw_fd())? };
    ///     let writer = tether::spawn(async move { (&b).write_all(b"ping") });
    ///     let mut buf = [0; 4];
    ///     let n = poll_fn(|cx| loop {
    ///         match (&a).read(&mut buf) {
    ///             Err(e) if e.kind() == ErrorKind::WouldBlock => {
    ///                 ready!(registration.poll_wait(Direction::Read, cx))?;
    ///             }
    ///             result => return Poll::Ready(result),
    ///         }
    ///     })
    ///     .await?;
    ///     assert_eq!(&buf[..n], b"ping");
    ///     writer.await.unwrap()
    /// })
    /// # }
    /// ```
    pub fn poll_wait(&self, direction: Direction, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut sources = self.reactor.sources().borrow_mut();
        let state = sources.source_mut(self.key).direction(direction);
        state.set_poll_waiter(cx.waker());
        match sources.rearm(self.reactor.poller(), self.key) {
            Ok(()) => Poll::Pending,
            Err(err) => Poll::Ready(Err(err)),
        }
    }

    /// For a stream socket about to read: whether the read would
    /// return `WouldBlock`, because the last read returned that, or fewer
    /// bytes than asked for, and no read event has come since. Then the
    /// reader waits for the next event instead; after a short read, the
    /// source is listed for the reactor to confirm (see
    /// `crate::source_table`, "Skipping the read that would fail").
    pub(crate) fn skips_read(&self) -> bool {
        let mut sources = self.reactor.sources().borrow_mut();
        let listing = sources.is_edge_triggered();
        let source = sources.source_mut(self.key);
        match source.receive_queue() {
            ReceiveQueue::Unknown => false,
            ReceiveQueue::Listed(_) | ReceiveQueue::Empty(_) => true,
            ReceiveQueue::Short(at) => {
                // Oneshot, the wait's re-arm reports an end of file that is
                // queued already: nothing to confirm.
                if listing {
                    source.set_receive_queue(ReceiveQueue::Listed(at));
                    drop(sources);
                    self.reactor.list_short_read(self.key);
                }
                true
            }
        }
    }

    /// Records what a stream socket's read of `asked` bytes learned of its
    /// receive queue: empty after `WouldBlock` or a short read, unknown
    /// after a full one (more may wait), end of file or an error. A read
    /// of nothing learns nothing, and changes nothing: it must not unlist
    /// another reader's wait.
    pub(crate) fn note_read(&self, result: &io::Result<usize>, asked: usize) {
        if asked == 0 {
            return;
        }
        let tick = self.reactor.tick();
        let known = match result {
            Ok(n) if *n > 0 && *n < asked => ReceiveQueue::Short(tick),
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => ReceiveQueue::Empty(tick),
            _ => ReceiveQueue::Unknown,
        };
        let mut sources = self.reactor.sources().borrow_mut();
        sources.source_mut(self.key).set_receive_queue(known);
    }

    /// Waits until the fd is readable. Any number of tasks may wait at once;
    /// one event wakes them all.
    ///
    /// # Examples
    ///
    /// Two waiters, one event, polled by hand:
    ///
    /// ```
    /// use std::future::Future;
    /// use std::io::Write;
    /// use std::os::fd::AsRawFd;
    /// use std::os::unix::net::UnixStream;
    /// use std::pin::pin;
    /// use std::task::{Context, Waker};
    ///
    /// use tether_reactor::{Deadline, Reactor, Registration};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let reactor = Reactor::new()?;
    /// let _current = reactor.enter();
    /// let (a, mut b) = UnixStream::pair()?;
    /// // SAFETY: `a` is declared first, so it is closed after this is dropped.
    /// let registration = unsafe { Registration::new(a.as_raw_fd())? };
    /// let mut cx = Context::from_waker(Waker::noop());
    /// let mut first = pin!(registration.readable());
    /// let mut second = pin!(registration.readable());
    /// assert!(first.as_mut().poll(&mut cx).is_pending());
    /// assert!(second.as_mut().poll(&mut cx).is_pending());
    /// b.write_all(b"ping")?;
    /// reactor.react(Deadline::Never)?;
    /// assert!(first.as_mut().poll(&mut cx).is_ready());
    /// assert!(second.as_mut().poll(&mut cx).is_ready());
    /// # Ok(())
    /// # }
    /// ```
    pub fn readable(&self) -> Readiness<'_> {
        self.readiness(Direction::Read, false)
    }

    /// Waits until the fd is writable. Any number of tasks may wait at once;
    /// one event wakes them all.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::net::UdpSocket;
    /// use std::os::fd::AsRawFd;
    ///
    /// use tether_reactor::Registration;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// tether::run(async {
    ///     let socket = UdpSocket::bind("127.0.0.1:0")?;
    ///     socket.set_nonblocking(true)?;
    ///     // SAFETY: `socket` is declared first, so it is closed after this is dropped.
    ///     let registration = unsafe { Registration::new(socket.as_raw_fd())? };
    ///     registration.writable().await?;
    ///     let to = socket.local_addr()?;
    ///     assert_eq!(socket.send_to(b"ping", to)?, 4);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn writable(&self) -> Readiness<'_> {
        self.readiness(Direction::Write, false)
    }

    /// Waits for the next event in `direction`, right after an operation
    /// returned `WouldBlock`: asks for no report of the fd's current state
    /// (`report_current`), and arms the poller only where sources are
    /// oneshot and this direction is not armed.
    pub(crate) fn next_event(&self, direction: Direction) -> Readiness<'_> {
        self.readiness(direction, true)
    }

    fn readiness(&self, direction: Direction, after_would_block: bool) -> Readiness<'_> {
        Readiness {
            registration: self,
            direction,
            after_would_block,
            waiting: None,
        }
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        // Nobody can still be waiting: every waiter borrows this
        // registration (a `Readiness` directly, a `poll_wait` caller through
        // the I/O object it polls).
        let mut sources = self.reactor.sources().borrow_mut();
        sources.remove(self.reactor.poller(), self.key);
    }
}

impl std::fmt::Debug for Registration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registration")
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

// ===== impl Readiness =====

impl Future for Readiness<'_> {
    type Output = io::Result<()>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let Registration { reactor, key } = self.registration;
        let mut sources = reactor.sources().borrow_mut();
        let state = sources.source_mut(*key).direction(self.direction);
        match self.waiting {
            Some((slot, since)) if state.is_ready_since(since) => {
                state.remove_waiter(slot);
                drop(sources);
                self.waiting = None;
                return Poll::Ready(Ok(()));
            }
            Some((slot, _)) => state.set_waiter(slot, cx.waker()),
            None => {
                let slot = state.add_waiter(cx.waker());
                self.waiting = Some((slot, reactor.tick()));
                // Oneshot needs no report: once `rearm` below has run, the
                // poller is armed for this direction, and an armed oneshot
                // source is reported whenever it is ready.
                if !self.after_would_block && sources.is_edge_triggered() {
                    sources.report_current(reactor.poller(), *key)?;
                }
            }
        }
        sources.rearm(reactor.poller(), *key)?;
        Poll::Pending
    }
}

impl Drop for Readiness<'_> {
    fn drop(&mut self) {
        if let Some((slot, _)) = self.waiting {
            let Registration { reactor, key } = self.registration;
            let mut sources = reactor.sources().borrow_mut();
            sources
                .source_mut(*key)
                .direction(self.direction)
                .remove_waiter(slot);
        }
    }
}

impl std::fmt::Debug for Readiness<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Readiness")
            .field("direction", &self.direction)
            .field("waiting", &self.waiting.is_some())
            .finish()
    }
}
