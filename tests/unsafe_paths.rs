//! Every path through the task code's `unsafe` (`executor/src/task/raw.rs`;
//! the executor's other, the callback slot of `core/remote_call.rs`, is
//! driven by that file's own unit tests), through the pin projection of the reactor's `Timeout`
//! (`reactor/src/time/timeout.rs`), and through the thread-local pointers
//! to the current loop and reactor (`executor/src/core/context.rs`,
//! `reactor/src/reactor.rs`), in tests that never block in the poller, so
//! that Miri can run them.
//!
//! `scripts/miri.sh` runs this file under Miri with Stacked Borrows and with
//! Tree Borrows; a plain `cargo test` runs it too. Most tests name the
//! pieces of `raw.rs` they drive. None of them sleeps in the reactor (Miri
//! has no `timerfd_create` or `ppoll`): every task here is woken by
//! something that already happened, so the loop always has a task to run
//! or an injected item to drain.

mod support;

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::thread;

use support::WakerSlot;
use tether::{Closed, Runtime};

/// Counts its drops; lets a test see that an output or a future was freed.
#[derive(Clone, Default)]
struct Drops(Arc<Mutex<usize>>);

impl Drops {
    fn token(&self) -> DropToken {
        DropToken(self.0.clone())
    }

    fn count(&self) -> usize {
        *self.0.lock().unwrap()
    }
}

struct DropToken(Arc<Mutex<usize>>);

impl Drop for DropToken {
    fn drop(&mut self) {
        *self.0.lock().unwrap() += 1;
    }
}

/// Pending once, after doing `first` with its waker; ready the next time.
struct OnceThen<F> {
    first: Option<F>,
}

impl<F: FnOnce(&Waker) + Unpin> Future for OnceThen<F> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        match self.first.take() {
            Some(first) => {
                first(cx.waker());
                Poll::Pending
            }
            None => Poll::Ready(()),
        }
    }
}

fn once_then<F: FnOnce(&Waker) + Unpin>(first: F) -> OnceThen<F> {
    OnceThen { first: Some(first) }
}

/// `allocate`, the `poll` entry, `take_output`, and the last release by the
/// loop (`dealloc`).
#[test]
fn a_local_task_is_allocated_polled_joined_and_freed() {
    let out = tether::run(async {
        let task = tether::spawn(async { vec![1, 2, 3] });
        task.await.unwrap()
    });
    assert_eq!(out, [1, 2, 3]);
}

/// `drop_output`: a `JoinHandle` dropped after the task finished drops the
/// output it never took; one dropped before leaves the run to drop it.
#[test]
fn an_output_nobody_takes_is_dropped_once() {
    let drops = Drops::default();
    let inner = drops.clone();
    tether::run(async move {
        let finished_first = tether::spawn({
            let token = inner.token();
            async move { token }
        });
        tether::yield_now().await;
        assert!(finished_first.is_finished());
        drop(finished_first);
        assert_eq!(inner.count(), 1);

        let dropped_first = tether::spawn({
            let token = inner.token();
            async move { token }
        });
        drop(dropped_first);
        tether::yield_now().await;
        assert_eq!(inner.count(), 2);
    });
    assert_eq!(drops.count(), 2);
}

/// The waker vtable: `waker_clone`, `waker_wake_by_ref`, `waker_wake` and
/// `waker_drop`, and the borrowed waker of a run, all on the loop thread.
#[test]
fn wakers_are_cloned_woken_and_dropped_on_the_loop_thread() {
    tether::run(async {
        let task = tether::spawn(once_then(|waker: &Waker| {
            let a = waker.clone();
            let b = a.clone();
            let c = waker.clone();
            assert!(a.will_wake(waker));
            a.wake_by_ref();
            b.wake();
            drop(c);
            drop(a);
        }));
        task.await.unwrap();
    });
}

/// A wake from another thread: `waker_wake` off the loop thread pushes the
/// task into the injection queue, and the loop takes it from there.
#[test]
fn a_waker_woken_on_another_thread_brings_the_task_back() {
    tether::run(async {
        let task = tether::spawn(once_then(|waker: &Waker| {
            let waker = waker.clone();
            thread::spawn(move || waker.wake()).join().unwrap();
        }));
        task.await.unwrap();
    });
}

/// The last reference is a waker, dropped on another thread after the loop
/// is gone: the allocation is freed there (`raw.rs` rule 5), and a wake of
/// a task whose loop is closed is handed back and released.
#[test]
fn a_waker_can_outlive_its_loop_and_free_the_task_elsewhere() {
    let kept: Arc<Mutex<Option<Waker>>> = Arc::default();
    let keep = kept.clone();
    tether::run(async move {
        tether::spawn(once_then(move |waker: &Waker| {
            *keep.lock().unwrap() = Some(waker.clone());
            waker.wake_by_ref();
        }))
        .await
        .unwrap();
    });
    let waker = kept.lock().unwrap().take().unwrap();
    let twin = waker.clone();
    thread::spawn(move || {
        twin.wake_by_ref();
        twin.wake();
        drop(waker);
    })
    .join()
    .unwrap();
}

/// `cancel` entry: a cancelled task's future is dropped through the
/// vtable, before its first poll and at a suspension point.
#[test]
fn cancel_drops_the_future_in_place() {
    let drops = Drops::default();
    let inner = drops.clone();
    tether::run(async move {
        let token = inner.token();
        let never_polled = tether::spawn(async move {
            let _token = token;
            unreachable!("cancelled before its first poll");
        });
        assert!(never_polled.cancel());
        assert!(never_polled.await.unwrap_err().is_cancelled());
        assert_eq!(inner.count(), 1);

        let slot = WakerSlot::default();
        let token = inner.token();
        let waiting = tether::spawn({
            let slot = slot.clone();
            async move {
                let _token = token;
                slot.wait().await;
            }
        });
        tether::yield_now().await;
        assert!(slot.has_waiter());
        assert!(waiting.cancel());
        assert!(waiting.await.unwrap_err().is_cancelled());
        assert_eq!(inner.count(), 2);
    });
}

/// A panic in a poll is caught, and its payload goes through
/// `take_output` to the `JoinHandle`.
#[test]
fn a_panic_payload_travels_through_the_output() {
    let err = tether::run(async { tether::spawn(async { std::panic::panic_any(42u32) }).await })
        .unwrap_err();
    assert!(err.is_panicked());
    assert_eq!(err.into_panic().downcast_ref::<u32>(), Some(&42));
}

/// `allocate_send`: a task made on another thread, sent through the
/// injection queue, whose output goes to a sink.
#[test]
fn a_task_made_on_another_thread_delivers_to_its_thread_future() {
    let rt = Runtime::new().unwrap();
    let handle = rt.handle();
    let work = thread::spawn(move || handle.spawn(async { 6 * 7 }).unwrap())
        .join()
        .unwrap();
    assert_eq!(rt.block_on(work).unwrap(), 42);
}

/// `allocate_maker`: a future that is not `Send`, built on the loop thread
/// from a closure that crossed over.
#[test]
fn spawn_with_builds_its_future_on_the_loop_thread() {
    let rt = Runtime::new().unwrap();
    let handle = rt.handle();
    let work = thread::spawn(move || {
        handle
            .spawn_with(|| {
                let local = Rc::new(Cell::new(5));
                async move {
                    tether::yield_now().await;
                    local.get() * 2
                }
            })
            .unwrap()
    })
    .join()
    .unwrap();
    assert_eq!(rt.block_on(work).unwrap(), 10);
}

/// `ThreadFuture::cancel` from another thread, before the loop has taken
/// the task: the loop drops the future unpolled.
#[test]
fn a_task_cancelled_from_another_thread_is_dropped_unpolled() {
    let rt = Runtime::new().unwrap();
    let handle = rt.handle();
    let drops = Drops::default();
    let token = drops.token();
    let work = thread::spawn(move || {
        let work = handle
            .spawn(async move {
                let _token = token;
                unreachable!("cancelled before its first poll");
            })
            .unwrap();
        assert!(work.cancel());
        work
    })
    .join()
    .unwrap();
    assert!(rt.block_on(work).unwrap_err().is_cancelled());
    assert_eq!(drops.count(), 1);
}

/// `Unsubmitted` and `reclaim`: a closed loop refuses a submission, and the
/// submitter gets back exactly what it sent, future or closure, which it
/// can still use.
#[test]
fn a_closed_loop_hands_every_submission_back() {
    let rt = Runtime::new().unwrap();
    let handle = rt.handle();
    drop(rt);
    thread::spawn(move || {
        let drops = Drops::default();
        let token = drops.token();
        let Err(Closed(future)) = handle.spawn(async move {
            let _token = token;
            7
        }) else {
            panic!("a closed loop accepted a task");
        };
        assert_eq!(drops.count(), 0, "the future was dropped, not handed back");
        assert_eq!(tether::run(future), 7);
        assert_eq!(drops.count(), 1);

        let Err(Closed(make)) = handle.spawn_with(|| async { 8 }) else {
            panic!("a closed loop accepted a task");
        };
        assert_eq!(tether::run(make()), 8);

        let called = Drops::default();
        let token = called.token();
        let Err(Closed(callback)) = handle.call_soon(move || drop(token)) else {
            panic!("a closed loop accepted a callback");
        };
        assert_eq!(called.count(), 0);
        callback();
        assert_eq!(called.count(), 1);
    })
    .join()
    .unwrap();
}

/// A callback on the loop is a task (`Call` in a task cell); one from
/// another thread is a `RemoteCall` in the injection queue and the ready
/// queue (its closure kept in place when it fits two words, boxed
/// otherwise). Both run, in their FIFO order.
#[test]
fn callbacks_run_on_the_loop_and_from_another_thread() {
    let rt = Runtime::new().unwrap();
    let handle = rt.handle();
    let ran = Arc::new(Mutex::new(Vec::new()));
    let remote = ran.clone();
    thread::spawn(move || {
        handle
            .call_soon(move || remote.lock().unwrap().push("remote"))
            .unwrap();
    })
    .join()
    .unwrap();
    let local = ran.clone();
    rt.block_on(async move {
        tether::call_soon(move || local.lock().unwrap().push("local"));
        tether::yield_now().await;
    });
    assert_eq!(*ran.lock().unwrap(), ["remote", "local"]);
}

/// Shutdown drops the future of every task still pending, on the loop
/// thread, including one that was never polled.
#[test]
fn shutdown_drops_every_pending_future_in_place() {
    let drops = Drops::default();
    let rt = Runtime::new().unwrap();
    let slot = WakerSlot::default();
    rt.block_on({
        let (drops, slot) = (drops.clone(), slot.clone());
        async move {
            let token = drops.token();
            let slot_in_task = slot.clone();
            tether::spawn(async move {
                let _token = token;
                slot_in_task.wait().await;
            });
            tether::yield_now().await;
            assert!(slot.has_waiter());
            let token = drops.token();
            tether::spawn(async move {
                let _token = token;
            });
        }
    });
    assert_eq!(drops.count(), 0);
    drop(rt);
    assert_eq!(drops.count(), 2);
    // The parked task's waker, still in the slot, now wakes nothing.
    slot.fire();
}

/// `Timeout`'s pin projection (`reactor/src/time/timeout.rs`): a future
/// that borrows from itself across a suspension (so it is `!Unpin`) is
/// polled in place inside the `Timeout`, its timer armed meanwhile (a
/// wheel entry, no system call), and dropped where it lies, once, both
/// when it finishes first and when the `Timeout` is dropped unfinished.
#[test]
fn a_timeout_polls_and_drops_its_future_in_place() {
    use std::pin::pin;
    use std::time::Duration;

    let drops = Drops::default();
    let inner = drops.clone();
    tether::run(async move {
        let token = inner.token();
        let finished = tether::time::timeout(Duration::from_secs(10), async move {
            let token = token;
            let borrowed = &token;
            tether::yield_now().await;
            std::hint::black_box(borrowed);
            7
        });
        assert_eq!(finished.await, Ok(7));
        assert_eq!(inner.count(), 1);

        let token = inner.token();
        let mut unfinished = pin!(tether::time::timeout(Duration::from_secs(10), async move {
            let token = token;
            let borrowed = &token;
            std::future::pending::<()>().await;
            std::hint::black_box(borrowed);
        }));
        let waker = Waker::noop();
        let polled = unfinished.as_mut().poll(&mut Context::from_waker(waker));
        assert!(polled.is_pending());
        assert_eq!(inner.count(), 1);
    });
    assert_eq!(
        drops.count(),
        2,
        "the unfinished future was dropped in place"
    );
}

/// The current loop's and reactor's thread-locals
/// (`executor/src/core/context.rs`, `reactor/src/reactor.rs`): raw
/// pointers that each own a strong reference. A runtime dropped inside
/// another's `block_on` makes its loop and reactor current for its
/// shutdown and gives the outer ones back; nested reactor guards restore each other;
/// and when every guard is gone, every reference the slots took is
/// released (Miri reports a leak otherwise).
#[test]
fn the_current_loop_and_reactor_are_restored_and_released() {
    use tether_reactor::Reactor;

    let outer = Runtime::new().unwrap();
    outer.block_on(async {
        let before = Reactor::current().expect("the loop's reactor is current");
        // Its shutdown drops a task it never ran, with its own loop current.
        let inner = Runtime::new().unwrap();
        let waiting = inner.handle().spawn(std::future::pending::<()>());
        drop(inner);
        drop(waiting);
        let after = Reactor::current().expect("the outer reactor is back");
        assert!(Rc::ptr_eq(&before, &after));
        assert_eq!(tether::spawn(async { 7 }).await.unwrap(), 7);
    });
    drop(outer);
    assert!(Reactor::current().is_none());

    let (first, second) = (Reactor::new().unwrap(), Reactor::new().unwrap());
    let first_guard = first.enter();
    let second_guard = second.enter();
    assert_eq!(Rc::strong_count(&first), 2, "the second guard holds it");
    assert!(Rc::ptr_eq(&Reactor::current().unwrap(), &second));
    drop(second_guard);
    assert!(Rc::ptr_eq(&Reactor::current().unwrap(), &first));
    assert_eq!(Rc::strong_count(&second), 1, "the slot let it go");
    drop(first_guard);
    assert!(Reactor::current().is_none());
    assert_eq!(Rc::strong_count(&first), 1, "the slot let it go");
}
