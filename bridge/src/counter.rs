//! Numbers shared across threads: a statistic one thread writes and any
//! thread reads, counted up ([`Counter`]) or set ([`Gauge`]), and a source
//! of unique numbers ([`Sequence`]).
//!
//! # Examples
//!
//! A loop thread counts its polls and numbers its tasks; another thread
//! reads the count, and numbers a task of its own.
//!
//! ```
//! use std::sync::Arc;
//! use tether_bridge::counter::{Counter, Sequence};
//!
//! let polls = Arc::new(Counter::new());
//! let ids = Arc::new(Sequence::starting_at(1));
//! let loop_thread = {
//!     let (polls, ids) = (polls.clone(), ids.clone());
//!     std::thread::spawn(move || {
//!         polls.add(10);
//!         ids.next()
//!     })
//! };
//! let loop_id = loop_thread.join().unwrap();
//! assert_eq!(polls.get(), 10);
//! let other_id = ids.next();
//! assert_ne!(loop_id, other_id);
//! ```

use crate::sync::AtomicU64;
use crate::sync::Ordering::Relaxed;

/// A monotonic count with a single writer, readable from any thread.
///
/// The loop counts its iterations, polls and task runs here, so that a
/// `Handle` on another thread can report them. Since only the loop thread
/// ever writes, an increment is a plain load and store, not a
/// read-modify-write: it costs what a plain variable in memory costs, and
/// loses nothing because nobody else stores. Readers get some recent value
/// (Relaxed): a statistic, never a signal to synchronize on.
///
/// # Examples
///
/// The loop thread writes; a thread holding a `Handle` reads.
///
/// ```
/// use std::sync::Arc;
/// use tether_bridge::Counter;
///
/// let iterations = Arc::new(Counter::new());
/// assert_eq!(iterations.get(), 0);
/// iterations.add(2);
/// iterations.add(1);
/// let reader = {
///     let iterations = iterations.clone();
///     std::thread::spawn(move || iterations.get())
/// };
/// assert_eq!(reader.join().unwrap(), 3);
/// ```
#[derive(Debug, Default)]
pub struct Counter(AtomicU64);

impl Counter {
    /// A counter at zero; shown in [`Counter`'s example](Counter#examples).
    pub fn new() -> Self {
        Self(AtomicU64::new(0))
    }

    /// Adds `n`; shown in [`Counter`'s example](Counter#examples). Only the
    /// counter's single writer may call this: two writers can lose each
    /// other's increments.
    #[inline]
    pub fn add(&self, n: u64) {
        self.0.store(self.0.load(Relaxed).wrapping_add(n), Relaxed);
    }

    /// The count, as of recently. Any thread. Shown in
    /// [`Counter`'s example](Counter#examples).
    #[inline]
    pub fn get(&self) -> u64 {
        self.0.load(Relaxed)
    }
}

/// A level with a single writer, readable from any thread: how many
/// tasks are live, how many wait in the ready queue.
///
/// Like [`Counter`], a statistic: the loop thread stores, any thread loads
/// some recent value (Relaxed), and nobody synchronizes on it.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use tether_bridge::Gauge;
///
/// let ready = Arc::new(Gauge::new());
/// ready.set(7);
/// ready.set(3); // levels go down as well as up
/// let reader = {
///     let ready = ready.clone();
///     std::thread::spawn(move || ready.get())
/// };
/// assert_eq!(reader.join().unwrap(), 3);
/// ```
#[derive(Debug, Default)]
pub struct Gauge(AtomicU64);

impl Gauge {
    /// A gauge at zero; shown in [`Gauge`'s example](Gauge#examples).
    pub fn new() -> Self {
        Self(AtomicU64::new(0))
    }

    /// Sets the level; only the gauge's single writer may call this.
    /// Shown in [`Gauge`'s example](Gauge#examples).
    #[inline]
    pub fn set(&self, level: u64) {
        self.0.store(level, Relaxed);
    }

    /// The level, as of recently. Any thread. Shown in
    /// [`Gauge`'s example](Gauge#examples).
    #[inline]
    pub fn get(&self) -> u64 {
        self.0.load(Relaxed)
    }
}

/// A source of unique numbers, for any number of threads.
///
/// Task ids come from here: tasks are created on the loop thread and on the
/// threads that submit to it. A relaxed `fetch_add` is enough: uniqueness
/// needs only the atomicity of the read-modify-write, not any ordering with
/// other memory.
///
/// # Examples
///
/// Two threads take a hundred numbers each; no number is taken twice.
///
/// ```
/// use std::collections::HashSet;
/// use std::sync::Arc;
/// use tether_bridge::Sequence;
///
/// let ids = Arc::new(Sequence::starting_at(1));
/// let takers: Vec<_> = (0..2)
///     .map(|_| {
///         let ids = ids.clone();
///         std::thread::spawn(move || (0..100).map(|_| ids.next()).collect::<Vec<_>>())
///     })
///     .collect();
/// let mut seen = HashSet::new();
/// for taker in takers {
///     seen.extend(taker.join().unwrap());
/// }
/// assert_eq!(seen.len(), 200);
/// assert_eq!(seen.iter().min(), Some(&1));
/// assert_eq!(seen.iter().max(), Some(&200));
/// ```
#[derive(Debug)]
pub struct Sequence(AtomicU64);

impl Sequence {
    /// A sequence whose first number is `first`; shown in
    /// [`Sequence`'s example](Sequence#examples).
    pub fn starting_at(first: u64) -> Self {
        Self(AtomicU64::new(first))
    }

    /// The next number, one more than the last; never the same twice (until
    /// 2^64 numbers, when it wraps around). Shown in
    /// [`Sequence`'s example](Sequence#examples).
    #[inline]
    pub fn next(&self) -> u64 {
        self.0.fetch_add(1, Relaxed)
    }
}
