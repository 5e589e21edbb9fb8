//! HTTP/1.1 with hyper: the one service every runtime serves, and the one
//! client every server faces.
//!
//! The server is hyper 1.x's `http1` connection on each runtime, with the
//! runtime's timer installed (so hyper keeps its 30 s header-read timeout
//! on every one). tether's glue is the `hyper_server` example's own
//! (`examples/hyper_server/on_tether.rs`); tokio's is `hyper-util`'s
//! `TokioIo` and `TokioTimer`; smol's is [`SmolIo`] and [`SmolTimer`]
//! here, since hyper has no adapter for it.
//!
//! The client does what `wrk` does with one request in flight per
//! connection: a std thread per keep-alive connection sends `GET /`, reads
//! the whole response, and sends the next, as fast as the server answers,
//! timing each request.

use std::convert::Infallible;
use std::future::Future;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use futures_lite::io::{AsyncRead, AsyncWrite};
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::rt::{ReadBufCursor, Sleep, Timer};
use hyper::{Request, Response};

use crate::echo;

/// The response body.
const HELLO: &[u8] = b"Hello, world!\n";

/// The service: the same answer to every request.
pub(crate) async fn hello(_: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(Response::new(Full::new(Bytes::from_static(HELLO))))
}

/// Runs `conns` keep-alive connections against `addr` for `seconds`,
/// closes them, and returns what they measured.
pub(crate) fn run_client(addr: SocketAddr, conns: usize, seconds: f64) -> echo::Measured {
    echo::exchanges(addr, conns, seconds, |stream, deadline, latencies| {
        let mut writer = stream.try_clone().unwrap();
        let mut reader = BufReader::new(stream);
        loop {
            let start = Instant::now();
            if start >= deadline {
                return;
            }
            writer
                .write_all(b"GET / HTTP/1.1\r\nHost: bench\r\n\r\n")
                .unwrap();
            read_response(&mut reader).unwrap();
            latencies.push(start.elapsed());
        }
    })
}

/// Reads one response: a 200 status, headers up to the blank line, and a
/// body of `Content-Length` bytes, which must be [`HELLO`].
fn read_response(reader: &mut BufReader<TcpStream>) -> io::Result<()> {
    let invalid = |what: String| io::Error::new(io::ErrorKind::InvalidData, what);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    if !line.starts_with("HTTP/1.1 200 ") {
        return Err(invalid(format!("status line {line:?}")));
    }
    let mut length = None;
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Err(invalid("the server closed mid-response".to_owned()));
        }
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse::<usize>().ok();
            }
        }
    }
    let length = length.ok_or_else(|| invalid("no Content-Length".to_owned()))?;
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    if body != HELLO {
        return Err(invalid(format!("body {body:?}")));
    }
    Ok(())
}

/// An `async-io` socket, as hyper's I/O traits want it.
pub(crate) struct SmolIo(pub(crate) async_io::Async<std::net::TcpStream>);

impl hyper::rt::Read for SmolIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        // The same safe copy as tether's glue, so that neither pays for
        // something the other does not.
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
