//! The loop's blocking pool, made by the first job that needs it.
//!
//! Most programs never run a blocking job, and a pool made for each
//! runtime would cost them twice: at run time, an allocation for threads
//! that never start; in the binary, the pool's making, shutdown and drop,
//! with the count of the CPUs the process may use (`process_cpu_count`,
//! one system call) that sets the pool's default size: 8,304 bytes of a
//! stripped hello world (`scripts/size_guard.sh`, before and after).
//!
//! So the runtime keeps only the pool's settings, and the first job makes
//! the pool: a `spawn_blocking`, or a host name looked up on a socket
//! (the `net` feature). Shutdown and drop reach the pool through a trait
//! object made where the pool is made, so their code is linked only into
//! a program that can make one, one that calls `spawn_blocking` or has
//! sockets: the trick of the task list's table of names (`task_list.rs`).
//!
//! Loop thread only: the pool itself is `tether_bridge`'s, shared with its
//! threads under the bridge's rules; what is lazy here is its making,
//! which only the loop does.

use std::any::Any;
use std::cell::{Cell, OnceCell};
use std::num::NonZeroUsize;
use std::time::Duration;

use tether_bridge::{BlockingPool, PoolConfig};

use crate::id::TaskKind;
use crate::task::reporting;

/// The blocking pool of one loop: its settings until a job needs it,
/// then the pool.
pub(crate) struct LazyPool {
    /// The most threads that run jobs at once (`Builder::max_blocking_threads`).
    max_threads: Option<NonZeroUsize>,
    /// How long an idle thread waits before it exits
    /// (`Builder::blocking_keep_alive`).
    keep_alive: Duration,
    /// The pool, once made; see the module docs for the trait object.
    made: OnceCell<Box<dyn MadePool>>,
    /// The loop shut down: a pool made now is made shut down.
    closed: Cell<bool>,
}

/// What the loop does with a pool once made, other than submit to it.
trait MadePool {
    /// The pool, to submit to.
    fn pool(&self) -> &BlockingPool;
    /// Shuts it down, as `BlockingPool::shutdown` does; queued jobs are
    /// dropped unstarted.
    fn shut_down(&self, timeout: Duration);
}

impl MadePool for BlockingPool {
    fn pool(&self) -> &BlockingPool {
        self
    }

    fn shut_down(&self, timeout: Duration) {
        let (unstarted, _) = self.shutdown(timeout);
        // What a job holds is the program's, and its destructor may panic:
        // each job is dropped apart, a panic going to the exception
        // handler of the loop, current in its shutdown.
        let report = |payload: &(dyn Any + Send)| {
            super::report_panic(None, TaskKind::Blocking, payload);
        };
        for job in unstarted {
            reporting(&report, || drop(job));
        }
    }
}

impl LazyPool {
    /// A pool with these settings, to be made when first needed.
    pub(crate) fn new(max_threads: Option<NonZeroUsize>, keep_alive: Duration) -> Self {
        Self {
            max_threads,
            keep_alive,
            made: OnceCell::new(),
            closed: Cell::new(false),
        }
    }

    /// The pool, made now if no job needed it before. After `shut_down`,
    /// a pool made now is shut down at once, so that it refuses the job,
    /// as the pool would have had it been made before.
    pub(crate) fn get(&self) -> &BlockingPool {
        self.made
            .get_or_init(|| {
                let pool = BlockingPool::new(PoolConfig {
                    max_threads: self.max_threads,
                    cpu_count: tether_reactor::process_cpu_count,
                    keep_alive: self.keep_alive,
                    thread_name: "tether-blocking".to_owned(),
                });
                if self.closed.get() {
                    pool.shut_down(Duration::ZERO);
                }
                Box::new(pool)
            })
            .pool()
    }

    /// Shuts the pool down if a job made it (see
    /// `BlockingPool::shutdown`): queued jobs never start, running ones get
    /// until `timeout`.
    pub(crate) fn shut_down(&self, timeout: Duration) {
        self.closed.set(true);
        if let Some(made) = self.made.get() {
            made.shut_down(timeout);
        }
    }

    /// Whether a job made the pool.
    #[cfg(test)]
    pub(crate) fn is_made(&self) -> bool {
        self.made.get().is_some()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;

    use super::*;

    fn lazy() -> LazyPool {
        LazyPool::new(NonZeroUsize::new(2), Duration::from_secs(10))
    }

    #[test]
    fn the_first_job_makes_the_pool_and_runs_on_it() {
        let pool = lazy();
        assert!(!pool.is_made());
        let (tx, rx) = mpsc::channel();
        pool.get()
            .spawn(Box::new(move || {
                tx.send(std::thread::current().name().map(String::from))
                    .unwrap()
            }))
            .unwrap();
        assert!(pool.is_made());
        assert_eq!(rx.recv().unwrap().as_deref(), Some("tether-blocking"));
        pool.shut_down(Duration::from_secs(10));
        assert!(
            pool.get().spawn(Box::new(|| {})).is_err(),
            "a shut-down pool took a job"
        );
    }

    #[test]
    fn a_pool_never_made_is_made_shut_down_after_the_loop_shut_down() {
        let pool = lazy();
        pool.shut_down(Duration::from_secs(10));
        assert!(!pool.is_made(), "shutting down made a pool");
        assert!(
            pool.get().spawn(Box::new(|| {})).is_err(),
            "a job started after shutdown"
        );
        assert_eq!(pool.get().threads(), 0);
    }
}
