//! One heap allocation per spawned task, counted by a counting global
//! allocator (this file is its own test binary, so the allocator counts only
//! what happens here).
//!
//! Run with `--nocapture` to see the figures:
//! `cargo test --test alloc_per_spawn -- --nocapture`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::{Cell, RefCell};
use std::future::Future;

/// Forwards to the system allocator, counting allocations per thread, so
/// that the test harness's own threads do not blur the count.
struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: every method forwards to `System` with the caller's arguments, so
// `System`'s guarantees are ours; the counting touches no allocator state.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        // SAFETY: the caller's obligations are `System`'s.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations() -> usize {
    ALLOCATIONS.with(Cell::get)
}

const BATCH: usize = 1_000;

/// Runs `round` twice (the first warms up the loop's queues and lists) and
/// returns the allocations per item of the second, printing both.
async fn allocations_per_item<F: Future<Output = ()>>(
    what: &str,
    mut round: impl FnMut() -> F,
) -> f64 {
    let mut per_item = 0.0;
    for n in 0..2 {
        let before = allocations();
        round().await;
        per_item = (allocations() - before) as f64 / BATCH as f64;
        println!("round {n}: {per_item} allocations per {what}");
    }
    per_item
}

#[test]
fn spawning_a_task_allocates_exactly_once() {
    tether::run(async {
        // Reused by both rounds, so that only the warm-up grows it.
        let handles = RefCell::new(Vec::with_capacity(BATCH));
        let per_spawn = allocations_per_item("spawn + await", || async {
            // Taken out for the round and put back, capacity and all.
            let mut batch = std::mem::take(&mut *handles.borrow_mut());
            batch.extend((0..BATCH).map(|i| tether::spawn(async move { i })));
            for (i, handle) in batch.drain(..).enumerate() {
                assert_eq!(handle.await.unwrap(), i);
            }
            *handles.borrow_mut() = batch;
        })
        .await;
        assert_eq!(per_spawn, 1.0);
    });
}

#[test]
fn a_callback_allocates_exactly_once() {
    tether::run(async {
        let per_call = allocations_per_item("call_soon", || {
            for _ in 0..BATCH {
                tether::call_soon(|| {});
            }
            tether::yield_now()
        })
        .await;
        assert_eq!(per_call, 1.0);
    });
}

/// A callback from another thread is no task: a closure of up to two words
/// travels in its slot of the injection queue and costs no allocation of
/// its own, a larger one costs its box, and the queue's buffer grows (by
/// doubling) only while it is smaller than the backlog. Counted on the
/// submitting thread, where the allocations happen.
#[test]
fn a_callback_from_another_thread_allocates_only_past_two_words() {
    let rt = tether::Runtime::new().unwrap();
    let handle = rt.handle();
    let ran = std::sync::Arc::new(std::sync::Mutex::new(0));
    let counted = ran.clone();
    let (empty, small, large) = std::thread::spawn(move || {
        let per_call = |f: &dyn Fn()| {
            let before = allocations();
            (0..BATCH).for_each(|_| f());
            (allocations() - before) as f64 / BATCH as f64
        };
        let empty = per_call(&|| handle.call_soon(|| {}).unwrap());
        let small = per_call(&|| {
            let ran = counted.clone();
            handle.call_soon(move || *ran.lock().unwrap() += 1).unwrap()
        });
        let large = per_call(&|| {
            let (ran, words) = (counted.clone(), [1usize; 2]);
            handle
                .call_soon(move || *ran.lock().unwrap() += words[0] * words[1])
                .unwrap()
        });
        (empty, small, large)
    })
    .join()
    .unwrap();
    rt.block_on(tether::yield_now());
    println!(
        "{empty} allocations per empty callback, {small} per one-word one, {large} per three-word one"
    );
    assert_eq!(*ran.lock().unwrap(), 2 * BATCH);
    assert!(
        empty < 0.1,
        "{empty} allocations per callback that captures nothing"
    );
    assert!(small < 0.1, "{small} allocations per one-word callback");
    assert!(
        (1.0..1.1).contains(&large),
        "{large} allocations per three-word callback"
    );
}
