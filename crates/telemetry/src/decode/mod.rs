//! Decoding what tracing backends' query APIs answer into [`QueriedSpan`] records:
//! [`jaeger`] (`GET /api/traces`, `/api/traces/{id}` of jaeger-query) and [`zipkin`]
//! (`GET /api/v2/traces`, `/api/v2/trace/{id}`). The encoders of what we send to those
//! backends are in [`crate::encode`]; OTLP decoding (the embedded receiver) is
//! [`crate::encode::decode_otlp_request`].
//!
//! What it does not know: HTTP (the caller fetches the JSON and builds the query) and
//! storage. Decoding is lenient, like the backends' own UIs: a missing field takes a
//! default, a value of the wrong shape is skipped, nothing fails.

pub mod jaeger;
pub mod zipkin;

/// One span as a backend's query API returned it. Ids and the kind are kept as the backend
/// wrote them (Jaeger may write 64-bit trace ids or ids without leading zeros, and kinds
/// beyond server/client/internal), except that trace ids are lowercased.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct QueriedSpan {
    /// Hex, lowercase.
    pub trace_id: String,
    pub span_id: String,
    pub parent_span_id: Option<String>,
    /// `unknown` when the backend names no service.
    pub service: String,
    pub operation: String,
    /// Lowercase (`server`, `client`, `producer`, ...); `internal` when not given.
    pub kind: String,
    pub start_unix_micros: i64,
    pub duration_micros: f64,
    pub is_error: bool,
    /// Tags as the backend typed them (Zipkin's are all strings).
    pub attributes: serde_json::Map<String, serde_json::Value>,
}
