//! The reactor: the poller, the registered sources, and the timers.
//!
//! One [`Reactor`] belongs to one loop thread. The loop asks it two
//! questions: "what became ready?" ([`Reactor::react`], steps
//! 2 and 3 of the loop) and "which timers expired?" ([`Reactor::fire_timers`],
//! step 5). The answer to both is the same: it wakes the
//! [`Waker`]s that were waiting for that event. The reactor never sees a
//! task, only wakers; what a wake does is the executor's business.
//!
//! # Examples
//!
//! A loop with one future and no executor: poll it, sleep in the poller
//! until its timer is due, fire the timers, poll it again.
//!
//! ```
//! use std::future::Future;
//! use std::pin::pin;
//! use std::task::{Context, Waker};
//! use std::time::{Duration, Instant};
//!
//! use tether_reactor::{Deadline, Reactor};
//!
//! # fn main() -> std::io::Result<()> {
//! let reactor = Reactor::new()?;
//! let _current = reactor.enter();
//! let deadline = Instant::now() + Duration::from_millis(2);
//! let mut sleep = pin!(tether::time::sleep_until(deadline));
//! let mut cx = Context::from_waker(Waker::noop());
//! while sleep.as_mut().poll(&mut cx).is_pending() {
//!     let next = reactor.next_timer().map_or(Deadline::Never, Deadline::At);
//!     reactor.react(next)?;
//!     reactor.fire_timers(Instant::now());
//! }
//! assert!(Instant::now() >= deadline);
//! # Ok(())
//! # }
//! ```
//!
//! # Sources and the poller
//!
//! Every file descriptor the reactor watches is a *source*, kept in the
//! source table (`crate::source_table`). Its slab index, together with a
//! generation number, is the key the poller hands back with each event, so
//! an event finds its source in one step, and an event for a source that is
//! gone finds nothing.
//!
//! Where the poller can (epoll, kqueue), a source is registered
//! edge-triggered for both directions, once: the poller reports each change
//! to ready, and a wait that follows a `WouldBlock` costs no system call. No readiness is lost, because
//! a wait that relies on an edge follows an operation that returned
//! `WouldBlock`: whatever arrives after it is a change, and the kernel keeps
//! the event until the reactor's next wait. Where the poller cannot (event
//! ports, `polling`'s `poll(2)` backend), a source is registered oneshot:
//! after an event the poller reports nothing more for it until it is
//! re-armed with `Poller::modify`, which the table does whenever a direction
//! gains a waiter the poller does not watch, and after each event for the
//! directions that still have waiters. No readiness is lost there either,
//! because arming checks the fd's current state: a source that became ready
//! while disarmed is reported by the next wait. The source table's module
//! docs give the argument in full.
//!
//! # Wakes happen after the dispatch
//!
//! `react` first records every event and collects the wakers to wake, and
//! only then wakes them, with no borrow of the reactor held. A waker is
//! arbitrary code: one that dropped a source or registered a new one while
//! the source table was borrowed would panic, and one that freed a slab slot
//! mid-dispatch could let the next event of the batch reach the slot's new
//! owner. The generation in each key guards against that too.
//!
//! # Sources without a waker
//!
//! With the `process` feature, the reactor also owns sources of its own:
//! the pidfds of children whose `Child` was dropped before they were
//! reaped, and, on a loop that watches its children through `SIGCHLD`, the
//! wakeup fd of its subscription to that signal. Nothing waits for them,
//! so there is no waker to wake; after the dispatch, `react` looks the keys
//! of the events up among them: it reaps the orphans that exited
//! (`process/watch/pidfd.rs`, "Orphans"), and on a `SIGCHLD` re-checks
//! every child of the loop, waking the tasks of those that exited with the
//! rest of the dispatch's wakers (`process/watch/sigchld.rs`).

use std::cell::{Cell, RefCell};
use std::io;
use std::marker::PhantomData;
use std::ptr;
use std::rc::Rc;
use std::sync::Arc;
use std::task::Waker;
use std::time::{Duration, Instant};

use polling::{Event, Events, Poller};
#[cfg(feature = "net")]
use tether_bridge::BlockingPool;
use tether_bridge::sync;

#[cfg(feature = "net")]
use crate::net::{Lookup, Resolving};
#[cfg(feature = "process")]
use crate::process::Children;
use crate::source_table::{SourceKey, SourceTable};
use crate::timer::Timers;
use crate::wakeup::{WAKEUP_KEY, Wakeup};

/// One loop's window onto the operating system: I/O readiness and timers.
///
/// Shared within the loop thread through an `Rc`; the executor owns one and
/// makes it [current](Reactor::enter) while the loop runs, so that
/// [`sleep`](crate::time::sleep) and the I/O types find it.
///
/// It stays on the thread that made it: its timers count from that
/// thread's origin of time, as the thread's sleeps do, so it is neither
/// `Send` nor `Sync`.
///
/// ```compile_fail
/// fn assert_send<T: Send>() {}
/// assert_send::<tether_reactor::Reactor>();
/// ```
///
/// # Examples
///
/// Driving one read by hand: the first poll finds nothing and registers
/// the waker; the reactor's event makes the next poll succeed.
///
/// ```
/// use std::future::Future;
/// use std::io::{Read, Write};
/// use std::os::unix::net::UnixStream;
/// use std::pin::pin;
/// use std::task::{Context, Poll, Waker};
///
/// use tether_reactor::{Deadline, Reactor};
///
/// # fn main() -> std::io::Result<()> {
/// let reactor = Reactor::new()?;
/// let _current = reactor.enter();
/// let (a, mut b) = UnixStream::pair()?;
/// let a = tether::Async::new(a)?;
/// let mut buf = [0; 4];
/// let mut read = pin!(a.read_with(|mut a| a.read(&mut buf)));
/// let mut cx = Context::from_waker(Waker::noop());
/// assert!(read.as_mut().poll(&mut cx).is_pending());
/// b.write_all(b"ping")?;
/// reactor.react(Deadline::Never)?;
/// assert!(matches!(read.as_mut().poll(&mut cx), Poll::Ready(Ok(4))));
/// # Ok(())
/// # }
/// ```
pub struct Reactor {
    /// The OS poller (epoll, kqueue, event ports...). In an `Arc` because
    /// where the wakeup is `Poller::notify`, [`Wakeup`] handles on other
    /// threads hold it.
    poller: Arc<Poller>,
    /// Names this reactor, and no other, for the life of the process
    /// (see [`ReactorId`]).
    id: ReactorId,
    /// Every registered source: its waiters, and what the poller is armed
    /// for.
    sources: RefCell<SourceTable>,
    /// Buffer for the poller's events, reused by every `react`.
    events: RefCell<Events>,
    /// How many times `react` has returned from a wait in the poller,
    /// whether the wait succeeded or failed. Readiness futures compare
    /// against it to tell a new event from an old one.
    tick: Cell<u64>,
    /// The timer wheel and its clock.
    timers: RefCell<Timers>,
    /// The loop's latest clock reading (see [`Reactor::now`]).
    now: Cell<Instant>,
    /// Wakers collected during a dispatch, woken after it; reused.
    to_wake: RefCell<Vec<Waker>>,
    /// The sources whose short reads a check found not empty, woken after
    /// the wait's events (`react`); reused, as `to_wake` is.
    found: RefCell<Vec<SourceKey>>,
    /// The stream sockets whose reader skipped a read after a short one,
    /// each with the tick it was listed at: `react` checks those that
    /// have had no event by its second poll, or before it may block
    /// (`crate::source_table`, "Skipping the read that would fail"). In the
    /// order they were listed, and so of their ticks, which only grow.
    short_reads: RefCell<Vec<(SourceKey, u64)>>,
    /// The keys a check takes off `short_reads`, empty between checks;
    /// reused, as `to_wake` is.
    due: RefCell<Vec<SourceKey>>,
    /// [`Reactor::confirm_short_reads`], once a short read was listed: a
    /// program that reads no stream socket never reaches the check, so it
    /// does not link it either.
    confirm: Cell<Option<ConfirmShortReads>>,
    /// How many more operations on its sources the task being polled may
    /// make before it must yield; `UNLIMITED` outside a task's poll (see
    /// [`Reactor::start_budget`]).
    budget: Cell<u32>,
    /// How other threads end `react`'s wait.
    wakeup: Wakeup,
    /// Where host names are looked up, if not on the blocking pool (see
    /// [`Reactor::set_resolver`]).
    #[cfg(feature = "net")]
    resolver: RefCell<Option<Rc<Resolver>>>,
    /// What gives the loop's blocking pool, where host names are looked
    /// up by default (see [`Reactor::set_blocking_pool`]).
    #[cfg(feature = "net")]
    blocking_pool: RefCell<Option<Rc<dyn Fn() -> BlockingPool>>>,
    /// The loop's children: how their exits are watched, probed on the
    /// first spawn, and the orphans, children dropped before they were
    /// reaped, which the reactor reaps itself (`crate::process`).
    #[cfg(feature = "process")]
    children: Children,
    /// Neither `Send` nor `Sync`, whatever the features: a reactor lives
    /// on the thread that made it, whose origin of time its timers count
    /// from and whose count of sequence numbers its wheel shares
    /// (`crate::timer`).
    _thread: PhantomData<*const ()>,
}

/// Wakes every waker in `to_wake`, emptying it. No borrow of the reactor
/// may be held: a waker may do anything.
fn wake_all(to_wake: &mut Vec<Waker>) {
    for waker in to_wake.drain(..) {
        waker.wake();
    }
}

/// [`Reactor::confirm_short_reads`]'s signature.
type ConfirmShortReads = fn(&Reactor, u64, u64, u64, &mut Vec<SourceKey>) -> bool;

/// A resolver: takes a lookup, returns the future of its answer.
#[cfg(feature = "net")]
type Resolver = dyn Fn(Lookup) -> Resolving;

/// How many operations on its sources a task may make in one poll before
/// it yields: one exchange, a read and a write. See
/// [`Reactor::start_budget`].
pub const BUDGET: u32 = 2;

/// The budget outside a task's poll: not counted.
const UNLIMITED: u32 = u32::MAX;

/// How long [`Reactor::react`] may wait for an event.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
///
/// use tether_reactor::{Deadline, Reactor};
///
/// # fn main() -> std::io::Result<()> {
/// let reactor = Reactor::new()?;
/// // Nothing is registered and nobody wakes it: no event either way.
/// assert_eq!(reactor.react(Deadline::Now)?, 0);
/// let soon = Instant::now() + Duration::from_millis(1);
/// assert_eq!(reactor.react(Deadline::At(soon))?, 0);
/// // Only a wakeup (or an event) ends a wait without a deadline.
/// reactor.wakeup().wake();
/// reactor.react(Deadline::Never)?;
/// assert_eq!(reactor.tick(), 3);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deadline {
    /// Not at all: poll and return.
    Now,
    /// Until this instant.
    At(Instant),
    /// Until an event or a wakeup, however long that takes.
    Never,
}

/// What names one reactor among all those a process ever makes: the thread
/// that made it, and how many that thread had made before. A thread's id
/// is never reused (std's promise), and a reactor lives on the thread that
/// made it, so the pair tells reactors apart where an address, which a
/// later reactor may reuse, would not. It lets a [`SendSleep`](crate::time::SendSleep)
/// hold a timer without holding its reactor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ReactorId {
    /// The thread that made the reactor.
    thread: sync::ThreadId,
    /// How many reactors that thread had made before.
    made_before: u64,
}

impl ReactorId {
    /// The id of a reactor being made on this thread.
    fn next() -> Self {
        let made_before = MADE.with(|made| {
            let count = made.get();
            made.set(count + 1);
            count
        });
        Self {
            thread: sync::current().id(),
            made_before,
        }
    }
}

// Both thread-locals below are the bridge's `const_thread_local!`: std's,
// or a checker's (loom's or shuttle's), since a checker runs every thread
// of a model on one of the OS's.
tether_bridge::sync::const_thread_local! {
    /// How many reactors this thread has made (for [`ReactorId`]).
    static MADE: Cell<u64> = Cell::new(0);
}

tether_bridge::sync::const_thread_local! {
    /// The reactor of the loop running on this thread, or null.
    ///
    /// A pointer made by `Rc::into_raw`, and so one strong reference: the
    /// slot owns it, and so does every guard's `previous` that a pointer
    /// moves into, whichever order the guards drop in. A raw pointer
    /// rather than an `Option<Rc<Reactor>>`, so that the slot has no
    /// destructor: a thread-local with one makes its crate carry std's code
    /// that registers the destructor and aborts if it panics (with the
    /// `RefCell` it replaced, 4.3 KB of every binary). The cost: a guard
    /// leaked with `mem::forget` leaves its reference in the slot, and the
    /// reactor is never freed.
    static CURRENT: Cell<*const Reactor> = Cell::new(ptr::null());
}

/// Makes a reactor current on this thread until dropped.
///
/// Returned by [`Reactor::enter`]; restores whatever was current before.
///
/// # Examples
///
/// ```
/// use std::rc::Rc;
///
/// use tether_reactor::Reactor;
///
/// # fn main() -> std::io::Result<()> {
/// let (outer, inner) = (Reactor::new()?, Reactor::new()?);
/// let _outer = outer.enter();
/// {
///     let _inner = inner.enter();
///     assert!(Rc::ptr_eq(&Reactor::current().unwrap(), &inner));
/// }
/// // The guard's drop put the outer reactor back.
/// assert!(Rc::ptr_eq(&Reactor::current().unwrap(), &outer));
/// # Ok(())
/// # }
/// ```
#[must_use = "the reactor stops being current when the guard is dropped"]
pub struct EnterGuard {
    /// What was current before `enter`: null, or a pointer that owns a
    /// strong reference (`CURRENT`'s doc).
    previous: *const Reactor,
}

// ===== impl Reactor =====

impl Reactor {
    /// Creates a reactor with its own poller.
    ///
    /// # Errors
    ///
    /// Fails if the OS refuses a file descriptor the poller or the wakeup
    /// needs (on Linux an epoll instance, the poller's notifier (an
    /// eventfd, or a pipe if that fails), and the wakeup's own eventfd),
    /// for example when the process has run out of them.
    ///
    /// # Examples
    ///
    /// ```
    /// use tether_reactor::{Deadline, Reactor};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let reactor = Reactor::new()?;
    /// // It watches nothing and has no timer yet.
    /// assert!(!reactor.has_armed_sources());
    /// assert_eq!(reactor.next_timer(), None);
    /// assert_eq!(reactor.react(Deadline::Now)?, 0);
    /// # Ok(())
    /// # }
    /// ```
    pub fn new() -> io::Result<Rc<Self>> {
        let poller = Poller::new()?;
        let edge = poller.supports_edge();
        Self::with_poller(poller, edge)
    }

    /// A reactor whose sources are registered oneshot even where the poller
    /// could do edges, so that tests cover both modes.
    #[cfg(test)]
    pub(crate) fn new_oneshot() -> io::Result<Rc<Self>> {
        Self::with_poller(Poller::new()?, false)
    }

    fn with_poller(poller: Poller, edge: bool) -> io::Result<Rc<Self>> {
        let poller = Arc::new(poller);
        let now = sync::now();
        // The thread's origin of time, which its sleeps count from too.
        let origin = crate::timer::origin(|| now);
        let wakeup = Wakeup::new(&poller)?;
        Ok(Rc::new(Self {
            poller,
            id: ReactorId::next(),
            sources: RefCell::new(SourceTable::new(edge)),
            events: RefCell::new(Events::new()),
            tick: Cell::new(0),
            timers: RefCell::new(Timers::new(origin, now)),
            now: Cell::new(now),
            to_wake: RefCell::new(Vec::new()),
            found: RefCell::new(Vec::new()),
            short_reads: RefCell::new(Vec::new()),
            due: RefCell::new(Vec::new()),
            confirm: Cell::new(None),
            budget: Cell::new(UNLIMITED),
            wakeup,
            #[cfg(feature = "net")]
            resolver: RefCell::new(None),
            #[cfg(feature = "net")]
            blocking_pool: RefCell::new(None),
            #[cfg(feature = "process")]
            children: Children::default(),
            _thread: PhantomData,
        }))
    }

    /// The reactor of the loop running on this thread, if one is.
    ///
    /// # Examples
    ///
    /// ```
    /// use tether_reactor::Reactor;
    ///
    /// assert!(Reactor::current().is_none());
    /// tether::run(async {
    ///     // The loop makes its reactor current while it runs.
    ///     assert!(Reactor::current().is_some());
    /// });
    /// assert!(Reactor::current().is_none());
    /// ```
    pub fn current() -> Option<Rc<Self>> {
        let current = CURRENT.with(Cell::get);
        if current.is_null() {
            return None;
        }
        // SAFETY: a non-null `CURRENT` came from `Rc::into_raw` and owns a
        // strong reference (its doc), so the reactor is alive; the new
        // reference is counted before `from_raw` makes an `Rc` of it.
        unsafe {
            Rc::increment_strong_count(current);
            Some(Rc::from_raw(current))
        }
    }

    /// Makes this reactor [current](Reactor::current) until the guard drops.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    ///
    /// use tether_reactor::Reactor;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let reactor = Reactor::new()?;
    /// let guard = reactor.enter();
    /// assert!(Rc::ptr_eq(&Reactor::current().unwrap(), &reactor));
    /// drop(guard);
    /// assert!(Reactor::current().is_none());
    /// # Ok(())
    /// # }
    /// ```
    pub fn enter(self: &Rc<Self>) -> EnterGuard {
        // The slot's strong reference, and the one it held moves to the guard.
        let previous = CURRENT.with(|current| current.replace(Rc::into_raw(self.clone())));
        EnterGuard { previous }
    }

    /// Gives this reactor the loop's blocking pool: from now on its sockets
    /// look host names up there, as a job on the pool, while the loop runs
    /// on. (The runtime's builder gives every loop's reactor a function
    /// that gives its pool instead, [`set_blocking_pool_with`], so that
    /// the pool is made only when a job needs it.)
    ///
    /// Only a host-name lookup uses it, so a program that never looks a
    /// name up never links the code that hands jobs to the pool: the pool
    /// is handed over as data, and the code that uses it is reached only
    /// from the sockets' address resolution (`net/addr.rs`). See [the
    /// module docs of `net`](crate::net#name-resolution).
    ///
    /// [`set_blocking_pool_with`]: Reactor::set_blocking_pool_with
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// use tether_bridge::{BlockingPool, PoolConfig};
    /// use tether_reactor::Reactor;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let reactor = Reactor::new()?;
    /// let pool = BlockingPool::new(PoolConfig {
    ///     max_threads: None,
    ///     cpu_count: PoolConfig::std_cpu_count,
    ///     keep_alive: Duration::from_secs(10),
    ///     thread_name: "lookups".to_owned(),
    /// });
    /// reactor.set_blocking_pool(pool.clone());
    /// # pool.shutdown(Duration::from_secs(1));
    /// # Ok(())
    /// # }
    /// ```
    #[cfg(feature = "net")]
    pub fn set_blocking_pool(&self, pool: BlockingPool) {
        self.set_blocking_pool_with(move || pool.clone());
    }

    /// Like [`set_blocking_pool`](Reactor::set_blocking_pool), for a pool
    /// made when the first lookup needs it: each lookup calls `pool`,
    /// which returns the same pool every time, made on the first call.
    /// A runtime gives its reactor its own pool this way, so that a
    /// program that neither looks a name up nor runs a blocking job never
    /// makes one.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::cell::OnceCell;
    /// use std::rc::Rc;
    /// use std::time::Duration;
    ///
    /// use tether_bridge::{BlockingPool, PoolConfig};
    /// use tether_reactor::Reactor;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let reactor = Reactor::new()?;
    /// let pool = Rc::new(OnceCell::new());
    /// let made = Rc::clone(&pool);
    /// reactor.set_blocking_pool_with(move || {
    ///     let config = || PoolConfig {
    ///         max_threads: None,
    ///         cpu_count: PoolConfig::std_cpu_count,
    ///         keep_alive: Duration::from_secs(10),
    ///         thread_name: "lookups".to_owned(),
    ///     };
    ///     made.get_or_init(|| BlockingPool::new(config())).clone()
    /// });
    /// assert!(pool.get().is_none(), "no lookup yet, no pool");
    /// # Ok(())
    /// # }
    /// ```
    #[cfg(feature = "net")]
    pub fn set_blocking_pool_with(&self, pool: impl Fn() -> BlockingPool + 'static) {
        *self.blocking_pool.borrow_mut() = Some(Rc::new(pool));
    }

    /// Sets where the sockets of this reactor look host names up instead
    /// of the blocking pool: `resolver` gets each [`Lookup`] and returns a
    /// future, polled on the loop, of its answer. Replaces the resolver set
    /// before.
    ///
    /// The system resolver blocks, so a resolver runs it on another
    /// thread, or answers without it (from a cache, say). With no resolver
    /// and no [blocking pool](Reactor::set_blocking_pool), a reactor runs
    /// each lookup on its own thread, where the socket asks for it,
    /// blocking it meanwhile, as std does. See
    /// [the module docs of `net`](crate::net#name-resolution) and
    /// [`Lookup`'s example](Lookup#examples).
    #[cfg(feature = "net")]
    pub fn set_resolver(&self, resolver: impl Fn(Lookup) -> Resolving + 'static) {
        *self.resolver.borrow_mut() = Some(Rc::new(resolver));
    }

    /// The future of `lookup`'s answer: from the resolver if one is set,
    /// else from a job on the blocking pool, else the answer itself,
    /// looked up here.
    #[cfg(feature = "net")]
    pub(crate) fn resolve(&self, lookup: Lookup) -> Resolving {
        // Cloned out, so that a resolver may use the reactor.
        let resolver = self.resolver.borrow().clone();
        if let Some(resolver) = resolver {
            return resolver(lookup);
        }
        let pool = self.blocking_pool.borrow().clone();
        match pool {
            Some(pool) => Box::pin(lookup.on_pool(&pool())),
            None => Box::pin(std::future::ready(lookup.run())),
        }
    }

    /// A handle that wakes this reactor's `react` from any thread, shown in
    /// [`Wakeup`'s example](Wakeup#examples).
    pub fn wakeup(&self) -> Wakeup {
        self.wakeup.clone()
    }

    /// How many times [`react`](Reactor::react) has returned from a wait
    /// in the poller, whether the wait succeeded or failed, shown in
    /// [`Deadline`'s example](Deadline#examples).
    pub fn tick(&self) -> u64 {
        self.tick.get()
    }

    /// [`react`](Reactor::react), for a reactor that has registered a
    /// source; 0 at once from one that never has, whose poller holds
    /// nothing but the wakeup. It reaches `react` through a pointer that the
    /// first registration sets, which keeps the poller's wait out of a
    /// program that registers no source. The loop calls this only when a
    /// source is armed ([`sleeps_in_poller`](Reactor::sleeps_in_poller),
    /// [`has_armed_sources`](Reactor::has_armed_sources)), which takes a
    /// registration, so for the loop the pointer is always set.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::unix::net::UnixStream;
    ///
    /// use tether_reactor::{Deadline, Reactor};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let reactor = Reactor::new()?;
    /// let _current = reactor.enter();
    /// // Nothing registered: nothing to wait for, whatever the deadline.
    /// assert_eq!(reactor.react_sources(Deadline::Never)?, 0);
    /// let (a, _b) = UnixStream::pair()?;
    /// let _a = tether::Async::new(a)?;
    /// // Registered: the poller's wait, as `react`.
    /// let polls = reactor.tick();
    /// reactor.react_sources(Deadline::Now)?;
    /// assert_eq!(reactor.tick(), polls + 1);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// As [`react`](Reactor::react).
    pub fn react_sources(&self, deadline: Deadline) -> io::Result<usize> {
        let react = self.sources.borrow().react();
        match react {
            Some(react) => react(self, deadline),
            None => Ok(0),
        }
    }

    /// Steps 2 and 3 of the loop: waits for I/O events until `deadline` (or
    /// an event, or a [`Wakeup`]), then wakes every waker waiting for a
    /// source that became ready. Returns the number of events.
    ///
    /// Before a wait that may block, and after every wait, it also checks
    /// the stream sockets whose readers skipped a read after a short one
    /// and that no event has answered (`crate::source_table`, "Skipping
    /// the read that would fail"); a check that finds something to read
    /// wakes the reader as an event would, without counting as one, and
    /// makes the wait not block. The readers that the check before the
    /// wait finds are woken with the wait's events, in the order the
    /// kernel queued them.
    ///
    /// # Errors
    ///
    /// Returns the poller's error; an interrupted wait (`EINTR`) is retried
    /// inside `polling` and never seen here.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::Future;
    /// use std::io::Write;
    /// use std::os::unix::net::UnixStream;
    /// use std::pin::pin;
    /// use std::sync::Arc;
    /// use std::sync::atomic::{AtomicBool, Ordering};
    /// use std::task::{Context, Wake, Waker};
    ///
    /// use tether_reactor::{Deadline, Reactor};
    ///
    /// /// A waker that records that it was woken.
    /// struct Flag(AtomicBool);
    ///
    /// impl Wake for Flag {
    ///     fn wake(self: Arc<Self>) {
    ///         self.0.store(true, Ordering::SeqCst);
    ///     }
    /// }
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let reactor = Reactor::new()?;
    /// let _current = reactor.enter();
    /// let (a, mut b) = UnixStream::pair()?;
    /// let a = tether::Async::new(a)?;
    /// let flag = Arc::new(Flag(AtomicBool::new(false)));
    /// let waker = Waker::from(flag.clone());
    /// let mut readable = pin!(a.readable());
    /// assert!(readable.as_mut().poll(&mut Context::from_waker(&waker)).is_pending());
    /// b.write_all(b"ping")?;
    /// assert!(reactor.react(Deadline::Now)? >= 1);
    /// assert!(flag.0.load(Ordering::SeqCst), "react woke the waiting waker");
    /// assert!(readable.as_mut().poll(&mut Context::from_waker(&waker)).is_ready());
    /// # Ok(())
    /// # }
    /// ```
    pub fn react(&self, mut deadline: Deadline) -> io::Result<usize> {
        let old_tick = self.tick.get();
        let tick = old_tick + 1;
        let mut to_wake = self.to_wake.take();
        // Set once a short read was listed; see the field.
        let confirm = self.confirm.get();
        // A wait that may block first confirms every short read still
        // listed; if one was not empty after all, its reader has work now,
        // and is woken with the wait's events (below).
        let mut found = self.found.take();
        if deadline != Deadline::Now
            && confirm.is_some_and(|confirm| confirm(self, u64::MAX, old_tick, tick, &mut found))
        {
            deadline = Deadline::Now;
        }
        let mut events = self.events.borrow_mut();
        events.clear();
        #[cfg(not(any(loom, shuttle)))]
        let waited = match deadline {
            Deadline::Now => self.poller.wait(&mut events, Some(Duration::ZERO)),
            Deadline::At(deadline) => self.poller.wait_deadline(&mut events, deadline),
            Deadline::Never => self.poller.wait(&mut events, None),
        };
        // Under a model checker the poller never blocks: what is ready now,
        // and the sleep, if nothing is, on the checker's own wait
        // (`wakeup/model.rs`).
        #[cfg(any(loom, shuttle))]
        let waited = self
            .poller
            .wait(&mut events, Some(Duration::ZERO))
            .inspect(|&count| match deadline {
                _ if count > 0 => {}
                Deadline::Now => {}
                Deadline::At(deadline) => self.wakeup.sleep_in_model(Some(deadline)),
                Deadline::Never => self.wakeup.sleep_in_model(None),
            });
        if let Err(err) = waited {
            drop(events);
            // What the check before the wait found is woken all the same.
            self.tick.set(tick);
            self.sources.borrow_mut().wake_readers(&found, &mut to_wake);
            found.clear();
            self.found.replace(found);
            wake_all(&mut to_wake);
            self.to_wake.replace(to_wake);
            return Err(err);
        }
        self.tick.set(tick);
        self.dispatch(events.iter(), tick, &mut to_wake);
        // The sources the reactor owns (its orphans' pidfds, its SIGCHLD
        // subscription) carry no waker to wake: it looks their keys up
        // among the events it just dispatched.
        #[cfg(feature = "process")]
        self.children.after_dispatch(self, &events, &mut to_wake);
        let count = events.len();
        drop(events);
        // The short reads listed before the previous poll that no event has
        // answered in two polls.
        if let Some(confirm) = confirm {
            confirm(self, tick - 1, tick, tick, &mut found);
        }
        // The readers the checks found and no event woke, after those the
        // events woke: a reader that the check before the wait found has
        // its event in this wait (unless only an end of file or an error
        // waits, or more events were ready than the wait returns), and is
        // woken there, in the order the kernel queued the events
        // (`crate::source_table`, "Skipping the read that would fail", has
        // why).
        if !found.is_empty() {
            self.sources.borrow_mut().wake_readers(&found, &mut to_wake);
            found.clear();
        }
        self.found.replace(found);
        wake_all(&mut to_wake);
        self.to_wake.replace(to_wake);
        Ok(count)
    }

    /// Gives the task about to be polled its budget: [`BUDGET`] operations
    /// on its sources (reads and writes through [`Async`](crate::Async)
    /// that did not return `WouldBlock`), after which each operation
    /// yields instead:
    /// it wakes the task, which goes to the back of the ready queue, and
    /// returns `Pending`. The loop calls it before every poll of a task,
    /// and [`end_budget`](Reactor::end_budget) after.
    ///
    /// Without it, a task whose peer always has the next message ready
    /// when it asks (a client thread that the task's own write woke, and
    /// that answered before the loop went on) serves that one connection
    /// for as long as this lasts, while every other one waits: its reads
    /// succeed, so it never waits for the reactor, which would put it
    /// back in line. A loop is fair when each ready connection has one
    /// turn per round, and a turn of a request-response protocol is one
    /// exchange, so the budget is two operations. Accepting connections is
    /// not counted (see `Async::accept_with`). tokio has the same rule
    /// with 128 operations (its `coop` budget); with 50 connections of 64
    /// byte echoes, each driven by a client thread, 128 gave tether a
    /// 99th-percentile round trip of 8 ms, 8 gave 4.4 ms and 2 gave 0.9 ms,
    /// with more round trips per second, not fewer (the harness's
    /// `tcp_echo_50` client against a build with each budget).
    /// A yield costs a trip through the ready queue, a fraction of the
    /// system call it comes between.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::cell::Cell;
    /// use std::io::{Read, Write};
    /// use std::os::unix::net::UnixStream;
    /// use std::rc::Rc;
    ///
    /// use tether::Async;
    /// use tether_reactor::BUDGET;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// tether::run(async {
    ///     let (a, mut b) = UnixStream::pair()?;
    ///     let a = Async::new(a)?;
    ///     let reads = 2 * BUDGET as usize;
    ///     b.write_all(&vec![7; reads])?;
    ///     let other_ran = Rc::new(Cell::new(false));
    ///     tether::spawn({
    ///         let other_ran = other_ran.clone();
    ///         async move { other_ran.set(true) }
    ///     });
    ///     // Every read finds a byte, so none has to wait; still, more
    ///     // reads than one poll's budget make this task yield, and the
    ///     // other task runs in between.
    ///     for _ in 0..reads {
    ///         a.read_with(|mut a| a.read(&mut [0; 1])).await?;
    ///     }
    ///     assert!(other_ran.get());
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn start_budget(&self) {
        self.budget.set(BUDGET);
    }

    /// Ends the budget of [`start_budget`](Reactor::start_budget): outside
    /// a task's poll, operations are not counted.
    pub fn end_budget(&self) {
        self.budget.set(UNLIMITED);
    }

    /// Before an operation: `Ready` while the running task has budget
    /// left; once it is spent, wakes the task and returns `Pending`, so
    /// that it yields.
    pub(crate) fn poll_budget(&self, cx: &mut std::task::Context<'_>) -> std::task::Poll<()> {
        if self.budget.get() == 0 {
            cx.waker().wake_by_ref();
            return std::task::Poll::Pending;
        }
        std::task::Poll::Ready(())
    }

    /// After an operation that did not return `WouldBlock`: takes it from
    /// the running task's budget. One that would block is not counted:
    /// its task waits anyway, and counting it would let futures polled
    /// side by side in one task (a `join` of a child's three pipes, say)
    /// spend the budget on waiting while the one that could go on never
    /// gets a turn.
    pub(crate) fn spend_budget(&self) {
        let left = self.budget.get();
        if left != UNLIMITED && left > 0 {
            self.budget.set(left - 1);
        }
    }

    /// Lists the source of `key`, a stream socket whose reader just skipped
    /// a read after a short one, for `react` to confirm.
    pub(crate) fn list_short_read(&self, key: SourceKey) {
        self.short_reads.borrow_mut().push((key, self.tick.get()));
        self.confirm.set(Some(Self::confirm_short_reads));
    }

    /// How many short reads are listed for `react` to confirm.
    #[cfg(test)]
    pub(crate) fn short_reads_listed(&self) -> usize {
        self.short_reads.borrow().len()
    }

    /// Unlists every short read listed before tick `due_before`, and asks
    /// the kernel, in one system call, whether each has something to read
    /// after all ([`SourceTable::confirm_short_reads`], with `empty_at`
    /// and `event_at`); the keys of those that had go to `found`. Returns
    /// whether one had.
    fn confirm_short_reads(
        &self,
        due_before: u64,
        empty_at: u64,
        event_at: u64,
        found: &mut Vec<SourceKey>,
    ) -> bool {
        let mut listed = self.short_reads.borrow_mut();
        // Listed in the order of their ticks (the field): the due ones
        // come first.
        let due_count = listed.partition_point(|&(_, at)| at < due_before);
        if due_count == 0 {
            return false;
        }
        let mut due = self.due.take();
        due.extend(listed.drain(..due_count).map(|(key, _)| key));
        drop(listed);
        let any = self
            .sources
            .borrow_mut()
            .confirm_short_reads(&mut due, empty_at, event_at, found);
        due.clear();
        self.due.replace(due);
        any
    }

    /// Records `events` as ready at `tick` and collects the wakers to wake.
    ///
    /// Separate from `react` so that a test can hand it an event the poller
    /// would never deliver, such as one for a source that was replaced.
    pub(crate) fn dispatch(
        &self,
        events: impl Iterator<Item = Event>,
        tick: u64,
        to_wake: &mut Vec<Waker>,
    ) {
        let mut sources = self.sources.borrow_mut();
        for event in events {
            // The wakeup's only job was to end the wait.
            if event.key != WAKEUP_KEY {
                sources.deliver(&self.poller, &event, tick, to_wake);
            }
        }
    }

    /// Whether the poller watches any source at all.
    ///
    /// While it does not, a non-blocking poll can report no source, and what
    /// it could report of the wakeup (written only by a producer that found
    /// the loop parked, `tether_bridge::inject`) the loop learns from the
    /// injection queue anyway; so the busy loop skips such polls.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::Future;
    /// use std::os::unix::net::UnixStream;
    /// use std::pin::pin;
    /// use std::task::{Context, Waker};
    ///
    /// use tether_reactor::Reactor;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let reactor = Reactor::new()?;
    /// let _current = reactor.enter();
    /// assert!(!reactor.has_armed_sources());
    /// let (a, _b) = UnixStream::pair()?;
    /// {
    ///     let a = tether::Async::new(a)?;
    ///     let mut readable = pin!(a.readable());
    ///     let mut cx = Context::from_waker(Waker::noop());
    ///     assert!(readable.as_mut().poll(&mut cx).is_pending());
    ///     // Registered (edge-triggered) or waited on (oneshot): the poller
    ///     // watches it.
    ///     assert!(reactor.has_armed_sources());
    /// }
    /// // `a` is gone, and with it the only source.
    /// assert!(!reactor.has_armed_sources());
    /// # Ok(())
    /// # }
    /// ```
    // Inlined: a busy loop with nothing armed asks on every iteration.
    #[inline]
    pub fn has_armed_sources(&self) -> bool {
        self.sources.borrow().has_armed()
    }

    /// Whether a loop with nothing to run must sleep in the poller, rather
    /// than on its own thread: some source is armed, or, with the `process`
    /// feature, the poller refused an orphaned child's pidfd, and only a
    /// wait in the poller tries it again (`process/watch/pidfd.rs`). A loop
    /// for which this is false could be woken by the poller only through
    /// the wakeup.
    ///
    /// # Examples
    ///
    /// ```
    /// use tether_reactor::Reactor;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let reactor = Reactor::new()?;
    /// let _current = reactor.enter();
    /// assert!(!reactor.sleeps_in_poller());
    /// let socket = std::net::UdpSocket::bind("127.0.0.1:0")?;
    /// let _socket = tether::Async::new(socket)?;
    /// assert!(reactor.sleeps_in_poller());
    /// # Ok(())
    /// # }
    /// ```
    pub fn sleeps_in_poller(&self) -> bool {
        #[cfg(feature = "process")]
        if self.children.has_unwatched_orphans() {
            return true;
        }
        self.has_armed_sources()
    }

    /// Step 5 of the loop: records `now` as the loop's clock reading
    /// (unless an earlier call recorded a later one), and wakes the waker
    /// of every timer whose deadline, rounded up to the wheel's 100 µs tick,
    /// is at or before it, in order of their exact deadlines, then of
    /// arming. Returns how many fired.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::Future;
    /// use std::pin::pin;
    /// use std::task::{Context, Waker};
    /// use std::time::{Duration, Instant};
    ///
    /// use tether_reactor::{Deadline, Reactor};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let reactor = Reactor::new()?;
    /// let _current = reactor.enter();
    /// let mut sleep = pin!(tether::time::sleep(Duration::from_millis(2)));
    /// let mut cx = Context::from_waker(Waker::noop());
    /// assert!(sleep.as_mut().poll(&mut cx).is_pending());
    /// // The loop's clock has not moved yet: nothing is due.
    /// assert_eq!(reactor.fire_timers(reactor.now()), 0);
    /// let next = reactor.next_timer().unwrap();
    /// while Instant::now() < next {
    ///     reactor.react(Deadline::At(next))?;
    /// }
    /// assert_eq!(reactor.fire_timers(Instant::now()), 1);
    /// assert!(sleep.as_mut().poll(&mut cx).is_ready());
    /// # Ok(())
    /// # }
    /// ```
    pub fn fire_timers(&self, now: Instant) -> usize {
        self.now.set(now.max(self.now.get()));
        let mut to_wake = self.to_wake.take();
        self.timers.borrow_mut().expire(now, &mut to_wake);
        let fired = to_wake.len();
        for waker in to_wake.drain(..) {
            waker.wake();
        }
        self.to_wake.replace(to_wake);
        fired
    }

    /// The loop's latest clock reading, as given to
    /// [`fire_timers`](Reactor::fire_timers) or read by
    /// [`time::now`](crate::time::now): never ahead of the real clock as
    /// long as `fire_timers` is given clock readings, as the executor does,
    /// and as fresh as the last iteration that had a timer pending, or the
    /// last `time::now`. A deadline at or before it has certainly passed.
    /// The timer wheel keeps the latest of the reading taken when the
    /// reactor was made and those given to `fire_timers`, rounded down to
    /// its 100 µs tick, as its own now: a timer armed with a deadline at or
    /// before that is due at once, in the next `fire_timers`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Instant;
    ///
    /// use tether_reactor::Reactor;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let reactor = Reactor::new()?;
    /// let created = reactor.now();
    /// let later = Instant::now();
    /// reactor.fire_timers(later);
    /// assert_eq!(reactor.now(), later);
    /// // The loop's clock never goes back.
    /// reactor.fire_timers(created);
    /// assert_eq!(reactor.now(), later);
    /// # Ok(())
    /// # }
    /// ```
    pub fn now(&self) -> Instant {
        self.now.get()
    }

    /// Reads the clock and keeps the reading as the loop's latest (what
    /// [`now`](Reactor::now) returns from then on), unless it already has a
    /// later one: [`time::now`](crate::time::now).
    pub(crate) fn read_clock(&self) -> Instant {
        let now = sync::now().max(self.now.get());
        self.now.set(now);
        now
    }

    /// When the loop next needs to run [`fire_timers`](Reactor::fire_timers):
    /// no later than the earliest timer's deadline rounded up to the wheel's
    /// 100 µs tick. `None` if no timer is set, or if the next one lies beyond
    /// what an `Instant` can hold.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::Future;
    /// use std::pin::pin;
    /// use std::task::{Context, Waker};
    /// use std::time::{Duration, Instant};
    ///
    /// use tether_reactor::Reactor;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let reactor = Reactor::new()?;
    /// let _current = reactor.enter();
    /// assert_eq!(reactor.next_timer(), None);
    /// let deadline = Instant::now() + Duration::from_millis(5);
    /// {
    ///     let mut sleep = pin!(tether::time::sleep_until(deadline));
    ///     assert!(sleep.as_mut().poll(&mut Context::from_waker(Waker::noop())).is_pending());
    ///     let next = reactor.next_timer().unwrap();
    ///     assert!(next <= deadline + Duration::from_millis(1));
    /// }
    /// // Dropping the sleep disarmed its timer.
    /// assert_eq!(reactor.next_timer(), None);
    /// # Ok(())
    /// # }
    /// ```
    pub fn next_timer(&self) -> Option<Instant> {
        self.timers.borrow().next_deadline()
    }

    /// Whether any timer is pending: what the loop asks every iteration
    /// before it reads the clock and fires timers (its step 5). Inlined,
    /// and cheaper than [`next_timer`](Reactor::next_timer), which finds
    /// the earliest deadline.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::Future;
    /// use std::pin::pin;
    /// use std::task::{Context, Waker};
    /// use std::time::Duration;
    ///
    /// use tether_reactor::Reactor;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let reactor = Reactor::new()?;
    /// let _current = reactor.enter();
    /// assert!(!reactor.has_timers());
    /// let mut sleep = pin!(tether::time::sleep(Duration::from_secs(5)));
    /// assert!(sleep.as_mut().poll(&mut Context::from_waker(Waker::noop())).is_pending());
    /// assert!(reactor.has_timers());
    /// # Ok(())
    /// # }
    /// ```
    #[inline]
    pub fn has_timers(&self) -> bool {
        !self.timers.borrow().is_empty()
    }

    /// Which reactor this is, among every one the process makes.
    pub(crate) fn id(&self) -> &ReactorId {
        &self.id
    }

    /// The timers, for the time types of this crate.
    pub(crate) fn timers(&self) -> &RefCell<Timers> {
        &self.timers
    }

    /// The poller, for [`crate::source`], which registers fds with it.
    pub(crate) fn poller(&self) -> &Poller {
        &self.poller
    }

    /// The source table, for [`crate::source`].
    pub(crate) fn sources(&self) -> &RefCell<SourceTable> {
        &self.sources
    }

    /// The loop's children, for [`crate::process`].
    #[cfg(feature = "process")]
    pub(crate) fn children(&self) -> &Children {
        &self.children
    }
}

impl std::fmt::Debug for Reactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reactor")
            .field("sources", &self.sources.borrow().len())
            .field("timers", &self.timers.borrow().len())
            .field("tick", &self.tick.get())
            .finish_non_exhaustive()
    }
}

impl Drop for Reactor {
    fn drop(&mut self) {
        #[cfg(feature = "process")]
        self.children.release(self);
        self.wakeup.deregister(&self.poller);
    }
}

// ===== impl EnterGuard =====

impl Drop for EnterGuard {
    fn drop(&mut self) {
        // The guard's reference moves back into the slot, and the slot's is
        // released. The slot has no destructor, so it is there even while
        // the thread exits.
        let current = CURRENT.with(|current| current.replace(self.previous));
        if !current.is_null() {
            // SAFETY: a non-null `CURRENT` came from `Rc::into_raw` and owns
            // a strong reference (its doc), which the slot no longer holds.
            drop(unsafe { Rc::from_raw(current) });
        }
    }
}

impl std::fmt::Debug for EnterGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnterGuard").finish_non_exhaustive()
    }
}
