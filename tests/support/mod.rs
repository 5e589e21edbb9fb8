//! Helpers shared by the integration tests.

#![allow(
    dead_code,
    unreachable_pub,
    reason = "each test file uses a different subset"
)]

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::thread::{self, ThreadId};
use std::time::Duration;

/// An ordered log of events, shared by the tasks of one test.
#[derive(Clone, Default)]
pub struct Log(Rc<RefCell<Vec<String>>>);

impl Log {
    pub fn push(&self, event: impl Into<String>) {
        self.0.borrow_mut().push(event.into());
    }

    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.borrow_mut())
    }
}

/// A future that never completes, and records the thread that drops it.
pub struct RecordsDrop {
    pub dropped_on: Arc<Mutex<Vec<ThreadId>>>,
}

impl Future for RecordsDrop {
    type Output = ();

    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        Poll::Pending
    }
}

impl Drop for RecordsDrop {
    fn drop(&mut self) {
        self.dropped_on.lock().unwrap().push(thread::current().id());
    }
}

/// A slot a task waits on: `wait` completes once `fire` was called, from
/// any thread; `fire` also wakes the waker the waiting task left in it.
#[derive(Clone, Default)]
pub struct WakerSlot(Arc<Mutex<(Option<Waker>, bool)>>);

impl WakerSlot {
    /// Waits until `fire` was called.
    pub fn wait(&self) -> impl Future<Output = ()> + '_ {
        std::future::poll_fn(move |cx| {
            let mut slot = self.0.lock().unwrap();
            if slot.1 {
                return Poll::Ready(());
            }
            slot.0 = Some(cx.waker().clone());
            Poll::Pending
        })
    }

    /// Marks the slot fired and wakes its waiter, if any.
    pub fn fire(&self) {
        let waker = {
            let mut slot = self.0.lock().unwrap();
            slot.1 = true;
            slot.0.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    pub fn has_waiter(&self) -> bool {
        self.0.lock().unwrap().0.is_some()
    }
}

/// Fails the test instead of hanging it if `future` takes over 10 s.
pub async fn within_10s<F: Future>(future: F) -> F::Output {
    tether::time::timeout(Duration::from_secs(10), future)
        .await
        .expect("the test future did not finish within 10 s")
}

/// Polls `future` once, with the calling task's waker, and says what it
/// gave: for tests that need a waiter to stand in a line without waiting.
pub async fn poll_once<F: Future>(mut future: Pin<&mut F>) -> Poll<F::Output> {
    std::future::poll_fn(|cx| Poll::Ready(future.as_mut().poll(cx))).await
}

/// Set when the value it guards is dropped: put one in a task's future to
/// see whether the future was dropped (a finished or cancelled task).
#[derive(Clone, Default)]
pub struct Dropped(Rc<std::cell::Cell<bool>>);

impl Dropped {
    /// A guard that sets the flag when dropped.
    pub fn guard(&self) -> DropGuard {
        DropGuard(self.clone())
    }

    pub fn get(&self) -> bool {
        self.0.get()
    }
}

/// See [`Dropped`].
pub struct DropGuard(Dropped);

impl Drop for DropGuard {
    fn drop(&mut self) {
        self.0.0.set(true);
    }
}

/// The path of a compiled example of this package, built first (in the
/// debug profile, with `features` of this package). Built every time, not
/// only when missing: an example that needs a feature is not built by
/// `cargo test` itself, and a binary left from an earlier build may be
/// stale. When it is fresh, cargo only checks.
pub fn example(name: &str, features: &[&str]) -> std::path::PathBuf {
    let dir = std::env::current_exe()
        .unwrap()
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("examples");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = std::process::Command::new(cargo)
        .args(["build", "--example", name])
        .args(features.iter().flat_map(|feature| ["--features", feature]))
        .status()
        .unwrap();
    assert!(status.success(), "could not build the example {name}");
    dir.join(name)
}

/// Waits, on this thread, until `done` holds, for at most five seconds;
/// `what` names it in the failure.
pub fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while !done() {
        assert!(std::time::Instant::now() < deadline, "still not: {what}");
        thread::sleep(Duration::from_millis(1));
    }
}

/// Blocks loop `index`'s thread until the returned sender is used (or
/// dropped); returns once the blocking task runs.
pub fn block_loop(pool: &tether::LoopPool, index: usize) -> std::sync::mpsc::Sender<()> {
    let (release, held) = std::sync::mpsc::channel::<()>();
    let (started, blocking) = std::sync::mpsc::channel();
    let blocker = pool.spawn_on(index, move || async move {
        started.send(()).unwrap();
        let _ = held.recv();
    });
    blocker.unwrap().detach();
    blocking.recv().unwrap();
    release
}
