//! Panics that nobody joins go to the exception handler; the loop goes on.

use std::cell::RefCell;
use std::process::Command;
use std::rc::Rc;
use std::time::Duration;

use tether::Runtime;

/// (task id, is callback, message) of every exception the handler saw.
type Seen = Rc<RefCell<Vec<(u64, bool, String)>>>;

fn runtime_recording(seen: &Seen) -> Runtime {
    let seen = seen.clone();
    Runtime::builder()
        .on_exception(move |e| {
            let id = e
                .task_id()
                .expect("a task's id")
                .to_string()
                .parse()
                .unwrap();
            seen.borrow_mut()
                .push((id, e.is_callback(), e.message().unwrap_or("").to_owned()));
        })
        .build()
        .unwrap()
}

#[test]
fn a_detached_task_panic_reaches_the_handler_and_the_loop_goes_on() {
    let seen = Seen::default();
    let rt = runtime_recording(&seen);
    let out = rt.block_on(async {
        drop(tether::spawn(async {
            tether::yield_now().await;
            panic!("detached boom");
        }));
        tether::time::sleep(Duration::from_millis(2)).await;
        "loop still running"
    });
    assert_eq!(out, "loop still running");
    assert_eq!(*seen.borrow(), [(1, false, "detached boom".to_owned())]);
}

#[test]
fn a_joined_task_panic_does_not_reach_the_handler() {
    let seen = Seen::default();
    let rt = runtime_recording(&seen);
    let err = rt.block_on(async { tether::spawn(async { panic!("joined") }).await.unwrap_err() });
    assert!(err.is_panicked());
    assert!(seen.borrow().is_empty());
}

#[test]
fn a_callback_panic_reaches_the_handler() {
    let seen = Seen::default();
    let rt = runtime_recording(&seen);
    rt.block_on(async {
        let _ = tether::call_soon(|| panic!("callback boom"));
        let _ = tether::call_later(Duration::from_millis(1), || panic!("timed boom"));
        tether::time::sleep(Duration::from_millis(5)).await;
    });
    assert_eq!(
        *seen.borrow(),
        [
            (1, true, "callback boom".to_owned()),
            (2, true, "timed boom".to_owned())
        ]
    );
}

#[test]
fn a_panicking_handler_does_not_stop_the_loop() {
    let rt = Runtime::builder()
        .on_exception(|_| panic!("the handler itself fails"))
        .build()
        .unwrap();
    let out = rt.block_on(async {
        drop(tether::spawn(async { panic!("first") }));
        tether::yield_now().await;
        tether::yield_now().await;
        7
    });
    assert_eq!(out, 7);
}

/// The default handler prints one line on stderr naming the task. Checked in
/// a child process (this test binary, re-run on this one test), whose
/// stderr can be read.
#[test]
fn the_default_handler_prints_one_line_naming_the_task() {
    if std::env::var_os("TETHER_PANIC_CHILD").is_some() {
        tether::run(async {
            drop(tether::spawn(async { panic!("boom") }));
            tether::yield_now().await;
        });
        return;
    }
    let output = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "the_default_handler_prints_one_line_naming_the_task",
        ])
        .args(["--nocapture", "--test-threads=1"])
        .env("TETHER_PANIC_CHILD", "1")
        .output()
        .unwrap();
    assert!(output.status.success(), "the child failed: {output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let ours: Vec<&str> = stderr
        .lines()
        .filter(|line| line.starts_with("tether:"))
        .collect();
    assert_eq!(
        ours,
        ["tether: task 1 panicked: boom"],
        "stderr was:\n{stderr}"
    );
}

/// A report that cannot be written (stderr a closed pipe) is dropped, and
/// the loop goes on: `eprintln!` would have panicked inside the loop.
#[test]
fn a_report_to_a_closed_stderr_does_not_stop_the_loop() {
    if std::env::var_os("TETHER_CLOSED_STDERR_CHILD").is_some() {
        let ran_on = tether::run(async {
            drop(tether::spawn(async { panic!("nobody can read this") }));
            tether::yield_now().await;
            tether::spawn(async { "after" }).await.unwrap()
        });
        println!("the loop went on: {ran_on}");
        return;
    }
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "a_report_to_a_closed_stderr_does_not_stop_the_loop",
        ])
        .args(["--nocapture", "--test-threads=1"])
        .env("TETHER_CLOSED_STDERR_CHILD", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Nobody will read the child's stderr: its writes fail with EPIPE.
    drop(child.stderr.take());
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("the loop went on: after"),
        "{output:?}"
    );
}

// ===== panics nobody read =====

/// What an exception handler saw: the report's line, and whether it named
/// a blocking job.
type Lines = Rc<RefCell<Vec<String>>>;

fn runtime_reporting_lines(lines: &Lines) -> Runtime {
    let lines = lines.clone();
    Runtime::builder()
        .max_blocking_threads(1)
        .on_exception(move |e| lines.borrow_mut().push(e.to_string()))
        .build()
        .unwrap()
}

/// Runs the loop until `lines` holds something, for up to ten seconds.
async fn until_reported(lines: &Lines) {
    for _ in 0..10_000 {
        if !lines.borrow().is_empty() {
            return;
        }
        tether::time::sleep(Duration::from_millis(1)).await;
    }
    panic!("nothing reached the exception handler");
}

#[test]
fn a_panic_a_join_handle_held_but_dropped_unread_reaches_the_handler() {
    let lines = Lines::default();
    let rt = runtime_reporting_lines(&lines);
    rt.block_on(async {
        let task = tether::spawn(async { panic!("never read") });
        tether::yield_now().await;
        assert!(task.is_finished());
        assert!(lines.borrow().is_empty(), "nobody has dropped it yet");
        drop(task);
    });
    assert_eq!(*lines.borrow(), ["task 1 panicked: never read"]);
}

#[test]
fn a_panic_of_a_detached_blocking_job_reaches_the_handler() {
    let lines = Lines::default();
    let rt = runtime_reporting_lines(&lines);
    rt.block_on(async {
        tether::spawn_blocking(|| panic!("detached job")).detach();
        until_reported(&lines).await;
    });
    assert_eq!(*lines.borrow(), ["blocking job panicked: detached job"]);
}

#[test]
fn a_panic_of_a_started_blocking_job_whose_future_was_dropped_reaches_the_handler() {
    let lines = Lines::default();
    let rt = runtime_reporting_lines(&lines);
    rt.block_on(async {
        let (started, has_started) = std::sync::mpsc::channel();
        let (go, gate) = std::sync::mpsc::channel::<()>();
        let job = tether::spawn_blocking(move || {
            started.send(()).unwrap();
            gate.recv().unwrap();
            panic!("dropped while running");
        });
        while has_started.try_recv().is_err() {
            tether::time::sleep(Duration::from_millis(1)).await;
        }
        drop(job);
        go.send(()).unwrap();
        until_reported(&lines).await;
    });
    assert_eq!(
        *lines.borrow(),
        ["blocking job panicked: dropped while running"]
    );
}

#[test]
fn a_panic_of_a_finished_blocking_job_whose_future_was_dropped_unread_reaches_the_handler() {
    let lines = Lines::default();
    let rt = runtime_reporting_lines(&lines);
    rt.block_on(async {
        let job = tether::spawn_blocking(|| panic!("done, never read"));
        while !job.is_done() {
            tether::time::sleep(Duration::from_millis(1)).await;
        }
        drop(job);
        until_reported(&lines).await;
    });
    assert_eq!(*lines.borrow(), ["blocking job panicked: done, never read"]);
}

#[test]
fn a_panic_of_a_finished_blocking_job_whose_future_the_shutdown_drops_reaches_the_handler() {
    let lines = Lines::default();
    let rt = runtime_reporting_lines(&lines);
    rt.block_on(async {
        let job = tether::spawn_blocking(|| panic!("dropped by the shutdown"));
        while !job.is_done() {
            tether::time::sleep(Duration::from_millis(1)).await;
        }
        // A task holds it unread until the runtime's shutdown drops the
        // task, when the loop no longer takes submissions.
        drop(tether::spawn(async move {
            let _job = job;
            std::future::pending::<()>().await
        }));
        tether::yield_now().await;
    });
    drop(rt);
    assert_eq!(
        *lines.borrow(),
        ["blocking job panicked: dropped by the shutdown"]
    );
}

#[test]
fn a_queued_blocking_jobs_destructor_that_panics_in_the_shutdown_reaches_the_handler() {
    /// Panics when dropped.
    struct Bomb;
    impl Drop for Bomb {
        fn drop(&mut self) {
            panic!("dropped unstarted");
        }
    }
    let lines = Lines::default();
    let rt = Runtime::builder()
        .max_blocking_threads(1)
        .shutdown_timeout(Duration::ZERO)
        .on_exception({
            let lines = lines.clone();
            move |e| lines.borrow_mut().push(e.to_string())
        })
        .build()
        .unwrap();
    let (release, gate) = std::sync::mpsc::channel::<()>();
    let (started, has_started) = std::sync::mpsc::channel();
    // The one thread is busy, so the second job is still queued when the
    // runtime shuts down; its handle is kept, so that it is not cancelled.
    let jobs = rt.block_on(async {
        let busy = tether::spawn_blocking(move || {
            started.send(()).unwrap();
            let _ = gate.recv();
        });
        while has_started.try_recv().is_err() {
            tether::time::sleep(Duration::from_millis(1)).await;
        }
        let bomb = Bomb;
        let queued = tether::spawn_blocking(move || drop(bomb));
        (busy, queued)
    });
    let dropped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(rt)));
    release.send(()).unwrap();
    assert!(
        dropped.is_ok(),
        "the panic unwound out of the runtime's drop"
    );
    assert_eq!(
        *lines.borrow(),
        ["blocking job panicked: dropped unstarted"]
    );
    assert!(jobs.1.wait().unwrap_err().is_cancelled());
}

#[test]
fn a_blocking_job_panic_that_was_read_does_not_reach_the_handler() {
    let lines = Lines::default();
    let rt = runtime_reporting_lines(&lines);
    rt.block_on(async {
        let error = tether::spawn_blocking(|| panic!("read")).await.unwrap_err();
        assert_eq!(error.panic_message(), Some("read"));
        // Time for a report that should not come.
        tether::time::sleep(Duration::from_millis(20)).await;
    });
    assert!(lines.borrow().is_empty(), "{:?}", lines.borrow());
}
