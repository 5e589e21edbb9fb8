//! `TcpSocket`: options set before `listen` or `connect`, a port shared
//! with `SO_REUSEPORT`, the backlog, and what a closed listener of a
//! reuse-port group does to the connections waiting on it.
#![cfg(feature = "net")]

use std::io::{ErrorKind, Read};
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use tether::net::{TcpListener, TcpSocket, TcpStream};
use tether::time::timeout;

/// A listener on `addr` (port 0: any free one), with `SO_REUSEPORT` set.
fn reuseport_listener(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = TcpSocket::new_v4()?;
    socket.set_reuseport(true)?;
    socket.bind(addr)?;
    socket.listen(1024)
}

#[test]
fn two_listeners_with_reuseport_share_a_port_and_both_accept() {
    const CLIENTS: usize = 64;
    tether::run(async {
        let first = reuseport_listener("127.0.0.1:0".parse().unwrap()).unwrap();
        let addr = first.local_addr().unwrap();
        let second = reuseport_listener(addr).unwrap();
        assert_eq!(second.local_addr().unwrap(), addr);

        // Each listener counts what it accepts, until the clients are done.
        let counts = Rc::new([std::cell::Cell::new(0), std::cell::Cell::new(0)]);
        let acceptors: Vec<_> = [first, second]
            .into_iter()
            .enumerate()
            .map(|(i, listener)| {
                let counts = counts.clone();
                tether::spawn(async move {
                    loop {
                        let (stream, _) = listener.accept().await.unwrap();
                        counts[i].set(counts[i].get() + 1);
                        drop(stream);
                    }
                })
            })
            .collect();

        let mut clients = Vec::new();
        for _ in 0..CLIENTS {
            clients.push(TcpStream::connect(addr).await.unwrap());
        }
        // Every client is accepted by one listener or the other.
        let all_accepted = async {
            while counts[0].get() + counts[1].get() < CLIENTS {
                tether::time::sleep(Duration::from_millis(1)).await;
            }
        };
        timeout(Duration::from_secs(10), all_accepted)
            .await
            .unwrap();
        // Linux spreads by a hash of the client's port: 64 clients all on
        // one listener would be a 1 in 2^63 chance.
        assert!(
            counts[0].get() > 0 && counts[1].get() > 0,
            "accepted {} and {}",
            counts[0].get(),
            counts[1].get()
        );
        for acceptor in acceptors {
            acceptor.cancel();
        }
    });
}

#[test]
fn without_reuseport_a_second_bind_of_the_port_fails_with_addr_in_use() {
    tether::run(async {
        let first = TcpSocket::new_v4().unwrap();
        first.set_reuseaddr(true).unwrap();
        first.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let addr = first.local_addr().unwrap();
        let _first = first.listen(16).unwrap();

        // Neither socket asks to share.
        let second = TcpSocket::new_v4().unwrap();
        second.set_reuseaddr(true).unwrap();
        assert_eq!(second.bind(addr).unwrap_err().kind(), ErrorKind::AddrInUse);

        // Only the second asks: still refused, since both must.
        let third = TcpSocket::new_v4().unwrap();
        third.set_reuseport(true).unwrap();
        assert_eq!(third.bind(addr).unwrap_err().kind(), ErrorKind::AddrInUse);

        // `TcpListener::bind` does not share either.
        let err = TcpListener::bind(addr).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AddrInUse);
    });
}

#[test]
fn options_read_back_as_set() {
    let socket = TcpSocket::new_v4().unwrap();
    assert!(!socket.reuseaddr().unwrap());
    assert!(!socket.reuseport().unwrap());
    assert!(!socket.nodelay().unwrap());
    socket.set_reuseaddr(true).unwrap();
    socket.set_reuseport(true).unwrap();
    socket.set_nodelay(true).unwrap();
    assert!(socket.reuseaddr().unwrap());
    assert!(socket.reuseport().unwrap());
    assert!(socket.nodelay().unwrap());
    socket.set_reuseport(false).unwrap();
    assert!(!socket.reuseport().unwrap());

    // The kernel adjusts sizes (Linux doubles them), never below the ask
    // for a modest size.
    socket.set_send_buffer_size(96 * 1024).unwrap();
    socket.set_recv_buffer_size(80 * 1024).unwrap();
    assert!(socket.send_buffer_size().unwrap() >= 96 * 1024);
    assert!(socket.recv_buffer_size().unwrap() >= 80 * 1024);

    // An unbound socket: the unspecified address, port 0.
    let addr = socket.local_addr().unwrap();
    assert!(addr.ip().is_unspecified());
    assert_eq!(addr.port(), 0);
}

#[test]
fn a_socket_connects_with_its_options_and_carries_data() {
    tether::run(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let socket = TcpSocket::for_addr(addr).unwrap();
        socket.set_nodelay(true).unwrap();
        socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let local = socket.local_addr().unwrap();
        let client = socket.connect(addr).await.unwrap();
        assert_eq!(client.local_addr().unwrap(), local);
        assert!(client.nodelay().unwrap());
        let (server, peer) = listener.accept().await.unwrap();
        assert_eq!(peer, local);
        client.write_all(b"ping").await.unwrap();
        let mut buf = [0; 4];
        server.read(&mut buf).await.unwrap();
        assert_eq!(&buf, b"ping");

        // A refused connect is an error, not a hang.
        drop(listener);
        let refused = TcpSocket::new_v4().unwrap().connect(addr).await;
        assert_eq!(refused.unwrap_err().kind(), ErrorKind::ConnectionRefused);
    });
}

/// Linux completes the handshake of `backlog + 1` connections nobody has
/// accepted, then drops the next client's SYN (the client retries a
/// second later), so a connect past the backlog waits.
#[cfg(target_os = "linux")]
#[test]
fn connections_past_the_backlog_wait_until_one_is_accepted() {
    const BACKLOG: u32 = 2;
    tether::run(async {
        let socket = TcpSocket::new_v4().unwrap();
        socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let listener = socket.listen(BACKLOG).unwrap();
        let addr = listener.local_addr().unwrap();
        let mut waiting = Vec::new();
        for _ in 0..=BACKLOG {
            let client = timeout(Duration::from_secs(5), TcpStream::connect(addr)).await;
            waiting.push(client.expect("within the backlog: at once").unwrap());
        }
        // The queue is full: this one's SYN is dropped.
        let past = tether::spawn(TcpStream::connect(addr));
        tether::time::sleep(Duration::from_millis(300)).await;
        assert!(!past.is_finished(), "a connect past the backlog completed");

        // Room again: the client's retried SYN gets in.
        let _ = listener.accept().await.unwrap();
        let client = timeout(Duration::from_secs(10), past).await;
        client.expect("connected on a retry").unwrap().unwrap();
    });
}

/// What happens to connections waiting in the queue of a reuse-port
/// listener that closes: Linux resets them, unless
/// `net.ipv4.tcp_migrate_req` is on, when it moves them to the listener
/// that is left.
#[cfg(target_os = "linux")]
#[test]
fn connections_waiting_on_a_closed_reuseport_listener_are_reset_or_migrated() {
    const CLIENTS: usize = 32;
    let migrate = std::fs::read_to_string("/proc/sys/net/ipv4/tcp_migrate_req")
        .is_ok_and(|value| value.trim() == "1");
    tether::run(async {
        let kept = reuseport_listener("127.0.0.1:0".parse().unwrap()).unwrap();
        let addr = kept.local_addr().unwrap();
        let closed = reuseport_listener(addr).unwrap();
        // Blocking std clients: each connect completes its handshake into
        // one listener's queue, and nobody accepts yet.
        let clients: Vec<std::net::TcpStream> = (0..CLIENTS)
            .map(|_| std::net::TcpStream::connect(addr).unwrap())
            .collect();
        drop(closed);

        // Take everything the kept listener has.
        let mut accepted = 0;
        while let Ok(Ok(_)) = timeout(Duration::from_millis(200), kept.accept()).await {
            accepted += 1;
        }

        // The others were reset (or, migrated, were accepted above).
        let mut reset = 0;
        for mut client in clients {
            client
                .set_read_timeout(Some(Duration::from_millis(100)))
                .unwrap();
            match client.read(&mut [0; 1]) {
                Err(err) if err.kind() == ErrorKind::ConnectionReset => reset += 1,
                // Accepted and dropped above: end of file.
                Ok(0) => {}
                other => panic!("unexpected read: {other:?}"),
            }
        }
        if migrate {
            assert_eq!((accepted, reset), (CLIENTS, 0));
        } else {
            assert_eq!(
                accepted + reset,
                CLIENTS,
                "accepted {accepted}, reset {reset}"
            );
            // The hash put some on the closed listener: 1 in 2^31 not.
            assert!(
                reset > 0 && accepted > 0,
                "accepted {accepted}, reset {reset}"
            );
        }
    });
}
