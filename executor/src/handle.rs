//! `Handle`: a loop seen from any thread.

use std::sync::Arc;

use crate::context;
use crate::metrics::Metrics;
use crate::shared::{Injected, Shared};

/// A reference to a loop that any thread may hold.
///
/// asyncio: the loop object, as another thread uses it.
///
/// `Send + Sync + Clone`; cheap to clone. It keeps working after the loop
/// has shut down: its operations then report that the loop is closed.
#[derive(Clone)]
pub struct Handle {
    /// The loop's shared state.
    shared: Arc<Shared>,
}

impl Handle {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        Self { shared }
    }

    /// The handle of the loop running on this thread.
    ///
    /// # Panics
    ///
    /// Panics if no tether loop runs on this thread; use
    /// [`Runtime::handle`](crate::Runtime::handle) to get one beforehand.
    #[track_caller]
    pub fn current() -> Handle {
        Self::try_current().expect(
            "tether: Handle::current() called outside a tether loop; \
             take a Handle from Runtime::handle() and pass it to this thread",
        )
    }

    /// The handle of the loop running on this thread, if one is.
    pub fn try_current() -> Option<Handle> {
        context::with_core(|core| Handle::new(core.shared.clone()))
    }

    /// Makes `run_forever` return once the current iteration is finished.
    ///
    /// asyncio: `loop.stop()`, or `loop.call_soon_threadsafe(loop.stop)`
    /// from another thread.
    ///
    /// Works from any thread. Called inside the loop (from a task or a
    /// callback), the loop stops at the end of the current iteration, as
    /// asyncio's does. From any other thread, the request travels the
    /// injection queue, so whatever that thread submitted before `stop`
    /// runs before the loop stops. It has no effect on `block_on`, which
    /// runs until its future completes, nor on a closed loop.
    pub fn stop(&self) {
        let stopped_here = context::with_core(|core| {
            let local = Arc::ptr_eq(&core.shared, &self.shared);
            if local {
                core.stop_requested.set(true);
            }
            local
        });
        if stopped_here != Some(true) {
            // Closed: the loop is gone, and with it anything to stop.
            let _ = self.shared.inject.push(Injected::Stop);
        }
    }

    /// Whether the loop has shut down (its runtime was dropped).
    ///
    /// asyncio: `loop.is_closed()`.
    pub fn is_closed(&self) -> bool {
        self.shared.inject.is_closed()
    }

    /// The loop's counters so far.
    pub fn metrics(&self) -> Metrics {
        let counters = &self.shared.counters;
        Metrics {
            iterations: counters.iterations.get(),
            polls: counters.polls.get(),
            parks: counters.parks.get(),
            runs: counters.runs.get(),
            submissions: counters.submissions.get(),
            wakeup_writes: self.shared.inject.wakeup_writes(),
        }
    }
}

impl std::fmt::Debug for Handle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handle")
            .field("closed", &self.is_closed())
            .finish_non_exhaustive()
    }
}
