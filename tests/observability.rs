//! Task names, spawn locations, `Handle::dump`, and debug mode's slow-run
//! reports.

mod support;

use std::cell::RefCell;
use std::future::pending;
use std::panic::Location;
use std::process::Command;
use std::rc::Rc;
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use tether::task::{TaskInfo, TaskKind, TaskStatus};
use tether::{Dump, DumpError, LoopThread, Runtime, TaskId};

/// The entry of `id` in `dump`.
fn find(dump: &Dump, id: TaskId) -> &TaskInfo {
    dump.tasks
        .iter()
        .find(|task| task.id == id)
        .unwrap_or_else(|| panic!("task {id} is not in the dump:\n{dump}"))
}

/// A loop thread whose runtime is in debug mode.
fn debug_loop_thread() -> LoopThread {
    LoopThread::builder()
        .runtime(|| Runtime::builder().debug(true).build())
        .spawn()
        .unwrap()
}

/// Asserts that `at` is `line` of this file.
#[track_caller]
fn assert_here(at: &Location<'_>, line: u32) {
    assert!(at.file().ends_with("observability.rs"), "spawned at {at}");
    assert_eq!(at.line(), line, "spawned at {at}");
}

/// A stuck task: spawned with a name, polled once, then
/// waiting for something that never happens. Another thread's dump finds
/// it, says where it was spawned, that it is idle after one run, and (in
/// debug mode) for how long.
#[test]
fn a_dump_from_another_thread_shows_a_stuck_task() {
    let lt = debug_loop_thread();
    let (spawned, id) = mpsc::channel();
    lt.handle()
        .call_soon(move || {
            let builder = tether::task::Builder::new().name("stuck");
            let line = line!() + 1;
            let stuck = builder.spawn(pending::<()>());
            spawned.send((stuck.id(), line)).unwrap();
        })
        .unwrap();
    let (id, line) = id.recv().unwrap();
    std::thread::sleep(Duration::from_millis(120));

    let dump = lt.handle().dump().unwrap();
    let stuck = find(&dump, id);
    assert_eq!(stuck.name.as_deref(), Some("stuck"));
    assert_eq!(stuck.kind, TaskKind::Task);
    assert_eq!(stuck.status, TaskStatus::Idle);
    assert_eq!(stuck.runs, 1);
    assert_here(stuck.spawned_at, line);
    let idle = stuck.since_last_run.expect("debug mode keeps run times");
    assert!(idle >= Duration::from_millis(100), "idle for {idle:?}");
    assert!(idle < Duration::from_secs(60), "idle for {idle:?}");

    let shown = dump.to_string();
    assert!(shown.contains("\"stuck\""), "{shown}");
    assert!(
        shown.contains(&format!("observability.rs:{line}:")),
        "{shown}"
    );
    assert!(shown.contains(" ms ago"), "{shown}");
}

/// A task named and spawned from another thread: the name and the caller's
/// location travel with it, in dumps and in debug mode's reports; a closed
/// loop hands the future back.
#[test]
fn a_task_named_on_another_thread_is_named_in_dumps_and_reports() {
    let slow = Arc::new(Mutex::new(Vec::new()));
    let lt = LoopThread::builder()
        .runtime({
            let slow = slow.clone();
            move || {
                Runtime::builder()
                    .debug(true)
                    .slow_callback_duration(Duration::from_millis(20))
                    .on_slow_callback(move |report| {
                        let name = report.name().map(str::to_owned);
                        slow.lock().unwrap().push((name, report.spawned_at()));
                    })
                    .build()
            }
        })
        .spawn()
        .unwrap();
    let line = line!() + 3;
    let hog = tether::task::Builder::new()
        .name("hog")
        .spawn_on(
            async {
                std::thread::sleep(Duration::from_millis(30));
                pending::<()>().await
            },
            lt.handle(),
        )
        .unwrap();

    let dump = lt.handle().dump().unwrap();
    let listed = find(&dump, hog.task_id().expect("a task has an id"));
    assert_eq!(listed.name.as_deref(), Some("hog"));
    assert_here(listed.spawned_at, line);
    let reports = slow.lock().unwrap().clone();
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert_eq!(reports[0].0.as_deref(), Some("hog"));
    assert_here(reports[0].1.expect("a task has a spawn location"), line);

    let handle = lt.handle().clone();
    lt.stop();
    let refused = tether::task::Builder::new()
        .name("late")
        .spawn_on(async { 7 }, &handle);
    let Err(tether::Closed(future)) = refused else {
        panic!("a closed loop takes no task");
    };
    assert_eq!(tether::Runtime::new().unwrap().block_on(future), 7);
}

/// Runs, and the four statuses, as seen from the task that asks; outside
/// debug mode there are no times.
#[test]
fn a_dump_counts_runs_and_tells_the_statuses_apart() {
    tether::run(async {
        let waiter = tether::spawn(pending::<()>());
        let yielder = tether::spawn(async {
            for _ in 0..3 {
                tether::yield_now().await;
            }
            pending::<()>().await;
        });
        let cancelled = tether::spawn(pending::<()>());
        for _ in 0..5 {
            tether::yield_now().await;
        }
        cancelled.cancel();
        let woken = tether::spawn(async {});

        let dump = tether::Handle::current().dump().unwrap();
        assert_eq!(find(&dump, waiter.id()).status, TaskStatus::Idle);
        assert_eq!(find(&dump, waiter.id()).runs, 1);
        assert_eq!(find(&dump, yielder.id()).runs, 4);
        assert_eq!(find(&dump, cancelled.id()).status, TaskStatus::Cancelling);
        assert_eq!(find(&dump, woken.id()).status, TaskStatus::Scheduled);
        assert_eq!(find(&dump, woken.id()).runs, 0);
        // This future is the `block_on`'s, run by the stand-in task.
        let main: Vec<&TaskInfo> = dump
            .tasks
            .iter()
            .filter(|task| task.kind == TaskKind::BlockOn)
            .collect();
        assert_eq!(main.len(), 1, "{dump}");
        assert_eq!(main[0].status, TaskStatus::Running);
        assert!(dump.tasks.iter().all(|task| task.since_last_run.is_none()));
        let ids: Vec<TaskId> = dump.tasks.iter().map(|task| task.id).collect();
        assert!(ids.is_sorted(), "{ids:?}");

        // A finished task leaves the list; a named one takes its name along.
        let woken_id = woken.id();
        woken.await.unwrap();
        let named = tether::task::Builder::new().name("brief").spawn(async {});
        named.await.unwrap();
        let dump = tether::Handle::current().dump().unwrap();
        assert!(dump.tasks.iter().all(|task| task.id != woken_id), "{dump}");
        assert!(dump.tasks.iter().all(|task| task.name.is_none()), "{dump}");
    });
}

/// A task's header holds its count of runs in two bytes and hands it to
/// the task list every 65,536 runs: the dump adds both, run by run, and
/// in debug mode too (where every run is also stamped beside the list).
/// A task that takes a finished one's place in the list starts from
/// nothing: no runs, and no last run. (That place is the finished task's
/// key because `slab` hands out the last key freed first.)
#[test]
fn a_dump_counts_runs_past_what_the_header_holds() {
    const YIELDS: u32 = 150_000;
    for debug in [false, true] {
        let rt = Runtime::builder().debug(debug).build().unwrap();
        rt.block_on(async {
            let yielder = tether::spawn(async {
                for _ in 0..YIELDS {
                    tether::yield_now().await;
                }
                pending::<()>().await;
            });
            let mut seen = 0;
            while seen < YIELDS + 1 {
                tether::yield_now().await;
                let dump = tether::Handle::current().dump().unwrap();
                let runs = find(&dump, yielder.id()).runs;
                // Counted as they happen: one run more since the last look.
                assert!(
                    runs == seen + 1 || seen == 0,
                    "debug {debug}: {runs} after {seen}"
                );
                seen = runs;
            }
            assert_eq!(seen, YIELDS + 1, "debug {debug}");

            yielder.cancel();
            assert!(matches!(yielder.await, Err(tether::JoinError::Cancelled)));
            let fresh = tether::spawn(pending::<()>());
            let dump = tether::Handle::current().dump().unwrap();
            let fresh = find(&dump, fresh.id());
            assert_eq!(fresh.runs, 0, "debug {debug}");
            assert_eq!(fresh.since_last_run, None, "debug {debug}");
        });
    }
}

/// Shutdown empties the task list, and its keys start again from zero: a
/// task that a destructor spawns then takes the key of a task that ran
/// (here the one `rt.spawn` made, polled by the `block_on` and stamped in
/// debug mode), and still starts from nothing in a dump.
#[test]
fn a_task_spawned_during_shutdown_starts_from_nothing() {
    struct SpawnOnDrop(Arc<Mutex<Option<TaskInfo>>>);
    impl Drop for SpawnOnDrop {
        fn drop(&mut self) {
            let task = tether::spawn(async {});
            let dump = tether::Handle::current().dump().unwrap();
            *self.0.lock().unwrap() = Some(find(&dump, task.id()).clone());
        }
    }
    let seen = Arc::new(Mutex::new(None));
    let rt = Runtime::builder().debug(true).build().unwrap();
    let guard = SpawnOnDrop(Arc::clone(&seen));
    drop(rt.spawn(async move {
        let _guard = guard;
        pending::<()>().await;
    }));
    rt.block_on(async {
        for _ in 0..3 {
            tether::yield_now().await;
        }
    });
    drop(rt);
    let spawned = seen.lock().unwrap().take().expect("the destructor ran");
    assert_eq!(spawned.runs, 0, "{spawned:?}");
    assert_eq!(spawned.since_last_run, None, "{spawned:?}");
}

/// Each kind of start records its caller: a task, a timed callback, a
/// group's child, `Runtime::spawn`, `block_on`, and `Handle::spawn` from
/// another thread.
#[test]
fn each_task_records_where_it_was_spawned() {
    let rt = Runtime::new().unwrap();
    let handle = rt.handle();
    let mut expected = Vec::new();
    let remote = std::thread::spawn(move || {
        let line = line!() + 1;
        let task = handle.spawn(pending::<()>()).unwrap();
        (task, line)
    });
    let (remote_task, remote_line) = remote.join().unwrap();

    let line = line!() + 1;
    let from_runtime = rt.spawn(pending::<()>());
    expected.push((from_runtime.id(), line));

    let block_on_line = line!() + 1;
    let (dump, local) = rt.block_on(async {
        let mut local = Vec::new();
        let line = line!() + 1;
        let task = tether::spawn(pending::<()>());
        local.push((task.id(), line, TaskKind::Task));
        let line = line!() + 1;
        let callback = tether::call_later(Duration::from_secs(60), || {});
        local.push((callback.id(), line, TaskKind::Callback));
        let group = tether::task::TaskGroup::<(), ()>::new();
        let line = line!() + 1;
        let child = group.spawn(pending());
        local.push((child, line, TaskKind::Task));
        tether::yield_now().await;
        let dump = tether::Handle::current().dump().unwrap();
        drop(group);
        (dump, local)
    });

    for (id, line, kind) in local {
        let task = find(&dump, id);
        assert_eq!(task.kind, kind);
        assert_here(task.spawned_at, line);
    }
    for (id, line) in expected {
        assert_here(find(&dump, id).spawned_at, line);
    }
    assert_here(
        find(&dump, remote_task.task_id().unwrap()).spawned_at,
        remote_line,
    );
    let main = dump
        .tasks
        .iter()
        .find(|task| task.kind == TaskKind::BlockOn)
        .unwrap();
    assert_here(main.spawned_at, block_on_line);
    drop(remote_task);
}

/// A dump needs the loop to answer. One blocked inside a run cannot, and
/// the caller hears so in time; a closed loop, or the loop's own thread
/// outside the loop, is an error at once.
#[test]
fn a_dump_that_the_loop_cannot_answer_is_an_error() {
    let lt = LoopThread::new().unwrap();
    let handle = lt.handle().clone();
    let (blocking, blocked) = mpsc::channel();
    let (release, released) = mpsc::channel::<()>();
    handle
        .call_soon(move || {
            blocking.send(()).unwrap();
            let _ = released.recv_timeout(Duration::from_secs(10));
        })
        .unwrap();
    blocked.recv().unwrap();
    let asked = Instant::now();
    let answer = handle.dump_timeout(Duration::from_millis(100));
    assert_eq!(
        answer.unwrap_err(),
        DumpError::Unresponsive(Duration::from_millis(100))
    );
    assert!(asked.elapsed() >= Duration::from_millis(100));
    release.send(()).unwrap();
    // Unblocked, it answers again.
    assert!(handle.dump().is_ok());
    lt.stop();
    assert_eq!(handle.dump().unwrap_err(), DumpError::Closed);

    let rt = Runtime::new().unwrap();
    assert_eq!(rt.handle().dump().unwrap_err(), DumpError::NotRunning);
    let task = rt.spawn(pending::<()>());
    assert_eq!(rt.dump().tasks.len(), 1);
    assert_eq!(rt.dump().tasks[0].id, task.id());
}

/// Debug mode reports a run that reaches the threshold, naming the task and
/// where it was spawned, whether it is a task, a callback on the loop or
/// one from another thread; a quick run goes unreported.
#[test]
fn debug_mode_reports_slow_runs_by_name_and_place() {
    let reports = Rc::new(RefCell::new(Vec::new()));
    let seen = reports.clone();
    let rt = Runtime::builder()
        .debug(true)
        .slow_callback_duration(Duration::from_millis(50))
        .on_slow_callback(move |slow| {
            seen.borrow_mut().push((
                slow.task_id(),
                slow.kind(),
                slow.name().map(str::to_owned),
                slow.spawned_at(),
                slow.took(),
                slow.to_string(),
            ));
        })
        .build()
        .unwrap();
    let handle = rt.handle();
    let nap = || std::thread::sleep(Duration::from_millis(60));
    let remote_line = line!() + 1;
    handle.call_soon(nap).unwrap();
    let (task_line, callback_line, id) = rt.block_on(async {
        let builder = tether::task::Builder::new().name("sleeper");
        let task_line = line!() + 1;
        let slow = builder.spawn(async {
            tether::yield_now().await;
            std::thread::sleep(Duration::from_millis(60));
        });
        let id = slow.id();
        tether::spawn(async {}).await.unwrap();
        slow.await.unwrap();
        let callback_line = line!() + 1;
        tether::call_soon(|| std::thread::sleep(Duration::from_millis(60)));
        tether::yield_now().await;
        tether::yield_now().await;
        (task_line, callback_line, id)
    });

    let reports = reports.borrow();
    assert_eq!(reports.len(), 3, "{reports:#?}");
    let (task, kind, name, at, took, shown) = &reports[0];
    assert_eq!(*task, None, "the remote callback runs first");
    assert_eq!(*kind, TaskKind::Callback);
    assert_eq!(*name, None);
    assert_here(at.unwrap(), remote_line);
    assert!(*took >= Duration::from_millis(60));
    assert!(
        shown.starts_with("a callback from another thread (spawned at"),
        "{shown}"
    );

    let (task, kind, name, at, took, shown) = &reports[1];
    assert_eq!(*task, Some(id));
    assert_eq!(*kind, TaskKind::Task);
    assert_eq!(name.as_deref(), Some("sleeper"));
    assert_here(at.unwrap(), task_line);
    assert!(*took >= Duration::from_millis(60));
    assert!(
        shown.starts_with(&format!("task {id} \"sleeper\" (spawned at ")),
        "{shown}"
    );
    assert!(
        shown.contains("more than the 50ms slow_callback_duration"),
        "{shown}"
    );

    let (_, kind, _, at, _, _) = &reports[2];
    assert_eq!(*kind, TaskKind::Callback);
    assert_here(at.unwrap(), callback_line);
}

/// Without debug mode, nothing is timed or reported.
#[test]
fn without_debug_mode_slow_runs_go_unreported() {
    let reports = Rc::new(RefCell::new(0));
    let seen = reports.clone();
    let rt = Runtime::builder()
        .debug(false)
        .slow_callback_duration(Duration::ZERO)
        .on_slow_callback(move |_| *seen.borrow_mut() += 1)
        .build()
        .unwrap();
    rt.block_on(async {
        tether::spawn(async {}).await.unwrap();
        let dump = tether::Handle::current().dump().unwrap();
        assert!(dump.tasks.iter().all(|task| task.since_last_run.is_none()));
    });
    assert_eq!(*reports.borrow(), 0);
}

/// `TETHER_DEBUG=1` turns debug mode on for a runtime built without a
/// word about it, and the default report is one line on stderr. Checked in
/// a child process (this test binary, re-run on this one test), whose
/// environment and stderr are its own.
#[test]
fn tether_debug_turns_debug_mode_on_and_warns_on_stderr() {
    if std::env::var_os("TETHER_OBSERVABILITY_CHILD").is_some() {
        tether::run(async {
            tether::task::Builder::new()
                .name("hog")
                .spawn(async { std::thread::sleep(Duration::from_millis(110)) })
                .await
                .unwrap();
        });
        return;
    }
    let child = |debug: &str| {
        let output = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "tether_debug_turns_debug_mode_on_and_warns_on_stderr",
            ])
            .args(["--nocapture", "--test-threads=1"])
            .env("TETHER_OBSERVABILITY_CHILD", "1")
            .env("TETHER_DEBUG", debug)
            .output()
            .unwrap();
        assert!(output.status.success(), "the child failed: {output:?}");
        String::from_utf8_lossy(&output.stderr)
            .lines()
            .filter(|line| line.starts_with("tether:"))
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let warned = child("1");
    assert_eq!(warned.len(), 1, "{warned:?}");
    assert!(
        warned[0]
            .starts_with("tether: warning: task 1 \"hog\" (spawned at tests/observability.rs:"),
        "{warned:?}"
    );
    assert!(
        warned[0].ends_with("more than the 100ms slow_callback_duration"),
        "{warned:?}"
    );
    assert_eq!(child("0"), Vec::<String>::new());
}
