//! Unix sockets: [`UnixListener`], [`UnixStream`], [`UnixDatagram`].
//!
//! The same three shapes as TCP's and UDP's, for sockets named by a path in
//! the file system, or by nothing at all (a socket pair, a client that did
//! not bind). One file per type:
//!
//! | file | type | over |
//! |------|------|------|
//! | `listener.rs` | [`UnixListener`] | `std::os::unix::net::UnixListener` |
//! | `stream.rs` | [`UnixStream`] | `std::os::unix::net::UnixStream` |
//! | `datagram.rs` | [`UnixDatagram`] | `std::os::unix::net::UnixDatagram` |
//!
//! Where they differ from the TCP and UDP types:
//!
//! - **Paths are files.** Binding creates the socket file, so it fails with
//!   `AddrInUse` if the path exists; dropping the socket leaves the file,
//!   for its owner to remove.
//! - **Addresses can be unnamed.** A socket that did not bind has an
//!   unnamed address: a server cannot tell such clients apart by address,
//!   and a datagram sent from one cannot be answered.
//! - **No handshake.** On Linux a connect completes at once, or fails with
//!   `WouldBlock` when the listener's backlog is full. (`UnixStream::connect`
//!   still waits for writability, as TCP's does, on a system that answers
//!   `EINPROGRESS`.)

mod datagram;
mod listener;
mod stream;

pub use datagram::UnixDatagram;
pub use listener::UnixListener;
pub use stream::UnixStream;
