#!/usr/bin/env python3
"""What an SRE reads in MarchProxy's deployment files, asserted (used by deploy/test.sh).

  checks.py k8s OVERLAY RENDERED.yaml    rendered kustomize output (dev, production,
                                          daemonset, production+servicemonitor)
  checks.py compose RAW.yml NORMALIZED.yml ENV_EXAMPLE
                                          docker-compose.yml as written and as normalised by
                                          `podman-compose config`, and .env.example
  checks.py dockerfile Dockerfile .dockerignore

Prints one line per check group and every failure; exits 1 if anything failed. Needs PyYAML.
"""

import re
import sys

import yaml

FAILURES = []


def fail(msg):
    FAILURES.append(msg)
    print(f"  FAIL {msg}")


def check(cond, msg):
    if not cond:
        fail(msg)
    return bool(cond)


def ok(msg):
    print(f"  ok   {msg}")


# ------------------------------------------------------------------------------------------
# Kubernetes
# ------------------------------------------------------------------------------------------

WORKLOAD_KINDS = ("Deployment", "DaemonSet", "StatefulSet")
CLUSTER_SCOPED = ("Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition")
EXPECTED_PROBES = {
    # component: (liveness path, readiness path, port name)
    "control-plane": ("/healthz", "/readyz", "http"),
    "proxy": ("/healthz", "/ready", "admin"),
}


def by_kind(docs, kind):
    return [d for d in docs if d.get("kind") == kind]


def find(docs, kind, name):
    for d in docs:
        if d.get("kind") == kind and d["metadata"]["name"] == name:
            return d
    return None


def component(obj):
    return obj["metadata"].get("labels", {}).get("app.kubernetes.io/component", "?")


def labels_match(selector, labels):
    return all(labels.get(k) == v for k, v in (selector or {}).items())


def effective_env(docs, container):
    """The container's environment as the kubelet builds it (ConfigMap values resolved;
    Secret values shown as 'secret:<name>/<key>')."""
    env = {}
    for src in container.get("envFrom", []):
        if "configMapRef" in src:
            cm = find(docs, "ConfigMap", src["configMapRef"]["name"])
            env.update((cm or {}).get("data", {}))
        if "secretRef" in src:
            sec = find(docs, "Secret", src["secretRef"]["name"])
            for k in (sec or {}).get("data", {}) | (sec or {}).get("stringData", {}):
                env[k] = f"secret:{src['secretRef']['name']}/{k}"
    for e in container.get("env", []):
        if "value" in e:
            env[e["name"]] = e["value"]
        elif "secretKeyRef" in e.get("valueFrom", {}):
            r = e["valueFrom"]["secretKeyRef"]
            env[e["name"]] = f"secret:{r['name']}/{r['key']}"
        else:
            env[e["name"]] = "<valueFrom>"
    return env


def check_references(docs, where, pod):
    """Every ConfigMap/Secret/PVC/ServiceAccount the pod names exists in the render."""
    names = {(d["kind"], d["metadata"]["name"]) for d in docs}
    sa = pod.get("serviceAccountName")
    if sa:
        check(("ServiceAccount", sa) in names, f"{where}: ServiceAccount {sa} is not in the render")
    for c in pod.get("containers", []) + pod.get("initContainers", []):
        for src in c.get("envFrom", []):
            for kind, key in (("ConfigMap", "configMapRef"), ("Secret", "secretRef")):
                if key in src and not src[key].get("optional"):
                    check((kind, src[key]["name"]) in names, f"{where}/{c['name']}: {kind} {src[key]['name']} missing")
        for e in c.get("env", []):
            vf = e.get("valueFrom", {})
            for kind, key in (("ConfigMap", "configMapKeyRef"), ("Secret", "secretKeyRef")):
                if key in vf:
                    ref = vf[key]
                    obj = find(docs, kind, ref["name"])
                    if check(obj is not None, f"{where}/{c['name']}: {kind} {ref['name']} (env {e['name']}) missing"):
                        data = obj.get("data", {}) | obj.get("stringData", {})
                        check(ref["key"] in data, f"{where}/{c['name']}: {kind} {ref['name']} has no key {ref['key']}")
    for v in pod.get("volumes", []):
        if "persistentVolumeClaim" in v:
            n = v["persistentVolumeClaim"]["claimName"]
            check(("PersistentVolumeClaim", n) in names, f"{where}: PVC {n} missing")
        if "configMap" in v:
            check(("ConfigMap", v["configMap"]["name"]) in names, f"{where}: ConfigMap volume {v['configMap']['name']} missing")
        if "secret" in v:
            check(("Secret", v["secret"]["secretName"]) in names, f"{where}: Secret volume {v['secret']['secretName']} missing")


def check_container_security(where, pod, c, allow_net_raw):
    psc = pod.get("securityContext", {})
    sc = c.get("securityContext", {})
    non_root = sc.get("runAsNonRoot", psc.get("runAsNonRoot"))
    uid = sc.get("runAsUser", psc.get("runAsUser"))
    check(non_root is True, f"{where}: runAsNonRoot is not true")
    check(uid == 10001, f"{where}: runAsUser is {uid}, expected 10001 (the image's user)")
    check(sc.get("readOnlyRootFilesystem") is True, f"{where}: readOnlyRootFilesystem is not true")
    check(sc.get("allowPrivilegeEscalation") is False, f"{where}: allowPrivilegeEscalation is not false")
    check(sc.get("privileged") in (None, False), f"{where}: privileged")
    caps = sc.get("capabilities", {})
    check("ALL" in caps.get("drop", []), f"{where}: capabilities do not drop ALL")
    added = set(caps.get("add", []))
    allowed = {"NET_RAW"} if allow_net_raw else set()
    check(added <= allowed, f"{where}: adds capabilities {sorted(added - allowed)} (allowed: {sorted(allowed) or 'none'})")
    seccomp = sc.get("seccompProfile", psc.get("seccompProfile", {})).get("type")
    check(seccomp == "RuntimeDefault", f"{where}: seccompProfile is {seccomp}, expected RuntimeDefault")
    res = c.get("resources", {})
    for k in ("cpu", "memory"):
        check(k in res.get("requests", {}), f"{where}: no {k} request")
    check("memory" in res.get("limits", {}), f"{where}: no memory limit")
    image = c.get("image", "")
    tag = image.rsplit(":", 1)[1] if ":" in image.rsplit("/", 1)[-1] else ""
    check(tag and tag != "latest", f"{where}: image {image!r} is not pinned to a tag")
    mounts = {m["mountPath"] for m in c.get("volumeMounts", [])}
    check("/tmp" in mounts, f"{where}: read-only root filesystem but no writable /tmp")


def probe_port_ok(c, port):
    names = {p.get("name") for p in c.get("ports", [])}
    numbers = {p.get("containerPort") for p in c.get("ports", [])}
    return port in names or port in numbers


def check_workloads(docs):
    workloads = [d for d in docs if d.get("kind") in WORKLOAD_KINDS]
    check(workloads, "no workloads rendered")
    for w in workloads:
        pod = w["spec"]["template"]["spec"]
        comp = component(w)
        where = f"{w['kind']}/{w['metadata']['name']}"
        check_references(docs, where, pod)
        check(pod.get("automountServiceAccountToken") is False, f"{where}: the service account token is mounted")
        check(
            labels_match(w["spec"]["selector"]["matchLabels"], w["spec"]["template"]["metadata"]["labels"]),
            f"{where}: selector does not match the pod template",
        )
        ann = w["spec"]["template"]["metadata"].get("annotations", {})
        if check(ann.get("prometheus.io/scrape") == "true", f"{where}: no prometheus.io/scrape annotation"):
            port = int(ann.get("prometheus.io/port", "0"))
            check(
                any(p.get("containerPort") == port for c in pod["containers"] for p in c.get("ports", [])),
                f"{where}: prometheus.io/port {port} is not a container port",
            )
        for c in pod["containers"]:
            cw = f"{where}/{c['name']}"
            check_container_security(cw, pod, c, allow_net_raw=(comp == "control-plane"))
            env = effective_env(docs, c)
            delay = int(env.get("MARCHPROXY_SHUTDOWN_DELAY_SECONDS", "0"))
            grace = int(env.get("MARCHPROXY_SHUTDOWN_GRACE_SECONDS", "20"))
            tgps = pod.get("terminationGracePeriodSeconds", 30)
            check(tgps > delay + grace, f"{where}: terminationGracePeriodSeconds {tgps} <= shutdown delay {delay} + grace {grace}")
            expected = EXPECTED_PROBES.get(comp)
            if check(expected, f"{cw}: unknown component {comp!r}"):
                live, ready, port = expected
                for kind, path in (("livenessProbe", live), ("readinessProbe", ready)):
                    p = c.get(kind, {}).get("httpGet")
                    if check(p, f"{cw}: no {kind} (httpGet)"):
                        check(p.get("path") == path, f"{cw}: {kind} path {p.get('path')}, expected {path}")
                        check(p.get("port") == port, f"{cw}: {kind} port {p.get('port')}, expected {port}")
                        check(probe_port_ok(c, p.get("port")), f"{cw}: {kind} port {p.get('port')} is not a container port")
            if comp == "proxy":
                check(env.get("MARCHPROXY_ADMIN_LISTEN") == "0.0.0.0:9901", f"{cw}: MARCHPROXY_ADMIN_LISTEN must be 0.0.0.0:9901 (probes)")
                check(
                    env.get("MARCHPROXY_CLUSTER_API_KEY", "").startswith("secret:"),
                    f"{cw}: MARCHPROXY_CLUSTER_API_KEY does not come from a Secret",
                )
                cp = env.get("MARCHPROXY_CONTROL_PLANE", "")
                m = re.match(r"https?://([^:/]+):(\d+)", cp)
                if check(m, f"{cw}: MARCHPROXY_CONTROL_PLANE {cp!r} is not a URL with a port"):
                    svc = find(docs, "Service", m.group(1))
                    if check(svc, f"{cw}: MARCHPROXY_CONTROL_PLANE names Service {m.group(1)}, not in the render"):
                        check(
                            any(p["port"] == int(m.group(2)) for p in svc["spec"]["ports"]),
                            f"{cw}: Service {m.group(1)} has no port {m.group(2)}",
                        )
            if comp == "control-plane":
                for secret in ("SECRET_KEY", "DATABASE_URL", "LICENSE_KEY", "MARCHPROXY_ADMIN_PASSWORD", "REDIS_URL"):
                    v = env.get(secret)
                    check(v is None or v.startswith("secret:"), f"{cw}: {secret} is set in plain text, not from a Secret")
        for c in pod.get("initContainers", []):
            check_container_security(f"{where}/init:{c['name']}", pod, c, allow_net_raw=False)
    ok(f"{len(workloads)} workloads: probes, resources, security context, references")
    return workloads


def check_services(docs, workloads):
    for s in by_kind(docs, "Service"):
        where = f"Service/{s['metadata']['name']}"
        sel = s["spec"].get("selector", {})
        pods = [w for w in workloads if labels_match(sel, w["spec"]["template"]["metadata"]["labels"])]
        if check(pods, f"{where}: selector {sel} matches no workload"):
            for p in s["spec"]["ports"]:
                tp = p.get("targetPort", p["port"])
                check(
                    any(probe_port_ok(c, tp) for w in pods for c in w["spec"]["template"]["spec"]["containers"]),
                    f"{where}: targetPort {tp} is no container port of the selected pods",
                )
    ok(f"{len(by_kind(docs, 'Service'))} services select pods and existing ports")


def check_namespaces(docs, expected):
    for d in docs:
        if d["kind"] in CLUSTER_SCOPED:
            continue
        ns = d["metadata"].get("namespace")
        check(ns == expected, f"{d['kind']}/{d['metadata']['name']}: namespace {ns}, expected {expected}")
    check(find(docs, "Namespace", expected), f"Namespace {expected} is not in the render")
    ok(f"every namespaced object is in {expected}")


def env_of(docs, workload, container):
    for c in workload["spec"]["template"]["spec"]["containers"]:
        if c["name"] == container:
            return effective_env(docs, c)
    return {}


def check_k8s(overlay, path):
    with open(path) as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    print(f"k8s {overlay}: {len(docs)} objects ({path})")
    workloads = check_workloads(docs)
    check_services(docs, workloads)
    cp = find(docs, "Deployment", "marchproxy-control-plane")
    if not check(cp, "no control-plane Deployment"):
        return
    cp_env = env_of(docs, cp, "control-plane")

    if overlay == "dev":
        check_namespaces(docs, "marchproxy-dev")
        check(cp["spec"].get("replicas") == 1, "dev: control plane replicas != 1")
        check(cp["spec"].get("strategy", {}).get("type") == "Recreate", "dev: SQLite on a RWO volume needs strategy Recreate")
        check("DATABASE_URL" not in cp_env, "dev: DATABASE_URL is set (dev runs on SQLite)")
        check(cp_env.get("RELEASE_MODE") == "false", "dev: RELEASE_MODE is not false")
        check(cp_env.get("MARCHPROXY_PROXY_LISTEN", "off") != "off", "dev: the local proxy is off")
        vols = {v["name"]: v for v in cp["spec"]["template"]["spec"]["volumes"]}
        check("persistentVolumeClaim" in vols.get("data", {}), "dev: /data is not on a PersistentVolumeClaim")
        check(find(docs, "Deployment", "marchproxy-proxy") is None, "dev: a proxy Deployment is rendered (dev uses the local proxy)")
        ok("dev: SQLite on a PVC, one replica, development mode, local proxy")
        return

    prod_like = overlay in ("production", "daemonset", "production+servicemonitor")
    if not check(prod_like, f"unknown overlay {overlay}"):
        return
    check_namespaces(docs, "marchproxy")
    check((cp["spec"].get("replicas") or 1) >= 2, "production: fewer than 2 control-plane replicas")
    pod = cp["spec"]["template"]["spec"]
    check(pod.get("topologySpreadConstraints") or pod.get("affinity", {}).get("podAntiAffinity"),
          "production: control-plane replicas have no topology spread / anti-affinity")
    check(cp_env.get("RELEASE_MODE") == "true", "production: RELEASE_MODE is not true")
    check(cp_env.get("MARCHPROXY_PROXY_LISTEN") == "off", "production: the control plane's local proxy is not off")
    for k in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "LICENSE_KEY", "MARCHPROXY_ADMIN_PASSWORD"):
        check(cp_env.get(k, "").startswith("secret:"), f"production: control plane {k} does not come from a Secret")
    inits = pod.get("initContainers", [])
    check(any(c.get("args") == ["migrate"] for c in inits), "production: no `marchproxy migrate` init container")
    for c in inits:
        ienv = effective_env(docs, c)
        check(ienv.get("DATABASE_URL", "").startswith("secret:"), f"production: init {c['name']} has no DATABASE_URL from the Secret")
    # Secrets: the keys exist, and the committed values are visibly placeholders.
    import base64

    secret_keys = {}
    for s in by_kind(docs, "Secret"):
        for k, v in s.get("data", {}).items():
            secret_keys[k] = base64.b64decode(v).decode()
    for k in ("SECRET_KEY", "LICENSE_KEY", "DATABASE_URL", "REDIS_URL", "MARCHPROXY_CLUSTER_API_KEY"):
        if check(k in secret_keys, f"production: no Secret holds {k}"):
            v = secret_keys[k]
            check(v == "" or "CHANGE_ME" in v, f"production: committed Secret value of {k} is not a CHANGE_ME placeholder")
    ok("production: control plane replicas, release mode, secrets, migrate init container")

    # Proxies: a Deployment with an HPA, or a DaemonSet.
    proxy_dep = find(docs, "Deployment", "marchproxy-proxy")
    proxy_ds = find(docs, "DaemonSet", "marchproxy-proxy")
    hpas = by_kind(docs, "HorizontalPodAutoscaler")
    if overlay == "daemonset":
        check(proxy_ds and not proxy_dep, "daemonset: proxies are not (only) a DaemonSet")
        check(not hpas, "daemonset: an HPA is rendered")
    else:
        check(proxy_dep and not proxy_ds, "production: proxies are not a Deployment")
        check(len(hpas) == 1, f"production: {len(hpas)} HPAs, expected 1")
    for h in hpas:
        check(h["apiVersion"] == "autoscaling/v2", f"HPA {h['metadata']['name']}: not autoscaling/v2")
        ref = h["spec"]["scaleTargetRef"]
        target = find(docs, ref["kind"], ref["name"])
        check(target is not None, f"HPA {h['metadata']['name']}: target {ref['kind']}/{ref['name']} is not in the render")
        if target is not None:
            check("replicas" not in target["spec"], f"HPA target {ref['name']} sets spec.replicas (kubectl apply would fight the HPA)")
        check(h["spec"].get("minReplicas", 1) >= 2, "HPA: minReplicas < 2")
        check(
            any(m.get("type") == "Resource" and m["resource"]["name"] == "cpu" for m in h["spec"].get("metrics", [])),
            "HPA: no CPU metric",
        )
    # A PDB for every workload.
    pdbs = by_kind(docs, "PodDisruptionBudget")
    for w in workloads:
        labels = w["spec"]["template"]["metadata"]["labels"]
        covering = [p for p in pdbs if labels_match(p["spec"]["selector"]["matchLabels"], labels)]
        check(len(covering) == 1, f"{w['kind']}/{w['metadata']['name']}: {len(covering)} PodDisruptionBudgets select it, expected 1")
    for p in pdbs:
        check(p["apiVersion"] == "policy/v1", f"PDB {p['metadata']['name']}: not policy/v1")
        check("maxUnavailable" in p["spec"] or "minAvailable" in p["spec"], f"PDB {p['metadata']['name']}: no budget")
    ok(f"production: {len(pdbs)} PDBs, {len(hpas)} HPA, proxies as {'DaemonSet' if proxy_ds else 'Deployment'}")
    # NetworkPolicy: both components isolated, with the expected ports open.
    nps = by_kind(docs, "NetworkPolicy")
    for comp, ports in (("control-plane", {8000}), ("proxy", {8080, 9901})):
        w = next((w for w in workloads if component(w) == comp), None)
        if not check(w, f"no {comp} workload"):
            continue
        labels = w["spec"]["template"]["metadata"]["labels"]
        sel = [n for n in nps if labels_match(n["spec"]["podSelector"].get("matchLabels"), labels)]
        if not check(sel, f"production: no NetworkPolicy selects the {comp} pods"):
            continue
        types = {t for n in sel for t in n["spec"].get("policyTypes", [])}
        check({"Ingress", "Egress"} <= types, f"production: {comp} NetworkPolicy types {sorted(types)}")
        open_ports = {p["port"] for n in sel for r in n["spec"].get("ingress", []) for p in r.get("ports", [])}
        check(ports <= open_ports, f"production: {comp} NetworkPolicy opens {sorted(open_ports)}, expected {sorted(ports)}")
        egress53 = any(p["port"] == 53 for n in sel for r in n["spec"].get("egress", []) for p in r.get("ports", []))
        check(egress53, f"production: {comp} NetworkPolicy does not allow DNS")
    ok(f"production: {len(nps)} NetworkPolicies (ingress 8000/8080/9901, egress DNS and upstreams)")
    svc = find(docs, "Service", "marchproxy-proxy")
    check(svc and svc["spec"].get("type") == "LoadBalancer", "production: the proxy Service is not a LoadBalancer")
    check(
        svc and all(p["port"] != 9901 and p.get("targetPort") not in (9901, "admin") for p in svc["spec"]["ports"]),
        "production: the public proxy Service exposes the admin port",
    )
    if overlay == "production+servicemonitor":
        sms = by_kind(docs, "ServiceMonitor")
        check(len(sms) == 2, f"servicemonitor: {len(sms)} ServiceMonitors, expected 2")
        for sm in sms:
            check(sm["metadata"].get("namespace") == "marchproxy", f"ServiceMonitor {sm['metadata']['name']}: wrong namespace")
            svcs = [s for s in by_kind(docs, "Service") if labels_match(sm["spec"]["selector"]["matchLabels"], s["metadata"].get("labels", {}))]
            if check(len(svcs) == 1, f"ServiceMonitor {sm['metadata']['name']}: selects {len(svcs)} Services"):
                names = {p.get("name") for p in svcs[0]["spec"]["ports"]}
                for ep in sm["spec"]["endpoints"]:
                    check(ep["port"] in names, f"ServiceMonitor {sm['metadata']['name']}: port {ep['port']} not on {svcs[0]['metadata']['name']}")
                    check(ep.get("path") == "/metrics", f"ServiceMonitor {sm['metadata']['name']}: path is not /metrics")
        ok("servicemonitor: both ServiceMonitors select a Service port")


# ------------------------------------------------------------------------------------------
# docker-compose.yml
# ------------------------------------------------------------------------------------------

MARCHPROXY_SERVICES = ("control-plane", "control-plane-2", "proxy-1", "proxy-2")
CONTROL_PLANES = ("control-plane", "control-plane-2")
EXPECTED_DEPENDS = {
    "control-plane": {"postgres": "service_healthy", "redis": "service_healthy"},
    # The second replica starts after the first has done the first-start work.
    "control-plane-2": {"postgres": "service_healthy", "redis": "service_healthy", "control-plane": "service_healthy"},
    "bootstrap": {"control-plane": "service_healthy", "sample-upstream": "service_healthy"},
    "proxy-1": {"control-plane": "service_healthy", "control-plane-2": "service_healthy",
                "bootstrap": "service_completed_successfully"},
    "proxy-2": {"control-plane": "service_healthy", "control-plane-2": "service_healthy",
                "bootstrap": "service_completed_successfully"},
}


def duration_s(v):
    m = re.fullmatch(r"(\d+)(ms|s|m)?", str(v))
    if not m:
        return 0
    n = int(m.group(1))
    return {"ms": n / 1000, "s": n, None: n, "m": n * 60}[m.group(2)]


def check_compose(raw_path, normalized_path, env_example_path):
    raw_text = open(raw_path).read()
    norm = yaml.safe_load(open(normalized_path))
    print(f"compose: {raw_path} (normalised by podman-compose config)")
    services = norm.get("services", {})
    expected = {"control-plane", "control-plane-2", "postgres", "redis", "proxy-1", "proxy-2", "jaeger", "sample-upstream", "bootstrap"}
    check(expected <= set(services), f"services missing: {sorted(expected - set(services))}")
    check(services.get("postgres", {}).get("image", "").startswith("postgres:16"), "postgres is not postgres:16")
    check(services.get("redis", {}).get("image", "").startswith("redis:7"), "redis is not redis:7")
    check("jaeger" in services.get("jaeger", {}).get("image", ""), "jaeger service has no Jaeger image")
    jports = {str(p).split(":")[-1].split("/")[0] for p in services.get("jaeger", {}).get("ports", [])}
    check({"4317", "4318", "16686"} <= jports, f"jaeger ports {sorted(jports)}: OTLP 4317/4318 and UI 16686 expected")
    for name, svc in services.items():
        if name == "bootstrap":
            check(svc.get("restart", "no") == "no", "bootstrap: a one-shot service must not restart")
            continue
        hc = svc.get("healthcheck", {})
        check(hc.get("test") and not hc.get("disable"), f"{name}: no healthcheck")
    ok("services and healthchecks")
    for name in MARCHPROXY_SERVICES:
        svc = services.get(name, {})
        test = svc.get("healthcheck", {}).get("test", [])
        url = "http://127.0.0.1:8000/readyz" if name in CONTROL_PLANES else "http://127.0.0.1:9901/ready"
        check(test == ["CMD", "marchproxy", "health", url], f"{name}: healthcheck is {test}, expected marchproxy health {url}")
        check("ALL" in svc.get("cap_drop", []), f"{name}: cap_drop does not include ALL")
        allowed = {"NET_RAW"} if name in CONTROL_PLANES else set()
        check(set(svc.get("cap_add", [])) <= allowed, f"{name}: cap_add {svc.get('cap_add')} (allowed: {sorted(allowed) or 'none'})")
        check(svc.get("read_only") is True, f"{name}: root filesystem is not read-only")
        check(duration_s(svc.get("stop_grace_period", "10s")) >= 25, f"{name}: stop_grace_period below the 20 s drain")
        check("build" in svc or svc.get("image"), f"{name}: neither build nor image")
    ok("marchproxy services: health via the binary, capabilities, read-only, stop grace")
    for name, deps in EXPECTED_DEPENDS.items():
        got = services.get(name, {}).get("depends_on", {})
        if isinstance(got, list):
            got = {d: {"condition": "service_started"} for d in got}
        for dep, cond in deps.items():
            check(got.get(dep, {}).get("condition") == cond, f"{name}: depends_on {dep} is {got.get(dep)}, expected condition {cond}")
    ok("depends_on conditions")
    for cp_name in CONTROL_PLANES:
        cp_env = services.get(cp_name, {}).get("environment", {})
        if isinstance(cp_env, list):
            cp_env = dict(e.split("=", 1) for e in cp_env)
        for k in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "LICENSE_KEY", "RELEASE_MODE"):
            check(k in cp_env, f"{cp_name}: no {k}")
        check(str(cp_env.get("DATABASE_URL", "")).startswith("postgres://") and "@postgres:" in cp_env.get("DATABASE_URL", ""),
              f"{cp_name}: DATABASE_URL does not point at the postgres service")
        check(str(cp_env.get("REDIS_URL", "")).startswith("redis://redis:"), f"{cp_name}: REDIS_URL does not point at the redis service")
        check(cp_env.get("MARCHPROXY_PROXY_LISTEN") == "off", f"{cp_name}: the local proxy is not off (proxies run separately)")
    envs = [services.get(n, {}).get("environment", {}) for n in CONTROL_PLANES]
    check(envs[0] == envs[1], "the two control-plane replicas have different settings")
    for name in ("proxy-1", "proxy-2"):
        env = services.get(name, {}).get("environment", {})
        urls = str(env.get("MARCHPROXY_CONTROL_PLANE", "")).split(",")
        check(urls == [f"http://{n}:8000" for n in CONTROL_PLANES], f"{name}: MARCHPROXY_CONTROL_PLANE {urls} is not both replicas")
        check("MARCHPROXY_CLUSTER_API_KEY" in env, f"{name}: no MARCHPROXY_CLUSTER_API_KEY")
        check(env.get("MARCHPROXY_ADMIN_LISTEN") == "0.0.0.0:9901", f"{name}: MARCHPROXY_ADMIN_LISTEN must be 0.0.0.0:9901")
    names = [services.get(n, {}).get("environment", {}).get("MARCHPROXY_NAME") for n in ("proxy-1", "proxy-2")]
    check(len(set(names)) == 2, f"the two proxies need distinct MARCHPROXY_NAMEs: {names}")
    ok("environment: DATABASE_URL, REDIS_URL, SECRET_KEY, LICENSE_KEY, RELEASE_MODE; proxy settings")
    # Named volumes: declared, and the stateful services use them.
    declared = set((norm.get("volumes") or {}).keys())
    for name, mount in (("postgres", "/var/lib/postgresql/data"), ("redis", "/data"), ("control-plane", "/data"),
                        ("control-plane-2", "/data")):
        vols = services.get(name, {}).get("volumes", [])
        srcs = [str(v).split(":")[0] if isinstance(v, str) else v.get("source") for v in vols
                if (str(v).split(":")[1] if isinstance(v, str) else v.get("target")) == mount]
        check(srcs and srcs[0] in declared, f"{name}: {mount} is not on a declared named volume ({srcs})")
    ok(f"named volumes: {sorted(declared)}")
    # Secrets only through .env: the raw file interpolates them, .env.example defines them.
    raw = yaml.safe_load(raw_text)
    raw_cp_env = raw["services"]["control-plane"]["environment"]
    for k in ("SECRET_KEY", "LICENSE_KEY", "MARCHPROXY_ADMIN_PASSWORD"):
        check(str(raw_cp_env.get(k, "")).startswith("${"), f"control-plane: {k} is written in the compose file, not read from .env")
    check("${POSTGRES_PASSWORD" in raw_cp_env.get("DATABASE_URL", ""), "control-plane: the PostgreSQL password is not read from .env")
    example = {}
    for line in open(env_example_path):
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            k, v = line.split("=", 1)
            example[k.strip()] = v
    used = set(re.findall(r"(?<!\$)\$\{([A-Z_][A-Z0-9_]*)", raw_text))
    check(used <= set(example), f".env.example lacks {sorted(used - set(example))}")
    for k in ("SECRET_KEY", "POSTGRES_PASSWORD", "MARCHPROXY_ADMIN_PASSWORD"):
        check("CHANGE_ME" in example.get(k, ""), f".env.example: {k} is not a CHANGE_ME placeholder")
    check(len(example.get("SECRET_KEY", "")) >= 32, ".env.example: SECRET_KEY shorter than 32 characters (release mode refuses it)")
    ok(f".env.example defines every interpolated variable ({len(used)})")


# ------------------------------------------------------------------------------------------
# Dockerfile
# ------------------------------------------------------------------------------------------


def check_dockerfile(path, ignore_path):
    text = open(path).read()
    print(f"dockerfile: {path}")
    # Join continuation lines, drop comments.
    lines = [l for l in re.sub(r"\\\n", " ", text).splitlines() if l.strip() and not l.lstrip().startswith("#")]
    args = dict(re.findall(r"^ARG (\w+)=(\S+)", "\n".join(lines), re.M))
    froms = [l.split()[1] for l in lines if l.startswith("FROM ")]
    resolved = [re.sub(r"\$\{(\w+)\}", lambda m: args.get(m.group(1), m.group(0)), f) for f in froms]
    check(resolved == ["node:20-bookworm-slim", "rust:1-bookworm", "debian:bookworm-slim"],
          f"stages are built FROM {resolved}, expected node:20-bookworm-slim, rust:1-bookworm, debian:bookworm-slim")
    runtime = "\n".join(lines[max(i for i, l in enumerate(lines) if l.startswith("FROM ")):])
    check(re.search(r"cargo build --release[^\n]*--locked[^\n]*-p marchproxy|cargo build --release[^\n]*-p marchproxy[^\n]*--locked", text),
          "no `cargo build --release --locked -p marchproxy`")
    check("npm ci" in text and "npm run build" in text, "the web UI is not built with npm ci && npm run build")
    check(re.search(r"COPY --from=web \S*web/dist \S*web/dist", text), "web/dist is not copied into the Rust build stage")
    check(re.search(r"^USER 10001", runtime, re.M), "the runtime image does not run as uid 10001")
    check('ENTRYPOINT ["marchproxy"]' in runtime, 'ENTRYPOINT is not ["marchproxy"]')
    check('CMD ["serve"]' in runtime, 'CMD is not ["serve"]')
    check(re.search(r"^EXPOSE 8000 8080 9901", runtime, re.M), "EXPOSE 8000 8080 9901 missing")
    check(re.search(r'^HEALTHCHECK .*CMD \["marchproxy", "health", "http://127.0.0.1:8000/readyz"\]', runtime, re.M),
          "HEALTHCHECK does not use `marchproxy health http://127.0.0.1:8000/readyz`")
    check(re.search(r'^VOLUME \["/data"\]', runtime, re.M), "no /data volume")
    for label in ("title", "description", "version", "revision", "created", "source", "licenses"):
        check(f"org.opencontainers.image.{label}=" in runtime, f"OCI label org.opencontainers.image.{label} missing")
    check("curl" not in runtime and "wget" not in runtime, "the runtime image installs curl/wget")
    ignored = {l.strip().rstrip("/") for l in open(ignore_path) if l.strip() and not l.startswith("#")}
    for p in ("target", "web/node_modules", "data", ".git", ".env", "web/dist"):
        check(p in ignored, f".dockerignore does not exclude {p}")
    ok("stages, build commands, non-root runtime, entrypoint, ports, healthcheck, labels, .dockerignore")


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    what = argv[1]
    if what == "k8s" and len(argv) == 4:
        check_k8s(argv[2], argv[3])
    elif what == "compose" and len(argv) == 5:
        check_compose(argv[2], argv[3], argv[4])
    elif what == "dockerfile" and len(argv) == 4:
        check_dockerfile(argv[2], argv[3])
    else:
        sys.exit(__doc__)
    if FAILURES:
        print(f"  {len(FAILURES)} check(s) failed")
        sys.exit(1)


if __name__ == "__main__":
    main(sys.argv)
