//! `tether-reactor`: when can something proceed.
//!
//! The part of tether that talks to the operating system, and knows nothing
//! of tasks: it keeps [`Waker`](std::task::Waker)s and wakes them when the
//! thing they wait for happens.
//!
//! | module | what it answers |
//! |--------|-----------------|
//! | [`reactor`] | the poller and the table of sources; one `react` per loop iteration |
//! | [`source`] | "is this fd readable / writable yet?" for a registered fd |
//! | [`wakeup`] | how another thread ends the loop's sleep in the poller |
//! | `timer` | the hierarchical timer wheel, and how instants become ticks |
//! | [`time`] | `sleep`, `timeout`, `interval`: the public face of the timers |
//! | `async_fd` | [`Async<T>`](Async): any fd, driven by the reactor |
//! | [`net`] | TCP, UDP and Unix sockets, built on `Async` |
//!
//! The executor owns one [`Reactor`] per loop and makes it current on the
//! loop thread ([`Reactor::enter`]); the time and I/O types find it there on
//! their first poll, so they can be created anywhere and awaited inside the
//! loop.
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
//! `polling` (the portable poller: epoll, kqueue, event ports), `slab` (the
//! source table and the wheel's entries), with the `futures` feature
//! `futures-core` and `futures-io` (`Stream` for [`time::Interval`],
//! `AsyncRead` and `AsyncWrite` for [`Async`] and the stream sockets) and,
//! on Linux, `rustix` for the wakeup's eventfd (already in the tree through
//! `polling`).
//!
//! # Unsafe code
//!
//! One promise needs `unsafe`: that a registered file descriptor stays open
//! until it is removed from the poller ([`source::Registration::new`], the
//! two places that borrow the fd back from its number, and the wakeup's
//! eventfd). Everything else is safe code.

#![deny(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]
#![doc(test(attr(deny(warnings))))]

mod async_fd;
pub mod net;
pub mod reactor;
pub mod source;
pub mod time;
mod timer;
pub mod wakeup;

pub use async_fd::Async;
pub use reactor::{Deadline, EnterGuard, Reactor};
pub use source::{Direction, Readiness, Registration};
pub use wakeup::Wakeup;
