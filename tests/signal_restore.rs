//! Removing a signal's last subscriber puts back the disposition it had
//! before tether's handler: the default (so the signal kills the process,
//! as it would a program without a handler), or whatever was there
//! before. Each case runs in a child process, this test binary run again
//! with `TETHER_SIGNAL_CHILD` naming the case, and the parent checks how
//! it ended: killed by the signal, or exited with status 0.

use std::cell::Cell;
use std::os::unix::process::ExitStatusExt;
use std::process::Command;
use std::rc::Rc;
use std::time::Duration;

use tether::signal::{SIGINT, SIGUSR1, Signal};

/// The environment variable that makes this binary a child.
const CHILD: &str = "TETHER_SIGNAL_CHILD";
/// The name of the test that runs the children.
const TEST: &str = "removing_the_last_subscriber_restores_the_previous_disposition";

/// Sends `signal` to this process.
fn raise(signal: libc::c_int) {
    // SAFETY: a plain system call on this process.
    assert_eq!(unsafe { libc::kill(libc::getpid(), signal) }, 0);
}

/// Sets the disposition of `signal` without tether: `SIG_IGN` or
/// `SIG_DFL`.
fn set_disposition(signal: libc::c_int, handler: libc::sighandler_t) {
    // SAFETY: `SIG_IGN` and `SIG_DFL` are not functions that can run.
    let previous = unsafe { libc::signal(signal, handler) };
    assert_ne!(previous, libc::SIG_ERR);
}

/// Waits until `flag` is set, on the loop.
async fn until_set(flag: &Cell<bool>) {
    while !flag.get() {
        tether::time::sleep(Duration::from_millis(1)).await;
    }
}

/// One case, in the child: subscribes, receives, unsubscribes, then
/// sends the signal again. Returns only if that did not kill the process.
fn child(case: &str) {
    let signal = if case == "ctrl_c" { SIGINT } else { SIGUSR1 };
    // From its default, whatever this process inherited (a shell runs a
    // background job with SIGINT ignored), so that the cases that restore
    // it restore the default.
    set_disposition(signal, libc::SIG_DFL);
    if case == "ignored_before" {
        set_disposition(signal, libc::SIG_IGN);
    }
    tether::run(async {
        match case {
            // A `Signal`, dropped.
            "signal" | "ignored_before" => {
                let usr1 = Signal::new(signal).unwrap();
                raise(signal);
                assert_eq!(usr1.recv().await.unwrap(), 1);
            }
            // Two subscribers; the first to leave changes nothing.
            "two_subscribers" => {
                let first = Signal::new(signal).unwrap();
                let second = Signal::new(signal).unwrap();
                drop(first);
                raise(signal);
                assert_eq!(second.recv().await.unwrap(), 1);
            }
            // Something else replaced tether's handler meanwhile: that
            // stays.
            "replaced_meanwhile" => {
                let usr1 = Signal::new(signal).unwrap();
                set_disposition(signal, libc::SIG_IGN);
                drop(usr1);
            }
            // The callback form, removed; then replaced and removed.
            "handler" => {
                let called = Rc::new(Cell::new(false));
                let flag = called.clone();
                tether::add_signal_handler(signal, move || flag.set(true)).unwrap();
                tether::add_signal_handler(signal, || ()).unwrap();
                let flag = called.clone();
                tether::add_signal_handler(signal, move || flag.set(true)).unwrap();
                raise(signal);
                until_set(&called).await;
                assert!(tether::remove_signal_handler(signal));
            }
            // The callback form, removed by the loop's shutdown.
            "handler_at_shutdown" => {
                let called = Rc::new(Cell::new(false));
                let flag = called.clone();
                tether::add_signal_handler(signal, move || flag.set(true)).unwrap();
                raise(signal);
                until_set(&called).await;
            }
            // `ctrl_c`, once it completed.
            "ctrl_c" => {
                let ctrl_c = tether::spawn(tether::signal::ctrl_c());
                tether::yield_now().await; // it subscribes
                raise(signal);
                ctrl_c.await.unwrap().unwrap();
            }
            other => panic!("no such case: {other}"),
        }
    });
    // Outside any loop, and with no subscriber left.
    raise(signal);
    // A signal sent to the process is delivered before `kill` returns to a
    // thread that does not block it; give another thread a moment anyway.
    std::thread::sleep(Duration::from_millis(100));
}

#[test]
fn removing_the_last_subscriber_restores_the_previous_disposition() {
    if let Ok(case) = std::env::var(CHILD) {
        child(&case);
        return;
    }
    for (case, killed_by) in [
        ("signal", Some(SIGUSR1)),
        ("two_subscribers", Some(SIGUSR1)),
        ("handler", Some(SIGUSR1)),
        ("handler_at_shutdown", Some(SIGUSR1)),
        ("ctrl_c", Some(SIGINT)),
        ("ignored_before", None),
        ("replaced_meanwhile", None),
    ] {
        let output = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", TEST, "--test-threads=1", "--nocapture"])
            .env(CHILD, case)
            .output()
            .unwrap();
        let status = output.status;
        let stderr = String::from_utf8_lossy(&output.stderr);
        match killed_by {
            Some(signal) => assert_eq!(
                status.signal(),
                Some(signal),
                "case {case}: the child was not killed by signal {signal}: {status:?}\n{stderr}"
            ),
            None => assert!(
                status.success(),
                "case {case}: the child did not survive: {status:?}\n{stderr}"
            ),
        }
    }
}
