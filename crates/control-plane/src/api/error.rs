//! The API's one error type. Every error maps to exactly one HTTP status here, and
//! every response body has the `detail` shape existing MarchProxy clients parse.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use marchproxy_model::{FieldError, ValidationErrors};
use serde_json::json;

use crate::auth::InvalidToken;
use crate::drill::DrillError;
use crate::span_ingest::IngestError;
use crate::state::Unlicensed;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 422: input failed parsing or validation; one entry per bad field.
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// 409: valid input that refers to stored objects that do not exist or do not fit (a
    /// missing cluster, a service of another cluster); one entry per field, as for 422.
    #[error("reference to missing or mismatched objects")]
    Reference(Vec<FieldError>),
    /// 400: a request that is well-formed but cannot be honoured as asked.
    #[error("{0}")]
    BadRequest(String),
    /// 401: missing, invalid or expired credentials.
    #[error("{0}")]
    Unauthorized(String),
    /// 403: authenticated but not allowed (role).
    #[error("{0}")]
    Forbidden(String),
    /// 403: the license does not include an enterprise feature.
    #[error("enterprise feature `{feature}` not available")]
    License { feature: &'static str },
    /// 404.
    #[error("{0}")]
    NotFound(String),
    /// 408: the request was not answered within the server's request timeout.
    #[error("{0}")]
    RequestTimeout(String),
    /// 413: the request (body, or what it decodes to) exceeds a limit.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// 409: the request conflicts with the current state.
    #[error("{0}")]
    Conflict(String),
    /// 429: too many failed logins.
    #[error("{message}")]
    TooManyRequests { message: String, retry_after_secs: u64 },
    /// 503: a dependency (database) is down.
    #[error("{0}")]
    Unavailable(String),
    /// 500: a bug or an unexpected failure; logged with detail, reported generically.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) | ApiError::License { .. } => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) | ApiError::Reference(_) => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::RequestTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A single-field 422.
    pub fn field(loc: &[&str], msg: impl Into<String>) -> Self {
        ApiError::Validation(vec![FieldError {
            loc: loc.iter().map(|s| serde_json::Value::from(*s)).collect(),
            msg: msg.into(),
            kind: "value_error".into(),
        }])
    }

    pub fn not_found(what: &str, id: impl std::fmt::Display) -> Self {
        ApiError::NotFound(format!("{what} {id} not found"))
    }
}

impl From<ValidationErrors> for ApiError {
    fn from(e: ValidationErrors) -> Self {
        ApiError::Validation(e.errors)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Invalid(errors) => ApiError::Reference(errors),
            StoreError::NotFound(m) => ApiError::NotFound(m),
            StoreError::Conflict(m) => ApiError::Conflict(m),
            StoreError::LimitReached(m) => ApiError::Forbidden(m),
            StoreError::Unavailable(m) => ApiError::Unavailable(m),
            StoreError::Internal(e) => ApiError::Internal(e),
        }
    }
}

impl From<IngestError> for ApiError {
    fn from(e: IngestError) -> Self {
        match e {
            IngestError::Full => ApiError::TooManyRequests { message: e.to_string(), retry_after_secs: 1 },
            IngestError::Closed => ApiError::Unavailable(e.to_string()),
            IngestError::Store(e) => e.into(),
        }
    }
}

impl From<DrillError> for ApiError {
    fn from(e: DrillError) -> Self {
        match e {
            DrillError::NoProxyOnline(m) => ApiError::Conflict(m),
            DrillError::Store(e) => e.into(),
        }
    }
}

impl From<Unlicensed> for ApiError {
    fn from(e: Unlicensed) -> Self {
        ApiError::License { feature: e.feature }
    }
}

impl From<InvalidToken> for ApiError {
    fn from(_: InvalidToken) -> Self {
        ApiError::Unauthorized("Not authenticated".into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status_code();
        let body = match &self {
            ApiError::Validation(errors) | ApiError::Reference(errors) => json!({ "detail": errors }),
            ApiError::License { feature } => json!({ "detail": {
                "error": "Enterprise feature not available",
                "feature": feature,
                "message": format!("{} requires a MarchProxy Enterprise license. Upgrade to unlock it.", feature_title(feature)),
                "upgrade_url": marchproxy_license::UPGRADE_URL,
            }}),
            ApiError::Internal(err) => {
                // One escaped line: the chain joined with `: ` (`{:#}`), then quoted by `?`, so
                // text in an error (which may echo a client's input) cannot forge log lines.
                tracing::error!(error = ?format!("{err:#}"), "internal error");
                json!({ "detail": "internal server error" })
            }
            other => json!({ "detail": other.to_string() }),
        };
        let mut resp = (status, Json(body)).into_response();
        match &self {
            ApiError::Unauthorized(_) => {
                resp.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            ApiError::TooManyRequests { retry_after_secs, .. } => {
                if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                    resp.headers_mut().insert(header::RETRY_AFTER, v);
                }
            }
            _ => {}
        }
        resp
    }
}

fn feature_title(feature: &str) -> &'static str {
    match feature {
        "traffic_shaping" => "Traffic Shaping & QoS",
        "multi_cloud_routing" => "Multi-Cloud Routing",
        "distributed_tracing" => "Distributed Tracing",
        _ => "This feature",
    }
}
