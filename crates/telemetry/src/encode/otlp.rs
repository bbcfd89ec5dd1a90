//! OTLP trace encoding: our spans to `ExportTraceServiceRequest` (protobuf via prost), and
//! back, for the control plane's embedded OTLP/HTTP receiver (protobuf and OTLP JSON).
//!
//! What it does not know: transports (see [`crate::exporter`]) and storage.

use std::borrow::Cow;
use std::sync::Arc;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, InstrumentationScope, KeyValue, any_value};
use opentelemetry_proto::tonic::resource::v1::Resource as ProtoResource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, Status, span, status};
use prost::Message;

use crate::span::{AttrValue, Attributes, Resource, SpanData, SpanEvent, SpanKind, SpanStatus};

/// The instrumentation scope our spans are reported under.
pub const SCOPE_NAME: &str = "marchproxy";

/// Errors decoding a received OTLP payload.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("unsupported content type `{0}` (expected application/x-protobuf or application/json)")]
    UnsupportedContentType(String),
    #[error("invalid OTLP protobuf: {0}")]
    Protobuf(#[from] prost::DecodeError),
    #[error("invalid OTLP JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("invalid span: {0}")]
    InvalidSpan(String),
}

fn any_value(v: &AttrValue) -> AnyValue {
    let value = match v {
        AttrValue::String(s) => any_value::Value::StringValue(s.to_string()),
        AttrValue::Int(i) => any_value::Value::IntValue(*i),
        AttrValue::Float(f) => any_value::Value::DoubleValue(*f),
        AttrValue::Bool(b) => any_value::Value::BoolValue(*b),
    };
    AnyValue { value: Some(value) }
}

fn key_values(attrs: &Attributes) -> Vec<KeyValue> {
    attrs
        .iter()
        .map(|(k, v)| KeyValue { key: k.to_string(), value: Some(any_value(v)), ..Default::default() })
        .collect()
}

fn proto_resource(r: &Resource) -> ProtoResource {
    let mut attributes = Vec::with_capacity(r.attributes.len() + 1);
    attributes.push(KeyValue {
        key: "service.name".into(),
        value: Some(AnyValue { value: Some(any_value::Value::StringValue(r.service_name.clone())) }),
        ..Default::default()
    });
    attributes.extend(key_values(&r.attributes).into_iter().filter(|kv| kv.key != "service.name"));
    ProtoResource { attributes, ..Default::default() }
}

fn proto_span(s: &SpanData) -> Span {
    let kind = match s.kind {
        SpanKind::Server => span::SpanKind::Server,
        SpanKind::Client => span::SpanKind::Client,
        SpanKind::Internal => span::SpanKind::Internal,
    };
    let status = match &s.status {
        SpanStatus::Unset => None,
        SpanStatus::Ok => Some(Status { code: status::StatusCode::Ok as i32, message: String::new() }),
        SpanStatus::Error(m) => Some(Status { code: status::StatusCode::Error as i32, message: m.clone() }),
    };
    Span {
        trace_id: s.trace_id.to_vec(),
        span_id: s.span_id.to_vec(),
        parent_span_id: s.parent_span_id.map(|p| p.to_vec()).unwrap_or_default(),
        // W3C sampled flag.
        flags: 1,
        name: s.name.to_string(),
        kind: kind as i32,
        start_time_unix_nano: s.start_unix_nanos,
        end_time_unix_nano: s.end_unix_nanos,
        attributes: key_values(&s.attributes),
        events: s
            .events
            .iter()
            .map(|e| span::Event {
                time_unix_nano: e.time_unix_nano,
                name: e.name.to_string(),
                attributes: key_values(&e.attributes),
                dropped_attributes_count: 0,
            })
            .collect(),
        status,
        ..Default::default()
    }
}

/// Builds the OTLP request for a batch: one `ResourceSpans` per distinct resource (spans of
/// one pipeline share one), carrying `service.name` and the resource attributes.
pub fn to_otlp_request(spans: &[SpanData]) -> ExportTraceServiceRequest {
    let mut groups: Vec<(&Arc<Resource>, Vec<Span>)> = Vec::new();
    for s in spans {
        let idx = match groups.iter().position(|(r, _)| Arc::ptr_eq(r, &s.resource) || ***r == *s.resource) {
            Some(i) => i,
            None => {
                groups.push((&s.resource, Vec::new()));
                groups.len() - 1
            }
        };
        groups[idx].1.push(proto_span(s));
    }
    ExportTraceServiceRequest {
        resource_spans: groups
            .into_iter()
            .map(|(r, spans)| ResourceSpans {
                resource: Some(proto_resource(r)),
                scope_spans: vec![ScopeSpans {
                    scope: Some(InstrumentationScope {
                        name: SCOPE_NAME.into(),
                        version: env!("CARGO_PKG_VERSION").into(),
                        ..Default::default()
                    }),
                    spans,
                    schema_url: String::new(),
                }],
                schema_url: String::new(),
            })
            .collect(),
    }
}

fn attr_value(v: &AnyValue) -> Option<AttrValue> {
    Some(match v.value.as_ref()? {
        any_value::Value::StringValue(s) => AttrValue::String(Cow::Owned(s.clone())),
        any_value::Value::BoolValue(b) => AttrValue::Bool(*b),
        any_value::Value::IntValue(i) => AttrValue::Int(*i),
        any_value::Value::DoubleValue(d) => AttrValue::Float(*d),
        any_value::Value::BytesValue(b) => AttrValue::String(Cow::Owned(hex::encode(b))),
        any_value::Value::ArrayValue(a) => {
            let items: Vec<serde_json::Value> = a.values.iter().filter_map(json_value).collect();
            AttrValue::String(Cow::Owned(serde_json::Value::Array(items).to_string()))
        }
        any_value::Value::KvlistValue(kv) => {
            let map: serde_json::Map<String, serde_json::Value> =
                kv.values.iter().filter_map(|kv| Some((kv.key.clone(), json_value(kv.value.as_ref()?)?))).collect();
            AttrValue::String(Cow::Owned(serde_json::Value::Object(map).to_string()))
        }
        any_value::Value::StringValueStrindex(_) => return None,
    })
}

fn json_value(v: &AnyValue) -> Option<serde_json::Value> {
    Some(match attr_value(v)? {
        AttrValue::String(s) => serde_json::Value::String(s.into_owned()),
        AttrValue::Int(i) => i.into(),
        AttrValue::Float(f) => f.into(),
        AttrValue::Bool(b) => b.into(),
    })
}

fn attributes(kvs: &[KeyValue]) -> Attributes {
    kvs.iter().filter_map(|kv| Some((Cow::Owned(kv.key.clone()), attr_value(kv.value.as_ref()?)?))).collect()
}

fn id<const N: usize>(bytes: &[u8], what: &str) -> Result<[u8; N], DecodeError> {
    bytes.try_into().map_err(|_| DecodeError::InvalidSpan(format!("{what} must be {N} bytes, got {}", bytes.len())))
}

/// Maps a decoded OTLP request to our span records (service name from the resource's
/// `service.name`, `"unknown_service"` when absent; other resource attributes kept).
pub fn from_otlp_request(req: &ExportTraceServiceRequest) -> Result<Vec<SpanData>, DecodeError> {
    let mut out = Vec::new();
    for rs in &req.resource_spans {
        let mut resource = Resource::new("unknown_service");
        if let Some(r) = &rs.resource {
            for (k, v) in attributes(&r.attributes) {
                if k == "service.name" {
                    resource.service_name = v.to_text().into_owned();
                } else {
                    resource.attributes.push((k, v));
                }
            }
        }
        let resource = Arc::new(resource);
        for ss in &rs.scope_spans {
            for s in &ss.spans {
                let parent_span_id =
                    if s.parent_span_id.is_empty() { None } else { Some(id::<8>(&s.parent_span_id, "parentSpanId")?) };
                let kind = match span::SpanKind::try_from(s.kind) {
                    Ok(span::SpanKind::Server | span::SpanKind::Consumer) => SpanKind::Server,
                    Ok(span::SpanKind::Client | span::SpanKind::Producer) => SpanKind::Client,
                    _ => SpanKind::Internal,
                };
                let status = match &s.status {
                    Some(st) if st.code == status::StatusCode::Error as i32 => SpanStatus::Error(st.message.clone()),
                    Some(st) if st.code == status::StatusCode::Ok as i32 => SpanStatus::Ok,
                    _ => SpanStatus::Unset,
                };
                out.push(SpanData {
                    trace_id: id::<16>(&s.trace_id, "traceId")?,
                    span_id: id::<8>(&s.span_id, "spanId")?,
                    parent_span_id,
                    name: Cow::Owned(s.name.clone()),
                    kind,
                    start_unix_nanos: s.start_time_unix_nano,
                    end_unix_nanos: s.end_time_unix_nano,
                    status,
                    attributes: attributes(&s.attributes),
                    events: s
                        .events
                        .iter()
                        .map(|e| SpanEvent {
                            name: Cow::Owned(e.name.clone()),
                            time_unix_nano: e.time_unix_nano,
                            attributes: attributes(&e.attributes),
                        })
                        .collect(),
                    resource: resource.clone(),
                });
            }
        }
    }
    Ok(out)
}

/// Decodes an OTLP/HTTP trace export body: `application/x-protobuf` (or
/// `application/protobuf`) and `application/json` (OTLP JSON: hex ids, int64 as strings or
/// numbers, enums as integers). Parameters such as `; charset=utf-8` are ignored. A gzip
/// `content-encoding` must be undone by the caller.
pub fn decode_otlp_request(body: &[u8], content_type: &str) -> Result<Vec<SpanData>, DecodeError> {
    let mime = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    let req = match mime.as_str() {
        "application/x-protobuf" | "application/protobuf" => ExportTraceServiceRequest::decode(body)?,
        "application/json" => {
            // An export request is a JSON object (serde would also take an array of its fields).
            if body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
                return Err(DecodeError::InvalidSpan("an OTLP/JSON request is a JSON object".into()));
            }
            serde_json::from_slice::<ExportTraceServiceRequest>(body)?
        }
        _ => return Err(DecodeError::UnsupportedContentType(content_type.to_owned())),
    };
    from_otlp_request(&req)
}
