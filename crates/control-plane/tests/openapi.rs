//! The committed OpenAPI document (`docs/openapi.json`) is the one the server publishes at
//! `/api/v1/openapi.json`. The web console generates its API types from that file
//! (`web/src/lib/api-schema.ts`, `npm run api:check`), so a handler change that is not
//! re-exported here fails this test. `UPDATE_OPENAPI=1 cargo test -p marchproxy-control-plane
//! --test openapi` rewrites the file.

use std::path::PathBuf;

#[test]
fn the_committed_openapi_document_is_current() {
    let current = marchproxy_control_plane::api::openapi::document_json();
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json");
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(&path, &current).expect("write docs/openapi.json");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == current,
        "docs/openapi.json is not the document the server publishes; regenerate it with \
         `UPDATE_OPENAPI=1 cargo test -p marchproxy-control-plane --test openapi`, then \
         `cd web && npm run api:generate`"
    );
}

/// The refinements of `api/openapi.rs` find what they refine (a renamed schema or path would
/// drop one silently, and the document would stop stating a rule the server enforces).
#[test]
fn every_refinement_is_in_the_document() {
    let doc = marchproxy_control_plane::api::openapi::document();
    let schema = |name: &str| &doc["components"]["schemas"][name];
    for name in ["ServiceSpec", "RouteTableSpec", "Route", "TracingConfigSpec"] {
        assert!(schema(name)["allOf"].is_array(), "cross-field rules of {name}");
    }
    assert!(schema("UpdateUser")["anyOf"].is_array(), "a role or a password");
    for name in ["ServicePatch", "QosPolicyPatch", "RouteTablePatch", "TracingConfigPatch", "BandwidthConfigPatch"] {
        assert!(schema(name)["properties"].is_object(), "merge-patch body {name}");
        assert!(schema(name).get("required").is_none(), "{name} requires nothing");
    }
    for name in ["ServiceUpdate", "QosPolicyUpdate", "RouteTableUpdate", "TracingConfigUpdate"] {
        assert!(schema(name)["properties"].is_object(), "PUT body {name}");
    }
    let op = |path: &str, method: &str| &doc["paths"][path][method];
    let body_ref = |path: &str, method: &str| {
        op(path, method)["requestBody"]["content"]["application/json"]["schema"]["$ref"].as_str().map(String::from)
    };
    assert_eq!(body_ref("/api/v1/services/{id}", "patch").as_deref(), Some("#/components/schemas/ServicePatch"));
    assert_eq!(body_ref("/api/v1/services/{id}", "put").as_deref(), Some("#/components/schemas/ServiceUpdate"));
    let param = |path: &str, name: &str| {
        op(path, "get")["parameters"].as_array().unwrap().iter().find(|p| p["name"] == name).cloned()
    };
    let period = param("/api/v1/multi-cloud/analytics/cost", "period").expect("cost's period parameter");
    assert_eq!((period["in"].as_str(), period["explode"].as_bool()), (Some("query"), Some(true)));
    assert!(period["schema"]["not"].is_object() && period["schema"]["properties"]["days"].is_object());
    assert!(param("/api/v1/multi-cloud/analytics/cost", "days").is_none(), "folded into period");
    for path in ["/api/v1/observability/spans/search", "/api/v1/observability/latency"] {
        let names = param(path, "names").expect("the names group");
        assert!(names["schema"]["properties"]["service_name"].is_object(), "{path}");
    }
    let trace = &op("/api/v1/observability/traces/{trace_id}", "get")["parameters"][0];
    assert!(trace["schema"]["pattern"].is_string(), "{trace}");
    // Links from every create to the created object's operations.
    for (create, target) in [
        ("/api/v1/services", "get_service"),
        ("/api/v1/traffic-shaping/policies", "enable_policy"),
        ("/api/v1/multi-cloud/routes", "test_failover"),
        ("/api/v1/observability/tracing", "test_config"),
    ] {
        let links = &op(create, "post")["responses"]["201"]["links"];
        assert_eq!(links[target]["parameters"]["id"], "$response.body#/id", "{create} -> {target}: {links}");
    }
    // Shared answers and bounds.
    let get_service = op("/api/v1/services/{id}", "get");
    assert!(get_service["responses"]["401"]["content"].is_object() && get_service["responses"]["422"].is_object());
    assert_eq!(get_service["parameters"][0]["schema"]["minimum"], 1);
    let drill = op("/api/v1/multi-cloud/routes/{id}/drills/{drill_id}", "get");
    assert_eq!(drill["parameters"][1]["schema"]["minimum"], 1, "a sub-resource's id is positive too");
    // Every pattern ends so that Python's `$` cannot accept a final newline the server
    // refuses (span search `tags` takes one: each value is trimmed).
    fn patterns<'a>(v: &'a serde_json::Value, out: &mut Vec<&'a str>) {
        match v {
            serde_json::Value::Object(m) => {
                if let Some(p) = m.get("pattern").and_then(|p| p.as_str()) {
                    out.push(p);
                }
                m.values().for_each(|v| patterns(v, out));
            }
            serde_json::Value::Array(a) => a.iter().for_each(|v| patterns(v, out)),
            _ => {}
        }
    }
    let mut all = vec![];
    patterns(doc, &mut all);
    assert!(all.len() > 10, "{all:?}");
    for p in all {
        let trimmed = p.ends_with("\\s*$") || p.contains("[^,]");
        assert!(!p.ends_with('$') || p.ends_with("(?!\\n)$") || trimmed, "pattern {p:?}");
    }
}
