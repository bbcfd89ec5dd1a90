//! Span search in query-capable backends: Jaeger (`/api/traces`) and Zipkin
//! (`/api/v2/traces`), for tracing configs that carry a `query_url`. This module makes the
//! HTTP calls; `marchproxy_telemetry::decode` decodes the answers, which are mapped to the
//! embedded store's shape and marked with where they came from. A backend's failure is
//! reported, never swallowed, as a summary (a status code, "connection refused", a policy
//! refusal): any signed-in viewer reads it, so a backend's response body never is.
//! Requests obey the outbound policy (the client's) and do not follow redirects.

use std::time::Duration;

use marchproxy_model::tracing_config::{TracingBackend, TracingConfig};
use marchproxy_outbound::summary::{status as status_summary, summarize};
use marchproxy_outbound::{HttpClient, read_limited};
use marchproxy_telemetry::decode::QueriedSpan;
use marchproxy_telemetry::decode::jaeger::decode_jaeger_query;
use marchproxy_telemetry::decode::zipkin::decode_zipkin_query;
use serde_json::Value;

use crate::store::spans::{SpanFilter, StoredSpan};

/// The largest answer read from a backend.
const MAX_ANSWER_BYTES: usize = 16 * 1024 * 1024;

/// Ask one backend. `Err` summarises what went wrong.
pub async fn search(http: &HttpClient, cfg: &TracingConfig, q: &SpanFilter) -> Result<Vec<StoredSpan>, String> {
    let (start_us, end_us, tags) = (q.start_us, q.end_us, &q.tags);
    let base = cfg.spec.query_url.as_deref().ok_or("no query_url")?.trim_end_matches('/');
    let source = format!("{}:{}", cfg.spec.backend.as_str(), cfg.spec.name);
    let service = q.service.clone().unwrap_or_else(|| cfg.spec.service_name.clone());
    let limit = q.skip.saturating_add(q.limit).to_string();
    let refused = |e: marchproxy_outbound::OutboundError| format!("{source}: {e}");
    let req = match (cfg.spec.backend, &q.trace_id) {
        (TracingBackend::Zipkin, Some(id)) => http.get(&format!("{base}/api/v2/trace/{id}")).map_err(refused)?,
        (TracingBackend::Zipkin, None) => {
            let end_ms = end_us.map(|u| u / 1000).unwrap_or_else(|| chrono::Utc::now().timestamp_millis());
            let lookback = start_us.map(|s| end_ms - s / 1000).unwrap_or(3_600_000);
            let mut params = vec![
                ("serviceName", service),
                ("limit", limit),
                ("endTs", end_ms.to_string()),
                ("lookback", lookback.to_string()),
            ];
            if let Some(op) = &q.operation {
                params.push(("spanName", op.clone()));
            }
            if let Some(d) = q.min_duration_ms {
                params.push(("minDuration", ((d * 1000.0) as i64).to_string()));
            }
            if let Some(d) = q.max_duration_ms {
                params.push(("maxDuration", ((d * 1000.0) as i64).to_string()));
            }
            if !tags.is_empty() {
                params.push((
                    "annotationQuery",
                    tags.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(" and "),
                ));
            }
            http.get(with_query(&format!("{base}/api/v2/traces"), &params)?.as_str()).map_err(refused)?
        }
        (_, Some(id)) => http.get(&format!("{base}/api/traces/{id}")).map_err(refused)?,
        (_, None) => {
            let mut params = vec![("service", service), ("limit", limit)];
            if let Some(op) = &q.operation {
                params.push(("operation", op.clone()));
            }
            if let Some(s) = start_us {
                params.push(("start", s.to_string()));
            }
            if let Some(e) = end_us {
                params.push(("end", e.to_string()));
            }
            if let Some(d) = q.min_duration_ms {
                params.push(("minDuration", format!("{d}ms")));
            }
            if let Some(d) = q.max_duration_ms {
                params.push(("maxDuration", format!("{d}ms")));
            }
            if !tags.is_empty() {
                let m: serde_json::Map<String, Value> =
                    tags.iter().map(|(k, v)| (k.clone(), Value::from(v.as_str()))).collect();
                params.push(("tags", Value::Object(m).to_string()));
            }
            http.get(with_query(&format!("{base}/api/traces"), &params)?.as_str()).map_err(refused)?
        }
    };
    let resp = req.timeout(Duration::from_secs(5)).send().await.map_err(|e| format!("{source}: {}", summarize(&e)))?;
    let status = resp.status();
    if status.is_redirection() {
        return Err(format!("{source}: {} (redirects are not followed)", status_summary(status.as_u16())));
    }
    if !status.is_success() {
        return Err(format!("{source}: {}", status_summary(status.as_u16())));
    }
    let bytes = read_limited(resp, MAX_ANSWER_BYTES).await.map_err(|e| format!("{source}: {e}"))?;
    let body: Value =
        serde_json::from_slice(&bytes).map_err(|_| format!("{source}: unreadable answer (not the backend's JSON)"))?;
    let spans = match cfg.spec.backend {
        TracingBackend::Zipkin => decode_zipkin_query(&body),
        _ => decode_jaeger_query(&body),
    };
    let mut spans: Vec<StoredSpan> = spans.into_iter().map(|s| to_stored(s, &source)).collect();
    // Backends filter loosely; apply our filters exactly.
    spans.retain(|s| {
        q.has_error.is_none_or(|e| (s.status == "error") == e)
            && q.min_duration_ms.is_none_or(|d| s.duration_ms >= d)
            && q.max_duration_ms.is_none_or(|d| s.duration_ms <= d)
            && tags.iter().all(|(k, v)| s.attributes.get(k).and_then(|x| x.as_str()) == Some(v.as_str()))
    });
    Ok(spans)
}

fn with_query(base: &str, params: &[(&str, String)]) -> Result<url::Url, String> {
    let mut u = url::Url::parse(base).map_err(|e| format!("bad query_url: {e}"))?;
    u.query_pairs_mut().extend_pairs(params.iter().map(|(k, v)| (*k, v.as_str())));
    Ok(u)
}

/// The store's shape of a span a backend answered, marked with where it came from.
fn to_stored(s: QueriedSpan, source: &str) -> StoredSpan {
    StoredSpan {
        trace_id: s.trace_id,
        span_id: s.span_id,
        parent_span_id: s.parent_span_id,
        service: s.service,
        operation: s.operation,
        kind: s.kind,
        start_time: chrono::DateTime::from_timestamp_micros(s.start_unix_micros).unwrap_or_default(),
        duration_ms: s.duration_micros / 1000.0,
        status: if s.is_error { "error" } else { "ok" }.into(),
        attributes: s.attributes,
        source: source.to_string(),
    }
}
