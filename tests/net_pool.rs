//! A `LoopPool` serving TCP: both ways of spreading connections, the
//! per-loop cap, a blocked loop routed around, and the graceful stop.
#![cfg(feature = "net")]

mod support;

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use support::{block_loop, eventually};
use tether::{LoopPool, Spreading};

/// Answers one byte with the serving loop's name and a newline, then
/// holds the connection until the client closes it.
async fn name_then_hold(stream: tether::net::TcpStream, _peer: SocketAddr) {
    let mut byte = [0];
    if stream.read(&mut byte).await.unwrap_or(0) == 0 {
        return;
    }
    let name = std::thread::current().name().unwrap().to_owned();
    if stream
        .write_all(format!("{name}\n").as_bytes())
        .await
        .is_err()
    {
        return;
    }
    while stream.read(&mut byte).await.unwrap_or(0) != 0 {}
}

/// Connects, sends a byte, and reads the serving loop's name, waiting at
/// most `patience`; `Err` with the stream if no answer came in time.
fn ask(addr: SocketAddr, patience: Duration) -> Result<(String, TcpStream), TcpStream> {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.write_all(b"?").unwrap();
    stream.set_read_timeout(Some(patience)).unwrap();
    let mut name = String::new();
    match BufReader::new(&stream).read_line(&mut name) {
        Ok(n) if n > 0 => Ok((name.trim().to_owned(), stream)),
        Ok(_) => panic!("the server closed without an answer"),
        Err(err) if matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
            Err(stream)
        }
        Err(err) => panic!("read: {err}"),
    }
}

/// Reads the answer to an earlier `ask` that timed out.
fn answer_of(stream: &TcpStream) -> String {
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut name = String::new();
    BufReader::new(stream).read_line(&mut name).unwrap();
    name.trim().to_owned()
}

fn any_port() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

/// How many connections wait to be accepted on the listening sockets of
/// `addr` (an IPv4 address), from the kernel's table: a listening socket's
/// receive queue, in `/proc/net/tcp`, is its accept queue.
fn backlog_of(addr: SocketAddr) -> usize {
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap();
    let SocketAddr::V4(v4) = addr else {
        panic!("{addr} is not IPv4")
    };
    let local = format!(
        "{:08X}:{:04X}",
        u32::from_le_bytes(v4.ip().octets()),
        v4.port()
    );
    table
        .lines()
        .skip(1)
        .map(|line| line.split_whitespace().collect::<Vec<_>>())
        // Columns: sl, local, remote, state (0A: listening), tx:rx queues.
        .filter(|columns| columns[1] == local && columns[3] == "0A")
        .map(|columns| {
            let rx = columns[4].split_once(':').unwrap().1;
            usize::from_str_radix(rx, 16).unwrap()
        })
        .sum()
}

#[test]
fn least_loaded_spreads_100_connections_over_2_loops_at_least_25_each() {
    let pool = LoopPool::builder().loops(2).build().unwrap();
    let server = pool
        .serve(any_port(), Spreading::LeastLoaded, name_then_hold)
        .unwrap();
    let mut held = Vec::new();
    let mut on = [0; 2];
    for _ in 0..100 {
        let (name, stream) = ask(server.local_addr(), Duration::from_secs(10)).unwrap();
        on[usize::from(name == "tether-pool-1")] += 1;
        held.push(stream);
    }
    assert!(on[0] >= 25 && on[1] >= 25, "served {on:?}");
    let counted: Vec<usize> = pool.metrics().iter().map(|r| r.connections).collect();
    assert_eq!(counted, on, "the pool counts what each loop serves");

    drop(held);
    eventually("every connection counted out", || {
        pool.metrics().iter().all(|r| r.connections == 0)
    });
    let report = pool.shutdown(Duration::from_secs(5));
    assert_eq!(report.unfinished_connections, 0);
}

#[test]
fn reuse_port_gives_each_loop_a_listener_on_one_port() {
    let pool = LoopPool::builder().loops(2).build().unwrap();
    let server = pool
        .serve(any_port(), Spreading::ReusePort, name_then_hold)
        .unwrap();
    assert_eq!(server.spreading(), Spreading::ReusePort);
    let mut held = Vec::new();
    let mut on = [0; 2];
    for _ in 0..64 {
        let (name, stream) = ask(server.local_addr(), Duration::from_secs(10)).unwrap();
        on[usize::from(name == "tether-pool-1")] += 1;
        held.push(stream);
    }
    // The kernel's hash put some on each: all 64 on one would be a 1 in
    // 2^63 chance.
    assert!(on[0] > 0 && on[1] > 0, "served {on:?}");
    let counted: Vec<usize> = pool.metrics().iter().map(|r| r.connections).collect();
    assert_eq!(counted, on);
    drop(held);
    eventually("every connection counted out", || {
        pool.metrics().iter().all(|r| r.connections == 0)
    });
}

#[test]
fn a_server_on_a_taken_port_is_refused_with_addr_in_use() {
    let pool = LoopPool::builder().loops(2).build().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    for spreading in [Spreading::ReusePort, Spreading::LeastLoaded] {
        let err = pool.serve(addr, spreading, name_then_hold).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AddrInUse, "{spreading:?}: {err}");
    }
}

#[test]
fn least_loaded_routes_new_connections_around_a_blocked_loop() {
    let pool = LoopPool::builder().loops(2).build().unwrap();
    // Answer, then close: short connections, one after another.
    let server = pool
        .serve(any_port(), Spreading::LeastLoaded, |stream, _| async move {
            let mut byte = [0];
            let _ = stream.read(&mut byte).await;
            let name = std::thread::current().name().unwrap().to_owned();
            let _ = stream.write_all(format!("{name}\n").as_bytes()).await;
        })
        .unwrap();
    // The acceptor runs on loop 0; loop 1 is blocked on purpose.
    let release = block_loop(&pool, 1);
    let mut stuck = Vec::new();
    for _ in 0..20 {
        match ask(server.local_addr(), Duration::from_millis(300)) {
            Ok((name, _)) => assert_eq!(name, "tether-pool-0"),
            Err(waiting) => stuck.push(waiting),
        }
    }
    // Only a choice that found the two loops tied (loop 0 still busy with
    // the last connection) can land on the blocked loop; each one there
    // stays, and counts against it.
    assert!(
        stuck.len() <= 2,
        "{} connections went to the blocked loop",
        stuck.len()
    );
    let seen = &pool.metrics()[1];
    assert_eq!(seen.connections, stuck.len());
    assert!(seen.load.unwrap() > 2 * stuck.len() as u64);

    // Connections a stuck loop owns stay stuck until it runs again.
    release.send(()).unwrap();
    for stream in &stuck {
        assert_eq!(answer_of(stream), "tether-pool-1");
    }
}

#[test]
fn accepting_pauses_while_every_loop_is_at_its_cap() {
    let pool = LoopPool::builder()
        .loops(2)
        .max_connections_per_loop(1)
        .build()
        .unwrap();
    let server = pool
        .serve(any_port(), Spreading::LeastLoaded, name_then_hold)
        .unwrap();
    let (first, first_stream) = ask(server.local_addr(), Duration::from_secs(10)).unwrap();
    let (second, _second_stream) = ask(server.local_addr(), Duration::from_secs(10)).unwrap();
    assert_ne!(first, second, "one each");
    // Both at the cap: the third waits, unserved.
    let third = ask(server.local_addr(), Duration::from_millis(300)).unwrap_err();
    let counted: Vec<usize> = pool.metrics().iter().map(|r| r.connections).collect();
    assert_eq!(counted, [1, 1]);
    // It waits in the listener's backlog, not accepted and held uncounted.
    assert_eq!(backlog_of(server.local_addr()), 1);
    // A connection ends: the third gets its place.
    drop(first_stream);
    assert_eq!(answer_of(&third), first);
}

#[test]
fn shutdown_closes_what_did_not_finish_in_time() {
    let pool = LoopPool::builder().loops(2).build().unwrap();
    let server = pool
        .serve(any_port(), Spreading::LeastLoaded, name_then_hold)
        .unwrap();
    let addr = server.local_addr();
    // A client that never closes.
    let (_, mut client) = ask(addr, Duration::from_secs(10)).unwrap();
    let started = Instant::now();
    let report = pool.shutdown(Duration::from_millis(100));
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(100), "{took:?}");
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert_eq!(report.unfinished_connections, 1);
    assert!(report.panicked.is_empty());
    // Its task was dropped with its loop: the connection is closed.
    client
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut rest = Vec::new();
    let end = client.read_to_end(&mut rest);
    assert!(end.is_ok() || end.unwrap_err().kind() == ErrorKind::ConnectionReset);
    assert!(TcpStream::connect(addr).is_err(), "still listening");
}

#[test]
fn stop_accepting_closes_the_listener_and_keeps_open_connections() {
    let pool = LoopPool::builder().loops(2).build().unwrap();
    let server = pool
        .serve(any_port(), Spreading::ReusePort, name_then_hold)
        .unwrap();
    let addr = server.local_addr();
    let (_, open) = ask(addr, Duration::from_secs(10)).unwrap();
    server.stop_accepting();
    eventually("the listeners close", || TcpStream::connect(addr).is_err());
    assert_eq!(
        pool.metrics().iter().map(|r| r.connections).sum::<usize>(),
        1
    );
    drop(open);
    let report = pool.shutdown(Duration::from_secs(5));
    assert_eq!(report.unfinished_connections, 0);
}

#[test]
fn a_listener_per_loop_pauses_its_loop_at_the_cap() {
    let pool = LoopPool::builder()
        .loops(1)
        .max_connections_per_loop(1)
        .build()
        .unwrap();
    let server = pool
        .serve(any_port(), Spreading::ReusePort, name_then_hold)
        .unwrap();
    let (name, first) = ask(server.local_addr(), Duration::from_secs(10)).unwrap();
    assert_eq!(name, "tether-pool-0");
    // The loop is at its cap: the second waits, unserved.
    let second = ask(server.local_addr(), Duration::from_millis(300)).unwrap_err();
    assert_eq!(pool.metrics()[0].connections, 1);
    assert_eq!(
        backlog_of(server.local_addr()),
        1,
        "accepted and held uncounted"
    );
    drop(first);
    assert_eq!(answer_of(&second), "tether-pool-0");
}
