//! UDP round trips over loopback.
#![cfg(feature = "net")]

use tether::net::UdpSocket;

#[test]
fn unconnected_sockets_round_trip_many_datagrams() {
    tether::run(async {
        let server = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let server_addr = server.local_addr().unwrap();
        let echo = tether::spawn(async move {
            let mut buf = [0; 64];
            for _ in 0..100 {
                let (n, from) = server.recv_from(&mut buf).await.unwrap();
                server.send_to(&buf[..n], from).await.unwrap();
            }
        });
        let mut buf = [0; 64];
        for i in 0..100u32 {
            let message = i.to_be_bytes();
            client.send_to(&message, server_addr).await.unwrap();
            let (n, from) = client.recv_from(&mut buf).await.unwrap();
            assert_eq!((&buf[..n], from), (&message[..], server_addr));
        }
        echo.await.unwrap();
    });
}

#[test]
fn connected_sockets_send_recv_and_peek() {
    tether::run(async {
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        a.connect(b.local_addr().unwrap()).await.unwrap();
        b.connect(a.local_addr().unwrap()).await.unwrap();
        assert_eq!(a.peer_addr().unwrap(), b.local_addr().unwrap());
        a.send(b"one").await.unwrap();
        a.send(b"two").await.unwrap();
        let mut buf = [0; 8];
        let n = b.peek(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"one");
        let n = b.recv(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"one");
        let (n, from) = b.peek_from(&mut buf).await.unwrap();
        assert_eq!((&buf[..n], from), (&b"two"[..], a.local_addr().unwrap()));
        let n = b.recv(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"two");
        // Into std and back.
        let a = UdpSocket::try_from(std::net::UdpSocket::from(a)).unwrap();
        a.send(b"three").await.unwrap();
        let n = b.recv(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"three");
    });
}
