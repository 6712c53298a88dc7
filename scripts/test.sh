#!/bin/sh
# test.sh -- what `make test` runs: builds with gcc, then clang ASan+UBSan, runs unit, CLI and fuzz-replay tests, sums "N passed, N failed".
#
# Parts, each counted from its own "N passed, N failed" line (a part that
# crashes, exits non-zero without saying why, or cannot run at all counts as
# one more failure; any sanitizer report fails the part):
#   gcc:   build (1 check), build/test_vigil, tests/cli/run.sh, one check per
#          build/fuzz/*_replay over fuzz/corpus/<parser>/
#   asan:  the same, rebuilt with clang -fsanitize=address,undefined into
#          build/asan, run with leak detection on
#   tsan:  the CLI rebuilt with clang -fsanitize=thread into build/tsan
#          (1 check), then tests/tsan/run.sh: its threaded paths (simulate,
#          stats, hunt, a state ingest) with -j2, no report and the same
#          output as the gcc build
# The last line printed is the total; the exit status is 1 when anything failed.
# BUILD (e.g. `make test BUILD=/tmp/b`) moves both build trees.
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd) || exit 1
cd "$ROOT" || exit 1

# Our own make runs are top-level ones, with their own -j.
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES
B=${BUILD:-build}
JOBS=${JOBS:-2}

if [ -z "${VIGIL_REAL_DATA:-}" ]; then
    VIGIL_REAL_DATA=$(cd "$ROOT/../shared/data/real" 2>/dev/null && pwd) ||
        VIGIL_REAL_DATA=$ROOT/../shared/data/real
fi
export VIGIL_REAL_DATA

LOGS=$(mktemp -d "${TMPDIR:-/tmp}/vigil-test-logs-XXXXXX") || exit 1
trap 'rm -rf "$LOGS"' EXIT
trap 'exit 130' INT TERM

total_pass=0
total_fail=0
SANITIZER_RE='ERROR: (Address|Leak|Memory|Thread|Undefined)Sanitizer|runtime error:|SUMMARY: (Address|Undefined)Sanitizer'

# add_result LABEL PASSED FAILED -- prints the part's line and adds it to the totals.
add_result() {
    printf '== %s: %s passed, %s failed\n' "$1" "$2" "$3"
    total_pass=$((total_pass + $2))
    total_fail=$((total_fail + $3))
}

# run_part LABEL CMD... -- runs CMD (output shown as it comes), then counts
# its own summary line.
run_part() {
    label=$1
    shift
    log=$LOGS/part.log
    printf '\n== %s: %s\n' "$label" "$*"
    { "$@" 2>&1; echo $? >"$LOGS/status"; } | tee "$log"
    st=$(cat "$LOGS/status")
    summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
    if [ -n "$summary" ]; then
        p=${summary%% passed*}
        f=${summary#*, }
        f=${f%% failed}
    else
        p=$(grep -c '^ok ' "$log")
        f=$(grep -c '^FAIL' "$log")
        echo "FAIL $label: ended without a summary line (status $st)"
        f=$((f + 1))
    fi
    if [ "$st" != 0 ] && [ "$f" = 0 ]; then
        echo "FAIL $label: exit status $st"
        f=1
    fi
    if grep -qE "$SANITIZER_RE" "$log" && [ "$f" = 0 ]; then
        echo "FAIL $label: sanitizer report"
        f=1
    fi
    add_result "$label" "$p" "$f"
}

# check LABEL CMD... -- one pass/fail check: status 0 and no sanitizer report.
check() {
    label=$1
    shift
    log=$LOGS/check.log
    { "$@" 2>&1; echo $? >"$LOGS/status"; } >"$log"
    st=$(cat "$LOGS/status")
    if [ "$st" = 0 ] && ! grep -qE "$SANITIZER_RE" "$log"; then
        printf 'ok   %s (%s)\n' "$label" "$(tail -n 1 "$log")"
        add_result "$label" 1 0 >/dev/null
    else
        why="status $st"
        grep -qE "$SANITIZER_RE" "$log" && why="$why, sanitizer report"
        printf 'FAIL %s (%s)\n' "$label" "$why"
        tail -n 40 "$log" | sed 's/^/  /'
        add_result "$label" 0 1 >/dev/null
    fi
}

# run_suite TAG BUILDDIR -- unit tests, CLI cases, fuzz replays of one build.
run_suite() {
    tag=$1
    bdir=$2
    if [ -x "$bdir/test_vigil" ]; then
        run_part "$tag unit" "$bdir/test_vigil"
    else
        echo "FAIL $tag unit: $bdir/test_vigil was not built"
        add_result "$tag unit" 0 1
    fi
    if [ -x "$bdir/vigil" ]; then
        run_part "$tag cli" sh tests/cli/run.sh "$bdir/vigil"
    else
        echo "FAIL $tag cli: $bdir/vigil was not built"
        add_result "$tag cli" 0 1
    fi
    printf '\n== %s fuzz replay\n' "$tag"
    fp=0
    ff=0
    for src in fuzz/fuzz_*.c; do
        [ -f "$src" ] || continue
        name=${src#fuzz/}
        name=${name%.c}
        parser=${name#fuzz_}
        bin=$bdir/fuzz/${name}_replay
        before=$total_fail
        if [ ! -x "$bin" ]; then
            echo "FAIL $tag fuzz $parser: $bin was not built"
            add_result x 0 1 >/dev/null
        elif [ ! -d "fuzz/corpus/$parser" ]; then
            echo "FAIL $tag fuzz $parser: no corpus fuzz/corpus/$parser/"
            add_result x 0 1 >/dev/null
        else
            check "$tag fuzz $parser" "$bin" "fuzz/corpus/$parser"
        fi
        if [ "$total_fail" = "$before" ]; then fp=$((fp + 1)); else ff=$((ff + 1)); fi
    done
    printf '== %s fuzz replay: %s passed, %s failed\n' "$tag" "$fp" "$ff"
}

# build TAG BUILDDIR MAKE-ARGS... -- one check; make -k builds all it can.
build() {
    tag=$1
    bdir=$2
    shift 2
    printf '\n== %s build: make -k -j%s BUILD=%s %s tests\n' "$tag" "$JOBS" "$bdir" "$*"
    if make --no-print-directory -k -j"$JOBS" BUILD="$bdir" "$@" tests; then
        echo "ok   $tag build"
        add_result "$tag build" 1 0 >/dev/null
    else
        echo "FAIL $tag build"
        add_result "$tag build" 0 1 >/dev/null
    fi
}

# 1. gcc, optimised, no sanitizers.
build gcc "$B" CC=gcc SAN= OPT=-O2
run_suite gcc "$B"

# 2. clang with AddressSanitizer + UndefinedBehaviorSanitizer, leaks checked.
build asan "$B/asan" CC=clang SAN=1 OPT=-O1
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export ASAN_OPTIONS UBSAN_OPTIONS
run_suite asan "$B/asan"
unset ASAN_OPTIONS UBSAN_OPTIONS

# 3. clang with ThreadSanitizer: the CLI only (the unit tests are single-
# threaded but for the hunt cases the CLI runs too).
printf '\n== tsan build: make -j%s BUILD=%s/tsan CC=clang SAN=thread OPT=-O1 %s/tsan/vigil\n' "$JOBS" "$B" "$B"
if make --no-print-directory -j"$JOBS" BUILD="$B/tsan" CC=clang SAN=thread OPT=-O1 "$B/tsan/vigil"; then
    echo "ok   tsan build"
    add_result "tsan build" 1 0 >/dev/null
    run_part "tsan cli" sh tests/tsan/run.sh "$B/tsan/vigil" "$B/vigil"
else
    echo "FAIL tsan build"
    add_result "tsan build" 0 1 >/dev/null
fi

echo
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" = 0 ]
