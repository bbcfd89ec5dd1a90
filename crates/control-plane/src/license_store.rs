//! Persistence of the last good license validation, in the database (shared by replicas).

use futures::future::BoxFuture;
use marchproxy_license::{PersistedValidation, ValidationStore};

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
