//! `Async<T>` over any fd, and how the reactor treats registrations.

use std::cell::Cell;
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::net::UnixStream;
use std::rc::Rc;

use futures_lite::{AsyncReadExt, AsyncWriteExt};
use tether::Async;

/// A pipe, as two `File`s: (read end, write end).
fn pipe() -> (File, File) {
    let (read, write) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC).unwrap();
    (File::from(read), File::from(write))
}

#[test]
fn a_pipe_carries_data_and_end_of_file() {
    tether::run(async {
        let (reader, writer) = pipe();
        let (reader, writer) = (Async::new(reader).unwrap(), Async::new(writer).unwrap());
        let write = tether::spawn(async move {
            let mut writer = writer;
            // More than a pipe buffer holds, so the writer must wait.
            for chunk in 0..64u8 {
                writer.write_all(&[chunk; 4096]).await.unwrap();
            }
            // Dropping the write end gives the reader end of file.
        });
        let mut all = Vec::new();
        (&reader).read_to_end(&mut all).await.unwrap();
        write.await.unwrap();
        assert_eq!(all.len(), 64 * 4096);
        assert!(
            all.chunks(4096)
                .enumerate()
                .all(|(i, c)| c.iter().all(|&b| b == i as u8))
        );
    });
}

#[test]
fn read_with_and_write_with_retry_until_the_operation_succeeds() {
    tether::run(async {
        let (a, b) = UnixStream::pair().unwrap();
        let (a, b) = (Async::new(a).unwrap(), Async::new(b).unwrap());
        let reader = tether::spawn(async move {
            let mut buf = [0; 5];
            let n = a.read_with(|mut a| a.read(&mut buf)).await.unwrap();
            buf[..n].to_vec()
        });
        tether::yield_now().await;
        b.write_with(|mut b| b.write(b"later")).await.unwrap();
        assert_eq!(reader.await.unwrap(), b"later");
    });
}

#[test]
fn several_tasks_waiting_to_read_are_all_woken() {
    tether::run(async {
        let (a, mut b) = UnixStream::pair().unwrap();
        let a = Rc::new(Async::new(a).unwrap());
        let woken = Rc::new(Cell::new(0));
        let waiters: Vec<_> = (0..3)
            .map(|_| {
                let (a, woken) = (a.clone(), woken.clone());
                tether::spawn(async move {
                    a.readable().await.unwrap();
                    woken.set(woken.get() + 1);
                })
            })
            .collect();
        tether::yield_now().await;
        assert_eq!(woken.get(), 0);
        b.write_all(b"x").unwrap();
        for waiter in waiters {
            waiter.await.unwrap();
        }
        assert_eq!(woken.get(), 3);
    });
}

/// What `fd` refers to: its device and inode, or `None` if it is closed.
///
/// The number alone says too little: the tests of this file run on
/// parallel threads, which may be handed a closed fd's number at once.
fn identity(fd: i32) -> Option<(u64, u64)> {
    let mut stat = std::mem::MaybeUninit::<libc::stat>::uninit();
    // SAFETY: `fstat` only writes the buffer, which is large enough for a
    // `stat`; an fd that is not open is an error, not undefined behaviour.
    let status = unsafe { libc::fstat(fd, stat.as_mut_ptr()) };
    if status != 0 {
        return None;
    }
    // SAFETY: `fstat` succeeded, so it filled the buffer in.
    let stat = unsafe { stat.assume_init() };
    #[allow(
        clippy::unnecessary_cast,
        reason = "the field types differ between targets"
    )]
    Some((stat.st_dev as u64, stat.st_ino as u64))
}

#[test]
fn dropping_closes_the_fd_and_into_inner_hands_it_back() {
    tether::run(async {
        let (a, _b) = UnixStream::pair().unwrap();
        let a = Async::new(a).unwrap();
        let fd = a.as_fd().as_raw_fd();
        let socket = identity(fd);
        assert!(socket.is_some());
        drop(a);
        assert_ne!(identity(fd), socket, "the fd outlived its Async");

        // into_inner deregisters, and hands the fd back open.
        let (c, _d) = UnixStream::pair().unwrap();
        let c = Async::new(c).unwrap().into_inner();
        assert!(identity(c.as_raw_fd()).is_some());
        // It can be registered again.
        drop(Async::new(c).unwrap());
    });
}

/// Two mechanisms each keep an old socket's event from reaching the new
/// socket in its slot: dropping an `Async` deletes the fd from the poller,
/// and every poller key carries the registration's generation. This test
/// fails when both are missing; the reactor's unit test
/// `a_stale_event_does_not_reach_a_reused_slot` checks the generation alone.
#[test]
fn sockets_recreated_while_events_are_in_flight_get_no_stale_wakes() {
    tether::run(async {
        let spurious = Rc::new(Cell::new(0));
        let mut quiet = Vec::new();
        for _ in 0..500 {
            // A socket with a waiter armed in the poller...
            let (old, mut old_peer) = UnixStream::pair().unwrap();
            // A duplicate outlives the Async: the kernel's registration
            // would too, unless the drop removes it from the poller.
            let old_duplicate = old.try_clone().unwrap();
            let old = Async::new(old).unwrap();
            let waiter = tether::spawn(async move {
                let _ = old.readable().await;
            });
            tether::yield_now().await;
            // ...and an event on its way. The loop is busy, so it polls the
            // reactor only once 31 task runs have gone by: in most rounds
            // the event is still in flight when the waiter is cancelled,
            // which drops the socket.
            old_peer.write_all(b"in flight").unwrap();
            waiter.cancel();
            tether::yield_now().await;
            assert!(waiter.is_finished());
            // A new socket, in the slot and under the fd number just freed,
            // which nobody writes to: it must never look readable.
            let (new, new_peer) = UnixStream::pair().unwrap();
            let new = Rc::new(Async::new(new).unwrap());
            let watcher = {
                let (new, spurious) = (new.clone(), spurious.clone());
                tether::spawn(async move {
                    new.readable().await.unwrap();
                    spurious.set(spurious.get() + 1);
                })
            };
            quiet.push((new, new_peer, watcher, old_duplicate, old_peer));
            tether::yield_now().await;
        }
        // Let every in-flight event arrive.
        tether::time::sleep(std::time::Duration::from_millis(10)).await;
        assert_eq!(
            spurious.get(),
            0,
            "a new socket was woken by an old socket's event"
        );
        for (_, _, watcher, _, _) in &quiet {
            assert!(!watcher.is_finished());
        }
    });
}
