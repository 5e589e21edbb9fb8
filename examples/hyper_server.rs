//! An HTTP/1.1 server built with hyper 1.x, running on tether through
//! hyper's runtime traits: `hyper::rt::Read`/`Write` for the socket and
//! `hyper::rt::Timer` for the timeout on reading a request's head.
//!
//! `GET` any path: a greeting. `POST /echo`: the request body back.
//!
//! ```text
//! cargo run --release --example hyper_server -- 8080   # port 0: any free port
//! curl http://127.0.0.1:8080/ && curl -d 'hi' http://127.0.0.1:8080/echo
//! ```

use std::future::Future;
use std::io;
use std::net::Shutdown;
use std::pin::Pin;
use std::sync::{Mutex, PoisonError};
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use futures_lite::io::{AsyncRead, AsyncWrite};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::rt::{ReadBufCursor, Sleep, Timer};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use tether::net::TcpListener;

fn main() -> io::Result<()> {
    let port = port_from_args()?;
    tether::run(async {
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        println!(
            "hyper_server: listening on http://{}/",
            listener.local_addr()?
        );
        let timer = TetherTimer(tether::Handle::current());
        loop {
            let (stream, _) = match listener.accept().await {
                Ok(accepted) => accepted,
                // Out of file descriptors, say: tether's accept backs off.
                Err(error) => {
                    eprintln!("hyper_server: accept: {error}");
                    continue;
                }
            };
            stream.set_nodelay(true)?;
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(timer.clone())
                .serve_connection(Io(stream), service_fn(answer));
            // One task per connection; hyper's futures need not be `Send`.
            drop(tether::spawn(async move {
                if let Err(error) = connection.await {
                    eprintln!("hyper_server: connection: {error}");
                }
            }));
        }
    })
}

/// The service: one response per request.
async fn answer(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, hyper::Error> {
    let response = match (request.method(), request.uri().path()) {
        (&Method::POST, "/echo") => {
            let body = request.into_body().collect().await?.to_bytes();
            Response::new(Full::new(body))
        }
        (&Method::GET | &Method::HEAD, _) => Response::new(Full::new(Bytes::from_static(
            b"Hello from hyper on tether!\n",
        ))),
        _ => {
            let mut response = Response::new(Full::new(Bytes::from_static(b"")));
            *response.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
            response
        }
    };
    Ok(response)
}

/// A tether socket, as hyper's I/O traits want it. tether's sockets speak
/// `futures_io`; this forwards hyper's calls to those.
struct Io(tether::net::TcpStream);

impl hyper::rt::Read for Io {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        // hyper hands out uninitialized memory; filling it in place takes
        // `unsafe`, so this safe example reads into a buffer of its own and
        // copies (requests are small).
        let mut chunk = [0; 8 * 1024];
        let len = buf.remaining().min(chunk.len());
        let n = ready!(Pin::new(&mut &self.0).poll_read(cx, &mut chunk[..len]))?;
        buf.put_slice(&chunk[..n]);
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
/// the loop, reached through the loop's `Handle`. hyper holds the task's
/// `ThreadFuture` (which is `Send`; a `Mutex` makes it `Sync`), and
/// dropping it cancels the task, so a timeout that was not needed leaves no
/// timer behind.
#[derive(Clone)]
struct TetherTimer(tether::Handle);

impl Timer for TetherTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Sleep>> {
        self.sleep_until(Instant::now() + duration)
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn Sleep>> {
        let task = self
            .0
            .spawn_with(move || tether::time::sleep_until(deadline))
            .ok();
        Box::pin(TimerSleep(Mutex::new(task)))
    }
}

/// One of [`TetherTimer`]'s sleeps: `None` if the loop was closed.
struct TimerSleep(Mutex<Option<tether::ThreadFuture<()>>>);

impl Future for TimerSleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let task = self.0.get_mut().unwrap_or_else(PoisonError::into_inner);
        match task {
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
        let task = self.0.get_mut().unwrap_or_else(PoisonError::into_inner);
        if let Some(task) = task {
            task.cancel();
        }
    }
}

fn port_from_args() -> io::Result<u16> {
    match std::env::args().nth(1) {
        None => Ok(8080),
        Some(arg) => arg.parse().map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("not a port number: {arg}"),
            )
        }),
    }
}
