//! Runs a command and streams its output line by line as it comes, each
//! line stamped with the time since the start and the pipe it came on,
//! while the loop stays free: a ticker task runs alongside.
//!
//! ```text
//! cargo run --example subprocess --features process
//! cargo run --example subprocess --features process -- 'ping -c 3 127.0.0.1'
//! ```
//!
//! The argument is a shell command line (`/bin/sh -c`); without one, a
//! short script that prints a few lines with pauses, one to stderr.

use std::cell::Cell;
use std::process::Stdio;
use std::rc::Rc;
use std::time::{Duration, Instant};

use tether::process::{ChildStderr, ChildStdout, Command};

/// What runs when no command line is given.
const DEMO: &str = "for i in 1 2 3; do echo \"line $i\"; sleep 0.2; done; \
                    echo 'a warning' >&2; exit 3";

fn main() -> std::io::Result<()> {
    let line = std::env::args().nth(1).unwrap_or_else(|| DEMO.to_owned());
    let start = Instant::now();
    let status = tether::run(async move {
        println!("running: /bin/sh -c {line:?}");
        let mut child = Command::shell(&line)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()?;
        // Both pipes at once, each in its own task: a child that fills one
        // while we read the other must not stall.
        let stdout = child.stdout.take().expect("stdout is piped");
        let stderr = child.stderr.take().expect("stderr is piped");
        let out = tether::spawn(print_lines(Pipe::Out(stdout), start));
        let err = tether::spawn(print_lines(Pipe::Err(stderr), start));
        // The loop is free meanwhile: this task ticks every 100 ms.
        let ticks = Rc::new(Cell::new(0u32));
        let ticker = tether::spawn({
            let ticks = ticks.clone();
            async move {
                loop {
                    tether::time::sleep(Duration::from_millis(100)).await;
                    ticks.set(ticks.get() + 1);
                }
            }
        });
        out.await.expect("the stdout task")?;
        err.await.expect("the stderr task")?;
        let status = child.wait().await?;
        ticker.cancel();
        println!(
            "meanwhile the loop ran a 100 ms ticker {} times",
            ticks.get()
        );
        std::io::Result::Ok(status)
    })?;
    let secs = start.elapsed().as_secs_f64();
    match status.code() {
        Some(code) => println!("exited with code {code} after {secs:.3} s"),
        None => println!("ended by {status} after {secs:.3} s"),
    }
    Ok(())
}

/// One of the child's two output pipes.
enum Pipe {
    Out(ChildStdout),
    Err(ChildStderr),
}

impl Pipe {
    async fn read(&self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Pipe::Out(pipe) => pipe.read(buf).await,
            Pipe::Err(pipe) => pipe.read(buf).await,
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Pipe::Out(_) => "out",
            Pipe::Err(_) => "err",
        }
    }
}

/// Reads `pipe` to its end and prints each complete line as soon as it is
/// there; a last line without a newline is printed at the end.
async fn print_lines(pipe: Pipe, start: Instant) -> std::io::Result<()> {
    let mut pending = Vec::new();
    let mut buf = [0; 4096];
    loop {
        let n = pipe.read(&mut buf).await?;
        if n == 0 {
            if !pending.is_empty() {
                print_line(&pipe, start, &pending);
            }
            return Ok(());
        }
        pending.extend_from_slice(&buf[..n]);
        while let Some(end) = pending.iter().position(|&b| b == b'\n') {
            print_line(&pipe, start, &pending[..end]);
            pending.drain(..=end);
        }
    }
}

fn print_line(pipe: &Pipe, start: Instant, line: &[u8]) {
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{secs:8.3} s {} | {}",
        pipe.name(),
        String::from_utf8_lossy(line)
    );
}
