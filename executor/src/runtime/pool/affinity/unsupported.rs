//! Pinning where tether has no backend for it: an error, said at once.

use std::io;

fn unsupported() -> io::Error {
    io::Error::new(
        io::ErrorKind::Unsupported,
        "tether pins loops to cores only on Linux and Android",
    )
}

/// No CPU list here.
pub(crate) fn allowed_cpus() -> io::Result<Vec<usize>> {
    Err(unsupported())
}

/// No pinning here.
pub(crate) fn pin_current_thread(_cpu: usize) -> io::Result<()> {
    Err(unsupported())
}
