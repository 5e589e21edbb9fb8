//! A pool loop whose thread panics is reported, and the pool still stops.
//!
//! Nothing a program runs on a loop can panic its thread: tasks, callbacks
//! and handlers are all caught. What can is the loop itself failing: a
//! poller that stops working (`epoll_wait` failing with anything but
//! `EINTR`), on which a loop cannot go on, so it panics. This test breaks
//! one loop's poller from outside, by putting `/dev/null` in place of its
//! epoll descriptor, makes the loop wait in it, and checks what the pool
//! makes of it. Alone in its
//! file: it changes descriptors of the whole process.

#[cfg(target_os = "linux")]
#[test]
fn a_loop_whose_poller_fails_is_reported_and_the_pool_still_stops() {
    use std::collections::BTreeSet;
    use std::os::fd::AsRawFd;
    use std::time::{Duration, Instant};

    use tether::{LoopPool, LoopState};

    /// This process's epoll descriptors.
    fn epoll_fds() -> BTreeSet<i32> {
        std::fs::read_dir("/proc/self/fd")
            .unwrap()
            .filter_map(|entry| {
                let entry = entry.ok()?;
                let target = std::fs::read_link(entry.path()).ok()?;
                (target.to_str()? == "anon_inode:[eventpoll]")
                    .then(|| entry.file_name().to_str()?.parse().ok())
                    .flatten()
            })
            .collect()
    }

    let before = epoll_fds();
    let pool = LoopPool::builder().loops(2).build().unwrap();
    let new: Vec<i32> = epoll_fds().difference(&before).copied().collect();
    assert_eq!(new.len(), 2, "one epoll descriptor per loop: {new:?}");

    // Give both loops a socket to wait on, so that each sleeps in its
    // poller (a loop that watches nothing sleeps on its thread).
    let (bound, waiting) = std::sync::mpsc::channel();
    for index in 0..2 {
        let bound = bound.clone();
        pool.spawn_on(index, move || async move {
            let (socket, peer) = std::os::unix::net::UnixDatagram::pair().unwrap();
            let socket = tether::Async::new(socket).unwrap();
            bound.send(()).unwrap();
            let _ = socket.read_with(|socket| socket.recv(&mut [0; 1])).await;
            drop(peer);
        })
        .unwrap()
        .detach();
    }
    for _ in 0..2 {
        waiting.recv().unwrap();
    }

    // One loop's poller now refers to /dev/null: its next wait fails.
    let null = std::fs::File::open("/dev/null").unwrap();
    // SAFETY: `dup2` replaces descriptor `new[0]`, which the loop's poller
    // owns and keeps open until the loop is dropped, by a duplicate of
    // `/dev/null`; the poller then closes that duplicate, once. No memory
    // is involved.
    let replaced = unsafe { libc::dup2(null.as_raw_fd(), new[0]) };
    assert_eq!(replaced, new[0]);
    // Wake both loops, so that the broken one polls again.
    for index in 0..2 {
        pool.spawn_on(index, || async {}).unwrap().detach();
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    let broken = loop {
        let exited: Vec<usize> = pool
            .metrics()
            .iter()
            .filter(|report| report.state == LoopState::Exited)
            .map(|report| report.index)
            .collect();
        if let [index] = exited[..] {
            break index;
        }
        assert!(Instant::now() < deadline, "no loop exited: {exited:?}");
        std::thread::sleep(Duration::from_millis(1));
    };
    // The pool routes around it.
    let other = 1 - broken;
    for _ in 0..4 {
        let on = pool.spawn_next(|| async { std::thread::current().name().unwrap().to_owned() });
        assert_eq!(on.unwrap().wait().unwrap(), format!("tether-pool-{other}"));
    }
    // And stops, reporting the panic.
    let report = pool.stop();
    assert_eq!(report.panicked.len(), 1, "{report:?}");
    let (index, message) = &report.panicked[0];
    assert_eq!(*index, broken);
    assert!(message.contains("poller failed"), "{message}");
}
