#!/usr/bin/env bash
# Makes sure the PostgreSQL the tests use is reachable, starting the local
# cluster when it is installed but stopped. Exits non-zero, saying how to fix
# it, when no PostgreSQL can be reached: tests must never skip silently.
set -euo pipefail

url=${PG_TEST_URL:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}
host=127.0.0.1
port=5432

ready() {
  if command -v pg_isready >/dev/null 2>&1; then
    pg_isready -q -h "$host" -p "$port"
  else
    (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null
  fi
}

if [ -n "${PG_TEST_URL:-}" ]; then
  # A developer-supplied server is used as is.
  exit 0
fi
ready && exit 0

if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  echo "ensure-postgres: starting PostgreSQL $version cluster 'main'" >&2
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 50); do
    ready && exit 0
    sleep 0.2
  done
fi

cat >&2 <<MSG
ensure-postgres: no PostgreSQL on $host:$port.
The pg-es-sync tests need one. Either start the local cluster:
    pg_ctlcluster --skip-systemctl-redirect <version> main start
or point the tests at a server:
    PG_TEST_URL=postgres://user@host:5432/db?sslmode=disable make test
(tests use: $url)
MSG
exit 1
