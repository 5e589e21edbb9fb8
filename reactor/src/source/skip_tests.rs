//! Tests of the stream sockets' skipped reads (`crate::source_table`,
//! "Skipping the read that would fail"): a read that surely finds nothing
//! waits instead, and an end of file queued behind the last data is still
//! seen, before the loop sleeps and within two polls while it is busy.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::sync::Mutex;
use std::task::{Wake, Waker};
use std::time::{Duration, Instant};

use super::*;
use crate::async_fd::Async;
use crate::reactor::{Deadline, EnterGuard};

/// A waker that counts its wakes.
#[derive(Default)]
struct Counter(Mutex<usize>);

impl Wake for Counter {
    fn wake(self: Arc<Self>) {
        *self.0.lock().unwrap() += 1;
    }
}

/// A current reactor, our end of a socket pair registered with it, and the
/// peer's end. Fields drop in order: the registered socket first.
struct Fixture {
    ours: Async<UnixStream>,
    theirs: Option<UnixStream>,
    counter: Arc<Counter>,
    waker: Waker,
    reactor: Rc<Reactor>,
    _enter: EnterGuard,
}

impl Fixture {
    fn new(reactor: Rc<Reactor>) -> Self {
        let _enter = reactor.enter();
        let (ours, theirs) = UnixStream::pair().unwrap();
        let counter = Arc::new(Counter::default());
        Self {
            ours: Async::new(ours).unwrap(),
            theirs: Some(theirs),
            waker: Waker::from(counter.clone()),
            counter,
            reactor,
            _enter,
        }
    }

    fn edge() -> Self {
        let fixture = Self::new(Reactor::new().unwrap());
        assert!(fixture.reactor.sources().borrow().is_edge_triggered());
        fixture
    }

    fn oneshot() -> Self {
        Self::new(Reactor::new_oneshot().unwrap())
    }

    fn wakes(&self) -> usize {
        *self.counter.0.lock().unwrap()
    }

    /// A read of up to 16 bytes, as a stream socket's `poll_read` does it.
    fn poll_read(&self) -> Poll<io::Result<usize>> {
        let mut buf = [0; 16];
        let mut cx = Context::from_waker(&self.waker);
        self.ours
            .poll_read_stream(&mut cx, buf.len(), |mut io| io.read(&mut buf))
    }

    fn send(&self, bytes: &[u8]) {
        self.theirs.as_ref().unwrap().write_all(bytes).unwrap();
    }

    /// Closes the peer's end: our end reads end of file after the data.
    fn close(&mut self) {
        self.theirs = None;
    }

    /// A wait that may block, for at most five seconds; returns how long
    /// it took.
    fn react_blocking(&self) -> Duration {
        let start = Instant::now();
        let deadline = start + Duration::from_secs(5);
        self.reactor.react(Deadline::At(deadline)).unwrap();
        start.elapsed()
    }

    fn react_now(&self) {
        self.reactor.react(Deadline::Now).unwrap();
    }

    /// Polls, then reads the five bytes sent in one short read; the read
    /// after it is skipped.
    fn skip_after_a_short_read(&self) {
        self.react_now();
        assert!(matches!(self.poll_read(), Poll::Ready(Ok(5))));
        assert!(
            self.poll_read().is_pending(),
            "a read after a short one waits"
        );
    }
}

/// Data and the peer's end of file arrive together, before the read: one
/// event for both. The short read takes the data; the next read is
/// skipped, and nothing further arrives. The wait that may block checks
/// first, finds the end of file, and does not block.
#[test]
fn an_end_of_file_behind_the_last_data_is_seen_before_the_loop_sleeps() {
    let mut f = Fixture::edge();
    f.send(b"hello");
    f.close();
    f.skip_after_a_short_read();
    let waited = f.react_blocking();
    assert!(
        waited < Duration::from_secs(1),
        "the loop slept {waited:?} with an end of file unread"
    );
    assert_eq!(f.wakes(), 1);
    assert!(matches!(f.poll_read(), Poll::Ready(Ok(0))));
}

/// The same while the loop is busy, polling without blocking: the check
/// comes at the second poll after the skip.
#[test]
fn an_end_of_file_behind_the_last_data_is_seen_within_two_busy_polls() {
    let mut f = Fixture::edge();
    f.send(b"hello");
    f.close();
    f.skip_after_a_short_read();
    f.react_now();
    assert_eq!(f.wakes(), 0, "the first poll leaves time for an event");
    f.react_now();
    assert_eq!(f.wakes(), 1, "the second poll checks");
    assert!(matches!(f.poll_read(), Poll::Ready(Ok(0))));
}

/// Oneshot, the skipped read's wait re-arms the source, and the re-arm
/// reports the queued end of file: no check is needed.
#[test]
fn oneshot_an_end_of_file_behind_the_last_data_is_reported_by_the_rearm() {
    let mut f = Fixture::oneshot();
    f.send(b"hello");
    f.close();
    assert!(f.poll_read().is_ready());
    assert!(f.reactor.short_reads_listed() == 0);
    assert!(f.poll_read().is_pending());
    assert_eq!(f.reactor.short_reads_listed(), 0, "nothing to confirm");
    assert!(f.react_blocking() < Duration::from_secs(1));
    assert_eq!(f.wakes(), 1);
    assert!(matches!(f.poll_read(), Poll::Ready(Ok(0))));
}

/// A short read on a socket that really is empty: the check confirms the
/// wait, and the next arrival wakes the reader as after `WouldBlock`.
#[test]
fn a_confirmed_short_read_waits_for_the_next_arrival() {
    let f = Fixture::edge();
    f.send(b"hello");
    f.skip_after_a_short_read();
    assert_eq!(f.reactor.short_reads_listed(), 1);
    f.reactor
        .react(Deadline::At(Instant::now() + Duration::from_millis(20)))
        .unwrap();
    assert_eq!(f.wakes(), 0, "nothing arrived");
    assert_eq!(f.reactor.short_reads_listed(), 0, "the check confirmed it");
    assert!(f.poll_read().is_pending(), "still nothing to read");
    assert_eq!(f.reactor.short_reads_listed(), 0, "and nothing to confirm");
    f.send(b"more");
    f.react_now();
    assert_eq!(f.wakes(), 1);
    assert!(matches!(f.poll_read(), Poll::Ready(Ok(4))));
}

/// Data that arrives after a short read brings its own event, which wakes
/// the skipped reader and spares the check.
#[test]
fn an_arrival_after_a_short_read_wakes_the_reader_without_a_check() {
    let f = Fixture::edge();
    f.send(b"hello");
    f.skip_after_a_short_read();
    f.send(b"more");
    f.react_now();
    assert_eq!(f.wakes(), 1);
    assert!(matches!(f.poll_read(), Poll::Ready(Ok(4))));
    // The entry is unlisted at its due poll without a check: this read was
    // short too, and its own skip is what a check would confirm.
    f.react_now();
    assert_eq!(f.reactor.short_reads_listed(), 0);
    assert!(f.poll_read().is_pending());
    assert_eq!(f.reactor.short_reads_listed(), 1);
}

/// A full read says nothing of what is left: the next read is tried.
#[test]
fn a_full_read_does_not_skip_the_next() {
    let f = Fixture::edge();
    f.send(&[7; 20]);
    f.react_now();
    assert!(matches!(f.poll_read(), Poll::Ready(Ok(16))));
    assert!(matches!(f.poll_read(), Poll::Ready(Ok(4))));
}

/// A source dropped while listed is unlisted without a check of whatever
/// now has its slot.
#[test]
fn a_source_dropped_while_listed_is_forgotten() {
    let f = Fixture::edge();
    f.send(b"hello");
    f.skip_after_a_short_read();
    let Fixture {
        ours,
        theirs,
        reactor,
        _enter,
        ..
    } = f;
    drop(ours);
    drop(theirs);
    let (a, _b) = UnixStream::pair().unwrap();
    let _replacement = Async::new(a).unwrap();
    reactor.react(Deadline::Now).unwrap();
    reactor.react(Deadline::Now).unwrap();
    assert_eq!(reactor.short_reads_listed(), 0);
}

/// Data, then a reset, arrive before the read. The short read takes the
/// data, the next read is skipped, and the reactor's check before the
/// loop sleeps must leave the error for the reader to find: a peek would
/// have cleared it, and the reader would have read a clean end of file.
#[test]
fn a_reset_behind_the_last_data_is_still_an_error() {
    use std::net::{TcpListener, TcpStream};

    let reactor = Reactor::new().unwrap();
    let _enter = reactor.enter();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut theirs = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let ours = Async::new(listener.accept().unwrap().0).unwrap();
    theirs.write_all(b"hello").unwrap();
    // Closing with a zero linger sends a reset instead of a FIN.
    rustix::net::sockopt::set_socket_linger(&theirs, Some(Duration::ZERO)).unwrap();
    drop(theirs);
    std::thread::sleep(Duration::from_millis(50));
    let counter = Arc::new(Counter::default());
    let waker = Waker::from(counter.clone());
    let poll_read = || {
        let mut buf = [0; 16];
        let mut cx = Context::from_waker(&waker);
        ours.poll_read_stream(&mut cx, buf.len(), |mut io| io.read(&mut buf))
    };
    reactor.react(Deadline::Now).unwrap();
    assert!(matches!(poll_read(), Poll::Ready(Ok(5))));
    assert!(poll_read().is_pending());
    let deadline = Instant::now() + Duration::from_secs(5);
    reactor.react(Deadline::At(deadline)).unwrap();
    assert_eq!(*counter.0.lock().unwrap(), 1);
    match poll_read() {
        Poll::Ready(Err(err)) => assert_eq!(err.kind(), io::ErrorKind::ConnectionReset),
        other => panic!("the reset was lost: {other:?}"),
    }
}

/// A waker that writes its name in a log shared with others, when woken.
struct Named {
    name: &'static str,
    log: Arc<Mutex<Vec<&'static str>>>,
}

impl Wake for Named {
    fn wake(self: Arc<Self>) {
        self.log.lock().unwrap().push(self.name);
    }
}

/// The readers that the check before a wait finds are woken in the order
/// the kernel queued their data's events, among the readers that the
/// wait's events name, though the check comes first: `served` was served
/// last, and is woken before `waiting` only if its peer answered first.
#[test]
fn the_readers_the_check_finds_wake_in_the_order_of_their_events() {
    for served_answers_first in [false, true] {
        let reactor = Reactor::new().unwrap();
        let _enter = reactor.enter();
        let log = Arc::new(Mutex::new(Vec::new()));
        let [(served, served_peer), (waiting, waiting_peer)] = [0, 1].map(|_| {
            let (ours, theirs) = UnixStream::pair().unwrap();
            (Async::new(ours).unwrap(), theirs)
        });
        let waker = |name| {
            Waker::from(Arc::new(Named {
                name,
                log: log.clone(),
            }))
        };
        let (served_waker, waiting_waker) = (waker("served"), waker("waiting"));
        let poll_read = |socket: &Async<UnixStream>, waker: &Waker| {
            let mut buf = [0; 16];
            let mut cx = Context::from_waker(waker);
            socket.poll_read_stream(&mut cx, buf.len(), |mut io| io.read(&mut buf))
        };
        // `waiting` finds nothing and waits for an event.
        assert!(poll_read(&waiting, &waiting_waker).is_pending());
        // `served` reads a request, short, and skips the next read: listed.
        (&served_peer).write_all(b"hello").unwrap();
        reactor.react(Deadline::Now).unwrap();
        assert!(matches!(
            poll_read(&served, &served_waker),
            Poll::Ready(Ok(5))
        ));
        assert!(poll_read(&served, &served_waker).is_pending());
        assert_eq!(reactor.short_reads_listed(), 1);
        let mut peers = [(&waiting_peer, "waiting"), (&served_peer, "served")];
        if served_answers_first {
            peers.reverse();
        }
        for (mut peer, _) in peers {
            peer.write_all(b"again").unwrap();
        }
        reactor
            .react(Deadline::At(Instant::now() + Duration::from_secs(5)))
            .unwrap();
        assert_eq!(reactor.short_reads_listed(), 0, "the check ran");
        let order = peers.map(|(_, name)| name);
        assert_eq!(*log.lock().unwrap(), order);
    }
}
