//! The storage layer's one error type. It says what went wrong in storage terms; the API
//! maps each variant to exactly one HTTP status (`api::error`), keeping every message.

use marchproxy_model::FieldError;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The input refers to something that does not exist or does not fit (a missing
    /// cluster, a service of another cluster); one entry per bad field.
    #[error("validation failed")]
    Invalid(Vec<FieldError>),
    /// The object asked for does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The write conflicts with stored objects (a unique name, a reference).
    #[error("{0}")]
    Conflict(String),
    /// A license limit stops the write (proxies per cluster).
    #[error("{0}")]
    LimitReached(String),
    /// The database cannot be reached.
    #[error("{0}")]
    Unavailable(String),
    /// A bug or an unexpected failure (bad stored data, a failed statement).
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

pub type StoreResult<T> = Result<T, StoreError>;

impl StoreError {
    /// A single bad field of the request body, e.g. `field(&["body", "cluster_id"], ...)`.
    pub fn field(loc: &[&str], msg: impl Into<String>) -> Self {
        StoreError::Invalid(vec![FieldError {
            loc: loc.iter().map(|s| serde_json::Value::from(*s)).collect(),
            msg: msg.into(),
            kind: "value_error".into(),
        }])
    }

    pub fn not_found(what: &str, id: impl std::fmt::Display) -> Self {
        StoreError::NotFound(format!("{what} {id} not found"))
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &e {
            // The Any driver does not always carry the error kind; fall back to the codes
            // (PostgreSQL SQLSTATE, SQLite extended result codes) and messages.
            let code = db.code().map(|c| c.to_string()).unwrap_or_default();
            let msg = db.message();
            if db.is_unique_violation()
                || code == "23505"
                || code == "2067"
                || code == "1555"
                || msg.contains("UNIQUE constraint failed")
            {
                return StoreError::Conflict("an object with these unique values already exists".into());
            }
            // PostgreSQL going away: shutting down or restarting (57P01-57P03), a lost
            // connection (class 08), no connection slots (53300). The API answers 503.
            if code.starts_with("57P") || code.starts_with("08") || code == "53300" {
                return StoreError::Unavailable("database unavailable".into());
            }
            // A lock not granted within the transaction's `lock_timeout` (55P03): too many
            // callers queue on one row (QoS leases of one policy); they retry.
            if code == "55P03" {
                return StoreError::Unavailable("busy; retry".into());
            }
            if db.is_foreign_key_violation()
                || code == "23503"
                || code == "787"
                || msg.contains("FOREIGN KEY constraint failed")
            {
                return StoreError::Conflict("the object is referenced by, or references, another object".into());
            }
        }
        if matches!(
            e,
            sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed | sqlx::Error::WorkerCrashed
        ) {
            return StoreError::Unavailable("database unavailable".into());
        }
        StoreError::Internal(anyhow::Error::new(e).context("database error"))
    }
}

/// A unique violation on a name, said with the name (`a cluster named `x` already exists`).
pub(crate) fn conflict_name(e: sqlx::Error, what: &str, name: &str) -> StoreError {
    match StoreError::from(e) {
        StoreError::Conflict(_) => StoreError::Conflict(format!("a {what} named `{}` already exists", name.trim())),
        other => other,
    }
}
