//! Errors of the upstream client: what callers see ([`UpError`]) and, inside an exchange,
//! whether the upstream had started to answer (`Exchange`).

use std::io;

/// Why an upstream exchange failed.
#[derive(Debug, thiserror::Error)]
pub enum UpError {
    #[error("connect: {0}")]
    Connect(String),
    #[error("upstream connection failed: {0}")]
    Io(#[from] io::Error),
    #[error("invalid response from upstream: {0}")]
    Protocol(&'static str),
    #[error("request body: {0}")]
    Body(String),
    /// The upstream did not take its next step in time (`limits.rs`).
    #[error("upstream timed out")]
    Timeout,
    /// The client paused its request body for longer than it may (`limits.rs`).
    #[error("the client's request body timed out")]
    ClientTimeout,
}

impl UpError {
    pub fn is_connect(&self) -> bool {
        matches!(self, UpError::Connect(_))
    }
}

/// A failed exchange, and whether any byte of a response had arrived (a request that got
/// no answer at all may be replayed on a new connection).
pub(crate) struct Exchange {
    pub(crate) error: UpError,
    pub(crate) responded: bool,
}

impl From<UpError> for Exchange {
    fn from(error: UpError) -> Self {
        Exchange { error, responded: false }
    }
}

impl From<io::Error> for Exchange {
    fn from(e: io::Error) -> Self {
        Exchange { error: UpError::Io(e), responded: false }
    }
}
