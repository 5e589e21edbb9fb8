//! `LoopPool`: choosing a loop, a loop's load and health from any thread,
//! and stopping the pool.

mod support;

use std::sync::mpsc;
use std::time::Duration;

use support::{block_loop, eventually};
use tether::{LoopPool, LoopState};

/// The name of the thread a task runs on.
async fn thread_name() -> String {
    std::thread::current().name().unwrap().to_owned()
}

#[test]
fn each_loop_runs_on_its_own_named_thread() {
    let pool = LoopPool::builder().loops(3).name("rt").build().unwrap();
    for index in 0..3 {
        let name = pool.spawn_on(index, thread_name).unwrap().wait().unwrap();
        assert_eq!(name, format!("rt-{index}"));
        assert_eq!(pool.handle(index).unwrap().name(), Some(name.as_str()));
    }
    assert!(pool.handle(3).is_none());
    assert!(pool.stop().panicked.is_empty());
}

#[test]
#[should_panic(expected = "spawn_on(2) on a pool of 2 loops")]
fn spawn_on_a_loop_that_does_not_exist_says_so() {
    let pool = LoopPool::builder().loops(2).build().unwrap();
    let _ = pool.spawn_on(2, || async {});
}

#[test]
fn spawn_next_takes_turns_and_skips_a_loop_that_exited() {
    let pool = LoopPool::builder().loops(3).build().unwrap();
    let names: Vec<String> = (0..6)
        .map(|_| pool.spawn_next(thread_name).unwrap().wait().unwrap())
        .collect();
    for index in 0..3 {
        let on = names
            .iter()
            .filter(|n| **n == format!("tether-pool-{index}"));
        assert_eq!(on.count(), 2, "{names:?}");
    }

    pool.handle(1).unwrap().stop();
    eventually("loop 1 exits", || {
        pool.metrics()[1].state == LoopState::Exited
    });
    for _ in 0..6 {
        let name = pool.spawn_next(thread_name).unwrap().wait().unwrap();
        assert_ne!(name, "tether-pool-1");
    }
    // The pool still stops, and a loop that merely exited is no panic.
    assert!(pool.stop().panicked.is_empty());
}

#[test]
fn work_comes_back_when_every_loop_is_closed() {
    let pool = LoopPool::builder().loops(2).build().unwrap();
    for handle in pool.handles() {
        handle.stop();
    }
    eventually("both loops close", || {
        pool.handles().all(tether::Handle::is_closed)
    });
    assert!(pool.spawn_next(|| async {}).is_err());
    assert!(pool.spawn_least_loaded(|| async {}).is_err());
    assert!(pool.on_every_loop(|_| async {}).iter().all(Result::is_err));
    assert_eq!(pool.least_loaded(), None);
    #[cfg(feature = "net")]
    {
        let addr = "127.0.0.1:0".parse().unwrap();
        let refused = pool.serve(addr, tether::Spreading::LeastLoaded, |_, _| async {});
        assert!(refused.is_err());
    }
}

#[test]
fn a_blocked_loop_shows_in_the_metrics_of_any_thread() {
    let pool = LoopPool::builder().loops(2).build().unwrap();
    let release = block_loop(&pool, 1);
    let before = pool.metrics();
    let sent: Vec<_> = (0..4)
        .map(|_| pool.spawn_on(1, || async {}).unwrap())
        .collect();
    // The healthy loop keeps iterating meanwhile.
    for _ in 0..3 {
        pool.spawn_on(0, || async {}).unwrap().wait().unwrap();
    }
    let after = pool.metrics();
    let (stuck, healthy) = (&after[1], &after[0]);
    assert_eq!(stuck.state, LoopState::Running);
    assert_eq!(stuck.metrics.iterations, before[1].metrics.iterations);
    assert_eq!(stuck.metrics.injected, 4);
    assert_eq!(stuck.metrics.ready, 1); // the run step it is stuck in
    assert!(healthy.metrics.iterations > before[0].metrics.iterations);
    assert!(stuck.load.unwrap() >= 5, "{stuck:?}");
    assert_eq!(pool.least_loaded(), Some(0));
    // A dump of the stuck loop cannot be had; the other one answers.
    let dumps = pool.dump(Duration::from_millis(50));
    assert!(dumps[0].is_ok());
    assert!(matches!(dumps[1], Err(tether::DumpError::Unresponsive(_))));

    release.send(()).unwrap();
    for task in sent {
        task.wait().unwrap();
    }
    eventually("loop 1 drains its queue", || {
        pool.metrics()[1].metrics.injected == 0
    });
}

#[test]
fn spawn_least_loaded_goes_around_a_blocked_loop() {
    let pool = LoopPool::builder().loops(3).build().unwrap();
    let release = block_loop(&pool, 0);
    let mut late = Vec::new();
    for _ in 0..30 {
        let task = pool.spawn_least_loaded(thread_name).unwrap();
        match task.wait_timeout(Duration::from_millis(200)) {
            Ok(name) => assert_ne!(name.unwrap(), "tether-pool-0"),
            Err(waiting) => late.push(waiting),
        }
    }
    // At most the first choice after the block can tie and land there;
    // what waits on the stuck loop then counts against it.
    assert!(late.len() <= 1, "{} landed on the blocked loop", late.len());
    release.send(()).unwrap();
    for task in late {
        assert_eq!(task.wait().unwrap(), "tether-pool-0");
    }
}

#[test]
fn debug_mode_names_the_loop_of_a_slow_callback() {
    let (tx, rx) = mpsc::channel();
    let pool = LoopPool::builder()
        .loops(2)
        .name("dbg")
        .runtime(move |builder, _| {
            let tx = tx.clone();
            builder
                .debug(true)
                .slow_callback_duration(Duration::from_millis(5))
                .on_slow_callback(move |slow| {
                    let _ = tx.send((slow.loop_name().map(str::to_owned), slow.to_string()));
                })
        })
        .build()
        .unwrap();
    pool.spawn_on(1, || async {
        std::thread::sleep(Duration::from_millis(10))
    })
    .unwrap()
    .wait()
    .unwrap();
    let (name, report) = rx.recv_timeout(Duration::from_secs(5)).unwrap();
    assert_eq!(name.as_deref(), Some("dbg-1"));
    assert!(report.contains(r#"on loop "dbg-1""#), "{report}");
    assert_eq!(pool.metrics()[1].metrics.slow_callbacks, 1);
    assert_eq!(pool.metrics()[0].metrics.slow_callbacks, 0);
}

#[test]
fn a_loop_that_cannot_start_fails_the_build_and_names_it() {
    let err = LoopPool::builder()
        .loops(3)
        .name("bad")
        .runtime(|builder, index| {
            // The third loop's thread panics before its loop starts.
            if index == 2 {
                panic!("no runtime for loop 2");
            }
            builder
        })
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("bad-2"), "{err}");
}

#[cfg(target_os = "linux")]
#[test]
fn pinned_loops_each_run_on_one_cpu() {
    let pool = LoopPool::builder()
        .loops(2)
        .pin_to_cores(true)
        .build()
        .unwrap();
    let cpus = pool.on_every_loop(|_| async {
        let status = std::fs::read_to_string("/proc/thread-self/status").unwrap();
        let line = status
            .lines()
            .find(|line| line.starts_with("Cpus_allowed_list:"))
            .unwrap()
            .to_owned();
        line.split_whitespace().nth(1).unwrap().parse::<usize>()
    });
    let cpus: Vec<_> = cpus
        .into_iter()
        .map(|cpu| cpu.unwrap().wait().unwrap().expect("one CPU, not a list"))
        .collect();
    if std::thread::available_parallelism().unwrap().get() >= 2 {
        assert_ne!(cpus[0], cpus[1]);
    }
}

#[test]
fn a_shutdown_with_a_timeout_no_instant_can_hold_waits_without_panicking() {
    // Nothing to wait for; `Duration::MAX` past now overflows an `Instant`.
    let pool = LoopPool::builder().loops(1).build().unwrap();
    let report = pool.shutdown(Duration::MAX);
    assert_eq!(report.unfinished_connections, 0);
    assert!(report.panicked.is_empty());
}
