//! Unix signals, as futures: [`Signal`] and [`ctrl_c`].
//!
//! asyncio: `loop.add_signal_handler`, in the form of something to await
//! (the callback form is `tether::add_signal_handler`).
//!
//! A [`Signal`] subscribes the current loop to one signal number; its
//! [`recv`](Signal::recv) completes once per wakeup and says how many
//! deliveries of the signal it stands for. Any number of loops, on any
//! threads, may subscribe to the same signal, and each receives every
//! delivery. asyncio, by contrast, handles signals on the main thread
//! only, and a second loop there that adds a handler silently takes the
//! signal from the first (`signal.set_wakeup_fd` is one per process).
//!
//! ```
//! use tether_reactor::signal::{SIGUSR1, Signal};
//!
//! # fn main() -> std::io::Result<()> {
//! tether::run(async {
//!     let usr1 = Signal::new(SIGUSR1)?;
//!     let pid = std::process::id().to_string();
//!     // Another process signals this one.
//!     std::process::Command::new("kill").args(["-USR1", &pid]).status()?;
//!     assert!(usr1.recv().await? >= 1);
//!     Ok(())
//! })
//! # }
//! ```
//!
//! # One signal, followed from the kernel to the task
//!
//! | hop | where | what happens |
//! |-----|-------|--------------|
//! | 1 | the kernel | picks a thread of the process that does not block the signal, interrupts it, and runs tether's handler on it; a standard signal sent again before that is merged into the pending one |
//! | 2 | `handler.rs`, `on_signal` | saves `errno`, calls the table's `deliver` |
//! | 3 | `bridge/src/signal.rs`, `deliver` | counts the run; for each subscription of the signal, counts the delivery in its slot, then calls `wake` with its token |
//! | 4 | `handler.rs`, `wake` | writes 8 bytes to the subscription's eventfd (a pipe elsewhere: `wake_fd.rs`); `errno` is put back, the handler returns |
//! | 5 | the loop's poller | the eventfd is a source of the subscriber's loop like any socket: the poller reports it readable, ending the loop's sleep if it was parked (if the handler ran on the loop thread itself, the poller's `epoll_wait` returned `EINTR`, and `polling` waits again, finding the fd readable) |
//! | 6 | `source_table.rs`, `deliver`, then `reactor.rs`, `react` | `deliver` collects the waker of the task waiting in `recv`; `react` wakes it once the dispatch is over |
//! | 7 | this file, `Signal::try_take` (through `recv`'s `read_with`, or `poll_recv`) | reads the fd until it would block, then takes the slot's count: not zero, so `recv` returns it |
//!
//! # Decisions
//!
//! *A handler and an fd per subscription.* `signalfd` would need the
//! signal blocked in every thread of the process, which a library cannot
//! promise, and gives each signal to one reader only. A process-wide
//! self-pipe read by one dispatcher needs a thread or a chosen loop. An
//! fd per subscription makes each loop's wakeup its own, through the
//! machinery every socket uses, and makes the handler's work a loop of
//! writes.
//!
//! *The count lives in the table, not in the fd.* So a pipe that fills up
//! loses nothing (`wake_fd.rs`), and the protocol that keeps counts
//! exact is in the bridge, where loom checks it.
//!
//! *Restoring the disposition.* The first subscriber of a signal installs
//! tether's handler and saves what it replaced; the last one to leave (a
//! `Signal` dropped, a handler removed) puts that back. A program that
//! handles Ctrl-C during a graceful shutdown and then drops its `Signal`
//! is killed by the next Ctrl-C, as a program without a handler would be.
//! tokio never restores (its registry cannot), so a second Ctrl-C is
//! swallowed; asyncio puts back the default (Python's `KeyboardInterrupt`
//! handler for `SIGINT`), not whatever was there before, so a signal
//! ignored by the parent (`nohup`) is no longer ignored after; tether puts
//! back what was there. If something other than tether replaced tether's
//! handler in between, that one is left in place.
//!
//! *No chaining.* While tether's handler is installed, a handler another
//! library installed before it does not run: tether does not call it from
//! its own. signal-hook's registry, which tokio and async-signal use,
//! chains to the handler it found installed, and calls it as well;
//! asyncio and libuv do not. A
//! foreign handler may not be async-signal-safe, may expect `SA_SIGINFO`
//! arguments tether does not have, or may be the default action of the
//! signal, which would defeat the subscriber (a `SIGTERM` handled by a
//! graceful shutdown must not also kill the process). The foreign handler
//! comes back when tether's last subscriber leaves.
//!
//! *Refused signals.* `SIGKILL` and `SIGSTOP` cannot be caught; `SIGSEGV`,
//! `SIGBUS`, `SIGILL` and `SIGFPE` report a fault of the thread they
//! interrupt, and a handler that returns makes the thread fault again.
//! [`Signal::new`] refuses them with `InvalidInput` and says why.
//!
//! *Flags.* The handler is installed with `SA_RESTART`: a system call it
//! interrupts on another thread (a blocking read in a `spawn_blocking`
//! job) is restarted instead of failing with `EINTR`, which code that does
//! not expect signals rarely retries. The loop does not need it: its wait
//! in the poller ends with `EINTR` whatever the flag, and is retried. For
//! `SIGCHLD`, when the disposition tether replaces is `SIG_IGN` or has
//! `SA_NOCLDWAIT`, tether's handler gets `SA_NOCLDWAIT` too: a program
//! that ignores `SIGCHLD` has the kernel reap its children as they exit,
//! and subscribing to the signal must not turn that off and leave every
//! child of the program's other code a zombie. Linux still sends the
//! signal with `SA_NOCLDWAIT` set, so the subscribers hear it.
//!
//! *The reactor's own subscriptions.* A `Signal` is awaited by a task.
//! The reactor itself subscribes, with no task behind it, when it watches
//! child processes without pidfds: on every `SIGCHLD` it re-checks its
//! children (`process/watch/sigchld.rs`). That subscription is a
//! `Listener` (`listener.rs`): the same slot in the same table, whose
//! wakeup fd is a source the reactor owns and recognizes by its key after
//! each dispatch. It is one subscriber like any other: it counts among the
//! 256, it may be the one that installs the handler or the last one that
//! restores the disposition, and a program's own `Signal::new(SIGCHLD)`
//! hears every delivery alongside it.
//!
//! *How many.* The kernel keeps at most one pending instance of a standard
//! signal per process: several sent before the handler runs are one run.
//! Real-time signals (`SIGRTMIN` to `SIGRTMAX`) are queued, one run each.
//! From the handler on, nothing is lost: every run counts once for every
//! subscription, and [`handler_runs`] tells how many runs there were.
//!
//! # Implementation notes
//!
//! Linux is the target. Elsewhere the wakeup fd is a pipe (macOS, the
//! BSDs: see `wake_fd.rs`); everything else is the same, and `errno` is
//! found through each system's own accessor. Signal numbers are limited to
//! `1..128`, and the process to 256 subscriptions at once
//! (`handler.rs`). After `fork`, the child inherits the table, the
//! handler and the fds (until `exec`, which resets handled signals to
//! their default and closes the fds): a signal the child handles before
//! it execs may wake the parent's loop once, for nothing.

mod handler;
#[cfg(feature = "process")]
pub(crate) mod listener;
mod numbers;
mod wake_fd;

use std::io;
use std::os::fd::OwnedFd;
use std::task::{Context, Poll};

use tether_bridge::signal::{SubscribeError, Subscription};

use crate::reactor::Reactor;
use crate::source::Direction;
use handler::{SIGNALS, SLOTS, TABLE};
pub use numbers::{
    SIGALRM, SIGCHLD, SIGCONT, SIGHUP, SIGINT, SIGPIPE, SIGQUIT, SIGTERM, SIGTSTP, SIGUSR1,
    SIGUSR2, SIGWINCH,
};
use wake_fd::{WakeFd, drain};

/// A subscription of the current loop to one signal.
///
/// asyncio: `loop.add_signal_handler(sig, callback)`, awaited instead of
/// called back; `tether::add_signal_handler` is the callback form.
///
/// Made with [`Signal::new`] on a loop's thread; [`recv`](Signal::recv)
/// waits for the next deliveries. Dropping it unsubscribes, and if it was
/// the signal's last subscriber in the process, puts back the signal's
/// disposition from before tether's handler. It is registered with one
/// loop, so it is neither `Send` nor `Sync`:
///
/// ```compile_fail
/// fn assert_send<T: Send>() {}
/// assert_send::<tether_reactor::signal::Signal>();
/// ```
///
/// # Examples
///
/// A loop waits for `SIGHUP` to reload its configuration, and for
/// `SIGTERM` to stop.
///
/// ```
/// use std::process::Command;
/// use tether_reactor::signal::{SIGHUP, SIGTERM, Signal};
///
/// # fn main() -> std::io::Result<()> {
/// tether::run(async {
///     let hup = Signal::new(SIGHUP)?;
///     let term = Signal::new(SIGTERM)?;
///     assert_eq!((hup.number(), term.number()), (SIGHUP, SIGTERM));
///     let pid = std::process::id().to_string();
///     Command::new("kill").args(["-HUP", &pid]).status()?;
///     Command::new("kill").args(["-TERM", &pid]).status()?;
///     let mut reloads = 0;
///     loop {
///         let next = [Box::pin(hup.recv()), Box::pin(term.recv())];
///         // If both are ready, the first in the list wins.
///         let (count, index, _) = tether::task::select(next).await;
///         count?;
///         match index {
///             0 => reloads += 1, // reload the configuration
///             _ => break,        // stop
///         }
///     }
///     assert_eq!(reloads, 1);
///     Ok(())
/// })
/// # }
/// ```
pub struct Signal {
    /// The signal number.
    number: i32,
    /// The slot in the table; `Some` until the drop.
    subscription: Option<Subscription>,
    /// The fd the handler writes and the loop reads.
    ///
    /// # Invariant
    ///
    /// Its token is in `subscription`'s slot; it closes only after the
    /// `unsubscribe` in `Drop`, which runs before the fields drop.
    wake_fd: WakeFd,
}

impl Signal {
    /// Subscribes the loop running on this thread to `signal`, installing
    /// tether's handler if it is the signal's first subscriber in the
    /// process. Every delivery from then on reaches this subscription.
    ///
    /// asyncio: `loop.add_signal_handler(sig, ...)`.
    ///
    /// # Errors
    ///
    /// `InvalidInput`, with a message that says why, for a number outside
    /// `1..128`, for `SIGKILL` and `SIGSTOP` (which cannot be caught) and
    /// for `SIGSEGV`, `SIGBUS`, `SIGILL` and `SIGFPE` (faults, which a
    /// handler that returns makes again); the OS's error if it refuses the
    /// handler (`EINVAL` for a number it does not have, or one the C
    /// library keeps for itself) or the wakeup fd; `OutOfMemory` past 256
    /// subscriptions in the process.
    ///
    /// # Panics
    ///
    /// Panics if no tether loop runs on this thread.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::ErrorKind;
    /// use tether_reactor::signal::{SIGINT, Signal};
    ///
    /// tether::run(async {
    ///     assert!(Signal::new(SIGINT).is_ok());
    ///     let err = Signal::new(9).unwrap_err(); // SIGKILL
    ///     assert_eq!(err.kind(), ErrorKind::InvalidInput);
    ///     assert_eq!(err.to_string(), "tether: SIGKILL (9) cannot be caught");
    ///     assert_eq!(Signal::new(0).unwrap_err().kind(), ErrorKind::InvalidInput);
    /// });
    /// ```
    pub fn new(signal: i32) -> io::Result<Signal> {
        check(signal)?;
        if Reactor::current().is_none() {
            panic!(
                "tether: Signal::new called on a thread with no running tether loop; \
                 call it from inside Runtime::block_on, tether::run or a task"
            );
        }
        let wake_fd = WakeFd::new()?;
        Self::subscribe(signal, wake_fd)
    }

    /// Subscribes `wake_fd` to `signal`, which `check` accepted.
    fn subscribe(signal: i32, wake_fd: WakeFd) -> io::Result<Signal> {
        let subscription = subscribe(signal, wake_fd.token())?;
        Ok(Signal {
            number: signal,
            subscription: Some(subscription),
            wake_fd,
        })
    }

    /// The signal number. Shown in [`Signal`'s example](Signal#examples).
    pub fn number(&self) -> i32 {
        self.number
    }

    /// Waits for the next deliveries of the signal, and returns how many
    /// runs of the handler they are: at least one. Deliveries that came
    /// since the last `recv`, or since the subscription if there was none,
    /// complete it at once.
    ///
    /// asyncio: the callback of `loop.add_signal_handler` being called.
    ///
    /// Several tasks may wait on one `Signal`; each wakeup goes to one of
    /// them, and the others wait for the next.
    ///
    /// # Errors
    ///
    /// Only if the OS fails on the wakeup fd (the poller refuses to arm
    /// it), which leaves the deliveries counted for the next call.
    ///
    /// # Examples
    ///
    /// Three signals sent before the loop looks: the kernel may merge them
    /// (one pending instance of a standard signal at a time), but what the
    /// handler ran, `recv` reports.
    ///
    /// ```
    /// use std::process::Command;
    /// use std::time::Duration;
    /// use tether_reactor::signal::{SIGUSR2, Signal, handler_runs};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// tether::run(async {
    ///     let usr2 = Signal::new(SIGUSR2)?;
    ///     let runs_before = handler_runs(SIGUSR2);
    ///     let pid = std::process::id().to_string();
    ///     for _ in 0..3 {
    ///         Command::new("kill").args(["-USR2", &pid]).status()?;
    ///     }
    ///     let mut received = usr2.recv().await?;
    ///     // Any run still to come arrives soon after.
    ///     while let Ok(more) = tether::time::timeout(Duration::from_millis(50), usr2.recv()).await {
    ///         received += more?;
    ///     }
    ///     assert_eq!(received, handler_runs(SIGUSR2) - runs_before);
    ///     assert!((1..=3).contains(&received));
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn recv(&self) -> io::Result<u64> {
        // `read_with` waits with a future of its own, so that any number of
        // tasks may wait at once; `poll_recv` keeps one waker.
        self.wake_fd
            .reader()
            .read_with(|fd| self.try_take(fd))
            .await
    }

    /// The poll form of [`recv`](Signal::recv): `Ready` with the count of
    /// deliveries since the last one taken, or `Pending`, with `cx`'s waker
    /// kept to be woken by the next delivery. One waker is kept: a poll
    /// from another task replaces it.
    ///
    /// # Errors
    ///
    /// As [`recv`](Signal::recv).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::process::Command;
    /// use std::task::Poll;
    /// use tether_reactor::signal::{SIGWINCH, Signal};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// tether::run(async {
    ///     let winch = Signal::new(SIGWINCH)?;
    ///     std::future::poll_fn(|cx| {
    ///         assert!(winch.poll_recv(cx).is_pending()); // nothing yet
    ///         Poll::Ready(())
    ///     })
    ///     .await;
    ///     let pid = std::process::id().to_string();
    ///     Command::new("kill").args(["-WINCH", &pid]).status()?;
    ///     let count = std::future::poll_fn(|cx| winch.poll_recv(cx)).await?;
    ///     assert_eq!(count, 1);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn poll_recv(&self, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        self.wake_fd
            .reader()
            .poll_io(Direction::Read, cx, |fd| self.try_take(fd))
    }

    /// Consumes the fd's wakeups, then takes the count (the table's rule
    /// 5); `WouldBlock` if it was zero, so that the caller waits for the
    /// next write.
    fn try_take(&self, fd: &OwnedFd) -> io::Result<u64> {
        drain(fd)?;
        let subscription = self
            .subscription
            .as_ref()
            .expect("a Signal holds its subscription until it is dropped");
        match TABLE.take(subscription) {
            0 => Err(io::ErrorKind::WouldBlock.into()),
            count => Ok(count),
        }
    }
}

impl Drop for Signal {
    fn drop(&mut self) {
        if let Some(subscription) = self.subscription.take() {
            unsubscribe(self.number, subscription);
        }
        // Now the fields drop: the wakeup fd leaves the poller and closes,
        // and no handler can still write it (the table's rule 3).
    }
}

impl std::fmt::Debug for Signal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signal")
            .field("number", &self.number)
            .field("name", &name(self.number))
            .finish_non_exhaustive()
    }
}

/// The `Stream` of the `futures` feature: each item is a
/// [`recv`](Signal::recv); the stream never ends.
#[cfg(feature = "futures")]
impl futures_core::Stream for Signal {
    type Item = io::Result<u64>;

    fn poll_next(
        self: std::pin::Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<io::Result<u64>>> {
        self.poll_recv(cx).map(Some)
    }
}

/// Waits for Ctrl-C: subscribes to `SIGINT` when first polled, completes
/// at the first delivery, and unsubscribes (so a second Ctrl-C after this
/// completed kills the process, unless something else handles it).
///
/// asyncio: `asyncio.run` turns Ctrl-C into `KeyboardInterrupt` in the
/// main task; here the program decides what it means.
///
/// # Errors
///
/// As [`Signal::new`] and [`Signal::recv`].
///
/// # Panics
///
/// Panics if first polled on a thread where no tether loop runs.
///
/// # Examples
///
/// ```
/// use std::process::Command;
///
/// # fn main() -> std::io::Result<()> {
/// tether::run(async {
///     let interrupted = tether::spawn(tether_reactor::signal::ctrl_c());
///     tether::yield_now().await; // let it subscribe
///     let pid = std::process::id().to_string();
///     Command::new("kill").args(["-INT", &pid]).status()?;
///     interrupted.await.unwrap()
/// })
/// # }
/// ```
pub async fn ctrl_c() -> io::Result<()> {
    Signal::new(SIGINT)?.recv().await.map(drop)
}

/// How many times tether's handler has run for `signal` in this process.
///
/// A standard signal sent several times before the handler ran is one
/// run. Every run counts for each subscription of the signal at that
/// moment, so what [`Signal::recv`] returned, added up over a
/// subscription, is the runs since it subscribed. Zero for a number tether
/// cannot handle. Any thread.
///
/// # Examples
///
/// ```
/// use std::process::Command;
/// use tether_reactor::signal::{SIGUSR1, Signal, handler_runs};
///
/// # fn main() -> std::io::Result<()> {
/// tether::run(async {
///     let before = handler_runs(SIGUSR1);
///     let usr1 = Signal::new(SIGUSR1)?;
///     let pid = std::process::id().to_string();
///     Command::new("kill").args(["-USR1", &pid]).status()?;
///     assert_eq!(usr1.recv().await?, 1);
///     assert_eq!(handler_runs(SIGUSR1), before + 1);
///     assert_eq!(handler_runs(9), 0); // SIGKILL: never handled
///     Ok(())
/// })
/// # }
/// ```
pub fn handler_runs(signal: i32) -> u64 {
    TABLE.runs(signal)
}

/// Subscribes the fd numbered `token` to `signal`, which `check`
/// accepted, installing tether's handler if it is the signal's first
/// subscriber; the table's refusals become errors that say what happened.
fn subscribe(signal: i32, token: u32) -> io::Result<Subscription> {
    let installed = TABLE.subscribe(signal, token, || handler::install(signal));
    installed.map_err(|err| match err {
        SubscribeError::Full => io::Error::new(
            io::ErrorKind::OutOfMemory,
            format!(
                "tether: {} has all {SLOTS} signal subscriptions of the process in use",
                name(signal)
            ),
        ),
        SubscribeError::Install(err) => io::Error::new(
            err.kind(),
            format!(
                "tether: cannot install a handler for {}: {err}",
                name(signal)
            ),
        ),
    })
}

/// Takes `subscription` out of the table; if it was its signal's last
/// subscriber, puts back the disposition tether's handler replaced.
fn unsubscribe(signal: i32, subscription: Subscription) {
    TABLE.unsubscribe(subscription, |previous| handler::restore(signal, previous));
}

/// Refuses a signal tether cannot handle, saying why.
fn check(signal: i32) -> io::Result<()> {
    let why = match signal {
        libc::SIGKILL | libc::SIGSTOP => "cannot be caught",
        libc::SIGSEGV | libc::SIGBUS | libc::SIGILL | libc::SIGFPE => {
            "reports a fault of the thread it interrupts, which a handler that \
             returns makes again; handle it with sigaction directly, or not at all"
        }
        _ if signal < 1 || signal as usize >= SIGNALS => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("tether: {signal} is not a signal number tether handles (1..{SIGNALS})"),
            ));
        }
        _ => return Ok(()),
    };
    Err(io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("tether: {} {why}", name(signal)),
    ))
}

/// `SIGINT (2)`, or `signal 40` for a number without a name here.
fn name(signal: i32) -> String {
    let known = [
        (libc::SIGHUP, "SIGHUP"),
        (libc::SIGINT, "SIGINT"),
        (libc::SIGQUIT, "SIGQUIT"),
        (libc::SIGILL, "SIGILL"),
        (libc::SIGABRT, "SIGABRT"),
        (libc::SIGBUS, "SIGBUS"),
        (libc::SIGFPE, "SIGFPE"),
        (libc::SIGKILL, "SIGKILL"),
        (libc::SIGUSR1, "SIGUSR1"),
        (libc::SIGSEGV, "SIGSEGV"),
        (libc::SIGUSR2, "SIGUSR2"),
        (libc::SIGPIPE, "SIGPIPE"),
        (libc::SIGALRM, "SIGALRM"),
        (libc::SIGTERM, "SIGTERM"),
        (libc::SIGCHLD, "SIGCHLD"),
        (libc::SIGCONT, "SIGCONT"),
        (libc::SIGSTOP, "SIGSTOP"),
        (libc::SIGTSTP, "SIGTSTP"),
        (libc::SIGWINCH, "SIGWINCH"),
    ];
    match known.iter().find(|(number, _)| *number == signal) {
        Some((_, name)) => format!("{name} ({signal})"),
        None => format!("signal {signal}"),
    }
}

#[cfg(test)]
mod tests;
