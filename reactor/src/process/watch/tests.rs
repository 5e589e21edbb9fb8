//! The backend seam: the probe, and the SIGCHLD backend refusing before
//! anything is spawned.

use std::io::ErrorKind;

use super::Backend;
use crate::process::Command;
use crate::reactor::Reactor;

/// The pids of the children of the calling thread, from
/// `/proc/thread-self/children` (kernels with `CONFIG_PROC_CHILDREN`;
/// `None` elsewhere).
fn children_of_this_thread() -> Option<Vec<u32>> {
    let list = std::fs::read_to_string("/proc/thread-self/children").ok()?;
    Some(
        list.split_whitespace()
            .map(|pid| pid.parse().unwrap())
            .collect(),
    )
}

#[test]
#[cfg(any(target_os = "linux", target_os = "android"))]
fn the_probe_finds_pidfds_on_linux_5_3_and_later() {
    // The kernels tether is tested on have them; a seccomp filter that
    // refuses pidfd_open would make this `Sigchld`.
    assert_eq!(Backend::probe().unwrap(), Backend::Pidfd);
}

#[test]
fn a_loop_on_the_sigchld_backend_refuses_to_spawn_before_forking() {
    let reactor = Reactor::new().unwrap();
    let _current = reactor.enter();
    reactor.children().force_backend(Backend::Sigchld);
    let before = children_of_this_thread();
    let err = Command::new("true").spawn().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}");
    assert!(
        err.to_string().contains("SIGCHLD fallback is not wired"),
        "{err}"
    );
    assert!(err.to_string().contains("nothing was spawned"), "{err}");
    // Nothing was forked: this thread has no more children than before.
    assert_eq!(children_of_this_thread(), before);
    // Every spawn of that loop says the same; the choice is for good.
    let err = Command::new("true").spawn().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported);
}
