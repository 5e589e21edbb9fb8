//! `tether::sync`: Event, Semaphore, Mutex and Queue between the tasks of
//! one loop, and what happens to their waiters when they are cancelled.

mod support;

use std::pin::pin;
use std::rc::Rc;
use std::task::Poll;
use std::time::Duration;

use support::{Log, poll_once, within_10s};
use tether::sync::{Event, Mutex, Queue, Semaphore, TaskDoneError, TryPutError};

// ===== Event =====

#[test]
fn setting_an_event_wakes_every_waiter_and_later_waits_return_at_once() {
    tether::run(within_10s(async {
        let event = Rc::new(Event::new());
        let log = Log::default();
        let waiters: Vec<_> = (0..3)
            .map(|i| {
                let (event, log) = (event.clone(), log.clone());
                tether::spawn(async move {
                    event.wait().await;
                    log.push(format!("woke {i}"));
                })
            })
            .collect();
        tether::yield_now().await;
        assert!(log.take().is_empty() && !event.is_set());
        event.set();
        tether::task::join_all(waiters).await;
        assert_eq!(log.take(), ["woke 0", "woke 1", "woke 2"]);
        // Set: no wait.
        assert_eq!(poll_once(pin!(event.wait())).await, Poll::Ready(()));
        event.clear();
        assert_eq!(poll_once(pin!(event.wait())).await, Poll::Pending);
    }));
}

#[test]
fn a_waiter_woken_by_set_returns_even_if_the_event_is_cleared_before_it_runs() {
    tether::run(within_10s(async {
        let event = Rc::new(Event::new());
        let waiter = tether::spawn({
            let event = event.clone();
            async move { event.wait().await }
        });
        tether::yield_now().await;
        event.set();
        event.clear();
        waiter.await.unwrap();
    }));
}

#[test]
fn a_cancelled_event_waiter_leaves_the_others_waiting_and_woken() {
    tether::run(within_10s(async {
        let event = Event::new();
        let mut first = pin!(event.wait());
        let mut second = pin!(event.wait());
        assert!(poll_once(first.as_mut()).await.is_pending());
        assert!(poll_once(second.as_mut()).await.is_pending());
        {
            let mut third = pin!(event.wait());
            assert!(poll_once(third.as_mut()).await.is_pending());
        } // cancelled while in the line
        event.set();
        first.await;
        second.await;
    }));
}

// ===== Semaphore =====

#[test]
fn a_semaphore_bounds_concurrency_and_serves_waiters_in_order() {
    tether::run(within_10s(async {
        let semaphore = Rc::new(Semaphore::new(2));
        let log = Log::default();
        let tasks: Vec<_> = (0..5)
            .map(|i| {
                let (semaphore, log) = (semaphore.clone(), log.clone());
                tether::spawn(async move {
                    let _permit = semaphore.acquire().await;
                    log.push(format!("in {i}"));
                    tether::time::sleep(Duration::from_millis(2)).await;
                    log.push(format!("out {i}"));
                })
            })
            .collect();
        tether::task::join_all(tasks).await;
        let log = log.take();
        let mut inside = 0;
        for event in &log {
            inside += if event.starts_with("in") { 1 } else { -1 };
            assert!(inside <= 2, "more than two inside: {log:?}");
        }
        let entries: Vec<_> = log.iter().filter(|e| e.starts_with("in")).collect();
        assert_eq!(entries, ["in 0", "in 1", "in 2", "in 3", "in 4"]);
        assert_eq!(semaphore.available_permits(), 2);
    }));
}

#[test]
fn a_newcomer_does_not_take_a_permit_while_others_wait() {
    tether::run(within_10s(async {
        let semaphore = Semaphore::new(1);
        let held = semaphore.try_acquire().unwrap();
        let mut waiter = pin!(semaphore.acquire());
        assert!(poll_once(waiter.as_mut()).await.is_pending());
        drop(held); // handed straight to the waiter
        assert!(semaphore.try_acquire().is_none());
        assert_eq!(semaphore.available_permits(), 0);
        let permit = waiter.await;
        drop(permit);
        assert_eq!(semaphore.available_permits(), 1);
    }));
}

#[test]
fn a_semaphore_waiter_cancelled_in_the_line_or_after_being_served_loses_no_permit() {
    tether::run(within_10s(async {
        let semaphore = Semaphore::new(1);
        let held = semaphore.try_acquire().unwrap();
        let mut first = Box::pin(semaphore.acquire());
        let mut second = Box::pin(semaphore.acquire());
        let mut third = pin!(semaphore.acquire());
        for waiter in [first.as_mut(), second.as_mut()] {
            assert!(poll_once(waiter).await.is_pending());
        }
        assert!(poll_once(third.as_mut()).await.is_pending());
        // The second leaves the line while waiting.
        drop(second);
        // The permit goes to the first, which is cancelled before it runs:
        // it must hand the permit on to the third.
        drop(held);
        drop(first);
        let permit = third.await;
        drop(permit);
        assert_eq!(semaphore.available_permits(), 1);
    }));
}

// ===== Mutex =====

#[test]
fn a_mutex_is_held_across_awaits_and_granted_in_order() {
    tether::run(within_10s(async {
        let shared = Rc::new(Mutex::new(Vec::new()));
        let tasks: Vec<_> = (0..4)
            .map(|i| {
                let shared = shared.clone();
                tether::spawn(async move {
                    let mut v = shared.lock().await;
                    v.push(i);
                    tether::time::sleep(Duration::from_millis(1)).await;
                    v.push(i);
                })
            })
            .collect();
        tether::task::join_all(tasks).await;
        assert_eq!(*shared.lock().await, [0, 0, 1, 1, 2, 2, 3, 3]);
        assert!(!shared.is_locked());
    }));
}

#[test]
fn a_lock_cancelled_after_it_was_granted_does_not_leave_the_mutex_locked() {
    tether::run(within_10s(async {
        let mutex = Mutex::new(0);
        let guard = mutex.try_lock().unwrap();
        let mut first = Box::pin(mutex.lock());
        let mut second = pin!(mutex.lock());
        assert!(poll_once(first.as_mut()).await.is_pending());
        assert!(poll_once(second.as_mut()).await.is_pending());
        assert!(mutex.try_lock().is_none());
        drop(guard); // granted to `first`...
        drop(first); // ...which is cancelled before it runs
        *second.await += 1;
        assert!(!mutex.is_locked());
        assert_eq!(*mutex.try_lock().unwrap(), 1);
    }));
}

// ===== Queue =====

#[test]
fn a_bounded_queue_makes_put_wait_while_full_and_keeps_fifo_order() {
    tether::run(within_10s(async {
        let queue = Rc::new(Queue::bounded(2));
        let log = Log::default();
        let producer = tether::spawn({
            let (queue, log) = (queue.clone(), log.clone());
            async move {
                for i in 0..4 {
                    queue.put(i).await.unwrap();
                    log.push(format!("put {i}"));
                }
            }
        });
        tether::yield_now().await;
        // Two fit; the third put waits.
        assert_eq!(log.take(), ["put 0", "put 1"]);
        assert!(queue.is_full());
        assert_eq!(queue.try_put(9), Err(TryPutError::Full(9)));
        assert_eq!(queue.get().await, Ok(0));
        tether::yield_now().await;
        assert_eq!(log.take(), ["put 2"]);
        let mut got = Vec::new();
        for _ in 0..3 {
            got.push(queue.get().await.unwrap());
        }
        producer.await.unwrap();
        assert_eq!(got, [1, 2, 3]);
        assert!(queue.is_empty() && queue.try_get().is_err());
    }));
}

#[test]
fn an_unbounded_queue_never_makes_put_wait() {
    tether::run(within_10s(async {
        let queue = Queue::unbounded();
        for i in 0..10_000 {
            assert_eq!(poll_once(pin!(queue.put(i))).await, Poll::Ready(Ok(())));
        }
        assert_eq!(queue.len(), 10_000);
        assert_eq!(queue.capacity(), None);
        assert_eq!(queue.try_get(), Ok(0));
    }));
}

/// Spawns `n` tasks that each get one item from `queue` and log it, or
/// log that the queue was shut down.
fn spawn_getters(
    queue: &Rc<Queue<&'static str>>,
    log: &Log,
    n: usize,
) -> Vec<tether::JoinHandle<()>> {
    (0..n)
        .map(|i| {
            let (queue, log) = (queue.clone(), log.clone());
            tether::spawn(async move {
                match queue.get().await {
                    Ok(item) => log.push(format!("getter {i} got {item}")),
                    Err(_) => log.push(format!("getter {i} found it shut down")),
                }
            })
        })
        .collect()
}

/// With two getters waiting: puts two items, each waking a getter, with
/// `late` spawned between the two wakes, then takes both items back before
/// either getter runs, and waits for `late`. Getter 0 runs first, finds
/// nothing and waits again, before `late` runs, then getter 1.
async fn take_both_items_of_two_woken_getters(
    queue: &Queue<&'static str>,
    late: impl Future<Output = ()> + 'static,
) {
    queue.try_put("x").unwrap();
    let late = tether::spawn(late);
    queue.try_put("y").unwrap();
    assert_eq!(queue.try_get(), Ok("x"));
    assert_eq!(queue.try_get(), Ok("y"));
    late.await.unwrap();
}

#[test]
fn getters_are_served_in_the_order_they_came() {
    tether::run(within_10s(async {
        let queue = Rc::new(Queue::unbounded());
        let log = Log::default();
        let getters = spawn_getters(&queue, &log, 3);
        tether::yield_now().await;
        for item in ["a", "b", "c"] {
            queue.try_put(item).unwrap();
        }
        tether::task::join_all(getters).await;
        assert_eq!(
            log.take(),
            ["getter 0 got a", "getter 1 got b", "getter 2 got c"]
        );
    }));
}

#[test]
fn getters_woken_for_items_another_took_keep_the_order_they_came_in() {
    tether::run(within_10s(async {
        let queue = Rc::new(Queue::unbounded());
        let log = Log::default();
        let getters = spawn_getters(&queue, &log, 2);
        tether::yield_now().await;
        // Each item wakes a getter, but this task takes both before either
        // runs: both find nothing, and wait again, in their first order.
        queue.try_put("x").unwrap();
        queue.try_put("y").unwrap();
        assert_eq!(queue.try_get(), Ok("x"));
        assert_eq!(queue.try_get(), Ok("y"));
        tether::yield_now().await;
        queue.try_put("a").unwrap();
        queue.try_put("b").unwrap();
        tether::task::join_all(getters).await;
        assert_eq!(log.take(), ["getter 0 got a", "getter 1 got b"]);
    }));
}

#[test]
fn a_getter_told_of_an_item_another_took_does_not_take_the_next_one_from_an_earlier_getter() {
    tether::run(within_10s(async {
        let queue = Rc::new(Queue::unbounded());
        let log = Log::default();
        let getters = spawn_getters(&queue, &log, 2);
        tether::yield_now().await;
        // A third item, once getter 0 waits again: it is for getter 0.
        // Getter 1 runs next: the item is there, but it came after getter
        // 0, which was told of the item and has not run yet.
        let late = {
            let queue = queue.clone();
            async move { queue.try_put("z").unwrap() }
        };
        take_both_items_of_two_woken_getters(&queue, late).await;
        tether::yield_now().await;
        queue.try_put("a").unwrap();
        tether::task::join_all(getters).await;
        assert_eq!(log.take(), ["getter 0 got z", "getter 1 got a"]);
    }));
}

/// The same, with the queue shut down after the third item: nothing
/// notifies the line again, so whoever runs first takes what is left, and
/// no getter waits forever.
#[test]
fn after_a_shutdown_a_getter_told_too_late_takes_what_is_left() {
    tether::run(within_10s(async {
        let queue = Rc::new(Queue::unbounded());
        let log = Log::default();
        let getters = spawn_getters(&queue, &log, 2);
        tether::yield_now().await;
        let late = {
            let queue = queue.clone();
            async move {
                queue.try_put("z").unwrap();
                queue.shutdown();
            }
        };
        take_both_items_of_two_woken_getters(&queue, late).await;
        tether::task::join_all(getters).await;
        assert_eq!(
            log.take(),
            ["getter 1 got z", "getter 0 found it shut down"]
        );
    }));
}

#[test]
fn a_getter_cancelled_in_the_line_or_after_being_told_of_an_item_loses_nothing() {
    tether::run(within_10s(async {
        let queue = Queue::unbounded();
        let mut first = Box::pin(queue.get());
        let mut second = Box::pin(queue.get());
        let mut third = pin!(queue.get());
        for getter in [first.as_mut(), second.as_mut()] {
            assert!(poll_once(getter).await.is_pending());
        }
        assert!(poll_once(third.as_mut()).await.is_pending());
        drop(second); // leaves the line
        queue.try_put("item").unwrap(); // `first` is told of it...
        drop(first); // ...and cancelled before taking it
        assert_eq!(third.await, Ok("item"));
        assert!(queue.is_empty());
    }));
}

#[test]
fn a_putter_cancelled_after_being_told_of_room_lets_the_next_one_in() {
    tether::run(within_10s(async {
        let queue = Queue::bounded(1);
        queue.try_put(0).unwrap();
        let mut first = Box::pin(queue.put(1));
        let mut second = pin!(queue.put(2));
        assert!(poll_once(first.as_mut()).await.is_pending());
        assert!(poll_once(second.as_mut()).await.is_pending());
        assert_eq!(queue.try_get(), Ok(0)); // room: `first` is told...
        drop(first); // ...and cancelled: its item is dropped with it
        second.await.unwrap();
        assert_eq!(queue.try_get(), Ok(2));
        assert!(queue.is_empty());
    }));
}

// ===== Queue: task_done and join =====

#[test]
fn join_waits_until_every_item_put_is_marked_done_not_only_taken() {
    tether::run(within_10s(async {
        let queue = Queue::unbounded();
        assert_eq!(poll_once(pin!(queue.join())).await, Poll::Ready(()));
        queue.put("a").await.unwrap();
        queue.try_put("b").unwrap();
        let mut join = pin!(queue.join());
        assert!(poll_once(join.as_mut()).await.is_pending());
        queue.get().await.unwrap();
        queue.get().await.unwrap();
        queue.task_done().unwrap();
        // Both taken, one still being handled.
        assert!(poll_once(join.as_mut()).await.is_pending());
        queue.task_done().unwrap();
        join.await;
    }));
}

#[test]
fn task_done_more_times_than_items_were_put_is_an_error_that_changes_nothing() {
    tether::run(within_10s(async {
        let queue = Queue::bounded(2);
        assert_eq!(queue.task_done(), Err(TaskDoneError));
        // The count stayed at zero: one put needs one task_done again.
        queue.put(1).await.unwrap();
        let mut join = pin!(queue.join());
        assert!(poll_once(join.as_mut()).await.is_pending());
        assert_eq!(queue.task_done(), Ok(()));
        assert_eq!(queue.task_done(), Err(TaskDoneError));
        join.await;
    }));
}

#[test]
fn every_joiner_goes_on_and_a_cancelled_one_holds_nobody_up() {
    tether::run(within_10s(async {
        let queue = Rc::new(Queue::unbounded());
        queue.put(()).await.unwrap();
        let log = Log::default();
        let joiners: Vec<_> = (0..3)
            .map(|i| {
                let (queue, log) = (queue.clone(), log.clone());
                tether::spawn(async move {
                    queue.join().await;
                    log.push(format!("joiner {i}"));
                })
            })
            .collect();
        {
            let mut cancelled = pin!(queue.join());
            assert!(poll_once(cancelled.as_mut()).await.is_pending());
        } // dropped while in the line
        tether::yield_now().await;
        assert!(log.take().is_empty());
        queue.try_get().unwrap();
        queue.task_done().unwrap();
        tether::task::join_all(joiners).await;
        assert_eq!(log.take(), ["joiner 0", "joiner 1", "joiner 2"]);
    }));
}

#[test]
fn a_joiner_woken_by_the_last_task_done_returns_even_if_an_item_comes_before_it_runs() {
    tether::run(within_10s(async {
        let queue = Rc::new(Queue::unbounded());
        queue.put(1).await.unwrap();
        let joiner = tether::spawn({
            let queue = queue.clone();
            async move { queue.join().await }
        });
        tether::yield_now().await;
        queue.try_get().unwrap();
        queue.task_done().unwrap();
        queue.put(2).await.unwrap(); // before the joiner runs
        joiner.await.unwrap();
        assert_eq!(poll_once(pin!(queue.join())).await, Poll::Pending);
    }));
}
