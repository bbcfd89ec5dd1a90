//! The enterprise features the proxies' snapshots carry: what the license entitles,
//! recorded so that each snapshot version has one meaning. A change of entitlement (a
//! license that lapses, or one activated) bumps every cluster's version in the same
//! transaction, so it reaches every proxy at once, like any configuration change.

use sqlx::Any;
use sqlx::Executor;

use super::rows::RowExt;
use super::{WriteTx, begin_write};
use crate::db::Db;
use crate::store::error::StoreResult;

/// The served features, as the store keeps them: sorted, comma-separated.
fn encode(features: &[&str]) -> String {
    let mut v: Vec<&str> = features.to_vec();
    v.sort_unstable();
    v.dedup();
    v.join(",")
}

/// The features the snapshots carry now (in the snapshot's read transaction).
pub async fn served<'c>(ex: impl Executor<'c, Database = Any>) -> StoreResult<Vec<String>> {
    let row = sqlx::query("SELECT features FROM served_entitlement WHERE id = 1").fetch_optional(ex).await?;
    let text = row.map(|r| r.str("features")).transpose()?.unwrap_or_default();
    Ok(text.split(',').filter(|f| !f.is_empty()).map(str::to_string).collect())
}

/// Record `features` as the served entitlement; if that changes it, bump every cluster's
/// version (waking the long-polls on commit). Returns whether it changed. Idempotent:
/// replicas with the same license agree and the second one changes nothing.
pub async fn sync(db: &Db, features: &[&str]) -> StoreResult<bool> {
    let want = encode(features);
    let mut tx: WriteTx<'_> = begin_write(db).await?;
    let current = served(&mut *tx).await?.join(",");
    if current == want {
        return Ok(false);
    }
    sqlx::query("UPDATE served_entitlement SET features = $1 WHERE id = 1").bind(&want).execute(&mut *tx).await?;
    sqlx::query("UPDATE clusters SET config_version = config_version + 1").execute(&mut *tx).await?;
    tx.mark_bumped();
    tx.commit().await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::encode;

    #[test]
    fn encoding_is_canonical() {
        assert_eq!(encode(&["b", "a", "b"]), "a,b");
        assert_eq!(encode(&[]), "");
    }
}
