#!/usr/bin/env bash
# Shows that the loom models and the history checks catch the bugs they
# are meant to catch.
#
# Each seeded bug ("mutant") is a realistic mistake in tether's own code
# (the bridge's or the executor's), behind `cfg(tether_mutant = "<name>")`
# (grep the sources for `MUTANT:`). bridge/build.rs turns
# `TETHER_MUTANT=<name>` into that cfg in a loom build, so each bridge
# mutant rebuilds only tether-bridge and what depends on it.
# A row whose model is `histories:<name>` is a history check instead
# (tests/histories.rs, the test whose name has <name>), built without loom
# and with `--cfg tether_histories`, which lets the seeded bug in, in its
# own target directory; it runs HISTORY_SEEDS seeds (more than CI's), and
# stops at the first failure. A row whose model is `shuttle:<file>` runs
# that file under shuttle (`--cfg shuttle`, its own target directory):
# tests/shuttle.rs, or a loom model, which a shuttle build runs under
# shuttle's random scheduler (tests/runtime.rs: random, then PCT). A row
# whose model is `loom-executor:<file>`
# or `shuttle-executor:<file>` is a seeded bug in the executor
# (`executor/src`, which has no build script), run under loom or shuttle:
# it is turned on through RUSTFLAGS, which rebuilds the runtime in a
# target directory of its own for each such mutant.
#
# The script first requires the unmutated suite to pass, then builds each
# mutant and requires its model to FAIL, and prints a table: model, mutant,
# caught or not, time, and the first failure its check reported (loom's,
# shuttle's or the history checker's). It exits non-zero if the suite
# fails unmutated, if the table and the sources' mutants disagree, if a
# mutant does not build or times out, or if a mutant survives.
#
#     loom-tests/mutants.sh                 # every mutant
#     loom-tests/mutants.sh task_late_clear # only the ones named
#
# It takes a few minutes on a 2-core machine; it is not part of .ci/run.
set -uo pipefail
cd "$(dirname "$0")/.."

export RUSTFLAGS="--cfg loom"
export CARGO_TARGET_DIR=target/loom
# Each model runs at its own bound (see its header), as in CI.
unset LOOM_MAX_PREEMPTIONS TETHER_MUTANT

# model (a file in loom-tests/tests) and the mutant it must catch. A mutant
# may appear under several models; each row is checked on its own.
ROWS=(
    "inject inject_park_store"
    "inject inject_notify_always"
    "inject inject_len_before_swap"
    "inject inject_close_after_drain"
    "inject inject_unpark_as_notify"
    "queue inject_push_after_close"
    "runtime inject_close_after_drain"
    "runtime inject_park_store"
    "runtime inject_unpark_as_notify"
    "runtime task_late_clear"
    "runtime task_cancel_load_store"
    "runtime completion_notify_before_store"
    "runtime completion_wake_only_if_blocked"
    "runtime pool_shutdown_no_wake"
    "runtime signal_wake_before_count"
    "task_state task_late_clear"
    "task_state task_submit_while_running"
    "task_state task_wake_no_publish"
    "task_state task_remote_wake_marks_running"
    "task_state task_ref_dec_no_fence"
    "task_state task_cancel_load_store"
    "completion completion_notify_before_store"
    "completion completion_cancel_two_locks"
    "completion completion_wake_only_if_blocked"
    "completion completion_check_then_store"
    "blocking pool_uncounted_sleeper"
    "blocking pool_exit_ignores_notified"
    "blocking pool_shutdown_no_wake"
    "spread spread_check_then_add"
    "spread spread_no_rescan"
    "signal signal_unsubscribe_no_wait"
    "signal signal_decide_on_load"
    "signal signal_wake_before_count"
    "signal signal_reuse_no_reset"
    "histories:injection_queue inject_push_after_close"
    "histories:injection_queue inject_close_after_drain"
    "histories:completion_cell completion_check_then_store"
    "histories:completion_cell completion_cancel_two_locks"
    "shuttle:shuttle inject_park_store"
    "shuttle:shuttle inject_len_before_swap"
    "shuttle:shuttle inject_close_after_drain"
    "shuttle:shuttle inject_push_after_close"
    "shuttle:completion completion_check_then_store"
    "shuttle:task_state task_late_clear"
    "shuttle:shuttle task_late_clear"
    "shuttle:shuttle task_submit_while_running"
    "shuttle:shuttle spread_check_then_add"
    "shuttle:shuttle spread_no_rescan"
    "shuttle:runtime inject_unpark_as_notify"
    "shuttle:runtime inject_close_after_drain"
    "shuttle:runtime pool_shutdown_no_wake"
    "loom-executor:runtime shutdown_loses_close_batch"
    "loom-executor:runtime finish_publish_before_drop"
    "loom-executor:runtime shutdown_skips_late_stop_callbacks"
    "loom-executor:runtime park_forgets_timers"
    "shuttle-executor:runtime shutdown_loses_close_batch"
    "shuttle-executor:runtime finish_publish_before_drop"
    "shuttle-executor:runtime park_forgets_timers"
)
# Seeds for a history check under a mutant: the races it needs are rare on
# real threads, so it runs far more than CI's 300.
export HISTORY_SEEDS=${HISTORY_SEEDS:-20000}
# A run that takes longer than this has not caught its mutant.
LIMIT=600

cargo_test() {
    cargo test --quiet -p tether-loom-tests --release "$@"
}

# One row's test: `row_test <model> [cargo test's options]`.
row_test() {
    local model=$1
    shift
    if [[ $model == loom-executor:* ]]; then
        RUSTFLAGS="--cfg loom --cfg tether_mutant=\"$TETHER_MUTANT\"" \
            CARGO_TARGET_DIR=target/loom-mutant \
            cargo test --quiet -p tether-loom-tests --release --test "${model#loom-executor:}" "$@"
    elif [[ $model == shuttle-executor:* ]]; then
        RUSTFLAGS="--cfg shuttle --cfg tether_mutant=\"$TETHER_MUTANT\"" \
            CARGO_TARGET_DIR=target/shuttle-mutant \
            cargo test --quiet -p tether-loom-tests --release --test "${model#shuttle-executor:}" "$@"
    elif [[ $model == shuttle:* ]]; then
        RUSTFLAGS="--cfg shuttle" CARGO_TARGET_DIR=target/shuttle \
            cargo test --quiet -p tether-loom-tests --release --test "${model#shuttle:}" "$@"
    elif [[ $model == histories:* ]]; then
        RUSTFLAGS="--cfg tether_histories" CARGO_TARGET_DIR=target/histories \
            TETHER_HISTORY_SEEDS=$HISTORY_SEEDS \
            cargo test --quiet -p tether-loom-tests --release --test histories "${model#histories:}" "$@"
    else
        cargo_test --test "$model" "$@"
    fi
}

# Every mutant in the sources must be in the table, and the reverse.
in_sources=$(grep -rhoE 'tether_mutant = "[a-z_]+"' bridge/src executor/src | sed -E 's/.*"(.*)"/\1/' | sort -u)
in_table=$(printf '%s\n' "${ROWS[@]}" | awk '{print $2}' | sort -u)
if [[ "$in_sources" != "$in_table" ]]; then
    echo "mutants.sh: the table and the sources disagree:" >&2
    diff <(echo "$in_sources") <(echo "$in_table") | sed 's/^</  only in the sources:/; s/^>/  only in this table:/' >&2
    exit 1
fi

selected=("$@")
wanted() {
    [[ ${#selected[@]} -eq 0 ]] && return 0
    local name
    for name in "${selected[@]}"; do [[ "$name" == "$1" ]] && return 0; done
    return 1
}

log=$(mktemp)
trap 'rm -f "$log"' EXIT

echo "==> the unmutated suite must pass"
start=$SECONDS
if ! cargo_test >"$log" 2>&1 ||
    ! RUSTFLAGS="--cfg tether_histories" CARGO_TARGET_DIR=target/histories \
        cargo_test --test histories >>"$log" 2>&1 ||
    ! RUSTFLAGS="--cfg shuttle" CARGO_TARGET_DIR=target/shuttle cargo_test >>"$log" 2>&1; then
    cat "$log"
    echo "mutants.sh: the unmutated suite fails; fix that first" >&2
    exit 1
fi
echo "    passed in $((SECONDS - start)) s"

printf '\n%-27s %-35s %-12s %6s  %s\n' model mutant result time "first failure"
printf '%-27s %-35s %-12s %6s  %s\n' ----- ------ ------ ---- -------------
survivors=0
for row in "${ROWS[@]}"; do
    read -r test mutant <<<"$row"
    wanted "$mutant" || continue
    if ! TETHER_MUTANT=$mutant row_test "$test" --no-run >"$log" 2>&1; then
        cat "$log"
        printf '%-27s %-35s %-12s\n' "$test" "$mutant" "BUILD FAILED"
        survivors=$((survivors + 1))
        continue
    fi
    start=$SECONDS
    TETHER_MUTANT=$mutant timeout "$LIMIT" bash -c "$(declare -f cargo_test row_test); row_test $test" \
        >"$log" 2>&1
    status=$?
    elapsed=$((SECONDS - start))
    # The line after the first "panicked at": loom's verdict or the
    # model's assertion message.
    why=$(grep -m1 -A1 'panicked at' "$log" | tail -n1)
    why=${why%%; threads*}
    why=${why:0:70}
    if [[ $status -eq 124 ]]; then
        result="TIMED OUT"
        survivors=$((survivors + 1))
    elif [[ $status -eq 0 ]]; then
        result="SURVIVED"
        why=""
        survivors=$((survivors + 1))
    else
        result="caught"
    fi
    printf '%-27s %-35s %-12s %5ss  %s\n' "$test" "$mutant" "$result" "$elapsed" "$why"
done

echo
if [[ $survivors -gt 0 ]]; then
    echo "mutants.sh: $survivors mutant(s) not caught" >&2
    exit 1
fi
echo "every mutant caught"
