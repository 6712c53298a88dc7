#!/bin/sh
# world.sh -- makes sure a simulated world exists: reuses DIR when its
# manifest says it was made by this simulator version with these settings.
# usage: sh scripts/world.sh DIR SEED HOSTS DAYS   (start 2018-01-01, TSV+gzip)
set -e
cd "$(dirname "$0")/.."
DIR=$1 SEED=$2 HOSTS=$3 DAYS=$4
VIGIL=${VIGIL:-./build/vigil}
SIMVER=$(sed -n 's/^#define VIGIL_SIM_VERSION \([0-9]*\).*/\1/p' include/vigil/simulate.h)
want="\"simulator\":$SIMVER,\"seed\":$SEED,\"hosts\":$HOSTS,\"days\":$DAYS,\"start\":\"2018-01-01\""
if [ -f "$DIR/manifest.json" ] && grep -qF "$want" "$DIR/manifest.json" &&
   grep -qF '"format":"tsv","gzip":true' "$DIR/manifest.json"; then
    echo "== reusing the simulated world in $DIR/ (seed $SEED, $HOSTS hosts, $DAYS days)"
else
    echo "== generating a simulated world into $DIR/ (seed $SEED, $HOSTS hosts, $DAYS days)"
    rm -rf "$DIR"
    $VIGIL simulate --out "$DIR" --seed "$SEED" --hosts "$HOSTS" --days "$DAYS"
fi
