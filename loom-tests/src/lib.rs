//! Shared pieces of tether's loom models.
//!
//! Each file in `tests/` checks one or more cross-thread protocols of
//! `tether-bridge` (`runtime.rs` the real runtime's; `histories.rs` by
//! linearizability, not by a model) and opens with what it proves. This
//! library gives them what they share:
//!
//! - [`model`]: runs a model under loom (`--cfg loom`) within its
//!   [`Bound`], under shuttle's random schedules in a shuttle build, or
//!   just once on real threads in a plain `cargo test`, so that the models
//!   that go through it compile and run in every build and cannot rot;
//! - [`thread`] and [`sync`]: loom's or std's threads and `Arc`, matching
//!   the build, alongside `tether_bridge::sync` for atomics;
//! - [`FakeEventfd`]: the wakeup file descriptor, rebuilt from primitives
//!   loom can see;
//! - `history` (in a build without loom): the linearizability checks,
//!   random concurrent histories held against a sequential specification
//!   (`tests/histories.rs`).
//!
//! Run the suite under loom with
//!
//! ```text
//! RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom \
//!     cargo test -p tether-loom-tests --release
//! ```
//!
//! and see `loom-tests/README.md` for the seeded bugs, the deeper run, what
//! each kind of failure means and what loom cannot see.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

// The history checks run on real threads, never under a checker.
#[cfg(not(any(loom, shuttle)))]
pub mod history;

use tether_bridge::Notify;
use tether_bridge::sync::AtomicUsize;
use tether_bridge::sync::Ordering::Relaxed;

/// How much of a model's schedule space loom explores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// Every interleaving: the model is small enough to explore whole.
    Exhaustive,
    /// Every interleaving with at most this many preemptions (a thread
    /// switched away from while it could have gone on). Most concurrency
    /// bugs need two or three, which is why loom bounds this way; a model
    /// too big to explore whole says in its header what its bound covers.
    ///
    /// `LOOM_MAX_PREEMPTIONS=<n>` in the environment raises every bounded
    /// model to at least `n`, for a deeper run; it never makes a model
    /// shallower than what CI checks.
    Preemptions(usize),
}

/// Runs `f` under every interleaving loom explores within `bound`; in a
/// shuttle build (`--cfg shuttle`), under 1,000 random schedules of shuttle's
/// instead, from a fixed seed (the bound is loom's, and does not apply);
/// otherwise once, on real threads.
pub fn model(bound: Bound, f: impl Fn() + Sync + Send + 'static) {
    #[cfg(loom)]
    {
        // `Builder::new` reads loom's environment variables, among them
        // `LOOM_MAX_PREEMPTIONS`, which may deepen the model's own bound.
        let mut builder = loom::model::Builder::new();
        builder.preemption_bound = match bound {
            Bound::Exhaustive => None,
            Bound::Preemptions(n) => Some(builder.preemption_bound.map_or(n, |env| env.max(n))),
        };
        let bound = builder
            .preemption_bound
            .map_or(Bound::Exhaustive, Bound::Preemptions);
        // Each call of the closure is one interleaving; `--nocapture`
        // shows how many the bound allowed.
        let runs = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = runs.clone();
        builder.check(move || {
            counted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            f();
        });
        println!(
            "loom explored {} interleavings ({bound:?})",
            runs.load(std::sync::atomic::Ordering::Relaxed)
        );
    }
    #[cfg(shuttle)]
    {
        let _ = bound;
        // Random rather than PCT: a few models end before PCT has seen any
        // step to choose between, which its scheduler refuses.
        shuttle_check(Schedules::Random, shuttle_runs(1_000), f);
    }
    #[cfg(not(any(loom, shuttle)))]
    {
        let _ = bound;
        f();
    }
}

/// Which of shuttle's schedulers a check runs under.
#[cfg(shuttle)]
#[derive(Debug, Clone, Copy)]
pub enum Schedules {
    /// PCT (S. Burckhardt et al., "A Randomized Scheduler with
    /// Probabilistic Guarantees of Finding Bugs", ASPLOS 2010): random
    /// thread priorities, and `depth - 1` points where the running thread
    /// drops to the lowest; it finds a bug of depth `d` among `n` threads
    /// and `k` steps with probability at least `1 / (n * k^(d-1))` per
    /// schedule. Most concurrency bugs have depth 1 to 3. Good at orders
    /// that need a thread to run far ahead of the others.
    Pct {
        /// How many priority changes a schedule may make, plus one.
        depth: usize,
    },
    /// A random thread at every step: good at a switch at one precise
    /// point of a long run, which PCT's few change points rarely hit.
    Random,
}

/// How many schedules a shuttle check runs: `TETHER_SHUTTLE_RUNS` if set
/// (a longer run), else `default` (what CI runs).
#[cfg(shuttle)]
pub fn shuttle_runs(default: usize) -> usize {
    std::env::var("TETHER_SHUTTLE_RUNS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

/// Runs `f` under `runs` schedules of shuttle's `schedules`, from a fixed
/// seed, so that CI runs the same schedules every time. A failure panics
/// with the schedule, which `shuttle::replay` runs again;
/// `TETHER_SHUTTLE_SEED` picks another seed.
#[cfg(shuttle)]
pub fn shuttle_check(schedules: Schedules, runs: usize, f: impl Fn() + Sync + Send + 'static) {
    let seed = std::env::var("TETHER_SHUTTLE_SEED")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(0x7e7e_7e7e);
    let config = shuttle::Config::default();
    match schedules {
        Schedules::Pct { depth } => {
            let scheduler = shuttle::scheduler::PctScheduler::new_from_seed(seed, depth, runs);
            shuttle::Runner::new(scheduler, config).run(f);
        }
        Schedules::Random => {
            let scheduler = shuttle::scheduler::RandomScheduler::new_from_seed(seed, runs);
            shuttle::Runner::new(scheduler, config).run(f);
        }
    }
}

/// Threads: loom's under `--cfg loom`, shuttle's under `--cfg shuttle`,
/// std's otherwise.
pub mod thread {
    #[cfg(loom)]
    pub use loom::thread::{JoinHandle, spawn};
    #[cfg(shuttle)]
    pub use shuttle::thread::{JoinHandle, spawn};
    #[cfg(not(any(loom, shuttle)))]
    pub use std::thread::{JoinHandle, spawn};
}

/// `Arc`: loom's under `--cfg loom` (it checks for leaks), shuttle's under
/// `--cfg shuttle`, std's otherwise.
pub mod sync {
    #[cfg(loom)]
    pub use loom::sync::Arc;
    #[cfg(shuttle)]
    pub use shuttle::sync::Arc;
    #[cfg(not(any(loom, shuttle)))]
    pub use std::sync::Arc;
}

/// An eventfd made of loom primitives: the loop's sleep and its wakeup; and,
/// apart from it, the loop thread's park token.
///
/// Like an eventfd it remembers a write made before the sleep (the sleep then
/// returns at once) and merges several writes into one wakeup. Like
/// `epoll_wait`, its sleep may also return for no reason (loom explores
/// spurious wakeups), so a loop built on it must re-check its state after
/// every sleep, as the real loop does. The park token ([`park`] and
/// [`Notify::unpark`]) behaves the same, as `std::thread::park` does, but
/// is a separate token: an unpark does not end a sleep on the fd, nor a
/// write a park, so a wakeup sent the wrong way is a deadlock loom reports.
///
/// [`park`]: FakeEventfd::park
#[derive(Debug, Default)]
pub struct FakeEventfd {
    /// The readiness of the fd: set by `notify`, consumed by `sleep`.
    ready: Token,
    /// The loop thread's park token: set by `unpark`, consumed by `park`.
    parked: Token,
    /// How many times it was written, or the thread unparked.
    writes: AtomicUsize,
}

/// A flag one side sets and the other waits for and consumes.
#[derive(Debug, Default)]
struct Token {
    #[cfg(loom)]
    notify: loom::sync::Notify,
    // The bridge's, so that under shuttle these are shuttle's.
    #[cfg(not(loom))]
    set: tether_bridge::sync::Mutex<bool>,
    #[cfg(not(loom))]
    cond: tether_bridge::sync::Condvar,
}

impl Token {
    fn wait(&self) {
        #[cfg(loom)]
        self.notify.wait();
        #[cfg(not(loom))]
        {
            let mut set = self.set.lock().unwrap();
            while !*set {
                set = self.cond.wait(set).unwrap();
            }
            *set = false;
        }
    }

    fn set(&self) {
        #[cfg(loom)]
        self.notify.notify();
        #[cfg(not(loom))]
        {
            *self.set.lock().unwrap() = true;
            self.cond.notify_one();
        }
    }
}

impl FakeEventfd {
    /// A fresh fd, never written.
    pub fn new() -> Self {
        Self::default()
    }

    /// Blocks until a write arrives, or returns at once if one already did.
    /// Loom reports a deadlock if no thread will ever write.
    pub fn sleep(&self) {
        self.ready.wait();
    }

    /// The loop thread's park: blocks until an unpark arrives, or returns at
    /// once if one already did. Loom reports a deadlock if no thread will
    /// ever unpark.
    pub fn park(&self) {
        self.parked.wait();
    }

    /// How many writes and unparks were made so far.
    pub fn writes(&self) -> usize {
        self.writes.load(Relaxed)
    }
}

impl Notify for FakeEventfd {
    fn notify(&self) {
        self.writes.fetch_add(1, Relaxed);
        self.ready.set();
    }

    fn unpark(&self) {
        self.writes.fetch_add(1, Relaxed);
        self.parked.set();
    }
}

/// A `Waker` whose wakes loom can see: waking it writes a [`FakeEventfd`],
/// and [`LoomWaker::sleep`] waits for that.
#[derive(Debug, Default)]
pub struct LoomWaker(FakeEventfd);

impl LoomWaker {
    /// A waker and the handle to sleep on it.
    pub fn new() -> (std::task::Waker, std::sync::Arc<LoomWaker>) {
        let this = std::sync::Arc::new(LoomWaker::default());
        (std::task::Waker::from(this.clone()), this)
    }

    /// Blocks until the waker is woken, or returns at once if it was woken
    /// since the last sleep. As with [`FakeEventfd::sleep`], several wakes
    /// before a sleep end only that one, and a sleep may also end for no
    /// reason: re-check what you wait for.
    pub fn sleep(&self) {
        self.0.sleep();
    }

    /// How many times it was woken.
    pub fn wakes(&self) -> usize {
        self.0.writes()
    }
}

impl std::task::Wake for LoomWaker {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.notify();
    }
}
