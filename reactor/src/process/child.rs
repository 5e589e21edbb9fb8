//! `Child`: a running child process, its pipes, and its exit.

use std::future::poll_fn;
use std::io;
use std::process::{ExitStatus, Output};
use std::task::{Context, Poll, ready};

use std::rc::Rc;

use rustix::process::{Pid, Signal};

use super::exchange::Exchange;
use super::pipe::{ChildStderr, ChildStdin, ChildStdout};
use super::watch::{Backend, Exit, ExitWatch, Reaped, reaped_elsewhere, refused_after_reap};
use crate::reactor::Reactor;

/// A child process spawned by [`Command::spawn`](super::Command::spawn):
/// its pipes, its exit, and a way to signal it.
///
/// asyncio: `asyncio.subprocess.Process`.
///
/// The fields are the pipes the command asked for ([`Stdio::piped`]);
/// take them out to use them on their own.
///
/// # Dropping it
///
/// Dropping a `Child` that has not been reaped neither waits nor kills
/// (unless it was spawned with [`kill_on_drop`]): it goes on running, and
/// its loop reaps it when it exits, so it leaves no zombie
/// (`watch/pidfd.rs`, "Orphans"). A child still running when its loop
/// ends is let go, as std lets go of a dropped `std::process::Child`,
/// unless it was killed: see [`kill_on_drop`].
///
/// [`Stdio::piped`]: std::process::Stdio::piped
/// [`kill_on_drop`]: super::Command::kill_on_drop
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
///     let mut child = Command::new("sleep").arg("10").stdout(Stdio::piped()).spawn()?;
///     let pid = child.id().unwrap();
///     assert!(pid > 0);
///     assert!(child.stdout.is_some() && child.stdin.is_none());
///     // Still running: nothing to reap yet.
///     assert!(child.try_wait()?.is_none());
///     child.kill()?;
///     let status = child.wait().await?;
///     # use std::os::unix::process::ExitStatusExt;
///     assert_eq!(status.signal(), Some(9)); // SIGKILL
///     // Reaped: its pid may be another process's now, so it is not given
///     // out, and no signal is sent.
///     assert_eq!(child.id(), None);
///     assert_eq!(child.kill().unwrap_err().kind(), std::io::ErrorKind::InvalidInput);
///     // A reaped child keeps its status.
///     assert_eq!(child.try_wait()?, Some(status));
///     Ok(())
/// })
/// # }
/// ```
pub struct Child {
    /// The parent's end of the child's stdin, if it was piped.
    pub stdin: Option<ChildStdin>,
    /// The parent's end of the child's stdout, if it was piped.
    pub stdout: Option<ChildStdout>,
    /// The parent's end of the child's stderr, if it was piped.
    pub stderr: Option<ChildStderr>,
    /// The child's pid; not given out once the child is reaped.
    pid: Pid,
    /// Whether the loop still watches it, or how it ended.
    state: State,
    /// Whether dropping it unreaped sends it `SIGKILL`.
    kill_on_drop: bool,
    /// Whether it was sent `SIGKILL`.
    killed: bool,
}

/// Where a child is in its life, as its `Child` sees it.
#[derive(Debug)]
enum State {
    /// Not reaped when the `Child` last looked: the loop watches for its
    /// exit. On the SIGCHLD backend the loop may reap it meanwhile, and
    /// the watch then holds the exit (`ExitWatch::reaped`), which the
    /// `Child` takes before it gives out the pid or sends a signal.
    Running(ExitWatch),
    /// Reaped by this loop, with this status; its exit watch is gone (its
    /// pidfd closed, or its slot in the SIGCHLD list freed).
    Exited(ExitStatus),
    /// Reaped by other code; its status is lost.
    ReapedElsewhere,
}

impl Child {
    /// Watches `child`, just spawned by std on `reactor`'s loop, with
    /// `backend`; takes its pipes.
    ///
    /// If the child is gone already, reaped by other code (`ESRCH` from
    /// `pidfd_open`), the `Child` says so: its pipes still hold what it
    /// wrote, and `wait` reports the lost status. If watching fails
    /// otherwise, the child is killed and reaped before the error is
    /// returned (at once if its pidfd could not be opened; by its loop if
    /// a pipe could not be registered), so that it leaves no zombie; one
    /// that may not be sent `SIGKILL` is left running, unwaited.
    pub(crate) fn watch(
        reactor: &Rc<Reactor>,
        mut std_child: std::process::Child,
        backend: Backend,
        kill_on_drop: bool,
    ) -> io::Result<Child> {
        let raw = i32::try_from(std_child.id()).expect("a pid fits in an i32");
        let pid = Pid::from_raw(raw).expect("a child's pid is positive");
        let state = match ExitWatch::open(reactor, backend, pid) {
            Ok(watch) => State::Running(watch),
            Err(err) if err.raw_os_error() == Some(rustix::io::Errno::SRCH.raw_os_error()) => {
                State::ReapedElsewhere
            }
            Err(err) => {
                // Not reaped by this loop, so the pid is still this
                // child's (unless other code reaps children, which is
                // beyond what tether can guard); the wait after SIGKILL
                // is short. A child that refuses the signal (a set-user-ID
                // program that changed its real user, say) is left
                // running, as std leaves a dropped child, rather than
                // blocking the loop until it ends on its own.
                if std_child.kill().is_ok() {
                    let _ = std_child.wait();
                }
                return Err(err);
            }
        };
        let mut child = Child {
            stdin: None,
            stdout: None,
            stderr: None,
            pid,
            state,
            // Until the pipes are in: if one fails, dropping `child` kills
            // it, and its loop reaps it, so a failed spawn leaves nothing
            // running.
            kill_on_drop: true,
            killed: false,
        };
        child.stdin = std_child.stdin.take().map(ChildStdin::new).transpose()?;
        child.stdout = std_child.stdout.take().map(ChildStdout::new).transpose()?;
        child.stderr = std_child.stderr.take().map(ChildStderr::new).transpose()?;
        child.kill_on_drop = kill_on_drop;
        Ok(child)
    }

    /// The child's pid, until it is reaped; `None` after, when the number
    /// may name another process.
    ///
    /// asyncio: `Process.pid` (which it keeps after the exit).
    ///
    /// Shown in [`Child`'s example](Child#examples).
    pub fn id(&self) -> Option<u32> {
        match &self.state {
            State::Running(watch) if watch.reaped().is_none() => {
                Some(self.pid.as_raw_nonzero().get().unsigned_abs())
            }
            State::Running(_) | State::Exited(_) | State::ReapedElsewhere => None,
        }
    }

    /// Waits for the child to exit, reaps it, and returns its status. Its
    /// stdin, if piped and still here, is closed first, so that a child
    /// waiting for end of file can exit.
    ///
    /// asyncio: `await Process.wait()`.
    ///
    /// A child blocked writing to a pipe nobody reads never exits: read
    /// its piped stdout and stderr while waiting, or use
    /// [`wait_with_output`](Child::wait_with_output).
    ///
    /// # Errors
    ///
    /// Fails if someone else reaped the child, and its status is lost
    /// (`watch/mod.rs`, "Never `waitpid(-1)`"), or if the reactor
    /// cannot watch the pidfd.
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
    ///     // `cat` exits when its stdin closes, which `wait` does first.
    ///     let mut child = Command::new("cat").stdin(Stdio::piped()).spawn()?;
    ///     let status = child.wait().await?;
    ///     assert!(status.success());
    ///     let mut child = Command::shell("exit 3").spawn()?;
    ///     assert_eq!(child.wait().await?.code(), Some(3));
    ///     // Again: the same status, at once.
    ///     assert_eq!(child.wait().await?.code(), Some(3));
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn wait(&mut self) -> io::Result<ExitStatus> {
        drop(self.stdin.take());
        poll_fn(|cx| self.poll_wait(cx)).await
    }

    /// The poll form of [`wait`](Child::wait), except that it leaves stdin
    /// open: reaps the child if it has exited, and otherwise registers
    /// `cx` to be woken when it may have, and returns `Pending`.
    ///
    /// # Errors
    ///
    /// As [`wait`](Child::wait).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    ///
    /// use tether_reactor::process::Command;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// tether::run(async {
    ///     let mut child = Command::new("true").spawn()?;
    ///     let status = poll_fn(|cx| child.poll_wait(cx)).await?;
    ///     assert!(status.success());
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn poll_wait(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<ExitStatus>> {
        let exit = match &self.state {
            State::Running(watch) => ready!(watch.poll_exit(self.pid, cx))?,
            State::Exited(status) => return Poll::Ready(Ok(*status)),
            State::ReapedElsewhere => return Poll::Ready(Err(reaped_elsewhere())),
        };
        Poll::Ready(self.settle(exit))
    }

    /// Reaps the child if it has exited, without waiting: its status, or
    /// `None` while it runs.
    ///
    /// asyncio: `Process.returncode`, which is `None` until the child is
    /// reaped.
    ///
    /// Shown in [`Child`'s example](Child#examples).
    ///
    /// # Errors
    ///
    /// Fails if someone else reaped the child, and its status is lost.
    pub fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        let exit = match &self.state {
            State::Running(watch) => match watch.try_exit(self.pid)? {
                Reaped::Running => return Ok(None),
                Reaped::Exited(exit) => exit,
            },
            State::Exited(status) => return Ok(Some(*status)),
            State::ReapedElsewhere => return Err(reaped_elsewhere()),
        };
        self.settle(exit).map(Some)
    }

    /// Records how the child ended; its exit watch (and pidfd) goes.
    fn settle(&mut self, exit: Exit) -> io::Result<ExitStatus> {
        match exit {
            Exit::Status(status) => {
                self.state = State::Exited(status);
                Ok(status)
            }
            Exit::ReapedElsewhere => {
                self.state = State::ReapedElsewhere;
                Err(reaped_elsewhere())
            }
        }
    }

    /// Sends `SIGKILL`, which the child cannot catch; it does not wait.
    ///
    /// asyncio: `Process.kill()`.
    ///
    /// Shown in [`Child`'s example](Child#examples).
    ///
    /// # Errors
    ///
    /// `InvalidInput` once the child is reaped: its pid may belong to
    /// another process by then, so nothing is sent. A child that exited
    /// but is not reaped yet takes the signal, which does nothing.
    pub fn kill(&mut self) -> io::Result<()> {
        self.signal(libc::SIGKILL)?;
        self.killed = true;
        Ok(())
    }

    /// Sends `SIGTERM`, which asks the child to end; it does not wait.
    ///
    /// asyncio: `Process.terminate()`.
    ///
    /// # Errors
    ///
    /// As [`kill`](Child::kill).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::unix::process::ExitStatusExt;
    ///
    /// use tether_reactor::process::Command;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// tether::run(async {
    ///     let mut child = Command::new("sleep").arg("10").spawn()?;
    ///     child.terminate()?;
    ///     assert_eq!(child.wait().await?.signal(), Some(15)); // SIGTERM
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn terminate(&mut self) -> io::Result<()> {
        self.signal(libc::SIGTERM)
    }

    /// Sends the signal numbered `signal` (`SIGUSR1`, `SIGHUP`...: any
    /// signal with a name and, on Linux, the real-time signals `SIGRTMIN`
    /// to `SIGRTMAX`); it does not wait.
    ///
    /// asyncio: `Process.send_signal(signal)`.
    ///
    /// Where the loop watches children through pidfds (Linux 5.3 and
    /// later), the signal goes through the child's pidfd, which names the
    /// process and not its number, so it cannot reach another process.
    /// On the SIGCHLD backend it goes by pid, once the loop has checked
    /// that no other code reaped the child (the process module's "No pid
    /// is reused under tether's feet").
    ///
    /// # Errors
    ///
    /// `InvalidInput` if `signal` is no signal (0, out of range, or on
    /// Linux one of the two real-time signals below `SIGRTMIN` that libc
    /// keeps for itself), or once the child is reaped (as
    /// [`kill`](Child::kill)); otherwise what the OS says
    /// (`pidfd_send_signal`, or `kill`).
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
    ///     // A child that says when it is ready, then exits 7 on SIGUSR1.
    ///     // (Not SIGHUP: a shell cannot trap a signal it started with
    ///     // ignored, as under `nohup`.)
    ///     let mut child = Command::shell("trap 'exit 7' USR1; echo ready; while :; do sleep 0.01; done")
    ///         .stdout(Stdio::piped())
    ///         .spawn()?;
    ///     let mut buf = [0; 6];
    ///     child.stdout.as_ref().unwrap().read(&mut buf).await?;
    ///     child.send_signal(libc::SIGUSR1)?;
    ///     assert_eq!(child.wait().await?.code(), Some(7));
    ///     let err = child.send_signal(libc::SIGUSR1).unwrap_err();
    ///     assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn send_signal(&mut self, signal: i32) -> io::Result<()> {
        if !is_signal(signal) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "{signal} is not a signal: tether sends the signals with a name \
                     and, on Linux, the real-time ones (SIGRTMIN to SIGRTMAX)"
                ),
            ));
        }
        self.signal(signal)?;
        // As `kill` does: a child sent SIGKILL is reaped by its loop even
        // when dropped, and waited for when the loop ends.
        if signal == libc::SIGKILL {
            self.killed = true;
        }
        Ok(())
    }

    /// Sends `signal` while the child is unreaped; refuses after.
    fn signal(&mut self, signal: i32) -> io::Result<()> {
        match &self.state {
            State::Running(watch) => match watch.reaped() {
                None => watch.send_signal(signal),
                Some(exit) => Err(refused_after_reap(exit)),
            },
            State::Exited(status) => Err(refused_after_reap(Exit::Status(*status))),
            State::ReapedElsewhere => Err(refused_after_reap(Exit::ReapedElsewhere)),
        }
    }

    /// Writes `input` to the child's stdin while reading its stdout and
    /// stderr to their end, closes stdin once the input is written, then
    /// waits for the child; returns its status and everything it wrote.
    ///
    /// asyncio: `await Process.communicate(input)`.
    ///
    /// The pipes move together, in one future (no task is spawned), so a
    /// child that writes as it reads cannot deadlock against its parent;
    /// a child that exits without reading all of the input is no error
    /// (the exchange's "Ends", `exchange.rs`). The pipes are taken out of
    /// the `Child`; a stream that was not piped reads as empty.
    ///
    /// # Errors
    ///
    /// `InvalidInput`, before anything is written or read, if `input` is
    /// not empty and stdin is not piped. Otherwise a pipe's error, or
    /// [`wait`](Child::wait)'s: the child then stays in `self`, unreaped
    /// if it was, and is reaped by its loop if dropped.
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
    ///     let mut child = Command::shell("tr a-z A-Z; echo done >&2")
    ///         .stdin(Stdio::piped())
    ///         .stdout(Stdio::piped())
    ///         .stderr(Stdio::piped())
    ///         .spawn()?;
    ///     let output = child.communicate(b"shout\n").await?;
    ///     assert!(output.status.success());
    ///     assert_eq!(output.stdout, b"SHOUT\n");
    ///     assert_eq!(output.stderr, b"done\n");
    ///     assert!(child.stdin.is_none() && child.stdout.is_none());
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn communicate(&mut self, input: &[u8]) -> io::Result<Output> {
        if !input.is_empty() && self.stdin.is_none() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "communicate was given input, but the child's stdin is not piped",
            ));
        }
        let mut exchange = Exchange::new(
            self.stdin.take().map(ChildStdin::into_async),
            input,
            self.stdout.take().map(ChildStdout::into_async),
            self.stderr.take().map(ChildStderr::into_async),
        );
        (&mut exchange).await?;
        let status = self.wait().await?;
        let (stdout, stderr) = exchange.into_outputs();
        Ok(Output {
            status,
            stdout,
            stderr,
        })
    }

    /// Closes stdin, reads stdout and stderr to their end, and waits for
    /// the child: [`communicate`](Child::communicate) with no input.
    ///
    /// asyncio: `await Process.communicate()`.
    ///
    /// Shown in [`ChildStdin`'s example](ChildStdin#examples).
    ///
    /// # Errors
    ///
    /// A pipe's error, or [`wait`](Child::wait)'s.
    pub async fn wait_with_output(mut self) -> io::Result<Output> {
        self.communicate(&[]).await
    }
}

impl Drop for Child {
    /// Hands an unreaped child to its loop, which reaps it when it exits;
    /// with `kill_on_drop`, sends it `SIGKILL` first.
    fn drop(&mut self) {
        let State::Running(watch) = std::mem::replace(&mut self.state, State::ReapedElsewhere)
        else {
            return;
        };
        if self.kill_on_drop && watch.send_signal(libc::SIGKILL).is_ok() {
            self.killed = true;
        }
        watch.into_orphan(self.pid, self.killed);
    }
}

impl std::fmt::Debug for Child {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Child")
            .field("pid", &self.pid.as_raw_nonzero())
            .field("state", &self.state)
            .field("stdin", &self.stdin)
            .field("stdout", &self.stdout)
            .field("stderr", &self.stderr)
            .field("kill_on_drop", &self.kill_on_drop)
            .finish()
    }
}

/// Whether `signal` is one [`Child::send_signal`] sends: a signal with a
/// name, or on Linux a real-time signal the program's libc leaves to the
/// program (`SIGRTMIN` to `SIGRTMAX`; glibc keeps the two below for its
/// threads).
fn is_signal(signal: i32) -> bool {
    if Signal::from_named_raw(signal).is_some() {
        return true;
    }
    #[cfg(any(target_os = "linux", target_os = "android"))]
    if (libc::SIGRTMIN()..=libc::SIGRTMAX()).contains(&signal) {
        return true;
    }
    false
}
