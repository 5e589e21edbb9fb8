//! Selects a seeded bug for `loom-tests/mutants.sh`.
//!
//! `TETHER_MUTANT=<name>` compiles this crate with
//! `cfg(tether_mutant = "<name>")`, which swaps one line of a protocol for a
//! realistic bug (grep for `MUTANT:`), so that the loom models can show they
//! catch it. It only takes effect in a loom build (`--cfg loom`): a stray
//! variable can never change the runtime people ship. Going through the
//! environment rather than `RUSTFLAGS` lets cargo rebuild just this crate
//! and its dependents for each mutant, instead of the whole dependency tree.

fn main() {
    println!("cargo::rerun-if-env-changed=TETHER_MUTANT");
    let Ok(mutant) = std::env::var("TETHER_MUTANT") else {
        return;
    };
    if mutant.is_empty() || std::env::var_os("CARGO_CFG_LOOM").is_none() {
        return;
    }
    println!("cargo::rustc-cfg=tether_mutant=\"{mutant}\"");
    println!("cargo::warning=tether-bridge built with the seeded bug `{mutant}`");
}
