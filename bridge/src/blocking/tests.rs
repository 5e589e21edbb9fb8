//! Unit tests of the blocking pool, on real threads and real time: the
//! FIFO order past the thread limit, the keep-alive, and shutdown (loom
//! cannot time out a wait, so these paths are checked here).

use super::*;
use std::sync::mpsc;

fn pool(max_threads: usize, keep_alive: Duration) -> BlockingPool {
    BlockingPool::new(PoolConfig {
        max_threads: Some(NonZeroUsize::new(max_threads).expect("at least one thread")),
        cpu_count: || 1,
        keep_alive,
        thread_name: "tether-test-blocking".into(),
    })
}

#[test]
fn jobs_beyond_the_limit_wait_in_fifo_order() {
    let pool = pool(2, Duration::from_secs(10));
    let (tx, rx) = mpsc::channel();
    let (gate_tx, gate_rx) = mpsc::channel::<()>();
    let gate_rx = Arc::new(std::sync::Mutex::new(gate_rx));
    // Two jobs block both threads; the rest must queue, in order.
    for i in 0..6 {
        let (tx, gate_rx) = (tx.clone(), gate_rx.clone());
        pool.spawn(Box::new(move || {
            if i < 2 {
                gate_rx.lock().unwrap().recv().unwrap();
            }
            tx.send(i).unwrap();
        }))
        .unwrap();
    }
    assert_eq!(pool.threads(), 2);
    gate_tx.send(()).unwrap();
    gate_tx.send(()).unwrap();
    let order: Vec<_> = (0..6).map(|_| rx.recv().unwrap()).collect();
    // 0 and 1 finish in either order; the queued 2..6 in FIFO order.
    let queued: Vec<_> = order.iter().copied().filter(|&i| i >= 2).collect();
    assert_eq!(queued, [2, 3, 4, 5]);
    pool.shutdown(Duration::from_secs(1));
}

#[test]
fn idle_threads_exit_after_the_keep_alive() {
    let pool = pool(4, Duration::from_millis(20));
    let (tx, rx) = mpsc::channel();
    for _ in 0..3 {
        let tx = tx.clone();
        pool.spawn(Box::new(move || tx.send(()).unwrap())).unwrap();
    }
    for _ in 0..3 {
        rx.recv().unwrap();
    }
    assert!(pool.threads() >= 1);
    let start = Instant::now();
    while pool.threads() > 0 {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "idle threads did not exit"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    // A new job starts a new thread.
    pool.spawn(Box::new(move || tx.send(()).unwrap())).unwrap();
    rx.recv().unwrap();
    pool.shutdown(Duration::from_secs(1));
}

#[test]
fn shutdown_never_starts_queued_jobs_and_waits_for_running_ones() {
    let pool = pool(1, Duration::from_secs(10));
    let (started_tx, started_rx) = mpsc::channel();
    let (finish_tx, finish_rx) = mpsc::channel::<()>();
    pool.spawn(Box::new(move || {
        started_tx.send(()).unwrap();
        finish_rx.recv().unwrap();
    }))
    .unwrap();
    started_rx.recv().unwrap();
    let (ran_tx, ran_rx) = mpsc::channel();
    pool.spawn(Box::new(move || ran_tx.send(()).unwrap()))
        .unwrap();
    let releaser = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(20));
        finish_tx.send(()).unwrap();
    });
    let (queued, report) = pool.shutdown(Duration::from_secs(5));
    assert_eq!(queued.len(), 1);
    assert_eq!(
        report,
        ShutdownReport {
            dropped: 1,
            still_running: 0
        }
    );
    drop(queued);
    assert!(
        ran_rx.try_recv().is_err(),
        "a queued job ran after shutdown"
    );
    releaser.join().unwrap();
    assert!(
        pool.spawn(Box::new(|| {})).is_err(),
        "a job was accepted after shutdown"
    );
}

#[test]
fn shutdown_gives_up_on_a_job_that_outlives_the_timeout() {
    let pool = pool(1, Duration::from_secs(10));
    let (started_tx, started_rx) = mpsc::channel();
    pool.spawn(Box::new(move || {
        started_tx.send(()).unwrap();
        std::thread::sleep(Duration::from_millis(300));
    }))
    .unwrap();
    started_rx.recv().unwrap();
    let start = Instant::now();
    let (_, report) = pool.shutdown(Duration::from_millis(20));
    assert!(start.elapsed() < Duration::from_millis(250));
    assert_eq!(report.still_running, 1);
}
