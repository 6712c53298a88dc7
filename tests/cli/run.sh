#!/bin/sh
# run.sh -- runs the golden CLI cases in tests/cli/<case>/ against a vigil binary.
#
# Usage: sh tests/cli/run.sh [VIGIL_BINARY] [CASE...]   (default build/vigil, all cases)
# A case is a directory holding:
#   cmd                       one shell command line, run from the repo root, with
#                             $VIGIL (the binary), $REAL (absolute path of the
#                             shared real data) and $TMP (a fresh scratch dir)
#   expected_status           the exit status it must return
#   expected_stdout           (optional) stdout, byte for byte
#   expected_stderr_contains  (optional) lines that must each appear in stderr
# A case also fails when stderr carries a sanitizer report.
# Prints ok/FAIL per case and "N passed, N failed"; exits 1 when any failed.
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd) || exit 1
cd "$ROOT" || exit 1

VIGIL=${1:-build/vigil}
[ $# -gt 0 ] && shift
case $VIGIL in /*) ;; *) VIGIL=$ROOT/$VIGIL ;; esac
if [ -z "${VIGIL_REAL_DATA:-}" ]; then
    REAL=$(cd "$ROOT/../shared/data/real" 2>/dev/null && pwd) || REAL=$ROOT/../shared/data/real
else
    REAL=$VIGIL_REAL_DATA
fi
export VIGIL REAL

passed=0
failed=0
WORK=$(mktemp -d "${TMPDIR:-/tmp}/vigil-cli-XXXXXX") || exit 1
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

if [ $# -gt 0 ]; then
    cases=$*
else
    cases=$(cd tests/cli && for d in */; do [ -f "$d/cmd" ] && printf '%s\n' "${d%/}"; done)
fi

for name in $cases; do
    dir=tests/cli/$name
    why=""
    if [ ! -f "$dir/cmd" ] || [ ! -f "$dir/expected_status" ]; then
        why="missing cmd or expected_status"
    else
        TMP=$WORK/$name.tmp
        rm -rf "$TMP" && mkdir -p "$TMP"
        export TMP
        sh -c "$(cat "$dir/cmd")" >"$WORK/out" 2>"$WORK/err" </dev/null
        status=$?
        want=$(tr -d ' \t\r\n' <"$dir/expected_status")
        if [ "$status" != "$want" ]; then
            why="exit status $status, expected $want"
        elif [ -f "$dir/expected_stdout" ] && ! cmp -s "$WORK/out" "$dir/expected_stdout"; then
            why="stdout differs from expected_stdout"
        elif grep -qE 'ERROR: (Address|Leak|Memory|Thread)Sanitizer|runtime error:' "$WORK/err"; then
            why="sanitizer report in stderr"
        elif [ -f "$dir/expected_stderr_contains" ]; then
            while IFS= read -r line || [ -n "$line" ]; do
                [ -n "$line" ] || continue
                if ! grep -qF -- "$line" "$WORK/err"; then
                    why="stderr lacks: $line"
                    break
                fi
            done <"$dir/expected_stderr_contains"
        fi
    fi
    if [ -z "$why" ]; then
        printf 'ok   cli %s\n' "$name"
        passed=$((passed + 1))
    else
        printf 'FAIL cli %s: %s\n' "$name" "$why"
        if [ -f "$dir/cmd" ]; then
            printf '  cmd: %s\n' "$(cat "$dir/cmd")"
            [ -s "$WORK/out" ] && { echo "  stdout:"; head -n 20 "$WORK/out" | sed 's/^/    /'; }
            [ -s "$WORK/err" ] && { echo "  stderr:"; head -n 20 "$WORK/err" | sed 's/^/    /'; }
        fi
        failed=$((failed + 1))
    fi
done

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
