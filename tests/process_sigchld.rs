//! Child processes on the `SIGCHLD` fallback: every case of
//! `tests/process.rs` again, with `TETHER_PROCESS_WATCH=sigchld`, which
//! makes each loop watch its children as it would on a kernel without
//! pidfds; then what only this backend has to get right, with other code
//! that handles or ignores `SIGCHLD`.
//!
//! The probe reads the variable once per loop, and a signal disposition
//! is the whole process's, so every test here runs alone in a child
//! process of this binary, with the variable set: the harness's threads
//! never see the environment change under them.

#[path = "support/process_cases.rs"]
mod cases;
mod support;

use std::time::{Duration, Instant};

use tether::process::Command;

use cases::{on_sigchld_backend, run_in_child};
use support::within_10s;

/// What makes a loop use the fallback.
const FORCE: (&str, &str) = ("TETHER_PROCESS_WATCH", "sigchld");

/// Runs `case` in a child process on the fallback, after checking that
/// the fallback is what the loops there use.
fn on_sigchld(name: &str, case: fn()) {
    if !on_sigchld_backend() {
        return run_in_child(name, &[FORCE]);
    }
    assert_loops_watch_through_sigchld();
    case();
}

cases::every_case!(on_sigchld);

/// Checks that a loop here watches its child through `SIGCHLD`: it
/// opens no pidfd, and tether's handler is installed for `SIGCHLD` while
/// the loop has the child, and gone after.
fn assert_loops_watch_through_sigchld() {
    // SIG_DFL, unless whoever started the tests ignores SIGCHLD.
    let before = sigchld_action().0;
    tether::run(within_10s(async {
        let mut child = Command::new("sleep").arg("10").spawn().unwrap();
        let (handler, _) = sigchld_action();
        assert!(
            handler != libc::SIG_DFL && handler != libc::SIG_IGN,
            "no handler for SIGCHLD while the loop has a child"
        );
        let fds = fd_targets();
        assert!(!fds.iter().any(|fd| fd.contains("pidfd")), "{fds:?}");
        child.kill().unwrap();
        let killed = Instant::now();
        child.wait().await.unwrap();
        // The SIGCHLD ended the wait, not the re-check a second later.
        let waited = killed.elapsed();
        assert!(waited < Duration::from_millis(500), "waited {waited:?}");
    }));
    assert_eq!(
        sigchld_action().0,
        before,
        "the disposition is put back once the loop has no child"
    );
}

// ===== other code and SIGCHLD =====

#[test]
fn a_foreign_handler_that_hides_sigchld_delays_an_exit_by_a_second_at_most() {
    if !on_sigchld_backend() {
        return run_in_child(
            "a_foreign_handler_that_hides_sigchld_delays_an_exit_by_a_second_at_most",
            &[FORCE],
        );
    }
    tether::run(within_10s(async {
        // The loop subscribes with its first child...
        let mut long = Command::new("sleep").arg("10").spawn().unwrap();
        // ...then other code replaces tether's handler with one that does
        // not call it: the loop hears no SIGCHLD from here on.
        set_sigchld_handler(ignore_signal as extern "C" fn(libc::c_int) as libc::sighandler_t);
        let mut short = Command::new("sleep").arg("0.05").spawn().unwrap();
        let started = Instant::now();
        assert!(short.wait().await.unwrap().success());
        // Found by the task's re-check, a second after it began to wait.
        let waited = started.elapsed();
        assert!(
            (Duration::from_millis(500)..Duration::from_secs(3)).contains(&waited),
            "waited {waited:?}"
        );
        long.kill().unwrap();
        assert_eq!(
            std::os::unix::process::ExitStatusExt::signal(&long.wait().await.unwrap()),
            Some(libc::SIGKILL)
        );
    }));
    // tether restores only its own handler: the foreign one stays.
    assert_eq!(
        sigchld_action().0,
        ignore_signal as extern "C" fn(libc::c_int) as libc::sighandler_t
    );
}

/// A foreign `SIGCHLD` handler that does nothing.
extern "C" fn ignore_signal(_: libc::c_int) {}

#[test]
fn a_program_that_ignores_sigchld_still_has_its_other_children_reaped_by_the_kernel() {
    if !on_sigchld_backend() {
        return run_in_child(
            "a_program_that_ignores_sigchld_still_has_its_other_children_reaped_by_the_kernel",
            &[FORCE],
        );
    }
    set_sigchld_handler(libc::SIG_IGN);
    tether::run(within_10s(async {
        let mut loops = Command::new("sleep").arg("10").spawn().unwrap();
        // tether's handler is in, and it keeps the kernel reaping.
        let (handler, flags) = sigchld_action();
        assert!(handler != libc::SIG_DFL && handler != libc::SIG_IGN);
        assert_ne!(
            flags & libc::SA_NOCLDWAIT,
            0,
            "the children would stay zombies"
        );
        // A child of other code that nobody waits for leaves no zombie.
        let others = std::process::Command::new("true").spawn().unwrap();
        let pid = others.id();
        drop(others);
        let limit = Instant::now() + Duration::from_secs(5);
        while std::path::Path::new(&format!("/proc/{pid}")).exists() {
            assert!(Instant::now() < limit, "{pid} was left a zombie");
            tether::time::sleep(Duration::from_millis(2)).await;
        }
        // The loop's own children are reaped by the kernel too. One that
        // exited before the loop looked is not signalled by its pid, which
        // may be another process's by now.
        let mut gone = Command::new("true").spawn().unwrap();
        std::thread::sleep(Duration::from_millis(100));
        let err = gone.kill().unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput, "{err}");
        assert!(err.to_string().contains("reaped by other code"), "{err}");
        assert_eq!(gone.id(), None);
        // Its status is lost, and `wait` says so rather than hang.
        loops.kill().unwrap();
        let err = loops.wait().await.unwrap_err();
        assert!(err.to_string().contains("reaped by other code"), "{err}");
    }));
    // Ignored again once the loop lets go.
    assert_eq!(sigchld_action().0, libc::SIG_IGN);
}

#[cfg(feature = "signal")]
#[test]
fn a_program_subscribed_to_sigchld_hears_the_exits_the_loop_reaps() {
    use std::process::Stdio;

    use tether::signal::{SIGCHLD, Signal};

    if !on_sigchld_backend() {
        return run_in_child(
            "a_program_subscribed_to_sigchld_hears_the_exits_the_loop_reaps",
            &[FORCE],
        );
    }
    let before = sigchld_action().0;
    tether::run(within_10s(async {
        let sigchld = Signal::new(SIGCHLD).unwrap();
        let output = Command::new("echo")
            .arg("both")
            .stdout(Stdio::piped())
            .output()
            .await
            .unwrap();
        assert_eq!(output.stdout, b"both\n");
        assert!(sigchld.recv().await.unwrap() >= 1);
        // The loop let go of its own subscription; the program's keeps
        // tether's handler in until it goes too.
        assert_ne!(sigchld_action().0, before);
        drop(sigchld);
        assert_eq!(sigchld_action().0, before);
    }));
}

// ===== choosing the backend =====

#[test]
fn an_unknown_tether_process_watch_is_refused_before_anything_is_spawned() {
    const NAME: &str = "an_unknown_tether_process_watch_is_refused_before_anything_is_spawned";
    if std::env::var_os("TETHER_PROCESS_WATCH").is_none_or(|value| value != "pidfds") {
        return run_in_child(NAME, &[("TETHER_PROCESS_WATCH", "pidfds")]);
    }
    tether::run(within_10s(async {
        let before = children_of_this_thread();
        for _ in 0..2 {
            let err = Command::new("true").spawn().unwrap_err();
            assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput, "{err}");
            let message = err.to_string();
            assert!(message.contains("TETHER_PROCESS_WATCH"), "{message}");
            assert!(message.contains("\"pidfds\""), "{message}");
            assert!(message.contains("nothing was spawned"), "{message}");
        }
        assert_eq!(children_of_this_thread(), before);
    }));
}

// ===== helpers =====

/// The handler and flags of `SIGCHLD` in this process.
fn sigchld_action() -> (libc::sighandler_t, libc::c_int) {
    // SAFETY: a zeroed `sigaction` is a valid value for the kernel to
    // overwrite, and a null new action only reads the current one.
    unsafe {
        let mut current = std::mem::zeroed::<libc::sigaction>();
        assert_eq!(
            libc::sigaction(libc::SIGCHLD, std::ptr::null(), &mut current),
            0
        );
        (current.sa_sigaction, current.sa_flags)
    }
}

/// Sets `SIGCHLD`'s handler to `handler` (a function, `SIG_IGN` or
/// `SIG_DFL`), as other code of a program would.
fn set_sigchld_handler(handler: libc::sighandler_t) {
    // SAFETY: `action` is zeroed, then given an empty mask and a handler
    // that is async-signal-safe (it does nothing) or a disposition.
    unsafe {
        let mut action = std::mem::zeroed::<libc::sigaction>();
        action.sa_sigaction = handler;
        action.sa_flags = libc::SA_RESTART;
        libc::sigemptyset(&mut action.sa_mask);
        assert_eq!(
            libc::sigaction(libc::SIGCHLD, &action, std::ptr::null_mut()),
            0
        );
    }
}

/// What each fd of this process refers to.
fn fd_targets() -> Vec<String> {
    std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|entry| std::fs::read_link(entry.ok()?.path()).ok())
        .map(|target| target.to_string_lossy().into_owned())
        .collect()
}

/// The pids of the children of the calling thread, from
/// `/proc/thread-self/children` (kernels with `CONFIG_PROC_CHILDREN`;
/// `None` elsewhere).
fn children_of_this_thread() -> Option<String> {
    std::fs::read_to_string("/proc/thread-self/children").ok()
}
