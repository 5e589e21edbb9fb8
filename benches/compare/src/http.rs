//! HTTP/1.1 with hyper: the one service every runtime serves, and the one
//! client every server faces.
//!
//! The server is hyper 1.x's `http1` connection on each runtime, with the
//! runtime's timer installed (so hyper keeps its 30 s header-read timeout
//! on every one). tether's glue is the `hyper_server` example's own
//! (`examples/hyper_server/on_tether.rs`); tokio's is `hyper-util`'s
//! `TokioIo` and `TokioTimer`; smol's is [`SmolIo`] and [`SmolTimer`]
//! (`benches/compare/footprint/on_smol.rs`, which the footprint run's smol
//! server builds too), since hyper has no adapter for it.
//!
//! The client does what `wrk` does with one request in flight per
//! connection: a std thread per keep-alive connection sends `GET /`, reads
//! the whole response, and sends the next, as fast as the server answers,
//! timing each request.

use std::convert::Infallible;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Instant;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};

use crate::echo;

#[path = "../footprint/on_smol.rs"]
mod on_smol;
pub(crate) use on_smol::{SmolIo, SmolTimer};

/// The response body.
const HELLO: &[u8] = b"Hello, world!\n";

/// The service: the same answer to every request.
pub(crate) async fn hello(_: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(Response::new(Full::new(Bytes::from_static(HELLO))))
}

/// Runs `conns` keep-alive connections against `addr` for `seconds`,
/// closes them, and returns what they measured.
pub(crate) fn run_client(addr: SocketAddr, conns: usize, seconds: f64) -> echo::Measured {
    echo::exchanges(addr, conns, seconds, |stream, deadline, latencies| {
        let mut writer = stream.try_clone().unwrap();
        let mut reader = BufReader::new(stream);
        loop {
            let start = Instant::now();
            if start >= deadline {
                return;
            }
            writer
                .write_all(b"GET / HTTP/1.1\r\nHost: bench\r\n\r\n")
                .unwrap();
            read_response(&mut reader).unwrap();
            latencies.push(start.elapsed());
        }
    })
}

/// Whether `wrk` can be started.
pub(crate) fn wrk_available() -> bool {
    std::process::Command::new("wrk")
        .arg("--version")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok()
}

/// Runs `wrk -t1 -c<conns> -d<seconds>s --latency` against `addr`; returns
/// its requests per second and its 99th-percentile latency in µs. One
/// thread, so that `wrk` takes one of this machine's two cores and the
/// server the other. `wrk` closes its connections when it is done, which
/// ends the server.
pub(crate) fn run_wrk(addr: SocketAddr, conns: usize, seconds: u32) -> Result<(f64, f64), String> {
    let output = std::process::Command::new("wrk")
        .args([
            "-t1",
            &format!("-c{conns}"),
            &format!("-d{seconds}s"),
            "--latency",
        ])
        .arg(format!("http://{addr}/"))
        .output()
        .map_err(|e| format!("cannot run wrk: {e}"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() || text.contains("Socket errors") || text.contains("Non-2xx") {
        return Err(format!("wrk failed or saw errors:\n{text}"));
    }
    let field = |prefix: &str| {
        text.lines()
            .map(str::trim)
            .find_map(|line| line.strip_prefix(prefix))
            .map(str::trim)
            .ok_or_else(|| format!("no {prefix:?} in wrk's output:\n{text}"))
    };
    let per_second = field("Requests/sec:")?
        .parse()
        .map_err(|_| format!("wrk's requests/s in:\n{text}"))?;
    let p99 = field("99%")?;
    let p99_us = parse_wrk_time(p99).ok_or_else(|| format!("wrk's p99 {p99:?}"))?;
    Ok((per_second, p99_us))
}

/// A time as `wrk` prints it (`512.00us`, `1.25ms`, `2.00s`), in µs.
fn parse_wrk_time(text: &str) -> Option<f64> {
    let split = text.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = text.split_at(split);
    let scale = match unit {
        "us" => 1.0,
        "ms" => 1e3,
        "s" => 1e6,
        "m" => 60e6,
        _ => return None,
    };
    Some(number.parse::<f64>().ok()? * scale)
}

/// Reads one response: a 200 status, headers up to the blank line, and a
/// body of `Content-Length` bytes, which must be [`HELLO`].
fn read_response(reader: &mut BufReader<TcpStream>) -> io::Result<()> {
    let invalid = |what: String| io::Error::new(io::ErrorKind::InvalidData, what);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    if !line.starts_with("HTTP/1.1 200 ") {
        return Err(invalid(format!("status line {line:?}")));
    }
    let mut length = None;
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Err(invalid("the server closed mid-response".to_owned()));
        }
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse::<usize>().ok();
            }
        }
    }
    let length = length.ok_or_else(|| invalid("no Content-Length".to_owned()))?;
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    if body != HELLO {
        return Err(invalid(format!("body {body:?}")));
    }
    Ok(())
}
