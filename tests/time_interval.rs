//! `interval`: ticks on a grid from the start, never early.

use std::time::{Duration, Instant};

use tether::time::{MissedTickBehavior, interval, interval_at};

#[test]
fn ticks_come_on_a_grid_and_never_early() {
    tether::run(async {
        let period = Duration::from_millis(3);
        let start = Instant::now();
        let mut ticks = interval_at(start, period);
        for n in 0..5u32 {
            let scheduled = ticks.tick().await;
            assert_eq!(scheduled, start + period * n, "tick {n} off the grid");
            assert!(Instant::now() >= scheduled, "tick {n} came early");
        }
    });
}

#[test]
fn a_zero_period_is_rounded_up_to_a_millisecond() {
    tether::run(async {
        let mut ticks = interval(Duration::ZERO);
        assert_eq!(ticks.period(), Duration::from_millis(1));
        let first = ticks.tick().await;
        let second = ticks.tick().await;
        assert!(second - first >= Duration::from_millis(1));
    });
}

#[test]
fn a_huge_period_gives_one_tick_then_none() {
    tether::run(async {
        let mut ticks = interval(Duration::MAX);
        ticks.tick().await;
        let next = tether::time::timeout(Duration::from_millis(2), ticks.tick()).await;
        assert!(next.is_err());
    });
}

#[test]
fn missed_ticks_burst_delay_or_skip() {
    tether::run(async {
        let period = Duration::from_millis(2);
        for behavior in [
            MissedTickBehavior::Burst,
            MissedTickBehavior::Delay,
            MissedTickBehavior::Skip,
        ] {
            let start = Instant::now();
            let mut ticks = interval_at(start, period);
            ticks.set_missed_tick_behavior(behavior);
            ticks.tick().await;
            // Miss about three ticks.
            std::thread::sleep(Duration::from_millis(7));
            let late = ticks.tick().await;
            assert_eq!(
                late,
                start + period,
                "{behavior:?}: the missed tick is delivered first"
            );
            let after = ticks.tick().await;
            match behavior {
                // Catching up: the next grid point, already past.
                MissedTickBehavior::Burst => assert_eq!(after, start + period * 2),
                // A full period after the late tick was delivered.
                MissedTickBehavior::Delay => assert!(after >= start + Duration::from_millis(9)),
                // The next grid point after now.
                MissedTickBehavior::Skip => {
                    let offset = after - start;
                    assert_eq!(
                        offset.as_nanos() % period.as_nanos(),
                        0,
                        "{offset:?} off the grid"
                    );
                    assert!(offset >= Duration::from_millis(8));
                }
            }
        }
    });
}

#[test]
fn the_first_tick_comes_on_the_first_poll() {
    use std::future::{Future, poll_fn};
    use std::pin::pin;
    use std::task::Poll;

    tether::run(async {
        let past = Instant::now();
        let mut now = interval(Duration::from_secs(60));
        let mut started = interval_at(past, Duration::from_secs(60));
        let mut later = interval_at(past + Duration::from_secs(60), Duration::from_secs(60));
        poll_fn(|cx| {
            assert!(now.poll_tick(cx).is_ready(), "interval: at once");
            assert_eq!(
                started.poll_tick(cx),
                Poll::Ready(past),
                "a start in the past"
            );
            assert!(pin!(later.tick()).poll(cx).is_pending(), "a start to come");
            Poll::Ready(())
        })
        .await;
    });
}
