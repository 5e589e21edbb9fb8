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
//! joining, leaving from the middle and notifying are all O(1).

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
    /// It was notified, and has now left for good.
    Notified,
}

/// One waiter.
#[derive(Debug)]
struct Waiter {
    /// Woken when the waiter is notified.
    waker: Waker,
    /// Set by `notify_one` / `notify_all`; the waiter is then out of the line.
    notified: bool,
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
}

impl WaitList {
    /// Joins the back of the line.
    pub(crate) fn push_back(&mut self, waker: &Waker) -> WaiterKey {
        let key = self.waiters.insert(Waiter {
            waker: waker.clone(),
            notified: false,
            prev: self.tail,
            next: None,
        });
        match self.tail {
            Some(tail) => self.waiters[tail].next = Some(key),
            None => self.head = Some(key),
        }
        self.tail = Some(key);
        key
    }

    /// Joins the front of the line: for a waiter that was notified but found
    /// that another task took what it was notified for, so that it keeps its
    /// turn.
    pub(crate) fn push_front(&mut self, waker: &Waker) -> WaiterKey {
        let key = self.waiters.insert(Waiter {
            waker: waker.clone(),
            notified: false,
            prev: None,
            next: self.head,
        });
        match self.head {
            Some(head) => self.waiters[head].prev = Some(key),
            None => self.tail = Some(key),
        }
        self.head = Some(key);
        key
    }

    /// The first thing a waiter's `poll` does: see where it stands. A
    /// notified waiter is removed (`key` becomes `None`); one still waiting
    /// gets its waker updated.
    pub(crate) fn turn(&mut self, key: &mut Option<WaiterKey>, waker: &Waker) -> Turn {
        match *key {
            None => Turn::NotInLine,
            Some(k) if self.waiters[k].notified => {
                self.waiters.remove(k);
                *key = None;
                Turn::Notified
            }
            Some(k) => {
                self.update_waker(k, waker);
                Turn::Waiting
            }
        }
    }

    /// Joins the line again after [`turn`](Self::turn): at the front for a
    /// waiter that was notified but found that another task took what it
    /// was notified for (so that it keeps its turn), at the back otherwise.
    pub(crate) fn rejoin(&mut self, turn: Turn, waker: &Waker) -> WaiterKey {
        if turn == Turn::Notified {
            self.push_front(waker)
        } else {
            self.push_back(waker)
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
            Turn::Notified => Poll::Ready(()),
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
        if !waiter.notified {
            self.unlink(waiter.prev, waiter.next);
        }
        waiter.notified
    }

    /// Notifies the waiter at the front of the line, if there is one.
    pub(crate) fn notify_one(&mut self) -> bool {
        let Some(key) = self.head else { return false };
        let waiter = &mut self.waiters[key];
        waiter.notified = true;
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
        let d = list.push_front(waker);
        for expected in [d, a, c] {
            assert!(list.notify_one());
            assert!(list.is_notified(expected));
        }
        assert!(list.is_empty());
        for key in [d, a, c] {
            assert!(list.remove(key));
        }
        // The slab's slots are reused without confusing the line.
        let e = list.push_back(waker);
        list.notify_all();
        assert!(list.is_notified(e));
    }
}
