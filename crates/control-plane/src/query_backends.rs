//! Span search in query-capable backends: Jaeger (`/api/traces`) and Zipkin
//! (`/api/v2/traces`), for tracing configs that carry a `query_url`. Results are mapped to
//! the embedded store's shape and marked with where they came from; a backend's failure
//! is reported, never swallowed.

use std::time::Duration;

use marchproxy_model::tracing_config::{TracingBackend, TracingConfig};
use serde_json::Value;

use crate::store::spans::{SpanFilter, StoredSpan};

/// Ask one backend. `Err` carries the backend's error message.
pub async fn search(http: &reqwest::Client, cfg: &TracingConfig, q: &SpanFilter) -> Result<Vec<StoredSpan>, String> {
    let (start_us, end_us, tags) = (q.start_us, q.end_us, &q.tags);
    let base = cfg.spec.query_url.as_deref().ok_or("no query_url")?.trim_end_matches('/');
    let source = format!("{}:{}", cfg.spec.backend.as_str(), cfg.spec.name);
    let service = q.service.clone().unwrap_or_else(|| cfg.spec.service_name.clone());
    let limit = q.skip.saturating_add(q.limit).to_string();
    let req = match (cfg.spec.backend, &q.trace_id) {
        (TracingBackend::Zipkin, Some(id)) => http.get(format!("{base}/api/v2/trace/{id}")),
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
            http.get(with_query(&format!("{base}/api/v2/traces"), &params)?)
        }
        (_, Some(id)) => http.get(format!("{base}/api/traces/{id}")),
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
            http.get(with_query(&format!("{base}/api/traces"), &params)?)
        }
    };
    let resp = req.timeout(Duration::from_secs(5)).send().await.map_err(|e| format!("{source}: {e}"))?;
    let status = resp.status();
    let body: Value = if status.is_success() {
        resp.json().await.map_err(|e| format!("{source}: unreadable answer: {e}"))?
    } else {
        let text = resp.text().await.unwrap_or_default();
        return Err(format!("{source}: HTTP {}: {}", status.as_u16(), text.chars().take(200).collect::<String>()));
    };
    let mut spans = match cfg.spec.backend {
        TracingBackend::Zipkin => from_zipkin(&body, &source),
        _ => from_jaeger(&body, &source),
    };
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
    let mut u = url::Url::parse(base).map_err(|e| format!("bad query_url {base}: {e}"))?;
    u.query_pairs_mut().extend_pairs(params.iter().map(|(k, v)| (*k, v.as_str())));
    Ok(u)
}

fn from_jaeger(body: &Value, source: &str) -> Vec<StoredSpan> {
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
            out.push(StoredSpan {
                trace_id: s["traceID"].as_str().unwrap_or_default().to_ascii_lowercase(),
                span_id: s["spanID"].as_str().unwrap_or_default().to_string(),
                parent_span_id: parent,
                service: processes[pid]["serviceName"].as_str().unwrap_or("unknown").to_string(),
                operation: s["operationName"].as_str().unwrap_or_default().to_string(),
                kind,
                start_time: chrono::DateTime::from_timestamp_micros(s["startTime"].as_i64().unwrap_or(0))
                    .unwrap_or_default(),
                duration_ms: s["duration"].as_f64().unwrap_or(0.0) / 1000.0,
                status: if is_error { "error" } else { "ok" }.into(),
                attributes,
                source: source.to_string(),
            });
        }
    }
    out
}

fn from_zipkin(body: &Value, source: &str) -> Vec<StoredSpan> {
    // `/api/v2/traces` answers a list of traces; `/api/v2/trace/{id}` one trace.
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
            out.push(StoredSpan {
                trace_id: s["traceId"].as_str().unwrap_or_default().to_ascii_lowercase(),
                span_id: s["id"].as_str().unwrap_or_default().to_string(),
                parent_span_id: s["parentId"].as_str().map(str::to_string),
                service: s["localEndpoint"]["serviceName"].as_str().unwrap_or("unknown").to_string(),
                operation: s["name"].as_str().unwrap_or_default().to_string(),
                kind: s["kind"].as_str().unwrap_or("internal").to_ascii_lowercase(),
                start_time: chrono::DateTime::from_timestamp_micros(s["timestamp"].as_i64().unwrap_or(0))
                    .unwrap_or_default(),
                duration_ms: s["duration"].as_f64().unwrap_or(0.0) / 1000.0,
                status: if is_error { "error" } else { "ok" }.into(),
                attributes,
                source: source.to_string(),
            });
        }
    }
    out
}
