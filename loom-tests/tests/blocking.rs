//! Model: the blocking pool (`bridge/src/blocking.rs`).
//!
//! Submitters race each other and the pool's shutdown. A job marks a
//! counter when it runs; a job can also come back unstarted, from `spawn`
//! (the pool was shut down first) or from `shutdown` (it was queued).
//!
//! What it proves, over every interleaving within the bound:
//! - every job runs exactly once, or comes back exactly once, never both;
//! - shutdown returns (its wait for the threads is not lost);
//! - a sleeping thread is woken for a job (or the model would deadlock on
//!   the job's own completion);
//! - nothing leaks.
//!
//! Not modelled: the keep-alive exit, since loom's `wait_timeout` never
//! times out; the unit tests of the pool cover it with real time.
//!
//! Seeded bug it catches (`loom-tests/README.md`): choosing a sleeper
//! without counting it in `notified` lets a second thread also take the
//! wake, or none.
//!
//! Bound: `LOOM_MAX_PREEMPTIONS=2`; up to four threads (main, a submitter,
//! two pool threads).

use std::time::Duration;

use tether_bridge::sync::AtomicUsize;
use tether_bridge::sync::Ordering::SeqCst;
use tether_bridge::{BlockingPool, Job, PoolConfig};
use tether_loom_tests::sync::Arc;
use tether_loom_tests::{model, thread};

fn pool(max_threads: usize) -> BlockingPool {
    BlockingPool::new(PoolConfig {
        max_threads,
        keep_alive: Duration::from_secs(60),
        thread_name: "loom-blocking".into(),
    })
}

/// A job that adds one to `ran` when it runs.
fn job(ran: &Arc<AtomicUsize>) -> Job {
    let ran = ran.clone();
    Box::new(move || {
        ran.fetch_add(1, SeqCst);
    })
}

#[test]
fn submissions_racing_shutdown_run_once_or_come_back_once() {
    model(|| {
        let pool = pool(1);
        let ran = Arc::new(AtomicUsize::new(0));
        let submitter = {
            let (pool, ran) = (pool.clone(), ran.clone());
            thread::spawn(move || {
                let first = pool.spawn(job(&ran)).is_err() as usize;
                let second = pool.spawn(job(&ran)).is_err() as usize;
                first + second
            })
        };
        let (queued, _) = pool.shutdown(Duration::MAX);
        let unstarted = queued.len();
        drop(queued);
        let refused = submitter.join().unwrap();
        let ran = ran.load(SeqCst);
        assert_eq!(
            ran + unstarted + refused,
            2,
            "ran {ran}, dropped unstarted {unstarted}, refused {refused}"
        );
    });
}

#[test]
fn a_second_thread_is_started_or_woken_for_concurrent_jobs() {
    model(|| {
        let pool = pool(2);
        let ran = Arc::new(AtomicUsize::new(0));
        pool.spawn(job(&ran)).unwrap();
        let submitter = {
            let (pool, ran) = (pool.clone(), ran.clone());
            thread::spawn(move || pool.spawn(job(&ran)).unwrap())
        };
        submitter.join().unwrap();
        // Wait for both jobs without sleeping: the jobs must be taken by
        // some thread, or this spins until loom gives up.
        while ran.load(SeqCst) < 2 {
            tether_bridge::sync::spin_yield();
        }
        let (queued, report) = pool.shutdown(Duration::MAX);
        assert!(queued.is_empty());
        assert_eq!(report.still_running, 0);
    });
}
