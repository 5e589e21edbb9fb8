//! The signal table on one thread, and under a storm of handlers on real
//! threads (the interleavings themselves are loom's:
//! `loom-tests/tests/signal.rs`).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::*;

type Table = SignalTable<&'static str, 4, 32>;

fn ok(previous: &'static str) -> impl FnOnce() -> Result<&'static str, ()> {
    move || Ok(previous)
}

#[test]
fn each_subscriber_counts_only_its_own_signal() {
    let table = Table::new();
    let usr1 = table.subscribe(10, 1, ok("default")).unwrap();
    let usr2 = table.subscribe(12, 2, ok("default")).unwrap();
    let mut woken = Vec::new();
    table.deliver(10, |token| woken.push(token));
    table.deliver(10, |token| woken.push(token));
    table.deliver(12, |token| woken.push(token));
    assert_eq!(woken, [1, 1, 2]);
    assert_eq!((table.take(&usr1), table.take(&usr2)), (2, 1));
    assert_eq!((table.runs(10), table.runs(12)), (2, 1));
    table.unsubscribe(usr1, drop);
    table.unsubscribe(usr2, drop);
}

#[test]
fn signals_outside_the_table_are_counted_nowhere_and_wake_nobody() {
    let table = Table::new();
    let sub = table.subscribe(31, 0, ok("default")).unwrap();
    for signal in [-1, 0, 32, 255, 256, i32::MAX] {
        table.deliver(signal, |_| panic!("signal {signal} woke a token"));
        assert_eq!(table.runs(signal), 0, "signal {signal}");
    }
    assert_eq!(table.take(&sub), 0);
    table.unsubscribe(sub, drop);
}

#[test]
#[should_panic(expected = "signal number 32 is outside 1..32")]
fn subscribing_outside_the_table_is_refused_loudly() {
    let table = Table::new();
    let _ = table.subscribe(32, 0, ok("default"));
}

#[test]
fn only_the_first_subscriber_installs_and_only_the_last_restores() {
    let table = Table::new();
    let installs = Mutex::new(0);
    let install = || -> Result<&'static str, ()> {
        *installs.lock().unwrap() += 1;
        Ok("ignored")
    };
    let subs: Vec<_> = (0..3)
        .map(|token| table.subscribe(15, token, install).unwrap())
        .collect();
    assert_eq!(*installs.lock().unwrap(), 1);
    let mut restored = Vec::new();
    for sub in subs {
        table.unsubscribe(sub, |previous| restored.push(previous));
    }
    assert_eq!(restored, ["ignored"]);
    // A new first subscriber installs again.
    let sub = table.subscribe(15, 0, install).unwrap();
    assert_eq!(*installs.lock().unwrap(), 2);
    table.unsubscribe(sub, drop);
}

#[test]
fn a_failed_install_leaves_no_subscription_behind() {
    let table: SignalTable<(), 1, 32> = SignalTable::new();
    assert_eq!(
        table.subscribe(9, 0, || Err("refused")).unwrap_err(),
        SubscribeError::Install("refused")
    );
    table.deliver(9, |_| panic!("a failed subscription was woken"));
    // The one slot is free again, and signal 9 has no subscriber to count.
    let sub = table.subscribe(9, 1, || Ok::<(), ()>(())).unwrap();
    table.deliver(9, |token| assert_eq!(token, 1));
    assert_eq!(table.take(&sub), 1);
    table.unsubscribe(sub, drop);
}

#[test]
fn a_reused_slot_starts_with_nothing_pending() {
    let table: SignalTable<(), 1, 32> = SignalTable::new();
    let first = table.subscribe(2, 0, || Ok::<(), ()>(())).unwrap();
    table.deliver(2, |_| {});
    table.unsubscribe(first, drop); // one delivery never taken
    let second = table.subscribe(2, 1, || Ok::<(), ()>(())).unwrap();
    assert_eq!(table.take(&second), 0);
    table.unsubscribe(second, drop);
}

#[test]
fn the_largest_token_and_signal_survive_the_slot_word() {
    let table: SignalTable<(), 1, MAX_SIGNALS> = SignalTable::new();
    let sub = table.subscribe(255, u32::MAX, || Ok::<(), ()>(())).unwrap();
    assert_eq!((sub.signal(), sub.token()), (255, u32::MAX));
    let mut woken = None;
    table.deliver(255, |token| woken = Some(token));
    table.deliver(254, |_| panic!("254 is not 255"));
    assert_eq!(woken, Some(u32::MAX));
    table.unsubscribe(sub, drop);
}

/// Handlers on four threads deliver without pause while this thread
/// subscribes and unsubscribes, over and over, marking each token closed
/// when `unsubscribe` returns: no handler may wake a closed token, and
/// each subscription hears from the handlers.
#[test]
fn handlers_on_other_threads_never_wake_a_token_after_its_unsubscribe() {
    const ROUNDS: u32 = 2_000;
    let table: Arc<SignalTable<(), 4, 32>> = Arc::new(SignalTable::new());
    // closed[token]: set once `unsubscribe` of that token returned.
    let closed = Arc::new(Mutex::new(vec![false; ROUNDS as usize]));
    let stop = Arc::new(Mutex::new(false));
    let handlers: Vec<_> = (0..4)
        .map(|_| {
            let (table, closed, stop) = (table.clone(), closed.clone(), stop.clone());
            std::thread::spawn(move || {
                while !*stop.lock().unwrap() {
                    table.deliver(20, |token| {
                        assert!(
                            !closed.lock().unwrap()[token as usize],
                            "token {token} woken after its unsubscribe"
                        );
                    });
                }
            })
        })
        .collect();
    for token in 0..ROUNDS {
        let sub = table.subscribe(20, token, || Ok::<(), ()>(())).unwrap();
        // The handlers never stop, so a delivery soon reaches the new
        // subscription.
        let deadline = Instant::now() + Duration::from_secs(10);
        while table.take(&sub) == 0 {
            assert!(
                Instant::now() < deadline,
                "round {token}: nothing delivered"
            );
            std::thread::yield_now();
        }
        table.unsubscribe(sub, drop);
        closed.lock().unwrap()[token as usize] = true;
    }
    *stop.lock().unwrap() = true;
    for handler in handlers {
        handler.join().unwrap();
    }
}

#[test]
fn an_install_that_panics_leaves_the_slot_free() {
    let table: SignalTable<(), 1, 4> = SignalTable::new();
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = table.subscribe(2, 7, || -> Result<(), ()> { panic!("install failed") });
    }));
    assert!(panicked.is_err());
    // Nothing is woken for the token of the subscription that never was,
    // and the one slot is free for the next subscriber.
    table.deliver(2, |token| panic!("woke {token}"));
    let next = table.subscribe(2, 8, || Ok::<(), ()>(())).unwrap();
    table.unsubscribe(next, drop);
}
