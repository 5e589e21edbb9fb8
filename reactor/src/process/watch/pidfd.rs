//! The pidfd backend (Linux 5.3 and later): a file descriptor that names
//! one process, where a pid only names a number.
//!
//! # Watching a child
//!
//! `pidfd_open(pid)`, right after the spawn, returns an fd that turns
//! readable when the process exits (becomes a zombie). The fd is
//! registered with the reactor as a source, and waiting for the exit is
//! the try-then-wait loop every I/O operation runs (`crate::async_fd`):
//! the operation is `waitpid(pid, WNOHANG)`, "still running" plays the
//! part of `WouldBlock`, and the pidfd's readability is the event. No
//! thread and no signal handler are involved, and a child costs the loop
//! one registered fd until it is reaped.
//!
//! The reaping is `waitpid` on the pid rather than `waitid(P_PIDFD, ..)`
//! on the pidfd: `P_PIDFD` came in Linux 5.4, a release after
//! `pidfd_open`, and while the child is unreaped its pid is as good a name
//! as its pidfd (the process module's "No pid is reused under tether's
//! feet").
//!
//! # The window between spawn and `pidfd_open`
//!
//! std spawns the child and returns its pid; tether opens the pidfd a few
//! microseconds later. The child may have exited in between; that is
//! harmless, because an exited child keeps its pid, as a zombie, until
//! someone reaps it, and `pidfd_open` accepts a zombie. The pid can change
//! hands in that window only if other code reaps the child (`waitpid(-1)`,
//! or `SIGCHLD` set to `SIG_IGN`) and a new process is given the same
//! number, which is the one thing tether asks of the rest of the program
//! (`watch/mod.rs`, "Never `waitpid(-1)`"). std's `CommandExt::create_pidfd`
//! (unstable) opens the pidfd within the spawn and closes the window.
//!
//! # Signals
//!
//! `pidfd_send_signal` signals the process the pidfd names, whatever its
//! pid has become: even for a child someone else reaped, the call fails
//! with `ESRCH` and cannot reach a newcomer. tether also refuses to signal
//! a child it has reaped itself, since by then it has closed the pidfd.
//!
//! # Orphans
//!
//! A `Child` dropped before it was reaped (with `kill_on_drop`, after it
//! was sent `SIGKILL`) becomes an orphan of its loop: [`Orphans`], which
//! the reactor owns, keeps its pidfd and pid. The loop has no task to
//! await it with, and needs none: the reactor registers the pidfd as a
//! source of its own, and after each dispatch looks up the keys of the
//! events it just delivered among its orphans ([`Orphans::reap`]); an
//! orphan whose pidfd turned readable is reaped there and then, its
//! source removed and its pidfd closed. A loop with no orphan pays one
//! `is_empty` per wait in the poller, and only when built with the
//! `process` feature.
//!
//! The pidfd leaves the poller and comes back: the `Child`'s registration
//! holds the reactor (an `Rc`), which the reactor cannot store in itself
//! without a cycle that would keep it alive forever. So the `Child`'s
//! registration is dropped, and the orphan list registers the same fd
//! again under a key of its own: two `epoll_ctl` calls per orphan. No exit
//! is lost in between: registering an fd reports it at the next wait if
//! it is readable already, and the orphan list tries `waitpid` once before
//! it registers anything.
//!
//! # When the loop ends
//!
//! The reactor's drop ([`Orphans::release`]) reaps every orphan that has
//! exited. An orphan that was sent `SIGKILL` (by `kill_on_drop`, or by
//! `kill` before the drop) dies at once unless the kernel holds it in an
//! uninterruptible sleep (a hung network file system, say), so the drop
//! waits for those, `KILLED_GRACE` (one second, in `watch/mod.rs`) at most
//! in all, and reaps them too: the common `kill_on_drop` child dropped
//! just before its loop ends leaves no zombie. Any other orphan still
//! running is let go, as std lets go of a dropped `std::process::Child`:
//! when it exits it stays a zombie until this process exits and init
//! reaps it. A program that ends a loop while children it dropped still
//! run, and then goes on for long, should wait for them first or give
//! them `kill_on_drop`.

use std::collections::HashMap;
use std::io;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::task::{Context, Poll};

use polling::{Event, Poller};
use rustix::io::Errno;
use rustix::process::{Pid, PidfdFlags};
use tether_bridge::sync;

use super::{Exit, KILLED_GRACE, Reaped, try_reap, wait_readable};
use crate::async_fd::Async;
use crate::source::Direction;
use crate::source_table::{SourceKey, SourceTable};

/// One child's pidfd, registered with the loop's reactor.
#[derive(Debug)]
pub(crate) struct PidfdWatch {
    /// The pidfd. Nothing reads or writes it; the reactor watches its
    /// readability, which means the process has exited.
    pidfd: Async<OwnedFd>,
}

/// The loop's orphans: children dropped before they were reaped (the
/// module docs, "Orphans").
#[derive(Debug, Default)]
pub(crate) struct Orphans {
    /// Orphans whose pidfd the poller watches, by the raw key of its
    /// source.
    watched: HashMap<usize, Orphan>,
    /// Orphans the poller refused to watch (it ran out of memory, say):
    /// tried again with `waitpid` whenever an orphan is adopted or reaped,
    /// and at the loop's end.
    unwatched: Vec<Orphan>,
}

/// A child its `Child` no longer holds.
#[derive(Debug)]
struct Orphan {
    /// Its pid, not yet reaped.
    pid: Pid,
    /// Its pidfd.
    ///
    /// # Invariant
    ///
    /// While `key` is `Some`, the fd is registered in the reactor's source
    /// table under that key, and this orphan is in `Orphans::watched`; it
    /// is dropped only after `Orphans::forget` removed the key.
    pidfd: OwnedFd,
    /// The key of its source, while the poller watches it.
    key: Option<SourceKey>,
    /// Whether it was sent `SIGKILL`.
    killed: bool,
}

/// Whether this OS lets tether open pidfds: `Ok(false)` if `pidfd_open`
/// does not exist here or a seccomp filter refuses it.
///
/// # Errors
///
/// Any other failure (`EMFILE`, `ENOMEM`...), which says nothing about
/// support.
pub(crate) fn probe() -> io::Result<bool> {
    // A pidfd of this very process, closed at once.
    match rustix::process::pidfd_open(rustix::process::getpid(), PidfdFlags::empty()) {
        Ok(_) => Ok(true),
        Err(Errno::NOSYS | Errno::PERM | Errno::ACCESS) => Ok(false),
        Err(errno) => Err(errno.into()),
    }
}

// ===== impl PidfdWatch =====

impl PidfdWatch {
    /// Opens and registers the pidfd of `pid`, a child not yet reaped.
    /// The pidfd is close-on-exec, as `pidfd_open` always makes it.
    pub(crate) fn open(pid: Pid) -> io::Result<PidfdWatch> {
        let pidfd = rustix::process::pidfd_open(pid, PidfdFlags::empty())?;
        Ok(PidfdWatch {
            pidfd: Async::new(pidfd)?,
        })
    }

    /// Reaps `pid` if it has exited; otherwise waits for the pidfd's next
    /// readability.
    pub(crate) fn poll_exit(&self, pid: Pid, cx: &mut Context<'_>) -> Poll<io::Result<Exit>> {
        self.pidfd
            .poll_io(Direction::Read, cx, |_| match try_reap(pid)? {
                Reaped::Running => Err(io::ErrorKind::WouldBlock.into()),
                Reaped::Exited(exit) => Ok(exit),
            })
    }

    /// Sends `signal` to the process the pidfd names. Through `libc`'s
    /// `syscall` rather than rustix's `pidfd_send_signal`, whose `Signal`
    /// may not carry the real-time signals (rustix keeps them for
    /// runtimes of its own; under libc they are the program's). No
    /// siginfo (a null pointer: sent as `kill` would) and no flags.
    pub(crate) fn send_signal(&self, signal: i32) -> io::Result<()> {
        // SAFETY: a pidfd this watch owns and keeps open through the call,
        // a checked signal number, a null siginfo: no memory is touched.
        let sent = unsafe {
            libc::syscall(
                libc::SYS_pidfd_send_signal,
                self.pidfd.as_fd().as_raw_fd(),
                signal,
                std::ptr::null::<libc::siginfo_t>(),
                0u32,
            )
        };
        if sent == 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    }

    /// Hands the child to its loop's orphans.
    pub(crate) fn into_orphan(self, pid: Pid, killed: bool) {
        // The registration's reactor, not the current one: the child may be
        // dropped outside its loop, or inside another.
        let reactor = self.pidfd.reactor().clone();
        let orphan = Orphan {
            pid,
            pidfd: self.pidfd.into_inner(),
            key: None,
            killed,
        };
        reactor.children().orphans.borrow_mut().adopt(
            orphan,
            &mut reactor.sources().borrow_mut(),
            reactor.poller(),
        );
    }
}

// ===== impl Orphans =====

impl Orphans {
    /// Whether there is no orphan at all.
    pub(crate) fn is_empty(&self) -> bool {
        self.watched.is_empty() && self.unwatched.is_empty()
    }

    /// Whether an orphan waits whose pidfd the poller refused.
    pub(crate) fn has_unwatched(&self) -> bool {
        !self.unwatched.is_empty()
    }

    /// Takes `orphan` in: reaps it now if it has exited, and otherwise
    /// registers its pidfd.
    fn adopt(&mut self, mut orphan: Orphan, sources: &mut SourceTable, poller: &Poller) {
        self.retry_unwatched();
        if !matches!(try_reap(orphan.pid), Ok(Reaped::Running)) {
            // Reaped now, or by someone else; `waitpid` has no other error
            // for a pid of ours. Nothing is left to watch.
            return;
        }
        // SAFETY: the orphan owns the fd and, once `key` is set, is dropped
        // only after `forget` removed the key (the invariant on
        // `Orphan::pidfd`).
        match unsafe { sources.insert(poller, orphan.pidfd.as_raw_fd()) } {
            Ok(key) => {
                orphan.key = Some(key);
                match sources.watch_readable(poller, key) {
                    Ok(()) => {
                        self.watched.insert(key.raw(), orphan);
                    }
                    Err(_) => {
                        forget(&mut orphan, sources, poller);
                        self.unwatched.push(orphan);
                    }
                }
            }
            Err(_) => self.unwatched.push(orphan),
        }
    }

    /// Reaps each orphan whose pidfd is among `events`, which the reactor
    /// has just dispatched.
    pub(crate) fn reap(
        &mut self,
        events: impl Iterator<Item = Event>,
        sources: &mut SourceTable,
        poller: &Poller,
    ) {
        for event in events {
            let Some(mut orphan) = self.watched.remove(&event.key) else {
                continue;
            };
            let key = orphan.key.expect("a watched orphan has a key");
            match try_reap(orphan.pid) {
                // A readable pidfd means the process has exited; should the
                // event have come early anyway, wait for the next one.
                Ok(Reaped::Running) if sources.watch_readable(poller, key).is_ok() => {
                    self.watched.insert(event.key, orphan);
                }
                Ok(Reaped::Running) => {
                    forget(&mut orphan, sources, poller);
                    self.unwatched.push(orphan);
                }
                _ => forget(&mut orphan, sources, poller),
            }
        }
        self.retry_unwatched();
    }

    /// Tries `waitpid` on each orphan the poller refused.
    fn retry_unwatched(&mut self) {
        self.unwatched
            .retain(|orphan| matches!(try_reap(orphan.pid), Ok(Reaped::Running)));
    }

    /// The loop's end (the module docs, "When the loop ends").
    pub(crate) fn release(&mut self, sources: &mut SourceTable, poller: &Poller) {
        let deadline = sync::now() + KILLED_GRACE;
        let watched = self.watched.drain().map(|(_, orphan)| orphan);
        for mut orphan in watched.chain(self.unwatched.drain(..)) {
            forget(&mut orphan, sources, poller);
            let running = matches!(try_reap(orphan.pid), Ok(Reaped::Running));
            if running && orphan.killed && wait_readable(orphan.pidfd.as_fd(), deadline) {
                let _ = try_reap(orphan.pid);
            }
        }
    }
}

/// Takes `orphan`'s pidfd out of the poller, if it is there; after this
/// the orphan may be dropped.
fn forget(orphan: &mut Orphan, sources: &mut SourceTable, poller: &Poller) {
    if let Some(key) = orphan.key.take() {
        sources.remove(poller, key);
    }
}
