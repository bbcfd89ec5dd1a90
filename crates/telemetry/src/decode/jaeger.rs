//! Jaeger query API JSON (jaeger-query's `/api/traces` and `/api/traces/{id}`):
//! `{"data": [{"traceID", "spans": [...], "processes": {"p1": {"serviceName"}}}]}`.
//!
//! What it does: one [`QueriedSpan`] per span of every trace. The service is the span's
//! process's `serviceName`; the parent is the span its `CHILD_OF` reference names
//! (`FOLLOWS_FROM` is not a parent); tags become attributes with their JSON types; the
//! `span.kind` tag gives the kind; an `error` tag that is `true` (or `"true"`) marks the
//! span failed. `startTime` and `duration` are microseconds.
//!
//! What it does not know: Jaeger's protobuf/gRPC query API, span logs and warnings.

use serde_json::Value;

use crate::decode::QueriedSpan;

/// Every span of a Jaeger query answer; anything that is not one is skipped.
pub fn decode_jaeger_query(body: &Value) -> Vec<QueriedSpan> {
    let mut out = vec![];
    for trace in body["data"].as_array().into_iter().flatten() {
        let processes = &trace["processes"];
        for s in trace["spans"].as_array().into_iter().flatten() {
            let mut attributes = serde_json::Map::new();
            for t in s["tags"].as_array().into_iter().flatten() {
                if let Some(k) = t["key"].as_str() {
                    attributes.insert(k.to_string(), t["value"].clone());
                }
            }
            let is_error = attributes.get("error").is_some_and(|v| v == &Value::Bool(true) || v == "true");
            let kind = attributes.get("span.kind").and_then(|v| v.as_str()).unwrap_or("internal").to_string();
            let parent = s["references"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|r| r["refType"] == "CHILD_OF")
                .and_then(|r| r["spanID"].as_str())
                .map(str::to_string);
            let pid = s["processID"].as_str().unwrap_or_default();
            out.push(QueriedSpan {
                trace_id: s["traceID"].as_str().unwrap_or_default().to_ascii_lowercase(),
                span_id: s["spanID"].as_str().unwrap_or_default().to_string(),
                parent_span_id: parent,
                service: processes[pid]["serviceName"].as_str().unwrap_or("unknown").to_string(),
                operation: s["operationName"].as_str().unwrap_or_default().to_string(),
                kind,
                start_unix_micros: s["startTime"].as_i64().unwrap_or(0),
                duration_micros: s["duration"].as_f64().unwrap_or(0.0),
                is_error,
                attributes,
            });
        }
    }
    out
}
