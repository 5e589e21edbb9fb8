//! The signal mask a child starts with.
//!
//! A blocked signal stays blocked across `fork` and `exec`: a child
//! started by a thread that blocks `SIGTERM` cannot be terminated until
//! it unblocks it, which most programs never do. std has let children
//! inherit the spawning thread's mask on purpose since 2022
//! (rust-lang/rust#101077: a program started with signals blocked, so
//! that everything it starts has them blocked too, should pass them on),
//! and spawns with `posix_spawn` where it can, which is faster than
//! `fork` and `exec` (the process module's "What spawning costs").
//!
//! tether keeps both when it can, and gives the child an empty mask when
//! the loop's thread blocks something: right before each spawn it reads
//! the thread's mask (one system call), and if any signal is blocked it
//! adds a hook to the `Command` (std's `pre_exec`) that empties the mask
//! in the child, between `fork` and `exec`. A hook makes std take the
//! `fork` path, so only spawns from a thread that blocks signals pay for
//! it. The hook stays on the `Command` (std has no way to take one back),
//! so its later spawns empty the mask too, whatever the thread's.
//!
//! So a program started with a signal blocked passes it on blocked to its
//! children unless its loop's thread blocks something, and a signal the
//! loop's thread blocks for its own reasons (a library that reads signals
//! from a `signalfd` must block them; tether's own signal module blocks
//! nothing, it installs a handler) never reaches a child blocked.

use std::io;
use std::mem::MaybeUninit;

/// The highest signal number `sigismember` is asked about: Linux's
/// `SIGRTMAX`. Elsewhere the numbers past the OS's last signal are
/// answered "no".
const LAST_SIGNAL: libc::c_int = 64;

/// Whether the calling thread blocks any signal.
pub(super) fn thread_blocks_signals() -> io::Result<bool> {
    // Zeroed, not left uninitialized: the C libraries ask the kernel for
    // the 8 bytes of signals it has, so the rest of glibc's and musl's
    // 128-byte `sigset_t` is not written.
    let mut mask = MaybeUninit::<libc::sigset_t>::zeroed();
    // SAFETY: with a null new set, `pthread_sigmask` only writes the
    // current mask to `mask`, which points to a `sigset_t`.
    let err =
        unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, std::ptr::null(), mask.as_mut_ptr()) };
    if err != 0 {
        return Err(io::Error::from_raw_os_error(err));
    }
    // SAFETY: zeroed, which is a valid `sigset_t` (plain integers), then
    // written by `pthread_sigmask` where it has signals to say.
    let mask = unsafe { mask.assume_init() };
    // SAFETY: `mask` is an initialized `sigset_t`; an out-of-range number
    // is answered with -1, which is not 1.
    Ok((1..=LAST_SIGNAL).any(|signal| unsafe { libc::sigismember(&mask, signal) } == 1))
}

/// Unblocks every signal: the hook a child runs between `fork` and
/// `exec`.
///
/// Calls only `sigemptyset` and `sigprocmask`, which POSIX lists as
/// async-signal-safe, and allocates nothing (an `io::Error` made from an
/// OS error code does not allocate), as code between `fork` and `exec`
/// must.
pub(super) fn unblock_all_in_child() -> io::Result<()> {
    let mut empty = MaybeUninit::<libc::sigset_t>::uninit();
    // SAFETY: `sigemptyset` initializes the `sigset_t` it is given.
    if unsafe { libc::sigemptyset(empty.as_mut_ptr()) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `empty` was initialized above; a null old set is allowed.
    let set = unsafe { libc::sigprocmask(libc::SIG_SETMASK, empty.as_ptr(), std::ptr::null_mut()) };
    if set != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}
