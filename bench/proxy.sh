#!/usr/bin/env bash
# Data-plane throughput: the same upstream (nginx serving a 1 KiB body) behind
# `marchproxy proxy`, HAProxy and nginx (reverse proxy), each driven by wrk over
# loopback. Prints requests/s, p50/p99 latency and proxy CPU side by side with the
# MarchProxy/HAProxy ratios at CONNS (64) connections, then the same at BIG_CONNS (1,000)
# with each proxy's resident memory (both with a warm-up, over ROUNDS rounds), and the
# targets of issue 19 at both: p99 at or below HAProxy's, req/s at least 1.1x the faster
# of HAProxy and nginx, and RSS at BIG_CONNS at most 31 MiB.
#
# Usage: bench/proxy.sh [seconds]      (default 10 s per measured run)
# Environment: CONNS (64), THREADS (2), BIG_CONNS (1000), ROUNDS (1; >1 reports medians),
#   HOLD=1 (start everything, print the ports and wait), CALLGRIND=1 (instructions per
#   request; CALLGRIND_KEEP=DIR keeps the profiles for callgrind_annotate), PERF=1/stat,
#   CPU_SHARE=1 (CPU per request of wrk, the upstream and each proxy),
#   MEM_ONLY=1, MP_WRAP, PIN=1 (every proxy's threads/workers pinned one per CPU:
#   marchproxy --pin-workers, HAProxy cpu-map, nginx worker_cpu_affinity),
#   BIN (the marchproxy binary; default target/release/marchproxy, built if missing)
# Needs: wrk, nginx, haproxy, curl, python3 (Debian: apt-get install wrk nginx haproxy).
#
# Equivalence of the three proxies: 127.0.0.1 only; keep-alive on both sides with no
# per-connection request limit; a pooled upstream connection set; access logs off;
# X-Forwarded-For/-Proto/-Host added; as many worker threads/processes as CPUs (HAProxy
# nbthread, nginx worker_processes, MarchProxy's Tokio runtime default). The upstream
# nginx runs one worker. Every process runs as the current user with its files in a
# temporary directory, and everything is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/callgrind.sh
DUR=${1:-10}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
BIG_CONNS=${BIG_CONNS:-1000}
ROUNDS=${ROUNDS:-1}
NCPU=$(nproc)
BIN=${BIN:-target/release/marchproxy}
HOST=bench.local

export PATH=$PATH:/usr/sbin:/sbin
for tool in wrk nginx haproxy curl python3; do
  command -v "$tool" >/dev/null || { echo "bench/proxy.sh: $tool is required" >&2; exit 1; }
done
NGINX=$(command -v nginx)
HAPROXY=$(command -v haproxy)
[ -x "$BIN" ] || cargo build --release -p marchproxy
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((BIG_CONNS * 3)) ]; then
  ulimit -n $((BIG_CONNS * 3 + 1024)) 2>/dev/null ||
    { echo "bench/proxy.sh: raise the open-files limit (ulimit -n) above $((BIG_CONNS * 3))" >&2; exit 1; }
fi

DIR=$(mktemp -d "${TMPDIR:-/tmp}/marchproxy-bench.XXXXXX")
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null || true
  done
  rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
die() { echo "bench/proxy.sh: $*" >&2; for f in "$DIR"/*.log; do echo "--- $f" >&2; tail -n 20 "$f" >&2; done; exit 1; }

# Free loopback ports (the last three for CALLGRIND=1).
read -r P_UP P_MP P_MPADMIN P_CP P_HA P_NG P_CGMP P_CGMPADMIN P_CGHA < <(python3 -c '
import socket
ss = [socket.socket() for _ in range(9)]
for s in ss: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])')

wait_http() { # url [host] — until 200, up to 10 s
  for _ in $(seq 1 100); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' -H "Host: ${2:-$HOST}" "$1" || true)" = 200 ] && return 0
    sleep 0.1
  done
  return 1
}
# User directive: nginx workers keep running as the current user even when it is root.
NGX_USER=""
[ "$(id -u)" = 0 ] && NGX_USER="user $(id -un) $(id -gn);"
BODY=$(head -c 1024 /dev/zero | tr '\0' 'x')

# --- upstream: nginx, 1 KiB body -------------------------------------------------------
mkdir -p "$DIR/up" "$DIR/ngx"
cat >"$DIR/up/nginx.conf" <<EOF
$NGX_USER
daemon off;
worker_processes 1;
pid $DIR/up/nginx.pid;
error_log $DIR/upstream.log warn;
events { worker_connections 8192; }
http {
  access_log off;
  default_type text/plain;
  keepalive_requests 100000000;
  keepalive_timeout 300s;
  server {
    listen 127.0.0.1:$P_UP default_server;
    location / { return 200 "$BODY"; }
  }
}
EOF
"$NGINX" -e "$DIR/upstream.log" -p "$DIR/up" -c "$DIR/up/nginx.conf" >>"$DIR/upstream.log" 2>&1 &
PIDS+=($!)
UP_PID=$!
wait_http "http://127.0.0.1:$P_UP/" || die "upstream nginx did not start"
[ "$(curl -s "http://127.0.0.1:$P_UP/" | wc -c)" = 1024 ] || die "upstream body is not 1 KiB"

# --- MarchProxy: control plane + a separate `marchproxy proxy` ------------------------
MARCHPROXY_LISTEN=127.0.0.1:$P_CP MARCHPROXY_DATA_DIR=$DIR MARCHPROXY_ADMIN_PASSWORD=bench-password \
  MARCHPROXY_PROXY_LISTEN=off MARCHPROXY_LOG=warn "$BIN" serve >"$DIR/control-plane.log" 2>&1 &
PIDS+=($!)
CP="http://127.0.0.1:$P_CP"
wait_http "$CP/healthz" || die "control plane did not start"
KEY=$(grep -o 'mpk_[A-Za-z0-9_-]*' "$DIR/control-plane.log" | head -n 1 || true)
[ -n "$KEY" ] || die "no cluster API key in the control-plane output"
TOKEN=$(curl -fs -X POST "$CP/api/v1/auth/login" -H 'content-type: application/json' \
  -d '{"username":"admin","password":"bench-password"}' | python3 -c 'import sys,json;print(json.load(sys.stdin)["access_token"])') ||
  die "login failed"
api() { curl -fsS -X POST "$CP$1" -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' -d "$2" >/dev/null; }
api /api/v1/services "{\"name\":\"bench\",\"cluster_id\":1,\"hostnames\":[\"$HOST\"],\"protocol\":\"http\"}" ||
  die "creating the service failed"
api /api/v1/multi-cloud/routes "{\"name\":\"bench\",\"service_id\":1,\"cluster_id\":1,\"algorithm\":\"weighted_rr\",
  \"routes\":[{\"provider\":\"on_prem\",\"region\":\"lab\",\"endpoint\":\"http://127.0.0.1:$P_UP\"}],
  \"health_probe\":{\"protocol\":\"tcp\",\"interval_seconds\":10,\"timeout_seconds\":2}}" ||
  die "creating the route table failed"
# MP_WRAP: a command to run the proxy under (e.g. MP_WRAP="heaptrack -o /tmp/mp"); the
# measured PID is then the wrapper's child.
MARCHPROXY_PIN_WORKERS=$([ -n "${PIN:-}" ] && echo true || echo false) MARCHPROXY_LOG=warn ${MP_WRAP:-} "$BIN" proxy --control-plane "$CP" --cluster-api-key "$KEY" \
  --listen "127.0.0.1:$P_MP" --admin-listen "127.0.0.1:$P_MPADMIN" --name bench >"$DIR/marchproxy.log" 2>&1 &
PIDS+=($!)
MP_PID=$!
wait_http "http://127.0.0.1:$P_MP/" || die "marchproxy proxy never answered 200 for Host: $HOST"
if [ -n "${MP_WRAP:-}" ]; then
  MP_PID=$(pgrep -n -f "$BIN proxy --control-plane $CP") || die "no proxy process"
  PIDS+=("$MP_PID")
fi
curl -fs "http://127.0.0.1:$P_MPADMIN/ready" >/dev/null || die "marchproxy proxy /ready is not 200"

# --- HAProxy ---------------------------------------------------------------------------
cat >"$DIR/haproxy.cfg" <<EOF
global
  nbthread $NCPU
$([ -n "${PIN:-}" ] && echo "  cpu-map auto:1/1-$NCPU 0-$((NCPU - 1))")
  maxconn $((BIG_CONNS * 4))
defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  timeout http-keep-alive 60s
  option http-keep-alive
  option forwardfor
  http-reuse always
frontend fe
  bind 127.0.0.1:$P_HA
  http-request set-header X-Forwarded-Proto http
  http-request set-header X-Forwarded-Host %[req.hdr(host)]
  default_backend be
backend be
  server up 127.0.0.1:$P_UP
EOF
"$HAPROXY" -f "$DIR/haproxy.cfg" -db >"$DIR/haproxy.log" 2>&1 &
PIDS+=($!)
HA_PID=$!
wait_http "http://127.0.0.1:$P_HA/" || die "haproxy did not start"

# --- nginx as a reverse proxy ----------------------------------------------------------
cat >"$DIR/ngx/nginx.conf" <<EOF
$NGX_USER
daemon off;
worker_processes $NCPU;
$([ -n "${PIN:-}" ] && echo "worker_cpu_affinity auto;")
pid $DIR/ngx/nginx.pid;
error_log $DIR/nginx-proxy.log warn;
events { worker_connections 8192; }
http {
  access_log off;
  keepalive_requests 100000000;
  keepalive_timeout 300s;
  upstream up {
    server 127.0.0.1:$P_UP;
    keepalive 1024;
    keepalive_requests 100000000;
    keepalive_timeout 300s;
  }
  server {
    listen 127.0.0.1:$P_NG;
    location / {
      proxy_pass http://up;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host \$host;
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto \$scheme;
      proxy_set_header X-Forwarded-Host \$host;
    }
  }
}
EOF
"$NGINX" -e "$DIR/nginx-proxy.log" -p "$DIR/ngx" -c "$DIR/ngx/nginx.conf" >>"$DIR/nginx-proxy.log" 2>&1 &
PIDS+=($!)
NG_PID=$!
wait_http "http://127.0.0.1:$P_NG/" || die "nginx reverse proxy did not start"

# --- measurement helpers ---------------------------------------------------------------
pids_of() { # a process and its children (nginx workers)
  echo "$1"
  cat "/proc/$1/task/$1/children" 2>/dev/null || true
}
cpu_ticks() { # utime+stime of the process tree, in clock ticks
  local t=0 p
  for p in $(pids_of "$1"); do
    [ -r "/proc/$p/stat" ] && t=$((t + $(sed 's/.*) //' "/proc/$p/stat" | awk '{print $12 + $13}')))
  done
  echo "$t"
}
rss_kib() { # summed VmRSS of the process tree
  local t=0 p v
  for p in $(pids_of "$1"); do
    v=$(awk '/^VmRSS/{print $2}' "/proc/$p/status" 2>/dev/null || echo 0)
    t=$((t + ${v:-0}))
  done
  echo "$t"
}
to_ms() { # wrk latency (e.g. 812.00us, 1.23ms, 1.01s) -> ms
  awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000; printf "%.3f", n }'
}
HZ=$(getconf CLK_TCK)
RESULTS=$DIR/results.tsv
: >"$RESULTS"
# run NAME PORT PID CONNS SECONDS -> appends NAME rps p50 p99 cpu% errors to results
run() {
  local name=$1 port=$2 pid=$3 c=$4 d=$5 out t0 t1 rps p50 p99 errs
  wrk -t"$THREADS" -c"$c" -d2s -H "Host: $HOST" "http://127.0.0.1:$port/" >/dev/null # warm-up
  t0=$(cpu_ticks "$pid")
  out=$(wrk -t"$THREADS" -c"$c" -d"${d}s" --latency -H "Host: $HOST" "http://127.0.0.1:$port/")
  t1=$(cpu_ticks "$pid")
  echo "$out" >"$DIR/wrk-$name-$c.txt"
  rps=$(echo "$out" | awk '/^Requests\/sec/{print $2}')
  p50=$(to_ms "$(echo "$out" | awk '$1 == "50%" {print $2}')")
  p99=$(to_ms "$(echo "$out" | awk '$1 == "99%" {print $2}')")
  errs=$(echo "$out" | awk '/Non-2xx/{n += $NF} /Socket errors/{gsub(/,/, ""); n += $4 + $6 + $8 + $10} END {print n + 0}')
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$rps" "$p50" "$p99" \
    "$(awk -v a="$t0" -v b="$t1" -v hz="$HZ" -v d="$d" 'BEGIN{printf "%.0f", (b - a) / hz / d * 100}')" "$errs" >>"$RESULTS"
}

# HOLD=1: keep everything running for manual experiments (wrk, perf, ss) and print the
# ports; Ctrl-C stops it all.
if [ -n "${HOLD:-}" ]; then
  echo "upstream nginx :$P_UP (pid $UP_PID)  marchproxy :$P_MP (pid $MP_PID, admin :$P_MPADMIN)"
  echo "haproxy :$P_HA (pid $HA_PID)  nginx-proxy :$P_NG (pid $NG_PID)  control plane $CP  Host: $HOST"
  while :; do sleep 3600; done
fi
# CALLGRIND=1: user-space instructions per proxied request under valgrind's callgrind, for
# marchproxy (one worker) and HAProxy (one thread). Instruction counts do not depend on the
# machine's speed or on other load, unlike req/s: each proxy runs once for a single request
# and once under wrk -t1 -c16 for DUR seconds, and the difference is divided by the
# difference in requests.
if [ -n "${CALLGRIND:-}" ]; then
  command -v valgrind >/dev/null && command -v callgrind_annotate >/dev/null ||
    die "CALLGRIND=1 needs valgrind (apt-get install valgrind)"
  sed -e "s/nbthread $NCPU/nbthread 1/" -e "s/bind 127.0.0.1:$P_HA/bind 127.0.0.1:$P_CGHA/" "$DIR/haproxy.cfg" >"$DIR/haproxy-cg.cfg"
  cg_run() { # NAME PORT SECONDS CMD... -> "requests instructions"
    local name=$1 port=$2 secs=$3 n=1 out vp
    shift 3
    out="$DIR/cg-$name-$secs.out"
    valgrind --tool=callgrind --callgrind-out-file="$out" "$@" >"$DIR/cg-$name.log" 2>&1 &
    vp=$!
    for _ in $(seq 1 600); do
      [ "$(curl -s -o /dev/null -w '%{http_code}' -H "Host: $HOST" "http://127.0.0.1:$port/" || true)" = 200 ] && break
      sleep 0.1
    done
    if [ "$secs" != 0 ]; then
      n=$(($(wrk -t1 -c16 -d"${secs}s" -H "Host: $HOST" "http://127.0.0.1:$port/" | awk '/requests in/{print $1}') + 1))
    fi
    printf '%s ' "$n"
    cg_stop "$name" "$vp" "$out" # (not in a subshell: it waits for its child)
  }
  for name in marchproxy haproxy; do
    if [ "$name" = marchproxy ]; then
      cmd=("$BIN" proxy --control-plane "$CP" --cluster-api-key "$KEY"
        --listen "127.0.0.1:$P_CGMP" --admin-listen "127.0.0.1:$P_CGMPADMIN" --name callgrind)
      port=$P_CGMP
    else
      cmd=("$HAPROXY" -f "$DIR/haproxy-cg.cfg" -db)
      port=$P_CGHA
    fi
    # (valgrind must start the binary itself: `env` in between would be what it profiles)
    read -r n0 i0 < <(MARCHPROXY_WORKERS=1 MARCHPROXY_LOG=warn cg_run "$name" "$port" 0 "${cmd[@]}")
    read -r n1 i1 < <(MARCHPROXY_WORKERS=1 MARCHPROXY_LOG=warn cg_run "$name" "$port" "$DUR" "${cmd[@]}")
    cg_report "$name" request "$n0" "$i0" "$n1" "$i1"
  done
  exit 0
fi
# PERF=1: profile marchproxy under the 64-connection load instead (perf from apt), print
# the hottest symbols and stop.
# PERF=stat: syscalls, context switches and CPU time per request, marchproxy, HAProxy and
# nginx (master and workers), at CONNS connections.
if [ "${PERF:-}" = stat ]; then
  command -v perf >/dev/null || die "PERF=stat needs perf (apt-get install linux-perf)"
  for target in "marchproxy $P_MP $MP_PID" "haproxy $P_HA $HA_PID" "nginx $P_NG $NG_PID"; do
    read -r name port pid <<<"$target"
    wrk -t"$THREADS" -c"$CONNS" -d2s -H "Host: $HOST" "http://127.0.0.1:$port/" >/dev/null
    perf stat -e raw_syscalls:sys_enter,context-switches,task-clock -p "$(pids_of "$pid" | tr -s ' \n' ',' | sed 's/,$//')" \
      -o "$DIR/stat-$name.txt" -- sleep "$DUR" &
    spid=$!
    n=$(wrk -t"$THREADS" -c"$CONNS" -d"${DUR}s" -H "Host: $HOST" "http://127.0.0.1:$port/" | awk '/requests in/{print $1}')
    wait "$spid" || true
    awk -v n="$n" -v name="$name" '
      /raw_syscalls:sys_enter/ {gsub(/,/, "", $1); sc = $1}
      /context-switches/ {gsub(/,/, "", $1); cs = $1}
      /task-clock/ {gsub(/,/, "", $1); tc = $1}
      END {printf "%-11s %9d requests  %5.2f syscalls/req  %5.3f switches/req  %6.2f us CPU/req\n", name, n, sc / n, cs / n, tc * 1000 / n}' \
      "$DIR/stat-$name.txt"
    # CPU ticks per thread (balance between worker threads).
    for t in /proc/"$pid"/task/*; do
      printf '  %s %s' "$(cat "$t/comm")" "$(awk '{print $14 + $15}' "$t/stat")"
    done
    echo
  done
  exit 0
fi
# CPU_SHARE=1: where the two CPUs go, per proxy: CPU time per request of wrk, the upstream
# and the proxy under the same CONNS load (ROUNDS rounds, each proxy in turn after a 2 s
# warm-up). All three share the two CPUs, so a proxy's req/s moves with the sum.
if [ -n "${CPU_SHARE:-}" ]; then
  TIMEFORMAT='%U %S'
  printf '%-11s %9s %11s %11s %11s %11s\n' target req/s "wrk us/req" "up us/req" "proxy us/req" "sum us/req"
  for r in $(seq 1 "$ROUNDS"); do
    for target in "marchproxy $P_MP $MP_PID" "haproxy $P_HA $HA_PID" "nginx $P_NG $NG_PID"; do
      read -r name port pid <<<"$target"
      wrk -t"$THREADS" -c"$CONNS" -d2s -H "Host: $HOST" "http://127.0.0.1:$port/" >/dev/null
      p0=$(cpu_ticks "$pid") u0=$(cpu_ticks "$UP_PID")
      { time wrk -t"$THREADS" -c"$CONNS" -d"${DUR}s" -H "Host: $HOST" "http://127.0.0.1:$port/" >"$DIR/share.txt"; } 2>"$DIR/share-time.txt"
      p1=$(cpu_ticks "$pid") u1=$(cpu_ticks "$UP_PID")
      n=$(awk '/requests in/{print $1}' "$DIR/share.txt")
      read -r wu ws <"$DIR/share-time.txt"
      awk -v name="$name" -v n="$n" -v d="$DUR" -v w="$(awk -v a="$wu" -v b="$ws" 'BEGIN{print a + b}')" \
        -v p=$((p1 - p0)) -v u=$((u1 - u0)) -v hz="$HZ" 'BEGIN {
        wr = w * 1e6 / n; ur = u / hz * 1e6 / n; pr = p / hz * 1e6 / n
        printf "%-11s %9.0f %11.2f %11.2f %11.2f %11.2f\n", name, n / d, wr, ur, pr, wr + ur + pr }'
    done
  done
  exit 0
fi
if [ -n "${PERF:-}" ]; then
  command -v perf >/dev/null || die "PERF=1 needs perf (apt-get install linux-perf)"
  wrk -t"$THREADS" -c"$CONNS" -d2s -H "Host: $HOST" "http://127.0.0.1:$P_MP/" >/dev/null
  perf record -q ${PERF_EVENT:+-e "$PERF_EVENT"} -F 1999 -g -p "$MP_PID" -o "$DIR/perf.data" -- sleep "$DUR" 2>/dev/null &
  PERF_PID=$!
  wrk -t"$THREADS" -c"$CONNS" -d"${DUR}s" -H "Host: $HOST" "http://127.0.0.1:$P_MP/" | grep Requests/sec
  wait "$PERF_PID" || true
  [ -n "${PERF_SCRIPT:-}" ] && perf script -i "$DIR/perf.data" 2>/dev/null >"$PERF_SCRIPT"
  perf report -i "$DIR/perf.data" --no-children --sort "${PERF_SORT:-symbol}" ${PERF_DSO:+--dsos "$PERF_DSO"} -g none --stdio 2>/dev/null |
    grep -E "${PERF_GREP:-^ +[0-9]}" | cut -c1-150 | head -n "${PERF_TOP:-45}"
  exit 0
fi

echo "== $("$BIN" --version) ($(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- crates 2>/dev/null || echo ', modified')), $("$HAPROXY" -v | head -n 1 | cut -d' ' -f1-3), $("$NGINX" -v 2>&1 | cut -d' ' -f3), $(wrk -v 2>&1 | head -n 1 | cut -d' ' -f1-2)"
echo "== $(nproc) CPUs ($(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)), $(uname -sr)"
echo "== wrk -t$THREADS -c$CONNS -d${DUR}s --latency, Host: $HOST, 1 KiB body, $ROUNDS round(s)"
echo "   upstream nginx :$P_UP  marchproxy :$P_MP  haproxy :$P_HA  nginx-proxy :$P_NG"
[ -n "${MEM_ONLY:-}" ] && ROUNDS=0
for r in $(seq 1 "$ROUNDS"); do
  run direct "$P_UP" "$UP_PID" "$CONNS" "$DUR"
  run marchproxy "$P_MP" "$MP_PID" "$CONNS" "$DUR"
  run haproxy "$P_HA" "$HA_PID" "$CONNS" "$DUR"
  run nginx "$P_NG" "$NG_PID" "$CONNS" "$DUR"
done

# --- BIG_CONNS concurrent connections: req/s, p99 and memory ------------------------------
# Each round runs every proxy in turn, like the CONNS rounds: a 2 s warm-up at BIG_CONNS
# (the proxies open their upstream connections), then the measured run with VmRSS sampled.
# The summary takes the medians of req/s and p99 and the highest peak over the rounds; the
# idle RSS is read once, before the first load at this concurrency.
MEM=$DIR/mem.tsv
: >"$MEM"
declare -A IDLE
mem() { # NAME PORT PID ROUND
  local name=$1 port=$2 pid=$3 round=$4 peak=0 v wpid out
  [ -n "${IDLE[$name]:-}" ] || IDLE[$name]=$(rss_kib "$pid")
  wrk -t"$THREADS" -c"$BIG_CONNS" -d2s -H "Host: $HOST" "http://127.0.0.1:$port/" >/dev/null # warm-up
  out=$DIR/wrk-$name-$BIG_CONNS-$round.txt
  wrk -t"$THREADS" -c"$BIG_CONNS" -d"${DUR}s" --latency -H "Host: $HOST" "http://127.0.0.1:$port/" >"$out" &
  wpid=$!
  while kill -0 "$wpid" 2>/dev/null; do
    v=$(rss_kib "$pid")
    [ "$v" -gt "$peak" ] && peak=$v
    sleep 0.25
  done
  wait "$wpid" || true
  # Connections the proxy holds to the upstream afterwards (its pool; the other proxies'
  # pooled connections to the same upstream are not counted).
  ss -Htnp state established "( dport = :$P_UP )" 2>/dev/null |
    grep -cE "pid=($(pids_of "$pid" | tr -s ' \n' '|' | sed 's/|$//'))," >"$DIR/upconns-$name.txt" || true
  sleep 1
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "${IDLE[$name]}" "$peak" "$(rss_kib "$pid")" \
    "$(awk '/^Requests\/sec/{print $2}' "$out")" \
    "$(awk '/Non-2xx/{n += $NF} /Socket errors/{gsub(/,/, ""); n += $4 + $6 + $8 + $10} END {print n + 0}' "$out")" \
    "$(cat "$DIR/upconns-$name.txt")" \
    "$(to_ms "$(awk '$1 == "99%" {print $2}' "$out")")" >>"$MEM"
}
if [ -n "${MEM_ONLY:-}" ]; then # quick check of marchproxy's memory only
  mem marchproxy "$P_MP" "$MP_PID" 1
  echo "name before_kib peak_kib after_kib req/s errors upstream_conns p99_ms"; cat "$MEM"
  grep -E "^(Rss|Anonymous|Private_Clean|Shared_Clean)" "/proc/$MP_PID/smaps_rollup"; exit 0
fi
for r in $(seq 1 "$ROUNDS"); do
  mem marchproxy "$P_MP" "$MP_PID" "$r"
  mem haproxy "$P_HA" "$HA_PID" "$r"
  mem nginx "$P_NG" "$NG_PID" "$r"
done
MP_HWM=$(awk '/^VmHWM/{print $2}' "/proc/$MP_PID/status")

python3 - "$RESULTS" "$MEM" "$BIG_CONNS" "$MP_HWM" "$CONNS" <<'PY'
import sys, statistics as st
res, mem, big_conns, hwm, conns = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
rows = {}
for line in open(res):
    n, rps, p50, p99, cpu, errs = line.split("\t")
    rows.setdefault(n, []).append((float(rps), float(p50), float(p99), float(cpu), int(errs)))
med = {n: tuple(st.median(x[i] for x in v) for i in range(4)) + (sum(x[4] for x in v),) for n, v in rows.items()}
ha = med["haproxy"]
print()
print(f"{'target':<12}{'req/s':>11}{'p50 ms':>9}{'p99 ms':>9}{'CPU %':>7}{'errors':>8}{'req/s vs HAProxy':>18}{'p99 vs HAProxy':>16}")
for n in ("direct", "marchproxy", "haproxy", "nginx"):
    rps, p50, p99, cpu, errs = med[n]
    ratio = "" if n == "direct" else f"{rps / ha[0]:.2f}x"
    pr = "" if n == "direct" else f"{p99 / ha[2]:.2f}x"
    print(f"{n:<12}{rps:>11,.0f}{p50:>9.3f}{p99:>9.3f}{cpu:>7.0f}{errs:>8}{ratio:>18}{pr:>16}")
print("(direct = wrk against the upstream itself; CPU % = the proxy's CPU time / wall time, 100 = one core;")
print(" errors = non-2xx responses + socket errors)")
print()
print(f"{f'@ {big_conns} conns':<12}{'RSS before':>12}{'peak':>11}{'1 s after':>11}{'req/s':>10}{'p99 ms':>9}{'errors':>8}{'upstream conns':>16}")
by_name = {}
for line in open(mem):
    n, before, peak, after, rps, errs, up, p99 = line.rstrip("\n").split("\t")
    by_name.setdefault(n, []).append((int(before), int(peak), int(after), float(rps or 0), int(errs), int(up), float(p99 or 0)))
big_rows = {}
for n, v in by_name.items():
    rps, p99, peak = st.median(x[3] for x in v), st.median(x[6] for x in v), max(x[1] for x in v)
    big_rows[n] = (rps, p99, peak)
    before, after, errs, up = v[0][0], v[-1][2], sum(x[4] for x in v), v[-1][5]
    print(f"{n:<12}{before / 1024:>8.1f} MiB{peak / 1024:>7.1f} MiB{after / 1024:>7.1f} MiB"
          f"{rps:>10,.0f}{p99:>9.2f}{errs:>8}{up:>16}")
print(f"(after a 2 s warm-up, wrk -t2 -c{big_conns} -d<seconds>, {len(next(iter(by_name.values())))} round(s): req/s and p99 are"
      f" medians, peak the highest VmRSS sampled every 0.25 s; nginx = master + workers; marchproxy VmHWM {hwm / 1024:.1f} MiB)")
mp = med["marchproxy"]
print()
print(f"marchproxy/HAProxy: {mp[0] / ha[0]:.2f}x req/s, p99 {mp[2]:.3f} ms vs {ha[2]:.3f} ms")
# The targets at both concurrencies: p99 <= HAProxy's; req/s >= 1.1x the faster of HAProxy
# and nginx; RSS at the big concurrency <= 31 MiB.
def verdict(label, m_rps, m_p99, h_rps, h_p99, n_rps):
    faster = max(h_rps, n_rps)
    ok_p99, ok_rps = m_p99 <= h_p99, m_rps >= 1.1 * faster
    print(f"targets @ {label:>5}: p99 {m_p99:.2f} vs HAProxy {h_p99:.2f} ms ({'met' if ok_p99 else 'NOT met'}); "
          f"req/s {m_rps / faster:.2f}x the faster of HAProxy/nginx ({'met' if ok_rps else 'NOT met'}, 1.10x wanted)")
ng = med["nginx"]
verdict(str(conns), mp[0], mp[2], ha[0], ha[2], ng[0])
if all(k in big_rows for k in ("marchproxy", "haproxy", "nginx")):
    b = big_rows
    verdict(str(big_conns), b["marchproxy"][0], b["marchproxy"][1], b["haproxy"][0], b["haproxy"][1], b["nginx"][0])
    peak = b["marchproxy"][2] / 1024
    print(f"RSS @ {big_conns}: peak {peak:.1f} MiB ({'met' if peak <= 31 else 'NOT met'}, 31 MiB wanted)")
PY
