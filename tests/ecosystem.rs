//! tether with the crates async Rust programs already use: channels and
//! locks that are shared with plain threads, the `futures` macros, and
//! `futures-lite`'s I/O helpers over tether's sockets.

mod support;

use std::pin::pin;
#[cfg(feature = "net")]
use std::rc::Rc;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use futures::FutureExt;
#[cfg(feature = "net")]
use futures_lite::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use support::within_10s;
#[cfg(feature = "net")]
use tether::net::{TcpListener, TcpStream};
use tether::time::sleep;

#[test]
fn an_async_channel_carries_messages_from_plain_threads_into_a_task() {
    let (sender, receiver) = async_channel::bounded::<u64>(16);
    let senders: Vec<_> = (0..4)
        .map(|t| {
            let sender = sender.clone();
            thread::spawn(move || {
                for i in 0..1_000 {
                    // Blocks while the channel is full: the task must keep
                    // draining it, woken from these threads.
                    sender.send_blocking(t * 1_000 + i).unwrap();
                }
            })
        })
        .collect();
    drop(sender);
    let (count, sum) = tether::run(within_10s(async move {
        let (mut count, mut sum) = (0u64, 0u64);
        // Ends when every sender is gone.
        while let Ok(n) = receiver.recv().await {
            count += 1;
            sum += n;
        }
        (count, sum)
    }));
    for sender in senders {
        sender.join().unwrap();
    }
    assert_eq!((count, sum), (4_000, (0..4_000).sum()));
}

#[test]
fn an_async_lock_mutex_is_shared_by_tasks_and_a_plain_thread() {
    let counter = Arc::new(async_lock::Mutex::new(0u64));
    let blocking = thread::spawn({
        let counter = counter.clone();
        move || {
            for _ in 0..1_000 {
                *counter.lock_blocking() += 1;
            }
        }
    });
    tether::run(within_10s({
        let counter = counter.clone();
        async move {
            let tasks: Vec<_> = (0..10)
                .map(|_| {
                    let counter = counter.clone();
                    tether::spawn(async move {
                        for _ in 0..100 {
                            let mut value = counter.lock().await;
                            // Held across a suspension point.
                            tether::yield_now().await;
                            *value += 1;
                        }
                    })
                })
                .collect();
            for result in tether::task::join_all(tasks).await {
                result.unwrap();
            }
        }
    }));
    blocking.join().unwrap();
    assert_eq!(*counter.lock_blocking(), 2_000);
}

#[test]
fn futures_join_and_select_run_on_tether() {
    tether::run(within_10s(async {
        let (a, b) = futures::join!(
            async {
                sleep(Duration::from_millis(5)).await;
                "a"
            },
            async {
                sleep(Duration::from_millis(1)).await;
                "b"
            },
        );
        assert_eq!((a, b), ("a", "b"));

        let mut slow = pin!(sleep(Duration::from_secs(60)).fuse());
        let mut fast = pin!(sleep(Duration::from_millis(1)).fuse());
        let winner = futures::select! {
            () = slow => "slow",
            () = fast => "fast",
        };
        assert_eq!(winner, "fast");
    }));
}

#[cfg(feature = "net")]
#[test]
fn futures_lite_io_helpers_work_over_tether_sockets() {
    tether::run(within_10s(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        // A line server: reads lines with a BufReader, answers each in
        // upper case, and copies nothing else.
        let server = tether::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            let mut lines = BufReader::new(&stream).lines();
            let mut writer = &stream;
            while let Some(line) = futures_lite::StreamExt::next(&mut lines).await {
                let answer = format!("{}\n", line.unwrap().to_uppercase());
                // The trait's method, not the inherent one of the same name.
                AsyncWriteExt::write_all(&mut writer, answer.as_bytes())
                    .await
                    .unwrap();
            }
        });
        let mut client = TcpStream::connect(addr).await.unwrap();
        AsyncWriteExt::write_all(&mut client, b"hello\nfrom tether\n")
            .await
            .unwrap();
        client.close().await.unwrap(); // half-close: the server sees the end
        let mut answer = String::new();
        client.read_to_string(&mut answer).await.unwrap();
        assert_eq!(answer, "HELLO\nFROM TETHER\n");
        server.await.unwrap();

        // `copy` between two sockets, with `&TcpStream` as both ends.
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let echo = tether::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            futures_lite::io::copy(&stream, &mut &stream).await.unwrap()
        });
        // One task writes while this one reads, through `&TcpStream`.
        let client = Rc::new(TcpStream::connect(addr).await.unwrap());
        let payload = vec![7u8; 256 * 1024];
        let writer = tether::spawn({
            let (client, payload) = (client.clone(), payload.clone());
            async move {
                let mut client = &*client;
                AsyncWriteExt::write_all(&mut client, &payload)
                    .await
                    .unwrap();
                client.close().await.unwrap();
            }
        });
        let mut echoed = Vec::new();
        (&*client).read_to_end(&mut echoed).await.unwrap();
        writer.await.unwrap();
        assert_eq!(echo.await.unwrap(), payload.len() as u64);
        assert_eq!(echoed, payload);
    }));
}
