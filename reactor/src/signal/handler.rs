//! The signal handler, the table it reads, and `sigaction`.
//!
//! The handler is one C function for every signal tether handles. It
//! saves `errno`, hands the signal to the process's [`SignalTable`], whose
//! `deliver` counts the run and, for each subscription, counts the delivery
//! and calls [`wake`], which writes 8 bytes to the subscription's fd; then
//! it puts `errno` back. That is all it does: atomics and `write(2)`, both
//! async-signal-safe, no lock, no allocation, no wait
//! (`bridge/src/signal.rs`, rule 7).
//!
//! [`install`] and [`restore`] are the closures the table calls under its
//! mutex when a signal gets its first subscriber or loses its last one.
//! `install` keeps a program's choice to have the kernel reap its
//! children: over a `SIGCHLD` that is ignored, or handled with
//! `SA_NOCLDWAIT`, tether's handler gets `SA_NOCLDWAIT` (`mod.rs`,
//! "Flags").
//!
//! # Unsafe code
//!
//! Three kinds of calls here are `unsafe`, each for a reason of its own:
//!
//! - `BorrowedFd::borrow_raw` in [`wake`]: the fd must stay open while
//!   the handler writes it. The table promises it (rule 3: `unsubscribe`
//!   returns only once no handler can still wake the token), and
//!   [`Signal`](super::Signal) keeps its side: its fd closes only after its
//!   `unsubscribe` returned, and never while forgotten.
//! - `sigaction` and `sigemptyset`, and the zeroed `sigaction` they fill:
//!   foreign functions, given pointers to live structs; the handler they
//!   install is this file's `on_signal`, which is async-signal-safe.
//! - the `errno` location: a foreign function returning a pointer to this
//!   thread's `errno`, valid for the thread's life.

use std::io;
use std::mem;
use std::os::fd::{BorrowedFd, RawFd};
use std::ptr;

use libc::c_int;
use tether_bridge::signal::SignalTable;

/// How many subscriptions the process may hold at once: every
/// [`Signal`](super::Signal) and every `add_signal_handler` takes one, on
/// any loop. Each costs 16 bytes of the table, and each run of the
/// handler looks at every slot (one load each, for the free ones). Under a
/// model checker, four: each of those loads would be a step the checker
/// schedules.
pub(super) const SLOTS: usize = if cfg!(any(loom, shuttle)) { 4 } else { 256 };

/// Signal numbers `1..SIGNALS` can be subscribed to: Linux's go up to 64
/// (`SIGRTMAX`), FreeBSD's to 126. Under a model checker, the classic ones
/// below 32 (each number is an atomic the checker makes per execution).
pub(super) const SIGNALS: usize = if cfg!(any(loom, shuttle)) { 32 } else { 128 };

tether_bridge::sync::process_static! {
    /// The subscriptions of this process, read by the handler (under a
    /// model checker, of this execution).
    pub(super) static TABLE: SignalTable<Disposition, SLOTS, SIGNALS> = SignalTable::new();
}

/// What a signal's handler was before tether installed its own: restored
/// when the signal's last subscriber leaves.
pub(super) struct Disposition(libc::sigaction);

/// The handler tether installs, for every signal it handles.
pub(super) extern "C" fn on_signal(signal: c_int) {
    // `write` may set errno, and the interrupted code may be about to read
    // the errno of its own last call.
    let errno = Errno::save();
    TABLE.deliver(signal, wake);
    errno.restore();
}

/// Wakes the subscription whose fd is `token`: one 8-byte write, which an
/// eventfd adds to its counter and a pipe buffers. A full pipe (or an
/// eventfd at 2^64 - 2) refuses it, and that is fine: the delivery is
/// counted in the table, and a full fd is readable, so its loop will come.
fn wake(token: u32) {
    // SAFETY: the fd is open for the whole borrow (see the module's
    // "Unsafe code": the table's rule 3, and `Signal`'s drop order).
    let fd = unsafe { BorrowedFd::borrow_raw(token as RawFd) };
    let _ = rustix::io::write(fd, &1u64.to_ne_bytes());
}

/// Installs tether's handler for `signal`; returns what it replaced.
pub(super) fn install(signal: c_int) -> io::Result<Disposition> {
    // SAFETY: `sigaction` is a C struct of integers, a signal set and (on
    // some systems) an optional function pointer: all zeroes is a valid
    // value of each.
    let mut action: libc::sigaction = unsafe { mem::zeroed() };
    action.sa_sigaction = on_signal as extern "C" fn(c_int) as libc::sighandler_t;
    // SA_RESTART: a system call that the handler interrupts on some thread
    // is restarted, not failed with EINTR, which much code does not retry
    // (the loop's own `epoll_wait` is never restarted, whatever the flag,
    // and `polling` retries it). No SA_SIGINFO: the handler takes only the
    // number. No SA_NODEFER: a signal is blocked on its thread while its
    // handler runs there.
    action.sa_flags = libc::SA_RESTART;
    // A program that ignores SIGCHLD has the kernel reap its children as
    // they exit; subscribing to the signal must not change that, or every
    // child of the program's other code would stay a zombie.
    if signal == libc::SIGCHLD && kernel_reaps_children() {
        action.sa_flags |= libc::SA_NOCLDWAIT;
    }
    // SAFETY: `sa_mask` is a live, writable signal set.
    unsafe { libc::sigemptyset(&mut action.sa_mask) };
    // SAFETY: as above: a valid value, to be overwritten.
    let mut previous: libc::sigaction = unsafe { mem::zeroed() };
    // SAFETY: both pointers are to live structs; the handler installed is
    // `on_signal`, which is async-signal-safe (the module's essay).
    if unsafe { libc::sigaction(signal, &action, &mut previous) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(Disposition(previous))
}

/// Whether the kernel reaps this process's children itself when they
/// exit, leaving no zombie: `SIGCHLD` is set to `SIG_IGN`, or its handler
/// was installed with `SA_NOCLDWAIT`.
fn kernel_reaps_children() -> bool {
    // SAFETY: as in `install`.
    let mut current: libc::sigaction = unsafe { mem::zeroed() };
    // SAFETY: a null new action only reads the current one into a live
    // struct.
    if unsafe { libc::sigaction(libc::SIGCHLD, ptr::null(), &mut current) } != 0 {
        return false;
    }
    current.sa_sigaction == libc::SIG_IGN || current.sa_flags & libc::SA_NOCLDWAIT != 0
}

/// Puts `previous` back as the disposition of `signal`, unless something
/// other than tether replaced tether's handler meanwhile: then that one
/// stays, for it is what the program set last.
pub(super) fn restore(signal: c_int, previous: Disposition) {
    // SAFETY: as in `install`.
    let mut current: libc::sigaction = unsafe { mem::zeroed() };
    // SAFETY: a null new action only reads the current one into a live
    // struct.
    if unsafe { libc::sigaction(signal, ptr::null(), &mut current) } != 0 {
        return;
    }
    if current.sa_sigaction != on_signal as extern "C" fn(c_int) as libc::sighandler_t {
        return;
    }
    // SAFETY: a live struct, which `install` received from the kernel.
    // This cannot fail for a signal whose handler could be installed, and
    // there is nobody to tell if it did: the subscription is gone.
    unsafe { libc::sigaction(signal, &previous.0, ptr::null_mut()) };
}

/// The errno of the interrupted code, kept across the handler.
struct Errno(c_int);

impl Errno {
    fn save() -> Self {
        // SAFETY: the location is this thread's errno, valid and aligned
        // while the thread lives.
        Self(unsafe { *errno_location() })
    }

    fn restore(self) {
        // SAFETY: as in `save`.
        unsafe { *errno_location() = self.0 };
    }
}

#[cfg(any(target_os = "linux", target_os = "redox", target_os = "hurd"))]
pub(super) fn errno_location() -> *mut c_int {
    // SAFETY: a foreign function with no precondition.
    unsafe { libc::__errno_location() }
}

#[cfg(any(target_os = "android", target_os = "netbsd", target_os = "openbsd"))]
pub(super) fn errno_location() -> *mut c_int {
    // SAFETY: a foreign function with no precondition.
    unsafe { libc::__errno() }
}

#[cfg(any(
    target_vendor = "apple",
    target_os = "freebsd",
    target_os = "dragonfly"
))]
pub(super) fn errno_location() -> *mut c_int {
    // SAFETY: a foreign function with no precondition.
    unsafe { libc::__error() }
}

#[cfg(any(target_os = "solaris", target_os = "illumos"))]
pub(super) fn errno_location() -> *mut c_int {
    // SAFETY: a foreign function with no precondition.
    unsafe { libc::___errno() }
}
