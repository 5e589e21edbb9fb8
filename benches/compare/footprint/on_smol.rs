//! hyper 1.x on smol: hyper's runtime traits (`hyper::rt::Read`, `Write`
//! and `Timer`) for `async-io`'s socket and timer, which smol re-exports.
//! hyper has no adapter for smol, so this is the safe glue a smol user
//! writes.
//!
//! Used by the comparison harness's smol server (`benches/compare`) and by
//! the footprint run's smol hyper server (`benches/compare/footprint/`).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use futures_lite::io::{AsyncRead, AsyncWrite};
use hyper::rt::{ReadBufCursor, Sleep, Timer};

/// An `async-io` socket, as hyper's I/O traits want it.
pub(crate) struct SmolIo(pub(crate) async_io::Async<std::net::TcpStream>);

impl hyper::rt::Read for SmolIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        // `async-io` has no read into uninitialized memory, so safe glue
        // over it zeroes a buffer and copies (tether's glue reads into
        // hyper's buffer in place, with `TcpStream::poll_read_uninit`).
        let mut chunk = [0; 8 * 1024];
        let len = buf.remaining().min(chunk.len());
        let n = ready!(Pin::new(&mut self.0).poll_read(cx, &mut chunk[..len]))?;
        buf.put_slice(&chunk[..n]);
        Poll::Ready(Ok(()))
    }
}

impl hyper::rt::Write for SmolIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_close(cx)
    }
}

/// hyper's timer on `async-io`'s, whose `Timer` is `Send + Sync` already.
#[derive(Clone, Copy)]
pub(crate) struct SmolTimer;

impl Timer for SmolTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Sleep>> {
        Box::pin(SmolSleep(async_io::Timer::after(duration)))
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn Sleep>> {
        Box::pin(SmolSleep(async_io::Timer::at(deadline)))
    }
}

struct SmolSleep(async_io::Timer);

impl Future for SmolSleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.0).poll(cx).map(drop)
    }
}

impl Sleep for SmolSleep {}
