#!/usr/bin/env bash
# gRPC interoperability with third-party peers (Python grpcio client and servers) through
# `marchproxy serve` and its local proxy; see interop.py. Installs grpcio and
# grpcio-health-checking from PyPI into a private virtualenv on first use.
# Usage: scripts/grpc-interop/run.sh [path/to/marchproxy]   (default target/debug/marchproxy)
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${1:-${CARGO_TARGET_DIR:-target}/debug/marchproxy}
[ -x "$BIN" ] || cargo build -p marchproxy
PY=${PYTHON:-python3}
if ! "$PY" -c 'import grpc, grpc_health.v1.health' 2>/dev/null; then
  venv=${XDG_CACHE_HOME:-$HOME/.cache}/marchproxy-grpc-interop
  if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import grpc, grpc_health.v1.health' 2>/dev/null; then
    echo "installing grpcio and grpcio-health-checking (PyPI) into $venv"
    "$PY" -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check grpcio grpcio-health-checking
  fi
  PY=$venv/bin/python
fi
exec "$PY" scripts/grpc-interop/interop.py "$BIN"
