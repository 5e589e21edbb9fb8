//! The bodies of the child-process tests, shared by the two binaries that
//! run them: `tests/process.rs`, on the backend the loop's probe picks
//! (pidfds, on the Linux tether is tested on), and
//! `tests/process_sigchld.rs`, with `TETHER_PROCESS_WATCH=sigchld`, on the
//! `SIGCHLD` fallback. Each binary includes this file as its `cases`
//! module and calls [`every_case!`] once, which makes one `#[test]` per
//! case below, so that both run the same list.
//!
//! Whether a child was reaped is read from `/proc/<pid>/stat`: a reaped
//! child has no entry, an unreaped one (running, or a zombie) has one. A
//! pid may be taken by another process once reaped, so each child is
//! identified by its pid and its start time, read right after the spawn.

#![allow(
    unreachable_pub,
    reason = "a module of a test binary: its cases are called from the binary's root"
)]

use std::cell::Cell;
use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;
use std::rc::Rc;
use std::time::{Duration, Instant};

use tether::process::{Child, Command};

use crate::support::within_10s;

/// Makes one `#[test]` function per case of this module, each calling
/// `$run(name, case)`: the binary's `$run` decides how the case runs.
macro_rules! every_case {
    ($run:ident) => {
        $crate::cases::every_case!(@each $run:
            two_hundred_children_spawned_at_once_are_all_reaped_with_their_exit_codes,
            two_loops_on_two_threads_each_reap_only_their_own_children,
            a_child_killed_mid_output_ends_by_sigkill_and_its_pipe_reads_to_the_end,
            signals_reach_the_child_until_it_is_reaped_and_are_refused_after,
            output_with_input_moves_ten_megabytes_in_and_out_on_both_pipes_at_once,
            a_pipeline_of_two_children_feeds_the_second_from_the_first,
            a_child_whose_pipes_are_dropped_early_does_not_block_the_loop,
            output_captures_stdout_and_stderr_and_gives_stdin_nothing,
            bad_input_is_refused_before_anything_runs,
            #[cfg(feature = "futures")]
            the_pipes_are_futures_readers_and_writers,
            a_dropped_running_child_is_reaped_by_its_loop_when_it_exits,
            kill_on_drop_kills_a_dropped_child_and_its_loop_reaps_it,
            a_killed_orphan_is_reaped_when_its_loop_ends,
            an_orphan_sent_sigkill_by_hand_is_reaped_when_its_loop_ends,
            a_child_inherits_no_descriptor_of_the_loop_and_no_blocked_signal,
            a_child_reaped_by_other_code_is_an_error_not_a_hang,
        );
    };
    (@each $run:ident: $($(#[$attr:meta])* $name:ident,)*) => {
        $(
            $(#[$attr])*
            #[test]
            fn $name() {
                $run(stringify!($name), $crate::cases::$name);
            }
        )*
    };
}

pub(crate) use every_case;

/// Whether this process runs its loops on the `SIGCHLD` backend, as
/// `tests/process_sigchld.rs` asks.
pub fn on_sigchld_backend() -> bool {
    std::env::var_os("TETHER_PROCESS_WATCH").is_some_and(|value| value == "sigchld")
}

/// Runs the test `name` of this binary alone in a child process, with
/// `envs` added to its environment, and checks that it passed.
pub fn run_in_child(name: &str, envs: &[(&str, &str)]) {
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", name, "--nocapture", "--test-threads=1"])
        .envs(envs.iter().copied())
        .output()
        .unwrap();
    assert!(
        output.status.success() && String::from_utf8_lossy(&output.stdout).contains("1 passed"),
        "{name}: {:?}\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

// ===== what /proc says =====

/// A child, as `/proc` knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Proc {
    pid: u32,
    /// Its start time, in clock ticks since boot: with the pid, names one
    /// process.
    start: u64,
}

/// The state letter (`R`, `S`, `Z`...), parent pid and start time in
/// `/proc/<pid>/stat`, if there is such an entry.
fn stat(pid: u32) -> Option<(char, u32, u64)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name, in parentheses, may hold spaces: split after it.
    let fields: Vec<&str> = text.rsplit_once(')')?.1.split_whitespace().collect();
    let state = fields[0].chars().next()?;
    // Fields 3, 4 and 22 of proc(5), counted from the state.
    Some((state, fields[1].parse().ok()?, fields[19].parse().ok()?))
}

impl Proc {
    fn of(child: &Child) -> Proc {
        let pid = child.id().expect("a child that was just spawned has a pid");
        let (_, ppid, start) = stat(pid).expect("an unreaped child is in /proc");
        assert_eq!(
            ppid,
            std::process::id(),
            "the child's parent is this process"
        );
        Proc { pid, start }
    }

    /// Its state letter while it is unreaped; `None` once reaped.
    fn state(self) -> Option<char> {
        match stat(self.pid) {
            Some((state, _, start)) if start == self.start => Some(state),
            _ => None,
        }
    }

    /// Waits, on the loop, until it is reaped, for up to `limit`.
    async fn reaped_within(self, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        while self.state().is_some() {
            if Instant::now() > deadline {
                return false;
            }
            tether::time::sleep(Duration::from_millis(2)).await;
        }
        true
    }
}

// ===== many children =====

pub fn two_hundred_children_spawned_at_once_are_all_reaped_with_their_exit_codes() {
    tether::run(within_10s(async {
        let mut children = Vec::new();
        for code in 0..200 {
            let child = Command::shell(format!("exit {code}")).spawn().unwrap();
            children.push((code, Proc::of(&child), child));
        }
        // One task per child, all waiting at once.
        let waits: Vec<_> = children
            .into_iter()
            .map(|(code, proc, mut child)| {
                tether::spawn(async move { (code, proc, child.wait().await.unwrap(), child) })
            })
            .collect();
        for (code, proc, status, child) in tether::task::join_all(waits)
            .await
            .into_iter()
            .map(Result::unwrap)
        {
            assert_eq!(status.code(), Some(code), "child {proc:?}");
            assert_eq!(proc.state(), None, "child {proc:?} is left unreaped");
            assert_eq!(child.id(), None);
        }
    }));
}

pub fn two_loops_on_two_threads_each_reap_only_their_own_children() {
    // Each loop spawns children while the other's exit; each must reap its
    // own, with their codes, and none of the other's.
    let loops: Vec<_> = (0..2)
        .map(|which| {
            std::thread::spawn(move || {
                tether::run(within_10s(async move {
                    for round in 0..20 {
                        let code = which * 100 + round;
                        let mut child =
                            Command::shell(format!("sleep 0.0{}; exit {code}", round % 3))
                                .spawn()
                                .unwrap();
                        let proc = Proc::of(&child);
                        assert_eq!(child.wait().await.unwrap().code(), Some(code));
                        assert_eq!(proc.state(), None, "child {proc:?} is left unreaped");
                    }
                }));
            })
        })
        .collect();
    for thread in loops {
        thread.join().unwrap();
    }
}

// ===== signals =====

pub fn a_child_killed_mid_output_ends_by_sigkill_and_its_pipe_reads_to_the_end() {
    tether::run(within_10s(async {
        let mut child = Command::new("yes")
            .arg("tether")
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut buf = vec![0; 64 * 1024];
        let n = stdout.read(&mut buf).await.unwrap();
        assert!(n > 0 && buf.starts_with(b"tether\n"));
        child.kill().unwrap();
        let status = child.wait().await.unwrap();
        assert_eq!(status.signal(), Some(libc::SIGKILL));
        // What it wrote before it died is still in the pipe, then end of
        // file: the kill closed its end. Reaching it is the check (within
        // the test's ten seconds).
        while stdout.read(&mut buf).await.unwrap() > 0 {}
    }));
}

pub fn signals_reach_the_child_until_it_is_reaped_and_are_refused_after() {
    tether::run(within_10s(async {
        let mut child = Command::new("sleep").arg("10").spawn().unwrap();
        let proc = Proc::of(&child);
        child.terminate().unwrap();
        assert_eq!(child.wait().await.unwrap().signal(), Some(libc::SIGTERM));
        assert_eq!(proc.state(), None);
        assert_eq!(child.id(), None);
        for refused in [
            child.kill(),
            child.terminate(),
            child.send_signal(libc::SIGUSR1),
        ] {
            let err = refused.unwrap_err();
            assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
            assert!(err.to_string().contains("was reaped"), "{err}");
        }

        // Numbers that name no signal are refused before anything is sent.
        let mut child = Command::new("sleep").arg("10").spawn().unwrap();
        // (The two numbers below SIGRTMIN are glibc's own.)
        for bad in [0, -1, 65, libc::SIGRTMIN() - 1] {
            let err = child.send_signal(bad).unwrap_err();
            assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput, "{bad}");
        }
        // Any named signal goes through: SIGSTOP, then SIGCONT, then
        // SIGUSR1, whose default action ends the process.
        child.send_signal(libc::SIGSTOP).unwrap();
        while proc_state(&child) != Some('T') {
            tether::time::sleep(Duration::from_millis(1)).await;
        }
        child.send_signal(libc::SIGCONT).unwrap();
        child.send_signal(libc::SIGUSR1).unwrap();
        assert_eq!(child.wait().await.unwrap().signal(), Some(libc::SIGUSR1));

        // And the real-time ones, whose default action ends it too.
        let mut child = Command::new("sleep").arg("10").spawn().unwrap();
        let realtime = libc::SIGRTMIN() + 2;
        child.send_signal(realtime).unwrap();
        assert_eq!(child.wait().await.unwrap().signal(), Some(realtime));
    }));
}

/// The state letter of an unreaped child.
fn proc_state(child: &Child) -> Option<char> {
    stat(child.id()?).map(|(state, _, _)| state)
}

// ===== pipes =====

pub fn output_with_input_moves_ten_megabytes_in_and_out_on_both_pipes_at_once() {
    let input: Vec<u8> = (0..10 << 20).map(|i: u32| (i % 251) as u8).collect();
    let output = tether::run(within_10s(async {
        // `tee` writes each chunk it reads to stdout and to stderr as it
        // goes: with pipes that hold 64 KiB, the input, the output and the
        // errors must all move together, or all three stop.
        Command::new("tee")
            .arg("/dev/stderr")
            .output_with_input(&input)
            .await
            .unwrap()
    }));
    assert!(output.status.success(), "{:?}", output.status);
    assert_eq!(output.stdout.len(), input.len());
    assert!(output.stdout == input, "stdout differs from the input");
    assert!(output.stderr == input, "stderr differs from the input");
}

pub fn a_pipeline_of_two_children_feeds_the_second_from_the_first() {
    tether::run(within_10s(async {
        // The first writes only after a pause: a reader given a
        // non-blocking pipe would find it empty, fail with EAGAIN, and
        // `wc` would report the error.
        let mut first = Command::shell("sleep 0.05; seq 1 20000")
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = first.stdout.take().unwrap();
        let mut second = Command::new("wc")
            .arg("-l")
            .stdin(Stdio::try_from(stdout).unwrap())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let output = second.communicate(b"").await.unwrap();
        assert_eq!(
            String::from_utf8_lossy(&output.stderr),
            "",
            "wc could not read its stdin"
        );
        assert!(output.status.success());
        assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "20000");
        assert!(first.wait().await.unwrap().success());
    }));
}

pub fn a_child_whose_pipes_are_dropped_early_does_not_block_the_loop() {
    tether::run(within_10s(async {
        let ticks = Rc::new(Cell::new(0));
        let ticker = {
            let ticks = ticks.clone();
            tether::spawn(async move {
                loop {
                    tether::time::sleep(Duration::from_millis(1)).await;
                    ticks.set(ticks.get() + 1);
                }
            })
        };
        // `yes` writes forever; with its reader gone, its next write
        // raises SIGPIPE, at the default action in a child.
        let mut yes = Command::new("yes").stdout(Stdio::piped()).spawn().unwrap();
        drop(yes.stdout.take());
        // `cat` reads until end of file, which dropping its stdin is.
        let mut cat = Command::new("cat")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        drop(cat.stdin.take());
        assert_eq!(yes.wait().await.unwrap().signal(), Some(libc::SIGPIPE));
        assert!(cat.wait().await.unwrap().success());
        // A child that never exits on its own, and a pipe nobody reads:
        // the loop goes on while it waits.
        let mut stuck = Command::new("sleep")
            .arg("10")
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let start = ticks.get();
        let waited = tether::time::timeout(Duration::from_millis(50), stuck.wait()).await;
        assert!(waited.is_err(), "sleep 10 exited early");
        assert!(ticks.get() > start, "the loop stood still while waiting");
        stuck.kill().unwrap();
        stuck.wait().await.unwrap();
        ticker.cancel();
    }));
}

pub fn output_captures_stdout_and_stderr_and_gives_stdin_nothing() {
    tether::run(within_10s(async {
        let output = Command::shell("echo out; echo err >&2; cat; exit 3")
            .output()
            .await
            .unwrap();
        assert_eq!(output.status.code(), Some(3));
        assert_eq!(output.stdout, b"out\n");
        assert_eq!(output.stderr, b"err\n");
        // The command is left as it was: a later spawn inherits again.
        let mut command = Command::shell("exit 0");
        command.output().await.unwrap();
        let mut child = command.spawn().unwrap();
        assert!(child.stdout.is_none() && child.stderr.is_none() && child.stdin.is_none());
        assert!(child.wait().await.unwrap().success());
        assert_eq!(
            Command::shell("exit 4").status().await.unwrap().code(),
            Some(4)
        );
    }));
}

pub fn bad_input_is_refused_before_anything_runs() {
    tether::run(within_10s(async {
        let err = Command::new("no-such-program-anywhere")
            .spawn()
            .unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::NotFound);

        let err = Command::new("cat")
            .stdin(Stdio::null())
            .output_with_input(b"lost?")
            .await
            .unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);

        let mut child = Command::new("true").spawn().unwrap();
        let err = child.communicate(b"lost?").await.unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
        // The child is still there to wait for.
        assert!(child.wait().await.unwrap().success());
    }));
}

#[cfg(feature = "futures")]
pub fn the_pipes_are_futures_readers_and_writers() {
    use futures_lite::{AsyncReadExt, AsyncWriteExt};

    tether::run(within_10s(async {
        let mut child = Command::new("rev")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let mut stdout = child.stdout.take().unwrap();
        stdin.write_all(b"tether\nloop\n").await.unwrap();
        stdin.close().await.unwrap(); // flushes only
        drop(stdin); // closes
        let mut text = String::new();
        stdout.read_to_string(&mut text).await.unwrap();
        assert_eq!(text, "rehtet\npool\n");
        assert!(child.wait().await.unwrap().success());
    }));
}

// ===== orphans =====

pub fn a_dropped_running_child_is_reaped_by_its_loop_when_it_exits() {
    tether::run(within_10s(async {
        let child = Command::new("sleep").arg("0.2").spawn().unwrap();
        let proc = Proc::of(&child);
        drop(child);
        // Dropping neither killed nor reaped it: it runs on.
        tether::time::sleep(Duration::from_millis(50)).await;
        assert!(
            matches!(proc.state(), Some('S' | 'R')),
            "{:?}",
            proc.state()
        );
        // Its loop reaps it once it exits, with no task waiting for it.
        assert!(
            proc.reaped_within(Duration::from_secs(5)).await,
            "left a zombie"
        );
    }));
}

pub fn kill_on_drop_kills_a_dropped_child_and_its_loop_reaps_it() {
    tether::run(within_10s(async {
        let child = Command::new("sleep")
            .arg("100")
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let proc = Proc::of(&child);
        drop(child);
        assert!(
            proc.reaped_within(Duration::from_secs(5)).await,
            "not killed, or a zombie"
        );
    }));
}

pub fn a_killed_orphan_is_reaped_when_its_loop_ends() {
    let runtime = tether::Runtime::new().unwrap();
    let proc = runtime.block_on(async {
        let mut child = Command::new("sleep")
            .arg("100")
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let proc = Proc::of(&child);
        assert!(child.try_wait().unwrap().is_none());
        proc
    });
    // The child was dropped at the end of `block_on`; whether the loop has
    // seen it die or not, ending the loop reaps it.
    drop(runtime);
    assert_eq!(
        proc.state(),
        None,
        "a killed child outlived its loop unreaped"
    );
}

pub fn an_orphan_sent_sigkill_by_hand_is_reaped_when_its_loop_ends() {
    let runtime = tether::Runtime::new().unwrap();
    let proc = runtime.block_on(async {
        let mut child = Command::new("sleep").arg("100").spawn().unwrap();
        let proc = Proc::of(&child);
        // `kill` by another name: the loop owes it the same reaping.
        child.send_signal(libc::SIGKILL).unwrap();
        proc
    });
    drop(runtime);
    assert_eq!(
        proc.state(),
        None,
        "a child sent SIGKILL outlived its loop unreaped"
    );
}

// ===== what a child inherits =====

pub fn a_child_inherits_no_descriptor_of_the_loop_and_no_blocked_signal() {
    // Blocked on this thread only, which the loop runs on.
    set_sigusr1(libc::SIG_BLOCK);
    tether::run(within_10s(async {
        let listener = tether::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut cat = Command::new("cat").stdin(Stdio::piped()).spawn().unwrap();
        let mut child = Command::new("sleep").arg("10").spawn().unwrap();
        let pid = child.id().unwrap();

        // std alone leaves a child the spawning thread's mask; tether
        // empties it.
        let mut std_child = std::process::Command::new("sleep")
            .arg("10")
            .spawn()
            .unwrap();
        assert_ne!(
            blocked_signals(std_child.id()),
            0,
            "std's child inherits the mask"
        );
        std_child.kill().unwrap();
        std_child.wait().unwrap();
        assert_eq!(
            blocked_signals(pid),
            0,
            "tether's child inherited the loop's mask"
        );

        // The loop's descriptors: its poller, eventfds and timerfd, the
        // pidfds of its children (anonymous inodes all), a socket and a
        // pipe. None of them is open in the child.
        let mut loop_fds = fd_targets(&format!("/proc/{}/fd", std::process::id()))
            .into_iter()
            .filter(|target| target.starts_with("anon_inode:") || target.contains("pidfd"))
            .collect::<Vec<_>>();
        for fd in [
            listener.as_fd().as_raw_fd(),
            cat.stdin.as_ref().unwrap().as_fd().as_raw_fd(),
        ] {
            loop_fds.push(fd_target(&format!("/proc/self/fd/{fd}")));
        }
        // The pidfds are among them on the pidfd backend; on the SIGCHLD
        // backend there are none, and the subscription's eventfd is.
        let pidfds = loop_fds.iter().any(|t| t.contains("pidfd"));
        assert_eq!(pidfds, !on_sigchld_backend(), "{loop_fds:?}");
        let in_child = fd_targets(&format!("/proc/{pid}/fd"));
        for target in &loop_fds {
            assert!(
                !in_child.contains(target),
                "the child inherited {target}: {in_child:?}"
            );
        }

        child.kill().unwrap();
        child.wait().await.unwrap();
        drop(cat.stdin.take());
        cat.wait().await.unwrap();
    }));
    set_sigusr1(libc::SIG_UNBLOCK);
}

/// The `SigBlk` mask of process `pid`.
fn blocked_signals(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("SigBlk:")).unwrap();
    u64::from_str_radix(line["SigBlk:".len()..].trim(), 16).unwrap()
}

/// What each fd in the directory `dir` refers to, as `readlink` says.
fn fd_targets(dir: &str) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|entry| std::fs::read_link(entry.ok()?.path()).ok())
        .map(|target| target.to_string_lossy().into_owned())
        .collect()
}

fn fd_target(path: &str) -> String {
    std::fs::read_link(path)
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

/// Blocks or unblocks `SIGUSR1` on this thread.
fn set_sigusr1(how: libc::c_int) {
    // SAFETY: `set` is initialized by `sigemptyset` before it is read, and
    // a null old set is allowed.
    unsafe {
        let mut set = std::mem::zeroed::<libc::sigset_t>();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGUSR1);
        assert_eq!(libc::pthread_sigmask(how, &set, std::ptr::null_mut()), 0);
    }
}

// ===== children reaped by other code =====

pub fn a_child_reaped_by_other_code_is_an_error_not_a_hang() {
    if std::env::var_os("TETHER_PROCESS_CHILD").is_none() {
        return run_in_child(
            "a_child_reaped_by_other_code_is_an_error_not_a_hang",
            &[("TETHER_PROCESS_CHILD", "1")],
        );
    }
    // Process-wide: the kernel now reaps every child as it exits.
    // SAFETY: setting a disposition to SIG_IGN installs no handler.
    unsafe { libc::signal(libc::SIGCHLD, libc::SIG_IGN) };
    tether::run(within_10s(async {
        let mut child = Command::shell("echo gone")
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        // Its output is still there to read.
        let mut buf = [0; 5];
        child.stdout.as_ref().unwrap().read(&mut buf).await.unwrap();
        assert_eq!(&buf, b"gone\n");
        let err = child.wait().await.unwrap_err();
        assert!(err.to_string().contains("reaped by other code"), "{err}");
        // Its pid may be another process's: no signal goes out.
        assert_eq!(
            child.kill().unwrap_err().kind(),
            std::io::ErrorKind::InvalidInput
        );
        assert_eq!(child.id(), None);
    }));
}
