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
//!
//! The glue between the two is `on_tether.rs`, which the comparison
//! harness (`benches/compare`) also uses to serve hyper on tether.

mod on_tether;

use std::io;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use tether::net::TcpListener;

use on_tether::{Io, TetherTimer};

fn main() -> io::Result<()> {
    let port = port_from_args()?;
    tether::run(async {
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        println!(
            "hyper_server: listening on http://{}/",
            listener.local_addr()?
        );
        let timer = TetherTimer::current();
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
