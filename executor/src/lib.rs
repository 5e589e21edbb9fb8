//! `tether-executor`: who runs next.
//!
//! The loop itself: tasks, the FIFO ready queue, one iteration of the loop,
//! the [`Runtime`] that owns it and the [`Handle`] other threads hold. It
//! runs on the loop thread and touches state shared with other threads only
//! through `tether-bridge`.
//!
//! The crate is laid out in layers, one folder each, from the bottom up;
//! each folder's `mod.rs` states its rule and what it may import, and
//! `docs/design.md` ("The executor's layers") draws the whole graph:
//!
//! | folder | what it holds |
//! |--------|---------------|
//! | `id.rs` | how a task is named: [`TaskId`], [`TaskKind`]; the leaf every layer may import |
//! | `observe/` | what the loop reports: the exception handler, debug mode, the task dump, the metrics; reads the loop, never steers it |
//! | `task/` | a task: its allocation and waker (`unsafe` code, in `task/raw.rs`), its wake, run and cancellation, [`JoinHandle`] |
//! | `core/` | the loop core: the iteration, the ready queue, the task list, shutdown, the thread-local current loop, and the half other threads reach, with a callback from another thread, whose closure is kept in place (`unsafe` code, in `core/remote_call.rs`) |
//! | `remote/` | what other threads hold: [`Handle`], [`ThreadFuture`], and [`spawn_blocking`], whose work runs on other threads |
//! | `runtime/` | owning a loop: [`Runtime`], [`Builder`], [`run`], [`LoopThread`]; owning many: [`LoopPool`] |
//! | `local/` | what the loop's own thread calls: [`spawn()`], [`TaskBuilder`], [`call_soon`], [`call_later`], [`call_at`], [`yield_now()`], and with the `signal` feature `add_signal_handler`, `remove_signal_handler` |
//! | `toolkit/` | built on the public API alone: [`TaskGroup`], [`join_all`], [`select`], [`race`], [`as_completed`], and the loop-local [`sync`] primitives |
//!
//! One import cycle is left, on purpose: `task/` and `core/` import each
//! other, because a task's waker must reach its loop (the ready queue, or
//! the injection queue in the loop's shared half) and the loop runs tasks.
//! `task/mod.rs` explains where it lives. Every other import points down
//! the table.
//!
//! Start with `core/run_loop.rs`: its drawing is the loop. Then
//! `task/mod.rs`, which traces a wake from another thread to the task's
//! next poll, hop by hop.
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
//! `task/raw.rs`: a task's header and future share one allocation, with a
//! hand-written waker vtable, which saves an allocation per spawn over an
//! `Arc<impl Wake>` plus a boxed future. Its module documentation lists the
//! rules every `SAFETY` comment there relies on. Besides it,
//! `core/remote_call.rs` keeps a callback's closure in place in an untyped
//! slot, and `core/context.rs` keeps the current loop as a raw pointer
//! from `Rc::into_raw`; each argues its own.

#![deny(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]
#![doc(test(attr(deny(warnings))))]

mod core;
mod id;
mod local;
mod observe;
mod remote;
mod runtime;
mod task;
mod toolkit;

pub use id::{TaskId, TaskKind};
pub use local::{
    CallbackHandle, CurrentTask, TaskBuilder, YieldNow, call_at, call_later, call_soon, current,
    spawn, yield_now,
};
#[cfg(feature = "signal")]
pub use local::{add_signal_handler, remove_signal_handler};
pub use observe::{Dump, DumpError, Exception, Metrics, SlowCallback, TaskInfo, TaskStatus};
pub use remote::{BlockOnError, Completer, Handle, ThreadFuture, spawn_blocking};
pub use runtime::{
    Builder, LoopPool, LoopPoolBuilder, LoopReport, LoopState, LoopThread, LoopThreadBuilder,
    Runtime, StopReport, run,
};
#[cfg(feature = "net")]
pub use runtime::{Server, Spreading};
pub use task::{JoinError, JoinHandle};
pub use tether_bridge::Closed;
pub use toolkit::{
    AsCompleted, Failure, GroupError, TaskGroup, as_completed, join_all, race, select, sync,
};
