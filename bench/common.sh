# Shared by bench/qos.sh and bench/tracing.sh: a release control plane on SQLite, a
# separate `marchproxy proxy`, an nginx upstream, and API helpers. Source it; it sets
# DIR, CP, TOKEN, KEY, P_UP (upstream port) and defines api(), start_proxy(), wait_http().
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
BIN=${BIN:-target/release/marchproxy}
export PATH=$PATH:/usr/sbin:/sbin
for tool in wrk nginx curl python3; do
  command -v "$tool" >/dev/null || { echo "$0: $tool is required" >&2; exit 1; }
done
[ -x "$BIN" ] || cargo build --release -p marchproxy
DIR=$(mktemp -d "${TMPDIR:-/tmp}/marchproxy-bench.XXXXXX")
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  sleep 0.3
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
die() { echo "$0: $*" >&2; for f in "$DIR"/*.log; do echo "--- $f" >&2; tail -n 20 "$f" >&2; done; exit 1; }
free_ports() { python3 -c "
import socket
ss = [socket.socket() for _ in range($1)]
for s in ss: s.bind(('127.0.0.1', 0))
print(*[s.getsockname()[1] for s in ss])"; }
wait_http() { # url host — until 200, up to 10 s
  for _ in $(seq 1 100); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' -H "Host: $2" "$1" || true)" = 200 ] && return 0
    sleep 0.1
  done
  return 1
}
read -r P_UP P_CP _ < <(free_ports 3)
NGX_USER=""
[ "$(id -u)" = 0 ] && NGX_USER="user $(id -un) $(id -gn);"

# Upstream nginx: /1k (1 KiB) and /big (256 MiB, sparse file) — plus extra server blocks
# a script may append through NGINX_EXTRA before calling start_upstream.
start_upstream() {
  mkdir -p "$DIR/up/www"
  head -c 1024 /dev/zero | tr '\0' 'x' >"$DIR/up/www/1k"
  truncate -s 256M "$DIR/up/www/big"
  cat >"$DIR/up/nginx.conf" <<NGX
$NGX_USER
daemon off;
worker_processes 1;
pid $DIR/up/nginx.pid;
error_log $DIR/upstream.log warn;
events { worker_connections 8192; }
http {
  access_log off;
  sendfile on;
  keepalive_requests 100000000;
  server { listen 127.0.0.1:$P_UP; root $DIR/up/www; }
  ${NGINX_EXTRA:-}
}
NGX
  nginx -e "$DIR/upstream.log" -p "$DIR/up" -c "$DIR/up/nginx.conf" >>"$DIR/upstream.log" 2>&1 &
  PIDS+=($!)
  wait_http "http://127.0.0.1:$P_UP/1k" x || die "upstream nginx did not start"
}

start_control_plane() {
  MARCHPROXY_LISTEN=127.0.0.1:$P_CP MARCHPROXY_DATA_DIR=$DIR MARCHPROXY_ADMIN_PASSWORD=bench-password \
    MARCHPROXY_PROXY_LISTEN=off MARCHPROXY_STARTER_TRACING=false MARCHPROXY_LOG=warn "$BIN" serve >"$DIR/control-plane.log" 2>&1 &
  PIDS+=($!)
  CP="http://127.0.0.1:$P_CP"
  wait_http "$CP/healthz" x || die "control plane did not start"
  KEY=$(grep -o 'mpk_[A-Za-z0-9_-]*' "$DIR/control-plane.log" | head -n 1)
  TOKEN=$(curl -fs -X POST "$CP/api/v1/auth/login" -H 'content-type: application/json' \
    -d '{"username":"admin","password":"bench-password"}' | python3 -c 'import sys,json;print(json.load(sys.stdin)["access_token"])')
}

api() { # METHOD PATH [JSON] — prints the answer
  curl -fsS -X "$1" "$CP$2" -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' ${3:+-d "$3"}
}
id_of() { python3 -c 'import sys,json;print(json.load(sys.stdin)["id"])'; }

# A service answering for HOST, routed to the upstream; prints its id.
service() {
  local sid
  sid=$(api POST /api/v1/services "{\"name\":\"$1\",\"cluster_id\":1,\"hostnames\":[\"$1\"],\"protocol\":\"http\"}" | id_of)
  api POST /api/v1/multi-cloud/routes "{\"name\":\"$1\",\"service_id\":$sid,\"cluster_id\":1,\"algorithm\":\"failover\",
    \"routes\":[{\"provider\":\"on_prem\",\"region\":\"lab\",\"endpoint\":\"http://127.0.0.1:$P_UP\"}],
    \"health_probe\":{\"protocol\":\"tcp\",\"interval_seconds\":10,\"timeout_seconds\":2}}" >/dev/null
  echo "$sid"
}

start_proxy() { # PORT [extra flags...]
  local port=$1
  shift
  MARCHPROXY_LOG=warn "$BIN" proxy --control-plane "$CP" --cluster-api-key "$KEY" --listen "127.0.0.1:$port" \
    --admin-listen 127.0.0.1:0 --name "bench-$port" "$@" >"$DIR/proxy-$port.log" 2>&1 &
  PIDS+=($!)
}

# Requests/s and p99 (ms) of a wrk run: wrk_run URL HOST SECONDS [CONNS]
wrk_run() {
  wrk -t2 -c"${4:-32}" -d"$3s" --latency -H "Host: $2" "$1" 2>/dev/null | python3 -c '
import sys, re
t = sys.stdin.read()
rps = re.search(r"Requests/sec:\s+([\d.]+)", t).group(1)
def ms(label):
    m = re.search(label + r"\s+([\d.]+)(us|ms|s)", t)
    v, u = float(m.group(1)), m.group(2)
    return v / 1000 if u == "us" else v * 1000 if u == "s" else v
p50, p99 = ms("50%"), ms("99%")
print(f"{float(rps):.0f} {p50:.3f} {p99:.3f}")'
}
