//! The workloads: what each measures, at what size, and how a worker
//! process runs one of them on one contender and reports its metrics.

use std::io::Write;
use std::time::Duration;

use crate::common::{peak_rss_mib, summarize_us, threads_roundtrip, timer_delays};
use ::tether::Spreading;

use crate::contenders::Contender;
use crate::contenders::smol::Smol;
use crate::contenders::tether::{Tether, pool_echo_server, pool_http_server};
use crate::contenders::tokio::{Tokio, multi_thread_echo_server, multi_thread_http_server};
use crate::contenders::{tether, tokio};

/// Whether a smaller or a larger value of a metric is better.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Better {
    Lower,
    Higher,
    /// A figure shown for what it says, not a score: no ratio.
    Neither,
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
/// A figure shown as it is, with no ratio: neither lower nor higher is
/// better (the median latency of a server workload, whose meaning is its
/// distance from the mean).
const fn shown(key: &'static str, label: &'static str) -> Metric {
    Metric {
        key,
        label,
        better: Better::Neither,
        speed: false,
    }
}

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
    /// Who runs it, and where RESULTS.md shows it.
    pub(crate) group: Group,
    /// Whether asyncio and uvloop run it too (`benches/compare_asyncio.py`).
    pub(crate) python: bool,
    /// For the server workloads: the client the harness runs against the
    /// worker, in its own process.
    pub(crate) client: Option<Client>,
}

/// Which contenders run a workload, and which part of RESULTS.md shows it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Group {
    /// One loop, one thread: tether against tokio's current-thread runtime
    /// and smol ("Workloads"; every peer's figure against tether's).
    OneLoop,
    /// A server on this machine's two cores: tether's pool with two loops,
    /// each way of spreading connections, against one tether loop, tokio's
    /// multi-threaded runtime with two workers, and tokio's current-thread
    /// runtime ("Many loops"; every figure against one tether loop's and
    /// tokio multi-threaded's).
    TwoCores,
    /// Between two loops on two threads: tether's pool against two tokio
    /// current-thread runtimes ("Many loops"; tokio's figure against
    /// tether's).
    BetweenLoops,
}

impl Group {
    /// The Rust contenders, in the order each round runs them.
    pub(crate) fn contenders(self) -> &'static [&'static str] {
        match self {
            Group::OneLoop => &["tether", "tokio", "smol"],
            Group::TwoCores => &[
                POOL_REUSE_PORT,
                POOL_LEAST_LOADED,
                "tether",
                TOKIO_MULTI_THREAD,
                "tokio",
            ],
            Group::BetweenLoops => &["tether", "tokio"],
        }
    }
}

/// tether's pool of two loops, a listener per loop (`Spreading::ReusePort`).
pub(crate) const POOL_REUSE_PORT: &str = "pool_reuse_port";
/// tether's pool of two loops, one acceptor handing each connection to the
/// least-loaded loop (`Spreading::LeastLoaded`).
pub(crate) const POOL_LEAST_LOADED: &str = "pool_least_loaded";
/// tokio's multi-threaded runtime with two workers.
pub(crate) const TOKIO_MULTI_THREAD: &str = "tokio_mt";

/// How RESULTS.md names a contender.
pub(crate) fn label(contender: &str) -> &str {
    match contender {
        POOL_REUSE_PORT => "tether pool, 2 loops, reuse port",
        POOL_LEAST_LOADED => "tether pool, 2 loops, least loaded",
        TOKIO_MULTI_THREAD => "tokio multi-thread, 2 workers",
        other => other,
    }
}

/// The client of a server workload, and its number of connections.
#[derive(Clone, Copy)]
pub(crate) enum Client {
    /// 64-byte messages echoed back (`echo.rs`).
    Echo(usize),
    /// Keep-alive `GET /` requests to a hyper server (`http.rs`).
    Http(usize),
    /// The same requests from `wrk` (`http::run_wrk`), where it is
    /// installed.
    Wrk(usize),
}

pub(crate) const WORKLOADS: &[Workload] = &[
    Workload {
        name: "remote_callback",
        what: "Another thread submits 1,000,000 trivial closures back to back; time from the first submission to the last run, per closure, and the process's peak RSS (the backlog). tether: `Handle::call_soon`. tokio has no `call_soon`: `Handle::spawn` of a task that calls the closure. smol: `Executor::spawn(..).detach()` on an executor one thread runs (a `LocalExecutor` cannot be reached from another thread). asyncio and uvloop: `call_soon_threadsafe`.",
        metrics: &[
            time("ns_per_op", "ns per closure"),
            lower("peak_rss_mib", "peak RSS, MiB"),
        ],
        group: Group::OneLoop,
        python: true,
        client: None,
    },
    Workload {
        name: "remote_roundtrip",
        what: "Another thread submits a tiny future and blocks for its result, 2,000 times in a row. Each process first measures the same round trip between two plain threads (std's; for asyncio and uvloop, two Python threads over a `queue.SimpleQueue`), because this machine's wake latency changes within seconds; the first metric is the runtime's mean divided by that reference. tether: `Handle::spawn(..).wait()`. tokio and smol: spawn a task that answers on a std channel. asyncio and uvloop: `run_coroutine_threadsafe(..).result()`.",
        metrics: &[
            time("vs_threads", "mean ÷ threads mean"),
            lower("mean_us", "mean µs"),
            lower("p50_us", "p50 µs"),
            lower("p99_us", "p99 µs"),
            lower("threads_mean_us", "threads mean µs"),
        ],
        group: Group::OneLoop,
        python: true,
        client: None,
    },
    Workload {
        name: "local_spawn",
        what: "On the loop, 1,000,000 tiny tasks spawned in batches of 1,000, each batch awaited before the next; per task. tokio: `tokio::spawn`; smol: `LocalExecutor::spawn`.",
        metrics: &[time("ns_per_task", "ns per task")],
        group: Group::OneLoop,
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
        group: Group::OneLoop,
        python: false,
        client: None,
    },
    Workload {
        name: "ping_pong",
        what: "Two tasks pass a token through a one-slot channel 1,000,000 times; per hop. The channel is the same code on every runtime (tokio runs the tasks, which share an `Rc`, on a `LocalSet`).",
        metrics: &[time("ns_per_hop", "ns per hop")],
        group: Group::OneLoop,
        python: false,
        client: None,
    },
    Workload {
        name: "timers",
        what: "100,000 tasks each sleep for a delay uniform in 0–100 ms (the same delays, from a fixed seed, on every runtime); how long after 100 ms the last one is done, and the peak RSS. Each sleep's deadline counts from its making, so the figure is mostly the time taken to make the tasks (in a fresh process, which faults in their memory), shown next: the last deadline is at most 100 ms after the making ends. What is left, the time from the making's end plus 100 ms to the last task's end, is how late the last timers fire, and how long the loop takes to run their tasks.",
        metrics: &[
            time("late_ms", "ms beyond 100"),
            lower("made_ms", "ms to make the tasks"),
            lower("tail_ms", "ms beyond 100 after the making"),
            lower("peak_rss_mib", "peak RSS, MiB"),
        ],
        group: Group::OneLoop,
        python: false,
        client: None,
    },
    Workload {
        name: "timer_cancel",
        what: "1,000,000 times, a 10 s sleep polled once (so that it is registered) and dropped; then 1,000,000 times a 10 s timeout around an immediately ready future (which registers no timer on tokio or smol, nor on tether: each polls the inner future first). smol's timeout is its idiom, the future raced against a `Timer` with `or`. The 10 s is a constant in the first timeout run, and in the second a value the compiler cannot see (as a timeout read from configuration is): smol's idiom builds its timer inside an async block that is never polled, so with a constant it stores nothing at all, while tether's `timeout` stores the duration it is given, and tokio's reads the clock and makes a `Sleep` for the deadline. For reference, the same loop then awaits the ready future bare, with no timeout around it: what the loop itself costs on each runtime, so that each timeout's own cost is its figure less this one.",
        metrics: &[
            time("sleep_ns", "sleep polled + dropped, ns"),
            time("timeout_ns", "timeout of a ready future, ns"),
            time("timeout_opaque_ns", "the same, duration not a constant, ns"),
            lower("bare_ns", "the ready future awaited bare, ns"),
        ],
        group: Group::OneLoop,
        python: false,
        client: None,
    },
    Workload {
        name: "tcp_echo_1",
        what: "64-byte round trips over loopback on 1 connection for 1 s, against one blocking client (a std thread per connection, in the harness process, the same for every server).",
        metrics: &[rate("trips_per_s", "round trips/s")],
        group: Group::OneLoop,
        python: true,
        client: Some(Client::Echo(1)),
    },
    Workload {
        name: "tcp_echo_50",
        what: "The same with 50 connections, each with its own client thread.",
        metrics: &[rate("trips_per_s", "round trips/s")],
        group: Group::OneLoop,
        python: true,
        client: Some(Client::Echo(50)),
    },
    Workload {
        name: "http_1",
        what: "hyper 1.x's HTTP/1.1 server answering `GET /` with 14 bytes, on 1 keep-alive connection for 1 s, against one blocking client that keeps one request in flight (as `wrk -c1 -t1` does), in the harness process. Every server has its runtime's timer installed (hyper's header-read timeout). tether: the `hyper_server` example's glue; tokio: `hyper-util`'s `TokioIo` and `TokioTimer`; smol: `SmolIo` and `SmolTimer` (`footprint/on_smol.rs`), the safe glue a smol user writes over `async-io`, which zeroes a buffer and copies where tether's glue reads into hyper's buffer in place.",
        metrics: &[rate("requests_per_s", "requests/s")],
        group: Group::OneLoop,
        python: false,
        client: Some(Client::Http(1)),
    },
    Workload {
        name: "http_50",
        what: "The same with 50 connections, each with its own client thread.",
        metrics: &[rate("requests_per_s", "requests/s")],
        group: Group::OneLoop,
        python: false,
        client: Some(Client::Http(50)),
    },
    Workload {
        name: "wrk_http_1",
        what: "The `http_1` server against `wrk -t1 -c1 -d2s --latency` (one load thread, so `wrk` takes one core and the server the other), run by the harness; `wrk`'s requests/s and 99th-percentile latency. Skipped, with a message, where `wrk` is not installed.",
        metrics: &[
            rate("requests_per_s", "requests/s"),
            time("p99_us", "p99 µs"),
        ],
        group: Group::OneLoop,
        python: false,
        client: Some(Client::Wrk(1)),
    },
    Workload {
        name: "wrk_http_50",
        what: "The same with `-c50`.",
        metrics: &[
            rate("requests_per_s", "requests/s"),
            time("p99_us", "p99 µs"),
        ],
        group: Group::OneLoop,
        python: false,
        client: Some(Client::Wrk(50)),
    },
    Workload {
        name: "wrk_http_500",
        what: "The same with `-c500`.",
        metrics: &[
            rate("requests_per_s", "requests/s"),
            time("p99_us", "p99 µs"),
        ],
        group: Group::OneLoop,
        python: false,
        client: Some(Client::Wrk(500)),
    },
    Workload {
        name: "spawn_blocking",
        what: "From a task, 5,000 closures run one after another on the blocking-thread pool, each awaited before the next; per closure. tokio: `spawn_blocking`; smol: `blocking::unblock` (what `smol::unblock` is).",
        metrics: &[time("us_per_job", "µs per job")],
        group: Group::OneLoop,
        python: false,
        client: None,
    },
    Workload {
        name: "idle_tasks",
        what: "100,000 tasks parked forever (each polled once), then a 1 ms sleep, so that the loop has gone idle with them; the resident memory they added, per task.",
        metrics: &[lower("bytes_per_task", "bytes per task")],
        group: Group::OneLoop,
        python: false,
        client: None,
    },
    Workload {
        name: "pool_tcp_echo_50",
        what: "`tcp_echo_50` (64-byte round trips on 50 connections for 1 s, a blocking client thread per connection in the harness process) served on both cores: by tether's `LoopPool` of 2 loops with each `Spreading`, by one tether loop, by tokio's multi-threaded runtime with 2 workers, and by tokio's current-thread runtime; with the 99th percentile and the median of the round trips' latency as the client saw it. The median is shown without a ratio, for what it says: far below the mean (50 connections over the round trips per second), it means that a server serves some connections back to back while the others wait. The pool serves with `LoopPool::serve`, its loops unpinned (the builder's default); tokio's server is `tcp_echo_50`'s, on a multi-threaded runtime.",
        metrics: &[
            rate("trips_per_s", "round trips/s"),
            lower("p99_us", "p99 latency, µs"),
            shown("p50_us", "p50 latency, µs"),
        ],
        group: Group::TwoCores,
        python: false,
        client: Some(Client::Echo(50)),
    },
    Workload {
        name: "pool_http_50",
        what: "`http_50` (hyper's HTTP/1.1 server, 50 keep-alive connections for 1 s) served the same five ways, with the same latencies (the 99th percentile, and the median, shown without a ratio); the pool's loops run the `multi_loop_server` example's glue (`hyper_server/on_tether.rs`), with each loop's timer.",
        metrics: &[
            rate("requests_per_s", "requests/s"),
            lower("p99_us", "p99 latency, µs"),
            shown("p50_us", "p50 latency, µs"),
        ],
        group: Group::TwoCores,
        python: false,
        client: Some(Client::Http(50)),
    },
    Workload {
        name: "cross_loop",
        what: "Round trips between two loops on two threads, 20,000 one after another after 2,000 to warm up; the mean. tether: a `LoopPool` of 2 loops running the `cross_loop` example's code: a request (a task on loop 0 runs a future on loop 1 with `Handle::spawn_with` and awaits its `ThreadFuture`), and a message each way through two `async-channel` channels. tokio: two current-thread runtimes, each on its thread; a request is `Handle::spawn` on the other runtime and an await of its `JoinHandle`, the messages the same channels. Each process also times the round trip between two plain std threads over std channels, the machine's own cost of a cross-thread wakeup.",
        metrics: &[
            time("request_us", "request, µs"),
            time("messages_us", "message each way, µs"),
            lower("threads_us", "plain threads, µs"),
        ],
        group: Group::BetweenLoops,
        python: false,
        client: None,
    },
];

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
    pub(crate) cross_loop_trips: usize,
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
            cross_loop_trips: 20_000 / scale,
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
            "cross_loop" => self.cross_loop_trips,
            name if WORKLOADS
                .iter()
                .any(|w| w.name == name && w.client.is_some()) =>
            {
                0
            }
            other => panic!("unknown workload {other}"),
        }
    }
}

/// A worker process: runs `workload` of size `n` on `contender`, and prints
/// its metrics as one line of `key=value` pairs.
pub(crate) fn run_worker(workload: &str, contender: &str, n: usize) {
    let group = WORKLOADS
        .iter()
        .find(|w| w.name == workload)
        .unwrap_or_else(|| panic!("unknown workload {workload}"))
        .group;
    let metrics = match (group, contender) {
        (Group::OneLoop, "tether") => measure::<Tether>(workload, n),
        (Group::OneLoop, "tokio") => measure::<Tokio>(workload, n),
        (Group::OneLoop, "smol") => measure::<Smol>(workload, n),
        (Group::TwoCores, contender) => serve_on_two_cores(workload, contender),
        (Group::BetweenLoops, contender) => cross_loop(contender, n),
        (_, other) => panic!("{workload} has no contender {other}"),
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
            let (made, elapsed) = C::timers(&delays);
            let late = elapsed.as_secs_f64() * 1e3 - 100.0;
            let made = made.as_secs_f64() * 1e3;
            vec![
                ("late_ms", late),
                ("made_ms", made),
                ("tail_ms", late - made),
                ("peak_rss_mib", peak_rss_mib()),
            ]
        }
        "timer_cancel" => vec![
            ("sleep_ns", per(C::timer_cancel(n), n)),
            ("timeout_ns", per(C::timeout_ready::<false>(n), n)),
            ("timeout_opaque_ns", per(C::timeout_ready::<true>(n), n)),
            ("bare_ns", per(C::await_ready(n), n)),
        ],
        "spawn_blocking" => vec![("us_per_job", per(C::spawn_blocking(n), n) / 1e3)],
        "idle_tasks" => vec![("bytes_per_task", C::idle_tasks(n) as f64 / n as f64)],
        name => {
            match client_of(name) {
                Client::Echo(conns) => C::echo_server(conns, &announce),
                Client::Http(conns) => C::http_server(conns, &announce),
                // `wrk` first connects once, and closes, to check the
                // address: one more connection to accept.
                Client::Wrk(conns) => C::http_server(conns + 1, &announce),
            }
            Vec::new()
        }
    }
}

/// The client a server workload faces.
fn client_of(workload: &str) -> Client {
    WORKLOADS
        .iter()
        .find(|w| w.name == workload)
        .and_then(|w| w.client)
        .unwrap_or_else(|| panic!("unknown workload {workload}"))
}

/// Tells the harness where the server listens; the harness then runs its
/// client, and measures.
fn announce(addr: std::net::SocketAddr) {
    println!("addr={addr}");
    std::io::stdout().flush().unwrap();
}

/// A server of the [`Group::TwoCores`] workloads, on `contender`. The
/// harness's client does the measuring.
fn serve_on_two_cores(workload: &str, contender: &str) -> Vec<(&'static str, f64)> {
    // Two loops, two workers: one per core of this machine.
    const THREADS: usize = 2;
    match (client_of(workload), contender) {
        (Client::Echo(conns), POOL_REUSE_PORT) => {
            pool_echo_server(THREADS, Spreading::ReusePort, conns, &announce)
        }
        (Client::Echo(conns), POOL_LEAST_LOADED) => {
            pool_echo_server(THREADS, Spreading::LeastLoaded, conns, &announce)
        }
        (Client::Echo(conns), "tether") => Tether::echo_server(conns, &announce),
        (Client::Echo(conns), TOKIO_MULTI_THREAD) => {
            multi_thread_echo_server(THREADS, conns, &announce)
        }
        (Client::Echo(conns), "tokio") => Tokio::echo_server(conns, &announce),
        (Client::Http(conns), POOL_REUSE_PORT) => {
            pool_http_server(THREADS, Spreading::ReusePort, conns, &announce)
        }
        (Client::Http(conns), POOL_LEAST_LOADED) => {
            pool_http_server(THREADS, Spreading::LeastLoaded, conns, &announce)
        }
        (Client::Http(conns), "tether") => Tether::http_server(conns, &announce),
        (Client::Http(conns), TOKIO_MULTI_THREAD) => {
            multi_thread_http_server(THREADS, conns, &announce)
        }
        (Client::Http(conns), "tokio") => Tokio::http_server(conns, &announce),
        (_, other) => panic!("{workload} has no contender {other}"),
    }
    Vec::new()
}

/// [`Group::BetweenLoops`]: `trips` round trips each way, on `contender`,
/// next to the same between two plain threads.
fn cross_loop(contender: &str, trips: usize) -> Vec<(&'static str, f64)> {
    let (threads_mean, _, _) = summarize_us(&mut threads_roundtrip(trips));
    let trips_u32 = u32::try_from(trips).expect("a count that fits in u32");
    let (request, messages) = match contender {
        "tether" => tether::cross_loop(trips_u32),
        "tokio" => tokio::cross_loop(trips_u32),
        other => panic!("cross_loop has no contender {other}"),
    };
    let us = |total: Duration| total.as_secs_f64() * 1e6 / trips as f64;
    vec![
        ("request_us", us(request)),
        ("messages_us", us(messages)),
        ("threads_us", threads_mean),
    ]
}
