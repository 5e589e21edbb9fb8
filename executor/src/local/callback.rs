//! Callbacks: `call_soon`, `call_later`, `call_at`.
//!
//! asyncio's loop runs callbacks (`Handle`s) and schedules every task step
//! as one. tether turns it around: a callback is a task whose future calls
//! the closure once, after a [`Sleep`] for the timed ones. So callbacks share
//! the ready queue and its FIFO order with tasks, a timed callback's timer is
//! an ordinary timer (disarmed when it is cancelled), and a cancelled
//! callback's memory goes the way of any task's. Each call costs one
//! allocation, like a spawn.
//!
//! A timed callback's task is not queued at the call: asyncio pushes a
//! `TimerHandle` on its heap within `call_at`, and tether arms the timer
//! there too, by giving the task its first poll at once
//! (`Core::spawn_polled`). That poll polls the `Sleep`, which arms the
//! timer with the task's waker, whether or not the deadline has passed, so
//! the timer takes its deadline's place among the others at the call, and
//! the task joins the ready queue when the timer fires. Armed at the
//! task's first run instead, a step later, an overdue callback would fire
//! after a timer with a later deadline that fell due in between.
//!
//! A callback sent from another thread ([`Handle::call_soon`]) is the
//! exception: it returns no handle, so nothing can cancel it, and it needs none
//! of what a task is for. It travels as a `RemoteCall`, the closure itself if
//! it is at most two words (no allocation at all), or a box of it, in its slot
//! of the injection queue, and keeps its FIFO place among the tasks in the
//! batch the loop takes it in. A task would cost a cell (a 56-byte header and
//! the closure, in one allocation) allocated on the submitting thread and freed
//! on the loop thread, a reference on the loop's shared state, and a place in
//! the task list; when a producer outruns the loop, those cells are the
//! backlog.
//!
//! [`Handle::call_soon`]: crate::Handle::call_soon

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tether_reactor::time::{Sleep, sleep, sleep_until};

use super::{spawn_here, spawn_polled_here};
use crate::id::{TaskId, TaskKind};
use crate::task::{self, TaskRef};

/// Runs `f` on the loop thread soon: in the loop's next run step, after the
/// tasks and callbacks already queued.
///
/// asyncio: `loop.call_soon(callback)`.
///
/// A panic in `f` goes to the exception handler; the loop goes on.
///
/// # Panics
///
/// Panics if no tether loop runs on this thread.
///
/// # Examples
///
/// ```
/// use std::cell::RefCell;
/// use std::rc::Rc;
/// let order = Rc::new(RefCell::new(Vec::new()));
/// let (a, b) = (order.clone(), order.clone());
/// tether::run(async move {
///     tether::call_soon(move || a.borrow_mut().push("first"));
///     tether::call_soon(move || b.borrow_mut().push("second"));
///     tether::yield_now().await;
/// });
/// assert_eq!(*order.borrow(), ["first", "second"]);
/// ```
#[track_caller]
pub fn call_soon<F: FnOnce() + 'static>(f: F) -> CallbackHandle {
    submit(Call::new(f), "call_soon")
}

/// Runs `f` on the loop thread once `delay` has passed (never sooner).
///
/// asyncio: `loop.call_later(delay, callback)`.
///
/// Callbacks run in deadline order, and equal deadlines in the order they
/// were scheduled: the timer is armed here, at the call. A zero `delay` is
/// a [`call_soon`]: the callback keeps its FIFO place among the callbacks
/// and tasks already queued.
///
/// # Panics
///
/// Panics if no tether loop runs on this thread.
///
/// # Examples
///
/// ```
/// use std::cell::Cell;
/// use std::rc::Rc;
/// use std::time::{Duration, Instant};
///
/// tether::run(async {
///     let fired = Rc::new(Cell::new(None));
///     let at = fired.clone();
///     let start = Instant::now();
///     tether::call_later(Duration::from_millis(5), move || at.set(Some(Instant::now())));
///     tether::time::sleep(Duration::from_millis(10)).await;
///     assert!(fired.get().unwrap() - start >= Duration::from_millis(5));
/// });
/// ```
#[track_caller]
pub fn call_later<F: FnOnce() + 'static>(delay: Duration, f: F) -> CallbackHandle {
    if delay.is_zero() {
        // Due now: a `call_soon`, which keeps its FIFO place. (Its sleep
        // would complete at the first poll, which `submit_timed` gives at
        // once, and call `f` inside the caller.)
        return submit(Call::new(f), "call_later");
    }
    submit_timed(sleep(delay), f, "call_later")
}

/// Runs `f` on the loop thread at `deadline` (never sooner).
///
/// asyncio: `loop.call_at(when, callback)`.
///
/// As with [`call_later`], the timer is armed at the call, in its
/// deadline's place among the timers; a deadline that has passed fires in
/// a later timer step (the next one, for a deadline one tick, 100 µs, old
/// or more), before the timers due then whose deadlines are later.
///
/// # Panics
///
/// Panics if no tether loop runs on this thread.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
///
/// tether::run(async {
///     let deadline = Instant::now() + Duration::from_secs(3600);
///     let reminder = tether::call_at(deadline, || println!("an hour later"));
///     assert!(reminder.cancel()); // disarms its timer
///     assert!(reminder.is_cancelled());
/// });
/// ```
#[track_caller]
pub fn call_at<F: FnOnce() + 'static>(deadline: Instant, f: F) -> CallbackHandle {
    submit_timed(sleep_until(deadline), f, "call_at")
}

/// Queues a callback task.
#[track_caller]
fn submit(callback: impl Future<Output = ()> + 'static, name: &str) -> CallbackHandle {
    let task = spawn_here(callback, TaskKind::Callback, name);
    CallbackHandle {
        task: task.into_task(),
        _not_send: PhantomData,
    }
}

/// Makes the task of a timed callback and arms its timer now: the task's
/// first poll, given at once, polls `sleep`, which arms the timer with the
/// task's waker, even for a deadline that has passed, and is pending
/// (`sleep` is never zero here). The timer so takes its deadline's place
/// among the timers at the call, as in asyncio's heap, and the task is
/// queued only when the timer fires.
#[track_caller]
fn submit_timed<F: FnOnce() + 'static>(sleep: Sleep, f: F, name: &str) -> CallbackHandle {
    let call = TimedCall {
        sleep,
        call: Call::new(f),
    };
    let task = spawn_polled_here(call, TaskKind::Callback, name);
    CallbackHandle {
        task: task.into_task(),
        _not_send: PhantomData,
    }
}

/// A scheduled callback, which can be cancelled.
///
/// asyncio: `Handle` and `TimerHandle`.
///
/// Dropping it does not cancel the callback.
///
/// # Examples
///
/// ```
/// use std::cell::RefCell;
/// use std::rc::Rc;
/// use tether::task::TaskKind;
///
/// tether::run(async {
///     let log = Rc::new(RefCell::new(Vec::new()));
///     let (a, b) = (log.clone(), log.clone());
///     let runs: tether::CallbackHandle = tether::call_soon(move || a.borrow_mut().push("runs"));
///     let skipped = tether::call_soon(move || b.borrow_mut().push("skipped"));
///     assert!(!runs.is_finished()); // it runs in the next run step
///     // A dump lists the callback's task by the same id.
///     let dump = tether::Handle::current().dump().unwrap();
///     let listed = dump.tasks.iter().find(|task| task.id == runs.id()).unwrap();
///     assert_eq!(listed.kind, TaskKind::Callback);
///
///     assert!(skipped.cancel());
///     tether::yield_now().await;
///     assert_eq!(*log.borrow(), ["runs"]); // `skipped` was cancelled before its turn
///     assert!(runs.is_finished() && !runs.is_cancelled());
///     assert!(skipped.is_cancelled());
/// });
/// ```
pub struct CallbackHandle {
    /// The task that runs the callback.
    task: TaskRef,
    /// Loop thread only, like a `JoinHandle`.
    _not_send: PhantomData<*const ()>,
}

impl CallbackHandle {
    /// Makes sure the callback never runs, if it has not run yet; a timed
    /// callback's timer is disarmed, and its memory reclaimed.
    ///
    /// asyncio: `Handle.cancel()`.
    ///
    /// Returns false if the callback already ran (or was already cancelled).
    /// Called by the callback itself, while it runs, it returns true and
    /// marks the callback cancelled, though it runs to its end: asyncio's
    /// `Handle.cancel()` does the same.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// tether::run(async {
    ///     let ran = tether::call_soon(|| ());
    ///     tether::yield_now().await;
    ///     assert!(!ran.cancel()); // too late
    ///
    ///     let timer = tether::call_later(Duration::from_secs(60), || ());
    ///     assert!(timer.cancel());
    ///     assert!(!timer.cancel()); // already cancelled
    /// });
    /// ```
    pub fn cancel(&self) -> bool {
        task::cancel(&self.task)
    }

    /// The id of the callback's task, as
    /// [`Handle::dump`](crate::Handle::dump) and the exception handler
    /// name it. Shown in [`CallbackHandle`'s example](CallbackHandle#examples).
    pub fn id(&self) -> TaskId {
        self.task.id()
    }

    /// Whether the callback was cancelled: before it ran, or by itself
    /// as it ran (see [`cancel`](Self::cancel)). Shown in
    /// [`CallbackHandle`'s example](CallbackHandle#examples).
    ///
    /// asyncio: `Handle.cancelled()`.
    pub fn is_cancelled(&self) -> bool {
        self.task.snapshot().is_cancelled()
    }

    /// Whether the callback is over: it ran, panicked, or was cancelled and
    /// dropped. Shown in [`CallbackHandle`'s example](CallbackHandle#examples).
    pub fn is_finished(&self) -> bool {
        self.task.snapshot().is_complete()
    }
}

impl std::fmt::Debug for CallbackHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallbackHandle")
            .field("id", &self.task.id())
            .field("cancelled", &self.is_cancelled())
            .field("finished", &self.is_finished())
            .finish()
    }
}

/// The future of a callback task: call the closure, once.
pub(crate) struct Call<F> {
    /// The closure, until it is called.
    f: Option<F>,
}

impl<F> Call<F> {
    pub(crate) fn new(f: F) -> Self {
        Self { f: Some(f) }
    }
}

// The closure is never pinned: it is moved out and called by value.
impl<F> Unpin for Call<F> {}

impl<F: FnOnce()> Future for Call<F> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        let f = self.get_mut().f.take().expect("a callback ran twice");
        f();
        Poll::Ready(())
    }
}

/// The future of a timed callback: wait for the deadline, then call.
struct TimedCall<F> {
    /// The deadline of `call_later` / `call_at`.
    sleep: Sleep,
    /// The call to make then.
    call: Call<F>,
}

impl<F: FnOnce()> Future for TimedCall<F> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // Both fields are `Unpin`: `Sleep` is, and `Call` says so.
        let this = self.get_mut();
        if Pin::new(&mut this.sleep).poll(cx).is_pending() {
            return Poll::Pending;
        }
        Pin::new(&mut this.call).poll(cx)
    }
}
