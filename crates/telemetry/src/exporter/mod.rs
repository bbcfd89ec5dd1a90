//! Sending spans: [`transport`] (one configured connection per backend and exporter),
//! [`pipeline`] (the async batching pipeline with its stats) and [`test_span`] (the
//! one-shot test span). Their public items are re-exported here.
//!
//! What it does not know: sampling (done before spans are pushed), storage, and serving
//! HTTP. It needs a Tokio runtime.

pub mod pipeline;
pub mod test_span;
pub mod transport;

pub use pipeline::{ExportPipeline, ExportStats, PipelineOptions, StatsSnapshot};
pub use test_span::{
    TEST_SPAN_TIMEOUT, TestSpanResult, send_test_span, send_test_span_with, send_test_span_with_timeout,
};
pub use transport::{
    ConfigError, ExportError, Payload, Transport, TransportKind, jaeger_thrift_url, otlp_grpc_uri, otlp_http_url,
    zipkin_url,
};
