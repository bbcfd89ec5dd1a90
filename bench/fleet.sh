#!/usr/bin/env bash
# Fleet scale: N simulated proxies (default 500; lightweight clients that speak the real
# proxy API: register, long-poll, a traffic report every few seconds; see
# crates/marchproxy/examples/fleet.rs) against release control planes:
#   1. one replica on SQLite;
#   2. one replica on PostgreSQL;
#   3. two replicas on PostgreSQL with Redis (half the fleet on each).
# Prints, per setup: how long an API write takes to reach all N proxies (p50/p99/max), the
# control plane's CPU and memory per connected proxy, and report ingest (reports/s from the
# fleet, and a 64-sender burst), and QoS leases of one cluster-wide limit (64-sender burst).
# Usage: bench/fleet.sh            Environment: PROXIES (500), WRITES (20), REPORT_INTERVAL (3),
#   SETUPS ("sqlite postgres postgres2"), PG (postgres://postgres@127.0.0.1:5432),
#   REDIS (redis://127.0.0.1:6379/0), BIN (target/release/marchproxy)
# Needs: curl, psql, a PostgreSQL server and Redis for setups 2 and 3.
set -euo pipefail
cd "$(dirname "$0")/.."
PROXIES=${PROXIES:-500}
WRITES=${WRITES:-20}
REPORT_INTERVAL=${REPORT_INTERVAL:-3}
SETUPS=${SETUPS:-sqlite postgres postgres2}
PG=${PG:-postgres://postgres@127.0.0.1:5432}
REDIS=${REDIS:-redis://127.0.0.1:6379/0}
TARGET=${CARGO_TARGET_DIR:-target}
BIN=${BIN:-$TARGET/release/marchproxy}
[ -x "$BIN" ] || cargo build --release -p marchproxy
cargo build --release -q -p marchproxy --example fleet
FLEET=$TARGET/release/examples/fleet
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

DIR=$(mktemp -d "${TMPDIR:-/tmp}/marchproxy-fleet.XXXXXX")
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# start NAME DATABASE_URL REDIS_URL: a control plane; sets URL to its base URL.
start() {
  local name=$1 db=$2 redis=$3 port
  port=$(free_port)
  MARCHPROXY_LISTEN=127.0.0.1:$port MARCHPROXY_DATA_DIR=$DIR/$name MARCHPROXY_PROXY_LISTEN=off \
    MARCHPROXY_ADMIN_PASSWORD=Fleet-Bench-2026 MARCHPROXY_STARTER_TRACING=false MARCHPROXY_LOG=warn \
    SECRET_KEY=fleet-bench-secret-fleet-bench-secret DATABASE_URL=$db REDIS_URL=$redis \
    "$BIN" serve >"$DIR/$name.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
  curl -fs "http://127.0.0.1:$port/readyz" >/dev/null || { echo "bench/fleet.sh: $name did not start" >&2; cat "$DIR/$name.log" >&2; exit 1; }
  URL="http://127.0.0.1:$port"
}

run() {
  local setup=$1 urls key pids db redis=""
  PIDS=()
  case $setup in
    sqlite) db="sqlite://$DIR/$setup.db" ;;
    postgres | postgres2)
      local name="mp_fleet_$$_$setup"
      psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $name" >/dev/null
      psql "$PG/postgres" -qc "CREATE DATABASE $name" >/dev/null
      db="$PG/$name"
      [ "$setup" = postgres2 ] && redis=$REDIS
      ;;
  esac
  mkdir -p "$DIR/a" "$DIR/b"
  start a "$db" "$redis"
  urls=$URL
  if [ "$setup" = postgres2 ]; then start b "$db" "$redis"; urls="$urls,$URL"; fi
  key=$(grep -o 'mpk_[A-Za-z0-9_-]*' "$DIR/a.log" | head -n1)
  pids=$(IFS=,; echo "${PIDS[*]}")
  echo "== $setup: $PROXIES proxies, report every ${REPORT_INTERVAL}s, $WRITES writes ($(nproc) CPUs)"
  "$FLEET" --control-plane "$urls" --key "$key" --password Fleet-Bench-2026 --proxies "$PROXIES" \
    --writes "$WRITES" --report-interval "$REPORT_INTERVAL" --pids "$pids" | grep -v '^  write'
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  PIDS=()
  rm -rf "$DIR/a" "$DIR/b" "$DIR"/*.db*
}

for s in $SETUPS; do run "$s"; done
