//! `spawn_blocking`: the blocking pool, through the public API.

use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use tether::{JoinError, Runtime};

fn runtime(max_threads: usize) -> Runtime {
    Runtime::builder()
        .max_blocking_threads(max_threads)
        .shutdown_timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

/// Waits on the loop until `started` is raised: by a job as it begins, for
/// the tests that need their first job running, not only queued. A fixed
/// sleep is not enough on a loaded machine, where the pool's thread may take
/// its job late.
async fn until_started(started: &Mutex<bool>) {
    while !*started.lock().unwrap() {
        tether::time::sleep(Duration::from_millis(1)).await;
    }
}

#[test]
fn results_are_awaitable_and_a_panic_becomes_panicked() {
    tether::run(async {
        let jobs: Vec<_> = (0..8u64)
            .map(|i| {
                tether::spawn_blocking(move || {
                    if i == 5 {
                        panic!("job 5 fails");
                    }
                    (0..=i * 1000).sum::<u64>()
                })
            })
            .collect();
        let mut results = Vec::new();
        for job in jobs {
            results.push(job.await);
        }
        for (i, result) in results.into_iter().enumerate() {
            let i = i as u64;
            match result {
                Ok(sum) => assert_eq!(sum, (0..=i * 1000).sum::<u64>()),
                Err(err) => {
                    assert_eq!(i, 5);
                    assert_eq!(err.panic_message(), Some("job 5 fails"));
                }
            }
        }
    });
}

/// A gate blocking-pool jobs wait at until the test opens it.
#[derive(Default)]
struct Gate {
    open: Mutex<bool>,
    opened: Condvar,
}

impl Gate {
    fn wait(&self) {
        let mut open = self.open.lock().unwrap();
        while !*open {
            open = self.opened.wait(open).unwrap();
        }
    }

    fn open(&self) {
        *self.open.lock().unwrap() = true;
        self.opened.notify_all();
    }
}

#[test]
fn no_more_than_the_limit_run_at_once() {
    let rt = runtime(2);
    let running = Arc::new(Mutex::new((0usize, 0usize))); // (now, most)
    rt.block_on(async {
        let jobs: Vec<_> = (0..6)
            .map(|_| {
                let running = running.clone();
                tether::spawn_blocking(move || {
                    {
                        let mut r = running.lock().unwrap();
                        r.0 += 1;
                        r.1 = r.1.max(r.0);
                    }
                    thread::sleep(Duration::from_millis(10));
                    running.lock().unwrap().0 -= 1;
                })
            })
            .collect();
        for job in jobs {
            job.await.unwrap();
        }
    });
    assert_eq!(
        running.lock().unwrap().1,
        2,
        "the pool's limit was not the concurrency"
    );
}

#[test]
fn the_default_limit_is_asyncios_cores_plus_four_at_most_32() {
    // The CPUs of the affinity mask, as asyncio counts them; not std's
    // count, which a cgroup quota can lower.
    let cpus = tether_reactor::process_cpu_count();
    let limit = (cpus + 4).min(32);
    let gate = Arc::new(Gate::default());
    let started = Arc::new(Mutex::new(0usize));
    let rt = Runtime::new().unwrap();
    rt.block_on(async {
        let jobs: Vec<_> = (0..limit + 2)
            .map(|_| {
                let (gate, started) = (gate.clone(), started.clone());
                tether::spawn_blocking(move || {
                    *started.lock().unwrap() += 1;
                    gate.wait();
                })
            })
            .collect();
        let deadline = Instant::now() + Duration::from_secs(10);
        while *started.lock().unwrap() < limit && Instant::now() < deadline {
            tether::time::sleep(Duration::from_millis(1)).await;
        }
        // Give a thread beyond the limit time to start, if there were one.
        tether::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(*started.lock().unwrap(), limit);
        gate.open();
        for job in jobs {
            job.await.unwrap();
        }
    });
    assert_eq!(*started.lock().unwrap(), limit + 2);
}

#[test]
fn queued_jobs_start_in_fifo_order() {
    let rt = runtime(1);
    let started = Arc::new(Mutex::new(Vec::new()));
    let gate = Arc::new(Gate::default());
    rt.block_on(async {
        let jobs: Vec<_> = (0..6)
            .map(|i| {
                let (started, gate) = (started.clone(), gate.clone());
                tether::spawn_blocking(move || {
                    started.lock().unwrap().push(i);
                    if i == 0 {
                        // The one thread is held here: the rest queue up.
                        gate.wait();
                    }
                })
            })
            .collect();
        tether::time::sleep(Duration::from_millis(10)).await;
        assert_eq!(*started.lock().unwrap(), [0]);
        gate.open();
        for job in jobs {
            job.await.unwrap();
        }
    });
    assert_eq!(*started.lock().unwrap(), [0, 1, 2, 3, 4, 5]);
}

#[test]
fn dropping_the_handle_does_not_stop_a_running_job() {
    let done = Arc::new(Mutex::new(false));
    let flag = done.clone();
    let started = Arc::new(Mutex::new(false));
    let raise = started.clone();
    tether::run(async {
        let job = tether::spawn_blocking(move || {
            *raise.lock().unwrap() = true;
            thread::sleep(Duration::from_millis(30));
            *flag.lock().unwrap() = true;
        });
        until_started(&started).await;
        drop(job);
        tether::time::sleep(Duration::from_millis(60)).await;
    });
    assert!(
        *done.lock().unwrap(),
        "the job stopped when its handle was dropped"
    );
}

#[test]
fn cancel_stops_a_job_only_before_it_starts() {
    let rt = runtime(1);
    let ran = Arc::new(Mutex::new(Vec::new()));
    let started = Arc::new(Mutex::new(false));
    let raise = started.clone();
    rt.block_on(async {
        let (ran_a, ran_b) = (ran.clone(), ran.clone());
        let running = tether::spawn_blocking(move || {
            *raise.lock().unwrap() = true;
            thread::sleep(Duration::from_millis(30));
            ran_a.lock().unwrap().push("a");
        });
        let queued = tether::spawn_blocking(move || ran_b.lock().unwrap().push("b"));
        until_started(&started).await;
        assert!(!running.cancel(), "a running job cannot be cancelled");
        assert!(queued.cancel());
        assert!(matches!(queued.await, Err(JoinError::Cancelled)));
        running.await.unwrap();
    });
    assert_eq!(*ran.lock().unwrap(), ["a"]);
}

#[test]
fn shutdown_waits_for_running_jobs_and_never_starts_queued_ones() {
    let rt = runtime(1);
    let ran = Arc::new(Mutex::new(Vec::new()));
    let started = Arc::new(Mutex::new(false));
    let raise = started.clone();
    let (running, queued) = rt.block_on(async {
        let (ran_a, ran_b) = (ran.clone(), ran.clone());
        let running = tether::spawn_blocking(move || {
            *raise.lock().unwrap() = true;
            thread::sleep(Duration::from_millis(40));
            ran_a.lock().unwrap().push("running");
        });
        let queued = tether::spawn_blocking(move || ran_b.lock().unwrap().push("queued"));
        until_started(&started).await;
        (running, queued)
    });
    drop(rt);
    // The running job finished before the runtime was gone; the queued one
    // never started, and says so.
    assert_eq!(*ran.lock().unwrap(), ["running"]);
    assert!(running.wait().is_ok());
    assert!(matches!(queued.wait(), Err(JoinError::Cancelled)));
}

#[test]
fn the_shutdown_timeout_bounds_the_wait_for_a_stuck_job() {
    let rt = Runtime::builder()
        .shutdown_timeout(Duration::from_millis(30))
        .build()
        .unwrap();
    rt.block_on(async {
        tether::spawn_blocking(|| thread::sleep(Duration::from_millis(500))).detach();
        tether::time::sleep(Duration::from_millis(5)).await;
    });
    let start = Instant::now();
    drop(rt);
    assert!(
        start.elapsed() < Duration::from_millis(300),
        "shutdown waited {:?}",
        start.elapsed()
    );
}

#[test]
fn dropping_the_handle_of_a_queued_job_cancels_it() {
    let rt = runtime(1);
    let ran = Arc::new(Mutex::new(Vec::new()));
    rt.block_on(async {
        let (ran_a, ran_b) = (ran.clone(), ran.clone());
        let running = tether::spawn_blocking(move || {
            thread::sleep(Duration::from_millis(30));
            ran_a.lock().unwrap().push("running");
        });
        let queued = tether::spawn_blocking(move || ran_b.lock().unwrap().push("queued"));
        tether::time::sleep(Duration::from_millis(5)).await;
        drop(queued);
        running.await.unwrap();
        // The only thread is free: a job still queued would run now.
        tether::spawn_blocking(|| ()).await.unwrap();
    });
    assert_eq!(*ran.lock().unwrap(), ["running"]);
}

#[test]
fn a_detached_queued_job_runs() {
    let rt = runtime(1);
    let ran = Arc::new(Mutex::new(Vec::new()));
    rt.block_on(async {
        let (ran_a, ran_b) = (ran.clone(), ran.clone());
        let running = tether::spawn_blocking(move || {
            thread::sleep(Duration::from_millis(30));
            ran_a.lock().unwrap().push("running");
        });
        tether::spawn_blocking(move || ran_b.lock().unwrap().push("detached")).detach();
        running.await.unwrap();
        // FIFO: the detached job ran before this one.
        tether::spawn_blocking(|| ()).await.unwrap();
    });
    assert_eq!(*ran.lock().unwrap(), ["running", "detached"]);
}
