#!/usr/bin/env bash
# Control-plane API throughput: authenticated GET and POST of
# /api/v1/traffic-shaping/policies with wrk on loopback, SQLite, release build.
# Also reports the control plane's resident memory: fresh (before any request), after
# the setup (one login + 21 writes) and after the load.
# Usage: bench/api.sh [seconds]   (needs wrk, curl, python3: apt-get install wrk)
# Environment: BIN (the marchproxy binary; default target/release/marchproxy, built if missing)
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${1:-10}
BIN=${BIN:-target/release/marchproxy}
for tool in wrk curl python3; do
  command -v "$tool" >/dev/null || { echo "bench/api.sh: $tool is required" >&2; exit 1; }
done
[ -x "$BIN" ] || cargo build --release -p marchproxy
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
DIR=$(mktemp -d "${TMPDIR:-/tmp}/marchproxy-api-bench.XXXXXX")
PID=""
cleanup() {
  if [ -n "$PID" ]; then
    kill "$PID" 2>/dev/null || true
    wait "$PID" 2>/dev/null || true
  fi
  rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
rss_mib() { awk '/^VmRSS/{printf "%.1f", $2 / 1024}' "/proc/$PID/status"; }

MARCHPROXY_LISTEN=127.0.0.1:$PORT MARCHPROXY_DATA_DIR=$DIR MARCHPROXY_PROXY_LISTEN=off \
  MARCHPROXY_ADMIN_PASSWORD=bench-password MARCHPROXY_LOG=warn "$BIN" serve >"$DIR/log" 2>&1 &
PID=$!
BASE="http://127.0.0.1:$PORT"
for _ in $(seq 1 50); do curl -fs "$BASE/healthz" >/dev/null && break; sleep 0.2; done
curl -fs "$BASE/healthz" >/dev/null || { echo "bench/api.sh: the control plane did not start" >&2; cat "$DIR/log" >&2; exit 1; }
sleep 1
FRESH_RSS=$(rss_mib)
TOKEN=$(curl -fs -X POST "$BASE/api/v1/auth/login" -H 'content-type: application/json' \
  -d '{"username":"admin","password":"bench-password"}' | python3 -c 'import sys,json;print(json.load(sys.stdin)["access_token"])')
curl -fs -X POST "$BASE/api/v1/services" -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' \
  -d '{"name":"web","cluster_id":1,"hostnames":["api.example.com"],"protocol":"http"}' >/dev/null
BODY='{"name":"High Priority Web Traffic","service_id":1,"cluster_id":1,"bandwidth":{"ingress_mbps":1000,"egress_mbps":1000,"burst_size_kb":2048},"priority_config":{"priority":"P1","weight":10,"max_latency_ms":10,"dscp_marking":"EF"}}'
for _ in $(seq 1 20); do
  curl -fs -X POST "$BASE/api/v1/traffic-shaping/policies" -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' -d "$BODY" >/dev/null
done
IDLE_RSS=$(rss_mib)
cat >"$DIR/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '$BODY'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $TOKEN"
LUA
echo "== GET /api/v1/traffic-shaping/policies (20 policies), wrk -t2 -c64 -d${DUR}s"
wrk -t2 -c64 -d"${DUR}s" --latency -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/traffic-shaping/policies" | grep -E "^Requests/sec|^ +(50|99)%|Non-2xx|Socket errors"
echo "== POST /api/v1/traffic-shaping/policies, wrk -t2 -c16 -d${DUR}s"
wrk -t2 -c16 -d"${DUR}s" --latency -s "$DIR/post.lua" "$BASE/api/v1/traffic-shaping/policies" | grep -E "^Requests/sec|^ +(50|99)%|Non-2xx|Socket errors"
echo "== RSS: fresh ${FRESH_RSS} MiB; idle after setup (1 login, 21 writes) ${IDLE_RSS} MiB; after load $(rss_mib) MiB"
