//! `Runtime::block_on`, `tether::run`, `run_forever` and `Handle::stop`.

mod support;

use std::cell::Cell;
use std::rc::Rc;
use std::thread;
use std::time::{Duration, Instant};

use support::Log;
use tether::{Handle, Runtime};

#[test]
fn run_returns_the_output_of_the_future() {
    assert_eq!(tether::run(async { 1 + 1 }), 2);
}

#[test]
fn state_survives_between_block_on_calls() {
    let rt = Runtime::new().unwrap();
    let flag = Rc::new(Cell::new(false));
    let set = flag.clone();
    // The first call spawns a task and returns before it finishes.
    #[expect(
        clippy::async_yields_async,
        reason = "the handle is awaited in a later block_on"
    )]
    let task = rt.block_on(async move {
        tether::spawn(async move {
            tether::time::sleep(Duration::from_millis(5)).await;
            set.set(true);
            "task output"
        })
    });
    assert!(!flag.get());
    // The second call keeps the loop going: the task finishes.
    assert_eq!(rt.block_on(task).unwrap(), "task output");
    assert!(flag.get());
    // And a callback scheduled in a third call runs in a fourth.
    let ran = Rc::new(Cell::new(false));
    let set = ran.clone();
    rt.block_on(async move {
        let _ = tether::call_later(Duration::from_millis(1), move || set.set(true));
    });
    rt.block_on(tether::time::sleep(Duration::from_millis(5)));
    assert!(ran.get());
}

#[test]
fn block_on_finishes_the_iteration_in_which_its_future_completes() {
    let rt = Runtime::new().unwrap();
    let after_main_ran = Rc::new(Cell::new(false));
    let flag = after_main_ran.clone();
    let mut polls = 0;
    rt.block_on(std::future::poll_fn(|cx| {
        polls += 1;
        if polls == 2 {
            return std::task::Poll::Ready(());
        }
        // A task that, one iteration later, wakes this future and then
        // queues another task behind it: both are in the same snapshot.
        let waker = cx.waker().clone();
        let flag = flag.clone();
        tether::spawn(async move {
            waker.wake();
            tether::spawn(async move { flag.set(true) });
        });
        std::task::Poll::Pending
    }));
    assert!(
        after_main_ran.get(),
        "block_on returned before finishing the iteration its future completed in"
    );
}

#[test]
fn run_forever_stops_when_another_thread_calls_stop() {
    let rt = Runtime::new().unwrap();
    let handle = rt.handle();
    let stopper = thread::spawn(move || {
        thread::sleep(Duration::from_millis(20));
        handle.stop();
    });
    let start = Instant::now();
    rt.run_forever();
    assert!(start.elapsed() >= Duration::from_millis(20));
    stopper.join().unwrap();
}

#[test]
fn stop_inside_the_loop_finishes_the_current_iteration() {
    let rt = Runtime::new().unwrap();
    let log = Log::default();
    let (a, b, c) = (log.clone(), log.clone(), log.clone());
    rt.spawn(async move {
        a.push("a: stop");
        Handle::current().stop();
    });
    rt.spawn(async move { b.push("b: same iteration") });
    rt.spawn(async move {
        tether::yield_now().await;
        c.push("c: next iteration");
    });
    rt.run_forever();
    assert_eq!(log.take(), ["a: stop", "b: same iteration"]);
    // The rest waits for the loop's next run.
    rt.block_on(tether::yield_now());
    assert_eq!(log.take(), ["c: next iteration"]);
}

#[test]
fn stop_before_run_forever_makes_it_return_after_one_iteration() {
    let rt = Runtime::new().unwrap();
    rt.handle().stop();
    let ran = Rc::new(Cell::new(false));
    let set = ran.clone();
    rt.spawn(async move { set.set(true) });
    rt.run_forever();
    assert!(ran.get());
}

#[test]
fn stop_does_not_end_block_on() {
    let rt = Runtime::new().unwrap();
    let out = rt.block_on(async {
        Handle::current().stop();
        tether::time::sleep(Duration::from_millis(2)).await;
        "finished"
    });
    assert_eq!(out, "finished");
}

#[test]
fn handle_is_send_sync_clone() {
    fn assert_traits<T: Send + Sync + Clone + 'static>() {}
    assert_traits::<Handle>();
}

#[test]
fn handle_reports_the_loop_closed_after_the_runtime_is_dropped() {
    let rt = Runtime::new().unwrap();
    let handle = rt.handle();
    assert!(!handle.is_closed());
    drop(rt);
    assert!(handle.is_closed());
    // Stopping a closed loop is harmless.
    handle.stop();
}
