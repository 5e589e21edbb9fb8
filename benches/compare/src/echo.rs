//! The one TCP client every echo server faces: a std thread per
//! connection with a blocking socket, sending 64 bytes and reading them
//! back, as fast as the server answers, and timing each round trip.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use crate::common::summarize_us;
use crate::contenders::MESSAGE;

/// What a client measured.
pub(crate) struct Measured {
    /// Exchanges (round trips, requests) answered per second.
    pub(crate) per_second: f64,
    /// The median of one exchange's latency, from the first byte sent to
    /// the last byte received, over every connection; in µs. Far below the
    /// mean (connections / exchanges per second), it says that a server
    /// serves some connections back to back while the others wait.
    pub(crate) p50_us: f64,
    /// The 99th percentile of the same; in µs.
    pub(crate) p99_us: f64,
}

/// Runs `conns` connections against `addr` for `seconds`, closes them,
/// and returns what they measured.
pub(crate) fn run_client(addr: SocketAddr, conns: usize, seconds: f64) -> Measured {
    exchanges(addr, conns, seconds, |mut stream, deadline, latencies| {
        let out = [7u8; MESSAGE];
        let mut back = [0u8; MESSAGE];
        loop {
            let start = Instant::now();
            if start >= deadline {
                return;
            }
            stream.write_all(&out).unwrap();
            stream.read_exact(&mut back).unwrap();
            latencies.push(start.elapsed());
        }
    })
}

/// Connects `conns` clients to `addr`, then runs `session` on each, on a
/// thread of its own, until `seconds` from now; each session records the
/// latency of every exchange it made. Returns the exchanges per second
/// and their median and 99th percentile latency.
pub(crate) fn exchanges(
    addr: SocketAddr,
    conns: usize,
    seconds: f64,
    session: fn(TcpStream, Instant, &mut Vec<Duration>),
) -> Measured {
    // Connect every client first, so that the server's accept loop is not
    // part of the measurement.
    let streams: Vec<TcpStream> = (0..conns)
        .map(|_| {
            let stream = TcpStream::connect(addr).expect("connect to the server");
            stream.set_nodelay(true).unwrap();
            stream
        })
        .collect();
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(seconds);
    let clients: Vec<_> = streams
        .into_iter()
        .map(|stream| {
            thread::spawn(move || {
                // Room for a fast session, so that growing the vector is
                // not part of the measurement.
                let mut latencies = Vec::with_capacity(1 << 16);
                session(stream, deadline, &mut latencies);
                latencies
            })
        })
        .collect();
    let mut latencies: Vec<Duration> = clients
        .into_iter()
        .flat_map(|c| c.join().unwrap())
        .collect();
    // Over the window itself: the time after the deadline, until the
    // slowest exchange in flight then came back, would count a server's
    // tail against its rate. (The exchanges in flight at the deadline, at
    // most one per connection, are counted.)
    let per_second = latencies.len() as f64 / seconds;
    let (_, p50_us, p99_us) = summarize_us(&mut latencies);
    Measured {
        per_second,
        p50_us,
        p99_us,
    }
}
