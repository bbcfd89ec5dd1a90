#!/usr/bin/env bash
# Health monitor at scale: one release control plane probes ENDPOINTS endpoints (default
# 1,000: 100 route tables of 10) with TCP probes every INTERVAL seconds (default 5) against
# a local listener, for DURATION seconds (default 60). Reports probes/s against the schedule's rate,
# how late probes started (marchproxy_health_probe_lag_seconds), and the control plane's CPU.
# Usage: bench/health.sh        Environment: ENDPOINTS, INTERVAL, DURATION, BIN
# Needs: curl, python3.
set -euo pipefail
cd "$(dirname "$0")/.."
ENDPOINTS=${ENDPOINTS:-1000}
INTERVAL=${INTERVAL:-5}
DURATION=${DURATION:-60}
TARGET=${CARGO_TARGET_DIR:-target}
BIN=${BIN:-$TARGET/release/marchproxy}
[ -x "$BIN" ] || cargo build --release -p marchproxy
DIR=$(mktemp -d "${TMPDIR:-/tmp}/marchproxy-health.XXXXXX")
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$DIR"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# The probed listener: accepts and closes.
UP=$(free_port)
python3 - "$UP" <<'PY' &
import asyncio, sys
async def main():
    async def handle(r, w):
        w.close()
    s = await asyncio.start_server(handle, "127.0.0.1", int(sys.argv[1]), backlog=4096)
    async with s:
        await s.serve_forever()
asyncio.run(main())
PY
PIDS+=($!)
PORT=$(free_port)
MARCHPROXY_LISTEN=127.0.0.1:$PORT MARCHPROXY_DATA_DIR=$DIR MARCHPROXY_PROXY_LISTEN=off \
  MARCHPROXY_ADMIN_PASSWORD=Health-Bench-2026 MARCHPROXY_STARTER_TRACING=false MARCHPROXY_LOG=warn \
  "$BIN" serve >"$DIR/log" 2>&1 &
CP=$!
PIDS+=($CP)
BASE=http://127.0.0.1:$PORT
for _ in $(seq 1 100); do curl -fs "$BASE/readyz" >/dev/null && break; sleep 0.1; done
python3 - "$BASE" "$UP" "$ENDPOINTS" "$INTERVAL" <<'PY'
import json, sys, urllib.request
base, up, n, interval = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
def call(path, body, token=None):
    req = urllib.request.Request(base + path, json.dumps(body).encode(), {"content-type": "application/json"})
    if token:
        req.add_header("authorization", "Bearer " + token)
    return json.load(urllib.request.urlopen(req))
token = call("/api/v1/auth/login", {"username": "admin", "password": "Health-Bench-2026"})["access_token"]
svc = call("/api/v1/services", {"name": "h", "cluster_id": 1, "hostnames": ["h.test"], "protocol": "http"}, token)
probe = {"protocol": "tcp", "interval_seconds": interval, "timeout_seconds": 2, "unhealthy_threshold": 3, "healthy_threshold": 2}
for t in range(0, n, 10):
    routes = [{"provider": "aws", "region": "us-east-1", "endpoint": f"http://127.0.0.1:{up}/e{i}", "weight": 1,
               "cost_per_gb": 0.01, "is_active": True} for i in range(t, min(t + 10, n))]
    call("/api/v1/multi-cloud/routes", {"name": f"t{t}", "service_id": svc["id"], "cluster_id": 1, "algorithm": "weighted_rr",
                                        "routes": routes, "health_probe": probe}, token)
PY
metric() { curl -fs "$BASE/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }
cpu() { awk '{ print $14 + $15 }' "/proc/$CP/stat"; }
sleep $((INTERVAL * 2))   # every endpoint has its schedule
p0=$(( $(metric 'marchproxy_health_probes_total{result="ok"}') + $(metric 'marchproxy_health_probes_total{result="failed"}') ))
c0=$(cpu); t0=$(date +%s.%N)
sleep "$DURATION"
p1=$(( $(metric 'marchproxy_health_probes_total{result="ok"}') + $(metric 'marchproxy_health_probes_total{result="failed"}') ))
c1=$(cpu); t1=$(date +%s.%N)
failed=$(metric 'marchproxy_health_probes_total{result="failed"}')
curl -fs "$BASE/metrics" | grep '^marchproxy_health_probe_lag_seconds' > "$DIR/lag"
python3 - "$DIR/lag" "$p0" "$p1" "$t0" "$t1" "$c0" "$c1" "$ENDPOINTS" "$INTERVAL" "$failed" <<'PY'
import sys
lag, p0, p1, t0, t1, c0, c1, n, interval, failed = sys.argv[1], *map(float, sys.argv[2:])
el = t1 - t0
buckets = []
for line in open(lag):
    name, v = line.split()
    if "_bucket" in name:
        le = name.split('le="')[1].split('"')[0]
        buckets.append((float("inf") if le == "+Inf" else float(le), float(v)))
count = buckets[-1][1]
def q(p):
    for le, c in buckets:
        if c >= p * count:
            return le
print(f"== {int(n)} endpoints, TCP probes every {int(interval)} s, {el:.0f} s measured")
print(f"probes: {(p1 - p0) / el:.1f}/s (schedule: {n / interval:.1f}/s), {int(failed)} failed in all")
print(f"probe start lag: p50 <= {q(0.5)} s, p99 <= {q(0.99)} s, p99.9 <= {q(0.999)} s ({int(count)} probes)")
print(f"control plane CPU: {(c1 - c0) / 100 / el * 100:.1f} % of one core")
PY
