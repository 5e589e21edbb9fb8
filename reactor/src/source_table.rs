//! The source table: what the reactor records about every registered fd.
//!
//! The reactor keeps one [`SourceState`] per registered file descriptor, in
//! a slab: the [`SourceTable`]. For each [`Direction`] a source records who
//! waits (the waker of a `poll_wait` caller, and one per readiness future),
//! the reactor tick of the last event, and whether the poller is armed for
//! it. Who uses the table:
//!
//! - `crate::reactor` owns it, and hands it every event the poller
//!   returns for a source ([`SourceTable::deliver`]); this module imports
//!   only the reactor's wait (`Reactor`, `Deadline`), for the pointer
//!   through which a first source makes the loop wait in the poller
//!   ([`SourceTable::insert`]);
//! - `crate::source`, the public side (`Registration`, `Readiness`), inserts
//!   and removes sources and adds and removes waiters;
//! - with the `process` feature, the reactor's own sources: the read end
//!   of the `SIGCHLD` wakeup (`crate::signal::listener`) and the pidfds of
//!   orphaned children (`crate::process::watch`), inserted and removed by
//!   the reactor, not by a `Registration`.
//!
//! # Edge-triggered where the poller can, oneshot where it cannot
//!
//! On epoll and kqueue a source is registered once, edge-triggered, for
//! both directions: the poller reports each change to ready and is never
//! re-armed for a wait that follows a `WouldBlock`, which therefore costs
//! no system call. Event ports (illumos,
//! Solaris) and `polling`'s `poll(2)` backend cannot do edges; there a
//! source is registered oneshot, watching nothing, and re-armed with one
//! `modify` whenever a direction gains a waiter the poller does not watch,
//! and again after each event for the directions that still have waiters
//! ([`SourceTable::rearm`]). Neither mode loses readiness, for different
//! reasons:
//!
//! - **Edge-triggered.** An edge is reported only for a change, so a waiter
//!   that began while the fd was already ready would wait for the next
//!   change. A waiter that follows a `WouldBlock` (`poll_wait`, and the
//!   retry loops of `Async`) cannot be that waiter: the fd was not ready
//!   when the operation failed, so readiness that arrives after it is a
//!   change, and the kernel keeps the event until the reactor's next wait.
//!   The operation and the wait happen in one poll of one task, on the loop
//!   thread, so that wait cannot come between them. The public readiness
//!   futures, whose callers may not have seen a `WouldBlock`, ask the
//!   poller once to report the fd's current state
//!   ([`SourceTable::report_current`]), as a oneshot re-arm does.
//! - **Oneshot.** Arming reports the fd's current state: event ports report
//!   an fd that is ready when it is associated, and the `poll(2)` backend
//!   polls every watched fd afresh on each wait. A source that became ready
//!   while the poller was disarmed is reported by the first wait after the
//!   re-arm, and the re-arm happens in the same poll that stored the waker.
//!
//! # Skipping the read that would fail
//!
//! A stream socket's reader can often tell, without asking, that a read
//! would return `WouldBlock`: its last read did, or its last read returned
//! fewer bytes than asked for (a short read), which on a stream socket
//! means the receive queue was empty then, and no event has come since.
//! Trying anyway costs a system call that fails; hyper, for one, reads
//! once more right after every request it parses, and again after each
//! response. So the stream sockets' reads (`crate::net`) keep, per source,
//! what their last read learned ([`ReceiveQueue`]) and, while no read
//! event has arrived since, wait for the next one instead of reading.
//! Waiting also orders a busy connection behind the others that are
//! ready, instead of serving it again at once. A read of nothing (an empty
//! buffer) is never skipped, and learns nothing.
//!
//! After `WouldBlock` the wait is exact. After a short read it is nearly
//! so: in edge-triggered mode every byte, end of file or reset that
//! arrives later brings an event, but a short read cannot tell an empty
//! queue from one in which something that arrived before the event the
//! reader answered, and so brings no event of its own, waits behind the
//! bytes it returned: the peer's end of file, a reset, TCP urgent data, or
//! on a Unix socket the bytes after passed descriptors. tokio tells an end
//! of file apart with `EPOLLRDHUP`, which `polling` does not report.
//! tether asks the kernel instead, but only for the waits that no event
//! has answered by then: the reactor lists every source whose reader
//! skipped a read after a short one ([`ReceiveQueue::Listed`]), and checks
//! them ([`SourceTable::confirm_short_reads`]) before any wait that may
//! block, and while busy at the second poll after the skip. One `poll(2)`
//! that does not wait checks them all: it looks and takes nothing, so the
//! reader still finds an error or an end of file itself (a peek would
//! clear a pending reset). A source with nothing to read confirms its wait
//! (as if the read had returned `WouldBlock`); any other is given a read
//! event, and its reader reads. So what came with the last data is seen
//! within two polls of the reactor and before the loop sleeps, for one
//! system call per check, however many sources it covers.
//!
//! The check before a wait finds, besides a rare end of file, every
//! connection whose peer has answered since the loop served it: on a
//! busy server, the ones it served first in its last run step. Each of
//! those answers brought an event too, which the wait that follows
//! returns. So the check only records what it found and ends the wait's
//! blocking; `react` wakes the readers in the order the kernel queued
//! their events, and after them any reader the check found that has no
//! event (an end of file or an error was all that waited). Woken as the
//! check found them, ahead of the wait's events, the same few connections,
//! those whose peers answer fastest, were served again and again while the
//! others' requests waited in the kernel: under `wrk` at 50 connections,
//! the 99th percentile of a request's latency was 1.35 times tokio's, and
//! 0.93 times in the order of the events; at 500, 0.98 and 0.90 (medians
//! of eight paired runs of `benches/compare`'s `wrk_http_50` and
//! `wrk_http_500` servers, `wrk -t1 -d3s`, each pinned to its own core),
//! with the requests per second unchanged.
//!
//! Oneshot mode needs no check, since the wait's re-arm (needed after any
//! event, read or not) reports the fd's current state, end of file
//! included; the skip still saves it the read that would fail.
//!
//! # Keys and stale events
//!
//! The key the poller returns with an event is a [`SourceKey`]: the slab
//! index plus a generation number that differs from those of the previous
//! registrations (it wraps after 2^16 of them on 64-bit targets). Slab
//! indices are reused as soon as a source is dropped; the generation makes
//! an event meant for the old source miss the new one instead of waking it
//! for readiness it never had.

use std::io;
use std::os::fd::{BorrowedFd, RawFd};
use std::task::Waker;

use polling::{Event, PollMode, Poller};
use rustix::event::{PollFd, PollFlags, Timespec, poll};
use slab::Slab;

use crate::reactor::{Deadline, Reactor};

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

/// Every registered fd, and what the poller is armed for.
#[derive(Debug)]
pub(crate) struct SourceTable {
    /// The sources, by the index in their key.
    sources: Slab<SourceState>,
    /// The generation the next registration gets; see [`SourceKey`].
    next_generation: usize,
    /// How many sources the poller is armed for, in some direction: while
    /// it is zero, a non-blocking poll cannot report anything.
    armed: usize,
    /// Whether sources are registered edge-triggered: where the poller can.
    edge: bool,
    /// The poller's wait, [`Reactor::react`], once anything was inserted:
    /// what [`Reactor::react_sources`] calls. Set by `insert` and only
    /// there, so that a program that registers no source, whose poller
    /// could report nothing but the wakeup, does not link the wait (7.0
    /// KB of a hello world: `react`, the delivery of events, `polling`'s
    /// wait and their unwinding tables).
    react: Option<React>,
    /// The `poll(2)` entries of [`confirm_short_reads`](Self::confirm_short_reads),
    /// empty between its calls: kept for their allocation, which a check
    /// before every wait of a loop serving one connection would otherwise
    /// make each time. The lifetime is a stand-in: no entry outlives the
    /// call that made it.
    poll_fds: Vec<PollFd<'static>>,
}

/// [`Reactor::react`]'s signature.
pub(crate) type React = fn(&Reactor, Deadline) -> io::Result<usize>;

/// One registered fd, as the table holds it.
#[derive(Debug)]
pub(crate) struct SourceState {
    /// The file descriptor.
    ///
    /// # Invariant
    ///
    /// Open from [`SourceTable::insert`] until [`SourceTable::remove`] of
    /// its key has returned: the caller of the unsafe `insert` promised it.
    fd: RawFd,
    /// This registration's generation, as in its [`SourceKey`].
    generation: usize,
    /// Waiters and event stamps for reading, then writing.
    directions: [DirectionState; 2],
    /// What the last read of a stream socket learned of its receive queue;
    /// see "Skipping the read that would fail" above.
    receive_queue: ReceiveQueue,
}

/// What a stream socket's last read, or the reactor's check, learned of
/// its receive queue: each but `Unknown` holds only until the next read event,
/// and carries the reactor tick it was learned at, which that event's stamp
/// will exceed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReceiveQueue {
    /// Nothing known: the next read is tried.
    #[default]
    Unknown,
    /// A read returned fewer bytes than asked for: empty then, unless the
    /// peer's end of file waits behind those bytes.
    Short(u64),
    /// As `Short`, and a reader skipped a read on it: the reactor has
    /// listed the source, to check it unless an event comes first.
    Listed(u64),
    /// Empty, end of file not queued: a read returned `WouldBlock`, or the
    /// reactor's check found nothing to read.
    Empty(u64),
}

/// Who waits for one direction of a source, and when it was last ready.
#[derive(Debug, Default)]
pub(crate) struct DirectionState {
    /// The tick of the last event for this direction (0: none yet).
    ready_tick: u64,
    /// The waker of the `poll_wait` caller, until an event takes it.
    poll_waiter: Option<Waker>,
    /// The `Readiness` futures: a waker each (taken when woken).
    waiters: Slab<Option<Waker>>,
    /// Whether the poller is armed for this direction right now.
    armed: bool,
}

// ===== impl SourceKey =====

/// Bits of a key that hold the generation.
const GENERATION_BITS: u32 = usize::BITS / 4;
/// Mask of the generation, once shifted down.
const GENERATION_MASK: usize = (1 << GENERATION_BITS) - 1;
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
        debug_assert!(index <= MAX_INDEX && generation <= GENERATION_MASK);
        Self((generation << INDEX_BITS) | index)
    }

    /// The slab index.
    pub(crate) fn index(self) -> usize {
        self.0 & INDEX_MASK
    }

    fn generation(self) -> usize {
        self.0 >> INDEX_BITS
    }

    /// The raw key for the poller.
    pub(crate) fn raw(self) -> usize {
        self.0
    }
}

// ===== impl SourceTable =====

impl SourceTable {
    /// An empty table, whose sources will be registered edge-triggered if
    /// `edge`, oneshot otherwise.
    pub(crate) fn new(edge: bool) -> Self {
        Self {
            sources: Slab::new(),
            next_generation: 0,
            armed: 0,
            edge,
            react: None,
            poll_fds: Vec::new(),
        }
    }

    /// Registers `fd` with `poller`, watching both directions if
    /// edge-triggered and nothing yet if oneshot, and returns its key.
    ///
    /// # Safety
    ///
    /// `fd` must stay open until [`remove`](Self::remove) of the returned
    /// key has returned. The poller has to be told before an fd it watches
    /// is closed (on epoll, a watched fd that was duplicated keeps producing
    /// events after `close`), and the table re-arms the fd by number, which
    /// after a `close` could name an unrelated file.
    ///
    /// # Errors
    ///
    /// The poller's refusal (for example a regular file on epoll), or
    /// `OutOfMemory` once every index up to `MAX_INDEX` is taken.
    pub(crate) unsafe fn insert(&mut self, poller: &Poller, fd: RawFd) -> io::Result<SourceKey> {
        // Before anything can fail: a source the poller refused may still
        // have the loop wait in the poller (`Reactor::sleeps_in_poller`).
        self.react = Some(Reactor::react);
        let entry = self.sources.vacant_entry();
        if entry.key() > MAX_INDEX {
            return Err(io::Error::new(
                io::ErrorKind::OutOfMemory,
                "too many sources registered with one tether reactor",
            ));
        }
        let generation = self.next_generation;
        self.next_generation = (generation + 1) & GENERATION_MASK;
        let key = SourceKey::new(entry.key(), generation);
        let (interest, mode) = if self.edge {
            (Event::all(key.raw()), PollMode::Edge)
        } else {
            (Event::none(key.raw()), PollMode::Oneshot)
        };
        // SAFETY: the caller keeps `fd` open until `remove` of this key has
        // returned, and `remove` deletes it from the poller, which is what
        // `Poller::add` requires.
        unsafe { poller.add_with_mode(fd, interest, mode)? };
        // Edge-triggered, both directions are armed for good.
        let directions = std::array::from_fn(|_| DirectionState {
            armed: self.edge,
            ..Default::default()
        });
        entry.insert(SourceState {
            fd,
            generation,
            directions,
            receive_queue: ReceiveQueue::Unknown,
        });
        count_armed(&mut self.armed, false, self.edge);
        Ok(key)
    }

    /// Takes the source of `key` out of the table and out of the poller.
    /// The wakers left in it are dropped unwoken.
    pub(crate) fn remove(&mut self, poller: &Poller, key: SourceKey) {
        let source = self.sources.remove(key.index());
        debug_assert_eq!(source.generation, key.generation());
        count_armed(&mut self.armed, source.is_armed(), false);
        // SAFETY: the fd is open until this function returns (the invariant
        // on `SourceState::fd`), and the borrow ends with the `delete`.
        let fd = unsafe { BorrowedFd::borrow_raw(source.fd) };
        // Failure means the fd is no longer registered, the state we want.
        let _ = poller.delete(fd);
    }

    /// The source of `key`, which must still be in the table: a key is
    /// held only by what inserted its source (a `Registration`, or the
    /// reactor's own listener and orphans), and none uses it once it has
    /// removed the source.
    pub(crate) fn source_mut(&mut self, key: SourceKey) -> &mut SourceState {
        &mut self.sources[key.index()]
    }

    /// Records an event of the poller's at reactor tick `tick`, moves the
    /// wakers it concerns to `to_wake`, and re-arms a oneshot source for
    /// the waiters that remain. An event whose key names a source that is
    /// gone, or a newer source in the same slot, is dropped.
    pub(crate) fn deliver(
        &mut self,
        poller: &Poller,
        event: &Event,
        tick: u64,
        to_wake: &mut Vec<Waker>,
    ) {
        let key = SourceKey(event.key);
        let Some(source) = live_mut(&mut self.sources, key) else {
            return;
        };
        let was_armed = source.is_armed();
        source.deliver(event, tick, self.edge, to_wake);
        // Oneshot: the event disarmed the source; re-arm it for whoever
        // still waits (for an edge-triggered source, a no-op). The fd is
        // open (the invariant on `SourceState::fd`), so only the poller
        // itself can fail here (out of memory, say). There is no caller to
        // tell: the error is dropped, and the waiters this event did not
        // wake stay unarmed until another wait on the source re-arms it.
        let _ = source.rearm(poller, key);
        count_armed(&mut self.armed, was_armed, source.is_armed());
    }

    /// Arms the poller for every direction of `key`'s source that has a
    /// waiter and is not armed yet; see [`SourceState::rearm`].
    pub(crate) fn rearm(&mut self, poller: &Poller, key: SourceKey) -> io::Result<()> {
        let source = &mut self.sources[key.index()];
        let was_armed = source.is_armed();
        let result = source.rearm(poller, key);
        count_armed(&mut self.armed, was_armed, source.is_armed());
        result
    }

    /// Arms the poller for the readability of `key`'s source on behalf of
    /// the reactor itself, which learns of the event by its key rather
    /// than through a waker: the waiter is a waker that does nothing, there
    /// only so that a oneshot poller is armed (edge-triggered, the source
    /// is armed already). For the sources the reactor owns: its orphans'
    /// pidfds and its own signal subscriptions (`crate::process`).
    #[cfg(feature = "process")]
    pub(crate) fn watch_readable(&mut self, poller: &Poller, key: SourceKey) -> io::Result<()> {
        self.source_mut(key)
            .direction(Direction::Read)
            .set_poll_waiter(Waker::noop());
        self.rearm(poller, key)
    }

    /// Asks the poller, for an edge-triggered source, to report the fd's
    /// current readiness at its next wait, as a oneshot re-arm does.
    pub(crate) fn report_current(&self, poller: &Poller, key: SourceKey) -> io::Result<()> {
        let source = &self.sources[key.index()];
        // SAFETY: `source.fd` is open while its entry is in the table (the
        // invariant on the field), and the borrow ends with this call.
        let fd = unsafe { BorrowedFd::borrow_raw(source.fd) };
        poller.modify_with_mode(fd, Event::all(key.raw()), PollMode::Edge)
    }

    /// Asks the kernel whether the sources of `keys`, stream sockets whose
    /// readers skipped a read after a short one, have anything to read:
    /// those still in the table and still [`ReceiveQueue::Listed`] (no
    /// read event since), each once, all in one `poll(2)` that does not
    /// wait; `keys` keeps only those. A source with nothing to read, not even an end of
    /// file or an error, confirms its wait: it is `Empty` as of tick
    /// `empty_at`. Any other is given a read event at tick `event_at`, and
    /// its key goes to `found`, for [`wake_readers`](Self::wake_readers) to
    /// wake the readers the caller's events have not. Returns whether one
    /// was.
    ///
    /// `poll(2)` looks and takes nothing: a read of the socket, or a peek
    /// (which clears a pending error such as a reset, so that the reader's
    /// read would find a clean end of file instead), would change what
    /// the reader finds.
    pub(crate) fn confirm_short_reads(
        &mut self,
        keys: &mut Vec<SourceKey>,
        empty_at: u64,
        event_at: u64,
        found: &mut Vec<SourceKey>,
    ) -> bool {
        let listed = |source: &SourceState, key: SourceKey| {
            source.generation == key.generation()
                && matches!(source.receive_queue(), ReceiveQueue::Listed(_))
        };
        let (sources, fds) = (&mut self.sources, &mut self.poll_fds);
        keys.retain(|&key| match sources.get_mut(key.index()) {
            Some(source) if listed(source, key) => {
                // SAFETY: `source.fd` is open while its entry is in the
                // table (the invariant on the field), and the table is
                // borrowed until this call returns, by when `poll_fds` is
                // empty again: the `'static` is never relied on.
                let fd = unsafe { BorrowedFd::borrow_raw(source.fd) };
                fds.push(PollFd::from_borrowed_fd(fd, PollFlags::IN));
                // Probed once: a source listed twice (listed, woken by an
                // event, read short and skipped again before its first
                // entry was due) is `Listed` no more for its second key,
                // which the `poll(2)`, bounded by the open-files limit,
                // would otherwise carry twice. The answer below replaces
                // this `Unknown`.
                source.receive_queue = ReceiveQueue::Unknown;
                true
            }
            _ => false,
        });
        if keys.is_empty() {
            return false;
        }
        // A failure (interrupted, out of memory) tells nothing: then every
        // reader is woken, to try its read.
        let answered = poll(fds, Some(&Timespec::default())).is_ok();
        let before = found.len();
        for (&key, fd) in keys.iter().zip(fds.drain(..)) {
            let source = &mut self.sources[key.index()];
            if answered && fd.revents().is_empty() {
                source.receive_queue = ReceiveQueue::Empty(empty_at);
            } else {
                source.receive_queue = ReceiveQueue::Unknown;
                source.direction(Direction::Read).ready_tick = event_at;
                found.push(key);
            }
        }
        found.len() > before
    }

    /// Wakes the readers of `keys` that still wait: those of the sources
    /// that [`confirm_short_reads`](Self::confirm_short_reads) found, which
    /// no event has woken since.
    pub(crate) fn wake_readers(&mut self, keys: &[SourceKey], to_wake: &mut Vec<Waker>) {
        for &key in keys {
            if let Some(source) = live_mut(&mut self.sources, key) {
                source.direction(Direction::Read).take_wakers(to_wake);
            }
        }
    }

    /// The poller's wait, once a source was inserted (the field's doc).
    pub(crate) fn react(&self) -> Option<React> {
        self.react
    }

    /// Whether the poller watches any source, in any direction.
    #[inline]
    pub(crate) fn has_armed(&self) -> bool {
        self.armed > 0
    }

    /// Whether sources are registered edge-triggered.
    pub(crate) fn is_edge_triggered(&self) -> bool {
        self.edge
    }

    /// How many sources are registered.
    pub(crate) fn len(&self) -> usize {
        self.sources.len()
    }
}

/// The source of `key` in `sources`, unless it is gone or its slot holds
/// a newer one. (A function of the slab, not of the table, so that the
/// table's other fields stay free to borrow.)
fn live_mut(sources: &mut Slab<SourceState>, key: SourceKey) -> Option<&mut SourceState> {
    sources
        .get_mut(key.index())
        .filter(|source| source.generation == key.generation())
}

/// Keeps `armed`, the count of armed sources, as one goes from armed
/// `before` to armed `after`.
fn count_armed(armed: &mut usize, before: bool, after: bool) {
    match (before, after) {
        (false, true) => *armed += 1,
        (true, false) => *armed -= 1,
        _ => {}
    }
}

// ===== impl SourceState =====

impl SourceState {
    /// The waiters and event stamp of one direction.
    pub(crate) fn direction(&mut self, direction: Direction) -> &mut DirectionState {
        &mut self.directions[direction as usize]
    }

    /// What is known of the receive queue: the last [`ReceiveQueue`]
    /// recorded, unless a read event has come since.
    pub(crate) fn receive_queue(&self) -> ReceiveQueue {
        use ReceiveQueue::{Empty, Listed, Short, Unknown};
        let known = self.receive_queue;
        match known {
            Short(at) | Listed(at) | Empty(at) if self.directions[0].ready_tick <= at => known,
            _ => Unknown,
        }
    }

    /// Records what a read, or the reactor, learned of the receive queue.
    pub(crate) fn set_receive_queue(&mut self, known: ReceiveQueue) {
        self.receive_queue = known;
    }

    /// Records an event at `tick` and moves the wakers it concerns to
    /// `to_wake`. A oneshot source (`edge` false) is now disarmed; an
    /// edge-triggered one stays armed.
    fn deliver(&mut self, event: &Event, tick: u64, edge: bool, to_wake: &mut Vec<Waker>) {
        for (direction, ready) in self
            .directions
            .iter_mut()
            .zip([event.readable, event.writable])
        {
            // Oneshot disarms the whole registration, not one direction.
            if !edge {
                direction.armed = false;
            }
            if !ready {
                continue;
            }
            direction.ready_tick = tick;
            direction.take_wakers(to_wake);
        }
    }

    /// Arms the poller for every direction that has a waiter and is not
    /// armed yet. A no-op when nothing changes, so it costs a system call
    /// only when the poller's interest really grows: never for an
    /// edge-triggered source, whose directions are armed from the start.
    fn rearm(&mut self, poller: &Poller, key: SourceKey) -> io::Result<()> {
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

    /// Whether the poller watches this source in some direction.
    fn is_armed(&self) -> bool {
        self.directions.iter().any(|d| d.armed)
    }
}

// ===== impl DirectionState =====

impl DirectionState {
    /// Whether an event for this direction arrived after reactor tick
    /// `tick`.
    pub(crate) fn is_ready_since(&self, tick: u64) -> bool {
        self.ready_tick > tick
    }

    /// Makes `waker` the one the next event wakes for `poll_wait`,
    /// replacing the waker of an earlier call.
    pub(crate) fn set_poll_waiter(&mut self, waker: &Waker) {
        store(&mut self.poll_waiter, waker);
    }

    /// Adds a readiness future's waker; returns its slot.
    pub(crate) fn add_waiter(&mut self, waker: &Waker) -> usize {
        self.waiters.insert(Some(waker.clone()))
    }

    /// Makes `waker` the one woken for the future in `slot`, which was
    /// polled again (maybe by another task).
    pub(crate) fn set_waiter(&mut self, slot: usize, waker: &Waker) {
        store(&mut self.waiters[slot], waker);
    }

    /// Forgets the future in `slot`: it completed, or was dropped.
    pub(crate) fn remove_waiter(&mut self, slot: usize) {
        self.waiters.remove(slot);
    }

    /// Moves every waker waiting for this direction to `to_wake`.
    fn take_wakers(&mut self, to_wake: &mut Vec<Waker>) {
        to_wake.extend(self.poll_waiter.take());
        to_wake.extend(self.waiters.iter_mut().filter_map(|(_, w)| w.take()));
    }

    fn has_waiter(&self) -> bool {
        self.poll_waiter.is_some() || self.waiters.iter().any(|(_, w)| w.is_some())
    }
}

/// Stores a clone of `waker` in `slot`, unless the waker there already
/// wakes the same task.
fn store(slot: &mut Option<Waker>, waker: &Waker) {
    match slot {
        Some(current) if current.will_wake(waker) => {}
        slot => *slot = Some(waker.clone()),
    }
}
