//! `tether::task`: TaskGroup, join_all, select, race and as_completed.

mod support;

use std::cell::{Cell, RefCell};
use std::future::pending;
use std::rc::Rc;
use std::time::{Duration, Instant};

use support::{Dropped, Log, within_10s};
use tether::JoinError;
use tether::task::{Failure, TaskGroup, as_completed, join_all, race, select};
use tether::time::{sleep, timeout};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A runtime whose exception handler records each report's line.
fn recording_runtime() -> (tether::Runtime, Rc<RefCell<Vec<String>>>) {
    let reported = Rc::new(RefCell::new(Vec::new()));
    let rt = tether::Runtime::builder()
        .on_exception({
            let reported = reported.clone();
            move |e| reported.borrow_mut().push(e.to_string())
        })
        .build()
        .unwrap();
    (rt, reported)
}

// ===== TaskGroup =====

#[test]
fn a_group_gives_every_output_in_spawn_order() {
    tether::run(within_10s(async {
        let group: TaskGroup<u64, ()> = TaskGroup::new();
        for delay in [20, 1, 10] {
            group.spawn(async move {
                sleep(ms(delay)).await;
                Ok(delay)
            });
        }
        assert_eq!(group.len(), 3);
        assert_eq!(group.join().await.unwrap(), [20, 1, 10]);
        let empty: TaskGroup<(), ()> = TaskGroup::new();
        assert!(empty.is_empty());
        assert_eq!(empty.join().await.unwrap(), []);
    }));
}

#[test]
fn the_first_failure_cancels_the_siblings_and_join_returns_it() {
    tether::run(within_10s(async {
        let sibling_dropped = Dropped::default();
        let sibling_finished = Rc::new(Cell::new(false));
        let group: TaskGroup<(), String> = TaskGroup::new();
        group.spawn({
            let (guard, finished) = (sibling_dropped.guard(), sibling_finished.clone());
            async move {
                let _guard = guard;
                sleep(Duration::from_secs(60)).await;
                finished.set(true);
                Ok(())
            }
        });
        let failing = group.spawn(async {
            sleep(ms(1)).await;
            Err("refused".to_owned())
        });
        let started = Instant::now();
        let error = group.join().await.unwrap_err();
        // Well before the sibling's 60 s: it was cancelled, not awaited.
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(sibling_dropped.get() && !sibling_finished.get());
        assert_eq!(error.task_id(), failing);
        assert!(matches!(error.failure(), Failure::Error(e) if e == "refused"));
        assert_eq!(
            error.to_string(),
            format!("task {failing} of the group failed: refused")
        );
    }));
}

#[test]
fn a_panicking_child_is_a_failure_of_the_group_not_of_the_loop() {
    let (rt, reported) = recording_runtime();
    rt.block_on(within_10s(async {
        let sibling_dropped = Dropped::default();
        let group: TaskGroup<(), ()> = TaskGroup::new();
        group.spawn({
            let guard = sibling_dropped.guard();
            async move {
                let _guard = guard;
                pending::<()>().await;
                Ok(())
            }
        });
        group.spawn(async {
            tether::yield_now().await;
            panic!("child broke")
        });
        let error = group.join().await.unwrap_err();
        assert!(sibling_dropped.get());
        match error.failure() {
            Failure::Panic(panic) => assert_eq!(panic.panic_message(), Some("child broke")),
            other => panic!("not a panic: {other:?}"),
        }
    }));
    assert!(
        reported.borrow().is_empty(),
        "the panic was returned, not reported: {:?}",
        reported.borrow()
    );
}

#[test]
fn a_sibling_cancelled_by_the_first_failure_is_not_a_failure() {
    tether::run(within_10s(async {
        let group: TaskGroup<(), &str> = TaskGroup::new();
        let a = group.spawn(async { Err("a") });
        // Queued to run after `a`, which cancels it first: it is dropped
        // without being polled, so it cannot fail as well.
        let b_polled = Rc::new(Cell::new(false));
        group.spawn({
            let b_polled = b_polled.clone();
            async move {
                b_polled.set(true);
                Err("b")
            }
        });
        let error = group.join().await.unwrap_err();
        assert_eq!(error.task_id(), a);
        assert!(matches!(error.failure(), Failure::Error("a")));
        assert!(!b_polled.get());
    }));
}

#[test]
fn a_child_spawned_after_a_failure_is_cancelled_at_once() {
    tether::run(within_10s(async {
        let group: TaskGroup<(), ()> = TaskGroup::new();
        group.spawn(async { Err(()) });
        tether::yield_now().await;
        let ran = Rc::new(Cell::new(false));
        group.spawn({
            let ran = ran.clone();
            async move {
                ran.set(true);
                Ok(())
            }
        });
        assert!(matches!(
            group.join().await.unwrap_err().failure(),
            Failure::Error(())
        ));
        assert!(!ran.get());
    }));
}

#[test]
fn a_childs_panic_in_a_group_dropped_unjoined_reaches_the_handler() {
    let (rt, reported) = recording_runtime();
    let broken = rt.block_on(within_10s(async {
        let group: TaskGroup<(), ()> = TaskGroup::new();
        let broken = group.spawn(async { panic!("nobody joined") });
        tether::yield_now().await;
        // The code that made the group returns early, say with `?`.
        drop(group);
        broken
    }));
    assert_eq!(
        *reported.borrow(),
        [format!("task {broken} panicked: nobody joined")]
    );
}

#[test]
fn dropping_a_groups_join_cancels_the_children() {
    tether::run(within_10s(async {
        let dropped = Dropped::default();
        let group: TaskGroup<(), ()> = TaskGroup::new();
        group.spawn({
            let guard = dropped.guard();
            async move {
                let _guard = guard;
                pending::<()>().await;
                Ok(())
            }
        });
        // The task awaiting `join` gives up: the children go with it.
        assert!(timeout(ms(5), group.join()).await.is_err());
        tether::yield_now().await;
        assert!(dropped.get());
    }));
}

// ===== join_all =====

#[test]
fn join_all_gives_results_in_input_order_panics_and_cancellations_included() {
    tether::run(within_10s(async {
        let slow = tether::spawn(async {
            sleep(ms(10)).await;
            "slow"
        });
        let broken = tether::spawn(async {
            tether::yield_now().await;
            panic!("broken")
        });
        let cancelled = tether::spawn(pending::<&str>());
        cancelled.cancel();
        let fast = tether::spawn(async { "fast" });
        let results = join_all([slow, broken, cancelled, fast]).await;
        assert_eq!(results.len(), 4);
        assert_eq!(results[0].as_ref().unwrap(), &"slow");
        assert_eq!(
            results[1].as_ref().unwrap_err().panic_message(),
            Some("broken")
        );
        assert!(matches!(results[2], Err(JoinError::Cancelled)));
        assert_eq!(results[3].as_ref().unwrap(), &"fast");
    }));
}

#[test]
fn dropping_join_all_cancels_the_tasks_not_finished() {
    tether::run(within_10s(async {
        let dropped = Dropped::default();
        let task = tether::spawn({
            let guard = dropped.guard();
            async move {
                let _guard = guard;
                pending::<()>().await
            }
        });
        assert!(timeout(ms(5), join_all([task])).await.is_err());
        tether::yield_now().await;
        assert!(dropped.get());
    }));
}

#[test]
fn dropping_join_all_reports_the_panic_of_a_task_that_finished() {
    let (rt, reported) = recording_runtime();
    let broken = rt.block_on(within_10s(async {
        let broken = tether::spawn(async { panic!("gathered, never read") });
        let id = broken.id();
        let slow = tether::spawn(pending::<()>());
        // `join_all` has seen the panic when the wait for it is abandoned.
        assert!(timeout(ms(5), join_all([broken, slow])).await.is_err());
        id
    }));
    assert_eq!(
        *reported.borrow(),
        [format!("task {broken} panicked: gathered, never read")]
    );
}

// ===== select and race =====

#[test]
fn select_returns_the_first_finished_and_the_rest_still_running() {
    tether::run(within_10s(async {
        let slow = tether::spawn(async {
            sleep(ms(20)).await;
            "slow"
        });
        let fast = tether::spawn(async {
            sleep(ms(1)).await;
            "fast"
        });
        let (first, index, rest) = select([slow, fast]).await;
        assert_eq!((first.unwrap(), index), ("fast", 1));
        assert_eq!(rest.len(), 1);
        // Not cancelled: the slow one still finishes.
        let (second, index, rest) = select(rest).await;
        assert_eq!((second.unwrap(), index), ("slow", 0));
        assert!(rest.is_empty());
    }));
}

#[test]
fn select_works_on_any_unpin_future_and_prefers_the_first_ready() {
    tether::run(within_10s(async {
        let futures: Vec<std::pin::Pin<Box<dyn Future<Output = u32>>>> = vec![
            Box::pin(async { 1 }),
            Box::pin(async { 2 }),
            Box::pin(pending()),
        ];
        let (output, index, rest) = select(futures).await;
        assert_eq!((output, index, rest.len()), (1, 0, 2));
    }));
}

#[test]
#[should_panic(expected = "select needs at least one future")]
fn select_over_nothing_is_refused() {
    tether::run(async {
        let none: Vec<tether::JoinHandle<()>> = Vec::new();
        let _ = select(none).await;
    });
}

#[test]
fn race_cancels_the_losers_and_a_dropped_race_cancels_everyone() {
    tether::run(within_10s(async {
        let loser_dropped = Dropped::default();
        let loser = tether::spawn({
            let guard = loser_dropped.guard();
            async move {
                let _guard = guard;
                pending::<&str>().await
            }
        });
        let winner = tether::spawn(async {
            sleep(ms(1)).await;
            "winner"
        });
        let (result, index) = race([loser, winner]).await;
        assert_eq!((result.unwrap(), index), ("winner", 1));
        tether::yield_now().await;
        assert!(loser_dropped.get());

        let dropped = Dropped::default();
        let runner = tether::spawn({
            let guard = dropped.guard();
            async move {
                let _guard = guard;
                pending::<()>().await
            }
        });
        assert!(timeout(ms(5), race([runner])).await.is_err());
        tether::yield_now().await;
        assert!(dropped.get());
    }));
}

// ===== as_completed =====

#[test]
fn as_completed_yields_results_in_finishing_order() {
    tether::run(within_10s(async {
        let tasks = [30, 1, 15].map(|delay| {
            tether::spawn(async move {
                sleep(ms(delay)).await;
                if delay == 15 {
                    panic!("fifteen");
                }
                delay
            })
        });
        let mut done = as_completed(tasks);
        assert_eq!(done.remaining(), 3);
        assert_eq!(done.next().await.unwrap().unwrap(), 1);
        let second = done.next().await.unwrap().unwrap_err();
        assert_eq!(second.panic_message(), Some("fifteen"));
        assert_eq!(done.next().await.unwrap().unwrap(), 30);
        assert!(done.next().await.is_none());
        assert_eq!(done.remaining(), 0);
    }));
}

#[test]
fn as_completed_is_a_stream() {
    use futures_lite::StreamExt;
    tether::run(within_10s(async {
        let tasks = [3, 1, 2].map(|delay| {
            tether::spawn(async move {
                sleep(ms(delay * 5)).await;
                delay
            })
        });
        let order: Vec<u64> = as_completed(tasks).map(Result::unwrap).collect().await;
        assert_eq!(order, [1, 2, 3]);
    }));
}

#[test]
fn abandoning_as_completed_leaves_the_tasks_running() {
    tether::run(within_10s(async {
        let log = Log::default();
        let task = tether::spawn({
            let log = log.clone();
            async move {
                sleep(ms(5)).await;
                log.push("finished");
            }
        });
        drop(as_completed([task]));
        sleep(ms(20)).await;
        assert_eq!(log.take(), ["finished"]);
    }));
}

#[test]
fn a_panic_as_completed_collected_but_never_handed_out_reaches_the_handler() {
    let (rt, reported) = recording_runtime();
    let broken = rt.block_on(within_10s(async {
        let broken = tether::spawn(async { panic!("collected, never read") });
        let id = broken.id();
        let done = as_completed([broken]);
        // The helper has passed the finished task on; nobody asks for it.
        sleep(ms(2)).await;
        drop(done);
        tether::yield_now().await;
        id
    }));
    assert_eq!(
        *reported.borrow(),
        [format!("task {broken} panicked: collected, never read")]
    );
}
