//! `tether-bridge`: everything tether's threads share, and nothing else.
//!
//! tether runs every task on one loop thread, but lets any thread hand that
//! loop work and wake its tasks. The state those threads touch together is
//! small, and all of it lives here, so that it can be read in one place and
//! checked in one place: every type in this crate is written against
//! [`sync`], and `loom-tests/` runs each protocol but the counters under
//! loom, which tries every interleaving of its threads within each model's
//! bound.
//!
//! | module | what crosses threads | protocol |
//! |--------|----------------------|----------|
//! | [`inject`] | items for the loop, and the wakeup of a sleeping loop | a buffer behind a mutex that the loop takes whole and never sleeps on, plus one state word (EMPTY / NOTIFIED / PARKED / PARKED_THREAD) |
//! | [`task_state`] | wakes, cancels and references of one task | one state word of flags and a reference count |
//! | [`completion`] | the outcome of work done for another thread | a mutex and a condition variable, callbacks run outside the lock |
//! | [`blocking`] | jobs for threads that may block | a queue, a thread count and chosen sleepers under one mutex |
//! | [`spread`] | each loop's live connections, capped, and the acceptors paused at the cap | a compare-exchange per count, wakes from the cap under one mutex |
//! | [`counter`] | the loop's statistics and levels, and task ids | one writer and relaxed readers; a relaxed `fetch_add` |
//! | [`signal`] | the subscriptions a signal handler wakes, and their counts | one word per slot: owner and in-flight count, decided by one read-modify-write; a mutex for installing and restoring |
//!
//! The crate knows nothing of the reactor or of the executor: it is generic
//! over how the loop is woken ([`Notify`]), so that the loom models can
//! supply a fake wakeup that loom can see.
//!
//! Start reading at [`inject`]: its essay is the heart of the cross-thread
//! design. Where the bridge sits among tether's crates, and the rule it
//! keeps, is in `docs/design.md`.
//!
//! # Examples
//!
//! Work for a thread that may block, and its outcome taken on another
//! thread: the shape of the runtime's `spawn_blocking`.
//!
//! ```
//! use std::sync::Arc;
//! use std::time::Duration;
//! use tether_bridge::{BlockingPool, Completion, PoolConfig};
//!
//! let pool = BlockingPool::new(PoolConfig {
//!     max_threads: None,
//!     cpu_count: PoolConfig::std_cpu_count,
//!     keep_alive: Duration::from_secs(60),
//!     thread_name: "tether-blocking".into(),
//! });
//! let outcome = Arc::new(Completion::new());
//! let done = outcome.clone();
//! pool.spawn(Box::new(move || done.complete(6 * 7).unwrap())).unwrap();
//! assert_eq!(outcome.wait(), 42);
//! # let (queued, report) = pool.shutdown(Duration::from_secs(10));
//! # assert!(queued.is_empty());
//! # assert_eq!(report.still_running, 0);
//! ```

#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![doc(test(attr(deny(warnings))))]

pub mod blocking;
pub mod closed;
pub mod completion;
pub mod counter;
pub mod inject;
pub mod notify;
pub mod signal;
pub mod spread;
pub mod sync;
pub mod task_state;

// The examples' stand-in for the reactor's wakeup; not part of the API
// (`test_double.rs` says why it is public at all).
#[cfg(not(loom))]
#[doc(hidden)]
pub mod test_double;

// The checker's crate: loom's and shuttle's modules have the same paths,
// so `sync` names either through this one, and so do the expansions of
// `sync::const_thread_local!` and `sync::process_static!` in the crates
// that use them.
#[cfg(loom)]
#[doc(hidden)]
pub use loom as __checker;
#[cfg(shuttle)]
#[doc(hidden)]
pub use shuttle as __checker;

pub use blocking::{BlockingPool, Job, PoolConfig, ShutdownReport};
pub use closed::Closed;
pub use completion::Completion;
pub use counter::{Counter, Gauge, Sequence};
pub use inject::{Inject, TransitionToParked};
pub use notify::Notify;
pub use spread::{Claim, Spread};
pub use task_state::{
    Initial, Snapshot, TaskState, TransitionToCancelled, TransitionToIdle, TransitionToRunning,
    TransitionToScheduled, TransitionToScheduledByVal, WakeFrom,
};
