//! Model: the blocking pool (`bridge/src/blocking.rs`).
//!
//! A submission races a pool thread that is finishing its job or whose
//! keep-alive runs out, and submissions race the pool's shutdown. A job marks a counter when it runs and writes a
//! fake eventfd, so that the model's main thread can sleep until the jobs
//! it expects have run; a job can also come back unstarted, from `spawn`
//! (the pool was shut down first) or from `shutdown` (it was queued).
//!
//! What it proves, over every interleaving within the bound:
//! - every job runs exactly once, or comes back exactly once, never both;
//! - no job is lost: a queued job is taken by a woken sleeper, a new
//!   thread, or a thread that finishes its job, even while the thread that
//!   was chosen for it reaches the end of its keep-alive (otherwise the
//!   model sleeps forever waiting for the job, which loom reports as a
//!   deadlock);
//! - shutdown returns: every sleeper is woken and leaves, and the wait for
//!   the last thread is not lost;
//! - nothing leaks.
//!
//! Loom's `Condvar::wait_timeout` never times out, so the keep-alive clock
//! is the model's: `BlockingPool::expire_keep_alive` (loom only) makes
//! every keep-alive over from that moment, and wakes the sleepers to find
//! out, as their timed waits would.
//!
//! Seeded bugs it catches (`loom-tests/README.md` has the table):
//! `pool_uncounted_sleeper`, `pool_exit_ignores_notified`,
//! `pool_shutdown_no_wake`.
//!
//! Bound: the shutdown model is explored whole. The keep-alive model runs
//! with at most three preemptions, and the second-thread model (four
//! threads: main, a submitter, two pool threads) with two: enough for a
//! submitter to be preempted between queueing its job and choosing a
//! sleeper while a pool thread is between finishing a job and going to
//! sleep. At three, loom 0.7 trips over its own mutex (it asserts that a
//! thread woken from a condition variable can take the lock, while a third
//! thread has taken it meanwhile), so that model stays at two.

use std::num::NonZeroUsize;
use std::time::Duration;

use tether_bridge::sync::AtomicUsize;
use tether_bridge::sync::Ordering::SeqCst;
use tether_bridge::{BlockingPool, Job, Notify, PoolConfig};
use tether_loom_tests::sync::Arc;
use tether_loom_tests::{Bound, FakeEventfd, model, thread};

fn pool(max_threads: usize) -> BlockingPool {
    BlockingPool::new(PoolConfig {
        max_threads: Some(NonZeroUsize::new(max_threads).expect("at least one thread")),
        cpu_count: || 1,
        keep_alive: Duration::from_secs(60),
        thread_name: "loom-blocking".into(),
    })
}

/// Counts the jobs that ran, and lets the main thread sleep until enough
/// of them did.
#[derive(Default)]
struct Ran {
    count: AtomicUsize,
    wakeup: FakeEventfd,
}

/// A job that counts itself in `ran` when it runs.
fn job(ran: &Arc<Ran>) -> Job {
    let ran = ran.clone();
    Box::new(move || {
        ran.count.fetch_add(1, SeqCst);
        ran.wakeup.notify();
    })
}

impl Ran {
    /// Sleeps until `n` jobs have run; a lost job means sleeping forever.
    fn wait_for(&self, n: usize) {
        while self.count.load(SeqCst) < n {
            self.wakeup.sleep();
        }
    }
}

#[test]
fn submissions_racing_shutdown_run_once_or_come_back_once() {
    model(Bound::Exhaustive, || {
        let pool = pool(1);
        let ran = Arc::new(Ran::default());
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
        let ran = ran.count.load(SeqCst);
        assert_eq!(
            ran + unstarted + refused,
            2,
            "ran {ran}, dropped unstarted {unstarted}, refused {refused}"
        );
    });
}

#[test]
fn a_second_thread_is_started_or_woken_for_concurrent_jobs() {
    model(Bound::Preemptions(2), || {
        let pool = pool(2);
        let ran = Arc::new(Ran::default());
        pool.spawn(job(&ran)).unwrap();
        let submitter = {
            let (pool, ran) = (pool.clone(), ran.clone());
            thread::spawn(move || pool.spawn(job(&ran)).unwrap())
        };
        submitter.join().unwrap();
        ran.wait_for(2);
        let (queued, report) = pool.shutdown(Duration::MAX);
        assert!(queued.is_empty());
        assert_eq!(report.still_running, 0);
    });
}

// Loom only: outside loom the keep-alive is real time, and the pool's unit
// tests cover it.
#[cfg(loom)]
#[test]
fn a_job_submitted_as_the_keep_alive_runs_out_is_not_lost() {
    model(Bound::Preemptions(3), || {
        let pool = pool(1);
        let ran = Arc::new(Ran::default());
        // One thread, idle once its first job is done.
        pool.spawn(job(&ran)).unwrap();
        ran.wait_for(1);
        // Its keep-alive runs out while a second job arrives: the thread
        // either takes the job, or leaves before it was chosen and a new
        // thread is started.
        let clock = {
            let pool = pool.clone();
            thread::spawn(move || pool.expire_keep_alive())
        };
        pool.spawn(job(&ran)).unwrap();
        ran.wait_for(2);
        clock.join().unwrap();
        let (queued, report) = pool.shutdown(Duration::MAX);
        assert!(queued.is_empty());
        assert_eq!(report.still_running, 0);
        assert_eq!(ran.count.load(SeqCst), 2, "a job ran twice");
    });
}
