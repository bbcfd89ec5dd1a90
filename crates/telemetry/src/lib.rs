//! MarchProxy tracing core, shared by the data-plane proxy and the control plane.
//!
//! - [`span`]: our span record, ids, attribute truncation, header capture with redaction.
//! - [`propagation`]: W3C `traceparent`/`tracestate` and B3 single/multi headers.
//! - [`sampler`]: the six sampling strategies (parent-based), with an injectable clock.
//! - [`encode`]: OTLP protobuf (and OTLP JSON/protobuf decoding), Zipkin v2 JSON, Jaeger
//!   Thrift binary.
//! - [`decode`]: the Jaeger and Zipkin query APIs' JSON answers into [`decode::QueriedSpan`]
//!   records (span search in those backends; the HTTP calls are the caller's).
//! - [`exporter`]: transports (OTLP/HTTP, OTLP/gRPC, Zipkin HTTP, Jaeger Thrift HTTP), the
//!   async batching export pipeline with its stats, and [`exporter::send_test_span`].
//!
//! This crate knows nothing about SQL, serves no HTTP, and does not depend on the `http`
//! crate for headers: callers pass lookups and setters. Configuration types come from
//! `marchproxy-model` ([`marchproxy_model::tracing_config::TracingConfigSpec`]).

#![forbid(unsafe_code)]

pub mod decode;
pub mod encode;
pub mod exporter;
pub mod propagation;
pub mod sampler;
pub mod span;

pub use exporter::{
    ExportPipeline, ExportStats, PipelineOptions, StatsSnapshot, TestSpanResult, Transport, TransportKind,
    send_test_span,
};
pub use propagation::{Extracted, Format, Formats, SpanContext, extract, inject};
pub use sampler::{Clock, Decision, FakeClock, Sampler, SystemClock};
pub use span::{AttrValue, Resource, SpanData, SpanId, SpanKind, SpanStatus, TraceId};
