//! Owning a loop: on this thread ([`Runtime`], [`run`]) or on a thread of
//! its own ([`LoopThread`]), configured by a [`Builder`]; and owning many,
//! one per core ([`LoopPool`], in `pool/`).
//!
//! A `Runtime` owns the loop core and runs it when asked (`block_on`,
//! `run_forever`); dropping it shuts the loop down. A `LoopThread` is a
//! `Runtime` running `run_forever` on a thread it starts, and stops and
//! joins that thread when it is stopped or dropped.
//!
//! `LoopThread` is reached from other threads, but it lives here, beside
//! the `Runtime` it runs, rather than in `remote`: it builds and runs a
//! `Runtime`, and a `Runtime` hands out `Handle`s, so `remote` must sit
//! below both. This layer imports `remote`, `core`, `task`, `observe`
//! and `id`.

mod builder;
mod loop_thread;
mod pool;
#[expect(
    clippy::module_inception,
    reason = "the folder is the layer, `runtime.rs` the type it is named after"
)]
mod runtime;

pub use builder::Builder;
pub use loop_thread::{LoopThread, LoopThreadBuilder};
pub use pool::{LoopPool, LoopPoolBuilder, LoopReport, LoopState, StopReport};
#[cfg(feature = "net")]
pub use pool::{Server, Spreading};
pub use runtime::{Runtime, run};
