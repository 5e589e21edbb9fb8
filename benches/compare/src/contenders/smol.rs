//! smol's building blocks: `async-executor`'s `LocalExecutor` driven by
//! `async-io`'s `block_on`, as `smol` itself does. A `LocalExecutor` cannot
//! be reached from another thread, so the cross-thread workloads use
//! `Executor`, run by one thread only. Its round trip spawns a task that
//! answers on a std channel, which the submitter blocks on.

use std::future::Future;
use std::hint::black_box;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::pin::pin;
use std::rc::Rc;
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use async_executor::{Executor, LocalExecutor};
use async_io::{Async, Timer};
use futures_lite::{AsyncReadExt, AsyncWriteExt, FutureExt};

use hyper::service::service_fn;

use super::{Contender, MESSAGE, ten_seconds};
use crate::common::{Baton, Parked, player, poll_once, rss_bytes};
use crate::http::{SmolIo, SmolTimer, hello};

pub(crate) struct Smol;

/// An `Executor` run by a thread of its own until the process exits.
fn background_executor() -> Arc<Executor<'static>> {
    let ex = Arc::new(Executor::new());
    let runner = ex.clone();
    thread::spawn(move || async_io::block_on(runner.run(std::future::pending::<()>())));
    ex
}

/// Runs `f` on a local executor, which it may spawn onto.
fn run_local<T>(f: impl AsyncFnOnce(&LocalExecutor<'static>) -> T) -> T {
    // Leaked so that its tasks may borrow it for 'static: one per call, and
    // a worker process makes at most four (`timer_cancel`).
    let ex: &'static LocalExecutor<'static> = Box::leak(Box::new(LocalExecutor::new()));
    async_io::block_on(ex.run(f(ex)))
}

impl Contender for Smol {
    fn remote_callback(n: usize) -> Duration {
        let ex = background_executor();
        let (done_tx, done_rx) = mpsc::channel();
        let start = Instant::now();
        let submitter = thread::spawn(move || {
            for i in 0..n {
                let done = (i == n - 1).then(|| done_tx.clone());
                ex.spawn(async move {
                    if let Some(done) = done {
                        done.send(()).unwrap();
                    }
                })
                .detach();
            }
        });
        done_rx.recv().unwrap();
        let elapsed = start.elapsed();
        submitter.join().unwrap();
        elapsed
    }

    fn remote_roundtrip(n: usize) -> Vec<Duration> {
        let ex = background_executor();
        (0..n)
            .map(|i| {
                let start = Instant::now();
                let (tx, rx) = mpsc::channel();
                ex.spawn(async move { tx.send(i).unwrap() }).detach();
                assert_eq!(rx.recv().unwrap(), i);
                start.elapsed()
            })
            .collect()
    }

    fn local_spawn(total: usize, batch: usize) -> Duration {
        run_local(async move |ex| {
            let mut tasks = Vec::with_capacity(batch);
            let start = Instant::now();
            for _ in 0..total / batch {
                tasks.extend((0..batch).map(|i| ex.spawn(async move { black_box(i) })));
                for task in tasks.drain(..) {
                    task.await;
                }
            }
            start.elapsed()
        })
    }

    fn ping_pong(hops: usize) -> Duration {
        run_local(async move |ex| {
            let baton = Rc::new(Baton::default());
            let start = Instant::now();
            let a = ex.spawn(player(baton.clone(), 0, hops));
            let b = ex.spawn(player(baton, 1, hops));
            a.await;
            b.await;
            start.elapsed()
        })
    }

    fn timers(delays: &[Duration]) -> (Duration, Duration) {
        let delays = delays.to_vec();
        run_local(async move |ex| {
            let start = Instant::now();
            let tasks: Vec<_> = delays
                .into_iter()
                .map(|delay| ex.spawn(Timer::after(delay)))
                .collect();
            let made = start.elapsed();
            for task in tasks {
                task.await;
            }
            (made, start.elapsed())
        })
    }

    fn timer_cancel(n: usize) -> Duration {
        run_local(async move |_| {
            let start = Instant::now();
            for _ in 0..n {
                poll_once(pin!(Timer::after(Duration::from_secs(10)))).await;
            }
            start.elapsed()
        })
    }

    fn timeout_ready<const OPAQUE: bool>(n: usize) -> Duration {
        // smol's timeout idiom: race the future against a timer.
        run_local(async move |_| {
            let start = Instant::now();
            for i in 0..n {
                let ten = ten_seconds::<OPAQUE>();
                let out = async move { Some(i) }
                    .or(async move {
                        Timer::after(ten).await;
                        None
                    })
                    .await;
                assert_eq!(black_box(out), Some(i));
            }
            start.elapsed()
        })
    }

    fn await_ready(n: usize) -> Duration {
        run_local(async move |_| {
            let start = Instant::now();
            for i in 0..n {
                let out = async move { i }.await;
                assert_eq!(black_box(out), i);
            }
            start.elapsed()
        })
    }

    fn spawn_blocking(n: usize) -> Duration {
        // smol's pool for blocking work is the `blocking` crate (`smol::unblock`).
        run_local(async move |_| {
            let start = Instant::now();
            for i in 0..n {
                assert_eq!(blocking::unblock(move || i).await, i);
            }
            start.elapsed()
        })
    }

    fn idle_tasks(n: usize) -> u64 {
        run_local(async move |ex| {
            let parked = Parked::default();
            let before = rss_bytes();
            for _ in 0..n {
                ex.spawn(parked.task()).detach();
            }
            while parked.count() < n {
                futures_lite::future::yield_now().await;
            }
            // Idle: the loop goes to sleep once, with every task parked.
            Timer::after(Duration::from_millis(1)).await;
            rss_bytes().saturating_sub(before)
        })
    }

    fn echo_server(conns: usize, ready: &dyn Fn(SocketAddr)) {
        serve(conns, ready, |mut stream| async move {
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
        });
    }

    fn http_server(conns: usize, ready: &dyn Fn(SocketAddr)) {
        serve(conns, ready, |stream| {
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(SmolTimer)
                .serve_connection(SmolIo(stream), service_fn(hello));
            async move {
                let _ = connection.await;
            }
        });
    }
}

/// A server on a fresh local executor: accepts `conns` connections, runs
/// `handle` on each as a task, and returns once all of them are done.
fn serve<F: Future<Output = ()> + 'static>(
    conns: usize,
    ready: &dyn Fn(SocketAddr),
    handle: impl Fn(Async<TcpStream>) -> F,
) {
    run_local(async move |ex| {
        let listener = Async::<TcpListener>::bind(([127, 0, 0, 1], 0)).unwrap();
        ready(listener.get_ref().local_addr().unwrap());
        let mut handlers = Vec::new();
        for _ in 0..conns {
            let (stream, _) = listener.accept().await.unwrap();
            stream.get_ref().set_nodelay(true).unwrap();
            handlers.push(ex.spawn(handle(stream)));
        }
        for handler in handlers {
            handler.await;
        }
    });
}
