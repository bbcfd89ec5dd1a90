//! Fake trace backends on 127.0.0.1:0 that speak the real protocols and decode payloads.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use marchproxy_model::tracing_config::TracingConfigSpec;
use marchproxy_telemetry::encode::{JaegerBatch, decode_jaeger_batch};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{TraceService, TraceServiceServer};
use opentelemetry_proto::tonic::collector::trace::v1::{ExportTraceServiceRequest, ExportTraceServiceResponse};
use prost::Message;

pub fn spec(backend: &str, exporter: &str, endpoint: &str) -> TracingConfigSpec {
    serde_json::from_value(serde_json::json!({
        "name": "test-config", "cluster_id": 7, "backend": backend, "endpoint": endpoint,
        "exporter": exporter, "sampling_strategy": "always", "service_name": "edge-proxy",
        "custom_tags": {"env": "test", "region": "eu-1"}
    }))
    .unwrap()
}

/// What a receiver got.
#[derive(Default)]
pub struct Received<T> {
    pub items: Mutex<Vec<T>>,
    pub content_types: Mutex<Vec<String>>,
    /// Each request's `Authorization` header (`None` when absent).
    pub authorizations: Mutex<Vec<Option<String>>>,
    pub requests: AtomicUsize,
}

impl<T: Clone> Received<T> {
    pub fn items(&self) -> Vec<T> {
        self.items.lock().unwrap().clone()
    }
    pub fn count(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

/// How the fake HTTP backend answers: the first `fail_first` requests get `fail_status`;
/// every request waits `delay` first.
#[derive(Clone, Copy)]
pub struct Behaviour {
    pub fail_first: usize,
    pub fail_status: u16,
    pub delay: Duration,
}

impl Default for Behaviour {
    fn default() -> Self {
        Self { fail_first: 0, fail_status: 503, delay: Duration::ZERO }
    }
}

struct HttpState<T> {
    rx: Arc<Received<T>>,
    behaviour: Behaviour,
    decode: fn(&[u8]) -> Result<T, String>,
}

async fn handle<T: Send + 'static>(
    State(st): State<Arc<HttpState<T>>>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, String) {
    let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).map(str::to_owned);
    st.rx.authorizations.lock().unwrap().push(auth);
    let n = st.rx.requests.fetch_add(1, Ordering::SeqCst);
    if !st.behaviour.delay.is_zero() {
        tokio::time::sleep(st.behaviour.delay).await;
    }
    if n < st.behaviour.fail_first {
        return (StatusCode::from_u16(st.behaviour.fail_status).unwrap(), "backend overloaded: try later".into());
    }
    let ct = headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    st.rx.content_types.lock().unwrap().push(ct);
    match (st.decode)(&body) {
        Ok(v) => {
            st.rx.items.lock().unwrap().push(v);
            (StatusCode::OK, String::new())
        }
        Err(e) => (StatusCode::BAD_REQUEST, e),
    }
}

async fn serve_http<T: Send + 'static>(
    path: &'static str,
    behaviour: Behaviour,
    decode: fn(&[u8]) -> Result<T, String>,
) -> (SocketAddr, Arc<Received<T>>) {
    let rx = Arc::new(Received {
        items: Mutex::new(Vec::new()),
        content_types: Mutex::new(Vec::new()),
        authorizations: Mutex::new(Vec::new()),
        requests: AtomicUsize::new(0),
    });
    let st = Arc::new(HttpState { rx: rx.clone(), behaviour, decode });
    let app = axum::Router::new().route(path, post(handle::<T>)).with_state(st);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (addr, rx)
}

fn decode_otlp(b: &[u8]) -> Result<ExportTraceServiceRequest, String> {
    ExportTraceServiceRequest::decode(b).map_err(|e| e.to_string())
}
fn decode_zipkin(b: &[u8]) -> Result<serde_json::Value, String> {
    let v: serde_json::Value = serde_json::from_slice(b).map_err(|e| e.to_string())?;
    if !v.is_array() {
        return Err("expected a JSON array of spans".into());
    }
    Ok(v)
}
fn decode_thrift(b: &[u8]) -> Result<JaegerBatch, String> {
    decode_jaeger_batch(b).map_err(|e| e.to_string())
}

/// OTLP/HTTP receiver on `/v1/traces`, decoding protobuf with prost.
pub async fn otlp_http(b: Behaviour) -> (SocketAddr, Arc<Received<ExportTraceServiceRequest>>) {
    serve_http("/v1/traces", b, decode_otlp).await
}

/// Zipkin receiver on `/api/v2/spans`, parsing the JSON array.
pub async fn zipkin(b: Behaviour) -> (SocketAddr, Arc<Received<serde_json::Value>>) {
    serve_http("/api/v2/spans", b, decode_zipkin).await
}

/// Jaeger collector on `/api/traces`, decoding Thrift binary.
pub async fn jaeger_thrift(b: Behaviour) -> (SocketAddr, Arc<Received<JaegerBatch>>) {
    serve_http("/api/traces", b, decode_thrift).await
}

struct GrpcSvc {
    rx: Arc<Received<ExportTraceServiceRequest>>,
    fail_with: Option<tonic::Code>,
}

#[tonic::async_trait]
impl TraceService for GrpcSvc {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        self.rx.requests.fetch_add(1, Ordering::SeqCst);
        if let Some(code) = self.fail_with {
            return Err(tonic::Status::new(code, "collector says no"));
        }
        self.rx.items.lock().unwrap().push(request.into_inner());
        Ok(tonic::Response::new(ExportTraceServiceResponse { partial_success: None }))
    }
}

/// OTLP/gRPC receiver (tonic `TraceService`).
pub async fn otlp_grpc(fail_with: Option<tonic::Code>) -> (SocketAddr, Arc<Received<ExportTraceServiceRequest>>) {
    let rx = Arc::new(Received {
        items: Mutex::new(Vec::new()),
        content_types: Mutex::new(Vec::new()),
        authorizations: Mutex::new(Vec::new()),
        requests: AtomicUsize::new(0),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let svc = GrpcSvc { rx: rx.clone(), fail_with };
    tokio::spawn(async move {
        tonic::transport::Server::builder()
            .add_service(TraceServiceServer::new(svc))
            .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener))
            .await
            .unwrap();
    });
    (addr, rx)
}

/// An address nothing listens on.
pub async fn closed_port() -> SocketAddr {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let a = l.local_addr().unwrap();
    drop(l);
    a
}
