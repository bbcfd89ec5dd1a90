//! Proxy reports, applied exactly once per `report_id`: traffic per endpoint and minute
//! (priced with the route's `cost_per_gb`), and the latest tracing and QoS counters.

use marchproxy_model::report::{ProxyReport, QosSample, TracingSample};

use super::WriteTx;
use super::rows::RowExt;
use crate::db::{Db, now_ms};
use crate::store::error::{StoreError, StoreResult};

/// Apply a report exactly once (per `report_id`). Returns false for a duplicate.
pub async fn apply_report(db: &Db, cluster_id: i64, r: &ProxyReport) -> StoreResult<bool> {
    let now = now_ms();
    let mut tx = super::begin_write(db).await?;
    let owner =
        sqlx::query("SELECT cluster_id FROM proxies WHERE id = $1").bind(r.proxy_id).fetch_optional(&mut *tx).await?;
    match owner {
        Some(o) if o.i64("cluster_id")? == cluster_id => {}
        _ => return Err(StoreError::NotFound(format!("proxy {} is not registered in this cluster", r.proxy_id))),
    }
    let inserted = sqlx::query("INSERT INTO applied_reports (proxy_id, report_id, applied_at) VALUES ($1, $2, $3)")
        .bind(r.proxy_id)
        .bind(r.report_id.as_str())
        .bind(now)
        .execute(&mut *tx)
        .await;
    if let Err(e) = inserted {
        return match StoreError::from(e) {
            StoreError::Conflict(_) => Ok(false),
            other => Err(other),
        };
    }
    for s in &r.traffic {
        let table = sqlx::query("SELECT service_id, routes FROM route_tables WHERE id = $1 AND cluster_id = $2")
            .bind(s.route_table_id)
            .bind(cluster_id)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(table) = table else { continue };
        let routes: Vec<marchproxy_model::route_table::Route> = table.json("routes")?;
        let route = routes.iter().find(|x| x.endpoint == s.endpoint);
        let (provider, region, cost) = match route {
            Some(x) => (x.provider.as_str().to_string(), x.region.clone(), x.cost_per_gb.unwrap_or(0.0)),
            // Bytes that finished streaming after the endpoint left the table: priced as the
            // endpoint was when it last carried traffic.
            None => {
                let last = sqlx::query(
                    "SELECT provider, region, cost_per_gb FROM traffic_stats WHERE route_table_id = $1 AND endpoint = $2
                     ORDER BY bucket_start DESC LIMIT 1",
                )
                .bind(s.route_table_id)
                .bind(s.endpoint.as_str())
                .fetch_optional(&mut *tx)
                .await?;
                match last {
                    Some(r) => (r.str("provider")?, r.str("region")?, r.f64_opt("cost_per_gb")?.unwrap_or(0.0)),
                    None => ("unknown".to_string(), "unknown".to_string(), 0.0),
                }
            }
        };
        let bucket = s.bucket_start_ms - s.bucket_start_ms.rem_euclid(60_000);
        // One statement, so two reports racing on a new bucket cannot both insert it.
        sqlx::query(
            "INSERT INTO traffic_stats (route_table_id, service_id, endpoint, provider, region, bucket_start, bytes_in, bytes_out, requests, errors, cost_per_gb)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
             ON CONFLICT (route_table_id, endpoint, bucket_start) DO UPDATE SET
               bytes_in = traffic_stats.bytes_in + excluded.bytes_in, bytes_out = traffic_stats.bytes_out + excluded.bytes_out,
               requests = traffic_stats.requests + excluded.requests, errors = traffic_stats.errors + excluded.errors",
        )
        .bind(s.route_table_id)
        .bind(table.i64("service_id")?)
        .bind(s.endpoint.as_str())
        .bind(provider)
        .bind(region)
        .bind(bucket)
        .bind(clamp(s.bytes_in))
        .bind(clamp(s.bytes_out))
        .bind(clamp(s.requests))
        .bind(clamp(s.errors))
        .bind(cost)
        .execute(&mut *tx)
        .await?;
    }
    for t in &r.tracing {
        upsert_tracing(&mut tx, cluster_id, r.proxy_id, t, now).await?;
    }
    for q in &r.qos {
        upsert_qos(&mut tx, cluster_id, r.proxy_id, q, now).await?;
    }
    sqlx::query("UPDATE proxies SET last_seen = $1, config_version = $2 WHERE id = $3")
        .bind(now)
        .bind(r.config_version)
        .bind(r.proxy_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM applied_reports WHERE applied_at < $1").bind(now - 86_400_000).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(true)
}

fn clamp(v: u64) -> i64 {
    v.min(i64::MAX as u64) as i64
}

async fn upsert_tracing(
    tx: &mut WriteTx<'_>,
    cluster_id: i64,
    proxy_id: i64,
    t: &TracingSample,
    now: i64,
) -> StoreResult<()> {
    let ok = sqlx::query("SELECT id FROM tracing_configs WHERE id = $1 AND cluster_id = $2")
        .bind(t.tracing_config_id)
        .bind(cluster_id)
        .fetch_optional(&mut **tx)
        .await?;
    if ok.is_none() {
        return Ok(());
    }
    sqlx::query("DELETE FROM tracing_stats WHERE tracing_config_id = $1 AND proxy_id = $2")
        .bind(t.tracing_config_id)
        .bind(proxy_id)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "INSERT INTO tracing_stats (tracing_config_id, proxy_id, spans_started, spans_sampled, spans_exported, spans_dropped, spans_errored,
         span_duration_sum_ms, effective_sampling_rate, last_export_at, last_export_error, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(t.tracing_config_id)
    .bind(proxy_id)
    .bind(clamp(t.spans_started))
    .bind(clamp(t.spans_sampled))
    .bind(clamp(t.spans_exported))
    .bind(clamp(t.spans_dropped))
    .bind(clamp(t.spans_errored))
    .bind(t.span_duration_sum_ms)
    .bind(t.effective_sampling_rate)
    .bind(t.last_export_at_ms)
    .bind(t.last_export_error.as_deref())
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn upsert_qos(tx: &mut WriteTx<'_>, cluster_id: i64, proxy_id: i64, q: &QosSample, now: i64) -> StoreResult<()> {
    let ok = sqlx::query("SELECT id FROM qos_policies WHERE id = $1 AND cluster_id = $2")
        .bind(q.policy_id)
        .bind(cluster_id)
        .fetch_optional(&mut **tx)
        .await?;
    if ok.is_none() {
        return Ok(());
    }
    sqlx::query("DELETE FROM qos_stats WHERE policy_id = $1 AND proxy_id = $2")
        .bind(q.policy_id)
        .bind(proxy_id)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "INSERT INTO qos_stats (policy_id, proxy_id, bytes_passed, bytes_delayed, current_rate_bps, delay_ms, sla_violations, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(q.policy_id)
    .bind(proxy_id)
    .bind(clamp(q.bytes_passed))
    .bind(clamp(q.bytes_delayed))
    .bind(q.current_rate_bps)
    .bind(serde_json::to_string(&q.delay_ms).expect("serializes"))
    .bind(clamp(q.sla_violations))
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
