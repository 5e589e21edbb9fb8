//! The one TCP client every echo server faces: a std thread per
//! connection with a blocking socket, sending 64 bytes and reading them
//! back, as fast as the server answers.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use crate::contenders::MESSAGE;

/// Runs `conns` connections against `addr` for `seconds`, closes them,
/// and returns the round trips per second.
pub(crate) fn run_client(addr: SocketAddr, conns: usize, seconds: f64) -> f64 {
    per_second(addr, conns, seconds, |mut stream, deadline| {
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
}

/// Connects `conns` clients to `addr`, then runs `session` on each, on a
/// thread of its own, until `seconds` from now; returns the exchanges per
/// second that the sessions counted.
pub(crate) fn per_second(
    addr: SocketAddr,
    conns: usize,
    seconds: f64,
    session: fn(TcpStream, Instant) -> u64,
) -> f64 {
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
        .map(|stream| thread::spawn(move || session(stream, deadline)))
        .collect();
    let exchanges: u64 = clients.into_iter().map(|c| c.join().unwrap()).sum();
    exchanges as f64 / start.elapsed().as_secs_f64()
}
