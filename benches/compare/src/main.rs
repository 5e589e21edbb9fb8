//! The comparison harness: the same workloads on tether, tokio's
//! current-thread runtime and smol, with asyncio and uvloop as reference
//! rows, and servers on both cores (tether's `LoopPool` against tokio's
//! multi-threaded runtime), each run in a fresh process, in interleaved
//! rounds; it writes `benches/RESULTS.md`.
//!
//! ```text
//! cargo run --release -p tether-compare                    # 5 rounds, everything
//! cargo run --release -p tether-compare -- --rounds 7
//! cargo run --release -p tether-compare -- --only ping_pong,timers --quick
//! cargo run --release -p tether-compare -- --only pool_tcp_echo_50,pool_http_50,cross_loop
//! cargo run --release -p tether-compare -- --no-footprint --no-python
//! cargo run --release -p tether-compare -- --out /tmp/results.md
//! ```
//!
//! Why it is built this way: the speed of a small shared machine (see the
//! machine line of `benches/RESULTS.md`) can drift within seconds, so every round runs each workload on every
//! contender in turn (A B C A B C …) and the report gives medians with
//! min–max, and, for each peer, the median of the per-round ratios to
//! tether; each run gets a fresh process, so that one runtime's heap or
//! threads never weigh on another's figures, and peak RSS is that run's
//! own.

#![deny(missing_docs)]

mod common;
mod contenders;
mod echo;
mod footprint;
mod http;
mod report;
mod workloads;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use workloads::{Client, Sizes, WORKLOADS, Workload};

/// Every figure, by workload, then contender, then metric, one value per
/// round, in round order: NaN for a round whose run failed.
pub(crate) type Results = BTreeMap<&'static str, BTreeMap<String, BTreeMap<String, Vec<f64>>>>;

struct Options {
    rounds: usize,
    quick: bool,
    only: Option<Vec<String>>,
    footprint: bool,
    python: bool,
    out: PathBuf,
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the workspace root")
}

fn parse_options() -> Options {
    let mut options = Options {
        rounds: 5,
        quick: false,
        only: None,
        footprint: true,
        python: true,
        out: workspace_root().join("benches/RESULTS.md"),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--rounds" => {
                options.rounds = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|&n| n > 0)
                    .expect("--rounds takes a positive number")
            }
            "--quick" => options.quick = true,
            "--only" => {
                let names: Vec<String> = args
                    .next()
                    .expect("--only takes workload names, comma-separated")
                    .split(',')
                    .map(str::to_owned)
                    .collect();
                for name in &names {
                    assert!(
                        WORKLOADS.iter().any(|w| w.name == name),
                        "no workload {name}; there are: {}",
                        WORKLOADS
                            .iter()
                            .map(|w| w.name)
                            .collect::<Vec<_>>()
                            .join(", ")
                    );
                }
                options.only = Some(names);
            }
            "--no-footprint" => options.footprint = false,
            "--no-python" => options.python = false,
            "--out" => options.out = args.next().expect("--out takes a path").into(),
            other => {
                panic!("unknown argument {other} (see the top of benches/compare/src/main.rs)")
            }
        }
    }
    options
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("worker") {
        let n = args[4].parse().expect("a size");
        workloads::run_worker(&args[2], &args[3], n);
        // Background loop threads of the peers are left running: the
        // process ends here.
        std::process::exit(0);
    }
    let options = parse_options();
    let sizes = Sizes::new(options.quick);
    let root = workspace_root();
    let python = if options.python {
        report::python_setup(&root)
    } else {
        report::Python::skipped("--no-python")
    };
    let wrk = http::wrk_available();
    let selected: Vec<&Workload> = WORKLOADS
        .iter()
        .filter(|w| {
            options
                .only
                .as_ref()
                .is_none_or(|only| only.iter().any(|n| n == w.name))
        })
        .filter(|w| {
            let runs = wrk || !matches!(w.client, Some(Client::Wrk(_)));
            if !runs {
                eprintln!("{}: skipped, `wrk` is not installed", w.name);
            }
            runs
        })
        .collect();

    let load_before = report::load_average();
    let code = report::code_version(&root);
    let mut results = Results::new();
    for round in 1..=options.rounds {
        eprintln!("round {round} of {}", options.rounds);
        for workload in &selected {
            let mut contenders: Vec<&str> = workload.group.contenders().to_vec();
            if workload.python {
                contenders.extend(python.loops.iter().map(String::as_str));
            }
            for contender in contenders {
                let outcome = run_one(&root, workload, contender, &sizes);
                let entry = results
                    .entry(workload.name)
                    .or_default()
                    .entry(contender.to_owned())
                    .or_default();
                match outcome {
                    Ok(metrics) => {
                        for (key, value) in metrics {
                            entry.entry(key).or_default().push(value);
                        }
                        eprintln!("  {:<17} {contender:<17} done", workload.name);
                    }
                    Err(e) => {
                        // NaN in this round's place, so that every list
                        // keeps one figure per round and the report pairs
                        // each round's runs, not the n-th successes.
                        for metric in workload.metrics {
                            entry
                                .entry(metric.key.to_owned())
                                .or_default()
                                .push(f64::NAN);
                        }
                        eprintln!("  {:<17} {contender:<17} FAILED: {e}", workload.name);
                    }
                }
            }
        }
    }

    let load_after = report::load_average();
    let footprints = options.footprint.then(|| {
        eprintln!("footprint: building hello world, an echo server and a hyper server on each runtime, from clean");
        let work = root.join("target/compare/footprint");
        let prints = footprint::measure(&root, &work);
        let allowed = report::allowed_crates(&footprint::project(&work, "hello", "tether"));
        (prints, allowed)
    });

    let text = report::render(&report::Run {
        options_line: std::env::args().skip(1).collect::<Vec<_>>().join(" "),
        rounds: options.rounds,
        quick: options.quick,
        load: [load_before, load_after],
        code,
        results: &results,
        workloads: &selected,
        python: &python,
        footprints: footprints.as_ref(),
    });
    std::fs::write(&options.out, &text).expect("write the results");
    println!("{text}");
    eprintln!("written to {}", options.out.display());
}

/// Runs one workload on one contender in a fresh process; returns its
/// metrics.
fn run_one(
    root: &Path,
    workload: &Workload,
    contender: &str,
    sizes: &Sizes,
) -> Result<Vec<(String, f64)>, String> {
    let size = sizes.of(workload.name);
    let mut command = if workload.group.contenders().contains(&contender) {
        let mut command = Command::new(std::env::current_exe().unwrap());
        command.args(["worker", workload.name, contender, &size.to_string()]);
        command
    } else {
        let mut command = Command::new("python3");
        command.arg(root.join("benches/compare_asyncio.py")).args([
            workload.name,
            contender,
            &size.to_string(),
        ]);
        command
    };
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot start the worker: {e}"))?;
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    let mut metrics = Vec::new();
    if let Some(client) = workload.client {
        // The server tells where it listens; the harness's client does the
        // measuring; closing the connections ends the server.
        stdout.read_line(&mut line).map_err(|e| e.to_string())?;
        let addr = line
            .trim()
            .strip_prefix("addr=")
            .and_then(|a| a.parse().ok())
            .ok_or_else(|| format!("the server said {line:?}, not addr=..."))?;
        let seconds = sizes.echo_seconds;
        let (rate, per_second, p99_us) = match client {
            Client::Echo(conns) => {
                let measured = echo::run_client(addr, conns, seconds);
                metrics.push(("p50_us".to_owned(), measured.p50_us));
                ("trips_per_s", measured.per_second, measured.p99_us)
            }
            Client::Http(conns) => {
                let measured = http::run_client(addr, conns, seconds);
                metrics.push(("p50_us".to_owned(), measured.p50_us));
                ("requests_per_s", measured.per_second, measured.p99_us)
            }
            Client::Wrk(conns) => {
                // Whole seconds, as `wrk` takes them: twice the other
                // clients' time, since `wrk` warms up its connections.
                let seconds = (2.0 * seconds).round().max(1.0) as u32;
                let result = http::run_wrk(addr, conns, seconds);
                // On failure the server may wait for connections that
                // never came: end it.
                let (per_second, p99_us) = result.inspect_err(|_| drop(child.kill()))?;
                ("requests_per_s", per_second, p99_us)
            }
        };
        metrics.push((rate.to_owned(), per_second));
        metrics.push(("p99_us".to_owned(), p99_us));
        line.clear();
    }
    stdout.read_line(&mut line).map_err(|e| e.to_string())?;
    let status = child.wait().map_err(|e| e.to_string())?;
    if !status.success() {
        return Err(format!("the worker exited with {status}"));
    }
    for pair in line.split_whitespace() {
        let (key, value) = pair
            .split_once('=')
            .ok_or_else(|| format!("cannot read {pair:?}"))?;
        let value = value.parse().map_err(|_| format!("cannot read {pair:?}"))?;
        metrics.push((key.to_owned(), value));
    }
    if metrics.is_empty() {
        return Err("the worker reported nothing".to_owned());
    }
    Ok(metrics)
}
