//! Zipkin v2 JSON encoding (the body of `POST /api/v2/spans`).
//!
//! What it does: renders our spans as the Zipkin v2 span array: hex `traceId`/`id`/
//! `parentId`, `kind` SERVER/CLIENT (omitted for internal), `timestamp`/`duration` in
//! microseconds, `localEndpoint.serviceName`, string `tags` (span then resource attributes),
//! an `error` tag on failed spans, and events as `annotations`.
//!
//! What it does not know: transports, and Zipkin's other encodings (Thrift, proto3).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::span::{SpanData, SpanKind, SpanStatus};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ZSpan<'a> {
    trace_id: String,
    id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    parent_id: Option<String>,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    kind: Option<&'static str>,
    timestamp: u64,
    duration: u64,
    local_endpoint: ZEndpoint<'a>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    annotations: Vec<ZAnnotation<'a>>,
    tags: BTreeMap<&'a str, String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ZEndpoint<'a> {
    service_name: &'a str,
}

#[derive(Serialize)]
struct ZAnnotation<'a> {
    timestamp: u64,
    value: &'a str,
}

fn zspan(s: &SpanData) -> ZSpan<'_> {
    let mut tags = BTreeMap::new();
    for (k, v) in &s.resource.attributes {
        tags.insert(k.as_ref(), v.to_text().into_owned());
    }
    for (k, v) in &s.attributes {
        tags.insert(k.as_ref(), v.to_text().into_owned());
    }
    match &s.status {
        SpanStatus::Error(m) => {
            tags.insert("otel.status_code", "ERROR".into());
            tags.insert("error", if m.is_empty() { "true".into() } else { m.clone() });
        }
        SpanStatus::Ok => {
            tags.insert("otel.status_code", "OK".into());
        }
        SpanStatus::Unset => {}
    }
    ZSpan {
        trace_id: hex::encode(s.trace_id),
        id: hex::encode(s.span_id),
        parent_id: s.parent_span_id.map(hex::encode),
        name: &s.name,
        kind: match s.kind {
            SpanKind::Server => Some("SERVER"),
            SpanKind::Client => Some("CLIENT"),
            SpanKind::Internal => None,
        },
        timestamp: s.start_unix_nanos / 1000,
        // Zipkin rejects a zero duration; round sub-microsecond spans up.
        duration: (s.duration_nanos() / 1000).max(1),
        local_endpoint: ZEndpoint { service_name: &s.resource.service_name },
        annotations: s
            .events
            .iter()
            .map(|e| ZAnnotation { timestamp: e.time_unix_nano / 1000, value: &e.name })
            .collect(),
        tags,
    }
}

/// The JSON array body for Zipkin's `POST /api/v2/spans`.
pub fn encode_zipkin_json(spans: &[SpanData]) -> Vec<u8> {
    let z: Vec<ZSpan<'_>> = spans.iter().map(zspan).collect();
    serde_json::to_vec(&z).unwrap_or_else(|_| b"[]".to_vec())
}
