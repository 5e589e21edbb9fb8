#!/usr/bin/env bash
# The hello-world size guard: builds the footprint run's tether program
# (benches/compare/footprint/hello_tether.rs, which sleeps 1 ms and prints hello)
# as its own project, the way `benches/compare` does (the default release
# profile with `strip = true`, tether without its default features), and
# prints its stripped size. It fails if the binary grew past the figure
# recorded below plus the margin, when built by the rustc the figure was
# taken with; another toolchain lays out std differently, so there it only
# prints the size.
#
# When a change grows the binary on purpose, measure it (the footprint run
# of `cargo run --release -p tether-compare`, `cargo bloat` on this
# project), say why in the commit, and record the new figure here.
set -euo pipefail
cd "$(dirname "$0")/.."

# Recorded with this rustc, and the margin a build may grow by before
# the guard fails: about 1 %, which the dependencies' own patch releases
# can move a fresh resolve by. The figure also moves a little with the
# length of the checkout's path, which the binary's panic locations hold
# (32 bytes less in a checkout whose path is 2 bytes shorter).
recorded_bytes=450768
recorded_rustc="rustc 1.95.0"
margin_bytes=4096

root=$(pwd)
dir=target/size-guard
rm -rf "$dir/src" "$dir/Cargo.toml"
mkdir -p "$dir/src"
cp benches/compare/footprint/hello_tether.rs "$dir/src/main.rs"
cat > "$dir/Cargo.toml" <<TOML
[package]
name = "hello"
version = "0.1.0"
edition = "2024"

[dependencies]
tether = { path = "$root", default-features = false }

[profile.release]
strip = true

# Not part of the workspace around it.
[workspace]
TOML

# The project's own target directory and flags, as a user's build would be.
(cd "$dir" && env -u RUSTFLAGS CARGO_TARGET_DIR=target cargo build --release --quiet)
binary="$dir/target/release/hello"
[[ "$("$binary")" == "hello" ]] || { echo "size guard: hello world did not say hello" >&2; exit 1; }

bytes=$(stat -c %s "$binary")
rustc=$(rustc --version | cut -d' ' -f1-2)
limit=$((recorded_bytes + margin_bytes))
echo "hello world, stripped: $bytes bytes ($rustc; recorded $recorded_bytes with $recorded_rustc, limit $limit)"
if [[ "$rustc" != "$recorded_rustc" ]]; then
    echo "size guard: a different toolchain; the figure is not compared"
elif (( bytes > limit )); then
    echo "size guard: the binary grew by $((bytes - recorded_bytes)) bytes, past the $margin_bytes-byte margin" >&2
    exit 1
fi
