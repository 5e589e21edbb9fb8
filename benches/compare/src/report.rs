//! Turning the figures into `benches/RESULTS.md`: the machine, the
//! command, where tether stands against each target, and a table per
//! workload.

use std::collections::BTreeSet;
use std::fmt::Write;
use std::path::Path;
use std::process::Command;

use crate::Results;
use crate::footprint::{self, Footprint};
use crate::workloads::{Better, Group, TOKIO_MULTI_THREAD, Workload, label};

/// The Python reference rows: which loops run, or why not.
pub(crate) struct Python {
    pub(crate) loops: Vec<String>,
    pub(crate) note: String,
}

impl Python {
    pub(crate) fn skipped(why: &str) -> Self {
        Python {
            loops: Vec::new(),
            note: format!("asyncio and uvloop skipped: {why}."),
        }
    }
}

/// Finds python3 and uvloop (the script installs uvloop with pip if it
/// can); says what it found.
pub(crate) fn python_setup(root: &Path) -> Python {
    let Some(version) = output(
        "python3",
        &["-c", "import sys; print(sys.version.split()[0])"],
    ) else {
        return Python::skipped("no python3 on this machine");
    };
    let mut loops = vec!["asyncio".to_owned()];
    let script = root.join("benches/compare_asyncio.py");
    let setup = output("python3", &[script.to_str().unwrap(), "setup"]).unwrap_or_default();
    let note = if setup.starts_with("uvloop=yes") {
        loops.push("uvloop".to_owned());
        format!("Python {version}, asyncio and uvloop.")
    } else {
        let why = setup.strip_prefix("uvloop=no").unwrap_or(&setup).trim();
        eprintln!("uvloop skipped: it cannot be installed here ({why})");
        format!("Python {version}, asyncio; uvloop skipped, it could not be installed ({why}).")
    };
    Python { loops, note }
}

/// The crates tether may have: its own, plus the trees of its runtime
/// dependencies (`docs/design.md`, "Runtime dependencies"), read from the
/// tether hello-world project in `dir`.
pub(crate) fn allowed_crates(dir: &Path) -> BTreeSet<String> {
    let mut allowed: BTreeSet<String> = ["polling", "slab"]
        .into_iter()
        .flat_map(|krate| {
            let mut tree = footprint::tree(dir, Some(krate));
            tree.insert(krate.to_owned());
            tree
        })
        .collect();
    allowed.extend(
        [
            "tether",
            "tether-reactor",
            "tether-executor",
            "tether-bridge",
        ]
        .map(str::to_owned),
    );
    allowed
}

/// Everything `render` needs.
pub(crate) struct Run<'a> {
    pub(crate) options_line: String,
    pub(crate) rounds: usize,
    pub(crate) quick: bool,
    /// The load average when the rounds began and when they ended.
    pub(crate) load: [String; 2],
    /// The code measured, as `code_version` read it when the rounds began.
    pub(crate) code: String,
    pub(crate) results: &'a Results,
    pub(crate) workloads: &'a [&'a Workload],
    pub(crate) python: &'a Python,
    pub(crate) footprints: Option<&'a (Vec<Footprint>, BTreeSet<String>)>,
}

/// The commit of the workspace at `root`, and whether its tree had changes
/// not committed: the code a run measures.
pub(crate) fn code_version(root: &std::path::Path) -> String {
    let root = root.to_string_lossy();
    let git = |args: &[&str]| output("git", &[&["-C", &root], args].concat());
    match git(&["rev-parse", "--short", "HEAD"]) {
        Some(commit) if git(&["status", "--porcelain"]).is_some_and(|s| !s.is_empty()) => {
            format!("commit `{commit}`, with changes not committed")
        }
        Some(commit) => format!("commit `{commit}`"),
        None => "a tree outside git".to_owned(),
    }
}

fn output(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn median(values: &[f64]) -> f64 {
    // A round whose run failed holds NaN (`main.rs`), and has no figure.
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    if sorted.len() % 2 == 1 {
        sorted[mid]
    } else {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    }
}

/// A number with as many decimals as its size deserves.
fn num(x: f64) -> String {
    match x.abs() {
        a if a >= 100.0 => format!("{x:.0}"),
        a if a >= 10.0 => format!("{x:.1}"),
        _ => format!("{x:.2}"),
    }
}

/// How many times better tether is than `peer` on a metric: the median of
/// the per-round ratios (rounds are interleaved, so each ratio compares
/// runs made seconds apart; a round where either run failed has none).
/// Above 1: tether is better. `None` for a metric shown without a ratio.
fn advantage(tether: &[f64], peer: &[f64], better: Better) -> Option<f64> {
    let ratio = |t: f64, p: f64| match better {
        Better::Lower => Some(p / t),
        Better::Higher => Some(t / p),
        Better::Neither => None,
    };
    if tether.len() == peer.len() {
        let per_round: Option<Vec<f64>> = tether
            .iter()
            .zip(peer)
            .map(|(&t, &p)| ratio(t, p))
            .collect();
        per_round.map(|ratios| median(&ratios))
    } else {
        // Not one figure per round on both sides: compare the medians.
        ratio(median(tether), median(peer))
    }
}

/// An advantage as the tables print it: two decimals, or nothing.
fn times(advantage: Option<f64>) -> String {
    advantage.map_or_else(String::new, |a| format!("{a:.2}"))
}

/// One figure per round (NaN where the run failed), if any run succeeded.
fn values<'a>(run: &'a Run<'_>, workload: &str, contender: &str, key: &str) -> Option<&'a [f64]> {
    run.results
        .get(workload)?
        .get(contender)?
        .get(key)
        .map(Vec::as_slice)
        .filter(|figures| figures.iter().any(|f| f.is_finite()))
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines().find_map(|l| {
                l.strip_prefix("model name")?
                    .split_once(':')
                    .map(|(_, m)| m.trim().to_owned())
            })
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|k| k.trim().to_owned())
        .unwrap_or_default();
    let rustc = output("rustc", &["--version"]).unwrap_or_default();
    format!("{cpu}, {cores} cores; Linux {kernel}; {rustc}")
}

/// The system's load average over 1, 5 and 15 minutes, as
/// `/proc/loadavg` gives it.
pub(crate) fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|avg| {
            avg.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_else(|_| "unknown".to_owned())
}

pub(crate) fn render(run: &Run<'_>) -> String {
    let mut md = String::new();
    let date = output("date", &["-u", "+%Y-%m-%d"]).unwrap_or_default();
    let command = if run.options_line.is_empty() {
        "cargo run --release -p tether-compare".to_owned()
    } else {
        format!(
            "cargo run --release -p tether-compare -- {}",
            run.options_line
        )
    };
    writeln!(md, "# tether against tokio, smol, asyncio and uvloop\n").unwrap();
    writeln!(
        md,
        "Written by the comparison harness (`benches/compare/`) on {date}, with\n`{command}`, measuring the code of {}.\n",
        run.code
    )
    .unwrap();
    writeln!(md, "- Machine: {}.", machine()).unwrap();
    writeln!(
        md,
        "- Load average (1, 5, 15 min): {} before the rounds, {} after them (a figure that counts the harness's own threads, 50 of them during the servers' runs).",
        run.load[0], run.load[1]
    )
    .unwrap();
    writeln!(md, "- {}", run.python.note).unwrap();
    writeln!(
        md,
        "- {} interleaved rounds{}: in each, every workload runs on every contender in turn, each run in a fresh process. Figures are medians, with min–max. \"tether ×\" is the median of the per-round ratios of the peer's figure to tether's (of tether's to the peer's where higher is better): above 1, tether is better.\n",
        run.rounds,
        if run.quick { " of the quick sizes (a tenth of the full counts, 0.3 s for the servers; not for quoting)" } else { "" }
    )
    .unwrap();

    render_targets(&mut md, run);

    let in_group = |group: Group| {
        run.workloads
            .iter()
            .copied()
            .filter(move |w| w.group == group)
    };
    if in_group(Group::OneLoop).next().is_some() {
        writeln!(md, "## Workloads\n").unwrap();
        for workload in in_group(Group::OneLoop) {
            render_against_tether(&mut md, run, workload);
        }
    }
    if in_group(Group::OneLoop).count() < run.workloads.len() {
        render_many_loops(&mut md, run);
    }

    if let Some((prints, allowed)) = run.footprints {
        render_footprint(&mut md, prints, allowed);
    }
    md
}

/// The contenders of `workload` that ran in this run: the Rust ones,
/// then asyncio and uvloop where they ran.
fn contenders<'a>(run: &Run<'_>, workload: &'a Workload) -> Vec<&'a str> {
    let mut all: Vec<&str> = workload.group.contenders().to_vec();
    if workload.python {
        all.extend(["asyncio", "uvloop"]);
    }
    all.retain(|c| {
        run.results
            .get(workload.name)
            .is_some_and(|r| r.contains_key(*c))
    });
    all
}

/// Min–max of `values`.
fn range(values: &[f64]) -> String {
    // `min` and `max` pass over the NaN of a failed run.
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    format!("{}–{}", num(lo), num(hi))
}

/// A workload's heading and description, or that no run succeeded;
/// whether it has figures.
fn heading(md: &mut String, run: &Run<'_>, workload: &Workload) -> bool {
    let succeeded = run.results.get(workload.name).is_some_and(|by_contender| {
        by_contender
            .values()
            .flat_map(|metrics| metrics.values().flatten())
            .any(|f| f.is_finite())
    });
    if !succeeded {
        writeln!(md, "### {}\n\nNo run succeeded.\n", workload.name).unwrap();
        return false;
    }
    writeln!(md, "### {}\n\n{}\n", workload.name, workload.what).unwrap();
    true
}

/// A workload's table, with every peer's figure against tether's.
fn render_against_tether(md: &mut String, run: &Run<'_>, workload: &Workload) {
    if !heading(md, run, workload) {
        return;
    }
    writeln!(md, "| metric | runtime | median | min–max | tether × |").unwrap();
    writeln!(md, "|---|---|---:|---:|---:|").unwrap();
    for metric in workload.metrics {
        let tether = values(run, workload.name, "tether", metric.key);
        // Absent contenders (no Python, a failed run) are skipped.
        for contender in contenders(run, workload) {
            let Some(vals) = values(run, workload.name, contender, metric.key) else {
                continue;
            };
            let ratio = match (contender, tether) {
                ("tether", _) | (_, None) => "".to_owned(),
                (_, Some(t)) => times(advantage(t, vals, metric.better)),
            };
            writeln!(
                md,
                "| {} | {} | {} | {} | {ratio} |",
                metric.label,
                label(contender),
                num(median(vals)),
                range(vals)
            )
            .unwrap();
        }
    }
    writeln!(md).unwrap();
}

/// The servers on both cores and the round trips between loops: what the
/// machine can and cannot show, the scaling from one loop to two, and a
/// table per workload.
fn render_many_loops(md: &mut String, run: &Run<'_>) {
    writeln!(md, "## Many loops\n").unwrap();
    writeln!(
        md,
        "tether's `LoopPool` runs one single-threaded loop per core; tokio's multi-threaded runtime shares its tasks among its workers, which steal from each other. **This machine has 2 cores, and the load client (a blocking thread per connection, in the harness process) runs on the same 2 cores as the server**: no server here has a core to itself, so two loops cannot double one loop's figure, and the rows compare how much each server does with the CPU time the client leaves it. In the tables, \"× 1 loop\" and \"× tokio mt\" are the medians of the per-round ratios of the row's figure to one tether loop's and to tokio multi-thread's, oriented so that above 1 the row is better (more requests, a lower p99).\n"
    )
    .unwrap();
    writeln!(
        md,
        "How the design carries to 16 or 64 cores cannot be measured here. **Per loop**, and written by no other core on a request's path: the thread, the poller and its timers, the ready queue and task list, the blocking pool, and, with `Spreading::ReusePort`, the listener (the kernel spreads connections over the loops' sockets). **Shared**, all in `tether-bridge`: each loop's live-connection count (one word per loop, packed side by side, so that eight loops' counts share a 64-byte cache line), the cursor where the next scan for a loop starts, the round-robin cursor of `spawn_next`, and each loop's injection queue, which other threads write when they hand that loop work. **What would contend**: in either mode, every accepted connection does a compare-exchange on its loop's count and a store to the scan cursor, and its end a `fetch_sub` on the count, so at many loops and a high accept rate these lines move between cores (the cursor among all of them, a count's line among the eight loops that share it). With `Spreading::LeastLoaded`, the one acceptor also caps the accept rate at one core's, reads every loop's count and queue levels for each connection (at 64 loops, lines that the other 63 loops write), and hands each socket over through the target's injection queue. No lock is taken per task, per wake or per request on a loop's own path; work another thread sends a loop takes its injection queue's lock for a few instructions, and the connection counts' lock is taken only when a loop is at its cap; past the accept, a connection's requests touch nothing another core writes, unless the program sends work between loops. `docs/design.md` (\"Many loops: the pool\") has the long form, and reads the figures of one run: where the pool is ahead, where it is behind, and why.\n"
    )
    .unwrap();
    let two_cores: Vec<&Workload> = run
        .workloads
        .iter()
        .copied()
        .filter(|w| w.group == Group::TwoCores && run.results.contains_key(w.name))
        .collect();
    if !two_cores.is_empty() {
        writeln!(
            md,
            "| one loop → two | reuse port | least loaded | tokio: current-thread → 2 workers |"
        )
        .unwrap();
        writeln!(md, "|---|---:|---:|---:|").unwrap();
        for workload in &two_cores {
            let metric = &workload.metrics[0];
            let scaling = |from: &str, to: &str| match (
                values(run, workload.name, from, metric.key),
                values(run, workload.name, to, metric.key),
            ) {
                (Some(from), Some(to)) => times(advantage(to, from, metric.better)) + "×",
                _ => "–".to_owned(),
            };
            writeln!(
                md,
                "| {} ({}) | {} | {} | {} |",
                workload.name,
                metric.label,
                scaling("tether", crate::workloads::POOL_REUSE_PORT),
                scaling("tether", crate::workloads::POOL_LEAST_LOADED),
                scaling("tokio", TOKIO_MULTI_THREAD),
            )
            .unwrap();
        }
        writeln!(md).unwrap();
    }
    for workload in run.workloads.iter().copied() {
        match workload.group {
            Group::OneLoop => {}
            Group::BetweenLoops => render_against_tether(md, run, workload),
            Group::TwoCores => render_two_cores(md, run, workload),
        }
    }
}

/// A [`Group::TwoCores`] workload's table: each row against one tether
/// loop and against tokio's multi-threaded runtime.
fn render_two_cores(md: &mut String, run: &Run<'_>, workload: &Workload) {
    if !heading(md, run, workload) {
        return;
    }
    writeln!(
        md,
        "| metric | server | median | min–max | × 1 loop | × tokio mt |"
    )
    .unwrap();
    writeln!(md, "|---|---|---:|---:|---:|---:|").unwrap();
    for metric in workload.metrics {
        for contender in contenders(run, workload) {
            let Some(vals) = values(run, workload.name, contender, metric.key) else {
                continue;
            };
            let against = |reference: &str| match values(run, workload.name, reference, metric.key)
            {
                Some(r) if reference != contender => times(advantage(vals, r, metric.better)),
                _ => "".to_owned(),
            };
            writeln!(
                md,
                "| {} | {} | {} | {} | {} | {} |",
                metric.label,
                label(contender),
                num(median(vals)),
                range(vals),
                against("tether"),
                against(TOKIO_MULTI_THREAD)
            )
            .unwrap();
        }
    }
    writeln!(md).unwrap();
}

fn render_targets(md: &mut String, run: &Run<'_>) {
    writeln!(md, "## Targets\n").unwrap();
    writeln!(md, "| target | where tether stands | met |").unwrap();
    writeln!(md, "|---|---|---|").unwrap();
    let mark = |met: bool| if met { "yes" } else { "**no**" };
    // At least as fast as both peers on every one-loop workload, in every
    // speed.
    for workload in run.workloads.iter().filter(|w| w.group == Group::OneLoop) {
        for metric in workload.metrics.iter().filter(|m| m.speed) {
            let Some(tether) = values(run, workload.name, "tether", metric.key) else {
                continue;
            };
            let mut parts = Vec::new();
            let mut met = true;
            for peer in ["tokio", "smol"] {
                if let Some(p) = values(run, workload.name, peer, metric.key) {
                    // Speeds are scored, so there is a ratio.
                    let a = advantage(tether, p, metric.better).unwrap_or(f64::NAN);
                    met &= a >= 1.0;
                    parts.push(format!("{a:.2}× {peer}"));
                }
            }
            writeln!(
                md,
                "| {}: as fast as tokio and smol ({}) | {} | {} |",
                workload.name,
                metric.label,
                parts.join(", "),
                mark(met)
            )
            .unwrap();
        }
    }
    // The pool, with either way of spreading, against tokio's
    // multi-threaded runtime: at least its throughput, a p99 no worse.
    for workload in run.workloads.iter().filter(|w| w.group == Group::TwoCores) {
        let [rate, p99, ..] = workload.metrics else {
            continue;
        };
        for pool in [
            crate::workloads::POOL_REUSE_PORT,
            crate::workloads::POOL_LEAST_LOADED,
        ] {
            let of = |contender, key| values(run, workload.name, contender, key);
            let (Some(r), Some(tr), Some(p), Some(tp)) = (
                of(pool, rate.key),
                of(TOKIO_MULTI_THREAD, rate.key),
                of(pool, p99.key),
                of(TOKIO_MULTI_THREAD, p99.key),
            ) else {
                continue;
            };
            let score = |t, p, better| advantage(t, p, better).unwrap_or(f64::NAN);
            let (faster, quicker) = (score(r, tr, rate.better), score(p, tp, p99.better));
            writeln!(
                md,
                "| {}, {}: at least tokio multi-thread's {}, with a p99 no worse | {faster:.2}× its {}; p99 {} vs {} µs | {} |",
                workload.name,
                label(pool),
                rate.label,
                rate.label,
                num(median(p)),
                num(median(tp)),
                mark(faster >= 1.0 && quicker >= 1.0)
            )
            .unwrap();
        }
    }
    if let Some(tether) = values(run, "remote_callback", "tether", "ns_per_op") {
        let best = ["tokio", "smol"]
            .iter()
            .filter_map(|peer| values(run, "remote_callback", peer, "ns_per_op"))
            .filter_map(|p| advantage(tether, p, Better::Lower))
            .fold(f64::INFINITY, f64::min);
        if best.is_finite() {
            writeln!(
                md,
                "| remote_callback: at least 2× the faster peer's throughput | {best:.2}× the faster peer | {} |",
                mark(best >= 2.0)
            )
            .unwrap();
        }
    }
    if let (Some(t), Some(s)) = (
        values(run, "idle_tasks", "tether", "bytes_per_task"),
        values(run, "idle_tasks", "smol", "bytes_per_task"),
    ) {
        let (t, s) = (median(t), median(s));
        writeln!(
            md,
            "| idle memory per task no more than smol's | {} vs {} bytes | {} |",
            num(t),
            num(s),
            mark(t <= s)
        )
        .unwrap();
    }
    if let Some((prints, allowed)) = run.footprints {
        let find = |program: &str, runtime: &str| {
            prints
                .iter()
                .find(|p| p.program == program && p.runtime == runtime)
        };
        for (program, what) in [
            ("hello", "hello-world"),
            ("echo", "echo server"),
            ("hyper", "hyper server"),
        ] {
            let (Some(t), Some(k), Some(s)) = (
                find(program, "tether"),
                find(program, "tokio"),
                find(program, "smol"),
            ) else {
                continue;
            };
            writeln!(
                md,
                "| {what} binary smaller than both | {} KB vs tokio {} KB, smol {} KB | {} |",
                t.binary_bytes / 1000,
                k.binary_bytes / 1000,
                s.binary_bytes / 1000,
                mark(t.binary_bytes < k.binary_bytes && t.binary_bytes < s.binary_bytes)
            )
            .unwrap();
        }
        let hello = |runtime| find("hello", runtime);
        if let (Some(t), Some(k), Some(s)) = (hello("tether"), hello("tokio"), hello("smol")) {
            writeln!(
                md,
                "| hello world: clean release build faster than both | {:.1} s vs tokio {:.1} s, smol {:.1} s | {} |",
                t.build_seconds,
                k.build_seconds,
                s.build_seconds,
                mark(t.build_seconds < k.build_seconds && t.build_seconds < s.build_seconds)
            )
            .unwrap();
            let extra: Vec<&str> = t
                .crates
                .iter()
                .filter(|c| !allowed.contains(*c))
                .map(String::as_str)
                .collect();
            writeln!(
                md,
                "| no crates beyond its runtime dependencies' trees and tether's own | {} crates; beyond those: {} | {} |",
                t.crates.len(),
                if extra.is_empty() { "none".to_owned() } else { extra.join(", ") },
                mark(extra.is_empty())
            )
            .unwrap();
        }
    }
    writeln!(md).unwrap();
}

fn render_footprint(md: &mut String, prints: &[Footprint], allowed: &BTreeSet<String>) {
    writeln!(md, "## Footprint\n").unwrap();
    writeln!(
        md,
        "Three programs on each runtime (`benches/compare/footprint/`), each built as its own project from clean (`strip = true`, otherwise the default release profile; dependencies fetched before the clock starts; one build each, not interleaved rounds), then run to see that it works: `hello` sleeps 1 ms and prints hello; `echo` is a TCP echo server, a task per connection; `hyper` is hyper 1.x's HTTP/1.1 server answering hello, a task per connection, with the runtime's timer. tokio is set up by hand with only the features each program needs (`rt` and `time`; `rt`, `net` and `io-util`; `rt`, `net` and `time` with `hyper-util`'s adapter), as `#[tokio::main]` would add the macro crates; tether the same way (`net`, its sockets, in the two servers; `futures`, the futures ecosystem's traits, only in the hyper server, whose glue (`examples/hyper_server/on_tether.rs`) writes through them); smol's programs use the `smol` crate, which has no features to turn off, and its hyper server the glue a smol user writes (`on_smol.rs`). Each server runs on one thread, as its speed workloads do: tokio's current-thread runtime, tether's loop, a smol `LocalExecutor` that `block_on` runs (not `smol::spawn`, whose global executor starts a thread of its own). Where hello world's bytes and build time go, and how that is measured (`cargo bloat`, the linker's map, `cargo build --timings`): `docs/design.md`, \"Footprint\".\n"
    )
    .unwrap();
    writeln!(
        md,
        "| program | runtime | binary (stripped) | crates in the tree | clean build |"
    )
    .unwrap();
    writeln!(md, "|---|---|---:|---:|---:|").unwrap();
    for p in prints {
        writeln!(
            md,
            "| {} | {} | {} KB | {} | {:.1} s |",
            p.program,
            p.runtime,
            p.binary_bytes / 1000,
            p.crates.len(),
            p.build_seconds
        )
        .unwrap();
    }
    for p in prints.iter().filter(|p| p.program == "hello") {
        writeln!(
            md,
            "\nThe tree of {}'s hello world: {}.",
            p.runtime,
            p.crates.iter().cloned().collect::<Vec<_>>().join(", ")
        )
        .unwrap();
    }
    writeln!(
        md,
        "\ntether's runtime dependencies' trees and its own crates: {}.\n",
        allowed.iter().cloned().collect::<Vec<_>>().join(", ")
    )
    .unwrap();
}
