//! `Command`: std's process builder, with a spawn that hands the child to
//! the loop.

use std::ffi::OsStr;
use std::io;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{CommandArgs, CommandEnvs, ExitStatus, Output, Stdio};

use super::child::Child;
use super::signal_mask;
use crate::reactor::Reactor;

/// A process builder: std's [`std::process::Command`], whose every
/// builder passes through, with a [`spawn`](Command::spawn) that hands the
/// child to the current loop, and [`kill_on_drop`](Command::kill_on_drop).
///
/// asyncio: the arguments of `asyncio.create_subprocess_exec` and
/// `create_subprocess_shell` ([`Command::shell`]).
///
/// Setting a stream (`stdin`, `stdout`, `stderr`) here is remembered:
/// [`output`](Command::output) pipes stdout and stderr and gives stdin
/// `/dev/null` only where nothing was set, as std's does. A stream set
/// through [`as_std_mut`](Command::as_std_mut), or on the std command a
/// `Command` was made from (`From<std::process::Command>`), is not known
/// here, and `output` sets its own there.
///
/// # Examples
///
/// ```
/// use tether_reactor::process::Command;
///
/// # fn main() -> std::io::Result<()> {
/// tether::run(async {
///     let output = Command::new("sh")
///         .arg("-c")
///         .args(["echo \"$GREETING from $(pwd)\"; exit 2"])
///         .env("GREETING", "hello")
///         .current_dir("/")
///         .output()
///         .await?;
///     assert_eq!(output.stdout, b"hello from /\n");
///     assert_eq!(output.status.code(), Some(2));
///     Ok(())
/// })
/// # }
/// ```
///
/// The environment, and a command's parts read back, without a loop:
///
/// ```
/// use std::ffi::OsStr;
/// use std::path::Path;
///
/// use tether_reactor::process::Command;
///
/// let mut command = Command::shell("echo \"$A$B\"; echo \"${HOME:-no home}\"");
/// command
///     .env_clear()
///     .envs([("A", "1"), ("B", "2"), ("HOME", "/h")])
///     .env_remove("HOME")
///     .current_dir("/tmp")
///     .kill_on_drop(true);
/// assert_eq!(command.get_program(), "/bin/sh");
/// assert_eq!(command.get_args().count(), 2); // -c, and the line
/// let envs: Vec<_> = command.get_envs().collect();
/// let (a, b) = (Some(OsStr::new("1")), Some(OsStr::new("2")));
/// // HOME came and went; the cleared environment needs no note of it.
/// assert_eq!(envs, [("A".as_ref(), a), ("B".as_ref(), b)]);
/// assert_eq!(command.get_current_dir(), Some(Path::new("/tmp")));
/// assert!(command.get_kill_on_drop());
/// // std's builder, for what this type does not pass through.
/// command.as_std_mut().arg("ignored by sh -c");
/// assert_eq!(command.as_std().get_args().count(), 3);
/// # let output = tether::run(command.output())?;
/// # assert_eq!(output.stdout, b"12\nno home\n");
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// A child with its own ids (this process's, which need no privilege):
///
/// ```
/// use std::os::unix::fs::MetadataExt;
///
/// use tether_reactor::process::Command;
///
/// # fn main() -> std::io::Result<()> {
/// tether::run(async {
///     let me = std::fs::metadata("/proc/self")?;
///     let output = Command::shell("id -u; id -g")
///         .uid(me.uid())
///         .gid(me.gid())
///         .output()
///         .await?;
///     let ids = format!("{}\n{}\n", me.uid(), me.gid());
///     assert_eq!(String::from_utf8_lossy(&output.stdout), ids);
///     Ok(())
/// })
/// # }
/// ```
#[derive(Debug)]
pub struct Command {
    /// The std builder, which does the spawning.
    std: std::process::Command,
    /// Whether a `Child` dropped unreaped is sent `SIGKILL`.
    kill_on_drop: bool,
    /// Which of stdin, stdout and stderr were set through this type.
    stdio_set: [bool; 3],
    /// Whether the hook that empties the child's signal mask is on `std`
    /// (`signal_mask.rs`).
    unblocks_signals: bool,
}

/// Which stdio a spawn gives the streams the caller did not set.
type Defaults = [fn() -> Stdio; 3];

/// `spawn`'s and `status`'s: std's default, inheriting all three.
const INHERIT: Defaults = [Stdio::inherit, Stdio::inherit, Stdio::inherit];
/// `output`'s: no stdin, stdout and stderr captured (std's).
const CAPTURE: Defaults = [Stdio::null, Stdio::piped, Stdio::piped];
/// `output_with_input`'s: all three piped.
const EXCHANGE: Defaults = [Stdio::piped, Stdio::piped, Stdio::piped];

impl Command {
    /// A command that runs `program`, found on `PATH` unless it is a path,
    /// with no arguments, the parent's environment and working directory,
    /// and for [`spawn`](Command::spawn) the parent's stdin, stdout and
    /// stderr. Shown in [`Command`'s example](Command#examples).
    pub fn new(program: impl AsRef<OsStr>) -> Command {
        std::process::Command::new(program).into()
    }

    /// A command that runs `command_line` with `/bin/sh -c`, so that the
    /// shell parses it: pipes, redirections, variables, globs.
    ///
    /// asyncio: `asyncio.create_subprocess_shell(cmd)`.
    ///
    /// The shell sees the whole line, so a piece of it that comes from
    /// outside the program can run anything: pass such values as
    /// arguments with [`Command::new`], or through the environment, as
    /// the example does.
    ///
    /// # Examples
    ///
    /// ```
    /// use tether_reactor::process::Command;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// tether::run(async {
    ///     let output = Command::shell("printf '%s\\n' \"$NAME\" | tr a-z A-Z")
    ///         .env("NAME", "a name; rm -rf ~") // data, never parsed as shell
    ///         .output()
    ///         .await?;
    ///     assert_eq!(output.stdout, b"A NAME; RM -RF ~\n");
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn shell(command_line: impl AsRef<OsStr>) -> Command {
        let mut command = Command::new("/bin/sh");
        command.arg("-c").arg(command_line);
        command
    }

    /// Adds an argument: [`std::process::Command::arg`]. Shown in
    /// [`Command`'s example](Command#examples).
    pub fn arg(&mut self, arg: impl AsRef<OsStr>) -> &mut Command {
        self.std.arg(arg);
        self
    }

    /// Adds arguments: [`std::process::Command::args`]. Shown in
    /// [`Command`'s example](Command#examples).
    pub fn args<I, S>(&mut self, args: I) -> &mut Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.std.args(args);
        self
    }

    /// Sets an environment variable: [`std::process::Command::env`].
    /// Shown in [`Command`'s example](Command#examples).
    pub fn env(&mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> &mut Command {
        self.std.env(key, value);
        self
    }

    /// Sets environment variables: [`std::process::Command::envs`]. Shown
    /// in [`Command`'s example](Command#examples).
    pub fn envs<I, K, V>(&mut self, vars: I) -> &mut Command
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        self.std.envs(vars);
        self
    }

    /// Removes an environment variable:
    /// [`std::process::Command::env_remove`]. Shown in
    /// [`Command`'s example](Command#examples).
    pub fn env_remove(&mut self, key: impl AsRef<OsStr>) -> &mut Command {
        self.std.env_remove(key);
        self
    }

    /// Starts from an empty environment:
    /// [`std::process::Command::env_clear`]. Shown in
    /// [`Command`'s example](Command#examples).
    pub fn env_clear(&mut self) -> &mut Command {
        self.std.env_clear();
        self
    }

    /// Sets the working directory:
    /// [`std::process::Command::current_dir`]. Shown in
    /// [`Command`'s example](Command#examples).
    pub fn current_dir(&mut self, dir: impl AsRef<Path>) -> &mut Command {
        self.std.current_dir(dir);
        self
    }

    /// Sets the child's stdin: [`std::process::Command::stdin`].
    /// [`Stdio::piped`] gives the parent a [`ChildStdin`](super::ChildStdin)
    /// in [`Child::stdin`]. Shown in
    /// [`ChildStdin`'s example](super::ChildStdin#examples).
    pub fn stdin(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.std.stdin(cfg);
        self.stdio_set[0] = true;
        self
    }

    /// Sets the child's stdout: [`std::process::Command::stdout`].
    /// [`Stdio::piped`] gives the parent a
    /// [`ChildStdout`](super::ChildStdout) in [`Child::stdout`]. Shown in
    /// [`ChildStdout`'s example](super::ChildStdout#examples).
    pub fn stdout(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.std.stdout(cfg);
        self.stdio_set[1] = true;
        self
    }

    /// Sets the child's stderr: [`std::process::Command::stderr`].
    /// [`Stdio::piped`] gives the parent a
    /// [`ChildStderr`](super::ChildStderr) in [`Child::stderr`]. Shown in
    /// [`ChildStderr`'s example](super::ChildStderr#examples).
    pub fn stderr(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.std.stderr(cfg);
        self.stdio_set[2] = true;
        self
    }

    /// Sets the child's user id: std's [`CommandExt::uid`]. Needs the
    /// privilege to change it, as `setuid(2)` does. Shown in
    /// [`Command`'s example](Command#examples).
    pub fn uid(&mut self, id: u32) -> &mut Command {
        self.std.uid(id);
        self
    }

    /// Sets the child's group id: std's [`CommandExt::gid`]. Needs the
    /// privilege to change it, as `setgid(2)` does. Shown in
    /// [`Command`'s example](Command#examples).
    pub fn gid(&mut self, id: u32) -> &mut Command {
        self.std.gid(id);
        self
    }

    /// Puts the child in process group `pgroup`, or in a new group of its
    /// own with 0: std's [`CommandExt::process_group`]. A group can be
    /// signalled as a whole, and a terminal's Ctrl-C does not reach a
    /// child that left the terminal's foreground group.
    ///
    /// # Examples
    ///
    /// ```
    /// use tether_reactor::process::Command;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// tether::run(async {
    ///     // `$$` is the shell's pid; field 5 of its /proc stat, its group.
    ///     let output = Command::shell("echo $$; cut -d' ' -f5 /proc/$$/stat")
    ///         .process_group(0)
    ///         .output()
    ///         .await?;
    ///     let text = String::from_utf8_lossy(&output.stdout).into_owned();
    ///     let mut lines = text.lines();
    ///     assert_eq!(lines.next(), lines.next()); // its own group
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn process_group(&mut self, pgroup: i32) -> &mut Command {
        self.std.process_group(pgroup);
        self
    }

    /// Sets the name the child sees as its `argv[0]`: std's
    /// [`CommandExt::arg0`].
    ///
    /// # Examples
    ///
    /// ```
    /// use tether_reactor::process::Command;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// tether::run(async {
    ///     let output = Command::new("/bin/sh")
    ///         .arg0("renamed")
    ///         .args(["-c", "echo $0"])
    ///         .output()
    ///         .await?;
    ///     assert_eq!(output.stdout, b"renamed\n");
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn arg0(&mut self, arg: impl AsRef<OsStr>) -> &mut Command {
        self.std.arg0(arg);
        self
    }

    /// Runs `f` in the child, after `fork` and before `exec`: std's
    /// [`CommandExt::pre_exec`]. A hook makes std spawn with `fork`
    /// rather than `posix_spawn`, which costs more (the process module's
    /// "What spawning costs").
    ///
    /// # Safety
    ///
    /// std's: `f` runs in a copy of the process that has only the thread
    /// that forked, so it may only do what is async-signal-safe: no
    /// allocation, no lock (another thread may have held it at the fork),
    /// only system calls and functions POSIX lists as safe. The rest of
    /// std's `pre_exec` docs hold too.
    ///
    /// # Examples
    ///
    /// ```
    /// use tether_reactor::process::Command;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// tether::run(async {
    ///     let mut command = Command::new("true");
    ///     // SAFETY: the hook only returns an error, made from a code,
    ///     // which allocates nothing.
    ///     unsafe {
    ///         command.pre_exec(|| Err(std::io::Error::from_raw_os_error(1)));
    ///     }
    ///     // The hook's error is the spawn's: nothing ran.
    ///     let err = command.spawn().unwrap_err();
    ///     assert_eq!(err.raw_os_error(), Some(1));
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub unsafe fn pre_exec<F>(&mut self, f: F) -> &mut Command
    where
        F: FnMut() -> io::Result<()> + Send + Sync + 'static,
    {
        // SAFETY: the caller keeps std's rules for `f` (the # Safety above
        // is std's).
        unsafe { self.std.pre_exec(f) };
        self
    }

    /// Whether dropping the [`Child`] before it is reaped sends it
    /// `SIGKILL` (false by default). The killed child is reaped by its
    /// loop, like any dropped child; if the loop ends first, its end waits
    /// a bounded time for the killed child to die and reaps it
    /// (`watch/pidfd.rs`, "Orphans").
    ///
    /// asyncio: none (a dropped `Process` is left running).
    ///
    /// # Examples
    ///
    /// ```
    /// use tether_reactor::process::Command;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// tether::run(async {
    ///     let mut command = Command::new("sleep");
    ///     command.arg("100").kill_on_drop(true);
    ///     assert!(command.get_kill_on_drop());
    ///     let child = command.spawn()?;
    ///     let pid = child.id().unwrap();
    ///     drop(child); // killed now, reaped by the loop once it is dead
    ///     while std::fs::metadata(format!("/proc/{pid}")).is_ok() {
    ///         tether::time::sleep(std::time::Duration::from_millis(1)).await;
    ///     }
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn kill_on_drop(&mut self, kill_on_drop: bool) -> &mut Command {
        self.kill_on_drop = kill_on_drop;
        self
    }

    /// Whether [`kill_on_drop`](Command::kill_on_drop) is set. Shown in
    /// [`Command`'s example](Command#examples).
    pub fn get_kill_on_drop(&self) -> bool {
        self.kill_on_drop
    }

    /// The program: [`std::process::Command::get_program`]. Shown in
    /// [`Command`'s example](Command#examples).
    pub fn get_program(&self) -> &OsStr {
        self.std.get_program()
    }

    /// The arguments: [`std::process::Command::get_args`]. Shown in
    /// [`Command`'s example](Command#examples).
    pub fn get_args(&self) -> CommandArgs<'_> {
        self.std.get_args()
    }

    /// The changes to the environment:
    /// [`std::process::Command::get_envs`]. Shown in
    /// [`Command`'s example](Command#examples).
    pub fn get_envs(&self) -> CommandEnvs<'_> {
        self.std.get_envs()
    }

    /// The working directory, if set:
    /// [`std::process::Command::get_current_dir`]. Shown in
    /// [`Command`'s example](Command#examples).
    pub fn get_current_dir(&self) -> Option<&Path> {
        self.std.get_current_dir()
    }

    /// The std builder inside. Shown in
    /// [`Command`'s example](Command#examples).
    pub fn as_std(&self) -> &std::process::Command {
        &self.std
    }

    /// The std builder inside, for what this type does not pass through
    /// (std's unstable builders, say). A stream set there is not known to
    /// [`output`](Command::output) (see [`Command`]). Shown in
    /// [`Command`'s example](Command#examples).
    pub fn as_std_mut(&mut self) -> &mut std::process::Command {
        &mut self.std
    }

    /// Spawns the child, watched by the current loop, with the parent's
    /// stdin, stdout and stderr unless set otherwise.
    ///
    /// asyncio: `await asyncio.create_subprocess_exec(program, *args)`.
    ///
    /// Spawning blocks the loop for as long as the `fork` or
    /// `posix_spawn` and the `exec` take (the process module's "What
    /// spawning costs"). The child inherits no file descriptor of the loop
    /// (all are close-on-exec) and, if the loop's thread blocks signals,
    /// starts with none blocked (the process module's "What a child
    /// inherits").
    ///
    /// # Errors
    ///
    /// std's errors (`NotFound` for a program that does not exist, the
    /// `pre_exec` hook's...). Before anything is spawned: `InvalidInput`
    /// if the environment variable `TETHER_PROCESS_WATCH` holds a value
    /// other than `sigchld` or `auto` (the process module's "How the loop
    /// learns of an exit"); on a loop that watches its children through
    /// `SIGCHLD` (no pidfds: Linux before 5.3, a seccomp filter, not Linux),
    /// the errors of its subscription to the signal, made before its first
    /// fork (out of file descriptors for the wakeup fd, the process's 256
    /// signal subscriptions all taken). If the loop cannot watch a child it
    /// spawned (out of file descriptors for its pidfd), the child is killed
    /// and reaped and the error returned. A child that other code reaped
    /// before the loop could watch it is no error here: its
    /// [`wait`](Child::wait) reports the lost status.
    ///
    /// # Panics
    ///
    /// Panics if no tether loop runs on this thread.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::ErrorKind;
    ///
    /// use tether_reactor::process::Command;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// tether::run(async {
    ///     let mut child = Command::new("true").spawn()?;
    ///     assert!(child.wait().await?.success());
    ///     let err = Command::new("no-such-program-here").spawn().unwrap_err();
    ///     assert_eq!(err.kind(), ErrorKind::NotFound);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn spawn(&mut self) -> io::Result<Child> {
        let reactor = Reactor::current().expect(
            "tether: a child process was spawned outside a tether loop; \
             spawn it inside Runtime::block_on or a task",
        );
        // On the SIGCHLD backend this subscribes to SIGCHLD before the
        // fork; if the spawn fails, `prepared`'s drop lets go of it.
        let prepared = reactor.children().prepare(&reactor)?;
        if !self.unblocks_signals && signal_mask::thread_blocks_signals()? {
            // SAFETY: the hook only calls async-signal-safe functions and
            // allocates nothing (`signal_mask::unblock_all_in_child`).
            unsafe { self.std.pre_exec(signal_mask::unblock_all_in_child) };
            self.unblocks_signals = true;
        }
        let child = self.std.spawn()?;
        Child::watch(&reactor, child, prepared.backend(), self.kill_on_drop)
    }

    /// Spawns the child with `defaults` for the streams not set.
    fn spawn_with(&mut self, defaults: Defaults) -> io::Result<Child> {
        self.set_unset(defaults);
        let child = self.spawn();
        // Unset again: what `spawn` gives a stream nobody set.
        self.set_unset(INHERIT);
        child
    }

    /// Gives each stream not set through this type its entry of `stdio`.
    fn set_unset(&mut self, stdio: Defaults) {
        let [stdin, stdout, stderr] = stdio;
        if !self.stdio_set[0] {
            self.std.stdin(stdin());
        }
        if !self.stdio_set[1] {
            self.std.stdout(stdout());
        }
        if !self.stdio_set[2] {
            self.std.stderr(stderr());
        }
    }

    /// Spawns the child with the parent's stdin, stdout and stderr unless
    /// set otherwise, and waits for it.
    ///
    /// asyncio: `await (await create_subprocess_exec(..)).wait()`.
    ///
    /// # Errors
    ///
    /// [`spawn`](Command::spawn)'s and [`Child::wait`]'s.
    ///
    /// # Panics
    ///
    /// Panics if no tether loop runs on this thread.
    ///
    /// # Examples
    ///
    /// ```
    /// use tether_reactor::process::Command;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// tether::run(async {
    ///     assert!(Command::new("true").status().await?.success());
    ///     assert_eq!(Command::shell("exit 4").status().await?.code(), Some(4));
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn status(&mut self) -> io::Result<ExitStatus> {
        self.spawn_with(INHERIT)?.wait().await
    }

    /// Spawns the child with stdout and stderr piped and stdin from
    /// `/dev/null`, unless set otherwise, and collects its output and
    /// status.
    ///
    /// asyncio: `await (await create_subprocess_exec(.., stdout=PIPE,
    /// stderr=PIPE)).communicate()`.
    ///
    /// # Errors
    ///
    /// [`spawn`](Command::spawn)'s and
    /// [`Child::wait_with_output`]'s.
    ///
    /// # Panics
    ///
    /// Panics if no tether loop runs on this thread.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::process::Stdio;
    ///
    /// use tether_reactor::process::Command;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// tether::run(async {
    ///     // `cat` reads /dev/null: nothing, at once.
    ///     let output = Command::shell("echo out; echo err >&2; cat").output().await?;
    ///     assert_eq!((&output.stdout[..], &output.stderr[..]), (&b"out\n"[..], &b"err\n"[..]));
    ///     // A stream set by the caller is left alone: stderr goes nowhere.
    ///     let output = Command::shell("echo out; echo err >&2")
    ///         .stderr(Stdio::null())
    ///         .output()
    ///         .await?;
    ///     assert_eq!((&output.stdout[..], &output.stderr[..]), (&b"out\n"[..], &b""[..]));
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn output(&mut self) -> io::Result<Output> {
        self.spawn_with(CAPTURE)?.wait_with_output().await
    }

    /// Spawns the child with its three streams piped (stdout and stderr
    /// unless set otherwise), writes `input` to its stdin while reading
    /// its stdout and stderr, and collects its output and status: the
    /// pipes move together, so neither side can block the other
    /// ([`Child::communicate`]).
    ///
    /// asyncio: `await (await create_subprocess_exec(.., stdin=PIPE,
    /// stdout=PIPE, stderr=PIPE)).communicate(input)`.
    ///
    /// # Errors
    ///
    /// `InvalidInput` if stdin was set through this type (the input needs
    /// the pipe), before anything is spawned; then
    /// [`spawn`](Command::spawn)'s and [`Child::communicate`]'s. A child
    /// that exits without reading all of the input is no error.
    ///
    /// # Panics
    ///
    /// Panics if no tether loop runs on this thread.
    ///
    /// # Examples
    ///
    /// Far more than the pipes hold, in and out at once:
    ///
    /// ```
    /// use tether_reactor::process::Command;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// tether::run(async {
    ///     let input = vec![b'x'; 1 << 20];
    ///     // Writes what it reads to stdout and to stderr as it goes.
    ///     let output = Command::new("tee").arg("/dev/stderr").output_with_input(&input).await?;
    ///     assert!(output.status.success());
    ///     assert!(output.stdout == input && output.stderr == input);
    ///     // A child that reads nothing: the rest of the input is dropped.
    ///     let output = Command::new("true").output_with_input(&input).await?;
    ///     assert!(output.status.success());
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn output_with_input(&mut self, input: &[u8]) -> io::Result<Output> {
        if self.stdio_set[0] {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "output_with_input writes the input to a pipe of its own, \
                 but this command's stdin was set",
            ));
        }
        self.spawn_with(EXCHANGE)?.communicate(input).await
    }
}

impl From<std::process::Command> for Command {
    /// Wraps a std builder; see [`Command`] for what is known of its
    /// streams.
    fn from(std: std::process::Command) -> Command {
        Command {
            std,
            kill_on_drop: false,
            stdio_set: [false; 3],
            unblocks_signals: false,
        }
    }
}
