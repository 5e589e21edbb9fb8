//! Unix stream and datagram sockets.
#![cfg(feature = "net")]

use std::net::Shutdown;
use std::path::PathBuf;

use futures_lite::{AsyncReadExt, AsyncWriteExt};
use tether::net::{UnixDatagram, UnixListener, UnixStream};

/// A fresh directory for socket files, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("tether-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn a_stream_pair_carries_data_both_ways_and_half_closes() {
    tether::run(async {
        let (a, b) = UnixStream::pair().unwrap();
        a.write_all(b"ping").await.unwrap();
        let mut buf = [0; 4];
        (&b).read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"ping");
        b.write_all(b"pong").await.unwrap();
        b.shutdown(Shutdown::Write).unwrap();
        let mut rest = Vec::new();
        (&a).read_to_end(&mut rest).await.unwrap();
        assert_eq!(rest, b"pong");
    });
}

#[test]
fn shutting_down_a_stream_whose_peer_closed_succeeds() {
    // Linux shuts a Unix stream down whatever its peer did; where the OS
    // says `NotConnected` once the peer has closed (macOS and the BSDs
    // may), tether takes it as done, as for a reset TCP connection
    // (net_tcp.rs).
    tether::run(async {
        for how in [Shutdown::Write, Shutdown::Read, Shutdown::Both] {
            let (a, b) = UnixStream::pair().unwrap();
            drop(b);
            assert_eq!(a.read(&mut [0; 1]).await.unwrap(), 0);
            let result = a.shutdown(how);
            assert!(result.is_ok(), "shutdown({how:?}): {result:?}");
        }
        let (mut a, b) = UnixStream::pair().unwrap();
        drop(b);
        a.close().await.unwrap();
    });
}

#[test]
fn a_listener_accepts_connections_by_path() {
    let dir = TempDir::new("listener");
    let path = dir.0.join("socket");
    tether::run(async move {
        let listener = UnixListener::bind(&path).unwrap();
        let clients: Vec<_> = (0..10u8)
            .map(|i| {
                let path = path.clone();
                tether::spawn(async move {
                    let stream = UnixStream::connect(&path).await.unwrap();
                    stream.write_all(&[i]).await.unwrap();
                    let mut echo = [0; 1];
                    let mut n = 0;
                    while n == 0 {
                        n = stream.peek(&mut echo).await.unwrap();
                    }
                    assert_eq!(echo, [i]);
                })
            })
            .collect();
        for _ in 0..10 {
            let (stream, _) = listener.accept().await.unwrap();
            let mut byte = [0; 1];
            (&stream).read_exact(&mut byte).await.unwrap();
            stream.write_all(&byte).await.unwrap();
            // Keep the connection open until the client has seen the echo.
            tether::spawn(async move {
                let mut rest = Vec::new();
                let _ = (&stream).read_to_end(&mut rest).await;
            });
        }
        for client in clients {
            client.await.unwrap();
        }
    });
}

#[test]
fn connecting_to_a_path_nobody_listens_on_fails_clearly() {
    let dir = TempDir::new("nobody");
    let err = tether::run(UnixStream::connect(dir.0.join("missing"))).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::NotFound, "{err}");
}

#[test]
fn datagrams_go_by_pair_and_by_path() {
    let dir = TempDir::new("datagram");
    tether::run(async move {
        let (a, b) = UnixDatagram::pair().unwrap();
        a.send(b"paired").await.unwrap();
        let mut buf = [0; 16];
        let n = b.recv(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"paired");

        let server_path = dir.0.join("server");
        let client_path = dir.0.join("client");
        let server = UnixDatagram::bind(&server_path).unwrap();
        let client = UnixDatagram::bind(&client_path).unwrap();
        client.send_to(b"hello", &server_path).await.unwrap();
        let (n, from) = server.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"hello");
        assert_eq!(from.as_pathname(), Some(client_path.as_path()));
        server
            .send_to(b"back", from.as_pathname().unwrap())
            .await
            .unwrap();
        let n = client.recv(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"back");
    });
}
