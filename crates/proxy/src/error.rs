//! Every proxy error maps to one status here, and the response names the error in the
//! `x-marchproxy-error` header (as linkerd's "rescue" does).

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode};

/// Header naming the proxy's error on responses the proxy generated itself.
pub const ERROR_HEADER: &str = "x-marchproxy-error";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyError {
    /// The proxy has not received a configuration yet.
    NoConfig,
    /// No service matches the Host and path.
    NoRoute,
    /// The service has no enabled route table.
    NoRouteTable,
    /// Every endpoint is unhealthy, inactive or drained.
    NoHealthyEndpoint,
    /// The upstream connection could not be established.
    ConnectFailed,
    /// The upstream did not answer in time.
    UpstreamTimeout,
    /// The upstream connection failed mid-request.
    UpstreamError,
    /// The request cannot be proxied (bad Host, bad URI).
    BadRequest,
    /// The client's request body failed while it was being sent upstream.
    ClientBodyError,
    /// The client paused its request body for longer than `--client-body-timeout-ms`.
    ClientTimeout,
    /// The request head is larger than the proxy accepts, or has too many fields.
    HeadTooLarge,
}

impl ProxyError {
    pub fn status(self) -> StatusCode {
        match self {
            ProxyError::NoRoute => StatusCode::NOT_FOUND,
            ProxyError::NoConfig | ProxyError::NoRouteTable | ProxyError::NoHealthyEndpoint => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ProxyError::ConnectFailed | ProxyError::UpstreamError => StatusCode::BAD_GATEWAY,
            ProxyError::UpstreamTimeout => StatusCode::GATEWAY_TIMEOUT,
            ProxyError::BadRequest | ProxyError::ClientBodyError => StatusCode::BAD_REQUEST,
            ProxyError::HeadTooLarge => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            ProxyError::ClientTimeout => StatusCode::REQUEST_TIMEOUT,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            ProxyError::NoConfig => "no_config",
            ProxyError::NoRoute => "no_route",
            ProxyError::NoRouteTable => "no_route_table",
            ProxyError::NoHealthyEndpoint => "no_healthy_endpoint",
            ProxyError::ConnectFailed => "connect_failed",
            ProxyError::UpstreamTimeout => "upstream_timeout",
            ProxyError::UpstreamError => "upstream_error",
            ProxyError::BadRequest => "bad_request",
            ProxyError::ClientBodyError => "client_body_error",
            ProxyError::HeadTooLarge => "request_header_too_large",
            ProxyError::ClientTimeout => "client_timeout",
        }
    }

    /// The gRPC status a gRPC client gets for this error (the HTTP-to-gRPC mapping of the
    /// gRPC spec, with a timeout as DEADLINE_EXCEEDED).
    pub fn grpc_status(self) -> u32 {
        match self {
            ProxyError::NoRoute | ProxyError::NoRouteTable => 12, // UNIMPLEMENTED
            ProxyError::NoConfig | ProxyError::NoHealthyEndpoint | ProxyError::ConnectFailed => 14, // UNAVAILABLE
            ProxyError::UpstreamError => 14,
            ProxyError::UpstreamTimeout => 4, // DEADLINE_EXCEEDED
            ProxyError::BadRequest | ProxyError::ClientBodyError | ProxyError::HeadTooLarge => 13, // INTERNAL
            ProxyError::ClientTimeout => 1,   // CANCELLED
        }
    }

    /// The response a gRPC client sees: "trailers only" (HTTP 200, `grpc-status` and
    /// `grpc-message` in the head), as gRPC servers and Envoy answer errors.
    pub fn grpc_response<B: From<Bytes>>(self) -> Response<B> {
        let mut r = Response::new(B::from(Bytes::new()));
        let h = r.headers_mut();
        h.insert(http::header::CONTENT_TYPE, HeaderValue::from_static("application/grpc"));
        h.insert("grpc-status", HeaderValue::from(self.grpc_status()));
        h.insert("grpc-message", HeaderValue::from_static(self.code()));
        h.insert(ERROR_HEADER, HeaderValue::from_static(self.code()));
        r
    }

    /// The response the client sees, with any body type that can hold the proxy's bytes.
    pub fn response<B: From<Bytes>>(self) -> Response<B> {
        let body = format!("{{\"error\":\"{}\",\"status\":{}}}\n", self.code(), self.status().as_u16());
        let mut r = Response::new(B::from(Bytes::from(body)));
        *r.status_mut() = self.status();
        r.headers_mut().insert(http::header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        r.headers_mut().insert(ERROR_HEADER, HeaderValue::from_static(self.code()));
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every variant with the status and code a client sees. The match makes a new variant a
    /// compile error here until it is listed.
    fn expected(e: ProxyError) -> (u16, &'static str) {
        match e {
            ProxyError::NoConfig => (503, "no_config"),
            ProxyError::NoRoute => (404, "no_route"),
            ProxyError::NoRouteTable => (503, "no_route_table"),
            ProxyError::NoHealthyEndpoint => (503, "no_healthy_endpoint"),
            ProxyError::ConnectFailed => (502, "connect_failed"),
            ProxyError::UpstreamTimeout => (504, "upstream_timeout"),
            ProxyError::UpstreamError => (502, "upstream_error"),
            ProxyError::BadRequest => (400, "bad_request"),
            ProxyError::ClientBodyError => (400, "client_body_error"),
            ProxyError::HeadTooLarge => (431, "request_header_too_large"),
            ProxyError::ClientTimeout => (408, "client_timeout"),
        }
    }

    const ALL: [ProxyError; 11] = [
        ProxyError::NoConfig,
        ProxyError::NoRoute,
        ProxyError::NoRouteTable,
        ProxyError::NoHealthyEndpoint,
        ProxyError::ConnectFailed,
        ProxyError::UpstreamTimeout,
        ProxyError::UpstreamError,
        ProxyError::BadRequest,
        ProxyError::ClientBodyError,
        ProxyError::HeadTooLarge,
        ProxyError::ClientTimeout,
    ];

    #[test]
    fn every_error_has_one_status_a_unique_code_and_names_itself() {
        let mut codes = std::collections::HashSet::new();
        for e in ALL {
            let (status, code) = expected(e);
            assert_eq!((e.status().as_u16(), e.code()), (status, code), "{e:?}");
            assert!(codes.insert(code), "{code} is used twice");
            let r: Response<http_body_util::Full<Bytes>> = e.response();
            assert_eq!(r.status().as_u16(), status, "{e:?}");
            assert_eq!(r.headers()[ERROR_HEADER], code);
            assert_eq!(r.headers()[http::header::CONTENT_TYPE], "application/json");
            let body = format!("{{\"error\":\"{code}\",\"status\":{status}}}\n");
            let got = futures::executor::block_on(http_body_util::BodyExt::collect(r.into_body())).unwrap().to_bytes();
            assert_eq!(got, body.as_bytes(), "{e:?}");
        }
        assert_eq!(codes.len(), ALL.len());
    }

    #[test]
    fn grpc_clients_get_trailers_only_answers() {
        for (e, status) in [
            (ProxyError::UpstreamTimeout, "4"),
            (ProxyError::ConnectFailed, "14"),
            (ProxyError::NoHealthyEndpoint, "14"),
            (ProxyError::NoRoute, "12"),
        ] {
            let r: Response<http_body_util::Full<Bytes>> = e.grpc_response();
            assert_eq!(r.status(), StatusCode::OK, "{e:?}");
            assert_eq!(r.headers()["grpc-status"], status, "{e:?}");
            assert_eq!(r.headers()["grpc-message"], e.code());
            assert_eq!(r.headers()[http::header::CONTENT_TYPE], "application/grpc");
        }
    }
}
