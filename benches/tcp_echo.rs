//! TCP echo round trips over loopback, with 1 and with 50 connections: a
//! tether server, a tokio (current-thread) server and a smol
//! (async-executor + async-io) server, each facing the same blocking client.
//!
//! ```text
//! cargo bench --bench tcp_echo            # 5 rounds of 1 s per cell
//! cargo bench --bench tcp_echo -- 3 0.5   # rounds, seconds per cell
//! ```
//!
//! Each server runs on its own thread and echoes 64-byte messages; the
//! client (one std thread per connection, blocking sockets) sends a message,
//! reads it back, and counts. Rounds are interleaved (tether, tokio, smol,
//! tether...), and each row reports the median of the rounds, with min-max:
//! the machine's speed drifts within seconds (BENCHMARKING.md).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// The size of one message.
const MESSAGE: usize = 64;

/// A server: listens on a free port, sends its address, echoes `conns`
/// connections until each closes, then returns.
type Server = fn(conns: usize, ready: mpsc::Sender<SocketAddr>);

fn tether_server(conns: usize, ready: mpsc::Sender<SocketAddr>) {
    tether::run(async move {
        let listener = tether::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        ready.send(listener.local_addr().unwrap()).unwrap();
        let mut handlers = Vec::new();
        for _ in 0..conns {
            let (stream, _) = listener.accept().await.unwrap();
            stream.set_nodelay(true).unwrap();
            handlers.push(tether::spawn(async move {
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
            }));
        }
        for handler in handlers {
            let _ = handler.await;
        }
    });
}

fn tokio_server(conns: usize, ready: mpsc::Sender<SocketAddr>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .unwrap();
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        ready.send(listener.local_addr().unwrap()).unwrap();
        let mut handlers = Vec::new();
        for _ in 0..conns {
            let (mut stream, _) = listener.accept().await.unwrap();
            stream.set_nodelay(true).unwrap();
            handlers.push(tokio::spawn(async move {
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
            }));
        }
        for handler in handlers {
            let _ = handler.await;
        }
    });
}

fn smol_server(conns: usize, ready: mpsc::Sender<SocketAddr>) {
    use futures_lite::{AsyncReadExt, AsyncWriteExt};
    let ex = async_executor::LocalExecutor::new();
    async_io::block_on(ex.run(async {
        let listener = async_io::Async::<std::net::TcpListener>::bind(([127, 0, 0, 1], 0)).unwrap();
        ready
            .send(listener.get_ref().local_addr().unwrap())
            .unwrap();
        let mut handlers = Vec::new();
        for _ in 0..conns {
            let (mut stream, _) = listener.accept().await.unwrap();
            stream.get_ref().set_nodelay(true).unwrap();
            handlers.push(ex.spawn(async move {
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
            }));
        }
        for handler in handlers {
            handler.await;
        }
    }));
}

/// Runs `server` against the blocking client with `conns` connections for
/// `seconds`; returns round trips per second.
fn measure(server: Server, conns: usize, seconds: f64) -> f64 {
    let (ready_tx, ready_rx) = mpsc::channel();
    let server_thread = thread::spawn(move || server(conns, ready_tx));
    let addr = ready_rx.recv().unwrap();
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(seconds);
    let clients: Vec<_> = (0..conns)
        .map(|_| {
            thread::spawn(move || {
                let mut stream = TcpStream::connect(addr).unwrap();
                stream.set_nodelay(true).unwrap();
                let out = [7u8; MESSAGE];
                let mut back = [0u8; MESSAGE];
                let mut trips = 0u64;
                while Instant::now() < deadline {
                    stream.write_all(&out).unwrap();
                    stream.read_exact(&mut back).unwrap();
                    trips += 1;
                }
                trips
            })
        })
        .collect();
    let trips: u64 = clients.into_iter().map(|c| c.join().unwrap()).sum();
    let elapsed = start.elapsed().as_secs_f64();
    server_thread.join().unwrap();
    trips as f64 / elapsed
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    // `cargo bench` passes `--bench`; the numbers, if any, are ours.
    let numbers: Vec<f64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let rounds = numbers.first().map_or(5, |&r| r as usize).max(1);
    let seconds = numbers.get(1).copied().unwrap_or(1.0);
    let servers: [(&str, Server); 3] = [
        ("tether", tether_server),
        ("tokio", tokio_server),
        ("smol", smol_server),
    ];
    println!("tcp_echo: {MESSAGE}-byte round trips over loopback, {rounds} rounds of {seconds} s");
    for conns in [1, 50] {
        let mut results: Vec<Vec<f64>> = vec![Vec::new(); servers.len()];
        for _ in 0..rounds {
            for (i, (_, server)) in servers.iter().enumerate() {
                results[i].push(measure(*server, conns, seconds));
            }
        }
        let tether = median(&mut results[0].clone());
        println!(
            "\n{conns} connection(s)          round trips/s (median)        min - max   tether / runtime"
        );
        for ((name, _), values) in servers.iter().zip(&mut results) {
            let m = median(values);
            let (lo, hi) = (values[0], values[values.len() - 1]);
            println!(
                "  {name:<8} {m:>30.0} {lo:>10.0} - {hi:<10.0} {:>8.2}",
                tether / m
            );
        }
    }
}
