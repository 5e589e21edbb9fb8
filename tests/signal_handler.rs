//! `add_signal_handler` and `remove_signal_handler`, asyncio's callback
//! form, and the signals tether refuses. A process of its own: a signal
//! sent to a test binary reaches every test in it (the refusals send
//! nothing).

use std::cell::RefCell;
use std::io::ErrorKind;
use std::rc::Rc;
use std::time::Duration;

use futures::StreamExt;
use tether::Runtime;
use tether::signal::{SIGUSR1, SIGUSR2, Signal};

/// Sends `SIGUSR2` to this process.
fn raise_usr2() {
    // SAFETY: a plain system call on this process.
    assert_eq!(unsafe { libc::kill(libc::getpid(), SIGUSR2) }, 0);
}

/// Waits, on the loop, until `log` holds `len` entries.
async fn until_len(log: &RefCell<Vec<&'static str>>, len: usize) {
    for _ in 0..10_000 {
        if log.borrow().len() >= len {
            return;
        }
        tether::time::sleep(Duration::from_millis(1)).await;
    }
    panic!("waited ten seconds for {len} calls: {:?}", log.borrow());
}

#[test]
fn a_handler_is_called_per_delivery_survives_its_panics_and_is_replaced_then_removed() {
    let exceptions = Rc::new(RefCell::new(Vec::new()));
    let seen = exceptions.clone();
    let rt = Runtime::builder()
        .on_exception(move |exception| seen.borrow_mut().push(exception.to_string()))
        .build()
        .unwrap();
    rt.block_on(async {
        let log = Rc::new(RefCell::new(Vec::new()));
        let calls = log.clone();
        tether::add_signal_handler(SIGUSR2, move || {
            calls.borrow_mut().push("first");
            if calls.borrow().len() == 1 {
                panic!("the first call fails");
            }
        })
        .unwrap();
        raise_usr2();
        until_len(&log, 1).await;
        // The panic went to the exception handler; the handler stays.
        raise_usr2();
        until_len(&log, 2).await;

        // Replaced: the old callback is never called again.
        let calls = log.clone();
        tether::add_signal_handler(SIGUSR2, move || calls.borrow_mut().push("second")).unwrap();
        raise_usr2();
        until_len(&log, 3).await;
        assert_eq!(*log.borrow(), ["first", "first", "second"]);

        // A `Signal` of the same loop hears the same deliveries.
        let usr2 = Signal::new(SIGUSR2).unwrap();
        assert!(tether::remove_signal_handler(SIGUSR2));
        assert!(!tether::remove_signal_handler(SIGUSR2));
        raise_usr2();
        // Through `futures`' `Stream`, this time.
        let mut usr2 = usr2;
        assert_eq!(usr2.next().await.unwrap().unwrap(), 1);
        tether::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(log.borrow().len(), 3, "a removed handler was called");
    });
    let exceptions = exceptions.borrow();
    assert_eq!(exceptions.len(), 1, "{exceptions:?}");
    assert!(
        exceptions[0].contains("the first call fails"),
        "{exceptions:?}"
    );
}

#[test]
fn a_refused_signal_gives_its_error_and_changes_nothing() {
    tether::run(async {
        for (signal, says) in [
            (libc::SIGKILL, "SIGKILL (9) cannot be caught"),
            (libc::SIGSTOP, "cannot be caught"),
            (libc::SIGSEGV, "reports a fault of the thread it interrupts"),
            (libc::SIGBUS, "reports a fault"),
            (libc::SIGILL, "reports a fault"),
            (libc::SIGFPE, "reports a fault"),
            (0, "0 is not a signal number"),
            (200, "200 is not a signal number"),
        ] {
            let err = Signal::new(signal).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "{signal}: {err}");
            assert!(err.to_string().contains(says), "{signal}: {err}");
            let err = tether::add_signal_handler(signal, || ()).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "{signal}: {err}");
            assert!(!tether::remove_signal_handler(signal));
        }
        // A number the kernel does not have: its error, from `sigaction`.
        let err = Signal::new(100).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
        assert!(err.to_string().contains("signal 100"), "{err}");
    });
}

#[test]
fn deliveries_before_the_loop_gets_to_them_are_one_call_each_as_in_asyncio() {
    // SIGUSR1: the other tests of this process use SIGUSR2, and a signal
    // is heard by every subscriber in the process.
    tether::run(async {
        let calls = Rc::new(RefCell::new(Vec::new()));
        let log = calls.clone();
        tether::add_signal_handler(SIGUSR1, move || log.borrow_mut().push("call")).unwrap();
        let runs_before = tether::signal::handler_runs(SIGUSR1);
        // Two deliveries to this thread, each handled before `pthread_kill`
        // returns (a signal a thread sends itself, unblocked, is), with no
        // await between: the loop sees them in one wakeup.
        for _ in 0..2 {
            // SAFETY: a plain system call on this thread.
            let sent = unsafe { libc::pthread_kill(libc::pthread_self(), SIGUSR1) };
            assert_eq!(sent, 0);
        }
        assert_eq!(tether::signal::handler_runs(SIGUSR1) - runs_before, 2);
        until_len(&calls, 2).await;
        tether::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(calls.borrow().len(), 2);
        assert!(tether::remove_signal_handler(SIGUSR1));
    });
}
