//! `RemoteCall`: a closure from another thread, on its way to the ready
//! queue.
//!
//! [`Handle::call_soon`](crate::Handle::call_soon) sends one; the loop
//! takes it from the injection queue in step 4 and calls it in its FIFO
//! place in step 6. It is not a task (see `local/callback.rs` for why):
//! nothing can cancel it, it has no id, and a panic in it goes to the
//! exception handler as a callback's. Debug mode sends it with the place
//! it was submitted from, for a slow run's report.
//!
//! # Stored in place
//!
//! A closure of at most two words (an `Arc`, a channel's sender, a few
//! integers; a function pointer or a closure that captures nothing) is
//! kept in the `RemoteCall` itself, so it travels in its slot of the
//! injection queue and costs no allocation. A larger one is boxed, and the
//! box, two words, is kept in its place. The box was the single largest
//! cost of a callback: `malloc` on the submitting thread and `free` on the
//! loop thread, of memory from the submitter's arena, so that a producer
//! and the loop met on the allocator's lock for every callback, and a loop
//! that fell behind freed its way through memory the producer had just
//! made and the cache no longer held. With the closure in place, a
//! callback allocates nothing, and the injection queue's buffers, which
//! go round between the producers and the loop (the queue's own, the
//! batches the loop took, and up to `SPARES` emptied ones it keeps:
//! `ready_queue.rs`), are reused once they have grown.
//!
//! The slot is untyped, so what it holds is known through a table of
//! functions made for that type when it was stored (`VTableOf::VTABLE`),
//! the way a `dyn` pointer's vtable is: call it, drop it, say where it was
//! submitted, name its type. This is the one `unsafe` of the module, and
//! every access goes through the table made for the type that was written.

use std::any::{Any, TypeId};
use std::cell::UnsafeCell;
use std::marker::PhantomData;
use std::mem::{ManuallyDrop, MaybeUninit};
use std::panic::Location;

/// Room for a closure kept in place: two words, word-aligned.
type Slot = MaybeUninit<[usize; 2]>;

/// A closure sent from another thread with `Handle::call_soon`, on its way
/// to the loop's ready queue. It is not a task: it runs once, in its FIFO
/// place, and a panic goes to the exception handler with no task id.
pub(crate) struct RemoteCall {
    /// A [`Payload`] of the type `vtable` was made for: the closure, the
    /// closure with its location, or a box of either. In an `UnsafeCell`,
    /// since a payload may have interior mutability (a closure that
    /// captures an atomic, say) and `location` reads it through `&self`;
    /// that also makes a `RemoteCall` `Send` (only `Send` payloads are
    /// stored) but not `Sync`, which the payload need not be.
    slot: UnsafeCell<Slot>,
    vtable: &'static VTable,
}

impl RemoteCall {
    pub(crate) fn new<F: FnOnce() + Send + 'static>(f: F) -> Self {
        Self::store(f)
    }

    /// A callback that knows where it was submitted, for debug mode's
    /// warnings. The location costs a word, which can push the closure out
    /// of its place into a box, so only debug mode makes these.
    pub(crate) fn located<F: FnOnce() + Send + 'static>(
        f: F,
        called_at: &'static Location<'static>,
    ) -> Self {
        Self::store(Located { f, called_at })
    }

    /// Keeps `payload` in place if it fits, or boxed if it does not. Which
    /// branch a type takes is known when it is compiled.
    fn store<P: Payload>(payload: P) -> Self {
        if fits::<P>() {
            Self::in_place(payload)
        } else {
            Self::in_place(Boxed(Box::new(payload)))
        }
    }

    fn in_place<P: Payload>(payload: P) -> Self {
        assert!(fits::<P>(), "a payload stored in place fits its slot");
        let slot = UnsafeCell::new(Slot::uninit());
        // SAFETY: the assertion above, which the compiler folds away, says
        // that `P` is no larger than the slot and no more aligned, so the
        // slot's pointer, cast, is valid and aligned for a write of a `P`.
        unsafe { slot.get().cast::<P>().write(payload) };
        Self {
            slot,
            vtable: VTableOf::<P>::VTABLE,
        }
    }

    /// Where the callback was submitted, if it was made `located`.
    pub(crate) fn location(&self) -> Option<&'static Location<'static>> {
        // SAFETY: `vtable` was made for the type of the payload in `slot`
        // (`in_place` writes both), and the payload is alive: `call`,
        // `into_inner` and `drop`, which move it out or drop it, take the
        // `RemoteCall` by value.
        unsafe { (self.vtable.location)(self.slot.get()) }
    }

    /// Calls the closure. Loop thread.
    pub(crate) fn call(self) {
        // The payload moves out of the slot in `call`; it must not be
        // dropped again when `self` goes.
        let this = ManuallyDrop::new(self);
        // SAFETY: `vtable` is the table of the payload's type (`in_place`),
        // the payload is alive (as in `location`), and `this` is never
        // used again nor dropped, so the payload is moved out exactly once.
        unsafe { (this.vtable.call)(this.slot.get()) }
    }

    /// The closure back, as the type it was sent as: for a submission the
    /// loop refused.
    pub(crate) fn into_inner<F: FnOnce() + Send + 'static>(self) -> F {
        let this = ManuallyDrop::new(self);
        let stored = (this.vtable.type_id)();
        if stored == TypeId::of::<F>() {
            // SAFETY: `type_id` says the slot holds an `F`, which is alive
            // (as in `location`); `this` is never used again nor dropped,
            // so it is moved out once.
            return unsafe { take::<F>(this.slot.get()) };
        }
        if stored == TypeId::of::<Located<F>>() {
            // SAFETY: as above, for the `Located<F>` the slot holds.
            return unsafe { take::<Located<F>>(this.slot.get()) }.f;
        }
        assert!(
            stored == TypeId::of::<Boxed>(),
            "a RemoteCall handed back as another type"
        );
        // SAFETY: as above, for the `Boxed` the slot holds.
        let Boxed(boxed) = unsafe { take::<Boxed>(this.slot.get()) };
        let any = boxed.into_any();
        let any = match any.downcast::<Located<F>>() {
            Ok(located) => return located.f,
            Err(any) => any,
        };
        match any.downcast::<F>() {
            Ok(f) => *f,
            Err(_) => unreachable!("a RemoteCall handed back as another type"),
        }
    }
}

impl Drop for RemoteCall {
    fn drop(&mut self) {
        // SAFETY: the table is the payload's (`in_place`), the payload is
        // alive (`call` and `into_inner` do not run this drop), and this is
        // the last use of it.
        unsafe { (self.vtable.drop)(self.slot.get()) }
    }
}

impl std::fmt::Debug for RemoteCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RemoteCall(..)")
    }
}

/// Whether a `P` fits the slot, in size and in alignment.
const fn fits<P>() -> bool {
    size_of::<P>() <= size_of::<Slot>() && align_of::<P>() <= align_of::<Slot>()
}

/// Moves the `P` out of `slot`.
///
/// # Safety
///
/// `slot` holds a live `P`, written by `in_place`, and nothing reads or
/// drops it afterwards.
unsafe fn take<P>(slot: *mut Slot) -> P {
    // SAFETY: the caller promises a live `P` in the slot, which `in_place`
    // wrote at the slot's start, aligned (it fits); reading it moves it
    // out, and the caller promises it is not used again.
    unsafe { slot.cast::<P>().read() }
}

/// What is done with a payload in a slot, for one payload type: a `dyn`
/// vtable by hand, since the slot is not a pointer.
struct VTable {
    /// Moves the payload out and calls it.
    call: unsafe fn(*mut Slot),
    /// Drops the payload in place.
    drop: unsafe fn(*mut Slot),
    /// Where the payload was submitted, if it knows.
    location: unsafe fn(*mut Slot) -> Option<&'static Location<'static>>,
    /// The payload's type, for `into_inner`.
    type_id: fn() -> TypeId,
}

/// The [`VTable`] of payload type `P`.
struct VTableOf<P>(PhantomData<P>);

impl<P: Payload> VTableOf<P> {
    const VTABLE: &'static VTable = &VTable {
        call: Self::call,
        drop: Self::drop,
        location: Self::location,
        type_id: TypeId::of::<P>,
    };

    /// # Safety
    ///
    /// `slot` holds a live `P`, which nothing uses afterwards.
    unsafe fn call(slot: *mut Slot) {
        // SAFETY: passed on from the caller.
        unsafe { take::<P>(slot) }.call();
    }

    /// # Safety
    ///
    /// `slot` holds a live `P`, which nothing uses afterwards.
    unsafe fn drop(slot: *mut Slot) {
        // SAFETY: the caller promises a live `P` at the slot's start,
        // aligned (`in_place`), and that this is its last use.
        unsafe { slot.cast::<P>().drop_in_place() }
    }

    /// # Safety
    ///
    /// `slot` holds a live `P`.
    unsafe fn location(slot: *mut Slot) -> Option<&'static Location<'static>> {
        // SAFETY: the caller promises a live `P` at the slot's start,
        // aligned (`in_place`), which nothing moves or drops while this
        // shared borrow lasts; the pointer comes from the slot's
        // `UnsafeCell`, so a `P` with interior mutability may be borrowed.
        unsafe { &*slot.cast::<P>() }.location()
    }
}

/// What a slot can hold: a closure, a closure and where it was submitted,
/// or a box of either.
trait Payload: Send + 'static {
    fn call(self);
    fn location(&self) -> Option<&'static Location<'static>>;
}

impl<F: FnOnce() + Send + 'static> Payload for F {
    fn call(self) {
        self();
    }

    fn location(&self) -> Option<&'static Location<'static>> {
        None
    }
}

/// A closure and where it was submitted (debug mode).
struct Located<F> {
    f: F,
    called_at: &'static Location<'static>,
}

impl<F: FnOnce() + Send + 'static> Payload for Located<F> {
    fn call(self) {
        (self.f)();
    }

    fn location(&self) -> Option<&'static Location<'static>> {
        Some(self.called_at)
    }
}

/// A payload too large for the slot, in a box, which fits.
struct Boxed(Box<dyn SendCall>);

impl Payload for Boxed {
    fn call(self) {
        self.0.call();
    }

    fn location(&self) -> Option<&'static Location<'static>> {
        self.0.location()
    }
}

/// A payload called through a box, or unboxed again.
trait SendCall: Send {
    fn call(self: Box<Self>);
    fn location(&self) -> Option<&'static Location<'static>>;
    fn into_any(self: Box<Self>) -> Box<dyn Any>;
}

impl<P: Payload> SendCall for P {
    fn call(self: Box<Self>) {
        Payload::call(*self);
    }

    fn location(&self) -> Option<&'static Location<'static>> {
        Payload::location(self)
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}

#[cfg(test)]
mod tests {
    //! Every path through the slot's `unsafe`, for each way a payload is
    //! kept; `scripts/miri.sh` runs these under Miri.

    use super::*;
    use std::sync::{Arc, Mutex};

    /// What happened to the closures of a test, in order.
    #[derive(Clone, Default)]
    struct Log(Arc<Mutex<Vec<&'static str>>>);

    impl Log {
        fn push(&self, what: &'static str) {
            self.0.lock().unwrap().push(what);
        }

        fn take(&self) -> Vec<&'static str> {
            std::mem::take(&mut *self.0.lock().unwrap())
        }
    }

    /// One word, which records its call and its drop.
    struct Token(Log);

    impl Token {
        fn called(self) {
            self.0.push("called");
        }
    }

    impl Drop for Token {
        fn drop(&mut self) {
            self.0.push("dropped");
        }
    }

    /// A token of two words, as the slot is, but aligned past it.
    #[repr(align(16))]
    struct Aligned(Token);

    /// A callback whose closure takes one word, two, three, or two but
    /// aligned past the slot; made by `located` or by `new`.
    fn callback(log: &Log, shape: usize, located: bool) -> RemoteCall {
        fn make<F: FnOnce() + Send + 'static>(f: F, located: bool) -> RemoteCall {
            if located {
                RemoteCall::located(f, Location::caller())
            } else {
                RemoteCall::new(f)
            }
        }
        let token = Token(log.clone());
        match shape {
            1 => make(move || token.called(), located),
            2 => {
                let word = 2usize;
                make(
                    move || (word == 2).then(|| token.called()).unwrap(),
                    located,
                )
            }
            3 => {
                let words = [3usize; 2];
                make(
                    move || (words == [3; 2]).then(|| token.called()).unwrap(),
                    located,
                )
            }
            _ => {
                let aligned = Aligned(token);
                let f = move || {
                    // Moved whole, so that the closure holds the `Aligned`,
                    // not only its field.
                    let aligned = aligned;
                    aligned.0.called();
                };
                assert!(size_of_val(&f) <= size_of::<Slot>());
                assert!(align_of_val(&f) > align_of::<Slot>());
                make(f, located)
            }
        }
    }

    #[test]
    fn closures_of_two_words_are_kept_in_place_and_larger_ones_boxed() {
        assert!(fits::<fn()>());
        assert!(fits::<(Arc<()>, usize)>());
        assert!(fits::<Boxed>());
        assert!(!fits::<[usize; 3]>());
        assert!(!fits::<Located<(Arc<()>, usize)>>());
        // Small enough, but aligned past the slot.
        assert!(!fits::<Aligned>());
    }

    #[test]
    fn each_kind_of_payload_is_called_once_and_dropped_once() {
        RemoteCall::new(|| ()).call();
        for located in [false, true] {
            for shape in 1..=4 {
                let log = Log::default();
                callback(&log, shape, located).call();
                assert_eq!(
                    log.take(),
                    ["called", "dropped"],
                    "shape {shape}, located {located}"
                );
            }
        }
    }

    #[test]
    fn a_payload_dropped_uncalled_is_dropped_once() {
        for located in [false, true] {
            for shape in 1..=4 {
                let log = Log::default();
                drop(callback(&log, shape, located));
                assert_eq!(log.take(), ["dropped"], "shape {shape}, located {located}");
            }
        }
    }

    #[test]
    fn a_located_payload_says_where_it_came_from_in_place_and_boxed() {
        let log = Log::default();
        for shape in 1..=4 {
            let call = callback(&log, shape, true);
            assert!(call.location().is_some(), "shape {shape}");
            assert!(callback(&log, shape, false).location().is_none());
            call.call();
        }
    }

    #[test]
    fn a_location_is_read_without_touching_a_closure_with_interior_mutability() {
        use std::cell::Cell;
        // In place: the cell and the location fill the two words.
        let counter = Cell::new(0_u32);
        let call = RemoteCall::located(
            move || assert_eq!(counter.replace(1), 0),
            Location::caller(),
        );
        assert!(call.location().is_some());
        call.call();
        let counter = Cell::new(0_u32);
        let call = RemoteCall::new(move || assert_eq!(counter.get(), 0));
        assert!(call.location().is_none());
        call.call();
    }

    #[test]
    fn every_kind_of_payload_comes_back_as_the_closure_it_was() {
        /// Sends `f` and takes it back, as a refused `call_soon` does.
        fn round_trip<F: FnOnce() + Send + 'static>(f: F, located: bool) -> F {
            let call = if located {
                RemoteCall::located(f, Location::caller())
            } else {
                RemoteCall::new(f)
            };
            call.into_inner::<F>()
        }
        for located in [false, true] {
            let log = Log::default();
            let token = Token(log.clone());
            round_trip(move || token.called(), located)();
            let (token, word) = (Token(log.clone()), 2usize);
            round_trip(
                move || (word == 2).then(|| token.called()).unwrap(),
                located,
            )();
            let (token, words) = (Token(log.clone()), [3usize; 2]);
            round_trip(
                move || (words == [3; 2]).then(|| token.called()).unwrap(),
                located,
            )();
            assert_eq!(
                log.take(),
                ["called", "dropped"].repeat(3),
                "located {located}"
            );
        }
    }
}
