//! What the loop's own thread calls: the functions that put work on the
//! loop running on this thread.
//!
//! - `spawn`: [`spawn()`], a task (asyncio's `create_task`);
//! - `task_builder`: [`TaskBuilder`], the same with a name, or onto a loop
//!   on another thread;
//! - `callback`: [`call_soon`], [`call_later`], [`call_at`], a closure run
//!   once, as a task;
//! - `yield_now`: [`yield_now()`], which lets the rest of the loop run;
//! - `current`: [`current()`], the task being polled;
//! - `signal_handler` (the `signal` feature): `add_signal_handler`,
//!   `remove_signal_handler`, a callback called at each delivery of a
//!   signal (asyncio's `loop.add_signal_handler`).
//!
//! `spawn`, `TaskBuilder::spawn` and the callbacks find the loop through
//! the thread-local current loop (`core/context.rs`), and panic, saying
//! what to do instead, on a thread where no loop runs; `yield_now` needs
//! no loop, and `TaskBuilder::spawn_on` goes through a `Handle`. This
//! layer imports `remote` (for `TaskBuilder::spawn_on`), `core`, `task`
//! and `id`.

mod callback;
mod current;
#[cfg(feature = "signal")]
mod signal_handler;
mod spawn;
mod task_builder;
mod yield_now;

pub use callback::{CallbackHandle, call_at, call_later, call_soon};
pub use current::{CurrentTask, current};
#[cfg(feature = "signal")]
pub use signal_handler::{add_signal_handler, remove_signal_handler};
pub use spawn::spawn;
pub(crate) use spawn::{spawn_here, spawn_named_here, spawn_polled_here};
pub use task_builder::TaskBuilder;
pub use yield_now::{YieldNow, yield_now};
