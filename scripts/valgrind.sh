#!/usr/bin/env bash
# Runs every test binary of the workspace (and the library's unit tests)
# under valgrind's memcheck: every unsafe block of the task, waker, syscall
# and queue layers is exercised there, and without nightly (no miri, no
# sanitizers) this is how leaks, double frees and use-after-free are
# caught. Fails on any error or definite/indirect leak.
#
# What is left to the normal run is in the tables below, each with its
# reason. Binaries run two at a time (valgrind runs one thread of a process
# at a time, so one process uses one core); a binary's output is shown when
# it fails. VALGRIND_JOBS sets how many run at once.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v valgrind >/dev/null; then
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq && apt-get install -y -qq valgrind >/dev/null
    else
        sudo apt-get update -qq && sudo apt-get install -y -qq valgrind >/dev/null
    fi
fi

# Whole binaries left out, and why.
declare -A excluded=(
    # trybuild compiles the tests/ui cases with cargo and rustc, children
    # valgrind does not trace; no guillotine code runs in the test itself.
    [ui]="compile-fail cases, run by rustc in children"
    # The example runs as a child process (not traced); the test only
    # drives it with std sockets and signals, after a cargo build of it.
    [graceful_shutdown]="the runtime runs in an untraced child"
    # cargo builds and runs a new crate: only children run guillotine.
    [seed_crate]="the runtime runs in an untraced child"
)

# Tests skipped per binary (`--skip` takes a substring), and why. Every
# binary also skips `without_spinning`: those assert CPU time (idleness,
# no spinning), which valgrind's emulation cannot reproduce.
declare -A skips=(
    # Real time: served within 500 ms while a worker is hogged for 1 s; the
    # emulation (and a second valgrind process) eats the margin.
    [rt_multi]="a_connection_on_a_stuck_worker_is_still_served"
    # Real time: the first tick after a stall of 5.5 periods must come on
    # its schedule; under valgrind it came late itself.
    [time_interval]="delay_restarts_the_schedule_from_the_late_tick"
    # Without pidfds (valgrind 3.19 lacks pidfd_open, as do kernels before
    # 5.3) a child's exit is polled on the runtime's timers, so it does not
    # hold paused time (documented in `time::pause`'s module docs). Passes
    # with pidfds, in the normal run.
    [time_pause]="no_jump_while_a_child_is_waited_for"
    # 64 MiB through a socket pair, twice per flavor: minutes under the
    # emulation for what the other cases already cover at smaller sizes.
    # valgrind runs posix_spawn as a plain fork, so an exec that fails
    # exits the child (127) instead of failing the spawn; and it keeps
    # descriptors of its own above the soft limit, where the test looks
    # for a closed one.
    [bad_input]="sixty_four_mebibytes_through_a_socket_pair closed_descriptors_are_ebadf commands_that_cannot_run non_utf8_program_and_args_pass_through"
)

# Sizes lowered here, where a step costs ~100 times more than natively.
# rt_chaos runs fewer of its seeded rounds (about 10 s).
export CHAOS_ROUNDS="${CHAOS_ROUNDS:-150}"
# Its regression tests repeat their races 3 times here, not hundreds, and
# its tests run one at a time: valgrind runs one thread at a time, and
# threads that spin on `yield_now` get the CPU unevenly (a round that
# takes milliseconds natively took 1-15 s), so the full counts outrun the
# tests' hang bounds.
export CHAOS_REGRESSION_REPEATS="${CHAOS_REGRESSION_REPEATS:-3}"
# process spawns 100 children per many-children test here, not 1,000 (those
# tests count children and descriptors in a re-run of the binary, which
# valgrind does not trace). valgrind 3.19 does not know pidfd_open (it warns
# "unhandled syscall: 434"), so under it the process tests exercise the
# polling fallback of kernels before 5.3.
export PROCESS_CHILDREN="${PROCESS_CHILDREN:-100}"
# rt_shutdown_races: 20 rounds of each sleeper race, not 1,000 and 500
# (they outran the races' 120 s hang bound).
export SHUTDOWN_RACE_ROUNDS="${SHUTDOWN_RACE_ROUNDS:-20}"
# rt_stress, the queues' unit tests and time_sleep's timer churns: a fiftieth
# of their tasks and timers (still a thousand or more: the queues overflow, the
# wheel fills every level).
export STRESS_DIVISOR="${STRESS_DIVISOR:-50}"

# The binaries cargo built: one per test target, and the unit tests of the
# library and of the proc-macro crate.
mapfile -t bins < <(cargo test --workspace --all-features --no-run --message-format=json 2>/dev/null |
    python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") != "compiler-artifact" or not m.get("executable"):
        continue
    kind = m["target"]["kind"]
    if kind == ["test"] or (kind in (["lib"], ["proc-macro"]) and m["profile"]["test"]):
        print(m["target"]["name"], m["executable"])
')

# Fewer than this means cargo's output changed shape, not that the suite shrank.
[ "${#bins[@]}" -ge 50 ] || { echo "found only ${#bins[@]} test binaries" >&2; exit 1; }

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

# scripts/valgrind.supp, and its ring-gcm-tag-sent entries for iovecs 0-63
# (rustls writes at most 64 records at once).
cp scripts/valgrind.supp "$logs/supp"
for i in $(seq 0 63); do
    printf '{\n   ring-gcm-tag-sent-%d\n   Memcheck:Param\n   sendmsg(msg.msg_iov[%d])\n   ...\n   fun:*futures_rustls*\n}\n' "$i" "$i"
done >>"$logs/supp"

# The proc-macro crate's unit tests link libstd dynamically, from the
# toolchain (cargo test sets this path itself).
export LD_LIBRARY_PATH="$(rustc --print target-libdir)${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

# Runs one binary; its output goes to $logs/NAME.log, its status and time to
# $logs/NAME.status.
run_one() {
    local name=$1 bin=$2 threads=2 start=$SECONDS status=0
    [ "$name" = rt_chaos ] && threads=1
    local args=(--test-threads="$threads" --skip without_spinning -q)
    local skip
    for skip in ${skips[$name]:-}; do args+=(--skip "$skip"); done
    # --fair-sched=yes: valgrind runs one thread at a time, and its default
    # lock lets a thread that blocks and wakes often (a `block_on` polling a
    # condition) starve a worker for seconds; a test then waited 20 s for a
    # worker to finish one instruction sequence.
    valgrind --quiet --fair-sched=yes --leak-check=full --error-exitcode=1 \
        --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \
        --suppressions="$logs/supp" \
        "$bin" "${args[@]}" >"$logs/$name.log" 2>&1 || status=$?
    echo "$status $((SECONDS - start))" >"$logs/$name.status"
}

jobs_max="${VALGRIND_JOBS:-2}"
start=$SECONDS
ran=()
for entry in "${bins[@]}"; do
    name=${entry%% *}
    bin=${entry#* }
    if [ -n "${excluded[$name]:-}" ]; then
        echo "valgrind: $name excluded (${excluded[$name]})"
        continue
    fi
    while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do wait -n || true; done
    ran+=("$name")
    run_one "$name" "$bin" &
done
wait

failed=0
for name in "${ran[@]}"; do
    read -r status secs <"$logs/$name.status"
    echo "valgrind: $name ${secs}s${skips[$name]:+ (skipped: ${skips[$name]})}"
    if [ "$status" != 0 ]; then
        echo "valgrind: $name FAILED (exit $status):" >&2
        cat "$logs/$name.log" >&2
        failed=1
    fi
done
echo "valgrind: ${#ran[@]} binaries in $((SECONDS - start))s"
[ "$failed" = 0 ] || exit 1
echo "valgrind: clean"
