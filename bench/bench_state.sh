#!/bin/sh
# bench_state.sh -- the state database and destination intelligence (issue 6),
# run by `make bench` (or alone: sh bench/bench_state.sh BUILD_DIR DATA_DIR).
#
# A simulated 10,000-host enterprise, 2 days (BENCH_STATE_HOSTS/_DAYS),
# generated once into DATA_DIR/state-10k.  Measured in the same run, warm page
# cache, best of BENCH_STATE_RUNS (default 2):
#   vigil stats DAY                     reading the last day's logs (baseline)
#   vigil hunt --ingest-only DAY        ingesting that day into a state that
#                                       already holds the days before it
#   vigil hunt DAY (no state)           one day's hunt, geo/ASN off
#   vigil hunt DAY --geo-dir data/geo   the same with country/ASN enrichment
#   vigil hunt --state (no PATH)        a morning hunt over the whole state
# and the state's size: bytes per (pair, day) row and per conn record.
set -u
B=${1:-build}
D=${2:-bench/data}
HOSTS=${BENCH_STATE_HOSTS:-10000}
DAYS=${BENCH_STATE_DAYS:-2}
RUNS=${BENCH_STATE_RUNS:-2}
GEO=${VIGIL_GEO_DIR:-data/geo}
W=$D/state-10k
V=$B/vigil
WORK=$(mktemp -d "${TMPDIR:-/tmp}/vigil-bench-state-XXXXXX") || exit 1
trap 'rm -rf "$WORK"' EXIT

params="v1 hosts=$HOSTS days=$DAYS"
if [ "$(cat "$W/.params" 2>/dev/null)" != "$params" ]; then
    echo "bench: simulating $HOSTS hosts x $DAYS days into $W"
    rm -rf "$W"
    "$V" simulate -q --hosts "$HOSTS" --days "$DAYS" --out "$W" || exit 1
    echo "$params" >"$W/.params"
fi
DAYDIRS=$(ls -d "$W"/zeek/*/ | sort)
LAST=$(echo "$DAYDIRS" | tail -n 1)
FILES=$(find "$LAST" -name '*.log.gz' | sort)

now() { date +%s.%N; }
# best KEY CMD... -- best wall-clock of RUNS runs into KEY_s; KEY_ok=1 when all
# exited 0.  PREP (a shell snippet) runs untimed before each run.
PREP=:
best() {
    key=$1
    shift
    b=""
    ok=1
    r=0
    while [ "$r" -lt "$RUNS" ]; do
        r=$((r + 1))
        eval "$PREP"
        cat $FILES >/dev/null
        t0=$(now)
        "$@" >"$WORK/$key.out" 2>"$WORK/$key.err" || ok=0
        t1=$(now)
        b=$(awk -v a="$t0" -v c="$t1" -v b="$b" 'BEGIN { d = c - a; if (b == "" || d < b) b = d; printf "%.3f", b }')
    done
    eval "${key}_s=\$b ${key}_ok=\$ok"
    [ "$ok" = 1 ] || echo "bench: $key failed: $(head -n 3 "$WORK/$key.err")" >&2
}

# The state before the last day: every earlier day ingested once.
BASE=$WORK/base.db
for d in $DAYDIRS; do
    [ "$d" = "$LAST" ] && continue
    "$V" hunt -q --ingest-only --state "$BASE" "$d" 2>/dev/null || { echo "bench: ingest of $d failed" >&2; exit 1; }
done
[ -f "$BASE" ] || "$V" hunt -q --ingest-only --state "$BASE" 2>/dev/null

echo "bench: measuring the state and enrichment ($RUNS runs each) ..."
best stats "$V" stats -q --format json "$LAST"
PREP='cp "$BASE" "$WORK/s.db"'
best ingest "$V" hunt -q --ingest-only --state "$WORK/s.db" "$LAST"
PREP=:
best plain "$V" hunt -q --geo-dir /nonexistent --format jsonl --output /dev/null "$LAST"
if [ -f "$GEO/geo-whois-asn-country.mmdb" ]; then
    best geo "$V" hunt -q --geo-dir "$GEO" --format jsonl --output /dev/null "$LAST"
else
    geo_s=0 geo_ok=0
    echo "bench: no geo data in $GEO (scripts/install-geo.sh): enrichment not measured" >&2
fi
best morning "$V" hunt -q --geo-dir /nonexistent --state "$WORK/s.db" --format jsonl --output /dev/null

conn=$(sed -n 's/.*"conn":{"type":"conn","records":\([0-9]*\).*/\1/p' "$WORK/stats.out")
recs=$(sed -n 's/.*"records":\([0-9]*\),"skipped":[0-9]*,"internal_addrs".*/\1/p' "$WORK/stats.out")
size_base=$(stat -c %s "$BASE")
size_all=$(stat -c %s "$WORK/s.db")
rows_all=$(sqlite3 "$WORK/s.db" 'SELECT count(*) FROM pair_day' 2>/dev/null || echo 0)
rows_base=$(sqlite3 "$BASE" 'SELECT count(*) FROM pair_day' 2>/dev/null || echo 0)
rows_last=$((rows_all - rows_base))
days=$(sqlite3 "$WORK/s.db" 'SELECT count(DISTINCT day) FROM day_counts' 2>/dev/null || echo 0)

echo
echo "vigil state benchmark -- simulated $HOSTS hosts, last of $DAYS days: $recs records ($conn conn); $(nproc) cores"
echo
printf '%-44s %9s\n' "what" "seconds"
for k in stats ingest plain geo morning; do
    eval "s=\$${k}_s ok=\$${k}_ok"
    case $k in
    stats) l="vigil stats (read the day)" ;;
    ingest) l="hunt --ingest-only (the day into the state)" ;;
    plain) l="hunt the day, geo off" ;;
    geo) l="hunt the day, country/ASN on" ;;
    morning) l="hunt --state, no PATH ($days days of history)" ;;
    esac
    if [ "$ok" = 1 ]; then printf '%-44s %9.2f\n' "$l" "$s"; else printf '%-44s %9s\n' "$l" "-"; fi
done
echo
echo "ratios"
awk -v i="$ingest_s" -v s="$stats_s" -v p="$plain_s" -v g="$geo_s" -v gok="$geo_ok" \
    -v ok="$stats_ok$ingest_ok$plain_ok" 'BEGIN {
    if (ok != "111") { print "  n/a (a run failed)"; exit }
    printf "%-44s %7.2fx\n", "ingest time / read time (one day)", i / s
    if (gok == 1) { r = (g - p) / p * 100; printf "%-44s %+6.1f%%   goal <= 10%% %s\n", "enrichment cost (hunt time)", r, (r <= 10 ? "met" : "NOT met") }
}'
awk -v a="$size_all" -v b="$size_base" -v r="$rows_all" -v rl="$rows_last" -v c="$conn" 'BEGIN {
    if (r > 0) printf "%-44s %7.0f\n", "state bytes per (pair, day) row", a / r
    if (rl > 0) printf "%-44s %7.0f\n", "growth for the last day, bytes per pair-day", (a - b) / rl
    if (c > 0) printf "%-44s %7.1f\n", "growth for the last day, bytes per conn record", (a - b) / c
    printf "state size: %.1f MB (%d pair-day rows)\n", a / 1048576, r
}'
exit 0
