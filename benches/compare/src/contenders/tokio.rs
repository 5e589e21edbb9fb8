//! tokio's current-thread runtime. tokio has no `call_soon`: the closest to
//! it from another thread is `Handle::spawn` of a task that calls the
//! closure, and that is what `remote_callback` uses. Its round trip spawns
//! a task that answers on a std channel, which the submitter blocks on.
//!
//! The many-loop workloads also run tokio's multi-threaded runtime (its
//! servers are the current-thread ones' code, on that runtime), and two
//! current-thread runtimes talking to each other (`cross_loop`).

use std::future::Future;
use std::hint::black_box;
use std::net::SocketAddr;
use std::pin::pin;
use std::rc::Rc;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::runtime::{Builder, Handle, Runtime};
use tokio::task::LocalSet;

use super::{Contender, MESSAGE, ten_seconds};
use crate::common::{Baton, Parked, player, poll_once, rss_bytes};
use crate::http::hello;

pub(crate) struct Tokio;

fn runtime() -> Runtime {
    Builder::new_current_thread().enable_all().build().unwrap()
}

/// A current-thread runtime on its own thread, running until the process
/// exits; returns its handle.
fn background_runtime() -> Handle {
    let (handle_tx, handle_rx) = mpsc::channel();
    thread::spawn(move || {
        let rt = runtime();
        handle_tx.send(rt.handle().clone()).unwrap();
        rt.block_on(std::future::pending::<()>());
    });
    handle_rx.recv().unwrap()
}

/// Runs `future` with `spawn_local` available, as a program whose tasks
/// are not `Send` does on the current-thread runtime (`ping_pong`'s tasks
/// share an `Rc`). Tasks that are `Send` go through `tokio::spawn`, its
/// usual path.
fn run_local<F: Future>(future: F) -> F::Output {
    runtime().block_on(LocalSet::new().run_until(future))
}

impl Contender for Tokio {
    fn remote_callback(n: usize) -> Duration {
        let handle = background_runtime();
        let (done_tx, done_rx) = mpsc::channel();
        let start = Instant::now();
        let submitter = thread::spawn(move || {
            for i in 0..n {
                let done = (i == n - 1).then(|| done_tx.clone());
                drop(handle.spawn(async move {
                    if let Some(done) = done {
                        done.send(()).unwrap();
                    }
                }));
            }
        });
        done_rx.recv().unwrap();
        let elapsed = start.elapsed();
        submitter.join().unwrap();
        elapsed
    }

    fn remote_roundtrip(n: usize) -> Vec<Duration> {
        let handle = background_runtime();
        (0..n)
            .map(|i| {
                let start = Instant::now();
                let (tx, rx) = mpsc::channel();
                drop(handle.spawn(async move { tx.send(i).unwrap() }));
                assert_eq!(rx.recv().unwrap(), i);
                start.elapsed()
            })
            .collect()
    }

    fn local_spawn(total: usize, batch: usize) -> Duration {
        runtime().block_on(async move {
            let mut tasks = Vec::with_capacity(batch);
            let start = Instant::now();
            for _ in 0..total / batch {
                tasks.extend((0..batch).map(|i| tokio::spawn(async move { black_box(i) })));
                for task in tasks.drain(..) {
                    task.await.unwrap();
                }
            }
            start.elapsed()
        })
    }

    fn ping_pong(hops: usize) -> Duration {
        run_local(async move {
            let baton = Rc::new(Baton::default());
            let start = Instant::now();
            let a = tokio::task::spawn_local(player(baton.clone(), 0, hops));
            let b = tokio::task::spawn_local(player(baton, 1, hops));
            a.await.unwrap();
            b.await.unwrap();
            start.elapsed()
        })
    }

    fn timers(delays: &[Duration]) -> (Duration, Duration) {
        let delays = delays.to_vec();
        runtime().block_on(async move {
            let start = Instant::now();
            let tasks: Vec<_> = delays
                .into_iter()
                .map(|delay| tokio::spawn(tokio::time::sleep(delay)))
                .collect();
            let made = start.elapsed();
            for task in tasks {
                task.await.unwrap();
            }
            (made, start.elapsed())
        })
    }

    fn timer_cancel(n: usize) -> Duration {
        runtime().block_on(async move {
            let start = Instant::now();
            for _ in 0..n {
                poll_once(pin!(tokio::time::sleep(Duration::from_secs(10)))).await;
            }
            start.elapsed()
        })
    }

    fn timeout_ready<const OPAQUE: bool>(n: usize) -> Duration {
        runtime().block_on(async move {
            let start = Instant::now();
            for i in 0..n {
                let ten = ten_seconds::<OPAQUE>();
                let out = tokio::time::timeout(ten, async move { i }).await;
                assert_eq!(black_box(out.unwrap()), i);
            }
            start.elapsed()
        })
    }

    fn await_ready(n: usize) -> Duration {
        runtime().block_on(async move {
            let start = Instant::now();
            for i in 0..n {
                let out = async move { i }.await;
                assert_eq!(black_box(out), i);
            }
            start.elapsed()
        })
    }

    fn spawn_blocking(n: usize) -> Duration {
        runtime().block_on(async move {
            let start = Instant::now();
            for i in 0..n {
                let out = tokio::task::spawn_blocking(move || i).await.unwrap();
                assert_eq!(out, i);
            }
            start.elapsed()
        })
    }

    fn idle_tasks(n: usize) -> u64 {
        runtime().block_on(async move {
            let parked = Parked::default();
            let before = rss_bytes();
            for _ in 0..n {
                tokio::spawn(parked.task());
            }
            while parked.count() < n {
                tokio::task::yield_now().await;
            }
            // Idle: the loop goes to sleep once, with every task parked.
            tokio::time::sleep(Duration::from_millis(1)).await;
            rss_bytes().saturating_sub(before)
        })
    }

    fn echo_server(conns: usize, ready: &dyn Fn(SocketAddr)) {
        serve(runtime(), conns, ready, echo);
    }

    fn http_server(conns: usize, ready: &dyn Fn(SocketAddr)) {
        serve(runtime(), conns, ready, http);
    }
}

/// A multi-threaded runtime with `workers` worker threads.
fn multi_thread(workers: usize) -> Runtime {
    Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .unwrap()
}

/// [`Tokio::echo_server`] on a multi-threaded runtime with `workers`
/// workers.
pub(crate) fn multi_thread_echo_server(workers: usize, conns: usize, ready: &dyn Fn(SocketAddr)) {
    serve(multi_thread(workers), conns, ready, echo);
}

/// [`Tokio::http_server`] on a multi-threaded runtime with `workers`
/// workers.
pub(crate) fn multi_thread_http_server(workers: usize, conns: usize, ready: &dyn Fn(SocketAddr)) {
    serve(multi_thread(workers), conns, ready, http);
}

/// Echoes what `stream` sends until it closes.
async fn echo(mut stream: tokio::net::TcpStream) {
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

/// hyper's HTTP/1.1 server on `stream`, with tokio's timer.
fn http(stream: tokio::net::TcpStream) -> impl Future<Output = ()> + Send {
    let connection = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .serve_connection(TokioIo::new(stream), service_fn(hello));
    async move {
        let _ = connection.await;
    }
}

/// A server on `rt`: accepts `conns` connections, runs `handle` on each
/// as a task, and returns once all of them are done.
fn serve<F: Future<Output = ()> + Send + 'static>(
    rt: Runtime,
    conns: usize,
    ready: &dyn Fn(SocketAddr),
    handle: fn(tokio::net::TcpStream) -> F,
) {
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        ready(listener.local_addr().unwrap());
        let mut handlers = Vec::new();
        for _ in 0..conns {
            let (stream, _) = listener.accept().await.unwrap();
            stream.set_nodelay(true).unwrap();
            handlers.push(tokio::spawn(handle(stream)));
        }
        for handler in handlers {
            let _ = handler.await;
        }
    });
}

/// `trips` round trips between two current-thread runtimes, each on its
/// own thread, the two ways of tether's `cross_loop` example: a request
/// (`Handle::spawn` on the other runtime, its `JoinHandle` awaited), and a
/// message each way through `async-channel`; their total times, in that
/// order, each after a tenth as many to warm up.
pub(crate) fn cross_loop(trips: u32) -> (Duration, Duration) {
    let (here, there) = (background_runtime(), background_runtime());
    let (time_tx, time_rx) = mpsc::channel();

    let other = there.clone();
    let done = time_tx.clone();
    drop(here.spawn(async move {
        let round = || async { other.spawn(async { 1u32 }).await.unwrap() };
        for _ in 0..trips / 10 {
            round().await;
        }
        let started = Instant::now();
        let mut sum = 0;
        for _ in 0..trips {
            sum += round().await;
        }
        assert_eq!(sum, trips);
        done.send(started.elapsed()).unwrap();
    }));
    let request = time_rx.recv().unwrap();

    let (to_1, from_0) = async_channel::bounded::<u32>(1);
    let (to_0, from_1) = async_channel::bounded::<u32>(1);
    drop(there.spawn(async move {
        while let Ok(n) = from_0.recv().await {
            if to_0.send(n + 1).await.is_err() {
                break;
            }
        }
    }));
    drop(here.spawn(async move {
        for n in 0..trips / 10 {
            to_1.send(n).await.unwrap();
            from_1.recv().await.unwrap();
        }
        let started = Instant::now();
        for n in 0..trips {
            to_1.send(n).await.unwrap();
            assert_eq!(from_1.recv().await.unwrap(), n + 1);
        }
        time_tx.send(started.elapsed()).unwrap();
    }));
    let messages = time_rx.recv().unwrap();
    (request, messages)
}
