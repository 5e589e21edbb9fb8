mod on_tether;

use std::convert::Infallible;
use std::io;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper::{Request, Response};
use on_tether::{Io, TetherTimer};
use tether::net::TcpListener;

async fn hello(_: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(Response::new(Full::new(Bytes::from_static(b"hello\n"))))
}

fn main() -> io::Result<()> {
    tether::run(async {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        println!("{}", listener.local_addr()?);
        let timer = TetherTimer;
        loop {
            let (stream, _) = listener.accept().await?;
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(timer.clone())
                .serve_connection(Io(stream), service_fn(hello));
            drop(tether::spawn(connection));
        }
    })
}
