//! The wheel against a model: seeded random operations (inserts at every
//! kind of deadline, cancels, lookups, polls at every kind of `now`,
//! restarts near the end of time), each answer compared with a `BTreeMap`
//! keyed by (deadline, insertion number), where a deadline already reached
//! at the insert counts as the wheel's now then, and the wheel's invariants
//! checked along the way. A failure prints the seed and the step, which
//! replay it exactly.

use std::collections::BTreeMap;
use std::fmt::Debug;

use super::*;

/// xorshift64*: a tiny seeded generator, so a failing seed replays exactly.
#[derive(Debug)]
struct Rng(u64);

impl Rng {
    /// The next 64 random bits.
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..bound`.
    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }

    /// Ticks in a random level's range: `1..64^(L+1)`, `L` in `0..levels`.
    fn level_span(&mut self, levels: usize) -> u64 {
        let bits = SLOT_BITS * (1 + self.below(levels as u64) as usize);
        1 + self.below(1 << bits)
    }
}

/// An entry as the model knows it; the wheel's value is `(seq, payload)`.
#[derive(Clone, Copy, Debug)]
struct Handle {
    /// The wheel's key for it.
    key: TimerKey,
    /// Its deadline, as the wheel stores it: no earlier than the wheel's
    /// now when it was inserted.
    deadline: Tick,
    /// The model's insertion number, also the first half of the value.
    seq: u64,
}

/// One step of the randomized run, printed when a check fails.
#[derive(Debug)]
enum Op {
    /// Insert an entry.
    Insert { deadline: Tick },
    /// Cancel a pending entry.
    Cancel { handle: Handle },
    /// Cancel an entry that fired or was cancelled.
    CancelGone { key: TimerKey },
    /// Overwrite a pending entry's payload.
    GetMut { handle: Handle, payload: u64 },
    /// Look up an entry that fired or was cancelled.
    GetMutGone { key: TimerKey },
    /// Poll at `now`, at most `max_polls` times.
    Advance { now: Tick, max_polls: usize },
    /// Start over with a new wheel whose time begins at `start`, and
    /// advances of up to `2^scale` ticks.
    Restart { start: Tick, scale: usize },
}

/// The wheel under test, the model it must agree with, and the dice.
struct Run {
    /// The seed, for the failure message.
    seed: u64,
    /// The index of the running operation, for the failure message.
    op_index: usize,
    /// The dice.
    rng: Rng,
    /// The wheel under test.
    wheel: Wheel<(u64, u64)>,
    /// The reference: (deadline, seq) to payload.
    model: BTreeMap<(Tick, u64), u64>,
    /// Entries inserted and maybe still pending (fired ones leave lazily).
    live: Vec<Handle>,
    /// Keys of entries that fired or were cancelled.
    gone: Vec<TimerKey>,
    /// The model's next insertion number.
    next_seq: u64,
    /// Most advances move time by less than `2^scale` ticks.
    scale: usize,
}

impl Drop for Run {
    fn drop(&mut self) {
        // Also names the failing step when a plain assertion panicked.
        if std::thread::panicking() {
            eprintln!("replay: seed {:#x}, op #{}", self.seed, self.op_index);
        }
    }
}

impl Run {
    /// Panics with everything needed to replay the failure.
    fn fail(&self, op: &Op, expected: impl Debug, actual: impl Debug) -> ! {
        panic!(
            "seed {:#x}, op #{}: {op:?}, elapsed {:?}\n  expected: {expected:?}\n  actual:   {actual:?}",
            self.seed,
            self.op_index,
            self.wheel.elapsed()
        );
    }

    /// Fails unless `expected == actual`.
    fn check<V: PartialEq + Debug>(&self, op: &Op, expected: V, actual: V) {
        if expected != actual {
            self.fail(op, expected, actual);
        }
    }

    /// A random entry still pending, if any; fired ones found on the way
    /// move to `gone`.
    fn pick_live(&mut self) -> Option<Handle> {
        while !self.live.is_empty() {
            let at = self.rng.below(self.live.len() as u64) as usize;
            let handle = self.live[at];
            if self.model.contains_key(&(handle.deadline, handle.seq)) {
                return Some(handle);
            }
            self.live.swap_remove(at);
            self.remember_gone(handle.key);
        }
        None
    }

    /// Keeps a bounded sample of dead keys.
    fn remember_gone(&mut self, key: TimerKey) {
        if self.gone.len() < 1024 {
            self.gone.push(key);
        } else {
            let at = self.rng.below(1024) as usize;
            self.gone[at] = key;
        }
    }

    /// A deadline: near, within each level, on level boundaries, past due,
    /// equal to another entry's, beyond the top level, or huge.
    fn pick_deadline(&mut self) -> Tick {
        let now = self.wheel.elapsed().0;
        let deadline = match self.rng.below(100) {
            0..30 => now.saturating_add(self.rng.below(64)),
            30..55 => now.saturating_add(self.rng.level_span(LEVELS)),
            55..65 => {
                let bits = SLOT_BITS * (1 + self.rng.below(LEVELS as u64) as usize);
                let boundary = ((now >> bits) + 1 + self.rng.below(2)).saturating_mul(1 << bits);
                (boundary - 1).saturating_add(self.rng.below(3))
            }
            65..75 => now.saturating_sub(self.rng.below(1000)),
            75..88 => match self.pick_live() {
                Some(handle) => handle.deadline.0,
                None => now,
            },
            88..99 => now.saturating_add((1 + self.rng.below(1 << 10)) << 36),
            _ if self.rng.below(2) == 0 => u64::MAX - self.rng.below(100),
            _ => self.rng.next(),
        };
        Tick(deadline)
    }

    /// A `now` to poll at: the same, a little later, later by up to this
    /// segment's scale, across a level's boundary, exactly the next
    /// deadline, earlier, or rarely much later.
    fn pick_now(&mut self) -> Tick {
        let now = self.wheel.elapsed().0;
        let next = match self.rng.below(100) {
            0..20 => now,
            20..50 => now.saturating_add(1 + self.rng.below(64)),
            50..75 => now.saturating_add(self.rng.below(1 << self.scale)),
            75..83 => {
                let levels = (self.scale / SLOT_BITS).clamp(1, LEVELS) as u64;
                let bits = SLOT_BITS * (1 + self.rng.below(levels) as usize);
                let boundary = ((now >> bits) + 1).saturating_mul(1 << bits);
                (boundary - 1).saturating_add(self.rng.below(2))
            }
            83..93 => self.wheel.next_deadline().map_or(now, |tick| tick.0),
            93..98 => now.saturating_sub(self.rng.below(100)),
            _ => now.saturating_add(self.rng.below(1 << (self.scale + 8).min(50))),
        };
        Tick(next)
    }

    /// The next operation; `index` schedules the restarts.
    fn pick_op(&mut self, index: usize) -> Op {
        if index % SEGMENT == 0 {
            // Small scales let entries pile up on the upper levels; large
            // ones sweep whole epochs. Some segments live near the end of time.
            let scale = [6, 12, 18, 24, 30, 36, 44][self.rng.below(7) as usize];
            let start = match self.rng.below(4) {
                0 => 0,
                1 => self.rng.below(1 << 40),
                2 => self.rng.next() >> 4,
                _ => u64::MAX - (self.rng.below(1 << 16) << scale),
            };
            return Op::Restart {
                start: Tick(start),
                scale,
            };
        }
        match self.rng.below(100) {
            0..48 => Op::Insert {
                deadline: self.pick_deadline(),
            },
            48..56 => match self.pick_live() {
                Some(handle) => Op::Cancel { handle },
                None => Op::Advance {
                    now: self.pick_now(),
                    max_polls: usize::MAX,
                },
            },
            56..62 => {
                let live = self.pick_live();
                let gone = self
                    .gone
                    .get(self.rng.below(self.gone.len().max(1) as u64) as usize);
                match (self.rng.below(3), live, gone.copied()) {
                    (0, _, Some(key)) => Op::CancelGone { key },
                    (1, _, Some(key)) => Op::GetMutGone { key },
                    (_, Some(handle), _) => Op::GetMut {
                        handle,
                        payload: self.rng.next(),
                    },
                    _ => Op::Insert {
                        deadline: self.pick_deadline(),
                    },
                }
            }
            _ => Op::Advance {
                now: self.pick_now(),
                max_polls: match self.rng.below(5) {
                    0 => self.rng.below(4) as usize,
                    _ => usize::MAX,
                },
            },
        }
    }

    /// Applies `op` to the wheel and the model, checking every answer.
    fn apply(&mut self, op: &Op) {
        match *op {
            Op::Insert { deadline } => {
                let seq = self.next_seq;
                self.next_seq += 1;
                // A deadline already reached is due now, after what is due.
                let stored = deadline.max(self.wheel.elapsed());
                let key = self.wheel.insert(deadline, (seq, 0));
                self.model.insert((stored, seq), 0);
                self.live.push(Handle {
                    key,
                    deadline: stored,
                    seq,
                });
            }
            Op::Cancel { handle } => {
                let payload = self.model.remove(&(handle.deadline, handle.seq));
                let value = self.wheel.cancel(handle.key);
                self.check(op, payload.map(|payload| (handle.seq, payload)), value);
                self.remember_gone(handle.key);
            }
            Op::CancelGone { key } => {
                let len = self.wheel.len();
                let value = self.wheel.cancel(key);
                self.check(op, None, value);
                self.check(op, len, self.wheel.len());
            }
            Op::GetMut { handle, payload } => {
                let stored = self.model.get_mut(&(handle.deadline, handle.seq));
                let expected =
                    stored.map(|stored| (handle.seq, std::mem::replace(stored, payload)));
                let actual = self.wheel.get_mut(handle.key).map(|value| {
                    let old = *value;
                    value.1 = payload;
                    old
                });
                self.check(op, expected, actual);
            }
            Op::GetMutGone { key } => {
                let value = self.wheel.get_mut(key).copied();
                self.check(op, None, value);
            }
            Op::Advance { now, max_polls } => self.advance(op, now, max_polls),
            Op::Restart { start, scale } => {
                self.scale = scale;
                // Everything left must fire on the way to the end of time.
                self.advance(op, Tick(u64::MAX), usize::MAX);
                self.wheel = Wheel::new();
                self.live.clear();
                self.gone.clear();
                let fired = self.wheel.poll(start);
                self.check(op, None, fired);
            }
        }
        self.check(op, self.model.len(), self.wheel.len());
        self.check(op, self.model.is_empty(), self.wheel.is_empty());
        self.check_next_deadline(op);
    }

    /// Polls at `now` and compares each fired entry with the model's next.
    fn advance(&mut self, op: &Op, now: Tick, max_polls: usize) {
        let before = self.wheel.elapsed();
        let horizon = before.max(now);
        for _ in 0..max_polls {
            let expected = match self.model.first_key_value() {
                Some((&(deadline, seq), &payload)) if deadline <= horizon => {
                    Some((deadline, (seq, payload)))
                }
                _ => None,
            };
            let actual = self.wheel.poll(now);
            self.check(op, expected, actual);
            let elapsed = self.wheel.elapsed();
            let Some((deadline, (seq, _))) = actual else {
                // Drained: time is at `now` (or stays, if `now` was
                // earlier), and nothing waits at or before it.
                self.check(op, horizon, elapsed);
                if let Some(next) = self.wheel.next_deadline() {
                    if next <= elapsed {
                        self.fail(op, format_args!("next deadline after {elapsed:?}"), next);
                    }
                }
                return;
            };
            self.model.remove(&(deadline, seq));
            if !(before <= elapsed && deadline <= elapsed && elapsed <= horizon) {
                self.fail(
                    op,
                    format_args!("{deadline:?} <= elapsed <= {horizon:?}"),
                    elapsed,
                );
            }
        }
    }

    /// What [`Wheel::next_deadline`] promises: `None` iff empty; the
    /// earliest deadline itself when it is due; the start of its slot when
    /// it waits on a level (on level 0, the deadline itself); and when it
    /// waits in the overflow list, a tick after `elapsed` and no later than
    /// the start of its epoch.
    fn check_next_deadline(&self, op: &Op) {
        let actual = self.wheel.next_deadline();
        let Some((&(earliest, _), _)) = self.model.first_key_value() else {
            return self.check(op, None, actual);
        };
        let elapsed = self.wheel.elapsed().0;
        let expected = if earliest.0 <= elapsed {
            Some(earliest.0)
        } else {
            // The lowest level whose block of 64^(L+1) ticks holds both.
            (0..LEVELS).find_map(|level| {
                let above = SLOT_BITS * (level + 1);
                let below = SLOT_BITS * level;
                (earliest.0 >> above == elapsed >> above).then_some(earliest.0 >> below << below)
            })
        };
        match (expected, actual) {
            (Some(tick), _) => self.check(op, Some(Tick(tick)), actual),
            (None, Some(next)) if elapsed < next.0 && next.0 <= earliest.0 >> 36 << 36 => {}
            (None, _) => self.fail(
                op,
                format_args!("in {elapsed}..={earliest:?}'s epoch"),
                actual,
            ),
        }
    }
}

/// Runs `ops` random operations from `seed`, checking after every one.
fn run_model(seed: u64, ops: usize) {
    let mut run = Run {
        seed,
        op_index: 0,
        rng: Rng(seed),
        wheel: Wheel::new(),
        model: BTreeMap::new(),
        live: Vec::new(),
        gone: Vec::new(),
        next_seq: 0,
        scale: 6,
    };
    for index in 0..ops {
        run.op_index = index;
        let op = run.pick_op(index);
        run.apply(&op);
        if index % 1000 == 0 {
            assert_invariants(&run.wheel);
        }
    }
    let end = Op::Advance {
        now: Tick(u64::MAX),
        max_polls: usize::MAX,
    };
    run.apply(&end);
}

/// Operations per seed.
const OPS: usize = 200_000;

/// Operations between two restarts of the randomized run.
const SEGMENT: usize = 20_000;

#[test]
fn model_seed_1() {
    run_model(0x9e37_79b9_7f4a_7c15, OPS);
}

#[test]
fn model_seed_2() {
    run_model(0x0123_4567_89ab_cdef, OPS);
}

#[test]
fn model_seed_3() {
    run_model(0xdead_beef_cafe_f00d, OPS);
}

#[test]
fn model_seed_4() {
    run_model(42, OPS);
}

#[test]
fn model_seed_5() {
    run_model(0x5eed_0000_0000_0005, OPS);
}

#[test]
fn model_seed_6() {
    run_model(u64::MAX, OPS);
}
