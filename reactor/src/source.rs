//! Sources: file descriptors registered with the reactor, and the tasks
//! waiting for them.
//!
//! A [`Registration`] is one fd in the reactor's source table. For each
//! [`Direction`] (read, write) the source keeps who is waiting and when the
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
//! Readiness is only ever a hint; the operation is the truth. Both forms
//! are meant to follow an operation that returned `WouldBlock`, and wait
//! for the *next* event. None can be lost: registering arms the poller
//! (`epoll_ctl` checks the fd's readiness as it arms it), so a source that
//! became ready just before is reported by the next poll anyway.
//!
//! `poll_wait` therefore never answers `Ready`: its caller retries the
//! operation when woken, and if that blocks again, waits again. The
//! futures need a way to tell a new event from an old one, because they are
//! polled again after the wake: the reactor counts its returns from the
//! poller ([`Reactor::tick`]), an event stamps its direction with that
//! count, and a future that noted the count when it began is ready once the
//! stamp is newer. An event delivered earlier in the same iteration carries
//! the same count, so it does not count: the caller saw `WouldBlock` after
//! it.
//!
//! # Edge-triggered where the poller can, oneshot where it cannot
//!
//! On epoll and kqueue a source is registered once, edge-triggered, for
//! both directions: the poller reports each change to ready and is never
//! re-armed, so waiting costs no system call. The poll backend cannot do
//! edges; there the source is registered oneshot and re-armed, with one
//! `modify`, whenever a direction gains a waiter the poller does not watch.
//! An edge is only reported for a change, so a waiter that begins while
//! the fd is already ready would wait for the next change; the rule above,
//! that waiting follows a `WouldBlock`, is what makes that impossible. The
//! public readiness futures, whose callers may not have seen one, ask the
//! poller to report the fd's current state once, as a re-arm does.
//!
//! tokio also skips the read that would fail after a short one (fewer
//! bytes than asked for): it knows from `EPOLLRDHUP` whether the peer's end
//! of file is already queued behind the data. `polling` does not report
//! `EPOLLRDHUP`, and without it a short read cannot tell "nothing more" from
//! "end of file next", so tether always reads until `WouldBlock`.
//!
//! # Keys and stale events
//!
//! The key the poller returns with an event is a `SourceKey`: the slab
//! index plus a generation number that is new for each registration. Slab
//! indices are reused as soon as a source is dropped; the generation makes
//! an event meant for the old source miss the new one instead of waking it
//! for readiness it never had.

#[cfg(test)]
mod tests;

use std::cell::RefMut;
use std::future::Future;
use std::io;
use std::os::fd::{BorrowedFd, RawFd};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use polling::{Event, PollMode, Poller};
use slab::Slab;

use crate::reactor::Reactor;

/// The two things one can wait for on a file descriptor.
///
/// # Examples
///
/// ```
/// use std::future::poll_fn;
/// use std::io::{Read, Write};
/// use std::os::unix::net::UnixStream;
///
/// use tether::Async;
/// use tether_reactor::Direction;
///
/// # fn main() -> std::io::Result<()> {
/// tether::run(async {
///     let (a, b) = UnixStream::pair()?;
///     let (a, b) = (Async::new(a)?, Async::new(b)?);
///     let n = poll_fn(|cx| a.poll_io(Direction::Write, cx, |mut a| a.write(b"ping"))).await?;
///     let mut buf = [0; 4];
///     let m = poll_fn(|cx| b.poll_io(Direction::Read, cx, |mut b| b.read(&mut buf))).await?;
///     assert_eq!((n, &buf[..m]), (4, &b"ping"[..]));
///     Ok(())
/// })
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Readable: data to read, a connection to accept, or end of file.
    Read,
    /// Writable: room in the send buffer, or a connect that finished.
    Write,
}

/// A slab index and a generation, packed into the poller's `usize` key.
///
/// The generation takes the top quarter of the bits (16 on 64-bit targets,
/// 8 on 32-bit ones), the index the rest. Indices stop short of the two
/// keys that are not sources (see `MAX_INDEX`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SourceKey(usize);

/// One registered fd, as the reactor's source table holds it.
#[derive(Debug)]
pub(crate) struct SourceState {
    /// The file descriptor.
    ///
    /// # Invariant
    ///
    /// Open for as long as this entry is in the table: the
    /// [`Registration`] that owns the entry was created by the unsafe
    /// [`Registration::new`], whose caller promised exactly that.
    fd: RawFd,
    /// This registration's generation, as in its [`SourceKey`].
    generation: usize,
    /// Waiters and event stamps for reading, then writing.
    directions: [DirectionState; 2],
}

/// Who waits for one direction of a source, and when it was last ready.
#[derive(Debug, Default)]
struct DirectionState {
    /// The tick of the last event for this direction (0: none yet).
    ready_tick: u64,
    /// The waker of the `poll_wait` caller, until an event takes it.
    poller: Option<Waker>,
    /// The `Readiness` futures: a waker each (taken when woken).
    waiters: Slab<Option<Waker>>,
    /// Whether the poller is armed for this direction right now.
    armed: bool,
}

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

// ===== impl SourceKey =====

/// Bits of a key that hold the generation.
const GENERATION_BITS: u32 = usize::BITS / 4;
/// Bits of a key that hold the slab index.
const INDEX_BITS: u32 = usize::BITS - GENERATION_BITS;
/// Mask of the index bits.
const INDEX_MASK: usize = (1 << INDEX_BITS) - 1;
/// The largest slab index a source may have. The two above it are
/// reserved: all-ones, with all-ones generation, is `polling`'s own key, and
/// the one below is the wakeup's (`crate::wakeup::WAKEUP_KEY`).
const MAX_INDEX: usize = INDEX_MASK - 2;

impl SourceKey {
    fn new(index: usize, generation: usize) -> Self {
        debug_assert!(index <= MAX_INDEX);
        Self((generation << INDEX_BITS) | index)
    }

    /// The key of an event the poller returned.
    pub(crate) fn from_event(key: usize) -> Self {
        Self(key)
    }

    pub(crate) fn index(self) -> usize {
        self.0 & INDEX_MASK
    }

    pub(crate) fn generation(self) -> usize {
        self.0 >> INDEX_BITS
    }

    /// The raw key for the poller.
    fn raw(self) -> usize {
        self.0
    }
}

// ===== impl SourceState =====

impl SourceState {
    pub(crate) fn generation(&self) -> usize {
        self.generation
    }

    /// Records an event at `tick` and moves the wakers it concerns to
    /// `to_wake`. A oneshot source (`edge` false) is now disarmed; an
    /// edge-triggered one stays armed.
    pub(crate) fn deliver(
        &mut self,
        event: &Event,
        tick: u64,
        edge: bool,
        to_wake: &mut Vec<Waker>,
    ) {
        for (direction, ready) in self
            .directions
            .iter_mut()
            .zip([event.readable, event.writable])
        {
            // Oneshot disarms the whole registration, not one direction;
            // an edge-triggered one stays armed.
            if !edge {
                direction.armed = false;
            }
            if !ready {
                continue;
            }
            direction.ready_tick = tick;
            to_wake.extend(direction.poller.take());
            to_wake.extend(direction.waiters.iter_mut().filter_map(|(_, w)| w.take()));
        }
    }

    /// Arms the poller for every direction that has a waiter and is not
    /// armed yet. A no-op when nothing changes, so it costs a system call
    /// only when the poller's interest really grows.
    pub(crate) fn rearm(&mut self, poller: &Poller, key: SourceKey) -> io::Result<()> {
        let wanted = self.directions.each_ref().map(DirectionState::has_waiter);
        let armed = self.directions.each_ref().map(|d| d.armed);
        if wanted.iter().zip(&armed).all(|(w, a)| !w || *a) {
            return Ok(());
        }
        let mut interest = Event::none(key.raw());
        interest.readable = wanted[0] || armed[0];
        interest.writable = wanted[1] || armed[1];
        // SAFETY: `self.fd` is open while this entry is in the table (the
        // invariant on the field), and the borrow ends with this call.
        let fd = unsafe { BorrowedFd::borrow_raw(self.fd) };
        poller.modify(fd, interest)?;
        self.directions[0].armed = interest.readable;
        self.directions[1].armed = interest.writable;
        Ok(())
    }

    /// Asks the poller, for an edge-triggered source, to report the fd's
    /// current readiness at its next wait, as a oneshot re-arm does.
    fn report_current(&self, poller: &Poller, key: SourceKey) -> io::Result<()> {
        // SAFETY: as in `rearm`.
        let fd = unsafe { BorrowedFd::borrow_raw(self.fd) };
        poller.modify_with_mode(fd, Event::all(key.raw()), PollMode::Edge)
    }

    /// Whether the poller watches this source in some direction.
    pub(crate) fn is_armed(&self) -> bool {
        self.directions.iter().any(|d| d.armed)
    }

    fn direction(&mut self, direction: Direction) -> &mut DirectionState {
        &mut self.directions[direction as usize]
    }
}

impl DirectionState {
    fn has_waiter(&self) -> bool {
        self.poller.is_some() || self.waiters.iter().any(|(_, w)| w.is_some())
    }
}

// ===== impl Registration =====

impl Registration {
    /// Registers `fd` with the current loop's reactor, watching nothing yet.
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
    /// (2^47 sources on 64-bit targets).
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
        let mut sources = reactor.sources().borrow_mut();
        let entry = sources.vacant_entry();
        if entry.key() > MAX_INDEX {
            return Err(io::Error::new(
                io::ErrorKind::OutOfMemory,
                "too many sources registered with one tether reactor",
            ));
        }
        let generation = reactor.next_generation() as usize & ((1 << GENERATION_BITS) - 1);
        let key = SourceKey::new(entry.key(), generation);
        let edge = reactor.edge_triggered();
        let (interest, mode) = if edge {
            (Event::all(key.raw()), PollMode::Edge)
        } else {
            (Event::none(key.raw()), PollMode::Oneshot)
        };
        // SAFETY: the caller keeps `fd` open until this registration is
        // dropped, and our `Drop` deletes it from the poller first, which is
        // what `Poller::add` requires.
        unsafe { reactor.poller().add_with_mode(fd, interest, mode)? };
        // Edge-triggered, both directions are armed for good.
        let directions = std::array::from_fn(|_| DirectionState {
            armed: edge,
            ..Default::default()
        });
        entry.insert(SourceState {
            fd,
            generation,
            directions,
        });
        drop(sources);
        reactor.count_armed(false, edge);
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
        let mut source = self.state();
        match &mut source.direction(direction).poller {
            Some(waker) if waker.will_wake(cx.waker()) => {}
            slot => *slot = Some(cx.waker().clone()),
        }
        match self.reactor.rearm(&mut source, self.key) {
            Ok(()) => Poll::Pending,
            Err(err) => Poll::Ready(Err(err)),
        }
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
    /// returned `WouldBlock`: asks the poller for nothing it does not watch
    /// already.
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

    fn state(&self) -> RefMut<'_, SourceState> {
        RefMut::map(self.reactor.sources().borrow_mut(), |sources| {
            &mut sources[self.key.index()]
        })
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        let source = self.reactor.sources().borrow_mut().remove(self.key.index());
        self.reactor.count_armed(source.is_armed(), false);
        // SAFETY: the fd is still open (the invariant on `SourceState::fd`:
        // the caller of `new` closes it only after this drop).
        let fd = unsafe { BorrowedFd::borrow_raw(source.fd) };
        // Failure means the fd is no longer registered, the state we want.
        // Nobody can be waiting: every waiter borrows this registration.
        let _ = self.reactor.poller().delete(fd);
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
        let registration = self.registration;
        let mut source = registration.state();
        let state = source.direction(self.direction);
        match self.waiting {
            Some((slot, since)) if state.ready_tick > since => {
                state.waiters.remove(slot);
                drop(source);
                self.waiting = None;
                return Poll::Ready(Ok(()));
            }
            Some((slot, _)) => match &mut state.waiters[slot] {
                Some(waker) if waker.will_wake(cx.waker()) => {}
                waker => *waker = Some(cx.waker().clone()),
            },
            None => {
                let slot = state.waiters.insert(Some(cx.waker().clone()));
                self.waiting = Some((slot, registration.reactor.tick()));
                // Oneshot needs no report: `rearm` below arms the fd, which
                // reports its current state.
                let reactor = &registration.reactor;
                if !self.after_would_block && reactor.edge_triggered() {
                    source.report_current(reactor.poller(), registration.key)?;
                }
            }
        }
        registration.reactor.rearm(&mut source, registration.key)?;
        Poll::Pending
    }
}

impl Drop for Readiness<'_> {
    fn drop(&mut self) {
        if let Some((slot, _)) = self.waiting {
            let mut source = self.registration.state();
            source.direction(self.direction).waiters.remove(slot);
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
