//! What other threads hold: a loop seen from outside it, and the results
//! of work that crosses threads.
//!
//! - `handle`: [`Handle`], which any thread may hold to submit callbacks
//!   and futures to a loop, stop it, or read its dump and metrics;
//! - `thread_future`: [`ThreadFuture`], the result of a task submitted
//!   from another thread or of a blocking job, waited for or awaited on
//!   any thread;
//! - `blocking`: [`spawn_blocking`], which hands a closure to the blocking
//!   pool's threads.
//!
//! Everything here reaches the loop through its shared half
//! (`core::Shared`), never through the loop's own state, which only the
//! loop thread may touch; the state both sides touch is `tether_bridge`'s.
//! This layer imports `core`, `task`, `observe` and `id`.

mod blocking;
mod handle;
mod thread_future;

pub use blocking::spawn_blocking;
pub use handle::{BlockOnError, Handle};
pub use thread_future::ThreadFuture;
