//! Storage: every SQL statement of MarchProxy lives under this module, one file per
//! resource (mirroring `marchproxy_model` and `api/`):
//!
//! - [`users`] (and login attempts), [`clusters`], [`services`], [`proxies`];
//! - [`qos_policies`], [`route_tables`] (with endpoint health and drains), [`tracing_configs`];
//! - [`spans`] (the embedded span store), [`stats`] (tracing, QoS and traffic/cost
//!   aggregates), [`reports`] (applying proxy reports exactly once);
//! - [`leases`], [`license_validations`];
//! - [`snapshot`]: a cluster's configuration as one versioned document;
//! - [`error`]: [`StoreError`]; `rows`: typed columns, filters, and the generic operations
//!   of cluster-scoped tables.
//!
//! Architecture invariant: handlers never write SQL; they call these functions, which
//! take and return model types. Every write that changes what a cluster's proxies must
//! enforce bumps that cluster's `config_version` in the same transaction.

pub mod clusters;
pub mod error;
pub mod leases;
pub mod license_validations;
pub mod proxies;
pub mod qos_policies;
pub mod reports;
pub mod route_tables;
mod rows;
pub mod services;
pub mod snapshot;
pub mod spans;
pub mod stats;
pub mod tracing_configs;
pub mod users;

use sqlx::{Any, Transaction};

pub use error::{StoreError, StoreResult};

pub type Tx<'a> = Transaction<'a, Any>;

/// Begin a transaction that will write. On SQLite it starts with `BEGIN IMMEDIATE`, taking
/// the write lock up front: a deferred transaction that reads first and writes later fails
/// at once with SQLITE_BUSY_SNAPSHOT (517) when another connection wrote in between, which
/// the busy timeout cannot absorb. PostgreSQL uses a plain `BEGIN`.
pub async fn begin_write(pool: &sqlx::AnyPool) -> Result<Tx<'static>, StoreError> {
    let sqlite = pool.connect_options().database_url.scheme() == "sqlite";
    Ok(if sqlite { pool.begin_with("BEGIN IMMEDIATE").await? } else { pool.begin().await? })
}

/// Bump a cluster's configuration version (inside the caller's transaction).
pub async fn bump_version(tx: &mut Tx<'_>, cluster_id: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE clusters SET config_version = config_version + 1 WHERE id = $1")
        .bind(cluster_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Which rows a list returns: the filters a resource supports (the others are ignored),
/// then one page in id order.
#[derive(Debug, Clone, Copy, Default)]
pub struct ListFilter {
    pub cluster_id: Option<i64>,
    pub service_id: Option<i64>,
    /// Only rows with `enabled = TRUE`.
    pub enabled_only: bool,
    pub skip: u32,
    pub limit: u32,
}

/// Bump the versions of the cluster a row was in and the cluster it is in now.
pub(crate) async fn bump_both(tx: &mut Tx<'_>, a: i64, b: i64) -> Result<(), StoreError> {
    bump_version(tx, a).await?;
    if a != b {
        bump_version(tx, b).await?;
    }
    Ok(())
}
