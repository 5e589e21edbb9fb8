#!/usr/bin/env bash
# Runs tether's unsafe code under Miri, with Stacked Borrows and then with
# Tree Borrows.
#
# The executor's `unsafe` is in executor/src/task/raw.rs (the task
# allocation, its vtable, the hand-made waker) and in
# executor/src/core/remote_call.rs (a callback's closure kept in place,
# whose unit tests drive every path through it). tests/unsafe_paths.rs
# drives every path through raw.rs, through the thread-local pointers to
# the current loop and reactor (executor/src/core/context.rs,
# reactor/src/reactor.rs), and through the pin projection of the
# reactor's `Timeout` (reactor/src/time/timeout.rs), without blocking in
# the poller, which Miri cannot do: it has no `timerfd_create` (polling's
# epoll backend) and no `ppoll` (its poll backend). The poll backend is
# chosen below because creating it needs nothing Miri lacks.
#
# Not covered: behind `signal` and `process`, which are not built here,
# the `sigaction`, signal-mask, `kill`/`pidfd_send_signal` and `pre_exec`
# code of `signal/` and `process/`; and the reactor's other `unsafe` code
# (`source.rs`, `source_table.rs`, `async_fd.rs`, `wakeup/eventfd.rs`),
# which promises the OS that a registered fd outlives its registration
# (`Poller::add_with_mode`, `BorrowedFd::borrow_raw`). It touches no
# memory Miri could check; under the poll backend chosen below the wakeup
# is `Poller::notify`, not the eventfd, and every test that registers a
# source blocks in the poller. The reactor's unit tests check the promise
# on real descriptors. Nor the `hyper_server` example's read into hyper's
# uninitialized buffer (`examples/hyper_server/on_tether.rs`), which runs
# only over real sockets; tether's side of it, `poll_read_uninit`, is safe
# code over rustix's `recv`.
# tether-bridge forbids `unsafe`.
#
# Needs the nightly toolchain's miri and rust-src components, which it
# installs if they are missing. Not part of .ci/run, since another machine
# may not be able to install them.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! cargo +nightly miri --version >/dev/null 2>&1; then
    rustup component add --toolchain nightly miri rust-src
fi

export RUSTFLAGS="--cfg polling_test_poll_backend"
for borrows in "stacked" "tree"; do
    flags=""
    [[ $borrows == tree ]] && flags="-Zmiri-tree-borrows"
    printf '\n==> Miri, %s borrows: tests/unsafe_paths.rs\n' "$borrows"
    MIRIFLAGS="$flags" cargo +nightly miri test --test unsafe_paths
    printf '\n==> Miri, %s borrows: executor/src/core/remote_call.rs\n' "$borrows"
    MIRIFLAGS="$flags" cargo +nightly miri test -p tether-executor --lib core::remote_call
done
printf '\nMiri found no undefined behaviour.\n'
