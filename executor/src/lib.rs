//! `tether-executor`: who runs next.
//!
//! The loop itself: tasks, the FIFO ready queue, one iteration of the loop,
//! the [`Runtime`] that owns it and the [`Handle`] other threads hold. It
//! runs on the loop thread and touches state shared with other threads only
//! through `tether-bridge`.
//!
//! | module | what it holds |
//! |--------|---------------|
//! | `run_loop` | one iteration (the six steps), `block_on`, `run_forever` |
//! | `core` | the loop's thread-local state: spawning, the task list, shutdown |
//! | `ready_queue` | the FIFO of tasks to run |
//! | `task` | a task's life: wake, run, complete; `raw` is its allocation |
//! | `context` | the thread-local current loop |
//! | `debug`, `dump` | debug mode's slow-run reports; the task dump |
//! | `shared` | the part of a loop other threads reach |
//! | [`runtime`], [`builder`], [`handle`] | the public types |
//! | [`callback`], [`spawn()`], [`yield_now()`] | the public functions |
//!
//! Start with `run_loop`: its drawing is the loop.
//!
//! # Examples
//!
//! The pieces, through the `tether` facade that re-exports them: a
//! [`Runtime`] runs the loop on this thread, and another thread reaches it
//! through a [`Handle`].
//!
//! ```
//! # fn main() -> std::io::Result<()> {
//! let rt = tether::Runtime::new()?;
//! let handle = rt.handle();
//! let other = std::thread::spawn(move || {
//!     let answer = handle.block_on(async { 6 * 7 }).unwrap();
//!     handle.stop();
//!     answer
//! });
//! rt.run_forever(); // until the other thread stops it
//! assert_eq!(other.join().unwrap(), 42);
//! # Ok(())
//! # }
//! ```
//!
//! # Unsafe code
//!
//! Only `task/raw.rs`: a task's header and future share one allocation, with
//! a hand-written waker vtable, which saves an allocation per spawn over an
//! `Arc<impl Wake>` plus a boxed future. Its module documentation lists the
//! rules every `SAFETY` comment there relies on.

#![deny(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]
#![doc(test(attr(deny(warnings))))]

mod blocking;
pub mod builder;
pub mod callback;
mod combinators;
mod context;
mod core;
mod debug;
mod dump;
mod exception;
mod group;
pub mod handle;
mod loop_thread;
mod metrics;
mod ready_queue;
mod run_loop;
pub mod runtime;
mod shared;
mod spawn;
pub mod sync;
mod task;
mod task_builder;
mod thread_future;
mod yield_now;

pub use blocking::spawn_blocking;
pub use builder::Builder;
pub use callback::{CallbackHandle, call_at, call_later, call_soon};
pub use combinators::{AsCompleted, as_completed, join_all, race, select};
pub use debug::SlowCallback;
pub use dump::{Dump, DumpError, TaskInfo, TaskStatus};
pub use exception::Exception;
pub use group::{Failure, GroupError, TaskGroup};
pub use handle::{BlockOnError, Handle};
pub use loop_thread::{LoopThread, LoopThreadBuilder};
pub use metrics::Metrics;
pub use runtime::{Runtime, run};
pub use spawn::spawn;
pub use task::{JoinError, JoinHandle, TaskId, TaskKind};
pub use task_builder::TaskBuilder;
pub use tether_bridge::Closed;
pub use thread_future::ThreadFuture;
pub use yield_now::{YieldNow, yield_now};
