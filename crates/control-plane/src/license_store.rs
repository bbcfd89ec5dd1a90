//! Where the license meets the database: the last good validation (shared by replicas),
//! and the entitlement the proxies' snapshots carry, kept in step with the license.

use std::sync::Arc;

use futures::future::BoxFuture;
use marchproxy_license::{ENTERPRISE_FEATURES, LicenseManager, LicenseStatus, PersistedValidation, ValidationStore};

use crate::db::{Db, ms_to_time};
use crate::store;

pub struct DbValidationStore(pub Db);

impl ValidationStore for DbValidationStore {
    fn load(&self, key_hash: &str) -> BoxFuture<'_, Option<PersistedValidation>> {
        let key_hash = key_hash.to_string();
        Box::pin(async move {
            let (response, at) =
                store::license_validations::load_license_validation(&self.0, &key_hash).await.ok()??;
            let response = serde_json::from_str(&response).ok()?;
            Some(PersistedValidation { key_hash, response, validated_at: ms_to_time(at) })
        })
    }

    fn save(&self, v: PersistedValidation) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let response = serde_json::to_string(&v.response).expect("serializes");
            if let Err(e) = store::license_validations::save_license_validation(
                &self.0,
                &v.key_hash,
                &response,
                v.validated_at.timestamp_millis(),
            )
            .await
            {
                tracing::warn!(error = %e, "could not persist the license validation");
            }
        })
    }
}

/// The enterprise features `status` entitles, in the store's vocabulary.
fn entitled(status: &LicenseStatus) -> Vec<&'static str> {
    ENTERPRISE_FEATURES.iter().copied().filter(|f| status.has_feature(f)).collect()
}

/// Bring the served entitlement in line with the license now (before the API serves, so the
/// first snapshot a proxy gets is already right).
pub async fn sync_entitlement(db: &Db, license: &LicenseManager) -> anyhow::Result<()> {
    let features = entitled(&license.status());
    if store::entitlement::sync(db, &features).await.map_err(|e| anyhow::anyhow!("{e}"))? {
        tracing::info!(features = ?features, "snapshots now carry the licensed enterprise features");
    }
    Ok(())
}

/// How often a replica re-asserts its view of the entitlement even when its license did
/// not change: replicas that disagree (a rollout changing LICENSE_KEY) converge on the
/// newest view within this, instead of the last writer's holding until the next hourly
/// re-validation. Costs one read when nothing changed.
const RESYNC_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// Keep the served entitlement in line with the license: on every re-evaluation that
/// changes it (a lapse, a new key), every cluster's snapshot changes at once.
pub fn spawn_entitlement_sync(db: Db, license: Arc<LicenseManager>) -> tokio::task::JoinHandle<()> {
    let mut rx = license.subscribe();
    tokio::spawn(async move {
        rx.borrow_and_update();
        let mut resync = tokio::time::interval(RESYNC_EVERY);
        resync.tick().await;
        loop {
            tokio::select! {
                changed = rx.changed() => if changed.is_err() { break },
                _ = resync.tick() => {}
            }
            let status = rx.borrow_and_update().clone();
            let features = entitled(&status);
            // A failed write is retried on the next re-evaluation (the refresher's interval).
            match store::entitlement::sync(&db, &features).await {
                Ok(true) => {
                    tracing::warn!(features = ?features, tier = ?status.tier, "license entitlement changed; proxies receive new snapshots")
                }
                Ok(false) => {}
                Err(e) => tracing::warn!(error = %e, "could not record the license entitlement"),
            }
        }
    })
}
