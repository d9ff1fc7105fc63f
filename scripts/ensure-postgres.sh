#!/usr/bin/env bash
# Makes the PostgreSQL that the tests and `make demo` use reachable at
# postgres://postgres@127.0.0.1:5432/test, on a fresh machine too:
#   1. installs PostgreSQL from Debian's packages when it is absent
#      (apt-get update once, then apt-get install -y postgresql);
#   2. creates the cluster when the package left none, and starts it;
#   3. lets the postgres role reach the `test` database from loopback
#      without a password (two pg_hba.conf lines, marked, added once), since
#      Debian's default asks loopback clients for one;
#   4. creates the `test` database.
# A developer-supplied server (PG_TEST_URL) is used as is. Anything that
# cannot be done exits non-zero saying why: tests never skip silently.
set -euo pipefail

host=127.0.0.1
port=5432
marker='# esconnect: the test database from loopback, no password (scripts/ensure-postgres.sh)'

die() {
  printf 'ensure-postgres: %s\n' "$*" >&2
  cat >&2 <<MSG
The pg-es-sync tests need PostgreSQL. Either let this script install and start
it (it needs root or sudo), or point the tests at a server of your own:
    PG_TEST_URL=postgres://user@host:5432/db?sslmode=disable make test
MSG
  exit 1
}

if [ -n "${PG_TEST_URL:-}" ]; then
  exit 0
fi

# as_root runs a command as root: directly when we are root, else with sudo.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo -n "$@"
  else
    die "'$*' needs root, and sudo is not installed"
  fi
}

# as_postgres runs a command as the cluster's owner, over the local socket
# where Debian's pg_hba.conf trusts it (peer authentication).
as_postgres() {
  if [ "$(id -un)" = postgres ]; then
    "$@"
  else
    as_root runuser -u postgres -- "$@"
  fi
}

newest_version() {
  if [ -d /usr/lib/postgresql ]; then
    ls /usr/lib/postgresql | sort -V | tail -n 1
  fi
}

version=$(newest_version)
if [ -z "$version" ] || [ ! -x "/usr/lib/postgresql/$version/bin/postgres" ] || ! command -v pg_ctlcluster >/dev/null 2>&1; then
  echo "ensure-postgres: PostgreSQL is not installed; installing it from Debian's packages" >&2
  as_root apt-get update -q || die "apt-get update failed"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql || die "apt-get install postgresql failed"
  version=$(newest_version)
  [ -n "$version" ] || die "postgresql was installed but /usr/lib/postgresql holds no server"
fi
bin=/usr/lib/postgresql/$version/bin

if [ ! -d "/etc/postgresql/$version/main" ]; then
  echo "ensure-postgres: creating the PostgreSQL $version cluster 'main'" >&2
  as_root pg_createcluster "$version" main --port "$port" >/dev/null || die "pg_createcluster $version main failed"
fi
conf=/etc/postgresql/$version/main

cluster_port=$(as_root sed -n 's/^[[:space:]]*port[[:space:]]*=[[:space:]]*\([0-9]*\).*/\1/p' "$conf/postgresql.conf" | tail -n 1)
if [ -n "$cluster_port" ] && [ "$cluster_port" != "$port" ]; then
  die "the PostgreSQL $version cluster 'main' listens on port $cluster_port, the tests use $port"
fi

hba=$conf/pg_hba.conf
hba_changed=false
if ! as_root grep -qF "$marker" "$hba"; then
  # pg_hba.conf is read top down and the first matching line wins, so the
  # two lines go before Debian's scram-sha-256 lines for loopback.
  tmp=$(mktemp)
  {
    echo "$marker"
    printf 'host\ttest\tpostgres\t127.0.0.1/32\ttrust\n'
    printf 'host\ttest\tpostgres\t::1/128\ttrust\n'
    as_root cat "$hba"
  } >"$tmp"
  as_root cp "$tmp" "$hba"
  rm -f "$tmp"
  hba_changed=true
fi

ready() {
  "$bin/pg_isready" -q -h "$host" -p "$port"
}

if ! ready; then
  echo "ensure-postgres: starting the PostgreSQL $version cluster 'main'" >&2
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || die "pg_ctlcluster $version main start failed (see /var/log/postgresql/postgresql-$version-main.log)"
  for _ in $(seq 1 100); do
    ready && break
    sleep 0.1
  done
  ready || die "PostgreSQL $version started but does not answer on $host:$port"
elif [ "$hba_changed" = true ]; then
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main reload || die "reloading PostgreSQL $version failed"
fi

if [ "$(as_postgres psql -qAtX -c "SELECT 1 FROM pg_database WHERE datname = 'test'")" != 1 ]; then
  as_postgres createdb test || die "createdb test failed"
fi

"$bin/psql" -qAtX "postgres://postgres@$host:$port/test?sslmode=disable" -c 'SELECT 1' >/dev/null ||
  die "postgres://postgres@$host:$port/test does not accept the tests' connection"
