//! A signal's wakeup fd is never fd 0, 1 or 2, even in a process whose
//! standard streams are closed: a child spawned through `fork` rebinds
//! those before its `exec`, and the signal handler, which may run in the
//! child in between, would write into the child's stdio. A process of its
//! own, and one test: it closes this process's stdin for a moment.

use std::os::fd::AsRawFd;

use tether::signal::{SIGUSR1, Signal};

/// What fd `fd` of this process is, or `None` if it is closed.
fn fd_target(fd: i32) -> Option<String> {
    let link = std::fs::read_link(format!("/proc/self/fd/{fd}")).ok()?;
    Some(link.to_string_lossy().into_owned())
}

#[test]
fn a_signal_wakeup_fd_never_takes_a_standard_stream_number() {
    tether::run(async {
        // Stdin, closed: the next fd this process opens would be 0.
        let stdin = std::io::stdin().as_raw_fd();
        // SAFETY: plain system calls; `saved` keeps stdin's file, put back
        // on fd 0 below.
        let saved = unsafe { libc::dup(stdin) };
        assert!(saved > 2);
        // SAFETY: as above; nothing in this test reads stdin meanwhile.
        assert_eq!(unsafe { libc::close(stdin) }, 0);
        let usr1 = Signal::new(SIGUSR1);
        let zero = fd_target(0);
        // SAFETY: as above: stdin's file back on fd 0.
        assert_eq!(unsafe { libc::dup2(saved, stdin) }, stdin);
        // SAFETY: `saved` is this test's own copy.
        unsafe { libc::close(saved) };
        let usr1 = usr1.unwrap();
        assert_eq!(zero, None, "the wakeup fd took fd 0");
        drop(usr1);
    });
}
