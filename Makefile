# MarchProxy: the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
CARGO ?= cargo
TEST_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/test
NEXTEST := $(shell command -v cargo-nextest >/dev/null 2>&1 && echo "nextest run" || echo "test")

.PHONY: run test web web-deps lint test-rust test-postgres test-web e2e test-deploy test-grpc test-api-fuzz bench clean-test-dbs

## Start the whole system on the embedded defaults (SQLite, development license mode,
## web UI served, local proxy attached to the default cluster).
run: web
	$(CARGO) run --release -p marchproxy -- serve

## Run the whole test suite: formatting, lints, Rust tests on SQLite and PostgreSQL,
## web UI lint/typecheck/unit tests, the browser end-to-end tests, and the deployment
## files (Kubernetes overlays rendered and validated, docker-compose.yml parsed), gRPC
## interoperability with Python grpcio peers through `marchproxy serve`, and schemathesis
## fuzzing every API operation against the published OpenAPI document.
test: lint test-rust test-postgres test-web e2e test-deploy test-grpc test-api-fuzz

web-deps: web/node_modules/.package-lock.json

web/node_modules/.package-lock.json: web/package-lock.json
	cd web && npm ci --no-audit --no-fund

## The UI is rebuilt only when its sources change: release builds embed web/dist, and a new
## dist makes cargo rebuild the control plane (crates/control-plane/build.rs).
WEB_SOURCES := $(shell find web/src -type f 2>/dev/null) web/index.html web/package.json \
	web/vite.config.ts web/tsconfig.json

web: web/dist/index.html

web/dist/index.html: web/node_modules/.package-lock.json $(WEB_SOURCES)
	cd web && npm run build

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

test-rust: web
	$(CARGO) $(NEXTEST) --workspace

test-postgres: clean-test-dbs
	MARCHPROXY_TEST_DATABASE_URL=$(TEST_POSTGRES_URL) $(CARGO) $(NEXTEST) -p marchproxy-control-plane
	# Cluster-wide limits end to end (two replicas, three proxies) on PostgreSQL too.
	MARCHPROXY_TEST_DATABASE_URL=$(TEST_POSTGRES_URL) $(CARGO) $(NEXTEST) -p marchproxy-proxy --test cluster_qos

## Web console checks: lint (incl. feature import boundaries), types, formatting, the generated API
## types against docs/openapi.json, and the unit tests.
test-web: web-deps
	cd web && npm run lint && npm run typecheck && npm run format:check && npm run api:check && npm test

e2e: web
	$(CARGO) build -p marchproxy
	cd web && E2E_SKIP_BUILD=1 MARCHPROXY_BIN=$(CURDIR)/target/debug/marchproxy npm run e2e

## Render and validate the Kubernetes overlays, parse docker-compose.yml, check the
## Dockerfile (needs kubectl; installs kubernetes-validate and podman-compose with pip).
## `deploy/test.sh image` builds the image with podman and runs the system from it (slow,
## not part of `make test`).
test-deploy:
	deploy/test.sh validate

## A grpcio client and two grpcio servers through `marchproxy serve`'s local proxy: the four
## call types, a backend killed under load, the grpc health probe (installs grpcio with pip).
test-grpc:
	$(CARGO) build -p marchproxy
	scripts/grpc-interop/run.sh $(CURDIR)/target/debug/marchproxy

## schemathesis (PyPI) against `marchproxy serve`: every operation of docs/openapi.json, every
## check, the stateful phase over the document's links; any failure or warning fails
## (scripts/schemathesis; installs schemathesis with pip).
test-api-fuzz:
	$(CARGO) build -p marchproxy
	scripts/schemathesis/run.sh $(CURDIR)/target/debug/marchproxy

## Drop databases left by earlier PostgreSQL test runs.
clean-test-dbs:
	@psql "$(TEST_POSTGRES_URL)" -Atc "SELECT datname FROM pg_database WHERE datname LIKE 'mp_test_%'" 2>/dev/null \
	  | while read -r db; do psql "$(TEST_POSTGRES_URL)" -qc "DROP DATABASE IF EXISTS $$db" >/dev/null 2>&1; done; true

bench:
	bench/api.sh
	bench/proxy.sh
	bench/qos.sh
	bench/tracing.sh
	bench/fleet.sh
	bench/health.sh
