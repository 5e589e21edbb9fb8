//! A statistic one thread writes and any thread reads.

use crate::sync::AtomicU64;
use crate::sync::Ordering::Relaxed;

/// A monotonic count with a single writer, readable from any thread.
///
/// The loop counts its iterations and polls here, so that a `Handle` on
/// another thread can report them. Since only the loop thread ever writes,
/// an increment is a plain load and store, not a read-modify-write: it costs
/// what a local variable costs, and loses nothing because nobody else
/// stores. Readers get some recent value (Relaxed): a statistic, never a
/// signal to synchronize on.
#[derive(Debug, Default)]
pub struct Counter(AtomicU64);

impl Counter {
    /// A counter at zero.
    pub fn new() -> Self {
        Self(AtomicU64::new(0))
    }

    /// Adds `n`. Only the counter's single writer may call this.
    #[inline]
    pub fn add(&self, n: u64) {
        self.0.store(self.0.load(Relaxed).wrapping_add(n), Relaxed);
    }

    /// The count, as of recently. Any thread.
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
#[derive(Debug)]
pub struct Sequence(AtomicU64);

impl Sequence {
    /// A sequence whose first number is `first`.
    pub fn starting_at(first: u64) -> Self {
        Self(AtomicU64::new(first))
    }

    /// The next number; never the same twice (until 2^64 numbers).
    #[inline]
    pub fn next(&self) -> u64 {
        self.0.fetch_add(1, Relaxed)
    }
}
