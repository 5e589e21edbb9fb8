mod on_smol;

use std::convert::Infallible;
use std::io;
use std::net::TcpListener;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper::{Request, Response};
use on_smol::{SmolIo, SmolTimer};
use smol::Async;

async fn hello(_: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(Response::new(Full::new(Bytes::from_static(b"hello\n"))))
}

fn main() -> io::Result<()> {
    // One thread, as the other runtimes' servers: a local executor that
    // `block_on` runs (`smol::spawn` would start its global executor's
    // thread).
    let executor = smol::LocalExecutor::new();
    smol::block_on(executor.run(async {
        let listener = Async::<TcpListener>::bind(([127, 0, 0, 1], 0))?;
        println!("{}", listener.get_ref().local_addr()?);
        loop {
            let (stream, _) = listener.accept().await?;
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(SmolTimer)
                .serve_connection(SmolIo(stream), service_fn(hello));
            executor.spawn(connection).detach();
        }
    }))
}
