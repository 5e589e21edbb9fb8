//! An HTTP/1.1 server built with hyper 1.x, running on tether through
//! hyper's runtime traits: `hyper::rt::Read`/`Write` for the socket and
//! `hyper::rt::Timer` for the timeout on reading a request's head.
//!
//! `GET` any path: a greeting. `POST /echo`: the request body back, up to
//! `MAX_ECHO` bytes; a longer one gets a 413, so that no client can make
//! the server hold more than that.
//!
//! ```text
//! cargo run --release --example hyper_server -- 8080   # port 0: any free port
//! curl http://127.0.0.1:8080/ && curl -d 'hi' http://127.0.0.1:8080/echo
//! ```
//!
//! The glue between the two is `on_tether.rs`, which the comparison
//! harness (`benches/compare`) also uses to serve hyper on tether.

mod on_tether;

use std::io;

use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::{Body, Bytes, Incoming};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use tether::net::TcpListener;

use on_tether::{Io, TetherTimer};

/// The longest body `/echo` sends back: it holds the whole body before
/// answering.
const MAX_ECHO: usize = 64 * 1024;

/// What the service may fail with: hyper's errors, or reading the body.
type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn main() -> io::Result<()> {
    let port = port_from_args()?;
    tether::run(async {
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        println!(
            "hyper_server: listening on http://{}/",
            listener.local_addr()?
        );
        let timer = TetherTimer;
        loop {
            let (stream, _) = match listener.accept().await {
                Ok(accepted) => accepted,
                // Out of file descriptors, say: tether's accept backs off.
                Err(error) => {
                    eprintln!("hyper_server: accept: {error}");
                    continue;
                }
            };
            // A connection its client already reset may refuse it (on
            // macOS and FreeBSD): that one is served without, and the
            // server goes on.
            let _ = stream.set_nodelay(true);
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
async fn answer(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, BoxError> {
    let response = match (request.method(), request.uri().path()) {
        (&Method::POST, "/echo") => echo(request.into_body()).await?,
        (&Method::GET | &Method::HEAD, _) => Response::new(Full::new(Bytes::from_static(
            b"Hello from hyper on tether!\n",
        ))),
        _ => status(StatusCode::METHOD_NOT_ALLOWED),
    };
    Ok(response)
}

/// `/echo`: the body back, or 413 if it is longer than `MAX_ECHO`.
async fn echo(body: Incoming) -> Result<Response<Full<Bytes>>, BoxError> {
    // A Content-Length past the limit is refused from the head, before any
    // of the body is read.
    if body.size_hint().lower() > MAX_ECHO as u64 {
        return Ok(status(StatusCode::PAYLOAD_TOO_LARGE));
    }
    // A chunked body announces no length: `Limited` counts it as it comes.
    match Limited::new(body, MAX_ECHO).collect().await {
        Ok(collected) => Ok(Response::new(Full::new(collected.to_bytes()))),
        Err(error) if error.is::<LengthLimitError>() => Ok(status(StatusCode::PAYLOAD_TOO_LARGE)),
        Err(error) => Err(error),
    }
}

/// An empty response with `code`.
fn status(code: StatusCode) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = code;
    response
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
