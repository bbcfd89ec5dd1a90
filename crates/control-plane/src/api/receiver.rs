//! The embedded OTLP/HTTP trace receiver (`POST /v1/traces`, protobuf or JSON), so a
//! fresh install can see traces without Jaeger. Spans land in the bounded span store
//! through the ingest queue.
//!
//! Only a cluster's proxies post here: the request needs the cluster's proxy credential
//! (`Authorization: Bearer mpk_...`, which any OTLP exporter can send as a header; the
//! proxies send it when their tracing config points at this control plane), or the
//! short-lived ingest token of a tracing config's test. Each request is bounded
//! (`IngestLimits`: body bytes, spans, attribute bytes per span and in all) and answered
//! 413 beyond; a full ingest queue is a retryable 429.

use axum::body::{Body, Bytes};
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use http_body_util::BodyExt;
use marchproxy_telemetry::span::{AttrValue, SpanData, redact_attribute};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::error::{ApiError, ApiResult};
use crate::api::proxy_api::ProxyAuth;
use crate::config::IngestLimits;
use crate::state::AppState;
use crate::store::spans::{PreparedSpan, StoredSpan};

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

pub fn to_stored(s: &SpanData, redact: bool) -> StoredSpan {
    let mut attributes = serde_json::Map::new();
    // Resource attributes (custom tags) first; the span's own attributes win on conflict.
    for (k, v) in s.resource.attributes.iter().chain(s.attributes.iter()) {
        if k == "service.name" {
            continue;
        }
        let j = match v {
            // Whoever sent the span, secrets in URLs and captured headers are not stored
            // (unless `--ingest-redact-secrets false`).
            AttrValue::String(x) if redact => serde_json::Value::from(redact_attribute(k, x).as_ref()),
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

/// Who may post spans: a cluster's proxy credential (its API key, or the local proxy's
/// token), or a short-lived ingest token (a tracing config's test span).
pub struct IngestAuth;

impl FromRequestParts<AppState> for IngestAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        if token.is_some_and(|t| st.auth.verify_ingest(t).is_ok()) {
            return Ok(IngestAuth);
        }
        ProxyAuth::from_request_parts(parts, st).await.map(|_| IngestAuth)
    }
}

/// The body, at most `max` bytes (413 beyond, before reading it when the length is declared).
async fn read_body(headers: &HeaderMap, body: Body, max: usize) -> ApiResult<Bytes> {
    let too_large = || ApiError::PayloadTooLarge(format!("the export request is larger than {max} bytes"));
    let declared = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return Err(too_large());
    }
    match http_body_util::Limited::new(body, max).collect().await {
        Ok(b) => Ok(b.to_bytes()),
        Err(e) if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() => Err(too_large()),
        Err(e) => Err(ApiError::BadRequest(format!("cannot read the request body: {e}"))),
    }
}

/// Decoded spans in their stored form, within the per-request limits.
fn prepare(spans: &[SpanData], limits: &IngestLimits) -> ApiResult<Vec<PreparedSpan>> {
    if spans.len() > limits.max_spans {
        return Err(ApiError::PayloadTooLarge(format!(
            "{} spans in one export request; at most {} are accepted",
            spans.len(),
            limits.max_spans
        )));
    }
    let mut total = 0usize;
    let mut out = Vec::with_capacity(spans.len());
    for (i, s) in spans.iter().enumerate() {
        let p = PreparedSpan::new(to_stored(s, limits.redact_secrets));
        let bytes = p.attribute_bytes();
        if bytes > limits.max_span_attribute_bytes {
            return Err(ApiError::PayloadTooLarge(format!(
                "span {i} has {bytes} bytes of attributes (its resource's included); at most {} are accepted",
                limits.max_span_attribute_bytes
            )));
        }
        total += bytes;
        if total > limits.max_request_attribute_bytes {
            return Err(ApiError::PayloadTooLarge(format!(
                "the spans of one export request have more than {} bytes of attributes (each span's resource attributes included)",
                limits.max_request_attribute_bytes
            )));
        }
        out.push(p);
    }
    Ok(out)
}

/// OTLP/HTTP trace export (`application/x-protobuf` or `application/json`). Requires the
/// cluster's proxy API key as a bearer token.
#[utoipa::path(post, path = "/v1/traces", tag = "observability", request_body(content = Vec<u8>, content_type = "application/x-protobuf"),
    responses((status = 200, description = "accepted"), (status = 400, description = "undecodable payload"),
        (status = 401, description = "no valid cluster API key"), (status = 413, description = "too large"), (status = 415),
        (status = 429, description = "the span store is busy; retry after `Retry-After`")),
    security(("bearer" = [])))]
async fn receive(
    State(st): State<AppState>,
    _: IngestAuth,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<(StatusCode, HeaderMap, Vec<u8>)> {
    let limits = &st.config.ingest;
    let body = read_body(&headers, body, limits.max_body_bytes).await?;
    let ct =
        headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("application/x-protobuf").to_string();
    let spans = marchproxy_telemetry::encode::decode_otlp_request(&body, &ct).map_err(|e| match e {
        marchproxy_telemetry::encode::DecodeError::UnsupportedContentType(_) => ApiError::BadRequest(e.to_string()),
        other => ApiError::BadRequest(other.to_string()),
    })?;
    drop(body);
    let prepared = prepare(&spans, limits)?;
    drop(spans);
    let n = prepared.len() as u64;
    match st.ingest.submit(prepared).await {
        Ok(()) => st.metrics.spans_stored.fetch_add(n, std::sync::atomic::Ordering::Relaxed),
        Err(e) => {
            if matches!(e, crate::span_ingest::IngestError::Full) {
                st.metrics.ingest_rejected.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            return Err(e.into());
        }
    };
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
