//! How the loop learns that a child exited: the one seam between the two
//! ways of watching, and what the reactor keeps about its children.
//!
//! # Two backends, one probe
//!
//! | backend | how an exit is learned | how the child is reaped | how it is signalled |
//! |---------|------------------------|-------------------------|---------------------|
//! | [`Backend::Pidfd`] (`pidfd.rs`) | the child's pidfd turns readable; the pidfd is a source in the reactor like any socket | `waitpid(pid, WNOHANG)` for that pid | `pidfd_send_signal` |
//! | [`Backend::Sigchld`] (`sigchld.rs`) | a `SIGCHLD` reaches the reactor through a subscription of its own to the signal module; a task that waits also re-checks once a second | `waitpid(pid, WNOHANG)` for each child the loop owns, on each `SIGCHLD` | `kill(pid)`, refused once the pid is reaped |
//!
//! Each reactor probes once, on its first spawn ([`Children::prepare`]):
//! `pidfd_open` of its own process either works (Linux 5.3 or later,
//! with no seccomp filter refusing the call) and the pidfd backend is
//! chosen for good, or fails with `ENOSYS`, `EPERM` or `EACCES` and the
//! SIGCHLD backend is. Any other failure (out of file descriptors, say) is
//! handed to the caller and the probe is tried again on the next spawn, so
//! that a passing shortage cannot switch backends for the loop's life.
//!
//! # Choosing the fallback by hand
//!
//! The probe reads the environment variable `TETHER_PROCESS_WATCH` first
//! ([`WATCH_VAR`]): `sigchld` makes the loop use the SIGCHLD backend even
//! where pidfds work, so that a program (and tether's own tests,
//! `tests/process_sigchld.rs`) can run on the path an old kernel or a
//! seccomp filter would take; unset, empty or `auto`, the probe decides.
//! Any other value is refused: the spawn fails with `InvalidInput`, naming
//! the variable, before anything is forked. Like the probe, it is read
//! once per loop, at its first spawn (and at each later one, while its
//! value is refused).
//!
//! # What the seam is
//!
//! Everything above this file speaks only of [`ExitWatch`]: open one for a
//! pid, poll it for the exit, signal through it, or hand it to the reactor
//! as an orphan; each method is one `match` on the two variants. The
//! reactor speaks only of [`Children`]: [`prepare`](Children::prepare)
//! before a fork (which subscribes to `SIGCHLD` on that backend),
//! [`after_dispatch`](Children::after_dispatch) in each `react`, and
//! [`release`](Children::release) at its end. For the fallback's sake, a
//! loop that never spawns, or spawns on the pidfd backend, pays one look
//! at an empty `SIGCHLD` list per `react`, and nothing else.
//!
//! # Never `waitpid(-1)`
//!
//! Both backends reap by pid, one child at a time, and only children this
//! loop spawned. `waitpid(-1)` (or `wait()`) would reap any child of the
//! process, including those other code (`std::process::Command`, another
//! loop, a library) is about to wait for: that code would then find
//! nothing, or worse, wait on a pid that a new process has taken.
//!
//! The same rule, turned around, is the one thing tether needs from the
//! rest of the program: code that calls `waitpid(-1)`, or sets `SIGCHLD`
//! to `SIG_IGN` (which makes the kernel reap every child at exit), takes
//! the exit status before tether can. tether then reports it as an error
//! ([`Exit::ReapedElsewhere`]) rather than waiting forever, on either
//! backend (`sigchld.rs`, "Other code and `SIGCHLD`", says how the
//! fallback hears of such an exit).

#[cfg(not(any(target_os = "linux", target_os = "android")))]
mod no_pidfd;
#[cfg(any(target_os = "linux", target_os = "android"))]
mod pidfd;
mod sigchld;
#[cfg(test)]
mod tests;

#[cfg(not(any(target_os = "linux", target_os = "android")))]
use no_pidfd as pidfd;

use std::cell::{Cell, RefCell};
use std::io;
use std::os::fd::BorrowedFd;
use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use polling::Events;
use rustix::event::{PollFd, PollFlags, Timespec};
use rustix::io::Errno;
use rustix::process::{Pid, WaitOptions};
use tether_bridge::sync;

use crate::reactor::Reactor;

use pidfd::{Orphans, PidfdWatch};
use sigchld::{SigchldList, SigchldWatch};

/// The environment variable that can make a loop watch its children
/// through `SIGCHLD` where pidfds work (the module docs, "Choosing the
/// fallback by hand").
pub(crate) const WATCH_VAR: &str = "TETHER_PROCESS_WATCH";

/// How long the end of a loop waits, in all, for the orphans it sent
/// `SIGKILL` to die. A killed process is gone within milliseconds unless
/// the kernel holds it in an uninterruptible sleep; the bound keeps such a
/// process from holding the end of the loop for long.
pub(crate) const KILLED_GRACE: Duration = Duration::from_secs(1);

/// How a reactor learns of its children's exits; probed once per
/// reactor (the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backend {
    /// A pidfd per child, registered with the reactor.
    Pidfd,
    /// `SIGCHLD`, then `waitpid(pid, WNOHANG)` for each child the loop
    /// owns.
    Sigchld,
}

/// One child's exit, as the loop watches for it.
#[derive(Debug)]
pub(crate) enum ExitWatch {
    /// The child's pidfd, registered with the reactor.
    Pidfd(PidfdWatch),
    /// The child's slot in the loop's SIGCHLD list.
    Sigchld(SigchldWatch),
}

/// How a watched child ended, seen from the loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Exit {
    /// This loop reaped it: here is its status.
    Status(ExitStatus),
    /// It is gone, and someone else reaped it: `waitpid` says `ECHILD`.
    ReapedElsewhere,
}

/// What `waitpid(pid, WNOHANG)` found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reaped {
    /// Still running (or stopped): nothing was reaped.
    Running,
    /// It had exited, and is reaped now.
    Exited(Exit),
}

/// What a reactor keeps about the children of its loop.
#[derive(Debug, Default)]
pub(crate) struct Children {
    /// The backend, once probed.
    backend: Cell<Option<Backend>>,
    /// On the pidfd backend: children dropped before they were reaped,
    /// which the loop reaps when they exit (`pidfd.rs`, "Orphans").
    orphans: RefCell<Orphans>,
    /// On the SIGCHLD backend: every child not yet reaped, the orphans,
    /// and the subscription to `SIGCHLD` (`sigchld.rs`).
    sigchld: RefCell<SigchldList>,
}

/// A spawn between [`Children::prepare`] and the child's watch: when it
/// ends, a SIGCHLD subscription that no child came to need (the spawn
/// failed) goes.
#[derive(Debug)]
pub(crate) struct Prepared<'a> {
    /// The loop that spawns.
    reactor: &'a Reactor,
    /// Its backend.
    backend: Backend,
}

// ===== impl Backend =====

impl Backend {
    /// Reads [`WATCH_VAR`], then asks the OS which backend it supports.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for a value of the variable tether does not know;
    /// the probe's errors (`pidfd.rs`).
    fn probe() -> io::Result<Backend> {
        match std::env::var_os(WATCH_VAR) {
            Some(value) if value == "sigchld" => return Ok(Backend::Sigchld),
            Some(value) if value.is_empty() || value == "auto" => {}
            None => {}
            Some(value) => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!(
                        "tether: {WATCH_VAR} is {value:?}, which tether does not know: \
                         \"sigchld\" watches children through SIGCHLD, \"auto\" (or \
                         unset) lets tether choose; nothing was spawned"
                    ),
                ));
            }
        }
        if pidfd::probe()? {
            Ok(Backend::Pidfd)
        } else {
            Ok(Backend::Sigchld)
        }
    }
}

// ===== impl Children =====

impl Children {
    /// Readies `reactor`'s loop, whose children these are, to spawn a
    /// child: probes the backend on the first spawn and, on the SIGCHLD
    /// backend, subscribes to `SIGCHLD` before anything is forked
    /// (`sigchld.rs`, "No exit is missed").
    ///
    /// # Errors
    ///
    /// The probe's, or the subscription's; nothing is spawned then.
    pub(crate) fn prepare<'a>(&self, reactor: &'a Reactor) -> io::Result<Prepared<'a>> {
        let backend = match self.backend.get() {
            Some(backend) => backend,
            None => {
                let backend = Backend::probe()?;
                self.backend.set(Some(backend));
                backend
            }
        };
        if backend == Backend::Sigchld {
            self.sigchld
                .borrow_mut()
                .listen(&mut reactor.sources().borrow_mut(), reactor.poller())?;
        }
        Ok(Prepared { reactor, backend })
    }

    /// Makes this loop use `backend` from now on, so that a test can reach
    /// the path a kernel without pidfds takes.
    #[cfg(test)]
    pub(crate) fn force_backend(&self, backend: Backend) {
        self.backend.set(Some(backend));
    }

    /// Whether an orphan waits whose pidfd the poller refused: only a wait
    /// in the poller tries it again (`Reactor::sleeps_in_poller`).
    pub(crate) fn has_unwatched_orphans(&self) -> bool {
        self.orphans.borrow().has_unwatched()
    }

    /// The SIGCHLD backend's list, for `sigchld.rs`.
    pub(crate) fn sigchld(&self) -> &RefCell<SigchldList> {
        &self.sigchld
    }

    /// Step 3 of the loop, right after the dispatch of `events`: reaps the
    /// orphans whose pidfds are among them, and on a `SIGCHLD` re-checks
    /// the children of the SIGCHLD backend, moving the wakers of those that
    /// exited to `to_wake`. Costs two looks at empty lists on a loop with
    /// no child.
    pub(crate) fn after_dispatch(
        &self,
        reactor: &Reactor,
        events: &Events,
        to_wake: &mut Vec<Waker>,
    ) {
        let mut orphans = self.orphans.borrow_mut();
        if !orphans.is_empty() {
            orphans.reap(
                events.iter(),
                &mut reactor.sources().borrow_mut(),
                reactor.poller(),
            );
        }
        drop(orphans);
        self.sigchld
            .borrow_mut()
            .on_events(reactor, events, to_wake);
    }

    /// At the end of `reactor`, whose children these are: reaps the
    /// orphans that have exited, gives those that were sent `SIGKILL` a
    /// bounded time to die, and lets the rest go (`pidfd.rs`, "When the
    /// loop ends"); then lets go of the `SIGCHLD` subscription.
    pub(crate) fn release(&self, reactor: &Reactor) {
        self.orphans
            .borrow_mut()
            .release(&mut reactor.sources().borrow_mut(), reactor.poller());
        self.sigchld.borrow_mut().release(reactor);
    }
}

// ===== impl Prepared =====

impl Prepared<'_> {
    /// The loop's backend.
    pub(crate) fn backend(&self) -> Backend {
        self.backend
    }
}

impl Drop for Prepared<'_> {
    fn drop(&mut self) {
        if self.backend == Backend::Sigchld {
            self.reactor
                .children()
                .sigchld
                .borrow_mut()
                .close_if_idle(self.reactor);
        }
    }
}

// ===== impl ExitWatch =====

impl ExitWatch {
    /// Starts watching the child `pid`, just spawned on `reactor`'s loop
    /// with `backend`, and not reaped.
    pub(crate) fn open(reactor: &Rc<Reactor>, backend: Backend, pid: Pid) -> io::Result<ExitWatch> {
        match backend {
            Backend::Pidfd => Ok(ExitWatch::Pidfd(PidfdWatch::open(pid)?)),
            Backend::Sigchld => Ok(ExitWatch::Sigchld(SigchldWatch::open(reactor, pid))),
        }
    }

    /// How the child ended, if the loop reaped it without being asked:
    /// the SIGCHLD backend's re-check reaps every child that exited.
    pub(crate) fn reaped(&self) -> Option<Exit> {
        match self {
            ExitWatch::Pidfd(_) => None,
            ExitWatch::Sigchld(watch) => watch.reaped(),
        }
    }

    /// Reaps the child if it has exited, without waiting.
    pub(crate) fn try_exit(&self, pid: Pid) -> io::Result<Reaped> {
        match self {
            ExitWatch::Pidfd(_) => try_reap(pid),
            ExitWatch::Sigchld(watch) => watch.try_exit(),
        }
    }

    /// Reaps the child if it has exited; otherwise arranges for `cx` to be
    /// woken when it may have, and returns `Pending`.
    pub(crate) fn poll_exit(&self, pid: Pid, cx: &mut Context<'_>) -> Poll<io::Result<Exit>> {
        match self {
            ExitWatch::Pidfd(watch) => watch.poll_exit(pid, cx),
            ExitWatch::Sigchld(watch) => watch.poll_exit(cx),
        }
    }

    /// Sends `signal` to the child, which its `Child` has not seen reaped.
    /// `signal` is a number [`Child::send_signal`](super::Child::send_signal)
    /// checked.
    pub(crate) fn send_signal(&self, signal: i32) -> io::Result<()> {
        match self {
            ExitWatch::Pidfd(watch) => watch.send_signal(signal),
            ExitWatch::Sigchld(watch) => watch.send_signal(signal),
        }
    }

    /// Hands the child, dropped before it was reaped, to its loop, which
    /// reaps it once it exits. `killed`: it was sent `SIGKILL`.
    pub(crate) fn into_orphan(self, pid: Pid, killed: bool) {
        match self {
            ExitWatch::Pidfd(watch) => watch.into_orphan(pid, killed),
            ExitWatch::Sigchld(watch) => watch.into_orphan(killed),
        }
    }
}

// ===== reaping =====

/// `waitpid(pid, WNOHANG)`: reaps `pid` if it has exited.
///
/// Only ever called for a child of this loop that it has not reaped yet,
/// so `pid` cannot name another process (the process module's "No pid is
/// reused under tether's feet").
pub(crate) fn try_reap(pid: Pid) -> io::Result<Reaped> {
    loop {
        return match rustix::process::waitpid(Some(pid), WaitOptions::NOHANG) {
            Ok(Some((_, status))) => Ok(Reaped::Exited(Exit::Status(ExitStatus::from_raw(
                status.as_raw(),
            )))),
            Ok(None) => Ok(Reaped::Running),
            Err(Errno::CHILD) => Ok(Reaped::Exited(Exit::ReapedElsewhere)),
            Err(Errno::INTR) => continue,
            Err(errno) => Err(errno.into()),
        };
    }
}

/// The error for a child whose exit status someone else took.
pub(crate) fn reaped_elsewhere() -> io::Error {
    io::Error::other(
        "the child was reaped by other code, and its exit status is lost: \
         SIGCHLD is set to SIG_IGN, or something calls waitpid(-1) or wait()",
    )
}

/// The error for a signal to a child that was reaped, as `exit` says:
/// its pid may name another process now.
pub(crate) fn refused_after_reap(exit: Exit) -> io::Error {
    let why = match exit {
        Exit::Status(status) => format!(
            "the child has exited ({status}) and was reaped: its pid may \
             name another process now, so no signal was sent"
        ),
        Exit::ReapedElsewhere => "the child was reaped by other code: its pid may name \
                                  another process now, so no signal was sent"
            .to_owned(),
    };
    io::Error::new(io::ErrorKind::InvalidInput, why)
}

/// Blocks until `fd` is readable or `deadline` passes; returns whether it
/// became readable. For the loop's end, which waits for killed orphans:
/// on a pidfd (readable once the process exits), or on the SIGCHLD
/// subscription's fd (readable at the next `SIGCHLD`).
fn wait_readable(fd: BorrowedFd<'_>, deadline: Instant) -> bool {
    loop {
        let left = deadline.saturating_duration_since(sync::now());
        let Ok(timeout) = Timespec::try_from(left) else {
            return false;
        };
        let mut fds = [PollFd::new(&fd, PollFlags::IN)];
        match rustix::event::poll(&mut fds, Some(&timeout)) {
            Ok(0) => return false,
            Ok(_) => return true,
            Err(Errno::INTR) => {}
            Err(_) => return false,
        }
    }
}
