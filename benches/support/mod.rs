//! What the benchmarks share: a recorder that keeps every sample criterion
//! takes, so that every entry can be given its ratio to a baseline entry
//! (tether in `micro.rs`, `poller_notify` in `wakeup.rs`), computed from
//! the same samples.

#![allow(dead_code, reason = "each bench binary uses a part")]

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

/// One entry's per-iteration times in nanoseconds, in the order taken.
type Times = (String, Vec<f64>);

/// Every group's entries, in the order the group ran them.
static SAMPLES: Mutex<BTreeMap<String, Vec<Times>>> = Mutex::new(BTreeMap::new());

/// Records one sample of `iters` iterations taking `elapsed`, and returns
/// `elapsed` for criterion.
pub(crate) fn record(group: &str, runtime: &str, iters: u64, elapsed: Duration) -> Duration {
    let per_iter = elapsed.as_nanos() as f64 / iters as f64;
    let mut samples = SAMPLES.lock().unwrap();
    let runtimes = samples.entry(group.to_owned()).or_default();
    match runtimes.iter_mut().find(|(name, _)| name == runtime) {
        Some((_, times)) => times.push(per_iter),
        None => runtimes.push((runtime.to_owned(), vec![per_iter])),
    }
    elapsed
}

fn median(times: &mut [f64]) -> f64 {
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

/// Prints, for every group, each entry's median time per iteration and its
/// ratio to the `baseline` entry's (above 1: slower than the baseline).
pub(crate) fn print_ratios(baseline: &str, notes: &[(&str, &str)]) {
    let mut samples = SAMPLES.lock().unwrap();
    let ratio_header = format!("ratio to {baseline}");
    println!(
        "\n{:<28} {:<16} {:>14} {:>18}",
        "group", "entry", "median ns/iter", ratio_header
    );
    for (group, runtimes) in samples.iter_mut() {
        let base = runtimes
            .iter_mut()
            .find(|(name, _)| name == baseline)
            .map(|(_, times)| median(times));
        for (runtime, times) in runtimes.iter_mut() {
            let m = median(times);
            let ratio = base.map_or(String::from("-"), |b| format!("{:.2}", m / b));
            println!("{group:<28} {runtime:<16} {m:>14.1} {ratio:>18}");
        }
    }
    for (what, note) in notes {
        println!("note: {what}: {note}");
    }
}
