//! Misuse is refused loudly, with a message that says what to do instead.

use std::time::Duration;

#[test]
#[should_panic(
    expected = "cannot block_on or run_forever while a tether loop is already running \
                           on this thread; inside the loop, use tether::spawn"
)]
fn block_on_inside_a_running_loop_panics() {
    tether::run(async {
        tether::Runtime::new().unwrap().block_on(async {});
    });
}

#[test]
#[should_panic(
    expected = "tether::spawn called on a thread with no running tether loop; call it \
                           from inside Runtime::block_on"
)]
fn spawn_on_a_thread_with_no_loop_panics() {
    tether::spawn(async {});
}

#[test]
#[should_panic(expected = "tether::call_soon called on a thread with no running tether loop")]
fn call_soon_on_a_thread_with_no_loop_panics() {
    let _ = tether::call_soon(|| {});
}

#[test]
#[should_panic(expected = "a Sleep was polled outside a tether loop")]
fn polling_a_sleep_outside_a_loop_panics() {
    let mut sleep = std::pin::pin!(tether::time::sleep(Duration::from_secs(1)));
    let _ = std::future::Future::poll(
        sleep.as_mut(),
        &mut std::task::Context::from_waker(std::task::Waker::noop()),
    );
}

#[test]
fn a_loop_on_another_thread_does_not_count() {
    // Each thread has its own loop: running one inside another thread's
    // task is fine.
    tether::run(async {
        let inner = std::thread::spawn(|| tether::run(async { 3 }))
            .join()
            .unwrap();
        assert_eq!(inner, 3);
    });
}

#[test]
fn a_destructor_run_by_a_shutdown_inside_another_loop_cannot_start_a_loop() {
    use std::cell::Cell;
    use std::rc::Rc;

    /// Tries to run a loop when dropped, and records whether it was refused.
    struct TriesToRun(Rc<Cell<Option<bool>>>);
    impl Drop for TriesToRun {
        fn drop(&mut self) {
            let ran = std::panic::catch_unwind(|| tether::run(async {}));
            self.0.set(Some(ran.is_err()));
        }
    }
    let refused = Rc::new(Cell::new(None));
    let seen = refused.clone();
    tether::run(async move {
        let inner = tether::Runtime::new().unwrap();
        let guard = TriesToRun(seen);
        inner.spawn(async move {
            let _guard = guard;
            std::future::pending::<()>().await;
        });
        // The outer loop is still running while the inner one shuts down.
        drop(inner);
    });
    assert_eq!(refused.get(), Some(true));
}

#[test]
fn a_runtime_dropped_inside_another_loop_shuts_down_quietly() {
    tether::run(async {
        let inner = tether::Runtime::new().unwrap();
        inner.spawn(std::future::pending::<()>());
        drop(inner);
        tether::yield_now().await;
    });
}

/// A waker whose owner panics when woken: the panic is reported to the
/// loop's exception handler, not let through the loop, and the outputs
/// still reach their `JoinHandle` and `ThreadFuture`.
#[test]
fn a_waker_that_panics_when_woken_is_reported_not_let_through_the_loop() {
    use std::cell::Cell;
    use std::future::Future;
    use std::pin::pin;
    use std::rc::Rc;
    use std::sync::Arc;
    use std::task::{Context, Wake, Waker};

    struct PanicsOnWake;
    impl Wake for PanicsOnWake {
        fn wake(self: Arc<Self>) {
            panic!("a waker that panics");
        }
    }
    let reported = Rc::new(Cell::new(0));
    let rt = tether::Runtime::builder()
        .on_exception({
            let reported = reported.clone();
            move |_| reported.set(reported.get() + 1)
        })
        .build()
        .unwrap();
    let waker = Waker::from(Arc::new(PanicsOnWake));
    let mut cx = Context::from_waker(&waker);
    // A task's JoinHandle, and the ThreadFuture of a task submitted from
    // outside the loop, each polled once with that waker.
    let mut joined = pin!(rt.spawn(async { 1 }));
    assert!(joined.as_mut().poll(&mut cx).is_pending());
    let mut remote = rt.handle().spawn(async { 2 }).unwrap();
    assert!(std::pin::Pin::new(&mut remote).poll(&mut cx).is_pending());
    // Both tasks run and complete here, and wake the waker.
    rt.block_on(tether::yield_now());
    assert_eq!(reported.get(), 2);
    assert_eq!(rt.block_on(joined).unwrap(), 1);
    assert_eq!(remote.wait().unwrap(), 2);
}
