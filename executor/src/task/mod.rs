//! Tasks: what a spawned future becomes, and how the loop runs one.
//!
//! A task is a future plus the state that lets any thread wake it while only
//! the loop thread runs it. [`raw`] holds the allocation (the executor's
//! `unsafe` code but for `core/remote_call.rs` and `core/context.rs`),
//! [`join`] the [`JoinHandle`],
//! [`maker`] the future of a `Handle::spawn_with`, and this module the three
//! things that happen to a task:
//!
//! - **a wake** ([`wake_by_ref`], [`wake_by_val`]): the state word says
//!   whether this wake must queue the task; if so it goes straight into the
//!   ready queue when the wake happens on its loop thread inside the loop,
//!   and through the loop's injection queue otherwise;
//! - **a run** ([`TaskRef::run`]): the loop polls the future once (or drops
//!   it, if the task was cancelled), then the task goes idle, goes back into
//!   the ready queue because the run woke it (a wake from another thread
//!   during the run has queued it already), or completes;
//! - **a shutdown** ([`TaskRef::shut_down`]): the runtime is dropped, and
//!   the loop drops the future of a task that will never run again.
//!
//! The state word and its rules are `tether_bridge::task_state`'s. Every
//! transition that adds or releases a reference is made in `raw.rs`, which
//! hands back the queue entry that owns the reference, so nothing here can
//! forge or lose a count.
//!
//! # The life of a wake
//!
//! A task `T` of a loop `L` waits for something another thread `W`
//! provides: a value in a channel, the end of a blocking job. `T`'s poll
//! stored its waker where `W` finds it and returned `Pending`; `T` went
//! idle, and `L`, with nothing else to run and some socket to watch, went
//! to sleep in the poller. Then `W` calls `waker.wake()`. Hop by hop (a
//! loop that watched no source would have slept on its thread instead:
//! hops 5 to 8 then say `PARKED_THREAD`, `LoopWakeup::unpark` and
//! `std::thread::park`, and one `futex` call replaces the eventfd's write
//! and the poller's wait):
//!
//! | hop | file: function | what happens |
//! |-----|----------------|--------------|
//! | 1 | `executor/src/task/raw.rs`: `waker_wake` | std calls the waker's vtable; the waker's reference to `T` becomes a `TaskRef` |
//! | 2 | `task/mod.rs`: [`wake_by_val`] → `raw.rs`: `TaskRef::transition_to_scheduled_by_val` → `bridge/src/task_state.rs`: `TaskState::transition_to_scheduled_by_val` | a compare-exchange on `T`'s state word (retried if another thread changed the word meanwhile): `T` was idle, so it becomes `SCHEDULED` and the waker's reference becomes the queue entry (rule 2 there). Had `T` been queued already, the wake would only have set a bit and released the reference; had it been running, the wake would have queued it all the same, with `QUEUED` telling the end of the run to leave it there (rule 3) |
//! | 3 | `task/mod.rs`: `schedule` → `core/context.rs`: `push_ready_if_local` | `W` runs no loop (no loop is current on its thread), so the entry cannot go into a ready queue directly |
//! | 4 | `core/shared.rs`: `Shared::push` → `bridge/src/inject.rs`: `Inject::push` | the entry, as `Injected::Task`, goes into `L`'s injection queue; then a Release swap writes `NOTIFIED` into the queue's state word |
//! | 5 | `inject.rs`: `Inject::push` | the swap found `PARKED`: `L` sleeps, and `W`, the one producer whose swap found it, must wake it (rule 2 there). A producer that finds `NOTIFIED` writes nothing |
//! | 6 | `core/shared.rs`: `LoopWakeup::notify` → `reactor/src/wakeup/mod.rs`: `Wakeup::wake` → `wakeup/eventfd.rs`: `Eventfd::wake` | one 8-byte `write` to `L`'s eventfd (on Linux; `polling`'s notifier elsewhere) |
//! | 7 | on `L`: `core/run_loop.rs`: `Core::poll_reactor` → `Core::sleep` → `Core::react` → `reactor/src/reactor.rs`: `Reactor::react_sources` → `Reactor::react`, through the pointer the source table set when `L`'s first source was registered | the eventfd's edge ends `L`'s `epoll_wait`; `Reactor::dispatch` passes over the wakeup's event, whose only job was to end the wait |
//! | 8 | `run_loop.rs`: `Core::poll_reactor` → `Inject::transition_to_awake` | the load finds `NOTIFIED`, so no `PARKED -> EMPTY` is tried; the word stays so for step 4 |
//! | 9 | `run_loop.rs`: `Core::run_once`, step 4 → `core/mod.rs`: `Core::take_injected` → `Inject::take` → `core/ready_queue.rs`: `ReadyQueue::push_batch` | an Acquire swap writes `EMPTY` (it pairs with the swap of hop 4, so `W`'s push is visible), then, under the buffer's lock, the queued items are taken by swapping buffers, none copied: the batch keeps one place at the back of the ready queue |
//! | 10 | `run_loop.rs`: `Core::run_once`, step 6 → `ReadyQueue::pop` → `core/mod.rs`: `Core::run_next_injected` → `ReadyQueue::pop_injected` → `Core::accept` → `Core::run` → `task/mod.rs`: [`TaskRef::run`] | in FIFO order, the batch's turn comes, and its items run one after another: `Injected::Task`, with `T`'s reference, comes back to run; `transition_to_running` clears `SCHEDULED` and sets `RUNNING` in a compare-exchange whose Acquire pairs with hop 2's Release, so the poll sees whatever `W` did before it woke `T` |
//! | 11 | `raw.rs`: `TaskRef::poll` → `TaskCell::poll`, through the vtable | `T`'s future is polled in place; it finds what `W` provided |
//!
//! If `T` returns `Pending` again, `go_idle` releases the run's reference,
//! or, if the poll woke `T` itself, makes it the queue entry again and puts
//! `T` at the back of the ready queue. (Had `W` woken `T` again during the
//! poll, that wake would have queued `T` through hops 3 to 9 at once, and
//! `go_idle` would only release the run's reference.) A wake on `L`'s own thread,
//! inside the loop (a task waking another, a timer, an I/O event), takes a
//! shorter path: hop 3 finds `L` current and `Core::schedule` pushes the
//! entry into the ready queue, after the relaxed load with which every
//! local submission first takes what other threads sent (step 4, see
//! `core/run_loop.rs`, "One queue"); hops 4 to 9 never happen, and no
//! atomic read-modify-write is made but the state word's.
//!
//! # The life of an I/O read that would block
//!
//! `T` reads from a `TcpStream` whose peer has sent nothing yet:
//!
//! | hop | file: function | what happens |
//! |-----|----------------|--------------|
//! | 1 | `reactor/src/net/tcp.rs`: `TcpStream::read` → `net/mod.rs`: `read` → `reactor/src/async_fd.rs`: `Async::read_stream` | `read(2)` on the non-blocking socket returns `WouldBlock`, and `Registration::note_read` records the receive queue as empty |
//! | 2 | `async_fd.rs`: `Async::read_stream` → `reactor/src/source.rs`: `Registration::next_event` | a `Readiness` future for the next read event |
//! | 3 | `source.rs`: `Readiness::poll` | `T`'s waker goes into the source's read waiters, and the future notes the reactor's tick, the count of its returns from the poller; it returns `Pending`, and so does `T`'s poll |
//! | 4 | `source.rs`: `Readiness::poll` → `reactor/src/source_table.rs`: `SourceTable::rearm` | on epoll and kqueue, nothing: the socket has been registered edge-triggered for both directions since it was made (`SourceTable::insert`), so waiting costs no system call. On the oneshot pollers, one `modify` arms it for reading |
//! | 5 | `task/mod.rs`: [`TaskRef::run`] → `go_idle` → `raw.rs`: `TaskRef::transition_to_idle` | nobody woke `T` during the run: it goes idle, and the run's reference is released. Only the waker in the source can wake `T` now |
//! | 6 | the kernel | data arrives; the socket becomes readable, and epoll records an edge for it |
//! | 7 | `core/run_loop.rs`: `Core::poll_reactor` (→ `Core::sleep`, for a blocking poll) → `Core::react` → `reactor/src/reactor.rs`: `Reactor::react_sources` → `Reactor::react` | `L`'s next poll of the reactor (a blocking one if it has nothing to run, or the non-blocking one it makes once `POLL_INTERVAL` task runs have gone by) returns the event, keyed with the source's slab index and generation; the reactor's tick moves on |
//! | 8 | `reactor.rs`: `Reactor::dispatch` → `source_table.rs`: `SourceTable::deliver` | the key's generation matches the source's, so the event is this source's: the read direction is stamped with the new tick, and its wakers move to the reactor's list of wakers to wake (a oneshot source is re-armed for the waiters left) |
//! | 9 | `reactor.rs`: `Reactor::react` | after the whole batch, with the source table no longer borrowed, each waker is woken: hops 1 and 2 of the wake above, on `L`'s thread inside the loop, so `T` goes straight into the ready queue |
//! | 10 | `core/run_loop.rs`: `Core::run_once`, step 6 → [`TaskRef::run`] | `T` is polled; `Readiness::poll` finds the read direction stamped with a tick newer than the one it noted, and returns `Ready` |
//! | 11 | `async_fd.rs`: `Async::read_stream` | the event made the recorded empty queue stale, so the loop of `read_stream` calls `read(2)` again, and this time it returns the bytes |
//!
//! Why no readiness can be lost between hops 1 and 4, in either poller
//! mode, is argued in `reactor/src/source_table.rs`.
//!
//! Readiness is only a hint, and the operation is the truth: if the second
//! `read` blocked again (another reader took the bytes), `read_stream`
//! would wait again, from hop 2. Had `T` been polled between hops 5 and
//! 10 for another reason, its read would have been skipped, not tried: no
//! event had come since the `WouldBlock` (`source_table.rs`, "Skipping the
//! read that would fail").
//!
//! # The import cycle with the loop core
//!
//! This module and `core/` import each other, and the crate keeps that one
//! cycle on purpose. The loop core holds tasks (its ready queue and task
//! list are made of `TaskRef`s) and runs them ([`TaskRef::run`]); a task's
//! wake must reach its loop: the ready queue through the thread-local
//! current loop, or the injection queue through the `Shared` half every
//! task's header points to (hops 3 and 4 above). Breaking the cycle would
//! take a trait object between the two, an indirect call on every wake
//! and every run, for no reader's gain: the two layers are one mechanism
//! seen from its two ends. Everything else in the crate imports them from
//! above.

mod join;
mod maker;
mod raw;

use std::any::Any;
use std::task::Context;

use tether_bridge::{TransitionToRunning, WakeFrom};

pub use join::{JoinError, JoinHandle};
pub(crate) use maker::Maker;
pub(crate) use raw::{
    JoinRef, SharedTaskRef, TaskRef, Unsubmitted, allocate, allocate_maker, allocate_send,
    reporting,
};

use crate::core::{self, Core, Injected};
use raw::CancelRequest;

// ===== wakes =====

/// A wake that keeps the waker (`Waker::wake_by_ref`). Any thread.
pub(crate) fn wake_by_ref(task: &TaskRef) {
    if let Some(entry) = task.transition_to_scheduled_by_ref(wake_from) {
        schedule(entry);
    }
}

/// A wake that consumes the waker (`Waker::wake`). Any thread.
pub(crate) fn wake_by_val(task: TaskRef) {
    if let Some(entry) = task.transition_to_scheduled_by_val(wake_from) {
        schedule(entry);
    }
}

/// Where a wake of `task` comes from: its loop, running on this thread, or
/// elsewhere (which decides what the wake of a running task does).
fn wake_from(task: &TaskRef) -> WakeFrom {
    if core::is_current_loop(&task.header().shared) {
        WakeFrom::Loop
    } else {
        WakeFrom::Elsewhere
    }
}

/// Queues a task that a transition just scheduled; `task` is the queue
/// entry's reference.
fn schedule(task: TaskRef) {
    // On the task's own loop, inside the loop: the ready queue, with no
    // atomic read-modify-write beyond the state word's.
    if let Err(task) = core::push_ready_if_local(task) {
        inject(task);
    }
}

/// Queues a task through its loop's injection queue: the way in from
/// anywhere but the loop itself, including the loop's own thread when its
/// loop is not current (outside `block_on`, `run_forever` and shutdown).
fn inject(task: TaskRef) {
    // Hold the loop's shared state for the whole push: the task itself may
    // be the last thing keeping it alive, and once pushed it can be run
    // and dropped by the loop before `push` returns.
    let shared = task.header().shared.clone();
    // A closed queue means the loop is shutting down or has shut down, and
    // its shutdown completes every task: the entry is handed back and
    // dropped, releasing its reference.
    let _ = shared.push(Injected::Task(task));
}

/// Requests cancellation: the loop drops the future at the task's next run.
/// Returns false if the task already finished or was cancelled. Any thread.
pub(crate) fn cancel(task: &TaskRef) -> bool {
    match task.transition_to_cancelled(wake_from) {
        CancelRequest::Submit(entry) => {
            schedule(entry);
            true
        }
        CancelRequest::Requested => true,
        CancelRequest::TooLate => false,
    }
}

// ===== runs =====

impl TaskRef {
    /// Runs the task once: polls it, or drops its future if it was
    /// cancelled. Loop thread; `self` is the queue entry's reference.
    /// Returns false if there was nothing to run: the task had completed
    /// since another thread queued this entry.
    pub(crate) fn run(self, core: &Core) -> bool {
        let (id, kind) = (self.id(), self.header().kind);
        let report = |payload: &(dyn Any + Send)| core.report_panic(Some(id), kind, payload);
        match self.transition_to_running() {
            TransitionToRunning::Poll => {
                // The run owns a reference, so a borrowed waker is enough;
                // a future that keeps the waker clones it, taking its own.
                let waker = self.borrowed_waker();
                if self
                    .poll(&mut Context::from_waker(&waker), &report)
                    .is_pending()
                {
                    self.go_idle(core);
                    return true;
                }
            }
            TransitionToRunning::Cancel => self.cancel(&report),
            // Queued by another thread's wake during the run that completed
            // it: dropping the entry releases its reference.
            TransitionToRunning::Complete => return false,
        }
        self.complete(&report);
        core.unlist(&self);
        true
    }

    /// After a `Pending` poll: back into the ready queue if the run woke the
    /// task (one a wake from another thread queued stays where it is).
    fn go_idle(self, core: &Core) {
        if let Some(entry) = self.transition_to_idle() {
            core.schedule(entry);
        }
    }

    /// The future is gone: mark the task complete, wake the `JoinHandle`'s
    /// owner. Another executor's waker runs code tether does not know, and a
    /// panic there goes to `report`: it must not unwind through the loop,
    /// which would leave the task listed with no future. A task's own waker
    /// (another task, or a `block_on`, awaiting the handle) is woken
    /// directly, and the guard kept out of line, so that the common path
    /// stays as small as it was.
    fn complete(&self, report: raw::Report<'_>) {
        self.transition_to_complete();
        if let Some(waker) = self.header().join_waker.take() {
            if raw::is_task_waker(&waker) {
                waker.wake();
            } else {
                wake_guarded(waker, report);
            }
        }
    }

    /// Drops the future of a task that will never run again, because its
    /// runtime is shutting down. Loop thread, outside any run; `self` is the
    /// task list's reference, already taken out of the list.
    pub(crate) fn shut_down(self, core: &Core) {
        if self.transition_to_running_for_shutdown() {
            let (id, kind) = (self.id(), self.header().kind);
            let report = |payload: &(dyn Any + Send)| core.report_panic(Some(id), kind, payload);
            self.cancel(&report);
            self.complete(&report);
        }
    }
}

/// Wakes another executor's `waker`; a panic in it goes to `report`.
#[cold]
#[inline(never)]
fn wake_guarded(waker: std::task::Waker, report: raw::Report<'_>) {
    raw::reporting(report, || waker.wake());
}
