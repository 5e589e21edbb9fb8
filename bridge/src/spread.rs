//! How a pool's connections spread over its loops: a live-connection count
//! per loop, a cap on each, and the acceptors that wait when every loop is
//! at its cap.
//!
//! A pool of loops (`tether::LoopPool`) serves a listening socket in one of
//! two ways. With a listener per loop (`SO_REUSEPORT`), each loop accepts
//! its own connections. With one acceptor, a task on one loop accepts
//! every connection and hands it to the loop with the fewest live ones
//! (Seastar's rule), where it is served and, when it closes, counted out.
//! Either way the counts live here, one per loop, and any thread reads
//! them: the acceptors to choose, the pool to report each loop's load.
//!
//! # The state
//!
//! ```text
//!  counts: [AtomicUsize; loops]   live connections of each loop, 0..=cap
//!  cursor: AtomicUsize            where the next scan starts (a hint)
//!  waiters: Mutex<Vec<Waker>>     acceptors paused because every loop
//!                                 they may use is at its cap
//! ```
//!
//! A [`Claim`] is one counted connection: made by a claim that raised a
//! count, it lowers that count once, when dropped (on the loop that served
//! the connection, when the connection ends).
//!
//! An acceptor waits twice per connection: for room, before its `accept`
//! ([`Spread::poll_room`], which raises nothing, so that at the cap new
//! clients stay in the listener's backlog), and for the claim after it
//! ([`Spread::poll_claim`]). Both pause the same way, by the rules below
//! (one function, `poll_scan`); "scans" in them is a scan for room or for
//! a claim.
//!
//! # The rules
//!
//! 1. **A count rises only below the cap, by a compare-exchange** from the
//!    value the claimer read. Two acceptors that read the same count
//!    cannot both raise it past the cap: one compare-exchange fails, and
//!    that acceptor reads again.
//! 2. **A count falls only by its claim's drop**, a `fetch_sub`, exactly
//!    once per claim.
//! 3. **A paused acceptor registers its waker, then scans again**, both
//!    after taking the `waiters` lock; it stays paused only if the second
//!    scan also finds every loop at its cap.
//! 4. **A drop that takes a count down from the cap wakes every
//!    registered waker**, after its `fetch_sub` and under the same lock
//!    (the wakes themselves run after the unlock).
//!
//! # Why no paused acceptor sleeps through a free slot
//!
//! An acceptor pauses only when its second scan (rule 3) saw every loop at
//! the cap. A slot frees by a drop that takes some count from the cap
//! (rule 4). The drop's lock and the acceptor's registration lock are
//! ordered one way or the other:
//!
//! 1. The acceptor locked first. Its waker is in the list when the drop
//!    locks, and the drop wakes it.
//! 2. The drop locked first. Its `fetch_sub` comes before its unlock,
//!    which comes before the acceptor's lock and so before the second
//!    scan: the scan sees the lower count, and the acceptor claims it
//!    instead of pausing.
//!
//! The mutex orders the two, so the counts themselves need no ordering
//! but their atomicity: they are `Relaxed`. A drop that leaves a count
//! below the cap takes no lock: an acceptor cannot be waiting for that
//! loop, since it was not full.
//!
//! # Choosing a loop
//!
//! A claim scans every loop the caller's `weigh` function allows (it
//! returns `None` for a loop to skip, a closed one, and otherwise a weight
//! added to the count: the pool adds the loop's queued work), and takes the
//! lowest count plus weight among those below the cap. The scan starts
//! where the last claim's loop was, plus one, so that loops that tie take
//! turns: short connections that end before the next one arrives leave
//! every count at zero, and a scan from loop 0 each time would send them
//! all to loop 0. The cursor is a hint: a stale one only changes which of
//! the tied loops goes first.
//!
//! # The loom model
//!
//! `loom-tests/tests/spread.rs` checks that the cap holds with claimers
//! racing, and that a paused acceptor is woken when a connection ends. Its
//! seeded bugs: `spread_check_then_add` (a claim that reads the count,
//! then adds to it, instead of the compare-exchange of rule 1) and
//! `spread_no_rescan` (an acceptor that pauses without the second scan of
//! rule 3).
//!
//! # Examples
//!
//! A loop's count, taken by an acceptor and given back by the loop that
//! served the connection:
//!
//! ```
//! use std::sync::Arc;
//! use tether_bridge::spread::Spread;
//!
//! let spread = Arc::new(Spread::new(4, 100));
//! // Loop 2 only (a listener of its own, say).
//! let claim = Spread::try_claim(&spread, |index| (index == 2).then_some(0)).unwrap();
//! assert_eq!((claim.index(), spread.count(2)), (2, 1));
//! let serving_loop = std::thread::spawn(move || drop(claim));
//! serving_loop.join().unwrap();
//! assert_eq!(spread.total(), 0);
//! ```

use std::fmt;
use std::task::{Context, Poll, Waker};

use crate::sync::Ordering::Relaxed;
use crate::sync::{Arc, AtomicUsize, Mutex, lock};

/// Per-loop live-connection counts with a cap, shared by a pool's
/// acceptors and loops; see the [module docs](self).
///
/// # Examples
///
/// Two loops, at most two connections each: claims go to the loop with
/// the fewest, and a dropped claim makes room again.
///
/// ```
/// use std::sync::Arc;
/// use tether_bridge::Spread;
///
/// let spread = Arc::new(Spread::new(2, 2));
/// assert_eq!((spread.loops(), spread.cap()), (2, 2));
/// let even = |_: usize| Some(0); // every loop open, no extra weight
/// let a = Spread::try_claim(&spread, even).unwrap();
/// let b = Spread::try_claim(&spread, even).unwrap();
/// assert_ne!(a.index(), b.index()); // one each
/// let c = Spread::try_claim(&spread, even).unwrap();
/// let d = Spread::try_claim(&spread, even).unwrap();
/// assert_eq!((spread.count(0), spread.count(1)), (2, 2));
/// assert!(Spread::try_claim(&spread, even).is_none()); // both at the cap
///
/// let freed = c.index();
/// drop(c); // the connection ended
/// let e = Spread::try_claim(&spread, even).unwrap();
/// assert_eq!(e.index(), freed);
/// assert_eq!(spread.total(), 4);
/// # drop((a, b, d, e));
/// ```
pub struct Spread {
    /// Live connections of each loop; never above `cap` (rule 1).
    counts: Box<[AtomicUsize]>,
    /// The most connections a loop may hold.
    cap: usize,
    /// Where the next scan starts: one past the loop chosen last.
    cursor: AtomicUsize,
    /// Acceptors paused because every loop they may use is full.
    waiters: Mutex<Vec<Waker>>,
}

/// One live connection, counted on the loop [`index`](Claim::index); its
/// drop counts it out.
///
/// Made by [`Spread::try_claim`] and [`Spread::poll_claim`]. It is
/// `Send`: it moves to the loop that serves the connection, and is dropped
/// there when the connection ends.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use tether_bridge::{Claim, Spread};
///
/// let spread = Arc::new(Spread::new(2, 8));
/// let claim: Claim = Spread::try_claim(&spread, |_| Some(0)).unwrap();
/// let index = claim.index();
/// assert_eq!(spread.count(index), 1);
/// // The loop that serves the connection drops it when it ends.
/// std::thread::spawn(move || drop(claim)).join().unwrap();
/// assert_eq!(spread.count(index), 0);
/// ```
pub struct Claim {
    /// The counts it was taken from.
    spread: Arc<Spread>,
    /// The loop whose count it raised.
    index: usize,
}

impl Spread {
    /// Counts for `loops` loops, each at zero, capped at `cap` live
    /// connections each (a cap of 0 counts as 1). Shown in
    /// [`Spread`'s example](Spread#examples).
    pub fn new(loops: usize, cap: usize) -> Self {
        Self {
            counts: (0..loops).map(|_| AtomicUsize::new(0)).collect(),
            cap: cap.max(1),
            cursor: AtomicUsize::new(0),
            waiters: Mutex::new(Vec::new()),
        }
    }

    /// How many loops it counts for. Shown in
    /// [`Spread`'s example](Spread#examples).
    pub fn loops(&self) -> usize {
        self.counts.len()
    }

    /// The most live connections a loop may hold. Shown in
    /// [`Spread`'s example](Spread#examples).
    pub fn cap(&self) -> usize {
        self.cap
    }

    /// Live connections of loop `index`, as of now. Any thread. Shown in
    /// [`Spread`'s example](Spread#examples).
    ///
    /// # Panics
    ///
    /// If `index` is not below [`loops`](Spread::loops).
    pub fn count(&self, index: usize) -> usize {
        self.counts[index].load(Relaxed)
    }

    /// Live connections of every loop together, as of now (read one count
    /// at a time). Shown in [`Spread`'s example](Spread#examples).
    pub fn total(&self) -> usize {
        self.counts.iter().map(|count| count.load(Relaxed)).sum()
    }

    /// Counts a connection on the loop with the lowest count plus weight
    /// among those below the cap that `weigh` allows (it returns `None`
    /// for a loop to skip); `None` if every such loop is at the cap. See
    /// [`Spread`'s example](Spread#examples).
    pub fn try_claim(this: &Arc<Self>, weigh: impl Fn(usize) -> Option<u64>) -> Option<Claim> {
        this.claim_scan(&weigh).map(|index| Claim {
            spread: this.clone(),
            index,
        })
    }

    /// [`try_claim`](Spread::try_claim), or, when every loop `weigh`
    /// allows is at the cap, `Pending` until a connection on one of them
    /// ends and wakes `cx`'s waker (rules 3 and 4 of the module docs).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::task::{Context, Poll, Wake, Waker};
    /// use tether_bridge::Spread;
    ///
    /// struct Flag(std::sync::atomic::AtomicBool);
    /// impl Wake for Flag {
    ///     fn wake(self: Arc<Self>) {
    ///         self.0.store(true, std::sync::atomic::Ordering::SeqCst);
    ///     }
    /// }
    /// let flag = Arc::new(Flag(false.into()));
    /// let waker = Waker::from(flag.clone());
    /// let mut cx = Context::from_waker(&waker);
    ///
    /// let spread = Arc::new(Spread::new(1, 1));
    /// let only = |_: usize| Some(0);
    /// let Poll::Ready(held) = Spread::poll_claim(&spread, &mut cx, only) else { panic!() };
    /// // Full: the acceptor pauses.
    /// assert!(Spread::poll_claim(&spread, &mut cx, only).is_pending());
    /// drop(held); // the connection ends, from the cap: the acceptor is woken
    /// assert!(flag.0.load(std::sync::atomic::Ordering::SeqCst));
    /// assert!(Spread::poll_claim(&spread, &mut cx, only).is_ready());
    /// ```
    pub fn poll_claim(
        this: &Arc<Self>,
        cx: &mut Context<'_>,
        weigh: impl Fn(usize) -> Option<u64>,
    ) -> Poll<Claim> {
        this.poll_scan(cx, || this.claim_scan(&weigh))
            .map(|index| Claim {
                spread: this.clone(),
                index,
            })
    }

    /// `Ready` once some loop `weigh` allows is below the cap, without
    /// counting anything there: what an acceptor waits for before its
    /// `accept`, so that at the cap new connections stay in the
    /// listener's backlog. `Pending` until a connection on one of them
    /// ends, as [`poll_claim`](Spread::poll_claim) (the same rules).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::task::{Context, Poll, Waker};
    /// use tether_bridge::Spread;
    ///
    /// let mut cx = Context::from_waker(Waker::noop());
    /// let spread = Arc::new(Spread::new(1, 1));
    /// let only = |_: usize| Some(0);
    /// assert!(Spread::poll_room(&spread, &mut cx, only).is_ready());
    /// assert_eq!(spread.count(0), 0); // nothing taken
    /// let Poll::Ready(held) = Spread::poll_claim(&spread, &mut cx, only) else { panic!() };
    /// assert!(Spread::poll_room(&spread, &mut cx, only).is_pending());
    /// drop(held);
    /// assert!(Spread::poll_room(&spread, &mut cx, only).is_ready());
    /// ```
    pub fn poll_room(
        this: &Arc<Self>,
        cx: &mut Context<'_>,
        weigh: impl Fn(usize) -> Option<u64>,
    ) -> Poll<()> {
        this.poll_scan(cx, || this.has_room(&weigh).then_some(()))
    }

    /// `scan`, or, when it finds nothing, `Pending` with `cx`'s waker
    /// registered for the next drop from the cap: the pause of
    /// `poll_claim` and `poll_room` (rules 3 and 4 of the module docs).
    fn poll_scan<T>(&self, cx: &mut Context<'_>, scan: impl Fn() -> Option<T>) -> Poll<T> {
        if let Some(found) = scan() {
            return Poll::Ready(found);
        }
        // Rule 3: register, then scan again, both under the lock a drop
        // from the cap takes (rule 4).
        let mut waiters = lock(&self.waiters);
        if !waiters.iter().any(|waiter| waiter.will_wake(cx.waker())) {
            waiters.push(cx.waker().clone());
        }
        // MUTANT: pause on the first scan alone.
        if cfg!(tether_mutant = "spread_no_rescan") {
            return Poll::Pending;
        }
        let found = scan();
        drop(waiters);
        match found {
            Some(found) => Poll::Ready(found),
            None => Poll::Pending,
        }
    }

    /// Whether some loop `weigh` allows is below the cap.
    fn has_room(&self, weigh: &dyn Fn(usize) -> Option<u64>) -> bool {
        (0..self.counts.len())
            .any(|index| weigh(index).is_some() && self.counts[index].load(Relaxed) < self.cap)
    }

    /// Raises the count of the best loop below the cap, and returns it.
    fn claim_scan(&self, weigh: &dyn Fn(usize) -> Option<u64>) -> Option<usize> {
        let loops = self.counts.len();
        let start = self.cursor.load(Relaxed);
        loop {
            // The loop with the lowest count plus weight, among those below
            // the cap; ties go to the first from the cursor.
            let mut best: Option<(u64, usize, usize)> = None;
            for step in 0..loops {
                let index = (start + step) % loops;
                let Some(weight) = weigh(index) else { continue };
                let count = self.counts[index].load(Relaxed);
                if count >= self.cap {
                    continue;
                }
                let load = (count as u64).saturating_add(weight);
                if best.is_none_or(|(lowest, _, _)| load < lowest) {
                    best = Some((load, index, count));
                }
            }
            let (_, index, count) = best?;
            if self.raise(index, count) {
                self.cursor.store((index + 1) % loops, Relaxed);
                return Some(index);
            }
            // Another claim changed that count, so it made progress: read
            // them all again.
        }
    }

    /// Rule 1: raises loop `index`'s count from `seen`, if it still is
    /// `seen`.
    fn raise(&self, index: usize, seen: usize) -> bool {
        let count = &self.counts[index];
        // MUTANT: read, then add, so that two claimers that read the same
        // count both raise it.
        if cfg!(tether_mutant = "spread_check_then_add") {
            count.fetch_add(1, Relaxed);
            return true;
        }
        count
            .compare_exchange(seen, seen + 1, Relaxed, Relaxed)
            .is_ok()
    }

    /// Rules 2 and 4: counts a connection of loop `index` out, and wakes
    /// the paused acceptors if that loop was full.
    fn release(&self, index: usize) {
        let before = self.counts[index].fetch_sub(1, Relaxed);
        if before < self.cap {
            return;
        }
        let waiters = std::mem::take(&mut *lock(&self.waiters));
        for waiter in waiters {
            waiter.wake();
        }
    }
}

impl fmt::Debug for Spread {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let counts: Vec<usize> = self.counts.iter().map(|c| c.load(Relaxed)).collect();
        f.debug_struct("Spread")
            .field("counts", &counts)
            .field("cap", &self.cap)
            .finish_non_exhaustive()
    }
}

impl Claim {
    /// The loop it counts a connection on. Shown in
    /// [`Spread`'s example](Spread#examples).
    pub fn index(&self) -> usize {
        self.index
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        self.spread.release(self.index);
    }
}

impl fmt::Debug for Claim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Claim").field("index", &self.index).finish()
    }
}
