#!/usr/bin/env bash
# Checks that every public item of every crate is shown by an example that
# runs (CI runs them as doctests): every type, trait and module has its own,
# and so does every function unless it links to the example that shows it
# (the rule is spelled out in doc_examples.py).
#
# Reads rustdoc's JSON output, which only the nightly toolchain writes, so
# this is a script and not part of .ci/run. Prints each item that breaks
# the rule and exits 1 if there is one. Every feature is on, so that the
# items behind `signal` and `process` are checked too.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR=target/doc-json
for package in tether-bridge tether-reactor tether-executor tether; do
    cargo +nightly rustdoc -q -p "$package" --all-features --lib -- -Z unstable-options --output-format json
done
python3 scripts/doc_examples.py "$CARGO_TARGET_DIR/doc"
