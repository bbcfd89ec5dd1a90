//! The embedded receiver's decoding: OTLP protobuf and OTLP JSON into our span records.

use std::sync::Arc;

use marchproxy_telemetry::encode::{DecodeError, decode_otlp_request, encode_otlp_protobuf, to_otlp_request};
use marchproxy_telemetry::span::{AttrValue, Resource, SpanData, SpanEvent, SpanKind, SpanStatus};

const OTLP_JSON: &str = r#"{
  "resourceSpans": [{
    "resource": {"attributes": [
      {"key": "service.name", "value": {"stringValue": "my.service"}},
      {"key": "deployment.environment", "value": {"stringValue": "prod"}}
    ]},
    "scopeSpans": [{
      "scope": {"name": "my.library", "version": "1.0.0"},
      "spans": [{
        "traceId": "5B8EFFF798038103D269B633813FC60C",
        "spanId": "EEE19B7EC3C1B174",
        "parentSpanId": "EEE19B7EC3C1B173",
        "name": "I'm a server span",
        "startTimeUnixNano": "1544712660000000000",
        "endTimeUnixNano": "1544712661000000000",
        "kind": 2,
        "flags": 257,
        "unknownField": {"ignored": true},
        "attributes": [
          {"key": "my.span.attr", "value": {"stringValue": "some value"}},
          {"key": "http.status_code", "value": {"intValue": "503"}},
          {"key": "retries", "value": {"intValue": 2}},
          {"key": "ratio", "value": {"doubleValue": 0.5}},
          {"key": "ok", "value": {"boolValue": true}},
          {"key": "list", "value": {"arrayValue": {"values": [{"stringValue": "a"}, {"intValue": "1"}]}}}
        ],
        "events": [{"timeUnixNano": "1544712660500000000", "name": "retry",
                    "attributes": [{"key": "attempt", "value": {"intValue": "1"}}]}],
        "status": {"code": 2, "message": "boom"}
      }, {
        "traceId": "5b8efff798038103d269b633813fc60c",
        "spanId": "eee19b7ec3c1b175",
        "name": "client",
        "startTimeUnixNano": 1544712660000000000,
        "endTimeUnixNano": 1544712660100000000,
        "kind": 3
      }]
    }]
  }, {
    "resource": {"attributes": []},
    "scopeSpans": [{"spans": [{
        "traceId": "00000000000000000000000000000001", "spanId": "0000000000000001", "name": "anon",
        "startTimeUnixNano": "1", "endTimeUnixNano": "2"}]}]
  }]
}"#;

#[test]
fn decodes_otlp_json() {
    let spans = decode_otlp_request(OTLP_JSON.as_bytes(), "application/json; charset=utf-8").unwrap();
    assert_eq!(spans.len(), 3);
    let s = &spans[0];
    assert_eq!(hex::encode(s.trace_id), "5b8efff798038103d269b633813fc60c");
    assert_eq!(hex::encode(s.span_id), "eee19b7ec3c1b174");
    assert_eq!(s.parent_span_id.map(hex::encode).as_deref(), Some("eee19b7ec3c1b173"));
    assert_eq!(s.name, "I'm a server span");
    assert_eq!(s.kind, SpanKind::Server);
    assert_eq!((s.start_unix_nanos, s.end_unix_nanos), (1_544_712_660_000_000_000, 1_544_712_661_000_000_000));
    assert_eq!(s.status, SpanStatus::Error("boom".into()));
    assert_eq!(s.attr("my.span.attr"), Some(&AttrValue::from("some value")));
    assert_eq!(s.attr("http.status_code"), Some(&AttrValue::Int(503)));
    assert_eq!(s.attr("retries"), Some(&AttrValue::Int(2)));
    assert_eq!(s.attr("ratio"), Some(&AttrValue::Float(0.5)));
    assert_eq!(s.attr("ok"), Some(&AttrValue::Bool(true)));
    assert_eq!(s.attr("list"), Some(&AttrValue::from(r#"["a",1]"#)));
    assert_eq!(s.events.len(), 1);
    assert_eq!(s.events[0].name, "retry");
    assert_eq!(s.events[0].attributes[0].1, AttrValue::Int(1));
    assert_eq!(s.resource.service_name, "my.service");
    assert_eq!(s.resource.attributes, vec![("deployment.environment".into(), AttrValue::from("prod"))]);

    let c = &spans[1];
    assert_eq!(c.kind, SpanKind::Client);
    assert_eq!(c.parent_span_id, None);
    assert_eq!(c.trace_id, s.trace_id);
    assert_eq!(c.duration_nanos(), 100_000_000);
    assert!(Arc::ptr_eq(&c.resource, &s.resource));

    assert_eq!(spans[2].resource.service_name, "unknown_service");
}

fn sample_spans() -> Vec<SpanData> {
    let mut r = Resource::new("edge");
    r.attributes.push(("env".into(), "prod".into()));
    let r = Arc::new(r);
    let mut a = SpanData::start([1; 16], None, "GET /", SpanKind::Server, r.clone());
    a.start_unix_nanos = 10;
    a.end_unix_nanos = 20;
    a.status = SpanStatus::Ok;
    a.set_attr("s", "v");
    a.set_attr("i", -3i64);
    a.set_attr("f", 1.25);
    a.set_attr("b", false);
    a.events.push(SpanEvent {
        name: "e".into(),
        time_unix_nano: 15,
        attributes: vec![("k".into(), AttrValue::Int(1))],
    });
    let mut b = SpanData::start([1; 16], Some(a.span_id), "upstream", SpanKind::Client, r);
    b.start_unix_nanos = 11;
    b.end_unix_nanos = 19;
    b.status = SpanStatus::Error("refused".into());
    let mut c = SpanData::start([2; 16], None, "other", SpanKind::Internal, Arc::new(Resource::new("second")));
    c.start_unix_nanos = 1;
    c.end_unix_nanos = 2;
    vec![a, b, c]
}

#[test]
fn protobuf_round_trip() {
    let spans = sample_spans();
    let req = to_otlp_request(&spans);
    assert_eq!(req.resource_spans.len(), 2, "grouped by resource");
    let bytes = encode_otlp_protobuf(&spans);
    for ct in ["application/x-protobuf", "application/protobuf", "Application/X-Protobuf"] {
        let back = decode_otlp_request(&bytes, ct).unwrap();
        assert_eq!(back, spans);
    }
}

#[test]
fn json_round_trip_through_otlp_serde() {
    // OTLP JSON as another OpenTelemetry producer would write it (hex ids, string int64s).
    let spans = sample_spans();
    let json = serde_json::to_string(&to_otlp_request(&spans)).unwrap();
    assert!(json.contains(&format!("\"traceId\":\"{}\"", "01".repeat(16))), "{json}");
    assert!(json.contains("\"startTimeUnixNano\":\"10\""), "{json}");
    assert!(json.contains("\"intValue\":\"-3\""), "{json}");
    let back = decode_otlp_request(json.as_bytes(), "application/json").unwrap();
    assert_eq!(back, spans);
}

#[test]
fn rejects_bad_payloads() {
    assert!(matches!(decode_otlp_request(b"{}", "text/plain"), Err(DecodeError::UnsupportedContentType(_))));
    assert!(matches!(decode_otlp_request(b"not json", "application/json"), Err(DecodeError::Json(_))));
    assert!(matches!(
        decode_otlp_request(&[0xff, 0xff, 0xff], "application/x-protobuf"),
        Err(DecodeError::Protobuf(_))
    ));
    let bad_id = r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"abcd","spanId":"0000000000000001"}]}]}]}"#;
    assert!(matches!(decode_otlp_request(bad_id.as_bytes(), "application/json"), Err(DecodeError::InvalidSpan(_))));
    // An empty request is valid.
    assert_eq!(decode_otlp_request(b"{}", "application/json").unwrap(), vec![]);
    assert_eq!(decode_otlp_request(b"", "application/x-protobuf").unwrap(), vec![]);
}
