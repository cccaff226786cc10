#!/usr/bin/env bash
# Runs the task and waker test binaries under valgrind's memcheck: every
# unsafe block of the task, waker and syscall layers (and of the injection
# queue's blocks: rt_stress and rt_chaos queue across many) is exercised
# there, and without nightly (no miri, no sanitizers) this is how leaks,
# double frees and use-after-free are caught. Fails on any error or leak.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v valgrind >/dev/null; then
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq && apt-get install -y -qq valgrind >/dev/null
    else
        sudo apt-get update -qq && sudo apt-get install -y -qq valgrind >/dev/null
    fi
fi

tests=(task_spawn task_abort task_panic task_races task_combinations rt_shutdown rt_wake rt_fairness rt_semantics rt_enter rt_budget rt_multi rt_stress join_set task_local rt_chaos process rt_send_sync fs)
# rt_chaos runs fewer of its seeded rounds here (about 10 s) than in the
# test suite.
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
args=()
for t in "${tests[@]}"; do args+=(--test "$t"); done

# The binaries cargo built, one per test target.
mapfile -t bins < <(cargo test --no-run --message-format=json "${args[@]}" 2>/dev/null |
    python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["kind"] == ["test"]:
        print(m["executable"])
')

[ "${#bins[@]}" -eq "${#tests[@]}" ] || { echo "expected ${#tests[@]} test binaries, found ${#bins[@]}" >&2; exit 1; }

for bin in "${bins[@]}"; do
    echo "valgrind: $(basename "$bin")"
    threads=2
    case "$(basename "$bin")" in rt_chaos-*) threads=1 ;; esac
    # --fair-sched=yes: valgrind runs one thread at a time, and its default
    # lock lets a thread that blocks and wakes often (a `block_on` polling a
    # condition) starve a worker for seconds; a test then waited 20 s for a
    # worker to finish one instruction sequence.
    # The CPU-time assertions (tests named *without_spinning) measure idleness
    # and spinning, which valgrind's emulation cannot reproduce; everything
    # else runs as usual.
    valgrind --quiet --fair-sched=yes --leak-check=full --error-exitcode=1 \
        --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \
        "$bin" --test-threads="$threads" --skip without_spinning -q
done
echo "valgrind: clean"
