//! Pinning on Linux and Android: `sched_getaffinity(2)` and
//! `sched_setaffinity(2)` with pid 0, which name the calling thread.

use std::io;

use rustix::thread::{CpuSet, sched_getaffinity, sched_setaffinity};

/// The CPUs this thread may run on, lowest first: the pool's loop `i` is
/// pinned to the `i`-th of them (modulo their number), so that a process
/// that was itself restricted (by `taskset`, a container's cpuset) pins
/// its loops inside what it was given.
pub(crate) fn allowed_cpus() -> io::Result<Vec<usize>> {
    let set = sched_getaffinity(None)?;
    Ok((0..CpuSet::MAX_CPU)
        .filter(|&cpu| set.is_set(cpu))
        .collect())
}

/// Restricts the calling thread to `cpu`.
pub(crate) fn pin_current_thread(cpu: usize) -> io::Result<()> {
    let mut set = CpuSet::new();
    set.set(cpu);
    Ok(sched_setaffinity(None, &set)?)
}
