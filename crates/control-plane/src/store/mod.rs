//! Storage: every SQL statement of MarchProxy lives under this module, one file per
//! resource (mirroring `marchproxy_model` and `api/`):
//!
//! - [`users`] (and login attempts), [`clusters`], [`services`], [`proxies`];
//! - [`qos_policies`] and [`qos_leases`] (proxies' shares of cluster-wide limits), [`route_tables`] (with endpoint health and drains), [`tracing_configs`];
//! - [`spans`] (the embedded span store), [`stats`] (tracing, QoS and traffic/cost
//!   aggregates), [`reports`] (applying proxy reports exactly once);
//! - [`leases`], [`license_validations`], [`entitlement`] (the enterprise features the
//!   snapshots carry);
//! - [`snapshot`]: a cluster's configuration as one versioned document;
//! - [`error`]: [`StoreError`]; `rows`: typed columns, filters, and the generic operations
//!   of cluster-scoped tables.
//!
//! Architecture invariant: handlers never write SQL; they call these functions, which
//! take and return model types. Every write that changes what a cluster's proxies must
//! enforce bumps that cluster's `config_version` in the same transaction.

pub mod clusters;
pub mod entitlement;
pub mod error;
pub mod leases;
pub mod license_validations;
pub mod proxies;
pub mod qos_leases;
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

use std::ops::{Deref, DerefMut};

use sqlx::{Any, AnyConnection, Transaction};

use crate::db::{Db, DbKind};
use crate::events::ConfigEvents;

pub use error::{StoreError, StoreResult};

/// A write transaction: one configuration change. [`bump_version`] marks it, and
/// [`commit`](WriteTx::commit) then wakes the proxies' long-polls (on this replica, and on
/// the others through Redis) once the new version is visible. Dropped without a commit it
/// rolls back and wakes nobody. It derefs to the connection, so `&mut *tx` executes in it.
pub struct WriteTx<'a> {
    tx: Transaction<'static, Any>,
    events: &'a ConfigEvents,
    /// Set by [`bump_version`]: some cluster's `config_version` changed in this transaction.
    bumped: bool,
}

/// Begin a transaction that will write. On SQLite it starts with `BEGIN IMMEDIATE`, taking
/// the write lock up front: a deferred transaction that reads first and writes later fails
/// at once with SQLITE_BUSY_SNAPSHOT (517) when another connection wrote in between, which
/// the busy timeout cannot absorb. PostgreSQL uses a plain `BEGIN`.
pub async fn begin_write(db: &Db) -> StoreResult<WriteTx<'_>> {
    let tx = match db.kind {
        DbKind::Sqlite => db.pool.begin_with("BEGIN IMMEDIATE").await?,
        DbKind::Postgres => db.pool.begin().await?,
    };
    Ok(WriteTx { tx, events: &db.events, bumped: false })
}

impl WriteTx<'_> {
    /// This transaction changed configuration versions by a statement of its own (see
    /// [`entitlement::sync`]); the commit wakes the long-polls.
    pub(crate) fn mark_bumped(&mut self) {
        self.bumped = true;
    }

    /// Commit; if the transaction bumped a configuration version, wake the long-polls.
    pub async fn commit(self) -> StoreResult<()> {
        self.tx.commit().await?;
        if self.bumped {
            self.events.changed();
        }
        Ok(())
    }
}

impl Deref for WriteTx<'_> {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        &self.tx
    }
}

impl DerefMut for WriteTx<'_> {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }
}

/// Begin a read-only transaction whose reads all see one snapshot of the database.
/// PostgreSQL: `REPEATABLE READ READ ONLY` (the snapshot is taken at the first statement;
/// the default READ COMMITTED takes one per statement). SQLite: a deferred `BEGIN`, whose
/// first read fixes the snapshot the rest of the transaction sees (WAL mode).
pub async fn begin_read(db: &Db) -> StoreResult<Transaction<'static, Any>> {
    Ok(match db.kind {
        DbKind::Sqlite => db.pool.begin().await?,
        DbKind::Postgres => db.pool.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").await?,
    })
}

/// Bump a cluster's configuration version inside the caller's transaction, which then
/// wakes the long-polls when it commits. With [`entitlement::sync`] (every cluster at once,
/// when the license's entitlement changes) the only statements that change `config_version`.
pub async fn bump_version(tx: &mut WriteTx<'_>, cluster_id: i64) -> StoreResult<()> {
    sqlx::query("UPDATE clusters SET config_version = config_version + 1 WHERE id = $1")
        .bind(cluster_id)
        .execute(&mut **tx)
        .await?;
    tx.bumped = true;
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
pub(crate) async fn bump_both(tx: &mut WriteTx<'_>, a: i64, b: i64) -> StoreResult<()> {
    bump_version(tx, a).await?;
    if a != b {
        bump_version(tx, b).await?;
    }
    Ok(())
}
