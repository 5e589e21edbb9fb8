//! A burst of signals is never lost silently: every run of the handler is
//! counted once for the subscriber, in as few receptions as the loop
//! needs. Real-time signals are queued by the kernel, one run each, so the
//! count is exact; standard ones may be merged before the handler runs,
//! and then the count is the handler's runs. A process of its own: a
//! signal sent to a test binary reaches every test in it.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use tether::LoopThread;
use tether::signal::{SIGUSR2, Signal, handler_runs};

/// Sends `signal` to this process `times` times; returns how many were
/// accepted (a real-time signal is refused with `EAGAIN` while the queue
/// is full; then this waits for the handler to catch up).
fn send(signal: libc::c_int, times: u64) -> u64 {
    let mut sent = 0;
    while sent < times {
        // SAFETY: a plain system call on this process.
        if unsafe { libc::kill(libc::getpid(), signal) } == 0 {
            sent += 1;
        } else {
            let err = std::io::Error::last_os_error();
            assert_eq!(err.raw_os_error(), Some(libc::EAGAIN), "kill: {err}");
            std::thread::yield_now();
        }
    }
    sent
}

/// Waits until the handler has run `runs` times for `signal`.
fn wait_for_runs(signal: libc::c_int, runs: u64) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while handler_runs(signal) < runs {
        assert!(
            Instant::now() < deadline,
            "the handler ran {} times of {runs}",
            handler_runs(signal)
        );
        std::thread::yield_now();
    }
}

#[test]
fn a_burst_of_deliveries_adds_up_to_the_handler_runs() {
    let loop_thread = LoopThread::new().unwrap();
    let rt = libc::SIGRTMIN() + 1;

    // 1. Real-time signals, sent while the subscriber's loop is busy
    // elsewhere (blocked here on a channel): one reception takes them all.
    let burst = 2_000;
    let (subscribed, is_subscribed) = mpsc::channel();
    let (sent, all_sent) = mpsc::channel::<()>();
    let busy = loop_thread
        .handle()
        .spawn_with(move || async move {
            let signal = Signal::new(rt).unwrap();
            subscribed.send(handler_runs(rt)).unwrap();
            // The loop does something else until the burst is over.
            all_sent.recv().unwrap();
            signal.recv().await.unwrap()
        })
        .unwrap();
    let runs_before = is_subscribed.recv().unwrap();
    assert_eq!(send(rt, burst), burst);
    wait_for_runs(rt, runs_before + burst);
    sent.send(()).unwrap();
    let received = busy
        .wait_timeout(Duration::from_secs(10))
        .ok()
        .unwrap()
        .unwrap();
    assert_eq!(received, burst, "one reception for the whole burst");

    // 2. Real-time signals again, while the loop waits on them: however
    // many receptions it takes, they add up.
    let (subscribed, is_subscribed) = mpsc::channel();
    let waiting = loop_thread
        .handle()
        .spawn_with(move || async move {
            let signal = Signal::new(rt).unwrap();
            subscribed.send(()).unwrap();
            let (mut total, mut receptions) = (0, 0);
            while total < burst {
                total += signal.recv().await.unwrap();
                receptions += 1;
            }
            (total, receptions)
        })
        .unwrap();
    is_subscribed.recv().unwrap();
    let runs_before = handler_runs(rt);
    assert_eq!(send(rt, burst), burst);
    let (total, receptions) = waiting
        .wait_timeout(Duration::from_secs(10))
        .ok()
        .unwrap()
        .unwrap();
    assert_eq!(total, burst);
    assert_eq!(handler_runs(rt), runs_before + burst);
    assert!((1..=burst).contains(&receptions));

    // 3. A standard signal: the kernel merges what arrives before the
    // handler runs, and the subscriber gets exactly the runs there were.
    let (subscribed, is_subscribed) = mpsc::channel();
    let (done, is_done) = mpsc::channel::<u64>();
    let standard = loop_thread
        .handle()
        .spawn_with(move || async move {
            let signal = Signal::new(SIGUSR2).unwrap();
            subscribed.send(handler_runs(SIGUSR2)).unwrap();
            let mut total = 0;
            loop {
                // Told the final count of runs once the sender is done.
                if let Ok(runs) = is_done.try_recv() {
                    while total < runs {
                        total += signal.recv().await.unwrap();
                    }
                    return (total, runs);
                }
                let wait = tether::time::timeout(Duration::from_millis(5), signal.recv());
                if let Ok(count) = wait.await {
                    total += count.unwrap();
                }
            }
        })
        .unwrap();
    let runs_before = is_subscribed.recv().unwrap();
    assert_eq!(send(SIGUSR2, burst), burst);
    // The last one sent is delivered at the latest when `kill` returns to
    // a thread that does not block it, or soon after: wait until the runs
    // stop growing.
    let mut runs = handler_runs(SIGUSR2);
    loop {
        std::thread::sleep(Duration::from_millis(50));
        let now = handler_runs(SIGUSR2);
        if now == runs {
            break;
        }
        runs = now;
    }
    done.send(runs - runs_before).unwrap();
    let (total, runs) = standard
        .wait_timeout(Duration::from_secs(10))
        .ok()
        .unwrap()
        .unwrap();
    assert_eq!(total, runs, "the subscriber counted what the handler ran");
    assert!(
        (1..=burst).contains(&runs),
        "{runs} runs for {burst} signals"
    );
    loop_thread.stop();
}
