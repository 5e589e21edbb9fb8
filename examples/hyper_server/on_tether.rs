//! hyper 1.x on tether: hyper's runtime traits (`hyper::rt::Read`, `Write`
//! and `Timer`) for tether's socket and timers.
//!
//! Used by the `hyper_server` example, and by the comparison harness
//! (`benches/compare`), which measures the same server on tokio and smol.

use std::future::Future;
use std::io;
use std::net::Shutdown;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use futures_lite::io::AsyncWrite;
use hyper::rt::{ReadBufCursor, Sleep, Timer};

/// A tether socket, as hyper's I/O traits want it: reads go to
/// `TcpStream::poll_read_uninit`, which fills hyper's buffer in place, and
/// writes to the socket's `futures_io::AsyncWrite`.
pub(crate) struct Io(pub(crate) tether::net::TcpStream);

impl hyper::rt::Read for Io {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        // hyper hands out its buffer's spare capacity, uninitialized;
        // `poll_read_uninit` reads into it in place, with no zeroing and
        // no copy.
        // SAFETY: `as_mut` is unsafe because its caller could
        // de-initialize bytes that hyper counts as initialized; a read
        // only ever writes bytes.
        let spare = unsafe { buf.as_mut() };
        let n = ready!(self.0.poll_read_uninit(cx, spare))?;
        // SAFETY: `poll_read_uninit` initialized the first `n` bytes.
        unsafe { buf.advance(n) };
        Poll::Ready(Ok(()))
    }
}

impl hyper::rt::Write for Io {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut &self.0).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut &self.0).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        true // one `sendmsg` for the head and the body
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut &self.0).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.0.shutdown(Shutdown::Write))
    }
}

/// hyper's timer, on tether's. hyper wants sleeps that are `Send + Sync`,
/// and a tether `Sleep` belongs to its loop, so each one runs as a task of
/// the loop, reached through the loop's `Handle`. hyper holds a
/// `TimerSleep` around the task's `ThreadFuture` (which is `Send + Sync`).
/// Dropping the `TimerSleep` cancels the task
/// (its `Drop` calls `ThreadFuture::cancel`: dropping a `ThreadFuture`
/// alone leaves its task running), so a timeout that was not needed leaves
/// no timer behind.
#[derive(Clone)]
pub(crate) struct TetherTimer(tether::Handle);

impl TetherTimer {
    /// A timer on the loop of this thread.
    ///
    /// # Panics
    ///
    /// Panics outside a tether loop.
    pub(crate) fn current() -> Self {
        Self(tether::Handle::current())
    }
}

impl Timer for TetherTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Sleep>> {
        self.sleep_until(Instant::now() + duration)
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn Sleep>> {
        let task = self
            .0
            .spawn_with(move || tether::time::sleep_until(deadline))
            .ok();
        Box::pin(TimerSleep(task))
    }
}

/// One of [`TetherTimer`]'s sleeps: `None` if the loop was closed.
struct TimerSleep(Option<tether::ThreadFuture<()>>);

impl Future for TimerSleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        match &mut self.0 {
            // Done, or cancelled because the loop is shutting down: either
            // way, the time is up.
            Some(task) => Pin::new(task).poll(cx).map(drop),
            // The loop was closed: nothing left to wait for.
            None => Poll::Ready(()),
        }
    }
}

impl Sleep for TimerSleep {}

impl Drop for TimerSleep {
    fn drop(&mut self) {
        if let Some(task) = &self.0 {
            task.cancel();
        }
    }
}
