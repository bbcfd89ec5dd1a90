//! Wire encoders, each producing the backend's real payload from our span records:
//! [`otlp`] (protobuf `ExportTraceServiceRequest`, plus decoding of protobuf/JSON bodies for
//! the embedded receiver), [`zipkin`] (v2 JSON) and [`jaeger`] (Thrift binary `Batch`).
//!
//! What it does not know: how bytes are sent (see [`crate::exporter`]).

pub mod jaeger;
pub mod otlp;
mod otlp_wire;
pub mod zipkin;

pub use jaeger::{JaegerBatch, decode_jaeger_batch, encode_jaeger_batch};
pub use otlp::{DecodeError, decode_otlp_request, from_otlp_request, to_otlp_request};
pub use otlp_wire::encode_otlp_protobuf;
pub use zipkin::encode_zipkin_json;
