//! Feeding a child's stdin while draining its stdout and stderr: the heart
//! of [`Child::communicate`](super::Child::communicate) (asyncio's
//! `Process.communicate`).
//!
//! # Why all three at once
//!
//! A pipe holds a bounded amount (64 KiB on Linux by default). A parent
//! that writes all of a large input before it reads anything deadlocks
//! with a child that writes as it reads: the child blocks on its full
//! stdout, stops reading, and the parent blocks on the full stdin. The
//! same holds between stdout and stderr. So the three move together.
//!
//! # One future, no tasks
//!
//! [`Exchange`] is one future that polls three parts in turn: the feeder
//! and two drains. Each part runs its pipe's try-then-wait loop
//! (`Async::poll_io`): it writes or reads until the pipe says
//! `WouldBlock`, which registers the task's waker with that pipe's
//! source, then yields to the next part. Whichever pipe the reactor finds
//! ready wakes the same task, and the next poll moves the parts that can
//! move. No part can starve the others, nor the exchange the loop's other
//! tasks: the task's budget (`Reactor::start_budget`) ends a poll after
//! two operations that did not block, wakes the task and puts it back in
//! line; and the part that is polled first turns with every poll, so each
//! in turn spends the budget before the others.
//!
//! # Ends
//!
//! - The feeder closes stdin (drops its end) once the input is written,
//!   so the child reads end of file.
//! - A child that exits, or closes stdin, without reading all of the
//!   input makes the next write fail with `BrokenPipe`. That is not an
//!   error of the exchange: the feeder stops, and the child's output and
//!   status tell what happened, as asyncio's `communicate` ignores
//!   `BrokenPipeError` there. (`pipe.rs`, "Writing to a child that
//!   stopped reading", says when `SIGPIPE` would kill the parent
//!   instead.)
//! - A drain is done at end of file: when the child, and any process it
//!   passed the pipe to, has closed it.
//! - Any other error ends the exchange, and is the caller's.

use std::fs::File;
use std::future::Future;
use std::io::{self, Read, Write};
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::async_fd::Async;
use crate::source::Direction;

/// How much a drain asks for in one read: the most a Linux pipe holds by
/// default, so one read can take all that is there.
const CHUNK: usize = 64 * 1024;

/// The feeder and the two drains; a future that is ready once the input
/// is written (or the child stopped reading) and both outputs are at end
/// of file.
#[derive(Debug)]
pub(crate) struct Exchange<'a> {
    /// The child's stdin, until the input is written.
    stdin: Option<Async<File>>,
    /// What is left to write.
    input: &'a [u8],
    /// The child's stdout.
    stdout: Drain,
    /// The child's stderr.
    stderr: Drain,
    /// Which part the next poll polls first: 0 the feeder, 1 stdout, 2
    /// stderr.
    first: usize,
}

/// Reads one pipe to its end.
#[derive(Debug, Default)]
struct Drain {
    /// The pipe, until end of file; `None` if there is none.
    pipe: Option<Async<File>>,
    /// What was read, then zeros: a read fills the zeros after `filled`,
    /// so each byte is zeroed once, however many reads find nothing.
    bytes: Vec<u8>,
    /// How many of `bytes` were read.
    filled: usize,
}

impl<'a> Exchange<'a> {
    /// An exchange over the pipes the child has; a missing stdout or
    /// stderr reads as empty, a missing stdin takes no input.
    pub(crate) fn new(
        stdin: Option<Async<File>>,
        input: &'a [u8],
        stdout: Option<Async<File>>,
        stderr: Option<Async<File>>,
    ) -> Exchange<'a> {
        Exchange {
            stdin,
            input,
            stdout: Drain {
                pipe: stdout,
                ..Drain::default()
            },
            stderr: Drain {
                pipe: stderr,
                ..Drain::default()
            },
            first: 0,
        }
    }

    /// What the child wrote to stdout and to stderr.
    pub(crate) fn into_outputs(self) -> (Vec<u8>, Vec<u8>) {
        (self.stdout.into_bytes(), self.stderr.into_bytes())
    }

    /// Writes the input, then closes stdin.
    fn poll_feed(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            let Some(pipe) = &self.stdin else {
                return Poll::Ready(Ok(()));
            };
            if self.input.is_empty() {
                // Dropping the write end closes it: the child reads EOF.
                self.stdin = None;
                return Poll::Ready(Ok(()));
            }
            let input = self.input;
            match pipe.poll_io(Direction::Write, cx, |mut pipe| pipe.write(input)) {
                Poll::Ready(Ok(n)) => self.input = &input[n..],
                Poll::Ready(Err(err)) if err.kind() == io::ErrorKind::BrokenPipe => {
                    self.stdin = None;
                    return Poll::Ready(Ok(()));
                }
                Poll::Ready(Err(err)) => return Poll::Ready(Err(err)),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

impl Drain {
    /// Reads until end of file.
    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            let Some(pipe) = &self.pipe else {
                return Poll::Ready(Ok(()));
            };
            if self.bytes.len() < self.filled + CHUNK {
                self.bytes.resize(self.filled + CHUNK, 0);
            }
            let spare = &mut self.bytes[self.filled..];
            match pipe.poll_io(Direction::Read, cx, |mut pipe| pipe.read(spare)) {
                Poll::Ready(Ok(0)) => {
                    self.pipe = None;
                    return Poll::Ready(Ok(()));
                }
                Poll::Ready(Ok(n)) => self.filled += n,
                Poll::Ready(Err(err)) => return Poll::Ready(Err(err)),
                Poll::Pending => return Poll::Pending,
            }
        }
    }

    /// What was read.
    fn into_bytes(mut self) -> Vec<u8> {
        self.bytes.truncate(self.filled);
        self.bytes
    }
}

impl Future for Exchange<'_> {
    type Output = io::Result<()>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // Every part is polled every time, so that each pipe that would
        // block has the task's waker (a part the spent budget stops has
        // woken the task instead).
        let first = self.first;
        self.first = (first + 1) % 3;
        let mut done = true;
        for part in (first..first + 3).map(|part| part % 3) {
            let polled = match part {
                0 => self.poll_feed(cx)?,
                1 => self.stdout.poll_drain(cx)?,
                _ => self.stderr.poll_drain(cx)?,
            };
            done &= polled.is_ready();
        }
        if done {
            Poll::Ready(Ok(()))
        } else {
            Poll::Pending
        }
    }
}
