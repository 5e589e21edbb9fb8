//! Tests of the timer wheel: focused cases here, and in `tests/model.rs` a
//! model-based randomized run against a `BTreeMap` that is obviously right.

mod model;

use super::*;

/// Drains everything due at `now`, as (deadline, value) pairs.
fn drain<T>(wheel: &mut Wheel<T>, now: u64) -> Vec<(u64, T)> {
    std::iter::from_fn(|| wheel.poll(Tick(now)))
        .map(|(deadline, value)| (deadline.0, value))
        .collect()
}

/// Walks every list and checks the invariants written on [`Wheel`], and that
/// each slot's list and the overflow list are in sequence order (the module
/// docs argue they are).
fn assert_invariants<T>(wheel: &Wheel<T>) {
    let mut seen = 0;
    let mut walk = |list: &List, place: Place| -> Vec<(Tick, u64)> {
        let mut orders = Vec::new();
        let mut prev = None;
        let mut cursor = list.head.get();
        while let Some(index) = cursor {
            let entry = &wheel.entries[index];
            assert_eq!(entry.prev.get(), prev, "broken back link");
            assert_eq!(place_of(entry.deadline, wheel.elapsed), place);
            orders.push((entry.deadline, entry.seq));
            prev = Some(index);
            cursor = entry.next.get();
        }
        assert_eq!(list.tail.get(), prev, "tail is not the last entry");
        seen += orders.len();
        orders
    };
    let due = walk(&wheel.due, Place::Due);
    assert!(
        due.iter().all(|&(deadline, _)| deadline == wheel.elapsed),
        "a due entry not at {:?}: {due:?}",
        wheel.elapsed
    );
    assert!(
        due.is_sorted_by_key(|&(_, seq)| seq),
        "due list out of order: {due:?}"
    );
    for (level, slots) in wheel.levels.iter().enumerate() {
        for (slot, list) in slots.slots.iter().enumerate() {
            let orders = walk(list, Place::Slot { level, slot });
            let occupied = slots.occupied & (1 << slot) != 0;
            assert_eq!(occupied, !orders.is_empty(), "occupancy of {level}/{slot}");
            assert!(
                orders.is_sorted_by_key(|&(_, seq)| seq),
                "slot {level}/{slot}"
            );
        }
    }
    let overflow = walk(&wheel.overflow, Place::Overflow);
    assert!(
        overflow
            .iter()
            .all(|&(deadline, _)| wheel.overflow_floor <= deadline)
    );
    assert!(
        overflow.is_sorted_by_key(|&(_, seq)| seq),
        "overflow list out of order: {overflow:?}"
    );
    if overflow.is_empty() {
        assert_eq!(wheel.overflow_floor, Tick(u64::MAX));
    }
    assert_eq!(seen, wheel.entries.len(), "an entry is in no list");
    if let Some((start, _)) = wheel.next_bucket() {
        assert!(start > wheel.elapsed, "a bucket starts at or before now");
    }
}

#[test]
fn equal_deadlines_fire_in_insertion_order() {
    let mut wheel = Wheel::new();
    for name in ["a", "b", "c"] {
        wheel.insert(Tick(10), name);
    }
    assert_eq!(drain(&mut wheel, 10), [(10, "a"), (10, "b"), (10, "c")]);

    // `early` starts on level 2 and cascades through level 1 to level 0;
    // `direct` is inserted into level 0 once `early` is already there.
    let deadline = 70_000; // 17 * 4096 + 5 * 64 + 48
    let place = |wheel: &Wheel<_>| place_of(Tick(deadline), wheel.elapsed);
    wheel.insert(Tick(deadline), "early");
    wheel.insert(Tick(deadline + 1), "after");
    assert_eq!(place(&wheel), Place::Slot { level: 2, slot: 17 });
    assert_eq!(drain(&mut wheel, 17 * 4096), []);
    assert_eq!(place(&wheel), Place::Slot { level: 1, slot: 5 });
    wheel.insert(Tick(deadline), "middle");
    assert_eq!(drain(&mut wheel, deadline - 48), []);
    assert_eq!(place(&wheel), Place::Slot { level: 0, slot: 48 });
    wheel.insert(Tick(deadline), "direct");
    assert_invariants(&wheel);

    // Mid-drain, past-due inserts queue behind the entries already due,
    // with the wheel's now as their deadline.
    assert_eq!(
        wheel.poll(Tick(deadline + 1)),
        Some((Tick(deadline), "early"))
    );
    wheel.insert(Tick(deadline), "late");
    wheel.insert(Tick(deadline - 1), "earlier");
    assert_invariants(&wheel);
    let rest = drain(&mut wheel, deadline + 1);
    let expected = [
        (deadline, "middle"),
        (deadline, "direct"),
        (deadline, "late"),
        (deadline, "earlier"),
        (deadline + 1, "after"),
    ];
    assert_eq!(rest, expected);
}

#[test]
fn never_fires_before_deadline() {
    let mut deadlines = vec![1, 63, 64, 65, 4095, 4096, 4097, 262_143, 262_144];
    for level in 1..=LEVELS {
        let width = 1u64 << (SLOT_BITS * level);
        deadlines.extend([width - 1, width, width + 1, 3 * width - 1]);
    }
    deadlines.sort_unstable();
    deadlines.dedup();
    let mut wheel = Wheel::new();
    for &deadline in &deadlines {
        wheel.insert(Tick(deadline), deadline);
    }
    for &deadline in &deadlines {
        assert_eq!(drain(&mut wheel, deadline - 1), [], "before {deadline}");
        assert_eq!(drain(&mut wheel, deadline), [(deadline, deadline)]);
    }
    assert!(wheel.is_empty());
}

#[test]
fn past_due_inserts_fire_on_next_poll_in_insertion_order() {
    let mut wheel = Wheel::new();
    wheel.insert(Tick(500), "future");
    assert_eq!(drain(&mut wheel, 100), []);
    wheel.insert(Tick(100), "now");
    wheel.insert(Tick(50), "past");
    wheel.insert(Tick(0), "origin");
    // Each counts as due at the wheel's now, 100.
    assert_eq!(wheel.next_deadline(), Some(Tick(100)));
    // A `now` before `elapsed` counts as `elapsed`: time never goes back.
    let fired = drain(&mut wheel, 7);
    assert_eq!(fired, [(100, "now"), (100, "past"), (100, "origin")]);
    assert_eq!(wheel.elapsed(), Tick(100));
    // 500 waits on level 1, in the slot that starts at 7 * 64.
    assert_eq!(wheel.next_deadline(), Some(Tick(448)));
}

#[test]
fn cancel_after_fire_returns_none() {
    let mut wheel = Wheel::new();
    let fired = wheel.insert(Tick(5), 1);
    assert_eq!(drain(&mut wheel, 5), [(5, 1)]);
    assert_eq!(wheel.cancel(fired), None);
    assert_eq!(wheel.get_mut(fired), None);

    let twice = wheel.insert(Tick(9), 2);
    assert_eq!(wheel.cancel(twice), Some(2));
    assert_eq!(wheel.cancel(twice), None);

    // `newer` reuses the slab slot of `twice`; the old key must miss it.
    let newer = wheel.insert(Tick(9), 3);
    assert_eq!(newer.index, twice.index);
    assert_eq!(wheel.cancel(twice), None);
    assert_eq!(wheel.cancel(fired), None);
    assert_eq!(wheel.get_mut(twice), None);
    *wheel.get_mut(newer).unwrap() = 4;
    assert_eq!(drain(&mut wheel, 9), [(9, 4)]);
}

#[test]
fn cancelled_entry_memory_is_reclaimed() {
    let mut wheel = Wheel::new();
    assert_eq!(drain(&mut wheel, 1000), []);
    let mut keys = Vec::new();
    for i in 0..64u64 {
        // Past due, every level, and the overflow list.
        for deadline in [
            i * 10,
            1000 + i,
            1000 + (i << 12),
            1000 + (i << 30),
            i << 40,
        ] {
            keys.push(wheel.insert(Tick(deadline), i));
        }
    }
    assert_invariants(&wheel);
    for key in keys {
        assert!(wheel.cancel(key).is_some());
    }
    assert_invariants(&wheel);
    assert_eq!(wheel.entries.len(), 0);
    assert!(wheel.levels.iter().all(|level| level.occupied == 0));
    assert!(wheel.is_empty());
    assert_eq!(wheel.next_deadline(), None);
    assert_eq!(wheel.poll(Tick(u64::MAX)), None);
}

#[test]
fn huge_deadlines_do_not_overflow() {
    let mut wheel = Wheel::new();
    let deadlines = [
        u64::MAX,
        u64::MAX - 1,
        1 << 63,
        (1 << 36) - 1,
        1 << 36,
        u64::MAX - 64,
    ];
    for deadline in deadlines {
        wheel.insert(Tick(deadline), deadline);
    }
    assert!(wheel.next_deadline().unwrap() <= Tick((1 << 36) - 1));
    assert_eq!(
        drain(&mut wheel, (1 << 36) - 1),
        [((1 << 36) - 1, (1 << 36) - 1)]
    );
    assert_eq!(drain(&mut wheel, u64::MAX - 2).len(), 3);
    assert_invariants(&wheel);
    assert_eq!(drain(&mut wheel, u64::MAX - 2), []);
    let last = [(u64::MAX - 1, u64::MAX - 1), (u64::MAX, u64::MAX)];
    assert_eq!(drain(&mut wheel, u64::MAX), last);
    assert_eq!(wheel.elapsed(), Tick(u64::MAX));

    // At the end of time every deadline is past due, and still fires.
    wheel.insert(Tick(u64::MAX), 1);
    wheel.insert(Tick(3), 2);
    assert_eq!(drain(&mut wheel, 0), [(u64::MAX, 1), (u64::MAX, 2)]);
}

#[test]
fn large_jump_is_fast() {
    let mut wheel = Wheel::new();
    let deadline = 1_000_000_000_000 - 1;
    wheel.insert(Tick(deadline), ());
    // Stepping from bucket to bucket: the overflow list, then at most one
    // slot per level. Tick by tick would be 10^12 steps.
    let mut steps = 0;
    while let Some(next) = wheel.next_deadline() {
        assert!(next <= Tick(deadline));
        steps += 1;
        drain(&mut wheel, next.0);
    }
    assert!(steps <= LEVELS + 1, "{steps} steps");
    assert_eq!(wheel.elapsed(), Tick(deadline));

    wheel.insert(Tick(deadline + 1), ());
    assert_eq!(drain(&mut wheel, 1_000_000_000_000), [(deadline + 1, ())]);
    assert_eq!(wheel.elapsed(), Tick(1_000_000_000_000));
}

#[test]
fn next_deadline_lower_bound_and_progress() {
    let mut wheel = Wheel::new();
    let deadlines = [
        3,
        64,
        100,
        5000,
        5001,
        300_000,
        1 << 36,
        (1 << 40) + 7,
        u64::MAX,
    ];
    for deadline in deadlines {
        wheel.insert(Tick(deadline), deadline);
    }
    let mut pending: Vec<u64> = deadlines.to_vec();
    while let Some(next) = wheel.next_deadline() {
        let earliest = pending[0];
        assert!(next <= Tick(earliest), "{next:?} after {earliest}");
        if earliest >> 6 == wheel.elapsed().0 >> 6 {
            assert_eq!(next, Tick(earliest), "level 0 reports the deadline itself");
        }
        let fired = drain(&mut wheel, next.0);
        // Progress: something fired, or the next deadline moved on.
        assert!(!fired.is_empty() || wheel.next_deadline().is_none_or(|after| after > next));
        for (deadline, _) in fired {
            assert_eq!(pending.remove(0), deadline);
        }
    }
    assert!(pending.is_empty());
}

#[test]
fn debug_needs_no_debug_values() {
    struct Opaque;
    let mut wheel = Wheel::default();
    wheel.insert(Tick(7), Opaque);
    let text = format!("{wheel:?}");
    assert!(text.contains("len: 1"), "{text}");
}

#[test]
fn an_entry_with_a_timer_is_48_bytes() {
    // The `Link` doc's figure: a timer's value (an exact deadline and a
    // waker) and the entry's deadline, sequence number and two links.
    assert_eq!(size_of::<Link>(), 4);
    assert_eq!(size_of::<Entry<(i64, std::task::Waker)>>(), 48);
}

#[test]
fn a_key_names_nothing_in_another_wheel_of_its_thread() {
    // Two wheels of one thread, each with its first entry at slab index 0:
    // the keys differ in their sequence numbers, which the thread counts
    // for all its wheels, so neither wheel answers to the other's key.
    let mut a = Wheel::default();
    let mut b = Wheel::default();
    let in_a = a.insert(Tick(5), 'a');
    let in_b = b.insert(Tick(5), 'b');
    assert_ne!(in_a, in_b);
    assert!(b.get_mut(in_a).is_none());
    assert!(b.cancel(in_a).is_none());
    assert!(a.cancel(in_b).is_none());
    assert_eq!((a.len(), b.len()), (1, 1));
    assert_eq!(drain(&mut b, 5), [(5, 'b')]);
    assert_eq!(drain(&mut a, 5), [(5, 'a')]);
}
