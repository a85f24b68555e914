#!/usr/bin/env bash
# A throw-away PostgreSQL cluster for sandflow's Postgres tests, benchmarks and CI: made with
# initdb in a private folder, on a private port and socket folder, fsync off, trust auth on
# localhost only. Run as root, the server runs as the `postgres` user.
#
#   scripts/pg-test-cluster.sh start|stop|restart|status [DIR] [PORT]
#
# `start` prints the connection URL on stdout (postgres://postgres@127.0.0.1:PORT/postgres).
# Defaults: DIR $SANDFLOW_PG_DIR else /tmp/sandflow-pg, PORT $SANDFLOW_PG_PORT else 54329.
set -euo pipefail

ACTION="${1:-start}"
DIR="${2:-${SANDFLOW_PG_DIR:-/tmp/sandflow-pg}}"
PORT="${3:-${SANDFLOW_PG_PORT:-54329}}"

BIN=""
if command -v initdb >/dev/null 2>&1; then
  BIN="$(dirname "$(command -v initdb)")"
else
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$d/initdb" ]; then BIN="$d"; break; fi
  done
fi
if [ -z "$BIN" ]; then
  echo "pg-test-cluster: no PostgreSQL binaries (initdb) found: apt-get install postgresql" >&2
  exit 3
fi

as_owner() {
  if [ "$(id -u)" = "0" ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

DATA="$DIR/data"
SOCK="$DIR/socket"
LOG="$DIR/server.log"

start() {
  mkdir -p "$DIR"
  if [ "$(id -u)" = "0" ]; then chown postgres: "$DIR"; fi
  if [ ! -f "$DATA/PG_VERSION" ]; then
    as_owner "$BIN/initdb" -D "$DATA" -U postgres --auth=trust --no-sync -E UTF8 >"$DIR/initdb.log" 2>&1 ||
      { cat "$DIR/initdb.log" >&2; exit 1; }
  fi
  as_owner mkdir -p "$SOCK"
  if ! as_owner "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
    as_owner "$BIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 \
      -o "-p $PORT -k $SOCK -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
      start >/dev/null || { tail -20 "$LOG" >&2; exit 1; }
  fi
  echo "postgres://postgres@127.0.0.1:$PORT/postgres"
}

stop() {
  if [ -f "$DATA/PG_VERSION" ]; then
    as_owner "$BIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null 2>&1 || true
  fi
}

case "$ACTION" in
  start) start ;;
  stop) stop ;;
  restart) stop; start ;;
  status) as_owner "$BIN/pg_ctl" -D "$DATA" status ;;
  *) echo "usage: $0 start|stop|restart|status [DIR] [PORT]" >&2; exit 2 ;;
esac
