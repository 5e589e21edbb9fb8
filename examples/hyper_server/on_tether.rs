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
/// and a tether `Sleep` keeps its deadline in its thread's time (it is not
/// `Send`), so each of hyper's sleeps is a `tether::time::SendSleep`, which
/// keeps an `Instant` and holds only the name of its reactor and its
/// timer's key: made and polled by the connection's task,
/// on the loop, it arms and fires a timer as a `Sleep` does, and dropping
/// it disarms the timer. (This glue once ran each sleep as a task of the
/// loop, sent through `Handle::spawn_with`, and cancelled it on drop: with
/// hyper arming a header-read timer on every request, that cost 4 to 6 %
/// of the requests per second under `wrk -c50` and `-c500`, in paired runs
/// of `benches/compare`'s `wrk_http_50` and `wrk_http_500`.)
#[derive(Clone)]
pub(crate) struct TetherTimer;

impl Timer for TetherTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Sleep>> {
        Box::pin(HyperSleep(tether::time::SendSleep::after(duration)))
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn Sleep>> {
        Box::pin(HyperSleep(tether::time::SendSleep::until(deadline)))
    }
}

/// One of [`TetherTimer`]'s sleeps: hyper's `Sleep` is its own trait.
struct HyperSleep(tether::time::SendSleep);

impl Future for HyperSleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.0).poll(cx)
    }
}

impl Sleep for HyperSleep {}
