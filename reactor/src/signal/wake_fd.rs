//! The fd through which a signal handler wakes one subscriber's loop.
//!
//! On Linux and Android it is an eventfd: one fd, which the handler writes
//! (each 8-byte write adds to its counter) and the loop reads (one read
//! empties it). Elsewhere it is a pipe: the handler writes its write end,
//! the loop drains its read end. Both are non-blocking, so the handler's
//! write never waits, and close-on-exec, so a child process does not
//! inherit them (a pipe is made in two steps, and can leak into a child
//! that another thread forks and execs in between; see `WakePair::pipe`).
//!
//! Neither is ever fd 0, 1 or 2. A process started with one of its
//! standard streams closed gets that number back from its next `open`,
//! and a wakeup fd there would be a trap: a child spawned on std's `fork`
//! path rebinds 0, 1 and 2 with `dup2` before its `exec`, and a signal
//! that reaches the child in between runs tether's handler there, whose
//! write would go to the child's stdin, stdout or stderr instead of a
//! close-on-exec copy of the wakeup. So an end that lands below 3 is moved
//! above (`above_stdio`).
//!
//! Either way the fd is only the wakeup, never the count: the table counts
//! each delivery before the handler writes (`bridge/src/signal.rs`, rule
//! 4). That is what makes a pipe safe under a storm of signals. A pipe
//! holds some thousands of writes; once it is full, the handler's write
//! fails with `EAGAIN` and is dropped, but the delivery was counted, and a
//! full pipe is readable, so the loop comes, drains it and takes the whole
//! count. Had the bytes been the count, as in a self-pipe that carries one
//! byte per signal, a full pipe would drop deliveries silently. The
//! eventfd's counter would not overflow before 2^64 - 2 writes; it is not
//! the count either, so that both kinds behave the same.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd};

use rustix::io::Errno;

use crate::Async;

/// A wakeup fd's ends, not registered with any reactor: what a
/// [`WakeFd`] is made from, and what the reactor's own subscriptions keep
/// (`listener.rs`), whose fd is a source of the reactor itself.
pub(super) struct WakePair {
    /// The end the loop reads: the eventfd itself, or a pipe's read end.
    read: OwnedFd,
    /// A pipe's write end; `None` for an eventfd, whose one fd is both.
    write: Option<OwnedFd>,
}

/// One subscription's wakeup fd, registered with the current loop.
pub(super) struct WakeFd {
    /// The end the loop reads, registered with its reactor.
    read: Async<OwnedFd>,
    /// A pipe's write end; `None` for an eventfd, whose one fd is both.
    write: Option<OwnedFd>,
}

// ===== impl WakePair =====

impl WakePair {
    /// The wakeup of this platform: an eventfd.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    pub(super) fn new() -> io::Result<Self> {
        use rustix::event::{EventfdFlags, eventfd};

        let fd = eventfd(0, EventfdFlags::CLOEXEC | EventfdFlags::NONBLOCK)?;
        Ok(Self {
            read: above_stdio(fd)?,
            write: None,
        })
    }

    /// The wakeup of this platform: a pipe.
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    pub(super) fn new() -> io::Result<Self> {
        Self::pipe()
    }

    /// A pipe, both ends non-blocking and close-on-exec. Made with
    /// `pipe(2)` and then `fcntl`, one path for every platform without an
    /// eventfd, macOS among them, which has no `pipe2`: another thread that
    /// forks and execs in between could leak the ends into its child.
    #[cfg_attr(
        all(any(target_os = "linux", target_os = "android"), not(test)),
        expect(dead_code, reason = "the wakeup elsewhere; on Linux, its tests use it")
    )]
    pub(super) fn pipe() -> io::Result<Self> {
        let (read, write) = rustix::pipe::pipe()?;
        for end in [&read, &write] {
            rustix::io::fcntl_setfd(end, rustix::io::FdFlags::CLOEXEC)?;
            rustix::io::ioctl_fionbio(end, true)?;
        }
        Ok(Self {
            read: above_stdio(read)?,
            write: Some(above_stdio(write)?),
        })
    }

    /// The number of the fd the handler writes: the subscription's token.
    /// Only the reactor's own subscriptions keep a pair (`listener.rs`,
    /// the `process` feature); a `Signal` asks its `WakeFd`.
    #[cfg(feature = "process")]
    pub(super) fn token(&self) -> u32 {
        token(&self.read, self.write.as_ref())
    }

    /// The end the loop reads.
    #[cfg(feature = "process")]
    pub(super) fn read_end(&self) -> &OwnedFd {
        &self.read
    }
}

/// `fd`, or, if it is 0, 1 or 2, a close-on-exec copy of it numbered 3 or
/// more (the module docs say why). A copy shares the open file, so it is
/// non-blocking if `fd` was.
fn above_stdio(fd: OwnedFd) -> io::Result<OwnedFd> {
    if fd.as_raw_fd() > 2 {
        return Ok(fd);
    }
    Ok(rustix::io::fcntl_dupfd_cloexec(&fd, 3)?)
}

// ===== impl WakeFd =====

impl WakeFd {
    /// The wakeup of this platform, registered with the current loop.
    pub(super) fn new() -> io::Result<Self> {
        Self::register(WakePair::new()?)
    }

    /// Registers `pair`'s read end with the current loop.
    pub(super) fn register(pair: WakePair) -> io::Result<Self> {
        Ok(Self {
            read: Async::new_nonblocking(pair.read)?,
            write: pair.write,
        })
    }

    /// The number of the fd the handler writes: the subscription's token.
    pub(super) fn token(&self) -> u32 {
        token(self.read.get_ref(), self.write.as_ref())
    }

    /// The end the loop reads.
    pub(super) fn reader(&self) -> &Async<OwnedFd> {
        &self.read
    }
}

/// The number of the fd a handler writes: the write end if there is one,
/// else the one fd.
fn token(read: &OwnedFd, write: Option<&OwnedFd>) -> u32 {
    let fd = write.unwrap_or(read);
    // A valid fd is never negative.
    fd.as_raw_fd() as u32
}

/// Consumes every wakeup written to `fd`, reading until it would block,
/// so that waiting after it waits for the next write (rule 5).
pub(super) fn drain(fd: &OwnedFd) -> io::Result<()> {
    // Several of the handler's 8-byte writes at once, from a pipe; an
    // eventfd answers any read of 8 bytes or more with its counter.
    let mut buf = [0u8; 64];
    loop {
        match rustix::io::read(fd, &mut buf) {
            // End of file cannot happen (the write end is ours), and would
            // leave nothing to consume.
            Ok(0) | Err(Errno::AGAIN) => return Ok(()),
            Ok(_) | Err(Errno::INTR) => {}
            Err(err) => return Err(err.into()),
        }
    }
}
