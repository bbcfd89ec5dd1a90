//! Live failover drills. The endpoint is drained (taken out of rotation) in every proxy
//! of the cluster for a bounded time; the proxies' acknowledged config versions tell how
//! long the switch took, and their traffic reports tell whether traffic really moved and
//! whether any request failed. The endpoint is restored at the end.
//!
//! A drill runs in its own task and is recorded (`failover_drills`), so it ends, restores
//! and records its result even when the client that asked for it stops waiting; any
//! replica answers for it (`GET …/drills/{drill_id}`).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use marchproxy_model::Timestamp;
use marchproxy_model::route_table::{EndpointHealth, RouteTable};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::{ms_to_time, now_ms};
use crate::state::AppState;
use crate::store::{self, ListFilter, StoreError};

// What a failover drill found; a dry run fills in only the prediction. (A plain comment:
// a doc comment would change the OpenAPI schema.)
#[derive(Serialize, Deserialize, ToSchema, Debug)]
pub struct FailoverResult {
    pub route_table_id: i64,
    pub dry_run: bool,
    // A live drill's record (GET …/routes/{id}/drills/{drill_id}); null for a dry run.
    pub drill_id: Option<i64>,
    pub removed_endpoint: Option<String>,
    pub failover_target: Option<String>,
    pub switch_time_ms: Option<f64>,
    pub failed_requests: Option<i64>,
    pub traffic_moved: Option<bool>,
    pub restored: bool,
    pub message: String,
    // The original MarchProxy API's fields: the table, the endpoint whose failure was
    // simulated, active endpoints by last probe (unknown counts as healthy), and
    // `success` or `no_healthy_endpoints` (nowhere for traffic to go).
    pub route_id: i64,
    pub route_name: String,
    pub algorithm: String,
    pub auto_failover_enabled: bool,
    pub simulated_failure: Option<String>,
    pub healthy_endpoints: Vec<String>,
    pub unhealthy_endpoints: Vec<String>,
    pub test_status: String,
}

impl FailoverResult {
    /// The prediction for `table` with `removed` out of rotation (`None`: nothing removed)
    /// and traffic going to `target`; a live drill adds its measurements.
    pub fn predicted(
        table: &RouteTable,
        health: &[EndpointHealth],
        removed: Option<&str>,
        target: Option<String>,
        message: String,
    ) -> Self {
        let healthy = |ep: &str| health.iter().find(|h| h.endpoint == ep).is_none_or(|h| h.is_healthy);
        let active = table.spec.routes.iter().filter(|r| r.is_active).map(|r| r.endpoint.clone());
        let (healthy_endpoints, unhealthy_endpoints) = active.partition(|ep: &String| healthy(ep));
        FailoverResult {
            route_table_id: table.id,
            dry_run: true,
            drill_id: None,
            removed_endpoint: removed.map(str::to_string),
            test_status: if target.is_some() { "success" } else { "no_healthy_endpoints" }.to_string(),
            failover_target: target,
            switch_time_ms: None,
            failed_requests: None,
            traffic_moved: None,
            restored: true,
            message,
            route_id: table.id,
            route_name: table.spec.name.clone(),
            algorithm: table.spec.algorithm.as_str().to_string(),
            auto_failover_enabled: table.spec.enable_auto_failover,
            simulated_failure: removed.map(str::to_string),
            healthy_endpoints,
            unhealthy_endpoints,
        }
    }
}

/// Why a live drill did not run.
#[derive(Debug, thiserror::Error)]
pub enum DrillError {
    /// No proxy of the cluster is online, so no live traffic can move.
    #[error("{0}")]
    NoProxyOnline(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Proxies report at least this often while they carry traffic.
const REPORT_SETTLE: Duration = Duration::from_millis(2500);

/// A drill still `running` this long after its endpoint returned to rotation was lost: the
/// replica running it stopped (it finishes REPORT_SETTLE after the end).
const LOST_AFTER: Duration = Duration::from_secs(60);

/// Where a live drill is.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum DrillStatus {
    /// The endpoint is out of rotation, or its traffic reports are being read.
    Running,
    /// Ended; `result` holds what it found.
    Finished,
    /// Stopped by an error; `error` says which. The endpoint returned to rotation at `ends_at`.
    Failed,
    /// The control-plane replica running it stopped before it ended. The endpoint returned
    /// to rotation at `ends_at`; no result was recorded.
    Lost,
}

/// A live failover drill: which endpoint is out of rotation, until when, and once it ended,
/// what it found.
#[derive(Serialize, Deserialize, ToSchema, Debug)]
pub struct FailoverDrill {
    pub id: i64,
    pub route_table_id: i64,
    /// The endpoint taken out of rotation.
    pub endpoint: String,
    pub duration_seconds: u32,
    pub status: DrillStatus,
    #[schema(value_type = String)]
    pub started_at: Timestamp,
    /// When the endpoint returns to rotation (`started_at` + `duration_seconds`).
    #[schema(value_type = String)]
    pub ends_at: Timestamp,
    #[schema(value_type = Option<String>)]
    pub finished_at: Option<Timestamp>,
    /// The drill's result, once `status` is `finished`.
    pub result: Option<FailoverResult>,
    /// Why the drill stopped, when `status` is `failed`.
    pub error: Option<String>,
}

impl FailoverDrill {
    /// The stored drill as seen at `now_ms`.
    pub fn from_stored(d: store::route_tables::StoredDrill, now_ms: i64) -> Result<Self, StoreError> {
        let ends_ms = d.started_ms + i64::from(d.duration_seconds) * 1000;
        let status = match d.status.as_str() {
            "finished" => DrillStatus::Finished,
            "failed" => DrillStatus::Failed,
            _ if now_ms > ends_ms + LOST_AFTER.as_millis() as i64 => DrillStatus::Lost,
            _ => DrillStatus::Running,
        };
        let result = match d.result {
            Some(doc) => Some(
                serde_json::from_str(&doc)
                    .map_err(|e| StoreError::Internal(anyhow::anyhow!("stored drill result: {e}")))?,
            ),
            None => None,
        };
        Ok(FailoverDrill {
            id: d.id,
            route_table_id: d.route_table_id,
            endpoint: d.endpoint,
            duration_seconds: d.duration_seconds,
            status,
            started_at: ms_to_time(d.started_ms),
            ends_at: ms_to_time(ends_ms),
            finished_at: d.finished_ms.map(ms_to_time),
            result,
            error: d.error,
        })
    }
}

/// A live drill that has started: its record, and its task (the result when it ends).
pub struct Started {
    pub drill: FailoverDrill,
    pub done: tokio::task::JoinHandle<Result<FailoverResult, DrillError>>,
}

/// Start a live drill: refused at once (409) when no proxy of the cluster is online;
/// otherwise recorded and run in its own task, which records the outcome.
pub async fn start_live(
    st: &AppState,
    table: RouteTable,
    health: Vec<EndpointHealth>,
    removed: String,
    target: Option<String>,
    duration_s: u32,
) -> Result<Started, DrillError> {
    let cluster = table.spec.cluster_id;
    if online_proxies(st, cluster).await?.is_empty() {
        return Err(DrillError::NoProxyOnline(format!(
            "no proxy of cluster {cluster} is online, so no live traffic can be moved away from {removed}; run with dry_run=true to evaluate the algorithm"
        )));
    }
    let start_ms = now_ms();
    let stored = store::route_tables::create_drill(&st.db, table.id, &removed, duration_s, start_ms).await?;
    let id = stored.id;
    let drill = FailoverDrill::from_stored(stored, start_ms)?;
    let st = st.clone();
    let live = LiveDrill { id, table, health, removed, target, duration_s, start_ms };
    let done = tokio::spawn(async move {
        let out = run_live(&st, &live).await;
        let doc = match &out {
            Ok(r) => serde_json::to_string(r).map_err(|e| e.to_string()),
            Err(DrillError::Store(e)) => {
                tracing::error!(drill = id, error = %e, "failover drill stopped by a database error");
                Err("a database error stopped the drill (the control plane's log has it)".to_string())
            }
            Err(e) => Err(e.to_string()),
        };
        if let Err(e) = store::route_tables::finish_drill(&st.db, id, doc.as_deref().map_err(String::as_str)).await {
            tracing::error!(drill = id, error = %e, "could not record the failover drill's outcome");
        }
        out
    });
    Ok(Started { drill, done })
}

/// What a running drill works on.
struct LiveDrill {
    id: i64,
    table: RouteTable,
    health: Vec<EndpointHealth>,
    /// The endpoint out of rotation, and where the algorithm predicts its traffic goes.
    removed: String,
    target: Option<String>,
    duration_s: u32,
    start_ms: i64,
}

async fn run_live(st: &AppState, d: &LiveDrill) -> Result<FailoverResult, DrillError> {
    let (table, removed, duration_s, start_ms) = (&d.table, d.removed.as_str(), d.duration_s, d.start_ms);
    let cluster = table.spec.cluster_id;
    let duration = Duration::from_secs(duration_s as u64);
    let t0 = Instant::now();
    let since = start_ms - start_ms.rem_euclid(60_000);
    let before = counts(st, table.id, since).await?;
    let drain =
        store::route_tables::add_drain(&st.db, table.id, cluster, removed, start_ms + duration.as_millis() as i64)
            .await?;
    let version = store::clusters::cluster_version(&st.db.pool, cluster).await?;

    // The switch is done when every online proxy runs the drained configuration.
    let mut switch_time_ms = None;
    while t0.elapsed() < duration {
        let proxies = online_proxies(st, cluster).await?;
        if proxies.iter().all(|(_, v)| *v >= version) {
            switch_time_ms = Some(t0.elapsed().as_secs_f64() * 1000.0);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Let reports of requests sent before the switch arrive, then take the baseline.
    tokio::time::sleep(REPORT_SETTLE.min(duration.saturating_sub(t0.elapsed()))).await;
    let at_switch = counts(st, table.id, since).await?;
    tokio::time::sleep(duration.saturating_sub(t0.elapsed())).await;
    // Traffic of the drained window, as reported so far (reports lag by under REPORT_SETTLE).
    let at_restore = counts(st, table.id, since).await?;
    let restored = store::route_tables::remove_drain(&st.db, drain, cluster).await.is_ok();
    tokio::time::sleep(REPORT_SETTLE).await;
    let end = counts(st, table.id, since).await?;

    let delta = |a: &HashMap<String, (i64, i64)>, b: &HashMap<String, (i64, i64)>, ep: &str| {
        let (r0, e0) = a.get(ep).copied().unwrap_or_default();
        let (r1, e1) = b.get(ep).copied().unwrap_or_default();
        (r1 - r0, e1 - e0)
    };
    let endpoints: Vec<&str> = table.spec.routes.iter().map(|r| r.endpoint.as_str()).collect();
    let to_removed = delta(&at_switch, &at_restore, removed).0;
    let to_others: i64 = endpoints.iter().filter(|e| **e != removed).map(|e| delta(&at_switch, &at_restore, e).0).sum();
    let failed: i64 = endpoints.iter().map(|e| delta(&before, &end, e).1).sum();
    let (traffic_moved, observed_target) = if to_others + to_removed == 0 {
        (None, None)
    } else {
        let busiest = endpoints
            .iter()
            .filter(|e| **e != removed)
            .max_by_key(|e| delta(&at_switch, &end, e).0)
            .map(|e| e.to_string());
        (Some(to_removed == 0 && to_others > 0), busiest)
    };
    let failover_target = observed_target.or_else(|| d.target.clone());
    let message = match (traffic_moved, switch_time_ms) {
        (_, None) => format!("not every proxy applied the drain within {duration_s} s"),
        (None, Some(_)) => "the proxies applied the drain, but no traffic flowed during the drill".to_string(),
        (Some(true), Some(t)) => format!(
            "traffic moved from {removed} to {} in {t:.0} ms; {failed} request(s) failed",
            failover_target.as_deref().unwrap_or("?")
        ),
        (Some(false), Some(_)) => format!("{to_removed} request(s) still reached {removed} after the switch"),
    };
    Ok(FailoverResult {
        dry_run: false,
        drill_id: Some(d.id),
        switch_time_ms,
        failed_requests: Some(failed),
        traffic_moved,
        restored,
        ..FailoverResult::predicted(table, &d.health, Some(removed), failover_target, message)
    })
}

async fn online_proxies(st: &AppState, cluster: i64) -> Result<Vec<(i64, i64)>, StoreError> {
    let (proxies, _) = store::proxies::list_proxies(
        &st.db,
        &ListFilter { cluster_id: Some(cluster), limit: 1000, ..Default::default() },
    )
    .await?;
    Ok(proxies.iter().filter(|p| p.status == "online").map(|p| (p.id, p.config_version)).collect())
}

async fn counts(st: &AppState, table_id: i64, since: i64) -> Result<HashMap<String, (i64, i64)>, StoreError> {
    Ok(store::stats::traffic_by_endpoint(&st.db, table_id, since)
        .await?
        .into_iter()
        .map(|(e, r, x)| (e, (r, x)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(status: &str, result: Option<&str>) -> store::route_tables::StoredDrill {
        store::route_tables::StoredDrill {
            id: 7,
            route_table_id: 3,
            endpoint: "http://a:1".into(),
            duration_seconds: 30,
            status: status.into(),
            started_ms: 1_000_000,
            finished_ms: None,
            result: result.map(str::to_string),
            error: None,
        }
    }

    #[test]
    fn a_running_drill_nobody_finished_reads_as_lost_a_minute_after_its_end() {
        let ends = 1_000_000 + 30_000;
        let at = |now: i64| FailoverDrill::from_stored(stored("running", None), now).unwrap().status;
        assert_eq!(at(1_000_000), DrillStatus::Running);
        assert_eq!(at(ends + LOST_AFTER.as_millis() as i64), DrillStatus::Running, "still reading reports");
        assert_eq!(at(ends + LOST_AFTER.as_millis() as i64 + 1), DrillStatus::Lost);
        let d = FailoverDrill::from_stored(stored("failed", None), ends + 10 * 60_000).unwrap();
        assert_eq!((d.status, d.ends_at), (DrillStatus::Failed, ms_to_time(ends)));
        assert!(
            FailoverDrill::from_stored(stored("finished", Some("{")), ends).is_err(),
            "a broken document is an error"
        );
    }
}
