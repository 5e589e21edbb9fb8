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
fn a_runtime_dropped_inside_another_loop_shuts_down_quietly() {
    tether::run(async {
        let inner = tether::Runtime::new().unwrap();
        inner.spawn(std::future::pending::<()>());
        drop(inner);
        tether::yield_now().await;
    });
}
