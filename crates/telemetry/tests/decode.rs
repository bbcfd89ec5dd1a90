//! Decoding: OTLP protobuf and OTLP JSON into our span records (the embedded receiver), and
//! the Jaeger and Zipkin query APIs' JSON answers into queried spans (span search).

use std::sync::Arc;

use marchproxy_telemetry::decode::QueriedSpan;
use marchproxy_telemetry::decode::jaeger::decode_jaeger_query;
use marchproxy_telemetry::decode::zipkin::decode_zipkin_query;
use marchproxy_telemetry::encode::{DecodeError, decode_otlp_request, encode_otlp_protobuf, to_otlp_request};
use marchproxy_telemetry::span::{AttrValue, Resource, SpanData, SpanEvent, SpanKind, SpanStatus};
use serde_json::json;

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

fn attrs(v: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
    v.as_object().unwrap().clone()
}

/// jaeger-query's `/api/traces` answer: two traces, processes looked up per span, typed
/// tags, CHILD_OF (not FOLLOWS_FROM) as the parent.
#[test]
fn decodes_jaeger_query_answers() {
    let body = json!({"data": [{
        "traceID": "AAAABBBBCCCCDDDDEEEEFFFF00001111",
        "spans": [{
            "traceID": "AAAABBBBCCCCDDDDEEEEFFFF00001111", "spanID": "1111222233334444", "operationName": "GET /cart",
            "references": [], "startTime": 1_700_000_000_000_000i64, "duration": 12_000, "processID": "p1",
            "tags": [{"key": "span.kind", "type": "string", "value": "server"},
                     {"key": "error", "type": "bool", "value": true},
                     {"key": "http.status_code", "type": "int64", "value": 503},
                     {"key": "ratio", "type": "float64", "value": 0.5}]
        }, {
            "traceID": "aaaabbbbccccddddeeeeffff00001111", "spanID": "5555666677778888", "operationName": "SELECT",
            "references": [{"refType": "FOLLOWS_FROM", "traceID": "aaaabbbbccccddddeeeeffff00001111", "spanID": "9999"},
                           {"refType": "CHILD_OF", "traceID": "aaaabbbbccccddddeeeeffff00001111", "spanID": "1111222233334444"}],
            "startTime": 1_700_000_000_001_000i64, "duration": 2_500, "processID": "p2",
            "tags": [{"key": "span.kind", "type": "string", "value": "producer"}, {"key": "error", "type": "string", "value": "true"}]
        }],
        "processes": {"p1": {"serviceName": "checkout"}, "p2": {"serviceName": "db"}}
    }, {
        "traceID": "0123456789abcdef",
        "spans": [{"traceID": "0123456789abcdef", "spanID": "1", "operationName": "tick", "processID": "gone",
                   "startTime": 5, "duration": 1, "tags": [{"key": "error", "type": "bool", "value": false}]}],
        "processes": {}
    }]});
    let spans = decode_jaeger_query(&body);
    assert_eq!(
        spans,
        vec![
            QueriedSpan {
                trace_id: "aaaabbbbccccddddeeeeffff00001111".into(),
                span_id: "1111222233334444".into(),
                parent_span_id: None,
                service: "checkout".into(),
                operation: "GET /cart".into(),
                kind: "server".into(),
                start_unix_micros: 1_700_000_000_000_000,
                duration_micros: 12_000.0,
                is_error: true,
                attributes: attrs(json!({"span.kind": "server", "error": true, "http.status_code": 503, "ratio": 0.5})),
            },
            QueriedSpan {
                trace_id: "aaaabbbbccccddddeeeeffff00001111".into(),
                span_id: "5555666677778888".into(),
                parent_span_id: Some("1111222233334444".into()),
                service: "db".into(),
                operation: "SELECT".into(),
                kind: "producer".into(),
                start_unix_micros: 1_700_000_000_001_000,
                duration_micros: 2_500.0,
                is_error: true,
                attributes: attrs(json!({"span.kind": "producer", "error": "true"})),
            },
            QueriedSpan {
                trace_id: "0123456789abcdef".into(),
                span_id: "1".into(),
                parent_span_id: None,
                service: "unknown".into(),
                operation: "tick".into(),
                kind: "internal".into(),
                start_unix_micros: 5,
                duration_micros: 1.0,
                is_error: false,
                attributes: attrs(json!({"error": false})),
            },
        ]
    );
}

/// Zipkin answers a list of traces (`/api/v2/traces`) or one trace (`/api/v2/trace/{id}`).
#[test]
fn decodes_zipkin_query_answers() {
    let server = json!({
        "traceId": "99998888777766665555444433332222", "id": "aaaa000011112222", "name": "post /pay", "kind": "SERVER",
        "timestamp": 1_700_000_001_000_000i64, "duration": 3_000, "localEndpoint": {"serviceName": "checkout"},
        "tags": {"http.status_code": "200"}
    });
    let client = json!({
        "traceId": "99998888777766665555444433332222", "id": "bbbb000011112222", "parentId": "aaaa000011112222",
        "name": "get /card", "timestamp": 1_700_000_001_000_500i64, "duration": 1_000,
        "tags": {"error": ""}
    });
    let want = vec![
        QueriedSpan {
            trace_id: "99998888777766665555444433332222".into(),
            span_id: "aaaa000011112222".into(),
            parent_span_id: None,
            service: "checkout".into(),
            operation: "post /pay".into(),
            kind: "server".into(),
            start_unix_micros: 1_700_000_001_000_000,
            duration_micros: 3_000.0,
            is_error: false,
            attributes: attrs(json!({"http.status_code": "200"})),
        },
        QueriedSpan {
            trace_id: "99998888777766665555444433332222".into(),
            span_id: "bbbb000011112222".into(),
            parent_span_id: Some("aaaa000011112222".into()),
            service: "unknown".into(),
            operation: "get /card".into(),
            kind: "internal".into(),
            start_unix_micros: 1_700_000_001_000_500,
            duration_micros: 1_000.0,
            is_error: true,
            attributes: attrs(json!({"error": ""})),
        },
    ];
    assert_eq!(decode_zipkin_query(&json!([[server.clone()], [client.clone()]])), want, "a list of traces");
    assert_eq!(decode_zipkin_query(&json!([server, client])), want, "one trace");
    let mut upper = want[0].clone();
    upper.trace_id = "abcdef".into();
    let span = json!({"traceId": "ABCDEF", "id": "aaaa000011112222", "name": "post /pay", "kind": "SERVER",
                      "timestamp": 1_700_000_001_000_000i64, "duration": 3_000, "localEndpoint": {"serviceName": "checkout"},
                      "tags": {"http.status_code": "200"}});
    assert_eq!(decode_zipkin_query(&json!([[span]])), vec![upper], "trace ids are lowercased");
}

/// Answers that hold no spans (errors, other shapes) decode to nothing, never a failure.
#[test]
fn query_answers_without_spans_decode_to_nothing() {
    for body in [json!({}), json!({"data": null}), json!({"data": [{"spans": "x"}]}), json!([]), json!("oops")] {
        assert_eq!(decode_jaeger_query(&body), vec![], "jaeger {body}");
    }
    for body in [json!({}), json!([]), json!([[]]), json!({"errors": ["bad"]}), json!(3)] {
        assert_eq!(decode_zipkin_query(&body), vec![], "zipkin {body}");
    }
    // A span missing every field still decodes, with defaults.
    let s = &decode_jaeger_query(&json!({"data": [{"spans": [{}]}]}))[0];
    assert_eq!(
        (s.trace_id.as_str(), s.service.as_str(), s.kind.as_str(), s.is_error),
        ("", "unknown", "internal", false)
    );
}
