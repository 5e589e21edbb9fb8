//! A TCP echo server: each connection gets back what it sends, until it
//! half-closes; then the server closes its side too.
//!
//! ```text
//! cargo run --release --example echo -- 7000      # port 0: any free port
//! ```
//!
//! Try it with `nc 127.0.0.1 7000`.

use std::io;
use std::net::Shutdown;

use tether::net::{TcpListener, TcpStream};

fn main() -> io::Result<()> {
    let port = port_from_args()?;
    tether::run(async {
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        println!("echo: listening on {}", listener.local_addr()?);
        loop {
            // accept pauses by itself after running out of file descriptors,
            // so logging and going on cannot spin.
            match listener.accept().await {
                Ok((stream, peer)) => {
                    tether::spawn(async move {
                        if let Err(err) = echo(stream).await {
                            eprintln!("echo: {peer}: {err}");
                        }
                    });
                }
                Err(err) => eprintln!("echo: accept: {err}"),
            }
        }
    })
}

/// Sends back everything `stream` receives; at end of file, half-closes.
async fn echo(stream: TcpStream) -> io::Result<()> {
    let mut buf = vec![0; 16 * 1024];
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return stream.shutdown(Shutdown::Write);
        }
        stream.write_all(&buf[..n]).await?;
    }
}

/// The port to listen on: the first argument, 7000 if there is none.
fn port_from_args() -> io::Result<u16> {
    match std::env::args().nth(1) {
        None => Ok(7000),
        Some(arg) => arg.parse().map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("not a port number: {arg}"),
            )
        }),
    }
}
