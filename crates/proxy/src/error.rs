//! Every proxy error maps to one status here, and the response names the error in the
//! `x-marchproxy-error` header (as linkerd's "rescue" does).

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode};

use crate::body::RespBody;

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
        }
    }

    /// The response the client sees.
    pub fn response(self) -> Response<RespBody> {
        let body = format!("{{\"error\":\"{}\",\"status\":{}}}\n", self.code(), self.status().as_u16());
        let mut r = Response::new(RespBody::full(Bytes::from(body)));
        *r.status_mut() = self.status();
        r.headers_mut().insert(http::header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        r.headers_mut().insert(ERROR_HEADER, HeaderValue::from_static(self.code()));
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        let m = [
            (ProxyError::NoRoute, 404),
            (ProxyError::NoHealthyEndpoint, 503),
            (ProxyError::ConnectFailed, 502),
            (ProxyError::UpstreamTimeout, 504),
        ];
        for (e, s) in m {
            let r = e.response();
            assert_eq!(r.status().as_u16(), s);
            assert_eq!(r.headers()[ERROR_HEADER], e.code());
        }
    }
}
