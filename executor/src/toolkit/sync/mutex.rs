//! `Mutex`: a value one task at a time may use, across awaits.

use std::cell::{RefCell, RefMut};
use std::fmt;
use std::ops::{Deref, DerefMut};

use super::semaphore::{Semaphore, SemaphorePermit};

/// A value that one task at a time holds, even across `.await`s.
///
/// asyncio: `asyncio.Lock`, with the data it protects inside.
///
/// [`lock`](Mutex::lock) waits until no other task holds the value; tasks
/// get it in the order they asked. A `RefCell` would do between awaits;
/// this is for holding the value while the task waits for something else.
///
/// Built on a [`Semaphore`] with one permit: the guard holds the permit
/// and the `RefCell` borrow of the value, and gives both back when dropped.
/// The semaphore's line makes the lock fair and its cancellation safety
/// carries over: a task dropped while waiting for the lock never leaves it
/// locked.
///
/// Loop-local: share it between the loop's tasks with an `Rc`.
///
/// # Examples
///
/// ```
/// use std::rc::Rc;
/// use tether::sync::Mutex;
///
/// tether::run(async {
///     let log = Rc::new(Mutex::new(Vec::new()));
///     let writers: Vec<_> = (0..3)
///         .map(|i| {
///             let log = log.clone();
///             tether::spawn(async move {
///                 let mut log = log.lock().await;
///                 log.push(i);
///                 tether::yield_now().await; // still holding it
///                 log.push(i);
///             })
///         })
///         .collect();
///     tether::yield_now().await;
///     assert!(log.is_locked()); // by writer 0, across its await
///     tether::task::join_all(writers).await;
///     assert!(!log.is_locked());
///
///     // The writers are done, and with them their `Rc`s: the value comes
///     // out, and a unique borrow needs no lock.
///     let mut log = Rc::into_inner(log).unwrap();
///     log.get_mut().push(3);
///     assert_eq!(log.into_inner(), [0, 0, 1, 1, 2, 2, 3]);
/// });
/// ```
pub struct Mutex<T: ?Sized> {
    /// One permit: whoever holds it holds the value.
    permit: Semaphore,
    /// The value; borrowed only by the permit's holder.
    value: RefCell<T>,
}

impl<T> Mutex<T> {
    /// A mutex around `value`, unlocked. Shown in [`Mutex`'s example](Mutex#examples).
    pub fn new(value: T) -> Self {
        Self {
            permit: Semaphore::new(1),
            value: RefCell::new(value),
        }
    }

    /// The value, from a mutex nobody can be waiting on. Shown in
    /// [`Mutex`'s example](Mutex#examples).
    pub fn into_inner(self) -> T {
        self.value.into_inner()
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Waits until no other task holds the value, then holds it until the
    /// guard is dropped.
    ///
    /// Cancellation-safe, as [`Semaphore::acquire`] is.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    /// use tether::sync::Mutex;
    ///
    /// tether::run(async {
    ///     let total = Rc::new(Mutex::new(0));
    ///     let guard = total.lock().await;
    ///     let adder = tether::spawn({
    ///         let total = total.clone();
    ///         async move { *total.lock().await += 1 }
    ///     });
    ///     tether::yield_now().await;
    ///     assert!(!adder.is_finished()); // waits for the guard
    ///     drop(guard);
    ///     adder.await.unwrap();
    ///     assert_eq!(*total.lock().await, 1);
    /// });
    /// ```
    pub async fn lock(&self) -> MutexGuard<'_, T> {
        let permit = self.permit.acquire().await;
        self.guard(permit)
    }

    /// Holds the value if nobody does and nobody is waiting for it.
    ///
    /// # Examples
    ///
    /// ```
    /// let mutex = tether::sync::Mutex::new(1);
    /// let guard = mutex.try_lock().unwrap();
    /// assert!(mutex.try_lock().is_none()); // held
    /// drop(guard);
    /// *mutex.try_lock().unwrap() += 1;
    /// assert_eq!(mutex.into_inner(), 2);
    /// ```
    pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        let permit = self.permit.try_acquire()?;
        Some(self.guard(permit))
    }

    /// The value, through a unique borrow of the mutex: no locking needed.
    /// Shown in [`Mutex`'s example](Mutex#examples).
    pub fn get_mut(&mut self) -> &mut T {
        self.value.get_mut()
    }

    /// Whether a task holds the value now. Shown in [`Mutex`'s example](Mutex#examples).
    pub fn is_locked(&self) -> bool {
        self.permit.available_permits() == 0
    }

    fn guard<'a>(&'a self, permit: SemaphorePermit<'a>) -> MutexGuard<'a, T> {
        MutexGuard {
            // Only the permit's holder borrows the value, so this cannot
            // find it borrowed.
            value: self.value.borrow_mut(),
            _permit: permit,
        }
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Mutex");
        match self.value.try_borrow() {
            Ok(value) => d.field("value", &&*value),
            Err(_) => d.field("value", &format_args!("<locked>")),
        };
        d.finish_non_exhaustive()
    }
}

impl<T: Default> Default for Mutex<T> {
    fn default() -> Self {
        Self::new(T::default())
    }
}

/// The value of a [`Mutex`], held until this guard is dropped.
///
/// Made by [`Mutex::lock`] and [`Mutex::try_lock`].
///
/// # Examples
///
/// ```
/// use tether::sync::{Mutex, MutexGuard};
///
/// tether::run(async {
///     let names = Mutex::new(vec!["a"]);
///     let mut guard: MutexGuard<'_, Vec<&str>> = names.lock().await;
///     guard.push("b"); // `DerefMut` to the value
///     assert_eq!(guard.len(), 2);
///     drop(guard); // unlocks
///     assert!(!names.is_locked());
/// });
/// ```
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct MutexGuard<'a, T: ?Sized> {
    /// The borrow of the value. Declared first, so dropped first: the
    /// value is given back before the permit lets the next holder in.
    value: RefMut<'a, T>,
    /// The mutex's only permit.
    _permit: SemaphorePermit<'a>,
}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.value
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.value, f)
    }
}
