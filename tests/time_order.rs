//! Timers fire in deadline order, as asyncio's heap of timers does: within
//! one 100 µs tick of the wheel, and among timers whose deadline had already
//! passed when they were armed. Equal deadlines fire in the order they were
//! armed (asyncio leaves ties undefined).

mod support;

use std::time::{Duration, Instant};

use support::{Log, within_10s};
use tether::CallbackHandle;
use tether::time::sleep_until;

/// Yields until every callback in `handles` has run.
async fn all_finished(handles: &[CallbackHandle]) {
    within_10s(async {
        while !handles.iter().all(CallbackHandle::is_finished) {
            tether::yield_now().await;
        }
    })
    .await;
}

/// Schedules one `call_at` per (name, deadline), in the order given, and
/// returns the names in the order the callbacks ran.
fn run_callbacks(
    deadlines: impl Fn(Instant) -> Vec<(&'static str, Instant)> + 'static,
) -> Vec<String> {
    let log = Log::default();
    let inner = log.clone();
    tether::run(async move {
        let handles: Vec<_> = deadlines(Instant::now())
            .into_iter()
            .map(|(name, deadline)| {
                let log = inner.clone();
                tether::call_at(deadline, move || log.push(name))
            })
            .collect();
        all_finished(&handles).await;
    });
    log.take()
}

/// Spawns one task per (name, deadline), in the order given, each sleeping
/// until its deadline; returns the names in the order the sleeps ended.
fn run_sleeps(
    deadlines: impl Fn(Instant) -> Vec<(&'static str, Instant)> + 'static,
) -> Vec<String> {
    let log = Log::default();
    let inner = log.clone();
    tether::run(async move {
        let tasks: Vec<_> = deadlines(Instant::now())
            .into_iter()
            .map(|(name, deadline)| {
                let log = inner.clone();
                tether::spawn(async move {
                    sleep_until(deadline).await;
                    log.push(name);
                })
            })
            .collect();
        within_10s(async {
            for task in tasks {
                task.await.unwrap();
            }
        })
        .await;
    });
    log.take()
}

/// `ms` milliseconds before `now`.
fn ago(now: Instant, ms: u64) -> Instant {
    now - Duration::from_millis(ms)
}

/// Ten deadlines 10 µs apart, latest first: they span 90 µs, less than a
/// 100 µs tick of the wheel, so at least five of them share a tick,
/// however the ticks fall.
fn ten_in_one_tick(base: Instant) -> Vec<(&'static str, Instant)> {
    const NAMES: [&str; 10] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];
    NAMES
        .iter()
        .enumerate()
        .rev()
        .map(|(i, &name)| (name, base + Duration::from_micros(10 * i as u64)))
        .collect()
}

#[test]
fn overdue_callbacks_run_in_deadline_order() {
    // The case of the issue: asyncio runs `b` first, its deadline being
    // the earlier one, although it was scheduled second.
    let order = run_callbacks(|now| vec![("a", ago(now, 1)), ("b", ago(now, 2))]);
    assert_eq!(order, ["b", "a"]);
}

#[test]
fn overdue_sleeps_complete_in_deadline_order() {
    let order = run_sleeps(|now| vec![("a", ago(now, 1)), ("b", ago(now, 3)), ("c", ago(now, 2))]);
    assert_eq!(order, ["b", "c", "a"]);
}

#[test]
fn callbacks_due_in_one_tick_run_in_deadline_order() {
    let order = run_callbacks(|now| ten_in_one_tick(now + Duration::from_millis(3)));
    assert_eq!(order, ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);
}

#[test]
fn sleeps_due_in_one_tick_complete_in_deadline_order() {
    let order = run_sleeps(|now| ten_in_one_tick(now + Duration::from_millis(3)));
    assert_eq!(order, ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);
}

#[test]
fn overdue_timers_sort_among_each_other_whatever_their_tick() {
    // Overdue by various amounts, some in the same tick, some not.
    let order = run_sleeps(|now| {
        let at = |us| now - Duration::from_micros(us);
        vec![
            ("c", at(1_100)),
            ("a", at(5_000)),
            ("d", at(1_000)),
            ("b", at(1_200)),
        ]
    });
    assert_eq!(order, ["a", "b", "c", "d"]);
}

#[test]
fn equal_deadlines_fire_in_the_order_they_were_armed() {
    // Two pairs of equal deadlines 0.3 ms apart: each pair keeps its
    // order, and the pairs sort by deadline.
    let order = run_sleeps(|now| {
        let late = now + Duration::from_micros(3_700);
        let early = now + Duration::from_micros(3_400);
        vec![("x1", late), ("y1", early), ("x2", late), ("y2", early)]
    });
    assert_eq!(order, ["y1", "y2", "x1", "x2"]);
}

#[test]
fn overdue_equal_deadlines_fire_in_the_order_they_were_armed() {
    let order = run_callbacks(|now| {
        let (late, early) = (ago(now, 1), ago(now, 2));
        vec![("x1", late), ("y1", early), ("x2", late), ("y2", early)]
    });
    assert_eq!(order, ["y1", "y2", "x1", "x2"]);
}

#[test]
fn a_timer_armed_overdue_fires_in_its_place_among_timers_due_with_it() {
    // `later` is armed first and `earlier` after the loop was held up past
    // both deadlines; both wait for the same timer step, which fires them
    // by deadline.
    let log = Log::default();
    let inner = log.clone();
    tether::run(async move {
        let start = Instant::now();
        let spawn_sleep = |name: &'static str, deadline: Instant| {
            let log = inner.clone();
            tether::spawn(async move {
                sleep_until(deadline).await;
                log.push(name);
            })
        };
        // The three tasks run in this order in the loop's next run step.
        let later = spawn_sleep("later", start + Duration::from_millis(1));
        let blocker = tether::spawn(async {
            std::thread::sleep(Duration::from_millis(3));
        });
        let earlier = spawn_sleep("earlier", start + Duration::from_micros(500));
        within_10s(async {
            blocker.await.unwrap();
            later.await.unwrap();
            earlier.await.unwrap();
        })
        .await;
    });
    assert_eq!(log.take(), ["earlier", "later"]);
}

#[test]
fn a_timed_callback_takes_its_place_among_the_timers_when_it_is_scheduled() {
    // `x`, a sleep, is armed first. The loop is then held up past both
    // deadlines, and `a`, due before `x`, is scheduled: armed at the call,
    // as asyncio pushes it on its heap, it fires in the same timer step as
    // `x`, first. (Armed at its task's first run instead, it would fire a
    // step after `x`.)
    let log = Log::default();
    let inner = log.clone();
    tether::run(async move {
        let start = Instant::now();
        let x = {
            let log = inner.clone();
            tether::spawn(async move {
                sleep_until(start + Duration::from_millis(2)).await;
                log.push("x");
            })
        };
        // `x`'s task runs, and arms its timer, before this one resumes.
        tether::yield_now().await;
        std::thread::sleep(Duration::from_millis(5));
        let log = inner.clone();
        let a = tether::call_at(start + Duration::from_millis(1), move || log.push("a"));
        within_10s(async {
            x.await.unwrap();
            all_finished(&[a]).await;
        })
        .await;
    });
    assert_eq!(log.take(), ["a", "x"]);
}

#[test]
fn a_callback_due_now_keeps_its_fifo_place() {
    // `call_later(0)` is `call_soon`, as in asyncio.
    let log = Log::default();
    let inner = log.clone();
    tether::run(async move {
        let push = |name| {
            let log = inner.clone();
            move || log.push(name)
        };
        let handles = [
            tether::call_soon(push("a")),
            tether::call_later(Duration::ZERO, push("b")),
            tether::call_soon(push("c")),
        ];
        all_finished(&handles).await;
    });
    assert_eq!(log.take(), ["a", "b", "c"]);
}
