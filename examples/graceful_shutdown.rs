//! A server that shuts down gracefully on `SIGTERM` or Ctrl-C: it stops
//! accepting, finishes the requests in flight, closes the idle
//! connections, and exits with status 0.
//!
//! ```text
//! cargo run --release --features signal --example graceful_shutdown -- 7001   # port 0: any free port
//! ```
//!
//! A request is a line holding a number of milliseconds of work (at most
//! 10,000); the server answers `started: <line>` at once and `done:
//! <line>` when the work is over. Try it with `nc 127.0.0.1 7001`: type
//! `3000`, press Ctrl-C in the server's terminal, and the `done` still
//! comes. The signal handlers go as soon as the shutdown begins, so a
//! second Ctrl-C kills the server at once, as it would any program.

use std::cell::Cell;
use std::future::{Future, poll_fn};
use std::io;
use std::pin::pin;
use std::rc::Rc;
use std::task::Poll;
use std::time::Duration;

use tether::JoinHandle;
use tether::net::{TcpListener, TcpStream};
use tether::signal::{SIGINT, SIGTERM, Signal};
use tether::sync::Event;

/// The longest request this server accepts to work on.
const MAX_WORK: Duration = Duration::from_secs(10);

fn main() -> io::Result<()> {
    let port = port_from_args()?;
    tether::run(async {
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        // Subscribed before the address is printed: once a client can know
        // of this server, a SIGTERM is for the server to handle.
        let term = Signal::new(SIGTERM)?;
        let int = Signal::new(SIGINT)?;
        println!("graceful_shutdown: listening on {}", listener.local_addr()?);

        let stopping = Rc::new(Event::new());
        let served = Rc::new(Cell::new(0u64));
        let watcher = tether::spawn({
            let stopping = stopping.clone();
            async move {
                let index = {
                    let stop = [Box::pin(term.recv()), Box::pin(int.recv())];
                    tether::task::select(stop).await.1
                };
                // The signals get back the dispositions they had before:
                // from here on, a second Ctrl-C kills the server.
                drop((term, int));
                stopping.set();
                ["SIGTERM", "SIGINT"][index]
            }
        });

        let mut connections: Vec<JoinHandle<()>> = Vec::new();
        while let Some(accepted) = until(&stopping, listener.accept()).await {
            match accepted {
                Ok((stream, peer)) => {
                    connections.retain(|connection| !connection.is_finished());
                    let (stopping, served) = (stopping.clone(), served.clone());
                    connections.push(tether::spawn(async move {
                        if let Err(err) = serve(stream, &stopping, &served).await {
                            eprintln!("graceful_shutdown: {peer}: {err}");
                        }
                    }));
                }
                // accept pauses by itself after running out of file
                // descriptors, so logging and going on cannot spin.
                Err(err) => eprintln!("graceful_shutdown: accept: {err}"),
            }
        }
        // Closing the listener refuses new connections from here on.
        drop(listener);
        let name = watcher.await.expect("the signal watcher does not panic");
        println!("graceful_shutdown: {name}: stopped accepting");
        for connection in connections {
            // A connection that panicked was reported by its task already.
            let _ = connection.await;
        }
        println!("graceful_shutdown: done, {} requests served", served.get());
        Ok(())
    })
}

/// Serves the requests of one connection until the client closes it, or
/// until the shutdown begins while the connection waits for a request. A
/// request received before then is finished and answered.
async fn serve(stream: TcpStream, stopping: &Event, served: &Cell<u64>) -> io::Result<()> {
    let mut received = Vec::new();
    loop {
        // The next request: a whole line.
        let line = loop {
            if let Some(end) = received.iter().position(|&byte| byte == b'\n') {
                break received.drain(..=end).collect::<Vec<u8>>();
            }
            let mut buf = [0; 1024];
            match until(stopping, stream.read(&mut buf)).await {
                None => return Ok(()), // idle at the shutdown
                Some(Ok(0)) => return Ok(()),
                Some(Ok(n)) => received.extend_from_slice(&buf[..n]),
                Some(Err(err)) => return Err(err),
            }
        };
        // In flight: finished even if the shutdown begins meanwhile.
        let request = String::from_utf8_lossy(&line).trim().to_owned();
        stream
            .write_all(format!("started: {request}\n").as_bytes())
            .await?;
        let work = request
            .parse()
            .map_or(Duration::ZERO, Duration::from_millis);
        tether::time::sleep(work.min(MAX_WORK)).await;
        stream
            .write_all(format!("done: {request}\n").as_bytes())
            .await?;
        served.set(served.get() + 1);
    }
}

/// `future`'s output, or `None` if `stopping` is set first.
async fn until<F: Future>(stopping: &Event, future: F) -> Option<F::Output> {
    let mut future = pin!(future);
    let mut stop = pin!(stopping.wait());
    poll_fn(|cx| {
        if stop.as_mut().poll(cx).is_ready() {
            return Poll::Ready(None);
        }
        future.as_mut().poll(cx).map(Some)
    })
    .await
}

/// The port to listen on: the first argument, 7001 if there is none.
fn port_from_args() -> io::Result<u16> {
    match std::env::args().nth(1) {
        None => Ok(7001),
        Some(arg) => arg.parse().map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("not a port number: {arg}"),
            )
        }),
    }
}
