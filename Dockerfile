# MarchProxy: one image, one binary. `marchproxy serve` (control plane + embedded web UI) is the
# default command; `marchproxy proxy` runs a data-plane proxy; `marchproxy migrate` runs the
# database migrations and exits; `marchproxy health URL` is the image's own health check.
#
#   docker build -t marchproxy .                       # or: podman build -t marchproxy .
#   docker run -p 8000:8000 marchproxy                 # SQLite under /data, development mode
#   docker run marchproxy proxy                        # a proxy (set MARCHPROXY_CONTROL_PLANE, ..._CLUSTER_API_KEY)
#
# The three base images are build arguments so that a mirror or a pinned digest can be used;
# deploy/test.sh builds this same file with locally made stand-ins tagged with these names.
ARG NODE_IMAGE=node:20-bookworm-slim
ARG RUST_IMAGE=rust:1-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

# ---- 1. The web UI: web/dist, embedded into the binary by the release build -------------------
FROM ${NODE_IMAGE} AS web
WORKDIR /src/web
# Dependencies first: this layer is reused until package*.json change.
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY web/ ./
RUN npm run build && test -f dist/index.html

# ---- 2. The release binary ------------------------------------------------------------------
FROM ${RUST_IMAGE} AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY crates ./crates
# The control plane embeds web/dist at compile time (crates/control-plane/src/web.rs).
COPY --from=web /src/web/dist ./web/dist
RUN cargo build --release --locked -p marchproxy \
 && cp target/release/marchproxy /usr/local/bin/marchproxy \
 && /usr/local/bin/marchproxy --version

# ---- 3. The runtime image: Debian slim, CA certificates, the binary, a non-root user ---------
FROM ${RUNTIME_IMAGE}
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=unknown
# The repository URL, e.g. --build-arg SOURCE=https://github.com/OWNER/marchproxy
ARG SOURCE=""
LABEL org.opencontainers.image.title="MarchProxy" \
      org.opencontainers.image.description="Traffic control for data-center and multi-cloud services: control plane (API, web UI, health monitor) and data-plane proxy in one binary" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.licenses="Apache-2.0"

# ca-certificates: the license server, HTTPS health probes, span exporters and upstreams.
# uid/gid 10001 owns /data (SQLite file and the development secret when no SECRET_KEY is set);
# a named volume mounted there starts with this ownership.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/log/apt /var/log/dpkg.log \
 && groupadd --system --gid 10001 marchproxy \
 && useradd --system --uid 10001 --gid 10001 --home-dir /data --no-create-home \
      --shell /usr/sbin/nologin marchproxy \
 && mkdir -p /data \
 && chown 10001:10001 /data \
 && chmod 0750 /data

COPY --from=build /usr/local/bin/marchproxy /usr/local/bin/marchproxy

# In a container the proxy's admin listener (/metrics, /healthz, /ready) must be reachable from
# outside the container's loopback: probes and Prometheus connect to the container's address.
ENV MARCHPROXY_DATA_DIR=/data \
    MARCHPROXY_ADMIN_LISTEN=0.0.0.0:9901

WORKDIR /data
VOLUME ["/data"]
USER 10001:10001

# 8000: API + web UI + OTLP receiver (serve); 8080: data plane (proxy, or serve's local proxy);
# 9901: proxy admin (/metrics, /healthz, /ready).
EXPOSE 8000 8080 9901

# The control plane's readiness; a `proxy` container overrides this with
# `marchproxy health http://127.0.0.1:9901/ready` (see docker-compose.yml). Kubernetes ignores
# HEALTHCHECK and uses the probes in deploy/kubernetes. podman keeps it with --format docker.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["marchproxy", "health", "http://127.0.0.1:8000/readyz"]

# The binary handles SIGTERM itself: readiness turns 503 at once, the listeners close after
# MARCHPROXY_SHUTDOWN_DELAY_SECONDS, then requests in progress get
# MARCHPROXY_SHUTDOWN_GRACE_SECONDS (default 20). Give `docker stop -t` more than their sum.
STOPSIGNAL SIGTERM
ENTRYPOINT ["marchproxy"]
CMD ["serve"]
