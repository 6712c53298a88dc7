#!/bin/sh
# fuzz.sh -- what `make fuzz` runs: builds each libFuzzer target with clang and runs it for FUZZ_SECONDS; crashes become regression inputs.
#
# Usage: sh scripts/fuzz.sh [PARSER...]     (default: every fuzz/fuzz_*.c)
#   FUZZ_SECONDS  time per target (default 60)
#   FUZZ_JOBS     targets run at once (default 1)
# libvigil is rebuilt into build/fuzz-lib with clang and
# -fsanitize=fuzzer-no-link,address,undefined.  Each target starts from a
# temporary corpus: its checked-in seeds in fuzz/corpus/<parser>/ plus pieces
# of the real logs in ../shared/data/real (cut small, never copied into the
# repository).  An input that crashes, leaks, hangs or runs out of memory is
# copied to fuzz/corpus/<parser>/regress-<sha1>, so `make test` replays it
# from then on, and the script exits 1.
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd) || exit 1
cd "$ROOT" || exit 1
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES

SECONDS_PER=${FUZZ_SECONDS:-60}
JOBS=${FUZZ_JOBS:-1}
B=${BUILD:-build}/fuzz-lib
REAL=${VIGIL_REAL_DATA:-$ROOT/../shared/data/real}
PKGS="libisal libpcap zlib sqlite3 libmaxminddb libpsl"
SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"

if [ $# -gt 0 ]; then
    parsers=$*
else
    parsers=$(for f in fuzz/fuzz_*.c; do n=${f#fuzz/fuzz_}; echo "${n%.c}"; done)
fi

# 1. The library, instrumented for coverage but without libFuzzer's main.
echo "fuzz: building $B/libvigil.a with clang"
make --no-print-directory -j2 BUILD="$B" CC=clang OPT=-O1 SAN=1 \
    CFLAGS="-fsanitize=fuzzer-no-link" "$B/libvigil.a" >"${TMPDIR:-/tmp}/vigil-fuzz-build.log" 2>&1 || {
    cat "${TMPDIR:-/tmp}/vigil-fuzz-build.log"
    echo "fuzz: cannot build the library" >&2
    exit 1
}

# 2. The targets.
for p in $parsers; do
    clang -std=c11 -Wall -Wextra -Werror -g -O1 -D_DEFAULT_SOURCE -Iinclude \
        $(pkg-config --cflags $PKGS 2>/dev/null) -fsanitize=fuzzer $SAN \
        -o "$B/fuzz_$p" "fuzz/fuzz_$p.c" "$B/libvigil.a" \
        $(pkg-config --libs $PKGS 2>/dev/null || echo -lisal -lpcap -lz -lsqlite3 -lmaxminddb -lpsl) -lm -pthread || {
        echo "fuzz: cannot build fuzz/fuzz_$p.c" >&2
        exit 1
    }
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/vigil-fuzz-XXXXXX") || exit 1
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

# Zeek TSV logs among the real data (by their first line).
real_tsv() {
    [ -d "$REAL" ] || return 0
    find "$REAL" -type f | sort | while IFS= read -r f; do
        head -c 11 "$f" 2>/dev/null | grep -q '^#separator' && printf '%s\n' "$f"
    done
}

# split_tsv FILE OUTPREFIX LINES -- header + LINES data lines per piece, at
# most 40 pieces per file spread over it.
split_tsv() {
    mawk -v out="$2" -v n="$3" '
        /^#/ { if (!data) hdr = hdr $0 "\n"; next }
        { data++; buf = buf $0 "\n"
          if (data % n == 0) { piece++; if (piece <= 40) { f = out "-" piece; printf "%s%s", hdr, buf > f; close(f) } ; buf = "" } }
        END { if (buf != "" && piece < 40) { f = out "-last"; printf "%s%s", hdr, buf > f; close(f) } }' "$1"
}

# tsv_to_json FILE OUTPREFIX LINES -- the same pieces as Zeek JSON lines
# (typed by #types: numbers, booleans, arrays for sets; unset fields left out).
tsv_to_json() {
    mawk -F'\t' -v out="$2" -v n="$3" '
        function q(s) { gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s); return "\"" s "\"" }
        function val(v, t,   a, k, r, i) {
            if (t ~ /^(time|interval|double|count|int|port)$/) return v
            if (t == "bool") return v == "T" ? "true" : "false"
            if (t ~ /^(set|vector)\[/) {
                if (v == "(empty)") return "[]"
                k = split(v, a, ","); r = ""; sub(/^[a-z]+\[/, "", t); sub(/\]$/, "", t)
                for (i = 1; i <= k; i++) r = r (i > 1 ? "," : "") val(a[i], t)
                return "[" r "]"
            }
            return q(v)
        }
        $1 == "#path" { path = $2; next }
        $1 == "#fields" { nf = NF; for (i = 2; i <= NF; i++) name[i - 1] = $i; next }
        $1 == "#types" { for (i = 2; i <= NF; i++) type[i - 1] = $i; next }
        /^#/ { next }
        { line = "{\"_path\":" q(path)
          for (i = 1; i <= NF && i < nf; i++) if ($i != "-") line = line "," q(name[i]) ":" val($i, type[i])
          data++; buf = buf line "}\n"
          if (data % n == 0) { piece++; if (piece <= 40) { f = out "-" piece; printf "%s", buf > f; close(f) }; buf = "" } }
        END { if (buf != "" && piece < 40) { f = out "-last"; printf "%s", buf > f; close(f) } }' "$1"
}

# 3. Seed corpora: checked-in seeds, then pieces of real data.
for p in $parsers; do
    c=$WORK/corpus/$p
    mkdir -p "$c" "$WORK/art/$p"
    [ -d "fuzz/corpus/$p" ] && cp fuzz/corpus/"$p"/* "$c"/ 2>/dev/null
    i=0
    case $p in
    zeek_tsv)
        for f in $(real_tsv); do i=$((i + 1)); split_tsv "$f" "$c/real$i" 25; done ;;
    zeek_header)
        for f in $(real_tsv); do i=$((i + 1)); grep '^#' "$f" | grep -v '^#close' >"$c/real$i-header"; done ;;
    zeek_json)
        for f in $(real_tsv); do i=$((i + 1)); tsv_to_json "$f" "$c/real$i" 25; done ;;
    eve)
        if [ -d "$REAL/suricata-eve" ]; then
            for f in "$REAL"/suricata-eve/*.json; do
                [ -f "$f" ] || continue
                i=$((i + 1))
                split -l 25 -a 3 "$f" "$c/real$i-"
            done
        fi ;;
    pcap)
        # The first 48 KiB of each real capture (a cut capture is a valid
        # input too: the reader must report it, not crash).
        for f in "$REAL"/pcap/*.pcap; do
            [ -f "$f" ] || continue
            i=$((i + 1))
            head -c 49152 "$f" >"$c/real$i"
        done ;;
    esac
    # libFuzzer ignores inputs above -max_len; drop them here to be explicit.
    find "$c" -type f -size +64k -delete
    echo "fuzz: $p: $(ls "$c" | wc -l) seed inputs"
done

# 4. Run.
run_one() {
    p=$1
    echo "fuzz: running fuzz_$p for $SECONDS_PER s"
    "$B/fuzz_$p" "$WORK/corpus/$p" -max_len=65536 -max_total_time="$SECONDS_PER" \
        -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$WORK/art/$p/" >"$WORK/$p.log" 2>&1
    echo $? >"$WORK/$p.status"
}
running=0
for p in $parsers; do
    run_one "$p" &
    running=$((running + 1))
    if [ "$running" -ge "$JOBS" ]; then wait; running=0; fi
done
wait

# 5. Results: every artifact becomes a regression input.
status=0
for p in $parsers; do
    st=$(cat "$WORK/$p.status" 2>/dev/null || echo 1)
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$WORK/$p.log" | grep -o '[0-9]*$')
    cov=$(grep -oE '^#[0-9]+.*cov: [0-9]+ ft: [0-9]+' "$WORK/$p.log" | tail -n 1 | grep -oE 'cov: [0-9]+ ft: [0-9]+')
    found=0
    for a in "$WORK/art/$p"/*; do
        [ -f "$a" ] || continue
        sha=$(sha1sum "$a" | cut -d' ' -f1)
        cp "$a" "fuzz/corpus/$p/regress-$sha"
        echo "fuzz: $p: $(basename "$a") saved as fuzz/corpus/$p/regress-$sha"
        found=1
    done
    if [ "$found" = 1 ] || [ "$st" != 0 ]; then
        echo "FAIL fuzz_$p (status $st, ${execs:-?} runs); its log ends:"
        tail -n 60 "$WORK/$p.log" | sed 's/^/  /'
        status=1
    else
        echo "ok   fuzz_$p (${execs:-?} runs, ${cov:-cov ?})"
    fi
done
exit $status
