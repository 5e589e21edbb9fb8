//! Shutdown: what dropping a [`Runtime`](crate::Runtime) does to its loop.
//!
//! In order: the loop's signal handlers are removed (with the `signal`
//! feature), the injection queue closes (from then on, other threads get their
//! submissions back in `Closed`), what got in before is taken as in any
//! iteration, the callbacks already queued run and then the stop callbacks, and
//! every live task's future is dropped here, on the loop thread, each task
//! completing as cancelled (so a `ThreadFuture` waiting on one resolves). Last,
//! the blocking pool shuts down: queued jobs never start, running ones get
//! until the shutdown timeout. Together this keeps the promise that every
//! submission from another thread is either handed back in `Closed` or
//! accepted: an accepted callback is called exactly once, and an accepted task
//! runs, or is dropped here with its `ThreadFuture` resolved as cancelled; no
//! thread waits forever for a result.

use std::rc::Rc;

use super::Core;
use super::context;
use super::ready_queue::{Entry, Runnable};
use crate::id::TaskKind;

impl Core {
    /// Shuts the loop down on this thread, which is its own; the loop is
    /// current for the whole shutdown, so that futures dropped here can
    /// still find it.
    pub(crate) fn shutdown(self: &Rc<Self>) {
        let _current = context::enter_for_shutdown(self);
        let _reactor = self.reactor.enter();
        // Signal handlers go first, while nothing else has changed: each
        // puts back its signal's disposition if it was the last subscriber.
        self.remove_signal_handlers();
        // From now on other threads get their submissions back; what got in
        // before is taken as one batch, run in its turn below, as in any
        // iteration.
        let mut batch = self.ready.spare();
        let rest = self.shared.inject.close(&mut batch);
        // MUTANT: lose what the close took: those submissions are neither
        // run nor cancelled, and whoever waits for them waits forever.
        #[cfg(tether_mutant = "shutdown_loses_close_batch")]
        batch.clear();
        self.ready.push_batch(batch);
        self.shared.counters.submissions.add(rest as u64);
        // Callbacks that were due run now, in their order (a timed one is
        // queued only once its timer has fired, so it calls its closure
        // too, or once it was cancelled, so its run drops it; one not yet
        // due is not queued, and is dropped below with the tasks); tasks
        // keep their place, to be dropped below; a stop callback is
        // registered.
        let queued = self.ready.len();
        let mut ran = 0;
        for _ in 0..queued {
            let Some(entry) = self.ready.pop() else { break };
            let runnable = match entry {
                Entry::Task(task) => Some(Runnable::Task(task)),
                Entry::Injected => self.take_next_injected(),
            };
            match runnable {
                Some(Runnable::Task(task)) if task.header().kind != TaskKind::Callback => {
                    self.ready.push(task);
                }
                Some(callback) => ran += u64::from(self.run(callback, &mut || {})),
                None => {}
            }
        }
        // Runs as any iteration's are, so that `Metrics::runs` counts them.
        self.shared.counters.runs.add(ran);
        // Stop callbacks that arrived after `run_forever` returned: the loop
        // stops for good now.
        // MUTANT: forget them: a stop callback registered as the loop
        // stopped never runs.
        #[cfg(not(tether_mutant = "shutdown_skips_late_stop_callbacks"))]
        self.run_stop_callbacks();
        // Dropping a future may spawn a task (which lands in the list, to be
        // dropped in the next round) or wake one (which lands in the ready
        // queue, to be released below): repeat until the list stays empty.
        loop {
            let tasks = self.tasks.drain();
            if tasks.is_empty() {
                break;
            }
            for task in tasks {
                task.shut_down(self);
            }
        }
        self.tasks.clear_names();
        // Every item of the closed queue was taken before the pass above
        // and run or listed in it; nothing comes in once the queue is
        // closed.
        let left = self.ready.clear();
        debug_assert_eq!(left, 0, "an injected item left untaken at shutdown");
        self.shared.counters.ready.set(0);
        self.shared.counters.tasks.set(0);
        // Blocking jobs: queued ones never start (their `ThreadFuture`s
        // resolve as cancelled when they are dropped here); running ones
        // get until the timeout.
        self.blocking.shut_down(self.shutdown_timeout);
    }
}
