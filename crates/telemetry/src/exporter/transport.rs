//! Transports: one configured connection to a backend, chosen from a tracing config's
//! backend + exporter + endpoint:
//! - `otlp`/`jaeger` + `http` → OTLP/HTTP protobuf `POST {endpoint}/v1/traces`;
//! - `otlp`/`jaeger` + `grpc` → OTLP/gRPC `TraceService/Export` (`http://` is plaintext
//!   h2c, `https://` uses TLS with the webpki roots; no scheme means `http://`);
//! - `zipkin` + `http` → Zipkin v2 JSON `POST` to the endpoint (`/api/v2/spans` when the
//!   endpoint has no path);
//! - `jaeger` + `thrift` → Jaeger Thrift binary `POST {endpoint}/api/traces`.
//!
//! Every connection obeys the [`OutboundPolicy`] the transport was built with (a refused
//! target fails at once and is not retried), redirects are not followed, and errors are
//! summaries: a backend's response body or gRPC message is never part of one.
//!
//! What it does not know: batching and retries (see [`crate::exporter::pipeline`]).

use std::time::Duration;

use bytes::Bytes;
use marchproxy_model::tracing_config::{SpanExporter, TracingBackend, TracingConfigSpec};
use marchproxy_outbound::summary::{find_refusal, status as status_summary, summarize};
use marchproxy_outbound::{HttpClient, OutboundPolicy, read_limited};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
use opentelemetry_proto::tonic::collector::trace::v1::{ExportTraceServiceRequest, ExportTraceServiceResponse};
use prost::Message;
use serde::Serialize;
use tonic::transport::{Channel, ClientTlsConfig, Endpoint};

use crate::encode::{encode_jaeger_batch, encode_otlp_protobuf, encode_zipkin_json, to_otlp_request};
use crate::span::SpanData;

/// A tracing config that cannot be turned into a transport.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("backend `{backend}` does not support exporter `{exporter}`")]
    Unsupported { backend: &'static str, exporter: &'static str },
    #[error("invalid endpoint `{endpoint}`: {reason}")]
    InvalidEndpoint { endpoint: String, reason: String },
    /// The outbound policy refuses the endpoint's host.
    #[error("{0}")]
    Refused(String),
}

/// One failed export attempt. Every message is a summary fit to show a viewer: never the
/// backend's response body nor its gRPC status message.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum ExportError {
    /// The backend answered with a non-success HTTP status (a 3xx included: redirects are
    /// not followed).
    #[error("{}", status_summary(*.status))]
    Http { status: u16 },
    /// gRPC status from the backend (its message withheld), or from the channel (`message`
    /// summarises the local cause).
    #[error("gRPC {code}{}", if message.is_empty() { String::new() } else { format!(": {message}") })]
    Grpc { code: String, message: String, retryable: bool },
    /// Connection, TLS or I/O failure (summarised).
    #[error("transport error: {0}")]
    Transport(String),
    /// The outbound policy refused the backend's address; nothing was sent.
    #[error("{0}")]
    Refused(String),
    #[error("timed out after {0:?}")]
    Timeout(Duration),
}

impl ExportError {
    /// Whether another attempt may succeed (OTLP's retryable set: HTTP 408/429/502/503/504,
    /// gRPC UNAVAILABLE etc., transport errors and timeouts).
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Http { status } => matches!(status, 408 | 429 | 502 | 503 | 504),
            Self::Grpc { retryable, .. } => *retryable,
            Self::Transport(_) | Self::Timeout(_) => true,
            Self::Refused(_) => false,
        }
    }
}

/// The wire protocol a transport speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TransportKind {
    OtlpHttp,
    OtlpGrpc,
    ZipkinJson,
    JaegerThrift,
}

impl TransportKind {
    /// Which transport a backend/exporter pair means.
    pub fn select(backend: TracingBackend, exporter: SpanExporter) -> Result<Self, ConfigError> {
        use {SpanExporter as E, TracingBackend as B};
        match (backend, exporter) {
            (B::Otlp | B::Jaeger, E::Http) => Ok(Self::OtlpHttp),
            (B::Otlp | B::Jaeger, E::Grpc) => Ok(Self::OtlpGrpc),
            (B::Zipkin, E::Http) => Ok(Self::ZipkinJson),
            (B::Jaeger, E::Thrift) => Ok(Self::JaegerThrift),
            (b, e) => Err(ConfigError::Unsupported { backend: b.as_str(), exporter: e.as_str() }),
        }
    }
}

fn invalid(endpoint: &str, reason: impl Into<String>) -> ConfigError {
    ConfigError::InvalidEndpoint { endpoint: endpoint.to_owned(), reason: reason.into() }
}

fn parse_http_url(endpoint: &str) -> Result<reqwest::Url, ConfigError> {
    let url = reqwest::Url::parse(endpoint.trim()).map_err(|e| invalid(endpoint, e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid(endpoint, "scheme must be http or https"));
    }
    if url.host_str().is_none() {
        return Err(invalid(endpoint, "missing host"));
    }
    Ok(url)
}

fn append_path(endpoint: &str, suffix: &str) -> Result<String, ConfigError> {
    let mut url = parse_http_url(endpoint)?;
    let path = url.path().trim_end_matches('/');
    if !path.ends_with(suffix) {
        let joined = format!("{path}{suffix}");
        url.set_path(&joined);
    }
    Ok(url.to_string())
}

/// `{endpoint}/v1/traces`, unless the endpoint already ends with `/v1/traces`.
pub fn otlp_http_url(endpoint: &str) -> Result<String, ConfigError> {
    append_path(endpoint, "/v1/traces")
}

/// `{endpoint}/api/traces`, unless the endpoint already ends with `/api/traces`.
pub fn jaeger_thrift_url(endpoint: &str) -> Result<String, ConfigError> {
    append_path(endpoint, "/api/traces")
}

/// The endpoint as given, or with `/api/v2/spans` when its path is empty or `/`.
pub fn zipkin_url(endpoint: &str) -> Result<String, ConfigError> {
    let mut url = parse_http_url(endpoint)?;
    if url.path().is_empty() || url.path() == "/" {
        url.set_path("/api/v2/spans");
    }
    Ok(url.to_string())
}

/// The gRPC target URI: `grpc://` and no scheme mean `http://`, `grpcs://` means `https://`.
pub fn otlp_grpc_uri(endpoint: &str) -> Result<String, ConfigError> {
    let e = endpoint.trim();
    let uri = if let Some(rest) = e.strip_prefix("grpc://") {
        format!("http://{rest}")
    } else if let Some(rest) = e.strip_prefix("grpcs://") {
        format!("https://{rest}")
    } else if e.starts_with("http://") || e.starts_with("https://") {
        e.to_owned()
    } else if e.contains("://") {
        return Err(invalid(endpoint, "scheme must be http, https, grpc or grpcs"));
    } else {
        format!("http://{e}")
    };
    parse_http_url(&uri)?;
    Ok(uri)
}

enum Target {
    Http {
        client: HttpClient,
        url: String,
        content_type: &'static str,
        /// `Authorization` sent with every request (marked sensitive; never in `Debug`).
        authorization: Option<reqwest::header::HeaderValue>,
    },
    Grpc {
        client: TraceServiceClient<Channel>,
    },
}

/// A configured connection to one backend.
pub struct Transport {
    kind: TransportKind,
    url: String,
    target: Target,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport").field("kind", &self.kind).field("url", &self.url).finish()
    }
}

/// An encoded batch, ready to be sent (cheap to clone for retries).
#[derive(Debug, Clone)]
pub enum Payload {
    Bytes(Bytes),
    Grpc(ExportTraceServiceRequest),
}

/// The most of a backend's answer read (an OTLP partial-success message is small).
const MAX_ANSWER_BYTES: usize = 64 * 1024;

impl Transport {
    /// Builds the transport for `spec`, every connection under `policy` (an endpoint whose
    /// host is a refused literal address or metadata name fails here; a name is checked
    /// each time it resolves). Does not connect (gRPC connects lazily). Must be called
    /// inside a Tokio runtime for gRPC.
    pub fn from_spec(
        spec: &TracingConfigSpec,
        request_timeout: Duration,
        policy: &OutboundPolicy,
    ) -> Result<Self, ConfigError> {
        let kind = TransportKind::select(spec.backend, spec.exporter)?;
        let check = |url: &str| -> Result<(), ConfigError> {
            let u = reqwest::Url::parse(url).map_err(|e| invalid(&spec.endpoint, e.to_string()))?;
            policy.check_url(&u).map_err(|e| ConfigError::Refused(e.to_string()))
        };
        let http = |url: String, content_type| -> Result<Self, ConfigError> {
            check(&url)?;
            let client = policy
                .http_client(
                    reqwest::Client::builder()
                        .timeout(request_timeout)
                        .connect_timeout(request_timeout)
                        .user_agent(concat!("marchproxy-telemetry/", env!("CARGO_PKG_VERSION"))),
                )
                .map_err(|e| invalid(&spec.endpoint, summarize(&e)))?;
            Ok(Self { kind, url: url.clone(), target: Target::Http { client, url, content_type, authorization: None } })
        };
        match kind {
            TransportKind::OtlpHttp => http(otlp_http_url(&spec.endpoint)?, "application/x-protobuf"),
            TransportKind::ZipkinJson => http(zipkin_url(&spec.endpoint)?, "application/json"),
            TransportKind::JaegerThrift => http(jaeger_thrift_url(&spec.endpoint)?, "application/x-thrift"),
            TransportKind::OtlpGrpc => {
                let uri = otlp_grpc_uri(&spec.endpoint)?;
                check(&uri)?;
                let mut ep = Endpoint::from_shared(uri.clone())
                    .map_err(|e| invalid(&spec.endpoint, e.to_string()))?
                    .connect_timeout(request_timeout)
                    .timeout(request_timeout);
                if uri.starts_with("https://") {
                    ep = ep
                        .tls_config(ClientTlsConfig::new().with_webpki_roots())
                        .map_err(|e| invalid(&spec.endpoint, e.to_string()))?;
                }
                let client = TraceServiceClient::new(ep.connect_with_connector_lazy(policy.connector()));
                Ok(Self { kind, url: uri, target: Target::Grpc { client } })
            }
        }
    }

    /// Send `value` as the `Authorization` header of every export (HTTP transports only;
    /// gRPC ignores it). The proxy sets it to its cluster credential when the endpoint is
    /// its own control plane's receiver, which requires one. A value that is not a valid
    /// header is refused as an invalid endpoint configuration.
    pub fn with_authorization(mut self, value: Option<&str>) -> Result<Self, ConfigError> {
        if let Target::Http { authorization, url, .. } = &mut self.target {
            *authorization = match value {
                Some(v) => {
                    let mut h = reqwest::header::HeaderValue::from_str(v)
                        .map_err(|_| invalid(url, "the authorization value is not a valid header"))?;
                    h.set_sensitive(true);
                    Some(h)
                }
                None => None,
            };
        }
        Ok(self)
    }

    pub fn kind(&self) -> TransportKind {
        self.kind
    }

    /// The URL requests go to.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Encodes a batch in this transport's wire format.
    pub fn encode(&self, spans: &[SpanData]) -> Payload {
        match self.kind {
            TransportKind::OtlpHttp => Payload::Bytes(encode_otlp_protobuf(spans).into()),
            TransportKind::OtlpGrpc => Payload::Grpc(to_otlp_request(spans)),
            TransportKind::ZipkinJson => Payload::Bytes(encode_zipkin_json(spans).into()),
            TransportKind::JaegerThrift => Payload::Bytes(encode_jaeger_batch(spans).into()),
        }
    }

    /// Sends one encoded batch (one attempt, no timeout of its own beyond the client's).
    /// Returns the number of spans the backend reported as rejected (OTLP partial success).
    pub async fn send(&self, payload: Payload) -> Result<u64, ExportError> {
        match (&self.target, payload) {
            (Target::Http { client, url, content_type, authorization }, Payload::Bytes(body)) => {
                let mut req = client.post(url).map_err(|e| ExportError::Refused(e.to_string()))?;
                req = req.header("content-type", *content_type).body(body);
                if let Some(a) = authorization {
                    req = req.header(reqwest::header::AUTHORIZATION, a.clone());
                }
                let resp = req.send().await.map_err(|e| {
                    if find_refusal(&e).is_some() {
                        ExportError::Refused(summarize(&e))
                    } else {
                        ExportError::Transport(summarize(&e))
                    }
                })?;
                let status = resp.status();
                if !status.is_success() {
                    return Err(ExportError::Http { status: status.as_u16() });
                }
                let bytes = read_limited(resp, MAX_ANSWER_BYTES).await.unwrap_or_default();
                if self.kind == TransportKind::OtlpHttp
                    && !bytes.is_empty()
                    && let Ok(r) = ExportTraceServiceResponse::decode(bytes.as_ref())
                {
                    return Ok(rejected(&r));
                }
                Ok(0)
            }
            (Target::Grpc { client }, Payload::Grpc(req)) => {
                let mut client = client.clone();
                match client.export(req).await {
                    Ok(r) => Ok(rejected(r.get_ref())),
                    Err(s) => Err(grpc_error(&s)),
                }
            }
            _ => Err(ExportError::Transport("payload does not match transport".into())),
        }
    }
}

fn rejected(r: &ExportTraceServiceResponse) -> u64 {
    r.partial_success.as_ref().map(|p| p.rejected_spans.max(0) as u64).unwrap_or(0)
}

fn grpc_error(s: &tonic::Status) -> ExportError {
    use tonic::Code;
    let retryable = matches!(
        s.code(),
        Code::Cancelled
            | Code::DeadlineExceeded
            | Code::ResourceExhausted
            | Code::Aborted
            | Code::OutOfRange
            | Code::Unavailable
            | Code::DataLoss
    );
    let code = format!("{:?}", s.code());
    match std::error::Error::source(s) {
        // A local cause (connecting, TLS, the policy): summarised.
        Some(src) if find_refusal(src).is_some() => ExportError::Refused(summarize(src)),
        Some(src) => ExportError::Grpc { code, message: summarize(src), retryable },
        // The backend's own status: its message is the backend's text, not shown.
        None => ExportError::Grpc { code, message: String::new(), retryable },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(otlp_http_url("http://c:4318").unwrap(), "http://c:4318/v1/traces");
        assert_eq!(otlp_http_url("http://c:4318/").unwrap(), "http://c:4318/v1/traces");
        assert_eq!(otlp_http_url("http://c:4318/v1/traces").unwrap(), "http://c:4318/v1/traces");
        assert_eq!(otlp_http_url("https://c/otlp").unwrap(), "https://c/otlp/v1/traces");
        assert_eq!(jaeger_thrift_url("http://j:14268").unwrap(), "http://j:14268/api/traces");
        assert_eq!(jaeger_thrift_url("http://j:14268/api/traces").unwrap(), "http://j:14268/api/traces");
        assert_eq!(zipkin_url("http://z:9411").unwrap(), "http://z:9411/api/v2/spans");
        assert_eq!(zipkin_url("http://z:9411/").unwrap(), "http://z:9411/api/v2/spans");
        assert_eq!(zipkin_url("http://z:9411/custom").unwrap(), "http://z:9411/custom");
        assert_eq!(otlp_grpc_uri("c:4317").unwrap(), "http://c:4317");
        assert_eq!(otlp_grpc_uri("grpc://c:4317").unwrap(), "http://c:4317");
        assert_eq!(otlp_grpc_uri("grpcs://c:4317").unwrap(), "https://c:4317");
        assert_eq!(otlp_grpc_uri("https://c:4317").unwrap(), "https://c:4317");
        assert!(otlp_grpc_uri("ftp://c").is_err());
        assert!(otlp_http_url("ftp://c").is_err());
        assert!(otlp_http_url("not a url").is_err());
    }

    #[test]
    fn transport_selection() {
        use {SpanExporter as E, TracingBackend as B};
        assert_eq!(TransportKind::select(B::Otlp, E::Http), Ok(TransportKind::OtlpHttp));
        assert_eq!(TransportKind::select(B::Jaeger, E::Grpc), Ok(TransportKind::OtlpGrpc));
        assert_eq!(TransportKind::select(B::Jaeger, E::Thrift), Ok(TransportKind::JaegerThrift));
        assert_eq!(TransportKind::select(B::Zipkin, E::Http), Ok(TransportKind::ZipkinJson));
        assert!(TransportKind::select(B::Zipkin, E::Grpc).is_err());
        assert!(TransportKind::select(B::Otlp, E::Thrift).is_err());
    }

    #[test]
    fn retryable_errors() {
        assert!(ExportError::Http { status: 503 }.is_retryable());
        assert!(ExportError::Http { status: 429 }.is_retryable());
        assert!(!ExportError::Http { status: 400 }.is_retryable());
        assert!(!ExportError::Refused("refused by outbound policy".into()).is_retryable());
        assert!(ExportError::Timeout(Duration::from_secs(1)).is_retryable());
        assert!(grpc_error(&tonic::Status::unavailable("x")).is_retryable());
        assert!(!grpc_error(&tonic::Status::invalid_argument("x")).is_retryable());
    }
}
