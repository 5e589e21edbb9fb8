//! What spawning a child costs the loop: the time `spawn` blocks the
//! loop's thread, for 1000 spawns of `true`, per way of spawning.
//!
//! ```text
//! cargo bench --bench spawn --features process
//! ```
//!
//! Each case spawns `true` 1000 times, one after the other, and times the
//! `spawn` call alone, which is what the loop cannot do anything else
//! during; it then waits for the child (untimed, except in the last
//! column, which is spawn to reaped). The cases:
//!
//! - `std`: `std::process::Command::spawn`, no loop (the baseline; std
//!   uses `posix_spawn`, a `vfork`, where it can);
//! - `tether`: `tether::process::Command::spawn` on a loop: std's spawn
//!   plus `pidfd_open`, the pidfd's registration and a read of the
//!   thread's signal mask (on the SIGCHLD backend, the subscription to
//!   `SIGCHLD` instead of the pidfd);
//! - `tether, mask`: the loop's thread blocks `SIGUSR1`, so tether adds
//!   its hook that empties the child's mask, and std takes the `fork`
//!   path;
//! - the last two again with 1 GiB of the parent's memory touched: `fork`
//!   copies the page tables of the parent's memory, `vfork` does not.
//!
//! With `TETHER_PROCESS_WATCH=sigchld` in the environment, the tether
//! cases run on the SIGCHLD backend instead of pidfds.
//!
//! The figures, and the decision they led to (spawning stays on the loop
//! thread), are in `reactor/src/process/mod.rs`, "What spawning costs".

use std::time::{Duration, Instant};

/// Spawns per case.
const SPAWNS: usize = 1000;

/// The spawn times and spawn-to-reaped times of one case.
struct Case {
    name: &'static str,
    spawn: Vec<Duration>,
    round_trip: Vec<Duration>,
}

fn main() {
    let mut cases = vec![std_case("std"), tether_case("tether")];
    block_sigusr1();
    cases.push(tether_case("tether, mask"));
    unblock_sigusr1();
    // 1 GiB, every page touched so that it is resident.
    let ballast = std::hint::black_box(vec![1u8; 1 << 30]);
    cases.push(tether_case("tether, 1 GiB"));
    block_sigusr1();
    cases.push(tether_case("tether, mask, 1 GiB"));
    unblock_sigusr1();
    drop(std::hint::black_box(ballast));

    println!(
        "\n{:<22} {:>14} {:>14} {:>22}",
        "case (1000 x `true`)", "spawn median", "spawn p90", "spawn..reaped median"
    );
    for case in &mut cases {
        let (median, p90) = percentiles(&mut case.spawn);
        let (trip, _) = percentiles(&mut case.round_trip);
        println!(
            "{:<22} {:>14.1?} {:>14.1?} {:>22.1?}",
            case.name, median, p90, trip
        );
    }
}

/// std's spawn, reaped by std's blocking wait.
fn std_case(name: &'static str) -> Case {
    let mut command = std::process::Command::new("true");
    let mut case = Case::new(name);
    for _ in 0..SPAWNS {
        let start = Instant::now();
        let mut child = command.spawn().unwrap();
        let spawned = start.elapsed();
        assert!(child.wait().unwrap().success());
        case.record(spawned, start.elapsed());
    }
    case
}

/// tether's spawn on a loop, reaped through the child's pidfd.
fn tether_case(name: &'static str) -> Case {
    tether::run(async {
        let mut command = tether::process::Command::new("true");
        let mut case = Case::new(name);
        for _ in 0..SPAWNS {
            let start = Instant::now();
            let mut child = command.spawn().unwrap();
            let spawned = start.elapsed();
            assert!(child.wait().await.unwrap().success());
            case.record(spawned, start.elapsed());
        }
        case
    })
}

impl Case {
    fn new(name: &'static str) -> Case {
        Case {
            name,
            spawn: Vec::with_capacity(SPAWNS),
            round_trip: Vec::with_capacity(SPAWNS),
        }
    }

    fn record(&mut self, spawn: Duration, round_trip: Duration) {
        self.spawn.push(spawn);
        self.round_trip.push(round_trip);
    }
}

/// The median and the 90th percentile.
fn percentiles(times: &mut [Duration]) -> (Duration, Duration) {
    times.sort();
    (times[times.len() / 2], times[times.len() * 9 / 10])
}

fn block_sigusr1() {
    set_sigusr1(libc::SIG_BLOCK);
}

fn unblock_sigusr1() {
    set_sigusr1(libc::SIG_UNBLOCK);
}

/// Blocks or unblocks `SIGUSR1` on this thread.
fn set_sigusr1(how: libc::c_int) {
    // SAFETY: `set` is initialized by `sigemptyset` before it is read, and
    // a null old set is allowed.
    unsafe {
        let mut set = std::mem::zeroed::<libc::sigset_t>();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGUSR1);
        assert_eq!(libc::pthread_sigmask(how, &set, std::ptr::null_mut()), 0);
    }
}
