//! gRPC over HTTP/2, as the request path reads it: what a gRPC request is, its status, and
//! which statuses are the server's failures. A leaf: it knows nothing else of the proxy.

use http::HeaderMap;
use http::header;

/// A gRPC request (`content-type: application/grpc[+proto|+json|…]`).
pub fn is_grpc(h: &HeaderMap) -> bool {
    h.get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/grpc"))
}

/// The `grpc-status` of a head or trailers.
pub fn grpc_status(h: &HeaderMap) -> Option<u32> {
    h.get("grpc-status")?.to_str().ok()?.parse().ok()
}

/// gRPC statuses that mean the server failed (as Envoy maps them to 5xx for outlier
/// detection): UNKNOWN, DEADLINE_EXCEEDED, INTERNAL, UNAVAILABLE, DATA_LOSS. Client-side
/// statuses (INVALID_ARGUMENT, NOT_FOUND, …) say nothing about the endpoint's health.
pub fn grpc_failure(code: u32) -> bool {
    matches!(code, 2 | 4 | 13 | 14 | 15)
}
