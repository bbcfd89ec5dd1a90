#!/usr/bin/env bash
# Control-plane API throughput: authenticated GET and POST of
# /api/v1/traffic-shaping/policies with wrk on loopback, SQLite, release build.
# Usage: bench/api.sh [seconds]   (needs wrk: apt-get install wrk)
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${1:-10}
PORT=18900
BIN=target/release/marchproxy
[ -x "$BIN" ] || cargo build --release -p marchproxy
DIR=$(mktemp -d)
trap 'kill $PID 2>/dev/null || true; rm -rf "$DIR"' EXIT
MARCHPROXY_LISTEN=127.0.0.1:$PORT MARCHPROXY_DATA_DIR=$DIR MARCHPROXY_PROXY_LISTEN=off \
  MARCHPROXY_ADMIN_PASSWORD=bench-password MARCHPROXY_LOG=warn "$BIN" serve >"$DIR/log" 2>&1 &
PID=$!
for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
BASE="http://127.0.0.1:$PORT"
TOKEN=$(curl -fs -X POST "$BASE/api/v1/auth/login" -H 'content-type: application/json' \
  -d '{"username":"admin","password":"bench-password"}' | python3 -c 'import sys,json;print(json.load(sys.stdin)["access_token"])')
curl -fs -X POST "$BASE/api/v1/services" -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' \
  -d '{"name":"web","cluster_id":1,"hostnames":["api.example.com"],"protocol":"http"}' >/dev/null
BODY='{"name":"High Priority Web Traffic","service_id":1,"cluster_id":1,"bandwidth":{"ingress_mbps":1000,"egress_mbps":1000,"burst_size_kb":2048},"priority_config":{"priority":"P1","weight":10,"max_latency_ms":10,"dscp_marking":"EF"}}'
for _ in $(seq 1 20); do
  curl -fs -X POST "$BASE/api/v1/traffic-shaping/policies" -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' -d "$BODY" >/dev/null
done
IDLE_RSS=$(awk '/VmRSS/{print $2}' /proc/$PID/status)
cat >"$DIR/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '$BODY'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $TOKEN"
LUA
echo "== GET /api/v1/traffic-shaping/policies (20 policies), wrk -t2 -c64 -d${DUR}s"
wrk -t2 -c64 -d"${DUR}s" --latency -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/traffic-shaping/policies" | grep -E "Requests/sec|50%|99%|Non-2xx"
echo "== POST /api/v1/traffic-shaping/policies, wrk -t2 -c16 -d${DUR}s"
wrk -t2 -c16 -d"${DUR}s" --latency -s "$DIR/post.lua" "$BASE/api/v1/traffic-shaping/policies" | grep -E "Requests/sec|50%|99%|Non-2xx"
echo "== idle RSS before load: $((IDLE_RSS / 1024)) MiB; after: $(( $(awk '/VmRSS/{print $2}' /proc/$PID/status) / 1024 )) MiB"
