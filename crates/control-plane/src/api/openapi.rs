//! The published OpenAPI document (`/api/v1/openapi.json`, `docs/openapi.json`).
//!
//! utoipa generates it from the handlers' annotations and the model's `#[schema]` field
//! constraints. This module adds what those annotations cannot say, so that the document
//! states every rule the server enforces (a schema-driven client or fuzzer whose data follows
//! the document gets it accepted; scripts/schemathesis checks that):
//!
//! - conventions every operation shares: `401` where a credential is required, `403` on
//!   writes (admin role), `409` on writes of named resources, `422` with the field list
//!   wherever a path, query or body is read, error bodies' schemas, `{id}` path parameters
//!   as positive 64-bit integers (the [`PathId`] extractor), unsigned integers' real range;
//! - the model's cross-field rules (`validate()`): `if`/`then`, `contains`, `not`;
//! - parameters that exclude each other, folded into one exploded object parameter whose
//!   schema says so (the query string stays the same), and parameters' formats;
//! - `PATCH` bodies (`*Patch`, RFC 7396 merge patches) and `PUT` bodies (`*Update`, each
//!   field replaces the stored one): every field optional, `null` clears an optional one;
//! - links: the id a create returns feeds every operation on that resource; a drill's 202
//!   feeds its record.
//!
//! Each refinement names the schema or path it refines; tests/openapi.rs checks that every
//! one of them is in the document, so a rename cannot drop one silently.
//!
//! [`PathId`]: crate::api::extract::PathId

use std::sync::OnceLock;

use serde_json::{Map, Value, json};

/// The document, built once.
pub fn document() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| {
        let (_, doc) = crate::api::router();
        let mut doc = serde_json::to_value(doc).expect("the OpenAPI document serialises");
        refine(&mut doc);
        doc
    })
}

/// The document as served and committed (pretty JSON, trailing newline).
pub fn document_json() -> String {
    let mut s = serde_json::to_string_pretty(document()).expect("JSON serialises");
    s.push('\n');
    s
}

fn refine(doc: &mut Value) {
    unsigned_integers(doc);
    add_error_schemas(doc);
    cross_field_rules(doc);
    patch_bodies(doc);
    parameters(doc);
    operation_conventions(doc);
    links(doc);
}

/// utoipa describes `u32` as `int32` from 0 (so 2^31 and above would be invalid) and `u64`
/// as `int64` from 0; the server takes the whole unsigned range. (Fields with their own
/// bounds keep them.)
fn unsigned_integers(v: &mut Value) {
    match v {
        Value::Object(m) => {
            let unsigned = m.get("minimum").and_then(Value::as_f64) == Some(0.0);
            let max = match m.get("format").and_then(Value::as_str) {
                Some("int32") if unsigned => Some(u32::MAX as u64),
                Some("int64") if unsigned => Some(u64::MAX),
                _ => None,
            };
            if let Some(max) = max {
                m.remove("format");
                m.entry("maximum").or_insert(json!(max));
            }
            m.values_mut().for_each(unsigned_integers);
        }
        Value::Array(a) => a.iter_mut().for_each(unsigned_integers),
        _ => {}
    }
}

/// Query and path parameters whose rules the derive cannot state.
fn parameters(doc: &mut Value) {
    let date_or_time =
        json!({"anyOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}]});
    let time_or_epoch_ms = json!({"anyOf": [{"type": "string", "format": "date-time"}, {"type": "string", "pattern": "^\\s*-?[0-9]{1,18}\\s*$"}]});
    let blank = json!({"type": "string", "pattern": "^\\s*$"});
    let with_blank = |s: &Value| {
        let mut s = s.clone();
        s["anyOf"].as_array_mut().expect("anyOf").push(blank.clone());
        s
    };
    let tags = json!({"anyOf": [{"type": "string", "pattern": "^[^,]*[:=][^,]*(?:,[^,]*[:=][^,]*)*$"}]});
    let rules = [
        ("/api/v1/multi-cloud/analytics/cost", "start", &date_or_time),
        ("/api/v1/multi-cloud/analytics/cost", "end", &date_or_time),
        ("/api/v1/observability/spans/search", "start", &with_blank(&time_or_epoch_ms)),
        ("/api/v1/observability/spans/search", "end", &with_blank(&time_or_epoch_ms)),
        ("/api/v1/observability/spans/search", "tags", &with_blank(&tags)),
        (
            "/api/v1/observability/traces/{trace_id}",
            "trace_id",
            &json!({"type": "string", "pattern": "^[0-9A-Fa-f]{32}(?!\\n)$"}),
        ),
    ];
    for (path, name, schema) in rules {
        for op in doc["paths"].get_mut(path).and_then(Value::as_object_mut).into_iter().flat_map(|m| m.values_mut()) {
            for p in op["parameters"].as_array_mut().into_iter().flatten() {
                if p["name"] == name {
                    p["schema"] = schema.clone();
                }
            }
        }
    }
    // Parameters that exclude each other: one object parameter (form style, exploded, so the
    // query string is the same) whose schema says which may not come together.
    let alias_pairs: &[(&str, &str)] = &[("service", "service_name"), ("operation", "operation_name")];
    for path in ["/api/v1/observability/spans/search", "/api/v1/observability/latency"] {
        exclusive_group(
            doc,
            path,
            "names",
            alias_pairs,
            &[
                ("service_name", "The original MarchProxy client's name for `service`."),
                ("operation_name", "The original MarchProxy client's name for `operation`."),
            ],
        );
    }
    exclusive_group(doc, "/api/v1/multi-cloud/analytics/cost", "period", &[("days", "start"), ("days", "end")], &[]);
    // No body is a dry run of the current primary (the original client's call).
    if let Some(body) = doc.pointer_mut("/paths/~1api~1v1~1multi-cloud~1routes~1{id}~1test-failover/post/requestBody") {
        body["required"] = json!(false);
    }
    // The OTLP receiver: protobuf or OTLP/JSON; an empty body is an empty (valid) export.
    if let Some(body) = doc.pointer_mut("/paths/~1v1~1traces/post/requestBody") {
        body["required"] = json!(false);
        body["content"]["application/json"] =
            json!({"schema": {"type": "object", "description": "OTLP/JSON ExportTraceServiceRequest"}});
    }
}

/// Fold the query parameters named in `pairs` into one exploded object parameter `group`
/// whose schema forbids each pair together; `aliases` adds properties (string-valued) that
/// the handler accepts under a second name.
fn exclusive_group(doc: &mut Value, path: &str, group: &str, pairs: &[(&str, &str)], aliases: &[(&str, &str)]) {
    let Some(params) = doc.pointer_mut(&format!("/paths/{}/get/parameters", path.replace('/', "~1"))) else { return };
    let params = params.as_array_mut().expect("parameters");
    let members: Vec<&str> = pairs.iter().flat_map(|(a, b)| [*a, *b]).collect();
    let mut props = Map::new();
    params.retain(|p| {
        let name = p["name"].as_str().unwrap_or_default();
        if p["in"] != "query" || !members.contains(&name) {
            return true;
        }
        let mut schema = p["schema"].clone();
        if let Some(d) = p.get("description") {
            schema["description"] = d.clone();
        }
        props.insert(name.to_string(), schema);
        false
    });
    for (name, description) in aliases {
        props.insert((*name).to_string(), json!({"type": "string", "description": description}));
    }
    let exclusions: Vec<Value> = pairs.iter().map(|(a, b)| json!({"required": [a, b]})).collect();
    let names: Vec<String> = pairs.iter().map(|(a, b)| format!("`{a}` and `{b}`")).collect();
    params.push(json!({
        "name": group, "in": "query", "style": "form", "explode": true, "required": false,
        "description": format!("Query parameters; {} exclude each other.", names.join(", ")),
        "schema": {"type": "object", "properties": props, "not": {"anyOf": exclusions}}
    }));
}

fn schemas(doc: &mut Value) -> &mut Map<String, Value> {
    doc.pointer_mut("/components/schemas").and_then(Value::as_object_mut).expect("components.schemas")
}

fn add_error_schemas(doc: &mut Value) {
    let s = schemas(doc);
    s.insert(
        "FieldError".into(),
        json!({
            "type": "object", "required": ["loc", "msg", "type"],
            "properties": {
                "loc": {"type": "array", "items": {"type": ["string", "integer"]},
                        "description": "Where: `body`, `query` or `path`, then the field's path."},
                "msg": {"type": "string"},
                "type": {"type": "string"}
            }
        }),
    );
    s.insert(
        "ValidationError".into(),
        json!({
            "type": "object", "required": ["detail"],
            "description": "Every invalid field at once (FastAPI's shape).",
            "properties": {"detail": {"type": "array", "items": {"$ref": "#/components/schemas/FieldError"}}}
        }),
    );
    s.insert(
        "Error".into(),
        json!({
            "type": "object", "required": ["detail"],
            "description": "`detail` is a message; a license refusal (403 on an Enterprise feature) \
                carries an object with `error`, `feature` and upgrade information instead, so a \
                role refusal (a plain string) and a license refusal can be told apart. A 409 for \
                input that refers to a missing object (or one of another cluster) lists the \
                fields, as a 422 does.",
            "properties": {"detail": {"anyOf": [
                {"type": "string"}, {"type": "object"},
                {"type": "array", "items": {"$ref": "#/components/schemas/FieldError"}}
            ]}}
        }),
    );
}

/// Rules of the model's `validate()` that involve more than one field.
fn cross_field_rules(doc: &mut Value) {
    let s = schemas(doc);
    if let Some(u) = s.get_mut("UpdateUser") {
        // A role, a password, or both.
        u["anyOf"] = json!([
            {"required": ["role"], "properties": {"role": {"$ref": "#/components/schemas/Role"}}},
            {"required": ["password"], "properties": {"password": {"type": "string"}}}
        ]);
    }
    if let Some(svc) = s.get_mut("ServiceSpec") {
        // tcp needs listen_port; http(s) without a listen port needs a hostname.
        svc["allOf"] = json!([
            {"if": {"properties": {"protocol": {"const": "tcp"}}},
             "then": {"required": ["listen_port"], "properties": {"listen_port": {"type": "integer"}}}},
            {"if": {"properties": {"protocol": {"enum": ["http", "https"]}},
                    "not": {"required": ["listen_port"], "properties": {"listen_port": {"type": "integer"}}}},
             "then": {"required": ["hostnames"], "properties": {"hostnames": {"minItems": 1}}}}
        ]);
    }
    if let Some(rt) = s.get_mut("RouteTableSpec") {
        rt["allOf"] = json!([
            // The cost algorithm needs a price on every route.
            {"if": {"properties": {"algorithm": {"const": "cost"}}},
             "then": {"properties": {"routes": {"items": {"required": ["cost_per_gb"],
                 "properties": {"cost_per_gb": {"type": "number"}}}}}}},
            // Identical routes are duplicate endpoints.
            {"properties": {"routes": {"uniqueItems": true}}},
            // At least one route is active (is_active defaults to true).
            {"properties": {"routes": {"contains": {"not": {"required": ["is_active"],
                "properties": {"is_active": {"const": false}}}}}}}
        ]);
    }
    if let Some(route) = s.get_mut("Route") {
        // Latitude and longitude go together; grpc(s) endpoints cannot be http1, tcp ones
        // (host:port or tcp://) take no upstream_protocol.
        let both = |a: &str, b: &str| {
            json!({"if": {"required": [a], "properties": {a: {"type": "number"}}},
                   "then": {"required": [b], "properties": {b: {"type": "number"}}}})
        };
        route["allOf"] = json!([
            both("latitude", "longitude"),
            both("longitude", "latitude"),
            {"if": {"required": ["endpoint"], "properties": {"endpoint": {"pattern": "^(?:grpc|grpcs)://"}}},
             "then": {"properties": {"upstream_protocol": {"enum": ["http2", null]}}}},
            {"if": {"required": ["endpoint"], "properties": {"endpoint": {"not": {"pattern": "^(?:https?|grpcs?)://"}}}},
             "then": {"properties": {"upstream_protocol": {"type": "null"}}}}
        ]);
    }
    if let Some(tc) = s.get_mut("TracingConfigSpec") {
        tc["allOf"] = json!([
            // Zipkin takes Zipkin v2 JSON over HTTP; thrift is Jaeger's.
            {"if": {"properties": {"backend": {"const": "zipkin"}}},
             "then": {"properties": {"exporter": {"const": "http"}}}},
            {"if": {"properties": {"backend": {"const": "otlp"}}},
             "then": {"properties": {"exporter": {"enum": ["grpc", "http"]}}}},
            // HTTP exporters need an http(s) URL.
            {"if": {"properties": {"exporter": {"enum": ["http", "thrift"]}}},
             "then": {"properties": {"endpoint": {"pattern": "^https?://"}}}},
            // rate_limit needs its ceiling.
            {"if": {"properties": {"sampling_strategy": {"const": "rate_limit"}}},
             "then": {"required": ["max_traces_per_second"],
                      "properties": {"max_traces_per_second": {"type": "integer"}}}}
        ]);
    }
}

/// `PATCH` takes a merge patch of the resource (`{Name}Patch`), `PUT` a partial update
/// whose fields replace the stored ones whole (`{Name}Update`): the `*Spec` schema with
/// nothing required, `null` allowed where the field is optional (it clears it).
fn patch_bodies(doc: &mut Value) {
    let mut patches = Vec::new();
    for (path, ops) in doc["paths"].as_object().expect("paths") {
        let Some(op) = ops.get("patch") else { continue };
        let Some(r) = op.pointer("/requestBody/content/application~1json/schema/$ref").and_then(Value::as_str) else {
            continue;
        };
        let spec = r.trim_start_matches("#/components/schemas/").to_string();
        if !spec.ends_with("Spec") {
            continue; // not a resource's own body (e.g. UpdateUser)
        }
        for method in ["patch", "put"] {
            if ops.get(method).is_some() {
                patches.push((path.clone(), method, spec.clone()));
            }
        }
    }
    for (path, method, spec) in patches {
        let name = patch_schema(doc, &spec, method == "patch");
        let body = &mut doc["paths"][&path][method]["requestBody"]["content"];
        if let Some(m) = body.as_object_mut() {
            let schema = json!({"$ref": format!("#/components/schemas/{name}")});
            m.clear();
            m.insert("application/merge-patch+json".into(), json!({"schema": schema.clone()}));
            m.insert("application/json".into(), json!({"schema": schema}));
        }
    }
}

/// The update body of component `name`: nothing required, `null` allowed (it clears) where
/// the field is optional. `deep` (`{Name}Patch`, a merge patch): nested objects are patched
/// the same way, field by field; otherwise (`{Name}Update`) a nested object sent replaces
/// the stored one and is whole. Arrays are replaced whole either way.
fn patch_schema(doc: &mut Value, name: &str, deep: bool) -> String {
    let patch = format!("{}{}", name.trim_end_matches("Spec"), if deep { "Patch" } else { "Update" });
    let Some(full) = schemas(doc).get(name).cloned() else { return name.to_string() };
    if schemas(doc).contains_key(&patch) {
        return patch;
    }
    schemas(doc).insert(patch.clone(), json!({})); // placeholder against cycles
    let required: Vec<&str> = full["required"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
    let mut props = Map::new();
    for (k, v) in full["properties"].as_object().into_iter().flatten() {
        let nested = v["$ref"].as_str().map(|r| r.trim_start_matches("#/components/schemas/").to_string());
        let mut v = match nested {
            Some(n) if deep && schemas(doc).get(&n).is_some_and(|s| s.get("properties").is_some()) => {
                json!({"$ref": format!("#/components/schemas/{}", patch_schema(doc, &n, true))})
            }
            _ => v.clone(),
        };
        if !required.contains(&k.as_str()) {
            v = json!({"anyOf": [v, {"type": "null"}]});
        }
        props.insert(k.clone(), v);
    }
    let how = if deep {
        "A merge patch (RFC 7396): nested objects merge field by field"
    } else {
        "A partial update: each field sent replaces the stored one whole"
    };
    let mut schema = json!({
        "type": "object",
        "description": format!("{how} of {name}; fields not sent keep their values, `null` clears an optional \
            field; the result must be a valid {name}."),
        "properties": props,
    });
    if let Some(d) = full.get("additionalProperties") {
        schema["additionalProperties"] = d.clone();
    }
    schemas(doc).insert(patch.clone(), schema);
    patch
}

fn operation_conventions(doc: &mut Value) {
    // Schemas of resources with a unique name.
    let names: Vec<String> = schemas(doc)
        .iter()
        .filter(|(_, s)| s.pointer("/properties/name").is_some() || s.pointer("/properties/username").is_some())
        .map(|(n, _)| n.clone())
        .collect();
    let paths = doc["paths"].as_object_mut().expect("paths");
    for (path, ops) in paths.iter_mut() {
        for (method, op) in ops.as_object_mut().expect("path item").iter_mut() {
            let secured = op.get("security").is_some_and(|s| s.as_array().is_some_and(|a| !a.is_empty()));
            let reads_input = op.get("requestBody").is_some()
                || op.get("parameters").and_then(Value::as_array).is_some_and(|p| !p.is_empty());
            if let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) {
                for p in params.iter_mut() {
                    // `id`, and integer ids of sub-resources (`drill_id`; `trace_id` is a string).
                    let id = p["name"] == "id"
                        || p["name"].as_str().is_some_and(|n| n.ends_with("_id")) && p["schema"]["type"] == "integer";
                    if p["in"] == "path" && id {
                        p["schema"] = json!({"type": "integer", "format": "int64", "minimum": 1});
                    }
                }
            }
            let op_names_resource = ["post", "put", "patch"].contains(&method.as_str())
                && op
                    .pointer("/requestBody/content/application~1json/schema/$ref")
                    .and_then(Value::as_str)
                    .is_some_and(|r| names.iter().any(|n| r.ends_with(&format!("/{n}"))));
            let responses = op["responses"].as_object_mut().expect("responses");
            let error = json!({"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}});
            let mut add = |code: &str, description: &str, content: &Value| {
                let r = responses.entry(code.to_string()).or_insert_with(|| json!({"description": description}));
                if r.get("content").is_none() {
                    r["content"] = content.clone();
                }
            };
            if secured {
                add("401", "missing, invalid, expired or revoked credentials", &error);
            }
            let write = method != "get" && !path.starts_with("/api/v1/auth/") && !path.starts_with("/api/v1/proxy/");
            if secured && write && path.starts_with("/api/v1/") {
                add("403", "admin role required (`detail` is a string)", &error);
            }
            if write && op_names_resource {
                add(
                    "409",
                    "conflict: the name is taken, the object is in use, or the input refers to an object that does not exist (or belongs to another cluster)",
                    &error,
                );
            }
            if reads_input && path != "/v1/traces" {
                add(
                    "422",
                    "invalid input: `detail` lists every invalid field",
                    &json!({"application/json": {"schema": {"$ref": "#/components/schemas/ValidationError"}}}),
                );
            }
            for (code, r) in responses.iter_mut() {
                if (code.starts_with('4') || code.starts_with('5')) && r.get("content").is_none() {
                    r["content"] = error.clone();
                }
            }
        }
    }
}

/// The id a create answers with feeds every operation on the created resource.
fn links(doc: &mut Value) {
    let paths = doc["paths"].as_object().expect("paths").clone();
    for (collection, ops) in &paths {
        let Some(create) = ops.get("post") else { continue };
        if create.pointer("/responses/201").is_none() {
            continue;
        }
        let item = format!("{collection}/{{id}}");
        let mut links = Map::new();
        for (path, ops) in &paths {
            // Operations on the resource, not on its own sub-resources (they need their ids).
            if (path != &item && !path.starts_with(&format!("{item}/"))) || path[item.len()..].contains('{') {
                continue;
            }
            for op in ops.as_object().expect("path item").values() {
                let Some(id) = op["operationId"].as_str() else { continue };
                links.insert(
                    id.to_string(),
                    json!({"operationId": id, "parameters": {"id": "$response.body#/id"},
                           "description": format!("the created object's `id` as `{{id}}` of {path}")}),
                );
            }
        }
        if !links.is_empty() {
            doc["paths"][collection]["post"]["responses"]["201"]["links"] = Value::Object(links);
        }
    }
    // A live drill answered with 202 is followed at its record.
    let accepted = &mut doc["paths"]["/api/v1/multi-cloud/routes/{id}/test-failover"]["post"]["responses"]["202"];
    if accepted.is_object() {
        accepted["links"] = json!({"get_drill": {"operationId": "get_drill",
            "parameters": {"id": "$request.path.id", "drill_id": "$response.body#/id"},
            "description": "the running drill's record"}});
    }
}
