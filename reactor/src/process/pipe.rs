//! The pipes to a child's stdin, stdout and stderr, on the reactor.
//!
//! std makes each pipe with `pipe2(O_CLOEXEC)`, so no other child inherits
//! it by accident, and hands the parent's end back in the
//! `std::process::Child`. tether takes that end, makes it non-blocking and
//! registers it, like a socket: an operation is tried first and waits for
//! the reactor only on `WouldBlock` (`crate::async_fd`). Inside, each end
//! is an [`Async`] of a `File`, the std type whose `&` reads and writes
//! any fd with plain `read(2)` and `write(2)`.
//!
//! # Into another child
//!
//! A pipe's non-blocking mode belongs to the open file, not to the fd, so
//! a child given the parent's end would inherit it, and most programs
//! fail on a read that returns `EAGAIN` instead of waiting. So turning an
//! end into a `Stdio` for the next child (`Stdio::try_from`, the way to
//! build a pipeline) first takes it out of the reactor and puts it back
//! in blocking mode. The `Command` it is given to keeps a copy of the fd
//! until it is dropped or given another `Stdio`; for a pipe's read end
//! that does not matter, but a write end kept open there keeps the reader
//! from ever seeing end of file.
//!
//! # Writing to a child that stopped reading
//!
//! A write to a pipe whose reader is gone fails with `BrokenPipe`, and
//! also raises `SIGPIPE`, which kills a process that has not ignored it.
//! Rust programs ignore it (std sets `SIGPIPE` to `SIG_IGN` before
//! `main`), so they see only the error; a program that puts `SIGPIPE` back
//! to its default is killed instead. Unlike a socket's `send`, a pipe's
//! `write` has no flag that suppresses the signal.
//!
//! # Closing
//!
//! Dropping a [`ChildStdin`] closes the pipe, and the child reads end of
//! file; `poll_close` of the `futures` traits only flushes (nothing is
//! buffered here), as [`Async`]'s does.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::process::Stdio;

use crate::async_fd::Async;
use crate::source::Readiness;

/// The parent's end of a child's stdin: an async writer.
///
/// asyncio: `Process.stdin`, a `StreamWriter`.
///
/// Found in [`Child::stdin`](super::Child::stdin) when the command's stdin
/// was [`Stdio::piped`]. Dropping it closes the pipe, and the child reads
/// end of file.
///
/// # Examples
///
/// ```
/// use std::process::Stdio;
///
/// use tether_reactor::process::Command;
///
/// # fn main() -> std::io::Result<()> {
/// tether::run(async {
///     let mut child = Command::new("cat")
///         .stdin(Stdio::piped())
///         .stdout(Stdio::piped())
///         .spawn()?;
///     let stdin = child.stdin.take().unwrap();
///     stdin.writable().await?; // an empty pipe has room
///     assert_eq!(stdin.write(b"to").await?, 2);
///     stdin.write_all(b" cat\n").await?;
///     drop(stdin); // cat reads end of file, and exits
///     let output = child.wait_with_output().await?;
///     assert_eq!(output.stdout, b"to cat\n");
///     Ok(())
/// })
/// # }
/// ```
#[derive(Debug)]
pub struct ChildStdin {
    /// The pipe's write end, registered.
    inner: Async<File>,
}

/// The parent's end of a child's stdout: an async reader.
///
/// asyncio: `Process.stdout`, a `StreamReader`.
///
/// Found in [`Child::stdout`](super::Child::stdout) when the command's
/// stdout was [`Stdio::piped`]. A read returns `Ok(0)` once the child, and
/// every process it passed the pipe to, has closed it.
///
/// # Examples
///
/// Reading as the child writes, then handing the pipe to another child
/// (a pipeline, `printf | tr`):
///
/// ```
/// use std::process::Stdio;
///
/// use tether_reactor::process::Command;
///
/// # fn main() -> std::io::Result<()> {
/// tether::run(async {
///     let mut first = Command::new("printf")
///         .arg("one\\ntwo\\n")
///         .stdout(Stdio::piped())
///         .spawn()?;
///     let stdout = first.stdout.take().unwrap();
///     stdout.readable().await?;
///     let mut buf = [0; 4];
///     assert_eq!(stdout.read(&mut buf).await?, 4);
///     assert_eq!(&buf, b"one\n");
///     // The rest goes through `tr`: the pipe is blocking again for it.
///     let upper = Command::new("tr")
///         .arg("a-z")
///         .arg("A-Z")
///         .stdin(Stdio::try_from(stdout)?)
///         .output()
///         .await?;
///     assert_eq!(upper.stdout, b"TWO\n");
///     assert!(first.wait().await?.success());
///     Ok(())
/// })
/// # }
/// ```
#[derive(Debug)]
pub struct ChildStdout {
    /// The pipe's read end, registered.
    inner: Async<File>,
}

/// The parent's end of a child's stderr: an async reader.
///
/// asyncio: `Process.stderr`, a `StreamReader`.
///
/// Found in [`Child::stderr`](super::Child::stderr) when the command's
/// stderr was [`Stdio::piped`]; it reads as a [`ChildStdout`] does.
///
/// # Examples
///
/// ```
/// use std::io::Read;
/// use std::os::fd::OwnedFd;
/// use std::process::Stdio;
///
/// use tether_reactor::process::Command;
///
/// # fn main() -> std::io::Result<()> {
/// tether::run(async {
///     let mut child = Command::shell("echo oops >&2; echo more >&2")
///         .stderr(Stdio::piped())
///         .spawn()?;
///     let stderr = child.stderr.take().unwrap();
///     stderr.readable().await?;
///     let mut buf = [0; 5];
///     assert_eq!(stderr.read(&mut buf).await?, 5);
///     assert_eq!(&buf, b"oops\n");
///     // Out of the reactor, and blocking again: std reads the rest.
///     let fd: OwnedFd = stderr.into_owned_fd()?;
///     let mut rest = String::new();
///     std::fs::File::from(fd).read_to_string(&mut rest)?;
///     assert_eq!(rest, "more\n");
///     // A stderr pipe can feed another child too.
///     let mut again = Command::shell("echo again >&2")
///         .stderr(Stdio::piped())
///         .spawn()?;
///     let stdio = Stdio::try_from(again.stderr.take().unwrap())?;
///     let output = Command::new("cat").stdin(stdio).output().await?;
///     assert_eq!(output.stdout, b"again\n");
///     assert!(child.wait().await?.success() && again.wait().await?.success());
///     Ok(())
/// })
/// # }
/// ```
#[derive(Debug)]
pub struct ChildStderr {
    /// The pipe's read end, registered.
    inner: Async<File>,
}

/// Registers a pipe end, made non-blocking.
fn register(end: impl Into<OwnedFd>) -> io::Result<Async<File>> {
    Async::new(File::from(end.into()))
}

/// Takes a pipe end out of the reactor and makes it blocking again.
fn unregister(inner: Async<File>) -> io::Result<OwnedFd> {
    let file = inner.into_inner();
    rustix::io::ioctl_fionbio(&file, false)?;
    Ok(file.into())
}

// ===== impl ChildStdin =====

impl ChildStdin {
    /// Registers the write end std made.
    pub(crate) fn new(pipe: std::process::ChildStdin) -> io::Result<ChildStdin> {
        Ok(ChildStdin {
            inner: register(pipe)?,
        })
    }

    /// Writes some of `buf`, waiting until the pipe takes at least one
    /// byte. Shown in [`ChildStdin`'s example](ChildStdin#examples).
    ///
    /// # Errors
    ///
    /// `BrokenPipe` once the child has closed its end (it exited, say):
    /// the module's "Writing to a child that stopped reading" says what
    /// else may happen.
    pub async fn write(&self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write_with(|mut pipe| pipe.write(buf)).await
    }

    /// Writes all of `buf`, waiting for room as the child reads. Shown in
    /// [`ChildStdin`'s example](ChildStdin#examples).
    ///
    /// # Errors
    ///
    /// As [`write`](ChildStdin::write); on an error, some of `buf` may
    /// have been written.
    pub async fn write_all(&self, mut buf: &[u8]) -> io::Result<()> {
        while !buf.is_empty() {
            match self.write(buf).await? {
                0 => return Err(io::ErrorKind::WriteZero.into()),
                n => buf = &buf[n..],
            }
        }
        Ok(())
    }

    /// Waits until the pipe has room; see [`Async::writable`]. Shown in
    /// [`ChildStdin`'s example](ChildStdin#examples).
    pub fn writable(&self) -> Readiness<'_> {
        self.inner.writable()
    }

    /// Takes the pipe out of the reactor and hands back its fd, in
    /// blocking mode again (the module's "Into another child"), as
    /// [`ChildStderr`'s example](ChildStderr#examples) shows for a read
    /// end.
    ///
    /// # Errors
    ///
    /// Fails if the fd cannot be made blocking again; it is closed then.
    pub fn into_owned_fd(self) -> io::Result<OwnedFd> {
        unregister(self.inner)
    }
}

impl AsFd for ChildStdin {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.as_fd()
    }
}

impl TryFrom<ChildStdin> for Stdio {
    type Error = io::Error;

    /// The pipe, blocking again, as another child's stdout or stderr; see
    /// [`ChildStdin::into_owned_fd`].
    fn try_from(pipe: ChildStdin) -> io::Result<Stdio> {
        Ok(pipe.into_owned_fd()?.into())
    }
}

// ===== impl ChildStdout, ChildStderr =====

/// The methods of a read end, for `ChildStdout` and `ChildStderr`.
macro_rules! read_end {
    ($ty:ident, $std:ty) => {
        impl $ty {
            /// Registers the read end std made.
            pub(crate) fn new(pipe: $std) -> io::Result<$ty> {
                Ok($ty {
                    inner: register(pipe)?,
                })
            }

            #[doc = concat!(
                        "Reads into `buf`, waiting until at least one byte is there; `Ok(0)` ",
                        "means end of file. Shown in [`", stringify!($ty), "`'s example](",
                        stringify!($ty), "#examples)."
                    )]
            pub async fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
                self.inner.read_with(|mut pipe| pipe.read(buf)).await
            }

            #[doc = concat!(
                        "Waits until the pipe is readable; see [`Async::readable`]. Shown in [`",
                        stringify!($ty), "`'s example](", stringify!($ty), "#examples)."
                    )]
            pub fn readable(&self) -> Readiness<'_> {
                self.inner.readable()
            }

            /// Takes the pipe out of the reactor and hands back its fd, in
            /// blocking mode again (the module's "Into another child"), as
            /// [`ChildStderr`'s example](ChildStderr#examples) shows.
            ///
            /// # Errors
            ///
            /// Fails if the fd cannot be made blocking again; it is closed
            /// then.
            pub fn into_owned_fd(self) -> io::Result<OwnedFd> {
                unregister(self.inner)
            }

            /// The registered pipe, for the exchange of `Child::communicate`.
            pub(crate) fn into_async(self) -> Async<File> {
                self.inner
            }
        }

        impl AsFd for $ty {
            fn as_fd(&self) -> BorrowedFd<'_> {
                self.inner.as_fd()
            }
        }

        impl TryFrom<$ty> for Stdio {
            type Error = io::Error;

            /// The pipe, blocking again, as another child's stdin; see
            #[doc = concat!("[`", stringify!($ty), "::into_owned_fd`].")]
            fn try_from(pipe: $ty) -> io::Result<Stdio> {
                Ok(pipe.into_owned_fd()?.into())
            }
        }
    };
}

read_end!(ChildStdout, std::process::ChildStdout);
read_end!(ChildStderr, std::process::ChildStderr);

impl ChildStdin {
    /// The registered pipe, for the exchange of `Child::communicate`.
    pub(crate) fn into_async(self) -> Async<File> {
        self.inner
    }
}

/// The `futures_io` traits (the `futures` feature), through the registered
/// pipe's own ([`Async`]'s).
#[cfg(feature = "futures")]
mod futures_io_impls {
    use std::io::{self, IoSlice, IoSliceMut};
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use futures_io::{AsyncRead, AsyncWrite};

    use super::{ChildStderr, ChildStdin, ChildStdout};

    /// `AsyncRead` for `&$ty` and `$ty`, a read end.
    macro_rules! async_read {
        ($ty:ty) => {
            impl AsyncRead for &$ty {
                fn poll_read(
                    self: Pin<&mut Self>,
                    cx: &mut Context<'_>,
                    buf: &mut [u8],
                ) -> Poll<io::Result<usize>> {
                    Pin::new(&mut &self.inner).poll_read(cx, buf)
                }

                fn poll_read_vectored(
                    self: Pin<&mut Self>,
                    cx: &mut Context<'_>,
                    bufs: &mut [IoSliceMut<'_>],
                ) -> Poll<io::Result<usize>> {
                    Pin::new(&mut &self.inner).poll_read_vectored(cx, bufs)
                }
            }

            impl AsyncRead for $ty {
                fn poll_read(
                    self: Pin<&mut Self>,
                    cx: &mut Context<'_>,
                    buf: &mut [u8],
                ) -> Poll<io::Result<usize>> {
                    Pin::new(&mut &self.inner).poll_read(cx, buf)
                }

                fn poll_read_vectored(
                    self: Pin<&mut Self>,
                    cx: &mut Context<'_>,
                    bufs: &mut [IoSliceMut<'_>],
                ) -> Poll<io::Result<usize>> {
                    Pin::new(&mut &self.inner).poll_read_vectored(cx, bufs)
                }
            }
        };
    }

    async_read!(ChildStdout);
    async_read!(ChildStderr);

    impl AsyncWrite for &ChildStdin {
        fn poll_write(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            Pin::new(&mut &self.inner).poll_write(cx, buf)
        }

        fn poll_write_vectored(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            bufs: &[IoSlice<'_>],
        ) -> Poll<io::Result<usize>> {
            Pin::new(&mut &self.inner).poll_write_vectored(cx, bufs)
        }

        fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            Pin::new(&mut &self.inner).poll_flush(cx)
        }

        /// Only flushes: dropping the `ChildStdin` is what closes the pipe.
        fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            Pin::new(&mut &self.inner).poll_close(cx)
        }
    }

    impl AsyncWrite for ChildStdin {
        fn poll_write(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            Pin::new(&mut &*self).poll_write(cx, buf)
        }

        fn poll_write_vectored(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            bufs: &[IoSlice<'_>],
        ) -> Poll<io::Result<usize>> {
            Pin::new(&mut &*self).poll_write_vectored(cx, bufs)
        }

        fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            Pin::new(&mut &*self).poll_flush(cx)
        }

        /// Only flushes: dropping the `ChildStdin` is what closes the pipe.
        fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            Pin::new(&mut &*self).poll_close(cx)
        }
    }
}
