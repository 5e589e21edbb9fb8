//! Selects a seeded bug for `loom-tests/mutants.sh`.
//!
//! `TETHER_MUTANT=<name>` compiles this crate with
//! `cfg(tether_mutant = "<name>")`, which swaps one line of a protocol for a
//! realistic bug (grep for `MUTANT:`), so that the loom models can show they
//! catch it. It only takes effect in a checker's build (`--cfg loom` for
//! the loom models, `--cfg shuttle` for the shuttle tests,
//! `--cfg tether_histories` for the history checks): a stray variable can
//! never change the runtime people ship. Going through the
//! environment rather than `RUSTFLAGS` lets cargo rebuild just this crate
//! and its dependents for each mutant, instead of the whole dependency tree.

fn main() {
    println!("cargo::rerun-if-env-changed=TETHER_MUTANT");
    let Ok(mutant) = std::env::var("TETHER_MUTANT") else {
        return;
    };
    let checker = [
        "CARGO_CFG_LOOM",
        "CARGO_CFG_SHUTTLE",
        "CARGO_CFG_TETHER_HISTORIES",
    ]
    .iter()
    .any(|cfg| std::env::var_os(cfg).is_some());
    if mutant.is_empty() || !checker {
        return;
    }
    println!("cargo::rustc-cfg=tether_mutant=\"{mutant}\"");
    println!("cargo::warning=tether-bridge built with the seeded bug `{mutant}`");
}
