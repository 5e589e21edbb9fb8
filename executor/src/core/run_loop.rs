//! One iteration of the loop, and the two ways to drive it: `block_on`
//! and `run_forever`.
//!
//! The iteration, in the order asyncio's `BaseEventLoop._run_once` does it:
//!
//! ```text
//!  any other thread           | loop thread: one iteration (Core::run_once)
//!  wake / spawn / stop        | 1. busy?  ready queue or injection queue non-empty
//!    +-push-> injection queue | 2. park:  busy -> poll without blocking, but only
//!    +-write-> wakeup --------|-----+        once POLL_INTERVAL tasks ran since
//!      or unpark              |     |        the last poll; idle -> announce the
//!      (once per sleep)       |     v        sleep, block until the next timer
//!                             |              (in the poller, or on the thread)
//!                             |  3. I/O ready        -> wake tasks ------+
//!                             |  4. take injection queue: one batch -----+-> ready queue
//!                             |  5. timers due (one clock read)  -> wake +     (FIFO)
//!                             |  6. run exactly the tasks queued before step 6;
//!                             |     what they wake waits for the next iteration
//!                             |
//!                             |  any local submission (spawn, call_soon, a wake
//!                             |  on the loop), at any step: first step 4, then
//!                             |  the ready queue, so that what other threads
//!                             |  sent before it runs before it
//! ```
//!
//! Steps 2 and 3 are [`Reactor::react`](tether_reactor::Reactor::react),
//! through [`Reactor::react_sources`](tether_reactor::Reactor::react_sources)
//! (or a park of the thread, see "Where the loop sleeps"),
//! step 4 is `tether_bridge::Inject::take` (`Core::take_injected`), step
//! 5 is [`Reactor::fire_timers`](tether_reactor::Reactor::fire_timers),
//! step 6 is the loop over a snapshot of the `ReadyQueue`
//! (`ready_queue.rs`) at the end of `run_once`.
//!
//! Step 4 takes what other threads sent as one batch, the buffer the
//! producers wrote, without copying an item: the batch keeps one place in
//! the ready queue, and when the run step reaches it, its items run there
//! one after another, each in its turn (`Core::run_next_injected`). A stop
//! or a stop callback from another thread is taken in its turn too, as
//! asyncio's `loop.stop()` sent with `call_soon_threadsafe` is.
//!
//! # One queue, as far as anyone can tell
//!
//! asyncio has one ready queue: a callback that another thread submitted with
//! `call_soon_threadsafe` before the loop thread calls `call_soon` runs first.
//! tether has two doors, the injection queue for other threads and the ready
//! queue for the loop's own thread, and keeps the same order by having every
//! local submission take step 4 first: it takes what waits in the injection
//! queue into the ready queue, then queues itself. A submission from another
//! thread that happened before the local one (the thread was joined, or sent a
//! message the loop thread received) is visible to step 4's first load, so its
//! batch is queued first. When nothing was sent, that load is all a local
//! submission pays. A wake from another thread goes through the injection
//! queue even when it finds its task in the middle of a poll, so it keeps
//! its place among what that thread sends next (`tether_bridge::task_state`,
//! rule 3); only the run's own wakes are queued as the run ends.
//!
//! # Why the snapshot
//!
//! Step 6 runs what was queued when it began, and a task woken during it
//! (by another task, or by itself) waits for the next iteration. So a task
//! that wakes itself in a loop runs once per iteration, and every iteration
//! still checks other threads (step 4) and timers (step 5), and I/O once
//! the runs since the last poll reach [`POLL_INTERVAL`] (step 2, see
//! below): nothing can be starved.
//!
//! The snapshot bounds how often a task runs, not how long one run lasts.
//! A task whose reads and writes never block (its peer always has the next
//! message ready) would never return `Pending` on its own; so each run
//! gets a budget of operations on sources, one exchange, after which its
//! next operation yields (`Reactor::start_budget`, called by `Core::run`):
//! the task goes to the back of the queue, behind every connection that
//! was waiting.
//!
//! # Why not poll the reactor every iteration
//!
//! On Linux one `Poller::wait` is five system calls, whatever its timeout:
//! it sets a timerfd, re-arms it, waits, reads and re-arms its notifier.
//! A poll that finds nothing ready costs some two microseconds (`cargo
//! bench --bench wakeup`, `poll/nothing_ready`), where a whole hop between
//! two tasks costs some thirty nanoseconds (`cargo bench --bench micro`,
//! `wake/ping_pong`). A loop that polled every iteration would pay the
//! poll on every hop. So the loop blocks only when it has nothing to run,
//! and while it has work it polls without blocking once [`POLL_INTERVAL`]
//! task runs have gone by, and then only if the reactor watches some
//! source: a poll with nothing armed cannot report anything, since other
//! threads reach the loop through step 4 and the wakeup is written only
//! while it sleeps. Steps 4 and 5 stay in every iteration: step 4 is an
//! atomic load when nothing was sent, and step 5 looks at the wheel only
//! when a timer is pending (then it reads the clock, once).
//!
//! # Where the loop sleeps
//!
//! A loop with nothing to run sleeps in the poller, which is where I/O
//! readiness arrives, and which another thread ends by writing the wakeup
//! eventfd. But a loop that watches no source (it only runs tasks and
//! timers, as a loop that serves other threads' callbacks does) could only
//! be woken by that write, and a wait in the poller costs five system
//! calls (above). So when no source is armed, the loop sleeps on its own
//! thread instead (`std::thread::park`, with the next timer's deadline as
//! its timeout), and a producer that finds it so unparks it: one `futex`
//! call on each side. The injection queue's state word says which sleep it
//! is (`PARKED` or `PARKED_THREAD`, `tether_bridge::inject`), so each
//! producer wakes the loop the one way that ends its sleep. Only the loop
//! arms sources, so none can be armed while it sleeps on its thread. A
//! loop that never registered a source never waits in the poller at all,
//! so it calls the poller's wait through a pointer that the first
//! registration sets (`Reactor::react_sources`): a program without
//! sockets, pipes or signals does not link the wait.

use std::future::Future;
use std::panic::Location;
use std::pin::pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use tether_bridge::{TransitionToParked, sync};
use tether_reactor::reactor::Deadline;

use super::Core;
use super::context;
use super::ready_queue::{Entry, Runnable};
use crate::id::TaskKind;
use crate::task::{self, TaskRef};

/// Runs (of tasks, and of callbacks from other threads) between two
/// non-blocking polls of the reactor while the loop is busy.
///
/// The bound on how long I/O readiness can wait while tasks keep running.
/// The count is checked as an iteration begins and grows as its run step
/// ends, so the poll comes at the start of the first iteration that finds
/// this many runs or more since the last one: between two polls the loop
/// makes fewer than this many runs plus one iteration's snapshot. A prime,
/// so that it does not fall into step with tasks that wake in regular
/// patterns.
///
/// Why 31: tether used 61, tokio's default `event_interval` (which a
/// comment in tokio's `Builder` calls fairly arbitrary, and believes copied
/// from Go), until its hyper server went from three task runs per request
/// to one (hyper's sleeps no longer run as tasks,
/// `examples/hyper_server/on_tether.rs`). 61 runs
/// then spanned three times as many requests, and under `wrk -c500` the
/// 99th-percentile latency went from 1.15 to 1.43 times tokio's (medians
/// of twelve paired runs of `benches/compare`'s `wrk_http_500`). At 31 it
/// was 1.12 times tokio's, in six paired runs, with the requests per
/// second unchanged, and `tcp_echo_50` made 1.15 times tokio's round trips
/// per second, against 1.05 at 61, in five. One poll (some two
/// microseconds, see above) spread over 31 runs adds some 65 ns to each,
/// about two hops between two tasks; the loop pays it only while some
/// source is armed.
///
/// Where it matters today: only while the ready queue does not empty. A
/// hyper server under `wrk` now empties it every iteration and parks (in
/// 3 s of `wrk -c500`: 2,417 iterations, 2,306 parks, one poll without
/// them), since its sleeps no longer make tasks, so its tail no longer
/// depends on this. `tcp_echo_50`'s client threads keep the queue full:
/// in 1 s, 1,485 of its 1,982 polls were the non-blocking ones this
/// paces (the loop's `Metrics`, printed as each server ended).
pub(super) const POLL_INTERVAL: usize = 31;

impl Core {
    /// One iteration of the loop. `main` is called right after the
    /// `block_on` stand-in task runs, so that the `block_on` future is polled
    /// in its FIFO place.
    pub(crate) fn run_once(&self, main: &mut dyn FnMut()) {
        let counters = &self.shared.counters;
        counters.iterations.add(1);

        // Steps 1-3.
        self.poll_reactor();

        // Step 4: what other threads sent.
        self.take_injected();

        // Step 5: timers. The clock is read only if one is pending; the
        // reactor keeps the reading for the timers armed in step 6.
        if self.reactor.has_timers() {
            self.reactor.fire_timers(sync::now());
        }

        // Step 6: a snapshot of the ready queue. Its length is published
        // before and after, so that a loop stuck in a run shows, from any
        // thread, the queue it is holding up.
        let snapshot = self.ready.len();
        counters.ready.set(snapshot as u64);
        counters.tasks.set(self.tasks.len() as u64);
        let mut ran = 0;
        for _ in 0..snapshot {
            let Some(entry) = self.ready.pop() else { break };
            match entry {
                Entry::Task(task) => ran += usize::from(self.run(Runnable::Task(task), main)),
                Entry::Injected => ran += usize::from(self.run_next_injected(main)),
            }
        }
        self.runs_since_poll.set(self.runs_since_poll.get() + ran);
        counters.runs.add(ran as u64);
        counters.ready.set(self.ready.len() as u64);
        counters.tasks.set(self.tasks.len() as u64);
    }

    /// Steps 1 to 3: decide how long to wait, wait, wake what became ready.
    fn poll_reactor(&self) {
        let inject = &self.shared.inject;
        // Step 1.
        let busy = !self.ready.is_empty() || inject.is_notified();
        if busy {
            // While busy, poll without blocking once per POLL_INTERVAL runs,
            // and only if some source is armed: with none, the poll could
            // report nothing (remote wakes come through step 4, timers
            // through step 5), so it would be five system calls for nothing.
            if self.runs_since_poll.get() >= POLL_INTERVAL && self.reactor.has_armed_sources() {
                self.react(Deadline::Now);
            }
            return;
        }
        // Step 2: nothing to run. Sleep until the next timer, unless a
        // producer got in first (`tether_bridge::inject`, rule 3).
        let deadline = self
            .reactor
            .next_timer()
            .map_or(Deadline::Never, Deadline::At);
        // MUTANT: sleep as if no timer were pending: a loop whose only
        // work is a timer never wakes for it.
        #[cfg(tether_mutant = "park_forgets_timers")]
        let deadline = Deadline::Never;
        // With no source armed the poller could only report the wakeup, so
        // the loop sleeps on its own thread instead (see "Where the loop
        // sleeps" above; `Reactor::sleeps_in_poller` has the exception).
        let in_poller = self.reactor.sleeps_in_poller();
        let transition = if in_poller {
            inject.transition_to_parked()
        } else {
            inject.transition_to_parked_thread()
        };
        if transition == TransitionToParked::Sleep {
            self.sleep(in_poller, deadline);
            inject.transition_to_awake();
        }
    }

    /// Sleeps until `deadline`, in the poller or on the thread (step 2),
    /// and wakes what the poller reported (step 3). Out of line, so that
    /// the busy loop's code does not carry it.
    #[inline(never)]
    fn sleep(&self, in_poller: bool, deadline: Deadline) {
        self.shared.counters.parks.add(1);
        // The queue gives back the room a burst made it grow to.
        self.ready.trim_idle();
        if in_poller {
            self.react(deadline);
        } else {
            park_thread(deadline);
        }
    }

    /// Polls the reactor (steps 2 and 3).
    fn react(&self, deadline: Deadline) {
        self.shared.counters.polls.add(1);
        self.runs_since_poll.set(0);
        if let Err(err) = self.reactor.react_sources(deadline) {
            // Only a broken poller fails here (EINTR is retried inside
            // `polling`); a loop that cannot poll cannot go on.
            panic!("tether: the reactor's poller failed: {err}");
        }
    }

    /// Runs the loop until `future` completes; see `Runtime::block_on`.
    pub(crate) fn block_on<F: Future>(
        self: &Rc<Self>,
        future: F,
        called_at: &'static Location<'static>,
    ) -> F::Output {
        let _loop = context::enter_loop(self);
        let _reactor = self.reactor.enter();
        // A `block_on` that a panic of its future ended left the budget of
        // that poll behind: outside a task's poll nothing is counted.
        self.reactor.end_budget();
        let mut future = pin!(future);

        // The future is not a task (it need not be 'static), so a stand-in
        // task receives its wakes: the future's waker is the stand-in's, and
        // each run of the stand-in means "poll the future now". Wakes from
        // any thread, exactly-once scheduling and FIFO order all come from
        // the task machinery, with nothing special for the future.
        let stand_in = StandIn(
            self.spawn(WakeMain, TaskKind::BlockOn, called_at)
                .into_task(),
        );
        let waker = stand_in.0.clone().into_waker();
        let mut cx = Context::from_waker(&waker);

        loop {
            let mut output = None;
            self.run_once(&mut || {
                if output.is_none() {
                    if let Poll::Ready(value) = future.as_mut().poll(&mut cx) {
                        output = Some(value);
                    }
                }
            });
            // `stop` ends `run_forever` only; `block_on` runs to completion.
            self.stop_requested.set(false);
            if let Some(output) = output {
                return output;
            }
        }
    }

    /// Runs the loop until `Handle::stop`; see `Runtime::run_forever`.
    pub(crate) fn run_forever(self: &Rc<Self>) {
        let _loop = context::enter_loop(self);
        let _reactor = self.reactor.enter();
        // At least one iteration, as asyncio's `run_forever` runs one after
        // a `stop()` made before it: a stop that arrived while the loop was
        // not running (taken early by a local submission's step 4) ends the
        // loop after that iteration, not before it.
        loop {
            self.run_once(&mut || {});
            if self.stop_requested.take() {
                break;
            }
        }
        self.run_stop_callbacks();
    }
}

/// Sleeps on the loop's own thread until `deadline`, or until another
/// thread unparks it (`Notify::unpark`, through the injection queue); may
/// also return early, as `std::thread::park` may.
fn park_thread(deadline: Deadline) {
    match deadline {
        Deadline::Never => sync::park(),
        Deadline::At(at) => sync::park_timeout(at.saturating_duration_since(sync::now())),
        Deadline::Now => {}
    }
}

/// The future of the `block_on` stand-in: each poll means "the `block_on`
/// future was woken".
struct WakeMain;

impl Future for WakeMain {
    type Output = ();

    fn poll(self: std::pin::Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        context::with_core(|core| core.main_woken.set(true));
        Poll::Pending
    }
}

/// Cancels the `block_on` stand-in when `block_on` returns or unwinds; the
/// loop drops it at its next run.
struct StandIn(TaskRef);

impl Drop for StandIn {
    fn drop(&mut self) {
        let _ = task::cancel(&self.0);
    }
}
