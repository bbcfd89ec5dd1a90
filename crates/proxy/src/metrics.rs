//! Prometheus metrics of the proxy, served on the admin listener at `/metrics`.

use std::collections::HashMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use crate::Proxy;
use crate::shaping::Flow;

/// Upper bounds (seconds) of the request duration histogram.
const BUCKETS: [f64; 12] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0];

#[derive(Default)]
pub struct Metrics {
    /// Responses by status class 1xx..5xx.
    pub responses: [AtomicU64; 5],
    duration_buckets: [AtomicU64; BUCKETS.len()],
    duration_count: AtomicU64,
    duration_sum_us: AtomicU64,
    pub retries: AtomicU64,
    pub rejected_snapshots: AtomicU64,
    pub config_version: AtomicI64,
    /// Last config version the control plane acknowledged through a report.
    pub acked_version: AtomicI64,
    /// Open downstream connections per worker thread (set when the listener starts).
    pub worker_connections: std::sync::OnceLock<std::sync::Arc<[AtomicU64]>>,
    /// Cumulative reported traffic per (table, endpoint): bytes in, bytes out, requests, errors.
    reported: Mutex<HashMap<(i64, String), [u64; 4]>>,
}

impl Metrics {
    pub fn observe_request(&self, status: u16, d: Duration) {
        let class = (status / 100).clamp(1, 5) as usize - 1;
        self.responses[class].fetch_add(1, Ordering::Relaxed);
        let s = d.as_secs_f64();
        if let Some(i) = BUCKETS.iter().position(|b| s <= *b) {
            self.duration_buckets[i].fetch_add(1, Ordering::Relaxed);
        }
        self.duration_count.fetch_add(1, Ordering::Relaxed);
        self.duration_sum_us.fetch_add(d.as_micros() as u64, Ordering::Relaxed);
    }

    pub fn add_reported(&self, table: i64, endpoint: &str, v: [u64; 4]) {
        let mut m = self.reported.lock().expect("metrics lock");
        let e = m.entry((table, endpoint.to_string())).or_default();
        for i in 0..4 {
            e[i] += v[i];
        }
    }
}

fn esc(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

impl Proxy {
    /// The Prometheus text exposition.
    pub fn render_metrics(&self) -> String {
        let m = &self.metrics;
        let mut o = String::with_capacity(4096);
        o.push_str("# HELP marchproxy_requests_total Requests served, by status class.\n# TYPE marchproxy_requests_total counter\n");
        for (i, c) in m.responses.iter().enumerate() {
            let _ = writeln!(o, "marchproxy_requests_total{{code=\"{}xx\"}} {}", i + 1, c.load(Ordering::Relaxed));
        }
        o.push_str("# HELP marchproxy_request_duration_seconds Time to response headers.\n# TYPE marchproxy_request_duration_seconds histogram\n");
        let mut cum = 0;
        for (i, b) in BUCKETS.iter().enumerate() {
            cum += m.duration_buckets[i].load(Ordering::Relaxed);
            let _ = writeln!(o, "marchproxy_request_duration_seconds_bucket{{le=\"{b}\"}} {cum}");
        }
        let count = m.duration_count.load(Ordering::Relaxed);
        let _ = writeln!(o, "marchproxy_request_duration_seconds_bucket{{le=\"+Inf\"}} {count}");
        let _ = writeln!(
            o,
            "marchproxy_request_duration_seconds_sum {}",
            m.duration_sum_us.load(Ordering::Relaxed) as f64 / 1e6
        );
        let _ = writeln!(o, "marchproxy_request_duration_seconds_count {count}");
        let _ = writeln!(
            o,
            "# TYPE marchproxy_retries_total counter\nmarchproxy_retries_total {}",
            m.retries.load(Ordering::Relaxed)
        );
        let (writes, flushes) = crate::batch::batched();
        let _ = writeln!(
            o,
            "# HELP marchproxy_batched_writes_total Writes submitted together through io_uring (batch.rs).\n\
             # TYPE marchproxy_batched_writes_total counter\nmarchproxy_batched_writes_total {writes}\n\
             # HELP marchproxy_batched_flushes_total io_uring submissions that carried them.\n\
             # TYPE marchproxy_batched_flushes_total counter\nmarchproxy_batched_flushes_total {flushes}\n\
             # HELP marchproxy_worker_yields_total Times a busy worker gave its CPU away at an idle point (pace.rs).\n\
             # TYPE marchproxy_worker_yields_total counter\nmarchproxy_worker_yields_total {}",
            crate::pace::yields()
        );
        if let Some(load) = m.worker_connections.get() {
            o.push_str("# HELP marchproxy_worker_connections Open downstream connections per worker thread.\n");
            o.push_str("# TYPE marchproxy_worker_connections gauge\n");
            for (i, n) in load.iter().enumerate() {
                let _ = writeln!(o, "marchproxy_worker_connections{{worker=\"{i}\"}} {}", n.load(Ordering::Relaxed));
            }
        }
        let _ = writeln!(
            o,
            "# TYPE marchproxy_rejected_snapshots_total counter\nmarchproxy_rejected_snapshots_total {}",
            m.rejected_snapshots.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            o,
            "# TYPE marchproxy_control_plane_failovers_total counter\nmarchproxy_control_plane_failovers_total {}",
            self.control_plane.failovers.load(Ordering::Relaxed)
        );
        let (_, current) = self.control_plane.current();
        let _ = writeln!(
            o,
            "# TYPE marchproxy_control_plane_current gauge\nmarchproxy_control_plane_current{{url=\"{}\"}} 1",
            esc(current)
        );
        let _ = writeln!(
            o,
            "# TYPE marchproxy_config_version gauge\nmarchproxy_config_version {}",
            m.config_version.load(Ordering::Relaxed)
        );

        let reported = m.reported.lock().expect("metrics lock").clone();
        let rt = self.runtime.load_full();
        o.push_str("# HELP marchproxy_upstream_requests_total Requests per route-table endpoint.\n# TYPE marchproxy_upstream_requests_total counter\n");
        let mut rows = Vec::new();
        if let Some(rt) = rt.as_ref() {
            for t in &rt.tables {
                for (i, ep) in t.endpoints.iter().enumerate() {
                    let st = &t.states[i];
                    let c = &st.counters;
                    let base = reported.get(&(t.id, ep.raw.clone())).copied().unwrap_or_default();
                    let v = [
                        base[0] + c.bytes_in.load(Ordering::Relaxed),
                        base[1] + c.bytes_out.load(Ordering::Relaxed),
                        base[2] + c.requests.load(Ordering::Relaxed),
                        base[3] + c.errors.load(Ordering::Relaxed),
                    ];
                    let labels = format!(
                        "route_table=\"{}\",endpoint=\"{}\",provider=\"{}\",region=\"{}\"",
                        t.id,
                        esc(&ep.raw),
                        ep.provider.as_str(),
                        esc(&ep.region)
                    );
                    rows.push((
                        labels,
                        v,
                        t.candidates[i].healthy,
                        st.latency_estimate_ms(),
                        st.inflight.load(Ordering::Relaxed),
                    ));
                }
            }
        }
        for (l, v, ..) in &rows {
            let _ = writeln!(o, "marchproxy_upstream_requests_total{{{l}}} {}", v[2]);
        }
        o.push_str("# TYPE marchproxy_upstream_errors_total counter\n");
        for (l, v, ..) in &rows {
            let _ = writeln!(o, "marchproxy_upstream_errors_total{{{l}}} {}", v[3]);
        }
        o.push_str("# HELP marchproxy_upstream_bytes_total Bytes per endpoint and direction (in: client to upstream).\n# TYPE marchproxy_upstream_bytes_total counter\n");
        for (l, v, ..) in &rows {
            let _ = writeln!(o, "marchproxy_upstream_bytes_total{{{l},direction=\"in\"}} {}", v[0]);
            let _ = writeln!(o, "marchproxy_upstream_bytes_total{{{l},direction=\"out\"}} {}", v[1]);
        }
        o.push_str("# TYPE marchproxy_endpoint_healthy gauge\n");
        for (l, _, h, ..) in &rows {
            let _ = writeln!(o, "marchproxy_endpoint_healthy{{{l}}} {}", u8::from(*h));
        }
        o.push_str("# TYPE marchproxy_endpoint_latency_ewma_ms gauge\n");
        for (l, _, _, lat, _) in &rows {
            let _ = writeln!(o, "marchproxy_endpoint_latency_ewma_ms{{{l}}} {lat:.3}");
        }
        o.push_str("# HELP marchproxy_qos_bytes_total Bytes passed by QoS policies (delayed: bytes that waited).\n# TYPE marchproxy_qos_bytes_total counter\n");
        let policies = self.shaping.policies();
        for s in &policies {
            let st = &s.stats;
            let class = s.params().priority.as_str();
            let _ = writeln!(
                o,
                "marchproxy_qos_bytes_total{{policy=\"{}\",class=\"{class}\",state=\"passed\"}} {}",
                s.policy_id,
                st.bytes_passed.load(Ordering::Relaxed)
            );
            let _ = writeln!(
                o,
                "marchproxy_qos_bytes_total{{policy=\"{}\",class=\"{class}\",state=\"delayed\"}} {}",
                s.policy_id,
                st.bytes_delayed.load(Ordering::Relaxed)
            );
        }
        o.push_str("# TYPE marchproxy_qos_sla_violations_total counter\n");
        for s in &policies {
            let _ = writeln!(
                o,
                "marchproxy_qos_sla_violations_total{{policy=\"{}\",class=\"{}\"}} {}",
                s.policy_id,
                s.params().priority.as_str(),
                s.stats.sla_violations.load(Ordering::Relaxed)
            );
        }
        o.push_str("# HELP marchproxy_qos_added_delay_ms Delay added by shaping per chunk (bucket upper bound).\n# TYPE marchproxy_qos_added_delay_ms gauge\n");
        for s in &policies {
            for (q, name) in [(0.5, "0.5"), (0.99, "0.99")] {
                let _ = writeln!(
                    o,
                    "marchproxy_qos_added_delay_ms{{policy=\"{}\",class=\"{}\",quantile=\"{name}\"}} {}",
                    s.policy_id,
                    s.params().priority.as_str(),
                    s.stats.delay.quantile(q)
                );
            }
        }
        o.push_str("# HELP marchproxy_qos_cluster_share_bps This proxy's share of a cluster-scope limit (bytes/s).\n# TYPE marchproxy_qos_cluster_share_bps gauge\n");
        let cluster: Vec<_> = policies.iter().filter(|s| s.is_enabled() && s.is_cluster()).collect();
        for s in &cluster {
            for (flow, dir) in [(Flow::Ingress, "ingress"), (Flow::Egress, "egress")] {
                if let Some(rate) = s.rate(flow) {
                    let _ = writeln!(
                        o,
                        "marchproxy_qos_cluster_share_bps{{policy=\"{}\",direction=\"{dir}\"}} {rate:.0}",
                        s.policy_id
                    );
                }
            }
        }
        o.push_str("# HELP marchproxy_qos_cluster_proxies Proxies sharing a cluster-scope limit at the last grant.\n# TYPE marchproxy_qos_cluster_proxies gauge\n");
        for s in &cluster {
            let n = s.proxies(Flow::Ingress).max(s.proxies(Flow::Egress));
            let _ = writeln!(o, "marchproxy_qos_cluster_proxies{{policy=\"{}\"}} {n}", s.policy_id);
        }
        o.push_str("# HELP marchproxy_qos_cluster_fallback 1 while the grant expired and the proxy enforces limit / proxies last seen.\n# TYPE marchproxy_qos_cluster_fallback gauge\n");
        let now = tokio::time::Instant::now();
        for s in &cluster {
            let _ = writeln!(
                o,
                "marchproxy_qos_cluster_fallback{{policy=\"{}\"}} {}",
                s.policy_id,
                u8::from(s.on_fallback(now))
            );
        }
        let _ = writeln!(
            o,
            "# HELP marchproxy_qos_lease_failures_total Leases of cluster-scope shares that failed.\n# TYPE marchproxy_qos_lease_failures_total counter\nmarchproxy_qos_lease_failures_total {}",
            self.shaping.lease_failures.load(Ordering::Relaxed)
        );
        o.push_str("# TYPE marchproxy_endpoint_inflight gauge\n");
        for (l, _, _, _, n) in &rows {
            let _ = writeln!(o, "marchproxy_endpoint_inflight{{{l}}} {n}");
        }
        o
    }
}
