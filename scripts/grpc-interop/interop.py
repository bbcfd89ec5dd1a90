#!/usr/bin/env python3
"""gRPC interoperability through MarchProxy with third-party peers (Python grpcio).

Starts `marchproxy serve` as a new user would (SQLite, development mode, its local proxy),
two grpcio servers with the standard health service, configures a service whose route
table spans both (grpc:// endpoints, failover, `grpc` health probes) through the REST API,
then through the local proxy:
  1. the four call types (unary, client streaming, server streaming, bidirectional),
     statuses and trailing metadata;
  2. a load of unary calls while the primary backend is killed: calls go on to the other
     backend, and only calls in flight at the kill may fail;
  3. the health monitor marks the killed backend unhealthy.
Exit status 0 when everything held. Usage: interop.py /path/to/marchproxy
"""

import concurrent.futures
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

HOST = "grpc.interop.test"
PASSWORD = "Interop-Check-42"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ident(b):
    return b


# --- the backends: test.Echo on raw bytes (no generated code) --------------------------


def backend(name, port):
    def unary(req, ctx):
        if req == b"fail":
            ctx.abort(grpc.StatusCode.UNAVAILABLE, "asked to fail")
        ctx.set_trailing_metadata((("x-backend", name),))
        return name.encode() + b":" + req

    def client_stream(it, ctx):
        total = sum(len(m) for m in it)
        return f"{name}:{total}".encode()

    def server_stream(req, ctx):
        n = int(req.decode())
        for i in range(n):
            yield f"{name}:{i}".encode()

    def bidi(it, ctx):
        for m in it:
            yield name.encode() + b":" + m

    handlers = {
        "Unary": grpc.unary_unary_rpc_method_handler(unary, ident, ident),
        "ClientStream": grpc.stream_unary_rpc_method_handler(client_stream, ident, ident),
        "ServerStream": grpc.unary_stream_rpc_method_handler(server_stream, ident, ident),
        "Bidi": grpc.stream_stream_rpc_method_handler(bidi, ident, ident),
    }
    server = grpc.server(concurrent.futures.ThreadPoolExecutor(max_workers=16))
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler("test.Echo", handlers),))
    hs = health.HealthServicer()
    hs.set("", health_pb2.HealthCheckResponse.SERVING)
    health_pb2_grpc.add_HealthServicer_to_server(hs, server)
    server.add_insecure_port(f"127.0.0.1:{port}")
    server.start()
    return server


# --- the control plane's REST API ------------------------------------------------------


class Api:
    def __init__(self, base):
        self.base = base
        self.token = None

    def call(self, method, path, body=None):
        req = urllib.request.Request(self.base + path, method=method)
        req.add_header("content-type", "application/json")
        if self.token:
            req.add_header("authorization", "Bearer " + self.token)
        data = json.dumps(body).encode() if body is not None else None
        with urllib.request.urlopen(req, data, timeout=10) as r:
            return json.loads(r.read() or b"null")


def wait_for(what, f, timeout=30):
    deadline = time.time() + timeout
    while True:
        try:
            v = f()
            if v:
                return v
        except Exception:  # noqa: BLE001 - keep polling until the deadline
            pass
        if time.time() > deadline:
            raise SystemExit(f"FAILED: {what} within {timeout} s")
        time.sleep(0.2)


def check(cond, what):
    if not cond:
        raise SystemExit(f"FAILED: {what}")
    print(f"ok: {what}")


def main():
    binary = sys.argv[1]
    data = tempfile.mkdtemp(prefix="marchproxy-grpc-")
    api_port, proxy_port, admin_port = free_port(), free_port(), free_port()
    env = dict(
        os.environ,
        MARCHPROXY_DATA_DIR=data,
        MARCHPROXY_LISTEN=f"127.0.0.1:{api_port}",
        MARCHPROXY_PROXY_LISTEN=f"127.0.0.1:{proxy_port}",
        MARCHPROXY_PROXY_ADMIN_LISTEN=f"127.0.0.1:{admin_port}",
        MARCHPROXY_ADMIN_PASSWORD=PASSWORD,
        RUST_LOG="warn",
    )
    log = open(os.path.join(data, "serve.log"), "w")
    serve = subprocess.Popen([binary, "serve"], env=env, stdout=log, stderr=subprocess.STDOUT)
    a_port, b_port = free_port(), free_port()
    servers = {"a": backend("a", a_port), "b": backend("b", b_port)}
    try:
        api = Api(f"http://127.0.0.1:{api_port}")
        wait_for("the control plane answers", lambda: api.call("GET", "/readyz") is not None or True)
        login = wait_for(
            "admin login",
            lambda: api.call("POST", "/api/v1/auth/login", {"username": "admin", "password": PASSWORD}),
        )
        api.token = login["access_token"]
        svc = api.call("POST", "/api/v1/services",
                       {"name": "echo", "cluster_id": 1, "hostnames": [HOST], "protocol": "http"})
        table = api.call("POST", "/api/v1/multi-cloud/routes", {
            "name": "echo", "service_id": svc["id"], "cluster_id": 1, "algorithm": "failover",
            "routes": [
                {"provider": "aws", "region": "us-east-1", "endpoint": f"grpc://127.0.0.1:{a_port}", "weight": 100},
                {"provider": "gcp", "region": "us-central1", "endpoint": f"grpc://127.0.0.1:{b_port}", "weight": 100},
            ],
            "health_probe": {"protocol": "grpc", "interval_seconds": 2, "timeout_seconds": 1,
                             "unhealthy_threshold": 1, "healthy_threshold": 1},
        })
        channel = grpc.insecure_channel(f"127.0.0.1:{proxy_port}", options=[("grpc.default_authority", HOST)])
        unary = channel.unary_unary("/test.Echo/Unary", ident, ident)
        client_stream = channel.stream_unary("/test.Echo/ClientStream", ident, ident)
        server_stream = channel.unary_stream("/test.Echo/ServerStream", ident, ident)
        bidi = channel.stream_stream("/test.Echo/Bidi", ident, ident)

        # 1. The four call types (once the proxy has the route table).
        wait_for("the proxy routes the service", lambda: unary(b"hi", timeout=2) == b"a:hi")
        resp, call = unary.with_call(b"hello", timeout=5)
        check(resp == b"a:hello", "unary")
        check(dict(call.trailing_metadata()).get("x-backend") == "a", "trailing metadata passes through")
        try:
            unary(b"fail", timeout=5)
            check(False, "an error status passes through")
        except grpc.RpcError as e:
            check(e.code() == grpc.StatusCode.UNAVAILABLE and e.details() == "asked to fail",
                  "an error status passes through")
        check(client_stream(iter([b"x" * 1000] * 50), timeout=10) == b"a:50000", "client streaming (50 messages)")
        got = list(server_stream(b"200", timeout=10))
        check(len(got) == 200 and got[-1] == b"a:199", "server streaming (200 messages)")
        echoes = list(bidi(iter([f"m{i}".encode() for i in range(20)]), timeout=10))
        check(echoes == [f"a:m{i}".encode() for i in range(20)], "bidirectional streaming (20 messages)")

        # 2. Load while the primary is killed.
        results = {"ok_a": 0, "ok_b": 0, "failed": 0}
        lock = threading.Lock()
        stop = threading.Event()

        def load():
            while not stop.is_set():
                try:
                    r = unary(b"load", timeout=5)
                    key = "ok_a" if r.startswith(b"a:") else "ok_b"
                except grpc.RpcError:
                    key = "failed"
                with lock:
                    results[key] += 1

        threads = [threading.Thread(target=load) for _ in range(8)]
        for t in threads:
            t.start()
        time.sleep(1.5)
        servers["a"].stop(grace=None)
        killed = time.time()
        time.sleep(3)
        stop.set()
        for t in threads:
            t.join()
        print(f"   load: {results}")
        check(results["ok_a"] > 0 and results["ok_b"] > 0, "calls went to a, then to b after the kill")
        check(results["failed"] <= 8, f"only calls in flight at the kill failed ({results['failed']} of 8 workers)")

        # 3. The health monitor saw it.
        path = f"/api/v1/multi-cloud/routes/{table['id']}/health"
        health_after = wait_for("the killed backend is marked unhealthy",
                                lambda: [h for h in api.call("GET", path) if not h["is_healthy"]], timeout=15)
        check(health_after[0]["endpoint"].endswith(str(a_port)), "the grpc probe marked the killed backend unhealthy")
        print(f"   (marked unhealthy {time.time() - killed:.1f} s after the kill)")
        print("gRPC interop: all checks passed")
    finally:
        for s in servers.values():
            s.stop(grace=None)
        serve.send_signal(signal.SIGTERM)
        try:
            serve.wait(timeout=15)
        except subprocess.TimeoutExpired:
            serve.kill()
        log.close()
        if os.environ.get("KEEP_DATA"):
            print("data and log kept in", data)
        else:
            shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
