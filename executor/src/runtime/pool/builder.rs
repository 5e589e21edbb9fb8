//! [`LoopPoolBuilder`]: how many loops, their names, their cores, the
//! connection cap, and each loop's runtime settings.

use std::io;
use std::num::NonZeroUsize;

use tether_bridge::sync::Arc;
use tether_bridge::{Completion, Sequence, Spread};

use super::{LoopPool, affinity};
use crate::runtime::{Builder, LoopThread, Runtime};

/// The default cap on each loop's live connections: actix-server's
/// default per worker (`max_concurrent_connections`, 25,600), well above
/// what one core serves at once, so that it only stops a flood.
pub(crate) const DEFAULT_MAX_CONNECTIONS: usize = 25_600;

/// Sets up each loop's runtime: takes the builder the pool made (already
/// named) and the loop's index.
type Configure = std::sync::Arc<dyn Fn(Builder, usize) -> Builder + Send + Sync>;

/// Configures and starts a [`LoopPool`].
///
/// Made by [`LoopPool::builder`].
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// # fn main() -> std::io::Result<()> {
/// let pool = tether::LoopPool::builder()
///     .loops(2)
///     .name("web")
///     .max_connections_per_loop(1000)
///     .runtime(|builder, _index| builder.max_blocking_threads(2).shutdown_timeout(Duration::from_secs(1)))
///     .build()?;
/// let names = pool.on_every_loop(|_| async { std::thread::current().name().map(str::to_owned) });
/// let names: Vec<_> = names.into_iter().map(|name| name.unwrap().wait().unwrap()).collect();
/// assert_eq!(names, [Some("web-0".to_owned()), Some("web-1".to_owned())]);
/// assert_eq!(pool.handle(1).unwrap().name(), Some("web-1"));
/// pool.stop();
/// # Ok(())
/// # }
/// ```
#[must_use = "a LoopPoolBuilder does nothing until `build` is called"]
pub struct LoopPoolBuilder {
    /// How many loops; `None` for one per available core.
    loops: Option<usize>,
    /// Loop `i` and its thread are named `{name}-{i}`.
    name: String,
    /// Pin loop `i` to the `i`-th CPU this thread may use.
    pin: bool,
    /// The most live connections a loop may hold.
    max_connections: usize,
    /// Each loop's runtime settings.
    configure: Configure,
}

impl LoopPool {
    /// A builder to choose the number of loops, their names, pinning, the
    /// connection cap and each loop's runtime. Shown in
    /// [`LoopPoolBuilder`'s example](LoopPoolBuilder#examples).
    pub fn builder() -> LoopPoolBuilder {
        LoopPoolBuilder {
            loops: None,
            name: "tether-pool".to_owned(),
            pin: false,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            configure: std::sync::Arc::new(|builder, _| builder),
        }
    }
}

impl LoopPoolBuilder {
    /// How many loops (default: one per core this process may use,
    /// `std::thread::available_parallelism`). Shown in
    /// [`LoopPoolBuilder`'s example](LoopPoolBuilder#examples).
    pub fn loops(mut self, loops: usize) -> Self {
        self.loops = Some(loops);
        self
    }

    /// Names the loops: loop `i` and its thread are `{name}-{i}` (default
    /// `tether-pool`), which debug mode's reports and
    /// [`LoopPool::metrics`] show. Shown in
    /// [`LoopPoolBuilder`'s example](LoopPoolBuilder#examples).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Pins loop `i` to one CPU, the `i`-th (modulo their number) of those
    /// the building thread may run on (default: off). A pinned loop keeps
    /// its core's caches and never competes with another loop for a core;
    /// it also cannot move off a core that something else keeps busy.
    ///
    /// # Implementation notes
    ///
    /// Linux and Android only (`sched_setaffinity(2)`); elsewhere,
    /// [`build`](LoopPoolBuilder::build) fails with `Unsupported` rather
    /// than run unpinned without saying so.
    ///
    /// A child process spawned from a pinned loop's thread inherits its
    /// one CPU, as the children of any pinned thread do, and so do its own
    /// children: a program that runs child processes from a pinned loop
    /// and wants them spread widens their mask in the child
    /// (`sched_setaffinity` in a `pre_exec` hook), or spawns them from a
    /// thread that is not pinned. The same holds for the loop's blocking
    /// pool, which its loop's thread makes: its threads run on the loop's
    /// CPU, and its default size (`Builder::max_blocking_threads`) counts
    /// that one CPU, five threads; a program whose blocking jobs need the
    /// other cores sets the size, and widens the mask in its jobs.
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> std::io::Result<()> {
    /// # if !cfg!(target_os = "linux") { return Ok(()) }
    /// let pool = tether::LoopPool::builder().loops(2).pin_to_cores(true).build()?;
    /// // Each loop's thread may now run on one CPU only.
    /// let allowed = pool.spawn_on(0, || async {
    ///     let status = std::fs::read_to_string("/proc/thread-self/status").unwrap();
    ///     let line = status.lines().find(|l| l.starts_with("Cpus_allowed_list:")).unwrap();
    ///     line.split_whitespace().nth(1).unwrap().to_owned()
    /// });
    /// let allowed = allowed.unwrap().wait().unwrap();
    /// assert!(allowed.parse::<usize>().is_ok(), "{allowed}"); // one CPU, not a range
    /// # Ok(())
    /// # }
    /// ```
    pub fn pin_to_cores(mut self, pin: bool) -> Self {
        self.pin = pin;
        self
    }

    /// The most connections the pool's servers hand one loop at once
    /// (default 25,600, actix-server's). Once every loop a server may use
    /// is at the cap, the server stops accepting until a connection ends:
    /// new clients wait in the listening socket's backlog. A cap of 0
    /// counts as 1. Shown in
    /// [`LoopPoolBuilder`'s example](LoopPoolBuilder#examples).
    pub fn max_connections_per_loop(mut self, cap: usize) -> Self {
        self.max_connections = cap;
        self
    }

    /// Sets up each loop's runtime: `configure` gets the [`Builder`] the
    /// pool made for loop `index`, already [named](Builder::name), and
    /// returns it with any other settings (debug mode, the exception
    /// handler, the blocking pool's size). It runs on the loop's own
    /// thread, so what it installs need not be `Send`. Shown in
    /// [`LoopPoolBuilder`'s example](LoopPoolBuilder#examples).
    pub fn runtime(
        mut self,
        configure: impl Fn(Builder, usize) -> Builder + Send + Sync + 'static,
    ) -> Self {
        self.configure = std::sync::Arc::new(configure);
        self
    }

    /// Starts every loop, each on its own thread, and waits until all are
    /// ready.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for zero loops; `Unsupported` for pinning where it
    /// is not supported; otherwise the first loop that could not start,
    /// its error naming it. The loops started before it are stopped.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::ErrorKind;
    /// # fn main() -> std::io::Result<()> {
    /// let err = tether::LoopPool::builder().loops(0).build().unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::InvalidInput);
    ///
    /// let pool = tether::LoopPool::builder().loops(3).build()?;
    /// assert_eq!(pool.loops(), 3);
    /// # Ok(())
    /// # }
    /// ```
    pub fn build(self) -> io::Result<LoopPool> {
        let count = match self.loops {
            Some(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "a LoopPool needs at least one loop",
                ));
            }
            Some(count) => count,
            None => std::thread::available_parallelism().map_or(1, NonZeroUsize::get),
        };
        let cpus = if self.pin {
            Some(affinity::allowed_cpus()?)
        } else {
            None
        };
        let mut loops = Vec::with_capacity(count);
        for index in 0..count {
            let name = format!("{}-{index}", self.name);
            let cpu = cpus
                .as_ref()
                .and_then(|cpus| cpus.get(index % cpus.len().max(1)).copied());
            let configure = self.configure.clone();
            let runtime_name = name.clone();
            let started = LoopThread::builder()
                .name(name.clone())
                .runtime(move || -> io::Result<Runtime> {
                    if let Some(cpu) = cpu {
                        affinity::pin_current_thread(cpu)?;
                    }
                    configure(Runtime::builder().name(runtime_name), index).build()
                })
                .spawn();
            match started {
                Ok(lt) => loops.push(lt),
                Err(err) => {
                    // The loops already started stop as `loops` drops.
                    return Err(io::Error::new(
                        err.kind(),
                        format!("loop {name} could not start: {err}"),
                    ));
                }
            }
        }
        Ok(LoopPool {
            loops,
            spread: Arc::new(Spread::new(count, self.max_connections)),
            next: Sequence::starting_at(0),
            closing: Arc::new(Completion::new()),
        })
    }
}

impl std::fmt::Debug for LoopPoolBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoopPoolBuilder")
            .field("loops", &self.loops)
            .field("name", &self.name)
            .field("pin", &self.pin)
            .field("max_connections", &self.max_connections)
            .finish_non_exhaustive()
    }
}
