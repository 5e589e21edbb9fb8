//! Synchronization between the tasks of one loop.
//!
//! asyncio's `asyncio.Event`, `Queue`, `Semaphore` and `Lock`, for tasks
//! that all run on the same loop thread. Since only that thread touches
//! them, they need no atomics and no locks of their own: the state is in a
//! `RefCell`, and they are not `Sync`, so the compiler forbids sharing one
//! between threads (share one between tasks with an `Rc`). To talk to
//! other threads, use [`Handle`](crate::Handle) or a channel that is
//! `Send`.
//!
//! | tether | asyncio |
//! |--------|---------|
//! | [`Event`] | `asyncio.Event` |
//! | [`Queue`] | `asyncio.Queue` |
//! | [`Semaphore`] | `asyncio.Semaphore`, `BoundedSemaphore` |
//! | [`Mutex`] | `asyncio.Lock` |
//!
//! Each keeps the tasks waiting on it in lines of arrival order, first
//! come first served (`wait_list`; a `Queue` has one for getters, one for
//! putters and one for `join`), and each is cancellation-safe: a task dropped while it
//! waits never leaves another task waiting for a wakeup it swallowed (a
//! dropped `put` drops its item, as in asyncio).
//!
//! A [`Queue`] can be shut down, as asyncio's can since Python 3.13
//! (`Queue.shutdown`): `put` fails from then on and hands its item back,
//! and `get` fails once the items left are taken, so a consumer's loop
//! ends when its producer is done.
//!
//! # Examples
//!
//! ```
//! use std::rc::Rc;
//! use tether::sync::Queue;
//!
//! tether::run(async {
//!     let inbox = Rc::new(Queue::unbounded());
//!     let worker = tether::spawn({
//!         let inbox = inbox.clone();
//!         async move {
//!             let mut sum = 0;
//!             // Until the queue is shut down and drained.
//!             while let Ok(n) = inbox.get().await {
//!                 sum += n;
//!             }
//!             sum
//!         }
//!     });
//!     for n in [20, 22] {
//!         inbox.put(n).await.unwrap();
//!     }
//!     inbox.shutdown();
//!     assert_eq!(worker.await.unwrap(), 42);
//! });
//! ```

mod event;
mod mutex;
mod queue;
mod semaphore;
mod wait_list;

pub use event::{Event, Wait};
pub use mutex::{Mutex, MutexGuard};
pub use queue::{
    Get, GetError, Join, Put, PutError, Queue, TaskDoneError, TryGetError, TryPutError,
};
pub use semaphore::{Acquire, Semaphore, SemaphorePermit};
