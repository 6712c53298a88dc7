#!/bin/sh
# install-geo.sh -- installs vigil's IP->country and IP->ASN data (two pinned npm packages) into data/geo/; silent when present.
#
# What it installs (versions, licences and attribution: docs/geo.md):
#   @ip-location-db/geo-whois-asn-country-mmdb  geo-whois-asn-country.mmdb  (read with libmaxminddb)
#   @ip-location-db/asn                          asn-ipv4.csv, asn-ipv6.csv  (loaded by lib/geo.c)
# plus each package's licence files and a VERSIONS stamp.
#
# The tarballs come from the npm registry through `npm pack` (the registry's
# own client), are checked against the sha1 pinned below, and are kept in
# ${XDG_CACHE_HOME:-~/.cache}/vigil/npm so a re-install needs no network.
# Idempotent: when data/geo/VERSIONS already names these versions and every
# file is there, it prints nothing and exits 0.
#
# Usage: sh scripts/install-geo.sh [DEST]    (DEST default: data/geo of the repo)
# Exit status: 0 installed or already present; 1 it could not (the message
# says why and what to run).  vigil runs without these files (country and
# ASN are then unknown), so callers treat a failure as a warning.
set -u

VERSION=2.3.2026061719
COUNTRY_PKG=@ip-location-db/geo-whois-asn-country-mmdb
COUNTRY_SHA1=d83ce8ab70533e271d7e96bc50d8d816cf4f4470
ASN_PKG=@ip-location-db/asn
ASN_SHA1=ab2cb6488fbf93ee2e36df0392abde3ddc0dd7e8

ROOT=$(cd "$(dirname "$0")/.." && pwd) || exit 1
DEST=${1:-$ROOT/data/geo}
STAMP="country $COUNTRY_PKG@$VERSION sha1 $COUNTRY_SHA1
asn $ASN_PKG@$VERSION sha1 $ASN_SHA1"
FILES="geo-whois-asn-country.mmdb asn-ipv4.csv asn-ipv6.csv"

say() { echo "install-geo: $*" >&2; }

present() {
    [ -f "$DEST/VERSIONS" ] || return 1
    [ "$(cat "$DEST/VERSIONS")" = "$STAMP" ] || return 1
    for f in $FILES; do [ -s "$DEST/$f" ] || return 1; done
    return 0
}

present && exit 0

# npm: install Debian's when missing and we are root; else say how.
if ! command -v npm >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        say "npm is missing; installing Debian's nodejs and npm"
        apt-get update >/dev/null &&
            DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nodejs npm >/dev/null
    fi
    if ! command -v npm >/dev/null 2>&1; then
        say "npm is needed to fetch the geo/ASN data; as root run:"
        say "  apt-get update && apt-get install -y nodejs npm"
        say "then: sh scripts/install-geo.sh"
        exit 1
    fi
fi

CACHE=${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/vigil/npm
mkdir -p "$CACHE" "$DEST" || { say "cannot create $CACHE or $DEST"; exit 1; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/vigil-geo-XXXXXX") || exit 1
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

# fetch PKG SHA1 -- prints the path of PKG@VERSION's tarball in the cache,
# fetched with `npm pack` unless a copy with the pinned sha1 is there.
fetch() {
    pkg=$1
    sum=$2
    tgz=$(printf '%s' "$pkg" | sed 's|^@||; s|/|-|')-$VERSION.tgz
    if [ -f "$CACHE/$tgz" ] && [ "$(sha1sum "$CACHE/$tgz" | cut -d' ' -f1)" = "$sum" ]; then
        echo "$CACHE/$tgz"
        return 0
    fi
    say "fetching $pkg@$VERSION"
    if ! (cd "$WORK" && npm pack --silent "$pkg@$VERSION" >/dev/null 2>"$WORK/npm.err"); then
        say "npm pack $pkg@$VERSION failed:"
        sed 's/^/  /' "$WORK/npm.err" >&2
        return 1
    fi
    got=$(sha1sum "$WORK/$tgz" 2>/dev/null | cut -d' ' -f1)
    if [ "$got" != "$sum" ]; then
        say "$tgz has sha1 ${got:-none}, expected $sum: not installed"
        return 1
    fi
    mv "$WORK/$tgz" "$CACHE/$tgz" || return 1
    echo "$CACHE/$tgz"
}

# unpack TGZ PREFIX FILE... -- copies package/FILE to DEST/PREFIXFILE, each
# through a temporary name and a rename, so a reader never sees half a file.
unpack() {
    tgz=$1
    prefix=$2
    shift 2
    rm -rf "$WORK/x" && mkdir "$WORK/x" || return 1
    tar xzf "$tgz" -C "$WORK/x" || { say "cannot unpack $tgz"; return 1; }
    for f in "$@"; do
        if [ ! -f "$WORK/x/package/$f" ]; then
            say "$tgz has no package/$f"
            return 1
        fi
        cp "$WORK/x/package/$f" "$DEST/.$prefix$f.tmp" && mv "$DEST/.$prefix$f.tmp" "$DEST/$prefix$f" || return 1
    done
}

ctgz=$(fetch "$COUNTRY_PKG" "$COUNTRY_SHA1") || exit 1
atgz=$(fetch "$ASN_PKG" "$ASN_SHA1") || exit 1
rm -f "$DEST/VERSIONS"
unpack "$ctgz" country- README.md NRO_LICENSE package.json || exit 1
unpack "$ctgz" "" geo-whois-asn-country.mmdb || exit 1
unpack "$atgz" asn- README.md DBIP-LICENSE NRO_LICENSE ROUTEVIEWS-LICENSE MODIFICATIONS package.json || exit 1
unpack "$atgz" "" asn-ipv4.csv asn-ipv6.csv || exit 1
printf '%s\n' "$STAMP" >"$DEST/VERSIONS.tmp" && mv "$DEST/VERSIONS.tmp" "$DEST/VERSIONS" || exit 1
present || { say "installed files do not check out in $DEST"; exit 1; }
say "installed $COUNTRY_PKG and $ASN_PKG $VERSION into $DEST"
exit 0
