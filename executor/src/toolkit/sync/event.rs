//! `Event`: a flag tasks can wait for.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::wait_list::{WaitList, WaiterKey};

/// A flag that tasks wait to see set.
///
/// asyncio: `asyncio.Event`.
///
/// [`set`](Event::set) wakes every task waiting in [`wait`](Event::wait),
/// and later waits return at once until [`clear`](Event::clear). A waiter
/// woken by `set` returns even if the event is cleared again before it
/// runs, as in asyncio.
///
/// Loop-local: share it between the loop's tasks with an `Rc`.
///
/// # Examples
///
/// ```
/// use std::rc::Rc;
/// use tether::sync::Event;
///
/// tether::run(async {
///     let ready = Rc::new(Event::new());
///     assert!(!ready.is_set()); // new events start unset
///     let waiter = tether::spawn({
///         let ready = ready.clone();
///         async move {
///             ready.wait().await;
///             "saw it"
///         }
///     });
///     tether::yield_now().await;
///     ready.set();
///     assert!(ready.is_set());
///     assert_eq!(waiter.await.unwrap(), "saw it");
/// });
/// ```
#[derive(Default)]
pub struct Event {
    /// The flag and the waiters.
    state: RefCell<State>,
}

/// An [`Event`]'s flag and the tasks waiting for it.
#[derive(Default)]
struct State {
    /// Whether the event is set.
    set: bool,
    /// Tasks waiting for `set`.
    waiters: WaitList,
}

impl Event {
    /// A new event, not set. Shown in [`Event`'s example](Event#examples).
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the event and wakes every task waiting for it.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    /// use tether::sync::Event;
    ///
    /// tether::run(async {
    ///     let go = Rc::new(Event::new());
    ///     let waiters: Vec<_> = (0..3)
    ///         .map(|_| {
    ///             let go = go.clone();
    ///             tether::spawn(async move { go.wait().await })
    ///         })
    ///         .collect();
    ///     tether::yield_now().await; // all three wait
    ///     go.set();
    ///     tether::yield_now().await; // all three run
    ///     assert!(waiters.iter().all(|waiter| waiter.is_finished()));
    /// });
    /// ```
    pub fn set(&self) {
        let mut state = self.state.borrow_mut();
        state.set = true;
        state.waiters.notify_all();
    }

    /// Clears the event: later waits wait for the next `set`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use tether::sync::Event;
    /// use tether::time::timeout;
    ///
    /// tether::run(async {
    ///     let event = Event::new();
    ///     event.set();
    ///     event.clear();
    ///     assert!(!event.is_set());
    ///     assert!(timeout(Duration::from_millis(1), event.wait()).await.is_err());
    /// });
    /// ```
    pub fn clear(&self) {
        self.state.borrow_mut().set = false;
    }

    /// Whether the event is set. Shown in [`Event`'s example](Event#examples).
    pub fn is_set(&self) -> bool {
        self.state.borrow().set
    }

    /// Waits until the event is set; returns at once if it is.
    ///
    /// Cancellation-safe: dropping the future takes the task out of the
    /// line and changes nothing else.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use tether::sync::Event;
    /// use tether::time::timeout;
    ///
    /// tether::run(async {
    ///     let event = Event::new();
    ///     // Not set: the wait gives up with the timeout, and leaves the line.
    ///     assert!(timeout(Duration::from_millis(1), event.wait()).await.is_err());
    ///     event.set();
    ///     // Set: it returns at once.
    ///     assert!(timeout(Duration::ZERO, event.wait()).await.is_ok());
    /// });
    /// ```
    pub fn wait(&self) -> Wait<'_> {
        Wait {
            event: self,
            key: None,
        }
    }
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Event")
            .field("set", &self.is_set())
            .finish_non_exhaustive()
    }
}

/// The future of [`Event::wait`].
///
/// # Examples
///
/// ```
/// use std::rc::Rc;
/// use tether::sync::{Event, Wait};
///
/// tether::run(async {
///     let event = Rc::new(Event::new());
///     let waiter = tether::spawn({
///         let event = event.clone();
///         async move {
///             let wait: Wait<'_> = event.wait(); // nothing happens until awaited
///             wait.await;
///         }
///     });
///     tether::yield_now().await;
///     assert!(!waiter.is_finished());
///     event.set();
///     waiter.await.unwrap();
/// });
/// ```
#[must_use = "futures do nothing unless polled"]
#[derive(Debug)]
pub struct Wait<'a> {
    /// The event waited for.
    event: &'a Event,
    /// Where this wait stands in the event's line, once it is in it.
    key: Option<WaiterKey>,
}

impl Future for Wait<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        let state = &mut *this.event.state.borrow_mut();
        let set = state.set;
        state
            .waiters
            .poll_all_notified(&mut this.key, cx.waker(), set)
    }
}

impl Drop for Wait<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key {
            // A notification is for every waiter: nothing to pass on.
            self.event.state.borrow_mut().waiters.remove(key);
        }
    }
}
