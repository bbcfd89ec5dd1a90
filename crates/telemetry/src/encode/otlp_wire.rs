//! OTLP/HTTP protobuf bytes written straight from our spans, without building the prost
//! message tree first: the tree costs a `String` per attribute key and value, and as many
//! frees, which made encoding the most expensive part of a traced request. The bytes
//! decode to exactly what [`super::otlp::to_otlp_request`] builds (tested below).
//!
//! Field numbers follow opentelemetry-proto's `trace/v1`, `common/v1` and `resource/v1`.
//! Every nested message is length-prefixed, so each has a `*_len` function computing its
//! encoded size and a writer; proto3 defaults (empty strings, zero numbers) are left out as
//! prost leaves them out, oneof values are always written.

use std::sync::Arc;

use super::otlp::SCOPE_NAME;
use crate::span::{AttrValue, Attributes, Resource, SpanData, SpanEvent, SpanKind, SpanStatus};

const VARINT: u32 = 0;
const FIXED64: u32 = 1;
const LEN: u32 = 2;
const FIXED32: u32 = 5;
const SCOPE_VERSION: &str = env!("CARGO_PKG_VERSION");

fn varint_len(v: u64) -> usize {
    (64 - (v | 1).leading_zeros() as usize).div_ceil(7)
}

fn put_varint(b: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        b.push(v as u8 | 0x80);
        v >>= 7;
    }
    b.push(v as u8);
}

fn tag_len(field: u32) -> usize {
    varint_len(u64::from(field << 3))
}

fn put_tag(b: &mut Vec<u8>, field: u32, wire: u32) {
    put_varint(b, u64::from(field << 3 | wire));
}

/// A length-delimited field of `n` content bytes, whole.
fn field_len(field: u32, n: usize) -> usize {
    tag_len(field) + varint_len(n as u64) + n
}

fn put_len(b: &mut Vec<u8>, field: u32, n: usize) {
    put_tag(b, field, LEN);
    put_varint(b, n as u64);
}

/// A string or bytes field, left out when empty.
fn str_len(field: u32, s: &[u8]) -> usize {
    if s.is_empty() { 0 } else { field_len(field, s.len()) }
}

fn put_str(b: &mut Vec<u8>, field: u32, s: &[u8]) {
    if !s.is_empty() {
        put_len(b, field, s.len());
        b.extend_from_slice(s);
    }
}

fn put_fixed64(b: &mut Vec<u8>, field: u32, v: u64) {
    if v != 0 {
        put_tag(b, field, FIXED64);
        b.extend_from_slice(&v.to_le_bytes());
    }
}

fn fixed64_len(field: u32, v: u64) -> usize {
    if v == 0 { 0 } else { tag_len(field) + 8 }
}

// --- AnyValue / KeyValue

fn any_len(v: &AttrValue) -> usize {
    match v {
        AttrValue::String(s) => field_len(1, s.len()),
        AttrValue::Bool(_) => tag_len(2) + 1,
        AttrValue::Int(i) => tag_len(3) + varint_len(*i as u64),
        AttrValue::Float(_) => tag_len(4) + 8,
    }
}

fn put_any(b: &mut Vec<u8>, v: &AttrValue) {
    match v {
        AttrValue::String(s) => {
            put_len(b, 1, s.len());
            b.extend_from_slice(s.as_bytes());
        }
        AttrValue::Bool(x) => {
            put_tag(b, 2, VARINT);
            b.push(u8::from(*x));
        }
        AttrValue::Int(i) => {
            put_tag(b, 3, VARINT);
            put_varint(b, *i as u64);
        }
        AttrValue::Float(f) => {
            put_tag(b, 4, FIXED64);
            b.extend_from_slice(&f.to_le_bytes());
        }
    }
}

fn kv_len(k: &str, v: &AttrValue) -> usize {
    str_len(1, k.as_bytes()) + field_len(2, any_len(v))
}

fn put_kv(b: &mut Vec<u8>, field: u32, k: &str, v: &AttrValue) {
    put_len(b, field, kv_len(k, v));
    put_str(b, 1, k.as_bytes());
    put_len(b, 2, any_len(v));
    put_any(b, v);
}

fn attrs_len(field: u32, attrs: &Attributes) -> usize {
    attrs.iter().map(|(k, v)| field_len(field, kv_len(k, v))).sum()
}

fn put_attrs(b: &mut Vec<u8>, field: u32, attrs: &Attributes) {
    for (k, v) in attrs {
        put_kv(b, field, k, v);
    }
}

// --- Resource and scope

/// `service.name` first, then the resource's own attributes but a second `service.name`.
fn resource_attrs(r: &Resource) -> impl Iterator<Item = (&str, AttrValue)> {
    std::iter::once(("service.name", AttrValue::String(r.service_name.clone().into())))
        .chain(r.attributes.iter().filter(|(k, _)| k != "service.name").map(|(k, v)| (k.as_ref(), v.clone())))
}

fn resource_len(r: &Resource) -> usize {
    resource_attrs(r).map(|(k, v)| field_len(1, kv_len(k, &v))).sum()
}

fn put_resource(b: &mut Vec<u8>, r: &Resource) {
    for (k, v) in resource_attrs(r) {
        put_kv(b, 1, k, &v);
    }
}

fn scope_len() -> usize {
    str_len(1, SCOPE_NAME.as_bytes()) + str_len(2, SCOPE_VERSION.as_bytes())
}

// --- Span

fn event_len(e: &SpanEvent) -> usize {
    fixed64_len(1, e.time_unix_nano) + str_len(2, e.name.as_bytes()) + attrs_len(3, &e.attributes)
}

/// The status message and code (`Ok` = 1, `Error` = 2), if any.
fn status(s: &SpanStatus) -> Option<(&str, u64)> {
    match s {
        SpanStatus::Unset => None,
        SpanStatus::Ok => Some(("", 1)),
        SpanStatus::Error(m) => Some((m.as_str(), 2)),
    }
}

fn status_len(message: &str, code: u64) -> usize {
    str_len(2, message.as_bytes()) + tag_len(3) + varint_len(code)
}

fn kind(k: SpanKind) -> u64 {
    match k {
        SpanKind::Internal => 1,
        SpanKind::Server => 2,
        SpanKind::Client => 3,
    }
}

fn span_len(s: &SpanData) -> usize {
    field_len(1, 16)
        + field_len(2, 8)
        + s.parent_span_id.map_or(0, |_| field_len(4, 8))
        + str_len(5, s.name.as_bytes())
        + tag_len(6)
        + varint_len(kind(s.kind))
        + fixed64_len(7, s.start_unix_nanos)
        + fixed64_len(8, s.end_unix_nanos)
        + attrs_len(9, &s.attributes)
        + s.events.iter().map(|e| field_len(11, event_len(e))).sum::<usize>()
        + status(&s.status).map_or(0, |(m, c)| field_len(15, status_len(m, c)))
        + tag_len(16)
        + 4
}

fn put_span(b: &mut Vec<u8>, s: &SpanData) {
    put_len(b, 2, span_len(s));
    put_str(b, 1, &s.trace_id);
    put_str(b, 2, &s.span_id);
    if let Some(p) = &s.parent_span_id {
        put_str(b, 4, p);
    }
    put_str(b, 5, s.name.as_bytes());
    put_tag(b, 6, VARINT);
    put_varint(b, kind(s.kind));
    put_fixed64(b, 7, s.start_unix_nanos);
    put_fixed64(b, 8, s.end_unix_nanos);
    put_attrs(b, 9, &s.attributes);
    for e in &s.events {
        put_len(b, 11, event_len(e));
        put_fixed64(b, 1, e.time_unix_nano);
        put_str(b, 2, e.name.as_bytes());
        put_attrs(b, 3, &e.attributes);
    }
    if let Some((m, c)) = status(&s.status) {
        put_len(b, 15, status_len(m, c));
        put_str(b, 2, m.as_bytes());
        put_tag(b, 3, VARINT);
        put_varint(b, c);
    }
    // W3C sampled flag.
    put_tag(b, 16, FIXED32);
    b.extend_from_slice(&1u32.to_le_bytes());
}

/// The OTLP/HTTP body (`ExportTraceServiceRequest`) for a batch: one `ResourceSpans` per
/// distinct resource, in order of first appearance, each with one scope.
pub fn encode_otlp_protobuf(spans: &[SpanData]) -> Vec<u8> {
    let mut groups: Vec<(&Arc<Resource>, Vec<&SpanData>)> = Vec::new();
    for s in spans {
        match groups.iter_mut().find(|(r, _)| Arc::ptr_eq(r, &s.resource) || ***r == *s.resource) {
            Some((_, list)) => list.push(s),
            None => groups.push((&s.resource, vec![s])),
        }
    }
    let sizes: Vec<(usize, usize, usize)> = groups
        .iter()
        .map(|(r, list)| {
            let spans: usize = list.iter().map(|s| field_len(2, span_len(s))).sum();
            let scope_spans = field_len(1, scope_len()) + spans;
            (resource_len(r), scope_spans, field_len(1, resource_len(r)) + field_len(2, scope_spans))
        })
        .collect();
    let total: usize = sizes.iter().map(|&(_, _, rs)| field_len(1, rs)).sum();
    let mut b = Vec::with_capacity(total);
    for ((r, list), (res, scope_spans, rs)) in groups.iter().zip(sizes) {
        put_len(&mut b, 1, rs);
        put_len(&mut b, 1, res);
        put_resource(&mut b, r);
        put_len(&mut b, 2, scope_spans);
        put_len(&mut b, 1, scope_len());
        put_str(&mut b, 1, SCOPE_NAME.as_bytes());
        put_str(&mut b, 2, SCOPE_VERSION.as_bytes());
        for s in list {
            put_span(&mut b, s);
        }
    }
    debug_assert_eq!(b.len(), total, "computed and written sizes agree");
    b
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::span::{SpanEvent, set_attr};
    use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
    use prost::Message;

    fn span(resource: &Arc<Resource>, kind: SpanKind, status: SpanStatus, parent: bool) -> SpanData {
        let mut s = SpanData::start([7; 16], parent.then_some([9; 8]), "GET web", kind, resource.clone());
        s.end_unix_nanos = s.start_unix_nanos + 1_234_567;
        s.status = status;
        set_attr(&mut s.attributes, "http.request.method", "GET");
        set_attr(&mut s.attributes, "http.response.status_code", 200i64);
        set_attr(&mut s.attributes, "negative", -5i64);
        set_attr(&mut s.attributes, "ratio", 0.25f64);
        set_attr(&mut s.attributes, "cached", true);
        set_attr(&mut s.attributes, "empty", "");
        set_attr(&mut s.attributes, "long", "x".repeat(300));
        s.events.push(SpanEvent { name: "retry".into(), time_unix_nano: 42, attributes: s.attributes.clone() });
        s.events.push(SpanEvent { name: "".into(), time_unix_nano: 0, attributes: Vec::new() });
        s
    }

    #[test]
    fn the_bytes_decode_to_the_prost_request() {
        let mut tagged = Resource::new("svc-b");
        set_attr(&mut tagged.attributes, "env", "prod");
        set_attr(&mut tagged.attributes, "service.name", "ignored");
        let (a, b) = (Arc::new(Resource::new("svc-a")), Arc::new(tagged));
        let spans = vec![
            span(&a, SpanKind::Server, SpanStatus::Unset, false),
            span(&b, SpanKind::Client, SpanStatus::Error("upstream_timeout".into()), true),
            span(&a, SpanKind::Internal, SpanStatus::Ok, true),
        ];
        let bytes = encode_otlp_protobuf(&spans);
        let decoded = ExportTraceServiceRequest::decode(bytes.as_slice()).expect("valid protobuf");
        assert_eq!(decoded, super::super::otlp::to_otlp_request(&spans));
        assert_eq!(decoded.resource_spans.len(), 2, "one group per resource");
        // Same bytes as prost's own encoding of the tree (field order and defaults alike).
        assert_eq!(bytes, super::super::otlp::to_otlp_request(&spans).encode_to_vec());
        assert!(encode_otlp_protobuf(&[]).is_empty());
    }

    #[test]
    fn varint_lengths() {
        for v in [0u64, 1, 127, 128, 16_383, 16_384, u64::from(u32::MAX), u64::MAX] {
            let mut b = Vec::new();
            put_varint(&mut b, v);
            assert_eq!(b.len(), varint_len(v), "{v}");
        }
    }
}
