//! A stopped `LoopPool` leaves no thread behind: its loops' threads and
//! their blocking pools' threads all end. Alone in its file, so that no
//! other test's threads come and go meanwhile.

use std::time::{Duration, Instant};

use tether::LoopPool;

/// This process's threads now.
fn threads() -> usize {
    std::fs::read_dir("/proc/self/task").unwrap().count()
}

#[cfg(target_os = "linux")]
#[test]
fn a_stopped_pool_leaves_no_thread() {
    let before = threads();
    let pool = LoopPool::builder().loops(3).build().unwrap();
    // Every loop starts a blocking thread, and a server runs on the pool.
    let jobs = pool.on_every_loop(|_| tether::spawn_blocking(|| std::thread::current().id()));
    for job in jobs {
        job.unwrap().wait().unwrap().unwrap();
    }
    #[cfg(feature = "net")]
    {
        let addr = "127.0.0.1:0".parse().unwrap();
        let server = pool
            .serve(addr, tether::Spreading::LeastLoaded, |_, _| async {})
            .unwrap();
        drop(std::net::TcpStream::connect(server.local_addr()).unwrap());
    }
    assert!(threads() >= before + 6, "3 loops and 3 blocking threads");

    let report = pool.stop();
    assert!(report.panicked.is_empty());
    // The loop threads are joined by `stop`; each blocking pool's threads
    // end as its loop shuts the pool down.
    let deadline = Instant::now() + Duration::from_secs(5);
    while threads() > before {
        assert!(
            Instant::now() < deadline,
            "{} threads left of the pool",
            threads() - before
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}
