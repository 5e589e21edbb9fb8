//! `LoopThread`: a loop on its own thread, started, used and stopped.

use std::io;
use std::sync::{Arc, Mutex, mpsc};
use std::thread;
use std::time::Duration;

use tether::{LoopThread, Runtime};

#[test]
fn a_loop_thread_serves_then_stops_gracefully_running_its_stop_callbacks() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let worker = LoopThread::builder().name("worker-loop").spawn().unwrap();
    let name = worker
        .spawn(async { thread::current().name().map(str::to_owned) })
        .unwrap();
    assert_eq!(name.wait().unwrap().as_deref(), Some("worker-loop"));

    let record = log.clone();
    worker.on_stop(move || {
        record
            .lock()
            .unwrap()
            .push(format!("on_stop on {:?}", thread::current().name()))
    });
    let record = log.clone();
    worker
        .handle()
        .call_soon(move || record.lock().unwrap().push("callback".to_owned()))
        .unwrap();
    // A task that never ends is dropped by the shutdown, on the loop thread.
    let record = log.clone();
    struct OnDrop(Arc<Mutex<Vec<String>>>);
    impl Drop for OnDrop {
        fn drop(&mut self) {
            self.0
                .lock()
                .unwrap()
                .push(format!("task dropped on {:?}", thread::current().name()));
        }
    }
    let guard = OnDrop(record);
    let forever = worker
        .spawn(async move {
            let _guard = guard;
            std::future::pending::<()>().await;
        })
        .unwrap();
    let handle = worker.handle().clone();
    worker.stop();
    assert!(
        handle.is_closed(),
        "stop returned before the runtime shut down"
    );
    assert!(forever.wait().is_err());
    assert_eq!(
        *log.lock().unwrap(),
        [
            "callback",
            "on_stop on Some(\"worker-loop\")",
            "task dropped on Some(\"worker-loop\")",
        ]
    );
}

#[test]
fn dropping_a_loop_thread_stops_and_joins_it() {
    let worker = LoopThread::new().unwrap();
    let handle = worker.handle().clone();
    drop(worker);
    assert!(handle.is_closed());
}

#[test]
fn a_loop_thread_dropped_by_one_of_its_blocking_jobs_stops_without_waiting() {
    let worker = LoopThread::builder()
        .runtime(|| {
            Runtime::builder()
                .shutdown_timeout(Duration::from_secs(60))
                .build()
        })
        .spawn()
        .unwrap();
    let handle = worker.handle().clone();
    let (dropped, has_dropped) = mpsc::channel();
    // The job owns the loop thread and drops it: the loop's shutdown waits
    // for the job, so the job must not wait for the loop's thread.
    handle
        .spawn_with(move || async move {
            tether::spawn_blocking(move || {
                drop(worker);
                dropped.send(()).unwrap();
            })
            .detach();
        })
        .unwrap()
        .detach();
    assert!(
        has_dropped.recv_timeout(Duration::from_secs(10)).is_ok(),
        "the job and the loop waited for each other"
    );
    while !handle.is_closed() {
        thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn a_stop_callback_registered_after_shutdown_runs_at_once() {
    let worker = LoopThread::new().unwrap();
    // Stop the loop from inside, without joining: the LoopThread stays.
    worker
        .handle()
        .call_soon({
            let handle = worker.handle().clone();
            move || handle.stop()
        })
        .unwrap();
    while !worker.handle().is_closed() {
        thread::yield_now();
    }
    let ran_on = Arc::new(Mutex::new(None));
    let record = ran_on.clone();
    worker.on_stop(move || *record.lock().unwrap() = Some(thread::current().id()));
    assert_eq!(*ran_on.lock().unwrap(), Some(thread::current().id()));
}

#[test]
fn a_runtime_that_cannot_be_built_is_reported() {
    let err = LoopThread::builder()
        .runtime(|| -> io::Result<Runtime> { Err(io::Error::other("no runtime today")) })
        .spawn()
        .unwrap_err();
    assert_eq!(err.to_string(), "no runtime today");
}
