//! A minimal HTTP/1.1 server that says hello: keep-alive and pipelined
//! requests on one connection, request bodies read and dropped as they
//! arrive (never held whole), `HEAD` answered without a body, malformed
//! requests answered with 400 (a `Content-Length` too large for a `u64`
//! among them), a body longer than `MAX_BODY` with 413.
//!
//! What a connection buffers is bounded: the request head, up to
//! `MAX_HEAD` bytes (past it, 431), plus one read.
//!
//! ```text
//! cargo run --release --example http_hello -- 8080   # port 0: any free port
//! curl -v http://127.0.0.1:8080/ http://127.0.0.1:8080/again
//! ```

use std::io;
use std::net::Shutdown;
use std::time::Duration;

use tether::net::{TcpListener, TcpStream};

/// What every request gets back.
const HELLO: &str = "Hello from tether!\n";
/// The largest request head accepted (request line and headers).
const MAX_HEAD: usize = 16 * 1024;
/// The longest request body accepted. Bodies are dropped as they are
/// read, so this bounds time spent reading, not memory.
const MAX_BODY: usize = 1024 * 1024;
/// The most bytes one read takes from the socket.
const READ_CHUNK: usize = 4096;
/// After an error answer, how long what the client still sends is read
/// and dropped before the socket closes (see `respond_and_close`).
const LINGER: Duration = Duration::from_secs(1);
/// And how many bytes of it, at most.
const LINGER_BYTES: usize = 256 * 1024;

fn main() -> io::Result<()> {
    let port = port_from_args()?;
    tether::run(async {
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        println!(
            "http_hello: listening on http://{}/",
            listener.local_addr()?
        );
        loop {
            match listener.accept().await {
                Ok((stream, peer)) => {
                    tether::spawn(async move {
                        if let Err(err) = serve(stream).await {
                            eprintln!("http_hello: {peer}: {err}");
                        }
                    });
                }
                Err(err) => eprintln!("http_hello: accept: {err}"),
            }
        }
    })
}

/// One request's head, as far as this server cares.
struct Request {
    /// `HEAD` gets the headers only.
    head_only: bool,
    /// Whether the connection stays open after the response.
    keep_alive: bool,
    /// Bytes of body that follow the head: a `u64`, as a client may
    /// announce more than a `usize` holds.
    body_len: u64,
}

/// Serves the requests of one connection, one after the other.
async fn serve(stream: TcpStream) -> io::Result<()> {
    stream.set_nodelay(true)?;
    // What was read and not handled yet: a request head, or the start of
    // one. It grows only while a head is incomplete and under MAX_HEAD,
    // so it never holds more than MAX_HEAD + READ_CHUNK bytes.
    let mut buf = Vec::with_capacity(READ_CHUNK);
    loop {
        // Read until the head is complete.
        let head_len = loop {
            if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                // The read that crossed MAX_HEAD may also have ended it.
                if end + 4 > MAX_HEAD {
                    return respond_and_close(&stream, "431 Request Header Fields Too Large").await;
                }
                break end + 4;
            }
            if buf.len() > MAX_HEAD {
                return respond_and_close(&stream, "431 Request Header Fields Too Large").await;
            }
            if !read_more(&stream, &mut buf).await? {
                return Ok(()); // the client is done
            }
        };
        let Some(request) = parse(&buf[..head_len]) else {
            return respond_and_close(&stream, "400 Bad Request").await;
        };
        // A body too long to be worth skipping is refused from the head.
        if request.body_len > MAX_BODY as u64 {
            return respond_and_close(&stream, "413 Content Too Large").await;
        }
        let body_len = request.body_len as usize; // at most MAX_BODY
        // Skip the body, if any: drop the part already read, then read the
        // rest and drop it as it comes. What follows it (a pipelined
        // request) stays in `buf`.
        buf.drain(..head_len);
        let read_already = body_len.min(buf.len());
        buf.drain(..read_already);
        if !skip(&stream, body_len - read_already).await? {
            return Ok(()); // the client is done
        }

        let connection = if request.keep_alive {
            "keep-alive"
        } else {
            "close"
        };
        let mut response = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: {connection}\r\n\r\n",
            HELLO.len()
        );
        if !request.head_only {
            response.push_str(HELLO);
        }
        stream.write_all(response.as_bytes()).await?;
        if !request.keep_alive {
            return stream.shutdown(Shutdown::Write);
        }
    }
}

/// Appends what the socket has, up to one chunk, to `buf`; false at end
/// of file.
async fn read_more(stream: &TcpStream, buf: &mut Vec<u8>) -> io::Result<bool> {
    let mut chunk = [0; READ_CHUNK];
    let n = stream.read(&mut chunk).await?;
    buf.extend_from_slice(&chunk[..n]);
    Ok(n > 0)
}

/// Reads `len` bytes and drops them, one chunk at a time, and not a byte
/// more: the next request may follow. False if the client closed first.
async fn skip(stream: &TcpStream, mut len: usize) -> io::Result<bool> {
    let mut chunk = [0; READ_CHUNK];
    while len > 0 {
        let n = stream.read(&mut chunk[..len.min(READ_CHUNK)]).await?;
        if n == 0 {
            return Ok(false);
        }
        len -= n;
    }
    Ok(true)
}

/// Parses a request head; `None` if it is not an HTTP/1.x head this server
/// handles (a bad request line, a header without `:`, a Content-Length
/// that is not digits alone, too large for a `u64`, or given twice with
/// different values, or any Transfer-Encoding).
fn parse(head: &[u8]) -> Option<Request> {
    let head = std::str::from_utf8(head).ok()?;
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?;
    let _target = request_line.next()?;
    let version = request_line.next()?;
    let http_1_1 = match version {
        "HTTP/1.1" => true,
        "HTTP/1.0" => false,
        _ => return None,
    };
    // HTTP/1.1 keeps the connection by default, HTTP/1.0 closes it.
    let mut keep_alive = http_1_1;
    let mut body_len = None;
    for line in lines.filter(|line| !line.is_empty()) {
        let (name, value) = line.split_once(':')?;
        let value = value.trim();
        if name.eq_ignore_ascii_case("connection") {
            if value.eq_ignore_ascii_case("close") {
                keep_alive = false;
            } else if value.eq_ignore_ascii_case("keep-alive") {
                keep_alive = true;
            }
        } else if name.eq_ignore_ascii_case("content-length") {
            let len = parse_content_length(value)?;
            if body_len.is_some_and(|earlier| earlier != len) {
                return None; // which one frames the body? (RFC 9112, 6.3)
            }
            body_len = Some(len);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            // Chunked bodies are beyond this example.
            return None;
        }
    }
    Some(Request {
        head_only: method == "HEAD",
        keep_alive,
        body_len: body_len.unwrap_or(0),
    })
}

/// A Content-Length's value: decimal digits and nothing else (`str::parse`
/// would also take a leading `+`), in a `u64`; `None` otherwise, a number
/// too large included.
fn parse_content_length(value: &str) -> Option<u64> {
    if value.is_empty() || !value.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    value.parse().ok()
}

/// Answers with an error status and closes.
async fn respond_and_close(stream: &TcpStream, status: &str) -> io::Result<()> {
    let response = format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    stream.write_all(response.as_bytes()).await?;
    stream.shutdown(Shutdown::Write)?;
    // A socket closed with bytes still unread sends a reset, which can
    // overtake the answer and make the client drop it (RFC 9112, 9.6, asks
    // for this staged close): what the client still sends, a body refused
    // say, is read and dropped until it closes, for a while and a size.
    let _ = tether::time::timeout(LINGER, async {
        let mut sink = [0; READ_CHUNK];
        let mut left = LINGER_BYTES;
        while left > 0 {
            match stream.read(&mut sink).await {
                Ok(0) | Err(_) => break,
                Ok(n) => left = left.saturating_sub(n),
            }
        }
    })
    .await;
    Ok(())
}

/// The port to listen on: the first argument, 8080 if there is none.
fn port_from_args() -> io::Result<u16> {
    match std::env::args().nth(1) {
        None => Ok(8080),
        Some(arg) => arg.parse().map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("not a port number: {arg}"),
            )
        }),
    }
}
