//! The network examples, run as programs and driven by real clients
//! (`multi_loop_server` with the `signal` feature, which it needs), and
//! `subprocess` (with the `process` feature), run on a command whose
//! output comes in two bursts.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A running example, killed when dropped.
struct Running {
    child: Child,
    /// The address it printed after "listening on".
    addr: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The path of example `name`, built with `features`.
fn example_with_features(name: &str, features: &[&str]) -> PathBuf {
    support::example(name, features)
}

/// Starts the example on a free port and waits for its address.
fn start(name: &str) -> Running {
    start_with(name, &[], &[], Stdio::inherit())
}

/// Starts the example, built with `features` of this package, on a free
/// port, with more arguments and the given standard input, and waits for
/// its address.
fn start_with(name: &str, features: &[&str], args: &[&str], stdin: Stdio) -> Running {
    let mut child = Command::new(example_with_features(name, features))
        .arg("0")
        .args(args)
        .stdin(stdin)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .split("listening on ")
        .nth(1)
        .unwrap_or_else(|| panic!("{name} printed {line:?}"))
        .trim()
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    Running { child, addr }
}

#[test]
fn echo_echoes_until_the_client_half_closes_then_closes() {
    let server = start("echo");
    let clients: Vec<_> = (0..8u8)
        .map(|id| {
            let addr = server.addr.clone();
            std::thread::spawn(move || {
                let stream = TcpStream::connect(&addr).unwrap();
                let data: Vec<u8> = (0..200_000u32)
                    .map(|i| (i as u8).wrapping_mul(id + 1))
                    .collect();
                let writer = {
                    let mut stream = stream.try_clone().unwrap();
                    let data = data.clone();
                    std::thread::spawn(move || {
                        stream.write_all(&data).unwrap();
                        stream.shutdown(Shutdown::Write).unwrap();
                    })
                };
                let mut back = Vec::new();
                // Returns once the server has closed its side too.
                (&stream).read_to_end(&mut back).unwrap();
                writer.join().unwrap();
                assert!(back == data, "client {id}: the echo differs");
            })
        })
        .collect();
    for client in clients {
        client.join().unwrap();
    }
}

/// Reads one HTTP response (head and `Content-Length` body) from `reader`.
fn read_response(reader: &mut BufReader<&TcpStream>) -> (String, String) {
    let mut head = String::new();
    loop {
        let mut line = String::new();
        assert!(
            reader.read_line(&mut line).unwrap() > 0,
            "connection closed mid-response"
        );
        if line == "\r\n" {
            break;
        }
        head.push_str(&line);
    }
    let len: usize = head
        .lines()
        .find_map(|line| {
            // hyper writes header names in lower case.
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim())
        })
        .expect("no Content-Length")
        .parse()
        .unwrap();
    let mut body = vec![0; len];
    reader.read_exact(&mut body).unwrap();
    (head, String::from_utf8(body).unwrap())
}

/// Sends two GETs in one write (pipelined) and checks that both are
/// answered 200 with `body`; returns the two heads.
fn get_twice_pipelined(reader: &mut BufReader<&TcpStream>, body: &str) -> Vec<String> {
    let mut stream = *reader.get_ref();
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /two HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    (0..2)
        .map(|_| {
            let (head, got) = read_response(reader);
            assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
            assert_eq!(got, body);
            head
        })
        .collect()
}

/// Checks that the server closed the connection after its last response.
fn assert_closed(mut reader: BufReader<&TcpStream>) {
    let mut rest = Vec::new();
    reader.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty(), "more after the last response");
}

#[test]
fn http_hello_serves_keep_alive_and_pipelined_requests_on_one_connection() {
    let server = start("http_hello");
    let stream = TcpStream::connect(&server.addr).unwrap();
    let mut reader = BufReader::new(&stream);
    // Two requests in one write (pipelined), then one with a body.
    for head in get_twice_pipelined(&mut reader, "Hello from tether!\n") {
        assert!(head.contains("Connection: keep-alive"), "{head}");
    }
    (&stream)
        .write_all(b"POST /three HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello")
        .unwrap();
    let (head, body) = read_response(&mut reader);
    assert!(head.contains("Connection: close"), "{head}");
    assert_eq!(body, "Hello from tether!\n");
    assert_closed(reader);

    // A malformed request gets a 400 and the door.
    let bad = TcpStream::connect(&server.addr).unwrap();
    (&bad).write_all(b"NONSENSE\r\n\r\n").unwrap();
    let mut answer = String::new();
    (&bad).read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 400 Bad Request"), "{answer}");
}

/// Connects to `server`, with reads that give up after 10 s instead of
/// hanging the test.
fn connect(server: &Running) -> TcpStream {
    let stream = TcpStream::connect(&server.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
}

#[test]
fn http_hello_answers_400_to_a_bad_content_length_and_413_to_one_past_its_limit() {
    let server = start("http_hello");
    for (length, status) in [
        // u64::MAX: past MAX_BODY, like any length too large to skip
        // (it once overflowed the head's length added to it).
        (
            "Content-Length: 18446744073709551615",
            "413 Content Too Large",
        ),
        ("Content-Length: 1048577", "413 Content Too Large"),
        ("Content-Length: 18446744073709551616", "400 Bad Request"),
        ("Content-Length: +5", "400 Bad Request"),
        ("Content-Length: 5, 5", "400 Bad Request"),
        ("Content-Length: 5\r\nContent-Length: 6", "400 Bad Request"),
    ] {
        // The head alone: refused before any body is read.
        let bad = connect(&server);
        (&bad)
            .write_all(format!("POST / HTTP/1.1\r\nHost: x\r\n{length}\r\n\r\n").as_bytes())
            .unwrap();
        let mut answer = String::new();
        (&bad).read_to_string(&mut answer).unwrap();
        let expected = format!("HTTP/1.1 {status}\r\n");
        assert!(answer.starts_with(&expected), "{length}: {answer:?}");
    }
}

#[test]
fn http_hello_accepts_a_head_of_16_kib_and_answers_431_to_one_byte_more() {
    let server = start("http_hello");
    for (len, status) in [
        (16 * 1024, "200 OK"),
        (16 * 1024 + 1, "431 Request Header Fields Too Large"),
    ] {
        // One write, so that the read that crosses the limit also ends
        // the head.
        let start = "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Pad: ";
        let pad = "a".repeat(len - start.len() - "\r\n\r\n".len());
        let head = format!("{start}{pad}\r\n\r\n");
        assert_eq!(head.len(), len);
        let stream = connect(&server);
        (&stream).write_all(head.as_bytes()).unwrap();
        let mut answer = String::new();
        (&stream).read_to_string(&mut answer).unwrap();
        let expected = format!("HTTP/1.1 {status}\r\n");
        assert!(answer.starts_with(&expected), "{len} bytes: {answer:?}");
    }
}

#[test]
fn http_hello_skips_a_large_body_and_answers_the_request_pipelined_after_it() {
    let server = start("http_hello");
    let stream = connect(&server);
    let body_len = 1024 * 1024; // the longest accepted
    let writer = {
        let mut stream = stream.try_clone().unwrap();
        std::thread::spawn(move || {
            let head =
                format!("POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: {body_len}\r\n\r\n");
            stream.write_all(head.as_bytes()).unwrap();
            // The body, then a second request right behind it.
            let body: Vec<u8> = (0..body_len).map(|i| b'a' + (i % 26) as u8).collect();
            stream.write_all(&body).unwrap();
            stream
                .write_all(b"GET /after HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                .unwrap();
        })
    };
    let mut reader = BufReader::new(&stream);
    for _ in 0..2 {
        let (head, body) = read_response(&mut reader);
        assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
        assert_eq!(body, "Hello from tether!\n");
    }
    writer.join().unwrap();
    assert_closed(reader);
}

#[test]
fn http_hello_answers_curl_on_one_kept_alive_connection() {
    let server = start("http_hello");
    curl_gets_twice_on_one_connection(&server, "Hello from tether!\n");
}

#[test]
fn hyper_server_answers_pipelined_requests_and_echoes_a_body() {
    let server = start("hyper_server");
    let stream = TcpStream::connect(&server.addr).unwrap();
    let mut reader = BufReader::new(&stream);
    get_twice_pipelined(&mut reader, "Hello from hyper on tether!\n");
    (&stream)
        .write_all(b"DELETE / HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let (head, _) = read_response(&mut reader);
    assert!(head.starts_with("HTTP/1.1 405"), "{head}");
    (&stream)
        .write_all(
            b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nConnection: close\r\n\r\nping",
        )
        .unwrap();
    let (head, body) = read_response(&mut reader);
    assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
    assert_eq!(body, "ping");
    assert_closed(reader);
}

#[test]
fn hyper_server_echoes_a_body_up_to_its_limit_and_answers_413_past_it() {
    let server = start("hyper_server");
    let limit = 64 * 1024;
    let stream = connect(&server);
    let mut reader = BufReader::new(&stream);
    let body = "e".repeat(limit);
    (&stream)
        .write_all(
            format!("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: {limit}\r\n\r\n{body}")
                .as_bytes(),
        )
        .unwrap();
    let (head, echoed) = read_response(&mut reader);
    assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
    assert!(echoed == body, "the echo of {limit} bytes differs");

    // One byte more is refused from the head alone, before any of the body
    // is read.
    let too_long = limit + 1;
    (&stream)
        .write_all(
            format!("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: {too_long}\r\n\r\n")
                .as_bytes(),
        )
        .unwrap();
    let (head, _) = read_response(&mut reader);
    assert!(head.starts_with("HTTP/1.1 413"), "{head}");
}

#[test]
fn hyper_server_answers_curl() {
    let server = start("hyper_server");
    if !curl_gets_twice_on_one_connection(&server, "Hello from hyper on tether!\n") {
        return;
    }
    let url = format!("http://{}/echo", server.addr);
    let output = curl(&["-sS", "--max-time", "10", "--data-binary", "echo me", &url]).unwrap();
    assert!(output.status.success(), "{output:?}");
    assert_eq!(String::from_utf8_lossy(&output.stdout), "echo me");
}

/// Runs curl, if it is installed.
fn curl(args: &[&str]) -> Option<std::process::Output> {
    match Command::new("curl").args(args).output() {
        Ok(output) => Some(output),
        Err(_) => {
            eprintln!("curl is not installed: the std client tests cover the protocol");
            None
        }
    }
}

/// Has curl fetch two paths from `server` in one run, and checks that both
/// answers are `body` and that curl kept the connection for the second.
/// False if curl is not installed.
fn curl_gets_twice_on_one_connection(server: &Running, body: &str) -> bool {
    let url = format!("http://{}/", server.addr);
    let again = format!("{url}again");
    let Some(output) = curl(&["-sS", "-v", "--max-time", "10", &url, &again]) else {
        return false;
    };
    assert!(output.status.success(), "{output:?}");
    assert_eq!(String::from_utf8_lossy(&output.stdout), body.repeat(2));
    let trace = String::from_utf8_lossy(&output.stderr);
    assert!(
        trace.contains("Re-using existing connection"),
        "curl did not keep the connection:\n{trace}"
    );
    true
}

/// `subprocess` prints each line as the command prints it: the lines before
/// a pause come out before it, stamped with their time, stdout and stderr
/// both, and the exit code last.
#[cfg(feature = "process")]
#[test]
fn subprocess_streams_each_line_as_the_command_prints_it() {
    let output = Command::new(example_with_features("subprocess", &["process"]))
        .arg("echo one; echo two >&2; sleep 0.3; printf 'three'; exit 5")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    // `   0.002 s out | one`: the time, the pipe, the line.
    let lines: Vec<(f64, &str)> = stdout
        .lines()
        .filter_map(|line| {
            let (time, rest) = line.trim_start().split_once(" s ")?;
            Some((time.parse().ok()?, rest))
        })
        .collect();
    let at = |wanted: &str| {
        lines
            .iter()
            .find(|(_, line)| *line == wanted)
            .unwrap_or_else(|| panic!("no {wanted:?} in:\n{stdout}"))
            .0
    };
    let (one, two, three) = (at("out | one"), at("err | two"), at("out | three"));
    assert!(
        one < 0.25 && two < 0.25,
        "buffered until the end:\n{stdout}"
    );
    assert!(three >= 0.3, "printed before the command did:\n{stdout}");
    let last = stdout.lines().last().unwrap_or_default();
    assert!(last.starts_with("exited with code 5 after"), "{stdout}");
}

/// GETs `/` on a kept-alive connection and returns the body, which names
/// the loop that served it, with the connection still open.
fn loop_serving(addr: &str) -> (String, TcpStream) {
    let stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    (&stream)
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let (head, body) = read_response(&mut BufReader::new(&stream));
    assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
    let name = body
        .trim()
        .strip_prefix("Hello from hyper on tether, loop ")
        .and_then(|rest| rest.strip_suffix('!'))
        .unwrap_or_else(|| panic!("unexpected greeting {body:?}"))
        .to_owned();
    (name, stream)
}

#[test]
fn multi_loop_server_serves_on_every_loop_in_both_modes() {
    for mode in ["--least-loaded", "--reuse-port"] {
        let server = start_with(
            "multi_loop_server",
            &["signal"],
            &[mode, "--loops", "2"],
            Stdio::null(),
        );
        // Kept-alive connections, all open at once: each loop gets some.
        let served: Vec<(String, TcpStream)> =
            (0..24).map(|_| loop_serving(&server.addr)).collect();
        for name in ["tether-pool-0", "tether-pool-1"] {
            let count = served.iter().filter(|(n, _)| n == name).count();
            assert!(count > 0, "{mode}: {name} served none");
        }
        if mode == "--least-loaded" {
            // Long connections, spread by load: close to even (the
            // queued work of a loop busy at the instant can tip a choice).
            let on_0 = served.iter().filter(|(n, _)| n == "tether-pool-0").count();
            assert!((8..=16).contains(&on_0), "{mode}: {on_0} of 24 on loop 0");
        }
    }
}

#[test]
fn multi_loop_server_stops_gracefully_on_stop() {
    let mut server = start_with(
        "multi_loop_server",
        &["signal"],
        &["--loops", "2"],
        Stdio::piped(),
    );
    let (_, open) = loop_serving(&server.addr);
    // Let the open connection end: the client closes it after the stop.
    let mut stdin = server.child.stdin.take().unwrap();
    stdin.write_all(b"stats\nstop\n").unwrap();
    std::thread::sleep(Duration::from_millis(100));
    drop(open);
    let status = server.child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    let mut out = String::new();
    server
        .child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    assert!(out.contains("tether-pool-1 Running"), "{out}");
    assert!(out.contains("multi_loop_server: stop: stopping"), "{out}");
    assert!(
        out.contains("stopped; 0 connections cut short, 0 loops panicked"),
        "{out}"
    );
    // Nothing listens any more.
    assert!(TcpStream::connect(&server.addr).is_err());
}
