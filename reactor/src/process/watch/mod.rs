//! How the loop learns that a child exited: the one seam between the two
//! ways of watching, and what the reactor keeps about its children.
//!
//! # Two backends, one probe
//!
//! | backend | how an exit is learned | how the child is reaped | how it is signalled | state |
//! |---------|------------------------|-------------------------|---------------------|-------|
//! | [`Backend::Pidfd`] (`pidfd.rs`) | the child's pidfd turns readable; the pidfd is a source in the reactor like any socket | `waitpid(pid, WNOHANG)` for that pid | `pidfd_send_signal` | complete |
//! | [`Backend::Sigchld`] (`sigchld.rs`) | a `SIGCHLD` reaches the loop through the signal module | `waitpid(pid, WNOHANG)` for each child the loop owns | `kill(pid)`, refused once the pid is reaped | not wired: spawning fails with `Unsupported` |
//!
//! Each reactor probes once, on its first spawn ([`Children::backend`]):
//! `pidfd_open` of its own process either works (Linux 5.3 or later,
//! with no seccomp filter refusing the call) and the pidfd backend is
//! chosen for good, or fails with `ENOSYS`, `EPERM` or `EACCES` and the
//! SIGCHLD backend is. Any other failure (out of file descriptors, say) is
//! handed to the caller and the probe is tried again on the next spawn, so
//! that a passing shortage cannot switch backends for the loop's life.
//!
//! Everything above this file speaks only of [`ExitWatch`]: open one for a
//! pid, poll it for the exit, signal through it, or hand it to the reactor
//! as an orphan. Each method is one `match` on the two variants. The
//! SIGCHLD variant holds an uninhabited type until the backend is wired,
//! so its arms are `match never {}` and the compiler proves they are never
//! reached; wiring it is giving that type its fields and those arms their
//! code (`sigchld.rs` says what, in order).
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
//! ([`Exit::ReapedElsewhere`]) rather than waiting forever.

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
use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;
use std::task::{Context, Poll};

use polling::{Event, Poller};
use rustix::io::Errno;
use rustix::process::{Pid, Signal, WaitOptions};

use crate::source_table::SourceTable;

use pidfd::{Orphans, PidfdWatch};
use sigchld::SigchldWatch;

/// How a reactor learns of its children's exits; probed once per
/// reactor (the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backend {
    /// A pidfd per child, registered with the reactor.
    Pidfd,
    /// `SIGCHLD`, then `waitpid(pid, WNOHANG)` for each child the loop
    /// owns. Not wired yet.
    Sigchld,
}

/// One child's exit, as the loop watches for it.
#[derive(Debug)]
pub(crate) enum ExitWatch {
    /// The child's pidfd, registered with the reactor.
    Pidfd(PidfdWatch),
    /// The child's place in the SIGCHLD backend's list; cannot exist yet.
    #[expect(
        dead_code,
        reason = "the SIGCHLD backend is not wired yet (sigchld.rs); this is its place in the seam"
    )]
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
    /// Children dropped before they were reaped, which the loop reaps when
    /// they exit (`pidfd.rs`, "Orphans").
    orphans: RefCell<Orphans>,
}

// ===== impl Backend =====

impl Backend {
    /// Asks the OS which backend it supports.
    fn probe() -> io::Result<Backend> {
        if pidfd::probe()? {
            Ok(Backend::Pidfd)
        } else {
            Ok(Backend::Sigchld)
        }
    }
}

// ===== impl Children =====

impl Children {
    /// The backend this loop watches its children with, after making sure
    /// it can watch them: the SIGCHLD backend is not wired yet, so it is an
    /// `Unsupported` error, returned before anything is spawned.
    pub(crate) fn backend(&self) -> io::Result<Backend> {
        let backend = match self.backend.get() {
            Some(backend) => backend,
            None => {
                let backend = Backend::probe()?;
                self.backend.set(Some(backend));
                backend
            }
        };
        match backend {
            Backend::Pidfd => Ok(backend),
            Backend::Sigchld => Err(sigchld::not_wired()),
        }
    }

    /// Makes this loop use `backend` from now on, so that a test can reach
    /// the path a kernel without pidfds takes.
    #[cfg(test)]
    pub(crate) fn force_backend(&self, backend: Backend) {
        self.backend.set(Some(backend));
    }

    /// Reaps the orphans whose pidfds are among `events` (step 3 of the
    /// loop, right after the dispatch). Costs nothing while there is no
    /// orphan.
    pub(crate) fn reap_orphans(
        &self,
        events: impl Iterator<Item = Event>,
        sources: &RefCell<SourceTable>,
        poller: &Poller,
    ) {
        let mut orphans = self.orphans.borrow_mut();
        if orphans.is_empty() {
            return;
        }
        orphans.reap(events, &mut sources.borrow_mut(), poller);
    }

    /// At the reactor's end: reaps the orphans that have exited, gives
    /// those that were sent `SIGKILL` a bounded time to die, and lets the
    /// rest go (`pidfd.rs`, "When the loop ends").
    pub(crate) fn release(&self, sources: &RefCell<SourceTable>, poller: &Poller) {
        self.orphans
            .borrow_mut()
            .release(&mut sources.borrow_mut(), poller);
    }
}

// ===== impl ExitWatch =====

impl ExitWatch {
    /// Starts watching the child `pid`, just spawned and not reaped.
    pub(crate) fn open(backend: Backend, pid: Pid) -> io::Result<ExitWatch> {
        match backend {
            Backend::Pidfd => Ok(ExitWatch::Pidfd(PidfdWatch::open(pid)?)),
            Backend::Sigchld => Err(sigchld::not_wired()),
        }
    }

    /// Reaps the child if it has exited; otherwise arranges for `cx` to be
    /// woken when it may have, and returns `Pending`.
    pub(crate) fn poll_exit(&self, pid: Pid, cx: &mut Context<'_>) -> Poll<io::Result<Exit>> {
        match self {
            ExitWatch::Pidfd(watch) => watch.poll_exit(pid, cx),
            ExitWatch::Sigchld(never) => match *never {},
        }
    }

    /// Sends `signal` to the child, which has not been reaped.
    pub(crate) fn send_signal(&self, signal: Signal) -> io::Result<()> {
        match self {
            ExitWatch::Pidfd(watch) => watch.send_signal(signal),
            ExitWatch::Sigchld(never) => match *never {},
        }
    }

    /// Hands the child, dropped before it was reaped, to its loop, which
    /// reaps it once it exits. `killed`: it was sent `SIGKILL`.
    pub(crate) fn into_orphan(self, pid: Pid, killed: bool) {
        match self {
            ExitWatch::Pidfd(watch) => watch.into_orphan(pid, killed),
            ExitWatch::Sigchld(never) => match never {},
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
