//! Two loops on two threads subscribe to one signal, and both receive
//! every delivery; one leaving does not take the signal from the other;
//! the last to leave puts the default disposition back. A process of its
//! own: a signal sent to a test binary reaches every test in it.

use std::sync::mpsc;
use std::time::Duration;

use tether::signal::{SIGUSR1, Signal};
use tether::{LoopThread, ThreadFuture};

/// A loop thread subscribed to `SIGUSR1` (when this returns): it receives
/// until it has counted `deliveries`, and returns the count of each
/// reception.
fn subscriber(deliveries: u64) -> (LoopThread, ThreadFuture<Vec<u64>>) {
    let loop_thread = LoopThread::new().unwrap();
    let (subscribed, is_subscribed) = mpsc::channel();
    let counts = loop_thread
        .handle()
        .spawn_with(move || async move {
            let usr1 = Signal::new(SIGUSR1).unwrap();
            subscribed.send(()).unwrap();
            let mut counts = Vec::new();
            while counts.iter().sum::<u64>() < deliveries {
                counts.push(usr1.recv().await.unwrap());
            }
            counts
        })
        .unwrap();
    is_subscribed.recv().unwrap();
    (loop_thread, counts)
}

/// The handler of `signal` in this process, as `sigaction` reports it.
fn disposition(signal: libc::c_int) -> libc::sighandler_t {
    // SAFETY: an all-zero `sigaction` is a valid value, to be overwritten.
    let mut current: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: a null new action only reads the current one.
    let read = unsafe { libc::sigaction(signal, std::ptr::null(), &mut current) };
    assert_eq!(read, 0);
    current.sa_sigaction
}

/// Sends `SIGUSR1` to this process.
fn raise_usr1() {
    // SAFETY: a plain system call on this process.
    assert_eq!(unsafe { libc::kill(libc::getpid(), SIGUSR1) }, 0);
}

#[test]
fn two_loop_threads_subscribed_to_sigusr1_both_receive_it() {
    assert_eq!(disposition(SIGUSR1), libc::SIG_DFL);
    // `a` leaves after one delivery, `b` after two.
    let (a, a_counts) = subscriber(1);
    let (b, b_counts) = subscriber(2);
    assert_ne!(disposition(SIGUSR1), libc::SIG_DFL);

    raise_usr1();
    let a_counts = a_counts
        .wait_timeout(Duration::from_secs(10))
        .unwrap_or_else(|_| panic!("loop a never received the signal"))
        .unwrap();
    assert_eq!(a_counts, [1]);
    // `a`'s task is over and its Signal dropped; `b` still holds the
    // handler, so this delivery reaches `b`, and does not kill us.
    assert_ne!(disposition(SIGUSR1), libc::SIG_DFL);
    raise_usr1();
    let b_counts = b_counts
        .wait_timeout(Duration::from_secs(10))
        .unwrap_or_else(|_| panic!("loop b did not receive both signals"))
        .unwrap();
    // Both deliveries; merged into one wakeup if `b` had not run between.
    assert_eq!(b_counts.iter().sum::<u64>(), 2, "{b_counts:?}");
    // The last subscriber is gone: the default is back.
    assert_eq!(disposition(SIGUSR1), libc::SIG_DFL);
    a.stop();
    b.stop();
}
