#!/bin/sh
# demo.sh -- what `make demo` runs: vigil on its embedded defaults.
# Until the world simulator lands (issue 4) the default input is the set of
# real labelled captures beside the repository (../shared/data/real).
set -e
cd "$(dirname "$0")/.."
REAL=${VIGIL_REAL_DATA:-../shared/data/real}
if [ ! -d "$REAL" ]; then
    echo "demo: no sample data at $REAL (set VIGIL_REAL_DATA)" >&2
    exit 1
fi
echo "== vigil stats $REAL  (Zeek TSV, Suricata EVE and pcap, read in one pass)"
status=0
./build/vigil stats --quiet "$REAL" || status=$?
echo
echo "== the same as JSON (the stable interface scripts read)"
./build/vigil stats --quiet --format json "$REAL/njrat" || true
echo
echo "demo: exit status of the first run was $status (0 clean, 3 records skipped, 1 unreadable path)"
