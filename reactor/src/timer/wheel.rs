//! The hierarchical timer wheel: pending timers sorted by deadline in O(1).
//!
//! A timer facility must answer three questions cheaply: *store this value
//! until tick `d`*, *forget it*, and *what is due now?* A sorted structure
//! (a heap, a B-tree) answers in O(log n). A **timing wheel** answers in
//! O(1) by giving up on sorting: like the hand of a clock it has a slot per
//! tick, an entry is dropped into the slot of its deadline, and as time
//! moves the hand, every entry in the slot it reaches is due.
//!
//! One wheel of 64 slots only sees 64 ticks ahead. A **hierarchical** wheel
//! stacks wheels whose slots are ever coarser, like the hands of a clock:
//! level `L` has 64 slots of `64^L` ticks each. An entry goes to the finest
//! level that can tell its deadline apart from now, and moves down one or
//! more levels (it **cascades**) when the hand of its level reaches its slot
//! and the finer levels can tell it apart. This is the design of G. Varghese
//! and T. Lauck, "Hashed and Hierarchical Timing Wheels: Data Structures for
//! the Efficient Implementation of a Timer Facility", SOSP 1987; the flavour
//! here (64 slots, an occupancy bitmap per level, levels chosen by the bits
//! of the deadline) is the one of tokio's and maitake's timer wheels.
//!
//! # Levels
//!
//! One tick is 100 µs in tether (`timer::TICK` says why). Six levels of
//! 64 slots:
//!
//! | level | one slot covers | the level covers | at 100 µs a tick |
//! |-------|-----------------|------------------|------------------|
//! | 0     | 1 tick          | 64 ticks         | 6.4 ms           |
//! | 1     | 64              | 4 096            | ~0.41 s          |
//! | 2     | 4 096           | 262 144          | ~26 s            |
//! | 3     | 262 144         | 16 777 216       | ~28 min          |
//! | 4     | 16 777 216      | 1 073 741 824    | ~30 h            |
//! | 5     | 1 073 741 824   | 68 719 476 736   | ~79.5 days       |
//!
//! Why these numbers: 64 slots make a level's occupancy exactly one `u64`,
//! so "the next non-empty slot" is one `trailing_zeros`, never a scan; a
//! level is then a 6-bit digit of the tick. Six levels (36 bits) reach
//! 79.5 days, past the timeouts programs set, for 6 × 64 list heads. The
//! tick trades resolution for range: at 1 ms, tokio's, the levels would
//! reach 2.2 years; at 1 µs, 19 hours. A deadline past the top level still
//! works, from the overflow list below.
//!
//! # The level rule
//!
//! Write a tick in base 64. An entry lives on the level of the **highest
//! digit in which its deadline differs from `elapsed`** (the wheel's now),
//! in the slot named by the deadline's digit at that level:
//!
//! ```text
//!   elapsed  =  200 = digits [.. 0 | 3 |  8 ]      (level 2 | 1 | 0)
//!   a =  203        = digits [.. 0 | 3 | 11 ]  ->  level 0, slot 11
//!   b =  900        = digits [.. 0 |14 |  4 ]  ->  level 1, slot 14
//!   c = 5000        = digits [.. 1 |14 |  8 ]  ->  level 2, slot 1
//!
//!   level 1: 64 ticks a slot, ticks 0..4096     level 0: 1 tick, ticks 192..256
//!   +---+---+---+---+----+----+----+             +---+----+----+----+
//!   | 0 |...| 3 |...| 14 |... | 63 |             |...|  8 | 11 |... |
//!   +---+---+-^-+---+-b--+----+----+             +---+--^-+--a-+----+
//!             elapsed                                   elapsed
//! ```
//!
//! Above that digit the deadline and `elapsed` agree, so all of a level's
//! entries lie in `elapsed`'s own block of `64^(L+1)` ticks, and lie later
//! than every entry of the levels below: **the lowest occupied level holds
//! the earliest slot**, and within it the lowest set bit of the occupancy
//! map. A slot *starts* at the first tick it covers (the deadline with the
//! digits below `L` cleared); every occupied slot starts after `elapsed`.
//!
//! # Cascading
//!
//! [`Wheel::poll`] moves `elapsed` straight to the start of the earliest
//! slot, never tick by tick, and empties that slot: each entry is linked
//! in again against the new `elapsed`, so by the level rule it lands on a
//! lower level, or is due if its deadline is that very tick. A level-0
//! slot covers one tick, so all its entries are due at once. Advancing
//! from tick 0 to 10^12 with one entry on the way is therefore a handful of
//! steps: one for the overflow list, then one per level at most.
//!
//! # Order
//!
//! `poll` yields entries by deadline, and equal deadlines by insertion (a
//! sequence number given by `insert`). A deadline the wheel has already
//! reached when the entry is inserted (at or before `elapsed`) counts as
//! `elapsed` itself: the entry is due at once, and is stored, and reported
//! by `poll`, with `elapsed` as its deadline. So a late entry comes after
//! every entry already due, whatever its own deadline.
//!
//! The **due list** holds the entries due at `elapsed`; `poll` drains it
//! before it moves `elapsed` again, so all of them have `elapsed` as their
//! deadline, and the list only has to keep insertion order. It does so by
//! appending: an emptied slot is appended while the due list is empty,
//! and late inserts come after, with later numbers. For that, the entries
//! of one slot must be in sequence order, and they are: a level-`L` slot
//! receives cascaded entries only at the instant `elapsed` enters its
//! `64^(L+1)`-tick block, all at once from one earlier-ordered bucket, and
//! direct inserts only after that, with later numbers. The overflow list
//! is in sequence order too: inserts append to it, and when it is linked
//! in again, the entries that stay are appended in their old order before
//! any later insert. (The tests check every list.)
//!
//! Why late entries do not keep their own deadline: a due list sorted by
//! deadline would have each late insert walk back past the entries that
//! sort after it, O(k) per insert and O(k²) for `k` late inserts in
//! reverse order. The wheel's job is to say what is due; a finer order
//! among due entries is its user's. A tick is also the wheel's
//! resolution, so the entries of one tick come out in insertion order.
//! The runtime's timers want the order of their exact deadlines, late
//! ones included: `Timers` (`timer/mod.rs`) keeps each timer's exact
//! deadline in the value and sorts every batch it takes from the wheel,
//! which leaves `insert` O(1).
//!
//! # Beyond the top level
//!
//! A deadline that differs from `elapsed` above the 36 bits of the six
//! levels lies in a later **epoch** (a block of `64^6` ticks). Such entries
//! wait in an unsorted **overflow** list, together with a lower bound of
//! their deadlines, `overflow_floor`. The list counts as one more bucket
//! that starts at the epoch of that floor: when `elapsed` gets there, the
//! whole list is linked in again, and the entries of that epoch land on the
//! levels while the rest wait for their own epoch. The floor lets `poll`
//! jump over empty epochs (clamping far entries into the top level and
//! re-examining them each time its slot comes round would visit every
//! epoch: 2^28 visits on the way to `u64::MAX`); it is
//! only a lower bound because `cancel` leaves it be, which makes at most
//! one visit in vain. Each visit costs the length of the list, so many far
//! entries in distinct epochs cost that much per epoch reached; at 100 µs
//! a tick an epoch is 79.5 days, so a runtime pays it rarely, if ever.
//!
//! # Complexity
//!
//! `insert` and `cancel` are O(1): a slab slot and a doubly linked list
//! (links are slab indices) per slot, and a late insert is appended to the
//! due list. `poll` costs O(levels) to find the next slot, and every entry
//! moves down at most once per level (plus once per overflow visit), so
//! O(1) amortized per entry fired.

#[cfg(test)]
mod tests;

use std::cell::Cell;
use std::fmt;
use std::mem;

use slab::Slab;

/// Bits of a tick per level: one base-64 digit.
const SLOT_BITS: usize = 6;
/// Slots per level; 64 makes the occupancy of a level one `u64`.
const SLOTS: usize = 1 << SLOT_BITS;
/// Levels of the wheel; together they cover `64^6` ticks, one epoch.
const LEVELS: usize = 6;

/// A point in wheel time: whole ticks (1 tick = 100 µs in tether) since the
/// wheel's origin.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Tick(pub(crate) u64);

/// Names one inserted entry, and only that one, forever, among the entries
/// of every wheel of its thread.
///
/// The slab index alone would not do: once the entry fires or is cancelled
/// its slot is reused, and a stale key must not reach the newcomer. The
/// sequence number, never reused, tells them apart. A thread's wheels
/// share one count of sequence numbers (`NEXT_SEQ`), so a key handed to
/// another of the thread's wheels than its own names nothing there: a
/// `Sleep` holds its key without its reactor, and may meet another loop
/// than the one it was armed on (`time/sleep.rs`).
///
/// Twelve bytes aligned to four (the index fits in a `u32`, as the links
/// do): a `Sleep` keeps its deadline, this key and its state's tag in 24
/// bytes. The sequence number is kept as two halves rather than a packed
/// `u64`, so that the key stays a plain aligned struct that a function
/// returns in registers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TimerKey {
    /// Where the entry lives in the wheel's slab.
    index: u32,
    /// The entry's sequence number, low half first; a mismatch means the
    /// entry is gone.
    seq: [u32; 2],
}

impl TimerKey {
    /// The key of the entry at `index` with sequence number `seq`.
    fn new(index: u32, seq: u64) -> Self {
        Self {
            index,
            seq: [seq as u32, (seq >> 32) as u32],
        }
    }

    /// The entry's sequence number.
    pub(super) fn seq(self) -> u64 {
        u64::from(self.seq[0]) | u64::from(self.seq[1]) << 32
    }
}

/// A set of values, each with a deadline, handed back in deadline order as
/// time advances.
///
/// # Invariants
///
/// - Every entry is in exactly one list, the one `place_of` names for its
///   deadline and `elapsed`: the due list, a slot, or the overflow list.
/// - Every occupied slot and the overflow bucket start after `elapsed`.
/// - A level's `occupied` bit is set iff its slot's list is non-empty.
/// - Every entry of the due list has `elapsed` as its deadline, and the
///   list is in sequence order.
/// - `overflow_floor` is at most every overflow deadline, and `u64::MAX`
///   while the overflow list is empty.
pub(crate) struct Wheel<T> {
    /// Every entry, wherever it is linked; a key's index points in here.
    entries: Slab<Entry<T>>,
    /// The six levels, finest first.
    levels: [Level; LEVELS],
    /// Entries due at `elapsed` (their deadline), in firing order.
    due: List,
    /// Entries whose deadline lies in a later epoch than `elapsed`.
    overflow: List,
    /// A lower bound of the overflow deadlines; its epoch is when the
    /// overflow list is linked in again.
    overflow_floor: Tick,
    /// The wheel's now: no entry still in a slot is due at it.
    elapsed: Tick,
}

// The bridge's `const_thread_local!`, so that a checker's threads each
// count their own.
tether_bridge::sync::const_thread_local! {
    /// The sequence number the next `insert` on this thread hands out, in
    /// whichever of the thread's wheels: one count for all of them, so that
    /// a key names one entry among them all (`TimerKey`).
    static NEXT_SEQ: Cell<u64> = Cell::new(0);
}

/// One pending value, and its place in a list.
#[derive(Debug)]
struct Entry<T> {
    /// What the caller stored; handed back by `poll` or `cancel`.
    value: T,
    /// The tick at which the entry is due: the deadline it was inserted
    /// with, or `elapsed` then if that was later.
    deadline: Tick,
    /// Insertion order: breaks ties between equal deadlines.
    seq: u64,
    /// The previous entry in the same list.
    prev: Link,
    /// The next entry in the same list.
    next: Link,
}

/// One level: 64 slots of `64^L` ticks each.
#[derive(Debug)]
struct Level {
    /// Bit `s` is set iff `slots[s]` is non-empty.
    occupied: u64,
    /// The entries of each slot, in sequence order.
    slots: [List; SLOTS],
}

/// The ends of an intrusive doubly linked list threaded through the slab.
#[derive(Clone, Copy, Debug)]
struct List {
    /// The first entry, `Link::END` when the list is empty.
    head: Link,
    /// The last entry, `Link::END` when the list is empty.
    tail: Link,
}

/// A link of a list: an entry's index in the slab, or the end of the list.
///
/// Four bytes (`u32::MAX` is the end), where an
/// `Option<usize>` takes sixteen: an entry with two links is 48 bytes
/// instead of 72. That is memory every pending timer touches, and the
/// entries of one slot lie scattered through the slab, so fewer bytes mean
/// fewer cache misses as the wheel walks them: with 100,000 sleeps pending,
/// 2.4 MB less.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Link(u32);

/// Which list an entry belongs in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Place {
    /// The due list: the deadline is at or before `elapsed`.
    Due,
    /// A slot of a level.
    Slot {
        /// The level, 0 to 5.
        level: usize,
        /// The slot within the level, 0 to 63.
        slot: usize,
    },
    /// The overflow list: the deadline is in a later epoch.
    Overflow,
}

/// Where an entry with `deadline` belongs while the wheel's now is
/// `elapsed`: the level rule, spelled in bits.
fn place_of(deadline: Tick, elapsed: Tick) -> Place {
    if deadline <= elapsed {
        return Place::Due;
    }
    // The highest differing bit names the highest differing digit: above it
    // both ticks agree, so the deadline lies in elapsed's block of that level.
    let highest_difference = 63 - (deadline.0 ^ elapsed.0).leading_zeros() as usize;
    let level = highest_difference / SLOT_BITS;
    if level < LEVELS {
        Place::Slot {
            level,
            slot: deadline.digit(level),
        }
    } else {
        Place::Overflow
    }
}

// ===== impl Tick =====

impl Tick {
    /// The base-64 digit of this tick at `level`: its slot on that level.
    fn digit(self, level: usize) -> usize {
        ((self.0 >> (SLOT_BITS * level)) as usize) & (SLOTS - 1)
    }

    /// This tick with the digits below `level` cleared: the start of the
    /// `64^level`-tick block it lies in. `level` may be `LEVELS`: the epoch.
    fn block_start(self, level: usize) -> Tick {
        let bits = SLOT_BITS * level;
        Tick(self.0 >> bits << bits)
    }
}

// ===== impl Wheel =====

impl<T> Wheel<T> {
    /// An empty wheel whose now is `Tick(0)`.
    pub(crate) fn new() -> Self {
        Self::starting_at(Tick(0))
    }

    /// An empty wheel whose now is `elapsed`.
    pub(crate) fn starting_at(elapsed: Tick) -> Self {
        Wheel {
            entries: Slab::new(),
            levels: [Level::EMPTY; LEVELS],
            due: List::EMPTY,
            overflow: List::EMPTY,
            overflow_floor: Tick(u64::MAX),
            elapsed,
        }
    }

    /// Stores `value` until `deadline`. A deadline at or before
    /// [`elapsed`](Self::elapsed) is allowed: the entry is due at once,
    /// after the entries already due, with `elapsed` as its deadline (the
    /// module's "Order").
    pub(crate) fn insert(&mut self, deadline: Tick, value: T) -> TimerKey {
        let seq = NEXT_SEQ.with(|next| next.replace(next.get() + 1));
        let index = self.entries.insert(Entry {
            value,
            deadline: deadline.max(self.elapsed),
            seq,
            prev: Link::END,
            next: Link::END,
        });
        self.link(index);
        // `link` made a `Link` of the index, which checked that it fits.
        TimerKey::new(index as u32, seq)
    }

    /// Removes the entry and returns its value; `None` if it already fired
    /// or was cancelled, or if the key is another wheel's, in which case
    /// nothing changes.
    pub(crate) fn cancel(&mut self, key: TimerKey) -> Option<T> {
        self.get_mut(key)?;
        let index = key.index as usize;
        self.unlink(index);
        Some(self.entries.remove(index).value)
    }

    /// The value of a pending entry, to change it in place (a new waker).
    pub(crate) fn get_mut(&mut self, key: TimerKey) -> Option<&mut T> {
        let (index, seq) = (key.index as usize, key.seq());
        match self.entries.get_mut(index) {
            Some(entry) if entry.seq == seq => Some(&mut entry.value),
            _ => None,
        }
    }

    /// When [`poll`](Self::poll) next has work to do; `None` iff empty.
    ///
    /// Never after the earliest deadline. It *is* the earliest deadline when
    /// that entry is on level 0 or already due (then it is `elapsed`: the
    /// caller must not sleep). Else it is the start of the earliest slot,
    /// where entries cascade, or for the overflow list the start of the
    /// floor's epoch. Progress: once `poll` at this tick is drained,
    /// something fired or this moved later.
    pub(crate) fn next_deadline(&self) -> Option<Tick> {
        match self.due.head.get() {
            Some(index) => Some(self.entries[index].deadline),
            None => self.next_bucket().map(|(start, _)| start),
        }
    }

    /// The next entry due at `now`, as (deadline, value), in deadline then
    /// insertion order; `None` once none is left, and `elapsed` is then
    /// `now`. A `now` before `elapsed` counts as `elapsed`: time never goes
    /// back. Call it until `None`; entries already due come first.
    pub(crate) fn poll(&mut self, now: Tick) -> Option<(Tick, T)> {
        loop {
            if let Some(index) = self.due.head.get() {
                self.unlink(index);
                let entry = self.entries.remove(index);
                return Some((entry.deadline, entry.value));
            }
            match self.next_bucket() {
                // Jump to the bucket's start: nothing lies in between.
                Some((start, place)) if start <= now => {
                    debug_assert!(start > self.elapsed, "a bucket starts in the past");
                    self.elapsed = start;
                    self.cascade(place);
                }
                _ => {
                    self.elapsed = self.elapsed.max(now);
                    return None;
                }
            }
        }
    }

    /// The wheel's now: the latest tick `poll` has reached. Only the tests
    /// read it; the runtime keeps its own clock (`Reactor::now`).
    #[cfg(test)]
    pub(crate) fn elapsed(&self) -> Tick {
        self.elapsed
    }

    /// The sequence number the next `insert` hands out: every key handed
    /// out so far has a lower one. (The thread's count: another wheel's
    /// inserts move it too.)
    pub(crate) fn next_seq(&self) -> u64 {
        NEXT_SEQ.with(Cell::get)
    }

    /// How many entries are pending.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no entry is pending.
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The earliest non-empty bucket (a slot or the overflow list) and the
    /// tick it starts at. The due list is not a bucket.
    fn next_bucket(&self) -> Option<(Tick, Place)> {
        // The lowest occupied level holds the earliest slot (the level rule).
        for (level, slots) in self.levels.iter().enumerate() {
            if slots.occupied != 0 {
                let slot = slots.occupied.trailing_zeros() as usize;
                let block = self.elapsed.block_start(level + 1);
                let start = Tick(block.0 | ((slot as u64) << (SLOT_BITS * level)));
                return Some((start, Place::Slot { level, slot }));
            }
        }
        if self.overflow.is_empty() {
            return None;
        }
        Some((self.overflow_floor.block_start(LEVELS), Place::Overflow))
    }

    /// Empties a bucket that `elapsed` has just reached, linking each of its
    /// entries in again: each lands lower, or in the due list.
    fn cascade(&mut self, place: Place) {
        let list = match place {
            // `poll` drains the due list instead; re-linking it is harmless.
            Place::Due => mem::replace(&mut self.due, List::EMPTY),
            Place::Slot { level, slot } => {
                let level = &mut self.levels[level];
                level.occupied &= !(1 << slot);
                mem::replace(&mut level.slots[slot], List::EMPTY)
            }
            Place::Overflow => {
                // The entries that stay compute the floor afresh.
                self.overflow_floor = Tick(u64::MAX);
                mem::replace(&mut self.overflow, List::EMPTY)
            }
        };
        let mut cursor = list.head.get();
        while let Some(index) = cursor {
            cursor = self.entries[index].next.get();
            self.link(index);
        }
    }

    /// Puts an unlinked entry into the list its deadline calls for.
    fn link(&mut self, index: usize) {
        let deadline = self.entries[index].deadline;
        match place_of(deadline, self.elapsed) {
            Place::Due => self.due.push_back(&mut self.entries, index),
            Place::Slot { level, slot } => {
                let level = &mut self.levels[level];
                level.occupied |= 1 << slot;
                level.slots[slot].push_back(&mut self.entries, index);
            }
            Place::Overflow => {
                self.overflow_floor = self.overflow_floor.min(deadline);
                self.overflow.push_back(&mut self.entries, index);
            }
        }
    }

    /// Takes an entry out of its list, keeping the bookkeeping true.
    fn unlink(&mut self, index: usize) {
        // The list is found again from the deadline: the first invariant.
        match place_of(self.entries[index].deadline, self.elapsed) {
            Place::Due => self.due.remove(&mut self.entries, index),
            Place::Slot { level, slot } => {
                let level = &mut self.levels[level];
                level.slots[slot].remove(&mut self.entries, index);
                if level.slots[slot].is_empty() {
                    level.occupied &= !(1 << slot);
                }
            }
            Place::Overflow => {
                self.overflow.remove(&mut self.entries, index);
                // A stale floor would outlive the list and could lie before
                // a later `elapsed`; the next overflow entry sets it anew.
                if self.overflow.is_empty() {
                    self.overflow_floor = Tick(u64::MAX);
                }
            }
        }
    }
}

impl<T> Default for Wheel<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> fmt::Debug for Wheel<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A summary: the values need not be `Debug`, and there may be many.
        f.debug_struct("Wheel")
            .field("elapsed", &self.elapsed)
            .field("len", &self.len())
            .field("next_deadline", &self.next_deadline())
            .finish_non_exhaustive()
    }
}

// ===== impl Level =====

impl Level {
    /// A level with every slot empty.
    const EMPTY: Level = Level {
        occupied: 0,
        slots: [List::EMPTY; SLOTS],
    };
}

// ===== impl List =====

impl List {
    /// A list with no entries.
    const EMPTY: List = List {
        head: Link::END,
        tail: Link::END,
    };

    /// Whether the list has no entries.
    fn is_empty(&self) -> bool {
        self.head == Link::END
    }

    /// Appends an unlinked entry.
    fn push_back<T>(&mut self, entries: &mut Slab<Entry<T>>, index: usize) {
        let link = Link::to(index);
        entries[index].prev = self.tail;
        entries[index].next = Link::END;
        match self.tail.get() {
            Some(at) => entries[at].next = link,
            None => self.head = link,
        }
        self.tail = link;
    }

    /// Unlinks an entry of this list, in O(1) thanks to the back links.
    fn remove<T>(&mut self, entries: &mut Slab<Entry<T>>, index: usize) {
        let Entry { prev, next, .. } = entries[index];
        match prev.get() {
            Some(at) => entries[at].next = next,
            None => self.head = next,
        }
        match next.get() {
            Some(at) => entries[at].prev = prev,
            None => self.tail = prev,
        }
        entries[index].prev = Link::END;
        entries[index].next = Link::END;
    }
}

// ===== impl Link =====

impl Link {
    /// The end of a list: no entry.
    const END: Link = Link(u32::MAX);

    /// The link to the entry at `index`.
    fn to(index: usize) -> Link {
        // An entry is 48 bytes: 2^32 of them would be 192 GiB.
        assert!(index < u32::MAX as usize, "tether: 2^32 - 1 timers pending");
        Link(index as u32)
    }

    /// The index of the entry linked to, or `None` at the end of a list.
    fn get(self) -> Option<usize> {
        (self != Link::END).then_some(self.0 as usize)
    }
}
