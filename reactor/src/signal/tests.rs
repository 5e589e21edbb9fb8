//! The pieces of `Signal` that a test can drive without the kernel: the
//! handler called directly, as the kernel would call it, and the wakeup
//! pipe of non-Linux systems, built here on Linux. Signals sent by the
//! kernel are tested in the workspace's `tests/signal_*.rs`, one process
//! each.

use std::future::Future;
use std::io::ErrorKind;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use super::wake_fd::WakePair;
use super::*;
use crate::{Deadline, Reactor};

/// Runs `f` with a reactor current on this thread, as a loop would.
fn with_reactor<T>(f: impl FnOnce(&Reactor) -> T) -> T {
    let reactor = Reactor::new().unwrap();
    let _current = reactor.enter();
    f(&reactor)
}

/// Polls `signal.recv()` once.
fn poll_once(signal: &Signal) -> Poll<io::Result<u64>> {
    let mut recv = pin!(signal.recv());
    recv.as_mut().poll(&mut Context::from_waker(Waker::noop()))
}

#[test]
fn refused_signals_say_why() {
    for (signal, says) in [
        (libc::SIGKILL, "SIGKILL (9) cannot be caught"),
        (libc::SIGSTOP, "SIGSTOP"),
        (libc::SIGSEGV, "SIGSEGV (11) reports a fault"),
        (libc::SIGBUS, "SIGBUS"),
        (libc::SIGILL, "SIGILL"),
        (libc::SIGFPE, "SIGFPE"),
        (0, "0 is not a signal number"),
        (-3, "-3 is not a signal number"),
        (128, "128 is not a signal number"),
    ] {
        let err = check(signal).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{signal}");
        assert!(err.to_string().contains(says), "{signal}: {err}");
    }
    for signal in [libc::SIGINT, libc::SIGTERM, libc::SIGRTMIN(), 127] {
        check(signal).unwrap();
    }
}

#[test]
fn a_number_the_os_does_not_have_is_its_error() {
    // 127 passes tether's range check, but Linux stops at SIGRTMAX (64).
    with_reactor(|_| {
        let err = Signal::new(127).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert!(err.to_string().contains("signal 127"), "{err}");
    });
}

/// The pipe of non-Linux systems, under more deliveries than it can hold:
/// the handler's writes past the pipe's capacity fail, and the count is
/// whole all the same.
#[test]
fn a_full_wakeup_pipe_loses_no_delivery() {
    // Real-time signals are not sent here: the handler is called directly.
    let number = libc::SIGRTMIN() + 3;
    with_reactor(|reactor| {
        let signal =
            Signal::subscribe(number, WakeFd::register(WakePair::pipe().unwrap()).unwrap())
                .unwrap();
        assert!(poll_once(&signal).is_pending());
        // A Linux pipe holds 64 KiB: 8,192 of the handler's writes.
        let runs = 20_000;
        for _ in 0..runs {
            handler::on_signal(number);
        }
        reactor.react(Deadline::Now).unwrap();
        assert_eq!(poll_once(&signal).map(Result::unwrap), Poll::Ready(runs));
        // Drained: nothing more until the next delivery.
        assert!(poll_once(&signal).is_pending());
        handler::on_signal(number);
        assert_eq!(poll_once(&signal).map(Result::unwrap), Poll::Ready(1));
    });
}

#[test]
fn the_handler_preserves_errno_and_wakes_every_subscriber() {
    let number = libc::SIGRTMIN() + 4;
    with_reactor(|_| {
        let eventfd = Signal::new(number).unwrap();
        let pipe = Signal::subscribe(number, WakeFd::register(WakePair::pipe().unwrap()).unwrap())
            .unwrap();
        let runs_before = handler_runs(number);
        // SAFETY: this thread's errno, set as a failed call would.
        unsafe { *handler::errno_location() = libc::EAGAIN };
        handler::on_signal(number);
        // SAFETY: as above.
        assert_eq!(unsafe { *handler::errno_location() }, libc::EAGAIN);
        assert_eq!(handler_runs(number), runs_before + 1);
        assert_eq!(poll_once(&eventfd).map(Result::unwrap), Poll::Ready(1));
        assert_eq!(poll_once(&pipe).map(Result::unwrap), Poll::Ready(1));
    });
}
