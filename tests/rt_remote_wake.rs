//! Wakes from other threads reach a sleeping loop.

mod support;

use std::thread;
use std::time::{Duration, Instant};

use support::WakerSlot;

/// A task waits for a plain thread, and the loop has nothing else to run:
/// it sleeps until that thread's wake. With no source to watch it sleeps
/// on its own thread, and is unparked; with a socket to watch, in the
/// poller, and the wakeup is written. Either way one wakeup ends the sleep.
#[test]
fn a_plain_thread_wakes_a_task_while_the_loop_sleeps_with_nothing_else_to_do() {
    for with_a_socket in [false, true] {
        wake_a_sleeping_loop(with_a_socket);
    }
}

fn wake_a_sleeping_loop(with_a_socket: bool) {
    let rt = tether::Runtime::new().unwrap();
    let handle = rt.handle();
    let slot = WakerSlot::default();
    let waker_thread = {
        let slot = slot.clone();
        thread::spawn(move || {
            while !slot.has_waiter() {
                thread::yield_now();
            }
            thread::sleep(Duration::from_millis(50));
            slot.fire();
        })
    };
    let start = Instant::now();
    let before = handle.metrics();
    // No timers: the loop can only sleep until the other thread's wake.
    rt.block_on(async {
        // A socket that is waited on, and never ready: the poller watches it.
        let watched = if with_a_socket {
            let (socket, peer) = std::os::unix::net::UnixDatagram::pair().unwrap();
            let socket = tether::Async::new(socket).unwrap();
            Some(tether::spawn(async move {
                let _ = socket.read_with(|socket| socket.recv(&mut [0; 1])).await;
                drop(peer);
            }))
        } else {
            None
        };
        let task = tether::spawn({
            let slot = slot.clone();
            async move { slot.wait().await }
        });
        task.await.unwrap();
        if let Some(watched) = watched {
            watched.cancel();
        }
    });
    let after = handle.metrics();
    waker_thread.join().unwrap();
    assert!(start.elapsed() >= Duration::from_millis(50));
    assert!(
        after.parks > before.parks,
        "the loop never slept: {after:?}"
    );
    assert_eq!(after.wakeup_writes - before.wakeup_writes, 1, "{after:?}");
    assert!(after.submissions > before.submissions);
    // A sleep in the poller is a poll; a park of the thread is not.
    let polls = after.polls - before.polls;
    if with_a_socket {
        assert!(polls > 0, "{after:?}");
    } else {
        assert_eq!(polls, 0, "{after:?}");
    }
}

// ===== one FIFO across threads =====

type Log = std::sync::Arc<std::sync::Mutex<Vec<&'static str>>>;

/// Submits a callback that logs `what`, from another thread, and waits for
/// that thread to end: the submission happens before whatever follows.
fn call_soon_from_a_thread(handle: tether::Handle, log: &Log, what: &'static str) {
    let log = log.clone();
    std::thread::spawn(move || {
        handle
            .call_soon(move || log.lock().unwrap().push(what))
            .unwrap()
    })
    .join()
    .unwrap();
}

/// Work another thread submitted before a local submission, in
/// happens-before order (here, the thread was joined), runs before it, as
/// in asyncio's one ready queue: whether the local one is a spawn, a
/// callback or a wake.
#[test]
fn work_submitted_before_a_local_submission_runs_before_it() {
    // A spawn on the loop's thread, outside the loop.
    let rt = tether::Runtime::new().unwrap();
    let log = Log::default();
    call_soon_from_a_thread(rt.handle(), &log, "remote");
    let local = log.clone();
    let task = rt.spawn(async move { local.lock().unwrap().push("spawned") });
    rt.block_on(task).unwrap();
    assert_eq!(*log.lock().unwrap(), ["remote", "spawned"]);

    // A callback, then a wake, inside the loop.
    let log = Log::default();
    rt.block_on(async {
        call_soon_from_a_thread(tether::Handle::current(), &log, "remote");
        let local = log.clone();
        tether::call_soon(move || local.lock().unwrap().push("callback"));
        tether::yield_now().await;
        tether::yield_now().await;

        let event = std::rc::Rc::new(tether::sync::Event::new());
        let (waiter, set) = (log.clone(), event.clone());
        let task = tether::spawn(async move {
            set.wait().await;
            waiter.lock().unwrap().push("woken");
        });
        tether::yield_now().await; // the task waits for the event
        call_soon_from_a_thread(tether::Handle::current(), &log, "remote again");
        event.set(); // a local wake
        task.await.unwrap();
    });
    assert_eq!(
        *log.lock().unwrap(),
        ["remote", "callback", "remote again", "woken"]
    );
}

/// The same order while other threads keep the injection queue busy: the
/// loop's take before a local submission may find a producer holding the
/// queue's lock, and must still take what was submitted before it
/// (`bridge/src/inject.rs`, rule 6).
#[test]
fn work_submitted_before_a_local_submission_runs_before_it_while_producers_hold_the_queue() {
    use std::sync::{Arc, Mutex};

    const ROUNDS: u32 = 2_000;
    let rt = tether::Runtime::new().unwrap();
    let stop = Arc::new(Mutex::new(false));
    // Two threads push empty callbacks back to back, each keeping at most
    // 64 of its own waiting, so that the loop is never far behind them.
    let noise: Vec<_> = (0..2)
        .map(|_| {
            let (handle, stop) = (rt.handle(), stop.clone());
            let waiting = Arc::new(Mutex::new(0_u32));
            std::thread::spawn(move || {
                while !*stop.lock().unwrap() {
                    if *waiting.lock().unwrap() >= 64 {
                        std::thread::yield_now();
                        continue;
                    }
                    *waiting.lock().unwrap() += 1;
                    let ran = waiting.clone();
                    handle.call_soon(move || *ran.lock().unwrap() -= 1).unwrap();
                }
            })
        })
        .collect();
    let log = Arc::new(Mutex::new(Vec::new()));
    rt.block_on(async {
        for round in 0..ROUNDS {
            let (handle, remote) = (tether::Handle::current(), log.clone());
            std::thread::spawn(move || {
                handle
                    .call_soon(move || remote.lock().unwrap().push((round, "remote")))
                    .unwrap()
            })
            .join()
            .unwrap();
            let local = log.clone();
            tether::call_soon(move || local.lock().unwrap().push((round, "local")));
            while log.lock().unwrap().len() < 2 * (round as usize + 1) {
                tether::yield_now().await;
            }
        }
    });
    *stop.lock().unwrap() = true;
    for thread in noise {
        thread.join().unwrap();
    }
    let log = log.lock().unwrap();
    for (i, pair) in log.chunks(2).enumerate() {
        let round = i as u32;
        assert_eq!(pair, [(round, "remote"), (round, "local")], "round {round}");
    }
}
