//! Two proxies in a chain: the trace id survives, the parent's decision is respected, and
//! each hop's client span parents the next hop's server span.

use std::sync::Arc;

use marchproxy_model::tracing_config::SamplingStrategy;
use marchproxy_telemetry::propagation::{Formats, extract, inject};
use marchproxy_telemetry::sampler::{Decision, FakeClock, Sampler};
use marchproxy_telemetry::span::{Resource, SpanData, SpanKind, new_trace_id};
use std::collections::HashMap;

type Headers = HashMap<String, String>;

/// One proxy hop: extract, decide, create server+client spans, inject into the upstream request.
fn hop(incoming: &Headers, sampler: &Sampler, formats: Formats) -> (Decision, Vec<SpanData>, Headers) {
    let ex = extract(|n| incoming.get(n).map(String::as_str));
    let trace_id = ex.context.as_ref().map(|c| c.trace_id).unwrap_or_else(new_trace_id);
    let decision = sampler.should_sample(&trace_id, ex.sampled);
    let res = Arc::new(Resource::new("proxy"));
    let server = SpanData::start(trace_id, ex.context.as_ref().map(|c| c.span_id), "in", SpanKind::Server, res.clone());
    let client = SpanData::start(trace_id, Some(server.span_id), "out", SpanKind::Client, res);
    let mut ctx = marchproxy_telemetry::SpanContext::new(trace_id, client.span_id, decision.is_sampled());
    ctx.parent_span_id = Some(server.span_id);
    ctx.trace_state = ex.context.and_then(|c| c.trace_state);
    let mut out = Headers::new();
    inject(&ctx, formats, |k, v| {
        out.insert(k.to_string(), v.to_string());
    });
    (decision, vec![server, client], out)
}

#[test]
fn trace_id_kept_across_two_proxies_in_every_format() {
    for formats in [Formats::W3C, Formats::B3_SINGLE, Formats::B3_MULTI, Formats::ALL] {
        let first = Sampler::new(SamplingStrategy::Always, 1.0, 0, FakeClock::new());
        // The second proxy would sample nothing by itself, but follows its parent.
        let second = Sampler::new(SamplingStrategy::Probabilistic, 0.0, 0, FakeClock::new());
        let mut client_headers = Headers::new();
        client_headers.insert("tracestate".into(), "vendor=abc".into());
        client_headers.insert("traceparent".into(), "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01".into());
        let (d1, spans1, h1) = hop(&client_headers, &first, formats);
        let (d2, spans2, _h2) = hop(&h1, &second, formats);
        assert_eq!(d1, Decision::RecordAndSample);
        assert_eq!(d2, Decision::RecordAndSample);
        let tid = hex::decode("0af7651916cd43dd8448eb211c80319c").unwrap();
        for s in spans1.iter().chain(&spans2) {
            assert_eq!(s.trace_id.to_vec(), tid);
        }
        assert_eq!(hex::encode(spans1[0].parent_span_id.unwrap()), "b7ad6b7169203331");
        assert_eq!(spans2[0].parent_span_id, Some(spans1[1].span_id), "{formats:?}");
        if formats.w3c {
            assert_eq!(h1["tracestate"], "vendor=abc");
        }
    }
}

#[test]
fn unsampled_parent_is_respected_downstream() {
    let first = Sampler::new(SamplingStrategy::Probabilistic, 0.0, 0, FakeClock::new());
    let second = Sampler::new(SamplingStrategy::Always, 1.0, 0, FakeClock::new());
    let (d1, _, h1) = hop(&Headers::new(), &first, Formats::B3_MULTI);
    assert_eq!(d1, Decision::Drop);
    assert_eq!(h1["x-b3-sampled"], "0");
    let (d2, _, _) = hop(&h1, &second, Formats::B3_MULTI);
    assert_eq!(d2, Decision::Drop);
}
