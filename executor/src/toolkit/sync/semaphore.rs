//! `Semaphore`: a count of permits, handed out first come, first served.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::wait_list::{Turn, WaitList, WaiterKey};

/// A number of permits that tasks take and give back.
///
/// asyncio: `asyncio.Semaphore` (and `BoundedSemaphore`: a permit can only
/// be given back by dropping the [`SemaphorePermit`] that took it).
///
/// [`acquire`](Semaphore::acquire) waits while no permit is free. Waiters
/// are served in the order they came: a permit given back goes straight to
/// the task at the front of the line, and a newcomer does not take a free
/// permit while others are waiting for one.
///
/// Loop-local: share it between the loop's tasks with an `Rc`.
///
/// # Examples
///
/// ```
/// use std::rc::Rc;
/// use tether::sync::Semaphore;
///
/// tether::run(async {
///     // At most two downloads at a time.
///     let slots = Rc::new(Semaphore::new(2));
///     assert_eq!(slots.available_permits(), 2);
///     let tasks: Vec<_> = (0..5)
///         .map(|i| {
///             let slots = slots.clone();
///             tether::spawn(async move {
///                 let _permit = slots.acquire().await;
///                 tether::yield_now().await; // the download
///                 i
///             })
///         })
///         .collect();
///     tether::yield_now().await;
///     assert_eq!(slots.available_permits(), 0); // two download, three wait
///     let done = tether::task::join_all(tasks).await;
///     assert_eq!(done.into_iter().map(Result::unwrap).collect::<Vec<_>>(), [0, 1, 2, 3, 4]);
///     assert_eq!(slots.available_permits(), 2); // all given back
/// });
/// ```
pub struct Semaphore {
    /// The free permits and the waiters.
    state: RefCell<State>,
}

/// A [`Semaphore`]'s count and line.
struct State {
    /// Permits free to take.
    permits: usize,
    /// Tasks waiting for a permit; a notified one has been handed one.
    waiters: WaitList,
}

impl Semaphore {
    /// A semaphore with `permits` free permits. Shown in
    /// [`Semaphore`'s example](Semaphore#examples).
    pub fn new(permits: usize) -> Self {
        Self {
            state: RefCell::new(State {
                permits,
                waiters: WaitList::default(),
            }),
        }
    }

    /// Waits for a permit and takes it; it is given back when the returned
    /// [`SemaphorePermit`] is dropped.
    ///
    /// Cancellation-safe: a task dropped while waiting leaves the line, and
    /// one dropped after a permit was handed to it, before it ran, hands the
    /// permit on.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use tether::sync::Semaphore;
    /// use tether::time::timeout;
    ///
    /// tether::run(async {
    ///     let slots = Semaphore::new(1);
    ///     let permit = slots.acquire().await;
    ///     // None free: this acquire waits, and gives up with the timeout.
    ///     assert!(timeout(Duration::from_millis(1), slots.acquire()).await.is_err());
    ///     drop(permit);
    ///     let _again = slots.acquire().await;
    ///     assert_eq!(slots.available_permits(), 0);
    /// });
    /// ```
    pub fn acquire(&self) -> Acquire<'_> {
        Acquire {
            semaphore: self,
            key: None,
        }
    }

    /// Takes a permit if one is free and nobody is waiting for one.
    ///
    /// # Examples
    ///
    /// ```
    /// let slots = tether::sync::Semaphore::new(1);
    /// let permit = slots.try_acquire().unwrap();
    /// assert!(slots.try_acquire().is_none());
    /// drop(permit);
    /// assert!(slots.try_acquire().is_some());
    /// ```
    pub fn try_acquire(&self) -> Option<SemaphorePermit<'_>> {
        let mut state = self.state.borrow_mut();
        if state.permits > 0 && state.waiters.is_empty() {
            state.permits -= 1;
            Some(SemaphorePermit { semaphore: self })
        } else {
            None
        }
    }

    /// Adds `n` permits, handing them to waiters first.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    /// use tether::sync::Semaphore;
    ///
    /// tether::run(async {
    ///     let gate = Rc::new(Semaphore::new(0));
    ///     let waiter = tether::spawn({
    ///         let gate = gate.clone();
    ///         async move { gate.acquire().await.forget() }
    ///     });
    ///     tether::yield_now().await; // the waiter waits
    ///     gate.add_permits(2);
    ///     waiter.await.unwrap();
    ///     assert_eq!(gate.available_permits(), 1); // the other went to the waiter
    /// });
    /// ```
    pub fn add_permits(&self, n: usize) {
        for _ in 0..n {
            self.release();
        }
    }

    /// The permits free to take now. Shown in
    /// [`Semaphore`'s example](Semaphore#examples).
    pub fn available_permits(&self) -> usize {
        self.state.borrow().permits
    }

    /// Gives one permit back: to the first waiter if there is one.
    fn release(&self) {
        let mut state = self.state.borrow_mut();
        if !state.waiters.notify_one() {
            state.permits += 1;
        }
    }
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Semaphore")
            .field("permits", &self.available_permits())
            .finish_non_exhaustive()
    }
}

/// A permit taken from a [`Semaphore`]; dropping it gives it back.
///
/// Made by [`Semaphore::acquire`] and [`Semaphore::try_acquire`].
///
/// # Examples
///
/// ```
/// use tether::sync::{Semaphore, SemaphorePermit};
///
/// tether::run(async {
///     let slots = Semaphore::new(1);
///     let permit: SemaphorePermit<'_> = slots.acquire().await;
///     assert_eq!(slots.available_permits(), 0);
///     drop(permit);
///     assert_eq!(slots.available_permits(), 1);
/// });
/// ```
#[must_use = "the permit is given back as soon as it is dropped"]
pub struct SemaphorePermit<'a> {
    /// Where the permit goes back to.
    semaphore: &'a Semaphore,
}

impl SemaphorePermit<'_> {
    /// Keeps the permit taken for good: it is never given back.
    ///
    /// # Examples
    ///
    /// ```
    /// // A budget of two attempts, used up for good.
    /// let attempts = tether::sync::Semaphore::new(2);
    /// attempts.try_acquire().unwrap().forget();
    /// attempts.try_acquire().unwrap().forget();
    /// assert_eq!(attempts.available_permits(), 0);
    /// assert!(attempts.try_acquire().is_none());
    /// ```
    pub fn forget(self) {
        std::mem::forget(self);
    }
}

impl Drop for SemaphorePermit<'_> {
    fn drop(&mut self) {
        self.semaphore.release();
    }
}

impl fmt::Debug for SemaphorePermit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SemaphorePermit").finish_non_exhaustive()
    }
}

/// The future of [`Semaphore::acquire`].
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use tether::sync::{Acquire, Semaphore};
/// use tether::time::timeout;
///
/// tether::run(async {
///     let slots = Semaphore::new(0);
///     let acquire: Acquire<'_> = slots.acquire();
///     // No permit: the acquire gives up with the timeout, and leaves the line.
///     assert!(timeout(Duration::from_millis(1), acquire).await.is_err());
///     slots.add_permits(1);
///     assert_eq!(slots.available_permits(), 1); // nobody in line took it
/// });
/// ```
#[must_use = "futures do nothing unless polled"]
#[derive(Debug)]
pub struct Acquire<'a> {
    /// The semaphore a permit is wanted from.
    semaphore: &'a Semaphore,
    /// Where this acquire stands in the line, once it is in it.
    key: Option<WaiterKey>,
}

impl<'a> Future for Acquire<'a> {
    type Output = SemaphorePermit<'a>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<SemaphorePermit<'a>> {
        let this = &mut *self;
        let semaphore = this.semaphore;
        let mut state = semaphore.state.borrow_mut();
        match state.waiters.turn(&mut this.key, cx.waker()) {
            // The permit was handed over by `release`.
            Turn::Notified(_) => Poll::Ready(SemaphorePermit { semaphore }),
            Turn::Waiting => Poll::Pending,
            Turn::NotInLine if state.permits > 0 && state.waiters.is_empty() => {
                state.permits -= 1;
                Poll::Ready(SemaphorePermit { semaphore })
            }
            Turn::NotInLine => {
                this.key = Some(state.waiters.push_back(cx.waker()));
                Poll::Pending
            }
        }
    }
}

impl Drop for Acquire<'_> {
    fn drop(&mut self) {
        let Some(key) = self.key else { return };
        let notified = self.semaphore.state.borrow_mut().waiters.remove(key);
        if notified {
            // A permit was handed to this acquire, which will never take
            // it: hand it on.
            self.semaphore.release();
        }
    }
}
