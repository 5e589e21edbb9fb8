//! Faults that must end in an error, not in a dead process or a spinning
//! loop. Each runs in a child process (this test binary, re-run on one
//! test), because it changes process-wide state: the SIGPIPE disposition,
//! or the file descriptor limit.
#![cfg(feature = "net")]

use std::io::{IoSlice, Write};
use std::net::Shutdown;
use std::process::Command;
use std::time::{Duration, Instant};

use futures_lite::AsyncWriteExt;
use tether::net::{TcpListener, TcpStream, UnixStream};

/// Runs the test `name` of this binary in a child process with `CHILD` set,
/// and returns its stdout, after checking that it exited successfully.
fn run_in_child(name: &str) -> String {
    let output = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", name, "--nocapture", "--test-threads=1"])
        .env("TETHER_FAULT_CHILD", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "the child died or failed: {:?}\nstdout:\n{stdout}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

fn in_child() -> bool {
    std::env::var_os("TETHER_FAULT_CHILD").is_some()
}

/// Calls `write` until it fails; returns the error.
async fn write_until_error(write: impl AsyncFn() -> std::io::Result<usize>) -> std::io::Error {
    loop {
        if let Err(err) = write().await {
            return err;
        }
        tether::time::sleep(Duration::from_millis(1)).await;
    }
}

#[test]
fn writing_to_a_closed_peer_is_an_error_even_when_sigpipe_would_kill() {
    if !in_child() {
        let stdout =
            run_in_child("writing_to_a_closed_peer_is_an_error_even_when_sigpipe_would_kill");
        assert!(stdout.contains("all writes failed cleanly"), "{stdout}");
        return;
    }
    // SAFETY: the default disposition of SIGPIPE, set before any other
    // thread of this child could be writing: a write to a closed peer that
    // raised it would now kill the process, and the parent would see that.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    tether::run(async {
        let slices = [IoSlice::new(b"vec"), IoSlice::new(b"tored")];

        // TCP, plain writes and vectored writes.
        for vectored in [false, true] {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let client = tether::spawn(async move { TcpStream::connect(addr).await.unwrap() });
            let (server, _) = listener.accept().await.unwrap();
            let client = client.await.unwrap();
            drop(server);
            let err = if vectored {
                write_until_error(async || (&client).write_vectored(&slices).await).await
            } else {
                write_until_error(async || client.write(b"plain").await).await
            };
            // Linux answers EPIPE; a reset that arrived in between may be
            // reported first as ECONNRESET. Either is an error, not a signal.
            let kind = err.kind();
            assert!(
                matches!(
                    kind,
                    std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionReset
                ),
                "tcp, vectored {vectored}: {err}"
            );
            println!("tcp vectored={vectored}: {err}");
        }

        // Unix streams.
        for vectored in [false, true] {
            let (ours, theirs) = UnixStream::pair().unwrap();
            theirs.shutdown(Shutdown::Both).unwrap();
            drop(theirs);
            let err = if vectored {
                write_until_error(async || (&ours).write_vectored(&slices).await).await
            } else {
                write_until_error(async || ours.write(b"plain").await).await
            };
            assert_eq!(
                err.kind(),
                std::io::ErrorKind::BrokenPipe,
                "unix, vectored {vectored}: {err}"
            );
            println!("unix vectored={vectored}: {err}");
        }
    });
    println!("all writes failed cleanly");
}

#[test]
fn accept_out_of_file_descriptors_errs_without_spinning_then_serves_again() {
    if !in_child() {
        let stdout =
            run_in_child("accept_out_of_file_descriptors_errs_without_spinning_then_serves_again");
        assert!(stdout.contains("served again"), "{stdout}");
        return;
    }
    // A small table, so that filling it is quick.
    rustix::process::setrlimit(
        rustix::process::Resource::Nofile,
        rustix::process::Rlimit {
            current: Some(64),
            maximum: Some(64),
        },
    )
    .unwrap();
    let rt = tether::Runtime::new().unwrap();
    let handle = rt.handle();
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        // A client made before the table fills: its connection waits in
        // the backlog, with a byte to read.
        let mut client = std::net::TcpStream::connect(addr).unwrap();
        client.write_all(b"!").unwrap();
        // Fill the table.
        let mut hogs = Vec::new();
        while let Ok(file) = std::fs::File::open("/dev/null") {
            hogs.push(file);
        }

        // accept returns the error...
        let err = listener.accept().await.unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EMFILE), "{err}");
        // ...and a server that keeps retrying does not spin: 300 ms of
        // retries make a handful of attempts, not millions.
        let before = handle.metrics();
        let start = Instant::now();
        let mut attempts = 0;
        while start.elapsed() < Duration::from_millis(300) {
            assert!(listener.accept().await.is_err());
            attempts += 1;
        }
        let iterations = handle.metrics().iterations - before.iterations;
        println!(
            "attempts={attempts} iterations={iterations} in {:?}",
            start.elapsed()
        );
        assert!(
            attempts <= 12,
            "{attempts} accept attempts in 300 ms: the retry loop spins"
        );
        assert!(iterations <= 100, "{iterations} loop iterations in 300 ms");

        // Free the table: the listener serves the waiting client.
        drop(hogs);
        let (stream, _) = tether::time::timeout(Duration::from_secs(3), listener.accept())
            .await
            .expect("the listener did not recover within 3 s")
            .unwrap();
        let mut byte = [0; 1];
        let n = stream.read(&mut byte).await.unwrap();
        assert_eq!(&byte[..n], b"!");
    });
    println!("served again");
}
