//! tether: `Handle::call_soon` and `Handle::spawn` from other threads,
//! `tether::spawn` on the loop; for the many-loop workloads, a
//! `LoopPool` serving with `LoopPool::serve`, and the `cross_loop`
//! example's round trips between its loops.

use std::future::Future;
use std::hint::black_box;
use std::net::SocketAddr;
use std::pin::pin;
use std::rc::Rc;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use hyper::service::service_fn;
use tether::{LoopPool, Spreading};

use super::{Contender, MESSAGE, ten_seconds};
use crate::common::{Baton, Parked, player, poll_once, rss_bytes};
use crate::http::hello;

/// The `hyper_server` example's glue, so that the harness measures hyper
/// on tether exactly as the example runs it.
#[path = "../../../../examples/hyper_server/on_tether.rs"]
mod on_tether;
use on_tether::{Io, TetherTimer};

/// The `cross_loop` example's round trips between two loops of a pool, so
/// that the harness times exactly what the example does. Its `main` goes
/// unused here.
#[path = "../../../../examples/cross_loop.rs"]
#[expect(
    dead_code,
    reason = "the example's main, which the harness does not run"
)]
mod cross_loop_example;

pub(crate) struct Tether;

impl Contender for Tether {
    fn remote_callback(n: usize) -> Duration {
        let worker = tether::LoopThread::new().unwrap();
        let handle = worker.handle().clone();
        let (done_tx, done_rx) = mpsc::channel();
        let start = Instant::now();
        let submitter = thread::spawn(move || {
            for i in 0..n {
                let done = (i == n - 1).then(|| done_tx.clone());
                let submitted = handle.call_soon(move || {
                    if let Some(done) = done {
                        done.send(()).unwrap();
                    }
                });
                assert!(submitted.is_ok(), "the loop closed");
            }
        });
        done_rx.recv().unwrap();
        let elapsed = start.elapsed();
        submitter.join().unwrap();
        worker.stop();
        elapsed
    }

    fn remote_roundtrip(n: usize) -> Vec<Duration> {
        let worker = tether::LoopThread::new().unwrap();
        let handle = worker.handle().clone();
        let samples = (0..n)
            .map(|i| {
                let start = Instant::now();
                let answer = handle.spawn(async move { i }).unwrap().wait().unwrap();
                assert_eq!(answer, i);
                start.elapsed()
            })
            .collect();
        worker.stop();
        samples
    }

    fn local_spawn(total: usize, batch: usize) -> Duration {
        tether::run(async move {
            let mut tasks = Vec::with_capacity(batch);
            let start = Instant::now();
            for _ in 0..total / batch {
                tasks.extend((0..batch).map(|i| tether::spawn(async move { black_box(i) })));
                for task in tasks.drain(..) {
                    task.await.unwrap();
                }
            }
            start.elapsed()
        })
    }

    fn ping_pong(hops: usize) -> Duration {
        tether::run(async move {
            let baton = Rc::new(Baton::default());
            let start = Instant::now();
            let a = tether::spawn(player(baton.clone(), 0, hops));
            let b = tether::spawn(player(baton, 1, hops));
            a.await.unwrap();
            b.await.unwrap();
            start.elapsed()
        })
    }

    fn timers(delays: &[Duration]) -> (Duration, Duration) {
        let delays = delays.to_vec();
        tether::run(async move {
            let start = Instant::now();
            let tasks: Vec<_> = delays
                .into_iter()
                .map(|delay| tether::spawn(tether::time::sleep(delay)))
                .collect();
            let made = start.elapsed();
            for task in tasks {
                task.await.unwrap();
            }
            (made, start.elapsed())
        })
    }

    fn timer_cancel(n: usize) -> Duration {
        tether::run(async move {
            let start = Instant::now();
            for _ in 0..n {
                poll_once(pin!(tether::time::sleep(Duration::from_secs(10)))).await;
            }
            start.elapsed()
        })
    }

    fn timeout_ready<const OPAQUE: bool>(n: usize) -> Duration {
        tether::run(async move {
            let start = Instant::now();
            for i in 0..n {
                let ten = ten_seconds::<OPAQUE>();
                let out = tether::time::timeout(ten, async move { i }).await;
                assert_eq!(black_box(out), Ok(i));
            }
            start.elapsed()
        })
    }

    fn await_ready(n: usize) -> Duration {
        tether::run(async move {
            let start = Instant::now();
            for i in 0..n {
                let out = async move { i }.await;
                assert_eq!(black_box(out), i);
            }
            start.elapsed()
        })
    }

    fn spawn_blocking(n: usize) -> Duration {
        tether::run(async move {
            let start = Instant::now();
            for i in 0..n {
                assert_eq!(tether::spawn_blocking(move || i).await.unwrap(), i);
            }
            start.elapsed()
        })
    }

    fn idle_tasks(n: usize) -> u64 {
        tether::run(async move {
            let parked = Parked::default();
            let before = rss_bytes();
            for _ in 0..n {
                tether::spawn(parked.task());
            }
            while parked.count() < n {
                tether::yield_now().await;
            }
            // Idle: the loop goes to sleep once, with every task parked.
            tether::time::sleep(Duration::from_millis(1)).await;
            rss_bytes().saturating_sub(before)
        })
    }

    fn echo_server(conns: usize, ready: &dyn Fn(SocketAddr)) {
        serve(conns, ready, echo);
    }

    fn http_server(conns: usize, ready: &dyn Fn(SocketAddr)) {
        serve(conns, ready, http);
    }
}

/// Echoes what `stream` sends until it closes.
async fn echo(stream: tether::net::TcpStream) {
    let mut buf = [0; MESSAGE];
    loop {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                if stream.write_all(&buf[..n]).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// hyper's HTTP/1.1 server on `stream`, with the current loop's timer.
fn http(stream: tether::net::TcpStream) -> impl Future<Output = ()> {
    let connection = hyper::server::conn::http1::Builder::new()
        .timer(TetherTimer)
        .serve_connection(Io(stream), service_fn(hello));
    async move {
        let _ = connection.await;
    }
}

/// An echo server on a pool of `loops` loops that spreads its connections
/// the `spreading` way; returns once `conns` connections have closed.
pub(crate) fn pool_echo_server(
    loops: usize,
    spreading: Spreading,
    conns: usize,
    ready: &dyn Fn(SocketAddr),
) {
    serve_on_pool(loops, spreading, conns, ready, echo);
}

/// [`pool_echo_server`] for hyper's HTTP/1.1 server: each loop runs its
/// connections with its own timer.
pub(crate) fn pool_http_server(
    loops: usize,
    spreading: Spreading,
    conns: usize,
    ready: &dyn Fn(SocketAddr),
) {
    serve_on_pool(loops, spreading, conns, ready, http);
}

/// A server on a fresh pool of `loops` loops (unpinned, as the builder
/// makes them): `LoopPool::serve` runs `handle` on each connection, on the
/// loop `spreading` chose; returns once `conns` connections are done.
fn serve_on_pool<F: Future<Output = ()> + 'static>(
    loops: usize,
    spreading: Spreading,
    conns: usize,
    ready: &dyn Fn(SocketAddr),
    handle: fn(tether::net::TcpStream) -> F,
) {
    let pool = LoopPool::builder().loops(loops).build().unwrap();
    let (done_tx, done_rx) = mpsc::channel();
    let server = pool
        .serve(
            "127.0.0.1:0".parse().unwrap(),
            spreading,
            move |stream, _peer| {
                stream.set_nodelay(true).unwrap();
                let (served, done) = (handle(stream), done_tx.clone());
                async move {
                    served.await;
                    let _ = done.send(());
                }
            },
        )
        .unwrap();
    ready(server.local_addr());
    for _ in 0..conns {
        done_rx.recv().unwrap();
    }
    let report = pool.stop();
    assert!(report.panicked.is_empty(), "a loop panicked: {report:?}");
}

/// `trips` round trips between the two loops of a pool, the `cross_loop`
/// example's two ways: a request with `spawn_with`, and a message each
/// way through `async-channel`; their total times, in that order.
pub(crate) fn cross_loop(trips: u32) -> (Duration, Duration) {
    let pool = LoopPool::builder().loops(2).build().unwrap();
    let request = cross_loop_example::request_round_trips(&pool, trips);
    let messages = cross_loop_example::message_round_trips(&pool, trips);
    pool.stop();
    (request, messages)
}

/// A server on a fresh loop: accepts `conns` connections, runs `handle` on
/// each as a task, and returns once all of them are done.
fn serve<F: Future<Output = ()> + 'static>(
    conns: usize,
    ready: &dyn Fn(SocketAddr),
    handle: impl Fn(tether::net::TcpStream) -> F,
) {
    tether::run(async move {
        let listener = tether::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        ready(listener.local_addr().unwrap());
        let mut handlers = Vec::new();
        for _ in 0..conns {
            let (stream, _) = listener.accept().await.unwrap();
            stream.set_nodelay(true).unwrap();
            handlers.push(tether::spawn(handle(stream)));
        }
        for handler in handlers {
            let _ = handler.await;
        }
    });
}
