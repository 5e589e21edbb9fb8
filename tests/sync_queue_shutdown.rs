//! `tether::sync::Queue::shutdown` and `shutdown_immediate`, asyncio 3.13's
//! `Queue.shutdown(immediate=False)` and `shutdown(immediate=True)`: what
//! each operation does after them, what happens to the tasks waiting when
//! they are called, and what `join` sees.

mod support;

use std::cell::Cell;
use std::pin::pin;
use std::rc::Rc;
use std::task::Poll;

use support::{Log, poll_once, within_10s};
use tether::sync::{GetError, PutError, Queue, TryGetError, TryPutError};

// ===== shutdown =====

#[test]
fn after_shutdown_put_fails_at_once_and_hands_the_item_back_even_with_room() {
    tether::run(within_10s(async {
        let queue = Queue::bounded(4);
        queue.put(1).await.unwrap();
        queue.shutdown();
        assert!(queue.is_shut_down());
        assert_eq!(
            poll_once(pin!(queue.put(2))).await,
            Poll::Ready(Err(PutError(2)))
        );
        assert_eq!(queue.try_put(3), Err(TryPutError::ShutDown(3)));
        // Nothing was added: the one item is still the only one.
        assert_eq!(queue.len(), 1);
    }));
}

#[test]
fn try_put_on_a_queue_both_full_and_shut_down_says_shut_down() {
    let queue = Queue::bounded(1);
    queue.try_put(1).unwrap();
    queue.shutdown();
    assert_eq!(queue.try_put(2), Err(TryPutError::ShutDown(2)));
}

#[test]
fn after_shutdown_get_drains_what_is_left_in_order_then_fails() {
    tether::run(within_10s(async {
        let queue = Queue::unbounded();
        for item in ["a", "b", "c"] {
            queue.put(item).await.unwrap();
        }
        queue.shutdown();
        assert_eq!(queue.get().await, Ok("a"));
        assert_eq!(queue.try_get(), Ok("b"));
        assert_eq!(queue.get().await, Ok("c"));
        assert_eq!(queue.get().await, Err(GetError));
        assert_eq!(queue.try_get(), Err(TryGetError::ShutDown));
        // It stays that way.
        assert_eq!(queue.get().await, Err(GetError));
    }));
}

#[test]
fn consumer_loops_end_once_the_producer_shuts_the_queue_down_and_it_drains() {
    tether::run(within_10s(async {
        let queue = Rc::new(Queue::bounded(2));
        let log = Log::default();
        let consumers: Vec<_> = (0..3)
            .map(|i| {
                let (queue, log) = (queue.clone(), log.clone());
                tether::spawn(async move {
                    let mut taken = 0;
                    while let Ok(item) = queue.get().await {
                        log.push(format!("item {item}"));
                        taken += 1;
                    }
                    log.push(format!("consumer {i} done"));
                    taken
                })
            })
            .collect();
        for item in 0..10 {
            queue.put(item).await.unwrap();
        }
        queue.shutdown();
        let taken: usize = tether::task::join_all(consumers)
            .await
            .into_iter()
            .map(Result::unwrap)
            .sum();
        assert_eq!(taken, 10);
        let log = log.take();
        let items: Vec<_> = log.iter().filter(|l| l.starts_with("item")).collect();
        let expected: Vec<_> = (0..10).map(|i| format!("item {i}")).collect();
        assert_eq!(items, expected.iter().collect::<Vec<_>>(), "{log:?}");
        assert_eq!(
            log[10..],
            ["consumer 0 done", "consumer 1 done", "consumer 2 done"]
        );
    }));
}

#[test]
fn shutdown_wakes_every_blocked_putter_with_its_item() {
    tether::run(within_10s(async {
        let queue = Rc::new(Queue::bounded(1));
        queue.put(0).await.unwrap();
        let putters: Vec<_> = (1..=3)
            .map(|item| {
                let queue = queue.clone();
                tether::spawn(async move { queue.put(item).await })
            })
            .collect();
        tether::yield_now().await;
        assert!(putters.iter().all(|putter| !putter.is_finished()));
        queue.shutdown();
        let outcomes: Vec<_> = tether::task::join_all(putters)
            .await
            .into_iter()
            .map(Result::unwrap)
            .collect();
        assert_eq!(
            outcomes,
            [Err(PutError(1)), Err(PutError(2)), Err(PutError(3))]
        );
        // The item queued before the shutdown is still there to take.
        assert_eq!(queue.get().await, Ok(0));
        assert_eq!(queue.get().await, Err(GetError));
    }));
}

#[test]
fn shutdown_wakes_every_blocked_getter_with_the_error() {
    tether::run(within_10s(async {
        let queue: Rc<Queue<u32>> = Rc::new(Queue::unbounded());
        let getters: Vec<_> = (0..3)
            .map(|_| {
                let queue = queue.clone();
                tether::spawn(async move { queue.get().await })
            })
            .collect();
        tether::yield_now().await;
        assert!(getters.iter().all(|getter| !getter.is_finished()));
        queue.shutdown();
        for outcome in tether::task::join_all(getters).await {
            assert_eq!(outcome.unwrap(), Err(GetError));
        }
    }));
}

#[test]
fn a_getter_told_of_an_item_then_cancelled_after_the_shutdown_loses_it_to_nobody() {
    tether::run(within_10s(async {
        let queue = Queue::unbounded();
        let mut first = Box::pin(queue.get());
        let mut second = pin!(queue.get());
        assert!(poll_once(first.as_mut()).await.is_pending());
        assert!(poll_once(second.as_mut()).await.is_pending());
        queue.try_put("item").unwrap(); // `first` is told of it...
        queue.shutdown(); // ...`second` is woken by the shutdown...
        drop(first); // ...and `first` is cancelled before taking the item
        assert_eq!(second.await, Ok("item"));
        assert_eq!(queue.get().await, Err(GetError));
    }));
}

#[test]
fn waiters_woken_by_the_shutdown_and_cancelled_before_they_run_hold_nobody_up() {
    tether::run(within_10s(async {
        let full = Queue::bounded(1);
        full.try_put(0).unwrap();
        let mut putter = Box::pin(full.put(1));
        assert!(poll_once(putter.as_mut()).await.is_pending());
        let empty: Queue<u8> = Queue::unbounded();
        let mut getter = Box::pin(empty.get());
        let mut other = pin!(empty.get());
        assert!(poll_once(getter.as_mut()).await.is_pending());
        assert!(poll_once(other.as_mut()).await.is_pending());
        full.shutdown();
        empty.shutdown();
        drop(putter); // its item is dropped with it, as before a shutdown
        drop(getter);
        assert_eq!(other.await, Err(GetError));
        assert_eq!(full.try_get(), Ok(0));
        assert_eq!(full.try_put(2), Err(TryPutError::ShutDown(2)));
    }));
}

#[test]
fn shutdown_leaves_join_waiting_for_task_done_of_every_item_taken_after_it() {
    tether::run(within_10s(async {
        let queue = Queue::unbounded();
        queue.put("a").await.unwrap();
        queue.put("b").await.unwrap();
        queue.shutdown();
        let mut join = pin!(queue.join());
        assert!(poll_once(join.as_mut()).await.is_pending());
        queue.get().await.unwrap();
        queue.get().await.unwrap();
        queue.task_done().unwrap();
        assert!(poll_once(join.as_mut()).await.is_pending());
        queue.task_done().unwrap();
        join.await;
    }));
}

#[test]
fn shutdown_twice_changes_nothing() {
    let queue = Queue::unbounded();
    queue.try_put(1).unwrap();
    queue.shutdown();
    queue.shutdown();
    assert_eq!(queue.try_get(), Ok(1));
    assert_eq!(queue.try_get(), Err(TryGetError::ShutDown));
}

// ===== shutdown_immediate =====

#[test]
fn shutdown_immediate_takes_the_items_out_so_get_fails_at_once() {
    tether::run(within_10s(async {
        let queue = Queue::unbounded();
        for item in [1, 2, 3] {
            queue.put(item).await.unwrap();
        }
        assert_eq!(queue.shutdown_immediate(), [1, 2, 3]);
        assert!(queue.is_empty() && queue.is_shut_down());
        assert_eq!(queue.get().await, Err(GetError));
        assert_eq!(queue.try_get(), Err(TryGetError::ShutDown));
        assert_eq!(queue.put(4).await, Err(PutError(4)));
    }));
}

#[test]
fn shutdown_immediate_wakes_blocked_getters_and_putters_with_the_error() {
    tether::run(within_10s(async {
        let empty: Rc<Queue<u32>> = Rc::new(Queue::unbounded());
        let getter = tether::spawn({
            let empty = empty.clone();
            async move { empty.get().await }
        });
        let full = Rc::new(Queue::bounded(1));
        full.put(0).await.unwrap();
        let putter = tether::spawn({
            let full = full.clone();
            async move { full.put(1).await }
        });
        tether::yield_now().await;
        assert!(!getter.is_finished() && !putter.is_finished());
        assert!(empty.shutdown_immediate().is_empty());
        assert_eq!(full.shutdown_immediate(), [0]);
        assert_eq!(getter.await.unwrap(), Err(GetError));
        assert_eq!(putter.await.unwrap(), Err(PutError(1)));
    }));
}

#[test]
fn shutdown_immediate_releases_join_when_no_taken_item_is_unfinished() {
    tether::run(within_10s(async {
        let queue = Rc::new(Queue::unbounded());
        for item in 0..3 {
            queue.put(item).await.unwrap();
        }
        let joiners: Vec<_> = (0..2)
            .map(|_| {
                let queue = queue.clone();
                tether::spawn(async move { queue.join().await })
            })
            .collect();
        tether::yield_now().await;
        assert!(joiners.iter().all(|joiner| !joiner.is_finished()));
        // The three queued items count as done.
        assert_eq!(queue.shutdown_immediate().len(), 3);
        for joiner in tether::task::join_all(joiners).await {
            joiner.unwrap();
        }
        // Nothing is left to mark done.
        assert!(queue.task_done().is_err());
    }));
}

#[test]
fn shutdown_immediate_leaves_join_waiting_for_items_taken_before_it() {
    tether::run(within_10s(async {
        let queue = Queue::unbounded();
        for item in ["taken", "queued 1", "queued 2"] {
            queue.put(item).await.unwrap();
        }
        assert_eq!(queue.get().await, Ok("taken")); // still being handled
        let mut join = pin!(queue.join());
        assert!(poll_once(join.as_mut()).await.is_pending());
        assert_eq!(queue.shutdown_immediate(), ["queued 1", "queued 2"]);
        assert!(poll_once(join.as_mut()).await.is_pending());
        queue.task_done().unwrap(); // the taken item is handled
        join.await;
    }));
}

#[test]
fn shutdown_immediate_after_task_done_ran_ahead_of_the_gets_counts_down_to_zero_only() {
    tether::run(within_10s(async {
        let queue = Queue::unbounded();
        queue.put(1).await.unwrap();
        queue.put(2).await.unwrap();
        // task_done counts items put, not items taken: both are done, and
        // both are still queued.
        queue.task_done().unwrap();
        queue.task_done().unwrap();
        assert_eq!(queue.shutdown_immediate(), [1, 2]);
        assert_eq!(poll_once(pin!(queue.join())).await, Poll::Ready(()));
        assert!(queue.task_done().is_err());
    }));
}

#[test]
fn shutdown_immediate_after_shutdown_takes_out_what_is_left() {
    let queue = Queue::unbounded();
    for item in [1, 2, 3] {
        queue.try_put(item).unwrap();
    }
    queue.shutdown();
    assert_eq!(queue.try_get(), Ok(1));
    assert_eq!(queue.shutdown_immediate(), [2, 3]);
    assert_eq!(queue.try_get(), Err(TryGetError::ShutDown));
    assert!(queue.shutdown_immediate().is_empty());
}

/// An item whose destructor looks at the queue it was in.
struct Inspects {
    queue: Rc<Queue<Inspects>>,
    saw_len: Rc<Cell<Option<usize>>>,
}

impl Drop for Inspects {
    fn drop(&mut self) {
        self.saw_len.set(Some(self.queue.len()));
    }
}

#[test]
fn an_item_whose_destructor_uses_the_queue_is_dropped_after_shutdown_immediate_returns() {
    let queue = Rc::new(Queue::unbounded());
    let saw_len = Rc::new(Cell::new(None));
    queue
        .try_put(Inspects {
            queue: queue.clone(),
            saw_len: saw_len.clone(),
        })
        .unwrap_or_else(|_| unreachable!("an unbounded queue takes it"));
    // Dropped by the caller, with the queue free to use: no RefCell panic.
    drop(queue.shutdown_immediate());
    assert_eq!(saw_len.get(), Some(0));
}

// ===== errors =====

/// An item that is not `Debug`.
#[derive(PartialEq)]
struct Opaque(u8);

#[test]
fn the_errors_print_without_the_item_being_debug_and_are_std_errors() {
    let put: Box<dyn std::error::Error> = Box::new(PutError(Opaque(1)));
    assert_eq!(put.to_string(), "the queue is shut down");
    assert_eq!(format!("{put:?}"), "PutError(..)");

    let full = TryPutError::Full(Opaque(2));
    assert_eq!(format!("{full:?}: {full}"), "Full(..): the queue is full");
    let shut = TryPutError::ShutDown(Opaque(3));
    assert_eq!(
        format!("{shut:?}: {shut}"),
        "ShutDown(..): the queue is shut down"
    );
    assert!(shut.is_shut_down() && !shut.is_full());
    assert!(shut.into_inner() == Opaque(3));

    let get: Box<dyn std::error::Error> = Box::new(GetError);
    assert_eq!(get.to_string(), "the queue is shut down and empty");
    assert_eq!(TryGetError::Empty.to_string(), "the queue is empty");
    assert_eq!(
        TryGetError::ShutDown.to_string(),
        "the queue is shut down and empty"
    );
}
