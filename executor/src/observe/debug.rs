//! Debug mode: slow-callback warnings, and the clock readings behind them.
//!
//! asyncio's debug mode (`loop.set_debug(True)`, `PYTHONASYNCIODEBUG=1`)
//! times every callback and logs the ones that take longer than
//! `loop.slow_callback_duration` (0.1 s): a callback that blocks holds up
//! every other task of the loop, and this names the culprit. tether's debug
//! mode does the same for every run of a task or callback, and keeps the
//! time each task's last run began, which [`Dump`](crate::Dump) reports.
//!
//! It is a mode because it reads the clock twice per run, and a clock
//! reading (`Instant::now()`) is not small next to a task hop: a hop
//! between two tasks costs about three times as much in debug mode as
//! outside it (`cargo bench --bench micro`: `tether_debug` against
//! `tether` in `wake/ping_pong`). Outside debug mode the loop reads the
//! clock only for timers, and a dump has no times to show.

use std::fmt;
use std::panic::Location;
use std::rc::Rc;
use std::time::{Duration, Instant};

use tether_bridge::sync;

use crate::id::{TaskId, TaskKind};

/// asyncio's `slow_callback_duration`, and tether's default.
pub(crate) const DEFAULT_SLOW_CALLBACK: Duration = Duration::from_millis(100);

/// What the loop does about slow runs; see [`Builder::debug`](crate::Builder::debug).
pub(crate) type SlowCallbackHandler = Box<dyn Fn(&SlowCallback<'_>)>;

/// The loop's debug mode, when it is on. Loop thread only.
pub(crate) struct DebugMode {
    /// When the loop was built: the zero of every [`Stamp`].
    epoch: Instant,
    /// A run this long or longer is reported.
    pub(crate) slow_callback_duration: Duration,
    /// Where the report goes.
    pub(crate) on_slow_callback: SlowCallbackHandler,
}

impl DebugMode {
    pub(crate) fn new(
        slow_callback_duration: Duration,
        on_slow_callback: SlowCallbackHandler,
    ) -> Self {
        Self {
            epoch: sync::now(),
            slow_callback_duration,
            on_slow_callback,
        }
    }

    /// `at`, as a stamp.
    pub(crate) fn stamp(&self, at: Instant) -> Stamp {
        Stamp(self.millis(at) + 1)
    }

    /// How long ago `stamp` was, seen at `now`, to the millisecond; `None`
    /// if it was never set. Stamps go round every `u32::MAX` ms (49.7
    /// days), so a longer wait shows as what is left over.
    pub(crate) fn since(&self, stamp: Stamp, now: Instant) -> Option<Duration> {
        let then = stamp.0.checked_sub(1)?;
        let now = self.millis(now);
        let ago = if now >= then {
            now - then
        } else {
            u32::MAX - then + now
        };
        Some(Duration::from_millis(u64::from(ago)))
    }

    /// The milliseconds from the epoch to `at`, going round every
    /// `u32::MAX` of them: below `u32::MAX`, so that a stamp, one more,
    /// fits and is never 0 ("never").
    fn millis(&self, at: Instant) -> u32 {
        let millis = at.saturating_duration_since(self.epoch).as_millis();
        (millis % u128::from(u32::MAX)) as u32
    }
}

/// A moment in 4 bytes: milliseconds since the loop's debug epoch, plus one
/// so that zero can mean "never recorded".
///
/// In debug mode the task list keeps one for each task, beside the run
/// count past what the task's header holds (`Aside` in
/// `core/task_list.rs`): eight bytes a task, where an `Instant` would make
/// it twenty-four. Millisecond precision is plenty to say how long a task
/// has been idle.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Stamp(u32);

impl Stamp {
    /// Not recorded: outside debug mode, or before the first run.
    pub(crate) const NONE: Stamp = Stamp(0);
}

/// A run of a task or callback that took at least the loop's
/// `slow_callback_duration`; what debug mode reports.
///
/// asyncio: the `Executing <Task ...> took 0.150 seconds` warning.
///
/// # Examples
///
/// ```
/// use std::cell::RefCell;
/// use std::rc::Rc;
/// use std::time::Duration;
/// use tether::SlowCallback;
/// use tether::task::TaskKind;
/// # fn main() -> std::io::Result<()> {
/// let reports = Rc::new(RefCell::new(Vec::new()));
/// let seen = reports.clone();
/// let rt = tether::Runtime::builder()
///     .debug(true)
///     .slow_callback_duration(Duration::from_millis(1))
///     .on_slow_callback(move |slow: &SlowCallback<'_>| {
///         let (id, kind, at) = (slow.task_id(), slow.kind(), slow.spawned_at());
///         let name = slow.name().map(str::to_owned);
///         seen.borrow_mut().push((id, kind, name, at, slow.took(), slow.threshold()));
///     })
///     .build()?;
/// let (id, line) = rt.block_on(async {
///     let blocker = tether::task::Builder::new().name("blocker");
///     let blocker = blocker.spawn(async { std::thread::sleep(Duration::from_millis(5)) });
///     let line = line!() - 1;
///     let id = blocker.id();
///     blocker.await.unwrap();
///     (id, line)
/// });
/// // Not tasks of their own: the future of `block_on`, and a callback
/// // sent through a `Handle`.
/// rt.block_on(async { std::thread::sleep(Duration::from_millis(5)) });
/// rt.handle().call_soon(|| std::thread::sleep(Duration::from_millis(5))).unwrap();
/// rt.block_on(tether::yield_now());
///
/// let reports = reports.borrow();
/// let report = reports.iter().find(|report| report.0 == Some(id)).unwrap();
/// let (_, kind, name, spawned_at, took, threshold) = report;
/// assert_eq!(*kind, TaskKind::Task);
/// assert_eq!(name.as_deref(), Some("blocker"));
/// assert_eq!(spawned_at.map(|at| (at.file(), at.line())), Some((file!(), line)));
/// assert!(*took >= Duration::from_millis(5));
/// assert_eq!(*threshold, Duration::from_millis(1));
/// assert!(reports.iter().any(|report| report.1 == TaskKind::BlockOn));
/// // The callback from the `Handle` is no task, so it has no id.
/// let sent = reports.iter().find(|report| report.0.is_none()).unwrap();
/// assert_eq!(sent.1, TaskKind::Callback);
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct SlowCallback<'a> {
    pub(crate) loop_name: Option<&'a str>,
    pub(crate) task: Option<TaskId>,
    pub(crate) kind: TaskKind,
    pub(crate) name: Option<&'a str>,
    pub(crate) spawned_at: Option<&'static Location<'static>>,
    pub(crate) took: Duration,
    pub(crate) threshold: Duration,
}

impl SlowCallback<'_> {
    /// The name of the loop that ran it, if the loop has one
    /// ([`Builder::name`](crate::Builder::name); a pool of loops names
    /// each of its loops).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::mpsc;
    /// use std::time::Duration;
    /// # fn main() -> std::io::Result<()> {
    /// let (tx, rx) = mpsc::channel();
    /// let rt = tether::Runtime::builder()
    ///     .name("io-3")
    ///     .debug(true)
    ///     .slow_callback_duration(Duration::from_millis(1))
    ///     .on_slow_callback(move |slow| tx.send(slow.to_string()).unwrap())
    ///     .build()?;
    /// rt.block_on(async { std::thread::sleep(Duration::from_millis(5)) });
    /// let report = rx.try_recv().unwrap();
    /// assert!(report.contains(r#"on loop "io-3""#), "{report}");
    /// assert_eq!(rt.handle().metrics().slow_callbacks, 1);
    /// # Ok(())
    /// # }
    /// ```
    pub fn loop_name(&self) -> Option<&str> {
        self.loop_name
    }

    /// The task that ran; `None` for a callback sent from another thread
    /// with [`Handle::call_soon`](crate::Handle::call_soon), which is no
    /// task. Shown in [`SlowCallback`'s example](SlowCallback#examples).
    pub fn task_id(&self) -> Option<TaskId> {
        self.task
    }

    /// What ran: a task, a callback, or the future of `block_on`. Shown in
    /// [`SlowCallback`'s example](SlowCallback#examples).
    pub fn kind(&self) -> TaskKind {
        self.kind
    }

    /// The task's name, if it was given one with
    /// [`task::Builder`](crate::TaskBuilder). Shown in
    /// [`SlowCallback`'s example](SlowCallback#examples).
    pub fn name(&self) -> Option<&str> {
        self.name
    }

    /// Where the task was spawned, or the callback submitted. Shown in
    /// [`SlowCallback`'s example](SlowCallback#examples).
    pub fn spawned_at(&self) -> Option<&'static Location<'static>> {
        self.spawned_at
    }

    /// How long the run took. Shown in [`SlowCallback`'s example](SlowCallback#examples).
    pub fn took(&self) -> Duration {
        self.took
    }

    /// The loop's `slow_callback_duration`, which the run reached. Shown in
    /// [`SlowCallback`'s example](SlowCallback#examples).
    pub fn threshold(&self) -> Duration {
        self.threshold
    }
}

impl fmt::Display for SlowCallback<'_> {
    /// `task 7 "fetch" (spawned at src/main.rs:12:5) on loop "tether-pool-2"
    /// took 152.31ms in one run, more than the 100ms
    /// slow_callback_duration`; the loop is named if it has a name.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.kind, self.task) {
            (TaskKind::Callback, None) => f.write_str("a callback from another thread")?,
            (kind, Some(id)) => write!(f, "{kind} {id}")?,
            (kind, None) => write!(f, "{kind}")?,
        }
        if let Some(name) = self.name {
            write!(f, " {name:?}")?;
        }
        if let Some(at) = self.spawned_at {
            write!(f, " (spawned at {at})")?;
        }
        if let Some(name) = self.loop_name {
            write!(f, " on loop {name:?}")?;
        }
        write!(
            f,
            " took {} in one run, more than the {} slow_callback_duration",
            Millis(self.took),
            Millis(self.threshold)
        )
    }
}

/// A duration shown in milliseconds, to the microsecond: `152.31ms`,
/// `100ms`.
///
/// `Duration`'s own `Debug` would do, but it would pull its formatting
/// code into every binary that uses tether, for this one warning; and the
/// figures are `u64`s, not the `u128` of `as_micros`, whose division and
/// formatting would do the same.
struct Millis(Duration);

impl fmt::Display for Millis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let whole = (self.0.as_secs().saturating_mul(1000))
            .saturating_add(u64::from(self.0.subsec_millis()));
        let mut fraction = self.0.subsec_micros() % 1000;
        write!(f, "{whole}")?;
        if fraction != 0 {
            let mut digits = 3;
            while fraction % 10 == 0 {
                fraction /= 10;
                digits -= 1;
            }
            write!(f, ".{fraction:0digits$}")?;
        }
        f.write_str("ms")
    }
}

/// The default handler: one line on stderr, as asyncio logs a warning.
pub(crate) fn default_slow_callback_handler(slow: &SlowCallback<'_>) {
    super::report_line(format_args!("tether: warning: {slow}"));
}

/// Whether `TETHER_DEBUG` asks for debug mode: set, and neither empty nor
/// `0` (asyncio's `PYTHONASYNCIODEBUG` takes any non-empty value).
pub(crate) fn debug_from_env() -> bool {
    std::env::var_os("TETHER_DEBUG").is_some_and(|value| !value.is_empty() && value != "0")
}

/// What debug mode needs to know of a run before it starts, to name it
/// afterwards: by then a task that finished has left the task list.
#[derive(Debug)]
pub(crate) struct RunInfo {
    pub(crate) task: Option<TaskId>,
    pub(crate) kind: TaskKind,
    pub(crate) name: Option<Rc<str>>,
    pub(crate) spawned_at: Option<&'static Location<'static>>,
}

#[cfg(test)]
mod tests {
    use super::{DebugMode, Millis, Stamp, default_slow_callback_handler};
    use std::time::Duration;

    #[test]
    fn a_stamp_tells_how_long_ago_even_after_49_days() {
        let debug = DebugMode::new(
            Duration::from_millis(100),
            Box::new(default_slow_callback_handler),
        );
        let day = Duration::from_secs(86_400);
        for days in [0, 1, 49, 50, 100] {
            let now = debug.epoch + days * day + Duration::from_millis(10_007);
            let ran = now - Duration::from_secs(5);
            assert_eq!(debug.since(debug.stamp(now), now), Some(Duration::ZERO));
            assert_eq!(
                debug.since(debug.stamp(ran), now),
                Some(Duration::from_secs(5)),
                "{days} days in"
            );
        }
        assert_eq!(debug.since(Stamp::NONE, debug.epoch), None);
    }

    #[test]
    fn millis_shows_whole_milliseconds_bare_and_the_rest_to_the_microsecond() {
        let shown = |d: Duration| Millis(d).to_string();
        assert_eq!(shown(Duration::from_millis(100)), "100ms");
        assert_eq!(shown(Duration::from_micros(152_310)), "152.31ms");
        assert_eq!(shown(Duration::from_micros(1_005)), "1.005ms");
        assert_eq!(shown(Duration::from_nanos(500_999)), "0.5ms");
        assert_eq!(shown(Duration::ZERO), "0ms");
        assert_eq!(shown(Duration::from_secs(3)), "3000ms");
    }
}
