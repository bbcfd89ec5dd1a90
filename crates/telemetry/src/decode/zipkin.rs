//! Zipkin v2 query API JSON: `/api/v2/traces` answers a list of traces (each a list of
//! spans), `/api/v2/trace/{id}` one trace.
//!
//! What it does: one [`QueriedSpan`] per span. The service is `localEndpoint.serviceName`;
//! the kind is `kind` lowercased (`internal` when absent); `tags` (all strings) become
//! attributes; an `error` tag, whatever its value, marks the span failed. `timestamp` and
//! `duration` are microseconds.
//!
//! What it does not know: annotations, remote endpoints, and Zipkin's Thrift/proto3
//! encodings.

use serde_json::Value;

use crate::decode::QueriedSpan;

/// Every span of a Zipkin query answer (a list of traces, or one trace); anything that is
/// not one is skipped.
pub fn decode_zipkin_query(body: &Value) -> Vec<QueriedSpan> {
    let traces: Vec<&Value> = match body.as_array() {
        Some(a) if a.first().is_some_and(|x| x.is_array()) => a.iter().collect(),
        Some(_) => vec![body],
        None => vec![],
    };
    let mut out = vec![];
    for t in traces {
        for s in t.as_array().into_iter().flatten() {
            let attributes: serde_json::Map<String, Value> = s["tags"].as_object().cloned().unwrap_or_default();
            let is_error = attributes.contains_key("error");
            out.push(QueriedSpan {
                trace_id: s["traceId"].as_str().unwrap_or_default().to_ascii_lowercase(),
                span_id: s["id"].as_str().unwrap_or_default().to_string(),
                parent_span_id: s["parentId"].as_str().map(str::to_string),
                service: s["localEndpoint"]["serviceName"].as_str().unwrap_or("unknown").to_string(),
                operation: s["name"].as_str().unwrap_or_default().to_string(),
                kind: s["kind"].as_str().unwrap_or("internal").to_ascii_lowercase(),
                start_unix_micros: s["timestamp"].as_i64().unwrap_or(0),
                duration_micros: s["duration"].as_f64().unwrap_or(0.0),
                is_error,
                attributes,
            });
        }
    }
    out
}
