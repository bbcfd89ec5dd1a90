//! Prometheus metrics of the control plane, served at `GET /metrics` (text exposition
//! format 0.0.4, no token, like `/healthz`: scrape it from inside the cluster; the
//! Kubernetes NetworkPolicy limits who can reach it).
//!
//! Counters live here and are fed by the request layer ([`track`]), the configuration
//! long-poll, the health monitor and the ingest queue; gauges that the database knows
//! (configuration versions, endpoint health) are read when scraped.

use std::collections::HashMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::state::AppState;
use crate::store;

/// Upper bounds (seconds) of the probe lag histogram.
const LAG_BUCKETS: [f64; 7] = [0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0];

/// Upper bounds (seconds) of the API latency histogram.
const BUCKETS: [f64; 11] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0];

#[derive(Default, Clone, Copy)]
struct Series {
    count: u64,
    sum: Duration,
    buckets: [u64; BUCKETS.len()],
}

/// The control plane's counters.
#[derive(Default)]
pub struct Metrics {
    /// By (method, route template, status).
    requests: Mutex<HashMap<(String, String, u16), Series>>,
    /// Configuration long-polls waiting now.
    pub long_polls: AtomicI64,
    /// Probe results of this replica's health monitor: ok, failed.
    pub probes: [AtomicU64; 2],
    /// How late probes started against their schedule (waiting for a probe slot, or behind
    /// a slow previous probe): counts per [`LAG_BUCKETS`] bound, and the sum in µs.
    probe_lag: [AtomicU64; LAG_BUCKETS.len()],
    probe_lag_sum_us: AtomicU64,
    probe_lag_count: AtomicU64,
    /// Spans stored, and exports refused because the ingest queue was full.
    pub spans_stored: AtomicU64,
    pub ingest_rejected: AtomicU64,
}

/// Decrements [`Metrics::long_polls`] when the long-poll ends, however it ends.
pub struct LongPoll<'a>(&'a Metrics);

impl Metrics {
    pub fn long_poll(&self) -> LongPoll<'_> {
        self.long_polls.fetch_add(1, Ordering::Relaxed);
        LongPoll(self)
    }

    /// A probe started `lag_s` seconds after its scheduled time.
    pub fn probe_started(&self, lag_s: f64) {
        if let Some(i) = LAG_BUCKETS.iter().position(|b| lag_s <= *b) {
            self.probe_lag[i].fetch_add(1, Ordering::Relaxed);
        }
        self.probe_lag_sum_us.fetch_add((lag_s * 1e6) as u64, Ordering::Relaxed);
        self.probe_lag_count.fetch_add(1, Ordering::Relaxed);
    }

    pub fn probe(&self, ok: bool) {
        self.probes[usize::from(!ok)].fetch_add(1, Ordering::Relaxed);
    }

    fn observe(&self, method: &str, route: &str, status: u16, took: Duration) {
        let mut m = self.requests.lock().expect("metrics lock");
        let s = m.entry((method.to_string(), route.to_string(), status)).or_default();
        s.count += 1;
        s.sum += took;
        if let Some(i) = BUCKETS.iter().position(|b| took.as_secs_f64() <= *b) {
            s.buckets[i] += 1;
        }
    }
}

impl Drop for LongPoll<'_> {
    fn drop(&mut self) {
        self.0.long_polls.fetch_sub(1, Ordering::Relaxed);
    }
}

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

fn esc(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// The text exposition.
pub async fn render(st: &AppState) -> String {
    let m = &st.metrics;
    let mut out = String::with_capacity(8192);
    let o = &mut out;

    let _ = writeln!(
        o,
        "# HELP marchproxy_api_request_duration_seconds API requests by method, route and status, with latency."
    );
    let _ = writeln!(o, "# TYPE marchproxy_api_request_duration_seconds histogram");
    let snapshot: Vec<_> = {
        let reqs = m.requests.lock().expect("metrics lock");
        let mut v: Vec<_> = reqs.iter().map(|(k, s)| (k.clone(), *s)).collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    };
    for ((method, route, status), s) in &snapshot {
        let labels = format!("method=\"{method}\",route=\"{}\",status=\"{status}\"", esc(route));
        let mut cumulative = 0;
        for (b, n) in BUCKETS.iter().zip(s.buckets) {
            cumulative += n;
            let _ = writeln!(o, "marchproxy_api_request_duration_seconds_bucket{{{labels},le=\"{b}\"}} {cumulative}");
        }
        let _ = writeln!(o, "marchproxy_api_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}", s.count);
        let _ = writeln!(o, "marchproxy_api_request_duration_seconds_sum{{{labels}}} {}", s.sum.as_secs_f64());
        let _ = writeln!(o, "marchproxy_api_request_duration_seconds_count{{{labels}}} {}", s.count);
    }

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
    let _ =
        writeln!(o, "# HELP marchproxy_health_probes_total Probes run by this replica's health monitor, by result.");
    let _ = writeln!(o, "# TYPE marchproxy_health_probes_total counter");
    let _ = writeln!(o, "marchproxy_health_probes_total{{result=\"ok\"}} {}", m.probes[0].load(Ordering::Relaxed));
    let _ = writeln!(o, "marchproxy_health_probes_total{{result=\"failed\"}} {}", m.probes[1].load(Ordering::Relaxed));
    let _ = writeln!(o, "# HELP marchproxy_health_probe_lag_seconds How late probes started against their schedule.");
    let _ = writeln!(o, "# TYPE marchproxy_health_probe_lag_seconds histogram");
    let mut cumulative = 0;
    for (b, n) in LAG_BUCKETS.iter().zip(&m.probe_lag) {
        cumulative += n.load(Ordering::Relaxed);
        let _ = writeln!(o, "marchproxy_health_probe_lag_seconds_bucket{{le=\"{b}\"}} {cumulative}");
    }
    let started = m.probe_lag_count.load(Ordering::Relaxed);
    let _ = writeln!(o, "marchproxy_health_probe_lag_seconds_bucket{{le=\"+Inf\"}} {}", started.max(cumulative));
    let _ = writeln!(
        o,
        "marchproxy_health_probe_lag_seconds_sum {}",
        m.probe_lag_sum_us.load(Ordering::Relaxed) as f64 / 1e6
    );
    let _ = writeln!(o, "marchproxy_health_probe_lag_seconds_count {}", started.max(cumulative));

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
