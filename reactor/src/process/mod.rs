//! Child processes on the loop: spawn, pipes, exit, signals (the
//! `process` feature).
//!
//! asyncio's `create_subprocess_exec` and `create_subprocess_shell`, with
//! std's names:
//!
//! | tether | asyncio | what it is |
//! |--------|---------|------------|
//! | [`Command`] | the arguments of `create_subprocess_exec` | std's builder, every builder passed through, plus `kill_on_drop`; [`Command::shell`] for `create_subprocess_shell` |
//! | [`Command::spawn`] → [`Child`] | `await create_subprocess_exec(..)` → `Process` | a running child, watched by the loop |
//! | [`Child::wait`], [`Child::try_wait`] | `await proc.wait()`, `proc.returncode` | its exit, reaped |
//! | [`Child::kill`], [`terminate`](Child::terminate), [`send_signal`](Child::send_signal) | the same | signals, never after the reap |
//! | [`Command::output`], [`output_with_input`](Command::output_with_input), [`Child::communicate`] | `proc.communicate(input)` | all pipes at once, no deadlock |
//! | [`ChildStdin`], [`ChildStdout`], [`ChildStderr`] | `proc.stdin`, `stdout`, `stderr` | the pipes, read and written like tether's sockets |
//!
//! ```
//! use std::process::Stdio;
//!
//! use tether_reactor::process::Command;
//!
//! # fn main() -> std::io::Result<()> {
//! tether::run(async {
//!     // A pipeline, `printf | sort`, the second child fed by the first.
//!     let mut words = Command::new("printf")
//!         .arg("pear\\napple\\nfig\\n")
//!         .stdout(Stdio::piped())
//!         .spawn()?;
//!     let sorted = Command::new("sort")
//!         .stdin(Stdio::try_from(words.stdout.take().unwrap())?)
//!         .output()
//!         .await?;
//!     assert_eq!(sorted.stdout, b"apple\nfig\npear\n");
//!     assert!(words.wait().await?.success());
//!     Ok(())
//! })
//! # }
//! ```
//!
//! # A child's life, hop by hop
//!
//! | step | file, function | what happens |
//! |------|----------------|--------------|
//! | spawn | `command.rs`, `Command::spawn` | the loop's backend is probed (once per loop; on the SIGCHLD backend, the loop subscribes to `SIGCHLD` here if it has no child yet); if the thread blocks signals, a hook that empties the child's mask goes on the command; std's `spawn` runs `posix_spawn` (or `fork` and `exec`) and returns the pid and the pipes |
//! | watch | `child.rs`, `Child::watch`; `watch/pidfd.rs`, `PidfdWatch::open` | `pidfd_open(pid)`; the pidfd and each pipe are registered with the reactor, as sources |
//! | wait | `child.rs`, `Child::poll_wait`; `PidfdWatch::poll_exit` | `waitpid(pid, WNOHANG)`; while the child runs that is `WouldBlock`, and the task waits for the pidfd's readability, as a read waits for a socket's |
//! | exit | the kernel; `reactor.rs`, `Reactor::react` | the child exits, its pidfd turns readable, the poller reports it, the task is woken |
//! | reap | `PidfdWatch::poll_exit` again; `Child::settle` | `waitpid` returns the status; the `Child` keeps it and drops the pidfd, which leaves the poller and is closed |
//!
//! A `Child` dropped before the last two steps becomes an orphan: the
//! reactor itself takes the pidfd and does the last two steps when the
//! child exits (`watch/pidfd.rs`, "Orphans"). The steps are those of the
//! pidfd backend; the SIGCHLD backend's are in `watch/sigchld.rs`, "One
//! exit, hop by hop".
//!
//! # How the loop learns of an exit
//!
//! On Linux 5.3 and later, through the child's pidfd, a file descriptor
//! that turns readable when the process exits, registered with the reactor
//! like any socket: no thread per child, no signal handler. Where
//! `pidfd_open` is missing or refused (an older kernel, a seccomp filter,
//! another OS), the fallback is `SIGCHLD`, which the reactor hears through
//! a subscription of its own to the signal module (`signal/listener.rs`),
//! and then `waitpid(pid, WNOHANG)` for each child the loop owns: still no
//! thread and no task, at the price of one `waitpid` per owned child per
//! `SIGCHLD`, and of tether's `SIGCHLD` handler in the process while the
//! loop has children. `TETHER_PROCESS_WATCH=sigchld` in the environment
//! makes a loop take the fallback even where pidfds work, to run a program
//! (or its tests) as it would run there. The two backends, the one-time
//! probe that picks one, the variable, and why tether never calls
//! `waitpid(-1)`, are in `watch/mod.rs`; the pidfd backend in
//! `watch/pidfd.rs`; the fallback, and what it does when other code
//! handles or ignores `SIGCHLD`, in `watch/sigchld.rs`.
//!
//! # No pid is reused under tether's feet
//!
//! A pid names a process only until the process is reaped; after that the
//! kernel may give the number to a new process. Signalling by number after
//! the reap can kill a stranger, a race asyncio still has
//! (cpython#127049). tether rules it out in three ways:
//!
//! 1. A child of this loop is reaped only by `waitpid(pid, WNOHANG)` in
//!    `watch::try_reap`, called by its `Child` (`wait`, `try_wait`) while
//!    it is unreaped, by the orphan list once its `Child` is gone, or, on
//!    the SIGCHLD backend, by the re-check that each `SIGCHLD` starts. (One
//!    exception, before any `Child` exists: if the loop cannot watch a
//!    child it just spawned, `spawn` kills it and reaps it with std's
//!    blocking `wait`, which the `SIGKILL` keeps short, and returns the
//!    error.) The
//!    `Child` records the status and closes the pidfd in the same step
//!    (`Child::settle`); the re-check records it in the child's slot,
//!    where the `Child` looks before it gives out the pid or signals.
//!    Until the reap the pid cannot be reused: an exited child that nobody
//!    reaped stays a zombie and keeps its pid.
//! 2. Signals go through the pidfd, which names the process, not the
//!    number (`pidfd_send_signal`). The SIGCHLD backend has no pidfd and
//!    signals by pid, which rule 1 keeps the child's until the reap; it
//!    first asks, without reaping, whether other code reaped the child
//!    (`watch/sigchld.rs`, "Signals by pid, never after the reap").
//! 3. After the reap, [`Child::kill`] and its kind refuse with
//!    `InvalidInput`, and [`Child::id`] returns `None`.
//!
//! All of it happens on the loop thread (a `Child` is not `Send`), so
//! there is no interleaving to consider. What tether cannot rule out is
//! other code reaping its children (`waitpid(-1)`, `SIGCHLD` ignored):
//! `watch/mod.rs` says what happens then.
//!
//! # What a child inherits
//!
//! - **No file descriptor of the loop.** Every fd tether opens is
//!   close-on-exec: the poller (`epoll_create1(EPOLL_CLOEXEC)` in
//!   `polling`), its timerfd and notifier, the wakeup's eventfd
//!   (`EFD_CLOEXEC`), the eventfd of the SIGCHLD backend's subscription
//!   (`EFD_CLOEXEC`, in `signal/wake_fd.rs`), sockets (`SOCK_CLOEXEC`, in
//!   `net`), pidfds (always, says `pidfd_open(2)`), and the pipes std makes
//!   for a child
//!   (`pipe2(O_CLOEXEC)`, in std's Unix pipe code). Of tether's fds,
//!   only those given as the child's stdin, stdout and stderr cross the
//!   `exec`.
//! - **No blocked signal of the loop.** std leaves the child the spawning
//!   thread's signal mask (since 2022, rust-lang/rust#101077; its Unix
//!   spawn code says "Inherit the signal mask from the parent rather than
//!   resetting it", on both the `fork` and the `posix_spawn` path). tether
//!   empties the child's mask when the loop's thread blocks anything
//!   (`signal_mask.rs`).
//! - **`SIGPIPE` at its default.** Rust programs ignore `SIGPIPE`; std
//!   puts it back to the default in the child (`signal(SIGPIPE, SIG_DFL)`
//!   after `fork`, `POSIX_SPAWN_SETSIGDEF` with `posix_spawn`; not in a
//!   program built with nightly's `-Zon-broken-pipe`), so `yes | head`
//!   ends as a shell's would. Other signals the program set
//!   to `SIG_IGN` stay ignored across `exec`, as POSIX says; handlers are
//!   reset to the default by the `exec` itself.
//!
//! # Pipes, and `communicate`
//!
//! The pipes are registered with the reactor and read and written like
//! sockets; a pipe given to another child goes back to blocking mode
//! first (`pipe.rs`). [`Child::communicate`] moves input and output in one
//! future, so that a child writing as it reads cannot deadlock against its
//! parent (`exchange.rs`). A child whose pipes the parent dropped reads end
//! of file, or is killed by `SIGPIPE` when it writes (its `SIGPIPE` is at
//! the default); the loop never waits on a pipe, so neither blocks it.
//!
//! # What spawning costs
//!
//! `spawn` runs on the loop's thread and blocks it until the child has
//! called `exec` (std waits for that, so that an `exec` failure is the
//! spawn's error). Measured with `cargo bench --bench spawn --features
//! process` (1000 spawns of `true` per case, the median time of the
//! `spawn` call, on the 2-core machine of `benches/RESULTS.md`, three
//! runs):
//!
//! | how | spawn blocks the loop for |
//! |-----|---------------------------|
//! | std's `Command::spawn` alone (`posix_spawn`, a `vfork`) | 100 to 140 µs |
//! | tether's `spawn` (the same, plus `pidfd_open`, registrations, a read of the signal mask) | 100 to 140 µs |
//! | tether's, the loop's thread blocking a signal (`fork`, for the mask hook) | 240 to 290 µs |
//! | tether's, 1 GiB of the parent's memory resident, `posix_spawn` | 110 to 115 µs |
//! | tether's, 1 GiB resident, `fork` | about 40 ms |
//!
//! So spawning stays on the loop thread, as asyncio and tokio keep it. A
//! tenth of a millisecond is some fifty polls of the reactor that find
//! nothing (two microseconds each, `executor/src/core/run_loop.rs`), and
//! does not grow with the parent's size. Handing it to the blocking pool
//! would add a round trip between threads to each spawn (some 20 to 30 µs
//! for a `spawn_blocking` job, `benches/RESULTS.md`), make `spawn` a future,
//! and still leave the pidfd and the pipes to register on the loop; and
//! this crate, under the executor, has no pool to hand it to. The exception
//! is the `fork` path in a large process: std takes it for `pre_exec`,
//! `uid`, `gid`, a changed `PATH` with a bare program name, and tether for
//! its mask hook, and `fork` copies the page tables of the whole parent,
//! some 40 ms per GiB resident, during which the loop runs nothing. A
//! large program that spawns often keeps to the `posix_spawn` path: no
//! hook, no signal blocked on the loop's thread.
//!
//! On the SIGCHLD backend (the same benchmark with
//! `TETHER_PROCESS_WATCH=sigchld`), each of those spawns also subscribes
//! to `SIGCHLD`, since the loop has no other child then, and each reap
//! lets go of the subscription; the medians did not move past the noise
//! of a shared machine: a `spawn` of `true` blocked the loop for 102 to
//! 104 µs, and took 570 µs from spawn to reaped, against 104 to 109 µs
//! and 559 to 592 µs with pidfds (two runs of each).
//!
//! # Other systems
//!
//! Linux is the target, and the only system the tests run on. Elsewhere
//! there is no pidfd, and the probe picks the SIGCHLD backend, which asks
//! nothing of the OS that POSIX does not describe (`sigaction`, `waitpid`,
//! `waitid`, `kill`; on OpenBSD, which has no `waitid`, a signal is not
//! preceded by the check that other code did not reap the child). On
//! macOS and the BSDs a kqueue backend could do what the pidfd does, with
//! `EVFILT_PROC` (`polling::os::kqueue::Process`); `watch/no_pidfd.rs`
//! says how it would fit.

mod child;
mod command;
mod exchange;
mod pipe;
mod signal_mask;
mod watch;

pub use child::Child;
pub use command::Command;
pub use pipe::{ChildStderr, ChildStdin, ChildStdout};

pub(crate) use watch::Children;
