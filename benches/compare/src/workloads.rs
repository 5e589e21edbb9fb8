//! The workloads: what each measures, at what size, and how a worker
//! process runs one of them on one contender and reports its metrics.

use std::io::Write;
use std::time::Duration;

use crate::common::{peak_rss_mib, summarize_us, threads_roundtrip, timer_delays};
use crate::contenders::Contender;
use crate::contenders::smol::Smol;
use crate::contenders::tether::Tether;
use crate::contenders::tokio::Tokio;

/// Whether a smaller or a larger value of a metric is better.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Better {
    Lower,
    Higher,
}

/// One number a workload reports.
pub(crate) struct Metric {
    /// The key in a worker's output line.
    pub(crate) key: &'static str,
    /// The metric's name in RESULTS.md: the first cell of its rows, and in
    /// parentheses in the targets.
    pub(crate) label: &'static str,
    pub(crate) better: Better,
    /// Whether the target "as fast as tokio and smol" speaks of
    /// it (speeds do; memory and the plain-threads reference do not).
    pub(crate) speed: bool,
}

/// A speed, where less is better (a time).
const fn time(key: &'static str, label: &'static str) -> Metric {
    Metric {
        key,
        label,
        better: Better::Lower,
        speed: true,
    }
}

/// Something else where less is better (memory, a reference figure).
const fn lower(key: &'static str, label: &'static str) -> Metric {
    Metric {
        key,
        label,
        better: Better::Lower,
        speed: false,
    }
}

/// A speed, where more is better (a rate).
const fn rate(key: &'static str, label: &'static str) -> Metric {
    Metric {
        key,
        label,
        better: Better::Higher,
        speed: true,
    }
}

/// One workload, and the metrics it reports.
pub(crate) struct Workload {
    pub(crate) name: &'static str,
    /// What it does, for RESULTS.md.
    pub(crate) what: &'static str,
    pub(crate) metrics: &'static [Metric],
    /// Whether asyncio and uvloop run it too (`benches/compare_asyncio.py`).
    pub(crate) python: bool,
    /// For the server workloads: the client the harness runs against the
    /// worker, in its own process.
    pub(crate) client: Option<Client>,
}

/// The client of a server workload, and its number of connections.
#[derive(Clone, Copy)]
pub(crate) enum Client {
    /// 64-byte messages echoed back (`echo.rs`).
    Echo(usize),
    /// Keep-alive `GET /` requests to a hyper server (`http.rs`).
    Http(usize),
}

pub(crate) const WORKLOADS: &[Workload] = &[
    Workload {
        name: "remote_callback",
        what: "Another thread submits 1,000,000 trivial closures back to back; time from the first submission to the last run, per closure, and the process's peak RSS (the backlog). tether: `Handle::call_soon`. tokio has no `call_soon`: `Handle::spawn` of a task that calls the closure. smol: `Executor::spawn(..).detach()` on an executor one thread runs (a `LocalExecutor` cannot be reached from another thread). asyncio and uvloop: `call_soon_threadsafe`.",
        metrics: &[
            time("ns_per_op", "ns per closure"),
            lower("peak_rss_mib", "peak RSS, MiB"),
        ],
        python: true,
        client: None,
    },
    Workload {
        name: "remote_roundtrip",
        what: "Another thread submits a tiny future and blocks for its result, 2,000 times in a row. Each process first measures the same round trip between two plain std threads, because this machine's wake latency changes within seconds; the first metric is the runtime's mean divided by that reference. tether: `Handle::spawn(..).wait()`. tokio and smol: spawn a task that answers on a std channel. asyncio and uvloop: `run_coroutine_threadsafe(..).result()`.",
        metrics: &[
            time("vs_threads", "mean ÷ threads mean"),
            lower("mean_us", "mean µs"),
            lower("p50_us", "p50 µs"),
            lower("p99_us", "p99 µs"),
            lower("threads_mean_us", "threads mean µs"),
        ],
        python: true,
        client: None,
    },
    Workload {
        name: "local_spawn",
        what: "On the loop, 1,000,000 tiny tasks spawned in batches of 1,000, each batch awaited before the next; per task. tokio: `tokio::spawn`; smol: `LocalExecutor::spawn`.",
        metrics: &[time("ns_per_task", "ns per task")],
        python: false,
        client: None,
    },
    Workload {
        name: "local_spawn_all",
        what: "The same 1,000,000 tasks all spawned before any is awaited: this mostly measures fresh memory, hence the peak RSS.",
        metrics: &[
            time("ns_per_task", "ns per task"),
            lower("peak_rss_mib", "peak RSS, MiB"),
        ],
        python: false,
        client: None,
    },
    Workload {
        name: "ping_pong",
        what: "Two tasks pass a token through a one-slot channel 1,000,000 times; per hop. The channel is the same code on every runtime (tokio runs the tasks, which share an `Rc`, on a `LocalSet`).",
        metrics: &[time("ns_per_hop", "ns per hop")],
        python: false,
        client: None,
    },
    Workload {
        name: "timers",
        what: "100,000 tasks each sleep for a delay uniform in 0–100 ms (the same delays, from a fixed seed, on every runtime); how long after 100 ms the last one is done, and the peak RSS.",
        metrics: &[
            time("late_ms", "ms beyond 100"),
            lower("peak_rss_mib", "peak RSS, MiB"),
        ],
        python: false,
        client: None,
    },
    Workload {
        name: "timer_cancel",
        what: "1,000,000 times, a 10 s sleep polled once (so that it is registered) and dropped; then 1,000,000 times a 10 s timeout around an immediately ready future (which registers no timer on tokio or smol, nor on tether: each polls the inner future first). smol's timeout is its idiom, the future raced against a `Timer` with `or`.",
        metrics: &[
            time("sleep_ns", "sleep polled + dropped, ns"),
            time("timeout_ns", "timeout of a ready future, ns"),
        ],
        python: false,
        client: None,
    },
    Workload {
        name: "tcp_echo_1",
        what: "64-byte round trips over loopback on 1 connection for 1 s, against one blocking client (a std thread per connection, in the harness process, the same for every server).",
        metrics: &[rate("trips_per_s", "round trips/s")],
        python: true,
        client: Some(Client::Echo(1)),
    },
    Workload {
        name: "tcp_echo_50",
        what: "The same with 50 connections, each with its own client thread.",
        metrics: &[rate("trips_per_s", "round trips/s")],
        python: true,
        client: Some(Client::Echo(50)),
    },
    Workload {
        name: "http_1",
        what: "hyper 1.x's HTTP/1.1 server answering `GET /` with 14 bytes, on 1 keep-alive connection for 1 s, against one blocking client that keeps one request in flight (as `wrk -c1 -t1` does), in the harness process. Every server has its runtime's timer installed (hyper's header-read timeout). tether: the `hyper_server` example's glue; tokio: `hyper-util`'s `TokioIo` and `TokioTimer`; smol: the same safe adapter as tether's, over `async-io`.",
        metrics: &[rate("requests_per_s", "requests/s")],
        python: false,
        client: Some(Client::Http(1)),
    },
    Workload {
        name: "http_50",
        what: "The same with 50 connections, each with its own client thread.",
        metrics: &[rate("requests_per_s", "requests/s")],
        python: false,
        client: Some(Client::Http(50)),
    },
    Workload {
        name: "spawn_blocking",
        what: "From a task, 5,000 closures run one after another on the blocking-thread pool, each awaited before the next; per closure. tokio: `spawn_blocking`; smol: `blocking::unblock` (what `smol::unblock` is).",
        metrics: &[time("us_per_job", "µs per job")],
        python: false,
        client: None,
    },
    Workload {
        name: "idle_tasks",
        what: "100,000 tasks parked forever (each polled once); the resident memory they added, per task.",
        metrics: &[lower("bytes_per_task", "bytes per task")],
        python: false,
        client: None,
    },
];

/// The Rust contenders, in the order each round runs them.
pub(crate) const RUST_CONTENDERS: &[&str] = &["tether", "tokio", "smol"];

/// The sizes; `quick` divides every count by ten and runs the servers for
/// 0.3 s instead of 1 s, for a trial run.
#[derive(Clone, Copy)]
pub(crate) struct Sizes {
    pub(crate) callbacks: usize,
    pub(crate) roundtrips: usize,
    pub(crate) tasks: usize,
    pub(crate) hops: usize,
    pub(crate) timers: usize,
    pub(crate) cancels: usize,
    pub(crate) idle: usize,
    pub(crate) blocking_jobs: usize,
    pub(crate) echo_seconds: f64,
}

impl Sizes {
    pub(crate) fn new(quick: bool) -> Self {
        let scale = if quick { 10 } else { 1 };
        Sizes {
            callbacks: 1_000_000 / scale,
            roundtrips: 2_000 / scale,
            tasks: 1_000_000 / scale,
            hops: 1_000_000 / scale,
            timers: 100_000 / scale,
            cancels: 1_000_000 / scale,
            idle: 100_000 / scale,
            blocking_jobs: 5_000 / scale,
            echo_seconds: if quick { 0.3 } else { 1.0 },
        }
    }

    /// The size argument a worker gets for `workload`.
    pub(crate) fn of(&self, workload: &str) -> usize {
        match workload {
            "remote_callback" => self.callbacks,
            "remote_roundtrip" => self.roundtrips,
            "local_spawn" | "local_spawn_all" => self.tasks,
            "ping_pong" => self.hops,
            "timers" => self.timers,
            "timer_cancel" => self.cancels,
            "idle_tasks" => self.idle,
            "spawn_blocking" => self.blocking_jobs,
            name if name.starts_with("tcp_echo") || name.starts_with("http_") => 0,
            other => panic!("unknown workload {other}"),
        }
    }
}

/// A worker process: runs `workload` of size `n` on `contender`, and prints
/// its metrics as one line of `key=value` pairs.
pub(crate) fn run_worker(workload: &str, contender: &str, n: usize) {
    let metrics = match contender {
        "tether" => measure::<Tether>(workload, n),
        "tokio" => measure::<Tokio>(workload, n),
        "smol" => measure::<Smol>(workload, n),
        other => panic!("unknown contender {other}"),
    };
    let line: Vec<String> = metrics.iter().map(|(k, v)| format!("{k}={v}")).collect();
    println!("{}", line.join(" "));
}

fn per(elapsed: Duration, n: usize) -> f64 {
    elapsed.as_nanos() as f64 / n as f64
}

fn measure<C: Contender>(workload: &str, n: usize) -> Vec<(&'static str, f64)> {
    match workload {
        "remote_callback" => {
            let ns = per(C::remote_callback(n), n);
            vec![("ns_per_op", ns), ("peak_rss_mib", peak_rss_mib())]
        }
        "remote_roundtrip" => {
            let (threads_mean, _, _) = summarize_us(&mut threads_roundtrip(n));
            let (mean, p50, p99) = summarize_us(&mut C::remote_roundtrip(n));
            vec![
                ("vs_threads", mean / threads_mean),
                ("mean_us", mean),
                ("p50_us", p50),
                ("p99_us", p99),
                ("threads_mean_us", threads_mean),
            ]
        }
        "local_spawn" => vec![("ns_per_task", per(C::local_spawn(n, 1_000), n))],
        "local_spawn_all" => {
            let ns = per(C::local_spawn(n, n), n);
            vec![("ns_per_task", ns), ("peak_rss_mib", peak_rss_mib())]
        }
        "ping_pong" => vec![("ns_per_hop", per(C::ping_pong(n), n))],
        "timers" => {
            let delays = timer_delays(n);
            let elapsed = C::timers(&delays);
            let late = elapsed.as_secs_f64() * 1e3 - 100.0;
            vec![("late_ms", late), ("peak_rss_mib", peak_rss_mib())]
        }
        "timer_cancel" => vec![
            ("sleep_ns", per(C::timer_cancel(n), n)),
            ("timeout_ns", per(C::timeout_ready(n), n)),
        ],
        "spawn_blocking" => vec![("us_per_job", per(C::spawn_blocking(n), n) / 1e3)],
        "idle_tasks" => vec![("bytes_per_task", C::idle_tasks(n) as f64 / n as f64)],
        name => {
            let client = WORKLOADS
                .iter()
                .find(|w| w.name == name)
                .and_then(|w| w.client)
                .unwrap_or_else(|| panic!("unknown workload {name}"));
            // The harness reads the address, runs its client, and measures.
            let ready = |addr| {
                println!("addr={addr}");
                std::io::stdout().flush().unwrap();
            };
            match client {
                Client::Echo(conns) => C::echo_server(conns, &ready),
                Client::Http(conns) => C::http_server(conns, &ready),
            }
            Vec::new()
        }
    }
}
