#!/bin/sh
# bench_sim.sh -- the simulator's write rate (`vigil simulate`): conn records per second, per core and in total, beside baselines on the same bytes.
#
# Worlds (written to a temporary directory, removed at the end):
#   default     500 hosts, 28 days (what `make demo` generates)
#   10k x 1d    --hosts 10000 --days 1 (hours are the unit of parallel work,
#               so one day keeps every thread busy)
# Each runs with SIM_THREADS threads (default 2).  Counted: conn records
# (one per connection) and all records (conn + the dns/ssl/http records that
# ride on connections, one each).  Per core = records / (user + sys CPU
# seconds); total = records / wall seconds.
# Baselines, run in the same invocation on SIM_SAMPLE_MB (default 256) MB of
# the world's own uncompressed text: ISA-L level 1 in 1 MiB blocks (the
# compressor the writer uses; bench/isal_gzip.c), gzip -1, and cat copying
# the text to a file.  The ratio "vs ISA-L" is the simulator's text MB/s per
# core over ISA-L's MB/s per core: how close generating + formatting +
# compressing + writing comes to compressing alone.
# Run alone: sh bench/bench_sim.sh (SIM_VIGIL=path measures that binary,
# e.g. an older build, without building); `make bench` runs it after the read
# benchmark unless BENCH_SIM=0.
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd) || exit 1
cd "$ROOT" || exit 1
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES

B=${BUILD:-build}
CC=${CC:-cc}
THREADS=${SIM_THREADS:-2}
SAMPLE_MB=${SIM_SAMPLE_MB:-256}

VIGIL=${SIM_VIGIL:-$B/vigil} # SIM_VIGIL: measure a given binary, no build
if [ -z "${SIM_VIGIL:-}" ]; then
    make --no-print-directory -j2 BUILD="$B" "$B/vigil" >/dev/null || {
        echo "bench_sim: cannot build $B/vigil" >&2; exit 1; }
fi
mkdir -p "$B/bench"
$CC -std=c11 -O2 -Wall -Wextra -Werror -o "$B/bench/isal_gzip" bench/isal_gzip.c \
    $(pkg-config --libs libisal 2>/dev/null || echo -lisal) || exit 1

WORK=$(mktemp -d "${TMPDIR:-/tmp}/vigil-bench-sim-XXXXXX") || exit 1
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

# timed KEY CMD... -- runs CMD once; sets KEY_wall, KEY_cpu (user + sys).
timed() {
    key=$1
    shift
    /usr/bin/time -f "%e %U %S" -o "$WORK/$key.time" "$@" >"$WORK/$key.out" 2>"$WORK/$key.err" || {
        echo "bench_sim: $key failed: $(head -n 3 "$WORK/$key.err")" >&2; return 1; }
    set -- $(tail -n 1 "$WORK/$key.time")
    eval "${key}_wall=$1 ${key}_cpu=$(awk -v u="$2" -v s="$3" 'BEGIN { printf "%.2f", u + s }')"
}

echo "vigil simulate benchmark -- $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), ${THREADS} threads"
echo

# world LABEL ARGS... -- generates, measures, then the baselines on its text.
world() {
    label=$1
    shift
    rm -rf "$WORK/w"
    timed sim "$VIGIL" simulate --out "$WORK/w" -q -j "$THREADS" "$@" || return 1
    counts=$(sed -n 's/.*conn \([0-9]*\)  dns \([0-9]*\)  ssl \([0-9]*\)  http \([0-9]*\) records.*/\1 \2 \3 \4/p' "$WORK/sim.out")
    set -- $counts
    conn=$1 all=$(($1 + $2 + $3 + $4))
    gz=$(cat "$WORK"/w/zeek/*/*.gz | wc -c)
    text=$(zcat "$WORK"/w/zeek/*/*.gz | wc -c)
    zcat "$WORK"/w/zeek/*/*.gz | head -c $((SAMPLE_MB * 1048576)) >"$WORK/sample.txt"
    rm -rf "$WORK/w"
    sample=$(wc -c <"$WORK/sample.txt")
    timed isal sh -c '"$1" <"$2" >/dev/null' sh "$B/bench/isal_gzip" "$WORK/sample.txt"
    timed gzip1 sh -c 'gzip -1 -c "$1" >/dev/null' sh "$WORK/sample.txt"
    timed cat sh -c 'cat "$1" >"$2" && sync "$2"' sh "$WORK/sample.txt" "$WORK/copy.txt"
    rm -f "$WORK/copy.txt" "$WORK/sample.txt"
    awk -v l="$label" -v conn="$conn" -v all="$all" -v w="$sim_wall" -v c="$sim_cpu" \
        -v text="$text" -v gz="$gz" -v sample="$sample" -v th="$THREADS" \
        -v iw="$isal_wall" -v ic="$isal_cpu" -v gw="$gzip1_wall" -v gc="$gzip1_cpu" \
        -v cw="$cat_wall" 'BEGIN {
        mb = 1048576
        if (c <= 0) c = 0.01; if (ic <= 0) ic = 0.01; if (gc <= 0) gc = 0.01; if (cw <= 0) cw = 0.01
        printf "%s: %d conn + %d dns/ssl/http records, %.0f MB of text -> %.0f MB gzip, %d threads\n",
               l, conn, all - conn, text / mb, gz / mb, th
        printf "  wall %.2f s, cpu %.2f s (%.2f cores busy)\n", w, c, c / w
        printf "  conn records/s:  %9.0f total  %9.0f per core   (goal >= 1000000 per core: %s)\n",
               conn / w, conn / c, (conn / c >= 1e6) ? "met" : "NOT met"
        printf "  all records/s:   %9.0f total  %9.0f per core\n", all / w, all / c
        printf "  text written:    %9.1f MB/s total %7.1f MB/s per core\n", text / mb / w, text / mb / c
        printf "  baselines on %.0f MB of the same text, MB/s per core: ISA-L level 1 %.1f, gzip -1 %.1f; cat to a file %.1f MB/s\n",
               sample / mb, sample / mb / ic, sample / mb / gc, sample / mb / cw
        printf "  ratio (simulator text MB/s per core / baseline): vs ISA-L level 1 %.2fx, vs gzip -1 %.2fx\n",
               (text / c) / (sample / ic), (text / c) / (sample / gc)
        printf "  conn records/s per core if compressing were free of cost: %.0f (ISA-L alone would take %.2f core-s)\n",
               conn / (c - text / (sample / ic)) , text / (sample / ic)
        print ""
    }'
}

world "default world (500 hosts, 28 days)" || exit 1
world "--hosts 10000 --days 1" --hosts 10000 --days 1 || exit 1
exit 0
