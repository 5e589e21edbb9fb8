//! How many CPUs the process may run on.

/// The CPUs this thread may run on: its affinity mask, as asyncio's
/// `os.process_cpu_count()` reads it; 1 if that cannot be read.
///
/// One system call (`sched_getaffinity`), and a few bytes of code: std's
/// `available_parallelism` also reads the cgroup's CPU quota, from files,
/// with some 11 KB of code in every binary that calls it. The runtime's
/// blocking pool sizes its default limit with this (asyncio's
/// `min(32, cpus + 4)`), so a quota smaller than the mask does not lower
/// it, as it does not lower asyncio's.
///
/// # Examples
///
/// ```
/// assert!(tether_reactor::process_cpu_count() >= 1);
/// ```
pub fn process_cpu_count() -> usize {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    let count = rustix::thread::sched_getaffinity(None).map_or(1, |cpus| cpus.count() as usize);
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let count = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    count.max(1)
}
