#!/usr/bin/env bash
# Starts or stops private PostgreSQL and Redis instances on loopback for the test suite.
#   scripts/services.sh start DIR   installs what is missing (Debian packages), starts both servers and
#                                   writes DIR/env with DATABASE_URL and REDIS_URL
#   scripts/services.sh stop DIR    stops what `start` started (by pid, never by name)
set -euo pipefail

cmd=${1:?start or stop}
dir=${2:?a state directory}

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then as_root apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Runs a command as the postgres user when we are root (PostgreSQL refuses to run as root).
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
  if [ -f "$dir/env" ]; then
    echo "$dir/env exists: servers from an earlier start may still run. Stop them first ($0 stop $dir)." >&2
    exit 1
  fi
  [ -n "$(pg_bin)" ] && [ -x "$(pg_bin)/initdb" ] || apt_install postgresql
  command -v redis-server >/dev/null || apt_install redis-server
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  local bin; bin=$(pg_bin)
  local pgdir; pgdir=$(mktemp -d /tmp/megilance-pg.XXXXXX)
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$pgdir"
  as_pg "$bin/initdb" -D "$pgdir/data" -A trust -U postgres -E UTF8 --no-sync >/dev/null
  local pg_port; pg_port=$(free_port)
  as_pg "$bin/pg_ctl" -D "$pgdir/data" -l "$pgdir/server.log" -w -t 60 start -o \
    "-p $pg_port -k $pgdir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off \
     -c full_page_writes=off -c max_connections=300 -c shared_buffers=256MB" >/dev/null
  # Written at once, so `stop` finds this server even if the rest of `start` fails.
  cat >"$dir/env" <<ENV
export DATABASE_URL=postgres://postgres@127.0.0.1:$pg_port/megilance
export MEGILANCE_PGDIR=$pgdir
export MEGILANCE_PGBIN=$bin
ENV
  "$bin/psql" -h 127.0.0.1 -p "$pg_port" -U postgres -qc "CREATE DATABASE megilance" >/dev/null

  local redis_port; redis_port=$(free_port)
  redis-server --daemonize yes --port "$redis_port" --bind 127.0.0.1 --pidfile "$dir/redis.pid" \
    --dir "$dir" --logfile "$dir/redis.log" --save "" --appendonly no >/dev/null
  for _ in $(seq 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done

  echo "export REDIS_URL=redis://127.0.0.1:$redis_port/0" >>"$dir/env"
  echo "PostgreSQL on 127.0.0.1:$pg_port, Redis on 127.0.0.1:$redis_port"
}

stop() {
  [ -f "$dir/env" ] || return 0
  # shellcheck disable=SC1091
  . "$dir/env"
  if [ -n "${MEGILANCE_PGDIR:-}" ] && [ -d "$MEGILANCE_PGDIR/data" ]; then
    as_pg "$MEGILANCE_PGBIN/pg_ctl" -D "$MEGILANCE_PGDIR/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$MEGILANCE_PGDIR"
  fi
  if [ -f "$dir/redis.pid" ]; then
    kill "$(cat "$dir/redis.pid")" 2>/dev/null || true
    rm -f "$dir/redis.pid"
  fi
  rm -f "$dir/env"
}

"$cmd"
