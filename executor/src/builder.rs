//! `Builder`: a runtime with settings.

use std::io;
use std::rc::Rc;

use tether_reactor::Reactor;

use crate::core::Core;
use crate::exception::{self, Exception, ExceptionHandler};
use crate::runtime::Runtime;

/// Configures and builds a [`Runtime`].
///
/// asyncio: `new_event_loop()` followed by `loop.set_exception_handler(..)`.
///
/// # Examples
///
/// ```
/// use std::cell::Cell;
/// use std::rc::Rc;
/// # fn main() -> std::io::Result<()> {
/// let panics = Rc::new(Cell::new(0));
/// let seen = panics.clone();
/// let rt = tether::Runtime::builder()
///     .on_exception(move |_exception| seen.set(seen.get() + 1))
///     .build()?;
/// rt.block_on(async {
///     // Detached (the JoinHandle is dropped), so the handler hears of it.
///     drop(tether::spawn(async { panic!("boom") }));
///     tether::yield_now().await;
/// });
/// assert_eq!(panics.get(), 1);
/// # Ok(())
/// # }
/// ```
#[must_use = "a Builder does nothing until `build` is called"]
pub struct Builder {
    /// The exception handler; `None` for the default.
    on_exception: Option<ExceptionHandler>,
}

impl Builder {
    /// A builder with the default settings.
    pub fn new() -> Self {
        Self { on_exception: None }
    }

    /// Sets what happens to a panic nobody else will see: one in a task
    /// whose `JoinHandle` was dropped, or in a callback.
    ///
    /// asyncio: `loop.set_exception_handler(handler)`.
    ///
    /// The handler runs on the loop thread, right after the panic was
    /// caught; the loop goes on afterwards. A panic in the handler itself is
    /// caught and printed. The default prints one line to stderr, naming the
    /// task: `tether: task 7 panicked: boom`.
    pub fn on_exception(mut self, handler: impl Fn(&Exception<'_>) + 'static) -> Self {
        self.on_exception = Some(Box::new(handler));
        self
    }

    /// Builds the runtime.
    ///
    /// # Errors
    ///
    /// Fails if the OS refuses the poller (for example, out of file
    /// descriptors).
    pub fn build(self) -> io::Result<Runtime> {
        let reactor = Reactor::new()?;
        let on_exception = self
            .on_exception
            .unwrap_or_else(|| Box::new(exception::default_handler));
        Ok(Runtime::from_core(Rc::new(Core::new(
            reactor,
            on_exception,
        ))))
    }
}

impl Default for Builder {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Builder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Builder")
            .field("on_exception", &self.on_exception.is_some())
            .finish()
    }
}
