//! `tether-reactor`: when can something proceed.
//!
//! The part of tether that talks to the operating system, and knows nothing
//! of tasks: it keeps [`Waker`](std::task::Waker)s and wakes them when the
//! thing they wait for happens.
//!
//! | module | what it answers |
//! |--------|-----------------|
//! | [`reactor`] | the poller, the sources and the timers; a `react` when the loop must wait, or poll while busy |
//! | [`source`] | "is this fd readable / writable yet?" for a registered fd |
//! | `source_table` | what the reactor records about each registered fd, and why no readiness is lost |
//! | [`wakeup`] | how another thread ends the loop's sleep in the poller |
//! | `timer` | the hierarchical timer wheel, and how instants become ticks |
//! | [`time`] | `sleep`, `timeout`, `interval`, `SendSleep`: the public face of the timers |
//! | `async_fd` | [`Async<T>`](Async): any fd, driven by the reactor |
//! | [`net`] | TCP, UDP and Unix sockets, built on `Async` (the `net` feature, which `tether` turns on by default) |
//! | `process` | child processes: spawn, pipes, exits, signals (the `process` feature, off by default) |
//! | `signal` | Unix signals as futures (the `signal` feature, which `process` turns on): the handler, `sigaction`, and a wakeup fd per subscription, the reactor's own among them |
//!
//! The executor owns one [`Reactor`] per loop and makes it current on the
//! loop thread ([`Reactor::enter`]). The time types find it there when
//! they are polled, so they can be created outside the loop and awaited
//! inside it (a `Sleep` on the thread that made it: it is not `Send`);
//! the I/O types find it when they register their fd (in `Async::new`, or
//! in the first poll of an async constructor such as `TcpStream::connect`),
//! which must happen inside the loop.
//!
//! ```
//! use std::time::Duration;
//!
//! use tether_reactor::Reactor;
//!
//! // Made outside any loop: a sleep touches no reactor until polled.
//! let nap = tether::time::sleep(Duration::from_millis(1));
//! tether::run(async {
//!     assert!(Reactor::current().is_some());
//!     nap.await;
//! });
//! assert!(Reactor::current().is_none());
//! ```
//!
//! # Dependencies
//!
//! `polling` (the portable poller: epoll, kqueue, event ports, `poll(2)`),
//! `slab` (the source table and the wheel's entries), `rustix` (already in
//! the tree through `polling`: the Linux wakeup's eventfd, the affinity
//! mask that [`process_cpu_count`] reads, and with the `net` feature the
//! socket calls std lacks, such as a non-blocking connect), and with the
//! `futures`
//! feature `futures-core` and `futures-io` (`Stream` for
//! [`time::Interval`], `AsyncRead` and `AsyncWrite` for [`Async`] and the
//! stream sockets). The `process` feature adds rustix's `process` calls
//! (`pidfd_open`, `waitpid`, `waitid`) and `libc`, for what neither std
//! nor rustix's stable API offers: reading and clearing a thread's signal
//! mask (`process/signal_mask.rs`), and sending a signal, real-time ones
//! included (`kill`, and `pidfd_send_signal` through `syscall`:
//! `process/watch/`); and it turns the `signal` feature on, for the loops
//! that watch their children through `SIGCHLD`.
//! `tether-bridge`, tether's own, holds what the reactor shares with other
//! threads: the blocking pool and completion cell of a host-name lookup
//! (`net/addr.rs`), and with the `signal` feature the table the signal
//! handler shares with the loops. With the `signal` feature, also `libc`
//! (`sigaction`, which neither std nor rustix offers on a libc target, and
//! `errno`).
//!
//! # Unsafe code
//!
//! One promise needs `unsafe`: that a registered file descriptor stays open
//! until it is removed from the poller. [`source::Registration::new`] is
//! `unsafe` because its caller makes that promise ([`Async`] makes it by
//! owning the fd and dropping the registration first); it passes the
//! promise on to the source table's `insert`, and the table's four places
//! that borrow the fd back from its number rely on it. The wakeup's eventfd
//! makes the same promise for its own fd. Besides that promise,
//! `reactor.rs` keeps the current reactor as a raw pointer from
//! `Rc::into_raw`, and `time/timeout.rs` projects `Timeout`'s pin by hand;
//! each argues its own.
//!
//! The `process` feature adds three kinds. The reactor's list of orphaned
//! children registers their pidfds with the source table itself, keeping
//! the same promise (`process/watch/pidfd.rs`, the invariant on
//! `Orphan::pidfd`), as does the reactor's own subscription to `SIGCHLD`
//! for its wakeup fd (`signal/listener.rs`, the invariant on
//! `Listener::pair`). `Command::pre_exec` passes std's `unsafe` hook
//! through, with std's obligations, and tether installs one hook of its
//! own, which empties the child's signal mask; that hook, and the reading
//! of the loop thread's mask, are calls into `libc`
//! (`process/signal_mask.rs`), as is the sending of a signal
//! (`process/watch/`).
//!
//! With the `signal` feature, `signal/handler.rs` has the rest: the
//! handler borrows a subscriber's fd by its number, which the signal table
//! keeps open for it, and installs itself with `sigaction`; that file's
//! docs argue each call. Everything else is safe code.

#![deny(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]
#![doc(test(attr(deny(warnings))))]

mod async_fd;
mod cpu;
#[cfg(feature = "net")]
pub mod net;
#[cfg(feature = "process")]
pub mod process;
pub mod reactor;
#[cfg(feature = "signal")]
pub mod signal;
pub mod source;
mod source_table;
pub mod time;
mod timer;
pub mod wakeup;

pub use async_fd::Async;
pub use cpu::process_cpu_count;
pub use reactor::{BUDGET, Deadline, EnterGuard, Reactor};
pub use source::{Direction, Readiness, Registration};
pub use wakeup::Wakeup;
