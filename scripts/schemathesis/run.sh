#!/usr/bin/env bash
# Schema-driven fuzzing of the whole API with schemathesis (PyPI): every operation of the
# published OpenAPI document, all checks (no server errors, answers as documented, valid
# data accepted, invalid data rejected), and the stateful phase that follows the document's
# links (created id -> GET, PUT, PATCH, enable, disable, DELETE). The run fails on any
# failure and on any warning (e.g. an operation that mostly rejected generated data, a sign
# that the document does not state a constraint the server enforces).
# Usage: scripts/schemathesis/run.sh [path/to/marchproxy]   (default target/debug/marchproxy)
# ST_MAX_TIME (seconds, default 150) bounds the run; ST_SEED makes it repeatable; ST_ARGS
# adds options (e.g. ST_ARGS="--include-path /api/v1/services" to look at one operation).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
BIN=${1:-${CARGO_TARGET_DIR:-target}/debug/marchproxy}
[ -x "$BIN" ] || cargo build -p marchproxy
ST_VERSION=4.32.5
venv=${XDG_CACHE_HOME:-$HOME/.cache}/marchproxy-schemathesis
if ! "$venv/bin/st" --version 2>/dev/null | grep -q "$ST_VERSION"; then
  echo "installing schemathesis $ST_VERSION (PyPI) into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$ST_VERSION"
fi

work=$(mktemp -d)
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base=http://127.0.0.1:$port
admin_password=$(python3 -c 'import secrets; print("St-" + secrets.token_urlsafe(18))')
MARCHPROXY_DATA_DIR=$work/data MARCHPROXY_LISTEN=127.0.0.1:$port MARCHPROXY_PROXY_LISTEN=127.0.0.1:0 \
  MARCHPROXY_ADMIN_PASSWORD=$admin_password LICENSE_SERVER_URL=http://127.0.0.1:9 RUST_LOG=warn \
  "$BIN" serve >"$work/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do curl -fs "$base/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fs "$base/readyz" >/dev/null || { cat "$work/serve.log"; exit 1; }

# The run's own admin accounts (the bootstrap admin is fair game for the fuzzer); hooks.py.
export MP_ST_BASE=$base MP_ST_USER=st-runner MP_ST_USER2=st-password
MP_ST_PASSWORD=$(python3 -c 'import secrets; print("Run-" + secrets.token_urlsafe(18))')
MP_ST_PASSWORD2=$(python3 -c 'import secrets; print("Pw-" + secrets.token_urlsafe(18))')
export MP_ST_PASSWORD MP_ST_PASSWORD2
token=$(curl -fs -XPOST "$base/api/v1/auth/login" -H 'content-type: application/json' \
  -d "{\"username\":\"admin\",\"password\":\"$admin_password\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
for u in "$MP_ST_USER:$MP_ST_PASSWORD" "$MP_ST_USER2:$MP_ST_PASSWORD2"; do
  curl -fs -XPOST "$base/api/v1/users" -H "authorization: Bearer $token" -H 'content-type: application/json' \
    -d "{\"username\":\"${u%%:*}\",\"password\":\"${u#*:}\",\"role\":\"admin\"}" >/dev/null
done

# Two objects of each kind, so generated small ids find something (the starter tracing
# config is there already): id 1 stays for the whole run (hooks.py), id 2 is there to be
# deleted (a route table is rarely generated valid, so DELETE would otherwise seldom find one).
api() { curl -fs -XPOST "$base$1" -H "authorization: Bearer $token" -H 'content-type: application/json' -d "$2" >/dev/null; }
for n in 1 2; do
  api /api/v1/services "{\"name\":\"seed$n\",\"cluster_id\":1,\"hostnames\":[\"seed$n.example.com\"],\"protocol\":\"http\"}"
  api /api/v1/traffic-shaping/policies "{\"name\":\"seed$n\",\"service_id\":$n,\"cluster_id\":1,\"priority_config\":{\"priority\":\"P2\"}}"
  api /api/v1/multi-cloud/routes "{\"name\":\"seed$n\",\"service_id\":$n,\"cluster_id\":1,\"routes\":[{\"provider\":\"aws\",\"region\":\"us-east-1\",\"endpoint\":\"http://127.0.0.1:9\"}]}"
done
# One trace in the embedded span store, so `GET …/traces/{trace_id}` (whose id
# schemathesis.toml fixes to this one) finds something: a span posted to the OTLP receiver
# with the proxy key of a cluster of its own (the default cluster's key stays with the
# local proxy).
export MP_ST_TRACE_ID=5eed0000000000000000000000000001
ingest_key=$(curl -fs -XPOST "$base/api/v1/clusters" -H "authorization: Bearer $token" -H 'content-type: application/json' \
  -d '{"name":"st-traces"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["api_key"])')
now_ns=$(python3 -c 'import time; print(time.time_ns())')
curl -fs -XPOST "$base/v1/traces" -H "authorization: Bearer $ingest_key" -H 'content-type: application/json' -d "{\"resourceSpans\":
  [{\"resource\":{\"attributes\":[{\"key\":\"service.name\",\"value\":{\"stringValue\":\"st-seed\"}}]},
  \"scopeSpans\":[{\"spans\":[{\"traceId\":\"$MP_ST_TRACE_ID\",\"spanId\":\"5eed000000000001\",\"name\":\"GET /\",\"kind\":2,
  \"startTimeUnixNano\":\"$now_ns\",\"endTimeUnixNano\":\"$((now_ns + 1000000))\"}]}]}]}" >/dev/null
stored=
for _ in $(seq 100); do
  curl -fs "$base/api/v1/observability/traces/$MP_ST_TRACE_ID" -H "authorization: Bearer $token" >/dev/null && stored=1 && break
  sleep 0.1
done
[ -n "$stored" ] || { echo "run.sh: the seed trace did not reach the span store"; cat "$work/serve.log"; exit 1; }

# A live drill of 1 s on route table 1, so `…/drills/{drill_id}` has a record. A live drill
# needs a proxy of the cluster online: the local proxy (on a free port), once registered.
drill=
for _ in $(seq 50); do
  api /api/v1/multi-cloud/routes/1/test-failover '{"dry_run":false,"duration_seconds":1,"wait":false}' && drill=1 && break
  sleep 0.2
done
[ -n "$drill" ] || { echo "run.sh: could not start the seed drill (is the local proxy online?)"; cat "$work/serve.log"; exit 1; }

seed=()
[ -n "${ST_SEED:-}" ] && seed=(--seed "$ST_SEED")
status=0
PYTHONPATH=$ROOT/scripts/schemathesis SCHEMATHESIS_HOOKS=hooks "$venv/bin/st" \
  --config-file "$ROOT/scripts/schemathesis/schemathesis.toml" run "$base/api/v1/openapi.json" \
  --max-time "${ST_MAX_TIME:-150}" "${seed[@]}" ${ST_ARGS:-} || status=$?
if grep -q "panicked" "$work/serve.log"; then
  echo "the server panicked:"; grep -A5 panicked "$work/serve.log"; status=1
fi
exit $status
