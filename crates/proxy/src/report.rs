//! Reporting measured traffic to the control plane, exactly once.
//!
//! Counters accumulate in atomics. At most one report is in flight: it is built by
//! draining the counters, then retried with the same `report_id` until the control
//! plane acknowledges it (the control plane applies each id once). While the control
//! plane is unreachable, new traffic keeps accumulating in the counters, so memory
//! stays bounded and nothing is lost or counted twice.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use marchproxy_model::report::{ProxyReport, TrafficSample};

use crate::Proxy;

/// Send a report at least this often, as a heartbeat.
const HEARTBEAT: Duration = Duration::from_secs(10);

impl Proxy {
    /// Move the counters into samples (current minute bucket).
    pub fn drain_traffic(&self) -> Vec<TrafficSample> {
        let now = crate::now_ms();
        let bucket = now - now.rem_euclid(60_000);
        // Endpoints that left the configuration and that nothing holds any more are removed
        // first and drained below one last time: a body that streamed to an endpoint after it
        // was removed from the configuration is still counted.
        let live = self.runtime.load_full();
        let removed = self.registry.remove_unused(|(t, e)| {
            live.as_ref()
                .is_some_and(|rt| rt.tables.iter().any(|x| x.id == *t && x.endpoints.iter().any(|p| &p.raw == e)))
        });
        drop(live);
        let mut out = Vec::new();
        for ((table, endpoint), st) in self.registry.all().into_iter().chain(removed) {
            let c = &st.counters;
            let (bi, bo, rq, er) = (
                c.bytes_in.swap(0, Ordering::Relaxed),
                c.bytes_out.swap(0, Ordering::Relaxed),
                c.requests.swap(0, Ordering::Relaxed),
                c.errors.swap(0, Ordering::Relaxed),
            );
            if bi | bo | rq | er == 0 {
                continue;
            }
            self.metrics.add_reported(table, &endpoint, [bi, bo, rq, er]);
            out.push(TrafficSample {
                route_table_id: table,
                endpoint,
                bucket_start_ms: bucket,
                bytes_in: bi,
                bytes_out: bo,
                requests: rq,
                errors: er,
            });
        }
        out
    }

    /// Changes whenever a tracing or QoS counter changes (so their stats are reported promptly).
    fn stats_signature(&self) -> u64 {
        let mut sig = 0u64;
        for t in self.tracing.active().iter() {
            let st = t.pipeline.stats();
            sig = sig.wrapping_mul(31).wrapping_add(
                t.started.load(Ordering::Relaxed) + st.spans_exported + st.spans_dropped + st.export_errors,
            );
        }
        for s in self.shaping.policies() {
            sig = sig.wrapping_mul(31).wrapping_add(s.stats.bytes_passed.load(Ordering::Relaxed));
        }
        sig
    }

    pub async fn report_loop(self: Arc<Self>) {
        let mut pending: Option<ProxyReport> = None;
        let mut last_sent = Instant::now();
        let mut last_sig = 0u64;
        loop {
            tokio::select! {
                _ = tokio::time::sleep(self.report_interval) => {}
                _ = self.report_now.notified() => {}
            }
            if pending.is_none() {
                let traffic = self.drain_traffic();
                let config_version = self.runtime.load().as_ref().map(|r| r.version).unwrap_or(0);
                let acked = self.metrics.acked_version.load(Ordering::Relaxed);
                let sig = self.stats_signature();
                if traffic.is_empty() && last_sent.elapsed() < HEARTBEAT && config_version == acked && sig == last_sig {
                    continue;
                }
                last_sig = sig;
                let mut id = [0u8; 16];
                rand::fill(&mut id);
                pending = Some(ProxyReport {
                    proxy_id: self.proxy_id(),
                    report_id: hex::encode(id),
                    config_version,
                    traffic,
                    tracing: self.tracing.active().iter().map(|t| t.sample()).collect(),
                    qos: self.shaping.policies().iter().map(|s| s.sample()).collect(),
                });
            }
            let report = pending.as_mut().expect("set above");
            let (replica, base) = self.control_plane.current();
            let res = self
                .http
                .post(format!("{base}/api/v1/proxy/report"))
                .bearer_auth(&self.api_key)
                .json(&*report)
                .send()
                .await;
            if res.as_ref().map_or(true, |r| crate::control_plane::unavailable(r.status())) {
                self.control_plane.failed(replica);
            }
            match res {
                Ok(r) if r.status().is_success() => {
                    self.metrics.acked_version.store(report.config_version, Ordering::Relaxed);
                    pending = None;
                    last_sent = Instant::now();
                }
                Ok(r) if r.status() == reqwest::StatusCode::NOT_FOUND => {
                    // The control plane forgot this proxy: register again. The report was
                    // not applied, so it may be re-addressed.
                    tracing::warn!("control plane does not know this proxy; registering again");
                    if let Ok(reg) = self.register().await {
                        self.set_proxy_id(reg.proxy_id);
                        report.proxy_id = reg.proxy_id;
                    }
                }
                Ok(r) => tracing::warn!(status = %r.status(), "report not accepted; will retry"),
                Err(e) => tracing::debug!(error = %e, "report failed; will retry"),
            }
        }
    }
}
