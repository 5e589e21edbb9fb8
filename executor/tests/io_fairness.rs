//! A task that keeps waking itself cannot starve I/O readiness: the loop
//! polls the reactor every 31 task runs while it is busy. And a task whose
//! I/O always succeeds cannot starve the other tasks: it yields once the
//! budget of operations of one poll is spent (`Reactor::start_budget`),
//! which counts neither operations that would block nor accepts, and
//! nothing outside a poll.

use std::cell::Cell;
use std::future::poll_fn;
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::rc::Rc;
use std::task::Poll;

use tether::Async;
use tether::net::{TcpListener, TcpStream};
use tether_reactor::{BUDGET, Direction, Registration};

#[test]
fn a_self_waking_task_does_not_starve_io_readiness() {
    let (reader, mut writer) = UnixStream::pair().unwrap();
    reader.set_nonblocking(true).unwrap();
    tether::run(async move {
        // SAFETY: `reader` outlives the registration (dropped at the end of
        // this block, before `reader`).
        let registration = unsafe { Registration::new(reader.as_raw_fd()) }.unwrap();
        let done = Rc::new(Cell::new(false));
        let spinner = {
            let done = done.clone();
            tether::spawn(async move {
                let mut turns = 0u64;
                while !done.get() && turns < 5_000_000 {
                    tether::yield_now().await;
                    turns += 1;
                }
                turns
            })
        };
        // Make the fd readable before waiting: the readiness must still be
        // seen, though the loop never runs out of work.
        writer.write_all(b"ping").unwrap();
        registration.readable().await.unwrap();
        done.set(true);
        let turns = spinner.await.unwrap();
        assert!(
            turns < 1_000,
            "I/O readiness waited {turns} turns of a spinning task"
        );
        drop(registration);
    });
}

#[test]
fn a_busy_loop_with_a_waiting_source_polls_once_per_31_runs() {
    const YIELDS: u64 = 31 * 200;
    let (reader, _writer) = UnixStream::pair().unwrap();
    reader.set_nonblocking(true).unwrap();
    let rt = tether::Runtime::new().unwrap();
    let handle = rt.handle();
    let (runs, polls, parks) = rt.block_on(async {
        // SAFETY: `reader` outlives the registration (dropped at the end of
        // this block).
        let registration = Rc::new(unsafe { Registration::new(reader.as_raw_fd()) }.unwrap());
        // A task waits for readability that never comes: the source is armed.
        let waiter = {
            let registration = registration.clone();
            tether::spawn(async move {
                let _ = registration.readable().await;
            })
        };
        tether::yield_now().await;
        let before = tether::Handle::current().metrics();
        for _ in 0..YIELDS {
            tether::yield_now().await;
        }
        let after = tether::Handle::current().metrics();
        waiter.cancel();
        let _ = waiter.await;
        drop(registration);
        (
            after.runs - before.runs,
            after.polls - before.polls,
            after.parks - before.parks,
        )
    });
    drop(handle);
    assert!(runs >= YIELDS, "{runs} runs");
    assert_eq!(parks, 0, "the loop slept while it had work");
    // One poll per 31 runs: not one per iteration (about YIELDS), and not
    // none (that would starve the waiting source).
    let expected = runs / 31;
    assert!(
        polls + 1 >= expected && polls <= expected + 1,
        "{polls} polls for {runs} runs; expected about {expected}"
    );
}

/// A task that sets a flag when it runs: whether the test's task yielded.
fn other_task() -> Rc<Cell<bool>> {
    let ran = Rc::new(Cell::new(false));
    tether::spawn({
        let ran = ran.clone();
        async move { ran.set(true) }
    });
    ran
}

#[test]
fn operations_that_succeed_make_the_task_yield_once_the_budget_is_spent() {
    tether::run(async {
        let (a, mut b) = UnixStream::pair().unwrap();
        let a = Async::new(a).unwrap();
        b.write_all(&[7; BUDGET as usize + 1]).unwrap();
        let other_ran = other_task();
        for _ in 0..BUDGET {
            a.read_with(|mut a| a.read(&mut [0; 1])).await.unwrap();
        }
        assert!(!other_ran.get(), "within the budget, no yield");
        a.read_with(|mut a| a.read(&mut [0; 1])).await.unwrap();
        assert!(other_ran.get(), "one more, and the task yielded first");
    });
}

/// Three reads polled side by side in one task, as a `join` would: the
/// two that would block spend nothing, so the third, which can go on,
/// does so in the same poll.
#[test]
fn operations_that_would_block_spend_nothing() {
    tether::run(async {
        let pairs: Vec<_> = (0..3).map(|_| UnixStream::pair().unwrap()).collect();
        let readers: Vec<_> = pairs
            .iter()
            .map(|(a, _)| Async::new(a.try_clone().unwrap()).unwrap())
            .collect();
        (&pairs[2].1).write_all(b"x").unwrap();
        let polls = Cell::new(0);
        poll_fn(|cx| {
            polls.set(polls.get() + 1);
            for _ in 0..4 {
                for reader in &readers[..2] {
                    let read = reader.poll_io(Direction::Read, cx, |mut a| a.read(&mut [0; 1]));
                    assert!(read.is_pending());
                }
            }
            readers[2]
                .poll_io(Direction::Read, cx, |mut a| a.read(&mut [0; 1]))
                .map(|read| assert_eq!(read.unwrap(), 1))
        })
        .await;
        assert_eq!(polls.get(), 1);
    });
}

/// Accepting is not counted: a storm of connections is taken off the
/// kernel's queue without yielding between them.
#[test]
fn accepts_are_not_counted() {
    tether::run(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let clients: Vec<_> = (0..2 * BUDGET + 1)
            .map(|_| std::net::TcpStream::connect(addr).unwrap())
            .collect();
        let other_ran = other_task();
        for _ in &clients {
            listener.accept().await.unwrap();
        }
        assert!(!other_ran.get());
        drop(TcpStream::connect(addr).await.unwrap());
    });
}

/// Outside a task's poll nothing is counted: a future polled by hand,
/// after the loop has returned, reads as often as there is data.
#[test]
fn nothing_is_counted_outside_a_poll_of_the_loop() {
    let rt = tether::Runtime::new().unwrap();
    let (a, mut b) = UnixStream::pair().unwrap();
    let reads = 4 * BUDGET as usize;
    b.write_all(&vec![7; reads]).unwrap();
    let a = rt.block_on(async { Async::new(a).unwrap() });
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    for _ in 0..reads {
        let read = a.poll_io(Direction::Read, &mut cx, |mut a| a.read(&mut [0; 1]));
        assert!(matches!(read, Poll::Ready(Ok(1))));
    }
}
