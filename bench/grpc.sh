#!/usr/bin/env bash
# gRPC throughput: one gRPC backend (tonic's server machinery, `test.Echo/Unary`), driven by
# the same load client (crates/marchproxy/examples/grpc_bench.rs, tonic) four ways: direct,
# through `marchproxy proxy`, through nginx (`grpc_pass`) and through HAProxy (`proto h2`
# both sides). Prints calls/s and latency percentiles side by side.
#
# Usage: bench/grpc.sh [seconds]     (default 10 s per measured run)
# Environment: CONCURRENCY (64), CONNECTIONS (4), SIZE (1024 bytes per message), PERF=1
#   (only the MarchProxy run, under `perf record`, and the top of its profile; PERF_CALLGRAPH
#   =dwarf for call graphs of the release build, which has no frame pointers), CALLGRIND=1
#   (user-space instructions per call of MarchProxy with one worker and of HAProxy with one
#   thread, under valgrind's callgrind: independent of the machine's speed and load;
#   CALLGRIND_KEEP=DIR keeps the profiles for callgrind_annotate),
#   BIN (the marchproxy binary; default target/release/marchproxy, built if missing)
# Needs: nginx, haproxy, curl, python3 (Debian: apt-get install nginx haproxy).
#
# Equivalence: 127.0.0.1 only; HTTP/2 with prior knowledge on both sides of every proxy;
# upstream connections reused (nginx `keepalive`, HAProxy's and MarchProxy's pools); access
# logs off; no tracing (the control plane's starter tracing config is off); no per-connection
# request limits (nginx's keepalive_requests raised on both sides); as many worker
# threads/processes as CPUs.
# The control plane, the API helpers and the clean-up come from bench/common.sh.
source "$(dirname "$0")/common.sh"
source bench/callgrind.sh
DUR=${1:-10}
CONCURRENCY=${CONCURRENCY:-64}
CONNECTIONS=${CONNECTIONS:-4}
SIZE=${SIZE:-1024}
NCPU=$(nproc)
HOST=grpc.bench.local
TARGET=${CARGO_TARGET_DIR:-target}
command -v haproxy >/dev/null || { echo "bench/grpc.sh: haproxy is required" >&2; exit 1; }
cargo build --release -q -p marchproxy --example grpc_bench
LOAD=$TARGET/release/examples/grpc_bench
read -r P_BE P_MP P_NG P_HA < <(free_ports 4)
wait_port() { for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }

# --- the backend --------------------------------------------------------------------------
"$LOAD" serve "127.0.0.1:$P_BE" >"$DIR/backend.log" 2>&1 &
PIDS+=($!)
wait_port "$P_BE" || die "the gRPC backend did not start"

# --- MarchProxy: control plane (its starter tracing config off) + `marchproxy proxy` --------
start_control_plane
[ -n "$KEY" ] || die "no cluster API key in the control-plane output"
sid=$(api POST /api/v1/services "{\"name\":\"grpc\",\"cluster_id\":1,\"hostnames\":[\"$HOST\"],\"protocol\":\"http\"}" | id_of) ||
  die "creating the service failed"
api POST /api/v1/multi-cloud/routes "{\"name\":\"grpc\",\"service_id\":$sid,\"cluster_id\":1,\"algorithm\":\"weighted_rr\",
  \"routes\":[{\"provider\":\"on_prem\",\"region\":\"lab\",\"endpoint\":\"grpc://127.0.0.1:$P_BE\"}],
  \"health_probe\":{\"protocol\":\"grpc\",\"interval_seconds\":10,\"timeout_seconds\":2}}" >/dev/null ||
  die "creating the route table failed"
start_proxy "$P_MP"
MP_PID=${PIDS[-1]}
# Until the proxy routes the service: a short load run without errors.
for _ in $(seq 1 50); do
  "$LOAD" load --target "127.0.0.1:$P_MP" --authority "$HOST" --connections 1 --concurrency 1 --seconds 0.2 \
    --warmup 0 2>/dev/null | grep -q ' errors 0 ' && break
  sleep 0.2
done

# --- nginx (grpc_pass) ----------------------------------------------------------------------
mkdir -p "$DIR/ngx"
cat >"$DIR/ngx/nginx.conf" <<EOF
$NGX_USER
daemon off;
worker_processes $NCPU;
pid $DIR/ngx/nginx.pid;
error_log $DIR/nginx.log warn;
events { worker_connections 8192; }
http {
  access_log off;
  upstream backend { server 127.0.0.1:$P_BE; keepalive 64; keepalive_requests 100000000; }
  server {
    listen 127.0.0.1:$P_NG http2;
    http2_max_concurrent_streams 1024;
    # Requests per client connection (nginx 1.19.7+; http2_max_requests is obsolete): at the
    # default 1,000 nginx sends GOAWAY, and the calls it had not taken fail at the client.
    keepalive_requests 100000000;
    location / { grpc_pass grpc://backend; }
  }
}
EOF
nginx -e "$DIR/nginx.log" -p "$DIR/ngx" -c "$DIR/ngx/nginx.conf" >>"$DIR/nginx.log" 2>&1 &
PIDS+=($!)
NG_PID=$!
wait_port "$P_NG" || die "nginx did not start"

# --- HAProxy (proto h2 both sides) ------------------------------------------------------------
cat >"$DIR/haproxy.cfg" <<EOF
global
  nbthread $NCPU
  maxconn 4096
defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 60s
frontend fe
  bind 127.0.0.1:$P_HA proto h2
  default_backend be
backend be
  server s1 127.0.0.1:$P_BE proto h2
EOF
haproxy -f "$DIR/haproxy.cfg" >"$DIR/haproxy.log" 2>&1 &
PIDS+=($!)
HA_PID=$!
wait_port "$P_HA" || die "HAProxy did not start"

cpu_ticks() { # utime+stime of a PID and its children threads
  awk '{print $14 + $15}' "/proc/$1/stat"
}

run() { # name port [pid]
  local name=$1 port=$2 pid=${3:-} before after out
  [ -n "$pid" ] && before=$(cpu_ticks "$pid")
  out=$("$LOAD" load --target "127.0.0.1:$port" --authority "$HOST" --connections "$CONNECTIONS" \
    --concurrency "$CONCURRENCY" --seconds "$DUR" --size "$SIZE") || die "load against $name failed"
  local cpu="-"
  if [ -n "$pid" ]; then
    after=$(cpu_ticks "$pid")
    cpu=$(python3 -c "print(f'{($after - $before) / 100 / ($DUR + 2) * 100:.0f}%')")
  fi
  printf '%-12s %s  proxy CPU %s\n' "$name" "$out" "$cpu"
}

echo "== gRPC unary, $SIZE-byte messages, $CONCURRENCY concurrent calls over $CONNECTIONS connections, ${DUR}s ($NCPU CPUs)"
echo "== $("$BIN" --version), $(haproxy -v | head -n 1 | cut -d' ' -f1-3), $(nginx -v 2>&1 | cut -d' ' -f3)"
if [ -n "${CALLGRIND:-}" ]; then
  command -v valgrind >/dev/null && command -v callgrind_annotate >/dev/null ||
    die "CALLGRIND=1 needs valgrind (apt-get install valgrind)"
  read -r P_CGMP P_CGHA < <(free_ports 2)
  sed -e "s/nbthread $NCPU/nbthread 1/" -e "s/bind 127.0.0.1:$P_HA/bind 127.0.0.1:$P_CGHA/" "$DIR/haproxy.cfg" >"$DIR/haproxy-cg.cfg"
  cg_run() { # NAME PORT SECONDS CMD... -> "calls instructions"
    local name=$1 port=$2 secs=$3 n=0 out vp r
    shift 3
    out="$DIR/cg-$name-$secs.out"
    valgrind --tool=callgrind --callgrind-out-file="$out" "$@" >"$DIR/cg-$name.log" 2>&1 &
    vp=$!
    # Until it serves, then the measured calls; n counts every call answered (`made`).
    for _ in $(seq 1 300); do
      r=$("$LOAD" load --target "127.0.0.1:$port" --authority "$HOST" --connections 1 --concurrency 1 --seconds 0.2 \
        --warmup 0 2>/dev/null || true)
      n=$((n + $(echo "$r" | sed -n 's/.* made \([0-9]*\)$/\1/p' | grep . || echo 0)))
      echo "$r" | grep -q ' errors 0 ' && break
      sleep 0.2
    done
    if [ "$secs" != 0 ]; then
      r=$("$LOAD" load --target "127.0.0.1:$port" --authority "$HOST" --connections "$CONNECTIONS" \
        --concurrency "$CONCURRENCY" --seconds "$secs" --warmup 0 --size "$SIZE")
      n=$((n + $(echo "$r" | sed -n 's/.* made \([0-9]*\)$/\1/p')))
    fi
    printf '%s ' "$n"
    cg_stop "$name" "$vp" "$out" # (not in a subshell: it waits for its child)
  }
  for name in marchproxy haproxy; do
    if [ "$name" = marchproxy ]; then
      cmd=("$BIN" proxy --control-plane "$CP" --cluster-api-key "$KEY" --listen "127.0.0.1:$P_CGMP"
        --admin-listen 127.0.0.1:0 --name callgrind)
      port=$P_CGMP
    else
      cmd=("$(command -v haproxy)" -f "$DIR/haproxy-cg.cfg" -db)
      port=$P_CGHA
    fi
    read -r n0 i0 < <(MARCHPROXY_WORKERS=1 MARCHPROXY_LOG=warn cg_run "$name" "$port" 0 "${cmd[@]}")
    read -r n1 i1 < <(MARCHPROXY_WORKERS=1 MARCHPROXY_LOG=warn cg_run "$name" "$port" "$DUR" "${cmd[@]}")
    cg_report "$name" call "$n0" "$i0" "$n1" "$i1"
  done
  exit 0
fi
if [ -n "${PERF:-}" ]; then # PERF=1: a perf profile of the proxy under the load
  perf record -F 999 --call-graph "${PERF_CALLGRAPH:-fp}" -p "$MP_PID" -o "$DIR/perf.data" -- sleep "$DUR" >/dev/null 2>&1 &
  PERF_PID=$!
  run marchproxy "$P_MP" "$MP_PID"
  wait "$PERF_PID" || true
  cp "$DIR/perf.data" "${TMPDIR:-/tmp}/marchproxy-grpc.perf.data"
  perf report -i "$DIR/perf.data" --no-children --percent-limit 1.5 --stdio 2>/dev/null | grep -v "^$" | head -n 80
  exit 0
fi
run direct "$P_BE"
run marchproxy "$P_MP" "$MP_PID"
run nginx "$P_NG"
run haproxy "$P_HA" "$HA_PID"
echo "(nginx CPU is spread over worker processes and not shown; the backend and the load client share the same $NCPU CPUs)"
