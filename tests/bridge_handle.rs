//! Submitting to a loop from other threads: `Handle` and `ThreadFuture`.

use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::thread;
use std::time::Duration;

use tether::{BlockOnError, Closed, JoinError, LoopThread, Runtime};

/// The id of the thread a loop runs on.
fn loop_thread_id(worker: &LoopThread) -> thread::ThreadId {
    worker
        .spawn(async { thread::current().id() })
        .unwrap()
        .wait()
        .unwrap()
}

#[test]
fn callbacks_from_each_thread_run_in_submission_order() {
    let worker = LoopThread::new().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let submitters: Vec<_> = (0..2)
        .map(|t| {
            let (handle, seen) = (worker.handle().clone(), seen.clone());
            thread::spawn(move || {
                for i in 0..1000 {
                    let seen = seen.clone();
                    handle
                        .call_soon(move || seen.lock().unwrap().push((t, i)))
                        .unwrap();
                }
            })
        })
        .collect();
    for submitter in submitters {
        submitter.join().unwrap();
    }
    worker.stop();
    let seen = seen.lock().unwrap();
    for t in 0..2 {
        let order: Vec<_> = seen
            .iter()
            .filter(|(s, _)| *s == t)
            .map(|(_, i)| *i)
            .collect();
        assert_eq!(
            order,
            (0..1000).collect::<Vec<_>>(),
            "thread {t}'s callbacks out of order"
        );
    }
}

/// A callback from another thread is no task, but it keeps its FIFO place
/// among the spawns of the same thread.
#[test]
fn callbacks_and_spawns_from_one_thread_run_in_submission_order() {
    let worker = LoopThread::new().unwrap();
    let handle = worker.handle().clone();
    let seen = Arc::new(Mutex::new(Vec::new()));
    for i in 0..300 {
        let seen = seen.clone();
        if i % 3 == 0 {
            drop(handle.spawn(async move { seen.lock().unwrap().push(i) }));
        } else {
            handle
                .call_soon(move || seen.lock().unwrap().push(i))
                .unwrap();
        }
    }
    worker.stop();
    assert_eq!(*seen.lock().unwrap(), (0..300).collect::<Vec<_>>());
}

/// A wake from another thread keeps its FIFO place among that thread's
/// submissions even when it finds the task in the middle of a poll: the
/// task's next run comes before a callback the thread submits after it.
#[test]
fn a_wake_from_another_thread_during_a_poll_runs_the_task_before_its_later_callback() {
    let rt = Runtime::new().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (log, handle) = (seen.clone(), rt.handle());
    let mut polls = 0;
    let task = std::future::poll_fn(move |cx| {
        polls += 1;
        log.lock().unwrap().push(format!("poll {polls}"));
        if polls > 1 {
            return Poll::Ready(());
        }
        // Another thread wakes the task while this poll runs, then submits
        // a callback; the poll waits for both.
        let (waker, log, handle) = (cx.waker().clone(), log.clone(), handle.clone());
        thread::spawn(move || {
            waker.wake();
            let callback = move || log.lock().unwrap().push("callback".to_owned());
            handle.call_soon(callback).unwrap();
        })
        .join()
        .unwrap();
        Poll::Pending
    });
    rt.block_on(async {
        tether::spawn(task).await.unwrap();
        tether::yield_now().await;
    });
    assert_eq!(*seen.lock().unwrap(), ["poll 1", "poll 2", "callback"]);
}

/// A cancel from another thread keeps its place too: the future of a task
/// cancelled in the middle of a poll is dropped before a callback the
/// cancelling thread submits after the cancel.
#[test]
fn a_cancel_from_another_thread_during_a_poll_drops_the_future_before_its_later_callback() {
    struct Logged(Arc<Mutex<Vec<&'static str>>>);
    impl Drop for Logged {
        fn drop(&mut self) {
            self.0.lock().unwrap().push("dropped");
        }
    }
    let rt = Runtime::new().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let slot = Arc::new(Mutex::new(None));
    let (logged, log, handle, task) = (
        Logged(seen.clone()),
        seen.clone(),
        rt.handle(),
        slot.clone(),
    );
    let future = std::future::poll_fn(move |_| {
        let _keep = &logged;
        log.lock().unwrap().push("poll");
        // Another thread cancels the task while this poll runs, then
        // submits a callback; the poll waits for both.
        let (log, handle, task) = (log.clone(), handle.clone(), task.clone());
        thread::spawn(move || {
            let task: tether::ThreadFuture<()> = task.lock().unwrap().take().unwrap();
            assert!(task.cancel());
            let callback = move || log.lock().unwrap().push("callback");
            handle.call_soon(callback).unwrap();
        })
        .join()
        .unwrap();
        Poll::<()>::Pending
    });
    *slot.lock().unwrap() = Some(rt.handle().spawn(future).unwrap());
    rt.block_on(async {
        while seen.lock().unwrap().len() < 3 {
            tether::yield_now().await;
        }
    });
    assert_eq!(*seen.lock().unwrap(), ["poll", "dropped", "callback"]);
}

/// A wake from another thread during the poll that completes the task
/// leaves an entry for a task that is gone: the loop drops it, and does
/// not count it as a run.
#[test]
fn the_entry_a_wake_left_for_a_completed_task_is_not_a_run() {
    fn runs(woken_from_afar: bool) -> u64 {
        let rt = Runtime::new().unwrap();
        let handle = rt.handle();
        let task = handle
            .spawn(std::future::poll_fn(move |cx| {
                if woken_from_afar {
                    let waker = cx.waker().clone();
                    thread::spawn(move || waker.wake()).join().unwrap();
                }
                Poll::Ready(())
            }))
            .unwrap();
        rt.block_on(async {
            task.await.unwrap();
            // One more iteration, in which the entry is taken.
            tether::yield_now().await;
        });
        handle.metrics().runs
    }
    assert_eq!(runs(true), runs(false));
}

#[test]
fn a_closed_loop_hands_the_closure_or_the_future_back() {
    let rt = Runtime::new().unwrap();
    let handle = rt.handle();
    drop(rt);
    let ran = Arc::new(Mutex::new(false));
    let flag = ran.clone();
    let Err(Closed(f)) = handle.call_soon(move || *flag.lock().unwrap() = true) else {
        panic!("a closed loop accepted a callback");
    };
    assert!(!*ran.lock().unwrap());
    // The very closure: calling it here runs it.
    f();
    assert!(*ran.lock().unwrap());
    let Err(Closed(future)) = handle.spawn(async { 5 }) else {
        panic!("a closed loop accepted a future");
    };
    assert_eq!(futures_lite::future::block_on(future), 5);
    let Err(Closed(make)) = handle.spawn_with(|| async { 6 }) else {
        panic!("a closed loop accepted a maker");
    };
    assert_eq!(futures_lite::future::block_on(make()), 6);
    assert!(matches!(
        handle.block_on(async { 7 }),
        Err(BlockOnError::Closed(_))
    ));
}

#[test]
fn spawn_delivers_the_output_to_the_waiting_thread() {
    let worker = LoopThread::new().unwrap();
    // tether's timers belong to their loop (they are not Send): a future
    // that sleeps is built there, with spawn_with.
    let task = worker
        .handle()
        .spawn_with(|| async {
            tether::time::sleep(Duration::from_millis(2)).await;
            "from the loop"
        })
        .unwrap();
    assert!(!task.is_done());
    assert_eq!(task.wait().unwrap(), "from the loop");
}

#[test]
fn a_timed_wait_leaves_the_task_running() {
    let worker = LoopThread::new().unwrap();
    let task = worker
        .handle()
        .spawn_with(|| async {
            tether::time::sleep(Duration::from_millis(100)).await;
            1
        })
        .unwrap();
    let task = task
        .wait_timeout(Duration::from_millis(5))
        .expect_err("finished too early");
    assert!(!task.is_done());
    // Waiting again gets the result.
    assert_eq!(
        task.wait_timeout(Duration::from_secs(5)).unwrap().unwrap(),
        1
    );
}

#[test]
fn cancel_reaches_the_task_on_its_loop() {
    struct Recorder(Arc<Mutex<Option<thread::ThreadId>>>);
    impl Drop for Recorder {
        fn drop(&mut self) {
            *self.0.lock().unwrap() = Some(thread::current().id());
        }
    }
    let worker = LoopThread::new().unwrap();
    let loop_thread = loop_thread_id(&worker);
    let dropped_on = Arc::new(Mutex::new(None));
    let recorder = Recorder(dropped_on.clone());
    let task = worker
        .spawn(async move {
            let _recorder = recorder;
            std::future::pending::<()>().await;
        })
        .unwrap();
    let task = task
        .wait_timeout(Duration::from_millis(5))
        .expect_err("a pending task finished");
    assert!(task.cancel());
    assert!(matches!(task.wait(), Err(JoinError::Cancelled)));
    assert_eq!(
        *dropped_on.lock().unwrap(),
        Some(loop_thread),
        "not dropped on the loop thread"
    );
}

#[test]
fn cancel_after_completion_is_too_late() {
    let worker = LoopThread::new().unwrap();
    let task = worker.spawn(async { 3 }).unwrap();
    while !task.is_done() {
        thread::yield_now();
    }
    assert!(!task.cancel());
    assert_eq!(task.wait().unwrap(), 3);
}

#[test]
fn done_callbacks_run_on_the_loop_thread_or_at_once_here() {
    let worker = LoopThread::new().unwrap();
    let loop_thread = loop_thread_id(&worker);
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    let task = worker
        .handle()
        .spawn_with(move || async move {
            // Runs until the main thread says so, a millisecond at a time.
            while release_rx.try_recv().is_err() {
                tether::time::sleep(Duration::from_millis(1)).await;
            }
            8
        })
        .unwrap();
    let early = Arc::new(Mutex::new(None));
    let record = early.clone();
    task.on_done(move |outcome| {
        *record.lock().unwrap() = Some((thread::current().id(), *outcome.as_ref().unwrap()));
    });
    release_tx.send(()).unwrap();
    // Wait through a second callback: registered after completion, it runs
    // here, at once.
    while !task.is_done() {
        thread::yield_now();
    }
    let late = Arc::new(Mutex::new(None));
    let record = late.clone();
    task.on_done(move |outcome| {
        *record.lock().unwrap() = Some((thread::current().id(), *outcome.as_ref().unwrap()));
    });
    assert_eq!(*early.lock().unwrap(), Some((loop_thread, 8)));
    assert_eq!(*late.lock().unwrap(), Some((thread::current().id(), 8)));
    assert_eq!(task.wait().unwrap(), 8);
}

#[test]
fn a_thread_future_is_awaited_from_another_tether_loop() {
    let worker = LoopThread::new().unwrap();
    let handle = worker.handle().clone();
    let (answer, ticks) = tether::run(async move {
        // The other loop's task, awaited here while this loop keeps going.
        let remote = handle
            .spawn_with(|| async {
                tether::time::sleep(Duration::from_millis(20)).await;
                "remote"
            })
            .unwrap();
        let ticker = tether::spawn(async {
            let mut ticks = 0;
            for _ in 0..5 {
                tether::time::sleep(Duration::from_millis(1)).await;
                ticks += 1;
            }
            ticks
        });
        (remote.await.unwrap(), ticker.await.unwrap())
    });
    assert_eq!((answer, ticks), ("remote", 5));
}

#[test]
fn a_thread_future_is_awaited_from_tokio() {
    let worker = LoopThread::new().unwrap();
    let task = worker.spawn(async { 21 * 2 }).unwrap();
    let tokio = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    assert_eq!(tokio.block_on(task).unwrap(), 42);
    // And from a plain `block_on` of the futures ecosystem.
    let task = worker.spawn(async { 1 }).unwrap();
    assert_eq!(futures_lite::future::block_on(task).unwrap(), 1);
}

#[test]
fn spawn_with_builds_a_non_send_future_on_the_loop() {
    let worker = LoopThread::new().unwrap();
    let task = worker
        .handle()
        .spawn_with(|| {
            let shared = Rc::new(20);
            async move {
                tether::yield_now().await;
                *shared + 1
            }
        })
        .unwrap();
    assert_eq!(task.wait().unwrap(), 21);
}

#[test]
fn panics_resolve_the_thread_future_and_reach_the_exception_handler() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    let worker = LoopThread::builder()
        .runtime(move || {
            Runtime::builder()
                .on_exception(move |e| {
                    let seen = (e.task_id().is_some(), e.to_string());
                    record.lock().unwrap().push(seen);
                })
                .build()
        })
        .spawn()
        .unwrap();
    let in_future = worker
        .spawn(async { panic!("in the future") })
        .unwrap()
        .wait();
    assert_eq!(
        in_future.unwrap_err().panic_message(),
        Some("in the future")
    );
    let in_make = worker
        .handle()
        .spawn_with(|| -> std::future::Ready<()> { panic!("in make") });
    assert_eq!(
        in_make.unwrap().wait().unwrap_err().panic_message(),
        Some("in make")
    );
    // A callback from another thread is no task: the handler sees no id.
    worker
        .handle()
        .call_soon(|| panic!("in a callback"))
        .unwrap();
    // The loop goes on.
    assert_eq!(
        worker.spawn(async { "still up" }).unwrap().wait().unwrap(),
        "still up"
    );
    worker.stop();
    assert_eq!(
        *seen.lock().unwrap(),
        [
            (true, "task 1 panicked: in the future".to_owned()),
            (true, "task 2 panicked: in make".to_owned()),
            (false, "callback panicked: in a callback".to_owned()),
        ]
    );
}

#[test]
fn block_on_from_another_thread_returns_the_output() {
    let worker = LoopThread::new().unwrap();
    let handle = worker.handle().clone();
    let out = thread::spawn(move || handle.block_on(async { "done" }).unwrap())
        .join()
        .unwrap();
    assert_eq!(out, "done");
}

#[test]
#[should_panic(expected = "Handle::block_on called on the loop's own thread")]
fn block_on_on_the_loop_thread_panics_instead_of_hanging() {
    tether::run(async {
        let _ = tether::Handle::current().block_on(async {});
    });
}

#[test]
#[should_panic(expected = "ThreadFuture::wait called on the thread of the loop that runs its task")]
fn waiting_on_the_loop_thread_panics_instead_of_hanging() {
    let rt = Runtime::new().unwrap();
    let task = rt.handle().spawn(async {}).unwrap();
    // Not even inside block_on: this thread is the only one that runs it.
    let _ = task.wait();
}

/// Sets its flag when dropped; `Send`, for futures handed to a loop.
struct SetsOnDrop(Arc<Mutex<bool>>);

impl Drop for SetsOnDrop {
    fn drop(&mut self) {
        *self.0.lock().unwrap() = true;
    }
}

/// A `ThreadFuture` resolves as cancelled only after the task's future was
/// dropped on its loop: a thread that sees `Cancelled` knows the future's
/// destructors ran, before the first poll or at a suspension point.
#[test]
fn a_thread_that_sees_cancelled_knows_the_future_was_dropped() {
    // Cancelled before the loop ever polled it.
    let rt = Runtime::new().unwrap();
    let dropped = Arc::new(Mutex::new(false));
    let guard = SetsOnDrop(dropped.clone());
    let task = rt
        .handle()
        .spawn(async move {
            let _guard = guard;
            std::future::pending::<()>().await
        })
        .unwrap();
    assert!(task.cancel());
    // The loop has not run: the future is not dropped yet, so the answer
    // cannot have come either.
    assert!(!task.is_done() && !*dropped.lock().unwrap());
    rt.block_on(tether::yield_now());
    assert!(task.wait().unwrap_err().is_cancelled());
    assert!(*dropped.lock().unwrap());

    // Cancelled from another thread while it waits on its loop.
    let lt = LoopThread::new().unwrap();
    let dropped = Arc::new(Mutex::new(false));
    let guard = SetsOnDrop(dropped.clone());
    let (polled, has_been_polled) = std::sync::mpsc::channel();
    let task = lt
        .spawn(async move {
            let _guard = guard;
            polled.send(()).unwrap();
            std::future::pending::<()>().await
        })
        .unwrap();
    has_been_polled.recv().unwrap();
    assert!(task.cancel());
    assert!(task.wait().unwrap_err().is_cancelled());
    assert!(*dropped.lock().unwrap());
}

/// A `ThreadFuture` is `Send + Sync`, as asyncio's `concurrent.futures`
/// future and tokio's `JoinHandle` are: threads can share one, cancelling
/// and watching it at once.
#[test]
fn a_thread_future_is_send_and_sync_and_can_be_shared() {
    fn assert_traits<T: Send + Sync>() {}
    assert_traits::<tether::ThreadFuture<i32>>();

    let lt = LoopThread::new().unwrap();
    let task = Arc::new(lt.spawn(std::future::pending::<()>()).unwrap());
    let watcher = {
        let task = task.clone();
        thread::spawn(move || {
            let (tx, rx) = std::sync::mpsc::channel();
            task.on_done(move |outcome| tx.send(outcome.is_err()).unwrap());
            rx.recv().unwrap()
        })
    };
    let canceller = {
        let task = task.clone();
        thread::spawn(move || task.cancel())
    };
    assert!(canceller.join().unwrap());
    assert!(watcher.join().unwrap(), "the watcher saw the cancellation");
    let task = Arc::try_unwrap(task).ok().unwrap();
    assert!(task.wait().unwrap_err().is_cancelled());
}
