//! Pinning a loop's thread to one CPU, where the OS allows it.
//!
//! A loop pinned to a core keeps its caches warm and never competes with
//! another loop for that core; it also cannot move away from a core that
//! something else keeps busy, which is why pinning is off by default
//! ([`LoopPoolBuilder::pin_to_cores`](crate::LoopPoolBuilder::pin_to_cores)).
//!
//! One file per backend, chosen here: `sched.rs` on Linux and Android
//! (`sched_setaffinity(2)`, through `rustix`), `unsupported.rs` elsewhere,
//! where asking for pinning is an `Unsupported` error when the pool is
//! built, never a silent no-op. Each provides:
//!
//! - `allowed_cpus()`: the CPUs this thread may run on, in order;
//! - `pin_current_thread(cpu)`: restricts this thread to `cpu`.

#[cfg(any(target_os = "linux", target_os = "android"))]
mod sched;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
mod unsupported;

#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) use sched::{allowed_cpus, pin_current_thread};
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub(crate) use unsupported::{allowed_cpus, pin_current_thread};
