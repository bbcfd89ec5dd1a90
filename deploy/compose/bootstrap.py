#!/usr/bin/env python3
"""One-shot setup for docker-compose.yml, run by its `bootstrap` service (python:3.12-slim,
standard library only) once the control plane is healthy. Idempotent: every `docker compose
up` runs it again, and it only creates what is missing.

1. The proxies' cluster API key. If MARCHPROXY_CLUSTER_API_KEY is set (in .env), the proxies
   use it and nothing is done. Otherwise, if KEY_FILE already holds a key the control plane
   accepts, it is kept; else the `default` cluster's key is rotated (the key printed in the
   control plane's first-start banner stops working) and the new one is written to KEY_FILE,
   readable by the proxies' user (uid 10001) only.
2. A sample service answering for SAMPLE_HOSTNAME, with a route table sending its traffic
   to SAMPLE_UPSTREAM (route tables are an enterprise feature: development mode, or a
   license, is needed; without it this step is skipped with a warning).
3. A tracing config sending the default cluster's spans to Jaeger (also enterprise; skipped
   likewise), searchable from the web UI through Jaeger's query API.

Exit status: 0 when the proxies have a key (steps 2 and 3 only warn), 1 otherwise.
"""

import json
import os
import sys
import time
import urllib.error
import urllib.request

BASE = os.environ.get("MARCHPROXY_URL", "http://control-plane:8000").rstrip("/")
USER = os.environ.get("MARCHPROXY_ADMIN_USER", "admin")
PASSWORD = os.environ.get("MARCHPROXY_ADMIN_PASSWORD", "")
PRESET_KEY = os.environ.get("MARCHPROXY_CLUSTER_API_KEY", "").strip()
KEY_FILE = os.environ.get("KEY_FILE", "/state/cluster-api-key")
PROXY_UID = int(os.environ.get("PROXY_UID", "10001"))
SAMPLE_HOSTNAME = os.environ.get("SAMPLE_HOSTNAME", "sample.localhost")
SAMPLE_UPSTREAM = os.environ.get("SAMPLE_UPSTREAM", "http://sample-upstream:80")
JAEGER_OTLP_HTTP = os.environ.get("JAEGER_OTLP_HTTP", "")
JAEGER_QUERY = os.environ.get("JAEGER_QUERY", "")


def log(msg):
    print(f"bootstrap: {msg}", flush=True)


def call(method, path, body=None, token=None, ok=(200, 201, 204)):
    """(status, parsed JSON or None). Raises on a transport error."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(BASE + path, data=data, method=method)
    req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=15) as resp:
            raw = resp.read()
            return resp.status, (json.loads(raw) if raw else None)
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            detail = json.loads(raw)
        except ValueError:
            detail = raw.decode(errors="replace")
        return e.code, detail


def login():
    deadline = time.time() + 120
    while True:
        try:
            status, body = call("POST", "/api/v1/auth/login", {"username": USER, "password": PASSWORD})
            if status == 200:
                return body["access_token"]
            if status in (401, 422):
                sys.exit(
                    f"bootstrap: login as {USER!r} failed ({status}: {body}). MARCHPROXY_ADMIN_PASSWORD is "
                    "used only when the first admin is created: if the database volume is older than "
                    "your .env, use the password it was created with (or `docker compose down -v`)."
                )
            log(f"login answered {status}: {body}; retrying")
        except OSError as e:
            log(f"control plane not reachable yet ({e}); retrying")
        if time.time() > deadline:
            sys.exit("bootstrap: the control plane did not accept a login within 120 s")
        time.sleep(2)


def key_accepted(key):
    """Does the control plane accept this cluster API key? (the proxies' config fetch: with
    no `version` it answers at once, and registers nothing)"""
    status, _ = call("GET", "/api/v1/proxy/config", token=key)
    return status == 200


def ensure_key(token):
    if PRESET_KEY:
        log("MARCHPROXY_CLUSTER_API_KEY is set in .env: the proxies use it")
        return
    if os.path.exists(KEY_FILE):
        with open(KEY_FILE) as f:
            key = f.read().strip()
        if key and key_accepted(key):
            log(f"keeping the cluster API key in {KEY_FILE}")
            return
        log(f"the key in {KEY_FILE} is no longer accepted (a new database?): rotating")
    status, clusters = call("GET", "/api/v1/clusters", token=token)
    if status != 200:
        sys.exit(f"bootstrap: listing clusters failed ({status}: {clusters})")
    default = next((c for c in clusters if c.get("name") == "default"), clusters[0] if clusters else None)
    if default is None:
        sys.exit("bootstrap: no cluster exists")
    status, body = call("POST", f"/api/v1/clusters/{default['id']}/rotate-key", token=token)
    if status != 200:
        sys.exit(f"bootstrap: rotating the key of cluster {default['id']} failed ({status}: {body})")
    tmp = KEY_FILE + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o400)
    with os.fdopen(fd, "w") as f:
        f.write(body["api_key"] + "\n")
    try:
        os.chown(tmp, PROXY_UID, PROXY_UID)
    except PermissionError:
        os.chmod(tmp, 0o444)
    os.replace(tmp, KEY_FILE)
    log(f"cluster {default['name']!r} (id {default['id']}): new proxy API key written to {KEY_FILE}")


def enterprise(what, status, body):
    if status == 403:
        log(f"skipped {what}: {body}. Set RELEASE_MODE=false in .env, or a LICENSE_KEY.")
    else:
        log(f"WARNING: creating {what} failed ({status}: {body})")


def ensure_sample(token):
    status, services = call("GET", "/api/v1/services?cluster_id=1", token=token)
    if status != 200:
        log(f"WARNING: listing services failed ({status}: {services})")
        return
    svc = next((s for s in services if s["name"] == "sample"), None)
    if svc is None:
        status, svc = call(
            "POST",
            "/api/v1/services",
            {
                "name": "sample",
                "description": "docker-compose sample: routed to sample-upstream",
                "cluster_id": 1,
                "hostnames": [SAMPLE_HOSTNAME],
                "protocol": "http",
            },
            token=token,
        )
        if status not in (200, 201):
            log(f"WARNING: creating the sample service failed ({status}: {svc})")
            return
        log(f"service 'sample' (id {svc['id']}) answers for Host: {SAMPLE_HOSTNAME}")
    status, tables = call("GET", "/api/v1/multi-cloud/routes?cluster_id=1", token=token)
    if status == 200 and any(t.get("service_id") == svc["id"] for t in tables):
        log("the sample route table exists")
        return
    if status != 200:
        enterprise("the sample route table", status, tables)
        return
    status, body = call(
        "POST",
        "/api/v1/multi-cloud/routes",
        {
            "name": "sample",
            "description": "docker-compose sample",
            "service_id": svc["id"],
            "cluster_id": 1,
            "algorithm": "failover",
            "routes": [{"provider": "on_prem", "region": "compose", "endpoint": SAMPLE_UPSTREAM}],
            "health_probe": {"protocol": "http", "path": "/", "interval_seconds": 10, "timeout_seconds": 2},
        },
        token=token,
    )
    if status in (200, 201):
        log(f"route table 'sample' (id {body['id']}): {SAMPLE_HOSTNAME} -> {SAMPLE_UPSTREAM}")
    else:
        enterprise("the sample route table", status, body)


def ensure_tracing(token):
    if not JAEGER_OTLP_HTTP:
        return
    status, configs = call("GET", "/api/v1/observability/tracing?cluster_id=1", token=token)
    if status != 200:
        enterprise("the Jaeger tracing config", status, configs)
        return
    if any(c.get("name") == "jaeger" for c in configs):
        log("the Jaeger tracing config exists")
        return
    spec = {
        "name": "jaeger",
        "description": "docker-compose: spans to the jaeger service",
        "cluster_id": 1,
        "backend": "jaeger",
        "endpoint": JAEGER_OTLP_HTTP,
        "exporter": "http",
        "sampling_strategy": "adaptive",
        "sampling_rate": 1.0,
        "max_traces_per_second": 10,
        "service_name": "marchproxy",
        "enabled": True,
    }
    if JAEGER_QUERY:
        spec["query_url"] = JAEGER_QUERY
    status, body = call("POST", "/api/v1/observability/tracing", spec, token=token)
    if status in (200, 201):
        log(f"tracing config 'jaeger' (id {body['id']}): spans to {JAEGER_OTLP_HTTP}")
    else:
        enterprise("the Jaeger tracing config", status, body)


def main():
    if not PASSWORD:
        sys.exit("bootstrap: MARCHPROXY_ADMIN_PASSWORD is empty (set it in .env)")
    token = login()
    ensure_key(token)
    ensure_sample(token)
    ensure_tracing(token)
    log("done")


if __name__ == "__main__":
    main()
