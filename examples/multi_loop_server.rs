//! hyper serving on every core: a `LoopPool` of tether loops, one per core
//! by default, each running hyper's HTTP/1.1 server on the connections
//! the pool hands it.
//!
//! `GET` any path: a greeting that names the loop that served it. Each
//! loop is the single-threaded loop it is alone; hyper's futures are
//! built on their loop and need not be `Send`.
//!
//! ```text
//! cargo run --release --features signal --example multi_loop_server -- 8080                # least loaded
//! cargo run --release --features signal --example multi_loop_server -- 8080 --reuse-port   # a listener per loop
//! cargo run --release --features signal --example multi_loop_server -- 8080 --loops 4
//! curl http://127.0.0.1:8080/
//! ```
//!
//! `--least-loaded` (the default): one loop accepts, and hands each
//! connection to the loop with the lowest load (its live connections
//! plus its queued work), so long keep-alive connections and a busy or
//! stuck loop are seen. `--reuse-port`: every loop listens on the port
//! with `SO_REUSEPORT`, and the kernel spreads connections by a hash of
//! the client's address: nothing crosses threads, but a loop's load is
//! not seen. `tether::Spreading` says when to pick which.
//!
//! `SIGTERM`, Ctrl-C (`SIGINT`), or `stop` and Enter stop it gracefully:
//! the server stops accepting, gives open connections up to ten seconds
//! to end, then stops every loop and exits with status 0. `stats` and
//! Enter show each loop's connections and load. With standard input
//! closed (under a service manager, say), the signals alone stop it. The
//! signal handlers go as soon as the stop begins, by a signal or on
//! standard input, so a Ctrl-C then kills the server at once, as it would
//! any program.
//!
//! The hyper glue (`hyper::rt::Read`/`Write` for tether's socket, and
//! `hyper::rt::Timer`) is `hyper_server/on_tether.rs`, shared with the
//! `hyper_server` example.

#[path = "hyper_server/on_tether.rs"]
mod on_tether;

use std::io::{self, BufRead};
use std::net::SocketAddr;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use tether::signal::{SIGINT, SIGTERM, Signal};
use tether::{LoopPool, Spreading, ThreadFuture};

use on_tether::{Io, TetherTimer};

/// How long open connections get to end at a graceful stop.
const GRACE: Duration = Duration::from_secs(10);

fn main() -> io::Result<()> {
    let options = Options::from_args()?;
    let mut pool = LoopPool::builder();
    if let Some(loops) = options.loops {
        pool = pool.loops(loops);
    }
    let pool = pool.build()?;

    let addr = SocketAddr::from(([127, 0, 0, 1], options.port));
    let server = pool.serve(addr, options.spreading, |stream, _peer| async move {
        // On the loop the pool chose: everything here belongs to it.
        let _ = stream.set_nodelay(true);
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(TetherTimer)
            .serve_connection(Io(stream), service_fn(answer));
        if let Err(error) = connection.await {
            eprintln!("multi_loop_server: connection: {error}");
        }
    })?;
    // Watched before the address is printed: once a client can know of
    // this server, a SIGTERM is for the server to handle.
    let (requests, signals) = watch_for_stop(&pool)?;
    let mode = match options.spreading {
        Spreading::LeastLoaded => "least-loaded",
        Spreading::ReusePort => "reuse-port",
    };
    println!(
        "multi_loop_server: {} loops, {mode}; listening on http://{}/",
        pool.loops(),
        server.local_addr()
    );

    let why = wait_for_stop(&pool, &requests);
    // The signal handlers go now, however the stop began (after a signal
    // they are gone already), and are gone before the line below: from
    // then on, a Ctrl-C kills the server at once. A cancelled task's
    // `ThreadFuture` answers once its future, and the signals, are dropped.
    signals.cancel();
    let _ = signals.wait();
    println!("multi_loop_server: {why}: stopping; open connections get up to {GRACE:?} to end");

    let report = pool.shutdown(GRACE);
    println!(
        "multi_loop_server: stopped; {} connections cut short, {} loops panicked",
        report.unfinished_connections,
        report.panicked.len()
    );
    Ok(())
}

/// What the program is asked, by a signal or on standard input.
enum Ask {
    /// Stop gracefully; says who asked.
    Stop(&'static str),
    /// Print each loop's figures.
    Stats,
}

/// Starts listening for what stops the program: `SIGTERM` and `SIGINT`
/// on the pool's loop 0, and lines on standard input on a thread of its
/// own. Returns where both send, once the signals are subscribed, and the
/// task that holds the signals: cancelled, it drops them.
fn watch_for_stop(pool: &LoopPool) -> io::Result<(mpsc::Receiver<Ask>, ThreadFuture<()>)> {
    let (asks, requests) = mpsc::channel();
    let (subscribed_tx, subscribed) = mpsc::channel();
    let on_signal = asks.clone();
    let watcher = pool.spawn_on(0, move || async move {
        let signals = Signal::new(SIGTERM).and_then(|term| Ok((term, Signal::new(SIGINT)?)));
        let (term, int) = match signals {
            Ok(signals) => signals,
            Err(err) => {
                let _ = subscribed_tx.send(Err(err));
                return;
            }
        };
        let _ = subscribed_tx.send(Ok(()));
        let index = {
            let stop = [Box::pin(term.recv()), Box::pin(int.recv())];
            tether::task::select(stop).await.1
        };
        // The signals get back the dispositions they had before: from
        // here on, a second Ctrl-C kills the server.
        drop((term, int));
        let _ = on_signal.send(Ask::Stop(["SIGTERM", "SIGINT"][index]));
    });
    // The task lives until a signal comes, it is cancelled, or the pool
    // stops.
    let watcher = watcher.map_err(|_| io::Error::other("loop 0 of the pool is closed"))?;
    subscribed
        .recv()
        .map_err(|_| io::Error::other("loop 0 of the pool stopped"))??;

    thread::spawn(move || {
        for line in io::stdin().lock().lines() {
            let ask = match line.as_deref().map(str::trim) {
                Ok("stop") => Ask::Stop("stop"),
                Ok("stats") => Ask::Stats,
                Ok(_) => continue,
                Err(_) => break,
            };
            if asks.send(ask).is_err() {
                break;
            }
        }
        // Standard input is closed (a service manager, a test harness):
        // from here on, only a signal stops the server.
    });
    Ok((requests, watcher))
}

/// Blocks until the program should stop, printing the figures whenever
/// `stats` comes; returns who asked for the stop. This is the one place
/// that decides when to stop.
fn wait_for_stop(pool: &LoopPool, requests: &mpsc::Receiver<Ask>) -> &'static str {
    loop {
        match requests.recv() {
            Ok(Ask::Stop(who)) => return who,
            Ok(Ask::Stats) => print_stats(pool),
            // Loop 0 ended, and standard input is closed: nothing is left
            // that could ask.
            Err(_) => return "no one left to ask",
        }
    }
}

/// One line per loop: its name, state, connections and load.
fn print_stats(pool: &LoopPool) {
    for report in pool.metrics() {
        println!(
            "multi_loop_server: {} {:?}: {} connections, load {:?}, {} iterations",
            report.name, report.state, report.connections, report.load, report.metrics.iterations
        );
    }
}

/// The service: a greeting that names the loop, for `GET` and `HEAD`.
async fn answer(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, hyper::Error> {
    let response = match *request.method() {
        Method::GET | Method::HEAD => {
            let thread = std::thread::current();
            let name = thread.name().unwrap_or("a tether loop");
            Response::new(Full::new(Bytes::from(format!(
                "Hello from hyper on tether, loop {name}!\n"
            ))))
        }
        _ => {
            let mut response = Response::new(Full::new(Bytes::new()));
            *response.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
            response
        }
    };
    Ok(response)
}

/// The command line: `[PORT] [--reuse-port | --least-loaded] [--loops N]`.
struct Options {
    port: u16,
    spreading: Spreading,
    loops: Option<usize>,
}

impl Options {
    fn from_args() -> io::Result<Options> {
        let bad = |what: String| io::Error::new(io::ErrorKind::InvalidInput, what);
        let mut options = Options {
            port: 8080,
            spreading: Spreading::LeastLoaded,
            loops: None,
        };
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--reuse-port" => options.spreading = Spreading::ReusePort,
                "--least-loaded" => options.spreading = Spreading::LeastLoaded,
                "--loops" => {
                    let n = args.next().unwrap_or_default();
                    let loops = n
                        .parse()
                        .map_err(|_| bad(format!("not a loop count: {n}")))?;
                    options.loops = Some(loops);
                }
                port => {
                    options.port = port
                        .parse()
                        .map_err(|_| bad(format!("not a port number or option: {port}")))?;
                }
            }
        }
        Ok(options)
    }
}
