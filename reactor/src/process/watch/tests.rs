//! The backend seam: the probe, and the SIGCHLD backend's subscription and
//! re-check timer, driven by hand on a reactor of their own. The backend's
//! behaviour through the public API is tested in the workspace's
//! `tests/process_sigchld.rs`, which runs every test of `tests/process.rs`
//! with `TETHER_PROCESS_WATCH=sigchld`.

use std::future::{Future, poll_fn};
use std::io::ErrorKind;
use std::pin::pin;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use super::Backend;
use super::sigchld::RECHECK;
use crate::process::Command;
use crate::reactor::{Deadline, Reactor};

/// A waker that counts its wakes.
#[derive(Default)]
struct Count(Mutex<usize>);

impl Wake for Count {
    fn wake(self: Arc<Self>) {
        *self.0.lock().unwrap() += 1;
    }
}

impl Count {
    fn get(&self) -> usize {
        *self.0.lock().unwrap()
    }
}

/// A reactor, current on this thread, whose loop watches children through
/// `SIGCHLD`.
fn sigchld_reactor() -> Rc<Reactor> {
    let reactor = Reactor::new().unwrap();
    reactor.children().force_backend(Backend::Sigchld);
    reactor
}

/// Whether the loop of `reactor` holds a subscription to `SIGCHLD`.
fn is_listening(reactor: &Reactor) -> bool {
    reactor.children().sigchld().borrow().is_listening()
}

/// Drives `future` to its end as a loop would: poll it, wait in the
/// poller until an event or the next timer, fire the timers, again. Fails
/// after ten seconds.
fn run<T>(reactor: &Reactor, future: impl Future<Output = T>) -> T {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    let limit = Instant::now() + Duration::from_secs(10);
    loop {
        if let Poll::Ready(value) = future.as_mut().poll(&mut cx) {
            return value;
        }
        assert!(Instant::now() < limit, "the future did not end in 10 s");
        let deadline = reactor.next_timer().map_or(limit, |next| next.min(limit));
        reactor.react(Deadline::At(deadline)).unwrap();
        reactor.fire_timers(Instant::now());
    }
}

#[test]
#[cfg(any(target_os = "linux", target_os = "android"))]
fn the_probe_finds_pidfds_on_linux_5_3_and_later() {
    // The kernels tether is tested on have them; a seccomp filter that
    // refuses pidfd_open would make this `Sigchld`.
    assert_eq!(Backend::probe().unwrap(), Backend::Pidfd);
}

#[test]
fn the_sigchld_backend_listens_only_while_the_loop_has_a_child() {
    let reactor = sigchld_reactor();
    let _current = reactor.enter();
    assert!(!is_listening(&reactor));
    // A spawn that fails leaves no subscription behind.
    let err = Command::new("no-such-program-here").spawn().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert!(!is_listening(&reactor));

    let mut first = Command::new("sleep").arg("0.05").spawn().unwrap();
    assert!(is_listening(&reactor));
    let mut second = Command::new("true").spawn().unwrap();
    let started = Instant::now();
    let status = run(&reactor, first.wait()).unwrap();
    assert!(status.success());
    // The signal ended the wait, not the re-check timer.
    let waited = started.elapsed();
    assert!(waited < RECHECK / 2, "the wait took {waited:?}");
    assert!(is_listening(&reactor), "the second child still needs it");
    assert!(run(&reactor, second.wait()).unwrap().success());
    assert!(!is_listening(&reactor));
    drop((first, second));
    assert!(!is_listening(&reactor));
}

#[test]
fn a_child_whose_sigchld_is_lost_is_found_by_the_recheck_timer() {
    let reactor = sigchld_reactor();
    let _current = reactor.enter();
    let mut child = Command::new("sleep").arg("0.05").spawn().unwrap();
    let count = Arc::new(Count::default());
    let waker = Waker::from(count.clone());
    let mut cx = Context::from_waker(&waker);
    let mut wait = pin!(poll_fn(|cx| child.poll_wait(cx)));
    let polled = Instant::now();
    assert!(wait.as_mut().poll(&mut cx).is_pending());
    // The wait armed its re-check timer, a second away (the wheel may
    // name an earlier instant, when a coarse level of it needs a look).
    let due = Instant::now() + RECHECK + Duration::from_millis(2);
    let next = reactor.next_timer().expect("a re-check timer");
    assert!(next > polled + RECHECK / 2, "{:?}", next - polled);
    assert!(next <= due, "{:?}", next - polled);
    // The child exits, and its SIGCHLD reaches the subscription's fd; the
    // reactor never dispatches it, as if the signal were lost.
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(count.get(), 0);
    // The timer wakes the task, whose poll reaps the child itself.
    assert_eq!(reactor.fire_timers(polled + RECHECK / 2), 0);
    assert_eq!(reactor.fire_timers(due), 1);
    assert_eq!(count.get(), 1);
    match wait.as_mut().poll(&mut cx) {
        Poll::Ready(status) => assert!(status.unwrap().success()),
        Poll::Pending => panic!("the child exited 150 ms ago"),
    }
    // Reaped: its slot, its timer and the subscription are gone.
    assert_eq!(child.id(), None);
    assert_eq!(reactor.next_timer(), None);
    assert!(!is_listening(&reactor));
}

#[test]
fn the_recheck_reaps_a_child_before_its_child_looks_and_no_signal_follows() {
    let reactor = sigchld_reactor();
    let _current = reactor.enter();
    let mut child = Command::new("true").spawn().unwrap();
    let pid = child.id().unwrap();
    // The loop runs until its re-check has reaped the child, without the
    // `Child` asking.
    let limit = Instant::now() + Duration::from_secs(10);
    while child.id().is_some() {
        assert!(Instant::now() < limit, "the re-check never reaped {pid}");
        reactor
            .react(Deadline::At(Instant::now() + Duration::from_millis(10)))
            .unwrap();
    }
    // Reaped: the pid may be another process's, so no signal is sent.
    let err = child.kill().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.to_string().contains("was reaped"), "{err}");
    // The status was kept for it.
    assert!(child.try_wait().unwrap().unwrap().success());
    drop(child);
    assert!(!is_listening(&reactor));
}
