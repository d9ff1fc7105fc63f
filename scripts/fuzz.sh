#!/usr/bin/env bash
# Runs every Go fuzz target in the repository for SECONDS each (default 10),
# one `go test -fuzz` per target because Go fuzzes one target per run.
# Targets are found by grep, so a new `func FuzzX(f *testing.F)` is included
# without editing this file. Stops at the first failure and prints the path
# of the failing input, which Go keeps under the package's testdata/fuzz so
# that it runs as a regression seed in every later `go test`.
#
#   scripts/fuzz.sh [SECONDS]
#   FUZZ_PARALLEL=N   fuzzing workers per target (default: GOMAXPROCS)
#   FUZZ_MATCH=REGEX  run only the targets whose "dir Name" matches REGEX
set -euo pipefail

secs=${1:-10}
case $secs in
  '' | *[!0-9]* | 0) echo "usage: $0 [SECONDS] (a positive whole number, got '$secs')" >&2; exit 2 ;;
esac
cd "$(dirname "$0")/.."
go=${GO:-go}

# "path/to/file_test.go:func FuzzName(" -> "path/to FuzzName", sorted and
# unique so that the order is stable from run to run.
targets=$(grep -rE --include='*_test.go' --exclude-dir=testdata --exclude-dir=.git \
  -o '^func Fuzz[A-Za-z0-9_]*\(' . |
  sed -E 's#^\./##; s#/[^/]*:func (Fuzz[A-Za-z0-9_]*)\($# \1#; s#^[^/ ]*:func (Fuzz[A-Za-z0-9_]*)\($#. \1#' |
  sort -u | grep -E -- "${FUZZ_MATCH:-.}" || true)
if [ -z "$targets" ]; then
  echo "fuzz: no fuzz targets found" >&2
  exit 1
fi

count=$(printf '%s\n' "$targets" | wc -l)
echo "fuzz: $count targets, ${secs}s each"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
while read -r dir name; do
  echo "fuzz: $name in ./$dir"
  args=(test -run '^$' -fuzz "^${name}\$" -fuzztime "${secs}s")
  if [ -n "${FUZZ_PARALLEL:-}" ]; then
    args+=(-parallel "$FUZZ_PARALLEL")
  fi
  if ! "$go" "${args[@]}" "./$dir" >"$log" 2>&1; then
    cat "$log"
    input=$(sed -nE 's#.*Failing input written to (testdata/fuzz/[^ ]+).*#\1#p' "$log" | head -n 1)
    if [ -n "$input" ]; then
      echo "fuzz: $name failed; failing input: $dir/$input" >&2
      echo "fuzz: reproduce with: $go test -run '^$name/$(basename "$input")\$' ./$dir" >&2
    else
      echo "fuzz: $name failed before producing an input (build error or seed failure above)" >&2
    fi
    exit 1
  fi
  tail -n 1 "$log"
done <<<"$targets"
echo "fuzz: all $count targets passed"
