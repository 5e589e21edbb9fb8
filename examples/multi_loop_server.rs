//! hyper serving on every core: a `LoopPool` of tether loops, one per core
//! by default, each running hyper's HTTP/1.1 server on the connections
//! the pool hands it.
//!
//! `GET` any path: a greeting that names the loop that served it. Each
//! loop is the single-threaded loop it is alone; hyper's futures are
//! built on their loop and need not be `Send`.
//!
//! ```text
//! cargo run --release --example multi_loop_server -- 8080                # least loaded
//! cargo run --release --example multi_loop_server -- 8080 --reuse-port   # a listener per loop
//! cargo run --release --example multi_loop_server -- 8080 --loops 4
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
//! Type `stop` (or `stats`) and Enter to stop gracefully (or to see each
//! loop's connections and load): the server stops accepting, gives open
//! connections up to ten seconds, then stops every loop. With standard
//! input closed, it runs until it is killed.
//!
//! The hyper glue (`hyper::rt::Read`/`Write` for tether's socket, and
//! `hyper::rt::Timer`) is `hyper_server/on_tether.rs`, shared with the
//! `hyper_server` example.

#[path = "hyper_server/on_tether.rs"]
mod on_tether;

use std::io::{self, BufRead};
use std::net::SocketAddr;
use std::time::Duration;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use tether::{LoopPool, Spreading};

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
            .timer(TetherTimer::current())
            .serve_connection(Io(stream), service_fn(answer));
        if let Err(error) = connection.await {
            eprintln!("multi_loop_server: connection: {error}");
        }
    })?;
    let mode = match options.spreading {
        Spreading::LeastLoaded => "least-loaded",
        Spreading::ReusePort => "reuse-port",
    };
    println!(
        "multi_loop_server: {} loops, {mode}; listening on http://{}/",
        pool.loops(),
        server.local_addr()
    );

    wait_for_stop(&pool);

    let report = pool.shutdown(GRACE);
    println!(
        "multi_loop_server: stopped; {} connections cut short, {} loops panicked",
        report.unfinished_connections,
        report.panicked.len()
    );
    Ok(())
}

/// Blocks until the program should stop: `stop` on standard input. This
/// is the one place that decides when to stop; a handler for SIGTERM and
/// SIGINT belongs here too, once tether can wait for signals, so that
/// `kill` stops the server as gracefully as `stop` does.
fn wait_for_stop(pool: &LoopPool) {
    for line in io::stdin().lock().lines() {
        match line.as_deref().map(str::trim) {
            Ok("stop") => return,
            Ok("stats") => print_stats(pool),
            Ok(_) => {}
            Err(_) => break,
        }
    }
    // Standard input is closed (a service manager, a test harness): run
    // until killed.
    loop {
        std::thread::park();
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
