#!/bin/sh
# install-deps.sh -- installs the Debian packages vigil's build, tests, fuzzing and benchmarks need; silent when all are present.
#
# Each entry is one package, or alternatives separated by '|' (the first is
# installed when none is present).  Why each one is here:
#   gcc make pkg-config libc6-dev       the default build (gcc -std=c11)
#   clang libclang-rt-dev|...14-dev     the ASan/UBSan test build and libFuzzer
#   llvm                                llvm-symbolizer, for readable sanitizer stacks
#   libisal-dev zlib1g-dev libpcap-dev  libvigil's own dependencies (pkg-config)
#   libsqlite3-dev                      the state database (--state)
#   libmaxminddb-dev libpsl-dev         IP->country (.mmdb), registered domains (PSL)
#   sqlite3                             the state benchmark's row counts
#   mawk gzip coreutils                 benchmarks' baselines, the fuzz script's sha1sum
set -u

PACKAGES="gcc make pkg-config libc6-dev clang libclang-rt-dev|libclang-rt-14-dev llvm
libisal-dev libpcap-dev zlib1g-dev libsqlite3-dev libmaxminddb-dev libpsl-dev
sqlite3 mawk gzip coreutils"

installed() {
    st=$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) || return 1
    [ "$st" = "install ok installed" ]
}

missing=""
for entry in $PACKAGES; do
    ok=0
    first=""
    old_ifs=$IFS
    IFS='|'
    for p in $entry; do
        [ -n "$first" ] || first=$p
        if installed "$p"; then ok=1; break; fi
    done
    IFS=$old_ifs
    [ "$ok" = 1 ] || missing="$missing $first"
done

# Then the optional geo/ASN data (scripts/install-geo.sh, docs/geo.md): a
# failure there is a warning, since vigil runs without it.
install_geo() {
    sh "$(dirname "$0")/install-geo.sh" ||
        echo "install-deps: warning: geo/ASN data not installed; vigil runs, country and ASN stay unknown" >&2
}

[ -n "$missing" ] || { install_geo; exit 0; }

echo "install-deps: missing Debian packages:$missing" >&2
install_cmd="DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends$missing"

if [ "$(id -u)" = 0 ]; then
    apt-get update && eval "$install_cmd"
elif command -v sudo >/dev/null 2>&1; then
    sudo apt-get update && eval "sudo $install_cmd"
else
    echo "install-deps: not root and no sudo; as root, run:" >&2
    echo "  apt-get update && $install_cmd" >&2
    exit 1
fi
st=$?
if [ "$st" != 0 ]; then
    echo "install-deps: apt-get failed (status $st)" >&2
    exit 1
fi
install_geo
exit 0
