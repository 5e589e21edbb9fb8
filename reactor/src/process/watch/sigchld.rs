//! The SIGCHLD backend: where there is no pidfd, the loop learns of its
//! children's exits from `SIGCHLD`, then asks about each child by pid.
//!
//! The probe picks it where `pidfd_open` does not exist or is refused
//! (Linux before 5.3, a seccomp filter that returns `ENOSYS` or `EPERM`,
//! any OS but Linux), or where `TETHER_PROCESS_WATCH=sigchld` asks for it
//! (`watch/mod.rs`). It needs no thread per child and no task: the kernel
//! sends the process `SIGCHLD` whenever a child changes state, the signal
//! module turns that into readiness of a source in the reactor, and the
//! reactor itself reacts to it. This is tokio's fallback and libuv's only
//! way.
//!
//! # One exit, hop by hop
//!
//! | step | where | what happens |
//! |------|-------|--------------|
//! | subscribe | `Command::spawn`; [`SigchldList::listen`] | before the fork, if the loop has no child on this backend yet, the reactor subscribes to `SIGCHLD` (`signal/listener.rs`): tether's handler is installed if no other subscription of the process has it, and a wakeup fd is registered as the reactor's own source |
//! | watch | [`SigchldWatch::open`] | the child gets a slot in the loop's list: its pid, the waker of the task awaiting it, and its exit once reaped |
//! | wait | [`SigchldWatch::poll_exit`] | `waitpid(pid, WNOHANG)`; while the child runs, the task's waker goes in the slot |
//! | exit | the kernel; `signal/handler.rs` | the child exits, the kernel sends `SIGCHLD`, tether's handler counts it and writes the wakeup fd of every subscriber |
//! | re-check | `reactor.rs`, `Reactor::react`; [`SigchldList::on_events`] | the poller reports the fd; after the dispatch, the reactor sees its key among the events, takes the count, and runs `waitpid(pid, WNOHANG)` for every child in the list and every orphan; an exited child's status goes in its slot and its waker is woken; an exited orphan is gone |
//! | reap | `poll_exit` again; `Child::settle` | the slot holds the status: the `Child` takes it, and its slot leaves the list; the list's last child takes the subscription with it |
//!
//! # Why every slot is re-checked
//!
//! A `SIGCHLD` says that some child changed state, not which one, and the
//! kernel merges a `SIGCHLD` sent while one is pending into it: many exits
//! can be one signal. So each signal re-checks every child the loop owns,
//! by pid: one `waitpid` per child per signal, as in tokio. Never
//! `waitpid(-1)`, which would reap other code's children (`watch/mod.rs`).
//! A `SIGCHLD` that came for another loop's child, for a stop or a
//! continue, or for a child of other code, costs the same re-check and
//! finds nothing.
//!
//! # No exit is missed
//!
//! The list's rule: **the loop holds its `SIGCHLD` subscription whenever
//! the list has a slot or an orphan**; it subscribes before the fork of
//! its first such child, and lets go when the last one leaves (or when a
//! spawn fails and left none). Then:
//!
//! 1. An exit that happens while the child has a slot and the loop is
//!    subscribed makes the handler run after the exit (the kernel sends
//!    `SIGCHLD` once the child is a zombie), which counts the delivery and
//!    writes the fd; the re-check that follows runs `waitpid` after the
//!    exit and finds it (the table's rules 4 and 5 make the count reach
//!    the reactor: `bridge/src/signal.rs`).
//! 2. An exit before the child had a slot (between the fork and
//!    [`SigchldWatch::open`]) came after the subscription, so its signal
//!    wrote the fd too; the slot is in the list before the reactor next
//!    dispatches (spawning runs on the loop thread, which dispatches
//!    nothing meanwhile), so that re-check covers it. And `poll_exit` runs
//!    its own `waitpid` before it ever waits.
//! 3. A subscription made while the list is empty has no earlier exit to
//!    catch up with: by the rule, every child of the list was spawned after
//!    the loop subscribed, so no re-check is needed right after it.
//!
//! # Signals by pid, never after the reap
//!
//! A child is signalled with `kill(pid)`. Until the child is reaped its
//! pid cannot be given to another process (an exited child is a zombie
//! that keeps it), so while its slot holds no status, and it is not
//! reaped, the signal reaches the child. The reactor's re-check may reap
//! the child before its `Child` looks: once the slot holds the status,
//! `Child` refuses to signal, as it does after its own reap, and stops
//! giving out the pid.
//!
//! What tether cannot see is other code reaping the child (`SIGCHLD`
//! ignored, or a `waitpid(-1)` elsewhere): the pidfd backend signals
//! through the pidfd, which cannot reach another process, but here the
//! number is all there is. So before each `kill`, a `waitid(.., WNOWAIT)`
//! asks whether the child is still there without reaping it: gone means
//! reaped by other code, and the signal is refused, the slot recording
//! the loss. What is left is the window between that question and the
//! `kill`, microseconds, in a program that reaps tether's children behind
//! its back, and only if the kernel gives the freed pid to a new process
//! within them.
//!
//! # A re-check every second, while a task waits
//!
//! The backend's only news is `SIGCHLD`. Code that takes it away (a
//! handler installed after tether's that does not call tether's, or
//! `SIGCHLD` blocked in every thread of the process) would leave a task
//! awaiting a child waiting forever. So while a task waits in
//! `poll_exit`, its slot also holds a timer, [`RECHECK`] away, that wakes
//! the task to run its `waitpid` again: an exit the signal did not report
//! is found a second late at most, never lost. With `SIGCHLD` working,
//! each wait ends at the signal, and the timer costs its wheel entry and
//! one poll of the waiting task per second the child runs. An orphan has no
//! task and no timer: without `SIGCHLD`, it is reaped by the next re-check
//! any other `SIGCHLD` starts, or at the loop's end.
//!
//! # Other code and `SIGCHLD`
//!
//! - **Other subscribers**: other loops on this backend, a
//!   `Signal::new(SIGCHLD)` or an `add_signal_handler(SIGCHLD, ..)` of the
//!   program. Each subscriber hears every delivery (the signal module), so
//!   each loop re-checks its own children, and reaps only those.
//! - **`SIGCHLD` ignored** (`SIG_IGN`, or a handler with `SA_NOCLDWAIT`):
//!   the kernel reaps every child at its exit, leaving no zombie and no
//!   status. tether's handler keeps that: it is installed with
//!   `SA_NOCLDWAIT` then (`signal/handler.rs`), and Linux still sends the
//!   signal, so the re-check runs, `waitpid` fails with `ECHILD`, and the
//!   child's `wait` reports it reaped by other code, as the pidfd backend
//!   does. Where an OS sends no `SIGCHLD` with `SA_NOCLDWAIT` (POSIX
//!   leaves it open), the re-check timer finds it.
//! - **A `waitpid(-1)` elsewhere** (a thread that reaps every child): the
//!   signal still comes, the re-check finds `ECHILD`, and `wait` reports
//!   the child reaped by other code, unless the loop reaped it first.
//! - **A foreign handler installed before**: tether's replaces it while
//!   the loop has children on this backend, and does not call it (the
//!   signal module's "No chaining"); it comes back when tether's last
//!   subscription of `SIGCHLD` goes. Code whose own handler reaps its own
//!   children misses their `SIGCHLD`s meanwhile.
//! - **A foreign handler installed after**: it runs instead of tether's.
//!   If it calls the handler it replaced, as signal-hook's registry does,
//!   nothing changes; otherwise the loop hears nothing, and the re-check
//!   timer stands in for the signal.
//!
//! # When the loop ends
//!
//! No `Child` of the loop can outlive it (each slot's `SigchldWatch` holds
//! the reactor), so only orphans are left. As with pidfds (`pidfd.rs`,
//! "When the loop ends"), those that exited are reaped, those that were
//! sent `SIGKILL` are given `KILLED_GRACE` (one second) in all to die,
//! the wait being `poll(2)` on the subscription's fd, which the next
//! `SIGCHLD` makes readable, and are reaped then; the rest are let go.
//! Then the subscription goes.

use std::io;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use polling::{Events, Poller};
use rustix::process::Pid;
use slab::Slab;
use tether_bridge::sync;

use super::{Exit, KILLED_GRACE, Reaped, refused_after_reap, try_reap, wait_readable};
use crate::reactor::Reactor;
use crate::signal::SIGCHLD;
use crate::signal::listener::Listener;
use crate::source_table::SourceTable;
use crate::timer::TimerKey;

/// How long a task awaiting a child on this backend waits, at most,
/// before its `waitpid` runs again without a `SIGCHLD` (the module docs,
/// "A re-check every second"). Long enough that the timer costs nothing
/// next to a child's life; short enough that a lost signal is a delay,
/// not a hang.
pub(crate) const RECHECK: Duration = Duration::from_secs(1);

/// A child watched through `SIGCHLD`: its slot in its loop's
/// [`SigchldList`].
#[derive(Debug)]
pub(crate) struct SigchldWatch {
    /// The loop whose list holds the slot.
    reactor: Rc<Reactor>,
    /// The slot's index in the list; `None` once the child was handed to
    /// the orphans.
    slot: Option<usize>,
}

/// The loop's children on this backend, and its subscription to
/// `SIGCHLD` (the module docs).
#[derive(Debug, Default)]
pub(crate) struct SigchldList {
    /// The subscription, registered with the reactor as a source of its
    /// own.
    ///
    /// # Invariant
    ///
    /// `Some` whenever `slots` or `orphans` is not empty (the module's
    /// "No exit is missed").
    listener: Option<Listener>,
    /// One slot per `Child` not yet reaped, or reaped by the re-check and
    /// not yet told.
    slots: Slab<Slot>,
    /// Children dropped before they were reaped.
    orphans: Vec<Orphan>,
}

/// One child in the list.
#[derive(Debug)]
struct Slot {
    /// Its pid; not reaped while `exit` is `None`.
    pid: Pid,
    /// The waker of the task awaiting its exit, if one is.
    waker: Option<Waker>,
    /// How it ended, once the loop reaped it (or found it reaped).
    exit: Option<Exit>,
    /// The re-check timer of the task waiting, if one waits (the module's
    /// "A re-check every second").
    recheck: Option<TimerKey>,
}

/// A child its `Child` no longer holds.
#[derive(Debug)]
struct Orphan {
    /// Its pid, not yet reaped.
    pid: Pid,
    /// Whether it was sent `SIGKILL`.
    killed: bool,
}

// ===== impl SigchldWatch =====

impl SigchldWatch {
    /// Gives `pid`, just spawned on `reactor`'s loop after
    /// [`SigchldList::listen`], a slot in the list.
    pub(crate) fn open(reactor: &Rc<Reactor>, pid: Pid) -> SigchldWatch {
        let mut list = reactor.children().sigchld().borrow_mut();
        debug_assert!(list.listener.is_some(), "spawned before listening");
        let slot = list.slots.insert(Slot {
            pid,
            waker: None,
            exit: None,
            recheck: None,
        });
        SigchldWatch {
            reactor: reactor.clone(),
            slot: Some(slot),
        }
    }

    /// The slot's index; a watch handed to the orphans is consumed.
    fn index(&self) -> usize {
        self.slot
            .expect("a watch keeps its slot until it is orphaned")
    }

    /// How the child ended, if the reactor's re-check reaped it.
    pub(crate) fn reaped(&self) -> Option<Exit> {
        self.reactor.children().sigchld().borrow().slots[self.index()].exit
    }

    /// The child's exit, if the re-check recorded it or `waitpid` finds it
    /// now.
    pub(crate) fn try_exit(&self) -> io::Result<Reaped> {
        let mut list = self.reactor.children().sigchld().borrow_mut();
        let slot = &mut list.slots[self.index()];
        if let Some(exit) = slot.exit {
            return Ok(Reaped::Exited(exit));
        }
        let reaped = try_reap(slot.pid)?;
        if let Reaped::Exited(exit) = reaped {
            slot.exit = Some(exit);
        }
        Ok(reaped)
    }

    /// The child's exit, or `Pending` with `cx`'s waker in the slot, to be
    /// woken by the re-check that finds the exit, or by the slot's timer.
    pub(crate) fn poll_exit(&self, cx: &mut Context<'_>) -> Poll<io::Result<Exit>> {
        match self.try_exit() {
            Ok(Reaped::Exited(exit)) => return Poll::Ready(Ok(exit)),
            Ok(Reaped::Running) => {}
            Err(err) => return Poll::Ready(Err(err)),
        }
        let waker = cx.waker();
        let mut list = self.reactor.children().sigchld().borrow_mut();
        let slot = &mut list.slots[self.index()];
        // The waker replaced is dropped after the borrow: a waker's drop
        // is arbitrary code.
        let replaced = match &slot.waker {
            Some(current) if current.will_wake(waker) => None,
            _ => slot.waker.replace(waker.clone()),
        };
        let mut timers = self.reactor.timers().borrow_mut();
        match slot.recheck {
            Some(key) if timers.set_waker(key, waker) => {}
            // None yet, or it fired: the next one, a second from now.
            _ => {
                let at = timers.nanos_at(sync::now() + RECHECK);
                slot.recheck = Some(timers.insert_at(at, waker.clone()));
            }
        }
        drop((timers, list));
        drop(replaced);
        Poll::Pending
    }

    /// Sends `signal` to the child, unless it is reaped: by the re-check
    /// (refused, with its status), or by other code (refused, and recorded).
    pub(crate) fn send_signal(&self, signal: i32) -> io::Result<()> {
        let mut list = self.reactor.children().sigchld().borrow_mut();
        let slot = &mut list.slots[self.index()];
        if let Some(exit) = slot.exit {
            return Err(refused_after_reap(exit));
        }
        // The pid names the child unless other code reaped it: ask without
        // reaping (the module's "Signals by pid, never after the reap").
        if is_reaped_elsewhere(slot.pid)? {
            slot.exit = Some(Exit::ReapedElsewhere);
            return Err(refused_after_reap(Exit::ReapedElsewhere));
        }
        // libc's `kill` rather than rustix's, for the real-time signals
        // (`PidfdWatch::send_signal` says why).
        // SAFETY: a pid no one reaped (checked above), a checked signal.
        if unsafe { libc::kill(slot.pid.as_raw_nonzero().get(), signal) } == 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    }

    /// Hands the child to its loop's orphans, unless it is reaped already.
    /// `killed`: it was sent `SIGKILL`.
    pub(crate) fn into_orphan(mut self, killed: bool) {
        let Some(index) = self.slot.take() else {
            return;
        };
        let mut list = self.reactor.children().sigchld().borrow_mut();
        let slot = list.remove(&self.reactor, index);
        // As with pidfds, an orphan is tried once before it is kept.
        if slot.exit.is_none() && matches!(try_reap(slot.pid), Ok(Reaped::Running)) {
            list.orphans.push(Orphan {
                pid: slot.pid,
                killed,
            });
        }
        list.close_if_idle(&self.reactor);
        drop(list);
        // Its waker, if any, is dropped after the borrow.
        drop(slot);
    }
}

impl Drop for SigchldWatch {
    /// The child was reaped (its `Child` settled), or its `Child` was
    /// dropped after the re-check reaped it: its slot leaves the list.
    fn drop(&mut self) {
        let Some(index) = self.slot.take() else {
            return;
        };
        let mut list = self.reactor.children().sigchld().borrow_mut();
        let slot = list.remove(&self.reactor, index);
        list.close_if_idle(&self.reactor);
        drop(list);
        drop(slot);
    }
}

// ===== impl SigchldList =====

impl SigchldList {
    /// Makes sure the loop is subscribed to `SIGCHLD`: called before each
    /// fork on this backend (the module's "No exit is missed").
    ///
    /// # Errors
    ///
    /// The subscription's: no fd left for the wakeup, the table full, the
    /// OS refusing the handler. Nothing is forked then.
    pub(crate) fn listen(&mut self, sources: &mut SourceTable, poller: &Poller) -> io::Result<()> {
        if self.listener.is_none() {
            self.listener = Some(Listener::new(SIGCHLD, sources, poller)?);
        }
        Ok(())
    }

    /// Lets go of the subscription if the loop has no child on this
    /// backend: after the last one leaves, or after a spawn that failed.
    pub(crate) fn close_if_idle(&mut self, reactor: &Reactor) {
        if self.slots.is_empty() && self.orphans.is_empty() {
            if let Some(listener) = self.listener.take() {
                listener.close(&mut reactor.sources().borrow_mut(), reactor.poller());
            }
        }
    }

    /// Takes slot `index` out of the list, with its timer; returns the
    /// slot, for the caller to drop after its borrow of the list. The
    /// caller then calls `close_if_idle`.
    fn remove(&mut self, reactor: &Reactor, index: usize) -> Slot {
        let mut slot = self.slots.remove(index);
        if let Some(key) = slot.recheck.take() {
            reactor.timers().borrow_mut().cancel(key);
        }
        slot
    }

    /// After the reactor's dispatch: if `events` hold the subscription's,
    /// re-checks every child and orphan, and moves the wakers of the
    /// children found exited to `to_wake`. Costs one comparison per event
    /// while the loop has a child on this backend, and nothing otherwise.
    pub(crate) fn on_events(
        &mut self,
        reactor: &Reactor,
        events: &Events,
        to_wake: &mut Vec<Waker>,
    ) {
        let Some(listener) = &self.listener else {
            return;
        };
        let key = listener.key();
        if !events.iter().any(|event| event.key == key) {
            return;
        }
        if listener.take(&mut reactor.sources().borrow_mut(), reactor.poller()) == 0 {
            // A wakeup whose deliveries an earlier take already counted.
            return;
        }
        for (_, slot) in &mut self.slots {
            if slot.exit.is_some() {
                continue;
            }
            // `waitpid` fails only with `ECHILD` (an exit too) or `EINTR`
            // (retried) for a pid of ours; anything else leaves it running.
            if let Ok(Reaped::Exited(exit)) = try_reap(slot.pid) {
                slot.exit = Some(exit);
                to_wake.extend(slot.waker.take());
                if let Some(key) = slot.recheck.take() {
                    reactor.timers().borrow_mut().cancel(key);
                }
            }
        }
        self.orphans
            .retain(|orphan| matches!(try_reap(orphan.pid), Ok(Reaped::Running)));
        self.close_if_idle(reactor);
    }

    /// The loop's end (the module docs, "When the loop ends").
    pub(crate) fn release(&mut self, reactor: &Reactor) {
        debug_assert!(self.slots.is_empty(), "a Child outlived its reactor");
        let deadline = sync::now() + KILLED_GRACE;
        loop {
            self.orphans
                .retain(|orphan| matches!(try_reap(orphan.pid), Ok(Reaped::Running)));
            let Some(listener) = &self.listener else {
                break;
            };
            if !self.orphans.iter().any(|orphan| orphan.killed)
                || !wait_readable(listener.as_fd(), deadline)
            {
                break;
            }
            listener.take(&mut reactor.sources().borrow_mut(), reactor.poller());
        }
        // The rest are let go, as std lets go of a dropped child.
        self.orphans.clear();
        self.close_if_idle(reactor);
    }

    /// Whether the list holds a subscription, for tests.
    #[cfg(test)]
    pub(crate) fn is_listening(&self) -> bool {
        self.listener.is_some()
    }
}

// ===== asking without reaping =====

/// Whether `pid`, a child of this loop that the loop has not reaped, was
/// reaped by other code: `waitid(P_PID, pid, WEXITED | WNOHANG |
/// WNOWAIT)`, which reports a running or exited child and reaps nothing.
#[cfg(not(target_os = "openbsd"))]
fn is_reaped_elsewhere(pid: Pid) -> io::Result<bool> {
    use rustix::io::Errno;
    use rustix::process::{WaitId, WaitIdOptions};

    let options = WaitIdOptions::EXITED | WaitIdOptions::NOHANG | WaitIdOptions::NOWAIT;
    loop {
        return match rustix::process::waitid(WaitId::Pid(pid), options) {
            Ok(_) => Ok(false),
            Err(Errno::CHILD) => Ok(true),
            Err(Errno::INTR) => continue,
            Err(errno) => Err(errno.into()),
        };
    }
}

/// OpenBSD has no `waitid`: the child is taken to be there, and only the
/// loop's own reap refuses a signal.
#[cfg(target_os = "openbsd")]
fn is_reaped_elsewhere(_pid: Pid) -> io::Result<bool> {
    Ok(false)
}
