//! `GET /metrics` (Prometheus text exposition format 0.0.4, no token, like `/healthz`:
//! scrape it from inside the cluster; keep it off public ingress) and the request layer that
//! counts every API request. The counters live in `crate::metrics`; what the database, the
//! license and the ingest queue know is read here when scraped.

use std::fmt::Write;
use std::sync::atomic::Ordering;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::state::AppState;
use crate::store;

/// The request layer: every API request is counted by method, route template (never the
/// raw path, so ids and scanners cannot blow up the label set) and status, with its latency.
pub async fn track(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let route = req.extensions().get::<MatchedPath>().map_or("unmatched", |p| p.as_str()).to_string();
    // Standard methods only: a client inventing methods cannot grow the label set either.
    let method = match *req.method() {
        axum::http::Method::GET
        | axum::http::Method::POST
        | axum::http::Method::PUT
        | axum::http::Method::PATCH
        | axum::http::Method::DELETE
        | axum::http::Method::HEAD
        | axum::http::Method::OPTIONS => req.method().as_str(),
        _ => "OTHER",
    }
    .to_string();
    let started = Instant::now();
    let resp = next.run(req).await;
    st.metrics.observe(&method, &route, resp.status().as_u16(), started.elapsed());
    resp
}

/// The text exposition.
pub async fn render(st: &AppState) -> String {
    let m = &st.metrics;
    let mut out = String::with_capacity(8192);
    let o = &mut out;

    m.write_requests(o);

    let pool = &st.db.pool;
    let (size, idle) = (pool.size(), pool.num_idle() as u32);
    let _ = writeln!(o, "# HELP marchproxy_db_pool_connections Database pool connections by state.");
    let _ = writeln!(o, "# TYPE marchproxy_db_pool_connections gauge");
    let _ = writeln!(o, "marchproxy_db_pool_connections{{state=\"idle\"}} {idle}");
    let _ = writeln!(o, "marchproxy_db_pool_connections{{state=\"in_use\"}} {}", size.saturating_sub(idle));
    let _ = writeln!(o, "# HELP marchproxy_db_pool_max_connections The pool's limit.");
    let _ = writeln!(o, "# TYPE marchproxy_db_pool_max_connections gauge");
    let _ = writeln!(o, "marchproxy_db_pool_max_connections {}", pool.options().get_max_connections());
    let _ = writeln!(o, "# HELP marchproxy_db_up Whether the database answered this scrape.");
    let _ = writeln!(o, "# TYPE marchproxy_db_up gauge");
    let up = st.db.ping().await;
    let _ = writeln!(o, "marchproxy_db_up {}", u8::from(up));

    let _ =
        writeln!(o, "# HELP marchproxy_config_long_polls Proxies' configuration long-polls waiting on this replica.");
    let _ = writeln!(o, "# TYPE marchproxy_config_long_polls gauge");
    let _ = writeln!(o, "marchproxy_config_long_polls {}", m.long_polls.load(Ordering::Relaxed));
    if up {
        if let Ok(versions) = store::clusters::config_versions(&st.db).await {
            let _ = writeln!(o, "# HELP marchproxy_cluster_config_version Each cluster's configuration version.");
            let _ = writeln!(o, "# TYPE marchproxy_cluster_config_version gauge");
            for (id, v) in versions {
                let _ = writeln!(o, "marchproxy_cluster_config_version{{cluster_id=\"{id}\"}} {v}");
            }
        }
        if let Ok((healthy, unhealthy)) = store::route_tables::health_counts(&st.db).await {
            let _ = writeln!(o, "# HELP marchproxy_endpoints Route-table endpoints by probed health.");
            let _ = writeln!(o, "# TYPE marchproxy_endpoints gauge");
            let _ = writeln!(o, "marchproxy_endpoints{{health=\"healthy\"}} {healthy}");
            let _ = writeln!(o, "marchproxy_endpoints{{health=\"unhealthy\"}} {unhealthy}");
        }
    }
    let _ = writeln!(
        o,
        "# HELP marchproxy_snapshot_builds_total Snapshots read and encoded (once per cluster version, whatever the number of proxies)."
    );
    let _ = writeln!(o, "# TYPE marchproxy_snapshot_builds_total counter");
    let _ = writeln!(o, "marchproxy_snapshot_builds_total {}", st.snapshots.builds.load(Ordering::Relaxed));
    m.write_probes(o);

    let lic = st.license.status();
    let _ = writeln!(o, "# HELP marchproxy_license_info The license's tier and where the answer came from.");
    let _ = writeln!(o, "# TYPE marchproxy_license_info gauge");
    let tier = serde_json::to_value(lic.tier).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
    let source = serde_json::to_value(lic.source).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
    let _ = writeln!(o, "marchproxy_license_info{{tier=\"{tier}\",source=\"{source}\",valid=\"{}\"}} 1", lic.valid);
    let _ = writeln!(o, "# HELP marchproxy_license_feature Whether an enterprise feature is licensed.");
    let _ = writeln!(o, "# TYPE marchproxy_license_feature gauge");
    for f in marchproxy_license::ENTERPRISE_FEATURES {
        let _ = writeln!(o, "marchproxy_license_feature{{feature=\"{f}\"}} {}", u8::from(lic.has_feature(f)));
    }
    if let Some(exp) = lic.expires_at {
        let _ = writeln!(o, "# HELP marchproxy_license_expiry_timestamp_seconds When the license expires.");
        let _ = writeln!(o, "# TYPE marchproxy_license_expiry_timestamp_seconds gauge");
        let _ = writeln!(o, "marchproxy_license_expiry_timestamp_seconds {}", exp.timestamp());
    }

    let _ = writeln!(o, "# HELP marchproxy_ingest_queue_bytes Spans accepted by the OTLP receiver, not yet stored.");
    let _ = writeln!(o, "# TYPE marchproxy_ingest_queue_bytes gauge");
    let _ = writeln!(o, "marchproxy_ingest_queue_bytes {}", st.ingest.queued_bytes());
    let _ = writeln!(o, "# HELP marchproxy_ingest_spans_stored_total Spans the receiver stored.");
    let _ = writeln!(o, "# TYPE marchproxy_ingest_spans_stored_total counter");
    let _ = writeln!(o, "marchproxy_ingest_spans_stored_total {}", m.spans_stored.load(Ordering::Relaxed));
    let _ = writeln!(o, "# HELP marchproxy_ingest_rejected_total Exports refused with 429 because the queue was full.");
    let _ = writeln!(o, "# TYPE marchproxy_ingest_rejected_total counter");
    let _ = writeln!(o, "marchproxy_ingest_rejected_total {}", m.ingest_rejected.load(Ordering::Relaxed));
    out
}
