#!/bin/sh
# demo.sh -- what `make demo` runs: a generated enterprise with a hidden
# intrusion, analysed by the best vigil has today; then the real captures.
#
# The world (vigil simulate defaults: 500 hosts, 28 days from 2018-01-01,
# seed 1) goes to demo-world/ (git-ignored) and is reused while its
# manifest.json matches this simulator's version and the defaults.
set -e
cd "$(dirname "$0")/.."
WORLD=demo-world
VIGIL=./build/vigil

sh scripts/world.sh "$WORLD" 1 500 28
echo
echo "files:"
echo "  $WORLD/zeek/YYYY-MM-DD/{conn,dns,ssl,http}.HH:00:00-HH:00:00.log.gz   Zeek logs"
echo "  $WORLD/assets.csv   internal hosts (ip, hostname, owner, department, role)"
echo "  $WORLD/people.csv   staff directory"
echo "  $WORLD/truth.json   what is hidden in the logs (the answer key)"
echo
echo "== vigil stats $WORLD/zeek  (every log, read in one pass)"
status=0
$VIGIL stats -q "$WORLD/zeek" || status=$?
echo
echo "== what is hidden in it ($WORLD/truth.json)"
if command -v python3 >/dev/null 2>&1 && [ -f "$WORLD/truth.json" ]; then
    python3 - "$WORLD/truth.json" <<'EOF' || echo "  (truth.json could not be summarised)"
import collections, json, sys
t = json.load(open(sys.argv[1]))
events = t.get("events", t) if isinstance(t, dict) else t
if not isinstance(events, list):
    events = []
kinds = collections.Counter(str(e.get("kind", "?")) for e in events if isinstance(e, dict))
print("  %d planted events: %s" % (len(events),
      ", ".join("%d %s" % (n, k) for k, n in sorted(kinds.items(), key=lambda kv: -kv[1]))))
for e in events[:40]:
    if not isinstance(e, dict):
        continue
    bits = [str(e.get("kind", "?"))]
    for key in ("profile", "src", "src_host", "dst", "dport", "period_s", "conns"):
        if key in e and e[key] not in (None, "", []):
            bits.append("%s=%s" % (key, e[key]))
    print("   - " + " ".join(bits))
EOF
elif [ -f "$WORLD/truth.json" ]; then
    printf '  kinds: '
    grep -o '"kind" *: *"[a-z_]*"' "$WORLD/truth.json" | sed 's/.*"\([a-z_]*\)"$/\1/' |
        sort | uniq -c | awk '{printf "%s%d %s", (NR > 1 ? ", " : ""), $1, $2} END {print ""}'
else
    echo "  (no truth.json)"
fi
echo
echo "== vigil hunt $WORLD/zeek  (the 30 highest findings; --format jsonl for the SIEM)"
B=${BUILD:-build}
$VIGIL hunt -q --tz +09:00 --format jsonl --min-score 0 --output "$B/demo-findings.jsonl" "$WORLD/zeek" || status=$?
$VIGIL hunt -q --tz +09:00 --top 30 "$WORLD/zeek" || true
# How many of the planted events the hunt found, against truth.json.
if ${CC:-cc} -std=c11 -O2 -D_DEFAULT_SOURCE -Iinclude -Ilib -o "$B/eval_match" eval/eval_match.c \
        "$B/libvigil.a" $(pkg-config --libs libisal libpcap zlib sqlite3 libmaxminddb libpsl 2>/dev/null || echo -lisal -lpcap -lz -lsqlite3 -lmaxminddb -lpsl) \
        -lm -pthread 2>/dev/null; then
    "$B/eval_match" "$WORLD/truth.json" "$B/demo-findings.jsonl" |
        awk '/^recall:/ { sub(/^recall: /, ""); print "demo: of the planted network events, " $0 }'
fi
echo

# Where the strongest beacon talks to: vigil dest on its last day of contact.
LINE=$(grep '"kind":"beacon"' "$B/demo-findings.jsonl" 2>/dev/null | head -n 1)
TOP=$(echo "$LINE" | sed -n 's/.*"dst":"\([^"]*\)".*/\1/p')
TS=$(echo "$LINE" | sed -n 's/.*"last_ts":\([0-9]*\).*/\1/p')
LAST=""
[ -n "$TS" ] && LAST="$WORLD/zeek/$(date -u -d "@$TS" +%Y-%m-%d)"
[ -d "$LAST" ] || LAST=""
if [ -n "$TOP" ] && [ -n "$LAST" ]; then
    echo "== vigil dest $TOP $LAST  (the top beacon's destination: country, AS, names, who, when)"
    $VIGIL dest -q "$TOP" "$LAST" || true
fi

REAL=${VIGIL_REAL_DATA:-../shared/data/real}
if [ ! -d "$REAL" ]; then
    echo "demo: no real captures at $REAL (set VIGIL_REAL_DATA); done"
    exit 0
fi
echo "== vigil stats $REAL  (real captures: Zeek TSV, Suricata EVE and pcap, read in one pass)"
status_real=0
$VIGIL stats --quiet "$REAL" || status_real=$?
echo
echo "== the same as JSON (the stable interface scripts read)"
$VIGIL stats --quiet --format json "$REAL/njrat" || true
echo
echo "== vigil hunt on the real Remcos capture (a RAT's refused-connection retry storm)"
$VIGIL hunt -q -v "$REAL/remcos" || true
echo
echo "demo: exit status: world $status, real captures $status_real (0 clean, 3 records skipped, 1 unreadable path)"
