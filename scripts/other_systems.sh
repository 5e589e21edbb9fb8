#!/usr/bin/env bash
# Checks that tether builds for the Unix systems it supports but does not
# test: macOS and FreeBSD, with every feature and with none of the
# default ones. CI runs on Linux only, where a module that stands in for a
# Linux-only one elsewhere (the pidfd backend's stub,
# reactor/src/process/watch/no_pidfd.rs, say) is never compiled.
#
# A type check, not a build: nothing is linked or run. It needs the
# nightly toolchain with its `rust-src` component, since the standard
# library of each target is checked from source (`-Zbuild-std`), so this
# is a script and not part of .ci/run. Each target's own target directory
# keeps a second run quick.
set -euo pipefail
cd "$(dirname "$0")/.."

for target in x86_64-apple-darwin x86_64-unknown-freebsd; do
    for features in --all-features --no-default-features; do
        echo "==> $target $features"
        CARGO_TARGET_DIR="target/other-systems/$target" \
            cargo +nightly check -Zbuild-std --target "$target" --workspace --lib $features
    done
done
echo "other systems: every check passed"
