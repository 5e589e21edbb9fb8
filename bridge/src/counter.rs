//! Numbers shared across threads: a statistic one thread writes and any
//! thread reads ([`Counter`]), and a source of unique numbers
//! ([`Sequence`]).
//!
//! # Examples
//!
//! ```
//! use std::sync::Arc;
//! use tether_bridge::counter::Counter;
//!
//! let polls = Arc::new(Counter::new());
//! let writer = {
//!     let polls = polls.clone();
//!     std::thread::spawn(move || (0..10).for_each(|_| polls.add(1)))
//! };
//! writer.join().unwrap();
//! assert_eq!(polls.get(), 10);
//! ```

use crate::sync::AtomicU64;
use crate::sync::Ordering::Relaxed;

/// A monotonic count with a single writer, readable from any thread.
///
/// The loop counts its iterations, polls and task runs here, so that a
/// `Handle` on another thread can report them. Since only the loop thread ever writes,
/// an increment is a plain load and store, not a read-modify-write: it costs
/// what a local variable costs, and loses nothing because nobody else
/// stores. Readers get some recent value (Relaxed): a statistic, never a
/// signal to synchronize on.
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
/// iterations.add(3);
/// let reader = {
///     let iterations = iterations.clone();
///     std::thread::spawn(move || iterations.get())
/// };
/// assert_eq!(reader.join().unwrap(), 3);
/// ```
#[derive(Debug, Default)]
pub struct Counter(AtomicU64);

impl Counter {
    /// A counter at zero.
    ///
    /// # Examples
    ///
    /// ```
    /// use tether_bridge::Counter;
    ///
    /// assert_eq!(Counter::new().get(), 0);
    /// assert_eq!(Counter::default().get(), 0);
    /// ```
    pub fn new() -> Self {
        Self(AtomicU64::new(0))
    }

    /// Adds `n`. Only the counter's single writer may call this.
    ///
    /// # Examples
    ///
    /// ```
    /// use tether_bridge::Counter;
    ///
    /// let polls = Counter::new();
    /// polls.add(2);
    /// polls.add(3);
    /// assert_eq!(polls.get(), 5);
    /// ```
    #[inline]
    pub fn add(&self, n: u64) {
        self.0.store(self.0.load(Relaxed).wrapping_add(n), Relaxed);
    }

    /// The count, as of recently. Any thread.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use tether_bridge::Counter;
    ///
    /// let polls = Arc::new(Counter::new());
    /// polls.add(1);
    /// let reader = {
    ///     let polls = polls.clone();
    ///     std::thread::spawn(move || polls.get())
    /// };
    /// assert_eq!(reader.join().unwrap(), 1);
    /// assert_eq!(polls.get(), 1);
    /// ```
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
    /// A sequence whose first number is `first`.
    ///
    /// # Examples
    ///
    /// ```
    /// use tether_bridge::Sequence;
    ///
    /// let ids = Sequence::starting_at(1);
    /// assert_eq!(ids.next(), 1);
    /// ```
    pub fn starting_at(first: u64) -> Self {
        Self(AtomicU64::new(first))
    }

    /// The next number; never the same twice (until 2^64 numbers).
    ///
    /// # Examples
    ///
    /// ```
    /// use tether_bridge::Sequence;
    ///
    /// let ids = Sequence::starting_at(5);
    /// assert_eq!([ids.next(), ids.next(), ids.next()], [5, 6, 7]);
    /// ```
    #[inline]
    pub fn next(&self) -> u64 {
        self.0.fetch_add(1, Relaxed)
    }
}
