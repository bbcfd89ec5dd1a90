//! Every resource round-trips, lists filter and paginate, and bad input is a 422 that
//! names the field — never a 500.

mod common;

use common::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

#[tokio::test]
async fn clusters_show_their_key_once_and_services_belong_to_them() {
    let app = ControlPlane::start().await;
    let (s, list) = app.get("/api/v1/clusters").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list[0]["id"], 1);
    assert_eq!(list[0]["name"], "default");

    let (s, c) = app.post("/api/v1/clusters", json!({"name": "eu", "description": "Europe"})).await;
    assert_eq!(s, StatusCode::CREATED);
    assert!(c["api_key"].as_str().unwrap().starts_with("mpk_"));
    let (_, got) = app.get(&format!("/api/v1/clusters/{}", c["id"])).await;
    assert!(got.get("api_key").is_none(), "the key is shown only at creation");
    assert!(!got.to_string().contains(c["api_key"].as_str().unwrap()));
    let (s, _) = app.post("/api/v1/clusters", json!({"name": "eu"})).await;
    assert_eq!(s, StatusCode::CONFLICT);

    let (s, svc) = app
        .post("/api/v1/services", json!({"name": "db", "cluster_id": c["id"], "protocol": "tcp", "listen_port": 15432}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{svc}");
    let (s, e) = app
        .post(
            "/api/v1/services",
            json!({"name": "db2", "cluster_id": c["id"], "protocol": "tcp", "listen_port": 15432}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    let (s, e) = app
        .post("/api/v1/services", json!({"name": "x", "cluster_id": 77, "hostnames": ["x.io"], "protocol": "http"}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "a missing cluster: {e}");
    assert_eq!(e["detail"][0]["loc"], json!(["body", "cluster_id"]));
    let (s, e) = app.post("/api/v1/services", json!({"name": "x", "cluster_id": 1, "protocol": "tcp"})).await;
    assert_eq!((s, &e["detail"][0]["loc"]), (StatusCode::UNPROCESSABLE_ENTITY, &json!(["body", "listen_port"])));

    // A cluster with services cannot be deleted; an empty one can.
    let (s, _) = app.delete(&format!("/api/v1/clusters/{}", c["id"])).await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, _) = app.delete(&format!("/api/v1/services/{}", svc["id"])).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = app.delete(&format!("/api/v1/clusters/{}", c["id"])).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = app.get(&format!("/api/v1/clusters/{}", c["id"])).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    let (s, k) = app.post("/api/v1/clusters/1/rotate-key", json!({})).await;
    assert_eq!(s, StatusCode::OK);
    assert!(k["api_key"].as_str().unwrap().starts_with("mpk_"));
    app.shutdown().await;
}

/// Create → GET → PUT of the GET body → GET: nothing changes but `updated_at`.
async fn round_trip(app: &ControlPlane, collection: &str, body: Value) -> i64 {
    let (s, created) = app.post(collection, body.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let id = created["id"].as_i64().unwrap();
    let item = format!("{collection}/{id}");
    // (A route table's live health and a tracing config's stats come with a GET by default.)
    let (s, got) = app.get(&format!("{item}?include_health=false&include_stats=false")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(got, created);
    // Every field of the request comes back under the same name with the same value.
    assert_subset(&body, &got, collection);
    let (s, put) = app.put(&item, without_meta(got.clone())).await;
    assert_eq!(s, StatusCode::OK, "{put}");
    assert_eq!(without_meta(put), without_meta(got.clone()));
    let (s, list) = app.get(collection).await;
    assert_eq!(s, StatusCode::OK);
    assert!(list.as_array().unwrap().iter().any(|x| x["id"] == id));

    let (_, d) = app.post(&format!("{item}/disable"), json!({})).await;
    assert_eq!(d["enabled"], false);
    let (_, listed) = app.get(&format!("{collection}?enabled_only=true")).await;
    assert!(!listed.as_array().unwrap().iter().any(|x| x["id"] == id));
    let (_, e) = app.post(&format!("{item}/enable"), json!({})).await;
    assert_eq!(e["enabled"], true);
    id
}

/// Every field of `want` is in `got` with the same value (defaults may add fields).
fn assert_subset(want: &Value, got: &Value, at: &str) {
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => {
            for (k, v) in w {
                assert_subset(v, g.get(k).unwrap_or(&Value::Null), &format!("{at}.{k}"));
            }
        }
        (Value::Array(w), Value::Array(g)) => {
            assert_eq!(w.len(), g.len(), "{at}");
            for (i, (a, b)) in w.iter().zip(g).enumerate() {
                assert_subset(a, b, &format!("{at}[{i}]"));
            }
        }
        _ => assert_eq!(want, got, "{at}"),
    }
}

#[tokio::test]
async fn enterprise_resources_round_trip_unchanged() {
    let app = ControlPlane::start().await;
    let sid = app.service("web", "web.example.com").await;
    let qos = round_trip(&app, "/api/v1/traffic-shaping/policies", qos_example(sid)).await;
    let rt = round_trip(&app, "/api/v1/multi-cloud/routes", route_example(sid)).await;
    let tc = round_trip(&app, "/api/v1/observability/tracing", tracing_example()).await;

    let (s, h) = app.get(&format!("/api/v1/multi-cloud/routes/{rt}/health")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(h.as_array().unwrap().len(), 2);
    assert_eq!(h[0]["provider"], "aws");
    assert_eq!(h[1]["region"], "us-central1");

    let (s, qs) = app.get(&format!("/api/v1/traffic-shaping/policies/{qos}/stats")).await;
    assert_eq!((s, &qs["policy_id"], &qs["bytes_passed"]), (StatusCode::OK, &json!(qos), &json!(0)));
    assert!(qs["delay_ms"]["P0"]["p99"].is_number());
    let (s, _) = app.get("/api/v1/traffic-shaping/policies/999/stats").await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    let (s, st) = app.get(&format!("/api/v1/observability/tracing/{tc}/stats")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(st["spans_started"], 0);

    // A service in use cannot be deleted.
    let (s, _) = app.delete(&format!("/api/v1/services/{sid}")).await;
    assert_eq!(s, StatusCode::CONFLICT);

    for p in [
        format!("/api/v1/traffic-shaping/policies/{qos}"),
        format!("/api/v1/multi-cloud/routes/{rt}"),
        format!("/api/v1/observability/tracing/{tc}"),
    ] {
        let (s, _) = app.delete(&p).await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        let (s, b) = app.get(&p).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        assert!(b["detail"].as_str().unwrap().contains("not found"));
        let (s, _) = app.delete(&p).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
    }
    app.shutdown().await;
}

#[tokio::test]
async fn lists_filter_and_paginate() {
    let app = ControlPlane::start().await;
    let a = app.service("a", "a.example.com").await;
    let b = app.service("b", "b.example.com").await;
    for i in 0..5 {
        let mut p = qos_example(if i % 2 == 0 { a } else { b });
        p["name"] = json!(format!("p{i}"));
        p["enabled"] = json!(i != 4);
        let (s, _) = app.post("/api/v1/traffic-shaping/policies", p).await;
        assert_eq!(s, StatusCode::CREATED);
    }
    let names =
        |v: &Value| v.as_array().unwrap().iter().map(|x| x["name"].as_str().unwrap().to_string()).collect::<Vec<_>>();
    let (_, v) = app.get(&format!("/api/v1/traffic-shaping/policies?service_id={a}")).await;
    assert_eq!(names(&v), ["p0", "p2", "p4"]);
    let (_, v) = app.get(&format!("/api/v1/traffic-shaping/policies?service_id={a}&enabled_only=true")).await;
    assert_eq!(names(&v), ["p0", "p2"]);
    let (_, v) = app.get("/api/v1/traffic-shaping/policies?cluster_id=2").await;
    assert_eq!(names(&v), Vec::<String>::new());
    let resp = app
        .http
        .get(format!("{}/api/v1/traffic-shaping/policies?skip=1&limit=2", app.base))
        .bearer_auth(&app.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["x-total-count"], "5");
    let v: Value = resp.json().await.unwrap();
    assert_eq!(names(&v), ["p1", "p2"]);
    let past = app
        .http
        .get(format!("{}/api/v1/traffic-shaping/policies?skip=10&limit=2", app.base))
        .bearer_auth(&app.token)
        .send()
        .await
        .unwrap();
    assert_eq!(past.headers()["x-total-count"], "5", "a page past the end still knows the total");
    assert_eq!(past.json::<Value>().await.unwrap(), json!([]));
    let (s, e) = app.get("/api/v1/traffic-shaping/policies?limit=0").await;
    assert_eq!((s, &e["detail"][0]["loc"]), (StatusCode::UNPROCESSABLE_ENTITY, &json!(["query", "limit"])));
    let (s, e) = app.get("/api/v1/traffic-shaping/policies?cluster_id=abc").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["detail"][0]["loc"][0], "query");
    app.shutdown().await;
}

fn locs(v: &Value) -> Vec<String> {
    v["detail"]
        .as_array()
        .unwrap_or_else(|| panic!("no detail array in {v}"))
        .iter()
        .map(|e| {
            e["loc"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s.to_string().trim_matches('"').to_string())
                .collect::<Vec<_>>()
                .join(".")
        })
        .collect()
}

#[tokio::test]
async fn bad_input_is_422_naming_the_field() {
    let app = ControlPlane::start().await;
    let sid = app.service("web", "web.example.com").await;
    let other = {
        let (_, c) = app.post("/api/v1/clusters", json!({"name": "other"})).await;
        c["id"].as_i64().unwrap()
    };
    let with = |path: &str, v: Value| {
        let mut b = qos_example(sid);
        let mut cur = &mut b;
        let parts: Vec<&str> = path.split('.').collect();
        for p in &parts[..parts.len() - 1] {
            cur = cur.get_mut(*p).unwrap();
        }
        cur[parts[parts.len() - 1]] = v;
        b
    };
    let cases: Vec<(Value, &str)> = vec![
        (with("bandwidth.ingress_mbps", json!(0)), "body.bandwidth.ingress_mbps"),
        (with("bandwidth.egress_mbps", json!(100001)), "body.bandwidth.egress_mbps"),
        (with("bandwidth.burst_size_kb", json!(10241)), "body.bandwidth.burst_size_kb"),
        (with("priority_config.weight", json!(101)), "body.priority_config.weight"),
        (with("priority_config.priority", json!("P7")), "body.priority_config.priority"),
        (with("priority_config.dscp_marking", json!("CS6")), "body.priority_config.dscp_marking"),
        (with("bandwidth.ingress_mbps", json!("fast")), "body.bandwidth.ingress_mbps"),
        (with("bandwidth.ingress_mbps", json!(1e300)), "body.bandwidth.ingress_mbps"),
        (with("bandwidth.ingress_mbps", json!(-5)), "body.bandwidth.ingress_mbps"),
        (with("name", json!("")), "body.name"),
        (with("name", json!("x".repeat(101))), "body.name"),
    ];
    for (body, loc) in cases {
        let (s, e) = app.post("/api/v1/traffic-shaping/policies", body.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body} -> {e}");
        assert!(locs(&e).contains(&loc.to_string()), "expected {loc} in {e}");
    }
    // Valid input naming a missing object, or one of another cluster: 409, fields listed.
    for (body, loc) in
        [(with("service_id", json!(12345)), "body.service_id"), (with("cluster_id", json!(other)), "body.service_id")]
    {
        let (s, e) = app.post("/api/v1/traffic-shaping/policies", body.clone()).await;
        assert_eq!(s, StatusCode::CONFLICT, "{body} -> {e}");
        assert!(locs(&e).contains(&loc.to_string()), "expected {loc} in {e}");
    }
    let mut missing = qos_example(sid);
    missing.as_object_mut().unwrap().remove("priority_config");
    let (s, e) = app.post("/api/v1/traffic-shaping/policies", missing).await;
    assert_eq!((s, locs(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["body.priority_config".to_string()]));
    assert_eq!(e["detail"][0]["type"], "missing");

    for raw in ["{\"name\": ", "not json", "[]", "", "{\"name\": \"x\", \"service_id\": 99999999999999999999999999}"] {
        let (s, e) = app.raw(Method::POST, "/api/v1/traffic-shaping/policies", raw).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{raw:?} -> {e}");
        assert!(e["detail"][0]["loc"][0] == "body", "{e}");
    }

    // Route tables.
    let route = |f: &dyn Fn(&mut Value)| {
        let mut r = route_example(sid);
        f(&mut r);
        r
    };
    let cases: Vec<(Value, &str)> = vec![
        (route(&|r| r["routes"] = json!([])), "body.routes"),
        (route(&|r| r["routes"] = Value::Array(vec![r["routes"][0].clone(); 21])), "body.routes"),
        (
            route(&|r| {
                r["routes"][0]["is_active"] = json!(false);
                r["routes"][1]["is_active"] = json!(false);
            }),
            "body.routes",
        ),
        (route(&|r| r["routes"][1]["endpoint"] = json!("not a url")), "body.routes.1.endpoint"),
        (route(&|r| r["routes"][1]["endpoint"] = r["routes"][0]["endpoint"].clone()), "body.routes.1.endpoint"),
        (route(&|r| r["routes"][0]["weight"] = json!(0)), "body.routes.0.weight"),
        (route(&|r| r["routes"][0]["provider"] = json!("oracle")), "body.routes.0.provider"),
        (route(&|r| r["algorithm"] = json!("random")), "body.algorithm"),
        (
            route(&|r| {
                r["algorithm"] = json!("cost");
                r["routes"][1].as_object_mut().unwrap().remove("cost_per_gb");
            }),
            "body.routes.1.cost_per_gb",
        ),
        (route(&|r| r["health_probe"]["timeout_seconds"] = json!(3601)), "body.health_probe.timeout_seconds"),
        (route(&|r| r["health_probe"]["protocol"] = json!("udp")), "body.health_probe.protocol"),
        (route(&|r| r["health_probe"]["port"] = json!(70000)), "body.health_probe.port"),
    ];
    for (body, loc) in cases {
        let (s, e) = app.post("/api/v1/multi-cloud/routes", body).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{loc}: {e}");
        assert!(locs(&e).contains(&loc.to_string()), "expected {loc} in {e}");
    }

    // Tracing configs.
    let tracing = |f: &dyn Fn(&mut Value)| {
        let mut t = tracing_example();
        f(&mut t);
        t
    };
    let cases: Vec<(Value, &str)> = vec![
        (tracing(&|t| t["sampling_rate"] = json!(1.5)), "body.sampling_rate"),
        (tracing(&|t| t["sampling_strategy"] = json!("rate_limit")), "body.max_traces_per_second"),
        (
            tracing(&|t| {
                t["backend"] = json!("zipkin");
                t["exporter"] = json!("grpc");
            }),
            "body.exporter",
        ),
        (tracing(&|t| t["exporter"] = json!("thrift")), ""),
        (
            tracing(&|t| {
                t["backend"] = json!("otlp");
                t["exporter"] = json!("thrift");
            }),
            "body.exporter",
        ),
        (tracing(&|t| t["endpoint"] = json!("nowhere")), "body.endpoint"),
        (tracing(&|t| t["max_attribute_length"] = json!(0)), "body.max_attribute_length"),
        (tracing(&|t| t["sampling_strategy"] = json!("sometimes")), "body.sampling_strategy"),
    ];
    for (body, loc) in cases {
        let (s, e) = app.post("/api/v1/observability/tracing", body).await;
        if loc.is_empty() {
            assert_eq!(s, StatusCode::CREATED, "jaeger + thrift is a valid combination: {e}");
            continue;
        }
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{loc}: {e}");
        assert!(locs(&e).contains(&loc.to_string()), "expected {loc} in {e}");
    }
    // A cluster that does not exist: 409, the field named.
    let (s, e) = app.post("/api/v1/observability/tracing", tracing(&|t| t["cluster_id"] = json!(999))).await;
    assert_eq!((s, locs(&e)), (StatusCode::CONFLICT, vec!["body.cluster_id".to_string()]));

    // Path ids.
    let (s, e) = app.get("/api/v1/traffic-shaping/policies/abc").await;
    assert_eq!((s, locs(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["path.id".to_string()]));
    let (s, _) = app.get("/api/v1/traffic-shaping/policies/99999999999999999999").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _) = app.get("/api/v1/nothing-here").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    app.shutdown().await;
}

/// A live drill is refused at once without an online proxy; otherwise it is recorded,
/// answered with 202 when asked not to wait, and its record ends `finished` with the
/// result the waiting form returns (here no proxy acknowledges the drain: the result says so).
#[tokio::test]
async fn live_drills_are_recorded_and_followed_at_their_records() {
    let app = ControlPlane::start().await;
    let sid = app.service("web", "web.example.com").await;
    let (_, rt) = app.post("/api/v1/multi-cloud/routes", route_example(sid)).await;
    let id = rt["id"].as_i64().unwrap();
    let drill = format!("/api/v1/multi-cloud/routes/{id}/test-failover");
    let live = json!({"dry_run": false, "duration_seconds": 1, "wait": false});
    let (s, e) = app.post(&drill, live.clone()).await;
    assert_eq!(s, StatusCode::CONFLICT, "no proxy online: {e}");
    let (s, _) = app.get(&format!("/api/v1/multi-cloud/routes/{id}/drills/1")).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "a refused drill leaves no record");
    let (s, none) = app.get(&format!("/api/v1/multi-cloud/routes/{id}/drills")).await;
    assert_eq!((s, none), (StatusCode::OK, json!([])));

    let (s, body) = app
        .call_as(Some(&app.key), Method::POST, "/api/v1/proxy/register", Some(json!({"name": "p1", "version": "test"})))
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let (s, started) = app.post(&drill, live).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{started}");
    assert_eq!((started["status"].as_str(), started["duration_seconds"].as_i64()), (Some("running"), Some(1)));
    assert_eq!(started["endpoint"], "https://api.us-east-1.example.com");
    let first = started["id"].as_i64().unwrap();
    // The waiting form: 200 when the drill has ended, with the same result its record keeps.
    let (s, r) = app.post(&drill, json!({"dry_run": false, "duration_seconds": 1})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let second = r["drill_id"].as_i64().expect("the drill's id");
    assert_ne!(first, second);
    assert_eq!(r["switch_time_ms"], Value::Null, "the registered proxy never applied the drain: {r}");
    assert!(r["message"].as_str().unwrap().contains("not every proxy applied the drain"), "{r}");
    for (drill_id, expect) in [(first, None), (second, Some(&r))] {
        // The first started before the second, but its task may record its end a little
        // after the second answered: wait for it (bounded).
        let rec = app.drill_ended(&format!("/api/v1/multi-cloud/routes/{id}/drills/{drill_id}")).await;
        assert_eq!(rec["status"], "finished", "{rec}");
        assert_eq!(
            (rec["result"]["drill_id"].as_i64(), rec["result"]["restored"].as_bool()),
            (Some(drill_id), Some(true))
        );
        assert!(rec["finished_at"].is_string() && rec["ends_at"].is_string(), "{rec}");
        if let Some(r) = expect {
            assert_eq!(&rec["result"], r);
        }
    }
    // The table's drills, newest first, a page at a time.
    let list = format!("/api/v1/multi-cloud/routes/{id}/drills");
    let ids = |v: &Value| v.as_array().unwrap().iter().map(|d| d["id"].as_i64().unwrap()).collect::<Vec<_>>();
    let (s, all) = app.get(&list).await;
    assert_eq!((s, ids(&all)), (StatusCode::OK, vec![second, first]), "{all}");
    assert!(all.as_array().unwrap().iter().all(|d| d["status"] == "finished" && d["route_table_id"] == id), "{all}");
    let page = app.http.get(format!("{}{list}?skip=1&limit=1", app.base)).bearer_auth(&app.token).send().await.unwrap();
    assert_eq!(page.headers()["x-total-count"], "2");
    assert_eq!(ids(&page.json::<Value>().await.unwrap()), vec![first]);
    let (s, e) = app.get(&format!("{list}?limit=0")).await;
    assert_eq!((s, locs(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["query.limit".to_string()]));
    let (s, _) = app.get(&format!("/api/v1/multi-cloud/routes/{}/drills", id + 1)).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "no such route table");
    let (s, _) = app.get(&format!("/api/v1/multi-cloud/routes/{}/drills/{first}", id + 1)).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "a drill is found under its own table only");
    for bad in ["x", "0", "-1"] {
        let (s, e) = app.get(&format!("/api/v1/multi-cloud/routes/{id}/drills/{bad}")).await;
        assert_eq!((s, locs(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["path.drill_id".to_string()]), "{bad}");
    }
    app.shutdown().await;
}

#[tokio::test]
async fn failover_dry_run_and_cost_analytics_parameters() {
    let app = ControlPlane::start().await;
    let sid = app.service("web", "web.example.com").await;
    let (_, rt) = app.post("/api/v1/multi-cloud/routes", route_example(sid)).await;
    let id = rt["id"].as_i64().unwrap();
    let (s, r) = app.post(&format!("/api/v1/multi-cloud/routes/{id}/test-failover"), json!({"dry_run": true})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["removed_endpoint"], "https://api.us-east-1.example.com");
    assert_eq!(r["failover_target"], "https://api.us-central1.example.com");
    let (s, r) = app
        .post(
            &format!("/api/v1/multi-cloud/routes/{id}/test-failover"),
            json!({"dry_run": true, "endpoint": "https://api.us-central1.example.com"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(r["failover_target"], "https://api.us-east-1.example.com");
    let (s, e) = app
        .post(&format!("/api/v1/multi-cloud/routes/{id}/test-failover"), json!({"dry_run": true, "endpoint": "x:1"}))
        .await;
    assert_eq!((s, locs(&e)), (StatusCode::CONFLICT, vec!["body.endpoint".to_string()]));
    let (s, _) = app.post("/api/v1/multi-cloud/routes/999/test-failover", json!({"dry_run": true})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    let (s, c) = app.get("/api/v1/multi-cloud/analytics/cost?days=7").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(c["total_cost"], 0.0);
    assert!(c["daily"].as_array().unwrap().len() >= 7);
    let (s, c) = app.get("/api/v1/multi-cloud/analytics/cost?start=2026-01-01&end=2026-01-04").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(c["daily"].as_array().unwrap().len(), 3);
    for bad in [
        "days=0",
        "days=367",
        "days=x",
        "start=2026-02-01&end=2026-01-01",
        "start=yesterday",
        "days=3&start=2026-01-01",
        // An object where the date belongs (schemathesis's form of it).
        "start%5Bx%5D=2026-01-01",
        "start[]=",
    ] {
        let (s, e) = app.get(&format!("/api/v1/multi-cloud/analytics/cost?{bad}")).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {e}");
    }
    app.shutdown().await;
}

#[tokio::test]
async fn span_search_validates_and_reads_the_store() {
    let app = ControlPlane::start().await;
    let (s, r) = app.get("/api/v1/observability/spans/search?service=edge&has_error=true&limit=10").await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["total"], 0);
    for bad in ["trace_id=xyz", "limit=0", "min_duration_ms=-1", "has_error=maybe", "start=tomorrow", "tags=novalue"] {
        let (s, e) = app.get(&format!("/api/v1/observability/spans/search?{bad}")).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {e}");
    }
    let (s, _) = app.get("/api/v1/observability/traces/0123456789abcdef0123456789abcdef").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, e) = app.get("/api/v1/observability/traces/0123456789abcdef0123456789abcdeg").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["detail"][0]["loc"], json!(["path", "trace_id"]), "{e}");
    let (s, g) = app.get("/api/v1/observability/dependencies").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(g["edges"], json!([]));
    app.shutdown().await;
}

#[tokio::test]
async fn openapi_lists_every_spec_endpoint() {
    let app = ControlPlane::start().await;
    let (s, doc) = app.call_as(None, Method::GET, "/api/v1/openapi.json", None).await;
    assert_eq!(s, StatusCode::OK);
    let paths = doc["paths"].as_object().unwrap();
    let expect = [
        ("/api/v1/traffic-shaping/policies", vec!["get", "post"]),
        ("/api/v1/traffic-shaping/policies/{id}", vec!["get", "put", "delete"]),
        ("/api/v1/traffic-shaping/policies/{id}/enable", vec!["post"]),
        ("/api/v1/traffic-shaping/policies/{id}/disable", vec!["post"]),
        ("/api/v1/multi-cloud/routes", vec!["get", "post"]),
        ("/api/v1/multi-cloud/routes/{id}", vec!["get", "put", "delete"]),
        ("/api/v1/multi-cloud/routes/{id}/health", vec!["get"]),
        ("/api/v1/multi-cloud/routes/{id}/enable", vec!["post"]),
        ("/api/v1/multi-cloud/routes/{id}/disable", vec!["post"]),
        ("/api/v1/multi-cloud/routes/{id}/test-failover", vec!["post"]),
        ("/api/v1/multi-cloud/analytics/cost", vec!["get"]),
        ("/api/v1/observability/tracing", vec!["get", "post"]),
        ("/api/v1/observability/tracing/{id}", vec!["get", "put", "delete"]),
        ("/api/v1/observability/tracing/{id}/stats", vec!["get"]),
        ("/api/v1/observability/tracing/{id}/enable", vec!["post"]),
        ("/api/v1/observability/tracing/{id}/disable", vec!["post"]),
        ("/api/v1/observability/tracing/{id}/test", vec!["post"]),
        ("/api/v1/observability/spans/search", vec!["get"]),
        ("/api/v1/auth/login", vec!["post"]),
    ];
    for (p, methods) in expect {
        let item = paths.get(p).unwrap_or_else(|| panic!("{p} missing from the OpenAPI document"));
        for m in methods {
            assert!(item.get(m).is_some(), "{m} {p} missing");
        }
    }
    let resp = app.http.get(format!("{}/api/v1/docs/", app.base)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.text().await.unwrap().to_lowercase().contains("swagger"));
    app.shutdown().await;
}

#[tokio::test]
async fn tracing_test_sends_a_real_span_and_reports_failures() {
    let app = ControlPlane::start().await;
    // Point a config at the control plane's own OTLP/HTTP receiver.
    let mut cfg = tracing_example();
    cfg["backend"] = json!("otlp");
    cfg["endpoint"] = json!(app.base.clone());
    let (s, c) = app.post("/api/v1/observability/tracing", cfg).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let (s, r) = app.post(&format!("/api/v1/observability/tracing/{}/test", c["id"]), json!({})).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(r["success"], true, "{r}");
    assert!(r["error"].is_null());
    let trace_id = r["trace_id"].as_str().unwrap();
    let (s, found) = app.get(&format!("/api/v1/observability/spans/search?trace_id={trace_id}")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(found["total"], 1, "{found}");
    assert_eq!(found["spans"][0]["service"], "edge");
    let (s, t) = app.get(&format!("/api/v1/observability/traces/{trace_id}")).await;
    assert_eq!((s, t["spans"].as_array().unwrap().len()), (StatusCode::OK, 1));

    // Nothing listens on port 9: the test fails and says why.
    let mut cfg = tracing_example();
    cfg["backend"] = json!("zipkin");
    cfg["endpoint"] = json!("http://127.0.0.1:9/api/v2/spans");
    let (_, c) = app.post("/api/v1/observability/tracing", cfg).await;
    let (s, r) = app.post(&format!("/api/v1/observability/tracing/{}/test", c["id"]), json!({})).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(r["success"], false);
    assert!(!r["error"].as_str().unwrap().is_empty(), "{r}");
    app.shutdown().await;
}

#[tokio::test]
async fn otlp_receiver_accepts_json_and_rejects_garbage() {
    let app = ControlPlane::start().await;
    let body = json!({"resourceSpans": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "checkout"}}]},
        "scopeSpans": [{"spans": [
            {"traceId": "5b8efff798038103d269b633813fc60c", "spanId": "eee19b7ec3c1b174", "name": "GET /cart", "kind": 2,
             "startTimeUnixNano": "1700000000000000000", "endTimeUnixNano": "1700000000250000000",
             "attributes": [{"key": "http.response.status_code", "value": {"intValue": "500"}}], "status": {"code": 2}},
            {"traceId": "5b8efff798038103d269b633813fc60c", "spanId": "eee19b7ec3c1b175", "parentSpanId": "eee19b7ec3c1b174",
             "name": "SELECT", "kind": 3, "startTimeUnixNano": "1700000000010000000", "endTimeUnixNano": "1700000000020000000"}
        ]}]
    }]});
    let resp = app.export_spans(&body).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let (_, r) = app.get("/api/v1/observability/spans/search?service=checkout&has_error=true").await;
    assert_eq!(r["total"], 1, "{r}");
    assert_eq!(r["spans"][0]["operation"], "GET /cart");
    assert_eq!(r["spans"][0]["duration_ms"], 250.0);
    let (_, r) = app.get("/api/v1/observability/spans/search?service=checkout&min_duration_ms=100").await;
    assert_eq!(r["total"], 1);
    let (_, r) = app.get("/api/v1/observability/spans/search?tags=http.response.status_code:500").await;
    assert_eq!(r["total"], 0, "integer attributes do not match a string tag value: {r}");
    let (_, r) = app.get("/api/v1/observability/spans/search?start=1700000000005&end=1700000000030").await;
    assert_eq!(r["total"], 1, "{r}");
    let resp = app
        .http
        .post(format!("{}/v1/traces", app.base))
        .bearer_auth(&app.key)
        .header("content-type", "application/x-protobuf")
        .body("garbage!")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    app.shutdown().await;
}

/// `1.0` is the integer 1 (JSON Schema's reading, and what generated clients send) in a
/// body, a query integer and a path id; a string parameter keeps its text.
#[tokio::test]
async fn integral_decimals_are_integers() {
    let app = ControlPlane::start().await;
    let sid = app.service("web", "web.example.com").await;
    let (s, list) = app.get("/api/v1/services?cluster_id=1.0&limit=10.00").await;
    assert_eq!((s, list.as_array().map(Vec::len)), (StatusCode::OK, Some(1)), "{list}");
    let (s, one) = app.get(&format!("/api/v1/services/{sid}.0")).await;
    assert_eq!((s, one["id"].as_i64()), (StatusCode::OK, Some(sid)), "{one}");
    let (s, e) = app.get("/api/v1/services?cluster_id=1.5").await;
    assert_eq!((s, locs(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["query.cluster_id".to_string()]));
    let mut p = qos_example(sid);
    p["bandwidth"]["ingress_mbps"] = json!(100.0);
    let p = app.post_ok("/api/v1/traffic-shaping/policies", p).await;
    assert_eq!(p["bandwidth"]["ingress_mbps"], 100, "{p}");
    let r = app.get_ok("/api/v1/observability/spans/search?service=1.0&start=0").await;
    assert_eq!(r["search_params"]["service"], "1.0", "a string stays as sent: {r}");
    app.shutdown().await;
}
