//! What the loop reports: the layer that reads the loop and never steers it.
//!
//! - `exception`: panics nobody will see through a `JoinHandle`, and the
//!   handler they go to ([`Builder::on_exception`](crate::Builder::on_exception));
//! - `debug`: debug mode, which times every run and reports the slow ones;
//! - `dump`: the list of a loop's live tasks ([`Handle::dump`](crate::Handle::dump));
//! - `metrics`: the loop's counters ([`Handle::metrics`](crate::Handle::metrics)).
//!
//! The loop core calls into this layer (it hands a panic to the handler,
//! a slow run to debug mode, its task list to a dump); nothing here calls
//! back into the loop or changes what it runs next. So these modules
//! import only the leaf `id`, and every other layer may import them.

mod debug;
mod dump;
mod exception;
mod metrics;

pub use debug::SlowCallback;
pub(crate) use debug::{
    DEFAULT_SLOW_CALLBACK, DebugMode, RunInfo, SlowCallbackHandler, Stamp, debug_from_env,
    default_slow_callback_handler,
};
pub use dump::{Dump, DumpError, TaskInfo, TaskStatus};
pub use exception::Exception;
pub(crate) use exception::{ExceptionHandler, default_handler, panic_message};
pub use metrics::Metrics;

/// Writes `line` and a newline to stderr, as `eprintln!` does, but drops
/// it if stderr is gone (a closed pipe, since Rust ignores `SIGPIPE`),
/// where `eprintln!` panics: a report must not take the loop down.
pub(crate) fn report_line(line: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let _ = std::io::stderr().write_fmt(format_args!("{line}\n"));
}
