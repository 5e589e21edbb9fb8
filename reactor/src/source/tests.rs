//! Tests of registrations and readiness, in both of the poller's modes:
//! edge-triggered (the platform's own, checked to be on) and oneshot (forced
//! with `Reactor::new_oneshot`).

use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::sync::{Arc, Mutex};
use std::task::{Wake, Waker};

use polling::Event;

use super::*;
use crate::reactor::{Deadline, EnterGuard};

/// A waker that counts its wakes.
#[derive(Default)]
struct Counter(Mutex<usize>);

impl Wake for Counter {
    fn wake(self: Arc<Self>) {
        *self.0.lock().unwrap() += 1;
    }
}

/// A current reactor, a registered socket (`ours`) and its peer
/// (`theirs`), and a waker that counts. Fields drop in order: the
/// registration before the socket it watches.
struct Fixture {
    registration: Registration,
    ours: UnixStream,
    theirs: UnixStream,
    counter: Arc<Counter>,
    waker: Waker,
    reactor: Rc<Reactor>,
    _enter: EnterGuard,
}

impl Fixture {
    /// Sources as the platform registers them: edge-triggered on epoll and
    /// kqueue, which the assertion checks.
    fn new() -> Self {
        let fixture = Self::with(Reactor::new().unwrap());
        assert!(
            fixture.reactor.sources().borrow().is_edge_triggered(),
            "epoll does edges"
        );
        fixture
    }

    /// Sources registered oneshot, as on the poll backend.
    fn oneshot() -> Self {
        Self::with(Reactor::new_oneshot().unwrap())
    }

    fn with(reactor: Rc<Reactor>) -> Self {
        let _enter = reactor.enter();
        let (ours, theirs) = pair();
        let registration = register(&ours);
        let counter = Arc::new(Counter::default());
        let waker = Waker::from(counter.clone());
        Self {
            registration,
            ours,
            theirs,
            counter,
            waker,
            reactor,
            _enter,
        }
    }

    fn wakes(&self) -> usize {
        *self.counter.0.lock().unwrap()
    }

    fn poll_wait(&self, direction: Direction) -> Poll<io::Result<()>> {
        self.registration
            .poll_wait(direction, &mut Context::from_waker(&self.waker))
    }

    fn poll<F: Future + Unpin>(&self, future: &mut F) -> Poll<F::Output> {
        Pin::new(future).poll(&mut Context::from_waker(&self.waker))
    }

    /// Makes `ours` readable.
    fn send(&self) {
        (&self.theirs).write_all(b"x").unwrap();
    }

    /// Reads `ours` until it would block.
    fn drain(&self) {
        let mut buf = [0; 64];
        while (&self.ours).read(&mut buf).is_ok_and(|n| n > 0) {}
    }

    fn react(&self) -> usize {
        self.reactor.react(Deadline::Now).unwrap()
    }
}

/// A connected, non-blocking socket pair.
fn pair() -> (UnixStream, UnixStream) {
    let (a, b) = UnixStream::pair().unwrap();
    a.set_nonblocking(true).unwrap();
    b.set_nonblocking(true).unwrap();
    (a, b)
}

fn register(stream: &UnixStream) -> Registration {
    // SAFETY: every test drops the registration before the stream.
    unsafe { Registration::new(stream.as_raw_fd()) }.unwrap()
}

/// Both modes: runs `test` on an edge-triggered fixture, then a oneshot
/// one.
fn in_both_modes(test: impl Fn(Fixture)) {
    test(Fixture::new());
    test(Fixture::oneshot());
}

/// The reader drains and sees `WouldBlock`, and data arrives before it
/// waits: oneshot, while the poller is disarmed (the re-arm finds the
/// fd readable); edge-triggered, with no re-arm at all (the arrival is
/// a new edge). Either way the next poll reports it.
#[test]
fn readiness_that_arrives_before_the_wait_is_not_lost() {
    in_both_modes(|f| {
        assert!(f.poll_wait(Direction::Read).is_pending());
        f.send();
        f.react();
        assert_eq!(f.wakes(), 1);
        f.drain();
        f.send();
        assert!(f.poll_wait(Direction::Read).is_pending());
        f.react();
        assert_eq!(
            f.wakes(),
            2,
            "readiness that arrived before the wait was lost"
        );
    });
}

#[test]
fn a_readiness_future_on_a_readable_fd_completes_without_a_new_arrival() {
    in_both_modes(|f| {
        // The fd becomes readable and the event is consumed by a wait,
        // but nobody reads: no new edge will come.
        assert!(f.poll_wait(Direction::Read).is_pending());
        f.send();
        f.react();
        let mut readable = f.registration.readable();
        assert!(f.poll(&mut readable).is_pending());
        f.react();
        assert!(
            f.poll(&mut readable).is_ready(),
            "readable() waited for a change on an fd that was readable"
        );
    });
}

#[test]
fn a_readiness_future_ignores_an_event_from_before_it_began() {
    in_both_modes(a_readiness_future_ignores_an_old_event);
}

fn a_readiness_future_ignores_an_old_event(f: Fixture) {
    assert!(f.poll_wait(Direction::Read).is_pending());
    f.send();
    f.react();
    // Same reactor tick: a future that begins now must not be satisfied
    // by the event already delivered.
    f.drain();
    let mut readable = f.registration.readable();
    assert!(f.poll(&mut readable).is_pending());
    f.react();
    assert!(f.poll(&mut readable).is_pending());
    f.send();
    f.react();
    assert!(f.poll(&mut readable).is_ready());
}

#[test]
fn a_stale_event_does_not_reach_a_reused_slot() {
    let f = Fixture::new();
    let old_key = f.registration.key;
    let Fixture {
        registration,
        ours,
        theirs,
        counter,
        waker,
        reactor,
        _enter,
    } = f;
    drop(registration);

    // A new source takes the freed slot.
    let f = Fixture {
        registration: register(&ours),
        ours,
        theirs,
        counter,
        waker,
        reactor,
        _enter,
    };
    assert_eq!(
        f.registration.key.index(),
        old_key.index(),
        "the slab reused the slot"
    );
    assert_ne!(f.registration.key, old_key);
    assert!(f.poll_wait(Direction::Read).is_pending());

    // An event for the old source, as if the poller handed one out after
    // the drop.
    let mut to_wake = Vec::new();
    let stale = Event::readable(old_key.raw());
    f.reactor
        .dispatch(std::iter::once(stale), f.reactor.tick() + 1, &mut to_wake);
    assert!(
        to_wake.is_empty(),
        "a stale event woke the slot's new source"
    );
    assert!(f.poll_wait(Direction::Read).is_pending());
}

#[test]
fn several_waiters_are_all_woken_by_one_event() {
    let f = Fixture::new();
    let mut first = f.registration.readable();
    let mut second = f.registration.readable();
    assert!(f.poll(&mut first).is_pending());
    assert!(f.poll(&mut second).is_pending());
    f.send();
    f.react();
    assert_eq!(f.wakes(), 2);
    assert!(f.poll(&mut first).is_ready());
    assert!(f.poll(&mut second).is_ready());
}

#[test]
fn reading_and_writing_waiters_rearm_each_other() {
    let f = Fixture::oneshot();
    let writer_counter = Arc::new(Counter::default());
    let writer = Waker::from(writer_counter.clone());
    // Fill the send buffer so that `ours` is not writable.
    let chunk = [0u8; 4096];
    while (&f.ours).write(&chunk).is_ok() {}
    assert!(f.poll_wait(Direction::Read).is_pending());
    let write_wait = f
        .registration
        .poll_wait(Direction::Write, &mut Context::from_waker(&writer));
    assert!(write_wait.is_pending());
    // Readable first: oneshot disarms both directions, the writer's
    // interest must be re-armed.
    f.send();
    f.react();
    assert_eq!(f.wakes(), 1);
    let mut buf = [0u8; 4096];
    while (&f.theirs).read(&mut buf).is_ok_and(|n| n > 0) {}
    f.react();
    assert_eq!(
        *writer_counter.0.lock().unwrap(),
        1,
        "the write interest was not re-armed after the read event"
    );
}

#[test]
fn the_armed_count_follows_waiters_events_and_drops() {
    // Oneshot: armed while somebody waits and no event came. Edge: armed
    // from registration to drop, and waiting needs no system call.
    in_both_modes(|f| {
        let edge = f.reactor.sources().borrow().is_edge_triggered();
        assert_eq!(f.reactor.has_armed_sources(), edge);
        assert!(f.poll_wait(Direction::Read).is_pending());
        assert!(f.reactor.has_armed_sources());
        // A oneshot event disarms the source, and nobody waits any more.
        f.send();
        f.react();
        assert_eq!(f.reactor.has_armed_sources(), edge);
        // Armed again, then dropped while armed.
        f.drain();
        assert!(f.poll_wait(Direction::Read).is_pending());
        assert!(f.reactor.has_armed_sources());
        let reactor = f.reactor.clone();
        drop(f);
        assert!(!reactor.has_armed_sources());
    });
}

#[test]
fn a_dropped_registration_gets_no_more_events() {
    let f = Fixture::new();
    assert!(f.poll_wait(Direction::Read).is_pending());
    let Fixture {
        registration,
        ours,
        theirs,
        reactor,
        _enter,
        ..
    } = f;
    drop(registration);
    (&theirs).write_all(b"x").unwrap();
    assert_eq!(reactor.react(Deadline::Now).unwrap(), 0);
    // The same fd can be registered again.
    drop(register(&ours));
}
