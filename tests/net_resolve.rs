//! Name resolution: a host name is looked up on the blocking pool while the
//! loop runs on; a literal address needs no pool at all.
//!
//! Each test but the last fills a one-thread blocking pool with a job that
//! waits for the test's word, so that a lookup queued behind it cannot finish until then:
//! what happens meanwhile shows where the lookup runs.
#![cfg(feature = "net")]

use std::io::ErrorKind;
use std::net::SocketAddr;
use std::sync::mpsc;
use std::time::Duration;

use tether::net::{TcpListener, TcpStream, UdpSocket};
use tether::time::{sleep, timeout};

/// A runtime whose blocking pool has one thread.
fn one_thread_pool() -> tether::Runtime {
    tether::Runtime::builder()
        .max_blocking_threads(1)
        .build()
        .unwrap()
}

/// Occupies the pool's one thread until the returned sender is dropped.
fn occupy_pool() -> mpsc::Sender<()> {
    let (release, released) = mpsc::channel::<()>();
    tether::spawn_blocking(move || {
        let _ = released.recv();
    })
    .detach();
    release
}

#[test]
fn connecting_by_name_looks_the_name_up_off_the_loop() {
    one_thread_pool().block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let release = occupy_pool();
        let connect = tether::spawn(TcpStream::connect(("localhost", port)));

        // The loop runs on while the lookup waits in the pool's queue:
        // timers fire, and the connect has not finished.
        sleep(Duration::from_millis(50)).await;
        assert!(!connect.is_finished(), "the name was looked up on the loop");

        drop(release);
        let stream = connect.await.unwrap().unwrap();
        assert_eq!(stream.peer_addr().unwrap().port(), port);
    });
}

#[test]
fn udp_bind_connect_and_send_to_by_name_wait_for_the_pool() {
    one_thread_pool().block_on(async {
        let receiver = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let target = ("localhost", receiver.local_addr().unwrap().port());
        let release = occupy_pool();
        let send = tether::spawn(async move {
            let socket = UdpSocket::bind("localhost:0").await?;
            socket.connect(target).await?;
            socket.send_to(b"by name", target).await
        });
        sleep(Duration::from_millis(50)).await;
        assert!(!send.is_finished(), "a name was looked up on the loop");

        drop(release);
        assert_eq!(send.await.unwrap().unwrap(), 7);
        let mut buf = [0; 16];
        let n = receiver.recv(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"by name");
    });
}

#[test]
fn literal_addresses_need_no_pool() {
    one_thread_pool().block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let _release = occupy_pool();
        // Every form of a literal address connects while the pool is busy.
        let limit = Duration::from_secs(5);
        let streams = [
            timeout(limit, TcpStream::connect(addr)).await,
            timeout(limit, TcpStream::connect(addr.to_string())).await,
            timeout(limit, TcpStream::connect(("127.0.0.1", addr.port()))).await,
            timeout(limit, TcpStream::connect((addr.ip(), addr.port()))).await,
        ];
        for stream in streams {
            let stream = stream.expect("a literal address waited for the pool");
            assert_eq!(stream.unwrap().peer_addr().unwrap(), addr);
        }
    });
}

#[test]
fn a_name_that_does_not_resolve_is_an_error_not_a_panic() {
    tether::run(async {
        // `.invalid` is reserved never to resolve (RFC 6761).
        let err = TcpStream::connect("no-such-host.invalid:80")
            .await
            .unwrap_err();
        assert_ne!(err.kind(), ErrorKind::InvalidInput, "{err}");
        let err = TcpStream::connect("localhost:http").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        let nowhere: &[SocketAddr] = &[];
        let err = TcpStream::connect(nowhere).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
    });
}
