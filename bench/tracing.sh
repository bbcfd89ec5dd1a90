#!/usr/bin/env bash
# Tracing overhead (release build, loopback): requests/s through the proxy with tracing
# off, at 1% and at 100% sampling, exporting OTLP/HTTP (protobuf) to a local receiver, in
# one run. The receiver is an nginx location that accepts and discards the payloads, so
# the figures measure the proxy's cost, not a span store's.
# Usage: bench/tracing.sh [seconds per run]   (default 10)
source "$(dirname "$0")/common.sh"
SECS=${1:-10}
read -r P_MP P_SINK _ < <(free_ports 3)
NGINX_EXTRA="server { listen 127.0.0.1:$P_SINK; client_max_body_size 64m; location /v1/traces { return 200; } }"
start_upstream
SINK="http://127.0.0.1:$P_SINK"
start_control_plane
service web >/dev/null
start_proxy "$P_MP"
wait_http "http://127.0.0.1:$P_MP/1k" web || die "proxy did not start"
run() { wrk_run "http://127.0.0.1:$P_MP/1k" web "$SECS"; }
read -r off_rps off_p50 off_p99 < <(run)
TID=$(api POST /api/v1/observability/tracing "{\"name\":\"bench\",\"cluster_id\":1,\"backend\":\"otlp\",\"endpoint\":\"$SINK\",
  \"exporter\":\"http\",\"sampling_strategy\":\"probabilistic\",\"sampling_rate\":0.01,\"service_name\":\"bench\"}" | id_of)
sleep 1
read -r one_rps one_p50 one_p99 < <(run)
api PUT "/api/v1/observability/tracing/$TID" "{\"name\":\"bench\",\"cluster_id\":1,\"backend\":\"otlp\",\"endpoint\":\"$SINK\",
  \"exporter\":\"http\",\"sampling_strategy\":\"always\",\"sampling_rate\":1.0,\"service_name\":\"bench\"}" >/dev/null
sleep 1
read -r all_rps all_p50 all_p99 < <(run)
sleep 2
printf '%-14s %10s %9s %9s %8s\n' tracing req/s p50_ms p99_ms ratio
printf '%-14s %10s %9s %9s %8s\n' off "$off_rps" "$off_p50" "$off_p99" 1.000
printf '%-14s %10s %9s %9s %8s\n' "1% sampled" "$one_rps" "$one_p50" "$one_p99" "$(awk -v a="$one_rps" -v b="$off_rps" 'BEGIN{printf "%.3f", a/b}')"
printf '%-14s %10s %9s %9s %8s\n' "100% sampled" "$all_rps" "$all_p50" "$all_p99" "$(awk -v a="$all_rps" -v b="$off_rps" 'BEGIN{printf "%.3f", a/b}')"
api GET "/api/v1/observability/tracing/$TID/stats" | python3 -c '
import sys, json
s = json.load(sys.stdin)
print("exporter: %d spans exported, %d dropped, effective sampling %.3f" % (s["spans_exported"], s["spans_dropped"], s["effective_sampling_rate"] or 0))'
echo "targets: 1% >= 0.97, 100% >= 0.85"
