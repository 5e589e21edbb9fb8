//! The numbers of the signals programs handle most, as `i32`s, the way
//! asyncio's `signal.SIGTERM` and friends are ints. Any other number
//! (`libc::SIGRTMIN()`, say) works as well; these only spare a program
//! the `libc` dependency for the common ones. The values are the
//! platform's: `SIGUSR1` is 10 on Linux and 30 on macOS.

/// Hangup: the controlling terminal closed; daemons take it as "reload".
///
/// # Examples
///
/// ```
/// use tether_reactor::signal::{SIGHUP, Signal};
///
/// tether::run(async {
///     let signal = Signal::new(SIGHUP).unwrap();
///     assert_eq!(signal.number(), SIGHUP);
/// });
/// ```
pub const SIGHUP: i32 = libc::SIGHUP;

/// Interrupt: Ctrl-C in the terminal.
///
/// # Examples
///
/// ```
/// use tether_reactor::signal::{SIGINT, Signal};
///
/// tether::run(async {
///     let signal = Signal::new(SIGINT).unwrap();
///     assert_eq!(signal.number(), SIGINT);
/// });
/// ```
pub const SIGINT: i32 = libc::SIGINT;

/// Quit: Ctrl-\ in the terminal.
///
/// # Examples
///
/// ```
/// use tether_reactor::signal::{SIGQUIT, Signal};
///
/// tether::run(async {
///     let signal = Signal::new(SIGQUIT).unwrap();
///     assert_eq!(signal.number(), SIGQUIT);
/// });
/// ```
pub const SIGQUIT: i32 = libc::SIGQUIT;

/// Terminate: the polite request to exit (`kill`'s default, and what
/// service managers send first).
///
/// # Examples
///
/// ```
/// use tether_reactor::signal::{SIGTERM, Signal};
///
/// tether::run(async {
///     let signal = Signal::new(SIGTERM).unwrap();
///     assert_eq!(signal.number(), SIGTERM);
/// });
/// ```
pub const SIGTERM: i32 = libc::SIGTERM;

/// User-defined signal 1.
///
/// # Examples
///
/// ```
/// use tether_reactor::signal::{SIGUSR1, Signal};
///
/// tether::run(async {
///     let signal = Signal::new(SIGUSR1).unwrap();
///     assert_eq!(signal.number(), SIGUSR1);
/// });
/// ```
pub const SIGUSR1: i32 = libc::SIGUSR1;

/// User-defined signal 2.
///
/// # Examples
///
/// ```
/// use tether_reactor::signal::{SIGUSR2, Signal};
///
/// tether::run(async {
///     let signal = Signal::new(SIGUSR2).unwrap();
///     assert_eq!(signal.number(), SIGUSR2);
/// });
/// ```
pub const SIGUSR2: i32 = libc::SIGUSR2;

/// A timer set with `alarm` expired.
///
/// # Examples
///
/// ```
/// use tether_reactor::signal::{SIGALRM, Signal};
///
/// tether::run(async {
///     let signal = Signal::new(SIGALRM).unwrap();
///     assert_eq!(signal.number(), SIGALRM);
/// });
/// ```
pub const SIGALRM: i32 = libc::SIGALRM;

/// A child process stopped or exited.
///
/// # Examples
///
/// ```
/// use tether_reactor::signal::{SIGCHLD, Signal};
///
/// tether::run(async {
///     let signal = Signal::new(SIGCHLD).unwrap();
///     assert_eq!(signal.number(), SIGCHLD);
/// });
/// ```
pub const SIGCHLD: i32 = libc::SIGCHLD;

/// A write to a pipe or socket whose reader is gone (Rust programs start
/// with it ignored).
///
/// # Examples
///
/// ```
/// use tether_reactor::signal::{SIGPIPE, Signal};
///
/// tether::run(async {
///     let signal = Signal::new(SIGPIPE).unwrap();
///     assert_eq!(signal.number(), SIGPIPE);
/// });
/// ```
pub const SIGPIPE: i32 = libc::SIGPIPE;

/// The terminal window changed size.
///
/// # Examples
///
/// ```
/// use tether_reactor::signal::{SIGWINCH, Signal};
///
/// tether::run(async {
///     let signal = Signal::new(SIGWINCH).unwrap();
///     assert_eq!(signal.number(), SIGWINCH);
/// });
/// ```
pub const SIGWINCH: i32 = libc::SIGWINCH;

/// Continue, after a stop.
///
/// # Examples
///
/// ```
/// use tether_reactor::signal::{SIGCONT, Signal};
///
/// tether::run(async {
///     let signal = Signal::new(SIGCONT).unwrap();
///     assert_eq!(signal.number(), SIGCONT);
/// });
/// ```
pub const SIGCONT: i32 = libc::SIGCONT;

/// Stop from the terminal: Ctrl-Z.
///
/// # Examples
///
/// ```
/// use tether_reactor::signal::{SIGTSTP, Signal};
///
/// tether::run(async {
///     let signal = Signal::new(SIGTSTP).unwrap();
///     assert_eq!(signal.number(), SIGTSTP);
/// });
/// ```
pub const SIGTSTP: i32 = libc::SIGTSTP;
