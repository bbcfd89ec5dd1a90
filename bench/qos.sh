#!/usr/bin/env bash
# QoS benchmarks (release build, loopback):
#  1. shaping accuracy at 1, 10, 100 and 1000 Mbps, with nginx's `limit_rate` at the same
#     rates in the same run as the reference shaper;
#  2. p99 added latency of P0 requests while a P3 bulk transfer saturates the link;
#  3. overhead of an active policy that does not throttle (requests/s with and without).
# Usage: bench/qos.sh [seconds per transfer]   (default 5)
source "$(dirname "$0")/common.sh"
SECS=${1:-5}
read -r P_MP P_LINK P_NGREF _ < <(free_ports 3)
NGINX_EXTRA=""
for r in 1 10 100 1000; do
  NGINX_EXTRA="$NGINX_EXTRA server { listen 127.0.0.1:$P_NGREF; server_name ref$r; root $DIR/up/www; limit_rate $((r * 125000)); }"
done
start_upstream
start_control_plane
for r in 1 10 100 1000; do
  sid=$(service "rate$r")
  api POST /api/v1/traffic-shaping/policies "{\"name\":\"rate$r\",\"service_id\":$sid,\"cluster_id\":1,
    \"bandwidth\":{\"egress_mbps\":$r,\"burst_size_kb\":16},\"priority_config\":{\"priority\":\"P2\"}}" >/dev/null
done
plain=$(service plain)
shaped=$(service shaped)
api POST /api/v1/traffic-shaping/policies "{\"name\":\"open\",\"service_id\":$shaped,\"cluster_id\":1,
  \"bandwidth\":{\"egress_mbps\":100000,\"ingress_mbps\":100000,\"burst_size_kb\":10240},\"priority_config\":{\"priority\":\"P1\",\"dscp_marking\":\"AF41\"}}" >/dev/null
bulk=$(service bulk)
inter=$(service interactive)
api POST /api/v1/traffic-shaping/policies "{\"name\":\"bulk\",\"service_id\":$bulk,\"cluster_id\":1,\"bandwidth\":{\"burst_size_kb\":64},\"priority_config\":{\"priority\":\"P3\"}}" >/dev/null
P0=$(api POST /api/v1/traffic-shaping/policies "{\"name\":\"interactive\",\"service_id\":$inter,\"cluster_id\":1,\"bandwidth\":{\"burst_size_kb\":64},\"priority_config\":{\"priority\":\"P0\",\"dscp_marking\":\"EF\"}}" | id_of)
start_proxy "$P_MP"
start_proxy "$P_LINK" --link-mbps 200
wait_http "http://127.0.0.1:$P_MP/1k" plain || die "proxy did not start"
wait_http "http://127.0.0.1:$P_LINK/1k" interactive || die "link proxy did not start"

measure() { # URL HOST BYTES -> Mbps
  curl -s -o /dev/null -H "Host: $2" -r "0-$(($3 - 1))" -w '%{size_download} %{time_total}\n' "$1" |
    awk '{printf "%.3f", ($1 - 16384) * 8 / $2 / 1e6}'
}
echo "== 1. Shaping accuracy (${SECS}s transfers, 16 KiB burst)"
printf '%-10s %-14s %-9s %-16s %-9s\n' target marchproxy error nginx-limit_rate error
for r in 1 10 100 1000; do
  bytes=$((r * 125000 * SECS))
  mp=$(measure "http://127.0.0.1:$P_MP/big" "rate$r" "$bytes")
  ng=$(measure "http://127.0.0.1:$P_NGREF/big" "ref$r" "$bytes")
  printf '%-10s %-14s %-9s %-16s %-9s\n' "${r}Mbps" "$mp" "$(awk -v m="$mp" -v r="$r" 'BEGIN{printf "%+.2f%%", (m-r)/r*100}')" \
    "$ng" "$(awk -v m="$ng" -v r="$r" 'BEGIN{printf "%+.2f%%", (m-r)/r*100}')"
done

echo "== 2. P0 latency while P3 saturates a 200 Mbps link"
p0_probe() { # 400 sequential keep-alive GETs of 1 KiB, 5 ms apart: p50 and p99 in ms
  python3 - "$P_LINK" <<'PY'
import http.client, sys, time
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]))
lat = []
for _ in range(400):
    t = time.perf_counter()
    c.request("GET", "/1k", headers={"Host": "interactive"})
    c.getresponse().read()
    lat.append((time.perf_counter() - t) * 1000)
    time.sleep(0.005)
lat.sort()
print(f"{lat[len(lat) // 2]:.3f} {lat[int(len(lat) * 0.99)]:.3f}")
PY
}
read -r base_p50 base_p99 < <(p0_probe)
for _ in 1 2 3; do curl -s -o /dev/null -H 'Host: bulk' "http://127.0.0.1:$P_LINK/big" & PIDS+=($!); done
sleep 1
read -r load_p50 load_p99 < <(p0_probe)
echo "P0 round trip alone:             p50 ${base_p50} ms, p99 ${base_p99} ms"
echo "P0 round trip while P3 saturates: p50 ${load_p50} ms, p99 ${load_p99} ms"
sleep 1.5
api GET "/api/v1/traffic-shaping/policies/$P0/stats" | python3 -c '
import sys, json
s = json.load(sys.stdin)
print("P0 delay added by shaping per chunk (proxy histogram): p50 <= %s ms, p99 <= %s ms; SLA (1 ms) violations: %s" % (s["delay_ms"]["P0"]["p50"], s["delay_ms"]["P0"]["p99"], s["sla_violations"]))'
echo "== 3. Overhead of an active, non-throttling policy (wrk -c32, 10 s each)"
read -r p_rps p_p50 p_p99 < <(wrk_run "http://127.0.0.1:$P_MP/1k" plain 10)
read -r s_rps s_p50 s_p99 < <(wrk_run "http://127.0.0.1:$P_MP/1k" shaped 10)
echo "no policy:     ${p_rps} req/s, p50 ${p_p50} ms, p99 ${p_p99} ms"
echo "active policy: ${s_rps} req/s, p50 ${s_p50} ms, p99 ${s_p99} ms"
awk -v a="$s_rps" -v b="$p_rps" 'BEGIN{printf "ratio: %.3f (target >= 0.95)\n", a/b}'
