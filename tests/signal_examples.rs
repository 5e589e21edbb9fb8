//! `examples/graceful_shutdown.rs` and `examples/multi_loop_server.rs`,
//! run as programs and stopped by a real signal. `graceful_shutdown`
//! stops accepting, finishes the request in flight, closes the idle
//! connection, and exits with status 0; `multi_loop_server` stops
//! accepting on every loop, goes on serving the connection left open
//! until its client closes it, and exits with status 0. In both, a second
//! signal during the drain kills the program, as it would one without a
//! handler, and so does a first one in a drain `multi_loop_server` began
//! on standard input. The signals go to the examples' processes, never to this
//! test binary.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::PathBuf;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

/// The example, killed when dropped if it is still running.
struct Server {
    child: Child,
    stdout: BufReader<ChildStdout>,
    addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Starts the example `name` on a free port, with more arguments and
    /// standard input closed, and waits for its address.
    fn start(name: &str, args: &[&str]) -> Server {
        Server::start_with(name, args, Stdio::null())
    }

    /// As `start`, with `stdin` as the example's standard input.
    fn start_with(name: &str, args: &[&str], stdin: Stdio) -> Server {
        let mut command = Command::new(example(name));
        command
            .arg("0")
            .args(args)
            .stdin(stdin)
            .stdout(Stdio::piped());
        // The signals the tests send start at their defaults in the
        // example, whatever this process inherited: a shell runs a
        // background job with SIGINT ignored, and the example puts back
        // what it found, so a second Ctrl-C would be ignored there too.
        // SAFETY: `signal(2)` is async-signal-safe, which is all a
        // `pre_exec` hook may call.
        unsafe {
            command.pre_exec(|| {
                for signal in [libc::SIGINT, libc::SIGTERM] {
                    if libc::signal(signal, libc::SIG_DFL) == libc::SIG_ERR {
                        return Err(std::io::Error::last_os_error());
                    }
                }
                Ok(())
            });
        }
        let mut child = command.spawn().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let addr = line
            .split("listening on ")
            .nth(1)
            .unwrap_or_else(|| panic!("the example printed {line:?}"))
            .trim()
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_owned();
        Server {
            child,
            stdout,
            addr,
        }
    }

    /// Sends `signal` to the example.
    fn signal(&self, signal: libc::c_int) {
        // SAFETY: a plain system call on the child's pid.
        let sent = unsafe { libc::kill(self.child.id() as libc::pid_t, signal) };
        assert_eq!(sent, 0, "kill: {}", std::io::Error::last_os_error());
    }

    /// The next line the example prints.
    fn line(&mut self) -> String {
        let mut line = String::new();
        self.stdout.read_line(&mut line).unwrap();
        line
    }

    /// Waits for the example to exit, for at most ten seconds.
    fn wait(&mut self) -> std::process::ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "the example did not exit");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn connect(&self) -> TcpStream {
        let stream = TcpStream::connect(&self.addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        stream
    }
}

/// The path of example `name`, built with the `signal` feature.
fn example(name: &str) -> PathBuf {
    support::example(name, &["signal"])
}

/// Reads one line from `stream`.
fn read_line(reader: &mut BufReader<&TcpStream>) -> String {
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    line
}

/// Stops the example with `signal` while one request is in flight and
/// another connection is idle, and checks every step of the shutdown.
fn shuts_down_gracefully_on(signal: libc::c_int, name: &str) {
    let mut server = Server::start("graceful_shutdown", &[]);
    let busy = server.connect();
    let idle = server.connect();
    let mut busy_reader = BufReader::new(&busy);
    (&busy).write_all(b"5\n").unwrap();
    assert_eq!(read_line(&mut busy_reader), "started: 5\n");
    assert_eq!(read_line(&mut busy_reader), "done: 5\n");
    // A request of 400 ms; once it has started, the signal.
    (&busy).write_all(b"400\n").unwrap();
    assert_eq!(read_line(&mut busy_reader), "started: 400\n");
    let sent = Instant::now();
    server.signal(signal);
    assert_eq!(
        server.line(),
        format!("graceful_shutdown: {name}: stopped accepting\n")
    );
    // The listener is closed: a new connection is refused.
    let refused = TcpStream::connect(&server.addr).unwrap_err();
    assert_eq!(refused.kind(), std::io::ErrorKind::ConnectionRefused);
    // The idle connection is closed without an answer.
    let mut rest = Vec::new();
    (&idle).read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty(), "the idle connection got {rest:?}");
    // The request in flight is answered, then its connection closed.
    assert_eq!(read_line(&mut busy_reader), "done: 400\n");
    assert!(
        sent.elapsed() < Duration::from_millis(400) + Duration::from_secs(5),
        "the request took too long"
    );
    let mut rest = Vec::new();
    busy_reader.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty(), "more after the last answer: {rest:?}");
    assert_eq!(
        server.line(),
        "graceful_shutdown: done, 2 requests served\n"
    );
    let status = server.wait();
    assert!(
        status.success(),
        "{name}: the example exited with {status:?}"
    );
}

#[test]
fn graceful_shutdown_finishes_the_request_in_flight_on_sigterm_and_exits_0() {
    shuts_down_gracefully_on(libc::SIGTERM, "SIGTERM");
}

#[test]
fn graceful_shutdown_finishes_the_request_in_flight_on_ctrl_c_and_exits_0() {
    shuts_down_gracefully_on(libc::SIGINT, "SIGINT");
}

#[test]
fn a_second_ctrl_c_during_the_drain_kills_graceful_shutdown() {
    let mut server = Server::start("graceful_shutdown", &[]);
    let busy = server.connect();
    let mut busy_reader = BufReader::new(&busy);
    (&busy).write_all(b"10000\n").unwrap();
    assert_eq!(read_line(&mut busy_reader), "started: 10000\n");
    server.signal(libc::SIGINT);
    assert_eq!(
        server.line(),
        "graceful_shutdown: SIGINT: stopped accepting\n"
    );
    // The handlers went before the line was printed.
    server.signal(libc::SIGINT);
    let status = server.wait();
    assert_eq!(status.signal(), Some(libc::SIGINT), "{status:?}");
}

/// Sends `GET /` on the keep-alive connection `stream` and reads the
/// answer; returns the name of the loop that served it.
fn served_by(stream: &TcpStream) -> String {
    let mut stream = stream;
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut reader = BufReader::new(stream);
    let status = read_line(&mut reader);
    assert!(status.starts_with("HTTP/1.1 200 OK"), "{status:?}");
    let mut length = None;
    loop {
        let header = read_line(&mut reader);
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse::<usize>().ok();
            }
        }
    }
    let mut body = vec![0; length.expect("a Content-Length")];
    reader.read_exact(&mut body).unwrap();
    let body = String::from_utf8(body).unwrap();
    body.trim()
        .strip_prefix("Hello from hyper on tether, loop ")
        .and_then(|rest| rest.strip_suffix('!'))
        .unwrap_or_else(|| panic!("unexpected greeting {body:?}"))
        .to_owned()
}

/// Stops `multi_loop_server` with `signal` while a keep-alive connection
/// is open: it stops accepting on every loop, still answers on the open
/// connection, and once that closes, stops its loops and exits with 0,
/// well before its ten seconds of grace are over.
fn multi_loop_server_drains_on(signal: libc::c_int, name: &str) {
    let mut server = Server::start("multi_loop_server", &["--loops", "2"]);
    let open = server.connect();
    assert!(served_by(&open).starts_with("tether-pool-"));
    let sent = Instant::now();
    server.signal(signal);
    assert_eq!(
        server.line(),
        format!("multi_loop_server: {name}: stopping; open connections get up to 10s to end\n")
    );
    // Every listener closes: new connections are refused.
    let deadline = Instant::now() + Duration::from_secs(5);
    while TcpStream::connect(&server.addr).is_ok() {
        assert!(Instant::now() < deadline, "still accepting after {name}");
        std::thread::sleep(Duration::from_millis(5));
    }
    // The connection open at the stop is still served.
    assert!(served_by(&open).starts_with("tether-pool-"));
    drop(open);
    assert_eq!(
        server.line(),
        "multi_loop_server: stopped; 0 connections cut short, 0 loops panicked\n"
    );
    let status = server.wait();
    assert!(
        status.success(),
        "{name}: the example exited with {status:?}"
    );
    assert!(
        sent.elapsed() < Duration::from_secs(5),
        "the stop waited for the grace period rather than for the connection"
    );
}

#[test]
fn multi_loop_server_stops_accepting_drains_and_exits_0_on_sigterm() {
    multi_loop_server_drains_on(libc::SIGTERM, "SIGTERM");
}

#[test]
fn multi_loop_server_stops_accepting_drains_and_exits_0_on_ctrl_c() {
    multi_loop_server_drains_on(libc::SIGINT, "SIGINT");
}

#[test]
fn a_ctrl_c_during_a_drain_begun_on_standard_input_kills_multi_loop_server() {
    let mut server = Server::start_with("multi_loop_server", &["--loops", "2"], Stdio::piped());
    let open = server.connect();
    assert!(served_by(&open).starts_with("tether-pool-"));
    let mut stdin = server.child.stdin.take().unwrap();
    stdin.write_all(b"stop\n").unwrap();
    assert_eq!(
        server.line(),
        "multi_loop_server: stop: stopping; open connections get up to 10s to end\n"
    );
    // The handlers went before the line was printed; the open connection
    // keeps the drain going.
    server.signal(libc::SIGINT);
    let status = server.wait();
    assert_eq!(status.signal(), Some(libc::SIGINT), "{status:?}");
    drop(stdin);
}

#[test]
fn a_second_sigterm_during_the_drain_kills_multi_loop_server() {
    let mut server = Server::start("multi_loop_server", &["--loops", "2"]);
    let open = server.connect();
    assert!(served_by(&open).starts_with("tether-pool-"));
    server.signal(libc::SIGTERM);
    assert_eq!(
        server.line(),
        "multi_loop_server: SIGTERM: stopping; open connections get up to 10s to end\n"
    );
    // The handlers went before the line was printed; the open connection
    // keeps the drain going.
    server.signal(libc::SIGTERM);
    let status = server.wait();
    assert_eq!(status.signal(), Some(libc::SIGTERM), "{status:?}");
}
