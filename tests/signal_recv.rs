//! A signal wakes a loop parked in the poller, and reaches the task that
//! waits on it: sent to the process, when any thread may run the handler,
//! and sent to the loop's own thread, when the handler interrupts the
//! loop's wait in the poller. Several tasks may wait on one `Signal`. A
//! process of its own: a signal sent to a test binary reaches every test
//! in it (the two tests here use two different signals).

use std::sync::mpsc;
use std::time::{Duration, Instant};

use std::rc::Rc;

use tether::LoopThread;
use tether::signal::{SIGUSR1, SIGUSR2, Signal};

/// Waits until `loop_thread` has parked since it had parked `parks_before`
/// times, then a little more, so that it sleeps in the poller. The count
/// must be read before whatever makes the loop run and park again: it
/// could park before a later read.
fn wait_until_parked(loop_thread: &LoopThread, parks_before: u64) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while loop_thread.handle().metrics().parks <= parks_before {
        assert!(
            Instant::now() < deadline,
            "the loop did not park (again): nothing woke it, or it never slept"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    std::thread::sleep(Duration::from_millis(50));
}

#[test]
fn a_signal_sent_while_the_loop_is_parked_wakes_it_and_reaches_the_subscriber() {
    let loop_thread = LoopThread::new().unwrap();
    let parks = loop_thread.handle().metrics().parks;
    let (subscribed, is_subscribed) = mpsc::channel();
    let receiver = loop_thread
        .handle()
        .spawn_with(move || async move {
            let usr1 = Signal::new(SIGUSR1).unwrap();
            // SAFETY: no precondition; the id of this, the loop's, thread.
            let thread = unsafe { libc::pthread_self() };
            subscribed.send(thread as usize).unwrap();
            let first = usr1.recv().await.unwrap();
            let second = usr1.recv().await.unwrap();
            (first, second)
        })
        .unwrap();
    let loop_pthread = is_subscribed.recv().unwrap() as libc::pthread_t;

    // To the process: the kernel picks the thread.
    wait_until_parked(&loop_thread, parks);
    // Parked, and nothing but the signal can wake it.
    let parks = loop_thread.handle().metrics().parks;
    // SAFETY: a plain system call on this process.
    assert_eq!(unsafe { libc::kill(libc::getpid(), SIGUSR1) }, 0);

    // To the loop's thread, once it has woken for the first signal and
    // sleeps again.
    wait_until_parked(&loop_thread, parks);
    // SAFETY: the loop thread lives until `loop_thread` is stopped below.
    assert_eq!(unsafe { libc::pthread_kill(loop_pthread, SIGUSR1) }, 0);

    let received = receiver
        .wait_timeout(Duration::from_secs(10))
        .unwrap_or_else(|_| panic!("a signal did not wake the parked loop"))
        .unwrap();
    assert_eq!(received, (1, 1));
    loop_thread.stop();
}

#[test]
fn several_tasks_waiting_on_one_signal_each_get_a_wakeup() {
    tether::run(async {
        let usr2 = Rc::new(Signal::new(SIGUSR2).unwrap());
        let waiters: Vec<_> = (0..2)
            .map(|_| {
                let usr2 = usr2.clone();
                tether::spawn(async move { usr2.recv().await.unwrap() })
            })
            .collect();
        tether::yield_now().await; // both wait now
        for round in 1..=2 {
            // SAFETY: a plain system call on this process.
            assert_eq!(unsafe { libc::kill(libc::getpid(), SIGUSR2) }, 0);
            // One waiter takes the delivery; the other waits for the next.
            let deadline = Instant::now() + Duration::from_secs(10);
            while waiters.iter().filter(|w| w.is_finished()).count() < round {
                assert!(Instant::now() < deadline, "round {round}: no waiter woke");
                tether::time::sleep(Duration::from_millis(1)).await;
            }
        }
        let mut counts = Vec::new();
        for waiter in waiters {
            counts.push(waiter.await.unwrap());
        }
        assert_eq!(counts, [1, 1]);
    });
}
