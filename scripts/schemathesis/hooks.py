"""Schemathesis hooks for the MarchProxy API run (see run.sh).

Credentials: the run signs in as its own admin accounts (created by run.sh) and sends that
token to the operator API; the proxy API (`/api/v1/proxy/*`) and the OTLP receiver
(`/v1/traces`) get a cluster's proxy API key. A credential that stops working (the fuzzer
rotates keys, signs out, deletes clusters: that is what those operations are for) is renewed:
tokens through their refresh token, keys by rotating again. Sign-ins happen once, when the
hooks load: the server locks out an address after a few sign-in attempts, and the fuzzer's
own random sign-ins see to that.

So the run keeps going, three accounts have one role each:
- `run` (MP_ST_USER) calls everything; cases that would change, demote or delete it are left
  out (tests/auth.rs covers those);
- `logout`: `POST /auth/logout` signs out one of its access tokens at a time;
- `password` (MP_ST_USER2): `POST /auth/password` gets its real current password, so a
  change goes through; the new password and tokens are kept.
"""

import json
import os
import threading
import urllib.error
import urllib.request

import schemathesis

BASE = os.environ["MP_ST_BASE"]
CLUSTER_CREDENTIAL_PATHS = ("/api/v1/proxy/", "/v1/traces")

_lock = threading.Lock()


def _call(method: str, path: str, token: str | None = None, body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(BASE + path, data=data, method=method)
    req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", f"Bearer {token}")
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read() or b"{}")


class Session:
    def __init__(self, user: str, password: str):
        self.user, self.password = user, password
        pair = _call("POST", "/api/v1/auth/login", body={"username": user, "password": password})
        self.access, self.refresh = pair["access_token"], pair["refresh_token"]
        self.id = _call("GET", "/api/v1/auth/me", self.access)["id"]

    def token(self, fresh: bool = False) -> str:
        if fresh or self.access is None:
            pair = _call("POST", "/api/v1/auth/refresh", body={"refresh_token": self.refresh})
            self.access, self.refresh = pair["access_token"], pair["refresh_token"]
        return self.access


SESSIONS = {
    "run": Session(os.environ["MP_ST_USER"], os.environ["MP_ST_PASSWORD"]),
    "logout": Session(os.environ["MP_ST_USER"], os.environ["MP_ST_PASSWORD"]),
    "refresh": Session(os.environ["MP_ST_USER"], os.environ["MP_ST_PASSWORD"]),
    "password": Session(os.environ["MP_ST_USER2"], os.environ["MP_ST_PASSWORD2"]),
}
PROTECTED_IDS = {str(SESSIONS["run"].id), str(SESSIONS["password"].id)}
# The objects run.sh seeds to stay (id 1 of each kind; the starter tracing config and the
# default cluster, which the local proxy serves, are there from the start). Generated ids
# are small and the fuzzer's DELETE cases took them out within seconds, after which every
# PUT, PATCH and GET of the kind answered 404 for the rest of the run (one accepted PUT of a
# route table in ~80, and a run that failed on it). Deleting them goes to an id nobody has;
# id 2 (seeded too), objects the fuzzer creates and the stateful phase's are deleted as
# generated.
SEEDED = {"/api/v1/clusters/{id}", "/api/v1/services/{id}", "/api/v1/traffic-shaping/policies/{id}",
          "/api/v1/multi-cloud/routes/{id}", "/api/v1/observability/tracing/{id}"}
_cluster_key: list[str] = []


def _cluster() -> str:
    """A proxy API key of some cluster (rotated anew when the last one stopped working)."""
    with _lock:
        if not _cluster_key:
            token = SESSIONS["run"].token()
            for cluster in _call("GET", "/api/v1/clusters", token):
                try:
                    _cluster_key.append(_call("POST", f"/api/v1/clusters/{cluster['id']}/rotate-key", token)["api_key"])
                    break
                except urllib.error.HTTPError:
                    continue  # deleted meanwhile
            else:
                created = _call("POST", "/api/v1/clusters", token, {"name": "st-cluster"})
                _cluster_key.append(created["api_key"])
        return _cluster_key[0]


def _session_for(path: str) -> str:
    return {"/api/v1/auth/logout": "logout", "/api/v1/auth/password": "password"}.get(path, "run")


@schemathesis.auth(refresh_interval=None)
class MarchProxyAuth:
    def get(self, case, ctx):
        path = case.operation.path
        if path.startswith(CLUSTER_CREDENTIAL_PATHS):
            return _cluster()
        name = _session_for(path)
        with _lock:
            # Each sign-out case signs out a token of its own.
            return SESSIONS[name].token(fresh=name == "logout")

    def set(self, case, data, ctx):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"


@schemathesis.hook
def before_call(context, case, kwargs):
    """`POST /auth/password` with the account's real current password; `POST /auth/refresh`
    with a live refresh token (each works once: the answer's replaces it). A case aimed at
    one of the run's own accounts (phases that do not filter, e.g. coverage), or deleting a
    seeded object, goes to an id nobody has. A live failover drill (`"dry_run": false`)
    answers when the drill ends, 30 s by default, after schemathesis's 10 s read timeout,
    unless it asks not to wait (`"wait": false`, 202): it runs for 1 s (still live). A new
    route table with valid ids names seeded service 1 of cluster 1."""
    if case.operation.path == "/api/v1/users/{id}" and not filter_case(context, case):
        case.path_parameters["id"] = 2**62
    if case.method.upper() == "DELETE" and case.operation.path in SEEDED and str((case.path_parameters or {}).get("id")) == "1":
        case.path_parameters["id"] = 2**62
    body = case.body
    if not isinstance(body, dict):
        return
    path = case.operation.path
    # Only where the generated value is a string: a case meant to be invalid stays invalid.
    if path == "/api/v1/auth/password" and isinstance(body.get("current_password"), str):
        body["current_password"] = SESSIONS["password"].password
    if path == "/api/v1/auth/refresh" and isinstance(body.get("refresh_token"), str):
        body["refresh_token"] = SESSIONS["refresh"].refresh
    if path == "/api/v1/multi-cloud/routes" and case.method.upper() == "POST":
        # A route table names a service of its cluster, which ids alone cannot say: random
        # valid ids almost never name one, so a run could end without one table created
        # (and fail on the warnings that follow). Valid ids go to seeded service 1 of
        # cluster 1 (both kept for the whole run); an invalid id stays as generated.
        ids = (body.get("service_id"), body.get("cluster_id"))
        if all(isinstance(i, int) and not isinstance(i, bool) and i >= 1 for i in ids):
            body["service_id"], body["cluster_id"] = 1, 1
    if path == "/api/v1/multi-cloud/routes/{id}/test-failover" and body.get("dry_run") is False:
        # Absent or null is the 30 s default. (A value the server refuses, outside 1-300 or
        # not a number, stays as generated.)
        duration = body.get("duration_seconds")
        if duration is None or (isinstance(duration, (int, float)) and not isinstance(duration, bool) and float(duration).is_integer() and 1 < duration <= 300):
            body["duration_seconds"] = 1


@schemathesis.hook
def after_call(context, case, response):
    sent = response.request.headers.get("Authorization", "")
    with _lock:
        path = case.operation.path
        renewed = path in ("/api/v1/auth/password", "/api/v1/auth/refresh")
        if renewed and response.request.method == "POST" and response.status_code == 200:
            s = SESSIONS["password" if path.endswith("password") else "refresh"]
            if path.endswith("password"):
                s.password = case.body["new_password"]
            try:
                pair = json.loads(response.content)
                s.access, s.refresh = pair["access_token"], pair["refresh_token"]
            except (ValueError, KeyError):
                import sys
                print(f"hooks: unexpected {path} answer: {response.status_code} {response.content[:200]!r}", file=sys.stderr)
        if response.status_code != 401:
            return
        # A credential of ours that stopped working is renewed on next use.
        if _cluster_key and sent == f"Bearer {_cluster_key[0]}":
            _cluster_key.clear()
        for s in SESSIONS.values():
            if sent == f"Bearer {s.access}":
                s.access = None


@schemathesis.hook
def filter_case(context, case):
    """The run's own accounts stay as they are: no password, role or deletion of them."""
    if case.operation.path != "/api/v1/users/{id}":
        return True
    return str((case.path_parameters or {}).get("id")) not in PROTECTED_IDS
