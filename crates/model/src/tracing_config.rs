//! Distributed-tracing configurations (one cluster, one backend).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ValidationErrors, parse_endpoint};
use crate::{Timestamp, path};

/// Where spans go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "lowercase")]
pub enum TracingBackend {
    #[default]
    Jaeger,
    Zipkin,
    Otlp,
}

/// The wire transport used to reach the backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "lowercase")]
pub enum SpanExporter {
    /// OTLP over gRPC.
    #[default]
    Grpc,
    /// OTLP/HTTP protobuf (otlp, jaeger) or Zipkin v2 JSON (zipkin).
    Http,
    /// Jaeger Thrift over HTTP (`/api/traces`).
    Thrift,
}

/// Which requests are traced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "snake_case")]
pub enum SamplingStrategy {
    Always,
    Never,
    #[default]
    Probabilistic,
    RateLimit,
    ErrorOnly,
    Adaptive,
}

impl TracingBackend {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Jaeger => "jaeger",
            Self::Zipkin => "zipkin",
            Self::Otlp => "otlp",
        }
    }
}

impl SpanExporter {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Grpc => "grpc",
            Self::Http => "http",
            Self::Thrift => "thrift",
        }
    }
}

impl SamplingStrategy {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Always => "always",
            Self::Never => "never",
            Self::Probabilistic => "probabilistic",
            Self::RateLimit => "rate_limit",
            Self::ErrorOnly => "error_only",
            Self::Adaptive => "adaptive",
        }
    }
}

// Defaults are the original MarchProxy API's, so its clients' bodies mean the same here.
fn default_rate() -> f64 {
    0.1
}
fn default_max_attr() -> u32 {
    512
}
fn default_service_name() -> String {
    "marchproxy".into()
}
fn default_true() -> bool {
    true
}

/// A tracing configuration as written by a user (and returned, with `id` and times).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TracingConfigSpec {
    #[schema(schema_with = crate::schema::name)]
    pub name: String,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub description: Option<String>,
    #[schema(minimum = 1)]
    pub cluster_id: i64,
    /// Default `jaeger`.
    #[serde(default)]
    pub backend: TracingBackend,
    /// Collector address, e.g. `http://jaeger:4318` or `http://zipkin:9411/api/v2/spans`.
    #[schema(schema_with = crate::schema::endpoint)]
    pub endpoint: String,
    /// Default `grpc`.
    #[serde(default)]
    pub exporter: SpanExporter,
    /// Default `probabilistic`.
    #[serde(default)]
    pub sampling_strategy: SamplingStrategy,
    /// Probability in [0, 1] (default 0.1); used by `probabilistic` and as the starting
    /// point of `adaptive`.
    #[serde(default = "default_rate")]
    #[schema(minimum = 0, maximum = 1)]
    pub sampling_rate: f64,
    /// Ceiling for `rate_limit`, target for `adaptive` (default 10 there).
    #[serde(default)]
    #[schema(minimum = 1, maximum = 100000)]
    pub max_traces_per_second: Option<u32>,
    #[serde(default)]
    pub include_request_headers: bool,
    #[serde(default)]
    pub include_response_headers: bool,
    #[serde(default)]
    pub include_request_body: bool,
    #[serde(default)]
    pub include_response_body: bool,
    #[serde(default = "default_max_attr")]
    #[schema(minimum = 16, maximum = 65536)]
    pub max_attribute_length: u32,
    #[serde(default = "default_service_name")]
    #[schema(schema_with = crate::schema::name)]
    pub service_name: String,
    #[serde(default)]
    #[schema(schema_with = crate::schema::custom_tags)]
    pub custom_tags: Option<BTreeMap<String, String>>,
    /// Optional query API of the backend (Jaeger `/api/traces`, Zipkin `/api/v2/traces`) for span search.
    #[serde(default)]
    #[schema(schema_with = crate::schema::http_url)]
    pub query_url: Option<String>,
    #[serde(default = "default_true")]
    pub enabled: bool,
}

/// A stored tracing configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TracingConfig {
    pub id: i64,
    #[serde(flatten)]
    pub spec: TracingConfigSpec,
    #[schema(value_type = String)]
    pub created_at: Timestamp,
    #[schema(value_type = String)]
    pub updated_at: Timestamp,
}

/// Default target of the adaptive sampler, in traces per second.
pub const ADAPTIVE_DEFAULT_TARGET_TPS: u32 = 10;

impl TracingConfigSpec {
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut e = ValidationErrors::new();
        e.text(path!["name"], &self.name, 100);
        e.description(&self.description);
        if self.cluster_id < 1 {
            e.add(path!["cluster_id"], "must be a positive id");
        }
        match parse_endpoint(&self.endpoint) {
            Ok(ep) => {
                if self.exporter != SpanExporter::Grpc && !matches!(ep.scheme.as_str(), "http" | "https") {
                    e.add(path!["endpoint"], "must be an http:// or https:// URL for this exporter");
                }
            }
            Err(m) => e.add(path!["endpoint"], m),
        }
        match (self.backend, self.exporter) {
            (TracingBackend::Zipkin, SpanExporter::Grpc | SpanExporter::Thrift) => {
                e.add(path!["exporter"], "zipkin accepts only the `http` exporter (Zipkin v2 JSON)")
            }
            (TracingBackend::Otlp, SpanExporter::Thrift) => {
                e.add(path!["exporter"], "otlp accepts `grpc` or `http`; thrift is Jaeger-only")
            }
            _ => {}
        }
        if !(0.0..=1.0).contains(&self.sampling_rate) || self.sampling_rate.is_nan() {
            e.add(path!["sampling_rate"], "must be between 0 and 1");
        }
        match self.max_traces_per_second {
            Some(v) if !(1..=100_000).contains(&v) => {
                e.add(path!["max_traces_per_second"], "must be between 1 and 100000")
            }
            None if self.sampling_strategy == SamplingStrategy::RateLimit => {
                e.add(path!["max_traces_per_second"], "is required when sampling_strategy is rate_limit")
            }
            _ => {}
        }
        e.range(path!["max_attribute_length"], self.max_attribute_length, 16, 65_536);
        e.text(path!["service_name"], &self.service_name, 100);
        if let Some(tags) = &self.custom_tags {
            if tags.len() > 64 {
                e.add(path!["custom_tags"], "at most 64 tags");
            }
            for (k, v) in tags {
                if k.trim().is_empty() || k.chars().count() > 128 {
                    e.add(path!["custom_tags", k.as_str()], "tag names must be 1-128 characters");
                }
                if v.chars().count() > 1024 {
                    e.add(path!["custom_tags", k.as_str()], "tag values must be at most 1024 characters");
                }
            }
        }
        if let Some(q) = &self.query_url {
            match parse_endpoint(q) {
                Ok(ep) if matches!(ep.scheme.as_str(), "http" | "https") => {}
                Ok(_) => e.add(path!["query_url"], "must be an http:// or https:// URL"),
                Err(m) => e.add(path!["query_url"], m),
            }
        }
        e.into_result()
    }

    /// The traces-per-second target of the adaptive sampler or ceiling of the rate limiter.
    pub fn target_tps(&self) -> u32 {
        self.max_traces_per_second.unwrap_or(ADAPTIVE_DEFAULT_TARGET_TPS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> TracingConfigSpec {
        serde_json::from_value(serde_json::json!({
            "name": "t", "cluster_id": 1, "backend": "jaeger", "endpoint": "http://127.0.0.1:4318",
            "exporter": "http", "sampling_strategy": "probabilistic", "sampling_rate": 0.1
        }))
        .unwrap()
    }

    #[test]
    fn defaults_and_valid() {
        let s = spec();
        assert_eq!(s.max_attribute_length, 512);
        assert_eq!(s.service_name, "marchproxy");
        assert!(s.enabled);
        s.validate().unwrap();
    }

    #[test]
    fn rejects_impossible_combinations() {
        let mut s = spec();
        s.backend = TracingBackend::Zipkin;
        s.exporter = SpanExporter::Thrift;
        s.sampling_rate = 1.5;
        s.sampling_strategy = SamplingStrategy::RateLimit;
        let err = s.validate().unwrap_err();
        let fields: Vec<_> = err.errors.iter().map(|e| e.loc[1].as_str().unwrap().to_string()).collect();
        assert_eq!(fields, ["exporter", "sampling_rate", "max_traces_per_second"]);
    }
}
