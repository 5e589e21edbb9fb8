//! TCP over loopback: echo at scale, the operations users expect, faults.
#![cfg(feature = "net")]

mod support;

use std::io::{IoSlice, Write};
use std::net::Shutdown;
use std::rc::Rc;
use std::time::Duration;

use futures_lite::{AsyncReadExt, AsyncWriteExt};
use tether::net::{TcpListener, TcpStream};
use tether::time::timeout;

/// The byte at `offset` of client `id`'s stream: a pattern that differs per
/// client and per position, so a byte from the wrong place is caught.
fn pattern(id: usize, offset: usize) -> u8 {
    (offset.wrapping_mul(31).wrapping_add(id.wrapping_mul(7)) % 251) as u8
}

/// Echoes until the peer half-closes, then half-closes back.
async fn echo(stream: TcpStream) -> std::io::Result<()> {
    let mut buf = vec![0; 64 * 1024];
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return stream.shutdown(Shutdown::Write);
        }
        stream.write_all(&buf[..n]).await?;
    }
}

/// Sends `len` pattern bytes while reading the echo back, and checks every
/// byte. Reading and writing run as two tasks on one stream.
async fn echo_client(addr: std::net::SocketAddr, id: usize, len: usize) {
    let stream = Rc::new(TcpStream::connect(addr).await.unwrap());
    let writer = {
        let stream = stream.clone();
        tether::spawn(async move {
            let mut chunk = vec![0; 16 * 1024];
            let mut sent = 0;
            while sent < len {
                let n = chunk.len().min(len - sent);
                for (i, byte) in chunk[..n].iter_mut().enumerate() {
                    *byte = pattern(id, sent + i);
                }
                stream.write_all(&chunk[..n]).await.unwrap();
                sent += n;
            }
            stream.shutdown(Shutdown::Write).unwrap();
        })
    };
    let mut buf = vec![0; 64 * 1024];
    let mut received = 0;
    loop {
        let n = stream.read(&mut buf).await.unwrap();
        if n == 0 {
            break;
        }
        for (i, &byte) in buf[..n].iter().enumerate() {
            assert_eq!(
                byte,
                pattern(id, received + i),
                "client {id}, byte {}",
                received + i
            );
        }
        received += n;
    }
    assert_eq!(
        received, len,
        "client {id} got {received} of {len} bytes back"
    );
    writer.await.unwrap();
}

#[test]
fn two_hundred_clients_each_echo_a_mebibyte_intact() {
    const CLIENTS: usize = 200;
    const LEN: usize = 1 << 20;
    tether::run(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tether::spawn(async move {
            for _ in 0..CLIENTS {
                let (stream, _) = listener.accept().await.unwrap();
                tether::spawn(async move { echo(stream).await.unwrap() });
            }
        });
        let clients: Vec<_> = (0..CLIENTS)
            .map(|id| tether::spawn(echo_client(addr, id, LEN)))
            .collect();
        for client in clients {
            support::within_10s(client).await.unwrap();
        }
        server.await.unwrap();
    });
}

#[test]
fn connecting_to_a_closed_port_is_refused() {
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let err = tether::run(TcpStream::connect(("127.0.0.1", port))).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused, "{err}");
}

#[test]
fn connect_resolves_a_hostname() {
    tether::run(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let client = tether::spawn(async move { TcpStream::connect(("localhost", port)).await });
        let (_, peer) = listener.accept().await.unwrap();
        let client = client.await.unwrap().unwrap();
        assert_eq!(client.local_addr().unwrap(), peer);
    });
}

/// Two connected streams over loopback.
async fn connected_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let client = tether::spawn(async move { TcpStream::connect(addr).await });
    let (server, _) = listener.accept().await.unwrap();
    (client.await.unwrap().unwrap(), server)
}

#[test]
fn a_peer_reset_mid_read_is_an_error() {
    tether::run(async {
        let (client, server) = connected_pair().await;
        client.write_all(b"unread bytes").await.unwrap();
        // Closing a socket with unread data sends a reset, not a FIN.
        tether::time::sleep(Duration::from_millis(5)).await;
        drop(server);
        let mut buf = [0; 16];
        let err = client.read(&mut buf).await.unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::ConnectionReset, "{err}");
    });
}

/// A client whose peer has reset the connection: `SO_LINGER` 0 makes the
/// server's close send a reset instead of a FIN. Returns once the client
/// has seen the reset, after which the OS calls the socket not connected.
async fn reset_by_peer() -> TcpStream {
    let (client, server) = connected_pair().await;
    // rustix's `net` feature comes with tether-reactor's own use of it.
    rustix::net::sockopt::set_socket_linger(&server, Some(Duration::ZERO)).unwrap();
    drop(server);
    let err = client.read(&mut [0; 1]).await.unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionReset, "{err}");
    client
}

#[test]
fn shutting_down_a_connection_the_peer_reset_succeeds() {
    tether::run(async {
        for how in [Shutdown::Write, Shutdown::Read, Shutdown::Both] {
            let client = reset_by_peer().await;
            let result = client.shutdown(how);
            assert!(result.is_ok(), "shutdown({how:?}): {result:?}");
        }
        // What hyper's glue and `AsyncWriteExt::close` call: `poll_close`,
        // on `&TcpStream` and on `TcpStream`.
        let client = reset_by_peer().await;
        (&client).close().await.unwrap();
        let mut client = reset_by_peer().await;
        client.close().await.unwrap();
    });
}

#[test]
fn one_task_reads_while_another_writes_the_same_socket() {
    tether::run(async {
        let (client, server) = connected_pair().await;
        let client = Rc::new(client);
        // The client writes 4 MiB while reading 4 MiB: neither side can
        // finish unless both directions run at once.
        const LEN: usize = 4 << 20;
        let writer = {
            let client = client.clone();
            tether::spawn(async move {
                client.write_all(&vec![1; LEN]).await.unwrap();
            })
        };
        let server_side = tether::spawn(async move {
            let mut buf = vec![0; 64 * 1024];
            let mut got = 0;
            server.write_all(&vec![2; LEN]).await.unwrap();
            while got < LEN {
                got += server.read(&mut buf).await.unwrap();
            }
        });
        let mut buf = vec![0; 64 * 1024];
        let mut got = 0;
        while got < LEN {
            let n = client.read(&mut buf).await.unwrap();
            assert!(buf[..n].iter().all(|&b| b == 2));
            got += n;
        }
        writer.await.unwrap();
        server_side.await.unwrap();
    });
}

#[test]
fn a_half_close_gives_end_of_file_while_the_other_direction_works() {
    tether::run(async {
        let (client, server) = connected_pair().await;
        client.write_all(b"request").await.unwrap();
        client.shutdown(Shutdown::Write).unwrap();
        let mut request = Vec::new();
        (&server).read_to_end(&mut request).await.unwrap();
        assert_eq!(request, b"request");
        // The server can still answer on its side.
        server.write_all(b"response").await.unwrap();
        drop(server);
        let mut response = Vec::new();
        (&client).read_to_end(&mut response).await.unwrap();
        assert_eq!(response, b"response");
    });
}

#[test]
fn vectored_writes_send_every_slice() {
    tether::run(async {
        let (mut client, server) = connected_pair().await;
        let slices = [
            IoSlice::new(b"hello, "),
            IoSlice::new(b"vectored "),
            IoSlice::new(b"world"),
        ];
        // 21 bytes fit in an empty send buffer: one call takes them all.
        let written = client.write_vectored(&slices).await.unwrap();
        assert_eq!(written, 21);
        client.close().await.unwrap();
        let mut got = Vec::new();
        (&server).read_to_end(&mut got).await.unwrap();
        assert_eq!(got, b"hello, vectored world");
    });
}

#[test]
fn a_vectored_write_of_more_slices_than_one_call_takes_writes_a_part() {
    tether::run(async {
        let (mut client, server) = connected_pair().await;
        // More slices than a system call takes (1024 on Linux): the write
        // takes what one call can, as std's `write_vectored` does.
        let slices = vec![IoSlice::new(b"x"); 1025];
        let written = client.write_vectored(&slices).await.unwrap();
        assert_eq!(written, 1024);
        client.close().await.unwrap();
        let mut got = Vec::new();
        (&server).read_to_end(&mut got).await.unwrap();
        assert_eq!(got.len(), 1024);
    });
}

#[test]
fn peek_leaves_the_bytes_in_place() {
    tether::run(async {
        let (client, server) = connected_pair().await;
        client.write_all(b"abc").await.unwrap();
        let mut buf = [0; 3];
        let mut peeked = 0;
        while peeked < 3 {
            peeked = server.peek(&mut buf).await.unwrap();
        }
        assert_eq!(&buf, b"abc");
        let mut again = [0; 3];
        (&server).read_exact(&mut again).await.unwrap();
        assert_eq!(&again, b"abc");
    });
}

#[test]
fn options_addresses_and_std_conversions() {
    tether::run(async {
        let (client, server) = connected_pair().await;
        client.set_nodelay(true).unwrap();
        assert!(client.nodelay().unwrap());
        assert_eq!(client.peer_addr().unwrap(), server.local_addr().unwrap());
        // Into std and back, the connection survives.
        let std_client: std::net::TcpStream = client.into();
        (&std_client).write_all(b"x").unwrap();
        let client = TcpStream::try_from(std_client).unwrap();
        let mut byte = [0; 1];
        (&server).read_exact(&mut byte).await.unwrap();
        assert_eq!(&byte, b"x");
        drop(client);
    });
}

#[test]
fn a_read_from_a_silent_peer_ends_with_the_timeout() {
    tether::run(async {
        let (client, _server) = connected_pair().await;
        let mut buf = [0; 8];
        let outcome = timeout(Duration::from_millis(20), client.read(&mut buf)).await;
        assert!(
            outcome.is_err(),
            "a read from a silent peer returned {outcome:?}"
        );
    });
}

#[test]
fn a_write_to_a_peer_that_stopped_reading_ends_with_the_timeout() {
    tether::run(async {
        let (client, _server) = connected_pair().await;
        let chunk = vec![0; 64 * 1024];
        // The buffers fill up, then the write waits for a reader that never
        // comes; only an error could end the loop.
        let outcome = timeout(Duration::from_millis(50), async {
            loop {
                if let Err(err) = client.write_all(&chunk).await {
                    return err;
                }
            }
        })
        .await;
        assert!(outcome.is_err(), "the write loop ended with {outcome:?}");
    });
}

#[test]
fn a_connect_to_an_unreachable_address_ends_with_the_timeout() {
    tether::run(async {
        // TEST-NET-1 (RFC 5737): nothing answers there. Depending on the
        // network, the connect fails at once or hangs; it must not outlive
        // the timeout.
        let start = std::time::Instant::now();
        let outcome = timeout(Duration::from_millis(50), TcpStream::connect("192.0.2.1:9")).await;
        assert!(
            !matches!(outcome, Ok(Ok(_))),
            "connected to TEST-NET-1: {outcome:?}"
        );
        // The kernel's own retries would take minutes.
        let took = start.elapsed();
        assert!(took < Duration::from_secs(2), "{outcome:?} after {took:?}");
    });
}
