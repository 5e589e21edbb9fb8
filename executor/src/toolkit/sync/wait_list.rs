//! `WaitList`: the line of tasks waiting on a loop-local primitive.
//!
//! Every primitive in [`sync`](crate::sync) that can make a task wait keeps
//! its waiters here, in arrival order. A waiter is a future holding a
//! [`WaiterKey`]. The primitive *notifies* waiters from the front: a
//! notified waiter leaves the line at once (so the next notification goes
//! to the one behind it) and is woken; when it is next polled it sees that
//! it was notified and takes what it was waiting for.
//!
//! Cancellation is what makes this more than a `VecDeque<Waker>`: a waiter
//! future can be dropped at any moment, in the line or after being
//! notified. [`WaitList::remove`] takes it out in O(1) and says whether it
//! had been notified, so that the primitive can pass the notification on to
//! the next waiter: a cancelled waiter never swallows a wakeup that another
//! task needed.
//!
//! The line is a doubly linked list threaded through a `Slab`, so that
//! joining at the back, leaving from the middle and notifying are all
//! O(1). Each waiter carries its arrival number, which it keeps when,
//! notified but too late, it joins the line again: it goes back in arrival
//! order, ahead of every later arrival, behind any earlier one that is
//! back too, after a walk past those alone. For the same reason a waiter
//! notified too late does not take what comes next from an earlier one
//! that was notified for it and has not run yet ([`WaitList::may_take`]).

use std::task::{Poll, Waker};

use slab::Slab;

/// A waiter's place in a [`WaitList`], from [`WaitList::push_back`] until
/// [`WaitList::remove`].
pub(crate) type WaiterKey = usize;

/// Where a waiter stands, as [`WaitList::turn`] finds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Turn {
    /// Not in the line: the waiter has not joined it yet.
    NotInLine,
    /// In the line, not notified yet.
    Waiting,
    /// It was notified, and has now left; if it joins the line again
    /// ([`WaitList::rejoin`]), it takes its place by this arrival number.
    Notified(u64),
}

/// One waiter.
#[derive(Debug)]
struct Waiter {
    /// Woken when the waiter is notified.
    waker: Waker,
    /// Set by `notify_one` / `notify_all`; the waiter is then out of the line.
    notified: bool,
    /// Its place in the order of arrival; the line is in this order.
    arrival: u64,
    /// The waiter ahead of this one in the line (`None` at the front).
    prev: Option<WaiterKey>,
    /// The waiter behind this one (`None` at the back).
    next: Option<WaiterKey>,
}

/// The waiters of one primitive, first come, first notified.
#[derive(Debug, Default)]
pub(crate) struct WaitList {
    /// Every waiter not yet removed, in the line or notified.
    waiters: Slab<Waiter>,
    /// The front of the line: the next to be notified.
    head: Option<WaiterKey>,
    /// The back of the line.
    tail: Option<WaiterKey>,
    /// The arrival number of the next waiter to join at the back.
    arrivals: u64,
    /// Waiters notified that have not yet seen it (`turn`) nor left
    /// (`remove`): each is owed one of what it waits for.
    notified: usize,
}

impl WaitList {
    /// Joins the back of the line, a new arrival.
    pub(crate) fn push_back(&mut self, waker: &Waker) -> WaiterKey {
        let arrival = self.arrivals;
        self.arrivals += 1;
        self.insert_before(None, arrival, waker)
    }

    /// Joins the line in arrival order, as `arrival`: for a waiter that was
    /// notified but found that another task took what it was notified for,
    /// so that it keeps its turn. Only such waiters can be ahead of it, so
    /// the walk from the front is short.
    fn push_by_arrival(&mut self, arrival: u64, waker: &Waker) -> WaiterKey {
        let mut behind = self.head;
        while let Some(key) = behind {
            if self.waiters[key].arrival > arrival {
                break;
            }
            behind = self.waiters[key].next;
        }
        self.insert_before(behind, arrival, waker)
    }

    /// Links a new waiter into the line just ahead of `behind`, or at the
    /// back if `None`.
    fn insert_before(
        &mut self,
        behind: Option<WaiterKey>,
        arrival: u64,
        waker: &Waker,
    ) -> WaiterKey {
        let ahead = match behind {
            Some(behind) => self.waiters[behind].prev,
            None => self.tail,
        };
        let key = self.waiters.insert(Waiter {
            waker: waker.clone(),
            notified: false,
            arrival,
            prev: ahead,
            next: behind,
        });
        match ahead {
            Some(ahead) => self.waiters[ahead].next = Some(key),
            None => self.head = Some(key),
        }
        match behind {
            Some(behind) => self.waiters[behind].prev = Some(key),
            None => self.tail = Some(key),
        }
        key
    }

    /// The first thing a waiter's `poll` does: see where it stands. A
    /// notified waiter is removed (`key` becomes `None`); one still waiting
    /// gets its waker updated.
    pub(crate) fn turn(&mut self, key: &mut Option<WaiterKey>, waker: &Waker) -> Turn {
        match *key {
            None => Turn::NotInLine,
            Some(k) if self.waiters[k].notified => {
                let waiter = self.waiters.remove(k);
                self.notified -= 1;
                *key = None;
                Turn::Notified(waiter.arrival)
            }
            Some(k) => {
                self.update_waker(k, waker);
                Turn::Waiting
            }
        }
    }

    /// Joins the line again after [`turn`](Self::turn): in its arrival
    /// order for a waiter that was notified but found that another task
    /// took what it was notified for (so that it keeps its turn, behind no
    /// later arrival), at the back otherwise.
    pub(crate) fn rejoin(&mut self, turn: Turn, waker: &Waker) -> WaiterKey {
        match turn {
            Turn::Notified(arrival) => self.push_by_arrival(arrival, waker),
            Turn::Waiting | Turn::NotInLine => self.push_back(waker),
        }
    }

    /// The whole `poll` of a waiter for a condition that, once met, lets
    /// every waiter go ([`notify_all`](Self::notify_all)): an `Event` being
    /// set, a `Queue` with nothing unfinished. A waiter that was notified
    /// goes on even if the condition no longer holds when it runs, as in
    /// asyncio; one not in line yet goes on if `met`, and joins it if not.
    pub(crate) fn poll_all_notified(
        &mut self,
        key: &mut Option<WaiterKey>,
        waker: &Waker,
        met: bool,
    ) -> Poll<()> {
        match self.turn(key, waker) {
            Turn::Notified(_) => Poll::Ready(()),
            Turn::Waiting => Poll::Pending,
            Turn::NotInLine if met => Poll::Ready(()),
            Turn::NotInLine => {
                *key = Some(self.push_back(waker));
                Poll::Pending
            }
        }
    }

    /// Whether the waiter was notified.
    #[cfg(test)]
    fn is_notified(&self, key: WaiterKey) -> bool {
        self.waiters[key].notified
    }

    /// Keeps the waiter's waker current: a future may be polled by another
    /// task than the one that started it.
    fn update_waker(&mut self, key: WaiterKey, waker: &Waker) {
        let waiter = &mut self.waiters[key];
        if !waiter.waker.will_wake(waker) {
            waiter.waker = waker.clone();
        }
    }

    /// Takes the waiter out, from the line or after its notification, and
    /// says whether it had been notified.
    pub(crate) fn remove(&mut self, key: WaiterKey) -> bool {
        let waiter = self.waiters.remove(key);
        if waiter.notified {
            self.notified -= 1;
        } else {
            self.unlink(waiter.prev, waiter.next);
        }
        waiter.notified
    }

    /// Whether a waiter whose [`turn`](Self::turn) this is may take one of
    /// `available` things it waits for (items, room) now, or must join the
    /// line ([`rejoin`](Self::rejoin)). One not in line may if nobody is in
    /// it. One notified may unless the things are all owed to waiters
    /// notified before it that have not run yet: when another task took
    /// what some were notified for, the earlier arrivals among them are
    /// served first, as the line would have served them.
    pub(crate) fn may_take(&self, turn: Turn, available: usize) -> bool {
        match turn {
            Turn::Waiting => false,
            Turn::NotInLine => self.is_empty() && available > 0,
            Turn::Notified(_) if available == 0 => false,
            // Fast: enough for every waiter notified and not yet run. Else
            // count those that came before this one, up to `available` (a
            // walk of the waiters, only when another task took what some
            // were notified for).
            Turn::Notified(arrival) => {
                available > self.notified
                    || self
                        .waiters
                        .iter()
                        .filter(|(_, w)| w.notified && w.arrival < arrival)
                        .take(available)
                        .count()
                        < available
            }
        }
    }

    /// Notifies the waiter at the front of the line, if there is one.
    pub(crate) fn notify_one(&mut self) -> bool {
        let Some(key) = self.head else { return false };
        let waiter = &mut self.waiters[key];
        waiter.notified = true;
        self.notified += 1;
        waiter.waker.wake_by_ref();
        let next = waiter.next;
        self.unlink(None, next);
        true
    }

    /// Notifies every waiter in the line.
    pub(crate) fn notify_all(&mut self) {
        while self.notify_one() {}
    }

    /// Whether nobody is in the line (notified waiters are not).
    pub(crate) fn is_empty(&self) -> bool {
        self.head.is_none()
    }

    /// Joins `prev` and `next`, the neighbours of a waiter leaving the line.
    fn unlink(&mut self, prev: Option<WaiterKey>, next: Option<WaiterKey>) {
        match prev {
            Some(prev) => self.waiters[prev].next = next,
            None => self.head = next,
        }
        match next {
            Some(next) => self.waiters[next].prev = prev,
            None => self.tail = prev,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waiters_are_notified_in_arrival_order() {
        let mut list = WaitList::default();
        let waker = Waker::noop();
        let a = list.push_back(waker);
        let b = list.push_back(waker);
        let c = list.push_back(waker);
        assert!(list.notify_one());
        assert!(list.is_notified(a) && !list.is_notified(b));
        assert!(list.notify_one());
        assert!(list.is_notified(b) && !list.is_notified(c));
        assert!(list.remove(a) && list.remove(b));
        assert!(!list.is_empty());
        assert!(!list.remove(c));
        assert!(list.is_empty() && !list.notify_one());
    }

    #[test]
    fn a_waiter_leaving_the_middle_keeps_the_line_whole() {
        let mut list = WaitList::default();
        let waker = Waker::noop();
        let a = list.push_back(waker);
        let b = list.push_back(waker);
        let c = list.push_back(waker);
        assert!(!list.remove(b));
        // A waiter notified too late comes back by its arrival number (here
        // `b`'s), ahead of later arrivals.
        let d = list.push_by_arrival(1, waker);
        for expected in [a, d, c] {
            assert!(list.notify_one());
            assert!(list.is_notified(expected));
        }
        assert!(list.is_empty());
        for key in [a, d, c] {
            assert!(list.remove(key));
        }
        // The slab's slots are reused without confusing the line.
        let e = list.push_back(waker);
        list.notify_all();
        assert!(list.is_notified(e));
    }

    #[test]
    fn what_is_left_goes_to_the_earliest_of_the_waiters_notified() {
        let mut list = WaitList::default();
        let waker = Waker::noop();
        let (mut a, mut b) = (Some(list.push_back(waker)), Some(list.push_back(waker)));
        list.notify_one();
        list.notify_one();
        // Another task took both things: `a` runs first, finds nothing,
        // and joins the line again.
        let turn_a = list.turn(&mut a, waker);
        assert!(!list.may_take(turn_a, 0));
        let mut a = Some(list.rejoin(turn_a, waker));
        // One thing comes, and `a` is told; `b` runs first: it is `a`'s.
        list.notify_one();
        let turn_b = list.turn(&mut b, waker);
        assert!(!list.may_take(turn_b, 1));
        // With two, one would be `b`'s.
        assert!(list.may_take(turn_b, 2));
        let turn_a = list.turn(&mut a, waker);
        assert!(list.may_take(turn_a, 1));
        // Not in line yet: it may take only when nobody is in the line.
        assert!(list.may_take(Turn::NotInLine, 1));
        let c = list.push_back(waker);
        assert!(!list.may_take(Turn::NotInLine, 1));
        assert!(!list.remove(c));
        assert!(!list.may_take(Turn::NotInLine, 0));
    }

    #[test]
    fn waiters_notified_too_late_come_back_in_arrival_order() {
        let mut list = WaitList::default();
        let waker = Waker::noop();
        let (mut a, mut b) = (Some(list.push_back(waker)), Some(list.push_back(waker)));
        let c = list.push_back(waker);
        list.notify_one();
        list.notify_one();
        // Both find that another task took what they were woken for, the
        // first to run coming back first: they return ahead of `c`, `a`
        // still ahead of `b`.
        let turn_a = list.turn(&mut a, waker);
        let a = list.rejoin(turn_a, waker);
        let turn_b = list.turn(&mut b, waker);
        let b = list.rejoin(turn_b, waker);
        for expected in [a, b, c] {
            assert!(list.notify_one());
            assert!(list.is_notified(expected));
        }
        // And in the other order of running, the same line.
        let mut list = WaitList::default();
        let (mut a, mut b) = (Some(list.push_back(waker)), Some(list.push_back(waker)));
        list.notify_one();
        list.notify_one();
        let turn_b = list.turn(&mut b, waker);
        let b = list.rejoin(turn_b, waker);
        let turn_a = list.turn(&mut a, waker);
        let a = list.rejoin(turn_a, waker);
        for expected in [a, b] {
            assert!(list.notify_one());
            assert!(list.is_notified(expected));
        }
    }
}
