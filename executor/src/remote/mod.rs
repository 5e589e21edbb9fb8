//! What other threads hold: a loop seen from outside it, and the results
//! of work that crosses threads.
//!
//! - `handle`: [`Handle`], which any thread may hold to submit callbacks
//!   and futures to a loop, stop it, or read its dump and metrics;
//! - `thread_future`: [`ThreadFuture`], the result of a task submitted
//!   from another thread or of a blocking job, waited for or awaited on
//!   any thread;
//! - `blocking`: [`spawn_blocking`], which hands a closure to the blocking
//!   pool's threads;
//! - `completer`: [`Completer`], the completing half of a `ThreadFuture`
//!   that code on any thread sets.
//!
//! Other threads reach the loop only through its shared half
//! (`core::Shared`), whose cross-thread state is `tether_bridge`'s; the
//! loop's own state is the loop thread's alone. On the loop's own thread,
//! inside the loop, `Handle::stop` and `Handle::dump` act on the current
//! `Core` directly (`core::with_core`). This layer imports `core`, `task`,
//! `observe` and `id`.

mod blocking;
mod completer;
mod handle;
mod thread_future;

pub(crate) use blocking::runs_a_job_of;
pub use blocking::spawn_blocking;
pub use completer::Completer;
pub use handle::{BlockOnError, Handle};
pub use thread_future::ThreadFuture;
