//! A task that keeps waking itself cannot starve I/O readiness: the loop
//! polls the reactor every 61 task runs while it is busy.

use std::cell::Cell;
use std::io::Write;
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::rc::Rc;

use tether_reactor::Registration;

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
fn a_busy_loop_with_a_waiting_source_polls_once_per_61_runs() {
    const YIELDS: u64 = 61 * 200;
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
    // One poll per 61 runs: not one per iteration (about YIELDS), and not
    // none (that would starve the waiting source).
    let expected = runs / 61;
    assert!(
        polls + 1 >= expected && polls <= expected + 1,
        "{polls} polls for {runs} runs; expected about {expected}"
    );
}
