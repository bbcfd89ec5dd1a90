//! Housekeeping: expired login attempts, token revocations and QoS leases are pruned, so
//! no table grows with the number of clients (or proxies) that ever came. Every replica runs it (the
//! deletes are idempotent and cheap).

use std::time::Duration;

use crate::state::AppState;
use crate::store;

/// How often to prune.
const EVERY: Duration = Duration::from_secs(300);

pub fn spawn(st: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(EVERY);
        loop {
            tick.tick().await;
            let window = st.login_policy.window.max(st.login_policy.lockout).as_millis() as i64;
            match store::users::prune(&st.db, window).await {
                Ok(0) => {}
                Ok(n) => tracing::debug!(rows = n, "pruned login attempts and token revocations"),
                Err(e) => tracing::warn!(error = %e, "pruning login attempts failed"),
            }
            if let Err(e) = store::qos_leases::prune(&st.db).await {
                tracing::warn!(error = %e, "pruning expired QoS leases failed");
            }
        }
    })
}
