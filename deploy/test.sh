#!/usr/bin/env bash
# Tests of MarchProxy's deployment files.
#
#   deploy/test.sh [validate]   (default; fast, offline apart from a first pip install; for CI)
#       Renders every kustomize overlay with `kubectl kustomize`, validates the output against
#       the Kubernetes schemas (PyPI kubernetes-validate, strict), asserts what an SRE reads
#       (deploy/checks.py: probes, resources, security context, PDBs, HPA, NetworkPolicy,
#       secrets), parses docker-compose.yml with `podman-compose config` and asserts its
#       services, healthchecks, depends_on conditions, volumes and variables, and checks the
#       Dockerfile's shape.
#
#   deploy/test.sh image        (slow: compiles the workspace in a container, 15+ minutes; root)
#       Builds the image from ./Dockerfile with podman (--isolation chroot) on locally made base
#       images, then starts the binary from the built image's filesystem (chroot, uid 10001):
#       migrate, health, /readyz, the embedded UI at /, /metrics, a service and route created
#       through the API, a proxied request through `marchproxy proxy`, graceful SIGTERM; and
#       reports the image size.
#
#   deploy/test.sh base-images  (the first part of `image` only: the stand-in base images)
#
# Environment: K8S_VERSIONS (schema versions to validate against, default "1.29.0 1.32.0"
# plus the package's newest); for `image`: SKIP_BUILD=1 (check the existing
# localhost/marchproxy:test again), REBUILD_BASE=1 (remake the base images), KEEP=1 (keep the
# temporary directory and the container), DEBIAN_MIRROR, DEBIAN_SECURITY_MIRROR.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
MODE=${1:-validate}
PY=${PYTHON:-python3}

say() { printf '\n== %s\n' "$*"; }
die() {
  printf 'deploy/test.sh: %s\n' "$*" >&2
  exit 1
}
need() { command -v "$1" >/dev/null 2>&1 || die "$1 is required${2:+: $2}"; }

# ------------------------------------------------------------------------------------------
# validate
# ------------------------------------------------------------------------------------------

PASSED=0
FAILED=0
FAILED_STEPS=()
# step NAME CMD...: run CMD, show its output, count it; a failure does not stop the others.
step() {
  local name=$1
  shift
  printf -- '-- %s\n' "$name"
  if "$@"; then
    PASSED=$((PASSED + 1))
  else
    FAILED=$((FAILED + 1))
    FAILED_STEPS+=("$name")
    printf '   FAILED: %s\n' "$name"
  fi
}

ensure_python_tools() {
  need "$PY" "Python 3 runs the checks"
  if "$PY" -c 'import kubernetes_validate, podman_compose, yaml' 2>/dev/null &&
    command -v kubernetes-validate >/dev/null && command -v podman-compose >/dev/null; then
    return
  fi
  echo "installing kubernetes-validate and podman-compose (PyPI)"
  if ! "$PY" -m pip install --quiet --disable-pip-version-check kubernetes-validate podman-compose; then
    # An externally managed Python (PEP 668): a private virtualenv instead.
    local venv=${XDG_CACHE_HOME:-$HOME/.cache}/marchproxy-deploy-tools
    "$PY" -m venv "$venv" || die "cannot create a virtualenv in $venv (apt-get install python3-venv)"
    "$venv/bin/pip" install --quiet --disable-pip-version-check kubernetes-validate podman-compose pyyaml ||
      die "pip could not install kubernetes-validate and podman-compose"
    PY=$venv/bin/python
    PATH=$venv/bin:$PATH
  fi
  hash -r
  command -v kubernetes-validate >/dev/null || PATH=$("$PY" -c 'import sysconfig; print(sysconfig.get_path("scripts"))'):$PATH
  command -v kubernetes-validate >/dev/null || die "kubernetes-validate is installed but not on PATH"
  command -v podman-compose >/dev/null || die "podman-compose is installed but not on PATH"
}

render() { # OVERLAY_DIR OUT
  kubectl kustomize "$1" >"$2"
}

kube_validate() { # FILE: strict schema validation against every version in K8S_VERSIONS
  local f=$1 v rc=0
  for v in $K8S_VERSIONS; do
    if [ "$v" = newest ]; then
      kubernetes-validate --strict --quiet "$f" || rc=1
    else
      kubernetes-validate --strict --quiet -k "$v" "$f" || rc=1
    fi
  done
  return $rc
}

compose_config() { # ENV_FILE OUT: podman-compose's normalised config (no podman needed with --dry-run)
  local dry=()
  command -v podman >/dev/null || dry=(--dry-run)
  podman-compose "${dry[@]}" --env-file "$1" -f docker-compose.yml config >"$2"
}

compose_requires_env() { # without an .env, the required secrets must stop compose with a message
  local out dry=() tmp
  command -v podman >/dev/null || dry=(--dry-run)
  tmp=$(mktemp -d)
  cp docker-compose.yml "$tmp/"
  if out=$(cd "$tmp" && env -i PATH="$PATH" HOME="$HOME" podman-compose "${dry[@]}" -f docker-compose.yml config 2>&1); then
    rm -rf "$tmp"
    echo "   docker-compose.yml parsed without an .env: secrets have defaults"
    return 1
  fi
  rm -rf "$tmp"
  grep -q 'POSTGRES_PASSWORD\|SECRET_KEY\|MARCHPROXY_ADMIN_PASSWORD' <<<"$out" || {
    echo "$out" | tail -n 3
    return 1
  }
  echo "   without .env: $(grep -o 'required variable [A-Z_]* is missing a value' <<<"$out" | head -n 1)"
}

servicemonitor_render() { # OUT: production + the optional ServiceMonitor component
  local tmp rel
  tmp=$(mktemp -d)
  rel=$("$PY" -c 'import os,sys; print(os.path.relpath(sys.argv[1], sys.argv[2]))' "$ROOT/deploy/kubernetes" "$tmp")
  cat >"$tmp/kustomization.yaml" <<EOF
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: marchproxy
resources:
  - $rel/overlays/production
components:
  - $rel/components/servicemonitor
EOF
  local rc=0
  kubectl kustomize "$tmp" >"$1" || rc=1
  rm -rf "$tmp"
  return $rc
}

validate() {
  need kubectl "kubectl renders the kustomize overlays offline (kubectl kustomize); install it"
  kubectl version --client >/dev/null 2>&1 || die "kubectl is installed but 'kubectl version --client' fails"
  ensure_python_tools
  local newest
  newest=$(kubernetes-validate --help 2>/dev/null | grep -o 'Defaults to [0-9.]*' | awk '{print $3}' || true)
  K8S_VERSIONS=${K8S_VERSIONS:-1.29.0 1.32.0 newest}
  say "kubectl $(kubectl version --client 2>/dev/null | head -n 1 | awk '{print $3}'), kubernetes-validate (schemas: ${K8S_VERSIONS/newest/${newest:-newest}}), podman-compose $("$PY" -c 'import podman_compose; print(podman_compose.__version__)' 2>/dev/null || echo '?')"

  WORK=$(mktemp -d "${TMPDIR:-/tmp}/marchproxy-validate.XXXXXX")
  trap 'rm -rf "$WORK"' EXIT

  say "Kubernetes: render, validate against the schemas, SRE checks"
  step "render base" render deploy/kubernetes/base "$WORK/base.yaml"
  step "schemas: base" kube_validate "$WORK/base.yaml"
  local o
  for o in dev production daemonset; do
    step "render overlays/$o" render "deploy/kubernetes/overlays/$o" "$WORK/$o.yaml"
    [ -s "$WORK/$o.yaml" ] || continue
    step "schemas: overlays/$o ($(grep -c '^kind:' "$WORK/$o.yaml") objects)" kube_validate "$WORK/$o.yaml"
    step "SRE checks: overlays/$o" "$PY" deploy/checks.py k8s "$o" "$WORK/$o.yaml"
  done
  step "render overlays/production + components/servicemonitor" servicemonitor_render "$WORK/sm.yaml"
  if [ -s "$WORK/sm.yaml" ]; then
    step "schemas: production + servicemonitor (ServiceMonitor has no built-in schema)" kube_validate "$WORK/sm.yaml"
    step "SRE checks: production + servicemonitor" "$PY" deploy/checks.py k8s production+servicemonitor "$WORK/sm.yaml"
  fi

  say "Docker Compose: parse with podman-compose, assert"
  step "podman-compose config (.env.example)" compose_config .env.example "$WORK/compose.yaml"
  [ -s "$WORK/compose.yaml" ] &&
    step "compose checks" "$PY" deploy/checks.py compose docker-compose.yml "$WORK/compose.yaml" .env.example
  step "compose refuses to start without the .env secrets" compose_requires_env
  step "bootstrap.py compiles" "$PY" -c 'import sys; compile(open(sys.argv[1]).read(), sys.argv[1], "exec")' deploy/compose/bootstrap.py

  say "Dockerfile"
  step "Dockerfile and .dockerignore checks" "$PY" deploy/checks.py dockerfile Dockerfile .dockerignore
  step "deploy/test.sh parses" bash -n deploy/test.sh

  say "deploy/test.sh validate: $PASSED passed, $FAILED failed"
  echo "$PASSED passed, $FAILED failed"
  if [ "$FAILED" -gt 0 ]; then
    printf '  failed: %s\n' "${FAILED_STEPS[@]}"
    exit 1
  fi
}

# ------------------------------------------------------------------------------------------
# image
# ------------------------------------------------------------------------------------------
# podman cannot run containers on this kind of machine (no setrlimit, hybrid cgroups) and no
# registry images can be pulled: the base images are made here and tagged with the public
# names the Dockerfile uses, and the built image's filesystem is run with chroot.

DEBIAN_IMG=docker.io/library/debian:bookworm-slim
NODE_IMG=docker.io/library/node:20-bookworm-slim
RUST_IMG=docker.io/library/rust:1-bookworm
# The build stages fetch from the npm registry and crates.io through this machine's network,
# which may inspect TLS with its own CA: the stand-ins trust this machine's CA bundle (only
# the build-stage stand-ins; the runtime image keeps Debian's ca-certificates).
HOST_CA=${HOST_CA:-/etc/ssl/certs/ca-certificates.crt}
TEST_IMG=localhost/marchproxy:test
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
DEBIAN_SECURITY_MIRROR=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}

apt_install() { # PACKAGE... (once apt-get update)
  if [ -z "${APT_UPDATED:-}" ]; then
    apt-get update -qq
    APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

image_tools() {
  [ "$(id -u)" = 0 ] || die "'image' needs root (mmdebstrap, podman mount, chroot)"
  local missing=()
  command -v podman >/dev/null || missing+=(podman)
  command -v mmdebstrap >/dev/null || missing+=(mmdebstrap)
  command -v curl >/dev/null || missing+=(curl)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing ${missing[*]} (apt)"
    apt_install "${missing[@]}"
  fi
  need "$PY"
  [ -r "$HOST_CA" ] || die "no CA bundle at $HOST_CA (set HOST_CA)"
}

tag_too() { # IMAGE: also as localhost/NAME, so short names resolve locally however
  # registries.conf treats them (the Dockerfile says FROM node:20-bookworm-slim)
  podman tag "$1" "localhost/${1#docker.io/library/}"
}

have_image() { [ -z "${REBUILD_BASE:-}" ] && podman image exists "$1"; }

make_debian() {
  if have_image "$DEBIAN_IMG"; then
    echo "$DEBIAN_IMG: exists (REBUILD_BASE=1 to remake it)"
    return
  fi
  say "$DEBIAN_IMG: mmdebstrap (minbase, like the official slim image: no docs, man pages or locales)"
  local tar=$WORK/bookworm.tar hooks=()
  # Merged /usr without the usrmerge package (which would pull in perl: +50 MB).
  [ -d /usr/share/mmdebstrap/hooks/merged-usr ] && hooks=(--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr)
  # shellcheck disable=SC2016 # "$1" is expanded by mmdebstrap's hook shell (the rootfs)
  mmdebstrap --variant=minbase --format=tar "${hooks[@]}" \
    --aptopt='APT::Install-Recommends "false"' \
    --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-exclude=/usr/share/info/*' \
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin' \
    bookworm "$tar" \
    "deb $DEBIAN_MIRROR bookworm main" \
    "deb $DEBIAN_MIRROR bookworm-updates main" \
    "deb $DEBIAN_SECURITY_MIRROR bookworm-security main" </dev/null
  podman import --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' "$tar" "$DEBIAN_IMG" >/dev/null
  rm -f "$tar"
  tag_too "$DEBIAN_IMG"
}

make_node() {
  if have_image "$NODE_IMG"; then
    echo "$NODE_IMG: exists"
    return
  fi
  # Debian bookworm's nodejs is 18.19 and web/package.json needs >= 20.19: the stand-in
  # carries this machine's Node.js (20.x) and npm instead, where the official image has them.
  need node "the node:20 stand-in copies this machine's Node.js 20"
  need npm
  local ver major npm_dir ctx=$WORK/node-ctx
  ver=$(node -p process.versions.node)
  major=${ver%%.*}
  [ "$major" -ge 20 ] || die "this machine's Node.js is $ver; the web UI build needs 20.19 or later"
  npm_dir=$(cd "$(dirname "$(readlink -f "$(command -v npm)")")/.." && pwd)
  [ -f "$npm_dir/bin/npm-cli.js" ] || die "cannot find npm's package directory (looked at $npm_dir)"
  say "$NODE_IMG: stand-in from $DEBIAN_IMG + this machine's Node.js $ver and npm $(npm --version)"
  mkdir -p "$ctx"
  cp "$(readlink -f "$(command -v node)")" "$ctx/node"
  cp -a "$npm_dir" "$ctx/npm"
  cp "$HOST_CA" "$ctx/host-ca.crt"
  cat >"$ctx/Containerfile" <<EOF
FROM $DEBIAN_IMG
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
# npm ci reaches the registry through this machine's network: trust what this machine trusts.
COPY host-ca.crt /usr/local/share/host-ca.crt
ENV NODE_EXTRA_CA_CERTS=/usr/local/share/host-ca.crt
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \\
 && node --version && npm --version
CMD ["node"]
EOF
  podman build --isolation chroot --pull=never -t "$NODE_IMG" -f "$ctx/Containerfile" "$ctx"
  tag_too "$NODE_IMG"
  rm -rf "$ctx"
}

make_rust() {
  if have_image "$RUST_IMG"; then
    echo "$RUST_IMG: exists"
    return
  fi
  need rustc "the rust:1 stand-in copies this machine's Rust toolchain"
  local sysroot name ver want
  sysroot=$(rustc --print sysroot)
  name=$(basename "$sysroot")
  ver=$(rustc --version | awk '{print $2}')
  want=$(sed -n 's/^rust-version *= *"\(.*\)"/\1/p' Cargo.toml | head -n 1)
  if [ -n "$want" ] && [ "$(printf '%s\n%s\n' "$want" "$ver" | sort -V | head -n 1)" != "$want" ]; then
    die "this machine's rustc is $ver; Cargo.toml needs $want"
  fi
  say "$RUST_IMG: stand-in from $DEBIAN_IMG + build-essential + this machine's toolchain $name ($ver)"
  # The toolchain directory itself is the build context (no copy of 1.5 GB beforehand).
  local cf=$WORK/rust.Containerfile
  cat >"$cf" <<EOF
FROM $DEBIAN_IMG
RUN apt-get update \\
 && apt-get install -y --no-install-recommends build-essential ca-certificates pkg-config \\
 && rm -rf /var/lib/apt/lists/* \\
 && cp /run/host-ca.crt /usr/local/share/host-ca.crt
COPY . /usr/local/rustup/toolchains/$name/
# cargo reaches crates.io through this machine's network: trust what this machine trusts.
ENV CARGO_HTTP_CAINFO=/usr/local/share/host-ca.crt
ENV RUSTUP_HOME=/usr/local/rustup \\
    CARGO_HOME=/usr/local/cargo \\
    PATH=/usr/local/cargo/bin:/usr/local/rustup/toolchains/$name/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
RUN mkdir -p /usr/local/cargo/bin && cargo --version && rustc --version
EOF
  podman build --isolation chroot --pull=never -v "$HOST_CA:/run/host-ca.crt:ro" -t "$RUST_IMG" -f "$cf" "$sysroot"
  tag_too "$RUST_IMG"
}

base_images() {
  image_tools
  make_debian
  make_node
  make_rust
  podman images --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep -E 'debian:bookworm-slim|node:20-bookworm-slim|rust:1-bookworm' || true
}

free_ports() { # N: N free TCP ports on 127.0.0.1
  "$PY" -c '
import socket, sys
ss = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in ss: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])' "$1"
}

PIDS=()
CONTAINER=""
MNT=""
MOUNTS=()

image_cleanup() {
  set +e
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  sleep 0.5
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
  local i
  for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do umount -l "${MOUNTS[$i]}" 2>/dev/null; done
  if [ -n "$CONTAINER" ] && [ -z "${KEEP:-}" ]; then
    podman umount "$CONTAINER" >/dev/null 2>&1
    podman rm -f "$CONTAINER" >/dev/null 2>&1
  fi
  if [ -z "${KEEP:-}" ]; then
    rm -rf "$WORK"
  else
    echo "kept: $WORK${CONTAINER:+, container $CONTAINER (mounted at $MNT)}"
  fi
}

# image_cmd [VAR=value...] -- ARGS...: sets CMD to run /usr/local/bin/marchproxy ARGS from the
# image's filesystem as the image's user, with the image's environment plus VAR=value.
image_cmd() {
  local vars=()
  while [ "$1" != "--" ]; do
    vars+=("$1")
    shift
  done
  shift
  CMD=(env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "${IMAGE_ENV[@]}" "${vars[@]}"
    chroot --userspec=10001:10001 "$MNT" /usr/local/bin/marchproxy "$@")
}

in_image() { # as image_cmd, in the foreground
  image_cmd "$@"
  "${CMD[@]}"
}

start_in_image() { # LOG [VAR=value...] -- ARGS...: in the background; LAST_PID is the
  # marchproxy process itself (env and chroot exec it), so signals reach it
  local log=$1
  shift
  image_cmd "$@"
  "${CMD[@]}" >"$log" 2>&1 &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
}

wait_for() { # SECONDS CMD...: until CMD succeeds
  local deadline=$((SECONDS + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.3
  done
}

running() { # PID: alive and not a zombie (a child that exited stays visible until waited for)
  [ -r "/proc/$1/stat" ] && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]
}

wait_exit() { # PID SECONDS: wait for the process to end; sets EXIT_RC (its status, or "timeout")
  local pid=$1 deadline=$((SECONDS + $2))
  EXIT_RC=timeout
  while running "$pid"; do
    [ $SECONDS -lt $deadline ] || return 0
    sleep 0.2
  done
  EXIT_RC=0
  wait "$pid" || EXIT_RC=$?
}

show_logs() {
  local f
  for f in "$WORK"/*.log; do
    [ -f "$f" ] || continue
    echo "--- $f (last 30 lines)" >&2
    tail -n 30 "$f" >&2
  done
}

fail_image() {
  echo "deploy/test.sh image: FAILED: $*" >&2
  show_logs
  exit 1
}

image() {
  image_tools
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/marchproxy-image.XXXXXX")
  trap image_cleanup EXIT
  trap 'exit 130' INT TERM
  local out=${IMAGE_TEST_OUT:-${TMPDIR:-/tmp}/marchproxy-image-test}
  mkdir -p "$out"

  if [ -n "${SKIP_BUILD:-}" ]; then
    podman image exists "$TEST_IMG" || die "SKIP_BUILD=1 but there is no image $TEST_IMG"
    say "1-2. SKIP_BUILD=1: checking the existing $TEST_IMG"
  else
    say "1. base images"
    make_debian
    make_node
    make_rust

    say "2. podman build --isolation chroot -t $TEST_IMG . (log: $out/build.log)"
    local version revision
    version=$(sed -n 's/^version *= *"\(.*\)"/\1/p' Cargo.toml | head -n 1)
    revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)
    local t0=$SECONDS
    # --format docker: the OCI image format has no HEALTHCHECK. --pull=never: the base images
    # are the local stand-ins.
    podman build --isolation chroot --format docker --pull=never \
      --build-arg "VERSION=$version" --build-arg "REVISION=$revision" \
      --build-arg "CREATED=$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
      -t "$TEST_IMG" -f Dockerfile . 2>&1 | tee "$out/build.log" ||
      fail_image "podman build (full log: $out/build.log)"
    echo "built in $((SECONDS - t0)) s"
  fi

  say "3. image configuration"
  podman image inspect "$TEST_IMG" >"$WORK/inspect.json"
  "$PY" - "$WORK/inspect.json" <<'EOF' || fail_image "image configuration"
import json, sys
img = json.load(open(sys.argv[1]))[0]
cfg = img.get("Config", {})
hc = img.get("Healthcheck") or img.get("HealthCheck") or cfg.get("Healthcheck") or cfg.get("HealthCheck") or {}
problems = []
def want(cond, msg):
    if not cond: problems.append(msg)
want(cfg.get("User") in ("10001:10001", "10001"), f"User is {cfg.get('User')!r}, expected 10001:10001")
want(cfg.get("Entrypoint") == ["marchproxy"], f"Entrypoint {cfg.get('Entrypoint')}")
want(cfg.get("Cmd") == ["serve"], f"Cmd {cfg.get('Cmd')}")
want({"8000/tcp", "8080/tcp", "9901/tcp"} <= set(cfg.get("ExposedPorts") or {}), f"ExposedPorts {cfg.get('ExposedPorts')}")
want("/data" in (cfg.get("Volumes") or {}), f"Volumes {cfg.get('Volumes')}")
want(hc.get("Test") == ["CMD", "marchproxy", "health", "http://127.0.0.1:8000/readyz"], f"HEALTHCHECK {hc}")
labels = cfg.get("Labels") or img.get("Labels") or {}
for k in ("title", "description", "version", "revision", "created", "licenses", "source"):
    want(f"org.opencontainers.image.{k}" in labels, f"label org.opencontainers.image.{k} missing")
for p in problems: print("  FAIL", p)
if problems: sys.exit(1)
print(f"  ok   user 10001, entrypoint marchproxy serve, ports 8000/8080/9901, /data volume, healthcheck, {len(labels)} labels")
print(f"  labels: version={labels.get('org.opencontainers.image.version')} revision={labels.get('org.opencontainers.image.revision')}")
EOF
  local size
  size=$(podman image inspect --format '{{.Size}}' "$TEST_IMG")

  say "4. the image's filesystem"
  CONTAINER=$(podman create "$TEST_IMG")
  MNT=$(podman mount "$CONTAINER")
  [ -x "$MNT/usr/local/bin/marchproxy" ] || fail_image "no /usr/local/bin/marchproxy in the image"
  [ "$(stat -c %u "$MNT/data")" = 10001 ] || fail_image "/data is not owned by uid 10001"
  for tool in curl wget; do
    [ ! -e "$MNT/usr/bin/$tool" ] || fail_image "the runtime image contains $tool"
  done
  [ -f "$MNT/etc/ssl/certs/ca-certificates.crt" ] || fail_image "no CA certificates in the image"
  mapfile -t IMAGE_ENV < <(podman image inspect --format '{{range .Config.Env}}{{println .}}{{end}}' "$TEST_IMG" | sed '/^$/d')
  echo "  image environment: ${IMAGE_ENV[*]}"
  # /proc and /dev for the chroot; a fresh, writable /data owned by the image's user.
  mkdir -p "$WORK/data"
  chown 10001:10001 "$WORK/data"
  mount -t proc proc "$MNT/proc" && MOUNTS+=("$MNT/proc")
  mount --rbind /dev "$MNT/dev" && MOUNTS+=("$MNT/dev")
  mount --bind "$WORK/data" "$MNT/data" && MOUNTS+=("$MNT/data")
  in_image -- --version || fail_image "marchproxy --version"

  say "5. marchproxy migrate (SQLite in /data), twice"
  mkdir -p "$WORK/data/migrate"
  chown 10001:10001 "$WORK/data/migrate"
  in_image MARCHPROXY_DATA_DIR=/data/migrate -- migrate >"$WORK/migrate.log" 2>&1 || fail_image "marchproxy migrate"
  in_image MARCHPROXY_DATA_DIR=/data/migrate -- migrate >>"$WORK/migrate.log" 2>&1 || fail_image "marchproxy migrate (second run)"
  [ -f "$WORK/data/migrate/marchproxy.db" ] || fail_image "migrate made no SQLite file"
  echo "  ok   $(tail -n 1 "$WORK/migrate.log")"

  local p_cp p_px p_adm p_up p_closed
  read -r p_cp p_px p_adm p_up p_closed < <(free_ports 5)
  local cp=http://127.0.0.1:$p_cp

  say "6. marchproxy health against a closed port fails"
  if in_image -- health "http://127.0.0.1:$p_closed/" >"$WORK/health.log" 2>&1; then
    fail_image "marchproxy health exited 0 for a closed port"
  fi
  echo "  ok   exit 1: $(tail -n 1 "$WORK/health.log")"

  say "7. marchproxy serve from the image (SQLite, development mode, local proxy off)"
  mkdir -p "$WORK/www"
  echo "marchproxy-image-test-upstream-$$" >"$WORK/www/index.html"
  "$PY" -m http.server "$p_up" --bind 127.0.0.1 --directory "$WORK/www" >"$WORK/upstream.log" 2>&1 &
  PIDS+=($!)
  local password=Image-Test-Admin-42
  start_in_image "$WORK/serve.log" MARCHPROXY_LISTEN="127.0.0.1:$p_cp" MARCHPROXY_PROXY_LISTEN=off RELEASE_MODE=false \
    MARCHPROXY_ADMIN_PASSWORD="$password" MARCHPROXY_STARTER_TRACING=false \
    MARCHPROXY_SHUTDOWN_DELAY_SECONDS=2 MARCHPROXY_SHUTDOWN_GRACE_SECONDS=10 \
    -- serve
  local serve_pid=$LAST_PID
  # The image's HEALTHCHECK command, against this port.
  wait_for 90 in_image -- health "$cp/readyz" || fail_image "/readyz did not answer 2xx within 90 s"
  echo "  ok   marchproxy health $cp/readyz (the HEALTHCHECK command)"
  curl -fsS "$cp/healthz" | grep -q '"ok"' || fail_image "/healthz"
  curl -fsS "$cp/readyz" | grep -q '"ready"' || fail_image "/readyz is not ready"
  echo "  ok   /healthz, /readyz: $(curl -fsS "$cp/readyz")"
  curl -fsS "$cp/" >"$WORK/index.html" || fail_image "GET /"
  grep -q 'not built into this binary' "$WORK/index.html" && fail_image "the image's binary has no embedded web UI"
  grep -qi '<div id="root">' "$WORK/index.html" || fail_image "GET / is not the web UI's index.html"
  local asset
  asset=$(grep -o '/assets/[^"]*\.js' "$WORK/index.html" | head -n 1)
  [ -n "$asset" ] || fail_image "index.html names no /assets/*.js"
  curl -fsS -o /dev/null "$cp$asset" || fail_image "GET $asset"
  echo "  ok   GET / is the embedded UI ($(wc -c <"$WORK/index.html") bytes), $asset served"
  curl -fsS "$cp/metrics" >"$WORK/metrics.txt" || fail_image "GET /metrics"
  grep -q '^# TYPE ' "$WORK/metrics.txt" || fail_image "/metrics is not in the Prometheus text format"
  echo "  ok   /metrics: $(grep -c '^# TYPE ' "$WORK/metrics.txt") metric families"

  say "8. a service and route table through the API, then marchproxy proxy from the image"
  local key token sid
  key=$(grep -o 'mpk_[A-Za-z0-9_-]*' "$WORK/serve.log" | head -n 1 || true)
  [ -n "$key" ] || fail_image "no cluster API key in the serve output"
  token=$(curl -fsS -X POST "$cp/api/v1/auth/login" -H 'content-type: application/json' \
    -d "{\"username\":\"admin\",\"password\":\"$password\"}" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["access_token"])') ||
    fail_image "login"
  sid=$(curl -fsS -X POST "$cp/api/v1/services" -H "Authorization: Bearer $token" -H 'content-type: application/json' \
    -d '{"name":"image-test","cluster_id":1,"hostnames":["image-test.local"],"protocol":"http"}' |
    "$PY" -c 'import json,sys; print(json.load(sys.stdin)["id"])') || fail_image "creating the service"
  curl -fsS -o /dev/null -X POST "$cp/api/v1/multi-cloud/routes" -H "Authorization: Bearer $token" -H 'content-type: application/json' \
    -d "{\"name\":\"image-test\",\"service_id\":$sid,\"cluster_id\":1,\"algorithm\":\"failover\",
         \"routes\":[{\"provider\":\"on_prem\",\"region\":\"test\",\"endpoint\":\"http://127.0.0.1:$p_up\"}],
         \"health_probe\":{\"protocol\":\"tcp\",\"interval_seconds\":10,\"timeout_seconds\":2}}" ||
    fail_image "creating the route table"
  echo "  ok   service $sid (Host: image-test.local) -> http://127.0.0.1:$p_up"
  start_in_image "$WORK/proxy.log" MARCHPROXY_CONTROL_PLANE="$cp" MARCHPROXY_CLUSTER_API_KEY="$key" \
    MARCHPROXY_LISTEN="127.0.0.1:$p_px" MARCHPROXY_ADMIN_LISTEN="127.0.0.1:$p_adm" MARCHPROXY_NAME=image-test \
    MARCHPROXY_SHUTDOWN_DELAY_SECONDS=1 MARCHPROXY_SHUTDOWN_GRACE_SECONDS=10 \
    -- proxy
  local proxy_pid=$LAST_PID
  wait_for 60 in_image -- health "http://127.0.0.1:$p_adm/ready" || fail_image "the proxy's /ready did not answer 2xx within 60 s"
  echo "  ok   marchproxy health http://127.0.0.1:$p_adm/ready"
  local body=""
  for _ in $(seq 1 50); do
    body=$(curl -s -H 'Host: image-test.local' "http://127.0.0.1:$p_px/" || true)
    [ "$body" = "marchproxy-image-test-upstream-$$" ] && break
    sleep 0.2
  done
  [ "$body" = "marchproxy-image-test-upstream-$$" ] || fail_image "the proxied request answered: ${body:0:200}"
  echo "  ok   GET http://127.0.0.1:$p_px/ (Host: image-test.local) -> the upstream's body"
  curl -fsS "http://127.0.0.1:$p_adm/metrics" | grep -q '^# TYPE ' || fail_image "the proxy's /metrics"
  echo "  ok   the proxy's /metrics"

  say "9. SIGTERM: readiness 503 first, then a clean exit"
  kill -TERM "$proxy_pid"
  wait_exit "$proxy_pid" 30
  [ "$EXIT_RC" = 0 ] || fail_image "the proxy's exit after SIGTERM: $EXIT_RC"
  echo "  ok   proxy exited 0"
  kill -TERM "$serve_pid"
  local code=""
  for _ in $(seq 1 10); do
    code=$(curl -s -o /dev/null -w '%{http_code}' "$cp/readyz" || true)
    [ "$code" = 503 ] && break
    sleep 0.1
  done
  [ "$code" = 503 ] || fail_image "/readyz answered $code after SIGTERM, expected 503 during the shutdown delay"
  wait_exit "$serve_pid" 30
  [ "$EXIT_RC" = 0 ] || fail_image "serve's exit after SIGTERM: $EXIT_RC"
  echo "  ok   /readyz 503 during the delay, serve exited 0"

  local base_size
  base_size=$(podman image inspect --format '{{.Size}}' "$DEBIAN_IMG" 2>/dev/null || echo 0)
  say "image $TEST_IMG: $size bytes ($(((size + 524288) / 1048576)) MiB), of which $(((size - base_size + 524288) / 1048576)) MiB on top of $DEBIAN_IMG ($(((base_size + 524288) / 1048576)) MiB here); every check passed"
  echo "1 passed, 0 failed"
}

case "$MODE" in
validate) validate ;;
image) image ;;
base-images)
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/marchproxy-base.XXXXXX")
  trap 'rm -rf "$WORK"' EXIT
  base_images
  ;;
-h | --help | help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' ;;
*) die "unknown mode '$MODE' (validate, image, base-images)" ;;
esac
