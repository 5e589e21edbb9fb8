//! The network examples, run as programs and driven by real clients.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

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

/// The path of a compiled example of this package, built if `cargo test`
/// was asked for fewer targets than all.
fn example(name: &str) -> PathBuf {
    let dir = std::env::current_exe()
        .unwrap()
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("examples");
    let path = dir.join(name);
    if !path.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .args(["build", "--example", name])
            .status()
            .unwrap();
        assert!(status.success(), "could not build the example {name}");
    }
    path
}

/// Starts the example on a free port and waits for its address.
fn start(name: &str) -> Running {
    let mut child = Command::new(example(name))
        .arg("0")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
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
        .find_map(|line| line.strip_prefix("Content-Length: "))
        .expect("no Content-Length")
        .parse()
        .unwrap();
    let mut body = vec![0; len];
    reader.read_exact(&mut body).unwrap();
    (head, String::from_utf8(body).unwrap())
}

#[test]
fn http_hello_serves_keep_alive_and_pipelined_requests_on_one_connection() {
    let server = start("http_hello");
    let stream = TcpStream::connect(&server.addr).unwrap();
    let mut reader = BufReader::new(&stream);
    // Two requests in one write (pipelined), then one with a body.
    (&stream)
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /two HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    for _ in 0..2 {
        let (head, body) = read_response(&mut reader);
        assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
        assert!(head.contains("Connection: keep-alive"), "{head}");
        assert_eq!(body, "Hello from tether!\n");
    }
    (&stream)
        .write_all(b"POST /three HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello")
        .unwrap();
    let (head, body) = read_response(&mut reader);
    assert!(head.contains("Connection: close"), "{head}");
    assert_eq!(body, "Hello from tether!\n");
    // ...and the server closes the connection.
    let mut rest = Vec::new();
    reader.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty());

    // A malformed request gets a 400 and the door.
    let bad = TcpStream::connect(&server.addr).unwrap();
    (&bad).write_all(b"NONSENSE\r\n\r\n").unwrap();
    let mut answer = String::new();
    (&bad).read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 400 Bad Request"), "{answer}");
}

#[test]
fn http_hello_answers_curl_on_one_kept_alive_connection() {
    let Ok(status) = Command::new("curl")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
    else {
        eprintln!("curl is not installed: the std client test above covers the protocol");
        return;
    };
    assert!(status.success());
    let server = start("http_hello");
    let url = format!("http://{}/", server.addr);
    let output = Command::new("curl")
        .args([
            "-sS",
            "-v",
            "--max-time",
            "10",
            &url,
            &format!("{url}again"),
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let body = String::from_utf8_lossy(&output.stdout);
    assert_eq!(body, "Hello from tether!\nHello from tether!\n");
    let trace = String::from_utf8_lossy(&output.stderr);
    assert!(
        trace.contains("Re-using existing connection"),
        "curl did not keep the connection:\n{trace}"
    );
}
