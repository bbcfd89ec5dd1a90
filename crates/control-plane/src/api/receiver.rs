//! The embedded OTLP/HTTP trace receiver (`POST /v1/traces`, protobuf or JSON), so a
//! fresh install can see traces without Jaeger. Spans land in the bounded span store.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use marchproxy_telemetry::span::{AttrValue, SpanData};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::spans::{StoredSpan, insert_spans};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(receive))
}

/// Our stored form of a decoded span.
/// Column widths of `spans.service` / `spans.operation` (VARCHAR on PostgreSQL): longer
/// names are cut, so one long span name cannot fail a whole batch on one database only.
const SERVICE_MAX_CHARS: usize = 100;
const OPERATION_MAX_CHARS: usize = 255;

/// The first `max` characters (not bytes: VARCHAR(n) counts characters).
fn clip(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((cut, _)) => s[..cut].to_string(),
        None => s.to_string(),
    }
}

pub fn to_stored(s: &SpanData) -> StoredSpan {
    let mut attributes = serde_json::Map::new();
    // Resource attributes (custom tags) first; the span's own attributes win on conflict.
    for (k, v) in s.resource.attributes.iter().chain(s.attributes.iter()) {
        if k == "service.name" {
            continue;
        }
        let j = match v {
            AttrValue::String(x) => serde_json::Value::from(x.as_ref()),
            AttrValue::Int(i) => serde_json::Value::from(*i),
            AttrValue::Float(f) => serde_json::Value::from(*f),
            AttrValue::Bool(b) => serde_json::Value::from(*b),
        };
        attributes.insert(k.to_string(), j);
    }
    let start_us = (s.start_unix_nanos / 1000) as i64;
    StoredSpan {
        trace_id: s.trace_id_hex(),
        span_id: s.span_id_hex(),
        parent_span_id: s.parent_span_id.map(hex::encode),
        service: clip(&s.resource.service_name, SERVICE_MAX_CHARS),
        operation: clip(&s.name, OPERATION_MAX_CHARS),
        kind: s.kind.as_str().to_ascii_lowercase(),
        start_time: chrono::DateTime::from_timestamp_micros(start_us).unwrap_or_default(),
        duration_ms: s.duration_nanos() as f64 / 1e6,
        status: if s.status.is_error() { "error" } else { "ok" }.into(),
        attributes,
        source: "local".into(),
    }
}

/// OTLP/HTTP trace export (`application/x-protobuf` or `application/json`).
#[utoipa::path(post, path = "/v1/traces", tag = "observability", request_body(content = Vec<u8>, content_type = "application/x-protobuf"),
    responses((status = 200, description = "accepted"), (status = 400, description = "undecodable payload"), (status = 415)))]
async fn receive(
    State(st): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, HeaderMap, Vec<u8>)> {
    let ct =
        headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("application/x-protobuf").to_string();
    let spans = marchproxy_telemetry::encode::decode_otlp_request(&body, &ct).map_err(|e| match e {
        marchproxy_telemetry::encode::DecodeError::UnsupportedContentType(_) => ApiError::BadRequest(e.to_string()),
        other => ApiError::BadRequest(other.to_string()),
    })?;
    let stored: Vec<StoredSpan> = spans.iter().map(to_stored).collect();
    insert_spans(&st.db, &stored).await?;
    // An empty ExportTraceServiceResponse, in the request's encoding.
    let mut h = HeaderMap::new();
    if ct.starts_with("application/json") {
        h.insert(header::CONTENT_TYPE, "application/json".parse().expect("static"));
        Ok((StatusCode::OK, h, b"{}".to_vec()))
    } else {
        h.insert(header::CONTENT_TYPE, "application/x-protobuf".parse().expect("static"));
        Ok((StatusCode::OK, h, Vec::new()))
    }
}
