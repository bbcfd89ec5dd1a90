//! Property-based fuzzing of the OTLP/HTTP receiver's decoder: whatever a client posts
//! (protobuf or JSON, a mutation of a real export or random bytes), decoding gives spans or
//! an error, never a panic; a real export decodes to the spans it carried.
//!
//! Seeds: `fuzz-corpus/otlp/` (JSON) and a protobuf export encoded here. Bounded by
//! `PROPTEST_CASES` (256 by default).

use std::path::PathBuf;
use std::sync::Arc;

use marchproxy_telemetry::encode::{decode_otlp_request, encode_otlp_protobuf};
use marchproxy_telemetry::span::{Resource, SpanData, SpanKind};
use proptest::prelude::*;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(256),
        ..Default::default()
    }
}

fn spans(n: usize) -> Vec<SpanData> {
    let resource = Arc::new(Resource::new("fuzz"));
    (0..n)
        .map(|i| {
            let mut s = SpanData::start([7; 16], None, format!("op-{i}"), SpanKind::Server, resource.clone());
            s.set_attr("http.request.method", "GET");
            s.set_attr("n", i as i64);
            s.end();
            s
        })
        .collect()
}

fn seeds() -> Vec<(Vec<u8>, &'static str)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz-corpus/otlp");
    let mut out: Vec<(Vec<u8>, &'static str)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| (std::fs::read(e.unwrap().path()).unwrap(), "application/json"))
        .collect();
    out.push((encode_otlp_protobuf(&spans(3)), "application/x-protobuf"));
    out
}

fn mutated() -> impl Strategy<Value = (Vec<u8>, &'static str)> {
    (prop::sample::select(seeds()), prop::collection::vec((any::<prop::sample::Index>(), 0u8..3, any::<u8>()), 1..8))
        .prop_map(|((mut body, ctype), edits)| {
            for (at, op, byte) in edits {
                if body.is_empty() {
                    body.push(byte);
                    continue;
                }
                let i = at.index(body.len());
                match op {
                    0 => body[i] = byte,
                    1 => body.insert(i, byte),
                    _ => {
                        body.truncate(i);
                    }
                }
            }
            (body, ctype)
        })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn the_receiver_decoder_never_panics(
        input in prop_oneof![
            mutated(),
            prop::collection::vec(any::<u8>(), 0..1024).prop_map(|b| (b, "application/x-protobuf")),
            prop::collection::vec(any::<u8>(), 0..1024).prop_map(|b| (b, "application/json")),
        ]
    ) {
        let (body, ctype) = input;
        let _ = decode_otlp_request(&body, ctype);
    }

    #[test]
    fn a_real_export_decodes_to_its_spans(n in 0usize..20) {
        let sent = spans(n);
        let got = decode_otlp_request(&encode_otlp_protobuf(&sent), "application/x-protobuf").unwrap();
        prop_assert_eq!(got.len(), n);
        for (a, b) in sent.iter().zip(&got) {
            prop_assert_eq!(&a.name, &b.name);
            prop_assert_eq!(a.span_id, b.span_id);
        }
    }
}
