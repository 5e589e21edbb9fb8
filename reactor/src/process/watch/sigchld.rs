//! The SIGCHLD backend: its shape, written down; not wired yet.
//!
//! Where `pidfd_open` does not exist or is refused (Linux before 5.3, a
//! seccomp filter that returns `ENOSYS` or `EPERM`, any OS but Linux), a
//! loop can still learn of its children's exits without a thread per
//! child: the kernel sends the process `SIGCHLD` whenever a child changes
//! state. This is tokio's fallback and libuv's only way.
//!
//! # What it will do
//!
//! 1. **Learn of `SIGCHLD` on the loop.** The signal module (`signal`
//!    feature, another part of tether) turns a signal into readiness of a
//!    source in the reactor. The reactor, not a task, must see it, as it
//!    sees its orphans' pidfds (`pidfd.rs`, "Orphans"): the hook is a key
//!    the reactor recognizes after its dispatch.
//! 2. **Re-check each child the loop owns, by pid.** A `SIGCHLD` says that
//!    some child changed state, not which one, and several exits may fold
//!    into one signal. So on each one, the loop runs `waitpid(pid,
//!    WNOHANG)` for every child it spawned and has not reaped: the live
//!    `Child`ren, each in a slot of a list in the reactor's `Children`
//!    (its pid and the waker of the task awaiting it), and the orphans.
//!    A child found exited keeps its status in its slot and its waker is
//!    woken; an orphan found exited is gone. Never `waitpid(-1)`
//!    (`watch/mod.rs`). The cost is one `waitpid` per owned child per
//!    signal, as in tokio.
//! 3. **No exit between the spawn and the slot is lost**: the slot is
//!    filled before the first `waitpid` of the child, so a `SIGCHLD` that
//!    came earlier is covered by that first call, which `poll_exit` makes
//!    before it ever waits.
//! 4. **Signals by pid, never after the reap**: `kill(pid, signal)` while
//!    the slot holds no status. Until this loop reaps the child no other
//!    process can have its pid, so the signal reaches the child; once it
//!    has reaped it, the slot holds the status and `Child` refuses, as it
//!    does with a pidfd.
//! 5. **The probe selects it** on `ENOSYS`, `EPERM` or `EACCES` from
//!    `pidfd_open` (`Backend::probe`, already written), and tests force it
//!    through `Children::force_backend`.
//!
//! # What stands in its place
//!
//! [`SigchldWatch`] has no values, so no child can be watched this way,
//! and [`not_wired`] is the error every spawn on such a loop returns,
//! before it forks.

use std::io;

/// A child watched through `SIGCHLD`: once wired, the index of its slot in
/// the reactor's list of children (pid, waker, status once reaped). It has
/// no values until then.
#[derive(Debug)]
pub(crate) enum SigchldWatch {}

/// The error a spawn returns when the probe chose this backend.
pub(crate) fn not_wired() -> io::Error {
    io::Error::new(
        io::ErrorKind::Unsupported,
        "tether cannot watch child processes here: pidfd_open is missing or \
         refused (Linux before 5.3, a seccomp filter, or not Linux), and the \
         SIGCHLD fallback is not wired yet; nothing was spawned",
    )
}
