//! The toolkit: what asyncio users reach for next, built on the public API
//! alone.
//!
//! - `group`: [`TaskGroup`], structured concurrency (asyncio's
//!   `TaskGroup`);
//! - `combinators`: [`join_all`], [`select`], [`race`], [`as_completed`]
//!   (asyncio's `gather`, `wait`, `as_completed`);
//! - [`sync`]: [`Event`](sync::Event), [`Queue`](sync::Queue),
//!   [`Semaphore`](sync::Semaphore) and [`Mutex`](sync::Mutex) for the
//!   tasks of one loop.
//!
//! Nothing here touches the loop's internals: these modules import only
//! what the crate exports ([`spawn`](crate::spawn),
//! [`JoinHandle`](crate::JoinHandle), ...), so each is also an example of
//! what a user could build on tether.

mod combinators;
mod group;
pub mod sync;

pub use combinators::{AsCompleted, as_completed, join_all, race, select};
pub use group::{Failure, GroupError, TaskGroup};
