//! How long an upstream exchange may wait, and for whom. The upstream is given
//! `response` for each step that depends on it (connecting with TLS, taking the request
//! head and each body chunk, answering with a response head once the body is sent); the
//! client is given `client_body` to produce each next chunk of its request body. A slow
//! client therefore times out as a client error (408) and never as the endpoint's failure.

use std::future::Future;
use std::time::Duration;

use crate::upstream::error::{Exchange, UpError};

/// The time limits of one pool's exchanges.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// `--upstream-timeout-seconds`: each step the upstream must take.
    pub response: Duration,
    /// `--client-body-timeout-ms`: the longest pause in a client's request body.
    pub client_body: Duration,
}

/// `f`, or [`UpError::Timeout`] when the upstream has not done its part within `limit`.
pub(crate) async fn upstream<T>(limit: Duration, f: impl Future<Output = Result<T, Exchange>>) -> Result<T, Exchange> {
    tokio::time::timeout(limit, f).await.unwrap_or_else(|_| Err(UpError::Timeout.into()))
}
